// Scalar-event distributions: Normal, Uniform, Exponential, Laplace, Gamma, Poisson, Bernoulli and
// Binomial, with PyTorch's formulas (torch/distributions/*.py) written with differentiable ops, so
// logProb, entropy, cdf and rsample carry gradients to the parameters on every device.

import { Tensor } from '../tensor.js';
import { rand, randn, where, lgamma, digamma, xlogy, erf, erfinv, arange } from '../ops/index.js';
import { noGrad } from '../autograd/grad-mode.js';
import { softplus } from '../nn/functional/activation.js';
import * as C from './constraints.js';
import { Distribution, broadcastAll, type DistributionOpts, type Param } from './distribution.js';
import { rsampleStandardGamma, samplePoisson, sampleBinomial, epsOf, tinyOf } from './samplers.js';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** The dtype/device options of t, for creating random tensors beside it. */
export function like(t: Tensor): { dtype: Tensor['dtype']; device: Tensor['device'] } { return { dtype: t.dtype, device: t.device }; }

/** Probabilities clamped to [eps, 1 - eps] (torch.distributions.utils.clamp_probs). */
export function clampProbs(p: Tensor): Tensor { const e = epsOf(p); return p.clamp(e, 1 - e); }
/** Binary logits log(p) - log1p(-p) of clamped probabilities (probs_to_logits(is_binary=True)). */
export function binaryLogits(p: Tensor): Tensor { const c = clampProbs(p); return c.log().sub(c.neg().log1p()); }
/** max(x, 0) - x * target + log1p(exp(-|x|)): binary cross entropy with logits, elementwise. */
export function bceWithLogits(logits: Tensor, target: Tensor): Tensor {
  // (1 - t) x + softplus(-x): softplus is smooth at 0, so the gradient there is sigmoid(x) - t as
  // PyTorch's (a max(x, 0) + log1p(e^-|x|) form takes the kinks' one-sided gradients at x = 0).
  return target.rsub(1).mul(logits).add(softplus(logits.neg()));
}

/** Shared by the location-scale families on the real line (Normal, Laplace): parameters, support, mean and mode. */
abstract class LocScale extends Distribution {
  /** @internal */ readonly _loc: Tensor;
  /** @internal */ readonly _scale: Tensor;
  override readonly hasRsample = true;
  constructor(loc: Param, scale: Param, opts: DistributionOpts) {
    const [l, s] = broadcastAll(loc, scale);
    super(l!.shape, [], opts.validateArgs);
    this._loc = l!; this._scale = s!;
    this.checkArgs();
  }
  /** The location (mean, median, mode). */
  get loc(): Tensor { return this._loc; }
  /** The scale. */
  get scale(): Tensor { return this._scale; }
  /** loc: real, scale: positive. */
  override get argConstraints(): Record<string, C.Constraint> { return { loc: C.real, scale: C.positive }; }
  /** The real line. */
  get support(): C.Constraint { return C.real; }
  protected get like(): Tensor { return this._loc; }
  override get mean(): Tensor { return this._loc; }
  override get mode(): Tensor { return this._loc; }
}

/** The normal distribution N(loc, scale^2) (torch.distributions.Normal): loc is the mean, scale the standard deviation. */
export class Normal extends LocScale {
  /** `new Normal(loc, scale, { validateArgs })`. */
  constructor(loc: Param, scale: Param, opts: DistributionOpts = {}) { super(loc, scale, opts); }
  override get stddev(): Tensor { return this._scale; }
  override get variance(): Tensor { return this._scale.pow(2); }
  /** Draws loc + scale * eps, eps ~ N(0, 1). */
  override rsample(sampleShape: number[] = []): Tensor {
    return randn(this.extendedShape(sampleShape), like(this._loc)).mul(this._scale).add(this._loc);
  }
  override logProb(value: Tensor): Tensor {
    this.maybeValidate(value);
    const v = this._scale.pow(2);
    return value.sub(this._loc).pow(2).neg().div(v.mul(2)).sub(this._scale.log()).sub(LOG_SQRT_2PI);
  }
  override cdf(value: Tensor): Tensor {
    this.maybeValidate(value);
    return erf(value.sub(this._loc).mul(this._scale.reciprocal()).div(Math.SQRT2)).add(1).mul(0.5);
  }
  override icdf(value: Tensor): Tensor { return erfinv(value.mul(2).sub(1)).mul(Math.SQRT2).mul(this._scale).add(this._loc); }
  override entropy(): Tensor { return this._scale.log().add(0.5 + LOG_SQRT_2PI); }
  expand(batchShape: number[]): Normal {
    return this.withValidate(new Normal(this._loc.expand(batchShape), this._scale.expand(batchShape), { validateArgs: false }));
  }
}

/** The uniform distribution on [low, high) (torch.distributions.Uniform). */
export class Uniform extends Distribution {
  /** @internal */ readonly _low: Tensor;
  /** @internal */ readonly _high: Tensor;
  override readonly hasRsample = true;
  /** `new Uniform(low, high, { validateArgs })`. */
  constructor(low: Param, high: Param, opts: DistributionOpts = {}) {
    const [l, h] = broadcastAll(low, high);
    super(l!.shape, [], opts.validateArgs);
    this._low = l!; this._high = h!;
    if (this.validate && !noGrad(() => this.allLess())) throw new RangeError('Uniform is not defined when low>= high');
  }
  private allLess(): boolean {
    const r = this._low.lt(this._high).all();
    return r.device !== 'cpu' || Boolean(r.itemSync());
  }
  /** The lower bound. */
  get low(): Tensor { return this._low; }
  /** The upper bound. */
  get high(): Tensor { return this._high; }
  /** low and high are checked together (low < high). */
  override get argConstraints(): Record<string, C.Constraint> { return { low: C.dependent, high: C.dependent }; }
  /** [low, high]. */
  get support(): C.Constraint { return C.interval(this._low, this._high); }
  protected get like(): Tensor { return this._low; }
  override get mean(): Tensor { return this._high.add(this._low).div(2); }
  override get mode(): Tensor { return this._high.mul(NaN); }
  override get stddev(): Tensor { return this._high.sub(this._low).div(12 ** 0.5); }
  override get variance(): Tensor { return this._high.sub(this._low).pow(2).div(12); }
  /** Draws low + U (high - low). */
  override rsample(sampleShape: number[] = []): Tensor {
    return rand(this.extendedShape(sampleShape), like(this._low)).mul(this._high.sub(this._low)).add(this._low);
  }
  override logProb(value: Tensor): Tensor {
    this.maybeValidate(value);
    const inside = this._low.le(value).logicalAnd(this._high.gt(value)).to(this._low.dtype);
    return inside.log().sub(this._high.sub(this._low).log());
  }
  override cdf(value: Tensor): Tensor {
    this.maybeValidate(value);
    return value.sub(this._low).div(this._high.sub(this._low)).clamp(0, 1);
  }
  override icdf(value: Tensor): Tensor { return value.mul(this._high.sub(this._low)).add(this._low); }
  override entropy(): Tensor { return this._high.sub(this._low).log(); }
  expand(batchShape: number[]): Uniform {
    return this.withValidate(new Uniform(this._low.expand(batchShape), this._high.expand(batchShape), { validateArgs: false }));
  }
}

/** The exponential distribution with the given rate (torch.distributions.Exponential). */
export class Exponential extends Distribution {
  /** @internal */ readonly _rate: Tensor;
  override readonly hasRsample = true;
  /** `new Exponential(rate, { validateArgs })`. */
  constructor(rate: Param, opts: DistributionOpts = {}) {
    const [r] = broadcastAll(rate);
    super(r!.shape, [], opts.validateArgs);
    this._rate = r!;
    this.checkArgs();
  }
  /** The rate (1 / mean). */
  get rate(): Tensor { return this._rate; }
  /** rate: positive. */
  override get argConstraints(): Record<string, C.Constraint> { return { rate: C.positive }; }
  /** [0, inf). */
  get support(): C.Constraint { return C.nonnegative; }
  protected get like(): Tensor { return this._rate; }
  override get mean(): Tensor { return this._rate.reciprocal(); }
  override get mode(): Tensor { return this._rate.mul(0); }
  override get stddev(): Tensor { return this._rate.reciprocal(); }
  override get variance(): Tensor { return this._rate.pow(-2); }
  /** Draws -log(1 - U) / rate. */
  override rsample(sampleShape: number[] = []): Tensor {
    return rand(this.extendedShape(sampleShape), like(this._rate)).neg().log1p().neg().div(this._rate);
  }
  override logProb(value: Tensor): Tensor { this.maybeValidate(value); return this._rate.log().sub(this._rate.mul(value)); }
  override cdf(value: Tensor): Tensor { this.maybeValidate(value); return this._rate.neg().mul(value).exp().rsub(1); }
  override icdf(value: Tensor): Tensor { return value.neg().log1p().neg().div(this._rate); }
  override entropy(): Tensor { return this._rate.log().rsub(1); }
  expand(batchShape: number[]): Exponential {
    return this.withValidate(new Exponential(this._rate.expand(batchShape), { validateArgs: false }));
  }
}

/** The Laplace distribution (torch.distributions.Laplace). */
export class Laplace extends LocScale {
  /** `new Laplace(loc, scale, { validateArgs })`. */
  constructor(loc: Param, scale: Param, opts: DistributionOpts = {}) { super(loc, scale, opts); }
  override get stddev(): Tensor { return this._scale.mul(Math.SQRT2); }
  override get variance(): Tensor { return this._scale.pow(2).mul(2); }
  /** Draws loc - scale sign(u) log1p(-|u|), u ~ U(eps - 1, 1). */
  override rsample(sampleShape: number[] = []): Tensor {
    const e = epsOf(this._loc);
    const u = rand(this.extendedShape(sampleShape), like(this._loc)).mul(2 - e).add(e - 1);
    return this._loc.sub(this._scale.mul(u.sign()).mul(u.abs().neg().log1p()));
  }
  override logProb(value: Tensor): Tensor {
    this.maybeValidate(value);
    return this._scale.mul(2).log().neg().sub(value.sub(this._loc).abs().div(this._scale));
  }
  override cdf(value: Tensor): Tensor {
    this.maybeValidate(value);
    const d = value.sub(this._loc);
    return d.sign().mul(d.abs().neg().div(this._scale).expm1()).mul(-0.5).add(0.5);
  }
  override icdf(value: Tensor): Tensor {
    const t = value.sub(0.5);
    return this._loc.sub(this._scale.mul(t.sign()).mul(t.abs().mul(-2).log1p()));
  }
  override entropy(): Tensor { return this._scale.mul(2).log().add(1); }
  expand(batchShape: number[]): Laplace {
    return this.withValidate(new Laplace(this._loc.expand(batchShape), this._scale.expand(batchShape), { validateArgs: false }));
  }
}

/** The Gamma distribution with shape `concentration` and `rate` (torch.distributions.Gamma). */
export class Gamma extends Distribution {
  /** @internal */ readonly _concentration: Tensor;
  /** @internal */ readonly _rate: Tensor;
  override readonly hasRsample = true;
  /** `new Gamma(concentration, rate, { validateArgs })`. */
  constructor(concentration: Param, rate: Param, opts: DistributionOpts = {}) {
    const [c, r] = broadcastAll(concentration, rate);
    super(c!.shape, [], opts.validateArgs);
    this._concentration = c!; this._rate = r!;
    this.checkArgs();
  }
  /** The shape parameter alpha. */
  get concentration(): Tensor { return this._concentration; }
  /** The rate parameter beta. */
  get rate(): Tensor { return this._rate; }
  /** concentration, rate: positive. */
  override get argConstraints(): Record<string, C.Constraint> { return { concentration: C.positive, rate: C.positive }; }
  /** [0, inf). */
  get support(): C.Constraint { return C.nonnegative; }
  protected get like(): Tensor { return this._concentration; }
  override get mean(): Tensor { return this._concentration.div(this._rate); }
  override get mode(): Tensor { return this._concentration.sub(1).div(this._rate).clamp(0, null); }
  override get variance(): Tensor { return this._concentration.div(this._rate.pow(2)); }
  /** Marsaglia-Tsang draws; gradients to concentration by implicit reparameterization, to rate through the division. */
  override rsample(sampleShape: number[] = []): Tensor {
    const shape = this.extendedShape(sampleShape);
    const x = rsampleStandardGamma(this._concentration.expand(shape)).div(this._rate);
    return x.clamp(tinyOf(x), null);
  }
  override logProb(value: Tensor): Tensor {
    this.maybeValidate(value);
    return xlogy(this._concentration, this._rate).add(xlogy(this._concentration.sub(1), value))
      .sub(this._rate.mul(value)).sub(lgamma(this._concentration));
  }
  override entropy(): Tensor {
    const c = this._concentration;
    return c.sub(this._rate.log()).add(lgamma(c)).add(c.rsub(1).mul(digamma(c)));
  }
  expand(batchShape: number[]): Gamma {
    return this.withValidate(new Gamma(this._concentration.expand(batchShape), this._rate.expand(batchShape), { validateArgs: false }));
  }
}

/** The Poisson distribution (torch.distributions.Poisson); samples are float counts. */
export class Poisson extends Distribution {
  /** @internal */ readonly _rate: Tensor;
  /** `new Poisson(rate, { validateArgs })`. */
  constructor(rate: Param, opts: DistributionOpts = {}) {
    const [r] = broadcastAll(rate);
    super(r!.shape, [], opts.validateArgs);
    this._rate = r!;
    this.checkArgs();
  }
  /** The rate (mean). */
  get rate(): Tensor { return this._rate; }
  /** rate: non-negative. */
  override get argConstraints(): Record<string, C.Constraint> { return { rate: C.nonnegative }; }
  /** Non-negative integers. */
  get support(): C.Constraint { return C.nonnegativeInteger; }
  protected get like(): Tensor { return this._rate; }
  override get mean(): Tensor { return this._rate; }
  override get mode(): Tensor { return this._rate.floor(); }
  override get variance(): Tensor { return this._rate; }
  /** Draws counts on the rate's device (inversion below rate 10, PTRS above). */
  override sample(sampleShape: number[] = []): Tensor { return samplePoisson(this._rate.expand(this.extendedShape(sampleShape))); }
  override logProb(value: Tensor): Tensor {
    this.maybeValidate(value);
    return xlogy(value, this._rate).sub(this._rate).sub(lgamma(value.add(1)));
  }
  expand(batchShape: number[]): Poisson {
    return this.withValidate(new Poisson(this._rate.expand(batchShape), { validateArgs: false }));
  }
}

/** probs or logits, as PyTorch's discrete distributions take them. */
export interface ProbsOpts extends DistributionOpts {
  /** Event probabilities. */
  probs?: Tensor | number | null;
  /** Event log-odds (binary) or unnormalized log-probabilities (categorical). */
  logits?: Tensor | number | null;
}

/** Reads `probs` or `logits` (exactly one) from a positional probs or an options object. */
export function probsOrLogits(name: string, first: Tensor | number | ProbsOpts | null | undefined, opts: ProbsOpts): { probs?: Param; logits?: Param; validateArgs?: boolean | null } {
  const o: ProbsOpts = first instanceof Tensor || typeof first === 'number' ? { ...opts, probs: first } : { ...(first ?? {}), ...opts };
  const hasP = o.probs !== undefined && o.probs !== null, hasL = o.logits !== undefined && o.logits !== null;
  if (hasP === hasL) throw new RangeError(`${name}: Either \`probs\` or \`logits\` must be specified, but not both.`);
  return { probs: hasP ? (o.probs as Param) : undefined, logits: hasL ? (o.logits as Param) : undefined, validateArgs: o.validateArgs };
}

/**
 * Shared by the distributions of one success probability per trial (Bernoulli, Geometric): built from
 * probs or logits (exactly one), keeping the one given and deriving the other.
 */
export abstract class SuccessProbs extends Distribution {
  /** @internal */ readonly _probs?: Tensor;
  /** @internal */ readonly _logits?: Tensor;
  protected constructor(name: string, probs: Tensor | number | ProbsOpts | null, opts: ProbsOpts) {
    const r = probsOrLogits(name, probs, opts);
    const [t] = broadcastAll((r.probs ?? r.logits)!);
    super(t!.shape, [], r.validateArgs);
    if (r.probs !== undefined) this._probs = t; else this._logits = t;
    this.checkArgs();
  }
  /** The probability of success (of 1). */
  get probs(): Tensor { return this._probs ?? this._logits!.sigmoid(); }
  /** The log-odds of success. */
  get logits(): Tensor { return this._logits ?? binaryLogits(this._probs!); }
  /** probs in [0, 1], logits real. */
  override get argConstraints(): Record<string, C.Constraint> { return { probs: C.unitInterval, logits: C.real }; }
  protected get like(): Tensor { return (this._probs ?? this._logits)!; }
  /** The parameter given, expanded to batchShape (for expand()). */
  protected expandedParams(batchShape: number[]): ProbsOpts {
    return this._probs ? { probs: this._probs.expand(batchShape) } : { logits: this._logits!.expand(batchShape) };
  }
}

/** The Bernoulli distribution (torch.distributions.Bernoulli): `new Bernoulli(probs)` or `new Bernoulli({ logits })`. */
export class Bernoulli extends SuccessProbs {
  override readonly hasEnumerateSupport = true;
  /** `new Bernoulli(probs, { validateArgs })` or `new Bernoulli({ probs | logits, validateArgs })`. */
  constructor(probs: Tensor | number | ProbsOpts | null, opts: ProbsOpts = {}) { super('Bernoulli', probs, opts); }
  /** {0, 1}. */
  get support(): C.Constraint { return C.boolean; }
  override get mean(): Tensor { return this.probs; }
  override get mode(): Tensor { const p = this.probs; return where(p.eq(0.5), NaN, p.ge(0.5).to(p.dtype)); }
  override get variance(): Tensor { const p = this.probs; return p.mul(p.rsub(1)); }
  /** Draws 1 with probability probs (float 0/1). */
  override sample(sampleShape: number[] = []): Tensor {
    return noGrad(() => { const p = this.probs.detach(); return rand(this.extendedShape(sampleShape), like(p)).lt(p).to(p.dtype); });
  }
  override logProb(value: Tensor): Tensor {
    this.maybeValidate(value);
    return bceWithLogits(this.logits, value.to(this.like.dtype)).neg();
  }
  override entropy(): Tensor { return bceWithLogits(this.logits, this.probs); }
  override enumerateSupport(expand = true): Tensor {
    const v = arange(2, like(this.like)).reshape([2, ...this.batchShape.map(() => 1)]);
    return expand ? v.expand([2, ...this.batchShape]) : v;
  }
  expand(batchShape: number[]): Bernoulli { return this.withValidate(new Bernoulli({ ...this.expandedParams(batchShape), validateArgs: false })); }
}

/** The Binomial distribution (torch.distributions.Binomial): `new Binomial(totalCount, probs)` or `new Binomial(totalCount, { logits })`. */
export class Binomial extends Distribution {
  /** @internal */ readonly _totalCount: Tensor;
  /** @internal */ readonly _probs?: Tensor;
  /** @internal */ readonly _logits?: Tensor;
  private readonly hostCount: number | null;
  override readonly hasEnumerateSupport = true;
  /** `new Binomial(totalCount, probs, { validateArgs })` or `new Binomial(totalCount, { probs | logits, validateArgs })`. */
  constructor(totalCount: Param = 1, probs: Tensor | number | ProbsOpts | null = null, opts: ProbsOpts = {}) {
    const r = probsOrLogits('Binomial', probs, opts);
    const [n, t] = broadcastAll(totalCount, (r.probs ?? r.logits)!);
    super(t!.shape, [], r.validateArgs);
    this._totalCount = n!.to(t!.dtype);
    if (r.probs !== undefined) this._probs = t; else this._logits = t;
    this.hostCount = typeof totalCount === 'number' ? totalCount : null;
    this.checkArgs();
  }
  /** The number of trials. */
  get totalCount(): Tensor { return this._totalCount; }
  /** The success probability. */
  get probs(): Tensor { return this._probs ?? this._logits!.sigmoid(); }
  /** The log-odds of success. */
  get logits(): Tensor { return this._logits ?? binaryLogits(this._probs!); }
  /** total_count: non-negative integer, probs in [0, 1], logits real. */
  override get argConstraints(): Record<string, C.Constraint> {
    return { total_count: C.nonnegativeInteger, probs: C.unitInterval, logits: C.real };
  }
  protected override params(): Record<string, Tensor> {
    const out: Record<string, Tensor> = { total_count: this._totalCount };
    if (this._probs) out.probs = this._probs; else out.logits = this._logits!;
    return out;
  }
  /** {0, ..., totalCount}. */
  get support(): C.Constraint { return C.integerInterval(0, this._totalCount); }
  protected get like(): Tensor { return (this._probs ?? this._logits)!; }
  override get mean(): Tensor { return this._totalCount.mul(this.probs); }
  override get mode(): Tensor { return this._totalCount.add(1).mul(this.probs).floor().clamp(null, this._totalCount); }
  override get variance(): Tensor { const p = this.probs; return this._totalCount.mul(p).mul(p.rsub(1)); }
  /** Draws counts on the parameters' device (inversion when n min(p, 1-p) < 10, BTRS above). */
  override sample(sampleShape: number[] = []): Tensor {
    const shape = this.extendedShape(sampleShape);
    return sampleBinomial(this._totalCount.expand(shape), this.probs.expand(shape));
  }
  override logProb(value: Tensor): Tensor {
    this.maybeValidate(value);
    const n = this._totalCount, l = this.logits;
    const clampByZero = l.clamp(0, null).add(l).sub(l.clamp(null, 0)).div(2);
    const norm = n.mul(clampByZero).add(n.mul(l.abs().neg().exp().log1p())).sub(lgamma(n.add(1)));
    return value.mul(l).sub(lgamma(value.add(1))).sub(lgamma(n.sub(value).add(1))).sub(norm);
  }
  /** The number of trials as a host number, when every element has the same one (entropy, enumerateSupport). */
  private homogeneousCount(op: string): number {
    if (this.hostCount !== null) return this.hostCount;
    if (this._totalCount.device !== 'cpu') throw new Error(`Binomial.${op}: needs totalCount on the host: pass it as a number (on ${this._totalCount.device} it would be a device read)`);
    const mx = Number(this._totalCount.max().itemSync()), mn = Number(this._totalCount.min().itemSync());
    if (mx !== mn) throw new Error(`Inhomogeneous total count not supported by \`${op}\`.`);
    return mx;
  }
  override enumerateSupport(expand = true): Tensor {
    const n = this.homogeneousCount('enumerate_support');
    const v = arange(n + 1, like(this.like)).reshape([n + 1, ...this.batchShape.map(() => 1)]);
    return expand ? v.expand([n + 1, ...this.batchShape]) : v;
  }
  override entropy(): Tensor {
    const lp = this.logProb(this.enumerateSupport(false));
    return lp.exp().mul(lp).sum(0).neg();
  }
  expand(batchShape: number[]): Binomial {
    const o = this._probs ? { probs: this._probs.expand(batchShape) } : { logits: this._logits!.expand(batchShape) };
    const d = new Binomial(this.hostCount ?? this._totalCount.expand(batchShape), { ...o, validateArgs: false });
    return this.withValidate(d);
  }
}
