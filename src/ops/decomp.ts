// torch.linalg's decompositions and everything built on them. Six Backend.linalg kernels (cholesky,
// lu, luSolve(T), qr, eigh, svd) compute values; eight differentiable primitives record them
// (linalgSolve, linalgCholesky, linalgDet, linalgSlogdet, linalgQr, linalgEigh, linalgSvd,
// linalgPinv), with PyTorch's backward formulas below (the derivatives table calls them). The LU API
// (luFactor(Ex), lu, luSolve, luUnpack) is differentiated through composites of differentiable ops.
// Multi-output decompositions record one primitive on a packed [..., parts] tensor that the results
// are views of, so one single-output autograd node serves Q and R, U, S and Vh, or the eigenvalues and eigenvectors.
// Everything else (inv, lstsq, matrixRank, cond, matrixPower, matrixExp) composes these with ops.

import type { LinalgKernel } from '../backends/backend.js';
import { isCapturing } from '../backends/registry.js';
import { scalarTypeName, type DType } from '../dtype.js';
import { broadcastShapes, numel, shapesEqual } from '../shape.js';
import { state } from '../state.js';
import { Tensor } from '../tensor.js';
import { noGrad } from '../autograd/grad-mode.js';
import { backendOf, composite, empty, record, type PrimAttrs } from './prim.js';
import type { SavedCtx } from '../autograd/derivatives.js';
import { arange, eye, ones, zeros } from './creation.js';
import { where } from './elementwise.js';
import { cat } from './shape.js';
import { matrixNorm } from './matrix.js'; // used inside functions only (matrix.ts imports this module)

const EPS: Record<string, number> = { float32: 1.1920928955078125e-7, float64: 2.220446049250313e-16 };

// ---------------------------------------------------------------- checks and kernels

/** @internal The dtypes the decompositions take: float32 or float64, else PyTorch's TypeError naming t's. */
export function checkLinalgDtype(op: string, t: Tensor): void {
  if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new TypeError(`${op}: Expected a floating point tensor (float32 or float64) as input. Got ${t.dtype}`);
}

function checkMatrix(op: string, A: Tensor, square: boolean): void {
  if (!(A instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor for A, got ${typeof A}`);
  if (A.ndim < 2) throw new RangeError(`${op}: The input tensor A must have at least 2 dimensions.`);
  const m = A.shape[A.ndim - 2]!, n = A.shape[A.ndim - 1]!;
  if (square && m !== n) throw new RangeError(`${op}: A must be batches of square matrices, but they are ${m} by ${n} matrices`);
  checkLinalgDtype(op, A);
}

/** A contiguous, detached copy of t as [B, ...last two dims] (a view when t is already contiguous). */
function mat3(t: Tensor): Tensor {
  return noGrad(() => {
    const c = t.detach().contiguous();
    return c.reshape([numel(t.shape.slice(0, -2)), ...t.shape.slice(-2)]);
  });
}

/** Runs a Backend.linalg kernel on contiguous [B, ...] inputs into fresh outputs of the given shapes. */
function runKernel(op: string, k: LinalgKernel, ins: Tensor[], outs: [number[], DType][]): Tensor[] {
  const x = ins[0]!, be = backendOf(x);
  if (!be.linalg) throw new Error(`${op}: not implemented on the '${x.device}' device (it has no ${k} kernel)`);
  const res = outs.map(([s, d]) => empty(s, d, x.device));
  if (x.shape[0]! > 0) be.linalg(k, ins.map((t) => t.view_()), res.map((t) => t.view_()));
  return res;
}

/**
 * Raises `${op}: ${msg}` (msg's `$V` replaced by the info value) where an int32 info code is not 0:
 * at once on the CPU, at the next read on asynchronous devices. Batched inputs name the first
 * failing batch element as PyTorch does.
 */
function checkInfo(op: string, info: Tensor, batched: boolean, msg: string): void {
  const be = backendOf(info), B = info.shape[0]!;
  if (!batched || B > 64) { be.checkRange(info.view_(), 0, 0, `${op}: ${msg}`); return; }
  for (let b = 0; b < B; b++) be.checkRange(info.select(0, b).view_(), 0, 0, `${op}: (Batch element ${b}): ${msg}`);
}

/**
 * On asynchronous devices the checked info must reach the result for its read to reject: the
 * result is selected through info (NaN where a matrix failed). Synchronous devices raised already.
 */
function guarded(out3: Tensor, info: Tensor): Tensor {
  if (backendOf(out3).synchronous) return out3;
  return noGrad(() => where(info.eq(0).reshape([info.shape[0]!, 1, 1]), out3, NaN));
}

/** LU with partial pivoting of A [..., n, n] (or of A^T): [LU, pivots, info] in [B, ...] shapes. */
function luOf(op: string, A: Tensor, transposed: boolean): Tensor[] {
  const n = A.shape[A.ndim - 1]!;
  const A3 = mat3(transposed ? A.mT : A), B = A3.shape[0]!;
  return runKernel(op, 'lu', [A3], [[[B, n, n], A.dtype], [[B, n], 'int32'], [[B], 'int32']]);
}

const SOLVE_MSG: Record<string, string> = {
  'torch.linalg.solve': 'The solver failed because the input matrix is singular.',
  'linalg.inv': 'The diagonal element $V is zero, the inversion could not be completed because the input matrix is singular.',
  'linalg.inv_ex': 'The diagonal element $V is zero, the inversion could not be completed because the input matrix is singular.',
};

/**
 * X with A X = B for A [..., n, n] and B [..., n, k] of equal batch dims: LU of A^T (as PyTorch, so
 * singular inputs name the same zero pivot) then a transposed solve. `op` null: no singularity check.
 */
export function solveCore(A: Tensor, B: Tensor, op: string | null): Tensor {
  return solveWithInfo(A, B, op ?? 'linalg.solve', op !== null)[0];
}

/** solveCore returning also LU's int32 info [...batch] (0, or the 1-based index of the first zero pivot); `check` raises on it. */
function solveWithInfo(A: Tensor, B: Tensor, op: string, check: boolean): [Tensor, Tensor] {
  const batch = A.shape.slice(0, -2), n = A.shape[A.ndim - 1]!, k = B.shape[B.ndim - 1]!;
  const [LU, piv, info] = luOf(op, A, true);
  if (check) checkInfo(op, info!, batch.length > 0, SOLVE_MSG[op]!);
  const [X] = runKernel(op, 'luSolveT', [LU!, piv!, mat3(B)], [[[LU!.shape[0]!, n, k], A.dtype]]);
  const out = record('linalgSolve', [A, B], (check ? guarded(X!, info!) : X!).reshape([...batch, n, k]), {});
  return [out, info!.reshape(batch)];
}

const eyeLike = (A: Tensor): Tensor => eye(A.shape[A.ndim - 1]!, { dtype: A.dtype, device: A.device });
const diagEmbed = (v: Tensor): Tensor => v.unsqueeze(-1).mul(eye(v.shape[v.ndim - 1]!, { dtype: v.dtype, device: v.device }));
/** a / b where both are 0 -> 0 (an unused output's zero gradient at repeated values stays 0, as PyTorch's undefined one). */
const safeDiv = (a: Tensor, b: Tensor): Tensor => where(a.eq(0), 0, a.div(b));

/**
 * Records prim on the parts packed into one [..., sum of sizes] tensor and returns views of it, so
 * one autograd node serves every output. Without gradients the parts are returned as they are.
 */
function packed<K extends 'linalgQr' | 'linalgEigh' | 'linalgSvd'>(prim: K, A: Tensor, parts: Tensor[], attrs: PrimAttrs[K]): Tensor[] {
  if (!state.gradEnabled || !A.requiresGrad) return parts;
  const batch = A.shape.slice(0, -2);
  const P = noGrad(() => cat(parts.map((p) => p.reshape([...batch, numel(p.shape.slice(batch.length))])), -1));
  record(prim, [A], P, attrs);
  return unpack(P, parts.map((p) => p.shape.slice(batch.length)), batch);
}
function unpack(P: Tensor, shapes: (readonly number[])[], batch: readonly number[]): Tensor[] {
  let off = 0;
  return shapes.map((s) => {
    const sz = numel(s);
    const r = P.narrow(-1, off, sz).reshape([...batch, ...s]);
    off += sz;
    return r;
  });
}

// ---------------------------------------------------------------- solve, inv, det, slogdet

/** Options of linalg.solve: `left` false solves X A = B. */
export interface SolveOpts {
  /** true (default): solve A X = B; false: X A = B. */
  left?: boolean;
}

/** torch.linalg.solve(A, B, { left }): X with A X = B (or X A = B), batched and broadcast; B may be a (batch of) vector(s). */
export function solve(A: Tensor, B: Tensor, opts: SolveOpts = {}): Tensor {
  const op = 'linalg.solve';
  checkMatrix(op, A, true);
  if (!(B instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor for B`);
  if (B.dtype !== A.dtype) throw new TypeError(`${op}: Expected A and B to have the same dtype, but found A of type ${A.dtype} and B of type ${B.dtype} instead`);
  if (B.device !== A.device) throw new Error(`${op}: Expected all tensors to be on the same device, but found at least two devices, ${A.device} and ${B.device}!`);
  const left = opts.left ?? true;
  const vector = B.ndim === 1 || (B.ndim === A.ndim - 1 && shapesEqual(B.shape, A.shape.slice(0, -1)));
  if (!left) {
    if (vector) throw new RangeError(`${op}: Vector broadcasting of the left hand side is not supported for left=False. In this case linalg.solve is equivalent to B / A.squeeze(-1)`);
    return composite('linalgSolve', { left }, () => solve(A.mT, B.mT).mT);
  }
  return composite('linalgSolve', { left }, () => {
    const B2 = vector ? B.unsqueeze(-1) : B;
    const n = A.shape[A.ndim - 1]!, bn = B2.shape[B2.ndim - 2]!, k = B2.shape[B2.ndim - 1]!;
    if (bn !== n) throw new RangeError(`${op}: Incompatible shapes of A and B for the equation AX = B (${n}x${n} and ${bn}x${k})`);
    const batch = broadcastShapes(op, A.shape.slice(0, -2), B2.shape.slice(0, -2));
    const X = solveCore(A.expand([...batch, n, n]), B2.expand([...batch, n, k]), 'torch.linalg.solve');
    return vector ? X.squeeze(-1) : X;
  });
}

/** torch.linalg.inv(A): the inverse of each square matrix; singular input raises PyTorch's error. */
export function inv(A: Tensor): Tensor {
  checkMatrix('linalg.inv', A, true);
  return composite('linalgInv', {}, () => solveCore(A, eyeLike(A).expand(A.shape), 'linalg.inv'));
}

/** Result of linalg.invEx: the inverse and LAPACK's int32 info per matrix (0: fine; i > 0: the pivot U[i, i] is zero). */
export interface InvExResult {
  /** The inverses (not meaningful where info is not 0). */
  inverse: Tensor;
  /** int32 [...batch]: 0 where the matrix was inverted. */
  info: Tensor;
}

/** torch.linalg.inv_ex(A, { checkErrors }): the inverse without raising on singular input (unless checkErrors), with info. */
export function invEx(A: Tensor, opts: { checkErrors?: boolean } = {}): InvExResult {
  const op = 'linalg.inv_ex';
  checkMatrix(op, A, true);
  const [inverse, info] = composite('linalgInvEx', {}, () => solveWithInfo(A, eyeLike(A).expand(A.shape), op, opts.checkErrors ?? false));
  return { inverse, info };
}

/** Options of linalg.solveTriangular (upper is required, as PyTorch's keyword-only argument). */
export interface SolveTriangularOpts {
  /** Use A's upper (true) or lower (false) triangle; the other is ignored. */
  upper: boolean;
  /** true (default): solve A X = B; false: X A = B. */
  left?: boolean;
  /** Take A's diagonal as ones (it is not read). */
  unitriangular?: boolean;
}

/**
 * torch.linalg.solve_triangular(A, B, { upper, left, unitriangular }): X with A X = B (or X A = B)
 * for triangular A, batched and broadcast. Only A's triangle is read, so A's gradient is triangular
 * (with a zero diagonal when unitriangular), as PyTorch's.
 */
export function solveTriangular(A: Tensor, B: Tensor, opts: SolveTriangularOpts): Tensor {
  const op = 'linalg.solve_triangular';
  if (opts === undefined || typeof opts.upper !== 'boolean') throw new TypeError(`${op}: missing the required keyword argument 'upper' (pass { upper: true | false })`);
  checkMatrix(op, A, true);
  if (!(B instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor for B, got ${typeof B}`);
  if (B.ndim < 2) throw new RangeError(`${op}: The input tensor B must have at least 2 dimensions.`);
  checkLinalgDtype(op, B);
  if (B.device !== A.device) throw new Error(`${op}: Expected all tensors to be on the same device, but found at least two devices, ${A.device} and ${B.device}!`);
  const upper = opts.upper, left = opts.left ?? true, unit = opts.unitriangular ?? false;
  const n = A.shape[A.ndim - 1]!, bm = B.shape[B.ndim - 2]!, bk = B.shape[B.ndim - 1]!;
  if ((left ? bm : bk) !== n) {
    throw new RangeError(`${op}: Incompatible shapes of A and B for the equation ${left ? `AX = B (${n}x${n} and ${bm}x${bk})` : `XA = B (${bm}x${bk} and ${n}x${n})`}`);
  }
  const dtype = A.dtype === 'float64' || B.dtype === 'float64' ? 'float64' : 'float32';
  return composite('linalgSolveTriangular', { upper, left, unitriangular: unit }, () => {
    let T = upper ? A.to(dtype).triu() : A.to(dtype).tril();
    if (unit) T = where(eye(n, { dtype: 'bool', device: A.device }), 1, T);
    const Bl = left ? B.to(dtype) : B.to(dtype).mT, Tl = left ? T : T.mT;
    const k = Bl.shape[Bl.ndim - 1]!;
    const batch = broadcastShapes(op, A.shape.slice(0, -2), B.shape.slice(0, -2));
    const X = solveCore(Tl.expand([...batch, n, n]), Bl.expand([...batch, n, k]), null);
    return left ? X : X.mT;
  });
}

/** +1 or -1 per matrix: the parity of LU's row swaps. */
function pivotSign(piv: Tensor, dtype: DType): Tensor {
  const ids = arange(1, piv.shape[piv.ndim - 1]! + 1, { dtype: 'int32', device: piv.device });
  return piv.ne(ids).sum(-1).remainder(2).mul(-2).add(1).to(dtype);
}

/** torch.linalg.det(A): determinants of square matrices (gradient: the cofactor matrix, also where A is singular). */
export function det(A: Tensor): Tensor {
  checkMatrix('linalg.det', A, true);
  const batch = A.shape.slice(0, -2);
  const d = noGrad(() => {
    const [LU, piv] = luOf('linalg.det', A, false);
    return LU!.diagonal(0, -2, -1).prod(-1).mul(pivotSign(piv!, A.dtype)).reshape(batch);
  });
  return record('linalgDet', [A], d, {});
}

/** Result of linalg.slogdet: the sign (0 for singular input) and log |det|. */
export interface SlogdetResult {
  /** Sign of the determinant (0 for singular input). */
  sign: Tensor;
  /** log |det A| (-inf for singular input). */
  logabsdet: Tensor;
}

/** torch.linalg.slogdet(A): { sign, logabsdet } with det = sign * exp(logabsdet). */
export function slogdet(A: Tensor): SlogdetResult {
  checkMatrix('linalg.slogdet', A, true);
  const batch = A.shape.slice(0, -2);
  const [sign, lad] = noGrad(() => {
    const [LU, piv] = luOf('linalg.slogdet', A, false);
    const d = LU!.diagonal(0, -2, -1);
    return [d.sign().prod(-1).mul(pivotSign(piv!, A.dtype)).reshape(batch), d.abs().log().sum(-1).reshape(batch)];
  });
  return { sign: sign!, logabsdet: record('linalgSlogdet', [A], lad!, {}) };
}

// ---------------------------------------------------------------- cholesky, qr, eigh, svd

/** torch.linalg.cholesky(A, { upper }): L with A = L L^T from A's lower triangle (U = L^T when upper). */
export function cholesky(A: Tensor, opts: { upper?: boolean } = {}): Tensor {
  const op = 'linalg.cholesky';
  checkMatrix(op, A, true);
  const batch = A.shape.slice(0, -2), n = A.shape[A.ndim - 1]!;
  const A3 = mat3(A), B = A3.shape[0]!;
  const [L, info] = runKernel(op, 'cholesky', [A3], [[[B, n, n], A.dtype], [[B], 'int32']]);
  checkInfo(op, info!, batch.length > 0, 'The factorization could not be completed because the input is not positive-definite (the leading minor of order $V is not positive-definite).');
  const out = record('linalgCholesky', [A], guarded(L!, info!).reshape([...batch, n, n]), {});
  return opts.upper ? out.mT : out;
}

/** Result of linalg.choleskyEx: the factor and LAPACK's int32 info per matrix (0: fine; i > 0: the leading minor of order i is not positive-definite). */
export interface CholeskyExResult {
  /** The Cholesky factors (not meaningful where info is not 0). */
  L: Tensor;
  /** int32 [...batch]: 0 where the factorization succeeded. */
  info: Tensor;
}

/** torch.linalg.cholesky_ex(A, { upper, checkErrors }): cholesky without raising on non-positive-definite input (unless checkErrors), with info. */
export function choleskyEx(A: Tensor, opts: { upper?: boolean; checkErrors?: boolean } = {}): CholeskyExResult {
  const op = 'linalg.cholesky_ex';
  checkMatrix(op, A, true);
  const batch = A.shape.slice(0, -2), n = A.shape[A.ndim - 1]!;
  const A3 = mat3(A), B = A3.shape[0]!;
  const [L, info] = runKernel(op, 'cholesky', [A3], [[[B, n, n], A.dtype], [[B], 'int32']]);
  const check = opts.checkErrors ?? false;
  if (check) checkInfo(op, info!, batch.length > 0, 'The factorization could not be completed because the input is not positive-definite (the leading minor of order $V is not positive-definite).');
  const out = record('linalgCholesky', [A], (check ? guarded(L!, info!) : L!).reshape([...batch, n, n]), {});
  return { L: opts.upper ? out.mT : out, info: info!.reshape(batch) };
}

/** Result of linalg.qr: Q (empty for mode 'r') and R. */
export interface QRResult {
  /** Orthonormal columns: m x k ('reduced'), m x m ('complete'), an empty tensor ('r'). */
  Q: Tensor;
  /** Upper triangular: k x n ('reduced', 'r') or m x n ('complete'), k = min(m, n). */
  R: Tensor;
}
/** Options of linalg.qr. */
export interface QROpts {
  /** 'reduced' (default), 'complete' (square Q) or 'r' (R only, not differentiable). */
  mode?: 'reduced' | 'complete' | 'r';
}

/** torch.linalg.qr(A, { mode }): A = Q R, Q with orthonormal columns, R upper triangular (LAPACK's signs). */
export function qr(A: Tensor, opts: QROpts = {}): QRResult {
  const op = 'linalg.qr', mode = opts.mode ?? 'reduced';
  if (mode !== 'reduced' && mode !== 'complete' && mode !== 'r') {
    throw new RangeError(`qr received unrecognized mode '${String(mode)}' but expected one of 'reduced' (default), 'r', or 'complete'`);
  }
  checkMatrix(op, A, false);
  const batch = A.shape.slice(0, -2), m = A.shape[A.ndim - 2]!, n = A.shape[A.ndim - 1]!;
  const kq = mode === 'complete' ? m : Math.min(m, n);
  const A3 = mat3(A), B = A3.shape[0]!;
  const [Q3, R3] = runKernel(op, 'qr', [A3], [[[B, m, kq], A.dtype], [[B, kq, n], A.dtype]]);
  const [Q, R] = packed('linalgQr', A, [Q3!.reshape([...batch, m, kq]), R3!.reshape([...batch, kq, n])], { m, n, kq, mode });
  return { Q: mode === 'r' ? zeros([0], { dtype: A.dtype, device: A.device }) : Q!, R: R! };
}

/** Result of linalg.eigh: ascending eigenvalues and the eigenvectors as columns. */
export interface EighResult {
  /** Eigenvalues in ascending order, [..., n]. */
  eigenvalues: Tensor;
  /** Orthonormal eigenvectors as columns, [..., n, n]. */
  eigenvectors: Tensor;
}

function eighParts(op: string, A: Tensor, UPLO: string): Tensor[] {
  if (UPLO !== 'L' && UPLO !== 'U') throw new RangeError(`Expected UPLO argument to be 'L' or 'U', but got ${UPLO}`);
  checkMatrix(op, A, true);
  const batch = A.shape.slice(0, -2), n = A.shape[A.ndim - 1]!;
  const A3 = mat3(UPLO === 'U' ? A.mT : A), B = A3.shape[0]!;
  const [w, V] = runKernel(op, 'eigh', [A3], [[[B, n], A.dtype], [[B, n, n], A.dtype]]);
  return packed('linalgEigh', A, [w!.reshape([...batch, n]), V!.reshape([...batch, n, n])], { n });
}

/** torch.linalg.eigh(A, UPLO = 'L'): eigen-decomposition of symmetric matrices from one triangle. */
export function eigh(A: Tensor, UPLO: 'L' | 'U' = 'L'): EighResult {
  const [eigenvalues, eigenvectors] = eighParts('linalg.eigh', A, UPLO);
  return { eigenvalues: eigenvalues!, eigenvectors: eigenvectors! };
}

/** torch.linalg.eigvalsh(A, UPLO = 'L'): the ascending eigenvalues of symmetric matrices. */
export function eigvalsh(A: Tensor, UPLO: 'L' | 'U' = 'L'): Tensor {
  return eighParts('linalg.eigvalsh', A, UPLO)[0]!;
}

/** Result of linalg.svd: A = U diag(S) Vh, S descending. */
export interface SVDResult {
  /** Left singular vectors as columns. */
  U: Tensor;
  /** Singular values, descending. */
  S: Tensor;
  /** Right singular vectors as rows (V transposed). */
  Vh: Tensor;
}
/** Options of linalg.svd: `driver` is accepted and ignored (one algorithm on every device). */
export interface SVDOpts {
  /** true (default): U is m x m and Vh n x n; false: the reduced factors. */
  fullMatrices?: boolean;
  /** cuSOLVER's driver name in PyTorch: accepted and ignored. */
  driver?: string | null;
}

function svdParts(op: string, A: Tensor, full: boolean): Tensor[] {
  checkMatrix(op, A, false);
  const batch = A.shape.slice(0, -2), m = A.shape[A.ndim - 2]!, n = A.shape[A.ndim - 1]!, k = Math.min(m, n);
  const ku = full ? m : k, kv = full ? n : k;
  const A3 = mat3(A), B = A3.shape[0]!;
  const [U, S, Vh] = runKernel(op, 'svd', [A3], [[[B, m, ku], A.dtype], [[B, k], A.dtype], [[B, kv, n], A.dtype]]);
  return packed('linalgSvd', A, [U!.reshape([...batch, m, ku]), S!.reshape([...batch, k]), Vh!.reshape([...batch, kv, n])], { m, n, ku, kv });
}

/** torch.linalg.svd(A, { fullMatrices = true, driver }): { U, S, Vh }. */
export function svd(A: Tensor, opts: SVDOpts = {}): SVDResult {
  const [U, S, Vh] = svdParts('linalg.svd', A, opts.fullMatrices ?? true);
  return { U: U!, S: S!, Vh: Vh! };
}

/** Result of torch.svd: A = U diag(S) V^H (V, not Vh). */
export interface SvdResult {
  /** Left singular vectors as columns (zeros when computeUv is false). */
  U: Tensor;
  /** Singular values, descending. */
  S: Tensor;
  /** Right singular vectors as columns (zeros when computeUv is false). */
  V: Tensor;
}

/**
 * torch.svd(A, some = true, computeUv = true), PyTorch's deprecated form of linalg.svd: { U, S, V },
 * reduced factors when `some`; with computeUv false, U (m x m) and V (n x n) are zeros, as in PyTorch.
 */
export function svdLegacy(A: Tensor, some: boolean | { some?: boolean; computeUv?: boolean } = true, computeUv = true): SvdResult {
  if (typeof some === 'object') ({ some = true, computeUv = true } = some);
  const [U, S, Vh] = svdParts('svd', A, !some);
  if (computeUv) return { U: U!, S: S!, V: Vh!.mT };
  const z = (r: number, c: number) => zeros([...A.shape.slice(0, -2), r, c], { dtype: A.dtype, device: A.device });
  const m = A.shape[A.ndim - 2]!, n = A.shape[A.ndim - 1]!;
  return { U: z(m, m), S: S!, V: z(n, n) };
}

/** torch.linalg.svdvals(A, { driver }): the singular values, descending. */
export function svdvals(A: Tensor, opts: { driver?: string | null } = {}): Tensor {
  void opts;
  return svdParts('linalg.svdvals', A, false)[1]!;
}

// ---------------------------------------------------------------- pinv, rank, lstsq, cond

/** Tolerances of pinv / matrixRank: singular values <= max(atol, rtol * largest) count as zero. */
export interface RankTolOpts {
  /** Absolute tolerance (default 0). */
  atol?: number | null;
  /** Tolerance relative to the largest singular value (default eps * max(m, n) when atol is absent or 0, else 0). */
  rtol?: number | null;
  /** Input is symmetric: use the eigendecomposition of its lower triangle. */
  hermitian?: boolean;
}

/** PyTorch's default: rtol = eps * max(m, n) when atol is absent or 0, else 0. */
function tolerance(A: Tensor, S: Tensor, o: RankTolOpts): Tensor {
  const m = A.shape[A.ndim - 2]!, n = A.shape[A.ndim - 1]!;
  const atol = o.atol ?? 0;
  const rtol = o.rtol ?? (atol > 0 ? 0 : EPS[A.dtype]! * Math.max(m, n));
  const smax = S.shape[S.ndim - 1]! > 0 ? S.amax(-1, true) : zeros([...S.shape.slice(0, -1), 1], { dtype: S.dtype, device: S.device });
  return smax.mul(rtol).clamp(atol);
}

/** |singular values| with the vectors a pseudo-inverse needs: [U, S, V^T] (eigh for hermitian input). */
function spectral(op: string, A: Tensor, hermitian: boolean): Tensor[] {
  if (!hermitian) return svdParts(op, A, false);
  const [w, V] = eighParts(op, A, 'L');
  return [V!.mul(w!.sign().unsqueeze(-2)), w!.abs(), V!.mT];
}

/** torch.linalg.pinv(A, { atol, rtol, hermitian }): the Moore-Penrose pseudo-inverse (gradient: PyTorch's pinv_backward). */
export function pinv(A: Tensor, opts: RankTolOpts = {}): Tensor {
  const op = 'linalg.pinv';
  checkMatrix(op, A, false);
  const P = noGrad(() => {
    const [U, S, Vh] = spectral(op, A, opts.hermitian ?? false);
    const tol = tolerance(A, S!, opts);
    const Sinv = where(S!.gt(tol), S!.reciprocal(), 0).to(A.dtype);
    return Vh!.mT.mul(Sinv.unsqueeze(-2)).matmul(U!.mT);
  });
  return record('linalgPinv', [A], P, {});
}

/** torch.linalg.matrix_rank(A, { atol, rtol, hermitian }): int32 count of singular values above the tolerance. */
export function matrixRank(A: Tensor, opts: RankTolOpts = {}): Tensor {
  const op = 'linalg.matrix_rank';
  checkMatrix(op, A, false);
  return noGrad(() => {
    const S = spectral(op, A, opts.hermitian ?? false)[1]!;
    return S.gt(tolerance(A, S, opts)).sum(-1).to('int32');
  });
}

/** Result of linalg.lstsq (PyTorch's field names; empty tensors where the driver does not compute one). */
export interface LstsqResult {
  /** The least-squares solution X (minimum norm). */
  solution: Tensor;
  /** Squared residual norms per column when m > n and the driver is not 'gelsy', else empty. */
  residuals: Tensor;
  /** Effective rank (int32) for 'gelsy', 'gelsd' and 'gelss', else empty. */
  rank: Tensor;
  /** Singular values of A for 'gelsd' and 'gelss', else empty. */
  singularValues: Tensor;
}
/** Options of linalg.lstsq: rcond (default eps * max(m, n)) and the LAPACK driver name. */
export interface LstsqOpts {
  /** Singular values below rcond * largest count as zero (default eps * max(m, n)). */
  rcond?: number | null;
  /** LAPACK's driver name (default 'gelsy'): decides which of residuals/rank/singularValues are filled. */
  driver?: 'gels' | 'gelsy' | 'gelsd' | 'gelss' | null;
}

/** torch.linalg.lstsq(A, B, { rcond, driver }): minimum-norm least-squares solutions of A X = B. */
export function lstsq(A: Tensor, B: Tensor, opts: LstsqOpts = {}): LstsqResult {
  const op = 'torch.linalg.lstsq';
  const driver = opts.driver ?? 'gelsy';
  if (!['gels', 'gelsy', 'gelsd', 'gelss'].includes(driver)) throw new RangeError(`${op}: parameter \`driver\` should be one of (gels, gelsy, gelsd, gelss)`);
  checkMatrix(op, A, false);
  if (!(B instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor for B`);
  if (B.dtype !== A.dtype) throw new TypeError(`${op}: Expected input and other to have the same dtype, but got input's dtype ${A.dtype} and other's dtype ${B.dtype}`);
  const vector = B.ndim === A.ndim - 1;
  const B2 = vector ? B.unsqueeze(-1) : B;
  if (B2.ndim < 2 || B2.shape[B2.ndim - 2] !== A.shape[A.ndim - 2]) throw new RangeError(`${op}: input.size(-2) should match other.size(-2)`);
  const m = A.shape[A.ndim - 2]!, n = A.shape[A.ndim - 1]!;
  return composite('linalgLstsq', { driver }, () => {
    const tol: RankTolOpts = opts.rcond != null ? { rtol: opts.rcond } : {};
    const X = pinv(A, tol).matmul(B2);
    const empty0 = (dt: DType) => zeros([0], { dtype: dt, device: A.device });
    const rank = driver === 'gels' ? empty0('int32') : matrixRank(A, tol);
    // PyTorch 1.13 (linalg_lstsq_out_info) has residuals only for m > n and driver != 'gelsy', and for
    // gelsd/gelss only when every matrix of the batch has rank n: LAPACK's rows n..m-1 hold no
    // residual otherwise. That reads the ranks, so asynchronous devices and capture keep the
    // residuals (PyTorch's CUDA has 'gels' only, which assumes full rank and always returns them).
    const fullRank = driver === 'gels' || !backendOf(A).synchronous || isCapturing()
      || noGrad(() => rank.eq(n).all().itemSync() === true);
    const residuals = driver !== 'gelsy' && m > n && fullRank ? noGrad(() => A.matmul(X).sub(B2).square().sum(-2)) : empty0(A.dtype);
    const singularValues = driver === 'gelsd' || driver === 'gelss' ? noGrad(() => svdvals(A)) : empty0(A.dtype);
    return { solution: vector ? X.squeeze(-1) : X, residuals: vector && residuals.ndim > 0 && residuals.numel() > 0 ? residuals.squeeze(-1) : residuals, rank, singularValues };
  });
}

// ---------------------------------------------------------------- matrix functions

/** torch.linalg.matrix_power(A, n): A^n by repeated squaring; n < 0 inverts first, n = 0 gives I. */
export function matrixPower(A: Tensor, n: number): Tensor {
  const op = 'linalg.matrix_power';
  if (!Number.isInteger(n)) throw new TypeError(`${op}: n must be an integer, got ${n}`);
  if (!(A instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor for A`);
  if (A.ndim < 2) throw new RangeError(`${op}: The input tensor A must have at least 2 dimensions.`);
  if (A.shape[A.ndim - 1] !== A.shape[A.ndim - 2]) throw new RangeError(`${op}: A must be batches of square matrices, but they are ${A.shape[A.ndim - 2]} by ${A.shape[A.ndim - 1]} matrices`);
  return composite('matrixPower', { n }, () => {
    if (n === 0) return eyeLike(A).expand(A.shape).clone();
    let base = n < 0 ? inv(A) : A, e = Math.abs(n), acc: Tensor | null = null;
    for (;;) {
      if (e & 1) acc = acc === null ? base : acc.matmul(base);
      e = Math.floor(e / 2);
      if (e === 0) break;
      base = base.matmul(base);
    }
    return acc!;
  });
}

const PADE13 = [64764752532480000, 32382376266240000, 7771770303897600, 1187353796428800, 129060195264000,
  10559470521600, 670442572800, 33522128640, 1323241920, 40840800, 960960, 16380, 182, 1];
const THETA13 = 5.371920351148152;

/**
 * torch.linalg.matrix_exp(A): scaling and squaring with the degree-13 Padé approximant (Higham 2005),
 * differentiable as a composite. The number of squarings comes from the 1-norm: read on the CPU; on
 * asynchronous devices (no host read) every matrix is squared up to a fixed 24 times under a mask.
 */
export function matrixExp(A: Tensor): Tensor {
  checkMatrix('linalg.matrix_exp', A, true);
  return composite('matrixExp', {}, () => {
    const I = eyeLike(A);
    const norm = noGrad(() => A.abs().sum(-2).amax(-1));
    const s = noGrad(() => norm.div(THETA13).log2().ceil().clamp(0, 64).nanToNum({ nan: 0 }));
    let steps: number;
    if (backendOf(A).synchronous && !isCapturing()) steps = A.numel() === 0 ? 0 : Math.max(0, ...(Array.from(s.dataSync()) as number[]));
    else steps = A.dtype === 'float64' ? 48 : 24;
    const sc = s.clamp(0, steps);
    const X = A.mul(sc.neg().exp2().unsqueeze(-1).unsqueeze(-1));
    const b = PADE13;
    const X2 = X.matmul(X), X4 = X2.matmul(X2), X6 = X4.matmul(X2);
    const U = X.matmul(X6.matmul(X6.mul(b[13]!).add(X4.mul(b[11]!)).add(X2.mul(b[9]!)))
      .add(X6.mul(b[7]!)).add(X4.mul(b[5]!)).add(X2.mul(b[3]!)).add(I.mul(b[1]!)));
    const V = X6.matmul(X6.mul(b[12]!).add(X4.mul(b[10]!)).add(X2.mul(b[8]!)))
      .add(X6.mul(b[6]!)).add(X4.mul(b[4]!)).add(X2.mul(b[2]!)).add(I.mul(b[0]!));
    let R = solveCore(V.sub(U).expand(A.shape), V.add(U).expand(A.shape), null);
    const uniform = backendOf(A).synchronous && !isCapturing() && noGrad(() => sc.eq(steps).all().itemSync() === true);
    for (let i = 0; i < steps; i++) {
      const R2 = R.matmul(R);
      R = uniform ? R2 : where(sc.gt(i).unsqueeze(-1).unsqueeze(-1), R2, R);
    }
    return R;
  });
}

/** torch.linalg.cond(A, p = null): condition number; p null/2/-2 from singular values, else norm(A) * norm(inv(A)). */
export function cond(A: Tensor, p: number | 'fro' | 'nuc' | 'inf' | '-inf' | null = null): Tensor {
  const op = 'linalg.cond';
  checkMatrix(op, A, p === null || p === 2 || p === -2 ? false : true);
  return composite('cond', { p }, () => {
    if (p === null || p === 2 || p === -2) {
      const S = svdvals(A);
      const hi = S.narrow(-1, 0, 1).squeeze(-1), lo = S.narrow(-1, S.shape[S.ndim - 1]! - 1, 1).squeeze(-1);
      return p === -2 ? lo.div(hi) : hi.div(lo);
    }
    // Singular input: PyTorch gives inf (our unchecked inverse has inf/NaN entries).
    const Ai = solveCore(A, eyeLike(A).expand(A.shape), null);
    const r = matrixNorm(A, p).mul(matrixNorm(Ai, p));
    return where(r.isnan(), Infinity, r);
  });
}

/** The SVD-based matrix norms (ord 2, -2, 'nuc') over the last two dims; linalg.matrixNorm calls it. */
export function spectralNorm(A: Tensor, ord: 2 | -2 | 'nuc'): Tensor {
  const S = svdvals(A);
  return ord === 'nuc' ? S.sum(-1) : ord === 2 ? S.amax(-1) : S.amin(-1);
}

// ---------------------------------------------------------------- LU: luFactor(Ex), lu, luUnpack, luSolve

const LU_SINGULAR = 'U[$V,$V] is zero and using it on lu_solve would result in a division by zero. If you still want to perform the factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)';

function checkLuInput(op: string, A: Tensor, pivot: boolean): void {
  if (!(A instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor for A, got ${typeof A}`);
  if (A.ndim < 2) throw new RangeError(`${op}: Expected tensor with 2 or more dimensions. Got size: [${A.shape.join(', ')}] instead`);
  checkLinalgDtype(op, A);
  if (!pivot) throw new Error(`linalg.lu_factor: LU without pivoting is not implemented on the ${A.device === 'cpu' ? 'CPU' : `'${A.device}' device`}`);
}

/**
 * LAPACK getrf on A [..., m, n]: [LU [..., m, n], pivots (int32 [..., k]), info (int32 [B])], k = min(m, n).
 * The square kernel runs on A padded with zero columns (m > n) or rows (m < n): a zero column or row
 * never wins a pivot search, so the first k steps are getrf's, and the later ones change nothing.
 */
function luFactorParts(op: string, A: Tensor): Tensor[] {
  const batch = A.shape.slice(0, -2), m = A.shape[A.ndim - 2]!, n = A.shape[A.ndim - 1]!, k = Math.min(m, n), N = Math.max(m, n);
  return noGrad(() => {
    const z = (shape: number[]) => zeros(shape, { dtype: A.dtype, device: A.device });
    const Ap = m < n ? cat([A.detach(), z([...batch, n - m, n])], -2) : m > n ? cat([A.detach(), z([...batch, m, m - n])], -1) : A;
    const A3 = mat3(Ap), B = A3.shape[0]!;
    const [LU, piv, info] = runKernel(op, 'lu', [A3], [[[B, N, N], A.dtype], [[B, N], 'int32'], [[B], 'int32']]);
    if (m === n) return [LU!, piv!, info!];
    // A zero pivot found in the padding's steps (index > k) is not getrf's.
    return [LU!.narrow(-2, 0, m).narrow(-1, 0, n).contiguous(), piv!.narrow(-1, 0, k).contiguous(), info!.mul(info!.le(k).to('int32'))];
  });
}

/** The permutation perm [..., m] (int32) with P^T A = A[perm], from LAPACK's pivots [..., k]: the row swaps applied in order. */
function permOfPivots(piv: Tensor, m: number): Tensor {
  return noGrad(() => {
    const ids = arange(0, m, { dtype: 'int32', device: piv.device });
    let perm = ids.expand([...piv.shape.slice(0, -1), m]).contiguous();
    for (let i = 0; i < piv.shape[piv.ndim - 1]!; i++) {
      const j = piv.narrow(-1, i, 1).sub(1);
      const pi = perm.narrow(-1, i, 1), pj = perm.gather(-1, j);
      perm = where(ids.eq(i), pj, where(ids.eq(j), pi, perm));
    }
    return perm;
  });
}

/** The permutation matrix P [..., m, m] of LAPACK's pivots (A = P L U), in dtype. */
function permMatrix(piv: Tensor, m: number, dtype: DType): Tensor {
  return noGrad(() => permOfPivots(piv, m).unsqueeze(-2).eq(arange(0, m, { dtype: 'int32', device: piv.device }).unsqueeze(-1)).to(dtype));
}

/** L (unit lower, [..., m, k]) and U (upper, [..., k, n]) of a packed LU [..., m, n]; differentiable w.r.t. LU. */
function unpackLU(LU: Tensor): [Tensor, Tensor] {
  const m = LU.shape[LU.ndim - 2]!, n = LU.shape[LU.ndim - 1]!, k = Math.min(m, n);
  const diag = eye(m, { dtype: 'bool', device: LU.device }).narrow(-1, 0, k);
  const L = where(diag, 1, (k < n ? LU.narrow(-1, 0, k) : LU).tril(-1)).to(LU.dtype);
  const U = (k < m ? LU.narrow(-2, 0, k) : LU).triu();
  return [L, U];
}

/**
 * LU's factors of A [..., m, n] as a differentiable composite: getf2's elimination steps on P^T A with
 * the kernel's permutation P held fixed (it is piecewise constant in A), so its derivatives of every
 * order are LU's (PyTorch's linalg_lu_backward is the first). k = min(m, n) steps of masked rank-1 updates.
 */
function luDifferentiable(A: Tensor, P: Tensor): Tensor {
  const m = A.shape[A.ndim - 2]!, n = A.shape[A.ndim - 1]!, k = Math.min(m, n);
  const rows = arange(0, m, { dtype: 'int32', device: A.device }).unsqueeze(-1), cols = arange(0, n, { dtype: 'int32', device: A.device });
  let M = P.mT.matmul(A);
  for (let j = 0; j < k; j++) {
    const piv = M.narrow(-2, j, 1).narrow(-1, j, 1), below = rows.gt(j);
    // A zero pivot has a zero column below it (partial pivoting): divide by 1 instead, as getf2 skips it.
    const l = where(below, M.narrow(-1, j, 1).div(where(piv.eq(0), 1, piv)), 0);
    const r = where(cols.gt(j), M.narrow(-2, j, 1), 0);
    M = where(below.logicalAnd(cols.eq(j)), l, M.sub(l.mul(r)));
  }
  return M;
}

/**
 * linalg.lu_factor(_ex)'s outputs [LU, pivots, info] (info [...batch]). With a gradient, LU carries
 * luDifferentiable's graph: the kernel's values plus (c - c.detach()), which is exactly zero.
 */
function luFactorImpl(A: Tensor, op: string, check: boolean): Tensor[] {
  const batch = A.shape.slice(0, -2), m = A.shape[A.ndim - 2]!, n = A.shape[A.ndim - 1]!;
  const [LU3, piv3, info3] = luFactorParts(op, A);
  if (check) {
    // checkRange fills in the first $V only: on the CPU (raised here) the second index is written too.
    try { checkInfo(op, info3!, batch.length > 0, LU_SINGULAR); } catch (e) {
      if (e instanceof RangeError) throw new RangeError(e.message.replace(/U\[(\d+),\$V\]/, 'U[$1,$1]'));
      throw e;
    }
  }
  let LU = (check ? guarded(LU3!, info3!) : LU3!).reshape([...batch, m, n]);
  const pivots = piv3!.reshape([...batch, Math.min(m, n)]);
  if (state.gradEnabled && A.requiresGrad) {
    const c = luDifferentiable(A, permMatrix(pivots, m, A.dtype));
    LU = LU.add(c.sub(c.detach()));
  }
  return [LU, pivots, info3!.reshape(batch)];
}

/** Options of linalg.luFactor / linalg.lu: only partial pivoting is implemented (pivot false raises, as PyTorch on the CPU). */
export interface LuFactorOpts {
  /** true (default): partial pivoting; false raises "LU without pivoting is not implemented". */
  pivot?: boolean;
}
/** Result of linalg.luFactor: the packed factors and LAPACK's 1-based int32 pivots. */
export interface LuFactorResult {
  /** L (unit, strictly below the diagonal) and U (on and above it) packed in one [..., m, n] tensor. */
  LU: Tensor;
  /** int32 [..., min(m, n)]: row i was swapped with row pivots[i] (1-based), in order. */
  pivots: Tensor;
}
/** Result of linalg.luFactorEx: luFactor's plus LAPACK's info. */
export interface LuFactorExResult extends LuFactorResult {
  /** int32 [...batch]: 0, or the 1-based index i of the first zero U[i, i]. */
  info: Tensor;
}
/** Result of linalg.lu and torch.luUnpack: A = P L U. */
export interface PLUResult {
  /** Permutation matrix [..., m, m] (no gradient); empty when luUnpack's unpackPivots is false. */
  P: Tensor;
  /** Unit lower triangular [..., m, k]; empty when luUnpack's unpackData is false. */
  L: Tensor;
  /** Upper triangular [..., k, n]; empty when luUnpack's unpackData is false. */
  U: Tensor;
}

/** torch.linalg.lu_factor_ex(A, { pivot, checkErrors }): LU with partial pivoting and info, raising on a zero pivot only with checkErrors. */
export function luFactorEx(A: Tensor, opts: LuFactorOpts & { checkErrors?: boolean } = {}): LuFactorExResult {
  checkLuInput('torch.lu_factor', A, opts.pivot ?? true);
  const [LU, pivots, info] = composite('linalgLuFactorEx', { pivot: true, checkErrors: opts.checkErrors ?? false },
    () => luFactorImpl(A, 'torch.linalg.lu_factor_ex', opts.checkErrors ?? false));
  return { LU: LU!, pivots: pivots!, info: info! };
}

/**
 * torch.linalg.lu_factor(A, { pivot }): { LU, pivots } of A [..., m, n] (LAPACK getrf), raising
 * PyTorch's error on a zero pivot; differentiable through LU (square or full-rank rectangular A).
 */
export function luFactor(A: Tensor, opts: LuFactorOpts = {}): LuFactorResult {
  checkLuInput('torch.lu_factor', A, opts.pivot ?? true);
  const [LU, pivots] = composite('linalgLuFactor', { pivot: true },
    () => luFactorImpl(A, 'torch.linalg.lu_factor', true));
  return { LU: LU!, pivots: pivots! };
}

/** torch.linalg.lu(A, { pivot }): { P, L, U } with A = P L U, L unit lower [..., m, k], U upper [..., k, n]; gradients flow from L and U. */
export function lu(A: Tensor, opts: LuFactorOpts = {}): PLUResult {
  checkLuInput('linalg.lu', A, opts.pivot ?? true);
  return composite('linalgLu', { pivot: true }, () => {
    const [LU, pivots] = luFactorImpl(A, 'linalg.lu', false);
    const [L, U] = unpackLU(LU!);
    return { P: permMatrix(pivots!, A.shape[A.ndim - 2]!, A.dtype), L, U };
  });
}

/** Options of torch.luUnpack: which of (L, U) and P to build (the others are empty tensors). */
export interface LuUnpackOpts {
  /** Build L and U (default true). */
  unpackData?: boolean;
  /** Build P (default true). */
  unpackPivots?: boolean;
}

/** torch.lu_unpack(LU, pivots, { unpackData, unpackPivots }): { P, L, U } from luFactor's output (differentiable w.r.t. LU). */
export function luUnpack(LU: Tensor, pivots: Tensor, opts: LuUnpackOpts = {}): PLUResult {
  const op = 'torch.lu_unpack';
  if (!(LU instanceof Tensor) || !(pivots instanceof Tensor)) throw new TypeError(`${op}: expected Tensors for LU_data and LU_pivots`);
  if (LU.ndim < 2) throw new RangeError(`${op}: Expected tensor with 2 or more dimensions. Got size: [${LU.shape.join(', ')}] instead`);
  if (pivots.dtype !== 'int32') throw new TypeError(`${op}: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype.`);
  const m = LU.shape[LU.ndim - 2]!, n = LU.shape[LU.ndim - 1]!;
  if (pivots.ndim !== LU.ndim - 1 || !shapesEqual(pivots.shape.slice(0, -1), LU.shape.slice(0, -2)) || pivots.shape[pivots.ndim - 1]! > Math.min(m, n)) {
    throw new RangeError(`${op}: Expected LU_pivots of shape [${[...LU.shape.slice(0, -2), Math.min(m, n)].join(', ')}] for LU_data of shape [${LU.shape.join(', ')}], got [${pivots.shape.join(', ')}]`);
  }
  const unpackData = opts.unpackData ?? true, unpackPivots = opts.unpackPivots ?? true;
  return composite('luUnpack', { unpackData, unpackPivots }, () => {
    const empty0 = () => zeros([0], { dtype: LU.dtype, device: LU.device });
    const [L, U] = unpackData ? unpackLU(LU) : [empty0(), empty0()];
    const P = unpackPivots ? permMatrix(pivots, m, LU.dtype) : empty0();
    return { P, L, U };
  });
}

/** Options of linalg.luSolve. */
export interface LuSolveOpts {
  /** true (default): solve A X = B; false: X A = B. */
  left?: boolean;
  /** Solve with A^H (A^T for real A) instead of A. */
  adjoint?: boolean;
}

/**
 * torch.linalg.lu_solve(LU, pivots, B, { left, adjoint }): X with op(A) X = B (or X op(A) = B) for A
 * given by luFactor, batched and broadcast. Differentiable w.r.t. LU and B: with a gradient it is
 * composed of the permutation and two triangular solves, else LAPACK's getrs kernel runs.
 */
export function luSolve(LU: Tensor, pivots: Tensor, B: Tensor, opts: LuSolveOpts = {}): Tensor {
  const op = 'linalg.lu_solve';
  if (!(LU instanceof Tensor) || !(pivots instanceof Tensor) || !(B instanceof Tensor)) throw new TypeError(`${op}: expected Tensors for LU, pivots and B`);
  if (B.ndim < 2) throw new RangeError(`${op}: The input tensor B must have at least 2 dimensions.`);
  if (LU.ndim < 2) throw new RangeError(`torch.${op}: The input tensor A must have at least 2 dimensions.`);
  const n = LU.shape[LU.ndim - 1]!;
  if (LU.shape[LU.ndim - 2] !== n) throw new RangeError(`torch.${op}: A must be batches of square matrices, but they are ${LU.shape[LU.ndim - 2]} by ${n} matrices`);
  checkLinalgDtype(op, LU);
  if (B.dtype !== LU.dtype) throw new TypeError(`${op}: Expected LU and B to have the same dtype, but found LU of type ${scalarTypeName(LU.dtype)} and B of type ${scalarTypeName(B.dtype)} instead`);
  if (pivots.dtype !== 'int32') throw new TypeError(`${op}: pivots should be a Tensor of scalar type torch.int32`);
  if (pivots.shape[pivots.ndim - 1] !== n) throw new RangeError(`${op}: Number of pivots per batch should be same as the dimension of the matrix`);
  if (pivots.ndim !== LU.ndim - 1 || !shapesEqual(pivots.shape.slice(0, -1), LU.shape.slice(0, -2))) {
    throw new RangeError(`${op}: Expected LU.shape[:-2] == pivots.shape[:-1], but got [${LU.shape.slice(0, -2).join(', ')}] and [${pivots.shape.slice(0, -1).join(', ')}]`);
  }
  if (B.device !== LU.device || pivots.device !== LU.device) throw new Error(`${op}: Expected all tensors to be on the same device, but found at least two devices, ${LU.device} and ${B.device !== LU.device ? B.device : pivots.device}!`);
  const left = opts.left ?? true, adjoint = opts.adjoint ?? false;
  const bm = B.shape[B.ndim - 2]!, bk = B.shape[B.ndim - 1]!;
  if ((left ? bm : bk) !== n) throw new RangeError(`${op}: Incompatible shapes of A and B for the equation ${left ? 'AX = B' : 'XA = B'} (${n}x${n} and ${bm}x${bk})`);
  return composite('linalgLuSolve', { left, adjoint }, () => {
    // X op(A) = B is op(A)^T X^T = B^T: a left solve with adjoint flipped on B^T.
    const Bl = left ? B : B.mT, trans = left ? adjoint : !adjoint, k = Bl.shape[Bl.ndim - 1]!;
    const batch = broadcastShapes(op, LU.shape.slice(0, -2), B.shape.slice(0, -2));
    const LUb = LU.expand([...batch, n, n]), Bb = Bl.expand([...batch, n, k]);
    const pivb = pivots.expand([...batch, n]);
    let X: Tensor;
    if (state.gradEnabled && (LU.requiresGrad || B.requiresGrad)) {
      const P = permMatrix(pivb, n, LU.dtype);
      X = trans
        // A^T X = B: X = P L^-T U^-T B
        ? P.matmul(solveTriangular(LUb.mT, solveTriangular(LUb.mT, Bb, { upper: false }), { upper: true, unitriangular: true }))
        // A X = B: X = U^-1 L^-1 P^T B
        : solveTriangular(LUb, solveTriangular(LUb, P.mT.matmul(Bb), { upper: false, unitriangular: true }), { upper: true });
    } else {
      const piv2 = noGrad(() => pivb.contiguous().reshape([-1, n]));
      const [X3] = runKernel(op, trans ? 'luSolveT' : 'luSolve', [mat3(LUb), piv2, mat3(Bb)], [[[piv2.shape[0]!, n, k], LU.dtype]]);
      X = X3!.reshape([...batch, n, k]);
    }
    return left ? X : X.mT;
  });
}

// ---------------------------------------------------------------- backward formulas (PyTorch's)

type Ctx<K extends keyof PrimAttrs> = SavedCtx<PrimAttrs[K]>;

/** X = A^-1 B: gB = A^-T g, gA = -gB X^T. */
export function solveBackward(g: Tensor, c: Ctx<'linalgSolve'>): (Tensor | null)[] {
  const A = c.inputs[0]!, X = c.output;
  const gB = solveCore(A.mT, g, null);
  return [c.needs[0] ? gB.matmul(X.mT).neg() : null, gB];
}

/** det: g det A^-T, or for singular A the cofactors through the SVD: U diag(prod_{j!=i} S_j) Vh det(U) det(Vh). */
export function detBackward(g: Tensor, c: Ctx<'linalgDet'>): Tensor[] {
  const A = c.inputs[0]!, d = c.output;
  const gd = g.mul(d).unsqueeze(-1).unsqueeze(-1);
  const regular = solveCore(A.mT, eyeLike(A).expand(A.shape).mul(gd), null);
  const [U, S, Vh] = svdParts('linalg.det', A, false);
  const n = S!.shape[S!.ndim - 1]!;
  const I = eye(n, { dtype: 'bool', device: A.device });
  const others = where(I, 1, S!.unsqueeze(-2).expand([...S!.shape.slice(0, -1), n, n])).prod(-1);
  const alpha = det(U!).mul(det(Vh!));
  const singular = U!.mul(others.mul(g.mul(alpha).unsqueeze(-1)).unsqueeze(-2)).matmul(Vh!);
  return [where(d.ne(0).unsqueeze(-1).unsqueeze(-1), regular, singular)];
}

/** log|det A|: g A^-T. */
export function slogdetBackward(g: Tensor, c: Ctx<'linalgSlogdet'>): Tensor[] {
  const A = c.inputs[0]!;
  return [solveCore(A.mT, eyeLike(A).expand(A.shape), null).mul(g.unsqueeze(-1).unsqueeze(-1))];
}

/** Cholesky (Murray 2016): gA = sym(L^-T Phi(L^T gL) L^-1), Phi = lower triangle with the diagonal halved. */
export function choleskyBackward(g: Tensor, c: Ctx<'linalgCholesky'>): Tensor[] {
  const L = c.output;
  let phi = L.mT.matmul(g).tril();
  phi = phi.sub(diagEmbed(phi.diagonal(0, -2, -1)).mul(0.5));
  const Linv = solveCore(L, eyeLike(L).expand(L.shape), null);
  const gA = Linv.mT.matmul(phi).matmul(Linv);
  return [gA.add(gA.mT).mul(0.5)];
}

/** gA = (gQ + Q copyltu(M)) R^-T with M = R gR^T - gQ^T Q (m >= n, full rank). */
function qrTall(Q: Tensor, R: Tensor, gQ: Tensor, gR: Tensor): Tensor {
  const M = R.matmul(gR.mT).sub(gQ.mT.matmul(Q));
  // copyltu(M): the lower triangle mirrored upwards, written as one select between M and M^T.
  const n = M.shape[M.ndim - 1]!;
  const lower = ones([n, n], { dtype: 'bool', device: M.device }).tril();
  const copyltu = where(lower, M, M.mT);
  const b = gQ.add(Q.matmul(copyltu));
  return solveCore(R, b.mT, null).mT;
}

/** QR: the tall formula, and for wide A = [X | Y] the square one on X with gQ + Y gR_Y^T, and gY = Q gR_Y. */
export function qrBackward(g: Tensor, c: Ctx<'linalgQr'>): Tensor[] {
  const { m, n, kq, mode } = c.attrs;
  if (mode === 'r') throw new Error("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.");
  if (mode === 'complete' && m > n) throw new Error("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.");
  const batch = c.inputShapes[0]!.slice(0, -2), shapes = [[m, kq], [kq, n]];
  const [Q, R] = unpack(c.output, shapes, batch), [gQ, gR] = unpack(g, shapes, batch);
  if (m >= n) return [qrTall(Q!, R!, gQ!, gR!)];
  const R1 = R!.narrow(-1, 0, m), R2 = R!.narrow(-1, m, n - m), gR1 = gR!.narrow(-1, 0, m), gR2 = gR!.narrow(-1, m, n - m);
  const Y = Q!.matmul(R2);
  const gX = qrTall(Q!, R1, gQ!.add(Y.matmul(gR2.mT)), gR1);
  return [cat([gX, Q!.matmul(gR2)], -1)];
}

/** eigh: gA = V (skew(V^T gV) / E + diag(gL)) V^T with E_ij = L_j - L_i (inf/nan where eigenvalues repeat, as PyTorch). */
export function eighBackward(g: Tensor, c: Ctx<'linalgEigh'>): Tensor[] {
  const { n } = c.attrs;
  const batch = c.inputShapes[0]!.slice(0, -2), shapes = [[n], [n, n]];
  const [L, V] = unpack(c.output, shapes, batch), [gL, gV] = unpack(g, shapes, batch);
  let VhgV = V!.mT.matmul(gV!);
  VhgV = VhgV.sub(VhgV.mT).mul(0.5);
  const I = eye(n, { dtype: 'bool', device: g.device });
  const E = where(I, 1, L!.unsqueeze(-2).sub(L!.unsqueeze(-1)));
  const ret = safeDiv(VhgV, E).add(diagEmbed(gL!));
  return [V!.matmul(ret).matmul(V!.mT)];
}

/** SVD (PyTorch's svd_backward on the reduced factors; inf/nan where singular values repeat and gU/gVh matter). */
export function svdBackward(g: Tensor, c: Ctx<'linalgSvd'>): Tensor[] {
  const { m, n, ku, kv } = c.attrs, k = Math.min(m, n);
  const batch = c.inputShapes[0]!.slice(0, -2), shapes = [[m, ku], [k], [kv, n]];
  let [U, S, Vh] = unpack(c.output, shapes, batch) as [Tensor, Tensor, Tensor];
  let [gU, gS, gVh] = unpack(g, shapes, batch) as [Tensor, Tensor, Tensor];
  if (ku > k) { U = U.narrow(-1, 0, k); gU = gU.narrow(-1, 0, k); }
  if (kv > k) { Vh = Vh.narrow(-2, 0, k); gVh = gVh.narrow(-2, 0, k); }
  const skew = (X: Tensor) => X.sub(X.mT);
  const UhgU = skew(U.mT.matmul(gU)), VhgV = skew(Vh.matmul(gVh.mT));
  const S2 = S.square();
  const I = eye(k, { dtype: 'bool', device: g.device });
  const E = where(I, 1, S2.unsqueeze(-2).sub(S2.unsqueeze(-1)));
  let gA = safeDiv(UhgU.mul(S.unsqueeze(-2)).add(S.unsqueeze(-1).mul(VhgV)), E).add(diagEmbed(gS));
  if (m > n) {
    gA = U.matmul(gA);
    const gUSinv = safeDiv(gU, S.unsqueeze(-2));
    gA = gA.add(gUSinv).sub(U.matmul(U.mT.matmul(gUSinv)));
    return [gA.matmul(Vh)];
  }
  if (m < n) {
    gA = gA.matmul(Vh);
    const SinvgVh = safeDiv(gVh, S.unsqueeze(-1));
    gA = gA.add(SinvgVh).sub(SinvgVh.matmul(Vh.mT).matmul(Vh));
    return [U.matmul(gA)];
  }
  return [U.matmul(gA).matmul(Vh)];
}

/** pinv (Golub & Pereyra, PyTorch's pinv_backward). */
export function pinvBackward(g: Tensor, c: Ctx<'linalgPinv'>): Tensor[] {
  const A = c.inputs[0]!, P = c.output;
  const m = A.shape[A.ndim - 2]!, n = A.shape[A.ndim - 1]!;
  const Ph = P.mT, gh = g.mT;
  if (m <= n) {
    const K = gh.matmul(P), KPh = K.matmul(Ph);
    return [P.matmul(K).mT.neg().add(KPh).sub(A.matmul(P).matmul(KPh)).add(Ph.matmul(P).matmul(gh.sub(K.matmul(A))))];
  }
  const K = P.matmul(gh), PhK = Ph.matmul(K);
  return [K.matmul(P).mT.neg().add(gh.sub(A.matmul(K)).matmul(P).matmul(Ph)).add(PhK).sub(PhK.matmul(P).matmul(A))];
}
