// Runs fused elementwise programs on the CPU backend (Backend.fused): picks the layout (collapsed
// rank, inner-stride pattern per operand), compiles and caches one kernel per (program, layout) with
// ./fusedgen.ts, writes the sizes/strides/pointers block and cuts the work into calls for the thread
// pool; reduction programs (FusedProgram.reduce) get kernels from ./fusedreduce.ts (`runReduce`).
// Contract: returns false, writing nothing, for what it does not run (unsupported ops or dtypes,
// mismatched views, outputs that overlap inputs or each other); a cut never changes a value.

import type { View } from '../backend.js';
import { fusedKey, type FusedProgram, valueDtype } from '../fused.js';
import { itemSize } from '../../dtype.js';
import { generateFused, type FusedModule, type Kind, type Layout, Unsupported } from './fusedgen.js';
import { generateReduce } from './fusedreduce.js';
import { collapse } from '../../shape.js';
import { unaryFns } from './math.js';
import { CHUNK, split2d } from './split.js';
import { CallList } from './threads.js';

/** What the runner needs from the backend. */
export interface FusedHost {
  readonly memory: WebAssembly.Memory;
  /** The memory is shared: kernels are built for it and may run on the worker pool. */
  readonly shared: boolean;
  /** Byte address of a view's origin (throws on a freed buffer). */
  ptr(v: View): number;
  /** Memory that is never freed (module bytes the workers compile from). */
  allocFixed(nbytes: number): number;
  exec(list: CallList, parallel: boolean): void;
  /** Waits for the kernels in flight (before this thread writes or reads the memory itself). */
  fence(): void;
}

interface Kernel { readonly id: number; readonly bytesPtr: number; readonly bytesLen: number; readonly hostOnly: boolean; readonly cost: number }

/** The JS functions kernels may import as 'm' (the worker source in threads.ts resolves the same names). */
export function jitMath(name: string): unknown {
  return name === 'fmod' ? (a: number, b: number) => a % b : (Math as unknown as Record<string, unknown>)[name];
}

/** Collapsed rank above which the runner declines (the generated odometer grows with it). */
const MAX_RANK = 8;

export class FusedRunner {
  private readonly kernels = new Map<string, Kernel | null>();
  private readonly unsupported = new Set<string>();
  private readonly fns: ((...a: number[]) => void)[] = [];
  /**
   * Two argument blocks (fixed memory, grown when a call needs more; calls of one run share one),
   * used in turn: the pool's batch in flight may still read the other (threads.ts fence).
   */
  private readonly blks = [0, 0];
  private readonly blkBytes = [0, 0];
  private turn = 0;
  /** Float64 partial sums of a long single-output sum (fixed memory, grown when needed). */
  private part = 0;
  private partBytes = 0;
  /** The GEMM epilogue's descriptors (fixed memory), used in turn like the argument blocks. */
  private readonly epis = [0, 0];
  /** Modules compiled, and runs that found theirs in the cache (tests check reuse). */
  readonly stats = { compiled: 0, hits: 0 };

  constructor(private readonly host: FusedHost) {}

  /** This thread's handler of 'jit' calls: (kernel id, module bytes pointer, length, kernel args). */
  readonly dispatch = (id: number, _ptr: number, _len: number, ...args: number[]): number => { this.fns[id]!(...args); return 0; };

  run(p: FusedProgram, ins: readonly View[], outs: readonly View[]): boolean {
    const pk = fusedKey(p);
    if (p.reduce) return !this.unsupported.has(pk) && this.runReduce(p, pk, ins, outs);
    if (this.unsupported.has(pk) || ins.length !== p.inputs.length || outs.length !== p.outputs.length || outs.length === 0) return false;
    const shape = outs[0]!.shape, nd = shape.length;
    const views = [...ins, ...outs];
    const dts = [...p.inputs, ...p.outputs.map((v) => valueDtype(p, v))];
    if (views.some((v, k) => v.dtype !== dts[k] || v.shape.length !== nd || v.shape.some((n, d) => n !== shape[d]))) return false;
    if (!this.disjoint(ins, outs)) return false;
    const c = collapse(shape, views.map((v) => v.strides));
    const numel = shape.reduce((a, b) => a * b, 1);
    const R = Math.max(2, c.shape.length);
    if (R > MAX_RANK) return false;
    const pad = R - c.shape.length;
    const dims = [...new Array<number>(pad).fill(1), ...c.shape];
    const st = c.strides.map((s) => [...new Array<number>(pad).fill(0), ...s]);
    const cols = dims[R - 1]!;
    const nIn = ins.length;
    // An output written twice (a stride-0 dim) would depend on the order of the writes.
    if (numel > 0 && st.slice(nIn).some((s) => s.some((x, d) => x === 0 && dims[d]! > 1))) return false;
    const kinds = st.map((s, k): Kind => {
      const inner = s[R - 1]!;
      if (cols === 1) return k < nIn ? 'b' : 'c';
      return inner === 1 ? 'c' : inner === 0 ? 'b' : 's';
    });
    const kernel = this.kernel(p, pk, { rank: R, kinds });
    if (!kernel) return false;
    if (numel === 0) return true;
    const blk = this.block(views, dims, st, 0);
    let rows = 1;
    for (let d = 0; d < R - 1; d++) rows *= dims[d]!;
    const L = new CallList();
    split2d(L, 'jit', rows, cols, (r0, nr, c0, nc) => [kernel.id, kernel.bytesPtr, kernel.bytesLen, blk, r0, nr, c0, nc],
      Math.max(1, Math.round(kernel.cost / 4)));
    this.host.exec(L, this.host.shared && !kernel.hostOnly);
    return true;
  }

  /**
   * Prepares `p` as the epilogue of a GEMM (WasmBackend.matmulEpilogue): every view has the
   * product's shape [B, M, N], input 0 being the product itself. Leading dims collapse as far as the
   * views allow but N stays the kernel's column dim, so a finished block of C (rows of the flattened
   * [B*M, N], a column range) is one kernel call. Returns the descriptor wasm/gemm.ts passes to
   * gemmEpilogue (kernel id, module bytes pointer, length, argument block), and whether the kernel
   * can run on workers; null, preparing nothing, where `run` would decline.
   */
  tiles(p: FusedProgram, ins: readonly View[], outs: readonly View[]): { epi: number; hostOnly: boolean } | null {
    const pk = fusedKey(p), views = [...ins, ...outs], shape = outs[0]?.shape;
    if (p.reduce || this.unsupported.has(pk) || ins.length !== p.inputs.length || outs.length !== p.outputs.length || !shape || shape.length !== 3) return null;
    const dts = [...p.inputs, ...p.outputs.map((v) => valueDtype(p, v))];
    if (views.some((v, k) => v.dtype !== dts[k] || v.shape.length !== 3 || v.shape.some((n, d) => n !== shape[d]))) return null;
    if (!this.disjoint(ins, outs)) return null;
    const lead = collapse(shape.slice(0, 2), views.map((v) => v.strides.slice(0, 2)));
    const N = shape[2]!, nIn = ins.length;
    const dims = [...(lead.shape.length ? lead.shape : [1]), N], R = dims.length;
    const st = views.map((v, k) => [...(lead.shape.length ? lead.strides[k]! : [0]), v.strides[2]!]);
    // An output written twice (a stride-0 dim) would depend on the order of the writes.
    if (st.slice(nIn).some((s) => s.some((x, d) => x === 0 && dims[d]! > 1))) return null;
    const kinds = st.map((s, k): Kind => (N === 1 ? (k < nIn ? 'b' : 'c') : s[R - 1] === 1 ? 'c' : s[R - 1] === 0 ? 'b' : 's'));
    const kernel = this.kernel(p, pk, { rank: R, kinds });
    if (!kernel) return null;
    const blk = this.block(views, dims, st, 0), t = this.turn;
    const epi = this.epis[t] ||= this.host.allocFixed(16);
    new Int32Array(this.host.memory.buffer, epi, 4).set([kernel.id, kernel.bytesPtr, kernel.bytesLen, blk]);
    return { epi, hostOnly: kernel.hostOnly || !this.host.shared };
  }

  /** This thread's gemmEpilogue (see `tiles`): the described kernel over a block of the product. */
  readonly epilogue = (epi: number, r0: number, nr: number, c0: number, nc: number): void => {
    const w = new Int32Array(this.host.memory.buffer, epi, 4);
    this.fns[w[0]!]!(w[3]!, r0, nr, c0, nc);
  };

  /**
   * The argument block: row-dim sizes (word 0: `word0`, unused by elementwise kernels), then per
   * operand pointer and byte strides (`st`: element strides per operand over `dims`).
   */
  private block(views: readonly View[], dims: readonly number[], st: readonly (readonly number[])[], word0: number): number {
    const R = dims.length, K = views.length, words = R - 1 + K * (R + 1), t = this.turn ^= 1;
    if (this.blkBytes[t]! < 4 * words) {
      this.blkBytes[t] = Math.max(1024, 4 * words);
      this.blks[t] = this.host.allocFixed(this.blkBytes[t]!);
    }
    const blk = this.blks[t]!, w = new Int32Array(this.host.memory.buffer, blk, words);
    w[0] = word0;
    for (let d = 1; d <= R - 2; d++) w[d] = dims[d]!;
    views.forEach((v, k) => {
      const o = R - 1 + k * (R + 1), es = itemSize[v.dtype];
      w[o] = this.host.ptr(v);
      for (let d = 0; d < R; d++) w[o + 1 + d] = st[k]![d]! * es;
    });
    return blk;
  }

  /**
   * A reduction program (float32 result): kept dims (collapsed, any strides) walked as rows, the
   * reduced dims as one run per input and side output (declined where they do not collapse to one
   * stride per operand, as blocks of 8 would then straddle runs). Declines empty tensors (the
   * composed reduce fills or raises there), an output that is not dense (the composed reduce writes
   * it densely) or shares a buffer with an input, side outputs that overlap an input other than as
   * its very view or write an element twice. Calls take whole outputs, except one output longer
   * than CHUNK, summed in the backend's fixed CHUNK-long float64 parts; so the split never changes a value.
   */
  private runReduce(p: FusedProgram, pk: string, ins: readonly View[], outs: readonly View[]): boolean {
    const nIn = ins.length, n = p.reduce!.nReduce, out = outs.at(-1), sides = outs.slice(0, -1), nW = nIn + sides.length;
    if (nIn === 0 || nIn !== p.inputs.length || outs.length !== p.outputs.length || !out || valueDtype(p, p.outputs.at(-1)!) !== 'float32' || out.dtype !== 'float32') return false;
    const shape = ins[0]!.shape, nd = shape.length, kept = nd - n;
    if (!Number.isInteger(n) || n < 0 || kept < 0 || shape.includes(0)) return false;
    const full = (v: View) => v.shape.length === nd && v.shape.every((s, d) => s === shape[d]);
    if (ins.some((v, k) => v.dtype !== p.inputs[k] || !full(v) || v.buf === out.buf)) return false;
    if (sides.some((v, k) => v.dtype !== valueDtype(p, p.outputs[k]!) || !full(v) || v.buf === out.buf || v.strides.some((x, d) => x === 0 && shape[d]! > 1))) return false;
    if (!this.disjoint(ins, sides)) return false;
    const oshape = shape.slice(0, kept);
    if (out.shape.length !== kept || out.shape.some((s, d) => s !== oshape[d])) return false;
    let outs1 = 1; // the number of outputs; the output must be dense
    for (let d = kept - 1; d >= 0; d--) { if (oshape[d] !== 1 && out.strides[d] !== outs1) return false; outs1 *= oshape[d]!; }
    const walked = [...ins, ...sides];
    const ko = collapse(oshape, [...walked, out].map((v) => v.strides.slice(0, kept)));
    const rd = collapse(shape.slice(kept), walked.map((v) => v.strides.slice(kept)));
    if (rd.shape.length > 1) return false;
    const len = rd.shape[0] ?? 1;
    const Ro = Math.max(1, ko.shape.length), R = Ro + 1;
    if (R > MAX_RANK) return false;
    const pad = Ro - ko.shape.length;
    const dims = [...new Array<number>(pad).fill(1), ...ko.shape, len];
    const st = ko.strides.map((s, k) => [...new Array<number>(pad).fill(0), ...s, k < nW ? (rd.strides[k]?.[0] ?? 0) : 0]);
    // Side outputs are never broadcast ('b' loads once per row); a run of one is 'c' (tails only).
    const kinds = st.map((s, k): Kind => (k >= nIn && (k === nW || len === 1 || s[Ro] === 1) ? 'c' : len === 1 || s[Ro] === 0 ? 'b' : s[Ro] === 1 ? 'c' : 's'));
    const kernel = this.kernel(p, pk, { rank: R, kinds });
    if (!kernel) return false;
    const L = new CallList(), make = (blk: number) => (r0: number, nr: number, c0: number, nc: number) => [kernel.id, kernel.bytesPtr, kernel.bytesLen, blk, r0, nr, c0, nc];
    if (p.reduce!.op === 'sum' && outs1 === 1 && len > CHUNK) {
      const parts = Math.ceil(len / CHUNK);
      if (this.partBytes < 8 * parts) { this.partBytes = Math.max(4096, 8 * parts); this.part = this.host.allocFixed(this.partBytes); }
      const blk = this.block([...walked, out], dims, st, this.part);
      for (let c0 = 0; c0 < len; c0 += CHUNK) L.push('jit', make(blk)(0, 1, c0, Math.min(CHUNK, len - c0)), Math.min(CHUNK, len - c0) * kernel.cost);
      this.host.exec(L, this.host.shared && !kernel.hostOnly);
      // Added in order from 0, then rounded once, as the backend adds its sumRunF64 parts.
      this.host.fence();
      const f = new Float64Array(this.host.memory.buffer, this.part, parts);
      let sum = 0;
      for (let i = 0; i < parts; i++) sum += f[i]!;
      new Float32Array(this.host.memory.buffer, this.host.ptr(out), 1)[0] = sum;
      return true;
    }
    const blk = this.block([...walked, out], dims, st, 0);
    split2d(L, 'jit', outs1, 1, (r0, nr) => make(blk)(r0, nr, 0, len), Math.max(1, Math.round(len * kernel.cost / 4)));
    this.host.exec(L, this.host.shared && !kernel.hostOnly);
    return true;
  }

  /**
   * Outputs may share a buffer with an input, or with each other, only as the very same view: each
   * element is then read before it is written, in the same iteration, as the composed chain sees it.
   */
  private disjoint(ins: readonly View[], outs: readonly View[]): boolean {
    const same = (a: View, b: View) => a.offset === b.offset && a.dtype === b.dtype && a.strides.every((s, d) => s === b.strides[d]);
    return outs.every((o, i) => ins.every((v) => v.buf !== o.buf || same(v, o)) && outs.every((v, j) => j === i || v.buf !== o.buf || same(v, o)));
  }

  private kernel(p: FusedProgram, pk: string, layout: Layout): Kernel | null {
    const key = `${pk}#${layout.rank}#${layout.kinds.join('')}`;
    const hit = this.kernels.get(key);
    if (hit !== undefined) { if (hit) this.stats.hits++; return hit; }
    let k: Kernel | null = null;
    try {
      const g: FusedModule = (p.reduce ? generateReduce : generateFused)(p, layout, this.host.shared);
      const mod = new WebAssembly.Module(g.bytes);
      const imp: Record<string, Record<string, unknown>> = { env: { memory: this.host.memory }, m: {}, h: {} };
      for (const f of g.imports) imp[f.module]![f.name] = f.module === 'm' ? jitMath(f.name) : unaryFns[f.name as 'erf'];
      const inst = new WebAssembly.Instance(mod, imp as WebAssembly.Imports);
      const id = this.fns.length;
      this.fns.push(inst.exports['run'] as (...a: number[]) => void);
      // Workers compile the module from these bytes (a Module cannot be posted to a busy worker).
      const share = this.host.shared && !g.hostOnly;
      const bytesPtr = share ? this.host.allocFixed(g.bytes.length) : 0;
      if (share) new Uint8Array(this.host.memory.buffer, bytesPtr, g.bytes.length).set(g.bytes);
      k = { id, bytesPtr, bytesLen: share ? g.bytes.length : 0, hostOnly: g.hostOnly, cost: g.cost };
      this.stats.compiled++;
    } catch (e) {
      if (e instanceof Unsupported) { this.unsupported.add(pk); return null; }
      // Invalid code is a generator bug: surface it rather than fall back quietly.
      if (e instanceof WebAssembly.CompileError || e instanceof WebAssembly.LinkError) throw e;
      // A runtime that refuses synchronous compiles (a browser main thread, large modules): decline.
      k = null;
    }
    this.kernels.set(key, k);
    return k;
  }
}
