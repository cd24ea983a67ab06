// F.scaledDotProductAttention: softmax(q k^T * scale + mask) v: without a mask tensor (isCausal and
// dropout are fine) the fused kernel where the backend has one (ops/attention.ts: the CPU), else
// PyTorch 2's math path composed from matmul/softmax. A bool attnMask marks the positions that take part (true = attend);
// a float mask is added to the scores. isCausal applies a lower-triangular mask of shape [L, S].

import { Tensor } from '../../tensor.js';
import { fmtShape } from '../../shape.js';
import { where } from '../../ops/elementwise.js';
import { composite } from '../../ops/prim.js';
import { dropout } from './dropout.js';
import { attentionPrim, canFuseAttention, maskCausal } from '../../ops/attention.js';

/**
 * PyTorch's dtype rule for attention masks: bool (a selection) or floating (added to the scores).
 * Any other dtype (an int32 0/1 mask, say) is a TypeError, never silently added as a float mask.
 */
export function checkMaskDtype(op: string, name: string, mask: Tensor | null | undefined): void {
  if (mask && mask.dtype !== 'bool' && !mask.isFloatingPoint()) {
    throw new TypeError(`${op}: only bool and floating types of ${name} are supported, got ${mask.dtype}`);
  }
}

/** Options of F.scaledDotProductAttention (PyTorch's keyword arguments). */
export interface SdpaOpts {
  /** [..., L, S] mask: true (bool) may attend, false may not; or an additive float mask. */
  attnMask?: Tensor | null;
  /** Dropout probability on the attention weights (default 0). */
  dropoutP?: number;
  /** Apply a causal (lower-triangular) mask; attnMask must not be set then. */
  isCausal?: boolean;
  /** The scaling factor of q k^T (default, or null: 1 / sqrt(E)). */
  scale?: number | null;
}

/** q [..., L, E], k [..., S, E], v [..., S, Ev] -> [..., L, Ev]. */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, optsArg?: SdpaOpts | Tensor | null,
  dropoutP?: number, isCausal?: boolean): Tensor {
  // PyTorch's positional form (q, k, v, attn_mask, dropout_p, is_causal) is accepted too; a mask in
  // the options slot must never be mistaken for an empty options object.
  const opts: SdpaOpts = optsArg === null || optsArg === undefined || optsArg instanceof Tensor
    ? { attnMask: optsArg, ...(dropoutP === undefined ? {} : { dropoutP }), ...(isCausal === undefined ? {} : { isCausal }) }
    : optsArg;
  const op = 'scaledDotProductAttention';
  if (q.ndim < 2 || k.ndim < 2 || v.ndim < 2) throw new RangeError(`${op}: expected query, key and value of at least 2 dims, got ${fmtShape(q.shape)}, ${fmtShape(k.shape)}, ${fmtShape(v.shape)}`);
  const S = k.shape[k.ndim - 2]!, E = q.shape[q.ndim - 1]!;
  if (k.shape[k.ndim - 1] !== E) throw new RangeError(`${op}: query and key must have the same embedding size, got ${fmtShape(q.shape)} and ${fmtShape(k.shape)}`);
  if (v.shape[v.ndim - 2] !== S) throw new RangeError(`${op}: key and value must have the same sequence length, got ${fmtShape(k.shape)} and ${fmtShape(v.shape)}`);
  const attnMask = opts.attnMask ?? null;
  checkMaskDtype(op, 'attnMask', attnMask);
  if (opts.isCausal && attnMask) throw new RangeError(`${op}: explicit attn_mask should not be set when is_causal=True`);
  const scale = opts.scale ?? 1 / Math.sqrt(E);
  const dropP = opts.dropoutP ?? 0;
  if (!(dropP >= 0 && dropP <= 1)) throw new RangeError(`${op}: dropout probability has to be between 0 and 1, but got ${dropP}`);
  return composite(op, { dropoutP: opts.dropoutP ?? 0, isCausal: opts.isCausal ?? false, scale }, () => {
    // The fused kernel (PyTorch's flash/efficient paths) where no mask but the causal one applies:
    // 4-D heads, or 3-D as one head each. Its dropout draws what the composed path's would.
    if (!attnMask && dropP < 1 && (q.ndim === 3 || q.ndim === 4) && k.ndim === q.ndim && v.ndim === q.ndim) {
      const four = (t: Tensor) => (t.ndim === 3 ? t.unsqueeze(1) : t);
      const [q4, k4, v4] = [four(q), four(k), four(v)];
      if (canFuseAttention(q4, k4, v4)) {
        const o = attentionPrim(q4, k4, v4, scale, opts.isCausal ?? false, dropP);
        return q.ndim === 3 ? o.squeeze(1) : o;
      }
    }
    let scores = q.matmul(k.transpose(-2, -1)).mul(scale);
    if (opts.isCausal) {
      scores = maskCausal(scores);
    } else if (attnMask) {
      scores = attnMask.dtype === 'bool' ? where(attnMask, scores, -Infinity) : scores.add(attnMask);
    }
    let attn = scores.softmax(-1);
    if (dropP > 0) attn = dropout(attn, dropP, { training: true });
    return attn.matmul(v);
  });
}
