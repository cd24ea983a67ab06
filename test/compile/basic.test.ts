// torch.compile on the CPU: compiled functions and modules equal eager, forward and backward.
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import { compile, captureGraph } from '../../src/compile/index.js';
import type { Tensor } from '../../src/index.js';

const arr = (t: Tensor) => Array.from(t.dataSync() as Float32Array);

describe('torch.compile basics', () => {
  it('a function of elementwise ops gives eager values and fuses', () => {
    const f = (x: Tensor, y: Tensor) => x.sin().mul(y).add(1).relu().sub(y.exp());
    const cf = compile(f);
    torch.manualSeed(0);
    const x = torch.randn([64, 33]), y = torch.randn([33]);
    expect(arr(cf(x, y))).toEqual(arr(f(x, y)));
    expect(arr(cf(x, y))).toEqual(arr(f(x, y)));
    expect(cf.compileInfo.compiles).toBe(1);
    expect(cf.compileInfo.forward!.captured).toBeGreaterThan(4);
  });

  it('an MLP training step gives the eager losses and gradients', () => {
    const run = (compiled: boolean) => {
      torch.manualSeed(1);
      const model = new torch.nn.Sequential(new torch.nn.Linear(8, 16), new torch.nn.GELU(), new torch.nn.LayerNorm(16), new torch.nn.Linear(16, 3));
      const m = compiled ? compile(model) : model;
      const opt = new torch.optim.Adam(model.parameters(), { lr: 0.01 });
      const x = torch.randn([32, 8]), y = torch.randint(0, 3, [32]);
      const losses: number[] = [];
      for (let i = 0; i < 5; i++) {
        opt.zeroGrad();
        const loss = torch.nn.functional.crossEntropy(m.forward(x) as Tensor, y);
        loss.backward();
        opt.step();
        losses.push(Number(loss.itemSync()));
      }
      return { losses, w: arr(model.parameters()[0]!), info: compiled ? (m as unknown as { forward: { compileInfo: unknown } }).forward.compileInfo : null };
    };
    const e = run(false), c = run(true);
    for (let i = 0; i < 5; i++) expect(c.losses[i]).toBeCloseTo(e.losses[i]!, 5);
    c.w.forEach((v, i) => expect(v).toBeCloseTo(e.w[i]!, 5));
  });

  it('captureGraph records without running kernels', () => {
    const lin = new torch.nn.Linear(4, 2);
    const g = captureGraph((x: Tensor) => lin.forward(x).relu(), [torch.randn([3, 4])]);
    expect(g.nodes.length).toBeGreaterThan(0);
    expect(g.outputs[0]!.shape).toEqual([3, 2]);
  });
});
