// Float32 GEMM for the CPU backend: C[b] = A[b] @ B[b] for batched, arbitrarily strided A and B
// (transposes and broadcast batches arrive as strides) into a contiguous C. Goto-style blocking:
// B is packed into 8-column panels, A into 4-row panels (zero padded), then a 4x8 register-tiled
// micro-kernel runs on the packed data. All pointers are byte addresses in the imported memory;
// strides are in elements. No allocation: the caller passes a scratch area of gemmScratchBytes().

const MR = 4;
const NR = 8;
// Blocking, tuned on the SIMD128 build (its micro-kernel is bound by the multiply/add ports, so the
// rest is overhead to trim): KC = 512 halves the passes that read C back compared with 256, and
// MC = 64 keeps the packed A block (128 KiB) well inside L2 next to the B panel's working set.
const KC = 512;
const MC = 64;
const NC = 1024;
/** Rows of B copied per sweep across all panels by packB (row-major B). */
const KB = 16;

/** a*b + c: fused (relaxed-SIMD build) or separate multiply and add (SIMD128 build). */
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/**
 * The host's epilogue (torch.compile's fused elementwise program after a matmul, see
 * WasmBackend.matmulEpilogue): runs the program described at `epi` over rows r0..r0+nr and columns
 * c0..c0+nc of the whole product, flattened to [B*M, N], once those sums are final, so the program
 * reads them while they are still in cache. Each thread resolves it to its own generated kernels.
 */
// @ts-ignore: decorator
@external("env", "gemmEpilogue")
declare function gemmEpilogue(epi: usize, r0: i32, nr: i32, c0: i32, nc: i32): void;

/** Bytes of scratch the caller must provide to gemm(). */
export function gemmScratchBytes(): i32 {
  return (MC * KC + KC * NC + MR * NR) * 4;
}

/**
 * The 4x8 micro-kernel: C[0:4, 0:8] (row pitch ldc bytes) = (accumulate ? C : 0) + pa^T pb over kc,
 * then + D[0:4, 0:8] (row pitch ldd bytes) when d is not 0: an epilogue's addend (a Linear's bias)
 * added to the finished sum, so each element rounds exactly as a matmul followed by an add.
 * pa holds kc groups of 4 A values (one per row), pb kc groups of 8 B values `bs` bytes apart (32 in
 * a packed panel; B's row pitch when a row-major B is read in place). Kept out of line on
 * purpose (two call sites): V8 optimizes it once as a hot function instead of re-tiering a giant one.
 * Why not a wider tile, though 8 FMA chains leave latency on the table (on AMD Zen 5, 128-bit FMAs
 * reach 55 GFLOPS with 8 independent chains, 82 with 12, 110 with 16): in V8 (Node 20, measured in
 * isolation 2026-12-07) such a loop runs at full speed only while accumulators + loads per k (B
 * vectors and A splats) are at most 15, as if every load were issued before the multiply-adds and
 * held a register: 4x8 is 8 + 6 (47 GFLOPS); 5x8 (10 + 7), 6x8 (12 + 8), 4x12 (12 + 7), even 8
 * rows x 1 vector (8 + 9) ran at 18-24, ~12 cycles a k, a stack round trip's latency. 3x12 (9 + 6),
 * the widest that fits, was 7% faster: not worth 12-column panels.
 */
function micro4x8(kc: i32, pa: usize, pb: usize, bs: usize, c: usize, ldc: usize, accumulate: bool, d: usize, ldd: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  if (accumulate) {
    // C is read before the loop rather than after it: on a large C these loads miss the caches,
    // and issued here their latency overlaps the first iterations instead of stalling at the end.
    c00 = v128.load(c); c01 = v128.load(c, 16); c10 = v128.load(c + ldc); c11 = v128.load(c + ldc, 16);
    c20 = v128.load(c + 2 * ldc); c21 = v128.load(c + 2 * ldc, 16); c30 = v128.load(c + 3 * ldc); c31 = v128.load(c + 3 * ldc, 16);
  }
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    pa += 16; pb += bs;
  }
  if (d) {
    c00 = f32x4.add(c00, v128.load(d)); c01 = f32x4.add(c01, v128.load(d, 16)); d += ldd;
    c10 = f32x4.add(c10, v128.load(d)); c11 = f32x4.add(c11, v128.load(d, 16)); d += ldd;
    c20 = f32x4.add(c20, v128.load(d)); c21 = f32x4.add(c21, v128.load(d, 16)); d += ldd;
    c30 = f32x4.add(c30, v128.load(d)); c31 = f32x4.add(c31, v128.load(d, 16));
  }
  v128.store(c, c00); v128.store(c, c01, 16); c += ldc;
  v128.store(c, c10); v128.store(c, c11, 16); c += ldc;
  v128.store(c, c20); v128.store(c, c21, 16); c += ldc;
  v128.store(c, c30); v128.store(c, c31, 16);
}

/**
 * Stores the transpose of the 4x4 block at p (rows s bytes apart) as 4 vectors at d, d+ds, d+2ds,
 * d+3ds: out[c] = (row0[c], row1[c], row2[c], row3[c]).
 */
// @ts-ignore: decorator
@inline function transpose4(p: usize, s: usize, d: usize, ds: usize): void {
  const r0 = v128.load(p), r1 = v128.load(p + s), r2 = v128.load(p + 2 * s), r3 = v128.load(p + 3 * s);
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(d + ds, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
  v128.store(d + 2 * ds, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
  v128.store(d + 3 * ds, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
}

/** Packs A[i0:i0+mc, k0:k0+kc] into ceil(mc/4) panels of [kc][4], zero padding the last panel. */
function packA(a: usize, sm: i32, sk: i32, mc: i32, kc: i32, dst: usize): void {
  for (let i = 0; i < mc; i += MR) {
    const rows = min(MR, mc - i);
    const row = a + <usize>(i * sm * 4);
    if (rows == MR && sm == 1) {
      // A is column-major here: the 4 values of one k are adjacent.
      let p = row;
      for (let k = 0; k < kc; k++) { v128.store(dst, v128.load(p)); p += <usize>(sk * 4); dst += 16; }
    } else if (rows == MR && sk == 1) {
      // Row-major A (the usual case): 4x4 blocks loaded as rows and transposed in registers.
      const s = <usize>(sm * 4);
      let p = row, k = 0;
      for (; k + 4 <= kc; k += 4) { transpose4(p, s, dst, 16); p += 16; dst += 64; }
      for (; k < kc; k++) {
        store<f32>(dst, load<f32>(p)); store<f32>(dst, load<f32>(p + s), 4);
        store<f32>(dst, load<f32>(p + 2 * s), 8); store<f32>(dst, load<f32>(p + 3 * s), 12);
        p += 4; dst += 16;
      }
    } else if (rows == MR) {
      const s = <usize>(sm * 4);
      let p = row;
      for (let k = 0; k < kc; k++) {
        store<f32>(dst, load<f32>(p)); store<f32>(dst, load<f32>(p + s), 4);
        store<f32>(dst, load<f32>(p + 2 * s), 8); store<f32>(dst, load<f32>(p + 3 * s), 12);
        p += <usize>(sk * 4); dst += 16;
      }
    } else {
      for (let k = 0; k < kc; k++) {
        for (let r = 0; r < MR; r++) {
          store<f32>(dst + <usize>(r * 4), r < rows ? load<f32>(row + <usize>((r * sm + k * sk) * 4)) : 0);
        }
        dst += 16;
      }
    }
  }
}

/** Packs B[k0:k0+kc, j0:j0+nc] into ceil(nc/8) panels of [kc][8], zero padding the last panel. */
function packB(b: usize, sk: i32, sn: i32, kc: i32, nc: i32, dst: usize): void {
  const full = nc & ~(NR - 1);
  if (sn == 1) {
    // Row-major B: a few rows at a time across all panels, so each row is read sequentially (a
    // panel-by-panel walk strides by whole rows, which defeats the hardware prefetcher).
    for (let k0 = 0; k0 < kc; k0 += KB) {
      const kb = min(KB, kc - k0);
      for (let j = 0; j < full; j += NR) {
        let p = b + <usize>((k0 * sk + j) * 4), d = dst + <usize>((j * kc + k0 * NR) * 4);
        for (let k = 0; k < kb; k++) {
          v128.store(d, v128.load(p)); v128.store(d, v128.load(p, 16), 16);
          p += <usize>(sk * 4); d += 32;
        }
      }
    }
  } else if (sk == 1) {
    // Column-major B (e.g. x @ W^T): 4x4 blocks of each panel's two column quads, transposed.
    const s = <usize>(sn * 4);
    for (let j = 0; j < full; j += NR) {
      let p = b + <usize>(j * sn * 4), d = dst + <usize>(j * kc * 4), k = 0;
      for (; k + 4 <= kc; k += 4) {
        transpose4(p, s, d, 32);
        transpose4(p + 4 * s, s, d + 16, 32);
        p += 16; d += 128;
      }
      for (; k < kc; k++) {
        for (let c = 0; c < NR; c++) store<f32>(d + <usize>(c * 4), load<f32>(p + <usize>(c) * s));
        p += 4; d += 32;
      }
    }
  } else {
    for (let j = 0; j < full; j += NR) {
      let d = dst + <usize>(j * kc * 4);
      for (let k = 0; k < kc; k++) {
        const p = b + <usize>((k * sk + j * sn) * 4);
        for (let c = 0; c < NR; c++) store<f32>(d + <usize>(c * 4), load<f32>(p + <usize>(c * sn * 4)));
        d += 32;
      }
    }
  }
  if (full < nc) {
    // Last, partial panel: zero padded to 8 columns.
    const cols = nc - full;
    let d = dst + <usize>(full * kc * 4);
    for (let k = 0; k < kc; k++) {
      const p = b + <usize>((k * sk + full * sn) * 4);
      for (let c = 0; c < NR; c++) store<f32>(d + <usize>(c * 4), c < cols ? load<f32>(p + <usize>(c * sn * 4)) : 0);
      d += 32;
    }
  }
}

/**
 * One [M,K] x [K,N] product into C with unit column stride and row pitch ldc elements, plus the
 * addend D (unit column stride, row pitch sdm elements: 0 broadcasts one row) when d is not 0.
 */
export function gemm1(M: i32, N: i32, K: i32, a: usize, sam: i32, sak: i32, b: usize, sbk: i32, sbn: i32, c: usize, ldcElems: i32, scratch: usize,
  d: usize, sdm: i32, epi: usize, er: i32, ec: i32): void {
  const pa = scratch, pb = scratch + MC * KC * 4, tile = pb + KC * NC * 4;
  const ldc = <usize>(ldcElems * 4), ldd = <usize>(sdm * 4);
  // With one block of A rows (M <= MC) each B value is used by only M/4 micro-kernels, so packing B
  // (a load and a store per value) costs as much as the multiply-adds when M is small (convolutions
  // with few channels): a row-major B is then read in place, and only its last, partial panel packed.
  // Not when its row pitch is a multiple of 1 KiB (attention's per-head slices of [L, N*H*hd]: 8 KiB):
  // the kc rows of a panel then fall into the same few L1 sets and evict each other (2.2x slower).
  const direct = sbn == 1 && M <= MC && (sbk & 255) != 0;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    const full = direct ? nc & ~(NR - 1) : 0;
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      const b0 = b + <usize>((pc * sbk + jc * sbn) * 4);
      if (!direct) packB(b0, sbk, sbn, kc, nc, pb);
      else if (full < nc) packB(b0 + <usize>(full * 4), sbk, sbn, kc, nc - full, pb);
      const acc = pc > 0, last = pc + kc >= K;
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min(MC, M - ic);
        packA(a + <usize>((ic * sam + pc * sak) * 4), sam, sak, mc, kc, pa);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const inPlace = jr < full;
          const bp = inPlace ? b0 + <usize>(jr * 4) : pb + <usize>((jr - full) * kc * 4);
          const bs = inPlace ? <usize>(sbk * 4) : 32;
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const ap = pa + <usize>(ir * kc * 4);
            const cp = c + <usize>((ic + ir) * ldcElems + jc + jr) * 4;
            const dp = d && last ? d + <usize>((ic + ir) * sdm + jc + jr) * 4 : 0;
            if (mr == MR && nr == NR) {
              micro4x8(kc, ap, bp, bs, cp, ldc, acc, dp, ldd);
            } else {
              // Edge tile: compute into the 4x8 scratch tile, then copy/add the valid part.
              micro4x8(kc, ap, bp, bs, tile, NR * 4, false, 0, 0);
              for (let r = 0; r < mr; r++) {
                for (let q = 0; q < nr; q++) {
                  const dst = cp + <usize>(r * ldcElems + q) * 4;
                  const v = load<f32>(tile + <usize>(r * NR + q) * 4);
                  let x = acc ? load<f32>(dst) + v : v;
                  if (dp) x += load<f32>(dp + <usize>(r * sdm + q) * 4);
                  store<f32>(dst, x);
                }
              }
            }
          }
        }
        // This block of C is final: the epilogue runs on it while it is in cache.
        if (epi && last) gemmEpilogue(epi, er + ic, mc, ec + jc, nc);
      }
    }
  }
}

/**
 * Batched GEMM: for each of `batch` products, A [M,K] at a + i*sab (strides sam, sak), B [K,N] at
 * b + i*sbb (strides sbk, sbn), C [M,N] at c + i*scb with row pitch ldc (unit column stride), plus
 * D [M,N] at d + i*sdb (row stride sdm, unit column stride) when d is not 0. K must be > 0 (the
 * caller zero-fills). The backend's threads each run such a call on a block of C (rows or columns
 * of a larger product: the pitch stays the whole product's), with their own scratch. When epi is not
 * 0, gemmEpilogue runs on each finished block; product i's row 0 is row er + i*erb of the whole
 * [B*M, N] product, and column 0 is its column ec.
 */
export function gemm(batch: i32, M: i32, N: i32, K: i32,
  a: usize, sab: i32, sam: i32, sak: i32,
  b: usize, sbb: i32, sbk: i32, sbn: i32,
  c: usize, scb: i32, ldc: i32, scratch: usize,
  d: usize, sdb: i32, sdm: i32,
  epi: usize, er: i32, erb: i32, ec: i32): void {
  for (let i = 0; i < batch; i++) {
    gemm1(M, N, K, a + <usize>(i * sab * 4), sam, sak, b + <usize>(i * sbb * 4), sbk, sbn, c + <usize>(i * scb * 4), ldc, scratch,
      d ? d + <usize>(i * sdb * 4) : 0, sdm, epi, er + i * erb, ec);
  }
}
