// Activation checkpointing (torch.utils.checkpoint): one training step of a deep residual MLP, plain,
// with every block checkpointed, and with checkpointSequential, reporting torch.memory's allocatedBytes
// above the model and input: what the forward holds for backward, and the peak over the step (sampled
// after every layer's forward, the recomputations in backward included, and after backward, so the
// gradients count), and the step time. The sum of |grad| shows the three give the same gradients.
// Run: npm run bench -- --checkpoint [--device webgpu] [--depth 16] [--width 256] [--batch 256] [--steps 3]

import * as torch from '../src/index.js';
import type { Device, Tensor } from '../src/index.js';
import { reclaim } from '../src/memory.js';

const nn = torch.nn;
const { checkpoint, checkpointSequential } = torch.utils.checkpoint;

class Block extends nn.Module {
  fc1: InstanceType<typeof nn.Linear>;
  fc2: InstanceType<typeof nn.Linear>;
  constructor(width: number) { super(); this.fc1 = new nn.Linear(width, width * 2); this.fc2 = new nn.Linear(width * 2, width); }
  forward(x: Tensor): Tensor { return x.add(this.fc2.call(torch.nn.functional.gelu(this.fc1.call(x)))); }
}

type Mode = 'plain' | 'checkpoint per block' | 'checkpointSequential(4)';

async function step(device: Device, mode: Mode, depth: number, width: number, batch: number): Promise<{ heldMb: number; peakMb: number; ms: number; gradSum: number }> {
  torch.manualSeed(0);
  const blocks = new nn.Sequential(...Array.from({ length: depth }, () => new Block(width))).to(device);
  const x = torch.randn([batch, width]).to(device);
  let peak = 0;
  const sample = () => { peak = Math.max(peak, torch.memory(device).allocatedBytes); };
  for (const m of blocks.modules()) if (m instanceof nn.Linear) m.registerForwardHook(() => { sample(); });
  // Earlier runs' garbage is collected first, so the figures count this step's tensors only.
  reclaim();
  await new Promise((r) => setTimeout(r, 0));
  const base = torch.memory(device).allocatedBytes;
  const t0 = performance.now();
  let out: Tensor;
  if (mode === 'plain') out = blocks.call(x);
  else if (mode === 'checkpoint per block') out = [...blocks.children()].reduce((h, b) => checkpoint((t: Tensor) => (b as Block).call(t), h), x);
  else out = checkpointSequential(blocks, 4, x);
  const loss = out.pow(2).mean();
  sample();
  const held = torch.memory(device).allocatedBytes - base; // what the step keeps for backward
  loss.backward();
  sample();
  const gradSum = await blocks.parameters().reduce((s, p) => s.add(p.grad!.abs().sum()), torch.zeros([], { device })).item() as number;
  const ms = performance.now() - t0;
  return { heldMb: held / 2 ** 20, peakMb: (peak - base) / 2 ** 20, ms, gradSum };
}

/** Prints peak memory and time per mode (median time of `steps` runs, peak of the last). */
export async function benchCheckpoint(argv: string[]): Promise<void> {
  await torch.init();
  const at = (k: string, d: number) => { const i = argv.indexOf(k); return i >= 0 ? Number(argv[i + 1]) : d; };
  const dAt = argv.indexOf('--device');
  const device = (dAt >= 0 ? argv[dAt + 1] : 'cpu') as Device;
  const depth = at('--depth', 16), width = at('--width', 256), batch = at('--batch', 256), steps = at('--steps', 3);
  console.log(`checkpointing: ${depth} residual blocks (${width} -> ${2 * width} -> ${width}, GELU), batch ${batch}, ${device}`);
  console.log('mode                       held after forward MB   peak MB   ms/step   sum|grad|');
  for (const mode of ['plain', 'checkpoint per block', 'checkpointSequential(4)'] as Mode[]) {
    const runs = [];
    for (let i = 0; i < steps; i++) runs.push(await step(device, mode, depth, width, batch));
    const ms = runs.map((r) => r.ms).sort((a, b) => a - b)[runs.length >> 1]!;
    const r = runs[runs.length - 1]!;
    console.log(`${mode.padEnd(26)} ${r.heldMb.toFixed(1).padStart(22)}  ${r.peakMb.toFixed(1).padStart(8)}  ${ms.toFixed(0).padStart(8)}   ${r.gradSum.toPrecision(7)}`);
  }
}

if (process.argv[1]?.endsWith('checkpoint.ts')) {
  await benchCheckpoint(process.argv.slice(2));
  process.exit(0); // Dawn keeps the event loop alive
}
