// Indexing ops vs PyTorch fixtures (test/fixtures/gen_indexing.py), forward and gradient, on every
// available device. Index tensors are int32 here (PyTorch: int64); out-of-range indices must throw.
import { describe, expect, it } from 'vitest';
import { dataDependent, opSuite, torch, type CaseImpl } from '../helpers.js';

const F = torch.nn.functional;
const impls: Record<string, CaseImpl> = {
  'indexSelect/dim0': (x, i) => torch.indexSelect(x, 0, i!),
  'indexSelect/dim1-repeats': (x, i) => x.indexSelect(1, i!),
  'indexSelect/neg-dim': (x, i) => x.indexSelect(-1, i!),
  'indexSelect/transposed': (x, i) => x.t().indexSelect(1, i!),
  'indexSelect/empty-index': (x, i) => x.indexSelect(0, i!),
  'indexSelect/out-of-range-error': (x, i) => x.indexSelect(0, i!),
  'indexSelect/negative-error': (x, i) => x.indexSelect(0, i!),
  'indexSelect/2d-index-error': (x, i) => x.indexSelect(0, i!),
  'gather/dim1': (x, i) => torch.gather(x, 1, i!),
  'gather/dim0': (x, i) => x.gather(0, i!),
  'gather/smaller': (x, i) => x.gather(1, i!),
  'gather/neg-dim-transposed': (x, i) => x.t().gather(-1, i!),
  'gather/out-of-range-error': (x, i) => x.gather(1, i!),
  'gather/negative-error': (x, i) => x.gather(1, i!),
  'gather/ndim-error': (x, i) => x.gather(1, i!),
  'gather/size-error': (x, i) => x.gather(1, i!),
  'scatter/src': (x, i, s) => torch.scatter(x, 1, i!.t(), s!.t()),
  'scatter/dim0': (x, i, s) => x.scatter(0, i!, s!),
  'scatter/value': (x, i) => x.scatter(1, i!, 2.5),
  'scatter/out-of-range-error': (x, i, s) => x.scatter(1, i!, s!),
  'scatterAdd/dups': (x, i, s) => torch.scatterAdd(x, 1, i!, s!),
  'scatterAdd/dim0': (x, i, s) => x.scatterAdd(0, i!, s!),
  'scatterAdd/reduce-add': (x, i, s) => x.scatter(1, i!, s!, { reduce: 'add' }),
  'scatterAdd/out-of-range-error': (x, i, s) => x.scatterAdd(1, i!, s!),
  indexAdd: (x, i, s) => torch.indexAdd(x, 0, i!, s!),
  'indexAdd/alpha-dim1': (x, i, s) => x.indexAdd(1, i!, s!, { alpha: -2 }),
  'indexAdd/out-of-range-error': (x, i, s) => x.indexAdd(1, i!, s!),
  'indexAdd/shape-error': (x, i, s) => x.indexAdd(1, i!, s!),
  maskedFill: (x, m) => torch.maskedFill(x, m!, 0.5),
  'maskedFill/broadcast': (x, m) => x.maskedFill(m!, -2),
  'maskedFill/tensor-value': (x, m, v) => x.maskedFill(m!, v!),
  'maskedFill/transposed': (x, m) => x.t().maskedFill(m!, -Infinity),
  'maskedFill/int': (x, m) => x.maskedFill(m!, 7),
  maskedSelect: dataDependent((x, m) => torch.maskedSelect(x, m!), (x, m) => torch.maskedSelectAsync(x, m!)),
  'maskedSelect/broadcast': dataDependent((x, m) => x.maskedSelect(m!), (x, m) => x.maskedSelectAsync(m!)),
  'maskedSelect/transposed': dataDependent((x, m) => x.t().maskedSelect(m!), (x, m) => x.t().maskedSelectAsync(m!)),
  sort: (x) => torch.sort(x).values,
  'sort/indices': (x) => torch.sort(x).indices,
  'sort/dim0-descending': (x) => x.sort(0, true).values,
  'sort/dim0-descending-indices': (x) => x.sort(0, true).indices,
  'sort/transposed': (x) => x.t().sort(-1).values,
  'sort/stable-indices': (x) => x.sort(-1, false, { stable: true }).indices,
  'sort/stable-descending-indices': (x) => x.sort(-1, true, { stable: true }).indices,
  'sort/stable-values-grad': (x) => x.sort(-1, false, { stable: true }).values,
  'sort/int': (x) => x.sort().values,
  'sort/nan-last': (x) => x.sort().values,
  'sort/empty': (x) => x.sort(0).values,
  argsort: (x) => torch.argsort(x),
  'argsort/descending-dim0': (x) => x.argsort(0, true),
  topk: (x) => torch.topk(x, 3).values,
  'topk/indices': (x) => torch.topk(x, 3).indices,
  'topk/smallest-dim0': (x) => x.topk(2, 0, false).values,
  'topk/smallest-dim0-indices': (x) => x.topk(2, 0, false).indices,
  'topk/k0': (x) => x.topk(0).values,
  'topk/k-error': (x) => x.topk(5).values,
  oneHot: dataDependent((t) => F.oneHot(t), (t) => F.oneHotAsync(t)),
  'oneHot/classes-2d': (t) => F.oneHot(t, 6),
  'oneHot/too-large-error': (t) => F.oneHot(t, 4),
  'oneHot/negative-error': (t) => F.oneHot(t, 4),
  nonzero: dataDependent((x) => torch.nonzero(x), (x) => torch.nonzeroAsync(x)),
  'nonzero/1d-bool': dataDependent((x) => x.nonzero(), (x) => x.nonzeroAsync()),
  'nonzero/float': dataDependent((x) => x.nonzero(), (x) => x.nonzeroAsync()),
  'nonzero/none': dataDependent((x) => x.nonzero(), (x) => x.nonzeroAsync()),
  'indexSelect/0d': (x, i) => torch.indexSelect(x, 0, i!),
  'topk/nan': (x) => x.topk(2).values,
  'topk/nan-indices': (x) => x.topk(2).indices,
  'sort/descending-nan-first': (x) => x.sort(-1, true).values,
  'gather/empty-index': (x, i) => x.gather(1, i!),
  'argsort/stable-ties': (x) => torch.argsort(x, -1, false, { stable: true }),
};

opSuite('indexing', impls);

describe('indexing: checked indices and in-place results', () => {
  it('gather/scatter out-of-range throw a message naming the op and the bad index', () => {
    const x = torch.zeros(2, 3);
    expect(() => x.gather(1, torch.tensor([[3]]))).toThrow(/gather.*3|3.*out of/i);
    expect(() => x.scatterAdd(0, torch.tensor([[2]]), torch.ones(1, 1))).toThrow(/2/);
    expect(() => x.indexSelect(1, torch.tensor([-4]))).toThrow();
  });
  it('maskedFill wants a bool mask (deliberate: PyTorch 2.x rule; 1.13 still took 0/1 int and float masks)', () => {
    expect(() => torch.zeros(3).maskedFill(torch.tensor([0, 1, 0]), 1)).toThrow(/maskedFill.*bool/);
  });
  it('t.index wraps negative tensor indices, while indexSelect refuses them', () => {
    const x = torch.tensor([10, 20, 30]);
    expect(Array.from(x.index(torch.tensor([-1, 0, -3])).dataSync())).toEqual([30, 10, 10]);
    expect(() => x.index(torch.tensor([-4]))).toThrow(/out of bounds/);
    expect(() => x.indexSelect(0, torch.tensor([-1]))).toThrow(/out of bounds/);
  });
  it('an index tensor inside a slice array (x.index([t])) is an error that says how to pass it, not a NaN shape', () => {
    const x = torch.randn([10, 3]), t = torch.tensor([1, 4]);
    expect(() => x.index([t] as never)).toThrow(/^index: an array is a slice \[start, end, step\] of numbers or null, got \[Tensor \[2\]\]; pass index tensors as arguments of their own: x\.index\(t\)/);
    expect(() => x.index([0, 2, 1, 1])).toThrow(/an array is a slice/);
    expect(x.index(t).shape).toEqual([2, 3]);
    expect(x.index([1, null, 2]).shape).toEqual([5, 3]);
  });
  it('index tensors of a non-int32 dtype are refused', () => {
    expect(() => torch.zeros(3).gather(0, torch.tensor([0.5]))).toThrow(/int32|dtype/);
  });
});
