// PyTorch's implementation switches on optimizers (foreach, fused, capturable, differentiable) and
// maximize. foreach/fused choose how PyTorch runs the same math: accepted (true, false, null) and
// the result is unchanged; capturable/differentiable true cannot be honoured: a clear error.
// maximize is checked against real PyTorch 1.13 (check_maximize.py, float64, 4 steps of gradient
// ascent, with foreach=True on the PyTorch side where 1.13 accepts it).
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';
import type { Tensor } from '../../src/index.js';

const O = torch.optim;
const CHECKER = new URL('./check_maximize.py', import.meta.url).pathname;
type Make = (ps: Tensor[], extra?: Record<string, unknown>) => torch.optim.Optimizer;
// Same constructors as CASES in check_maximize.py.
const CASES: Record<string, Make> = {
  SGD: (ps, x = {}) => new O.SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01, maximize: true, ...x }),
  Adam: (ps, x = {}) => new O.Adam(ps, { lr: 0.05, weightDecay: 0.01, maximize: true, ...x }),
  Adam_amsgrad: (ps, x = {}) => new O.Adam(ps, { lr: 0.05, amsgrad: true, maximize: true, ...x }),
  AdamW: (ps, x = {}) => new O.AdamW(ps, { lr: 0.05, maximize: true, ...x }),
  RMSprop: (ps, x = {}) => new O.RMSprop(ps, { lr: 0.01, momentum: 0.5, centered: true, weightDecay: 0.01, maximize: true, ...x }),
  Adagrad: (ps, x = {}) => new O.Adagrad(ps, { lr: 0.1, lrDecay: 0.01, weightDecay: 0.01, maximize: true, ...x }),
  Adadelta: (ps, x = {}) => new O.Adadelta(ps, { lr: 1.0, weightDecay: 0.01, maximize: true, ...x }),
  Adamax: (ps, x = {}) => new O.Adamax(ps, { lr: 0.05, weightDecay: 0.01, maximize: true, ...x }),
};

function ascend(make: Make, extra?: Record<string, unknown>): number[] {
  const p = torch.tensor([1.0, -2.0, 3.0, 0.5], { dtype: 'float64', requiresGrad: true });
  const w = torch.tensor([0.5, -1.5, 2.0, 0.25], { dtype: 'float64' });
  const o = make([p], extra);
  for (let i = 0; i < 4; i++) {
    o.zeroGrad();
    p.mul(w).sin().sum().sub(p.square().sum().mul(0.1)).backward();
    o.step();
  }
  return Array.from(p.detach().dataSync() as Float64Array);
}

describe('optimizer maximize against PyTorch 1.13', () => {
  let want: Record<string, number[]>;
  beforeAll(() => { want = JSON.parse(execFileSync('/usr/bin/python3', [CHECKER], { encoding: 'utf8' })) as Record<string, number[]>; }, 60_000);
  for (const [name, make] of Object.entries(CASES)) {
    it(`${name}: maximize: true ascends as PyTorch's (4 steps, float64)`, () => {
      ascend(make).forEach((v, i) => expect(v).toBeCloseTo(want[name]![i]!, 12));
    });
    it(`${name}: foreach / fused (true, false, null), capturable: false and differentiable: false change nothing`, () => {
      const base = ascend(make);
      for (const extra of [{ foreach: true }, { foreach: false }, { foreach: null }, { fused: true }, { fused: null, foreach: true }, { capturable: false, differentiable: false }]) {
        expect(ascend(make, extra)).toEqual(base);
      }
    });
  }
});

describe('optimizer implementation switches', () => {
  const ps = () => [torch.zeros(2, { requiresGrad: true })];
  const ALL = [O.SGD, O.Adam, O.AdamW, O.RMSprop, O.Adagrad, O.Adadelta, O.Adamax, O.NAdam, O.RAdam] as unknown as (new (p: Tensor[], o: Record<string, unknown>) => torch.optim.Optimizer)[];
  it('capturable: true and differentiable: true are refused, naming the optimizer and the option', () => {
    for (const C of ALL) {
      expect(() => new C(ps(), { capturable: true })).toThrow(new RegExp(`^${C.name}: capturable=True is not supported in torchlet`));
      expect(() => new C(ps(), { differentiable: true })).toThrow(new RegExp(`^${C.name}: differentiable=True is not supported in torchlet`));
    }
  });
  it('the switches stay out of the param groups (torchlet has no counterpart to record)', () => {
    const o = new O.Adam(ps(), { foreach: true, fused: false, capturable: false, differentiable: false });
    for (const k of ['foreach', 'fused', 'capturable', 'differentiable']) expect(k in o.paramGroups[0]!).toBe(false);
  });
  it('wrong kinds and snake_case spellings are TypeErrors', () => {
    expect(() => new O.SGD(ps(), { foreach: 'yes' } as never)).toThrow(TypeError);
    expect(() => new O.Adam(ps(), { capturable: null } as never)).toThrow(TypeError);
    expect(() => new O.LBFGS(ps(), { foreach: true } as never)).toThrow(/unknown option 'foreach'/);
  });
  it('a PyTorch-saved param group with foreach: None, capturable: False loads and steps', () => {
    const o = new O.Adam(ps(), { lr: 0.1 });
    const sd = o.stateDict();
    Object.assign(sd.param_groups[0]!, { foreach: null, capturable: false, differentiable: false, fused: false });
    o.loadStateDict(sd);
    o.paramGroups[0]!.params[0]!.grad = torch.ones(2);
    o.step();
    expect(Array.from(o.paramGroups[0]!.params[0]!.dataSync())).toEqual([-0.1, -0.1].map(Math.fround));
  });
});
