// AccumulateGrad's first gradient of a leaf: taken as it is when this backward pass made it and
// nothing else can see it (PyTorch steals it too), copied otherwise. Checked by what a user could
// observe: no aliasing between .grad tensors or with what hooks and autograd.grad returned, values
// from hand-derived math, and the copy kernels a Linear's backward no longer launches.
import { describe, expect, it } from 'vitest';
import { testDevices, torch } from '../helpers.js';
import { realBackend } from '../../src/backends/registry.js';
import type { Backend } from '../../src/backends/backend.js';
import type { Device, Tensor } from '../../src/index.js';

const vals = async (t: Tensor | null) => Array.from(await t!.data());

/** Calls of `method` on the device's backend while fn runs. */
function countCalls(device: Device, method: 'copy', fn: () => void): number {
  const b = realBackend(device) as Backend & Record<string, unknown>;
  const f = b[method];
  let n = 0;
  b[method] = function (this: Backend, ...a: unknown[]) { n++; return (f as (...x: unknown[]) => unknown).apply(this, a); } as never;
  try { fn(); } finally { b[method] = f as never; }
  return n;
}

for (const device of testDevices()) {
  describe(`first gradient of a leaf (${device})`, () => {
    it('a Linear: the gradients the rules made become .grad without a copy kernel', async () => {
      torch.manualSeed(0);
      const lin = new torch.nn.Linear(4, 3).to(device);
      const x = torch.randn([5, 4], { device });
      const copies = countCalls(device, 'copy', () => lin.call(x).square().sum().backward());
      expect(copies).toBe(0);
      // d/dW sum((xW^T + b)^2) = 2 (xW^T + b)^T x, d/db = 2 sum_rows(xW^T + b): recomputed independently.
      const y = torch.noGrad(() => lin.call(x));
      const want = torch.noGrad(() => y.mul(2).t().matmul(x));
      const wantB = torch.noGrad(() => y.mul(2).sum(0));
      const [gw, ww, gb, wb] = await Promise.all([vals(lin.weight.grad), vals(want), vals(lin.bias!.grad), vals(wantB)]);
      gw.forEach((v, i) => expect(v).toBeCloseTo(ww[i]!, 4));
      gb.forEach((v, i) => expect(v).toBeCloseTo(wb[i]!, 4));
    });

    it('one gradient reaching two leaves gives each its own .grad', async () => {
      const a = torch.tensor([1, 2, 3], { device, dtype: 'float32', requiresGrad: true });
      const b = torch.tensor([4, 5, 6], { device, dtype: 'float32', requiresGrad: true });
      a.add(b).sum().backward(); // add's backward hands the same gradient to both
      a.grad!.add_(10);
      expect(await vals(a.grad)).toEqual([11, 11, 11]);
      expect(await vals(b.grad)).toEqual([1, 1, 1]);
      // w1's gradient is a view (reshape) of w2's, on one storage: they must not share it.
      const w1 = torch.tensor([1, 2, 3, 4, 5, 6], { device, dtype: 'float32', requiresGrad: true });
      const w2 = torch.tensor([[1, 2, 3], [4, 5, 6]], { device, dtype: 'float32', requiresGrad: true });
      w1.reshape([2, 3]).add(w2).mul(2).sum().backward();
      w1.grad!.add_(10);
      w2.grad!.add_(100);
      expect(await vals(w1.grad)).toEqual([12, 12, 12, 12, 12, 12]);
      expect(await vals(w2.grad)).toEqual([102, 102, 102, 102, 102, 102]);
    });

    it('a gradient a hook kept, or a view of one that lives on, is copied', async () => {
      const a = torch.tensor([1, 2, 3], { device, dtype: 'float32', requiresGrad: true });
      let seen: Tensor | null = null;
      a.registerHook((g) => { seen = g; });
      a.mul(2).sum().backward();
      a.grad!.add_(1);
      expect(await vals(a.grad)).toEqual([3, 3, 3]);
      expect(await vals(seen)).toEqual([2, 2, 2]);

      // w's gradient is a view of the gradient of w.reshape(...) (shared storage): never taken as is.
      const w = torch.tensor([1, 2, 3, 4, 5, 6], { device, dtype: 'float32', requiresGrad: true });
      const v = w.reshape([2, 3]);
      v.retainGrad();
      v.mul(3).sum().backward();
      w.grad!.add_(1);
      expect(await vals(w.grad)).toEqual([4, 4, 4, 4, 4, 4]);
      expect(await vals(v.grad)).toEqual([3, 3, 3, 3, 3, 3]);
    });

    it('a second backward accumulates into the taken gradient', async () => {
      const x = torch.tensor([1, 2, 3], { device, dtype: 'float32', requiresGrad: true });
      x.mul(x).sum().backward();
      const first = x.grad!;
      x.mul(3).sum().backward();
      expect(x.grad).toBe(first);
      expect(await vals(x.grad)).toEqual([5, 7, 9]);
    });
  });
}
