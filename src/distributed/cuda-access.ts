// The one place torch.distributed reaches into the CUDA backend (src/backends/cuda): its addon's
// NCCL entry points (native-cuda/ABI.md), whether libnccl was found, a tensor's device address,
// which device a rank uses. Contract: nothing here moves data; nccl.ts and nccl-ops.ts do, through
// what these functions return. If the backend's shape changes, this file alone follows it.

import type { Tensor } from '../tensor.js';
import { itemSize } from '../dtype.js';
import { deviceType } from '../backends/backend.js';
import { cudaDevice, cudaDeviceCount, currentCudaDevice, hasBackend, initCuda, realBackend, setCurrentCudaDevice, unavailableReason } from '../backends/registry.js';
import type { CudaBackend, CudaBuffer } from '../backends/cuda/index.js';

/** The CUDA addon's NCCL functions (native-cuda/ABI.md); each throws a clear Error when libnccl was not found. */
export interface NcclAddon {
  /** 128 bytes. */
  ncclGetUniqueId(): Uint8Array;
  /** A communicator handle (a Promise where the addon initializes off the JS thread). */
  ncclCommInitRank(dev: number, id: Uint8Array, nranks: number, rank: number): number | Promise<number>;
  ncclCommDestroy(comm: number): void;
  ncclCollective(comm: number, op: string, o: { send: number; recv: number; count: number; dtype: string; redOp?: string; root?: number; peer?: number }): void;
  ncclGroupStart(): void;
  ncclGroupEnd(): void;
}

/** What the NCCL engine uses of one device's CUDA backend. */
export interface CudaSide {
  readonly addon: NcclAddon;
  /** Resolves when the device's stream has reached everything enqueued so far. */
  synchronize(): Promise<void>;
}

/** CUDA device `index`'s backend (registered by torch.init(): a CudaBackend). */
function backendAt(index: number): CudaBackend {
  return realBackend(cudaDevice(index)) as CudaBackend;
}

/**
 * Brings the CUDA backend up if torch.init() has not (PyTorch needs no init call before
 * init_process_group either); afterwards ncclUnavailableReason() knows why it is missing.
 */
export async function ensureCuda(): Promise<void> {
  if (hasBackend('cuda') || unavailableReason('cuda') !== null) return;
  await initCuda();
}

/** Why backend 'nccl' cannot run here, or null when it can (CUDA up, libnccl found by the addon). */
export function ncclUnavailableReason(): string | null {
  if (!hasBackend('cuda')) {
    return `backend 'nccl' needs CUDA: ${unavailableReason('cuda') ?? "the CUDA backend is not initialized (call 'await torch.init()' first and check torch.cuda.isAvailable())"}`;
  }
  const b = backendAt(0);
  if (b.info.nccl) return null;
  // The addon's own words say where it looked (its NCCL calls throw them while NCCL is missing).
  let why = 'the CUDA addon did not find it';
  try { b.addon.ncclGetUniqueId(); } catch (e) { why = (e as Error).message; }
  return `backend 'nccl' needs libnccl.so.2: ${why}`;
}

/**
 * The CUDA device index this rank's communicators use: the current device when torch.cuda.setDevice
 * chose one other than 0, else LOCAL_RANK modulo the device count (one GPU per local rank, as
 * torchrun jobs expect). It becomes the current device, so that 'cuda' means this rank's GPU.
 */
export function ncclDevice(localRank: number): number {
  const count = cudaDeviceCount();
  const dev = currentCudaDevice() !== 0 ? currentCudaDevice() : localRank % count;
  setCurrentCudaDevice(dev);
  return dev;
}

/** The CUDA backend of device `index`, as the NCCL engine uses it. */
export function cudaBackendOf(index: number, what: string): CudaSide {
  const why = ncclUnavailableReason();
  if (why) throw new Error(`${what}: ${why}`);
  return backendAt(index);
}

/** The device address of t's first element (t on CUDA). */
export function devicePointer(t: Tensor): number {
  if (deviceType(t.device) !== 'cuda') throw new Error(`devicePointer: tensor on '${t.device}' is not a CUDA tensor`);
  return (t.view_().buf as CudaBuffer).ptr + t.storageOffset() * itemSize[t.dtype];
}
