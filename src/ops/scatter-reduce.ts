// scatterReduce (torch.scatter_reduce, PyTorch 1.13 semantics) and indexCopy, composed from the
// gather/scatter primitives so every backend runs them. 'sum' and 'mean' are scatter-adds; 'prod',
// 'amax' and 'amin' sort the targets and run a segmented scan (log2(n) doubling steps, no host
// read), then scatter each segment's last value. The forward is recorded as one node,
// 'scatterReduce', whose rule (scatterReduceRule, in the derivative table) is PyTorch's
// scatter_reduce_backward: ties share amax/amin gradients evenly; prod handles zeros.

import { indexOutOfBounds } from '../backends/backend.js';
import { noGrad } from '../autograd/grad-mode.js';
import { isFloating } from '../dtype.js';
import { fmtShape, normDim } from '../shape.js';
import { Tensor } from '../tensor.js';
import { checkDevices, record } from './prim.js';
import { castTo, where } from './elementwise.js';
import { arange, full, ones, zeros } from './creation.js';
import { cat } from './shape.js';
import { I32_MAX, checkRange, scatter, scatterAdd } from './indexing.js';
import type { TensorOrScalar } from './types.js';

/** The reductions of torch.scatter_reduce. */
export type ScatterReduceOp = 'sum' | 'prod' | 'mean' | 'amax' | 'amin';
/** Options of scatterReduce: PyTorch's `include_self` (default true). */
export interface ScatterReduceOpts {
  /** Whether self's values take part in the reduction at the positions scattered to (default true). */
  includeSelf?: boolean;
}

const REDUCES: readonly string[] = ['sum', 'prod', 'mean', 'amax', 'amin'];
const I32_MIN = -(2 ** 31);

/** The identity of a reduction in dtype (what self's entries become when includeSelf is false). */
function identity(reduce: ScatterReduceOp, dtype: Tensor['dtype']): number {
  const f = isFloating(dtype);
  if (reduce === 'prod') return 1;
  if (reduce === 'amax') return f ? -Infinity : dtype === 'uint8' || dtype === 'bool' ? 0 : I32_MIN;
  if (reduce === 'amin') return f ? Infinity : dtype === 'uint8' ? 255 : dtype === 'bool' ? 1 : I32_MAX;
  return 0;
}

function combine(reduce: 'prod' | 'amax' | 'amin', a: Tensor, b: Tensor): Tensor {
  return reduce === 'prod' ? a.mul(b) : reduce === 'amax' ? a.maximum(b) : a.minimum(b);
}

/** Validates the arguments the way scatter does and returns the normalised dim. */
function checkScatterArgs(op: string, x: Tensor, dim: number, index: Tensor, src: Tensor): number {
  if (!(index instanceof Tensor)) throw new TypeError(`${op}(): argument 'index' must be Tensor`);
  if (index.dtype !== 'int32') throw new TypeError(`${op}(): Expected dtype int32 for index (torchlet's integer dtype), got ${index.dtype}`);
  if (src.dtype !== x.dtype) throw new TypeError(`${op}(): Expected self.dtype to be equal to src.dtype (self ${x.dtype}, src ${src.dtype})`);
  checkDevices(op, x, index, src);
  const nd = Math.max(x.ndim, 1);
  const d = normDim(dim, nd, op);
  if (Math.max(index.ndim, 1) !== nd || Math.max(src.ndim, 1) !== nd) {
    throw new RangeError(`${op}(): Index tensor must have the same number of dimensions as self tensor (index ${fmtShape(index.shape)}, self ${fmtShape(x.shape)}, src ${fmtShape(src.shape)})`);
  }
  const xs = x.ndim ? x.shape : [1], is = index.ndim ? index.shape : [1], ss = src.ndim ? src.shape : [1];
  is.forEach((s, k) => {
    if (k !== d && s > xs[k]!) throw new RangeError(`${op}(): Size does not match at dimension ${k} expected index ${fmtShape(index.shape)} to be smaller than self ${fmtShape(x.shape)} apart from dimension ${d}`);
    if (s > ss[k]!) throw new RangeError(`${op}(): Expected index ${fmtShape(index.shape)} to be smaller than src ${fmtShape(src.shape)} at dimension ${k}`);
  });
  return d;
}

/**
 * The forward value: x (flattened to [M]) reduced with src (its index-shaped part) at the row-major
 * linear positions the index points to. Inputs are already 1-d or more.
 */
function scatterReduceValue(x: Tensor, d: number, index: Tensor, src: Tensor, reduce: ScatterReduceOp, includeSelf: boolean): Tensor {
  const n = index.numel(), M = x.numel();
  if (n === 0) return x.clone();
  const size = x.shape[d]!;
  checkRange(index, 0, size - 1, indexOutOfBounds('scatterReduce', d, size));
  const dev = x.device;
  // Row-major linear target of every index element: its own coordinates, with index[p] along d.
  const strides: number[] = [];
  for (let k = x.ndim - 1, s = 1; k >= 0; k--) { strides[k] = s; s *= x.shape[k]!; }
  let lin = index.mul(strides[d]!);
  index.shape.forEach((s, k) => {
    if (k === d || s === 1) return;
    const view = index.shape.map((_, j) => (j === k ? s : 1));
    lin = lin.add(arange(s, { dtype: 'int32', device: dev }).mul(strides[k]!).reshape(view));
  });
  const flatLin = lin.reshape(-1).to('int32');
  const srcPart = index.shape.reduce((t, s, k) => (t.shape[k] === s ? t : t.narrow(k, 0, s)), src).reshape(-1);
  const xf = x.reshape(-1);
  // How many src values land on each position; where none does, self stays as it is.
  const count = zeros([M], { dtype: 'int32', device: dev }).scatterAdd(0, flatLin, ones([n], { dtype: 'int32', device: dev }));
  const hit = count.gt(0);
  const base = includeSelf ? xf : where(hit, full([], identity(reduce, x.dtype), { dtype: x.dtype, device: dev }), xf);
  let out: Tensor;
  if (reduce === 'sum' || reduce === 'mean') {
    out = scatterAdd(base, 0, flatLin, srcPart);
    if (reduce === 'mean') {
      const c = (includeSelf ? count.add(1) : where(hit, count, 1)).to(x.dtype);
      // Integer means are floor divisions, as PyTorch's.
      out = isFloating(x.dtype) ? out.div(c) : out.div(c, { roundingMode: 'floor' }).to(x.dtype);
    }
  } else {
    // Targets sorted (stably) so each target's values form one contiguous segment.
    const order = flatLin.argsort(0);
    const keys = flatLin.gather(0, order);
    let vals = srcPart.gather(0, order);
    const id = full([], identity(reduce, x.dtype), { dtype: x.dtype, device: dev });
    // Segmented inclusive scan by doubling: after the step with shift s, vals[i] reduces the last 2s
    // values of its segment; segments are contiguous, so "same key s back" means the whole span is.
    for (let s = 1; s < n; s *= 2) {
      const prevKeys = cat([full([s], -1, { dtype: 'int32', device: dev }), keys.narrow(0, 0, n - s)], 0);
      const prevVals = cat([id.expand([s]), vals.narrow(0, 0, n - s)], 0);
      vals = where(keys.eq(prevKeys), combine(reduce, vals, prevVals), vals);
    }
    // Each segment's last value is its reduction; the others go to a spare slot M that is dropped.
    const nextKeys = cat([keys.narrow(0, 1, n - 1), full([1], -1, { dtype: 'int32', device: dev })], 0);
    const slot = where(keys.ne(nextKeys), keys, M).to('int32');
    const reduced = id.expand([M + 1]).contiguous().scatter(0, slot, vals).narrow(0, 0, M);
    out = where(hit, combine(reduce, base, reduced), xf);
  }
  return out.reshape(x.shape);
}

export interface ScatterReduceCtx { dim: number; reduce: ScatterReduceOp; includeSelf: boolean; srcShape: number[] }

/** PyTorch's scatter_reduce_backward (FunctionsManual.cpp, 1.13): gradients of self and of the index-shaped src. */
function scatterReduceBackward(g: Tensor, x: Tensor, d: number, index: Tensor, src: Tensor, reduce: ScatterReduceOp, includeSelf: boolean, result: Tensor): [Tensor, Tensor] {
  let gSelf: Tensor, gSrc: Tensor;
  if (reduce === 'sum') {
    gSelf = g;
    gSrc = g.gather(d, index);
  } else if (reduce === 'prod') {
    // Exclusive products computed again with zeros masked, so a single zero still passes gradient.
    const maskedSelf = where(x.eq(0), 1, x);
    const maskedSelfResult = scatterReduce(maskedSelf, d, index, src, 'prod', { includeSelf });
    gSelf = g.mul(maskedSelfResult).div(maskedSelf);
    const srcZero = src.eq(0);
    const srcNumZeros = zeros(x.shape, { dtype: x.dtype, device: x.device }).scatterAdd(d, index, castTo(srcZero, x.dtype)).gather(d, index);
    const srcSingleZero = srcZero.logicalAnd(srcNumZeros.eq(1));
    const maskedSrc = where(srcSingleZero, 1, src);
    const maskedSrcResult = scatterReduce(x, d, index, maskedSrc, 'prod', { includeSelf });
    gSrc = where(srcSingleZero, g.mul(maskedSrcResult).gather(d, index), g.mul(result).gather(d, index).div(where(srcZero, 1, src)));
  } else if (reduce === 'mean') {
    const N = (includeSelf ? ones(g.shape, { dtype: g.dtype, device: g.device }) : zeros(g.shape, { dtype: g.dtype, device: g.device }))
      .scatterAdd(d, index, ones(index.shape, { dtype: g.dtype, device: g.device }));
    const N1 = where(N.eq(0), 1, N);
    gSelf = g.div(N1);
    gSrc = g.gather(d, index).div(N1.gather(d, index));
  } else {
    // Ties share the gradient evenly, self's entry included when it equals the result.
    const value = result.gather(d, index);
    const selfIsResult = castTo(x.eq(result), g.dtype);
    const srcIsResult = castTo(src.eq(value), g.dtype);
    const nToDistribute = selfIsResult.scatterAdd(d, index, srcIsResult);
    const gDist = g.div(nToDistribute);
    gSelf = selfIsResult.mul(gDist);
    gSrc = srcIsResult.mul(gDist.gather(d, index));
  }
  if (!includeSelf) gSelf = gSelf.scatter(d, index, 0);
  return [gSelf, gSrc];
}

/** The rule of 'scatterReduce' (autograd/derivatives.ts): gradients of x and src (index gets none). */
export function scatterReduceRule(g: Tensor, x: Tensor, index: Tensor, src: Tensor, out: Tensor, a: ScatterReduceCtx, needs: readonly boolean[]): (Tensor | null)[] {
  const srcPart = index.shape.reduce((t, s, k) => (t.shape[k] === s ? t : t.narrow(k, 0, s)), src);
  const [gSelf, gSrcPart] = scatterReduceBackward(g, x, a.dim, index, srcPart, a.reduce, a.includeSelf, out);
  // src's entries outside the index's shape take no part: zero gradient there.
  let gSrc = gSrcPart;
  a.srcShape.forEach((s, k) => {
    if (gSrc.shape[k] !== s) gSrc = cat([gSrc, zeros(gSrc.shape.map((v, j) => (j === k ? s - v : v)), { dtype: gSrc.dtype, device: gSrc.device })], k);
  });
  return [needs[0] ? gSelf : null, null, needs[2] ? gSrc : null];
}

/**
 * torch.scatter_reduce (PyTorch 1.13): a copy of x where each src value (the part of src shaped like
 * index) is combined into the position index points to along dim, with reduce 'sum' | 'prod' |
 * 'mean' | 'amax' | 'amin'; { includeSelf: false } leaves x's own value out at the positions scattered
 * to. 'mean' divides by the number of values combined (self counting one when included; a floor
 * division for integer dtypes). Differentiable in x and src with PyTorch's gradients.
 */
export function scatterReduce(x: Tensor, dim: number, index: Tensor, src: Tensor, reduce: ScatterReduceOp, opts: ScatterReduceOpts = {}): Tensor {
  if (!REDUCES.includes(reduce)) throw new RangeError(`scatterReduce(): reduce argument must be either sum, prod, mean, amax or amin, got '${String(reduce)}'`);
  if (!(src instanceof Tensor)) throw new TypeError(`scatterReduce(): argument 'src' must be Tensor, got ${typeof src}`);
  const d = checkScatterArgs('scatterReduce', x, dim, index, src);
  const as1d = (t: Tensor) => (t.ndim === 0 ? t.reshape([1]) : t);
  const attrs: ScatterReduceCtx = { dim: d, reduce, includeSelf: opts.includeSelf ?? true, srcShape: [...as1d(src).shape] };
  const [x1, i1, s1] = [as1d(x), as1d(index), as1d(src)];
  // Composed without recording (its own gradient would split amax/amin ties differently), then one node.
  const out = record('scatterReduce', [x1, i1, s1], noGrad(() => scatterReduceValue(x1, d, i1, s1, attrs.reduce, attrs.includeSelf)), attrs);
  return x.ndim === 0 ? out.reshape([]) : out;
}

/** scatter(x, dim, index, src, { reduce: 'multiply' }): scatterReduce's 'prod' with self included (PyTorch's scatter reduce="multiply"). */
export function scatterMultiply(x: Tensor, dim: number, index: Tensor, src: TensorOrScalar): Tensor {
  const s = src instanceof Tensor ? castTo(src, x.dtype) : full(index.shape, src, { dtype: x.dtype, device: x.device });
  return scatterReduce(x, dim, index, s, 'prod');
}

/**
 * torch.index_copy: a copy of x with the slices of source written at the positions of the 1-d int32
 * index along dim (source's shape is x's with index.numel() at dim). Differentiable: x's gradient is
 * masked at the copied slices, source's is the gradient's slices at index.
 */
export function indexCopy(x: Tensor, dim: number, index: Tensor, source: Tensor): Tensor {
  if (!(index instanceof Tensor)) throw new TypeError("indexCopy(): argument 'index' must be Tensor");
  if (index.dtype !== 'int32') throw new TypeError(`indexCopy(): Expected a long tensor for index, but got ${index.dtype} (torchlet's index dtype is int32)`);
  if (index.ndim > 1) throw new RangeError(`index_copy_(): Index should have dimension 1 or 0 (got ${index.ndim})`);
  if (source.dtype !== x.dtype) throw new TypeError(`index_copy_(): self and source expected to have the same dtype, but got (self) ${x.dtype} and (source) ${source.dtype}`);
  checkDevices('indexCopy', x, index, source);
  const nd = Math.max(x.ndim, 1);
  const d = normDim(dim, nd, 'indexCopy');
  const xs = x.ndim ? x.shape : [1], ss = source.ndim ? source.shape : [1];
  const n = index.numel();
  // PyTorch's checks, in its order: the slice shapes (all dims but d), then the index count.
  const xSlice = xs.filter((_, k) => k !== d), sSlice = source.ndim ? ss.filter((_, k) => k !== d) : [];
  if (source.ndim > 0 && (sSlice.length !== xSlice.length || sSlice.some((s, k) => s !== xSlice[k]))) {
    throw new RangeError(`index_copy_(): Source/destination tensor must have same slice shapes. Destination slice shape: ${fmtShape(xSlice)} and source slice shape: ${fmtShape(sSlice)} (self ${fmtShape(x.shape)}, source ${fmtShape(source.shape)}, dim ${d}).`);
  }
  if ((source.ndim ? ss[d] : 1) !== n) throw new RangeError(`index_copy_(): Number of indices (${n}) should be equal to source.size(dim) (${source.ndim ? ss[d] : 1})`);
  const src1 = source.ndim ? source : source.reshape(xs.map(() => 1));
  const view = xs.map((_, k) => (k === d ? n : 1));
  const idx = index.reshape(view).expand(src1.shape);
  checkRange(idx, 0, xs[d]! - 1, `index_copy_(): index $V is out of bounds for dimension ${d} with size ${xs[d]}`);
  const x1 = x.ndim ? x : x.reshape([1]);
  const out = scatter(x1, d, idx, src1);
  return x.ndim ? out : out.reshape([]);
}
