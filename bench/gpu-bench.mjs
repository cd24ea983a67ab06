// The issue #12 targets on one device, for bench/gpu.sh beside bench/torch_gpu_ref.py (same workloads
// in PyTorch CUDA eager): matmul N^3 in float32 (TF32 off), float32 with TF32 (CUDA:
// torch.backends.cuda.matmul.allowTf32) and float16; one training step of the `npm start` CNN
// (batch 64, SGD momentum) and of a transformer encoder layer (d 512, 8 heads, ff 2048, seq 128,
// batch 32, Adam). Plain JavaScript over ../dist/torchlet.js (runs where only Node and dist/ exist):
//   node bench/gpu-bench.mjs --device cuda|webgpu [--n 4096] [--reps 10] [--steps 20] [--json]
// Times: wall clock around enqueued work ended by the device's synchronize(), median of rounds.
import { fileURLToPath } from 'node:url';
import { makeNet as makeCnn } from './webgpu.mjs';

const argv = process.argv.slice(2);
const get = (k, d) => { const i = argv.indexOf(`--${k}`); return i >= 0 && argv[i + 1] ? argv[i + 1] : d; };
const opts = { device: get('device', 'cuda'), n: Number(get('n', '4096')), reps: Number(get('reps', '10')), steps: Number(get('steps', '20')), json: argv.includes('--json') };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** ms per call of fn (enqueue + device time), median over 3 rounds of `reps` after `warm` calls. */
async function timeIt(torch, sync, fn, warm, reps) {
  for (let i = 0; i < warm; i++) fn();
  await sync();
  const rounds = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    await sync();
    rounds.push((performance.now() - t0) / reps);
  }
  return median(rounds);
}

export async function run(torch, o) {
  await torch.init();
  const dev = o.device, isCuda = dev.startsWith('cuda');
  const api = isCuda ? torch.cuda : torch.webgpu;
  if (!api.isAvailable()) throw new Error(`gpu-bench: device '${dev}' is not available: ${api.unavailableReason()}`);
  const sync = () => api.synchronize();
  const res = { device: dev, name: isCuda ? torch.cuda.getDeviceName() : torch.webgpu.info().adapter, n: o.n, matmul: {}, train: {} };
  const log = o.json ? () => {} : (s) => console.log(s);
  log(`torchlet on ${dev} (${res.name})`);

  const flops = 2 * o.n ** 3;
  const cases = [['float32', 'float32', false], ...(isCuda ? [['tf32', 'float32', true]] : []), ['float16', 'float16', false]];
  for (const [label, dtype, tf32] of cases) {
    try {
      if (isCuda) torch.backends.cuda.matmul.allowTf32 = tf32;
      const a = torch.randn([o.n, o.n], { device: dev, dtype }), b = torch.randn([o.n, o.n], { device: dev, dtype });
      const ms = await timeIt(torch, sync, () => torch.noGrad(() => torch.matmul(a, b).dispose()), 2, o.reps);
      res.matmul[label] = { ms, tflops: flops / ms / 1e9 };
      log(`matmul ${o.n}^3 ${label.padEnd(8)} ${ms.toFixed(3).padStart(9)} ms  ${(flops / ms / 1e9).toFixed(1).padStart(7)} TFLOPS`);
      a.dispose(); b.dispose();
    } catch (e) { res.matmul[label] = { error: String(e?.message ?? e) }; log(`matmul ${label}: ERROR ${e?.message ?? e}`); }
  }
  if (isCuda) torch.backends.cuda.matmul.allowTf32 = false;

  try {
    torch.manualSeed(0);
    const model = makeCnn(torch).to(dev);
    const opt = new torch.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
    const x = torch.randn([64, 1, 28, 28], { device: dev });
    const y = torch.tensor(Array.from({ length: 64 }, (_, i) => i % 10), { dtype: 'int32' }).to(dev);
    const step = () => torch.tidy(() => { opt.zeroGrad(); torch.nn.functional.crossEntropy(model.forward(x), y).backward(); opt.step(); });
    const ms = await timeIt(torch, sync, step, 3, o.steps);
    res.train.cnn = { ms };
    log(`train step, npm-start CNN, batch 64, SGD momentum: ${ms.toFixed(3)} ms`);
  } catch (e) { res.train.cnn = { error: String(e?.message ?? e) }; log(`cnn step: ERROR ${e?.message ?? e}`); }

  try {
    torch.manualSeed(0);
    const layer = new torch.nn.TransformerEncoderLayer(512, 8, { dimFeedforward: 2048, dropout: 0, batchFirst: true }).to(dev);
    const opt = new torch.optim.Adam(layer.parameters(), { lr: 1e-4 });
    const x = torch.randn([32, 128, 512], { device: dev });
    const step = () => torch.tidy(() => { opt.zeroGrad(); layer.forward(x).square().mean().backward(); opt.step(); });
    const ms = await timeIt(torch, sync, step, 3, o.steps);
    res.train.transformer = { ms };
    log(`train step, TransformerEncoderLayer(512, 8, ff 2048), batch 32 x seq 128, Adam: ${ms.toFixed(3)} ms`);
  } catch (e) { res.train.transformer = { error: String(e?.message ?? e) }; log(`transformer step: ERROR ${e?.message ?? e}`); }

  if (o.json) console.log(JSON.stringify(res));
  return res;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const torch = await import('../dist/torchlet.js');
  try { await run(torch, opts); } catch (e) { console.error(e?.message ?? e); process.exit(1); }
  process.exit(0); // Dawn keeps the event loop alive
}
