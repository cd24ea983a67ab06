// THE capture mechanism (ARCHITECTURE.md "Graph capture"): while a capture is active, every device's
// backend is replaced (src/backends/registry.ts dispatch mode) by a Recorder that hands out virtual
// buffers and appends each Backend primitive call to a Graph instead of running it. Ops, autograd,
// nn and optim run unchanged, so shapes and dtypes propagate exactly as in eager mode; composites
// (linear, conv, norms, attention, losses, RNNs) mark scopes through `composite` in ops/prim.ts.
// A host read of a captured value is a graph break (GraphBreak). torch.compile, ONNX export and the
// profiler build on this one mechanism.

import type { Backend, BinaryOp, BufferHandle, ConvGeometry, Device, LinalgKernel, MemoryInfo, ReduceOp, ScanOp, UnaryOp, View } from '../backends/backend.js';
import { realBackend, setDispatchMode, type DispatchMode } from '../backends/registry.js';
import { itemSize, type TypedArray } from '../dtype.js';
import { contiguousStrides, fmtShape } from '../shape.js';
import { state } from '../state.js';
import { setScopeListener, type ScopeListener } from '../ops/prim.js';
import { VBuf } from './vbuf.js';
import { Storage, materialize, storageOf } from '../memory.js';
import { Tensor } from '../tensor.js';

/** Names of the Backend kernels a graph records (the methods of Backend that compute). */
export type KernelName = 'write' | 'fill' | 'arange' | 'copy' | 'unary' | 'binary' | 'where' | 'reduce' | 'scan' | 'matmul'
  | 'im2col' | 'col2im' | 'maxPool2d' | 'maxPool2dBackward' | 'winogradConv' | 'winogradWgrad' | 'attention' | 'attentionBackward' | 'gather' | 'scatter' | 'checkRange' | 'argsort' | 'random' | 'fused' | 'linalg'
  /** Made by Program's passes only: a matmul with its elementwise consumer (Backend.matmulEpilogue). */
  | 'matmulEpilogue';

/** A composite op's scope: the named node that groups the primitives it ran (kept whole or decomposed). */
export interface Scope {
  readonly id: number;
  /** The composite's name (PyTorch's op name in camelCase: 'linear', 'conv2d', 'layerNorm', 'crossEntropy'...). */
  readonly name: string;
  /** Its non-tensor arguments (e.g. { eps: 1e-5 }). */
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly parent: Scope | null;
}

/** One recorded primitive: a Backend method and its arguments (View arguments on virtual buffers). */
export interface GNode {
  readonly kind: KernelName;
  readonly device: Device;
  /** The arguments as the Backend method takes them; Views refer to VBufs. */
  args: unknown[];
  /** Buffers it reads and writes (a buffer written in part is also read). */
  reads: VBuf[];
  writes: VBuf[];
  /** The innermost composite it ran in, if any. */
  readonly scope: Scope | null;
  /** random: the counter offset relative to the captured stream's start (see Graph.randomBlocks). */
  randRel?: number;
}

/** Why capture stopped: a host read or a data-dependent shape (PyTorch's graph break). */
export class GraphBreak extends Error {
  constructor(readonly reason: string, readonly where: string) {
    super(`graph break: ${reason}${where ? ` at ${where}` : ''}`);
    this.name = 'GraphBreak';
  }
}

/** The first stack frame outside torchlet: where user code caused something. */
export function userFrame(stack?: string): string {
  if (stack === undefined) {
    const E = Error as { stackTraceLimit?: number };
    const lim = E.stackTraceLimit;
    E.stackTraceLimit = 60; // the user's frame lies below torchlet's own
    stack = new Error().stack ?? '';
    E.stackTraceLimit = lim;
  }
  const lines = stack.split('\n').slice(1).map((l) => l.trim());
  const own = /[\\/]src[\\/](compile|ops|autograd|backends|nn|optim|utils|generated|tensor\.ts|memory\.ts|args\.ts|settings\.ts)|dist[\\/]torchlet|node:internal|node_modules[\\/]/;
  const l = lines.find((x) => !own.test(x)) ?? lines[0] ?? '';
  return l.replace(/^at\s+/, '');
}

/** A captured program: primitive nodes over virtual buffers, in execution order. */
export class Graph {
  readonly nodes: GNode[] = [];
  /** Placeholders, in argument order. */
  readonly inputs: VBuf[] = [];
  /** Real buffers the program reads or writes without them being arguments, by real buffer. */
  readonly externs = new Map<BufferHandle, VBuf>();
  /** The captured stream's state when capture began, and how many Philox blocks it drew. */
  seed = state.seed;
  offset0 = state.offset;
  randomBlocks = 0;
  /** Every composite scope entered. */
  readonly scopes: Scope[] = [];

  /** The VBuf for a buffer seen in a kernel argument (a real one becomes an extern). */
  vbuf(b: BufferHandle, device: Device): VBuf {
    if (b instanceof VBuf) return b;
    let v = this.externs.get(b);
    if (!v) { v = new VBuf(b.nbytes, device, 'extern', b); this.externs.set(b, v); }
    return v;
  }

  /** Human-readable listing (like an FX graph's print_readable): one line per node, composites indented. */
  toString(): string {
    const name = (b: VBuf) => `${b.kind === 'input' ? 'in' : b.kind === 'extern' ? 'ext' : 't'}${b.id}`;
    const fmtArg = (a: unknown): string => {
      if (isView(a) && a.buf instanceof VBuf) {
        const v = a;
        return `${name(v.buf as VBuf)}:${v.dtype}${fmtShape(v.shape)}`;
      }
      if (a instanceof VBuf) return name(a);
      if (ArrayBuffer.isView(a)) return `<${(a as TypedArray).length} values>`;
      return JSON.stringify(a);
    };
    const out: string[] = [];
    let open: Scope[] = [];
    for (const n of this.nodes) {
      const chain: Scope[] = [];
      for (let s = n.scope; s; s = s.parent) chain.unshift(s);
      let k = 0;
      while (k < open.length && k < chain.length && open[k] === chain[k]) k++;
      open = open.slice(0, k);
      for (; k < chain.length; k++) {
        out.push(`${'  '.repeat(k)}${chain[k]!.name}(${JSON.stringify(chain[k]!.attrs)}):`);
        open.push(chain[k]!);
      }
      out.push(`${'  '.repeat(chain.length)}${n.kind}(${n.args.map(fmtArg).join(', ')})`);
    }
    return out.join('\n');
  }
}

const viewOf = (g: Graph, v: View, device: Device): View => (v.buf instanceof VBuf ? v : { ...v, buf: g.vbuf(v.buf, device) });

/** The Backend that records into a Graph instead of computing (one per device during a capture). */
export class Recorder implements Backend {
  readonly synchronous: boolean;
  scope: Scope | null = null;
  constructor(readonly g: Graph, readonly inner: Backend, readonly cap: Capture) { this.synchronous = inner.synchronous; }
  get device(): Device { return this.inner.device; }

  private add(kind: KernelName, args: unknown[], reads: View[], writes: View[], extra?: Partial<GNode>): void {
    const d = this.device;
    const conv = (a: unknown) => (isView(a) ? viewOf(this.g, a, d) : a);
    const cargs = args.map((a) => (Array.isArray(a) && isView(a[0]) ? a.map(conv) : conv(a))); // linalg: arrays of views
    const rv = reads.map((v) => (v.buf instanceof VBuf ? v.buf : this.g.vbuf(v.buf, d)));
    const wv = writes.map((v) => (v.buf instanceof VBuf ? v.buf : this.g.vbuf(v.buf, d)));
    // A partial write (a strided/offset view, or fewer bytes than the buffer) keeps the rest: a read too.
    writes.forEach((v, i) => { if (!isWholeBuffer(v)) rv.push(wv[i]!); });
    if (this.cap.lazy) { for (const b of rv) this.cap.hold(b); for (const b of wv) this.cap.hold(b); }
    this.g.nodes.push({ kind, device: d, args: cargs, reads: rv, writes: wv, scope: this.cap.scope, ...extra });
  }

  alloc(nbytes: number): BufferHandle {
    const b = new VBuf(nbytes, this.device, 'temp');
    if (this.cap.lazy) this.cap.allocated.push(b);
    return b;
  }
  free(_buf: BufferHandle): void { /* liveness comes from dataflow (tensors may never be freed explicitly) */ }
  write(buf: BufferHandle, data: TypedArray, byteOffset = 0): void {
    const vb = this.g.vbuf(buf, this.device);
    const copy = data.slice() as TypedArray; // the caller may reuse its array
    const full = byteOffset === 0 && copy.byteLength >= vb.nbytes;
    if (this.cap.lazy) this.cap.hold(vb);
    this.g.nodes.push({ kind: 'write', device: this.device, args: [vb, copy, byteOffset], reads: full ? [] : [vb], writes: [vb], scope: this.cap.scope });
  }
  // A host read ends a capture; a lazy one (torch.compile after a graph break) runs what it
  // recorded so far instead, and the read proceeds on the real buffer.
  read(v: View): Promise<TypedArray> {
    const b = this.cap.breakAt(`a host read of a ${v.dtype}${fmtShape(v.shape)} tensor (item/tolist/data/await)`);
    if (!this.cap.lazy) return Promise.reject(b);
    return this.inner.read(realView(v));
  }
  readSync(v: View): TypedArray {
    const b = this.cap.breakAt(`a host read of a ${v.dtype}${fmtShape(v.shape)} tensor (item/tolist/data)`);
    if (!this.cap.lazy || !this.inner.readSync) throw b;
    return this.inner.readSync(realView(v));
  }
  knownError(): Error | null { return null; }
  memory(): MemoryInfo { return this.inner.memory(); }
  synchronize(): Promise<void> { return this.inner.synchronize(); }
  emptyCache(): void { this.inner.emptyCache(); }

  fill(out: View, value: number): void { this.add('fill', [out, value], [], [out]); }
  arange(out: View, start: number, step: number): void { this.add('arange', [out, start, step], [], [out]); }
  copy(src: View, out: View): void { this.add('copy', [src, out], [src], [out]); }
  unary(op: UnaryOp, x: View, out: View): void { this.add('unary', [op, x, out], [x], [out]); }
  binary(op: BinaryOp, a: View, b: View, out: View): void { this.add('binary', [op, a, b, out], [a, b], [out]); }
  where(c: View, a: View, b: View, out: View): void { this.add('where', [c, a, b, out], [c, a, b], [out]); }
  reduce(op: ReduceOp, x: View, nReduce: number, out: View): void { this.add('reduce', [op, x, nReduce, out], [x], [out]); }
  scan(op: ScanOp, x: View, out: View): void { this.add('scan', [op, x, out], [x], [out]); }
  matmul(a: View, b: View, out: View): void { this.add('matmul', [a, b, out], [a, b], [out]); }
  im2col(x: View, out: View, g: ConvGeometry): void { this.add('im2col', [x, out, g], [x], [out]); }
  col2im(cols: View, out: View, g: ConvGeometry): void { this.add('col2im', [cols, out, g], [cols], [out]); }
  maxPool2d(x: View, out: View, idx: View, g: ConvGeometry): void { this.add('maxPool2d', [x, out, idx, g], [x], [out, idx]); }
  maxPool2dBackward(g: View, idx: View, out: View, geom: ConvGeometry): void { this.add('maxPool2dBackward', [g, idx, out, geom], [g, idx], [out]); }
  gather(x: View, dim: number, index: View, out: View): void { this.add('gather', [x, dim, index, out], [x, index], [out]); }
  scatter(out: View, dim: number, index: View, src: View, reduce: 'none' | 'add'): void {
    this.add('scatter', [out, dim, index, src, reduce], [out, index, src], [out]);
  }
  checkRange(x: View, min: number, max: number, message: string): void { this.add('checkRange', [x, min, max, message], [x], []); }
  linalg(kernel: LinalgKernel, ins: readonly View[], outs: readonly View[]): void {
    if (!this.inner.linalg) throw new Error(`linalg: the ${kernel} kernel is not implemented on ${this.device}`);
    this.add('linalg', [kernel, [...ins], [...outs]], [...ins], [...outs]);
  }
  argsort(x: View, descending: boolean, out: View): void { this.add('argsort', [x, descending, out], [x], [out]); }
  random(out: View, dist: 'uniform' | 'normal', seed: number, offset: number): void {
    const g = this.g;
    if (seed !== g.seed || offset < g.offset0) {
      const b = this.cap.breakAt('random numbers from an explicit torch.Generator');
      if (!this.cap.lazy) throw b;
      this.inner.random(realView(out, this.cap.materializeNow(out.buf, this.inner)), dist, seed, offset);
      return;
    }
    g.randomBlocks = Math.max(g.randomBlocks, state.offset - g.offset0);
    this.add('random', [out, dist, seed, offset], [], [out], { randRel: offset - g.offset0 });
  }
  // No adamStep/fused here: the optimizer then composes its update from primitives, which the
  // compiler sees (and fuses) like any other chain.
  // Winograd exactly where the device has it (ops test for the methods and ask winogradFits).
  get winogradConv(): Backend['winogradConv'] {
    return this.inner.winogradConv && ((x: View, u: View, out: View, p: readonly [number, number]) => this.add('winogradConv', [x, u, out, p], [x, u], [out]));
  }
  get winogradFits(): Backend['winogradFits'] { return this.inner.winogradFits?.bind(this.inner); }
  get winogradWgrad(): Backend['winogradWgrad'] {
    return this.inner.winogradWgrad && ((x: View, g: View, m: View, p: readonly [number, number]) => this.add('winogradWgrad', [x, g, m, p], [x, g], [m]));
  }
  // Fused attention likewise: the compiler could not do better than the kernel with its parts. The
  // nodes keep their outputs as their last views (the keep mask, an input, moves before them).
  get attention(): Backend['attention'] {
    return this.inner.attention && ((q: View, k: View, v: View, out: View, lse: View, scale: number, causal: boolean, keep: View | null, ks: number) =>
      this.add('attention', [q, k, v, keep, out, lse, scale, causal, ks], keep ? [q, k, v, keep] : [q, k, v], [out, lse]));
  }
  get attentionFits(): Backend['attentionFits'] { return this.inner.attentionFits?.bind(this.inner); }
  get attentionBackward(): Backend['attentionBackward'] {
    return this.inner.attentionBackward && ((q: View, k: View, v: View, go: View, lse: View, gq: View, gk: View, gv: View, scale: number, causal: boolean, keep: View | null, ks: number) =>
      this.add('attentionBackward', [q, k, v, go, lse, keep, gq, gk, gv, scale, causal, ks], keep ? [q, k, v, go, lse, keep] : [q, k, v, go, lse], [gq, gk, gv]));
  }
}

/** v on its real buffer (a materialised VBuf's, or v's own). */
function realView(v: View, real?: BufferHandle): View {
  const b = real ?? (v.buf instanceof VBuf ? v.buf.real : v.buf);
  if (!b) throw new Error('graph capture: a read of a value that was never computed (internal error)');
  return { ...v, buf: b };
}

/** Whether a kernel argument is a View (the other arguments are op names, numbers, geometry...). */
export const isView = (a: unknown): a is View => !!a && typeof a === 'object' && 'buf' in a && 'strides' in a;

/** Whether v is the whole of its buffer, row-major from offset 0 (a write to it defines it all). */
export function isWholeBuffer(v: View): boolean {
  let n = 1;
  for (let i = v.shape.length - 1; i >= 0; i--) {
    if (v.shape[i] !== 1 && v.strides[i] !== n) return false;
    n *= v.shape[i]!;
  }
  return v.offset === 0 && n * itemSize[v.dtype] >= v.buf.nbytes;
}

/** One active capture: the graph, a Recorder per device, the composite scope stack. */
export class Capture implements DispatchMode, ScopeListener {
  readonly g = new Graph();
  private readonly recorders = new Map<Device, Recorder>();
  scope: Scope | null = null;
  /** The break that ended it, if any. */
  broke: GraphBreak | null = null;
  /** Lazy captures run what they recorded at a host read instead of stopping (see LazyCapture). */
  lazy = false;
  /**
   * Runs the nodes recorded so far (lazy captures only), then gives every live virtual buffer a
   * real one and lets go of the storages the run nodes held.
   */
  flush(): void {
    try { this.runSegment(); this.materializeLive(); } finally { this.releaseHeld(); }
  }
  /** Compiles and runs the recorded segment (LazyCapture, src/compile/lazy.ts); a plain capture runs nothing. */
  protected runSegment(): void { /* a plain capture never runs anything */ }
  /**
   * Lazy captures: storages of the real buffers that recorded, not yet run, nodes read or write.
   * A tensor materialised by an earlier segment (or made before the call) may be released — by
   * its op's scope, dispose() — before the segment that reads it runs; with its real backend
   * restored, that frees (and lets the caching allocator hand out again) a buffer the pending
   * nodes still use ("use of a tensor whose storage was disposed" or silently wrong values, e.g.
   * F.crossEntropy on the CPU: gather's host read flushes, then `keep`/`safe` die at scope exit
   * before the final flush). They are held from recording until the next flush has run.
   */
  private held: Storage[] = [];
  hold(b: VBuf): void {
    const s = b.kind === 'temp' ? (b.real ? (b.storage as Storage | null) : null) : b.real ? storageOf(b.real) : undefined;
    if (s && !s.freed) { s.retain(); this.held.push(s); }
  }
  private releaseHeld(): void {
    const h = this.held;
    this.held = [];
    for (const s of h) s.release();
  }
  /**
   * Lazy captures: the virtual buffers handed out since the last flush. A flush materialises the
   * live buffers its nodes wrote; one no node wrote (an empty or zero-size tensor: nonzero() of all
   * zeros, torch.empty) stayed virtual, so reading the returned tensor later failed ("a read of a
   * value that was never computed"). After a flush every live one gets a real buffer.
   */
  allocated: VBuf[] = [];
  private materializeLive(): void {
    const a = this.allocated;
    this.allocated = [];
    for (const b of a) {
      const s = b.storage as Storage | null;
      if (b.real || !s || s.freed || s.refs <= 0) continue;
      const inner = realBackend(b.device);
      b.real = inner.alloc(b.nbytes);
      materialize(s, b.real, inner);
    }
  }
  /** Runs what was recorded, then gives buf a real buffer now (lazy captures: an op run eagerly). */
  materializeNow(buf: BufferHandle, inner: Backend): BufferHandle {
    this.flush();
    if (!(buf instanceof VBuf)) return buf;
    if (!buf.real) {
      buf.real = inner.alloc(buf.nbytes);
      if (buf.storage) materialize(buf.storage as Storage, buf.real, inner);
    }
    return buf.real;
  }

  backendFor(_d: Device, real: Backend): Backend {
    let r = this.recorders.get(real.device);
    if (!r) { r = new Recorder(this.g, real, this); this.recorders.set(real.device, r); }
    return r;
  }
  enter(name: string, attrs: Record<string, unknown>): void {
    this.scope = { id: this.g.scopes.length, name, attrs, parent: this.scope };
    this.g.scopes.push(this.scope);
  }
  exit(): void { this.scope = this.scope?.parent ?? null; }
  breakAt(reason: string): GraphBreak {
    this.broke ??= new GraphBreak(reason, userFrame());
    return this.broke;
  }
  /** The mode and scope listener this capture replaced while it runs (see eager). */
  private below: [DispatchMode | null, ScopeListener | null] = [null, null];
  /**
   * Eager code inside the captured function (`loss.backward()`, `optimizer.step()`), where Dynamo
   * graph-breaks too: a trace ends here (torch.compile then runs the function lazily); a lazy
   * capture runs what it recorded so far (so every live tensor is real), runs f eagerly on the real
   * tensors with the modes it replaced, and records again after it.
   */
  eager<T>(reason: string, f: () => T): T {
    const b = this.breakAt(reason);
    if (!this.lazy) throw b;
    const prevMode = setDispatchMode(this.below[0]), prevScope = setScopeListener(this.below[1]);
    try { return f(); } finally { setDispatchMode(prevMode); setScopeListener(prevScope); }
  }
  /** Runs f with this capture active (captures nest: the inner one wins while it runs). */
  run<T>(f: () => T): T {
    const prevMode = setDispatchMode(this), prevScope = setScopeListener(this);
    const below = this.below;
    this.below = [prevMode, prevScope];
    try {
      return f();
    } catch (e) {
      // A lazy call that throws never runs what it recorded since the last flush: let go of the
      // storages those nodes held (else they would never be freed).
      this.releaseHeld();
      throw e;
    } finally { setDispatchMode(prevMode); setScopeListener(prevScope); this.below = below; }
  }
  /** The recorder for a device (creating it), for placeholders. */
  recorder(d: Device): Recorder { return this.backendFor(d, realBackend(d)) as Recorder; }
  /**
   * A placeholder tensor on virtual buffer vb, shaped like `like`: with its strides and offset, or
   * packed (row-major from 0); a leaf requiring grad when `like` does.
   */
  placeholder(vb: VBuf, like: Tensor, packed = false): Tensor {
    const p = new Tensor(new Storage(this.recorder(like.device), vb, 0), like.shape,
      packed ? contiguousStrides(like.shape) : like.strides_, packed ? 0 : like.offset, like.dtype);
    if (like.requiresGrad) p.requiresGrad_(true);
    return p;
  }
}

/** Whether a capture is running (ops may ask to avoid host reads). */
export { isCapturing } from '../backends/registry.js';
