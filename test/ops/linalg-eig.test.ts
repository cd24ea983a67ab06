// torch.geqrf, linalg.householderProduct / torch.orgqr and linalg.eig / eigvals vs PyTorch
// (test/fixtures/gen_linalg_eig.py) on every device, plus eig's defining properties: A V = V diag(L),
// unit-norm columns, conjugate pairs, and the async variants. eig's outputs are compared through the
// fixtures' order- and gauge-invariant views (sorted eigenvalues, |V| in that order).

import { describe, expect, it } from 'vitest';
import { dataDependent, opSuite, torch } from '../helpers.js';
import type { Tensor } from '../../src/index.js';

const LA = torch.linalg;

/** Indices sorting eigenvalues by real part, ties by imaginary part descending (as the fixtures). */
function order(L: Tensor): Tensor {
  const i1 = torch.sort(torch.imag(L), { dim: -1, descending: true, stable: true }).indices;
  const i2 = torch.sort(torch.real(L).gather(-1, i1), { dim: -1, stable: true }).indices;
  return i1.gather(-1, i2);
}
const sortedVals = (L: Tensor): Tensor => { const i = order(L); return torch.stack([torch.real(L).gather(-1, i), torch.imag(L).gather(-1, i)], -1); };
const absVecs = (r: { eigenvalues: Tensor; eigenvectors: Tensor }): Tensor =>
  r.eigenvectors.abs().gather(-1, order(r.eigenvalues).unsqueeze(-2).expand([...r.eigenvectors.shape]));

const geqrfA = dataDependent((a) => torch.geqrf(a).a, async (a) => (await torch.geqrfAsync(a)).a);
const geqrfTau = dataDependent((a) => torch.geqrf(a).tau, async (a) => (await torch.geqrfAsync(a)).tau);
const eigV = (f: (r: { eigenvalues: Tensor; eigenvectors: Tensor }) => Tensor, pre: (a: Tensor) => Tensor = (a) => a) =>
  dataDependent((a) => f(LA.eig(pre(a))), async (a) => f(await LA.eigAsync(pre(a))));
const vals = (f: (L: Tensor) => Tensor, pre: (a: Tensor) => Tensor = (a) => a) =>
  dataDependent((a) => f(LA.eig(pre(a)).eigenvalues), async (a) => f((await LA.eigAsync(pre(a))).eigenvalues));
const eigvals = (f: (L: Tensor) => Tensor) => dataDependent((a) => f(LA.eigvals(a)), async (a) => f(await LA.eigvalsAsync(a)));
const ofGeqrf = dataDependent((a) => { const r = torch.geqrf(a); return LA.householderProduct(r.a, r.tau); },
  async (a) => { const r = await torch.geqrfAsync(a); return LA.householderProduct(r.a, r.tau); });

opSuite('linalg_eig', {
  'geqrf/a': geqrfA,
  'geqrf/tau': geqrfTau,
  'geqrf/wide-a': geqrfA,
  'geqrf/wide-tau': geqrfTau,
  'geqrf/batched-float64-a': geqrfA,
  'geqrf/batched-float64-tau': geqrfTau,
  'geqrf/zero-column': geqrfA,
  'geqrf/1d-error': geqrfA,

  'householder_product': (a, t) => LA.householderProduct(a, t),
  'householder_product/batched-float64': (a, t) => LA.householderProduct(a, t),
  'householder_product/square': (a, t) => LA.householderProduct(a, t),
  'householder_product/of-geqrf': ofGeqrf,
  'householder_product/of-geqrf-f32': ofGeqrf,
  'orgqr/alias': (a, t) => torch.orgqr(a, t),
  'householder_product/1d-error': (a, t) => LA.householderProduct(a, t),
  'householder_product/wide-error': (a, t) => LA.householderProduct(a, t),
  'householder_product/tau-size-error': (a, t) => LA.householderProduct(a, t),
  'householder_product/tau-ndim-error': (a, t) => LA.householderProduct(a, t),
  'householder_product/batch-error': (a, t) => LA.householderProduct(a, t),
  'householder_product/dtype-error': (a, t) => LA.householderProduct(a, t),

  'eig/eigenvalues': vals(sortedVals),
  'eig/eigenvalues-float64': vals(sortedVals),
  'eig/eigenvalues-batched': vals(sortedVals),
  'eig/eigenvectors-abs': eigV(absVecs),
  'eig/eigenvectors-abs-float64': eigV(absVecs),
  'eig/eigenvectors-abs-large': eigV(absVecs),
  'eig/symmetric': vals(sortedVals, (a) => a.add(a.mT)),
  'eig/rotation': eigV(absVecs),
  'eig/triangular': eigV(absVecs),
  'eig/1x1': vals(sortedVals),
  'eig/transposed-input': vals(sortedVals, (a) => a.mT),
  'eigvals': eigvals(sortedVals),
  'eigvals/float64': eigvals(sortedVals),
  'eigvals/companion': eigvals(sortedVals),
  'eig/1d-error': vals(torch.real),
  'eig/shape-error': vals(torch.real),
  'eigvals/shape-error': eigvals(torch.real),
  'eig/nan-error': vals(torch.real),
});

/** Max |x| over a real tensor, read on the host. */
async function maxAbs(x: Tensor): Promise<number> { return Math.max(0, ...Array.from(await x.abs().data(), Number)); }

describe('linalg.eig: defining properties', () => {
  for (const [dtype, tol] of [['float64', 1e-10], ['float32', 2e-4]] as const) {
    it(`A V = V diag(L) with unit columns, conjugate pairs, complex outputs (${dtype})`, async () => {
      for (const n of [1, 2, 3, 8, 20]) {
        const A = torch.randn(3, n, n, { dtype: 'float64' }).to(dtype);
        const { eigenvalues: L, eigenvectors: V } = LA.eig(A);
        expect(L.dtype).toBe(dtype === 'float64' ? 'complex128' : 'complex64');
        expect(V.shape).toEqual([3, n, n]);
        const Ac = torch.complex(A, torch.zerosLike(A));
        const resid = Ac.matmul(V).sub(V.mul(L.unsqueeze(-2)));
        expect(await maxAbs(resid.abs()), `residual n=${n}`).toBeLessThan(tol * n * 10);
        expect(await maxAbs(V.abs().pow(2).sum(-2).sub(1)), 'unit norms').toBeLessThan(tol);
        // Eigenvalues of a real matrix are closed under conjugation: sorted L and sorted conj(L) agree.
        expect(await maxAbs(sortedVals(L).sub(sortedVals(torch.conj(L))))).toBeLessThan(tol * 10);
        expect(await maxAbs(LA.eigvals(A).sub(L).abs())).toBe(0);
      }
    });
  }
  it('eig of a defective (Jordan) matrix gives repeated eigenvalues and finite vectors', async () => {
    const { eigenvalues: L, eigenvectors: V } = LA.eig(torch.tensor([[2, 1], [0, 2]], { dtype: 'float64' }));
    expect(Array.from(await torch.viewAsReal(L).data())).toEqual([2, 0, 2, 0]);
    expect((await V.abs().data()).every((v) => Number.isFinite(v))).toBe(true);
  });
  it('empty batches give empty complex outputs', () => {
    const r = LA.eig(torch.zeros(0, 3, 3));
    expect(r.eigenvalues.shape).toEqual([0, 3]);
    expect(r.eigenvectors.shape).toEqual([0, 3, 3]);
    expect(LA.eigvals(torch.zeros(2, 0, 0)).shape).toEqual([2, 0]);
  });
  it('eigvals of non-finite input gives NaN (PyTorch 1.13 does not check there)', async () => {
    const L = LA.eigvals(torch.tensor([[1, Infinity], [0, 2]]));
    expect(Array.from(await torch.viewAsReal(L).data()).every(Number.isNaN)).toBe(true);
  });
});

describe('geqrf / householderProduct', () => {
  it('householderProduct(geqrf(A)) and triu(geqrf(A).a) equal linalg.qr', async () => {
    const A = torch.randn(2, 6, 4, { dtype: 'float64' });
    const { a, tau } = torch.geqrf(A);
    const { Q, R } = LA.qr(A);
    expect(await maxAbs(LA.householderProduct(a, tau).sub(Q))).toBeLessThan(1e-12);
    expect(await maxAbs(a.narrow(-2, 0, 4).triu().sub(R))).toBeLessThan(1e-12);
  });
  it('geqrf, eig and eigvals refuse an input that requires grad (no derivative here: a silently missing gradient otherwise), and run on it detached or under noGrad', () => {
    const A = torch.randn(3, 3, { requiresGrad: true });
    expect(() => torch.geqrf(A)).toThrow("torch.geqrf: the derivative for 'geqrf' is not implemented in torchlet");
    expect(() => LA.eig(A)).toThrow("linalg.eig: the derivative for 'linalg_eig' is not implemented in torchlet");
    expect(() => LA.eigvals(A)).toThrow("linalg.eigvals: the derivative for 'linalg_eigvals' is not implemented in torchlet");
    expect(torch.geqrf(A.detach()).a.requiresGrad).toBe(false);
    expect(torch.noGrad(() => LA.eigvals(A)).shape).toEqual([3]);
    expect(LA.eig(A.detach()).eigenvectors.shape).toEqual([3, 3]);
  });
  it('householderProduct passes gradcheck in A and tau', () => {
    const A = torch.randn(4, 3, { dtype: 'float64' }).requiresGrad_(true);
    const tau = torch.randn(2, { dtype: 'float64' }).requiresGrad_(true);
    expect(torch.autograd.gradcheck((a: Tensor, t: Tensor) => LA.householderProduct(a, t), [A, tau])).toBe(true);
  });
});

describe("eig / geqrf / householderProduct: PyTorch's error messages", () => {
  it('names shapes, dtypes and non-finite input', () => {
    expect(() => LA.eig(torch.ones(2, 3))).toThrow('linalg.eig: A must be batches of square matrices, but they are 2 by 3 matrices');
    expect(() => LA.eigvals(torch.ones(3))).toThrow('linalg.eigvals: The input tensor A must have at least 2 dimensions.');
    expect(() => LA.eig(torch.tensor([[1, NaN], [0, 1]]))).toThrow('torch.linalg.eig: input tensor should not contain infs or NaNs.');
    expect(() => torch.geqrf(torch.ones(3))).toThrow('torch.geqrf: input must have at least 2 dimensions.');
    expect(() => LA.householderProduct(torch.ones(4, 3), torch.ones(2, { dtype: 'float64' }))).toThrow(
      'torch.linalg.householder_product: tau dtype Double does not match input dtype Float');
    expect(() => LA.eig(torch.ones(2, 2, { dtype: 'int32' }))).toThrow(/linalg.eig: .*floating point.*int32/);
  });
});
