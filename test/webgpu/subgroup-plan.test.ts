// Which matmul kernel runs where (planSubgroupMatmul: pure, no GPU) against hand-derived plans for
// an H100-like adapter (NVIDIA's Vulkan configs), an Apple-like one (8x8 f32/f16) and an AMD-like
// one (subgroups up to 64), including the workgroup-memory shrink and the edge-tile grid; then the
// tensor-core WGSL through Dawn's own validation on its 'null' backend, which offers
// chromium-experimental-subgroup-matrix without a GPU (it parses and validates, it never runs).
import { afterAll, describe, expect, it } from 'vitest';
import { planSubgroupMatmul, subgroupMatmulSource, pickConfig, type MatmulProblem, type SubgroupMatrixCaps } from '../../src/backends/webgpu/subgroup_matmul.js';
import type { DType } from '../../src/dtype.js';
import { WebGPUBackend } from '../../src/backends/webgpu/index.js';
import type { GPUInfo } from '../../src/backends/webgpu/device.js';

const f16f32 = (M: number, N: number, K: number) => ({ componentType: 'f16', resultComponentType: 'f32', M, N, K });
const H100: SubgroupMatrixCaps = {
  configs: [{ componentType: 'f16', resultComponentType: 'f16', M: 16, N: 16, K: 16 }, f16f32(16, 8, 8), f16f32(16, 8, 16), f16f32(16, 16, 16),
    { componentType: 'i8', resultComponentType: 'i32', M: 16, N: 16, K: 32 }],
  subgroupMaxSize: 32, shaderF16: true, maxInvocations: 256, maxWorkgroupStorage: 49152, syntax: 'templated',
};
const APPLE: SubgroupMatrixCaps = {
  configs: [{ componentType: 'f32', resultComponentType: 'f32', M: 8, N: 8, K: 8 }, { componentType: 'f16', resultComponentType: 'f16', M: 8, N: 8, K: 8 }],
  subgroupMaxSize: 32, shaderF16: true, maxInvocations: 1024, maxWorkgroupStorage: 32768, syntax: 'templated',
};

/** A contiguous [B, M, K] x [B, K, N] problem (overrides for strides, offsets, dtype). */
function problem(B: number, M: number, N: number, K: number, over: Partial<MatmulProblem> = {}): MatmulProblem {
  const dtype: DType = over.dtype ?? 'float16';
  return { B, M, N, K, dtype, bDtype: dtype, outDtype: dtype, aOffset: 0, aStrides: [M * K, K, 1], bOffset: 0, bStrides: [K * N, N, 1], outOffset: 0, ...over };
}

describe('subgroup-matrix matmul plan', () => {
  it('float16 4096^3 on an H100: 16x16x16 f16->f32, 8 subgroups of 4x2 tiles, 128x128x32 blocks, vector staging', () => {
    const { plan } = planSubgroupMatmul(problem(1, 4096, 4096, 4096), H100);
    expect(plan).toMatchObject({
      mode: 'hw', tm: 16, tn: 16, tk: 16, ct: 'f16', wm: 2, wn: 4, rm: 4, rn: 2, kSteps: 2, bm: 128, bn: 128, bk: 32, workgroupSize: 256,
      aKC: true, bNC: true, aVec: true, bVec: true, outPairs: true,
      // As [128][32 + 8], Bs [32][128 + 8] halves; Cs one 16x16 f32 tile per subgroup.
      as: 40, bs: 136, asSize: 5120, bsSize: 4352, csSize: 2048, storageBytes: (5120 + 4352) * 2 + 2048 * 4, groups: [32, 32],
    });
  });

  it('shrinks K steps, then tile rows, to fit 16 KiB of workgroup memory', () => {
    const { plan } = planSubgroupMatmul(problem(1, 4096, 4096, 4096), { ...H100, maxWorkgroupStorage: 16384 });
    // kSteps 1: (128*24 + 16*136) * 2 + 8192 = 18688 > 16384; rm 2: (64*24 + 16*136) * 2 + 8192 = 15616.
    expect(plan).toMatchObject({ rm: 2, rn: 2, kSteps: 1, bm: 64, bn: 128, bk: 16, storageBytes: 15616, groups: [32, 64] });
  });

  it('partial edge blocks: the grid rounds up and the kernel bounds-checks them', () => {
    const { plan } = planSubgroupMatmul(problem(2, 133, 130, 200), H100, { force: true }); // 1.4e7 flops: forced
    expect(plan?.groups).toEqual([2, 2]);
    // K = 200 is a multiple of 8, so a's K-runs stage as vectors; N = 130 is not, so b's are scalar.
    expect(plan).toMatchObject({ aVec: true, bVec: false, outPairs: true });
  });

  it('transposed operands stage along their contiguous dim (column-major matrix loads)', () => {
    const M = 512, N = 256, K = 384;
    const { plan } = planSubgroupMatmul(problem(1, M, N, K, { aStrides: [M * K, 1, M], bStrides: [K * N, 1, K] }), H100);
    expect(plan).toMatchObject({ aKC: false, bNC: false, aVec: true, bVec: true, as: 128 + 8, bs: 32 + 8 });
  });

  it('odd offsets: scalar staging, and per-half float16 stores', () => {
    const { plan } = planSubgroupMatmul(problem(1, 512, 512, 512, { aOffset: 3, outOffset: 1 }), H100);
    expect(plan).toMatchObject({ aVec: false, bVec: true, outPairs: false });
  });

  it('falls back to the tiled kernels: no feature, other dtypes, no f32-accumulating config, small problems', () => {
    expect(planSubgroupMatmul(problem(1, 4096, 4096, 4096), null).why).toBe('the adapter has no subgroup matrices');
    expect(planSubgroupMatmul(problem(1, 4096, 4096, 4096, { dtype: 'float32' }), H100).why).toBe('no subgroup-matrix config for float32 with f32 accumulation');
    expect(planSubgroupMatmul(problem(1, 4096, 4096, 4096, { dtype: 'int32' }), H100).plan).toBeNull();
    expect(planSubgroupMatmul(problem(1, 4096, 4096, 4096), APPLE).why).toBe('no subgroup-matrix config for float16 with f32 accumulation');
    expect(planSubgroupMatmul(problem(1, 4096, 4096, 4096), { ...H100, shaderF16: false }).plan).toBeNull();
    expect(planSubgroupMatmul(problem(1, 4096, 4096, 4096, { outDtype: 'float32' }), H100).why).toBe('mixed dtypes (float16, float16 -> float32)');
    expect(planSubgroupMatmul(problem(1, 128, 128, 128), H100).why).toBe('too small (1x128x128x128)'); // 2^22 flops < 2^25
    expect(planSubgroupMatmul(problem(64, 1024, 1024, 16), H100).why).toBe('too small (64x1024x1024x16)'); // K < 32
    expect(planSubgroupMatmul(problem(1, 128, 128, 128), H100, { force: true }).plan).not.toBeNull();
    expect(planSubgroupMatmul(problem(1, 256, 256, 256), H100).plan).not.toBeNull(); // exactly 2^25 flops
  });

  it('float32 where an f32 config exists (Apple): 8x8x8 tiles, 8 x 4 per subgroup', () => {
    const { plan } = planSubgroupMatmul(problem(1, 2048, 2048, 2048, { dtype: 'float32' }), APPLE);
    // kSteps 4 needs (128*36 + 32*132) * 4 + 8*64*4 = 37376 bytes > 32768; kSteps 2: (128*20 + 16*132) * 4 + 2048 = 20736.
    expect(plan).toMatchObject({ tm: 8, tn: 8, tk: 8, ct: 'f32', wm: 2, wn: 4, rm: 8, rn: 4, kSteps: 2, bm: 128, bn: 128, bk: 16, workgroupSize: 256, storageBytes: 20736 });
  });

  it('subgroups up to 64 (AMD-like): 4 subgroups fill 256 invocations', () => {
    const { plan } = planSubgroupMatmul(problem(1, 4096, 4096, 4096), { ...H100, subgroupMaxSize: 64 });
    expect(plan).toMatchObject({ wm: 2, wn: 2, workgroupSize: 256, bm: 128, bn: 64 });
    expect(planSubgroupMatmul(problem(1, 4096, 4096, 4096), { ...H100, subgroupMaxSize: 512 }).why).toBe('subgroups of 512 exceed 256 invocations per workgroup');
  });

  it('picks the largest f32-accumulating config of the dtype', () => {
    expect(pickConfig(H100.configs, 'float16', true)).toEqual(f16f32(16, 16, 16));
    expect(pickConfig(H100.configs, 'float32', true)).toBeNull();
    expect(pickConfig(APPLE.configs, 'float32', true)).toEqual(APPLE.configs[0]);
  });
});

interface NodeWebGPU { create(flags: string[]): GPU }
let dawn: NodeWebGPU | null = null;
try { dawn = (await import('webgpu')) as unknown as NodeWebGPU; } catch { /* optional package absent: nothing to validate with */ }

describe.skipIf(!dawn)("tensor-core WGSL through Dawn's validation (null backend)", () => {
  // One instance and device for the file, destroyed before the process exits (Dawn's threads abort
  // in static destructors when a device outlives them).
  let held: { device: GPUDevice; sgMax: number; keep: unknown[] } | null = null;
  async function nullDevice(): Promise<{ device: GPUDevice; sgMax: number }> {
    if (held) return held;
    const gpu = dawn!.create(['backend=null', 'enable-dawn-features=allow_unsafe_apis']);
    const adapter = (await gpu.requestAdapter())!;
    const features = ['subgroups', 'chromium-experimental-subgroup-matrix', 'shader-f16'] as GPUFeatureName[];
    expect(features.every((f) => adapter.features.has(f))).toBe(true);
    const device = await adapter.requestDevice({ requiredFeatures: features });
    held = { device, sgMax: (adapter.info as GPUAdapterInfo & { subgroupMaxSize: number }).subgroupMaxSize, keep: [gpu, adapter] };
    return held;
  }
  afterAll(() => { held?.device.destroy(); });
  async function errorsOf(device: GPUDevice, code: string): Promise<string[]> {
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ code });
    const info = await module.getCompilationInfo();
    device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const err = await device.popErrorScope();
    return [...info.messages.filter((m) => m.type === 'error').map((m) => m.message), ...(err ? [err.message] : [])];
  }

  it('every variant (dtype, orientation, vector staging, f16 stores, both spellings) is valid WGSL for Dawn', async () => {
    const { device, sgMax } = await nullDevice();
    const caps: SubgroupMatrixCaps = {
      configs: [f16f32(16, 16, 16), { componentType: 'f32', resultComponentType: 'f32', M: 8, N: 8, K: 8 }],
      subgroupMaxSize: sgMax, shaderF16: true, maxInvocations: device.limits.maxComputeInvocationsPerWorkgroup,
      maxWorkgroupStorage: device.limits.maxComputeWorkgroupStorageSize, syntax: 'templated',
    };
    const M = 256, N = 256, K = 256;
    const layouts: Partial<MatmulProblem>[] = [{}, { aStrides: [M * K, 1, M], bStrides: [K * N, 1, K] }, { aOffset: 1, bOffset: 3, outOffset: 1 }];
    let checked = 0;
    for (const dtype of ['float16', 'float32'] as const) {
      for (const layout of layouts) {
        const { plan } = planSubgroupMatmul(problem(1, M, N, K, { dtype, ...layout }), caps);
        expect(plan).not.toBeNull();
        for (const syntax of ['templated', 'legacy'] as const) {
          expect(await errorsOf(device, subgroupMatmulSource(plan!, dtype, syntax))).toEqual([]);
          checked++;
        }
      }
    }
    expect(checked).toBe(12);
  });

  /** A backend over a null-backend device (nothing executes; pipelines are validated). */
  async function nullBackend(features: GPUFeatureName[], sgMax: number): Promise<WebGPUBackend> {
    const gpu = dawn!.create(['backend=null', 'enable-dawn-features=allow_unsafe_apis']);
    const adapter = (await gpu.requestAdapter())!;
    const device = await adapter.requestDevice({ requiredFeatures: features });
    const l = device.limits;
    const info: GPUInfo = {
      device, keepAlive: [gpu, adapter], adapterName: 'null', isFallbackAdapter: true,
      features: { shaderF16: features.includes('shader-f16'), timestampQuery: false, subgroups: true, subgroupMatrix: true },
      limits: { maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage, maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize, maxBufferSize: l.maxBufferSize, minStorageBufferOffsetAlignment: l.minStorageBufferOffsetAlignment },
      subgroupMatrix: { ...H100, subgroupMaxSize: sgMax, maxInvocations: l.maxComputeInvocationsPerWorkgroup, maxWorkgroupStorage: l.maxComputeWorkgroupStorageSize },
    };
    return new WebGPUBackend(info);
  }

  it('checkSubgroupMatmul keeps the feature when the kernel compiles, and turns it off with the reason when not', async () => {
    const { sgMax } = await nullDevice();
    const good = await nullBackend(['subgroups', 'chromium-experimental-subgroup-matrix', 'shader-f16'] as GPUFeatureName[], sgMax);
    await good.checkSubgroupMatmul();
    expect(good.subgroupMatrixError).toBeNull();
    expect(good.info.subgroupMatrix).not.toBeNull();
    // Caps that claim f16 on a device without shader-f16: `enable f16` is refused.
    const bad = await nullBackend(['subgroups', 'chromium-experimental-subgroup-matrix'] as GPUFeatureName[], sgMax);
    await bad.checkSubgroupMatmul();
    expect(bad.subgroupMatrixError).toMatch(/^the subgroup-matrix matmul did not compile on this adapter \(float16\): .*f16/);
    expect(bad.info.subgroupMatrix).toBeNull();
    const p = problem(1, 1024, 1024, 1024);
    expect(planSubgroupMatmul(p, bad.info.subgroupMatrix).plan).toBeNull();
    good.gpu.destroy();
    bad.gpu.destroy();
  });

  it('the validation is real: a workgroup narrower than the subgroup size is refused', async () => {
    const { device, sgMax } = await nullDevice();
    const caps: SubgroupMatrixCaps = { ...H100, subgroupMaxSize: sgMax / 2, maxWorkgroupStorage: device.limits.maxComputeWorkgroupStorageSize };
    const { plan } = planSubgroupMatmul(problem(1, 1024, 1024, 1024, { dtype: 'float16' }), caps, { tuning: { subgroups: 1 } });
    const errors = await errorsOf(device, subgroupMatmulSource(plan!, 'float16'));
    expect(errors.join('\n')).toMatch(/must be a multiple of the device maxSubgroupSize/);
  });
});
