// torch.optim.RMSprop: square average with smoothing alpha, optional centering (subtracting the
// squared mean gradient) and momentum; eps is added after the square root, as in PyTorch.

import { zerosLike } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { Optimizer, check, implementationOptions, type ImplementationOptions, type ParamGroup, type ParamsInput } from './optimizer.js';

/** Options for RMSprop (PyTorch's keywords in camelCase); every field is optional in the constructor. */
export interface RMSpropOptions {
  /** Learning rate (default 1e-2). */
  lr: number;
  /** Smoothing constant of the squared-gradient average (default 0.99). */
  alpha: number;
  /** Term added to the denominator for numerical stability (default 1e-8). */
  eps: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Momentum factor (default 0). */
  momentum: number;
  /** Normalize by an estimate of the gradient's variance (subtracting the squared mean gradient) (default false). */
  centered: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

/** RMSprop: divides the gradient by a running root mean square, with optional centering and momentum (torch.optim.RMSprop). */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: ParamsInput<RMSpropOptions>, opts: Partial<RMSpropOptions> & ImplementationOptions = {}) {
    const d: RMSpropOptions = { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false, ...implementationOptions('RMSprop', opts) };
    check(d.lr >= 0, `RMSprop: Invalid learning rate: ${d.lr}`);
    check(d.eps >= 0, `RMSprop: Invalid epsilon value: ${d.eps}`);
    check(d.momentum >= 0, `RMSprop: Invalid momentum value: ${d.momentum}`);
    check(d.weightDecay >= 0, `RMSprop: Invalid weight_decay value: ${d.weightDecay}`);
    check(d.alpha >= 0, `RMSprop: Invalid alpha value: ${d.alpha}`);
    super(params, d, 'RMSprop');
  }
  protected updateGroup(g: ParamGroup): void {
    const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = g as unknown as RMSpropOptions;
    for (const p of g.params) {
      if (!p.grad) continue;
      let grad: Tensor = maximize ? p.grad.neg() : p.grad;
      const s = this.stateFor(p, () => ({
        step: 0, squareAvg: zerosLike(p), ...(momentum > 0 ? { momentumBuffer: zerosLike(p) } : {}), ...(centered ? { gradAvg: zerosLike(p) } : {}),
      }));
      s.step = (s.step as number) + 1;
      if (weightDecay !== 0) grad = grad.add(p, { alpha: weightDecay });
      const sq = s.squareAvg as Tensor;
      sq.mul_(alpha).addcmul_(grad, grad, { value: 1 - alpha });
      let avg: Tensor;
      if (centered) {
        const ga = (s.gradAvg as Tensor | undefined) ?? this.setState(s, 'gradAvg', zerosLike(p));
        ga.mul_(alpha).add_(grad, { alpha: 1 - alpha });
        avg = sq.addcmul(ga, ga, { value: -1 }).sqrt_();
      } else avg = sq.sqrt();
      avg = avg.add_(eps);
      if (momentum > 0) {
        const buf = (s.momentumBuffer as Tensor | undefined) ?? this.setState(s, 'momentumBuffer', zerosLike(p));
        buf.mul_(momentum).addcdiv_(grad, avg);
        p.add_(buf, { alpha: -lr });
      } else p.addcdiv_(grad, avg, { value: -lr });
    }
  }
}
