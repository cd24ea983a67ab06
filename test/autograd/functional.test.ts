// torch.autograd.functional (jacobian, hessian, vjp, jvp, vhp, hvp) and gradgradcheck against PyTorch
// 1.13 (test/fixtures/functional_autograd.json from functional_autograd_fixtures.py): values, result
// structures (tuples as arrays), createGraph, and strict-mode / argument errors with PyTorch's messages.
// The functions are the fixture script's FUNCS, op for op. Every case runs on every test device;
// gradgradcheck runs in float64 on the CPU, as gradcheck does.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectClose, fromEncoded, testDevices, torch, type Encoded } from '../helpers.js';
import type { Device, Tensor } from '../../src/index.js';

const AF = torch.autograd.functional;
type Nested = Encoded | Nested[];
interface FCase {
  fn: string; op: string; inputs: Nested; isTuple: boolean; v: Nested | null; vIsTuple: boolean;
  opts: { strict?: boolean; vectorize?: boolean; strategy?: 'forward-mode' | 'reverse-mode'; outerJacobianStrategy?: 'forward-mode' | 'reverse-mode' };
  result?: Nested; error?: string;
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/functional_autograd.json', import.meta.url), 'utf8')) as { cases: Record<string, unknown> };
const tol = { atol: 1e-4, rtol: 1e-4 };

const FUNCS: Record<string, (...xs: Tensor[]) => Tensor | Tensor[]> = {
  vec: (x) => x.exp().mul(x.sum()),
  pair: (x, y) => [x.mm(y), x.sin()],
  split: (x) => [x.exp(), x.pow(2).sum()],
  join: (x, y) => x.mul(y).tanh(),
  scalar: (x) => x.exp().mul(x.sin()).sum(),
  scalar2: (x, y) => x.mv(y).tanh().sum(),
  first_only: (x) => x.mul(2),
  linear: (x) => x.sum(),
  const: () => torch.ones(3),
};

const isEncoded = (n: Nested): n is Encoded => !Array.isArray(n);
function load(n: Nested, device: Device): Tensor | Tensor[] {
  return isEncoded(n) ? fromEncoded(n, device) : n.map((e) => fromEncoded(e as Encoded, device));
}
/** Compares a result with PyTorch's, structure included (a Tensor where PyTorch has one, arrays for tuples). */
async function expectNested(got: unknown, want: Nested, what: string): Promise<void> {
  if (isEncoded(want)) {
    expect(got, `${what} is a Tensor`).toBeInstanceOf(torch.Tensor);
    await expectClose(got as Tensor, want, tol, what);
    return;
  }
  expect(Array.isArray(got), `${what} is an array`).toBe(true);
  const arr = got as unknown[];
  expect(arr.length, `${what} length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) await expectNested(arr[i], want[i]!, `${what}[${i}]`);
}

function run(c: FCase, device: Device): unknown {
  const f = FUNCS[c.fn]!;
  const inputs = load(c.inputs, device);
  const v = c.v === null ? null : load(c.v, device);
  switch (c.op) {
    case 'jacobian': return AF.jacobian(f, inputs, c.opts);
    case 'hessian': return AF.hessian(f as (...xs: Tensor[]) => Tensor, inputs as Tensor, c.opts);
    case 'vjp': return AF.vjp(f, inputs, v, c.opts);
    case 'jvp': return AF.jvp(f, inputs, v, c.opts);
    case 'vhp': return AF.vhp(f as (...xs: Tensor[]) => Tensor, inputs as Tensor, v as Tensor, c.opts);
    case 'hvp': return AF.hvp(f as (...xs: Tensor[]) => Tensor, inputs as Tensor, v as Tensor, c.opts);
    default: throw new Error(`unknown op ${c.op}`);
  }
}
/** PyTorch's wording with tuples called arrays (and its "isonly" typo fixed). */
const ours = (msg: string): string => msg.replace('v is a tuple', 'v is an array').replace('isonly', 'is only');

const fcases = Object.entries(fx.cases).filter(([, c]) => typeof (c as FCase).op === 'string') as [string, FCase][];

for (const device of testDevices()) {
  describe(`autograd.functional on ${device}`, () => {
    for (const [name, c] of fcases) {
      it(name, async () => {
        if (c.error !== undefined) {
          expect(() => run(c, device)).toThrow(ours(c.error));
          return;
        }
        const res = run(c, device);
        await expectNested(res, c.result!, name);
        // Results are detached without createGraph, as PyTorch's.
        const flat = (x: unknown): Tensor[] => (Array.isArray(x) ? x.flatMap(flat) : [x as Tensor]);
        for (const t of flat(res)) expect(t.requiresGrad).toBe(false);
      });
    }

    it('jacobian with createGraph is differentiable', async () => {
      const c = fx.cases['jacobian createGraph'] as { inputs: Encoded; result: Encoded; grad: Encoded };
      const x = fromEncoded(c.inputs, device, true);
      const j = AF.jacobian(FUNCS.vec! as (x: Tensor) => Tensor, x, { createGraph: true });
      expect(j.requiresGrad).toBe(true);
      await expectClose(j, c.result, tol, 'jacobian');
      j.sum().backward();
      await expectClose(x.grad!, c.grad, tol, 'grad of sum(jacobian)');
    });

    it('hvp with createGraph is differentiable', async () => {
      const c = fx.cases['hvp createGraph'] as { inputs: Encoded; v: Encoded; result: Encoded; grad: Encoded };
      const x = fromEncoded(c.inputs, device, true);
      const [, hv] = AF.hvp(FUNCS.scalar! as (x: Tensor) => Tensor, x, fromEncoded(c.v, device), { createGraph: true });
      await expectClose(hv, c.result, tol, 'hvp');
      hv.pow(2).sum().backward();
      await expectClose(x.grad!, c.grad, tol, 'grad of |hvp|^2');
    });

    it('rejects non-tensor inputs as PyTorch does', () => {
      expect(() => AF.jacobian(FUNCS.vec!, [torch.ones(3, { device }), 3 as unknown as Tensor])).toThrow(
        'The inputs given to jacobian must be either a Tensor or an array of Tensors but the value at index 1 has type number.');
      expect(() => AF.vjp(() => 3 as unknown as Tensor, torch.ones(1, { device }))).toThrow(
        'The outputs of the user-provided function given to vjp must be either a Tensor or an array of Tensors but the given outputs of the user-provided function has type number.');
    });

    it("leaves the caller's tensors untouched (no .grad, no graph)", () => {
      const x = torch.ones(3, { device }).requiresGrad_();
      AF.jacobian(FUNCS.vec!, x);
      AF.vjp(FUNCS.vec!, x, torch.ones(3, { device }));
      expect(x.grad).toBeNull();
    });
  });
}

describe('gradgradcheck (float64, CPU) agrees with PyTorch', () => {
  const c = fx.cases.gradgradcheck as { x: Encoded; y: Encoded; verdicts: Record<string, boolean> };
  const x = () => fromEncoded(c.x, 'cpu', true), y = () => fromEncoded(c.y, 'cpu', true);
  class DetachedSquare extends torch.autograd.Function {
    static override forward(ctx: InstanceType<typeof torch.autograd.FunctionCtx>, a: Tensor): Tensor { ctx.saveForBackward(a); return a.mul(a); }
    static override backward(ctx: InstanceType<typeof torch.autograd.FunctionCtx>, g: Tensor): Tensor { const [a] = ctx.savedTensors; return g.mul(2).mul(a!.detach()); }
  }
  it('tanh mul', () => {
    expect(torch.autograd.gradgradcheck((a, b) => a.tanh().mul(b), [x(), y()])).toBe(c.verdicts['tanh mul']);
  });
  it('exp sum pair (two outputs)', () => {
    expect(torch.autograd.gradgradcheck((a, b) => [a.exp().mul(b).sum(), a.sin()], [x(), y()])).toBe(c.verdicts['exp sum pair']);
  });
  it('a backward that is not differentiable passes gradcheck and fails gradgradcheck', () => {
    const f = (a: Tensor) => DetachedSquare.apply<Tensor>(a);
    expect(torch.autograd.gradcheck(f, [x()])).toBe(c.verdicts['detached square gradcheck']);
    expect(torch.autograd.gradgradcheck(f, [x()], { raiseException: false })).toBe(c.verdicts['detached square']);
    expect(() => torch.autograd.gradgradcheck(f, [x()])).toThrow(/gradcheck: Jacobian mismatch/);
  });
  it('takes given gradOutputs', () => {
    const go = torch.tensor([1, -2, 0.5], { dtype: 'float64' });
    expect(torch.autograd.gradgradcheck((a) => a.pow(3), [x()], { gradOutputs: go })).toBe(true);
  });
});
