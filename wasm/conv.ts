// im2col for float32 convolution / pooling: x [N,C,H,W] (any strides) -> out [N, C*kh*kw, OH*OW]
// contiguous, border cells set to `pad` (0 for conv, -inf for max pooling). Per output row the valid
// ox range is computed once, so the inner loop has no bounds checks; unit stride becomes memory.copy.

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
