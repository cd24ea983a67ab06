// torch.compile's guards, recompiles, automatic dynamic dims, graph breaks, fullgraph, logs, the
// recompile limit, module compilation and higher-order gradients — each checked against eager runs.
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

const vals = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number>);
const f1 = (x: Tensor) => x.mul(2).add(x.sin()).relu();

afterEach(() => { torch.compiler.setLogs({}); vi.restoreAllMocks(); });

describe('guards and recompiles', () => {
  it('recompiles on a dtype change and logs the failed guard', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    torch.compiler.setLogs({ recompiles: true });
    const cf = torch.compile(f1);
    const x = torch.randn([4, 5]);
    expect(vals(cf(x))).toEqual(vals(f1(x)));
    const xd = x.double();
    expect(vals(cf(xd))).toEqual(vals(f1(xd)));
    expect(cf.compileInfo.compiles).toBe(2);
    expect(cf.compileInfo.recompileReasons[0]).toBe("tensor 'args[0]' dtype mismatch. expected float32, actual float64");
    expect(warn.mock.calls.flat().join('\n')).toMatch(/Recompiling function f1[\s\S]*dtype mismatch/);
    // Both entries stay cached: going back compiles nothing.
    cf(x); cf(xd);
    expect(cf.compileInfo.compiles).toBe(2);
  });

  it('a second size of a dim makes it dynamic: later sizes reuse the entry', () => {
    const cf = torch.compile(f1);
    for (const n of [3, 5, 7, 9]) {
      const x = torch.randn([n, 4]);
      expect(vals(cf(x))).toEqual(vals(f1(x)));
    }
    expect(cf.compileInfo.compiles).toBe(2);
    expect(cf.compileInfo.recompileReasons).toEqual(["tensor 'args[0]' size mismatch at index 0. expected 3, actual 5"]);
  });

  it('dynamic: false recompiles per size and falls back to eager after 8 with a warning', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const cf = torch.compile(f1, { dynamic: false });
    for (let n = 1; n <= 10; n++) {
      const x = torch.randn([n]);
      expect(vals(cf(x))).toEqual(vals(f1(x)));
    }
    expect(cf.compileInfo.compiles).toBe(8);
    expect(cf.compileInfo.eagerFallback).toBe(true);
    expect(warn.mock.calls.flat().join('\n')).toMatch(/hit the recompile limit \(8\)/);
  });

  it('dynamic: true compiles once for every shape', () => {
    const cf = torch.compile(f1, { dynamic: true });
    for (const s of [[2, 3], [4, 1], [5, 6]]) { const x = torch.randn(s); expect(vals(cf(x))).toEqual(vals(f1(x))); }
    expect(cf.compileInfo.compiles).toBe(1);
  });

  it('guards on requiresGrad and on grad mode', () => {
    const cf = torch.compile(f1);
    const x = torch.randn([3]);
    cf(x);
    cf(x.clone().requiresGrad_());
    torch.noGrad(() => cf(x.clone().requiresGrad_()));
    expect(cf.compileInfo.recompileReasons).toEqual([
      "tensor 'args[0]' requires_grad mismatch. expected requires_grad=false",
      'grad mode changed (expected enabled)', // the newest entry's failure
    ]);
  });

  it('non-tensor arguments are guarded by value', () => {
    const g = (x: Tensor, k: number) => x.mul(k);
    const cg = torch.compile(g);
    const x = torch.ones([2]);
    expect(vals(cg(x, 2))).toEqual([2, 2]);
    expect(vals(cg(x, 3))).toEqual([3, 3]);
    expect(cg.compileInfo.compiles).toBe(2);
  });

  it('a tensor captured from a closure is read live; freeing it recompiles', () => {
    let w = torch.tensor([1, 2, 3]);
    const cf = torch.compile((x: Tensor) => x.mul(w));
    const x = torch.ones([3]);
    expect(vals(cf(x))).toEqual([1, 2, 3]);
    w.mul_(2); // in place: the compiled graph sees it
    expect(vals(cf(x))).toEqual([2, 4, 6]);
    w.dispose();
    w = torch.tensor([5, 5, 5]);
    expect(vals(cf(x))).toEqual([5, 5, 5]);
    expect(cf.compileInfo.recompileReasons).toEqual(['a tensor the function captured was freed']);
  });
});

describe('graph breaks', () => {
  const withRead = (x: Tensor) => {
    const y = x.exp().sum();
    const s = Number(y.itemSync()); // a host read: graph break
    return x.mul(s > 10 ? 2 : -1).add(1);
  };

  it('a host read runs eagerly between compiled segments, logged with its location', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    torch.compiler.setLogs({ graphBreaks: true });
    const cf = torch.compile(withRead);
    for (const scale of [1, 0.01, 1]) {
      const x = torch.randn([8, 4]).mul(scale);
      expect(vals(cf(x))).toEqual(vals(withRead(x)));
    }
    expect(cf.compileInfo.compiles).toBe(1);
    expect(cf.compileInfo.graphBreaks).toHaveLength(1);
    expect(cf.compileInfo.graphBreaks[0]!.reason).toMatch(/host read of a float32\[\] tensor/);
    expect(cf.compileInfo.graphBreaks[0]!.where).toMatch(/guards\.test\.ts/);
    expect(warn.mock.calls.flat().join('\n')).toMatch(/Graph break in withRead: a host read[\s\S]*guards\.test\.ts/);
  });

  it('fullgraph: true turns a break into an error naming it', () => {
    const cf = torch.compile(withRead, { fullgraph: true });
    expect(() => cf(torch.randn([2]))).toThrow(/fullgraph=true\): withRead has a graph break: a host read of a float32\[\] tensor .*guards\.test\.ts/);
  });

  it('data-dependent shapes (nonzero) break the graph and stay correct', () => {
    const f = (x: Tensor) => torch.nonzero(x.gt(0)).add(1);
    const cf = torch.compile(f);
    const x = torch.tensor([1, -1, 2, 0, 3]);
    expect(vals(cf(x))).toEqual(vals(f(x)));
    expect(cf.compileInfo.graphBreaks.length).toBe(1);
  });

  it('gradients flow through a function with a graph break', () => {
    const x1 = torch.randn([5]).requiresGrad_(), x2 = x1.detach().clone().requiresGrad_();
    withRead(x1).sum().backward();
    torch.compile(withRead)(x2).sum().backward();
    expect(vals(x2.grad!)).toEqual(vals(x1.grad!));
  });
});

describe('modules', () => {
  const net = () => {
    torch.manualSeed(3);
    return new torch.nn.Sequential(new torch.nn.Linear(6, 8), new torch.nn.BatchNorm1d(8), new torch.nn.ReLU(), new torch.nn.Dropout(0.3), new torch.nn.Linear(8, 2));
  };

  it('compiled training (BatchNorm stats, dropout) and eval equal eager, eval() recompiles', () => {
    const a = net(), b = net();
    const cb = torch.compile(b);
    const x = torch.randn([16, 6]);
    for (let i = 0; i < 3; i++) {
      torch.manualSeed(10 + i); const ya = a.call(x);
      torch.manualSeed(10 + i); const yb = cb.call(x) as Tensor;
      expect(vals(yb)).toEqual(vals(ya));
    }
    const bnA = a[1] as torch.nn.BatchNorm1d, bnB = b[1] as torch.nn.BatchNorm1d;
    expect(vals(bnB.runningMean!)).toEqual(vals(bnA.runningMean!));
    expect(vals(bnB.numBatchesTracked!)).toEqual(vals(bnA.numBatchesTracked!));
    a.eval(); b.eval();
    expect(vals(cb.call(x) as Tensor)).toEqual(vals(a.call(x)));
    expect(cb.forward.compileInfo.recompileReasons).toEqual(['module training flag changed (training=false)']);
    // Logs name the module's forward, as PyTorch's do, not the internal wrapper.
    expect(cb.forward.name).toBe('Sequential.forward');
  });

  it('an OptimizedModule shares parameters; its state_dict has the _orig_mod. prefix', () => {
    const m = net();
    const cm = torch.compile(m);
    expect(cm.parameters()).toEqual(m.parameters());
    expect(Object.keys(cm.stateDict())[0]).toBe('_orig_mod.0.weight');
    expect(cm.origMod).toBe(m);
  });

  it("the original's fields and methods read through the OptimizedModule (PyTorch's __getattr__), without new children", () => {
    class Net extends torch.nn.Module {
      fc = new torch.nn.Linear(3, 2);
      last: Tensor | null = null;
      calls = 0;
      forward(x: Tensor): Tensor { const y = this.fc.forward(x); this.calls++; return y; }
      scaled(x: Tensor, k: number): Tensor { return this.forward(x).mul(k); } // a method of the user's
    }
    const m = new Net(), cm = torch.compile(m);
    const x = torch.randn([4, 3]);
    expect(cm.fc).toBe(m.fc);
    expect(cm.last).toBeNull();
    m.last = x;
    expect(cm.last).toBe(x);
    cm.last = null; // writes reach the original too
    expect(m.last).toBeNull();
    expect(vals(cm.scaled(x, 2))).toEqual(vals(m.fc.forward(x).mul(2)));
    cm.call(x);
    expect(cm.calls).toBe(m.calls);
    expect(cm.parameters()).toEqual(m.parameters());
    expect(Object.keys(cm.stateDict())).toEqual(['_orig_mod.fc.weight', '_orig_mod.fc.bias']);
    expect([...cm.children()]).toEqual([m]);
  });

  it('module.compile() compiles in place; hooks still run; .to() recompiles', () => {
    const m = net().eval();
    const x = torch.randn([4, 6]);
    const want = vals(m.call(x));
    let calls = 0;
    m.registerForwardHook(() => { calls++; });
    m.compile();
    expect(vals(m.call(x))).toEqual(want);
    expect(vals(m.forward(x))).toEqual(want);
    expect(calls).toBe(2);
    m.to('float64');
    expect(vals(m.call(x.double()))).toEqual(vals(net().eval().to('float64').call(x.double())));
  });
});

describe('compiled backward', () => {
  it('gradients of a compiled function equal eager and run the compiled backward program', () => {
    const f = (x: Tensor, w: Tensor) => x.matmul(w).tanh().mul(x.sum(1, true)).sum();
    const cf = torch.compile(f);
    const x = torch.randn([5, 3]), w = torch.randn([3, 4]);
    const [xa, wa] = [x.clone().requiresGrad_(), w.clone().requiresGrad_()];
    const [xb, wb] = [x.clone().requiresGrad_(), w.clone().requiresGrad_()];
    f(xa, wa).backward();
    const loss = cf(xb, wb);
    expect(loss.gradFn!.name).toBe('CompiledFunctionBackward');
    loss.backward();
    const close = (a: Tensor, b: Tensor) => vals(a).forEach((v, i) => expect(v).toBeCloseTo(vals(b)[i]!, 5));
    close(xb.grad!, xa.grad!);
    close(wb.grad!, wa.grad!);
    expect(cf.compileInfo.backward!.kernels).toBeGreaterThan(0);
  });

  it('higher-order gradients through a compiled function fall back to eager correctly', () => {
    const f = (x: Tensor) => x.pow(3).sum();
    const cf = torch.compile(f);
    const x = torch.tensor([1, 2, -3], { dtype: 'float32' }).requiresGrad_();
    const [g] = torch.autograd.grad(cf(x), x, { createGraph: true });
    expect(vals(g!)).toEqual([3, 12, 27]);
    const [gg] = torch.autograd.grad(g!.sum(), x);
    expect(vals(gg!)).toEqual([6, 12, -18]);
  });
});

describe('object arguments', () => {
  it('a module passed as an argument is guarded by identity', () => {
    const step = torch.compile((m: torch.nn.Linear, x: Tensor) => m.forward(x));
    const a = new torch.nn.Linear(3, 2), b = new torch.nn.Linear(3, 2);
    const x = torch.randn([4, 3]);
    expect(vals(step(a, x))).toEqual(vals(a.forward(x)));
    expect(vals(step(b, x))).toEqual(vals(b.forward(x)));
    expect(step.compileInfo.recompileReasons).toEqual(['an object or function argument is another one']);
  });
});
