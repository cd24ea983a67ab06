// torch.cuda: availability, device indices, properties, synchronization, seeds and the caching
// allocator's statistics of the CUDA backend (src/backends/cuda, one backend per device index).
// Contract: every function taking `device` accepts an index, 'cuda' or 'cuda:N' (default: the
// current device); on a machine without CUDA, isAvailable() is false, deviceCount() is 0,
// emptyCache() does nothing, and the rest throw "device 'cuda' is not available: <why>".
// Public through src/generated/api/cuda.ts (strict arguments).

import { deviceIndex, deviceType, type Device } from './backends/backend.js';
import {
  cudaDevice, cudaDeviceAt, cudaDeviceCount, currentCudaDevice, hasBackend, parseDevice, realBackend, setCurrentCudaDevice,
  unavailableReason as reasonOf,
} from './backends/registry.js';
import { manualSeed as seedGenerator, initialSeed as generatorSeed } from './state.js';
import { deviceAmp, type DeviceAmp } from './amp/device-amp.js';

/** What a CUDA device is (torch.cuda.get_device_properties). */
export interface CudaDeviceProperties {
  /** The product name, e.g. 'NVIDIA H100 80GB HBM3'. */
  name: string;
  /** Device memory in bytes. */
  totalMemory: number;
  /** Compute capability, major (9 on Hopper). */
  major: number;
  /** Compute capability, minor. */
  minor: number;
  /** Streaming multiprocessors. */
  multiProcessorCount: number;
}

/** The caching allocator's counters of one device (bytes; the addon's memoryStats, native-cuda/ABI.md). */
interface AllocatorStats { allocated: number; reserved: number; maxAllocated: number; segments: number }

/** What torch.cuda uses of a CUDA backend: its addon (native-cuda/ABI.md), called with the device's index. */
interface CudaBackendShape {
  readonly addon: {
    deviceName(dev: number): string;
    deviceProperties(dev: number): CudaDeviceProperties;
    memoryStats(dev: number): AllocatorStats;
    resetPeakMemoryStats(dev: number): void;
  };
  synchronize(): Promise<void>;
  emptyCache(): void;
}

/** The device `device` names (default: the current one), checked to be a CUDA device. */
function resolve(device: number | Device | string | undefined, op: string): Device {
  if (device === undefined) return cudaDevice(currentCudaDevice());
  if (typeof device === 'number') return cudaDeviceAt(device, `torch.cuda.${op}`);
  const d = parseDevice(device, `torch.cuda.${op}`);
  if (deviceType(d) !== 'cuda') throw new TypeError(`torch.cuda.${op}: expected a CUDA device, but got '${device}'`);
  return d;
}

/** The backend of a CUDA device, with the registry's error (why CUDA is missing, or the invalid ordinal) naming the function. */
function backendOf(device: number | Device | string | undefined, op: string): { b: CudaBackendShape; index: number } {
  const d = resolve(device, op);
  try {
    return { b: realBackend(d) as unknown as CudaBackendShape, index: deviceIndex(d) };
  } catch (e) {
    throw new Error(`torch.cuda.${op}: ${(e as Error).message}`);
  }
}

/** Whether the CUDA backend is registered (after `await torch.init()`, with the addon built by `npm run build:cuda`). */
export function isAvailable(): boolean { return hasBackend('cuda'); }

/**
 * Why CUDA is not available after `await torch.init()` — the addon is not built (`npm run build:cuda`),
 * no NVIDIA driver (libcuda.so.1), or no device — or null when it is available or init() has not run.
 */
export function unavailableReason(): string | null { return hasBackend('cuda') ? null : reasonOf('cuda'); }

/** Number of CUDA devices torchlet uses ('cuda', 'cuda:1', ...); 0 without CUDA (torch.cuda.device_count). */
export function deviceCount(): number { return cudaDeviceCount(); }

/** The index of the device 'cuda' means (torch.cuda.current_device); 0 unless setDevice changed it. */
export function currentDevice(): number {
  if (!hasBackend('cuda')) backendOf(undefined, 'currentDevice');
  return currentCudaDevice();
}

/**
 * Makes 'cuda' mean CUDA device `device` for tensors created afterwards (torch.cuda.set_device).
 * A tensor on device 0 reports 'cuda', on device N 'cuda:N', whatever the current device.
 */
export function setDevice(device: number | Device | string): void {
  const d = resolve(device, 'setDevice');
  backendOf(d, 'setDevice'); // exists, or the error says why not
  setCurrentCudaDevice(deviceIndex(d));
}

/** The product name of a CUDA device (torch.cuda.get_device_name), e.g. 'NVIDIA H100 80GB HBM3'. */
export function getDeviceName(device?: number | Device | string): string {
  const { b, index } = backendOf(device, 'getDeviceName');
  return b.addon.deviceName(index);
}

/** Name, memory, compute capability and multiprocessors of a CUDA device (torch.cuda.get_device_properties). */
export function getDeviceProperties(device?: number | Device | string): CudaDeviceProperties {
  const { b, index } = backendOf(device, 'getDeviceProperties');
  const p = b.addon.deviceProperties(index);
  return { name: p.name, totalMemory: p.totalMemory, major: p.major, minor: p.minor, multiProcessorCount: p.multiProcessorCount };
}

/** Resolves when every kernel queued so far on a CUDA device has finished (torch.cuda.synchronize); rejects with a queued kernel's error. */
export async function synchronize(device?: number | Device | string): Promise<void> {
  await backendOf(device, 'synchronize').b.synchronize();
}

/**
 * Seeds the random generator (torch.cuda.manual_seed). torchlet has one Philox generator for every
 * device (the same numbers on CPU, WebGPU and CUDA), so this is torch.manualSeed: the CPU stream is
 * reseeded too, unlike PyTorch where the CUDA generators are separate.
 */
export function manualSeed(seed: number): void { seedGenerator(seed); }
/** Seeds the random generator of every CUDA device (torch.cuda.manual_seed_all): torch.manualSeed, as manualSeed. */
export function manualSeedAll(seed: number): void { seedGenerator(seed); }
/** The seed of the generator CUDA tensors draw from (torch.cuda.initial_seed): torch.initialSeed(). */
export function initialSeed(): number { return generatorSeed(); }

/** Bytes held by live tensors on a CUDA device (torch.cuda.memory_allocated). */
export function memoryAllocated(device?: number | Device | string): number {
  const { b, index } = backendOf(device, 'memoryAllocated');
  return b.addon.memoryStats(index).allocated;
}
/** Bytes the caching allocator holds on a CUDA device, cached free blocks included (torch.cuda.memory_reserved). */
export function memoryReserved(device?: number | Device | string): number {
  const { b, index } = backendOf(device, 'memoryReserved');
  return b.addon.memoryStats(index).reserved;
}
/** The peak of memoryAllocated since start-up or resetPeakMemoryStats (torch.cuda.max_memory_allocated). */
export function maxMemoryAllocated(device?: number | Device | string): number {
  const { b, index } = backendOf(device, 'maxMemoryAllocated');
  return b.addon.memoryStats(index).maxAllocated;
}
/** Starts maxMemoryAllocated over from the current allocation (torch.cuda.reset_peak_memory_stats). */
export function resetPeakMemoryStats(device?: number | Device | string): void {
  const { b, index } = backendOf(device, 'resetPeakMemoryStats');
  b.addon.resetPeakMemoryStats(index);
}
/**
 * Returns the caching allocator's free blocks on every CUDA device to the driver (torch.cuda.empty_cache);
 * live tensors are untouched. Does nothing without CUDA, as PyTorch's.
 */
export function emptyCache(): void {
  for (let i = 0; i < cudaDeviceCount(); i++) (realBackend(cudaDevice(i)) as unknown as CudaBackendShape).emptyCache();
}

/** torch.cuda.amp: PyTorch 1.13's CUDA spelling of autocast and GradScaler (`new torch.cuda.amp.GradScaler({ enabled })`). */
export const amp: DeviceAmp = deviceAmp('cuda');
