// The demo's module worker: loads torchlet and Fashion-MNIST, trains the CNN of
// examples/train-fashion-mnist.ts (same Net, Adam + cosine decay) on a hardware WebGPU adapter or the
// CPU (wasm, threads when cross-origin isolated), and answers predict / save / load messages.
// Messages in: init, train {limit, epochs, batchSize, lr}, predict {pixels}, save, load {bytes}.

import * as torch from '/dist/torchlet.browser.js';
import { loadSplit, normalise } from './fashion-mnist.js';

const { nn, optim } = torch;
const F = nn.functional;

class Net extends nn.Module {
  features = new nn.Sequential(
    new nn.Conv2d(1, 16, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(16, 32, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
  );
  classifier = new nn.Sequential(new nn.Flatten(), new nn.Linear(32 * 7 * 7, 128), new nn.ReLU(), new nn.Linear(128, 10));
  forward(x) { return this.classifier.forward(this.features.forward(x)); }
}

let device = 'cpu', model, data, busy = false;
const post = (m, transfer) => self.postMessage(m, transfer ?? []);
/** Lets queued messages (predict while training) run: awaiting a CPU result is only a microtask. */
const yieldToMessages = () => new Promise((r) => setTimeout(r, 0));

function tensors(split, limit) {
  const n = Math.min(split.n, limit);
  return {
    n,
    x: torch.tidy(() => torch.tensor(normalise(split.images, n), { device }).reshape(n, 1, 28, 28)),
    y: torch.tensor(Int32Array.from(split.labels.subarray(0, n)), { device }),
  };
}

async function evaluate(x, y) {
  model.eval();
  let correct = 0;
  const n = x.shape[0];
  for (let s = 0; s < n; s += 500) {
    const m = Math.min(500, n - s);
    const c = torch.noGrad(() => torch.tidy(() => model.forward(x.narrow(0, s, m)).argmax(1).eq(y.narrow(0, s, m)).sum()));
    correct += await c.item();
    c.dispose();
  }
  return correct / n;
}

async function init() {
  await torch.init();
  const gpu = torch.webgpu.info();
  // A software adapter (SwiftShader, llvmpipe) is far slower than the wasm backend: CPU then.
  device = gpu && !gpu.isFallbackAdapter ? 'webgpu' : 'cpu';
  post({ type: 'ready', device, adapter: gpu?.adapter ?? null, fallback: gpu?.isFallbackAdapter ?? false,
    threads: torch.getNumThreads(), isolated: self.crossOriginIsolated });
  torch.manualSeed(0);
  model = new Net().to(device);
  const [train, test] = await Promise.all([loadSplit('train'), loadSplit('t10k')]);
  data = { train, test };
  post({ type: 'data', nTrain: train.n, nTest: test.n });
}

async function train({ limit = Infinity, epochs = 3, batchSize = 64, lr = 2e-3 }) {
  torch.manualSeed(0);
  model = new Net().to(device);
  const tr = tensors(data.train, limit), te = tensors(data.test, limit);
  const opt = new optim.Adam(model.parameters(), { lr });
  const steps = Math.ceil(tr.n / batchSize);
  const sched = new optim.lrScheduler.CosineAnnealingLR(opt, epochs * steps);
  post({ type: 'start', nTrain: tr.n, nTest: te.n, steps, epochs });
  const t0 = performance.now();
  for (let epoch = 1; epoch <= epochs; epoch++) {
    model.train();
    const perm = torch.randperm(tr.n, { device });
    let lossSum = 0, seen = 0;
    for (let s = 0; s < steps; s++) {
      const n = Math.min(batchSize, tr.n - s * batchSize);
      const loss = torch.tidy(() => {
        const idx = perm.narrow(0, s * batchSize, n);
        const l = F.crossEntropy(model.forward(tr.x.indexSelect(0, idx)), tr.y.indexSelect(0, idx));
        opt.zeroGrad();
        l.backward();
        opt.step();
        return l.detach();
      });
      sched.step();
      const v = await loss.item();
      loss.dispose();
      lossSum += v * n; seen += n;
      const step = (epoch - 1) * steps + s + 1;
      post({ type: 'step', step, epoch: step / steps, loss: v, samplesPerSec: (step * batchSize) / ((performance.now() - t0) / 1000) });
      await yieldToMessages();
    }
    perm.dispose();
    const acc = await evaluate(te.x, te.y);
    post({ type: 'epoch', epoch, step: epoch * steps, trainLoss: lossSum / seen, testAccuracy: acc });
  }
  torch.dispose([tr.x, tr.y, te.x, te.y]);
  post({ type: 'done', seconds: (performance.now() - t0) / 1000 });
}

async function predict({ pixels }) {
  model.eval();
  const p = torch.noGrad(() => torch.tidy(() => F.softmax(model.forward(torch.tensor(pixels, { device }).reshape(1, 1, 28, 28)), -1)));
  const probs = Array.from(await p.data());
  p.dispose();
  post({ type: 'probs', probs });
}

async function save() {
  const bytes = await torch.save(model.stateDict(), null, { metadata: { model: 'fashion-mnist-cnn', framework: 'torchlet' } });
  post({ type: 'checkpoint', bytes }, [bytes.buffer]);
}

async function load({ bytes }) {
  const sd = await torch.load(bytes, { mapLocation: device });
  model.loadStateDict(sd);
  const te = tensors(data.test, Infinity);
  const acc = await evaluate(te.x, te.y);
  torch.dispose([te.x, te.y]);
  post({ type: 'loaded', testAccuracy: acc, nTest: te.n });
}

const handlers = { init, train, predict, save, load };
self.onmessage = async ({ data: msg }) => {
  // Training runs alone; predictions may interleave with it (between steps).
  if (msg.type !== 'predict' && busy) return post({ type: 'error', message: `busy: ${msg.type} ignored` });
  const exclusive = msg.type !== 'predict';
  if (exclusive) busy = true;
  try { await handlers[msg.type](msg); } catch (e) {
    post({ type: 'error', message: String(e?.stack ?? e) });
  } finally { if (exclusive) busy = false; }
};
