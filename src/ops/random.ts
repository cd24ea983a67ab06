// Sampling ops with tensor parameters: torch.bernoulli and torch.normal in PyTorch's forms, composed
// from rand/randn (so they run on every backend and follow torch.manualSeed or a torch.Generator).
// As in PyTorch, samples are not reparameterised: the parameters get zero gradients (a `where` on an
// all-false mask attaches them without touching the sampled values).

import { isFloating, type DType } from '../dtype.js';
import type { Generator } from '../generator.js';
import { broadcastShapes, fmtShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { rand, randn, full, samplingChecks } from './creation.js';
import { castTo, where } from './elementwise.js';
import type { RandOpts } from './types.js';

/** Options of torch.bernoulli / Tensor.bernoulli: PyTorch's `generator` keyword. */
export interface BernoulliOpts {
  /** Draw from this torch.Generator's stream instead of the global one. */
  generator?: Generator | null;
}

/** The sampled values `r` with zero gradients towards `params` (PyTorch's BernoulliBackward/NormalBackward). */
function zeroGradTo(r: Tensor, params: Tensor[]): Tensor {
  let out = r;
  for (const p of params) if (p.requiresGrad) out = where(full([], false, { dtype: 'bool', device: r.device }), castTo(p, r.dtype), out);
  return out;
}

function floatingOnly(op: string, kernel: string, dtype: DType): void {
  if (!isFloating(dtype)) throw new TypeError(`${op}: "${kernel}" not implemented for '${dtype}'`);
}

/**
 * torch.bernoulli(input, { generator }): 0/1 samples with probabilities `input` (in [0, 1]), in input's
 * dtype; torch.bernoulli(input, p, { generator }): samples with the scalar probability p, shaped like input.
 */
export function bernoulli(input: Tensor, pOrOpts?: number | BernoulliOpts, opts: BernoulliOpts = {}): Tensor {
  const o = typeof pOrOpts === 'object' && pOrOpts !== null ? pOrOpts : opts;
  if (typeof pOrOpts === 'number') {
    if (!(pOrOpts >= 0 && pOrOpts <= 1)) throw new RangeError(`bernoulli_ expects p to be in [0, 1], but got p=${pOrOpts}`);
    floatingOnly('bernoulli', 'bernoulli_scalar_cpu_', input.dtype);
    return rand(input.shape, { dtype: 'float32', device: input.device, generator: o.generator }).lt(pOrOpts).to(input.dtype);
  }
  floatingOnly('bernoulli', 'bernoulli_tensor_cpu_p_', input.dtype);
  const p = input.detach();
  // float32 uniforms (24 bits) for float16/32 probabilities; float64 ones for float64.
  const carry = samplingChecks([[p.lt(0).logicalOr(p.gt(1)).logicalOr(p.isnan()), `bernoulli: Expected p_in >= 0 && p_in <= 1 to be true, but got false (p of shape ${fmtShape(input.shape)}).`]]);
  const u = carry(rand(input.shape, { dtype: input.dtype === 'float64' ? 'float64' : 'float32', device: input.device, generator: o.generator }));
  return zeroGradTo(u.lt(p).to(input.dtype), [input]);
}

/** Options of torch.normal's float/float form: the factory options plus `generator`. */
export type NormalOpts = RandOpts;

/**
 * torch.normal: samples of N(mean, std^2) in PyTorch's forms: normal(meanTensor, stdTensor) (broadcast
 * together), normal(meanTensor, std = 1), normal(mean, stdTensor), and normal(mean, std, size, opts)
 * with the factory options { dtype, device, requiresGrad }; every form takes { generator }. The result
 * has the mean tensor's dtype (else the std tensor's); the gradients towards mean and std are zero, as
 * PyTorch's.
 */
export function normal(mean: Tensor, std?: Tensor | number, opts?: BernoulliOpts): Tensor;
export function normal(mean: number, std: Tensor, opts?: BernoulliOpts): Tensor;
export function normal(mean: number, std: number, size: readonly number[], opts?: NormalOpts): Tensor;
export function normal(mean: Tensor | number, std: Tensor | number = 1, sizeOrOpts?: readonly number[] | NormalOpts, maybeOpts?: NormalOpts): Tensor {
  const size = Array.isArray(sizeOrOpts) ? (sizeOrOpts as readonly number[]) : undefined;
  const opts: NormalOpts = (size ? maybeOpts : (sizeOrOpts as NormalOpts | undefined)) ?? {};
  if (!(mean instanceof Tensor) && !(std instanceof Tensor)) {
    if (!size) throw new TypeError('normal(): with a float mean and a float std the size is required: torch.normal(mean, std, size)');
    if (!(std >= 0)) throw new RangeError(`normal expects std >= 0.0, but found std ${std}`);
    const r = randn(size, { dtype: opts.dtype, device: opts.device, generator: opts.generator }).mul(std).add(mean);
    if (opts.requiresGrad) r.requiresGrad_(true);
    return r;
  }
  if (size) throw new TypeError('normal(): a size is only accepted when mean and std are both numbers');
  if (typeof std === 'number' && !(std >= 0)) throw new RangeError(`normal expects std >= 0.0, but found std ${std}`);
  const like = mean instanceof Tensor ? mean : (std as Tensor);
  floatingOnly('normal', 'normal_kernel_cpu', like.dtype);
  if (mean instanceof Tensor && std instanceof Tensor && mean.device !== std.device) {
    throw new Error(`normal(): Expected all tensors to be on the same device, but found at least two devices, ${mean.device} and ${std.device}!`);
  }
  const shape = broadcastShapes('normal', mean instanceof Tensor ? mean.shape : [], std instanceof Tensor ? std.shape : []);
  const s = std instanceof Tensor ? std.detach() : null;
  const carry = samplingChecks(s ? [[s.lt(0).logicalOr(s.isnan()), 'normal expects all elements of std >= 0.0']] : []);
  const z = carry(randn(shape, { dtype: like.dtype === 'float64' ? 'float64' : 'float32', device: like.device, generator: opts.generator }));
  const sd = s ?? (std as number), mu = mean instanceof Tensor ? mean.detach() : mean;
  const r = z.mul(sd).add(mu).to(like.dtype);
  return zeroGradTo(r, [mean, std].filter((t): t is Tensor => t instanceof Tensor));
}
