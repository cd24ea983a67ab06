// Vector math shared by kernel files (not an entry: index.ts does not re-export it, so nothing here
// becomes a wasm export). Each function is inlined where it is used.

/** e^x for 4 lanes: x = n ln2 + r (Cody-Waite split of ln2), e^r by its degree-7 Taylor polynomial. */
// @ts-ignore: decorator
@inline export function expv(x: v128): v128 {
  // pmin/pmax (one instruction each on x64; min/max take ~7 for NaN and -0, and NaN is put back
  // last anyway) clamp; n = round-to-nearest-even(xc log2 e) as (t + 1.5 2^23) - 1.5 2^23, whose
  // bits minus the magic's are n as an integer: the values of nearest() and trunc_sat, in 2 ops.
  const xc = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-104.0)), f32x4.splat(88.72283935546875));
  const nm = f32x4.add(f32x4.mul(xc, f32x4.splat(1.44269504089)), f32x4.splat(12582912.0));
  const n = f32x4.sub(nm, f32x4.splat(12582912.0));
  let r = f32x4.sub(xc, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.0 / 5040.0);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 720.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 120.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 24.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 6.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  // 2^n built in the exponent bits; n in [-127, 128] is split in two factors so neither overflows.
  const ni = i32x4.sub(nm, i32x4.splat(0x4b400000)); // bits of 12582912.0
  const h = i32x4.shr_s(ni, 1);
  const s1 = i32x4.shl(i32x4.add(h, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(i32x4.sub(ni, h), i32x4.splat(127)), 23);
  let y = f32x4.mul(f32x4.mul(p, s1), s2);
  // Exact limits: overflow to inf, underflow to 0, NaN stays NaN.
  y = v128.bitselect(f32x4.splat(Infinity), y, f32x4.gt(x, f32x4.splat(88.72283935546875)));
  y = v128.bitselect(f32x4.splat(0), y, f32x4.lt(x, f32x4.splat(-103.97)));
  return v128.bitselect(x, y, f32x4.ne(x, x));
}

/**
 * Natural log for 4 lanes: x = 2^e * m with m in [sqrt(1/2), sqrt(2)), log(m) = 2 atanh(s) with
 * s = (m-1)/(m+1), |s| < 0.172, by its odd series to s^9 (next term < 1e-9 relative).
 */
// @ts-ignore: decorator
@inline export function logv(x: v128): v128 {
  // Subnormals: scale by 2^23 first so the exponent field is meaningful.
  const tiny = f32x4.lt(x, f32x4.splat(1.17549435e-38));
  const xs = v128.bitselect(f32x4.mul(x, f32x4.splat(8388608.0)), x, tiny);
  let e = i32x4.sub(i32x4.shr_s(xs, 23), v128.bitselect(i32x4.splat(127 + 23), i32x4.splat(127), tiny));
  let m = v128.or(v128.and(xs, i32x4.splat(0x007fffff)), i32x4.splat(0x3f800000));
  const big = f32x4.gt(m, f32x4.splat(1.41421356));
  m = v128.bitselect(f32x4.mul(m, f32x4.splat(0.5)), m, big);
  e = i32x4.sub(e, big); // big lanes are all ones (-1): e + 1
  const f = f32x4.sub(m, f32x4.splat(1));
  const s = f32x4.div(f, f32x4.add(f, f32x4.splat(2)));
  const z = f32x4.mul(s, s);
  let p = f32x4.splat(2.0 / 9.0);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.0 / 7.0));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.0 / 5.0));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.0 / 3.0));
  const lm = f32x4.add(f32x4.mul(s, f32x4.splat(2)), f32x4.mul(f32x4.mul(s, z), p));
  const ef = f32x4.convert_i32x4_s(e);
  // e*ln2 split in an exact high part and a small low part (Cody-Waite).
  let r = f32x4.add(f32x4.mul(ef, f32x4.splat(0.693359375)), f32x4.add(lm, f32x4.mul(ef, f32x4.splat(-2.12194440e-4))));
  // Special cases: log(0) = -inf, log(inf) = inf, log(x<0) = NaN, NaN stays NaN.
  r = v128.bitselect(f32x4.splat(-Infinity), r, f32x4.eq(x, f32x4.splat(0)));
  r = v128.bitselect(x, r, f32x4.eq(x, f32x4.splat(Infinity)));
  r = v128.bitselect(f32x4.splat(NaN), r, f32x4.lt(x, f32x4.splat(0)));
  return v128.bitselect(x, r, f32x4.ne(x, x));
}
