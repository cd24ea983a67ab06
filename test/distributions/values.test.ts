// torch.distributions deterministic values vs PyTorch (test/fixtures/distributions_fixtures.py):
// logProb, cdf, icdf, entropy, mean, mode, variance, stddev and the parameters' gradients of
// sum(logProb) + sum(entropy) and of sum(cdf) + sum(icdf) (icdf(u) being the reparameterized draw); KL divergences and their gradients; validation messages; the Gamma
// implicit reparameterization gradient vs PyTorch and a float64 finite difference. Every device.

import { describe, expect, it } from 'vitest';
import { testDevices, torch } from '../helpers.js';
import type { Tensor } from '../../src/index.js';
import { standardGammaGrad } from '../../src/distributions/samplers.js';
import { build, decodeEnc, expectEnc, fixtures, fromEnc } from './common.js';

const Dn = torch.distributions;

for (const device of testDevices()) {
  describe(`distributions values [${device}]`, () => {
    for (const [name, c] of Object.entries(fixtures.cases)) {
      it(name, async () => {
        const leaves: Record<string, Tensor> = {};
        const d = build(c.spec, device, leaves);
        const isCat = c.spec.dist === 'Categorical';
        const value = isCat ? fromEnc(c.value, device, 'int32') : fromEnc(c.value, device);
        const lp = d.logProb(value);
        await expectEnc(lp, c.logProb!, device, 'logProb');
        let loss = lp.sum();
        if (c.entropy) { const e = d.entropy(); await expectEnc(e, c.entropy, device, 'entropy'); loss = loss.add(e.sum()); }
        for (const k of ['mean', 'variance', 'stddev', 'mode'] as const) {
          const want = c[k];
          if (!want) continue;
          const got = d[k];
          await expectEnc(got.dtype === 'int32' ? got.to(lp.dtype) : got, want, device, k);
        }
        if (c.cdf) await expectEnc(d.cdf(value), c.cdf, device, 'cdf');
        if (c.icdf) await expectEnc(d.icdf(fromEnc(c.q!, device)), c.icdf, device, 'icdf');
        if (c.cdfGrads) {
          // icdf(u) is the reparameterized draw at a fixed u: these are rsample's gradients.
          const names = Object.keys(c.cdfGrads);
          const l = d.cdf(value).sum().add(d.icdf(fromEnc(c.q!, device)).sum());
          const gs = torch.autograd.grad([l], names.map((n) => leaves[n]!), { allowUnused: true });
          for (let i = 0; i < names.length; i++) await expectEnc(gs[i] ?? torch.zerosLike(leaves[names[i]!]!), c.cdfGrads[names[i]!]!, device, `cdf/icdf grad ${names[i]}`);
        }
        const names = Object.keys(c.grads);
        const gs = torch.autograd.grad([loss], names.map((n) => leaves[n]!), { allowUnused: true });
        for (let i = 0; i < names.length; i++) {
          const g = gs[i] ?? torch.zerosLike(leaves[names[i]!]!);
          await expectEnc(g, c.grads[names[i]!]!, device, `grad ${names[i]}`);
        }
      });
    }

    for (const [name, c] of Object.entries(fixtures.kl)) {
      it(`kl ${name}`, async () => {
        const lp: Record<string, Tensor> = {}, lq: Record<string, Tensor> = {};
        const p = build(c.p, device, lp), q = build(c.q, device, lq);
        const kl = Dn.klDivergence(p, q);
        await expectEnc(kl, c.kl, device, 'kl');
        if (!c.gradsP) return;
        const pn = Object.keys(c.gradsP), qn = Object.keys(c.gradsQ!);
        const gs = torch.autograd.grad([kl.sum()], [...pn.map((n) => lp[n]!), ...qn.map((n) => lq[n]!)], { allowUnused: true });
        for (let i = 0; i < pn.length; i++) await expectEnc(gs[i] ?? torch.zerosLike(lp[pn[i]!]!), c.gradsP[pn[i]!]!, device, `grad p.${pn[i]}`);
        for (let i = 0; i < qn.length; i++) await expectEnc(gs[pn.length + i] ?? torch.zerosLike(lq[qn[i]!]!), c.gradsQ![qn[i]!]!, device, `grad q.${qn[i]}`);
      });
    }

    it('Gamma implicit reparameterization gradient (vs PyTorch and float64 finite differences)', async () => {
      const g = fixtures.gammaGrad;
      const got = Array.from(await standardGammaGrad(fromEnc(g.alpha, device), fromEnc(g.x, device)).data(), Number);
      const fd = decodeEnc(g.fd), pt = decodeEnc(g.torch);
      for (let i = 0; i < fd.length; i++) {
        // The quadrature matches the exact derivative to ~1e-8 in float64; PyTorch's own approximation is ~2e-4 off it.
        const tolFd = device === 'cpu' ? 1e-6 : 2e-3;
        expect(Math.abs(got[i]! - fd[i]!), `dx/dalpha[${i}] vs finite differences`).toBeLessThanOrEqual(tolFd * Math.abs(fd[i]!) + 1e-12);
        expect(Math.abs(got[i]! - pt[i]!), `dx/dalpha[${i}] vs PyTorch`).toBeLessThanOrEqual(3e-3 * Math.abs(pt[i]!) + 1e-12);
      }
    });
  });
}

describe('distributions validation (PyTorch messages)', () => {
  for (const [name, e] of Object.entries(fixtures.errors)) {
    it(name, () => {
      // On the CPU the verdict is read at once (the WebGPU form is the next test).
      const f = (): unknown => {
        if (name === 'probs_and_logits') return new Dn.Bernoulli({});
        const d = build(e.spec, 'cpu');
        return e.value ? d.logProb(torch.tensor(e.value, { dtype: 'float64' })) : d;
      };
      // Messages match PyTorch up to the printed values (tensor formatting differs).
      const head = e.message.split('\n')[0]!;
      expect(f).toThrow(head);
    });
  }

  it.skipIf(!testDevices().includes('webgpu'))('on WebGPU a failed check surfaces at the next read of what the distribution computes', async () => {
    const d = new Dn.Normal(torch.tensor([0, 0], { device: 'webgpu' }), torch.tensor([1, -1], { device: 'webgpu' })); // no host read here
    await expect(d.sample([3]).data()).rejects.toThrow('Expected parameter scale (Tensor of shape (2,)) of distribution Normal(loc: torch.Size([2]), scale: torch.Size([2])) to satisfy the constraint GreaterThan(lower_bound=0.0), but found invalid values');
    await expect(d.logProb(torch.zeros([2], { device: 'webgpu' })).data()).rejects.toThrow('GreaterThan(lower_bound=0.0)');
    const ok = new Dn.Exponential(torch.tensor([2], { device: 'webgpu' }));
    expect(Array.from(await ok.logProb(torch.tensor([0.5], { device: 'webgpu' })).data())[0]).toBeCloseTo(Math.log(2) - 1, 5);
    await expect(ok.logProb(torch.tensor([-1], { device: 'webgpu' })).data()).rejects.toThrow('Expected value argument (Tensor of shape (1,)) to be within the support (GreaterThanEq(lower_bound=0.0)) of the distribution Exponential(rate: torch.Size([1]))');
    const off = new Dn.Normal(torch.tensor([0], { device: 'webgpu' }), torch.tensor([-1], { device: 'webgpu' }), { validateArgs: false });
    expect(Array.from(await off.logProb(torch.zeros([1], { device: 'webgpu' })).data())[0]).toBeNaN();
  });

  it('validateArgs: false and setDefaultValidateArgs turn the checks off', () => {
    const bad = () => new Dn.Normal(torch.tensor([0, 0]), torch.tensor([1, -1]));
    expect(bad).toThrow('GreaterThan(lower_bound=0.0)');
    expect(() => new Dn.Normal(torch.tensor([0, 0]), torch.tensor([1, -1]), { validateArgs: false })).not.toThrow();
    Dn.Distribution.setDefaultValidateArgs(false);
    try { expect(bad).not.toThrow(); } finally { Dn.Distribution.setDefaultValidateArgs(true); }
    expect(bad).toThrow('GreaterThan');
  });

  it('strict arguments: a misspelled option is a TypeError', () => {
    expect(() => new Dn.Normal(0, 1, { validate_args: false } as never)).toThrow(TypeError);
  });

  it('klDivergence without a registered pair names both types; registerKl adds one', async () => {
    const p = new Dn.Poisson(torch.tensor([1.5])), q = new Dn.Normal(0, 1);
    expect(() => Dn.klDivergence(p, q)).toThrow('No KL(p || q) is implemented for p type Poisson and q type Normal');
    Dn.registerKl(Dn.Poisson, Dn.Normal, (a) => a.rate.mul(0).add(42));
    expect(await Dn.klDivergence(p, q).item()).toBe(42);
  });

  it('batchShape, eventShape, expand and sample shapes', () => {
    const d = new Dn.Normal(torch.zeros([3]), torch.ones([3]));
    expect(d.batchShape).toEqual([3]);
    expect(d.eventShape).toEqual([]);
    const e = d.expand([2, 3]);
    expect(e.batchShape).toEqual([2, 3]);
    expect(e.sample([4]).shape).toEqual([4, 2, 3]);
    const m = new Dn.MultivariateNormal(torch.zeros([2, 3]), { scaleTril: torch.eye(3) });
    expect([m.batchShape, m.eventShape]).toEqual([[2], [3]]);
    expect(m.expand([5, 2]).rsample([7]).shape).toEqual([7, 5, 2, 3]);
    const ind = new Dn.Independent(new Dn.Normal(torch.zeros([4, 2]), 1), 1);
    expect([ind.batchShape, ind.eventShape]).toEqual([[4], [2]]);
    expect(new Dn.Dirichlet(torch.ones([5, 3])).sample([2]).shape).toEqual([2, 5, 3]);
    expect(new Dn.Categorical(torch.ones([5, 3])).sample([2, 4]).shape).toEqual([2, 4, 5]);
    expect(new Dn.OneHotCategorical(torch.ones([3])).sample([6]).shape).toEqual([6, 3]);
    expect(new Dn.Bernoulli(torch.full([2], 0.5)).enumerateSupport().shape).toEqual([2, 2]);
    expect(new Dn.Binomial(4, torch.full([3], 0.5)).entropy().shape).toEqual([3]);
    // MixtureSameFamily shapes as PyTorch 1.13 prints them (m.batch_shape, m.sample((5,)).shape, ...)
    const mix = new Dn.MixtureSameFamily(new Dn.Categorical(torch.ones([4, 3])), new Dn.Independent(new Dn.Normal(torch.zeros([4, 3, 2]), 1), 1));
    expect([mix.batchShape, mix.eventShape]).toEqual([[4], [2]]);
    expect(mix.sample([5]).shape).toEqual([5, 4, 2]);
    expect(mix.expand([2, 4]).batchShape).toEqual([2, 4]);
    expect(mix.expand([2, 4]).sample([3]).shape).toEqual([3, 2, 4, 2]);
    const shared = new Dn.MixtureSameFamily(new Dn.Categorical(torch.ones([3])), new Dn.Normal(torch.zeros([4, 3]), 1));
    expect([shared.batchShape, shared.logProb(torch.zeros([6, 4])).shape, shared.expand([2, 4]).logProb(torch.zeros([2, 4])).shape]).toEqual([[4], [6, 4], [2, 4]]);
    expect(shared.sample([6]).shape).toEqual([6, 4]); // PyTorch 1.13's gather fails here (index of fewer dims)
  });

  it('MixtureSameFamily needs a Categorical mixture; torch.distributions.kl holds klDivergence and registerKl', () => {
    expect(() => new Dn.MixtureSameFamily(new Dn.Normal(0, 1) as never, new Dn.Normal(torch.zeros([3]), 1))).toThrow('The Mixture distribution needs to be an instance of torch.distributions.Categorical');
    expect(() => new Dn.MixtureSameFamily(new Dn.Categorical(torch.ones([3])), 'Normal' as never)).toThrow(TypeError);
    expect(Dn.kl.klDivergence).toBe(Dn.klDivergence); // PyTorch: D.kl.kl_divergence is D.kl_divergence
    expect(Dn.kl.registerKl).toBe(Dn.registerKl);
    expect(() => Dn.kl.klDivergence(new Dn.Poisson(torch.tensor([1])), new Dn.Beta(1, 1))).toThrow('No KL(p || q) is implemented for p type Poisson and q type Beta');
  });
});

describe('Bernoulli gradients at logits 0 (probs 0.5)', () => {
  // PyTorch 1.13, float64: logits [0, 1, -3] log_prob([1, 0, 1]) grad [0.5, -0.7310585786300049, 0.9525741268224333];
  // probs [0.5, 0.3] log_prob([1, 0]) grad [2, -1.4285714285714286]; logits [0, 1] entropy grad [0, -0.19661193324148185].
  // The smooth softplus form: a max(x, 0) + log1p(e^-|x|) form took the kinks' one-sided gradients at 0.
  for (const device of testDevices()) {
    it(`log_prob and entropy gradients as PyTorch on ${device}`, async () => {
      const dt = device === 'cpu' ? 'float64' : 'float32', tol = device === 'cpu' ? 12 : 5;
      const close = async (t: Tensor, want: number[]) => (await t.tolist() as number[]).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, tol));
      let l = torch.tensor([0, 1, -3], { dtype: dt, device }).requiresGrad_();
      new Dn.Bernoulli({ logits: l }).logProb(torch.tensor([1, 0, 1], { dtype: dt, device })).sum().backward();
      await close(l.grad!, [0.5, -0.7310585786300049, 0.9525741268224333]);
      const p = torch.tensor([0.5, 0.3], { dtype: dt, device }).requiresGrad_();
      new Dn.Bernoulli(p).logProb(torch.tensor([1, 0], { dtype: dt, device })).sum().backward();
      await close(p.grad!, [2, -1.4285714285714286]);
      l = torch.tensor([0, 1], { dtype: dt, device }).requiresGrad_();
      new Dn.Bernoulli({ logits: l }).entropy().sum().backward();
      await close(l.grad!, [0, -0.19661193324148185]);
    });
  }
});
