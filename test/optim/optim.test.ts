// Optimizer and LR-scheduler trajectories against real PyTorch 1.13 (test/fixtures/optim.json from
// optim_fixtures.py): same init and data, losses at every step, final params and lrs must match.
// Trajectories run on every test device (reads are awaited, so asynchronous devices work unchanged).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testDevices, torch } from '../helpers.js';
import type { Device, Tensor } from '../../src/index.js';
import { gradsInternally } from '../../src/tensor.js';
const { optim } = torch;
type Opts = Record<string, unknown>;
interface OptCase { saveAt: number | null; kind: 'optim'; optimizer: string; problem: 'linreg' | 'rosen'; groups: ({ params: string[] } & Opts)[]; steps: number; closure: boolean; losses: number[]; final: Record<string, number[]> }
interface SchedCase { saveAt: number | null; kind: 'sched'; optimizer: string; groups: Opts[]; steps: number; lrs: number[][]; momenta?: (number | null)[][]; metrics?: number[] }
const fx = JSON.parse(readFileSync(new URL('../fixtures/optim.json', import.meta.url), 'utf8')) as {
  X: number[]; Y: number[]; W0: number[]; B0: number[]; R0: number[]; cases: Record<string, OptCase | SchedCase>;
};

function closeTo(actual: ArrayLike<number>, expected: number[], rtol: number, atol: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) throw new Error(`${what}[${i}]: got ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
  }
}

function problem(c: OptCase, device: Device): { params: Record<string, Tensor>; loss: () => Tensor } {
  if (c.problem === 'linreg') {
    const X = torch.tensor(fx.X, { device }).reshape(8, 4), Y = torch.tensor(fx.Y, { device }).reshape(8, 3);
    const params = { W: torch.tensor(fx.W0, { device }).reshape(3, 4).clone().requiresGrad_(), b: torch.tensor(fx.B0, { device, requiresGrad: true }) };
    return { params, loss: () => X.matmul(params.W.t()).add(params.b).sub(Y).pow(2).mean() };
  }
  const params = { p: torch.tensor(fx.R0, { device, requiresGrad: true }) };
  return {
    params,
    loss: () => {
      const x = params.p.select(0, 0), y = params.p.select(0, 1);
      return x.neg().add(1).pow(2).add(y.sub(x.pow(2)).pow(2).mul(100));
    },
  };
}

const ctor = (name: string) => (optim as unknown as Record<string, new (p: unknown, o?: Opts) => torch.optim.Optimizer>)[name]!;
function makeOpt(c: OptCase, params: Record<string, Tensor>): torch.optim.Optimizer {
  const groups = c.groups.map((g) => ({ ...g, params: g.params.map((n) => params[n]!) }));
  if (groups.length === 1) { const { params: ps, ...o } = groups[0]!; return new (ctor(c.optimizer))(ps, o); }
  return new (ctor(c.optimizer))(groups);
}

async function runSteps(c: OptCase, opt: torch.optim.Optimizer, loss: () => Tensor, from: number, to: number, losses: number[]): Promise<void> {
  const pending: Tensor[] = []; // losses read in one go: a read per step would wait on the device each time
  for (let s = from; s < to; s++) {
    const closure = (): Tensor => { opt.zeroGrad(); const l = loss(); l.backward(); return l; };
    if (c.closure) {
      const l = await (opt.step(closure) as unknown as Promise<Tensor | number>);
      losses.push(typeof l === 'number' ? l : Number(await l.item()));
    } else {
      // A user's tidy around the step must not dispose optimizer state.
      pending.push(torch.tidy(() => { const l = closure(); opt.step(); return l.detach(); }));
    }
  }
  if (pending.length) losses.push(...Array.from(await torch.stack(pending).data()));
}

const optCases = Object.entries(fx.cases).filter((e): e is [string, OptCase] => e[1].kind === 'optim');
const schedCases = Object.entries(fx.cases).filter((e): e is [string, SchedCase] => e[1].kind === 'sched');

for (const device of testDevices()) describe(`optimizers match PyTorch trajectories (${device})`, () => {
  for (const [name, c] of optCases) {
    // LBFGS decisions (line-search branches) amplify float32 rounding differences a little.
    const rtol = c.optimizer === 'LBFGS' ? 1e-4 : 1e-5;
    const atol = c.optimizer === 'LBFGS' ? 1e-5 : 1e-6;
    it(name, async () => {
      const { params, loss } = problem(c, device);
      const opt = makeOpt(c, params);
      const losses: number[] = [];
      await runSteps(c, opt, loss, 0, c.steps, losses);
      closeTo(losses, c.losses, rtol, atol, `${name} losses`);
      for (const [k, v] of Object.entries(c.final)) closeTo(await params[k]!.data(), v, rtol, atol, `${name} final ${k}`);
    });
    // The round trip is device-independent optimizer logic: checked on the CPU only (moving state to
    // a parameter's device is covered on every device by the PyTorch-checkpoint resume below).
    it(`${name}: stateDict/loadStateDict mid-trajectory continues identically`, async () => {
      const { params, loss } = problem(c, device);
      const opt = makeOpt(c, params);
      const losses: number[] = [];
      const half = Math.floor(c.steps / 2);
      await runSteps(c, opt, loss, 0, half, losses);
      const sd = opt.stateDict();
      expect(sd.param_groups.length).toBe(c.groups.length);
      const opt2 = makeOpt(c, params);
      opt2.loadStateDict(sd);
      opt.disposeState(); // the copy must not share tensors with the old optimizer
      await runSteps(c, opt2, loss, half, c.steps, losses);
      closeTo(losses, c.losses, c.optimizer === 'LBFGS' ? 1e-4 : 1e-5, 1e-5, `${name} resumed losses`);
    });
  }
});

for (const device of testDevices()) describe(`resuming from a PyTorch checkpoint (torch.save of params + optimizer.state_dict()) (${device})`, () => {
  for (const [name, c] of optCases.filter(([, c]) => c.saveAt !== null)) {
    it(`${name}: loadStateDict of PyTorch's state_dict continues PyTorch's trajectory`, async () => {
      const ck = await torch.load<{ params: Record<string, Tensor>; optim: torch.optim.PyTorchOptimizerStateDict }>(new URL(`../fixtures/files/${name}_resume.pt`, import.meta.url));
      const { params, loss } = problem(c, device);
      torch.noGrad(() => { for (const [k, p] of Object.entries(params)) p.copy_(ck.params[k]!); });
      const opt = makeOpt(c, params);
      opt.loadStateDict(ck.optim);
      expect(opt.paramGroups[0]!.weightDecay).toBe(c.groups[0]!.weightDecay ?? (c.optimizer === 'SGD' || c.optimizer === 'Adam' || c.optimizer === 'NAdam' ? 0 : undefined));
      const losses: number[] = [];
      await runSteps(c, opt, loss, c.saveAt!, c.steps, losses);
      closeTo(losses, c.losses.slice(c.saveAt!), 1e-5, 1e-6, `${name} resumed losses`);
      for (const [k, v] of Object.entries(c.final)) closeTo(await params[k]!.data(), v, 1e-5, 1e-6, `${name} final ${k}`);
    });
  }
});

describe('optimizer API', () => {
  it('fills group defaults, keeps per-group options, zeroGrad drops or zeroes', () => {
    const a = torch.ones(2, { requiresGrad: true }), b = torch.ones(3, { requiresGrad: true });
    const opt = new optim.SGD([{ params: [a] }, { params: [b], lr: 0.5 }], { lr: 0.1, momentum: 0.9 });
    expect(opt.paramGroups[0]!.lr).toBe(0.1);
    expect(opt.paramGroups[1]!.lr).toBe(0.5);
    expect(opt.paramGroups[1]!.momentum).toBe(0.9);
    a.sum().backward();
    const g = a.grad!;
    opt.zeroGrad({ setToNone: false });
    expect([...a.grad!.dataSync()]).toEqual([0, 0]);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
    // Read by user code, so possibly still held (PyTorch keeps it alive): dropped, not disposed.
    expect(g.isDisposed).toBe(false);
    expect(() => new optim.SGD([a, a])).toThrow(/more than one parameter group/);
    expect(() => new optim.Adam([a], { lr: -1 })).toThrow(/Invalid learning rate/);
    opt.addParamGroup({ params: [torch.zeros(1, { requiresGrad: true })], lr: 3 });
    expect(opt.paramGroups[2]!.momentum).toBe(0.9);
  });
  it('step(closure) returns the loss; an async closure resolves after the update', async () => {
    const w = torch.tensor([1, 2], { dtype: 'float32', requiresGrad: true });
    const opt = new optim.SGD([w], { lr: 0.5 });
    const loss = opt.step(() => { opt.zeroGrad(); const l = w.pow(2).sum(); l.backward(); return l; });
    expect(Number((loss as Tensor).itemSync())).toBe(5);
    expect([...w.dataSync()]).toEqual([0, 0]);
    const w2 = torch.tensor([2, 4], { dtype: 'float32', requiresGrad: true });
    const opt2 = new optim.SGD([w2], { lr: 0.25 });
    const l2 = await opt2.step(async () => { opt2.zeroGrad(); const l = w2.pow(2).sum(); l.backward(); await Promise.resolve(); return l; });
    expect(Number((l2 as Tensor).itemSync())).toBe(20);
    expect([...w2.dataSync()]).toEqual([1, 2]);
  });
});

function schedFactory(name: string): (o: torch.optim.Optimizer) => { step(m?: number | Tensor): void; getLastLr(): number[] } {
  const S = optim.lrScheduler;
  switch (name) {
    case 'StepLR': return (o) => new S.StepLR(o, 3, { gamma: 0.5 });
    case 'MultiStepLR': return (o) => new S.MultiStepLR(o, [2, 5, 5, 9], { gamma: 0.3 });
    case 'ExponentialLR': return (o) => new S.ExponentialLR(o, 0.9);
    case 'CosineAnnealingLR': return (o) => new S.CosineAnnealingLR(o, 6, { etaMin: 0.001 });
    case 'CosineAnnealingWarmRestarts': return (o) => new S.CosineAnnealingWarmRestarts(o, 3, { TMult: 2, etaMin: 0.01 });
    case 'LinearLR': return (o) => new S.LinearLR(o, { startFactor: 0.25, endFactor: 0.9, totalIters: 6 });
    case 'LambdaLR': return (o) => new S.LambdaLR(o, [(e) => 0.95 ** e, (e) => 1 / (1 + e)]);
    case 'OneCycleLR_cos_sgd': return (o) => new S.OneCycleLR(o, [1.0, 0.5], { totalSteps: 20 });
    case 'OneCycleLR_linear_three_phase_adam': return (o) => new S.OneCycleLR(o, 0.01, { totalSteps: 16, annealStrategy: 'linear', threePhase: true, pctStart: 0.25 });
    case 'OneCycleLR_no_momentum': return (o) => new S.OneCycleLR(o, 0.3, { epochs: 3, stepsPerEpoch: 4, cycleMomentum: false, divFactor: 10, finalDivFactor: 100 });
    case 'ReduceLROnPlateau_min_rel': return (o) => new S.ReduceLROnPlateau(o, { factor: 0.5, patience: 2, threshold: 0.01, cooldown: 1, minLr: 0.01 });
    case 'ReduceLROnPlateau_max_abs': return (o) => new S.ReduceLROnPlateau(o, { mode: 'max', factor: 0.1, patience: 1, threshold: 0.05, thresholdMode: 'abs' });
    case 'SequentialLR': return (o) => new S.SequentialLR(o, [new S.LinearLR(o, { startFactor: 0.1, totalIters: 4 }), new S.ExponentialLR(o, 0.8), new S.StepLR(o, 2, { gamma: 0.5 })], [4, 9]);
    case 'ConstantLR': return (o) => new S.ConstantLR(o, { factor: 0.5, totalIters: 4 });
    case 'MultiplicativeLR': return (o) => new S.MultiplicativeLR(o, [() => 0.95, (e) => 1 - 0.01 * e]);
    case 'PolynomialLR': return (o) => new S.PolynomialLR(o, { totalIters: 8, power: 2 });
    case 'ChainedScheduler': return (o) => new S.ChainedScheduler([new S.ConstantLR(o, { factor: 0.1, totalIters: 2 }), new S.ExponentialLR(o, 0.9)]);
    case 'CyclicLR_triangular_sgd': return (o) => new S.CyclicLR(o, [0.01, 0.001], [0.1, 0.02], { stepSizeUp: 4, stepSizeDown: 6 });
    case 'CyclicLR_triangular2': return (o) => new S.CyclicLR(o, 0.01, 0.1, { stepSizeUp: 3, mode: 'triangular2', baseMomentum: 0.85, maxMomentum: 0.95 });
    case 'CyclicLR_exp_range_no_momentum': return (o) => new S.CyclicLR(o, 0.01, 0.1, { stepSizeUp: 5, mode: 'exp_range', gamma: 0.97, cycleMomentum: false });
    case 'CyclicLR_scale_fn_iterations': return (o) => new S.CyclicLR(o, 0.02, 0.2, { stepSizeUp: 2, stepSizeDown: 5, scaleFn: (x) => 1 / (1 + 0.05 * x), scaleMode: 'iterations' });
    case 'CyclicLR_adam_beta1': return (o) => new S.CyclicLR(o, 0.001, 0.006, { stepSizeUp: 5, baseMomentum: 0.8, maxMomentum: 0.95 });
    default: throw new Error(`no TS factory for fixture case ${name}`);
  }
}

describe('lrScheduler matches PyTorch', () => {
  for (const [name, c] of schedCases) {
    it(name, () => {
      const ps = c.groups.map(() => torch.zeros(2, { requiresGrad: true }));
      const o = new (ctor(c.optimizer))(c.groups.map((g, i) => ({ ...g, params: [ps[i]!] })));
      const s = schedFactory(name)(o);
      const lrs = [o.paramGroups.map((g) => g.lr)];
      const moms = [o.paramGroups.map((g) => (g.betas ? (g.betas as number[])[0]! : (g.momentum as number)))];
      for (let i = 0; i < c.steps; i++) {
        o.step();
        s.step(c.metrics?.[i]);
        lrs.push(o.paramGroups.map((g) => g.lr));
        moms.push(o.paramGroups.map((g) => (g.betas ? (g.betas as number[])[0]! : (g.momentum as number))));
      }
      closeTo(lrs.flat(), c.lrs.flat(), 1e-12, 1e-15, `${name} lrs`);
      closeTo(s.getLastLr(), c.lrs[c.lrs.length - 1]!, 1e-12, 1e-15, `${name} getLastLr`);
      if (c.momenta) closeTo(moms.flat(), c.momenta.flat() as number[], 1e-12, 1e-15, `${name} momenta`);
    });
  }
  for (const [name, c] of schedCases.filter(([, c]) => c.saveAt !== null)) {
    it(`${name}: resumes from PyTorch's optimizer + scheduler state_dicts`, async () => {
      const ck = await torch.load<{ optim: torch.optim.PyTorchOptimizerStateDict; sched: Record<string, unknown> }>(new URL(`../fixtures/files/sched_${name}_resume.pt`, import.meta.url));
      const ps = c.groups.map(() => torch.zeros(2, { requiresGrad: true }));
      const o = new (ctor(c.optimizer))(c.groups.map((g, i) => ({ ...g, params: [ps[i]!] })));
      const s = schedFactory(name)(o) as { step(m?: number): void; getLastLr(): number[]; loadStateDict(sd: Record<string, unknown>): void };
      o.loadStateDict(ck.optim);
      s.loadStateDict(ck.sched);
      const lrs = [o.paramGroups.map((g) => g.lr)];
      for (let i = c.saveAt!; i < c.steps; i++) {
        o.step();
        s.step(c.metrics?.[i]);
        lrs.push(o.paramGroups.map((g) => g.lr));
      }
      closeTo(lrs.flat(), c.lrs.slice(c.saveAt!).flat(), 1e-12, 1e-15, `${name} resumed lrs`);
    });
  }
  it('ChainedScheduler and CyclicLR stateDict round trips continue the schedule (keys are PyTorch\'s)', () => {
    const S = optim.lrScheduler;
    const mk = () => {
      const o = new optim.SGD([torch.zeros(1, { requiresGrad: true })], { lr: 0.1, momentum: 0.9 });
      return [o, new S.ChainedScheduler([new S.PolynomialLR(o, { totalIters: 6 }), new S.MultiplicativeLR(o, () => 0.9)]), new S.CyclicLR(o, 0.01, 0.1, { stepSizeUp: 3 })] as const;
    };
    const [o1, c1, y1] = mk();
    for (let i = 0; i < 4; i++) { c1.step(); y1.step(); }
    const csd = c1.stateDict(), ysd = y1.stateDict();
    expect(Object.keys(csd)).toEqual(['_last_lr', '_schedulers']);
    expect(ysd).toMatchObject({ max_lrs: [0.1], total_size: 6, step_ratio: 0.5, mode: 'triangular', scale_mode: 'cycle', cycle_momentum: true, last_epoch: 4 });
    const [o2, c2, y2] = mk();
    c2.loadStateDict(JSON.parse(JSON.stringify(csd)) as Record<string, unknown>);
    y2.loadStateDict(JSON.parse(JSON.stringify(ysd)) as Record<string, unknown>);
    o2.paramGroups[0]!.lr = o1.paramGroups[0]!.lr;
    for (let i = 0; i < 3; i++) { c1.step(); y1.step(); c2.step(); y2.step(); }
    expect(y2.getLastLr()).toEqual(y1.getLastLr());
    expect(c2.getLastLr()).toEqual(c1.getLastLr());
    expect(o2.paramGroups[0]!.momentum).toBe(o1.paramGroups[0]!.momentum);
  });
  it('loadStateDict still takes the camelCase layout earlier torchlet versions wrote', () => {
    const S = optim.lrScheduler;
    const o = new optim.SGD([torch.zeros(1, { requiresGrad: true })], { lr: 0.1 });
    const s = new S.StepLR(o, 3, { gamma: 0.5 });
    s.loadStateDict({ lastEpoch: 4, baseLrs: [0.1], lastLr: [0.05], stepSize: 3, gamma: 0.5 });
    o.paramGroups[0]!.lr = 0.05;
    const lrs = [0, 1, 2].map(() => { s.step(); return o.paramGroups[0]!.lr; });
    expect(lrs).toEqual([0.05, 0.025, 0.025]); // epochs 5, 6, 7 of 0.1 * 0.5 ** floor(e / 3)
    const m = new S.MultiStepLR(o, [1]);
    m.loadStateDict({ milestones: [2, 5, 5], lastEpoch: 0 });
    expect(m.milestones).toEqual([2, 5, 5]);
    m.loadStateDict({ milestones: { 2: 1, 5: 2 } });
    expect(m.milestones).toEqual([2, 5, 5]);
  });
  it('stateDict round trip continues the schedule', () => {
    const mk = () => { const o = new optim.SGD([torch.zeros(1, { requiresGrad: true })], { lr: 0.1 }); return [o, new optim.lrScheduler.CosineAnnealingWarmRestarts(o, 3, { TMult: 2 })] as const; };
    const [o1, s1] = mk();
    for (let i = 0; i < 5; i++) s1.step();
    const [o2, s2] = mk();
    s2.loadStateDict(s1.stateDict());
    o2.paramGroups[0]!.lr = o1.paramGroups[0]!.lr;
    for (let i = 0; i < 3; i++) { s1.step(); s2.step(); }
    expect(s2.getLastLr()).toEqual(s1.getLastLr());
    expect(s2.getLastLr()[0]).not.toBe(0.1);
  });
});

describe('optimizer memory', () => {
  it('a training loop with tidy + zeroGrad runs flat in memory (state allocated once)', () => {
    const w = torch.randn([16, 8], { requiresGrad: true }), b = torch.zeros(16, { requiresGrad: true });
    const xb = torch.randn(32, 8), yb = torch.randn(32, 16);
    for (const make of [
      () => new optim.Adam([w, b], { lr: 1e-3, amsgrad: true }),
      () => new optim.SGD([w, b], { lr: 1e-3, momentum: 0.9, nesterov: true }),
      () => new optim.RMSprop([w, b], { centered: true, momentum: 0.5 }),
    ]) {
      const opt = make();
      const step = () => torch.tidy(() => {
        opt.zeroGrad();
        xb.matmul(w.t()).add(b).sub(yb).pow(2).mean().backward();
        opt.step();
      });
      step(); step();
      const before = torch.memory().cpu!.allocatedBytes;
      for (let i = 0; i < 20; i++) step();
      expect(torch.memory().cpu!.allocatedBytes).toBe(before);
      opt.zeroGrad();
      opt.disposeState();
    }
  });
});

describe('errors name the optimizer/scheduler and the bad value', () => {
  it('optimizers', () => {
    const a = torch.ones(2, { requiresGrad: true });
    expect(() => new optim.SGD([a], { lr: 0.1, nesterov: true })).toThrow(/SGD: Nesterov momentum requires a momentum and zero dampening/);
    expect(() => new optim.Adam([a], { betas: [1, 0.9] })).toThrow(/Adam: Invalid beta parameter at index 0: 1/);
    expect(() => new optim.RMSprop([a], { alpha: -1 })).toThrow(/RMSprop: Invalid alpha value: -1/);
    expect(() => new optim.SGD([])).toThrow(/empty parameter list/);
    expect(() => new optim.SGD([a.mul(2)])).toThrow(/non-leaf/);
    expect(() => new optim.LBFGS([{ params: [a] }, { params: [torch.ones(1, { requiresGrad: true })] }])).toThrow(/LBFGS doesn't support per-parameter options/);
    expect(() => new optim.LBFGS([a]).step()).toThrow(/requires a closure/);
    const o = new optim.SGD([a], { lr: 0.1 });
    expect(() => o.loadStateDict({ state: {}, paramGroups: [] })).toThrow(/different number of parameter groups/);
  });
  it('schedulers', () => {
    const o = new optim.SGD([torch.ones(2, { requiresGrad: true })], { lr: 0.1 });
    const oc = new optim.lrScheduler.OneCycleLR(o, 1, { totalSteps: 3 });
    oc.step(); oc.step(); oc.step();
    expect(() => oc.step()).toThrow(/OneCycleLR: Tried to step 5 times. The specified number of total steps is 3/);
    expect(() => new optim.lrScheduler.OneCycleLR(o, 1)).toThrow(/totalSteps OR \(epochs AND stepsPerEpoch\)/);
    expect(() => new optim.lrScheduler.OneCycleLR(new optim.Adagrad([torch.ones(1, { requiresGrad: true })]), 1, { totalSteps: 3 })).toThrow(/must support momentum/);
    expect(() => new optim.lrScheduler.ReduceLROnPlateau(o, { factor: 1 })).toThrow(/Factor should be < 1.0/);
    expect(() => new optim.lrScheduler.LinearLR(o, { startFactor: 0 })).toThrow(/LinearLR: Starting multiplicative factor/);
    const s1 = new optim.lrScheduler.StepLR(o, 2);
    expect(() => new optim.lrScheduler.SequentialLR(o, [s1], [3])).toThrow(/one more than the number of milestone points/);
    expect(() => new optim.lrScheduler.ConstantLR(o, { factor: 2 })).toThrow(/ConstantLR: Constant multiplicative factor expected to be between 0 and 1/);
    expect(() => new optim.lrScheduler.CyclicLR(o, 0.1, 1, { mode: 'bogus' as 'triangular' })).toThrow(/CyclicLR: mode bogus is invalid/);
    expect(() => new optim.lrScheduler.CyclicLR(new optim.Adagrad([torch.ones(1, { requiresGrad: true })]), 0.1, 1)).toThrow(/CyclicLR: optimizer must support momentum/);
    expect(() => new optim.lrScheduler.ChainedScheduler([s1, new optim.lrScheduler.StepLR(new optim.SGD([torch.ones(1, { requiresGrad: true })]), 2)])).toThrow(/ChainedScheduler: expects all schedulers to belong to the same optimizer/);
  });
});

describe('LBFGS memory', () => {
  for (const lineSearchFn of [null, 'strong_wolfe'] as const) {
    it(`frees its temporaries (lineSearchFn ${lineSearchFn})`, async () => {
      const w = torch.tensor([0.5, -1.5, 2, 0.25], { requiresGrad: true });
      const A = torch.tensor([[3, 0.5, 0, 0], [0.5, 2, 0.1, 0], [0, 0.1, 1, 0.2], [0, 0, 0.2, 4]]);
      const opt = new optim.LBFGS([w], { lr: 0.5, maxIter: 3, historySize: 2, lineSearchFn });
      const closure = () => torch.tidy(() => { opt.zeroGrad(); const l = w.matmul(A).dot(w).add(w.sum()); l.backward(); return l; });
      const step = async () => { const l = await opt.step(closure); if (typeof l !== 'number') l.dispose(); };
      for (let i = 0; i < 3; i++) await step();
      const before = torch.memory().cpu!.allocatedBytes;
      for (let i = 0; i < 4; i++) await step();
      expect(torch.memory().cpu!.allocatedBytes).toBe(before);
    });
  }
});

describe('Adam/AdamW with a zero or vanishing lr (the folded step constants would overflow float32)', () => {
  for (const device of testDevices()) {
    it(device, async () => {
      for (const [Opt, lr] of [[torch.optim.Adam, 0], [torch.optim.AdamW, 0], [torch.optim.Adam, 1e-45], [torch.optim.AdamW, 1e-300]] as const) {
        const init = [0.5, -1.25, 3, 0];
        const p = torch.tensor(init, { device }).requiresGrad_();
        p.grad = torch.tensor([0, 1, -2, 0], { dtype: 'float32', device }); // zero gradients give v = 0: inf * 0 would be NaN
        const opt = new Opt([p], { lr });
        opt.step(); opt.step();
        expect(Array.from(await p.data()), `${Opt.name} lr=${lr}`).toEqual(init);
      }
    });
  }
});

describe('zeroGrad and gradients user code holds (PyTorch keeps them alive)', () => {
  it('zeroGrad(setToNone false) detaches a createGraph gradient and zeroes it, from the optimizer and the module alike', () => {
    // PyTorch 1.13: after (p ** 3).sum().backward(create_graph=True), p.grad = [3, 12] with a grad_fn;
    // zero_grad(set_to_none=False) leaves tensor([0., 0.]), grad_fn None, requires_grad False.
    for (const via of ['optimizer', 'module'] as const) {
      const lin = new torch.nn.Linear(1, 2, { bias: false });
      const p = lin.weight;
      torch.noGrad(() => p.copy_(torch.tensor([[1], [2]])));
      p.pow(3).sum().backward({ createGraph: true });
      expect(p.grad!.gradFn).not.toBeNull();
      expect(Array.from(p.grad!.dataSync())).toEqual([3, 12]);
      if (via === 'optimizer') new optim.SGD([p], { lr: 0.1 }).zeroGrad(false);
      else lin.zeroGrad(false);
      expect([p.grad!.gradFn, p.grad!.requiresGrad, Array.from(p.grad!.dataSync())]).toEqual([null, false, [0, 0]]);
    }
  });

  it('a .grad read before zeroGrad keeps its values; one nobody read is disposed at once', () => {
    torch.manualSeed(7);
    const model = new torch.nn.Linear(4, 3);
    const opt = new optim.Adam(model.parameters(), { lr: 1e-2 });
    const x = torch.randn([5, 4]);
    model.forward(x).square().sum().backward();
    // As a PyTorch user logs gradients: held across zero_grad and the next step.
    const held = model.weight.grad!, before = [...held.dataSync()];
    const bias = gradsInternally(() => model.bias!.grad!); // the library's own look: not a user read
    opt.step();
    opt.zeroGrad();
    expect(model.weight.grad).toBeNull();
    expect(held.isDisposed).toBe(false);
    expect([...held.dataSync()]).toEqual(before);
    expect(bias.isDisposed).toBe(true);
    // The next backward makes fresh gradients; the held one is untouched.
    model.forward(x).square().sum().backward();
    expect(model.weight.grad).not.toBe(held);
    expect([...held.dataSync()]).toEqual(before);
  });

  it('Module.zeroGrad likewise, and a gradient assigned by user code is never disposed by it', () => {
    const lin = new torch.nn.Linear(2, 2);
    lin.forward(torch.ones([1, 2])).sum().backward();
    const mine = torch.ones([2, 2]);
    lin.weight.grad = mine;
    const b = gradsInternally(() => lin.bias!.grad!);
    lin.zeroGrad();
    expect(lin.weight.grad).toBeNull();
    expect(lin.bias!.grad).toBeNull();
    expect(mine.isDisposed).toBe(false);
    expect([...mine.dataSync()]).toEqual([1, 1, 1, 1]);
    expect(b.isDisposed).toBe(true);
  });
});
