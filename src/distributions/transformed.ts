// Distributions built from others: Independent (reinterprets batch dims as event dims),
// TransformedDistribution (a base pushed through Transforms, log-density by the change of variables),
// LogNormal (Normal through ExpTransform) and MixtureSameFamily, following PyTorch's shape bookkeeping.

import { Tensor } from '../tensor.js';
import * as C from './constraints.js';
import { Distribution, sumRightmost, torchSize, type DistributionOpts, type Param } from './distribution.js';
import { Categorical } from './categorical.js';
import { noGrad } from '../autograd/grad-mode.js';
import { ComposeTransform, ExpTransform, type Transform } from './transforms.js';
import { Normal } from './univariate.js';

/** A base distribution with its `reinterpretedBatchNdims` rightmost batch dims made event dims (torch Independent). */
export class Independent extends Distribution {
  override readonly hasRsample: boolean;
  override readonly hasEnumerateSupport: boolean;
  /** `new Independent(baseDistribution, reinterpretedBatchNdims, { validateArgs })`. */
  constructor(readonly baseDist: Distribution, readonly reinterpretedBatchNdims: number, opts: DistributionOpts = {}) {
    const shape = [...baseDist.batchShape, ...baseDist.eventShape];
    const eventDim = reinterpretedBatchNdims + baseDist.eventShape.length;
    if (reinterpretedBatchNdims > baseDist.batchShape.length) {
      throw new RangeError(`Expected reinterpreted_batch_ndims <= len(base_distribution.batch_shape), actual ${reinterpretedBatchNdims} vs ${baseDist.batchShape.length}`);
    }
    super(shape.slice(0, shape.length - eventDim), shape.slice(shape.length - eventDim), opts.validateArgs);
    this.hasRsample = baseDist.hasRsample;
    this.hasEnumerateSupport = reinterpretedBatchNdims > 0 ? false : baseDist.hasEnumerateSupport;
  }
  /** The base's support with the reinterpreted dims. */
  get support(): C.Constraint {
    const s = this.baseDist.support;
    return this.reinterpretedBatchNdims ? C.independent(s, this.reinterpretedBatchNdims) : s;
  }
  protected get like(): Tensor { return this.baseDist.mean; }
  override toString(): string { return `Independent(${this.baseDist}, ${this.reinterpretedBatchNdims})`; }
  override get mean(): Tensor { return this.baseDist.mean; }
  override get mode(): Tensor { return this.baseDist.mode; }
  override get variance(): Tensor { return this.baseDist.variance; }
  override sample(sampleShape: number[] = []): Tensor { return this.baseDist.sample(sampleShape); }
  override rsample(sampleShape: number[] = []): Tensor { return this.baseDist.rsample(sampleShape); }
  override logProb(value: Tensor): Tensor { return sumRightmost(this.baseDist.logProb(value), this.reinterpretedBatchNdims); }
  override entropy(): Tensor { return sumRightmost(this.baseDist.entropy(), this.reinterpretedBatchNdims); }
  override enumerateSupport(expand = true): Tensor {
    if (this.reinterpretedBatchNdims > 0) throw new Error('Enumeration over cartesian product is not implemented');
    return this.baseDist.enumerateSupport(expand);
  }
  expand(batchShape: number[]): Independent {
    const base = this.baseDist.expand([...batchShape, ...this.eventShape.slice(0, this.reinterpretedBatchNdims)]);
    return this.withValidate(new Independent(base, this.reinterpretedBatchNdims, { validateArgs: false }));
  }
}

function eqShape(a: readonly number[], b: readonly number[]): boolean { return a.length === b.length && a.every((v, i) => v === b[i]); }

/** A base distribution pushed through transforms (torch.distributions.TransformedDistribution). */
export class TransformedDistribution extends Distribution {
  /** The (possibly expanded or Independent-wrapped) base distribution. */
  readonly baseDist: Distribution;
  /** The transforms, applied in order to base samples. */
  readonly transforms: Transform[];
  override readonly hasRsample: boolean;
  /** `new TransformedDistribution(baseDistribution, transform | transforms, { validateArgs })`. */
  constructor(baseDistribution: Distribution, transforms: Transform | Transform[], opts: DistributionOpts = {}) {
    const ts = Array.isArray(transforms) ? transforms : [transforms];
    const baseShape = [...baseDistribution.batchShape, ...baseDistribution.eventShape];
    const baseEventDim = baseDistribution.eventShape.length;
    const t = new ComposeTransform(ts);
    const domainEventDim = t.domain.eventDim;
    if (baseShape.length < domainEventDim) {
      throw new RangeError(`base_distribution needs to have shape with size at least ${domainEventDim}, but got [${baseShape.join(', ')}].`);
    }
    const shape = t.forwardShape(baseShape);
    const expandedBase = t.inverseShape(shape);
    let base = baseDistribution;
    if (!eqShape(baseShape, expandedBase)) base = base.expand(expandedBase.slice(0, expandedBase.length - baseEventDim));
    const reinterpreted = domainEventDim - baseEventDim;
    if (reinterpreted > 0) base = new Independent(base, reinterpreted);
    const eventDim = t.codomain.eventDim + Math.max(baseEventDim - domainEventDim, 0);
    const cut = shape.length - eventDim;
    super(shape.slice(0, cut), shape.slice(cut), opts.validateArgs);
    this.baseDist = base;
    this.transforms = ts;
    this.hasRsample = base.hasRsample;
  }
  /** The last transform's codomain, with the event dims. */
  get support(): C.Constraint {
    if (this.transforms.length === 0) return this.baseDist.support;
    const s = this.transforms[this.transforms.length - 1]!.codomain;
    return this.eventShape.length > s.eventDim ? C.independent(s, this.eventShape.length - s.eventDim) : s;
  }
  protected get like(): Tensor { return this.baseDist.mean; }
  override toString(): string { return `${this.constructor.name}()`; }
  /** Base samples through the transforms (no gradient). */
  override sample(sampleShape: number[] = []): Tensor {
    let x = this.baseDist.sample(sampleShape);
    for (const t of this.transforms) x = t.call(x);
    return x.detach();
  }
  /** Reparameterized base samples through the transforms. */
  override rsample(sampleShape: number[] = []): Tensor {
    let x = this.baseDist.rsample(sampleShape);
    for (const t of this.transforms) x = t.call(x);
    return x;
  }
  /** The base log-density at the inverse image minus each transform's log|det J| (change of variables). */
  override logProb(value: Tensor): Tensor {
    this.maybeValidate(value);
    let eventDim = this.eventShape.length;
    let lp: Tensor | number = 0;
    let y = value;
    for (let i = this.transforms.length - 1; i >= 0; i--) {
      const t = this.transforms[i]!;
      const x = t.inverse(y);
      eventDim += t.domain.eventDim - t.codomain.eventDim;
      const term = sumRightmost(t.logAbsDetJacobian(x, y), eventDim - t.domain.eventDim);
      lp = typeof lp === 'number' ? term.neg() : lp.sub(term);
      y = x;
    }
    const base = sumRightmost(this.baseDist.logProb(y), eventDim - this.baseDist.eventShape.length);
    return typeof lp === 'number' ? base : base.add(lp);
  }
  private monotonize(v: Tensor): Tensor {
    const sign = this.transforms.reduce((s, t) => s * t.sign, 1);
    return sign === 1 ? v : v.rsub(1);
  }
  /** The base CDF at the inverse image (monotone transforms). */
  override cdf(value: Tensor): Tensor {
    let v = value;
    for (let i = this.transforms.length - 1; i >= 0; i--) v = this.transforms[i]!.inverse(v);
    return this.monotonize(this.baseDist.cdf(v));
  }
  /** The transforms applied to the base inverse CDF (monotone transforms). */
  override icdf(value: Tensor): Tensor {
    let v = this.baseDist.icdf(this.monotonize(value));
    for (const t of this.transforms) v = t.call(v);
    return v;
  }
  expand(batchShape: number[]): TransformedDistribution {
    let shape = [...batchShape, ...this.eventShape];
    for (let i = this.transforms.length - 1; i >= 0; i--) shape = this.transforms[i]!.inverseShape(shape);
    const base = this.baseDist.expand(shape.slice(0, shape.length - this.baseDist.eventShape.length));
    return this.withValidate(new TransformedDistribution(base, this.transforms, { validateArgs: false }));
  }
}

/** exp(X) for X ~ Normal(loc, scale) (torch.distributions.LogNormal). */
export class LogNormal extends TransformedDistribution {
  /** `new LogNormal(loc, scale, { validateArgs })`: loc and scale of the underlying normal. */
  constructor(loc: Param, scale: Param, opts: DistributionOpts = {}) {
    super(new Normal(loc, scale, opts), new ExpTransform(), opts);
  }
  private get normal(): Normal { return this.baseDist as Normal; }
  /** The underlying normal's mean. */
  get loc(): Tensor { return this.normal.loc; }
  /** The underlying normal's standard deviation. */
  get scale(): Tensor { return this.normal.scale; }
  /** loc: real, scale: positive. */
  override get argConstraints(): Record<string, C.Constraint> { return { loc: C.real, scale: C.positive }; }
  /** (0, inf). */
  override get support(): C.Constraint { return C.positive; }
  protected override params(): Record<string, Tensor> { return { loc: this.loc, scale: this.scale }; }
  override toString(): string { return `LogNormal(${Object.entries(this.params()).map(([k, v]) => `${k}: ${v.numel() === 1 ? v.toString() : `torch.Size([${v.shape.join(', ')}])`}`).join(', ')})`; }
  override get mean(): Tensor { return this.loc.add(this.scale.pow(2).div(2)).exp(); }
  override get mode(): Tensor { return this.loc.sub(this.scale.square()).exp(); }
  override get variance(): Tensor { const s2 = this.scale.pow(2); return s2.expm1().mul(this.loc.mul(2).add(s2).exp()); }
  override entropy(): Tensor { return this.normal.entropy().add(this.loc); }
  override expand(batchShape: number[]): LogNormal {
    return this.withValidate(new LogNormal(this.loc.expand(batchShape), this.scale.expand(batchShape), { validateArgs: false }));
  }
}

/**
 * A mixture of components of one family (torch.distributions.MixtureSameFamily): the Categorical
 * mixtureDistribution picks, per draw, one entry of componentDistribution's rightmost batch dim.
 */
export class MixtureSameFamily extends Distribution {
  /** `new MixtureSameFamily(mixtureDistribution, componentDistribution, { validateArgs })`. */
  constructor(readonly mixtureDistribution: Categorical, readonly componentDistribution: Distribution, opts: DistributionOpts = {}) {
    if (!(mixtureDistribution instanceof Categorical)) throw new TypeError('The Mixture distribution needs to be an instance of torch.distributions.Categorical');
    const mb = mixtureDistribution.batchShape, cb = componentDistribution.batchShape.slice(0, -1), k = componentDistribution.batchShape.at(-1);
    for (let i = 1; i <= Math.min(mb.length, cb.length); i++) {
      const a = mb.at(-i)!, b = cb.at(-i)!;
      if (a !== 1 && b !== 1 && a !== b) throw new RangeError(`\`mixture_distribution.batch_shape\` (${torchSize(mb)}) is not compatible with \`component_distribution.batch_shape\`(${torchSize(cb)})`);
    }
    if (mixtureDistribution.numEvents !== k) throw new RangeError(`\`mixture_distribution component\` (${mixtureDistribution.numEvents}) does not equal \`component_distribution.batch_shape[-1]\` (${k})`);
    super(cb, componentDistribution.eventShape, opts.validateArgs);
  }
  /** The components' support. */
  get support(): C.Constraint { return this.componentDistribution.support; }
  protected get like(): Tensor { return this.mixtureDistribution.probs; }
  override toString(): string { return `MixtureSameFamily(\n  ${this.mixtureDistribution},\n  ${this.componentDistribution})`; }
  /** The component dim of the components' [..., k, ...event] values. */
  private get kDim(): number { return -1 - this.eventShape.length; }
  /** The mixture probabilities, broadcastable against the components' [..., k, ...event] values. */
  private get probs(): Tensor { const p = this.mixtureDistribution.probs; return p.reshape([...p.shape, ...this.eventShape.map(() => 1)]); }
  override get mean(): Tensor { return this.probs.mul(this.componentDistribution.mean).sum(this.kDim); }
  /** The law of total variance: E[Var(Y|X)] + Var(E[Y|X]). */
  override get variance(): Tensor {
    const p = this.probs, c = this.componentDistribution, k = this.kDim;
    return p.mul(c.variance).sum(k).add(p.mul(c.mean.sub(this.mean.unsqueeze(k)).square()).sum(k));
  }
  override cdf(value: Tensor): Tensor { return this.componentDistribution.cdf(value.unsqueeze(this.kDim)).mul(this.mixtureDistribution.probs).sum(-1); }
  override logProb(value: Tensor): Tensor {
    this.maybeValidate(value);
    return this.componentDistribution.logProb(value.unsqueeze(this.kDim)).add(this.mixtureDistribution.logits).logsumexp(-1);
  }
  /** Draws a component index per sample, then that component's draw. */
  override sample(sampleShape: number[] = []): Tensor {
    return noGrad(() => {
      const B = this.batchShape, es = this.eventShape, g = sampleShape.length + B.length;
      const mix = this.mixtureDistribution.sample(sampleShape), mb = this.mixtureDistribution.batchShape;
      const idx = mix.reshape([...sampleShape, ...B.slice(mb.length).fill(1), ...mb, 1, ...es.map(() => 1)]).expand([...sampleShape, ...B, 1, ...es]);
      return this.componentDistribution.sample(sampleShape).gather(g, idx).squeeze(g);
    });
  }
  expand(batchShape: number[]): MixtureSameFamily {
    const m = this.mixtureDistribution;
    return this.withValidate(new MixtureSameFamily(m.expand(batchShape), this.componentDistribution.expand([...batchShape, m.numEvents]), { validateArgs: false }));
  }
}
