// torch.linalg: PyTorch's linear-algebra namespace. Norms, cross, diagonal and matmul come from the
// op modules; decompositions (cholesky, qr, eigh, svd, LU: luFactor(Ex), lu, luSolve, and LU-based
// solve/inv/det) and what is built on them (lstsq, pinv, matrixRank, cond, matrixPower, matrixExp,
// solveTriangular, invEx, choleskyEx) from ops/decomp.ts; eig, eigvals and householderProduct from
// ops/eig.ts; multiDot and vecdot are composed here from matmul, conj, mul and sum.

import { Tensor } from './tensor.js';
import { scalarTypeName } from './dtype.js';
import { cross as crossImpl, diagonal as diagonalImpl, linalgNorm, matrixNorm, vectorNorm, matmul } from './ops/index.js';

export { vectorNorm, matrixNorm, linalgNorm as norm, matmul };
export type { VectorNormOpts, MatrixNormOpts } from './ops/matrix.js';
export {
  inv, solve, det, slogdet, cholesky, qr, eigh, eigvalsh, svd, svdvals, pinv, matrixRank, lstsq, matrixPower, matrixExp, cond,
  solveTriangular, invEx, choleskyEx, luFactor, luFactorEx, lu, luSolve,
} from './ops/decomp.js';
export type {
  SolveTriangularOpts, InvExResult, CholeskyExResult, LuFactorOpts, LuFactorResult, LuFactorExResult, PLUResult, LuUnpackOpts, LuSolveOpts,
  SolveOpts, SlogdetResult, QRResult, QROpts, EighResult, SVDResult, SVDOpts, RankTolOpts, LstsqResult, LstsqOpts,
} from './ops/decomp.js';
// Nonsymmetric eigen-decomposition and Householder products (ops/eig.ts).
export { eig, eigvals, eigAsync, eigvalsAsync, householderProduct } from './ops/eig.js';
export type { EigResult } from './ops/eig.js';
/** torch.linalg.cross: as torch.cross, but dim defaults to -1. */
export function cross(a: Tensor, b: Tensor, opts: number | { dim?: number } = -1): Tensor {
  return crossImpl(a, b, typeof opts === 'number' ? opts : (opts.dim ?? -1));
}
/** torch.linalg.diagonal: as torch.diagonal, but over the last two dims by default. */
export function diagonal(A: Tensor, opts: { offset?: number; dim1?: number; dim2?: number } = {}): Tensor {
  return diagonalImpl(A, opts.offset ?? 0, opts.dim1 ?? -2, opts.dim2 ?? -1);
}

/** PyTorch's C++ scalar type names, for messages that print them. */
const CPP_TYPE: Record<string, string> = { float32: 'float', float64: 'double', float16: 'c10::Half', int32: 'int', uint8: 'unsigned char', bool: 'bool', complex64: 'c10::complex<float>', complex128: 'c10::complex<double>' };

/**
 * torch.linalg.multi_dot(tensors): the chain product of 2-D matrices, multiplied in the order of
 * fewest scalar multiplications (matrix-chain dynamic programming, as PyTorch). The first tensor may
 * be 1-D (a row vector) and the last 1-D (a column vector); their unit dims are dropped from the result.
 */
export function multiDot(tensors: readonly Tensor[]): Tensor {
  const n = tensors.length;
  if (n < 2) throw new RangeError(`multi_dot(): expected at least 2 tensors but got ${n}`);
  tensors.forEach((t, i) => { if (!(t instanceof Tensor)) throw new TypeError(`multi_dot(): expected a Tensor at index ${i}, got ${typeof t}`); });
  const first = tensors[0]!, last = tensors[n - 1]!;
  if (first.ndim !== 1 && first.ndim !== 2) throw new RangeError(`multi_dot(): the first tensor must be 1D or 2D but got ${first.ndim}D`);
  if (last.ndim !== 1 && last.ndim !== 2) throw new RangeError(`multi_dot(): the last tensor must be 1D or 2D but got ${last.ndim}D`);
  for (let i = 1; i < n - 1; i++) {
    if (tensors[i]!.ndim !== 2) throw new RangeError(`multi_dot(): tensor ${i} must be 2D but got ${tensors[i]!.ndim}D`);
  }
  for (let i = 1; i < n; i++) {
    const d0 = first.dtype, di = tensors[i]!.dtype;
    if (di !== d0) throw new TypeError(`multi_dot(): all tensors must have be the same dtype but tensor 0 is ${CPP_TYPE[d0] ?? d0} and tensor ${i} ${CPP_TYPE[di] ?? di}`);
    if (tensors[i]!.device !== first.device) throw new Error(`multi_dot(): all tensors must be on the same device but tensor 0 is on ${first.device} and tensor ${i} on ${tensors[i]!.device}`);
  }
  const mats = tensors.map((t, i) => (t.ndim === 2 ? t : i === 0 ? t.unsqueeze(0) : t.unsqueeze(-1)));
  for (let i = 1; i < n; i++) {
    const a = mats[i - 1]!.shape, b = mats[i]!.shape;
    if (a[1] !== b[0]) throw new RangeError(`multi_dot(): tensors ${i - 1} and ${i} with shapes [${a.join(', ')}] and [${b.join(', ')}] cannot be multiplied`);
  }
  // p[i] x p[i + 1] is the shape of matrix i; cost[i][j] the fewest multiplications for mats i..j, split[i][j] its split.
  const p = [...mats.map((m) => m.shape[0]!), mats[n - 1]!.shape[1]!];
  const cost = mats.map(() => new Array<number>(n).fill(0)), split = mats.map(() => new Array<number>(n).fill(0));
  for (let len = 1; len < n; len++) {
    for (let i = 0; i + len < n; i++) {
      const j = i + len;
      cost[i]![j] = Infinity;
      for (let k = i; k < j; k++) {
        const c = cost[i]![k]! + cost[k + 1]![j]! + p[i]! * p[k + 1]! * p[j + 1]!;
        if (c < cost[i]![j]!) { cost[i]![j] = c; split[i]![j] = k; }
      }
    }
  }
  const chain = (i: number, j: number): Tensor => (i === j ? mats[i]! : chain(i, split[i]![j]!).matmul(chain(split[i]![j]! + 1, j)));
  let out = chain(0, n - 1);
  if (first.ndim === 1) out = out.squeeze(0);
  if (last.ndim === 1) out = out.squeeze(-1);
  return out;
}

/** torch.linalg.vecdot(x, y, { dim = -1 }): sum(conj(x) * y) over dim, broadcast (x is conjugated when complex, as PyTorch). */
export function vecdot(x: Tensor, y: Tensor, opts: { dim?: number } = {}): Tensor {
  if (!(x instanceof Tensor) || !(y instanceof Tensor)) throw new TypeError('linalg.vecdot: expected Tensors for x and y');
  if (x.dtype !== y.dtype) {
    throw new TypeError(`linalg.vecdot: Expected x and y to have the same dtype, but found x of type ${scalarTypeName(x.dtype)} and y of type ${scalarTypeName(y.dtype)} instead`);
  }
  return x.conj().mul(y).sum(opts.dim ?? -1);
}
