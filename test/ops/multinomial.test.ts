// torch.multinomial (composite over rand, so no PyTorch value fixtures: its generator differs from
// PyTorch's). Checks the contract statistically: frequencies match the normalised weights, zero
// weights are never drawn, draws without replacement are distinct with sequential-draw probabilities,
// shapes and dtype are PyTorch's, and invalid calls raise PyTorch's messages.
import { describe, expect, it } from 'vitest';
import { testDevices, torch } from '../helpers.js';

function freq(idx: Int32Array | number[], n: number, stride = 1, offset = 0): number[] {
  const f = new Array<number>(n).fill(0);
  let m = 0;
  for (let i = offset; i < idx.length; i += stride) { f[idx[i]!]!++; m++; }
  return f.map((c) => c / m);
}

describe('multinomial', () => {
  for (const device of testDevices()) {
    it(`with replacement follows the weights (${device})`, async () => {
      torch.manualSeed(3);
      const w = torch.tensor([[1, 0, 3, 4], [0, 0, 0, 2]], { dtype: 'float32', device });
      const s = torch.multinomial(w, 4000, { replacement: true });
      expect(s.shape).toEqual([2, 4000]);
      expect(s.dtype).toBe('int32');
      const d = Array.from(await s.data());
      const f0 = freq(d.slice(0, 4000), 4), f1 = freq(d.slice(4000), 4);
      [0.125, 0, 0.375, 0.5].forEach((p, i) => expect(Math.abs(f0[i]! - p)).toBeLessThan(0.03));
      expect(f1).toEqual([0, 0, 0, 1]);
    });
    it(`without replacement draws distinct categories with sequential-draw odds (${device})`, async () => {
      torch.manualSeed(4);
      const w = torch.tensor([0.5, 0.3, 0.2, 0], { device }).expand(3000, 4);
      const s = w.multinomial(2);
      expect(s.shape).toEqual([3000, 2]);
      const d = await s.data() as Int32Array;
      for (let r = 0; r < 3000; r++) expect(d[2 * r]).not.toBe(d[2 * r + 1]);
      const first = freq(d, 4, 2, 0), second = freq(d, 4, 2, 1);
      [0.5, 0.3, 0.2, 0].forEach((p, i) => expect(Math.abs(first[i]! - p)).toBeLessThan(0.035));
      // P(second = 0) = 0.3 * 0.5/0.7 + 0.2 * 0.5/0.8
      expect(Math.abs(second[0]! - (0.3 * 0.5 / 0.7 + 0.2 * 0.5 / 0.8))).toBeLessThan(0.035);
      expect(second[3]).toBe(0);
      const one = torch.multinomial(torch.tensor([0, 0, 1.5], { device }), 1);
      expect(one.shape).toEqual([1]);
      expect(Array.from(await one.data())).toEqual([2]);
    });
  }
  it('releases its temporaries at once, as do topk/argsort/gather (no wait for the GC)', () => {
    const w = torch.rand(3, 5), idx = torch.zeros(3, 2, { dtype: 'int32' });
    const live = (): number => torch.memory().cpu!.buffers;
    const n0 = live();
    for (const out of [torch.multinomial(w, 3, { replacement: true }), torch.multinomial(w, 3), w.argsort(0), w.gather(1, idx)]) out.dispose();
    const { values, indices } = w.topk(2, 0);
    values.dispose(); indices.dispose();
    expect(live()).toBe(n0);
  });
  it('raises PyTorch errors', () => {
    expect(() => torch.multinomial(torch.ones(3), 4)).toThrow('cannot sample n_sample > prob_dist.size(-1) samples without replacement');
    expect(() => torch.multinomial(torch.ones(3), 0)).toThrow('cannot sample n_sample <= 0 samples');
    expect(() => torch.multinomial(torch.ones(2, 2, 2), 1)).toThrow('prob_dist must be 1 or 2 dim');
    expect(() => torch.multinomial(torch.tensor([1, 2]), 1)).toThrow('multinomial only supports floating-point dtypes for input');
  });
});
