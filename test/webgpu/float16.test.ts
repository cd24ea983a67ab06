// float16 on WebGPU (halves packed two per word, computed in f32) against PyTorch's float16 values
// (test/fixtures/float16_fixtures.py -> float16.json): f32<->f16 casts bit for bit, elementwise ops
// within the rounding PyTorch's own Half kernels allow, reductions and matmul (f32 accumulation)
// against float64 references rounded to float16, and a backward pass computed entirely in float16.
// The same cases run on the CPU backend too, so both devices are held to one reference (the CPU's
// own float16 suite is test/float16-cpu.test.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';
import { f16BitsToF32 } from '../../src/dtype.js';
import type { Device, Tensor } from '../../src/index.js';

interface Elementwise { name: string; kind: string; shape: number[]; inputs: number[][]; out: number[] }
interface MatmulCase { name: string; M: number; K: number; N: number; ta: boolean; tb: boolean; a: number[]; b: number[]; out: number[]; absprod: number[] }
interface Fixture {
  elementwise: Elementwise[]; reduce: Elementwise[]; matmul: MatmulCase[];
  cast: { f32_bits: number[]; f16_bits: number[] };
  grad: { x: number[]; w: number[]; g: number[]; gx: number[]; gw: number[] };
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/float16.json', import.meta.url), 'utf8')) as Fixture;

/** Spacing of float16 values around v (2^-24 below the normal range). */
const ulp = (v: number): number => (Math.abs(v) < 2 ** -14 ? 2 ** -24 : 2 ** (Math.floor(Math.log2(Math.abs(v))) - 10));

function expectClose(got: ArrayLike<number>, want: readonly number[], tol: (i: number) => number, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    if (!(d <= tol(i))) expect.fail(`${what}[${i}]: got ${got[i]}, want ${want[i]} (tolerance ${tol(i)})`);
  }
}

const half = (v: readonly number[], shape: number[], device: Device): Tensor => torch.tensor(v, { dtype: 'float16', device }).reshape(shape);

/** Elementwise ops whose float result PyTorch rounds once, so ours (same f32 math) must match exactly. */
const EXACT = new Set(['add', 'sub', 'mul', 'neg', 'relu', 'maximum', 'pow2']);
const UNARY: Record<string, (x: Tensor) => Tensor> = {
  neg: (x) => x.neg(), relu: (x) => x.relu(), exp: (x) => x.exp(), log: (x) => x.log(), sqrt: (x) => x.sqrt(),
  tanh: (x) => x.tanh(), sigmoid: (x) => x.sigmoid(), pow2: (x) => x.mul(x),
};
const BINARY: Record<string, (x: Tensor, y: Tensor) => Tensor> = {
  add: (x, y) => x.add(y), sub: (x, y) => x.sub(y), mul: (x, y) => x.mul(y), div: (x, y) => x.div(y), maximum: (x, y) => torch.maximum(x, y),
};
const REDUCE: Record<string, (x: Tensor) => Tensor> = {
  sum_all: (x) => x.sum(), sum_dim1: (x) => x.sum(1), sum_dim0: (x) => x.sum(0), mean_dim1: (x) => x.mean(1),
  max_dim1: (x) => x.max(1).values, min_all: (x) => x.min(), argmax_dim1: (x) => x.argmax(1),
};

const devices: Device[] = torch.webgpu.isAvailable() ? ['cpu', 'webgpu'] : ['cpu'];

describe.each(devices)('float16 on %s vs PyTorch', (device) => {
  it('float32 -> float16 casts round to nearest even (ties, subnormals, overflow, infinities), and back exactly', async () => {
    const f32 = new Float32Array(new Int32Array(fx.cast.f32_bits).buffer);
    const src = torch.tensor(Array.from(f32), { device });
    const h = src.half();
    expect(h.dtype).toBe('float16');
    const want = fx.cast.f16_bits.map(f16BitsToF32);
    const got = await h.data();
    for (let i = 0; i < want.length; i++) expect(Object.is(got[i], want[i]), `cast[${i}] ${f32[i]}: got ${got[i]}, want ${want[i]}`).toBe(true);
    expect(Array.from(await h.float().data())).toEqual(want); // widening is exact
  });

  it.each(fx.elementwise.map((c) => [c.name, c] as const))('elementwise %s', async (name, c) => {
    const xs = c.inputs.map((v) => half(v, c.shape, device));
    const r = xs.length === 1 ? UNARY[name]!(xs[0]!) : BINARY[name]!(xs[0]!, xs[1]!);
    expect(r.dtype).toBe('float16');
    // Correctly rounded ops are exact; division and transcendental functions may land one float16
    // step away (the GPU's f32 math is a few f32 ulps off, which can flip the final rounding).
    expectClose(await r.data(), c.out, (i) => (EXACT.has(name) ? 0 : ulp(c.out[i]!)), name);
  });

  it.each(fx.reduce.map((c) => [c.name, c] as const))('reduction %s accumulates in f32', async (name, c) => {
    const x = half(c.inputs[0]!, [3, 260], device);
    const r = REDUCE[name]!(x);
    expect(r.dtype).toBe(name.startsWith('argmax') ? 'int32' : 'float16');
    // A float16 accumulator would drift by many steps over 260 terms; f32 stays within one (two for
    // mean: the sum and the division each round).
    const exact = /^(max|min|arg)/.test(name);
    expectClose(await r.data(), c.out, (i) => (exact ? 0 : 2 * ulp(c.out[i]!)), name);
  });

  it.each(fx.matmul.map((c) => [c.name, c] as const))('matmul %s (transposed operands as views)', async (name, c) => {
    const A = half(c.a, c.ta ? [c.K, c.M] : [c.M, c.K], device), B = half(c.b, c.tb ? [c.N, c.K] : [c.K, c.N], device);
    const r = (c.ta ? A.t() : A).matmul(c.tb ? B.t() : B);
    expect(r.shape).toEqual([c.M, c.N]);
    expect(r.dtype).toBe('float16');
    // One float16 rounding of the result plus f32 accumulation error (K terms, relative 2^-24 each).
    expectClose(await r.data(), c.out, (i) => ulp(c.out[i]!) + c.K * 2 ** -23 * c.absprod[i]!, name);
  });

  it('backward through matmul and tanh in float16', async () => {
    const g = fx.grad;
    const x = half(g.x, [3, 4], device).requiresGrad_(), w = half(g.w, [4, 2], device).requiresGrad_();
    x.matmul(w).tanh().mul(half(g.g, [3, 2], device)).sum().backward();
    expect(x.grad!.dtype).toBe('float16');
    // Every intermediate is rounded to float16 (relative 2^-11 each, a handful of steps).
    const tol = (want: number[]) => (i: number) => 4e-3 * Math.max(1, Math.abs(want[i]!));
    expectClose(await x.grad!.data(), g.gx, tol(g.gx), 'x.grad');
    expectClose(await w.grad!.data(), g.gw, tol(g.gw), 'w.grad');
  });
});

describe.skipIf(!torch.webgpu.isAvailable())('float16 storage on webgpu', () => {
  it('odd lengths and odd offsets: views, in-place writes into one half of a word, strided reads', async () => {
    const v = [1, 2, 3, 4, 5, 6, 7];
    const h = torch.tensor(v, { dtype: 'float16', device: 'webgpu' });
    expect(Array.from(await h.narrow(0, 1, 5).data())).toEqual([2, 3, 4, 5, 6]);
    expect(Array.from(await h.narrow(0, 1, 6).flip(0).data())).toEqual([7, 6, 5, 4, 3, 2]);
    h.narrow(0, 3, 1).fill_(-0.5); // neighbours in the same word keep their value
    h.narrow(0, 6, 1).add_(0.25);
    expect(Array.from(await h.data())).toEqual([1, 2, 3, -0.5, 5, 6, 7.25]);
    const idx = torch.tensor([0, 1, 0, 2], { dtype: 'int32', device: 'webgpu' });
    const acc = torch.zeros([3], { dtype: 'float16', device: 'webgpu' }).scatterAdd(0, idx, torch.tensor([1, 2, 3, 4], { dtype: 'float16', device: 'webgpu' }));
    expect(Array.from(await acc.data())).toEqual([4, 2, 4]); // atomic adds on halves sharing a word
  });
});
