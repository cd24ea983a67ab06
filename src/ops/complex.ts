// Complex tensors (complex64, complex128): a complex tensor is a Tensor of a complex dtype whose
// storage holds interleaved (re, im) float pairs — PyTorch's viewAsReal layout; shape and strides
// count complex elements. Kernels never see it: every complex op here is a composite of real ops
// on the pair view (viewAsReal / viewAsComplex, the only two complex primitives), so every device
// runs it with its own kernels and autograd follows from the real ops' rules.

import { isComplex, isFloating, toComplexDType, toRealDType, type ComplexDType, type DType } from '../dtype.js';
import type { Device, UnaryOp, BinaryOp } from '../backends/backend.js';
import { broadcastShapes, fmtShape, normDim } from '../shape.js';
import { Tensor } from '../tensor.js';
import { castTo, where } from './elementwise.js';
import { checkDevices, record, scalarTensor } from './prim.js';
import { cat, stack } from './shape.js';
import type { TensorOrScalar } from './types.js';

/** A float view of a complex tensor with a trailing dim of size 2 holding (re, im) (torch.view_as_real); shares storage. */
export function viewAsReal(z: Tensor): Tensor {
  if (!(z instanceof Tensor) || !isComplex(z.dtype)) throw new TypeError(`viewAsReal: view_as_real is only supported for complex tensors (got ${z instanceof Tensor ? z.dtype : typeof z})`);
  const out = new Tensor(z.storage, [...z.shape, 2], [...z.strides_.map((s) => 2 * s), 1], 2 * z.offset, toRealDType(z.dtype));
  out.base = z.base ?? z;
  return record('viewAsReal', [z], out, {});
}

/** A complex view of a float tensor whose last dim is (re, im) of size 2 and stride 1 (torch.view_as_complex); shares storage. */
export function viewAsComplex(x: Tensor): Tensor {
  if (!(x instanceof Tensor) || (x.dtype !== 'float32' && x.dtype !== 'float64')) {
    throw new TypeError(`viewAsComplex: view_as_complex is only supported for float and double tensors, but got a tensor of scalar type: ${x instanceof Tensor ? x.dtype : typeof x}`);
  }
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== 2) throw new RangeError(`viewAsComplex: Tensor must have a last dimension of size 2 (got shape ${fmtShape(x.shape)})`);
  if (x.strides_[x.ndim - 1] !== 1) throw new RangeError('viewAsComplex: Tensor must have a last dimension with stride 1');
  if (x.strides_.slice(0, -1).some((s) => s % 2 !== 0)) throw new RangeError('viewAsComplex: Tensor must have a stride divisible by 2 for all but last dimension');
  if (x.offset % 2 !== 0) throw new RangeError('viewAsComplex: Tensor must have a storage_offset divisible by 2');
  const out = new Tensor(x.storage, x.shape.slice(0, -1), x.strides_.slice(0, -1).map((s) => s / 2), x.offset / 2, toComplexDType(x.dtype));
  out.base = x.base ?? x;
  return record('viewAsComplex', [x], out, {});
}

/** The real part of z (torch.real): a view for complex z, z itself for real z. */
export function real(z: Tensor): Tensor { return isComplex(z.dtype) ? viewAsReal(z).select(-1, 0) : z; }
/** The imaginary part of z (torch.imag): a view; real tensors have none (PyTorch's error). */
export function imag(z: Tensor): Tensor {
  if (!isComplex(z.dtype)) throw new TypeError(`imag: imag is not implemented for tensors with non-complex dtypes (got ${z.dtype})`);
  return viewAsReal(z).select(-1, 1);
}

/** A complex tensor from equally-typed float parts, broadcast together (torch.complex). */
export function complex(re: Tensor, im: Tensor): Tensor {
  for (const [t, w] of [[re, 'real'], [im, 'imag']] as const) {
    if (!(t instanceof Tensor)) throw new TypeError(`complex(): argument '${w}' must be Tensor, not ${typeof t}`);
    if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new TypeError(`complex: Expected both inputs to be Float or Double tensors but got ${re.dtype} and ${im.dtype}`);
  }
  if (re.dtype !== im.dtype) throw new TypeError(`complex: Expected object of scalar type ${re.dtype} but got scalar type ${im.dtype} for second argument`);
  checkDevices('complex', re, im);
  return pack(re, im);
}

/** abs * (cos(angle) + i sin(angle)) for equally-typed float tensors (torch.polar). */
export function polar(abs: Tensor, angle: Tensor): Tensor {
  if (abs.dtype !== angle.dtype) throw new TypeError(`polar: Expected object of scalar type ${abs.dtype} but got scalar type ${angle.dtype} for second argument`);
  return complex(abs.mul(angle.cos()), abs.mul(angle.sin()));
}

/** The complex conjugate (torch.conj; a copy here, not PyTorch's lazy conjugate bit); real tensors are returned as is. */
export function conj(z: Tensor): Tensor { return isComplex(z.dtype) ? pack(real(z), imag(z).neg()) : z; }

/** The argument of each element, atan2(im, re) (torch.angle); for real tensors 0 or pi. */
export function angle(z: Tensor): Tensor {
  if (isComplex(z.dtype)) return imag(z).atan2(real(z));
  const x = isFloating(z.dtype) ? z : castTo(z, 'float32');
  return where(x.lt(0), Math.PI, where(x.isnan(), x, 0));
}

/** True for complex tensors (torch.is_complex). */
export function isComplexTensor(z: Tensor): boolean { return isComplex(z.dtype); }

// ---------------------------------------------------------------- helpers for composites

/** A complex tensor from real parts of one float dtype and broadcastable shapes. */
function pack(re: Tensor, im: Tensor): Tensor {
  const shape = broadcastShapes('complex', re.shape, im.shape);
  return viewAsComplex(stack([re.expand(shape), im.expand(shape)], -1));
}

/** The (re, im) parts of an operand as `dtype`'s real type (numbers and real tensors have im = 0). */
function parts(x: TensorOrScalar, dtype: ComplexDType, device: Device): [Tensor | number, Tensor | number] {
  const rd = toRealDType(dtype);
  if (!(x instanceof Tensor)) return [Number(x), 0];
  if (isComplex(x.dtype)) return [castTo(real(x), rd), castTo(imag(x), rd)];
  return [castTo(x, rd), 0];
}

/** The complex dtype of an op over operands, by PyTorch's promotion (complex wins; float64 parts make complex128). */
export function complexResult(...xs: TensorOrScalar[]): ComplexDType {
  let c128 = false;
  for (const x of xs) if (x instanceof Tensor && (x.dtype === 'complex128' || (x.dtype === 'float64' && x.ndim > 0))) c128 = true;
  return c128 ? 'complex128' : 'complex64';
}

const num = (x: Tensor | number): x is number => typeof x === 'number';
const mul = (a: Tensor | number, b: Tensor | number): Tensor | number => (num(a) && num(b) ? a * b : num(a) ? (b as Tensor).mul(a) : a.mul(b));
const add = (a: Tensor | number, b: Tensor | number): Tensor | number => (num(a) && num(b) ? a + b : num(a) ? (b as Tensor).add(a) : a.add(b));
const sub = (a: Tensor | number, b: Tensor | number): Tensor | number => (num(a) && num(b) ? a - b : num(a) ? (b as Tensor).neg().add(a) : a.sub(b));
const div = (a: Tensor | number, b: Tensor | number): Tensor | number => (num(a) && num(b) ? a / b : num(a) ? (b as Tensor).reciprocal().mul(a) : a.div(b));

/** Packs computed parts (one may be a number) into a complex tensor of `dtype`. */
function packParts(re: Tensor | number, im: Tensor | number, dtype: ComplexDType, device: Device): Tensor {
  const rd = toRealDType(dtype);
  const R = num(re) ? scalarTensor(re, rd, device) : re, I = num(im) ? scalarTensor(im, rd, device) : im;
  return pack(R, I);
}

/** Complex elementwise binary ops: add, sub, mul, div, and pow with a real number exponent. */
export function complexBinary(op: BinaryOp, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  const device = checkDevices(op, a instanceof Tensor ? a : null, b instanceof Tensor ? b : null);
  const dtype = complexResult(a, b);
  if (op === 'pow') {
    if (!(a instanceof Tensor) || typeof b !== 'number') throw new TypeError(`pow: for complex tensors only a complex base with a real number exponent is supported (got ${a instanceof Tensor ? a.dtype : typeof a} ** ${b instanceof Tensor ? b.dtype : typeof b})`);
    if (b === 0) return packParts(real(a).mul(0).add(1), 0, dtype, device);
    if (Number.isInteger(b) && b > 0 && b <= 4) { let r = a; for (let i = 1; i < b; i++) r = complexBinary('mul', r, a); return r; }
    const r = complexUnary('abs', a).pow(b), th = angle(a).mul(b);
    return packParts(r.mul(th.cos()), r.mul(th.sin()), dtype, device);
  }
  const [ar, ai] = parts(a, dtype, device), [br, bi] = parts(b, dtype, device);
  switch (op) {
    case 'add': return packParts(add(ar, br), add(ai, bi), dtype, device);
    case 'sub': return packParts(sub(ar, br), sub(ai, bi), dtype, device);
    case 'mul': return packParts(sub(mul(ar, br), mul(ai, bi)), add(mul(ar, bi), mul(ai, br)), dtype, device);
    case 'div': {
      const den = add(mul(br, br), mul(bi, bi));
      return packParts(div(add(mul(ar, br), mul(ai, bi)), den), div(sub(mul(ai, br), mul(ar, bi)), den), dtype, device);
    }
    default: throw new TypeError(`${op}: not implemented for '${dtype}'`);
  }
}

/** Complex elementwise unary ops: neg, abs (real result), exp, log, sqrt, reciprocal. */
export function complexUnary(op: UnaryOp, z: Tensor): Tensor {
  const re = real(z), im = imag(z);
  switch (op) {
    case 'neg': return pack(re.neg(), im.neg());
    case 'abs': {
      // sqrt at 0 has an infinite slope: mask it so |0| has gradient 0, as PyTorch's sgn(0) = 0.
      const s = re.mul(re).add(im.mul(im)), zero = s.eq(0);
      return where(zero, 0, where(zero, 1, s).sqrt());
    }
    case 'exp': { const e = re.exp(); return pack(e.mul(im.cos()), e.mul(im.sin())); }
    case 'log': return pack(complexUnary('abs', z).log(), angle(z));
    case 'sqrt': return complexBinary('pow', z, 0.5);
    case 'reciprocal': return complexBinary('div', 1, z);
    default: throw new TypeError(`${op}: not implemented for '${z.dtype}'`);
  }
}

/** Sum of a complex tensor over dims (all by default). */
export function complexSum(z: Tensor, dims: number[] | undefined, keepdim: boolean): Tensor {
  const ds = dims === undefined || dims.length === 0 ? z.shape.map((_, i) => i) : dims;
  return viewAsComplex(viewAsReal(z).sum(ds.map((d) => normDim(d, Math.max(z.ndim, 1), 'sum')), keepdim).contiguous());
}

/** Matrix product of operands of which at least one is complex (torch.matmul). */
export function complexMatmul(a: Tensor, b: Tensor): Tensor {
  const dtype = complexResult(a, b), rd = toRealDType(dtype);
  const [ar, ai] = parts(a, dtype, a.device), [br, bi] = parts(b, dtype, b.device);
  const mm = (x: Tensor | number, y: Tensor | number): Tensor | null => (num(x) || num(y) ? null : x.matmul(y));
  const rr = mm(ar, br)!, ii = mm(ai, bi), ri = mm(ar, bi), ir = mm(ai, br);
  const re = ii ? rr.sub(ii) : rr;
  const im = ri && ir ? ri.add(ir) : ri ?? ir ?? rr.mul(0);
  return pack(castTo(re, rd), castTo(im, rd));
}

/** cat of tensors of which at least one is complex: the pair views concatenated (dims below the pair dim are the same). */
export function complexCat(tensors: readonly Tensor[], dim: number): Tensor {
  const dtype = complexResult(...tensors), ref = tensors[0]!;
  const d = normDim(dim, Math.max(ref.ndim, 1), 'cat');
  return viewAsComplex(cat(tensors.map((t) => viewAsReal(complexTo(t, t.device, dtype))), d));
}

/** where(cond, a, b) with a complex operand: the real and imaginary parts selected separately. */
export function complexWhere(cond: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  const device = checkDevices('where', cond, a instanceof Tensor ? a : null, b instanceof Tensor ? b : null);
  const dtype = complexResult(a, b);
  const [ar, ai] = parts(a, dtype, device), [br, bi] = parts(b, dtype, device);
  const sel = (x: Tensor | number, y: Tensor | number): Tensor => {
    const r = where(cond, x, y);
    return r.dtype === toRealDType(dtype) ? r : castTo(r, toRealDType(dtype));
  };
  return pack(sel(ar, br), sel(ai, bi));
}

/** flip of a complex tensor: the pair view flipped along the same dims. */
export function complexFlip(z: Tensor, dims: readonly number[]): Tensor {
  return viewAsComplex(viewAsReal(z).flip([...dims]));
}

/** Casts/moves a complex tensor (to()): complex -> complex casts the parts; complex -> real keeps the real part, as PyTorch. */
export function complexTo(z: Tensor, device: Device, dtype: DType): Tensor {
  if (isComplex(dtype) || isComplex(z.dtype)) {
    if (dtype === 'complex128' && device === 'webgpu') throw new TypeError(`to: complex128 is not supported on webgpu (WebGPU has no float64); use complex64`);
  }
  if (!isComplex(z.dtype)) {
    const rd = toRealDType(dtype);
    const x = castTo(z, rd).to(device);
    return pack(x, x.mul(0));
  }
  if (!isComplex(dtype)) return castTo(real(z).to(device), dtype);
  return viewAsComplex(castTo(viewAsReal(z), toRealDType(dtype)).to(device).contiguous());
}
