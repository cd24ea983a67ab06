// Regressions found by running the op fixtures and the PyTorch training runs under torch.compile
// (test/helpers.ts `[compiled]` cases, test/nn/training_pytorch.test.ts). Each test is the minimal
// repro of one bug found that way (on the CPU unless named).
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

await torch.init(); // WebGPU (Dawn + SwiftShader here) when available

const arr = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number>, Number);

describe('torch.compile regressions', () => {
  it('CSE keeps fills of +inf, -inf and NaN apart (JSON.stringify writes all three as null)', () => {
    // nanToNum compares with +inf then -inf: the two fills were merged, so -inf was never replaced.
    const f = (x: Tensor) => x.nanToNum();
    const x = torch.tensor([1, NaN, Infinity, -Infinity]);
    expect(arr(torch.compile(f)(x))).toEqual(arr(f(x)));
    const g = (x: Tensor) => torch.stack([x.eq(Infinity), x.eq(-Infinity), x.add(NaN).isnan()]);
    expect(arr(torch.compile(g)(x))).toEqual(arr(g(x)));
  });

  it('in place: an operand also read through another view (x + x.mT) is not written over', () => {
    // Found by linalg.qr's backward (copyltu): the add wrote its output over `low` while reading
    // `low.mT`, so later elements read already-summed values.
    const f = (a: Tensor, b: Tensor) => {
      const M = a.matmul(b), low = M.tril(-1);
      return low.add(low.mT).add(M.diagonal(0, -2, -1).unsqueeze(-1).mul(torch.eye(3)));
    };
    const a = torch.randn(3, 3), b = torch.randn(3, 3);
    expect(arr(torch.compile(f)(a, b))).toEqual(arr(f(a, b)));
  });

  it('CSE keeps fill(0) and fill(-0) apart', () => {
    const f = (x: Tensor) => torch.stack([x.mul(0), x.mul(-0)]).reciprocal();
    const x = torch.tensor([1, 2], { dtype: 'float32' });
    expect(arr(torch.compile(f)(x))).toEqual([Infinity, Infinity, -Infinity, -Infinity]);
  });

  it('lazy mode: a tensor materialised by a flush and released before the next flush stays alive until that flush has run', () => {
    // After a graph break, ops are recorded and run at the next host read or at the end of the
    // call. `a` is computed at the read, then disposed while the recorded `a.mul(2)` still reads
    // it (F.crossEntropy on the CPU did this: gather's host read, then its temporaries freed at
    // scope exit): its buffer was freed before the final flush ran.
    const f = (x: Tensor) => {
      const a = x.add(1);
      void a.sum().itemSync(); // graph break: runs what was recorded, `a` gets a real buffer
      const b = a.mul(2);
      a.dispose();
      const c = torch.ones([64]).mul(7); // may be handed a's freed buffer
      return b.add(c.sum().mul(0));
    };
    const x = torch.arange(0, 64).float();
    const cf = torch.compile(f);
    expect(arr(cf(x))).toEqual(arr(f(x)));
    expect(cf.compileInfo.graphBreaks.length).toBe(1);
    expect(arr(cf(x))).toEqual(arr(f(x)));
  });

  it('lazy mode: F.crossEntropy on the CPU (gather reads the index minimum) gives the eager loss and gradient', () => {
    torch.manualSeed(0);
    const x = torch.randn([5, 4]).requiresGrad_(true), t = torch.tensor([0, 1, 2, 3, 1], { dtype: 'int32' });
    const f = (x: Tensor, t: Tensor) => torch.nn.functional.crossEntropy(x, t);
    const want = f(x, t);
    want.backward();
    const gWant = arr(x.grad!);
    x.grad = null;
    const got = torch.compile(f)(x, t);
    expect(got.itemSync()).toBeCloseTo(want.itemSync() as number, 6);
    got.backward();
    arr(x.grad!).forEach((v, i) => expect(v).toBeCloseTo(gWant[i]!, 6));
  });

  it('lazy mode: a returned tensor no kernel wrote (zero-size) gets a real buffer', () => {
    // nonzero() of all zeros: a [0, 1] result, allocated but never written, stayed virtual and its
    // later read failed with "a read of a value that was never computed".
    const f = (x: Tensor) => x.nonzero();
    const cf = torch.compile(f);
    const out = cf(torch.zeros([4]));
    expect(out.shape).toEqual([0, 1]);
    expect(arr(out)).toEqual([]);
    const g = (x: Tensor) => { void x.sum().itemSync(); return torch.empty([0, 3]); };
    expect(torch.compile(g)(torch.ones([2])).shape).toEqual([0, 3]);
    expect(arr(torch.compile(g)(torch.ones([2])))).toEqual([]);
  });

  it('a function returning its (requires-grad) argument returns that tensor, so backward reaches it', () => {
    // x.squeeze() of a tensor with no size-1 dim returns x itself. Compiled, the output was a new
    // Tensor on x's storage with no grad_fn and requiresGrad false: backward threw "element 0 of
    // tensors does not require grad". Open bug in src/compile/compile.ts (see the report).
    const f = (x: Tensor) => x.squeeze();
    const x = torch.tensor([1, 2, 3], { dtype: 'float32' }).requiresGrad_(true);
    const out = torch.compile(f)(x);
    expect(out.requiresGrad).toBe(true);
    out.mul(torch.tensor([4, 5, 6], { dtype: 'float32' })).sum().backward();
    expect(arr(x.grad!)).toEqual([4, 5, 6]);
  });

  it.runIf(torch.webgpu.isAvailable())('webgpu: a fused kernel computing an output in place of a poisoned input still poisons the outputs that depend on it', async () => {
    // The compiled nllLoss: fused(w = keep.float(), loss = picked.mul(w).neg()) with `w` planned in
    // place over `picked` (its gather output, poisoned by the failed index check). The WebGPU
    // backend's per-output poison propagation (propagateEach) updated output 0's buffer before
    // reading output 1's inputs from it, so the out-of-range target was never reported. Open bug
    // in src/backends/webgpu/index.ts (see the report).
    const prev = torch.getDefaultDevice();
    torch.setDefaultDevice('webgpu');
    try {
      const f = (x: Tensor, t: Tensor) => { const k = t.ne(-100); const s = torch.where(k, t, 0); const p = x.gather(1, s.unsqueeze(1)).squeeze(1); const w = k.float(); return p.mul(w).neg().sum().div(w.sum()); };
      const x = torch.randn([3, 4]), t = torch.tensor([0, 4, 1], { dtype: 'int32' });
      await expect(f(x, t).data()).rejects.toThrow(/out of bounds/);
      await expect(torch.compile(f)(x, t).data()).rejects.toThrow(/out of bounds/);
    } finally { torch.setDefaultDevice(prev); }
  });

  it('lazy mode: a call that throws after a flush lets go of the storages its pending nodes held', () => {
    let kept: Tensor | null = null;
    const f = (x: Tensor) => {
      const a = x.add(1);
      kept = a;
      void a.sum().itemSync(); // flush: `a` is real now, and the next op holds it until the next flush
      a.mul(2);
      throw new Error('boom');
    };
    const cf = torch.compile(f);
    const x = torch.ones([1 << 16]); // 256 KiB: `a` is as large, the scalars left to the collector are not
    const before = torch.memory('cpu').allocatedBytes;
    expect(() => cf(x)).toThrow('boom');
    kept!.dispose();
    expect(torch.memory('cpu').allocatedBytes - before).toBeLessThan(x.numel() * 4);
  });

  it('an async function awaiting item() runs (as eager, a graph break) and leaves no unhandled rejection behind', async () => {
    const rejections: unknown[] = [];
    const onRejection = (e: unknown) => { rejections.push(e); };
    process.on('unhandledRejection', onRejection);
    try {
      const h = torch.compile(async (t: Tensor) => { const m = await t.max().item(); return t.div(m as number); });
      const r = await h(torch.arange(4, { dtype: 'float32' }).add(1));
      expect(await r.tolist()).toEqual([0.25, 0.5, 0.75, 1]);
      await new Promise((res) => setTimeout(res, 20)); // let a dropped promise's rejection surface
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
  it('guards tell numeric arguments Infinity, -Infinity and NaN apart', () => {
    // Open bug in src/compile/compile.ts: skeletonKey is JSON.stringify, which writes all three
    // as null, so the entry traced for +Infinity is replayed for -Infinity and NaN.
    const f = (x: Tensor, v: number) => x.add(v);
    const cf = torch.compile(f);
    const x = torch.tensor([1, 2], { dtype: 'float32' });
    expect(arr(cf(x, Infinity))).toEqual([Infinity, Infinity]);
    expect(arr(cf(x, -Infinity))).toEqual([-Infinity, -Infinity]);
    expect(arr(cf(x, NaN))).toEqual([NaN, NaN]);
  });

  it('lazy segments with constants Infinity and -Infinity are different segments', () => {
    // Open bug in src/compile/compile.ts: LazyCapture.flush keys segments with JSON.stringify of
    // the non-buffer arguments, so the program recorded with fill(+inf) is reused for fill(-inf).
    const g = (x: Tensor) => { const s = x.sum().itemSync() as number; return x.eq(s > 0 ? Infinity : -Infinity); };
    const cg = torch.compile(g);
    const a = torch.tensor([Infinity, 1], { dtype: 'float32' }), b = torch.tensor([-Infinity, 1], { dtype: 'float32' });
    expect(arr(cg(a))).toEqual(arr(g(a)));
    expect(arr(cg(b))).toEqual(arr(g(b)));
  });

  it('an argument bound as a packed copy (a view into a larger buffer) that backward reads stays alive until backward', () => {
    // Open bug in src/compile/compile.ts (18bbad9): runGraph disposes the packed copies of view
    // arguments right after the forward program, before CompiledBackward retains their storages,
    // so the backward program reads a freed buffer ("use of a tensor whose storage was disposed";
    // the op suite's prod/empty-dim [compiled] hits it with a [2, 0] input).
    const base = torch.arange(0, 12).float().reshape([4, 3]).requiresGrad_(true);
    const f = (x: Tensor) => x.mul(x).sum();
    torch.compile(f)(base.narrow(0, 1, 2)).backward();
    expect(arr(base.grad!)).toEqual([0, 0, 0, 6, 8, 10, 12, 14, 16, 0, 0, 0]);
    const x = torch.zeros([2, 0]).requiresGrad_(true);
    torch.compile((t: Tensor) => t.prod(1))(x).sum().backward();
    expect(x.grad!.shape).toEqual([2, 0]);
  });

  it('a view returned of an argument bound as a packed copy stays readable', () => {
    // Open bug in src/compile/compile.ts (18bbad9): the output is a view of the packed copy,
    // which runGraph disposes after the forward program: reading it throws.
    const base = torch.arange(0, 12).float().reshape([4, 3]);
    const f = (x: Tensor) => x.t();
    const out = torch.compile(f)(base.narrow(0, 1, 2));
    expect(out.shape).toEqual([3, 2]);
    expect(arr(out)).toEqual(arr(f(base.narrow(0, 1, 2))));
  });
});

describe('torch.compile: views of arguments', () => {
  it('a returned view of an argument that is itself a view aliases the caller\'s tensor', () => {
    const base = torch.arange(0, 12).float().reshape([3, 4]);
    const f = (x: Tensor) => x.t();
    const cf = torch.compile(f);
    const out = cf(base.narrow(0, 1, 2));
    out.fill_(7); // writes through the view reach base, as in eager
    expect(arr(base)).toEqual([0, 1, 2, 3, 7, 7, 7, 7, 7, 7, 7, 7]);
  });
});

describe('torch.compile constants saved for backward', () => {
  it('a scalar the backward reads is made once by each program, not filled by every forward run', () => {
    // mul(3) saves its scalar operand for backward. It used to be an output of the forward program
    // (fresh each run, so filled each run); now the backward makes its own and both hoist it.
    const f = (x: Tensor, w: Tensor) => x.mul(w).mul(3).tanh().sum();
    const cf = torch.compile(f);
    for (let run = 0; run < 3; run++) {
      const x = torch.randn(4, 5), w = torch.randn(4, 5);
      const xs = [x.clone().requiresGrad_(), x.clone().requiresGrad_()];
      const ys = [cf(xs[0]!, w), f(xs[1]!, w)];
      ys.forEach((y) => y.backward());
      expect(arr(ys[0]!)[0]).toBeCloseTo(arr(ys[1]!)[0]!, 5);
      arr(xs[0]!.grad!).forEach((g, i) => expect(g).toBeCloseTo(arr(xs[1]!.grad!)[i]!, 5));
    }
    expect(cf.compileInfo.forward!.hoistedConstants).toBeGreaterThanOrEqual(1);
    expect(cf.compileInfo.backward!.hoistedConstants).toBeGreaterThanOrEqual(1);
  });
});
