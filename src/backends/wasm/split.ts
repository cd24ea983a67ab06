// How the CPU backend cuts one kernel call into calls for its threads (./threads.ts). Contract: a cut
// never changes any element's arithmetic, so results are bit-identical for every thread count:
// elementwise work is cut by shape alone at whole rows or at multiples of 16 elements (the SIMD lanes
// and scalar tails fall where they fall without the cut), and GEMM at multiples of its 4x8 register
// tile, which keeps every element's multiply-add sequence (the K blocking) unchanged.

import type { CallList, KernelName } from './threads.js';

/** Elements below which an op stays one call, not cut (handed to a worker whole: threads.ts run). */
export const PAR_MIN = 1 << 15;
/** Elements per call when an op is cut (~5-20 us of elementwise work each). */
export const CHUNK = 1 << 14;
/** Multiply-adds below which a GEMM stays one call. */
export const GEMM_PAR_MIN = 1 << 19;

/**
 * Adds calls covering a [rows, cols] window of `perElement` work each: whole rows per call, or column
 * ranges of single rows (multiples of 16 when a chunk holds that many) when one row is more than a
 * chunk. `make(r0, nr, c0, nc)` gives the arguments of the call for rows r0..r0+nr, columns c0..c0+nc;
 * argument `scratchArg` (if >= 0) is the running thread's scratch, filled in by the pool.
 */
export function split2d(list: CallList, name: KernelName, rows: number, cols: number,
  make: (r0: number, nr: number, c0: number, nc: number) => number[], perElement = 1, scratchArg = -1): void {
  if (rows * cols * perElement <= CHUNK) { list.push(name, make(0, rows, 0, cols), rows * cols * perElement, scratchArg); return; }
  const per = Math.max(1, Math.floor(CHUNK / perElement));
  if (cols > per) {
    const step = per >= 16 ? per & ~15 : per;
    for (let r = 0; r < rows; r++) {
      for (let c0 = 0; c0 < cols; c0 += step) list.push(name, make(r, 1, c0, Math.min(step, cols - c0)), Math.min(step, cols - c0) * perElement, scratchArg);
    }
    return;
  }
  const nr0 = Math.max(1, Math.floor(per / cols));
  for (let r0 = 0; r0 < rows; r0 += nr0) {
    const nr = Math.min(nr0, rows - r0);
    list.push(name, make(r0, nr, 0, cols), nr * cols * perElement, scratchArg);
  }
}

/** Cuts n into parts of `step`-aligned sizes, at most `parts` of them; returns their starts and sizes. */
function cut(n: number, parts: number, align: number): [number, number][] {
  const size = Math.ceil(Math.ceil(n / parts) / align) * align;
  const out: [number, number][] = [];
  for (let s = 0; s < n; s += size) out.push([s, Math.min(size, n - s)]);
  return out;
}

/** Cuts n into `parts` parts whose sizes differ by at most one (larger first); returns their starts and sizes. */
export function evenParts(n: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  for (let p = 0, s = 0; p < parts; p++) {
    const size = Math.floor(n / parts) + (p < n % parts ? 1 : 0);
    out.push([s, size]);
    s += size;
  }
  return out;
}

export interface GemmArgs {
  B: number; M: number; N: number; K: number;
  a: number; sab: number; sam: number; sak: number;
  b: number; sbb: number; sbk: number; sbn: number;
  /** Byte address of C, contiguous [B, M, N]. */
  c: number;
  /** An addend D added to the product (matmulEpilogue): byte address (0: none), batch and row strides; unit column stride. */
  d?: number; sdb?: number; sdm?: number;
  /** A program run on each finished block of C (gemmEpilogue in wasm/gemm.ts): its descriptor's byte address (0: none). */
  epi?: number;
}

/**
 * Adds the calls of C = A @ B for `threads` threads: one call when small, else batches grouped, or
 * each product's C cut into an mParts x nParts grid (rows at multiples of 4, columns of 8, the
 * micro-tile) shaped so that the re-packing it costs (A once per column part, B once per row part)
 * is least. Argument 15 of each call is its thread's scratch, filled in by the pool.
 */
export function splitGemm(list: CallList, g: GemmArgs, threads: number): void {
  const { B, M, N, K } = g;
  const call = (b0: number, nb: number, m0: number, nm: number, n0: number, nn: number) => list.push('gemm', [nb, nm, nn, K,
    g.a + 4 * (b0 * g.sab + m0 * g.sam), g.sab, g.sam, g.sak, g.b + 4 * (b0 * g.sbb + n0 * g.sbn), g.sbb, g.sbk, g.sbn,
    g.c + 4 * (b0 * M * N + m0 * N + n0), M * N, N, 0,
    g.d ? g.d + 4 * (b0 * g.sdb! + m0 * g.sdm! + n0) : 0, g.sdb ?? 0, g.sdm ?? 0, g.epi ?? 0, b0 * M + m0, M, n0], nb * nm * nn * K, 15);
  const total = B * M * N * K;
  if (threads <= 1 || total < GEMM_PAR_MIN) { call(0, B, 0, M, 0, N); return; }
  if (B >= 2 * threads || M * N * K < GEMM_PAR_MIN) {
    for (const [b0, nb] of cut(B, Math.min(B, 2 * threads), 1)) call(b0, nb, 0, M, 0, N);
    return;
  }
  const mParts = Math.max(1, Math.min(threads, Math.floor(M / 32), Math.round(Math.sqrt(threads * M / N))));
  const nParts = Math.max(1, Math.min(Math.ceil(threads / mParts), Math.floor(N / 32)));
  for (let b0 = 0; b0 < B; b0++) {
    for (const [m0, nm] of cut(M, mParts, 4)) for (const [n0, nn] of cut(N, nParts, 8)) call(b0, 1, m0, nm, n0, nn);
  }
}
