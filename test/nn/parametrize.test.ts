// nn.utils.parametrize and nn.utils.parametrizations against PyTorch 1.13 (test/fixtures/
// functional_autograd.json, case 'parametrize'): weightNorm (PyTorch 2.1's parametrization, values of
// torch._weight_norm), spectralNorm (power-iteration buffers _u/_v, updated in training mode only; the
// starting vectors are copied from PyTorch since the generators differ) and a user parametrization:
// outputs, gradients of the originals, stateDict keys and values, removeParametrizations, cached(),
// assignment through rightInverse, and PyTorch's registration errors. Every test device.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectClose, fromEncoded, testDevices, torch, type Encoded } from '../helpers.js';
import type { Device, Tensor } from '../../src/index.js';

const nn = torch.nn;
const P = nn.utils.parametrize;
type Module = InstanceType<typeof nn.Module>;
interface ParCase {
  out: Encoded; stateKeys: string[]; state: Record<string, Encoded>; grads: Record<string, Encoded>;
  init: Record<string, Encoded>; x: Encoded; gout: Encoded; dim?: number | null;
  uv0?: { u: Encoded; v: Encoded }; evalOut?: Encoded; removedKeys?: string[]; removedWeight?: Encoded;
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/functional_autograd.json', import.meta.url), 'utf8')) as { cases: { parametrize: Record<string, ParCase | string> } };
const cases = fx.cases.parametrize;
const tol = { atol: 1e-5, rtol: 1e-4 };

class Symmetric extends nn.Module {
  forward(x: Tensor): Tensor { return x.triu().add(x.triu(1).mT); }
}

function load(m: Module, init: Record<string, Encoded>, device: Device): void {
  m.loadStateDict(Object.fromEntries(Object.entries(init).map(([k, e]) => [k, fromEncoded(e, 'cpu')])));
  m.to(device);
}
/** Runs forward/backward as the fixture did and checks output, stateDict and gradients. */
async function check(m: Module & { forward(x: Tensor): Tensor }, c: ParCase, device: Device): Promise<void> {
  const out = m.forward(fromEncoded(c.x, device));
  await expectClose(out, c.out, tol, 'out');
  out.mul(fromEncoded(c.gout, device)).sum().backward();
  const sd = m.stateDict();
  expect(Object.keys(sd)).toEqual(c.stateKeys);
  for (const k of c.stateKeys) await expectClose(sd[k]!, c.state[k]!, tol, `stateDict ${k}`);
  const params = Object.fromEntries(m.namedParameters());
  expect(Object.keys(params).sort()).toEqual(Object.keys(c.grads).sort());
  for (const [k, g] of Object.entries(c.grads)) await expectClose(params[k]!.grad!, g, tol, `${k}.grad`);
}

for (const device of testDevices()) {
  describe(`parametrizations on ${device}`, () => {
    for (const dim of [0, 1, null]) {
      it(`weightNorm dim=${dim}`, async () => {
        const c = cases[`weightNorm dim=${dim ?? "None"}`] as ParCase;
        const lin = new nn.Linear(4, 3);
        load(lin, c.init, device);
        nn.utils.parametrizations.weightNorm(lin, 'weight', dim);
        expect(P.isParametrized(lin, 'weight')).toBe(true);
        await check(lin, c, device);
      });
    }

    it('spectralNorm: one power iteration per training read, none in eval', async () => {
      const c = cases.spectralNorm as ParCase;
      const lin = new nn.Linear(4, 3);
      load(lin, c.init, device);
      nn.utils.parametrizations.spectralNorm(lin);
      const sn = (lin as unknown as { parametrizations: InstanceType<typeof nn.ModuleDict> }).parametrizations;
      const bufs = Object.fromEntries(sn.namedBuffers());
      expect(Object.keys(bufs)).toEqual(['weight.0._u', 'weight.0._v']);
      bufs['weight.0._u']!.copy_(fromEncoded(c.uv0!.u, device));
      bufs['weight.0._v']!.copy_(fromEncoded(c.uv0!.v, device));
      await check(lin, c, device);
      lin.eval();
      const u = Array.from(await bufs['weight.0._u']!.data());
      await expectClose(lin.call(fromEncoded(c.x, device)), c.evalOut!, tol, 'eval out');
      expect(Array.from(await bufs['weight.0._u']!.data())).toEqual(u);
    });

    it('spectralNorm on a conv weight, dim=1, 2 iterations', async () => {
      const c = cases['spectralNorm conv dim=1'] as ParCase;
      const conv = new nn.Conv2d(2, 3, 2);
      load(conv, c.init, device);
      nn.utils.parametrizations.spectralNorm(conv, 'weight', 2, 1e-12, 1);
      const sd = conv.stateDict();
      sd['parametrizations.weight.0._u']!.copy_(fromEncoded(c.uv0!.u, device));
      sd['parametrizations.weight.0._v']!.copy_(fromEncoded(c.uv0!.v, device));
      await check(conv, c, device);
    });

    it('options in place of the positional arguments (PyTorch keywords) give the same fixtures', async () => {
      const c = cases['spectralNorm conv dim=1'] as ParCase;
      const forms = [
        (m: Module) => nn.utils.parametrizations.spectralNorm(m, { nPowerIterations: 2, dim: 1 }),
        (m: Module) => nn.utils.parametrizations.spectralNorm(m, 'weight', { nPowerIterations: 2, eps: 1e-12, dim: 1 }),
      ];
      for (const apply of forms) {
        const conv = new nn.Conv2d(2, 3, 2);
        load(conv, c.init, device);
        apply(conv);
        const sd = conv.stateDict();
        sd['parametrizations.weight.0._u']!.copy_(fromEncoded(c.uv0!.u, device));
        sd['parametrizations.weight.0._v']!.copy_(fromEncoded(c.uv0!.v, device));
        await check(conv, c, device);
      }
      for (const [dim, apply] of [[1, (m: Module) => nn.utils.parametrizations.weightNorm(m, { dim: 1 })], [null, (m: Module) => nn.utils.parametrizations.weightNorm(m, 'weight', { dim: null })]] as const) {
        const c2 = cases[`weightNorm dim=${dim ?? 'None'}`] as ParCase;
        const lin = new nn.Linear(4, 3);
        load(lin, c2.init, device);
        apply(lin);
        await check(lin, c2, device);
      }
    });

    it('spectralNorm / weightNorm bad options: PyTorch\'s errors, misspelled keys', () => {
      const lin = new nn.Linear(3, 2).to(device);
      expect(() => nn.utils.parametrizations.spectralNorm(lin, { nPowerIterations: 0 })).toThrow('Expected n_power_iterations to be positive, but got n_power_iterations=0');
      expect(() => nn.utils.parametrizations.spectralNorm(lin, { name: 'nope' })).toThrow("Module 'Linear' has no parameter or buffer with name 'nope'");
      expect(() => nn.utils.parametrizations.spectralNorm(lin, { n_power_iterations: 2 } as never)).toThrow(/did you mean 'nPowerIterations'/);
      expect(() => nn.utils.parametrizations.spectralNorm(lin, 'weight', { name: 'weight' } as never)).toThrow(/unknown option 'name'/);
      expect(() => nn.utils.parametrizations.weightNorm(lin, { dims: 0 } as never)).toThrow(TypeError);
      expect(P.isParametrized(lin)).toBe(false);
    });

    it('registerParametrization with a user module; removeParametrizations keeps the value', async () => {
      const c = cases.symmetric as ParCase;
      const lin = new nn.Linear(3, 3);
      load(lin, c.init, device);
      P.registerParametrization(lin, 'weight', new Symmetric());
      await check(lin, c, device);
      P.removeParametrizations(lin, 'weight');
      expect(P.isParametrized(lin)).toBe(false);
      expect(Object.keys(lin.stateDict())).toEqual(c.removedKeys);
      expect(lin.weight).toBeInstanceOf(nn.Parameter);
      await expectClose(lin.weight, c.removedWeight!, tol, 'weight after remove');
    });

    it('Module.deepcopy keeps the parametrization, with its own originals', async () => {
      const c = cases.symmetric as ParCase;
      const lin = new nn.Linear(3, 3);
      load(lin, c.init, device);
      P.registerParametrization(lin, 'weight', new Symmetric());
      const copy = nn.Module.deepcopy(lin);
      expect(P.isParametrized(copy, 'weight')).toBe(true);
      expect(Object.keys(copy.stateDict())).toEqual(c.stateKeys);
      await expectClose(copy.call(fromEncoded(c.x, device)), c.out, tol, 'copy out');
      const orig = copy.stateDict({ keepVars: true })['parametrizations.weight.original']!;
      expect(orig).not.toBe(lin.stateDict({ keepVars: true })['parametrizations.weight.original']);
    });

    it('cached() computes each parametrized tensor once per block', () => {
      const lin = new nn.Linear(3, 3).to(device);
      P.registerParametrization(lin, 'weight', new Symmetric());
      expect(lin.weight).not.toBe(lin.weight); // recomputed on every read
      P.cached(() => { expect(lin.weight).toBe(lin.weight); });
      {
        const g = P.cached();
        const w = lin.weight;
        expect(lin.weight).toBe(w);
        g.dispose();
      }
      expect(lin.weight).not.toBe(lin.weight);
    });

    it('assignment goes through rightInverse; an original keeps its identity for optimizers', async () => {
      class Scale extends nn.Module {
        forward(x: Tensor): Tensor { return x.mul(2); }
        rightInverse(x: Tensor): Tensor { return x.div(2); }
      }
      const lin = new nn.Linear(2, 2).to(device);
      const before = lin.weight;
      P.registerParametrization(lin, 'weight', new Scale());
      const orig = lin.stateDict({ keepVars: true })['parametrizations.weight.original']!;
      expect(orig).toBe(before); // the same Parameter object, holding rightInverse(weight)
      lin.weight = torch.tensor([[2, 4], [6, 8]], { dtype: 'float32', device });
      expect(Array.from(await orig.data())).toEqual([1, 2, 3, 4]);
      expect(Array.from(await lin.weight.data())).toEqual([2, 4, 6, 8]);
    });
  });
}

describe('parametrize errors (PyTorch 1.13 messages)', () => {
  it('a parametrization may not change the shape', () => {
    class Shrink extends nn.Module { forward(x: Tensor): Tensor { return x.narrow(0, 0, 2); } }
    expect(() => P.registerParametrization(new nn.Linear(3, 3), 'weight', new Shrink())).toThrow(cases['shape error'] as string);
  });
  it('the tensor must exist', () => {
    const want = (cases['missing error'] as string).replace(/^Module '.*?' /, '');
    expect(() => P.registerParametrization(new nn.Linear(3, 3), 'nope', new Symmetric())).toThrow(want);
  });
  it('removing what is not parametrized', () => {
    expect(() => P.removeParametrizations(new nn.Linear(3, 3), 'weight')).toThrow('does not have a parametrization on weight');
  });
});
