// torch.amp.GradScaler: a mixed-precision training loop (autocast + scaled loss + SGD) against the
// PyTorch emulation in test/fixtures/amp_fixtures.py (PyTorch 1.13's GradScaler refuses CPU tensors,
// so the fixture applies its rules by hand): losses, which step was skipped (a forced inf input), the
// scale backing off and growing after growthInterval good steps, the final parameters; then
// PyTorch's call-order errors, update(newScale), stateDict round trips and the disabled scaler.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { torch, testDevices, fromEncoded, expectClose, type Encoded } from '../helpers.js';
import type { Device, Tensor } from '../../src/index.js';

interface Step { loss: number | null; skipped: boolean; scale: number; tracker: number }
interface Train {
  init: Encoded[]; xs: Encoded[]; ys: Encoded[]; initScale: number; growthFactor: number; backoffFactor: number;
  growthInterval: number; lr: number; log: Step[]; final: Encoded[];
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/amp.json', import.meta.url), 'utf8')) as { train: Train };
const T = fx.train;
const F = torch.nn.functional;
const { GradScaler } = torch.amp;

function model(device: Device) {
  const m = new torch.nn.Sequential(new torch.nn.Linear(4, 8), new torch.nn.ReLU(), new torch.nn.Linear(8, 3)).to(device);
  const ps = m.parameters();
  torch.noGrad(() => ps.forEach((p, i) => p.copy_(fromEncoded(T.init[i]!, device))));
  return { m, ps };
}

/** One parameter with a gradient of the given values, and an SGD optimizer over it. */
function withGrad(device: Device, values: number[]) {
  const p = torch.zeros([values.length], { device, requiresGrad: true });
  p.grad = torch.tensor(values, { device, dtype: 'float32' });
  return { p, opt: new torch.optim.SGD([p], { lr: 1 }) };
}

describe('torch.amp.GradScaler', () => {
  for (const device of testDevices()) {
    it(`mixed-precision training loop with a skipped inf step, backoff and growth on ${device}`, async () => {
      const { m, ps } = model(device);
      const opt = new torch.optim.SGD(ps, { lr: T.lr });
      const scaler = new GradScaler({ initScale: T.initScale, growthFactor: T.growthFactor, backoffFactor: T.backoffFactor, growthInterval: T.growthInterval });
      expect(await scaler.getScale()).toBe(T.initScale);
      for (let i = 0; i < T.log.length; i++) {
        const want = T.log[i]!;
        opt.zeroGrad();
        const x = fromEncoded(T.xs[i]!, device), y = fromEncoded(T.ys[i]!, device);
        const loss = torch.autocast({ deviceType: device }, () => {
          const logits = m.forward(x);
          expect(logits.dtype).toBe('float16');
          return F.crossEntropy(logits, y);
        });
        expect(loss.dtype).toBe('float32');
        const before = await ps[0]!.data();
        const scaled = scaler.scale(loss);
        expect(scaled.shape).toEqual([1]); // loss * scale, the scale being a 1-element tensor, as in PyTorch
        scaled.backward();
        await scaler.step(opt);
        scaler.update();
        const l = Number(await loss.item());
        if (want.loss === null) expect(Number.isNaN(l), `step ${i}: loss`).toBe(true);
        else expect(Math.abs(l - want.loss), `step ${i}: loss ${l} vs PyTorch ${want.loss}`).toBeLessThan(1e-2 * Math.max(1, Math.abs(want.loss)));
        const after = await ps[0]!.data();
        expect(Array.from(after).every((v, k) => v === before[k]), `step ${i}: skipped`).toBe(want.skipped);
        expect(await scaler.getScale(), `step ${i}: scale`).toBe(want.scale);
        expect((await scaler.stateDict())._growth_tracker, `step ${i}: growth tracker`).toBe(want.tracker);
      }
      for (let i = 0; i < ps.length; i++) await expectClose(ps[i]!, T.final[i]!, { atol: 5e-3, rtol: 1e-2 }, `parameter ${i}`);
    });

    it(`unscale divides the gradients and records infs; growth after growthInterval good steps on ${device}`, async () => {
      const scaler = new GradScaler({ initScale: 4, growthInterval: 3 });
      const { p, opt } = withGrad(device, [8, -4]);
      scaler.scale(torch.ones([], { device }));
      scaler.unscale(opt);
      expect(Array.from(await p.grad!.data())).toEqual([2, -1]);
      await scaler.step(opt); // after unscale: no second unscale, the step runs
      expect(Array.from(await p.data())).toEqual([-2, 1]);
      scaler.update();
      const scales: number[] = [];
      for (let i = 0; i < 4; i++) {
        p.grad = torch.tensor([1, 1], { device, dtype: 'float32' });
        await scaler.step(opt);
        scaler.update();
        scales.push(await scaler.getScale());
      }
      // 1 good step before the loop, then 2 more reach the interval (3): doubled, tracker reset.
      expect(scales).toEqual([4, 8, 8, 8]);
      p.grad = torch.tensor([NaN, 1], { device, dtype: 'float32' });
      const pBefore = Array.from(await p.data());
      await scaler.step(opt);
      scaler.update();
      expect(Array.from(await p.data())).toEqual(pBefore);
      expect(await scaler.getScale()).toBe(4);
    });
  }

  for (const device of testDevices()) {
    it(`PyTorch's loop, step() not awaited, on ${device}: the same steps on the CPU, a clear error where the read is asynchronous`, async () => {
      const train = async (awaitStep: boolean) => {
        torch.manualSeed(5);
        const lin = new torch.nn.Linear(4, 3).to(device);
        const opt = new torch.optim.Adam(lin.parameters(), { lr: 0.1 });
        const scaler = new GradScaler(device, { initScale: 1024, growthInterval: 2 });
        const x = torch.randn([8, 4]).to(device);
        const inf = torch.tensor([Infinity, 0, 0, 0]).to(device);
        for (let i = 0; i < 6; i++) {
          opt.zeroGrad();
          // Step 2's input holds an inf: its gradients are not finite, so that step is skipped and the scale backs off.
          scaler.scale(lin.forward(i === 2 ? x.add(inf) : x).pow(2).mean()).backward();
          if (awaitStep) await scaler.step(opt); else void scaler.step(opt);
          scaler.update();
        }
        return { w: Array.from(await lin.weight.data()), scale: await scaler.getScale() };
      };
      const ref = await train(true);
      if (device === 'cpu') {
        expect(await train(false)).toEqual(ref);
        expect(ref.scale).toBe(1024 * 2 * 0.5 * 2); // grown after steps 0-1, backed off at 2, grown after 3-4
      } else {
        await expect(train(false)).rejects.toThrow(new RegExp(`GradScaler\\.update\\(\\) was called before the previous step\\(\\) finished: on '${device}' .*await scaler\\.step\\(optimizer\\)`));
      }
    });
  }

  it("PyTorch's positional device (torch.amp.GradScaler('cuda', ...)) is accepted and checked", async () => {
    const scaler = new GradScaler('cpu', { initScale: 8 });
    const { opt, p } = withGrad('cpu', [1, 2]);
    scaler.scale(p.sum()).backward();
    await scaler.step(opt);
    scaler.update();
    expect(await scaler.getScale()).toBe(8);
    expect(() => new GradScaler('tpu' as never)).toThrow(/GradScaler: expected deviceType to be one of/);
    expect(() => new GradScaler('cpu', { init_scale: 2 } as never)).toThrow(/unknown option 'init_scale' \(did you mean 'initScale'\?\)/);
  });

  it("PyTorch's errors for calls out of order", async () => {
    const { opt } = withGrad('cpu', [1, 2]);
    const scaler = new GradScaler();
    await expect(scaler.step(opt)).rejects.toThrow('Attempted step but _scale is None.  This may indicate your script did not use scaler.scale(loss or outputs) earlier in the iteration.');
    expect(() => scaler.update()).toThrow('Attempted update but _scale is None.');
    scaler.scale(torch.ones([]));
    expect(() => scaler.update()).toThrow('No inf checks were recorded prior to update.');
    scaler.unscale(opt);
    expect(() => scaler.unscale_(opt)).toThrow('unscale_() has already been called on this optimizer since the last update().');
    await scaler.step(opt);
    await expect(scaler.step(opt)).rejects.toThrow('step() has already been called since the last update().');
    expect(() => scaler.unscale(opt)).toThrow('unscale_() is being called after step().');
    scaler.update();
    await expect(scaler.step(opt, () => 0)).rejects.toThrow('Closure use is not currently supported if GradScaler is enabled.');
    const half = torch.zeros([2], { dtype: 'float16', requiresGrad: true });
    half.grad = torch.ones([2], { dtype: 'float16' });
    expect(() => scaler.unscale(new torch.optim.SGD([half], { lr: 1 }))).toThrow('Attempting to unscale FP16 gradients.');
  });

  it('update(newScale), stateDict/loadStateDict and the disabled scaler', async () => {
    const scaler = new GradScaler({ initScale: 8, growthInterval: 5 });
    scaler.scale(torch.ones([]));
    scaler.update(32);
    expect(await scaler.getScale()).toBe(32);
    scaler.update(torch.tensor([2], { dtype: 'float32' }));
    expect(await scaler.getScale()).toBe(2);
    expect(() => scaler.update(torch.tensor([2], { dtype: 'float32', requiresGrad: true }))).toThrow(/new_scale should be a float or a 1-element/);
    const sd = await scaler.stateDict();
    expect(sd).toEqual({ scale: 2, growth_factor: 2, backoff_factor: 0.5, growth_interval: 5, _growth_tracker: 0 });
    const other = new GradScaler();
    other.loadStateDict(sd);
    expect(await other.getScale()).toBe(2);
    expect(other.getGrowthInterval()).toBe(5);
    const scaled = other.scale(torch.tensor(3));
    expect(Array.from(await scaled.data())).toEqual([6]);
    expect(() => other.loadStateDict({})).toThrow('The source state dict is empty, possibly because it was saved from a disabled instance of GradScaler.');

    const off = new GradScaler({ enabled: false });
    const loss = torch.tensor(3);
    expect(off.scale(loss)).toBe(loss);
    expect(await off.getScale()).toBe(1);
    expect(await off.stateDict()).toEqual({});
    const { p, opt } = withGrad('cpu', [1, 1]);
    await off.step(opt);
    expect(Array.from(p.dataSync())).toEqual([-1, -1]);
    off.update();
  });

  it('an autocast step leaves no more live tensors than an eager one (casts are freed with the graph)', () => {
    // Synchronous steps: nothing reaches the collector in between, so the counts compare exactly.
    const { m, ps } = model('cpu');
    const opt = new torch.optim.SGD(ps, { lr: 1e-3 });
    const x = fromEncoded(T.xs[0]!, 'cpu'), y = fromEncoded(T.ys[0]!, 'cpu');
    const step = (amp: boolean): number => {
      const before = torch.memory('cpu').tensors;
      opt.zeroGrad();
      const loss = torch.autocast({ deviceType: 'cpu', enabled: amp }, () => F.crossEntropy(m.forward(x), y));
      loss.backward();
      opt.step();
      return torch.memory('cpu').tensors - before;
    };
    step(false); step(true); // warm-up: .grad tensors exist from here on
    expect(step(true)).toBe(step(false));
  });

  it('scale() keeps the nesting of a list of outputs', () => {
    const scaler = new GradScaler({ initScale: 2 });
    const out = scaler.scale([torch.tensor(1), [torch.tensor(2)]]) as [Tensor, [Tensor]];
    expect(out[0].dataSync()[0]).toBe(2);
    expect(out[1][0].dataSync()[0]).toBe(4);
  });
});
