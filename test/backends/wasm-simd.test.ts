// Tests of the CPU backend's AssemblyScript SIMD kernels (both builds: SIMD128 and relaxed-SIMD)
// against the reference TypeScript kernels and float64 math, on random data with odd sizes,
// transposed / broadcast / strided views. Each case also checks that the SIMD kernel really ran.

import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import type { BinaryOp, ConvGeometry, ReduceOp, UnaryOp, View } from '../../src/backends/backend.js';
import { WasmBackend } from '../../src/backends/wasm/index.js';
import { availableVariants, type SimdExports, type SimdKernels, type SimdVariant } from '../../src/backends/wasm/simd.js';
import * as torch from '../../src/index.js';
import { getBackend } from '../../src/backends/registry.js';
import { setNumThreads } from '../../src/backends/wasm/threads.js';
import { erf } from '../../src/backends/wasm/math.js';
import { f16BitsToF32, f32ToF16Bits } from '../../src/dtype.js';

// One thread: the spies below count the calling thread's kernel calls.
setNumThreads(1);

// Node 20 gates relaxed SIMD behind a flag; wasm features are read at compile time, so this suffices.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const SIZES = [1, 3, 7, 17, 33, 65];

/** Deterministic pseudo-random floats in [-2, 2) (a small LCG, so failures reproduce). */
function rand(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; out[i] = (s / 2 ** 32) * 4 - 2; }
  return out;
}

/** Element offsets of a strided view in row-major order (independent of the backend's helpers). */
function viewOffsets(shape: number[], strides: number[], offset: number): number[] {
  let out = [offset];
  for (let d = 0; d < shape.length; d++) {
    const next: number[] = [];
    for (const o of out) for (let i = 0; i < shape[d]!; i++) next.push(o + i * strides[d]!);
    out = next;
  }
  return out;
}

function contiguous(shape: number[]): number[] {
  const st: number[] = [];
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) { st[d] = acc; acc *= shape[d]!; }
  return st;
}

interface Tensorish { view: View; values: number[] }

/** Puts `storage` into `be` and returns a view on it plus the view's values read on the host. */
function put(be: WasmBackend, storage: Float32Array | Int32Array, shape: number[], strides = contiguous(shape), offset = 0): Tensorish {
  const buf = be.alloc(storage.byteLength);
  be.write(buf, storage);
  const dtype = storage instanceof Float32Array ? 'float32' : 'int32';
  return { view: { buf, dtype, shape, strides, offset }, values: viewOffsets(shape, strides, offset).map((o) => storage[o]!) };
}

function out(be: WasmBackend, shape: number[], dtype: 'float32' | 'int32' = 'float32'): View {
  const n = shape.reduce((a, b) => a * b, 1);
  return { buf: be.alloc(4 * n), dtype, shape, strides: contiguous(shape), offset: 0 };
}

const read = (be: WasmBackend, v: View): number[] => Array.from(be.readSync(v));

/** Counts calls of each SIMD export so a test can assert its fast path was taken. */
function spy(be: WasmBackend): Record<string, number> {
  const simd = (be as unknown as { simd: SimdKernels | null }).simd;
  if (!simd) throw new Error('no SIMD kernels loaded');
  const counts: Record<string, number> = {};
  const k = simd.k as unknown as Record<string, (...args: number[]) => unknown>;
  const wrapped: Record<string, (...args: number[]) => unknown> = {};
  for (const name of Object.keys(k)) {
    const f = k[name]!;
    if (typeof f !== 'function') continue;
    wrapped[name] = (...args: number[]) => { counts[name] = (counts[name] ?? 0) + 1; return f(...args); };
  }
  // Counted calls are the calling thread's: threads are off for these tests (test/backends/threads.test.ts has them).
  (be as unknown as { setKernels(k: SimdKernels): void }).setKernels({ ...simd, k: wrapped as unknown as SimdExports });
  return counts;
}

function expectBits(got: number[], want: number[], what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Object.is(got[i], want[i]) || (got[i] === want[i])) continue;
    throw new Error(`${what}: element ${i}: got ${got[i]}, want ${want[i]}`);
  }
}

function expectClose(got: number[], want: number[], rtol: number, atol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (Number.isNaN(w)) { if (!Number.isNaN(g)) throw new Error(`${what}: element ${i}: got ${g}, want NaN`); continue; }
    if (!Number.isFinite(w)) { if (g !== w) throw new Error(`${what}: element ${i}: got ${g}, want ${w}`); continue; }
    if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w))) throw new Error(`${what}: element ${i}: got ${g}, want ${w}`);
  }
}

it('relaxed SIMD becomes available on Node with the flag, SIMD128 always', () => {
  expect(availableVariants()).toEqual(['relaxed', 'simd128']);
  expect(new WasmBackend().kernels).toBe('relaxed');
});

it('upgrade() loads the best kernels asynchronously when none are loaded (the browser main-thread path)', async () => {
  const be = new WasmBackend();
  be.useKernels('reference');
  expect(be.kernels).toBe('reference');
  await be.upgrade();
  expect(be.kernels).toBe(availableVariants()[0]);
  const a = put(be, new Float32Array([1, 2, 3, 4, 5]), [5]), o = out(be, [5]);
  const calls = spy(be);
  be.binary('mul', a.view, a.view, o);
  expectBits(read(be, o), [1, 4, 9, 16, 25], 'mul after upgrade');
  expect(calls.binary).toBe(1);
});

const variants = availableVariants();

describe.each(variants)('SIMD kernels (%s)', (variant: SimdVariant) => {
  const fresh = (): { fast: WasmBackend; ref: WasmBackend; calls: Record<string, number> } => {
    const fast = new WasmBackend();
    expect(fast.useKernels(variant)).toBe(true);
    const ref = new WasmBackend();
    ref.useKernels('reference');
    return { fast, ref, calls: spy(fast) };
  };

  const binOps: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'];
  // [out shape, a strides | null (contiguous), b strides | null, storage sizes]
  const patterns: { name: string; shape: (n: number) => number[]; a: (n: number) => number[] | null; b: (n: number) => number[] | null }[] = [
    { name: 'same shape 1-D', shape: (n) => [n], a: () => null, b: () => null },
    { name: 'same shape 3-D', shape: (n) => [2, n, 3], a: () => null, b: () => null },
    { name: 'scalar b', shape: (n) => [n, 5], a: () => null, b: () => [0, 0] },
    { name: 'scalar a', shape: (n) => [n], a: () => [0], b: () => null },
    { name: 'row vector b', shape: (n) => [4, n], a: () => null, b: () => [0, 1] },
    { name: 'column b', shape: (n) => [n, 6], a: () => null, b: () => [1, 0] },
    { name: 'channel bias [2,C,5]', shape: (n) => [2, n, 5], a: () => null, b: () => [0, 1, 0] },
    { name: 'strided rows', shape: (n) => [3, n], a: (n) => [n + 2, 1], b: () => null },
    { name: 'transposed a', shape: (n) => [n, 3], a: (n) => [1, n], b: () => null },
    { name: 'both transposed, b stepped', shape: (n) => [n, 5], a: (n) => [1, n], b: (n) => [2, 2 * n] },
    { name: 'flipped a, column b', shape: (n) => [4, n], a: (n) => [n, -1], b: () => [1, 0] },
  ];

  it.each(binOps)('binary %s matches the reference kernel bit for bit', (op) => {
    const { fast, ref, calls } = fresh();
    for (const p of patterns) for (const n of SIZES) {
      const shape = p.shape(n);
      const aSt = p.a(n) ?? contiguous(shape), bSt = p.b(n) ?? contiguous(shape);
      const span = (st: number[]) => 1 + shape.reduce((s, d, i) => s + (d - 1) * Math.abs(st[i]!), 0);
      const aStore = rand(span(aSt), n), bStore = rand(span(bSt), n + 100);
      // A negative inner stride starts the view at the far end of its storage.
      const origin = (st: number[]) => shape.reduce((o, d, i) => o + (st[i]! < 0 ? (d - 1) * -st[i]! : 0), 0);
      if (op === 'div') bStore[0] = 0; // x/0
      aStore[Math.min(1, aStore.length - 1)] = NaN;
      const res = [fast, ref].map((be) => {
        const a = put(be, aStore, shape, aSt, origin(aSt)), b = put(be, bStore, shape, bSt, origin(bSt)), o = out(be, shape);
        be.binary(op, a.view, b.view, o);
        return read(be, o);
      });
      expectBits(res[0]!, res[1]!, `${op} ${p.name} n=${n}`);
    }
    expect(calls.binary).toBeGreaterThan(0);
  });

  const cmpOps: BinaryOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];
  it.each(cmpOps)('compare %s (float32 -> bool) matches the reference kernel', (op) => {
    const { fast, ref, calls } = fresh();
    for (const p of patterns) for (const n of SIZES) {
      const shape = p.shape(n);
      const aSt = p.a(n) ?? contiguous(shape), bSt = p.b(n) ?? contiguous(shape);
      const span = (st: number[]) => 1 + shape.reduce((s, d, i) => s + (d - 1) * Math.abs(st[i]!), 0);
      const origin = (st: number[]) => shape.reduce((o, d, i) => o + (st[i]! < 0 ? (d - 1) * -st[i]! : 0), 0);
      // Coarse values so that ties (eq/le/ge) really happen; one NaN.
      const aStore = rand(span(aSt), n).map(Math.round), bStore = rand(span(bSt), n + 100).map(Math.round);
      aStore[Math.min(1, aStore.length - 1)] = NaN;
      const res = [fast, ref].map((be) => {
        const a = put(be, aStore, shape, aSt, origin(aSt)), b = put(be, bStore, shape, bSt, origin(bSt));
        const n = shape.reduce((x, y) => x * y, 1);
        const o: View = { buf: be.alloc(n), dtype: 'bool', shape, strides: contiguous(shape), offset: 0 };
        be.binary(op, a.view, b.view, o);
        return read(be, o);
      });
      expectBits(res[0]!, res[1]!, `${op} ${p.name} n=${n}`);
    }
    expect(calls.compare).toBeGreaterThan(0);
  });

  const unOps: UnaryOp[] = ['neg', 'abs', 'relu', 'sqrt', 'floor', 'ceil', 'trunc', 'round', 'reciprocal'];
  it.each(unOps)('unary %s matches the reference kernel bit for bit', (op) => {
    const { fast, ref, calls } = fresh();
    for (const n of SIZES) {
      const store = rand(3 * (n + 2), n);
      store[0] = NaN; store[1] = -0; store[2] = 2.5; store[3] = -1.5; store[4] = Infinity;
      for (const [shape, st] of [[[3 * (n + 2)], [1]], [[3, n], [n + 2, 1]], [[n, 3], [1, n + 2]], [[n], [-3]]] as [number[], number[]][]) {
        const res = [fast, ref].map((be) => {
          const x = put(be, store, shape, st, st[0]! < 0 ? 3 * (n - 1) : 0), o = out(be, shape);
          be.unary(op, x.view, o);
          return read(be, o);
        });
        expectBits(res[0]!, res[1]!, `${op} n=${n} shape=${shape}`);
      }
    }
    expect(calls.unary).toBeGreaterThan(0);
  });

  const special = [-200, -104, -103.5, -100, -90, -87.5, -20, -1, -0.31, -0.3, -0.29, -1e-3, -1e-8, -0, 0, 1e-8, 1e-3, 0.29, 0.3,
    0.31, 1, 5, 9, 20, 80, 88, 88.7, 88.72, 88.73, 89, 200, NaN, Infinity, -Infinity];
  const mathOps: [UnaryOp, (x: number) => number][] = [
    ['exp', Math.exp], ['tanh', Math.tanh], ['sigmoid', (x) => 1 / (1 + Math.exp(-x))], ['log', Math.log], ['erf', erf],
  ];
  it.each(mathOps)('unary %s is within a few ulp of float64 math', (op, f) => {
    const { fast, calls } = fresh();
    for (const n of [...SIZES, 1000]) {
      const logArgs = op === 'log' ? [1e-45, 1e-40, 1.1754942e-38, 1.17549435e-38, 0.7071067, 0.7071068, 0.99999994, 1.0000001, 1.4142135, 1.4142137, 3e38] : [];
      const store = new Float32Array([...special, ...logArgs, ...rand(n, n).map((v) => v * 10), ...rand(n, n + 7).map((v) => Math.exp(v * 20))]);
      const x = put(fast, store, [store.length]), o = out(fast, [store.length]);
      fast.unary(op, x.view, o);
      const want = x.values.map((v) => Math.fround(f(v)));
      // 4e-7 relative ~ 3-4 ulp; denormal results of exp may flush: atol 1e-37.
      expectClose(read(fast, o), want, 4e-7, 1e-37, `${op} n=${n}`);
    }
    expect(calls.unary).toBeGreaterThan(0);
  });

  it('copy: contiguous, transposed, strided out, permuted 3-D, int32', () => {
    const { fast, calls } = fresh();
    for (const n of SIZES) {
      const store = rand(4 * n * 5, n);
      const cases: [number[], number[], number[] | null][] = [
        [[4 * n * 5], [1], null],
        [[n, 4], [1, n], null], // transpose
        [[4, n], [n, 1], [2 * n, 2]], // strided out
        [[5, n, 4], [1, 20, 5], null], // permute
        [[n, 3], [-3, 1], null], // flipped rows
      ];
      for (const [shape, st, outSt] of cases) {
        const offset = st[0]! < 0 ? 3 * (n - 1) : 0;
        const src = put(fast, store, shape, st, offset);
        const dstStrides = outSt ?? contiguous(shape);
        const span = 1 + shape.reduce((s, d, i) => s + (d - 1) * dstStrides[i]!, 0);
        const dst: View = { buf: fast.alloc(4 * span), dtype: 'float32', shape, strides: dstStrides, offset: 0 };
        fast.copy(src.view, dst);
        expectBits(read(fast, dst), src.values, `copy n=${n} shape=${shape} strides=${st}`);
      }
      const ints = Int32Array.from({ length: 3 * n }, (_, i) => i * 7 - 5);
      const src = put(fast, ints, [n, 3], [1, n]), dst = out(fast, [n, 3], 'int32');
      fast.copy(src.view, dst);
      expectBits(read(fast, dst), src.values, `copy int32 n=${n}`);
    }
    expect(calls.copy32).toBeGreaterThan(0);
  });

  it('casting copy to float32 from bool, uint8 and int32 (contiguous, transposed, strided out)', () => {
    const { fast, calls } = fresh();
    for (const n of SIZES) {
      const ints = Int32Array.from({ length: 3 * n }, (_, i) => (i * 7919 - 50) * (i % 5 === 0 ? 40000 : 1)); // some beyond 2^24
      const bytes = Uint8Array.from({ length: 3 * n }, (_, i) => (i * 37) & 255);
      for (const [srcDtype, data] of [['int32', ints], ['uint8', bytes], ['bool', bytes.map((v) => v & 1)]] as const) {
        for (const [shape, st, outSt] of [[[3 * n], [1], [1]], [[n, 3], [1, n], [3, 1]], [[3, n], [n, 1], [1, 3]]] as [number[], number[], number[]][]) {
          const es = srcDtype === 'int32' ? 4 : 1;
          const buf = fast.alloc(data.length * es);
          fast.write(buf, data);
          const src: View = { buf, dtype: srcDtype, shape, strides: st, offset: 0 };
          const dst: View = { buf: fast.alloc(4 * 3 * n), dtype: 'float32', shape, strides: outSt, offset: 0 };
          fast.copy(src, dst);
          const want = viewOffsets(shape, st, 0).map((o) => Math.fround(data[o]!));
          expectBits(read(fast, dst), want, `cast ${srcDtype} n=${n} shape=${shape}`);
        }
      }
    }
    expect(calls.castToF32).toBeGreaterThan(0);
  });

  it('fill: contiguous, strided float32 and int32', () => {
    const { fast, calls } = fresh();
    for (const n of SIZES) {
      for (const dtype of ['float32', 'int32'] as const) {
        const store = dtype === 'float32' ? new Float32Array(3 * n * 2) : new Int32Array(3 * n * 2);
        const base = put(fast, store, [3, 2 * n]);
        const strided: View = { ...base.view, shape: [3, n], strides: [2 * n, 2], offset: 1 };
        const v = dtype === 'float32' ? -1.25 : 42;
        fast.fill(strided, v);
        const got = read(fast, base.view);
        const want = Array.from({ length: 6 * n }, (_, i) => (i % 2 === 1 ? v : 0));
        expectBits(got, want, `fill ${dtype} n=${n}`);
        fast.fill(base.view, 3);
        expectBits(read(fast, base.view), new Array<number>(6 * n).fill(3), `fill contiguous ${dtype} n=${n}`);
      }
    }
    expect(calls.fill32).toBeGreaterThan(0);
  });

  it('pow with a scalar exponent 2 runs as x * x, bit-identical to the reference pow (specials included)', () => {
    const { fast, ref, calls } = fresh();
    const xs = new Float32Array([0, -0, 1.5, -3.25, 1e-30, -1e30, 3e19, Infinity, -Infinity, NaN, 1.0000001, ...Array.from({ length: 40 }, (_, i) => Math.sin(i) * 10 ** (i % 7 - 3))]);
    const run = (be: WasmBackend): number[] => {
      const x = be.alloc(4 * xs.length), two = be.alloc(4), out = be.alloc(4 * xs.length);
      be.write(x, xs); be.write(two, new Float32Array([2]));
      const shape = [xs.length];
      be.binary('pow', { buf: x, dtype: 'float32', shape, strides: [1], offset: 0 }, { buf: two, dtype: 'float32', shape, strides: [0], offset: 0 },
        { buf: out, dtype: 'float32', shape, strides: [1], offset: 0 });
      return Array.from(new Uint32Array(be.readSync({ buf: out, dtype: 'float32', shape, strides: [1], offset: 0 }).buffer));
    };
    expect(run(fast)).toEqual(run(ref));
    expect(calls.binary).toBe(1);
  });

  it('where: contiguous float32 / int32 with bool and uint8 conditions bit-identical to the reference loop; other layouts fall back', () => {
    const { fast, ref, calls } = fresh();
    const run = (be: WasmBackend, cDtype: 'bool' | 'uint8', cData: Uint8Array, a: Float32Array | Int32Array, b: Float32Array | Int32Array,
      shape: number[], aStrides?: number[], bStrides?: number[]): number[] => {
      const cBuf = be.alloc(cData.length);
      be.write(cBuf, cData);
      const cond: View = { buf: cBuf, dtype: cDtype, shape, strides: contiguous(shape), offset: 0 };
      const dtype = a instanceof Float32Array ? 'float32' : 'int32';
      const o = out(be, shape, dtype);
      be.where(cond, put(be, a, shape, aStrides).view, put(be, b, shape, bStrides).view, o);
      return read(be, o);
    };
    for (const n of [...SIZES, 16, 31, 48]) {
      const bytes = Uint8Array.from({ length: 3 * n }, (_, i) => ((i * 37) >> 1) & 255); // zero and nonzero bytes, not only 0/1
      const fa = rand(3 * n, n), fb = rand(3 * n, n + 50);
      fa[0] = -0; fb[1] = Number.NaN; fa[2 % (3 * n)] = Number.POSITIVE_INFINITY;
      const ia = Int32Array.from({ length: 3 * n }, (_, i) => i * 7919 - 2 ** 30), ib = Int32Array.from({ length: 3 * n }, (_, i) => -i);
      for (const [cDtype, c] of [['uint8', bytes], ['bool', bytes.map((v) => v & 1)]] as const) {
        for (const [a, b] of [[fa, fb], [ia, ib]] as const) {
          for (const shape of [[3 * n], [3, n], [n, 1, 3]]) {
            const before = calls.where32 ?? 0;
            const got = run(fast, cDtype, c, a, b, shape), want = run(ref, cDtype, c, a, b, shape);
            expectBits(got, want, `where ${cDtype} ${a.constructor.name} shape=${shape}`);
            expect(calls.where32, 'SIMD where ran').toBe(before + 1);
          }
          // One broadcast value for a or b (ReLU's gradient where(out <= 0, 0, g)): still SIMD.
          for (const [as, bs] of [[[0, 0], undefined], [undefined, [0, 0]]] as [number[] | undefined, number[] | undefined][]) {
            const before = calls.where32;
            expectBits(run(fast, cDtype, c, a, b, [n, 3], as, bs), run(ref, cDtype, c, a, b, [n, 3], as, bs), `where broadcast scalar n=${n}`);
            expect(calls.where32, 'SIMD where ran with a broadcast scalar').toBe(before + 1);
          }
          // Transposed a: the reference loop, same values as the reference backend.
          const before = calls.where32;
          expectBits(run(fast, cDtype, c, a, b, [n, 3], [1, n]), run(ref, cDtype, c, a, b, [n, 3], [1, n]), `where transposed n=${n}`);
          if (n > 1) expect(calls.where32, 'transposed a takes the reference loop').toBe(before); // [1, 3] is dense whatever its strides
        }
      }
    }
  });

  const redOps: ReduceOp[] = ['sum', 'max', 'min'];
  it.each(redOps)('reduce %s over rows, columns and everything', (op) => {
    const { fast, calls } = fresh();
    const f = (vals: number[]): number => op === 'sum' ? vals.reduce((a, b) => a + b, 0)
      : vals.some(Number.isNaN) ? NaN : op === 'max' ? Math.max(...vals) : Math.min(...vals);
    for (const r of SIZES) for (const c of [1, 3, 17, 65]) {
      const store = rand(r * c, r * 31 + c);
      if (r * c > 5 && op !== 'sum') store[5] = NaN;
      // [r, c] reduce last (rows), [c, r] view = transpose reduce last (columns), full reduce.
      const cases: [number[], number[], number, number[]][] = [
        [[r, c], [c, 1], 1, [r]],
        [[c, r], [1, c], 1, [c]],
        [[r, c], [c, 1], 2, []],
      ];
      // Bias-gradient pattern: x [N=r, C=2, L] reduced over N and L, as the view [C, N, L].
      if (c % 2 === 1 && c > 1) {
        const L = (c - 1) / 2;
        cases.push([[2, r, L], [L, 2 * L, 1], 2, [2]]);
      }
      for (const [shape, st, nReduce, outShape] of cases) {
        const x = put(fast, store, shape, st), o = out(fast, outShape);
        const ran = () => (calls.reduceRows ?? 0) + (calls.reduceCols ?? 0) + (calls.reduceColsSum ?? 0);
        const before = ran();
        fast.reduce(op, x.view, nReduce, o);
        expect(ran(), `SIMD ran for ${shape} / ${st}`).toBe(before + 1);
        const inner = shape.slice(shape.length - nReduce).reduce((a, b) => a * b, 1);
        const want: number[] = [];
        for (let i = 0; i < x.values.length; i += inner) want.push(Math.fround(f(x.values.slice(i, i + inner))));
        // Column sums (16+ outputs: reduceColsSum) add each column in row order in float64, as f does: exact.
        const tol = op === 'sum' && !(nReduce === 1 && st[0] === 1 && shape[0]! >= 16) ? 1e-6 : 0;
        expectClose(read(fast, o), want, tol, tol, `${op} shape=${shape} strides=${st} nReduce=${nReduce}`);
      }
    }
    expect(calls.reduceRows).toBeGreaterThan(0);
    expect(calls[op === 'sum' ? 'reduceColsSum' : 'reduceCols']).toBeGreaterThan(0); // sums of 16+ columns read row by row
  });

  it('float16 <-> float32 copies: every float16, float32 edges and random bits, as dtype.ts converts them, contiguous and strided', () => {
    const { fast, calls } = fresh();
    const bitsEqual = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
    // Every float16 pattern to float32, read through a contiguous and a strided (every other) view.
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const hb = fast.alloc(2 * 65536); fast.write(hb, all);
    for (const [n, st] of [[65536, 1], [32768, 2], [21845, 3]] as const) {
      const o = out(fast, [n]);
      fast.copy({ buf: hb, dtype: 'float16', shape: [n], strides: [st], offset: 0 }, o);
      const got = read(fast, o);
      for (let i = 0; i < n; i++) if (!bitsEqual(got[i]!, f16BitsToF32(all[i * st]!))) throw new Error(`f16 0x${all[i * st]!.toString(16)} -> ${got[i]}, want ${f16BitsToF32(all[i * st]!)}`);
    }
    // float32 to float16: the rounding edges (half-way cases, subnormal and overflow bounds) and random bit patterns.
    const edges: number[] = [0, -0, Infinity, -Infinity, NaN, 65504, 65519.99, 65520, 65536, 1e-8, 2 ** -24, 2 ** -25, 2 ** -25 * 1.0000001, 3 * 2 ** -25, 2 ** -14, 2 ** -14 - 2 ** -25, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 2049, 2051, -1.5, 1e30, -1e-30];
    const u = new Uint32Array(200003);
    for (let i = 0; i < u.length; i++) u[i] = (Math.imul(i, 2654435761) ^ (i >>> 3) * 40503) >>> 0;
    const f = new Float32Array(u.buffer);
    f.set(edges.map(Math.fround));
    const fb = fast.alloc(4 * f.length); fast.write(fb, f);
    for (const [n, st] of [[f.length, 1], [100001, 2], [7, 1]] as const) {
      const o: View = { buf: fast.alloc(2 * n), dtype: 'float16', shape: [n], strides: [1], offset: 0 };
      fast.copy({ buf: fb, dtype: 'float32', shape: [n], strides: [st], offset: 0 }, o);
      const got = new Uint16Array(fast.readSync({ ...o, dtype: 'int32', shape: [Math.ceil(n / 2)] }).buffer, 0, n);
      for (let i = 0; i < n; i++) {
        const want = f32ToF16Bits(f[i * st]!);
        const same = got[i] === want || (Number.isNaN(f[i * st]!) && (got[i]! & 0x7c00) === 0x7c00 && (got[i]! & 0x3ff) !== 0 && (got[i]! & 0x8000) === (want & 0x8000));
        if (!same) throw new Error(`f32 ${f[i * st]} (0x${u[i * st]!.toString(16)}) -> 0x${got[i]!.toString(16)}, want 0x${want.toString(16)}`);
      }
    }
    expect(calls.castF16).toBeGreaterThanOrEqual(6);
  });

  it.each(['max', 'min'] as const)('row %s: a NaN anywhere in the row, and signed zeros, as a sequential scan', (op) => {
    // The row kernel keeps four accumulators plus a vector and a scalar tail: a NaN in each of
    // those parts must reach the result, and +0 / -0 must come out as Math.max / Math.min give them.
    const { fast } = fresh();
    for (const c of [1, 3, 4, 15, 16, 17, 20, 37, 64, 65]) {
      for (let j = 0; j < c; j++) {
        const store = rand(c, 7 * c + j);
        store[j] = NaN;
        const o = out(fast, [1]);
        fast.reduce(op, put(fast, store, [1, c]).view, 1, o);
        expect(Number.isNaN(read(fast, o)[0]), `${op} of ${c} with NaN at ${j}`).toBe(true);
      }
      for (const pick of [0, 1, 2]) {
        // Rows of zeros only: all +0, all -0, or mixed, so the answer hangs on the sign rule.
        const store = Float32Array.from({ length: c }, (_, i) => (pick === 0 ? 0 : pick === 1 ? -0 : (i * 5 + c) % 3 === 0 ? 0 : -0));
        const o = out(fast, [1]);
        fast.reduce(op, put(fast, store, [1, c]).view, 1, o);
        const want = op === 'max' ? Math.max(...store) : Math.min(...store);
        expect(Object.is(read(fast, o)[0], want), `${op} of ${c} zeros (${pick}): got ${read(fast, o)[0]}, want ${want}`).toBe(true);
      }
    }
  });

  it.each(['argmax', 'argmin'] as const)('%s over rows and down columns matches the reference kernel (ties, NaN)', (op) => {
    const { fast, ref, calls } = fresh();
    for (const r of SIZES) for (const c of [1, 3, 17, 65]) {
      const store = rand(6 * r * c, r * 31 + c).map((v) => Math.round(v * 2)); // many ties
      if (r * c > 9) { store[9] = NaN; store[Math.min(r * c - 1, 40)] = NaN; }
      // The last case is max pooling's layout: [N, C, L, k*k] viewed on an [N, C, k*k, L] buffer.
      for (const [shape, st] of [[[r, c], [c, 1]], [[c, r], [1, c]], [[2, r, c], [0, c, 1]], [[2, r, c, 3], [3 * r * c, 3 * c, 1, c]], [[r, c, 1, 1], [c, 1, 1, 1]]] as [number[], number[]][]) {
        const outShape = shape.slice(0, -1);
        const res = [fast, ref].map((be) => {
          const x = put(be, store, shape, st), o = out(be, outShape, 'int32');
          be.reduce(op, x.view, 1, o);
          return read(be, o);
        });
        expectBits(res[0]!, res[1]!, `${op} shape=${shape} strides=${st}`);
      }
    }
    expect(calls.argReduceRows).toBeGreaterThan(0);
    expect(calls.argReduceColsRows).toBeGreaterThan(0);
  });

  it.each(['max', 'min'] as const)('int32 %s over rows, everything and [C, N, L] matches the reference kernel; other layouts fall back', (op) => {
    const { fast, ref, calls } = fresh();
    for (const r of SIZES) for (const c of [1, 3, 5, 17, 65]) {
      const store = new Int32Array(rand(2 * r * c, r * 7 + c).map((v) => Math.round(v * 1e9)));
      if (r * c > 3) { store[3] = 2 ** 31 - 1; store[r * c - 1] = -(2 ** 31); }
      // [shape, strides, nReduce, simd expected]: rows, full, bias-style two-run, strided runs, and columns (reference).
      const cases: [number[], number[], number, boolean][] = [
        [[r, c], [c, 1], 1, true], [[r, c], [c, 1], 2, true], [[r, 2, c], [c, r * c, 1], 2, c > 1],
        [[r, c], [2 * c, 1], 1, true], [[c, r], [1, c], 1, c === 1 || r === 1],
      ];
      for (const [shape, st, nReduce, simd] of cases) {
        const before = calls.reduceRowsI32 ?? 0;
        const res = [fast, ref].map((be) => {
          const x = put(be, store, shape, st), o = out(be, shape.slice(0, shape.length - nReduce), 'int32');
          be.reduce(op, x.view, nReduce, o);
          return read(be, o);
        });
        expectBits(res[0]!, res[1]!, `${op} shape=${shape} strides=${st} nReduce=${nReduce}`);
        if (simd) expect(calls.reduceRowsI32, `SIMD ran for ${shape} / ${st}`).toBe(before + 1);
      }
    }
  });

  it('gather and scatter (none/add) along each dim match the reference kernels, errors included', () => {
    const { fast, ref, calls } = fresh();
    for (const n of [1, 3, 7, 17]) for (const dim of [0, 1, 2]) {
      const xShape = [3, n, 5];
      const iShape = xShape.map((s, d) => (d === dim ? 4 : Math.max(1, s - 1)));
      const xStore = rand(3 * n * 5, n + dim);
      const iCount = iShape.reduce((a, b) => a * b, 1);
      const size = xShape[dim]!;
      const idx = Int32Array.from({ length: iCount }, (_, i) => ((i * 7) % (2 * size)) - size); // negatives too
      const sStore = rand(iCount, 99 + n);
      const res = [fast, ref].map((be) => {
        // x transposed in storage (strides of the reversed shape) to exercise strides.
        const x = put(be, xStore, xShape, [1, 3, 3 * n]);
        const ix = put(be, idx, iShape);
        const o = out(be, iShape);
        be.gather(x.view, dim, ix.view, o);
        const s = put(be, sStore, iShape);
        const results = [read(be, o)];
        for (const mode of ['none', 'add'] as const) {
          const tgt = put(be, xStore.slice(), xShape);
          be.scatter(tgt.view, dim, ix.view, s.view, mode);
          results.push(read(be, tgt.view));
        }
        const bad = put(be, Int32Array.from(idx, (v, i) => (i === iCount - 1 ? size : v)), iShape);
        results.push([0], [0]);
        try { be.gather(x.view, dim, bad.view, out(be, iShape)); } catch (e) { results.push([String((e as Error).message)] as unknown as number[]); }
        try { be.scatter(put(be, xStore.slice(), xShape).view, dim, bad.view, s.view, 'add'); } catch (e) { results.push([String((e as Error).message)] as unknown as number[]); }
        return results;
      });
      for (let i = 0; i < 3; i++) expectClose(res[0]![i]!, res[1]![i]!, 1e-6, 1e-6, `gather/scatter #${i} n=${n} dim=${dim}`);
      expect(res[0]!.slice(5), 'errors').toEqual(res[1]!.slice(5));
      expect(res[0]!.length, 'both raised').toBe(7);
    }
    expect(calls.gather32).toBeGreaterThan(0);
    expect(calls.scatter32).toBeGreaterThan(0);
  });

  it('matmul: batched, odd sizes, transposed and broadcast operands, vs float64', () => {
    const { fast, calls } = fresh();
    const dims: [number, number, number, number][] = [
      [1, 1, 1, 1], [1, 3, 7, 5], [2, 17, 33, 9], [1, 65, 3, 17], [3, 4, 8, 8], [1, 33, 300, 65], [2, 130, 17, 1030],
    ];
    for (const [B, M, K, N] of dims) {
      for (const [ta, tb, bcast] of [[false, false, false], [true, false, false], [false, true, false], [true, true, true]] as const) {
        const aStore = rand(B * M * K, M * 7 + K), bStore = rand((bcast ? 1 : B) * K * N, N * 3 + K);
        const aSt = ta ? [M * K, 1, M] : [M * K, K, 1];
        const bSt = [bcast ? 0 : K * N, ...(tb ? [1, K] : [N, 1])];
        const a = put(fast, aStore, [B, M, K], aSt), b = put(fast, bStore, [B, K, N], bSt), o = out(fast, [B, M, N]);
        fast.matmul(a.view, b.view, o);
        const want: number[] = [], tol: number[] = [];
        for (let bi = 0; bi < B; bi++) for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
          let s = 0, mag = 0;
          for (let k = 0; k < K; k++) {
            const p = a.values[(bi * M + i) * K + k]! * b.values[(bi * K + k) * N + j]!;
            s += p; mag += Math.abs(p);
          }
          want.push(s); tol.push(mag);
        }
        const got = read(fast, o);
        for (let i = 0; i < want.length; i++) {
          if (!(Math.abs(got[i]! - want[i]!) <= 1e-6 * (tol[i]! + 1))) {
            throw new Error(`matmul B=${B} M=${M} K=${K} N=${N} ta=${ta} tb=${tb}: element ${i} got ${got[i]} want ${want[i]}`);
          }
        }
      }
    }
    expect(calls.gemm).toBeGreaterThan(0);
  });

  // Operand layouts for [batch, rows, cols]: strides and element offset into a storage of `len`.
  type Layout = 'row' | 'col' | 'padded' | 'strided' | 'bcast';
  const layout = (kind: Layout, B: number, R: number, C: number): { st: number[]; off: number; len: number } => {
    const st = kind === 'row' ? [R * C, C, 1] : kind === 'col' ? [R * C, 1, R]
      : kind === 'padded' ? [R * (C + 3), C + 3, 1] // a window of a wider row-major matrix
        : kind === 'strided' ? [2 * R * C, 2 * C, 2] // every other column
          : [0, C, 1]; // one matrix broadcast over the batch
    const off = kind === 'padded' ? 2 : 0;
    return { st, off, len: off + st.reduce((acc, v, d) => acc + v * ([B, R, C][d]! - 1), 0) + 1 };
  };

  /** fast.matmul of A [B,M,K] and B [B,K,N] laid out as asked, checked against float64 sums. */
  const checkMatmul = (fast: WasmBackend, B: number, M: number, K: number, N: number, la: Layout, lb: Layout): void => {
    const A = layout(la, B, M, K), Bl = layout(lb, B, K, N);
    const a = put(fast, rand(A.len, M * 31 + K), [B, M, K], A.st, A.off);
    const b = put(fast, rand(Bl.len, N * 17 + K + 5), [B, K, N], Bl.st, Bl.off);
    const o = out(fast, [B, M, N]);
    fast.fill(o, 123); // stale output must not leak into the product
    fast.matmul(a.view, b.view, o);
    const got = read(fast, o);
    for (let bi = 0; bi < B; bi++) for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      let s = 0, mag = 0;
      for (let k = 0; k < K; k++) {
        const p = a.values[(bi * M + i) * K + k]! * b.values[(bi * K + k) * N + j]!;
        s += p; mag += Math.abs(p);
      }
      const g = got[(bi * M + i) * N + j]!;
      if (!(Math.abs(g - s) <= 1e-6 * (mag + 1))) {
        throw new Error(`matmul B=${B} M=${M} K=${K} N=${N} A ${la} B ${lb}: C[${bi},${i},${j}] got ${g} want ${s}`);
      }
    }
    for (const v of [a.view, b.view, o]) fast.free(v.buf);
  };

  it('matmul: every M, N, K in {1,3,5,7,9,17,33,65} with row-major, transposed, padded and strided operands', () => {
    const { fast, calls } = fresh();
    const S = [1, 3, 5, 7, 9, 17, 33, 65];
    const pairs: [Layout, Layout][] = [['row', 'row'], ['col', 'col'], ['padded', 'strided'], ['strided', 'col'], ['row', 'col']];
    for (const M of S) for (const K of S) for (const N of S) for (const [la, lb] of pairs) checkMatmul(fast, 1, M, K, N, la, lb);
    expect(calls.gemm).toBe(S.length ** 3 * pairs.length);
  });

  it('matmul: K past the 512-deep blocking (C accumulated over passes), wide N, batches', () => {
    const { fast, calls } = fresh();
    const cases: [number, number, number, number, Layout, Layout][] = [
      [1, 9, 513, 17, 'row', 'row'], [1, 5, 1031, 33, 'col', 'col'], [1, 67, 1100, 9, 'row', 'col'],
      [2, 7, 600, 1037, 'padded', 'bcast'], [3, 66, 515, 12, 'strided', 'row'], [1, 70, 1027, 1030, 'row', 'row'],
    ];
    for (const [B, M, K, N, la, lb] of cases) checkMatmul(fast, B, M, K, N, la, lb);
    expect(calls.gemm).toBe(cases.length);
  });

  it('matmul with K = 0 gives zeros', () => {
    const { fast } = fresh();
    const a = put(fast, new Float32Array(1), [1, 3, 0], [0, 0, 1]), b = put(fast, new Float32Array(1), [1, 0, 2], [0, 2, 1]);
    const o = out(fast, [1, 3, 2]);
    fast.fill(o, 7);
    fast.matmul(a.view, b.view, o);
    expectBits(read(fast, o), [0, 0, 0, 0, 0, 0], 'matmul K=0');
  });
});

describe.each(variants)('SIMD im2col / col2im (%s)', (variant: SimdVariant) => {
  it('im2col and col2im match the reference kernels for padding, stride, dilation, strided input and -inf padding', () => {
    const fast = new WasmBackend(), ref = new WasmBackend();
    fast.useKernels(variant); ref.useKernels('reference');
    const calls = spy(fast);
    const geoms: [number, number, number, number, number, number, number, number, number][] = [
      // kh kw sh sw ph pw dh dw pad
      [3, 3, 1, 1, 1, 1, 1, 1, 0], [2, 2, 2, 2, 0, 0, 1, 1, -Infinity], [3, 1, 2, 1, 2, 0, 1, 1, 0],
      [3, 3, 3, 2, 1, 2, 2, 1, 0], [1, 5, 1, 3, 0, 4, 1, 2, -Infinity], [5, 5, 1, 1, 0, 0, 1, 1, 0],
    ];
    for (const [kh, kw, sh, sw, ph, pw, dh, dw, padValue] of geoms) for (const [H, W] of [[7, 7], [5, 17], [9, 3]] as const) {
      const OH = Math.floor((H + 2 * ph - dh * (kh - 1) - 1) / sh) + 1, OW = Math.floor((W + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
      if (OH <= 0 || OW <= 0) continue;
      const N = 2, C = 3;
      const store = rand(N * C * H * W, H * 13 + W);
      for (const strides of [contiguous([N, C, H, W]), [C * H * W, H * W, 1, H]] /* 2nd: each plane stored transposed */) {
        const res = [fast, ref].map((be) => {
          const xShape = [N, C, H, W];
          const x = put(be, store, xShape, strides);
          const o = out(be, [N, C * kh * kw, OH * OW]);
          be.im2col(x.view, o, { kernel: [kh, kw], stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw], padValue });
          return read(be, o);
        });
        expectBits(res[0]!, res[1]!, `im2col k=${kh}x${kw} s=${sh},${sw} p=${ph},${pw} d=${dh},${dw} H=${H} W=${W}`);
      }
      // col2im (sums overlaps; float32 sums in a different order than the reference: compare closely).
      const L = OH * OW, R = C * kh * kw;
      const cstore = rand(N * R * L, L + R);
      for (const cst of [contiguous([N, R, L]), [R * L, 1, R]] /* 2nd: cols stored transposed */) {
        const res = [fast, ref].map((be) => {
          const cv = put(be, cstore, [N, R, L], cst);
          const o = out(be, [N, C, H, W]);
          be.fill(o, 9);
          be.col2im(cv.view, o, { kernel: [kh, kw], stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw], padValue: 0 });
          return read(be, o);
        });
        expectClose(res[0]!, res[1]!, 1e-6, 1e-6, `col2im k=${kh}x${kw} s=${sh},${sw} p=${ph},${pw} d=${dh},${dw} H=${H} W=${W}`);
      }
    }
    expect(calls.im2col).toBeGreaterThan(0);
    expect(calls.col2im).toBeGreaterThan(0);
  });
});

describe.each(variants)('SIMD max pooling (%s)', (variant: SimdVariant) => {
  it('maxPool2d matches the reference kernel: padding, stride, dilation, overhang, strided input, NaN and -inf', () => {
    const fast = new WasmBackend(), ref = new WasmBackend();
    fast.useKernels(variant); ref.useKernels('reference');
    const calls = spy(fast);
    const geoms: [number, number, number, number, number, number, number, number][] = [
      // kh kw sh sw ph pw dh dw
      [2, 2, 2, 2, 0, 0, 1, 1], [3, 3, 1, 1, 1, 1, 1, 1], [3, 3, 2, 2, 1, 1, 1, 1], [1, 2, 1, 1, 0, 0, 1, 1],
      [2, 3, 1, 3, 1, 1, 2, 1], [3, 2, 2, 1, 0, 1, 1, 3], [2, 2, 3, 3, 1, 0, 1, 1],
    ];
    for (const [kh, kw, sh, sw, ph, pw, dh, dw] of geoms) for (const [H, W] of [[7, 7], [5, 17], [4, 36], [9, 3], [6, 24]] as const) {
      const OH0 = Math.floor((H + 2 * ph - dh * (kh - 1) - 1) / sh) + 1, OW0 = Math.floor((W + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
      if (OH0 <= 0 || OW0 <= 0) continue;
      const N = 2, C = 3;
      const store = rand(N * C * H * W, H * 7 + W);
      // Non-finite values and ties: NaN (several per window), -inf runs, repeated values.
      for (let i = 0; i < store.length; i += 5) store[i] = i % 3 === 0 ? NaN : i % 3 === 1 ? -Infinity : store[i + 1] ?? 0;
      // Ceil mode's extra last window (PyTorch adds it where it starts inside the input) overhangs it.
      for (const [OH, OW] of [[OH0, OW0], [OH0 + (OH0 * sh - ph < H ? 1 : 0), OW0 + (OW0 * sw - pw < W ? 1 : 0)]]) {
        for (const strides of [contiguous([N, C, H, W]), [C * H * W, H * W, 1, H]] /* 2nd: each plane stored transposed */) {
          const res = [fast, ref].map((be) => {
            const x = put(be, store, [N, C, H, W], strides);
            const o = out(be, [N, C, OH!, OW!]), i = out(be, [N, C, OH!, OW!], 'int32');
            be.maxPool2d(x.view, o, i, { kernel: [kh, kw], stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw], padValue: 0 });
            return [read(be, o), read(be, i)];
          });
          const what = `maxPool2d k=${kh}x${kw} s=${sh},${sw} p=${ph},${pw} d=${dh},${dw} H=${H} W=${W} out=${OH}x${OW}`;
          expectBits(res[0]![0]!, res[1]![0]!, what);
          expectBits(res[0]![1]!, res[1]![1]!, `${what} indices`);
        }
      }
    }
    expect(calls.maxPool2d).toBeGreaterThan(0);
  });

  it('maxPool2dBackward matches the reference kernel bit for bit: overlapping windows (sums in output order), strided gradient, ceil-mode overhang', () => {
    const fast = new WasmBackend(), ref = new WasmBackend();
    fast.useKernels(variant); ref.useKernels('reference');
    const calls = spy(fast);
    const geoms: [number, number, number, number, number, number, number, number][] = [
      // kh kw sh sw ph pw dh dw: non-overlapping, overlapping (a cell is the maximum of up to 9 windows), dilated
      [2, 2, 2, 2, 0, 0, 1, 1], [3, 3, 1, 1, 1, 1, 1, 1], [3, 3, 2, 2, 1, 1, 1, 1], [2, 3, 1, 3, 1, 1, 2, 1],
    ];
    for (const [kh, kw, sh, sw, ph, pw, dh, dw] of geoms) for (const [H, W] of [[7, 7], [5, 17], [9, 3]] as const) {
      const OH0 = Math.floor((H + 2 * ph - dh * (kh - 1) - 1) / sh) + 1, OW0 = Math.floor((W + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
      const N = 2, C = 3, geom: ConvGeometry = { kernel: [kh, kw], stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw], padValue: 0 };
      // Few distinct values, so a plateau makes one cell the maximum of many overlapping windows.
      const store = rand(N * C * H * W, H * 5 + W).map((v) => Math.round(v * 2));
      for (const [OH, OW] of [[OH0, OW0], [OH0 + (OH0 * sh - ph < H ? 1 : 0), OW0 + (OW0 * sw - pw < W ? 1 : 0)]] as const) {
        const gstore = rand(N * C * OH * OW, OH * 3 + OW);
        for (const gst of [contiguous([N, C, OH, OW]), [C * OH * OW, OH * OW, 1, OH]] /* 2nd: gradient planes transposed */) {
          const res = [fast, ref].map((be) => {
            const x = put(be, store, [N, C, H, W], contiguous([N, C, H, W]));
            const o = out(be, [N, C, OH, OW]), i = out(be, [N, C, OH, OW], 'int32');
            be.maxPool2d(x.view, o, i, geom);
            const gx = out(be, [N, C, H, W]);
            be.fill(gx, 7); // every cell is written, the ones no window selects with 0
            be.maxPool2dBackward(put(be, gstore, [N, C, OH, OW], gst).view, i, gx, geom);
            return read(be, gx);
          });
          expectBits(res[0]!, res[1]!, `maxPool2dBackward k=${kh}x${kw} s=${sh},${sw} p=${ph},${pw} d=${dh},${dw} H=${H} W=${W} out=${OH}x${OW}`);
          expect([...res[1]!].filter((v) => v === 0).length).toBeGreaterThan(0);
        }
      }
    }
    expect(calls.maxPool2dBackward).toBeGreaterThan(0);
  });
});

describe.each(variants)('conv2d through the SIMD GEMM (%s)', (variant: SimdVariant) => {
  // 3x3 at stride 1: the input and weight gradients are the Winograd kernels, and from 4 channels on
  // 12x12 outputs the forward too (no im2col); 2x2: im2col's adjoint col2im and the GEMM.
  it.each([[3, 'winogradConv', 3], [3, 'winogradConv', 4], [2, 'col2im', 3]] as const)('kernel %i, input gradient by %s, %i channels: forward, weight and input gradients vs float64 direct convolution', (R, dgrad, C) => {
    const be = getBackend('cpu') as WasmBackend;
    const saved = (be as unknown as { simd: SimdKernels | null }).simd, savedVariant = be.kernels;
    expect(be.useKernels(variant)).toBe(true);
    const calls = spy(be);
    try {
      const [N, H, W, O, P] = C === 3 ? [2, 9, 7, 5, 1] : [2, 12, 13, 5, 1]; // padding 1, stride 1
      const OH = H + 2 * P - R + 1, OW = W + 2 * P - R + 1;
      const xs = rand(N * C * H * W, 11), ws = rand(O * C * R * R, 12), gs = rand(N * O * OH * OW, 13);
      const x = torch.tensor(xs).reshape([N, C, H, W]).requiresGrad_(true);
      const w = torch.tensor(ws).reshape([O, C, R, R]).requiresGrad_(true);
      const y = torch.nn.functional.conv2d(x, w, null, { padding: P });
      y.mul(torch.tensor(gs).reshape([N, O, OH, OW])).sum().backward();
      const X = (n: number, c: number, u: number, v: number): number => (u < 0 || u >= H || v < 0 || v >= W ? 0 : xs[((n * C + c) * H + u) * W + v]!);
      const wantY = new Array<number>(N * O * OH * OW).fill(0), wantGw = new Array<number>(O * C * R * R).fill(0);
      const wantGx = new Array<number>(N * C * H * W).fill(0);
      for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) for (let u = 0; u < OH; u++) for (let v = 0; v < OW; v++) {
        const yi = ((n * O + o) * OH + u) * OW + v;
        for (let c = 0; c < C; c++) for (let i = 0; i < R; i++) for (let j = 0; j < R; j++) {
          const wi = ((o * C + c) * R + i) * R + j, xv = X(n, c, u + i - P, v + j - P);
          wantY[yi] += ws[wi]! * xv;
          wantGw[wi] += gs[yi]! * xv;
          const xu = u + i - P, xw = v + j - P;
          if (xu >= 0 && xu < H && xw >= 0 && xw < W) wantGx[((n * C + c) * H + xu) * W + xw] += gs[yi]! * ws[wi]!;
        }
      }
      expectClose(Array.from(y.dataSync()), wantY, 1e-5, 1e-5, 'conv2d forward');
      expectClose(Array.from(w.grad!.dataSync()), wantGw, 1e-5, 1e-5, 'conv2d weight grad');
      expectClose(Array.from(x.grad!.dataSync()), wantGx, 1e-5, 1e-5, 'conv2d input grad');
      if (C === 4) expect(calls.im2col ?? 0).toBe(0); // Winograd forward: no column matrix at all
      else expect(calls.im2col).toBeGreaterThan(0);
      expect(calls[dgrad]).toBeGreaterThan(0);
      expect(calls[dgrad === 'col2im' ? 'winogradConv' : 'col2im'] ?? 0).toBe(0);
      expect(calls.winogradWgrad ?? 0).toBe(R === 3 ? 1 : 0);
      expect(calls.gemm).toBeGreaterThanOrEqual(2); // forward and the Winograd output transform, or weight grad (and input grad through col2im)
    } finally {
      (be as unknown as { simd: SimdKernels | null }).simd = saved;
      expect(be.kernels).toBe(savedVariant);
    }
  });

  it('winogradConv vs float64 direct convolution: paddings 0-2, odd sizes, strided input, more images than one call holds', () => {
    const be = new WasmBackend(), ref = new WasmBackend();
    be.useKernels(variant); ref.useKernels('reference');
    const calls = spy(be);
    for (const [N, C, K, H, W, ph, pw] of [[2, 3, 4, 5, 5, 1, 1], [3, 2, 5, 9, 14, 0, 2], [1, 4, 3, 3, 17, 2, 0], [70, 3, 2, 6, 7, 1, 1], [2, 40, 33, 12, 10, 1, 1]] as const) {
      const OH = H + 2 * ph - 2, OW = W + 2 * pw - 2;
      const xs = rand(N * C * H * W, H + 3 * W), ws = rand(K * C * 9, C + K);
      // u = G w G^T [16, K, C] in float64, rounded to float32 as the op layer's float32 matmuls nearly do.
      const G = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]];
      const us = new Float32Array(16 * K * C);
      for (let k = 0; k < K; k++) for (let c = 0; c < C; c++) for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) {
        let s = 0;
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) s += G[a]![i]! * ws[((k * C + c) * 3 + i) * 3 + j]! * G[b]![j]!;
        us[((a * 4 + b) * K + k) * C + c] = s;
      }
      const want = new Array<number>(N * K * OH * OW).fill(0);
      for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
        let s = 0;
        for (let c = 0; c < C; c++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
          const y = oy + i - ph, x = ox + j - pw;
          if (y >= 0 && y < H && x >= 0 && x < W) s += xs[((n * C + c) * H + y) * W + x]! * ws[((k * C + c) * 3 + i) * 3 + j]!;
        }
        want[((n * K + k) * OH + oy) * OW + ox] = s;
      }
      // 2nd: each plane stored transposed (the same logical x).
      const xt = new Float32Array(xs.length);
      for (let p = 0; p < N * C; p++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) xt[p * H * W + x * H + y] = xs[p * H * W + y * W + x]!;
      for (const [store, st] of [[xs, contiguous([N, C, H, W])], [xt, [C * H * W, H * W, 1, H]]] as const) {
        const x = put(be, store, [N, C, H, W], [...st]), u = put(be, us, [4, 4, K, C]), o = out(be, [N, K, OH, OW]);
        be.fill(o, NaN); // every output cell is written
        be.winogradConv(x.view, u.view, o, [ph, pw]);
        expectClose(read(be, o), want, 2e-5, 2e-5, `winogradConv N=${N} C=${C} K=${K} ${H}x${W} pad ${ph},${pw}`);
      }
      // The reference kernel (src/backends/wasm/reference.ts), the same rule without SIMD.
      const rx = put(ref, xs, [N, C, H, W]), ru = put(ref, us, [4, 4, K, C]), ro = out(ref, [N, K, OH, OW]);
      ref.winogradConv(rx.view, ru.view, ro, [ph, pw]);
      expectClose(read(ref, ro), want, 2e-5, 2e-5, `reference winogradConv N=${N} C=${C} K=${K} ${H}x${W} pad ${ph},${pw}`);
    }
    expect(calls.winogradConv).toBeGreaterThan(0);
  });

  it('winogradWgrad vs float64 direct weight gradient: paddings 0-2, odd sizes, strided x and g, more images than one call holds', () => {
    const be = new WasmBackend(), ref = new WasmBackend();
    be.useKernels(variant); ref.useKernels('reference');
    const calls = spy(be);
    const G = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]];
    for (const [N, C, K, H, W, ph, pw] of [[2, 3, 4, 5, 5, 1, 1], [3, 2, 5, 9, 14, 0, 2], [1, 4, 3, 3, 17, 2, 0], [19, 3, 2, 6, 7, 1, 1], [2, 40, 33, 12, 10, 1, 1]] as const) {
      const OH = H + 2 * ph - 2, OW = W + 2 * pw - 2;
      const xs = rand(N * C * H * W, H + 5 * W), gs = rand(N * K * OH * OW, K + 7 * C);
      const want = new Array<number>(K * C * 9).fill(0);
      for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
        const gv = gs[((n * K + k) * OH + oy) * OW + ox]!;
        for (let c = 0; c < C; c++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
          const y = oy + i - ph, x = ox + j - pw;
          if (y >= 0 && y < H && x >= 0 && x < W) want[((k * C + c) * 3 + i) * 3 + j] += gv * xs[((n * C + c) * H + y) * W + x]!;
        }
      }
      // The kernels give m [16, K, C]; the weight gradient is G^T m G (in float64 here).
      const grad = (m: number[]) => {
        const r = new Array<number>(K * C * 9).fill(0);
        for (let k = 0; k < K; k++) for (let c = 0; c < C; c++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
          let s = 0;
          for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) s += G[a]![i]! * m[((a * 4 + b) * K + k) * C + c]! * G[b]![j]!;
          r[((k * C + c) * 3 + i) * 3 + j] = s;
        }
        return r;
      };
      // 2nd: every plane of x and of g stored transposed (the same logical tensors).
      const tr = (s: Float32Array, P: number, R: number, Q: number) => {
        const t = new Float32Array(s.length);
        for (let p = 0; p < P; p++) for (let y = 0; y < R; y++) for (let x = 0; x < Q; x++) t[p * R * Q + x * R + y] = s[p * R * Q + y * Q + x]!;
        return t;
      };
      const layouts = [[xs, contiguous([N, C, H, W]), gs, contiguous([N, K, OH, OW])],
        [tr(xs, N * C, H, W), [C * H * W, H * W, 1, H], tr(gs, N * K, OH, OW), [K * OH * OW, OH * OW, 1, OH]]] as const;
      for (const [xsto, xst, gsto, gst] of layouts) {
        const x = put(be, xsto, [N, C, H, W], [...xst]), g = put(be, gsto, [N, K, OH, OW], [...gst]), m = out(be, [16, K, C]);
        be.fill(m, NaN); // every cell is written
        be.winogradWgrad(x.view, g.view, m, [ph, pw]);
        expectClose(grad(read(be, m)), want, 1e-4, 1e-4, `winogradWgrad N=${N} C=${C} K=${K} ${H}x${W} pad ${ph},${pw}`);
      }
      const rx = put(ref, xs, [N, C, H, W]), rg = put(ref, gs, [N, K, OH, OW]), rm = out(ref, [16, K, C]);
      ref.winogradWgrad(rx.view, rg.view, rm, [ph, pw]);
      expectClose(grad(read(ref, rm)), want, 1e-4, 1e-4, `reference winogradWgrad N=${N} C=${C} K=${K} ${H}x${W} pad ${ph},${pw}`);
    }
    expect(calls.winogradWgrad).toBeGreaterThan(0);
  });
});
