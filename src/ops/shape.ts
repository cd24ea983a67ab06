// Views and layout: reshape/view, permute/transpose, expand, slice/narrow/select, squeeze family,
// split/chunk/unbind (all sharing storage, as PyTorch), plus the copying layout ops flip, roll,
// repeat, tile, tril/triu, cat/stack, and in-place writes (`inplace`, `fill_`).

import { canCast, isComplex } from '../dtype.js';
import { complexCat, complexFlip, viewAsComplex, viewAsReal } from './complex.js';
import { fmtShape, inferShape, normDim, normDims, numel, shapeArg, viewStrides, broadcastShapes } from '../shape.js';
import { state } from '../state.js';
import { Tensor } from '../tensor.js';
import { backendOf, checkDevices, empty, promote, record, recordMulti } from './prim.js';
import { castTo, clone, where } from './elementwise.js';
import { arange } from './creation.js';
import type { TensorOrScalar } from './types.js';

type ShapeArgs = (number | readonly number[])[];

/** Same data with a new shape (one -1 inferred): a view when strides allow, else a copy (torch.reshape). */
export function reshape(x: Tensor, ...shapeArgs: ShapeArgs): Tensor {
  const shape = inferShape(shapeArg(shapeArgs, 'reshape'), x.numel(), 'reshape');
  const st = viewStrides(x.shape, x.strides_, shape);
  const src = st ? x : contiguousCopy(x);
  const out = src.asView_(shape, st ?? viewStrides(src.shape, src.strides_, shape)!, src.offset);
  if (src !== x) src.dispose(); // the view alone owns the copy, so disposing the result frees it
  return record('reshape', [x], out, { shape });
}

/** A view with a new shape (one -1 inferred); throws when strides do not allow it (Tensor.view). */
export function view(x: Tensor, ...shapeArgs: ShapeArgs): Tensor {
  const shape = inferShape(shapeArg(shapeArgs, 'view'), x.numel(), 'view');
  const st = viewStrides(x.shape, x.strides_, shape);
  if (!st) {
    throw new Error(`view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces): ` +
      `input ${fmtShape(x.shape)} with strides ${fmtShape(x.strides_)} to ${fmtShape(shape)}. Use .reshape(...) instead.`);
  }
  return record('reshape', [x], x.asView_(shape, st, x.offset), { shape });
}

function contiguousCopy(x: Tensor): Tensor {
  if (x.dtype === 'complex64' || x.dtype === 'complex128') return clone(x).detach();
  const out = empty(x.shape, x.dtype, x.device);
  backendOf(x).copy(x.view_(), out.view_());
  return out;
}
/** x itself when contiguous, else a contiguous copy (Tensor.contiguous). */
export function contiguous(x: Tensor): Tensor { return x.isContiguous() ? x : clone(x); }

/** A view with dims reordered (torch.permute). */
export function permute(x: Tensor, ...dimArgs: ShapeArgs): Tensor {
  const raw = shapeArg(dimArgs, 'permute');
  if (raw.length !== x.ndim) {
    throw new RangeError(`permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = ${x.ndim} is not equal to len(dims) = ${raw.length}`);
  }
  const dims = raw.map((d) => normDim(d, x.ndim, 'permute'));
  if (new Set(dims).size !== dims.length) throw new RangeError(`permute(): duplicate dims are not allowed (${fmtShape(raw)})`);
  const out = x.asView_(dims.map((d) => x.shape[d]!), dims.map((d) => x.strides_[d]!), x.offset);
  return record('permute', [x], out, { dims });
}

/** A view with dims d0 and d1 swapped (torch.transpose). */
export function transpose(x: Tensor, d0: number, d1: number): Tensor {
  if (x.ndim === 0) return x.asView_([], [], x.offset);
  const a = normDim(d0, x.ndim, 'transpose'), b = normDim(d1, x.ndim, 'transpose');
  const dims = [...x.shape.keys()];
  dims[a] = b; dims[b] = a;
  return permute(x, dims);
}

/** Transpose of a matrix; 0-d and 1-d tensors are returned as is (torch.t). */
export function t(x: Tensor): Tensor {
  if (x.ndim > 2) throw new RangeError(`t() expects a tensor with <= 2 dimensions, but self is ${x.ndim}D`);
  return x.ndim < 2 ? permute(x, [...x.shape.keys()]) : transpose(x, 0, 1); // permute: a recorded view
}

/** A broadcast view to a larger shape (-1 keeps a size), without copying (Tensor.expand). */
export function expand(x: Tensor, ...shapeArgs: ShapeArgs): Tensor {
  const target = shapeArg(shapeArgs, 'expand');
  if (target.length < x.ndim) {
    throw new RangeError(`expand: the number of sizes provided (${target.length}) must be greater or equal to the number of dimensions in the tensor (${x.ndim})`);
  }
  const lead = target.length - x.ndim;
  const shape: number[] = [], strides: number[] = [];
  target.forEach((s, i) => {
    const j = i - lead;
    const cur = j >= 0 ? x.shape[j]! : 1;
    const want = s === -1 ? (j >= 0 ? cur : -1) : s;
    if (want < 0) throw new RangeError(`expand: -1 is not allowed in a leading, non-existing dimension (target ${fmtShape(target)})`);
    if (j >= 0 && cur !== want && cur !== 1) {
      throw new RangeError(`The expanded size of the tensor (${want}) must match the existing size (${cur}) at non-singleton dimension ${i}.  Target sizes: ${fmtShape(target)}.  Tensor sizes: ${fmtShape(x.shape)}`);
    }
    shape.push(want);
    strides.push(j >= 0 && cur === want ? x.strides_[j]! : 0);
  });
  if (shape.length === x.ndim && shape.every((s, i) => s === x.shape[i])) return x;
  return record('expand', [x], x.asView_(shape, strides, x.offset), { shape });
}

/** x[start:end:step] along dim with Python's clamping of out-of-range bounds. */
export function slice(x: Tensor, dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
  const d = normDim(dim, x.ndim, 'slice');
  if (!Number.isInteger(step) || step <= 0) throw new RangeError(`slice: step must be positive, got ${step}`);
  const n = x.shape[d]!;
  const clampIdx = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
  const s = start === undefined || start === null ? 0 : clampIdx(start);
  const e = Math.max(end === undefined || end === null ? n : clampIdx(end), s);
  const len = Math.ceil((e - s) / step);
  return record('slice', [x], sliceView(x, d, s, len, step), { dim: d, start: s, end: e, step });
}

/** The view of `len` elements from s, every step-th, along dim d (no autograd). */
function sliceView(x: Tensor, d: number, s: number, len: number, step: number): Tensor {
  const shape = [...x.shape]; shape[d] = len;
  const strides = [...x.strides_]; strides[d] = x.strides_[d]! * step;
  return x.asView_(shape, strides, x.offset + (len > 0 ? s * x.strides_[d]! : 0));
}

/** The adjoint of slice: zeros of `shape` with g placed at [start::step] along dim. */
export function unslice(g: Tensor, shape: readonly number[], dim: number, start: number, step: number): Tensor {
  if (isComplex(g.dtype)) return viewAsComplex(unslice(viewAsReal(g), [...shape, 2], dim, start, step)); // the pair dim is last: dim is unchanged
  const out = empty(shape, g.dtype, g.device);
  const be = backendOf(g);
  be.fill(out.view_(), 0);
  const strides = [...out.strides_]; strides[dim] = out.strides_[dim]! * step;
  be.copy(g.view_(), { ...out.view_(), shape: g.shape, strides, offset: start * out.strides_[dim]! });
  return record('unslice', [g], out, { shape: [...shape], dim, start, step });
}

/** A view of length elements from start along dim (torch.narrow). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normDim(dim, x.ndim, 'narrow');
  const n = x.shape[d]!;
  const s = start < 0 ? start + n : start;
  if (s < 0 || s > n) throw new RangeError(`narrow(): start (${start}) is out of bounds for dimension ${d} of size ${n}`);
  if (length < 0 || s + length > n) throw new RangeError(`narrow(): start (${s}) + length (${length}) exceeds dimension size (${n}).`);
  return slice(x, d, s, s + length);
}

/** Slices out one index along dim, removing that dim (torch.select). */
export function select(x: Tensor, dim: number, index: number): Tensor {
  const d = normDim(dim, x.ndim, 'select');
  const n = x.shape[d]!;
  if (!Number.isInteger(index) || index < -n || index >= n) {
    throw new RangeError(`select(): index ${index} out of range for tensor of size ${fmtShape(x.shape)} at dimension ${d}`);
  }
  const i = index < 0 ? index + n : index;
  const shape = x.shape.filter((_, k) => k !== d);
  const sliced = slice(x, d, i, i + 1);
  const out = reshape(sliced, shape);
  // The intermediate view would otherwise hold the storage after the user disposes every tensor
  // they can see (reshape saves nothing for backward, so dropping it is safe).
  if (out !== sliced) sliced.dispose();
  return out;
}

/** Removes size-1 dims, all or only those given (torch.squeeze). */
export function squeeze(x: Tensor, dim?: number | readonly number[] | null): Tensor {
  const dims = dim === undefined || dim === null ? null : normDims(dim, x.ndim, 'squeeze');
  const shape = x.shape.filter((s, i) => !(s === 1 && (dims === null || dims.includes(i))));
  return shape.length === x.ndim ? x : reshape(x, shape);
}

/** Inserts a size-1 dim at position dim (torch.unsqueeze). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normDim(dim, x.ndim + 1, 'unsqueeze');
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return reshape(x, shape);
}

/** Flattens dims startDim..endDim into one (torch.flatten). */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normDim(startDim, x.ndim, 'flatten'), e = normDim(endDim, x.ndim, 'flatten');
  if (s > e) throw new RangeError('flatten() has invalid args: start_dim cannot come after end_dim');
  const shape = [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

/** Expands dim into the given sizes (one may be -1) (torch.unflatten). */
export function unflatten(x: Tensor, dim: number, sizes: readonly number[]): Tensor {
  const d = normDim(dim, x.ndim, 'unflatten');
  const inner = inferShape(sizes, x.shape[d]!, 'unflatten');
  return reshape(x, [...x.shape.slice(0, d), ...inner, ...x.shape.slice(d + 1)]);
}

/** Moves dims from source positions to destination positions (torch.movedim). */
export function movedim(x: Tensor, source: number | readonly number[], destination: number | readonly number[]): Tensor {
  const src = (typeof source === 'number' ? [source] : [...source]).map((d) => normDim(d, x.ndim, 'movedim'));
  const dst = (typeof destination === 'number' ? [destination] : [...destination]).map((d) => normDim(d, x.ndim, 'movedim'));
  if (src.length !== dst.length) throw new RangeError(`movedim: Invalid source or destination dims: source (${src.length} dims) should contain the same number of dims as destination (${dst.length} dims)`);
  const order = new Array<number>(x.ndim).fill(-1);
  src.forEach((s, i) => { order[dst[i]!] = s; });
  const rest = [...x.shape.keys()].filter((d) => !src.includes(d));
  for (let i = 0, r = 0; i < x.ndim; i++) if (order[i] === -1) order[i] = rest[r++]!;
  return order.every((d, i) => d === i) ? x : permute(x, order);
}

/** Splits into chunks of a given size, or of the given sizes, along dim (torch.split). */
export function split(x: Tensor, sizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  const d = normDim(dim, x.ndim, 'split');
  const n = x.shape[d]!;
  let sizes: number[];
  if (typeof sizeOrSections === 'number') {
    if (sizeOrSections <= 0 && n > 0) throw new RangeError(`split: split_size must be positive, got ${sizeOrSections}`);
    sizes = [];
    for (let s = 0; s < n; s += sizeOrSections) sizes.push(Math.min(sizeOrSections, n - s));
    if (n === 0) sizes = [0];
  } else {
    sizes = [...sizeOrSections];
    if (sizes.reduce((a, b) => a + b, 0) !== n) {
      throw new RangeError(`split_with_sizes expects split_sizes to sum exactly to ${n} (input tensor's size at dimension ${d}), but got split_sizes=${fmtShape(sizes)}`);
    }
  }
  let off = 0;
  const parts = sizes.map((s) => { const r = sliceView(x, d, off, s, 1); off += s; return r; });
  return [...recordMulti('split', [x], parts, { dim: d, sizes })];
}

/** Splits into at most `chunks` equal pieces along dim (the last may be smaller) (torch.chunk). */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) throw new RangeError(`chunk expects \`chunks\` to be greater than 0, got: ${chunks}`);
  const n = x.shape[normDim(dim, x.ndim, 'chunk')]!;
  return split(x, Math.max(Math.ceil(n / chunks), 1), dim);
}

/** Removes dim, returning every slice along it (torch.unbind). */
export function unbind(x: Tensor, dim = 0): Tensor[] {
  const d = normDim(dim, x.ndim, 'unbind');
  return Array.from({ length: x.shape[d]! }, (_, i) => select(x, d, i));
}

/** Reverses the order of elements along the given dims (a copy) (torch.flip). */
export function flip(x: Tensor, ...dimArgs: ShapeArgs): Tensor {
  const dims = normDims(shapeArg(dimArgs, 'flip'), x.ndim, 'flip');
  if (isComplex(x.dtype)) return complexFlip(x, dims);
  const v = x.view_();
  let offset = v.offset;
  const strides = [...v.strides];
  for (const d of dims) { if (x.shape[d]! > 0) offset += (x.shape[d]! - 1) * strides[d]!; strides[d] = -strides[d]!; }
  const out = empty(x.shape, x.dtype, x.device);
  backendOf(x).copy({ ...v, strides, offset }, out.view_());
  return record('flip', [x], out, { dims });
}

/** Rolls elements along dims by shifts, wrapping around; flattens first when dims is omitted (torch.roll). */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[] | null): Tensor {
  if (dims === undefined || dims === null) return roll(flatten(x), shifts, 0).reshape(x.shape);
  const sh = typeof shifts === 'number' ? [shifts] : [...shifts];
  const ds = typeof dims === 'number' ? [dims] : [...dims];
  if (sh.length !== ds.length) throw new RangeError(`roll: shifts and dimensions must align. shifts: ${sh.length}, dims: ${ds.length}`);
  let r = x;
  sh.forEach((s, i) => {
    const d = normDim(ds[i]!, x.ndim, 'roll');
    const n = x.shape[d]!;
    const k = n ? ((s % n) + n) % n : 0;
    if (k) r = cat([narrow(r, d, n - k, k), narrow(r, d, 0, n - k)], d);
  });
  return r === x ? clone(x) : r;
}

/** Repeats the tensor along each dim the given number of times (Tensor.repeat). */
export function repeat(x: Tensor, ...sizeArgs: ShapeArgs): Tensor {
  const reps = shapeArg(sizeArgs, 'repeat');
  if (reps.length < x.ndim) {
    throw new RangeError(`Number of dimensions of repeat dims (${reps.length}) can not be smaller than number of dimensions of tensor (${x.ndim})`);
  }
  const shape = [...new Array(reps.length - x.ndim).fill(1), ...x.shape] as number[];
  // [s0, s1] -> [1, s0, 1, s1] -> expand [r0, s0, r1, s1] -> [r0*s0, r1*s1]
  const inter = shape.flatMap((s) => [1, s]);
  const exp = shape.flatMap((s, i) => [reps[i]!, s]);
  return contiguous(expand(reshape(x, inter), exp)).reshape(shape.map((s, i) => s * reps[i]!));
}

/** Repeats like repeat, padding reps with leading 1s when shorter than ndim (torch.tile). */
export function tile(x: Tensor, ...sizeArgs: ShapeArgs): Tensor {
  const reps = shapeArg(sizeArgs, 'tile');
  return repeat(x, [...new Array(Math.max(x.ndim - reps.length, 0)).fill(1), ...reps]);
}

function triMask(x: Tensor, diagonal: number, lower: boolean, op: string): Tensor {
  if (x.ndim < 2) throw new RangeError(`${op}: input tensor must have at least 2 dimensions (got shape ${fmtShape(x.shape)})`);
  const rows = arange(x.shape[x.ndim - 2]!, { device: x.device }).unsqueeze(1);
  const cols = arange(x.shape[x.ndim - 1]!, { device: x.device }).unsqueeze(0);
  const diff = cols.sub(rows);
  return lower ? diff.le(diagonal) : diff.ge(diagonal);
}
/** Lower triangle of the last two dims, zeros above the given diagonal (torch.tril). */
export const tril = (x: Tensor, diagonal = 0) => where(triMask(x, diagonal, true, 'tril'), x, 0).to(x.dtype);
/** Upper triangle of the last two dims, zeros below the given diagonal (torch.triu). */
export const triu = (x: Tensor, diagonal = 0) => where(triMask(x, diagonal, false, 'triu'), x, 0).to(x.dtype);

/** PyTorch's TypeError for a list holding something other than tensors (plain arrays from JS code: `cat([[1, 2], [3]])`). */
function checkTensorList(op: string, tensors: readonly unknown[]): void {
  const bad = tensors.findIndex((t) => !(t instanceof Tensor));
  if (bad < 0) return;
  const v = tensors[bad];
  const kind = Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v;
  throw new TypeError(`${op}: expected a sequence of Tensors: expected Tensor as element ${bad} in argument 0, but got ${kind}` +
    (Array.isArray(v) ? ' (make tensors of the arrays first: torch.tensor(...))' : ''));
}
/** Concatenates tensors along an existing dim (torch.cat). */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new RangeError('torch.cat(): expected a non-empty list of Tensors');
  checkTensorList('torch.cat()', tensors);
  const zeroDim = tensors.findIndex((t) => t.ndim === 0);
  if (zeroDim >= 0) throw new RangeError(`torch.cat(): zero-dimensional tensor (at position ${zeroDim}) cannot be concatenated`);
  if (tensors.some((t) => t instanceof Tensor && isComplex(t.dtype))) return complexCat(tensors, dim);
  // Legacy rule kept by PyTorch: 1-D empty tensors are skipped.
  const ts = tensors.filter((t) => !(t.ndim === 1 && t.shape[0] === 0));
  if (ts.length === 0) return clone(tensors[0]!);
  const ref = ts[0]!;
  const d = normDim(dim, ref.ndim, 'cat');
  const device = checkDevices('cat', ...ts);
  const dtype = promote(...ts);
  for (const [i, t] of ts.entries()) {
    if (t.ndim !== ref.ndim) throw new RangeError(`torch.cat(): Tensors must have same number of dimensions: got ${ref.ndim} and ${t.ndim}`);
    t.shape.forEach((s: number, k: number) => {
      if (k !== d && s !== ref.shape[k]) {
        throw new RangeError(`torch.cat(): Sizes of tensors must match except in dimension ${d}. Expected size ${ref.shape[k]} but got size ${s} for tensor number ${i} in the list.`);
      }
    });
  }
  // Skipped 1-D empties stay inputs (size 0) so they still receive their (empty) gradient.
  const skipped = (t: Tensor) => !ts.includes(t);
  const sizes = tensors.map((t) => (skipped(t) ? 0 : t.shape[d]!));
  const shape = [...ref.shape]; shape[d] = sizes.reduce((a, b) => a + b, 0);
  const out = empty(shape, dtype, device);
  const ov = out.view_();
  const be = backendOf(ref);
  let off = 0;
  const inputs = tensors.map((t) => castTo(t, dtype));
  inputs.forEach((t, i) => {
    if (skipped(tensors[i]!)) return;
    be.copy(t.view_(), { ...ov, shape: t.shape, offset: off * out.strides_[d]! });
    off += t.shape[d]!;
  });
  return record('cat', inputs, out, { dim: d, sizes });
}

/** Stacks equal-shaped tensors along a new dim (torch.stack). */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new RangeError('stack expects a non-empty TensorList');
  checkTensorList('torch.stack()', tensors);
  const ref = tensors[0]!;
  for (const [i, t] of tensors.entries()) {
    if (t.ndim !== ref.ndim || t.shape.some((s: number, k: number) => s !== ref.shape[k])) {
      throw new RangeError(`stack expects each tensor to be equal size, but got ${fmtShape(ref.shape)} at entry 0 and ${fmtShape(t.shape)} at entry ${i}`);
    }
  }
  const d = normDim(dim, ref.ndim + 1, 'stack');
  return cat(tensors.map((t) => unsqueeze(t, d)), d);
}

// ---------------------------------------------------------------- in-place writes

/**
 * Writes `result` (an out-of-place result of the same op) into self's storage, bumps the version
 * counter, and makes self carry result's autograd history, as PyTorch's in-place ops do.
 */
/**
 * Writes `result` into `self` (the in-place ops: compute out of place, then copy). `ownsResult`: the
 * caller computed `result` just for this call and holds no other reference, so it is freed here when
 * autograd does not need it (else every `x.add_(y)` outside a tidy scope would leave its temporary to
 * the garbage collector).
 */
export function inplace<T extends Tensor>(self: T, result: Tensor, isRandomFill = false, ownsResult = false, allowOverlap = false): T {
  if (state.gradEnabled && self.isLeaf && self.requiresGrad) {
    throw new Error('a leaf Variable that requires grad is being used in an in-place operation.');
  }
  if (!allowOverlap) checkNoInternalOverlap(self);
  const shape = broadcastShapes('in-place op', self.shape, result.shape);
  if (shape.length !== self.ndim || shape.some((s, i) => s !== self.shape[i])) {
    throw new RangeError(`output with shape ${fmtShape(self.shape)} doesn't match the broadcast shape ${fmtShape(result.shape)}`);
  }
  if (!isRandomFill && !canCast(result.dtype, self.dtype)) {
    throw new TypeError(`result type ${result.dtype} can't be cast to the desired output type ${self.dtype}`);
  }
  const tracked = state.gradEnabled && result.requiresGrad;
  if (tracked && self.base && (self.base.requiresGrad || self.requiresGrad)) {
    throw new Error(`in-place op on a view (shape ${fmtShape(self.shape)}) of a tensor that requires grad is not supported; use out-of-place ops (e.g. torch.cat/where) instead`);
  }
  const src = result.shape.length === self.ndim && result.shape.every((s, i) => s === self.shape[i]) ? result : result.expand(self.shape);
  // The op that produced result may have saved self for its backward: keep the old value for it.
  if (tracked) result.gradFn_?.snapshotSaved(self);
  backendOf(self).copy(src.view_(), self.view_());
  self.storage.version++;
  if (tracked) {
    const c = src.dtype === self.dtype ? src : castTo(src, self.dtype);
    self.setGradFn_(c.gradFn_!, c.outputNr);
  } else {
    if (src !== result) src.dispose(); // the broadcast view made above
    if (ownsResult && result !== self && result.storage !== self.storage) result.dispose();
  }
  return self;
}

/**
 * PyTorch's assert_no_internal_overlap: an expanded view (stride 0 on a dim of size > 1) has elements
 * sharing one memory location, so an elementwise write into it would keep only the last value
 * written there. fill_/zero_ write one value everywhere and are allowed, as in PyTorch.
 */
function checkNoInternalOverlap(self: Tensor): void {
  const st = self.strides_;
  for (let d = 0; d < self.ndim; d++) {
    if (st[d] === 0 && self.shape[d]! > 1) {
      throw new Error('unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation.');
    }
  }
}

/** Fills self in place with a scalar or 0-dim tensor value (Tensor.fill_). */
export function fill_<T extends Tensor>(self: T, value: TensorOrScalar): T {
  if (value instanceof Tensor) {
    if (value.ndim !== 0) throw new RangeError(`fill_ only supports 0-dimension value tensor but got tensor with ${value.ndim} dimensions.`);
    return inplace(self, value.to(self.dtype).expand(self.shape), false, false, true); // one value: overlap is harmless
  }
  if (state.gradEnabled && self.isLeaf && self.requiresGrad) {
    throw new Error('a leaf Variable that requires grad is being used in an in-place operation.');
  }
  backendOf(self).fill(self.view_(), typeof value === 'boolean' ? (value ? 1 : 0) : value);
  self.storage.version++;
  if (state.gradEnabled && self.gradFn_) {
    // The filled tensor no longer depends on its history: detach it from the graph.
    (self as Tensor).detach_();
  }
  return self;
}
