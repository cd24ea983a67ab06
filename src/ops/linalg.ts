// Linear algebra: the batched-matmul primitive and PyTorch's matmul semantics on top of it
// (1-D/2-D/batched/broadcast), mm, bmm, mv, dot, outer, addmm, einsum, and the im2col/col2im and
// max-pooling primitives that convolution and pooling are composed from.

import type { ConvGeometry, View } from '../backends/backend.js';
import { broadcastShapes, contiguousStrides, convOutHW, convOutSize, fmtShape, numel } from '../shape.js';
import { Tensor } from '../tensor.js';
import { backendOf, checkDevices, empty, record, type PrimAttrs } from './prim.js';
import { add, mul } from './elementwise.js';
import { isComplex, type DType } from '../dtype.js';
import type { FusedProgram } from '../backends/fused.js';
import { noGrad } from '../autograd/grad-mode.js';
import { program } from '../autograd/fused-rules.js';
import { complexMatmul } from './complex.js';
import { sum } from './reduce.js';

const dims = (s: readonly number[]) => s.join('x');

/** [B,M,K] x [B,K,N] -> [B,M,N], same dtype and device; any strides. */
export function bmmPrim(a: Tensor, b: Tensor): Tensor {
  const [B, M, K] = a.shape as [number, number, number];
  const N = b.shape[2]!;
  if (b.shape[0] !== B || b.shape[1] !== K) {
    throw new RangeError(`bmm: batch1 and batch2 shapes cannot be multiplied (${dims(a.shape)} and ${dims(b.shape)})`);
  }
  const out = empty([B, M, N], a.dtype, a.device);
  if (K === 0) backendOf(a).fill(out.view_(), 0);
  else if (out.numel() > 0) backendOf(a).matmul(a.view_(), b.view_(), out.view_());
  return record('matmul', [a, b], out, {});
}

/** The program bias + product over (product, bias): the epilogue of addmmPrim's GEMM. */
const addProgram = (d: DType): FusedProgram =>
  program(`addmm>${d}`, () => ({ inputs: [d, d], steps: [{ kind: 'binary', op: 'add', a: 0, b: 1, dtype: d }], outputs: [2] }));

/**
 * bias + a @ b (a [B,M,K], b [B,K,N], bias of one dtype with them, broadcasting to [B,M,N]) as one
 * autograd node, PyTorch's addmm: in one kernel where the backend fuses the add into the GEMM
 * (Backend.matmulEpilogue: the product's block is still in cache; the same bits as matmul, then
 * add), else as those two. A layer's bias then costs no pass over its output.
 */
export function addmmPrim(bias: Tensor, a: Tensor, b: Tensor): Tensor {
  const [B, M, K] = a.shape as [number, number, number];
  const N = b.shape[2]!, shape = [B, M, N];
  const be = backendOf(a);
  let out: Tensor | null = null;
  if (be.matmulEpilogue && K > 0 && M * N * B > 0 && b.shape[0] === B && b.shape[1] === K) {
    out = empty(shape, a.dtype, a.device);
    if (!be.matmulEpilogue(a.view_(), b.view_(), addProgram(a.dtype), [bias.expand(shape).view_()], [out.view_()])) { out.dispose(); out = null; }
  }
  out ??= noGrad(() => add(bmmPrim(a, b), bias));
  return record('addmm', [bias, a, b], out, {});
}

function common(op: string, a: Tensor, b: Tensor): [Tensor, Tensor] {
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) throw new TypeError(`${op}: expected Tensor arguments`);
  checkDevices(op, a, b);
  if (a.dtype !== b.dtype) {
    throw new TypeError(`${op}: expected m1 and m2 to have the same dtype, but got: ${a.dtype} != ${b.dtype}`);
  }
  if (a.dtype === 'bool') throw new TypeError(`${op}: not implemented for 'bool'`);
  return [a, b];
}

/** Matrix product with PyTorch's rules: 1-D operands are promoted and squeezed back, batch dims broadcast (torch.matmul). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a instanceof Tensor && b instanceof Tensor && (isComplex(a.dtype) || isComplex(b.dtype))) return complexMatmul(a, b);
  [a, b] = common('matmul', a, b);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new RangeError(`matmul: both arguments to matmul need to be at least 1D, but they are ${a.ndim}D and ${b.ndim}D`);
  }
  if (a.ndim === 1 && b.ndim === 1) return dot(a, b);
  const a2 = a.ndim === 1 ? a.unsqueeze(0) : a;
  const b2 = b.ndim === 1 ? b.unsqueeze(1) : b;
  const M = a2.shape[a2.ndim - 2]!, K = a2.shape[a2.ndim - 1]!, K2 = b2.shape[b2.ndim - 2]!, N = b2.shape[b2.ndim - 1]!;
  if (K !== K2) {
    // PyTorch's wording, with a's batch dims folded into rows.
    throw new RangeError(`matmul: mat1 and mat2 shapes cannot be multiplied (${numel(a2.shape.slice(0, -1))}x${K} and ${K2}x${N})`);
  }
  // The GEMM's output is reshaped once into the result (a view of it) and then released, so the
  // result alone owns the buffer and `matmul(a, b).dispose()` frees it at once.
  let r: Tensor, lead: number[];
  if (b2.ndim === 2) {
    // Fold every batch dim of a into M: one GEMM (the Linear-layer case).
    lead = a2.shape.slice(0, -2);
    r = bmmPrim(a2.reshape(1, numel(lead) * M, K), b2.unsqueeze(0));
  } else {
    lead = broadcastShapes('matmul', a2.shape.slice(0, -2), b2.shape.slice(0, -2));
    const B = numel(lead);
    r = bmmPrim(a2.expand([...lead, M, K]).reshape(B, M, K), b2.expand([...lead, K, N]).reshape(B, K, N));
  }
  const out = r.reshape([...lead, ...(a.ndim === 1 ? [] : [M]), ...(b.ndim === 1 ? [] : [N])]);
  if (out !== r) r.dispose();
  return out;
}

/** Product of two 2-D matrices, no broadcasting (torch.mm). */
export function mm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 2 || b.ndim !== 2) throw new RangeError(`mm: expected 2-D tensors, got ${a.ndim}D (${fmtShape(a.shape)}) and ${b.ndim}D (${fmtShape(b.shape)})`);
  if (a.shape[1] !== b.shape[0]) throw new RangeError(`mm: mat1 and mat2 shapes cannot be multiplied (${dims(a.shape)} and ${dims(b.shape)})`);
  return matmul(a, b);
}
/** Batched product of two 3-D tensors [B,M,K] x [B,K,N] (torch.bmm). */
export function bmm(a: Tensor, b: Tensor): Tensor {
  [a, b] = common('bmm', a, b);
  if (a.ndim !== 3 || b.ndim !== 3) throw new RangeError(`bmm: batch1 must be a 3D tensor and batch2 must be a 3D tensor (got ${fmtShape(a.shape)} and ${fmtShape(b.shape)})`);
  return bmmPrim(a, b);
}
/** Matrix-vector product [M,K] x [K] -> [M] (torch.mv). */
export function mv(m: Tensor, v: Tensor): Tensor {
  if (m.ndim !== 2 || v.ndim !== 1) throw new RangeError(`mv: vector + matrix @ vector expected, got ${m.ndim}, ${v.ndim}`);
  if (m.shape[1] !== v.shape[0]) throw new RangeError(`mv: size mismatch, got input (${m.shape[0]}), mat (${dims(m.shape)}), vec (${v.shape[0]})`);
  return matmul(m, v);
}
/** Inner product of two 1-D tensors of equal length, as a 0-d tensor (torch.dot). */
export function dot(a: Tensor, b: Tensor): Tensor {
  if (a instanceof Tensor && b instanceof Tensor && (isComplex(a.dtype) || isComplex(b.dtype))) return complexMatmul(a, b); // no conjugation, as torch.dot
  [a, b] = common('dot', a, b);
  if (a.ndim !== 1 || b.ndim !== 1) throw new RangeError(`dot: 1D tensors expected, but got ${a.ndim}D and ${b.ndim}D tensors`);
  if (a.shape[0] !== b.shape[0]) {
    throw new RangeError(`dot: inconsistent tensor size, expected tensor [${a.shape[0]}] and src [${b.shape[0]}] to have the same number of elements, but got ${a.shape[0]} and ${b.shape[0]} elements respectively`);
  }
  const r = bmmPrim(a.reshape(1, 1, -1), b.reshape(1, -1, 1)), out = r.reshape([]);
  r.dispose(); // the scalar view alone owns the buffer
  return out;
}
/** Outer product of two 1-D tensors: [N] x [M] -> [N,M] (torch.outer). */
export function outer(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1) throw new RangeError(`outer: expected 1-D tensors, got ${a.ndim}D and ${b.ndim}D`);
  return mul(a.unsqueeze(1), b.unsqueeze(0));
}
/** beta * c + alpha * (a @ b) (torch.addmm); options { beta, alpha }, default 1. */
export function addmm(c: Tensor, a: Tensor, b: Tensor, opts: { beta?: number; alpha?: number } = {}): Tensor {
  const beta = opts.beta ?? 1, alpha = opts.alpha ?? 1;
  const ab = mm(a, b);
  return add(beta === 1 ? c : mul(c, beta), alpha === 1 ? ab : mul(ab, alpha));
}

// ---------------------------------------------------------------- einsum

/** einsum over any number of operands: broadcasting multiply + sum, pairwise via matmul-free ops. */
export function einsum(equation: string, ...operands: (Tensor | Tensor[])[]): Tensor {
  const ops = (operands.length === 1 && Array.isArray(operands[0]) ? operands[0] : operands) as Tensor[];
  const eq = equation.replace(/\s+/g, '');
  const [lhs, rhsGiven] = eq.split('->') as [string, string | undefined];
  const terms = lhs.split(',');
  if (terms.length !== ops.length) throw new RangeError(`einsum(): ${terms.length} operands in the equation but ${ops.length} given`);
  for (const t of [...terms, rhsGiven ?? '']) {
    const bad = t.replace('...', '').match(/[^a-zA-Z]/);
    if (bad) throw new RangeError(`einsum(): invalid subscript given at index ${eq.indexOf(bad[0])} in the equation string, subscripts must be in [a-zA-Z]`);
  }
  // Expand '...' into private letters per operand (right-aligned broadcast dims): Greek, so they
  // never collide with the user's [a-zA-Z] subscripts.
  const ellLetters = Array.from({ length: 24 }, (_, k) => String.fromCharCode(0x3b1 + k)).join('');
  let ellDims = 0;
  terms.forEach((t, i) => { if (t.includes('...')) ellDims = Math.max(ellDims, ops[i]!.ndim - (t.length - 3)); });
  const ell = ellLetters.slice(ellLetters.length - ellDims);
  const subs = terms.map((t, i) => {
    if (!t.includes('...')) return t;
    const n = ops[i]!.ndim - (t.length - 3);
    return t.replace('...', ell.slice(ellDims - n));
  });
  subs.forEach((s, i) => {
    if (s.length !== ops[i]!.ndim) throw new RangeError(`einsum(): the number of subscripts in the equation (${s.length}) does not match the number of dimensions (${ops[i]!.ndim}) for operand ${i}`);
  });
  let rhs: string;
  if (rhsGiven !== undefined) rhs = rhsGiven.replace('...', ell);
  else {
    const counts = new Map<string, number>();
    for (const s of subs) for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
    rhs = ell + [...counts.keys()].filter((c) => counts.get(c) === 1 && !ell.includes(c)).sort().join('');
  }
  const letters = [...new Set([...subs.join(''), ...rhs])];
  const sizes = new Map<string, number>();
  // Bring each operand to the full letter order [letters] (size-1 where absent); diagonals via masks.
  const aligned = ops.map((t, i) => {
    let x = t;
    let s = subs[i]!;
    for (;;) {
      const dup = [...s].find((c, k) => s.indexOf(c) !== k);
      if (!dup) break;
      const a = s.indexOf(dup), b = s.indexOf(dup, a + 1);
      // Take the diagonal of dims a and b: x.diagonal moved to position a.
      const n = x.shape[a]!;
      if (x.shape[b] !== n) throw new RangeError(`einsum(): subscript ${dup} is repeated for operand ${i} but the sizes don't match, ${x.shape[b]} != ${n}`);
      const moved = x.movedim([a, b], [x.ndim - 2, x.ndim - 1]);
      const diag = moved.reshape([...moved.shape.slice(0, -2), n * n]).slice(-1, 0, null, n + 1);
      x = diag.movedim(-1, a);
      s = s.slice(0, b) + s.slice(b + 1);
    }
    [...s].forEach((c, k) => {
      const sz = x.shape[k]!;
      const prev = sizes.get(c);
      if (prev !== undefined && prev !== sz && prev !== 1 && sz !== 1) {
        throw new RangeError(`einsum(): operands do not broadcast with remapped shapes (original->remapped): subscript ${c} has size ${sz} for operand ${i} which does not broadcast with previously seen size ${prev}`);
      }
      if (prev === undefined || prev === 1) sizes.set(c, sz);
    });
    const perm = letters.filter((c) => s.includes(c)).map((c) => s.indexOf(c));
    const xp = x.permute(perm);
    const present = letters.filter((c) => s.includes(c));
    return xp.reshape(letters.map((c) => (present.includes(c) ? xp.shape[present.indexOf(c)]! : 1)));
  });
  let prod = aligned[0]!;
  for (let i = 1; i < aligned.length; i++) prod = mul(prod, aligned[i]!);
  const sumDims = letters.map((c, k) => (rhs.includes(c) ? -1 : k)).filter((k) => k >= 0);
  let r = sumDims.length ? sum(prod, sumDims) : prod;
  const kept = letters.filter((c) => rhs.includes(c));
  r = r.permute([...rhs].map((c) => kept.indexOf(c)));
  return r.expand([...rhs].map((c) => sizes.get(c)!)).contiguous();
}

// ---------------------------------------------------------------- im2col / col2im

export { convOutSize };

/** x [N,C,H,W] -> [N, C*kh*kw, L] (differentiable; adjoint col2im). */
export function im2colPrim(x: Tensor, g: ConvGeometry): Tensor {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [OH, OW] = convOutHW(H, W, g);
  if (OH <= 0 || OW <= 0) {
    throw new RangeError(`im2col: calculated output size (${OH}x${OW}) is too small for input ${fmtShape(x.shape)} with kernel ${g.kernel.join('x')}, stride ${g.stride.join('x')}, padding ${g.padding.join('x')}, dilation ${g.dilation.join('x')}`);
  }
  const out = empty([N, C * g.kernel[0] * g.kernel[1], OH * OW], x.dtype, x.device);
  if (out.numel() > 0) backendOf(x).im2col(x.view_(), out.view_(), g);
  return record('im2col', [x], out, { g, inputShape: [...x.shape] });
}

/** cols [N, C*kh*kw, L] -> [N,C,H,W] summing overlaps (differentiable; adjoint im2col). */
export function col2imPrim(cols: Tensor, outputShape: readonly number[], g: ConvGeometry): Tensor {
  const out = empty(outputShape, cols.dtype, cols.device);
  if (out.numel() > 0) backendOf(cols).col2im(cols.view_(), out.view_(), g);
  return record('col2im', [cols], out, { g, outputShape: [...outputShape] });
}

/**
 * Max pooling of x [N,C,H,W] to [N,C,OH,OW] (outHW; Backend.maxPool2d): [values, flat indices y*W + x].
 * The values are x's planes [N, C, H*W] gathered at the indices; their gradient is one kernel
 * (maxPool2dBackwardPrim: gather's scatter-add into zeroed planes, same bits); the indices are int32
 * and carry no gradient.
 */
export function maxPool2dPrim(x: Tensor, g: ConvGeometry, outHW: readonly [number, number]): [Tensor, Tensor] {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const flat = x.reshape(N, C, H * W);
  const fv = flat.view_(), xv = { ...fv, shape: [N, C, H, W], strides: [fv.strides[0]!, fv.strides[1]!, W * fv.strides[2]!, fv.strides[2]!] };
  const [OH, OW] = outHW, shape4 = [N, C, OH, OW];
  const values = empty([N, C, OH * OW], x.dtype, x.device), idx = empty([N, C, OH * OW], 'int32', x.device);
  if (values.numel() > 0) {
    const st = contiguousStrides(shape4);
    backendOf(x).maxPool2d(xv, { ...values.view_(), shape: shape4, strides: st }, { ...idx.view_(), shape: shape4, strides: st }, g);
  }
  return [record('maxPool2d', [flat, idx], values, { g, hw: [H, W], outHW: [OH, OW] }).reshape(shape4), idx.reshape(shape4)];
}

/**
 * Max pooling's gradient (Backend.maxPool2dBackward): grad [N,C,OH*OW] and maxPool2dPrim's indices ->
 * [N,C,H*W], each cell the sum of the grads whose index names it. Its own gradient is the gather of
 * the incoming gradient at the indices (so double backward works).
 */
export function maxPool2dBackwardPrim(grad: Tensor, idx: Tensor, attrs: PrimAttrs['maxPool2dBackward']): Tensor {
  const [N, C] = grad.shape as [number, number];
  const [H, W] = attrs.hw, [OH, OW] = attrs.outHW;
  const out = empty([N, C, H * W], grad.dtype, grad.device);
  if (out.numel() > 0) {
    const gv = grad.view_(), iv = idx.view_();
    const four = (v: View, h: number, w: number): View => ({ ...v, shape: [N, C, h, w], strides: [v.strides[0]!, v.strides[1]!, w * v.strides[2]!, v.strides[2]!] });
    backendOf(grad).maxPool2dBackward(four(gv, OH, OW), four(iv, OH, OW), four(out.view_(), H, W), attrs.g);
  }
  return record('maxPool2dBackward', [grad, idx], out, attrs);
}
