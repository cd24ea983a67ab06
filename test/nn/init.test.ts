// nn.init and layers' default initialisation: distribution statistics (bounds, mean, std) against
// PyTorch's formulas (independent math), not exact values (our random stream is Philox).
import { describe, expect, it } from 'vitest';
import { testDevices, torch } from '../helpers.js';
import type { Tensor } from '../../src/index.js';

const nn = torch.nn, init = nn.init;

function stats(t: Tensor): { min: number; max: number; mean: number; std: number } {
  const d = Array.from(t.dataSync());
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  const std = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / (d.length - 1));
  return { min: Math.min(...d), max: Math.max(...d), mean, std };
}
/** Uniform(-b, b): within bounds, reaching close to them, mean ~0, std ~ b/sqrt(3). */
function expectUniform(t: Tensor, lo: number, hi: number): void {
  const s = stats(t), w = hi - lo;
  expect(s.min).toBeGreaterThanOrEqual(lo);
  expect(s.max).toBeLessThanOrEqual(hi);
  expect(s.min).toBeLessThan(lo + 0.02 * w);
  expect(s.max).toBeGreaterThan(hi - 0.02 * w);
  expect(Math.abs(s.mean - (lo + hi) / 2)).toBeLessThan(0.03 * w);
  expect(s.std / (w / Math.sqrt(12))).toBeCloseTo(1, 1);
}
function expectNormal(t: Tensor, mean: number, std: number): void {
  const s = stats(t);
  expect(Math.abs(s.mean - mean)).toBeLessThan(0.05 * std + 1e-9);
  expect(s.std / std).toBeCloseTo(1, 1);
}

describe('nn.init', () => {
  it('calculateGain follows PyTorch', () => {
    expect(init.calculateGain('linear')).toBe(1);
    expect(init.calculateGain('conv2d')).toBe(1);
    expect(init.calculateGain('sigmoid')).toBe(1);
    expect(init.calculateGain('tanh')).toBeCloseTo(5 / 3, 12);
    expect(init.calculateGain('relu')).toBeCloseTo(Math.SQRT2, 12);
    expect(init.calculateGain('leaky_relu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 12);
    expect(init.calculateGain('leaky_relu', 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 12);
    expect(init.calculateGain('selu')).toBe(0.75);
    expect(() => init.calculateGain('bogus' as never)).toThrow(/Unsupported nonlinearity/);
  });
  it('fans: [fanIn, fanOut] include the receptive field; fewer than 2 dims is an error', () => {
    expect(init.calculateFanInAndFanOut(torch.empty(8, 3, 5, 5))).toEqual([75, 200]);
    expect(() => init.calculateFanInAndFanOut(torch.empty(4))).toThrow(/fewer than 2 dimensions/);
  });
  it('uniform_ and normal_', () => {
    expectUniform(init.uniform_(torch.empty(40000), -2, 3), -2, 3);
    expectNormal(init.normal_(torch.empty(40000), 1, 2), 1, 2);
  });
  it('constant_, zeros_, ones_, eye_', () => {
    expect(Array.from(init.constant_(torch.empty(3), 2.5).dataSync())).toEqual([2.5, 2.5, 2.5]);
    expect(Array.from(init.zeros_(torch.empty(2)).dataSync())).toEqual([0, 0]);
    expect(Array.from(init.ones_(torch.empty(2)).dataSync())).toEqual([1, 1]);
    expect(init.eye_(torch.empty(2, 3)).tolistSync()).toEqual([[1, 0, 0], [0, 1, 0]]);
  });
  it('xavier uniform/normal', () => {
    const b = Math.sqrt(6 / (200 + 300));
    expectUniform(init.xavierUniform_(torch.empty(200, 300)), -b, b);
    expectUniform(init.xavierUniform_(torch.empty(200, 300), { gain: 2 }), -2 * b, 2 * b);
    expectNormal(init.xavierNormal_(torch.empty(200, 300)), 0, Math.sqrt(2 / 500));
  });
  it('kaiming uniform/normal with a, mode and nonlinearity', () => {
    const t = torch.empty(100, 40, 3, 3); // fanIn 360, fanOut 900
    const b0 = Math.SQRT2 * Math.sqrt(3 / 360);
    expectUniform(init.kaimingUniform_(t), -b0, b0);
    const b1 = Math.sqrt(2 / (1 + 5)) * Math.sqrt(3 / 360);
    expectUniform(init.kaimingUniform_(t, { a: Math.sqrt(5) }), -b1, b1);
    expectNormal(init.kaimingNormal_(t, { mode: 'fan_out', nonlinearity: 'relu' }), 0, Math.SQRT2 / Math.sqrt(900));
    expectNormal(init.kaimingNormal_(t, { nonlinearity: 'tanh' }), 0, (5 / 3) / Math.sqrt(360));
  });
  it('truncNormal_ stays inside [a, b] with the truncated normal\'s moments', () => {
    const s = stats(init.truncNormal_(torch.empty(40000)));
    expect(s.min).toBeGreaterThanOrEqual(-2);
    expect(s.max).toBeLessThanOrEqual(2);
    expect(Math.abs(s.mean)).toBeLessThan(0.02);
    // Var of N(0,1) truncated to [-2, 2]: 1 - 2*2*phi(2) / (Phi(2) - Phi(-2)).
    const phi2 = Math.exp(-2) / Math.sqrt(2 * Math.PI);
    expect(s.std).toBeCloseTo(Math.sqrt(1 - (4 * phi2) / 0.9544997361036416), 2);
    const s2 = stats(init.truncNormal_(torch.empty(20000), { mean: 1, std: 0.5, a: 0.5, b: 3 }));
    expect(s2.min).toBeGreaterThanOrEqual(0.5);
    expect(s2.max).toBeLessThanOrEqual(3);
  });
  it('orthogonal_ gives orthonormal rows (wide) or columns (tall), scaled by gain', () => {
    const wide = init.orthogonal_(torch.empty(4, 7));
    const g = wide.matmul(wide.t()).tolistSync() as number[][];
    g.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(i === j ? 1 : 0, 5)));
    const tall = init.orthogonal_(torch.empty(6, 3), { gain: 2 });
    const h = tall.t().matmul(tall).tolistSync() as number[][];
    h.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(i === j ? 4 : 0, 4)));
  });
  it('dirac_ (with groups) puts ones where PyTorch 1.13 does, for 3-, 4- and 5-D weights', () => {
    const ones = (t: Tensor): number[] => Array.from(t.dataSync()).flatMap((v, i) => (v === 0 ? [] : [i]));
    // Indices of the nonzeros from torch.nn.init.dirac_ on the same shapes.
    expect(ones(init.dirac_(torch.randn(6, 2, 3), 3))).toEqual([1, 10, 13, 22, 25, 34]);
    expect(ones(init.dirac_(torch.randn(4, 3, 3, 2), { groups: 2 }))).toEqual([3, 27, 39, 63]);
    expect(ones(init.dirac_(torch.randn(2, 3, 1, 2, 3)))).toEqual([4, 28]);
    expect(init.dirac_(torch.randn(6, 2, 3), 3).sum().itemSync()).toBe(6);
    // An identity conv: dirac weights pass the input through unchanged.
    const x = torch.randn(1, 3, 5, 5);
    const w = init.dirac_(torch.empty(3, 3, 3, 3));
    expect(Array.from(torch.nn.functional.conv2d(x, w, null, { padding: 1 }).dataSync())).toEqual(Array.from(x.dataSync()));
    expect(() => init.dirac_(torch.empty(3, 3))).toThrow(/dirac_: Only tensors with 3, 4, or 5 dimensions/);
    expect(() => init.dirac_(torch.empty(5, 2, 3), 2)).toThrow(/dim 0 must be divisible by groups/);
  });
  for (const device of testDevices().filter((d) => d !== 'cpu')) {
    it(`dirac_ on ${device}: the same ones as on the CPU`, async () => {
      const w = init.dirac_(torch.randn([4, 3, 3, 2], { device }), { groups: 2 });
      expect(w.device).toBe(device);
      const nz = Array.from(await w.data()).flatMap((v, i) => (v === 0 ? [] : [i]));
      expect(nz).toEqual([3, 27, 39, 63]); // PyTorch 1.13's positions, as in the CPU test above
    });
  }
  it('sparse_: exactly ceil(sparsity * rows) zeros in every column, the rest N(0, std^2)', () => {
    const rows = 200, cols = 60;
    const w = init.sparse_(torch.empty(rows, cols), 0.13, 0.05);
    const d = w.dataSync();
    const nz: number[] = [];
    for (let c = 0; c < cols; c++) {
      let zeros = 0;
      for (let r = 0; r < rows; r++) { const v = d[r * cols + c]!; if (v === 0) zeros++; else nz.push(v); }
      expect(zeros).toBe(Math.ceil(0.13 * rows));
    }
    expectNormal(torch.tensor(nz), 0, 0.05);
    const small = init.sparse_(torch.empty(3, 400), 0.5); // default std 0.01; ceil(1.5) = 2 zeros per column
    const nzSmall = Array.from(small.dataSync()).filter((v) => v !== 0);
    expect(nzSmall.length).toBe(400);
    expectNormal(torch.tensor(nzSmall), 0, 0.01);
    expect(() => init.sparse_(torch.empty(2, 3, 4), 0.1)).toThrow(/sparse_: Only tensors with 2 dimensions/);
  });
  it('PyTorch\'s positional optional arguments work as well as options objects', () => {
    expectUniform(init.kaimingUniform_(torch.empty(300, 200), Math.sqrt(5)), -1 / Math.sqrt(200), 1 / Math.sqrt(200));
    expectNormal(init.kaimingNormal_(torch.empty(300, 200), 0, 'fan_out', 'relu'), 0, Math.SQRT2 / Math.sqrt(300));
    const tn = init.truncNormal_(torch.empty(20000), 1, 0.02, 0.98, 1.02);
    expect(Math.min(...tn.dataSync())).toBeGreaterThanOrEqual(0.98);
    expect(Math.max(...tn.dataSync())).toBeLessThanOrEqual(1.02);
    expectUniform(init.uniform_(torch.empty(20000), { a: -3, b: 1 }), -3, 1);
    expectNormal(init.normal_(torch.empty(20000), { mean: 2, std: 0.5 }), 2, 0.5);
  });
  it('every PyTorch 1.13 nn.init function exists under its camelCased name', () => {
    for (const name of ['calculateGain', 'uniform_', 'normal_', 'truncNormal_', 'constant_', 'ones_', 'zeros_', 'eye_', 'dirac_',
      'xavierUniform_', 'xavierNormal_', 'kaimingUniform_', 'kaimingNormal_', 'orthogonal_', 'sparse_']) {
      expect(typeof (init as Record<string, unknown>)[name], name).toBe('function');
    }
  });
  it('initialisers run under noGrad on parameters and return their tensor', () => {
    const p = new nn.Parameter(torch.empty(3, 3));
    expect(init.xavierUniform_(p)).toBe(p);
    expect(p.isLeaf).toBe(true);
    expect(p.gradFn).toBeNull();
  });
});

describe('default layer initialisation (PyTorch formulas)', () => {
  it('Linear: kaiming_uniform(a=sqrt 5) weight and U(+-1/sqrt(fanIn)) bias', () => {
    const l = new nn.Linear(400, 300);
    expectUniform(l.weight, -1 / 20, 1 / 20);
    expectUniform(l.bias!, -1 / 20, 1 / 20);
  });
  it('Embedding N(0, 1) with a zero padding row; norms ones/zeros', () => {
    const e = new nn.Embedding(2000, 20, { paddingIdx: 3 });
    expect(Array.from(e.weight.select(0, 3).dataSync())).toEqual(new Array(20).fill(0));
    expectNormal(e.weight, 0, 1);
    const bn = new nn.BatchNorm2d(4);
    expect(Array.from(bn.weight!.dataSync())).toEqual([1, 1, 1, 1]);
    expect(Array.from(bn.bias!.dataSync())).toEqual([0, 0, 0, 0]);
    expect(Array.from(bn.running_var!.dataSync())).toEqual([1, 1, 1, 1]);
    expect(bn.num_batches_tracked!.itemSync()).toBe(0);
    expect(Array.from(new nn.LayerNorm(3).weight!.dataSync())).toEqual([1, 1, 1]);
  });
  it('RNN/LSTM/GRU: every parameter U(+-1/sqrt(hidden))', () => {
    const lstm = new nn.LSTM(50, 64, { numLayers: 2, bidirectional: true });
    for (const p of lstm.parameters()) {
      const s = stats(p);
      expect(s.min).toBeGreaterThanOrEqual(-1 / 8);
      expect(s.max).toBeLessThanOrEqual(1 / 8);
    }
    expectUniform(lstm.weight_hh_l1_reverse as Tensor, -1 / 8, 1 / 8);
  });
  it('MultiheadAttention: xavier in_proj, zero biases', () => {
    const m = new nn.MultiheadAttention(64, 4);
    const b = Math.sqrt(6 / (64 + 192));
    expectUniform(m.in_proj_weight!, -b, b);
    expect(Array.from(m.in_proj_bias!.dataSync()).every((v) => v === 0)).toBe(true);
    expect(Array.from(m.out_proj.bias!.dataSync()).every((v) => v === 0)).toBe(true);
  });
});
