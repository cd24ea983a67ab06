// torch.distributions.Geometric: the number of failures before the first success of Bernoulli(probs)
// trials, parameterized by probs or logits, with PyTorch 1.13's formulas (torch/distributions/geometric.py)
// written with differentiable ops, so logProb, entropy, mean and variance carry gradients on every device.

import { Tensor } from '../tensor.js';
import { rand, where } from '../ops/index.js';
import { noGrad } from '../autograd/grad-mode.js';
import * as C from './constraints.js';
import { checkAll, pyShape, torchSize } from './distribution.js';
import { SuccessProbs, bceWithLogits, like, type ProbsOpts } from './univariate.js';
import { tinyOf } from './samplers.js';

/** The geometric distribution (torch.distributions.Geometric): `new Geometric(probs)` or `new Geometric({ probs | logits })`; samples are 0, 1, 2, ... */
export class Geometric extends SuccessProbs {
  /** `new Geometric(probs, { validateArgs })` or `new Geometric({ probs | logits, validateArgs })`; probs in (0, 1]. */
  constructor(probs: Tensor | number | ProbsOpts | null, opts: ProbsOpts = {}) {
    super('Geometric', probs, opts);
    if (this.validate && this._probs) {
      // PyTorch's extra check beyond unit_interval: probs must be positive.
      const p = this._probs;
      checkAll(p.gt(0), p, (readable) => `Expected parameter probs (Tensor of shape ${pyShape(p.shape)}) of distribution ` +
        `${readable ? this.toString() : `Geometric(probs: ${torchSize(p.shape)})`} to be positive but found invalid values${readable ? `:\n${p.detach().maskedSelect(p.gt(0).logicalNot())}` : ''}`);
    }
  }
  /** {0, 1, 2, ...}. */
  get support(): C.Constraint { return C.nonnegativeInteger; }
  /** 1 / probs - 1. */
  override get mean(): Tensor { return this.probs.reciprocal().sub(1); }
  /** 0. */
  override get mode(): Tensor { return this.probs.mul(0); }
  /** (1 / probs - 1) / probs. */
  override get variance(): Tensor { const p = this.probs; return p.reciprocal().sub(1).div(p); }
  /** Draws floor(log(u) / log1p(-probs)), u uniform in [tiny, 1) (float). */
  override sample(sampleShape: number[] = []): Tensor {
    return noGrad(() => {
      const p = this.probs.detach();
      const u = rand(this.extendedShape(sampleShape), like(p)).clampMin(tinyOf(p));
      return u.log().div(p.neg().log1p()).floor();
    });
  }
  /** value * log1p(-probs) + log(probs), with the 0 * log(0) of probs = 1 at value 0 taken as 0. */
  override logProb(value: Tensor): Tensor {
    this.maybeValidate(value);
    const p = this.probs, v = value.to(p.dtype);
    const pc = where(p.eq(1).logicalAnd(v.eq(0)), 0, p);
    return v.mul(pc.neg().log1p()).add(p.log());
  }
  /** BCE(logits, probs) / probs. */
  override entropy(): Tensor { return bceWithLogits(this.logits, this.probs).div(this.probs); }
  expand(batchShape: number[]): Geometric { return this.withValidate(new Geometric({ ...this.expandedParams(batchShape), validateArgs: false })); }
}
