// THE derivatives table: one backward rule per differentiable primitive, keyed by PrimName, so a
// primitive without a rule fails to compile. Rules are written with differentiable tensor ops, so
// higher-order gradients work (createGraph). `save` says what the node must keep alive.
// Gradients returned with a broadcast shape are summed back to the input's shape by the caller.

import { isFloating } from '../dtype.js';
import { isGradEnabled } from './grad-mode.js';
import type { Tensor } from '../tensor.js';
import type { PrimAttrs, PrimName } from '../ops/prim.js';
import * as o from '../ops/index.js';
import * as la from '../ops/decomp.js';
import { convInputGrad, convWeightGrad } from '../ops/winograd.js';
import { attentionBackward } from '../ops/attention.js';
import { scatterReduceRule } from '../ops/scatter-reduce.js';
import { geluBackward, geluTanhBackward, logSoftmaxBackward, softmaxBackward, standardizeBackward, thresholdBackward } from './fused-rules.js';

/** What a backward rule sees: the primitive's attributes and whatever the node saved. */
export interface SavedCtx<A> {
  /** The primitive's attributes (dims, shapes, ...; see PrimAttrs). */
  attrs: A;
  /** The op's inputs (only when save is 'inputs' or 'all'). */
  inputs: readonly Tensor[];
  /** The op's output (only when save is 'output' or 'all'). */
  output: Tensor;
  /** Shapes of the op's inputs (always kept). */
  inputShapes: readonly (readonly number[])[];
  /** Which inputs need a gradient. */
  needs: readonly boolean[];
}
/** One primitive's backward rule. */
export interface Rule<K extends PrimName> {
  /** What the node keeps alive for backward: nothing, the inputs, the output, or both. */
  save: 'none' | 'inputs' | 'output' | 'all';
  /**
   * The inputs' gradients (null where not needed) from the output's gradient g; a primitive with
   * several outputs (split) reads them all in `gs` (null where none flowed; g is the first there is).
   */
  backward(g: Tensor, c: SavedCtx<PrimAttrs[K]>, gs: readonly (Tensor | null)[]): (Tensor | null)[];
}
type Table = { [K in PrimName]: Rule<K> };

const none = <K extends PrimName>(): Rule<K> => ({ save: 'none', backward: () => [] });
/** Piecewise-constant ops: zero gradient, as PyTorch. */
const zero = <K extends PrimName>(): Rule<K> => ({ save: 'none', backward: (g) => [o.zerosLike(g)] });
const x0 = (c: SavedCtx<unknown>) => c.inputs[0]!;
const x1 = (c: SavedCtx<unknown>) => c.inputs[1]!;
/**
 * The gradient p q of a matmul operand laid out as that operand: (q^T p^T)^T when it is a
 * transposed matrix (a Linear weight's .t()), so its gradient reaches the leaf contiguous instead of
 * through a transposed copy (PyTorch's mm_mat2_backward does the same). The GEMM reads either order.
 */
function mmGradIn(p: Tensor, q: Tensor, like: Tensor): Tensor {
  const [, r, cols] = like.shape as [number, number, number];
  const st = like.strides_, transposed = r > 1 && cols > 1 && st[1] === 1 && st[2] === r;
  // A broadcast operand (a conv weight shared by the images, stride 0 over the batch) is summed over
  // it next, so its layout is free: the orientation whose C pads less to the CPU GEMM's 4x8 tiles
  // (a first conv layer's [16, 9] gradient as [9, 16]: a quarter fewer multiply-adds). Each element's
  // sum runs over k in the same order either way, so the bits do not change.
  const free = like.strides_[0] === 0 && like.shape[0]! > 1 && !transposed;
  return transposed || (free && tiles(cols, r) < tiles(r, cols)) ? o.bmmPrim(q.transpose(1, 2), p.transpose(1, 2)).transpose(1, 2) : o.bmmPrim(p, q);
}
/** Elements of an m x n product padded to whole 4x8 micro-tiles. */
const tiles = (m: number, n: number) => Math.ceil(m / 4) * 4 * Math.ceil(n / 8) * 8;

/** Re-inserts reduced dims (when !keepdim) so a reduction's gradient broadcasts to the input. */
function unreduce(g: Tensor, dims: number[], keepdim: boolean): Tensor {
  if (keepdim) return g;
  let r = g;
  for (const d of [...dims].sort((a, b) => a - b)) r = r.unsqueeze(d);
  return r;
}

/** Reverse cumulative sum along dim: out[i] = sum_{j>=i} g[j]. */
const revCumsum = (g: Tensor, dim: number) => g.flip(dim).cumsum(dim).flip(dim);

/**
 * amax/amin: the gradient split evenly among the elements equal to the result (PyTorch's rule, NaN
 * everywhere when the result is NaN); with nanToNan (max()/min() overall, PyTorch's
 * evenly_distribute_backward) a NaN result sends it to the NaN elements instead.
 */
function extremeBackward(g: Tensor, x: Tensor, out: Tensor, a: { dims: number[]; keepdim: boolean; nanToNan?: boolean }): Tensor {
  const o = unreduce(out, a.dims, a.keepdim);
  let mask = x.eq(o);
  if (a.nanToNan && isFloating(x.dtype)) mask = mask.logicalOr(x.isnan().logicalAnd(o.isnan()));
  return unreduce(g, a.dims, a.keepdim).mul(mask).div(mask.sum(a.dims, true));
}

/** The backward rule of every differentiable primitive, keyed by primitive name. */
export const derivatives: Table = {
  // ---- unary: d/dx f(x) ----
  neg: { save: 'none', backward: (g) => [g.neg()] },                                     // -1
  abs: { save: 'inputs', backward: (g, c) => [g.mul(x0(c).sign())] },                    // sign(x)
  sign: zero(), floor: zero(), ceil: zero(), round: zero(), trunc: zero(),
  exp: { save: 'output', backward: (g, c) => [g.mul(c.output)] },                       // e^x
  expm1: { save: 'output', backward: (g, c) => [g.mul(c.output.add(1))] },              // e^x
  log: { save: 'inputs', backward: (g, c) => [g.div(x0(c))] },                          // 1/x
  log1p: { save: 'inputs', backward: (g, c) => [g.div(x0(c).add(1))] },                 // 1/(1+x)
  log2: { save: 'inputs', backward: (g, c) => [g.div(x0(c).mul(Math.LN2))] },           // 1/(x ln2)
  sqrt: { save: 'output', backward: (g, c) => [g.div(c.output.mul(2))] },               // 1/(2 sqrt x)
  rsqrt: { save: 'output', backward: (g, c) => [g.mul(c.output.pow(3)).mul(-0.5)] },    // -x^-1.5/2
  sin: { save: 'inputs', backward: (g, c) => [g.mul(x0(c).cos())] },                    // cos x
  cos: { save: 'inputs', backward: (g, c) => [g.mul(x0(c).sin()).neg()] },              // -sin x
  tan: { save: 'output', backward: (g, c) => [g.mul(c.output.square().add(1))] },       // 1 + tan^2
  asin: { save: 'inputs', backward: (g, c) => [g.mul(x0(c).square().rsub(1).rsqrt())] }, // 1/sqrt(1-x^2)
  acos: { save: 'inputs', backward: (g, c) => [g.mul(x0(c).square().rsub(1).rsqrt()).neg()] },
  atan: { save: 'inputs', backward: (g, c) => [g.div(x0(c).square().add(1))] },         // 1/(1+x^2)
  sinh: { save: 'inputs', backward: (g, c) => [g.mul(x0(c).cosh())] },
  cosh: { save: 'inputs', backward: (g, c) => [g.mul(x0(c).sinh())] },
  tanh: { save: 'output', backward: (g, c) => [g.mul(c.output.square().rsub(1))] },     // 1 - tanh^2
  asinh: { save: 'inputs', backward: (g, c) => [g.mul(x0(c).square().add(1).rsqrt())] },
  acosh: { save: 'inputs', backward: (g, c) => [g.mul(x0(c).square().sub(1).rsqrt())] },
  atanh: { save: 'inputs', backward: (g, c) => [g.div(x0(c).square().rsub(1))] },
  sigmoid: { save: 'output', backward: (g, c) => [g.mul(c.output.mul(c.output.rsub(1)))] }, // s(1-s)
  erf: { save: 'inputs', backward: (g, c) => [g.mul(x0(c).square().neg().exp().mul(2 / Math.sqrt(Math.PI)))] },
  erfc: { save: 'inputs', backward: (g, c) => [g.mul(x0(c).square().neg().exp().mul(-2 / Math.sqrt(Math.PI)))] }, // -2/sqrt(pi) e^-x^2
  erfinv: { save: 'output', backward: (g, c) => [g.mul(c.output.square().exp().mul(Math.sqrt(Math.PI) / 2))] },
  reciprocal: { save: 'output', backward: (g, c) => [g.mul(c.output.square()).neg()] },  // -1/x^2
  relu: { save: 'output', backward: (g, c) => [thresholdBackward(c.output, g)] },        // PyTorch's threshold_backward: 0 where out <= 0 (one kernel)
  logicalNot: none(), isnan: none(), isinf: none(), bitwiseNot: none(),

  // ---- binary: (d/da, d/db) ----
  add: { save: 'none', backward: (g) => [g, g] },
  sub: { save: 'none', backward: (g) => [g, g.neg()] },
  mul: { save: 'inputs', backward: (g, c) => [c.needs[0] ? g.mul(x1(c)) : null, c.needs[1] ? g.mul(x0(c)) : null] },
  div: { save: 'inputs', backward: (g, c) => [                                           // 1/b, -a/b^2
    c.needs[0] ? g.div(x1(c)) : null,
    c.needs[1] ? g.mul(x0(c)).div(x1(c).square()).neg() : null] },
  pow: { save: 'all', backward: (g, c) => {                                              // b a^(b-1), a^b ln a
    const a = x0(c), b = x1(c);
    return [
      c.needs[0] ? o.where(b.eq(0), 0, g.mul(b).mul(a.pow(b.sub(1)))) : null,
      c.needs[1] ? o.where(a.eq(0).logicalAnd(b.ge(0)), 0, g.mul(c.output).mul(a.log())) : null,
    ];
  } },
  maximum: { save: 'inputs', backward: (g, c) => {                                      // ties split evenly
    const a = x0(c), b = x1(c), tie = a.eq(b);
    const ga = o.where(tie, g.mul(0.5), o.where(a.gt(b), g, 0));
    return [ga, o.where(tie, g.mul(0.5), o.where(b.gt(a), g, 0))];
  } },
  minimum: { save: 'inputs', backward: (g, c) => {
    const a = x0(c), b = x1(c), tie = a.eq(b);
    return [o.where(tie, g.mul(0.5), o.where(a.lt(b), g, 0)), o.where(tie, g.mul(0.5), o.where(b.lt(a), g, 0))];
  } },
  atan2: { save: 'inputs', backward: (g, c) => {                                        // (b, -a)/(a^2+b^2)
    const a = x0(c), b = x1(c), r = a.square().add(b.square());
    return [g.mul(b).div(r), g.mul(a).div(r).neg()];
  } },
  fmod: { save: 'inputs', backward: (g, c) => [g, g.mul(x0(c).div(x1(c), { roundingMode: 'trunc' })).neg()] },
  remainder: { save: 'inputs', backward: (g, c) => [g, g.mul(x0(c).div(x1(c), { roundingMode: 'floor' })).neg()] },
  floorDivide: { save: 'none', backward: (g) => [o.zerosLike(g), o.zerosLike(g)] },
  eq: none(), ne: none(), lt: none(), le: none(), gt: none(), ge: none(),
  logicalAnd: none(), logicalOr: none(), logicalXor: none(), bitwiseAnd: none(), bitwiseOr: none(), bitwiseXor: none(),

  // ---- selection and type/device movement ----
  where: { save: 'inputs', backward: (g, c) => {
    const m = x0(c);
    // A piecewise activation's select (wherePiecewise) under createGraph: each gradient's zeros are
    // its branch masked out, where(m, a, 0), so the gradient stays connected to the input with a zero
    // derivative, as PyTorch's leaky_relu_backward & co. (a parameter reaching a gradient penalty only
    // through the input gets zeros, not none). No arithmetic on the branch: inf / NaN there stay out.
    const connect = (t: Tensor) => c.attrs.piecewise === true && isGradEnabled() && t.requiresGrad;
    const a = x1(c), b = c.inputs[2]!;
    return [null, o.where(m, g, connect(a) ? o.where(m, a, 0) : 0), o.where(m, connect(b) ? o.where(m, 0, b) : 0, g)];
  } },
  cast: { save: 'none', backward: (g) => [g] },                                          // cast back by the caller
  toDevice: { save: 'none', backward: (g, c) => [g.to(c.attrs.from)] },
  clone: { save: 'none', backward: (g) => [g] },

  // ---- reductions and scans ----
  sum: { save: 'none', backward: (g, c) => [unreduce(g, c.attrs.dims, c.attrs.keepdim).expand(c.inputShapes[0]!)] },
  prod: { save: 'all', backward: (g, c) => {                                             // prod of the others
    const { dims, keepdim } = c.attrs;
    const x = x0(c), nz = x.ne(0), safe = o.where(nz, x, 1);
    // A zero's gradient is the product of the others: nonzero only when it is the slice's sole zero.
    const keepShape = x.shape.map((s, d) => (dims.includes(d) ? 1 : s));
    const prodSafe = dims.length === 1 && x.ndim > 1 ? safe.prod(dims[0], true) : safe.prod().reshape(keepShape);
    const soleZero = nz.logicalNot().sum(dims, true).eq(1);
    const others = o.where(nz, unreduce(c.output, dims, keepdim).div(safe), o.where(soleZero, prodSafe, 0));
    return [unreduce(g, dims, keepdim).mul(others)];
  } },
  amax: { save: 'all', backward: (g, c) => [extremeBackward(g, x0(c), c.output, c.attrs)] }, // split among ties
  amin: { save: 'all', backward: (g, c) => [extremeBackward(g, x0(c), c.output, c.attrs)] },
  medianAll: { save: 'all', backward: (g, c) => [extremeBackward(g, x0(c), c.output, c.attrs)] }, // ties split, as max()
  cumsum: { save: 'none', backward: (g, c) => [revCumsum(g, c.attrs.dim)] },            // reverse cumsum
  cumprod: { save: 'all', backward: (g, c) => {
    const x = x0(c), d = c.attrs.dim;
    if (x.ndim === 0) return [g];
    // Nonzero x: sum_{k>=i} g_k y_k / x_i. Past a slice's first zero every y_k is 0, so those get 0;
    // the first zero itself gets sum_{k>=z} g_k y'_k with y' the cumprod with that zero set to 1.
    const isZero = x.eq(0), nz = isZero.logicalNot();
    const firstZero = isZero.logicalAnd(isZero.cumsum(d).eq(1));
    const safe = o.where(nz, x, 1);
    const regular = o.where(nz, revCumsum(g.mul(c.output), d).div(safe), 0);
    const atZero = revCumsum(g.mul(o.where(firstZero, 1, x).cumprod(d)), d);
    return [o.where(firstZero, atZero, regular)];
  } },

  // ---- linear algebra and convolution helpers ----
  gelu: { save: 'inputs', backward: (g, c) => [geluBackward(x0(c), g)] },               // g (cdf(x) + x pdf(x)): PyTorch's gelu_backward
  geluTanh: { save: 'inputs', backward: (g, c) => [geluTanhBackward(x0(c), g)] },       // its tanh form's
  logSoftmax: { save: 'output', backward: (g, c) => [logSoftmaxBackward(g, c.output, c.attrs.dim)] }, // g - exp(y) sum(g): log_softmax_backward_data
  softmax: { save: 'output', backward: (g, c) => [softmaxBackward(g, c.output, c.attrs.dim)] }, // y (g - sum(g y)): PyTorch's softmax_backward_data
  standardize: { save: 'all', backward: (g, c) => [standardizeBackward(g, x0(c), c.output, x1(c), c.attrs), null] }, // rstd (g - mean g - x̂ mean(g x̂))
  matmul: { save: 'inputs', backward: (g, c) => [                                        // g b^T, a^T g
    c.needs[0] ? mmGradIn(g, x1(c).transpose(1, 2), x0(c)) : null,
    c.needs[1] ? mmGradIn(x0(c).transpose(1, 2), g, x1(c)) : null] },
  addmm: { save: 'inputs', backward: (g, c) => [                                         // g (summed to bias's shape), then matmul's
    g, c.needs[1] ? mmGradIn(g, c.inputs[2]!.transpose(1, 2), x1(c)) : null,
    c.needs[2] ? mmGradIn(x1(c).transpose(1, 2), g, c.inputs[2]!) : null] },
  convMatmul: { save: 'inputs', backward: (g, c) => [                                    // w2: g cols^T summed over images; x: conv of g
    c.needs[0] ? convWeightGrad(g, x1(c), c.inputs[2]!, c.attrs) : null, null,
    c.needs[2] ? convInputGrad(g, x0(c), c.attrs) : null] },
  convWinograd: { save: 'inputs', backward: (g, c) => {                                  // as convMatmul's, the columns made again if needed
    const w = x0(c), [N, OC] = g.shape as [number, number], w2 = w.reshape(OC, -1), g3 = g.reshape(N, OC, -1);
    return [c.needs[0] ? convWeightGrad(g3, null, x1(c), c.attrs).reshape(w.shape) : null, c.needs[1] ? convInputGrad(g3, w2, c.attrs) : null];
  } },
  scatterReduce: { save: 'all', backward: (g, c) => scatterReduceRule(g, x0(c), x1(c), c.inputs[2]!, c.output, c.attrs, c.needs) },
  attention: { save: 'inputs', backward: (g, c) => attentionBackward(g, x0(c), x1(c), c.inputs[2]!, c.inputs[3]!, c.inputs[4] ?? null, c.attrs, c.needs) },
  im2col: { save: 'none', backward: (g, c) => [o.col2imPrim(g, c.attrs.inputShape, c.attrs.g)] }, // adjoint
  col2im: { save: 'none', backward: (g, c) => [o.im2colPrim(g, c.attrs.g)] },

  // ---- torch.linalg decompositions (formulas in ops/decomp.ts, PyTorch's) ----
  linalgSolve: { save: 'all', backward: la.solveBackward },                              // gB = A^-T g, gA = -gB X^T
  linalgDet: { save: 'all', backward: la.detBackward },                                  // g det A^-T (cofactors)
  linalgSlogdet: { save: 'inputs', backward: la.slogdetBackward },                       // g A^-T
  linalgCholesky: { save: 'output', backward: la.choleskyBackward },                     // sym(L^-T Phi(L^T gL) L^-1)
  linalgQr: { save: 'output', backward: la.qrBackward },                                 // (gQ + Q copyltu(M)) R^-T
  linalgEigh: { save: 'output', backward: la.eighBackward },                             // V (skew(V^T gV)/E + diag gL) V^T
  linalgSvd: { save: 'output', backward: la.svdBackward },                               // PyTorch's svd_backward
  linalgPinv: { save: 'all', backward: la.pinvBackward },                                // Golub-Pereyra

  // ---- indexing ----
  // Zeros as a broadcast 0-d tensor: scatterAdd's copy of them is the only pass over the result's
  // memory before the scatter (a materialized zeros tensor was filled, then copied).
  maxPool2d: { save: 'inputs', backward: (g, c) => [o.maxPool2dBackwardPrim(g, x1(c), c.attrs), null] },
  maxPool2dBackward: { save: 'inputs', backward: (g, c) => [g.gather(2, x1(c)), null] },
  gather: { save: 'inputs', backward: (g, c) => [o.zeros([], { dtype: g.dtype, device: g.device }).expand(c.inputShapes[0]!).scatterAdd(c.attrs.dim, x1(c), g), null] },
  scatter: { save: 'inputs', backward: (g, c) => {
    const { dim, reduce } = c.attrs, idx = x1(c);
    return [reduce === 'add' ? g : g.scatter(dim, idx, 0), null, c.needs[2] ? g.gather(dim, idx) : null];
  } },

  // ---- views and layout ----
  reshape: { save: 'none', backward: (g, c) => [g.reshape(c.inputShapes[0]!)] },
  permute: { save: 'none', backward: (g, c) => {
    const inv = new Array<number>(c.attrs.dims.length);
    c.attrs.dims.forEach((d, i) => { inv[d] = i; });
    return [g.permute(inv)];
  } },
  expand: { save: 'none', backward: (g) => [g] },                                        // summed to shape by the caller
  slice: { save: 'none', backward: (g, c) => [o.unslice(g, c.inputShapes[0]!, c.attrs.dim, c.attrs.start, c.attrs.step)] },
  unslice: { save: 'none', backward: (g, c) => {
    const { dim, start, step } = c.attrs, n = c.inputShapes[0]![dim]!;
    return [g.slice(dim, start, start + (n - 1) * step + 1, step)];
  } },
  diagonal: { save: 'none', backward: (g, c) => [o.diagonalBackward(g, c.inputShapes[0]!, c.attrs.offset, c.attrs.dim1, c.attrs.dim2)] },
  flip: { save: 'none', backward: (g, c) => [g.flip(c.attrs.dims)] },
  // The pair views of a complex tensor: each one's gradient is the other view of g. With real
  // losses this gives PyTorch's convention grad = dL/dre + i dL/dim (the conjugate Wirtinger derivative x2).
  viewAsReal: { save: 'none', backward: (g) => [o.viewAsComplex(g.contiguous())] },
  viewAsComplex: { save: 'none', backward: (g) => [o.viewAsReal(g)] },
  cat: { save: 'none', backward: (g, c) => g.split(c.attrs.sizes, c.attrs.dim).map((p, i) =>  // skipped 1-D empties: empty
    (p.ndim === c.inputShapes[i]!.length ? p : o.zeros(c.inputShapes[i]!, { dtype: g.dtype, device: g.device }))) },
  // One gradient for all the pieces, joined (zeros for a piece none reached), instead of a zero-padded
  // copy per piece summed: a packed projection's chunks, an LSTM's gates.
  split: { save: 'none', backward: (g, c, gs) => {
    const { dim, sizes } = c.attrs, shape = c.inputShapes[0]!;
    return [o.cat(sizes.map((n, i) => gs[i] ?? o.zeros(shape.map((s, d) => (d === dim ? n : s)), { dtype: g.dtype, device: g.device })), dim)];
  } },
};
