// The CPU backend's fused Adam/AdamW step (wasm/optim.ts, Backend.adamStep) against the composed
// update of src/optim/adam.ts it replaces: parameters and both moment buffers bit for bit after
// several steps, for Adam, L2 weight decay, maximize and AdamW, on tensors small and large enough to
// be cut across the CPU threads.

import { describe, expect, it } from 'vitest';
import { ADAM_CONFIGS } from './adam-configs.js';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { getBackend } from '../../src/backends/registry.js';
import type { Backend } from '../../src/backends/backend.js';

const cpu = getBackend('cpu') as Backend & { adamStep?: unknown };

function values(shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1), v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.sin(i * 12.9898 + seed * 78.233) * (1 + (i % 7));
  return torch.tensor(v).reshape(shape);
}

/** Three optimizer steps with fixed gradients; returns the bits of every parameter and moment. */
function run(make: (ps: Tensor[]) => torch.optim.Optimizer, fused: boolean): number[][] {
  const saved = cpu.adamStep;
  // An own property shadows the backend's method: the optimizer then composes the update.
  if (!fused) (cpu as { adamStep?: unknown }).adamStep = undefined;
  try {
    const ps = [values([7], 1), values([300, 301], 2)].map((t) => t.clone().requiresGrad_());
    const opt = make(ps);
    for (let s = 0; s < 3; s++) {
      ps.forEach((p, i) => { p.grad = values(p.shape as number[], 10 * s + i + 3).mul(s === 1 ? 1e-3 : 1); });
      opt.step();
    }
    const state = ps.flatMap((p) => Object.values(opt.state.get(p) ?? {}).filter((v): v is Tensor => v instanceof torch.Tensor));
    return [...ps, ...state].map((t) => Array.from(new Uint32Array(t.detach().contiguous().dataSync().buffer)));
  } finally {
    if (!fused) delete (cpu as { adamStep?: unknown }).adamStep;
    expect(cpu.adamStep).toBe(saved);
  }
}

describe('fused Adam step (CPU)', () => {
  it('the CPU backend has the fused step', () => expect(typeof cpu.adamStep).toBe('function'));
  for (const [name, make] of ADAM_CONFIGS) {
    it(`${name}: parameters and moments bit-identical to the composed update`, () => {
      const want = run(make, false), got = run(make, true);
      expect(got.length).toBe(want.length);
      for (let k = 0; k < want.length; k++) {
        const g = got[k]!, w = want[k]!;
        const bad = w.findIndex((b, i) => b !== g[i]);
        expect(bad, `tensor ${k}: first differing element`).toBe(-1);
      }
    });
  }
});
