// torch.distributions.Geometric against PyTorch 1.13: logProb, mean, variance, entropy and their
// gradients for probs and logits parameterizations (the reference numbers are PyTorch's, float64), the
// probs = 1 / value = 0 special case, PyTorch's validation messages, and sampling moments (10^5 draws
// within 4 standard errors of (1 - p) / p and (1 - p) / p^2). float64 on the CPU, float32 on every test device.

import { describe, expect, it } from 'vitest';
import { testDevices, torch } from '../helpers.js';
import type { Device, DType, Tensor } from '../../src/index.js';

const Dn = torch.distributions;

async function close(t: Tensor, want: number[], tol: number, what = 'value'): Promise<void> {
  const got = Array.from(await t.data(), Number);
  expect(got.length, `${what} length`).toBe(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i]!), `${what}[${i}]: ${g} vs ${want[i]}`).toBeLessThanOrEqual(tol * (1 + Math.abs(want[i]!))));
}

const cases: [DType, Device, number][] = [['float64', 'cpu', 1e-9], ...testDevices().map((d): [DType, Device, number] => ['float32', d, 2e-5])];
for (const [dtype, device, tol] of cases) {
  const o = { dtype, device };
  describe(`Geometric [${device} ${dtype}]`, () => {
    it('logProb, mean, variance and the logProb gradient with probs (including probs = 1 at value 0)', async () => {
      const p = torch.tensor([0.2, 0.5, 0.9, 1.0], o).requiresGrad_();
      const g = new Dn.Geometric(p);
      const lp = g.logProb(torch.tensor([0, 1, 3, 0], o));
      lp.sum().backward();
      // PyTorch's Geometric(probs).log_prob([0, 1, 3, 0]), mean, variance, d sum(log_prob) / d probs.
      await close(lp, [-1.6094379124, -1.3862943611, -7.0131157946, 0.0], tol, 'logProb');
      await close(g.mean, [4.0, 1.0, 0.1111111111, 0.0], tol, 'mean');
      await close(g.variance, [20.0, 2.0, 0.1234567901, 0.0], tol, 'variance');
      await close(p.grad!, [5.0, 0.0, -28.8888888889, 1.0], tol, 'grad');
      await close(g.mode, [0, 0, 0, 0], 0, 'mode');
    });

    it('entropy and its gradient with probs', async () => {
      const p = torch.tensor([0.2, 0.5, 0.9], o).requiresGrad_();
      const e = new Dn.Geometric({ probs: p }).entropy();
      e.sum().backward();
      // PyTorch's values.
      await close(e, [2.5020121177, 1.3862943611, 0.3612033038], tol, 'entropy');
      await close(p.grad!, [-5.5785887829, -2.7725887222, -2.8426976457], tol * 10, 'grad');
    });

    it('logits: probs, logProb, entropy, mean, variance and gradients', async () => {
      const l = torch.tensor([-1, 0.5, 2], o).requiresGrad_();
      const g = new Dn.Geometric({ logits: l });
      const lp = g.logProb(torch.tensor([2, 0, 5], o)), e = g.entropy();
      lp.sum().add(e.sum()).backward();
      // PyTorch's Geometric(logits=[-1, 0.5, 2]) at [2, 0, 5]; gradient of sum(log_prob) + sum(entropy).
      await close(g.probs, [0.2689414214, 0.6224593312, 0.880797078], tol, 'probs');
      await close(lp, [-1.9397850626, -0.4740769842, -10.7615680663], tol, 'logProb');
      await close(e, [2.1647952403, 1.06488454, 0.4147764158], tol, 'entropy');
      await close(g.mean, [2.7182818285, 0.6065306597, 0.1353352832], tol, 'mean');
      await close(g.variance, [10.1073379274, 0.9744101009, 0.1536509221], tol, 'variance');
      await close(l.grad!, [-0.6583578168, -0.213266887, -4.5726308727], tol * 10, 'grad');
    });

    it('samples: non-negative integers on the parameters\' device with the right moments', async () => {
      torch.manualSeed(0);
      const probs = [0.2, 0.5, 0.9];
      const g = new Dn.Geometric(torch.tensor(probs, o));
      const s = g.sample([100000]);
      expect(s.shape).toEqual([100000, 3]);
      expect(s.device).toBe(device);
      expect(s.dtype).toBe(dtype);
      const x = Array.from(await s.data(), Number);
      expect(x.every((v) => Number.isInteger(v) && v >= 0)).toBe(true);
      for (let j = 0; j < 3; j++) {
        const p = probs[j]!, mean = (1 - p) / p, sd = Math.sqrt((1 - p) / (p * p));
        let m = 0;
        for (let i = j; i < x.length; i += 3) m += x[i]!;
        m /= 100000;
        expect(Math.abs(m - mean), `mean[${j}] ${m} vs ${mean}`).toBeLessThanOrEqual(4 * sd / Math.sqrt(100000));
      }
    });
  });
}

describe('Geometric validation (PyTorch\'s messages)', () => {
  it('probs must be positive', () => {
    expect(() => new Dn.Geometric(torch.tensor([0, 0.5]))).toThrow(
      'Expected parameter probs (Tensor of shape (2,)) of distribution Geometric(probs: torch.Size([2])) to be positive but found invalid values:');
    expect(() => new Dn.Geometric(torch.tensor([1.5]))).toThrow('to satisfy the constraint Interval(lower_bound=0.0, upper_bound=1.0)');
    expect(() => new Dn.Geometric({ probs: 0.5, logits: 0 })).toThrow('Either `probs` or `logits` must be specified, but not both.');
  });

  it('logProb values must be non-negative integers; support, expand', () => {
    const g = new Dn.Geometric(torch.tensor([0.3, 0.5]));
    expect(() => g.logProb(torch.tensor([-1, 1], { dtype: 'float32' }))).toThrow(
      'Expected value argument (Tensor of shape (2,)) to be within the support (IntegerGreaterThan(lower_bound=0)) of the distribution Geometric(probs: torch.Size([2])), but found invalid values:');
    expect(String(g.support)).toBe('IntegerGreaterThan(lower_bound=0)');
    const e = g.expand([4, 2]);
    expect(e.batchShape).toEqual([4, 2]);
    expect(e.sample().shape).toEqual([4, 2]);
  });
});
