// torch.profiler.profile and its result: per-op averages (keyAverages), a PyTorch-looking table,
// and Chrome trace event JSON (Perfetto, chrome://tracing). Recording itself is ProfilerRecorder's
// (src/profiler/recorder.ts): a dispatch mode plus a composite-scope listener.

import type { Backend } from '../backends/backend.js';
import { hasBackend, realBackend } from '../backends/registry.js';
import { ProfilerRecorder, type ProfilerEvent } from './recorder.js';

/** The activities a profile records (PyTorch's ProfilerActivity, lower-case device names). */
export const ProfilerActivity = { CPU: 'cpu', WEBGPU: 'webgpu' } as const;
/** One of ProfilerActivity's values. */
export type ProfilerActivityName = (typeof ProfilerActivity)[keyof typeof ProfilerActivity];

/** Options of torch.profiler.profile. */
export interface ProfileOptions {
  /** What to record (default both): 'webgpu' also sums GPU kernel time from timestamp queries. */
  activities?: ProfilerActivityName[];
  /** Record the input shapes of kernels (for keyAverages({ groupByInputShape })). */
  recordShapes?: boolean;
}

/** One row of keyAverages(): every event with the same key (and shapes, when grouped). */
export interface KeyAverage {
  /** The op's name: a composite ('linear') or a kernel ('matmul', 'binary.add'). */
  readonly key: string;
  /** How many times it ran. */
  readonly count: number;
  /** Time inside it minus time in its child events, summed (µs). */
  readonly selfCpuTimeTotal: number;
  /** Time inside it, children included, summed (µs); nested calls of the same key count once. */
  readonly cpuTimeTotal: number;
  /** cpuTimeTotal / count (µs). */
  readonly cpuTimeAvg: number;
  /** GPU time of its own kernels from WebGPU timestamp queries (µs; kernel rows; 0 without timing). */
  readonly selfDeviceTimeTotal: number;
  /** GPU time of its kernels and those of its child events (µs). */
  readonly deviceTimeTotal: number;
  /** The input shapes, when recordShapes was on (one set; with groupByInputShape, the row's). */
  readonly inputShapes: readonly (readonly number[])[];
}

/** Options of keyAverages(). */
export interface KeyAveragesOptions {
  /** One row per (key, input shapes) instead of per key. */
  groupByInputShape?: boolean;
}

/** Options of table(). */
export interface TableOptions {
  /** Column to sort by, descending (default 'cpuTimeTotal'). */
  sortBy?: 'selfCpuTimeTotal' | 'cpuTimeTotal' | 'count' | 'cpuTimeAvg' | 'selfDeviceTimeTotal' | 'deviceTimeTotal';
  /** At most this many rows (default: all). */
  rowLimit?: number;
}

/** One Chrome trace event ('X': a complete event with start and duration, µs). */
export interface ChromeTraceEvent {
  /** Op or kernel name. */
  name: string;
  /** 'cpu_op' (composites) or 'kernel'. */
  cat: string;
  /** Always 'X'. */
  ph: 'X';
  /** Start (µs). */
  ts: number;
  /** Duration (µs). */
  dur: number;
  /** Process id (1). */
  pid: number;
  /** Thread id (1). */
  tid: number;
  /** Input shapes (recordShapes), device, and a kernel's GPU time from timestamp queries (µs). */
  args: { shapes?: number[][]; device?: string; gpu_us?: number };
}

/** GPU time summed from WebGPU timestamp queries between the profile's start and stop. */
export interface GpuTime {
  /** Kernels measured. */
  kernels: number;
  /** Their summed GPU time (µs). */
  us: number;
  /** GPU time (µs) per event index of `events` (kernel events that recorded GPU work). */
  byEvent: ReadonlyMap<number, number>;
}

/** Rows of a profile's keyAverages(), with their table. */
export class KeyAverages implements Iterable<KeyAverage> {
  /** @internal */
  constructor(
    /** The rows, in first-seen order. */
    readonly rows: readonly KeyAverage[],
    private readonly footer: string[],
    private readonly shapes: boolean,
    /** WebGPU kernel times are known: the table shows PyTorch's device columns. */
    private readonly device = false,
  ) {}
  /** Iterates the rows. */
  [Symbol.iterator](): Iterator<KeyAverage> { return this.rows[Symbol.iterator](); }
  /** The row for key (the first, when grouped by shape), or undefined. */
  get(key: string): KeyAverage | undefined { return this.rows.find((r) => r.key === key); }
  /** A text table as PyTorch prints it: Name, Self CPU %, Self CPU, CPU total %, CPU total, CPU time avg, # of Calls. */
  table(opts: TableOptions = {}): string {
    const by = opts.sortBy ?? 'cpuTimeTotal';
    let rows = [...this.rows].sort((a, b) => b[by] - a[by]);
    if (opts.rowLimit !== undefined && opts.rowLimit >= 0) rows = rows.slice(0, opts.rowLimit);
    const selfTotal = this.rows.reduce((s, r) => s + r.selfCpuTimeTotal, 0);
    const pct = (x: number): string => `${selfTotal > 0 ? ((100 * x) / selfTotal).toFixed(2) : '0.00'}%`;
    const head = ['Name', 'Self CPU %', 'Self CPU', 'CPU total %', 'CPU total', 'CPU time avg'];
    if (this.device) head.push('Self WebGPU', 'WebGPU total');
    head.push('# of Calls');
    if (this.shapes) head.push('Input Shapes');
    const body = rows.map((r) => {
      const cells = [r.key, pct(r.selfCpuTimeTotal), fmtUs(r.selfCpuTimeTotal), pct(r.cpuTimeTotal), fmtUs(r.cpuTimeTotal), fmtUs(r.cpuTimeAvg)];
      if (this.device) cells.push(fmtUs(r.selfDeviceTimeTotal), fmtUs(r.deviceTimeTotal));
      cells.push(String(r.count));
      if (this.shapes) cells.push(JSON.stringify(r.inputShapes));
      return cells;
    });
    const w = head.map((h, i) => Math.max(h.length, ...body.map((c) => c[i]!.length)));
    const line = w.map((n) => '-'.repeat(n)).join('  ');
    const fmt = (c: string[]): string => c.map((s, i) => (i === 0 || head[i] === 'Input Shapes' ? s.padEnd(w[i]!) : s.padStart(w[i]!))).join('  ').trimEnd();
    return [line, fmt(head), line, ...body.map(fmt), line, `Self CPU time total: ${fmtUs(selfTotal)}`, ...this.footer, ''].join('\n');
  }
}

/** A time in µs as PyTorch prints it: 12.345us, 1.234ms, 1.234s. */
function fmtUs(us: number): string {
  if (us >= 1e6) return `${(us / 1e6).toFixed(3)}s`;
  if (us >= 1e3) return `${(us / 1e3).toFixed(3)}ms`;
  return `${us.toFixed(3)}us`;
}

type TimedBackend = Backend & { beginKernelTiming?(): boolean; endKernelTiming?(): Promise<{ kernels: number; ms: number; byTag: Map<number, number> } | null> };

/** A profiling session's result (and, until stop(), the session): `using prof = profile({...})`. */
export class Profile implements Disposable {
  #rec: ProfilerRecorder;
  #gpu: Promise<GpuTime | null> | null = null;
  #gpuTime: GpuTime | null = null;
  #timing: TimedBackend | null = null;

  /** @internal */
  constructor(opts: ProfileOptions) {
    const acts = opts.activities ?? ['cpu', 'webgpu'];
    for (const a of acts) if (a !== 'cpu' && a !== 'webgpu') throw new TypeError(`profile: unknown activity '${String(a)}' (expected 'cpu' or 'webgpu')`);
    if (acts.includes('webgpu') && hasBackend('webgpu')) {
      const b = realBackend('webgpu') as TimedBackend;
      if (typeof b.beginKernelTiming === 'function' && b.beginKernelTiming()) this.#timing = b;
    }
    this.#rec = new ProfilerRecorder(opts.recordShapes === true);
  }

  /** The recorded events (ops and kernels), in start order; times in µs from the start. */
  get events(): readonly ProfilerEvent[] { return this.#rec.events; }

  /** Stops recording (idempotent): restores the dispatch mode and scope listener found at the start. */
  stop(): void {
    this.#rec.stop();
    if (this.#timing !== null && this.#gpu === null) {
      const b = this.#timing;
      this.#gpu = (b.endKernelTiming ? b.endKernelTiming() : Promise.resolve(null)).then((t) => {
        this.#gpuTime = t === null ? null : { kernels: t.kernels, us: t.ms * 1000, byEvent: new Map([...t.byTag].filter(([k]) => k >= 0).map(([k, ms]) => [k, ms * 1000])) };
        return this.#gpuTime;
      });
    }
  }

  /** Stops recording (for `using`). */
  [Symbol.dispose](): void { this.stop(); }

  /** Waits for the WebGPU timestamp queries; the GPU time (null without WebGPU timing). */
  async gpuTime(): Promise<GpuTime | null> { return this.#gpu === null ? null : this.#gpu; }

  /** Per-op aggregates: count, self and total time (µs), input shapes. */
  keyAverages(opts: KeyAveragesOptions = {}): KeyAverages {
    const evs = this.#rec.events;
    const child = new Float64Array(evs.length);
    const dur = (e: ProfilerEvent): number => Math.max(0, (Number.isNaN(e.end) ? e.start : e.end) - e.start);
    evs.forEach((e) => { if (e.parent >= 0) child[e.parent]! += dur(e); });
    // GPU time: a kernel's own; an op's is its kernels' (children are after their parents).
    const gpuSelf = new Float64Array(evs.length), gpuTotal = new Float64Array(evs.length);
    for (const [i, us] of this.#gpuTime?.byEvent ?? []) gpuSelf[i] = us;
    for (let i = evs.length - 1; i >= 0; i--) {
      gpuTotal[i]! += gpuSelf[i]!;
      const p = evs[i]!.parent;
      if (p >= 0) gpuTotal[p]! += gpuTotal[i]!;
    }
    const groups = new Map<string, { key: string; count: number; self: number; total: number; gpuSelf: number; gpuTotal: number; shapes: (readonly number[])[] }>();
    evs.forEach((e, i) => {
      const g = opts.groupByInputShape ? `${e.name}\u0000${JSON.stringify(e.shapes)}` : e.name;
      let r = groups.get(g);
      if (!r) { r = { key: e.name, count: 0, self: 0, total: 0, gpuSelf: 0, gpuTotal: 0, shapes: [...e.shapes] }; groups.set(g, r); }
      r.count++;
      r.self += Math.max(0, dur(e) - child[i]!);
      r.gpuSelf += gpuSelf[i]!;
      // A call nested in a call of the same key is inside that one's total already.
      let p = e.parent, nested = false;
      while (p >= 0) { if (evs[p]!.name === e.name) { nested = true; break; } p = evs[p]!.parent; }
      if (!nested) { r.total += dur(e); r.gpuTotal += gpuTotal[i]!; }
    });
    const rows = [...groups.values()].map((r) => ({ key: r.key, count: r.count, selfCpuTimeTotal: r.self, cpuTimeTotal: r.total, cpuTimeAvg: r.total / r.count, selfDeviceTimeTotal: r.gpuSelf, deviceTimeTotal: r.gpuTotal, inputShapes: r.shapes }));
    const footer: string[] = [];
    if (this.#timing !== null) {
      const g = this.#gpuTime;
      footer.push(g ? `Self WebGPU time total: ${fmtUs(g.us)} (${g.kernels} kernels, timestamp queries)` : 'Self WebGPU time total: pending (await prof.gpuTime())');
    }
    return new KeyAverages(rows, footer, opts.groupByInputShape === true, this.#gpuTime !== null);
  }

  /** The events as Chrome trace event JSON ({ traceEvents: [...] }), for Perfetto or chrome://tracing. */
  chromeTrace(): string {
    const traceEvents: ChromeTraceEvent[] = this.#rec.events.map((e, i) => {
      const args: ChromeTraceEvent['args'] = {};
      if (e.shapes.length) args.shapes = e.shapes.map((s) => [...s]);
      if (e.device !== null) args.device = e.device;
      const gpu = this.#gpuTime?.byEvent.get(i);
      if (gpu !== undefined) args.gpu_us = gpu;
      return { name: e.name, cat: e.kind === 'op' ? 'cpu_op' : 'kernel', ph: 'X', ts: e.start, dur: Math.max(0, (Number.isNaN(e.end) ? e.start : e.end) - e.start), pid: 1, tid: 1, args };
    });
    return JSON.stringify({ traceEvents, displayTimeUnit: 'ms' });
  }

  /** Writes chromeTrace() to a file (Node, Deno, Bun; in browsers use chromeTrace()). */
  async exportChromeTrace(path: string): Promise<void> {
    const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
    if (!proc?.versions?.node) throw new Error('exportChromeTrace: no file system here; use prof.chromeTrace() for the JSON');
    const fs = await import('node:fs/promises');
    await fs.writeFile(path, this.chromeTrace());
  }
}

/**
 * torch.profiler.profile: records the ops (composites) and kernels fn runs, with their times.
 * With fn, runs it and returns the Profile (a Promise of it when fn is async); without, starts
 * recording now: `using prof = torch.profiler.profile({...})`, then `prof.stop()` or scope end.
 * The dispatch mode and scope listener are restored also when fn throws.
 * @example
 * ```ts
 * const prof = torch.profiler.profile({ recordShapes: true }, () => model.forward(x));
 * console.log(prof.keyAverages().table({ sortBy: 'selfCpuTimeTotal', rowLimit: 10 }));
 * await prof.exportChromeTrace('trace.json');
 * ```
 */
export function profile(opts: ProfileOptions, fn: () => Promise<unknown>): Promise<Profile>;
export function profile(opts: ProfileOptions, fn: () => unknown): Profile;
export function profile(opts?: ProfileOptions): Profile;
export function profile(opts: ProfileOptions = {}, fn?: () => unknown): Profile | Promise<Profile> {
  const prof = new Profile(opts);
  if (fn === undefined) return prof;
  let r: unknown;
  try { r = fn(); } catch (e) { prof.stop(); throw e; }
  if (r instanceof Promise) {
    return r.then(
      async () => { prof.stop(); await prof.gpuTime(); return prof; },
      (e: unknown) => { prof.stop(); throw e; },
    );
  }
  prof.stop();
  return prof;
}
