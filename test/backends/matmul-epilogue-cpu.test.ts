// The CPU backend's matmul epilogue (Backend.matmulEpilogue: the addend summed inside the SIMD GEMM,
// wasm/gemm.ts) against its definition, matmul into a temporary then the program composed from
// primitives, bit for bit: a Linear's bias and a whole [B,M,N] addend, batched and transposed
// operands, edge tiles, K over one K block, products cut across 1, 2 and 3 threads; and the
// programs and views it must decline (false, nothing written).

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
const bits = (v: View) => Array.from(new Uint32Array((cpu.readSync!(v) as Float32Array).slice().buffer));

const ADD: FusedProgram = { inputs: ['float32', 'float32'], steps: [{ kind: 'binary', op: 'add', a: 0, b: 1, dtype: 'float32' }], outputs: [2] };
const ADD_REV: FusedProgram = { ...ADD, steps: [{ kind: 'binary', op: 'add', a: 1, b: 0, dtype: 'float32' }] };

/** matmulEpilogue(a, b, p, [d]) against matmul into a temporary, then runComposed. */
function check(a: View, b: View, d: View, p = ADD): void {
  const [B, M] = a.shape as [number, number], N = b.shape[2]!;
  const got = out([B, M, N]), prod = out([B, M, N]), want = out([B, M, N]);
  expect(cpu.matmulEpilogue(a, b, p, [d], [got])).toBe(true);
  cpu.matmul(a, b, prod);
  runComposed(cpu, p, [prod, d], [want]);
  expect(bits(got)).toEqual(bits(want));
}

describe('CPU matmul epilogue (bias add in the GEMM)', () => {
  for (const threads of [1, 2, 3]) {
    it(`equals matmul then add, bit for bit, on ${threads} thread(s)`, async () => {
      torch.setNumThreads(threads);
      if (threads > 1) await cpu.threadPool()?.whenReady(threads - 1);
      // [B,M,K,N]: tiny, edge tiles (M % 4, N % 8), K over the 512-wide K block, large enough to be cut.
      for (const [B, M, K, N] of [[1, 3, 5, 7], [1, 37, 600, 45], [1, 256, 512, 512], [3, 21, 70, 130], [1, 300, 64, 1]] as const) {
        const a = view([B, M, K]), b = view([B, K, N]);
        check(a, b, view([B, M, N], [0, 0, 1], N));           // a Linear's bias
        check(a, b, view([B, M, N]), ADD_REV);                 // a whole addend (a gradient sum), operands swapped
        check(a, b, view([B, M, N], [M * (N + 3), N + 3, 1], B * M * (N + 3))); // padded rows
        // Transposed a and b (a Linear's weight arrives as b = W.t()), broadcast batch of b.
        const at = view([B, M, K], [M * K, 1, M]), bt = view([B, K, N], [0, 1, K], K * N);
        check(at, bt, view([B, M, N], [0, 0, 1], N));
      }
    });
  }

  it('declines what it does not run, writing nothing', () => {
    const a = view([1, 8, 16]), b = view([1, 16, 8]), o = out([1, 8, 8]);
    const before = bits(o);
    const relu: FusedProgram = { inputs: ['float32', 'float32'], steps: [...ADD.steps, { kind: 'unary', op: 'relu', a: 2, dtype: 'float32' }], outputs: [3] };
    const mul: FusedProgram = { ...ADD, steps: [{ kind: 'binary', op: 'mul', a: 0, b: 1, dtype: 'float32' }] };
    expect(cpu.matmulEpilogue(a, b, relu, [view([1, 8, 8])], [o])).toBe(false);
    expect(cpu.matmulEpilogue(a, b, mul, [view([1, 8, 8])], [o])).toBe(false);
    expect(cpu.matmulEpilogue(a, b, ADD, [view([1, 8, 8], [64, 1, 8])], [o])).toBe(false); // addend columns strided
    expect(cpu.matmulEpilogue(a, b, ADD, [o], [o])).toBe(false);                             // addend is the output
    expect(cpu.matmulEpilogue(a, b, ADD, [view([1, 8, 8])], [view([1, 8, 8], [64, 1, 8])])).toBe(false); // output not contiguous
    expect(bits(o)).toEqual(before);
  });
});
