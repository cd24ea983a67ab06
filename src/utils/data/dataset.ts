// torch.utils.data datasets: the abstract Dataset (getItem(i) and length(), plus at(i) with negative
// indices and iteration), TensorDataset, Subset, ConcatDataset and randomSplit (lengths or fractions,
// split exactly as PyTorch does: floor of each fraction, remainder spread round-robin), and the
// stream-style IterableDataset (items come from [Symbol.iterator] or [Symbol.asyncIterator], no
// indices) with ChainDataset.

import { Tensor, isTensor } from '../../tensor.js';
import { Generator, randpermHost } from '../../generator.js';
import { indexList, lengthOf } from './sampler.js';

/** A map-style dataset: items by index through getItem(i), size through length() (torch.utils.data.Dataset). */
export abstract class Dataset<T = unknown> {
  /** The item at index i (0 <= i < length()); may return a Promise for async loading. */
  abstract getItem(index: number): T;
  /** Number of items. */
  abstract length(): number;
  /** getItem with PyTorch-style negative indices and a bounds check. */
  at(index: number): T {
    const n = lengthOf(this);
    const i = index < 0 ? index + n : index;
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`Dataset.at: index ${index} is out of range for a dataset of length ${n}`);
    return this.getItem(i);
  }
  /** Iterates getItem(0), ..., getItem(length() - 1). */
  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0, n = lengthOf(this); i < n; i++) yield this.getItem(i);
  }
}

/**
 * A dataset that is a stream: subclasses implement `*[Symbol.iterator]()` (sync and async loading) or
 * `async *[Symbol.asyncIterator]()` (for-await loading only). A DataLoader batches consecutive items;
 * samplers and shuffling do not apply, as in PyTorch. An optional length() sizes the loader.
 */
export class IterableDataset<T = unknown> implements Iterable<T> {
  [Symbol.iterator](): Iterator<T> {
    throw new Error(`${this.constructor.name}: an IterableDataset implements *[Symbol.iterator]() (or async *[Symbol.asyncIterator]() for for-await loading)`);
  }
}

/** Streams its iterable datasets one after another. */
export class ChainDataset<T> extends IterableDataset<T> {
  /** The chained iterable datasets, in order. */
  readonly datasets: IterableDataset<T>[];
  constructor(datasets: IterableDataset<T>[]) {
    super();
    for (const d of datasets) if (!(d instanceof IterableDataset)) throw new TypeError('ChainDataset only supports IterableDataset');
    this.datasets = [...datasets];
  }
  override *[Symbol.iterator](): Iterator<T> { for (const d of this.datasets) yield* d; }
  /** Streams each dataset in turn, awaiting async ones (for-await loading). */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (const d of this.datasets) {
      const a = (d as Partial<AsyncIterable<T>>)[Symbol.asyncIterator];
      if (a) yield* { [Symbol.asyncIterator]: () => a.call(d) }; else yield* d;
    }
  }
}

/** Rows of equally long tensors: item i is [t0[i], t1[i], ...]. */
export class TensorDataset extends Dataset<Tensor[]> {
  /** The wrapped tensors, all with the same first dim. */
  readonly tensors: Tensor[];
  constructor(...tensors: Tensor[]) {
    super();
    if (tensors.length === 0) throw new Error('TensorDataset: at least one tensor is required');
    for (const t of tensors) if (!isTensor(t)) throw new TypeError('TensorDataset: every argument must be a Tensor');
    const n = tensors[0]!.shape[0];
    if (tensors.some((t) => t.ndim === 0 || t.shape[0] !== n)) {
      throw new RangeError(`TensorDataset: Size mismatch between tensors (first dims ${tensors.map((t) => t.shape[0] ?? 'scalar').join(', ')})`);
    }
    this.tensors = tensors;
  }
  /** Row i of every tensor: [t0[i], t1[i], ...]. */
  getItem(i: number): Tensor[] { return this.tensors.map((t) => t.select(0, i)); }
  /** The shared first dim. */
  length(): number { return this.tensors[0]!.shape[0]!; }
}

/** A view of a dataset at the given indices (torch.utils.data.Subset). */
export class Subset<T> extends Dataset<T> {
  /** The indices into dataset (a tensor given is read into numbers once). */
  readonly indices: readonly number[];
  constructor(readonly dataset: Dataset<T>, indices: readonly number[] | Tensor) {
    super();
    this.indices = indexList(indices, 'Subset');
  }
  /** Item indices[i] of the underlying dataset. */
  getItem(i: number): T {
    const j = this.indices[i];
    if (j === undefined) throw new RangeError(`Subset: index ${i} is out of range for a subset of length ${this.indices.length}`);
    return this.dataset.getItem(j);
  }
  /** Number of indices. */
  length(): number { return this.indices.length; }
}

/** Concatenation of map-style datasets, indexed across them in order (torch.utils.data.ConcatDataset). */
export class ConcatDataset<T> extends Dataset<T> {
  /** The concatenated datasets, in order. */
  readonly datasets: Dataset<T>[];
  /** Running totals of the datasets' lengths. */
  readonly cumulativeSizes: number[];
  constructor(datasets: Dataset<T>[]) {
    super();
    if (datasets.length === 0) throw new Error('ConcatDataset: datasets should not be an empty iterable');
    if (datasets.some((d) => (d as unknown) instanceof IterableDataset)) throw new TypeError('ConcatDataset does not support IterableDataset');
    // Checked here: a plain array (which DataLoader accepts) would otherwise fail at the first getItem.
    datasets.forEach((d, k) => {
      if (typeof (d as { getItem?: unknown } | null)?.getItem !== 'function') {
        const kind = Array.isArray(d) ? 'an Array' : d === null ? 'null' : typeof d === 'object' ? `a ${(d as object).constructor?.name ?? 'object'}` : `a ${typeof d}`;
        throw new TypeError(`ConcatDataset: datasets[${k}] is ${kind}, not a Dataset (an object with getItem(index) and length())`);
      }
    });
    this.datasets = [...datasets];
    let acc = 0;
    this.cumulativeSizes = this.datasets.map((d) => (acc += lengthOf(d)));
  }
  /** Item i of the concatenation (negative: from the end), found in the dataset that holds it. */
  getItem(index: number): T {
    // Negative indices count from the end, as PyTorch's ConcatDataset.__getitem__.
    const n = this.length();
    if (index < 0 && -index > n) throw new RangeError(`ConcatDataset: absolute value of index should not exceed dataset length (index ${index}, length ${n})`);
    const i = index < 0 ? n + index : index;
    const k = this.cumulativeSizes.findIndex((c) => i < c);
    if (k < 0) throw new RangeError(`ConcatDataset: index ${index} is out of range for length ${n}`);
    return this.datasets[k]!.getItem(k === 0 ? i : i - this.cumulativeSizes[k - 1]!);
  }
  /** Sum of the datasets' lengths. */
  length(): number { return this.cumulativeSizes[this.cumulativeSizes.length - 1]!; }
}

/**
 * Splits into non-overlapping random subsets of the given lengths or fractions (summing to 1). The
 * generator comes positionally or, as PyTorch's keyword `generator=`, in an options object.
 */
export function randomSplit<T>(dataset: Dataset<T>, lengths: number[], generatorOrOpts?: Generator | { generator?: Generator | null } | null): Subset<T>[] {
  const generator = generatorOrOpts instanceof Generator ? generatorOrOpts : generatorOrOpts?.generator ?? null;
  const n = lengthOf(dataset);
  let sizes = lengths;
  const sum = lengths.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) < 1e-9 && sum !== n) {
    if (lengths.some((f) => f < 0 || f > 1)) throw new RangeError('randomSplit: fractions must be between 0 and 1');
    sizes = lengths.map((f) => Math.floor(n * f));
    const rest = n - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < rest; i++) sizes[i % sizes.length]! += 1;
  }
  if (sizes.reduce((a, b) => a + b, 0) !== n) throw new RangeError(`randomSplit: Sum of input lengths (${sizes.join(' + ')}) does not equal the length of the input dataset (${n})`);
  const perm = randpermHost(n, generator);
  let off = 0;
  return sizes.map((s) => { const sub = new Subset(dataset, perm.slice(off, off + s)); off += s; return sub; });
}
