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
import { arrayType, itemSize, type DType, type RealDType } from '../../src/dtype.js';

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
  return { buf, dtype: d as RealDType, shape, strides: shape.map((size, i) => (src[i] === 1 && size !== 1 ? 0 : st[i]!)), offset };
}

function outView(d: DType, shape: readonly number[], strided: boolean): View {
  const n = shape.reduce((a, b) => a * b, 1);
  if (!strided || shape.length === 0) {
    const buf = cpu.alloc(Math.max(n, 1) * itemSize[d]);
    buffers.push(buf);
    return { buf, dtype: d as RealDType, shape, strides: contiguous(shape), offset: 0 };
  }
  // Every other element of a transposed buffer.
  const rev = [...shape].reverse(), cs = contiguous(rev).reverse().map((s) => 2 * s);
  const buf = cpu.alloc(Math.max(2 * n, 1) * itemSize[d]);
  buffers.push(buf);
  return { buf, dtype: d as RealDType, shape, strides: cs, offset: 0 };
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

  it('erf (a SIMD step, on the thread pool) and erfc over every range of the approximation; exact GELU', () => {
    // Values across both pieces of wasm/elementwise.ts erfv (|x| < 0.9, up to 3.919206, beyond), the
    // breakpoints' neighbours, tiny/subnormal inputs and specials.
    const vals: number[] = [NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 1e-38, 3e-20, 0.9, Math.fround(0.9) - 2 ** -24,
      3.919206, -3.9192057, 3.92, 1e30, -1e30];
    for (let i = 0; i <= 20000; i++) vals.push(-6 + (12 * i) / 20000);
    const n = vals.length, b = cpu.alloc(4 * n);
    buffers.push(b);
    cpu.write(b, Float32Array.from(vals));
    const x: View = { buf: b, dtype: 'float32', shape: [n], strides: [1], offset: 0 };
    const unary = (op: UnaryOp): FusedProgram => ({ inputs: ['float32'], steps: [{ kind: 'unary', op, a: 0, dtype: 'float32' }], outputs: [1] });
    check(unary('erf'), [x], [n], 'erf sweep');
    check(unary('erfc'), [x], [n], 'erfc sweep');
    check(unary('erf'), [{ ...x, shape: [101, 50], strides: [200, 3] }], [101, 50], 'erf strided');
    // GELU's exact form: 0.5 x (1 + erf(x / sqrt 2)).
    const gelu: FusedProgram = { inputs: ['float32'], steps: [
      { kind: 'const', value: Math.SQRT1_2, dtype: 'float32' }, // 1
      { kind: 'binary', op: 'mul', a: 0, b: 1, dtype: 'float32' }, // 2
      { kind: 'unary', op: 'erf', a: 2, dtype: 'float32' }, // 3
      { kind: 'const', value: 1, dtype: 'float32' }, // 4
      { kind: 'binary', op: 'add', a: 3, b: 4, dtype: 'float32' }, // 5
      { kind: 'binary', op: 'mul', a: 0, b: 5, dtype: 'float32' }, // 6
      { kind: 'const', value: 0.5, dtype: 'float32' }, // 7
      { kind: 'binary', op: 'mul', a: 6, b: 7, dtype: 'float32' }, // 8
    ], outputs: [8] };
    check(gelu, [x], [n], 'gelu (erf) sweep');
    // Large: no host-only import left, so the workers take part.
    // The calling thread takes calls too, so on a loaded machine it may finish a batch before a worker
    // wakes: a few rounds, until a worker has run the kernel (each round checks the values).
    const r = rng(31), pool = cpu.threadPool(), calls0 = pool?.workerCalls ?? 0;
    for (let round = 0; round < 10 && (round === 0 || (pool?.workerCalls ?? 0) === calls0); round++) {
      for (const shape of [[300, 257], [1 << 17]]) check(gelu, [randomView(r, 'float32', shape, 0)], shape, `gelu (erf) [${shape}]`);
    }
    if (pool && pool.ready > 0) expect(pool.workerCalls).toBeGreaterThan(calls0);
  });

  it('pow by a constant 2 or 3 is the backend\'s x * x and (x * x) * x (as for a broadcast exponent), not one rounding', () => {
    const r = rng(29);
    for (const e of [2, 3, 2.5]) {
      const p: FusedProgram = { inputs: ['float32'], steps: [{ kind: 'const', value: e, dtype: 'float32' }, { kind: 'binary', op: 'pow', a: 0, b: 1, dtype: 'float32' }], outputs: [2] };
      const x = randomView(r, 'float32', [100, 100], 0, false);
      check(p, [x], [100, 100], `pow ${e}`);
      // The eager kernel with the exponent broadcast from one element gives the same bits.
      const k = outView('float32', [], false), want = outView('float32', [100, 100], false), got = outView('float32', [100, 100], false);
      cpu.fill(k, e);
      cpu.binary('pow', x, { ...k, shape: [100, 100], strides: [0, 0] }, want);
      expect(cpu.fused(p, [x], [got])).toBe(true);
      expect(bytes(got)).toEqual(bytes(want));
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

describe('CPU fused reductions (FusedProgram.reduce) vs runComposed', () => {
  /**
   * Runs p fused and composed into fresh dense outputs of the kept shape (and fresh side outputs of
   * the full shape, every other element of transposed storage with `stridedSides`); fused must
   * accept and match bit for bit. Returns the reduced output.
   */
  function checkReduce(p: FusedProgram, ins: View[], what: string, stridedSides = false): Float32Array {
    checkProgram(p);
    const shape = ins[0]!.shape, oshape = shape.slice(0, shape.length - p.reduce!.nReduce);
    const sideDts = p.outputs.slice(0, -1).map((v) => valueDtype(p, v));
    const make = () => [...sideDts.map((d) => outView(d, shape, stridedSides)), outView('float32', oshape, false)];
    const a = make(), b = make();
    expect(cpu.fused(p, ins, a), `${what}: fused accepted`).toBe(true);
    runComposed(cpu, p, ins, b);
    a.forEach((o, k) => {
      const got = bytes(o), want = bytes(b[k]!);
      if (got.every((v, i) => v === want[i])) return;
      const x = cpu.readSync(o), y = cpu.readSync(b[k]!);
      // Any two NaNs are equal (their sign varies with V8's tier, even in the composed chain).
      for (let i = 0; i < x.length; i++) {
        if (Object.is(x[i], y[i]) || (Number.isNaN(x[i]) && Number.isNaN(y[i]))) continue;
        throw new Error(`${what}: ${k === a.length - 1 ? 'reduced output' : `side output ${k}`} element ${i}: fused ${x[i]}, composed ${y[i]}\n${JSON.stringify(p)}`);
      }
    });
    return cpu.readSync(a.at(-1)!) as Float32Array;
  }
  /** Bit for bit, any two NaNs equal (their sign varies with V8's tier, even in the composed chain). */
  const sameBits = (x: Float32Array, y: Float32Array): boolean => x.length === y.length
    && x.every((v, i) => Object.is(v, y[i]) || (Number.isNaN(v) && Number.isNaN(y[i])));
  /** A [..., 1]-style input: `shape` with the last `nb` dims broadcast (stride 0) from dense storage. */
  function perRow(r: () => number, shape: readonly number[], nb: number): View {
    const v = randomView(r, 'float32', shape.map((n, i) => (i < shape.length - nb ? n : 1)), 0, false);
    return { ...v, shape, strides: v.strides.map((s, i) => (i < shape.length - nb ? s : 0)) };
  }
  const f = (inputs: DType[], steps: FusedStep[], op: 'sum' | 'prod' | 'max' | 'min', nReduce: number): FusedProgram =>
    ({ inputs, steps, outputs: [inputs.length + steps.length - 1], reduce: { op, nReduce } });
  /** softmax's denominator: sum of exp(x - max). */
  const softmax = (n: number) => f(['float32', 'float32'], [
    { kind: 'binary', op: 'sub', a: 0, b: 1, dtype: 'float32' }, { kind: 'unary', op: 'exp', a: 2, dtype: 'float32' }], 'sum', n);
  /** layer norm's variance: sum of (x - mean)^2 / n. */
  const variance = (n: number, count: number) => f(['float32', 'float32'], [
    { kind: 'binary', op: 'sub', a: 0, b: 1, dtype: 'float32' }, { kind: 'binary', op: 'mul', a: 2, b: 2, dtype: 'float32' },
    { kind: 'const', value: 1 / count, dtype: 'float32' }, { kind: 'binary', op: 'mul', a: 3, b: 4, dtype: 'float32' }], 'sum', n);
  const scaled = (op: 'prod' | 'max' | 'min', n: number) => f(['float32', 'float32'], [
    { kind: 'binary', op: 'mul', a: 0, b: 1, dtype: 'float32' }, { kind: 'const', value: 0.01, dtype: 'float32' },
    { kind: 'binary', op: 'mul', a: 2, b: 3, dtype: 'float32' }, { kind: 'const', value: 1, dtype: 'float32' },
    { kind: 'binary', op: 'add', a: 4, b: 5, dtype: 'float32' }], op, n);

  it('softmax and layer-norm reductions over [rows, cols] with a per-row input, below and above the thread threshold', () => {
    const r = rng(21);
    for (const [rows, cols] of [[1, 1], [3, 5], [7, 8], [5, 17], [64, 513], [300, 257], [2, 40000], [1, 100003], [1, 7]]) {
      const shape = [rows!, cols!];
      const x = randomView(r, 'float32', shape, 0, false), m = perRow(r, shape, 1);
      checkReduce(softmax(1), [x, m], `softmax [${shape}]`);
      checkReduce(variance(1, cols!), [x, m], `variance [${shape}]`);
      for (const op of ['prod', 'max', 'min'] as const) checkReduce(scaled(op, 1), [x, m], `${op} [${shape}]`);
      // Transposed storage: the reduced run is strided.
      const xt: View = { ...randomView(r, 'float32', [cols!, rows!], 0, false), shape, strides: [1, rows!] };
      checkReduce(softmax(1), [xt, m], `softmax transposed [${shape}]`);
      checkReduce(scaled('max', 1), [xt, m], `max transposed [${shape}]`);
    }
  });

  it('side outputs (prologue values other kernels read) are written in the same pass, every layout', () => {
    const r = rng(27);
    // softmax: exp(x - max) is both written and summed; layer norm: x - mean written, a bool mask too.
    const expSide = (n: number): FusedProgram => ({ ...softmax(n), outputs: [3, 3] });
    const centred = (n: number, count: number): FusedProgram => {
      const v = variance(n, count);
      return { ...v, steps: [...v.steps, { kind: 'binary', op: 'gt', a: 0, b: 1, dtype: 'bool' }], outputs: [2, 6, 5] };
    };
    const maxSide = (n: number): FusedProgram => ({ ...scaled('max', n), outputs: [4, 6, 6] });
    for (const shape of [[1, 1], [3, 5], [7, 8], [5, 17], [64, 513], [300, 257], [2, 40000], [1, 100003], [4, 6, 8], [40, 30, 33]]) {
      const x = randomView(r, 'float32', shape, 0, false), m = perRow(r, shape, 1);
      for (const strided of [false, true]) {
        const tag = `[${shape}]${strided ? ' strided sides' : ''}`;
        checkReduce(expSide(1), [x, m], `softmax ${tag}`, strided);
        checkReduce(centred(1, shape.at(-1)!), [x, m], `variance ${tag}`, strided);
        checkReduce(maxSide(1), [x, m], `max ${tag}`, strided);
        // Strided sides over all dims do not form one run: declined (tested below), so dense only.
        if (!strided) checkReduce(expSide(shape.length), [x, perRow(r, shape, shape.length)], `sum over all ${tag}`);
        checkReduce(expSide(0), [x, m], `nReduce 0 ${tag}`, strided);
      }
      const xt: View = { ...randomView(r, 'float32', [...shape].reverse(), 0, false), shape, strides: contiguous([...shape].reverse()).reverse() };
      checkReduce(centred(1, shape.at(-1)!), [xt, m], `variance transposed [${shape}]`);
    }
  });

  it('side outputs: the same bits on 1 and 2 threads; declined over an input (other than as its view) or written twice', () => {
    const r = rng(28);
    const p: FusedProgram = { ...softmax(1), outputs: [2, 3, 3] };
    const cases = [[512, 300], [1, 200000], [3, 70000]].map((shape) => [randomView(r, 'float32', shape, 0, false), perRow(r, shape, 1)]);
    const two = cases.map((ins, i) => checkReduce(p, ins, `2 threads case ${i}`));
    torch.setNumThreads(1);
    try {
      cases.forEach((ins, i) => expect(sameBits(checkReduce(p, ins, `1 thread case ${i}`), two[i]!), `case ${i}`).toBe(true));
    } finally { torch.setNumThreads(2); }
    const x = randomView(r, 'float32', [6, 8], 0, false), m = perRow(r, [6, 8], 1), red = outView('float32', [6], false);
    const decline = (outs: View[]) => { const before = outs.map(bytes); expect(cpu.fused(p, [x, m], outs)).toBe(false); outs.forEach((o, i) => expect(bytes(o)).toEqual(before[i])); };
    decline([{ ...x, strides: [1, 6], shape: [6, 8] }, outView('float32', [6, 8], false), red]);
    decline([outView('float32', [6, 8], false), { ...outView('float32', [6, 1], false), shape: [6, 8], strides: [1, 0] }, red]);
    // Over all dims, a transposed side output does not form one run with the input.
    const all: FusedProgram = { ...p, reduce: { op: 'sum', nReduce: 2 } }, one = outView('float32', [], false);
    const sides = [outView('float32', [6, 8], true), outView('float32', [6, 8], false)], before = sides.map(bytes);
    expect(cpu.fused(all, [x, perRow(r, [6, 8], 2)], [...sides, one])).toBe(false);
    sides.forEach((o, i) => expect(bytes(o)).toEqual(before[i]));
    // The same view as an input (computed in place) is fine: x - m written over x.
    const want = bytes(x);
    expect(cpu.fused(p, [x, m], [x, outView('float32', [6, 8], false), red])).toBe(true);
    expect(bytes(x)).not.toEqual(want);
  });

  it('sums that cancel (where the float64 accumulation order shows), every length mod 8', () => {
    const r = rng(26);
    /**
     * A dense view of `shape`: small values and +-2^60 in alternation, which cancel; the small ones
     * are rounded away or kept depending on the order, so any other summation order would differ.
     */
    const wide = (shape: number[]): View => {
      const n = shape.reduce((a, b) => a * b, 1), a = new Float32Array(n);
      let sign = 1;
      for (let i = 0; i < n; i++) a[i] = r() < 0.15 ? (sign = -sign) * 2 ** 60 : (r() - 0.5) * 2 ** Math.floor(r() * 12);
      const buf = cpu.alloc(4 * Math.max(n, 1));
      buffers.push(buf);
      cpu.write(buf, a);
      return { buf, dtype: 'float32', shape, strides: contiguous(shape), offset: 0 };
    };
    const p = f(['float32', 'float32'], [{ kind: 'binary', op: 'mul', a: 0, b: 1, dtype: 'float32' }], 'sum', 1);
    for (let cols = 1; cols <= 40; cols++) checkReduce(p, [wide([9, cols]), perRow(r, [9, cols], 1)], `wide [9, ${cols}]`);
    for (const shape of [[4, 1000], [200, 333], [1, 50001]]) checkReduce(p, [wide(shape), perRow(r, shape, 1)], `wide [${shape}]`);
    checkReduce({ ...p, reduce: { op: 'sum', nReduce: 2 } }, [wide([300, 301]), perRow(r, [300, 301], 2)], 'wide sum over all');
  });

  it('nReduce 2 (a [n, 1, 1] mean), whole-tensor sums (one long output in float64 parts), nReduce 0', () => {
    const r = rng(22);
    for (const shape of [[4, 6, 8], [3, 5, 7], [40, 30, 33], [2, 3, 4]]) {
      const x = randomView(r, 'float32', shape, 0, false), m = perRow(r, shape, 2);
      checkReduce(variance(2, shape[1]! * shape[2]!), [x, m], `variance over 2 dims [${shape}]`);
      for (const op of ['prod', 'max', 'min'] as const) checkReduce(scaled(op, 2), [x, m], `${op} over 2 dims [${shape}]`);
      const c = perRow(r, shape, 3);
      checkReduce(softmax(3), [x, c], `sum over all [${shape}]`);
      checkReduce(scaled('min', 3), [x, c], `min over all [${shape}]`);
      checkReduce(softmax(0), [x, m], `nReduce 0 [${shape}]`);
    }
    // A 0-dim iteration shape.
    checkReduce(softmax(0), [randomView(r, 'float32', [], 0, false), randomView(r, 'float32', [], 0, false)], '0-dim');
  });

  it('the same bits on 1 and 2 threads, and on the pool for large sizes', () => {
    const r = rng(23);
    const pool = cpu.threadPool();
    const calls0 = pool?.workerCalls ?? 0;
    const cases: [FusedProgram, View[]][] = [];
    for (const shape of [[512, 300], [1, 200000], [3, 70000]]) {
      const x = randomView(r, 'float32', shape, 0, false), m = perRow(r, shape, 1);
      cases.push([softmax(1), [x, m]], [variance(1, shape[1]!), [x, m]], [scaled('max', 1), [x, m]], [scaled('prod', 1), [x, m]]);
    }
    const two = cases.map(([p, ins], i) => checkReduce(p, ins, `2 threads case ${i}`));
    torch.setNumThreads(1);
    try {
      cases.forEach(([p, ins], i) => expect(sameBits(checkReduce(p, ins, `1 thread case ${i}`), two[i]!), `case ${i}`).toBe(true));
    } finally { torch.setNumThreads(2); }
    if (pool && pool.ready > 0) expect(pool.workerCalls).toBeGreaterThan(calls0);
  });

  it('random prologues (cast to float32) over random layouts and reduce ops', () => {
    const r = rng(24);
    let accepted = 0;
    for (let t = 0; t < 150; t++) {
      const q = randomProgram(r), last = q.outputs[0]!;
      const steps: FusedStep[] = [...q.steps, { kind: 'cast', a: last, dtype: 'float32' }];
      const nd = 1 + Math.floor(r() * 3), shape = Array.from({ length: nd }, () => 1 + Math.floor(r() * 19));
      const op = (['sum', 'prod', 'max', 'min'] as const)[t % 4]!, nReduce = Math.floor(r() * (nd + 1));
      const p: FusedProgram = { inputs: q.inputs, steps, outputs: [q.inputs.length + steps.length - 1], reduce: { op, nReduce } };
      const ins = p.inputs.map((d) => randomView(r, d, shape));
      const oshape = shape.slice(0, nd - nReduce), o = outView('float32', oshape, false);
      // Reduced dims that do not collapse are declined; everything accepted must match.
      if (!cpu.fused(p, ins, [o])) continue;
      accepted++;
      checkReduce(p, ins, `random case ${t} [${shape}] ${op} over ${nReduce}`);
    }
    expect(accepted).toBeGreaterThan(90);
  });

  it('declines what it does not run, writing nothing', () => {
    const r = rng(25);
    const decline = (p: FusedProgram, ins: View[], out: View) => {
      const before = bytes(out);
      expect(cpu.fused(p, ins, [out])).toBe(false);
      expect(bytes(out)).toEqual(before);
    };
    const x = randomView(r, 'float32', [4, 6, 8], 0, false);
    // Reduced dims that do not form one run: a weight broadcast over dim 1 of the reduced [6, 8].
    const w = perRow(r, [4, 6, 8], 0);
    const wv: View = { ...w, strides: [0, 0, 1] };
    decline(softmax(2), [x, wv], outView('float32', [4], false));
    // An int32 result.
    const xi = randomView(r, 'int32', [4, 8], 0, false);
    decline(f(['int32'], [{ kind: 'unary', op: 'neg', a: 0, dtype: 'int32' }], 'sum', 1), [xi], outView('int32', [4], false));
    // Empty tensors (the composed reduce fills or raises), a non-dense output, an output over an input.
    const e = randomView(r, 'float32', [3, 0], 0, false);
    decline(softmax(1), [e, e], outView('float32', [3], false));
    const x2 = randomView(r, 'float32', [6, 5], 0, false), m2 = perRow(r, [6, 5], 1);
    decline(softmax(1), [x2, m2], outView('float32', [6], true));
    decline(softmax(1), [x2, m2], { ...x2, shape: [6], strides: [1] });
    // Wrong output shape.
    decline(softmax(1), [x2, m2], outView('float32', [5], false));
  });
});
