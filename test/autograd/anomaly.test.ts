// Anomaly detection (torch.autograd.detectAnomaly / setDetectAnomaly) against PyTorch 1.13's messages
// (test/fixtures/functional_autograd.json, case 'anomaly'): a backward function producing NaN names
// itself as PyTorch does and the forward call site (this file's line); both forms (guard with `using`
// semantics, and callback) restore the previous mode; nothing is recorded when off. On asynchronous
// devices the error surfaces when the gradient is read.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isSynchronous, testDevices, torch } from '../helpers.js';
import type { Device, Tensor } from '../../src/index.js';

const fx = JSON.parse(readFileSync(new URL('../fixtures/functional_autograd.json', import.meta.url), 'utf8')) as { cases: { anomaly: Record<string, string> } };
const want = fx.cases.anomaly;

/** (x * inf) * 0: MulBackward0 of the inner product returns 0 * inf = NaN for x (PyTorch's case). */
function mulCase(device: Device): { x: Tensor; loss: Tensor } {
  const x = torch.tensor([1], { device, dtype: 'float32' }).requiresGrad_();
  const loss = x.mul(torch.tensor([Infinity], { device })).mul(0).sum(); // forward site of MulBackward0
  return { x, loss };
}

for (const device of testDevices()) {
  describe(`detectAnomaly on ${device}`, () => {
    it("names MulBackward0 and the forward call site (PyTorch's message)", async () => {
      const guard = torch.autograd.detectAnomaly();
      let err: Error | null = null;
      try {
        const { x, loss } = mulCase(device);
        try {
          loss.backward();
          if (!isSynchronous(device)) await x.grad!.data();
        } catch (e) { err = e as Error; }
      } finally { guard[Symbol.dispose](); }
      expect(err, 'backward must fail').not.toBeNull();
      expect(err!.message).toContain(want.mul!);
      expect(err!.message).toContain('Traceback of forward call that caused the error');
      expect(err!.message).toMatch(/anomaly\.test\.ts:\d+/);
    });

    it('SqrtBackward0, callback form', async () => {
      const run = async () => {
        const x = torch.tensor([0], { device, dtype: 'float32' }).requiresGrad_();
        x.sqrt().mul(0).sum().backward();
        await x.grad!.data();
      };
      await expect(torch.autograd.detectAnomaly(run)).rejects.toThrow(want.sqrt!);
      expect(torch.autograd.isAnomalyEnabled()).toBe(false);
    });

    it('off: the NaN gradient is returned, no error', async () => {
      const { x, loss } = mulCase(device);
      loss.backward();
      expect(Number.isNaN((await x.grad!.data())[0])).toBe(true);
    });

    it('checkNan: false records traces but does not check', async () => {
      await torch.autograd.detectAnomaly(async () => {
        const { x, loss } = mulCase(device);
        expect(loss.gradFn!.trace).not.toBeNull();
        loss.backward();
        expect(Number.isNaN((await x.grad!.data())[0])).toBe(true);
      }, { checkNan: false });
    });
  });
}

describe('anomaly mode switches', () => {
  it('setDetectAnomaly sets the mode now and its guard restores it; traces only while on', () => {
    expect(torch.autograd.isAnomalyEnabled()).toBe(false);
    const x = torch.ones(2).requiresGrad_();
    expect(x.mul(2).gradFn!.trace).toBeNull(); // costs nothing when off
    const g = torch.autograd.setDetectAnomaly(true);
    expect(torch.autograd.isAnomalyEnabled()).toBe(true);
    expect(torch.autograd.isAnomalyCheckNanEnabled()).toBe(true);
    const y = x.mul(2);
    expect(y.gradFn!.trace!.some((l) => l.includes('anomaly.test.ts'))).toBe(true);
    g.dispose();
    expect(torch.autograd.isAnomalyEnabled()).toBe(false);
  });
  it('`using _ = detectAnomaly()` is on inside the block and restored after it', () => {
    {
      using _ = torch.autograd.detectAnomaly();
      expect(torch.autograd.isAnomalyEnabled()).toBe(true);
      const x = torch.tensor([1], { dtype: 'float32' }).requiresGrad_();
      expect(() => x.mul(torch.tensor([Infinity])).mul(0).sum().backward()).toThrow("Function 'MulBackward0' returned nan values in its 0th output.");
    }
    expect(torch.autograd.isAnomalyEnabled()).toBe(false);
  });
  it('the callback form restores the mode when fn throws', () => {
    expect(() => torch.autograd.detectAnomaly(() => { throw new Error('boom'); })).toThrow('boom');
    expect(torch.autograd.isAnomalyEnabled()).toBe(false);
  });
  it("other backward errors get the forward call site too (an in-place change of a saved tensor)", () => {
    const x = torch.ones(3).requiresGrad_();
    let err: Error | null = null;
    torch.autograd.detectAnomaly(() => {
      const y = x.mul(2);
      const z = y.exp(); // ExpBackward0 saves its output z
      z.add_(1);
      try { z.sum().backward(); } catch (e) { err = e as Error; }
    });
    expect(err!.message).toContain('modified by an inplace operation');
    expect(err!.message).toContain('Error detected in ExpBackward0. Traceback of forward call that caused the error');
    expect(err!.message).toMatch(/anomaly\.test\.ts:\d+/);
  });
  it('custom Functions are named <Class>Backward', () => {
    class Bad extends torch.autograd.Function {
      static override forward(_ctx: unknown, a: Tensor): Tensor { return a.clone(); }
      static override backward(_ctx: unknown, g: Tensor): Tensor { return g.mul(NaN); }
    }
    const x = torch.ones(1).requiresGrad_();
    expect(() => torch.autograd.detectAnomaly(() => Bad.apply<Tensor>(x).sum().backward()))
      .toThrow("Function 'BadBackward' returned nan values in its 0th output.");
  });
});
