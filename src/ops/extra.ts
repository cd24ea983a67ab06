// PyTorch conveniences users reach for, composed from existing ops (so they run and differentiate on
// every backend): elementwise extras (sinc, logit, heaviside, copysign, signbit, deg2rad, floatPower),
// flips/rotations, unfold/repeatInterleave/take/put/indexPut/maskedScatter, quantile/nanmedian and
// the add* matrix products (addmv, addr, baddbmm, addbmm).

import { isFloating } from '../dtype.js';
import { broadcastShapes, fmtShape, normDim } from '../shape.js';
import { Tensor } from '../tensor.js';
import { checkDevices, checkMaskShapes } from './prim.js';
import { abs, castTo, isnan, logicalAnd, logicalOr, pow, sin, where } from './elementwise.js';
import { arange, full, zeros } from './creation.js';
import { expand, flip, movedim, narrow, transpose } from './shape.js';
import { I32_MAX, checkRange, gather, indexAdd, indexSelect, nonzero, scatter } from './indexing.js';
import { bmm, mv, outer } from './linalg.js';
import { bincountWith } from './search.js';
import { floatOf, floatPair } from './special.js';
import type { TensorOrScalar, ValuesIndices } from './types.js';


// ---------------------------------------------------------------- elementwise

/** sin(pi x) / (pi x), 1 at 0 (the 0 is routed around the division so its gradient is 0, not NaN). */
export function sinc(x: Tensor): Tensor {
  const f = floatOf(x);
  const zero = f.eq(0);
  const px = where(zero, 1, f).mul(Math.PI);
  return where(zero, 1, sin(px).div(px));
}

/** log(x / (1 - x)); with eps, x is first clamped to [eps, 1 - eps] (zero gradient outside, as PyTorch). */
export function logit(x: Tensor, eps: number | null | { eps?: number | null } = null): Tensor {
  const e = typeof eps === 'object' && eps !== null ? eps.eps ?? null : eps;
  let f = floatOf(x);
  if (e !== null && e !== undefined) f = f.clamp(e, 1 - e);
  return f.div(f.neg().add(1)).log();
}

/** Elementwise conversion from degrees to radians (torch.deg2rad). */
export function deg2rad(x: Tensor): Tensor { return floatOf(x).mul(Math.PI / 180); }
/** Elementwise conversion from radians to degrees (torch.rad2deg). */
export function rad2deg(x: Tensor): Tensor { return floatOf(x).mul(180 / Math.PI); }

/** True where the sign bit is set: negatives and -0 (told from +0 by 1/x = -inf). */
export function signbit(x: Tensor): Tensor {
  if (x.dtype === 'bool' || x.dtype === 'uint8') return zeros(x.shape, { dtype: 'bool', device: x.device });
  if (!isFloating(x.dtype)) return x.lt(0);
  return logicalOr(x.lt(0), logicalAnd(x.eq(0), x.detach().reciprocal().lt(0)));
}

/** |a| with the sign of b (b's -0 counts as negative); floating result; gradient flows to a only. */
export function copysign(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  const [x, y] = floatPair('copysign', a, b);
  return abs(x).mul(where(signbit(y), -1, 1));
}

/** Step function: 0 below 0, 1 above, `values` at 0. Both must share a dtype (PyTorch's rule). */
export function heaviside(x: Tensor, values: Tensor): Tensor {
  if (x.dtype !== values.dtype) throw new TypeError(`heaviside is not yet implemented for tensors with different dtypes (got ${x.dtype} and ${values.dtype})`);
  checkDevices('heaviside', x, values);
  const xd = x.detach();
  return where(xd.eq(0), values.detach(), castTo(xd.gt(0), x.dtype));
}

/** pow computed in float64 (PyTorch's float_power). */
export function floatPower(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) throw new TypeError('floatPower: expected at least one Tensor argument');
  return pow(a instanceof Tensor ? castTo(a, 'float64') : a, b instanceof Tensor ? castTo(b, 'float64') : b);
}

/** +x: x itself (PyTorch returns self), refused for bool as PyTorch does. */
export function positive(x: Tensor): Tensor {
  if (x.dtype === 'bool') throw new TypeError('The `+` operator, on a bool tensor is not supported.');
  return x;
}

// ---------------------------------------------------------------- flips and rotations

/** Reverses dim 1 (left/right) of an at least 2-D tensor (torch.fliplr). */
export function fliplr(x: Tensor): Tensor {
  if (x.ndim < 2) throw new RangeError(`fliplr: Input must be >= 2-d (got ${x.ndim}-d)`);
  return flip(x, [1]);
}
/** Reverses dim 0 (up/down) of an at least 1-D tensor (torch.flipud). */
export function flipud(x: Tensor): Tensor {
  if (x.ndim < 1) throw new RangeError('flipud: Input must be >= 1-d (got 0-d)');
  return flip(x, [0]);
}

/** Rotates by 90 degrees k times in the plane of dims, from the first towards the second. */
export function rot90(x: Tensor, k = 1, dims: readonly number[] = [0, 1]): Tensor {
  if (dims.length !== 2) throw new RangeError(`rot90: expected total rotation dims == 2, but got dims = ${dims.length}`);
  if (x.ndim < 2) throw new RangeError(`rot90: expected total dims >= 2, but got total dims = ${x.ndim}`);
  const d0 = normDim(dims[0]!, x.ndim, 'rot90'), d1 = normDim(dims[1]!, x.ndim, 'rot90');
  if (d0 === d1) throw new RangeError(`rot90: expected rotation dims to be different, but got dim0 = ${d0} and dim1 = ${d1}`);
  switch (((k % 4) + 4) % 4) {
    case 1: return transpose(flip(x, [d1]), d0, d1);
    case 2: return flip(x, [d0, d1]);
    case 3: return transpose(flip(x, [d0]), d0, d1);
    default: return x.clone();
  }
}

// ---------------------------------------------------------------- windows, repeats, flat indexing

/**
 * x.unfold(dim, size, step): every window of `size` along dim, as a new last dim. A copy (one
 * indexSelect of all window positions) rather than PyTorch's strided view; values and gradients agree.
 */
export function unfold(x: Tensor, dimension: number, size: number, step: number): Tensor {
  const d = x.ndim === 0 ? 0 : normDim(dimension, x.ndim, 'unfold');
  const n = x.ndim === 0 ? 1 : x.shape[d]!;
  if (size > n) throw new RangeError(`maximum size for tensor at dimension ${d} is ${n} but size is ${size}`);
  if (step <= 0) throw new RangeError(`step is ${step} but must be > 0`);
  if (size < 0) throw new RangeError(`size is ${size} but must be >= 0`);
  if (x.ndim === 0) return x.reshape([1]);
  const count = Math.floor((n - size) / step) + 1;
  const dev = x.device;
  const idx = arange(0, count * step, step, { dtype: 'int32', device: dev }).reshape([count, 1])
    .add(arange(0, size, 1, { dtype: 'int32', device: dev }).reshape([1, size])).reshape([-1]).to('int32');
  const picked = indexSelect(x, d, idx);
  const shaped = picked.reshape([...x.shape.slice(0, d), count, size, ...x.shape.slice(d + 1)]);
  return movedim(shaped, d + 1, -1);
}

/** Options for repeatInterleave: { outputSize } (the total output length along dim, when known). */
export interface RepeatInterleaveOpts {
  /** The total output length along the dim, if known (checked against the repeats). */
  outputSize?: number | null;
}

/**
 * repeatInterleave(x, repeats, dim?, { outputSize }): each element (slice along dim; of the flattened
 * input without dim) repeated. Tensor repeats become a gather index through a histogram of their
 * cumulative sum; the total comes from outputSize, or is read from the repeats (synchronous devices).
 * repeatInterleave(repeats) alone gives the indices [0, 0, 1, ...] (PyTorch's one-argument form).
 */
export function repeatInterleave(x: Tensor, repeats?: Tensor | number | null, dim?: number | null, opts: RepeatInterleaveOpts = {}): Tensor {
  if (repeats === undefined || repeats === null) {
    if (x.ndim !== 1 || isFloating(x.dtype) || x.dtype === 'bool') throw new RangeError(`repeat_interleave only accept 1D vector as repeat (got ${fmtShape(x.shape)} ${x.dtype})`);
    return repeatInterleave(arange(0, x.shape[0]!, 1, { dtype: 'int32', device: x.device }), x, 0, opts);
  }
  let input = x, d: number;
  if (dim === undefined || dim === null) { input = x.reshape([-1]); d = 0; } else d = normDim(dim, Math.max(x.ndim, 1), 'repeatInterleave');
  if (input.ndim === 0) input = input.reshape([1]);
  const n = input.shape[d]!;
  if (typeof repeats === 'number') {
    if (!Number.isInteger(repeats) || repeats < 0) throw new RangeError(`repeat_interleave: repeats can not be negative (got ${repeats})`);
    const sh = input.shape;
    const e = input.unsqueeze(d + 1).expand([...sh.slice(0, d + 1), repeats, ...sh.slice(d + 1)]);
    return e.reshape([...sh.slice(0, d), n * repeats, ...sh.slice(d + 1)]);
  }
  if (isFloating(repeats.dtype) || repeats.dtype === 'bool') throw new TypeError(`repeat_interleave: repeats has to be an integer tensor (got ${repeats.dtype})`);
  if (repeats.ndim > 1) throw new RangeError('repeat_interleave: repeats must be 0-dim or 1-dim tensor');
  checkDevices('repeatInterleave', x, repeats);
  let r = repeats.reshape([-1]).to('int32');
  if (r.numel() === 1 && n !== 1) r = r.expand([n]);
  if (r.numel() !== n) throw new RangeError(`repeats must have the same size as input along dim, but got repeats.size(0) = ${r.numel()} and input.size(${d}) = ${n}`);
  checkRange(r, 0, I32_MAX, 'repeat_interleave: repeats can not be negative (got $V)');
  let total = opts.outputSize ?? (n === 0 ? 0 : null); // nothing to repeat: known without a read
  if (total === null) {
    if (!r.storage.backend.synchronous) {
      throw new Error(`repeatInterleave: the output size depends on the repeats on '${r.device}', which are only readable asynchronously; pass { outputSize }`);
    }
    total = r.sum().itemSync() as number;
  }
  if (total === 0 || n === 0) return narrow(input, d, 0, 0).clone();
  // Output j takes row #{ends <= j}: a histogram of the run ends, cumulated (O(n + total), where a
  // searchsorted of every j against every end would be O(n * total)).
  // (Ends past total, from an outputSize below the sum, all land in the dropped last bin.)
  const ends = r.cumsum(0).clamp(null, total).to('int32');
  const idx = bincountWith(ends, null, total + 1).cumsum(0).narrow(0, 0, total);
  return indexSelect(input, d, idx.clamp(0, n - 1).to('int32'));
}

/** Flat positions: int index checked against [-n, n) and wrapped. */
function flatIndex(op: string, index: Tensor, n: number): Tensor {
  if (index.dtype !== 'int32' && index.dtype !== 'uint8') throw new TypeError(`${op}(): Expected a long tensor for index, but got ${index.dtype}`);
  const i = index.reshape([-1]).to('int32');
  checkRange(i, -n, n - 1, `${op}(): out of range: tried to access index $V on a tensor of ${n} elements.`);
  const w = where(i.lt(0), i.add(n), i);
  return (n > 0 ? w.clamp(0, n - 1) : w).to('int32');
}

/** x.take(index): x flattened, picked at index (negative wraps), in index's shape. */
export function take(x: Tensor, index: Tensor): Tensor {
  checkDevices('take', x, index);
  const n = x.numel();
  if (n === 0 && index.numel() > 0) throw new RangeError('take(): tried to take from an empty tensor');
  return indexSelect(x.reshape([-1]), 0, flatIndex('take', index, n)).reshape(index.shape);
}

/** put(x, index, source, { accumulate }): x flattened, with source written (or added) at index. */
export function put(x: Tensor, index: Tensor, source: Tensor, opts: { accumulate?: boolean } = {}): Tensor {
  checkDevices('put', x, index, source);
  if (index.numel() !== source.numel()) throw new RangeError(`put_(): Expected source and index to have the same number of elements, but got source.numel() = ${source.numel()}, index.numel() = ${index.numel()}`);
  if (source.dtype !== x.dtype) throw new TypeError(`put_(): self and source expected to have the same dtype, but got self.dtype = ${x.dtype} and source.dtype = ${source.dtype}`);
  const flat = x.reshape([-1]);
  const idx = flatIndex('put_', index, flat.numel());
  const src = source.reshape([-1]);
  return (opts.accumulate ? indexAdd(flat, 0, idx, src) : scatter(flat, 0, idx, src)).reshape(x.shape);
}

/**
 * takeAlongDim(x, indices, dim?): gather after broadcasting x and indices over every dim but dim
 * (without dim: both flattened), as PyTorch's take_along_dim.
 */
export function takeAlongDim(x: Tensor, indices: Tensor, dim?: number | null): Tensor {
  if (isFloating(indices.dtype) || indices.dtype === 'bool') throw new TypeError(`torch.take_along_dim(): dtype of indices should be Long but got ${indices.dtype}`);
  if (dim === undefined || dim === null) return gather(x.reshape([-1]), 0, indices.reshape([-1]).to('int32'));
  if (x.ndim !== indices.ndim) {
    throw new RangeError(`torch.take_along_dim(): input and indices should have the same number of dimensions, but got ${x.ndim} dimensions for input, and ${indices.ndim} dimensions for indices`);
  }
  const d = normDim(dim, x.ndim, 'takeAlongDim');
  const iShape = broadcastShapes('takeAlongDim', x.shape.map((s, k) => (k === d ? indices.shape[d]! : s)), indices.shape);
  const xShape = broadcastShapes('takeAlongDim', indices.shape.map((s, k) => (k === d ? x.shape[d]! : s)), x.shape);
  return gather(expand(x, xShape), d, expand(indices.to('int32'), iShape));
}

/** Positions of nonzero elements (PyTorch's argwhere is nonzero): synchronous devices; nonzeroAsync elsewhere. */
export function argwhere(x: Tensor): Tensor { return nonzero(x); }

/** x.narrow(...) as a fresh contiguous copy. */
export function narrowCopy(x: Tensor, dim: number, start: number, length: number): Tensor { return narrow(x, dim, start, length).clone(); }

/**
 * indexPut(x, indices, values, { accumulate }): x[indices] = values for int32 index tensors on the
 * leading dims (broadcast together; bool masks become their nonzero coordinates on synchronous devices).
 * Written as one scatter (or indexAdd when accumulating) into x viewed as [indexed positions, rest...].
 */
export function indexPut(x: Tensor, indices: readonly (Tensor | null)[], values: Tensor, opts: { accumulate?: boolean } = {}): Tensor {
  checkMaskShapes(x, indices);
  const idx: Tensor[] = [];
  for (const i of indices) {
    if (i === null) throw new TypeError('indexPut: null (a full slice) in indices is not supported; index the leading dims');
    if (i.dtype === 'bool' || i.dtype === 'uint8') {
      const nz = nonzero(i);
      for (let k = 0; k < i.ndim; k++) idx.push(nz.select(1, k));
    } else if (isFloating(i.dtype)) {
      throw new TypeError(`indexPut: tensors used as indices must be long, byte or bool tensors (got ${i.dtype})`);
    } else idx.push(i);
  }
  if (idx.length > x.ndim) throw new RangeError(`indexPut: too many indices for tensor of dimension ${x.ndim} (got ${idx.length})`);
  checkDevices('indexPut', x, values, ...idx);
  if (values.dtype !== x.dtype) throw new TypeError(`Index put requires the source and destination dtypes match, got ${x.dtype} for the destination and ${values.dtype} for the source.`);
  const k = idx.length;
  const sizes = x.shape.slice(0, k), rest = x.shape.slice(k);
  const bshape = broadcastShapes('indexPut', ...idx.map((i) => i.shape));
  let lin: Tensor | null = null;
  idx.forEach((i, j) => {
    const w = flatIndexDim(i, sizes[j]!, j).expand(bshape);
    lin = lin === null ? w : lin.mul(sizes[j]!).add(w);
  });
  const m = bshape.reduce((a, b) => a * b, 1);
  const flat = x.reshape([sizes.reduce((a, b) => a * b, 1), ...rest]);
  const vals = expand(values, [...bshape, ...rest]).reshape([m, ...rest]);
  const li = (lin ?? zeros([], { dtype: 'int32', device: x.device })).reshape([-1]).to('int32');
  const out = opts.accumulate
    ? indexAdd(flat, 0, li, vals)
    : scatter(flat, 0, li.reshape([m, ...rest.map(() => 1)]).expand([m, ...rest]), vals);
  return out.reshape(x.shape);
}
function flatIndexDim(i: Tensor, size: number, dim: number): Tensor {
  const t = i.to('int32');
  checkRange(t, -size, size - 1, `index $V is out of bounds for dimension ${dim} with size ${size}`);
  const w = where(t.lt(0), t.add(size), t);
  return (size > 0 ? w.clamp(0, size - 1) : w).to('int32');
}

/**
 * maskedScatter(x, mask, source): x with its masked positions (mask broadcast to x) filled by
 * source's leading elements in row-major order: the k-th true takes source.flatten()[k], found by a
 * cumulative sum of the mask, so no host read is needed.
 */
export function maskedScatter(x: Tensor, mask: Tensor, source: Tensor): Tensor {
  if (mask.dtype !== 'bool') throw new TypeError(`masked_scatter_ only supports boolean masks, but got mask with dtype ${mask.dtype}`);
  if (source.dtype !== x.dtype) throw new TypeError(`masked_scatter: expected self and source to have same dtypes but got ${x.dtype} and ${source.dtype}`);
  checkDevices('maskedScatter', x, mask, source);
  const shape = broadcastShapes('maskedScatter', x.shape, mask.shape);
  if (shape.length !== x.ndim || shape.some((s, i) => s !== x.shape[i])) throw new RangeError(`maskedScatter: mask ${fmtShape(mask.shape)} must be broadcastable to self ${fmtShape(x.shape)}`);
  const m = expand(mask, shape).reshape([-1]);
  const srcFlat = source.reshape([-1]);
  if (srcFlat.numel() === 0) return where(expand(mask, shape), x, x); // PyTorch checks the count at run time; nothing to take
  const pos = castTo(m, 'int32').cumsum(0).sub(1).to('int32');
  checkRange(where(m, pos, 0).to('int32'), 0, srcFlat.numel() - 1, 'masked_scatter: expected source to have at least as many elements as ones in mask (needs index $V)');
  const safe = where(m, pos, 0).clamp(0, srcFlat.numel() - 1).to('int32');
  return where(expand(mask, shape), gather(srcFlat, 0, safe).reshape(shape), x);
}

// ---------------------------------------------------------------- quantiles and medians

/** How quantile picks between two neighbouring data points: 'linear' (default), 'lower', 'higher', 'midpoint' or 'nearest'. */
export type QuantileInterpolation = 'linear' | 'lower' | 'higher' | 'midpoint' | 'nearest';
/** Options for quantile/nanquantile: { interpolation }. */
export interface QuantileOpts {
  /** How to pick between the two nearest ranks: 'linear' (default), 'lower', 'higher', 'nearest' or 'midpoint'. */
  interpolation?: QuantileInterpolation;
}

function quantileImpl(op: 'quantile' | 'nanquantile', x: Tensor, q: number | Tensor, dim: number | null | undefined, keepdim: boolean, opts: QuantileOpts): Tensor {
  const interp = opts.interpolation ?? 'linear';
  if (!['linear', 'lower', 'higher', 'midpoint', 'nearest'].includes(interp)) throw new RangeError(`${op}() interpolation must be one of linear, lower, higher, midpoint or nearest. Got ${String(interp)}`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new TypeError(`${op}() input tensor must be either float or double dtype (got ${x.dtype})`);
  let qt: Tensor;
  if (q instanceof Tensor) {
    if (q.ndim > 1) throw new RangeError(`${op}() q must be a scalar or 1D tensor (got ${q.ndim}-D)`);
    if (q.dtype !== x.dtype) throw new TypeError(`${op}() q tensor must be same dtype as the input tensor (got ${q.dtype} and ${x.dtype})`);
    checkDevices(op, x, q);
    qt = q.detach();
  } else {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`${op}() q must be in the range [0, 1] but got ${q}`);
    qt = full([], q, { dtype: x.dtype, device: x.device });
  }
  if (x.numel() === 0) throw new RangeError(`${op}() input tensor must be non-empty`);
  const Q = qt.numel();
  // Reduce over the last dim of `moved` ([...batch, n]); the q dim leads the result, as PyTorch.
  let moved: Tensor, d = -1;
  if (dim === undefined || dim === null) moved = x.reshape([-1]);
  else { d = normDim(dim, Math.max(x.ndim, 1), op); moved = x.ndim === 0 ? x.reshape([1]) : movedim(x, d, -1); }
  const n = moved.shape[moved.ndim - 1]!;
  const batch = moved.shape.slice(0, -1);
  const sorted = moved.sort(-1).values; // NaNs sort last
  const nan = isnan(moved.detach());
  const qv = qt.reshape([Q, ...batch.map(() => 1), 1]);
  let ranks: Tensor;
  if (op === 'nanquantile') {
    // An all-NaN slice gets rank 0 (its first sorted NaN; PyTorch clamps the negative rank to 0).
    const k = nan.logicalNot().sum(-1, true).to(x.dtype);
    ranks = qv.mul(k.sub(1)).clamp(0, null);
  } else {
    ranks = where(nan.any(-1, true), n - 1, qv.mul(n - 1));
  }
  if (interp === 'lower') ranks = ranks.floor();
  else if (interp === 'higher') ranks = ranks.ceil();
  else if (interp === 'nearest') ranks = ranks.round();
  const target = [Q, ...batch, 1];
  const se = expand(sorted.unsqueeze(0), [Q, ...batch, n]);
  const below = ranks.floor().to('int32').expand(target);
  let r = gather(se, -1, below);
  if (interp === 'linear' || interp === 'midpoint') {
    const above = ranks.ceil().to('int32').expand(target);
    const w = interp === 'midpoint' ? full([], 0.5, { dtype: x.dtype, device: x.device }) : ranks.sub(ranks.floor());
    const b = gather(se, -1, above);
    r = r.add(w.mul(b.sub(r)));
  }
  // r: [Q, ...batch, 1]
  if (dim === undefined || dim === null) r = keepdim ? r.reshape([Q, ...x.shape.map(() => 1)]) : r.reshape([Q]);
  else if (x.ndim === 0) r = r.reshape([Q]);
  else r = keepdim ? movedim(r, -1, d + 1) : r.squeeze(-1);
  return q instanceof Tensor && q.ndim === 1 ? r : r.squeeze(0);
}

/** q-th quantiles (q in [0, 1], a number or 1-D tensor) over dim or all elements (torch.quantile); float32/float64 only. */
export function quantile(x: Tensor, q: number | Tensor, dim?: number | null, keepdim = false, opts: QuantileOpts = {}): Tensor {
  return quantileImpl('quantile', x, q, dim, keepdim, opts);
}
/** quantile ignoring NaN elements (torch.nanquantile). */
export function nanquantile(x: Tensor, q: number | Tensor, dim?: number | null, keepdim = false, opts: QuantileOpts = {}): Tensor {
  return quantileImpl('nanquantile', x, q, dim, keepdim, opts);
}

/**
 * Median ignoring NaN (lower median of the non-NaN values; NaN when a slice is all NaN, with the index
 * of its first element: PyTorch's index there depends on its selection algorithm's order).
 */
export function nanmedian(x: Tensor): Tensor;
export function nanmedian(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function nanmedian(x: Tensor, dim?: number | null, keepdim = false): Tensor | ValuesIndices {
  if (!isFloating(x.dtype)) return dim === undefined || dim === null ? x.median() : x.median(dim, keepdim);
  if (dim === undefined || dim === null) {
    if (x.numel() === 0) return x.reshape([-1]).sum().mul(NaN);
    return nanmedian(x.reshape([-1]), 0).values;
  }
  const d = normDim(dim, Math.max(x.ndim, 1), 'nanmedian');
  if (x.ndim === 0) return { values: x.clone(), indices: zeros([], { dtype: 'int32', device: x.device }) };
  const order = x.argsort(d); // NaNs last, stable
  const k = isnan(x.detach()).logicalNot().sum(d, true);
  const pos = k.sub(1).div(2, { roundingMode: 'floor' }).clamp(0, null).to('int32');
  const idx = gather(order, d, pos).to('int32');
  const values = gather(x, d, idx);
  return keepdim ? { values, indices: idx } : { values: values.squeeze(d), indices: idx.squeeze(d) };
}

// ---------------------------------------------------------------- add* matrix products

interface BetaAlpha { beta?: number; alpha?: number }
/** beta * input + alpha * prod; beta = 0 ignores input (NaN in it does not propagate), as PyTorch. */
function addScaled(op: string, input: Tensor, prod: Tensor, opts: BetaAlpha): Tensor {
  const beta = opts.beta ?? 1, alpha = opts.alpha ?? 1;
  const shape = broadcastShapes(op, input.shape, prod.shape);
  if (shape.length !== prod.ndim || shape.some((s, i) => s !== prod.shape[i])) {
    throw new RangeError(`${op}: input ${fmtShape(input.shape)} is not broadcastable to the product's shape ${fmtShape(prod.shape)}`);
  }
  const p = alpha === 1 ? prod : prod.mul(alpha);
  if (beta === 0) return p;
  return p.add(beta === 1 ? input : input.mul(beta));
}
/** beta * input + alpha * (mat @ vec) (torch.addmv); options { beta, alpha }. */
export function addmv(input: Tensor, mat: Tensor, vec: Tensor, opts: BetaAlpha = {}): Tensor { return addScaled('addmv', input, mv(mat, vec), opts); }
/** beta * input + alpha * outer(vec1, vec2) (torch.addr); options { beta, alpha }. */
export function addr(input: Tensor, vec1: Tensor, vec2: Tensor, opts: BetaAlpha = {}): Tensor {
  if (vec1.ndim !== 1 || vec2.ndim !== 1) throw new RangeError(`addr: Expected 1-D argument vec1 and vec2, but got ${vec1.ndim}-D and ${vec2.ndim}-D`);
  return addScaled('addr', input, outer(vec1, vec2), opts);
}
/** beta * input + alpha * bmm(batch1, batch2) (torch.baddbmm); options { beta, alpha }. */
export function baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, opts: BetaAlpha = {}): Tensor { return addScaled('baddbmm', input, bmm(batch1, batch2), opts); }
/** beta * input + alpha * sum over the batch of bmm(batch1, batch2) (torch.addbmm); options { beta, alpha }. */
export function addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, opts: BetaAlpha = {}): Tensor {
  if (batch1.ndim !== 3 || batch2.ndim !== 3) throw new RangeError(`addbmm: batch1 must be a 3D tensor (got ${batch1.ndim}-D and ${batch2.ndim}-D)`);
  return addScaled('addbmm', input, bmm(batch1, batch2).sum(0), opts);
}

// ---------------------------------------------------------------- distances

/**
 * torch.dist(a, b, p = 2): the p-norm of a - b (broadcast together, flattened), a 0-d tensor of the
 * promoted floating dtype; p may be any number, Infinity or -Infinity. Its gradient is norm's.
 */
export function dist(a: Tensor, b: Tensor, p: number = 2): Tensor {
  checkDevices('dist', a, b);
  broadcastShapes('dist', a.shape, b.shape);
  return a.sub(b).norm(p);
}
