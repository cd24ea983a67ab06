// Per-op overhead of a CPU training step: one nn.TransformerEncoderLayer (dModel 128, nhead 4,
// dimFeedforward 512, batchFirst, default dropout 0.1), batch 16 x seq 64, MSE loss, Adam, written as
// a PyTorch user writes it (no torch.tidy). Reports the step's median time and splits it into the
// CPU backend's own time (every method of the backend object wrapped with a timer: the kernels, and
// alloc/free/write/read separately) and everything else: the JS op layer's overhead.
// Run: node --experimental-wasm-relaxed-simd --import tsx bench/overhead.ts [--steps 30] [--threads N]
// (kernels use torchlet's default thread count unless --threads is given; process CPU time then
// counts the workers too, so with threads the wall column is the step's time)
// --stub-only: just the stubbed-kernel step (below), for quick A/B runs of op-layer changes.
// Profile: add --cpu-prof (node flag, before --import) and open the .cpuprofile.

import { PerformanceObserver } from 'node:perf_hooks';
import * as torch from '../src/index.js';
import { getBackend } from '../src/backends/registry.js';

const { nn } = torch;
const args = process.argv.slice(2);
const opt_ = (name: string): number | null => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : null);
const steps = opt_('--steps') ?? 30;
const threads = opt_('--threads');
const stubOnly = args.includes('--stub-only'); // only the stubbed-kernel measurement (quick A/B runs)
if (threads !== null) torch.setNumThreads(threads);

torch.manualSeed(0);
const layer = new nn.TransformerEncoderLayer(128, 4, { dimFeedforward: 512, batchFirst: true });
const opt = new torch.optim.Adam(layer.parameters(), { lr: 1e-3 });
const x = torch.randn([16, 64, 128]);
const target = torch.randn([16, 64, 128]);

function step(): void {
  const loss = nn.functional.mseLoss(layer.forward(x), target);
  loss.backward();
  opt.step();
  opt.zeroGrad();
}

// Wrap every backend method (own and prototype) with a wall-clock timer. Only the outermost call
// counts, in case a method calls another through `this`.
const backend = getBackend('cpu') as unknown as Record<string, unknown>;
const MEMORY = new Set(['alloc', 'free', 'write', 'read', 'readSync', 'memory']);
const time = new Map<string, number>(), calls = new Map<string, number>();
let depth = 0, timing = false;
const names = new Set<string>();
for (let p: object | null = backend; p && p !== Object.prototype; p = Object.getPrototypeOf(p))
  for (const k of Object.getOwnPropertyNames(p)) if (k !== 'constructor' && typeof backend[k] === 'function') names.add(k);
const originals = new Map<string, (...a: unknown[]) => unknown>();
for (const k of names) originals.set(k, backend[k] as (...a: unknown[]) => unknown);
function wrap(on: boolean | 'stub'): void {
  for (const [k, f] of originals) {
    if (!on) { delete backend[k]; if (backend[k] !== f) backend[k] = f; continue; }
    // 'stub': compute kernels do nothing (memory ops stay real), so a step costs only the JS around
    // them. Nothing in the step branches on tensor values, so it runs the same ops.
    if (on === 'stub') { if (!MEMORY.has(k)) backend[k] = () => undefined; continue; }
    backend[k] = function (this: unknown, ...a: unknown[]): unknown {
      if (!timing || depth > 0) return f.apply(this, a);
      depth++;
      const t0 = performance.now();
      try { return f.apply(this, a); } finally {
        time.set(k, (time.get(k) ?? 0) + performance.now() - t0);
        calls.set(k, (calls.get(k) ?? 0) + 1);
        depth--;
      }
    };
  }
}

// Garbage-collector pauses on the main thread (minor and major), from the 'gc' performance entries.
let gcMs = 0, gcOn = false;
const gcKinds = new Map<number, [number, number]>(); // kind (1 minor, 4 major, 8 incremental, 16 weak callbacks) -> [count, ms]
new PerformanceObserver((l) => {
  if (!gcOn) return;
  for (const e of l.getEntries()) {
    gcMs += e.duration;
    const k = (e as { detail?: { kind?: number } }).detail?.kind ?? 0, c = gcKinds.get(k) ?? [0, 0];
    gcKinds.set(k, [c[0] + 1, c[1] + e.duration]);
  }
}).observe({ entryTypes: ['gc'] });
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

const median = (a: number[]): number => { const s = [...a].sort((p, q) => p - q); return s[s.length >> 1]!; };
const cpuMs = (): number => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };

for (let i = 0; i < 5; i++) step(); // warm-up: JIT, allocator caches, Adam state
await tick();
gcOn = true;

// Alternate plain steps (the headline totals) and wrapped steps (the split), so both see the same
// machine load.
const plainCpu: number[] = [], plainWall: number[] = [], wrapWall: number[] = [];
const backendWall: number[] = [], kernelWall: number[] = [];
const perOp: Map<string, number>[] = [];
for (let i = 0; i < (stubOnly ? 1 : steps); i++) {
  wrap(false);
  let c0 = cpuMs(), w0 = performance.now();
  step();
  plainWall.push(performance.now() - w0); plainCpu.push(cpuMs() - c0);

  wrap(true);
  time.clear(); calls.clear(); timing = true;
  w0 = performance.now();
  step();
  wrapWall.push(performance.now() - w0);
  timing = false;
  let all = 0, mem = 0;
  for (const [k, t] of time) { all += t; if (MEMORY.has(k)) mem += t; }
  backendWall.push(all); kernelWall.push(all - mem);
  perOp.push(new Map(time));
}
wrap(false);
await tick(); // the gc entries arrive as a task
gcOn = false;

// The op layer alone: the same step with the compute kernels stubbed out. Short steps, so many of
// them, and the median is robust to the machine's other load.
wrap('stub');
const stubWall: number[] = [], stubCpu: number[] = [];
for (let i = 0; i < 10; i++) step();
for (let i = 0; i < 10 * steps; i++) {
  const c0 = cpuMs(), w0 = performance.now();
  step();
  stubWall.push(performance.now() - w0); stubCpu.push(cpuMs() - c0);
}
wrap(false);

const f = (v: number): string => v.toFixed(2).padStart(8);
const total = median(wrapWall), kern = median(kernelWall), back = median(backendWall);
console.log(`TransformerEncoderLayer(128, 4, ff 512) train step, batch 16 x seq 64, Adam, no tidy; median of ${steps}; ${torch.getNumThreads()} kernel thread(s)`);
console.log(`step, plain            wall ${f(median(plainWall))} ms   cpu ${f(median(plainCpu))} ms`);
console.log(`step, backend wrapped  wall ${f(total)} ms`);
console.log(`  backend kernels           ${f(kern)} ms  ${(100 * kern / total).toFixed(1)}%`);
console.log(`  backend memory ops        ${f(back - kern)} ms  ${(100 * (back - kern) / total).toFixed(1)}%  (alloc/free/write/read)`);
console.log(`  JS outside the backend    ${f(total - back)} ms  ${(100 * (total - back) / total).toFixed(1)}%`);
const mean = (a: number[]): number => a.reduce((p, q) => p + q, 0) / a.length;
const real = [...plainWall, ...wrapWall];
console.log(`mean wall of all ${real.length} steps ${f(mean(real))} ms, of which GC pauses ${f(gcMs / real.length)} ms`);
console.log(`  GC by kind: ${[...gcKinds].map(([k, [n, t]]) => `${({ 1: 'minor', 4: 'major', 8: 'incremental', 16: 'weakcb' } as Record<number, string>)[k] ?? k} ${n}x ${t.toFixed(1)} ms`).join(', ')}`);
console.log(`step with kernels stubbed out (op layer + allocator only): wall ${f(median(stubWall))} ms   cpu ${f(median(stubCpu))} ms  (median of ${10 * steps})`);
console.log(`backend calls per step: ${[...calls.values()].reduce((a, b) => a + b, 0)}`);
const rows = [...names].map((k) => [k, median(perOp.map((m) => m.get(k) ?? 0)), calls.get(k) ?? 0] as const)
  .filter((r) => r[2] > 0).sort((a, b) => b[1] - a[1]);
for (const [k, t, n] of rows) console.log(`  ${k.padEnd(12)} ${f(t)} ms  ${String(n).padStart(5)} calls`);
