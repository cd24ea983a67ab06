// Normalization layers of torch.nn.functional: layerNorm, groupNorm, batchNorm (training updates
// the running stats in place with momentum and the unbiased batch variance, as PyTorch), instanceNorm
// rmsNorm and localResponseNorm. Statistics use the biased variance for normalizing; composed from reductions.

import { Tensor } from '../../tensor.js';
import { fmtShape } from '../../shape.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { zeros } from '../../ops/creation.js';
import { cat } from '../../ops/shape.js';
import { composite, record } from '../../ops/prim.js';
import { standardizeForward } from '../../autograd/fused-rules.js';

/**
 * (x - mean) / sqrt(var + eps) over `dims` with the biased variance: its forward composed, one
 * autograd node with PyTorch's layer-norm backward (derivatives.ts `standardize`), which keeps
 * x, x̂ and rstd (an input that carries no gradient: the rule accounts for it).
 */
function standardize(x: Tensor, dims: number[], eps: number): Tensor {
  const [xhat, rstd] = noGrad(() => standardizeForward(x, dims, eps));
  return record('standardize', [x, rstd], xhat, { dims, eps });
}

/** weight/bias of shape [C] broadcast along dim 1 of an nd-dim input. */
function channelAffine(y: Tensor, weight: Tensor | null, bias: Tensor | null): Tensor {
  const shape = y.shape.map((s, i) => (i === 1 ? s : 1));
  let out = y;
  if (weight) out = out.mul(weight.reshape(shape));
  if (bias) out = out.add(bias.reshape(shape));
  return out;
}

/** The optional affine weight and bias of the F normalizations, as options. */
export interface WeightBias {
  /** The per-element (or per-channel) scale applied after normalizing. */
  weight?: Tensor | null;
  /** The per-element (or per-channel) shift applied after normalizing. */
  bias?: Tensor | null;
}
/**
 * weight and bias are optional keywords in PyTorch: positional (`F.layerNorm(x, s, w, b)`) or in the
 * options object (`F.layerNorm(x, s, { weight, bias, eps })`); returns [weight, bias, other options].
 */
function splitWeightBias<O extends object>(weightArg: Tensor | null | (O & WeightBias), biasArg: Tensor | null): [Tensor | null, Tensor | null, O] {
  if (weightArg === null || weightArg instanceof Tensor) return [weightArg, biasArg, {} as O];
  const { weight, bias, ...rest } = weightArg;
  return [weight ?? null, bias ?? biasArg ?? null, rest as unknown as O];
}
function epsOpts(opts: { eps?: number } | number): { eps?: number } { return typeof opts === 'number' ? { eps: opts } : opts; }

/** F.layerNorm(x, normalizedShape, weight?, bias?, { eps }) (eps positional too): normalizes over the trailing dims. */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], weightArg: Tensor | null | ({ eps?: number } & WeightBias) = null,
  biasArg: Tensor | null = null, optsArg: { eps?: number } | number = {}): Tensor {
  const [weight, bias, kw] = splitWeightBias<{ eps?: number }>(weightArg, biasArg);
  const opts = { ...kw, ...epsOpts(optsArg) };
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  const k = ns.length;
  const tail = x.shape.slice(x.ndim - k);
  if (k === 0 || k > x.ndim || tail.some((s, i) => s !== ns[i])) {
    throw new RangeError(`layerNorm: Given normalized_shape=${fmtShape(ns)}, expected input with shape [*, ${ns.join(', ')}], but got input of size${fmtShape(x.shape)}`);
  }
  for (const [name, t] of [['weight', weight], ['bias', bias]] as const) {
    if (t && (t.ndim !== k || t.shape.some((s, i) => s !== ns[i]))) throw new RangeError(`layerNorm: Expected ${name} to be of same shape as normalized_shape, but got ${name} of shape ${fmtShape(t.shape)} and normalized_shape = ${fmtShape(ns)}`);
  }
  return composite('layerNorm', { normalizedShape: ns, eps: opts.eps ?? 1e-5 }, () => {
    const dims = ns.map((_, i) => x.ndim - k + i);
    let y = standardize(x, dims, opts.eps ?? 1e-5);
    if (weight) y = y.mul(weight);
    if (bias) y = y.add(bias);
    return y;
  });
}

/** F.groupNorm(x [N, C, *], numGroups, weight?, bias?, { eps }). */
export function groupNorm(x: Tensor, numGroups: number, weightArg: Tensor | null | ({ eps?: number } & WeightBias) = null,
  biasArg: Tensor | null = null, optsArg: { eps?: number } | number = {}): Tensor {
  const [weight, bias, kw] = splitWeightBias<{ eps?: number }>(weightArg, biasArg);
  const opts = { ...kw, ...epsOpts(optsArg) };
  if (x.ndim < 2) throw new RangeError(`groupNorm: Expected at least 2 dimensions for input tensor but received ${x.ndim}`);
  const [N, C] = x.shape as [number, number];
  if (C % numGroups !== 0) throw new RangeError(`groupNorm: Expected number of channels in input to be divisible by num_groups, but got input of shape ${fmtShape(x.shape)} and num_groups=${numGroups}`);
  for (const [name, t] of [['weight', weight], ['bias', bias]] as const) {
    if (t && (t.ndim !== 1 || t.shape[0] !== C)) throw new RangeError(`groupNorm: Expected ${name} to be a vector of size equal to the number of channels in input, but got ${name} of shape ${fmtShape(t.shape)} and input of shape ${fmtShape(x.shape)}`);
  }
  return composite('groupNorm', { numGroups, eps: opts.eps ?? 1e-5 }, () => {
    const g = x.reshape(N, numGroups, -1);
    const y = standardize(g, [2], opts.eps ?? 1e-5).reshape(x.shape);
    return channelAffine(y, weight, bias);
  });
}

/** Options of F.batchNorm (PyTorch's keyword arguments). */
export interface BatchNormOpts {
  /** Normalize with the batch statistics and update the running ones (default false: use the running statistics). */
  training?: boolean;
  /** The weight of the batch statistics in the running statistics update (default 0.1). */
  momentum?: number;
  /** A value added to the variance for numerical stability (default 1e-5). */
  eps?: number;
}

/**
 * F.batchNorm(x [N, C, *], runningMean, runningVar, weight?, bias?, { training, momentum, eps }).
 * Training normalizes with batch statistics and, when given, updates the running buffers in place:
 * r = (1 - momentum) r + momentum * stat, with the unbiased variance. Eval uses the running stats.
 */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null,
  weightArg: Tensor | null | (BatchNormOpts & WeightBias) = null, biasArg: Tensor | null = null, optsArg: BatchNormOpts | boolean = {},
  momentumArg?: number, epsArg?: number): Tensor {
  // Also PyTorch's positional (..., weight, bias, training, momentum, eps) and keyword forms
  // (`F.batchNorm(x, rm, rv, { weight, bias, training })`).
  const [weight, bias, kw] = splitWeightBias(weightArg, biasArg);
  const opts: BatchNormOpts = typeof optsArg === 'boolean'
    ? { training: optsArg, ...(momentumArg === undefined ? {} : { momentum: momentumArg }), ...(epsArg === undefined ? {} : { eps: epsArg }) }
    : { ...kw, ...optsArg };
  const training = opts.training ?? false, momentum = opts.momentum ?? 0.1, eps = opts.eps ?? 1e-5;
  if (x.ndim < 2) throw new RangeError(`batchNorm: Expected 2D or more input (got ${x.ndim}D input of shape ${fmtShape(x.shape)})`);
  const C = x.shape[1]!;
  for (const [name, t] of [['running_mean', runningMean], ['running_var', runningVar], ['weight', weight], ['bias', bias]] as const) {
    if (t && t.numel() !== C) throw new RangeError(`batchNorm: ${name} should contain ${C} elements not ${t.numel()}`);
  }
  return composite('batchNorm', { training, momentum, eps }, () => {
    const dims = [...x.shape.keys()].filter((d) => d !== 1);
    const bshape = x.shape.map((s, i) => (i === 1 ? s : 1));
    let y: Tensor;
    if (training) {
      const n = x.numel() / C;
      if (n <= 1) throw new RangeError(`batchNorm: Expected more than 1 value per channel when training, got input size ${fmtShape(x.shape)}`);
      const mean = x.mean(dims, true);
      const xc = x.sub(mean);
      const varB = xc.square().mean(dims, true);
      y = xc.mul(varB.add(eps).rsqrt());
      noGrad(() => {
        if (runningMean) runningMean.mul_(1 - momentum).add_(mean.detach().reshape(runningMean.shape).mul(momentum));
        if (runningVar) runningVar.mul_(1 - momentum).add_(varB.detach().reshape(runningVar.shape).mul(momentum * n / (n - 1)));
      });
    } else {
      if (!runningMean || !runningVar) throw new Error('batchNorm: running_mean and running_var must be defined in evaluation mode');
      y = x.sub(runningMean.reshape(bshape)).mul(runningVar.reshape(bshape).add(eps).rsqrt());
    }
    return channelAffine(y, weight, bias);
  });
}

/** Options of F.instanceNorm (PyTorch's keyword arguments). */
export interface InstanceNormOpts {
  /** Running mean buffer [C], updated with the batch-averaged instance means when useInputStats. */
  runningMean?: Tensor | null;
  /** Running variance buffer [C], updated with the batch-averaged instance variances when useInputStats. */
  runningVar?: Tensor | null;
  /** Per-channel scale [C]. */
  weight?: Tensor | null;
  /** Per-channel shift [C]. */
  bias?: Tensor | null;
  /** Normalize with the instance statistics (default true); false uses the running statistics. */
  useInputStats?: boolean;
  /** The weight of the new statistics in the running statistics update (default 0.1). */
  momentum?: number;
  /** A value added to the variance for numerical stability (default 1e-5). */
  eps?: number;
}

/**
 * F.instanceNorm(x [N, C, *], opts): per-sample, per-channel normalization over the spatial dims.
 * With running buffers and useInputStats they are updated with the batch-averaged instance stats.
 */
export function instanceNorm(x: Tensor, opts: InstanceNormOpts = {}): Tensor {
  if (x.ndim < 3) throw new RangeError(`instanceNorm: Expected at least 3D input (got ${x.ndim}D input of shape ${fmtShape(x.shape)})`);
  const useInput = opts.useInputStats ?? true, momentum = opts.momentum ?? 0.1, eps = opts.eps ?? 1e-5;
  const { runningMean = null, runningVar = null } = opts;
  return composite('instanceNorm', { useInputStats: useInput, momentum, eps }, () => {
    const dims = [...x.shape.keys()].slice(2);
    let y: Tensor;
    if (useInput) {
      const mean = x.mean(dims, true);
      const xc = x.sub(mean);
      const varB = xc.square().mean(dims, true);
      y = xc.mul(varB.add(eps).rsqrt());
      const n = x.numel() / (x.shape[0]! * x.shape[1]!);
      noGrad(() => {
        if (runningMean) runningMean.mul_(1 - momentum).add_(mean.detach().mean(0).reshape(runningMean.shape).mul(momentum));
        if (runningVar) runningVar.mul_(1 - momentum).add_(varB.detach().mean(0).reshape(runningVar.shape).mul(momentum * n / (n - 1)));
      });
    } else {
      if (!runningMean || !runningVar) throw new Error('instanceNorm: Expected running_mean and running_var to be defined when use_input_stats is false');
      const bshape = x.shape.map((s, i) => (i === 1 ? s : 1));
      y = x.sub(runningMean.reshape(bshape)).mul(runningVar.reshape(bshape).add(eps).rsqrt());
    }
    return channelAffine(y, opts.weight ?? null, opts.bias ?? null);
  });
}

/** F.rmsNorm(x, normalizedShape, weight?, { eps }): x / sqrt(mean(x^2) + eps) * weight; eps defaults to the dtype's machine epsilon, as PyTorch. */
export function rmsNorm(x: Tensor, normalizedShape: number | readonly number[], weight: Tensor | null = null, opts: { eps?: number | null } = {}): Tensor {
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  const k = ns.length;
  if (k === 0 || k > x.ndim || x.shape.slice(x.ndim - k).some((s, i) => s !== ns[i])) {
    throw new RangeError(`rmsNorm: Given normalized_shape=${fmtShape(ns)}, expected input with shape [*, ${ns.join(', ')}], but got input of size${fmtShape(x.shape)}`);
  }
  const eps = opts.eps ?? (x.dtype === 'float64' ? 2.220446049250313e-16 : x.dtype === 'float16' ? 0.0009765625 : 1.1920928955078125e-7);
  return composite('rmsNorm', { normalizedShape: ns, eps }, () => {
    const dims = ns.map((_, i) => x.ndim - k + i);
    const y = x.mul(x.square().mean(dims, true).add(eps).rsqrt());
    return weight ? y.mul(weight) : y;
  });
}

/**
 * F.localResponseNorm(x [N, C, *], size, { alpha, beta, k }): x / (k + alpha * mean of x^2 over a
 * window of `size` channels (zero-padded size/2 before, (size-1)/2 after))^beta, as PyTorch.
 */
export function localResponseNorm(x: Tensor, size: number, opts: { alpha?: number; beta?: number; k?: number } = {}): Tensor {
  if (x.ndim < 3) throw new RangeError(`localResponseNorm: Expected 3D or higher dimensionality input (got ${x.ndim} dimensions)`);
  const alpha = opts.alpha ?? 1e-4, beta = opts.beta ?? 0.75, k = opts.k ?? 1;
  return composite('localResponseNorm', { size, alpha, beta, k }, () => {
    const C = x.shape[1]!;
    const sq = x.square();
    const before = Math.floor(size / 2);
    let acc: Tensor | null = null;
    for (let o = -before; o < size - before; o++) {
      // channel c receives x^2[c + o] where it exists (zero padding elsewhere)
      const lo = Math.max(0, -o), hi = Math.min(C, C - o);
      if (hi <= lo) continue;
      const part = padChannels(sq.narrow(1, lo + o, hi - lo), lo, C - hi);
      acc = acc ? acc.add(part) : part;
    }
    const div = (acc ?? x.mul(0)).div(size).mul(alpha).add(k).pow(beta);
    return x.div(div);
  });
}

/** Zero-pads dim 1 by `before` and `after` entries. */
function padChannels(t: Tensor, before: number, after: number): Tensor {
  if (before === 0 && after === 0) return t;
  const z = (n: number) => zeros(t.shape.map((s, i) => (i === 1 ? n : s)), { dtype: t.dtype, device: t.device });
  return cat([...(before ? [z(before)] : []), t, ...(after ? [z(after)] : [])], 1);
}
