// LBFGS keeps float64 precision for float64 parameters: the 6-d Rosenbrock trajectory (losses,
// iterates and PyTorch's iteration counters func_evals / n_iter) matches PyTorch 1.13 in float64
// (test/fixtures/lbfgs64.json from lbfgs64_fixtures.py), with and without the strong-Wolfe line
// search. And step() is async: a second step started before the first settled is a clear error.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testDevices, torch, UNSUPPORTED_DTYPES } from '../helpers.js';
import type { Tensor } from '../../src/index.js';

interface Step { loss: number; params: number[]; funcEvals: number; nIter: number }
const fx = JSON.parse(readFileSync(new URL('../fixtures/lbfgs64.json', import.meta.url), 'utf8')) as {
  x0: number[]; cases: Record<string, { opts: Record<string, unknown>; steps: Step[] }>;
};

/** sum((1 - x[:-1])^2) + 100 sum((x[1:] - x[:-1]^2)^2), PyTorch's order of operations. */
function rosen(p: Tensor): Tensor {
  const n = p.shape[0]! - 1, a = p.narrow(0, 0, n), b = p.narrow(0, 1, n);
  return a.neg().add(1).pow(2).sum().add(b.sub(a.pow(2)).pow(2).sum().mul(100));
}

function closeTo(actual: number, expected: number, rtol: number, atol: number, what: string): void {
  if (!(Math.abs(actual - expected) <= atol + rtol * Math.abs(expected))) throw new Error(`${what}: got ${actual}, expected ${expected}`);
}

describe.each(testDevices())('LBFGS (%s)', (device) => {
  for (const [name, c] of Object.entries(fx.cases)) {
    it(`float64 ${name}: losses, iterates and iteration counts match PyTorch`, async () => {
      if (UNSUPPORTED_DTYPES[device]?.includes('float64')) {
        expect(() => torch.tensor(fx.x0, { dtype: 'float64', device })).toThrow(TypeError);
        expect(() => torch.tensor(fx.x0, { dtype: 'float64', device })).toThrow(/float64/);
        return;
      }
      const p = torch.tensor(fx.x0, { dtype: 'float64', device, requiresGrad: true });
      const opt = new torch.optim.LBFGS([p], c.opts);
      // Without line search the run is PyTorch's to the last bit; strong-Wolfe's interpolations amplify
      // last-bit differences of the gradients to ~1e-11 over 40 iterations. float32 rounding of the
      // internal scalars moved x by ~1e-6 already in the first step.
      for (const [i, want] of c.steps.entries()) {
        const loss = await opt.step(() => { opt.zeroGrad(); const l = rosen(p); l.backward(); return l; });
        closeTo(Number(await (loss as Tensor).item()), want.loss, 1e-9, 1e-12, `${name} step ${i} loss`);
        const st = opt.state.get(p)!;
        expect([st.funcEvals, st.nIter], `${name} step ${i} counters`).toEqual([want.funcEvals, want.nIter]);
        const got = Array.from(await p.data());
        got.forEach((v, k) => closeTo(v, want.params[k]!, 1e-9, 1e-10, `${name} step ${i} x[${k}]`));
      }
    });
  }

  it(device === 'cpu'
    ? "PyTorch's loop, step(closure) not awaited: each step has finished when it returns, with the awaited steps' values"
    : 'a step started before the previous one was awaited is an error saying step() is async', async () => {
    expect(torch.isGradEnabled()).toBe(true);
    const run = async (awaitSteps: boolean) => {
      const p = torch.tensor([-1.2, 1.0, -0.5], { dtype: 'float32', device, requiresGrad: true });
      const opt = new torch.optim.LBFGS([p], { maxIter: 3, lineSearchFn: 'strong_wolfe' });
      const closure = (): Tensor => { opt.zeroGrad(); const l = rosen(p); l.backward(); return l; };
      for (let i = 0; i < 3; i++) {
        if (awaitSteps) await opt.step(closure); else void opt.step(closure);
        // The algorithm's noGrad never leaks into the caller's code, awaited or not.
        expect(torch.isGradEnabled()).toBe(true);
      }
      return Array.from(await p.data());
    };
    if (device === 'cpu') {
      expect(await run(false)).toEqual(await run(true));
      // An async closure makes the step asynchronous: awaited, it gives the same values.
      const p = torch.tensor([-1.2, 1.0, -0.5], { dtype: 'float32', device, requiresGrad: true });
      const opt = new torch.optim.LBFGS([p], { maxIter: 3, lineSearchFn: 'strong_wolfe' });
      for (let i = 0; i < 3; i++) await opt.step(async () => { opt.zeroGrad(); const l = rosen(p); l.backward(); await Promise.resolve(); return l; });
      expect(Array.from(await p.data())).toEqual(await run(true));
      return;
    }
    const p = torch.tensor([-1.2, 1.0, -0.5], { dtype: 'float32', device, requiresGrad: true });
    const opt = new torch.optim.LBFGS([p], { maxIter: 3 });
    const closure = (): Tensor => { opt.zeroGrad(); const l = rosen(p); l.backward(); return l; };
    const first = opt.step(closure);
    expect(torch.isGradEnabled()).toBe(true);
    expect(() => opt.step(closure)).toThrow('LBFGS.step: the previous step() has not finished; step() is async and must be awaited: await opt.step(closure)');
    await first;
    await expect(opt.step(closure)).resolves.toBeDefined(); // awaited steps go on normally
  });
});
