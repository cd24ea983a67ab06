// The main job (`npm start`): trains a small CNN on the embedded Fashion-MNIST subset on the best
// available backend, shows a progress bar (samples/s, loss), reports test accuracy and saves a
// safetensors checkpoint. Options: --device cpu|webgpu|cuda, --epochs N, --data DIR (full IDX files),
// --batch-size N, --lr X, --out FILE.

import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { mkdirSync } from 'node:fs';
import * as torch from '../src/index.js';
import { loadSplit } from './fashion-mnist-data.js';

const { nn, optim } = torch;
const F = torch.nn.functional;

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const [k, v] = a.includes('=') ? a.slice(2).split('=', 2) as [string, string] : [a.slice(2), argv[++i] ?? ''];
    out[k] = v;
  }
  return out;
}

class Net extends nn.Module {
  features = new nn.Sequential(
    new nn.Conv2d(1, 16, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(16, 32, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
  );
  classifier = new nn.Sequential(new nn.Flatten(), new nn.Linear(32 * 7 * 7, 128), new nn.ReLU(), new nn.Linear(128, 10));
  forward(x: torch.Tensor): torch.Tensor { return this.classifier.forward(this.features.forward(x)); }
}

function bar(done: number, total: number, extra: string): void {
  const w = 30, f = Math.round((done / total) * w);
  process.stdout.write(`\r[${'#'.repeat(f)}${'.'.repeat(w - f)}] ${done}/${total} ${extra}   `);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  await torch.init();
  const device = (args.device ?? (torch.cuda.isAvailable() ? 'cuda' : torch.webgpu.isAvailable() ? 'webgpu' : 'cpu')) as torch.Device;
  const epochs = Number(args.epochs ?? 3), batchSize = Number(args['batch-size'] ?? 64), lr = Number(args.lr ?? 1e-3);
  const here = dirname(fileURLToPath(import.meta.url));
  const dataDir = args.data ?? join(here, '..', 'data', 'fashion-mnist');
  torch.manualSeed(0);

  const train = loadSplit(dataDir, 'train'), test = loadSplit(dataDir, 't10k');
  const nTrain = train.images.shape[0]!, nTest = test.images.shape[0]!;
  console.log(`torchlet: Fashion-MNIST ${nTrain} train / ${nTest} test images from ${dataDir}, device ${device}, ${epochs} epochs`);
  const xTrain = train.images.to(device), yTrain = train.labels.to(device);
  const xTest = test.images.to(device), yTest = test.labels.to(device);

  const model = new Net().to(device);
  const opt = new optim.Adam(model.parameters(), { lr });
  const steps = Math.ceil(nTrain / batchSize);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    model.train();
    const perm = torch.randperm(nTrain, { device });
    const t0 = performance.now();
    let lossSum = 0, seen = 0;
    for (let s = 0; s < steps; s++) {
      const loss = torch.tidy(() => {
        const idx = perm.narrow(0, s * batchSize, Math.min(batchSize, nTrain - s * batchSize));
        const out = model.forward(xTrain.indexSelect(0, idx));
        const l = F.crossEntropy(out, yTrain.indexSelect(0, idx));
        opt.zeroGrad();
        l.backward();
        opt.step();
        return l.detach();
      });
      const n = Math.min(batchSize, nTrain - s * batchSize);
      lossSum += ((await loss.item()) as number) * n; seen += n;
      loss.dispose();
      if (s % 10 === 0 || s === steps - 1) {
        const rate = seen / ((performance.now() - t0) / 1000);
        bar(s + 1, steps, `epoch ${epoch}/${epochs} loss ${(lossSum / seen).toFixed(4)} ${rate.toFixed(0)} samples/s`);
      }
    }
    perm.dispose();
    process.stdout.write('\n');
    const acc = await evaluate(model, xTest, yTest);
    console.log(`epoch ${epoch}: train loss ${(lossSum / seen).toFixed(4)}, test accuracy ${(acc * 100).toFixed(2)}%`);
  }
  const out = args.out ?? join(here, '..', 'checkpoints', 'fashion-mnist-cnn.safetensors');
  mkdirSync(dirname(out), { recursive: true });
  await torch.save(model.stateDict(), out, { metadata: { model: 'fashion-mnist-cnn', framework: 'torchlet' } });
  console.log(`saved checkpoint ${out}`);
}

async function evaluate(model: Net, x: torch.Tensor, y: torch.Tensor): Promise<number> {
  model.eval();
  let correct = 0;
  const n = x.shape[0]!;
  for (let s = 0; s < n; s += 500) {
    const c = torch.noGrad(() => torch.tidy(() => {
      const m = Math.min(500, n - s);
      return model.forward(x.narrow(0, s, m)).argmax(1).eq(y.narrow(0, s, m)).sum();
    }));
    correct += (await c.item()) as number;
    c.dispose();
  }
  return correct / n;
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
