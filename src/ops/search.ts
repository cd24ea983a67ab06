// Searching and counting: searchsorted/bucketize (comparison counts, so they run on every device),
// and bincount/unique/uniqueConsecutive, whose output sizes depend on the values. Those are computed on the tensor's
// device and need one number read back: synchronously on synchronous devices (the PyTorch-named ops),
// asynchronously everywhere through the torchlet `...Async` variants, as nonzero.

import { isFloating } from '../dtype.js';
import { fmtShape, normDim } from '../shape.js';
import { Tensor } from '../tensor.js';
import { checkDevices } from './prim.js';
import { castTo, ne } from './elementwise.js';
import { arange, full, zeros } from './creation.js';
import { cat, movedim, narrow } from './shape.js';
import { sum } from './reduce.js';
import { I32_MAX, checkRange, needsValues, sort } from './indexing.js';
import type { Scalar } from './types.js';

/** Options for searchsorted: { right | side, outInt32, sorter (indices that sort the sequence) }. */
export interface SearchSortedOpts {
  /** Return the last suitable index instead of the first (PyTorch's `right=True`). */
  right?: boolean;
  /** 'left' (first suitable index, default) or 'right' (last); same meaning as `right`. */
  side?: 'left' | 'right';
  /** Return int32 indices (they are int32 either way here: there is no int64). */
  outInt32?: boolean;
  /** Indices that sort an unsorted `sortedSequence` along its last dim. */
  sorter?: Tensor | null;
}

/**
 * Indices where `values` would be inserted into the innermost dim of `sortedSequence` to keep it
 * sorted (int32): the count of entries < v (left) or <= v (right). O(len * values) comparisons.
 */
export function searchsorted(sortedSequence: Tensor, values: Tensor | Scalar, opts: SearchSortedOpts = {}): Tensor {
  if (opts.side !== undefined && opts.right !== undefined && opts.right !== (opts.side === 'right')) {
    throw new RangeError(`torch.searchsorted(): side and right can't be set to opposites, got side of ${opts.side} while right was ${String(opts.right)}`);
  }
  const right = opts.right ?? opts.side === 'right';
  let seq = sortedSequence;
  if (opts.sorter) seq = seq.gather(-1, opts.sorter);
  const isScalar = !(values instanceof Tensor);
  const v = values instanceof Tensor ? values : full([], values, { dtype: seq.dtype, device: seq.device });
  checkDevices('searchsorted', seq, v);
  if (isScalar && seq.ndim !== 1) {
    throw new RangeError(`torch.searchsorted(): input value can be a scalar only when boundaries tensor dimension is 1, but we got boundaries tensor dim(${seq.ndim}) and input value's dim(0) numel(1)`);
  }
  if (seq.ndim === 0) throw new RangeError(`torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 dimension`);
  if (seq.ndim !== 1 && (seq.ndim !== v.ndim || seq.shape.slice(0, -1).some((s, i) => s !== v.shape[i]))) {
    throw new RangeError(`torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and input value tensor must match, but we got boundaries tensor ${fmtShape(seq.shape)} and input value tensor ${fmtShape(v.shape)}`);
  }
  // [..., m, 1] against [..., 1, n] (1-D sequences broadcast against any values shape).
  const s = seq.ndim === 1 ? seq : seq.unsqueeze(-2);
  const hit = right ? s.le(v.unsqueeze(-1)) : s.lt(v.unsqueeze(-1));
  return castTo(sum(hit, -1), 'int32');
}

/** Bucket index of each input element among 1-D `boundaries` (int32); right as torch.bucketize. */
export function bucketize(input: Tensor | Scalar, boundaries: Tensor, opts: { right?: boolean; outInt32?: boolean } = {}): Tensor {
  if (boundaries.ndim !== 1) throw new RangeError(`bucketize: boundaries tensor must be 1 dimension, but got dim(${boundaries.ndim})`);
  return searchsorted(boundaries, input, { right: opts.right ?? false });
}

// ---------------------------------------------------------------- data-dependent sizes

const readSync = (t: Tensor): number => Number(t.itemSync());
const readAsync = async (t: Tensor): Promise<number> => Number(await t.item());

function bincountCheck(x: Tensor, weights: Tensor | null | undefined, minlength: number): void {
  if (x.dtype === 'bool' || isFloating(x.dtype) || x.ndim !== 1) throw new RangeError('bincount only supports 1-d non-negative integral inputs.');
  if (weights && (weights.ndim !== 1 || weights.shape[0] !== x.shape[0])) throw new RangeError('weights should be 1-d and have the same length as input');
  if (minlength < 0) throw new RangeError('minlength should be >= 0');
  checkDevices('bincount', x, weights);
  checkRange(x, 0, I32_MAX, 'bincount only supports 1-d non-negative integral inputs.');
}
/** @internal Counts (or weight sums) of the int32 values of 1-D x in `size` bins; no range check. */
export function bincountWith(x: Tensor, weights: Tensor | null, size: number): Tensor {
  // float32 weights stay float32; other weights count in float64 (PyTorch); no weights: int32 counts.
  const dt = weights ? (weights.dtype === 'float32' ? 'float32' : 'float64') : 'int32';
  const src = weights ? castTo(weights, dt) : full([x.shape[0]!], 1, { dtype: 'int32', device: x.device });
  return zeros([size], { dtype: dt, device: x.device }).scatterAdd(0, x, src);
}
interface BincountOpts { weights?: Tensor | null; minlength?: number }
function bincountArgs(w: Tensor | null | BincountOpts | undefined, m: number): [Tensor | null, number] {
  if (w && !(w instanceof Tensor)) return [w.weights ?? null, w.minlength ?? m];
  return [w ?? null, m];
}

/** Occurrences of each value 0..max(x) (at least minlength bins), or sums of weights. Synchronous devices only. */
export function bincount(x: Tensor, weightsArg?: Tensor | null | BincountOpts, minlengthArg = 0): Tensor {
  const [weights, minlength] = bincountArgs(weightsArg, minlengthArg);
  bincountCheck(x, weights, minlength);
  needsValues('bincount', x, 'await torch.bincountAsync(x)');
  const size = Math.max(minlength, x.numel() ? readSync(x.amax()) + 1 : 0);
  return bincountWith(x, weights, size);
}
/** torch.bincountAsync (torchlet addition): bincount on any device (max(x) is read asynchronously). */
export async function bincountAsync(x: Tensor, weightsArg?: Tensor | null | BincountOpts, minlengthArg = 0): Promise<Tensor> {
  const [weights, minlength] = bincountArgs(weightsArg, minlengthArg);
  bincountCheck(x, weights, minlength);
  const size = Math.max(minlength, x.numel() ? (await readAsync(x.amax())) + 1 : 0);
  return bincountWith(x, weights, size);
}

/** Options for unique: { sorted, returnInverse, returnCounts, dim }. */
export interface UniqueOpts {
  /** Return the unique values in ascending order (default true). */
  sorted?: boolean;
  /** Also return, for each input element, the index of its value in the output. */
  returnInverse?: boolean;
  /** Also return how many times each unique value occurs. */
  returnCounts?: boolean;
  /** Find unique slices along this dim instead of unique elements of the flattened input. */
  dim?: number | null;
}
/** Options for uniqueConsecutive: { returnInverse, returnCounts, dim }. */
export interface UniqueConsecutiveOpts {
  /** Also return, for each input element, the index of its group in the output. */
  returnInverse?: boolean;
  /** Also return the length of each run of equal consecutive values. */
  returnCounts?: boolean;
  /** Collapse consecutive equal slices along this dim instead of elements of the flattened input. */
  dim?: number | null;
}

/**
 * Groups of equal slices, computed on the device. The input is seen as n rows of m elements: the
 * flattened values (m = 1) or, with dim, the slices along dim (moved to the front and flattened).
 * unique sorts the rows lexicographically (one stable sort per column, last column first);
 * uniqueConsecutive keeps their order. A row starts a group where it differs from the previous one
 * in some column (NaN differs from everything, as PyTorch); `count`, the number of groups, is the
 * one number the caller reads, synchronously or not.
 */
interface Groups {
  x: Tensor; dim: number | null; rows: Tensor; perm: Tensor | null; group: Tensor; count: Tensor | null; rest: number[];
}
function groupRows(op: string, x: Tensor, dimArg: number | null | undefined, sortRows: boolean): Groups {
  const dim = dimArg ?? null;
  const src = x.detach();
  let rows: Tensor, rest: number[] = [];
  if (dim === null) rows = src.reshape([-1, 1]);
  else {
    if (src.ndim === 0) throw new RangeError(`Dimension specified as ${dim} but tensor has no dimensions`);
    const d = normDim(dim, src.ndim, op);
    const moved = movedim(src, d, 0);
    rest = moved.shape.slice(1);
    if (moved.shape[0]! > 0 && rest.some((r) => r === 0)) {
      throw new RangeError("There are 0 sized dimensions, and they aren't selected, so unique cannot be applied");
    }
    rows = moved.reshape([moved.shape[0]!, rest.reduce((a, b) => a * b, 1)]); // not -1: n may be 0
  }
  const n = rows.shape[0]!, m = rows.shape[1]!, dev = x.device;
  if (n === 0) return { x, dim, rows, perm: null, group: zeros([0], { dtype: 'int32', device: dev }), count: null, rest };
  let perm: Tensor | null = null;
  if (sortRows) {
    perm = arange(n, { dtype: 'int32', device: dev });
    for (let c = m - 1; c >= 0; c--) {
      const key = rows.select(1, c).gather(0, perm);
      perm = perm.gather(0, sort(key, 0, { stable: true }).indices);
    }
    rows = rows.gather(0, perm.unsqueeze(1).expand([n, m]));
  }
  let changed = ne(narrow(rows, 0, 1, n - 1), narrow(rows, 0, 0, n - 1));
  if (m > 1) changed = changed.any(1);
  else changed = changed.reshape([n - 1]);
  const isNew = cat([full([1], true, { dtype: 'bool', device: dev }), changed], 0);
  const group = castTo(isNew, 'int32').cumsum(0).sub(1).to('int32'); // group of each (sorted) row
  return { x, dim, rows, perm, group, count: narrow(group, 0, n - 1, 1).reshape([]).add(1), rest };
}
/** Scatters each row to its group's slot (all members write the same row); inverse maps input rows to groups. */
function groupsFinish(p: Groups, k: number, opts: { returnInverse?: boolean; returnCounts?: boolean }): Tensor | Tensor[] {
  const { x, dim, rows, perm, group, rest } = p, dev = x.device;
  const n = rows.shape[0]!, m = rows.shape[1]!;
  let values: Tensor;
  if (n === 0) values = dim === null ? zeros([0], { dtype: x.dtype, device: dev }) : x.detach().clone();
  else {
    const v = full([k, m], 0, { dtype: rows.dtype, device: dev }).scatter(0, group.unsqueeze(1).expand([n, m]), rows);
    values = dim === null ? v.reshape([k]) : movedim(v.reshape([k, ...rest]), 0, normDim(dim, x.ndim, 'unique'));
  }
  if (!opts.returnInverse && !opts.returnCounts) return values;
  const out = [values];
  if (opts.returnInverse) {
    // PyTorch: the input's shape without dim, one index per slice with it.
    const inv = perm ? zeros([n], { dtype: 'int32', device: dev }).scatter(0, perm, group) : group;
    out.push(dim === null ? inv.reshape(x.shape) : inv);
  }
  if (opts.returnCounts) {
    out.push(zeros([k], { dtype: 'int32', device: dev }).scatterAdd(0, group, full([n], 1, { dtype: 'int32', device: dev })));
  }
  return out;
}

/**
 * torch.unique(x, { sorted, returnInverse, returnCounts, dim }): the sorted distinct values (or,
 * with dim, the sorted distinct slices along dim); with returnInverse / returnCounts an array
 * [values, inverse?, counts?] (PyTorch's tuple order). `sorted: false` also returns sorted values:
 * PyTorch's CPU order there is its hash table's (unspecified), its CUDA kernel sorts, and with dim
 * PyTorch always sorts. Output sizes depend on the values: synchronous devices only (see uniqueAsync).
 */
export function unique(x: Tensor, opts: UniqueOpts & { returnInverse?: false; returnCounts?: false }): Tensor;
export function unique(x: Tensor): Tensor;
export function unique(x: Tensor, opts: UniqueOpts): Tensor | Tensor[];
export function unique(x: Tensor, opts: UniqueOpts = {}): Tensor | Tensor[] {
  needsValues('unique', x, 'await torch.uniqueAsync(x)');
  const p = groupRows('unique', x, opts.dim, true);
  return groupsFinish(p, p.count ? readSync(p.count) : 0, opts);
}
/** torch.uniqueAsync (torchlet addition): unique on any device (the distinct count is read asynchronously). */
export function uniqueAsync(x: Tensor, opts: UniqueOpts & { returnInverse?: false; returnCounts?: false }): Promise<Tensor>;
export function uniqueAsync(x: Tensor): Promise<Tensor>;
export function uniqueAsync(x: Tensor, opts: UniqueOpts): Promise<Tensor | Tensor[]>;
export async function uniqueAsync(x: Tensor, opts: UniqueOpts = {}): Promise<Tensor | Tensor[]> {
  const p = groupRows('unique', x, opts.dim, true);
  return groupsFinish(p, p.count ? await readAsync(p.count) : 0, opts);
}

/**
 * torch.unique_consecutive(x, { returnInverse, returnCounts, dim }): collapses each run of equal
 * consecutive values (or slices along dim) to one, in input order; arrays as unique. Synchronous
 * devices only (see uniqueConsecutiveAsync).
 */
export function uniqueConsecutive(x: Tensor, opts: UniqueConsecutiveOpts & { returnInverse?: false; returnCounts?: false }): Tensor;
export function uniqueConsecutive(x: Tensor): Tensor;
export function uniqueConsecutive(x: Tensor, opts: UniqueConsecutiveOpts): Tensor | Tensor[];
export function uniqueConsecutive(x: Tensor, opts: UniqueConsecutiveOpts = {}): Tensor | Tensor[] {
  needsValues('uniqueConsecutive', x, 'await torch.uniqueConsecutiveAsync(x)');
  const p = groupRows('uniqueConsecutive', x, opts.dim, false);
  return groupsFinish(p, p.count ? readSync(p.count) : 0, opts);
}
/** torch.uniqueConsecutiveAsync (torchlet addition): uniqueConsecutive on any device (the run count is read asynchronously). */
export function uniqueConsecutiveAsync(x: Tensor, opts: UniqueConsecutiveOpts & { returnInverse?: false; returnCounts?: false }): Promise<Tensor>;
export function uniqueConsecutiveAsync(x: Tensor): Promise<Tensor>;
export function uniqueConsecutiveAsync(x: Tensor, opts: UniqueConsecutiveOpts): Promise<Tensor | Tensor[]>;
export async function uniqueConsecutiveAsync(x: Tensor, opts: UniqueConsecutiveOpts = {}): Promise<Tensor | Tensor[]> {
  const p = groupRows('uniqueConsecutive', x, opts.dim, false);
  return groupsFinish(p, p.count ? await readAsync(p.count) : 0, opts);
}
