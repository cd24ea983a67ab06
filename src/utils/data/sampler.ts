// torch.utils.data samplers: iterables of dataset indices (or of index batches for BatchSampler).
// Random samplers draw host-side from a torch.Generator, or from the global torch.manualSeed stream.

import { Generator, randpermHost, randintHost, uniformDoubles } from '../../generator.js';
import { Tensor, isTensor } from '../../tensor.js';

/** Base class of samplers: an iterable of dataset indices (or of index batches) with a length() (torch.utils.data.Sampler). */
export abstract class Sampler<T = number> implements Iterable<T> {
  /** Yields the indices (or batches) in sampling order. */
  abstract [Symbol.iterator](): Iterator<T>;
  /** Number of items the iterator yields. */
  abstract length(): number;
}

/** A dataset's size: a `length()` method (torchlet's Dataset), or a `length` number or getter. */
export type Sized = { length(): number } | { readonly length: number };
/**
 * The size of a Sized dataset, validated as a non-negative integer. `where` (the API that needs it,
 * e.g. 'DataLoader') starts the message; a Python-style len()/__len__ gets a hint.
 */
export function lengthOf(x: Sized, where?: string): number {
  const l = (x as { length: unknown }).length;
  const n = typeof l === 'function' ? (l as () => unknown).call(x) : l;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    const o = x as unknown as Record<string, unknown> | null;
    const py = o && typeof o === 'object' ? ['len', '__len__', 'size'].find((k) => typeof o[k] === 'function') : undefined;
    const hint = py ? ` (it has ${py}(): torchlet spells Python's __len__ as length())` : '';
    const name = o && typeof o === 'object' ? ` ${(o.constructor as { name?: string } | undefined)?.name ?? 'object'}` : '';
    throw new TypeError(`${where ? `${where}: ` : ''}expected a dataset with a length() method or a length property (a non-negative integer), but the dataset${name} has ${String(n)}${hint}`);
  }
  return n;
}

/** Python's type name of a sampler for messages: 'generator' for a generator object, else its class. */
function typeName(x: unknown): string {
  const tag = Object.prototype.toString.call(x);
  if (tag === '[object Generator]' || tag === '[object AsyncGenerator]') return 'generator';
  if (Array.isArray(x)) return 'Array';
  return (x as { constructor?: { name?: string } } | null)?.constructor?.name || typeof x;
}
/**
 * len(sampler): its length() method or length (a Set's size) — never found by iterating, which
 * would empty a one-shot generator and leave the epoch with nothing (PyTorch's len() raises too).
 */
export function samplerLength(s: Iterable<unknown>, where: string, role: string): number {
  const o = s as { length?: unknown; size?: unknown };
  if (typeof o.length === 'function' || typeof o.length === 'number') return lengthOf(o as Sized);
  if (typeof o.size === 'number') return o.size;
  const t = typeName(s);
  const article = /^[aeiou]/i.test(t) ? 'an' : 'a';
  throw new TypeError(`${where}: the ${role} (${article} ${t}) has no length (PyTorch: object of type '${t}' has no len()); `
    + 'give one with a length() method or a length (an array, a Sampler subclass), or count the batches yourself');
}

/**
 * Subset / SubsetRandomSampler indices as numbers: an array, or a 1-d integer tensor
 * (torch.randperm(n).slice(0, 0, k), PyTorch's randperm(n)[:k]) read once on the CPU.
 */
export function indexList(x: readonly number[] | Tensor, where: string): number[] {
  if (!isTensor(x)) return Array.from(x);
  if (x.ndim > 1) throw new TypeError(`${where}: indices must be a 1-d tensor, got shape [${x.shape.join(', ')}]`);
  if (!['int32', 'uint8', 'int64'].includes(x.dtype)) throw new TypeError(`${where}: indices must be an integer tensor (or an array of integers), got a ${x.dtype} tensor`);
  if (!x.storage.backend.synchronous) throw new TypeError(`${where}: indices is a tensor on '${x.device}', which cannot be read synchronously; pass await indices.tolist()`);
  return Array.from(x.dataSync() as ArrayLike<number>, Number);
}

/** Yields 0, 1, ..., len(dataSource) - 1 in order (torch.utils.data.SequentialSampler). */
export class SequentialSampler extends Sampler {
  constructor(readonly dataSource: Sized) { super(); }
  /** Yields 0..length()-1. */
  *[Symbol.iterator](): Iterator<number> { for (let i = 0; i < lengthOf(this.dataSource); i++) yield i; }
  /** The data source's length. */
  length(): number { return lengthOf(this.dataSource); }
}

/** Yields indices in random order, a permutation by default or with replacement; options { replacement, numSamples, generator } (torch.utils.data.RandomSampler). */
export class RandomSampler extends Sampler {
  /** Draw with replacement (default false). */
  readonly replacement: boolean;
  /** Generator of the random draws; null uses the global stream. */
  readonly generator: Generator | null;
  private readonly numSamples_: number | undefined;
  constructor(readonly dataSource: Sized, opts: { replacement?: boolean; numSamples?: number; generator?: Generator | null } = {}) {
    super();
    this.replacement = opts.replacement ?? false;
    this.numSamples_ = opts.numSamples;
    this.generator = opts.generator ?? null;
    if (this.numSamples_ !== undefined && (!Number.isInteger(this.numSamples_) || this.numSamples_ <= 0)) {
      throw new RangeError(`RandomSampler: numSamples should be a positive integer value, but got numSamples=${this.numSamples_}`);
    }
  }
  /** Number of indices per epoch (default: the data source's length). */
  get numSamples(): number { return this.numSamples_ ?? lengthOf(this.dataSource); }
  /** Yields numSamples random indices (whole permutations, then a prefix of one, without replacement). */
  *[Symbol.iterator](): Iterator<number> {
    const n = lengthOf(this.dataSource);
    if (this.replacement) { yield* randintHost(n, this.numSamples, this.generator); return; }
    // Without replacement: whole permutations, then a prefix of one more (as PyTorch).
    for (let k = 0; k < Math.floor(this.numSamples / n); k++) yield* randpermHost(n, this.generator);
    yield* randpermHost(n, this.generator).slice(0, this.numSamples % n);
  }
  /** numSamples. */
  length(): number { return this.numSamples; }
}

/** Yields the given indices in a random order, without replacement (torch.utils.data.SubsetRandomSampler). */
export class SubsetRandomSampler extends Sampler {
  /** The indices sampled from (a tensor given is read into numbers once). */
  readonly indices: readonly number[];
  constructor(indices: readonly number[] | Tensor, readonly opts: { generator?: Generator | null } = {}) {
    super();
    this.indices = indexList(indices, 'SubsetRandomSampler');
  }
  /** Yields a fresh random permutation of the indices. */
  *[Symbol.iterator](): Iterator<number> {
    for (const i of randpermHost(this.indices.length, this.opts.generator)) yield this.indices[i]!;
  }
  /** Number of indices. */
  length(): number { return this.indices.length; }
}

/** The shape of a nested array (its first elements' lengths), for the weights error. */
function nestedShape(a: unknown): number[] {
  const shape: number[] = [];
  for (let x = a; Array.isArray(x); x = x[0]) shape.push(x.length);
  return shape;
}

/** Samples indices 0..len(weights)-1 with probability proportional to weights. */
export class WeightedRandomSampler extends Sampler {
  /** Relative sampling weights, one per index. */
  readonly weights: number[];
  /** Draw with replacement (default true). */
  readonly replacement: boolean;
  /** Generator of the random draws; null uses the global stream. */
  readonly generator: Generator | null;
  constructor(weights: readonly number[] | Float32Array | Float64Array | Tensor, readonly numSamples: number, opts: { replacement?: boolean; generator?: Generator | null } = {}) {
    super();
    if (!Number.isInteger(numSamples) || numSamples <= 0) throw new RangeError(`WeightedRandomSampler: numSamples should be a positive integer value, but got numSamples=${numSamples}`);
    // PyTorch: torch.as_tensor(weights) must be 1-D (a nested list or a [n, 1] tensor is refused, not flattened).
    const shape = isTensor(weights) ? weights.shape : Array.isArray(weights) && weights.some((w) => Array.isArray(w)) ? nestedShape(weights) : null;
    if (shape && shape.length !== 1) throw new RangeError(`WeightedRandomSampler: weights should be a 1d sequence but given weights have shape (${shape.join(', ')})`);
    this.weights = isTensor(weights) ? Array.from(weights.dataSync()) : Array.from(weights);
    if (this.weights.some((w) => !(w >= 0) || !Number.isFinite(w)) || !this.weights.some((w) => w > 0)) {
      throw new RangeError('WeightedRandomSampler: weights must be finite, non-negative, with a positive sum');
    }
    this.replacement = opts.replacement ?? true;
    if (!this.replacement && numSamples > this.weights.filter((w) => w > 0).length) {
      throw new RangeError('WeightedRandomSampler: cannot sample n_sample > prob_dist.size(-1) samples without replacement');
    }
    this.generator = opts.generator ?? null;
  }
  /** Yields numSamples indices drawn in proportion to the weights. */
  *[Symbol.iterator](): Iterator<number> {
    const w = [...this.weights];
    const u = uniformDoubles(this.numSamples, this.generator);
    if (this.replacement) {
      // Inverse CDF by binary search: first index whose cumulative weight exceeds u * total.
      const cdf = new Float64Array(w.length);
      let acc = 0;
      w.forEach((x, i) => { acc += x; cdf[i] = acc; });
      for (let k = 0; k < this.numSamples; k++) {
        const r = u[k]! * acc;
        let lo = 0, hi = w.length - 1;
        while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid]! > r) hi = mid; else lo = mid + 1; }
        while (w[lo] === 0 && lo > 0) lo--; // rounding at the top end never picks a zero weight
        yield lo;
      }
      return;
    }
    for (let k = 0; k < this.numSamples; k++) {
      const total = w.reduce((a, b) => a + b, 0);
      let r = u[k]! * total, i = 0;
      // Inverse CDF; skips zero weights so a rounding edge never picks one.
      while (i < w.length - 1 && (r >= w[i]! || w[i] === 0)) { r -= w[i]!; i++; }
      while (w[i] === 0 && i > 0) i--;
      yield i;
      if (!this.replacement) w[i] = 0;
    }
  }
  /** numSamples. */
  length(): number { return this.numSamples; }
}

/** Groups another sampler's indices into arrays of batchSize (the last one shorter unless dropLast). */
export class BatchSampler extends Sampler<number[]> {
  constructor(readonly sampler: Iterable<number> & { length?: number | (() => number) }, readonly batchSize: number, readonly dropLast: boolean) {
    super();
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw new RangeError(`BatchSampler: batchSize should be a positive integer value, but got batchSize=${batchSize}`);
  }
  /** Yields batches of batchSize indices, the last shorter unless dropLast. */
  *[Symbol.iterator](): Iterator<number[]> {
    let batch: number[] = [];
    for (const i of this.sampler) {
      batch.push(i);
      if (batch.length === this.batchSize) { yield batch; batch = []; }
    }
    if (batch.length > 0 && !this.dropLast) yield batch;
  }
  /** Number of batches: floor(n / batchSize) with dropLast, else ceil. */
  length(): number {
    const n = samplerLength(this.sampler, 'BatchSampler.length', 'sampler');
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }
}
