// Complex tensors and torch.fft against PyTorch (test/fixtures/gen_complex.py -> complex.json), on
// every device: values and gradients of real losses of complex intermediates (Wirtinger convention),
// plus the dtype's properties and errors.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { opSuite, testDevices, torch, type OpImpl } from '../helpers.js';
import type { Tensor } from '../../src/index.js';

const fft = torch.fft;
const c = (a: Tensor, b: Tensor) => torch.complex(a, b);
const R = (z: Tensor) => (z.isComplex() ? torch.viewAsReal(z) : z);
const cr = (f: (...xs: Tensor[]) => Tensor): OpImpl => (...xs) => R(f(...xs));

const impls: Record<string, OpImpl> = {
  mul: cr((a, b, p, q) => c(a!, b!).mul(c(p!, q!))),
  div: cr((a, b, p, q) => c(a!, b!).div(c(p!, q!))),
  add_sub: cr((a, b, p, q) => c(a!, b!).add(c(p!, q!)).sub(c(a!, b!).mul(2.5))),
  real_mix: cr((a, b, x) => c(a!, b!).mul(x!).add(2)),
  angle_real: (x) => torch.angle(x!),
  abs: (a, b) => c(a!, b!).abs(),
  angle: (a, b) => c(a!, b!).angle(),
  real_imag: (a, b) => c(a!, b!).mul(c(b!, a!)).real.mul(2).add(c(a!, b!).mul(c(b!, a!)).imag),
  conj: cr((a, b, p, q) => c(a!, b!).conj().mul(c(p!, q!))),
  neg_exp: cr((a, b) => torch.exp(c(a!, b!).neg())),
  log: cr((a, b) => torch.log(c(a!, b!))),
  pow: cr((a, b) => c(a!, b!).pow(2.5).add(c(a!, b!).pow(3))),
  sum_mean: cr((a, b) => c(a!, b!).sum(1).add(c(a!, b!).mean(1))),
  sum_all: cr((a, b) => c(a!, b!).sum()),
  matmul: cr((a, b, p, q) => c(a!, b!).matmul(c(p!, q!))),
  matmul_real: cr((a, b, x) => c(a!, b!).matmul(x!.to('complex64'))),
  polar: cr((r, t) => torch.polar(r!, t!)),
  view_as_complex: cr((x) => torch.viewAsComplex(x!).mul(torch.viewAsComplex(x!))),
  complex128: cr((a, b) => c(a!, b!).mul(c(b!, a!)).add(c(a!, b!).exp())),
  cat: cr((a, b, p, q) => torch.cat([c(a!, b!), c(p!, q!), a!], 1)),
  stack: cr((a, b, p, q) => torch.stack([c(a!, b!), c(p!, q!)], -1)),
  flip_roll: cr((a, b) => c(a!, b!).flip(0).mul(2).add(c(a!, b!).roll(1, 1))),
  where: cr((a, b, p, q) => torch.where(a!.gt(0), c(a!, b!), c(p!, q!))),
  dot: cr((a, b, p, q) => torch.dot(c(a!, b!), c(p!, q!))),
  views: cr((a, b) => c(a!, b!).t().reshape(12).mul(c(a!, b!).reshape(12)).add(c(a!, b!).unsqueeze(0).expand(2, 3, 4).sum(0).flatten())),
  'fft/real_input': cr((x) => fft.fft(x!)),
  'fft/abs_loss': (x) => fft.fft(x!).abs(),
  'fft/n_pad': cr((a, b) => fft.fft(c(a!, b!), { n: 9 })),
  'fft/n_trunc': cr((a, b) => fft.fft(c(a!, b!), { n: 4 })),
  'fft/dim0': cr((a, b) => fft.fft(c(a!, b!), { dim: 0 })),
  'ifft/n_dim': cr((a, b) => fft.ifft(c(a!, b!), { n: 7, dim: 0, norm: 'ortho' })),
  'rfft/odd': cr((x) => fft.rfft(x!)),
  'rfft/n_dim': cr((x) => fft.rfft(x!, { n: 5, dim: 0 })),
  'irfft/n_odd': (a, b) => fft.irfft(c(a!, b!), { n: 9 }),
  'irfft/n_trunc': (a, b) => fft.irfft(c(a!, b!), { n: 4 }),
  'irfft/roundtrip': (x) => fft.irfft(fft.rfft(x!), { n: 10 }),
  fft2: cr((a, b) => fft.fft2(c(a!, b!))),
  'ifft2/s': cr((a, b) => fft.ifft2(c(a!, b!), { s: [4, 3], norm: 'forward' })),
  rfft2: cr((x) => fft.rfft2(x!, { norm: 'ortho' })),
  'irfft2/s': (a, b) => fft.irfft2(c(a!, b!), { s: [4, 6] }),
  fftn: cr((a, b) => fft.fftn(c(a!, b!))),
  'fftn/s_dim': cr((a, b) => fft.fftn(c(a!, b!), { s: [4, 2], dim: [0, 2] })),
  'ifftn/s': cr((a, b) => fft.ifftn(c(a!, b!), { s: [3, 3], norm: 'ortho' })),
  fftshift: (x) => fft.fftshift(x!),
  'fftshift/complex_dim': cr((a, b) => fft.fftshift(c(a!, b!), 0)),
  ifftshift: (x) => fft.ifftshift(x!, [0, 1]),
  fftfreq: () => fft.fftfreq(7, 0.5),
  rfftfreq: () => fft.rfftfreq(8),
  // PyTorch's d= keyword as the options object; a bad n is an error (gen_complex.py).
  'fftfreq/d_keyword': () => fft.fftfreq(6, { d: 0.25 }),
  'rfftfreq/d_keyword': () => fft.rfftfreq(9, { d: 2 }),
  'fftfreq/n_error': () => fft.fftfreq(-2, { d: 0.5 }),
  // long lengths: mixed radix and Bluestein
  'fft/radix_60': cr((a, b) => fft.fft(c(a!, b!))),
  'ifft/radix_64_ortho': cr((a, b) => fft.ifft(c(a!, b!), { dim: 0, norm: 'ortho' })),
  'fft/radix_18_pad': cr((a, b) => fft.fft(c(a!, b!), { n: 18 })),
  'fft/bluestein_67': cr((a, b) => fft.fft(c(a!, b!))),
  'ifft/bluestein_134': cr((a, b) => fft.ifft(c(a!, b!), { norm: 'forward' })),
  'rfft/long_45': cr((x) => fft.rfft(x!, { norm: 'ortho' })),
  'irfft/long_even_40': (a, b) => fft.irfft(c(a!, b!)),
  'irfft/long_odd_71': (a, b) => fft.irfft(c(a!, b!), { n: 71 }),
  'rfft/float64_long': cr((x) => fft.rfft(x!)),
  'fft/abs_loss_long': (x) => fft.fft(x!).abs(),
};
for (const norm of ['backward', 'ortho', 'forward'] as const) {
  impls[`fft/${norm}`] = cr((a, b) => fft.fft(c(a!, b!), { norm }));
  impls[`ifft/${norm}`] = cr((a, b) => fft.ifft(c(a!, b!), { norm }));
  impls[`rfft/${norm}`] = cr((x) => fft.rfft(x!, { norm }));
  impls[`irfft/${norm}`] = (a, b) => fft.irfft(c(a!, b!), { norm });
}

opSuite('complex', impls);

describe('complex dtype', () => {
  for (const device of testDevices()) {
    it(`properties, pair layout and a complex leaf's grad on ${device}`, async () => {
      const re = torch.tensor([1, -2, 3], { device, dtype: 'float32' }), im = torch.tensor([0.5, 4, -1], { device });
      const z = torch.complex(re, im).detach().requiresGrad_(true);
      expect(z.dtype).toBe(torch.complex64);
      expect(torch.cdouble).toBe('complex128');
      expect(z.shape).toEqual([3]);
      expect(z.isComplex()).toBe(true);
      expect(torch.isComplex(z)).toBe(true);
      expect(z.isFloatingPoint()).toBe(false);
      expect(Array.from(await z.data())).toEqual([1, 0.5, -2, 4, 3, -1]);
      expect(z.type()).toMatch('ComplexFloatTensor');
      // PyTorch: z.grad of L = sum(|z|^2) is 2 z (dL/dre + i dL/dim).
      z.abs().pow(2).sum().backward();
      expect(z.grad!.dtype).toBe('complex64');
      const g = Array.from(await z.grad!.data());
      [2, 1, -4, 8, 6, -2].forEach((v, i) => expect(g[i]).toBeCloseTo(v, 4));
    });
    it(`unsupported ops name the dtype on ${device}`, () => {
      const z = torch.complex(torch.ones(2, { device }), torch.zeros(2, { device }));
      expect(() => z.sin()).toThrow(/sin.*complex64/);
      expect(() => z.max()).toThrow(/complex64/);
      expect(() => z.add_(1)).toThrow(/add_.*complex64/);
      expect(() => fft.rfft(z)).toThrow(/rfft expects a real input tensor, but got complex64/);
      expect(() => torch.complex(torch.ones(2, { device }), torch.ones(2, { device, dtype: 'int32' }))).toThrow(/Float or Double/);
      expect(() => torch.viewAsComplex(torch.ones(2, 3, { device }))).toThrow(/last dimension of size 2/);
      expect(() => fft.fft(torch.ones(3, { device }), { n: 0 })).toThrow(/Invalid number of data points \(0\)/);
      expect(() => fft.fft(torch.ones(3, { device }), { norm: 'bogus' as 'ortho' })).toThrow(/Invalid normalization mode/);
      expect(() => z.imag.imag).toThrow(/imag is not implemented for tensors with non-complex dtypes/);
    });
  }
  it('complex128 is CPU-only: moving it to webgpu names the dtype and the device', () => {
    const z = torch.complex(torch.ones(2, { dtype: 'float64' }), torch.zeros(2, { dtype: 'float64' }));
    expect(z.dtype).toBe('complex128');
    if (!torch.webgpu.isAvailable()) return;
    expect(() => z.to('webgpu')).toThrow(/complex128 is not supported on webgpu/);
    expect(z.to('complex64').to('webgpu').dtype).toBe('complex64');
  });
  it('promotion: complex64 with float64 tensors gives complex128, with numbers stays complex64', () => {
    const z = torch.complex(torch.ones(2), torch.zeros(2));
    expect(z.mul(torch.ones(2, { dtype: 'float64' })).dtype).toBe('complex128');
    expect(z.mul(2.5).dtype).toBe('complex64');
    expect(torch.promoteTypes('complex64', 'float64')).toBe('complex128');
  });
});

describe('complex creation, printing and reading', () => {
  // Expected strings printed by PyTorch 1.13 (str(tensor)) for the same values.
  it('prints as PyTorch', () => {
    expect(torch.complex(torch.tensor([1, -2, 3], { dtype: 'float32' }), torch.tensor([0.5, 4, -1])).toString())
      .toBe('tensor([ 1.+0.5000j, -2.+4.0000j,  3.-1.0000j])');
    expect(torch.complex(torch.tensor([[1.25, -2]]), torch.tensor([[0, 4]], { dtype: 'float32' })).toString())
      .toBe('tensor([[ 1.2500+0.j, -2.0000+4.j]])');
    expect(torch.complex(torch.tensor(1.5, { dtype: 'float64' }), torch.tensor(-2, { dtype: 'float64' })).toString())
      .toBe('tensor(1.5000-2.j, dtype=torch.complex128)');
  });
  for (const device of testDevices()) {
    it(`torch.tensor / zeros / ones / full with a complex dtype give v + 0j on ${device}`, async () => {
      const a = torch.tensor([1, 2], { dtype: 'complex64', device });
      expect(a.dtype).toBe('complex64');
      expect(Array.from(await a.data())).toEqual([1, 0, 2, 0]);
      expect(Array.from(await torch.ones(2, { dtype: 'complex64', device }).mul(3).data())).toEqual([3, 0, 3, 0]);
      expect(Array.from(await torch.zeros([1, 2], { dtype: 'complex64', device }).data())).toEqual([0, 0, 0, 0]);
      expect(Array.from(await torch.full([2], 2.5, { dtype: 'complex64', device }).data())).toEqual([2.5, 0, 2.5, 0]);
      await expect(a.item()).rejects.toThrow(/complex64 value has no JS number type/);
      await expect(a.tolist()).rejects.toThrow(/viewAsReal/);
    });
  }
  for (const device of testDevices()) {
    it(`randn / rand with a complex dtype on ${device}: PyTorch's distribution (E|z|^2 = 1; parts uniform in [0, 1))`, async () => {
      const n = 100000;
      const z = torch.randn([n], { dtype: 'complex64', device });
      expect(z.dtype).toBe('complex64');
      // |z|^2 = re^2 + im^2 with re, im ~ N(0, 1/2): mean 1, variance 1 -> standard error 1/sqrt(n).
      const m2 = (await z.abs().pow(2).mean().item()) as number;
      expect(Math.abs(m2 - 1)).toBeLessThan(4 / Math.sqrt(n));
      // E[re] = 0 with standard error sqrt(1/2 / n).
      expect(Math.abs((await z.real.mean().item()) as number)).toBeLessThan(4 * Math.sqrt(0.5 / n));
      const u = Array.from(await torch.rand([1000], { dtype: 'complex64', device }).data());
      expect(u.every((v) => v >= 0 && v < 1)).toBe(true);
    });
  }
  it('.npy: numpy-written complex64 (C order) and complex128 (Fortran order) load; a saved complex tensor loads back', async () => {
    // The values gen_complex.py wrote with numpy: [[1+2j, 3-4j, 5.5+0j], [-1-1j, 0.5j, 2+0j]].
    const want = [1, 2, 3, -4, 5.5, 0, -1, -1, 0, 0.5, 2, 0];
    for (const [file, dtype] of [['complex64.npy', 'complex64'], ['complex128_fortran.npy', 'complex128']] as const) {
      const z = (await torch.load(new Uint8Array(readFileSync(new URL(`../fixtures/files/${file}`, import.meta.url))))) as Tensor;
      expect(z.dtype).toBe(dtype);
      expect(z.shape).toEqual([2, 3]);
      expect(Array.from(await z.data())).toEqual(want);
    }
    const z = torch.complex(torch.tensor([1.5, -2], { dtype: 'float32' }), torch.tensor([0.25, 3], { dtype: 'float32' }));
    const back = (await torch.load((await torch.save(z, undefined, { format: 'npy' })) as Uint8Array)) as Tensor;
    expect(back.dtype).toBe('complex64');
    expect(Array.from(await back.data())).toEqual([1.5, 0.25, -2, 3]);
    await expect(torch.save({ z })).rejects.toThrow(/complex64 tensors cannot be saved in this format/);
  });
  it('fftfreq/rfftfreq: d given both positionally and as { d }, or a misspelled key, is a TypeError', () => {
    expect(() => fft.fftfreq(4, 0.5, { d: 1 } as never)).toThrow(TypeError);
    expect(() => fft.rfftfreq(4, { D: 1 } as never)).toThrow(/unknown option 'D'/);
    expect(() => fft.rfftfreq(-3, { d: 2 })).toThrow('rfftfreq: Invalid number of data points (-3) specified'); // PyTorch: negative dimension -3
  });
  it('complex128 cannot be created on webgpu', () => {
    if (!torch.webgpu.isAvailable()) return;
    expect(() => torch.zeros(2, { dtype: 'complex128', device: 'webgpu' })).toThrow(/complex128 is not supported on webgpu/);
  });
});

describe('fft gradients by finite differences (float64, CPU)', () => {
  // Independent of PyTorch: gradcheck compares autograd with central differences, through the
  // (re, im) view of float64 inputs, for the dense, mixed-radix and Bluestein paths.
  const V = (x: Tensor) => torch.viewAsComplex(x);
  const cases: [string, number[], (x: Tensor) => Tensor][] = [
    ['fft dense n=7 ortho', [7, 2], (x) => torch.viewAsReal(fft.fft(V(x), { norm: 'ortho' }))],
    ['ifft mixed radix n=24', [24, 2], (x) => torch.viewAsReal(fft.ifft(V(x)))],
    ['fft Bluestein n=67', [67, 2], (x) => torch.viewAsReal(fft.fft(V(x)))],
    ['irfft long n=38', [20, 2], (x) => fft.irfft(V(x), { n: 38 })],
    ['rfft2 then abs', [3, 5], (x) => fft.rfft2(x).abs()],
  ];
  for (const [name, shape, f] of cases) {
    it(name, () => {
      const x = torch.randn(shape, { dtype: 'float64' }).requiresGrad_(true);
      expect(torch.autograd.gradcheck(f, [x])).toBe(true);
    });
  }
});
