// Special functions and scans composed from existing primitives (so they run, and differentiate, on
// every backend): logaddexp, hypot, xlogy, erfc, lgamma, digamma, logcumsumexp and cummax/cummin.
// Scans use a Hillis-Steele doubling scan (log2(n) rounds of roll + where) rather than new kernels.

import { isFloating } from '../dtype.js';
import { normDim } from '../shape.js';
import { state } from '../state.js';
import { Tensor } from '../tensor.js';
import { checkDevices, promote, asTensor } from './prim.js';
import { abs, castTo, eq, floor, isinf, isnan, log, log1p, logicalAnd, logicalNot, logicalOr, maximum, mul, round, sin, sqrt, tan, unaryOp, where } from './elementwise.js';
import { arange } from './creation.js';
import { roll } from './shape.js';
import { gather } from './indexing.js';
import type { TensorOrScalar, ValuesIndices } from './types.js';

/** Both operands as tensors of their promoted floating dtype (integers compute in the default dtype). */
/** @internal Both operands as tensors of their promoted dtype, or the default float dtype for integers. */
export function floatPair(op: string, a: TensorOrScalar, b: TensorOrScalar): [Tensor, Tensor] {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) throw new TypeError(`${op}: expected at least one Tensor argument`);
  const dev = checkDevices(op, a instanceof Tensor ? a : null, b instanceof Tensor ? b : null);
  let dt = promote(a, b);
  if (!isFloating(dt)) dt = state.defaultDtype;
  return [asTensor(a, dt, dev), asTensor(b, dt, dev)];
}
/** @internal x, or x cast to the default float dtype when it is not floating point. */
export function floatOf(x: Tensor): Tensor { return isFloating(x.dtype) ? x : castTo(x, state.defaultDtype); }

/** log(e^a + e^b) = max + log1p(e^-|a-b|); equal infinities give that infinity (a - b would be NaN). */
export function logaddexp(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  const [x, y] = floatPair('logaddexp', a, b);
  const sameInf = logicalAnd(isinf(x), eq(x, y));
  // The difference is zeroed where both are the same infinity so no NaN enters either branch's gradient.
  const d = where(sameInf, 0, x.sub(y));
  return where(sameInf, x, maximum(x, y).add(log1p(abs(d).neg().exp())));
}

/** sqrt(a^2 + b^2). */
export function hypot(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  const [x, y] = floatPair('hypot', a, b);
  return sqrt(x.mul(x).add(y.mul(y)));
}

/** x * log(y), with 0 where x == 0 (unless y is NaN), as PyTorch. */
export function xlogy(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  const [x, y] = floatPair('xlogy', a, b);
  // Where x == 0 and log(y) would be -inf, NaN or inf, log is fed 1 instead: the product is then 0 and
  // x's gradient 0, as PyTorch; elsewhere x's gradient is log(y) even at x == 0 (also PyTorch's).
  // NaN y is routed around log explicitly: WebGPU's log(NaN) is not NaN on every implementation.
  const nan = isnan(y);
  const safe = logicalOr(logicalAnd(eq(x, 0), logicalOr(y.le(0), isinf(y))), nan);
  return mul(x, log(where(safe, 1, y)).add(where(nan, y, 0)));
}

/**
 * 1 - erf(x), as its own primitive (Cody's rational approximations in every backend): composed as
 * 1 - erf it would cancel from x ~ 2 and be 0 in float32 from x ~ 4 (erfc(9) = 4.1e-37).
 */
export function erfc(x: Tensor): Tensor { return unaryOp('erfc', x); }

// Lanczos approximation (g = 7, 9 terms): lgamma to ~1e-15 relative for x >= 0.5.
const LANCZOS = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];

/**
 * x - round(x), in [-0.5, 0.5] and exact: sin(pi x) and tan(pi x) of the reflection formulas are
 * taken at this offset (|sin| and tan have period 1), so neither the rounding of pi * x (for large
 * |x|) nor its cancellation next to a pole enters.
 */
function offInt(v: Tensor): Tensor { return v.sub(round(v)); }

/** log|Gamma(x)|: Lanczos for x >= 0.5, the reflection formula below (each branch fed safe values). */
export function lgamma(x: Tensor): Tensor {
  const v = floatOf(x);
  const refl = v.lt(0.5);
  const z = where(refl, v.rsub(1), v).sub(1); // Lanczos evaluates Gamma(z + 1), z >= -0.5
  let s: Tensor = z.add(1).reciprocal().mul(LANCZOS[1]!).add(LANCZOS[0]!);
  for (let i = 2; i < LANCZOS.length; i++) s = s.add(z.add(i).reciprocal().mul(LANCZOS[i]!));
  const t = z.add(7.5);
  const lg = z.add(0.5).mul(log(t)).sub(t).add(0.5 * Math.log(2 * Math.PI)).add(log(s));
  // Reflection: lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x); sin is fed 0.5 off that branch.
  const sn = abs(sin(where(refl, offInt(v), 0.5).mul(Math.PI)));
  // Non-positive integers (and -inf) are poles, +inf stays +inf (Lanczos would give inf - inf): PyTorch's +inf.
  const pole = logicalOr(logicalAnd(refl, eq(v, floor(v))), isinf(v));
  return where(pole, Infinity, where(refl, log(sn).neg().add(Math.log(Math.PI)).sub(lg), lg));
}

/**
 * psi(x) = d/dx lgamma(x): recurrence up to x + 6, then the asymptotic series; reflection below 0.5.
 * As PyTorch: psi(+-0) = -+inf, NaN at negative integers and -inf, psi(inf) = inf.
 */
export function digamma(x: Tensor): Tensor {
  const v = floatOf(x);
  const refl = v.lt(0.5);
  const z = where(refl, v.rsub(1), v);
  // Started from -1/z rather than 0 * z, which is NaN at z = inf.
  let acc = z.reciprocal().neg();
  for (let k = 1; k < 6; k++) acc = acc.sub(z.add(k).reciprocal());
  const y = z.add(6), y2 = y.mul(y).reciprocal();
  // log y - 1/(2y) - sum B_2k / (2k y^2k)
  const series = y2.mul(y2.mul(y2.mul(y2.mul(y2.mul(-1 / 132).add(1 / 240)).add(-1 / 252)).add(1 / 120)).add(-1 / 12));
  const psi = log(y).sub(y.reciprocal().mul(0.5)).add(series).add(acc);
  // Reflection: psi(x) = psi(1 - x) - pi / tan(pi x); tan is fed 0.25 off that branch.
  const tn = tan(where(refl, offInt(v), 0.25).mul(Math.PI));
  const r = where(refl, psi.sub(tn.reciprocal().mul(Math.PI)), psi);
  // Poles: copysign(inf, -x) at +-0 (the sign of zero read through 1/x), NaN at negative integers.
  const zero = eq(v, 0);
  const negInt = logicalAnd(v.lt(0), eq(v, floor(v)));
  return where(zero, where(v.reciprocal().lt(0), Infinity, -Infinity), where(negInt, NaN, r));
}

/** Positions 0..n-1 along dim d of an ndim-dim tensor, shaped to broadcast against it. */
function positions(x: Tensor, d: number): Tensor {
  const n = x.shape[d]!;
  return arange(n, { dtype: 'int32', device: x.device }).reshape(x.shape.map((s, i) => (i === d ? s : 1)));
}

/** log(cumsum(exp(x))) along dim, as a doubling scan of logaddexp (stable for any spread of values). */
export function logcumsumexp(x: Tensor, dim: number): Tensor {
  if (!isFloating(x.dtype)) throw new TypeError(`logcumsumexp: expected a floating point input, got ${x.dtype}`);
  if (x.ndim === 0) { normDim(dim, 0, 'logcumsumexp'); return x.clone(); }
  const d = normDim(dim, x.ndim, 'logcumsumexp');
  const n = x.shape[d]!;
  let y = x.clone();
  if (x.numel() === 0) return y;
  const pos = positions(x, d);
  for (let s = 1; s < n; s *= 2) y = where(pos.ge(s), logaddexp(roll(y, s, d), y), y);
  return y;
}

function cumExtreme(op: 'cummax' | 'cummin', x: Tensor, dim: number): ValuesIndices {
  if (x.ndim === 0) {
    normDim(dim, 0, op);
    const r = cumExtreme(op, x.reshape(1), 0);
    return { values: r.values.reshape([]), indices: r.indices.reshape([]) };
  }
  const d = normDim(dim, x.ndim, op);
  const n = x.shape[d]!;
  const pos = positions(x, d);
  let idx = pos.expand(x.shape).contiguous();
  if (x.numel() === 0) return { values: x.clone(), indices: idx };
  // Each round merges the winner of the segment ending s places earlier: it wins if strictly better
  // or NaN (NaN propagates); ties keep the later index, as PyTorch's >= / <= update.
  let v = x.dtype === 'bool' ? castTo(x.detach(), 'uint8') : x.detach();
  const fl = isFloating(x.dtype);
  for (let s = 1; s < n; s *= 2) {
    const lv = roll(v, s, d), li = roll(idx, s, d);
    let better = op === 'cummax' ? lv.gt(v) : lv.lt(v);
    if (fl) better = logicalOr(better, logicalAnd(isnan(lv), logicalNot(isnan(v))));
    const take = logicalAnd(pos.ge(s), better);
    v = where(take, lv, v);
    idx = where(take, li, idx);
  }
  return { values: gather(x, d, idx), indices: idx };
}
/** Running maximum along dim and the index where it was attained ({ values, indices }, int32). */
export const cummax = (x: Tensor, dim: number): ValuesIndices => cumExtreme('cummax', x, dim);
/** Running minimum along dim and the index where it was attained ({ values, indices }, int32). */
export const cummin = (x: Tensor, dim: number): ValuesIndices => cumExtreme('cummin', x, dim);
