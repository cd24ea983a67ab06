// The torch.nn.parallel namespace: DistributedDataParallel (multi-process data parallelism over torch.distributed).

export { DistributedDataParallel } from './distributed.js';
export type { DistributedDataParallelOptions } from './distributed.js';
