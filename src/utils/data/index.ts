// The torch.utils.data namespace: datasets, samplers, DataLoader, collate functions and randomSplit.

export { Dataset, IterableDataset, ChainDataset, TensorDataset, Subset, ConcatDataset, randomSplit } from './dataset.js';
export { Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler, WeightedRandomSampler, BatchSampler } from './sampler.js';
export { DistributedSampler, type DistributedSamplerOptions } from './distributed.js';
export { DataLoader, type DataLoaderOptions, type DatasetLike } from './dataloader.js';
export { defaultCollate, defaultConvert, type Collated, type CollateOf } from './collate.js';
export type { WorkerDatasetSpec } from './worker-pool.js';
