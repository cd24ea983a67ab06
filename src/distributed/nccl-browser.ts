// The browser build's stand-in for the NCCL engine (nccl.ts, nccl-ops.ts and cuda-access.ts, which
// rollup.config.mjs swaps for this module there): NCCL runs through the CUDA addon, which no browser
// can load, so backend 'nccl' reports itself unavailable (init_process_group then fails with that
// reason, as on a machine without CUDA) and nothing else here is reached. Keeps the bundle in budget.

const unavailable = (): never => { throw new Error(NOT_IN_BROWSER); };
const NOT_IN_BROWSER = "backend 'nccl' needs CUDA, which the browser build does not have";

/** No group is ever made, so `instanceof NcclGroup` is false for every engine. */
export class NcclGroup { done(_what: string): Promise<void> { return Promise.resolve(); } }
export const newNcclGroup = unavailable, ncclDevice = unavailable, checkNcclTensor = unavailable;
export const ncclAllReduce = unavailable, ncclBroadcast = unavailable, ncclReduce = unavailable, ncclAllGather = unavailable;
export const ncclAllGatherIntoTensor = unavailable, ncclReduceScatter = unavailable, ncclGather = unavailable, ncclScatter = unavailable;
export const ncclAllToAll = unavailable, ncclSend = unavailable, ncclRecv = unavailable, ncclBarrier = unavailable;
export async function ensureCuda(): Promise<void> { /* there is no CUDA backend to bring up */ }
export function ncclUnavailableReason(): string { return NOT_IN_BROWSER; }
