// The WebGPU backend's fused Adam/AdamW step (shaders/adam.wgsl, Backend.adamStep) against the
// composed update of src/optim/adam.ts on the same device, bit for bit, and against the CPU's fused
// step (within 1e-6 relative): Adam, L2 weight decay, maximize and AdamW over several steps on small
// and large tensors; poison follows what each buffer's update reads; non-dense views are declined.
// Without an adapter: a failure in CI (CI=true), a loud skip elsewhere.
import { describe, expect, it, vi } from 'vitest';
import { ADAM_CONFIGS } from '../optim/adam-configs.js';
import { torch, wavyValues as values } from '../helpers.js';
import type { Device, Tensor } from '../../src/index.js';
import { getBackend } from '../../src/backends/registry.js';
import type { Backend, View } from '../../src/backends/backend.js';

const available = torch.webgpu.isAvailable();
if (!available && process.env.CI !== 'true') console.warn('\n*** WEBGPU NOT AVAILABLE: test/webgpu/adam-fused.test.ts is skipped ***\n');
describe.runIf(!available && process.env.CI === 'true')('webgpu fused Adam in CI', () => {
  it('a WebGPU adapter is available', () => expect.fail('no WebGPU adapter: the fused Adam step was not tested'));
});

type WithAdam = Backend & { adamStep?: unknown };

/** Runs `body` with the device's fused step hidden (an own property shadows the method) unless `fused`. */
async function withFused<T>(device: Device, fused: boolean, body: () => Promise<T>): Promise<T> {
  const be = getBackend(device) as WithAdam, saved = be.adamStep;
  if (!fused) be.adamStep = undefined;
  try { return await body(); } finally {
    if (!fused) delete be.adamStep;
    expect(be.adamStep).toBe(saved);
  }
}

const SHAPES = [[7], [300, 301]];

/** Three optimizer steps with fixed gradients; the bits of every parameter and moment. */
function run(device: Device, make: (ps: Tensor[]) => torch.optim.Optimizer, fused: boolean): Promise<Uint32Array[]> {
  return withFused(device, fused, async () => {
    const ps = SHAPES.map((s, i) => values(s, i + 1, device).requiresGrad_());
    const opt = make(ps);
    for (let s = 0; s < 3; s++) {
      ps.forEach((p, i) => { p.grad = values(p.shape as number[], 10 * s + i + 3, device).mul(s === 1 ? 1e-3 : 1); });
      opt.step();
    }
    const state = ps.flatMap((p) => Object.values(opt.state.get(p) ?? {}).filter((v): v is Tensor => v instanceof torch.Tensor));
    return Promise.all([...ps, ...state].map(async (t) => new Uint32Array((await t.detach().contiguous().data() as Float32Array).buffer)));
  });
}

describe.skipIf(!available)('fused Adam step (WebGPU)', () => {
  const gpu = (): WithAdam => getBackend('webgpu') as WithAdam;
  it('the WebGPU backend has the fused step', () => expect(typeof gpu().adamStep).toBe('function'));

  for (const [name, make] of ADAM_CONFIGS) {
    it(`${name}: bit-identical to the composed update, within 1e-6 of the CPU's fused step`, async () => {
      const want = await run('webgpu', make, false), got = await run('webgpu', make, true), cpu = await run('cpu', make, true);
      expect(got.length).toBe(want.length);
      for (let k = 0; k < want.length; k++) {
        const g = got[k]!, w = want[k]!;
        const bad = w.findIndex((b, i) => b !== g[i]);
        expect(bad, `tensor ${k}: first element differing from the composed update`).toBe(-1);
        const gf = new Float32Array(g.buffer), cf = new Float32Array(cpu[k]!.buffer);
        const far = cf.findIndex((c, i) => !(Math.abs(gf[i]! - c) <= 1e-6 * Math.abs(c) + 1e-30));
        expect(far, `tensor ${k}: first element farther than 1e-6 from the CPU's (${gf[far]} vs ${cf[far]})`).toBe(-1);
      }
    });
  }

  it('one dispatch per parameter instead of the composed chain', async () => {
    const count = (fused: boolean) => withFused('webgpu', fused, async () => {
      const p = values([64], 1, 'webgpu').requiresGrad_(), opt = new torch.optim.Adam([p], { lr: 1e-2 });
      p.grad = values([64], 2, 'webgpu');
      opt.step(); // creates the state
      await p.data();
      // Every kernel goes through the backend's (private) dispatch.
      const spy = vi.spyOn(gpu() as unknown as { dispatch: (...a: unknown[]) => unknown }, 'dispatch');
      try { opt.step(); return spy.mock.calls.length; } finally { spy.mockRestore(); }
    });
    expect(await count(true)).toBe(1);
    expect(await count(false)).toBeGreaterThan(5);
  });

  it('poison: a poisoned parameter taints p (and, with L2 decay, m and v), a poisoned gradient all three, as composed', async () => {
    const outcome = (fused: boolean, wd: number, bad: 'p' | 'g') => withFused('webgpu', fused, async () => {
      // A gather with an out-of-range index poisons its output (flagged on the device, thrown at read).
      const poisoned = (t: Tensor) => t.gather(0, torch.tensor([0, 1, 2, 9], { dtype: 'int32', device: 'webgpu' }));
      const p0 = values([4], 1, 'webgpu'), g0 = values([4], 2, 'webgpu');
      const p = (bad === 'p' ? poisoned(p0) : p0).requiresGrad_();
      const opt = new torch.optim.Adam([p], { lr: 1e-2, weightDecay: wd });
      p.grad = bad === 'g' ? poisoned(g0) : g0;
      opt.step();
      const s = opt.state.get(p)!;
      return Promise.all([p, s.expAvg as Tensor, s.expAvgSq as Tensor].map((t) => t.detach().data().then(() => 'ok', () => 'poisoned')));
    });
    for (const [wd, bad] of [[0, 'p'], [0.1, 'p'], [0, 'g']] as const) {
      const want = await outcome(false, wd, bad), got = await outcome(true, wd, bad);
      expect(got, `weightDecay ${wd}, poisoned ${bad}`).toEqual(want);
    }
    expect(await outcome(true, 0, 'p')).toEqual(['poisoned', 'ok', 'ok']);
  });

  it('declines views that are not dense, and operands sharing a buffer, writing nothing', async () => {
    const be = gpu() as Backend;
    const t = (n: number) => values([n], n, 'webgpu');
    const p = t(8), g = t(8), m = t(8), v = t(8);
    const before = await Promise.all([p, m, v].map((x) => x.data()));
    const k = { b1: 0.9, a1: 0.1, b2: 0.999, a2: 0.001, c1: -1, c2: -1e-8, decay: 1, wd: 0, maximize: false };
    const strided: View = { ...g.view_(), shape: [4], strides: [2] };
    const half = (x: Tensor): View => ({ ...x.view_(), shape: [4] });
    expect(be.adamStep!(half(p), strided, half(m), half(v), k)).toBe(false);
    expect(be.adamStep!(p.view_(), g.view_(), m.view_(), { ...p.view_(), offset: 0 }, k)).toBe(false);
    const after = await Promise.all([p, m, v].map((x) => x.data()));
    expect(after).toEqual(before);
  });
});
