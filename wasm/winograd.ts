// Winograd F(2x2, 3x3) convolution for float32 3x3 stride-1 kernels: the input transform V = B^T d B
// of each 4x4 input tile (stride 2, zero padding), 16 GEMMs (one per tile element) contracting the
// channels with U = G w G^T, and the output transform Y = A^T M A. One call runs all three for a few
// images in its thread's scratch, so V and M (4x and 2x the images' size) stay in cache: written to
// memory and read back, they made the transforms cost what Winograd saves (bandwidth-bound).

import { gemm, gemmScratchBytes } from './gemm';

/** Bytes of the Winograd area after the GEMM scratch in each thread's scratch (V, M and padded rows). */
const WINO_BYTES = 2 << 20;

/** Bytes of a thread's scratch: the GEMM's, then the Winograd area. */
export function scratchBytes(): i32 { return gemmScratchBytes() + WINO_BYTES; }

/** Bytes of winogradConv's area: must be <= WINO_BYTES. */
export function winogradBytes(nn: i32, C: i32, K: i32, TH: i32, TW: i32): i32 {
  return (16 * (C + K) * nn * TH * TW + 4 * (8 * ((TW + 3) / 4) + 4) + 64) * 4;
}

/**
 * out = conv2d(x, w) for images n < nn: x [nn,C,H,W] (any strides), u = G w G^T [16, K, C]
 * contiguous, out [nn, K, OH, OW] (image n at n * yn elements, planes contiguous), padding (ph, pw),
 * TH x TW tiles of 2x2 outputs. V, M and the padded rows live after the GEMM scratch
 * (winogradBytes(nn, ...) <= WINO_BYTES, checked by the caller).
 */
export function winogradConv(nn: i32, C: i32, K: i32, H: i32, W: i32, x: usize, xs0: i32, xs1: i32, xs2: i32, xs3: i32,
  ph: i32, pw: i32, TH: i32, TW: i32, u: usize, OH: i32, OW: i32, out: usize, yn: i32, scratch: usize): void {
  const nT = nn * TH * TW;
  const v = scratch + <usize>gemmScratchBytes(), m = v + <usize>(16 * C * nT * 4), rows = m + <usize>(16 * K * nT * 4);
  const tail = rows + <usize>(4 * (8 * ((TW + 3) / 4) + 4) * 4); // 16 vectors: a last group of < 4 tiles
  winogradInput(nn, C, H, W, x, xs0, xs1, xs2, xs3, ph, pw, TH, TW, v, C * nT, nT, TH * TW, rows, tail);
  gemm(16, K, nT, C, u, K * C, C, 1, v, C * nT, nT, 1, m, K * nT, nT, scratch, 0, 0, 0, 0, 0, 0, 0);
  winogradOutput(nn, K, TH, TW, m, K * nT, nT, TH * TW, OH, OW, out, yn, tail);
}

/**
 * The weight gradient's Winograd-domain sums for images n < nn: m[e, k, c] = sum over the images' 2x2
 * tiles t of (A g A^T)[e][k, t] (B^T d B)[e][c, t], g [nn, K, OH, OW] the output gradient and d x's
 * 4x4 tiles as winogradConv takes them (any strides both); the caller turns m into the [K, C, 3, 3]
 * gradient G^T m G. The tiles' transforms live after the GEMM scratch (winogradBytes(nn, ...)),
 * m [16, K, C] contiguous is written (not accumulated).
 */
export function winogradWgrad(nn: i32, C: i32, K: i32, H: i32, W: i32, x: usize, xs0: i32, xs1: i32, xs2: i32, xs3: i32,
  ph: i32, pw: i32, TH: i32, TW: i32, g: usize, gs0: i32, gs1: i32, gs2: i32, gs3: i32, OH: i32, OW: i32, m: usize, scratch: usize): void {
  const nT = nn * TH * TW;
  const v = scratch + <usize>gemmScratchBytes(), gt = v + <usize>(16 * C * nT * 4), rows = gt + <usize>(16 * K * nT * 4);
  const tail = rows + <usize>(4 * (8 * ((TW + 3) / 4) + 4) * 4);
  winogradInput(nn, C, H, W, x, xs0, xs1, xs2, xs3, ph, pw, TH, TW, v, C * nT, nT, TH * TW, rows, tail);
  winogradGradTiles(nn, K, OH, OW, g, gs0, gs1, gs2, gs3, TH, TW, gt, K * nT, nT, TH * TW, rows, tail);
  // m[e] = gt[e] [K, nT] times v[e]^T [nT, C]: the tiles are the contraction.
  gemm(16, K, C, nT, gt, K * nT, nT, 1, v, C * nT, 1, nT, m, K * C, C, scratch, 0, 0, 0, 0, 0, 0, 0);
}

/**
 * G[e, k, n, ty, tx] = (A g A^T)[e / 4, e % 4] of g's 2x2 tile at (2 ty, 2 tx) (cells past OH or OW
 * are 0), A = [[1, 0], [1, 1], [1, -1], [0, -1]]: rows (g0, g0 + g1, g0 - g1, -g1), then the same
 * along each row. Laid out as winogradInput's V (e by eStride, k by kStride, n by nStride elements).
 */
function winogradGradTiles(nn: i32, nk: i32, OH: i32, OW: i32, g: usize, gs0: i32, gs1: i32, gs2: i32, gs3: i32,
  TH: i32, TW: i32, out: usize, eStride: i32, kStride: i32, nStride: i32, scratch: usize, tail: usize): void {
  const RW = 8 * ((TW + 3) / 4) + 4, rowBytes = <usize>(RW * 4), eBytes = <usize>eStride * 4;
  const r0 = scratch, r1 = scratch + rowBytes;
  for (let k = 0; k < nk; k++) for (let n = 0; n < nn; n++) {
    const plane = g + <usize>((n * gs0 + k * gs1) * 4);
    const oplane = out + <usize>((k * kStride + n * nStride) * 4);
    for (let ty = 0; ty < TH; ty++) {
      padRow(r0, RW, plane, 2 * ty, OH, OW, gs2, gs3, 0);
      padRow(r1, RW, plane, 2 * ty + 1, OH, OW, gs2, gs3, 0);
      const orow = oplane + <usize>(ty * TW * 4);
      for (let t4 = 0; t4 < TW; t4 += 4) {
        // A last group past the row's end is taken at TW - 4 instead where the row has 4 tiles,
        // recomputing some (same values): the partial-group path costs more than a whole group.
        const tx = t4 + 4 > TW && TW >= 4 ? TW - 4 : t4;
        const p = <usize>(2 * tx * 4);
        let a = v128.load(r0 + p), b = v128.load(r0 + p + 16);
        const g00 = v128.shuffle<f32>(a, b, 0, 2, 4, 6), g01 = v128.shuffle<f32>(a, b, 1, 3, 5, 7);
        a = v128.load(r1 + p); b = v128.load(r1 + p + 16);
        const g10 = v128.shuffle<f32>(a, b, 0, 2, 4, 6), g11 = v128.shuffle<f32>(a, b, 1, 3, 5, 7);
        // A g: rows (g0, g0 + g1, g0 - g1, -g1), two columns each.
        const u10 = f32x4.add(g00, g10), u11 = f32x4.add(g01, g11), u20 = f32x4.sub(g00, g10), u21 = f32x4.sub(g01, g11);
        const u30 = f32x4.neg(g10), u31 = f32x4.neg(g11);
        const live = TW - tx, o = live >= 4 ? orow + <usize>(tx * 4) : tail, es = live >= 4 ? eBytes : 16;
        gradRow(o, es, g00, g01); gradRow(o + 4 * es, es, u10, u11); gradRow(o + 8 * es, es, u20, u21); gradRow(o + 12 * es, es, u30, u31);
        if (live < 4) for (let e = 0; e < 16; e++) for (let l = 0; l < live; l++) {
          store<f32>(orow + <usize>e * eBytes + <usize>((tx + l) * 4), load<f32>(tail + <usize>(e * 16 + l * 4)));
        }
      }
    }
  }
}

/** A row (a, b) of A g times A^T: (a, a + b, a - b, -b) at o, es bytes apart. */
// @ts-ignore: decorator
@inline function gradRow(o: usize, es: usize, a: v128, b: v128): void {
  v128.store(o, a); v128.store(o + es, f32x4.add(a, b)); v128.store(o + 2 * es, f32x4.sub(a, b)); v128.store(o + 3 * es, f32x4.neg(b));
}

/**
 * V[e, c, n, ty, tx] = (B^T d B)[e / 4, e % 4] of the tile of x [N,C,H,W] (any strides) starting at
 * (2 ty - ph, 2 tx - pw), cells outside x being 0. Planes n < nn, c < nc of the call; e steps by
 * eStride elements in out, c by cStride, n by nStride, tiles contiguous (ty * TW + tx). The four
 * padded input rows of a tile row are built in `scratch` (4 * (8 * ceil(TW / 4) + 4) floats).
 */
function winogradInput(nn: i32, nc: i32, H: i32, W: i32, x: usize, xs0: i32, xs1: i32, xs2: i32, xs3: i32,
  ph: i32, pw: i32, TH: i32, TW: i32, out: usize, eStride: i32, cStride: i32, nStride: i32, scratch: usize, tail: usize): void {
  const RW = 8 * ((TW + 3) / 4) + 4; // padded row length: column i is x's column i - pw
  const rowBytes = <usize>(RW * 4), eBytes = <usize>eStride * 4;
  // Channel-major, images inner: each e's output is then one run of nn * T floats per channel.
  for (let c = 0; c < nc; c++) for (let n = 0; n < nn; n++) {
    const plane = x + <usize>((n * xs0 + c * xs1) * 4);
    const oplane = out + <usize>((c * cStride + n * nStride) * 4);
    // Four padded rows; tile row ty + 1 reads rows 2 and 3 of ty again, so those rotate to 0 and 1.
    let r0 = scratch, r1 = scratch + rowBytes, r2 = scratch + 2 * rowBytes, r3 = scratch + 3 * rowBytes;
    padRow(r0, RW, plane, -ph, H, W, xs2, xs3, pw);
    padRow(r1, RW, plane, 1 - ph, H, W, xs2, xs3, pw);
    for (let ty = 0; ty < TH; ty++) {
      padRow(r2, RW, plane, 2 * ty + 2 - ph, H, W, xs2, xs3, pw);
      padRow(r3, RW, plane, 2 * ty + 3 - ph, H, W, xs2, xs3, pw);
      const orow = oplane + <usize>(ty * TW * 4);
      for (let t4 = 0; t4 < TW; t4 += 4) {
        // A last group past the row's end is taken at TW - 4 instead where the row has 4 tiles,
        // recomputing some (same values): the partial-group path costs more than a whole group.
        const tx = t4 + 4 > TW && TW >= 4 ? TW - 4 : t4;
        // d_rj: row r, column j of the four tiles tx..tx+3 (input columns 2 tx + 2 l + j).
        const p = <usize>(2 * tx * 4);
        let a = v128.load(r0 + p), b = v128.load(r0 + p + 16), cc = v128.load(r0 + p + 32);
        const d00 = v128.shuffle<f32>(a, b, 0, 2, 4, 6), d01 = v128.shuffle<f32>(a, b, 1, 3, 5, 7);
        const d02 = v128.shuffle<f32>(d00, cc, 1, 2, 3, 4), d03 = v128.shuffle<f32>(d01, cc, 1, 2, 3, 5);
        a = v128.load(r1 + p); b = v128.load(r1 + p + 16); cc = v128.load(r1 + p + 32);
        const d10 = v128.shuffle<f32>(a, b, 0, 2, 4, 6), d11 = v128.shuffle<f32>(a, b, 1, 3, 5, 7);
        const d12 = v128.shuffle<f32>(d10, cc, 1, 2, 3, 4), d13 = v128.shuffle<f32>(d11, cc, 1, 2, 3, 5);
        a = v128.load(r2 + p); b = v128.load(r2 + p + 16); cc = v128.load(r2 + p + 32);
        const d20 = v128.shuffle<f32>(a, b, 0, 2, 4, 6), d21 = v128.shuffle<f32>(a, b, 1, 3, 5, 7);
        const d22 = v128.shuffle<f32>(d20, cc, 1, 2, 3, 4), d23 = v128.shuffle<f32>(d21, cc, 1, 2, 3, 5);
        a = v128.load(r3 + p); b = v128.load(r3 + p + 16); cc = v128.load(r3 + p + 32);
        const d30 = v128.shuffle<f32>(a, b, 0, 2, 4, 6), d31 = v128.shuffle<f32>(a, b, 1, 3, 5, 7);
        const d32 = v128.shuffle<f32>(d30, cc, 1, 2, 3, 4), d33 = v128.shuffle<f32>(d31, cc, 1, 2, 3, 5);
        // B^T d: rows (d0 - d2, d1 + d2, d2 - d1, d1 - d3), column by column.
        const u00 = f32x4.sub(d00, d20), u01 = f32x4.sub(d01, d21), u02 = f32x4.sub(d02, d22), u03 = f32x4.sub(d03, d23);
        const u10 = f32x4.add(d10, d20), u11 = f32x4.add(d11, d21), u12 = f32x4.add(d12, d22), u13 = f32x4.add(d13, d23);
        const u20 = f32x4.sub(d20, d10), u21 = f32x4.sub(d21, d11), u22 = f32x4.sub(d22, d12), u23 = f32x4.sub(d23, d13);
        const u30 = f32x4.sub(d10, d30), u31 = f32x4.sub(d11, d31), u32 = f32x4.sub(d12, d32), u33 = f32x4.sub(d13, d33);
        // (B^T d) B: the same combination along each row. A last group of fewer than 4 tiles goes to
        // `tail` first (16-byte steps), then its live lanes to out.
        const live = TW - tx, o = live >= 4 ? orow + <usize>(tx * 4) : tail, es = live >= 4 ? eBytes : 16;
        v128.store(o, f32x4.sub(u00, u02)); v128.store(o + es, f32x4.add(u01, u02));
        v128.store(o + 2 * es, f32x4.sub(u02, u01)); v128.store(o + 3 * es, f32x4.sub(u01, u03));
        v128.store(o + 4 * es, f32x4.sub(u10, u12)); v128.store(o + 5 * es, f32x4.add(u11, u12));
        v128.store(o + 6 * es, f32x4.sub(u12, u11)); v128.store(o + 7 * es, f32x4.sub(u11, u13));
        v128.store(o + 8 * es, f32x4.sub(u20, u22)); v128.store(o + 9 * es, f32x4.add(u21, u22));
        v128.store(o + 10 * es, f32x4.sub(u22, u21)); v128.store(o + 11 * es, f32x4.sub(u21, u23));
        v128.store(o + 12 * es, f32x4.sub(u30, u32)); v128.store(o + 13 * es, f32x4.add(u31, u32));
        v128.store(o + 14 * es, f32x4.sub(u32, u31)); v128.store(o + 15 * es, f32x4.sub(u31, u33));
        if (live < 4) for (let e = 0; e < 16; e++) for (let l = 0; l < live; l++) {
          store<f32>(orow + <usize>e * eBytes + <usize>((tx + l) * 4), load<f32>(tail + <usize>(e * 16 + l * 4)));
        }
      }
      const t0 = r0, t1 = r1;
      r0 = r2; r1 = r3; r2 = t0; r3 = t1;
    }
  }
}

/** Row y of a plane into `row` (RW floats): column i holds x[y, i - pw], 0 outside x (rows outside: all 0). */
function padRow(row: usize, RW: i32, plane: usize, y: i32, H: i32, W: i32, xs2: i32, xs3: i32, pw: i32): void {
  for (let i = 0; i < RW; i += 4) v128.store(row + <usize>(i * 4), f32x4.splat(0));
  if (y < 0 || y >= H) return;
  const src = plane + <usize>(y * xs2 * 4);
  const i0 = max(0, pw), i1 = min(RW, W + pw);
  let i = i0;
  if (xs3 == 1) for (; i + 4 <= i1; i += 4) v128.store(row + <usize>(i * 4), v128.load(src + <usize>((i - pw) * 4)));
  for (; i < i1; i++) store<f32>(row + <usize>(i * 4), load<f32>(src + <usize>((i - pw) * xs3 * 4)));
}

/**
 * y[n, k, 2 ty + a, 2 tx + b] = (A^T M A)[a, b] of the product tiles m [16, K, N, TH, TW] (e steps by
 * eStride elements, k by kStride, n by nStride; tiles contiguous), for planes n < nn, k < nk of the
 * call; y's planes [OH, OW] contiguous from `out`, image n at n * yn elements, channel k at k * OH * OW;
 * cells past OH or OW are not stored.
 * Four consecutive tiles go per vector, across tile rows (T = TH * TW need not be a multiple of TW).
 */
function winogradOutput(nn: i32, nk: i32, TH: i32, TW: i32, m: usize, eStride: i32, kStride: i32, nStride: i32,
  OH: i32, OW: i32, out: usize, yn: i32, tail: usize): void {
  const eBytes = <usize>eStride * 4, T = TH * TW;
  // Channel-major, images inner, as winogradInput: each e's tiles are read as one run per channel.
  for (let k = 0; k < nk; k++) for (let n = 0; n < nn; n++) {
    const mplane = m + <usize>((k * kStride + n * nStride) * 4);
    const yp = out + <usize>((n * yn + k * OH * OW) * 4);
    for (let t = 0; t < T; t += 4) {
      const live = T - t;
      let p = mplane + <usize>(t * 4), es = eBytes;
      if (live < 4) {
        // A last group of fewer than 4 tiles: its live lanes, zero-padded, into `tail` (16-byte steps).
        for (let e = 0; e < 16; e++) for (let l = 0; l < 4; l++) {
          store<f32>(tail + <usize>(e * 16 + l * 4), l < live ? load<f32>(p + <usize>e * eBytes + <usize>(l * 4)) : 0);
        }
        p = tail; es = 16;
      }
      // A^T M: rows (m0 + m1 + m2, m1 - m2 - m3), column by column.
      const m00 = v128.load(p), m01 = v128.load(p + es), m02 = v128.load(p + 2 * es), m03 = v128.load(p + 3 * es);
      const m10 = v128.load(p + 4 * es), m11 = v128.load(p + 5 * es), m12 = v128.load(p + 6 * es), m13 = v128.load(p + 7 * es);
      const m20 = v128.load(p + 8 * es), m21 = v128.load(p + 9 * es), m22 = v128.load(p + 10 * es), m23 = v128.load(p + 11 * es);
      const m30 = v128.load(p + 12 * es), m31 = v128.load(p + 13 * es), m32 = v128.load(p + 14 * es), m33 = v128.load(p + 15 * es);
      const w00 = f32x4.add(f32x4.add(m00, m10), m20), w01 = f32x4.add(f32x4.add(m01, m11), m21);
      const w02 = f32x4.add(f32x4.add(m02, m12), m22), w03 = f32x4.add(f32x4.add(m03, m13), m23);
      const w10 = f32x4.sub(f32x4.sub(m10, m20), m30), w11 = f32x4.sub(f32x4.sub(m11, m21), m31);
      const w12 = f32x4.sub(f32x4.sub(m12, m22), m32), w13 = f32x4.sub(f32x4.sub(m13, m23), m33);
      // (A^T M) A: the same combination along each row; y_ab for the four tiles.
      const y00 = f32x4.add(f32x4.add(w00, w01), w02), y01 = f32x4.sub(f32x4.sub(w01, w02), w03);
      const y10 = f32x4.add(f32x4.add(w10, w11), w12), y11 = f32x4.sub(f32x4.sub(w11, w12), w13);
      const ty = t / TW, tx = t - ty * TW;
      if (live >= 4 && tx + 4 <= TW && 2 * tx + 8 <= OW && 2 * ty + 1 < OH) {
        // Four tiles side by side, wholly inside y: two rows of 8 cells.
        const q = yp + <usize>((2 * ty * OW + 2 * tx) * 4);
        v128.store(q, v128.shuffle<f32>(y00, y01, 0, 4, 1, 5)); v128.store(q + 16, v128.shuffle<f32>(y00, y01, 2, 6, 3, 7));
        const q1 = q + <usize>(OW * 4);
        v128.store(q1, v128.shuffle<f32>(y10, y11, 0, 4, 1, 5)); v128.store(q1 + 16, v128.shuffle<f32>(y10, y11, 2, 6, 3, 7));
        continue;
      }
      // Tiles at a row's end or y's edge: each lane's 2x2 cells through `tail`.
      v128.store(tail, y00); v128.store(tail + 16, y01); v128.store(tail + 32, y10); v128.store(tail + 48, y11);
      for (let l = 0; l < min(live, 4); l++) {
        const q = tail + <usize>(l * 4);
        putTile(yp, t + l, TW, OH, OW, load<f32>(q), load<f32>(q + 16), load<f32>(q + 32), load<f32>(q + 48));
      }
    }
  }
}

/** The 2x2 cells of tile t of a plane at yp, those inside OH x OW. */
function putTile(yp: usize, t: i32, TW: i32, OH: i32, OW: i32, a: f32, b: f32, c: f32, d: f32): void {
  const ty = t / TW, oy = 2 * ty, ox = 2 * (t - ty * TW);
  const q = yp + <usize>((oy * OW + ox) * 4);
  store<f32>(q, a);
  if (ox + 1 < OW) store<f32>(q + 4, b);
  if (oy + 1 < OH) {
    store<f32>(q + <usize>(OW * 4), c);
    if (ox + 1 < OW) store<f32>(q + <usize>(OW * 4 + 4), d);
  }
}
