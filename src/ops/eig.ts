// torch.geqrf, torch.linalg.householderProduct (torch.orgqr) and the nonsymmetric eigensolver
// torch.linalg.eig / eigvals. geqrf and eig run LAPACK's algorithms in float64 on the host (as
// PyTorch runs geev on the CPU even for CUDA tensors), so they need synchronous reads (the `...Async`
// variants read asynchronously on any device); householderProduct is a composite of differentiable ops.

import { scalarTypeName, type DType } from '../dtype.js';
import { numel } from '../shape.js';
import { Tensor } from '../tensor.js';
import { isGradEnabled, noGrad } from '../autograd/grad-mode.js';
import { composite, fromArray } from './prim.js';
import { eye } from './creation.js';
import { viewAsComplex } from './complex.js';
import { checkLinalgDtype } from './decomp.js';

function checkFloat(op: string, A: Tensor): void {
  if (!(A instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor for A, got ${typeof A}`);
  checkLinalgDtype(op, A);
}

/** The matrices of A [..., m, n] as float64 row-major host arrays (one copy per matrix). */
function hostMatrices(A: Tensor, data: ArrayLike<number>): Float64Array[] {
  const m = A.shape[A.ndim - 2]!, n = A.shape[A.ndim - 1]!, B = numel(A.shape.slice(0, -2));
  const out: Float64Array[] = [];
  for (let b = 0; b < B; b++) out.push(Float64Array.from({ length: m * n }, (_, i) => data[b * m * n + i]!));
  return out;
}

/** A contiguous detached copy of A whose values the host can read. */
function contiguousDetached(A: Tensor): Tensor { return noGrad(() => A.detach().contiguous()); }

function syncData(op: string, A: Tensor, alternative: string): ArrayLike<number> {
  if (!A.storage.backend.synchronous) {
    throw new Error(`${op}: runs on the host and needs the values of a tensor on '${A.device}', which are only readable asynchronously there; use '${alternative}' instead`);
  }
  return contiguousDetached(A).dataSync() as ArrayLike<number>;
}

// ---------------------------------------------------------------- geqrf

/** Result of torch.geqrf: LAPACK's compact QR. */
export interface GeqrfResult {
  /** R on and above the diagonal; below it, the Householder vectors v_i (their unit leading entry implicit). */
  a: Tensor;
  /** The reflectors' scalars: Q = H_1 ... H_k with H_i = I - tau_i v_i v_i^T, k = min(m, n). */
  tau: Tensor;
}

/**
 * LAPACK's dgeqr2 on a row-major m x n matrix, in place: dlarfg's reflectors (beta = -sign(alpha)
 * ||[alpha; x]||, so R's diagonal carries LAPACK's signs and linalg.qr's R agrees), tau returned.
 */
function geqr2(a: Float64Array, m: number, n: number): Float64Array {
  const k = Math.min(m, n), tau = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let xnorm = 0;
    for (let r = i + 1; r < m; r++) xnorm = Math.hypot(xnorm, a[r * n + i]!);
    const alpha = a[i * n + i]!;
    if (xnorm === 0) continue; // H_i = I: tau 0, as dlarfg
    const beta = -Math.sign(alpha || 1) * Math.hypot(alpha, xnorm);
    tau[i] = (beta - alpha) / beta;
    const scal = 1 / (alpha - beta);
    for (let r = i + 1; r < m; r++) a[r * n + i]! *= scal;
    a[i * n + i] = beta;
    // Apply H_i = I - tau v v^T (v = [1; a[i+1:, i]]) to the trailing columns.
    for (let c = i + 1; c < n; c++) {
      let w = a[i * n + c]!;
      for (let r = i + 1; r < m; r++) w += a[r * n + i]! * a[r * n + c]!;
      w *= tau[i]!;
      a[i * n + c]! -= w;
      for (let r = i + 1; r < m; r++) a[r * n + c]! -= w * a[r * n + i]!;
    }
  }
  return tau;
}

function geqrfFrom(A: Tensor, data: ArrayLike<number>): GeqrfResult {
  const m = A.shape[A.ndim - 2]!, n = A.shape[A.ndim - 1]!, k = Math.min(m, n), batch = A.shape.slice(0, -2);
  const mats = hostMatrices(A, data), B = mats.length;
  const aOut = new Float64Array(B * m * n), tOut = new Float64Array(B * k);
  mats.forEach((a, b) => { tOut.set(geqr2(a, m, n), b * k); aOut.set(a, b * m * n); });
  // Not differentiable (PyTorch 1.13 has no geqrf derivative): the results are recorded without a gradient.
  return { a: fromArray(aOut, [...batch, m, n], A.dtype, A.device), tau: fromArray(tOut, [...batch, k], A.dtype, A.device) };
}

function checkGeqrf(A: Tensor): void {
  if (!(A instanceof Tensor)) throw new TypeError(`geqrf: expected a Tensor for input, got ${typeof A}`);
  if (A.ndim < 2) throw new RangeError('torch.geqrf: input must have at least 2 dimensions.');
  checkFloat('torch.geqrf', A);
  refuseGrad('torch.geqrf', 'geqrf', A, 'PyTorch 1.13 fails at backward');
}

/**
 * PyTorch records these ops and differentiates eig (geqrf's backward raises); results without a
 * gradient here would silently drop their term from a loss's gradient, so an A that requires grad,
 * with grad enabled, is refused until a backward exists.
 */
function refuseGrad(op: string, name: string, A: Tensor, torchHas: string): void {
  if (A.requiresGrad && isGradEnabled()) {
    throw new Error(`${op}: the derivative for '${name}' is not implemented in torchlet (${torchHas}); call it on A.detach() or under torch.noGrad() when no gradient through it is needed`);
  }
}

/**
 * torch.geqrf(A): LAPACK's QR in compact form, { a, tau } (see linalg.householderProduct for Q).
 * Computed in float64 on the host: synchronous devices only (geqrfAsync elsewhere). Not
 * differentiable, as in PyTorch 1.13 (whose backward raises): an A that requires grad, with grad
 * enabled, is refused.
 */
export function geqrf(A: Tensor): GeqrfResult {
  checkGeqrf(A);
  return composite('geqrf', {}, () => geqrfFrom(A, syncData('geqrf', A, 'await torch.geqrfAsync(A)')));
}

/** torch.geqrfAsync (torchlet addition): geqrf on any device (the input is read asynchronously). */
export async function geqrfAsync(A: Tensor): Promise<GeqrfResult> {
  checkGeqrf(A);
  const data = await contiguousDetached(A).data();
  return geqrfFrom(A, data as ArrayLike<number>);
}

// ---------------------------------------------------------------- householder_product

/**
 * torch.linalg.householder_product(A, tau): the first n columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T,
 * v_i being A's column i below the diagonal with a unit i-th entry (geqrf's output), for A [..., m, n]
 * (m >= n) and tau [..., k] (k <= n). A composite of matmuls, so it is differentiable in A and tau.
 */
export function householderProduct(A: Tensor, tau: Tensor): Tensor {
  const op = 'torch.linalg.householder_product';
  if (!(A instanceof Tensor) || !(tau instanceof Tensor)) throw new TypeError(`${op}: expected Tensors for input and tau`);
  if (A.ndim < 2) throw new RangeError(`${op}: input must have at least 2 dimensions.`);
  const m = A.shape[A.ndim - 2]!, n = A.shape[A.ndim - 1]!;
  if (m < n) throw new RangeError(`${op}: input.shape[-2] must be greater than or equal to input.shape[-1]`);
  if (tau.ndim === 0 || n < tau.shape[tau.ndim - 1]!) throw new RangeError(`${op}: input.shape[-1] must be greater than or equal to tau.shape[-1]`);
  if (A.ndim - tau.ndim !== 1) {
    throw new RangeError(`${op}: Expected tau to have one dimension less than input, but got tau.ndim equal to ${tau.ndim} and input.ndim is equal to ${A.ndim}`);
  }
  const batch = A.shape.slice(0, -2), tb = tau.shape.slice(0, -1);
  if (tb.some((s, i) => s !== batch[i])) {
    throw new RangeError(`${op}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got [${tb.join(', ')}]`);
  }
  if (tau.dtype !== A.dtype) throw new TypeError(`${op}: tau dtype ${scalarTypeName(tau.dtype)} does not match input dtype ${scalarTypeName(A.dtype)}`);
  checkFloat(op, A);
  if (tau.device !== A.device) throw new Error(`${op}: Expected input and tau to be on the same device, but found input on ${A.device} and tau on ${tau.device}`);
  const k = tau.shape[tau.ndim - 1]!;
  return composite('householderProduct', {}, () => {
    const I = eye(m, n, { dtype: A.dtype, device: A.device });
    // Unit lower-trapezoidal V: column i is v_i (zeros above the diagonal, 1 on it).
    const V = A.tril(-1).add(I);
    let Q = I.expand([...batch, m, n]).contiguous();
    // Q = H_1 (H_2 (... (H_k I))): each step a rank-one update Q - tau_i v_i (v_i^T Q).
    for (let i = k - 1; i >= 0; i--) {
      const v = V.narrow(-1, i, 1), t = tau.narrow(-1, i, 1).unsqueeze(-1);
      Q = Q.sub(v.mul(t).matmul(v.mT.matmul(Q)));
    }
    return Q;
  });
}

// ---------------------------------------------------------------- eig

/** Result of linalg.eig: complex eigenvalues and unit-norm eigenvectors as columns. */
export interface EigResult {
  /** Eigenvalues [..., n] (complex64 for float32 input, complex128 for float64), in LAPACK's (Schur form) order. */
  eigenvalues: Tensor;
  /** Eigenvectors as columns [..., n, n], each of unit 2-norm with its largest component real (LAPACK geev's normalisation). */
  eigenvectors: Tensor;
}

const EPS = 2.220446049250313e-16;

/** A Householder reflector P = I - beta v v^T with P x = -sign(x0) ||x|| e0 (beta 0 when x is zero). */
function house(x: number[]): { v: number[]; beta: number } {
  const nrm = Math.hypot(...x);
  if (nrm === 0) return { v: x.map(() => 0), beta: 0 };
  const v = x.slice();
  v[0]! += (x[0]! >= 0 ? 1 : -1) * nrm;
  const vv = v.reduce((s, e) => s + e * e, 0);
  return { v, beta: vv === 0 ? 0 : 2 / vv };
}
/** H[rows, c0..c1] = P H[rows, c0..c1] for the reflector on consecutive rows r0.. (row-major, width n). */
function reflectRows(H: Float64Array, n: number, r0: number, c0: number, c1: number, v: number[], beta: number): void {
  if (beta === 0) return;
  for (let c = c0; c <= c1; c++) {
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i]! * H[(r0 + i) * n + c]!;
    s *= beta;
    for (let i = 0; i < v.length; i++) H[(r0 + i) * n + c]! -= s * v[i]!;
  }
}
/** H[r0..r1, cols] = H[r0..r1, cols] P for the reflector on consecutive columns c0... */
function reflectCols(H: Float64Array, n: number, c0: number, r0: number, r1: number, v: number[], beta: number): void {
  if (beta === 0) return;
  for (let r = r0; r <= r1; r++) {
    let s = 0;
    for (let i = 0; i < v.length; i++) s += H[r * n + c0 + i]! * v[i]!;
    s *= beta;
    for (let i = 0; i < v.length; i++) H[r * n + c0 + i]! -= s * v[i]!;
  }
}

/** Applies the plane rotation [c -s; s c] to columns j, j+1 (rows r0..r1) of a row-major n-wide matrix: M G. */
function rotCols(M: Float64Array, n: number, j: number, r0: number, r1: number, c: number, s: number): void {
  for (let r = r0; r <= r1; r++) {
    const a = M[r * n + j]!, b = M[r * n + j + 1]!;
    M[r * n + j] = c * a + s * b;
    M[r * n + j + 1] = -s * a + c * b;
  }
}

/**
 * Real Schur form of H (row-major n x n, overwritten by T) with Z accumulating the orthogonal
 * similarity (A = Z T Z^T): Householder reduction to Hessenberg form, then Francis double-shift QR
 * with deflation. 2 x 2 blocks with real eigenvalues are split by a rotation, so every remaining
 * 2 x 2 block holds a complex-conjugate pair, as LAPACK's standardised real Schur form.
 * Returns false when the iteration does not converge.
 */
function realSchur(H: Float64Array, Z: Float64Array, n: number): boolean {
  for (let k = 0; k + 2 < n; k++) {
    const x: number[] = [];
    for (let r = k + 1; r < n; r++) x.push(H[r * n + k]!);
    const { v, beta } = house(x);
    reflectRows(H, n, k + 1, k, n - 1, v, beta);
    reflectCols(H, n, k + 1, 0, n - 1, v, beta);
    reflectCols(Z, n, k + 1, 0, n - 1, v, beta);
    for (let r = k + 2; r < n; r++) H[r * n + k] = 0;
  }
  let norm = 0;
  for (let i = 0; i < n * n; i++) norm = Math.max(norm, Math.abs(H[i]!));
  const h = (r: number, c: number): number => H[r * n + c]!;
  let hi = n - 1, iter = 0, total = 0;
  while (hi >= 0) {
    // Deflation: the lowest l whose subdiagonal entry is negligible starts the active window.
    let l = hi;
    for (; l > 0; l--) {
      let s = Math.abs(h(l - 1, l - 1)) + Math.abs(h(l, l));
      if (s === 0) s = norm;
      if (Math.abs(h(l, l - 1)) <= EPS * s) { H[l * n + l - 1] = 0; break; }
    }
    if (l === hi) { hi -= 1; iter = 0; continue; }
    if (l === hi - 1) { splitBlock(H, Z, n, hi - 1); hi -= 2; iter = 0; continue; }
    if (++total > 30 * n * Math.max(1, n)) return false;
    iter++;
    const p = l, q = hi;
    let s: number, t: number;
    if (iter % 10 === 0) {
      // Exceptional shift (EISPACK's), against cycling.
      const e = Math.abs(h(q, q - 1)) + Math.abs(h(q - 1, q - 2));
      s = 1.5 * e; t = e * e;
    } else {
      s = h(q - 1, q - 1) + h(q, q);
      t = h(q - 1, q - 1) * h(q, q) - h(q - 1, q) * h(q, q - 1);
    }
    let x = h(p, p) * h(p, p) + h(p, p + 1) * h(p + 1, p) - s * h(p, p) + t;
    let y = h(p + 1, p) * (h(p, p) + h(p + 1, p + 1) - s);
    let z = h(p + 1, p) * h(p + 2, p + 1);
    for (let k = p; k <= q - 2; k++) {
      const { v, beta } = house([x, y, z]);
      const c0 = Math.max(p, k - 1);
      reflectRows(H, n, k, c0, n - 1, v, beta);
      reflectCols(H, n, k, 0, Math.min(k + 3, q), v, beta);
      reflectCols(Z, n, k, 0, n - 1, v, beta);
      if (k > p) { H[(k + 1) * n + k - 1] = 0; H[(k + 2) * n + k - 1] = 0; }
      x = h(k + 1, k); y = h(k + 2, k);
      if (k < q - 2) z = h(k + 3, k);
    }
    const { v, beta } = house([x, y]);
    reflectRows(H, n, q - 1, q - 2, n - 1, v, beta);
    reflectCols(H, n, q - 1, 0, q, v, beta);
    reflectCols(Z, n, q - 1, 0, n - 1, v, beta);
    H[q * n + q - 2] = 0;
  }
  return true;
}

/** Splits the 2 x 2 diagonal block at k into two 1 x 1 blocks by a rotation when its eigenvalues are real. */
function splitBlock(H: Float64Array, Z: Float64Array, n: number, k: number): void {
  const a = H[k * n + k]!, b = H[k * n + k + 1]!, c = H[(k + 1) * n + k]!, d = H[(k + 1) * n + k + 1]!;
  if (c === 0) return;
  const pm = (a - d) / 2, disc = pm * pm + b * c;
  if (disc < 0) return; // a complex pair: the block stays
  // The eigenvalue nearer d goes last; u is an eigenvector of the block for the other one, lam.
  const r = Math.sqrt(disc), lam = (a + d) / 2 + (pm >= 0 ? r : -r);
  let u0 = lam - d, u1 = c; // from the second row: c u0 + (d - lam) u1 = 0
  if (Math.abs(u0) + Math.abs(u1) === 0) { u0 = b; u1 = lam - a; }
  const nu = Math.hypot(u0, u1), cs = u0 / nu, sn = u1 / nu;
  // G = [cs -sn; sn cs] has u as first column; T <- G^T T G, Z <- Z G.
  for (let col = k; col < n; col++) { // rows k, k+1: G^T [rk; rk1]
    const x = H[k * n + col]!, y = H[(k + 1) * n + col]!;
    H[k * n + col] = cs * x + sn * y;
    H[(k + 1) * n + col] = -sn * x + cs * y;
  }
  rotCols(H, n, k, 0, k + 1, cs, sn);
  rotCols(Z, n, k, 0, n - 1, cs, sn);
  H[(k + 1) * n + k] = 0;
}

/**
 * Eigenvalues (interleaved re, im) and, when `vectors`, eigenvectors (row-major n x n, interleaved)
 * of a real n x n matrix, normalised as LAPACK's geev: unit 2-norm, the largest component real.
 */
function eigOne(A: Float64Array, n: number, vectors: boolean): { w: Float64Array; V: Float64Array } | null {
  const T = A.slice(), Z = new Float64Array(n * n);
  for (let i = 0; i < n; i++) Z[i * n + i] = 1;
  if (!realSchur(T, Z, n)) return null;
  const t = (r: number, c: number): number => T[r * n + c]!;
  const w = new Float64Array(2 * n);
  const blockStart: number[] = []; // for each index, the start of its diagonal block
  for (let i = 0; i < n; ) {
    if (i + 1 < n && t(i + 1, i) !== 0) {
      // A standardised-enough pair: equal real parts, the positive imaginary part first (as LAPACK).
      const a = t(i, i), b = t(i, i + 1), c = t(i + 1, i), d = t(i + 1, i + 1);
      const re = (a + d) / 2, pm = (a - d) / 2, im = Math.sqrt(Math.max(0, -(pm * pm + b * c)));
      w[2 * i] = re; w[2 * i + 1] = im; w[2 * i + 2] = re; w[2 * i + 3] = -im;
      blockStart.push(i, i); i += 2;
    } else { w[2 * i] = t(i, i); blockStart.push(i); i += 1; }
  }
  const V = new Float64Array(vectors ? 2 * n * n : 0);
  if (!vectors) return { w, V };
  let tnorm = 0;
  for (let i = 0; i < n * n; i++) tnorm = Math.max(tnorm, Math.abs(T[i]!));
  const smin = Math.max(EPS * tnorm, Number.MIN_VALUE);
  const xr = new Float64Array(n), xi = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const lr = w[2 * j]!, li = w[2 * j + 1]!;
    if (li < 0) { // the conjugate of column j - 1's vector
      for (let r = 0; r < n; r++) { V[2 * (r * n + j)] = V[2 * (r * n + j - 1)]!; V[2 * (r * n + j) + 1] = -V[2 * (r * n + j - 1) + 1]!; }
      continue;
    }
    xr.fill(0); xi.fill(0);
    const s = blockStart[j]!;
    let top: number;
    if (li > 0) {
      // Null vector of the 2 x 2 block minus lambda: (b, lambda - a).
      xr[s] = t(s, s + 1); xi[s] = 0;
      xr[s + 1] = lr - t(s, s); xi[s + 1] = li;
      top = s - 1;
    } else { xr[j] = 1; top = j - 1; }
    const last = li > 0 ? s + 1 : j;
    // Back-substitution (T - lambda I) x = 0 upward over the blocks above, in complex arithmetic.
    for (let i = top; i >= 0; ) {
      const rhs = (r: number): [number, number] => {
        let sr = 0, si = 0;
        for (let c = r + 1; c <= last; c++) { sr -= t(r, c) * xr[c]!; si -= t(r, c) * xi[c]!; }
        return [sr, si];
      };
      if (i > 0 && t(i, i - 1) !== 0) {
        // 2 x 2 block rows i-1, i: solve [[a - l, b], [c, d - l]] [x0; x1] = [r0; r1] by Cramer's rule.
        const r0 = rhs(i - 1), r1 = rhs(i);
        // rhs(i - 1) must not include x[i], which is still zero here; it does not (xr[i] = 0 yet).
        const ar = t(i - 1, i - 1) - lr, ai = -li, b = t(i - 1, i), c = t(i, i - 1), dr = t(i, i) - lr, di = -li;
        let detr = ar * dr - ai * di - b * c, deti = ar * di + ai * dr;
        if (Math.hypot(detr, deti) < smin) { detr = smin; deti = 0; }
        // x0 = (r0 (d - l) - b r1) / det, x1 = ((a - l) r1 - c r0) / det
        const n0r = r0[0] * dr - r0[1] * di - b * r1[0], n0i = r0[0] * di + r0[1] * dr - b * r1[1];
        const n1r = ar * r1[0] - ai * r1[1] - c * r0[0], n1i = ar * r1[1] + ai * r1[0] - c * r0[1];
        const dd = detr * detr + deti * deti;
        xr[i - 1] = (n0r * detr + n0i * deti) / dd; xi[i - 1] = (n0i * detr - n0r * deti) / dd;
        xr[i] = (n1r * detr + n1i * deti) / dd; xi[i] = (n1i * detr - n1r * deti) / dd;
        i -= 2;
      } else {
        const [sr, si] = rhs(i);
        let dr = t(i, i) - lr, di = -li;
        if (Math.hypot(dr, di) < smin) { dr = smin; di = 0; }
        const dd = dr * dr + di * di;
        xr[i] = (sr * dr + si * di) / dd; xi[i] = (si * dr - sr * di) / dd;
        i -= 1;
      }
      // Rescale against overflow in long back-substitutions of near-singular systems.
      let mx = 0;
      for (let r = 0; r <= last; r++) mx = Math.max(mx, Math.abs(xr[r]!), Math.abs(xi[r]!));
      if (mx > 1e100) for (let r = 0; r <= last; r++) { xr[r]! /= mx; xi[r]! /= mx; }
    }
    // v = Z x, then geev's normalisation.
    let nrm = 0, big = -1, bigAt = 0;
    const vr = new Float64Array(n), vi = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      let sr = 0, si = 0;
      for (let c = 0; c <= last; c++) { sr += Z[r * n + c]! * xr[c]!; si += Z[r * n + c]! * xi[c]!; }
      vr[r] = sr; vi[r] = si;
      const m2 = sr * sr + si * si;
      nrm += m2;
      if (m2 > big) { big = m2; bigAt = r; }
    }
    nrm = Math.sqrt(nrm);
    // Scale by conj(v_big) / |v_big| (sign of its real part kept, as dlartg's r) / ||v||.
    let cr = 1, ci = 0;
    if (li !== 0) {
      const br = vr[bigAt]!, bi = vi[bigAt]!, bm = Math.hypot(br, bi), sg = br < 0 ? -1 : 1;
      cr = sg * br / bm; ci = -sg * bi / bm;
    }
    for (let r = 0; r < n; r++) {
      const a = vr[r]! / nrm, b = vi[r]! / nrm;
      V[2 * (r * n + j)] = a * cr - b * ci;
      V[2 * (r * n + j) + 1] = li === 0 ? 0 : a * ci + b * cr;
    }
  }
  return { w, V };
}

const EIG_FAIL = 'The algorithm failed to converge because the input matrix is ill-conditioned or has too many repeated eigenvalues (error code: $V).';

function checkEig(op: string, A: Tensor): void {
  if (!(A instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor for A, got ${typeof A}`);
  refuseGrad(op, op.replace('.', '_'), A, 'PyTorch 1.13 has one');
  if (A.ndim < 2) throw new RangeError(`${op}: The input tensor A must have at least 2 dimensions.`);
  const m = A.shape[A.ndim - 2]!, n = A.shape[A.ndim - 1]!;
  if (m !== n) throw new RangeError(`${op}: A must be batches of square matrices, but they are ${m} by ${n} matrices`);
  checkFloat(op, A);
}

function eigFrom(op: string, A: Tensor, data: ArrayLike<number>, vectors: boolean): EigResult {
  const n = A.shape[A.ndim - 1]!, batch = A.shape.slice(0, -2);
  const mats = hostMatrices(A, data), B = mats.length;
  // PyTorch 1.13's eig rejects non-finite input; its eigvals (no gradient) passes it to LAPACK, whose
  // results are then NaN or arbitrary: NaN here.
  if (vectors && mats.some((a) => a.some((v) => !Number.isFinite(v)))) throw new RangeError('torch.linalg.eig: input tensor should not contain infs or NaNs.');
  const w = new Float64Array(B * 2 * n), V = new Float64Array(vectors ? B * 2 * n * n : 0);
  mats.forEach((a, b) => {
    if (a.some((v) => !Number.isFinite(v))) { w.fill(NaN, b * 2 * n, (b + 1) * 2 * n); return; }
    const r = eigOne(a, n, vectors);
    if (r === null) throw new RangeError(`${op}: ${B > 1 || batch.length > 0 ? `(Batch element ${b}): ` : ''}${EIG_FAIL.replace('$V', String(n))}`);
    w.set(r.w, b * 2 * n);
    if (vectors) V.set(r.V, b * 2 * n * n);
  });
  const complexOf = (d: Float64Array, shape: number[]): Tensor => viewAsComplex(fromArray(d, [...shape, 2], A.dtype as DType, A.device));
  return {
    eigenvalues: complexOf(w, [...batch, n]),
    eigenvectors: vectors ? complexOf(V, [...batch, n, n]) : complexOf(new Float64Array(0), [0]),
  };
}

/**
 * torch.linalg.eig(A): eigenvalues and eigenvectors of real square matrices [..., n, n] (float32 or
 * float64), as complex tensors. Hessenberg reduction and Francis double-shift QR to the real Schur
 * form, then eigenvectors by back-substitution, in float64 on the host: synchronous devices only
 * (linalg.eigAsync elsewhere). Eigenvectors are unique only up to a complex scale; each column has
 * unit norm with its largest component real, as LAPACK's geev. Not differentiable yet (PyTorch's
 * is): an A that requires grad, with grad enabled, is refused rather than given results whose
 * gradient would silently be missing.
 */
export function eig(A: Tensor): EigResult {
  checkEig('linalg.eig', A);
  return composite('linalgEig', {}, () => eigFrom('linalg.eig', A, syncData('linalg.eig', A, 'await torch.linalg.eigAsync(A)'), true));
}

/** torch.linalg.eigvals(A): the complex eigenvalues of real square matrices, in linalg.eig's order (not differentiable yet: see eig). */
export function eigvals(A: Tensor): Tensor {
  checkEig('linalg.eigvals', A);
  return composite('linalgEigvals', {}, () => eigFrom('linalg.eigvals', A, syncData('linalg.eigvals', A, 'await torch.linalg.eigvalsAsync(A)'), false).eigenvalues);
}

/** torch.linalg.eigAsync (torchlet addition): linalg.eig on any device (the input is read asynchronously). */
export async function eigAsync(A: Tensor): Promise<EigResult> {
  checkEig('linalg.eig', A);
  return eigFrom('linalg.eig', A, (await contiguousDetached(A).data()) as ArrayLike<number>, true);
}

/** torch.linalg.eigvalsAsync (torchlet addition): linalg.eigvals on any device (the input is read asynchronously). */
export async function eigvalsAsync(A: Tensor): Promise<Tensor> {
  checkEig('linalg.eigvals', A);
  return eigFrom('linalg.eigvals', A, (await contiguousDetached(A).data()) as ArrayLike<number>, false).eigenvalues;
}
