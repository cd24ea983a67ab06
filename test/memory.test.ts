// Memory management: dispose(), `using`, torch.tidy scopes (returned values, nesting, keep, .grad),
// views sharing storage, use-after-dispose errors, torch.memory(), the FinalizationRegistry
// backstop (in a child process with --expose-gc), and a 10,000-step training loop that must run
// flat in torch.memory().cpu.allocatedBytes.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { torch } from './helpers.js';
import type { Tensor } from '../src/index.js';

const allocated = (): number => torch.memory().cpu!.allocatedBytes;

describe('dispose and using', () => {
  it('dispose frees the bytes, is idempotent, and use after dispose throws a clear error', () => {
    const before = allocated();
    const t = torch.zeros(1000);
    expect(allocated() - before).toBeGreaterThanOrEqual(4000);
    t.dispose();
    expect(allocated()).toBe(before);
    expect(t.isDisposed).toBe(true);
    t.dispose();
    expect(allocated()).toBe(before);
    expect(() => t.add(1)).toThrow(/use of a released tensor: shape \[1000\], dtype float32, device cpu, made by zeros.*disposed by dispose\(\)/);
    expect(() => t.dataSync()).toThrow(/disposed/);
  });

  it('`using` disposes at the end of the block', () => {
    const before = allocated();
    let kept: Tensor;
    {
      using t = torch.ones(256);
      kept = t;
      expect(allocated()).toBeGreaterThan(before);
    }
    expect(kept.isDisposed).toBe(true);
    expect(allocated()).toBe(before);
  });

  it('views keep the storage alive until the last one is disposed', () => {
    const before = allocated();
    const base = torch.arange(12);
    const a = base.reshape(3, 4);
    const v = a.select(0, 1);
    const w = a.t();
    base.dispose();
    a.dispose();
    expect(allocated()).toBeGreaterThan(before);
    expect(Array.from(v.dataSync())).toEqual([4, 5, 6, 7]);
    v.dispose();
    expect(w.dataSync()[1]).toBe(4);
    w.dispose();
    expect(allocated()).toBe(before);
  });

  it('torch.dispose disposes tensors inside arrays and objects', () => {
    const before = allocated();
    const xs = { a: torch.ones(10), b: [torch.zeros(3), torch.ones(2)] };
    torch.dispose(xs);
    expect(allocated()).toBe(before);
  });
});

describe('tidy', () => {
  it('disposes intermediates, keeps returned tensors (also in arrays/objects)', () => {
    const before = allocated();
    let inner!: Tensor;
    const { out, list } = torch.tidy(() => {
      inner = torch.ones(100).mul(2);
      const o = inner.add(1);
      return { out: o, list: [o.mul(2)] };
    });
    expect(inner.isDisposed).toBe(true);
    expect(out.isDisposed).toBe(false);
    expect(Array.from(list[0]!.dataSync().slice(0, 2))).toEqual([6, 6]);
    out.dispose(); list[0]!.dispose();
    expect(allocated()).toBe(before);
  });

  it('nested scopes hand returned tensors to the parent; keep() survives every scope', () => {
    const before = allocated();
    let fromInner!: Tensor, kept!: Tensor, dropped!: Tensor;
    const result = torch.tidy(() => {
      fromInner = torch.tidy(() => torch.ones(4).mul(3));
      kept = torch.keep(torch.zeros(4));
      dropped = fromInner.add(1);
      expect(fromInner.isDisposed).toBe(false);
      return fromInner.sum();
    });
    expect(fromInner.isDisposed).toBe(true); // returned by the inner scope only
    expect(dropped.isDisposed).toBe(true);
    expect(kept.isDisposed).toBe(false);
    expect(result.itemSync()).toBe(12);
    result.dispose(); kept.dispose();
    expect(allocated()).toBe(before);
  });

  it('.grad tensors computed inside a scope survive it', () => {
    const w = torch.ones(3, { requiresGrad: true });
    torch.tidy(() => { w.mul(torch.tensor([1, 2, 3])).sum().backward(); });
    expect(w.grad!.isDisposed).toBe(false);
    expect(Array.from(w.grad!.dataSync())).toEqual([1, 2, 3]);
  });

  it('a throwing fn still pops the scope; an async fn is rejected', () => {
    expect(() => torch.tidy(() => { torch.ones(2); throw new Error('inside'); })).toThrow('inside');
    const outside = torch.ones(1);
    torch.tidy(() => 0);
    expect(outside.isDisposed).toBe(false);
    expect(() => torch.tidy((async () => torch.ones(1)) as unknown as () => Tensor)).toThrow(/synchronous/);
  });
});

describe('torch.memory', () => {
  it('reports allocatedBytes, reservedBytes and live buffers for the cpu', () => {
    const m0 = torch.memory().cpu!;
    const t = torch.zeros(64, { dtype: 'float64' });
    const m1 = torch.memory().cpu!;
    expect(m1.allocatedBytes - m0.allocatedBytes).toBeGreaterThanOrEqual(512);
    expect(m1.buffers).toBe(m0.buffers + 1);
    expect(m1.reservedBytes).toBeGreaterThanOrEqual(m1.allocatedBytes);
    t.dispose();
    expect(torch.memory().cpu!.buffers).toBe(m0.buffers);
  });
});

describe('FinalizationRegistry backstop', () => {
  it('frees the storage of unreachable tensors after GC (child process with --expose-gc)', () => {
    const script = `
      import * as torch from './src/index.ts';
      await torch.init();
      const before = torch.memory().cpu.allocatedBytes;
      (() => { for (let i = 0; i < 50; i++) torch.zeros(10000); })();
      const grown = torch.memory().cpu.allocatedBytes - before;
      for (let i = 0; i < 10 && torch.memory().cpu.allocatedBytes > before; i++) {
        globalThis.gc();
        await new Promise((r) => setTimeout(r, 20));
      }
      console.log(JSON.stringify({ grown, after: torch.memory().cpu.allocatedBytes - before }));
    `;
    const root = fileURLToPath(new URL('..', import.meta.url));
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const { grown, after } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { grown: number; after: number };
    expect(grown).toBeGreaterThanOrEqual(50 * 40000);
    expect(after).toBe(0);
  });
});

describe('training loop runs flat in memory', () => {
  it('10,000 forward+backward+SGD steps of a 2-layer MLP keep allocatedBytes constant', () => {
    torch.manualSeed(1);
    const x = torch.randn(8, 4), y = torch.randn(8, 2);
    const params = [torch.randn(4, 8).mul(0.3), torch.zeros(8), torch.randn(8, 2).mul(0.3), torch.zeros(2)].map((p) => p.requiresGrad_());
    const [w1, b1, w2, b2] = params as [Tensor, Tensor, Tensor, Tensor];
    const step = (i: number): number => torch.tidy(() => {
      const loss = x.matmul(w1).add(b1).relu().matmul(w2).add(b2).sub(y).pow(2).mean();
      loss.backward();
      torch.noGrad(() => {
        for (const p of params) {
          p.sub_(p.grad!.mul(0.05));
          // half the steps zero the gradient in place, half drop it (PyTorch's setToNone)
          if (i % 2) p.grad!.zero_();
          else { p.grad!.dispose(); p.grad = null; }
        }
      });
      return i % 1000 === 0 ? loss.itemSync() as number : NaN;
    });
    const losses: number[] = [];
    for (let i = 0; i < 20; i++) step(i);
    const warm = allocated();
    const bufs = torch.memory().cpu!.buffers;
    for (let i = 0; i < 10_002; i++) {
      const l = step(i);
      if (!Number.isNaN(l)) losses.push(l);
      // compared after odd steps, like the warm-up's last one (gradients still allocated)
      if (i % 2500 === 1) expect(allocated(), `step ${i}`).toBe(warm);
    }
    expect(allocated()).toBe(warm);
    expect(torch.memory().cpu!.buffers).toBe(bufs);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!); // it actually trains
  }, 120_000);
});

describe('a training loop without tidy', () => {
  // Only what user code holds (the output and the loss) is left to the garbage collector: module and
  // op temporaries are freed on return, what the graph saved is freed by backward, backward frees its
  // gradients in flight and rule temporaries, zeroGrad frees the old .grad, steps free temporaries.
  it('zeroGrad + backward + step leave nothing behind: growth per step is the output and the loss', () => {
    torch.manualSeed(2);
    const { nn, optim } = torch;
    const model = new nn.Sequential(new nn.Linear(16, 32), new nn.ReLU(), new nn.Linear(32, 4));
    const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
    const x = torch.randn(8, 16), y = torch.randint(0, 4, [8]);
    let forwardBytes = 0, stepBytes = 0;
    for (let i = 0; i < 60; i++) {
      const a = allocated();
      opt.zeroGrad();
      const b = allocated();
      const loss = torch.nn.functional.crossEntropy(model.forward(x), y);
      const c = allocated();
      loss.backward();
      opt.step();
      const d = allocated();
      if (i >= 10) { forwardBytes += c - b; stepBytes += (d - c) + (b - a); }
    }
    expect(forwardBytes).toBeGreaterThan(0);
    // backward released what the forward saved; zeroGrad freed what backward allocated for the grads.
    expect(stepBytes).toBeLessThan(0);
    expect((forwardBytes + stepBytes) / 50).toBe(128 + 64); // logits [8, 4] and the loss (64-byte granules)
  });

  it('in-place ops outside tidy free their temporaries', () => {
    const p = torch.ones(64, 64), q = torch.rand(64, 64);
    const before = allocated();
    for (let i = 0; i < 200; i++) { p.add_(q, { alpha: 0.5 }).mul_(0.5).clamp_(-1, 1); p.addcmul_(q, q, { value: 0.1 }); p.uniform_(); }
    expect(allocated()).toBe(before);
  });

  it('backward frees only what user code never saw (hooks, retainGrad, repeated inputs keep working)', () => {
    const w = torch.tensor([1.5, -2, 0.5], { requiresGrad: true });
    const seen: Tensor[] = [];
    const h = w.mul(2);
    h.registerHook((g) => { seen.push(g); });
    h.retainGrad();
    const before = allocated();
    const loss = h.add(h).mul(h).sum(); // add(h, h): one gradient reaches h twice
    loss.backward();
    expect(Array.from(w.grad!.dataSync())).toEqual([24, -32, 8]); // d/dw 2(2w)^2 = 16w
    expect(Array.from(h.grad!.dataSync())).toEqual([12, -16, 4]);
    expect(Array.from(seen[0]!.dataSync())).toEqual([12, -16, 4]); // a hook's argument stays valid
    const z = torch.tensor([3, -4, 1], { dtype: 'float32', requiresGrad: true });
    const g2 = torch.autograd.grad([z.mul(z).sum()], [z])[0]!; // captured gradients are returned alive
    expect(Array.from(g2.dataSync())).toEqual([6, -8, 2]);
    expect(allocated()).toBeGreaterThan(before);
  });
});

describe('results that are views of an op-internal buffer', () => {
  it('matmul/dot/reshape-with-copy results own their buffer: dispose() frees it at once', () => {
    const a = torch.randn(8, 5), b = torch.randn(5, 3), v = torch.randn(5);
    torch.matmul(a, b).dispose(); // the first GEMM allocates the backend's packing workspace
    const before = allocated();
    for (const make of [() => torch.matmul(a, b), () => torch.matmul(v, b), () => torch.matmul(a, v), () => torch.dot(v, v),
      () => torch.matmul(a.reshape(2, 4, 5), b), () => torch.matmul(a.reshape(2, 4, 5), b.expand(2, 5, 3)), () => a.t().reshape(-1)]) {
      const r = make();
      expect(allocated()).toBeGreaterThan(before);
      r.dispose();
      expect(allocated(), make.toString()).toBe(before);
    }
    torch.dispose([a, b, v]);
  });
});
