// Reductions and scans: sum/prod/amax/amin/argmax/argmin/all/any primitives (the backend reduces
// the trailing dims of a permuted view), cumsum/cumprod, and the composites built on them
// (mean, var, std, norm, logsumexp, softmax, logSoftmax, max/min with indices, median, ...).

import type { ReduceOp, ScanOp } from '../backends/backend.js';
import { isComplex, isFloating, type DType } from '../dtype.js';
import { complexSum } from './complex.js';
import { fmtShape, normDim, normDims, numel } from '../shape.js';
import { state } from '../state.js';
import { Tensor } from '../tensor.js';
import { backendOf, composite, empty, record } from './prim.js';
import { castTo, maximum, minimum, where } from './elementwise.js';
import { full, zeros } from './creation.js';
import { cat } from './shape.js';
import { noGrad } from '../autograd/grad-mode.js';
import { Node } from '../autograd/graph.js';
import { expShifted, logSoftmaxFromParts } from '../autograd/fused-rules.js';
import type { NormOpts, NormOrd, ReduceOpts, ValuesIndices } from './types.js';

type Dims = number | readonly number[] | null | undefined;

/** Runs a backend reduction over `dims` (sorted, normalised); no autograd. */
function reduceKernel(op: ReduceOp, x: Tensor, dims: number[], keepdim: boolean, outDtype: DType): Tensor {
  const keep = [...x.shape.keys()].filter((d) => !dims.includes(d));
  const order = [...keep, ...dims];
  const v = x.view_();
  const view = { ...v, shape: order.map((d) => x.shape[d]!), strides: order.map((d) => x.strides_[d]!) };
  const outShape = keepdim ? x.shape.map((s, d) => (dims.includes(d) ? 1 : s)) : keep.map((d) => x.shape[d]!);
  const out = empty(outShape, outDtype, x.device);
  backendOf(x).reduce(op, view, dims.length, out.view_());
  return out;
}

function dimsOf(x: Tensor, dim: Dims, op: string): number[] {
  if (Array.isArray(dim) && dim.length === 0) return normDims(null, x.ndim, op);
  return normDims(dim as number | readonly number[] | null | undefined, x.ndim, op);
}

function checkNonEmpty(x: Tensor, dims: number[], op: string): void {
  if (dims.some((d) => x.shape[d] === 0) || (x.ndim === 0 ? false : dims.length === 0 && x.numel() === 0)) {
    throw new RangeError(`${op}(): Expected reduction dim to have non-zero size (input shape ${fmtShape(x.shape)})`);
  }
}

/** Sum over dims, all by default (torch.sum); integer inputs accumulate in int32; options { dtype }. */
export function sum(x: Tensor, dim?: Dims, keepdim = false, opts: { dtype?: DType } = {}): Tensor {
  if (isComplex(x.dtype) && !opts.dtype) return complexSum(x, dim === undefined || dim === null ? undefined : typeof dim === 'number' ? [dim] : [...dim], keepdim);
  let inp = opts.dtype ? castTo(x, opts.dtype) : x;
  if (!isFloating(inp.dtype) && inp.dtype !== 'int32') inp = castTo(inp, 'int32');
  const dims = dimsOf(inp, dim, 'sum');
  return record('sum', [inp], reduceKernel('sum', inp, dims, keepdim, inp.dtype), { dims, keepdim });
}

/** Sum over dims treating NaN as zero (torch.nansum). */
export function nansum(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return sum(isFloating(x.dtype) ? where(x.isnan(), 0, x) : x, dim, keepdim);
}

/** Mean over dims, all by default (torch.mean); needs a floating dtype (or options { dtype }). */
export function mean(x: Tensor, dim?: Dims, keepdim = false, opts: { dtype?: DType } = {}): Tensor {
  const inp = opts.dtype ? castTo(x, opts.dtype) : x;
  if (isComplex(inp.dtype)) {
    const ds = dim === undefined || dim === null ? inp.shape.map((_, i) => i) : typeof dim === 'number' ? [dim] : [...dim];
    return sum(inp, ds, keepdim).div(ds.reduce((a, d) => a * (inp.shape[d < 0 ? d + inp.ndim : d] ?? 1), 1));
  }
  if (!isFloating(inp.dtype)) {
    throw new TypeError(`mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ${inp.dtype}`);
  }
  const dims = dimsOf(inp, dim, 'mean');
  const n = dims.reduce((a, d) => a * inp.shape[d]!, 1);
  return sum(inp, dims, keepdim).div(n);
}

/** Mean over dims ignoring NaN elements (torch.nanmean). */
export function nanmean(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const notNan = x.isnan().logicalNot();
  return nansum(x, dim, keepdim).div(sum(notNan, dim, keepdim));
}

/** Product over one dim, or all elements (torch.prod); integer inputs accumulate in int32; options { dtype }. */
export function prod(x: Tensor, dim?: number | null, keepdim = false, opts: { dtype?: DType } = {}): Tensor {
  let inp = opts.dtype ? castTo(x, opts.dtype) : x;
  if (!isFloating(inp.dtype) && inp.dtype !== 'int32') inp = castTo(inp, 'int32');
  const dims = dimsOf(inp, dim, 'prod');
  return record('prod', [inp], reduceKernel('prod', inp, dims, keepdim, inp.dtype), { dims, keepdim });
}

/** Maximum over dims, values only (torch.amax). */
export function amax(x: Tensor, dim?: Dims, keepdim = false): Tensor { return extreme('amax', x, dim, keepdim, false); }
/** Minimum over dims, values only (torch.amin). */
export function amin(x: Tensor, dim?: Dims, keepdim = false): Tensor { return extreme('amin', x, dim, keepdim, false); }
/** amax/amin; nanToNan for max()/min() overall, whose gradient PyTorch gives to the NaN elements when the result is NaN (amax's is NaN everywhere). */
function extreme(op: 'amax' | 'amin', x: Tensor, dim: Dims | undefined, keepdim: boolean, nanToNan: boolean): Tensor {
  const dims = dimsOf(x, dim, op);
  checkNonEmpty(x, dims, op);
  return record(op, [x], reduceKernel(op === 'amax' ? 'max' : 'min', x, dims, keepdim, x.dtype), nanToNan ? { dims, keepdim, nanToNan } : { dims, keepdim });
}
/** Minimum and maximum together, as { min, max } (torch.aminmax); options { dim, keepdim }. */
export function aminmax(x: Tensor, opts: { dim?: number; keepdim?: boolean } = {}): { min: Tensor; max: Tensor } {
  return { min: amin(x, opts.dim, opts.keepdim), max: amax(x, opts.dim, opts.keepdim) };
}

function argReduce(op: 'argmax' | 'argmin', x: Tensor, dim: number | null | undefined, keepdim: boolean): Tensor {
  if (dim === null || dim === undefined) {
    const flat = x.reshape(-1);
    checkNonEmpty(flat, [0], op);
    const r = reduceKernel(op, flat, [0], false, 'int32');
    return keepdim ? r.reshape(x.shape.map(() => 1)) : r;
  }
  const d = normDim(dim, x.ndim, op);
  if (x.ndim === 0) return reduceKernel(op, x.reshape(1), [0], false, 'int32').reshape(keepdim ? [] : []);
  checkNonEmpty(x, [d], op);
  return reduceKernel(op, x, [d], keepdim, 'int32');
}
/** Index of the maximum (of the flattened input when dim is omitted), as int32 (torch.argmax). */
export const argmax = (x: Tensor, dim?: number | null, keepdim = false) => argReduce('argmax', x, dim, keepdim);
/** Index of the minimum (of the flattened input when dim is omitted), as int32 (torch.argmin). */
export const argmin = (x: Tensor, dim?: number | null, keepdim = false) => argReduce('argmin', x, dim, keepdim);

/** values via gather so the gradient flows to the chosen index only, as PyTorch's max(dim). */
function valuesAt(x: Tensor, dim: number, idxKeep: Tensor, keepdim: boolean): ValuesIndices {
  const values = x.gather(dim, idxKeep);
  return keepdim ? { values, indices: idxKeep } : { values: values.squeeze(dim), indices: idxKeep.squeeze(dim) };
}

/** PyTorch's max()/min() errors for an empty input, naming max/min (not the amax/argmax they run). */
function checkMaxMinNonEmpty(op: 'max' | 'min', x: Tensor, dim: number | null): void {
  if (dim === null && x.numel() === 0) {
    throw new RangeError(`${op}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.`);
  }
  if (dim !== null && x.ndim > 0 && x.shape[dim] === 0) throw new RangeError(`${op}(): Expected reduction dim ${dim} to have non-zero size.`);
}

/** max(x) is the overall maximum; max(x, dim, keepdim) gives { values, indices }; max(x, other) is maximum (torch.max). */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function max(x: Tensor, other: Tensor): Tensor;
export function max(x: Tensor, dimOrOther?: number | Tensor, keepdim = false): Tensor | ValuesIndices {
  if (dimOrOther instanceof Tensor) return maximum(x, dimOrOther);
  if (dimOrOther === undefined || dimOrOther === null) { checkMaxMinNonEmpty('max', x, null); return extreme('amax', x, undefined, false, true); }
  const d = normDim(dimOrOther, x.ndim, 'max');
  checkMaxMinNonEmpty('max', x, d);
  if (x.ndim === 0) return { values: x.clone(), indices: argmax(x, 0) };
  return valuesAt(x, d, argmax(x, d, true), keepdim);
}
/** min(x) is the overall minimum; min(x, dim, keepdim) gives { values, indices }; min(x, other) is minimum (torch.min). */
export function min(x: Tensor): Tensor;
export function min(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function min(x: Tensor, other: Tensor): Tensor;
export function min(x: Tensor, dimOrOther?: number | Tensor, keepdim = false): Tensor | ValuesIndices {
  if (dimOrOther instanceof Tensor) return minimum(x, dimOrOther);
  if (dimOrOther === undefined || dimOrOther === null) { checkMaxMinNonEmpty('min', x, null); return extreme('amin', x, undefined, false, true); }
  const d = normDim(dimOrOther, x.ndim, 'min');
  checkMaxMinNonEmpty('min', x, d);
  if (x.ndim === 0) return { values: x.clone(), indices: argmin(x, 0) };
  return valuesAt(x, d, argmin(x, d, true), keepdim);
}

// PyTorch keeps uint8 for uint8 inputs (a legacy rule); every other dtype gives bool.
/** Whether all elements over dims are true (torch.all); returns bool (uint8 for uint8 input). */
export function all(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  // Floats go through castTo's bool rule: NaN is true.
  return reduceKernel('all', isFloating(x.dtype) ? castTo(x, 'bool') : x, dimsOf(x, dim, 'all'), keepdim, x.dtype === 'uint8' ? 'uint8' : 'bool');
}
/** Whether any element over dims is true (torch.any); returns bool (uint8 for uint8 input). */
export function any(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  // Floats go through castTo's bool rule: NaN is true.
  return reduceKernel('any', isFloating(x.dtype) ? castTo(x, 'bool') : x, dimsOf(x, dim, 'any'), keepdim, x.dtype === 'uint8' ? 'uint8' : 'bool');
}
/** Number of nonzero elements over dims (torch.count_nonzero). */
export function countNonzero(x: Tensor, dim?: Dims): Tensor { return sum(castTo(x, 'bool'), dim); } // castTo: NaN counts

/** var(dim, {unbiased|correction, keepdim}) or var(dim, unbiased, keepdim) as in PyTorch. */
/**
 * PyTorch's keyword-only call `x.var(unbiased=False)` / `x.std(correction=0)` puts the options where
 * dim goes: `x.var({ unbiased: false })`, `x.var({ dim: 1, correction: 0 })` are accepted.
 */
function splitVarArgs(dim: Dims | ReduceOpts | undefined, opts: ReduceOpts | boolean | undefined): [Dims | undefined, ReduceOpts | boolean | undefined] {
  if (typeof dim === 'object' && dim !== null && !Array.isArray(dim)) {
    const { dim: d, ...rest } = dim as ReduceOpts;
    return [d ?? null, { ...rest, ...(typeof opts === 'object' ? opts : opts === undefined ? {} : { unbiased: opts }) }];
  }
  return [dim as Dims | undefined, opts];
}
/** Variance over dims (torch.var); var(dim, { unbiased | correction, keepdim }) or var(dim, unbiased, keepdim); Bessel-corrected by default. */
export function var_(x: Tensor, dimArg?: Dims | ReduceOpts, optsArg?: ReduceOpts | boolean, keepdimArg?: boolean): Tensor {
  const [dim, opts] = splitVarArgs(dimArg, optsArg);
  const o: ReduceOpts = typeof opts === 'boolean' ? { unbiased: opts } : opts ?? {};
  const keepdim = keepdimArg ?? o.keepdim ?? false;
  if (!isFloating(x.dtype)) throw new TypeError(`var: input dtype should be floating point, got ${x.dtype}`);
  const correction = o.correction ?? (o.unbiased === false ? 0 : 1);
  const dims = dimsOf(x, dim, 'var');
  const n = dims.reduce((a, d) => a * x.shape[d]!, 1);
  const dev = x.sub(mean(x, dims, true));
  return sum(dev.mul(dev), dims, keepdim).div(Math.max(n - correction, 0));
}
/** Standard deviation over dims (torch.std); same arguments as var. */
export function std(x: Tensor, dim?: Dims | ReduceOpts, opts?: ReduceOpts | boolean, keepdim?: boolean): Tensor {
  return var_(x, dim, opts, keepdim).sqrt();
}
/** Variance and mean together, as [var, mean] (torch.var_mean). */
export function varMean(x: Tensor, dimArg?: Dims | ReduceOpts, optsArg?: ReduceOpts | boolean, keepdim?: boolean): [Tensor, Tensor] {
  const [dim, opts] = splitVarArgs(dimArg, optsArg);
  const o: ReduceOpts = typeof opts === 'boolean' ? { unbiased: opts } : opts ?? {};
  return [var_(x, dim, o, keepdim), mean(x, dim, keepdim ?? o.keepdim ?? false)];
}
/** Standard deviation and mean together, as [std, mean] (torch.std_mean). */
export function stdMean(x: Tensor, dim?: Dims | ReduceOpts, opts?: ReduceOpts | boolean, keepdim?: boolean): [Tensor, Tensor] {
  const [v, m] = varMean(x, dim, opts, keepdim);
  return [v.sqrt(), m];
}

/** s ** (1/p) with a zero gradient where s == 0 (PyTorch's norm backward masks zero norms). */
function rootSafe(s: Tensor, p: number): Tensor {
  const z = s.eq(0);
  const r = where(z, 1, s);
  return where(z, 0, p === 2 ? r.sqrt() : r.pow(1 / p));
}

/**
 * ord 0's backward node. The count of nonzeros is piecewise constant: PyTorch's norm_backward returns
 * an undefined gradient for p = 0, yet the result carries a grad_fn (NormBackward1 for torch.norm,
 * LinalgVectorNormBackward0 for linalg.vector_norm) when x requires grad. Passing null on leaves
 * x.grad unset unless x is used elsewhere, as in PyTorch. The count itself is built from a
 * comparison, which records nothing, so the node is attached here.
 */
class CountNonzeroNormNode extends Node {
  constructor(readonly name: string, private readonly index: number) { super(); }
  override get backwardName(): string { return `${this.name}Backward${this.index}`; }
  apply(): (Tensor | null)[] { return [null]; }
}
/** @internal norm's ord-0 result `count` of x, with PyTorch's gradless node when x requires grad. */
export function countNonzeroNorm(x: Tensor, count: Tensor, name: string, index: number): Tensor {
  if (state.gradEnabled && x.requiresGrad && isFloating(count.dtype)) {
    const node = new CountNonzeroNormNode(name, index);
    node.link([x.gradEdge()]);
    count.setGradFn_(node, 0);
  }
  return count;
}

/** norm(x, p, dim, keepdim), or norm(x, { p, dim, keepdim }) with PyTorch's keywords. */
export function norm(x: Tensor, pArg: NormOrd | NormOpts = 2, dimArg?: Dims, keepdimArg = false): Tensor {
  const o: NormOpts = typeof pArg === 'object' && pArg !== null ? pArg : {};
  const p: NormOrd = typeof pArg === 'object' && pArg !== null ? (o.p ?? 2) : pArg;
  const dim = o.dim ?? dimArg, keepdim = o.keepdim ?? keepdimArg;
  if (!isFloating(x.dtype)) throw new TypeError(`norm(): input dtype should be either floating point or complex. Got ${x.dtype} instead.`);
  const a = x.abs();
  if (p === 'fro' || p === 2) return rootSafe(sum(x.mul(x), dim, keepdim), 2);
  if (p === 'inf' || p === Infinity) return amax(a, dim, keepdim);
  if (p === '-inf' || p === -Infinity) return amin(a, dim, keepdim);
  if (p === 0) return countNonzeroNorm(x, sum(a.ne(0), dim, keepdim).to(x.dtype), 'Norm', 1);
  if (p === 1) return sum(a, dim, keepdim);
  // |x|^p for p < 1 has an infinite slope at 0; PyTorch's mask gives those entries a zero gradient too.
  return rootSafe(sum(a.pow(p), dim, keepdim), p);
}

/** log(sum(exp(x))) over dims, computed stably (torch.logsumexp). */
export function logsumexp(x: Tensor, dim: Dims, keepdim = false): Tensor {
  return composite('logsumexp', { dim: dim ?? null, keepdim }, () => {
    const inp = isFloating(x.dtype) ? x : castTo(x, state.defaultDtype);
    const dims = dimsOf(inp, dim, 'logsumexp');
    if (inp.numel() === 0) return sum(inp.exp(), dims, keepdim).log();
    const m0 = amax(inp, dims, true).detach();
    const m = where(m0.isinf(), 0, m0); // all -inf rows stay -inf instead of NaN
    const r = sum(inp.sub(m).exp(), dims, true).log().add(m);
    return keepdim ? r : r.squeeze(dims);
  });
}

/** Softmax along dim (torch.softmax); options { dtype } casts the input first. */
export function softmax(x: Tensor, dim: number, opts: { dtype?: DType } = {}): Tensor {
  return composite('softmax', { dim, dtype: opts.dtype ?? null }, () => {
    const inp = opts.dtype ? castTo(x, opts.dtype) : x;
    if (!isFloating(inp.dtype)) throw new TypeError(`softmax(): not implemented for ${inp.dtype} input; pass { dtype: 'float32' }`);
    const d = normDim(dim, inp.ndim, 'softmax');
    // One autograd node with PyTorch's softmax_backward_data rule (derivatives.ts): 4 kernels where
    // the chain of sub/exp/sum/div rules ran 9, and only the output is kept.
    const y = noGrad(() => { const e = expShifted(inp, amax(inp, d, true), false); return e.div(sum(e, d, true)); });
    return record('softmax', [inp], y, { dim: d });
  });
}
/** Log of softmax along dim, computed stably (torch.log_softmax); options { dtype }. */
export function logSoftmax(x: Tensor, dim: number, opts: { dtype?: DType } = {}): Tensor {
  return composite('logSoftmax', { dim, dtype: opts.dtype ?? null }, () => {
    const inp = opts.dtype ? castTo(x, opts.dtype) : x;
    if (!isFloating(inp.dtype)) throw new TypeError(`logSoftmax(): not implemented for ${inp.dtype} input; pass { dtype: 'float32' }`);
    const d = normDim(dim, inp.ndim, 'logSoftmax');
    // One node with PyTorch's log_softmax_backward_data rule (derivatives.ts), as softmax.
    // logsumexp's steps (amax, guarded exp, sum) with the exp's shift and the last pass each one kernel
    // where the backend fuses: 4 kernels where the composition ran 9, the same bits. Elsewhere (and
    // in torch.compile's capture, whose graph keeps logsumexp as a named node) the composition.
    const y = noGrad(() => {
      if (inp.numel() === 0 || !backendOf(inp).fused) return inp.sub(logsumexp(inp, d, true));
      const m = amax(inp, d, true);
      return logSoftmaxFromParts(inp, sum(expShifted(inp, m, true), d, true), m);
    });
    return record('logSoftmax', [inp], y, { dim: d });
  });
}

function scanOp(op: ScanOp, x: Tensor, dim: number): Tensor {
  let inp = x;
  if (!isFloating(inp.dtype) && inp.dtype !== 'int32') inp = castTo(inp, 'int32');
  const d = normDim(dim, inp.ndim, op);
  if (inp.ndim === 0) return record(op, [inp], inp.clone().detach(), { dim: 0 });
  const moved = inp.movedim(d, -1);
  const out = empty(moved.shape, inp.dtype, inp.device);
  backendOf(inp).scan(op, moved.view_(), out.view_());
  return record(op, [inp], out.movedim(-1, d), { dim: d });
}
/** Cumulative sum along dim (torch.cumsum); { dtype } casts the input first, as PyTorch's. */
export const cumsum = (x: Tensor, dim: number, opts: { dtype?: DType } = {}) => scanOp('cumsum', opts.dtype ? castTo(x, opts.dtype) : x, dim);
/** Cumulative product along dim (torch.cumprod); { dtype } casts the input first, as PyTorch's. */
export const cumprod = (x: Tensor, dim: number, opts: { dtype?: DType } = {}) => scanOp('cumprod', opts.dtype ? castTo(x, opts.dtype) : x, dim);

/** Sums a broadcast gradient back to `shape` (the adjoint of expand). */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  let r = dims.length ? sum(g, dims, true) : g;
  if (lead > 0 || r.ndim !== shape.length) r = r.reshape(shape);
  if (numel(r.shape) !== numel(shape)) throw new Error(`sumTo: cannot reduce ${fmtShape(g.shape)} to ${fmtShape(shape)}`);
  return r;
}

// ---- order statistics (via sort) ----
/** Median (the lower of the two middles), overall or along dim as { values, indices }; NaN propagates (torch.median). */
export function median(x: Tensor): Tensor;
export function median(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function median(x: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
  if (dim === undefined || dim === null) {
    const flat = x.reshape(-1);
    // PyTorch answers NaN for the median of an empty tensor (floating dtypes).
    if (flat.numel() === 0) {
      if (!isFloating(x.dtype)) throw new RangeError(`median(): cannot compute the median of an empty ${x.dtype} tensor`);
      return flat.sum().mul(NaN); // keeps the graph: the (empty) input still gets a gradient
    }
    // PyTorch's median() backward splits the gradient evenly among the elements equal to the result
    // (evenly_distribute_backward), where median(x, dim) sends it to the one index: one node of its own.
    const value = noGrad(() => median(flat, 0).values);
    return record('medianAll', [x], value, { dims: x.shape.map((_, i) => i), keepdim: false, nanToNan: true });
  }
  const d = normDim(dim, x.ndim, 'median');
  const n = x.ndim ? x.shape[d]! : 1;
  if (!isFloating(x.dtype) || x.ndim === 0) return kthvalue(x, Math.floor((n - 1) / 2) + 1, d, keepdim);
  // A slice holding NaN has median NaN at its first NaN, as PyTorch; argsort puts NaNs last.
  const nan = x.isnan();
  const idx = x.argsort(d).narrow(d, Math.floor((n - 1) / 2), 1);
  const firstNan = argmax(castTo(nan, 'int32'), d, true);
  return valuesAt(x, d, where(any(nan, d, true), firstNan, idx).to('int32'), keepdim);
}
/** k-th smallest value (1-based) along dim, as { values, indices } (torch.kthvalue). */
export function kthvalue(x: Tensor, k: number, dim = -1, keepdim = false): ValuesIndices {
  const d = normDim(dim, x.ndim, 'kthvalue');
  const n = x.ndim ? x.shape[d]! : 1;
  if (k < 1 || k > n) throw new RangeError(`kthvalue(): selected number k out of range for dimension ${d} (k=${k}, size ${n})`);
  const idx = x.argsort(d).narrow(d, k - 1, 1);
  return valuesAt(x, d, idx, keepdim);
}
/**
 * Most frequent value per slice (the smallest among ties), with the index of its last occurrence
 * (PyTorch's CPU rule). On the device, no host read: a stable sort groups equal values into runs;
 * each run's length comes from a scatter-add over run ids; the first position of the longest run
 * (argmax takes the first maximum, so the smallest value wins ties) ends, count - 1 later, at the
 * last occurrence in the original order (the sort is stable).
 */
export function mode(x: Tensor, dim = -1, keepdim = false): ValuesIndices {
  const d = normDim(dim, x.ndim, 'mode');
  if (x.ndim === 0) return { values: x.clone(), indices: zeros([], { dtype: 'int32', device: x.device }) };
  const L = x.shape[d]!;
  if (L === 0) throw new RangeError(`mode(): Expected reduction dim ${d} to have non-zero size.`);
  const moved = x.detach().movedim(d, -1);
  const { values: s, indices: p } = moved.sort(-1);
  const first = full([...s.shape.slice(0, -1), 1], 1, { dtype: 'int32', device: x.device });
  const starts = L > 1 ? cat([first, castTo(s.narrow(-1, 1, L - 1).ne(s.narrow(-1, 0, L - 1)), 'int32')], -1) : first;
  const run = starts.cumsum(-1).sub(1).to('int32'); // run id of each sorted position
  // float32 counts: exact below 2^24 and scatter-added natively on every backend
  const counts = zeros(s.shape, { dtype: 'float32', device: x.device }).scatterAdd(-1, run, full(s.shape, 1, { dtype: 'float32', device: x.device })).gather(-1, run);
  const best = counts.argmax(-1, true);
  const last = best.add(counts.gather(-1, best).to('int32')).sub(1).to('int32');
  const idxKeep = p.gather(-1, last).movedim(-1, d);
  return valuesAt(x, d, idxKeep, keepdim);
}
