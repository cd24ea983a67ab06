// im2col for float32 convolution / average pooling: x [N,C,H,W] (any strides) -> out [N, C*kh*kw,
// OH*OW] contiguous, border cells set to `pad`. Per output row the valid ox range is computed once, so
// the inner loop has no bounds checks; unit stride becomes memory.copy. Also col2im (its adjoint)
// and max pooling (maxima and their flat positions, no window temporary).

function fillRow(p: usize, n: i32, v: f32): void {
  for (let i = 0; i < n; i++) store<f32>(p + <usize>(i * 4), v);
}

export function im2col(N: i32, C: i32, H: i32, W: i32, x: usize, xs0: i32, xs1: i32, xs2: i32, xs3: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, pad: f32, OH: i32, OW: i32, out: usize): void {
  let o = out;
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) {
    const plane = x + <usize>((n * xs0 + c * xs1) * 4);
    for (let ki = 0; ki < kh; ki++) for (let kj = 0; kj < kw; kj++) {
      // Valid ox: 0 <= ox*sw - pw + kj*dw < W.
      const shift = kj * dw - pw;
      let lo = shift >= 0 ? 0 : (-shift + sw - 1) / sw;
      let hi = W - shift <= 0 ? 0 : (W - shift + sw - 1) / sw; // first ox past the right edge
      if (hi > OW) hi = OW;
      if (lo > hi) lo = hi;
      for (let oy = 0; oy < OH; oy++) {
        const y = oy * sh - ph + ki * dh;
        if (y < 0 || y >= H) { fillRow(o, OW, pad); o += <usize>(OW * 4); continue; }
        const row = plane + <usize>(y * xs2 * 4);
        fillRow(o, lo, pad);
        if (sw == 1 && xs3 == 1) {
          memory.copy(o + <usize>(lo * 4), row + <usize>((lo + shift) * 4), <usize>((hi - lo) * 4));
        } else {
          for (let ox = lo; ox < hi; ox++) store<f32>(o + <usize>(ox * 4), load<f32>(row + <usize>((ox * sw + shift) * xs3 * 4)));
        }
        fillRow(o + <usize>(hi * 4), OW - hi, pad);
        o += <usize>(OW * 4);
      }
    }
  }
}

/** dst[i] += src[i] for n floats (SIMD body, scalar tail). */
function addRun(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const d = dst + <usize>(i * 4);
    v128.store(d, f32x4.add(v128.load(d), v128.load(src + <usize>(i * 4))));
  }
  for (; i < n; i++) store<f32>(dst + <usize>(i * 4), load<f32>(dst + <usize>(i * 4)) + load<f32>(src + <usize>(i * 4)));
}

/**
 * col2im, the adjoint of im2col: cols [N, C*kh*kw, OH*OW] (any strides) summed into a contiguous
 * out [N,C,H,W], which this zero-fills first. Border (padding) cells are dropped.
 */
export function col2im(N: i32, C: i32, H: i32, W: i32, cols: usize, cs0: i32, cs1: i32, cs2: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, OH: i32, OW: i32, out: usize): void {
  memory.fill(out, 0, <usize>(N * C * H * W * 4));
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) {
    const plane = out + <usize>(((n * C + c) * H * W) * 4);
    for (let ki = 0; ki < kh; ki++) for (let kj = 0; kj < kw; kj++) {
      const row = cols + <usize>((n * cs0 + ((c * kh + ki) * kw + kj) * cs1) * 4);
      const shift = kj * dw - pw;
      let lo = shift >= 0 ? 0 : (-shift + sw - 1) / sw;
      let hi = W - shift <= 0 ? 0 : (W - shift + sw - 1) / sw;
      if (hi > OW) hi = OW;
      if (lo > hi) lo = hi;
      for (let oy = 0; oy < OH; oy++) {
        const y = oy * sh - ph + ki * dh;
        if (y < 0 || y >= H) continue;
        const dst = plane + <usize>(y * W * 4);
        const src = row + <usize>(oy * OW * cs2 * 4);
        if (sw == 1 && cs2 == 1) {
          addRun(dst + <usize>((lo + shift) * 4), src + <usize>(lo * 4), hi - lo);
        } else {
          for (let ox = lo; ox < hi; ox++) {
            const d = dst + <usize>((ox * sw + shift) * 4);
            store<f32>(d, load<f32>(d) + load<f32>(src + <usize>(ox * cs2 * 4)));
          }
        }
      }
    }
  }
}

/** 4 floats of a row at x, x+s, x+2s, x+3s (byte address p of the first, element stride s). */
@inline function load4(p: usize, s: i32): v128 {
  if (s == 1) return v128.load(p);
  if (s == 2) return i8x16.shuffle(v128.load(p), v128.load(p + 16), 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
  let v = f32x4.splat(load<f32>(p));
  v = f32x4.replace_lane(v, 1, load<f32>(p + <usize>(s * 4)));
  v = f32x4.replace_lane(v, 2, load<f32>(p + <usize>(s * 8)));
  return f32x4.replace_lane(v, 3, load<f32>(p + <usize>(s * 12)));
}

/** Lane i of (a, b) at 2i (even) or 2i + 1 (odd): one row's 8 cells split into a 2x2 window's columns. */
// @ts-ignore: decorator
@inline function evens(a: v128, b: v128): v128 { return i8x16.shuffle(a, b, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27); }
// @ts-ignore: decorator
@inline function odds(a: v128, b: v128): v128 { return i8x16.shuffle(a, b, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31); }

/**
 * maxPool2d for the common 2x2 window, stride 2, no padding, every window inside x (not ceil mode's
 * last), rows contiguous, OW >= 4: 4 outputs
 * from two 8-float loads per row; the same scan order and rule as the general path (first cell, then
 * take a later one when greater or NaN), so the same values and indices.
 */
function maxPool2x2(N: i32, C: i32, W: i32, x: usize, xs0: i32, xs1: i32, xs2: i32, OH: i32, OW: i32, out: usize, idx: usize): void {
  const lanes = i32x4(0, 2, 4, 6), one = i32x4.splat(1);
  let o: usize = 0;
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) {
    const plane = x + <usize>((n * xs0 + c * xs1) * 4);
    for (let oy = 0; oy < OH; oy++) {
      const r0 = plane + <usize>(2 * oy * xs2 * 4), r1 = r0 + <usize>(xs2 * 4);
      const end = o + <usize>(OW * 4);
      let ox = 0;
      while (ox < OW) {
        if (ox + 4 > OW) { o -= <usize>((ox - (OW - 4)) * 4); ox = OW - 4; } // last group overlaps: same values
        const q = <usize>(ox * 8);
        const a0 = v128.load(r0 + q), a1 = v128.load(r0 + q, 16), b0 = v128.load(r1 + q), b1 = v128.load(r1 + q, 16);
        let m = evens(a0, a1), mi = i32x4.add(i32x4.splat(2 * oy * W + 2 * ox), lanes);
        let v = odds(a0, a1), t = v128.or(f32x4.gt(v, m), f32x4.ne(v, v));
        m = v128.bitselect(v, m, t); mi = v128.bitselect(i32x4.add(mi, one), mi, t);
        const base = i32x4.add(i32x4.splat(2 * oy * W + 2 * ox + W), lanes);
        v = evens(b0, b1); t = v128.or(f32x4.gt(v, m), f32x4.ne(v, v));
        m = v128.bitselect(v, m, t); mi = v128.bitselect(base, mi, t);
        v = odds(b0, b1); t = v128.or(f32x4.gt(v, m), f32x4.ne(v, v));
        m = v128.bitselect(v, m, t); mi = v128.bitselect(i32x4.add(base, one), mi, t);
        v128.store(out + o, m); v128.store(idx + o, mi);
        o += 16; ox += 4;
      }
      o = end;
    }
  }
}

/**
 * Max pooling of float32 x [N,C,H,W] (any strides) into contiguous out and idx [N, C, OH, OW]: each
 * window's maximum and its flat position y*W + x in its plane. Cells outside the input are skipped
 * (never selected); the scan starts from -inf at the first in-bounds cell and takes a later cell when
 * it is greater or NaN (PyTorch's CPU rule: ties keep the first, the last NaN wins). Branch-free
 * selects; windows wholly inside x go 4 outputs at a time.
 */
export function maxPool2d(N: i32, C: i32, H: i32, W: i32, x: usize, xs0: i32, xs1: i32, xs2: i32, xs3: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, OH: i32, OW: i32, out: usize, idx: usize): void {
  if (kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0 && dh == 1 && dw == 1 && xs3 == 1 && OW >= 4 && 2 * OW <= W && 2 * OH <= H) {
    maxPool2x2(N, C, W, x, xs0, xs1, xs2, OH, OW, out, idx);
    return;
  }
  // Outputs whose windows lie inside x horizontally: ox in [lo, hi).
  let lo = (pw + sw - 1) / sw, hi = OW;
  const last = (kw - 1) * dw - pw; // x0 + last < W
  if (W - 1 - last < 0) hi = 0; else if ((W - 1 - last) / sw + 1 < hi) hi = (W - 1 - last) / sw + 1;
  if (lo > hi) lo = hi;
  const sx = sw * xs3, lanes = i32x4(0, sw, 2 * sw, 3 * sw);
  let o: usize = 0;
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) {
    const plane = x + <usize>((n * xs0 + c * xs1) * 4);
    for (let oy = 0; oy < OH; oy++) {
      const y0 = oy * sh - ph;
      let k0 = 0, k1 = kh; // in-bounds ki
      while (k0 < kh && y0 + k0 * dh < 0) k0++;
      while (k1 > k0 && y0 + (k1 - 1) * dh >= H) k1--;
      // SIMD only where every ki row exists (k0..k1 is the whole window); a last group of 4 that
      // would pass hi is taken at hi - 4 instead, recomputing some outputs (same values).
      const vec = k0 == 0 && k1 == kh && hi - lo >= 4;
      let ox = 0;
      while (ox < OW) {
        if (vec && ox >= lo && ox < hi) {
          if (ox + 4 > hi) { o -= <usize>((ox - (hi - 4)) * 4); ox = hi - 4; }
          const x0 = ox * sw - pw;
          let m = f32x4.splat(-Infinity);
          let mi = i32x4.add(i32x4.splat(y0 * W + x0), lanes);
          for (let ki = 0; ki < kh; ki++) {
            const y = y0 + ki * dh;
            const row = plane + <usize>((y * xs2 + x0 * xs3) * 4);
            for (let kj = 0; kj < kw; kj++) {
              const v = load4(row + <usize>(kj * dw * xs3 * 4), sx);
              const take = v128.or(f32x4.gt(v, m), f32x4.ne(v, v));
              m = v128.bitselect(v, m, take);
              mi = v128.bitselect(i32x4.add(i32x4.splat(y * W + x0 + kj * dw), lanes), mi, take);
            }
          }
          v128.store(out + o, m);
          v128.store(idx + o, mi);
          o += 16; ox += 4;
          continue;
        }
        const x0 = ox * sw - pw;
        let j0 = 0, j1 = kw; // in-bounds kj
        while (j0 < kw && x0 + j0 * dw < 0) j0++;
        while (j1 > j0 && x0 + (j1 - 1) * dw >= W) j1--;
        let m: f32 = -Infinity, mi: i32 = (y0 + k0 * dh) * W + x0 + j0 * dw;
        for (let ki = k0; ki < k1; ki++) {
          const y = y0 + ki * dh;
          const row = plane + <usize>(y * xs2 * 4);
          for (let kj = j0; kj < j1; kj++) {
            const xx = x0 + kj * dw;
            const v = load<f32>(row + <usize>(xx * xs3 * 4));
            const take = v > m || v != v;
            m = select<f32>(v, m, take);
            mi = select<i32>(y * W + xx, mi, take);
          }
        }
        store<f32>(out + o, m);
        store<i32>(idx + o, mi);
        o += 4; ox++;
      }
    }
  }
}

/**
 * Max pooling's gradient: g [N,C,OH,OW] (any strides) and idx (maxPool2d's, contiguous) -> out
 * [N,C,H*W] contiguous. Each plane is zeroed, then g[o] added at idx[o] in increasing o (scatter-add's
 * order, so the same bits); the plane stays in cache between the two. An index outside the plane
 * (never made by maxPool2d) is skipped rather than written outside it.
 */
export function maxPool2dBackward(N: i32, C: i32, OH: i32, OW: i32, g: usize, gs0: i32, gs1: i32, gs2: i32, gs3: i32,
  idx: usize, HW: i32, out: usize): void {
  let ip = idx, op = out;
  const planeBytes = <usize>(HW * 4);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) {
    memory.fill(op, 0, planeBytes);
    const gp = g + <usize>((n * gs0 + c * gs1) * 4);
    for (let oy = 0; oy < OH; oy++) {
      const row = gp + <usize>(oy * gs2 * 4);
      for (let ox = 0; ox < OW; ox++) {
        const k = load<i32>(ip);
        ip += 4;
        if (<u32>k >= <u32>HW) continue;
        const p = op + <usize>(k * 4);
        store<f32>(p, load<f32>(p) + load<f32>(row + <usize>(ox * gs3 * 4)));
      }
    }
    op += planeBytes;
  }
}
