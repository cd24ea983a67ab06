// The PyTorch-style training loop without tidy/dispose beside the same loop under torch.tidy: step
// time and memory (backend bytes and process RSS) over many steps, sync and async (an await of
// loss.item() every 50 steps). Models: the Fashion-MNIST CNN of examples/ at batch 32 (`cnn`), or a
// 2-layer MLP (784-128-10) at batch 32 (`mlp`, quick enough for 10,000 steps).
// Run: npm run bench -- --memory [--device webgpu] [--model cnn|mlp] [--steps N]

import * as torch from '../src/index.js';
import type { Device, Tensor } from '../src/index.js';
import { Net } from '../examples/train-fashion-mnist.js';

const F = torch.nn.functional;

interface Result { mode: string; msPerStep: number; bytesMin: number; bytesMax: number; rssStartMb: number; rssEndMb: number }

type ModelName = 'cnn' | 'mlp';
const makeModel = (name: ModelName): torch.nn.Module & { forward(x: Tensor): Tensor } => (name === 'cnn' ? new Net()
  : new torch.nn.Sequential(new torch.nn.Flatten(), new torch.nn.Linear(784, 128), new torch.nn.ReLU(), new torch.nn.Linear(128, 10)));

async function loop(device: Device, name: ModelName, mode: 'tidy' | 'no tidy, sync' | 'no tidy, async', steps: number): Promise<Result> {
  torch.manualSeed(0);
  const model = makeModel(name).to(device);
  const opt = new torch.optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = torch.randn([32, 1, 28, 28]).to(device);
  const y = torch.tensor(Array.from({ length: 32 }, (_, i) => i % 10), { dtype: 'int32' }).to(device);
  const step = (): Tensor => {
    const loss = F.crossEntropy(model.forward(x), y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    return loss;
  };
  const warm = Math.min(20, steps >> 2);
  for (let i = 0; i < warm; i++) await (mode === 'tidy' ? torch.tidy(step) : step()).item();
  const rssStart = process.memoryUsage().rss;
  let bytesMin = Infinity, bytesMax = 0;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    if (mode === 'tidy') torch.tidy(() => { step(); });
    else {
      const loss = step();
      if (mode === 'no tidy, async' && i % 50 === 49) await loss.item();
    }
    const b = torch.memory(device).allocatedBytes;
    bytesMin = Math.min(bytesMin, b);
    bytesMax = Math.max(bytesMax, b);
  }
  if (device !== 'cpu') await torch.zeros(1).to(device).item(); // wait for the queued GPU work
  const ms = (performance.now() - t0) / steps;
  return { mode, msPerStep: ms, bytesMin, bytesMax, rssStartMb: rssStart / 2 ** 20, rssEndMb: process.memoryUsage().rss / 2 ** 20 };
}

export async function benchMemoryLoop(device: Device, steps: number, name: ModelName = 'cnn'): Promise<void> {
  await torch.init();
  console.log(`no-tidy training loop vs tidy, ${device}, ${name === 'cnn' ? 'Fashion-MNIST CNN' : 'MLP 784-128-10'}, batch 32, Adam, ${steps} steps`);
  console.log('mode                 ms/step   backend MB min..max   RSS MB start -> end');
  // Alternating order over two rounds, so a slower machine phase does not favour one mode.
  const modes = ['tidy', 'no tidy, sync', 'no tidy, async'] as const;
  for (const round of [0, 1]) {
    for (const m of round ? [...modes].reverse() : modes) {
      const r = await loop(device, name, m, steps);
      console.log(`${r.mode.padEnd(18)} ${r.msPerStep.toFixed(2).padStart(9)}   ${(r.bytesMin / 2 ** 20).toFixed(2).padStart(8)}..${(r.bytesMax / 2 ** 20).toFixed(2).padEnd(8)}   ${r.rssStartMb.toFixed(0).padStart(6)} -> ${r.rssEndMb.toFixed(0)}`);
    }
  }
}

const main = process.argv[1]?.endsWith('memory-loop.ts');
if (main) {
  const argv = process.argv.slice(2);
  const at = (k: string) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : undefined; };
  await benchMemoryLoop((at('--device') ?? 'cpu') as Device, Number(at('--steps') ?? 1000), (at('--model') ?? 'cnn') as ModelName);
  process.exit(0); // Dawn keeps the event loop alive
}
