// torchlet's checkpoints read by real PyTorch 1.13 and NumPy (/usr/bin/python3, which CI installs
// through .ci/run): test/fixtures/check_torchlet_files.py loads what each device wrote and prints what
// it sees. .pt state dicts must load with weights_only=True into the same nn.Sequential and compute
// the same forward; optimizer state saved mid-run must resume PyTorch's own uninterrupted trajectory
// (test/fixtures/files/interop/expected.json); .npy/.npz must come back with their dtypes and values.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDevices, torch } from '../helpers.js';
import type { Tensor } from '../../src/index.js';
import { OPTIMS, closeTo, fx, reg, regression } from '../optim/regression.js';

const { nn } = torch;
const CHECKER = new URL('../fixtures/check_torchlet_files.py', import.meta.url).pathname;

interface Seen { dtype: string; shape: number[]; stride: number[]; offset: number; data: (number | boolean)[]; requires_grad: boolean }
interface ZipReport { names: string[]; crc_ok: boolean; byteorder: string; version: string; protocol: number; bad_ops: string[]; bad_globals: string[] }
interface Report {
  model: { tensors: Record<string, Seen>; shared: string[][]; forward: number[]; zip: ZipReport };
  checkpoint: { zip: ZipReport; tree: unknown };
  [k: string]: unknown;
}
interface OptimSeen { losses: number[]; group: Record<string, unknown>; state_keys: number[]; state0: Record<string, [string, string | null]>; final: { W: number[]; b: number[] } }
interface NpSeen { dtype: string; shape: number[]; data: (number | boolean)[] }

for (const device of testDevices()) describe(`PyTorch and NumPy read torchlet's files (${device})`, () => {
  const dir = mkdtempSync(join(tmpdir(), `torchlet-interop-${device}-`));
  let seen: Report;
  let torchletForward: number[];
  const sd: Record<string, Tensor> = {};

  beforeAll(async () => {
    torch.manualSeed(3);
    const model = new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4), new nn.Linear(4, 2)).to(device);
    torch.noGrad(() => { for (let i = 0; i < 3; i++) model.forward(torch.randn([5, 3], { device })); }); // running stats, num_batches_tracked
    model.eval();
    const x = [[0.5, -1, 2], [1.5, 0.25, -0.75]];
    torchletForward = Array.from(await model.forward(torch.tensor(x, { device })).data());
    Object.assign(sd, model.stateDict());
    const base = torch.arange(12, { dtype: 'float32', device }).reshape(3, 4).div(4);
    Object.assign(sd, {
      'extra.base': base, 'extra.view': base.narrow(0, 1, 2).slice(1, 0, 4, 2), 'extra.tied': base, // views and ties share one storage
      'extra.flip': torch.arange(5, { device }).flip(0), // negative strides: written as a copy
      'extra.i32': torch.tensor([[-7, 8]], { device }), 'extra.bool': torch.tensor([true, false, true], { device }),
      'extra.u8': torch.tensor([0, 255], { dtype: 'uint8', device }), 'extra.f16': torch.tensor([0.5, -1.25, 65504], { dtype: 'float16', device }),
      'extra.scalar': torch.tensor(4.25, { device }), 'extra.empty': torch.zeros([0, 3], { device }),
      'extra.param': torch.tensor([2.5, 3], { device, requiresGrad: true }),
      ...(device === 'cpu' ? { 'extra.f64': torch.tensor([1 / 3, -2.5], { dtype: 'float64' }) } : {}),
    });
    await torch.save(sd, join(dir, 'model.pt'));
    writeFileSync(join(dir, 'x.json'), JSON.stringify(x));
    await torch.save({ model: { w: sd['0.weight']! }, epoch: 3, lr: 0.01, name: 'run-1', history: [1, 2.5, -0.125], flags: [true, false, null], nested: { 0: 'a', 17: [] }, big: 2 ** 40, neg: -70000, dots: { 'a.b': 1 } }, join(dir, 'checkpoint.pt'));
    // Optimizers: torchlet runs the first saveAt steps, PyTorch the rest.
    writeFileSync(join(dir, 'regression.json'), JSON.stringify(reg));
    for (const [name, make] of Object.entries(OPTIMS)) {
      const { W, b, step } = regression(device);
      const opt = make([W, b]);
      for (let i = 0; i < reg.saveAt; i++) step(opt);
      await torch.save({ params: { W: W.detach(), b: b.detach() }, optim: opt.stateDict() }, join(dir, `optim_${name}.pt`));
    }
    await torch.save(torch.tensor([[1.5, -2], [3, 4], [5, 6]], { device }).t(), join(dir, 't_f32.npy'));
    await torch.save(torch.tensor([1, -2, 2147483647], { device }), join(dir, 't_i32.npy'));
    await torch.save(torch.tensor([[true], [false]], { device }), join(dir, 't_bool.npy'));
    await torch.save(torch.tensor(7, { dtype: 'uint8', device }), join(dir, 't_u8_scalar.npy'));
    await torch.save(torch.tensor([0.1, 65504], { dtype: 'float16', device }), null, { format: 'npy' }).then((b) => writeFileSync(join(dir, 't_f16.npy'), b));
    await torch.save({ w: torch.ones([2, 2], { device }), ids: torch.tensor([3, 4], { device }) }, join(dir, 'arrays.npz'));
    await torch.save([torch.zeros(2, { device }), torch.tensor([true], { device })], join(dir, 'positional.npz'));
    seen = JSON.parse(execFileSync('/usr/bin/python3', [CHECKER, dir], { encoding: 'utf8', maxBuffer: 1 << 26 })) as Report;
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('model.pt: a zip PyTorch opens with weights_only=True, laid out as torch.save writes it', () => {
    const z = seen.model.zip;
    expect(z.crc_ok).toBe(true);
    expect(z.protocol).toBe(2);
    expect(z.names[0]).toBe('archive/data.pkl');
    expect(z.names[1]).toBe('archive/byteorder');
    expect(z.names[z.names.length - 1]).toBe('archive/version');
    expect(z.byteorder).toBe('little');
    expect(z.version).toBe('3\n');
    expect(z.bad_ops).toEqual([]);
    expect(z.bad_globals).toEqual([]);
  });

  it('model.pt: every tensor has its dtype, shape, strides and values; views and ties share one storage', async () => {
    const t = seen.model.tensors;
    expect(Object.keys(t)).toEqual(Object.keys(sd));
    for (const [k, v] of Object.entries(sd)) {
      const got = t[k]!;
      expect(got.dtype, k).toBe(v.dtype === 'int32' ? 'int32' : v.dtype);
      expect(got.shape, k).toEqual(v.shape);
      const want = Array.from(await v.data(), (x) => (v.dtype === 'bool' ? x !== 0 : x));
      if (v.dtype === 'float32') closeTo(got.data as number[], want as number[], 0, 0, k); else expect(got.data, k).toEqual(want);
    }
    expect(t['extra.view']!.stride).toEqual([4, 2]);
    expect(t['extra.view']!.offset).toBe(4);
    expect(t['extra.flip']!.stride).toEqual([1]);
    expect(t['extra.param']!.requires_grad).toBe(true);
    expect(t['0.weight']!.requires_grad).toBe(false); // stateDict() detaches, as PyTorch's
    expect(seen.model.shared).toEqual([['extra.base', 'extra.view', 'extra.tied']]);
    expect(seen.model.zip.names.filter((n) => n.startsWith('archive/data/')).length).toBe(Object.keys(sd).length - 2);
  });

  it('model.pt: PyTorch loads it into the same nn.Sequential (strict) and computes the same forward', () => {
    closeTo(seen.model.forward, torchletForward, 1e-5, 1e-6, 'forward');
  });

  it('checkpoint.pt: nested containers, ints (index keys as ints), floats, strings, booleans, None', () => {
    const z = seen.checkpoint.zip;
    expect(z.bad_ops).toEqual([]); // what PyTorch 2.x's weights_only loader accepts
    expect(z.bad_globals).toEqual([]);
    const tree = seen.checkpoint.tree as { $dict: [string | number, unknown][] };
    const d = Object.fromEntries(tree.$dict) as Record<string, unknown>;
    expect(d.epoch).toBe(3);
    expect(d.lr).toEqual({ $float: '0.01' });
    expect(d.name).toBe('run-1');
    expect(d.history).toEqual([1, { $float: '2.5' }, { $float: '-0.125' }]);
    expect(d.flags).toEqual([true, false, null]);
    expect(d.nested).toEqual({ $dict: [[0, 'a'], [17, []]] });
    expect(d.big).toBe(2 ** 40);
    expect(d.neg).toBe(-70000);
    expect(d.dots).toEqual({ $dict: [['a.b', 1]] });
    const model = Object.fromEntries((d.model as { $dict: [string, { $tensor: Seen }][] }).$dict);
    expect(model.w!.$tensor.shape).toEqual([4, 3]);
  });

  for (const name of Object.keys(OPTIMS)) {
    it(`optim_${name}.pt: PyTorch's load_state_dict restores hyperparameters and state; resuming follows PyTorch's own run`, () => {
      const s = seen[`optim_${name}`] as OptimSeen;
      expect(s.state_keys).toEqual([0, 1]);
      expect(s.group.lr).toBe(0.05);
      if (name === 'adam') {
        expect(s.group.betas).toEqual([0.8, 0.99]);
        expect(s.group.weight_decay).toBe(0.01);
        expect(s.group.amsgrad).toBe(true);
        expect(s.state0).toEqual({ step: ['Tensor', 'torch.float32'], exp_avg: ['Tensor', 'torch.float32'], exp_avg_sq: ['Tensor', 'torch.float32'], max_exp_avg_sq: ['Tensor', 'torch.float32'] });
      }
      if (name === 'sgd_momentum') {
        expect(s.group.momentum).toBe(0.9);
        expect(s.group.dampening).toBe(0.1);
        expect(s.state0).toEqual({ momentum_buffer: ['Tensor', 'torch.float32'] });
      }
      const want = fx.optim[name]!;
      closeTo(s.losses, want.losses.slice(reg.saveAt), 1e-5, 1e-6, `${name} losses`);
      closeTo(s.final.W, want.final.W, 1e-5, 1e-6, `${name} W`);
      closeTo(s.final.b, want.final.b, 1e-5, 1e-6, `${name} b`);
    });
  }

  it('.npy / .npz: NumPy reads the dtypes, shapes (C order) and values', () => {
    const np = (k: string) => seen[k] as NpSeen;
    expect(np('t_f32.npy')).toEqual({ dtype: 'float32', shape: [2, 3], data: [1.5, 3, 5, -2, 4, 6] });
    expect(np('t_i32.npy')).toEqual({ dtype: 'int32', shape: [3], data: [1, -2, 2147483647] });
    expect(np('t_bool.npy')).toEqual({ dtype: 'bool', shape: [2, 1], data: [true, false] });
    expect(np('t_u8_scalar.npy')).toEqual({ dtype: 'uint8', shape: [], data: [7] });
    expect(np('t_f16.npy').dtype).toBe('float16');
    closeTo(np('t_f16.npy').data as number[], [0.0999755859375, 65504], 0, 0, 'f16');
    expect(seen['arrays.npz']).toEqual({ w: { dtype: 'float32', shape: [2, 2], data: [1, 1, 1, 1] }, ids: { dtype: 'int32', shape: [2], data: [3, 4] } });
    expect(seen['positional.npz']).toEqual({ arr_0: { dtype: 'float32', shape: [2], data: [0, 0] }, arr_1: { dtype: 'bool', shape: [1], data: [true] } });
  });
});
