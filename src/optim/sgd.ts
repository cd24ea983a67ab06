// torch.optim.SGD: momentum (with dampening), Nesterov, weight decay, maximize; PyTorch 1.13's
// update order exactly (the first momentum step copies the gradient into the buffer).

import type { Tensor } from '../tensor.js';
import { Optimizer, check, implementationOptions, type ImplementationOptions, type ParamGroup, type ParamsInput } from './optimizer.js';

/** Options for SGD (PyTorch's keywords in camelCase); every field is optional in the constructor. */
export interface SGDOptions {
  /** Learning rate (default 1e-3). */
  lr: number;
  /** Momentum factor (default 0: plain SGD). */
  momentum: number;
  /** Dampening applied to the gradient added to the momentum buffer (default 0). */
  dampening: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Use Nesterov momentum; needs momentum > 0 and zero dampening (default false). */
  nesterov: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

/** Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight decay (torch.optim.SGD). */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsInput<SGDOptions>, opts: Partial<SGDOptions> & ImplementationOptions = {}) {
    const d: SGDOptions = { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...implementationOptions('SGD', opts) };
    check(d.lr >= 0, `SGD: Invalid learning rate: ${d.lr}`);
    check(d.momentum >= 0, `SGD: Invalid momentum value: ${d.momentum}`);
    check(d.weightDecay >= 0, `SGD: Invalid weight_decay value: ${d.weightDecay}`);
    if (d.nesterov && (d.momentum <= 0 || d.dampening !== 0)) throw new RangeError('SGD: Nesterov momentum requires a momentum and zero dampening');
    super(params, d, 'SGD');
  }
  protected updateGroup(g: ParamGroup): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = g as unknown as SGDOptions;
    for (const p of g.params) {
      if (!p.grad) continue;
      let dp: Tensor = maximize ? p.grad.neg() : p.grad;
      if (weightDecay !== 0) dp = dp.add(p, { alpha: weightDecay });
      if (momentum !== 0) {
        const s = this.stateFor(p, () => ({ momentumBuffer: null }));
        let buf = s.momentumBuffer as Tensor | null;
        if (!buf) buf = this.setState(s, 'momentumBuffer', dp.clone().detach());
        else buf.mul_(momentum).add_(dp, { alpha: 1 - dampening });
        dp = nesterov ? dp.add(buf, { alpha: momentum }) : buf;
      }
      p.add_(dp, { alpha: -lr });
    }
  }
}
