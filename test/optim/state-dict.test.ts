// optimizer.stateDict() in PyTorch's layout, checked against what PyTorch 1.13's state_dict() holds
// for every optimizer (test/fixtures/files/interop/expected.json 'layouts', from
// checkpoint_fixtures.py); PyTorch-saved Adam/AdamW/SGD checkpoints resume PyTorch's own trajectory
// on every device; a nested { model, optimizer, epoch } checkpoint resumes identically through .pt
// and safetensors; the camelCase layout torchlet wrote before still loads.
import { describe, expect, it } from 'vitest';
import { testDevices, torch } from '../helpers.js';
import type { Tensor } from '../../src/index.js';
import { OPTIMS, closeTo, fx, reg, regression } from './regression.js';

const layouts = (fx as unknown as { layouts: Record<string, { state: Record<string, [string, string | null, number | null]>; groups: string[]; options: Record<string, unknown> }> }).layouts;
// PyTorch's implementation switches (foreach kernels, CUDA graphs, fused kernels) have no torchlet counterpart.
const PYTORCH_ONLY = new Set(['foreach', 'differentiable', 'capturable', 'fused']);
const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
type Ctor = new (p: Tensor[], o?: Record<string, unknown>) => torch.optim.Optimizer;

describe('stateDict() holds what PyTorch 1.13 state_dict() holds', () => {
  for (const [name, want] of Object.entries(layouts)) {
    it(name, async () => {
      const p = torch.tensor([1, -2, 0.5], { requiresGrad: true });
      const opts = Object.fromEntries(Object.entries(want.options).map(([k, v]) => [camel(k), v]));
      const opt = new ((torch.optim as unknown as Record<string, Ctor>)[name]!)([p], opts);
      const closure = () => { opt.zeroGrad(); const l = p.pow(2).sum(); l.backward(); return l; };
      for (let i = 0; i < 2; i++) await opt.step(closure);
      const sd = opt.stateDict();
      expect(Object.keys(sd)).toEqual(['state', 'param_groups']);
      expect(Object.keys(sd.state)).toEqual(['0']);
      const { params, ...group } = sd.param_groups[0]!;
      expect(params).toEqual([0]);
      expect(Object.keys(group).sort()).toEqual(want.groups.filter((k) => k !== 'params' && !PYTORCH_ONLY.has(k)).sort());
      const state = sd.state[0]!;
      // LBFGS's 'al' is scratch space PyTorch recreates when missing.
      expect(Object.keys(state).sort()).toEqual(Object.keys(want.state).filter((k) => !(name === 'LBFGS' && k === 'al')).sort());
      for (const [k, [type, dtype, ndim]] of Object.entries(want.state)) {
        const v = state[k];
        if (type === 'Tensor') {
          expect(v instanceof torch.Tensor, `${k} is a Tensor`).toBe(true);
          expect([(v as Tensor).dtype, (v as Tensor).ndim], k).toEqual([dtype, ndim]);
        } else if (type === 'list') {
          if (k !== 'al') expect(Array.isArray(v) && (v as unknown[]).every((x) => x instanceof torch.Tensor), `${k} is a list of tensors`).toBe(true);
        } else expect(typeof v, k).toBe('number');
      }
    });
  }
});

for (const device of testDevices()) describe(`PyTorch-saved optimizer checkpoints resume PyTorch's run (${device})`, () => {
  for (const name of Object.keys(OPTIMS)) {
    it(`${name}: wrong constructor options are replaced by the file's; the losses continue PyTorch's`, async () => {
      const ck = await torch.load<{ params: Record<string, Tensor>; optim: torch.optim.OptimizerStateDict }>(new URL(`../fixtures/files/interop/optim_${name}.pt`, import.meta.url));
      const { W, b, step } = regression(device);
      torch.noGrad(() => { W.copy_(ck.params.W!); b.copy_(ck.params.b!); });
      const Cls = { adam: torch.optim.Adam, adamw: torch.optim.AdamW, sgd_momentum: torch.optim.SGD }[name]!;
      const opt = new Cls([W, b], { lr: 9, weightDecay: 0.5 });
      opt.loadStateDict(ck.optim);
      expect(opt.paramGroups[0]!.lr).toBe(0.05);
      const losses: Tensor[] = [];
      for (let i = reg.saveAt; i < reg.steps; i++) losses.push(step(opt));
      const want = fx.optim[name]!;
      closeTo(await torch.stack(losses).data(), want.losses.slice(reg.saveAt), 1e-5, 1e-6, `${name} losses`);
      closeTo(await W.data(), want.final.W, 1e-5, 1e-6, `${name} W`);
      closeTo(await b.data(), want.final.b, 1e-5, 1e-6, `${name} b`);
    });
  }
  if (device !== 'cpu') {
    it('a step tensor loaded onto this device is refused by name (loadStateDict reads it synchronously)', async () => {
      const ck = await torch.load<{ optim: torch.optim.OptimizerStateDict }>(new URL('../fixtures/files/interop/optim_adam.pt', import.meta.url), { mapLocation: device });
      const { W, b } = regression(device);
      expect(() => new torch.optim.Adam([W, b]).loadStateDict(ck.optim)).toThrow(new RegExp(`Adam\\.loadStateDict: state 'step' is a 0-d tensor on '${device}', which cannot be read synchronously; load the checkpoint with mapLocation 'cpu'`));
    });
  }
});

describe('torchlet checkpoints of model + optimizer resume identically', () => {
  for (const format of ['pt', 'safetensors'] as const) {
    for (const name of Object.keys(OPTIMS)) {
      it(`${name} through ${format}`, async () => {
        const a = regression('cpu');
        const optA = OPTIMS[name]!([a.W, a.b]);
        for (let i = 0; i < reg.saveAt; i++) a.step(optA);
        const bytes = await torch.save({ model: { W: a.W.detach(), b: a.b.detach() }, optimizer: optA.stateDict(), epoch: reg.saveAt }, null, { format });
        const rest = Array.from({ length: reg.steps - reg.saveAt }, () => a.step(optA).itemSync());
        const ck = await torch.load<{ model: Record<string, Tensor>; optimizer: torch.optim.OptimizerStateDict; epoch: number }>(bytes);
        expect(ck.epoch).toBe(reg.saveAt);
        const b = regression('cpu');
        torch.noGrad(() => { b.W.copy_(ck.model.W!); b.b.copy_(ck.model.b!); });
        const optB = OPTIMS[name]!([b.W, b.b]);
        optB.loadStateDict(ck.optimizer);
        expect(Array.from({ length: reg.steps - reg.saveAt }, () => b.step(optB).itemSync())).toEqual(rest);
        expect(b.W.tolistSync()).toEqual(a.W.tolistSync());
      });
    }
  }
  it('the camelCase layout torchlet wrote before still loads; a non-state-dict is a TypeError', () => {
    const a = regression('cpu');
    const opt = OPTIMS.adam!([a.W, a.b]);
    a.step(opt);
    const sd = opt.stateDict();
    const legacy = {
      state: Object.fromEntries(Object.entries(sd.state).map(([k, s]) => [k, { step: Number((s.step as Tensor).itemSync()), expAvg: s.exp_avg, expAvgSq: s.exp_avg_sq, maxExpAvgSq: s.max_exp_avg_sq }])),
      paramGroups: sd.param_groups.map(({ weight_decay: weightDecay, ...g }) => ({ ...g, weightDecay })),
    } as torch.optim.LegacyOptimizerStateDict;
    const b = regression('cpu');
    torch.noGrad(() => { b.W.copy_(a.W); b.b.copy_(a.b); });
    const opt2 = new torch.optim.Adam([b.W, b.b]);
    opt2.loadStateDict(legacy);
    expect(opt2.paramGroups[0]!.weightDecay).toBe(0.01);
    expect(b.step(opt2).itemSync()).toBe(a.step(opt).itemSync());
    expect(() => opt2.loadStateDict({ state: {} } as unknown as torch.optim.OptimizerStateDict)).toThrow(/Adam\.loadStateDict: expected \{ state, param_groups \}/);
  });
});
