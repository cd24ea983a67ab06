// torch.optim.Adadelta: running averages of squared gradients and squared updates (decay rho);
// the update is sqrt(accDelta + eps) / sqrt(squareAvg + eps) * grad, scaled by lr.

import { zerosLike } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { Optimizer, check, implementationOptions, type ImplementationOptions, type ParamGroup, type ParamsInput } from './optimizer.js';

/** Options for Adadelta (PyTorch's keywords in camelCase); every field is optional in the constructor. */
export interface AdadeltaOptions {
  /** Coefficient that scales the delta before it is applied (default 1). */
  lr: number;
  /** Decay rate of the running averages of squared gradients and updates (default 0.9). */
  rho: number;
  /** Term added inside the square roots for numerical stability (default 1e-6). */
  eps: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

/** Adadelta: steps sized by running averages of squared gradients and squared updates (torch.optim.Adadelta). */
export class Adadelta extends Optimizer<AdadeltaOptions> {
  constructor(params: ParamsInput<AdadeltaOptions>, opts: Partial<AdadeltaOptions> & ImplementationOptions = {}) {
    const d: AdadeltaOptions = { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false, ...implementationOptions('Adadelta', opts) };
    check(d.lr >= 0, `Adadelta: Invalid learning rate: ${d.lr}`);
    check(d.rho >= 0 && d.rho <= 1, `Adadelta: Invalid rho value: ${d.rho}`);
    check(d.eps >= 0, `Adadelta: Invalid epsilon value: ${d.eps}`);
    check(d.weightDecay >= 0, `Adadelta: Invalid weight_decay value: ${d.weightDecay}`);
    super(params, d, 'Adadelta');
  }
  protected updateGroup(g: ParamGroup): void {
    const { lr, rho, eps, weightDecay, maximize } = g as unknown as AdadeltaOptions;
    for (const p of g.params) {
      if (!p.grad) continue;
      let grad: Tensor = maximize ? p.grad.neg() : p.grad;
      const s = this.stateFor(p, () => ({ step: 0, squareAvg: zerosLike(p), accDelta: zerosLike(p) }));
      s.step = (s.step as number) + 1;
      if (weightDecay !== 0) grad = grad.add(p, { alpha: weightDecay });
      const sq = s.squareAvg as Tensor, acc = s.accDelta as Tensor;
      sq.mul_(rho).addcmul_(grad, grad, { value: 1 - rho });
      const std = sq.add(eps).sqrt_();
      const delta = acc.add(eps).sqrt_().div_(std).mul_(grad);
      acc.mul_(rho).addcmul_(delta, delta, { value: 1 - rho });
      p.add_(delta, { alpha: -lr });
    }
  }
}
