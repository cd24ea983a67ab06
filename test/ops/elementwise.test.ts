// Elementwise ops vs PyTorch fixtures (test/fixtures/gen_elementwise.py), forward and gradient,
// on every available device.
import { describe, expect, it } from 'vitest';
import { countCalls, opSuite, testDevices, torch, type OpImpl } from '../helpers.js';
import { realBackend } from '../../src/backends/registry.js';
import type { Tensor } from '../../src/index.js';

const unaryNames = ['neg', 'abs', 'exp', 'expm1', 'log', 'log1p', 'log2', 'log10', 'sqrt', 'rsqrt', 'sin', 'cos', 'tan', 'asin', 'acos',
  'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'atanh', 'sigmoid', 'erf', 'erfinv', 'reciprocal', 'square', 'relu', 'exp2', 'frac'] as const;
const impls: Record<string, OpImpl> = {};
for (const n of unaryNames) {
  impls[n] = (x) => (x[n] as () => Tensor).call(x);
  impls[`${n}/transposed`] = (x) => (torch[n] as (t: Tensor) => Tensor)(x.t());
}
Object.assign(impls, {
  acosh: (x) => x.acosh(),
  'erf/float64': (x) => x.erf(),
  floor: (x) => x.floor(), ceil: (x) => x.ceil(), round: (x) => x.round(), trunc: (x) => x.trunc(), sign: (x) => x.sign(),
  'round/halves': (x) => torch.round(x),
  'abs/int': (x) => x.abs(),
  'exp/int-promotes': (x) => x.exp(),
  'neg/empty': (x) => x.neg(),
  'exp/scalar0d': (x) => x.exp(),
  isnan: (x) => x.isnan(), isinf: (x) => x.isinf(), isfinite: (x) => x.isfinite(), nanToNum: (x) => x.nanToNum(),
  logicalNot: (x) => x.logicalNot(),
} satisfies Record<string, OpImpl>);

for (const n of [...unaryNames.filter((n) => !['erfinv', 'frac', 'log10'].includes(n)), 'log10', 'acosh', 'floor', 'ceil', 'round', 'trunc', 'sign'] as const) {
  impls[`${n}/specials`] = (x) => (torch[n] as (t: Tensor) => Tensor)(x);
}
impls['pow/specials'] = (a, b) => torch.pow(a, b!);
for (const n of ['atan2', 'fmod', 'remainder'] as const) impls[`${n}/specials`] = (a, b) => (torch[n] as (a: Tensor, b: Tensor) => Tensor)(a, b!);

for (const n of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'atan2'] as const) {
  const f = torch[n] as (a: Tensor, b: Tensor) => Tensor;
  impls[n] = (a, b) => f(a, b!);
  impls[`${n}/broadcast`] = (a, b) => f(a, b!);
  impls[`${n}/transposed`] = (a, b) => f(a.t(), b!);
}
Object.assign(impls, {
  'add/alpha': (a, b) => torch.add(a, b!, { alpha: 2.5 }),
  'sub/alpha': (a, b) => a.sub(b!, { alpha: 0.5 }),
  'add/scalar': (a) => a.add(1.5),
  'mul/scalar': (a) => a.mul(-3),
  'rsub/scalar': (a) => torch.sub(1, a),
  'div/scalar-left': (a) => torch.div(2, a),
  'div/int-int': (a, b) => a.div(b!),
  'div/trunc': (a, b) => a.mul(4).div(b!, { roundingMode: 'trunc' }),
  'div/floor': (a, b) => a.mul(4).div(b!, { roundingMode: 'floor' }),
  'div/floor-int': (a, b) => a.div(b!, { roundingMode: 'floor' }),
  pow: (a, b) => a.pow(b!),
  'pow/scalar-exp': (a) => a.pow(3),
  'pow/frac-exp': (a) => a.pow(0.5),
  'pow/scalar-base': (a) => torch.pow(2.0, a),
  'pow/int': (a) => a.pow(2),
  fmod: (a, b) => a.mul(3).fmod(b!),
  remainder: (a, b) => a.mul(3).remainder(b!),
  'remainder/int': (a, b) => a.remainder(b!),
  'fmod/int': (a, b) => a.fmod(b!),
  'floorDivide/int': (a, b) => a.floorDivide(b!),
  'maximum/ties': (a, b) => torch.maximum(a, b!),
  logicalAnd: (a, b) => a.logicalAnd(b!), logicalOr: (a, b) => a.logicalOr(b!), logicalXor: (a, b) => a.logicalXor(b!),
  bitwiseAnd: (a, b) => a.bitwiseAnd(b!), bitwiseOr: (a, b) => a.bitwiseOr(b!), bitwiseXor: (a, b) => a.bitwiseXor(b!),
  bitwiseNot: (a) => a.bitwiseNot(),
  'promote/int+float': (a, b) => a.add(b!),
  'promote/int*2.5': (a) => a.mul(2.5),
  'promote/bool+int': (a, b) => a.add(b!),
  'promote/float64+float32': (a, b) => a.add(b!),
  'promote/0d-float64+float32': (a, b) => a.add(b!),
  'promote/int+0d-float': (a, b) => a.add(b!),
  'promote/uint8+int': (a, b) => a.add(b!),
  'uint8/wrap': (a, b) => a.add(b!),
  where: (c, a, b) => torch.where(c, a!, b!),
  'where/scalar': (c, a) => torch.where(c, a!, 0.0),
  clamp: (a) => a.clamp(-0.5, 0.5),
  'clamp/min': (a) => a.clamp(0.1),
  'clamp/max': (a) => a.clamp(null, 0.1),
  'clamp/tensor': (a, lo, hi) => a.clamp(lo!, lo!.add(hi!.abs())),
  lerp: (a, b, w) => a.lerp(b!, w!),
  'lerp/scalar': (a, b) => torch.lerp(a, b!, 0.3),
  addcmul: (a, b, c) => a.addcmul(b!, c!, { value: 0.5 }),
  addcdiv: (a, b, c) => a.addcdiv(b!, c!, { value: 2 }),
  maskedFill: (a, m) => a.maskedFill(m!, -1.5),
  'add/shape-mismatch': (a, b) => a.add(b!),
} satisfies Record<string, OpImpl>);
for (const n of ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const) {
  impls[n] = (a, b) => a[n](b!);
  impls[`${n}/float-scalar`] = (a) => a[n](0.1);
}

opSuite('elementwise', impls);

// ReLU's gradient is PyTorch's threshold_backward (0 where the output is <= 0, else the incoming
// gradient): an inf gradient at a clamped element gives 0, not inf * 0 = NaN. Expected values from
// PyTorch 1.13: x [-1, 0, 2, nan, 3], grad [inf, inf, inf, nan, -inf] -> x.grad [0, 0, inf, nan, -inf].
describe('relu gradient at non-finite values', () => {
  for (const device of testDevices()) {
    it(device, async () => {
      const x = torch.tensor([-1, 0, 2, NaN, 3], { device }).requiresGrad_();
      torch.relu(x).backward(torch.tensor([Infinity, Infinity, Infinity, NaN, -Infinity], { device }));
      expect(Array.from(await x.grad!.data())).toEqual([0, 0, Infinity, NaN, -Infinity]);
    });
    it(`${device}: one fused kernel where the backend has them, the composed where(out <= 0, 0, g)'s bits; composed under createGraph`, async () => {
      torch.manualSeed(3);
      const x = torch.randn([5, 300]).mul(2).round().div(2).to(device).requiresGrad_(); // many exact zeros
      const g = torch.randn([5, 300]).to(device);
      const be = realBackend(device) as { fused?: (...a: unknown[]) => boolean };
      const fused = be.fused;
      let calls = 0;
      if (fused) be.fused = function (this: unknown, ...a: unknown[]) { calls++; return fused.apply(this, a); };
      try {
        torch.relu(x).backward(g.mul(torch.tensor([1, NaN, Infinity, -0, -1]).to(device).reshape(5, 1)));
      } finally { if (fused) be.fused = fused; }
      if (fused) expect(calls).toBe(1);
      const gx = await x.grad!.data();
      const y = torch.relu(x.detach());
      const want = await torch.where(y.le(0), 0, g.mul(torch.tensor([1, NaN, Infinity, -0, -1]).to(device).reshape(5, 1))).data();
      expect(Array.from(gx).map((v) => Object.is(v, -0) ? '-0' : v)).toEqual(Array.from(want).map((v) => Object.is(v, -0) ? '-0' : v));
      // With createGraph the rule composes (differentiable ops, no fused kernel), with the same values.
      const x2 = x.detach().requiresGrad_();
      calls = 0;
      if (fused) be.fused = function (this: unknown, ...a: unknown[]) { calls++; return fused.apply(this, a); };
      let g2: Tensor | null | undefined;
      try { [g2] = torch.autograd.grad([torch.relu(x2).mul(g).sum()], [x2], { createGraph: true }); } finally { if (fused) be.fused = fused; }
      expect(calls).toBe(0);
      expect(Array.from(await g2!.data())).toEqual(Array.from(await torch.where(y.le(0), 0, g).data()));
    });
  }
});

// GELU (exact form) is one autograd node: forward and gradient each one fused kernel where the
// backend fuses (autograd/fused-rules.ts), the composed ops' bits; PyTorch's values are checked by
// the functional fixtures.
describe('gelu as one node with fused kernels', () => {
  for (const device of testDevices()) {
    it(device, async () => {
      torch.manualSeed(5);
      const x = torch.randn([7, 130]).mul(3).to(device).requiresGrad_(), g = torch.randn([7, 130]).to(device);
      const [y, calls] = countCalls(device, 'fused', () => { const r = torch.nn.functional.gelu(x); r.backward(g); return r; });
      if (calls !== null) expect(calls).toBe(2);
      const xd = x.detach();
      const wantY = xd.mul(0.5).mul(xd.mul(Math.SQRT1_2).erf().add(1));
      const wantG = g.mul(xd.mul(Math.SQRT1_2).erf().add(1).mul(0.5).add(xd.mul(xd.mul(xd).mul(-0.5).exp().mul(1 / Math.sqrt(2 * Math.PI)))));
      expect(Array.from(await y.data())).toEqual(Array.from(await wantY.data()));
      expect(Array.from(await x.grad!.data())).toEqual(Array.from(await wantG.data()));
    });
    it(`${device}: tanh form, PyTorch's formulas (x^3 as x x x), the composed ops' bits`, async () => {
      torch.manualSeed(6);
      const x = torch.randn([7, 130]).mul(3).to(device).requiresGrad_(), g = torch.randn([7, 130]).to(device);
      const [y, calls] = countCalls(device, 'fused', () => { const r = torch.nn.functional.gelu(x, { approximate: 'tanh' }); r.backward(g); return r; });
      if (calls !== null) expect(calls).toBe(2);
      const xd = x.detach(), beta = Math.sqrt(2 / Math.PI), kappa = 0.044715;
      const t = xd.add(xd.mul(xd).mul(xd).mul(kappa)).mul(beta).tanh();
      const wantY = xd.mul(0.5).mul(t.add(1));
      const right = xd.mul(0.5).mul(t.mul(t).neg().add(1)).mul(beta).mul(xd.mul(xd).mul(3 * kappa).add(1));
      const wantG = g.mul(t.add(1).mul(0.5).add(right));
      expect(Array.from(await y.data())).toEqual(Array.from(await wantY.data()));
      expect(Array.from(await x.grad!.data())).toEqual(Array.from(await wantG.data()));
    });
  }
});
