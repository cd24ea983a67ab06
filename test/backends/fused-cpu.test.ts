// The CPU backend's generated fused kernels (Backend.fused: src/backends/wasm/fusedrun.ts, fusedgen.ts,
// jit.ts) against runComposed on the same backend, bit for bit: random and hand-made programs over
// broadcast, strided, transposed, flipped, 0-size and 0-dim views, large sizes on the thread pool;
// the compiled-module cache (one module for two shapes); programs it must decline (return false).
// Bit for bit means every byte, except that any two NaNs are equal (see `check`).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import { getBackend } from '../../src/backends/registry.js';
import type { WasmBackend } from '../../src/backends/wasm/index.js';
import type { BinaryOp, UnaryOp, View } from '../../src/backends/backend.js';
import { checkProgram, runComposed, type FusedProgram, type FusedStep, valueDtype } from '../../src/backends/fused.js';
import { arrayType, itemSize, type DType } from '../../src/dtype.js';

const cpu = getBackend('cpu') as WasmBackend;
const before = torch.getNumThreads();
beforeAll(async () => {
  torch.setNumThreads(2);
  await cpu.threadPool()?.whenReady(1);
});
afterAll(() => torch.setNumThreads(before));

/** mulberry32: deterministic test randomness. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SPECIAL_F = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 2, 0.5, -0.5, 2.5, -1.5, 1e-40, -3e38, 1e10, 2 ** 31, -(2 ** 31), 2 ** 33 + 256, 2 ** 63, 255.5, 256, 0.3, 0.46875, 88.8, -104];
const SPECIAL_I = [0, 1, -1, 255, 256, -256, 2147483647, -2147483648, 46341, 7];

function randomValue(r: () => number, d: DType): number {
  const u = r();
  switch (d) {
    case 'bool': return u < 0.5 ? 0 : 1;
    case 'uint8': return Math.floor(u * 256);
    case 'int32': return u < 0.2 ? SPECIAL_I[Math.floor(r() * SPECIAL_I.length)]! : Math.floor((r() - 0.5) * 2000);
    default: return u < 0.15 ? SPECIAL_F[Math.floor(r() * SPECIAL_F.length)]! : (r() - 0.5) * (u < 0.6 ? 6 : 60);
  }
}

const buffers: ReturnType<typeof cpu.alloc>[] = [];
afterAll(() => { for (const b of buffers) cpu.free(b); });

/** A buffer of n random elements of dtype d. */
function randomBuffer(r: () => number, d: DType, n: number): ReturnType<typeof cpu.alloc> {
  const T = arrayType(d), a = new T(Math.max(n, 1));
  for (let i = 0; i < n; i++) a[i] = randomValue(r, d);
  const b = cpu.alloc(Math.max(n, 1) * itemSize[d]);
  cpu.write(b, a);
  buffers.push(b);
  return b;
}

function contiguous(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]!; }
  return s;
}

/**
 * A view of `shape` over random data: dims broadcast (stride 0) with probability `pb`, the storage
 * possibly transposed (dims reversed), stepped (stride 2) or flipped (negative stride).
 */
function randomView(r: () => number, d: DType, shape: readonly number[], pb = 0.3, layout = true): View {
  const src = shape.map((n) => (r() < pb ? 1 : n));
  const nd = src.length, order = [...src.keys()];
  if (layout && r() < 0.3) order.reverse();
  const step = layout && r() < 0.2 ? 2 : 1;
  // Storage dims in `order`, innermost last; element strides of each logical dim.
  const st = new Array<number>(nd).fill(0);
  let acc = step, n = 1;
  for (let i = nd - 1; i >= 0; i--) { const dim = order[i]!; st[dim] = acc; acc *= src[dim]!; n *= src[dim]!; }
  let offset = 0;
  if (layout && nd > 0 && r() < 0.2) {
    const dim = Math.floor(r() * nd);
    offset += (src[dim]! - 1) * st[dim]!;
    st[dim] = -st[dim]!;
  }
  const buf = randomBuffer(r, d, n * step);
  return { buf, dtype: d, shape, strides: shape.map((size, i) => (src[i] === 1 && size !== 1 ? 0 : st[i]!)), offset };
}

function outView(d: DType, shape: readonly number[], strided: boolean): View {
  const n = shape.reduce((a, b) => a * b, 1);
  if (!strided || shape.length === 0) {
    const buf = cpu.alloc(Math.max(n, 1) * itemSize[d]);
    buffers.push(buf);
    return { buf, dtype: d, shape, strides: contiguous(shape), offset: 0 };
  }
  // Every other element of a transposed buffer.
  const rev = [...shape].reverse(), cs = contiguous(rev).reverse().map((s) => 2 * s);
  const buf = cpu.alloc(Math.max(2 * n, 1) * itemSize[d]);
  buffers.push(buf);
  return { buf, dtype: d, shape, strides: cs, offset: 0 };
}

function bytes(v: View): Uint8Array {
  const a = cpu.readSync(v);
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Runs p fused and composed on fresh outputs; expects fused to accept it and to match bit for bit. */
function check(p: FusedProgram, ins: View[], shape: readonly number[], what: string, stridedOut = false): void {
  checkProgram(p);
  const dts = p.outputs.map((v) => valueDtype(p, v));
  const a = dts.map((d) => outView(d, shape, stridedOut)), b = dts.map((d) => outView(d, shape, stridedOut));
  expect(cpu.fused(p, ins, a), `${what}: fused accepted`).toBe(true);
  runComposed(cpu, p, ins, b);
  a.forEach((v, k) => {
    const x = bytes(v), y = bytes(b[k]!);
    expect(x.length).toBe(y.length);
    for (let i = 0; i < x.length; i++) {
      if (x[i] !== y[i]) {
        const e = i - (i % itemSize[v.dtype]);
        const T = arrayType(v.dtype);
        const got = new T(x.buffer, x.byteOffset + e, 1)[0]!, want = new T(y.buffer, y.byteOffset + e, 1)[0]!;
        // NaN payload and sign are not values: even the composed chain's JS math gives either
        // sign of NaN depending on V8's tier, so two NaNs are equal here.
        if (Number.isNaN(got) && Number.isNaN(want)) continue;
        throw new Error(`${what}: output ${k} (${v.dtype}) element ${e / itemSize[v.dtype]}: fused ${got}, composed ${want}\n${JSON.stringify(p)}`);
      }
    }
  });
}

const F_UNARY: UnaryOp[] = ['neg', 'abs', 'sign', 'exp', 'expm1', 'log', 'log1p', 'log2', 'sqrt', 'rsqrt', 'sin', 'cos', 'tan', 'asin', 'acos',
  'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh', 'sigmoid', 'erf', 'erfc', 'erfinv', 'floor', 'ceil', 'round', 'trunc',
  'reciprocal', 'relu', 'logicalNot', 'isnan', 'isinf'];
const I_UNARY: UnaryOp[] = ['neg', 'abs', 'sign', 'floor', 'ceil', 'round', 'trunc', 'relu', 'logicalNot', 'isnan', 'isinf', 'bitwiseNot'];
const F_BINARY: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'atan2', 'fmod', 'remainder', 'floorDivide',
  'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr', 'logicalXor'];
const I_BINARY: BinaryOp[] = ['add', 'sub', 'mul', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr',
  'logicalXor', 'bitwiseAnd', 'bitwiseOr', 'bitwiseXor'];
const BOOL_OUT = new Set<string>(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr', 'logicalXor', 'logicalNot', 'isnan', 'isinf']);
const DTYPES: DType[] = ['float32', 'float32', 'float32', 'int32', 'uint8', 'bool'];

/** A random well-typed program of supported steps. */
function randomProgram(r: () => number): FusedProgram {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const inputs: DType[] = Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(DTYPES));
  const steps: FusedStep[] = [];
  const dt = (v: number) => (v < inputs.length ? inputs[v]! : steps[v - inputs.length]!.dtype);
  const count = () => inputs.length + steps.length;
  const ofType = (d: DType): number | null => {
    const c: number[] = [];
    for (let v = 0; v < count(); v++) if (dt(v) === d) c.push(v);
    return c.length ? (r() < 0.6 ? c[c.length - 1]! : pick(c)) : null;
  };
  const nSteps = 3 + Math.floor(r() * 10);
  while (steps.length < nSteps) {
    const a = r() < 0.6 ? count() - 1 : Math.floor(r() * count()), d = dt(a), u = r();
    if (u < 0.3) {
      const op = pick(d === 'float32' ? F_UNARY : I_UNARY);
      steps.push({ kind: 'unary', op, a, dtype: BOOL_OUT.has(op) ? 'bool' : d });
    } else if (u < 0.65) {
      const op = pick(d === 'float32' ? F_BINARY : d === 'bool' ? I_BINARY.filter((o) => BOOL_OUT.has(o)) : I_BINARY);
      const b = r() < 0.3 ? ofType(d)! : (steps.push({ kind: 'const', value: randomValue(r, d), dtype: d }), count() - 1);
      steps.push({ kind: 'binary', op, a: r() < 0.5 ? a : b, b: r() < 0.5 ? b : a, dtype: BOOL_OUT.has(op) ? 'bool' : d });
    } else if (u < 0.8) {
      let cond = ofType('bool');
      if (cond === null) { steps.push({ kind: 'cast', a, dtype: 'bool' }); cond = count() - 1; }
      const b = ofType(d)!;
      steps.push({ kind: 'where', cond, a, b, dtype: d });
    } else if (u < 0.95) {
      steps.push({ kind: 'cast', a, dtype: pick(DTYPES) });
    } else {
      const d2 = pick(DTYPES);
      steps.push({ kind: 'const', value: randomValue(r, d2), dtype: d2 });
    }
  }
  const total = count(), outputs = [total - 1];
  if (r() < 0.4) outputs.push(Math.floor(r() * total));
  if (r() < 0.2) outputs.push(Math.floor(r() * total));
  return { inputs, steps, outputs };
}

function randomShape(r: () => number): number[] {
  const nd = Math.floor(r() * 5);
  return Array.from({ length: nd }, () => (r() < 0.04 ? 0 : 1 + Math.floor(r() * (r() < 0.5 ? 4 : 19))));
}

describe('CPU fused kernels (generated WebAssembly) vs runComposed', () => {
  it('uses the SIMD kernels (else fused declines)', () => {
    expect(cpu.kernels).not.toBe('reference');
  });

  it('random programs over random layouts, bit for bit', () => {
    const r = rng(12345);
    for (let t = 0; t < 400; t++) {
      const p = randomProgram(r), shape = randomShape(r);
      const ins = p.inputs.map((d) => randomView(r, d, shape));
      check(p, ins, shape, `case ${t} shape [${shape}]`, r() < 0.15);
    }
  });

  it('a GELU (tanh form) chain with a bias broadcast and a bool side output', () => {
    const p: FusedProgram = { inputs: ['float32', 'float32'], steps: [
      { kind: 'binary', op: 'add', a: 0, b: 1, dtype: 'float32' }, // 2: x = a + bias
      { kind: 'binary', op: 'mul', a: 2, b: 2, dtype: 'float32' }, // 3
      { kind: 'binary', op: 'mul', a: 3, b: 2, dtype: 'float32' }, // 4: x^3
      { kind: 'const', value: 0.044715, dtype: 'float32' }, // 5
      { kind: 'binary', op: 'mul', a: 4, b: 5, dtype: 'float32' }, // 6
      { kind: 'binary', op: 'add', a: 2, b: 6, dtype: 'float32' }, // 7
      { kind: 'const', value: Math.sqrt(2 / Math.PI), dtype: 'float32' }, // 8
      { kind: 'binary', op: 'mul', a: 7, b: 8, dtype: 'float32' }, // 9
      { kind: 'unary', op: 'tanh', a: 9, dtype: 'float32' }, // 10
      { kind: 'const', value: 1, dtype: 'float32' }, // 11
      { kind: 'binary', op: 'add', a: 10, b: 11, dtype: 'float32' }, // 12
      { kind: 'binary', op: 'mul', a: 2, b: 12, dtype: 'float32' }, // 13
      { kind: 'const', value: 0.5, dtype: 'float32' }, // 14
      { kind: 'binary', op: 'mul', a: 13, b: 14, dtype: 'float32' }, // 15
      { kind: 'binary', op: 'gt', a: 2, b: 11, dtype: 'bool' }, // 16
    ], outputs: [15, 16] };
    const r = rng(7);
    for (const shape of [[5, 3, 7], [64, 513], [1, 1], [], [0, 4], [300, 257]]) {
      const a = randomView(r, 'float32', shape, 0, false);
      const bias = randomView(r, 'float32', shape, 0, false);
      const bshape = shape.map((n, i) => (i === shape.length - 1 ? n : 1));
      const bv: View = { ...bias, strides: bias.strides.map((s, i) => (bshape[i] === 1 && shape[i] !== 1 ? 0 : s)) };
      check(p, [a, bv], shape, `gelu [${shape}]`);
      check(p, [{ ...a, shape: [...shape].reverse(), strides: [...a.strides].reverse() }, { ...bv, shape: [...shape].reverse(), strides: [...bv.strides].reverse() }],
        [...shape].reverse(), `gelu transposed [${shape}]`);
    }
  });

  it('casts between float32, int32, uint8 and bool, where, constants, pow by 2 on a 0-dim tensor', () => {
    const r = rng(99);
    const casts: DType[] = ['float32', 'int32', 'uint8', 'bool'];
    for (const from of casts) for (const to of casts) {
      const p: FusedProgram = { inputs: [from], steps: [{ kind: 'cast', a: 0, dtype: to }, { kind: 'cast', a: 1, dtype: from }], outputs: [1, 2] };
      check(p, [randomView(r, from, [3, 41])], [3, 41], `cast ${from} -> ${to}`);
    }
    const w: FusedProgram = { inputs: ['bool', 'int32', 'uint8'], steps: [
      { kind: 'const', value: -7.9, dtype: 'int32' }, { kind: 'where', cond: 0, a: 1, b: 3, dtype: 'int32' },
      { kind: 'const', value: 300, dtype: 'uint8' }, { kind: 'where', cond: 0, a: 5, b: 2, dtype: 'uint8' },
      { kind: 'unary', op: 'bitwiseNot', a: 0, dtype: 'bool' }, { kind: 'unary', op: 'neg', a: 2, dtype: 'uint8' },
    ], outputs: [4, 6, 7, 8] };
    check(w, [randomView(r, 'bool', [9, 10]), randomView(r, 'int32', [9, 10]), randomView(r, 'uint8', [9, 10])], [9, 10], 'where/consts');
    const sq: FusedProgram = { inputs: ['float32'], steps: [{ kind: 'const', value: 2, dtype: 'float32' }, { kind: 'binary', op: 'pow', a: 0, b: 1, dtype: 'float32' }], outputs: [2] };
    for (let i = 0; i < 40; i++) check(sq, [randomView(r, 'float32', [])], [], 'pow 2, 0-dim');
    check(sq, [randomView(r, 'float32', [1000])], [1000], 'pow 2');
  });

  it('large outputs run on the thread pool, bit-identical to the composed chain', () => {
    const r = rng(5);
    const pool = cpu.threadPool();
    const calls0 = pool?.workerCalls ?? 0;
    for (let t = 0; t < 12; t++) {
      const p = randomProgram(r);
      const shape = [[300, 257], [64, 3, 401], [1 << 17]][t % 3]!;
      check(p, p.inputs.map((d) => randomView(r, d, shape, 0.2)), shape, `large case ${t}`, t % 4 === 3);
    }
    if (pool && pool.ready > 0) expect(pool.workerCalls).toBeGreaterThan(calls0);
  });

  it('compiles a program once for two shapes of one layout (dynamic dims)', () => {
    const r = rng(3);
    const p: FusedProgram = { inputs: ['float32', 'float32'], steps: [
      { kind: 'binary', op: 'sub', a: 0, b: 1, dtype: 'float32' }, { kind: 'unary', op: 'exp', a: 2, dtype: 'float32' },
      { kind: 'const', value: 1.25, dtype: 'float32' }, { kind: 'binary', op: 'minimum', a: 3, b: 4, dtype: 'float32' },
    ], outputs: [5] };
    const s0 = cpu.fusedStats();
    check(p, [randomView(r, 'float32', [8, 16], 0, false), randomView(r, 'float32', [8, 16], 0, false)], [8, 16], 'shape 1');
    const s1 = cpu.fusedStats();
    check(p, [randomView(r, 'float32', [33, 5, 2], 0, false), randomView(r, 'float32', [33, 5, 2], 0, false)], [33, 5, 2], 'shape 2');
    const s2 = cpu.fusedStats();
    expect(s1.compiled - s0.compiled).toBe(1);
    expect(s2.compiled).toBe(s1.compiled);
    expect(s2.hits - s1.hits).toBe(1);
  });

  it('declines what it does not run, writing nothing', () => {
    const r = rng(4);
    const decline = (p: FusedProgram, ins: View[], outs: View[]) => {
      const before = outs.map(bytes);
      expect(cpu.fused(p, ins, outs)).toBe(false);
      outs.forEach((o, i) => expect(bytes(o)).toEqual(before[i]));
    };
    const iv = randomView(r, 'int32', [4, 8], 0, false);
    decline({ inputs: ['int32', 'int32'], steps: [{ kind: 'binary', op: 'div', a: 0, b: 1, dtype: 'int32' }], outputs: [2] }, [iv, iv], [outView('int32', [4, 8], false)]);
    const f64: View = { ...outView('float64', [4, 8], false) };
    decline({ inputs: ['float64'], steps: [{ kind: 'unary', op: 'neg', a: 0, dtype: 'float64' }], outputs: [1] }, [f64], [outView('float64', [4, 8], false)]);
    // An output over its own input with other strides (a transposing in-place write).
    const sq = randomView(r, 'float32', [8, 8], 0, false);
    const p: FusedProgram = { inputs: ['float32'], steps: [{ kind: 'unary', op: 'neg', a: 0, dtype: 'float32' }], outputs: [1] };
    decline(p, [{ ...sq, strides: [1, 8] }], [sq]);
    // The same view in place is fine.
    const want = bytes(sq);
    expect(cpu.fused(p, [sq], [sq])).toBe(true);
    const got = bytes(sq);
    for (let i = 3; i < got.length; i += 4) expect(got[i]! ^ want[i]!).toBe(0x80);
  });
});
