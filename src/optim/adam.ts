// torch.optim.Adam and AdamW (decoupled weight decay): PyTorch 1.13's single-tensor update, bias
// corrections computed in double from the step count, eps added after dividing by sqrt(bc2).

import { zerosLike } from '../ops/index.js';
import { isTensor, type Tensor } from '../tensor.js';
import { tidyImpl } from '../memory.js';
import { backendOf } from '../ops/prim.js';
import { Optimizer, check, implementationOptions, type ImplementationOptions, type ParamGroup, type ParamsInput } from './optimizer.js';

/** Options for Adam and AdamW (PyTorch's keywords in camelCase); every field is optional in the constructor. */
export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr: number;
  /** Decay rates of the first and second moment averages (default [0.9, 0.999]). */
  betas: [number, number];
  /** Term added to the denominator for numerical stability (default 1e-8). */
  eps: number;
  /** Weight decay: an L2 penalty for Adam (default 0), decoupled decay for AdamW (default 1e-2). */
  weightDecay: number;
  /** Use the AMSGrad variant, keeping the maximum of the second moment (default false). */
  amsgrad: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

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
    const o = g as unknown as AdamOptions;
    // One tidy per parameter: the out-of-place arithmetic below makes ~10 parameter-sized
    // temporaries, freed before the next parameter rather than at the end of the group.
    for (const p of g.params) if (p.grad) tidyImpl(() => this.updateParam(p, p.grad!, o), isTensor);
  }

  private updateParam(p: Tensor, pGrad: Tensor, o: AdamOptions): void {
    const { lr, betas: [beta1, beta2], eps, weightDecay, amsgrad, maximize } = o;
    const s = this.stateFor(p, () => ({
      step: 0, expAvg: zerosLike(p), expAvgSq: zerosLike(p), ...(amsgrad ? { maxExpAvgSq: zerosLike(p) } : {}),
    }));
    const step = (s.step as number) + 1;
    s.step = step;
    const bc1 = 1 - beta1 ** step, bc2 = 1 - beta2 ** step;
    const stepSize = lr / bc1;
    const c1 = -1 / (Math.sqrt(bc2) * stepSize), c2 = -eps / stepSize;
    const finite = Number.isFinite(Math.fround(c1)) && Number.isFinite(Math.fround(c2));
    const expAvg = s.expAvg as Tensor, expAvgSq = s.expAvgSq as Tensor;
    // The backend's fused step (the CPU's) does the update below in one pass, bit for bit.
    const decay = this.decoupled ? 1 - lr * weightDecay : 1;
    const backend = backendOf(p);
    if (backend.adamStep && !amsgrad && finite && p.dtype === 'float32' && pGrad.dtype === 'float32' && pGrad.device === p.device
      && backend.adamStep(p.view_(), pGrad.view_(), expAvg.view_(), expAvgSq.view_(), {
        b1: beta1, a1: 1 - beta1, b2: beta2, a2: 1 - beta2, c1, c2, decay, wd: this.decoupled ? 0 : weightDecay, maximize,
      })) {
      for (const t of [p, expAvg, expAvgSq]) t.storage.version++;
      return;
    }
    let grad: Tensor = maximize ? pGrad.neg() : pGrad;
    if (!this.decoupled && weightDecay !== 0) grad = grad.add(p, { alpha: weightDecay });
    // Each in-place op on the CPU computes out of place and copies the result back, so a chain of
    // them (mul_ then add_, or the p.mul_ of AdamW before addcdiv_) pays one copy per link. Each
    // update below is PyTorch 1.13's sequence of operations written back
    // with a single copy_.
    expAvg.copy_(expAvg.mul(beta1).add(grad, { alpha: 1 - beta1 })); // exp_avg.mul_(beta1).add_(grad, alpha=1-beta1)
    expAvgSq.copy_(expAvgSq.mul(beta2).addcmul(grad, grad, { value: 1 - beta2 })); // .mul_(beta2).addcmul_(grad, grad, value=1-beta2)
    let second = expAvgSq;
    if (amsgrad) {
      const m = (s.maxExpAvgSq as Tensor | undefined) ?? this.setState(s, 'maxExpAvgSq', zerosLike(p));
      m.maximum_(expAvgSq);
      second = m;
    }
    // PyTorch: p.addcdiv_(m, sqrt(v)/sqrt(bc2) + eps, value=-stepSize). Folding -stepSize into the
    // denominator's two constants (computed in double, rounded once) saves a pass; the result moves by
    // float32 rounding only. A (near-)zero lr would make them overflow float32 (inf * 0 = NaN where
    // v = 0), so such steps keep PyTorch's form.
    const update = finite
      ? expAvg.div(second.sqrt().mul(c1).add(c2))
      : expAvg.div(second.sqrt().div(Math.sqrt(bc2)).add(eps)).mul(-stepSize);
    // AdamW's decay p.mul_(1 - lr*wd) happens first in PyTorch; multiplying by 1 is exact, so skip it then.
    p.copy_((decay === 1 ? p : p.mul(decay)).add(update));
  }
}

/** Adam: adaptive moment estimation with bias correction, optional L2 weight decay and AMSGrad (torch.optim.Adam). */
export class Adam extends AdamBase {
  protected readonly decoupled = false;
  constructor(params: ParamsInput<AdamOptions>, opts: Partial<AdamOptions> & ImplementationOptions = {}) {
    const d: AdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...implementationOptions('Adam', opts) };
    checkAdam('Adam', d);
    super(params, d, 'Adam');
  }
}

/** AdamW: weight decay multiplies the parameter by (1 - lr * weightDecay) before the Adam step. */
export class AdamW extends AdamBase {
  protected readonly decoupled = true;
  constructor(params: ParamsInput<AdamOptions>, opts: Partial<AdamOptions> & ImplementationOptions = {}) {
    const d: AdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false, ...implementationOptions('AdamW', opts) };
    checkAdam('AdamW', d);
    super(params, d, 'AdamW');
  }
}
