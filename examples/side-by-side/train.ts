// Side-by-side example, torchlet half: train.py (PyTorch) rewritten line for line. It loads the same
// init.pt that PyTorch's torch.save wrote (initial weights + data), so the losses it prints match
// losses-pytorch.json step by step within float32 rounding (checked by test/examples/side-by-side.test.ts).
// Run: node --experimental-wasm-relaxed-simd --import tsx examples/side-by-side/train.ts [--device D]
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

import * as torch from '../../src/index.js';
import { cliOptions, isMain } from '../cli.js';
const nn = torch.nn;
const F = torch.nn.functional;

const here = dirname(fileURLToPath(import.meta.url));


export class Net extends nn.Module {
  fc1 = new nn.Linear(2, 32);
  fc2 = new nn.Linear(32, 32);
  fc3 = new nn.Linear(32, 3);

  forward(x: torch.Tensor): torch.Tensor {
    x = torch.tanh(this.fc1.forward(x));
    x = torch.tanh(this.fc2.forward(x));
    return this.fc3.forward(x);
  }
}


export async function train({ steps = 200, batchSize = 60, lr = 0.01, device = 'cpu' as torch.Device, log = console.log } = {}): Promise<number[]> {
  const init = await torch.load<{ model: Record<string, torch.Tensor>; x: torch.Tensor; y: torch.Tensor }>(join(here, 'init.pt'), { mapLocation: device });
  const [x, y] = [init.x, init.y];
  const model = new Net().to(device);
  model.loadStateDict(init.model);
  const opt = new torch.optim.Adam(model.parameters(), { lr });
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const i = (step * batchSize) % x.shape[0]!;
    const out = model.forward(x.index([i, i + batchSize]));
    const loss = F.crossEntropy(out, y.index([i, i + batchSize]));
    opt.zeroGrad();
    loss.backward();
    opt.step();
    losses.push(Number(await loss.item()));
    if (step % 20 === 0 || step === steps - 1)
      log(`step ${String(step).padStart(3)}  loss ${losses[step]!.toFixed(6)}`);
  }
  const accuracy = await torch.noGrad(() =>
    model.forward(x).argmax(1).eq(y).float().mean()).item();
  log(`accuracy ${Number(accuracy).toFixed(4)}`);
  return losses;
}


// Run as a script (not when imported by the test): --device cpu|webgpu|cuda, --steps N.
if (isMain(import.meta.url)) {
  const { num, device } = cliOptions(process.argv.slice(2), ['device', 'steps']);
  await torch.init();
  await train({ device: device() ?? 'cpu', steps: num('steps') ?? 200 });
}
