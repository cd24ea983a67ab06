// Indexing: gather/scatter primitives and what is built on them (indexSelect, indexAdd,
// maskedSelect, sort/argsort/topk, oneHot), plus PyTorch-style `t.index(...)` basic and advanced indexing.
// Index tensors are int32 (torchlet's index dtype); out-of-range indices raise, never wrap.
// Ops whose output shape depends on tensor values (nonzero, maskedSelect, bool-mask indexing,
// oneHot without numClasses) are synchronous on synchronous devices only; their `...Async` variants
// (torchlet additions) run on every device, reading back only the count they need.

import { broadcastShapes, fmtShape, normDim } from '../shape.js';
import { Tensor } from '../tensor.js';
import { backendOf, checkDevices, checkMaskShapes, empty, fromArray, record } from './prim.js';
import { isCapturing } from '../backends/registry.js';
import { indexOutOfBounds } from '../backends/backend.js';
import { castTo, eq, mul, where } from './elementwise.js';
import { arange, full, zeros } from './creation.js';
import { expand, reshape, select, slice, stack, unsqueeze, movedim } from './shape.js';
import type { TensorOrScalar, ValuesIndices } from './types.js';
// Circular at module level but only used inside functions: safe with ESM live bindings.
import { scatterMultiply } from './scatter-reduce.js';

function checkIndex(op: string, index: Tensor): void {
  if (!(index instanceof Tensor)) throw new TypeError(`${op}(): argument 'index' must be Tensor`);
  if (index.dtype !== 'int32') throw new TypeError(`${op}(): Expected dtype int32 for index (torchlet's integer dtype), got ${index.dtype}`);
}

/**
 * PyTorch's gather/scatter/index_select refuse negative indices, while backends accept [-size, size)
 * (t.index(...) wraps negatives itself). Synchronous backends are checked here; on asynchronous ones,
 * and while a graph is captured (a host read would break it), a device check (checkRange) poisons
 * what is computed from a negative index, naming its value.
 */
function rejectNegative(op: string, index: Tensor, size: number, dim: number): Tensor {
  if (index.numel() === 0) return index;
  if (index.storage.backend.synchronous && !isCapturing()) {
    // The whole range here (a scan, as the kernel's own), so an index >= size is reported naming op
    // (indexSelect, indexAdd...) rather than the gather/scatter kernel that would find it.
    checkRange(index, 0, size - 1, indexOutOfBounds(op, dim, size));
    return index;
  }
  // The kernels flag indices >= size too, but as gather()/scatter(): a check of the whole range,
  // dispatched first, reports them naming the op the user called.
  checkRange(index, 0, op === 'gather' || op === 'scatter' || op === 'scatterAdd' ? I32_MAX : size - 1, indexOutOfBounds(op, dim, size));
  return index;
}

function checkGatherShapes(op: string, x: Tensor, dim: number, index: Tensor, src?: Tensor): void {
  if (index.ndim !== x.ndim && !(x.ndim === 0 && index.ndim <= 1) && !(index.ndim === 0 && x.ndim <= 1)) {
    throw new RangeError(`${op}(): Index tensor must have the same number of dimensions as ${op === 'gather' ? 'input' : 'self'} tensor (index ${fmtShape(index.shape)}, self ${fmtShape(x.shape)})`);
  }
  index.shape.forEach((s, d) => {
    if (d !== dim && s > (x.shape[d] ?? 1)) {
      throw new RangeError(`${op}(): Size does not match at dimension ${d} expected index ${fmtShape(index.shape)} to be smaller than self ${fmtShape(x.shape)} apart from dimension ${dim}`);
    }
    if (src && s > (src.shape[d] ?? 1)) {
      throw new RangeError(`${op}(): Expected index ${fmtShape(index.shape)} to be smaller than src ${fmtShape(src.shape)} at dimension ${d}`);
    }
  });
}

/** Picks values along dim at int32 index positions: out[i][j] = x[index[i][j]][j] for dim 0 (torch.gather). */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor { return gatherAs('gather', x, dim, index); }
/** gather, with errors naming `op`, the op the user called (indexSelect is a gather). */
function gatherAs(op: string, x: Tensor, dim: number, index: Tensor): Tensor {
  checkIndex(op, index);
  checkDevices(op, x, index);
  const d = normDim(dim, x.ndim, op);
  checkGatherShapes('gather', x, d, index);
  index = rejectNegative(op, index, x.ndim ? x.shape[d]! : 1, d);
  const out = empty(index.shape, x.dtype, x.device);
  if (out.numel() > 0) {
    const xv = x.ndim === 0 ? { ...x.view_(), shape: [1], strides: [1] } : x.view_();
    const iv = index.ndim === 0 && x.ndim <= 1 ? { ...index.view_(), shape: [1], strides: [1] } : index.view_();
    const ov = index.ndim === 0 ? { ...out.view_(), shape: [1], strides: [1] } : out.view_();
    backendOf(x).gather(xv, d, iv, ov);
  }
  return record('gather', [x, index], out, { dim: d });
}

function scatterImpl(x: Tensor, dim: number, index: Tensor, src: TensorOrScalar, reduce: 'none' | 'add', op: string): Tensor {
  checkIndex(op, index);
  const d = normDim(dim, x.ndim, op);
  const s = src instanceof Tensor ? castTo(src, x.dtype) : full(index.shape, src, { dtype: x.dtype, device: x.device });
  checkDevices(op, x, index, s);
  checkGatherShapes(op, x, d, index, s);
  index = rejectNegative(op, index, x.ndim ? x.shape[d]! : 1, d);
  const out = empty(x.shape, x.dtype, x.device);
  const be = backendOf(x);
  be.copy(x.view_(), out.view_());
  if (index.numel() > 0) be.scatter(out.view_(), d, index.view_(), s.view_(), reduce);
  return record('scatter', [x, index, s], out, { dim: d, reduce });
}
/** A copy of x with src written at index positions along dim (torch.scatter); options { reduce: 'add' | 'multiply' }. */
export function scatter(x: Tensor, dim: number, index: Tensor, src: TensorOrScalar, opts: { reduce?: 'add' | 'multiply' } = {}): Tensor {
  if (opts.reduce !== undefined && opts.reduce !== 'add' && opts.reduce !== 'multiply') {
    throw new RangeError(`scatter(): reduce argument must be either add or multiply, got '${String(opts.reduce)}'`);
  }
  // 'multiply' has no kernel of its own: it is scatterReduce's 'prod' (self included).
  if (opts.reduce === 'multiply') return scatterMultiply(x, dim, index, src);
  return scatterImpl(x, dim, index, src, opts.reduce === 'add' ? 'add' : 'none', 'scatter');
}
/** A copy of x with src added at index positions along dim, duplicates accumulating (torch.scatter_add). */
export const scatterAdd = (x: Tensor, dim: number, index: Tensor, src: Tensor) => scatterImpl(x, dim, index, src, 'add', 'scatterAdd');

/** A 1-D index laid along `dim` and expanded to `shape`, for gather/scatter. */
function alongDim(index: Tensor, dim: number, shape: readonly number[], op: string): Tensor {
  checkIndex(op, index);
  if (index.ndim > 1) throw new RangeError(`${op}(): Index is supposed to be a vector (got shape ${fmtShape(index.shape)})`);
  const v = index.reshape(-1);
  const view = shape.map((_, d) => (d === dim ? v.numel() : 1));
  const target = shape.map((s, d) => (d === dim ? v.numel() : s));
  return expand(reshape(v, view), target);
}

/** Selects the slices at the int32 indices of a 1-d index along dim (torch.index_select). */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normDim(dim, x.ndim, 'indexSelect');
  if (x.ndim === 0) {
    if (index.numel() !== 1) throw new RangeError(`indexSelect(): index to a 0-d tensor must hold exactly 1 value, got ${index.numel()}`);
    return gatherAs('indexSelect', x.reshape(1), 0, index.reshape(1)).reshape([]);
  }
  return gatherAs('indexSelect', x, d, alongDim(index, d, x.shape, 'indexSelect'));
}

/** A copy of x with alpha * source slices added at the indices along dim (torch.index_add); options { alpha }. */
export function indexAdd(x: Tensor, dim: number, index: Tensor, source: Tensor, opts: { alpha?: number } = {}): Tensor {
  const d = normDim(dim, x.ndim, 'indexAdd');
  const n = index.numel();
  if (source.ndim !== x.ndim || source.shape[d] !== n) {
    throw new RangeError(`indexAdd(): source ${fmtShape(source.shape)} must match self ${fmtShape(x.shape)} except at dim ${d}, where it must equal the index length ${n}`);
  }
  const src = opts.alpha === undefined || opts.alpha === 1 ? source : mul(source, opts.alpha);
  return scatterImpl(x, d, alongDim(index, d, source.shape, 'indexAdd'), src, 'add', 'indexAdd');
}

/**
 * indexFill(x, dim, index, value): the slices of x at `index` along dim set to value. Built as a
 * mask (scatter of ones into a length-size(dim) vector) and a where, so x's gradient is masked too.
 */
export function indexFill(x: Tensor, dim: number, index: Tensor, value: TensorOrScalar): Tensor {
  const d = x.ndim === 0 ? 0 : normDim(dim, x.ndim, 'indexFill');
  checkIndex('indexFill', index);
  if (index.ndim > 1) throw new RangeError(`indexFill(): Index is supposed to be a vector, got shape ${fmtShape(index.shape)}`);
  if (value instanceof Tensor && value.ndim !== 0) throw new RangeError(`indexFill(): only supports a 0-dimensional value tensor, but got tensor with ${value.ndim} dimension(s)`);
  const size = x.ndim === 0 ? 1 : x.shape[d]!;
  const idx = rejectNegative('indexFill', index.reshape([-1]), size, d);
  const hit = zeros([size], { dtype: 'int32', device: x.device }).scatter(0, idx, 1).gt(0);
  const mask = x.ndim === 0 ? hit.reshape([]) : hit.reshape(x.shape.map((s, i) => (i === d ? s : 1)));
  return where(mask, value instanceof Tensor ? castTo(value, x.dtype) : full([], value, { dtype: x.dtype, device: x.device }), x);
}

/** Bounds of the int32 index dtype. */
export const I32_MIN = -(2 ** 31), I32_MAX = 2 ** 31 - 1;

/**
 * Raises RangeError(message, `$V` = an offending value) if an element of int32 `t` is outside
 * [min, max]: at once on synchronous devices; on asynchronous ones a kernel checks it and whatever is
 * computed from `t` afterwards is poisoned: reading it throws the error with the op's call site.
 */
export function checkRange(t: Tensor, min: number, max: number, message: string): void {
  if (t.numel() > 0) backendOf(t).checkRange(t.view_(), min, max, message);
}

/**
 * Throws, before `op` changes anything, when one of `ts` is known to be poisoned by a failed device
 * check (its flags were read back); pending checks are not waited for (see Backend.knownError).
 */
export function checkPoison(op: string, ts: readonly (Tensor | null | undefined)[]): void {
  for (const t of ts) {
    const e = t && !t.isDisposed ? t.storage.backend.knownError?.(t.storage.buf) : null;
    if (e) throw new RangeError(`${op}: a tensor of shape ${fmtShape(t!.shape)} it would use comes from a failed device check: ${e.message}`);
  }
}

/** Data-dependent output shapes need the values now: only synchronous devices have them. */
/** @internal Throws, naming the async alternative, when t's values cannot be read synchronously. */
export function needsValues(op: string, t: Tensor, alternative: string): void {
  if (!t.storage.backend.synchronous) {
    throw new Error(`${op}: the output shape depends on the values of a tensor on '${t.device}', which are only readable asynchronously there; use '${alternative}' instead`);
  }
}

/**
 * Positions of nonzero elements as an [n, ndim] int32 tensor, or with { asTuple: true } one int32 [n]
 * tensor per dim (a 0-d x counts as 1-d there, as PyTorch). Reads the data: synchronous devices only.
 */
export function nonzero(x: Tensor, opts?: { asTuple?: false }): Tensor;
export function nonzero(x: Tensor, opts: { asTuple?: true }): Tensor[];
export function nonzero(x: Tensor, opts: { asTuple?: boolean }): Tensor | Tensor[];
export function nonzero(x: Tensor, opts: { asTuple?: boolean } = {}): Tensor | Tensor[] {
  if (opts.asTuple) return asTuple(nonzero(x.ndim === 0 ? x.reshape([1]) : x));
  needsValues('nonzero', x, 'await torch.nonzeroAsync(x)');
  const data = x.dataSync();
  const rows: number[] = [];
  const nd = x.ndim;
  const idx = new Array<number>(nd).fill(0);
  let count = 0; // counted apart from rows: a nonzero 0-d tensor gives one row of no coordinates ([1, 0])
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== 0) { rows.push(...idx); count++; } // NaN is nonzero, as in PyTorch (and -0 is zero)
    for (let d = nd - 1; d >= 0; d--) { if (++idx[d]! < x.shape[d]!) break; idx[d] = 0; }
  }
  return fromArray(rows, [count, nd], 'int32', x.device);
}

/**
 * Row-major linear positions of the nonzero elements of `x` (flattened), as int32 [count], computed on
 * x's device: a cumsum gives each nonzero its output slot and a scatter places the positions; only
 * the count (one number) is read back.
 */
async function nonzeroLinear(x: Tensor): Promise<Tensor> {
  const n = x.numel();
  if (n === 0) return empty([0], 'int32', x.device);
  const hit = castTo(x.reshape(-1), 'bool'); // NaN counts (castTo's float rule; a plain ne(0) misses it on WebGPU)
  const m = castTo(hit, 'int32');
  const count = Number(await m.sum().item());
  const slot = where(hit, m.cumsum(0).sub(1), count).to('int32'); // zeros all go to the spare slot `count`
  const lin = zeros([count + 1], { dtype: 'int32', device: x.device }).scatter(0, slot, arange(n, { dtype: 'int32', device: x.device }));
  return lin.narrow(0, 0, count);
}

/**
 * torch.nonzeroAsync(x) (torchlet addition): nonzero(x) on any device, resolving to the [n, ndim]
 * int32 coordinates of the nonzero elements in row-major order.
 */
export async function nonzeroAsync(x: Tensor, opts?: { asTuple?: false }): Promise<Tensor>;
export async function nonzeroAsync(x: Tensor, opts: { asTuple?: true }): Promise<Tensor[]>;
export async function nonzeroAsync(x: Tensor, opts: { asTuple?: boolean }): Promise<Tensor | Tensor[]>;
export async function nonzeroAsync(x: Tensor, opts: { asTuple?: boolean } = {}): Promise<Tensor | Tensor[]> {
  if (opts.asTuple) return asTuple(await nonzeroAsync(x.ndim === 0 ? x.reshape([1]) : x));
  const lin = await nonzeroLinear(x);
  const count = lin.shape[0]!, nd = x.ndim;
  if (nd === 0) return empty([count, 0], 'int32', x.device);
  const cols: Tensor[] = [];
  let stride = 1;
  for (let d = nd - 1; d >= 0; d--) {
    const size = x.shape[d]!;
    cols[d] = lin.floorDivide(stride).remainder(size).to('int32');
    stride *= size;
  }
  return stack(cols, 1);
}

/** nonzero's [n, ndim] coordinates as one contiguous [n] tensor per dim (PyTorch's as_tuple=True). */
function asTuple(coords: Tensor): Tensor[] {
  return Array.from({ length: coords.shape[1]! }, (_, d) => coords.select(1, d).contiguous());
}

/** The elements of x where the bool mask (broadcast together) is true, as a 1-d tensor; synchronous devices only (torch.masked_select). */
export function maskedSelect(x: Tensor, mask: Tensor): Tensor {
  if (mask.dtype !== 'bool') throw new TypeError(`maskedSelect: expected BoolTensor for mask, got ${mask.dtype}`);
  needsValues('maskedSelect', mask, 'await torch.maskedSelectAsync(x, mask)');
  const shape = broadcastShapes('maskedSelect', x.shape, mask.shape);
  const pos = nonzero(mask.expand(shape).reshape(-1)).reshape(-1);
  return gather(x.expand(shape).reshape(-1), 0, pos);
}

/** torch.maskedSelectAsync(x, mask) (torchlet addition): maskedSelect on any device; differentiable in x. */
export async function maskedSelectAsync(x: Tensor, mask: Tensor): Promise<Tensor> {
  if (mask.dtype !== 'bool') throw new TypeError(`maskedSelect: expected BoolTensor for mask, got ${mask.dtype}`);
  checkDevices('maskedSelect', x, mask);
  const shape = broadcastShapes('maskedSelect', x.shape, mask.shape);
  const pos = await nonzeroLinear(mask.expand(shape));
  return gather(x.expand(shape).reshape(-1), 0, pos);
}

/** sort/argsort take dim and descending positionally or as PyTorch's keywords: `x.sort({ dim: 0, descending: true })`, `x.sort(0, { descending: true })`. */
export interface SortOpts {
  /** The dim to sort along (default -1, the last). */
  dim?: number;
  /** Largest first (default false). */
  descending?: boolean;
  /** Keep the order of equal elements (the sort here is always stable). */
  stable?: boolean;
}
function sortArgs(dimArg: number | SortOpts | undefined, descArg: boolean | SortOpts | undefined, opts: SortOpts): [number, boolean] {
  const o: SortOpts = { ...opts, ...(typeof descArg === 'object' && descArg !== null ? descArg : {}), ...(typeof dimArg === 'object' && dimArg !== null ? dimArg : {}) };
  const dim = typeof dimArg === 'number' ? dimArg : (o.dim ?? -1);
  // A keyword in an options object wins over the positional default that fills the next slot.
  const descending = o.descending ?? (typeof descArg === 'boolean' ? descArg : false);
  return [dim, descending];
}
/** Indices that sort x along dim, as int32 (torch.argsort); dim and descending positional or as options. */
export function argsort(x: Tensor, dimArg: number | SortOpts = -1, descArg: boolean | SortOpts = false, opts: SortOpts = {}): Tensor {
  const [dim, descending] = sortArgs(dimArg, descArg, opts);
  if (x.ndim === 0) return full([], 0, { dtype: 'int32', device: x.device });
  const d = normDim(dim, x.ndim, 'argsort');
  const moved = movedim(x, d, -1);
  const out = empty(moved.shape, 'int32', x.device);
  if (out.numel() > 0) backendOf(x).argsort(moved.view_(), descending, out.view_());
  const res = movedim(out, -1, d);
  // Temporaries are released now rather than by the GC (views keep their storage alive).
  if (res !== out) out.dispose();
  if (moved !== x) moved.dispose();
  return res;
}

/** Sorted values and their int32 indices along dim, as { values, indices } (torch.sort). */
export function sort(x: Tensor, dimArg: number | SortOpts = -1, descArg: boolean | SortOpts = false, opts: SortOpts = {}): ValuesIndices {
  const [dim, descending] = sortArgs(dimArg, descArg, opts);
  if (x.ndim === 0) return { values: x.clone(), indices: argsort(x) };
  const d = normDim(dim, x.ndim, 'sort');
  const indices = argsort(x, d, descending);
  return { values: gather(x, d, indices), indices };
}

/** topk(x, k, dim, largest, sorted), or with PyTorch's keywords: `x.topk(2, { dim: 0, largest: false })`. */
export interface TopkOpts {
  /** The dim to search along (default -1, the last). */
  dim?: number;
  /** The k largest (default) or, when false, the k smallest elements. */
  largest?: boolean;
  /** Return the k elements in sorted order (default true). */
  sorted?: boolean;
}
/** The k largest (or smallest) values along dim and their indices, as { values, indices } (torch.topk). */
export function topk(x: Tensor, k: number, dimArg: number | TopkOpts = -1, largestArg: boolean | TopkOpts = true, sorted: boolean = true): ValuesIndices {
  const o: TopkOpts = { ...(typeof largestArg === 'object' ? largestArg : {}), ...(typeof dimArg === 'object' ? dimArg : {}) };
  const dim = typeof dimArg === 'number' ? dimArg : (o.dim ?? -1);
  const largest = o.largest ?? (typeof largestArg === 'boolean' ? largestArg : true);
  sorted = o.sorted ?? sorted;
  const d = x.ndim ? normDim(dim, x.ndim, 'topk') : 0;
  const n = x.ndim ? x.shape[d]! : 1;
  if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`topk(): selected index k out of range (k=${k}, size ${n} at dim ${d})`);
  void sorted; // results are always sorted, which PyTorch allows for sorted=false
  if (x.ndim === 0) return { values: x.clone(), indices: argsort(x) };
  // The full argsort is released at once (the narrowed view keeps what it needs), not left to the GC.
  const order = argsort(x, d, largest), indices = order.narrow(d, 0, k);
  if (indices !== order) order.dispose();
  return { values: gather(x, d, indices), indices };
}

/**
 * F.oneHot(t, numClasses): int32 [..., numClasses]. Class values are range-checked on the device (an
 * error surfaces at the next read on asynchronous devices). numClasses = -1 infers max(t) + 1, which
 * needs the values: synchronous devices only; `F.oneHotAsync` works everywhere.
 */
export function oneHot(t: Tensor, numClassesArg: number | { numClasses?: number } = -1): Tensor {
  const numClasses = typeof numClassesArg === 'object' ? (numClassesArg.numClasses ?? -1) : numClassesArg;
  if (t.dtype !== 'int32') throw new TypeError(`oneHot: one_hot is only applicable to index tensor (int32), got ${t.dtype}`);
  let n = numClasses;
  checkRange(t, 0, I32_MAX, 'oneHot: Class values must be non-negative.');
  if (n === -1) {
    if (t.numel() === 0) throw new RangeError('oneHot: Can not infer total number of classes from empty tensor.');
    needsValues('oneHot with numClasses=-1', t, 'await F.oneHotAsync(t)');
    n = (t.amax().itemSync() as number) + 1;
  } else {
    checkRange(t, I32_MIN, n - 1, `oneHot: Class values must be smaller than num_classes (got $V for num_classes=${n}).`);
  }
  return castTo(eq(unsqueeze(t, -1), arange(n, { device: t.device })), 'int32');
}

/** F.oneHotAsync(t, numClasses) (torchlet addition): oneHot on any device; numClasses = -1 reads max(t) asynchronously. */
export async function oneHotAsync(t: Tensor, numClassesArg: number | { numClasses?: number } = -1): Promise<Tensor> {
  let numClasses = typeof numClassesArg === 'object' ? (numClassesArg.numClasses ?? -1) : numClassesArg;
  if (numClasses === -1 && t.dtype === 'int32' && t.numel() > 0) numClasses = Math.max(0, Number(await t.amax().item()) + 1);
  return oneHot(t, numClasses);
}

// ---------------------------------------------------------------- t.index(...)

/** One entry of t.index(...): a number selects, null keeps the dim (Python's `:`), [start, end, step]
 * slices, '...' fills the remaining dims, 'newaxis' inserts a dim. Int32 tensors are PyTorch's advanced
 * indices: they broadcast together and pick elementwise (negatives wrap); a bool tensor stands for its
 * nonzero() coordinates over the dims it covers. A 0-d int tensor selects like a number. */
export type IndexArg = number | null | '...' | 'newaxis' | readonly (number | null | undefined)[] | Tensor;

/** Python x[...] with PyTorch's rules: basic indexing makes views, advanced indexing copies. */
export function index(x: Tensor, ...indices: IndexArg[]): Tensor {
  checkMaskShapes(x, indices);
  if (indices.length === 1 && indices[0] instanceof Tensor && indices[0].dtype === 'bool' && indices[0].ndim === x.ndim && indices[0].ndim > 0) {
    return maskedSelect(x, indices[0]);
  }
  // Bool masks become one coordinate tensor per dim they cover; 0-d int tensors become numbers' peers.
  const args: IndexArg[] = [];
  for (const i of indices) {
    if (i instanceof Tensor && i.dtype === 'bool') {
      if (i.ndim === 0) throw new TypeError('index: a 0-d bool index is not supported');
      needsValues('index with a bool mask', i, 'await x.indexAsync(...)');
      const nz = nonzero(i);
      for (let k = 0; k < i.ndim; k++) args.push(nz.select(1, k));
    } else args.push(i);
  }
  const consumed = args.filter((i) => i !== '...' && i !== 'newaxis').length;
  if (consumed > x.ndim) throw new RangeError(`index: too many indices for tensor of dimension ${x.ndim}`);
  if (args.filter((i) => i === '...').length > 1) throw new RangeError('index: an index can only have a single ellipsis');
  let r = x, d = 0;
  const adv: { dim: number; t: Tensor }[] = [];
  for (const i of args) {
    if (i === '...') d += x.ndim - consumed;
    else if (i === null) d++;
    else if (i === 'newaxis') { r = unsqueeze(r, d); d++; }
    else if (typeof i === 'number') r = select(r, d, i);
    else if (i instanceof Tensor) {
      if (i.dtype !== 'int32') throw new TypeError(`index: tensors used as indices must be int32 or bool, got ${i.dtype}`);
      if (i.ndim === 0) r = indexSelect(r, d, wrapIndex(i.reshape(1), r.shape[d]!, d)).squeeze(d);
      else { adv.push({ dim: d, t: i }); d++; }
    } else if (Array.isArray(i)) {
      const [s, e, st] = i as (number | null | undefined)[];
      const bad = (i as unknown[]).findIndex((v) => v !== null && v !== undefined && typeof v !== 'number');
      if (bad >= 0 || i.length > 3) {
        throw new TypeError(`index: an array is a slice [start, end, step] of numbers or null, got [${(i as unknown[]).map((v) => (v instanceof Tensor ? `Tensor ${fmtShape(v.shape)}` : String(v))).join(', ')}]` +
          ((i as unknown[]).some((v) => v instanceof Tensor) ? '; pass index tensors as arguments of their own: x.index(t) or x.index(null, t)' : ''));
      }
      if (st !== undefined && st !== null && st <= 0) throw new RangeError(`index: step must be greater than zero (got ${st})`);
      r = slice(r, d, s ?? null, e ?? null, st ?? 1);
      d++;
    } else throw new TypeError(`index: unsupported index ${String(i)}`);
  }
  return adv.length ? advanced(r, adv) : r;
}

/**
 * x.indexAsync(...) (torchlet addition): t.index(...) on any device. Bool masks become their nonzero
 * coordinates (computed on the device, reading back only their count); the rest is t.index(...).
 */
export async function indexAsync(x: Tensor, ...indices: IndexArg[]): Promise<Tensor> {
  checkMaskShapes(x, indices);
  const args: IndexArg[] = [];
  for (const i of indices) {
    if (i instanceof Tensor && i.dtype === 'bool' && i.ndim > 0) {
      checkDevices('index', x, i);
      const nz = await nonzeroAsync(i);
      for (let k = 0; k < i.ndim; k++) args.push(nz.select(1, k));
    } else args.push(i);
  }
  return index(x, ...args);
}

/**
 * Range-checks an index against [-size, size) (at once, or at the next read on asynchronous devices)
 * and wraps negatives. Bad entries are clamped so the later gather never reports them a second time
 * with a less helpful message.
 */
function wrapIndex(i: Tensor, size: number, dim: number): Tensor {
  checkRange(i, -size, size - 1, `index $V is out of bounds for dimension ${dim} with size ${size}`);
  const w = where(i.lt(0), i.add(size), i);
  return (size > 0 ? w.clamp(0, size - 1) : w).to('int32');
}

/** Advanced indices on dims of r: broadcast them, pick elementwise via one flat indexSelect. The
 * picked block replaces the indexed dims in place when they are adjacent, else it leads (PyTorch). */
function advanced(r: Tensor, adv: { dim: number; t: Tensor }[]): Tensor {
  const dims = adv.map((a) => a.dim);
  const bshape = broadcastShapes('index', ...adv.map((a) => a.t.shape));
  const sizes = dims.map((dm) => r.shape[dm]!);
  // Row-major linear index over the advanced dims.
  let lin: Tensor | null = null;
  adv.forEach((a, k) => {
    const w = wrapIndex(a.t, sizes[k]!, a.dim).expand(bshape);
    lin = lin === null ? w : lin.mul(sizes[k]!).add(w);
  });
  const rest = [...r.shape.keys()].filter((dm) => !dims.includes(dm));
  const moved = r.permute([...dims, ...rest]);
  const flat = moved.reshape([sizes.reduce((a, b) => a * b, 1), ...rest.map((dm) => r.shape[dm]!)]);
  const picked = indexSelect(flat, 0, lin!.reshape(-1).to('int32'));
  const out = picked.reshape([...bshape, ...rest.map((dm) => r.shape[dm]!)]);
  const adjacent = dims.every((dm, k) => k === 0 || dm === dims[k - 1]! + 1);
  if (!adjacent || dims[0] === 0) return out;
  const nb = bshape.length;
  // Move the block [0, nb) to start at dims[0].
  const order = [...Array(out.ndim).keys()];
  const block = order.splice(0, nb);
  order.splice(dims[0]!, 0, ...block);
  return out.permute(order);
}
