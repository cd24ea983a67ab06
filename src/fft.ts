// torch.fft: discrete Fourier transforms with PyTorch's n / s, dim and norm semantics, any length.
// Composites of real ops on the (re, im) parts: short lengths are one dense DFT matmul with cos/sin
// twiddles built in float64 on the host (angles reduced mod n); longer composite lengths split by
// their prime factors (mixed-radix Cooley-Tukey), long primes use Bluestein's chirp-z. Every device
// runs it with its own kernels, and the gradient comes from the real ops it is made of (so it is
// PyTorch's for real losses). hfft / ihfft are irfft / rfft of the conjugate with the dual norm.

import { Tensor } from './tensor.js';
import { isComplex, isFloating, toRealDType, type RealDType } from './dtype.js';
import type { Device } from './backends/backend.js';
import { normDim, fmtShape } from './shape.js';
import { state } from './state.js';
import { castTo } from './ops/elementwise.js';
import { cat, roll, zeros, tensor } from './ops/index.js';
import { complex, real, imag, viewAsComplex, viewAsReal } from './ops/complex.js';
import type { CreateOpts } from './ops/types.js';

/** Normalization of a transform: 'backward' (default: inverse scaled by 1/n), 'ortho' (both by 1/sqrt(n)) or 'forward' (forward by 1/n). */
export type FftNorm = 'backward' | 'ortho' | 'forward';
/** Options of the 1-D transforms: output length n along dim (input zero-padded or trimmed), dim (default -1), norm. */
export interface FftOpts { n?: number | null; dim?: number; norm?: FftNorm | null }
/** Options of the n-D transforms: sizes s along dims (default: all dims, or the last s.length), and norm. */
export interface FftnOpts { s?: readonly number[] | null; dim?: readonly number[] | null; norm?: FftNorm | null }

function scaleOf(op: string, norm: FftNorm | null | undefined, n: number, inverse: boolean): number {
  const m = norm ?? 'backward';
  if (m !== 'backward' && m !== 'ortho' && m !== 'forward') throw new RangeError(`${op}: Invalid normalization mode: "${String(m)}"`);
  if (m === 'ortho') return 1 / Math.sqrt(n);
  return (m === 'forward') !== inverse ? 1 / n : 1;
}

/** cos and sin of 2 pi j k / n for j < rows, k < cols, scaled per row (rowScale), as [rows, cols] tensors. */
function twiddles(rows: number, cols: number, n: number, dtype: RealDType, device: Device, rowScale?: (j: number) => number): [Tensor, Tensor] {
  const c = new Float64Array(rows * cols), s = new Float64Array(rows * cols);
  for (let j = 0; j < rows; j++) {
    const w = rowScale ? rowScale(j) : 1;
    for (let k = 0; k < cols; k++) {
      const a = (2 * Math.PI * ((j * k) % n)) / n;
      c[j * cols + k] = w * Math.cos(a); s[j * cols + k] = w * Math.sin(a);
    }
  }
  const mk = (v: Float64Array) => castTo(tensor(v, { dtype: 'float64', device: 'cpu' }).reshape(rows, cols), dtype).to(device);
  return [mk(c), mk(s)];
}

/** x (real) with its size along the last dim made n: trimmed, or zero-padded at the end. */
function resizeLast(x: Tensor, n: number): Tensor {
  const L = x.shape[x.ndim - 1]!;
  if (L === n) return x;
  if (L > n) return x.narrow(-1, 0, n);
  return cat([x, zeros([...x.shape.slice(0, -1), n - L], { dtype: x.dtype as RealDType, device: x.device })], -1);
}

function checkN(op: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${op}: Invalid number of data points (${n}) specified`);
}

/** The input as a complex tensor (real floats get a zero imaginary part; integers become the default float). */
function asComplex(x: Tensor): Tensor {
  if (isComplex(x.dtype)) return x;
  const f = isFloating(x.dtype) && x.dtype !== 'float16' ? x : castTo(x, state.defaultDtype);
  return complex(f, f.mul(0));
}

/** (re, im) of a complex tensor with `dim` moved last. */
function partsLast(z: Tensor, dim: number): [Tensor, Tensor] {
  return [real(z).movedim(dim, -1), imag(z).movedim(dim, -1)];
}

/** Lengths up to this run as one dense DFT matmul; longer ones are split (mixed radix) or use Bluestein. */
const DENSE_MAX = 16;
/** Primes up to this run dense; longer primes use Bluestein's chirp-z (three power-of-two FFTs). */
const PRIME_DENSE_MAX = 64;

type Pair = [Tensor, Tensor];
const cmul = ([ar, ai]: Pair, [br, bi]: Pair): Pair => [ar.mul(br).sub(ai.mul(bi)), ar.mul(bi).add(ai.mul(br))];
function smallestFactor(n: number): number { for (let p = 2; p * p <= n; p++) if (n % p === 0) return p; return n; }

/** e^{-sg 2 pi i j k / n} for j < rows, k < cols, as (re, im) [rows, cols] tensors. */
function twiddlePair(rows: number, cols: number, n: number, sg: number, dtype: RealDType, device: Device): Pair {
  const [C, S] = twiddles(rows, cols, n, dtype, device);
  return [C, S.mul(-sg)];
}

/** Dense DFT over the last dim: (re + i im)(C -/+ i S), one matmul per part. */
function dense(re: Tensor, im: Tensor, n: number, sg: number): Pair {
  const [C, S] = twiddles(n, n, n, re.dtype as RealDType, re.device);
  return [re.matmul(C).add(im.matmul(S).mul(sg)), im.matmul(C).sub(re.matmul(S).mul(sg))];
}

/**
 * The unscaled DFT of (re, im) along the last dim (size n); sg = 1 forward (e^{-i...}), -1 inverse.
 * Composite n = p n2 (p its smallest prime factor): j = n2 j1 + j2, k = k1 + p k2, so a size-p DFT
 * over j1, the twiddles w^{j2 k1}, then a size-n2 DFT over j2 (Cooley-Tukey, O(n sum of factors));
 * long primes go through Bluestein.
 */
function dftLast(re: Tensor, im: Tensor, n: number, sg: number): Pair {
  if (n === 1) return [re, im];
  const p = smallestFactor(n);
  if (n <= DENSE_MAX || (p === n && n <= PRIME_DENSE_MAX)) return dense(re, im, n, sg);
  if (p === n) return bluestein(re, im, n, sg);
  const n2 = n / p, lead = re.shape.slice(0, -1);
  const split = (t: Tensor) => t.reshape([...lead, p, n2]).transpose(-1, -2); // [..., j2, j1]
  let [r, i] = dense(split(re), split(im), p, sg);                             // [..., j2, k1]
  [r, i] = cmul([r, i], twiddlePair(n2, p, n, sg, re.dtype as RealDType, re.device));
  [r, i] = dftLast(r.transpose(-1, -2), i.transpose(-1, -2), n2, sg);          // [..., k1, k2]
  const merge = (t: Tensor) => t.transpose(-1, -2).reshape([...lead, n]);      // k = k1 + p k2
  return [merge(r), merge(i)];
}

/** Bluestein: X_k = c_k sum_j (x_j c_j) conj(c_{k-j}), c_j = e^{-sg pi i j^2 / n}, the sum a circular convolution of power-of-two length. */
function bluestein(re: Tensor, im: Tensor, n: number, sg: number): Pair {
  let m = 1;
  while (m < 2 * n - 1) m *= 2;
  const dtype = re.dtype as RealDType, device = re.device;
  const cr = new Float64Array(n), ci = new Float64Array(n), br = new Float64Array(m), bi = new Float64Array(m);
  for (let j = 0; j < n; j++) {
    const a = (Math.PI * ((j * j) % (2 * n))) / n; // j^2 mod 2n keeps the angle exact
    cr[j] = Math.cos(a); ci[j] = -sg * Math.sin(a);
    br[j] = cr[j]!; bi[j] = -ci[j]!;
    if (j > 0) { br[m - j] = cr[j]!; bi[m - j] = -ci[j]!; }
  }
  const mk = (v: Float64Array) => castTo(tensor(v, { dtype: 'float64', device: 'cpu' }), dtype).to(device);
  const c: Pair = [mk(cr), mk(ci)];
  const B = dftLast(mk(br), mk(bi), m, sg);
  const [ar, ai] = cmul([re, im], c);
  const A = dftLast(resizeLast(ar, m), resizeLast(ai, m), m, sg);
  const [vr, vi] = dftLast(...cmul(A, B), m, -sg);
  return cmul([vr.narrow(-1, 0, n).div(m), vi.narrow(-1, 0, n).div(m)], c);
}

/** One complex 1-D DFT of z along dim (normalized) with n points. */
function dft(op: string, z: Tensor, dim: number, n: number, inverse: boolean, norm: FftNorm | null | undefined): Tensor {
  checkN(op, n);
  const scale = scaleOf(op, norm, n, inverse);
  let [re, im] = partsLast(z, dim);
  re = resizeLast(re, n); im = resizeLast(im, n);
  let [outRe, outIm] = dftLast(re, im, n, inverse ? -1 : 1);
  if (scale !== 1) { outRe = outRe.mul(scale); outIm = outIm.mul(scale); }
  return complex(outRe.movedim(-1, dim), outIm.movedim(-1, dim));
}

function dimOf(op: string, x: Tensor, dim: number | undefined): number {
  if (x.ndim === 0) throw new RangeError(`${op}: expected a tensor with at least one dimension (got shape ${fmtShape(x.shape)})`);
  return normDim(dim ?? -1, x.ndim, op);
}

/** 1-D discrete Fourier transform (torch.fft.fft). */
export function fft(input: Tensor, opts: FftOpts = {}): Tensor {
  const d = dimOf('fft', input, opts.dim);
  return dft('fft', asComplex(input), d, opts.n ?? input.shape[d]!, false, opts.norm);
}
/** 1-D inverse discrete Fourier transform (torch.fft.ifft). */
export function ifft(input: Tensor, opts: FftOpts = {}): Tensor {
  const d = dimOf('ifft', input, opts.dim);
  return dft('ifft', asComplex(input), d, opts.n ?? input.shape[d]!, true, opts.norm);
}

/** The DFT of a real input, keeping the n/2 + 1 non-redundant frequencies (torch.fft.rfft). */
export function rfft(input: Tensor, opts: FftOpts = {}): Tensor {
  if (isComplex(input.dtype)) throw new TypeError(`rfft: rfft expects a real input tensor, but got ${input.dtype}`);
  const d = dimOf('rfft', input, opts.dim);
  const n = opts.n ?? input.shape[d]!;
  checkN('rfft', n);
  const x0 = isFloating(input.dtype) && input.dtype !== 'float16' ? input : castTo(input, state.defaultDtype);
  const x = resizeLast(x0.movedim(d, -1), n);
  const m = Math.floor(n / 2) + 1, scale = scaleOf('rfft', opts.norm, n, false);
  if (n > DENSE_MAX) {
    // Long: the complex transform of (x, 0), keeping the first m frequencies.
    const [r, i] = dftLast(x, x.mul(0), n, 1);
    return complex(r.narrow(-1, 0, m).mul(scale).movedim(-1, d), i.narrow(-1, 0, m).mul(scale).movedim(-1, d));
  }
  const [C, S] = twiddles(n, m, n, x.dtype as RealDType, x.device, () => scale);
  return complex(x.matmul(C).movedim(-1, d), x.matmul(S).neg().movedim(-1, d));
}

/** The inverse of rfft: a real signal of n points (default 2 (m - 1)) from its m non-redundant frequencies (torch.fft.irfft). */
export function irfft(input: Tensor, opts: FftOpts = {}): Tensor {
  const d = dimOf('irfft', input, opts.dim);
  const n = opts.n ?? 2 * (input.shape[d]! - 1);
  checkN('irfft', n);
  const z = asComplex(input);
  const m = Math.floor(n / 2) + 1, scale = scaleOf('irfft', opts.norm, n, true);
  let [re, im] = partsLast(z, d);
  re = resizeLast(re, m); im = resizeLast(im, m);
  if (n > DENSE_MAX) {
    // Long: the real part of the inverse transform of the full Hermitian spectrum, X_{n-k} = conj(X_k)
    // (the real part drops the imaginary parts of X_0 and X_{n/2}, as the dense form does).
    const tail = n - m; // frequencies m..n-1 mirror n-m..1
    const fr = tail > 0 ? cat([re, re.narrow(-1, 1, tail).flip(-1)], -1) : re;
    const fi = tail > 0 ? cat([im, im.narrow(-1, 1, tail).flip(-1).neg()], -1) : im;
    return dftLast(fr, fi, n, -1)[0].mul(scale).movedim(-1, d);
  }
  // Hermitian symmetry: frequencies 1..ceil(n/2)-1 stand for themselves and their mirror (x2);
  // the imaginary parts of frequency 0 (and n/2 for even n) drop out, as in PyTorch's C2R.
  const w = (k: number) => scale * (k === 0 || (n % 2 === 0 && k === n / 2) ? 1 : 2);
  const [C, S] = twiddles(m, n, n, toRealDType(z.dtype), z.device, w);
  return re.matmul(C).sub(im.matmul(S)).movedim(-1, d);
}

/** The norm of the dual transform: hfft/ihfft are irfft/rfft with 'backward' and 'forward' swapped. */
function dualNorm(op: string, norm: FftNorm | null | undefined): FftNorm {
  scaleOf(op, norm, 1, false); // validates the mode under this op's name
  const m = norm ?? 'backward';
  return m === 'backward' ? 'forward' : m === 'forward' ? 'backward' : 'ortho';
}

/**
 * The DFT of a Hermitian-symmetric signal given by its first half (torch.fft.hfft): a real output of
 * n points (default 2 (m - 1)), irfft(conj(x)) with the dual normalization.
 */
export function hfft(input: Tensor, opts: FftOpts = {}): Tensor {
  const d = dimOf('hfft', input, opts.dim);
  const n = opts.n ?? 2 * (input.shape[d]! - 1);
  checkN('hfft', n);
  return irfft(asComplex(input).conj(), { n, dim: d, norm: dualNorm('hfft', opts.norm) });
}

/** The inverse of hfft (torch.fft.ihfft): the n/2 + 1 non-redundant frequencies of a real signal's inverse DFT, conj(rfft(x)) with the dual normalization. */
export function ihfft(input: Tensor, opts: FftOpts = {}): Tensor {
  if (isComplex(input.dtype)) throw new TypeError(`ihfft: ihfft expects a real input tensor, but got ${input.dtype}`);
  const d = dimOf('ihfft', input, opts.dim);
  const n = opts.n ?? input.shape[d]!;
  checkN('ihfft', n);
  return rfft(input, { n, dim: d, norm: dualNorm('ihfft', opts.norm) }).conj();
}

/** The dims and sizes an n-D transform runs over (PyTorch's rules for s and dim). */
function plan(op: string, x: Tensor, opts: FftnOpts, defaultDims: number[] | null): { dims: number[]; sizes: (number | null)[] } {
  let dims: number[];
  if (opts.dim) dims = opts.dim.map((d) => normDim(d, x.ndim, op));
  else if (opts.s) dims = opts.s.map((_, i) => x.ndim - opts.s!.length + i);
  else dims = defaultDims ? defaultDims.map((d) => normDim(d, x.ndim, op)) : x.shape.map((_, i) => i);
  if (new Set(dims).size !== dims.length) throw new RangeError(`${op}: FFT dims must be unique`);
  if (opts.s && opts.s.length !== dims.length) throw new RangeError(`${op}: When given, dim and shape arguments must have the same length`);
  if (dims.some((d) => d < 0)) throw new RangeError(`${op}: Got shape with ${opts.s?.length} values but input tensor only has ${x.ndim} dimensions.`);
  return { dims, sizes: dims.map((_, i) => (opts.s ? opts.s[i]! : null)) };
}

function cfftn(op: string, x: Tensor, opts: FftnOpts, inverse: boolean, defaultDims: number[] | null): Tensor {
  const { dims, sizes } = plan(op, x, opts, defaultDims);
  let z = asComplex(x);
  dims.forEach((d, i) => { z = dft(op, z, d, sizes[i] === -1 || sizes[i] === null ? z.shape[d]! : sizes[i]!, inverse, opts.norm); });
  return z;
}

/** N-D discrete Fourier transform over dims (default all) (torch.fft.fftn). */
export function fftn(input: Tensor, opts: FftnOpts = {}): Tensor { return cfftn('fftn', input, opts, false, null); }
/** N-D inverse discrete Fourier transform (torch.fft.ifftn). */
export function ifftn(input: Tensor, opts: FftnOpts = {}): Tensor { return cfftn('ifftn', input, opts, true, null); }
/** 2-D discrete Fourier transform over the last two dims by default (torch.fft.fft2). */
export function fft2(input: Tensor, opts: FftnOpts = {}): Tensor { return cfftn('fft2', input, opts, false, [-2, -1]); }
/** 2-D inverse discrete Fourier transform (torch.fft.ifft2). */
export function ifft2(input: Tensor, opts: FftnOpts = {}): Tensor { return cfftn('ifft2', input, opts, true, [-2, -1]); }

function rfftnImpl(op: string, x: Tensor, opts: FftnOpts, defaultDims: number[] | null): Tensor {
  const { dims, sizes } = plan(op, x, opts, defaultDims);
  const last = dims.length - 1;
  let z = rfft(x, { n: sizes[last] ?? undefined, dim: dims[last]!, norm: opts.norm });
  for (let i = 0; i < last; i++) z = dft(op, z, dims[i]!, sizes[i] ?? z.shape[dims[i]!]!, false, opts.norm);
  return z;
}
function irfftnImpl(op: string, x: Tensor, opts: FftnOpts, defaultDims: number[] | null): Tensor {
  const { dims, sizes } = plan(op, x, opts, defaultDims);
  const last = dims.length - 1;
  let z = asComplex(x);
  for (let i = 0; i < last; i++) z = dft(op, z, dims[i]!, sizes[i] ?? z.shape[dims[i]!]!, true, opts.norm);
  return irfft(z, { n: sizes[last] ?? undefined, dim: dims[last]!, norm: opts.norm });
}
/** N-D DFT of a real input, halving the last transformed dim (torch.fft.rfftn). */
export function rfftn(input: Tensor, opts: FftnOpts = {}): Tensor { return rfftnImpl('rfftn', input, opts, null); }
/** The inverse of rfftn: a real output (torch.fft.irfftn). */
export function irfftn(input: Tensor, opts: FftnOpts = {}): Tensor { return irfftnImpl('irfftn', input, opts, null); }
/** 2-D DFT of a real input over the last two dims by default (torch.fft.rfft2). */
export function rfft2(input: Tensor, opts: FftnOpts = {}): Tensor { return rfftnImpl('rfft2', input, opts, [-2, -1]); }
/** The inverse of rfft2 (torch.fft.irfft2). */
export function irfft2(input: Tensor, opts: FftnOpts = {}): Tensor { return irfftnImpl('irfft2', input, opts, [-2, -1]); }

/** Options of fftfreq and rfftfreq: the sample spacing `d` (PyTorch's keyword) beside the creation options. */
export interface FreqOpts extends CreateOpts {
  /** The sample spacing (default 1). */
  d?: number;
}

/** Frequencies k / (d n) of the given ks, for fftfreq and rfftfreq (d given positionally or as { d }). */
function freqs(op: string, n: number, d: number | FreqOpts, opts: CreateOpts, k: (i: number) => number, len: number): Tensor {
  if (typeof d === 'object') [d, opts] = [d.d ?? 1, d];
  checkN(op, n);
  return tensor(Array.from({ length: len }, (_, i) => k(i) / ((d as number) * n)), { dtype: opts.dtype ?? state.defaultDtype, device: opts.device, requiresGrad: opts.requiresGrad });
}
/** The sample frequencies of an n-point DFT with sample spacing d: [0, 1, ..., -1] / (d n) (torch.fft.fftfreq); d may be given as `{ d }`. */
export function fftfreq(n: number, d: number | FreqOpts = 1, opts: CreateOpts = {}): Tensor {
  return freqs('fftfreq', n, d, opts, (i) => (i < Math.ceil(n / 2) ? i : i - n), n);
}
/** The sample frequencies of rfft's output: [0, 1, ..., n/2] / (d n) (torch.fft.rfftfreq); d may be given as `{ d }`. */
export function rfftfreq(n: number, d: number | FreqOpts = 1, opts: CreateOpts = {}): Tensor {
  return freqs('rfftfreq', n, d, opts, (i) => i, Math.floor(n / 2) + 1);
}

function shift(op: string, x: Tensor, dim: number | readonly number[] | null | undefined, inverse: boolean): Tensor {
  const dims = dim === undefined || dim === null ? x.shape.map((_, i) => i) : (typeof dim === 'number' ? [dim] : [...dim]).map((d) => normDim(d, x.ndim, op));
  const shifts = dims.map((d) => (inverse ? -1 : 1) * Math.floor(x.shape[d]! / 2));
  if (dims.length === 0) return x;
  // roll copies through cat: on a complex tensor roll its (re, im) view, whose dims are the same.
  if (isComplex(x.dtype)) return viewAsComplex(roll(viewAsReal(x), shifts, dims).contiguous());
  return roll(x, shifts, dims);
}
/** Moves the zero frequency to the centre: a roll by floor(size / 2) along dims (default all) (torch.fft.fftshift). */
export function fftshift(input: Tensor, dim?: number | readonly number[] | null): Tensor { return shift('fftshift', input, dim, false); }
/** The inverse of fftshift (torch.fft.ifftshift). */
export function ifftshift(input: Tensor, dim?: number | readonly number[] | null): Tensor { return shift('ifftshift', input, dim, true); }
