// The CUDA backend: one instance per device index, over the native addon (./addon.ts). Memory is the
// addon's caching allocator, kernels are native-cuda/src/kernels.cu launched by name with a packed
// TlArgs block (./abi.ts), float GEMMs go to cuBLAS. Kernels are queued on the device's stream, so
// data checks (index ranges, integer division by zero) set flag words on the device and poison what
// is computed from them (../poison.ts): `read` of such a buffer rejects, as the Backend contract says.

import type { AdamConstants, Backend, BinaryOp, BufferHandle, ConvGeometry, Device, LinalgKernel, MemoryInfo, ReduceOp, ScanOp, UnaryOp, View } from '../backend.js';
import { BINARY_OPS, indexOutOfBounds, INT_DIV_OPS, INTEGER_DIVISION_BY_ZERO, NEGATIVE_INTEGER_POWER, REDUCE_OPS, UNARY_OPS } from '../backend.js';
import { arrayType, itemSize, type RealDType, type TypedArray } from '../../dtype.js';
import { collapse, contiguousStrides, convOutHW } from '../../shape.js';
import { Check, join, SENT, settle, type Taint } from '../poison.js';
import { ArgPacker, type KView } from './abi.js';
import { loadCudaAddon, type CudaAddon, type CudaInit } from './addon.js';
import { getAllowTf32 } from './settings.js';

export class CudaBuffer implements BufferHandle {
  freed = false;
  /** Checks whose failure makes these values wrong: a read rejects with the first one flagged. */
  taint: Taint | null = null;
  /** What outputs computed from this buffer inherit: `taint` plus checks of its values (checkRange). */
  passOn: Taint | null = null;
  constructor(readonly nbytes: number, readonly ptr: number) {}
}

/** Flag word pairs per slab: checks take consecutive slots until the slab is read back. */
const FLAG_SLOTS = 1024;
/** Rows up to this long are argsorted by one rank-counting pass; longer ones by merge passes. */
const RANK_SORT_MAX = 256;
/**
 * Reductions of at least SPLIT_MIN elements into fewer than SPLIT_OUTPUTS outputs run in two stages,
 * in parts of at least SPLIT_CHUNK elements, up to about SPLIT_THREADS threads in all (a GPU needs
 * ~10^5 threads in flight; one thread summing a long column would leave it idle).
 */
const SPLIT_OUTPUTS = 1 << 16, SPLIT_MIN = 1 << 11, SPLIT_CHUNK = 1 << 9, SPLIT_THREADS = 1 << 18;

const UNARY_CODE = new Map<UnaryOp, number>(UNARY_OPS.map((o, i) => [o, i]));
const BINARY_CODE = new Map<BinaryOp, number>(BINARY_OPS.map((o, i) => [o, i]));
const REDUCE_CODE = new Map<ReduceOp, number>(REDUCE_OPS.map((o, i) => [o, i]));
const LINALG_CODE: Record<LinalgKernel, number> = { cholesky: 0, lu: 1, luSolve: 2, luSolveT: 3, qr: 4, eigh: 5, svd: 6 };

const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const f32bits = (v: number): number => { F32[0] = v; return U32[0]!; };
const F32 = new Float32Array(1), U32 = new Uint32Array(F32.buffer);

/** One written operand: `whole` when the write replaces every value of its buffer. */
interface Written { v: View; whole: boolean }

export class CudaBackend implements Backend {
  readonly device: Device;
  readonly synchronous = false;
  private readonly args = new ArgPacker();
  private live = 0;
  /** Bytes of live buffers as requested (the addon's counters include its size-class rounding). */
  private allocated = 0;
  private slab: CudaBuffer | null = null;
  private unsent: Check[] = [];

  constructor(readonly addon: CudaAddon, readonly index: number, readonly info: CudaInit) {
    this.device = (index === 0 ? 'cuda' : `cuda:${index}`) as Device;
  }

  /** The GPU's name (the emulator says so). */
  get name(): string { return this.addon.deviceName(this.index); }

  // ---------------------------------------------------------------- memory

  alloc(nbytes: number): BufferHandle {
    const ptr = this.addon.alloc(this.index, Math.max(nbytes, 1));
    this.live++;
    this.allocated += nbytes;
    return new CudaBuffer(nbytes, ptr);
  }
  free(buf: BufferHandle): void {
    const b = buf as CudaBuffer;
    if (b.freed) return;
    b.freed = true;
    this.live--;
    this.allocated -= b.nbytes;
    this.addon.free(this.index, b.ptr);
  }
  write(buf: BufferHandle, data: TypedArray, byteOffset = 0): void {
    const b = this.handle(buf);
    if (byteOffset + data.byteLength > b.nbytes) throw new RangeError(`cuda write: ${data.byteLength} bytes at ${byteOffset} overrun a buffer of ${b.nbytes}`);
    if (data.byteLength > 0) this.addon.write(this.index, b.ptr + byteOffset, data);
    if (byteOffset === 0 && data.byteLength >= b.nbytes) b.taint = b.passOn = null; // fresh values
  }
  async read(v: View): Promise<TypedArray> {
    const b = this.handle(v.buf);
    const n = numel(v.shape), size = itemSize[v.dtype];
    const T = arrayType(v.dtype);
    let bytes: ArrayBuffer | null = null;
    if (n > 0) {
      if (isDense(v)) bytes = await this.addon.read(this.index, b.ptr + v.offset * size, n * size);
      else {
        // Strided: gather into a contiguous temporary on the device first.
        const tmp = this.alloc(n * size);
        try {
          this.copy(v, { buf: tmp, dtype: v.dtype, shape: v.shape, strides: contiguousStrides(v.shape), offset: 0 });
          bytes = await this.addon.read(this.index, (tmp as CudaBuffer).ptr, n * size);
        } finally { this.free(tmp); }
      }
    }
    const bad = b.taint ? await b.taint.verdict(() => this.sendChecks()) : null;
    if (bad) throw bad.error();
    return bytes ? new T(bytes, 0, n) : new T(0);
  }
  knownError(buf: BufferHandle): Error | null {
    return (buf as CudaBuffer).taint?.knownBad()?.error() ?? null;
  }
  memory(): MemoryInfo {
    return { allocatedBytes: this.allocated, reservedBytes: this.addon.memoryStats(this.index).reserved, buffers: this.live };
  }
  synchronize(): Promise<void> { return this.addon.synchronize(this.index); }
  emptyCache(): void { this.addon.emptyCache(this.index); }

  // ---------------------------------------------------------------- elementwise

  fill(out: View, value: number): void {
    this.elementwise('tl_fill', [], out, (p) => p.f(0, value));
  }
  arange(out: View, start: number, step: number): void {
    const n = out.shape[0] ?? 1;
    this.launch('tl_arange', n, (p) => p.view(0, this.kv(out, [n], [1])).f(0, start).f(1, step), [], [this.whole(out)]);
  }
  copy(src: View, out: View): void {
    this.elementwise('tl_copy', [src], out, null, 1);
  }
  unary(op: UnaryOp, x: View, out: View): void {
    this.elementwise('tl_unary', [x], out, (p) => p.i(0, UNARY_CODE.get(op)!), 1);
  }
  binary(op: BinaryOp, a: View, b: View, out: View): void {
    let check: Check | null = null;
    if (a.dtype === 'int32' || a.dtype === 'uint8') {
      // Integer errors the CPU raises at once are flagged by the kernel and raised at the next read.
      if (INT_DIV_OPS.has(op)) check = this.newCheck(INTEGER_DIVISION_BY_ZERO);
      else if (op === 'pow') check = this.newCheck(NEGATIVE_INTEGER_POWER);
    }
    this.elementwise('tl_binary', [a, b], out, (p) => p.i(0, BINARY_CODE.get(op)!), 2, check);
  }
  where(cond: View, a: View, b: View, out: View): void {
    this.elementwise('tl_where', [cond, a, b], out, null, 3);
  }

  /**
   * An elementwise kernel: inputs as views 0.., `out` at view `outAt` (0 when there are no inputs),
   * all collapsed together to the fewest dims (every operand has out's shape by strides).
   */
  private elementwise(name: string, ins: View[], out: View, params: ((p: ArgPacker) => void) | null, outAt = 0, check: Check | null = null): void {
    const n = numel(out.shape);
    if (n === 0) return;
    const all = [...ins, out];
    const c = collapse(out.shape, all.map((v) => v.strides));
    this.launch(name, n, (p) => {
      all.forEach((v, k) => p.view(k === ins.length ? outAt : k, this.kv(v, c.shape, c.strides[k]!)));
      if (check) p.view(3, this.flagView(check));
      params?.(p);
    }, ins, [{ v: out, whole: this.coversBuffer(out) }], check);
  }

  // ---------------------------------------------------------------- reductions, scans, sorting

  reduce(op: ReduceOp, x: View, nReduce: number, out: View): void {
    const k = x.shape.length - nReduce;
    const R = numel(x.shape.slice(k));
    if (R === 0 && (op === 'max' || op === 'min' || op === 'argmax' || op === 'argmin')) {
      throw new RangeError(`${op}(): Expected reduction dim to have non-zero size.`);
    }
    const nOut = numel(out.shape);
    if (nOut === 0) return;
    // Kept and reduced dims collapse apart (the kernel walks the reduced ones per output).
    const ko = collapse(x.shape.slice(0, k), [x.strides.slice(0, k)]);
    const ro = op === 'argmax' || op === 'argmin' ? { shape: x.shape.slice(k), strides: [x.strides.slice(k)] } : collapse(x.shape.slice(k), [x.strides.slice(k)]);
    const xv = this.kv(x, [...ko.shape, ...ro.shape], [...ko.strides[0]!, ...ro.strides[0]!]);
    const nr = ro.shape.length, code = REDUCE_CODE.get(op)!;
    const ov = this.kv(out, [nOut], [1]);
    const parts = nOut >= SPLIT_OUTPUTS || R < SPLIT_MIN ? 1 : Math.min(Math.ceil(R / SPLIT_CHUNK), Math.ceil(SPLIT_THREADS / nOut));
    if (parts <= 1) {
      this.launch('tl_reduce', nOut, (p) => p.view(0, xv).view(1, ov).i(0, code).i(1, nr), [x], [{ v: out, whole: this.coversBuffer(out) }]);
      return;
    }
    // Few long reductions: stage 1 reduces fixed consecutive parts into float64 scratch, stage 2
    // combines the parts in order (the split depends on the shape only: deterministic).
    const sv = this.alloc(8 * nOut * parts), si = this.alloc(8 * nOut * parts);
    try {
      const scratch = (b: BufferHandle): KView => ({ ptr: (b as CudaBuffer).ptr, offset: 0, dtype: 'float64', shape: [nOut * parts], strides: [1] });
      this.launch('tl_reduce', nOut * parts, (p) => p.view(0, xv).view(1, ov).view(2, scratch(sv)).view(3, scratch(si)).i(0, code).i(1, nr).i(2, 1).i(3, parts), [x], []);
      this.launch('tl_reduce', nOut, (p) => p.view(0, xv).view(1, ov).view(2, scratch(sv)).view(3, scratch(si)).i(0, code).i(1, nr).i(2, 2).i(3, parts),
        [x], [{ v: out, whole: this.coversBuffer(out) }]);
    } finally { this.free(sv); this.free(si); }
  }
  scan(op: ScanOp, x: View, out: View): void {
    const n = numel(x.shape);
    if (n === 0) return;
    const L = x.shape.length ? x.shape[x.shape.length - 1]! : 1;
    this.launch('tl_scan', n / L, (p) => p.view(0, this.rowsView(x)).view(1, this.kv(out, [n], [1])).i(0, op === 'cumprod' ? 1 : 0),
      [x], [{ v: out, whole: this.coversBuffer(out) }]);
  }
  argsort(x: View, descending: boolean, out: View): void {
    const n = numel(x.shape);
    if (n === 0) return;
    const L = x.shape.length ? x.shape[x.shape.length - 1]! : 1;
    const xv = this.rowsView(x), ov = this.kv(out, [n], [1]);
    const w = [{ v: out, whole: this.coversBuffer(out) }];
    if (L <= RANK_SORT_MAX) {
      this.launch('tl_argsort', n, (p) => p.view(0, xv).view(1, ov).i(0, descending ? 1 : 0).i(1, L), [x], w);
      return;
    }
    // Rank within blocks of 32, then merge runs pairwise; the first pass writes where the last
    // merge lands in `out` (direction 0 writes out, 1 the scratch).
    const scratch = this.alloc(4 * n);
    try {
      const sv: KView = { ptr: (scratch as CudaBuffer).ptr, offset: 0, dtype: 'int32', shape: [n], strides: [1] };
      let passes = 0;
      for (let width = 32; width < L; width *= 2) passes++;
      let dir = passes % 2;
      this.launch('tl_argsort', n, (p) => p.view(0, xv).view(1, ov).view(2, sv).i(0, descending ? 1 : 0).i(1, 32).i(2, 0).i(3, dir), [x], w);
      for (let width = 32; width < L; width *= 2) {
        dir ^= 1;
        const d = dir;
        this.launch('tl_argsort', n, (p) => p.view(0, xv).view(1, ov).view(2, sv).i(0, descending ? 1 : 0).i(1, width).i(2, 1).i(3, d), [x], w);
      }
    } finally { this.free(scratch); }
  }

  /** x with its leading dims collapsed, the last dim kept (rows of a scan or sort). */
  private rowsView(x: View): KView {
    const nd = x.shape.length;
    if (nd === 0) return this.kv(x, [1], [0]);
    const lead = collapse(x.shape.slice(0, -1), [x.strides.slice(0, -1)]);
    return this.kv(x, [...lead.shape, x.shape[nd - 1]!], [...lead.strides[0]!, x.strides[nd - 1]!]);
  }

  // ---------------------------------------------------------------- matmul

  matmul(a: View, b: View, out: View): void {
    const [B, M, K] = a.shape as [number, number, number];
    const N = b.shape[2]!;
    if (B * M * N === 0) return;
    const w = [{ v: out, whole: this.coversBuffer(out) }];
    if (K === 0) { this.fill(out, 0); return; }
    const d = a.dtype;
    if (this.info.cublas !== null && (d === 'float32' || d === 'float16' || d === 'float64') && b.dtype === d && out.dtype === d && isDense(out)) {
      // Row-major C = A B is column-major C^T = B^T A^T: cuBLAS's A is our b, its B our a.
      let av = a, bv = b;
      let opA = gemmOperand(K, N, b.strides[1]!, b.strides[2]!), opB = gemmOperand(M, K, a.strides[1]!, a.strides[2]!);
      const tmp: BufferHandle[] = [];
      try {
        if (!opA || (B > 1 && b.strides[0]! < 0)) { bv = this.contiguousCopy(b, tmp); opA = gemmOperand(K, N, N, 1)!; }
        if (!opB || (B > 1 && a.strides[0]! < 0)) { av = this.contiguousCopy(a, tmp); opB = gemmOperand(M, K, K, 1)!; }
        const size = itemSize[d];
        this.addon.gemm(this.index, {
          transA: opA.trans, transB: opB.trans, m: N, n: M, k: K,
          a: this.ptrOf(bv) + bv.offset * size, lda: opA.ld, strideA: B > 1 ? bv.strides[0]! : 0,
          b: this.ptrOf(av) + av.offset * size, ldb: opB.ld, strideB: B > 1 ? av.strides[0]! : 0,
          c: this.ptrOf(out) + out.offset * size, ldc: N, strideC: M * N, batch: B, dtype: d, tf32: d === 'float32' && getAllowTf32(),
        });
        this.propagate([a, b], w, null);
      } finally { for (const t of tmp) this.free(t); }
      return;
    }
    // Integer dtypes, or no cuBLAS: one thread per output element.
    this.launch('tl_matmul', B * M * N, (p) => p.view(0, this.kv(a, a.shape, a.strides)).view(1, this.kv(b, b.shape, b.strides))
      .view(2, this.kv(out, [B, M, N], [M * N, N, 1])), [a, b], w);
  }

  /** A contiguous copy of v in a new buffer (pushed to `tmp` for freeing). */
  private contiguousCopy(v: View, tmp: BufferHandle[]): View {
    const buf = this.alloc(numel(v.shape) * itemSize[v.dtype]);
    tmp.push(buf);
    const c: View = { buf, dtype: v.dtype, shape: v.shape, strides: contiguousStrides(v.shape), offset: 0 };
    this.copy(v, c);
    return c;
  }

  // ---------------------------------------------------------------- convolution helpers

  im2col(x: View, out: View, g: ConvGeometry): void {
    const [, , H, W] = x.shape as [number, number, number, number];
    const [OH, OW] = convOutHW(H, W, g);
    if (out.shape[2] !== OH * OW) throw new Error('im2col: output shape mismatch');
    this.launch('tl_im2col', numel(out.shape), (p) => this.geometry(p.view(0, this.kv(x, x.shape, x.strides)).view(1, this.kv(out, out.shape, contiguousStrides(out.shape))), g, OH, OW),
      [x], [{ v: out, whole: this.coversBuffer(out) }]);
  }
  col2im(cols: View, out: View, g: ConvGeometry): void {
    const [, , H, W] = out.shape as [number, number, number, number];
    const [OH, OW] = convOutHW(H, W, g);
    if (cols.shape[2] !== OH * OW) throw new Error('col2im: input shape mismatch');
    this.launch('tl_col2im', numel(out.shape), (p) => this.geometry(p.view(0, this.kv(cols, cols.shape, cols.strides)).view(1, this.kv(out, out.shape, contiguousStrides(out.shape))), g, OH, OW),
      [cols], [{ v: out, whole: this.coversBuffer(out) }]);
  }
  maxPool2d(x: View, out: View, idx: View, g: ConvGeometry): void {
    const [OH, OW] = [out.shape[2]!, out.shape[3]!];
    const cs = contiguousStrides(out.shape);
    this.launch('tl_max_pool2d', numel(out.shape), (p) => this.geometry(p.view(0, this.kv(x, x.shape, x.strides)).view(1, this.kv(out, out.shape, cs))
      .view(2, this.kv(idx, idx.shape, cs)), g, OH, OW), [x], [{ v: out, whole: this.coversBuffer(out) }, { v: idx, whole: this.coversBuffer(idx) }]);
  }
  maxPool2dBackward(g: View, idx: View, out: View, geom: ConvGeometry): void {
    this.launch('tl_max_pool2d_backward', numel(out.shape), (p) => this.geometry(p.view(0, this.kv(g, g.shape, g.strides)).view(1, this.kv(idx, idx.shape, idx.strides))
      .view(2, this.kv(out, out.shape, contiguousStrides(out.shape))), geom, g.shape[2]!, g.shape[3]!), [g, idx], [{ v: out, whole: this.coversBuffer(out) }]);
  }
  private geometry(p: ArgPacker, g: ConvGeometry, OH: number, OW: number): void {
    [g.kernel[0], g.kernel[1], g.stride[0], g.stride[1], g.padding[0], g.padding[1], g.dilation[0], g.dilation[1], OH, OW].forEach((v, i) => p.i(i, v));
    p.f(0, g.padValue);
  }

  // ---------------------------------------------------------------- indexing and data checks

  gather(x: View, dim: number, index: View, out: View): void {
    const n = numel(out.shape);
    if (n === 0) return;
    const check = this.newCheck(indexOutOfBounds('gather', dim, x.shape[dim]!));
    this.launch('tl_gather', n, (p) => p.view(0, this.kv(x, x.shape, x.strides)).view(1, this.kv(index, index.shape, index.strides))
      .view(2, this.kv(out, out.shape, contiguousStrides(out.shape))).view(3, this.flagView(check)).i(0, dim),
    [x, index], [{ v: out, whole: this.coversBuffer(out) }], check);
  }
  scatter(out: View, dim: number, index: View, src: View, reduce: 'none' | 'add'): void {
    const L = index.shape[dim] ?? 1;
    if (numel(index.shape) === 0) return;
    if (out.dtype === 'float16' && reduce === 'add') {
      // The CPU sums float16 scatters in float32 and rounds once: do the same through a float32 copy.
      const tmp: BufferHandle[] = [];
      try {
        const buf = this.alloc(4 * numel(out.shape));
        tmp.push(buf);
        const w: View = { buf, dtype: 'float32', shape: out.shape, strides: contiguousStrides(out.shape), offset: 0 };
        this.copy(out, w);
        this.scatter(w, dim, index, src, reduce);
        this.copy(w, out);
      } finally { for (const t of tmp) this.free(t); }
      return;
    }
    const check = this.newCheck(indexOutOfBounds('scatter', dim, out.shape[dim]!));
    this.launch('tl_scatter', numel(index.shape) / L, (p) => p.view(0, this.kv(out, out.shape, contiguousStrides(out.shape)))
      .view(1, this.kv(index, index.shape, index.strides)).view(2, this.kv(src, index.shape, src.strides)).view(3, this.flagView(check))
      .i(0, dim).i(1, reduce === 'add' ? 1 : 0), [index, src], [{ v: out, whole: false }], check);
  }
  checkRange(x: View, min: number, max: number, message: string): void {
    if (x.dtype !== 'int32') throw new TypeError(`cuda checkRange: expected int32 values, got ${x.dtype}`);
    const n = numel(x.shape);
    if (n === 0) return;
    const h = this.handle(x.buf);
    const check = this.newCheck(message);
    const c = collapse(x.shape, [x.strides]);
    this.launch('tl_check_range', n, (p) => p.view(0, this.kv(x, c.shape, c.strides[0]!)).view(3, this.flagView(check)).i(0, min | 0).i(1, max | 0), [], []);
    // The values stay readable; what is computed from them carries the check.
    h.passOn = join([h.passOn], check);
  }
  carryChecks(from: View, to: View): void {
    const a = this.handle(from.buf), b = this.handle(to.buf);
    if (a.passOn) b.passOn = join([b.passOn, a.passOn], null);
  }

  // ---------------------------------------------------------------- random, optimizer

  random(out: View, dist: 'uniform' | 'normal', seed: number, offset: number): void {
    const n = numel(out.shape);
    if (n === 0) return;
    if (!isDense(out)) {
      const tmp: BufferHandle[] = [];
      try { const c = this.contiguousCopy(out, tmp); this.random(c, dist, seed, offset); this.copy(c, out); } finally { for (const t of tmp) this.free(t); }
      return;
    }
    const per = dist === 'uniform' ? 4 : 2;
    this.launch('tl_random', Math.ceil(n / per), (p) => p.view(0, this.kv(out, [n], [1])).i(0, dist === 'normal' ? 1 : 0)
      .i(1, seed >>> 0).i(2, Math.floor(seed / 4294967296) >>> 0).i(3, offset).i(4, n), [], [{ v: out, whole: this.coversBuffer(out) }]);
  }
  adamStep(p: View, g: View, m: View, v: View, k: AdamConstants): boolean {
    if ([p, g, m, v].some((w) => w.dtype !== 'float32' || !isDense(w) || numel(w.shape) !== numel(p.shape))) return false;
    const n = numel(p.shape);
    if (n === 0) return true;
    this.launch('tl_adam', n, (a) => a.view(0, this.kv(p, [n], [1])).view(1, this.kv(g, [n], [1])).view(2, this.kv(m, [n], [1])).view(3, this.kv(v, [n], [1]))
      .f(0, k.b1).f(1, k.a1).f(2, k.b2).f(3, k.a2).i(0, f32bits(k.c1)).i(1, f32bits(k.c2)).i(2, f32bits(k.decay)).i(3, f32bits(k.wd)).i(4, k.maximize ? 1 : 0),
    [p, g, m, v], [p, m, v].map((w) => ({ v: w, whole: this.coversBuffer(w) })));
    return true;
  }

  // ---------------------------------------------------------------- linear algebra

  /**
   * Dense linear algebra (LinalgKernel), one thread per matrix in float64 whatever the dtype, as the
   * CPU computes it (tl_linalg ports src/backends/wasm/linalg.ts): operands are copied into one
   * float64 workspace, results copied back (rounded) into the outputs.
   */
  linalg(kernel: LinalgKernel, ins: readonly View[], outs: readonly View[]): void {
    const B = ins[0]!.shape[0]!;
    if (B === 0) return;
    const all = [...ins, ...outs], at: number[] = [];
    let total = 0;
    for (const v of all) { at.push(total); total += numel(v.shape); }
    const s = ins[0]!.shape;
    let dims: number[], per = 0;
    switch (kernel) {
      case 'luSolve': case 'luSolveT': dims = [s[1]!, ins[2]!.shape[2]!]; break;
      case 'qr': { const [m, n] = [s[1]!, s[2]!]; dims = [m, n, outs[0]!.shape[2]!]; per = m * n + Math.min(m, n); break; }
      case 'eigh': dims = [s[1]!]; per = 2 * s[1]! * s[1]! + s[1]!; break;
      case 'svd': {
        const [m, n] = [s[1]!, s[2]!], ku = outs[0]!.shape[2]!, kv = outs[2]!.shape[1]!;
        const M = Math.max(m, n), N = Math.min(m, n), kx = m < n ? kv : ku;
        dims = [m, n, ku, kv]; per = M * N + 2 * N * N + 2 * N + M * kx + kx + 2 * M;
        break;
      }
      default: dims = [s[1]!];
    }
    const work = this.alloc(8 * total), scratch = this.alloc(8 * Math.max(1, B * per));
    try {
      const region = (k: number, v: View): View => ({ buf: work, dtype: 'float64', shape: v.shape, strides: contiguousStrides(v.shape), offset: at[k]! });
      ins.forEach((v, k) => this.copy(v, region(k, v)));
      this.launch('tl_linalg', B, (p) => {
        p.view(0, { ptr: (work as CudaBuffer).ptr, offset: 0, dtype: 'float64', shape: [total], strides: [1] })
          .view(1, { ptr: (scratch as CudaBuffer).ptr, offset: 0, dtype: 'float64', shape: [B * per], strides: [1] })
          .i(0, LINALG_CODE[kernel]).f(1, per);
        for (let k = 0; k < 3; k++) { if (k < ins.length) p.i(1 + k, at[k]!); if (k < outs.length) p.i(4 + k, at[ins.length + k]!); }
        dims.forEach((d, k) => (k < 3 ? p.i(7 + k, d) : p.f(0, d)));
      }, [...ins], []);
      outs.forEach((v, k) => this.copy(region(ins.length + k, v), v));
    } finally { this.free(work); this.free(scratch); }
  }

  // ---------------------------------------------------------------- plumbing

  /** Packs and launches kernel `name` over n work items, then propagates poison from reads to writes. */
  private launch(name: string, n: number, pack: (p: ArgPacker) => void, reads: View[], writes: Written[], check: Check | null = null): void {
    if (n > 0) {
      pack(this.args.reset().n(n));
      this.addon.launch(this.index, name, n, this.args.bytes);
    }
    this.propagate(reads, writes, check);
  }

  /** Every written buffer inherits what its inputs pass on (a partly written one keeps its own), plus the check. */
  private propagate(reads: View[], writes: Written[], check: Check | null): void {
    const inherited = join([...reads.map((r) => (r.buf as CudaBuffer).passOn), ...writes.filter((w) => !w.whole).map((w) => (w.v.buf as CudaBuffer).passOn)], check);
    for (const { v, whole } of writes) {
      const h = v.buf as CudaBuffer;
      if (whole) { h.taint = h.passOn = inherited; continue; }
      if (!inherited) continue;
      h.taint = join([h.taint, inherited], null);
      h.passOn = join([h.passOn, inherited], null);
    }
  }

  /** A new check with a flag slot in the current slab (zeroed when the slab was last recycled). */
  private newCheck(message: string): Check {
    if (this.unsent.length >= FLAG_SLOTS) this.sendChecks();
    if (!this.slab) {
      this.slab = this.alloc(8 * FLAG_SLOTS) as CudaBuffer;
      this.addon.write(this.index, this.slab.ptr, new Int32Array(2 * FLAG_SLOTS));
    }
    const c = new Check(message, this.device);
    c.slot = this.unsent.push(c) - 1;
    return c;
  }
  /** The flag words [flag, value] of a check's slot, as the kernels' v3. */
  private flagView(c: Check): KView {
    return { ptr: this.slab!.ptr, offset: 2 * c.slot, dtype: 'int32', shape: [2], strides: [1] };
  }
  /** Reads back the slab's used slots (queued after the kernels that set them), then zeroes them for reuse. */
  private sendChecks(): void {
    const checks = this.unsent;
    if (checks.length === 0 || !this.slab) return;
    this.unsent = [];
    const done = this.addon.read(this.index, this.slab.ptr, 8 * checks.length)
      .then((b) => settle(checks, new Int32Array(b)), () => settle(checks, null));
    for (const c of checks) { c.slot = SENT; c.done = done; }
    this.addon.write(this.index, this.slab.ptr, new Int32Array(2 * checks.length));
  }

  private handle(buf: BufferHandle): CudaBuffer {
    const b = buf as CudaBuffer;
    if (b.freed) throw new Error(`${this.device}: use of a tensor whose storage was disposed`);
    return b;
  }
  private ptrOf(v: View): number { return this.handle(v.buf).ptr; }
  /** The kernel view of v with the given (collapsed) shape and strides. */
  private kv(v: View, shape: readonly number[], strides: readonly number[]): KView {
    return { ptr: this.ptrOf(v), offset: v.offset, dtype: v.dtype as RealDType, shape, strides };
  }
  /** A write through v replaces all of its buffer (its poison starts afresh). */
  private coversBuffer(v: View): boolean {
    return v.offset === 0 && isDense(v) && numel(v.shape) * itemSize[v.dtype] >= v.buf.nbytes;
  }
  private whole(v: View): Written { return { v, whole: this.coversBuffer(v) }; }
}

/** v is one dense row-major run (strides of size-1 dims do not matter). */
function isDense(v: View): boolean {
  const c = collapse(v.shape, [v.strides]);
  return c.shape.length === 0 || (c.shape.length === 1 && c.strides[0]![0] === 1);
}


/**
 * How cuBLAS (column-major) reads a row-major rows x cols matrix with strides (sr, sc) as its
 * transpose (cols x rows): without transposition when columns are unit-stride (ld = sr), as the
 * transpose of a column-major matrix when rows are (ld = sc); null when neither fits (copy first).
 */
export function gemmOperand(rows: number, cols: number, sr: number, sc: number): { trans: boolean; ld: number } | null {
  if (cols === 1 || sc === 1) {
    const ld = rows === 1 ? Math.max(cols, 1) : sr;
    if (ld >= Math.max(cols, 1)) return { trans: false, ld };
  }
  if (rows === 1 || sr === 1) {
    const ld = cols === 1 ? Math.max(rows, 1) : sc;
    if (ld >= Math.max(rows, 1)) return { trans: true, ld };
  }
  return null;
}

/**
 * Loads the addon and makes one backend per CUDA device ('cuda', 'cuda:1', ...), or says why CUDA is
 * unavailable (what using a 'cuda' tensor then says). The registry registers them (initCuda).
 */
export async function createCudaBackends(): Promise<CudaBackend[] | string> {
  const r = await loadCudaAddon();
  if ('reason' in r) return r.reason;
  return Array.from({ length: r.info.deviceCount }, (_, i) => new CudaBackend(r.addon, i, r.info));
}
