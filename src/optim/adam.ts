// torch.optim.Adam and AdamW (decoupled weight decay): PyTorch 1.13's single-tensor update, bias
// corrections computed in double from the step count, eps added after dividing by sqrt(bc2).

import { zerosLike } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { Optimizer, check, type ParamGroup, type ParamsInput } from './optimizer.js';

export interface AdamOptions { lr: number; betas: [number, number]; eps: number; weightDecay: number; amsgrad: boolean; maximize: boolean }

function checkAdam(name: string, d: AdamOptions): void {
  check(d.lr >= 0, `${name}: Invalid learning rate: ${d.lr}`);
  check(d.eps >= 0, `${name}: Invalid epsilon value: ${d.eps}`);
  check(d.betas[0] >= 0 && d.betas[0] < 1, `${name}: Invalid beta parameter at index 0: ${d.betas[0]}`);
  check(d.betas[1] >= 0 && d.betas[1] < 1, `${name}: Invalid beta parameter at index 1: ${d.betas[1]}`);
  check(d.weightDecay >= 0, `${name}: Invalid weight_decay value: ${d.weightDecay}`);
}

abstract class AdamBase extends Optimizer<AdamOptions> {
  protected abstract readonly decoupled: boolean;
  protected updateGroup(g: ParamGroup): void {
    const { lr, betas: [beta1, beta2], eps, weightDecay, amsgrad, maximize } = g as unknown as AdamOptions;
    for (const p of g.params) {
      if (!p.grad) continue;
      let grad: Tensor = maximize ? p.grad.neg() : p.grad;
      const s = this.stateFor(p, () => ({
        step: 0, expAvg: zerosLike(p), expAvgSq: zerosLike(p), ...(amsgrad ? { maxExpAvgSq: zerosLike(p) } : {}),
      }));
      const step = (s.step as number) + 1;
      s.step = step;
      if (this.decoupled) p.mul_(1 - lr * weightDecay);
      else if (weightDecay !== 0) grad = grad.add(p, { alpha: weightDecay });
      const expAvg = s.expAvg as Tensor, expAvgSq = s.expAvgSq as Tensor;
      expAvg.mul_(beta1).add_(grad, { alpha: 1 - beta1 });
      expAvgSq.mul_(beta2).addcmul_(grad, grad, { value: 1 - beta2 });
      const bc1 = 1 - beta1 ** step, bc2 = 1 - beta2 ** step;
      const stepSize = lr / bc1;
      let second = expAvgSq;
      if (amsgrad) {
        const m = (s.maxExpAvgSq as Tensor | undefined) ?? this.setState(s, 'maxExpAvgSq', zerosLike(p));
        m.maximum_(expAvgSq);
        second = m;
      }
      const denom = second.sqrt().div(Math.sqrt(bc2)).add_(eps);
      p.addcdiv_(expAvg, denom, { value: -stepSize });
    }
  }
}

export class Adam extends AdamBase {
  protected readonly decoupled = false;
  constructor(params: ParamsInput<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    const d: AdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...opts };
    checkAdam('Adam', d);
    super(params, d, 'Adam');
  }
}

/** AdamW: weight decay multiplies the parameter by (1 - lr * weightDecay) before the Adam step. */
export class AdamW extends AdamBase {
  protected readonly decoupled = true;
  constructor(params: ParamsInput<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    const d: AdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false, ...opts };
    checkAdam('AdamW', d);
    super(params, d, 'AdamW');
  }
}
