// Data errors stay with their tensors: a kernel that flags a bad index poisons its output, so reading
// it, or anything computed from it (gradients included), throws the op's error with the offending
// value (its sign kept) and the user's call site, while unrelated tensors read normally. An
// optimizer step on gradients known to be poisoned throws before updating. On the CPU the same
// message is raised at the op itself.
import { describe, expect, it } from 'vitest';
import { testDevices, torch } from '../helpers.js';
import { checkRange } from '../../src/ops/indexing.js';
import { Check, join, settle, type Taint } from '../../src/backends/poison.js';
import { getBackend } from '../../src/backends/registry.js';
import type { GPUTensorBuffer, WebGPUBackend } from '../../src/backends/webgpu/index.js';

const gpu = torch.webgpu.isAvailable();
const w = { device: 'webgpu' as const };
const i32 = (v: number[], device: torch.Device = 'webgpu') => torch.tensor(v, { dtype: 'int32', device });
/** The call-site part of a poison error: the op's name and this file's line. */
const site = (op: string) => new RegExp(`flagged on webgpu by ${op} called at \\S*poison\\.test\\.ts:\\d+:\\d+`);

describe('an out-of-range index raises the same message on every device', () => {
  for (const device of testDevices()) {
    it(`${device}: gather with index -5 on a dim of size 3`, async () => {
      const x = torch.tensor([10, 20, 30], { device });
      const msg = /gather\(\): index -5 is out of bounds for dimension 0 with size 3/;
      if (device === 'cpu') { expect(() => torch.gather(x, 0, i32([0, -5], device))).toThrow(msg); return; }
      const bad = torch.gather(x, 0, i32([0, -5], device));
      await expect(bad.data()).rejects.toThrow(msg);
    });
  }
});

describe('poison bookkeeping (no device needed)', () => {
  it('a taint is a flat set: a long run joining the same check keeps one entry, and compacts once it resolves', () => {
    const pending = new Check('index $V is out of bounds'), bad = new Check('Target $V is out of bounds.');
    let t: Taint | null = null;
    for (let k = 0; k < 20_000; k++) t = join([t, join([], pending)], null); // as a parameter, once per step
    expect(t!.size).toBe(1);
    expect(t!.isLive()).toBe(true);
    expect(t!.knownBad()).toBeNull();
    settle([pending], new Int32Array([0, 0]));
    expect(t!.isLive()).toBe(false);
    expect(join([t, null], null)).toBeNull(); // dead taints are not passed on
    const later = [new Check('a'), new Check('b')];
    const u = join([t, join([], bad), join([], later[0]!)], later[1]!)!;
    expect(u.size).toBe(3);
    settle([bad], new Int32Array([1, -3]));
    expect(u.knownBad()!.error().message).toMatch(/^Target -3 is out of bounds\. \(flagged on webgpu/);
    expect(u.size).toBe(1); // checks after the earliest flagged one cannot change the verdict: dropped
  });

  it('a check never sent for reading back is an error, not a pass', async () => {
    const t = join([], new Check('x $V'))!;
    await expect(t.verdict()).rejects.toThrow(/never submitted/);
  });
});

describe.skipIf(!gpu)('webgpu poison', () => {
  it('the flagged output and what is computed from it throw; an unrelated tensor reads normally', async () => {
    const x = torch.tensor([10, 20, 30], w);
    const bad = torch.gather(x, 0, i32([0, -5]));
    const derived = bad.mul(2).sum();
    const unrelated = x.add(1);
    expect(Array.from(await unrelated.data())).toEqual([11, 21, 31]);
    await expect(bad.data()).rejects.toThrow(site('gather'));
    await expect(derived.item()).rejects.toThrow(/index -5 is out of bounds for dimension 0 with size 3/);
    await expect(torch.cat([x, bad]).tolist()).rejects.toThrow(/index -5/);
    // It stays poisoned (every read throws); the input is untouched.
    await expect(bad.data()).rejects.toThrow(/index -5/);
    expect(Array.from(await x.data())).toEqual([10, 20, 30]);
    // Overwriting all of it with clean values clears the poison.
    bad.copy_(torch.tensor([1, 2], w));
    expect(Array.from(await bad.data())).toEqual([1, 2]);
  });

  it('a range check keeps the checked tensor readable and poisons what is computed from it, sign kept', async () => {
    const t = i32([1, -3, 2]);
    checkRange(t, 0, 9, 'Target $V is out of bounds.');
    const used = t.add(0);
    expect(Array.from(await t.data())).toEqual([1, -3, 2]);
    await expect(used.data()).rejects.toThrow(/^Target -3 is out of bounds\. \(flagged on webgpu by /);
    await expect(used.data()).rejects.toThrow(site('checkRange'));
  });

  it('indexSelect and embedding name the value and the calling op', async () => {
    const x = torch.arange(10, w).to('float32');
    const sel = x.indexSelect(0, i32([2, -11]));
    await expect(sel.data()).rejects.toThrow(/index -11 is out of bounds for dimension 0 with size 10/);
    await expect(sel.data()).rejects.toThrow(site('Tensor.indexSelect'));
    const emb = new torch.nn.Embedding(10, 3).to('webgpu');
    await expect(emb.forward(i32([1, 12])).data()).rejects.toThrow(/embedding: index out of range in self \(index 12, num_embeddings 10\)/);
  });

  it('crossEntropy with a target of -3 reports -3 and the crossEntropy call; the logits stay readable', async () => {
    const logits = torch.zeros([2, 10], { device: 'webgpu', requiresGrad: true });
    const loss = torch.nn.functional.crossEntropy(logits, i32([1, -3]));
    loss.backward();
    await expect(loss.item()).rejects.toThrow(/(Target -3 is out of bounds\.|index -3 is out of bounds for dimension 1 with size 10) \(flagged on webgpu by crossEntropy called at \S*poison\.test\.ts:/);
    await expect(logits.grad!.data()).rejects.toThrow(/-3 is out of bounds/);
    expect((await logits.sum().item())).toBe(0);
  });

  it('integer division by zero poisons only its output', async () => {
    const a = i32([4, 5]);
    const q = torch.floorDivide(a, i32([2, 0]));
    const ok = torch.floorDivide(a, 2);
    expect(Array.from(await ok.data())).toEqual([2, 2]);
    await expect(q.data()).rejects.toThrow(/ZeroDivisionError.*flagged on webgpu by floorDivide called at/);
  });

  it('gradients inherit the poison; step() on gradients known to be poisoned throws and updates nothing', async () => {
    torch.manualSeed(0);
    const emb = new torch.nn.Embedding(4, 2).to('webgpu');
    const opt = new torch.optim.SGD(emb.parameters(), { lr: 1 });
    const before = Array.from(await emb.weight.data());
    const loss = torch.nn.functional.crossEntropy(emb.forward(i32([0, 7])), i32([1, 0]));
    loss.backward();
    await expect(loss.item()).rejects.toThrow(/embedding: index out of range in self \(index 7, num_embeddings 4\)/);
    await expect(emb.weight.grad!.data()).rejects.toThrow(/index out of range in self \(index 7/);
    expect(() => opt.step()).toThrow(/^SGD\.step: a tensor of shape \[4, 2\] it would use comes from a failed device check: embedding: index out of range in self \(index 7, num_embeddings 4\) \(flagged on webgpu by Embedding\.forward called at \S*poison\.test\.ts:/);
    expect(Array.from(await emb.weight.data())).toEqual(before);
    // Clean gradients step normally again.
    opt.zeroGrad();
    torch.nn.functional.crossEntropy(emb.forward(i32([0, 3])), i32([1, 0])).backward();
    opt.step();
    expect(Array.from(await emb.weight.data())).not.toEqual(before);
  });

  it('a step on gradients whose check is still pending poisons the parameters: their next read throws', async () => {
    const emb = new torch.nn.Embedding(4, 2).to('webgpu');
    const opt = new torch.optim.SGD(emb.parameters(), { lr: 1 });
    emb.forward(i32([-9])).sum().backward();
    opt.step(); // the flag is not back yet
    await expect(emb.weight.data()).rejects.toThrow(/embedding: index out of range in self \(index -9, num_embeddings 4\)/);
    await expect(emb.forward(i32([0])).sum().item()).rejects.toThrow(/index -9/);
  });
});

describe.skipIf(!gpu)('webgpu poison in a loop that never awaits', () => {
  // Flag readbacks resolve only when the event loop runs: a synchronous loop must not pile up
  // checks, readbacks or taint entries (each would make every later step slower).
  const F = torch.nn.functional;
  const taintSize = (t: torch.Tensor) => (t.storage.buf as GPUTensorBuffer).taint?.size ?? 0;
  /** `steps` training steps with no await; `target(i)` is the step's target. Returns bookkeeping at the middle and the end. */
  function train(steps: number, target: (i: number) => torch.Tensor, device: torch.Device = 'webgpu') {
    torch.manualSeed(0);
    const b = getBackend('webgpu') as WebGPUBackend;
    const model = new torch.nn.Linear(6, 4).to(device);
    const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1 });
    const x = torch.randn([8, 6]).to(device);
    const seen: { work: WebGPUBackend['pendingWork']; taint: number }[] = [];
    let loss: torch.Tensor | null = null;
    for (let i = 0; i < steps; i++) {
      loss = F.crossEntropy(model.forward(x), target(i));
      opt.zeroGrad(); loss.backward(); opt.step();
      if (device === 'webgpu' && (i === steps / 2 - 1 || i === steps - 1)) seen.push({ work: b.pendingWork, taint: taintSize(model.weight) });
    }
    return { seen, loss: loss!, b, weight: model.weight };
  }
  const bounded = (seen: { work: WebGPUBackend['pendingWork']; taint: number }[]) => {
    const [mid, end] = seen;
    expect(end!.work.flagReadbacks).toBeLessThanOrEqual(8);
    expect(end!.work.unfinishedBatches).toBeLessThanOrEqual(8);
    expect(end!.work.unsentChecks).toBeLessThanOrEqual(mid!.work.unsentChecks);
    expect(end!.taint).toBeLessThanOrEqual(mid!.taint); // flat, not one more entry per step
    expect(end!.taint).toBeLessThan(64);
  };

  it('a fixed target: index checks implied by the target check are not repeated, and nothing grows', async () => {
    const y = i32([0, 1, 2, 3, 0, 1, 2, 3]);
    const { seen, loss, b, weight } = train(200, () => y);
    bounded(seen);
    // Once readbacks are held back, the loss's target check of every step shares one slot.
    expect(seen[1]!.work.unsentChecks).toBeLessThanOrEqual(2);
    expect(Number.isFinite(await loss.item())).toBe(true);
    expect(b.pendingWork.unsentChecks).toBe(0);
    // The same run on the CPU: recycled metadata chunks and temporaries changed no result.
    const yc = i32([0, 1, 2, 3, 0, 1, 2, 3], 'cpu');
    const cpu = train(200, () => yc, 'cpu');
    const [g, c] = [Array.from(await weight.data()), Array.from(await cpu.weight.data())];
    g.forEach((v, i) => expect(v).toBeCloseTo(c[i]!, 4));
  });

  it('a new target every step (a DataLoader): bounded, and a bad target late in the run still poisons what follows', async () => {
    const good = () => torch.randint(0, 4, [8]).to('int32').to('webgpu');
    const { seen, loss } = train(200, good);
    bounded(seen);
    expect(Number.isFinite(await loss.item())).toBe(true);
    const bad = train(200, (i) => (i === 150 ? i32([0, 1, -3, 3, 0, 1, 2, 3]) : good()));
    bounded(bad.seen);
    await expect(bad.loss.item()).rejects.toThrow(/Target -3 is out of bounds\. \(flagged on webgpu by crossEntropy called at \S*poison\.test\.ts:/);
  });
});
