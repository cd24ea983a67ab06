// Module.to / float / double / half / cpu / webgpu / toAsync change parameters, their grads and
// buffers in place (PyTorch's `param.data = ...`): the objects an optimizer holds stay the model's,
// so an optimizer made before the move keeps training. Checked on every device: models are built on
// the CPU (same seed) and moved; "keeps training" means the loss goes down over a few steps.
import { describe, expect, it } from 'vitest';
import { testDevices, torch } from '../helpers.js';
import type { Tensor } from '../../src/index.js';

const nn = torch.nn;
const F = nn.functional;

class Net extends nn.Module {
  fc1 = new nn.Linear(4, 8);
  bn = new nn.BatchNorm1d(8);
  fc2 = new nn.Linear(8, 1);
  forward(x: Tensor): Tensor { return this.fc2.forward(this.bn.forward(this.fc1.forward(x)).relu()); }
}

function data(device: string, dtype: 'float32' | 'float64' = 'float32'): [Tensor, Tensor] {
  torch.manualSeed(3);
  const x = torch.randn(16, 4);
  const y = x.sum(1, true).mul(0.5);
  return [x.to(device as 'cpu', { dtype }), y.to(device as 'cpu', { dtype })];
}

/** n optimizer steps; returns the losses read afterwards. */
async function train(model: Net, opt: InstanceType<typeof torch.optim.Optimizer>, x: Tensor, y: Tensor, n: number): Promise<number[]> {
  const losses: Tensor[] = [];
  for (let i = 0; i < n; i++) {
    opt.zeroGrad();
    const loss = F.mseLoss(model.forward(x), y);
    loss.backward();
    opt.step();
    losses.push(loss.detach());
  }
  return Promise.all(losses.map(async (l) => Number(await l.item())));
}

const OPTIMIZERS = {
  SGD: (ps: Tensor[]) => new torch.optim.SGD(ps, { lr: 0.05, momentum: 0.9 }),
  Adam: (ps: Tensor[]) => new torch.optim.Adam(ps, { lr: 0.01 }),
  AdamW: (ps: Tensor[]) => new torch.optim.AdamW(ps, { lr: 0.01 }),
  RMSprop: (ps: Tensor[]) => new torch.optim.RMSprop(ps, { lr: 0.01, momentum: 0.5 }),
  Adagrad: (ps: Tensor[]) => new torch.optim.Adagrad(ps, { lr: 0.1 }),
  Adadelta: (ps: Tensor[]) => new torch.optim.Adadelta(ps, { lr: 1 }),
  Adamax: (ps: Tensor[]) => new torch.optim.Adamax(ps, { lr: 0.01 }),
  NAdam: (ps: Tensor[]) => new torch.optim.NAdam(ps, { lr: 0.01 }),
  RAdam: (ps: Tensor[]) => new torch.optim.RAdam(ps, { lr: 0.01 }),
};

describe.each(testDevices())('Module.to in place (%s)', (device) => {
  it('to(device) keeps the Parameter, grad and buffer objects; an optimizer made before keeps training', async () => {
    torch.manualSeed(0);
    const model = new Net();
    const [xc, yc] = data('cpu');
    F.mseLoss(model.forward(xc), yc).backward(); // grads exist before the move
    const params = model.parameters(), grads = params.map((p) => p.grad!), buffers = model.buffers();
    const opt = new torch.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    expect(model.to(device)).toBe(model);
    expect(model.parameters()).toEqual(params);
    model.parameters().forEach((p, i) => {
      expect(p).toBe(params[i]);
      expect(p.device).toBe(device);
      expect(p.requiresGrad).toBe(true);
      expect(p.grad).toBe(grads[i]);
      expect(p.grad!.device).toBe(device);
    });
    model.buffers().forEach((b, i) => { expect(b).toBe(buffers[i]); expect(b.device).toBe(device); });
    const [x, y] = data(device);
    const losses = await train(model, opt, x, y, 8);
    expect(losses[7]!).toBeLessThan(losses[0]! * 0.7);
  });

  it('double() / to(float64) cast in place and training goes on in float64 (WebGPU: TypeError, module unchanged)', async () => {
    torch.manualSeed(0);
    const model = new Net().to(device);
    const w = model.fc1.weight, before = Array.from(await w.data());
    const opt = new torch.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    if (device === 'webgpu') {
      expect(() => model.double()).toThrow(TypeError);
      expect(() => model.double()).toThrow(/float64/);
      expect(model.fc1.weight).toBe(w);
      expect(model.parameters().every((p) => p.dtype === 'float32' && p.device === device)).toBe(true);
      expect(Array.from(await w.data())).toEqual(before);
      return;
    }
    const [x32, y32] = data(device);
    await train(model, opt, x32, y32, 2);
    model.double();
    expect(model.fc1.weight).toBe(w);
    expect(model.parameters().every((p) => p.dtype === 'float64' && p.grad!.dtype === 'float64')).toBe(true);
    expect(model.bn.running_mean!.dtype).toBe('float64');
    expect(model.bn.num_batches_tracked!.dtype).toBe('int32');
    const [x, y] = data(device, 'float64');
    const losses = await train(model, opt, x, y, 8);
    expect(w.dtype).toBe('float64');
    expect(losses[7]!).toBeLessThan(losses[0]! * 0.7);
    model.float();
    expect(model.fc1.weight).toBe(w);
    expect(w.dtype).toBe('float32');
  });

  it('half() and float() round-trip keeps identity and values within float16 rounding', async () => {
    torch.manualSeed(0);
    const model = new Net().to(device);
    const w = model.fc1.weight, before = Array.from(await w.data());
    model.half();
    expect(model.fc1.weight).toBe(w);
    expect(w.dtype).toBe('float16');
    model.float();
    expect(w.dtype).toBe('float32');
    const after = Array.from(await w.data());
    after.forEach((v, i) => expect(Math.abs(v - before[i]!)).toBeLessThanOrEqual(Math.abs(before[i]!) * 2 ** -11));
  });

  it.each(Object.keys(OPTIMIZERS))('%s with state from steps before the move keeps training after it', async (name) => {
    torch.manualSeed(0);
    const model = new Net();
    const opt = OPTIMIZERS[name as keyof typeof OPTIMIZERS](model.parameters());
    const [xc, yc] = data('cpu');
    await train(model, opt, xc, yc, 3);
    const w = model.fc1.weight;
    // The CPU has float64, WebGPU does not: move to the test device, or cast on the CPU.
    const dtype = device === 'cpu' ? 'float64' : 'float32';
    model.to(device, { dtype });
    expect(model.fc1.weight).toBe(w);
    const [x, y] = data(device, dtype);
    const losses = await train(model, opt, x, y, 8);
    expect(w.device).toBe(device);
    expect(w.dtype).toBe(dtype);
    expect(losses[7]!).toBeLessThan(losses[0]!);
  });

  it('leaving an asynchronous device needs toAsync, which also changes the module in place', async () => {
    torch.manualSeed(0);
    const model = new Net().to(device);
    const w = model.fc1.weight, before = Array.from(await w.data());
    if (device !== 'cpu') expect(() => model.cpu()).toThrow(`Net.to: moving parameters from '${device}' to 'cpu' needs a device read; use 'await model.toAsync("cpu")'`);
    expect(await model.toAsync('cpu', { dtype: 'float64' })).toBe(model);
    expect(model.fc1.weight).toBe(w);
    expect(w.device).toBe('cpu');
    expect(w.dtype).toBe('float64');
    expect(Array.from(w.dataSync())).toEqual(before);
  });

  it('optimizer state left on an asynchronous device by toAsync is a clear error at the next step', async () => {
    torch.manualSeed(0);
    const model = new Net().to(device);
    const opt = new torch.optim.Adam(model.parameters());
    const [x, y] = data(device);
    await train(model, opt, x, y, 1);
    await model.toAsync('cpu');
    const [xc, yc] = data('cpu');
    if (device === 'cpu') { expect((await train(model, opt, xc, yc, 1)).length).toBe(1); return; }
    await expect(train(model, opt, xc, yc, 1)).rejects.toThrow(`Adam.step: the state of a parameter is on '${device}' but the parameter is now on 'cpu'; moving it needs a device read, so create the optimizer after moving the model`);
  });
});
