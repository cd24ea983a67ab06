// torch.* functions that belong to no op family: default dtype/device, seeds, and memory tools.
// Public through src/generated/api/settings.ts (strict arguments, like every other public function).

import { Tensor, isTensor } from './tensor.js';
import { allBackends, getBackend, hasBackend, parseDevice } from './backends/registry.js';
import type { Backend, Device, MemoryInfo } from './backends/backend.js';
import { checkDType, resultType, type DType } from './dtype.js';
import { keep as keepImpl, tidyImpl, liveCounts, setMemoryDebug, memoryCensus } from './memory.js';
import { state, manualSeed as manualSeedImpl, initialSeed } from './state.js';
import type { WasmBackend } from './backends/wasm/index.js';
import { getNumThreads as getNumThreadsImpl, setNumThreads as setNumThreadsImpl } from './backends/wasm/threads.js';

export { setMemoryDebug, memoryCensus, initialSeed };

/** torch.isFloatingPoint(t): float16/32/64. */
export function isFloatingPoint(t: Tensor): boolean { return t.isFloatingPoint(); }
/** torch.result_type over tensors and numbers. */
export function resultTypeOf(...xs: (Tensor | number | boolean)[]): DType { return resultType(xs, state.defaultDtype); }
/** torch.device('webgpu'): a checked device string. */
export function device(d: string): Device { return parseDevice(d); }
/** Sets the default floating dtype, float32 or float64 (torch.set_default_dtype). */
export function setDefaultDtype(d: DType): void {
  const dt = checkDType(d);
  if (dt !== 'float32' && dt !== 'float64') throw new TypeError(`setDefaultDtype: only floating-point types are supported as the default type (got ${d})`);
  state.defaultDtype = dt;
}
/** The current default floating dtype (torch.get_default_dtype). */
export function getDefaultDtype(): DType { return state.defaultDtype; }
/** Sets the device new tensors are created on; the backend must be initialised (torch.set_default_device). */
export function setDefaultDevice(d: Device | string): void {
  const dev = parseDevice(d, 'setDefaultDevice');
  if (!hasBackend(dev)) {
    try { getBackend(dev); } catch (e) { throw new Error(`setDefaultDevice: ${(e as Error).message}`); } // the registry says why
  }
  state.defaultDevice = dev;
}
/** The device new tensors are created on by default (torch.get_default_device). */
export function getDefaultDevice(): Device { return state.defaultDevice; }

/** Seeds the global random generator (torch.manual_seed). */
export function manualSeed(seed: number): void { manualSeedImpl(seed); }

/**
 * Threads the CPU kernels use, the calling thread included (PyTorch's `torch.set_num_threads`).
 * Default: `TORCHLET_NUM_THREADS`, else the cores available. Large ops are cut into calls for a pool
 * of workers sharing the CPU backend's memory; results are bit-identical for every thread count.
 * @example
 * ```ts
 * torch.setNumThreads(4);
 * console.log(torch.getNumThreads(), torch.parallelInfo().workersReady);
 * ```
 */
export function setNumThreads(n: number): void { setNumThreadsImpl(n); }
/** Threads the CPU kernels use; 1 where the runtime cannot share memory (a page that is not cross-origin isolated). */
export function getNumThreads(): number { return getNumThreadsImpl(); }

/** The CPU backend's threads (PyTorch's `torch.__config__.parallel_info()`, as data). */
export interface ParallelInfo {
  /** getNumThreads(). */
  numThreads: number;
  /** Worker threads started and ready (they start with the first large op, in the background). */
  workersReady: number;
  /** Kernel calls the workers have run so far. */
  workerCalls: number;
  /** Whether the CPU memory is shared, which threads need (SharedArrayBuffer; browsers: cross-origin isolation). */
  sharedMemory: boolean;
  /** The CPU kernels in use: 'relaxed' (relaxed SIMD, FMA), 'simd128' or 'reference'. */
  kernels: string;
}
/** Thread and kernel information of the CPU backend (see ParallelInfo). */
export function parallelInfo(): ParallelInfo {
  return (getBackend('cpu') as WasmBackend).parallelInfo();
}
/** Seeds the global generator with a random 32-bit seed and returns it (torch.seed). */
export function seed(): number { const s = Math.floor(Math.random() * 2 ** 32); manualSeedImpl(s); return s; }

/** Runs fn and frees every tensor it created except what it returns (see README "memory"). */
export function tidy<T>(fn: () => T): T { return tidyImpl(fn, isTensor); }
/** Exempts t from every enclosing scope (tidy, module forwards, ops): it lives until disposed or collected. */
export function keep<T extends Tensor>(t: T): T { return keepImpl(t); }
/** Disposes every tensor found in x (arrays and plain objects are searched). */
export function dispose(x: unknown): void {
  if (isTensor(x)) x.dispose();
  else if (Array.isArray(x)) x.forEach(dispose);
  else if (x && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) Object.values(x).forEach(dispose);
}

/** What torch.memory() reports for one device: backend bytes and buffers, plus live tensors. */
export interface DeviceMemory extends MemoryInfo {
  /** Tensor objects not yet freed (disposed, released by their owner, or collected); views count. */
  tensors: number;
}
/**
 * Live memory: `torch.memory('cpu')` for one device, `torch.memory()` for every device in use.
 * allocatedBytes: held by tensors; reservedBytes: held by the allocator's pools; buffers: live
 * backend buffers; tensors: live tensor objects.
 */
export function memory(device: Device | string): DeviceMemory;
export function memory(): Record<string, DeviceMemory>;
export function memory(device?: Device | string): DeviceMemory | Record<string, DeviceMemory> {
  const of = (b: Backend): DeviceMemory => ({ ...b.memory(), tensors: liveCounts(b.device).tensors });
  if (device !== undefined) return of(getBackend(parseDevice(device, 'memory')));
  const out: Record<string, DeviceMemory> = {};
  for (const b of allBackends()) out[b.device] = of(b);
  return out;
}
