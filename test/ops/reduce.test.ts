// Reductions vs PyTorch fixtures (test/fixtures/gen_reduce.py), forward and gradient, on every
// available device; plus finite-difference gradchecks of the composite reductions in float64.
import { describe, expect, it } from 'vitest';
import { countCalls, opSuite, testDevices, torch, type OpImpl } from '../helpers.js';
import type { Tensor, ValuesIndices } from '../../src/index.js';

type Red = (x: Tensor, dim?: number | number[] | null, keepdim?: boolean) => Tensor;
const impls: Record<string, OpImpl> = {};
for (const [name, f] of [['sum', (x, d, k) => x.sum(d, k)], ['mean', (x, d, k) => torch.mean(x, d, k)]] as [string, Red][]) {
  Object.assign(impls, {
    [`${name}/all`]: (x) => f(x),
    [`${name}/dim1`]: (x) => f(x, 1),
    [`${name}/dim-1-keepdim`]: (x) => f(x, -1, true),
    [`${name}/dims02`]: (x) => f(x, [0, 2]),
    [`${name}/dims-neg-keepdim`]: (x) => f(x, [-1, 0], true),
    [`${name}/transposed`]: (x) => f(x.t(), 1),
    [`${name}/sliced`]: (x) => f(x.index([1, null, 2], [null, null, 2]), 0),
    [`${name}/size1`]: (x) => f(x, 1),
    [`${name}/0d`]: (x) => f(x),
    [`${name}/dim-out-of-range`]: (x) => f(x, 2),
  } satisfies Record<string, OpImpl>);
}
Object.assign(impls, {
  'sum/empty-dim': (x) => x.sum(0),
  'sum/empty-all': (x) => x.sum(),
  'mean/empty-all': (x) => x.mean(),
  'sum/int': (x) => x.sum(1),
  'sum/bool': (x) => x.sum(),
  'sum/dtype-float64': (x) => x.sum(0, false, { dtype: 'float64' }),
  'mean/int-error': (x) => x.mean(),
  'prod/all': (x) => x.prod(),
  'prod/dim': (x) => x.prod(1),
  'prod/dim-keepdim': (x) => x.prod(0, true),
  'prod/transposed': (x) => x.t().prod(-1),
  'prod/one-zero': (x) => x.prod(1),
  'prod/two-zeros': (x) => x.prod(1),
  'prod/all-one-zero': (x) => torch.prod(x),
  'prod/int': (x) => x.prod(1),
  'prod/empty-dim': (x) => x.prod(1),
} satisfies Record<string, OpImpl>);

for (const name of ['max', 'min'] as const) {
  const byDim = (x: Tensor, d: number, k = false): ValuesIndices => x[name](d, k);
  Object.assign(impls, {
    [`${name}/all`]: (x) => x[name](),
    [`${name}/dim-values`]: (x) => byDim(x, 1).values,
    [`${name}/dim-indices`]: (x) => byDim(x, 1).indices,
    [`${name}/dim-keepdim-values`]: (x) => byDim(x, -1, true).values,
    [`${name}/dim-keepdim-indices`]: (x) => byDim(x, -1, true).indices,
    [`${name}/transposed-values`]: (x) => byDim(x.t(), 0).values,
    [`${name}/tensor`]: (x, y) => x[name](y!),
    [`${name}/empty-error`]: (x) => x[name](),
    [`${name}/empty-dim-error`]: (x) => byDim(x, 0).values,
    [`${name}/int-dim-values`]: (x) => byDim(x, 1).values,
  } satisfies Record<string, OpImpl>);
}
Object.assign(impls, {
  'max/ties-all': (x) => x.max(),
  'max/ties-dim-values': (x) => x.max(1).values,
  'max/ties-dim-indices': (x) => x.max(1).indices,
  'min/ties-all': (x) => torch.min(x),
} satisfies Record<string, OpImpl>);
for (const name of ['amax', 'amin'] as const) {
  Object.assign(impls, {
    [`${name}/all`]: (x) => x[name](),
    [`${name}/dim`]: (x) => x[name](1),
    [`${name}/dims-keepdim`]: (x) => x[name]([0, -1], true),
    [`${name}/transposed`]: (x) => x.t()[name](1),
    [`${name}/ties`]: (x) => x[name](1),
    [`${name}/ties-dims`]: (x) => x[name]([0, 1]),
    [`${name}/empty-error`]: (x) => x[name](1),
  } satisfies Record<string, OpImpl>);
}
for (const name of ['argmax', 'argmin'] as const) {
  Object.assign(impls, {
    [`${name}/all`]: (x) => x[name](),
    [`${name}/dim`]: (x) => x[name](1),
    [`${name}/dim-keepdim`]: (x) => x[name](-1, true),
    [`${name}/transposed`]: (x) => x.t()[name](1),
    [`${name}/ties-first`]: (x) => x[name](1),
    [`${name}/int`]: (x) => x[name](0),
    [`${name}/empty-error`]: (x) => x[name](),
  } satisfies Record<string, OpImpl>);
}
for (const name of ['var', 'std'] as const) {
  Object.assign(impls, {
    [`${name}/all`]: (x) => x[name](),
    [`${name}/dim`]: (x) => x[name](1),
    [`${name}/biased`]: (x) => x[name](1, { unbiased: false }),
    [`${name}/dims-keepdim`]: (x) => x[name]([0, 2], { keepdim: true }),
    [`${name}/correction2`]: (x) => x[name](-1, { correction: 2 }),
    [`${name}/correction0-all`]: (x) => torch[name](x, null, { correction: 0 }),
    [`${name}/transposed`]: (x) => x.t()[name](1),
    [`${name}/single`]: (x) => x[name](1),
    [`${name}/int-error`]: (x) => x[name](),
  } satisfies Record<string, OpImpl>);
}
Object.assign(impls, {
  'norm/fro-all': (x) => x.norm(),
  'norm/p2-dim': (x) => x.norm(2, 1),
  'norm/p1-dim': (x) => x.norm(1, 0),
  'norm/inf-dim': (x) => x.norm(Infinity, 1),
  'norm/-inf-dim': (x) => x.norm('-inf', 1),
  'norm/p3-keepdim': (x) => x.norm(3, -1, true),
  'norm/p0': (x) => x.norm(0, 1),
  'norm/fro-dims': (x) => x.norm('fro', [0, 2]),
  'norm/p2-dims-keepdim': (x) => torch.norm(x, 2, [1, 2], true),
  'norm/transposed': (x) => x.t().norm(2, 1),
  'norm/float64': (x) => x.norm(1.5, 1),
  'logsumexp/dim': (x) => x.logsumexp(1),
  'logsumexp/dim0-keepdim': (x) => x.logsumexp(0, true),
  'logsumexp/dims': (x) => x.logsumexp([0, 2]),
  'logsumexp/large': (x) => x.mul(100).add(1000).logsumexp(1),
  'logsumexp/neg-inf-row': (x) => x.logsumexp(1),
  'logsumexp/transposed': (x) => x.t().logsumexp(-1),
} satisfies Record<string, OpImpl>);
for (const name of ['cumsum', 'cumprod'] as const) {
  Object.assign(impls, {
    [`${name}/dim0`]: (x) => x[name](0),
    [`${name}/dim-1`]: (x) => x[name](-1),
    [`${name}/transposed`]: (x) => x.t()[name](1),
    [`${name}/int`]: (x) => x[name](1),
    [`${name}/empty`]: (x) => x[name](0),
    [`${name}/0d`]: (x) => x[name](0),
    [`${name}/dim-error`]: (x) => x[name](1),
  } satisfies Record<string, OpImpl>);
}
impls['cumprod/with-zero'] = (x) => x.cumprod(1);
for (const name of ['all', 'any'] as const) {
  Object.assign(impls, {
    [`${name}/bool`]: (x) => x[name](),
    [`${name}/dim`]: (x) => x[name](1),
    [`${name}/dim-keepdim`]: (x) => x[name](0, true),
    [`${name}/float`]: (x) => x[name](-1),
    [`${name}/empty`]: (x) => x[name](),
  } satisfies Record<string, OpImpl>);
}
for (const name of ['softmax', 'logSoftmax'] as const) {
  Object.assign(impls, {
    [`${name}/dim-1`]: (x) => x[name](-1),
    [`${name}/dim0`]: (x) => x[name](0),
    [`${name}/3d-dim1`]: (x) => torch[name](x, 1),
    [`${name}/transposed`]: (x) => x.t()[name](1),
    [`${name}/large`]: (x) => x.mul(50).add(500)[name](1),
    [`${name}/float64`]: (x) => x[name](1),
  } satisfies Record<string, OpImpl>);
}
Object.assign(impls, {
  'median/all-odd': (x) => x.median(),
  'median/all-even': (x) => x.median(),
  'median/dim-values': (x) => x.median(1).values,
  'median/dim-indices': (x) => x.median(1).indices,
  'median/dim0-even-keepdim': (x) => x.median(0, true).values,
  'median/empty': (x) => x.median(),
  'kthvalue/values': (x) => x.kthvalue(2, 1).values,
  'kthvalue/indices': (x) => x.kthvalue(2, 1).indices,
  'kthvalue/dim0-keepdim': (x) => x.kthvalue(4, 0, true).values,
  'kthvalue/k-error': (x) => x.kthvalue(6, 1).values,
  'mode/values': (x) => x.mode(1).values,
  'mode/float-values': (x) => x.mode(-1).values,
  'mode/dim0-values': (x) => x.mode(0).values,
  'nansum/all': (x) => x.nansum(),
  'nansum/dim': (x) => x.nansum(1),
  'nanmean/all': (x) => x.nanmean(),
  'nanmean/dim0': (x) => x.nanmean(0),
  'countNonzero/all': (x) => x.countNonzero(),
  'countNonzero/dim': (x) => x.countNonzero(1),
  'countNonzero/dims': (x) => x.countNonzero([0, 2]),
} satisfies Record<string, OpImpl>);

Object.assign(impls, {
  'norm/int-error': (x) => x.norm(),
  'norm/zero-vector': (x) => x.norm(),
  'norm/p3-zero-row': (x) => x.norm(3, 1),
  'norm/p1.5-zero-row': (x) => x.norm(1.5, 1),
  'norm/inf-ties': (x) => x.norm('inf'),
  'logsumexp/int': (x) => x.logsumexp(1),
  'softmax/int-error': (x) => x.softmax(0),
  'softmax/int-dtype': (x) => torch.softmax(x, 0, { dtype: 'float32' }),
  'median/nan': (x) => x.median(),
  'median/nan-dim-values': (x) => x.median(1).values,
  'median/nan-dim-indices': (x) => x.median(1).indices,
  'kthvalue/nan': (x) => x.kthvalue(3).values,
  'cumsum/bool': (x) => x.cumsum(1),
  'amax/0d': (x) => x.amax(0),
  'argmax/0d': (x) => x.argmax(0),
  'max/0d-dim-values': (x) => x.max(0).values,
  'all/int': (x) => x.all(1),
  'any/float-all': (x) => x.any(),
  'max/bool': (x) => x.max(),
  'sum/dtype-int32-bool': (x) => x.sum(null, false, { dtype: 'int32' }),
  'var/correction-too-large': (x) => x.var(0, { correction: 2 }),
  'mode/indices-last': (x) => x.mode(1).indices,
  'mode/float-grad': (x) => x.mode(1).values,
  'max/nan-all': (x) => x.max(),
  'amax/nan-dim': (x) => x.amax(1),
  'min/nan-dim-values': (x) => x.min(1).values,
  'min/nan-dim-indices': (x) => x.min(1).indices,
  'argmax/nan': (x) => x.argmax(1),
  'argmin/nan-all': (x) => x.argmin(),
  'logsumexp/empty-dim': (x) => x.logsumexp(1),
  'softmax/all-neg-inf': (x) => x.softmax(1),
  'cumsum/neg-dim-3d': (x) => x.cumsum(-2),
  'std/float64-dims': (x) => x.std([0, 2], { unbiased: false, keepdim: true }),
  'argmax/keepdim-no-dim': (x) => x.argmax(null, true),
  'all/uint8': (x) => x.all(),
  'countNonzero/bool': (x) => x.countNonzero(),
  'std/0d': (x) => x.std(),
  'cumsum/uint8': (x) => x.cumsum(0),
  'sum/repeated-dim-error': (x) => x.sum([0, 0]),
  'any/uint8-dim': (x) => x.any(1),
} satisfies Record<string, OpImpl>);

opSuite('reduce', impls);

describe('reduce gradcheck (float64 finite differences)', () => {
  it('autograd.grad returns a leaf gradient once (regression: it was counted twice)', () => {
    const x = torch.tensor([1, 2, 3], { dtype: 'float64' }).requiresGrad_(true);
    const [g] = torch.autograd.grad(x.sum(), x);
    expect(Array.from(g!.dataSync())).toEqual([1, 1, 1]);
  });
  const x = () => torch.randn([3, 4], { dtype: 'float64' }).requiresGrad_(true);
  it('var / std with correction', () => {
    torch.manualSeed(1);
    expect(torch.autograd.gradcheck((a) => a.var(1, { correction: 2 }), [x()])).toBe(true);
    expect(torch.autograd.gradcheck((a) => a.std([0, 1]), [x()])).toBe(true);
  });
  it('norm p=2, p=3, fro over dims', () => {
    torch.manualSeed(2);
    expect(torch.autograd.gradcheck((a) => a.norm(2, 1), [x()])).toBe(true);
    expect(torch.autograd.gradcheck((a) => a.norm(3, 0, true), [x()])).toBe(true);
    expect(torch.autograd.gradcheck((a) => a.norm('fro'), [x()])).toBe(true);
  });
  it('logsumexp and logSoftmax', () => {
    torch.manualSeed(3);
    expect(torch.autograd.gradcheck((a) => a.logsumexp([0, 1]), [x()])).toBe(true);
    expect(torch.autograd.gradcheck((a) => a.logSoftmax(0), [x()])).toBe(true);
  });
  it('cumprod, including a zero', () => {
    torch.manualSeed(4);
    expect(torch.autograd.gradcheck((a) => a.cumprod(1), [x()])).toBe(true);
    const z = torch.tensor([[0.5, 0, 2, -1.5], [1.2, -0.7, 0, 3]], { dtype: 'float64' }).requiresGrad_(true);
    expect(torch.autograd.gradcheck((a) => a.cumprod(1), [z])).toBe(true);
    expect(torch.autograd.gradcheck((a) => a.prod(1), [z])).toBe(true);
  });
  it('second derivatives of prod and cumprod (createGraph), zeros included', () => {
    const z = torch.tensor([[0.5, 0, 2, -1.5], [1.2, -0.7, 0.3, 3]], { dtype: 'float64' }).requiresGrad_(true);
    const gradOf = (f: (a: Tensor) => Tensor) => (a: Tensor) => torch.autograd.grad(f(a).pow(2).sum(), a, { createGraph: true })[0]!;
    expect(torch.autograd.gradcheck(gradOf((a) => a.prod(1)), [z])).toBe(true);
    expect(torch.autograd.gradcheck(gradOf((a) => a.cumprod(1)), [z])).toBe(true);
  });
});

describe('softmax and logSoftmax: their exp and last passes fused where the backend fuses', () => {
  it.each(testDevices())('%s: the composed ops\' bits, forward and backward, with -inf rows and entries', async (device) => {
    const F = torch.nn.functional;
    torch.manualSeed(11);
    const v = Float32Array.from(torch.randn([6, 33]).mul(4).dataSync());
    v[5] = -Infinity;
    for (let j = 0; j < 33; j++) v[33 * 2 + j] = -Infinity; // a row of -inf: NaN softmax, as PyTorch
    const xs = torch.tensor(v).reshape(6, 33).to(device), g = torch.randn([6, 33]).to(device);
    const bits = async (t: torch.Tensor) => Array.from(await t.data()).map((v) => (Object.is(v, -0) ? '-0' : v));
    for (const [name, op, composed, rule] of [
      ['softmax', (x: torch.Tensor) => F.softmax(x, -1), (x: torch.Tensor) => { const e = x.sub(x.amax(-1, true)).exp(); return e.div(e.sum(-1, true)); },
        (y: torch.Tensor) => y.mul(g.sub(g.mul(y).sum(-1, true)))],
      ['logSoftmax', (x: torch.Tensor) => F.logSoftmax(x, -1), (x: torch.Tensor) => x.sub(torch.logsumexp(x, -1, true)),
        (y: torch.Tensor) => g.sub(y.exp().mul(g.sum(-1, true)))],
    ] as const) {
      const x = xs.detach().requiresGrad_();
      const [y, calls] = countCalls(device, 'fused', () => op(x));
      if (calls !== null) expect(calls, `${name}: fused forward kernels`).toBe(name === 'softmax' ? 1 : 2);
      const want = torch.noGrad(() => composed(xs));
      expect(await bits(y), `${name} forward`).toEqual(await bits(want));
      const [, bcalls] = countCalls(device, 'fused', () => y.backward(g));
      if (bcalls !== null) expect(bcalls, `${name}: fused backward kernels`).toBe(1);
      expect(await bits(x.grad!), `${name} backward`).toEqual(await bits(torch.noGrad(() => rule(want))));
    }
  });
});

describe('layerNorm and groupNorm forward: the variance sum and the normalization each one fused kernel', () => {
  it.each(testDevices())('%s: the composed ops\' bits', async (device) => {
    const F = torch.nn.functional;
    torch.manualSeed(12);
    const x = torch.randn([4, 6, 37]).mul(3).add(1).to(device), w = torch.randn([37]).to(device), b = torch.randn([37]).to(device);
    const [[y, z], calls] = countCalls(device, 'fused', () => [F.layerNorm(x, [37], w, b, { eps: 1e-3 }), F.groupNorm(x, 3, null, null, { eps: 1e-5 })]);
    if (calls !== null) expect(calls).toBe(4);
    const composed = (t: torch.Tensor, dims: number[], eps: number) => torch.noGrad(() => {
      const xc = t.sub(t.mean(dims, true));
      return xc.mul(xc.square().mean(dims, true).add(eps).rsqrt());
    });
    const bits = async (t: torch.Tensor) => Array.from(await t.data());
    expect(await bits(y)).toEqual(await bits(torch.noGrad(() => composed(x, [2], 1e-3).mul(w).add(b))));
    expect(await bits(z)).toEqual(await bits(composed(x.reshape(4, 3, -1), [2], 1e-5).reshape(4, 6, 37)));
  });
});
