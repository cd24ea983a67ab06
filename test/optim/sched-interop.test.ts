// LR scheduler checkpoints move both ways: a torchlet `.pt` holding { optim, sched } saved mid-run
// is loaded by real PyTorch 1.13 (check_sched_interop.py, /usr/bin/python3) into the same optimizer
// and scheduler, and PyTorch's lr (and momentum) sequence from there must equal its own
// uninterrupted run. The scheduler's keys must be PyTorch's own state_dict keys, since PyTorch's
// load_state_dict is a bare __dict__.update that silently ignores anything else.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';
import type { Tensor } from '../../src/index.js';

const S = torch.optim.lrScheduler;
const CHECKER = new URL('./check_sched_interop.py', import.meta.url).pathname;
const SAVE_AT = 4, STEPS = 10;
const METRICS = [5, 4, 4.5, 4.4, 4.3, 4.35, 3, 3.2, 3.1, 3.3];

type Sched = { step(m?: number | Tensor): void; stateDict(): Record<string, unknown>; loadStateDict(sd: Record<string, unknown>): void; getLastLr(): number[] };
type Opt = torch.optim.Optimizer;
function opt(kind: 'sgd' | 'adam'): Opt {
  const ps = [torch.zeros(2, { requiresGrad: true }), torch.zeros(2, { requiresGrad: true })];
  const groups = [{ params: [ps[0]!] }, { params: [ps[1]!], lr: 0.05 }];
  return kind === 'adam' ? new torch.optim.Adam(groups, { lr: 0.1 }) : new torch.optim.SGD(groups, { lr: 0.1, momentum: 0.9 });
}
// Same constructors as CASES in check_sched_interop.py.
const CASES: Record<string, ['sgd' | 'adam', (o: Opt) => Sched]> = {
  StepLR: ['sgd', (o) => new S.StepLR(o, 3, { gamma: 0.5 })],
  MultiStepLR: ['sgd', (o) => new S.MultiStepLR(o, [2, 5, 5, 7], { gamma: 0.3 })],
  ExponentialLR: ['sgd', (o) => new S.ExponentialLR(o, 0.9)],
  CosineAnnealingLR: ['sgd', (o) => new S.CosineAnnealingLR(o, 10, { etaMin: 0.001 })],
  CosineAnnealingWarmRestarts: ['sgd', (o) => new S.CosineAnnealingWarmRestarts(o, 3, { TMult: 2, etaMin: 0.01 })],
  LinearLR: ['sgd', (o) => new S.LinearLR(o, { startFactor: 0.25, endFactor: 0.9, totalIters: 6 })],
  LambdaLR: ['sgd', (o) => new S.LambdaLR(o, (e) => 0.95 ** e)],
  MultiplicativeLR: ['sgd', (o) => new S.MultiplicativeLR(o, () => 0.9)],
  ConstantLR: ['sgd', (o) => new S.ConstantLR(o, { factor: 0.5, totalIters: 6 })],
  PolynomialLR: ['sgd', (o) => new S.PolynomialLR(o, { totalIters: 8, power: 2 })],
  OneCycleLR: ['sgd', (o) => new S.OneCycleLR(o, [1.0, 0.5], { totalSteps: 12 })],
  OneCycleLR_three_phase_adam: ['adam', (o) => new S.OneCycleLR(o, 0.01, { totalSteps: 12, annealStrategy: 'linear', threePhase: true, pctStart: 0.25 })],
  CyclicLR: ['sgd', (o) => new S.CyclicLR(o, 0.01, 0.1, { stepSizeUp: 3, mode: 'triangular2' })],
  ReduceLROnPlateau: ['sgd', (o) => new S.ReduceLROnPlateau(o, { factor: 0.5, patience: 1, cooldown: 1, minLr: 0.01 })],
  SequentialLR: ['sgd', (o) => new S.SequentialLR(o, [new S.LinearLR(o, { startFactor: 0.1, totalIters: 3 }), new S.ExponentialLR(o, 0.8)], [3])],
  ChainedScheduler: ['sgd', (o) => new S.ChainedScheduler([new S.ConstantLR(o, { factor: 0.1, totalIters: 6 }), new S.ExponentialLR(o, 0.9)])],
};
const lrMom = (o: Opt): number[][] => o.paramGroups.map((g) => [g.lr, g.betas ? (g.betas as number[])[0]! : (g.momentum as number)]);
const stepBoth = (o: Opt, s: Sched, i: number): void => { o.step(); if (s instanceof S.ReduceLROnPlateau) s.step(METRICS[i]!); else s.step(); };

interface Seen { full: number[][][]; resumed: number[][][]; own_keys: string[]; torchlet_keys: string[]; children: string[][]; own_children: string[][] }
// Attributes PyTorch 1.13 holds that are code, not state (a bound method, a weakref): torchlet cannot write them.
const CODE_KEYS = new Set(['anneal_func', '_scale_fn_ref']);

describe('PyTorch 1.13 resumes torchlet scheduler checkpoints', () => {
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-sched-'));
  let seen: Record<string, Seen>;
  beforeAll(async () => {
    for (const [name, [kind, make]] of Object.entries(CASES)) {
      const o = opt(kind), s = make(o);
      for (let i = 0; i < SAVE_AT; i++) stepBoth(o, s, i);
      await torch.save({ optim: o.stateDict(), sched: s.stateDict() }, join(dir, `${name}.pt`));
    }
    writeFileSync(join(dir, 'cases.json'), JSON.stringify({ saveAt: SAVE_AT, steps: STEPS, metrics: METRICS, names: Object.keys(CASES) }));
    seen = JSON.parse(execFileSync('/usr/bin/python3', [CHECKER, dir], { encoding: 'utf8', maxBuffer: 1 << 24 })) as Record<string, Seen>;
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const name of Object.keys(CASES)) {
    it(`${name}: PyTorch resumes at step ${SAVE_AT} on its own uninterrupted lr sequence`, () => {
      const r = seen[name]!;
      expect((r as { error?: string }).error).toBeUndefined();
      expect(r.torchlet_keys).toEqual(r.own_keys.filter((k) => !CODE_KEYS.has(k)));
      expect(r.children).toEqual(r.own_children);
      const want = r.full.slice(SAVE_AT);
      expect(r.resumed.length).toBe(want.length);
      r.resumed.flat(2).forEach((v, i) => expect(v).toBeCloseTo(want.flat(2)[i]!, 12));
    });
    it(`${name}: torchlet -> torchlet round trip (through a .pt file) continues the schedule`, async () => {
      const [kind, make] = CASES[name]!;
      const o1 = opt(kind), s1 = make(o1);
      for (let i = 0; i < SAVE_AT; i++) stepBoth(o1, s1, i);
      const ck = await torch.load<{ optim: Record<string, unknown>; sched: Record<string, unknown> }>(await torch.save({ optim: o1.stateDict(), sched: s1.stateDict() }, undefined, { format: 'pt' }));
      const o2 = opt(kind), s2 = make(o2);
      o2.loadStateDict(ck.optim as never); s2.loadStateDict(ck.sched);
      for (let i = SAVE_AT; i < STEPS; i++) { stepBoth(o1, s1, i); stepBoth(o2, s2, i); expect(lrMom(o2)).toEqual(lrMom(o1)); }
      expect(s2.getLastLr()).toEqual(s1.getLastLr());
    });
  }
});
