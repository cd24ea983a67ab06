// WebGPU benchmark: matmul GFLOPS (square sizes), one training step of the examples' Fashion-MNIST
// CNN (conv16-conv32-fc128, batch 64, SGD with momentum) and per-op dispatch overhead. Plain ESM
// JavaScript so it runs where only Node and dist/ exist (the GPU machine, bench/gpu.sh):
//   node bench/webgpu.mjs [--sizes 1024,2048,4096] [--steps 10] [--chain 1000] [--json]
//     [--dtypes float32,float16] [--kernel auto|subgroup|tiled|cpu] [--verify] [--tuning '{"rm":4,"rn":2}']
// (imports ../dist/torchlet.js), or through `npm run bench -- --device webgpu` (src/ via tsx).
// --kernel picks the matmul kernel (TORCHLET_WEBGPU_MATMUL, read when the backend is created):
// 'subgroup' runs the subgroup-matrix (tensor core) kernel on every float16/float32 matmul the
// adapter has a config for (the tiled kernels otherwise: the result's `subgroupMatrix` says whether
// the adapter has the feature at all), 'tiled' never (nor the CPU adapters' kernel), 'cpu' the CPU
// adapters' register-tiled kernel on any adapter (TORCHLET_WEBGPU_CPU_MATMUL). --verify checks sampled rows of each product
// against the CPU backend's float32 matmul of the same values. --chain 0 skips the overhead section.
// --tuning: the subgroup kernel's block shape (SubgroupMatmulTuning in src/backends/webgpu/subgroup_matmul.ts:
// subgroups, rm, rn, kSteps), through TORCHLET_WEBGPU_SUBGROUP_TUNING.
// GPU time comes from timestamp queries where the device has them, else from wall time around
// torch.webgpu.synchronize() (onSubmittedWorkDone); both are printed when available.

import { fileURLToPath } from 'node:url';

/** @param {string[]} argv */
export function parseArgs(argv) {
  const get = (name, def) => { const i = argv.indexOf(`--${name}`); return i >= 0 && argv[i + 1] ? argv[i + 1] : def; };
  return {
    sizes: get('sizes', '1024,2048,4096').split(',').map(Number),
    steps: Number(get('steps', '10')),
    chain: Number(get('chain', '1000')),
    json: argv.includes('--json'),
    dtypes: get('dtypes', 'float32').split(','),
    kernel: get('kernel', 'auto'),
    verify: argv.includes('--verify'),
    tuning: get('tuning', ''),
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * Runs fn `runs` times after `warm` warm-ups; per run: wall ms until the GPU is idle, and summed
 * kernel ms from timestamp queries (null without them). Returns the medians.
 */
async function timeGPU(torch, fn, warm, runs) {
  for (let i = 0; i < warm; i++) { fn(); await torch.webgpu.synchronize(); }
  const wall = [], gpu = [];
  let kernels = 0;
  for (let i = 0; i < runs; i++) {
    const timed = torch.webgpu.beginKernelTiming();
    const t0 = performance.now();
    fn();
    await torch.webgpu.synchronize();
    wall.push(performance.now() - t0);
    const k = await torch.webgpu.endKernelTiming();
    if (timed && k) { gpu.push(k.ms); kernels = k.kernels; }
  }
  return { wall: median(wall), gpu: gpu.length ? median(gpu) : null, kernels };
}

/** The CNN of examples/train-fashion-mnist.ts (also bench/gpu-bench.mjs's). */
export function makeNet(torch) {
  const { nn } = torch;
  class Net extends nn.Module {
    features = new nn.Sequential(
      new nn.Conv2d(1, 16, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Conv2d(16, 32, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    );
    classifier = new nn.Sequential(new nn.Flatten(), new nn.Linear(32 * 7 * 7, 128), new nn.ReLU(), new nn.Linear(128, 10));
    forward(x) { return this.classifier.forward(this.features.forward(x)); }
  }
  return new Net();
}

/**
 * @param {typeof import('../src/index.js')} torch  the library (dist/ or src/)
 * @param {ReturnType<typeof parseArgs>} opts
 */
export async function benchWebGPU(torch, opts) {
  if (!['auto', 'subgroup', 'tiled', 'cpu'].includes(opts.kernel)) throw new Error(`bench --device webgpu: --kernel ${opts.kernel}: expected auto, subgroup, tiled or cpu`);
  if (opts.kernel === 'subgroup' || opts.kernel === 'tiled') process.env.TORCHLET_WEBGPU_MATMUL = opts.kernel;
  if (opts.kernel === 'cpu' || opts.kernel === 'tiled') process.env.TORCHLET_WEBGPU_CPU_MATMUL = opts.kernel === 'cpu' ? '1' : '0';
  if (opts.tuning) process.env.TORCHLET_WEBGPU_SUBGROUP_TUNING = opts.tuning;
  await torch.init();
  const info = torch.webgpu.info();
  if (!info) throw new Error('bench --device webgpu: no WebGPU adapter found');
  const res = {
    adapter: info.adapter, timestampQuery: info.timestampQuery, subgroupMatrix: info.subgroupMatrix === true, kernel: opts.kernel, tuning: opts.tuning,
    overhead: {}, matmul: [], train: null,
  };
  const log = opts.json ? () => {} : (s) => console.log(s);
  log(`webgpu adapter: ${info.adapter}; kernel timing: ${info.timestampQuery ? 'timestamp-query' : 'wall time around onSubmittedWorkDone'}`);

  log(`matmul kernel: ${opts.kernel}; subgroup matrices (tensor cores): ${res.subgroupMatrix ? 'yes' : 'not on this adapter'}`);

  // Per-op overhead: enqueue cost of a 1-element add (no grad, result disposed), the same with the
  // GPU drained after each op, and a chain of small dependent ops followed by one read.
  const x = torch.tensor([1], { dtype: 'float32', device: 'webgpu' }), y = torch.tensor([2], { dtype: 'float32', device: 'webgpu' });
  if (opts.chain > 0) await torch.noGrad(async () => {
    for (let i = 0; i < 50; i++) torch.add(x, y).dispose();
    await torch.webgpu.synchronize();
    const n = 2000;
    let t0 = performance.now();
    for (let i = 0; i < n; i++) torch.add(x, y).dispose();
    const enqueue = (performance.now() - t0) * 1000 / n;
    await torch.webgpu.synchronize();
    const throughput = (performance.now() - t0) * 1000 / n;
    const m = 50;
    t0 = performance.now();
    for (let i = 0; i < m; i++) { const z = torch.add(x, y); await z.data(); z.dispose(); }
    const roundTrip = (performance.now() - t0) * 1000 / m;
    const chainRuns = [];
    for (let r = 0; r < 5; r++) {
      t0 = performance.now();
      let z = x.clone();
      for (let i = 0; i < opts.chain; i++) { const next = z.mul(1.0001).add(1); z.dispose(); z = next; }
      await z.data();
      z.dispose();
      chainRuns.push(performance.now() - t0);
    }
    const chain = median(chainRuns);
    res.overhead = { addEnqueueUs: enqueue, addThroughputUs: throughput, addReadRoundTripUs: roundTrip, chainOps: 2 * opts.chain, chainMs: chain, chainPerOpUs: chain * 1000 / (2 * opts.chain) };
    log('per-op overhead (1-element float32 tensors, no grad)');
    log(`  add, enqueue only            ${enqueue.toFixed(1).padStart(9)} us/op`);
    log(`  add, incl. GPU execution     ${throughput.toFixed(1).padStart(9)} us/op   (2000 adds, then synchronize)`);
    log(`  add + await data()           ${roundTrip.toFixed(1).padStart(9)} us/op   (one GPU round trip each)`);
    log(`  chain of ${2 * opts.chain} ops, one read   ${chain.toFixed(1).padStart(9)} ms      = ${(chain * 1000 / (2 * opts.chain)).toFixed(1)} us/op`);
  });

  for (const dtype of opts.dtypes) {
    log(`matmul ${dtype} (square), median        wall ms   kernel ms    GFLOPS (kernel | wall)${opts.verify ? '   max rel err' : ''}`);
    for (const n of opts.sizes) {
      const a = torch.randn([n, n], { device: 'webgpu', dtype }), b = torch.randn([n, n], { device: 'webgpu', dtype });
      const flop = 2 * n ** 3;
      const runs = n >= 2048 ? 10 : n >= 512 ? 20 : 5;
      const t = await torch.noGrad(() => timeGPU(torch, () => torch.matmul(a, b).dispose(), 2, runs));
      const err = opts.verify ? await torch.noGrad(() => verifyRows(torch, a, b)) : null;
      a.dispose(); b.dispose();
      const gWall = flop / t.wall / 1e6, gKern = t.gpu ? flop / t.gpu / 1e6 : null;
      res.matmul.push({ n, dtype, wallMs: t.wall, kernelMs: t.gpu, gflopsKernel: gKern, gflopsWall: gWall, maxRelErr: err });
      log(`  ${`${n}x${n}x${n}`.padEnd(20)} ${t.wall.toFixed(3).padStart(18)} ${(t.gpu?.toFixed(3) ?? '-').padStart(11)}  ${(gKern?.toFixed(1) ?? '-').padStart(10)} | ${gWall.toFixed(1)}${err === null ? '' : `   ${err.toExponential(2)}`}`);
    }
  }

  if (opts.steps > 0) {
    torch.manualSeed(0);
    const model = makeNet(torch).to('webgpu');
    const opt = new torch.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
    const xb = torch.randn([64, 1, 28, 28], { device: 'webgpu' });
    const yb = torch.tensor(Array.from({ length: 64 }, (_, i) => i % 10), { dtype: 'int32', device: 'webgpu' });
    const step = () => torch.tidy(() => {
      const loss = torch.nn.functional.crossEntropy(model.forward(xb), yb);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
    const t = await timeGPU(torch, step, 2, opts.steps);
    res.train = { batch: 64, wallMs: t.wall, kernelMs: t.gpu, kernels: t.kernels };
    log('training step, Fashion-MNIST CNN (conv16-conv32-fc128), batch 64, SGD momentum, median');
    log(`  wall ${t.wall.toFixed(2)} ms/step; kernels ${t.gpu?.toFixed(2) ?? '-'} ms/step (${t.kernels} kernels per step)`);
  }
  if (opts.json) console.log(JSON.stringify(res));
  return res;
}

/**
 * Max |gpu - cpu| / max |cpu| over sampled rows (first, second, middle, last) of a @ b: the CPU
 * backend's float32 matmul of the same (float16-rounded, if so) values is the reference, so a wrong
 * tile, edge or transpose in the kernel under test shows as an error near 1; float16 rounding of the
 * output alone stays below 1e-3.
 */
async function verifyRows(torch, a, b) {
  const n = a.shape[0], rows = [...new Set([0, 1, n >> 1, n - 1])];
  const bc = (await torch.toAsync(b, 'cpu')).float();
  const got = torch.matmul(a, b);
  let worst = 0;
  for (const r of rows) {
    const ref = torch.matmul((await torch.toAsync(a.narrow(0, r, 1), 'cpu')).float(), bc);
    const g = await got.narrow(0, r, 1).float().data(), e = await ref.data();
    let scale = 0, diff = 0;
    for (let j = 0; j < e.length; j++) { scale = Math.max(scale, Math.abs(e[j])); diff = Math.max(diff, Math.abs(g[j] - e[j])); }
    worst = Math.max(worst, diff / (scale || 1));
    ref.dispose();
  }
  got.dispose(); bc.dispose();
  return worst;
}

// Run directly (node bench/webgpu.mjs): against the built bundle.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const torch = await import('../dist/torchlet.js');
  await benchWebGPU(torch, parseArgs(process.argv.slice(2)));
  process.exit(0);
}
