// torch.utils.data habits of ported PyTorch scripts: len(loader) over a one-shot sampler (PyTorch's
// TypeError, not a silently emptied epoch), tensor indices for Subset / SubsetRandomSampler, negative
// indices into ConcatDataset, and a collated number field keeping one dtype across batches.
// Expected values come from the definitions (index arithmetic), not from torchlet's output.
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

const { Dataset, TensorDataset, Subset, ConcatDataset, DataLoader, SubsetRandomSampler, BatchSampler } = torch.utils.data;

class Range extends Dataset<number> {
  constructor(private readonly n: number, private readonly base = 0) { super(); }
  getItem(i: number): number { return this.base + i; }
  length(): number { return this.n; }
}

describe('length() of a loader whose sampler has no length', () => {
  function* order(): Generator<number> { yield* [3, 1, 4, 1, 5]; }
  it('is PyTorch\'s TypeError naming the sampler, and consumes nothing', () => {
    const g = order();
    const ld = new DataLoader(new Range(6), { batchSize: 2, sampler: g });
    expect(() => ld.length()).toThrow(TypeError);
    expect(() => ld.length()).toThrow(/DataLoader\.length: the sampler \(a generator\) has no length \(PyTorch: object of type 'generator' has no len\(\)\)/);
    expect([...ld].map((b) => (b as Tensor).tolistSync())).toEqual([[3, 1], [4, 1], [5]]);
  });
  it('likewise with batchSize null, for a batchSampler, and in BatchSampler.length()', () => {
    expect(() => new DataLoader(new Range(6), { batchSize: null, sampler: order() }).length()).toThrow(/the sampler \(a generator\) has no length/);
    function* batches(): Generator<number[]> { yield [0, 1]; }
    expect(() => new DataLoader(new Range(6), { batchSampler: batches() }).length()).toThrow(/DataLoader\.length: the batchSampler \(a generator\) has no length/);
    expect(() => new BatchSampler(order(), 2, false).length()).toThrow(/BatchSampler\.length: the sampler \(a generator\) has no length/);
  });
  it('arrays and Samplers keep their lengths', () => {
    expect(new DataLoader(new Range(6), { batchSize: 2, sampler: [5, 4, 3] }).length()).toBe(2);
    expect(new DataLoader(new Range(6), { batchSampler: [[0], [1, 2]] }).length()).toBe(2);
    expect(new DataLoader(new Range(6), { batchSize: 4, sampler: new SubsetRandomSampler([0, 1, 2, 3, 4]) }).length()).toBe(2);
  });
});

describe('tensor indices for Subset and SubsetRandomSampler (torch.randperm(n)[:k] style)', () => {
  it('Subset takes a 1-d int tensor, a slice of randperm included', () => {
    const base = new Range(10, 100);
    const sub = new Subset(base, torch.tensor([7, 2, 5]));
    expect(sub.length()).toBe(3);
    expect([...sub]).toEqual([107, 102, 105]);
    const perm = torch.randperm(10);
    const first4 = perm.slice(0, 0, 4);
    const s2 = new Subset(base, first4);
    expect([...s2]).toEqual((first4.tolistSync() as number[]).map((i) => 100 + i));
    expect(Array.isArray(s2.indices)).toBe(true); // stored as numbers, as a list of ints is
  });
  it('SubsetRandomSampler takes one and yields a permutation of it', () => {
    const got = [...new SubsetRandomSampler(torch.tensor([4, 8, 15]))];
    expect([...got].sort((a, b) => a - b)).toEqual([4, 8, 15]);
    expect(new SubsetRandomSampler(torch.tensor([4, 8, 15])).length()).toBe(3);
  });
  it('a float or 2-d tensor is a clear error', () => {
    expect(() => new Subset(new Range(3), torch.tensor([0.5, 1]))).toThrow(/Subset: indices must be an integer tensor \(or an array of integers\), got a float32 tensor/);
    expect(() => new SubsetRandomSampler(torch.tensor([[0, 1]]))).toThrow(/SubsetRandomSampler: indices must be a 1-d tensor, got shape \[1, 2\]/);
  });
});

describe('ConcatDataset', () => {
  const cat = () => new ConcatDataset<unknown>([new Range(3, 0), new Range(2, 10), new TensorDataset(torch.tensor([20, 21]))]);
  it('takes negative indices, as TensorDataset and PyTorch do', () => {
    const c = new ConcatDataset([new Range(3, 0), new Range(2, 10)]);
    expect(c.getItem(-1)).toBe(11);
    expect(c.getItem(-2)).toBe(10);
    expect(c.getItem(-5)).toBe(0);
    expect(() => c.getItem(-6)).toThrow(/ConcatDataset: absolute value of index should not exceed dataset length \(index -6, length 5\)/);
    expect(() => c.getItem(5)).toThrow(/ConcatDataset: index 5 is out of range for length 5/);
    expect((cat().getItem(-1) as unknown as Tensor[])[0]!.itemSync()).toBe(21);
  });
  it('refuses an element that is not a dataset (a plain array) at construction, naming it', () => {
    expect(() => new ConcatDataset([[1, 2], [3]] as never)).toThrow(/ConcatDataset: datasets\[0\] is an Array, not a Dataset \(an object with getItem\(index\) and length\(\)\)/);
    expect(() => new ConcatDataset([new Range(2), 5] as never)).toThrow(/ConcatDataset: datasets\[1\] is a number, not a Dataset/);
  });
});

describe('a DataLoader keeps one dtype for a field of JS numbers once it has seen a fractional value', () => {
  const dtypes = (ld: Iterable<unknown>, pick: (b: unknown) => Tensor) => [...ld].map((b) => pick(b).dtype);
  it('[0.5, 1, 2, 3] in batches of 2: float32 both times (was float32 then int32)', () => {
    const ld = new DataLoader([0.5, 1.0, 2.0, 3.0], { batchSize: 2 });
    expect(dtypes(ld, (b) => b as Tensor)).toEqual(['float32', 'float32']);
    expect(dtypes(ld, (b) => b as Tensor)).toEqual(['float32', 'float32']); // and in the next epoch
    expect(([...ld][1] as Tensor).tolistSync()).toEqual([2, 3]);
  });
  it('dict and tuple fields are tracked separately: a float target stays float, an int label stays int32', () => {
    const ds = Array.from({ length: 7 }, (_, i) => ({ y: i * 0.5, label: i % 3, pair: [i, i + 0.25] }));
    const ld = new DataLoader(ds, { batchSize: 3 });
    const bs = [...ld] as { y: Tensor; label: Tensor; pair: Tensor[] }[];
    expect(bs.map((b) => b.y.dtype)).toEqual(['float32', 'float32', 'float32']); // the last batch is [3.0]
    expect(bs.map((b) => b.label.dtype)).toEqual(['int32', 'int32', 'int32']);
    expect(bs.map((b) => b.pair[0]!.dtype)).toEqual(['int32', 'int32', 'int32']);
    expect(bs.map((b) => b.pair[1]!.dtype)).toEqual(['float32', 'float32', 'float32']);
  });
  it('defaultCollate called on its own is torch.tensor\'s documented inference (each call by itself)', () => {
    expect((torch.utils.data.defaultCollate([2, 3]) as Tensor).dtype).toBe('int32');
    expect((torch.utils.data.defaultCollate([2, 3.5]) as Tensor).dtype).toBe('float32');
  });
});
