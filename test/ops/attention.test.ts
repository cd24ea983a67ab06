// Fused scaled-dot-product attention (ops/attention.ts, the CPU's wasm/attention.ts): forward and
// gradients against float64 composed math (odd sizes, packed/strided heads, a transformer's sizes),
// the same bits for 1, 2 and 3 threads, second-order gradients through the composed rule, and where
// MultiheadAttention / F.scaledDotProductAttention take it. PyTorch's values through the modules are
// test/nn's fixtures (MultiheadAttention, Transformer layers), which now run this path on the CPU.
import { afterAll, describe, expect, it } from 'vitest';
import { countCalls, testDevices, torch } from '../helpers.js';
import type { Tensor } from '../../src/index.js';
import { attentionPrim, canFuseAttention } from '../../src/ops/attention.js';
import { dropoutKeep } from '../../src/ops/creation.js';

const ref = (q: Tensor, k: Tensor, v: Tensor, scale: number, causal = false) => {
  let s = q.matmul(k.transpose(-2, -1)).mul(scale);
  if (causal) s = torch.where(torch.ones([s.shape[2]!, s.shape[3]!], { dtype: 'bool' }).tril(), s, -Infinity);
  return s.softmax(-1).matmul(v);
};
const maxDiff = (a: Tensor, b: Tensor) => a.double().sub(b.double()).abs().max().itemSync() as number;
/** attentionPrim's output and gradients on 1, 2 and 3 threads (the seed reset per run for dropout's draws): the same bits. */
function expectSameBitsOnThreads(q: Tensor, k: Tensor, v: Tensor, g: Tensor, scale: number, dropoutP = 0): void {
  const run = (threads: number) => {
    torch.setNumThreads(threads);
    torch.manualSeed(1);
    for (const t of [q, k, v]) t.grad = null;
    const o = attentionPrim(q, k, v, scale, false, dropoutP);
    o.backward(g);
    return [o, q.grad!, k.grad!, v.grad!].map((t) => Array.from(t.contiguous().dataSync()));
  };
  const one = run(1);
  for (const n of [2, 3]) expect(run(n)).toEqual(one);
}
const threadsBefore = torch.getNumThreads();
afterAll(() => torch.setNumThreads(threadsBefore));

describe('fused attention (cpu)', () => {
  const cases: [string, number[], number, number, number, boolean][] = [
    // [name, [N, H, L, S], E, Ev, scale, causal]
    ['odd sizes (padded rows)', [2, 3, 5, 7], 6, 5, 0.37, false],
    ['one query row, one key', [1, 1, 1, 1], 3, 2, 1, false],
    ['a transformer layer', [4, 4, 64, 64], 32, 32, 1 / Math.sqrt(32), false],
    ['long keys', [1, 2, 9, 300], 8, 4, 0.2, false],
    ['causal, more keys than queries', [2, 2, 6, 9], 4, 3, 0.5, true],
    ['causal, more queries than keys', [1, 3, 9, 5], 4, 6, 0.5, true],
    ['causal, a GPT block', [2, 4, 32, 32], 16, 16, 0.25, true],
  ];
  for (const [name, [N, H, L, S], E, Ev, scale, causal] of cases) {
    it(`${name}: out, gq, gk, gv against float64 composed math`, () => {
      torch.manualSeed(L * 31 + S);
      const q64 = torch.randn([N!, H!, L!, E], { dtype: 'float64' }), k64 = torch.randn([N!, H!, S!, E], { dtype: 'float64' });
      const v64 = torch.randn([N!, H!, S!, Ev], { dtype: 'float64' }), g64 = torch.randn([N!, H!, L!, Ev], { dtype: 'float64' });
      const [q, k, v] = [q64, k64, v64].map((t) => t.float().requiresGrad_(true)) as [Tensor, Tensor, Tensor];
      expect(canFuseAttention(q, k, v)).toBe(true);
      const [o, fwd] = countCalls('cpu', 'attention', () => attentionPrim(q, k, v, scale, causal));
      expect(fwd).toBe(1);
      const [, bwd] = countCalls('cpu', 'attentionBackward', () => o.backward(g64.float()));
      expect(bwd).toBe(1);
      const [qr, kr, vr] = [q64, k64, v64].map((t) => t.clone().requiresGrad_(true)) as [Tensor, Tensor, Tensor];
      const or = ref(qr, kr, vr, scale, causal);
      or.backward(g64);
      expect(maxDiff(o, or)).toBeLessThan(2e-6);
      for (const [a, b] of [[q.grad!, qr.grad!], [k.grad!, kr.grad!], [v.grad!, vr.grad!]] as const) expect(maxDiff(a, b)).toBeLessThan(5e-6);
    });
  }

  it('heads as strided views of a packed projection [N, L, 3, H, E], and the output laid out [N, L, H, Ev]', () => {
    torch.manualSeed(4);
    const p = torch.randn([3, 6, 3, 2, 4]).requiresGrad_(true);
    const sp = p.permute([2, 0, 3, 1, 4]);
    const o = attentionPrim(sp.select(0, 0), sp.select(0, 1), sp.select(0, 2), 0.5);
    expect(o.shape).toEqual([3, 2, 6, 4]);
    expect(o.transpose(1, 2).isContiguous()).toBe(true);
    const g = torch.randn(o.shape);
    o.backward(g);
    const p64 = p.detach().double().requiresGrad_(true), s64 = p64.permute([2, 0, 3, 1, 4]);
    ref(s64.select(0, 0), s64.select(0, 1), s64.select(0, 2), 0.5).backward(g.double());
    expect(maxDiff(o, ref(s64.select(0, 0), s64.select(0, 1), s64.select(0, 2), 0.5))).toBeLessThan(2e-6);
    expect(maxDiff(p.grad!, p64.grad!)).toBeLessThan(5e-6);
  });

  it('the same bits for 1, 2 and 3 threads (each head is one call)', () => {
    torch.manualSeed(9);
    const q = torch.randn([5, 3, 40, 16]).requiresGrad_(true), k = torch.randn([5, 3, 33, 16]).requiresGrad_(true), v = torch.randn([5, 3, 33, 8]).requiresGrad_(true);
    const g = torch.randn([5, 3, 40, 8]);
    expectSameBitsOnThreads(q, k, v, g, 0.25);
  });

  it('second-order gradients go through the composed rule (createGraph)', () => {
    torch.manualSeed(2);
    const q64 = torch.randn([1, 2, 4, 3], { dtype: 'float64' }), k64 = torch.randn([1, 2, 5, 3], { dtype: 'float64' }), v64 = torch.randn([1, 2, 5, 2], { dtype: 'float64' });
    const gradNorm = (q: Tensor, k: Tensor, v: Tensor, o: Tensor) => {
      const [gq] = torch.autograd.grad([o.pow(2).sum()], [q], { createGraph: true });
      const [gk] = torch.autograd.grad([gq!.pow(2).sum()], [k]);
      return gk!;
    };
    const [q, k, v] = [q64, k64, v64].map((t) => t.float().requiresGrad_(true)) as [Tensor, Tensor, Tensor];
    const [qr, kr, vr] = [q64, k64, v64].map((t) => t.clone().requiresGrad_(true)) as [Tensor, Tensor, Tensor];
    expect(maxDiff(gradNorm(q, k, v, attentionPrim(q, k, v, 0.7)), gradNorm(qr, kr, vr, ref(qr, kr, vr, 0.7)))).toBeLessThan(1e-4);
    for (const t of [q, k, v, qr, kr, vr]) t.grad = null;
    expect(maxDiff(gradNorm(q, k, v, attentionPrim(q, k, v, 0.7, true)), gradNorm(qr, kr, vr, ref(qr, kr, vr, 0.7, true)))).toBeLessThan(1e-4);
  });
});

describe('who takes the fused path', () => {
  for (const device of testDevices()) {
    it(`MultiheadAttention without weights or masks on ${device}: fused where the backend has it, same values as with weights`, async () => {
      torch.manualSeed(1);
      const mha = new torch.nn.MultiheadAttention(16, 4, { batchFirst: true }).to(device);
      const x = torch.randn([3, 10, 16]).to(device);
      const [[fast], calls] = countCalls(device, 'attention', () => mha.forward(x, x, x, { needWeights: false }));
      const [[slow], none] = countCalls(device, 'attention', () => mha.forward(x, x, x, { needWeights: true }));
      expect(calls).toBe(device === 'cpu' ? 1 : null);
      expect(none ?? 0).toBe(0);
      const [a, b] = [await fast.data(), await slow.data()];
      expect(Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i]!)))).toBeLessThan(1e-5);
      // A key padding mask keeps the composed path.
      const [, masked] = countCalls(device, 'attention', () => mha.forward(x, x, x, { needWeights: false, keyPaddingMask: torch.zeros([3, 10], { dtype: 'bool' }).to(device) }));
      expect(masked ?? 0).toBe(0);
    });
  }

  it('F.scaledDotProductAttention without mask or dropout (3-D and 4-D, causal or not) takes the kernel on the CPU; with a mask it composes', () => {
    torch.manualSeed(3);
    for (const shape of [[2, 5, 8], [2, 3, 5, 8]]) {
      const q = torch.randn(shape), k = torch.randn(shape), v = torch.randn(shape);
      const [o, calls] = countCalls('cpu', 'attention', () => torch.nn.functional.scaledDotProductAttention(q, k, v));
      expect(calls).toBe(1);
      expect(o.shape).toEqual(shape);
      expect(maxDiff(o, ref(q.double(), k.double(), v.double(), 1 / Math.sqrt(8)))).toBeLessThan(2e-6);
      const [oc, causal] = countCalls('cpu', 'attention', () => torch.nn.functional.scaledDotProductAttention(q, k, v, { isCausal: true }));
      expect(causal).toBe(1);
      const c4 = (t: Tensor) => (t.ndim === 3 ? t.unsqueeze(1) : t).double();
      const want = ref(c4(q), c4(k), c4(v), 1 / Math.sqrt(8), true);
      expect(maxDiff(oc, shape.length === 3 ? want.squeeze(1) : want)).toBeLessThan(2e-6);
      const mask = torch.ones([5, 5], { dtype: 'bool' }).tril();
      const [, masked] = countCalls('cpu', 'attention', () => torch.nn.functional.scaledDotProductAttention(q, k, v, mask));
      expect(masked).toBe(0);
    }
  });
});

describe('fused attention with dropout (cpu)', () => {
  // The kernel's dropout takes dropoutKeep's flags, drawn where the composed path draws them: with
  // the seed reset, dropoutKeep gives the same flags to the float64 reference.
  const refDrop = (q: Tensor, k: Tensor, v: Tensor, scale: number, causal: boolean, keep: Tensor, p: number) => {
    let s = q.matmul(k.transpose(-2, -1)).mul(scale);
    if (causal) s = torch.where(torch.ones([s.shape[2]!, s.shape[3]!], { dtype: 'bool' }).tril(), s, -Infinity);
    return s.softmax(-1).mul(keep.double().mul(1 / (1 - p))).matmul(v);
  };
  const cases: [string, number[], number, number, boolean, number][] = [
    // [name, [N, H, L, S], E, Ev, causal, p]
    ['odd sizes (flags of partial vectors)', [2, 3, 5, 7], 6, 5, false, 0.3],
    ['a transformer layer', [2, 4, 64, 64], 32, 32, false, 0.1],
    ['causal, keys not a multiple of 4', [1, 2, 9, 11], 4, 3, true, 0.5],
  ];
  for (const [name, [N, H, L, S], E, Ev, causal, p] of cases) {
    it(`${name}: out, gq, gk, gv against float64 math with the same keep flags`, () => {
      torch.manualSeed(L * 7 + S);
      const q64 = torch.randn([N!, H!, L!, E], { dtype: 'float64' }), k64 = torch.randn([N!, H!, S!, E], { dtype: 'float64' });
      const v64 = torch.randn([N!, H!, S!, Ev], { dtype: 'float64' }), g64 = torch.randn([N!, H!, L!, Ev], { dtype: 'float64' });
      const [q, k, v] = [q64, k64, v64].map((t) => t.float().requiresGrad_(true)) as [Tensor, Tensor, Tensor];
      torch.manualSeed(5);
      const o = attentionPrim(q, k, v, 0.4, causal, p);
      o.backward(g64.float());
      torch.manualSeed(5);
      const keep = dropoutKeep([N!, H!, L!, S!], p, 'cpu');
      const kept = keep.float().mean().itemSync() as number;
      expect(kept).toBeGreaterThan(0); expect(kept).toBeLessThan(1); // some dropped, some kept
      const [qr, kr, vr] = [q64, k64, v64].map((t) => t.clone().requiresGrad_(true)) as [Tensor, Tensor, Tensor];
      const or = refDrop(qr, kr, vr, 0.4, causal, keep, p);
      or.backward(g64);
      expect(maxDiff(o, or)).toBeLessThan(2e-6);
      for (const [a, b] of [[q.grad!, qr.grad!], [k.grad!, kr.grad!], [v.grad!, vr.grad!]] as const) expect(maxDiff(a, b)).toBeLessThan(5e-6);
      // Without the flags (p = 0 math) the output would differ: the test sees the dropout.
      expect(maxDiff(o, ref(q64, k64, v64, 0.4, causal))).toBeGreaterThan(1e-3);
    });
  }

  it('the same bits for 1, 2 and 3 threads', () => {
    torch.manualSeed(9);
    const q = torch.randn([3, 2, 17, 8]).requiresGrad_(true), k = torch.randn([3, 2, 13, 8]).requiresGrad_(true), v = torch.randn([3, 2, 13, 4]).requiresGrad_(true);
    const g = torch.randn([3, 2, 17, 4]);
    expectSameBitsOnThreads(q, k, v, g, 0.3, 0.2);
  });

  it('second-order gradients with dropout go through the composed rule', () => {
    torch.manualSeed(2);
    const q64 = torch.randn([1, 2, 4, 3], { dtype: 'float64' }), k64 = torch.randn([1, 2, 6, 3], { dtype: 'float64' }), v64 = torch.randn([1, 2, 6, 2], { dtype: 'float64' });
    const gradNorm = (q: Tensor, k: Tensor, o: Tensor) => {
      const [gq] = torch.autograd.grad([o.pow(2).sum()], [q], { createGraph: true });
      return torch.autograd.grad([gq!.pow(2).sum()], [k])[0]!;
    };
    const [q, k, v] = [q64, k64, v64].map((t) => t.float().requiresGrad_(true)) as [Tensor, Tensor, Tensor];
    const [qr, kr, vr] = [q64, k64, v64].map((t) => t.clone().requiresGrad_(true)) as [Tensor, Tensor, Tensor];
    torch.manualSeed(3);
    const o = attentionPrim(q, k, v, 0.7, false, 0.4);
    torch.manualSeed(3);
    const keep = dropoutKeep([1, 2, 4, 6], 0.4, 'cpu');
    expect(maxDiff(gradNorm(q, k, o), gradNorm(qr, kr, refDrop(qr, kr, vr, 0.7, false, keep, 0.4)))).toBeLessThan(1e-4);
  });
});

describe('who takes the fused path with dropout', () => {
  for (const device of testDevices()) {
    it(`MultiheadAttention training with dropout on ${device}: fused on the CPU, the same draws and values as the composed path`, async () => {
      torch.manualSeed(1);
      const mha = new torch.nn.MultiheadAttention(16, 4, { batchFirst: true, dropout: 0.25 }).to(device);
      const x = torch.randn([3, 10, 16]).to(device);
      const run = async (needWeights: boolean) => {
        torch.manualSeed(7);
        for (const p of mha.parameters()) p.grad = null;
        const [[y], calls] = countCalls(device, 'attention', () => mha.forward(x, x, x, { needWeights }));
        y.pow(2).sum().backward();
        const after = await torch.rand([3]).to(device).data(); // the generator's state after the step
        return { calls, y: await y.data(), g: await mha.in_proj_weight!.grad!.data(), after: Array.from(after) };
      };
      const fast = await run(false), slow = await run(true);
      expect(fast.calls).toBe(device === 'cpu' ? 1 : null);
      expect(slow.calls ?? 0).toBe(0);
      const diff = (a: Float32Array | ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i]!)));
      expect(diff(fast.y, slow.y)).toBeLessThan(1e-5);
      expect(diff(fast.g, slow.g)).toBeLessThan(1e-4);
      expect(fast.after).toEqual(slow.after);
      // eval(): no dropout, and a different result from training's
      mha.eval();
      const [y0] = mha.forward(x, x, x, { needWeights: false });
      expect(diff(await y0.data(), fast.y)).toBeGreaterThan(1e-3);
    });
  }

  it('F.scaledDotProductAttention with dropoutP takes the kernel; a mask tensor composes, with the same draws', () => {
    torch.manualSeed(3);
    const q = torch.randn([2, 3, 6, 8]), k = torch.randn([2, 3, 9, 8]), v = torch.randn([2, 3, 9, 8]);
    const F = torch.nn.functional;
    torch.manualSeed(4);
    const [fast, calls] = countCalls('cpu', 'attention', () => F.scaledDotProductAttention(q, k, v, { dropoutP: 0.3 }));
    expect(calls).toBe(1);
    torch.manualSeed(4);
    const all = torch.ones([6, 9], { dtype: 'bool' });
    const [slow, none] = countCalls('cpu', 'attention', () => F.scaledDotProductAttention(q, k, v, { attnMask: all, dropoutP: 0.3 }));
    expect(none).toBe(0);
    expect(maxDiff(fast, slow)).toBeLessThan(2e-6);
    expect(() => F.scaledDotProductAttention(q, k, v, { dropoutP: -0.1 })).toThrow(/dropout probability has to be between 0 and 1, but got -0.1/);
  });
});
