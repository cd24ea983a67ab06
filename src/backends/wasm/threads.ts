// The CPU backend's threads: a pool of workers sharing the backend's WebAssembly.Memory, each with its
// own instance of the kernel module, running lists of kernel calls ("batches") that the backend split
// by size. Contract: which thread runs a call never changes its result (the backend's split depends on
// shapes only, so results are bit-identical for every thread count); the calling thread works too, so
// a batch completes even before any worker has started; workers start lazily, and never keep a
// process alive (Node, Deno and Bun workers are unref'd; browsers end them with the page).

import { envVar } from '../../memory.js';
import type { SimdExports } from './simd.js';

/** Kernels a batch may call, by index (the order is shared with the workers). */
export const KERNEL_NAMES = ['gemm', 'binary', 'compare', 'where32', 'unary', 'fill32', 'reduceRows', 'reduceRowsI32', 'reduceCols',
  'argReduceRows', 'copy32', 'castToF32', 'castF16', 'attnForward', 'attnBackward', 'gather32', 'scatter32', 'im2col', 'col2im', 'philoxUniform', 'sumRunF64', 'adamStep', 'argReduceColsRows', 'maxPool2d', 'maxPool2dBackward', 'winogradConv', 'winogradWgrad', 'reduceColsSum'] as const satisfies readonly (keyof SimdExports)[];
/**
 * 'jit' is a call of a kernel generated at run time (fused programs, ./fusedrun.ts), at index
 * KERNEL_NAMES.length: arguments (kernel id, module bytes pointer, byte length, kernel arguments...).
 * A worker compiles the module from those bytes in the shared memory on its first call of that id.
 */
export type KernelName = (typeof KERNEL_NAMES)[number] | 'jit';
const KERNEL_INDEX = new Map<string, number>([...KERNEL_NAMES.map((n, i): [string, number] => [n, i]), ['jit', KERNEL_NAMES.length]]);

// Control block (Int32 slots at the start of a SharedArrayBuffer), then the call table (float64: kernel
// index, argument count, scratch argument index or -1, arguments), then one float64 result per call,
// then the ranges (Int32 pairs: next call, end) that cut a batch between its threads.
const GEN = 0, COUNT = 1, PARTS = 2, DONE = 3, READY = 4, LIMIT = 5, FAILED = 6, WORKER_CALLS = 7, STOP = 8, SPIN_US = 9;
const HEADER_BYTES = 64;
/** Most threads a batch is cut for (more workers than this share the last ranges by stealing). */
const MAX_PARTS = 256;
/** Float64 slots per call: its 3 header slots and up to SLOTS - 3 arguments (attention's backward takes 32). */
const SLOTS = 36;
const MAX_CALLS = 512;
/**
 * How long a worker keeps polling for the next batch before it sleeps. Training runs ops back to back
 * with a little JavaScript between them; a sleeping worker can take milliseconds to wake on a VM
 * (the idle vCPU is halted), long enough for the calling thread to finish a whole GEMM alone. Spinning
 * through the gaps, as OpenMP runtimes do, keeps it in the work; 2 ms after the last op it sleeps.
 */
const DEFAULT_SPIN_US = 2000;
/** A range's next call is parked here between batches, so a late worker's grab fails while the table is rewritten. */
const PARKED = 1 << 30;
const CALLS_BYTES = MAX_CALLS * SLOTS * 8;
const RANGES_OFFSET = HEADER_BYTES + CALLS_BYTES + MAX_CALLS * 8;
const CONTROL_BYTES = RANGES_OFFSET + MAX_PARTS * 8;

/**
 * The worker's program, plain JS so every runtime can evaluate it as is: Node, Deno and Bun through
 * `worker_threads` (`eval: true`, data in `workerData`; CommonJS or ESM evaluation alike, so no `require`),
 * browsers from a Blob URL (data by message).
 * A worker polls for DEFAULT_SPIN_US after a batch (the next op usually follows within microseconds), then
 * sleeps in Atomics.wait until the generation changes.
 */
const WORKER_SOURCE = `
const start = (d) => {
  // Generated kernels ('jit'), compiled from their bytes on first use; imports as fusedrun.ts jitMath.
  const jits = new Map();
  const math = (name) => name === 'fmod' ? (a, b) => a % b : Math[name];
  const jit = (id, ptr, len) => {
    let f = jits.get(id);
    if (!f) {
      const m = new WebAssembly.Module(new Uint8Array(d.memory.buffer, ptr, len).slice());
      const imp = {};
      for (const i of WebAssembly.Module.imports(m)) if (i.kind === 'function') imp[i.name] = math(i.name);
      f = new WebAssembly.Instance(m, { env: { memory: d.memory }, m: imp }).exports.run;
      jits.set(id, f);
    }
    return f;
  };
  // The GEMM's epilogue: a generated kernel described at epi (id, bytes pointer, length, block; fusedrun.ts).
  const gemmEpilogue = (epi, r0, nr, c0, nc) => {
    const w = new Int32Array(d.memory.buffer, epi, 4);
    jit(w[0], w[1], w[2])(w[3], r0, nr, c0, nc);
  };
  const inst = new WebAssembly.Instance(d.module, { env: { memory: d.memory, gemmEpilogue } });
  const fns = d.names.map((n) => inst.exports[n]);
  fns.push((id, ptr, len, ...a) => jit(id, ptr, len)(...a));
  const ctl = new Int32Array(d.control, 0, ${HEADER_BYTES / 4});
  const calls = new Float64Array(d.control, ${HEADER_BYTES}, ${MAX_CALLS * SLOTS});
  const results = new Float64Array(d.control, ${HEADER_BYTES + CALLS_BYTES}, ${MAX_CALLS});
  const ranges = new Int32Array(d.control, ${RANGES_OFFSET}, ${2 * MAX_PARTS});
  const args = [];
  let seen = Atomics.load(ctl, ${GEN});
  Atomics.add(ctl, ${READY}, 1);
  for (;;) {
    let g = Atomics.load(ctl, ${GEN});
    const spin = Atomics.load(ctl, ${SPIN_US}) / 1000;
    for (const t0 = performance.now(); g === seen && performance.now() - t0 < spin;) {
      for (let i = 0; g === seen && i < 1000; i++) g = Atomics.load(ctl, ${GEN});
    }
    if (g === seen) { Atomics.wait(ctl, ${GEN}, seen); continue; }
    seen = g;
    if (Atomics.load(ctl, ${STOP})) return;
    if (d.index >= Atomics.load(ctl, ${LIMIT})) continue;
    // Its own range first (thread d.index + 1: the same calls, so the same cache lines, every batch
    // of the same shapes), then what is left of the others'.
    const parts = Atomics.load(ctl, ${PARTS}), n = Atomics.load(ctl, ${COUNT});
    for (let k = 0; k < parts; k++) {
      const r = 2 * ((d.index + 1 + k) % parts);
      for (;;) {
        const i = Atomics.add(ranges, r, 1);
        if (i >= Atomics.load(ranges, r + 1)) break;
        const o = i * ${SLOTS}, argc = calls[o + 1], sa = calls[o + 2];
        args.length = argc;
        for (let j = 0; j < argc; j++) args[j] = calls[o + 3 + j];
        if (sa >= 0) args[sa] = d.scratch;
        try { results[i] = fns[calls[o]](...args); } catch (e) { Atomics.store(ctl, ${FAILED}, i + 1); }
        Atomics.add(ctl, ${WORKER_CALLS}, 1);
        if (Atomics.add(ctl, ${DONE}, 1) + 1 === n) Atomics.notify(ctl, ${DONE});
      }
    }
  }
};
const wt = typeof process === 'object' && typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule('node:worker_threads') : null;
if (wt && wt.workerData) start(wt.workerData); else self.onmessage = (e) => start(e.data);
`;

interface NodeWorker { unref(): void; on(ev: 'error', f: (e: unknown) => void): void }
type WorkerThreads = { Worker: new (src: string, opts: { eval: true; workerData: unknown }) => NodeWorker };
interface Proc { getBuiltinModule?: (id: string) => unknown }
const proc = (globalThis as { process?: Proc }).process;

function builtin<T>(id: string): T | null {
  try { return typeof proc?.getBuiltinModule === 'function' ? (proc.getBuiltinModule(id) as T) ?? null : null; } catch { return null; }
}

let supported: boolean | undefined;
/** Whether this runtime can share a WebAssembly.Memory between threads (browsers: cross-origin isolated). */
export function threadsSupported(): boolean {
  if (supported !== undefined) return supported;
  const g = globalThis as { crossOriginIsolated?: boolean; Worker?: unknown };
  supported = typeof SharedArrayBuffer !== 'undefined' && typeof Atomics !== 'undefined' && g.crossOriginIsolated !== false
    && (builtin<WorkerThreads>('node:worker_threads') !== null || typeof g.Worker === 'function');
  return supported;
}

/** The cores this process may use: os.availableParallelism() in Node, navigator.hardwareConcurrency elsewhere. */
export function availableCores(): number {
  const os = builtin<{ availableParallelism?: () => number; cpus(): unknown[] }>('node:os');
  const n = os ? (os.availableParallelism?.() ?? os.cpus().length) : (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return Math.max(1, Math.floor(n ?? 1));
}

function defaultThreads(): number {
  const env = envVar('TORCHLET_NUM_THREADS');
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (Number.isInteger(n) && n >= 1) return n;
    console.warn(`torchlet: ignoring TORCHLET_NUM_THREADS=${env} (expected a positive integer)`);
  }
  return availableCores();
}

let requested: number | null = null;

/** torch.setNumThreads: threads for CPU kernels (the calling thread included); >= 1. */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: expected a positive integer number of threads, got ${n}`);
  requested = n;
}

/**
 * torch.getNumThreads: threads the CPU kernels use. Where threads are not possible (no
 * SharedArrayBuffer, e.g. a page that is not cross-origin isolated) it is 1 whatever was requested.
 */
export function getNumThreads(): number {
  if (!threadsSupported()) return 1;
  return requested ?? (requested = defaultThreads());
}

/** What the kernel instance of the calling thread exports, by name. */
type Fn = (...args: number[]) => number;

/** A list of kernel calls the backend built for one op; run() executes it on the pool or inline. */
export class CallList {
  readonly fns: number[] = [];
  readonly args: number[][] = [];
  readonly scratchArg: number[] = [];
  /** Elements (or multiply-adds) of work, to decide whether the pool is worth waking. */
  work = 0;
  push(name: KernelName, args: number[], work: number, scratchArg = -1): void {
    // An overlong call would spill into the next call's slots of the pool's table.
    if (args.length > SLOTS - 3) throw new Error(`cpu: kernel '${name}' takes ${args.length} arguments, more than the call table's ${SLOTS - 3}`);
    this.fns.push(KERNEL_INDEX.get(name)!);
    this.args.push(args);
    this.scratchArg.push(scratchArg);
    this.work += work;
  }
  get length(): number { return this.fns.length; }
}

export class ThreadPool {
  private readonly control = new SharedArrayBuffer(CONTROL_BYTES);
  private readonly ctl = new Int32Array(this.control, 0, HEADER_BYTES / 4);
  private readonly ranges = new Int32Array(this.control, RANGES_OFFSET, 2 * MAX_PARTS);
  private readonly calls = new Float64Array(this.control, HEADER_BYTES, MAX_CALLS * SLOTS);
  private readonly results = new Float64Array(this.control, HEADER_BYTES + CALLS_BYTES, MAX_CALLS);
  private workers = 0;
  private spawnFailed = false;
  /** The batch handed out and not yet waited for (see fence), with what this thread needs to help finish it. */
  private pending: { list: CallList; start: number; fns: readonly Fn[]; scratch: number } | null = null;
  private readonly args: number[] = [];
  /** Whether this thread may block in Atomics.wait (a browser's main thread may not). */
  private readonly canBlock: boolean;

  /**
   * @param module the compiled kernels (shared-memory build); each worker instantiates it.
   * @param scratch allocates one GEMM scratch area for a new worker (byte address).
   */
  constructor(private readonly module: WebAssembly.Module, private readonly memory: WebAssembly.Memory,
    private readonly scratch: () => number) {
    for (let p = 0; p < MAX_PARTS; p++) Atomics.store(this.ranges, 2 * p, PARKED);
    Atomics.store(this.ctl, SPIN_US, DEFAULT_SPIN_US);
    let block = true;
    try { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0); } catch { block = false; }
    this.canBlock = block;
  }

  /** How long idle workers poll before sleeping, in microseconds (benchmarks compare settings). */
  set spinMicros(us: number) { Atomics.store(this.ctl, SPIN_US, Math.max(0, Math.round(us))); }

  /** Workers that have started and can take calls. */
  get ready(): number { return Atomics.load(this.ctl, READY); }
  /** Calls run by workers so far (tests use it to see the threads were really used). */
  get workerCalls(): number { return Atomics.load(this.ctl, WORKER_CALLS); }

  /** Starts workers up to `threads - 1` (asynchronously: until they are ready the caller runs everything). */
  ensure(threads: number): void {
    Atomics.store(this.ctl, LIMIT, threads - 1);
    while (this.workers < threads - 1 && !this.spawnFailed) {
      try { this.spawn(this.workers); this.workers++; } catch (e) {
        this.spawnFailed = true;
        console.warn(`torchlet: could not start a CPU worker thread (${e instanceof Error ? e.message : String(e)}); running on ${this.workers + 1} thread(s)`);
      }
    }
  }

  /** Resolves once `n` workers are ready (tests and benchmarks; kernels never wait for this). */
  async whenReady(n: number): Promise<void> {
    const t0 = Date.now();
    while (this.ready < Math.min(n, this.workers)) {
      if (Date.now() - t0 > 30000) throw new Error(`cpu threads: only ${this.ready} of ${n} workers started within 30 s`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  private spawn(index: number): void {
    const data = { module: this.module, memory: this.memory, control: this.control, names: KERNEL_NAMES, index, scratch: this.scratch() };
    const wt = builtin<WorkerThreads>('node:worker_threads');
    if (wt) {
      const w = new wt.Worker(WORKER_SOURCE, { eval: true, workerData: data });
      w.on('error', (e) => console.warn('torchlet: a CPU worker thread failed:', e));
      w.unref();
      return;
    }
    const W = (globalThis as { Worker?: new (url: string, o?: { type?: string }) => { postMessage(d: unknown): void } }).Worker!;
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    new W(url).postMessage(data);
  }

  /**
   * Runs every call of `list` on the workers that are ready and on this thread. The last batch may
   * still be finishing on a worker when this returns: fence() (which the backend calls before its
   * next batch and before JavaScript touches the memory) waits for it. With `wantResults` it waits
   * here and returns the calls' results. `offload`: this thread takes no call unless the workers are
   * late at the fence (a small op runs on a worker while this thread prepares the next one).
   * `fns` are this thread's kernel exports by index; `scratch` its GEMM scratch. A list longer than
   * the call table runs as several batches, one after the other.
   */
  run(list: CallList, fns: readonly Fn[], scratch: number, wantResults = false, offload = false): Float64Array {
    const n = list.length;
    if (n <= MAX_CALLS) {
      this.batch(list, 0, n, fns, scratch, offload && !wantResults);
      if (wantResults) this.fence();
      return this.results;
    }
    const all = new Float64Array(n);
    for (let s = 0; s < n; s += MAX_CALLS) {
      const e = Math.min(n, s + MAX_CALLS);
      this.batch(list, s, e, fns, scratch, false);
      this.fence();
      all.set(this.results.subarray(0, e - s), s);
    }
    return all;
  }

  /**
   * Completes the batch in flight, if any: takes what no worker has started (a sleeping worker's
   * range), waits for the calls running, and raises a failure of one of them.
   */
  fence(): void {
    const f = this.pending;
    if (!f) return;
    const { ctl } = this;
    const n = Atomics.load(ctl, COUNT), parts = Atomics.load(ctl, PARTS);
    this.take(parts, f.fns, f.scratch);
    for (let spins = 0; ; spins++) {
      const d = Atomics.load(ctl, DONE);
      if (d >= n) break;
      if (this.canBlock && spins > 1000) Atomics.wait(ctl, DONE, d, 1);
    }
    for (let p = 0; p < parts; p++) Atomics.store(this.ranges, 2 * p, PARKED);
    this.pending = null;
    const failed = Atomics.load(ctl, FAILED);
    if (failed) throw new Error(`cpu: kernel '${KERNEL_NAMES[f.list.fns[f.start + failed - 1]!] ?? 'jit'}' failed in a worker thread`);
  }

  /** Runs calls start..end of `list` as one batch (after the one in flight); their results land in results[0 .. end - start]. */
  private batch(list: CallList, start: number, end: number, fns: readonly Fn[], scratch: number, offload: boolean): void {
    this.fence();
    const n = end - start;
    const { ctl, calls } = this;
    for (let i = 0; i < n; i++) {
      const a = list.args[start + i]!, o = i * SLOTS;
      calls[o] = list.fns[start + i]!; calls[o + 1] = a.length; calls[o + 2] = list.scratchArg[start + i]!;
      for (let j = 0; j < a.length; j++) calls[o + 3 + j] = a[j]!;
    }
    // One contiguous range of calls per thread (this one first), each thread's the same for the
    // same list: data an op's range wrote stays in that core's cache for the next op over the same
    // shape. A thread that finishes its range takes calls from the others' (a late or sleeping
    // worker's range is not left waiting). Which thread runs a call never changes its result.
    const workers = Math.min(this.workers, Atomics.load(ctl, LIMIT));
    const parts = Math.min(n, (offload ? 0 : 1) + workers, MAX_PARTS);
    Atomics.store(ctl, COUNT, n);
    Atomics.store(ctl, PARTS, parts);
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, FAILED, 0);
    for (let p = 0; p < parts; p++) Atomics.store(this.ranges, 2 * p + 1, Math.floor(n * (p + 1) / parts));
    for (let p = 0; p < parts; p++) Atomics.store(this.ranges, 2 * p, Math.floor(n * p / parts));
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN, Math.min(parts, workers));
    this.pending = { list, start, fns, scratch };
    // This thread takes calls like a worker, then returns (fence() waits for the others').
    if (!offload) this.take(parts, fns, scratch);
  }

  /** Takes and runs calls of the batch in flight until none is left in any range. */
  private take(parts: number, fns: readonly Fn[], scratch: number): void {
    const { ctl, calls, args } = this;
    for (let k = 0; k < parts; k++) {
      for (;;) {
        const i = Atomics.add(this.ranges, 2 * k, 1);
        if (i >= Atomics.load(this.ranges, 2 * k + 1)) break;
        const o = i * SLOTS, argc = calls[o + 1]!, sa = calls[o + 2]!;
        args.length = argc;
        for (let j = 0; j < argc; j++) args[j] = calls[o + 3 + j]!;
        if (sa >= 0) args[sa] = scratch;
        try { this.results[i] = fns[calls[o]!]!(...args); } catch (e) { Atomics.store(ctl, FAILED, i + 1); }
        Atomics.add(ctl, DONE, 1);
      }
    }
  }
}
