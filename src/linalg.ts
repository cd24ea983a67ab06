// torch.linalg: PyTorch's linear-algebra namespace. Norms, cross, diagonal and matmul come from the
// op modules; decompositions (cholesky, qr, eigh, svd, LU-based solve/inv/det) and what is built on
// them (lstsq, pinv, matrixRank, cond, matrixPower, matrixExp) from ops/decomp.ts.

import type { Tensor } from './tensor.js';
import { cross as crossImpl, diagonal as diagonalImpl, linalgNorm, matrixNorm, vectorNorm, matmul } from './ops/index.js';

export { vectorNorm, matrixNorm, linalgNorm as norm, matmul };
export type { VectorNormOpts, MatrixNormOpts } from './ops/matrix.js';
export {
  inv, solve, det, slogdet, cholesky, qr, eigh, eigvalsh, svd, svdvals, pinv, matrixRank, lstsq, matrixPower, matrixExp, cond,
} from './ops/decomp.js';
export type {
  SolveOpts, SlogdetResult, QRResult, QROpts, EighResult, SVDResult, SVDOpts, RankTolOpts, LstsqResult, LstsqOpts,
} from './ops/decomp.js';
/** torch.linalg.cross: as torch.cross, but dim defaults to -1. */
export function cross(a: Tensor, b: Tensor, opts: number | { dim?: number } = -1): Tensor {
  return crossImpl(a, b, typeof opts === 'number' ? opts : (opts.dim ?? -1));
}
/** torch.linalg.diagonal: as torch.diagonal, but over the last two dims by default. */
export function diagonal(A: Tensor, opts: { offset?: number; dim1?: number; dim2?: number } = {}): Tensor {
  return diagonalImpl(A, opts.offset ?? 0, opts.dim1 ?? -2, opts.dim2 ?? -1);
}
