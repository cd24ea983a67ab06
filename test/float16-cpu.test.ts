// float16 on the CPU is a storage type: every op on float16 CPU tensors computes in float32 and
// rounds the result to float16. Checked against PyTorch 1.13 (test/fixtures/cpu_float16.json, from
// cpu_float16_fixtures.py): its own Half CPU kernel where it has one, else float32 on the same float16
// inputs rounded to float16. Tolerance: a couple of float16 ulps (summation order differs).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { torch } from './helpers.js';
import type { Tensor } from '../src/index.js';

interface Enc { dtype: string; shape: number[]; data: (number | boolean)[] }
// Non-finite values are written as strings ('inf', '-inf', 'nan').
const revive = (_k: string, v: unknown): unknown => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v === 'nan' ? NaN : v);
const fx = JSON.parse(readFileSync(new URL('./fixtures/cpu_float16.json', import.meta.url), 'utf8'), revive) as { inputs: Record<string, Enc>; cases: Record<string, { how: string; out: Enc }> };
const F = torch.nn.functional;

const input = (k: string): Tensor => torch.tensor(fx.inputs[k]!.data as number[], { dtype: 'float16' }).reshape(fx.inputs[k]!.shape);
const a = input('a'), b = input('b'), m = input('m'), img = input('img'), w = input('w');
const tgt = torch.tensor([1, 0, 3]);
const idx = (v: number[][]) => torch.tensor(v);

const CASES: Record<string, () => Tensor> = {
  add: () => a.add(b), sub: () => a.sub(b), mul: () => a.mul(b), div: () => a.div(b),
  pow: () => b.pow(2.5), neg: () => a.neg(), abs: () => a.abs(), exp: () => a.exp(), log: () => b.log(),
  sqrt: () => b.sqrt(), sin: () => a.sin(), tanh: () => a.tanh(), sigmoid: () => a.sigmoid(),
  relu: () => a.relu(), gelu: () => F.gelu(a), clamp: () => a.clamp(-1, 1), maximum: () => torch.maximum(a, b),
  gt: () => a.gt(b), where: () => torch.where(a.gt(0), a, b),
  sum: () => a.sum(), sum_dim: () => a.sum(1), mean: () => a.mean(0), prod: () => b.prod(1),
  amax: () => a.amax(1), argmax: () => a.argmax(1), cumsum: () => a.cumsum(1), var: () => a.var(1),
  sort: () => a.sort(1).values, argsort: () => a.argsort(1), topk: () => a.topk(2, 1).values,
  softmax: () => a.softmax(-1), log_softmax: () => a.logSoftmax(-1), logsumexp: () => a.logsumexp(1),
  matmul: () => a.matmul(m), linear: () => F.linear(a, m.t()), conv2d: () => F.conv2d(img, w, null, { padding: 1 }),
  max_pool2d: () => F.maxPool2d(img, 2), avg_pool2d: () => F.avgPool2d(img, 2),
  layer_norm: () => F.layerNorm(a, [4]), cross_entropy: () => F.crossEntropy(a, tgt), mse_loss: () => F.mseLoss(a, b),
  cat: () => torch.cat([a, b], 1), gather: () => a.gather(1, idx([[0], [3], [1]])),
  index_select: () => a.indexSelect(1, torch.tensor([3, 0])),
  scatter_add: () => torch.zeros(3, 4, { dtype: 'float16' }).scatterAdd(1, idx([[0, 0], [1, 1], [3, 2]]), a.narrow(1, 0, 2)),
  transpose_add: () => a.t().add(m.narrow(1, 0, 3)), to_float32: () => a.to('float32'),
  from_float32: () => torch.tensor([1e-8, 70000, 0.1, 65519, -3e-5]).to('float16'),
  grad_mul_sum: () => grad((x) => x.mul(x).sum()),
  grad_softmax: () => grad((x) => x.softmax(-1).mul(torch.arange(4, { dtype: 'float16' })).sum()),
  grad_matmul: () => grad((x) => x.matmul(m).sum()),
};
function grad(f: (x: Tensor) => Tensor): Tensor {
  const x = a.clone().requiresGrad_();
  f(x).backward();
  return x.grad!;
}

describe('float16 on the CPU computes in float32 (vs PyTorch)', () => {
  it('every fixture case has an implementation here and back', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(fx.cases).sort());
  });
  for (const [name, { how, out }] of Object.entries(fx.cases)) {
    it(`${name} (PyTorch: ${how})`, () => {
      const r = CASES[name]!();
      expect(r.dtype).toBe(out.dtype === 'int64' ? 'int32' : out.dtype); // torchlet's index dtype
      expect(r.shape).toEqual(out.shape);
      const got = Array.from(r.dataSync() as ArrayLike<number>, (v) => (typeof v === 'boolean' ? v : Number(v)));
      if (out.dtype !== 'float16') {
        // bool, float32 (the cast) and indices: exact
        expect(out.dtype === 'bool' ? got.map(Boolean) : got).toEqual(out.data);
        return;
      }
      (out.data as number[]).forEach((e, i) => {
        const g = got[i] as number;
        if (!Number.isFinite(e)) { expect(g, `${name}[${i}]`).toBe(e); return; }
        // 2 ulps of float16 (2^-10 relative), plus an absolute floor near zero
        expect(Math.abs(g - e), `${name}[${i}]: ${g} vs ${e}`).toBeLessThanOrEqual(2 * 2 ** -10 * Math.abs(e) + 2e-3);
      });
    });
  }
});
