// Habits of ported PyTorch training scripts that torchlet must not silently get wrong: snake_case
// keys in param-group dicts (refused like the constructor's options, since PyTorch's keyword names
// are camelCase here), and ReduceLROnPlateau.step(valLoss) with a one-element tensor (PyTorch
// converts it with float()). Expected values are independent math (SGD: p - lr * (g + wd * p)).
import { describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';

const { optim } = torch;

describe('param-group dicts refuse snake_case option keys', () => {
  const p3 = () => torch.tensor([1, 2, 3], { dtype: 'float32', requiresGrad: true });
  it('in the constructor, with the same "did you mean" TypeError as the options object', () => {
    expect(() => new optim.SGD([{ params: [p3()], weight_decay: 1.0 } as never], { lr: 0.1 }))
      .toThrow(/^SGD: unknown option 'weight_decay' in param group 0 \(did you mean 'weightDecay'\?\); accepted options: lr, momentum, dampening, weightDecay, nesterov, maximize/);
    expect(() => new optim.Adam([{ params: [p3()] }, { params: [p3()], weight_decay: 0 } as never]))
      .toThrow(/^Adam: unknown option 'weight_decay' in param group 1 \(did you mean 'weightDecay'\?\)/);
  });
  it('in addParamGroup, also for the keys schedulers keep in groups (max_lr, initial_lr)', () => {
    const o = new optim.SGD([p3()], { lr: 0.1 });
    expect(() => o.addParamGroup({ params: [p3()], weight_decay: 0.5 } as never)).toThrow(/^SGD\.addParamGroup: unknown option 'weight_decay' \(did you mean 'weightDecay'\?\)/);
    expect(() => o.addParamGroup({ params: [p3()], max_lr: 3 } as never)).toThrow(/^SGD\.addParamGroup: unknown option 'max_lr' \(did you mean 'maxLr'\?\)/);
    expect(() => o.addParamGroup({ params: [p3()], initial_lr: 3 } as never)).toThrow(/did you mean 'initialLr'/);
    expect(o.paramGroups.length).toBe(1); // nothing half-added
  });
  it('other extra keys stay allowed (PyTorch keeps user keys in groups), and camelCase options apply', () => {
    const p = p3();
    const o = new optim.SGD([{ params: [p], weightDecay: 1.0, name: 'decay', my_tag: 7 } as never], { lr: 0.1 });
    expect(o.paramGroups[0]!.my_tag).toBe(7);
    p.grad = torch.zeros(3);
    o.step();
    expect(Array.from(p.dataSync())).toEqual([1, 2, 3].map((x) => Math.fround(x - 0.1 * x)));
  });
});

describe('ReduceLROnPlateau.step(metric) takes a one-element tensor, as PyTorch\'s float(metrics)', () => {
  const S = optim.lrScheduler;
  const run = (metrics: unknown[]): number[] => {
    const o = new optim.SGD([torch.zeros(1, { requiresGrad: true })], { lr: 1 });
    const s = new S.ReduceLROnPlateau(o, { factor: 0.5, patience: 0 });
    return metrics.map((m) => { s.step(m as number); return o.paramGroups[0]!.lr; });
  };
  it('0-d and one-element tensors step as their value (patience 0: every non-improving epoch halves lr)', () => {
    const want = [1, 0.5, 0.25, 0.25]; // best 3, then 3 (bad), 4 (bad), 2 (better)
    expect(run([3, 3, 4, 2])).toEqual(want);
    expect(run([torch.tensor(3), torch.tensor([3], { dtype: 'float64' }), torch.tensor([[4]]), torch.tensor(2, { dtype: 'float32' })])).toEqual(want);
  });
  it('a tensor of several elements is PyTorch\'s error', () => {
    expect(() => run([torch.tensor([1, 2])])).toThrow(/ReduceLROnPlateau\.step: only one element tensors can be converted to Python scalars \(the metric has shape \[2\]\)/);
  });
});

describe('ReduceLROnPlateau.step with a tensor on a device that reads asynchronously', () => {
  it('says to pass await loss.item()', () => {
    const o = new optim.SGD([torch.zeros(1, { requiresGrad: true })], { lr: 1 });
    const s = new optim.lrScheduler.ReduceLROnPlateau(o);
    const t = torch.tensor(0.5);
    // Stand-in for a WebGPU/CUDA tensor: only the backend's synchronous flag is consulted.
    Object.defineProperty(t, 'storage', { value: { ...t.storage, backend: { ...t.storage.backend, synchronous: false } } });
    Object.defineProperty(t, 'device', { value: 'webgpu' });
    expect(() => s.step(t)).toThrow(/ReduceLROnPlateau\.step: the metric is a tensor on 'webgpu', which cannot be read synchronously; pass its value: scheduler\.step\(await loss\.item\(\)\)/);
    expect(s.lastEpoch).toBe(0); // nothing recorded
  });
});
