// Dropout family of torch.nn.functional. Masks come from torch.rand (the Philox generator, through
// dropoutKeep: the one rule of every dropout), so results are reproducible under torch.manualSeed and
// identical across backends, but not equal to PyTorch's own random stream. Kept elements are scaled
// by 1/(1-p) in training; identity otherwise. The nn layers apply the same applyMask.

import { Tensor } from '../../tensor.js';
import { dropoutKeep } from '../../ops/creation.js';
import { inplace } from '../../ops/shape.js';
import { fmtShape } from '../../shape.js';
import { composite } from '../../ops/prim.js';
import { warnOnce } from './utils.js';

/** Options of the F.dropout family (PyTorch's keyword arguments). */
export interface DropoutOpts {
  /** Probability of an element (or channel) being zeroed (default 0.5). */
  p?: number;
  /** Apply dropout if true (default true); identity otherwise. */
  training?: boolean;
  /** Write the result into x (default false). */
  inplace?: boolean;
}

function resolve(op: string, pOrOpts: number | DropoutOpts | undefined, opts: DropoutOpts): { p: number; training: boolean; inplace: boolean } {
  const o = typeof pOrOpts === 'object' ? { ...pOrOpts, ...opts } : { ...opts, p: pOrOpts ?? opts.p };
  const p = o.p ?? 0.5;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${op}: dropout probability has to be between 0 and 1, but got ${p}`);
  return { p, training: o.training ?? true, inplace: o.inplace ?? false };
}

/** x * keep / (1 - p) with one Bernoulli(1 - p) draw per element of maskShape (broadcast over the rest). */
export function applyMask(x: Tensor, p: number, maskShape: readonly number[], inPlace = false): Tensor {
  let out: Tensor;
  if (p === 1) out = x.mul(0);
  else out = x.mul(dropoutKeep(maskShape, p, x.device).to(x.dtype).mul(1 / (1 - p)));
  return inPlace ? inplace(x, out) : out;
}

/** F.dropout(x, p = 0.5, { training = true, inplace }) (also F.dropout(x, { p, training })). */
export function dropout(x: Tensor, p?: number | DropoutOpts, opts: DropoutOpts = {}): Tensor {
  const o = resolve('dropout', p, opts);
  if (!o.training || o.p === 0) return x;
  return composite('dropout', { p: o.p, training: o.training }, () => applyMask(x, o.p, x.shape, o.inplace));
}

/** Channel-wise dropout: one draw per (N, C) for [N, C, *spatial] input, or per C for unbatched [C, *spatial]. */
function channelDropout(op: string, x: Tensor, spatial: number, p: number | DropoutOpts | undefined, opts: DropoutOpts): Tensor {
  const o = resolve(op, p, opts);
  if (x.ndim !== spatial + 1 && x.ndim !== spatial + 2) {
    throw new RangeError(`${op}: Expected ${spatial + 1}D or ${spatial + 2}D input, but received a ${x.ndim}D input of shape ${fmtShape(x.shape)}`);
  }
  if (!o.training || o.p === 0) return x;
  const lead = x.ndim - spatial;
  return composite(op, { p: o.p, training: o.training }, () => applyMask(x, o.p, x.shape.map((s, i) => (i < lead ? s : 1)), o.inplace));
}
/** Randomly zeroes whole channels of [N, C, L] or [C, L] input with probability p, scaling the rest by 1/(1-p) (torch.nn.functional.dropout1d). */
export const dropout1d = (x: Tensor, p?: number | DropoutOpts, opts: DropoutOpts = {}) => channelDropout('dropout1d', x, 1, p, opts);
/**
 * Randomly zeroes whole channels of [N, C, H, W] input with probability p, scaling the rest by
 * 1/(1-p) (torch.nn.functional.dropout2d). A 3-D input is read as PyTorch 1.13 reads it, [N, C, L]
 * (channel-wise 1-D dropout), with its warning.
 */
export function dropout2d(x: Tensor, p?: number | DropoutOpts, opts: DropoutOpts = {}): Tensor {
  if (x.ndim === 3) {
    warnOnce(DROPOUT2D_3D);
    return channelDropout('dropout2d', x, 1, p, opts);
  }
  return channelDropout('dropout2d', x, 2, p, opts);
}
/** PyTorch 1.13's UserWarning for a 3-D input to dropout2d. */
export const DROPOUT2D_3D = 'dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will change in a future release to interpret the input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d instead.';
/** Randomly zeroes whole channels of [N, C, D, H, W] or [C, D, H, W] input with probability p, scaling the rest by 1/(1-p) (torch.nn.functional.dropout3d). */
export const dropout3d = (x: Tensor, p?: number | DropoutOpts, opts: DropoutOpts = {}) => channelDropout('dropout3d', x, 3, p, opts);

/**
 * F.alphaDropout: keeps SELU's self-normalizing mean and variance. Dropped elements become
 * alpha' = -scale * alpha, then an affine map a * y + b restores zero mean and unit variance.
 */
export function alphaDropout(x: Tensor, p?: number | DropoutOpts, opts: DropoutOpts = {}): Tensor {
  const o = resolve('alphaDropout', p, opts);
  if (!o.training || o.p === 0) return x;
  return composite('alphaDropout', { p: o.p, training: o.training }, () => {
    if (o.p === 1) return o.inplace ? inplace(x, x.mul(0)) : x.mul(0);
    const alphaP = -1.7580993408473766;
    const a = 1 / Math.sqrt((alphaP * alphaP * o.p + 1) * (1 - o.p));
    const b = -a * alphaP * o.p;
    const keep = dropoutKeep(x.shape, o.p, x.device).to(x.dtype);
    const out = x.mul(keep).add(keep.rsub(1).mul(alphaP)).mul(a).add(b);
    return o.inplace ? inplace(x, out) : out;
  });
}
