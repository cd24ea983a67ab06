// Small helpers shared by the torch.nn.functional modules: PyTorch's int-or-tuple arguments,
// loss reductions, constant tensors built on the input's device, and PyTorch's UserWarnings.
// Internal, not public API.

import { Tensor } from '../../tensor.js';
import { tensor as tensorOp } from '../../ops/creation.js';
import { where as whereOp } from '../../ops/elementwise.js';

/** An int for every spatial dim alike, or one int per spatial dim (PyTorch's int-or-tuple arguments). */
export type IntOrTuple = number | readonly number[];
/** How a loss reduces its per-element values: 'mean' (default), 'sum', or 'none' (no reduction). */
export type Reduction = 'mean' | 'sum' | 'none';

/** Expands an int-or-tuple argument to `n` values (PyTorch's _pair/_single), checking the length. */
export function tuple(v: IntOrTuple, n: number, op: string, name: string): number[] {
  if (typeof v === 'number') return new Array<number>(n).fill(v);
  if (v.length === 1) return new Array<number>(n).fill(v[0]!);
  if (v.length !== n) throw new RangeError(`${op}: ${name} must be an int or a tuple of ${n} ints, got [${v.join(', ')}]`);
  return [...v];
}

/** Applies a loss reduction. */
export function reduce(loss: Tensor, reduction: Reduction | undefined, op: string): Tensor {
  const r = reduction ?? 'mean';
  if (r === 'mean') return loss.mean();
  if (r === 'sum') return loss.sum();
  if (r === 'none') return loss;
  throw new RangeError(`${op}: ${String(r)} is not a valid value for reduction`);
}

/** A constant float tensor with x's dtype and device (for weights computed on the host). */
export function constLike(x: Tensor, values: number[], shape: readonly number[]): Tensor {
  return tensorOp(values, { dtype: x.dtype, device: x.device }).reshape([...shape]);
}

/** A constant int32 index tensor on x's device. */
export function indexLike(x: Tensor, values: number[]): Tensor {
  return tensorOp(values, { dtype: 'int32', device: x.device });
}

/** Throws a TypeError unless x has a floating-point dtype. */
export function checkFloat(op: string, x: Tensor): void {
  if (!x.isFloatingPoint()) throw new TypeError(`${op}: expected a floating point input, got ${x.dtype}`);
}

/**
 * The p-norm over dim whose gradient is 0 (not NaN) where the norm is 0, as PyTorch's norm backward.
 * The root is taken of a safe value (1) on zero entries and the result masked back to 0.
 */
export function safeNorm(x: Tensor, p: number, dim: number, keepdim: boolean): Tensor {
  if (p === Infinity || p === -Infinity) return x.norm(p, dim, keepdim);
  if (p === 1) return x.abs().sum(dim, keepdim);
  const s = p === 2 ? x.square().sum(dim, keepdim) : x.abs().pow(p).sum(dim, keepdim);
  const pos = s.gt(0);
  const safe = whereOp(pos, s, 1);
  return whereOp(pos, p === 2 ? safe.sqrt() : safe.pow(1 / p), 0);
}

/** PyTorch's norm_except_dim(v, 2, dim): the 2-norm over every dim but `dim` (kept as size 1); the whole norm for dim -1. */
export function normExceptDim(v: Tensor, dim: number): Tensor {
  if (dim === -1) return v.norm(2);
  const others = [...v.shape.keys()].filter((d) => d !== dim);
  return others.length === 0 ? v.abs() : v.norm(2, others, true);
}

const warned = new Set<string>();
/**
 * PyTorch's UserWarning through console.warn, once per distinct message per process (what Python's
 * default filter shows for one call site: a loop warns once, another shape warns again).
 */
export function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(`UserWarning: ${message}`);
}
