// The CPU's dense linear-algebra kernels (Backend.linalg): plain float64 loops over one matrix at a
// time, whatever the tensor dtype, so float64 results are accurate to float64 and float32 ones are
// float64 results rounded once. Contracts (shapes, info codes, LAPACK's conventions) are those of
// LinalgKernel in ../backend.ts; the WebGPU WGSL kernels (shaders/linalg.wgsl) follow the same ones.

import type { LinalgKernel } from '../backend.js';

/** One kernel call on a batch: `ins` as float64 copies, `outs` preallocated (float64 or int32). */
export interface LinalgArgs {
  ins: Float64Array[];
  inShapes: (readonly number[])[];
  outs: (Float64Array | Int32Array)[];
  outShapes: (readonly number[])[];
}

const EPS = 2.220446049250313e-16;

/** Runs kernel k over every matrix of the batch (the leading dim of every operand). */
export function runLinalg(k: LinalgKernel, a: LinalgArgs): void {
  const B = a.inShapes[0]![0]!;
  const sz = (s: readonly number[]) => s.slice(1).reduce((x, y) => x * y, 1);
  const inSz = a.inShapes.map(sz), outSz = a.outShapes.map(sz);
  for (let b = 0; b < B; b++) {
    const ins = a.ins.map((x, i) => x.subarray(b * inSz[i]!, (b + 1) * inSz[i]!));
    const outs = a.outs.map((x, i) => x.subarray(b * outSz[i]!, (b + 1) * outSz[i]!));
    const s = a.inShapes[0]!;
    switch (k) {
      case 'cholesky': cholesky(ins[0]!, s[1]!, outs[0] as Float64Array, outs[1] as Int32Array); break;
      case 'lu': lu(ins[0]!, s[1]!, outs[0] as Float64Array, outs[1] as Int32Array, outs[2] as Int32Array); break;
      case 'luSolve': case 'luSolveT':
        luSolve(ins[0]!, s[1]!, ins[1]!, ins[2]!, a.inShapes[2]![2]!, outs[0] as Float64Array, k === 'luSolveT'); break;
      case 'qr': qr(ins[0]!, s[1]!, s[2]!, outs[0] as Float64Array, a.outShapes[0]![2]!, outs[1] as Float64Array); break;
      case 'eigh': eigh(ins[0]!, s[1]!, outs[0] as Float64Array, outs[1] as Float64Array); break;
      case 'svd': svd(ins[0]!, s[1]!, s[2]!, outs[0] as Float64Array, a.outShapes[0]![2]!, outs[1] as Float64Array, outs[2] as Float64Array, a.outShapes[2]![1]!); break;
    }
  }
}

/** Lower Cholesky factor of the lower triangle of a (n x n); info = order of the first non-PD leading minor, else 0. */
function cholesky(a: Float64Array, n: number, L: Float64Array, info: Int32Array): void {
  L.fill(0);
  info[0] = 0;
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!;
    for (let k = 0; k < j; k++) d -= L[j * n + k]! * L[j * n + k]!;
    if (!(d > 0)) { info[0] = j + 1; return; }
    const ljj = Math.sqrt(d);
    L[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      L[i * n + j] = s / ljj;
    }
  }
}

/**
 * LU with partial pivoting (LAPACK getf2): LU holds L (unit, below) and U; piv[i] (1-based) is the
 * row swapped with row i; info = 1-based index of the first exactly zero pivot, else 0.
 */
function lu(a: Float64Array, n: number, LU: Float64Array, piv: Int32Array, info: Int32Array): void {
  LU.set(a);
  info[0] = 0;
  for (let j = 0; j < n; j++) {
    let p = j, best = Math.abs(LU[j * n + j]!);
    for (let i = j + 1; i < n; i++) { const v = Math.abs(LU[i * n + j]!); if (v > best) { best = v; p = i; } }
    piv[j] = p + 1;
    const pv = LU[p * n + j]!;
    if (pv !== 0) {
      if (p !== j) for (let c = 0; c < n; c++) { const t = LU[j * n + c]!; LU[j * n + c] = LU[p * n + c]!; LU[p * n + c] = t; }
      for (let i = j + 1; i < n; i++) LU[i * n + j] = LU[i * n + j]! / pv;
    } else if (info[0] === 0) info[0] = j + 1;
    for (let i = j + 1; i < n; i++) {
      const l = LU[i * n + j]!;
      if (l !== 0) for (let c = j + 1; c < n; c++) LU[i * n + c] = LU[i * n + c]! - l * LU[j * n + c]!;
    }
  }
}

/** Solves A X = B (b: n x k) from A's LU (trans: from the LU of A^T, as LAPACK getrs 'T'). */
function luSolve(LU: Float64Array, n: number, piv: Float64Array, b: Float64Array, k: number, X: Float64Array, trans: boolean): void {
  X.set(b); // piv: float64 copies of the int32 pivots
  const swap = (i: number) => {
    const p = piv[i]! - 1;
    if (p !== i) for (let c = 0; c < k; c++) { const t = X[i * k + c]!; X[i * k + c] = X[p * k + c]!; X[p * k + c] = t; }
  };
  if (!trans) {
    for (let i = 0; i < n; i++) swap(i);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) { const l = LU[i * n + j]!; if (l !== 0) for (let c = 0; c < k; c++) X[i * k + c] = X[i * k + c]! - l * X[j * k + c]!; }
    for (let i = n - 1; i >= 0; i--) {
      for (let j = i + 1; j < n; j++) { const u = LU[i * n + j]!; if (u !== 0) for (let c = 0; c < k; c++) X[i * k + c] = X[i * k + c]! - u * X[j * k + c]!; }
      const d = LU[i * n + i]!;
      for (let c = 0; c < k; c++) X[i * k + c] = X[i * k + c]! / d;
    }
  } else {
    // (P L U)^T X = B: U^T y = B, L^T z = y, X = P z.
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) { const u = LU[j * n + i]!; if (u !== 0) for (let c = 0; c < k; c++) X[i * k + c] = X[i * k + c]! - u * X[j * k + c]!; }
      const d = LU[i * n + i]!;
      for (let c = 0; c < k; c++) X[i * k + c] = X[i * k + c]! / d;
    }
    for (let i = n - 1; i >= 0; i--) for (let j = i + 1; j < n; j++) { const l = LU[j * n + i]!; if (l !== 0) for (let c = 0; c < k; c++) X[i * k + c] = X[i * k + c]! - l * X[j * k + c]!; }
    for (let i = n - 1; i >= 0; i--) swap(i);
  }
}

/**
 * Householder QR (LAPACK geqrf/orgqr conventions, so Q and R match PyTorch's): Q is m x kq
 * (kq = min(m,n) reduced, m complete), R is kq x n, upper triangular.
 */
function qr(a: Float64Array, m: number, n: number, Q: Float64Array, kq: number, R: Float64Array): void {
  const A = Float64Array.from(a), k = Math.min(m, n);
  const tau = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    // dlarfg on A[j:, j]
    const alpha = A[j * n + j]!;
    let xn = 0;
    for (let i = j + 1; i < m; i++) xn = Math.hypot(xn, A[i * n + j]!);
    if (xn === 0) { tau[j] = 0; continue; }
    const beta = -Math.sign(alpha || 1) * Math.hypot(alpha, xn);
    tau[j] = (beta - alpha) / beta;
    const sc = 1 / (alpha - beta);
    for (let i = j + 1; i < m; i++) A[i * n + j] = A[i * n + j]! * sc;
    A[j * n + j] = beta;
    // apply H = I - tau v v^T (v = [1, A[j+1:, j]]) to A[j:, j+1:]
    for (let c = j + 1; c < n; c++) {
      let s = A[j * n + c]!;
      for (let i = j + 1; i < m; i++) s += A[i * n + j]! * A[i * n + c]!;
      s *= tau[j]!;
      A[j * n + c] = A[j * n + c]! - s;
      for (let i = j + 1; i < m; i++) A[i * n + c] = A[i * n + c]! - s * A[i * n + j]!;
    }
  }
  R.fill(0);
  for (let i = 0; i < Math.min(kq, m); i++) for (let c = i; c < n; c++) R[i * n + c] = A[i * n + c]!;
  // Q = H_0 ... H_{k-1} applied to the first kq columns of the identity, from the last reflector.
  Q.fill(0);
  for (let i = 0; i < kq; i++) Q[i * kq + i] = 1;
  for (let j = k - 1; j >= 0; j--) {
    const t = tau[j]!;
    if (t === 0) continue;
    for (let c = 0; c < kq; c++) {
      let s = Q[j * kq + c]!;
      for (let i = j + 1; i < m; i++) s += A[i * n + j]! * Q[i * kq + c]!;
      s *= t;
      Q[j * kq + c] = Q[j * kq + c]! - s;
      for (let i = j + 1; i < m; i++) Q[i * kq + c] = Q[i * kq + c]! - s * A[i * n + j]!;
    }
  }
}

/** Symmetric eigendecomposition of the lower triangle of a by cyclic Jacobi: w ascending, V's columns the eigenvectors. */
function eigh(a: Float64Array, n: number, w: Float64Array, V: Float64Array): void {
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) { A[i * n + j] = a[i * n + j]!; A[j * n + i] = a[i * n + j]!; }
  const Vw = new Float64Array(n * n);
  for (let i = 0; i < n; i++) Vw[i * n + i] = 1;
  let nanIn = false;
  for (let i = 0; i < n * n; i++) if (Number.isNaN(A[i]!)) nanIn = true;
  for (let sweep = 0; sweep < 100 && !nanIn; sweep++) {
    // A rotation is skipped once |a_pq| is below rounding of the diagonal it couples (de Rijk's
    // test); a sweep without rotations ends the iteration.
    let rotated = false;
    for (let p = 0; p < n - 1; p++) for (let q = p + 1; q < n; q++) {
      const apq = A[p * n + q]!;
      const app = A[p * n + p]!, aqq = A[q * n + q]!;
      if (apq === 0 || Math.abs(apq) <= EPS * 0.5 * Math.sqrt(Math.abs(app * aqq))) continue;
      rotated = true;
      const theta = (aqq - app) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(1 + theta * theta));
      const c = 1 / Math.sqrt(1 + t * t), s = t * c;
      for (let r = 0; r < n; r++) { // columns p, q
        const x = A[r * n + p]!, y = A[r * n + q]!;
        A[r * n + p] = c * x - s * y; A[r * n + q] = s * x + c * y;
      }
      for (let r = 0; r < n; r++) { // rows p, q
        const x = A[p * n + r]!, y = A[q * n + r]!;
        A[p * n + r] = c * x - s * y; A[q * n + r] = s * x + c * y;
      }
      A[p * n + q] = 0; A[q * n + p] = 0;
      for (let r = 0; r < n; r++) {
        const x = Vw[r * n + p]!, y = Vw[r * n + q]!;
        Vw[r * n + p] = c * x - s * y; Vw[r * n + q] = s * x + c * y;
      }
    }
    if (!rotated) break;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => A[i * n + i]! - A[j * n + j]!);
  order.forEach((src, dst) => {
    w[dst] = nanIn ? NaN : A[src * n + src]!;
    for (let r = 0; r < n; r++) V[r * n + dst] = nanIn ? NaN : Vw[r * n + src]!;
  });
}

/**
 * SVD by one-sided Jacobi: U m x ku (ku = min(m,n), or m when full), S descending, Vh kv x n (kv =
 * min(m,n), or n when full). Columns for zero singular values and the full-matrix extension are
 * completed to an orthonormal basis.
 */
function svd(a: Float64Array, m: number, n: number, U: Float64Array, ku: number, S: Float64Array, Vh: Float64Array, kv: number): void {
  const tr = m < n, M = tr ? n : m, N = tr ? m : n; // work on the tall one: W (M x N) = A or A^T
  const W = new Float64Array(M * N);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) { if (tr) W[j * N + i] = a[i * n + j]!; else W[i * N + j] = a[i * n + j]!; }
  const V = new Float64Array(N * N);
  for (let i = 0; i < N; i++) V[i * N + i] = 1;
  let nanIn = false;
  for (const v of W) if (!Number.isFinite(v)) nanIn = true;
  for (let sweep = 0; sweep < 100 && !nanIn; sweep++) {
    let rotated = false;
    for (let p = 0; p < N - 1; p++) for (let q = p + 1; q < N; q++) {
      let al = 0, be = 0, ga = 0;
      for (let r = 0; r < M; r++) { const x = W[r * N + p]!, y = W[r * N + q]!; al += x * x; be += y * y; ga += x * y; }
      if (ga === 0 || Math.abs(ga) <= EPS * Math.sqrt(al * be)) continue;
      rotated = true;
      const zeta = (be - al) / (2 * ga);
      const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
      const c = 1 / Math.sqrt(1 + t * t), s = c * t;
      for (let r = 0; r < M; r++) { const x = W[r * N + p]!, y = W[r * N + q]!; W[r * N + p] = c * x - s * y; W[r * N + q] = s * x + c * y; }
      for (let r = 0; r < N; r++) { const x = V[r * N + p]!, y = V[r * N + q]!; V[r * N + p] = c * x - s * y; V[r * N + q] = s * x + c * y; }
    }
    if (!rotated) break;
  }
  const sv = new Float64Array(N);
  for (let j = 0; j < N; j++) { let s = 0; for (let r = 0; r < M; r++) s = Math.hypot(s, W[r * N + j]!); sv[j] = s; }
  const order = Array.from({ length: N }, (_, i) => i).sort((i, j) => sv[j]! - sv[i]!);
  // Left vectors of the tall problem: X (M x kx), right: Y (N x N).
  const kx = tr ? kv : ku;
  const X = new Float64Array(M * kx), ok = new Uint8Array(kx);
  const smax = sv[order[0]!] ?? 0;
  order.forEach((src, dst) => {
    S[dst] = nanIn ? NaN : sv[src]!;
    const s = sv[src]!;
    if (s > smax * EPS * M && s > 0) { ok[dst] = 1; for (let r = 0; r < M; r++) X[r * kx + dst] = W[r * N + src]! / s; }
  });
  completeBasis(X, M, kx, ok);
  const Y = new Float64Array(N * N);
  order.forEach((src, dst) => { for (let r = 0; r < N; r++) Y[r * N + dst] = V[r * N + src]!; });
  if (nanIn) { X.fill(NaN); Y.fill(NaN); }
  const kl = tr ? ku : kv; // columns of Y used
  if (!tr) {
    U.set(X);
    for (let i = 0; i < kl; i++) for (let j = 0; j < n; j++) Vh[i * n + j] = Y[j * N + i]!;
  } else {
    for (let r = 0; r < m; r++) for (let c = 0; c < ku; c++) U[r * ku + c] = Y[r * N + c]!;
    for (let i = 0; i < kv; i++) for (let j = 0; j < n; j++) Vh[i * n + j] = X[j * kx + i]!;
  }
}

/** Fills the columns of X (M x k) not marked ok with unit vectors orthogonalised against the rest. */
function completeBasis(X: Float64Array, M: number, k: number, ok: Uint8Array): void {
  for (let c = 0; c < k; c++) {
    if (ok[c]) continue;
    let bestV: Float64Array | null = null, bestN = -1;
    for (let e = 0; e < M; e++) {
      const v = new Float64Array(M);
      v[e] = 1;
      for (let pass = 0; pass < 2; pass++) {
        for (let d = 0; d < k; d++) {
          if (!ok[d]) continue;
          let dot = 0;
          for (let r = 0; r < M; r++) dot += X[r * k + d]! * v[r]!;
          for (let r = 0; r < M; r++) v[r] = v[r]! - dot * X[r * k + d]!;
        }
      }
      let nv = 0;
      for (let r = 0; r < M; r++) nv = Math.hypot(nv, v[r]!);
      if (nv > bestN) { bestN = nv; bestV = v; }
      if (nv > 0.7) break;
    }
    for (let r = 0; r < M; r++) X[r * k + c] = bestV![r]! / bestN;
    ok[c] = 1;
  }
}
