// Benchmark of torchlet's CPU backend against @tensorflow/tfjs-backend-wasm (XNNPACK), both
// single-threaded in the same process: matmul GFLOPS at a few sizes and the per-op overhead of a
// 1-element add, then the same 1024³ GEMM on 1 thread and on all threads (torch.getNumThreads()). Run with
// `npm run bench` (Node needs --experimental-wasm-relaxed-simd for the FMA build).
// `npm run bench -- --device webgpu [--sizes 256,512] [--steps N] [--chain N]` runs bench/webgpu.mjs instead;
// `npm run bench -- --memory [--device webgpu] [--model cnn|mlp] [--steps N]` runs bench/memory-loop.ts (no-tidy vs tidy loop);
// `npm run bench -- --train [--threads N] [--steps 25] [--model cnn|transformer|both]` runs bench/train-compare.ts (vs PyTorch CPU).
// `npm run bench -- --compile [--steps 15] [--device cpu|webgpu|both]` runs bench/compile.ts (torch.compile vs eager).
// `npm run bench -- --fused [--n 1048576]` runs bench/fused.ts (generated fused GELU kernel vs the composed chain);
// `npm run bench -- --distributed [--sizes 1,4,16,64] [--iters 5]` runs bench/distributed.ts (allReduce bus bandwidth vs PyTorch's gloo, DDP step);
// `npm run bench -- --checkpoint [--device webgpu] [--depth 16] [--width 256]` runs bench/checkpoint.ts (peak memory with and without torch.utils.checkpoint);
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

function mid(ts: number[]): number { return [...ts].sort((a, b) => a - b)[ts.length >> 1]!; }

/**
 * Medians of several contenders timed round-robin (A, B, C, B, C, A, ...), so load from other
 * processes on a shared machine hits all of them alike. Returns [wall ms, process CPU ms] per
 * contender: everything here is single-threaded, so CPU time is the compute time even when other
 * processes steal the core, while wall time is what a user sees.
 */
function medians(fns: (() => void)[], warm: number, runs: number): [number, number][] {
  for (let i = 0; i < warm; i++) for (const f of fns) f();
  const wall = fns.map((): number[] => []), cpu = fns.map((): number[] => []);
  for (let i = 0; i < runs; i++) {
    // Each round starts at the next contender: the first of a round measured a few % slower than
    // the same code later in the round, so a fixed order would favour whoever runs second.
    for (let r = 0; r < fns.length; r++) {
      const j = (i + r) % fns.length, f = fns[j]!;
      const c0 = process.cpuUsage(), t0 = performance.now();
      f();
      wall[j]!.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu[j]!.push((c.user + c.system) / 1000);
    }
  }
  return fns.map((_, j) => [mid(wall[j]!), mid(cpu[j]!)]);
}

/** [wall, cpu] microseconds per call of two tiny ops, timed round-robin in batches of ~`ms` each. */
function perCallMicros(fns: (() => void)[], ms = 20, samples = 15): [number, number][] {
  const batch = fns.map((fn) => {
    let n = 1;
    for (;;) { const t0 = performance.now(); for (let i = 0; i < n; i++) fn(); if (performance.now() - t0 > ms) return n; n *= 2; }
  });
  const res = medians(fns.map((fn, j) => () => { for (let i = 0; i < batch[j]!; i++) fn(); }), 1, samples);
  return res.map(([w, c], j) => [w * 1000 / batch[j]!, c * 1000 / batch[j]!]);
}

async function main(): Promise<void> {
  await torch.init();
  const cpu = getBackend('cpu') as WasmBackend;
  // The comparisons with tfjs below are single-threaded on both sides; threads come after them.
  const threads = torch.getNumThreads();
  torch.setNumThreads(1);

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
  const row = (label: string, wall: string, cpu: string): void => console.log(`  ${label.padEnd(24)} ${wall.padStart(7)}  ${cpu.padStart(7)}`);
  const x = torch.tensor([1]), y = torch.tensor([2]);
  const fx = tf.tensor1d([1]), fy = tf.tensor1d([2]);
  const [t, f] = torch.noGrad(() => perCallMicros([() => { torch.add(x, y).dispose(); }, () => { tf.add(fx, fy).dispose(); }]));
  console.log('1-element add, median us/op     wall      cpu');
  row('torchlet (no grad)', t![0].toFixed(2), t![1].toFixed(2));
  row('tfjs-backend-wasm', f![0].toFixed(2), f![1].toFixed(2));
  console.log('matmul, median GFLOPS        wall      cpu');
  for (const [M, K, N] of SIZES) {
    const flop = 2 * M * N * K;
    const runs = flop > 1e9 ? 11 : 25;
    const a = torch.randn([M, K]), b = torch.randn([K, N]);
    const ta = tf.randomNormal([M, K]), tb = tf.randomNormal([K, N]);
    // The result owns its buffer, so dispose() frees it at once (as tfjs's): every call reuses warm
    // memory. (Until 2026-12-01 it left the GEMM's buffer to the GC: see bench/README.md.)
    const torchRun = (v: SimdVariant | 'reference') => (): void => { cpu.useKernels(v); torch.matmul(a, b).dispose(); };
    const ms = torch.noGrad(() => medians([...variants.map(torchRun), () => { tf.matMul(ta, tb).dispose(); }], 3, runs));
    cpu.useKernels(best);
    a.dispose(); b.dispose(); ta.dispose(); tb.dispose();
    const g = ms.map(([w, c]) => [flop / w / 1e6, flop / c / 1e6] as const);
    const tfg = g[g.length - 1]!;
    console.log(`${M}x${K}x${N}`);
    variants.forEach((v, i) => row(`torchlet ${v}`, g[i]![0].toFixed(1), g[i]![1].toFixed(1)));
    row('tfjs-backend-wasm', tfg[0].toFixed(1), tfg[1].toFixed(1));
    // One ratio per build: runtimes without relaxed SIMD get the simd128 one.
    variants.forEach((v, i) => row(`ratio ${v} / tfjs`, `${(g[i]![0] / tfg[0]).toFixed(2)}x`, `${(g[i]![1] / tfg[1]).toFixed(2)}x`));
  }

  // Threads: the same GEMM on 1 thread and on all of them (wall time: CPU time adds up the threads).
  if (threads > 1) {
    const a = torch.randn([1024, 1024]), b = torch.randn([1024, 1024]);
    torch.setNumThreads(threads);
    torch.matmul(a, b).dispose(); // starts the workers
    for (let t = 0; t < 3000 && torch.parallelInfo().workersReady < threads - 1; t++) await new Promise((r) => setTimeout(r, 10));
    const at = (n: number) => (): void => { torch.setNumThreads(n); torch.matmul(a, b).dispose(); };
    const [one, all] = torch.noGrad(() => medians([at(1), at(threads)], 3, 11));
    const flop = 2 * 1024 ** 3;
    console.log(`matmul 1024x1024x1024, ${cpu.kernels}, median GFLOPS (wall)`);
    row('torchlet 1 thread', (flop / one![0] / 1e6).toFixed(1), '');
    row(`torchlet ${threads} threads`, (flop / all![0] / 1e6).toFixed(1), '');
    row(`speed-up ${threads} / 1`, `${(one![0] / all![0]).toFixed(2)}x`, '');
  }
}

const argv = process.argv.slice(2);
const deviceAt = argv.indexOf('--device');
if (argv.includes('--train')) {
  const { benchTrain } = await import('./train-compare.js');
  await benchTrain(argv);
  process.exit(0);
} else if (argv.includes('--compile')) {
  const { benchCompile } = await import('./compile.js');
  await benchCompile(argv);
  process.exit(0);
} else if (argv.includes('--fused')) {
  const { benchFused } = await import('./fused.js');
  await benchFused(argv);
  process.exit(0);
} else if (argv.includes('--distributed')) {
  const { benchDistributed } = await import('./distributed.js');
  await benchDistributed(argv);
  process.exit(0);
} else if (argv.includes('--checkpoint')) {
  const { benchCheckpoint } = await import('./checkpoint.js');
  await benchCheckpoint(argv);
  process.exit(0);
} else if (argv.includes('--memory')) {
  const { benchMemoryLoop } = await import('./memory-loop.js');
  const stepsAt = argv.indexOf('--steps'), modelAt = argv.indexOf('--model');
  const webgpu = argv.includes('--device=webgpu') || (deviceAt >= 0 && argv[deviceAt + 1] === 'webgpu');
  await benchMemoryLoop(webgpu ? 'webgpu' : 'cpu', stepsAt >= 0 ? Number(argv[stepsAt + 1]) : 1000, modelAt >= 0 && argv[modelAt + 1] === 'mlp' ? 'mlp' : 'cnn');
  process.exit(0); // Dawn keeps the event loop alive
} else if (argv.includes('--device=webgpu') || (deviceAt >= 0 && argv[deviceAt + 1] === 'webgpu')) {
  const { benchWebGPU, parseArgs } = await import('./webgpu.mjs');
  await benchWebGPU(torch, parseArgs(argv));
  process.exit(0); // Dawn keeps the event loop alive
} else {
  await main();
}
