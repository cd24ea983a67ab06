// A captured Graph made runnable: passes (dead-code elimination, CSE, constant hoisting, fusion of
// elementwise chains into Backend.fused programs, memory planning with in-place reuse) and an
// executor that replays the primitive calls on the real backends. Buffers a program returns
// (`escapes`) are fresh per run; other temporaries live in an arena the program keeps across runs.

import type { Backend, BufferHandle, Device, View } from '../backends/backend.js';
import { execBackend, realBackend } from '../backends/registry.js';
import { runComposed, type FusedProgram, type FusedStep } from '../backends/fused.js';
import type { BinaryOp, LinalgKernel, UnaryOp } from '../backends/backend.js';
import { itemSize, type DType } from '../dtype.js';
import { contiguousStrides, isContiguous, numel, shapesEqual, viewStrides } from '../shape.js';
import { nextRandom } from '../state.js';
import { isView, isWholeBuffer, type GNode, type Graph } from './capture.js';
import { VBuf } from './vbuf.js';

/** What a run binds and returns: real buffers by VBuf. */
export type Binding = Map<VBuf, BufferHandle>;

/** Pass statistics (TORCHLET_LOGS=graph_code prints them; tests read them). */
export interface ProgramStats {
  /** Primitive calls captured. */
  captured: number;
  /** Kernel launches per run after the passes (hoisted constants not counted). */
  kernels: number;
  removedDead: number;
  removedCommon: number;
  hoistedConstants: number;
  /** Elementwise ops on a small tensor recomputed inside the kernels that read them broadcast (`sink`). */
  sunk: number;
  /** Copies that write straight into the buffer a later copy would have moved their values to (`forwardCopies`). */
  forwarded: number;
  /** Fused kernels, and how many primitives they replaced. */
  fused: number;
  fusedPrimitives: number;
  /** Matmuls whose elementwise consumer runs as their epilogue (Backend.matmulEpilogue). */
  epilogues: number;
  /** In-place ops' copies back dropped: the kernel computing the value (a fused chain) writes the target itself. */
  stores: number;
  /** Temporaries sharing an arena buffer with an earlier one, and those computed in place. */
  reusedBuffers: number;
  inPlace: number;
  arenaBytes: number;
}

const PURE = new Set(['fill', 'arange', 'copy', 'unary', 'binary', 'where', 'reduce', 'scan', 'matmul', 'im2col', 'col2im', 'maxPool2d', 'maxPool2dBackward', 'winogradConv', 'winogradWgrad', 'attention', 'attentionBackward', 'gather', 'argsort']);
const ELEMENTWISE = new Set(['unary', 'binary', 'where', 'copy', 'fused']);
/** Reductions an elementwise prologue may fuse into (FusedProgram.reduce). */
const REDUCE_PROLOGUE = new Set(['sum', 'prod', 'max', 'min']);
const outView = (n: GNode): View => n.args.filter(isView).at(-1)!;

/**
 * A fusion group of fuse(): member nodes (indices), the buffers they produce and read from outside,
 * and `stores`: buffers the group writes for an in-place op (see `storeGroup`), among `produced`.
 */
interface Group { shape: readonly number[]; device: Device; members: number[]; produced: Set<VBuf>; extIn: Set<VBuf>; stores: Set<VBuf>; open: boolean }

/** Elementwise primitives broadcast sinking may recompute (see Program.sink). */
const SINKABLE = new Set(['unary', 'binary', 'where', 'copy']);
const CHEAP_UNARY = new Set(['neg', 'abs', 'relu', 'floor', 'ceil', 'trunc', 'round', 'sign', 'logicalNot', 'isnan', 'isinf', 'bitwiseNot']);
const CHEAP_BINARY = new Set(['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr', 'logicalXor']);
/** Whether a node is a SIMD op or two per element on the CPU (see Program.sink). */
const cheap = (n: GNode): boolean => n.kind === 'where' || n.kind === 'copy'
  || (n.kind === 'unary' ? CHEAP_UNARY.has(n.args[0] as string) : CHEAP_BINARY.has(n.args[0] as string));

/**
 * How view v (of `shape`) reads the whole contiguous result o: for each dim of `shape`, the dim of o
 * it walks (same size and o's stride), or -1 where it is broadcast (stride 0); null if v is not
 * such a broadcast of o (an offset, a transposition of o's dims, a dim of o read twice or not at all).
 */
function broadcastMap(v: View, o: View, shape: readonly number[]): number[] | null {
  if (v.offset !== o.offset || v.dtype !== o.dtype || !shapesEqual(v.shape, shape)) return null;
  const dims: number[] = [];
  let last = -1;
  for (let d = 0; d < shape.length; d++) {
    if (v.strides[d] === 0 || shape[d] === 1) { dims.push(-1); continue; }
    const k = o.shape.findIndex((n, j) => j > last && n === shape[d] && o.strides[j] === v.strides[d]);
    if (k < 0) return null;
    dims.push(k);
    last = k;
  }
  // Every dim of o longer than 1 is walked.
  return o.shape.every((n, j) => n === 1 || dims.includes(j)) ? dims : null;
}

/**
 * The dims of `shape` that view v walks, if v is the whole contiguous buffer of `shape` with its dims
 * permuted (a transpose of a fresh result): v's dim d is dim perm[d] of `shape`. Null otherwise.
 */
function permutation(v: View, shape: readonly number[]): number[] | null {
  const cs = contiguousStrides(shape), used = new Set<number>(), perm: number[] = [];
  if (v.offset !== 0 || v.shape.length !== shape.length || numel(shape) * itemSize[v.dtype] < v.buf.nbytes) return null;
  for (let d = 0; d < v.shape.length; d++) {
    const k = shape.findIndex((n, j) => !used.has(j) && n === v.shape[d] && (n === 1 || cs[j] === v.strides[d]));
    if (k < 0) return null;
    used.add(k);
    perm.push(k);
  }
  return perm;
}

/** View v over `shape` (the same elements in the same order), or null where strides cannot say it. */
function reshapeView(v: View, shape: readonly number[]): View | null {
  const st = viewStrides(v.shape, v.strides, shape);
  return st && { ...v, shape, strides: st };
}

/** Whether chains after a matmul become its epilogue on this device (Backend.compileEpilogues). */
function foldsEpilogues(device: Device): boolean {
  const b = realBackend(device);
  return typeof b.matmulEpilogue === 'function' && b.compileEpilogues !== false;
}

/** Rounds of broadcast sinking per program (one op each): enough for dozens of layer norms, each a few sinks. */
const SINK_ROUNDS = 512;

/** Node n with every view over `shape` (the same elements; null where a view cannot be so expressed). */
function reshapeNode(n: GNode, shape: readonly number[]): GNode | null {
  const views = n.args.filter(isView);
  if (!views.every((v) => numel(v.shape) === numel(shape))) return null;
  const map = new Map<View, View>();
  for (const v of views) {
    const r = reshapeView(v, shape);
    if (!r) return null;
    map.set(v, r);
  }
  return { ...n, args: n.args.map((a) => (isView(a) ? map.get(a)! : a)) };
}

/**
 * Where view d of buffer T lands when T is copied to W through view v (v walks every element of T
 * once): the view of W's buffer holding d's elements, or null where that is not one strided view
 * (a dim of d crossing a dim of v). Each dim of d must step along one dim of v.
 */
function composeView(d: View, v: View, w: View): View | null {
  if (v.offset !== 0) return null;
  // v's dims by stride, outermost first; each stride must be the product of the sizes inside it.
  const dims = v.shape.map((_n, k) => k).filter((k) => v.shape[k] !== 1).sort((a, b) => v.strides[b]! - v.strides[a]!);
  let inner = 1;
  for (let q = dims.length - 1; q >= 0; q--) { if (v.strides[dims[q]!] !== inner) return null; inner *= v.shape[dims[q]!]!; }
  // d's origin as an index of v, then each of d's dims along one of v's.
  const idx = v.shape.map(() => 0);
  let rest = d.offset;
  for (const k of dims) { idx[k] = Math.floor(rest / v.strides[k]!); rest -= idx[k]! * v.strides[k]!; }
  if (rest !== 0) return null;
  let offset = w.offset;
  v.shape.forEach((_n, k) => { offset += idx[k]! * w.strides[k]!; });
  const used = new Set<number>();
  const strides: number[] = [];
  for (let j = 0; j < d.shape.length; j++) {
    if (d.shape[j] === 1) { strides.push(0); continue; }
    const k = dims.find((q) => v.strides[q] === d.strides[j] && !used.has(q));
    if (k === undefined || idx[k]! + d.shape[j]! > v.shape[k]!) return null;
    used.add(k);
    strides.push(w.strides[k]!);
  }
  return { ...d, buf: w.buf, offset, strides };
}

/** Which nodes read each buffer (indices, in order) and how many write it. */
export function dataflow(nodes: readonly GNode[]): { readers: Map<VBuf, number[]>; writers: Map<VBuf, number> } {
  const readers = new Map<VBuf, number[]>(), writers = new Map<VBuf, number>();
  nodes.forEach((n, i) => {
    for (const b of n.reads) { const r = readers.get(b) ?? []; r.push(i); readers.set(b, r); }
    for (const b of n.writes) writers.set(b, (writers.get(b) ?? 0) + 1);
  });
  return { readers, writers };
}

/** Replaces buffers in a node's arguments. */
function remapNode(n: GNode, f: (b: VBuf) => VBuf): GNode {
  const rv = (v: View): View => { const b = f(v.buf as VBuf); return b === v.buf ? v : { ...v, buf: b }; };
  const args = n.args.map((a) => (isView(a) ? rv(a) : a instanceof VBuf ? f(a) : Array.isArray(a) && a.length && isView(a[0]) ? (a as View[]).map(rv) : a));
  return { ...n, args, reads: n.reads.map(f), writes: n.writes.map(f) };
}

/**
 * A key for a non-buffer argument that tells every number apart. JSON.stringify alone writes
 * Infinity, -Infinity and NaN all as `null` and -0 as `0`, so CSE merged `fill(+inf)` with
 * `fill(-inf)` (nanToNum's two `eq(±inf)` compares became one) and `fill(0)` with `fill(-0)`.
 */
export function valueKey(a: unknown): string {
  const num = (v: number) => (Object.is(v, -0) ? '-0' : String(v));
  if (typeof a === 'number') return num(a);
  if (ArrayBuffer.isView(a)) return `${(a as object).constructor.name}[${Array.from(a as unknown as ArrayLike<number>, num).join(',')}]`;
  return JSON.stringify(a, (_k, v: unknown) => (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)) ? { $num: num(v) } : v)) ?? String(a);
}

function argKey(a: unknown, ver: Map<VBuf, number>): string {
  if (isView(a)) { const b = a.buf as VBuf; return `${b.id}@${ver.get(b) ?? 0}:${a.dtype}:${a.shape}:${a.strides}:${a.offset}`; }
  return valueKey(a);
}

/** A runnable program made from a graph. */
export class Program {
  readonly stats: ProgramStats;
  private nodes: GNode[];
  private readonly init: GNode[] = [];
  /** Slot of each buffer; the kinds of slots decide where its memory comes from. */
  private readonly slot = new Map<VBuf, number>();
  private readonly slotBytes: number[] = [];
  private readonly slotDevice: Device[] = [];
  /** Slots bound per run (inputs, externs), fresh per run (escapes), or persistent (arena, constants). */
  private readonly fresh = new Set<number>();
  private readonly bound = new Set<number>();
  private arena: (BufferHandle | null)[] = [];
  private initDone = false;

  /**
   * @param g the captured graph
   * @param escapes buffers whose contents are needed after the run (outputs, values saved for backward)
   * @param fuse whether to fuse elementwise chains (backends without `fused` keep the primitives)
   */
  constructor(readonly g: Pick<Graph, 'nodes' | 'randomBlocks'>, readonly escapes: ReadonlySet<VBuf>, fuse = true, readonly boundTemps: ReadonlySet<VBuf> = new Set()) {
    this.stats = { captured: g.nodes.length, kernels: 0, removedDead: 0, removedCommon: 0, hoistedConstants: 0, sunk: 0, forwarded: 0, fused: 0, fusedPrimitives: 0, epilogues: 0, stores: 0, reusedBuffers: 0, inPlace: 0, arenaBytes: 0 };
    let nodes = this.dce(g.nodes);
    nodes = this.cse(nodes);
    nodes = this.dce(nodes);
    nodes = this.hoist(nodes);
    if (fuse) nodes = this.epilogues(this.fuse(this.sink(this.forwardCopies(nodes))));
    if (fuse) nodes = this.stores(nodes);
    this.nodes = nodes;
    this.stats.kernels = nodes.length;
    this.plan();
  }

  /** Buffers whose memory the caller provides per run: arguments, externs, earlier results. */
  private isBound(b: VBuf): boolean { return b.hasMemory || this.boundTemps.has(b); }
  private effectful(n: GNode): boolean {
    return n.kind === 'checkRange' || n.writes.some((b) => this.isBound(b));
  }

  /** Dead-code elimination by buffer liveness, walking backward from the escapes and side effects. */
  private dce(nodes: GNode[]): GNode[] {
    const live = new Set<VBuf>(this.escapes);
    const keep: GNode[] = [];
    for (let i = nodes.length - 1; i >= 0; i--) {
      const n = nodes[i]!;
      if (!this.effectful(n) && !n.writes.some((b) => live.has(b))) continue;
      for (const b of n.writes) if (!n.reads.includes(b)) live.delete(b);
      for (const b of n.reads) live.add(b);
      keep.push(n);
    }
    this.stats.removedDead += nodes.length - keep.length;
    return keep.reverse();
  }

  /** Common subexpressions: a pure node equal to an earlier one (same inputs at the same versions) reuses its result. */
  private cse(nodes: GNode[]): GNode[] {
    const writes = dataflow(nodes).writers;
    const ver = new Map<VBuf, number>();
    const seen = new Map<string, VBuf>();
    const alias = new Map<VBuf, VBuf>();
    const f = (b: VBuf) => alias.get(b) ?? b;
    const out: GNode[] = [];
    for (const n0 of nodes) {
      const n = alias.size ? remapNode(n0, f) : n0;
      const w = n.writes[0];
      if (PURE.has(n.kind) && n.writes.length === 1 && w && !this.isBound(w) && writes.get(w) === 1 && !n.reads.includes(w) && !this.escapes.has(w)) {
        const args = n.args.map((a) => (isView(a) && a.buf === w ? `out:${a.dtype}:${a.shape}:${a.strides}:${a.offset}:${w.nbytes}` : argKey(a, ver)));
        const key = `${n.kind}|${n.device}|${args.join('|')}`;
        const prev = seen.get(key);
        if (prev) { alias.set(w, prev); this.stats.removedCommon++; continue; }
        seen.set(key, w);
      }
      for (const b of n.writes) ver.set(b, (ver.get(b) ?? 0) + 1);
      out.push(n);
    }
    return out;
  }

  /**
   * Constant folding by hoisting: nodes computed only from constants (fills, aranges, host writes)
   * run once, on the first run, into buffers the program keeps; they leave the per-run list.
   */
  private hoist(nodes: GNode[]): GNode[] {
    const konst = new Set<VBuf>();
    const { writers } = dataflow(nodes);
    const body: GNode[] = [];
    for (const n of nodes) {
      const w = n.writes;
      if (PURE.has(n.kind) || n.kind === 'write') {
        if (w.length === 1 && !this.isBound(w[0]!) && writers.get(w[0]!) === 1 && !this.escapes.has(w[0]!) && n.reads.every((b) => konst.has(b))) {
          konst.add(w[0]!);
          this.init.push(n);
          continue;
        }
      }
      body.push(n);
    }
    this.stats.hoistedConstants = this.init.length;
    return body;
  }

  /** The scalar value of a hoisted fill that `v` reads as a broadcast constant, if it is one. */
  private constValue(v: View): number | null {
    if (numel(v.shape) === 0 || !v.strides.every((s) => s === 0)) return null;
    const f = this.init.find((n) => n.kind === 'fill' && n.writes[0] === v.buf);
    if (!f || this.init.some((n) => n !== f && n.writes.includes(v.buf as VBuf))) return null;
    return f.args[1] as number;
  }

  /** Whether n's one result is a fresh temporary: whole, written once (by n), not read by n itself. */
  private freshResult(n: GNode, writers: ReadonlyMap<VBuf, number>): boolean {
    const w = n.writes[0]!;
    return n.writes.length === 1 && !this.isBound(w) && writers.get(w) === 1 && isWholeBuffer(outView(n)) && !n.reads.includes(w);
  }

  /**
   * Copy forwarding: a temporary T that only copies write (a `cat`'s pieces) and only one copy C reads,
   * through a view walking every element of T once (a permutation: a reshape of a transposed
   * gradient), is not made: each piece writes its values where C would have put them, in the same
   * order, and C goes. The attention's q/k/v gradients then land in the packed projection's layout
   * with no permuting pass. (Each piece writes part of C's target: it reads it too, as GNode says.)
   */
  private forwardCopies(nodes: GNode[]): GNode[] {
    const { readers, writers } = dataflow(nodes);
    // The nodes writing each buffer, each once, in order (a temporary's pieces); `writers` counts
    // writes, so a node writing it twice makes the two differ.
    const writtenBy = new Map<VBuf, number[]>();
    nodes.forEach((n, j) => { for (const b of new Set(n.writes)) { const l = writtenBy.get(b); if (l) l.push(j); else writtenBy.set(b, [j]); } });
    const res = nodes.slice(), gone = new Set<number>();
    nodes.forEach((c, ci) => {
      if (c.kind !== 'copy' || c.writes.length !== 1) return;
      const [v, w] = c.args as [View, View], t = v.buf as VBuf;
      if (this.isBound(t) || this.escapes.has(t) || v.dtype !== w.dtype) return;
      // The pieces list T as read (they write part of it); nothing else may read it, nor they from it.
      const pieces = writtenBy.get(t) ?? [];
      if (pieces.length !== writers.get(t) || (readers.get(t) ?? []).some((r) => r !== ci && !pieces.includes(r))) return;
      if (pieces.some((j) => j > ci || gone.has(j) || nodes[j]!.kind !== 'copy' || (nodes[j]!.args[0] as View).buf === t)) return;
      const dsts = pieces.map((j) => (nodes[j]!.args as [View, View])[1]!);
      const elems = t.nbytes / itemSize[v.dtype];
      if (dsts.some((d) => d.dtype !== v.dtype) || dsts.reduce((a, d) => a + numel(d.shape), 0) !== elems || numel(v.shape) !== elems) return;
      // Nothing between the first piece and C may read or write C's target.
      const u = w.buf as VBuf;
      if (nodes.slice(pieces[0]!, ci).some((n) => n.reads.includes(u) || n.writes.includes(u))) return;
      const moved = dsts.map((d) => composeView(d, v, w));
      if (moved.includes(null)) return;
      pieces.forEach((j, k) => {
        const n = nodes[j]!;
        res[j] = { ...n, args: [n.args[0], moved[k]], writes: [u], reads: [...n.reads.filter((b) => b !== t), u] };
      });
      gone.add(ci);
      this.stats.forwarded += pieces.length;
    });
    return res.filter((_n, i) => !gone.has(i));
  }

  /**
   * Broadcast sinking: an elementwise op on a small tensor that other elementwise ops read only
   * broadcast (layer norm's mean = sum / n, read as [n, 1] against [n, d]) is recomputed by each of
   * them at their shape, its operands broadcast instead of its result, so fusion puts it in their
   * kernel: one launch fewer, the same bits (the same op on the same values). Repeated, so chains
   * (rsqrt(var / n + eps)) sink whole. Where per-element compute is a CPU's (Backend.sinkCheapOnly:
   * the CPU, WebGPU on CPU-emulated adapters) only cheap ops sink: there a launch costs about as much
   * as a few thousand additions, while a recomputed rsqrt or pow is a call per element.
   * One op sinks per round (each round sees the graph the last one left). A sunk op read by k nodes
   * becomes k nodes, and its own operands may then sink into each copy, so fan-outs multiply: the
   * graph may at most double (plus a margin for small graphs), and rounds stop at SINK_ROUNDS.
   */
  private sink(nodes: GNode[]): GNode[] {
    const limit = 2 * nodes.length + 64;
    for (let round = 0; round < SINK_ROUNDS && nodes.length <= limit; round++) {
      const { readers, writers } = dataflow(nodes);
      let hit = -1, copies: Map<number, GNode> | null = null;
      for (let i = nodes.length - 1; i >= 0 && hit < 0; i--) {
        const p = nodes[i]!;
        if (!SINKABLE.has(p.kind) || typeof realBackend(p.device).fused !== 'function' || this.escapes.has(p.writes[0]!) || !this.freshResult(p, writers)) continue;
        if (realBackend(p.device).sinkCheapOnly && !cheap(p)) continue;
        const t = p.writes[0]!, o = outView(p), rs = [...new Set(readers.get(t) ?? [])];
        if (!rs.length || !isContiguous(o.shape, o.strides)) continue;
        const made = new Map<number, GNode>();
        for (const r of rs) {
          const n = nodes[r]!;
          if (!SINKABLE.has(n.kind) || n.device !== p.device || n.writes.includes(t) || !this.freshResult(n, writers)) break;
          const shape = outView(n).shape;
          // Operands must still hold what p read when n runs.
          if (numel(shape) <= numel(o.shape) || nodes.slice(i + 1, r).some((m) => m.writes.some((w) => p.reads.includes(w)))) break;
          const maps = n.args.slice(0, -1).filter(isView).filter((v) => v.buf === t).map((v) => broadcastMap(v, o, shape));
          if (maps.includes(null) || !maps.every((m) => valueKey(m) === valueKey(maps[0]))) break;
          const dims = maps[0]!;
          const fresh = new VBuf(numel(shape) * itemSize[o.dtype], t.device, 'temp');
          const whole: View = { buf: fresh, dtype: o.dtype, shape, strides: contiguousStrides(shape), offset: 0 };
          const args = p.args.map((a) => (!isView(a) ? a : a === o ? whole : { ...a, shape, strides: dims.map((d) => (d < 0 ? 0 : a.strides[d]!)) }));
          made.set(r, { ...p, args, writes: [fresh] });
          made.set(-1 - r, { ...n, args: n.args.map((a) => (isView(a) && a.buf === t ? whole : a)), reads: n.reads.map((b) => (b === t ? fresh : b)) });
        }
        if (made.size === 2 * rs.length) { hit = i; copies = made; }
      }
      if (hit < 0 || !copies) return nodes;
      const out: GNode[] = [];
      nodes.forEach((n, j) => {
        if (j === hit) return;
        const c = copies!.get(j);
        if (c) { out.push(c, copies!.get(-1 - j)!); this.stats.sunk++; } else out.push(n);
      });
      nodes = out;
    }
    return nodes;
  }

  /** Fuses chains of elementwise primitives over one shape into Backend.fused programs. */
  private fuse(nodes0: GNode[]): GNode[] {
    const { readers, writers } = dataflow(nodes0);
    // Nodes may be re-expressed over a group's shape below (the same elements, other dims).
    const nodes = nodes0.slice();
    // Matmul products, which an elementwise chain reading them may fold into as an epilogue.
    const products = new Set(nodes0.flatMap((n) => (n.kind === 'matmul' ? n.writes : [])));

    const groups: Group[] = [];
    const groupOf = new Map<number, Group>();
    const fusable = (n: GNode): boolean => ELEMENTWISE.has(n.kind) && n.kind !== 'fused'
      && typeof realBackend(n.device).fused === 'function' && this.freshResult(n, writers);
    /**
     * A store: an in-place op's copy of an open group's result into the whole of its target B (ops
     * compute into a temporary, then copy it back). The group then writes B itself, and its later
     * members read the value; every read of B in the group so far is through that same whole view,
     * so the kernel reads each element of B before it writes it. Returns that group.
     */
    const storeGroup = (n: GNode): Group | null => {
      if (n.kind !== 'copy' || n.writes.length !== 1 || typeof realBackend(n.device).fused !== 'function') return null;
      const [src, dst] = n.args as [View, View], b = dst.buf as VBuf;
      if (!isWholeBuffer(src) || !isWholeBuffer(dst) || src.dtype !== dst.dtype || !shapesEqual(src.shape, dst.shape)) return null;
      const g = groups.find((q) => q.open && q.produced.has(src.buf as VBuf));
      if (!g || g.device !== n.device || !shapesEqual(g.shape, dst.shape)) return null;
      const reads = g.members.flatMap((m) => { const x = nodes[m]!; return x.args.filter(isView).slice(0, -1); });
      return reads.every((v) => v.buf !== b || (isWholeBuffer(v) && v.dtype === dst.dtype && shapesEqual(v.shape, dst.shape))) ? g : null;
    };
    for (let i = 0; i < nodes.length; i++) {
      let n = nodes[i]!;
      let join: Group | null = null;
      const ok = fusable(n);
      if (ok) {
        // A node reading an open group's result through a reshape of it (a copy into [1, N, H, L, d]
        // read as [N*H, L, d]) is viewed over the group's shape, when all its views allow it.
        const near = groups.filter((g) => g.open && n.reads.some((b) => g.produced.has(b)));
        const gs = near[0]?.shape;
        if (gs && near.every((g) => shapesEqual(g.shape, gs)) && !shapesEqual(gs, outView(n).shape)) {
          const r = reshapeNode(n, gs);
          if (r) nodes[i] = n = r;
        }
        // The one open group of the same shape whose results n reads, all of them element for element.
        const shape = outView(n).shape;
        const ins = n.args.filter(isView).slice(0, -1);
        // Several open groups of that shape (two chains meeting, as a gradient sum does) merge into
        // one: being open, none of their results was read outside and none of their inputs was
        // overwritten since, so running the earlier one's steps later, together, is safe.
        const cands = groups.filter((g) => g.open && ins.some((v) => g.produced.has(v.buf as VBuf)));
        const fits = (g: Group) => g.device === n.device && g.shape.length === shape.length && g.shape.every((s, k) => s === shape[k])
          && ins.every((v) => !g.produced.has(v.buf as VBuf) || isWholeBuffer(v));
        // Groups merged into one kernel must not read what another of them stores (at other positions).
        const storesApart = cands.every((g) => [...g.stores].every((b) => cands.every((q) => q === g || (!q.extIn.has(b) && !q.produced.has(b)))));
        if (cands.length && cands.every(fits) && storesApart) {
          join = cands[0]!;
          for (const q of cands.slice(1)) {
            for (const m of q.members) { join.members.push(m); groupOf.set(m, join); }
            for (const b of q.produced) join.produced.add(b);
            for (const b of q.extIn) join.extIn.add(b);
            for (const b of q.stores) join.stores.add(b);
            q.open = false;
            q.members = [];
          }
          join.members.sort((x, y) => x - y);
          for (const b of join.produced) join.extIn.delete(b);
        }
      }
      if (!ok) {
        join = storeGroup(n);
        if (join) { join.stores.add(n.writes[0]!); this.stats.stores++; }
      }
      // A reduction whose input is an open group's result, used by nothing else: the group becomes
      // its prologue (before the groups close below, as the reduction reads that result).
      const pro = !join ? this.prologueGroup(n, groups, products, readers) : null;
      // A group is emitted at its last member: it must close before a node that reads its results
      // (other than by joining) or overwrites what it reads or stores.
      for (const g of groups) {
        if (g.open && g !== join && (n.reads.some((b) => g.produced.has(b)) || n.writes.some((b) => g.extIn.has(b) || g.produced.has(b)))) g.open = false;
      }
      if (pro) { pro.members.push(i); groupOf.set(i, pro); continue; }
      if (join) {
        join.members.push(i);
        join.produced.add(n.writes[0]!);
        for (const b of n.reads) if (!join.produced.has(b)) join.extIn.add(b);
        groupOf.set(i, join);
      } else if (ok) {
        const g: Group = { shape: outView(n).shape, device: n.device, members: [i], produced: new Set(n.writes), extIn: new Set(n.reads), stores: new Set(), open: true };
        groups.push(g);
        groupOf.set(i, g);
      }
    }
    const result: GNode[] = [];
    nodes.forEach((n, i) => {
      const g = groupOf.get(i);
      if (!g) { result.push(n); return; }
      if (g.members.at(-1) !== i) return;
      result.push(g.members.length === 1 ? n : this.makeFused(nodes, g.members, readers, true, g.stores));
    });
    return result;
  }

  /**
   * The open group a reduction (sum/prod/max/min of a whole float result) can take as its prologue:
   * one of the reduced input's shape, or null. Its results that other nodes read (or the program
   * returns) become the program's side outputs, written in the same pass (makeFused). A group that
   * alone reads a matmul's product is left to be that matmul's epilogue (`epilogues`): the GEMM then
   * applies it while the product is in cache, where here it would be stored and read again.
   */
  private prologueGroup(n: GNode, groups: readonly Group[], products: ReadonlySet<VBuf>, readers: ReadonlyMap<VBuf, number[]>): Group | null {
    if (n.kind !== 'reduce' || !REDUCE_PROLOGUE.has(n.args[0] as string)) return null;
    const x = n.args[1] as View, xb = x.buf as VBuf;
    const g = groups.find((q) => q.open && q.produced.has(xb));
    if (!g || g.stores.size || g.device !== n.device) return null;
    // The result whole, or its dims permuted where the backend's reduce order ignores strides.
    const perm = permutation(x, g.shape);
    if (!perm || (!perm.every((k, d) => k === d) && !realBackend(n.device).reduceInLogicalOrder)) return null;
    if (!(x.dtype === 'float32' || x.dtype === 'float64' || x.dtype === 'float16') || outView(n).dtype !== x.dtype) return null;
    if (n.writes.length !== 1 || this.isBound(n.writes[0]!)) return null;
    const epilogue = foldsEpilogues(n.device) && [...g.extIn].some((b) => {
      const r = readers.get(b) ?? [];
      return r.length > 0 && r.every((x) => g.members.includes(x)) && products.has(b);
    });
    return epilogue ? null : g;
  }

  /**
   * Matmul epilogues: a matmul whose product one elementwise node (a fused chain, or a single op such
   * as a Linear's bias add) alone reads becomes one `matmulEpilogue` node at that reader's place:
   * Backend.matmulEpilogue applies the chain as the product is stored, never writing it. The node
   * keeps both originals, run by backends (or views) that decline, so the product keeps its slot.
   */
  private epilogues(nodes: GNode[]): GNode[] {
    const { readers, writers } = dataflow(nodes);
    const merged = new Map<number, GNode>(), gone = new Set<number>();
    nodes.forEach((n, i) => {
      if (n.kind !== 'matmul' || !foldsEpilogues(n.device)) return;
      const [av, bv, pv] = n.args as View[], t = pv!.buf as VBuf, r = readers.get(t) ?? [];
      if (this.isBound(t) || this.escapes.has(t) || writers.get(t) !== 1 || !isWholeBuffer(pv!) || r.length !== 1 || merged.has(r[0]!)) return;
      const j = r[0]!, e = nodes[j]!;
      if (!ELEMENTWISE.has(e.kind) || e.device !== n.device || (e.kind === 'fused' && (e.args[0] as FusedProgram).reduce)) return;
      // A single op qualifies as fuse() would take it.
      if (e.kind !== 'fused' && !this.freshResult(e, writers)) return;
      // Running the product at the reader's place must read the same operands.
      if (nodes.slice(i + 1, j).some((m) => m.writes.some((w) => n.reads.includes(w)))) return;
      const f = e.kind === 'fused' ? e : this.makeFused(nodes, [j], readers, false);
      const [p, ins, outs] = f.args as [FusedProgram, View[], View[]];
      const k = ins.findIndex((v) => v.buf === t);
      if (k < 0 || ins.some((v, q) => q !== k && v.buf === t) || !isWholeBuffer(ins[k]!) || !outs.length) return;
      // The chain's views, over the product's [B,M,N] (same elements in the same order).
      const shape = pv!.shape;
      if (numel(outs[0]!.shape) !== numel(shape)) return;
      const toP = (v: View): View | null => reshapeView(v, shape);
      const insP = ins.filter((_v, q) => q !== k).map(toP), outsP = outs.map(toP);
      if (insP.includes(null) || outsP.includes(null)) return;
      // The product becomes input 0; the others keep their order after it.
      const num = (v: number): number => (v >= ins.length ? v : v === k ? 0 : v < k ? v + 1 : v);
      const steps = p.steps.map((st): FusedStep => {
        switch (st.kind) {
          case 'unary': case 'cast': return { ...st, a: num(st.a) };
          case 'binary': return { ...st, a: num(st.a), b: num(st.b) };
          case 'where': return { ...st, cond: num(st.cond), a: num(st.a), b: num(st.b) };
          case 'const': return st;
        }
      });
      const epi: FusedProgram = { inputs: [p.inputs[k]!, ...p.inputs.filter((_d, q) => q !== k)], steps, outputs: p.outputs.map(num) };
      merged.set(j, {
        kind: 'matmulEpilogue', device: n.device, args: [av, bv, epi, insP, outsP, n, f], scope: e.scope,
        reads: [...new Set([...n.reads, ...f.reads.filter((b) => b !== t)])], writes: [...f.writes, t],
      });
      gone.add(i);
      this.stats.epilogues++;
    });
    return nodes.flatMap((n, i) => (gone.has(i) ? [] : [merged.get(i) ?? n]));
  }

  /**
   * Stores: an in-place op computes into a temporary and copies it into its target (src/ops), so
   * an elementwise node (or fused chain) whose whole result T only a following same-dtype copy into
   * B reads writes B itself, and the copy goes. Nothing in between may touch B, and the node may
   * read B only through that same view: each element is read before it is written, as with the
   * planner's in-place results (backends take an output equal to an input view).
   */
  private stores(nodes: GNode[]): GNode[] {
    const { readers, writers } = dataflow(nodes);
    const same = (a: View, b: View) => a.buf === b.buf && a.dtype === b.dtype && a.offset === b.offset && shapesEqual(a.shape, b.shape) && shapesEqual(a.strides, b.strides);
    const res = nodes.slice(), gone = new Set<number>();
    nodes.forEach((n0, i) => {
      // A copy already folded into the node before it is gone: its own output was retargeted there.
      if (gone.has(i) || !ELEMENTWISE.has(n0.kind) || (n0.kind === 'fused' && (n0.args[0] as FusedProgram).reduce)) return;
      const fused = n0.kind === 'fused';
      let n = n0;
      const outs = fused ? [...(n.args[2] as View[])] : [outView(n)];
      const ins = fused ? (n.args[1] as View[]) : n.args.filter(isView).slice(0, -1);
      outs.forEach((o, k) => {
        const t = o.buf as VBuf, r = readers.get(t) ?? [], j = r[0]!, c = nodes[j];
        if (r.length !== 1 || this.isBound(t) || this.escapes.has(t) || writers.get(t) !== 1 || !isWholeBuffer(o) || c?.kind !== 'copy' || gone.has(j)) return;
        const [src, dst] = c.args as [View, View], bb = dst.buf as VBuf;
        if (src.buf !== t || !isWholeBuffer(src) || src.dtype !== dst.dtype || !shapesEqual(src.shape, o.shape) || !shapesEqual(dst.shape, o.shape)) return;
        // Primitives write contiguous outputs (fused programs take any strides).
        if (!fused && !isContiguous(dst.shape, dst.strides)) return;
        if (ins.some((v) => v.buf === bb && !same(v, dst)) || outs.some((v, q) => q !== k && v.buf === bb)) return;
        if (nodes.slice(i + 1, j).some((m) => m.reads.includes(bb) || m.writes.includes(bb))) return;
        outs[k] = dst;
        n = fused ? { ...n, args: [n.args[0], n.args[1], [...outs]] } : { ...n, args: n.args.map((a) => (a === o ? dst : a)) };
        n = { ...n, writes: n.writes.map((w) => (w === t ? bb : w)) };
        gone.add(j);
        this.stats.stores++;
      });
      res[i] = n;
    });
    return res.filter((_n, i) => !gone.has(i));
  }

  /** Builds one fused node from member nodes (in order); `count`: a kernel of the program (not an epilogue's fallback). */
  private makeFused(nodes: GNode[], allMembers: number[], readers: Map<VBuf, number[]>, count = true, stores: ReadonlySet<VBuf> = new Set()): GNode {
    // A reduction closing the group is the program's epilogue; the others are its steps.
    const last = nodes[allMembers.at(-1)!]!;
    const red = last.kind === 'reduce' ? last : null;
    const members = red ? allMembers.slice(0, -1) : allMembers;
    const memberSet = new Set(allMembers);
    // Written by the members walked so far: a store's target is an input until the group stores it.
    const produced = new Set<VBuf>();
    // First walk: each operand is a value made in the group, a scalar constant, or an input (numbered
    // in order of first use, one per distinct view).
    type Operand = { made: VBuf } | { c: number; dtype: DType } | { input: number };
    const inputs: View[] = [];
    const inKey = new Map<string, number>();
    const operand = (v: View): Operand => {
      const b = v.buf as VBuf;
      if (produced.has(b) && isWholeBuffer(v)) return { made: b };
      const c = this.constValue(v);
      if (c !== null) return { c, dtype: v.dtype };
      const k = `${b.id}:${v.dtype}:${v.strides}:${v.offset}`;
      let j = inKey.get(k);
      if (j === undefined) { j = inputs.length; inputs.push(v); inKey.set(k, j); }
      return { input: j };
    };
    const raw = members.map((m) => {
      const r = { n: nodes[m]!, ops: nodes[m]!.args.filter(isView).slice(0, -1).map(operand) };
      produced.add(r.n.writes[0]!);
      return r;
    });
    // Every input View spans the iteration shape (runComposed and the kernels read it from ins[0]):
    // a reduction of constants only gets a broadcast dummy input, before values are numbered.
    const dummy = red !== null && !inputs.length;
    if (dummy) inputs.push({ ...(red.args[1] as View), strides: (red.args[1] as View).shape.map(() => 0) });
    // Second walk: value numbers are the inputs, then the steps in order.
    const nIn = inputs.length;
    const steps: FusedStep[] = [];
    const value = new Map<VBuf, number>();
    const ref = (o: Operand): number => {
      if ('input' in o) return o.input;
      if ('made' in o) return value.get(o.made)!;
      steps.push({ kind: 'const', value: o.c, dtype: o.dtype });
      return nIn + steps.length - 1;
    };
    for (const { n, ops } of raw) {
      const o = outView(n);
      const r = ops.map(ref);
      // A store (a same-dtype copy into its target): the target now holds that value.
      if (stores.has(n.writes[0]!)) { value.set(n.writes[0]!, r[0]!); continue; }
      let st: FusedStep;
      switch (n.kind) {
        case 'unary': st = { kind: 'unary', op: n.args[0] as UnaryOp, a: r[0]!, dtype: o.dtype }; break;
        case 'binary': st = { kind: 'binary', op: n.args[0] as BinaryOp, a: r[0]!, b: r[1]!, dtype: o.dtype }; break;
        case 'where': st = { kind: 'where', cond: r[0]!, a: r[1]!, b: r[2]!, dtype: o.dtype }; break;
        default: st = { kind: 'cast', a: r[0]!, dtype: o.dtype }; break;
      }
      steps.push(st);
      value.set(n.writes[0]!, nIn + steps.length - 1);
    }
    // Outputs: produced buffers read outside the group or escaping, and each store's target, written
    // once with its last value.
    const outs: View[] = [];
    const outVals: number[] = [];
    raw.forEach(({ n }, k) => {
      const w = n.writes[0]!;
      const ext = stores.has(w) ? !raw.slice(k + 1).some((q) => q.n.writes[0] === w)
        : this.escapes.has(w) || (readers.get(w) ?? []).some((r) => !memberSet.has(r));
      if (ext) { outs.push(outView(n)); outVals.push(value.get(w)!); }
    });
    let reduce: FusedProgram['reduce'];
    if (red) {
      reduce = { op: red.args[0] as 'sum' | 'prod' | 'max' | 'min', nReduce: red.args[2] as number };
      // A keepdim reduction records its output with the reduced dims as 1s ([n, 1]); Backend.fused
      // takes it in the kept shape FusedProgram.reduce states ([n]), the same dense elements.
      const o = outView(red), kept = (red.args[1] as View).shape.slice(0, -reduce.nReduce || undefined);
      const dense = isContiguous(o.shape, o.strides) && numel(o.shape) === numel(kept);
      outs.push(dense && !shapesEqual(o.shape, kept) ? { ...o, shape: kept, strides: contiguousStrides(kept) } : o);
      outVals.push(value.get((red.args[1] as View).buf as VBuf)!);
    }
    // A reduction over a permuted view of the chain's result: the iteration shape is that view's,
    // so every input and side output is viewed with the same dims permuted (the same elements).
    const perm = red && members.length ? permutation(red.args[1] as View, outView(nodes[members[0]!]!).shape) : null;
    if (perm && !perm.every((k, d) => k === d)) {
      const pv = (v: View): View => ({ ...v, shape: perm.map((k) => v.shape[k]!), strides: perm.map((k) => v.strides[k]!) });
      if (!dummy) inputs.splice(0, inputs.length, ...inputs.map(pv)); // the dummy already has the view's shape
      outs.splice(0, outs.length - 1, ...outs.slice(0, -1).map(pv));
    }
    const program: FusedProgram = { inputs: inputs.map((v) => v.dtype), steps, outputs: outVals, ...(reduce ? { reduce } : {}) };
    if (count) {
      this.stats.fused++;
      this.stats.fusedPrimitives += allMembers.length;
    }
    const first = nodes[members[0]!]!;
    return {
      kind: 'fused', device: first.device, args: [program, inputs, outs],
      reads: [...new Set(inputs.map((v) => v.buf as VBuf))], writes: outs.map((v) => v.buf as VBuf), scope: first.scope,
    };
  }

  /** Memory planning: a slot per buffer; temporaries share arena slots by liveness, in place where safe. */
  private plan(): void {
    const all = [...this.init, ...this.nodes];
    const lastUse = new Map<VBuf, number>();
    this.nodes.forEach((n, i) => { for (const b of [...n.reads, ...n.writes]) lastUse.set(b, i); });
    const newSlot = (b: VBuf): number => {
      const s = this.slotBytes.length;
      this.slotBytes.push(b.nbytes);
      this.slotDevice.push(b.device);
      this.slot.set(b, s);
      return s;
    };
    const see = (b: VBuf) => {
      if (this.slot.has(b)) return;
      if (this.isBound(b)) this.bound.add(newSlot(b));
      else if (this.escapes.has(b)) this.fresh.add(newSlot(b));
    };
    for (const n of all) for (const b of [...n.reads, ...n.writes]) see(b);
    for (const b of this.escapes) see(b);
    // Constants: their own persistent slots.
    for (const n of this.init) for (const b of n.writes) if (!this.slot.has(b)) newSlot(b);
    // Arena: free lists by (device, size).
    const free = new Map<string, number[]>();
    const key = (b: VBuf) => `${b.device}:${b.nbytes}`;
    const holders = new Map<number, VBuf>();
    this.nodes.forEach((n, i) => {
      for (const b of n.writes) {
        if (this.slot.has(b)) continue;
        // In place: an elementwise node may write over an operand read at the same position that dies here.
        let s: number | undefined;
        // (Its own result must be whole: a copy forwarded into part of a buffer writes other positions.)
        const outsOf = n.kind === 'fused' ? (n.args[2] as View[]) : [outView(n)];
        if (ELEMENTWISE.has(n.kind) && !(n.kind === 'fused' && (n.args[0] as FusedProgram).reduce) && outsOf.every((o) => o.buf !== b || isWholeBuffer(o))) {
          const ins = (n.kind === 'fused' ? (n.args[1] as View[]) : n.args.filter(isView).slice(0, -1));
          for (const v of ins) {
            const ib = v.buf as VBuf;
            const is = this.slot.get(ib);
            if (is === undefined || holders.get(is) !== ib || lastUse.get(ib) !== i || ib.nbytes !== b.nbytes || ib.device !== b.device) continue;
            if (!isWholeBuffer(v) || this.fresh.has(is) || this.bound.has(is) || this.init.some((x) => x.writes.includes(ib))) continue;
            // Read elsewhere through another view (x + x.mT): writing over it would change what that view reads.
            if (ins.some((w) => w.buf === ib && !isWholeBuffer(w))) continue;
            s = is;
            this.stats.inPlace++;
            break;
          }
        }
        if (s === undefined) {
          const fl = free.get(key(b));
          s = fl?.pop();
          if (s !== undefined) this.stats.reusedBuffers++;
        }
        if (s === undefined) s = newSlot(b);
        else this.slot.set(b, s);
        holders.set(s, b);
      }
      // Release what dies at this node.
      for (const b of new Set([...n.reads, ...n.writes])) {
        if (lastUse.get(b) !== i || this.isBound(b) || this.escapes.has(b)) continue;
        const s = this.slot.get(b)!;
        if (holders.get(s) !== b || this.init.some((x) => x.writes.includes(b))) continue;
        holders.delete(s);
        const k = key(b);
        (free.get(k) ?? free.set(k, []).get(k)!).push(s);
      }
    });
    // Buffers read but never written (torch.empty) get a slot too.
    for (const b of lastUse.keys()) if (!this.slot.has(b)) newSlot(b);
    this.arena = this.slotBytes.map(() => null);
    for (let s = 0; s < this.slotBytes.length; s++) if (!this.fresh.has(s) && !this.bound.has(s)) this.stats.arenaBytes += this.slotBytes[s]!;
  }

  /** The nodes run per call, after the passes (for printing and tests). */
  get kernels(): readonly GNode[] { return this.nodes; }

  /**
   * Runs the program: `bind` gives the real buffers of inputs and externs; the result maps every
   * escaping buffer to a fresh real buffer holding its value (the caller owns them).
   */
  run(bind: Binding, rand?: readonly [number, number]): Binding {
    const bufs: BufferHandle[] = new Array(this.slotBytes.length);
    for (const [b, s] of this.slot) {
      if (this.bound.has(s)) {
        const r = bind.get(b) ?? b.real;
        if (!r) throw new Error(`compiled graph: no buffer bound for ${b.kind} ${b.id} (internal error)`);
        bufs[s] = r;
      }
    }
    const madeFresh: [number, BufferHandle][] = [];
    try {
      for (const s of this.fresh) {
        const buf = realBackend(this.slotDevice[s]!).alloc(this.slotBytes[s]!);
        bufs[s] = buf;
        madeFresh.push([s, buf]);
      }
      for (let s = 0; s < bufs.length; s++) {
        if (bufs[s] === undefined) bufs[s] = (this.arena[s] ??= realBackend(this.slotDevice[s]!).alloc(this.slotBytes[s]!));
      }
      if (!this.initDone) { for (const n of this.init) exec(n, bufs, this.slot, [0, 0]); this.initDone = true; }
      // The Philox stream: drawn now (a replay), or where the recording drew it (lazy mode).
      const r = rand ?? (this.g.randomBlocks ? nextRandom(this.g.randomBlocks) : [0, 0] as const);
      for (const n of this.nodes) exec(n, bufs, this.slot, r);
    } catch (e) {
      for (const [s, b] of madeFresh) realBackend(this.slotDevice[s]!).free(b);
      throw e;
    }
    const res: Binding = new Map();
    for (const b of this.escapes) {
      const s = this.slot.get(b);
      if (s !== undefined) res.set(b, bufs[s]!);
    }
    return res;
  }

  /** Frees the arena and constants. */
  dispose(): void {
    this.arena.forEach((b, s) => { if (b) realBackend(this.slotDevice[s]!).free(b); });
    this.arena = this.slotBytes.map(() => null);
    this.initDone = false;
  }
}

/** Runs one recorded primitive on its real backend with buffers from the slots. */
function exec(n: GNode, bufs: BufferHandle[], slot: Map<VBuf, number>, rand: readonly [number, number]): void {
  const b: Backend = execBackend(n.device);
  const rv = (v: View): View => ({ buf: bufs[slot.get(v.buf as VBuf)!]!, dtype: v.dtype, shape: v.shape, strides: v.strides, offset: v.offset });
  const a = n.args;
  switch (n.kind) {
    case 'write': b.write(bufs[slot.get(a[0] as VBuf)!]!, a[1] as never, a[2] as number); return;
    case 'fill': b.fill(rv(a[0] as View), a[1] as number); return;
    case 'arange': b.arange(rv(a[0] as View), a[1] as number, a[2] as number); return;
    case 'copy': b.copy(rv(a[0] as View), rv(a[1] as View)); return;
    case 'unary': b.unary(a[0] as UnaryOp, rv(a[1] as View), rv(a[2] as View)); return;
    case 'binary': b.binary(a[0] as BinaryOp, rv(a[1] as View), rv(a[2] as View), rv(a[3] as View)); return;
    case 'where': b.where(rv(a[0] as View), rv(a[1] as View), rv(a[2] as View), rv(a[3] as View)); return;
    case 'reduce': b.reduce(a[0] as never, rv(a[1] as View), a[2] as number, rv(a[3] as View)); return;
    case 'scan': b.scan(a[0] as never, rv(a[1] as View), rv(a[2] as View)); return;
    case 'matmul': b.matmul(rv(a[0] as View), rv(a[1] as View), rv(a[2] as View)); return;
    case 'im2col': b.im2col(rv(a[0] as View), rv(a[1] as View), a[2] as never); return;
    case 'col2im': b.col2im(rv(a[0] as View), rv(a[1] as View), a[2] as never); return;
    case 'maxPool2d': b.maxPool2d(rv(a[0] as View), rv(a[1] as View), rv(a[2] as View), a[3] as never); return;
    case 'maxPool2dBackward': b.maxPool2dBackward(rv(a[0] as View), rv(a[1] as View), rv(a[2] as View), a[3] as never); return;
    case 'winogradConv': b.winogradConv!(rv(a[0] as View), rv(a[1] as View), rv(a[2] as View), a[3] as [number, number]); return;
    case 'winogradWgrad': b.winogradWgrad!(rv(a[0] as View), rv(a[1] as View), rv(a[2] as View), a[3] as [number, number]); return;
    case 'attention': b.attention!(rv(a[0] as View), rv(a[1] as View), rv(a[2] as View), rv(a[4] as View), rv(a[5] as View), a[6] as number, a[7] as boolean, a[3] ? rv(a[3] as View) : null, a[8] as number); return;
    case 'attentionBackward':
      b.attentionBackward!(rv(a[0] as View), rv(a[1] as View), rv(a[2] as View), rv(a[3] as View), rv(a[4] as View), rv(a[6] as View), rv(a[7] as View), rv(a[8] as View), a[9] as number, a[10] as boolean,
        a[5] ? rv(a[5] as View) : null, a[11] as number); return;
    case 'gather': b.gather(rv(a[0] as View), a[1] as number, rv(a[2] as View), rv(a[3] as View)); return;
    case 'scatter': b.scatter(rv(a[0] as View), a[1] as number, rv(a[2] as View), rv(a[3] as View), a[4] as 'none' | 'add'); return;
    case 'checkRange': b.checkRange(rv(a[0] as View), a[1] as number, a[2] as number, a[3] as string); return;
    case 'argsort': b.argsort(rv(a[0] as View), a[1] as boolean, rv(a[2] as View)); return;
    case 'linalg':
      if (!b.linalg) throw new Error(`linalg: the ${String(a[0])} kernel is not implemented on ${n.device}`);
      b.linalg(a[0] as LinalgKernel, (a[1] as View[]).map(rv), (a[2] as View[]).map(rv)); return;
    case 'random': b.random(rv(a[0] as View), a[1] as 'uniform' | 'normal', rand[0], rand[1] + n.randRel!); return;
    case 'fused': {
      const p = a[0] as FusedProgram, ins = (a[1] as View[]).map(rv), outs = (a[2] as View[]).map(rv);
      if (!b.fused?.(p, ins, outs)) runComposed(b, p, ins, outs);
      return;
    }
    case 'matmulEpilogue':
      if (!b.matmulEpilogue?.(rv(a[0] as View), rv(a[1] as View), a[2] as FusedProgram, (a[3] as View[]).map(rv), (a[4] as View[]).map(rv))) {
        exec(a[5] as GNode, bufs, slot, rand);
        exec(a[6] as GNode, bufs, slot, rand);
      }
      return;
  }
}
