// Full training steps (forward, loss, backward, Adam step, zeroGrad) on the CPU: torchlet against
// PyTorch CPU (a child /usr/bin/python3 bench/torch_cpu_train.py per round) and, for the CNN, tfjs-layers
// on tfjs-backend-wasm, timed in alternating rounds at the same thread count. Models: the `npm start`
// CNN at batch 64 and a TransformerEncoderLayer(128, 4, 512) on [16, 64, 128].
// Run: npm run bench -- --train [--threads N] [--steps 25] [--model cnn|transformer|both]

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../src/index.js';
import { Net } from '../examples/train-fashion-mnist.js';

type ModelName = 'cnn' | 'transformer';
/** One contender: `round(k)` runs k timed steps (after its own warm-up where needed), wall ms each. */
interface Contender { name: string; round(k: number): number[] }
interface Threads { setNumThreads?: (n: number) => unknown; getNumThreads?: () => number }

const F = torch.nn.functional;
const here = dirname(fileURLToPath(import.meta.url));
const ROUND = 5; // timed steps per contender per round
// Warm-up steps of every contender (PyTorch: per child process). Torchlet needs ~40 on the CPU to
// reach steady state: before that its WebAssembly memory still grows, and results written to
// never-touched pages pay a page fault per 4 KiB (~7 us each on the 2-core VM).
const WARM = 40;
const mid = (ts: number[]): number => [...ts].sort((a, b) => a - b)[ts.length >> 1]!;

function timed(step: () => void, k: number): number[] {
  const ms: number[] = [];
  for (let i = 0; i < k; i++) { const t0 = performance.now(); step(); ms.push(performance.now() - t0); }
  return ms;
}

/** A user's training step, no tidy: intermediates go when the GC collects them. */
function torchletContender(model: ModelName, threads: number, compiled = false): Contender {
  torch.manualSeed(0);
  const net = model === 'cnn' ? new Net()
    : new torch.nn.TransformerEncoderLayer(128, 4, { dimFeedforward: 512, dropout: 0, batchFirst: true });
  const x = model === 'cnn' ? torch.randn([64, 1, 28, 28]) : torch.randn([16, 64, 128]);
  const y = model === 'cnn' ? torch.tensor(Array.from({ length: 64 }, (_, i) => i % 10), { dtype: 'int32' }) : torch.randn([16, 64, 128]);
  const opt = new torch.optim.Adam(net.parameters(), { lr: 1e-3 });
  const m = compiled ? torch.compile(net) : net;
  const step = (): void => {
    const out = m.forward(x) as torch.Tensor;
    const loss = model === 'cnn' ? F.crossEntropy(out, y) : F.mseLoss(out, y);
    loss.backward();
    opt.step();
    opt.zeroGrad();
  };
  timed(step, WARM);
  return { name: `torchlet${compiled ? ' compiled' : ''} (${threads} thr)`, round: (k) => timed(step, k) };
}

function pytorchContender(model: ModelName, threads: number): Contender & { blas: string; blasLib?: string } {
  const c = {
    name: `PyTorch CPU (${threads} thr)`, blas: '?', blasLib: '?',
    round(k: number): number[] {
      const out = execFileSync('/usr/bin/python3', [join(here, 'torch_cpu_train.py'), '--threads', String(threads), '--model', model, '--steps', String(k), '--warmup', String(WARM)], { encoding: 'utf8' });
      const r = JSON.parse(out.trim().split('\n').pop()!) as { torch: string; threads: number; blas: string; blasLib: string; ms: number[] };
      c.blas = r.blas; c.blasLib = r.blasLib; c.name = `PyTorch ${r.torch} CPU (${r.threads} thr)`;
      return r.ms;
    },
  };
  return c;
}

/**
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel (the CNN's weight gradient), so without
 * this a tfjs-layers CNN cannot train on it. Stride 1: dW[kh,kw,ci,co] = sum over n,h,w of
 * xpad[n,h+kh,w+kw,ci] dy[n,h,w,co], i.e. wasm's own (XNNPACK) Conv2D of x^T [ci,H,W,n] with dy^T [Ho,Wo,n,co].
 */
function registerConv2DFilterGrad(): void {
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter', backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const run = (name: string, ins: tf.NamedTensorInfoMap, at: tf.NamedAttrMap): tf.TensorInfo => tf.getKernel(name, 'wasm')!.kernelFunc({ inputs: ins, backend, attrs: at }) as tf.TensorInfo;
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const { strides, pad, filterShape } = attrs as { strides: number | [number, number]; pad: 'same' | 'valid'; filterShape: number[] };
      if ([strides].flat().some((s) => s !== 1)) throw new Error('Conv2DBackpropFilter shim: stride 1 only');
      const [kh, kw] = filterShape as [number, number], [h, w] = [x.shape[1]!, x.shape[2]!], [ho, wo] = [dy.shape[1]!, dy.shape[2]!];
      const top = pad === 'same' ? (ho - 1 + kh - h) >> 1 : 0, left = pad === 'same' ? (wo - 1 + kw - w) >> 1 : 0;
      const xt = run('Transpose', { x }, { perm: [3, 1, 2, 0] }), dyt = run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
      const explicit = [[0, 0], [top, kh - 1 + ho - h - top], [left, kw - 1 + wo - w - left], [0, 0]];
      const g = run('Conv2D', { x: xt, filter: dyt }, { strides: [1, 1], pad: explicit, dataFormat: 'NHWC', dilations: [1, 1] } as unknown as tf.NamedAttrMap);
      const out = run('Transpose', { x: g }, { perm: [1, 2, 0, 3] });
      for (const t of [xt, dyt, g]) (backend as { disposeData(id: tf.DataId): boolean }).disposeData(t.dataId);
      return out;
    },
  });
}

/** The same CNN in tfjs-layers (NHWC), one optimizer.minimize step per call: no per-step loss read. */
function tfjsContender(): Contender {
  const m = tfl.sequential({ layers: [
    tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
    tfl.layers.maxPooling2d({ poolSize: 2 }),
    tfl.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
    tfl.layers.maxPooling2d({ poolSize: 2 }),
    tfl.layers.flatten(),
    tfl.layers.dense({ units: 128, activation: 'relu' }),
    tfl.layers.dense({ units: 10 }),
  ] });
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) registerConv2DFilterGrad();
  const opt = tf.train.adam(1e-3);
  const x = tf.randomNormal([64, 28, 28, 1]);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: 64 }, (_, i) => i % 10), 'int32'), 10);
  const step = (): void => {
    tf.tidy(() => { opt.minimize(() => tf.losses.softmaxCrossEntropy(y, m.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, false); });
  };
  timed(step, WARM);
  return { name: `tfjs-wasm (${getThreadsCount()} thr)`, round: (k) => timed(step, k) };
}

/** Rounds of ROUND steps; round i starts at contender i, so load from other processes hits all alike. */
function rounds(cs: Contender[], steps: number): number[][] {
  const ms = cs.map((): number[] => []);
  for (let i = 0, done = 0; done < steps; i++, done += ROUND) {
    const k = Math.min(ROUND, steps - done);
    for (let r = 0; r < cs.length; r++) { const j = (i + r) % cs.length; ms[j]!.push(...cs[j]!.round(k)); }
  }
  return ms;
}

export async function benchTrain(argv: string[]): Promise<void> {
  const opt = (name: string): string | undefined => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
  const threads = Number(opt('--threads') ?? availableParallelism()), steps = Number(opt('--steps') ?? 25);
  const which = opt('--model') ?? 'both';
  const models: ModelName[] = which === 'both' ? ['cnn', 'transformer'] : [which as ModelName];

  await torch.init();
  const t = torch as Threads;
  if (typeof t.setNumThreads === 'function') await t.setNumThreads(threads);
  const torchletThreads = typeof t.getNumThreads === 'function' ? t.getNumThreads() : 1;

  const require = createRequire(import.meta.url);
  setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + '/');
  setThreadsCount(threads);
  await tf.setBackend('wasm');
  await tf.ready();

  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const cpu = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? 'unknown CPU';
  console.log(`node ${process.version}; ${cpu}; ${availableParallelism()} cores; --threads ${threads}`);
  console.log(`threads used: torchlet ${torchletThreads}${typeof t.setNumThreads === 'function' ? '' : ' (no torch.setNumThreads yet)'}, tfjs-wasm ${getThreadsCount()} (tfjs ${tf.version_core}), PyTorch as reported below`);
  console.log(`${steps} timed steps per contender in rounds of ${ROUND}, alternating order; ${WARM} warm-up steps each (PyTorch: per child process)`);

  for (const model of models) {
    const py = pytorchContender(model, threads);
    const cs: Contender[] = [torchletContender(model, torchletThreads), py];
    if (model === 'cnn') cs.push(tfjsContender());
    cs.push(torchletContender(model, torchletThreads, true)); // torch.compile(model), last column
    const ms = rounds(cs, steps);
    const stats = ms.map((m) => [mid(m), Math.min(...m)] as const);
    const title = model === 'cnn' ? 'CNN (npm start Net), batch 64 of 1x28x28, cross-entropy' : 'TransformerEncoderLayer(128, 4, 512), [16, 64, 128], MSE';
    console.log(`\n${title}\n  ${'ms/step'.padEnd(32)} ${'median'.padStart(8)} ${'best'.padStart(8)}`);
    cs.forEach((c, i) => console.log(`  ${c.name.padEnd(32)} ${stats[i]![0].toFixed(1).padStart(8)} ${stats[i]![1].toFixed(1).padStart(8)}`));
    const ratio = (j: number, label: string): void => console.log(`  ${label.padEnd(32)} ${(stats[j]![0] / stats[0]![0]).toFixed(2).padStart(7)}x ${(stats[j]![1] / stats[0]![1]).toFixed(2).padStart(7)}x`);
    ratio(1, 'speed torchlet/PyTorch (>1: ours)');
    if (model === 'cnn') ratio(2, 'speed torchlet/tfjs (>1: ours)');
    const last = cs.length - 1;
    console.log(`  ${'speed compiled/PyTorch (>1: ours)'.padEnd(32)} ${(stats[1]![0] / stats[last]![0]).toFixed(2).padStart(7)}x ${(stats[1]![1] / stats[last]![1]).toFixed(2).padStart(7)}x`);
    const lib = py.blasLib ?? '?';
    console.log(`  (PyTorch BLAS_INFO=${py.blas}${py.blas === 'generic' ? `: Linear/matmul on the system libblas, here ${lib}` +
      (/openblas/.test(lib) ? '' : ' — the slow reference BLAS: `apt-get install libopenblas0-pthread` for a fair comparison') : ''})`);
  }
}
