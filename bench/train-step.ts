// One training step (forward + backward) of the Fashion-MNIST CNN of examples/ on a batch of 64,
// timed with each CPU kernel set: relaxed SIMD, SIMD128 and the reference TypeScript loops.
// Run: node --experimental-wasm-relaxed-simd --import tsx bench/train-step.ts (median process CPU ms).

import * as torch from '../src/index.js';
import { getBackend } from '../src/backends/registry.js';
import type { WasmBackend } from '../src/backends/wasm/index.js';
import { availableVariants, type SimdVariant } from '../src/backends/wasm/simd.js';
import { Net } from '../examples/train-fashion-mnist.js';

const { nn } = torch;
const F = nn.functional;

await torch.init();
const cpu = getBackend('cpu') as WasmBackend;
const model = new Net();
const x = torch.randn([64, 1, 28, 28]);
const y = torch.tensor(Array.from({ length: 64 }, (_, i) => i % 10), { dtype: 'int32' });

function step(): void {
  torch.tidy(() => {
    const loss = F.crossEntropy(model.forward(x), y);
    model.zeroGrad();
    loss.backward();
  });
}

for (const k of [...availableVariants(), 'reference'] as (SimdVariant | 'reference')[]) {
  cpu.useKernels(k);
  step(); step();
  const ts: number[] = [];
  for (let i = 0; i < 7; i++) {
    const c0 = process.cpuUsage();
    step();
    const c = process.cpuUsage(c0);
    ts.push((c.user + c.system) / 1000);
  }
  ts.sort((a, b) => a - b);
  console.log(`${k.padEnd(10)} train step, batch 64: ${ts[3]!.toFixed(1)} ms (median CPU time)`);
}
