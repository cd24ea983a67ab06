// `npm run bench -- --distributed [--sizes 1,4,16,64] [--iters 5]`: torch.distributed on this
// machine — allReduce bus bandwidth (2(n-1)/n x bytes / time, as nccl-tests reports it) with 2 and 4
// processes beside PyTorch's gloo backend (Debian's python3-torch) in the same run, and the DDP
// training step of a small MLP (global batch 256) against one process on the whole batch.
// Needs the Gloo addon (npm run build:distributed).
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../src/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function runLauncher(n: number, sizes: string, iters: number): Promise<{ world: number; allReduce: Record<string, number>; ddpStep: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', join(root, 'bin/torchlet.mjs'), 'run', '--standalone', '--nproc-per-node', String(n),
      join(root, 'bench/distributed-worker.ts'), sizes, String(iters)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) reject(new Error(`torchlet run exited with ${code}:\n${out}`));
      else resolve(JSON.parse(line.slice(7)) as { world: number; allReduce: Record<string, number>; ddpStep: number });
    });
  });
}

function singleProcessStep(): number {
  torch.manualSeed(0);
  const model = new torch.nn.Sequential(new torch.nn.Linear(256, 512), new torch.nn.ReLU(), new torch.nn.Linear(512, 512), new torch.nn.ReLU(), new torch.nn.Linear(512, 10));
  const opt = new torch.optim.SGD(model.parameters(), { lr: 0.01 });
  const x = torch.randn([256, 256]), y = torch.randint(0, 10, [256]);
  const step = () => { opt.zeroGrad(); torch.nn.functional.crossEntropy(model.call(x), y).backward(); opt.step(); };
  for (let i = 0; i < 3; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < 10; i++) step();
  return (performance.now() - t0) / 10;
}

export async function benchDistributed(argv: string[]): Promise<void> {
  const at = (k: string, d: string) => (argv.indexOf(k) >= 0 ? argv[argv.indexOf(k) + 1]! : d);
  const sizes = at('--sizes', '1,4,16,64'), iters = Number(at('--iters', '5'));
  const busBw = (mb: number, ms: number, n: number) => ((2 * (n - 1)) / n) * (mb * 2 ** 20) / (ms / 1000) / 1e9;
  await torch.init();
  torch.setNumThreads(1);
  const one = singleProcessStep();
  console.log(`distributed bench (${sizes} MB, ${iters} iterations; torch.setNumThreads(1) per process)`);
  console.log(`DDP step (MLP 256-512-512-10, global batch 256): 1 process ${one.toFixed(1)} ms`);
  for (const n of [2, 4]) {
    const t = await runLauncher(n, sizes, iters);
    const py = spawnSync('/usr/bin/python3', [join(root, 'bench/torch_gloo_allreduce.py'), String(n), sizes, String(iters), String(29500 + n)], { encoding: 'utf8' });
    const ref = py.status === 0 ? JSON.parse(py.stdout.trim().split('\n').pop()!) as Record<string, number> : null;
    console.log(`\n${n} processes: DDP step ${t.ddpStep.toFixed(1)} ms (${(one / t.ddpStep).toFixed(2)}x one process)`);
    console.log('  size    torchlet allReduce        PyTorch gloo');
    for (const mb of sizes.split(',').map(Number)) {
      const ms = t.allReduce[mb]!, pms = ref?.[String(mb)];
      console.log(`  ${String(mb).padStart(3)} MB  ${ms.toFixed(2).padStart(8)} ms ${busBw(mb, ms, n).toFixed(2).padStart(6)} GB/s   ` +
        (pms === undefined ? '(python3-torch unavailable)' : `${pms.toFixed(2).padStart(8)} ms ${busBw(mb, pms, n).toFixed(2).padStart(6)} GB/s`));
    }
  }
}
