// Pooling of torch.nn.functional: maxPool1d/2d (with indices), maxPool3d, avgPool1d/2d/3d, adaptive
// average and max pooling (1-3 d). Max pooling is one kernel (Backend.maxPool2d: maxima and their
// positions); average pools are im2col (zero padding) followed by a sum over the window; adaptive
// pools are separable per spatial dim. Semantics: PyTorch 1.13.

import { Tensor } from '../../tensor.js';
import { fmtShape } from '../../shape.js';
import { im2colPrim, maxPool2dPrim } from '../../ops/linalg.js';
import { cat, stack } from '../../ops/shape.js';
import { full, zeros } from '../../ops/creation.js';
import { constLike, indexLike, tuple, type IntOrTuple } from './utils.js';
import { composite } from '../../ops/prim.js';

/** A pool's non-tensor arguments, as its composite's attrs (stride defaults to the kernel size). */
const maxAttrs = (k: IntOrTuple, o: MaxPoolOpts) => ({
  kernelSize: k, stride: o.stride ?? k, padding: o.padding ?? 0, dilation: o.dilation ?? 1, ceilMode: o.ceilMode ?? false, returnIndices: o.returnIndices ?? false,
});
const avgAttrs = (k: IntOrTuple, o: AvgPoolOpts) => ({
  kernelSize: k, stride: o.stride ?? k, padding: o.padding ?? 0, ceilMode: o.ceilMode ?? false, countIncludePad: o.countIncludePad ?? true, divisorOverride: o.divisorOverride ?? null,
});

/** Options of F.maxPool1d/2d/3d (PyTorch's keyword arguments). */
export interface MaxPoolOpts {
  /** Stride of the window (default, or null: kernelSize). */
  stride?: IntOrTuple | null;
  /** Implicit negative-infinity padding on both sides (default 0). */
  padding?: IntOrTuple;
  /** Spacing between window elements (default 1). */
  dilation?: IntOrTuple;
  /** Use ceil instead of floor to compute the output shape (default false). */
  ceilMode?: boolean;
  /** Return [output, indices] (the flat spatial positions of the maxima, for F.maxUnpool) (default false). */
  returnIndices?: boolean;
}
/** Options of F.avgPool1d/2d/3d (PyTorch's keyword arguments). */
export interface AvgPoolOpts {
  /** Stride of the window (default, or null: kernelSize). */
  stride?: IntOrTuple | null;
  /** Implicit zero padding on both sides (default 0). */
  padding?: IntOrTuple;
  /** Use ceil instead of floor to compute the output shape (default false). */
  ceilMode?: boolean;
  /** Include the zero-padding in the averaging calculation (default true). */
  countIncludePad?: boolean;
  /** If set, the divisor used instead of the window size (2d and 3d only). */
  divisorOverride?: number | null;
}

/** PyTorch's pooling output size, including the ceil-mode rule that the last window must start inside the input or left padding. */
function poolOutSize(n: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = n + 2 * p - d * (k - 1) - 1;
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (o - 1) * s >= n + p) o--;
  return o;
}

interface Geometry { k: number[]; s: number[]; p: number[]; d: number[]; out: number[]; extra: number[] }

function geometry(op: string, x: Tensor, kernelSize: IntOrTuple, stride: IntOrTuple | null | undefined, padding: IntOrTuple | undefined,
  dilation: IntOrTuple | undefined, ceil: boolean): Geometry {
  const k = tuple(kernelSize, 2, op, 'kernelSize');
  const s = stride === null || stride === undefined || (Array.isArray(stride) && stride.length === 0) ? k : tuple(stride, 2, op, 'stride');
  const p = tuple(padding ?? 0, 2, op, 'padding'), d = tuple(dilation ?? 1, 2, op, 'dilation');
  if (k.some((v) => v <= 0)) throw new RangeError(`${op}: kernel_size must be greater than zero, but got ${k.join('x')}`);
  if (s.some((v) => v <= 0)) throw new RangeError(`${op}: stride must be greater than zero, but got ${s.join('x')}`);
  if (p.some((v, i) => v < 0 || v > k[i]! / 2)) throw new RangeError(`${op}: pad should be at most half of effective kernel size, but got pad=${p.join('x')}, kernel_size=${k.join('x')}`);
  const H = x.shape[x.ndim - 2]!, W = x.shape[x.ndim - 1]!;
  const out = [0, 1].map((i) => poolOutSize(i === 0 ? H : W, k[i]!, s[i]!, p[i]!, d[i]!, ceil));
  if (out.some((o) => o <= 0)) {
    throw new RangeError(`${op}: Given input size: (${x.shape.slice(-3).join('x')}). Calculated output size: (${x.shape[x.ndim - 3] ?? 1}x${out.join('x')}). Output size is too small`);
  }
  // Ceil mode's last window may run past the right padding: extend the input there.
  const extra = [0, 1].map((i) => Math.max(0, (out[i]! - 1) * s[i]! + d[i]! * (k[i]! - 1) + 1 - ((i === 0 ? H : W) + 2 * p[i]!)));
  return { k, s, p, d, out, extra };
}

/** Windows of x [N,C,H,W] as [N, C, kh*kw, OH*OW] for average pooling; the border (and ceil-mode overhang) holds 0. */
function windows(x: Tensor, g: Geometry): Tensor {
  let xin = x;
  for (const i of [0, 1]) {
    if (g.extra[i]! > 0) {
      const d = 2 + i;
      xin = cat([xin, zeros(xin.shape.map((v, j) => (j === d ? g.extra[i]! : v)), { dtype: x.dtype, device: x.device })], d);
    }
  }
  // im2col pads p on both sides; window starts stay at o*s - p, the overhang lies beyond the right padding.
  const cols = im2colPrim(xin, {
    kernel: [g.k[0]!, g.k[1]!], stride: [g.s[0]!, g.s[1]!], padding: [g.p[0]!, g.p[1]!], dilation: [g.d[0]!, g.d[1]!], padValue: 0,
  });
  const [N, C] = x.shape as [number, number];
  // The extended input can hold more window starts than PyTorch's output size: keep the first ones.
  const OH = Math.floor((xin.shape[2]! + 2 * g.p[0]! - g.d[0]! * (g.k[0]! - 1) - 1) / g.s[0]!) + 1;
  const OW = Math.floor((xin.shape[3]! + 2 * g.p[1]! - g.d[1]! * (g.k[1]! - 1) - 1) / g.s[1]!) + 1;
  let w = cols.reshape(N, C, g.k[0]! * g.k[1]!, OH, OW);
  if (OH !== g.out[0] || OW !== g.out[1]) w = w.narrow(3, 0, g.out[0]!).narrow(4, 0, g.out[1]!);
  return w.reshape(N, C, g.k[0]! * g.k[1]!, g.out[0]! * g.out[1]!);
}

function batch4(op: string, x: Tensor): [Tensor, boolean] {
  if (x.ndim === 3) return [x.unsqueeze(0), true];
  if (x.ndim !== 4) throw new RangeError(`${op}: Expected 3D or 4D (batch mode) tensor for input, but got input of size ${fmtShape(x.shape)}`);
  return [x, false];
}

/** F.maxPool2d(x [N,C,H,W] or [C,H,W], kernelSize, opts); with returnIndices: [output, indices into H*W]. */
export function maxPool2d(x: Tensor, kernelSize: IntOrTuple, opts?: MaxPoolOpts & { returnIndices?: false }): Tensor;
export function maxPool2d(x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOpts & { returnIndices: true }): [Tensor, Tensor];
export function maxPool2d(x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOpts = {}): Tensor | [Tensor, Tensor] {
  return composite('maxPool2d', maxAttrs(kernelSize, opts), () => maxPoolImpl('maxPool2d', x, kernelSize, opts));
}

function maxPoolImpl(op: string, x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOpts): Tensor | [Tensor, Tensor] {
  const [xb, unb] = batch4(op, x);
  const g = geometry(op, xb, kernelSize, opts.stride, opts.padding, opts.dilation, opts.ceilMode ?? false);
  // One kernel finds each window's maximum and its flat position (Backend.maxPool2d); the gradient
  // is another (Backend.maxPool2dBackward), the scatter-add of the output's gradient at them.
  const [out, idx] = maxPool2dPrim(xb, {
    kernel: [g.k[0]!, g.k[1]!], stride: [g.s[0]!, g.s[1]!], padding: [g.p[0]!, g.p[1]!], dilation: [g.d[0]!, g.d[1]!], padValue: 0, // cells outside x are skipped
  }, [g.out[0]!, g.out[1]!]);
  if (!opts.returnIndices) return unb ? out.squeeze(0) : out;
  return unb ? [out.squeeze(0), idx.squeeze(0)] : [out, idx];
}

/** F.maxPool1d(x [N,C,L] or [C,L], kernelSize, opts): maxPool2d over a height-1 image. */
export function maxPool1d(x: Tensor, kernelSize: IntOrTuple, opts?: MaxPoolOpts & { returnIndices?: false }): Tensor;
export function maxPool1d(x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOpts & { returnIndices: true }): [Tensor, Tensor];
export function maxPool1d(x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOpts = {}): Tensor | [Tensor, Tensor] {
  return composite('maxPool1d', maxAttrs(kernelSize, opts), () => {
    const op = 'maxPool1d';
    if (x.ndim !== 2 && x.ndim !== 3) throw new RangeError(`${op}: Expected 2D or 3D (batch mode) tensor for input, but got input of size ${fmtShape(x.shape)}`);
    const one = (v: IntOrTuple | null | undefined, name: string, lead: number) => (v === null || v === undefined ? v : [lead, tuple(v, 1, op, name)[0]!]);
    const r = maxPoolImpl(op, x.unsqueeze(-2), [1, tuple(kernelSize, 1, op, 'kernelSize')[0]!], {
      stride: one(opts.stride, 'stride', 1), padding: one(opts.padding, 'padding', 0) ?? 0, dilation: one(opts.dilation, 'dilation', 1) ?? 1,
      ceilMode: opts.ceilMode, returnIndices: opts.returnIndices,
    });
    return Array.isArray(r) ? [r[0].squeeze(-2), r[1].squeeze(-2)] : r.squeeze(-2);
  });
}

/** F.avgPool2d(x, kernelSize, { stride, padding, ceilMode, countIncludePad, divisorOverride }). */
export function avgPool2d(x: Tensor, kernelSize: IntOrTuple, opts: AvgPoolOpts = {}): Tensor {
  return composite('avgPool2d', avgAttrs(kernelSize, opts), () => avgPoolImpl('avgPool2d', x, kernelSize, opts));
}

function avgPoolImpl(op: string, x: Tensor, kernelSize: IntOrTuple, opts: AvgPoolOpts): Tensor {
  const [xb, unb] = batch4(op, x);
  const g = geometry(op, xb, kernelSize, opts.stride, opts.padding, 1, opts.ceilMode ?? false);
  const sums = windows(xb, g).sum(2);
  const [N, C, H, W] = xb.shape as [number, number, number, number];
  let out: Tensor;
  if (opts.divisorOverride) out = sums.div(opts.divisorOverride);
  else {
    // PyTorch's divisor: the window clipped to the padded input (countIncludePad) or to the input itself.
    const inc = opts.countIncludePad ?? true;
    const div: number[] = [];
    for (let oh = 0; oh < g.out[0]!; oh++) {
      for (let ow = 0; ow < g.out[1]!; ow++) {
        let h0 = oh * g.s[0]! - g.p[0]!, w0 = ow * g.s[1]! - g.p[1]!;
        let h1 = Math.min(h0 + g.k[0]!, H + g.p[0]!), w1 = Math.min(w0 + g.k[1]!, W + g.p[1]!);
        const padded = (h1 - h0) * (w1 - w0);
        h0 = Math.max(h0, 0); w0 = Math.max(w0, 0); h1 = Math.min(h1, H); w1 = Math.min(w1, W);
        div.push(inc ? padded : (h1 - h0) * (w1 - w0));
      }
    }
    out = sums.div(constLike(xb, div, [div.length]));
  }
  out = out.reshape(N, C, g.out[0]!, g.out[1]!);
  return unb ? out.squeeze(0) : out;
}

/** F.avgPool1d(x [N,C,L] or [C,L], kernelSize, opts). */
export function avgPool1d(x: Tensor, kernelSize: IntOrTuple, opts: Omit<AvgPoolOpts, 'divisorOverride'> = {}): Tensor {
  return composite('avgPool1d', avgAttrs(kernelSize, opts), () => {
    const op = 'avgPool1d';
    if (x.ndim !== 2 && x.ndim !== 3) throw new RangeError(`${op}: Expected 2D or 3D (batch mode) tensor for input, but got input of size ${fmtShape(x.shape)}`);
    const one = (v: IntOrTuple | null | undefined, name: string, lead: number) => (v === null || v === undefined ? v : [lead, tuple(v, 1, op, name)[0]!]);
    return avgPoolImpl(op, x.unsqueeze(-2), [1, tuple(kernelSize, 1, op, 'kernelSize')[0]!], {
      stride: one(opts.stride, 'stride', 1), padding: one(opts.padding, 'padding', 0) ?? 0, ceilMode: opts.ceilMode, countIncludePad: opts.countIncludePad,
    }).squeeze(-2);
  });
}

/** Adaptive windows along one dim: [floor(i*n/m), ceil((i+1)*n/m)). */
function adaptiveBounds(n: number, m: number): [number, number][] {
  return Array.from({ length: m }, (_, i) => [Math.floor((i * n) / m), Math.ceil(((i + 1) * n) / m)] as [number, number]);
}

/** Adaptive average pooling over the trailing outSize.length dims: a product of averaging matrices. */
export function adaptiveAvgPoolNd(x: Tensor, outSize: readonly number[]): Tensor {
  const sd = outSize.length;
  let y = x;
  for (let i = 0; i < sd; i++) {
    const d = x.ndim - sd + i, n = x.shape[d]!, m = outSize[i]!;
    const a = new Array<number>(m * n).fill(0);
    adaptiveBounds(n, m).forEach(([s, e], r) => { for (let c = s; c < e; c++) a[r * n + c] = 1 / (e - s); });
    // y moved so dim d is last: [..., n] x [n, m]
    y = y.movedim(d, -1).matmul(constLike(x, a, [m, n]).t()).movedim(-1, d);
  }
  return y;
}

function adaptiveSize(op: string, x: Tensor, outputSize: IntOrTuple | readonly (number | null)[], sd: number): number[] {
  if (x.ndim !== sd + 1 && x.ndim !== sd + 2) throw new RangeError(`${op}: Expected ${sd + 1}D or ${sd + 2}D tensor, but got input of size ${fmtShape(x.shape)}`);
  const raw = typeof outputSize === 'number' ? new Array<number | null>(sd).fill(outputSize) : [...outputSize];
  if (raw.length === 1 && sd > 1) while (raw.length < sd) raw.push(raw[0]!);
  if (raw.length !== sd) throw new RangeError(`${op}: output_size must be ${sd} ints, got [${raw.join(', ')}]`);
  return raw.map((v, i) => (v === null ? x.shape[x.ndim - sd + i]! : v));
}

/** F.adaptiveAvgPool2d(x, outputSize): outputSize entries may be null (keep that size). */
export function adaptiveAvgPool2d(x: Tensor, outputSize: IntOrTuple | readonly (number | null)[]): Tensor {
  return composite('adaptiveAvgPool2d', { outputSize }, () => adaptiveAvgPoolNd(x, adaptiveSize('adaptiveAvgPool2d', x, outputSize, 2)));
}
/** Applies a 1D adaptive average pooling over [N, C, L] or [C, L]: the output length is outputSize (torch.nn.functional.adaptive_avg_pool1d). */
export function adaptiveAvgPool1d(x: Tensor, outputSize: number | readonly number[]): Tensor {
  return composite('adaptiveAvgPool1d', { outputSize }, () => adaptiveAvgPoolNd(x, adaptiveSize('adaptiveAvgPool1d', x, outputSize, 1)));
}

/**
 * Adaptive max pooling, separable (a max over a rectangle is a max of row maxima). The last dim is
 * reduced first so ties resolve to the first maximum in row-major order, the element PyTorch picks.
 */
function adaptiveMaxPoolNd(x: Tensor, outSize: readonly number[]): Tensor {
  const sd = outSize.length;
  let y = x;
  for (let i = sd - 1; i >= 0; i--) {
    const d = x.ndim - sd + i;
    const parts = adaptiveBounds(x.shape[d]!, outSize[i]!).map(([s, e]) => y.narrow(d, s, e - s).max(d, true).values);
    y = cat(parts, d);
  }
  return y;
}
/**
 * Adaptive max pooling with PyTorch's indices: each output cell's maximum and its flat position in
 * the input's spatial plane (h * W + w for 2-D), the first maximum in row-major order of the window.
 * A max over each window, one per output cell (the separable path above has no positions).
 */
function adaptiveMaxPoolWithIndices(x: Tensor, outSize: readonly number[]): [Tensor, Tensor] {
  const sd = outSize.length, lead = x.shape.slice(0, x.ndim - sd), sp = x.shape.slice(x.ndim - sd);
  const bounds = outSize.map((m, i) => adaptiveBounds(sp[i]!, m));
  const pitch = sp.map((_, i) => sp.slice(i + 1).reduce((a, b) => a * b, 1)); // flat stride of each spatial dim
  const vals: Tensor[] = [], idxs: Tensor[] = [];
  const cell = new Array<number>(sd).fill(0);
  for (let n = 0; n < outSize.reduce((a, b) => a * b, 1); n++) {
    let w = x;
    const win = cell.map((c, i) => bounds[i]![c]!);
    win.forEach(([s, e], i) => { w = w.narrow(lead.length + i, s, e - s); });
    const { values, indices } = w.reshape([...lead, -1]).max(-1);
    // Local row-major position k in the window -> flat position in the plane.
    let k = indices, flat: Tensor | number = 0;
    for (let i = sd - 1; i >= 0; i--) {
      const [s, e] = win[i]!, len = e - s;
      flat = k.remainder(len).add(s).mul(pitch[i]!).add(flat);
      k = k.floorDivide(len);
    }
    vals.push(values); idxs.push(flat as Tensor);
    for (let i = sd - 1; i >= 0; i--) { if (++cell[i]! < outSize[i]!) break; cell[i] = 0; }
  }
  return [stack(vals, -1).reshape([...lead, ...outSize]), stack(idxs, -1).reshape([...lead, ...outSize])];
}

/** Options of F.adaptiveMaxPool1d/2d/3d: returnIndices also returns each maximum's flat position in the input plane. */
export type AdaptiveMaxPoolIndices = boolean | { returnIndices?: boolean };
function adaptiveMax(op: string, x: Tensor, outputSize: IntOrTuple | readonly (number | null)[], sd: number, ri: AdaptiveMaxPoolIndices): Tensor | [Tensor, Tensor] {
  const withIndices = typeof ri === 'boolean' ? ri : ri.returnIndices ?? false;
  return composite(op, { outputSize, returnIndices: withIndices }, () => {
    const size = adaptiveSize(op, x, outputSize, sd);
    return withIndices ? adaptiveMaxPoolWithIndices(x, size) : adaptiveMaxPoolNd(x, size);
  });
}
/**
 * Applies a 2D adaptive max pooling over [N, C, H, W] or [C, H, W] to outputSize (null entries keep
 * that size) (torch.nn.functional.adaptive_max_pool2d); with returnIndices, [output, indices into H*W].
 */
export function adaptiveMaxPool2d(x: Tensor, outputSize: IntOrTuple | readonly (number | null)[], returnIndices?: false | { returnIndices?: false }): Tensor;
export function adaptiveMaxPool2d(x: Tensor, outputSize: IntOrTuple | readonly (number | null)[], returnIndices: true | { returnIndices: true }): [Tensor, Tensor];
export function adaptiveMaxPool2d(x: Tensor, outputSize: IntOrTuple | readonly (number | null)[], returnIndices: AdaptiveMaxPoolIndices = false): Tensor | [Tensor, Tensor] {
  return adaptiveMax('adaptiveMaxPool2d', x, outputSize, 2, returnIndices);
}
/** Applies a 1D adaptive max pooling over [N, C, L] or [C, L]: the output length is outputSize (torch.nn.functional.adaptive_max_pool1d); with returnIndices, [output, indices]. */
export function adaptiveMaxPool1d(x: Tensor, outputSize: number | readonly number[], returnIndices?: false | { returnIndices?: false }): Tensor;
export function adaptiveMaxPool1d(x: Tensor, outputSize: number | readonly number[], returnIndices: true | { returnIndices: true }): [Tensor, Tensor];
export function adaptiveMaxPool1d(x: Tensor, outputSize: number | readonly number[], returnIndices: AdaptiveMaxPoolIndices = false): Tensor | [Tensor, Tensor] {
  return adaptiveMax('adaptiveMaxPool1d', x, outputSize, 1, returnIndices);
}

/** Depth geometry of a 3-D pool: [k, s, p, d, out, extra] along dim 2 (same rules as 2-D). */
function depthGeometry(op: string, D: number, k: number, s: number, p: number, d: number, ceil: boolean): { out: number; extra: number } {
  if (p < 0 || p > k / 2) throw new RangeError(`${op}: pad should be at most half of effective kernel size, but got pad=${p}, kernel_size=${k}`);
  const out = poolOutSize(D, k, s, p, d, ceil);
  if (out <= 0) throw new RangeError(`${op}: output size is too small (depth ${D}, kernel ${k}, padding ${p})`);
  return { out, extra: Math.max(0, (out - 1) * s + d * (k - 1) + 1 - (D + 2 * p)) };
}

/** [N, C, D, H, W] -> the depth windows' slices [N, C, OD, H, W], one per depth tap. */
function depthTaps(x: Tensor, k: number, s: number, p: number, d: number, out: number, extra: number, padValue: number): Tensor[] {
  let xp = x;
  const block = (n: number) => full(x.shape.map((v, j) => (j === 2 ? n : v)), padValue, { dtype: x.dtype, device: x.device });
  if (p > 0 || extra > 0) xp = cat([...(p > 0 ? [block(p)] : []), x, ...(p + extra > 0 ? [block(p + extra)] : [])], 2);
  return Array.from({ length: k }, (_, z) => xp.slice(2, z * d, z * d + (out - 1) * s + 1, s));
}

/** Max pooling's depth padding: below every value of x's dtype (-inf would become 0 in an integer tensor). */
const lowest = (x: Tensor): number => (x.dtype === 'int32' ? -2147483648 : x.dtype === 'uint8' || x.dtype === 'bool' ? 0 : -Infinity);

function batch5(op: string, x: Tensor): [Tensor, boolean] {
  if (x.ndim === 4) return [x.unsqueeze(0), true];
  if (x.ndim !== 5) throw new RangeError(`${op}: Expected 4D or 5D (batch mode) tensor for input, but got input of size ${fmtShape(x.shape)}`);
  return [x, false];
}

/**
 * F.maxPool3d(x [N,C,D,H,W] or [C,D,H,W], kernelSize, { stride, padding, dilation, ceilMode, returnIndices }):
 * a max of 2-D pools over the depth taps; with returnIndices: [output, indices into D*H*W].
 */
export function maxPool3d(x: Tensor, kernelSize: IntOrTuple, opts?: MaxPoolOpts & { returnIndices?: false }): Tensor;
export function maxPool3d(x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOpts & { returnIndices: true }): [Tensor, Tensor];
export function maxPool3d(x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOpts = {}): Tensor | [Tensor, Tensor] {
  return composite('maxPool3d', maxAttrs(kernelSize, opts), () => {
    const op = 'maxPool3d';
    const [xb, unb] = batch5(op, x);
    const k = tuple(kernelSize, 3, op, 'kernelSize');
    const s = opts.stride === null || opts.stride === undefined ? k : tuple(opts.stride, 3, op, 'stride');
    const p = tuple(opts.padding ?? 0, 3, op, 'padding'), d = tuple(opts.dilation ?? 1, 3, op, 'dilation');
    const ceil = opts.ceilMode ?? false;
    const [N, C, D, H, W] = xb.shape as [number, number, number, number, number];
    const g = depthGeometry(op, D, k[0]!, s[0]!, p[0]!, d[0]!, ceil);
    const o2 = { stride: [s[1]!, s[2]!], padding: [p[1]!, p[2]!], dilation: [d[1]!, d[2]!], ceilMode: ceil };
    const taps = depthTaps(xb, k[0]!, s[0]!, p[0]!, d[0]!, g.out, g.extra, lowest(xb)).map((t) => t.reshape(N, C * g.out, H, W));
    if (!opts.returnIndices) {
      const pooled = taps.map((t) => maxPool2d(t, [k[1]!, k[2]!], o2));
      const OH = pooled[0]!.shape[2]!, OW = pooled[0]!.shape[3]!;
      const out = stack(pooled, 0).max(0).values.reshape(N, C, g.out, OH, OW);
      return unb ? out.squeeze(0) : out;
    }
    const pooled = taps.map((t) => maxPool2d(t, [k[1]!, k[2]!], { ...o2, returnIndices: true }));
    const OH = pooled[0]![0].shape[2]!, OW = pooled[0]![0].shape[3]!;
    // max over the taps keeps the first (shallowest) of equal maxima, PyTorch's scan order; the winning
    // tap t of output depth od sits at input depth od*s - p + t*d, so its flat index adds that times H*W.
    const r = stack(pooled.map((q) => q[0]), 0).max(0);
    const plane = stack(pooled.map((q) => q[1]), 0).gather(0, r.indices.unsqueeze(0)).squeeze(0).reshape(N, C, g.out, OH, OW);
    const depth = r.indices.reshape(N, C, g.out, OH, OW).mul(d[0]! * H * W)
      .add(indexLike(xb, Array.from({ length: g.out }, (_, od) => (od * s[0]! - p[0]!) * H * W)).reshape(g.out, 1, 1));
    const out = r.values.reshape(N, C, g.out, OH, OW), idx = plane.add(depth);
    return unb ? [out.squeeze(0), idx.squeeze(0)] : [out, idx];
  });
}

/** F.avgPool3d(x, kernelSize, { stride, padding, ceilMode, countIncludePad, divisorOverride }). */
export function avgPool3d(x: Tensor, kernelSize: IntOrTuple, opts: AvgPoolOpts = {}): Tensor {
  return composite('avgPool3d', avgAttrs(kernelSize, opts), () => {
    const op = 'avgPool3d';
    const [xb, unb] = batch5(op, x);
    const k = tuple(kernelSize, 3, op, 'kernelSize');
    const s = opts.stride === null || opts.stride === undefined ? k : tuple(opts.stride, 3, op, 'stride');
    const p = tuple(opts.padding ?? 0, 3, op, 'padding');
    const ceil = opts.ceilMode ?? false;
    const [N, C, D, H, W] = xb.shape as [number, number, number, number, number];
    const g = depthGeometry(op, D, k[0]!, s[0]!, p[0]!, 1, ceil);
    // Window sums: 2-D sums (divisor 1) of each depth tap, added over the taps.
    let sums: Tensor | null = null;
    for (const t of depthTaps(xb, k[0]!, s[0]!, p[0]!, 1, g.out, g.extra, 0)) {
      const ps = avgPool2d(t.reshape(N, C * g.out, H, W), [k[1]!, k[2]!], { stride: [s[1]!, s[2]!], padding: [p[1]!, p[2]!], ceilMode: ceil, divisorOverride: 1 });
      sums = sums ? sums.add(ps) : ps;
    }
    const OH = sums!.shape[2]!, OW = sums!.shape[3]!;
    let out = sums!.reshape(N, C, g.out, OH, OW);
    if (opts.divisorOverride) out = out.div(opts.divisorOverride);
    else {
      const inc = opts.countIncludePad ?? true;
      const sizes = [D, H, W], outs = [g.out, OH, OW];
      // Per-dim window extents (clipped to the padded input, and to the input itself).
      const ext = [0, 1, 2].map((i) => Array.from({ length: outs[i]! }, (_, o) => {
        const a = o * s[i]! - p[i]!, b = Math.min(a + k[i]!, sizes[i]! + p[i]!);
        return [b - a, Math.min(b, sizes[i]!) - Math.max(a, 0)] as [number, number];
      }));
      const div: number[] = [];
      for (const [pd, cd] of ext[0]!) for (const [ph, chh] of ext[1]!) for (const [pw, cw] of ext[2]!) div.push(inc ? pd * ph * pw : cd * chh * cw);
      out = out.div(constLike(xb, div, [g.out, OH, OW]));
    }
    return unb ? out.squeeze(0) : out;
  });
}

/** Applies a 3D adaptive average pooling over [N, C, D, H, W] or [C, D, H, W] to outputSize (null entries keep that size) (torch.nn.functional.adaptive_avg_pool3d). */
export function adaptiveAvgPool3d(x: Tensor, outputSize: IntOrTuple | readonly (number | null)[]): Tensor {
  return composite('adaptiveAvgPool3d', { outputSize }, () => adaptiveAvgPoolNd(x, adaptiveSize('adaptiveAvgPool3d', x, outputSize, 3)));
}
/** Applies a 3D adaptive max pooling over [N, C, D, H, W] or [C, D, H, W] to outputSize (null entries keep that size) (torch.nn.functional.adaptive_max_pool3d). */
export function adaptiveMaxPool3d(x: Tensor, outputSize: IntOrTuple | readonly (number | null)[], returnIndices?: false | { returnIndices?: false }): Tensor;
export function adaptiveMaxPool3d(x: Tensor, outputSize: IntOrTuple | readonly (number | null)[], returnIndices: true | { returnIndices: true }): [Tensor, Tensor];
export function adaptiveMaxPool3d(x: Tensor, outputSize: IntOrTuple | readonly (number | null)[], returnIndices: AdaptiveMaxPoolIndices = false): Tensor | [Tensor, Tensor] {
  return adaptiveMax('adaptiveMaxPool3d', x, outputSize, 3, returnIndices);
}

/**
 * F.maxUnpool2d(x [N,C,H,W], indices (flat into each output plane), kernelSize, { stride, padding, outputSize }):
 * scatters x into a zero plane at the positions maxPool2d's returnIndices reported.
 */
export function maxUnpool2d(x: Tensor, indices: Tensor, kernelSize: IntOrTuple,
  opts: { stride?: IntOrTuple | null; padding?: IntOrTuple; outputSize?: readonly number[] | null } = {}): Tensor {
  return composite('maxUnpool2d', { kernelSize, stride: opts.stride ?? kernelSize, padding: opts.padding ?? 0, outputSize: opts.outputSize ?? null }, () => maxUnpoolImpl('maxUnpool2d', x, indices, tuple(kernelSize, 2, 'maxUnpool2d', 'kernelSize'), opts, 2));
}
/** F.maxUnpool1d(x [N,C,L], indices, kernelSize, opts). */
export function maxUnpool1d(x: Tensor, indices: Tensor, kernelSize: IntOrTuple,
  opts: { stride?: IntOrTuple | null; padding?: IntOrTuple; outputSize?: readonly number[] | null } = {}): Tensor {
  return composite('maxUnpool1d', { kernelSize, stride: opts.stride ?? kernelSize, padding: opts.padding ?? 0, outputSize: opts.outputSize ?? null }, () => maxUnpoolImpl('maxUnpool1d', x, indices, tuple(kernelSize, 1, 'maxUnpool1d', 'kernelSize'), opts, 1));
}

function maxUnpoolImpl(op: string, x: Tensor, indices: Tensor, k: number[],
  opts: { stride?: IntOrTuple | null; padding?: IntOrTuple; outputSize?: readonly number[] | null }, sd: number): Tensor {
  if (indices.dtype !== 'int32' || indices.ndim !== x.ndim || indices.shape.some((s, i) => s !== x.shape[i])) {
    throw new RangeError(`${op}: Expected shape of indices to be same as that of the input tensor (${fmtShape(x.shape)}), got ${fmtShape(indices.shape)} (${indices.dtype})`);
  }
  const s = opts.stride === null || opts.stride === undefined ? k : tuple(opts.stride, sd, op, 'stride');
  const p = tuple(opts.padding ?? 0, sd, op, 'padding');
  const inSp = x.shape.slice(-sd);
  let outSp = inSp.map((n, i) => (n - 1) * s[i]! - 2 * p[i]! + k[i]!);
  if (opts.outputSize) {
    const o = opts.outputSize.slice(-sd);
    if (o.length !== sd) throw new RangeError(`${op}: output_size must have ${sd} or ${sd + 2} elements, got [${opts.outputSize.join(', ')}]`);
    outSp = [...o];
  }
  const lead = x.shape.slice(0, -sd);
  const plane = outSp.reduce((a, b) => a * b, 1);
  const flatX = x.reshape([...lead, -1]), flatI = indices.reshape([...lead, -1]);
  const out = zeros([...lead, plane], { dtype: x.dtype, device: x.device }).scatter(lead.length, flatI, flatX);
  return out.reshape([...lead, ...outSp]);
}

/** F.lpPool2d(x, normType, kernelSize, { stride, ceilMode }): (sum over the window of x^p)^(1/p). */
export function lpPool2d(x: Tensor, normType: number, kernelSize: IntOrTuple, opts: { stride?: IntOrTuple | null; ceilMode?: boolean } = {}): Tensor {
  return composite('lpPool2d', { normType, kernelSize, stride: opts.stride ?? kernelSize, ceilMode: opts.ceilMode ?? false }, () => {
    const k = tuple(kernelSize, 2, 'lpPool2d', 'kernelSize');
    // PyTorch scales the average by kh*kw (not the true sum for clipped ceil-mode windows): kept for parity.
    const avg = avgPool2d(x.pow(normType), k, { stride: opts.stride, ceilMode: opts.ceilMode });
    return avg.sign().mul(avg.abs().relu()).mul(k[0]! * k[1]!).pow(1 / normType);
  });
}
/** F.lpPool1d(x [N,C,L], normType, kernelSize, { stride, ceilMode }). */
export function lpPool1d(x: Tensor, normType: number, kernelSize: number, opts: { stride?: number | null; ceilMode?: boolean } = {}): Tensor {
  return composite('lpPool1d', { normType, kernelSize, stride: opts.stride ?? kernelSize, ceilMode: opts.ceilMode ?? false }, () => {
    const avg = avgPool1d(x.pow(normType), kernelSize, { stride: opts.stride, ceilMode: opts.ceilMode });
    return avg.sign().mul(avg.abs().relu()).mul(kernelSize).pow(1 / normType);
  });
}
