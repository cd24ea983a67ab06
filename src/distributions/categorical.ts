// Distributions over categories and the simplex: Categorical, OneHotCategorical, Dirichlet and Beta
// (a two-category Dirichlet, as PyTorch builds it). Dirichlet draws are normalized Gamma draws, so
// their gradient is the chain of the Gamma implicit reparameterization (samplers.ts) through the
// normalization: an unbiased pathwise gradient, not PyTorch's per-sample Beta-CDF formula.

import { Tensor } from '../tensor.js';
import { rand, multinomial, lgamma, digamma, xlogy, arange, stack, where, full } from '../ops/index.js';
import { noGrad } from '../autograd/grad-mode.js';
import * as C from './constraints.js';
import { Distribution, broadcastAll, type DistributionOpts, type Param } from './distribution.js';
import { rsampleStandardGamma, tinyOf, epsOf } from './samplers.js';
import { like, probsOrLogits, type ProbsOpts } from './univariate.js';

/** Most negative finite value of t's dtype (torch.finfo(dtype).min). */
function minReal(t: Tensor): number { return t.dtype === 'float64' ? -Number.MAX_VALUE : -3.4028234663852886e38; }

/** The categorical distribution over 0..K-1 (torch.distributions.Categorical): `new Categorical(probs)` or `new Categorical({ logits })`. */
export class Categorical extends Distribution {
  /** @internal */ readonly _probs?: Tensor;
  /** @internal */ readonly _logits?: Tensor;
  /** The number of categories K. */
  readonly numEvents: number;
  override readonly hasEnumerateSupport = true;
  /** `new Categorical(probs, { validateArgs })` or `new Categorical({ probs | logits, validateArgs })`. */
  constructor(probs: Tensor | ProbsOpts | null, opts: ProbsOpts = {}) {
    const r = probsOrLogits('Categorical', probs, opts);
    const t = (r.probs ?? r.logits)!;
    if (!(t instanceof Tensor) || t.ndim < 1) throw new RangeError(`Categorical: \`${r.probs !== undefined ? 'probs' : 'logits'}\` parameter must be at least one-dimensional.`);
    super(t.shape.slice(0, -1), [], r.validateArgs);
    // Normalized as PyTorch: probs / sum, logits - logsumexp.
    if (r.probs !== undefined) this._probs = t.div(t.sum(-1, true));
    else this._logits = t.sub(t.logsumexp(-1, true));
    this.numEvents = t.shape[t.ndim - 1]!;
    this.checkArgs();
  }
  /** Normalized probabilities. */
  get probs(): Tensor { return this._probs ?? this._logits!.softmax(-1); }
  /** Normalized log-probabilities. */
  get logits(): Tensor {
    if (this._logits) return this._logits;
    const e = epsOf(this._probs!);
    return this._probs!.clamp(e, 1 - e).log();
  }
  /** probs: simplex, logits: real vectors. */
  override get argConstraints(): Record<string, C.Constraint> { return { probs: C.simplex, logits: C.realVector }; }
  /** {0, ..., K-1}. */
  get support(): C.Constraint { return C.integerInterval(0, this.numEvents - 1); }
  protected get like(): Tensor { return (this._probs ?? this._logits)!; }
  override get mean(): Tensor { return this.nanFull(this.extendedShape()); }
  override get variance(): Tensor { return this.nanFull(this.extendedShape()); }
  override get mode(): Tensor { return this.probs.argmax(-1); }
  /** Draws int32 category indices with torch.multinomial on the parameters' device. */
  override sample(sampleShape: number[] = []): Tensor {
    return noGrad(() => {
      const n = sampleShape.reduce((a, b) => a * b, 1);
      const p2 = this.probs.detach().reshape([-1, this.numEvents]);
      const s = multinomial(p2, Math.max(n, 1), { replacement: true }).t();
      return (n === 0 ? s.narrow(0, 0, 0) : s).reshape(this.extendedShape(sampleShape));
    });
  }
  override logProb(value: Tensor): Tensor {
    this.maybeValidate(value);
    const v = value.to('int32').unsqueeze(-1);
    const lg = this.logits;
    const shape = broadcastShape(v.shape, lg.shape);
    const idx = v.expand([...shape.slice(0, -1), 1]);
    return lg.expand([...shape.slice(0, -1), this.numEvents]).gather(-1, idx).squeeze(-1);
  }
  override entropy(): Tensor {
    const l = this.logits.clamp(minReal(this.like), null);
    return l.mul(this.probs).sum(-1).neg();
  }
  override enumerateSupport(expand = true): Tensor {
    const v = arange(this.numEvents, { dtype: 'int32', device: this.like.device }).reshape([this.numEvents, ...this.batchShape.map(() => 1)]);
    return expand ? v.expand([this.numEvents, ...this.batchShape]) : v;
  }
  expand(batchShape: number[]): Categorical {
    const s = [...batchShape, this.numEvents];
    const o = this._probs ? { probs: this._probs.expand(s) } : { logits: this._logits!.expand(s) };
    return this.withValidate(new Categorical({ ...o, validateArgs: false }));
  }
}

/** The broadcast of two shapes (sizes of 1 stretch). */
function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1, y = b[b.length - n + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Categorical draws as one-hot vectors (torch.distributions.OneHotCategorical). */
export class OneHotCategorical extends Distribution {
  /** @internal */ readonly _categorical: Categorical;
  override readonly hasEnumerateSupport = true;
  /** `new OneHotCategorical(probs, { validateArgs })` or `new OneHotCategorical({ probs | logits, validateArgs })`. */
  constructor(probs: Tensor | ProbsOpts | null, opts: ProbsOpts = {}) {
    const r = probsOrLogits('OneHotCategorical', probs, opts);
    const cat = new Categorical(r.probs !== undefined ? { probs: r.probs as Tensor } : { logits: r.logits as Tensor }, { validateArgs: r.validateArgs });
    super(cat.batchShape, [cat.numEvents], r.validateArgs);
    this._categorical = cat;
  }
  /** Normalized probabilities. */
  get probs(): Tensor { return this._categorical.probs; }
  /** Normalized log-probabilities. */
  get logits(): Tensor { return this._categorical.logits; }
  /** probs: simplex, logits: real vectors. */
  override get argConstraints(): Record<string, C.Constraint> { return this._categorical.argConstraints; }
  protected override params(): Record<string, Tensor> {
    const c = this._categorical;
    return c._probs ? { probs: c._probs } : { logits: c._logits! };
  }
  /** One-hot vectors. */
  get support(): C.Constraint { return C.oneHot; }
  protected get like(): Tensor { return this._categorical.probs; }
  override get mean(): Tensor { return this.probs; }
  override get mode(): Tensor { return this.oneHot(this.probs.argmax(-1)); }
  override get variance(): Tensor { const p = this.probs; return p.mul(p.rsub(1)); }
  private oneHot(idx: Tensor): Tensor {
    const k = this._categorical.numEvents;
    return idx.unsqueeze(-1).eq(arange(k, { dtype: 'int32', device: idx.device })).to(this.like.dtype);
  }
  /** Draws one-hot vectors (the parameters' dtype). */
  override sample(sampleShape: number[] = []): Tensor { return noGrad(() => this.oneHot(this._categorical.sample(sampleShape))); }
  override logProb(value: Tensor): Tensor {
    this.maybeValidate(value);
    return this._categorical.logProb(value.max(-1).indices);
  }
  override entropy(): Tensor { return this._categorical.entropy(); }
  override enumerateSupport(expand = true): Tensor {
    const k = this._categorical.numEvents;
    const v = this.oneHot(arange(k, { dtype: 'int32', device: this.like.device })).reshape([k, ...this.batchShape.map(() => 1), k]);
    return expand ? v.expand([k, ...this.batchShape, k]) : v;
  }
  expand(batchShape: number[]): OneHotCategorical {
    const c = this._categorical, s = [...batchShape, c.numEvents];
    const o = c._probs ? { probs: c._probs.expand(s) } : { logits: c._logits!.expand(s) };
    return this.withValidate(new OneHotCategorical({ ...o, validateArgs: false }));
  }
}

/** The Dirichlet distribution on the simplex (torch.distributions.Dirichlet). */
export class Dirichlet extends Distribution {
  /** @internal */ readonly _concentration: Tensor;
  override readonly hasRsample = true;
  /** `new Dirichlet(concentration, { validateArgs })`; concentration is [..., K]. */
  constructor(concentration: Tensor, opts: DistributionOpts = {}) {
    if (!(concentration instanceof Tensor) || concentration.ndim < 1) throw new RangeError('`concentration` parameter must be at least one-dimensional.');
    super(concentration.shape.slice(0, -1), concentration.shape.slice(-1), opts.validateArgs);
    this._concentration = concentration;
    this.checkArgs();
  }
  /** The concentration parameters alpha [..., K]. */
  get concentration(): Tensor { return this._concentration; }
  /** concentration: independent(positive, 1). */
  override get argConstraints(): Record<string, C.Constraint> { return { concentration: C.independent(C.positive, 1) }; }
  /** The simplex. */
  get support(): C.Constraint { return C.simplex; }
  protected get like(): Tensor { return this._concentration; }
  override get mean(): Tensor { return this._concentration.div(this._concentration.sum(-1, true)); }
  override get mode(): Tensor {
    const c = this._concentration;
    const cm1 = c.sub(1).clamp(0, null);
    const mode = cm1.div(cm1.sum(-1, true));
    // All concentrations below 1: the mode is the vertex of the largest one (PyTorch's one-hot of argmax).
    const k = c.shape[c.ndim - 1]!;
    const vertex = mode.argmax(-1).unsqueeze(-1).eq(arange(k, { dtype: 'int32', device: c.device })).to(c.dtype);
    return where(c.lt(1).all(-1, true), vertex, mode);
  }
  override get variance(): Tensor {
    const c = this._concentration, c0 = c.sum(-1, true);
    return c.mul(c0.sub(c)).div(c0.pow(2).mul(c0.add(1)));
  }
  /** Normalized Gamma draws; gradients flow to concentration (implicit reparameterization). */
  override rsample(sampleShape: number[] = []): Tensor {
    const g = rsampleStandardGamma(this._concentration.expand(this.extendedShape(sampleShape)));
    const x = g.div(g.sum(-1, true));
    const t = tinyOf(x);
    return x.clamp(t, 1 - epsOf(x));
  }
  override logProb(value: Tensor): Tensor {
    this.maybeValidate(value);
    const c = this._concentration;
    return xlogy(c.sub(1), value).sum(-1).add(lgamma(c.sum(-1))).sub(lgamma(c).sum(-1));
  }
  override entropy(): Tensor {
    const c = this._concentration, k = c.shape[c.ndim - 1]!, a0 = c.sum(-1);
    return lgamma(c).sum(-1).sub(lgamma(a0)).sub(a0.rsub(k).mul(digamma(a0))).sub(c.sub(1).mul(digamma(c)).sum(-1));
  }
  expand(batchShape: number[]): Dirichlet {
    return this.withValidate(new Dirichlet(this._concentration.expand([...batchShape, ...this.eventShape]), { validateArgs: false }));
  }
}

/** The Beta distribution on [0, 1] (torch.distributions.Beta). */
export class Beta extends Distribution {
  /** @internal */ readonly _concentration1: Tensor;
  /** @internal */ readonly _concentration0: Tensor;
  private readonly dirichlet: Dirichlet;
  override readonly hasRsample = true;
  /** `new Beta(concentration1, concentration0, { validateArgs })` (alpha, beta). */
  constructor(concentration1: Param, concentration0: Param, opts: DistributionOpts = {}) {
    const [c1, c0] = broadcastAll(concentration1, concentration0);
    super(c1!.shape, [], opts.validateArgs);
    this._concentration1 = c1!; this._concentration0 = c0!;
    this.checkArgs();
    this.dirichlet = new Dirichlet(stack([c1!, c0!], -1), { validateArgs: false });
  }
  /** PyTorch's repr of a Beta, which shows no parameters. */
  override toString(): string { return 'Beta()'; }
  /** alpha. */
  get concentration1(): Tensor { return this._concentration1; }
  /** beta. */
  get concentration0(): Tensor { return this._concentration0; }
  /** Both concentrations positive. */
  override get argConstraints(): Record<string, C.Constraint> { return { concentration1: C.positive, concentration0: C.positive }; }
  /** [0, 1]. */
  get support(): C.Constraint { return C.unitInterval; }
  protected get like(): Tensor { return this._concentration1; }
  override get mean(): Tensor { return this._concentration1.div(this._concentration1.add(this._concentration0)); }
  override get mode(): Tensor { return this.dirichlet.mode.select(-1, 0); }
  override get variance(): Tensor {
    const a = this._concentration1, b = this._concentration0, t = a.add(b);
    return a.mul(b).div(t.pow(2).mul(t.add(1)));
  }
  /** The first coordinate of a Dirichlet([alpha, beta]) draw. */
  override rsample(sampleShape: number[] = []): Tensor { return this.dirichlet.rsample(sampleShape).select(-1, 0); }
  override logProb(value: Tensor): Tensor {
    this.maybeValidate(value);
    return this.dirichlet.logProb(stack([value, value.rsub(1)], -1));
  }
  override entropy(): Tensor { return this.dirichlet.entropy(); }
  expand(batchShape: number[]): Beta {
    return this.withValidate(new Beta(this._concentration1.expand(batchShape), this._concentration0.expand(batchShape), { validateArgs: false }));
  }
}


