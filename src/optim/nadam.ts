// torch.optim.NAdam: Adam with Nesterov momentum and the momentum-decay schedule
// mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentumDecay)). PyTorch keeps the running product of mu in
// a float32 tensor, so it is rounded to float32 here too (Math.fround) to follow its trajectory.

import { zerosLike } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { Optimizer, check, implementationOptions, type ImplementationOptions, type ParamGroup, type ParamsInput } from './optimizer.js';

/** Options for NAdam (PyTorch's keywords in camelCase); every field is optional in the constructor. */
export interface NAdamOptions {
  /** Learning rate (default 2e-3). */
  lr: number;
  /** Decay rates of the first and second moment averages (default [0.9, 0.999]). */
  betas: [number, number];
  /** Term added to the denominator for numerical stability (default 1e-8). */
  eps: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Momentum decay psi of the schedule mu_t = beta1 * (1 - 0.5 * 0.96^(t * psi)) (default 4e-3). */
  momentumDecay: number;
}

/** NAdam: Adam with Nesterov momentum and a momentum-decay schedule (torch.optim.NAdam). */
export class NAdam extends Optimizer<NAdamOptions> {
  constructor(params: ParamsInput<NAdamOptions>, opts: Partial<NAdamOptions> & ImplementationOptions = {}) {
    const d: NAdamOptions = { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3, ...implementationOptions('NAdam', opts) };
    check(d.lr >= 0, `NAdam: Invalid learning rate: ${d.lr}`);
    check(d.eps >= 0, `NAdam: Invalid epsilon value: ${d.eps}`);
    check(d.betas[0] >= 0 && d.betas[0] < 1, `NAdam: Invalid beta parameter at index 0: ${d.betas[0]}`);
    check(d.betas[1] >= 0 && d.betas[1] < 1, `NAdam: Invalid beta parameter at index 1: ${d.betas[1]}`);
    check(d.weightDecay >= 0, `NAdam: Invalid weight_decay value: ${d.weightDecay}`);
    check(d.momentumDecay >= 0, `NAdam: Invalid momentum_decay value: ${d.momentumDecay}`);
    super(params, d, 'NAdam');
  }
  protected updateGroup(g: ParamGroup): void {
    const { lr, betas: [beta1, beta2], eps, weightDecay, momentumDecay } = g as unknown as NAdamOptions;
    const f = Math.fround;
    for (const p of g.params) {
      if (!p.grad) continue;
      let grad: Tensor = p.grad;
      const s = this.stateFor(p, () => ({ step: 0, muProduct: 1, expAvg: zerosLike(p), expAvgSq: zerosLike(p) }));
      const step = (s.step as number) + 1;
      s.step = step;
      const bc2 = 1 - beta2 ** step;
      if (weightDecay !== 0) grad = grad.add(p, { alpha: weightDecay });
      const mu = beta1 * (1 - 0.5 * 0.96 ** (step * momentumDecay));
      const muNext = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * momentumDecay));
      const muProduct = f((s.muProduct as number) * f(mu));
      s.muProduct = muProduct;
      const muProductNext = f(f(muProduct * f(mu)) * f(muNext));
      const expAvg = s.expAvg as Tensor, expAvgSq = s.expAvgSq as Tensor;
      expAvg.mul_(beta1).add_(grad, { alpha: 1 - beta1 });
      expAvgSq.mul_(beta2).addcmul_(grad, grad, { value: 1 - beta2 });
      const denom = expAvgSq.div(bc2).sqrt().add_(eps);
      p.addcdiv_(grad, denom, { value: (-lr * (1 - mu)) / (1 - muProduct) });
      p.addcdiv_(expAvg, denom, { value: (-lr * muNext) / (1 - muProductNext) });
    }
  }
}
