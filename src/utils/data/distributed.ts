// DistributedSampler: each rank's share of a dataset's indices (torch.utils.data.DistributedSampler).
// Contract: PyTorch's exact order and lengths for shuffle: false (padding by wrapping to a multiple
// of numReplicas, or dropLast trimming), then every numReplicas-th index from `rank`. With shuffle,
// the permutation comes from torchlet's generator seeded with seed + epoch (the same on every rank,
// so the shares stay disjoint), not PyTorch's stream.

import { Generator, randpermHost } from '../../generator.js';
import { Sampler, lengthOf, type Sized } from './sampler.js';
import { getRank, getWorldSize, isInitialized } from '../../distributed/index.js';

/** Options of DistributedSampler (PyTorch's keywords in camelCase). */
export interface DistributedSamplerOptions {
  /** Number of ranks sharing the dataset (default: the world size). */
  numReplicas?: number;
  /** This rank (default: the process's rank). */
  rank?: number;
  /** Shuffle with seed + epoch (default true). */
  shuffle?: boolean;
  /** Seed of the shuffle, the same on every rank (default 0). */
  seed?: number;
  /** Drop the tail that does not divide evenly instead of padding by repetition (default false). */
  dropLast?: boolean;
}

/** Restricts sampling to this rank's share of the dataset; call setEpoch(e) each epoch to reshuffle (torch.utils.data.DistributedSampler). */
export class DistributedSampler extends Sampler {
  /** Number of ranks sharing the dataset. */
  readonly numReplicas: number;
  /** This rank. */
  readonly rank: number;
  /** Whether indices are shuffled. */
  readonly shuffle: boolean;
  /** Shuffle seed. */
  readonly seed: number;
  /** Whether the uneven tail is dropped. */
  readonly dropLast: boolean;
  /** Indices this rank yields per epoch. */
  readonly numSamples: number;
  /** numSamples x numReplicas. */
  readonly totalSize: number;
  /** Current epoch (setEpoch). */
  epoch = 0;

  constructor(readonly dataset: Sized, opts: DistributedSamplerOptions = {}) {
    super();
    if (opts.numReplicas === undefined || opts.rank === undefined) {
      if (!isInitialized()) throw new Error('DistributedSampler: give numReplicas and rank, or call torch.distributed.initProcessGroup first');
    }
    this.numReplicas = opts.numReplicas ?? getWorldSize();
    this.rank = opts.rank ?? getRank();
    if (!Number.isInteger(this.numReplicas) || this.numReplicas < 1) throw new RangeError(`DistributedSampler: numReplicas must be a positive integer, got ${this.numReplicas}`);
    if (!Number.isInteger(this.rank) || this.rank < 0 || this.rank >= this.numReplicas) {
      throw new RangeError(`DistributedSampler: Invalid rank ${this.rank}, rank should be in the interval [0, ${this.numReplicas - 1}]`);
    }
    this.shuffle = opts.shuffle ?? true;
    this.seed = opts.seed ?? 0;
    this.dropLast = opts.dropLast ?? false;
    const n = lengthOf(dataset);
    this.numSamples = this.dropLast && n % this.numReplicas !== 0
      ? Math.max(0, Math.ceil((n - this.numReplicas) / this.numReplicas))
      : Math.ceil(n / this.numReplicas);
    this.totalSize = this.numSamples * this.numReplicas;
  }

  /** Yields this rank's indices for the current epoch. */
  *[Symbol.iterator](): Iterator<number> {
    const n = lengthOf(this.dataset);
    let indices = this.shuffle ? randpermHost(n, new Generator().manualSeed(this.seed + this.epoch)) : Array.from({ length: n }, (_, i) => i);
    if (!this.dropLast) {
      const pad = this.totalSize - indices.length;
      if (pad <= indices.length) indices = indices.concat(indices.slice(0, pad));
      else indices = indices.concat(Array.from({ length: Math.ceil(pad / indices.length) }, () => indices).flat().slice(0, pad));
    } else {
      indices = indices.slice(0, this.totalSize);
    }
    for (let i = this.rank; i < this.totalSize; i += this.numReplicas) yield indices[i]!;
  }

  /** numSamples. */
  length(): number { return this.numSamples; }

  /** Sets the epoch, so that the next iteration shuffles differently (the same on every rank). */
  setEpoch(epoch: number): void {
    if (!Number.isInteger(epoch) || epoch < 0) throw new RangeError(`DistributedSampler.setEpoch: epoch must be a non-negative integer, got ${epoch}`);
    this.epoch = epoch;
  }
}
