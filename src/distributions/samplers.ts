// Device-side samplers for the non-reparameterizable-by-formula families, composed from rand/randn and
// elementwise ops so they run on the parameters' device (torchlet's Philox stream, no host loop):
// - standard Gamma: Marsaglia-Tsang, every element drawing GAMMA_TRIES candidates at once and keeping
//   the first accepted (acceptance >= 0.95 per try for alpha >= 1: all 8 failing has probability
//   < 4e-11, and then the first candidate is kept),
//   with alpha < 1 boosted by U^(1/alpha); its rsample gradient is the implicit reparameterization
//   dx/dalpha = -(dP(alpha, x)/dalpha) / p(x; alpha) (P the regularized incomplete gamma), the integral
//   evaluated by Gauss-Legendre quadrature on geometric panels (standardGammaGrad);
// - Poisson: inversion (the pmf by recurrence, 40 terms) below rate 10, Hoermann's PTRS above (as PyTorch);
// - Binomial: inversion (45 terms) when n*min(p, 1-p) < 10, BTRS (Kachitvichyanukul-Schmeiser with
//   Hoermann's transformed rejection, exact log-pmf acceptance) above (as PyTorch). The rejection
//   samplers take REJECT_TRIES candidates (acceptance >= ~0.85 each: all failing < 1e-10).
// Everything stays elementwise on [tries, ...shape] or [shape]: log-factorials come from a table and
// Stirling's series rather than the composed lgamma, which costs ~25 ops per element.

import { Tensor } from '../tensor.js';
import { rand, randn, tensor, where, digamma, take, zeros } from '../ops/index.js';
import { noGrad } from '../autograd/grad-mode.js';

const GAMMA_TRIES = 8;
const REJECT_TRIES = 12;
/** float32's smallest normal number: PyTorch clamps Gamma samples to it so log(x) stays finite. */
const TINY32 = 1.1754943508222875e-38;

function opts(t: Tensor): { dtype: Tensor['dtype']; device: Tensor['device'] } { return { dtype: t.dtype, device: t.device }; }
/** The smallest positive normal value of t's dtype. */
export function tinyOf(t: Tensor): number { return t.dtype === 'float64' ? 2.2250738585072014e-308 : TINY32; }
/** Machine epsilon of t's dtype. */
export function epsOf(t: Tensor): number { return t.dtype === 'float64' ? 2.220446049250313e-16 : 1.1920928955078125e-7; }

/** The value of the first accepted candidate along dim 0 ([TRIES, ...S] -> [...S]). */
function firstAccepted(accept: Tensor, values: Tensor): Tensor {
  const idx = accept.to('float32').argmax(0, true);
  return values.gather(0, idx).squeeze(0);
}

/** Samples of Gamma(alpha, 1), one per element of alpha (no gradient). */
export function sampleStandardGamma(alpha: Tensor): Tensor {
  return noGrad(() => {
    const a = alpha.detach();
    const S = a.shape;
    const small = a.lt(1);
    const aa = where(small, a.add(1), a);
    const d = aa.sub(1 / 3), c = d.mul(9).rsqrt();
    const x = randn([GAMMA_TRIES, ...S], opts(a));
    const u = rand([GAMMA_TRIES, ...S], opts(a));
    const y = x.mul(c).add(1);
    const pos = y.gt(0);
    const v = where(pos, y.mul(y).mul(y), 1);
    const x2 = x.square();
    const accept = pos.logicalAnd(u.log().lt(x2.mul(0.5).add(d.mul(v.neg().add(1).add(v.log())))));
    const g = firstAccepted(accept, d.mul(v));
    // alpha < 1: Gamma(alpha) = Gamma(alpha + 1) * U^(1/alpha), taken in logs so tiny values do not underflow early.
    const boost = where(small, rand([...S], opts(a)).log().div(a), 0);
    return g.log().add(boost).exp().clamp(tinyOf(a), null);
  });
}

// 8-point Gauss-Legendre on [0, 1], repeated on 12 geometric panels [W (2^k - 1) / 4095, W (2^(k+1) - 1) / 4095]:
// the integrand decays on scales from W / 4095 to W, and each panel resolves the part at its own scale.
const GL_X = [0.019855071751231912, 0.10166676129318664, 0.2372337950418355, 0.4082826787521751, 0.5917173212478248, 0.7627662049581645, 0.8983332387068134, 0.9801449282487681];
const GL_W = [0.05061426814518853, 0.11119051722668721, 0.15685332293894344, 0.18134189168918083, 0.18134189168918083, 0.15685332293894344, 0.11119051722668721, 0.05061426814518853];
const PANELS = 12;
const QUAD: { nodes: number[]; weights: number[] } = (() => {
  const nodes: number[] = [], weights: number[] = [];
  const total = 2 ** PANELS - 1;
  for (let k = 0; k < PANELS; k++) {
    const a = (2 ** k - 1) / total, b = (2 ** (k + 1) - 1) / total;
    for (let i = 0; i < 8; i++) { nodes.push(a + (b - a) * GL_X[i]!); weights.push((b - a) * GL_W[i]!); }
  }
  return { nodes, weights };
})();

/**
 * dx/dalpha of a standard Gamma sample x held at fixed CDF value: -(dP/dalpha) / p(x; alpha). With
 * u = log t, dP/dalpha = int_{-inf}^{log x} (u - psi(alpha)) exp(alpha u - e^u) du / Gamma(alpha), and
 * the integral over all u is 0 (E[log X] = psi(alpha)), so the tail on the far side of the mode
 * log(alpha) is integrated: [log x - W, log x] when x < alpha, else [log x, log x + W]. Divided by p(x)
 * the integrand is exp(g) with g(w) <= 0 (w = |u - log x|), and W is where g bounds fall below -40:
 * left (40 + x) / alpha; right the root of (x - alpha) w + x w^2 / 2 = 40.
 */
export function standardGammaGrad(alpha: Tensor, x: Tensor): Tensor {
  return noGrad(() => {
    const a = alpha.detach(), xv = x.detach();
    const o = opts(xv);
    const nodes = tensor(QUAD.nodes, o), weights = tensor(QUAD.weights, o);
    const left = xv.lt(a);
    const dx = xv.sub(a).abs();
    const wLeft = xv.add(40).div(a);
    const wRight = dx.add(dx.square().add(xv.mul(80)).sqrt()).reciprocal().mul(80);
    const W = where(left, wLeft, wRight);
    const sgn = where(left, -1, 1);
    const w = W.unsqueeze(-1).mul(nodes);
    const ae = a.unsqueeze(-1), xe = xv.unsqueeze(-1), le = left.unsqueeze(-1);
    // g = alpha (u - lx) - (e^u - x), u = lx -+ w
    const g = where(le, ae.mul(w).neg().sub(xe.mul(w.neg().expm1())), ae.mul(w).sub(xe.mul(w.expm1())));
    const u = xv.log().unsqueeze(-1).add(w.mul(sgn.unsqueeze(-1)));
    const integrand = u.sub(digamma(a).unsqueeze(-1)).mul(g.exp()).mul(weights);
    return integrand.sum(-1).mul(W).mul(xv).mul(sgn);
  });
}

/**
 * Reparameterized standard Gamma samples: the values of sampleStandardGamma, with dx/dalpha =
 * standardGammaGrad attached (value x + (alpha - stop(alpha)) * stop(dx/dalpha): exactly x forward).
 */
export function rsampleStandardGamma(alpha: Tensor): Tensor {
  const x = sampleStandardGamma(alpha);
  if (!alpha.requiresGrad) return x;
  const gr = standardGammaGrad(alpha, x);
  return x.add(alpha.sub(alpha.detach()).mul(gr));
}

/** log(k!) for k = 0..n-1, exact in float64 on the host (a constant table). */
function logFactorials(n: number): number[] {
  const out = [0];
  for (let k = 1; k < n; k++) out.push(out[k - 1]! + Math.log(k));
  return out;
}
const LOG_FACT = logFactorials(16);

/**
 * log(k!) of non-negative integer-valued k: the table below 16, Stirling's series for lgamma(k + 1)
 * above (its first omitted term, 1/(1680 z^7), is below 1e-11 there).
 */
export function logFactorial(k: Tensor): Tensor {
  const o = opts(k);
  const tab = take(tensor(LOG_FACT, o), k.clamp(0, 15).to('int32'));
  const z = k.add(1).clamp(16, null);
  const zi = z.reciprocal(), zi2 = zi.square();
  const series = zi.mul(zi2.mul(zi2.mul(1 / 1260).sub(1 / 360)).add(1 / 12));
  const st = z.sub(0.5).mul(z.log()).sub(z).add(0.5 * Math.log(2 * Math.PI)).add(series);
  return where(k.lt(16), tab, st);
}

/** The number of terms of a pmf (given by its first term and the ratio of successive terms) whose CDF is below u. */
function invert(first: Tensor, ratio: (k: number, p: Tensor) => Tensor, u: Tensor, terms: number): Tensor {
  let p = first, F = first;
  let count = zeros(u.shape, opts(u)).add(F.lt(u).to(u.dtype));
  for (let k = 1; k < terms; k++) {
    p = ratio(k, p);
    F = F.add(p);
    count = count.add(F.lt(u).to(u.dtype));
  }
  return count.clamp(null, terms - 1);
}

const POISSON_TERMS = 40;

/** Samples of Poisson(rate), one per element (float, as PyTorch's torch.poisson). */
export function samplePoisson(rate: Tensor): Tensor {
  return noGrad(() => {
    const r = rate.detach();
    const S = r.shape, o = opts(r);
    // Inversion for rate < 10 (fed 1 elsewhere): pmf(k) = pmf(k - 1) rate / k.
    const rs = where(r.lt(10), r, 1);
    const inv = invert(rs.neg().exp(), (k, p) => p.mul(rs).mul(1 / k), rand([...S], o), POISSON_TERMS);
    // PTRS (Hoermann 1993) for rate >= 10; small rates are fed 10 so the constants stay finite.
    const lam = r.clamp(10, null);
    const slam = lam.sqrt(), loglam = lam.log();
    const b = slam.mul(2.53).add(0.931);
    const a = b.mul(0.02483).add(-0.059);
    const invalpha = b.sub(3.4).reciprocal().mul(1.1328).add(1.1239);
    const vr = b.sub(2).reciprocal().mul(-3.6224).add(0.9277);
    const U = rand([REJECT_TRIES, ...S], o).sub(0.5);
    const V = rand([REJECT_TRIES, ...S], o);
    const us = U.abs().rsub(0.5);
    const kk = a.mul(2).div(us).add(b).mul(U).add(lam).add(0.43).floor();
    const quick = us.ge(0.07).logicalAnd(V.le(vr));
    const kSafe = kk.clamp(0, null);
    const lhs = V.log().add(invalpha.log()).sub(a.div(us.square()).add(b).log());
    const rhs = lam.neg().add(kSafe.mul(loglam)).sub(logFactorial(kSafe));
    const slow = kk.ge(0).logicalAnd(us.lt(0.013).logicalAnd(V.gt(us)).logicalNot()).logicalAnd(lhs.le(rhs));
    const ptrs = firstAccepted(quick.logicalOr(slow), kSafe);
    return where(r.lt(10), where(r.eq(0), 0, inv), ptrs);
  });
}

const BINOMIAL_TERMS = 45;

/** Samples of Binomial(count, prob), one per element (float). */
export function sampleBinomial(count: Tensor, prob: Tensor): Tensor {
  return noGrad(() => {
    const n = count.detach(), p0 = prob.detach();
    const S = p0.shape, o = opts(p0);
    const flip = p0.gt(0.5);
    const p = where(flip, p0.rsub(1), p0);
    const big = n.mul(p).ge(10);
    // Inversion when n p < 10 (fed p = 0.25, n = 1 elsewhere): pmf(k) = pmf(k - 1) (n - k + 1) / k * p / (1 - p).
    const ps = where(big, 0.25, p), ns = where(big, 1, n);
    const odds = ps.div(ps.rsub(1));
    const first = ns.mul(ps.neg().log1p()).exp();
    const inv = invert(first, (k, pm) => pm.mul(ns.sub(k - 1).clamp(0, null)).mul(odds).mul(1 / k), rand([...S], o), BINOMIAL_TERMS).minimum(ns);
    // BTRS when n p >= 10 (fed p = 0.25, n = 100 elsewhere so the constants stay finite).
    const pb = where(big, p, 0.25), nb = where(big, n, 100);
    const logPmf = (k: Tensor): Tensor => // up to the constant log(n!) - both sides of the test share it
      logFactorial(k).neg().sub(logFactorial(nb.sub(k))).add(k.mul(pb.log())).add(nb.sub(k).mul(pb.neg().log1p()));
    const stddev = nb.mul(pb).mul(pb.rsub(1)).sqrt();
    const b = stddev.mul(2.53).add(1.15);
    const a = b.mul(0.0248).add(pb.mul(0.01)).add(-0.0873);
    const c = nb.mul(pb).add(0.5);
    const vr = b.reciprocal().mul(-4.2).add(0.92);
    const alpha = b.reciprocal().mul(5.1).add(2.83).mul(stddev);
    const m = nb.add(1).mul(pb).floor();
    const U = rand([REJECT_TRIES, ...S], o).sub(0.5);
    const V = rand([REJECT_TRIES, ...S], o);
    const us = U.abs().rsub(0.5);
    const kk = a.mul(2).div(us).add(b).mul(U).add(c).floor();
    const inRange = kk.ge(0).logicalAnd(kk.le(nb));
    const kSafe = where(inRange, kk, 0);
    const quick = us.ge(0.07).logicalAnd(V.le(vr));
    const lhs = V.mul(alpha).div(a.div(us.square()).add(b)).log();
    const rhs = logPmf(kSafe).sub(logPmf(m));
    const btrs = firstAccepted(inRange.logicalAnd(quick.logicalOr(lhs.le(rhs))), kSafe);
    const draws = where(big, btrs, inv);
    return where(flip, n.sub(draws), draws);
  });
}
