// Benchmark of torchlet's CPU backend against @tensorflow/tfjs-backend-wasm (XNNPACK), both
// single-threaded in the same process: matmul GFLOPS at a few sizes and the per-op overhead of a
// 1-element add. Run with `npm run bench` (Node needs --experimental-wasm-relaxed-simd for the FMA build).
// Figures are warm-up + median of several timed runs; results are printed, bench/README.md records them.

import * as tf from '@tensorflow/tfjs-core';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as torch from '../src/index.js';
import { getBackend } from '../src/backends/registry.js';
import type { WasmBackend } from '../src/backends/wasm/index.js';
import { availableVariants, type SimdVariant } from '../src/backends/wasm/simd.js';

const SIZES: [number, number, number][] = [[256, 256, 256], [512, 512, 512], [1024, 1024, 1024], [4096, 256, 256]];

/** Median milliseconds of fn over `runs` timed calls after `warm` untimed ones. */
function median(fn: () => void, warm: number, runs: number): number {
  for (let i = 0; i < warm; i++) fn();
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) { const t0 = performance.now(); fn(); ts.push(performance.now() - t0); }
  return mid(ts);
}

function mid(ts: number[]): number { return [...ts].sort((a, b) => a - b)[ts.length >> 1]!; }

/**
 * Medians of several contenders timed round-robin (A, B, C, A, B, C...), so load from other
 * processes on a shared machine hits all of them alike.
 */
function medians(fns: (() => void)[], warm: number, runs: number): number[] {
  for (let i = 0; i < warm; i++) for (const f of fns) f();
  const ts = fns.map((): number[] => []);
  for (let i = 0; i < runs; i++) {
    fns.forEach((f, j) => { const t0 = performance.now(); f(); ts[j]!.push(performance.now() - t0); });
  }
  return ts.map(mid);
}

/** Runs enough calls per timed sample that one sample lasts about `ms` (for tiny ops). */
function perCallMicros(fn: () => void, ms = 20, samples = 9): number {
  let n = 1;
  for (;;) { const t0 = performance.now(); for (let i = 0; i < n; i++) fn(); if (performance.now() - t0 > ms) break; n *= 2; }
  return median(() => { for (let i = 0; i < n; i++) fn(); }, 1, samples) * 1000 / n;
}

async function main(): Promise<void> {
  await torch.init();
  const cpu = getBackend('cpu') as WasmBackend;

  const require = createRequire(import.meta.url);
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  setWasmPaths(wasmDir + '/');
  setThreadsCount(1);
  await tf.setBackend('wasm');
  await tf.ready();

  // Every SIMD build this runtime can run, best first; the first is what torchlet uses by default.
  const variants: (SimdVariant | 'reference')[] = availableVariants().length ? availableVariants() : ['reference'];
  const best = cpu.kernels;
  console.log(`node ${process.version}; torchlet CPU kernels: ${best} (timed: ${variants.join(', ')}); tfjs ${tf.version_core} backend '${tf.getBackend()}', 1 thread`);
  console.log(`matmul GFLOPS (median)  ${variants.map((v) => `torchlet-${v}`.padStart(18)).join('')}   tfjs-wasm   ratio (${best}/tfjs)`);
  for (const [M, K, N] of SIZES) {
    const flop = 2 * M * N * K;
    const runs = flop > 1e9 ? 11 : 25;
    const a = torch.randn([M, K]), b = torch.randn([K, N]);
    const ta = tf.randomNormal([M, K]), tb = tf.randomNormal([K, N]);
    const torchRun = (v: SimdVariant | 'reference') => (): void => { cpu.useKernels(v); torch.matmul(a, b).dispose(); };
    const ms = torch.noGrad(() => medians([...variants.map(torchRun), () => { tf.matMul(ta, tb).dispose(); }], 3, runs));
    cpu.useKernels(best);
    a.dispose(); b.dispose(); ta.dispose(); tb.dispose();
    const g = ms.map((t) => flop / t / 1e6), tfg = g[g.length - 1]!;
    console.log(`${`${M}x${K}x${N}`.padEnd(22)} ${g.slice(0, -1).map((x) => x.toFixed(1).padStart(18)).join('')} ${tfg.toFixed(1).padStart(11)}   ${(g[0]! / tfg).toFixed(2).padStart(5)}x`);
  }

  const x = torch.tensor([1]), y = torch.tensor([2]);
  const us = torch.noGrad(() => perCallMicros(() => { torch.add(x, y).dispose(); }));
  const fx = tf.tensor1d([1]), fy = tf.tensor1d([2]);
  const fus = perCallMicros(() => { tf.add(fx, fy).dispose(); });
  console.log(`1-element add overhead: torchlet ${us.toFixed(2)} us/op, tfjs-wasm ${fus.toFixed(2)} us/op`);
}

await main();
