// Float32 elementwise kernels of the CPU backend: binary ops with the broadcast patterns that matter
// (same shape, scalar, row vector, column) on direct vector loads, any other strides by gathering
// lanes; unary math; fill. Operands are 2-D [rows, cols] windows (row stride, inner stride); the
// output is contiguous. Pointers are byte addresses in the imported memory, strides are in elements.

import { expv, logv } from './vmath';

// Op codes shared with src/backends/wasm/simd.ts.
const ADD = 0, SUB = 1, MUL = 2, DIV = 3, MAX = 4, MIN = 5;
const NEG = 0, ABS = 1, RELU = 2, SQRT = 3, EXP = 4, SIGMOID = 5, TANH = 6, RECIP = 7, FLOOR = 8, CEIL = 9, TRUNC = 10, ROUND = 11, LOG = 12, ERF = 13;

// @ts-ignore: decorator
@inline function binv(op: i32, x: v128, y: v128): v128 {
  switch (op) {
    case ADD: return f32x4.add(x, y);
    case SUB: return f32x4.sub(x, y);
    case MUL: return f32x4.mul(x, y);
    case DIV: return f32x4.div(x, y);
    case MAX: return f32x4.max(x, y);
    default: return f32x4.min(x, y);
  }
}

/** Lanes x[i*s], x[(i+1)*s], x[(i+2)*s], x[(i+3)*s] of a strided float32 row. */
// @ts-ignore: decorator
@inline function gather4(x: usize, i: i32, s: i32): v128 {
  const st = <usize>(s * 4);
  const p = x + <usize>(i * s * 4);
  let v = v128.load32_zero(p);
  v = f32x4.replace_lane(v, 1, load<f32>(p + st));
  v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * st));
  return f32x4.replace_lane(v, 3, load<f32>(p + 3 * st));
}

/**
 * One row of n outputs; ai/bi are the inner strides (0 and 1 have their own loops, others gather). `op` is a literal at every call site,
 * so after inlining the optimizer folds the switch and each (op, pattern) gets its own tight loop.
 */
// @ts-ignore: decorator
@inline function binRow(op: i32, n: i32, a: usize, ai: i32, b: usize, bi: i32, o: usize): void {
  let i = 0;
  if (ai == 1 && bi == 1) {
    for (; i + 8 <= n; i += 8) {
      const d = <usize>(i * 4);
      v128.store(o + d, binv(op, v128.load(a + d), v128.load(b + d)));
      v128.store(o + d, binv(op, v128.load(a + d, 16), v128.load(b + d, 16)), 16);
    }
    for (; i + 4 <= n; i += 4) { const d = <usize>(i * 4); v128.store(o + d, binv(op, v128.load(a + d), v128.load(b + d))); }
  } else if (ai == 1 && bi == 0) {
    const y = v128.load32_splat(b);
    for (; i + 4 <= n; i += 4) { const d = <usize>(i * 4); v128.store(o + d, binv(op, v128.load(a + d), y)); }
  } else if (ai == 0 && bi == 1) {
    const x = v128.load32_splat(a);
    for (; i + 4 <= n; i += 4) { const d = <usize>(i * 4); v128.store(o + d, binv(op, x, v128.load(b + d))); }
  } else if (ai == 0 && bi == 0) {
    const v = binv(op, v128.load32_splat(a), v128.load32_splat(b));
    for (; i + 4 <= n; i += 4) v128.store(o + <usize>(i * 4), v);
  } else {
    // Any other strides (transposed, stepped): gather 4 lanes, then the same vector op.
    for (; i + 4 <= n; i += 4) {
      v128.store(o + <usize>(i * 4), binv(op, gather4(a, i, ai), gather4(b, i, bi)));
    }
  }
  // Tail: one lane at a time through the same vector op, so results match the body bit for bit.
  for (; i < n; i++) {
    const x = v128.load32_splat(a + <usize>(i * ai * 4)), y = v128.load32_splat(b + <usize>(i * bi * 4));
    store<f32>(o + <usize>(i * 4), f32x4.extract_lane(binv(op, x, y), 0));
  }
}

function binRowOp(op: i32, n: i32, a: usize, ai: i32, b: usize, bi: i32, o: usize): void {
  switch (op) {
    case ADD: binRow(ADD, n, a, ai, b, bi, o); break;
    case SUB: binRow(SUB, n, a, ai, b, bi, o); break;
    case MUL: binRow(MUL, n, a, ai, b, bi, o); break;
    case DIV: binRow(DIV, n, a, ai, b, bi, o); break;
    case MAX: binRow(MAX, n, a, ai, b, bi, o); break;
    default: binRow(MIN, n, a, ai, b, bi, o); break;
  }
}

/** out[r, c] = a[r*ars + c*ai] op b[r*brs + c*bi] for a contiguous [rows, cols] out (any strides). */
export function binary(op: i32, rows: i32, cols: i32, a: usize, ars: i32, ai: i32, b: usize, brs: i32, bi: i32, out: usize): void {
  for (let r = 0; r < rows; r++) {
    binRowOp(op, cols, a + <usize>(r * ars * 4), ai, b + <usize>(r * brs * 4), bi, out + <usize>(r * cols * 4));
  }
}

// ---- unary ----

/** tanh: odd Taylor series near 0 (no cancellation), 1 - 2/(e^{2|x|}+1) with the sign elsewhere. */
// @ts-ignore: decorator
@inline function tanhv(x: v128): v128 {
  const ax = f32x4.abs(x);
  const e = expv(f32x4.mul(ax, f32x4.splat(2)));
  let big = f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(e, f32x4.splat(1))));
  big = v128.or(big, v128.and(x, i32x4.splat(0x80000000)));
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-1382.0 / 155925.0);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(62.0 / 2835.0));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-17.0 / 315.0));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.0 / 15.0));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-1.0 / 3.0));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  const r = v128.bitselect(small, big, f32x4.lt(ax, f32x4.splat(0.3)));
  return v128.bitselect(x, r, f32x4.ne(x, x));
}

/**
 * erf for 4 lanes, within 1.13 ulp of float64 erf over every float32 (coefficients fitted for this
 * kernel by scripts/erf-fit.py, which also checks all float32 in [0, 4); src/backends/wasm/fusedgen.ts
 * erfv mirrors it instruction for instruction):
 * |x| < 0.9: x + x*T(x^2), T a degree-6 polynomial for erf(x)/x - 1 (the correction, |T| <= 0.13,
 * carries the evaluation error scaled down); 0.9 <= |x| < 3.919206: 1 - P(u)/Q(u), u = |x| - 0.9, a
 * degree-6/6 rational for erfc (<= 0.21: again the error of the small part is what counts); from
 * 3.919206 on erf rounds to 1. The sign of x is put back last (erf(-0) = -0); NaN stays NaN.
 * Plain multiplies and adds in both builds (no FMA), as expv.
 */
// @ts-ignore: decorator
@inline function erfv(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(ax, ax);
  let t = f32x4.splat(8.538865949958563e-05);
  t = f32x4.add(f32x4.mul(t, z), f32x4.splat(-0.0008181933662854135));
  t = f32x4.add(f32x4.mul(t, z), f32x4.splat(0.005204436369240284));
  t = f32x4.add(f32x4.mul(t, z), f32x4.splat(-0.026860753074288368));
  t = f32x4.add(f32x4.mul(t, z), f32x4.splat(0.11283719539642334));
  t = f32x4.add(f32x4.mul(t, z), f32x4.splat(-0.37612634897232056));
  t = f32x4.add(f32x4.mul(t, z), f32x4.splat(0.12837916612625122));
  const small = f32x4.add(ax, f32x4.mul(ax, t));
  const u = f32x4.sub(ax, f32x4.splat(0.8999999761581421));
  let p = f32x4.splat(0.0003960472531616688);
  p = f32x4.add(f32x4.mul(p, u), f32x4.splat(-0.00653831847012043));
  p = f32x4.add(f32x4.mul(p, u), f32x4.splat(0.04541253671050072));
  p = f32x4.add(f32x4.mul(p, u), f32x4.splat(-0.17005275189876556));
  p = f32x4.add(f32x4.mul(p, u), f32x4.splat(0.36248230934143066));
  p = f32x4.add(f32x4.mul(p, u), f32x4.splat(-0.41744306683540344));
  p = f32x4.add(f32x4.mul(p, u), f32x4.splat(0.2030918002128601));
  let q = f32x4.splat(0.02240297757089138);
  q = f32x4.add(f32x4.mul(q, u), f32x4.splat(0.03172754496335983));
  q = f32x4.add(f32x4.mul(q, u), f32x4.splat(0.1442502737045288));
  q = f32x4.add(f32x4.mul(q, u), f32x4.splat(0.20261943340301514));
  q = f32x4.add(f32x4.mul(q, u), f32x4.splat(0.589134156703949));
  q = f32x4.add(f32x4.mul(q, u), f32x4.splat(0.41618919372558594));
  q = f32x4.add(f32x4.mul(q, u), f32x4.splat(1.0));
  const big = f32x4.sub(f32x4.splat(1), f32x4.div(p, q));
  // Lanes past a piece's range may hold inf/NaN (inf * 0, inf / inf): the selects drop them.
  let r = v128.bitselect(small, big, f32x4.lt(ax, f32x4.splat(0.8999999761581421)));
  r = v128.bitselect(f32x4.splat(1), r, f32x4.ge(ax, f32x4.splat(3.919205904006958)));
  r = v128.or(r, v128.and(x, i32x4.splat(0x80000000)));
  return v128.bitselect(x, r, f32x4.ne(x, x));
}

// @ts-ignore: decorator
@inline function unv(op: i32, x: v128): v128 {
  switch (op) {
    case NEG: return f32x4.neg(x);
    case ABS: return f32x4.abs(x);
    case RELU: return f32x4.max(x, f32x4.splat(0));
    case SQRT: return f32x4.sqrt(x);
    case EXP: return expv(x);
    // 1/(1+e^-x): e^-x = inf gives 0 and e^-x = 0 gives 1, as they should.
    case SIGMOID: return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), expv(f32x4.neg(x))));
    case TANH: return tanhv(x);
    case RECIP: return f32x4.div(f32x4.splat(1), x);
    case FLOOR: return f32x4.floor(x);
    case CEIL: return f32x4.ceil(x);
    case TRUNC: return f32x4.trunc(x);
    case LOG: return logv(x);
    case ERF: return erfv(x);
    default: return f32x4.nearest(x);
  }
}

// Two inlined unv per op, not three: strided groups and the tail (a partial vector) share the second
// loop, which keeps the module small (the bundle carries it as base64); contiguous rows keep a loop
// without calls, which the polynomial ops need for speed.
// @ts-ignore: decorator
@inline function unRow(op: i32, n: i32, x: usize, xi: i32, o: usize): void {
  let i = 0;
  if (xi == 1) for (; i + 4 <= n; i += 4) { const d = <usize>(i * 4); v128.store(o + d, unv(op, v128.load(x + d))); }
  for (; i < n; i += 4) {
    const r = unv(op, loadN(x, i, xi, n - i)), d = <usize>(i * 4);
    if (i + 4 <= n) v128.store(o + d, r); else storeN(o + d, r, n - i);
  }
}

/** Lanes of elements i.. (stride s) of x: min(live, 4) of them, the rest 0. */
function loadN(x: usize, i: i32, s: i32, live: i32): v128 {
  if (live >= 4) return gather4(x, i, s);
  const st = <usize>(s * 4), p = x + <usize>(i * s * 4);
  let v = v128.load32_zero(p);
  if (live > 1) v = f32x4.replace_lane(v, 1, load<f32>(p + st));
  if (live > 2) v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * st));
  return v;
}

/** Stores the first live (< 4) lanes of v at o. */
function storeN(o: usize, v: v128, live: i32): void {
  store<f32>(o, f32x4.extract_lane(v, 0));
  if (live > 1) store<f32>(o + 4, f32x4.extract_lane(v, 1));
  if (live > 2) store<f32>(o + 8, f32x4.extract_lane(v, 2));
}

function unRowOp(op: i32, n: i32, x: usize, xi: i32, o: usize): void {
  switch (op) {
    case NEG: unRow(NEG, n, x, xi, o); break;
    case ABS: unRow(ABS, n, x, xi, o); break;
    case RELU: unRow(RELU, n, x, xi, o); break;
    case SQRT: unRow(SQRT, n, x, xi, o); break;
    case EXP: unRow(EXP, n, x, xi, o); break;
    case SIGMOID: unRow(SIGMOID, n, x, xi, o); break;
    case TANH: unRow(TANH, n, x, xi, o); break;
    case RECIP: unRow(RECIP, n, x, xi, o); break;
    case FLOOR: unRow(FLOOR, n, x, xi, o); break;
    case CEIL: unRow(CEIL, n, x, xi, o); break;
    case TRUNC: unRow(TRUNC, n, x, xi, o); break;
    case LOG: unRow(LOG, n, x, xi, o); break;
    case ERF: unRow(ERF, n, x, xi, o); break;
    default: unRow(ROUND, n, x, xi, o); break;
  }
}

/** out[r, c] = f(x[r*xrs + c*xi]) for a contiguous [rows, cols] out. */
export function unary(op: i32, rows: i32, cols: i32, x: usize, xrs: i32, xi: i32, out: usize): void {
  for (let r = 0; r < rows; r++) unRowOp(op, cols, x + <usize>(r * xrs * 4), xi, out + <usize>(r * cols * 4));
}

/** Sets a [rows, cols] window of 4-byte elements (row stride rs, inner stride cs) to the bit pattern `bits`. */
export function fill32(rows: i32, cols: i32, dst: usize, rs: i32, cs: i32, bits: i32): void {
  const v = i32x4.splat(bits);
  for (let r = 0; r < rows; r++) {
    const row = dst + <usize>(r * rs * 4);
    let i = 0;
    if (cs == 1) for (; i + 4 <= cols; i += 4) v128.store(row + <usize>(i * 4), v);
    for (; i < cols; i++) store<i32>(row + <usize>(i * cs * 4), bits);
  }
}

// ---- comparisons: float32 inputs, bool (one byte, 0 or 1) output ----

const EQ = 0, NE = 1, LT = 2, LE = 3, GT = 4, GE = 5;

// @ts-ignore: decorator
@inline function cmpv(op: i32, x: v128, y: v128): v128 {
  switch (op) {
    case EQ: return f32x4.eq(x, y);
    case NE: return f32x4.ne(x, y);
    case LT: return f32x4.lt(x, y);
    case LE: return f32x4.le(x, y);
    case GT: return f32x4.gt(x, y);
    default: return f32x4.ge(x, y);
  }
}

/** 4 lanes of a row with inner stride s, starting at element i. */
// @ts-ignore: decorator
@inline function lanes(x: usize, i: i32, s: i32): v128 {
  if (s == 1) return v128.load(x + <usize>(i * 4));
  if (s == 0) return v128.load32_splat(x);
  return gather4(x, i, s);
}

// @ts-ignore: decorator
@inline function cmpRow(op: i32, n: i32, a: usize, ai: i32, b: usize, bi: i32, o: usize): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    // Four all-ones/zero lane masks narrowed to 16 bytes, then masked to 0/1.
    const m0 = cmpv(op, lanes(a, i, ai), lanes(b, i, bi));
    const m1 = cmpv(op, lanes(a, i + 4, ai), lanes(b, i + 4, bi));
    const m2 = cmpv(op, lanes(a, i + 8, ai), lanes(b, i + 8, bi));
    const m3 = cmpv(op, lanes(a, i + 12, ai), lanes(b, i + 12, bi));
    const bytes = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(m0, m1), i16x8.narrow_i32x4_s(m2, m3));
    v128.store(o + <usize>i, v128.and(bytes, i8x16.splat(1)));
  }
  for (; i < n; i++) {
    const m = cmpv(op, v128.load32_splat(a + <usize>(i * ai * 4)), v128.load32_splat(b + <usize>(i * bi * 4)));
    store<u8>(o + <usize>i, <u8>(i32x4.extract_lane(m, 0) & 1));
  }
}

function cmpRowOp(op: i32, n: i32, a: usize, ai: i32, b: usize, bi: i32, o: usize): void {
  switch (op) {
    case EQ: cmpRow(EQ, n, a, ai, b, bi, o); break;
    case NE: cmpRow(NE, n, a, ai, b, bi, o); break;
    case LT: cmpRow(LT, n, a, ai, b, bi, o); break;
    case LE: cmpRow(LE, n, a, ai, b, bi, o); break;
    case GT: cmpRow(GT, n, a, ai, b, bi, o); break;
    default: cmpRow(GE, n, a, ai, b, bi, o); break;
  }
}

/** out[r, c] = a[r*ars + c*ai] cmp b[r*brs + c*bi] as 0/1 bytes, out contiguous [rows, cols]. */
export function compare(op: i32, rows: i32, cols: i32, a: usize, ars: i32, ai: i32, b: usize, brs: i32, bi: i32, out: usize): void {
  for (let r = 0; r < rows; r++) {
    cmpRowOp(op, cols, a + <usize>(r * ars * 4), ai, b + <usize>(r * brs * 4), bi, out + <usize>(r * cols));
  }
}

/**
 * out[i] = c[i] != 0 ? a[i] : b[i] over n contiguous 32-bit elements (float32 or int32: the select
 * moves bits, so one kernel serves both) with a one-byte bool/uint8 condition. 16 conditions are
 * loaded at once and widened to four all-ones/zero lane masks for v128.bitselect.
 */
export function where32(n: i32, c: usize, a: usize, aDense: bool, b: usize, bDense: bool, out: usize): void {
  let i = 0;
  const zero = i8x16.splat(0);
  // A non-dense operand is one value (a broadcast scalar: ReLU's gradient where(out <= 0, 0, g)).
  const as = v128.load32_splat(a), bs = v128.load32_splat(b);
  for (; i + 16 <= n; i += 16) {
    // Byte masks (0xff where c != 0) widen by sign extension to 16- then 32-bit masks.
    const m8 = v128.not(i8x16.eq(v128.load(c + <usize>i), zero));
    const lo = i16x8.extend_low_i8x16_s(m8), hi = i16x8.extend_high_i8x16_s(m8);
    const o = <usize>(i * 4);
    v128.store(out + o, v128.bitselect(aDense ? v128.load(a + o) : as, bDense ? v128.load(b + o) : bs, i32x4.extend_low_i16x8_s(lo)));
    v128.store(out + o + 16, v128.bitselect(aDense ? v128.load(a + o + 16) : as, bDense ? v128.load(b + o + 16) : bs, i32x4.extend_high_i16x8_s(lo)));
    v128.store(out + o + 32, v128.bitselect(aDense ? v128.load(a + o + 32) : as, bDense ? v128.load(b + o + 32) : bs, i32x4.extend_low_i16x8_s(hi)));
    v128.store(out + o + 48, v128.bitselect(aDense ? v128.load(a + o + 48) : as, bDense ? v128.load(b + o + 48) : bs, i32x4.extend_high_i16x8_s(hi)));
  }
  for (; i < n; i++) {
    const o = <usize>(i * 4);
    store<u32>(out + o, load<u8>(c + <usize>i) != 0 ? load<u32>(aDense ? a + o : a) : load<u32>(bDense ? b + o : b));
  }
}
