// Shape and geometry helpers of torch.nn.functional: pad (constant/reflect/replicate/circular),
// interpolate (nearest, nearest-exact, (bi/tri)linear, bicubic, area), pixelShuffle/pixelUnshuffle,
// normalize, cosineSimilarity, pairwiseDistance, pdist, channelShuffle, embedding, embeddingBag,
// oneHot, affineGrid, gridSample. Composed from views, cat, gather/scatter and elementwise ops, so
// gradients come from the primitives. Semantics: PyTorch 1.13.

import { Tensor } from '../../tensor.js';
import { fmtShape } from '../../shape.js';
import { cat, stack } from '../../ops/shape.js';
import { full, ones, zeros } from '../../ops/creation.js';
import { where } from '../../ops/elementwise.js';
import { checkRange, oneHot as oneHotOp, oneHotAsync as oneHotAsyncOp } from '../../ops/indexing.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { constLike, indexLike, safeNorm, tuple } from './utils.js';
import { adaptiveAvgPoolNd } from './pool.js';
import { composite } from '../../ops/prim.js';

/** How F.pad fills the padding: a constant value, the reflection, the replication or a circular wrap of the input. */
export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

/**
 * F.pad(x, pad, { mode, value }): pad = [left_last, right_last, left_prev, right_prev, ...] as
 * PyTorch. Constant mode pads any number of dims and crops on negative amounts.
 */
export function pad(x: Tensor, padding: readonly number[], opts: { mode?: PadMode; value?: number } = {}): Tensor {
  const mode = opts.mode ?? 'constant';
  if (padding.length % 2 !== 0) throw new RangeError(`pad: Padding length must be divisible by 2 (got ${padding.length})`);
  const nd = padding.length / 2;
  if (nd > x.ndim) throw new RangeError(`pad: Padding length too large: ${padding.length} values for a ${x.ndim}-D input of shape ${fmtShape(x.shape)}`);
  if (mode !== 'constant') {
    if (opts.value !== undefined && opts.value !== 0) throw new RangeError(`pad: Padding mode "${mode}" doesn't take in value argument`);
    if (x.ndim < nd + 1) throw new RangeError(`pad: ${mode} padding of ${nd} dims expects a ${nd + 1}-D or ${nd + 2}-D input, got shape ${fmtShape(x.shape)}`);
  }
  return composite('pad', { pad: padding, mode, value: opts.value ?? 0 }, () => {
    let y = x;
    for (let i = 0; i < nd; i++) {
      const d = x.ndim - 1 - i, l = padding[2 * i]!, r = padding[2 * i + 1]!;
      if (l === 0 && r === 0) continue;
      const n = y.shape[d]!;
      if (mode === 'constant') {
        if (l < 0 || r < 0) y = y.narrow(d, Math.max(0, -l), n - Math.max(0, -l) - Math.max(0, -r));
        const parts: Tensor[] = [];
        const block = (k: number) => full(y.shape.map((s, j) => (j === d ? k : s)), opts.value ?? 0, { dtype: y.dtype, device: y.device });
        if (l > 0) parts.push(block(l));
        parts.push(y);
        if (r > 0) parts.push(block(r));
        if (parts.length > 1) y = cat(parts, d);
        continue;
      }
      if (l < 0 || r < 0) throw new RangeError(`pad: negative padding is only supported in constant mode (got ${l}, ${r} in ${mode} mode)`);
      let left: Tensor | null = null, right: Tensor | null = null;
      if (mode === 'reflect') {
        if (l >= n || r >= n) {
          throw new RangeError(`pad: Padding size should be less than the corresponding input dimension, but got: padding (${l}, ${r}) at dimension ${d} of input ${fmtShape(x.shape)}`);
        }
        if (l > 0) left = y.narrow(d, 1, l).flip(d);
        if (r > 0) right = y.narrow(d, n - 1 - r, r).flip(d);
      } else if (mode === 'replicate') {
        if (n === 0) throw new RangeError(`pad: replicate padding of an empty dimension ${d} of input ${fmtShape(x.shape)}`);
        const edge = (k: number, at: number) => y.narrow(d, at, 1).expand(y.shape.map((s, j) => (j === d ? k : s)));
        if (l > 0) left = edge(l, 0);
        if (r > 0) right = edge(r, n - 1);
      } else if (mode === 'circular') {
        if (l > n || r > n) throw new RangeError(`pad: Padding value causes wrapping around more than once (padding (${l}, ${r}) at dimension ${d} of input ${fmtShape(x.shape)})`);
        if (l > 0) left = y.narrow(d, n - l, l);
        if (r > 0) right = y.narrow(d, 0, r);
      } else throw new RangeError(`pad: unknown padding mode "${String(mode)}"`);
      y = cat([left, y, right].filter((t): t is Tensor => t !== null), d);
    }
    return y;
  });
}

/** The resampling algorithm of F.interpolate. */
export type InterpolateMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear' | 'area';
/** Options of F.interpolate and nn.Upsample (PyTorch's keyword arguments); exactly one of size and scaleFactor is given. */
export interface InterpolateOpts {
  /** The output spatial size. */
  size?: number | readonly number[];
  /** The multiplier of the spatial size (the output size is floor(input size * scaleFactor)). */
  scaleFactor?: number | readonly number[];
  /** The algorithm: 'nearest' (default), 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear' or 'area'. */
  mode?: InterpolateMode;
  /** Linear modes only: align the corner pixels' centers of input and output instead of their corners (default false). */
  alignCorners?: boolean;
  /** Compute the scale from the output and input sizes instead of using scaleFactor (default false). */
  recomputeScaleFactor?: boolean;
  /** 'bilinear' and 'bicubic' on 4-D input: an anti-aliasing filter as wide as the downscale (PyTorch's antialias, PIL's resize; default false). */
  antialias?: boolean;
}

/** F.interpolate over the trailing spatial dims of [N, C, ...spatial] (1-3 spatial dims). */
export function interpolate(x: Tensor, opts: InterpolateOpts = {}): Tensor {
  const op = 'interpolate';
  const mode = opts.mode ?? 'nearest';
  const sd = x.ndim - 2;
  if (sd < 1 || sd > 3) throw new RangeError(`${op}: expected a 3-D, 4-D or 5-D input [N, C, ...spatial], got shape ${fmtShape(x.shape)}`);
  const linear = mode === 'linear' || mode === 'bilinear' || mode === 'trilinear' || mode === 'bicubic';
  if (linear && sd !== { linear: 1, bilinear: 2, bicubic: 2, trilinear: 3 }[mode]) {
    throw new RangeError(`${op}: mode '${mode}' expects a ${({ linear: 3, bilinear: 4, bicubic: 4, trilinear: 5 })[mode]}-D input, got ${x.ndim}-D`);
  }
  if (!linear && opts.alignCorners !== undefined) {
    throw new RangeError(`${op}: align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear`);
  }
  if (opts.antialias && !(x.ndim === 4 && (mode === 'bilinear' || mode === 'bicubic'))) {
    throw new RangeError(`${op}: Anti-alias option is only supported for bilinear and bicubic modes (got mode '${mode}' on a ${x.ndim}-D input)`);
  }
  if (opts.size !== undefined && opts.scaleFactor !== undefined) throw new RangeError(`${op}: only one of size or scale_factor should be defined`);
  if (opts.size === undefined && opts.scaleFactor === undefined) throw new RangeError(`${op}: either size or scale_factor should be defined`);
  const inSize = x.shape.slice(2);
  let outSize: number[];
  let scales: (number | null)[] = inSize.map(() => null);
  if (opts.size !== undefined) {
    outSize = tuple(opts.size, sd, op, 'size');
  } else {
    const sf = tuple(opts.scaleFactor!, sd, op, 'scaleFactor');
    outSize = inSize.map((n, i) => Math.floor(n * sf[i]!));
    // PyTorch hands the user's scale to the kernel unless asked to recompute it from the sizes.
    if (!opts.recomputeScaleFactor) scales = sf;
  }
  if (outSize.some((s) => s <= 0)) throw new RangeError(`${op}: output size must be positive, got (${outSize.join(', ')}) for input ${fmtShape(x.shape)}`);
  return composite('interpolate', { size: outSize, scaleFactor: opts.scaleFactor ?? null, mode, alignCorners: opts.alignCorners ?? false, antialias: opts.antialias ?? false }, () => {
    if (mode === 'area') return adaptiveAvgPoolNd(x, outSize);
    let y = x;
    for (let i = 0; i < sd; i++) {
      const d = 2 + i, n = inSize[i]!, m = outSize[i]!;
      const scale = scales[i] !== null ? 1 / scales[i]! : n / m;
      if (opts.antialias) {
        // PyTorch's area_pixel_compute_scale, then one [m, n] weight matrix along the axis.
        const s = opts.alignCorners ? (m > 1 ? (n - 1) / (m - 1) : 0) : scale;
        y = y.movedim(d, -1).matmul(constLike(x, antialiasWeights(n, m, s, mode === 'bicubic'), [m, n]).t()).movedim(-1, d);
        continue;
      }
      if (!linear) {
        const idx: number[] = [];
        const s32 = Math.fround(scale);
        for (let j = 0; j < m; j++) {
          const src = mode === 'nearest' ? Math.floor(Math.fround(j * s32)) : Math.floor(Math.fround((j + 0.5) * s32));
          idx.push(Math.min(src, n - 1));
        }
        y = y.indexSelect(d, indexLike(x, idx));
        continue;
      }
      if (mode === 'bicubic') {
        y = cubicAlong(y, d, n, m, scale, opts.alignCorners ?? false, x);
        continue;
      }
      const i0: number[] = [], i1: number[] = [], w0: number[] = [], w1: number[] = [];
      for (let j = 0; j < m; j++) {
        let src: number;
        if (opts.alignCorners) src = m > 1 ? (j * (n - 1)) / (m - 1) : 0;
        else src = Math.max(0, scale * (j + 0.5) - 0.5);
        const a = Math.min(Math.floor(src), n - 1);
        const b = a < n - 1 ? a + 1 : a;
        const lam = src - a;
        i0.push(a); i1.push(b); w0.push(1 - lam); w1.push(lam);
      }
      const wShape = y.shape.map((_, k) => (k === d ? m : 1));
      y = y.indexSelect(d, indexLike(x, i0)).mul(constLike(x, w0, wShape))
        .add(y.indexSelect(d, indexLike(x, i1)).mul(constLike(x, w1, wShape)));
    }
    return y;
  });
}

/**
 * The [m, n] weights of PyTorch 1.13's antialiased resize along one axis (its _compute_weights_aa,
 * PIL's algorithm): output i reads the inputs within `support` of its center scale (i + 0.5), weighted
 * by the triangle (bilinear) or Keys a = -0.5 (bicubic) filter stretched by the downscale, normalized.
 */
function antialiasWeights(n: number, m: number, scale: number, bicubic: boolean): number[] {
  const taps = bicubic ? 4 : 2;
  const support = scale >= 1 ? taps * 0.5 * scale : taps * 0.5, invscale = scale >= 1 ? 1 / scale : 1;
  const filter = (t: number): number => {
    const x = Math.abs(t), a = -0.5;
    if (!bicubic) return x < 1 ? 1 - x : 0;
    return x < 1 ? ((a + 2) * x - (a + 3)) * x * x + 1 : x < 2 ? (((x - 5) * x + 8) * x - 4) * a : 0;
  };
  const W = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++) {
    const center = scale * (i + 0.5);
    const lo = Math.max(Math.trunc(center - support + 0.5), 0), hi = Math.min(Math.trunc(center + support + 0.5), n);
    const w = Array.from({ length: Math.max(0, hi - lo) }, (_, j) => filter((j + lo - center + 0.5) * invscale));
    const total = w.reduce((a, b) => a + b, 0);
    w.forEach((v, j) => { W[i * n + lo + j] = total !== 0 ? v / total : 0; });
  }
  return W;
}

/**
 * One separable pass of PyTorch's bicubic upsampling along dim d: Keys' cubic convolution with
 * A = -0.75 over 4 taps, source index unclamped (cubic) and taps clamped to the border.
 */
function cubicAlong(y: Tensor, d: number, n: number, m: number, scale: number, alignCorners: boolean, ref: Tensor): Tensor {
  const A = -0.75;
  const cc1 = (t: number) => ((A + 2) * t - (A + 3)) * t * t + 1;     // |t| <= 1
  const cc2 = (t: number) => ((A * t - 5 * A) * t + 8 * A) * t - 4 * A; // 1 < |t| < 2
  const idx: number[][] = [[], [], [], []], w: number[][] = [[], [], [], []];
  for (let j = 0; j < m; j++) {
    const src = alignCorners ? (m > 1 ? (j * (n - 1)) / (m - 1) : 0) : scale * (j + 0.5) - 0.5;
    const f = Math.floor(src), t = src - f;
    const ws = [cc2(t + 1), cc1(t), cc1(1 - t), cc2(2 - t)];
    for (let k = 0; k < 4; k++) { idx[k]!.push(Math.min(Math.max(f - 1 + k, 0), n - 1)); w[k]!.push(ws[k]!); }
  }
  const wShape = y.shape.map((_, k) => (k === d ? m : 1));
  let out: Tensor | null = null;
  for (let k = 0; k < 4; k++) {
    const term = y.indexSelect(d, indexLike(ref, idx[k]!)).mul(constLike(ref, w[k]!, wShape));
    out = out ? out.add(term) : term;
  }
  return out!;
}

/** F.pixelShuffle: [..., C*r*r, H, W] -> [..., C, H*r, W*r]. */
export function pixelShuffle(x: Tensor, upscaleFactor: number): Tensor {
  const r = upscaleFactor;
  if (x.ndim < 3) throw new RangeError(`pixelShuffle: pixel_shuffle expects input to have at least 3 dimensions, but got input with ${x.ndim} dimension(s)`);
  const lead = x.shape.slice(0, -3), [C, H, W] = x.shape.slice(-3) as [number, number, number];
  if (C % (r * r) !== 0) {
    throw new RangeError(`pixelShuffle: pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size(-3)=${C} is not divisible by ${r * r}`);
  }
  return composite('pixelShuffle', { upscaleFactor }, () => {
    const oc = C / (r * r), k = lead.length;
    return x.reshape([...lead, oc, r, r, H, W])
      .permute([...lead.keys(), k, k + 3, k + 1, k + 4, k + 2])
      .reshape([...lead, oc, H * r, W * r]);
  });
}

/** F.pixelUnshuffle: [..., C, H*r, W*r] -> [..., C*r*r, H, W]. */
export function pixelUnshuffle(x: Tensor, downscaleFactor: number): Tensor {
  const r = downscaleFactor;
  if (x.ndim < 3) throw new RangeError(`pixelUnshuffle: pixel_unshuffle expects input to have at least 3 dimensions, but got input with ${x.ndim} dimension(s)`);
  const lead = x.shape.slice(0, -3), [C, H, W] = x.shape.slice(-3) as [number, number, number];
  if (H % r !== 0 || W % r !== 0) {
    throw new RangeError(`pixelUnshuffle: pixel_unshuffle expects height and width to be divisible by downscale_factor, but got ${H}x${W} and downscale_factor=${r}`);
  }
  return composite('pixelUnshuffle', { downscaleFactor }, () => {
    const k = lead.length;
    return x.reshape([...lead, C, H / r, r, W / r, r])
      .permute([...lead.keys(), k, k + 2, k + 4, k + 1, k + 3])
      .reshape([...lead, C * r * r, H / r, W / r]);
  });
}

/** F.normalize: x / max(||x||_p over dim, eps). */
export function normalize(x: Tensor, optsArg?: { p?: number; dim?: number; eps?: number } | number, dimArg?: number, epsArg?: number): Tensor {
  // PyTorch's positional (x, p, dim, eps) works as well as the options object (p may be left undefined).
  const opts = typeof optsArg !== 'object' ? { p: optsArg, ...(dimArg === undefined ? {} : { dim: dimArg }), ...(epsArg === undefined ? {} : { eps: epsArg }) } : optsArg;
  return composite('normalize', { p: opts.p ?? 2, dim: opts.dim ?? 1, eps: opts.eps ?? 1e-12 }, () => {
    const denom = safeNorm(x, opts.p ?? 2, opts.dim ?? 1, true).clamp(opts.eps ?? 1e-12);
    return x.div(denom);
  });
}

/** F.cosineSimilarity: sum(x1/max(|x1|,eps) * x2/max(|x2|,eps)) over dim (PyTorch 1.13's formula). */
export function cosineSimilarity(x1: Tensor, x2: Tensor, optsArg?: { dim?: number; eps?: number } | number, epsArg?: number): Tensor {
  // PyTorch's positional (x1, x2, dim, eps) works as well as the options object (dim may be left undefined).
  const opts = typeof optsArg !== 'object' ? { dim: optsArg, ...(epsArg === undefined ? {} : { eps: epsArg }) } : optsArg;
  const dim = opts.dim ?? 1, eps = opts.eps ?? 1e-8;
  return composite('cosineSimilarity', { dim, eps }, () => {
    const n1 = safeNorm(x1, 2, dim, true).clamp(eps), n2 = safeNorm(x2, 2, dim, true).clamp(eps);
    return x1.div(n1).mul(x2.div(n2)).sum(dim);
  });
}

/** F.pairwiseDistance: ||x1 - x2 + eps||_p over the last dim. */
export function pairwiseDistance(x1: Tensor, x2: Tensor, opts: { p?: number; eps?: number; keepdim?: boolean } = {}): Tensor {
  return composite('pairwiseDistance', { p: opts.p ?? 2, eps: opts.eps ?? 1e-6, keepdim: opts.keepdim ?? false }, () => safeNorm(x1.sub(x2).add(opts.eps ?? 1e-6), opts.p ?? 2, -1, opts.keepdim ?? false));
}

/** Options of F.embedding (PyTorch's keyword arguments). */
export interface EmbeddingOpts {
  /** Entries at this index do not contribute to the gradient. */
  paddingIdx?: number | null;
  /** Looked-up rows with a norm larger than maxNorm are renormalized to norm maxNorm (in place). */
  maxNorm?: number | null;
  /** The p of the p-norm computed for maxNorm (default 2). */
  normType?: number;
  /** Divide each row's gradient by its index's count in the mini-batch (default false). */
  scaleGradByFreq?: boolean;
  /** Sparse gradients w.r.t. weight: not supported, true throws (default false). */
  sparse?: boolean;
}

/**
 * F.embedding(input (int32 indices), weight [num, dim], opts): rows of weight. paddingIdx's row gets
 * no gradient; maxNorm renormalizes the referenced rows of weight in place (no grad), as PyTorch;
 * scaleGradByFreq divides each row's gradient by its index's count in the mini-batch.
 */
export function embedding(input: Tensor, weight: Tensor, opts: EmbeddingOpts = {}): Tensor {
  if (input.dtype !== 'int32' && input.dtype !== 'uint8') {
    throw new TypeError(`embedding: Expected tensor for argument #1 'indices' to have an integer dtype; but got ${input.dtype} instead`);
  }
  if (weight.ndim !== 2) throw new RangeError(`embedding: 'weight' must be 2-D, got shape ${fmtShape(weight.shape)}`);
  if (opts.sparse) throw new Error('embedding: sparse gradients are not supported (use dense gradients)');
  const num = weight.shape[0]!;
  let pad = opts.paddingIdx ?? null;
  if (pad !== null) {
    if (pad >= num || pad < -num) throw new RangeError(`embedding: Padding_idx must be within num_embeddings (got ${pad} for ${num} embeddings)`);
    if (pad < 0) pad += num;
  }
  return composite('embedding', { paddingIdx: pad, maxNorm: opts.maxNorm ?? null, normType: opts.normType ?? 2, scaleGradByFreq: opts.scaleGradByFreq ?? false }, () => {
    const flat = input.reshape(-1).to('int32');
    // PyTorch's IndexError text (the gather below would name itself instead).
    checkRange(flat, 0, num - 1, `embedding: index out of range in self (index $V, num_embeddings ${num})`);
    if (opts.maxNorm !== undefined && opts.maxNorm !== null) {
      const maxNorm = opts.maxNorm, p = opts.normType ?? 2;
      noGrad(() => {
        const used = zeros([num], { dtype: weight.dtype, device: weight.device }).scatter(0, flat, 1).gt(0);
        const norms = weight.norm(p, 1);
        const scale = where(used.logicalAnd(norms.gt(maxNorm)), norms.add(1e-7).reciprocal().mul(maxNorm), 1);
        weight.mul_(scale.unsqueeze(1).to(weight.dtype));
      });
    }
    let rows = weight.indexSelect(0, flat);
    if (pad !== null && rows.requiresGrad) rows = where(flat.eq(pad).unsqueeze(1), rows.detach(), rows);
    if (opts.scaleGradByFreq && rows.requiresGrad) {
      // Same value, gradient divided by how often each index occurs in this mini-batch.
      const ones = full([flat.numel()], 1, { dtype: weight.dtype, device: weight.device });
      const freq = zeros([num], { dtype: weight.dtype, device: weight.device }).indexAdd(0, flat, ones).indexSelect(0, flat);
      const s = freq.reciprocal().unsqueeze(1);
      rows = rows.mul(s).add(rows.mul(s.rsub(1)).detach());
    }
    return rows.reshape([...input.shape, weight.shape[1]!]);
  });
}

/** F.oneHot (torch.nn.functional.one_hot): int32 [..., numClasses]. */
export function oneHot(t: Tensor, numClasses: number | { numClasses?: number } = -1): Tensor { return oneHotOp(t, numClasses); }
/** F.oneHotAsync (torchlet addition): oneHot on any device; numClasses = -1 reads max(t) asynchronously. */
export function oneHotAsync(t: Tensor, numClasses: number | { numClasses?: number } = -1): Promise<Tensor> { return oneHotAsyncOp(t, numClasses); }

/** F.pdist(x [N, M], p): the p-norm distances of all row pairs i < j, in row-major order ([N(N-1)/2]). */
export function pdist(x: Tensor, p = 2): Tensor {
  if (x.ndim !== 2) throw new RangeError(`pdist: pdist only supports 2D tensors, got: ${x.ndim}D`);
  return composite('pdist', { p }, () => {
    const N = x.shape[0]!;
    const a: number[] = [], b: number[] = [];
    for (let i = 0; i < N; i++) for (let j = i + 1; j < N; j++) { a.push(i); b.push(j); }
    if (a.length === 0) return zeros([0], { dtype: x.dtype, device: x.device });
    return safeNorm(x.indexSelect(0, indexLike(x, a)).sub(x.indexSelect(0, indexLike(x, b))), p, 1, false);
  });
}

/** F.channelShuffle(x [N, C, *], groups): [N, g, C/g, *] -> transpose the group dims -> [N, C, *]. */
export function channelShuffle(x: Tensor, groups: number): Tensor {
  if (x.ndim < 3) throw new RangeError(`channelShuffle: channel_shuffle expects input to have at least 3 dimensions, but got input with ${x.ndim} dimension(s)`);
  const [N, C] = x.shape as [number, number];
  if (groups <= 0 || C % groups !== 0) throw new RangeError(`channelShuffle: Number of channels must be divisible by groups. Got ${C} channels and ${groups} groups.`);
  return composite('channelShuffle', { groups }, () => {
    const rest = x.shape.slice(2);
    return x.reshape([N, groups, C / groups, ...rest]).transpose(1, 2).reshape([N, C, ...rest]);
  });
}

/**
 * F.affineGrid(theta [N, 2, 3], size [N, C, H, W]) or (theta [N, 3, 4], size [N, C, D, H, W]),
 * { alignCorners }: the normalized sampling grid [N, (D,) H, W, 2|3] of (x, y(, z)) =
 * theta @ (x_base, y_base(, z_base), 1), base coordinates spanning [-1, 1].
 */
export function affineGrid(theta: Tensor, size: readonly number[], opts: { alignCorners?: boolean } = {}): Tensor {
  const op = 'affineGrid', nd = size.length - 2, sz = `[${size.join(', ')}]`;
  if (nd !== 2 && nd !== 3) throw new RangeError(`${op}: affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, respectively. Got size ${sz}.`);
  if (theta.ndim !== 3 || theta.shape[0] !== size[0] || theta.shape[1] !== nd || theta.shape[2] !== nd + 1) {
    throw new RangeError(`${op}: Expected a batch of ${nd}D affine matrices of shape Nx${nd}x${nd + 1} for size ${sz}. Got ${fmtShape(theta.shape)}.`);
  }
  const ac = opts.alignCorners ?? false;
  return composite(op, { size, alignCorners: ac }, () => {
    const sp = size.slice(2), M = sp.reduce((a, b) => a * b, 1);
    const lin = (n: number, i: number) => (n < 2 ? 0 : (2 * i - n + 1) / (ac ? n - 1 : n));
    const base: number[] = [];
    for (let i = 0; i < M; i++) {
      // PyTorch's base grid lists x (the last spatial dim) first.
      for (let d = nd - 1, r = i; d >= 0; r = Math.floor(r / sp[d]!), d--) base.push(lin(sp[d]!, r % sp[d]!));
      base.push(1);
    }
    return constLike(theta, base, [1, M, nd + 1]).matmul(theta.transpose(1, 2)).reshape([size[0]!, ...sp, nd]);
  });
}

/** Options of F.gridSample (PyTorch's keyword arguments). */
export interface GridSampleOpts {
  /** Interpolation mode: 'bilinear' (default; trilinear on 5-D input), 'nearest' or 'bicubic' (4-D input only). */
  mode?: 'bilinear' | 'nearest' | 'bicubic';
  /** Values for grid locations outside the input: 'zeros' (default), 'border' or 'reflection'. */
  paddingMode?: 'zeros' | 'border' | 'reflection';
  /** Treat -1 and 1 as the centers (true) rather than the outer edges (false, default) of the corner pixels. */
  alignCorners?: boolean;
}

/**
 * F.gridSample(input [N, C, H, W], grid [N, Ho, Wo, 2]) or (input [N, C, D, H, W], grid
 * [N, Do, Ho, Wo, 3]), opts: samples input at the normalized (x, y(, z)) locations of grid.
 * Differentiable w.r.t. input (gather) and grid (through the interpolation weights).
 */
export function gridSample(input: Tensor, grid: Tensor, opts: GridSampleOpts = {}): Tensor {
  const op = 'gridSample: grid_sampler():', mode = opts.mode ?? 'bilinear', padMode = opts.paddingMode ?? 'zeros', ac = opts.alignCorners ?? false;
  const nd = input.ndim - 2, sizes = `input with sizes ${fmtShape(input.shape)} and grid with sizes ${fmtShape(grid.shape)}`;
  // PyTorch's checks and messages, in its order.
  const check = (bad: boolean, what: string, got = sizes) => { if (bad) throw new RangeError(`${op} ${what}, but got ${got}`); };
  check(!['bilinear', 'nearest', 'bicubic'].includes(mode) || !['zeros', 'border', 'reflection'].includes(padMode), 'unsupported mode or paddingMode', `'${mode}', '${padMode}'`);
  check(input.shape[0] !== grid.shape[0], 'expected grid and input to have same batch size');
  check(grid.shape[grid.ndim - 1] !== nd, `expected grid to have size ${nd} in last dimension`, `grid with sizes ${fmtShape(grid.shape)}`);
  check((nd !== 2 && nd !== 3) || grid.ndim !== input.ndim, 'expected 4D or 5D input and grid with same number of dimensions');
  check(mode === 'bicubic' && nd !== 2, 'bicubic interpolation only supports 4D input');
  return composite('gridSample', { mode, paddingMode: padMode, alignCorners: ac }, () => {
    const [N, C, ...sp] = input.shape as number[], outSp = grid.shape.slice(1, -1), M = outSp.reduce((a, b) => a * b, 1);
    const g = grid.reshape(N, M, nd);
    // PyTorch's compute_coordinates: reflect and/or clip a source coordinate into the input.
    const bound = (c: Tensor, n: number): Tensor => {
      if (padMode === 'reflection') c = ac ? reflect(c, 0, 2 * (n - 1)) : reflect(c, -1, 2 * n - 1);
      return padMode === 'zeros' ? c : c.clamp(0, n - 1);
    };
    const A = -0.75; // PyTorch's cubic convolution coefficient
    const cc1 = (t: Tensor) => t.mul(A + 2).sub(A + 3).mul(t).mul(t).add(1);        // |t| <= 1
    const cc2 = (t: Tensor) => t.mul(A).sub(5 * A).mul(t).add(8 * A).mul(t).sub(4 * A); // 1 < |t| < 2
    // All taps in one gather: per spatial dim d (D, H, W order; the grid holds x, y, z, i.e.
    // reversed), its k taps lie along their own axis of [N, k, .., k, M] (K = k^nd taps in all).
    const k = mode === 'nearest' ? 1 : mode === 'bilinear' ? 2 : 4, K = k ** nd;
    let idx: Tensor | null = null, ok: Tensor | null = null, w: Tensor | null = null;
    for (let d = nd - 1, stride = 1; d >= 0; stride *= sp[d]!, d--) {
      const n = sp[d]!, u = g.select(2, nd - 1 - d), s = ac ? u.add(1).mul((n - 1) / 2) : u.add(1).mul(n).sub(1).div(2);
      const view = (t: Tensor) => t.reshape([N, ...sp.map((_, j) => (j === d ? k : 1)), M]);
      // Bicubic bounds each of its 4 taps rather than the source coordinate.
      const c = k > 2 ? s : bound(s, n), f = c.detach()[k > 1 ? 'floor' : 'round']();
      let p = f.unsqueeze(1); // integer-valued tap positions [N, k, M]
      if (k > 1) {
        const t = c.sub(f);
        p = p.add(constLike(f, k > 2 ? [-1, 0, 1, 2] : [0, 1], [1, k, 1]));
        const wd = view(stack(k > 2 ? [cc2(t.add(1)), cc1(t), cc1(t.rsub(1)), cc2(t.rsub(2))] : [t.rsub(1), t], 1));
        w = w ? w.mul(wd) : wd;
      }
      if (k > 2) p = bound(p, n);
      p = view(p);
      const v = p.ge(0).logicalAnd(p.le(n - 1));
      idx = idx ? idx.add(p.mul(stride)) : p.mul(stride);
      ok = ok ? ok.logicalAnd(v) : v;
    }
    // Out-of-range taps (zeros padding) read index 0 and are masked to 0.
    const at = where(ok!, idx!, 0).to('int32').reshape(N, 1, K * M);
    const vals = where(ok!.reshape(N, 1, K * M), input.reshape(N, C, -1).gather(2, at.expand(N, C, K * M)), 0).reshape(N, C, K, M);
    return (w ? vals.mul(w.reshape(N, 1, K, M)).sum(2) : vals).reshape([N, C, ...outSp]);
  });
}

/** PyTorch's reflect_coordinates: folds c into [low/2, high/2] by mirror reflection. */
function reflect(c: Tensor, twiceLow: number, twiceHigh: number): Tensor {
  if (twiceLow === twiceHigh) return c.mul(0);
  const min = twiceLow / 2, span = (twiceHigh - twiceLow) / 2;
  const a = c.sub(min).abs();
  const extra = a.fmod(span), flips = a.div(span).floor();
  const even = flips.remainder(2).eq(0);
  return where(even, extra.add(min), extra.neg().add(span + min));
}

/** Options of F.embeddingBag (PyTorch's keyword arguments). */
export interface EmbeddingBagOpts {
  /** Start of each bag in a 1-D input: a tensor on the input's device, or host metadata (a number[] or a CPU tensor). */
  offsets?: Tensor | readonly number[] | null;
  /** Looked-up rows with a norm larger than maxNorm are renormalized to norm maxNorm (in place). */
  maxNorm?: number | null;
  /** The p of the p-norm computed for maxNorm (default 2). */
  normType?: number;
  /** How each bag is reduced: 'sum', 'mean' (default) or 'max'. */
  mode?: 'sum' | 'mean' | 'max';
  /** Weights of the input entries, multiplied into the rows (mode 'sum' only). */
  perSampleWeights?: Tensor | null;
  /** Whether offsets has one more element than the number of bags, the last being the input size (default false). */
  includeLastOffset?: boolean;
  /** Entries at this index are left out of the bags (and not counted by mean). */
  paddingIdx?: number | null;
}

/** Bag offsets as numbers: host metadata, or a tensor on a synchronous device. */
function hostOffsets(offsets: Tensor | readonly number[], why: string): number[] {
  if (!(offsets instanceof Tensor)) return [...offsets];
  if (!offsets.storage.backend.synchronous) {
    throw new Error(`embeddingBag: ${why} needs the bag offsets on the host, but they are a tensor on '${offsets.device}'; pass them as a number[] or a CPU tensor (offsets.cpu() before the loop), or use a 2-D input`);
  }
  return Array.from(offsets.reshape(-1).to('int32').dataSync());
}

/**
 * F.embeddingBag(input, weight, offsets?, opts): sums, means or maxes of embedding rows per bag. Bags
 * are the rows of a 2-D input, or runs of a 1-D input starting at `offsets` (positional, as PyTorch's,
 * or `{ offsets }`). paddingIdx entries are skipped;
 * empty bags give zeros. Offsets may be host metadata (a number[] or a CPU tensor, whatever the
 * input's device). 'max' with 1-D input needs them on the host (they shape the dense [bags, longest
 * bag] layout): a tensor on an asynchronous device is refused with an error saying so.
 */
export function embeddingBag(input: Tensor, weight: Tensor, offsets?: EmbeddingBagOpts['offsets'] | EmbeddingBagOpts, opts: Omit<EmbeddingBagOpts, 'offsets'> = {}): Tensor {
  const op = 'embeddingBag';
  // PyTorch's positional offsets, or an options object in their place (`{ offsets, mode }`).
  if (offsets && !(offsets instanceof Tensor) && !Array.isArray(offsets)) [offsets, opts] = [(offsets as EmbeddingBagOpts).offsets, { ...offsets, ...opts }];
  const mode = opts.mode ?? 'mean', psw = opts.perSampleWeights ?? null;
  if (input.ndim === 2 && offsets) throw new RangeError(`${op}: if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length sequences.`);
  if (input.ndim === 1 && !offsets) throw new RangeError(`${op}: offsets has to be a 1D Tensor but got None`);
  if (input.ndim !== 1 && input.ndim !== 2) throw new RangeError(`${op}: input has to be 1D or 2D Tensor, but got Tensor of dimension ${input.ndim}`);
  if (psw && mode !== 'sum') throw new RangeError(`${op}: embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' (got mode='${mode}'). Please open a feature request on GitHub.`);
  if (psw && (psw.ndim !== input.ndim || psw.shape.some((s, i) => s !== input.shape[i]))) throw new RangeError(`${op}: embedding_bag: If per_sample_weights (${fmtShape(psw.shape)}) is not None, then it must have the same shape as the input (${fmtShape(input.shape)})`);
  return composite('embeddingBag', { mode, maxNorm: opts.maxNorm ?? null, normType: opts.normType ?? 2, includeLastOffset: opts.includeLastOffset ?? false, paddingIdx: opts.paddingIdx ?? null }, () => {
    const n = input.numel(), D = weight.shape[1]!;
    const flat = input.reshape(-1).to('int32');
    let B: number, bagId: Tensor;
    if (input.ndim === 2) {
      B = input.shape[0]!;
      const L = input.shape[1]!;
      bagId = indexLike(weight, Array.from({ length: n }, (_, i) => Math.floor(i / L)));
    } else {
      const off = offsets instanceof Tensor && offsets.device === weight.device ? offsets.to('int32').reshape(-1) : indexLike(weight, hostOffsets(offsets!, `moving offsets to the weight's device ('${weight.device}')`));
      B = opts.includeLastOffset ? off.shape[0]! - 1 : off.shape[0]!;
      const starts = off.narrow(0, 0, B);
      // A 1 where each bag starts (empty bags stack theirs), summed along: token i's bag is the count
      // of starts <= i, minus 1. O(n + B), where comparing every token with every start was O(n B).
      const marks = zeros([n + 1], { dtype: 'int32', device: weight.device }).indexAdd(0, starts, ones([B], { dtype: 'int32', device: weight.device }));
      bagId = marks.narrow(0, 0, n).cumsum(0).sub(1).to('int32');
    }
    // renorm/padding handled by embedding; the padded entries are then masked out of every reduction
    let rows = embedding(flat, weight, { maxNorm: opts.maxNorm, normType: opts.normType }); // [n, D]
    const pad = opts.paddingIdx ?? null;
    const valid = pad === null ? null : flat.ne(pad < 0 ? pad + weight.shape[0]! : pad);
    if (psw) rows = rows.mul(psw.reshape(-1, 1));
    const zerosBD = () => zeros([B, D], { dtype: weight.dtype, device: weight.device });
    if (mode === 'sum' || mode === 'mean') {
      const masked = valid ? where(valid.unsqueeze(1), rows, 0) : rows;
      const sums = zerosBD().indexAdd(0, bagId, masked);
      if (mode === 'sum') return sums;
      const ones = valid ? valid.to(weight.dtype) : constLike(weight, new Array<number>(n).fill(1), [n]);
      const counts = zeros([B], { dtype: weight.dtype, device: weight.device }).indexAdd(0, bagId, ones);
      return sums.div(counts.clamp(1).unsqueeze(1));
    }
    if (mode !== 'max') throw new RangeError(`${op}: mode has to be one of sum, mean or max, got '${String(mode)}'`);
    // Dense [B, Lmax, D] layout with -inf in unused slots, then a max over the slot dim.
    let pos: number[], Lmax: number;
    if (input.ndim === 2) {
      Lmax = input.shape[1]!;
      pos = Array.from({ length: n }, (_, i) => i);
    } else {
      const off = hostOffsets(offsets!, "mode='max' with 1-D input").slice(0, B);
      const ends = off.map((_, b) => (b + 1 < B ? off[b + 1]! : n));
      Lmax = Math.max(1, ...off.map((o, b) => ends[b]! - o));
      pos = new Array<number>(n);
      off.forEach((o, b) => { for (let i = o; i < ends[b]!; i++) pos[i] = b * Lmax + (i - o); });
    }
    const filled = valid ? where(valid.unsqueeze(1), rows, -Infinity) : rows;
    const dense = full([B * Lmax, D], -Infinity, { dtype: weight.dtype, device: weight.device })
      .scatter(0, indexLike(weight, pos).unsqueeze(1).expand(n, D), filled).reshape(B, Lmax, D);
    const m = dense.max(1).values;
    return where(m.eq(-Infinity), 0, m); // empty bags are zeros
  });
}
