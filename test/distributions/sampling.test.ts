// torch.distributions sampling on every device: moments of 10^5 draws within 4 standard errors of the
// closed-form values (worked out here by hand, not read from the library), samples staying on the
// parameters' device, and rsample gradients: exact pathwise identities for location-scale families, and
// for Gamma/Beta/Dirichlet (implicit reparameterization) the mean per-sample gradient within 4 standard
// errors of d E[x] / d parameter. The global Philox stream is seeded, so each run draws the same numbers.
// Every device draws the same counts (10^5; gradient checks 5 x 10^4), SwiftShader's WebGPU included
// (a CPU emulation: its half of this file takes about three minutes).

import { beforeAll, describe, expect, it } from 'vitest';
import { testDevices, torch } from '../helpers.js';
import type { Tensor } from '../../src/index.js';

const Dn = torch.distributions;

/** Per-column mean, variance and the standard errors of both, from [N, k] samples (float64 on the host). */
async function moments(s: Tensor): Promise<{ mean: number[]; varr: number[]; seMean: number[]; seVar: number[] }> {
  const k = s.numel() / s.shape[0]!;
  const x = Array.from(await s.reshape([s.shape[0]!, k]).data(), Number);
  const n = s.shape[0]!;
  const out = { mean: [] as number[], varr: [] as number[], seMean: [] as number[], seVar: [] as number[] };
  for (let j = 0; j < k; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += x[i * k + j]!;
    m /= n;
    let m2 = 0, m4 = 0;
    for (let i = 0; i < n; i++) { const d = x[i * k + j]! - m; m2 += d * d; m4 += d ** 4; }
    m2 /= n; m4 /= n;
    out.mean.push(m); out.varr.push(m2 * n / (n - 1));
    out.seMean.push(Math.sqrt(m2 / n)); out.seVar.push(Math.sqrt(Math.max(m4 - m2 * m2, 0) / n));
  }
  return out;
}

async function expectMoments(s: Tensor, mean: number[], variance: number[], what: string): Promise<void> {
  const m = await moments(s);
  for (let j = 0; j < mean.length; j++) {
    expect(Math.abs(m.mean[j]! - mean[j]!), `${what} mean[${j}] ${m.mean[j]} vs ${mean[j]}`).toBeLessThanOrEqual(4 * m.seMean[j]! + 1e-12);
    // The second term bounds the (mean error)^2 part of the sample variance (it dominates where the
    // fourth-moment term vanishes, e.g. a fair coin).
    expect(Math.abs(m.varr[j]! - variance[j]!), `${what} variance[${j}] ${m.varr[j]} vs ${variance[j]}`).toBeLessThanOrEqual(4 * m.seVar[j]! + 16 * m.seMean[j]! ** 2 + 1e-12);
  }
}

/** Mean and standard error of a flat tensor's elements. */
async function meanSe(t: Tensor): Promise<[number, number]> {
  const m = await moments(t.reshape([-1, 1]));
  return [m.mean[0]!, m.seMean[0]!];
}

const lgammaF = (x: number): number => {
  // Stirling series after shifting x above 10 (exact enough for the closed forms here).
  let acc = 0;
  while (x < 10) { acc -= Math.log(x); x += 1; }
  return acc + (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x ** 3) + 1 / (1260 * x ** 5);
};

for (const device of testDevices()) {
  const t = (v: number[] | number[][]): Tensor => torch.tensor(v, { device, dtype: 'float32' });
  const N = 100_000;
  const NG = 50_000;
  describe(`distributions sampling [${device}]`, { timeout: 300_000 }, () => {
    beforeAll(() => { torch.manualSeed(1234); });

    it('continuous families: moments of 10^5 draws', async () => {
      const cases: [InstanceType<typeof Dn.Distribution>, number[], number[], string][] = [
        [new Dn.Normal(t([0.5, -2]), t([1, 3])), [0.5, -2], [1, 9], 'Normal'],
        [new Dn.Uniform(t([0, -1]), t([1, 3])), [0.5, 1], [1 / 12, 16 / 12], 'Uniform'],
        [new Dn.Exponential(t([0.5, 4])), [2, 0.25], [4, 1 / 16], 'Exponential'],
        [new Dn.Laplace(t([1, -1]), t([0.5, 2])), [1, -1], [0.5, 8], 'Laplace'],
        [new Dn.Gamma(t([0.3, 5, 50]), t([1, 0.5, 10])), [0.3, 10, 5], [0.3, 20, 0.5], 'Gamma'],
        [new Dn.Beta(t([0.5, 2]), t([0.5, 5])), [0.5, 2 / 7], [0.125, 10 / (49 * 8)], 'Beta'],
        [new Dn.LogNormal(t([0, 0.5]), t([0.5, 0.25])),
          [Math.exp(0.125), Math.exp(0.5 + 0.03125)], [(Math.exp(0.25) - 1) * Math.exp(0.25), (Math.exp(0.0625) - 1) * Math.exp(1 + 0.0625)], 'LogNormal'],
      ];
      for (const [d, mean, variance, what] of cases) {
        const s = d.sample([N]);
        expect(s.device, what).toBe(device);
        expect(s.shape, what).toEqual([N, mean.length]);
        await expectMoments(s, mean, variance, what);
      }
    });

    it('discrete families: moments of 10^5 draws', async () => {
      const cases: [InstanceType<typeof Dn.Distribution>, number[], number[], string][] = [
        [new Dn.Bernoulli(t([0.1, 0.5, 0.85])), [0.1, 0.5, 0.85], [0.09, 0.25, 0.1275], 'Bernoulli'],
        [new Dn.Poisson(t([0, 0.3, 9.5, 10, 400])), [0, 0.3, 9.5, 10, 400], [0, 0.3, 9.5, 10, 400], 'Poisson'],
        [new Dn.Binomial(t([5, 100, 1000]), t([0.3, 0.9, 0.02])), [1.5, 90, 20], [1.05, 9, 19.6], 'Binomial'],
      ];
      for (const [d, mean, variance, what] of cases) {
        const s = d.sample([N]);
        expect(s.device, what).toBe(device);
        expect(await s.sub(s.round()).abs().max().item(), `${what} integral`).toBe(0);
        expect(await s.min().item(), `${what} non-negative`).toBeGreaterThanOrEqual(0);
        await expectMoments(s, mean, variance, what);
      }
    });

    it('Categorical / OneHotCategorical frequencies and Dirichlet / MultivariateNormal moments', async () => {
      const p = [0.1, 0.2, 0.3, 0.4];
      const c = new Dn.Categorical(t(p)).sample([N]);
      expect([c.device, c.dtype]).toEqual([device, 'int32']);
      const oh = c.unsqueeze(-1).eq(torch.arange(4, { device, dtype: 'int32' })).float();
      await expectMoments(oh, p, p.map((q) => q * (1 - q)), 'Categorical');
      const o = new Dn.OneHotCategorical(t(p)).sample([N]);
      await expectMoments(o, p, p.map((q) => q * (1 - q)), 'OneHotCategorical');
      const a = [0.5, 2, 4], a0 = 6.5;
      const dir = new Dn.Dirichlet(t(a)).sample([N]);
      await expectMoments(dir, a.map((x) => x / a0), a.map((x) => (x * (a0 - x)) / (a0 * a0 * (a0 + 1))), 'Dirichlet');
      // Sigma = L L^T with L = [[1, 0], [0.5, 2]]: variances 1 and 4.25, covariance 0.5.
      const mvn = new Dn.MultivariateNormal(t([1, -1]), { scaleTril: t([[1, 0], [0.5, 2]]) });
      const x = mvn.sample([N]);
      await expectMoments(x, [1, -1], [1, 4.25], 'MultivariateNormal');
      const prod = x.select(1, 0).sub(1).mul(x.select(1, 1).add(1));
      const [cov, se] = await meanSe(prod);
      expect(Math.abs(cov - 0.5), 'MultivariateNormal covariance').toBeLessThanOrEqual(4 * se);
    });

    it('MixtureSameFamily: moments of 10^5 draws (a batch of Normal mixtures; multivariate components)', async () => {
      const p = [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]], mu = [[-2, 0, 3], [1, -1, 4]], sd = [[0.5, 1, 2], [1, 0.5, 0.3]];
      // mean = sum p mu, variance = sum p (sd^2 + mu^2) - mean^2
      const mean = p.map((r, b) => r.reduce((a, q, k) => a + q * mu[b]![k]!, 0));
      const variance = p.map((r, b) => r.reduce((a, q, k) => a + q * (sd[b]![k]! ** 2 + mu[b]![k]! ** 2), 0) - mean[b]! ** 2);
      const s = new Dn.MixtureSameFamily(new Dn.Categorical(t(p)), new Dn.Normal(t(mu), t(sd))).sample([N]);
      expect([s.device, s.shape]).toEqual([device, [N, 2]]);
      await expectMoments(s, mean, variance, 'MixtureSameFamily(Normal)');
      // Components N([0, 0], S) and N([2, -2], S), S = L L^T with L = [[1, 0], [0.5, 2]] (variances 1, 4.25),
      // weights 1/4, 3/4: mean [1.5, -1.5], variances S_ii + (1/4)(3/4) 2^2.
      const mv = new Dn.MixtureSameFamily(new Dn.Categorical(t([0.25, 0.75])), new Dn.MultivariateNormal(t([[0, 0], [2, -2]]), { scaleTril: t([[1, 0], [0.5, 2]]) }));
      await expectMoments(mv.sample([N]), [1.5, -1.5], [1.75, 5], 'MixtureSameFamily(MultivariateNormal)');
    });

    it('rsample gradients of location-scale families are the pathwise derivatives', async () => {
      const loc = t([0.5, -1]).requiresGrad_(), scale = t([2, 0.5]).requiresGrad_();
      const x = new Dn.Normal(loc, scale).rsample([1000]);
      x.sum().backward();
      // x = loc + scale eps: d sum / d loc = n, d sum / d scale = sum(eps) = sum((x - loc) / scale).
      const eps = x.detach().sub(loc.detach()).div(scale.detach()).sum(0);
      expect(Array.from(await loc.grad!.data())).toEqual([1000, 1000]);
      const [g, e] = [Array.from(await scale.grad!.data()), Array.from(await eps.data())];
      for (let i = 0; i < 2; i++) expect(g[i]).toBeCloseTo(e[i]!, 2);

      const rate = t([0.5, 3]).requiresGrad_();
      const y = new Dn.Exponential(rate).rsample([1000]);
      y.sum().backward();
      // y = E / rate: d sum / d rate = -sum(y) / rate.
      const want = Array.from(await y.detach().sum(0).div(rate.detach()).neg().data());
      const got = Array.from(await rate.grad!.data());
      for (let i = 0; i < 2; i++) expect(got[i]).toBeCloseTo(want[i]!, 1);

      const low = t([0, 1]).requiresGrad_(), high = t([1, 4]).requiresGrad_();
      const u = new Dn.Uniform(low, high).rsample([500]);
      u.sum().backward();
      // u = low + U (high - low): d/dhigh = sum(U), d/dlow = n - sum(U).
      const U = Array.from(await u.detach().sub(low.detach()).div(high.detach().sub(low.detach())).sum(0).data());
      const [gl, gh] = [Array.from(await low.grad!.data()), Array.from(await high.grad!.data())];
      for (let i = 0; i < 2; i++) { expect(gh[i]).toBeCloseTo(U[i]!, 1); expect(gl[i]).toBeCloseTo(500 - U[i]!, 1); }
    });

    it('Gamma rsample: the mean per-sample d x / d concentration and d x / d rate match d E[x] within 4 SE', async () => {
      for (const [a, b] of [[0.4, 1], [40, 0.5]] as const) {
        const alpha = torch.full([NG], a, { device, dtype: 'float32' }).requiresGrad_(), rate = torch.full([NG], b, { device, dtype: 'float32' }).requiresGrad_();
        new Dn.Gamma(alpha, rate).rsample().sum().backward();
        // E[x] = alpha / rate.
        const [ga, sa] = await meanSe(alpha.grad!);
        expect(Math.abs(ga - 1 / b), `alpha=${a}: mean dx/dalpha ${ga}`).toBeLessThanOrEqual(4 * sa);
        const [gr, sr] = await meanSe(rate.grad!);
        expect(Math.abs(gr + a / (b * b)), `alpha=${a}: mean dx/drate ${gr}`).toBeLessThanOrEqual(4 * sr);
      }
    });

    it('Beta and Dirichlet rsample: gradients unbiased for d E[x] (implicit reparameterization through normalized Gammas)', async () => {
      const n = NG;
      const c1 = torch.full([n], 2, { device, dtype: 'float32' }).requiresGrad_(), c0 = torch.full([n], 0.7, { device, dtype: 'float32' }).requiresGrad_();
      new Dn.Beta(c1, c0).rsample().sum().backward();
      // E[x] = a / (a + b): d/da = b / (a+b)^2, d/db = -a / (a+b)^2.
      const s = 2.7;
      const [g1, s1] = await meanSe(c1.grad!), [g0, s0] = await meanSe(c0.grad!);
      expect(Math.abs(g1 - 0.7 / (s * s)), `Beta d/dalpha ${g1}`).toBeLessThanOrEqual(4 * s1);
      expect(Math.abs(g0 + 2 / (s * s)), `Beta d/dbeta ${g0}`).toBeLessThanOrEqual(4 * s0);

      const conc = t([1.5, 0.5, 3]).expand([n, 3]).contiguous().requiresGrad_();
      new Dn.Dirichlet(conc).rsample().select(-1, 0).sum().backward();
      // E[x0] = a0 / S: d/da0 = (S - a0) / S^2, d/daj = -a0 / S^2 (S = 5).
      const g = conc.grad!;
      const want = [3.5 / 25, -1.5 / 25, -1.5 / 25];
      for (let j = 0; j < 3; j++) {
        const [m, se] = await meanSe(g.select(1, j));
        expect(Math.abs(m - want[j]!), `Dirichlet d E[x0] / d a${j}: ${m}`).toBeLessThanOrEqual(4 * se);
      }
    });

    it('a small-concentration Gamma keeps samples positive and log-densities finite', async () => {
      const d = new Dn.Gamma(t([0.02]), t([1]));
      const s = d.sample([20000]);
      expect(await s.min().item()).toBeGreaterThan(0);
      expect(await d.logProb(s).isfinite().all().item()).toBe(true);
      // P(X < 1e-10) for Gamma(0.02) = gammainc(0.02, 1e-10) ~ (1e-10)^0.02 / Gamma(1.02) = 0.639...
      const frac = Number(await s.lt(1e-10).float().mean().item());
      const pWant = Math.exp(0.02 * Math.log(1e-10) - lgammaF(1.02));
      expect(Math.abs(frac - pWant)).toBeLessThanOrEqual(4 * Math.sqrt(pWant * (1 - pWant) / 20000));
    });
  });
}
