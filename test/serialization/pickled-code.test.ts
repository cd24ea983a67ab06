// Checkpoints written by real PyTorch 1.13 (make_pickled_code.py, /usr/bin/python3) whose scheduler
// state_dict holds pickled code: OneCycleLR's anneal_func is a bound method (pickled with the
// scheduler object and its SGD optimizer), SWALR's a class function. torch.load must load them
// (the code as inert placeholders that name it, never run), the model weights beside them must load,
// the scheduler's loadStateDict must skip the placeholders and step on PyTorch's own lr sequence;
// weightsOnly: true refuses the global as PyTorch's weights_only does.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';
import type { Tensor } from '../../src/index.js';
import { PickledReference, isPickledReference } from '../../src/serialization/index.js';

const MAKER = new URL('./make_pickled_code.py', import.meta.url).pathname;
const S = torch.optim.lrScheduler;

interface Case { lrs: number[][]; weights_only_error: string | null }
type Seen = Record<'onecycle' | 'onecycle_linear' | 'swalr', Case> & { func_weights_only_error: string };
interface Ckpt { model: Record<string, Tensor>; optim: Record<string, unknown>; sched: Record<string, unknown>; epoch: number }

function model(): torch.nn.Linear { return new torch.nn.Linear(3, 2); }
const CASES = {
  onecycle: { steps: 3, make: (o: torch.optim.Optimizer) => new S.OneCycleLR(o, 1.0, { totalSteps: 10 }), fn: 'torch.optim.lr_scheduler.OneCycleLR._annealing_cos' },
  onecycle_linear: { steps: 3, make: (o: torch.optim.Optimizer) => new S.OneCycleLR(o, 0.5, { totalSteps: 12, annealStrategy: 'linear', threePhase: true }), fn: 'torch.optim.lr_scheduler.OneCycleLR._annealing_linear' },
  swalr: { steps: 2, make: (o: torch.optim.Optimizer) => new torch.optim.swaUtils.SWALR(o, 0.05, { annealEpochs: 6 }), fn: 'torch.optim.swa_utils.SWALR._cosine_anneal' },
} as const;

describe('PyTorch 1.13 checkpoints holding a scheduler with pickled code', () => {
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-pickled-code-'));
  let seen: Seen;
  beforeAll(() => {
    seen = JSON.parse(execFileSync('/usr/bin/python3', [MAKER, dir], { encoding: 'utf8', maxBuffer: 1 << 24 })) as Seen;
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const [name, c] of Object.entries(CASES)) {
    it(`${name}: refused by default (weightsOnly); with weightsOnly false it loads, anneal_func an inert placeholder naming ${c.fn}; weights, optimizer and scheduler resume on PyTorch's lr sequence`, async () => {
      await expect(torch.load(join(dir, `${name}.pt`))).rejects.toThrow(/Weights only load failed.*pass \{ weightsOnly: false \}/);
      const ck = await torch.load<Ckpt>(join(dir, `${name}.pt`), { weightsOnly: false });
      const fn = ck.sched.anneal_func;
      expect(isPickledReference(fn)).toBe(true);
      expect(fn).toBeInstanceOf(PickledReference);
      expect((fn as PickledReference).kind).toBe('function');
      expect((fn as PickledReference).qualifiedName).toBe(c.fn);
      expect(String(fn)).toContain(c.fn);
      expect(ck.epoch).toBe(c.steps);
      const m = model();
      m.loadStateDict(ck.model);
      expect(Array.from(m.weight.dataSync())).toEqual([0, 1, 2, 3, 4, 5].map((i) => i * 0.25 - 0.5));
      expect(Array.from(m.bias!.dataSync())).toEqual([0.125, -0.375]);
      const o = new torch.optim.SGD(m.parameters(), { lr: 0.1, momentum: 0.9 });
      const s = c.make(o);
      o.loadStateDict(ck.optim as never);
      s.loadStateDict(ck.sched);
      const lrs: number[][] = [];
      for (let i = 0; i < 5; i++) { o.step(); s.step(); lrs.push([o.paramGroups[0]!.lr, o.paramGroups[0]!.momentum as number]); }
      lrs.flat().forEach((v, i) => expect(v).toBeCloseTo(seen[name as keyof typeof CASES].lrs.flat()[i]!, 12));
    });
  }

  it('the bound method keeps the pickled scheduler object inert: a placeholder object with its loaded __dict__', async () => {
    const ck = await torch.load<Ckpt>(join(dir, 'onecycle.pt'), { weightsOnly: false });
    // anneal_func = getattr(<OneCycleLR object>, '_annealing_cos'); the object itself is reachable through nothing
    // executable: the bound method names the class and method only.
    expect(Object.keys(ck.sched)).toContain('_schedule_phases');
    expect(ck.sched.total_steps).toBe(10);
  });

  it("weightsOnly: true refuses the global as PyTorch's weights_only does, naming it", async () => {
    const want = seen.func_weights_only_error;
    expect(want).toMatch(/Unsupported class torch\.nn\.functional\.relu/);
    await expect(torch.load(join(dir, 'func.pt'), { weightsOnly: true })).rejects.toThrow(/Weights only load failed\. WeightsUnpickler error: Unsupported class torch\.nn\.functional\.relu/);
    await expect(torch.load(join(dir, 'onecycle.pt'), { weightsOnly: true })).rejects.toThrow(/Unsupported class __builtin__\.getattr/);
    // weightsOnly false (the default): the function is a placeholder, the rest is data.
    const ck = await torch.load<{ fn: PickledReference; n: number; w: Tensor }>(join(dir, 'func.pt'), { weightsOnly: false });
    expect(ck.fn.kind).toBe('global');
    expect(ck.fn.qualifiedName).toBe('torch.nn.functional.relu');
    expect(ck.n).toBe(3);
    expect(ck.w.shape).toEqual([2, 3]);
  });

  it('a plain state dict loads the same with weightsOnly true and false; safetensors too', async () => {
    const a = await torch.load<Record<string, Tensor>>(join(dir, 'plain.pt'), { weightsOnly: true });
    const b = await torch.load<Record<string, Tensor>>(join(dir, 'plain.pt'));
    expect(Object.keys(a)).toEqual(['weight', 'bias']);
    for (const k of Object.keys(a)) expect(Array.from(a[k]!.dataSync())).toEqual(Array.from(b[k]!.dataSync()));
    const st = await torch.save({ x: torch.ones(2) });
    expect(Array.from((await torch.load<Record<string, Tensor>>(st, { weightsOnly: true })).x!.dataSync())).toEqual([1, 1]);
    expect(readFileSync(join(dir, 'plain.pt')).length).toBeGreaterThan(0);
  });

  it('weightsOnly is checked: a non-boolean or a snake_case spelling is a TypeError', async () => {
    const b = readFileSync(join(dir, 'plain.pt'));
    // (The argument check throws at the call, before a Promise exists.)
    const run = async (opts: unknown) => torch.load(b, opts as never);
    await expect(run({ weightsOnly: 'yes' })).rejects.toThrow(/option 'weightsOnly' must be boolean/);
    await expect(run({ weights_only: true })).rejects.toThrow(/did you mean 'weightsOnly'/);
  });
});
