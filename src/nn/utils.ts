// torch.nn.utils: gradient clipping (clipGradNorm_, clipGradValue_), flattening parameters to
// one vector and back, and rnn.padSequence. Clipping scales gradients in place with tensor ops, so it never leaves the
// device unless errorIfNonfinite asks for the norm's value.

import { Tensor } from '../tensor.js';
import { noGrad } from '../autograd/grad-mode.js';
import { cat, stack } from '../ops/shape.js';
import { fmtShape } from '../shape.js';
import { norm } from '../ops/reduce.js';
import { zeros } from '../ops/creation.js';
import type { NormOrd } from '../ops/types.js';

type Params = Tensor | Iterable<Tensor>;
const listOf = (p: Params): Tensor[] => (p instanceof Tensor ? [p] : [...p]);

/**
 * Scales all gradients so that their joint norm (of order normType) is at most maxNorm; returns
 * the total norm before clipping (a 0-d tensor), as torch.nn.utils.clip_grad_norm_.
 */
export function clipGradNorm_(parameters: Params, maxNorm: number, opts: { normType?: NormOrd; errorIfNonfinite?: boolean } = {}): Tensor {
  const normType = opts.normType ?? 2;
  const grads = listOf(parameters).map((p) => p.grad).filter((g): g is Tensor => g !== null);
  if (grads.length === 0) return zeros([]);
  return noGrad(() => {
    const device = grads[0]!.device;
    const isInf = normType === Infinity || normType === 'inf';
    const norms = grads.map((g) => (isInf ? g.abs().amax() : norm(g, normType)).to(device));
    const total = norms.length === 1 ? norms[0]! : isInf ? stack(norms).amax() : norm(stack(norms), normType);
    if (opts.errorIfNonfinite && !Number.isFinite(Number(total.itemSync()))) {
      throw new Error(`clipGradNorm_: the total norm of order ${String(normType)} for gradients from \`parameters\` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set errorIfNonfinite: false`);
    }
    const coef = total.add(1e-6).reciprocal().mul(maxNorm).clamp(null, 1);
    for (const g of grads) g.mul_(coef.to(g.device, { dtype: g.dtype }));
    return total;
  });
}

/** Clamps every gradient to [-clipValue, clipValue] in place. */
export function clipGradValue_(parameters: Params, clipValue: number): void {
  noGrad(() => {
    for (const p of listOf(parameters)) p.grad?.clamp_(-clipValue, clipValue);
  });
}

/** All parameters flattened and concatenated into one 1-D tensor. */
export function parametersToVector(parameters: Params): Tensor {
  const ps = listOf(parameters);
  if (ps.length === 0) throw new Error('parametersToVector: expected a non-empty list of parameters');
  const dev = ps[0]!.device;
  for (const p of ps) {
    if (p.device !== dev) throw new Error(`parametersToVector: found two parameters on different devices (${dev} and ${p.device})`);
  }
  return cat(ps.map((p) => p.reshape(-1)));
}

/** Copies consecutive slices of `vec` into the parameters (the inverse of parametersToVector). */
export function vectorToParameters(vec: Tensor, parameters: Params): void {
  if (!(vec instanceof Tensor)) throw new TypeError(`vectorToParameters: expected vec to be a Tensor, but got ${typeof vec}`);
  const ps = listOf(parameters);
  const total = ps.reduce((a, p) => a + p.numel(), 0);
  if (vec.ndim !== 1 || vec.shape[0] !== total) throw new RangeError(`vectorToParameters: vec has shape [${vec.shape.join(', ')}], expected [${total}]`);
  noGrad(() => {
    let off = 0;
    for (const p of ps) {
      const n = p.numel();
      p.copy_(vec.narrow(0, off, n).reshape(p.shape));
      off += n;
    }
  });
}

/** Pads a list of [L_i, *] tensors to [maxL, B, *] (or [B, maxL, *] with batchFirst) with paddingValue. */
function padSequence(sequences: readonly Tensor[], opts: { batchFirst?: boolean; paddingValue?: number; paddingSide?: 'right' | 'left' } = {}): Tensor {
  if (sequences.length === 0) throw new RangeError('padSequence: received an empty list of sequences');
  const trailing = sequences[0]!.shape.slice(1);
  for (const s of sequences) {
    if (s.ndim < 1 || s.shape.length !== trailing.length + 1 || s.shape.slice(1).some((v, i) => v !== trailing[i])) {
      throw new RangeError(`padSequence: every sequence must have shape [L, ${trailing.join(', ')}], got ${fmtShape(s.shape)}`);
    }
  }
  const maxLen = Math.max(...sequences.map((s) => s.shape[0]!));
  const left = opts.paddingSide === 'left';
  const padded = sequences.map((s) => {
    const n = maxLen - s.shape[0]!;
    if (n === 0) return s;
    const fill = zeros([n, ...trailing], { dtype: s.dtype, device: s.device }).add(opts.paddingValue ?? 0).to(s.dtype);
    return left ? cat([fill, s]) : cat([s, fill]);
  });
  return stack(padded, opts.batchFirst ? 0 : 1);
}
export const rnn = { padSequence };
