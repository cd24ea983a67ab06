// torch.optim.swaUtils against real PyTorch 1.13 (check_swa.py, run with /usr/bin/python3): the same
// closed-form weights and batches on both sides (sin/cos of the element index, no shared RNG), then
// averaged parameters after k updates (SWA mean, EMA avgFn, useBuffers), the SWALR lr sequence for
// 10 steps in both strategies, and BatchNorm running stats after updateBn. Also the API contract:
// stateDict keys, options checked, errors worded as PyTorch's.
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';
import type { Tensor } from '../../src/index.js';

const nn = torch.nn;
const swa = torch.optim.swaUtils;
const CHECKER = new URL('./check_swa.py', import.meta.url).pathname;

interface BnSeen { mean: number[]; var: number[]; nbt: number; momentum: number | null; training: boolean }
interface Seen {
  swa_keys: string[]; swa: Record<string, number[]>; swa_forward: number[]; ema: Record<string, number[]>; buffers: Record<string, number[]>;
  swalr: Record<string, { lrs: number[][]; keys: string[]; group_keys: string[] }>; bn: BnSeen; bn2: BnSeen;
}

/** Element i of version k: sin(0.7 i + k) * 0.5 + 0.1 k, computed in float64 and rounded to the tensor's dtype (as check_swa.py). */
function fill(t: Tensor, k: number): void {
  const v = Array.from({ length: t.numel() }, (_, i) => Math.sin(0.7 * i + k) * 0.5 + 0.1 * k);
  torch.noGrad(() => t.copy_(torch.tensor(v, { dtype: 'float64' }).reshape(t.shape)));
}
const net = () => new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4), new nn.ReLU(), new nn.Linear(4, 2));
const setVersion = (m: torch.nn.Module, k: number): void => m.parameters().forEach((p, j) => fill(p, k + j));
function batch(b: number, rows: number): Tensor {
  const v = Array.from({ length: rows }, (_, r) => Array.from({ length: 3 }, (_, c) => Math.cos(0.3 * (b * 10 + r) + c) * (1 + b)));
  return torch.tensor(v, { dtype: 'float32' });
}
const flat = (t: Tensor): number[] => Array.from(t.detach().to('float64').dataSync() as Float64Array);
function expectClose(got: number[], want: number[], tol = 1e-6): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(want[i]!))));
}
function expectState(m: torch.nn.Module, want: Record<string, number[]>): void {
  const sd = m.stateDict();
  expect(Object.keys(sd)).toEqual(Object.keys(want));
  for (const [k, v] of Object.entries(want)) expectClose(flat(sd[k]!), v);
}

describe('torch.optim.swaUtils against PyTorch 1.13', () => {
  let seen: Seen;
  beforeAll(() => {
    seen = JSON.parse(execFileSync('/usr/bin/python3', [CHECKER], { encoding: 'utf8', maxBuffer: 1 << 24 })) as Seen;
  }, 120_000);

  it('AveragedModel: the SWA mean after 4 updates, stateDict keys n_averaged and module.<...>, forward runs the copy', () => {
    const m = net();
    setVersion(m, 0);
    const avg = new swa.AveragedModel(m);
    for (let k = 0; k < 4; k++) { setVersion(m, k + 1); avg.updateParameters(m); }
    expect(Object.keys(avg.stateDict())).toEqual(seen.swa_keys);
    expectState(avg, seen.swa);
    expect(avg.nAveraged.itemSync()).toBe(4);
    avg.eval();
    expectClose(flat(avg.call(batch(0, 3)) as Tensor), seen.swa_forward);
    // The copy is deep: the model's own parameters are untouched by the averaging.
    expect(m.parameters()[0]).not.toBe(avg.module.parameters()[0]);
  });

  it('AveragedModel: an EMA avgFn (0.75 avg + 0.25 p) after 3 updates', () => {
    const m = net();
    setVersion(m, 0);
    const ema = new swa.AveragedModel(m, { avgFn: (a, p) => a.mul(0.75).add(p.mul(0.25)) });
    for (let k = 0; k < 3; k++) { setVersion(m, 2 * k + 1); ema.updateParameters(m); }
    expectState(ema, seen.ema);
  });

  it('AveragedModel: useBuffers averages BatchNorm statistics too', () => {
    const m = net();
    setVersion(m, 0);
    const avg = new swa.AveragedModel(m, { useBuffers: true });
    for (let k = 0; k < 3; k++) { setVersion(m, k + 2); m.train(); m.call(batch(k, 5)); avg.updateParameters(m); }
    expectState(avg, seen.buffers);
  });

  it('AveragedModel: a stateDict round trip restores the count and the average', () => {
    const m = net();
    setVersion(m, 0);
    const a = new swa.AveragedModel(m);
    for (let k = 0; k < 2; k++) { setVersion(m, k + 1); a.updateParameters(m); }
    const b = new swa.AveragedModel(net());
    b.loadStateDict(a.stateDict());
    setVersion(m, 7); a.updateParameters(m); b.updateParameters(m);
    expect(b.nAveraged.itemSync()).toBe(3);
    for (const [k, v] of Object.entries(a.stateDict())) expect(flat(b.stateDict()[k]!)).toEqual(flat(v));
  });

  for (const strategy of ['cos', 'linear'] as const) {
    for (const epochs of [0, 1, 3, 5]) {
      it(`SWALR: 10 steps, annealStrategy '${strategy}', annealEpochs ${epochs}, two groups`, () => {
        const ps = [torch.zeros(2, { requiresGrad: true }), torch.zeros(2, { requiresGrad: true })];
        const o = new torch.optim.SGD([{ params: [ps[0]!] }, { params: [ps[1]!], lr: 0.2 }], { lr: 0.5, momentum: 0.9 });
        const s = new swa.SWALR(o, [0.05, 0.01], { annealEpochs: epochs, annealStrategy: strategy });
        const seq = [s.getLastLr()];
        for (let i = 0; i < 10; i++) { o.step(); s.step(); seq.push(s.getLastLr()); }
        const want = seen.swalr[`${strategy}_${epochs}`]!;
        expectClose(seq.flat(), want.lrs.flat(), 1e-12);
        // PyTorch's state_dict keys (anneal_func, a bound method, is code: not written).
        expect(Object.keys(s.stateDict()).sort()).toEqual(want.keys);
        // Each group holds swa_lr (and initial_lr), under PyTorch's names in the optimizer's stateDict.
        expect(want.group_keys).toEqual(expect.arrayContaining(['swa_lr', 'initial_lr']));
        expect(Object.keys(o.stateDict().param_groups[0]!)).toEqual(expect.arrayContaining(['swa_lr', 'initial_lr']));
      });
    }
  }

  it('SWALR: a stateDict round trip continues the sequence', () => {
    const make = () => {
      const o = new torch.optim.SGD([torch.zeros(2, { requiresGrad: true })], { lr: 0.5 });
      return [o, new swa.SWALR(o, 0.05, { annealEpochs: 4 })] as const;
    };
    const [o1, s1] = make();
    for (let i = 0; i < 2; i++) { o1.step(); s1.step(); }
    const [o2, s2] = make();
    o2.loadStateDict(o1.stateDict()); s2.loadStateDict(s1.stateDict());
    for (let i = 0; i < 4; i++) { s1.step(); s2.step(); expect(s2.getLastLr()).toEqual(s1.getLastLr()); }
  });

  it('updateBn: running stats of the averaged model after one pass over (x, y) batches; momentum and eval mode restored', () => {
    const m = net();
    setVersion(m, 0);
    const avg = new swa.AveragedModel(m);
    for (let k = 0; k < 4; k++) { setVersion(m, k + 1); avg.updateParameters(m); }
    avg.eval();
    const loader = ([[1, 4], [2, 6], [3, 3]] as const).map(([b, r]) => [batch(b, r), torch.zeros(r)]);
    swa.updateBn(loader, avg);
    const bn = (avg.module as torch.nn.Sequential).get(1) as torch.nn.BatchNorm1d;
    expectClose(flat(bn.runningMean!), seen.bn.mean);
    expectClose(flat(bn.runningVar!), seen.bn.var);
    expect(bn.numBatchesTracked!.itemSync()).toBe(seen.bn.nbt);
    expect(bn.momentum).toBe(seen.bn.momentum);
    expect(avg.training).toBe(seen.bn.training);
  });

  it('updateBn: a loader of bare tensors; momentum null stays null', () => {
    const m = new nn.Sequential(new nn.Linear(3, 3), new nn.BatchNorm1d(3, { momentum: null }));
    setVersion(m, 4);
    swa.updateBn([batch(4, 5), batch(5, 2)], m);
    const bn = m.get(1) as torch.nn.BatchNorm1d;
    expectClose(flat(bn.runningMean!), seen.bn2.mean);
    expectClose(flat(bn.runningVar!), seen.bn2.var);
    expect(bn.numBatchesTracked!.itemSync()).toBe(seen.bn2.nbt);
    expect(bn.momentum).toBe(seen.bn2.momentum);
    expect(m.training).toBe(seen.bn2.training);
  });

  it('updateBn: a DataLoader over a TensorDataset; an async-only loader returns a Promise', async () => {
    const x = torch.cat([batch(1, 4), batch(2, 4)]);
    const ds = new torch.utils.data.TensorDataset(x, torch.zeros(8));
    const a = new nn.Sequential(new nn.Linear(3, 3), new nn.BatchNorm1d(3));
    setVersion(a, 1);
    const b = nn.Module.deepcopy(a);
    swa.updateBn(new torch.utils.data.DataLoader(ds, { batchSize: 4 }), a);
    async function* gen() { yield [batch(1, 4)]; yield [batch(2, 4)]; }
    const r = swa.updateBn(gen(), b);
    expect(r).toBeInstanceOf(Promise);
    await r;
    expect(flat((a.get(1) as torch.nn.BatchNorm1d).runningMean!)).toEqual(flat((b.get(1) as torch.nn.BatchNorm1d).runningMean!));
  });
});

describe('torch.optim.swaUtils: arguments and errors', () => {
  const opt = () => new torch.optim.SGD([torch.zeros(2, { requiresGrad: true })], { lr: 0.1 });
  it('SWALR refuses what PyTorch refuses, in its words', () => {
    expect(() => new swa.SWALR(opt(), 0.05, { annealStrategy: 'exp' as 'cos' })).toThrow("anneal_strategy must by one of 'cos' or 'linear', instead got exp");
    expect(() => new swa.SWALR(opt(), 0.05, { annealEpochs: -1 })).toThrow('anneal_epochs must be equal or greater than 0, got -1');
    expect(() => new swa.SWALR(opt(), [0.1, 0.2])).toThrow('swa_lr must have the same length as optimizer.param_groups: swa_lr has 2, optimizer.param_groups has 1');
  });
  it('snake_case options and methods get the camelCase name', () => {
    expect(() => new swa.AveragedModel(net(), { use_buffers: true } as never)).toThrow("unknown option 'use_buffers' (did you mean 'useBuffers'?)");
    expect(() => new swa.SWALR(opt(), 0.05, { anneal_epochs: 3 } as never)).toThrow("(did you mean 'annealEpochs'?)");
    const a = new swa.AveragedModel(net()) as unknown as Record<string, unknown>;
    expect(() => a.update_parameters).toThrow('use .updateParameters');
    expect(() => swa.updateBn([], net(), { device_: 'cpu' } as never)).toThrow(TypeError);
  });
  it('a model that is not a Module is refused', () => {
    expect(() => new swa.AveragedModel({} as never)).toThrow(TypeError);
  });
  it('updateBn on a model without BatchNorm does nothing and reads no data', () => {
    let read = false;
    swa.updateBn({ *[Symbol.iterator]() { read = true; yield torch.zeros(1, 3); } }, new nn.Linear(3, 2));
    expect(read).toBe(false);
  });
});
