// The main job (`npm start`): trains a small CNN on the embedded Fashion-MNIST subset on the best
// available backend, shows a progress bar (samples/s, loss), reports test accuracy, saves a
// safetensors checkpoint and logs each epoch's loss and accuracy for TensorBoard (runs/). Options:
// --device cpu|webgpu|cuda|cuda:N, --epochs N, --data DIR (full IDX files),
// --limit N (first N training and test images only), --batch-size N, --lr X, --out FILE,
// --compile false (train eagerly instead of through torch.compile).
// `train()` and `pickDevice()` are exported for tests; the script part runs only when executed.

import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import * as torch from '../src/index.js';
import { loadSplit } from './fashion-mnist-data.js';
import { bestDevice, cliOptions, isMain } from './cli.js';

const { nn, optim } = torch;
const F = torch.nn.functional;
const here = dirname(fileURLToPath(import.meta.url));

export class Net extends nn.Module {
  features = new nn.Sequential(
    new nn.Conv2d(1, 16, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(16, 32, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
  );
  classifier = new nn.Sequential(new nn.Flatten(), new nn.Linear(32 * 7 * 7, 128), new nn.ReLU(), new nn.Linear(128, 10));
  forward(x: torch.Tensor): torch.Tensor { return this.classifier.forward(this.features.forward(x)); }
}

/**
 * The best available device: CUDA, then a hardware WebGPU adapter, else the CPU. A software WebGPU
 * adapter (SwiftShader, llvmpipe) emulates the GPU on the CPU and trains this model ~100x slower
 * than the wasm backend, so it is never chosen automatically. Call after `await torch.init()`.
 */
export const pickDevice = bestDevice;

export interface TrainOptions {
  device?: torch.Device;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  /** Folder of (optionally gzipped) Fashion-MNIST IDX files; default: the embedded subset. */
  dataDir?: string;
  /** Use only the first `limit` training and test images (quick runs on the full files). */
  limit?: number;
  /** Progress output; the default writes a progress bar to stdout. */
  log?: (line: string, final: boolean) => void;
  /** Train through torch.compile(model) (the same numbers, fewer kernels and less per-op work). */
  compile?: boolean;
  /** Log each epoch's train loss and test accuracy for TensorBoard: a run directory, or true for runs/<date>_<host>. */
  tensorboard?: string | boolean;
}

export interface TrainResult { model: Net; device: torch.Device; testAccuracy: number; trainLoss: number; nTrain: number; nTest: number; logDir?: string }

function consoleLog(line: string, final: boolean): void {
  process.stdout.write(final ? `\r${line}\n` : `\r${line}   `);
}

export async function train(o: TrainOptions = {}): Promise<TrainResult> {
  await torch.init();
  const device = o.device ?? pickDevice();
  const epochs = o.epochs ?? 4, batchSize = o.batchSize ?? 64, lr = o.lr ?? 2e-3;
  const log = o.log ?? consoleLog;
  const dataDir = o.dataDir ?? join(here, '..', 'data', 'fashion-mnist');
  torch.manualSeed(0);

  const load = (split: 'train' | 't10k') => {
    const s = loadSplit(dataDir, split);
    const n = Math.min(s.images.shape[0]!, o.limit ?? Infinity);
    const r = torch.tidy(() => ({ x: s.images.narrow(0, 0, n).to(device, { copy: true }), y: s.labels.narrow(0, 0, n).to(device, { copy: true }) }));
    torch.dispose(s);
    return r;
  };
  const { x: xTrain, y: yTrain } = load('train'), { x: xTest, y: yTest } = load('t10k');
  const nTrain = xTrain.shape[0]!, nTest = xTest.shape[0]!;
  log(`torchlet: Fashion-MNIST ${nTrain} train / ${nTest} test images from ${dataDir}, device ${device}, ${epochs} epochs`, true);

  const model = new Net().to(device);
  const net = o.compile ? torch.compile(model) : model;
  const tb = o.tensorboard ? new torch.utils.tensorboard.SummaryWriter(typeof o.tensorboard === 'string' ? o.tensorboard : undefined) : null;
  const opt = new optim.Adam(model.parameters(), { lr });
  const steps = Math.ceil(nTrain / batchSize);
  // Cosine decay to zero over the whole run, stepped per batch: the last epochs fine-tune at a small
  // learning rate, which makes the final accuracy steady from run to run (no late dips).
  const sched = new optim.lrScheduler.CosineAnnealingLR(opt, epochs * steps);
  let trainLoss = NaN, testAccuracy = NaN;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    model.train();
    const perm = torch.randperm(nTrain, { device });
    const t0 = performance.now();
    let lossSum = 0, seen = 0;
    for (let s = 0; s < steps; s++) {
      const n = Math.min(batchSize, nTrain - s * batchSize);
      const loss = torch.tidy(() => {
        const idx = perm.narrow(0, s * batchSize, n);
        const l = F.crossEntropy(net.forward(xTrain.indexSelect(0, idx)) as torch.Tensor, yTrain.indexSelect(0, idx));
        opt.zeroGrad();
        l.backward();
        opt.step();
        return l.detach();
      });
      sched.step();
      lossSum += ((await loss.item()) as number) * n; seen += n;
      loss.dispose();
      if (s % 10 === 0 || s === steps - 1) {
        const rate = seen / ((performance.now() - t0) / 1000);
        const w = 30, f = Math.round(((s + 1) / steps) * w);
        log(`[${'#'.repeat(f)}${'.'.repeat(w - f)}] ${s + 1}/${steps} epoch ${epoch}/${epochs} loss ${(lossSum / seen).toFixed(4)} ${rate.toFixed(0)} samples/s`, s === steps - 1);
      }
    }
    perm.dispose();
    trainLoss = lossSum / seen;
    testAccuracy = await evaluate(model, xTest, yTest);
    tb?.addScalar('Loss/train', trainLoss, epoch);
    tb?.addScalar('Accuracy/test', testAccuracy, epoch);
    log(`epoch ${epoch}: train loss ${trainLoss.toFixed(4)}, test accuracy ${(testAccuracy * 100).toFixed(2)}%`, true);
  }
  torch.dispose([xTrain, yTrain, xTest, yTest]);
  await tb?.close();
  return { model, device, testAccuracy, trainLoss, nTrain, nTest, ...(tb ? { logDir: tb.logDir } : {}) };
}

export async function evaluate(model: Net, x: torch.Tensor, y: torch.Tensor): Promise<number> {
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

const KNOWN = ['device', 'epochs', 'batch-size', 'lr', 'data', 'limit', 'out', 'compile'];

async function main(): Promise<void> {
  const { args, num, device } = cliOptions(process.argv.slice(2), KNOWN);
  const r = await train({
    device: device(), epochs: num('epochs'), batchSize: num('batch-size'), lr: num('lr'),
    dataDir: args.data === undefined ? undefined : resolve(args.data), limit: num('limit'), tensorboard: true,
    compile: args.compile === undefined || !['false', '0', 'no'].includes(args.compile),
  });
  const out = args.out ?? join(here, '..', 'checkpoints', 'fashion-mnist-cnn.safetensors');
  mkdirSync(dirname(resolve(out)), { recursive: true });
  await torch.save(r.model.stateDict(), out, { metadata: { model: 'fashion-mnist-cnn', framework: 'torchlet', test_accuracy: r.testAccuracy.toFixed(4) } });
  console.log(`test accuracy ${(r.testAccuracy * 100).toFixed(2)}% on ${r.nTest} images; saved checkpoint ${out}`);
  console.log(`TensorBoard logs (train loss, test accuracy per epoch) in ${r.logDir}: view with 'tensorboard --logdir runs'`);
}

if (isMain(import.meta.url)) {
  main().catch((e: unknown) => { console.error(e); process.exit(1); });
}
