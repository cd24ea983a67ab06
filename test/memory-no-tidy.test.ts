// Memory without ceremony (ARCHITECTURE.md "Memory"): PyTorch-style training loops with no tidy,
// dispose or using, on every device. Deterministic ownership is checked exactly (module-forward and
// op temporaries freed on return, graph-saved tensors freed by backward, old grads by zeroGrad);
// the garbage collector's share (what user code held: outputs, losses) is checked to stay bounded
// with a small reclaim floor, in a sync and an async loop. Plus released-tensor errors and the census.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { torch, testDevices } from './helpers.js';
import type { Device, Tensor } from '../src/index.js';
import { setReclaimFloor } from '../src/memory.js';

const { nn } = torch;
const F = torch.nn.functional;

class MLP extends nn.Module {
  fc1 = new nn.Linear(12, 32);
  norm = new nn.LayerNorm(32);
  fc2 = new nn.Linear(32, 5);
  forward(x: Tensor): Tensor { return this.fc2.call(F.gelu(this.norm.call(this.fc1.call(x))).mul(1.5)); }
}

function setup(device: Device) {
  torch.manualSeed(3);
  const model = new MLP().to(device);
  const opt = new torch.optim.Adam(model.parameters(), { lr: 1e-2 });
  const x = torch.randn(16, 12).to(device), y = torch.randint(0, 5, [16]).to(device);
  return { model, opt, x, y };
}

describe('deterministic ownership (no garbage collector involved)', () => {
  let floor: [number, number] = [0, 0];
  beforeAll(() => { floor = setReclaimFloor(2 ** 50, 2 ** 50); }); // never reclaim: only ownership frees
  afterAll(() => { setReclaimFloor(...floor); });

  for (const device of testDevices()) {
    it(`${device}: each step leaves exactly what user code holds (the output and the loss)`, () => {
      const { model, opt, x, y } = setup(device);
      const live = () => torch.memory(device).tensors;
      const step = () => {
        const out = model.forward(x);
        const loss = F.crossEntropy(out, y);
        opt.zeroGrad();
        loss.backward();
        opt.step();
        return [out, loss];
      };
      for (let i = 0; i < 3; i++) step(); // optimizer state and grads exist from here on
      const before = live(), bytes = torch.memory(device).allocatedBytes;
      for (let i = 0; i < 20; i++) step();
      expect(live() - before).toBe(2 * 20);
      const perStep = (torch.memory(device).allocatedBytes - bytes) / 20;
      expect(perStep).toBeLessThanOrEqual(16 * 5 * 4 + 256); // the logits and a scalar (allocator rounding)
    });

    it(`${device}: what the graph saved lives until backward releases it`, () => {
      const { model, x, y } = setup(device);
      torch.matmul(x, x.t()).dispose(); // the first GEMM allocates the CPU backend's packing workspace
      const before = torch.memory(device).allocatedBytes;
      const loss = F.crossEntropy(model.call(x), y);
      const withGraph = torch.memory(device).allocatedBytes;
      expect(withGraph - before).toBeGreaterThan(16 * 32 * 4 * 3); // activations saved for backward
      loss.backward();
      model.zeroGrad();
      // left: what user code holds — the logits (16 x 5 floats) and the loss (allocator rounding: 64 B)
      expect(torch.memory(device).allocatedBytes - before).toBeLessThanOrEqual(16 * 5 * 4 + 64);
    });
  }
});

describe('no-tidy loops run flat (ownership + reclaiming what user code dropped)', () => {
  let floor: [number, number] = [0, 0];
  beforeAll(() => { floor = setReclaimFloor(256 * 1024); });
  afterAll(() => { setReclaimFloor(...floor); });

  for (const device of testDevices()) {
    for (const mode of ['sync', 'async'] as const) {
      it(`${device}, ${mode} loop: 600 steps keep memory bounded and the model trains`, async () => {
        const { model, opt, x, y } = setup(device);
        let first = NaN, last = NaN, high = 0, warm = 0;
        for (let i = 0; i < 600; i++) {
          const out = model.forward(x);
          const loss = F.crossEntropy(out, y);
          opt.zeroGrad();
          loss.backward();
          opt.step();
          if (mode === 'async' && i % 50 === 0) last = await loss.item() as number;
          if (i === 0) first = mode === 'async' ? last : await loss.item() as number;
          if (i === 599) last = await loss.item() as number;
          const m = torch.memory(device);
          if (i === 50) warm = m.allocatedBytes;
          if (i > 50) high = Math.max(high, m.allocatedBytes);
        }
        // Without reclaiming, 550 steps would hold 550 outputs and losses (~200 KB more than warm).
        expect(high - warm).toBeLessThan(2 * 256 * 1024);
        expect(last).toBeLessThan(first);
      });
    }
  }
});

describe('an unawaited read in a loop that never yields', () => {
  let floor: [number, number] = [0, 0];
  beforeAll(() => { floor = setReclaimFloor(16 * 1024, 64); });
  afterAll(() => { setReclaimFloor(...floor); });

  it('cpu: a logged loss.item() each step keeps neither the loss nor its graph alive', () => {
    // A sync loop never runs its microtasks, so a pending promise would keep what it refers to until
    // the loop ends. A synchronous device reads at the call: the promise holds the number alone.
    const { model, opt, x, y } = setup('cpu');
    const pending: Promise<number | boolean>[] = [];
    let warm = 0, high = 0;
    for (let i = 0; i < 400; i++) {
      const loss = F.crossEntropy(model.forward(x), y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      if (i % 2 === 0) pending.push(loss.item()); // PyTorch habit: a logged loss.item(), never awaited here
      void loss.tolist(); void loss.format();
      if (i === 50) warm = torch.memory('cpu').tensors;
      if (i > 50) high = Math.max(high, torch.memory('cpu').tensors);
    }
    // Holding every logged loss (and its graph's tensors) would add 350+ live tensors over warm.
    expect(high - warm).toBeLessThan(100);
    return Promise.all(pending).then((v) => { expect(v.every((l) => typeof l === 'number' && Number.isFinite(l))).toBe(true); });
  });
});

describe('large top-level ops without tidy (the default, adaptive reclaim floor)', () => {
  it('cpu: 400 dropped 1.6 MB results stay bounded by the widest floor (16 x 8 MiB) past what survived', () => {
    const x = torch.randn([400, 1000]), y = torch.rand([400, 1000]).add(1);
    const base = torch.memory('cpu').allocatedBytes;
    let high = 0;
    for (let i = 0; i < 400; i++) {
      x.div(y); // dropped: only the collector frees it
      high = Math.max(high, torch.memory('cpu').allocatedBytes);
    }
    // 400 results are 640 MB: without reclaiming the loop would hold them all. Each reclaim's forced
    // GC may widen the floor (when GCs dominate the loop's time) up to 128 MiB, never further.
    expect(high - base).toBeLessThan(17 * 8 * 2 ** 20); // plus up to 8 MiB of results the last reclaim found still referenced
  });
});

describe('released tensors and the census', () => {
  it('a module-forward temporary kept in a global reads as an error naming it, not stale values', () => {
    const leaked: Tensor[] = [];
    class Leaky extends nn.Module {
      lin = new nn.Linear(3, 4);
      forward(x: Tensor): Tensor {
        const h = F.relu(this.lin.call(x));
        leaked.push(h.mul(2)); // not returned, not stored on the module
        return h.sum(1);
      }
    }
    const m = new Leaky();
    m.call(torch.randn(2, 3));
    expect(leaked[0]!.isDisposed).toBe(true);
    expect(() => leaked[0]!.dataSync()).toThrow(/use of a released tensor: shape \[2, 4\], dtype float32, device cpu, made by Tensor\.mul.*temporary of Leaky\.forward/);
  });

  it('tensors a forward stores on the module (or returns inside objects) stay alive', async () => {
    class Caching extends nn.Module {
      lin = new nn.Linear(3, 4);
      last: Tensor | null = null;
      forward(x: Tensor): { y: Tensor; extra: Tensor[] } {
        const h = this.lin.call(x);
        this.last = h.relu();
        return { y: h.sum(), extra: [h.tanh()] };
      }
    }
    const m = new Caching();
    const r = m.call(torch.ones(2, 3));
    expect(m.last!.isDisposed).toBe(false);
    await m.last!.data();
    expect(r.extra[0]!.shape).toEqual([2, 4]);
    await r.extra[0]!.data();
    r.y.backward();
    expect(m.lin.weight.grad!.shape).toEqual([4, 3]);
  });

  it('backward after a forward whose temporaries were freed still works (the graph kept what it saved)', async () => {
    const m = new MLP();
    const x = torch.randn(4, 12);
    const out = m.call(x); // LayerNorm/GELU internals are temporaries saved by the graph
    out.pow(2).sum().backward();
    const g = await m.fc1.weight.grad!.data();
    expect(g.some((v) => v !== 0)).toBe(true);
    expect(() => out.pow(2).sum().backward()).toThrow(/backward through the graph a second time/);
  });

  it('torch.memoryCensus() names the user line that created live tensors', () => {
    torch.setMemoryDebug(true);
    try {
      const keepers = [1, 2].map(() => torch.zeros(1000)); // one line: one site
      const census = torch.memoryCensus();
      const mine = census.find((c) => c.site.includes('memory-no-tidy.test.ts'));
      expect(mine, JSON.stringify(census.slice(0, 3))).toBeDefined();
      expect(mine!.tensors).toBeGreaterThanOrEqual(2);
      expect(mine!.bytes).toBeGreaterThanOrEqual(8000);
      torch.dispose(keepers);
      expect(torch.memoryCensus().find((c) => c.site === mine!.site)?.bytes ?? 0).toBe(mine!.bytes - 8000);
    } finally {
      torch.setMemoryDebug(false);
    }
  });
});
