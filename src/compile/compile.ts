// torch.compile for functions (nn/optimized-module.ts wraps modules): guards, a cache of compiled
// entries, recompiles, automatic dynamic dims, graph breaks, and the compiled backward.
// An entry is either a whole graph (traced once on placeholders, then replayed without running the
// JS again; its backward traced jointly and replayed by one autograd node) or, after a graph break
// or for dynamic dims, "lazy" (./lazy.ts) (ARCHITECTURE.md "Graph capture and torch.compile").

import type { BufferHandle, Device } from '../backends/backend.js';
import { isCapturing, realBackend } from '../backends/registry.js';
import { isFloating, type DType } from '../dtype.js';
import { contiguousStrides, fmtShape } from '../shape.js';
import { state } from '../state.js';
import { Tensor, isTensor } from '../tensor.js';
import { Storage, storageOf } from '../memory.js';
import { Node, nextNodeSeq, runBackward, AccumulateGrad, type Edge } from '../autograd/graph.js';
import { enableGrad, noGrad } from '../autograd/grad-mode.js';
import { PrimNode } from '../ops/prim.js';
import { zeros } from '../ops/creation.js';
import { Capture, GraphBreak, isWholeBuffer, type GNode } from './capture.js';
import { dataflow, Program, type Binding, type ProgramStats } from './program.js';
import { VBuf } from './vbuf.js';
import { log, logEnabled } from './logs.js';
import { runLazy, type Segment } from './lazy.js';
import { autocastStateKey } from '../amp/autocast.js';

/** Options of torch.compile (PyTorch's names). */
export interface CompileOptions {
  /** A graph break is an error instead of running that part eagerly (default false). */
  fullgraph?: boolean;
  /** true: every dim dynamic from the start; false: never (recompile per size); default: automatic after a size change. */
  dynamic?: boolean | null;
  /** 'default' | 'reduce-overhead' | 'max-autotune' | 'max-autotune-no-cudagraphs' (all compile the same way here). */
  mode?: 'default' | 'reduce-overhead' | 'max-autotune' | 'max-autotune-no-cudagraphs';
  /** 'inductor' (default: all passes and fused kernels) or 'eager' / 'aot_eager' (captured and replayed without fusion). */
  backend?: 'inductor' | 'eager' | 'aot_eager';
  /** Run the function as written (torch.compile(..., disable=True)). */
  disable?: boolean;
}

/** What compiling a function did so far (tests and benchmarks read it). */
export interface CompileInfo {
  /** Cache entries compiled (the first compile plus recompiles). */
  compiles: number;
  /** Why each recompile happened. */
  recompileReasons: string[];
  /** Graph breaks seen: reason and user location. */
  graphBreaks: { reason: string; where: string }[];
  /** Whether the recompile limit sent the function back to eager. */
  eagerFallback: boolean;
  /** Statistics of the latest forward program built. */
  forward: ProgramStats | null;
  /** Statistics of the latest backward program built (null without a compiled backward). */
  backward: ProgramStats | null;
  /** Kernel launches of the latest call (forward; backward counted when it ran). */
  lastKernels: number;
}

/** The parts of an nn.Module a compiled forward guards on. */
export interface GuardedModule {
  readonly training: boolean;
  modules(): Iterable<{ training: boolean; constructor: { name: string } }>;
  namedParameters(): [string, Tensor][];
  namedBuffers(): [string, Tensor][];
}

/** The recompile limit (PyTorch's torch._dynamo.config.cache_size_limit). */
export const CACHE_SIZE_LIMIT = 8;

// ------------------------------------------------------------------ argument structure

type Skeleton = unknown;
/** Replaces tensors in a nested value by {$t: index} (collecting them), keeping everything else. */
export function flatten(v: unknown, out: Tensor[], depth = 0): Skeleton {
  if (isTensor(v)) { out.push(v); return { $t: out.length - 1 }; }
  if (depth > 8 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => flatten(x, out, depth + 1));
  if (Object.getPrototypeOf(v) === Object.prototype) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, flatten(x, out, depth + 1)]));
  return v;
}
function unflatten(s: Skeleton, ts: readonly Tensor[]): unknown {
  if (s === null || typeof s !== 'object') return s;
  if (Array.isArray(s)) return s.map((x) => unflatten(x, ts));
  if (Object.getPrototypeOf(s) !== Object.prototype) return s;
  const o = s as Record<string, unknown>;
  if (typeof o.$t === 'number' && Object.keys(o).length === 1) return ts[o.$t]!;
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unflatten(x, ts)]));
}
/**
 * The guard key of the non-tensor arguments. Numbers go through valueKey's rule (JSON writes
 * Infinity, -Infinity and NaN alike); functions and class instances (a module passed as an
 * argument) are guarded by identity: they are numbered in `objs`, compared with ===.
 */
function skeletonKey(s: Skeleton, objs: object[]): string {
  const num = (v: number) => (Number.isFinite(v) && !Object.is(v, -0) ? v : { $num: Object.is(v, -0) ? '-0' : String(v) });
  const obj = (v: object) => { let i = objs.indexOf(v); if (i < 0) { i = objs.length; objs.push(v); } return `obj#${i}`; };
  try {
    return JSON.stringify(s, (_k, v) => (typeof v === 'number' ? num(v) : typeof v === 'function' ? obj(v as object)
      : typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype ? obj(v as object) : v));
  } catch { return `unserializable#${obj(s as object)}`; }
}

// ------------------------------------------------------------------ guards

/** `copied`: a view that is not its whole buffer and shares it with no other argument: graphs read a packed copy. */
interface TensorGuard { shape: number[]; strides: readonly number[]; offset: number; dtype: DType; device: Device; requiresGrad: boolean; alias: number; copied: boolean }
interface Guards {
  tensors: TensorGuard[];
  skeleton: string;
  /** Functions and class instances among the non-tensor arguments (guarded by identity). */
  objects: object[];
  grad: boolean;
  /** torch.autocast's state (autocastStateKey): a graph traced in a region casts, one traced outside does not. */
  autocast: string;
  training: string;
  params: Tensor[];
  paramBufs: BufferHandle[];
  paramGrad: string;
}

function aliasIndex(ts: readonly Tensor[], i: number): number {
  for (let j = 0; j < i; j++) if (ts[j]!.storage === ts[i]!.storage) return j;
  return -1;
}


function currentGuards(ts: readonly Tensor[], skel: Skeleton, mod: GuardedModule | null): Guards {
  const objects: object[] = [];
  const params = mod ? [...mod.namedParameters().map(([, p]) => p), ...mod.namedBuffers().map(([, b]) => b)] : [];
  return {
    tensors: ts.map((t, i) => {
      const alias = aliasIndex(ts, i);
      const copied = !isWholeBuffer(t.view_()) && alias < 0 && !ts.some((u, j) => j > i && u.storage === t.storage);
      return { shape: [...t.shape], strides: t.strides_, offset: t.offset, dtype: t.dtype, device: t.device, requiresGrad: t.requiresGrad, alias, copied };
    }),
    skeleton: skeletonKey(skel, objects),
    objects,
    grad: state.gradEnabled,
    autocast: autocastStateKey(),
    training: mod ? [...mod.modules()].map((m) => (m.training ? '1' : '0')).join('') : '',
    params,
    paramBufs: params.map((p) => p.storage.buf),
    paramGrad: params.map((p) => (p.requiresGrad ? '1' : '0')).join(''),
  };
}

/** Why `g` fails the entry's guards (null: it passes); `dyn` lists the entry's dynamic dims. */
function guardFailure(e: Entry, g: Guards): string | null {
  if (e.guards.tensors.length !== g.tensors.length) return `number of tensor arguments changed (expected ${e.guards.tensors.length}, got ${g.tensors.length})`;
  if (e.guards.skeleton !== g.skeleton) return `non-tensor arguments changed (expected ${e.guards.skeleton}, got ${g.skeleton})`;
  if (e.guards.objects.some((o, i) => o !== g.objects[i])) return 'an object or function argument is another one';
  for (let i = 0; i < g.tensors.length; i++) {
    const a = e.guards.tensors[i]!, b = g.tensors[i]!;
    const name = `args[${i}]`;
    if (a.dtype !== b.dtype) return `tensor '${name}' dtype mismatch. expected ${a.dtype}, actual ${b.dtype}`;
    if (a.device !== b.device) return `tensor '${name}' device mismatch. expected ${a.device}, actual ${b.device}`;
    if (a.requiresGrad !== b.requiresGrad) return `tensor '${name}' requires_grad mismatch. expected requires_grad=${a.requiresGrad}`;
    if (a.shape.length !== b.shape.length) return `tensor '${name}' rank mismatch. expected ${a.shape.length}, actual ${b.shape.length}`;
    for (let d = 0; d < a.shape.length; d++) {
      if (a.shape[d] !== -1 && a.shape[d] !== b.shape[d]) return `tensor '${name}' size mismatch at index ${d}. expected ${a.shape[d]}, actual ${b.shape[d]}`;
    }
    // Graphs bind argument buffers as traced, except views they copy (any strides and offset then).
    if (e.mode === 'graph' && a.copied !== b.copied) return `tensor '${name}' layout changed (${b.copied ? 'a view into a larger buffer' : 'a whole contiguous buffer'} now)`;
    if (e.mode === 'graph' && !a.copied) {
      if (a.offset !== b.offset || a.strides.some((s, d) => s !== b.strides[d])) return `tensor '${name}' stride mismatch. expected ${fmtShape(a.strides)} at offset ${a.offset}, actual ${fmtShape(b.strides)} at offset ${b.offset}`;
      if (a.alias !== b.alias) return `tensor '${name}' aliasing changed`;
    }
  }
  if (e.guards.grad !== g.grad) return `grad mode changed (expected ${e.guards.grad ? 'enabled' : 'disabled'})`;
  if (e.guards.autocast !== g.autocast) return `autocast state changed (expected ${e.guards.autocast || 'off'}, got ${g.autocast || 'off'})`;
  if (e.guards.training !== g.training) return `module training flag changed (training=${g.training[0] === '1'})`;
  if (e.guards.params.length !== g.params.length || e.guards.params.some((p, i) => p !== g.params[i])) return 'module parameters or buffers changed identity';
  if (e.guards.paramBufs.some((b, i) => b !== g.paramBufs[i])) return 'a parameter or buffer was moved or reallocated (e.g. by .to())';
  if (e.guards.paramGrad !== g.paramGrad) return 'a parameter\'s requires_grad changed';
  for (const s of e.externStorages) if (s.freed) return 'a tensor the function captured was freed';
  return null;
}

// ------------------------------------------------------------------ entries

interface OutDesc { buf: VBuf; shape: readonly number[]; strides: readonly number[]; offset: number; dtype: DType; requiresGrad: boolean; real: Tensor | null; arg?: number }
/** One compiled cache entry of a function (graph or lazy mode). */
export interface Entry {
  guards: Guards;
  mode: 'graph' | 'lazy';
  dynamic: Set<string>;
  // graph mode
  inputs?: VBuf[];
  fwd?: Program;
  bwd?: Program;
  outSkel?: Skeleton;
  outs?: OutDesc[];
  saved?: VBuf[];
  /** Backward: placeholders of the differentiable outputs' gradients, the boundary and the captured grads. */
  diffOuts?: number[];
  gradIns?: VBuf[];
  boundary?: { edge: Edge; input: number | null }[];
  captured?: (OutDesc | null)[];
  externStorages: Storage[];
  // lazy mode
  segments?: Map<string, Segment>;
}

const describe = (t: Tensor): OutDesc => ({
  buf: t.storage.buf instanceof VBuf ? t.storage.buf : new VBuf(0, t.device, 'extern', t.storage.buf),
  shape: t.shape, strides: t.strides_, offset: t.offset, dtype: t.dtype, requiresGrad: t.requiresGrad,
  real: t.storage.buf instanceof VBuf ? null : t,
});

interface Cache { reset(): void }
/** Every live compiled function's cache, so torch.compiler.reset() can clear them (weakly held). */
const allCaches = new Set<WeakRef<Cache>>();
/** A compiled function that is garbage frees its programs' kept buffers (arena, constants). */
const freeOnCollect = new FinalizationRegistry<Cache>((c) => c.reset());
/** torch.compiler.reset(): forgets every compiled entry (the next calls compile again). */
export function resetCompiled(): void {
  for (const r of allCaches) { const c = r.deref(); if (c) c.reset(); else allCaches.delete(r); }
}

/** A compiled function: same signature as fn; `info` says what compiling did. */
export type CompiledFunction<F extends (...args: never[]) => unknown> = F & { readonly compileInfo: CompileInfo };

/** torch.compile for a function (for a module's forward, pass the module to guard on). */
export function compileFunction<F extends (...args: never[]) => unknown>(fn: F, opts: CompileOptions = {}, mod: GuardedModule | null = null): CompiledFunction<F> {
  checkOptions(opts);
  // Logs name a module's compiled forward as PyTorch does (its class and method), not the wrapper.
  const name = mod ? `${(mod as unknown as { constructor: { name: string } }).constructor.name}.forward` : fn.name || 'fn';
  const info: CompileInfo = { compiles: 0, recompileReasons: [], graphBreaks: [], eagerFallback: false, forward: null, backward: null, lastKernels: 0 };
  let entries: Entry[] = [];
  const dynamicDims = new Set<string>();
  const seenBreaks = new Set<string>();
  const cache: Cache = { reset: () => { for (const e of entries) { e.fwd?.dispose(); e.bwd?.dispose(); } entries = []; dynamicDims.clear(); info.eagerFallback = false; } };
  allCaches.add(new WeakRef(cache));
  const fuse = opts.backend === undefined || opts.backend === 'inductor';
  const noteBreak = (b: GraphBreak) => {
    const k = `${b.reason}@${b.where}`;
    if (seenBreaks.has(k)) return;
    seenBreaks.add(k);
    info.graphBreaks.push({ reason: b.reason, where: b.where });
    log('graph_breaks', `Graph break in ${name}: ${b.reason}${b.where ? `\n  at ${b.where}` : ''}`);
  };

  const compiled = function (this: unknown, ...args: unknown[]): unknown {
    // Disabled, given up on, or called while another function is captured (then it is inlined there).
    if (opts.disable || info.eagerFallback || isCapturing()) return fn.apply(this, args as never);
    const ts: Tensor[] = [];
    const skel = flatten(args, ts);
    const g = currentGuards(ts, skel, mod);
    let reason: string | null = null;
    for (const e of entries) {
      const r = guardFailure(e, g);
      if (r === null) return e.mode === 'graph' ? runGraph(e, ts, info, () => fn.apply(this, args as never)) : runLazy(e, () => fn.apply(this, args as never), info, fuse, noteBreak, opts);
      reason = r; // the newest entry's failure is the one reported (the others failed before)
    }
    if (entries.length >= CACHE_SIZE_LIMIT) {
      info.eagerFallback = true;
      console.warn(`torch.compile: ${name} hit the recompile limit (${CACHE_SIZE_LIMIT}); running it eagerly from now on. Last reason: ${reason}`);
      return fn.apply(this, args as never);
    }
    if (reason !== null) {
      info.recompileReasons.push(reason);
      log('recompiles', `Recompiling function ${name}\n    triggered by the following guard failure(s):\n    - ${reason}`);
      const m = /^tensor 'args\[(\d+)\]' size mismatch at index (\d+)/.exec(reason);
      if (m && opts.dynamic !== false) dynamicDims.add(`${m[1]}:${m[2]}`);
    }
    const e: Entry = { guards: g, mode: 'graph', dynamic: new Set(dynamicDims), externStorages: [] };
    if (opts.dynamic === true) ts.forEach((t, i) => t.shape.forEach((_, d) => e.dynamic.add(`${i}:${d}`)));
    for (const k of e.dynamic) {
      const [i, d] = k.split(':').map(Number) as [number, number];
      const tg = e.guards.tensors[i];
      if (tg && d < tg.shape.length) tg.shape[d] = -1;
    }
    info.compiles++;
    if (e.dynamic.size > 0) {
      // Shapes change from call to call: record per call, reuse segment programs and kernels.
      e.mode = 'lazy';
      entries.push(e);
      return runLazy(e, () => fn.apply(this, args as never), info, fuse, noteBreak, opts);
    }
    const res = trace(e, fn, this, skel, ts, fuse, mod);
    if (res instanceof GraphBreak) {
      if (opts.fullgraph) throw new Error(`torch.compile(fullgraph=true): ${name} has a graph break: ${res.reason}${res.where ? ` at ${res.where}` : ''}`);
      noteBreak(res);
      e.mode = 'lazy';
      entries.push(e);
      return runLazy(e, () => fn.apply(this, args as never), info, fuse, noteBreak, opts);
    }
    entries.push(e);
    info.forward = e.fwd!.stats;
    info.backward = e.bwd?.stats ?? null;
    if (logEnabled('graph_code')) log('graph_code', `Compiled ${name}: forward ${JSON.stringify(e.fwd!.stats)}${e.bwd ? `, backward ${JSON.stringify(e.bwd.stats)}` : ''}`);
    return runGraph(e, ts, info, () => fn.apply(this, args as never));
  } as unknown as CompiledFunction<F>;
  Object.defineProperty(compiled, 'compileInfo', { value: info, enumerable: false });
  Object.defineProperty(compiled, '_cache', { value: cache, enumerable: false }); // keeps the weak entry alive as long as the function
  freeOnCollect.register(compiled, cache);
  Object.defineProperty(compiled, 'name', { value: name });
  return compiled;
}

function checkOptions(o: CompileOptions): void {
  const known = new Set(['fullgraph', 'dynamic', 'mode', 'backend', 'disable', 'options']);
  for (const k of Object.keys(o)) if (!known.has(k)) throw new TypeError(`compile() got an unexpected keyword argument '${k}'`);
  const modes = ['default', 'reduce-overhead', 'max-autotune', 'max-autotune-no-cudagraphs'];
  if (o.mode !== undefined && !modes.includes(o.mode)) throw new Error(`Unrecognized mode=${String(o.mode)}, should be one of: ${modes.join(', ')}`);
  const backends = ['inductor', 'eager', 'aot_eager'];
  if (o.backend !== undefined && !backends.includes(o.backend)) throw new Error(`backend='${String(o.backend)}' is not a registered backend; expected one of ${backends.join(', ')}`);
}

// ------------------------------------------------------------------ graph mode: trace once, replay

/** Traces fn on placeholders into e (forward and joint backward programs), or returns the graph break. */
function trace(e: Entry, fn: (...a: never[]) => unknown, self: unknown, skel: Skeleton, ts: Tensor[], fuse: boolean, mod: GuardedModule | null): GraphBreak | null {
  const cap = new Capture();
  const seq0 = nextNodeSeq();
  const rand = [state.seed, state.offset] as const;
  const byStorage = new Map<Storage, VBuf>();
  const inputs: VBuf[] = [];
  const phs = ts.map((t, i) => {
    if (e.guards.tensors[i]!.copied) {
      // A view into a larger buffer (a batch narrowed from a dataset): the graph reads a packed copy,
      // so other offsets and strides reuse it.
      const vb = new VBuf(t.numel() * t.elementSize(), t.device, 'input');
      cap.g.inputs.push(vb);
      inputs.push(vb);
      return cap.placeholder(vb, t, true);
    }
    let vb = byStorage.get(t.storage);
    if (!vb) { vb = new VBuf(t.storage.buf.nbytes, t.device, 'input'); byStorage.set(t.storage, vb); cap.g.inputs.push(vb); }
    inputs.push(vb);
    return cap.placeholder(vb, t);
  });
  let out: unknown;
  const outTs: Tensor[] = [];
  let outSkel: Skeleton;
  try {
    out = cap.run(() => fn.apply(self, unflatten(skel, phs) as never));
    // An async function's promise ran on placeholders: its outcome (a graph break's rejection, most
    // often) is discarded, and must not surface later as an unhandled rejection that ends the process.
    if (out instanceof Promise) out.catch(() => {});
    if (cap.broke) return cap.broke;
    outSkel = flatten(out, outTs);
    if (out instanceof Promise) throw new Error('torch.compile: the function returned a Promise; compile a synchronous function (host reads are graph breaks)');
  } catch (err) {
    if (cap.broke) return cap.broke;
    throw err;
  } finally {
    state.seed = rand[0]; state.offset = rand[1]; // the trace drew nothing: each run draws its own numbers
  }
  // A forward that keeps a tensor on the module (`this.attn = w`) would leave a placeholder there:
  // such a function runs lazily, where every live result gets real memory.
  if (mod) {
    for (const m of mod.modules()) {
      for (const v of Object.values(m)) {
        const vs = Array.isArray(v) ? v : [v];
        if (vs.some((t) => isTensor(t) && t.storage.buf instanceof VBuf && (t.storage.buf as VBuf).kind === 'temp')) {
          return new GraphBreak(`${m.constructor.name}.forward stores a tensor on the module`, '');
        }
      }
    }
  }
  const fwdNodes = cap.g.nodes.slice();
  // An argument returned as it is comes back as the caller's own tensor (its autograd history intact).
  const outs = outTs.map((t) => { const d = describe(t); const a = phs.indexOf(t); if (a >= 0) d.arg = a; return d; });
  // A returned view of a copied argument must alias the caller's tensor: bind that one as it is.
  const aliased = e.guards.tensors.findIndex((g, i) => g.copied && outs.some((o) => o.buf === inputs[i] && o.arg === undefined));
  if (aliased >= 0) {
    e.guards.tensors[aliased]!.copied = false;
    return trace(e, fn, self, skel, ts, fuse, mod);
  }
  e.inputs = inputs;
  e.outSkel = outSkel;
  e.outs = outs;
  e.externStorages = [...cap.g.externs.keys()].map((b) => storageOf(b)).filter((s): s is Storage => !!s);

  // The joint backward: run the engine on the placeholders' graph, stopping at its boundary.
  const diff = outTs.map((t, i) => (t.gradFn_ && isFloating(t.dtype) ? i : -1)).filter((i) => i >= 0);
  let bwdNodes: GNode[] = [];
  if (state.gradEnabled && diff.length) {
    const boundary = findBoundary(diff.map((i) => outTs[i]!), seq0);
    if (boundary instanceof GraphBreak) return boundary;
    const gradIns = diff.map((i) => new VBuf(outTs[i]!.numel() * outTs[i]!.elementSize(), outTs[i]!.device, 'input'));
    const seeds = diff.map((i, k) => {
      const o = outTs[i]!;
      return new Tensor(new Storage(cap.recorder(o.device), gradIns[k]!, 0), o.shape, contiguousStrides(o.shape), 0, o.dtype);
    });
    const split = cap.g.nodes.length;
    let grads: (Tensor | null)[];
    try {
      grads = cap.run(() => runBackward(diff.map((i) => outTs[i]!), seeds, { stopAtCapture: true }, boundary.map((b) => b.edge)))!;
    } catch (err) {
      if (cap.broke) return cap.broke;
      throw err;
    }
    bwdNodes = cap.g.nodes.slice(split);
    e.diffOuts = diff;
    e.gradIns = gradIns;
    e.boundary = boundary.map((b) => ({ edge: b.edge, input: b.placeholder ? phs.indexOf(b.placeholder) : null }));
    e.captured = grads.map((t) => (t ? describe(t) : null));
  }
  // Forward escapes: outputs and what backward reads of the forward's temporaries.
  const fwdWritten = new Set<VBuf>();
  for (const n of fwdNodes) for (const b of n.writes) if (b.kind === 'temp') fwdWritten.add(b);
  const saved = new Set<VBuf>();
  for (const n of bwdNodes) for (const b of n.reads) if (fwdWritten.has(b)) saved.add(b);
  // A constant the backward reads (a scalar a mul saved, a fill or arange of the forward written
  // once from nothing): the backward makes its own, hoisted to its first run, rather than receiving
  // a fresh copy filled by every forward run.
  const fwdWrites = dataflow(fwdNodes).writers;
  const remade = fwdNodes.filter((n) => (n.kind === 'fill' || n.kind === 'arange') && n.reads.length === 0 && n.writes.length === 1
    && saved.has(n.writes[0]!) && fwdWrites.get(n.writes[0]!) === 1 && !(e.captured ?? []).some((c) => c?.buf === n.writes[0]));
  for (const n of remade) saved.delete(n.writes[0]!);
  if (remade.length) bwdNodes = [...remade, ...bwdNodes];
  for (const c of e.captured ?? []) if (c && fwdWritten.has(c.buf)) saved.add(c.buf);
  e.saved = [...saved];
  const fwdEsc = new Set<VBuf>([...outs.filter((o) => !o.real).map((o) => o.buf), ...saved]);
  e.fwd = new Program({ nodes: fwdNodes, randomBlocks: cap.g.randomBlocks }, fwdEsc, fuse);
  if (e.captured) {
    const bwdEsc = new Set<VBuf>(e.captured.filter((c): c is OutDesc => !!c && !c.real).map((c) => c.buf));
    e.bwd = new Program({ nodes: bwdNodes, randomBlocks: 0 }, bwdEsc, fuse, saved);
  }
  return null;
}

/**
 * The edges where the traced backward leaves the compiled region: leaves (the placeholders'
 * and parameters' AccumulateGrad) and nodes made before the trace. Non-primitive nodes inside
 * (custom Functions, module backward hooks, tensor hooks) cannot be replayed: a graph break.
 */
function findBoundary(roots: Tensor[], seq0: number): { edge: Edge; placeholder: Tensor | null }[] | GraphBreak {
  const out: { edge: Edge; placeholder: Tensor | null }[] = [];
  const seen = new Set<Node>();
  const stack: Node[] = [];
  const key = new Set<string>();
  const visit = (n: Node) => { if (!seen.has(n)) { seen.add(n); stack.push(n); } };
  for (const r of roots) visit(r.gradFn_!);
  while (stack.length) {
    const n = stack.pop()!;
    if (!(n instanceof PrimNode) || n.outputHooks || n.retained) {
      return new GraphBreak(`backward through ${n.name} (a custom autograd.Function, backward hook or retainGrad inside the compiled function)`, '');
    }
    for (const e of n.next) {
      if (!e) continue;
      if (e.node instanceof AccumulateGrad || e.node.seq < seq0) {
        const k = `${e.node.seq}:${e.outputNr}`;
        if (!key.has(k)) {
          key.add(k);
          const v = e.node instanceof AccumulateGrad ? e.node.variable : null;
          out.push({ edge: e, placeholder: v && v.storage.buf instanceof VBuf && (v.storage.buf as VBuf).kind === 'input' ? v : null });
        }
      } else visit(e.node);
    }
  }
  return out;
}

/** Builds the tensors a run returns from the program's buffers. */
function materializeOuts(descs: readonly OutDesc[], res: Binding, storages: Map<VBuf, Storage>, args: readonly Tensor[] = []): Tensor[] {
  return descs.map((d) => {
    if (d.real) return d.real;
    if (d.arg !== undefined) return args[d.arg]!;
    let s = storages.get(d.buf);
    if (!s) {
      const buf = res.get(d.buf);
      if (!buf) throw new Error('compiled graph: an output has no buffer (internal error)');
      s = new Storage(realBackend(d.buf.device), buf, d.buf.nbytes);
      storages.set(d.buf, s);
    }
    return new Tensor(s, d.shape, d.strides, d.offset, d.dtype);
  });
}

function runGraph(e: Entry, ts: Tensor[], info: CompileInfo, rerun: () => unknown): unknown {
  const rand = [state.seed, state.offset] as const;
  const bind: Binding = new Map();
  const storages = new Map<VBuf, Storage>();
  const copies: Tensor[] = [];
  const bound = ts.map((t, i) => {
    if (!e.guards.tensors[i]!.copied) return t;
    const c = noGrad(() => t.clone());
    copies.push(c);
    return c;
  });
  e.inputs!.forEach((vb, i) => { bind.set(vb, bound[i]!.storage.buf); storages.set(vb, bound[i]!.storage); });
  let res: Binding;
  try { res = e.fwd!.run(bind); } catch (err) { for (const c of copies) c.dispose(); throw err; }
  info.lastKernels = e.fwd!.stats.kernels;
  const outs = materializeOuts(e.outs!, res, storages, ts);
  // Saved values not returned: storages owned by the backward node.
  for (const vb of e.saved!) if (!storages.has(vb)) storages.set(vb, new Storage(realBackend(vb.device), res.get(vb)!, vb.nbytes));
  if (e.bwd && state.gradEnabled) {
    const node = new CompiledBackward(e, ts, bound, storages, info, rerun, rand);
    e.diffOuts!.forEach((oi, k) => { outs[oi]!.setGradFn_(node, k); });
  } else {
    for (const vb of e.saved!) { const s = storages.get(vb)!; if (s.refs === 0) s.release(); }
  }
  // The packed copies: the backward node and any returned view of them hold what they need.
  for (const c of copies) c.dispose();
  return unflatten(e.outSkel, outs);
}

/** The autograd node of a compiled forward: replays the compiled backward program. */
class CompiledBackward extends Node {
  readonly name = 'CompiledFunctionBackward';
  private readonly saved: Map<VBuf, Storage>;
  /** The buffers of the arguments (packed copies for copied views), held for the backward program. */
  private readonly inputs: Storage[];
  constructor(private readonly e: Entry, args: Tensor[], bound: Tensor[], storages: Map<VBuf, Storage>, private readonly info: CompileInfo,
    private readonly rerun: () => unknown, private readonly rand: readonly [number, number]) {
    super();
    this.nOutputs = e.diffOuts!.length;
    this.inputs = bound.map((t) => t.storage);
    this.saved = new Map();
    for (const vb of e.saved!) { const s = storages.get(vb)!; s.retain(); this.saved.set(vb, s); }
    for (const s of this.inputs) s.retain();
    this.link(e.boundary!.map((b) => (b.input === null ? b.edge : args[b.input]!.gradEdge())));
  }

  apply(grads: (Tensor | null)[]): (Tensor | null)[] {
    if (state.gradEnabled) return this.eager(grads);
    const e = this.e;
    const bind: Binding = new Map();
    const storages = new Map<VBuf, Storage>();
    const made: Tensor[] = [];
    e.gradIns!.forEach((vb, k) => {
      const o = e.outs![e.diffOuts![k]!]!;
      let g = grads[k] ?? null;
      if (!g) { g = zeros([...o.shape], { dtype: o.dtype, device: o.buf.device }); made.push(g); }
      else if (!(g.isContiguous() && g.offset === 0 && g.storage.buf.nbytes === vb.nbytes)) { g = g.contiguous().clone(); made.push(g); }
      bind.set(vb, g.storage.buf);
      storages.set(vb, g.storage);
    });
    for (const [vb, s] of this.saved) { bind.set(vb, s.buf); storages.set(vb, s); }
    e.inputs!.forEach((vb, i) => { bind.set(vb, this.inputs[i]!.buf); storages.set(vb, this.inputs[i]!); });
    const res = e.bwd!.run(bind);
    this.info.lastKernels += e.bwd!.stats.kernels;
    const out = e.captured!.map((c) => (c ? materializeOuts([c], res, storages)[0]! : null));
    for (const t of made) t.dispose();
    return out;
  }

  /**
   * Higher-order gradients (backward with createGraph): the compiled backward computes values only,
   * so the function runs again eagerly on the same inputs and random stream, and its own graph
   * gives differentiable gradients, up to this node's boundary.
   */
  private eager(grads: (Tensor | null)[]): (Tensor | null)[] {
    const s = state.seed, o = state.offset;
    state.seed = this.rand[0]; state.offset = this.rand[1];
    let out: unknown;
    try { out = enableGrad(() => this.rerun()); } finally { state.seed = s; state.offset = o; }
    const outs: Tensor[] = [];
    flatten(out, outs);
    const roots: Tensor[] = [], seeds: Tensor[] = [];
    this.e.diffOuts!.forEach((oi, k) => { const g = grads[k]; if (g && outs[oi]?.requiresGrad) { roots.push(outs[oi]!); seeds.push(g); } });
    if (!roots.length) return this.next.map(() => null);
    return runBackward(roots, seeds, { createGraph: true, retainGraph: true, stopAtCapture: true }, this.next.map((e) => e!))!;
  }

  override release(): void {
    if (this.released) return;
    super.release();
    for (const s of this.saved.values()) s.release();
    for (const s of this.inputs) s.release();
    this.saved.clear();
  }
}

