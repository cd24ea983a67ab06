// torch.optim.Adamax: Adam with an infinity norm, expInf = max(beta2 * expInf, |grad| + eps);
// only the first moment is bias-corrected.

import { zerosLike } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { Optimizer, check, implementationOptions, type ImplementationOptions, type ParamGroup, type ParamsInput } from './optimizer.js';

/** Options for Adamax (PyTorch's keywords in camelCase); every field is optional in the constructor. */
export interface AdamaxOptions {
  /** Learning rate (default 2e-3). */
  lr: number;
  /** Decay rates of the first moment and the exponentially weighted infinity norm (default [0.9, 0.999]). */
  betas: [number, number];
  /** Term added to the denominator for numerical stability (default 1e-8). */
  eps: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

/** Adamax: Adam with the infinity norm in place of the second moment (torch.optim.Adamax). */
export class Adamax extends Optimizer<AdamaxOptions> {
  constructor(params: ParamsInput<AdamaxOptions>, opts: Partial<AdamaxOptions> & ImplementationOptions = {}) {
    const d: AdamaxOptions = { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false, ...implementationOptions('Adamax', opts) };
    check(d.lr >= 0, `Adamax: Invalid learning rate: ${d.lr}`);
    check(d.eps >= 0, `Adamax: Invalid epsilon value: ${d.eps}`);
    check(d.betas[0] >= 0 && d.betas[0] < 1, `Adamax: Invalid beta parameter at index 0: ${d.betas[0]}`);
    check(d.betas[1] >= 0 && d.betas[1] < 1, `Adamax: Invalid beta parameter at index 1: ${d.betas[1]}`);
    check(d.weightDecay >= 0, `Adamax: Invalid weight_decay value: ${d.weightDecay}`);
    super(params, d, 'Adamax');
  }
  protected updateGroup(g: ParamGroup): void {
    const { lr, betas: [beta1, beta2], eps, weightDecay, maximize } = g as unknown as AdamaxOptions;
    for (const p of g.params) {
      if (!p.grad) continue;
      let grad: Tensor = maximize ? p.grad.neg() : p.grad;
      const s = this.stateFor(p, () => ({ step: 0, expAvg: zerosLike(p), expInf: zerosLike(p) }));
      const step = (s.step as number) + 1;
      s.step = step;
      if (weightDecay !== 0) grad = grad.add(p, { alpha: weightDecay });
      const expAvg = s.expAvg as Tensor, expInf = s.expInf as Tensor;
      expAvg.mul_(beta1).add_(grad, { alpha: 1 - beta1 });
      expInf.mul_(beta2).maximum_(grad.abs().add_(eps));
      const clr = lr / (1 - beta1 ** step);
      p.addcdiv_(expAvg, expInf, { value: -clr });
    }
  }
}
