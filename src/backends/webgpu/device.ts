// Finds a WebGPU device: navigator.gpu in browsers and Deno, else (Node) the optional `webgpu`
// package (Dawn), imported lazily so the core never depends on it. Without a GPU driver, Dawn can run
// on the SwiftShader Vulkan ICD shipped with Chromium: we point the Vulkan loader at it when the user
// has not chosen an ICD. Resolves to null (never throws) when no adapter is available, and then
// `unavailableReason()` says why in terms a user can act on (the missing package, library or driver).
// Subgroup matrices (tensor cores) are requested when offered, with what they need; Dawn lists them
// only with its allow_unsafe_apis toggle, which Node's Dawn is created with (TORCHLET_WEBGPU_SUBGROUP_MATRIX=0:
// without it). Adapters without them get exactly the device they got before.

import type { SubgroupMatrixCaps, SubgroupMatrixConfig } from './subgroup_matmul.js';

/** What the backend needs to know about the device, read once. */
export interface GPUInfo {
  device: GPUDevice;
  /** Held for the device's lifetime: in Dawn (Node) collecting the instance or adapter kills the device. */
  keepAlive: [GPU, GPUAdapter];
  adapterName: string;
  /**
   * A software adapter (SwiftShader, llvmpipe/lavapipe, WARP): WebGPU emulated on the CPU, slower
   * than the wasm backend, so "best available device" pickers should prefer the CPU over it.
   */
  isFallbackAdapter: boolean;
  /**
   * Optional features, requested when the adapter has them. Nothing requires any of them:
   * float16 computes in f32 without shader-f16, kernels use no subgroup operations (yet), and
   * kernel timing reports null without timestamp-query.
   */
  features: { shaderF16: boolean; timestampQuery: boolean; subgroups: boolean; subgroupMatrix: boolean };
  limits: {
    maxStorageBuffersPerShaderStage: number; maxComputeWorkgroupsPerDimension: number; maxStorageBufferBindingSize: number;
    maxBufferSize: number; minStorageBufferOffsetAlignment: number;
  };
  /** 'chromium-experimental-subgroup-matrix' on the device: its configs and limits (the matmul plan's input), else null. */
  subgroupMatrix: SubgroupMatrixCaps | null;
}

interface NodeWebGPU { create(flags: string[]): GPU }

let reason: string | null = null;
/** Why the last acquireGPU() found no device (null when it found one or was never called). */
export function unavailableReason(): string | null { return reason; }

/**
 * On Linux, whether the Vulkan loader Dawn opens (libvulkan.so.1) can be loaded: process.dlopen
 * rejects it as an addon either way, but only a missing file says "cannot open shared object file".
 */
export function vulkanLoaderMissing(proc: { platform?: string; dlopen?: (m: object, f: string, flags: number) => void }): boolean {
  if (proc.platform !== 'linux' || !proc.dlopen) return false;
  try { proc.dlopen({ exports: {} }, 'libvulkan.so.1', RTLD_NOW); } catch (e) {
    return /cannot open shared object file|No such file|file too short|invalid ELF header/i.test(String((e as Error).message));
  }
  return false;
}
const LINUX_HELP = "Linux needs the Vulkan loader (Debian/Ubuntu: 'apt-get install libvulkan1') and a Vulkan driver: your GPU's, or the " +
  "SwiftShader software driver of Debian's 'chromium' package, which torchlet uses when VK_ICD_FILENAMES is unset";

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const RTLD_NOW = 2, RTLD_GLOBAL = 256, RTLD_NODELETE = 0x1000; // glibc values

async function nodeGPU(): Promise<GPU | null> {
  const proc = (globalThis as { process?: { versions?: { node?: string }; platform?: string; env: Record<string, string | undefined>; dlopen?: (m: object, f: string, flags: number) => void } }).process;
  if (!proc?.versions?.node) { reason = 'this runtime has no navigator.gpu (no WebGPU)'; return null; }
  try {
    const fs = await import('node:fs');
    if (proc.env.VK_ICD_FILENAMES === undefined && proc.env.VK_DRIVER_FILES === undefined && fs.existsSync(SWIFTSHADER_ICD)) {
      proc.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
      proc.env.VK_DRIVER_FILES = SWIFTSHADER_ICD;
      // Chromium ships its own Vulkan loader next to the ICD; systems without libvulkan need it
      // loaded before Dawn asks for 'libvulkan.so.1' (process.dlopen rejects it as an addon, but
      // RTLD_NODELETE keeps it resident, and later dlopen calls find it by soname).
      const loader = SWIFTSHADER_ICD.replace(/[^/]*$/, 'libvulkan.so.1');
      if (fs.existsSync(loader)) { try { proc.dlopen?.({ exports: {} }, loader, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE); } catch { /* expected: not an addon */ } }
    }
  } catch { /* no fs: not really Node */ }
  if (vulkanLoaderMissing(proc)) {
    reason = `the Vulkan loader libvulkan.so.1 is missing, which Node's WebGPU (Dawn) needs: ${LINUX_HELP}`;
    return null;
  }
  try {
    const name = ['web', 'gpu'].join(''); // computed, so bundlers (and the minifier's constant folding) leave the optional dependency alone
    const mod = (await import(/* @vite-ignore */ name)) as NodeWebGPU;
    // TORCHLET_WEBGPU_DAWN_FEATURES: more Dawn toggles, comma-separated (benchmarks measuring e.g.
    // disable_robustness or disable_workgroup_init; never needed for correct results).
    const toggles = [...(proc.env.TORCHLET_WEBGPU_SUBGROUP_MATRIX !== '0' ? ['allow_unsafe_apis'] : []),
      ...(proc.env.TORCHLET_WEBGPU_DAWN_FEATURES ?? '').split(',').filter(Boolean)];
    return mod.create(toggles.length ? [`enable-dawn-features=${toggles.join(',')}`] : []);
  } catch (e) {
    reason = `the optional npm package 'webgpu' (Dawn, WebGPU for Node) could not be loaded (${e instanceof Error ? e.message.split('\n')[0] : String(e)}): 'npm install webgpu'`;
    return null;
  }
}

export async function acquireGPU(): Promise<GPUInfo | null> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  reason = null;
  const gpu = nav?.gpu ?? (await nodeGPU());
  if (!gpu) {
    if (nav && !reason) reason = 'navigator.gpu is missing: this browser has no WebGPU, or the page is not a secure context (https or localhost)';
    return null;
  }
  let adapter: GPUAdapter | null;
  const noAdapter = (why: string) => {
    const linux = (globalThis as { process?: { platform?: string } }).process?.platform === 'linux' && !nav?.gpu;
    reason = `${why}${linux ? `: no Vulkan driver was found. ${LINUX_HELP}` : ': no GPU driver with WebGPU support was found'}`;
    return null;
  };
  try { adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }); } catch (e) { return noAdapter(`requestAdapter() failed (${String(e)})`); }
  if (!adapter) return noAdapter('requestAdapter() found no adapter');
  const has = (f: string) => adapter.features.has(f);
  const want: GPUFeatureName[] = [];
  if (has('shader-f16')) want.push('shader-f16');
  if (has('timestamp-query')) want.push('timestamp-query');
  const subgroups = 'subgroups' as GPUFeatureName; // not in every @webgpu/types release yet
  if (has(subgroups)) want.push(subgroups);
  const sgMatrix = 'chromium-experimental-subgroup-matrix' as GPUFeatureName;
  if (has(subgroups) && has(sgMatrix)) want.push(sgMatrix);
  const al = adapter.limits;
  // Ask for the adapter's maxima: large tensors need big storage bindings, the subgroup-matrix
  // matmul more workgroup memory. Storage buffers per stage stay at the default (8), so every kernel
  // keeps within what any adapter offers.
  const requiredLimits = {
    maxStorageBufferBindingSize: al.maxStorageBufferBindingSize, maxBufferSize: al.maxBufferSize,
    maxComputeWorkgroupStorageSize: al.maxComputeWorkgroupStorageSize,
  };
  // An implementation may list a feature it then refuses (subgroups were experimental in Dawn): drop
  // the experimental subgroup matrices first, then subgroups (keeping timestamp-query and
  // shader-f16), then every feature.
  let got: GPUDevice | null = null;
  const noMatrix = want.filter((f) => f !== sgMatrix);
  for (const requiredFeatures of [want, noMatrix, noMatrix.filter((f) => f !== subgroups), []]) {
    try { got = await adapter.requestDevice({ requiredFeatures, requiredLimits }); break; } catch { /* next */ }
  }
  if (!got) { reason = 'the adapter refused to create a device (requestDevice failed even without optional features)'; return null; }
  const device = got;
  // Dawn's worker threads can crash or deadlock in static destructors when a process exits with a
  // live device (seen under vitest's forks): release the device first.
  const proc = (globalThis as { process?: { versions?: { node?: string }; once?: (ev: 'exit', f: () => void) => void } }).process;
  if (!nav?.gpu && proc?.versions?.node) proc.once?.('exit', () => { try { device.destroy(); } catch { /* exiting anyway */ } });
  const info = adapter.info as (GPUAdapterInfo & { isFallbackAdapter?: boolean; subgroupMaxSize?: number; subgroupMatrixConfigs?: readonly SubgroupMatrixConfig[] }) | undefined;
  const subgroupMatrix = device.features.has(sgMatrix) ? await matrixCaps(device, info) : null;
  const adapterName = [info?.vendor, info?.architecture, info?.device, info?.description].filter(Boolean).join(' ') || 'unknown adapter';
  // The spec moved the flag from the adapter to adapter.info; the name test catches runtimes that
  // report neither (Dawn names SwiftShader in vendor/architecture/description).
  const flagged = info?.isFallbackAdapter ?? (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false;
  return {
    device,
    keepAlive: [gpu, adapter],
    adapterName,
    isFallbackAdapter: flagged || /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render/i.test(adapterName),
    features: {
      shaderF16: device.features.has('shader-f16'), timestampQuery: device.features.has('timestamp-query'),
      subgroups: device.features.has('subgroups'), subgroupMatrix: subgroupMatrix !== null,
    },
    subgroupMatrix,
    limits: {
      maxStorageBuffersPerShaderStage: device.limits.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
      maxBufferSize: device.limits.maxBufferSize,
      minStorageBufferOffsetAlignment: device.limits.minStorageBufferOffsetAlignment,
    },
  };
}

/**
 * The device's subgroup-matrix capabilities, or null when unusable: no f32-accumulating config, or
 * neither WGSL spelling of subgroupMatrixLoad compiles (the probe is one tiny shader per spelling).
 */
async function matrixCaps(device: GPUDevice, info: { subgroupMaxSize?: number; subgroupMatrixConfigs?: readonly SubgroupMatrixConfig[] } | undefined): Promise<SubgroupMatrixCaps | null> {
  const configs = (info?.subgroupMatrixConfigs ?? []).map((c) => ({ componentType: c.componentType, resultComponentType: c.resultComponentType, M: c.M, N: c.N, K: c.K }));
  const c = configs.find((x) => x.resultComponentType === 'f32' && (x.componentType === 'f32' || device.features.has('shader-f16')));
  const sg = info?.subgroupMaxSize ?? 0;
  if (!c || !sg) return null;
  const ct = c.componentType, f16 = ct === 'f16' ? 'enable f16;\n' : '';
  const probe = (load: string) => `${f16}enable subgroups;\nenable chromium_experimental_subgroup_matrix;
@group(0) @binding(0) var<storage, read_write> buf: array<${ct}>;
@compute @workgroup_size(${sg}) fn main() { let m = ${load}; }`;
  const left = `subgroup_matrix_left<${ct}, ${c.K}, ${c.M}>`;
  for (const [syntax, load] of [['templated', `subgroupMatrixLoad<${left}, row_major>(&buf, 0u, ${c.K}u)`], ['legacy', `subgroupMatrixLoad<${left}>(&buf, 0u, false, ${c.K}u)`]] as const) {
    try {
      // In an error scope: a spelling this Dawn rejects must not surface later as the backend's error.
      device.pushErrorScope('validation');
      const mod = device.createShaderModule({ code: probe(load) });
      const msgs = await mod.getCompilationInfo();
      const scoped = await device.popErrorScope();
      if (scoped || msgs.messages.some((m) => m.type === 'error')) continue;
      return {
        configs, subgroupMaxSize: sg, shaderF16: device.features.has('shader-f16'), syntax,
        maxInvocations: device.limits.maxComputeInvocationsPerWorkgroup, maxWorkgroupStorage: device.limits.maxComputeWorkgroupStorageSize,
      };
    } catch { /* next spelling */ }
  }
  return null;
}
