// torch.linalg.multiDot, vecdot, solveTriangular, invEx and choleskyEx, and torch.fft.hfft / ihfft,
// against PyTorch 1.13: values and gradients of sum(out * W) (reference numbers below are PyTorch's,
// computed in float64 from the deterministic inputs written next to them), error messages, and info
// codes. float64 runs on the CPU, float32 on every test device.

import { describe, expect, it } from 'vitest';
import { testDevices, torch } from './helpers.js';
import type { Device, DType, Tensor } from '../src/index.js';

const LA = torch.linalg;
type FftOpts = { n?: number; norm?: 'backward' | 'ortho' | 'forward' };

async function close(t: Tensor, want: number[], tol: number, what = 'value'): Promise<void> {
  const got = Array.from(await t.data(), Number);
  expect(got.length, `${what} length`).toBe(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i]!), `${what}[${i}]: ${g} vs ${want[i]}`).toBeLessThanOrEqual(tol * (1 + Math.abs(want[i]!))));
}

/** torch.arange(n, dtype).<fn>() reshaped, as a leaf that requires grad. */
function ar(n: number, fn: 'sin' | 'cos', shape: number[], o: { dtype: DType; device: Device }, scale = 1, shift = 0): Tensor {
  return torch.arange(n, { dtype: 'float64' }).mul(scale)[fn]().add(shift).reshape(shape).to(o.dtype).to(o.device).detach().requiresGrad_();
}
const weights = (shape: readonly number[], fn: 'sin' | 'cos', o: { dtype: DType; device: Device }): Tensor =>
  torch.arange(shape.reduce((a, b) => a * b, 1), { dtype: 'float64' })[fn]().reshape(shape).to(o.dtype).to(o.device);

// PyTorch 1.13: torch.linalg.solve_triangular(A, B, upper=..., left=..., unitriangular=...) with
// A = arange(9).sin().reshape(3, 3) + 3 eye(3), B = arange(6).cos().reshape(3, 2) (left) or (2, 3) (right),
// gradients of sum(X * arange(6).sin().reshape(X.shape)).
const ST_CASES = [
  { upper: true, left: true, unitriangular: false, X: [0.4546762644, 0.2738122947, -0.2555564182, -0.4109350409, -0.1638468096, 0.0711047161], gA: [-0.0768017004, 0.1152633045, -0.0199441852, 0.0, 0.0862060621, 0.0694248442, 0.0, 0.0, 0.0072424502], gB: [0.0, 0.2804903283, 0.4053577204, -0.0423076722, -0.092269261, -0.3144724501] },
  { upper: true, left: true, unitriangular: true, X: [2.4719615338, 0.8865299816, -1.0429415716, -0.7179819412, -0.6536436209, 0.2836621855], gA: [0.0, 0.6041609711, -0.2386934986, 0.0, 0.0, 0.7551797059, 0.0, 0.0, 0.0], gB: [0.0, 0.8414709848, 0.9092974268, -0.5669534102, 0.1151448802, -2.2677370636] },
  { upper: true, left: false, unitriangular: false, X: [0.3333333333, 0.1158221588, -0.1524509111, -0.3299974989, -0.1676001777, 0.1060351458], gA: [0.1475155055, -0.3027610613, -0.155298601, 0.0, -0.1284985561, -0.0666855803, 0.0, 0.0, 0.0602359782], gB: [-0.2016333628, 0.4725572822, 0.2279307524, 0.2433484642, -0.4401305092, -0.2403705597] },
  { upper: true, left: false, unitriangular: true, X: [1.0, -0.3011686789, -1.6142422204, -0.9899924966, 0.1794063402, 1.3558969098], gA: [0.0, -3.3729806593, -1.8586252636, 0.0, 0.0, 0.4458889994, 0.0, 0.0, 0.0], gB: [-2.2686136454, 1.7134183603, 0.9092974268, 2.4236573899, -1.6763382598, -0.9589242747] },
  { upper: false, left: true, unitriangular: false, X: [0.3333333333, 0.1801007686, -0.2064850903, -0.4526611305, -0.1064951198, 0.1582654124], gA: [-0.0322382534, 0.0, 0.0, -0.177648708, 0.1555169745, 0.0, 0.1065260303, -0.1479777301, 0.0178396546], gB: [-0.0393504777, 0.251831681, 0.4609185235, 0.1333098151, -0.1897053231, -0.2403705597] },
  { upper: false, left: true, unitriangular: true, X: [1.0, 0.5403023059, -0.5572668446, -1.0662399624, -0.0081112738, 1.1351363897], gA: [0.0, 0.0, 0.0, -1.8231446574, 0.0, 0.0, 1.2749114921, -1.4441843211, 0.0], gB: [-0.4099485583, 0.464712163, 1.4065065241, 0.7711204057, -0.7568024953, -0.9589242747] },
  { upper: false, left: false, unitriangular: false, X: [0.310850344, 0.2714140669, -0.1043142307, -0.3086883481, -0.3122143569, 0.0711047161], gA: [0.0145207007, 0.0, 0.0, 0.0146865642, -0.2080709494, 0.0, -0.003344766, 0.0633299735, 0.0302041504], gB: [0.0, 0.3751212201, 0.1661539955, 0.0470400027, -0.3403359621, -0.1810277138] },
  { upper: false, left: false, unitriangular: true, X: [0.7688920399, 0.8137052006, -0.4161468365, -0.7921912498, -0.8400058753, 0.2836621855], gA: [0.0, 0.0, 0.0, 0.1185416359, 0.0, 0.0, -0.0400304099, 0.5705008299, 0.0], gB: [0.0, 0.8414709848, 0.3564622666, 0.1411200081, -0.776717352, -0.4092002661] },
];

const cases: [DType, Device, number][] = [['float64', 'cpu', 1e-9], ...testDevices().map((d): [DType, Device, number] => ['float32', d, 2e-4])];
for (const [dtype, device, tol] of cases) {
  const o = { dtype, device };
  describe(`linalg extra [${device} ${dtype}]`, () => {
    it('multiDot of three matrices: values and gradients', async () => {
      const A = ar(6, 'sin', [2, 3], o), B = ar(12, 'cos', [3, 4], o), C = ar(8, 'sin', [4, 2], o, 0.5);
      const out = LA.multiDot([A, B, C]);
      expect(out.shape).toEqual([2, 2]);
      out.mul(weights([2, 2], 'cos', o)).sum().backward();
      // PyTorch's values.
      await close(out, [-0.3652935536, -1.112460214, 0.5353591655, 1.3672834519], tol);
      await close(A.grad!, [0.5398384909, 1.3693179501, -2.3299303769, -1.0790117308, -0.7838927259, 2.1037846902], tol, 'gA');
      await close(B.grad!, [-0.0669794629, -0.1887745471, -0.1370111833, 0.0407196306, 0.5771696213, 2.1739488776, 1.7720095614, -0.2591071734, 0.6906716174, 2.5379537298, 2.0518528874, -0.3207120371], tol, 'gB');
      await close(C.grad!, [-1.004973014, -1.1362253443, -0.8957777443, -1.0465854097, 0.0369914524, 0.0052803241, 0.9357508784, 1.0522913522], tol, 'gC');
    });

    it('multiDot with 1-D first and last tensors gives a scalar', async () => {
      const A = ar(6, 'sin', [2, 3], o), B = ar(12, 'cos', [3, 4], o), C = ar(8, 'sin', [4, 2], o, 0.5);
      const x = ar(2, 'cos', [2], o, 1, 0.5), y = ar(2, 'sin', [2], o, 1, 1);
      const out = LA.multiDot([x, A, B, C, y]);
      expect(out.shape).toEqual([]);
      out.backward();
      // PyTorch's values.
      await close(out, [-0.4445632984], tol);
      await close(x.grad!, [-2.4138567595, 3.0531719703], tol, 'gx');
      await close(y.grad!, [0.008995044, -0.2463021932], tol, 'gy');
      await close(A.grad!, [2.9890751125, 2.5999936249, -6.3880136069, 2.0730278213, 1.8031862421, -4.4303101901], tol, 'gA');
    });

    it('vecdot over the last dim and over dim 0, with gradients', async () => {
      const X = ar(6, 'sin', [2, 3], o), Y = ar(3, 'cos', [3], o);
      const out = LA.vecdot(X, Y);
      out.mul(torch.tensor([1, -2], o)).sum().backward();
      // PyTorch's values.
      await close(out, [0.0762474658, 0.1312711781], tol);
      await close(X.grad!, [1.0, 0.5403023059, -0.4161468365, -2.0, -1.0806046117, 0.8322936731], tol, 'gX');
      await close(Y.grad!, [-0.2822400161, 2.3550759754, 2.8271459762], tol, 'gY');
      await close(LA.vecdot(X, ar(2, 'cos', [2, 1], o, 1, 1), { dim: 0 }), [0.2173674738, 0.517237341, 0.3415615822], tol, 'dim 0');
    });

    it('vecdot conjugates x for complex inputs', async () => {
      const ct = dtype === 'float64' ? 'complex128' : 'complex64';
      const x = torch.complex(ar(6, 'sin', [2, 3], o).detach(), ar(6, 'cos', [2, 3], o).detach());
      const y = torch.complex(ar(3, 'cos', [3], o).detach(), torch.arange(1, 4, { dtype: 'float64' }).sin().to(dtype).to(device));
      const out = LA.vecdot(x, y);
      expect(out.dtype).toBe(ct);
      // PyTorch's torch.view_as_real(torch.linalg.vecdot(x, y)) (x, y complex128 from the same parts:
      // x = complex(arange(6).sin(), arange(6).cos()).reshape(2, 3), y = complex(arange(3).cos(), arange(1, 4).sin())).
      await close(torch.viewAsReal(out), [1.3502873020730342, -0.5716373098578735, -1.2561048355326991, 0.7564692024878417], tol);
    });

    for (const c of ST_CASES) {
      it(`solveTriangular upper=${c.upper} left=${c.left} unitriangular=${c.unitriangular}: values and gradients`, async () => {
        const A = torch.arange(9, { dtype: 'float64' }).sin().reshape([3, 3]).add(torch.eye(3, { dtype: 'float64' }).mul(3)).to(dtype).to(device).requiresGrad_();
        const B = ar(6, 'cos', c.left ? [3, 2] : [2, 3], o);
        const X = LA.solveTriangular(A, B, { upper: c.upper, left: c.left, unitriangular: c.unitriangular });
        X.mul(weights(X.shape, 'sin', o)).sum().backward();
        await close(X, c.X, tol);
        await close(A.grad!, c.gA, tol, 'gA');
        await close(B.grad!, c.gB, tol, 'gB');
      });
    }

    it('solveTriangular broadcasts a batch of A against one B', async () => {
      const A0 = torch.arange(9, { dtype: 'float64' }).sin().reshape([3, 3]).add(torch.eye(3, { dtype: 'float64' }).mul(3));
      const A = torch.stack([A0, A0.mul(0.5).add(torch.eye(3, { dtype: 'float64' }))]).to(dtype).to(device).requiresGrad_();
      const B = ar(6, 'cos', [3, 2], o);
      const X = LA.solveTriangular(A, B, { upper: false });
      expect(X.shape).toEqual([2, 3, 2]);
      X.mul(weights([2, 3, 2], 'sin', o)).sum().backward();
      // PyTorch's values.
      await close(X, [0.3333333333, 0.1801007686, -0.2064850903, -0.4526611305, -0.1064951198, 0.1582654124, 0.4, 0.2161209223, -0.209450933, -0.4738134337, -0.1766323774, 0.1567782296], tol);
      await close(A.grad!, [-0.0322382534, 0.0, 0.0, -0.177648708, 0.1555169745, 0.0, 0.1065260303, -0.1479777301, 0.0178396546, 0.0030871977, 0.0, 0.0, -0.250936834, 0.2200988471, 0.0, 0.1448326289, -0.1962662771, 0.0202642585], tol, 'gA');
      await close(B.grad!, [-0.1752240177, 0.4890239794, 0.9553726153, 0.3792610016, -0.3713678948, -0.5742928817], tol, 'gB');
    });

    it('invEx: inverse, info 0 and gradient', async () => {
      const A = torch.arange(9, { dtype: 'float64' }).sin().reshape([3, 3]).add(torch.eye(3, { dtype: 'float64' }).mul(2)).to(dtype).to(device).requiresGrad_();
      const { inverse, info } = LA.invEx(A);
      expect(info.dtype).toBe('int32');
      expect(info.shape).toEqual([]);
      expect(await info.item()).toBe(0);
      inverse.mul(weights([3, 3], 'cos', o)).sum().backward();
      // PyTorch's values.
      await close(inverse, [0.4849026253, -0.2139888632, -0.2161399777, -0.017172102, 0.6953619213, 0.2282810951, 0.049097879, -0.1728248091, 0.2641468352], tol);
      await close(A.grad!, [-0.2460588767, -0.1574885063, 0.0831351302, 0.4354688759, 0.3976102886, -0.1508660145, 0.1022331798, 0.0167093323, -0.0330102896], tol, 'gA');
    });

    it('choleskyEx: L, info 0 and gradient', async () => {
      // PyTorch's S = M M^T + I, M = arange(9).sin().reshape(3, 3).
      const S = torch.tensor([2.5348952287, -1.5087747165, 1.4524560681, -1.5087747165, 2.5122006381, -1.4853598537, 1.4524560681, -1.4853598537, 2.4885341517], { dtype: 'float64' }).reshape([3, 3]).to(dtype).to(device).requiresGrad_();
      const { L, info } = LA.choleskyEx(S);
      expect(await info.item()).toBe(0);
      L.mul(weights([3, 3], 'cos', o)).sum().backward();
      // PyTorch's values.
      await close(L, [1.5921354304, 0.0, 0.0, -0.9476421966, 1.2705018321, 0.0, 0.9122691703, -0.4886691838, 1.1905887373], tol);
      await close(S.grad!, [-0.3040869053, -0.5580025365, 0.4991517869, -0.5580025365, -0.1521612385, 0.2731923407, 0.4991517869, 0.2731923407, -0.0611042374], tol, 'gA');
      await close(LA.choleskyEx(S, { upper: true }).L, await L.mT.detach().contiguous().data().then((v) => Array.from(v, Number)), tol, 'upper');
    });
  });
}

describe('linalg extra: info codes and errors (PyTorch\'s)', () => {
  it('invEx reports singular matrices in info and raises only with checkErrors', async () => {
    expect(await LA.invEx(torch.tensor([[1, 2], [2, 4]], { dtype: 'float32' })).info.item()).toBe(2);
    expect(await LA.invEx(torch.zeros([3, 2, 2])).info.tolist()).toEqual([1, 1, 1]);
    expect(() => LA.invEx(torch.zeros([2, 2]), { checkErrors: true })).toThrow('linalg.inv_ex: The diagonal element 1 is zero, the inversion could not be completed because the input matrix is singular.');
    expect(() => LA.invEx(torch.zeros([3, 2, 2]), { checkErrors: true })).toThrow('linalg.inv_ex: (Batch element 0): The diagonal element 1 is zero, the inversion could not be completed because the input matrix is singular.');
  });

  it('choleskyEx reports non-positive-definite input in info and raises only with checkErrors', async () => {
    expect(await LA.choleskyEx(torch.tensor([[1, 2], [2, 1]], { dtype: 'float32' })).info.item()).toBe(2);
    expect(await LA.choleskyEx(torch.eye(3).neg()).info.item()).toBe(1);
    expect(() => LA.choleskyEx(torch.tensor([[1, 2], [2, 1]], { dtype: 'float32' }), { checkErrors: true })).toThrow('linalg.cholesky_ex: The factorization could not be completed because the input is not positive-definite (the leading minor of order 2 is not positive-definite).');
    expect(() => LA.choleskyEx(torch.tensor([[1, 2], [2, 1]], { dtype: 'float32' }).expand([2, 2, 2]), { checkErrors: true })).toThrow('linalg.cholesky_ex: (Batch element 0): The factorization could not be completed');
  });

  it('multiDot errors', () => {
    expect(() => LA.multiDot([])).toThrow('multi_dot(): expected at least 2 tensors but got 0');
    expect(() => LA.multiDot([torch.ones(2, 2)])).toThrow('multi_dot(): expected at least 2 tensors but got 1');
    expect(() => LA.multiDot([torch.ones(2, 2, 2), torch.ones(2, 2)])).toThrow('multi_dot(): the first tensor must be 1D or 2D but got 3D');
    expect(() => LA.multiDot([torch.ones(2, 2), torch.ones(2, 2, 2)])).toThrow('multi_dot(): the last tensor must be 1D or 2D but got 3D');
    expect(() => LA.multiDot([torch.ones(2, 2), torch.ones(2), torch.ones(2, 2)])).toThrow('multi_dot(): tensor 1 must be 2D but got 1D');
    expect(() => LA.multiDot([torch.ones(2, 3), torch.ones(2, 2)])).toThrow('multi_dot(): tensors 0 and 1 with shapes [2, 3] and [2, 2] cannot be multiplied');
    expect(() => LA.multiDot([torch.ones(2, 2), torch.ones(2, 2).double()])).toThrow('multi_dot(): all tensors must have be the same dtype but tensor 0 is float and tensor 1 double');
    expect(LA.multiDot([torch.ones(3), torch.ones(3)]).itemSync()).toBe(3);
  });

  it('vecdot and solveTriangular errors', () => {
    expect(() => LA.vecdot(torch.ones(2), torch.ones(2).double())).toThrow('linalg.vecdot: Expected x and y to have the same dtype, but found x of type Float and y of type Double instead');
    expect(() => LA.solveTriangular(torch.ones(2, 2), torch.ones(2), { upper: true })).toThrow('linalg.solve_triangular: The input tensor B must have at least 2 dimensions.');
    expect(() => LA.solveTriangular(torch.ones(2, 2), torch.ones(3, 1), { upper: true })).toThrow('linalg.solve_triangular: Incompatible shapes of A and B for the equation AX = B (2x2 and 3x1)');
    expect(() => LA.solveTriangular(torch.ones(2, 3), torch.ones(2, 1), { upper: true })).toThrow('linalg.solve_triangular: A must be batches of square matrices, but they are 2 by 3 matrices');
  });
});

// PyTorch 1.13: torch.fft.hfft(torch.complex(re, im), **opts) with re = arange(5).sin(), im = arange(5).cos();
// gradients of sum(out * arange(out.numel()).cos()) w.r.t. re and im.
const HFFT_CASES = [
  { opts: {} as FftOpts, out: [3.0269743441, 0.2789967054, 0.485192256, -0.0373076479, -0.9033896274, -0.4299790609, -5.6359869539, 3.2154999847], gre: [1.4782540783, 6.1364707888, -0.3953341419, 0.4781036947, 0.3025055802], gim: [-0.0, -4.8559299156, 2.1201094672, 0.6493385772, -0.0] },
  { opts: { n: 7 } as FftOpts, out: [3.7837768394, -0.4353266577, 1.1256314978, -1.255979758, 0.3655651817, -4.7996582851, 1.2159911818], gre: [0.724351824, 6.8917498794, -0.4786247475, -0.1374769558, 0.0], gim: [-0.0, -2.3129313249, 0.3145257628, 0.074085857, 0.0] },
  { opts: { norm: 'ortho' } as FftOpts, out: [1.0701970426, 0.0986402311, 0.1715413672, -0.0131902454, -0.3193964658, -0.1520205549, -1.9926222969, 1.1368509221], gre: [0.5226417415, 2.1695700537, -0.1397717263, 0.1690351823, 0.1069518735], gim: [-0.0, -1.7168304861, 0.7495718905, 0.2295758556, -0.0] },
  { opts: { n: 6, norm: 'forward' } as FftOpts, out: [0.6071094719, 0.0010161885, 0.007828351, -0.0009111873, -0.5443778188, -0.0706650052], gre: [-0.0393030771, 0.978956657, 0.0443068288, 0.0160395913, 0.0], gim: [-0.0, 0.1426450375, 0.0055262051, -0.0, 0.0] },
];
// PyTorch 1.13: torch.view_as_real(torch.fft.ihfft(x, **opts)) with x = arange(7).sin() + 0.3; gradient of
// sum(view_as_real(out) * arange(numel).sin().reshape(shape)) w.r.t. x.
const IHFFT_CASES = [
  { opts: {} as FftOpts, out: [0.2852494502, -0.0, 0.1308842329, 0.4410456853, -0.0663183741, -0.0599759401, -0.0571905838, -0.0141272018], g: [-0.0181315095, 0.0639417945, 0.0493279628, 0.0317899891, -0.3829132786, 0.0379020547, 0.2180829871] },
  { opts: { n: 6 } as FftOpts, out: [0.329360275, -0.0, -0.0460156865, 0.5003454816, 0.0205998645, 0.0193838623, 0.0214713689, -0.0], g: [-0.0211534278, 0.0673710315, 0.099500555, -0.2311140707, -0.2180548763, 0.3034507882, 0.0] },
  { opts: { norm: 'ortho' } as FftOpts, out: [0.7546991069, -0.0, 0.3462871307, 1.1668972, -0.1754619253, -0.1586814221, -0.1513120622, -0.0373770627], g: [-0.0479714651, 0.1691740867, 0.1305095222, 0.0841084053, -1.013093309, 0.1002794109, 0.576993349] },
  { opts: { norm: 'forward' } as FftOpts, out: [1.9967461515, -0.0, 0.91618963, 3.0873197968, -0.4642286189, -0.4198315806, -0.4003340869, -0.0988904126], g: [-0.1269205667, 0.4475925617, 0.3452957394, 0.2225299236, -2.6803929505, 0.2653143829, 1.5265809096] },
];

for (const [dtype, device, tol] of cases) {
  const o = { dtype, device };
  describe(`fft.hfft / ihfft [${device} ${dtype}]`, () => {
    for (const c of HFFT_CASES) {
      it(`hfft ${JSON.stringify(c.opts)}: values and gradients`, async () => {
        const re = ar(5, 'sin', [5], o), im = ar(5, 'cos', [5], o);
        const out = torch.fft.hfft(torch.complex(re, im), c.opts);
        expect(out.dtype).toBe(dtype);
        out.mul(weights(out.shape, 'cos', o)).sum().backward();
        await close(out, c.out, tol);
        await close(re.grad!, c.gre, tol, 'grad re');
        await close(im.grad!, c.gim, tol, 'grad im');
      });
    }
    for (const c of IHFFT_CASES) {
      it(`ihfft ${JSON.stringify(c.opts)}: values and gradients`, async () => {
        const x = ar(7, 'sin', [7], o, 1, 0.3);
        const out = torch.viewAsReal(torch.fft.ihfft(x, c.opts));
        out.mul(weights(out.shape, 'sin', o)).sum().backward();
        await close(out, c.out, tol);
        await close(x.grad!, c.g, tol, 'grad');
      });
    }
    it('hfft inverts ihfft along dim 0 (n even and odd)', async () => {
      for (const n of [6, 7]) {
        const x = ar(2 * n, 'sin', [n, 2], o).detach();
        const back = torch.fft.hfft(torch.fft.ihfft(x, { dim: 0 }), { n, dim: 0 });
        expect(back.shape).toEqual([n, 2]);
        await close(back, Array.from(await x.data(), Number), tol * 10, `n=${n}`);
      }
    });
  });
}

describe('fft.hfft / ihfft errors', () => {
  it('raises PyTorch\'s errors', () => {
    expect(() => torch.fft.ihfft(torch.complex(torch.ones(3), torch.ones(3)))).toThrow('ihfft expects a real input tensor');
    expect(() => torch.fft.hfft(torch.ones(3), { norm: 'bad' as 'ortho' })).toThrow('hfft: Invalid normalization mode: "bad"');
    expect(() => torch.fft.hfft(torch.ones(1))).toThrow('hfft: Invalid number of data points (0) specified');
  });
});
