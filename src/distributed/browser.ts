// The browser build's stand-in for torch.distributed's native side (nccl.ts, nccl-ops.ts,
// cuda-access.ts, engine.ts and store.ts, which rollup.config.mjs swaps for this module there): the
// Gloo and NCCL engines are Node addons and the store is a TCP server, none of which a page can
// load. Backends report themselves unavailable and init_process_group fails saying so; nothing else
// here is reached. Keeps the bundle within its budget.

const NOT_IN_BROWSER = 'torch.distributed needs Node (a TCP store, the Gloo or NCCL addon): not available in the browser build';
const unavailable = (): never => { throw new Error(NOT_IN_BROWSER); };

/** No group is ever made, so `instanceof NcclGroup` is false for every engine. */
export class NcclGroup { done(_what: string): Promise<void> { return Promise.resolve(); } }
export const newNcclGroup = unavailable, ncclDevice = unavailable, checkNcclTensor = unavailable;
export const ncclAllReduce = unavailable, ncclBroadcast = unavailable, ncclReduce = unavailable, ncclAllGather = unavailable;
export const ncclAllGatherIntoTensor = unavailable, ncclReduceScatter = unavailable, ncclGather = unavailable, ncclScatter = unavailable;
export const ncclAllToAll = unavailable, ncclSend = unavailable, ncclRecv = unavailable, ncclBarrier = unavailable;
export async function ensureCuda(): Promise<void> { /* there is no CUDA backend to bring up */ }
export function ncclUnavailableReason(): string { return NOT_IN_BROWSER; }

export const BUILD_HINT = NOT_IN_BROWSER;
export async function glooAvailable(): Promise<boolean> { return false; }
export const openEngine = unavailable;
/** No engine works in place on CPU memory here (DDP copies), so there is nothing to fence either. */
export function cpuLiveArray(): null { return null; }
export function cpuFence(): void { /* no live arrays */ }
export class StoreServer { static listen = unavailable; }
export class StoreClient { static connect = unavailable; }
