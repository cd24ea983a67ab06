// Membership and counting: torch.isin and torch.histc, composed from sort/searchsorted/scatterAdd so
// they run on every backend without reading values back to the host (histc's data-derived range
// stays a 0-d tensor on the device). Neither is differentiable in PyTorch; neither is here.

import { getBackend } from '../backends/registry.js';
import { isFloating, promoteTypes } from '../dtype.js';
import { Tensor } from '../tensor.js';
import { checkDevices } from './prim.js';
import { castTo, where } from './elementwise.js';
import { full, ones, zeros } from './creation.js';
import { searchsorted } from './search.js';
import type { Scalar } from './types.js';

/** Options of torch.isin: PyTorch's keywords. */
export interface IsinOpts {
  /** Both inputs hold unique values (accepted; the result does not depend on it here). */
  assumeUnique?: boolean;
  /** True where an element is NOT among the test elements. */
  invert?: boolean;
}

/**
 * torch.isin(elements, testElements, { invert }): a bool tensor shaped like `elements`, true where an
 * element equals one of `testElements` (either may be a number; both are compared in their promoted
 * dtype, so NaN is never found). The test elements are sorted once and each element is looked up by
 * binary search.
 */
export function isin(elements: Tensor | Scalar, testElements: Tensor | Scalar, opts: IsinOpts = {}): Tensor {
  if (!(elements instanceof Tensor) && !(testElements instanceof Tensor)) {
    throw new TypeError('isin(): at least one of elements and testElements must be a Tensor');
  }
  const ref = elements instanceof Tensor ? elements : (testElements as Tensor);
  for (const t of [elements, testElements]) {
    if ((t instanceof Tensor && t.dtype === 'bool') || typeof t === 'boolean') throw new TypeError('Unsupported input type encountered for isin(): bool');
  }
  if (elements instanceof Tensor && testElements instanceof Tensor) checkDevices('isin', elements, testElements);
  const dtypeOf = (v: Tensor | number) => (v instanceof Tensor ? v.dtype : Number.isInteger(v) ? 'int32' : 'float32');
  const dtype = promoteTypes(dtypeOf(elements as Tensor | number), dtypeOf(testElements as Tensor | number));
  const asTensor = (v: Tensor | Scalar) => (v instanceof Tensor ? castTo(v.detach(), dtype) : full([], v, { dtype, device: ref.device }));
  const e = asTensor(elements), t = asTensor(testElements).reshape(-1);
  let found: Tensor;
  if (t.numel() === 0 || e.numel() === 0) found = zeros(e.shape, { dtype: 'bool', device: e.device });
  else {
    const sorted = t.sort().values;
    // The insertion point of each element; it is present iff the sorted value there equals it.
    const pos = searchsorted(sorted, e.reshape(-1)).clamp(null, t.numel() - 1).to('int32');
    found = sorted.gather(0, pos).eq(e.reshape(-1)).reshape(e.shape);
  }
  return opts.invert ? found.logicalNot() : found;
}

/** Options of torch.histc as PyTorch's keywords: `torch.histc(x, { bins: 4, min: 0, max: 3 })`. */
export interface HistcOpts {
  /** Number of equal-width bins (default 100). */
  bins?: number;
  /** Lower end of the range (default 0; with max equal to it, the data's minimum). */
  min?: number;
  /** Upper end of the range (default 0; with min equal to it, the data's maximum). */
  max?: number;
}

/**
 * torch.histc(x, bins = 100, min = 0, max = 0): counts of x's elements in `bins` equal-width bins over
 * [min, max], in x's (floating) dtype; elements outside the range (and NaNs) are not counted, the
 * maximum falls in the last bin. With min == max the range is the data's [min, max] (widened by 1 on
 * each side when they are equal), found on the device. Positions are PyTorch's:
 * floor((x - min) * bins / (max - min)).
 */
export function histc(x: Tensor, binsOrOpts: number | HistcOpts = 100, minArg = 0, maxArg = 0): Tensor {
  const o: HistcOpts = typeof binsOrOpts === 'object' && binsOrOpts !== null ? binsOrOpts : { bins: binsOrOpts, min: minArg, max: maxArg };
  const bins = o.bins ?? 100, min = o.min ?? 0, max = o.max ?? 0;
  if (!isFloating(x.dtype)) throw new TypeError(`histc: "histogram_cpu" not implemented for '${x.dtype}'`);
  if (!Number.isInteger(bins) || bins <= 0) throw new RangeError(`torch.histogram(): bins must be > 0, but got ${bins} for dimension 0`);
  if (min > max) throw new RangeError(`torch.histc: max must be larger than min (got min=${min}, max=${max})`);
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new RangeError(`torch.histc: range of [${min}, ${max}] is not finite`);
  const dev = x.device, n = x.numel();
  if (n === 0) return zeros([bins], { dtype: x.dtype, device: dev });
  // Computed in float32 for float16 input (float64 stays float64), cast back at the end.
  const work = x.dtype === 'float64' ? 'float64' : 'float32';
  const v = castTo(x.detach(), work).reshape(-1);
  let lo: Tensor, hi: Tensor;
  if (min === max) {
    lo = v.amin();
    hi = v.amax();
    const bad = lo.isfinite().logicalAnd(hi.isfinite()).logicalNot();
    const be = getBackend(dev);
    if (be.synchronous) {
      if (bad.itemSync()) throw new RangeError(`torch.histc: range of [${lo.itemSync()}, ${hi.itemSync()}] is not finite`);
    } else {
      // No host read on asynchronous devices: a device check that reading the counts raises. It is
      // carried by `lo` (fresh, and what every count is computed from), never by x's own storage.
      const flag = bad.to('int32');
      be.checkRange(flag.view_(), 0, 0, 'torch.histc: range of [min(x), max(x)] is not finite');
      be.carryChecks?.(flag.view_(), lo.view_());
    }
    const same = lo.eq(hi);
    lo = where(same, lo.sub(1), lo);
    hi = where(same, hi.add(1), hi);
  } else {
    lo = full([], min, { dtype: work, device: dev });
    hi = full([], max, { dtype: work, device: dev });
  }
  const inRange = v.ge(lo).logicalAnd(v.le(hi));
  // The maximum itself lands on index `bins`: it belongs to the last bin.
  const pos = v.sub(lo).mul(bins).div(hi.sub(lo)).floor().clamp(0, bins - 1);
  const slot = where(inRange, pos, bins).to('int32');
  const counts = zeros([bins + 1], { dtype: work, device: dev }).scatterAdd(0, slot, ones([n], { dtype: work, device: dev }));
  return castTo(counts.narrow(0, 0, bins), x.dtype);
}
