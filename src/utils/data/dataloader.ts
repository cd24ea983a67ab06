// DataLoader: batches a dataset through a sampler (sequential, or shuffled from a seeded
// torch.Generator) and a collate function. `for (const b of loader)` loads synchronously in-process;
// `for await (const b of loader)` also accepts async getItem, keeps `prefetch` batches in flight,
// and with numWorkers > 0 loads in worker threads (Node) / Web Workers (browsers). Workers need
// `workerDataset`: a module that builds the same dataset in each worker, whose items are plain data;
// without it (PyTorch code's num_workers) the same batches load on the main thread, with a warning.
// An IterableDataset is consumed as a stream: consecutive items are grouped into batches (no sampler).

import { yieldToFinalizers } from '../../memory.js';
import { Generator } from '../../generator.js';
import { defaultConvert, loaderCollate, type CollateOf } from './collate.js';
import { BatchSampler, RandomSampler, SequentialSampler, lengthOf, samplerLength, type Sized } from './sampler.js';
import { WorkerPool, type WorkerDatasetSpec } from './worker-pool.js';
import { IterableDataset } from './dataset.js';

/** Anything indexable: a Dataset, or an object with getItem and a length() method or length property. Arrays too. */
export type DatasetLike<T> = { getItem(index: number): T | Promise<T> } & Sized;

/** Options for DataLoader (PyTorch's keywords in camelCase). */
export interface DataLoaderOptions<T, B> {
  /** Samples per batch (default 1); null yields single samples, uncollated into a batch. */
  batchSize?: number | null;
  /** Reshuffle the indices every epoch (default false); exclusive with sampler. */
  shuffle?: boolean;
  /** Iterable of dataset indices that sets the order; exclusive with shuffle. */
  sampler?: Iterable<number>;
  /** Iterable of index batches; exclusive with batchSize, shuffle, sampler and dropLast. */
  batchSampler?: Iterable<number[]>;
  /** Worker threads loading items (default 0: the main thread); needs workerDataset. */
  numWorkers?: number;
  /** Merges a list of samples into a batch (default: defaultCollate, keeping a field that was ever fractional float32 in later batches; defaultConvert when batchSize is null). */
  collateFn?: (batch: T[]) => B;
  /** Drop the last incomplete batch (default false). */
  dropLast?: boolean;
  /** Generator for shuffling; null uses the global stream. */
  generator?: Generator | null;
  /** Batches prepared ahead in async iteration (per worker when numWorkers > 0). Default 2. */
  prefetch?: number;
  /** Required when numWorkers > 0: how each worker builds the dataset. */
  workerDataset?: WorkerDatasetSpec;
  /** PyTorch's name of prefetch (batches ahead per worker); giving both with different values is an error. */
  prefetchFactor?: number;
  /** Accepted for PyTorch code: JavaScript has no page-locked host memory, and uploads to a device are queued without blocking anyway. */
  pinMemory?: boolean;
  /** Accepted with pinMemory (no effect either). */
  pinMemoryDevice?: string;
  /** Accepted for PyTorch code: workers start with each epoch's async iteration and stop at its end; keeping them would only save start-up time. */
  persistentWorkers?: boolean;
  /** PyTorch calls it in each worker; a JavaScript closure cannot cross into a worker thread, so with numWorkers > 0 it is an error (do the set-up in workerDataset's module). Unused with numWorkers 0, as in PyTorch. */
  workerInitFn?: ((workerId: number) => void) | null;
}

let warnedNoWorkerDataset = false;
const isPromise = (x: unknown): x is Promise<unknown> => !!x && typeof (x as { then?: unknown }).then === 'function';

/**
 * Iterates over a dataset in batches (torch.utils.data.DataLoader), with shuffling, samplers,
 * collation and optional worker threads; iterate with `for` (sync datasets) or `for await`.
 * @example
 * ```ts
 * const ds = new torch.utils.data.TensorDataset(images, labels);
 * const loader = new torch.utils.data.DataLoader(ds, { batchSize: 64, shuffle: true });
 * for (const [x, y] of loader) { ... }
 * ```
 */
export class DataLoader<T = unknown, B = CollateOf<T>> implements Iterable<B>, AsyncIterable<B> {
  /** The dataset loaded from (arrays are wrapped as datasets). */
  readonly dataset: DatasetLike<T>;
  /** Samples per batch, or null when not batching. */
  readonly batchSize: number | null;
  /** Whether the last incomplete batch is dropped. */
  readonly dropLast: boolean;
  /** Number of worker threads (0: load on the main thread). */
  readonly numWorkers: number;
  /** Batches prepared ahead in async iteration. */
  readonly prefetch: number;
  /** The index sampler in use. */
  readonly sampler: Iterable<number>;
  /** The batch sampler in use, or null when batchSize is null. */
  readonly batchSampler: Iterable<number[]> | null;
  /** The function that turns a list of samples into a batch. */
  readonly collateFn: (batch: T[]) => B;
  private readonly workerDataset: WorkerDatasetSpec | undefined;

  /** Set when the dataset is an IterableDataset (then `dataset` is an empty stand-in). */
  private readonly stream: IterableDataset<T> | null = null;

  constructor(dataset: DatasetLike<T> | readonly T[] | IterableDataset<T>, opts: DataLoaderOptions<T, B> = {}) {
    if (dataset instanceof IterableDataset) {
      // PyTorch: an IterableDataset decides its own order, so order-giving options are errors.
      if (opts.shuffle) throw new Error(`DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle=${String(opts.shuffle)}`);
      if (opts.sampler) throw new Error('DataLoader with IterableDataset: expected unspecified sampler option, but got a sampler');
      if (opts.batchSampler) throw new Error('DataLoader with IterableDataset: expected unspecified batchSampler option, but got a batchSampler');
      if (opts.numWorkers) throw new Error('DataLoader with IterableDataset: numWorkers > 0 is not supported (each worker would replay the whole stream)');
      const bs = opts.batchSize === undefined ? 1 : opts.batchSize;
      if (bs !== null && (!Number.isInteger(bs) || bs <= 0)) throw new RangeError(`DataLoader: batchSize should be a positive integer value, but got batchSize=${bs}`);
      this.stream = dataset;
      this.dataset = { getItem: () => { throw new Error('DataLoader: an IterableDataset has no getItem'); }, length: 0 };
      this.batchSize = bs; this.dropLast = opts.dropLast ?? false; this.numWorkers = 0; this.prefetch = opts.prefetch ?? opts.prefetchFactor ?? 2;
      if (!Number.isInteger(this.prefetch) || this.prefetch < 1) throw new RangeError(`DataLoader: prefetch must be a positive integer, got ${this.prefetch}`);
      this.workerDataset = undefined;
      this.sampler = []; this.batchSampler = null;
      this.collateFn = opts.collateFn ?? ((bs !== null ? loaderCollate() : (b: T[]) => defaultConvert(b[0])) as unknown as (batch: T[]) => B);
      return;
    }
    if (!Array.isArray(dataset) && typeof (dataset as { getItem?: unknown }).getItem !== 'function') {
      throw new TypeError('DataLoader: the dataset needs a getItem(index) method (and length() or length), or be an array');
    }
    this.dataset = Array.isArray(dataset) ? { getItem: (i) => (dataset as T[])[i]!, length: () => dataset.length } : (dataset as DatasetLike<T>);
    lengthOf(this.dataset, 'DataLoader'); // a clear error now rather than at the first epoch
    const bs = opts.batchSize === undefined ? 1 : opts.batchSize;
    if (opts.sampler && opts.shuffle) throw new Error('DataLoader: sampler option is mutually exclusive with shuffle');
    if (opts.batchSampler && (bs !== 1 || opts.shuffle || opts.sampler || opts.dropLast)) {
      throw new Error('DataLoader: batchSampler option is mutually exclusive with batchSize, shuffle, sampler, and dropLast');
    }
    if (bs !== null && (!Number.isInteger(bs) || bs <= 0)) throw new RangeError(`DataLoader: batchSize should be a positive integer value, but got batchSize=${bs}`);
    this.numWorkers = opts.numWorkers ?? 0;
    if (!Number.isInteger(this.numWorkers) || this.numWorkers < 0) throw new RangeError(`DataLoader: numWorkers option should be non-negative, got ${this.numWorkers}`);
    if (this.numWorkers > 0 && !opts.workerDataset && !warnedNoWorkerDataset) {
      // PyTorch code passes num_workers everywhere; the batches are the same when loaded here, only
      // not in parallel, so this is a warning (once), not an error.
      warnedNoWorkerDataset = true;
      console.warn(`DataLoader: numWorkers=${this.numWorkers} without workerDataset loads on the main thread (a dataset object cannot be sent to a worker thread); give workerDataset: { url, exportName, args }, a module that builds the dataset in each worker, to load in ${this.numWorkers} workers`);
    }
    this.workerDataset = opts.workerDataset;
    if (this.numWorkers > 0 && opts.workerInitFn) {
      throw new Error('DataLoader: workerInitFn cannot run in worker threads (a JavaScript function cannot be sent to a worker); do per-worker set-up in the module named by workerDataset');
    }
    if (opts.prefetch !== undefined && opts.prefetchFactor !== undefined && opts.prefetch !== opts.prefetchFactor) {
      throw new Error(`DataLoader: prefetch (${opts.prefetch}) and prefetchFactor (${opts.prefetchFactor}) are the same option; give one`);
    }
    this.prefetch = opts.prefetch ?? opts.prefetchFactor ?? 2;
    if (!Number.isInteger(this.prefetch) || this.prefetch < 1) throw new RangeError(`DataLoader: prefetch must be a positive integer, got ${this.prefetch}`);
    this.batchSize = opts.batchSampler ? null : bs;
    this.dropLast = opts.dropLast ?? false;
    this.sampler = opts.sampler ?? (opts.shuffle ? new RandomSampler(this.dataset, { generator: opts.generator ?? null }) : new SequentialSampler(this.dataset));
    this.batchSampler = opts.batchSampler ?? (this.batchSize !== null ? new BatchSampler(this.sampler, this.batchSize, this.dropLast) : null);
    // Our own collate per loader (not the shared defaultCollate): it keeps a float field float32 across batches.
    this.collateFn = opts.collateFn ?? ((this.batchSampler ? loaderCollate() : (b: T[]) => defaultConvert(b[0])) as unknown as (batch: T[]) => B);
  }

  /** Number of batches per epoch (or samples when batchSize is null). */
  length(): number {
    if (this.stream) {
      // As PyTorch's len(loader) for an IterableDataset: the dataset's own length, batched.
      const sized = this.stream as unknown as Partial<{ length: unknown }>;
      if (sized.length === undefined) throw new TypeError(`DataLoader: ${this.stream.constructor.name} (an IterableDataset) has no length()`);
      const n = lengthOf(this.stream as unknown as Sized);
      if (this.batchSize === null) return n;
      return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
    }
    // Our own BatchSampler over the sampler: name the sampler the user gave in the error.
    if (this.batchSampler instanceof BatchSampler && this.batchSampler.sampler === this.sampler) {
      const n = samplerLength(this.sampler, 'DataLoader.length', 'sampler');
      return this.dropLast ? Math.floor(n / this.batchSampler.batchSize) : Math.ceil(n / this.batchSampler.batchSize);
    }
    if (this.batchSampler) return samplerLength(this.batchSampler, 'DataLoader.length', 'batchSampler');
    return samplerLength(this.sampler, 'DataLoader.length', 'sampler');
  }

  private *indexBatches(): Generator_<number[]> {
    if (this.batchSampler) yield* this.batchSampler;
    else for (const i of this.sampler) yield [i];
  }

  /** Groups consecutive stream items into batches of batchSize (one item each when batchSize is null). */
  private *streamBatches(items: Iterable<T>): Generator_<T[]> {
    const bs = this.batchSize ?? 1;
    let buf: T[] = [];
    for (const x of items) {
      buf.push(x);
      if (buf.length === bs) { yield buf; buf = []; }
    }
    if (buf.length > 0 && !this.dropLast) yield buf;
  }
  private async *streamBatchesAsync(): AsyncGenerator<T[], void, unknown> {
    const ds = this.stream!;
    const asyncIt = (ds as Partial<AsyncIterable<T>>)[Symbol.asyncIterator];
    const src: AsyncIterable<T> | Iterable<T> = asyncIt ? { [Symbol.asyncIterator]: () => asyncIt.call(ds) } : ds;
    const bs = this.batchSize ?? 1;
    let buf: T[] = [];
    for await (const x of src) {
      buf.push(x);
      if (buf.length === bs) { yield buf; buf = []; }
    }
    if (buf.length > 0 && !this.dropLast) yield buf;
  }

  /** Iterates the batches of one epoch synchronously (getItem must not return Promises; workers need for await). */
  *[Symbol.iterator](): Iterator<B> {
    if (this.stream) {
      for (const items of this.streamBatches(this.stream)) {
        if (items.some(isPromise)) throw new Error('DataLoader: the IterableDataset yielded a Promise; iterate with `for await (const batch of loader)`');
        yield this.collateFn(items);
      }
      return;
    }
    if (this.workerDataset && this.numWorkers > 0) throw new Error('DataLoader: workers (numWorkers > 0 with workerDataset) load asynchronously; iterate with `for await (const batch of loader)`');
    for (const idx of this.indexBatches()) {
      const items = idx.map((i) => {
        const it = this.dataset.getItem(i);
        if (isPromise(it)) throw new Error('DataLoader: the dataset returned a Promise from getItem; iterate with `for await (const batch of loader)`');
        return it as T;
      });
      yield this.collateFn(items);
    }
  }

  /** Iterates the batches of one epoch with for await, awaiting async items and using workers when configured. */
  async *[Symbol.asyncIterator](): AsyncIterator<B> {
    if (this.stream) {
      for await (const items of this.streamBatchesAsync()) {
        const pause = yieldToFinalizers();
        if (pause) await pause;
        yield this.collateFn(await Promise.all(items));
      }
      return;
    }
    const pool = this.numWorkers > 0 && this.workerDataset ? await WorkerPool.create(this.numWorkers, this.workerDataset) : null;
    const load = (idx: number[]): Promise<T[]> => (pool ? (pool.fetch(idx) as Promise<T[]>) : Promise.all(idx.map((i) => this.dataset.getItem(i))));
    const ahead = this.prefetch * (pool ? this.numWorkers : 1);
    const queue: Promise<T[]>[] = [];
    const it = this.indexBatches();
    const fill = (): void => {
      while (queue.length < ahead) {
        const n = it.next();
        if (n.done) return;
        const p = load(n.value);
        p.catch(() => undefined); // surfaced when awaited in order
        queue.push(p);
      }
    };
    try {
      fill();
      while (queue.length > 0) {
        const items = await queue.shift()!;
        fill();
        const pause = yieldToFinalizers(); // an await point: let dropped batches' finalizers run
        if (pause) await pause;
        yield this.collateFn(items);
      }
    } finally {
      pool?.close();
    }
  }
}

type Generator_<T> = globalThis.Generator<T, void, unknown>;
