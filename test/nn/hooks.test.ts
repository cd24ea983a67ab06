// Module full backward hooks vs PyTorch 1.13 (test/fixtures/hooks.json from hooks_fixtures.py): the
// gradInput/gradOutput each hook receives (null where PyTorch passes None), the order hooks fire in,
// and gradients after a hook replaces gradInput; plus backward pre-hooks (PyTorch 2.0's
// register_full_backward_pre_hook), checked against the recorded plain gradients. Every test device.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectClose, fromEncoded, testDevices, torch, type Encoded } from '../helpers.js';
import type { Device, Tensor } from '../../src/index.js';

const nn = torch.nn;
type Module = InstanceType<typeof nn.Module>;
interface Call { module: string; gradInput: (Encoded | null)[]; gradOutput: (Encoded | null)[] }
interface HookCase {
  state: Record<string, Encoded>; inputs: Encoded[]; gout: Encoded; out: Encoded; calls: Call[];
  inputGrads: (Encoded | null)[]; paramGrads: Record<string, Encoded>;
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/hooks.json', import.meta.url), 'utf8')) as { cases: Record<string, HookCase> };
const tol = { atol: 1e-5, rtol: 1e-4 };

interface Logged { module: string; gradInput: (Tensor | null)[]; gradOutput: (Tensor | null)[] }
function recorder(log: Logged[], name: string, scale?: number) {
  return (_m: Module, gin: (Tensor | null)[], gout: (Tensor | null)[]) => {
    log.push({ module: name, gradInput: gin, gradOutput: gout });
    return scale === undefined ? undefined : gin.map((g) => (g ? g.mul(scale) : null));
  };
}

function build(name: string, log: Logged[]): Module {
  switch (name) {
    case 'Linear': {
      const m = new nn.Linear(4, 3);
      m.registerFullBackwardHook(recorder(log, 'linear'));
      m.registerFullBackwardHook(recorder(log, 'linear-double', 2));
      return m;
    }
    case 'Sequential': {
      const l0 = new nn.Linear(4, 5), r = new nn.ReLU(), l2 = new nn.Linear(5, 3);
      const m = new nn.Sequential(l0, r, l2);
      m.registerFullBackwardHook(recorder(log, 'seq'));
      l2.registerFullBackwardHook(recorder(log, '2'));
      r.registerFullBackwardHook(recorder(log, '1-half', 0.5));
      l0.registerFullBackwardHook(recorder(log, '0'));
      return m;
    }
    case 'Bilinear': {
      const m = new nn.Bilinear(3, 4, 2);
      m.registerFullBackwardHook(recorder(log, 'bilinear'));
      return m;
    }
    default: throw new Error(`no TS module for hooks fixture case ${name}`);
  }
}

async function expectGrads(got: (Tensor | null)[], want: (Encoded | null)[], what: string): Promise<void> {
  expect(got.length, `${what} length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (want[i] === null) expect(got[i], `${what}[${i}]`).toBeNull();
    else await expectClose(got[i]!, want[i]!, tol, `${what}[${i}]`);
  }
}

function setup(c: HookCase, m: Module, device: Device): Tensor[] {
  m.to(device);
  m.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, e]) => [k, fromEncoded(e, device)])));
  return c.inputs.map((e) => fromEncoded(e, device, !!e.grad));
}

describe('Module.registerFullBackwardHook vs PyTorch', () => {
  for (const device of testDevices()) {
    describe(device, () => {
      for (const [name, c] of Object.entries(fx.cases)) {
        it(name, async () => {
          const log: Logged[] = [];
          const m = build(name, log);
          const xs = setup(c, m, device);
          const out = nn.runModule(m, ...xs) as Tensor;
          await expectClose(out, c.out, tol, `${name} output`);
          out.mul(fromEncoded(c.gout, device)).sum().backward();
          expect(log.map((l) => l.module)).toEqual(c.calls.map((l) => l.module));
          for (let i = 0; i < c.calls.length; i++) {
            await expectGrads(log[i]!.gradInput, c.calls[i]!.gradInput, `${name} ${c.calls[i]!.module} gradInput`);
            await expectGrads(log[i]!.gradOutput, c.calls[i]!.gradOutput, `${name} ${c.calls[i]!.module} gradOutput`);
          }
          await expectGrads(xs.map((x) => x.grad), c.inputGrads, `${name} input grads`);
          const params = Object.fromEntries(m.namedParameters());
          for (const [k, want] of Object.entries(c.paramGrads)) await expectClose(params[k]!.grad!, want, tol, `${name} grad of ${k}`);
        });
      }
    });
  }
});

describe('Module.registerFullBackwardPreHook', () => {
  it('sees gradOutput first and may replace it (3x gradOutput triples every gradient)', async () => {
    const c = fx.cases.Linear!;
    const m = new nn.Linear(4, 3);
    const [x] = setup(c, m, 'cpu');
    const order: string[] = [];
    m.registerFullBackwardPreHook((_m, gout) => { order.push('pre'); return gout.map((g) => (g ? g.mul(3) : null)); });
    m.registerFullBackwardHook((_m, _gin, gout) => { order.push('hook'); expect(gout[0]!.shape).toEqual([2, 3]); });
    m.forward(x!).mul(fromEncoded(c.gout, 'cpu')).sum().backward();
    expect(order).toEqual(['pre', 'hook']);
    // c.paramGrads were recorded with hooks that only touch gradInput: weight/bias grads are plain ones.
    await expectClose(m.weight.grad!.div(3), c.paramGrads.weight!, tol, 'weight grad / 3');
    await expectClose(m.bias!.grad!.div(3), c.paramGrads.bias!, tol, 'bias grad / 3');
    await expectClose(x!.grad!.div(3), c.calls[0]!.gradInput[0]!, tol, 'input grad / 3');
  });
  it('handles remove(), wrong-length replacements, and no hooks under noGrad', () => {
    const m = new nn.Linear(2, 2);
    const x = torch.randn(3, 2, { requiresGrad: true });
    let calls = 0;
    const h = m.registerFullBackwardHook(() => { calls++; });
    m.forward(x).sum().backward();
    expect(calls).toBe(1);
    h.remove();
    m.forward(x).sum().backward();
    expect(calls).toBe(1);
    const bad = m.registerFullBackwardHook((_m, gin) => [...gin, null]);
    expect(() => m.forward(x).sum().backward()).toThrow(/Backward hook returned an invalid number of grad_input, got 2, but expected 1/);
    bad.remove();
    const badPre = m.registerFullBackwardPreHook(() => []);
    expect(() => m.forward(x).sum().backward()).toThrow(/Backward pre hook returned an invalid number of grad_output, got 0, but expected 1/);
    badPre.remove();
    const noInput = new nn.Linear(2, 2);
    noInput.registerFullBackwardHook((_m, gin) => gin.map(() => torch.ones(1)));
    expect(() => noInput.forward(torch.randn(3, 2)).sum().backward()).toThrow(/no input requires gradient should always return None/);
    m.registerFullBackwardHook(() => { calls++; });
    const y = torch.noGrad(() => m.forward(x));
    expect(y.requiresGrad).toBe(false);
    expect(calls).toBe(1);
  });
  it('Tensor.registerHook still composes with module hooks', () => {
    const m = new nn.Linear(2, 1);
    const x = torch.randn(4, 2, { requiresGrad: true });
    let seen: Tensor | null = null;
    m.registerFullBackwardHook((_m, gin) => { seen = gin[0]!; });
    x.registerHook((g) => g.mul(10));
    m.forward(x).sum().backward();
    expect(Array.from(x.grad!.dataSync())).toEqual(Array.from((seen as Tensor | null)!.mul(10).dataSync()));
  });
});

describe('tensors a hook makes are the user\'s (feature extraction, Grad-CAM)', () => {
  for (const device of testDevices()) {
    it(`forward, pre-forward, full backward and tensor hooks may keep what they make, no tidy, on ${device}`, async () => {
      torch.manualSeed(0);
      const m = new nn.Sequential(new nn.Linear(4, 5), new nn.ReLU(), new nn.Linear(5, 3)).to(device);
      const kept: Record<string, Tensor> = {};
      m.get(1).registerForwardHook((_mod, _inp, out) => { kept.relu = (out as Tensor).detach(); kept.reluTwice = (out as Tensor).mul(2); });
      m.get(1).registerForwardPreHook((_mod, inp) => { kept.pre = (inp[0] as Tensor).detach().clone(); });
      m.get(2).registerFullBackwardHook((_mod, gi, go) => { kept.gi = gi[0]!.clone(); kept.go = go[0]!.detach(); });
      const x = torch.randn([2, 4]).to(device).requiresGrad_(true);
      x.registerHook((g) => { kept.gx = g.mul(1); });
      const y = m.forward(x);
      y.sum().backward();
      // The values are the network's: relu = max(linear1(x), 0), pre = linear1(x), go = ones, gi = go W2,
      // gx = x.grad; all readable after the forward and the backward returned.
      const near = async (a: Tensor, b: Tensor) => {
        const [p, q] = [await a.data(), await b.data()];
        expect(a.shape).toEqual(b.shape);
        expect(Math.max(...Array.from(p, (v, i) => Math.abs(v - q[i]!)))).toBeLessThan(1e-6);
      };
      const h = (m.get(0) as InstanceType<typeof nn.Linear>).forward(x).detach();
      await near(kept.pre!, h);
      await near(kept.relu!, h.relu());
      await near(kept.reluTwice!, h.relu().mul(2));
      await near(kept.go!, torch.ones([2, 3]).to(device));
      await near(kept.gi!, torch.ones([2, 3]).to(device).matmul((m.get(2) as InstanceType<typeof nn.Linear>).weight.detach()));
      await near(kept.gx!, x.grad!);
    });
  }
});
