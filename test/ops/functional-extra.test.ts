// torch.nn.functional behaviour outside the fixture format: in-place options, tuple returns,
// argument errors, and float64 gradchecks (numerical vs analytic, including second order through
// createGraph) of the composed layers.
import { describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';

const F = torch.nn.functional;
const f64 = (...shape: number[]) => torch.randn(shape, { dtype: 'float64' }).requiresGrad_();

describe('nn.functional extras', () => {
  it('relu with inplace writes into its input', async () => {
    const x = torch.tensor([-1, 2, -3]);
    expect(F.relu(x, { inplace: true })).toBe(x);
    expect(Array.from(await x.data())).toEqual([0, 2, 0]);
  });

  it('maxPool2d returnIndices gives [output, flat indices] consistent with the input', async () => {
    const x = torch.randn([2, 3, 6, 5]);
    const [out, idx] = F.maxPool2d(x, 2, { stride: 2, padding: 1, returnIndices: true });
    expect(out.shape).toEqual([2, 3, 4, 3]);
    expect(idx.dtype).toBe('int32');
    const picked = x.reshape(2, 3, 30).gather(2, idx.reshape(2, 3, 12)).reshape(out.shape);
    expect(Array.from(await picked.data())).toEqual(Array.from(await out.data()));
  });

  it('batchNorm in eval mode needs running stats', () => {
    expect(() => F.batchNorm(torch.randn([4, 3]), null, null)).toThrow(/running_mean/);
  });

  it('batchNorm training leaves the graph differentiable and buffers without grad', async () => {
    const x = torch.randn([6, 2]).requiresGrad_();
    const rm = torch.zeros([2]), rv = torch.ones([2]);
    F.batchNorm(x, rm, rv, null, null, { training: true }).pow(2).sum().backward();
    expect(x.grad).not.toBeNull();
    expect(rm.requiresGrad).toBe(false);
    expect(Array.from(await rm.data()).some((v) => v !== 0)).toBe(true);
  });

  it('errors name the op and the shapes', () => {
    expect(() => F.conv2d(torch.randn([1, 3, 5, 5]), torch.randn([4, 2, 3, 3]))).toThrow(/conv2d: .*\[4, 2, 3, 3\].*\[1, 3, 5, 5\]/);
    expect(() => F.crossEntropy(torch.randn([3, 4]), torch.tensor([0, 1]))).toThrow(/crossEntropy: .*batch_size \(3\).*\(2\)/);
    expect(() => F.layerNorm(torch.randn([2, 3]), [4])).toThrow(/layerNorm/);
    expect(() => F.interpolate(torch.randn([1, 1, 4, 4]), { size: [2, 2], mode: 'linear' })).toThrow(/interpolate/);
    // PyTorch 1.13: "Anti-alias option is only supported for bilinear and bicubic modes"
    expect(() => F.interpolate(torch.randn([1, 1, 4, 4]), { size: [2, 2], antialias: true })).toThrow("interpolate: Anti-alias option is only supported for bilinear and bicubic modes (got mode 'nearest' on a 4-D input)");
  });

  it('gradcheck: conv2d (strided, grouped, padded) w.r.t. input, weight and bias', () => {
    const ok = torch.autograd.gradcheck((x, w, b) => F.conv2d(x, w, b, { stride: 2, padding: 1, groups: 2 }), [f64(1, 4, 5, 5), f64(2, 2, 3, 3), f64(2)]);
    expect(ok).toBe(true);
  });

  it('gradcheck: convTranspose2d, avgPool2d, interpolate, layerNorm, groupNorm', () => {
    const g = torch.autograd.gradcheck;
    expect(g((x, w) => F.convTranspose2d(x, w, null, { stride: 2, outputPadding: 1 }), [f64(1, 2, 3, 3), f64(2, 1, 2, 2)])).toBe(true);
    expect(g((x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), [f64(1, 1, 6, 6)])).toBe(true);
    expect(g((x) => F.interpolate(x, { size: [5, 4], mode: 'bilinear' }), [f64(1, 1, 3, 3)])).toBe(true);
    expect(g((x, w, b) => F.layerNorm(x, [4], w, b), [f64(3, 4), f64(4), f64(4)])).toBe(true);
    expect(g((x) => F.groupNorm(x, 2), [f64(2, 4, 3)])).toBe(true);
  });

  it('gradcheck: crossEntropy with weight, ignoreIndex and label smoothing', () => {
    const t = torch.tensor([0, 2, 1, 2]);
    const w = torch.tensor([0.5, 1.5, 1.0], { dtype: 'float64' });
    expect(torch.autograd.gradcheck((x) => F.crossEntropy(x, t, { weight: w, ignoreIndex: 1, labelSmoothing: 0.1 }), [f64(4, 3)])).toBe(true);
  });

  it('second-order gradients flow through conv2d and softplus (createGraph)', async () => {
    const x = f64(1, 1, 4, 4), w = f64(1, 1, 2, 2);
    const y = F.softplus(F.conv2d(x, w)).sum();
    const [gx] = torch.autograd.grad([y], [x], { createGraph: true });
    const [gw] = torch.autograd.grad([gx!.pow(2).sum()], [w]);
    expect(gw!.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(await gw!.data()).every(Number.isFinite)).toBe(true);
  });
});
