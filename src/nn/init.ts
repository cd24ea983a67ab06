// torch.nn.init: in-place initializers (run under noGrad, return their tensor) with PyTorch's
// formulas and names camelCased: fan computation, calculateGain, uniform/normal/constant/eye/dirac,
// xavier/kaiming/trunc-normal/orthogonal/sparse. Optional arguments are positional as in PyTorch or
// an options object. Every layer's
// reset_parameters() is written with these, so default inits follow PyTorch's distributions
// (the random streams differ: ours is Philox, identical across our backends).

import { Tensor } from '../tensor.js';
import { noGrad } from '../autograd/grad-mode.js';
import { eye, randn, tensor } from '../ops/creation.js';
import { randpermHost } from '../generator.js';
import { fmtShape } from '../shape.js';

/** The nonlinearities calculateGain knows (PyTorch's names; leakyRelu is an alias of leaky_relu). */
export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'leakyRelu' | 'selu';
/** Which fan scales the kaiming initializers: fan_in (preserves the forward pass's variance) or fan_out (the backward pass's); camelCase aliases accepted. */
export type FanMode = 'fan_in' | 'fan_out' | 'fanIn' | 'fanOut';

/** The recommended gain for a nonlinearity (param: leaky_relu's negative slope, default 0.01). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number | null): number {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d': case 'sigmoid':
    case 'conv_transpose1d': case 'conv_transpose2d': case 'conv_transpose3d':
      return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leaky_relu': case 'leakyRelu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || Number.isNaN(slope)) throw new TypeError(`negative_slope ${slope} not a valid number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu': return 3 / 4;
    default: throw new Error(`Unsupported nonlinearity ${String(nonlinearity)}`);
  }
}

/** [fanIn, fanOut] of a weight: dims 1 and 0 times the receptive field (the product of dims 2...). */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  if (t.ndim < 2) throw new Error(`Fan in and fan out can not be computed for tensor with fewer than 2 dimensions (got ${fmtShape(t.shape)})`);
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return [t.shape[1]! * receptive, t.shape[0]! * receptive];
}
function fan(t: Tensor, mode: FanMode): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  if (mode === 'fan_in' || mode === 'fanIn') return fanIn;
  if (mode === 'fan_out' || mode === 'fanOut') return fanOut;
  throw new Error(`Mode ${String(mode)} not supported, please use one of fan_in, fan_out`);
}
const gainOf = (g: number | { gain?: number } | undefined): number => (typeof g === 'number' ? g : g?.gain ?? 1);

/** Fills t in place with values drawn from the uniform distribution U(a, b), default U(0, 1) (torch.nn.init.uniform_). */
export function uniform_(t: Tensor, a: number | { a?: number; b?: number } = 0, b = 1): Tensor {
  const [lo, hi] = typeof a === 'number' ? [a, b] : [a.a ?? 0, a.b ?? 1];
  return noGrad(() => t.uniform_(lo, hi));
}
/** Fills t in place with values drawn from the normal distribution N(mean, std^2), default N(0, 1) (torch.nn.init.normal_). */
export function normal_(t: Tensor, mean: number | { mean?: number; std?: number } = 0, std = 1): Tensor {
  const [m, s] = typeof mean === 'number' ? [mean, std] : [mean.mean ?? 0, mean.std ?? 1];
  return noGrad(() => t.normal_(m, s));
}
/** Fills t in place with the value val (torch.nn.init.constant_). */
export function constant_(t: Tensor, val: number): Tensor { return noGrad(() => t.fill_(val)); }
/** Fills t in place with the scalar value 0 (torch.nn.init.zeros_). */
export function zeros_(t: Tensor): Tensor { return constant_(t, 0); }
/** Fills t in place with the scalar value 1 (torch.nn.init.ones_). */
export function ones_(t: Tensor): Tensor { return constant_(t, 1); }
/** Fills a 2-D tensor with the identity matrix. */
export function eye_(t: Tensor): Tensor {
  if (t.ndim !== 2) throw new Error(`eye_: only tensors with 2 dimensions are supported (got ${fmtShape(t.shape)})`);
  return noGrad(() => t.copy_(eye(t.shape[0]!, t.shape[1]!, { dtype: t.dtype, device: t.device })));
}

/**
 * Fills a {3, 4, 5}-D conv weight with the Dirac delta: each of the first min(outPerGroup, inChannels)
 * output channels of every group passes its input channel through at the kernel's centre.
 */
export function dirac_(t: Tensor, groups: number | { groups?: number } = 1): Tensor {
  const g = typeof groups === 'number' ? groups : groups.groups ?? 1;
  const nd = t.ndim;
  if (nd < 3 || nd > 5) throw new Error(`dirac_: Only tensors with 3, 4, or 5 dimensions are supported (got ${fmtShape(t.shape)})`);
  if (!Number.isInteger(g) || g < 1 || t.shape[0]! % g !== 0) throw new RangeError(`dirac_: dim 0 must be divisible by groups (got ${fmtShape(t.shape)} and groups=${g})`);
  const perGroup = t.shape[0]! / g, minDim = Math.min(perGroup, t.shape[1]!);
  const strides = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  // The kernel centre (size // 2 in every spatial dim) as a flat offset.
  const centre = t.shape.slice(2).reduce((acc, s, i) => acc + Math.floor(s / 2) * strides[i + 2]!, 0);
  const host = new Float32Array(t.numel()); // 0/1: exact in every float dtype
  for (let k = 0; k < g; k++) for (let d = 0; d < minDim; d++) host[(k * perGroup + d) * strides[0]! + d * strides[1]! + centre] = 1;
  // float32 on the CPU: copy_ moves and casts (a float64 tensor cannot live on WebGPU).
  return noGrad(() => t.copy_(tensor(host, { dtype: 'float32' }).reshape(t.shape)));
}

/**
 * Martens (2010) sparse init of a 2-D tensor: N(0, std^2), then ceil(sparsity * rows) entries of every
 * column (chosen by a random permutation per column, as PyTorch) set to zero.
 */
export function sparse_(t: Tensor, sparsity: number, std: number | { std?: number } = 0.01): Tensor {
  if (t.ndim !== 2) throw new Error(`sparse_: Only tensors with 2 dimensions are supported (got ${fmtShape(t.shape)})`);
  const sd = typeof std === 'number' ? std : std.std ?? 0.01;
  const [rows, cols] = t.shape as [number, number];
  const numZeros = Math.ceil(sparsity * rows);
  const mask = new Float64Array(rows * cols).fill(1);
  for (let c = 0; c < cols; c++) for (const r of randpermHost(rows).slice(0, numZeros)) mask[r * cols + c] = 0;
  return noGrad(() => t.normal_(0, sd).mul_(tensor(mask, { dtype: t.dtype, device: t.device }).reshape(rows, cols)));
}

/** Glorot uniform: U(-a, a), a = gain * sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform_(t: Tensor, gain: number | { gain?: number } = 1): Tensor {
  const [fi, fo] = calculateFanInAndFanOut(t);
  const a = Math.sqrt(3) * gainOf(gain) * Math.sqrt(2 / (fi + fo));
  return uniform_(t, -a, a);
}
/** Glorot normal: N(0, std^2), std = gain * sqrt(2 / (fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, gain: number | { gain?: number } = 1): Tensor {
  const [fi, fo] = calculateFanInAndFanOut(t);
  return normal_(t, 0, gainOf(gain) * Math.sqrt(2 / (fi + fo)));
}

/** Options of kaimingUniform_ / kaimingNormal_ (PyTorch's keyword arguments). */
export interface KaimingOpts {
  /** The negative slope of the rectifier used after this layer (only with leaky_relu) (default 0). */
  a?: number;
  /** 'fan_in' (default) or 'fan_out'. */
  mode?: FanMode;
  /** The nonlinear function the gain is computed for (default 'leaky_relu'). */
  nonlinearity?: Nonlinearity;
}
/** PyTorch's positional form kaiming_uniform_(w, a, mode, nonlinearity) or one options object. */
function kaimingOpts(a: number | KaimingOpts, mode?: FanMode, nonlinearity?: Nonlinearity): KaimingOpts {
  return typeof a === 'number' ? { a, ...(mode ? { mode } : {}), ...(nonlinearity ? { nonlinearity } : {}) } : a;
}
/** He uniform: U(-b, b), b = gain * sqrt(3 / fan), gain = calculateGain(nonlinearity, a). */
export function kaimingUniform_(t: Tensor, a: number | KaimingOpts = {}, mode?: FanMode, nonlinearity?: Nonlinearity): Tensor {
  const opts = kaimingOpts(a, mode, nonlinearity);
  const std = calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0) / Math.sqrt(fan(t, opts.mode ?? 'fan_in'));
  const bound = Math.sqrt(3) * std;
  return uniform_(t, -bound, bound);
}
/** He normal: N(0, std^2), std = gain / sqrt(fan). */
export function kaimingNormal_(t: Tensor, a: number | KaimingOpts = {}, mode?: FanMode, nonlinearity?: Nonlinearity): Tensor {
  const opts = kaimingOpts(a, mode, nonlinearity);
  const std = calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0) / Math.sqrt(fan(t, opts.mode ?? 'fan_in'));
  return normal_(t, 0, std);
}

/** N(mean, std^2) truncated to [a, b], sampled by the inverse CDF as PyTorch does. */
export function truncNormal_(t: Tensor, meanOrOpts: number | { mean?: number; std?: number; a?: number; b?: number } = {}, stdArg = 1, aArg = -2, bArg = 2): Tensor {
  // PyTorch's positional trunc_normal_(w, mean, std, a, b) or one options object.
  const opts = typeof meanOrOpts === 'number' ? { mean: meanOrOpts, std: stdArg, a: aArg, b: bArg } : meanOrOpts;
  const mean = opts.mean ?? 0, std = opts.std ?? 1, a = opts.a ?? -2, b = opts.b ?? 2;
  const cdf = (x: number): number => (1 + erf(x / Math.SQRT2)) / 2;
  const l = cdf((a - mean) / std), u = cdf((b - mean) / std);
  return noGrad(() => {
    const v = t.uniform_(2 * l - 1, 2 * u - 1);
    return t.copy_(v.erfinv().mul(std * Math.SQRT2).add(mean).clamp(a, b));
  });
}

/** Abramowitz-Stegun 7.1.26 is too coarse for bounds; this series/continued-fraction erf is exact to ~1e-15. */
function erf(x: number): number {
  const s = Math.sign(x), ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax, sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= -ax * ax / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return s * sum * 2 / Math.sqrt(Math.PI);
  }
  // Continued fraction for erfc at larger |x|.
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return s * (1 - erfc);
}

/** A (semi-)orthogonal matrix from the QR decomposition of a normal matrix (Gram-Schmidt in float64). */
export function orthogonal_(t: Tensor, gain: number | { gain?: number } = 1): Tensor {
  if (t.ndim < 2) throw new Error(`Only tensors with 2 or more dimensions are supported (got ${fmtShape(t.shape)})`);
  if (t.numel() === 0) return t;
  const rows = t.shape[0]!, cols = t.numel() / rows;
  const g = randn(rows, cols, { dtype: 'float64', device: 'cpu' }).dataSync() as Float64Array;
  // Work on the tall orientation: m x n with m >= n, columns orthonormalised.
  const tall = rows >= cols, m = tall ? rows : cols, n = tall ? cols : rows;
  const at = (i: number, j: number): number => (tall ? g[i * cols + j]! : g[j * cols + i]!);
  const q: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const v = new Float64Array(m);
    for (let i = 0; i < m; i++) v[i] = at(i, j);
    for (let pass = 0; pass < 2; pass++) { // re-orthogonalise once for stability
      for (const u of q) {
        let d = 0;
        for (let i = 0; i < m; i++) d += u[i]! * v[i]!;
        for (let i = 0; i < m; i++) v[i] -= d * u[i]!;
      }
    }
    let nrm = 0;
    for (let i = 0; i < m; i++) nrm += v[i]! * v[i]!;
    nrm = Math.sqrt(nrm);
    for (let i = 0; i < m; i++) v[i] /= nrm;
    q.push(v);
  }
  const out = new Float64Array(rows * cols), k = gainOf(gain);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      if (tall) out[i * cols + j] = q[j]![i]! * k;
      else out[j * cols + i] = q[j]![i]! * k;
    }
  }
  return noGrad(() => t.copy_(tensor(out, { dtype: 'float64' }).reshape(t.shape)));
}
