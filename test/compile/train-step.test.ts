// torch.compile of a whole training step (zeroGrad, forward, loss, `loss.backward()`, `opt.step()`),
// the PyTorch 2 habit: backward and the optimizer step are graph breaks (as in Dynamo), so the
// forward runs compiled and they run eagerly between compiled parts. Losses and parameters equal
// the eager loop's step for step; `fullgraph: true` refuses; `.grad` set by a backward inside a
// compiled function holds real values.

import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

const F = torch.nn.functional;
const vals = (t: Tensor) => Array.from(t.detach().contiguous().dataSync() as Float32Array);

function setup(opt: 'adam' | 'sgd') {
  torch.manualSeed(11);
  const net = new torch.nn.Sequential(new torch.nn.Linear(6, 16), new torch.nn.GELU(), new torch.nn.Linear(16, 3));
  const o = opt === 'adam' ? new torch.optim.Adam(net.parameters(), { lr: 0.05 }) : new torch.optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
  const x = torch.randn([10, 6]), y = torch.randint(0, 3, [10]);
  const step = () => { o.zeroGrad(); const loss = F.crossEntropy(net.forward(x), y); loss.backward(); o.step(); return loss; };
  return { net, step };
}

describe('torch.compile of a training step with backward() and opt.step() inside', () => {
  for (const opt of ['adam', 'sgd'] as const) {
    it(`gives the eager losses and parameters step for step (${opt}), breaking at backward and step`, () => {
      const a = setup(opt), b = setup(opt);
      const cs = torch.compile(b.step);
      for (let i = 0; i < 6; i++) {
        const la = vals(a.step())[0]!, lb = vals(cs())[0]!;
        expect(Math.abs(lb - la), `step ${i}: ${lb} vs ${la}`).toBeLessThanOrEqual(1e-6 * Math.abs(la));
      }
      const pa = a.net.parameters(), pb = b.net.parameters();
      pa.forEach((p, i) => vals(pb[i]!).forEach((v, k) => expect(Math.abs(v - vals(p)[k]!)).toBeLessThanOrEqual(1e-5)));
      expect(cs.compileInfo.compiles).toBe(1);
      expect(cs.compileInfo.graphBreaks.map((g) => g.reason)).toEqual([
        'backward() inside the compiled function (autograd runs eagerly)',
        `${opt === 'adam' ? 'Adam' : 'SGD'}.step() inside the compiled function (the optimizer runs eagerly)`,
      ]);
      expect(cs.compileInfo.forward!.kernels).toBeGreaterThan(0);
    });
  }

  it('fullgraph: true refuses the break at backward()', () => {
    const { step } = setup('sgd');
    expect(() => torch.compile(step, { fullgraph: true })()).toThrow(/graph break: backward\(\) inside the compiled function/);
  });

  it('leaves real gradients in .grad when the compiled function returns nothing differentiable', () => {
    torch.manualSeed(5);
    const w = torch.randn([4, 3]).requiresGrad_(), x = torch.randn([5, 4]);
    const f = (x: Tensor) => { const loss = x.matmul(w).tanh().sum(); loss.backward(); return loss.detach(); };
    const cf = torch.compile(f);
    cf(x);
    const g1 = vals(w.grad!);
    w.grad = null;
    f(x);
    expect(g1).toEqual(vals(w.grad!));
  });
});
