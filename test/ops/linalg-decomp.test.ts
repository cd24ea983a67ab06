// torch.linalg decompositions vs PyTorch (test/fixtures/gen_linalg_decomp.py): values, gradients
// of sum(out * gout) and error cases on every device, plus PyTorch's exact error messages.
// Sign-ambiguous factors are compared sign-normalised (colsign), as the fixtures are.

import { describe, expect, it } from 'vitest';
import { fromEncoded, loadFixtures, opSuite, torch } from '../helpers.js';
import type { Tensor } from '../../src/index.js';

const LA = torch.linalg;
const spd = (a: Tensor) => a.matmul(a.mT).add(torch.eye(a.shape.at(-1)!, { dtype: a.dtype, device: a.device }).mul(a.shape.at(-1)!));
const sym = (a: Tensor) => a.add(a.mT).div(2);
const colsign = (V: Tensor) => V.mul(V.narrow(-2, 0, 1).sign());
const diagEmbed = (v: Tensor) => v.unsqueeze(-1).mul(torch.eye(v.shape.at(-1)!, { dtype: v.dtype, device: v.device }));
const vhSigned = (r: { U: Tensor; Vh: Tensor }) => r.Vh.mul(r.U.narrow(-2, 0, 1).sign().mT);

/** The LU API's cases (PyTorch 1.13's linalg.lu_factor(_ex), lu, lu_solve and torch.lu_unpack). */
const luImpls: Record<string, (...xs: Tensor[]) => Tensor> = {
  'lu_factor/LU': (a) => LA.luFactor(a).LU,
  'lu_factor/pivots': (a) => LA.luFactor(a).pivots,
  'lu_factor/batched-float64': (a) => LA.luFactor(a).LU,
  'lu_factor/batched-pivots': (a) => LA.luFactor(a).pivots,
  'lu_factor/transposed': (a) => LA.luFactor(a.mT).LU,
  'lu_factor/wide': (a) => LA.luFactor(a).LU,
  'lu_factor/wide-pivots': (a) => LA.luFactor(a).pivots,
  'lu_factor/tall': (a) => LA.luFactor(a).LU,
  'lu_factor/tall-pivots': (a) => LA.luFactor(a).pivots,
  'lu_factor/singular-error': (a) => LA.luFactor(a).LU,
  'lu_factor/batched-singular-error': (a) => LA.luFactor(a).LU,
  'lu_factor/pivot-false-error': (a) => LA.luFactor(a, { pivot: false }).LU,
  'lu_factor/1d-error': (a) => LA.luFactor(a).LU,
  'lu_factor_ex/LU': (a) => LA.luFactorEx(a).LU,
  'lu_factor_ex/singular-info': (a) => LA.luFactorEx(a).info,
  'lu_factor_ex/batched-info': (a) => LA.luFactorEx(a).info,
  'lu_factor_ex/singular-LU': (a) => LA.luFactorEx(a).LU,
  'lu_factor_ex/tall-rank1-info': (a) => LA.luFactorEx(a).info,
  'lu_factor_ex/check-errors': (a) => LA.luFactorEx(a, { checkErrors: true }).LU,
  'lu/P': (a) => LA.lu(a).P,
  'lu/L': (a) => LA.lu(a).L,
  'lu/U': (a) => LA.lu(a).U,
  'lu/L-batched-float64': (a) => LA.lu(a).L,
  'lu/U-batched-float64': (a) => LA.lu(a).U,
  'lu/LU-sum-float64': (a) => { const r = LA.lu(a); return r.L.mul(2).add(r.U); },
  'lu/P-batched': (a) => LA.lu(a).P,
  'lu/wide-L': (a) => LA.lu(a).L,
  'lu/wide-U': (a) => LA.lu(a).U,
  'lu/tall-L': (a) => LA.lu(a).L,
  'lu/tall-U': (a) => LA.lu(a).U,
  'lu/tall-P': (a) => LA.lu(a).P,
  'lu/pivot-false-error': (a) => LA.lu(a, { pivot: false }).L,
  'lu/1d-error': (a) => LA.lu(a).L,
  'lu_unpack/P': (a) => { const f = LA.luFactor(a); return torch.luUnpack(f.LU, f.pivots).P; },
  'lu_unpack/L': (LU, p) => torch.luUnpack(LU, p).L,
  'lu_unpack/U': (LU, p) => torch.luUnpack(LU, p).U,
  'lu_unpack/P-batched': (a) => { const f = LA.luFactor(a); return torch.luUnpack(f.LU, f.pivots).P; },
  'lu_unpack/no-data': (LU, p) => torch.luUnpack(LU, p, { unpackData: false }).L,
  'lu_unpack/no-pivots': (LU, p) => torch.luUnpack(LU, p, { unpackPivots: false }).P,
  'lu_unpack/wide-U': (a) => { const f = LA.luFactor(a); return torch.luUnpack(f.LU, f.pivots).U; },
  'lu_unpack/pivots-dtype-error': (a, p) => torch.luUnpack(a, p).L,
  'lu_unpack/1d-error': (a, p) => torch.luUnpack(a, p).L,
  'lu_solve': (LU, p, b) => LA.luSolve(LU, p, b),
  'lu_solve/adjoint': (LU, p, b) => LA.luSolve(LU, p, b, { adjoint: true }),
  'lu_solve/right': (LU, p, b) => LA.luSolve(LU, p, b, { left: false }),
  'lu_solve/right-adjoint': (LU, p, b) => LA.luSolve(LU, p, b, { left: false, adjoint: true }),
  'lu_solve/float32': (LU, p, b) => LA.luSolve(LU, p, b),
  'lu_solve/through-lu_factor': (a, b) => { const f = LA.luFactor(a); return LA.luSolve(f.LU, f.pivots, b); },
  'lu_solve/batched-float64': (a, b) => { const f = LA.luFactor(a); return LA.luSolve(f.LU, f.pivots, b); },
  'lu_solve/broadcast-B': (a, b) => { const f = LA.luFactor(a); return LA.luSolve(f.LU, f.pivots, b); },
  'lu_solve/broadcast-LU': (a, b) => { const f = LA.luFactor(a); return LA.luSolve(f.LU, f.pivots, b, { adjoint: true }); },
  'lu_solve/shape-error': (LU, p, b) => LA.luSolve(LU, p, b),
  'lu_solve/right-shape-error': (LU, p, b) => LA.luSolve(LU, p, b, { left: false }),
  'lu_solve/dtype-error': (LU, p, b) => LA.luSolve(LU, p, b),
  'lu_solve/pivots-dtype-error': (LU, p, b) => LA.luSolve(LU, p, b),
  'lu_solve/pivots-count-error': (LU, p, b) => LA.luSolve(LU, p, b),
  'lu_solve/B-1d-error': (LU, p, b) => LA.luSolve(LU, p, b),
  'lu_solve/square-error': (LU, p, b) => LA.luSolve(LU, p, b),
};

opSuite('linalg_decomp', {
  'inv': (a) => LA.inv(a),
  'inv/batched': (a) => LA.inv(a),
  'inv/float64': (a) => LA.inv(a),
  'inv/transposed': (a) => LA.inv(a.mT),
  'inverse/alias': (a) => torch.inverse(a),
  'inv/singular-error': (a) => LA.inv(a),
  'inv/batched-singular-error': (a) => LA.inv(a),
  'inv/shape-error': (a) => LA.inv(a),
  'inv/1d-error': (a) => LA.inv(a),
  'solve': (a, b) => LA.solve(a, b),
  'solve/vector': (a, b) => LA.solve(a, b),
  'solve/batched-vector': (a, b) => LA.solve(a, b),
  'solve/broadcast': (a, b) => LA.solve(a, b),
  'solve/broadcast-A': (a, b) => LA.solve(a, b),
  'solve/left-false': (a, b) => LA.solve(a, b, { left: false }),
  'solve/float64': (a, b) => LA.solve(a, b),
  'solve/singular-error': (a, b) => LA.solve(a, b),
  'solve/shape-error': (a, b) => LA.solve(a, b),
  'solve/dtype-error': (a, b) => LA.solve(a, b),

  'det': (a) => LA.det(a),
  'det/batched': (a) => LA.det(a),
  'det/float64': (a) => LA.det(a),
  'det/1x1': (a) => LA.det(a),
  'det/singular': (a) => LA.det(a),
  'det/rank-n-1': (a) => LA.det(a),
  'det/alias': (a) => a.det(),
  'det/shape-error': (a) => LA.det(a),
  'slogdet/logabsdet': (a) => LA.slogdet(a).logabsdet,
  'slogdet/sign': (a) => LA.slogdet(a).sign,
  'slogdet/batched-float64': (a) => a.slogdet().logabsdet,

  'cholesky': (a) => LA.cholesky(spd(a)),
  'cholesky/upper': (a) => LA.cholesky(spd(a), { upper: true }),
  'cholesky/batched': (a) => LA.cholesky(spd(a)),
  'cholesky/float64': (a) => LA.cholesky(spd(a)),
  'cholesky/lower-triangle-only': (a) => LA.cholesky(spd(a).tril().add(torch.ones(3, 3, { dtype: 'float64' }).triu(1).mul(5))),
  'cholesky/not-pd-error': (a) => LA.cholesky(a),
  'cholesky/batched-not-pd-error': (a) => LA.cholesky(a),
  'cholesky/shape-error': (a) => LA.cholesky(a),

  'qr/Q': (a) => LA.qr(a).Q,
  'qr/R': (a) => LA.qr(a).R,
  'qr/square-Q': (a) => LA.qr(a).Q,
  'qr/wide-Q': (a) => LA.qr(a).Q,
  'qr/wide-R': (a) => LA.qr(a).R,
  'qr/batched-R': (a) => LA.qr(a).R,
  'qr/complete-Q': (a) => LA.qr(a, { mode: 'complete' }).Q,
  'qr/complete-R': (a) => LA.qr(a, { mode: 'complete' }).R,
  'qr/r-mode': (a) => LA.qr(a, { mode: 'r' }).R,
  'qr/mode-error': (a) => LA.qr(a, { mode: 'x' as 'r' }).R,
  'qr/1d-error': (a) => LA.qr(a).R,

  'eigh/eigenvalues': (a) => LA.eigh(sym(a)).eigenvalues,
  'eigh/eigenvectors': (a) => colsign(LA.eigh(sym(a)).eigenvectors),
  'eigh/batched-float64': (a) => colsign(LA.eigh(sym(a)).eigenvectors),
  'eigh/lower-triangle': (a) => LA.eigh(a).eigenvalues,
  'eigh/UPLO-U': (a) => colsign(LA.eigh(a, 'U').eigenvectors),
  'eigh/reconstruct': (a) => { const r = LA.eigh(sym(a)); return r.eigenvectors.matmul(diagEmbed(r.eigenvalues)).matmul(r.eigenvectors.mT); },
  'eigvalsh': (a) => LA.eigvalsh(sym(a)),
  'eigvalsh/repeated': (a) => LA.eigvalsh(a),
  'eigh/UPLO-error': (a) => LA.eigh(a, 'X' as 'L').eigenvalues,
  'eigh/shape-error': (a) => LA.eigh(a).eigenvalues,

  'svd/S': (a) => LA.svd(a).S,
  'svd/U': (a) => colsign(LA.svd(a, { fullMatrices: false }).U),
  'svd/Vh': (a) => vhSigned(LA.svd(a, { fullMatrices: false })),
  'svd/wide-U': (a) => colsign(LA.svd(a, { fullMatrices: false }).U),
  'svd/wide-Vh': (a) => vhSigned(LA.svd(a, { fullMatrices: false })),
  'svd/reconstruct': (a) => { const r = LA.svd(a, { fullMatrices: false }); return r.U.matmul(diagEmbed(r.S)).matmul(r.Vh); },
  'svd/full-U-first-columns': (a) => colsign(LA.svd(a).U.narrow(-1, 0, 3)),
  'svd/full-projector': (a) => { const U = LA.svd(a).U; return U.matmul(U.mT); },
  'svd/square-float64': (a) => colsign(LA.svd(a).U),
  'svdvals': (a) => LA.svdvals(a),
  'svdvals/batched-float64': (a) => LA.svdvals(a),
  'svdvals/repeated': (a) => LA.svdvals(a),
  'svd/1d-error': (a) => LA.svd(a).S,

  'pinv': (a) => LA.pinv(a),
  'pinv/wide-float64': (a) => LA.pinv(a),
  'pinv/batched': (a) => LA.pinv(a),
  'pinv/hermitian': (a) => LA.pinv(sym(a), { hermitian: true }),
  'pinv/rank-deficient': (a) => LA.pinv(a),
  'pinv/orthogonal': (a) => LA.pinv(a),
  'matrix_rank': (a) => LA.matrixRank(a),
  'matrix_rank/full': (a) => LA.matrixRank(a),
  'matrix_rank/atol': (a) => LA.matrixRank(a, { atol: 1e-2 }),
  'matrix_rank/rtol': (a) => LA.matrixRank(a, { rtol: 1e-2 }),
  'matrix_rank/hermitian': (a) => LA.matrixRank(a, { hermitian: true }),
  'lstsq/solution': (a, b) => LA.lstsq(a, b).solution,
  'lstsq/vector': (a, b) => LA.lstsq(a, b).solution,
  'lstsq/batched': (a, b) => LA.lstsq(a, b).solution,
  'lstsq/residuals-gelsd': (a, b) => LA.lstsq(a, b, { driver: 'gelsd' }).residuals,
  'lstsq/rank-gelsy': (a, b) => LA.lstsq(a, b).rank,
  'lstsq/singular-values-gelss': (a, b) => LA.lstsq(a, b, { driver: 'gelss' }).singularValues,
  'lstsq/residuals-gelsy-empty': (a, b) => LA.lstsq(a, b).residuals,
  'lstsq/shape-error': (a, b) => LA.lstsq(a, b).solution,

  'matrix_power/3': (a) => LA.matrixPower(a, 3),
  'matrix_power/0': (a) => LA.matrixPower(a, 0),
  'matrix_power/neg2': (a) => LA.matrixPower(a, -2),
  'matrix_power/batched-5': (a) => LA.matrixPower(a, 5),
  'matrix_power/method': (a) => a.matrixPower(2),
  'matrix_power/shape-error': (a) => LA.matrixPower(a, 2),
  'matrix_exp': (a) => LA.matrixExp(a),
  'matrix_exp/float64': (a) => LA.matrixExp(a),
  'matrix_exp/large-norm': (a) => LA.matrixExp(a.mul(8)),
  'matrix_exp/batched': (a) => LA.matrixExp(a.mul(torch.tensor([0.1, 3.0], { dtype: 'float64', device: a.device }).reshape(2, 1, 1))),
  'matrix_exp/zero': (a) => LA.matrixExp(a),
  'matrix_exp/shape-error': (a) => LA.matrixExp(a),
  'cond': (a) => LA.cond(a),
  'cond/-2': (a) => LA.cond(a, -2),
  'cond/fro': (a) => LA.cond(a, 'fro'),
  'cond/nuc': (a) => LA.cond(a, 'nuc'),
  'cond/inf': (a) => LA.cond(a, 'inf'),
  'cond/1': (a) => LA.cond(a, 1),
  'matrix_norm/2': (a) => LA.matrixNorm(a, 2),
  'matrix_norm/-2': (a) => LA.matrixNorm(a, -2),
  'matrix_norm/nuc': (a) => LA.matrixNorm(a, 'nuc'),
  'matrix_norm/nuc-dims-keepdim': (a) => LA.matrixNorm(a, 'nuc', [0, 2], true),
  'norm/2-matrix': (a) => LA.norm(a, 2),
  'svd/wide-U-f32': (a) => colsign(LA.svd(a, { fullMatrices: false }).U),
  'svd/full-U-first-columns-f32': (a) => colsign(LA.svd(a).U.narrow(-1, 0, 3)),
  'svd/full-Vh-wide-f32': (a) => { const r = LA.svd(a); return r.Vh.narrow(-2, 0, 2).mul(r.U.narrow(-2, 0, 1).sign().mT); },
  'eigh/UPLO-U-f32': (a) => colsign(LA.eigh(a, 'U').eigenvectors),
  'pinv/hermitian-f32': (a) => LA.pinv(sym(a), { hermitian: true }),
  'lstsq/batched-f32': (a, b) => LA.lstsq(a, b).solution,
  'qr/batched-Q-f32': (a) => LA.qr(a).Q,
  'matrix_exp/batched-f32': (a) => LA.matrixExp(a.mul(torch.tensor([0.5, 4.0], { device: a.device }).reshape(2, 1, 1))),
  'cond/f32': (a) => LA.cond(a),
  'det/batched-singular-f32': (a) => LA.det(a),
  'cond/singular-fro': (a) => LA.cond(a, 'fro'),

  ...luImpls,

  // torch.svd (1.13's deprecated form): V (not Vh), positional (some, computeUv) or options
  'torch.svd/S': (a) => torch.svd(a).S,
  'torch.svd/U': (a) => colsign(torch.svd(a).U),
  'torch.svd/V': (a) => { const r = torch.svd(a); return r.V.mul(r.U.narrow(-2, 0, 1).sign()); },
  'torch.svd/reconstruct-batched': (a) => { const r = a.svd(); return r.U.matmul(diagEmbed(r.S)).matmul(r.V.mT); },
  'torch.svd/some-false-V-wide': (a) => { const r = torch.svd(a, false); return r.V.narrow(-1, 0, 3).mul(r.U.narrow(-2, 0, 1).sign()); },
  'torch.svd/some-false-projector': (a) => { const V = torch.svd(a, { some: false }).V; return V.matmul(V.mT); },
  'torch.svd/no-uv-S': (a) => torch.svd(a, { computeUv: false }).S,
  'torch.svd/no-uv-U': (a) => torch.svd(a, { computeUv: false }).U,
  'torch.svd/no-uv-V': (a) => torch.svd(a, true, false).V,
  'torch.svd/1d-error': (a) => torch.svd(a).S,
});

/** The error a call throws (at the call on the CPU, else at the first read). */
async function errorOf(f: () => Tensor): Promise<string> {
  try { await f().data(); } catch (e) { return (e as Error).message; }
  return 'no error';
}

describe("linalg: PyTorch's error messages", () => {
  const SING = [[1, 2, 3], [2, 4, 6], [1, 1, 1]];
  it('names the non-positive-definite leading minor, and the batch element', async () => {
    expect(await errorOf(() => LA.cholesky(torch.tensor([[1, 2], [2, 1]], { dtype: 'float32' })))).toBe(
      'linalg.cholesky: The factorization could not be completed because the input is not positive-definite (the leading minor of order 2 is not positive-definite).');
    expect(await errorOf(() => LA.cholesky(torch.tensor([[[1, 0], [0, 1]], [[1, 2], [2, 1]]], { dtype: 'float32' })))).toBe(
      'linalg.cholesky: (Batch element 1): The factorization could not be completed because the input is not positive-definite (the leading minor of order 2 is not positive-definite).');
  });
  it('names the zero diagonal element of a singular inverse as LAPACK does', async () => {
    expect(await errorOf(() => LA.inv(torch.tensor(SING, { dtype: 'float32' })))).toBe(
      'linalg.inv: The diagonal element 2 is zero, the inversion could not be completed because the input matrix is singular.');
    expect(await errorOf(() => LA.inv(torch.tensor([[1, 2, 3], [1, 1, 1], [2, 4, 6]], { dtype: 'float32' })))).toMatch(/diagonal element 3 is zero/);
    expect(await errorOf(() => torch.tensor([[0, 0], [0, 1]], { dtype: 'float32' }).inverse())).toMatch(/diagonal element 1 is zero/);
    expect(await errorOf(() => LA.solve(torch.tensor(SING, { dtype: 'float32' }), torch.ones(3)))).toBe(
      'torch.linalg.solve: The solver failed because the input matrix is singular.');
  });
  it('names shapes and dtypes', async () => {
    expect(await errorOf(() => LA.inv(torch.ones(2, 3)))).toBe('linalg.inv: A must be batches of square matrices, but they are 2 by 3 matrices');
    expect(await errorOf(() => LA.solve(torch.eye(3), torch.ones(4, 2)))).toBe('linalg.solve: Incompatible shapes of A and B for the equation AX = B (3x3 and 4x2)');
    expect(await errorOf(() => LA.svd(torch.ones(3)).S)).toBe('linalg.svd: The input tensor A must have at least 2 dimensions.');
    expect(await errorOf(() => torch.svd(torch.ones(3)).S)).toBe('svd: The input tensor A must have at least 2 dimensions.');
    expect(() => torch.svd(torch.ones(2, 2), 1 as never)).toThrow(TypeError); // PyTorch: argument 'some' must be bool, not int
    expect(() => torch.svd(torch.ones(2, 2), { compute_uv: false } as never)).toThrow(/did you mean 'computeUv'/);
    expect(await errorOf(() => LA.det(torch.ones(2, 2, { dtype: 'int32' })))).toMatch(/linalg.det: .*floating point.*int32/);
  });
  it("raises PyTorch's errors for gradients of qr in mode 'r' and complete tall", () => {
    const a = torch.randn(4, 3, { requiresGrad: true });
    expect(() => LA.qr(a, { mode: 'r' }).R.sum().backward()).toThrow(/depends on Q, which is not computed when mode='r'/);
    expect(() => LA.qr(a, { mode: 'complete' }).Q.sum().backward()).toThrow("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.");
  });
  it('svd/eigh gradients are inf/nan where values repeat and the vectors matter (as PyTorch)', async () => {
    const a = torch.eye(3, { dtype: 'float64', requiresGrad: true });
    LA.svd(a).U.narrow(-1, 0, 1).sum().backward();
    expect(Array.from(await a.grad!.data()).some((v) => !Number.isFinite(v))).toBe(true);
    const b = torch.eye(3, { dtype: 'float64', requiresGrad: true });
    LA.svd(b).S.sum().backward(); // singular values alone: well defined
    expect(Array.from(await b.grad!.data())).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  });
});

describe.runIf(torch.webgpu.isAvailable())('linalg: errors on WebGPU surface at the read', () => {
  it('cholesky and inv reject the read with the message', async () => {
    const a = torch.tensor([[1, 2], [2, 1]], { dtype: 'float32', device: 'webgpu' });
    await expect(LA.cholesky(a).data()).rejects.toThrow(/leading minor of order 2 is not positive-definite/);
    await expect(LA.inv(torch.tensor([[1, 2], [2, 4]], { dtype: 'float32', device: 'webgpu' })).data()).rejects.toThrow(/diagonal element 2 is zero/);
  });
});

describe('linalg: gradcheck in float64 (finite differences)', () => {
  const A = () => torch.randn(3, 3, { dtype: 'float64' }).requiresGrad_(true);
  it('inv, det, slogdet, solve, cholesky, matrixExp', () => {
    expect(torch.autograd.gradcheck((a: Tensor) => LA.inv(a), [A()])).toBe(true);
    expect(torch.autograd.gradcheck((a: Tensor) => LA.det(a), [A()])).toBe(true);
    // at a singular matrix: the cofactors (PyTorch 1.13 returns zeros there)
    const S = torch.tensor([[2, 1, 0], [4, 2, 0], [1, 3, 5]], { dtype: 'float64', requiresGrad: true });
    expect(torch.autograd.gradcheck((a: Tensor) => LA.det(a), [S])).toBe(true);
    expect(torch.autograd.gradcheck((a: Tensor) => LA.slogdet(a).logabsdet, [A()])).toBe(true);
    expect(torch.autograd.gradcheck((a: Tensor, b: Tensor) => LA.solve(a, b), [A(), torch.randn(3, 2, { dtype: 'float64' }).requiresGrad_(true)])).toBe(true);
    expect(torch.autograd.gradcheck((a: Tensor) => LA.pinv(a), [torch.randn(4, 3, { dtype: 'float64' }).requiresGrad_(true)])).toBe(true);
    expect(torch.autograd.gradcheck((a: Tensor) => LA.cholesky(spd(a)), [A()])).toBe(true);
    expect(torch.autograd.gradcheck((a: Tensor) => LA.matrixExp(a), [A()])).toBe(true);
  });
  it('second order: gradgradcheck of inv, det, cholesky, eigvalsh, svdvals', () => {
    const gg = (f: (a: Tensor) => Tensor, a: Tensor) => torch.autograd.gradgradcheck(f, [a]);
    expect(gg((a) => LA.inv(a), A())).toBe(true);
    expect(gg((a) => LA.det(a), A())).toBe(true);
    expect(gg((a) => LA.cholesky(spd(a)), A())).toBe(true);
    expect(gg((a) => LA.eigvalsh(sym(a)), A())).toBe(true);
    expect(gg((a) => LA.svdvals(a), A())).toBe(true);
  });
  it('qr, eigh, svd (gauge-invariant uses)', () => {
    expect(torch.autograd.gradcheck((a: Tensor) => LA.qr(a).Q, [torch.randn(4, 3, { dtype: 'float64' }).requiresGrad_(true)])).toBe(true);
    expect(torch.autograd.gradcheck((a: Tensor) => LA.qr(a).R, [torch.randn(3, 5, { dtype: 'float64' }).requiresGrad_(true)])).toBe(true);
    expect(torch.autograd.gradcheck((a: Tensor) => colsign(LA.eigh(sym(a)).eigenvectors), [A()])).toBe(true);
    expect(torch.autograd.gradcheck((a: Tensor) => colsign(LA.svd(a, { fullMatrices: false }).U), [torch.randn(4, 3, { dtype: 'float64' }).requiresGrad_(true)])).toBe(true);
    expect(torch.autograd.gradcheck((a: Tensor) => vhSigned(LA.svd(a, { fullMatrices: false })), [torch.randn(3, 4, { dtype: 'float64' }).requiresGrad_(true)])).toBe(true);
  });
});

describe('linalg LU API: PyTorch 1.13 messages, reconstruction, gradcheck', () => {
  it("raises PyTorch's exact message for every LU error case", () => {
    const cases = loadFixtures('linalg_decomp');
    let checked = 0;
    for (const [name, f] of Object.entries(luImpls)) {
      const c = cases[name]!;
      if (c.error === undefined) continue;
      const xs = c.inputs.map((e) => fromEncoded(e, 'cpu'));
      expect(() => f(...xs), name).toThrow(c.error);
      let msg = '';
      try { f(...xs); } catch (e) { msg = (e as Error).message; }
      expect(msg, name).toBe(c.error);
      checked++;
    }
    expect(checked).toBe(16);
  });
  it('A = P L U for square, wide and tall inputs; luSolve solves each form', () => {
    for (const shape of [[2, 4, 4], [3, 5], [5, 3]]) {
      const A = torch.randn(...shape, { dtype: 'float64' });
      const { P, L, U } = LA.lu(A);
      expect(P.matmul(L).matmul(U).sub(A).abs().max().itemSync()).toBeLessThan(1e-12);
    }
    const A = torch.randn(4, 4, { dtype: 'float64' }), B = torch.randn(4, 3, { dtype: 'float64' });
    const { LU, pivots } = LA.luFactor(A);
    const res = (X: Tensor, R: Tensor) => X.sub(R).abs().max().itemSync() as number;
    expect(res(A.matmul(LA.luSolve(LU, pivots, B)), B)).toBeLessThan(1e-12);
    expect(res(A.mT.matmul(LA.luSolve(LU, pivots, B, { adjoint: true })), B)).toBeLessThan(1e-12);
    expect(res(LA.luSolve(LU, pivots, B.mT, { left: false }).matmul(A), B.mT)).toBeLessThan(1e-12);
    expect(res(LA.luSolve(LU, pivots, B.mT, { left: false, adjoint: true }).matmul(A.mT), B.mT)).toBeLessThan(1e-12);
  });
  it('gradcheck and gradgradcheck in float64 (finite differences)', () => {
    const R = (...s: number[]) => torch.randn(...s, { dtype: 'float64' }).requiresGrad_(true);
    const gc = (f: (...a: Tensor[]) => Tensor, xs: Tensor[]) => torch.autograd.gradcheck(f, xs);
    expect(gc((a) => LA.luFactor(a).LU, [R(4, 4)])).toBe(true);
    expect(gc((a) => LA.luFactorEx(a).LU, [R(2, 3, 3)])).toBe(true);
    expect(gc((a) => { const r = LA.lu(a); return r.L.add(r.U); }, [R(4, 4)])).toBe(true);
    expect(gc((a) => LA.lu(a).L, [R(5, 3)])).toBe(true);
    expect(gc((a) => LA.lu(a).U, [R(3, 5)])).toBe(true);
    const { LU, pivots } = LA.luFactor(torch.randn(4, 4, { dtype: 'float64' }));
    const LUg = LU.detach().requiresGrad_(true);
    for (const o of [{}, { adjoint: true }, { left: false }, { left: false, adjoint: true }]) {
      expect(gc((lu, b) => LA.luSolve(lu, pivots, b, o), [LUg, R(4, 4)])).toBe(true);
    }
    expect(torch.autograd.gradgradcheck((a: Tensor) => LA.luFactor(a).LU, [R(3, 3)])).toBe(true);
    expect(torch.autograd.gradgradcheck((lu: Tensor, b: Tensor) => LA.luSolve(lu, pivots, b), [LUg, R(4, 2)])).toBe(true);
  });
  it('P gets no gradient; luFactor without a gradient records nothing', () => {
    const a = torch.randn(3, 3).requiresGrad_(true);
    expect(LA.lu(a).P.requiresGrad).toBe(false);
    expect(LA.lu(a).L.requiresGrad).toBe(true);
    expect(torch.noGrad(() => LA.luFactor(a).LU.requiresGrad)).toBe(false);
  });
});
