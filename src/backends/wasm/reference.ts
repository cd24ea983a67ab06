// Reference kernels of the CPU backend: plain TypeScript loops over typed arrays that alias the
// wasm memory. They handle every dtype and any strides (0 = broadcast, negative = flip) and are
// the correctness baseline for the SIMD kernels. Arguments are (array, element base, strides...).

import type { BinaryOp, ConvGeometry, ReduceOp, ScanOp, UnaryOp } from '../backend.js';
import { indexOutOfBounds } from '../backend.js';
import type { DType, TypedArray } from '../../dtype.js';
import { f32ToF16Bits } from '../../dtype.js';
import { philoxFill } from '../philox.js';
import { convOutSize } from '../../shape.js';
import { binaryFns, intBinaryFns, unaryFns } from './math.js';

type Arr = TypedArray;
type Dims = readonly number[];

export const toF16 = f32ToF16Bits;
export const toBool = (v: number): number => (v ? 1 : 0);

/** Element offsets of every index of (shape, strides) in row-major order, relative to base. */
export function offsets(shape: Dims, strides: Dims, base = 0): Int32Array | Float64Array {
  let n = 1;
  for (const s of shape) n *= s;
  const out = new Float64Array(n);
  if (n === 0) return out;
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  let off = base;
  for (let i = 0; i < n; i++) {
    out[i] = off;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]!++;
      off += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      off -= strides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * Walks `shape` in row-major order calling body(i, offA, offB, offC) with the element offsets of up
 * to three strided operands. Inner dim unrolled into a tight loop; outer dims by an odometer.
 */
function walk3(shape: Dims, sa: Dims, a0: number, sb: Dims, b0: number, sc: Dims, c0: number,
  body: (i: number, ia: number, ib: number, ic: number) => void): void {
  const nd = shape.length;
  let n = 1;
  for (const s of shape) n *= s;
  if (n === 0) return;
  if (nd === 0) { body(0, a0, b0, c0); return; }
  const inner = shape[nd - 1]!, ia1 = sa[nd - 1] ?? 0, ib1 = sb[nd - 1] ?? 0, ic1 = sc[nd - 1] ?? 0;
  const idx = new Array<number>(nd).fill(0);
  let pa = a0, pb = b0, pc = c0;
  for (let o = 0; o < n; o += inner) {
    let ia = pa, ib = pb, ic = pc;
    for (let j = 0; j < inner; j++) { body(o + j, ia, ib, ic); ia += ia1; ib += ib1; ic += ic1; }
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      pa += sa[d] ?? 0; pb += sb[d] ?? 0; pc += sc[d] ?? 0;
      if (idx[d]! < shape[d]!) break;
      pa -= (sa[d] ?? 0) * shape[d]!; pb -= (sb[d] ?? 0) * shape[d]!; pc -= (sc[d] ?? 0) * shape[d]!;
      idx[d] = 0;
    }
  }
}
const NONE: Dims = [];

export function gatherStrided(a: Arr, base: number, shape: Dims, strides: Dims, out: Arr): void {
  walk3(shape, strides, base, NONE, 0, NONE, 0, (i, ia) => { out[i] = a[ia]!; });
}

export function fillStrided(a: Arr, base: number, shape: Dims, strides: Dims, v: number): void {
  walk3(shape, strides, base, NONE, 0, NONE, 0, (_i, ia) => { a[ia] = v; });
}

export function copyStrided(src: Arr, sBase: number, sStrides: Dims, dst: Arr, dBase: number, dStrides: Dims, shape: Dims,
  conv: ((v: number) => number) | null): void {
  if (conv) walk3(shape, sStrides, sBase, dStrides, dBase, NONE, 0, (_i, is, id) => { dst[id] = conv(src[is]!); });
  else if (src instanceof Int32Array && dst instanceof Uint8Array) {
    walk3(shape, sStrides, sBase, dStrides, dBase, NONE, 0, (_i, is, id) => { dst[id] = src[is]! & 255; });
  } else walk3(shape, sStrides, sBase, dStrides, dBase, NONE, 0, (_i, is, id) => { dst[id] = src[is]!; });
}

export function unary(op: UnaryOp, x: Arr, xBase: number, xStrides: Dims, out: Arr, oBase: number, shape: Dims): void {
  const f = unaryFns[op];
  if (op === 'bitwiseNot' && out instanceof Uint8Array && x instanceof Uint8Array) {
    // bool ~ is logical not; uint8 ~ wraps in 8 bits (the store masks it).
    walk3(shape, xStrides, xBase, NONE, 0, NONE, 0, (i, ia) => { out[oBase + i] = ~x[ia]!; });
    return;
  }
  walk3(shape, xStrides, xBase, NONE, 0, NONE, 0, (i, ia) => { out[oBase + i] = f(x[ia]!); });
}

export function binary(op: BinaryOp, dtype: DType, a: Arr, aBase: number, aStrides: Dims, b: Arr, bBase: number, bStrides: Dims,
  out: Arr, oBase: number, shape: Dims): void {
  const f = (dtype === 'int32' || dtype === 'uint8' ? intBinaryFns[op] : undefined) ?? binaryFns[op];
  walk3(shape, aStrides, aBase, bStrides, bBase, NONE, 0, (i, ia, ib) => { out[oBase + i] = f(a[ia]!, b[ib]!); });
}

export function where(c: Arr, cBase: number, cStrides: Dims, a: Arr, aBase: number, aStrides: Dims, b: Arr, bBase: number, bStrides: Dims,
  out: Arr, oBase: number, shape: Dims): void {
  walk3(shape, cStrides, cBase, aStrides, aBase, bStrides, bBase, (i, ic, ia, ib) => { out[oBase + i] = c[ic] ? a[ia]! : b[ib]!; });
}

export function reduce(op: ReduceOp, x: Arr, xBase: number, shape: Dims, strides: Dims, nReduce: number, out: Arr, oBase: number): void {
  const k = shape.length - nReduce;
  const outer = offsets(shape.slice(0, k), strides.slice(0, k), xBase);
  const inner = offsets(shape.slice(k), strides.slice(k), 0);
  const R = inner.length;
  for (let o = 0; o < outer.length; o++) {
    const b = outer[o]!;
    let acc: number;
    switch (op) {
      case 'sum': acc = 0; for (let r = 0; r < R; r++) acc += x[b + inner[r]!]!; break;
      case 'prod': acc = 1; for (let r = 0; r < R; r++) acc *= x[b + inner[r]!]!; break;
      case 'max': case 'min': {
        if (R === 0) throw new RangeError(`${op}(): Expected reduction dim to have non-zero size.`);
        acc = x[b + inner[0]!]!;
        for (let r = 1; r < R && acc === acc; r++) {
          const v = x[b + inner[r]!]!;
          if (v !== v || (op === 'max' ? v > acc : v < acc)) acc = v;
        }
        break;
      }
      case 'argmax': case 'argmin': {
        if (R === 0) throw new RangeError(`${op}(): Expected reduction dim to have non-zero size.`);
        let best = x[b + inner[0]!]!, bi = 0;
        for (let r = 1; r < R && best === best; r++) {
          const v = x[b + inner[r]!]!;
          if (v !== v || (op === 'argmax' ? v > best : v < best)) { best = v; bi = r; }
        }
        acc = bi;
        break;
      }
      case 'all': acc = 1; for (let r = 0; r < R; r++) if (!x[b + inner[r]!]) { acc = 0; break; } break;
      case 'any': acc = 0; for (let r = 0; r < R; r++) if (x[b + inner[r]!]) { acc = 1; break; } break;
    }
    out[oBase + o] = acc;
  }
}

export function scan(op: ScanOp, x: Arr, xBase: number, shape: Dims, strides: Dims, out: Arr, oBase: number): void {
  const nd = shape.length;
  const L = nd ? shape[nd - 1]! : 1, s = nd ? strides[nd - 1]! : 0;
  const rows = offsets(shape.slice(0, -1), strides.slice(0, -1), xBase);
  for (let r = 0; r < rows.length; r++) {
    let acc = op === 'cumsum' ? 0 : 1;
    for (let j = 0; j < L; j++) {
      const v = x[rows[r]! + j * s]!;
      acc = op === 'cumsum' ? acc + v : acc * v;
      out[oBase + r * L + j] = acc;
    }
  }
}

export function matmul(a: Arr, aBase: number, aShape: Dims, aSt: Dims, b: Arr, bBase: number, bShape: Dims, bSt: Dims,
  out: Arr, oBase: number): void {
  const [B, M, K] = aShape as [number, number, number];
  const N = bShape[2]!;
  const acc = new Float64Array(N);
  for (let bi = 0; bi < B; bi++) {
    const a0 = aBase + bi * aSt[0]!, b0 = bBase + bi * bSt[0]!, o0 = oBase + bi * M * N;
    for (let i = 0; i < M; i++) {
      acc.fill(0);
      for (let k = 0; k < K; k++) {
        const av = a[a0 + i * aSt[1]! + k * aSt[2]!]!;
        if (av === 0) continue;
        const brow = b0 + k * bSt[1]!, bs = bSt[2]!;
        for (let j = 0; j < N; j++) acc[j] += av * b[brow + j * bs]!;
      }
      for (let j = 0; j < N; j++) out[o0 + i * N + j] = acc[j]!;
    }
  }
}

export function im2col(x: Arr, xBase: number, xShape: Dims, xSt: Dims, out: Arr, oBase: number, oShape: Dims, g: ConvGeometry): void {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [kh, kw] = g.kernel, [sh, sw] = g.stride, [ph, pw] = g.padding, [dh, dw] = g.dilation;
  const OH = convOutSize(H, kh, sh, ph, dh), OW = convOutSize(W, kw, sw, pw, dw), L = OH * OW;
  if (oShape[2] !== L) throw new Error('im2col: output shape mismatch');
  let o = oBase;
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let ki = 0; ki < kh; ki++) for (let kj = 0; kj < kw; kj++) {
    const base = xBase + n * xSt[0]! + c * xSt[1]!;
    for (let oy = 0; oy < OH; oy++) {
      const y = oy * sh - ph + ki * dh;
      for (let ox = 0; ox < OW; ox++) {
        const xx = ox * sw - pw + kj * dw;
        out[o++] = y >= 0 && y < H && xx >= 0 && xx < W ? x[base + y * xSt[2]! + xx * xSt[3]!]! : g.padValue;
      }
    }
  }
}

/** Max pooling (wasm/conv.ts maxPool2d's rule): out and idx [N, C, OH, OW] contiguous, idx the flat y*W + x of each maximum. */
export function maxPool2d(x: Arr, xBase: number, xShape: Dims, xSt: Dims, out: Arr, oBase: number, idx: Int32Array, iBase: number, oShape: Dims, g: ConvGeometry): void {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [kh, kw] = g.kernel, [sh, sw] = g.stride, [ph, pw] = g.padding, [dh, dw] = g.dilation;
  const OH = oShape[2]!, OW = oShape[3]!;
  let o = 0;
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) {
    const base = xBase + n * xSt[0]! + c * xSt[1]!;
    for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++, o++) {
      let m = 0, mi = -1;
      for (let ki = 0; ki < kh; ki++) {
        const y = oy * sh - ph + ki * dh;
        if (y < 0 || y >= H) continue;
        for (let kj = 0; kj < kw; kj++) {
          const xx = ox * sw - pw + kj * dw;
          if (xx < 0 || xx >= W) continue;
          const v = x[base + y * xSt[2]! + xx * xSt[3]!]!;
          if (mi < 0 || v > m || v !== v) { m = v; mi = y * W + xx; }
        }
      }
      out[oBase + o] = m;
      idx[iBase + o] = mi;
    }
  }
}

/** Max pooling's gradient (wasm/conv.ts maxPool2dBackward's rule): out [N,C,H,W] contiguous, g added at idx in increasing output order. */
export function maxPool2dBackward(g: Arr, gBase: number, gShape: Dims, gSt: Dims, idx: Int32Array, iBase: number, iSt: Dims,
  out: Arr, oBase: number, oShape: Dims): void {
  const [N, C, OH, OW] = gShape as [number, number, number, number];
  const HW = oShape[2]! * oShape[3]!;
  out.fill(0, oBase, oBase + N * C * HW);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) {
    const plane = oBase + (n * C + c) * HW;
    for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
      const k = idx[iBase + n * iSt[0]! + c * iSt[1]! + oy * iSt[2]! + ox * iSt[3]!]!;
      if (k >= 0 && k < HW) out[plane + k] = out[plane + k]! + g[gBase + n * gSt[0]! + c * gSt[1]! + oy * gSt[2]! + ox * gSt[3]!]!;
    }
  }
}

/**
 * Winograd F(2x2,3x3) convolution (wasm/winograd.ts's rule): out [N,K,OH,OW] contiguous from x
 * [N,C,H,W] and u = G w G^T [16,K,C] contiguous; the transforms add in the kernel's order, the
 * channel sums in float32 in increasing c (the SIMD GEMM's order; its relaxed build fuses them).
 */
export function winogradConv(x: Arr, xBase: number, xShape: Dims, xSt: Dims, u: Arr, uBase: number, padding: readonly [number, number],
  out: Arr, oBase: number, oShape: Dims): void {
  const [N, C] = xShape as [number, number];
  const [, K, OH, OW] = oShape as [number, number, number, number];
  const TH = Math.ceil(OH / 2), TW = Math.ceil(OW / 2), NT = N * TH * TW;
  const v = new Float32Array(16 * C * NT), m = new Float32Array(16 * K * NT);
  winogradInput(x, xBase, xShape, xSt, padding, v, 0, [16, C, N, TH, TW]);
  for (let e = 0; e < 16; e++) for (let k = 0; k < K; k++) for (let t = 0; t < NT; t++) {
    let acc = 0;
    for (let c = 0; c < C; c++) acc = Math.fround(acc + Math.fround(u[uBase + (e * K + k) * C + c]! * v[(e * C + c) * NT + t]!));
    m[(e * K + k) * NT + t] = acc;
  }
  winogradOutput(m, 0, [16, K, N, TH, TW], out, oBase, oShape);
}

/**
 * Winograd F(2x2,3x3) weight gradient (wasm/winograd.ts's winogradWgrad rule, over all N images at
 * once): m [16, K, C] = sum over tiles t of (A g A^T)[e][k, t] (B^T d B)[e][c, t], in float32 in
 * increasing t (the SIMD GEMM's order; its relaxed build fuses the multiply-adds, and cuts the tiles
 * into calls of a few images whose partial sums the backend adds in float64).
 */
export function winogradWgrad(x: Arr, xBase: number, xShape: Dims, xSt: Dims, g: Arr, gBase: number, gShape: Dims, gSt: Dims,
  padding: readonly [number, number], m: Arr, mBase: number): void {
  const [N, C] = xShape as [number, number];
  const [, K, OH, OW] = gShape as [number, number, number, number];
  const TH = Math.ceil(OH / 2), TW = Math.ceil(OW / 2), NT = N * TH * TW;
  const v = new Float32Array(16 * C * NT), gt = new Float32Array(16 * K * NT), f = Math.fround;
  winogradInput(x, xBase, xShape, xSt, padding, v, 0, [16, C, N, TH, TW]);
  const at = (n: number, k: number, y: number, xx: number) => (y < OH && xx < OW ? g[gBase + n * gSt[0]! + k * gSt[1]! + y * gSt[2]! + xx * gSt[3]!]! : 0);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) for (let ty = 0; ty < TH; ty++) for (let tx = 0; tx < TW; tx++) {
    const t = (k * N + n) * TH * TW + ty * TW + tx, E = K * NT;
    // A g (rows g0, g0 + g1, g0 - g1, -g1), then the same along each row.
    const g0 = [at(n, k, 2 * ty, 2 * tx), at(n, k, 2 * ty, 2 * tx + 1)], g1 = [at(n, k, 2 * ty + 1, 2 * tx), at(n, k, 2 * ty + 1, 2 * tx + 1)];
    const rows = [g0, [f(g0[0]! + g1[0]!), f(g0[1]! + g1[1]!)], [f(g0[0]! - g1[0]!), f(g0[1]! - g1[1]!)], [-g1[0]!, -g1[1]!]];
    rows.forEach(([a, b], i) => {
      gt[t + 4 * i * E] = a!; gt[t + (4 * i + 1) * E] = f(a! + b!); gt[t + (4 * i + 2) * E] = f(a! - b!); gt[t + (4 * i + 3) * E] = -b!;
    });
  }
  for (let e = 0; e < 16; e++) for (let k = 0; k < K; k++) for (let c = 0; c < C; c++) {
    let acc = 0;
    for (let t = 0; t < NT; t++) acc = f(acc + f(gt[(e * K + k) * NT + t]! * v[(e * C + c) * NT + t]!));
    m[mBase + (e * K + k) * C + c] = acc;
  }
}

/** Winograd F(2x2,3x3) input transform: out [16, C, N, TH, TW] contiguous. */
function winogradInput(x: Arr, xBase: number, xShape: Dims, xSt: Dims, padding: readonly [number, number], out: Arr, oBase: number, oShape: Dims): void {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const TH = oShape[3]!, TW = oShape[4]!, T = TH * TW, E = C * N * T;
  const [ph, pw] = padding;
  const d = new Float32Array(16), u = new Float32Array(16);
  const f = Math.fround;
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let ty = 0; ty < TH; ty++) for (let tx = 0; tx < TW; tx++) {
    for (let r = 0; r < 4; r++) for (let j = 0; j < 4; j++) {
      const y = 2 * ty - ph + r, xx = 2 * tx - pw + j;
      d[4 * r + j] = y >= 0 && y < H && xx >= 0 && xx < W ? x[xBase + n * xSt[0]! + c * xSt[1]! + y * xSt[2]! + xx * xSt[3]!]! : 0;
    }
    // B^T d (rows d0 - d2, d1 + d2, d2 - d1, d1 - d3), then the same along each row.
    for (let j = 0; j < 4; j++) {
      u[j] = f(d[j]! - d[8 + j]!); u[4 + j] = f(d[4 + j]! + d[8 + j]!); u[8 + j] = f(d[8 + j]! - d[4 + j]!); u[12 + j] = f(d[4 + j]! - d[12 + j]!);
    }
    const o = oBase + c * N * T + n * T + ty * TW + tx;
    for (let i = 0; i < 4; i++) {
      const r = 4 * i;
      out[o + (r) * E] = f(u[r]! - u[r + 2]!); out[o + (r + 1) * E] = f(u[r + 1]! + u[r + 2]!);
      out[o + (r + 2) * E] = f(u[r + 2]! - u[r + 1]!); out[o + (r + 3) * E] = f(u[r + 1]! - u[r + 3]!);
    }
  }
}

/** Winograd F(2x2,3x3) output transform: m [16, K, N, TH, TW] -> out [N, K, OH, OW], both contiguous. */
function winogradOutput(m: Arr, mBase: number, mShape: Dims, out: Arr, oBase: number, oShape: Dims): void {
  const [, K, N, TH, TW] = mShape as [number, number, number, number, number];
  const OH = oShape[2]!, OW = oShape[3]!, T = TH * TW, E = K * N * T;
  const f = Math.fround;
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) for (let ty = 0; ty < TH; ty++) for (let tx = 0; tx < TW; tx++) {
    const p = mBase + k * N * T + n * T + ty * TW + tx;
    const at = (e: number) => m[p + e * E]!;
    // A^T M (rows m0 + m1 + m2, m1 - m2 - m3), then the same along each row.
    const w0 = [0, 1, 2, 3].map((j) => f(f(at(j) + at(4 + j)) + at(8 + j)));
    const w1 = [0, 1, 2, 3].map((j) => f(f(at(4 + j) - at(8 + j)) - at(12 + j)));
    const ys = [[f(f(w0[0]! + w0[1]!) + w0[2]!), f(f(w0[1]! - w0[2]!) - w0[3]!)], [f(f(w1[0]! + w1[1]!) + w1[2]!), f(f(w1[1]! - w1[2]!) - w1[3]!)]];
    for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) {
      const oy = 2 * ty + a, ox = 2 * tx + b;
      if (oy < OH && ox < OW) out[oBase + ((n * K + k) * OH + oy) * OW + ox] = ys[a]![b]!;
    }
  }
}

export function col2im(cols: Arr, cBase: number, cShape: Dims, cSt: Dims, out: Arr, oBase: number, oShape: Dims, g: ConvGeometry): void {
  const [N, C, H, W] = oShape as [number, number, number, number];
  const [kh, kw] = g.kernel, [sh, sw] = g.stride, [ph, pw] = g.padding, [dh, dw] = g.dilation;
  const OH = convOutSize(H, kh, sh, ph, dh), OW = convOutSize(W, kw, sw, pw, dw);
  if (cShape[2] !== OH * OW) throw new Error('col2im: input shape mismatch');
  out.fill(0, oBase, oBase + N * C * H * W);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let ki = 0; ki < kh; ki++) for (let kj = 0; kj < kw; kj++) {
    const row = (c * kh + ki) * kw + kj;
    const cb = cBase + n * cSt[0]! + row * cSt[1]!;
    const ob = oBase + (n * C + c) * H * W;
    for (let oy = 0; oy < OH; oy++) {
      const y = oy * sh - ph + ki * dh;
      if (y < 0 || y >= H) continue;
      for (let ox = 0; ox < OW; ox++) {
        const xx = ox * sw - pw + kj * dw;
        if (xx >= 0 && xx < W) out[ob + y * W + xx] += cols[cb + (oy * OW + ox) * cSt[2]!]!;
      }
    }
  }
}

function checkIndex(op: string, v: number, size: number, dim: number): number {
  if (v < -size || v >= size) throw new RangeError(indexOutOfBounds(op, dim, size, v));
  return v < 0 ? v + size : v;
}

export function gather(x: Arr, xBase: number, xShape: Dims, xSt: Dims, dim: number, idx: Int32Array, iBase: number, iSt: Dims,
  out: Arr, oBase: number, oShape: Dims): void {
  // Offsets of x at index positions with dim's coordinate zeroed, then the gathered coordinate added.
  const xs = xSt.map((s, d) => (d === dim ? 0 : s));
  const size = xShape[dim]!, sd = xSt[dim]!;
  walk3(oShape, xs, xBase, iSt, iBase, NONE, 0, (i, ix, ii) => {
    out[oBase + i] = x[ix + checkIndex('gather', idx[ii]!, size, dim) * sd]!;
  });
}

export function scatter(out: Arr, oBase: number, oShape: Dims, dim: number, idx: Int32Array, iBase: number, iShape: Dims, iSt: Dims,
  src: Arr, sBase: number, sSt: Dims, reduce: 'none' | 'add'): void {
  const oSt: number[] = [];
  let acc = 1;
  for (let d = oShape.length - 1; d >= 0; d--) { oSt[d] = acc; acc *= oShape[d]!; }
  const os = oSt.map((s, d) => (d === dim ? 0 : s));
  const size = oShape[dim]!, sd = oSt[dim] ?? 1;
  walk3(iShape, os, oBase, iSt, iBase, sSt, sBase, (_i, io, ii, is) => {
    const t = io + checkIndex('scatter', idx[ii]!, size, dim) * sd;
    if (reduce === 'add') out[t] += src[is]!; else out[t] = src[is]!;
  });
}

export function argsort(x: Arr, xBase: number, shape: Dims, strides: Dims, descending: boolean, out: Int32Array, oBase: number): void {
  const nd = shape.length;
  const L = nd ? shape[nd - 1]! : 1, s = nd ? strides[nd - 1]! : 0;
  const rows = offsets(shape.slice(0, -1), strides.slice(0, -1), xBase);
  const order = new Array<number>(L);
  const vals = new Float64Array(L);
  for (let r = 0; r < rows.length; r++) {
    for (let j = 0; j < L; j++) { order[j] = j; vals[j] = x[rows[r]! + j * s]!; }
    // NaN sorts as the largest value, as in PyTorch; Array.prototype.sort is stable.
    order.sort((i, j) => {
      const a = vals[i]!, b = vals[j]!;
      const c = a !== a ? (b !== b ? 0 : 1) : b !== b ? -1 : a < b ? -1 : a > b ? 1 : 0;
      return descending ? -c : c;
    });
    for (let j = 0; j < L; j++) out[oBase + r * L + j] = order[j]!;
  }
}

export function random(out: Arr, oBase: number, n: number, dist: 'uniform' | 'normal', seed: number, offset: number): void {
  philoxFill(out.subarray(oBase, oBase + n), dist, seed, offset);
}
