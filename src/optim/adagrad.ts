// torch.optim.Adagrad: accumulated squared gradients (starting at initialAccumulatorValue), learning
// rate decayed as lr / (1 + (step - 1) * lrDecay); eps added after the square root.

import { fullLike } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { Optimizer, check, implementationOptions, type ImplementationOptions, type ParamGroup, type ParamsInput } from './optimizer.js';

/** Options for Adagrad (PyTorch's keywords in camelCase); every field is optional in the constructor. */
export interface AdagradOptions {
  /** Learning rate (default 1e-2). */
  lr: number;
  /** Learning-rate decay: the step uses lr / (1 + (step - 1) * lrDecay) (default 0). */
  lrDecay: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Starting value of the squared-gradient accumulators (default 0). */
  initialAccumulatorValue: number;
  /** Term added to the denominator for numerical stability (default 1e-10). */
  eps: number;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

/** Adagrad: per-element learning rates scaled by accumulated squared gradients (torch.optim.Adagrad). */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: ParamsInput<AdagradOptions>, opts: Partial<AdagradOptions> & ImplementationOptions = {}) {
    const d: AdagradOptions = { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false, ...implementationOptions('Adagrad', opts) };
    check(d.lr >= 0, `Adagrad: Invalid learning rate: ${d.lr}`);
    check(d.lrDecay >= 0, `Adagrad: Invalid lr_decay value: ${d.lrDecay}`);
    check(d.weightDecay >= 0, `Adagrad: Invalid weight_decay value: ${d.weightDecay}`);
    check(d.initialAccumulatorValue >= 0, `Adagrad: Invalid initial_accumulator_value value: ${d.initialAccumulatorValue}`);
    check(d.eps >= 0, `Adagrad: Invalid epsilon value: ${d.eps}`);
    super(params, d, 'Adagrad');
    // PyTorch creates the accumulators eagerly in the constructor.
    for (const g of this.paramGroups) {
      const init = g.initialAccumulatorValue as number;
      for (const p of g.params) this.stateFor(p, () => ({ step: 0, sum: fullLike(p, init) }));
    }
  }
  protected updateGroup(g: ParamGroup): void {
    const { lr, lrDecay, weightDecay, eps, maximize } = g as unknown as AdagradOptions;
    for (const p of g.params) {
      if (!p.grad) continue;
      const s = this.stateFor(p, () => ({ step: 0, sum: fullLike(p, g.initialAccumulatorValue as number) }));
      const step = (s.step as number) + 1;
      s.step = step;
      let grad: Tensor = maximize ? p.grad.neg() : p.grad;
      if (weightDecay !== 0) grad = grad.add(p, { alpha: weightDecay });
      const clr = lr / (1 + (step - 1) * lrDecay);
      const sum = s.sum as Tensor;
      sum.addcmul_(grad, grad, { value: 1 });
      const std = sum.sqrt().add_(eps);
      p.addcdiv_(grad, std, { value: -clr });
    }
  }
}
