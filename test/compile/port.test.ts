// A PyTorch training script ported with a PyTorch user's habits, compiled: torch.compile(model),
// the optimizer made before .to(), batches narrowed from one dataset tensor (views at changing
// offsets: no recompile), a smaller last batch (a dynamic dim), no tidy, eval() under noGrad at
// the end. Losses and accuracy must equal the eager run's.
import { expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import { Net } from '../../examples/train-fashion-mnist.js';

const F = torch.nn.functional;

function run(compiled: boolean) {
  torch.manualSeed(0);
  const model = new Net();
  const opt = new torch.optim.Adam(model.parameters(), { lr: 2e-3 });
  model.to('cpu');
  const net = compiled ? torch.compile(model) : model;
  const x = torch.randn([80, 1, 28, 28]), y = torch.randint(0, 10, [80]);
  const losses: number[] = [];
  for (let epoch = 0; epoch < 2; epoch++) {
    for (let s = 0; s < 80; s += 32) {
      const n = Math.min(32, 80 - s);
      opt.zeroGrad();
      const loss = F.crossEntropy(net.forward(x.narrow(0, s, n)) as torch.Tensor, y.narrow(0, s, n));
      loss.backward();
      opt.step();
      losses.push(Number(loss.itemSync()));
    }
  }
  model.eval();
  const acc = torch.noGrad(() => Number((net.forward(x) as torch.Tensor).argmax(1).eq(y).float().mean().itemSync()));
  return { losses, acc, info: compiled ? (net as unknown as { forward: { compileInfo: torch.CompileInfo } }).forward.compileInfo : null };
}

it('a ported training script gives the same losses compiled, recompiling only for the last batch and eval', () => {
  const e = run(false), c = run(true);
  expect(c.losses).toEqual(e.losses);
  expect(c.acc).toBe(e.acc);
  expect(c.info!.recompileReasons).toEqual([
    "tensor 'args[0]' size mismatch at index 0. expected 32, actual 16",
    'grad mode changed (expected enabled)',
  ]);
});
