// torch.optim.RAdam: Adam with the variance rectification term; while the approximated SMA length
// rho_t <= 5 the step is plain bias-corrected momentum.

import { zerosLike } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { Optimizer, check, implementationOptions, type ImplementationOptions, type ParamGroup, type ParamsInput } from './optimizer.js';

/** Options for RAdam (PyTorch's keywords in camelCase); every field is optional in the constructor. */
export interface RAdamOptions {
  /** Learning rate (default 1e-3). */
  lr: number;
  /** Decay rates of the first and second moment averages (default [0.9, 0.999]). */
  betas: [number, number];
  /** Term added to the denominator for numerical stability (default 1e-8). */
  eps: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
}

/** RAdam: Adam with a variance-rectification term for the adaptive learning rate (torch.optim.RAdam). */
export class RAdam extends Optimizer<RAdamOptions> {
  constructor(params: ParamsInput<RAdamOptions>, opts: Partial<RAdamOptions> & ImplementationOptions = {}) {
    const d: RAdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, ...implementationOptions('RAdam', opts) };
    check(d.lr >= 0, `RAdam: Invalid learning rate: ${d.lr}`);
    check(d.eps >= 0, `RAdam: Invalid epsilon value: ${d.eps}`);
    check(d.betas[0] >= 0 && d.betas[0] < 1, `RAdam: Invalid beta parameter at index 0: ${d.betas[0]}`);
    check(d.betas[1] >= 0 && d.betas[1] < 1, `RAdam: Invalid beta parameter at index 1: ${d.betas[1]}`);
    check(d.weightDecay >= 0, `RAdam: Invalid weight_decay value: ${d.weightDecay}`);
    super(params, d, 'RAdam');
  }
  protected updateGroup(g: ParamGroup): void {
    const { lr, betas: [beta1, beta2], eps, weightDecay } = g as unknown as RAdamOptions;
    for (const p of g.params) {
      if (!p.grad) continue;
      let grad: Tensor = p.grad;
      const s = this.stateFor(p, () => ({ step: 0, expAvg: zerosLike(p), expAvgSq: zerosLike(p) }));
      const step = (s.step as number) + 1;
      s.step = step;
      const bc1 = 1 - beta1 ** step, bc2 = 1 - beta2 ** step;
      if (weightDecay !== 0) grad = grad.add(p, { alpha: weightDecay });
      const expAvg = s.expAvg as Tensor, expAvgSq = s.expAvgSq as Tensor;
      expAvg.mul_(beta1).add_(grad, { alpha: 1 - beta1 });
      expAvgSq.mul_(beta2).addcmul_(grad, grad, { value: 1 - beta2 });
      const corrected = expAvg.div(bc1);
      const rhoInf = 2 / (1 - beta2) - 1;
      const rhoT = rhoInf - (2 * step * beta2 ** step) / bc2;
      if (rhoT > 5) {
        const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
        const adaptive = expAvgSq.sqrt().add_(eps).reciprocal().mul(Math.sqrt(bc2));
        p.add_(corrected.mul(lr).mul(adaptive).mul(rect), { alpha: -1 });
      } else {
        p.add_(corrected.mul(lr), { alpha: -1 });
      }
    }
  }
}
