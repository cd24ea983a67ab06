// Fused scaled-dot-product attention of the CPU backend, float32: for heads b0..b0+nb of q [B, L, E],
// k [B, S, E], v [B, S, Ev] (B = N*H heads, each operand a head pointer plus a row stride, unit
// column stride; a head's offset is (b / H) * n-stride + (b % H) * h-stride), O = softmax(scale Q K^T) V
// and each row's logsumexp, and the backward from them. A head's score matrix lives in the thread's
// scratch, never in memory the size of [B, L, S]; each head is done whole by one call, so the cut
// over threads never changes a bit. The products are gemm1's (packed panels, 4x8 register tiles).
// Dropout on the weights comes as a keep mask (bool bytes [B, L, S], contiguous) and its scale.

import { gemm1, gemmScratchBytes } from './gemm';
import { expv, logv } from './vmath';

/** Score rows are padded to whole vectors: no scalar tails (pad lanes are masked where they count). */
// @ts-ignore: decorator
@inline function padded(S: i32): i32 { return (S + 3) & ~3; }

/** Bytes of the attention area (after the GEMM's) that a head of L query and S key rows needs. */
export function attentionBytes(L: i32, S: i32): i32 { return 2 * L * padded(S) * 4; }

// @ts-ignore: decorator
@inline function head(p: usize, b: i32, H: i32, sn: i32, sh: i32): usize {
  return p + <usize>((b / H) * sn + (b % H) * sh) * 4;
}

/** Lanes j..j+3 that are real columns (j + lane < S): all ones, else zero. */
// @ts-ignore: decorator
@inline function live(j: i32, S: i32): v128 {
  return i32x4.lt_s(i32x4.add(i32x4.splat(j), v128(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0)), i32x4.splat(S));
}

/** Keep flags of columns j..j+3 of a row of the bool mask (bytes): all ones where set; lanes at or past S are 0. */
// @ts-ignore: decorator
@inline function kept(row: usize, j: i32, S: i32): v128 {
  let w: u32 = 0;
  if (j + 4 <= S) w = load<u32>(row + <usize>j);
  else for (let t = 0; t < S - j; t++) w |= <u32>load<u8>(row + <usize>(j + t)) << (8 * t);
  return i32x4.ne(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(i32x4.replace_lane(i32x4.splat(0), 0, w))), i32x4.splat(0));
}

/** Row i of P becomes P * keep * ks (dropout's kept weights, scaled): keep holds [L, S] flags. */
function dropRows(P: usize, L: i32, S: i32, Sp: i32, keep: usize, ks: f32): void {
  const k4 = f32x4.splat(ks), zero = f32x4.splat(0);
  for (let i = 0; i < L; i++) {
    const row = P + <usize>(i * Sp) * 4, kr = keep + <usize>(i * S);
    for (let j = 0; j < Sp; j += 4) {
      v128.store(row + <usize>(j * 4), v128.bitselect(f32x4.mul(v128.load(row + <usize>(j * 4)), k4), zero, kept(kr, j, S)));
    }
  }
}

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/**
 * Row i of P (S columns, pitch Sp) = scale * (Q K^T) becomes exp(x - m), its softmax before the
 * division by the row's sum s (pad lanes, and with `causal` the columns j > i, count as -inf, so they
 * add nothing); lse[i] = m + log(s), inv[i] = 1 / s, which the caller applies to the output rows (half
 * the values of P's rows, for a transformer's heads). A row of -inf only gives NaN, as softmax does.
 */
function softmaxRows(P: usize, L: i32, S: i32, Sp: i32, scale: f32, causal: bool, lse: usize, inv: usize): void {
  const sc = f32x4.splat(scale), ninf = f32x4.splat(-Infinity);
  for (let i = 0; i < L; i++) {
    const row = P + <usize>(i * Sp) * 4, lim = causal ? min(S, i + 1) : S;
    // pmax (one instruction; max's NaN and -0 rules take ~7 on x64): m only has to bound the row,
    // and a NaN score makes the row NaN through its exp anyway.
    let mv = ninf;
    if (lim == Sp) {
      for (let j = 0; j < Sp; j += 4) {
        const x = f32x4.mul(v128.load(row + <usize>(j * 4)), sc);
        v128.store(row + <usize>(j * 4), x);
        mv = f32x4.pmax(mv, x);
      }
    } else {
      for (let j = 0; j < Sp; j += 4) {
        const x = v128.bitselect(f32x4.mul(v128.load(row + <usize>(j * 4)), sc), ninf, live(j, lim));
        v128.store(row + <usize>(j * 4), x);
        mv = f32x4.pmax(mv, x);
      }
    }
    const m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
    const ms = f32x4.splat(m);
    let sv = f32x4.splat(0);
    for (let j = 0; j < Sp; j += 4) {
      const e = expv(f32x4.sub(v128.load(row + <usize>(j * 4)), ms));
      v128.store(row + <usize>(j * 4), e);
      sv = f32x4.add(sv, e);
    }
    const s = hsum(sv);
    store<f32>(inv + <usize>(i * 4), <f32>1 / s);
    store<f32>(lse + <usize>(i * 4), m + f32x4.extract_lane(logv(f32x4.splat(s)), 0));
  }
}

/** Rows i < L of the output (n columns, row pitch ol elements) times inv[i]. */
function scaleRows(o: usize, L: i32, n: i32, ol: i32, inv: usize): void {
  for (let i = 0; i < L; i++) {
    const row = o + <usize>(i * ol) * 4, f = load<f32>(inv + <usize>(i * 4)), fv = f32x4.splat(f);
    let j = 0;
    for (; j + 4 <= n; j += 4) v128.store(row + <usize>(j * 4), f32x4.mul(v128.load(row + <usize>(j * 4)), fv));
    for (; j < n; j++) store<f32>(row + <usize>(j * 4), load<f32>(row + <usize>(j * 4)) * f);
  }
}

/**
 * Forward for heads b0..b0+nb: out (row stride ol) = dropout(softmax(scale q k^T)) v, lse [B, L]
 * (contiguous) of the scores before dropout. Each operand x has a head stride pair (xn, xh) and a row
 * stride xl, in elements. keep (0: no dropout) holds [B, L, S] flags; kept weights are scaled by ks.
 */
export function attnForward(b0: i32, nb: i32, H: i32, L: i32, S: i32, E: i32, Ev: i32, scale: f32, causal: bool,
  q: usize, qn: i32, qh: i32, ql: i32, k: usize, kn: i32, kh: i32, kl: i32, v: usize, vn: i32, vh: i32, vl: i32,
  o: usize, on: i32, oh: i32, ol: i32, lse: usize, keep: usize, ks: f32, scratch: usize): void {
  const P = scratch + <usize>gemmScratchBytes(), Sp = padded(S), inv = P + <usize>(L * Sp) * 4;
  for (let b = b0; b < b0 + nb; b++) {
    // P = Q K^T: K read as its transpose (row stride 1, column stride kl).
    gemm1(L, S, E, head(q, b, H, qn, qh), ql, 1, head(k, b, H, kn, kh), 1, kl, P, Sp, scratch, 0, 0, 0, 0, 0);
    softmaxRows(P, L, S, Sp, scale, causal, lse + <usize>(b * L) * 4, inv);
    if (keep) dropRows(P, L, S, Sp, keep + <usize>(b * L * S), ks);
    const ob = head(o, b, H, on, oh);
    gemm1(L, Ev, S, P, Sp, 1, head(v, b, H, vn, vh), vl, 1, ob, ol, scratch, 0, 0, 0, 0, 0);
    scaleRows(ob, L, Ev, ol, inv); // softmax's division, on the output's rows
  }
}

/**
 * Backward for heads b0..b0+nb from go (the output's gradient) and the forward's lse: P is rebuilt as
 * exp(scale q k^T - lse); dP = go v^T; dS = P (dP - rowsum(P dP)) scale; gv = P^T go; gq = dS k,
 * gk = dS^T q. gq, gk, gv are contiguous [B, L|S, E|Ev]. Pad columns are never read by the products;
 * the row sum masks them. With `causal`, P is 0 past the diagonal, so nothing flows there. With
 * dropout (keep, ks as the forward's), dP and the P of gv are the dropped ones: P keep ks.
 */
export function attnBackward(b0: i32, nb: i32, H: i32, L: i32, S: i32, E: i32, Ev: i32, scale: f32, causal: bool,
  q: usize, qn: i32, qh: i32, ql: i32, k: usize, kn: i32, kh: i32, kl: i32, v: usize, vn: i32, vh: i32, vl: i32,
  go: usize, gon: i32, goh: i32, gol: i32, lse: usize, gq: usize, gk: usize, gv: usize, keep: usize, ks: f32, scratch: usize): void {
  const Sp = padded(S), P = scratch + <usize>gemmScratchBytes(), D = P + <usize>(L * Sp) * 4;
  const sc = f32x4.splat(scale), zero = f32x4.splat(0);
  for (let b = b0; b < b0 + nb; b++) {
    const qb = head(q, b, H, qn, qh), kp = head(k, b, H, kn, kh), vb = head(v, b, H, vn, vh), gob = head(go, b, H, gon, goh);
    const lb = lse + <usize>(b * L) * 4;
    gemm1(L, S, E, qb, ql, 1, kp, 1, kl, P, Sp, scratch, 0, 0, 0, 0, 0);
    for (let i = 0; i < L; i++) {
      const row = P + <usize>(i * Sp) * 4, l = f32x4.splat(load<f32>(lb + <usize>(i * 4)));
      // Pad columns need no mask here (the products never read them); causal positions do.
      const lim = causal ? min(S, i + 1) : Sp;
      for (let j = 0; j < Sp; j += 4) {
        const p = expv(f32x4.sub(f32x4.mul(v128.load(row + <usize>(j * 4)), sc), l));
        v128.store(row + <usize>(j * 4), j + 4 <= lim ? p : v128.bitselect(p, zero, live(j, lim)));
      }
    }
    // dP = go v^T (of the dropped weights: then times keep ks).
    gemm1(L, S, Ev, gob, gol, 1, vb, 1, vl, D, Sp, scratch, 0, 0, 0, 0, 0);
    const mb = keep ? keep + <usize>(b * L * S) : 0;
    if (mb) dropRows(D, L, S, Sp, mb, ks);
    // dS = P (dP - sum_j P dP) scale, into D.
    for (let i = 0; i < L; i++) {
      const pr = P + <usize>(i * Sp) * 4, dr = D + <usize>(i * Sp) * 4;
      let acc = zero;
      for (let j = 0; j < Sp; j += 4) {
        const pd = f32x4.mul(v128.load(pr + <usize>(j * 4)), v128.load(dr + <usize>(j * 4)));
        acc = f32x4.add(acc, j + 4 <= S ? pd : v128.bitselect(pd, zero, live(j, S)));
      }
      const tv = f32x4.splat(hsum(acc));
      for (let j = 0; j < Sp; j += 4) {
        v128.store(dr + <usize>(j * 4), f32x4.mul(f32x4.mul(v128.load(pr + <usize>(j * 4)), f32x4.sub(v128.load(dr + <usize>(j * 4)), tv)), sc));
      }
    }
    // gv = P^T go, of the dropped weights.
    if (mb) dropRows(P, L, S, Sp, mb, ks);
    gemm1(S, Ev, L, P, 1, Sp, gob, gol, 1, gv + <usize>(b * S * Ev) * 4, Ev, scratch, 0, 0, 0, 0, 0);
    gemm1(L, E, S, D, Sp, 1, kp, kl, 1, gq + <usize>(b * L * E) * 4, E, scratch, 0, 0, 0, 0, 0);
    gemm1(S, E, L, D, 1, Sp, qb, ql, 1, gk + <usize>(b * S * E) * 4, E, scratch, 0, 0, 0, 0, 0);
  }
}
