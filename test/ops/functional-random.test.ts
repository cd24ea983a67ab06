// Dropout family and attention dropout of torch.nn.functional. Their masks come from our Philox
// generator, not PyTorch's stream, so these tests check statistics, scaling, gradients and
// determinism under torch.manualSeed instead of exact PyTorch values.
import { describe, expect, it, vi } from 'vitest';
import { testDevices, torch } from '../helpers.js';

const F = torch.nn.functional;

for (const device of testDevices()) {
  describe(`dropout on ${device}`, () => {
    const ones = (...shape: number[]) => torch.ones(shape, { device });

    it('zeroes about p of the elements and scales the rest by 1/(1-p)', async () => {
      torch.manualSeed(1);
      const n = 200_000, p = 0.3;
      const y = Array.from(await F.dropout(ones(n), p).data());
      const zeros = y.filter((v) => v === 0).length;
      // Binomial std is sqrt(n p (1-p)) ~ 205: allow ~5 sigma.
      expect(Math.abs(zeros - n * p)).toBeLessThan(1000);
      const badScale = y.filter((v) => v !== 0 && Math.abs(v - 1 / (1 - p)) > 1e-5).length;
      expect(badScale).toBe(0);
    });

    it('is deterministic under manualSeed and changes with the seed', async () => {
      const x = torch.randn([64], { device });
      torch.manualSeed(7);
      const a = Array.from(await F.dropout(x, 0.5).data());
      torch.manualSeed(7);
      const b = Array.from(await F.dropout(x, { p: 0.5 }).data());
      torch.manualSeed(8);
      const c = Array.from(await F.dropout(x, 0.5).data());
      expect(a).toEqual(b);
      expect(a).not.toEqual(c);
    });

    it('is the identity when not training or p = 0, and zero for p = 1', async () => {
      const x = torch.randn([3, 4], { device });
      expect(F.dropout(x, 0.5, { training: false })).toBe(x);
      expect(F.dropout(x, 0)).toBe(x);
      expect(Array.from(await F.dropout(x, 1).data()).every((v) => v === 0)).toBe(true);
      expect(() => F.dropout(x, 1.5)).toThrow(/between 0 and 1/);
    });

    it('passes the gradient through the same mask and scale', async () => {
      torch.manualSeed(3);
      const x = torch.randn([50], { device }).requiresGrad_();
      const y = F.dropout(x, 0.4);
      y.sum().backward();
      const xs = await x.data(), ys = await y.data(), gs = await x.grad!.data();
      for (let i = 0; i < 50; i++) {
        if (ys[i] === 0) expect(gs[i]).toBe(0);
        else {
          expect(gs[i]).toBeCloseTo(1 / 0.6, 5);
          expect(ys[i]).toBeCloseTo(xs[i]! / 0.6, 5);
        }
      }
    });

    it('inplace writes into the input', async () => {
      torch.manualSeed(4);
      const x = ones(1000);
      const y = F.dropout(x, 0.5, { inplace: true });
      expect(y).toBe(x);
      expect(Array.from(await x.data()).some((v) => v === 0)).toBe(true);
    });

    it('dropout2d drops whole channels', async () => {
      torch.manualSeed(5);
      const y = F.dropout2d(ones(8, 16, 3, 3), 0.5);
      const d = await y.data();
      let dropped = 0;
      for (let ch = 0; ch < 8 * 16; ch++) {
        const vals = Array.from(d.slice(ch * 9, ch * 9 + 9));
        const first = vals[0]!;
        expect(first === 0 || Math.abs(first - 2) < 1e-6).toBe(true);
        expect(vals.every((v) => v === first)).toBe(true);
        if (first === 0) dropped++;
      }
      expect(dropped).toBeGreaterThan(30);
      expect(dropped).toBeLessThan(98);
      // 3-D input is [N, C, L] as PyTorch 1.13 reads it (channel-wise 1-D dropout, with its warning):
      // one draw per row x[n, c, :], for the function and the module alike.
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      for (const y3 of [F.dropout2d(ones(4, 10, 6), 0.5), new torch.nn.Dropout2d(0.5).to(device).forward(ones(4, 10, 6))]) {
        const u = await y3.data();
        const rows = Array.from({ length: 40 }, (_, r) => new Set(Array.from(u.slice(r * 6, r * 6 + 6))));
        expect(rows.every((s) => s.size === 1)).toBe(true);
        const zero = rows.filter((s) => s.has(0)).length;
        expect(zero).toBeGreaterThan(5); expect(zero).toBeLessThan(35);
        // not one draw per [C, L] slice of a [C, H, W] reading: rows of one x[n] differ
        expect(Array.from({ length: 4 }, (_, n) => new Set(rows.slice(n * 10, n * 10 + 10).map((s) => [...s][0]))).some((s) => s.size > 1)).toBe(true);
      }
      // PyTorch warns once per call site; ours once per process: the first device's run shows it.
      if (device === testDevices()[0]) expect(warn.mock.calls.flat().join('\n')).toContain('dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is desired');
      warn.mockRestore();
      expect(() => F.dropout2d(ones(2, 3), 0.5)).toThrow(/dropout2d/);
    });

    it('dropout1d drops whole channels of [N, C, L]', async () => {
      torch.manualSeed(6);
      const d = await F.dropout1d(ones(4, 10, 5), 0.5).data();
      for (let ch = 0; ch < 40; ch++) expect(new Set(Array.from(d.slice(ch * 5, ch * 5 + 5))).size).toBe(1);
    });

    it('alphaDropout keeps zero mean and unit variance of a standard normal input', async () => {
      torch.manualSeed(9);
      const n = 100_000;
      const y = Array.from(await F.alphaDropout(torch.randn([n], { device }), 0.2).data());
      const mean = y.reduce((a, b) => a + b, 0) / n;
      const variance = y.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
      expect(Math.abs(mean)).toBeLessThan(0.02);
      expect(Math.abs(variance - 1)).toBeLessThan(0.03);
      // dropped entries all take the same value a * alpha' + b
      const a = 1 / Math.sqrt((1.7580993408473766 ** 2 * 0.2 + 1) * 0.8);
      const dropVal = a * -1.7580993408473766 + a * 1.7580993408473766 * 0.2;
      const dropped = y.filter((v) => Math.abs(v - dropVal) < 1e-5).length;
      expect(Math.abs(dropped / n - 0.2)).toBeLessThan(0.01);
    });

    it('rrelu in training draws each negative slope from U(lower, upper), seeded', async () => {
      const x = torch.full([5000], -2, { device, dtype: 'float32' });
      torch.manualSeed(12);
      const y = Array.from(await F.rrelu(x, 0.1, 0.3, true).data());
      torch.manualSeed(12);
      expect(Array.from(await F.rrelu(x, 0.1, 0.3, true).data())).toEqual(y);
      const slopes = y.map((v) => v / -2);
      expect(Math.min(...slopes)).toBeGreaterThanOrEqual(0.1 - 1e-6);
      expect(Math.max(...slopes)).toBeLessThanOrEqual(0.3 + 1e-6);
      expect(Math.abs(slopes.reduce((a, b) => a + b, 0) / slopes.length - 0.2)).toBeLessThan(0.005);
      expect(Array.from(await F.rrelu(torch.tensor([3, 0.5], { device }), 0.1, 0.3, true).data())).toEqual([3, 0.5]);
    });

    it('gumbelSoftmax samples categories with softmax(logits) frequencies; hard gives one-hot with soft gradient', async () => {
      const logits = torch.tensor([[Math.log(0.2), Math.log(0.3), Math.log(0.5)]], { device }).expand(6000, 3).contiguous();
      torch.manualSeed(13);
      const y = F.gumbelSoftmax(logits, { tau: 0.5, hard: true });
      const d = await y.data();
      const counts = [0, 0, 0];
      for (let i = 0; i < 6000; i++) {
        const row = [d[3 * i]!, d[3 * i + 1]!, d[3 * i + 2]!];
        expect(row.filter((v) => v === 1).length + row.filter((v) => Math.abs(v) < 1e-6).length).toBe(3);
        counts[row.indexOf(Math.max(...row))]! += 1;
      }
      [0.2, 0.3, 0.5].forEach((p, k) => expect(Math.abs(counts[k]! / 6000 - p)).toBeLessThan(0.025));
      const l = torch.zeros([4, 3], { device }).requiresGrad_();
      F.gumbelSoftmax(l, { hard: true }).mul(torch.tensor([1, 2, 3], { device })).sum().backward();
      expect(Array.from(await l.grad!.data()).some((v) => v !== 0)).toBe(true);
      const soft = await F.gumbelSoftmax(torch.randn([5, 4], { device })).sum(-1).data();
      for (const v of soft) expect(v).toBeCloseTo(1, 5);
    });

    it('scaledDotProductAttention dropout is seeded and off at dropoutP = 0', async () => {
      const q = torch.randn([2, 4, 8], { device }), k = torch.randn([2, 6, 8], { device }), v = torch.randn([2, 6, 8], { device });
      const plain = Array.from(await F.scaledDotProductAttention(q, k, v).data());
      expect(Array.from(await F.scaledDotProductAttention(q, k, v, { dropoutP: 0 }).data())).toEqual(plain);
      torch.manualSeed(11);
      const a = Array.from(await F.scaledDotProductAttention(q, k, v, { dropoutP: 0.5 }).data());
      torch.manualSeed(11);
      const b = Array.from(await F.scaledDotProductAttention(q, k, v, { dropoutP: 0.5 }).data());
      expect(a).toEqual(b);
      expect(a).not.toEqual(plain);
    });
  });
}
