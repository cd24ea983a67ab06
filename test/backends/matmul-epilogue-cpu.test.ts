// The CPU backend's matmul epilogue (Backend.matmulEpilogue) against its definition, matmul into a
// temporary then the program composed from primitives, bit for bit: the addend summed inside the
// SIMD GEMM (a Linear's bias, a whole [B,M,N] addend), and any other elementwise program generated
// and run by the GEMM on each finished block (wasm/gemm.ts gemmEpilogue): bias + ReLU/GELU, several
// outputs, in place, strided views; batched and transposed operands, edge tiles, K over one K block,
// products cut across 1, 2 and 3 threads; and what it must decline (false, nothing written).

import { afterAll, describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import { getBackend } from '../../src/backends/registry.js';
import type { WasmBackend } from '../../src/backends/wasm/index.js';
import type { View } from '../../src/backends/backend.js';
import { runComposed, type FusedProgram } from '../../src/backends/fused.js';
import { contiguousStrides, numel } from '../../src/shape.js';

const cpu = getBackend('cpu') as WasmBackend;
const before = torch.getNumThreads();
afterAll(() => torch.setNumThreads(before));

let seed = 7;
function rand(n: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) { seed = (seed * 1103515245 + 12345) % 2147483648; v[i] = (seed / 2147483648) * 4 - 2; }
  return v;
}
/** A float32 view over fresh memory holding `data` (default random), shaped by `strides` within `span` elements. */
function view(shape: number[], strides = contiguousStrides(shape), span = numel(shape), data?: Float32Array): View {
  const buf = cpu.alloc(Math.max(span, 1) * 4);
  cpu.write(buf, data ?? rand(span));
  return { buf, dtype: 'float32', shape, strides, offset: 0 };
}
const out = (shape: number[]) => view(shape, undefined, undefined, new Float32Array(numel(shape)).fill(-7));
/** A view's bytes, element by element (float32 compared bit for bit, bool masks byte for byte). */
const bits = (v: View) => new Uint8Array((cpu.readSync!(v) as Float32Array).slice().buffer);
/** The first byte where two views differ, or -1 (large outputs: a whole-array toEqual is slow). */
function firstDiff(x: View, y: View): number {
  const p = bits(x), q = bits(y);
  if (p.length !== q.length) return 0;
  for (let i = 0; i < p.length; i++) if (p[i] !== q[i]) return i;
  return -1;
}

const ADD: FusedProgram = { inputs: ['float32', 'float32'], steps: [{ kind: 'binary', op: 'add', a: 0, b: 1, dtype: 'float32' }], outputs: [2] };
const ADD_REV: FusedProgram = { ...ADD, steps: [{ kind: 'binary', op: 'add', a: 1, b: 0, dtype: 'float32' }] };

const f32 = 'float32' as const;
/** bias + ReLU (a Linear's forward in a transformer's feed-forward). */
const ADD_RELU: FusedProgram = { inputs: [f32, f32], steps: [...ADD.steps, { kind: 'unary', op: 'relu', a: 2, dtype: f32 }], outputs: [3] };
/** bias + exact GELU, 0.5 * y * (1 + erf(y / sqrt 2)), keeping y too (saved for backward). */
const ADD_GELU: FusedProgram = { inputs: [f32, f32], steps: [...ADD.steps,
  { kind: 'const', value: Math.SQRT1_2, dtype: f32 }, { kind: 'binary', op: 'mul', a: 2, b: 3, dtype: f32 },
  { kind: 'unary', op: 'erf', a: 4, dtype: f32 }, { kind: 'const', value: 1, dtype: f32 }, { kind: 'binary', op: 'add', a: 5, b: 6, dtype: f32 },
  { kind: 'binary', op: 'mul', a: 2, b: 7, dtype: f32 }, { kind: 'const', value: 0.5, dtype: f32 }, { kind: 'binary', op: 'mul', a: 8, b: 9, dtype: f32 }],
  outputs: [10, 2] };
/** ReLU's backward on a product (the gradient g @ W masked by the saved activation > 0): a bool mask too. */
const RELU_BWD: FusedProgram = { inputs: [f32, f32], steps: [{ kind: 'const', value: 0, dtype: f32 },
  { kind: 'binary', op: 'gt', a: 1, b: 2, dtype: 'bool' }, { kind: 'cast', a: 3, dtype: f32 }, { kind: 'binary', op: 'mul', a: 0, b: 4, dtype: f32 }],
  outputs: [5, 3] };

/** matmulEpilogue(a, b, p, ins) against matmul into a temporary, then runComposed; outputs of the program's dtypes. */
function check(a: View, b: View, ins: View | View[], p = ADD, outViews?: (shape: number[]) => View[]): void {
  const [B, M] = a.shape as [number, number], N = b.shape[2]!, shape = [B, M, N];
  const dts = p.outputs.map((v) => (v < p.inputs.length ? p.inputs[v]! : p.steps[v - p.inputs.length]!.dtype));
  const mk = () => outViews ? outViews(shape) : dts.map((dt) => dt === 'float32' ? out(shape) : { ...out(shape), dtype: dt } as View);
  const inputs = Array.isArray(ins) ? ins : [ins];
  const got = mk(), prod = out(shape), want = mk();
  expect(cpu.matmulEpilogue(a, b, p, inputs, got)).toBe(true);
  cpu.matmul(a, b, prod);
  runComposed(cpu, p, [prod, ...inputs], want);
  got.forEach((g, i) => expect(firstDiff(g, want[i]!), `output ${i}, [${shape}]`).toBe(-1));
}

describe('CPU matmul epilogue', () => {
  for (const threads of [1, 2, 3]) {
    it(`equals matmul then the program, bit for bit, on ${threads} thread(s)`, async () => {
      torch.setNumThreads(threads);
      if (threads > 1) await cpu.threadPool()?.whenReady(threads - 1);
      // [B,M,K,N]: tiny, edge tiles (M % 4, N % 8), K over the 512-wide K block, large enough to be cut
      // (across rows, columns and batches), N past the GEMM's 1024-column block.
      for (const [B, M, K, N] of [[1, 3, 5, 7], [1, 37, 600, 45], [1, 256, 512, 512], [3, 21, 70, 130], [1, 300, 64, 1], [8, 64, 32, 64], [1, 70, 16, 1100]] as const) {
        const a = view([B, M, K]), b = view([B, K, N]), bias = () => view([B, M, N], [0, 0, 1], N);
        check(a, b, bias());                                   // a Linear's bias (inside the micro-kernel)
        check(a, b, view([B, M, N]), ADD_REV);                 // a whole addend (a gradient sum), operands swapped
        check(a, b, view([B, M, N], [M * (N + 3), N + 3, 1], B * M * (N + 3))); // padded rows
        // Transposed a and b (a Linear's weight arrives as b = W.t()), broadcast batch of b.
        const at = view([B, M, K], [M * K, 1, M]), bt = view([B, K, N], [0, 1, K], K * N);
        check(at, bt, bias());
        // Generated programs, run on each finished block.
        check(at, bt, bias(), ADD_RELU);
        check(a, b, bias(), ADD_GELU);
        check(a, bt, view([B, M, N]), RELU_BWD);
        check(a, b, view([B, M, N], [0, 1, 0], M), ADD_RELU);  // a per-row addend (a column broadcast)
        check(a, b, view([B, M, N], [M * N, 1, M]), ADD);     // addend columns strided (a transposed view)
      }
    });
  }

  it('runs in place, and into outputs not laid out as the product', () => {
    const a = view([2, 9, 16]), b = view([2, 16, 11]);
    const acc = view([2, 9, 11]);
    const prod = out([2, 9, 11]), want = out([2, 9, 11]);
    cpu.matmul(a, b, prod);
    runComposed(cpu, ADD, [prod, acc], [want]);
    expect(cpu.matmulEpilogue(a, b, ADD, [acc], [acc])).toBe(true); // acc += a @ b (the addend is the output)
    expect(firstDiff(acc, want)).toBe(-1);
    check(a, b, view([2, 9, 11], [0, 0, 1], 11), ADD_RELU, (shape) => [view(shape, [99, 1, 9], 198)]); // transposed output
  });

  it('declines what it does not run, writing nothing', () => {
    const a = view([1, 8, 16]), b = view([1, 16, 8]), o = out([1, 8, 8]);
    const before = bits(o);
    const sum: FusedProgram = { ...ADD, reduce: { op: 'sum', nReduce: 1 } };
    expect(cpu.matmulEpilogue(a, b, sum, [view([1, 8, 8])], [view([1, 8])])).toBe(false);   // a reduction program
    expect(cpu.matmulEpilogue({ ...a, dtype: 'int32' }, b, ADD, [view([1, 8, 8])], [o])).toBe(false); // not float32
    expect(cpu.matmulEpilogue(a, b, ADD, [view([1, 8, 8])], [o, o])).toBe(false);           // outputs not the program's
    expect(cpu.matmulEpilogue(a, b, ADD, [view([1, 8, 8], [0, 0, 0])], [view([1, 8, 8], [0, 1, 0], 8)])).toBe(false); // an output written twice
    expect(bits(o)).toEqual(before);
  });
});
