// The profiler's recorder: a dispatch mode (src/backends/registry.ts) whose backends wrap the ones
// the previous mode (or the device) gives and time every kernel call, and a composite-scope
// listener (src/ops/prim.ts) that records composite ops (linear, conv2d, crossEntropy...) as the
// parent events of the kernels they run. Both chain to whatever was installed before.

import type { Backend, Device, View } from '../backends/backend.js';
import { setDispatchMode, type DispatchMode } from '../backends/registry.js';
import { setScopeListener, type ScopeListener } from '../ops/prim.js';

/** One recorded op (a composite) or kernel call; times in microseconds from the profile's start. */
export interface ProfilerEvent {
  /** Composite name ('linear', 'conv2d') or kernel name ('matmul', 'binary.add', 'unary.exp'). */
  readonly name: string;
  /** 'op' for composites, 'kernel' for Backend kernel calls. */
  readonly kind: 'op' | 'kernel';
  /** Device of a kernel; null for composites. */
  readonly device: Device | null;
  /** Start, in µs since the profile started. */
  start: number;
  /** End, in µs since the profile started (NaN while open). */
  end: number;
  /** Index of the enclosing composite's event, -1 at top level. */
  readonly parent: number;
  /** Nesting depth (0 at top level). */
  readonly depth: number;
  /** Shapes of the kernel's input views (recordShapes only; empty otherwise and for composites). */
  readonly shapes: readonly (readonly number[])[];
}

/** Backend methods timed as kernels. */
const KERNELS: ReadonlySet<string> = new Set([
  'fill', 'arange', 'copy', 'unary', 'binary', 'where', 'reduce', 'scan', 'matmul', 'im2col', 'col2im', 'maxPool2d', 'maxPool2dBackward', 'winogradConv', 'winogradWgrad', 'attention', 'attentionBackward',
  'gather', 'scatter', 'checkRange', 'adamStep', 'fused', 'matmulEpilogue', 'argsort', 'random', 'linalg',
]);
/** Kernels named with their first argument (the op): 'binary.add', 'reduce.sum', 'linalg.svd'. */
const NAMED_BY_OP: ReadonlySet<string> = new Set(['unary', 'binary', 'reduce', 'scan', 'linalg']);
/** Kernels whose output view comes first (the others write their last view argument). */
const OUT_FIRST: ReadonlySet<string> = new Set(['fill', 'arange', 'random', 'scatter', 'adamStep']);

const now = (): number => globalThis.performance.now() * 1000;

function isView(a: unknown): a is View {
  return typeof a === 'object' && a !== null && 'buf' in a && 'shape' in a && 'strides' in a;
}

/** The input shapes of a kernel call: its view arguments but the output (fused, linalg: their inputs). */
function inputShapes(method: string, args: readonly unknown[]): number[][] {
  if (method === 'fused' || method === 'linalg') return ((args[1] ?? []) as readonly View[]).map((v) => [...v.shape]);
  if (method === 'matmulEpilogue') return [args[0], args[1], ...(args[3] as readonly View[])].map((v) => [...(v as View).shape]);
  const views = args.filter(isView);
  if (method === 'fill' || method === 'arange' || method === 'random') return views.map((v) => [...v.shape]);
  // maxPool2d writes two views, attention two (out, lse), attentionBackward three (gq, gk, gv) after its five inputs.
  const ins = OUT_FIRST.has(method) ? views.slice(1) : views.slice(0, method === 'maxPool2d' ? 1 : method === 'attention' ? 3 : method === 'attentionBackward' ? 5 : -1);
  return ins.map((v) => [...v.shape]);
}

/** Records events while installed; `stop()` restores the previous mode and listener. */
export class ProfilerRecorder implements DispatchMode, ScopeListener {
  /** Every event in start order. */
  readonly events: ProfilerEvent[] = [];
  /** When recording started (performance.now, µs). */
  readonly t0: number;
  private open: number[] = [];
  private wrapped = new WeakMap<Backend, Backend>();
  private readonly prevMode: DispatchMode | null;
  private readonly prevScope: ScopeListener | null;
  private active = true;
  /**
   * What the wrapped backends call back into; emptied by stop(), so the wrappers (which tensors
   * made while recording keep as their storage's backend) then forward calls and hold no events.
   */
  private readonly sink: { rec: ProfilerRecorder | null } = { rec: this };

  constructor(private readonly recordShapes: boolean) {
    this.t0 = now();
    this.prevMode = setDispatchMode(this);
    this.prevScope = setScopeListener(this);
  }

  /** Eager code inside a capture beneath: that capture decides (see Capture.eager). */
  eager<T>(reason: string, f: () => T): T { return this.prevMode?.eager ? this.prevMode.eager(reason, f) : f(); }
  /** Only observes: a capture beneath it still counts as capturing. */
  get capturing(): boolean { return this.prevMode !== null && this.prevMode.capturing !== false; }

  backendFor(d: Device, real: Backend): Backend {
    const inner = this.prevMode === null ? real : this.prevMode.backendFor(d, real);
    let w = this.wrapped.get(inner);
    if (!w) { w = this.wrap(inner); this.wrapped.set(inner, w); }
    return w;
  }

  enter(name: string, attrs: Record<string, unknown>): void {
    this.begin(name, 'op', null, []);
    this.prevScope?.enter(name, attrs);
  }

  exit(): void {
    try { this.prevScope?.exit(); } finally { this.finish(this.open[this.open.length - 1]); }
  }

  /** Uninstalls the recorder (idempotent); events still open are closed now. */
  stop(): void {
    if (!this.active) return;
    this.active = false;
    this.sink.rec = null;
    setDispatchMode(this.prevMode);
    setScopeListener(this.prevScope);
    while (this.open.length) this.finish(this.open[this.open.length - 1]);
  }

  private begin(name: string, kind: 'op' | 'kernel', device: Device | null, shapes: number[][]): number {
    const parent = this.open.length ? this.open[this.open.length - 1]! : -1;
    const i = this.events.length;
    this.events.push({ name, kind, device, start: now() - this.t0, end: Number.NaN, parent, depth: this.open.length, shapes });
    this.open.push(i);
    return i;
  }

  private finish(i: number | undefined): void {
    if (i === undefined) return;
    const k = this.open.lastIndexOf(i);
    if (k < 0) return;
    const t = now() - this.t0;
    // Close i and anything left open inside it (an exception skipped their exits).
    for (const j of this.open.splice(k)) this.events[j]!.end = t;
  }

  private wrap(inner: Backend): Backend {
    const sink = this.sink;
    const methods = new Map<PropertyKey, { fn: unknown; m: unknown }>();
    return new Proxy(inner, {
      get: (target, p) => {
        const v: unknown = Reflect.get(target, p, target);
        if (typeof v !== 'function') return v;
        let m = methods.get(p)?.fn === v ? methods.get(p)!.m : undefined;
        if (m === undefined) {
          const fn = v as (...a: unknown[]) => unknown;
          const name = String(p);
          m = KERNELS.has(name)
            ? (...args: unknown[]): unknown => {
                const rec = sink.rec;
                if (rec === null) return fn.apply(target, args);
                const key = NAMED_BY_OP.has(name) ? `${name}.${String(args[0])}` : name;
                const i = rec.begin(key, 'kernel', target.device, rec.recordShapes ? inputShapes(name, args) : []);
                // WebGPU timestamp queries attribute the passes this call records to its event.
                const tagged = target as { setKernelTag?(tag: number): void };
                tagged.setKernelTag?.(i);
                try { return fn.apply(target, args); } finally { tagged.setKernelTag?.(-1); rec.finish(i); }
              }
            : fn.bind(target);
          methods.set(p, { fn: v, m });
        }
        return m;
      },
    });
  }
}
