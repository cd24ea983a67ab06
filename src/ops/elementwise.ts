// Elementwise ops: dtype casts and device moves, every unary and binary primitive with PyTorch's
// type promotion and broadcasting, where/clamp/lerp and friends. Forward kernels are the backend's
// `unary`/`binary`/`where`/`copy`; backward rules live in src/autograd/derivatives.ts.

import { BOOL_BINARY_OPS, type BinaryOp, type Device, type UnaryOp } from '../backends/backend.js';
import { getBackend, parseDevice } from '../backends/registry.js';
import { checkDType, isComplex, isFloating, type DType } from '../dtype.js';
import { broadcastShapes, fmtShape, shapesEqual } from '../shape.js';
import { state } from '../state.js';
import { Tensor } from '../tensor.js';
import { asTensor, backendOf, broadcastView, checkDevices, empty, promote, record, type PrimAttrs } from './prim.js';
import type { TensorOrScalar } from './types.js';
// Cycle with indexing.ts is safe: nonzero is only called at run time, never at module load.
import { nonzero } from './indexing.js';
import { complexBinary, complexTo, complexUnary, complexWhere, viewAsComplex, viewAsReal } from './complex.js';

// ---------------------------------------------------------------- casts and moves

/** Differentiable dtype conversion (a copy; returns x itself when the dtype already matches). */
export function castTo(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  checkDType(dtype); // a dtype option of `to`/`sum`... typed in JS ('int64', torch.int16) gets a clear error, not a crash
  if (dtype === 'bool' && isFloating(x.dtype)) return truthy(x); // NaN is true (the backends' casts make it false)
  const out = empty(x.shape, dtype, x.device);
  backendOf(x).copy(x.view_(), out.view_());
  return record('cast', [x], out, { dtype });
}

function moveTo(x: Tensor, device: Device): Tensor {
  if (x.device === device) return x;
  const src = getBackend(x.device);
  if (!src.synchronous || !src.readSync) {
    throw new Error(`to: copying a tensor from '${x.device}' to '${device}' needs a device read; use 'await t.toAsync("${device}")'`);
  }
  const out = empty(x.shape, x.dtype, device);
  if (out.numel() > 0) getBackend(device).write(out.storage.buf, src.readSync(x.view_()));
  return record('toDevice', [x], out, { device, from: x.device });
}

/** Async device move: works from every device (GPU reads are awaited). */
export async function toAsync(x: Tensor, device: Device | string, opts: { dtype?: DType } = {}): Promise<Tensor> {
  const dev = parseDevice(device, 'toAsync');
  const src = getBackend(x.device);
  let t = x;
  if (x.device !== dev) {
    if (src.synchronous) t = moveTo(x, dev);
    else {
      const out = empty(x.shape, x.dtype, dev);
      if (out.numel() > 0) getBackend(dev).write(out.storage.buf, await src.read(x.view_()));
      t = record('toDevice', [x], out, { device: dev, from: x.device });
    }
  }
  return opts.dtype ? castTo(t, opts.dtype) : t;
}

const DEVICE_NAMES = new Set(['cpu', 'webgpu', 'cuda']); // device types: 'cuda:1' counts by its prefix

/** Options for to(): target dtype, device, and copy (force a fresh tensor even when nothing changes). */
export interface ToOpts {
  /** The dtype to convert to (default: keep). */
  dtype?: DType;
  /** The device to move to (default: keep). */
  device?: Device | string;
  /** Always return a new tensor, even when dtype and device already match. */
  copy?: boolean;
  /** PyTorch's non_blocking: accepted for parity. torchlet's uploads and device copies are queued without blocking anyway; a read is always an await. */
  nonBlocking?: boolean;
}
/** t.to(device | dtype | other, { dtype, copy }), or t.to({ dtype, device, copy }) (PyTorch's keyword form). */
export function to(x: Tensor, target: Device | DType | Tensor | string | ToOpts, opts: ToOpts = {}): Tensor {
  if (typeof target === 'object' && !(target instanceof Tensor) && (isComplex(x.dtype) || (target.dtype !== undefined && isComplex(target.dtype)))) {
    const r = complexTo(x, target.device !== undefined ? parseDevice(target.device, 'to') : x.device, target.dtype ?? x.dtype);
    return target.copy && r === x ? clone(x) : r;
  }
  if (typeof target === 'object' && !(target instanceof Tensor)) {
    const r = castTo(target.device !== undefined ? moveTo(x, parseDevice(target.device, 'to')) : x, target.dtype ?? x.dtype);
    return target.copy && r === x ? clone(x) : r;
  }
  let device: Device = opts.device !== undefined ? parseDevice(opts.device, 'to') : x.device, dtype: DType = opts.dtype ?? x.dtype;
  if (target instanceof Tensor) { device = target.device; dtype = target.dtype; }
  else if (DEVICE_NAMES.has(String(target).split(':')[0]!)) device = parseDevice(target, 'to');
  else dtype = checkDType(target);
  if (isComplex(x.dtype) || isComplex(dtype)) return device === x.device && dtype === x.dtype && !opts.copy ? x : complexTo(x, device, dtype);
  const r = castTo(moveTo(x, device), dtype);
  return opts.copy && r === x ? clone(x) : r;
}

/** A contiguous copy that shares nothing with x (differentiable). */
export function clone(x: Tensor): Tensor {
  if (isComplex(x.dtype)) return viewAsComplex(clone(viewAsReal(x))); // the copy of the pairs is contiguous
  const out = empty(x.shape, x.dtype, x.device);
  backendOf(x).copy(x.view_(), out.view_());
  return record('clone', [x], out, {});
}

// ---------------------------------------------------------------- unary

const FLOAT_ONLY = new Set<UnaryOp>(['exp', 'expm1', 'log', 'log1p', 'log2', 'sqrt', 'rsqrt', 'sin', 'cos', 'tan', 'asin', 'acos',
  'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh', 'sigmoid', 'erf', 'erfc', 'erfinv', 'reciprocal']);
const BOOL_OUT = new Set<UnaryOp>(['logicalNot', 'isnan', 'isinf']);

/** Applies a backend unary primitive; float-only ops promote integer inputs to the default dtype. */
export function unaryOp(op: UnaryOp, x: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}(): argument 'input' must be Tensor, not ${typeof x}`);
  if (isComplex(x.dtype)) return complexUnary(op, x);
  let inp = x;
  if (FLOAT_ONLY.has(op) && !isFloating(x.dtype)) inp = castTo(x, state.defaultDtype);
  if (op === 'bitwiseNot' && isFloating(x.dtype)) throw new TypeError(`bitwiseNot: not implemented for '${x.dtype}'`);
  if (op === 'neg' && x.dtype === 'bool') throw new TypeError('neg: Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logicalNot()` operator instead.');
  const out = empty(inp.shape, BOOL_OUT.has(op) ? 'bool' : inp.dtype, inp.device);
  backendOf(inp).unary(op, inp.view_(), out.view_());
  return record(op, [inp], out, {});
}

/** Elementwise -x (torch.neg). */
export const neg = (x: Tensor) => unaryOp('neg', x);
/** Elementwise |x| (torch.abs). */
export const abs = (x: Tensor) => unaryOp('abs', x);
/** Elementwise sign of x: -1, 0 or 1 (torch.sign). */
export const sign = (x: Tensor) => unaryOp('sign', x);
/** Elementwise e^x (torch.exp). */
export const exp = (x: Tensor) => unaryOp('exp', x);
/** Elementwise e^x - 1, accurate near 0 (torch.expm1). */
export const expm1 = (x: Tensor) => unaryOp('expm1', x);
/** Elementwise natural logarithm (torch.log). */
export const log = (x: Tensor) => unaryOp('log', x);
/** Elementwise ln(1 + x), accurate near 0 (torch.log1p). */
export const log1p = (x: Tensor) => unaryOp('log1p', x);
/** Elementwise base-2 logarithm (torch.log2). */
export const log2 = (x: Tensor) => unaryOp('log2', x);
/** Elementwise square root (torch.sqrt). */
export const sqrt = (x: Tensor) => unaryOp('sqrt', x);
/** Elementwise 1 / sqrt(x) (torch.rsqrt). */
export const rsqrt = (x: Tensor) => unaryOp('rsqrt', x);
/** Elementwise sine (torch.sin). */
export const sin = (x: Tensor) => unaryOp('sin', x);
/** Elementwise cosine (torch.cos). */
export const cos = (x: Tensor) => unaryOp('cos', x);
/** Elementwise tangent (torch.tan). */
export const tan = (x: Tensor) => unaryOp('tan', x);
/** Elementwise arcsine (torch.asin). */
export const asin = (x: Tensor) => unaryOp('asin', x);
/** Elementwise arccosine (torch.acos). */
export const acos = (x: Tensor) => unaryOp('acos', x);
/** Elementwise arctangent (torch.atan). */
export const atan = (x: Tensor) => unaryOp('atan', x);
/** Elementwise hyperbolic sine (torch.sinh). */
export const sinh = (x: Tensor) => unaryOp('sinh', x);
/** Elementwise hyperbolic cosine (torch.cosh). */
export const cosh = (x: Tensor) => unaryOp('cosh', x);
/** Elementwise hyperbolic tangent (torch.tanh). */
export const tanh = (x: Tensor) => unaryOp('tanh', x);
/** Elementwise inverse hyperbolic sine (torch.asinh). */
export const asinh = (x: Tensor) => unaryOp('asinh', x);
/** Elementwise inverse hyperbolic cosine (torch.acosh). */
export const acosh = (x: Tensor) => unaryOp('acosh', x);
/** Elementwise inverse hyperbolic tangent (torch.atanh). */
export const atanh = (x: Tensor) => unaryOp('atanh', x);
/** Elementwise logistic sigmoid 1 / (1 + e^-x) (torch.sigmoid). */
export const sigmoid = (x: Tensor) => unaryOp('sigmoid', x);
/** Elementwise Gauss error function (torch.erf). */
export const erf = (x: Tensor) => unaryOp('erf', x);
/** Elementwise inverse error function (torch.erfinv). */
export const erfinv = (x: Tensor) => unaryOp('erfinv', x);
/** Elementwise floor: largest integer <= x (torch.floor). */
export const floor = (x: Tensor) => unaryOp('floor', x);
/** Elementwise ceiling: smallest integer >= x (torch.ceil). */
export const ceil = (x: Tensor) => unaryOp('ceil', x);
/** round(x, { decimals }): half to even; with decimals, x * 10^d is rounded and scaled back (PyTorch's formula). */
export function round(x: Tensor, opts: { decimals?: number } = {}): Tensor {
  const d = opts.decimals ?? 0;
  if (d === 0) return unaryOp('round', x);
  if (!Number.isInteger(d)) throw new TypeError(`round: decimals must be an integer, got ${d}`);
  if (!isFloating(x.dtype)) return x; // integers are already rounded for any decimals >= 0 (PyTorch keeps them too)
  const scale = 10 ** Math.abs(d);
  return d > 0 ? unaryOp('round', x.mul(scale)).div(scale) : unaryOp('round', x.div(scale)).mul(scale);
}
/** Elementwise rounding toward zero (torch.trunc). */
export const trunc = (x: Tensor) => unaryOp('trunc', x);
/** Elementwise 1 / x (torch.reciprocal). */
export const reciprocal = (x: Tensor) => unaryOp('reciprocal', x);
/** Elementwise max(x, 0) (torch.relu). */
export const relu = (x: Tensor) => unaryOp('relu', x);
/** Elementwise logical NOT; returns a bool tensor (torch.logical_not). NaN is true, so its NOT is false. */
export const logicalNot = (x: Tensor) => unaryOp('logicalNot', x instanceof Tensor && isFloating(x.dtype) ? truthy(x) : x);
/** Elementwise NaN test; returns a bool tensor (torch.isnan). */
export const isnan = (x: Tensor) => unaryOp('isnan', x);
/** Elementwise +/-infinity test; returns a bool tensor (torch.isinf). */
export const isinf = (x: Tensor) => unaryOp('isinf', x);
/** Elementwise bitwise NOT of integer/bool tensors (torch.bitwise_not); of bool it is logical NOT, as PyTorch's `~`. */
export const bitwiseNot = (x: Tensor) => unaryOp(x instanceof Tensor && x.dtype === 'bool' ? 'logicalNot' : 'bitwiseNot', x);

/**
 * x as a bool tensor by PyTorch's truth rule: nonzero, NaN included. Built from comparisons rather
 * than a cast: the backends' float -> bool casts and logical kernels read NaN as false, and WebGPU's
 * `x != 0` is an ordered compare (false for NaN), so NaN is tested on its own (isnan reads the bits).
 */
function truthy(x: Tensor): Tensor {
  if (x.dtype === 'bool') return x;
  if (!isFloating(x.dtype)) return ne(x, 0);
  return logicalOr(ne(x, 0), isnan(x));
}
/** An operand of logicalAnd/Or/Xor with floats made bool by truthy (NaN is true); a JS number by `!== 0`. */
function logicalOperand(v: TensorOrScalar): TensorOrScalar {
  if (v instanceof Tensor) return isFloating(v.dtype) ? truthy(v) : v;
  return typeof v === 'number' ? v !== 0 : v;
}
/** A logical binary op with PyTorch's truth rule for float operands. */
function logicalBinary(op: 'logicalAnd' | 'logicalOr' | 'logicalXor', a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if ((a instanceof Tensor && isComplex(a.dtype)) || (b instanceof Tensor && isComplex(b.dtype))) return binaryOp(op, a, b);
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) return binaryOp(op, a, b); // binaryOp's error
  return binaryOp(op, logicalOperand(a), logicalOperand(b));
}
/** Elementwise test for finite values (not NaN, not infinite); returns a bool tensor (torch.isfinite). */
export const isfinite = (x: Tensor) => isnan(x).logicalOr(isinf(x)).logicalNot();
/** Elementwise x * x (torch.square). */
export const square = (x: Tensor) => mul(x, x);
/** Elementwise fractional part x - trunc(x) (torch.frac). */
export const frac = (x: Tensor) => sub(x, trunc(x));
/** Elementwise 2^x (torch.exp2); integer and bool inputs compute in the default float dtype, as PyTorch. */
export const exp2 = (x: Tensor) => pow(2, x instanceof Tensor && !isFloating(x.dtype) && !isComplex(x.dtype) ? castTo(x, state.defaultDtype) : x);
/** Elementwise base-10 logarithm (torch.log10). */
export const log10 = (x: Tensor) => mul(log(x), 1 / Math.LN10);

/** Replaces NaN, +inf and -inf with finite values (torch.nan_to_num); options { nan, posinf, neginf }, defaulting to 0 and the dtype's max/min. */
export function nanToNum(x: Tensor, opts: { nan?: number; posinf?: number; neginf?: number } = {}): Tensor {
  if (!isFloating(x.dtype)) return x.clone();
  const big = x.dtype === 'float64' ? Number.MAX_VALUE : x.dtype === 'float16' ? 65504 : 3.4028234663852886e38;
  let r = where(isnan(x), opts.nan ?? 0, x);
  r = where(r.eq(Infinity), opts.posinf ?? big, r);
  return where(r.eq(-Infinity), opts.neginf ?? -big, r);
}

// ---------------------------------------------------------------- binary

/** Ops whose integer inputs compute in the default float dtype. */
const TO_FLOAT = new Set<BinaryOp>(['div', 'atan2']);

/** Applies a backend binary primitive with type promotion and broadcasting. */
export function binaryOp(op: BinaryOp, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) throw new TypeError(`${op}(): at least one argument must be a Tensor`);
  if ((a instanceof Tensor && isComplex(a.dtype)) || (b instanceof Tensor && isComplex(b.dtype))) return complexBinary(op, a, b);
  const device = checkDevices(op, a instanceof Tensor ? a : null, b instanceof Tensor ? b : null);
  let dtype = promote(a, b);
  if (TO_FLOAT.has(op) && !isFloating(dtype)) dtype = state.defaultDtype;
  if (op.startsWith('bitwise') && isFloating(dtype)) throw new TypeError(`${op}: not implemented for '${dtype}'`);
  const A = asTensor(a, dtype, device), B = asTensor(b, dtype, device);
  // Same shapes (most ops): A's frozen shape serves as is, and the new tensor shares it.
  const shape = shapesEqual(A.shape, B.shape) ? A.shape : broadcastShapes(op, A.shape, B.shape);
  const out = empty(shape, BOOL_BINARY_OPS.has(op) ? 'bool' : dtype, device);
  getBackend(device).binary(op, broadcastView(A, shape), broadcastView(B, shape), out.view_());
  return record(op, [A, B], out, {});
}

/** Elementwise a + alpha * b with broadcasting (torch.add); options { alpha }. */
export function add(a: TensorOrScalar, b: TensorOrScalar, opts: { alpha?: number } = {}): Tensor {
  return binaryOp('add', a, opts.alpha === undefined || opts.alpha === 1 ? b : mul(b, opts.alpha));
}
/** Elementwise a - alpha * b with broadcasting (torch.sub); options { alpha }. */
export function sub(a: TensorOrScalar, b: TensorOrScalar, opts: { alpha?: number } = {}): Tensor {
  if ((a instanceof Tensor && a.dtype === 'bool') || (b instanceof Tensor && b.dtype === 'bool')) {
    throw new TypeError('sub: Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logicalNot()` operator instead.');
  }
  return binaryOp('sub', a, opts.alpha === undefined || opts.alpha === 1 ? b : mul(b, opts.alpha));
}
/** other - alpha*input. */
export const rsub = (a: Tensor, b: TensorOrScalar, opts: { alpha?: number } = {}) => sub(b, a, opts);
/** Elementwise a * b with broadcasting (torch.mul). */
export const mul = (a: TensorOrScalar, b: TensorOrScalar) => binaryOp('mul', a, b);
/** Elementwise a / b (torch.div); options { roundingMode: 'trunc' | 'floor' | null }, true division by default. */
export function div(a: TensorOrScalar, b: TensorOrScalar, opts: { roundingMode?: 'trunc' | 'floor' | null } = {}): Tensor {
  const mode = opts.roundingMode ?? null;
  if (mode === null) return binaryOp('div', a, b);
  const dtype = promote(a, b);
  if (!isFloating(dtype)) {
    const A = asTensorLike(a, dtype, b), B = asTensorLike(b, dtype, a);
    if (mode === 'floor') return binaryOp('floorDivide', A, B);
    // trunc on integers stays integer: a - fmod(a, b) is an exact multiple of b, so its floor quotient is exact.
    return binaryOp('floorDivide', binaryOp('sub', A, binaryOp('fmod', A, B)), B);
  }
  const q = binaryOp('div', a, b);
  return mode === 'trunc' ? trunc(q) : floor(q);
}
/** Integer `div` in the backend truncates; keep integer operands as tensors so it is used. */
function asTensorLike(x: TensorOrScalar, dtype: DType, other: TensorOrScalar): Tensor {
  const dev = x instanceof Tensor ? x.device : (other as Tensor).device;
  return asTensor(x, dtype, dev);
}
/** Elementwise floor(a / b) (torch.floor_divide). */
export const floorDivide = (a: TensorOrScalar, b: TensorOrScalar) => binaryOp('floorDivide', a, b);
/** Elementwise a^b with broadcasting (torch.pow). */
export function pow(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if (a instanceof Tensor && isComplex(a.dtype)) return complexBinary('pow', a, b);
  if (a instanceof Tensor && typeof b === 'number') {
    if (b === 1) return binaryOp('mul', a, 1);
    if (!Number.isInteger(b) && !isFloating(a.dtype)) return binaryOp('pow', castTo(a, state.defaultDtype), b);
  }
  if (b instanceof Tensor && promote(a, b) === 'int32') return intPowTensor(a, b);
  return binaryOp('pow', a, b);
}
/**
 * Integer pow with a tensor of exponents. PyTorch gives base^e = 0 for e < 0 unless the base is 1 or
 * -1 (then 1 or +-1 by e's parity), where the backends' integer pow refuses negative exponents (right
 * only for a JS-number exponent, which PyTorch refuses too). Negative e is replaced by its parity
 * (Python remainder: 0 or 1), so the kernel sees e >= 0 and +-1 bases come out right; others are 0.
 */
function intPowTensor(a: TensorOrScalar, b: Tensor): Tensor {
  const A = a instanceof Tensor ? a : asTensor(a, 'int32', b.device);
  const neg = b.lt(0);
  const p = binaryOp('pow', A, where(neg, remainder(b, 2), b));
  return where(neg, where(abs(A).eq(1), p, 0), p);
}
/** Elementwise maximum of a and b (torch.maximum). */
export const maximum = (a: TensorOrScalar, b: TensorOrScalar) => binaryOp('maximum', a, b);
/** Elementwise minimum of a and b (torch.minimum). */
export const minimum = (a: TensorOrScalar, b: TensorOrScalar) => binaryOp('minimum', a, b);
/**
 * fmax/fmin: PyTorch's NaN-ignoring maximum/minimum. a is kept where it wins (ties included) or b is
 * NaN, else b, so a NaN operand yields the other and two NaNs yield NaN. Written as a where, whose
 * gradient goes to the chosen element only: PyTorch's fmax/fmin backward, ties going to a.
 */
function nanIgnoringExtremum(op: 'fmax' | 'fmin', a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) throw new TypeError(`${op}(): at least one argument must be a Tensor`);
  const device = checkDevices(op, a instanceof Tensor ? a : null, b instanceof Tensor ? b : null);
  const dtype = promote(a, b);
  if (isComplex(dtype)) throw new TypeError(`${op}: not implemented for '${dtype}'`);
  const A = a instanceof Tensor ? a : asTensor(a, dtype, device), B = b instanceof Tensor ? b : asTensor(b, dtype, device);
  const keepA = (op === 'fmax' ? ge(A, B) : le(A, B)).logicalOr(isnan(B));
  return where(keepA, A, B);
}
/** Elementwise maximum ignoring NaN: where one operand is NaN the other is taken (torch.fmax). */
export const fmax = (a: TensorOrScalar, b: TensorOrScalar) => nanIgnoringExtremum('fmax', a, b);
/** Elementwise minimum ignoring NaN: where one operand is NaN the other is taken (torch.fmin). */
export const fmin = (a: TensorOrScalar, b: TensorOrScalar) => nanIgnoringExtremum('fmin', a, b);
/** Elementwise arctangent of a / b using the signs of both to pick the quadrant (torch.atan2). */
export const atan2 = (a: TensorOrScalar, b: TensorOrScalar) => binaryOp('atan2', a, b);
/** Elementwise C-style remainder, with the sign of the dividend (torch.fmod). */
export const fmod = (a: TensorOrScalar, b: TensorOrScalar) => binaryOp('fmod', a, b);
/** Elementwise Python-style remainder, with the sign of the divisor (torch.remainder). */
export const remainder = (a: TensorOrScalar, b: TensorOrScalar) => binaryOp('remainder', a, b);
/** Elementwise a == b; returns a bool tensor (torch.eq). */
export const eq = (a: TensorOrScalar, b: TensorOrScalar) => binaryOp('eq', a, b);
/** Elementwise a != b; returns a bool tensor (torch.ne). */
export const ne = (a: TensorOrScalar, b: TensorOrScalar) => binaryOp('ne', a, b);
/** Elementwise a < b; returns a bool tensor (torch.lt). */
export const lt = (a: TensorOrScalar, b: TensorOrScalar) => binaryOp('lt', a, b);
/** Elementwise a <= b; returns a bool tensor (torch.le). */
export const le = (a: TensorOrScalar, b: TensorOrScalar) => binaryOp('le', a, b);
/** Elementwise a > b; returns a bool tensor (torch.gt). */
export const gt = (a: TensorOrScalar, b: TensorOrScalar) => binaryOp('gt', a, b);
/** Elementwise a >= b; returns a bool tensor (torch.ge). */
export const ge = (a: TensorOrScalar, b: TensorOrScalar) => binaryOp('ge', a, b);
/** Elementwise logical AND; returns a bool tensor (torch.logical_and). */
export const logicalAnd = (a: TensorOrScalar, b: TensorOrScalar) => logicalBinary('logicalAnd', a, b);
/** Elementwise logical OR; returns a bool tensor (torch.logical_or). */
export const logicalOr = (a: TensorOrScalar, b: TensorOrScalar) => logicalBinary('logicalOr', a, b);
/** Elementwise logical XOR; returns a bool tensor (torch.logical_xor). */
export const logicalXor = (a: TensorOrScalar, b: TensorOrScalar) => logicalBinary('logicalXor', a, b);
/** Elementwise bitwise AND of integer/bool tensors (torch.bitwise_and). */
export const bitwiseAnd = (a: TensorOrScalar, b: TensorOrScalar) => binaryOp('bitwiseAnd', a, b);
/** Elementwise bitwise OR of integer/bool tensors (torch.bitwise_or). */
export const bitwiseOr = (a: TensorOrScalar, b: TensorOrScalar) => binaryOp('bitwiseOr', a, b);
/** Elementwise bitwise XOR of integer/bool tensors (torch.bitwise_xor). */
export const bitwiseXor = (a: TensorOrScalar, b: TensorOrScalar) => binaryOp('bitwiseXor', a, b);

// ---------------------------------------------------------------- ternary and composites

/** where(condition, input, other): condition must be bool; the two values promote and broadcast. */
/** where(cond, a, b) selects elementwise; where(cond) alone is nonzero(cond) as one index tensor per dim (PyTorch's tuple). */
export function where(cond: Tensor): Tensor[];
export function where(cond: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor;
export function where(cond: Tensor, a?: TensorOrScalar, b?: TensorOrScalar): Tensor | Tensor[] {
  if (!(cond instanceof Tensor)) throw new TypeError('where(): argument \'condition\' must be Tensor');
  if (a === undefined && b === undefined) return nonzero(cond).unbind(1);
  if (a === undefined || b === undefined) throw new TypeError('where: expected both self and other (or neither) to be given');
  return select(cond, a, b, {});
}
/** The select itself, recorded with `attrs` (piecewise: see wherePiecewise). */
function select(cond: Tensor, a: TensorOrScalar, b: TensorOrScalar, attrs: PrimAttrs['where']): Tensor {
  if ((a instanceof Tensor && isComplex(a.dtype)) || (b instanceof Tensor && isComplex(b.dtype))) return complexWhere(cond, a, b);
  if (cond.dtype !== 'bool') throw new TypeError(`where: expected condition to be a boolean tensor, but got a tensor with dtype ${cond.dtype}`);
  const device = checkDevices('where', cond, a instanceof Tensor ? a : null, b instanceof Tensor ? b : null);
  const dtype = promote(a, b);
  const A = asTensor(a, dtype, device), B = asTensor(b, dtype, device);
  const shape = broadcastShapes('where', cond.shape, A.shape, B.shape);
  const out = empty(shape, dtype, device);
  getBackend(device).where(broadcastView(cond, shape), broadcastView(A, shape), broadcastView(B, shape), out.view_());
  return record('where', [cond, A, B], out, attrs);
}

/**
 * @internal where(cond, a, b) as a piecewise activation's branch select (nn/functional/activation.ts):
 * its gradients stay connected to the branches under createGraph (zero derivative), as PyTorch's
 * leaky_relu_backward, hardtanh_backward... whose derivative in self is zeros (the where rule).
 */
export function wherePiecewise(cond: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor { return select(cond, a, b, { piecewise: true }); }

/** clamp with PyTorch's gradient: flows to x where min <= x <= max, else to the bound. NaN propagates. */
/** clamp(x, min, max), also clamp(x, { min, max }) (PyTorch's keywords). */
export function clamp(x: Tensor, minOrOpts?: TensorOrScalar | null | ClampOpts, max?: TensorOrScalar | null): Tensor {
  let min: TensorOrScalar | null | undefined;
  if (isClampOpts(minOrOpts)) ({ min, max } = minOrOpts); else min = minOrOpts;
  if ((min === undefined || min === null) && (max === undefined || max === null)) {
    throw new TypeError('clamp: At least one of \'min\' or \'max\' must not be None');
  }
  let r = x;
  if (min !== undefined && min !== null) r = where(r.lt(min), min, r);
  if (max !== undefined && max !== null) r = where(r.gt(max), max, r);
  return r;
}

/** Keyword form of clamp's bounds: { min, max }, either may be null. */
export type ClampOpts = {
  /** Lower bound (none when null or absent). */
  min?: TensorOrScalar | null;
  /** Upper bound (none when null or absent). */
  max?: TensorOrScalar | null;
};
function isClampOpts(v: unknown): v is ClampOpts {
  return typeof v === 'object' && v !== null && !(v instanceof Tensor);
}
/** Clamps x from below: max(x, min) (torch.clamp_min). */
export function clampMin(x: Tensor, min: TensorOrScalar): Tensor { return clamp(x, min, null); }
/** Clamps x from above: min(x, max) (torch.clamp_max). */
export function clampMax(x: Tensor, max: TensorOrScalar): Tensor { return clamp(x, null, max); }

/** Linear interpolation start + weight * (end - start) (torch.lerp). */
export function lerp(start: Tensor, end: TensorOrScalar, weight: TensorOrScalar): Tensor {
  return add(start, mul(weight, sub(end, start)));
}
/** x + value * t1 * t2 (torch.addcmul); options { value }, default 1. */
export function addcmul(x: Tensor, t1: Tensor, t2: Tensor, opts: { value?: number } = {}): Tensor {
  return add(x, mul(mul(t1, t2), opts.value ?? 1));
}
/** x + value * t1 / t2 (torch.addcdiv); options { value }, default 1. */
export function addcdiv(x: Tensor, t1: Tensor, t2: Tensor, opts: { value?: number } = {}): Tensor {
  return add(x, mul(div(t1, t2), opts.value ?? 1));
}
/** Fills value where the bool mask (broadcast to x's shape) is true (torch.masked_fill). */
export function maskedFill(x: Tensor, mask: Tensor, value: TensorOrScalar): Tensor {
  if (mask.dtype !== 'bool') throw new TypeError(`maskedFill: expected mask to be a bool tensor, got ${mask.dtype}`);
  const shape = broadcastShapes('maskedFill', x.shape, mask.shape);
  if (shape.length !== x.ndim || shape.some((s, i) => s !== x.shape[i])) {
    throw new RangeError(`maskedFill: mask of shape ${fmtShape(mask.shape)} cannot be broadcast to input of shape ${fmtShape(x.shape)}`);
  }
  if (value instanceof Tensor && value.ndim !== 0) throw new RangeError(`maskedFill: only supports a 0-dimensional value tensor, but got tensor with ${value.ndim} dimension(s)`);
  return where(mask, value instanceof Tensor ? castTo(value, x.dtype) : asTensor(value, x.dtype, x.device), x);
}

/** Elementwise |a - b| <= atol + rtol * |b| (torch.isclose); options { rtol, atol, equalNan }. */
export function isclose(a: Tensor, b: TensorOrScalar, opts: { rtol?: number; atol?: number; equalNan?: boolean } = {}): Tensor {
  const rtol = opts.rtol ?? 1e-5, atol = opts.atol ?? 1e-8;
  const B = b instanceof Tensor ? b : asTensor(b, a.dtype, a.device);
  // PyTorch's formula: equal (so equal infinities), or a *finite* |a - b| within atol + rtol * |b|;
  // without the finiteness test inf <= inf would make anything close to an infinite b.
  let close = eq(a, B);
  if (opts.equalNan) close = close.logicalOr(isnan(a).logicalAnd(isnan(B)));
  const err = abs(sub(a, B));
  return close.logicalOr(isfinite(err).logicalAnd(err.le(add(abs(B).mul(rtol), atol))));
}
/** Whether every element of a and b is close, as isclose (torch.allclose); options { rtol, atol, equalNan }. */
export function allclose(a: Tensor, b: Tensor, opts: { rtol?: number; atol?: number; equalNan?: boolean } = {}): boolean {
  return isclose(a, b, opts).all().itemSync() as boolean;
}
/** Whether a and b have the same shape and equal elements (torch.equal). */
export function equal(a: Tensor, b: Tensor): boolean {
  if (a.ndim !== b.ndim || a.shape.some((s, i) => s !== b.shape[i])) return false;
  return eq(a, b).all().itemSync() as boolean;
}
