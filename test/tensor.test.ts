// Tensor basics: properties, torch.tensor dtype inference and errors, typed-array inputs,
// reading (data/item/tolist/dataSync), PyTorch-style printing (expected strings are what
// PyTorch 1.13 prints for the same tensors) and dtype conversions incl. float16 storage.
import { describe, expect, it } from 'vitest';
import { inspect } from 'node:util';
import { testDevices, torch } from './helpers.js';

describe('properties', () => {
  it('shape, ndim, numel, size, stride, isContiguous, dtype, device', () => {
    const t = torch.zeros(2, 3, 4);
    expect(t.shape).toEqual([2, 3, 4]);
    expect(t.ndim).toBe(3);
    expect(t.dim()).toBe(3);
    expect(t.numel()).toBe(24);
    expect(t.size()).toEqual([2, 3, 4]);
    expect(t.size(-1)).toBe(4);
    expect(t.stride()).toEqual([12, 4, 1]);
    expect(t.stride(0)).toBe(12);
    expect(t.isContiguous()).toBe(true);
    expect(t.dtype).toBe('float32');
    expect(t.device).toBe('cpu');
    const p = t.permute(2, 0, 1);
    expect(p.shape).toEqual([4, 2, 3]);
    expect(p.stride()).toEqual([1, 12, 4]);
    expect(p.isContiguous()).toBe(false);
    expect(p.contiguous().isContiguous()).toBe(true);
    expect(t.select(1, 2).storageOffset()).toBe(8);
    const s = torch.tensor(5);
    expect(s.shape).toEqual([]);
    expect(s.ndim).toBe(0);
    expect(s.numel()).toBe(1);
    expect(t.isLeaf).toBe(true);
    expect(t.requiresGrad).toBe(false);
    expect(t.grad).toBeNull();
    expect(t.gradFn).toBeNull();
  });
});

describe('torch.tensor', () => {
  it('infers dtypes: numbers -> int32 when all integers else float32, booleans -> bool', () => {
    expect(torch.tensor([1, 2, 3]).dtype).toBe('int32');
    expect(torch.tensor([1, 2.5]).dtype).toBe('float32');
    expect(torch.tensor([[true], [false]]).dtype).toBe('bool');
    expect(torch.tensor(2.5).dtype).toBe('float32');
    expect(torch.tensor([1, 2], { dtype: 'float64' }).dtype).toBe('float64');
    expect(torch.tensor([[1, 2], [3, 4]]).shape).toEqual([2, 2]);
    expect(torch.tensor([]).shape).toEqual([0]);
  });

  it('typed arrays keep their dtype', () => {
    expect(torch.tensor(new Float32Array([1, 2])).dtype).toBe('float32');
    expect(torch.tensor(new Float64Array([1, 2])).dtype).toBe('float64');
    expect(torch.tensor(new Int32Array([1, 2])).dtype).toBe('int32');
    expect(torch.tensor(new Uint8Array([1, 2])).dtype).toBe('uint8');
    const t = torch.tensor(new Float64Array([0.1, 0.2]));
    expect(Array.from(t.dataSync())).toEqual([0.1, 0.2]);
  });

  it('ragged arrays and bad dtypes raise clear errors', () => {
    expect(() => torch.tensor([[1, 2], [3]])).toThrow(/expected sequence of length 2 at dim 1 \(got 1\)/);
    expect(() => torch.tensor([1], { dtype: 'int64' as never })).toThrow(/unsupported dtype 'int64': torchlet's integer dtype is int32/);
  });
});

describe('reading', () => {
  it('data, item, tolist and their sync forms', async () => {
    const t = torch.tensor([[1, 2], [3, 4]], { dtype: 'float32' });
    expect(await t.data()).toBeInstanceOf(Float32Array);
    expect(Array.from(await t.data())).toEqual([1, 2, 3, 4]);
    expect(await t.tolist()).toEqual([[1, 2], [3, 4]]);
    expect(t.t().tolistSync()).toEqual([[1, 3], [2, 4]]);
    expect(await t.sum().item()).toBe(10);
    expect(torch.tensor([true]).itemSync()).toBe(true);
    expect(await torch.tensor([[true, false]]).tolist()).toEqual([[true, false]]);
    expect(torch.tensor(7).tolistSync()).toBe(7);
    // data() is a fresh copy
    const d = t.dataSync();
    d[0] = 100;
    expect(t.dataSync()[0]).toBe(1);
  });
  it('item on several elements raises', async () => {
    expect(() => torch.ones(2).itemSync()).toThrow(/a Tensor with 2 elements cannot be converted to Scalar/);
    await expect(torch.ones(2).item()).rejects.toThrow(/2 elements/);
  });
  it("PyTorch's `total += loss.item()` without await adds the value on the CPU, and is an error where the read is asynchronous", async () => {
    const l = torch.tensor([1.5, 2]).sum();
    let total: unknown = 0;
    total = (total as number) + (l.item() as unknown as number);
    total = (total as number) + (l.item() as unknown as number);
    expect(total).toBe(7);
    expect(`${l.item() as unknown as string}`).toBe('3.5');
    expect(Number(torch.tensor([true]).item())).toBe(1);
    expect(await l.item()).toBe(3.5);
    for (const device of testDevices().filter((d) => d !== 'cpu')) {
      const g = l.to(device);
      expect(() => (g.item() as unknown as number) + 1).toThrow(new RegExp(`item\\(\\) on '${device}' is a Promise, and its value is not known yet: write 'await t.item\\(\\)'`));
      expect(await g.item()).toBe(3.5);
    }
  });
});

describe('printing like PyTorch', () => {
  // Each expected string is PyTorch 1.13's print() of the same tensor.
  const cases: [string, () => import('../src/index.js').Tensor, string][] = [
    ['floats', () => torch.tensor([[1.5, 2], [3, 4]]), 'tensor([[1.5000, 2.0000],\n        [3.0000, 4.0000]])'],
    ['ints', () => torch.tensor([-5, 300]), 'tensor([ -5, 300])'],
    ['integer-valued floats', () => torch.tensor([1, 2], { dtype: 'float32' }), 'tensor([1., 2.])'],
    ['scalar', () => torch.tensor(3.5), 'tensor(3.5000)'],
    ['bool', () => torch.tensor([true, false]), 'tensor([ True, False])'],
    ['nan/inf', () => torch.tensor([1.5, NaN, Infinity]), 'tensor([1.5000,    nan,    inf])'],
    ['scientific (small)', () => torch.tensor([1e-5, 1]), 'tensor([1.0000e-05, 1.0000e+00])'],
    ['scientific (range)', () => torch.tensor([0.1, 100.25]), 'tensor([1.0000e-01, 1.0025e+02])'],
    ['float64 suffix', () => torch.tensor([1, 2], { dtype: 'float64' }), 'tensor([1., 2.], dtype=torch.float64)'],
    ['uint8', () => torch.tensor([[1, 2], [3, 4]], { dtype: 'uint8' }), 'tensor([[1, 2],\n        [3, 4]], dtype=torch.uint8)'],
    ['float16', () => torch.tensor([1.25, -2], { dtype: 'float16' }), 'tensor([ 1.2500, -2.0000], dtype=torch.float16)'],
    ['empty', () => torch.zeros(0, 3), 'tensor([], size=(0, 3))'],
    ['3-d', () => torch.zeros(2, 2, 2), 'tensor([[[0., 0.],\n         [0., 0.]],\n\n        [[0., 0.],\n         [0., 0.]]])'],
    ['requires grad', () => torch.tensor([1, 2], { dtype: 'float64', requiresGrad: true }), 'tensor([1., 2.], dtype=torch.float64, requires_grad=True)'],
    ['wrapped line', () => torch.arange(30).float().div(7),
      'tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n' +
      '        1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,\n' +
      '        2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143,\n' +
      '        3.8571, 4.0000, 4.1429])'],
    ['summarized', () => torch.arange(2000).float(),
      'tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])'],
    ['summarized 2-d', () => torch.arange(1200).reshape(40, 30),
      'tensor([[   0,    1,    2,  ...,   27,   28,   29],\n        [  30,   31,   32,  ...,   57,   58,   59],\n' +
      '        [  60,   61,   62,  ...,   87,   88,   89],\n        ...,\n        [1110, 1111, 1112,  ..., 1137, 1138, 1139],\n' +
      '        [1140, 1141, 1142,  ..., 1167, 1168, 1169],\n        [1170, 1171, 1172,  ..., 1197, 1198, 1199]])'],
  ];
  for (const [name, make, want] of cases) it(name, () => { expect(make().toString()).toBe(want); });

  it('grad_fn suffix and console.log / util.inspect use the same text', () => {
    const y = torch.tensor([1, 2], { dtype: 'float32', requiresGrad: true }).mul(2);
    expect(y.toString()).toMatch(/^tensor\(\[2\., 4\.\], grad_fn=<Mul\w*Backward\w*>\)$/);
    const t = torch.tensor([1.5, 2]);
    expect(inspect(t)).toBe('tensor([1.5000, 2.0000])');
    expect(inspect({ t })).toContain('tensor([1.5000, 2.0000])');
    t.dispose();
    expect(inspect(t)).toContain('disposed');
  });
});

describe('dtype conversions', () => {
  it('to(dtype) converts values like PyTorch (truncation toward zero for ints, bool is != 0)', () => {
    const x = torch.tensor([-1.7, -0.2, 0, 0.6, 2.5]);
    expect(Array.from(x.to('int32').dataSync())).toEqual([-1, 0, 0, 0, 2]);
    expect(x.to('bool').tolistSync()).toEqual([true, true, false, true, true]);
    expect(x.double().dtype).toBe('float64');
    expect(torch.tensor([1, 300]).to('uint8').tolistSync()).toEqual([1, 44]); // wraps modulo 256 like PyTorch
    expect(torch.tensor([true, false]).float().tolistSync()).toEqual([1, 0]);
    expect(x.to('float32')).toBe(x); // same dtype: no copy, like PyTorch
  });

  it('float16 storage round trip: representable values exact, others rounded to nearest, overflow to inf', () => {
    const h = torch.tensor([1.5, -2.25, 65504, 0.1, 70000, 6e-8, 1e-9], { dtype: 'float16' });
    expect(h.dtype).toBe('float16');
    expect(h.elementSize()).toBe(2);
    const back = Array.from(h.float().dataSync());
    // float16 neighbours: 0.1 -> 0.0999755859375; 6e-8 -> 2^-24 (smallest subnormal); 1e-9 -> 0
    expect(back).toEqual([1.5, -2.25, 65504, 0.0999755859375, Infinity, 5.960464477539063e-8, 0]);
    const viaF64 = torch.tensor([0.1, 3], { dtype: 'float64' }).half().double();
    expect(Array.from(viaF64.dataSync())).toEqual([0.0999755859375, 3]);
    expect(h.dataSync()).toBeInstanceOf(Float32Array);
  });
});

describe('JSON', () => {
  it("JSON.stringify of a tensor is PyTorch's json.dumps TypeError, not a dump of its storage", async () => {
    expect(() => JSON.stringify({ loss: torch.tensor([1, 2]) })).toThrow(
      'Object of type Tensor is not JSON serializable (shape [2], dtype int32, device cpu): serialize its values, `await t.tolist()` or `await t.item()`');
    expect(JSON.stringify({ loss: await torch.tensor([1.5]).item() })).toBe('{"loss":1.5}');
  });
});
