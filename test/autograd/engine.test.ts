// Autograd engine behaviour: accumulation, retainGraph, autograd.grad options, grad mode,
// detach, hooks, retainGrad, saved-tensor release, version-counter checks and in-place rules.
// Expected values come from hand-derived math (d/dx of simple polynomials) or PyTorch's wording.
import { describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';
import type { Tensor } from '../../src/index.js';

const vals = (t: Tensor | null): number[] => Array.from(t!.dataSync());
const leaf = (v: number[] | number[][] | number, dtype: 'float32' | 'float64' = 'float64'): Tensor =>
  torch.tensor(v, { dtype, requiresGrad: true });

describe('backward', () => {
  it('accumulates into .grad across calls and zero_ resets it', () => {
    const x = leaf([1, 2, 3]);
    x.mul(x).sum().backward(); // d/dx x^2 = 2x
    expect(vals(x.grad)).toEqual([2, 4, 6]);
    x.mul(3).sum().backward();
    expect(vals(x.grad)).toEqual([5, 7, 9]);
    x.grad!.zero_();
    x.mul(3).sum().backward();
    expect(vals(x.grad)).toEqual([3, 3, 3]);
  });

  it('a second backward without retainGraph raises PyTorch\'s error; with it, gradients add up', () => {
    // backward(gradient, opts): null as gradient to give options only
    const x2 = leaf([1, 2]);
    const y2 = x2.exp().mul(x2).sum();
    y2.backward(null, { retainGraph: true });
    y2.backward(null, { retainGraph: false });
    const e = Math.E;
    const want = [2 * (e + e), 2 * (e * e * 3)];
    vals(x2.grad).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 10));
    expect(() => y2.backward()).toThrow(/Trying to backward through the graph a second time/);
  });

  it('non-scalar backward needs a gradient of the same shape', () => {
    const x = leaf([1, 2, 3]);
    const y = x.mul(2);
    expect(() => y.backward()).toThrow(/grad can be implicitly created only for scalar outputs/);
    expect(() => y.backward(torch.ones(2, { dtype: 'float64' }))).toThrow(/Mismatch in shape.*\[2\].*\[3\]/);
    y.backward(torch.tensor([1, 10, 100], { dtype: 'float64' }));
    expect(vals(x.grad)).toEqual([2, 20, 200]);
  });

  it('backward on a tensor that does not require grad raises', () => {
    expect(() => torch.ones(2).sum().backward()).toThrow(/does not require grad/);
  });

  it('broadcast gradients reduce to the input shapes', () => {
    const a = leaf([[1], [2]]); // [2,1]
    const b = leaf([10, 20, 30]); // [3]
    a.mul(b).sum().backward();
    expect(a.grad!.shape).toEqual([2, 1]);
    expect(b.grad!.shape).toEqual([3]);
    expect(vals(a.grad)).toEqual([60, 60]);
    expect(vals(b.grad)).toEqual([3, 3, 3]);
  });

  it('torch.autograd.backward runs one pass over several roots', () => {
    const x = leaf([1, 2]);
    const h = x.mul(2);
    let calls = 0;
    h.registerHook((g) => { calls++; return g; });
    torch.autograd.backward([h.sum(), h.mul(h)], [null, torch.tensor([1, 1], { dtype: 'float64' })]);
    expect(calls).toBe(1); // the hook sees the summed gradient once
    expect(vals(x.grad)).toEqual([2 + 8 * 1, 2 + 8 * 2]); // d/dx (2x + 4x^2) = 2 + 8x
    expect(() => torch.autograd.backward([x.sum(), torch.ones(1).sum()])).toThrow(/element 1 of tensors does not require grad/);
  });

  it('backward({ inputs }) only fills the given leaves', () => {
    const a = leaf([1, 2]), b = leaf([3, 4]);
    a.mul(b).sum().backward(null, { inputs: [a] });
    expect(vals(a.grad)).toEqual([3, 4]);
    expect(b.grad).toBeNull();
  });
});

describe('createGraph and higher order', () => {
  it('d2/dx2 of x^3 via backward(createGraph) then grad', () => {
    const x = leaf([2]);
    const y = x.pow(3).sum();
    y.backward(null, { createGraph: true });
    expect(x.grad!.requiresGrad).toBe(true);
    expect(vals(x.grad)).toEqual([12]); // 3x^2
    const [g2] = torch.autograd.grad(x.grad!.sum(), x);
    expect(vals(g2!)).toEqual([12]); // 6x
  });

  it('third derivative of x^4', () => {
    const x = leaf([1.5]);
    let g = x.pow(4).sum();
    for (let k = 0; k < 3; k++) g = torch.autograd.grad(g, x, { createGraph: true })[0]!.sum();
    expect(vals(g)[0]).toBeCloseTo(24 * 1.5, 10);
  });
});

describe('torch.autograd.grad', () => {
  it('handles several outputs and inputs, and does not touch .grad', () => {
    const a = leaf([1, 2]), b = leaf([3, 5]);
    const y1 = a.mul(b).sum(), y2 = a.mul(a).sum();
    const [ga, gb] = torch.autograd.grad([y1, y2], [a, b]);
    expect(vals(ga!)).toEqual([3 + 2, 5 + 4]);
    expect(vals(gb!)).toEqual([1, 2]);
    expect(a.grad).toBeNull();
    expect(b.grad).toBeNull();
    expect(ga!.requiresGrad).toBe(false);
  });

  it('gradOutputs weight a non-scalar output', () => {
    const x = leaf([1, 2, 3]);
    const [g] = torch.autograd.grad(x.mul(x), x, { gradOutputs: [torch.tensor([1, 0, 2], { dtype: 'float64' })] });
    expect(vals(g!)).toEqual([2, 0, 12]);
    expect(() => torch.autograd.grad(x.mul(x), x)).toThrow(/scalar outputs/);
  });

  it('an unused input raises unless allowUnused', () => {
    const a = leaf([1]), b = leaf([2]);
    expect(() => torch.autograd.grad(a.mul(2).sum(), [a, b])).toThrow(/appears to not have been used in the graph/);
    const [ga, gb] = torch.autograd.grad(a.mul(2).sum(), [a, b], { allowUnused: true });
    expect(vals(ga!)).toEqual([2]);
    expect(gb).toBeNull();
  });

  it('an input that does not require grad raises', () => {
    const a = leaf([1]);
    expect(() => torch.autograd.grad(a.sum(), [torch.ones(1)])).toThrow(/does not require grad/);
  });

  it('the implicit seed is 1 even where the output is infinite', () => {
    const x = leaf([1]);
    const [g] = torch.autograd.grad(x.add(Infinity).sum(), x);
    expect(vals(g!)).toEqual([1]);
  });

  it('grad w.r.t. an intermediate tensor', () => {
    const x = leaf([1, 2]);
    const h = x.mul(3);
    const [g] = torch.autograd.grad(h.mul(h).sum(), h);
    expect(vals(g!)).toEqual([6, 12]);
  });
});

describe('grad mode', () => {
  it('noGrad returns fn\'s value, records nothing, nests with enableGrad, and restores on throw', () => {
    const x = leaf([1]);
    const y = torch.noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    const z = torch.noGrad(() => torch.enableGrad(() => x.mul(2)));
    expect(z.requiresGrad).toBe(true);
    expect(torch.noGrad(() => torch.noGrad(() => torch.isGradEnabled()))).toBe(false);
    expect(torch.isGradEnabled()).toBe(true);
    expect(() => torch.noGrad(() => { throw new Error('boom'); })).toThrow('boom');
    expect(torch.isGradEnabled()).toBe(true);
    expect(() => torch.noGrad(() => torch.enableGrad(() => { throw new Error('inner'); }))).toThrow('inner');
    expect(torch.isGradEnabled()).toBe(true);
  });

  it('async functions keep the mode until they settle', async () => {
    const p = torch.noGrad(async () => { await Promise.resolve(); return torch.isGradEnabled(); });
    expect(await p).toBe(false);
    expect(torch.isGradEnabled()).toBe(true);
    await expect(torch.noGrad(async () => { throw new Error('async boom'); })).rejects.toThrow('async boom');
    expect(torch.isGradEnabled()).toBe(true);
  });

  it('setGradEnabled toggles recording', () => {
    const x = leaf([1]);
    torch.setGradEnabled(false);
    try { expect(x.mul(2).requiresGrad).toBe(false); } finally { torch.setGradEnabled(true); }
    expect(x.mul(2).requiresGrad).toBe(true);
  });
});

describe('detach, requiresGrad_', () => {
  it('detach shares storage and cuts the graph; detach_ works in place', () => {
    const x = leaf([1, 2]);
    const y = x.mul(2);
    const d = y.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.gradFn).toBeNull();
    torch.noGrad(() => d.add_(1));
    expect(vals(y)).toEqual([3, 5]); // shared storage
    const z = x.mul(3);
    z.detach_();
    expect(z.requiresGrad).toBe(false);
    expect(z.isLeaf).toBe(true);
  });

  it('requiresGrad_ on an integer tensor raises; on a non-leaf it cannot be turned off', () => {
    expect(() => torch.tensor([1, 2]).requiresGrad_()).toThrow(/only Tensors of floating point dtype can require gradients \(got int32\)/);
    expect(() => torch.tensor([1, 2], { requiresGrad: true })).toThrow(/floating point/);
    const y = leaf([1]).mul(2);
    expect(() => y.requiresGrad_(false)).toThrow(/leaf variables/);
    const x = torch.tensor([1, 2]).float().requiresGrad_();
    expect(x.requiresGrad).toBe(true);
    expect(x.isLeaf).toBe(true);
  });
});

describe('hooks and retainGrad', () => {
  it('a hook on a leaf can modify its gradient and be removed', () => {
    const x = leaf([1, 2]);
    const seen: number[][] = [];
    const h = x.registerHook((g) => { seen.push(vals(g)); return g.mul(10); });
    x.mul(x).sum().backward();
    expect(seen).toEqual([[2, 4]]);
    expect(vals(x.grad)).toEqual([20, 40]);
    h.remove();
    x.grad = null;
    x.mul(x).sum().backward();
    expect(vals(x.grad)).toEqual([2, 4]);
  });

  it('a hook on a non-leaf changes the gradient flowing further back; void return keeps it', () => {
    const x = leaf([1, 2]);
    const y = x.mul(3);
    let calls = 0;
    y.registerHook(() => { calls++; });
    y.registerHook((g) => g.neg());
    y.sum().backward();
    expect(calls).toBe(1);
    expect(vals(x.grad)).toEqual([-3, -3]);
  });

  it('registerHook on a tensor without grad raises', () => {
    expect(() => torch.ones(2).registerHook((g) => g)).toThrow(/doesn't require gradient/);
  });

  it('retainGrad keeps .grad on a non-leaf; others stay null', () => {
    const x = leaf([1, 2]);
    const y = x.mul(2), z = y.mul(y);
    y.retainGrad();
    expect(y.retainsGrad).toBe(true);
    z.sum().backward();
    expect(vals(y.grad)).toEqual([4, 8]); // 2y
    expect(z.grad).toBeNull();
    expect(vals(x.grad)).toEqual([8, 16]);
  });
});

describe('saved tensors and version counters', () => {
  it('nodes drop saved tensors after backward (release) unless retainGraph', () => {
    const x = leaf([1, 2]);
    const y = x.exp();
    const node = y.sum().gradFn!;
    y.sum().backward(null, { retainGraph: true });
    expect(y.gradFn!.released).toBe(false);
    const s = y.sum();
    s.backward();
    expect(y.gradFn!.released).toBe(true);
    expect(s.gradFn!.released).toBe(true);
    expect(node.released).toBe(false); // a different, never-run node
    expect(() => y.sum().backward()).toThrow(/backward through the graph a second time/);
  });

  it('in-place on a tensor saved for backward raises the version-counter error', () => {
    const x = leaf([1, 2]);
    const y = x.mul(2);
    const z = y.mul(y); // saves y (version 0)
    y.add_(1);
    expect(y.version).toBe(1);
    expect(() => z.sum().backward()).toThrow(/one of the variables needed for gradient computation has been modified by an inplace operation.*version 1; expected version 0/);
  });

  it('output saved by exp is checked too', () => {
    const x = leaf([1, 2]);
    const y = x.exp();
    y.mul_(2);
    expect(() => y.sum().backward()).toThrow(/modified by an inplace operation/);
  });

  it('in-place on a leaf that requires grad raises; under noGrad it is allowed', () => {
    const x = leaf([1, 2]);
    expect(() => x.add_(1)).toThrow(/a leaf Variable that requires grad is being used in an in-place operation/);
    expect(() => x.zero_()).toThrow(/leaf Variable/);
    torch.noGrad(() => x.add_(1));
    expect(vals(x)).toEqual([2, 3]);
    expect(x.version).toBe(1);
  });

  it('in-place ops bump the version counter shared by views', () => {
    const a = torch.zeros(2, 3);
    const v = a.select(0, 1), w = a.t();
    expect([a.version, v.version, w.version]).toEqual([0, 0, 0]);
    v.fill_(5);
    expect([a.version, v.version, w.version]).toEqual([1, 1, 1]);
    w.mul_(2);
    expect([a.version, v.version]).toEqual([2, 2]);
    expect(vals(a)).toEqual([0, 0, 0, 10, 10, 10]);
  });

  it('in-place on a non-leaf keeps a correct graph: y = x*2; y.add_(1); y.mul_(3) -> dy/dx = 6', () => {
    const x = leaf([1, 2]);
    const y = x.mul(2);
    y.add_(1);
    y.mul_(3);
    expect(vals(y)).toEqual([9, 15]);
    y.sum().backward();
    expect(vals(x.grad)).toEqual([6, 6]);
  });

  it('y.mul_(y) keeps the old value for its own backward (d/dx (2x)^2 = 8x)', () => {
    const x = leaf([1, 2]);
    const y = x.mul(2);
    y.mul_(y);
    y.sum().backward();
    expect(vals(x.grad)).toEqual([8, 16]);
  });

  it('backward after a tidy scope disposed the saved tensors names the problem', () => {
    const x = leaf([1, 2]);
    const loss = torch.tidy(() => x.exp().mul(x.sin()).sum());
    expect(() => loss.backward()).toThrow(/saved for \w+Backward was disposed \(by dispose\(\) or a torch.tidy scope\) before backward ran/);
  });

  it('in-place on a view of a tensor that requires grad raises a clear error', () => {
    const x = leaf([1, 2, 3]);
    const y = x.mul(2);
    expect(() => y.narrow(0, 0, 2).mul_(3)).toThrow(/in-place op on a view \(shape \[2\]\) of a tensor that requires grad/);
    const a = leaf([1, 2]);
    expect(() => a.select(0, 0).add_(1)).toThrow(/in-place/);
  });
});

describe("ReLU's double backward connects its input, as PyTorch's threshold_backward", () => {
  it('a parameter reaching a gradient penalty only through a ReLU input gets zeros, not null (WGAN-GP)', async () => {
    // b = zeros(3, requires_grad=True); x = tensor([[1.5, -2.5, 3.5]], requires_grad=True)
    // g, = autograd.grad(relu(x + b).sum(), x, create_graph=True); g.pow(2).sum().backward() -> b.grad [0, 0, 0], x.grad [[0, 0, 0]]
    const b = torch.zeros([3], { requiresGrad: true }), x = torch.tensor([[1.5, -2.5, 3.5]], { requiresGrad: true });
    const [g] = torch.autograd.grad(torch.relu(x.add(b)).sum(), [x], { createGraph: true });
    g!.pow(2).sum().backward();
    expect(await b.grad!.tolist()).toEqual([0, 0, 0]);
    expect(await x.grad!.tolist()).toEqual([[0, 0, 0]]);
    // w = tensor([2., 3., 4.], requires_grad=True); g, = grad(relu(x * w).sum(), x, create_graph=True); (g ** 2).sum().backward() -> w.grad [4, 0, 8]
    const x2 = torch.tensor([[1.5, -2.5, 3.5]], { requiresGrad: true }), w = torch.tensor([2, 3, 4], { dtype: 'float32', requiresGrad: true });
    const [g2] = torch.autograd.grad(torch.relu(x2.mul(w)).sum(), [x2], { createGraph: true });
    g2!.pow(2).sum().backward();
    expect(await w.grad!.tolist()).toEqual([4, 0, 8]);
  });

  // The other piecewise activations: test/autograd/fixtures.test.ts ('piecewise/...', PyTorch's values).
  it('hardsigmoid gives zeros too, where PyTorch 1.13 raises (its hardsigmoid_backward has no derivative)', () => {
    // w = tensor([1., 2.], dtype=float64, requires_grad=True); x = w * tensor([-5., 1.], dtype=float64)
    // g, = grad(F.hardsigmoid(x).sum(), x, create_graph=True) -> [0, 1/6]; (g * g).sum().backward() raises
    // "derivative for aten::hardsigmoid_backward is not implemented"; torchlet: w.grad [0, 0], as hardtanh's.
    const w = leaf([1, 2]), x = w.mul(torch.tensor([-5, 1], { dtype: 'float64' }));
    const [g] = torch.autograd.grad(torch.nn.functional.hardsigmoid(x).sum(), [x], { createGraph: true });
    expect(vals(g!)).toEqual([0, 1 / 6]);
    g!.mul(g!).sum().backward();
    expect(vals(w.grad).map(Math.abs)).toEqual([0, 0]);
  });

  it('torch.where and clamp keep PyTorch\'s gradient, unconnected to their input (g.requires_grad False)', () => {
    // x = tensor([-1., 2.], dtype=float64, requires_grad=True)
    // grad(torch.where(x > 0, x, 0.2 * x).sum(), x, create_graph=True)[0].requires_grad -> False; same for x.clamp(-1.5, 3.)
    const x = leaf([-1, 2]);
    const [g1] = torch.autograd.grad(torch.where(x.gt(0), x, x.mul(0.2)).sum(), [x], { createGraph: true });
    const [g2] = torch.autograd.grad(x.clamp(-1.5, 3).sum(), [x], { createGraph: true });
    expect([g1!.requiresGrad, g2!.requiresGrad]).toEqual([false, false]);
  });
});
