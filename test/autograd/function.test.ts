// Custom torch.autograd.Function (saveForBackward, needsInputGrad, non-tensor args, several
// outputs, markNonDifferentiable, setMaterializeGrads, markDirty) and gradcheck over a broad set of
// ops in float64, including a deliberately wrong Function that gradcheck must reject.
import { describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';
import type { Tensor } from '../../src/index.js';
import type { FunctionCtx } from '../../src/autograd/function.js';

const vals = (t: Tensor | null): number[] => Array.from(t!.dataSync());
const f64 = (v: number[] | number[][], grad = true): Tensor => torch.tensor(v, { dtype: 'float64', requiresGrad: grad });
const randn = (...shape: number[]): Tensor => torch.randn(shape, { dtype: 'float64' }).requiresGrad_();

class MyExp extends torch.autograd.Function {
  static override forward(ctx: FunctionCtx, x: Tensor): Tensor {
    const y = x.exp();
    ctx.saveForBackward(y);
    return y;
  }
  static override backward(ctx: FunctionCtx, g: Tensor): Tensor {
    const [y] = ctx.savedTensors;
    return g.mul(y!);
  }
}

/** y = x * k for a number k: a non-tensor argument gets a null gradient. */
class ScaleBy extends torch.autograd.Function {
  static override forward(ctx: FunctionCtx, x: Tensor, k: number): Tensor {
    ctx.k = k;
    return x.mul(k);
  }
  static override backward(ctx: FunctionCtx, g: Tensor): (Tensor | null)[] {
    return [g.mul(ctx.k as number), null];
  }
}

/** Returns (a+b, a*b); records needsInputGrad for inspection. */
class SumProd extends torch.autograd.Function {
  static seen: boolean[] = [];
  static override forward(ctx: FunctionCtx, a: Tensor, b: Tensor): Tensor[] {
    SumProd.seen = [...ctx.needsInputGrad];
    ctx.saveForBackward(a, b);
    return [a.add(b), a.mul(b)];
  }
  static override backward(ctx: FunctionCtx, gs: Tensor, gp: Tensor): (Tensor | null)[] {
    const [a, b] = ctx.savedTensors;
    return [ctx.needsInputGrad[0] ? gs.add(gp.mul(b!)) : null, ctx.needsInputGrad[1] ? gs.add(gp.mul(a!)) : null];
  }
}

/** Returns (sorted values, int indices) and marks the indices non-differentiable. */
class SortWithIdx extends torch.autograd.Function {
  static override forward(ctx: FunctionCtx, x: Tensor): Tensor[] {
    const { values, indices } = x.sort();
    const vals = values.mul(1);
    const mask = indices.to('float64');
    ctx.markNonDifferentiable(mask);
    ctx.saveForBackward(indices);
    return [vals, mask];
  }
  static override backward(ctx: FunctionCtx, g: Tensor): Tensor {
    const [idx] = ctx.savedTensors;
    return torch.zerosLike(g).scatter(0, idx!, g);
  }
}

/** Wrong on purpose: claims d/dx sin(x) = sin(x). */
class WrongSin extends torch.autograd.Function {
  static override forward(ctx: FunctionCtx, x: Tensor): Tensor { ctx.saveForBackward(x); return x.sin(); }
  static override backward(ctx: FunctionCtx, g: Tensor): Tensor { const [x] = ctx.savedTensors; return g.mul(x!.sin()); }
}

describe('autograd.Function', () => {
  it('saveForBackward and apply give the right gradient', () => {
    const x = f64([0, 1]);
    const y = MyExp.apply(x);
    expect(y.gradFn!.name).toBe('MyExp');
    y.sum().backward();
    expect(vals(x.grad)[0]).toBeCloseTo(1, 12);
    expect(vals(x.grad)[1]).toBeCloseTo(Math.E, 12);
  });

  it('non-tensor arguments and ctx fields', () => {
    const x = f64([1, 2]);
    ScaleBy.apply(x, 4).sum().backward();
    expect(vals(x.grad)).toEqual([4, 4]);
  });

  it('several outputs, needsInputGrad per argument', () => {
    const a = f64([2, 3]), b = f64([5, 7], false);
    const [s, p] = SumProd.apply<Tensor[]>(a, b);
    expect(SumProd.seen).toEqual([true, false]);
    s!.sum().add(p!.sum()).backward();
    expect(vals(a.grad)).toEqual([1 + 5, 1 + 7]);
    // only one output used: the other gets a zero gradient
    const a2 = f64([2, 3]);
    const [, p2] = SumProd.apply<Tensor[]>(a2, f64([5, 7], false));
    p2!.sum().backward();
    expect(vals(a2.grad)).toEqual([5, 7]);
  });

  it('markNonDifferentiable outputs do not require grad', () => {
    const x = f64([3, 1, 2]);
    const [v, idx] = SortWithIdx.apply<Tensor[]>(x);
    expect(v!.requiresGrad).toBe(true);
    expect(idx!.requiresGrad).toBe(false);
    v!.mul(f64([1, 10, 100], false)).sum().backward();
    // sorted order is x[1], x[2], x[0]
    expect(vals(x.grad)).toEqual([100, 1, 10]);
  });

  it('no graph when no input requires grad or under noGrad', () => {
    expect(MyExp.apply(f64([1], false)).requiresGrad).toBe(false);
    expect(torch.noGrad(() => MyExp.apply(f64([1])).requiresGrad)).toBe(false);
  });

  it('saved tensors modified in place raise the version error; freed after backward', () => {
    const x = f64([1, 2]);
    const h = x.mul(1);
    const y = MyExp.apply(h);
    torch.noGrad(() => y.add_(1));
    expect(() => y.sum().backward()).toThrow(/modified by an inplace operation/);
    const y2 = MyExp.apply(x);
    y2.sum().backward();
    expect(() => y2.sum().backward()).toThrow(/backward through the graph a second time/);
  });

  it('gradients of the wrong count or shape raise; broadcastable ones are summed to the input shape', () => {
    class TooFew extends torch.autograd.Function {
      static override forward(_ctx: FunctionCtx, a: Tensor, b: Tensor): Tensor { return a.add(b); }
      static override backward(_ctx: FunctionCtx, g: Tensor): Tensor { return g; }
    }
    expect(() => TooFew.apply(f64([1]), f64([2])).sum().backward()).toThrow(/TooFewBackward returned an incorrect number of gradients \(expected 2, got 1\)/);
    class BadShape extends torch.autograd.Function {
      static override forward(_ctx: FunctionCtx, a: Tensor): Tensor { return a.mul(2); }
      static override backward(_ctx: FunctionCtx, g: Tensor): Tensor { return torch.cat([g, g]); }
    }
    expect(() => BadShape.apply(f64([1, 2])).sum().backward()).toThrow(/BadShapeBackward returned an invalid gradient at index 0 - got \[4\] but expected shape compatible with \[2\]/);
    class Broad extends torch.autograd.Function {
      static override forward(_ctx: FunctionCtx, a: Tensor): Tensor { return a.expand(3, 2).contiguous(); }
      static override backward(_ctx: FunctionCtx, g: Tensor): Tensor { return g; } // [3, 2] for a [2] input
    }
    const x = f64([1, 2]);
    Broad.apply(x).sum().backward();
    expect(vals(x.grad)).toEqual([3, 3]);
  });

  it('a missing forward/backward raises a clear error', () => {
    class Empty extends torch.autograd.Function {}
    expect(() => Empty.apply(f64([1]))).toThrow(/must implement static forward/);
  });
});

/** Returns (2x, 3x); records the gradients backward received (read there: the engine frees them after). The second argument sets materialize. */
class TwoOut extends torch.autograd.Function {
  static seen: (number[] | null)[] = [];
  static override forward(ctx: FunctionCtx, x: Tensor, materialize: boolean): Tensor[] {
    ctx.setMaterializeGrads(materialize);
    return [x.mul(2), x.mul(3)];
  }
  static override backward(_ctx: FunctionCtx, g1: Tensor | null, g2: Tensor | null): (Tensor | null)[] {
    TwoOut.seen = [g1 && vals(g1), g2 && vals(g2)];
    const parts = [g1?.mul(2), g2?.mul(3)].filter((t): t is Tensor => t !== undefined);
    return [parts.reduce((a, b) => a.add(b)), null];
  }
}

/** In-place "multiply by 2" that returns its input, marked dirty (PyTorch's mark_dirty contract). */
class Dbl extends torch.autograd.Function {
  static override forward(ctx: FunctionCtx, x: Tensor): Tensor {
    x.mul_(2);
    ctx.markDirty(x);
    return x;
  }
  static override backward(_ctx: FunctionCtx, g: Tensor): Tensor { return g.mul(2); }
}

describe('autograd.Function ctx.setMaterializeGrads', () => {
  // PyTorch 1.13: x = tensor([1., 2., 3.], requires_grad=True); a, b = Two.apply(x, mat) with
  // forward (2x, 3x), ctx.set_materialize_grads(mat); (out * tensor([1., 10., 100.])).sum().backward()
  const w = () => f64([1, 10, 100], false);
  it('by default an unused output reaches backward as a zero tensor', () => {
    const x = f64([1, 2, 3]);
    const [a] = TwoOut.apply<Tensor[]>(x, true);
    a!.mul(w()).sum().backward();
    // mat=True, loss on a: backward saw (tensor([1., 10., 100.]), tensor([0., 0., 0.])); x.grad = [2., 20., 200.]
    expect(TwoOut.seen[0]).toEqual([1, 10, 100]);
    expect(TwoOut.seen[1]).toEqual([0, 0, 0]);
    expect(vals(x.grad)).toEqual([2, 20, 200]);
  });
  it('with setMaterializeGrads(false) it reaches backward as null', () => {
    const x = f64([1, 2, 3]);
    const [, b] = TwoOut.apply<Tensor[]>(x, false);
    b!.mul(w()).sum().backward();
    // mat=False, loss on b: backward saw (None, tensor([1., 10., 100.])); x.grad = [3., 30., 300.]
    expect(TwoOut.seen[0]).toBeNull();
    expect(TwoOut.seen[1]).toEqual([1, 10, 100]);
    expect(vals(x.grad)).toEqual([3, 30, 300]);
  });
});

describe('autograd.Function ctx.markDirty', () => {
  it('returns the input itself, bumps its version and rebases its history onto the node', () => {
    // PyTorch 1.13: a = tensor([1., -2., 3.], requires_grad=True); x = a.clone(); y = Dbl.apply(x)
    // -> y is x, x._version 0 -> 2 (mul_ and mark_dirty), x.grad_fn is DblBackward, x = [2., -4., 6.];
    // (y * tensor([1., 2., 3.])).sum().backward() -> a.grad = [2., 4., 6.]
    const a = f64([1, -2, 3]);
    const x = a.clone();
    const v0 = x.version;
    const y = Dbl.apply(x);
    expect(y).toBe(x);
    expect(x.version - v0).toBe(2);
    expect(x.gradFn!.backwardName).toBe('DblBackward');
    expect(x.isLeaf).toBe(false);
    expect(vals(x)).toEqual([2, -4, 6]);
    y.mul(f64([1, 2, 3], false)).sum().backward();
    expect(vals(a.grad)).toEqual([2, 4, 6]);
  });

  it('an input that did not require grad joins the graph when another input does', () => {
    // PyTorch 1.13: z = zeros(2); w = tensor([1., 2.], requires_grad=True); forward x.add_(w),
    // mark_dirty(x) -> result is z, z.is_leaf False, z.requires_grad True, z.grad_fn AddIntoBackward
    class AddInto extends torch.autograd.Function {
      static override forward(ctx: FunctionCtx, x: Tensor, y: Tensor): Tensor { x.add_(y); ctx.markDirty(x); return x; }
      static override backward(_ctx: FunctionCtx, g: Tensor): Tensor[] { return [g, g]; }
    }
    const z = torch.zeros(2, { dtype: 'float64' }), w2 = f64([1, 2]);
    expect(AddInto.apply(z, w2)).toBe(z);
    expect(z.isLeaf).toBe(false);
    expect(z.requiresGrad).toBe(true);
    z.sum().backward();
    expect(vals(w2.grad)).toEqual([1, 1]); // d sum(z + w) / dw
  });

  it('a dirty input saved in forward is saved at its new version', () => {
    // PyTorch 1.13: forward x.mul_(2); ctx.mark_dirty(x); ctx.save_for_backward(x); backward g*2 + 0*saved
    // on a.clone(), a = [1., -2., 3.]: y.sum().backward() runs -> a.grad = [2., 2., 2.]
    class DblSave extends torch.autograd.Function {
      static override forward(ctx: FunctionCtx, x: Tensor): Tensor { x.mul_(2); ctx.markDirty(x); ctx.saveForBackward(x); return x; }
      static override backward(ctx: FunctionCtx, g: Tensor): Tensor { const [s] = ctx.savedTensors; return g.mul(2).add(s!.mul(0)); }
    }
    const a = f64([1, -2, 3]);
    DblSave.apply(a.clone()).sum().backward();
    expect(vals(a.grad)).toEqual([2, 2, 2]);
  });

  it("PyTorch's errors: a leaf that requires grad, a dirty input not returned, a value another node saved", () => {
    // PyTorch 1.13: Dbl.apply(a) on a leaf -> RuntimeError('a leaf Variable that requires grad has been used in an in-place operation.')
    const a = f64([1, 2]);
    expect(() => Dbl.apply(a)).toThrow('a leaf Variable that requires grad has been used in an in-place operation.');
    // ...but under no_grad it runs: l becomes [2., 4.]
    const l = f64([1, 2]);
    torch.noGrad(() => Dbl.apply(l));
    expect(vals(l)).toEqual([2, 4]);
    class NotReturned extends torch.autograd.Function {
      static override forward(ctx: FunctionCtx, x: Tensor): Tensor { x.mul_(2); ctx.markDirty(x); return x.mul(1); }
      static override backward(_ctx: FunctionCtx, g: Tensor): Tensor { return g; }
    }
    expect(() => NotReturned.apply(f64([1, 2]).clone())).toThrow('Some elements marked as dirty during the forward method were not returned as output.');
    // x = a.clone(); s = x.sin(); Dbl.apply(x); s.sum().backward() -> "modified by an inplace operation"
    const x = f64([1, 2]).clone();
    const s = x.sin();
    Dbl.apply(x);
    expect(() => s.sum().backward()).toThrow(/modified by an inplace operation/);
  });
});

describe('gradcheck', () => {
  torch.manualSeed(0);
  const pos = (...s: number[]) => torch.rand(s, { dtype: 'float64' }).add(0.5).requiresGrad_();
  const unit = (...s: number[]) => torch.rand(s, { dtype: 'float64' }).mul(1.6).sub(0.8).requiresGrad_();
  const unary: [string, (x: Tensor) => Tensor, () => Tensor][] = [
    ['neg', (x) => x.neg(), () => randn(3, 2)], ['abs', (x) => x.abs(), () => pos(4)],
    ['exp', (x) => x.exp(), () => randn(4)], ['expm1', (x) => x.expm1(), () => randn(4)], ['exp2', (x) => x.exp2(), () => randn(4)],
    ['log', (x) => x.log(), () => pos(4)], ['log1p', (x) => x.log1p(), () => pos(4)], ['log2', (x) => x.log2(), () => pos(4)],
    ['log10', (x) => x.log10(), () => pos(4)], ['sqrt', (x) => x.sqrt(), () => pos(4)], ['rsqrt', (x) => x.rsqrt(), () => pos(4)],
    ['sin', (x) => x.sin(), () => randn(4)], ['cos', (x) => x.cos(), () => randn(4)], ['tan', (x) => x.tan(), () => unit(4)],
    ['asin', (x) => x.asin(), () => unit(4)], ['acos', (x) => x.acos(), () => unit(4)], ['atan', (x) => x.atan(), () => randn(4)],
    ['sinh', (x) => x.sinh(), () => randn(4)], ['cosh', (x) => x.cosh(), () => randn(4)], ['tanh', (x) => x.tanh(), () => randn(4)],
    ['asinh', (x) => x.asinh(), () => randn(4)], ['acosh', (x) => x.acosh(), () => pos(4).detach().add(1).requiresGrad_()],
    ['atanh', (x) => x.atanh(), () => unit(4)], ['sigmoid', (x) => x.sigmoid(), () => randn(4)], ['erf', (x) => x.erf(), () => randn(4)],
    ['erfinv', (x) => x.erfinv(), () => unit(4)], ['reciprocal', (x) => x.reciprocal(), () => pos(4)], ['square', (x) => x.square(), () => randn(4)],
    ['relu', (x) => x.relu(), () => pos(4)], ['pow3', (x) => x.pow(3), () => randn(4)], ['powFrac', (x) => x.pow(2.5), () => pos(4)],
  ];
  for (const [name, f, mk] of unary) {
    it(`unary ${name}`, () => { expect(torch.autograd.gradcheck(f, [mk()])).toBe(true); });
  }
  const binary: [string, (a: Tensor, b: Tensor) => Tensor, Tensor[]][] = [
    ['add', (a, b) => a.add(b, { alpha: 2 }), [randn(2, 3), randn(3)]],
    ['sub', (a, b) => a.sub(b), [randn(2, 1), randn(1, 3)]],
    ['mul', (a, b) => a.mul(b), [randn(2, 3), randn(2, 3)]],
    ['div', (a, b) => a.div(b), [randn(2, 3), pos(3)]],
    ['pow', (a, b) => a.pow(b), [pos(3), randn(3)]],
    ['atan2', (a, b) => torch.atan2(a, b), [randn(3), pos(3)]],
    ['maximum', (a, b) => torch.maximum(a, b), [f64([1, 5, 3]), f64([2, 4, 6])]],
    ['matmul', (a, b) => a.matmul(b), [randn(2, 3), randn(3, 4)]],
    ['bmm', (a, b) => a.matmul(b), [randn(2, 2, 3), randn(3, 2)]],
    ['matvec', (a, b) => a.matmul(b), [randn(2, 3), randn(3)]],
  ];
  for (const [name, f, xs] of binary) {
    it(`binary ${name}`, () => { expect(torch.autograd.gradcheck(f, xs)).toBe(true); });
  }
  const other: [string, (...xs: Tensor[]) => Tensor, Tensor[]][] = [
    ['softmax', (x) => x.softmax(-1), [randn(2, 4)]],
    ['logSoftmax', (x) => x.logSoftmax(0), [randn(3, 2)]],
    ['where', (a, b) => torch.where(torch.tensor([[true, false, true]]), a, b), [randn(2, 3), randn(3)]],
    ['gather', (x) => x.gather(1, torch.tensor([[0, 0], [2, 1]])), [randn(2, 3)]],
    ['indexSelect', (x) => x.indexSelect(0, torch.tensor([2, 0, 2])), [randn(3, 2)]],
    ['cat/split', (a, b) => { const [p, q] = torch.cat([a, b], 1).split([1, 4], 1); return p!.mul(q!.sum(1, true)); }, [randn(2, 2), randn(2, 3)]],
    ['expand/permute/reshape', (x) => x.expand(2, 3, 4).permute(2, 0, 1).reshape(4, 6).mul(torch.arange(24, { dtype: 'float64' }).reshape(4, 6)), [randn(3, 1)]],
    ['cumsum', (x) => x.cumsum(1), [randn(2, 4)]],
    ['cumprod', (x) => x.cumprod(0), [randn(3, 2)]],
    ['amax', (x) => x.amax(1), [f64([[1, 5, 2], [7, 3, 4]])]],
    ['sum/mean/prod', (x) => x.sum(0).add(x.mean(1, true)).add(x.prod(1, true)), [randn(2, 2)]],
    ['var/std', (x) => x.var(1).add(x.std(0).sum()), [randn(3, 4)]],
    ['norm', (x) => x.norm(), [randn(3, 2)]],
    ['logsumexp', (x) => x.logsumexp(1), [randn(2, 3)]],
    ['narrow/select', (x) => x.narrow(1, 1, 2).select(0, 1), [randn(2, 4)]],
    ['transpose/contiguous', (x) => x.t().contiguous().mul(2), [randn(2, 3)]],
    ['clamp', (x) => x.clamp(-0.5, 0.5), [f64([-1, -0.2, 0.3, 2])]],
    ['flip/roll', (x) => x.flip(0).roll(1, 1), [randn(2, 3)]],
  ];
  for (const [name, f, xs] of other) {
    it(name, () => { expect(torch.autograd.gradcheck(f, xs)).toBe(true); });
  }

  // Composites built from primitives (nn.functional): their gradients come from the primitives' rules.
  const F = torch.nn.functional;
  const away = (...s: number[]) => torch.rand(s, { dtype: 'float64' }).mul(0.8).add(0.1).mul(torch.tensor([-1, 1, -1, 1], { dtype: 'float64' })).requiresGrad_();
  const composite: [string, (...xs: Tensor[]) => Tensor, Tensor[]][] = [
    ['gelu', (x) => F.gelu(x), [randn(4)]], ['gelu tanh', (x) => F.gelu(x, { approximate: 'tanh' }), [randn(4)]],
    ['silu', (x) => F.silu(x), [randn(4)]], ['softplus', (x) => F.softplus(x), [randn(4)]], ['elu', (x) => F.elu(x), [away(4)]],
    ['leakyRelu', (x) => F.leakyRelu(x, 0.2), [away(4)]], ['logsigmoid', (x) => F.logsigmoid(x), [randn(4)]], ['mish', (x) => F.mish(x), [randn(4)]],
    ['floor/ceil/round/trunc/frac/sign (a.e. zero or one)', (x) => x.floor().add(x.ceil()).add(x.round()).add(x.trunc()).add(x.frac()).add(x.sign()), [away(4)]],
    ['lerp/addcmul/addcdiv', (a, b, c) => torch.lerp(a, b, c).add(torch.addcmul(a, b, c, { value: 0.5 })).add(torch.addcdiv(a, b, c.abs().add(1))), [randn(3), randn(3), randn(3)]],
    ['layerNorm', (x, w, b) => F.layerNorm(x, [3], w, b), [randn(2, 3), randn(3), randn(3)]],
    ['linear', (x, w, b) => F.linear(x, w, b), [randn(2, 3), randn(4, 3), randn(4)]],
    ['conv2d', (x, w, b) => F.conv2d(x, w, b, { padding: 1, stride: 2 }), [randn(1, 2, 4, 4), randn(3, 2, 3, 3), randn(3)]],
    ['maxPool2d', (x) => F.maxPool2d(x, 2), [torch.randperm(16).to('float64').reshape(1, 1, 4, 4).requiresGrad_()]],
    ['avgPool2d', (x) => F.avgPool2d(x, 2), [randn(1, 1, 4, 4)]],
    ['crossEntropy', (x) => F.crossEntropy(x, torch.tensor([2, 0])), [randn(2, 3)]],
    ['mseLoss', (a, b) => F.mseLoss(a, b), [randn(2, 3), randn(2, 3)]],
    ['binaryCrossEntropyWithLogits', (a) => F.binaryCrossEntropyWithLogits(a, torch.tensor([0, 1, 1], { dtype: 'float64' })), [randn(3)]],
  ];
  for (const [name, f, xs] of composite) {
    it(`composite ${name}`, () => { expect(torch.autograd.gradcheck(f, xs)).toBe(true); });
  }

  it('second order layerNorm, groupNorm, softmax, logSoftmax and gelu (one node each; the layer norm rstd recomputed from x under createGraph)', () => {
    expect(torch.autograd.gradcheck(gradOf((x, w, b) => F.layerNorm(x, [3], w, b)), [randn(2, 3), randn(3), randn(3)])).toBe(true);
    expect(torch.autograd.gradcheck(gradOf((x) => F.layerNorm(x, [2, 3])), [randn(2, 2, 3)])).toBe(true);
    expect(torch.autograd.gradcheck(gradOf((x) => F.groupNorm(x, 2)), [randn(2, 4, 3)])).toBe(true);
    expect(torch.autograd.gradcheck(gradOf((x) => F.softmax(x, 1)), [randn(2, 4)])).toBe(true);
    expect(torch.autograd.gradcheck(gradOf((x) => F.gelu(x)), [randn(2, 4)])).toBe(true);
    expect(torch.autograd.gradcheck(gradOf((x) => F.gelu(x, { approximate: 'tanh' })), [randn(2, 4)])).toBe(true);
    expect(torch.autograd.gradcheck(gradOf((x) => F.logSoftmax(x, 0)), [randn(3, 2)])).toBe(true);
  });

  it('second order maxPool2d: its gradient (one maxPool2dBackward kernel) is differentiable in the incoming gradient, overlapping windows', () => {
    const x = torch.randperm(36).to('float64').reshape(1, 2, 3, 6);
    const gradX = (v: Tensor): Tensor => {
      const xx = x.detach().requiresGrad_();
      const [g] = torch.autograd.grad([F.maxPool2d(xx, 3, { stride: 1, padding: 1 }).mul(v).sum()], [xx], { createGraph: true });
      return g!;
    };
    expect(torch.autograd.gradcheck(gradX, [randn(1, 2, 3, 6)])).toBe(true);
    // And through a function of it: d/dv sum(gradX(v)^2) = 2 * gather(gradX(v)) at the indices.
    expect(torch.autograd.gradcheck((v) => gradX(v).pow(2).sum(), [randn(1, 2, 3, 6)])).toBe(true);
  });

  // Second order (PyTorch's gradgradcheck): gradcheck the createGraph gradient itself, so every
  // backward rule must be differentiable and correct.
  const gradOf = (f: (...xs: Tensor[]) => Tensor) => (...xs: Tensor[]): Tensor => {
    const gs = torch.autograd.grad(f(...xs).mul(torch.linspace(0.5, 1.5, f(...xs).numel(), { dtype: 'float64' }).reshape(f(...xs).shape)).sum(),
      xs.filter((x) => x.requiresGrad), { createGraph: true, allowUnused: true });
    return torch.cat(gs.map((g, i) => (g ?? torch.zerosLike(xs[i]!)).reshape(-1)));
  };
  for (const [name, f, mk] of unary) {
    it(`second order ${name}`, () => { expect(torch.autograd.gradcheck(gradOf(f), [mk()])).toBe(true); });
  }
  for (const [name, f, xs] of [...binary, ...other]) {
    it(`second order ${name}`, () => { expect(torch.autograd.gradcheck(gradOf(f), xs)).toBe(true); });
  }

  it('fails on a deliberately wrong custom Function', () => {
    const x = randn(3);
    expect(() => torch.autograd.gradcheck((t) => WrongSin.apply(t), [x])).toThrow(/Jacobian mismatch/);
    expect(torch.autograd.gradcheck((t) => WrongSin.apply(t), [x], { raiseException: false })).toBe(false);
  });

  it('refuses float32 inputs that require grad', () => {
    expect(() => torch.autograd.gradcheck((t) => t.sin(), [torch.ones(2, { requiresGrad: true })])).toThrow(/float64/);
    expect(() => torch.autograd.gradcheck((t) => t.sin(), [torch.ones(2, { dtype: 'float64' })])).toThrow(/at least one input tensor to require gradient/);
  });
});
