// `npm run bench -- --compile [--steps 15] [--device cpu|webgpu|both]`: training steps (forward,
// backward, Adam) of a TransformerEncoderLayer (d=128, 4 heads, ff 512, seq 64, batch 16) and of a
// Linear/LayerNorm/GELU MLP (width 512, batch 256), eager against torch.compile(model) and against a
// compiled function of model and loss (the whole forward, as a compiled training step has it), with
// the number of kernels each step launches. Alternating rounds, median step time.

import * as torch from '../src/index.js';
import { realBackend } from '../src/backends/registry.js';
import type { Backend, Device } from '../src/backends/backend.js';
import type { Tensor } from '../src/index.js';

const F = torch.nn.functional;
type ModelName = 'transformer' | 'mlp';

const KERNELS = ['fill', 'arange', 'copy', 'unary', 'binary', 'where', 'reduce', 'scan', 'matmul', 'matmulEpilogue', 'im2col', 'col2im', 'gather', 'scatter', 'argsort', 'random', 'adamStep', 'fused'] as const;
/** Counts kernel launches on a device's backend (eager and compiled code both call these methods). */
function countKernels(device: Device): { n: number } {
  const b = realBackend(device) as unknown as Record<string, unknown>;
  const c = { n: 0 };
  for (const k of KERNELS) {
    const f = b[k];
    if (typeof f !== 'function') continue;
    b[k] = function (this: Backend, ...a: unknown[]) { c.n++; return (f as (...x: unknown[]) => unknown).apply(this, a); };
  }
  return c;
}

/** How the step runs: eager, the model compiled (loss eager), or model and loss compiled as one function. */
type Mode = 'eager' | 'model' | 'model+loss';

function build(model: ModelName, device: Device, mode: Mode) {
  torch.manualSeed(0);
  const net: torch.nn.Module = model === 'transformer'
    ? new torch.nn.TransformerEncoderLayer(128, 4, { dimFeedforward: 512, dropout: 0, batchFirst: true })
    : new torch.nn.Sequential(new torch.nn.Linear(512, 512), new torch.nn.LayerNorm(512), new torch.nn.GELU(),
      new torch.nn.Linear(512, 512), new torch.nn.LayerNorm(512), new torch.nn.GELU(), new torch.nn.Linear(512, 512));
  net.to(device);
  const opt = new torch.optim.Adam(net.parameters(), { lr: 1e-3 });
  const m = (mode === 'model' ? torch.compile(net) : net) as unknown as { call(x: Tensor): Tensor };
  const lossOf = (a: Tensor, t: Tensor) => F.mseLoss(m.call(a), t);
  const forward = mode === 'model+loss' ? torch.compile(lossOf) : lossOf;
  const x = model === 'transformer' ? torch.randn([16, 64, 128], { device }) : torch.randn([256, 512], { device });
  const y = torch.randn(x.shape, { device });
  return async () => {
    opt.zeroGrad();
    const loss = forward(x, y);
    loss.backward();
    opt.step();
    if (device !== 'cpu') await loss.item();
  };
}

export async function benchCompile(argv: string[]): Promise<void> {
  await torch.init();
  const at = (k: string) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : undefined; };
  const steps = Number(at('--steps') ?? 15);
  const dev = at('--device') ?? 'both';
  const devices: Device[] = (dev === 'both' ? ['cpu', 'webgpu'] : [dev]).filter((d) => d === 'cpu' || torch.webgpu.isAvailable()) as Device[];
  console.log(`torch.compile vs eager: training step (forward, backward, Adam), median of ${steps} alternating rounds; threads ${torch.getNumThreads()}`);
  if (torch.webgpu.isAvailable()) console.log(`WebGPU adapter: ${torch.webgpu.info()!.adapter}`);
  for (const device of devices) {
    const counter = countKernels(device);
    for (const model of ['transformer', 'mlp'] as ModelName[]) {
      const modes: Mode[] = ['eager', 'model', 'model+loss'];
      const runs = modes.map((md) => build(model, device, md));
      const kernels: number[] = [];
      // Warm-up to the steady state: on the CPU, a step that lands in never-touched WebAssembly memory
      // pays a page fault per 4 KiB (~7 us each on the 2-core VM), which lasts until the allocator's
      // high-water mark settles (~80 steps of these models; a training run is past it within seconds).
      const warm = device === 'cpu' ? 80 : 3;
      for (const s of runs) { for (let i = 0; i < warm; i++) await s(); counter.n = 0; await s(); kernels.push(counter.n); }
      const ts: number[][] = runs.map(() => []);
      for (let i = 0; i < steps; i++) {
        for (const [k, s] of runs.entries()) {
          const t0 = performance.now();
          await s();
          ts[k]!.push(performance.now() - t0);
        }
      }
      const med = ts.map((a) => a.sort((p, q) => p - q)[a.length >> 1]!);
      const title = model === 'transformer' ? 'TransformerEncoderLayer(128, 4, 512) [16, 64, 128]' : 'MLP 3x Linear(512)+LayerNorm+GELU, batch 256';
      console.log(`${device.padEnd(7)} ${title.padEnd(54)} eager ${med[0]!.toFixed(1).padStart(7)} ms  compiled ${med[1]!.toFixed(1).padStart(7)} ms  ` +
        `speedup ${(med[0]! / med[1]!).toFixed(2)}x  kernels/step ${kernels[0]} -> ${kernels[1]}`);
      console.log(`${''.padEnd(7)} ${'  model and loss compiled as one function'.padEnd(54)} ${''.padEnd(16)}  compiled ${med[2]!.toFixed(1).padStart(7)} ms  ` +
        `speedup ${(med[0]! / med[2]!).toFixed(2)}x  kernels/step ${kernels[0]} -> ${kernels[2]}`);
    }
  }
}
