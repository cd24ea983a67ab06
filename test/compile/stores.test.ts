// torch.compile's stores (src/compile/program.ts: `storeGroup` in fusion, then the `stores` pass):
// an in-place op computes into a temporary and copies it back; the compiled program drops that copy,
// the fused chain computing the value writing the target itself and later members reading the value.
// Checked against the same code run eagerly: a hand-written Adam update (in-place chains on the
// parameter and both moments: one kernel, on every test device), BatchNorm's running statistics in
// training, and reads of the target between the op and its copy (which must see the old value).

import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { testDevices } from '../helpers.js';
import { getBackend } from '../../src/backends/registry.js';

const bits = (t: Tensor) => Array.from(new Uint32Array((t.detach().contiguous().dataSync() as Float32Array).slice().buffer));
const bitsAsync = async (t: Tensor) => Array.from(new Uint32Array((await t.detach().contiguous().data() as Float32Array).slice().buffer));

describe('store pass (in-place ops write their target)', () => {
  for (const device of testDevices()) it(`a hand-written Adam update is one kernel, with the eager values bit for bit (${device})`, async () => {
    torch.manualSeed(2);
    const init = [torch.randn([300]), torch.randn([300]).abs(), torch.randn([300]).abs()].map((t) => t.to(device));
    const grads = [0, 1, 2].map(() => torch.randn([300]).to(device));
    const make = () => init.map((t) => t.clone()) as [Tensor, Tensor, Tensor];
    const update = (p: Tensor, m: Tensor, v: Tensor) => (g: Tensor) => torch.noGrad(() => {
      m.mul_(0.9).add_(g, { alpha: 0.1 });
      v.mul_(0.999).addcmul_(g, g, { value: 0.001 });
      p.addcdiv_(m, v.sqrt().add(1e-8), { value: -0.01 });
    });
    const [pe, me, ve] = make(), [pc, mc, vc] = make();
    const eager = update(pe, me, ve), compiled = torch.compile(update(pc, mc, vc));
    for (const g of grads) { eager(g); compiled(g); }
    const info = compiled.compileInfo.forward!;
    expect(info.stores).toBe(5); // m twice, v twice, p once
    expect(info.kernels).toBe(1); // one elementwise pass over p, m, v and g
    for (const [a, b] of [[pe, pc], [me, mc], [ve, vc]] as const) expect(await bitsAsync(b)).toEqual(await bitsAsync(a));
  });

  it('BatchNorm in training updates its running statistics as eagerly', () => {
    torch.manualSeed(3);
    const a = new torch.nn.BatchNorm1d(8), b = new torch.nn.BatchNorm1d(8);
    b.loadStateDict(a.stateDict());
    const cb = torch.compile(b);
    for (let i = 0; i < 3; i++) {
      const x = torch.randn([16, 8]).mul(i + 1).add(i);
      expect(bits((cb as unknown as { call(x: Tensor): Tensor }).call(x))).toEqual(bits(a.forward(x)));
    }
    expect(bits(b.runningMean!)).toEqual(bits(a.runningMean!));
    expect(bits(b.runningVar!)).toEqual(bits(a.runningVar!));
    expect(Number(b.numBatchesTracked!.dataSync()[0])).toBe(3);
  });

  it('folds a chain of copies once each, where the backend has no fused kernels (cumsum of a 0-d tensor)', () => {
    // Without Backend.fused (as on CUDA) the copies reach the store pass unfused: copy -> copy -> copy.
    const cpu = getBackend('cpu') as { fused?: unknown };
    cpu.fused = undefined;
    try {
      const f = (x: Tensor) => x.cumsum(0).flip(0).mul(1);
      const cf = torch.compile(f);
      for (let i = 0; i < 2; i++) {
        const [xe, xc] = [torch.tensor(0.5).requiresGrad_(), torch.tensor(0.5).requiresGrad_()];
        f(xe).backward(torch.tensor(-1.25));
        cf(xc).backward(torch.tensor(-1.25));
        expect(bits(xc.grad!)).toEqual(bits(xe.grad!));
      }
      expect(cf.compileInfo.backward!.stores).toBeGreaterThan(0);
    } finally {
      delete cpu.fused;
    }
  });

  it('keeps the copy where the target is read between the op and its copy back', () => {
    const f = (x: Tensor) => torch.noGrad(() => {
      const t = x.add(1);
      const s = x.sum(); // reads the old x
      x.copy_(t);
      return x.mul(s);
    });
    const xe = torch.arange(0, 6).float(), xc = xe.clone();
    const cf = torch.compile(f);
    const want = f(xe), got = cf(xc);
    expect(bits(got)).toEqual(bits(want));
    expect(bits(xc)).toEqual(bits(xe));
  });
});
