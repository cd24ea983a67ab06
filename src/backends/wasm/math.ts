// Scalar math shared by the CPU backend's reference loops: the per-element functions of every
// unary and binary primitive, with PyTorch's conventions (round half to even, Python-style
// remainder, NaN-propagating max/min, erf/erfinv to float32 accuracy or better).

import type { BinaryOp, UnaryOp } from '../backend.js';

export function erf(x: number): number {
  // erfc via the Numerical Recipes Chebyshev fit (relative error < 1.2e-7), mirrored for x < 0.
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - r : r - 1;
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
  if (b === 0) throw new RangeError('ZeroDivisionError: integer division or modulo by zero');
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
    if (b < 0) throw new RangeError('pow: Integers to negative integer powers are not allowed.');
    let r = 1, base = a, e = b;
    while (e > 0) { if (e & 1) r = Math.imul(r, base); base = Math.imul(base, base); e >>>= 1; }
    return r;
  },
};
