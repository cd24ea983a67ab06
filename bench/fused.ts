// Micro benchmark of the CPU backend's generated fused kernels (Backend.fused, src/backends/wasm/fusedrun.ts):
// a GELU-like chain (tanh form, with a bias add: 14 steps) over 1M float32, run fused vs as the composed
// chain of primitive kernels (runComposed), on 1 thread and on torch.getNumThreads() threads; and a
// fused reduction, layer norm's variance (mean of (x - mean)^2 over rows, mean a [rows, 1] input) on
// [4096, 512], fused vs composed (two temporaries, then the backend's reduce).
// Run: `npm run bench -- --fused` or node --import tsx bench/fused.ts [--n 1048576]. Median wall ms of 21 runs.

import * as torch from '../src/index.js';
import { getBackend } from '../src/backends/registry.js';
import type { View } from '../src/backends/backend.js';
import { runComposed, type FusedProgram } from '../src/backends/fused.js';
import type { WasmBackend } from '../src/backends/wasm/index.js';

/** gelu(x + bias) = 0.5 (x+b) (1 + tanh(sqrt(2/pi) ((x+b) + 0.044715 (x+b)^3))), bias broadcast over rows. */
export const GELU: FusedProgram = { inputs: ['float32', 'float32'], steps: [
  { kind: 'binary', op: 'add', a: 0, b: 1, dtype: 'float32' }, // 2
  { kind: 'binary', op: 'mul', a: 2, b: 2, dtype: 'float32' }, // 3
  { kind: 'binary', op: 'mul', a: 3, b: 2, dtype: 'float32' }, // 4
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
], outputs: [15] };

function median(f: () => void, warm = 5, runs = 21): number {
  for (let i = 0; i < warm; i++) f();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) { const t0 = performance.now(); f(); t.push(performance.now() - t0); }
  return t.sort((a, b) => a - b)[runs >> 1]!;
}

export async function benchFused(argv: string[]): Promise<void> {
  const nAt = argv.indexOf('--n'), n = nAt >= 0 ? Number(argv[nAt + 1]) : 1 << 20;
  const cols = 1024, rows = Math.ceil(n / cols);
  const b = getBackend('cpu') as WasmBackend;
  const x = b.alloc(4 * rows * cols), bias = b.alloc(4 * cols), o1 = b.alloc(4 * rows * cols), o2 = b.alloc(4 * rows * cols);
  b.write(x, Float32Array.from({ length: rows * cols }, (_, i) => 4 * Math.sin(i * 12.9898)));
  b.write(bias, Float32Array.from({ length: cols }, (_, i) => Math.cos(i)));
  const v = (buf: typeof x, strides = [cols, 1]): View => ({ buf, dtype: 'float32', shape: [rows, cols], strides, offset: 0 });
  const ins = [v(x), v(bias, [0, 1])];
  const threads = torch.getNumThreads();
  console.log(`fused GELU chain (14 steps) over [${rows}, ${cols}] float32, kernels ${b.kernels}; median wall ms`);
  for (const t of [...new Set([1, threads])]) {
    torch.setNumThreads(t);
    if (t > 1) await b.threadPool()?.whenReady(t - 1);
    const composed = median(() => runComposed(b, GELU, ins, [v(o2)]));
    const fused = median(() => { if (!b.fused(GELU, ins, [v(o1)])) throw new Error('fused declined'); });
    const w1 = new Uint32Array(b.readSync(v(o1)).buffer), w2 = new Uint32Array(b.readSync(v(o2)).buffer);
    const same = w1.every((w, i) => w === w2[i]);
    console.log(`  ${t} thread(s): composed ${composed.toFixed(2)}  fused ${fused.toFixed(2)}  speed-up ${(composed / fused).toFixed(2)}x  bit-identical ${same}`);
  }
  for (const buf of [x, bias, o1, o2]) b.free(buf);
  await benchVariance(b, threads);
}

/** mean over the last dim of (x - m)^2, m a per-row input: sum of (x - m) * (x - m) * (1/cols). */
export function varianceProgram(cols: number): FusedProgram {
  return { inputs: ['float32', 'float32'], steps: [
    { kind: 'binary', op: 'sub', a: 0, b: 1, dtype: 'float32' }, // 2
    { kind: 'binary', op: 'mul', a: 2, b: 2, dtype: 'float32' }, // 3
    { kind: 'const', value: 1 / cols, dtype: 'float32' }, // 4
    { kind: 'binary', op: 'mul', a: 3, b: 4, dtype: 'float32' }, // 5
  ], outputs: [5], reduce: { op: 'sum', nReduce: 1 } };
}

async function benchVariance(b: WasmBackend, threads: number): Promise<void> {
  const rows = 4096, cols = 512, p = varianceProgram(cols);
  const x = b.alloc(4 * rows * cols), m = b.alloc(4 * rows), o1 = b.alloc(4 * rows), o2 = b.alloc(4 * rows);
  b.write(x, Float32Array.from({ length: rows * cols }, (_, i) => 4 * Math.sin(i * 12.9898)));
  b.write(m, Float32Array.from({ length: rows }, (_, i) => Math.cos(i)));
  const ins: View[] = [{ buf: x, dtype: 'float32', shape: [rows, cols], strides: [cols, 1], offset: 0 },
    { buf: m, dtype: 'float32', shape: [rows, cols], strides: [1, 0], offset: 0 }];
  const out = (buf: typeof x): View => ({ buf, dtype: 'float32', shape: [rows], strides: [1], offset: 0 });
  console.log(`fused layer-norm variance (mean of (x - m)^2, m per row) over [${rows}, ${cols}] float32; median wall ms`);
  for (const t of [...new Set([1, threads])]) {
    torch.setNumThreads(t);
    if (t > 1) await b.threadPool()?.whenReady(t - 1);
    const composed = median(() => runComposed(b, p, ins, [out(o2)]));
    const fused = median(() => { if (!b.fused(p, ins, [out(o1)])) throw new Error('fused declined'); });
    const w1 = new Uint32Array(b.readSync(out(o1)).buffer), w2 = new Uint32Array(b.readSync(out(o2)).buffer);
    const same = w1.every((w, i) => w === w2[i]);
    console.log(`  ${t} thread(s): composed ${composed.toFixed(2)}  fused ${fused.toFixed(2)}  speed-up ${(composed / fused).toFixed(2)}x  bit-identical ${same}`);
  }
  for (const buf of [x, m, o1, o2]) b.free(buf);
}

if (import.meta.url === `file://${process.argv[1]}`) await benchFused(process.argv.slice(2));
