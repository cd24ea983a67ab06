// Small dense linear algebra for MultivariateNormal, composed from elementwise ops and reductions so it
// runs and differentiates on every device: a column-by-column Cholesky and triangular solves. Each is
// O(n) (Cholesky) or O(n) op launches per call on [..., n, n] batches: meant for the event sizes of a
// distribution (a handful to a few dozen), not for large matrices. A non-positive-definite input gives
// NaN in the factor (sqrt of a negative pivot), which PositiveDefinite.check reads as invalid.

import { Tensor } from '../tensor.js';
import { stack, arange } from '../ops/index.js';

/** The lower Cholesky factor L (L L^T = A) of a batch of symmetric matrices [..., n, n]. */
export function cholesky(Ain: Tensor): Tensor {
  // Read through (A + A^T) / 2: the value is A's for symmetric input, and the gradient is symmetric,
  // split between A[i, j] and A[j, i] as PyTorch's cholesky backward gives it.
  const A = Ain.add(Ain.transpose(-2, -1)).mul(0.5);
  const n = A.shape[A.ndim - 1]!;
  const rows = arange(n, { device: A.device, dtype: A.dtype });
  const cols: Tensor[] = [];
  for (let j = 0; j < n; j++) {
    // s = A[:, j] - sum_{m<j} L[:, m] L[j, m]
    let s = A.select(-1, j);
    for (let m = 0; m < j; m++) s = s.sub(cols[m]!.mul(cols[m]!.narrow(-1, j, 1)));
    const d = s.narrow(-1, j, 1).sqrt();
    cols.push(s.div(d).mul(rows.ge(j).to(A.dtype)));
  }
  return stack(cols, -1);
}

/** Solves L X = B for lower-triangular L [..., n, n] and B [..., n, k] by forward substitution. */
export function solveLower(L: Tensor, B: Tensor): Tensor {
  const n = L.shape[L.ndim - 1]!;
  const xs: Tensor[] = [];
  for (let i = 0; i < n; i++) {
    let r = B.select(-2, i);
    for (let m = 0; m < i; m++) r = r.sub(xs[m]!.mul(L.select(-2, i).narrow(-1, m, 1)));
    xs.push(r.div(L.select(-2, i).narrow(-1, i, 1)));
  }
  return stack(xs, -2);
}

/** Solves U X = B for upper-triangular U by back substitution. */
export function solveUpper(U: Tensor, B: Tensor): Tensor {
  const n = U.shape[U.ndim - 1]!;
  const xs: Tensor[] = new Array<Tensor>(n);
  for (let i = n - 1; i >= 0; i--) {
    let r = B.select(-2, i);
    for (let m = i + 1; m < n; m++) r = r.sub(xs[m]!.mul(U.select(-2, i).narrow(-1, m, 1)));
    xs[i] = r.div(U.select(-2, i).narrow(-1, i, 1));
  }
  return stack(xs, -2);
}

/** The inverse of A = L L^T from its lower Cholesky factor. */
export function choleskyInverse(L: Tensor): Tensor {
  const n = L.shape[L.ndim - 1]!;
  const eye = arange(n, { device: L.device, dtype: L.dtype });
  const I = eye.unsqueeze(-1).eq(eye).to(L.dtype).expand([...L.shape]);
  const Linv = solveLower(L, I);
  return Linv.transpose(-2, -1).matmul(Linv);
}
