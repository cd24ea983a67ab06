// Grad-mode switches as callbacks and as disposables (`using _ = torch.noGrad()`, PyTorch's `with`),
// setGradEnabled as a global setter, and backward's PyTorch argument forms
// (`backward(opts)`, `backward(g, opts)`, torch.autograd.backward(t, opts)), on every device.
// Expected gradients are hand-derived (d/dx sum(x^2) = 2x).
import { afterEach, describe, expect, it } from 'vitest';
import { testDevices, torch } from '../helpers.js';

afterEach(() => { torch.setGradEnabled(true); });

describe.each(testDevices())('grad mode on %s', (device) => {
  const leaf = () => torch.tensor([1, 2, 3], { device, dtype: 'float32', requiresGrad: true });

  it('noGrad / enableGrad / inferenceMode / setGradEnabled take a callback and restore the mode', () => {
    const x = leaf();
    expect(torch.noGrad(() => x.mul(2).requiresGrad)).toBe(false);
    expect(torch.inferenceMode(() => x.mul(2).requiresGrad)).toBe(false);
    expect(torch.setGradEnabled(false, () => x.mul(2).requiresGrad)).toBe(false);
    expect(torch.noGrad(() => torch.enableGrad(() => x.mul(2).requiresGrad))).toBe(true);
    expect(torch.noGrad(() => torch.inferenceMode(false, () => x.mul(2).requiresGrad))).toBe(true);
    expect(torch.isGradEnabled()).toBe(true);
  });

  it('`using` guards set the mode for the block and restore it at its end, also on throw', () => {
    const x = leaf();
    {
      using _g = torch.noGrad();
      expect(x.mul(2).requiresGrad).toBe(false);
      {
        using _e = torch.enableGrad();
        expect(x.mul(2).requiresGrad).toBe(true);
      }
      expect(torch.isGradEnabled()).toBe(false);
    }
    expect(torch.isGradEnabled()).toBe(true);
    expect(() => { using _i = torch.inferenceMode(); throw new Error('inside'); }).toThrow('inside');
    expect(torch.isGradEnabled()).toBe(true);
  });

  it('an explicit [Symbol.dispose]() restores the previous mode once (idempotent)', () => {
    const g = torch.noGrad();
    expect(torch.isGradEnabled()).toBe(false);
    const inner = torch.setGradEnabled(true);
    expect(torch.isGradEnabled()).toBe(true);
    inner[Symbol.dispose]();
    expect(torch.isGradEnabled()).toBe(false);
    g[Symbol.dispose]();
    expect(torch.isGradEnabled()).toBe(true);
    g[Symbol.dispose](); // a second dispose changes nothing
    torch.setGradEnabled(false);
    g.dispose();
    expect(torch.isGradEnabled()).toBe(false);
  });

  it('setGradEnabled(false) called plainly switches recording off globally until switched back', () => {
    const x = leaf();
    torch.setGradEnabled(false);
    expect(x.mul(2).requiresGrad).toBe(false);
    expect(torch.isGradEnabled()).toBe(false);
    torch.setGradEnabled(true);
    expect(x.mul(2).requiresGrad).toBe(true);
    expect(() => torch.setGradEnabled('no' as unknown as boolean)).toThrow(/setGradEnabled: argument 'mode' \(position 1\) must be boolean, not string 'no'/);
  });

  it('backward(opts) takes the options alone: retainGraph, inputs; autograd.backward(t, opts) too', async () => {
    const x = leaf(), w = leaf();
    const y = x.mul(x).mul(w).sum(); // dy/dx = 2xw, dy/dw = x^2
    y.backward({ retainGraph: true, inputs: [x] });
    expect(Array.from(await x.grad!.data())).toEqual([2, 8, 18]);
    expect(w.grad).toBeNull();
    y.backward({ retainGraph: true }); // graph kept by the first call: a second pass works
    expect(Array.from(await x.grad!.data())).toEqual([4, 16, 36]);
    expect(Array.from(await w.grad!.data())).toEqual([1, 4, 9]);
    torch.autograd.backward(y, { inputs: w });
    expect(Array.from(await w.grad!.data())).toEqual([2, 8, 18]);
    expect(() => y.backward()).toThrow(/backward through the graph a second time/);
    const z = x.mul(3);
    z.backward(torch.ones([3], { device }), { inputs: [x] });
    expect(Array.from(await x.grad!.data())).toEqual([7, 19, 39]);
  });

  it('backward argument errors are PyTorch\'s', () => {
    const x = leaf();
    const y = x.sum();
    expect(() => y.backward({ inputs: [] })).toThrow(/'inputs' argument to backward\(\) cannot be empty/);
    expect(() => torch.autograd.backward([y, y], [null])).toThrow(/got 2 tensors and 1 gradients/);
    expect(() => y.backward(3 as unknown as null)).toThrow(TypeError); // the wording is the argument checker's
  });
});
