// Which backend serves which device. The CPU backend is created on first use; the WebGPU and CUDA
// backends register themselves when `torch.init()` finds them (CUDA: one backend per device index,
// keyed 'cuda', 'cuda:1', ...). Tensors look their backend up here; parseDevice turns user strings
// into the Device keys ('cuda:0' -> 'cuda', or the current CUDA device for 'cuda').

import { deviceType, type Backend, type Device } from './backend.js';
import { WasmBackend } from './wasm/index.js';

const backends = new Map<Device, Backend>();

export function registerBackend(b: Backend): void { backends.set(b.device, b); unavailable.delete(b.device); }

/** Why torch.init() found no backend for a device (the error of using it says so). */
const unavailable = new Map<Device, string>();
export function setUnavailable(d: Device, why: string): void { unavailable.set(d, why); }
export function unavailableReason(d: Device): string | null { return unavailable.get(d) ?? null; }

/**
 * Brings CUDA up (torch.init()'s hook; torch.distributed's 'nccl' without init): registers one
 * backend per device, or records why there is none.
 */
export async function initCuda(): Promise<void> {
  let mod: typeof import('./cuda/index.js');
  try { mod = await import('./cuda/index.js'); } catch (e) {
    // The browser bundle leaves the backend out (rollup.config.mjs): its import rejects.
    setUnavailable('cuda', `the CUDA backend is not part of this build (${e instanceof Error ? e.message : String(e)})`);
    return;
  }
  const r = await mod.createCudaBackends();
  if (typeof r === 'string') setUnavailable('cuda', r);
  else for (const b of r) registerBackend(b);
}

export function hasBackend(d: Device): boolean { return d === 'cpu' || backends.has(d); }

/**
 * A dispatch mode replaces every device's backend while it is active: graph capture
 * (src/compile/capture.ts) records kernel calls instead of running them. Ops see it through
 * getBackend; the mode reaches the device's own backend through realBackend.
 */
export interface DispatchMode {
  backendFor(d: Device, real: Backend): Backend;
  /**
   * False for a mode that only observes kernels and lets them run (the profiler, which wraps
   * whatever mode it found): isCapturing() then reports the mode beneath. Absent: a capture.
   */
  readonly capturing?: boolean;
  /**
   * Runs f, eager code met in the middle of a capture (autograd's backward, an optimizer step), as
   * the mode decides (Capture.eager: ends a trace, or runs f on real tensors between two lazy
   * segments). Absent: f runs under the mode like any other code.
   */
  eager?<T>(reason: string, f: () => T): T;
}
let mode: DispatchMode | null = null;
/** Sets the active dispatch mode (null: none); returns the previous one. */
export function setDispatchMode(m: DispatchMode | null): DispatchMode | null { const p = mode; mode = m; return p; }
/** Runs f as eager code under the active dispatch mode (DispatchMode.eager); just runs it when none. */
export function runEagerly<T>(reason: string, f: () => T): T { return mode?.eager ? mode.eager(reason, f) : f(); }
/** Whether a dispatch mode (a graph capture) is active. */
export function isCapturing(): boolean { return mode !== null && mode.capturing !== false; }

/** The backend ops use for device d: the dispatch mode's, when one is active. */
export function getBackend(d: Device): Backend {
  const b = realBackend(d);
  return mode === null ? b : mode.backendFor(d, b);
}

/**
 * The backend that runs already-recorded kernels (compiled programs) on device d: the device's own,
 * seen through the active mode only when that mode observes rather than captures (the profiler).
 */
export function execBackend(d: Device): Backend {
  const b = realBackend(d);
  return mode !== null && mode.capturing === false ? mode.backendFor(d, b) : b;
}

/** The device's own backend, whatever dispatch mode is active. */
export function realBackend(d: Device): Backend {
  let b = backends.get(d);
  if (!b) {
    if (d !== 'cpu') throw new Error(unavailableMessage(d));
    b = new WasmBackend();
    backends.set('cpu', b);
  }
  return b;
}

/** Why device d has no backend, as the error of using it says (PyTorch's "invalid device ordinal" for a missing CUDA index). */
function unavailableMessage(d: Device): string {
  const type = deviceType(d);
  const why = unavailable.get(d) ?? unavailable.get(type);
  if (type === 'cuda' && d !== 'cuda' && backends.has('cuda')) {
    return `CUDA error: invalid device ordinal: device '${d}' does not exist (torch.cuda.deviceCount() is ${cudaDeviceCount()})`;
  }
  if (why) return `device '${d}' is not available: ${why}`;
  return `device '${d}' is not available: call 'await torch.init()' first and check torch.${type}.isAvailable()`;
}

/** The CUDA devices registered: 'cuda', 'cuda:1', ... have consecutive indices. */
export function cudaDeviceCount(): number {
  let n = 0;
  for (const d of backends.keys()) if (deviceType(d) === 'cuda') n++;
  return n;
}

/** What 'cuda' (without an index) means: torch.cuda.setDevice changes it, as in PyTorch. */
let currentCuda = 0;
/** The index of the current CUDA device (torch.cuda.currentDevice). */
export function currentCudaDevice(): number { return currentCuda; }
/** Makes 'cuda' mean CUDA device `index` for later parseDevice calls. */
export function setCurrentCudaDevice(index: number): void { currentCuda = index; }

export function allBackends(): Backend[] { getBackend('cpu'); return [...backends.values()]; }

/** The Device key of CUDA device `index`: 'cuda' for 0 (what tensors there report), else 'cuda:N'. */
export function cudaDevice(index: number): Device { return index === 0 ? 'cuda' : `cuda:${index}`; }
/** cudaDevice after checking a user's index (t.cuda(1), torch.cuda.setDevice(1)). */
export function cudaDeviceAt(index: unknown, op: string): Device {
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) {
    throw new TypeError(`${op}: expected a non-negative integer CUDA device index, got ${typeof index === 'string' ? `'${index}'` : String(index)}`);
  }
  return cudaDevice(index);
}

/**
 * A checked Device from a user's string: 'cpu', 'webgpu' ('webgpu:0'), 'cuda' (the current CUDA
 * device, 0 unless torch.cuda.setDevice changed it), 'cuda:N'. Whether the device has a backend is
 * asked later, when it is used (the error then says why not).
 */
export function parseDevice(d: unknown, op = 'device'): Device {
  if (d === 'cpu' || d === 'webgpu' || d === 'webgpu:0') return d === 'cpu' ? d : 'webgpu';
  if (d === 'cuda') return cudaDevice(currentCuda);
  if (typeof d === 'string') {
    const m = /^cuda:(\d+)$/.exec(d);
    if (m) {
      const index = Number(m[1]);
      if (!Number.isSafeInteger(index)) throw new TypeError(`${op}: invalid CUDA device index in '${d}'`);
      return cudaDevice(index);
    }
  }
  throw new TypeError(`${op}: expected one of 'cpu', 'webgpu', 'cuda', 'cuda:N' but got ${typeof d === 'string' ? `'${d}'` : String(d)}`);
}
