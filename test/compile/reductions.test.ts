// torch.compile's reduction fusion (src/compile/program.ts `prologueGroup`, FusedProgram.reduce): an
// elementwise chain feeding a sum/max becomes the reduction's prologue, and its values that other
// kernels read (softmax's exp, layer norm's centred input) are written by the same kernel as side
// outputs; small broadcast operands (layer norm's mean) are recomputed inside their readers (`sink`);
// on backends whose reduce order ignores strides (WebGPU), a sum over a permuted view fuses too.
// Checked on every test device: the compiled values equal eager's bit for bit, the kernel counts
// drop as stated, and the backend runs every reduction program natively (none declined).

import { afterEach, describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { realBackend } from '../../src/backends/registry.js';
import type { Backend, View } from '../../src/backends/backend.js';
import type { FusedProgram } from '../../src/backends/fused.js';
import { testDevices } from '../helpers.js';

const F = torch.nn.functional;
const bits = async (t: Tensor) => Array.from(new Uint32Array((await t.detach().contiguous().data() as Float32Array).slice().buffer));

/** Records the reduction programs a backend is given, and whether it ran each natively. */
function watch(device: torch.Device): { runs: { outputs: number; ok: boolean }[]; restore: () => void } {
  const b = realBackend(device) as Backend & { fused?: (p: FusedProgram, ins: readonly View[], outs: readonly View[]) => boolean };
  const runs: { outputs: number; ok: boolean }[] = [];
  const orig = b.fused;
  if (!orig) return { runs, restore: () => {} };
  b.fused = function (p, ins, outs) {
    const ok = orig.call(this, p, ins, outs);
    if (p.reduce) runs.push({ outputs: p.outputs.length, ok });
    return ok;
  };
  return { runs, restore: () => { b.fused = orig; } };
}

let restore = () => {};
afterEach(() => restore());

describe('reduction prologues and side outputs', () => {
  for (const device of testDevices()) {
    const fuses = typeof realBackend(device).fused === 'function';

    it(`sum(exp(x)) runs as one kernel, eager's bits (${device})`, async () => {
      torch.manualSeed(1);
      const x = torch.randn([37, 130]).to(device);
      const f = (x: Tensor) => x.exp().sum(-1);
      const cf = torch.compile(f);
      const w = watch(device); restore = w.restore;
      for (let i = 0; i < 2; i++) expect(await bits(cf(x))).toEqual(await bits(f(x)));
      if (!fuses) return;
      expect(cf.compileInfo.forward!.kernels).toBe(1);
      expect(w.runs.length).toBeGreaterThan(0);
      expect(w.runs.every((r) => r.ok && r.outputs === 1)).toBe(true);
    });

    it(`softmax by hand: exp(x - max) written and summed by one kernel (3 kernels), eager's bits (${device})`, async () => {
      torch.manualSeed(2);
      const x = torch.randn([8, 16, 70]).to(device);
      const f = (x: Tensor) => { const e = x.sub(x.amax(-1, true)).exp(); return e.div(e.sum(-1, true)); };
      const cf = torch.compile(f);
      const w = watch(device); restore = w.restore;
      for (let i = 0; i < 2; i++) expect(await bits(cf(x))).toEqual(await bits(f(x)));
      if (!fuses) return;
      expect(cf.compileInfo.forward!.kernels).toBe(3); // amax, the fused sum (exp as a side output), the division
      expect(w.runs.some((r) => r.outputs === 2)).toBe(true);
      expect(w.runs.every((r) => r.ok)).toBe(true);
    });

    it(`layer norm's mean and rstd are recomputed by the kernels that read them broadcast (sink), eager's bits (${device})`, async () => {
      torch.manualSeed(4);
      const x = torch.randn([12, 96]).to(device), w = torch.randn([96]).to(device), b = torch.randn([96]).to(device);
      const f = (x: Tensor) => F.layerNorm(x, [96], w, b);
      const cf = torch.compile(f);
      for (let i = 0; i < 2; i++) expect(await bits(cf(x))).toEqual(await bits(f(x)));
      if (!fuses) return;
      const info = cf.compileInfo.forward!;
      expect(info.sunk).toBeGreaterThan(0);
      // sum; (x - sum / n) written and squared into the variance; x̂ * w + b. The CPU (and WebGPU on a
      // CPU-emulated adapter: Backend.sinkCheapOnly) keeps rsqrt(var / n + eps) a kernel of its own:
      // recomputing it per element costs more than a launch there.
      expect(info.kernels).toBe(realBackend(device).sinkCheapOnly ? 4 : 3);
      expect(realBackend(device).sinkCheapOnly).toBe(device === 'cpu' || (device === 'webgpu' && (realBackend(device) as unknown as { info: { isFallbackAdapter: boolean } }).info.isFallbackAdapter));
    });

    it(`a deep stack of layer norms sinks in every layer as in one, eager's bits (${device})`, async () => {
      torch.manualSeed(6);
      const depth = 12, x = torch.randn([10, 48]).to(device);
      const ws = Array.from({ length: depth }, () => [torch.randn([48]).to(device), torch.randn([48]).to(device)] as const);
      const stack = (n: number) => (x: Tensor) => ws.slice(0, n).reduce((h, [w, b]) => F.layerNorm(h, [48], w, b), x);
      const one = torch.compile(stack(1)), two = torch.compile(stack(2)), deep = torch.compile(stack(depth));
      for (let i = 0; i < 2; i++) expect(await bits(deep(x))).toEqual(await bits(stack(depth)(x)));
      await one(x); await two(x);
      if (!fuses) return;
      const [k1, k2, kd] = [one, two, deep].map((c) => c.compileInfo.forward!);
      expect(k1.sunk).toBeGreaterThan(0);
      expect(kd.sunk).toBe(depth * k1.sunk); // 16 rounds at most used to leave the deep layers unsunk
      // Each layer after the first adds what the second did (its sum joins the previous layer's x̂ * w + b).
      expect(kd.kernels).toBe(k1.kernels + (depth - 1) * (k2.kernels - k1.kernels));
    });

    it(`sinking a long chain into many readers stops at twice the graph, eager's bits (${device})`, async () => {
      torch.manualSeed(7);
      // A chain of 60 ops on [1, 7] read broadcast by 30 kernels of [5, 7]: sinking all of it would
      // copy the chain into every reader (1,800 nodes from ~120).
      const u = torch.randn([1, 7]).to(device), xs = Array.from({ length: 30 }, () => torch.randn([5, 7]).to(device));
      const f = (u: Tensor) => {
        let s = u;
        for (let i = 0; i < 30; i++) s = s.mul(1.01).add(0.5);
        return xs.map((x) => x.mul(s).sum());
      };
      const cf = torch.compile(f);
      for (let i = 0; i < 2; i++) {
        const [got, want] = [cf(u), f(u)];
        for (let j = 0; j < xs.length; j++) expect(await bits(got[j]!)).toEqual(await bits(want[j]!));
      }
      if (!fuses) return;
      const info = cf.compileInfo.forward!;
      expect(info.sunk).toBeGreaterThan(0);
      expect(info.sunk).toBeLessThan(30 * 60);
      expect(info.kernels).toBe(31); // what is left of the chain, then one kernel per reader
    });

    it(`a sum over a leading dim of an elementwise chain (a permuted view) fuses where the reduce order ignores strides (${device})`, async () => {
      torch.manualSeed(5);
      const x = torch.randn([40, 3, 70]).to(device), s = torch.randn([70]).to(device);
      const f = (x: Tensor) => x.mul(s).exp().sum([0, 1]);
      const cf = torch.compile(f);
      const w = watch(device); restore = w.restore;
      for (let i = 0; i < 2; i++) expect(await bits(cf(x))).toEqual(await bits(f(x)));
      if (!fuses) return;
      const logical = realBackend(device).reduceInLogicalOrder === true;
      expect(cf.compileInfo.forward!.kernels).toBe(logical ? 1 : 2);
      expect(w.runs.every((r) => r.ok)).toBe(true);
    });

    it(`layer norm and softmax, forward and backward, eager's bits; every reduction program runs natively (${device})`, async () => {
      torch.manualSeed(3);
      const x0 = torch.randn([6, 24, 40]), wt = torch.randn([40]), bs = torch.randn([40]), g = torch.randn([6, 24, 40]);
      const f = (x: Tensor, w: Tensor, b: Tensor) => F.softmax(F.layerNorm(x, [40], w, b).mul(1.5), -1);
      const run = async (fn: typeof f) => {
        const ps = [x0, wt, bs].map((t) => t.to(device).clone().requiresGrad_()); // fresh leaves: .to(cpu) is the tensor itself
        const y = fn(ps[0]!, ps[1]!, ps[2]!);
        y.backward(g.to(device));
        return [await bits(y), ...(await Promise.all(ps.map((p) => bits(p.grad!))))];
      };
      const cf = torch.compile(f);
      const w = watch(device); restore = w.restore;
      const eager = await run(f);
      for (let i = 0; i < 2; i++) {
        const got = await run(cf);
        got.forEach((v, k) => expect(v, k === 0 ? 'output' : `gradient ${k - 1}`).toEqual(eager[k]));
      }
      if (!fuses) return;
      expect(w.runs.some((r) => r.outputs > 1)).toBe(true);
      expect(w.runs.every((r) => r.ok)).toBe(true);
    });
  }
});
