// Searching and counting: searchsorted/bucketize (comparison counts, so they run on every device),
// and bincount/unique, whose output sizes depend on the values. Those are computed on the tensor's
// device and need one number read back: synchronously on synchronous devices (the PyTorch-named ops),
// asynchronously everywhere through the torchlet `bincountAsync`/`uniqueAsync` variants, as nonzero.

import { isFloating } from '../dtype.js';
import { fmtShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { checkDevices } from './prim.js';
import { castTo, ne } from './elementwise.js';
import { full, zeros } from './creation.js';
import { cat, narrow } from './shape.js';
import { sum } from './reduce.js';
import { checkRange, sort } from './indexing.js';
import type { Scalar } from './types.js';

export interface SearchSortedOpts { right?: boolean; side?: 'left' | 'right'; outInt32?: boolean; sorter?: Tensor | null }

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

function needsValues(op: string, t: Tensor, alternative: string): void {
  if (!t.storage.backend.synchronous) {
    throw new Error(`${op}: the output shape depends on the values of a tensor on '${t.device}', which are only readable asynchronously there; use '${alternative}' instead`);
  }
}
const readSync = (t: Tensor): number => Number(t.itemSync());
const readAsync = async (t: Tensor): Promise<number> => Number(await t.item());

function bincountCheck(x: Tensor, weights: Tensor | null | undefined, minlength: number): void {
  if (x.dtype === 'bool' || isFloating(x.dtype) || x.ndim !== 1) throw new RangeError('bincount only supports 1-d non-negative integral inputs.');
  if (weights && (weights.ndim !== 1 || weights.shape[0] !== x.shape[0])) throw new RangeError('weights should be 1-d and have the same length as input');
  if (minlength < 0) throw new RangeError('minlength should be >= 0');
  checkDevices('bincount', x, weights);
  checkRange(x, 0, 2 ** 31 - 1, 'bincount only supports 1-d non-negative integral inputs.');
}
function bincountWith(x: Tensor, weights: Tensor | null, size: number): Tensor {
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

export interface UniqueOpts { sorted?: boolean; returnInverse?: boolean; returnCounts?: boolean; dim?: number | null }

interface UniquePrep { x: Tensor; s: Tensor; perm: Tensor; group: Tensor; count: Tensor | null }

/**
 * unique on the device: sort, flag where the sorted value changes, and number the groups; the
 * distinct count (one number, `count`) is then read by the caller, synchronously or not.
 */
function uniquePrep(x: Tensor, opts: UniqueOpts): UniquePrep {
  if (opts.dim !== undefined && opts.dim !== null) throw new RangeError('unique: the dim argument is not supported by torchlet (only the flattened form)');
  const flat = x.detach().reshape(-1);
  const n = flat.numel(), dev = x.device;
  if (n === 0) return { x, s: flat, perm: flat, group: flat, count: null };
  const { values: s, indices: perm } = sort(flat, 0);
  const isNew = cat([full([1], true, { dtype: 'bool', device: dev }), ne(narrow(s, 0, 1, n - 1), narrow(s, 0, 0, n - 1))], 0);
  const group = castTo(isNew, 'int32').cumsum(0).sub(1).to('int32'); // group of each sorted position
  return { x, s, perm, group, count: narrow(group, 0, n - 1, 1).reshape([]).add(1) };
}
/** Scatters each sorted value to its group's slot (all members write the same value); inverse maps inputs to groups. */
function uniqueFinish(p: UniquePrep, k: number, opts: UniqueOpts): Tensor | Tensor[] {
  const { x, s, perm, group } = p, dev = x.device, n = x.numel();
  let values: Tensor, inverse: Tensor, counts: Tensor;
  if (n === 0) {
    values = s.clone();
    inverse = zeros(x.shape, { dtype: 'int32', device: dev });
    counts = zeros([0], { dtype: 'int32', device: dev });
  } else {
    values = full([k], 0, { dtype: s.dtype, device: dev }).scatter(0, group, s);
    inverse = zeros([n], { dtype: 'int32', device: dev }).scatter(0, perm, group).reshape(x.shape);
    counts = zeros([k], { dtype: 'int32', device: dev }).scatterAdd(0, group, full([n], 1, { dtype: 'int32', device: dev }));
  }
  if (!opts.returnInverse && !opts.returnCounts) return values;
  return [values, ...(opts.returnInverse ? [inverse] : []), ...(opts.returnCounts ? [counts] : [])];
}

/**
 * torch.unique(x, { sorted, returnInverse, returnCounts }): the sorted distinct values; with
 * returnInverse / returnCounts an array [values, inverse?, counts?] (PyTorch's tuple order). Output
 * sizes depend on the values: synchronous devices only (see uniqueAsync).
 */
export function unique(x: Tensor, opts: UniqueOpts & { returnInverse?: false; returnCounts?: false }): Tensor;
export function unique(x: Tensor): Tensor;
export function unique(x: Tensor, opts: UniqueOpts): Tensor | Tensor[];
export function unique(x: Tensor, opts: UniqueOpts = {}): Tensor | Tensor[] {
  needsValues('unique', x, 'await torch.uniqueAsync(x)');
  const p = uniquePrep(x, opts);
  return uniqueFinish(p, p.count ? readSync(p.count) : 0, opts);
}
/** torch.uniqueAsync (torchlet addition): unique on any device (the distinct count is read asynchronously). */
export function uniqueAsync(x: Tensor, opts: UniqueOpts & { returnInverse?: false; returnCounts?: false }): Promise<Tensor>;
export function uniqueAsync(x: Tensor): Promise<Tensor>;
export function uniqueAsync(x: Tensor, opts: UniqueOpts): Promise<Tensor | Tensor[]>;
export async function uniqueAsync(x: Tensor, opts: UniqueOpts = {}): Promise<Tensor | Tensor[]> {
  const p = uniquePrep(x, opts);
  return uniqueFinish(p, p.count ? await readAsync(p.count) : 0, opts);
}
