// Scalar math shared by the CPU backend's reference loops: the per-element functions of every
// unary and binary primitive, with PyTorch's conventions (round half to even, Python-style
// remainder, NaN-propagating max/min, erf/erfc to float64 accuracy, erfinv to float32 accuracy or
// better).

import type { BinaryOp, UnaryOp } from '../backend.js';
import { INTEGER_DIVISION_BY_ZERO, NEGATIVE_INTEGER_POWER } from '../backend.js';

// W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969),
// coefficients as in Netlib specfun CALERF: erf on |x| <= 0.46875 (A/B), erfc(x) exp(x^2) on
// (0.46875, 4] (C/D) and on (4, inf) in 1/x^2 (P/Q); ~1e-16 relative, so float64 erfc keeps full
// accuracy where 1 - erf(x) would cancel (and underflow to 0 in float32 from x ~ 4).
const ERF_A = [3.16112374387056560, 1.13864154151050156e2, 3.77485237685302021e2, 3.20937758913846947e3, 1.85777706184603153e-1];
const ERF_B = [2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3, 2.84423683343917062e3];
const ERFC_C = [5.64188496988670089e-1, 8.88314979438837594, 6.61191906371416295e1, 2.98635138197400131e2, 8.81952221241769090e2,
  1.71204761263407058e3, 2.05107837782607147e3, 1.23033935479799725e3, 2.15311535474403846e-8];
const ERFC_D = [1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2, 1.62138957456669019e3, 3.29079923573345963e3,
  4.36261909014324716e3, 3.43936767414372164e3, 1.23033935480374942e3];
const ERFC_P = [3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
  6.58749161529837803e-4, 1.63153871373020978e-2];
const ERFC_Q = [2.56852019228982242, 1.87295284992346047, 5.27905102951428412e-1, 6.05183413124413191e-2, 2.33520497626869185e-3];
const INV_SQRT_PI = 0.56418958354775628695;

/** erf(x) for |x| <= 0.46875 (Cody's A/B rational). */
function erfSmall(x: number): number {
  const z = x * x;
  let num = ERF_A[4]! * z, den = z;
  for (let i = 0; i < 3; i++) { num = (num + ERF_A[i]!) * z; den = (den + ERF_B[i]!) * z; }
  return x * (num + ERF_A[3]!) / (den + ERF_B[3]!);
}

/** erf to float64 accuracy: Cody's rational on |x| <= 0.46875, 1 - erfc(|x|) (no cancellation there) beyond. */
export function erf(x: number): number {
  if (x !== x) return NaN;
  const y = Math.abs(x);
  if (y <= 0.46875) return erfSmall(x);
  const r = 1 - erfc(y);
  return x < 0 ? -r : r;
}

export function erfc(x: number): number {
  if (x !== x) return NaN;
  const y = Math.abs(x);
  if (y <= 0.46875) return 1 - erfSmall(x);
  let r: number; // erfc(y) * exp(y^2)
  if (y >= 27.3) r = 0; // erfc(y) < 2^-1075 (also keeps inf - inf out of the split below)
  else if (y <= 4) {
    let num = ERFC_C[8]! * y, den = y;
    for (let i = 0; i < 7; i++) { num = (num + ERFC_C[i]!) * y; den = (den + ERFC_D[i]!) * y; }
    r = (num + ERFC_C[7]!) / (den + ERFC_D[7]!);
  } else {
    const z = 1 / (y * y);
    let num = ERFC_P[5]! * z, den = z;
    for (let i = 0; i < 4; i++) { num = (num + ERFC_P[i]!) * z; den = (den + ERFC_Q[i]!) * z; }
    r = (INV_SQRT_PI - z * (num + ERFC_P[4]!) / (den + ERFC_Q[4]!)) / y;
  }
  if (r !== 0) {
    // exp(-y^2) = exp(-h^2) exp(-(y-h)(y+h)) with h = y to 1/16: h^2 is exact, so the rounding of
    // y*y (relative error ~y^2 * eps in the result) never enters. Past y = 26 the result is
    // subnormal: scale by e^200 until the last product so it is rounded once, not twice.
    const h = Math.trunc(y * 16) / 16, s = y > 26 ? 200 : 0;
    r = Math.exp(s - h * h) * Math.exp(-(y - h) * (y + h)) * r;
    if (s) r *= Math.exp(-s);
  }
  return x < 0 ? 2 - r : r;
}

export function erfinv(y: number): number {
  if (y <= -1) return y === -1 ? -Infinity : NaN;
  if (y >= 1) return y === 1 ? Infinity : NaN;
  // Giles' single-precision approximation, then two Newton steps on erf for full accuracy.
  let w = -Math.log((1 - y) * (1 + y)), p: number;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-08; p = 3.43273939e-07 + p * w; p = -3.5233877e-06 + p * w; p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w; p = -0.00125372503 + p * w; p = -0.00417768164 + p * w; p = 0.246640727 + p * w; p = 1.50140941 + p * w;
  } else {
    w = Math.sqrt(w) - 3;
    p = -0.000200214257; p = 0.000100950558 + p * w; p = 0.00134934322 + p * w; p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w; p = -0.0076224613 + p * w; p = 0.00943887047 + p * w; p = 1.00167406 + p * w; p = 2.83297682 + p * w;
  }
  let x = p * y;
  for (let i = 0; i < 2; i++) x -= (erf(x) - y) / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x));
  return x;
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 ? 2 * Math.round(x / 2) : r;
}

export const unaryFns: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  abs: Math.abs,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0), // NaN -> 0, as PyTorch
  exp: Math.exp,
  expm1: Math.expm1,
  log: Math.log,
  log1p: Math.log1p,
  log2: Math.log2,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  sin: Math.sin, cos: Math.cos, tan: Math.tan,
  asin: Math.asin, acos: Math.acos, atan: Math.atan,
  sinh: Math.sinh, cosh: Math.cosh, tanh: Math.tanh,
  asinh: Math.asinh, acosh: Math.acosh, atanh: Math.atanh,
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  erf,
  erfc,
  erfinv,
  floor: Math.floor, ceil: Math.ceil, round: roundHalfEven, trunc: Math.trunc,
  reciprocal: (x) => 1 / x,
  relu: (x) => (x > 0 ? x : x === 0 || x < 0 ? 0 : x),
  logicalNot: (x) => (x ? 0 : 1),
  isnan: (x) => (Number.isNaN(x) ? 1 : 0),
  isinf: (x) => (x === Infinity || x === -Infinity ? 1 : 0),
  bitwiseNot: (x) => ~x,
};

function intDivCheck(b: number): void {
  if (b === 0) throw new RangeError(INTEGER_DIVISION_BY_ZERO);
}

export const binaryFns: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  // C's pow, not JS's: pow(1, NaN) = pow(x, 0) = 1 and pow(-1, +-inf) = 1 (Math.pow gives NaN).
  pow: (a, b) => (a === 1 || b === 0 || (a === -1 && (b === Infinity || b === -Infinity)) ? 1 : Math.pow(a, b)),
  maximum: (a, b) => (a !== a || b !== b ? NaN : a > b ? a : b),
  minimum: (a, b) => (a !== a || b !== b ? NaN : a < b ? a : b),
  atan2: Math.atan2,
  fmod: (a, b) => a % b,
  remainder: (a, b) => { const r = a % b; return r !== 0 && (r < 0) !== (b < 0) ? r + b : r; },
  floorDivide: (a, b) => Math.floor(a / b),
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  logicalAnd: (a, b) => (a && b ? 1 : 0),
  logicalOr: (a, b) => (a || b ? 1 : 0),
  logicalXor: (a, b) => (!a !== !b ? 1 : 0),
  bitwiseAnd: (a, b) => a & b,
  bitwiseOr: (a, b) => a | b,
  bitwiseXor: (a, b) => a ^ b,
};

/** Integer variants where JS double arithmetic would differ from C integer arithmetic. */
export const intBinaryFns: Partial<Record<BinaryOp, (a: number, b: number) => number>> = {
  mul: (a, b) => Math.imul(a, b),
  div: (a, b) => { intDivCheck(b); return Math.trunc(a / b); },
  floorDivide: (a, b) => { intDivCheck(b); return Math.floor(a / b); },
  fmod: (a, b) => { intDivCheck(b); return a % b; },
  remainder: (a, b) => { intDivCheck(b); const r = a % b; return r !== 0 && (r < 0) !== (b < 0) ? r + b : r; },
  pow: (a, b) => {
    if (b < 0) throw new RangeError(NEGATIVE_INTEGER_POWER);
    let r = 1, base = a, e = b;
    while (e > 0) { if (e & 1) r = Math.imul(r, base); base = Math.imul(base, base); e >>>= 1; }
    return r;
  },
};
