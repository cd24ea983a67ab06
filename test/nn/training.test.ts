// End-to-end: a small model built from nn modules learns a synthetic task with a hand-written SGD
// step (parameters(), zeroGrad, backward, in-place updates under noGrad), and a model round-trips
// through stateDict into a fresh instance with identical outputs. Runs on every test device: data
// and models are made on the CPU (same seed, same numbers) and moved; reads are awaited.
import { describe, expect, it } from 'vitest';
import { testDevices, torch } from '../helpers.js';
import type { Tensor } from '../../src/index.js';

const nn = torch.nn;

class Classifier extends nn.Module {
  conv = new nn.Conv2d(1, 4, 3, { padding: 1 });
  bn = new nn.BatchNorm2d(4);
  pool = new nn.MaxPool2d(2);
  head = new nn.Sequential(new nn.Flatten(), new nn.Linear(4 * 4 * 4, 16), new nn.GELU(), new nn.Dropout(0.1), new nn.Linear(16, 2));
  forward(x: Tensor): Tensor { return this.head.forward(this.pool.forward(this.bn.forward(this.conv.forward(x)).relu())); }
}

for (const device of testDevices()) describe(`training with nn modules (${device})`, () => {
  it('a conv net learns to tell bright-left from bright-right images', async () => {
    torch.manualSeed(1);
    const model = new Classifier().to(device);
    const lossFn = new nn.CrossEntropyLoss();
    const N = 32;
    const labels = torch.randint(0, 2, [N]);
    // Label 1: left half brighter; label 0: right half brighter.
    const left = torch.arange(8).lt(4).to('float32').reshape(1, 1, 1, 8);
    const sign = labels.to('float32').mul(2).sub(1).reshape(N, 1, 1, 1);
    const x = torch.randn(N, 1, 8, 8).mul(0.5).add(left.sub(0.5).mul(sign)).to(device);
    const y = labels.to(device);
    const losses: Tensor[] = []; // read once at the end: a read per step would wait on the device each time
    for (let step = 0; step < 30; step++) {
      losses.push(torch.tidy(() => {
        model.zeroGrad();
        const loss = lossFn.forward(model.forward(x), y);
        loss.backward();
        nn.utils.clipGradNorm_(model.parameters(), 5);
        torch.noGrad(() => { for (const p of model.parameters()) p.sub_(p.grad!.mul(0.2)); });
        return loss.detach();
      }));
    }
    const ls = Array.from(await torch.stack(losses).data());
    expect(ls[ls.length - 1]!).toBeLessThan(ls[0]! * 0.3);
    model.eval();
    const acc = await model.forward(x).argmax(1).eq(y).to('float32').mean().item();
    expect(acc).toBeGreaterThan(0.9);
    // A fresh model loaded from the state dict computes the same outputs.
    const copy = new Classifier().to(device);
    copy.loadStateDict(model.stateDict());
    copy.eval();
    expect(Array.from(await copy.forward(x).data())).toEqual(Array.from(await model.forward(x).data()));
  });
  it('an LSTM regresses the running sum of its inputs', async () => {
    torch.manualSeed(2);
    const lstm = new nn.LSTM(1, 8, { batchFirst: true }).to(device);
    const out = new nn.Linear(8, 1).to(device);
    const params = [...lstm.parameters(), ...out.parameters()];
    const xc = torch.rand(16, 5, 1).sub(0.5);
    const x = xc.to(device), y = xc.cumsum(1).to(device);
    const losses: Tensor[] = [];
    for (let step = 0; step < 100; step++) {
      const l = torch.tidy(() => {
        for (const p of params) p.grad = null;
        const [h] = lstm.forward(x);
        const loss = out.forward(h).sub(y).square().mean();
        loss.backward();
        torch.noGrad(() => { for (const p of params) p.sub_(p.grad!.mul(0.5)); });
        return loss.detach();
      });
      if (step === 0 || step === 99) losses.push(l); else l.dispose();
    }
    const [first, last] = Array.from(await torch.stack(losses).data());
    expect(last!).toBeLessThan(first! * 0.6);
  });
});
