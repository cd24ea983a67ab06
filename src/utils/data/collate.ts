// defaultCollate: turns a list of samples into a batch like PyTorch's default_collate: Tensors are
// stacked, numbers become a tensor (int32 when all are integers, else float32: torchlet's defaults,
// not PyTorch's int64/float64), booleans a bool tensor, typed arrays stacked rows, arrays (tuples)
// and plain objects are collated position- / key-wise, strings and anything else stay a list.
// JS numbers carry no int/float type, so a float field whose batch happens to hold whole numbers
// would come out int32 between float32 batches; a DataLoader's collate (loaderCollate) therefore
// remembers each number field that was ever fractional and keeps it float32 from then on.

import { Tensor, isTensor } from '../../tensor.js';
import { stack, tensor } from '../../ops/index.js';
import type { TypedArray } from '../../dtype.js';

/** What defaultCollate can return. */
export type Collated = Tensor | string[] | unknown[] | Collated[] | { [key: string]: Collated };

/** The type defaultCollate gives a batch of T (Tensor[] items -> Tensor[] batches, numbers -> Tensor...). */
export type CollateOf<T> =
  T extends Tensor ? Tensor
    : T extends number | boolean ? Tensor
      : T extends string ? string[]
        : T extends ArrayBufferView ? Tensor
          : T extends readonly unknown[] ? { -readonly [K in keyof T]: CollateOf<T[K]> }
            : T extends Record<string, unknown> ? { [K in keyof T]: CollateOf<T[K]> }
              : unknown[];

const isPlainObject = (x: unknown): x is Record<string, unknown> =>
  !!x && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype;

/** Collates a list of samples into a batch (torch.utils.data.default_collate): tensors stacked, numbers/booleans as tensors, arrays and objects element-wise. */
export function defaultCollate(batch: readonly unknown[]): Collated { return collateAt(batch, '', null); }

/**
 * defaultCollate for one DataLoader (its default collateFn): a number field (by its position in the
 * sample: '', '/1', '/y/0') that had a fractional value in any batch stays float32 in every later
 * batch and epoch, so its dtype does not flip with whether a batch's values happen to be whole.
 * A field never fractional (class labels) stays int32.
 */
export function loaderCollate(): (batch: readonly unknown[]) => Collated {
  const floatFields = new Set<string>();
  return (batch) => collateAt(batch, '', floatFields);
}

function collateAt(batch: readonly unknown[], path: string, floatFields: Set<string> | null): Collated {
  if (batch.length === 0) throw new RangeError('defaultCollate: cannot collate an empty batch');
  const first = batch[0];
  if (isTensor(first)) {
    if (!batch.every(isTensor)) throw new TypeError('defaultCollate: batch mixes Tensors with other types');
    const ts = batch as Tensor[];
    const bad = ts.find((t) => t.ndim !== first.ndim || t.shape.some((s, i) => s !== first.shape[i]));
    if (bad) throw new RangeError(`defaultCollate: stack expects each tensor to be equal size, but got [${first.shape}] at entry 0 and [${bad.shape}] at entry ${ts.indexOf(bad)}`);
    return stack(ts, 0);
  }
  if (typeof first === 'number') {
    if (!batch.every((v) => typeof v === 'number')) throw new TypeError('defaultCollate: batch mixes numbers with other types');
    const nums = batch as number[];
    const isFloat = floatFields?.has(path) || !nums.every(Number.isInteger);
    if (isFloat) floatFields?.add(path);
    return tensor(nums, { dtype: isFloat ? 'float32' : 'int32' });
  }
  if (typeof first === 'boolean') return tensor(batch as boolean[]);
  if (typeof first === 'string') return [...batch] as string[];
  if (ArrayBuffer.isView(first) && !(first instanceof DataView)) {
    const rows = batch as TypedArray[];
    return stack(rows.map((r) => tensor(r)), 0);
  }
  if (Array.isArray(first)) {
    const n = first.length;
    if (!batch.every((s) => Array.isArray(s) && s.length === n)) throw new RangeError('defaultCollate: each element in list of batch should be of equal size');
    return Array.from({ length: n }, (_, i) => collateAt(batch.map((s) => (s as unknown[])[i]), `${path}/${i}`, floatFields));
  }
  if (isPlainObject(first)) {
    const out: Record<string, Collated> = {};
    for (const k of Object.keys(first)) out[k] = collateAt(batch.map((s) => (s as Record<string, unknown>)[k]), `${path}/${k}`, floatFields);
    return out;
  }
  return [...batch];
}

/** Collate for batchSize null: converts numbers/typed arrays to tensors and keeps the structure. */
export function defaultConvert(sample: unknown): unknown {
  if (typeof sample === 'number') return tensor(sample);
  if (ArrayBuffer.isView(sample) && !(sample instanceof DataView)) return tensor(sample as TypedArray);
  if (Array.isArray(sample)) return sample.map(defaultConvert);
  if (isPlainObject(sample)) return Object.fromEntries(Object.entries(sample).map(([k, v]) => [k, defaultConvert(v)]));
  return sample;
}
