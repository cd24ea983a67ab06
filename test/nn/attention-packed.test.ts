// MultiheadAttention's self-attention path (query, key and value the same tensor, packed in_proj
// weight: one projection split into the heads by one copy) against its general path (the same
// values passed as three tensors), which the PyTorch fixtures of modules.test.ts check: outputs,
// attention weights and every gradient agree, unbatched, sequence-first and batch-first, in float64.
import { describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';
import type { Tensor } from '../../src/index.js';

const { nn } = torch;

async function close(a: Tensor | null, b: Tensor | null): Promise<void> {
  const [x, y] = [Array.from(await a!.data()), Array.from(await b!.data())];
  expect(x.length).toBe(y.length);
  x.forEach((v, i) => expect(Math.abs(v - y[i]!)).toBeLessThan(1e-12 * Math.max(1, Math.abs(y[i]!))));
}

describe('MultiheadAttention self-attention path', () => {
  for (const [name, batchFirst, shape] of [['unbatched', false, [5, 8]], ['sequence-first', false, [5, 3, 8]], ['batch-first', true, [3, 5, 8]]] as const) {
    it(`equals the general path (${name})`, async () => {
      torch.manualSeed(1);
      const m = new nn.MultiheadAttention(8, 2, { batchFirst, dtype: 'float64' });
      const grads = (p: Tensor[]) => [...m.parameters(), ...p].map((q) => q.grad!.clone()); // zeroGrad frees the .grad tensors
      const x = torch.randn([...shape], { dtype: 'float64', requiresGrad: true });
      const [y1, w1] = m.forward(x, x, x);
      y1.square().sum().add(w1!.square().sum()).backward();
      const g1 = grads([x]);
      m.zeroGrad();
      const [q, k, v] = [0, 1, 2].map(() => x.detach().clone().requiresGrad_());
      const [y2, w2] = m.forward(q!, k!, v!);
      y2.square().sum().add(w2!.square().sum()).backward();
      const [gq, gk, gv] = [q!.grad!, k!.grad!, v!.grad!];
      const g2 = [...m.parameters().map((p) => p.grad), gq.add(gk).add(gv)];
      await close(y1, y2);
      await close(w1, w2);
      for (let i = 0; i < g1.length; i++) await close(g1[i]!, g2[i]!);
    });
  }
});
