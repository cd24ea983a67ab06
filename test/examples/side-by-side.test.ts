// The side-by-side example (examples/side-by-side): the torchlet script, started from the init.pt that
// PyTorch wrote, reproduces the per-step losses PyTorch printed (losses-pytorch.json, regenerate with
// /usr/bin/python3 examples/side-by-side/train.py) within float32 tolerance, on every test device.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testDevices } from '../helpers.js';
import { train } from '../../examples/side-by-side/train.js';

const ref = JSON.parse(readFileSync(new URL('../../examples/side-by-side/losses-pytorch.json', import.meta.url), 'utf8')) as { losses: number[] };

describe('examples/side-by-side', () => {
  for (const device of testDevices()) {
    it(`matches PyTorch's losses step by step (${device})`, async () => {
      // Off the CPU the first 100 steps suffice: software WebGPU (SwiftShader) takes ~0.2 s a step.
      const steps = device === 'cpu' ? ref.losses.length : 100;
      const losses = await train({ device, steps, log: () => {} });
      expect(losses.length).toBe(steps);
      // Rounding differences (summation order in matmul, exp/log) grow slowly over 200 Adam steps:
      // the CPU backend stays within ~1e-6 (1e-5 allowed), WebGPU's builtins within 1e-4; both far
      // below the gap a wrong gradient or optimizer step would open.
      let worst = 0;
      for (let s = 0; s < losses.length; s++) worst = Math.max(worst, Math.abs(losses[s]! - ref.losses[s]!) / Math.max(Math.abs(ref.losses[s]!), 1e-2));
      expect(worst).toBeLessThan(device === 'cpu' ? 1e-5 : 1e-4);
      expect(losses.at(-1)!).toBeLessThan(ref.losses[0]! / (device === 'cpu' ? 10 : 2));
    }, 120_000);
  }
});
