// klDivergence(p, q) and registerKl: a registry of closed forms keyed by the two distribution classes,
// looked up as PyTorch does (the most specific registered pair along both prototype chains, the left
// argument deciding ties). The registered formulas are PyTorch's (torch/distributions/kl.py) for the
// families torchlet has, written with differentiable ops.

import { Tensor } from '../tensor.js';
import { lgamma, digamma, where, erf, fullLike } from '../ops/index.js';
import { softplus } from '../nn/functional/activation.js';
import { Distribution, sumRightmost } from './distribution.js';
import { Normal, Uniform, Exponential, Laplace, Gamma, Poisson, Bernoulli, Binomial } from './univariate.js';
import { Categorical, OneHotCategorical, Dirichlet, Beta } from './categorical.js';
import { MultivariateNormal, batchMahalanobis } from './multivariate.js';
import { Independent, TransformedDistribution } from './transformed.js';
import { solveLower } from './linalg-small.js';

/** A distribution class (its constructor), as registerKl takes it. */
export type DistributionClass<T extends Distribution = Distribution> = abstract new (...args: never[]) => T;
/** A closed-form KL(p || q). */
export type KlFn<P extends Distribution = Distribution, Q extends Distribution = Distribution> = (p: P, q: Q) => Tensor;

const registry = new Map<DistributionClass, Map<DistributionClass, KlFn>>();
const cache = new Map<DistributionClass, Map<DistributionClass, KlFn | null>>();

/** Registers KL(p || q) for p of class typeP and q of class typeQ (torch.distributions.kl.register_kl). */
export function registerKl<P extends Distribution, Q extends Distribution>(typeP: DistributionClass<P>, typeQ: DistributionClass<Q>, fn: KlFn<P, Q>): void {
  let m = registry.get(own(typeP));
  if (!m) registry.set(own(typeP), (m = new Map()));
  m.set(own(typeQ), fn as KlFn);
  cache.clear();
}

/**
 * The class itself, seen through its prototype: the public classes are strict-argument Proxies of the
 * implementation classes (src/args.ts), and both must name the same registry entry.
 */
function own(c: DistributionClass): DistributionClass { return (c.prototype as { constructor: DistributionClass }).constructor; }

/** The class and its ancestors, nearest first. */
function chain(c: DistributionClass): DistributionClass[] {
  const out: DistributionClass[] = [];
  for (let k: unknown = c; typeof k === 'function' && k !== Function.prototype; k = Object.getPrototypeOf(k)) out.push(own(k as DistributionClass));
  return out;
}

function lookup(tp: DistributionClass, tq: DistributionClass): KlFn | null {
  const cp = chain(tp), cq = chain(tq);
  let best: { fn: KlFn; i: number; j: number } | null = null;
  for (let i = 0; i < cp.length; i++) {
    const m = registry.get(cp[i]!);
    if (!m) continue;
    for (let j = 0; j < cq.length; j++) {
      const fn = m.get(cq[j]!);
      if (fn && (!best || i + j < best.i + best.j || (i + j === best.i + best.j && i < best.i))) best = { fn, i, j };
    }
  }
  return best?.fn ?? null;
}

/** KL(p || q) per batch element (torch.distributions.kl.kl_divergence); throws when no closed form is registered. */
export function klDivergence(p: Distribution, q: Distribution): Tensor {
  const tp = own(p.constructor as DistributionClass), tq = own(q.constructor as DistributionClass);
  let m = cache.get(tp);
  if (!m) cache.set(tp, (m = new Map()));
  let fn = m.get(tq);
  if (fn === undefined) { fn = lookup(tp, tq); m.set(tq, fn); }
  if (!fn) throw new Error(`No KL(p || q) is implemented for p type ${tp.name} and q type ${tq.name}`);
  return fn(p, q);
}

const EULER = 0.57721566490153286060;
const inf = (t: Tensor): Tensor => fullLike(t, Infinity);
const xLogX = (t: Tensor): Tensor => t.mul(t.log());

// ---- same families
registerKl(Bernoulli, Bernoulli, (p, q) => {
  let t1 = p.probs.mul(softplus(q.logits.neg()).sub(softplus(p.logits.neg())));
  t1 = where(p.probs.eq(0), 0, where(q.probs.eq(0), Infinity, t1));
  let t2 = p.probs.rsub(1).mul(softplus(q.logits).sub(softplus(p.logits)));
  t2 = where(p.probs.eq(1), 0, where(q.probs.eq(1), Infinity, t2));
  return t1.add(t2);
});
registerKl(Beta, Beta, (p, q) => {
  const sp = p.concentration1.add(p.concentration0), sq = q.concentration1.add(q.concentration0);
  const t1 = lgamma(q.concentration1).add(lgamma(q.concentration0)).add(lgamma(sp));
  const t2 = lgamma(p.concentration1).add(lgamma(p.concentration0)).add(lgamma(sq));
  const t3 = p.concentration1.sub(q.concentration1).mul(digamma(p.concentration1));
  const t4 = p.concentration0.sub(q.concentration0).mul(digamma(p.concentration0));
  const t5 = sq.sub(sp).mul(digamma(sp));
  return t1.sub(t2).add(t3).add(t4).add(t5);
});
registerKl(Binomial, Binomial, (p, q) => {
  const more = q.totalCount.gt(p.totalCount);
  if (more.device === 'cpu' && more.any().itemSync()) throw new Error('KL between Binomials where q.total_count > p.total_count is not implemented');
  const kl = p.totalCount.mul(p.probs.mul(p.logits.sub(q.logits)).add(p.probs.neg().log1p()).sub(q.probs.neg().log1p()));
  return where(p.totalCount.gt(q.totalCount), Infinity, kl);
});
const klCategorical = (p: Categorical, q: Categorical): Tensor => {
  let t = p.probs.mul(p.logits.sub(q.logits));
  t = where(p.probs.eq(0), 0, where(q.probs.eq(0), Infinity, t));
  return t.sum(-1);
};
registerKl(Categorical, Categorical, klCategorical);
registerKl(OneHotCategorical, OneHotCategorical, (p, q) => klCategorical(p._categorical, q._categorical));
registerKl(Dirichlet, Dirichlet, (p, q) => {
  const sp = p.concentration.sum(-1), sq = q.concentration.sum(-1);
  const t1 = lgamma(sp).sub(lgamma(sq));
  const t2 = lgamma(p.concentration).sub(lgamma(q.concentration)).sum(-1);
  const t3 = p.concentration.sub(q.concentration);
  const t4 = digamma(p.concentration).sub(digamma(sp).unsqueeze(-1));
  return t1.sub(t2).add(t3.mul(t4).sum(-1));
});
registerKl(Exponential, Exponential, (p, q) => { const r = q.rate.div(p.rate); return r.log().neg().add(r).sub(1); });
registerKl(Gamma, Gamma, (p, q) => {
  const t1 = q.concentration.mul(p.rate.div(q.rate).log());
  const t2 = lgamma(q.concentration).sub(lgamma(p.concentration));
  const t3 = p.concentration.sub(q.concentration).mul(digamma(p.concentration));
  const t4 = q.rate.sub(p.rate).mul(p.concentration.div(p.rate));
  return t1.add(t2).add(t3).add(t4);
});
registerKl(Laplace, Laplace, (p, q) => {
  const ratio = p.scale.div(q.scale), d = p.loc.sub(q.loc).abs();
  return ratio.log().neg().add(d.div(q.scale)).add(ratio.mul(d.neg().div(p.scale).exp())).sub(1);
});
registerKl(MultivariateNormal, MultivariateNormal, (p, q) => {
  if (p.eventShape[0] !== q.eventShape[0]) throw new RangeError('KL-divergence between two Multivariate Normals with different event shapes cannot be computed');
  const Lp = p._unbroadcastedScaleTril, Lq = q._unbroadcastedScaleTril;
  const half1 = Lq.diagonal(0, -2, -1).log().sum(-1).sub(Lp.diagonal(0, -2, -1).log().sum(-1));
  const n = p.eventShape[0]!;
  const batch = [...p.batchShape.length >= q.batchShape.length ? p.batchShape : q.batchShape];
  const term2 = solveLower(Lq.expand([...batch, n, n]), Lp.expand([...batch, n, n])).pow(2).sum([-2, -1]);
  const term3 = batchMahalanobis(Lq, q.loc.sub(p.loc));
  return half1.add(term2.add(term3).sub(n).mul(0.5));
});
registerKl(Normal, Normal, (p, q) => {
  const vr = p.scale.div(q.scale).pow(2);
  const t1 = p.loc.sub(q.loc).div(q.scale).pow(2);
  return vr.add(t1).sub(1).sub(vr.log()).mul(0.5);
});
registerKl(Poisson, Poisson, (p, q) => p.rate.mul(p.rate.log().sub(q.rate.log())).sub(p.rate.sub(q.rate)));
registerKl(TransformedDistribution, TransformedDistribution, (p, q) => {
  if (p.transforms.length !== q.transforms.length || !p.transforms.every((t, i) => t.equals(q.transforms[i]!))) throw new Error('KL between TransformedDistributions with different transforms is not implemented');
  if (p.eventShape.join() !== q.eventShape.join()) throw new Error('KL between TransformedDistributions with different event shapes is not implemented');
  return klDivergence(p.baseDist, q.baseDist);
});
registerKl(Uniform, Uniform, (p, q) => {
  const r = q.high.sub(q.low).div(p.high.sub(p.low)).log();
  return where(q.low.gt(p.low).logicalOr(q.high.lt(p.high)), Infinity, r);
});
registerKl(Independent, Independent, (p, q) => {
  if (p.reinterpretedBatchNdims !== q.reinterpretedBatchNdims) throw new Error('KL between Independents with different reinterpretedBatchNdims is not implemented');
  return sumRightmost(klDivergence(p.baseDist, q.baseDist), p.reinterpretedBatchNdims);
});

// ---- different families
registerKl(Bernoulli, Poisson, (p, q) => p.entropy().neg().sub(p.probs.mul(q.rate.log()).sub(q.rate)));
registerKl(Beta, Exponential, (p, q) => p.entropy().neg().sub(q.rate.log()).add(q.rate.mul(p.concentration1.div(p.concentration1.add(p.concentration0)))));
registerKl(Beta, Gamma, (p, q) => {
  const t2 = lgamma(q.concentration).sub(q.concentration.mul(q.rate.log()));
  const t3 = q.concentration.sub(1).mul(digamma(p.concentration1).sub(digamma(p.concentration1.add(p.concentration0))));
  const t4 = q.rate.mul(p.concentration1).div(p.concentration1.add(p.concentration0));
  return p.entropy().neg().add(t2).sub(t3).add(t4);
});
registerKl(Beta, Normal, (p, q) => {
  const e = p.concentration1.div(p.concentration1.add(p.concentration0));
  const v = q.scale.pow(2);
  const t2 = v.mul(2 * Math.PI).log().mul(0.5);
  const t3 = e.mul(e.rsub(1)).div(p.concentration1.add(p.concentration0).add(1)).add(e.pow(2)).mul(0.5);
  return p.entropy().neg().add(t2).add(t3.sub(q.loc.mul(e)).add(q.loc.pow(2).mul(0.5)).div(v));
});
registerKl(Beta, Uniform, (p, q) => where(q.low.gt(0).logicalOr(q.high.lt(1)), Infinity, p.entropy().neg().add(q.high.sub(q.low).log())));
for (const Q of [Beta, Uniform] as DistributionClass[]) registerKl(Exponential, Q, (p) => inf(p.rate));
registerKl(Exponential, Gamma, (p, q) => {
  const r = q.rate.div(p.rate);
  return q.concentration.neg().mul(r.log()).add(r).add(lgamma(q.concentration)).add(q.concentration.mul(EULER)).sub(1 + EULER);
});
registerKl(Exponential, Normal, (p, q) => {
  const v = q.scale.pow(2), r2 = p.rate.pow(2);
  const t1 = r2.mul(v).mul(2 * Math.PI).log().mul(0.5);
  return t1.sub(1).add(r2.reciprocal().sub(q.loc.div(p.rate)).add(q.loc.pow(2).mul(0.5)).div(v));
});
for (const Q of [Beta, Uniform] as DistributionClass[]) registerKl(Gamma, Q, (p) => inf(p.concentration));
registerKl(Gamma, Exponential, (p, q) => p.entropy().neg().sub(q.rate.log()).add(q.rate.mul(p.concentration).div(p.rate)));
registerKl(Gamma, Normal, (p, q) => {
  const v = q.scale.pow(2), b2 = p.rate.pow(2), c = p.concentration;
  const t1 = b2.mul(v).mul(2 * Math.PI).log().mul(0.5).sub(c).sub(lgamma(c));
  const t2 = c.pow(2).add(c).mul(0.5).div(b2);
  const t3 = q.loc.mul(c).div(p.rate);
  return t1.add(c.sub(1).mul(digamma(c))).add(t2.sub(t3).add(q.loc.pow(2).mul(0.5)).div(v));
});
for (const Q of [Beta, Exponential, Gamma, Uniform] as DistributionClass[]) registerKl(Laplace, Q, (p) => inf(p.loc));
registerKl(Laplace, Normal, (p, q) => {
  const v = q.scale.pow(2), r = p.scale.pow(2).div(v);
  const t1 = r.mul(2 / Math.PI).log().mul(0.5);
  return t1.neg().add(r).add(p.loc.pow(2).mul(0.5).sub(p.loc.mul(q.loc)).add(q.loc.pow(2).mul(0.5)).div(v)).sub(1);
});
for (const Q of [Beta, Exponential, Gamma, Uniform] as DistributionClass[]) registerKl(Normal, Q, (p) => inf(p.loc));
registerKl(Normal, Laplace, (p, q) => {
  const d = p.loc.sub(q.loc), ratio = p.scale.div(q.scale), dr = d.div(p.scale);
  const t2 = p.scale.mul(Math.sqrt(2 / Math.PI)).mul(dr.pow(2).mul(-0.5).exp());
  const t3 = d.mul(erf(dr.mul(Math.SQRT1_2)));
  return ratio.log().neg().add(t2.add(t3).div(q.scale)).sub(0.5 * (1 + Math.log(0.5 * Math.PI)));
});
for (const Q of [Bernoulli, Binomial] as DistributionClass[]) registerKl(Poisson, Q, (p) => inf(p.rate));
registerKl(Uniform, Beta, (p, q) => {
  const c = p.high.sub(p.low);
  const t1 = c.log();
  const t2 = q.concentration1.sub(1).mul(xLogX(p.high).sub(xLogX(p.low)).sub(c)).div(c);
  const t3 = q.concentration0.sub(1).mul(xLogX(p.high.rsub(1)).sub(xLogX(p.low.rsub(1))).add(c)).div(c);
  const t4 = lgamma(q.concentration1).add(lgamma(q.concentration0)).sub(lgamma(q.concentration1.add(q.concentration0)));
  return where(p.high.gt(1).logicalOr(p.low.lt(0)), Infinity, t3.add(t4).sub(t1).sub(t2));
});
registerKl(Uniform, Exponential, (p, q) => {
  const r = q.rate.mul(p.high.add(p.low)).div(2).sub(p.high.sub(p.low).mul(q.rate).log());
  return where(p.low.lt(0), Infinity, r);
});
registerKl(Uniform, Gamma, (p, q) => {
  const c = p.high.sub(p.low);
  const t2 = lgamma(q.concentration).sub(q.concentration.mul(q.rate.log()));
  const t3 = q.concentration.rsub(1).mul(xLogX(p.high).sub(xLogX(p.low)).sub(c)).div(c);
  const t4 = q.rate.mul(p.high.add(p.low)).div(2);
  return where(p.low.lt(0), Infinity, c.log().neg().add(t2).add(t3).add(t4));
});
registerKl(Uniform, Normal, (p, q) => {
  const c = p.high.sub(p.low);
  const t1 = q.scale.mul(Math.sqrt(2 * Math.PI)).div(c).log();
  const t2 = c.pow(2).div(12);
  const t3 = p.high.add(p.low).sub(q.loc.mul(2)).div(2).pow(2);
  return t1.add(t2.add(t3).mul(0.5).div(q.scale.pow(2)));
});
