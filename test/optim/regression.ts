// The small regression of test/fixtures/checkpoint_fixtures.py (loss = mean((X W^T + b - Y)^2), data
// and PyTorch's losses in files/interop/expected.json), shared by the optimizer-checkpoint tests.
import { readFileSync } from 'node:fs';
import * as torch from '../../src/index.js';
import type { Device, Tensor } from '../../src/index.js';

export const fx = JSON.parse(readFileSync(new URL('../fixtures/files/interop/expected.json', import.meta.url), 'utf8')) as {
  regression: { X: number[]; Y: number[]; W0: number[]; B0: number[]; steps: number; saveAt: number };
  optim: Record<string, { losses: number[]; final: { W: number[]; b: number[] } }>;
};
export const reg = fx.regression;

/** The fixture's optimizers, in torchlet's option names. */
export const OPTIMS: Record<string, (ps: Tensor[]) => torch.optim.Optimizer> = {
  adam: (ps) => new torch.optim.Adam(ps, { lr: 0.05, betas: [0.8, 0.99], weightDecay: 0.01, amsgrad: true }),
  adamw: (ps) => new torch.optim.AdamW(ps, { lr: 0.05, weightDecay: 0.1 }),
  sgd_momentum: (ps) => new torch.optim.SGD(ps, { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.001 }),
};

/** Parameters at the fixture's start on `device`, and one training step returning the loss. */
export function regression(device: Device): { W: Tensor; b: Tensor; step: (opt: torch.optim.Optimizer) => Tensor } {
  const X = torch.tensor(reg.X, { device }).reshape(8, 4), Y = torch.tensor(reg.Y, { device }).reshape(8, 3);
  const W = torch.tensor(reg.W0, { device }).reshape(3, 4).requiresGrad_(), b = torch.tensor(reg.B0, { device }).requiresGrad_();
  const step = (opt: torch.optim.Optimizer): Tensor => torch.tidy(() => {
    opt.zeroGrad();
    const loss = X.matmul(W.t()).add(b).sub(Y).pow(2).mean();
    loss.backward();
    opt.step();
    return loss.detach();
  });
  return { W, b, step };
}

export function closeTo(got: ArrayLike<number>, want: number[], rtol: number, atol: number, what: string): void {
  if (got.length !== want.length) throw new Error(`${what}: got ${got.length} values, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= atol + rtol * Math.abs(want[i]!))) throw new Error(`${what}[${i}]: got ${got[i]}, expected ${want[i]}`);
  }
}
