// Deterministic creation ops vs PyTorch fixtures (test/fixtures/gen_creation.py), forward only, on every
// available device. Known difference: JS numbers cannot tell 1.0 from 1, so torch.tensor([1.0, 2])
// infers int32 here (PyTorch: float32); any non-integer value makes the whole tensor float32.
import { describe, expect, it } from 'vitest';
import { opSuite, torch, type OpImpl } from '../helpers.js';

const impls: Record<string, OpImpl> = {
  'arange/end': () => torch.arange(5),
  'arange/start-end-step': () => torch.arange(2, 9, 3),
  'arange/negative-step': () => torch.arange(10, 0, -3),
  'arange/float-step': () => torch.arange(0, 1, 0.1),
  'arange/float-neg': () => torch.arange(1, -1, -0.25),
  'arange/float-end': () => torch.arange(2.5),
  'arange/dtype-float64': () => torch.arange(0, 3, 0.5, { dtype: 'float64' }),
  'arange/int-dtype-float': () => torch.arange(4, { dtype: 'float32' }),
  'arange/empty': () => torch.arange(3, 3),
  'arange/zero-step-error': () => torch.arange(0, 5, 0),
  'arange/wrong-sign-error': () => torch.arange(0, 5, -1),
  linspace: () => torch.linspace(0, 1, 5),
  'linspace/negative': () => torch.linspace(-2, 3, 7),
  'linspace/descending': () => torch.linspace(3, -1, 9),
  'linspace/one': () => torch.linspace(2, 5, 1),
  'linspace/zero': () => torch.linspace(2, 5, 0),
  'linspace/float64': () => torch.linspace(0, 1, 11, { dtype: 'float64' }),
  'linspace/negative-steps-error': () => torch.linspace(0, 1, -1),
  logspace: () => torch.logspace(0, 2, 3),
  'logspace/base2': () => torch.logspace(-1, 3, 5, { base: 2 }),
  'logspace/float64': () => torch.logspace(-2, 1, 4, { dtype: 'float64' }),
  eye: () => torch.eye(3),
  'eye/wide': () => torch.eye(2, 4),
  'eye/tall-int': () => torch.eye(4, 2, { dtype: 'int32' }),
  'eye/zero': () => torch.eye(0),
  'full/float': () => torch.full([2, 3], 1.5),
  'full/int-infers': () => torch.full([2], 7),
  'full/bool-infers': () => torch.full([2, 2], true),
  'full/dtype': () => torch.full([3], 2, { dtype: 'float64' }),
  zeros: () => torch.zeros(2, 3),
  'zeros/int32': () => torch.zeros(2, { dtype: 'int32' }),
  'zeros/bool': () => torch.zeros([3], { dtype: 'bool' }),
  'zeros/empty': () => torch.zeros(0, 4),
  ones: () => torch.ones([2, 2]),
  'ones/float64': () => torch.ones(3, { dtype: 'float64' }),
  'ones/uint8': () => torch.ones(2, 1, { dtype: 'uint8' }),
  'zeros/negative-error': () => torch.zeros(2, -1),
  'tensor/ints': () => torch.tensor([1, 2, 3]),
  'tensor/floats': () => torch.tensor([1.5, 2, -3]),
  'tensor/nested-mixed': () => torch.tensor([[1, 2], [3, 4.5]]),
  'tensor/bools': () => torch.tensor([true, false]),
  'tensor/bool-int': () => torch.tensor([true, 2]),
  'tensor/scalar': () => torch.tensor(3.25),
  'tensor/int-scalar': () => torch.tensor(-4),
  'tensor/empty': () => torch.tensor([]),
  'tensor/dtype': () => torch.tensor([1, 2], { dtype: 'float64' }),
  'tensor/ragged-error': () => torch.tensor([[1, 2], [3]]),
  'linspace/int32': () => torch.linspace(0, 10, 4, { dtype: 'int32' }),
  'linspace/int32-negative': () => torch.linspace(-5, 4, 4, { dtype: 'int32' }),
  'arange/float-args-int-dtype': () => torch.arange(0, 2.5, 0.5, { dtype: 'int32' }),
  'logspace/int32': () => torch.logspace(0, 3, 4, { dtype: 'int32' }),
  'eye/negative-error': () => torch.eye(-1),
  'full/float-dtype-int': () => torch.full([3], 2.7, { dtype: 'int32' }),
  'tensor/float-to-int-dtype': () => torch.tensor([1.7, -1.7], { dtype: 'int32' }),
  'tensor/to-bool-dtype': () => torch.tensor([0, 2, -1], { dtype: 'bool' }),
  'tensor/to-uint8-dtype': () => torch.tensor([3, 255], { dtype: 'uint8' }),
  'arange/float-step-int-dtype': () => torch.arange(0.5, 4.5, 1.5, { dtype: 'int32' }),
};

opSuite('creation', impls);

describe('creation: torchlet-specific rules', () => {
  it('integers beyond int32 are refused rather than wrapped', () => {
    expect(() => torch.tensor([2 ** 31])).toThrow(/int32/);
    expect(torch.tensor([2 ** 31], { dtype: 'float64' }).dtype).toBe('float64');
  });
  it('typed arrays keep their dtype', () => {
    expect(torch.tensor(new Float64Array([1, 2])).dtype).toBe('float64');
    expect(torch.tensor(new Int32Array([1, 2])).dtype).toBe('int32');
    expect(torch.tensor(new Uint8Array([1, 2])).dtype).toBe('uint8');
  });
  it('requiresGrad option marks a leaf', () => {
    const t = torch.zeros(2, { requiresGrad: true });
    expect(t.requiresGrad && t.isLeaf).toBe(true);
  });
  it('asTensor shares a tensor that already matches, converts one that does not (differentiably), copies plain data', () => {
    const x = torch.tensor([1.5, -2], { requiresGrad: true });
    expect(torch.asTensor(x)).toBe(x);
    expect(torch.asTensor(x, { dtype: 'float32', device: 'cpu' })).toBe(x);
    const d = torch.asTensor(x, { dtype: 'float64' });
    expect(d.dtype).toBe('float64');
    d.sum().backward();
    expect(Array.from(x.grad!.dataSync())).toEqual([1, 1]);
    const arr = [1, 2, 3];
    const t = torch.asTensor(arr, { dtype: 'float32' });
    arr[0] = 9;
    expect(Array.from(t.dataSync())).toEqual([1, 2, 3]);
    expect(() => torch.asTensor(arr, { dtyp: 'float32' } as never)).toThrow(/asTensor: unknown option 'dtyp' \(did you mean 'dtype'\?\)/);
  });
  it("to() and Module.to() accept PyTorch's nonBlocking", () => {
    const x = torch.randn([2, 2]);
    expect(x.to('cpu', { nonBlocking: true })).toBe(x);
    expect(x.to({ dtype: 'float64', nonBlocking: true }).dtype).toBe('float64');
    const m = new torch.nn.Linear(2, 2);
    expect(m.to('cpu', { nonBlocking: true })).toBe(m);
  });
  it('torch.tensor of one-element tensors takes their values (PyTorch: torch.tensor([loss_a, loss_b])), their floating kind too', () => {
    const t = torch.tensor([torch.tensor(1.5), torch.tensor([2], { dtype: 'float32' })] as never);
    expect(t.dtype).toBe('float32');
    expect(Array.from(t.dataSync())).toEqual([1.5, 2]);
    expect(torch.tensor([[torch.tensor(3)], [torch.tensor(4)]] as never).dtype).toBe('int32');
    expect(() => torch.tensor([torch.ones(2), torch.ones(2)] as never)).toThrow(/only one-element tensors can be converted to scalars, got one of shape \[2\] at dim 1; torch\.stack joins tensors/);
  });
});
