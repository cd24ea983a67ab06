// torch.utils.data: datasets, randomSplit, samplers, default collate, DataLoader (sync, async with
// prefetch, worker threads) and torch.Generator reproducibility. Expected values come from the
// definitions (index arithmetic, permutation/coverage properties), not from our own output.
import { describe, expect, it, vi } from 'vitest';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

await torch.init();
const { Dataset, TensorDataset, Subset, ConcatDataset, randomSplit, DataLoader, SequentialSampler, RandomSampler,
  BatchSampler, WeightedRandomSampler, SubsetRandomSampler, defaultCollate } = torch.utils.data;

class Range extends Dataset<number> {
  constructor(private readonly n: number) { super(); }
  getItem(i: number): number { return i; }
  length(): number { return this.n; }
}
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const iota = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('datasets', () => {
  it('TensorDataset, at(), Subset, ConcatDataset', () => {
    const x = torch.arange(12).reshape(4, 3), y = torch.tensor([10, 11, 12, 13]);
    const ds = new TensorDataset(x, y);
    expect(ds.length()).toBe(4);
    const [xi, yi] = ds.getItem(2);
    expect(xi!.tolistSync()).toEqual([6, 7, 8]);
    expect(yi!.itemSync()).toBe(12);
    expect(ds.at(-1)[1]!.itemSync()).toBe(13);
    expect(() => ds.at(4)).toThrow(/out of range/);
    expect(() => new TensorDataset(x, torch.zeros(3))).toThrow(/Size mismatch/);
    const sub = new Subset(new Range(10), [7, 2, 5]);
    expect([...sub]).toEqual([7, 2, 5]);
    const cat = new ConcatDataset([new Range(3), new Range(2)]);
    expect(cat.length()).toBe(5);
    expect([...cat]).toEqual([0, 1, 2, 0, 1]);
  });
  it('randomSplit by lengths and fractions is a seeded partition', () => {
    const g = new torch.Generator().manualSeed(42);
    const parts = randomSplit(new Range(10), [0.5, 0.3, 0.2], g);
    expect(parts.map((p) => p.length())).toEqual([5, 3, 2]);
    expect(sorted(parts.flatMap((p) => [...p]))).toEqual(iota(10));
    const again = randomSplit(new Range(10), [5, 3, 2], new torch.Generator().manualSeed(42));
    expect(again.map((p) => [...p])).toEqual(parts.map((p) => [...p]));
    // PyTorch's idiom calls the class without `new`: torch.Generator().manual_seed(42).
    const called = (torch.Generator as unknown as () => InstanceType<typeof torch.Generator>)();
    expect(called).toBeInstanceOf(torch.Generator);
    expect(randomSplit(new Range(10), [5, 3, 2], called.manualSeed(42)).map((p) => [...p])).toEqual(parts.map((p) => [...p]));
    expect(randomSplit(new Range(10), [5, 3, 2], { generator: new torch.Generator().manualSeed(42) }).map((p) => [...p])).toEqual(parts.map((p) => [...p]));
    expect(() => randomSplit(new Range(10), [5, 5], { generater: null } as never)).toThrow(/randomSplit.*generater/);
    expect(new torch.Generator('cpu').initialSeed()).toBe(new torch.Generator({ device: 'cpu' }).initialSeed());
    expect(() => new torch.Generator({ devise: 'cpu' } as never)).toThrow(/Generator\(\): .*unknown option 'devise'/);
    // Fractions that do not divide evenly: floor each, remainder round-robin from the first.
    expect(randomSplit(new Range(11), [0.5, 0.5]).map((p) => p.length())).toEqual([6, 5]);
    expect(() => randomSplit(new Range(10), [3, 3])).toThrow(/does not equal the length/);
  });
});

describe('samplers', () => {
  it('sequential, random (permutation, replacement, numSamples), subset, batch', () => {
    expect([...new SequentialSampler(new Range(4))]).toEqual([0, 1, 2, 3]);
    const perm = [...new RandomSampler(new Range(50), { generator: new torch.Generator().manualSeed(1) })];
    expect(sorted(perm)).toEqual(iota(50));
    expect(perm).not.toEqual(iota(50));
    const longer = [...new RandomSampler(new Range(4), { numSamples: 10 })];
    expect(longer.length).toBe(10);
    expect(sorted(longer.slice(0, 4))).toEqual(iota(4)); // whole permutations first
    const withRep = [...new RandomSampler(new Range(3), { replacement: true, numSamples: 200 })];
    expect(withRep.every((i) => i >= 0 && i < 3)).toBe(true);
    expect(new Set(withRep).size).toBe(3);
    expect(sorted([...new SubsetRandomSampler([4, 8, 15])])).toEqual([4, 8, 15]);
    expect([...new BatchSampler(new SequentialSampler(new Range(7)), 3, false)]).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    const bs = new BatchSampler(new SequentialSampler(new Range(7)), 3, true);
    expect([...bs]).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(bs.length()).toBe(2);
  });
  it('WeightedRandomSampler follows the weights; zero weights never drawn', () => {
    const g = new torch.Generator().manualSeed(7);
    const draws = [...new WeightedRandomSampler([0, 1, 3], 4000, { generator: g })];
    const counts = [0, 1, 2].map((k) => draws.filter((d) => d === k).length);
    expect(counts[0]).toBe(0);
    expect(counts[2]! / 4000).toBeGreaterThan(0.72);
    expect(counts[2]! / 4000).toBeLessThan(0.78);
    const noRep = [...new WeightedRandomSampler([1, 1, 1, 0, 5], 4, { replacement: false })];
    expect(sorted(noRep)).toEqual([0, 1, 2, 4]);
    expect(() => new WeightedRandomSampler([1, 0], 2, { replacement: false })).toThrow(/without replacement/);
  });
  it('the same seed gives the same order; the global seed drives samplers without a generator', () => {
    const a = [...new RandomSampler(new Range(20), { generator: new torch.Generator().manualSeed(3) })];
    const b = [...new RandomSampler(new Range(20), { generator: new torch.Generator().manualSeed(3) })];
    expect(a).toEqual(b);
    torch.manualSeed(5); const c = [...new RandomSampler(new Range(20))];
    torch.manualSeed(5); const d = [...new RandomSampler(new Range(20))];
    expect(c).toEqual(d);
  });
});

describe('defaultCollate', () => {
  it('stacks tensors, numbers, typed arrays, and nests through arrays and objects', () => {
    const b = defaultCollate([
      { img: torch.tensor([1, 2]), label: 3, w: 0.5, name: 'a', pair: [1, torch.tensor([true])] },
      { img: torch.tensor([3, 4]), label: 4, w: 1, name: 'b', pair: [2, torch.tensor([false])] },
    ]) as Record<string, unknown>;
    expect((b.img as Tensor).tolistSync()).toEqual([[1, 2], [3, 4]]);
    expect((b.label as Tensor).dtype).toBe('int32');
    expect((b.w as Tensor).dtype).toBe('float32');
    expect((b.w as Tensor).tolistSync()).toEqual([0.5, 1]);
    expect(b.name).toEqual(['a', 'b']);
    const pair = b.pair as [Tensor, Tensor];
    expect(pair[0].tolistSync()).toEqual([1, 2]);
    expect(pair[1].tolistSync()).toEqual([[true], [false]]);
    const rows = defaultCollate([new Float32Array([1, 2]), new Float32Array([3, 4])]) as Tensor;
    expect(rows.shape).toEqual([2, 2]);
    expect(() => defaultCollate([torch.zeros(2), torch.zeros(3)])).toThrow(/equal size/);
  });
});

describe('DataLoader', () => {
  const x = torch.arange(10).reshape(10, 1).float(), y = torch.arange(10);
  const ds = new TensorDataset(x, y);
  it('batches in order, dropLast, length', () => {
    const dl = new DataLoader(ds, { batchSize: 4 });
    const ys = [...dl].map((b) => (b as Tensor[])[1]!.tolistSync());
    expect(ys).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(dl.length()).toBe(3);
    const dl2 = new DataLoader(ds, { batchSize: 4, dropLast: true });
    expect([...dl2].length).toBe(2);
    expect(dl2.length()).toBe(2);
    const [xb] = [...dl][0] as Tensor[];
    expect(xb!.shape).toEqual([4, 1]);
  });
  it('shuffle with a seeded generator is reproducible and a permutation', () => {
    const order = (seed: number) => [...new DataLoader(ds, { batchSize: 3, shuffle: true, generator: new torch.Generator().manualSeed(seed) })]
      .flatMap((b) => (b as Tensor[])[1]!.tolistSync() as number[]);
    expect(order(11)).toEqual(order(11));
    expect(sorted(order(11))).toEqual(iota(10));
    expect(order(11)).not.toEqual(order(12));
  });
  it('custom collateFn, batchSampler, batchSize null', () => {
    const dl = new DataLoader(new Range(5), { batchSize: 2, collateFn: (b: number[]) => b.reduce((s, v) => s + v, 0) });
    expect([...dl]).toEqual([1, 5, 4]);
    const dl2 = new DataLoader(new Range(6), { batchSampler: [[5, 0], [1]] });
    expect([...dl2].map((t) => (t as Tensor).tolistSync())).toEqual([[5, 0], [1]]);
    const dl3 = new DataLoader(new Range(3), { batchSize: null });
    expect([...dl3].map((t) => (t as Tensor).itemSync())).toEqual([0, 1, 2]);
    expect(() => new DataLoader(new Range(3), { batchSampler: [[0]], shuffle: true })).toThrow(/mutually exclusive/);
  });
  it('async iteration with prefetch and async getItem keeps order and loads ahead', async () => {
    let started = 0;
    const slow = { length: () => 8, getItem: async (i: number) => { started++; await new Promise((r) => setTimeout(r, 2)); return i; } };
    const dl = new DataLoader(slow, { batchSize: 2, prefetch: 3 });
    const seen: number[][] = [];
    for await (const b of dl) {
      // While the first batch is in use, the next 3 (prefetch) are already requested: 4 batches of 2.
      if (seen.length === 0) expect(started).toBe(8);
      seen.push((b as Tensor).tolistSync() as number[]);
    }
    expect(seen).toEqual([[0, 1], [2, 3], [4, 5], [6, 7]]);
    expect(() => [...dl]).toThrow(/for await/);
  });
  it('numWorkers loads plain-data items in worker threads', async () => {
    const workerDataset = { url: new URL('./worker-dataset.mjs', import.meta.url), exportName: 'SquaresDataset', args: [7] };
    const dl = new DataLoader({ length: () => 7, getItem: () => { throw new Error('main-thread dataset must not be used'); } },
      { batchSize: 3, numWorkers: 2, workerDataset });
    const batches: { x: Tensor; y: Tensor }[] = [];
    for await (const b of dl) batches.push(b as unknown as { x: Tensor; y: Tensor });
    expect(batches.map((b) => b.y.tolistSync())).toEqual([[0, 1, 2], [0, 1, 2], [0]]);
    expect(batches[1]!.x.tolistSync()).toEqual([[3, 6], [4, 8], [5, 10]]);
    const bad = new DataLoader(new Range(3), { numWorkers: 1, workerDataset: { url: workerDataset.url, exportName: 'Nope' } });
    await expect((async () => { for await (const _ of bad) void _; })()).rejects.toThrow(/no export Nope/);
  });
});

describe("PyTorch's DataLoader keywords", () => {
  it('numWorkers without workerDataset loads on the main thread with one warning, for and for await alike', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const mk = () => new DataLoader(new TensorDataset(torch.arange(7)), { batchSize: 3, numWorkers: 4, pinMemory: true, persistentWorkers: true, prefetchFactor: 2 });
      const dl = mk();
      expect(dl.numWorkers).toBe(4);
      expect([...dl].map(([y]) => y!.tolistSync())).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
      const got: unknown[] = [];
      for await (const [y] of mk()) got.push(y!.tolistSync());
      expect(got).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
      const msgs = warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('numWorkers'));
      expect(msgs.length).toBeLessThanOrEqual(1); // once per process (an earlier test may have had it)
    } finally { warn.mockRestore(); }
  });
  it('prefetchFactor is prefetch; workerInitFn with workers is an error naming the fix', () => {
    expect(new DataLoader(new Range(3), { prefetchFactor: 4 }).prefetch).toBe(4);
    expect(() => new DataLoader(new Range(3), { prefetch: 2, prefetchFactor: 4 })).toThrow(/prefetch \(2\) and prefetchFactor \(4\) are the same option/);
    expect(() => new DataLoader(new Range(3), { numWorkers: 2, workerInitFn: () => {}, workerDataset: { url: new URL('./worker-dataset.mjs', import.meta.url), exportName: 'SquaresDataset', args: [3] } }))
      .toThrow(/workerInitFn cannot run in worker threads.*workerDataset/);
    expect(new DataLoader(new Range(3), { workerInitFn: () => {} }).numWorkers).toBe(0);
  });
});

describe('DataLoader typing', () => {
  it('batches of a TensorDataset destructure as Tensors without casts', () => {
    const dl = new DataLoader(new TensorDataset(torch.ones(4, 2), torch.zeros(4)), { batchSize: 2 });
    const shapes: number[][] = [];
    for (const [xb, yb] of dl) shapes.push([...xb!.shape, ...yb!.shape]);
    expect(shapes).toEqual([[2, 2, 2], [2, 2, 2]]);
  });
});

describe('datasets written the JavaScript way', () => {
  it('a plain object with getItem and a length property (or getter) works everywhere a Dataset does', () => {
    class Squares { getItem(i: number): number { return i * i; } get length(): number { return 5; } }
    const loader = new torch.utils.data.DataLoader(new Squares(), { batchSize: 2 });
    expect(loader.length()).toBe(3);
    expect([...loader].map((b) => Array.from((b as Tensor).dataSync()))).toEqual([[0, 1], [4, 9], [16]]);
    const plain = { getItem: (i: number) => i, length: 4 };
    expect([...new torch.utils.data.SequentialSampler(plain)]).toEqual([0, 1, 2, 3]);
    expect([...new torch.utils.data.DataLoader(plain, { batchSize: 4, shuffle: true })].length).toBe(1);
  });
  it('a dataset without getItem or length is a clear error', () => {
    expect(() => new torch.utils.data.DataLoader({ length: 3 } as never)).toThrow(/getItem/);
    expect(() => new torch.utils.data.DataLoader({ getItem: (i: number) => i } as never)).toThrow(/length/);
  });
});

describe('IterableDataset', () => {
  const { IterableDataset, ChainDataset } = torch.utils.data;
  class Count extends IterableDataset<number> {
    constructor(private readonly start: number, private readonly end: number) { super(); }
    override *[Symbol.iterator](): Iterator<number> { for (let i = this.start; i < this.end; i++) yield i; }
  }
  class SizedCount extends Count { length(): number { return 7; } }
  class AsyncPairs extends IterableDataset<[number, number]> {
    async *[Symbol.asyncIterator](): AsyncIterator<[number, number]> {
      for (let i = 0; i < 5; i++) { await Promise.resolve(); yield [i, 10 * i]; }
    }
  }
  const vals = (b: unknown) => Array.from((b as Tensor).dataSync());
  it('DataLoader groups consecutive items: batchSize, dropLast, batchSize null, collateFn', () => {
    expect([...new DataLoader(new Count(0, 7), { batchSize: 3 })].map(vals)).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect([...new DataLoader(new Count(0, 7), { batchSize: 3, dropLast: true })].map(vals)).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect([...new DataLoader(new Count(0, 3))].map(vals)).toEqual([[0], [1], [2]]); // default batchSize 1
    expect([...new DataLoader(new Count(2, 5), { batchSize: null })].map((t) => (t as Tensor).itemSync())).toEqual([2, 3, 4]);
    expect([...new DataLoader(new Count(0, 5), { batchSize: 2, collateFn: (b: number[]) => b.join('+') })]).toEqual(['0+1', '2+3', '4']);
    // Each epoch iterates the dataset afresh.
    const dl = new DataLoader(new Count(0, 4), { batchSize: 4 });
    expect([[...dl].map(vals), [...dl].map(vals)]).toEqual([[[0, 1, 2, 3]], [[0, 1, 2, 3]]]);
  });
  it('length() is the dataset\'s own length batched, and an error without one (PyTorch\'s len)', () => {
    expect(new DataLoader(new SizedCount(0, 7), { batchSize: 3 }).length()).toBe(3);
    expect(new DataLoader(new SizedCount(0, 7), { batchSize: 3, dropLast: true }).length()).toBe(2);
    expect(() => new DataLoader(new Count(0, 7), { batchSize: 3 }).length()).toThrow(/Count \(an IterableDataset\) has no length/);
  });
  it('sampler, shuffle, batchSampler and numWorkers are errors, as in PyTorch', () => {
    expect(() => new DataLoader(new Count(0, 3), { shuffle: true })).toThrow(/IterableDataset: expected unspecified shuffle option/);
    expect(() => new DataLoader(new Count(0, 3), { sampler: [0, 1] })).toThrow(/IterableDataset: expected unspecified sampler option/);
    expect(() => new DataLoader(new Count(0, 3), { batchSampler: [[0]] })).toThrow(/IterableDataset: expected unspecified batchSampler option/);
    expect(() => new DataLoader(new Count(0, 3), { numWorkers: 2 })).toThrow(/numWorkers > 0 is not supported/);
    expect(() => new DataLoader(new Count(0, 3), { batchSize: 0 })).toThrow(/batchSize should be a positive integer/);
    expect(() => new ConcatDataset([new Count(0, 3) as never])).toThrow(/ConcatDataset does not support IterableDataset/);
    expect(() => [...new IterableDataset()]).toThrow(/implements \*\[Symbol.iterator\]\(\)/);
  });
  it('for await: async-iterator datasets and sync ones; tuples collate per field', async () => {
    const out: number[][][] = [];
    for await (const b of new DataLoader(new AsyncPairs(), { batchSize: 2 })) out.push((b as Tensor[]).map(vals));
    expect(out).toEqual([[[0, 1], [0, 10]], [[2, 3], [20, 30]], [[4], [40]]]);
    const sync: number[][] = [];
    for await (const b of new DataLoader(new Count(0, 5), { batchSize: 2, dropLast: true })) sync.push(vals(b));
    expect(sync).toEqual([[0, 1], [2, 3]]);
  });
  it('ChainDataset streams its datasets in order', async () => {
    const chain = new ChainDataset([new Count(0, 3), new Count(10, 12)]);
    expect([...chain]).toEqual([0, 1, 2, 10, 11]);
    expect([...new DataLoader(chain, { batchSize: 4 })].map(vals)).toEqual([[0, 1, 2, 10], [11]]);
    const got: number[] = [];
    for await (const b of new DataLoader(new ChainDataset<unknown>([new Count(0, 2), new AsyncPairs()]), { batchSize: null, collateFn: (b: unknown[]) => b[0] })) got.push(Array.isArray(b) ? (b as number[])[0]! : b as number);
    expect(got).toEqual([0, 1, 0, 1, 2, 3, 4]);
  });
});
