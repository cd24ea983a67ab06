// The CPU backend: tensors live in one WebAssembly.Memory, managed by a caching allocator.
// Hot float32 kernels (GEMM, elementwise, comparisons, reductions, copies/casts, im2col/col2im,
// gather/scatter) run in AssemblyScript SIMD code (./simd.ts, wasm/) when its module is loaded, cut
// into calls for the thread pool when large (./split.ts, ./threads.ts; the memory is shared where the
// runtime allows); each method decides per call between that and the reference TypeScript loop over
// the same memory (./reference.ts), which handles every dtype and stride pattern.

import type { FusedProgram } from '../fused.js';
import type { AdamConstants, Backend, BinaryOp, BufferHandle, ConvGeometry, LinalgKernel, MemoryInfo, ReduceOp, ScanOp, UnaryOp, View } from '../backend.js';
import { indexOutOfBounds } from '../backend.js';
import { arrayType, type DType, type TypedArray, f16BitsToF32 } from '../../dtype.js';
import { collapse, contiguousStrides, convOutHW, isContiguous } from '../../shape.js';
import { WasmAllocator } from './allocator.js';
import * as ref from './reference.js';
import { availableVariants, BINARY_CODES, COMPARE_CODES, isShared, loadSimdKernels, loadSimdKernelsAsync, REDUCE_CODES, simdBytes, type SimdKernels, type SimdVariant, UNARY_CODES } from './simd.js';
import { CallList, getNumThreads, KERNEL_NAMES, ThreadPool, threadsSupported } from './threads.js';
import { CHUNK, PAR_MIN, evenParts, split2d, splitGemm } from './split.js';
import { FusedRunner } from './fusedrun.js';
import { runLinalg } from './linalg.js';

export class WasmBuffer implements BufferHandle {
  freed = false;
  constructor(readonly ptr: number, readonly nbytes: number, readonly size: number) {}
}

/**
 * Bytes at the start of memory kept from the allocator for the wasm kernels' own data. The SIMD
 * module has none today (no data segment, no shadow stack; wasm/build.mjs checks it stays small).
 */
export const HEAP_BASE = 1 << 20;

export class WasmBackend implements Backend {
  readonly device = 'cpu' as const;
  readonly synchronous = true;
  /** torch.compile sinks only cheap ops here (Backend.sinkCheapOnly). */
  readonly sinkCheapOnly = true;
  readonly wasmMemory: WebAssembly.Memory;
  private readonly allocator: WasmAllocator;
  private views: Partial<Record<DType, TypedArray>> = {};
  private viewsOf: ArrayBufferLike | null = null;
  /** The SIMD kernels in use, or null while only the reference kernels run. */
  private simd: SimdKernels | null = null;
  private readonly loaded = new Map<SimdVariant, SimdKernels>();
  private gemmScratch: WasmBuffer | null = null;
  /** One pool per kernel variant: a worker must run the same build as the calling thread. */
  private readonly pools = new Map<SimdVariant, ThreadPool>();
  /** This thread's kernel exports by KERNEL_NAMES index, for the kernels in use ('jit' last). */
  private fns: ((...args: number[]) => number)[] = [];
  /** Generated kernels of fused programs (created on the first `fused` call). */
  private fusedRunner: FusedRunner | null = null;

  constructor(memory?: WebAssembly.Memory) {
    this.wasmMemory = memory ?? newMemory();
    this.allocator = new WasmAllocator(this.wasmMemory, HEAP_BASE);
    const best = availableVariants()[0];
    if (best) {
      // A browser main thread refuses synchronous compiles of this size: upgrade() does it later.
      try { this.useKernels(best); } catch { this.simd = null; }
    }
  }

  /** Which kernels run the hot float32 paths: 'relaxed', 'simd128' or 'reference'. */
  get kernels(): SimdVariant | 'reference' { return this.simd?.variant ?? 'reference'; }

  /**
   * Switches kernels (tests and benchmarks compare them). Returns false, changing nothing, when the
   * runtime cannot run the variant.
   */
  useKernels(v: SimdVariant | 'reference'): boolean {
    if (v === 'reference') { this.simd = null; return true; }
    if (!availableVariants().includes(v)) return false;
    // Instances are kept: a fresh one would start again in V8's baseline tier.
    let k = this.loaded.get(v);
    if (!k) { k = loadSimdKernels(this.wasmMemory, v, this.fusedJit().epilogue); this.loaded.set(v, k); }
    this.setKernels(k);
    return true;
  }

  private setKernels(k: SimdKernels): void {
    this.simd = k;
    this.fns = KERNEL_NAMES.map((n) => k.k[n] as unknown as (...args: number[]) => number);
    this.fns.push(this.fusedJit().dispatch);
  }

  /**
   * The thread pool of the kernels in use, started up to `getNumThreads()` threads; null when one
   * thread is asked for or the memory is not shared.
   */
  threadPool(): ThreadPool | null {
    const k = this.simd, threads = getNumThreads();
    if (!k || !k.shared || threads <= 1) return null;
    let pool = this.pools.get(k.variant);
    if (!pool) {
      pool = new ThreadPool(k.module, this.wasmMemory, () => this.allocator.allocFixed(k.k.scratchBytes()));
      this.pools.set(k.variant, pool);
    }
    pool.ensure(threads);
    return pool;
  }

  /** What the CPU's threads are doing, for torch.parallelInfo(). */
  parallelInfo(): { numThreads: number; workersReady: number; workerCalls: number; sharedMemory: boolean; kernels: SimdVariant | 'reference' } {
    const pool = this.simd ? this.pools.get(this.simd.variant) : undefined;
    return { numThreads: getNumThreads(), workersReady: pool?.ready ?? 0, workerCalls: pool?.workerCalls ?? 0,
      sharedMemory: this.simd?.shared ?? false, kernels: this.kernels };
  }

  /**
   * Runs a list of kernel calls: on the pool when a worker is ready (possibly still running when
   * this returns: fence()), else in order on this thread. With `wantResults` the calls are done on
   * return and their results returned (gather/scatter report bad indices so).
   */
  private exec(list: CallList, parallel = true, wantResults = false): ArrayLike<number> {
    const n = list.length;
    if (n === 0) return [];
    if (!this.gemmScratch && list.scratchArg.some((a) => a >= 0)) this.gemmScratch = this.alloc(this.simd!.k.scratchBytes()) as WasmBuffer;
    const scratch = this.gemmScratch?.ptr ?? 0;
    const pool = parallel ? this.threadPool() : null;
    if (pool && pool.ready > 0) {
      // Worth cutting: this thread works too. Else, unless its results are wanted now, the whole op
      // goes to a worker while this thread returns to prepare the next one (fence() catches up).
      if (n > 1 && list.work >= PAR_MIN) return pool.run(list, this.fns, scratch, wantResults);
      if (!wantResults) return pool.run(list, this.fns, scratch, false, true);
    }
    this.fence();
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const a = list.args[i]!, sa = list.scratchArg[i]!;
      if (sa >= 0) a[sa] = scratch;
      out[i] = this.fns[list.fns[i]!]!(...a);
    }
    return out;
  }

  /** Waits for the kernels in flight on the pool (before JavaScript touches the memory). */
  fence(): void { for (const p of this.pools.values()) p.fence(); }

  /** Loads the best SIMD kernels asynchronously if the synchronous attempt was refused. */
  async upgrade(): Promise<void> {
    const best = availableVariants()[0];
    if (best && !this.simd) {
      const k = await loadSimdKernelsAsync(this.wasmMemory, best, this.fusedJit().epilogue);
      this.loaded.set(best, k);
      this.setKernels(k);
    }
  }

  /** A typed array over the whole memory for dtype d (recreated after memory growth). */
  arr(d: DType): TypedArray {
    this.fence();
    if (this.viewsOf !== this.wasmMemory.buffer) { this.views = {}; this.viewsOf = this.wasmMemory.buffer; }
    let a = this.views[d];
    if (!a) {
      const T = arrayType(d);
      // Math.floor, not `| 0`: memories past 2 GiB would wrap to a negative length.
      a = new T(this.wasmMemory.buffer, 0, Math.floor(this.wasmMemory.buffer.byteLength / (T as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT));
      this.views[d] = a;
    }
    return a;
  }

  /**
   * A typed array over a dense view's own elements that native code may read and write in place
   * (the Gloo addon's collectives), or null. Only over shared memory, which grows without moving;
   * a plain memory's buffer is replaced when it grows.
   */
  liveView(v: View): TypedArray | null {
    if (!isShared(this.wasmMemory) || v.dtype === 'float16') return null;
    const n = v.shape.reduce((a, b) => a * b, 1);
    const c = collapse(v.shape, [v.strides]);
    if (n === 0 || !(c.shape.length === 0 || (c.shape.length === 1 && c.strides[0]![0] === 1))) return null;
    const o = this.base(v);
    return this.arr(v.dtype).subarray(o, o + n);
  }

  /** Element index of a view's origin in arr(dtype). */
  base(v: View): number {
    const b = v.buf as WasmBuffer;
    if (b.freed) throw new Error('cpu: use of a tensor whose storage was disposed');
    return b.ptr / (arrayType(v.dtype) as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT + v.offset;
  }

  alloc(nbytes: number): BufferHandle {
    const [ptr, size] = this.allocator.alloc(Math.max(nbytes, 1));
    return new WasmBuffer(ptr, nbytes, size);
  }
  free(buf: BufferHandle): void {
    const b = buf as WasmBuffer;
    if (b.freed) return;
    b.freed = true;
    this.allocator.free(b.ptr, b.size);
  }
  write(buf: BufferHandle, data: TypedArray, byteOffset = 0): void {
    this.fence();
    const b = buf as WasmBuffer;
    new Uint8Array(this.wasmMemory.buffer, b.ptr + byteOffset, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  readSync(v: View): TypedArray {
    const T = arrayType(v.dtype);
    const n = v.shape.reduce((a, b) => a * b, 1);
    const c = collapse(v.shape, [v.strides]);
    if (n > 0 && (c.shape.length === 0 || (c.shape.length === 1 && c.strides[0]![0] === 1))) {
      // Contiguous: one native copy.
      const o = this.base(v);
      return this.arr(v.dtype).slice(o, o + n);
    }
    const out = new T(n);
    ref.gatherStrided(this.arr(v.dtype), this.base(v), v.shape, v.strides, out);
    return out;
  }
  read(v: View): Promise<TypedArray> {
    try { return Promise.resolve(this.readSync(v)); } catch (e) { return Promise.reject(e); }
  }
  memory(): MemoryInfo {
    return { allocatedBytes: this.allocator.allocated, reservedBytes: this.allocator.reserved, buffers: this.allocator.live };
  }
  /** Kernels run before their call returns (worker-pool calls included): nothing is ever pending. */
  synchronize(): Promise<void> { return Promise.resolve(); }
  /** A no-op: WebAssembly memory cannot shrink, and freed blocks stay in the allocator's size classes for reuse. */
  emptyCache(): void { /* nothing to release */ }

  // ---- kernels: each tries its SIMD fast path, then falls back to the reference loops ----
  fill(out: View, value: number): void {
    if (this.fastFill(out, value)) return;
    ref.fillStrided(this.arr(out.dtype), this.base(out), out.shape, out.strides, this.storeValue(out.dtype, value));
  }
  arange(out: View, start: number, step: number): void {
    if (out.dtype === 'float16') { this.viaF32([out], (v) => this.arange(v[0]!, start, step)); return; }
    const a = this.arr(out.dtype), o = this.base(out), n = out.shape[0] ?? 1;
    for (let i = 0; i < n; i++) a[o + i] = start + i * step;
  }
  copy(src: View, out: View): void {
    if (this.fillFromScalar(src, out)) return;
    if (this.simd && src.dtype === out.dtype && (src.dtype === 'float32' || src.dtype === 'int32')) {
      // Rank > 2 after collapsing, in small blocks (attention's head permutes: [N, L, H, d] in blocks
      // of H x d): the generated identity kernel walks every dim inside WebAssembly, in one call
      // (a few per thread) instead of one per block, which cost ~0.5 us each. The same values.
      // (Collapsing never adds dims: rank <= 2 goes straight to the 2-D kernel.)
      const c = out.shape.length > 2 ? collapse(out.shape, [src.strides, out.strides]) : null, nd = c?.shape.length ?? 0;
      if (c && nd > 2 && c.shape[nd - 1]! * c.shape[nd - 2]! < 4096 && this.fusedJit().run(COPY_PROGRAMS[src.dtype], [src], [out])) return;
      const sp = this.ptr(src), op = this.ptr(out), L = new CallList();
      if (forEach2d(out.shape, [src.strides, out.strides], (rows, cols, st, offs) => {
        split2d(L, 'copy32', rows, cols, (r0, nr, c0, nc) => [nr, nc, sp + 4 * (offs[0]! + r0 * st[0]! + c0 * st[1]!), st[0]!, st[1]!,
          op + 4 * (offs[1]! + r0 * st[2]! + c0 * st[3]!), st[2]!, st[3]!]);
      })) { this.exec(L); return; }
    }
    if (this.simd && out.dtype === 'float32' && (src.dtype === 'bool' || src.dtype === 'uint8' || src.dtype === 'int32')) {
      const kind = src.dtype === 'int32' ? 1 : 0, sp = this.ptr(src), op = this.ptr(out), L = new CallList();
      const es = src.dtype === 'int32' ? 4 : 1;
      if (forEach2d(out.shape, [src.strides, out.strides], (rows, cols, st, offs) => {
        split2d(L, 'castToF32', rows, cols, (r0, nr, c0, nc) => [kind, nr, nc, sp + es * (offs[0]! + r0 * st[0]! + c0 * st[1]!), st[0]!, st[1]!,
          op + 4 * (offs[1]! + r0 * st[2]! + c0 * st[3]!), st[2]!, st[3]!]);
      })) { this.exec(L); return; }
    }
    if (this.simd && ((src.dtype === 'float16' && out.dtype === 'float32') || (src.dtype === 'float32' && out.dtype === 'float16'))) {
      // float16 <-> float32 (autocast's casts, and every float16 op's round trip through viaF32).
      const toF16 = out.dtype === 'float16' ? 1 : 0, ss = toF16 ? 4 : 2, ds = toF16 ? 2 : 4, sp = this.ptr(src), op = this.ptr(out), L = new CallList();
      if (forEach2d(out.shape, [src.strides, out.strides], (rows, cols, st, offs) => {
        split2d(L, 'castF16', rows, cols, (r0, nr, c0, nc) => [toF16, nr, nc, sp + ss * (offs[0]! + r0 * st[0]! + c0 * st[1]!), st[0]!, st[1]!,
          op + ds * (offs[1]! + r0 * st[2]! + c0 * st[3]!), st[2]!, st[3]!]);
      })) { this.exec(L); return; }
    }
    const conv = src.dtype === 'float16' && out.dtype !== 'float16' ? f16BitsToF32
      : out.dtype === 'float16' && src.dtype !== 'float16' ? ref.toF16 : null;
    ref.copyStrided(this.arr(src.dtype), this.base(src), src.strides, this.arr(out.dtype), this.base(out), out.strides, out.shape,
      conv ?? (out.dtype === 'bool' && src.dtype !== 'bool' ? ref.toBool : null));
  }
  unary(op: UnaryOp, x: View, out: View): void {
    if (this.viaF32([x, out], (v) => this.unary(op, v[0]!, v[1]!))) return;
    const code = UNARY_CODES[op];
    if (this.simd && code !== undefined && x.dtype === 'float32' && out.dtype === 'float32') {
      const xp = this.ptr(x), op_ = this.ptr(out), L = new CallList();
      // x may have any strides; out is contiguous (row pitch = cols).
      if (forEach2d(x.shape, [x.strides, contiguousStrides(out.shape)], (rows, cols, st, offs) => {
        const xi = cols === 1 ? 0 : st[1]!;
        split2d(L, 'unary', rows, cols, (r0, nr, c0, nc) => [code, nr, nc, xp + 4 * (offs[0]! + r0 * st[0]! + c0 * xi), st[0]!, xi,
          op_ + 4 * (offs[1]! + r0 * cols + c0)]);
      }, (rows, cols, st) => (st[3] === 1 || cols === 1) && (st[2] === cols || rows === 1))) { this.exec(L); return; }
    }
    ref.unary(op, this.arr(x.dtype), this.base(x), x.strides, this.arr(out.dtype), this.base(out), out.shape);
  }
  binary(op: BinaryOp, a: View, b: View, out: View): void {
    if (this.viaF32([a, b, out], (v) => this.binary(op, v[0]!, v[1]!, v[2]!))) return;
    // x ** 2 (variances, GELU's tanh form, norms) is x * x: the float64 square of a float32 is exact,
    // so rounding it gives the float32 product's bits, and the product has a SIMD kernel. x ** 3
    // (rsqrt's derivative) is (x * x) * x, as PyTorch's CPU kernel computes it (two roundings).
    if (op === 'pow' && this.simd && a.dtype === 'float32' && out.dtype === 'float32' && b.dtype === 'float32' && b.strides.every((s) => s === 0)) {
      const e = this.arr('float32')[this.base(b)];
      if (e === 2) { this.binary('mul', a, a, out); return; }
      if (e === 3) { this.binary('mul', a, a, out); this.binary('mul', out, a, out); return; }
    }
    const code = BINARY_CODES[op];
    if (this.simd && code !== undefined && a.dtype === 'float32' && b.dtype === 'float32' && out.dtype === 'float32') {
      const ap = this.ptr(a), bp = this.ptr(b), op_ = this.ptr(out), L = new CallList();
      // Any strides for a and b (0/1 inner strides get direct vector loads); out contiguous.
      if (forEach2d(out.shape, [a.strides, b.strides, contiguousStrides(out.shape)], (rows, cols, st, offs) => {
        // With one column the inner strides are never used: pass 0 (the "broadcast" pattern).
        const ai = cols === 1 ? 0 : st[1]!, bi = cols === 1 ? 0 : st[3]!;
        split2d(L, 'binary', rows, cols, (r0, nr, c0, nc) => [code, nr, nc, ap + 4 * (offs[0]! + r0 * st[0]! + c0 * ai), st[0]!, ai,
          bp + 4 * (offs[1]! + r0 * st[2]! + c0 * bi), st[2]!, bi, op_ + 4 * (offs[2]! + r0 * cols + c0)]);
      }, (rows, cols, st) => (st[4] === cols || rows === 1) && (cols === 1 || st[5] === 1))) { this.exec(L); return; }
    }
    const cmp = COMPARE_CODES[op];
    if (this.simd && cmp !== undefined && a.dtype === 'float32' && b.dtype === 'float32' && out.dtype === 'bool') {
      const ap = this.ptr(a), bp = this.ptr(b), op_ = this.ptr(out), L = new CallList();
      // Same stride rules as above; out is one byte per element.
      if (forEach2d(out.shape, [a.strides, b.strides, contiguousStrides(out.shape)], (rows, cols, st, offs) => {
        const ai = cols === 1 ? 0 : st[1]!, bi = cols === 1 ? 0 : st[3]!;
        split2d(L, 'compare', rows, cols, (r0, nr, c0, nc) => [cmp, nr, nc, ap + 4 * (offs[0]! + r0 * st[0]! + c0 * ai), st[0]!, ai,
          bp + 4 * (offs[1]! + r0 * st[2]! + c0 * bi), st[2]!, bi, op_ + offs[2]! + r0 * cols + c0]);
      }, (rows, cols, st) => (st[4] === cols || rows === 1) && (cols === 1 || st[5] === 1))) { this.exec(L); return; }
    }
    ref.binary(op, a.dtype, this.arr(a.dtype), this.base(a), a.strides, this.arr(b.dtype), this.base(b), b.strides,
      this.arr(out.dtype), this.base(out), out.shape);
  }
  where(cond: View, a: View, b: View, out: View): void {
    if (this.viaF32([cond, a, b, out], (v) => this.where(v[0]!, v[1]!, v[2]!, v[3]!))) return;
    // Fast path: a one-byte condition and 32-bit operands, contiguous or (a, b) one broadcast value
    // (masks, ReLU's gradient, NaN clean-ups); other broadcasts or strides take the reference loop.
    const scalar = (v: View) => v.strides.every((s) => s === 0);
    if (this.simd && (cond.dtype === 'bool' || cond.dtype === 'uint8') && (out.dtype === 'float32' || out.dtype === 'int32')
      && a.dtype === out.dtype && b.dtype === out.dtype && [cond, out].every((v) => denseLike(v, out.shape))
      && [a, b].every((v) => scalar(v) || denseLike(v, out.shape))) {
      const n = out.shape.reduce((p, q) => p * q, 1), cp = this.ptr(cond), ap = this.ptr(a), bp = this.ptr(b), op_ = this.ptr(out);
      const ad = !scalar(a), bd = !scalar(b), L = new CallList();
      split2d(L, 'where32', 1, n, (_r, _n, c0, nc) => [nc, cp + c0, ad ? ap + 4 * c0 : ap, +ad, bd ? bp + 4 * c0 : bp, +bd, op_ + 4 * c0]);
      if (n > 0) this.exec(L);
      return;
    }
    ref.where(this.arr(cond.dtype), this.base(cond), cond.strides, this.arr(a.dtype), this.base(a), a.strides,
      this.arr(b.dtype), this.base(b), b.strides, this.arr(out.dtype), this.base(out), out.shape);
  }
  reduce(op: ReduceOp, x: View, nReduce: number, out: View): void {
    if (this.viaF32([x, out], (v) => this.reduce(op, v[0]!, nReduce, v[1]!))) return;
    if (this.fastReduce(op, x, nReduce, out)) return;
    ref.reduce(op, this.arr(x.dtype), this.base(x), x.shape, x.strides, nReduce, this.arr(out.dtype), this.base(out));
  }
  scan(op: ScanOp, x: View, out: View): void {
    if (this.viaF32([x, out], (v) => this.scan(op, v[0]!, v[1]!))) return;
    ref.scan(op, this.arr(x.dtype), this.base(x), x.shape, x.strides, this.arr(out.dtype), this.base(out));
  }
  matmul(a: View, b: View, out: View): void {
    if (this.viaF32([a, b, out], (v) => this.matmul(v[0]!, v[1]!, v[2]!))) return;
    if (this.simd && a.dtype === 'float32' && b.dtype === 'float32' && out.dtype === 'float32') {
      if (a.shape[2] === 0) this.fill(out, 0); else this.gemm(a, b, out, null);
      return;
    }
    ref.matmul(this.arr(a.dtype), this.base(a), a.shape, a.strides, this.arr(b.dtype), this.base(b), b.shape, b.strides,
      this.arr(out.dtype), this.base(out));
  }
  /**
   * The SIMD GEMM (K > 0), cut for the threads; `d` is an addend with unit column stride, or null;
   * `epi` a generated epilogue's descriptor (FusedRunner.tiles), or 0, with whether workers may run it.
   */
  private gemm(a: View, b: View, out: View, d: View | null, epi = 0, parallel = true): void {
    const [B, M, K] = a.shape as [number, number, number];
    const N = b.shape[2]!;
    if (B * M * N === 0) return;
    const L = new CallList();
    splitGemm(L, { B, M, N, K, a: this.ptr(a), sab: a.strides[0]!, sam: a.strides[1]!, sak: a.strides[2]!,
      b: this.ptr(b), sbb: b.strides[0]!, sbk: b.strides[1]!, sbn: b.strides[2]!, c: this.ptr(out), epi,
      ...(d ? { d: this.ptr(d), sdb: d.strides[0]!, sdm: d.strides[1]! } : {}) }, parallel && this.threadPool()?.ready ? getNumThreads() : 1);
    this.exec(L, parallel);
  }
  /**
   * torch.compile's matmul epilogue on float32 operands. A lone addend with unit column stride (a
   * Linear's bias, or a whole [B,M,N] term) joins each finished sum inside the micro-kernel, so it
   * rounds as matmul-then-add does. Any other elementwise program is generated (./fusedrun.ts) and
   * run by the GEMM on each finished block of the product while it is in cache (gemmEpilogue in
   * wasm/gemm.ts). The product goes to a float32 output laid out as the GEMM's C that nothing else
   * reads or writes (the program then reads and overwrites it in place), else to a temporary.
   */
  matmulEpilogue(a: View, b: View, epi: FusedProgram, ins: readonly View[], outs: readonly View[]): boolean {
    if (!this.simd || epi.reduce || a.shape[2] === 0 || a.dtype !== 'float32' || b.dtype !== 'float32') return false;
    const [B, M] = a.shape as [number, number, number], N = b.shape[2]!, shape = [B, M, N];
    const st = epi.steps[0], d = ins[0], out = outs[0];
    const isBiasAdd = epi.steps.length === 1 && st?.kind === 'binary' && st.op === 'add'
      && ((st.a === 0 && st.b === 1) || (st.a === 1 && st.b === 0)) && epi.outputs.length === 1 && epi.outputs[0] === 2;
    if (isBiasAdd && ins.length === 1 && outs.length === 1 && d && out && d.dtype === 'float32' && out.dtype === 'float32'
      && denseLike(out, shape) && d.buf !== out.buf && (N > 1 ? d.strides[2] === 1 : true)) {
      this.gemm(a, b, out, d);
      return true;
    }
    const own = (o: View) => o.dtype === 'float32' && denseLike(o, shape) && [a, b, ...ins].every((v) => v.buf !== o.buf)
      && outs.every((v) => v === o || v.buf !== o.buf);
    const prodOut = outs.find(own);
    const tmp = prodOut ? null : this.alloc(4 * B * M * N) as WasmBuffer;
    try {
      const prod: View = prodOut ?? { buf: tmp!, dtype: 'float32', shape, strides: contiguousStrides(shape), offset: 0 };
      const t = this.fusedJit().tiles(epi, [prod, ...ins], outs);
      if (!t) return false;
      this.gemm(a, b, prod, null, t.epi, !t.hostOnly);
      return true;
    } finally { if (tmp) this.free(tmp); }
  }
  im2col(x: View, out: View, g: ConvGeometry): void {
    if (this.viaF32([x, out], (v) => this.im2col(v[0]!, v[1]!, g))) return;
    if (this.simd && x.dtype === 'float32' && out.dtype === 'float32') {
      const [N, C, H, W] = x.shape as [number, number, number, number];
      const [kh, kw] = g.kernel, [sh, sw] = g.stride, [ph, pw] = g.padding, [dh, dw] = g.dilation;
      const [OH, OW] = convOutHW(H, W, g);
      if (OH > 0 && OW > 0 && out.shape[2] === OH * OW) {
        const [s0, s1, s2, s3] = x.strides as [number, number, number, number];
        const xp = this.ptr(x), op_ = this.ptr(out), plane = kh * kw * OH * OW, L = new CallList();
        // Images x channels as a [N, C] window; each call covers channels of one image (out is [N, C*kh*kw, OH*OW]).
        split2d(L, 'im2col', N, C, (n0, nn, c0, nc) => [nn, nc, H, W, xp + 4 * (n0 * s0 + c0 * s1), s0, s1, s2, s3, kh, kw, sh, sw, ph, pw, dh, dw,
          g.padValue, OH, OW, op_ + 4 * (n0 * C + c0) * plane], plane);
        this.exec(L);
        return;
      }
    }
    ref.im2col(this.arr(x.dtype), this.base(x), x.shape, x.strides, this.arr(out.dtype), this.base(out), out.shape, g);
  }
  col2im(cols: View, out: View, g: ConvGeometry): void {
    if (this.viaF32([cols, out], (v) => this.col2im(v[0]!, v[1]!, g))) return;
    if (this.simd && cols.dtype === 'float32' && out.dtype === 'float32') {
      const [N, C, H, W] = out.shape as [number, number, number, number];
      const [kh, kw] = g.kernel, [sh, sw] = g.stride, [ph, pw] = g.padding, [dh, dw] = g.dilation;
      const [OH, OW] = convOutHW(H, W, g);
      if (OH > 0 && OW > 0 && cols.shape[2] === OH * OW) {
        const [s0, s1, s2] = cols.strides as [number, number, number];
        const cp = this.ptr(cols), op_ = this.ptr(out), L = new CallList();
        // Each call sums the columns of some channels of one image into their planes of out.
        split2d(L, 'col2im', N, C, (n0, nn, c0, nc) => [nn, nc, H, W, cp + 4 * (n0 * s0 + c0 * kh * kw * s1), s0, s1, s2, kh, kw, sh, sw, ph, pw, dh, dw,
          OH, OW, op_ + 4 * (n0 * C + c0) * H * W], kh * kw * OH * OW);
        this.exec(L);
        return;
      }
    }
    ref.col2im(this.arr(cols.dtype), this.base(cols), cols.shape, cols.strides, this.arr(out.dtype), this.base(out), out.shape, g);
  }
  maxPool2d(x: View, out: View, idx: View, g: ConvGeometry): void {
    if (this.viaF32([x, out], (v) => this.maxPool2d(v[0]!, v[1]!, idx, g))) return;
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const [OH, OW] = [out.shape[2]!, out.shape[3]!];
    if (N * C * OH * OW === 0) return;
    if (this.simd && x.dtype === 'float32') {
      const [kh, kw] = g.kernel, [sh, sw] = g.stride, [ph, pw] = g.padding, [dh, dw] = g.dilation;
      const [s0, s1, s2, s3] = x.strides as [number, number, number, number];
      const xp = this.ptr(x), op_ = this.ptr(out), ip = this.ptr(idx), L = new CallList(), plane = OH * OW;
      // Planes of images x channels, as im2col cuts them; each output reads kh*kw cells.
      split2d(L, 'maxPool2d', N, C, (n0, nn, c0, nc) => [nn, nc, H, W, xp + 4 * (n0 * s0 + c0 * s1), s0, s1, s2, s3, kh, kw, sh, sw, ph, pw, dh, dw,
        OH, OW, op_ + 4 * (n0 * C + c0) * plane, ip + 4 * (n0 * C + c0) * plane], plane * kh * kw);
      this.exec(L);
      return;
    }
    ref.maxPool2d(this.arr(x.dtype), this.base(x), x.shape, x.strides, this.arr(out.dtype), this.base(out),
      this.arr('int32') as Int32Array, this.base(idx), out.shape, g);
  }
  maxPool2dBackward(g: View, idx: View, out: View, geom: ConvGeometry): void {
    if (this.viaF32([g, out], (v) => this.maxPool2dBackward(v[0]!, idx, v[1]!, geom))) return;
    const [N, C, OH, OW] = g.shape as [number, number, number, number];
    const HW = out.shape[2]! * out.shape[3]!;
    if (N * C * HW === 0) return;
    if (this.simd && g.dtype === 'float32' && isContiguous(idx.shape, idx.strides)) {
      const [s0, s1, s2, s3] = g.strides as [number, number, number, number];
      const gp = this.ptr(g), ip = this.ptr(idx), op_ = this.ptr(out), L = new CallList(), plane = OH * OW;
      // Whole planes per call, as maxPool2d cuts them: each is zeroed and filled by one thread.
      split2d(L, 'maxPool2dBackward', N, C, (n0, nn, c0, nc) => [nn, nc, OH, OW, gp + 4 * (n0 * s0 + c0 * s1), s0, s1, s2, s3,
        ip + 4 * (n0 * C + c0) * plane, HW, op_ + 4 * (n0 * C + c0) * HW], plane + HW);
      this.exec(L);
      return;
    }
    ref.maxPool2dBackward(this.arr(g.dtype), this.base(g), g.shape, g.strides, this.arr('int32') as Int32Array, this.base(idx), idx.strides,
      this.arr(out.dtype), this.base(out), out.shape);
  }
  /** Bytes of Winograd's area in each thread's scratch (after the GEMM's). */
  private winogradRoom(k: SimdKernels['k']): number { return k.scratchBytes() - k.gemmScratchBytes(); }
  winogradFits(C: number, K: number, OH: number, OW: number): boolean {
    return this.simd !== null && this.simd.k.winogradBytes(1, C, K, Math.ceil(OH / 2), Math.ceil(OW / 2)) <= this.winogradRoom(this.simd.k);
  }
  winogradConv(x: View, u: View, out: View, padding: readonly [number, number]): void {
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const [, K, OH, OW] = out.shape as [number, number, number, number];
    const TH = Math.ceil(OH / 2), TW = Math.ceil(OW / 2);
    if (N === 0 || K === 0) return;
    if (!this.simd || x.dtype !== 'float32' || !this.winogradFits(C, K, OH, OW)) {
      ref.winogradConv(this.arr(x.dtype), this.base(x), x.shape, x.strides, this.arr(u.dtype), this.base(u), padding, this.arr(out.dtype), this.base(out), out.shape);
      return;
    }
    const k = this.simd.k, room = this.winogradRoom(k);
    // Images per call: at most what the scratch holds, in at least four calls per thread when N
    // allows, and a multiple of the threads' count of calls of sizes differing by at most one: 5 calls
    // on 2 threads left one thread idle for a fifth of the kernel.
    const T = getNumThreads();
    let most = Math.max(1, Math.min(N, Math.ceil(N / (4 * T))));
    while (most > 1 && k.winogradBytes(most, C, K, TH, TW) > room) most--;
    const parts = Math.min(N, Math.ceil(Math.ceil(N / most) / T) * T);
    const [s0, s1, s2, s3] = x.strides as [number, number, number, number];
    const xp = this.ptr(x), up = this.ptr(u), op_ = this.ptr(out), L = new CallList();
    for (const [n0, m] of evenParts(N, parts)) {
      L.push('winogradConv', [m, C, K, H, W, xp + 4 * n0 * s0, s0, s1, s2, s3, padding[0], padding[1], TH, TW, up, OH, OW,
        op_ + 4 * n0 * K * OH * OW, K * OH * OW, 0], m * 16 * C * K * TH * TW, 19);
    }
    this.exec(L);
  }
  winogradWgrad(x: View, g: View, m: View, padding: readonly [number, number]): void {
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const [, K, OH, OW] = g.shape as [number, number, number, number];
    const TH = Math.ceil(OH / 2), TW = Math.ceil(OW / 2);
    if (!this.simd || x.dtype !== 'float32' || N === 0 || !this.winogradFits(C, K, OH, OW)) {
      ref.winogradWgrad(this.arr(x.dtype), this.base(x), x.shape, x.strides, this.arr(g.dtype), this.base(g), g.shape, g.strides, padding, this.arr(m.dtype), this.base(m));
      return;
    }
    const k = this.simd.k, room = this.winogradRoom(k);
    // Calls of at most 8 images (what the scratch holds, if fewer), sizes within one of each other,
    // each summing its tiles into its own [16, K, C]; those are then added in call order. The cut
    // depends on N alone, so the sums (and bits) are the same for every thread count.
    let most = Math.min(8, N);
    while (most > 1 && k.winogradBytes(most, C, K, TH, TW) > room) most--;
    const parts = Math.ceil(N / most), part = 16 * K * C;
    const sums = parts === 1 ? null : this.alloc(parts * part * 4) as WasmBuffer;
    const [s0, s1, s2, s3] = x.strides as [number, number, number, number];
    const [g0, g1, g2, g3] = g.strides as [number, number, number, number];
    const xp = this.ptr(x), gp = this.ptr(g), mp = sums ? sums.ptr : this.ptr(m), L = new CallList();
    evenParts(N, parts).forEach(([n0, nn], p) => {
      L.push('winogradWgrad', [nn, C, K, H, W, xp + 4 * n0 * s0, s0, s1, s2, s3, padding[0], padding[1], TH, TW,
        gp + 4 * n0 * g0, g0, g1, g2, g3, OH, OW, mp + 4 * p * part, 0], nn * 16 * C * K * TH * TW, 22);
    });
    this.exec(L);
    if (sums) {
      // The parts' sum, [parts, 16 K C] over its leading dim (float64 accumulation, fixed order).
      this.reduce('sum', { buf: sums, dtype: 'float32', shape: [part, parts], strides: [1, part], offset: 0 }, 1, { ...m, shape: [part], strides: [1] });
      this.free(sums);
    }
  }
  attentionFits(L: number, S: number): boolean {
    return this.simd !== null && L > 0 && S > 0 && this.simd.k.attentionBytes(L, S) <= this.winogradRoom(this.simd.k);
  }
  /** Heads in calls of sizes within one of each other, a multiple of the threads' count (see winogradConv). */
  private attentionCalls(B: number, perHead: number, make: (b0: number, nb: number) => number[], name: 'attnForward' | 'attnBackward', scratchArg: number): void {
    const T = getNumThreads(), parts = Math.min(B, Math.max(1, Math.ceil(Math.min(B, 4 * T) / T) * T));
    const L = new CallList();
    for (const [b0, nb] of evenParts(B, parts)) if (nb > 0) L.push(name, make(b0, nb), nb * perHead, scratchArg);
    this.exec(L);
  }
  attention(q: View, k: View, v: View, out: View, lse: View, scale: number, causal: boolean, keep: View | null, keepScale: number): void {
    const [N, H, L, E] = q.shape as [number, number, number, number], S = k.shape[2]!, Ev = v.shape[3]!;
    if (!this.attentionFits(L, S)) throw new Error(`cpu: attention of ${L} x ${S} scores does not fit the kernel's scratch (check attentionFits first)`);
    const hs = (x: View) => [this.ptr(x), x.strides[0]!, x.strides[1]!, x.strides[2]!];
    const lp = this.ptr(lse);
    this.attentionCalls(N * H, 2 * L * S * (E + Ev), (b0, nb) => [b0, nb, H, L, S, E, Ev, scale, +causal, ...hs(q), ...hs(k), ...hs(v), ...hs(out), lp, keep ? this.ptr(keep) : 0, keepScale, 0], 'attnForward', 28);
  }
  attentionBackward(q: View, k: View, v: View, go: View, lse: View, gq: View, gk: View, gv: View, scale: number, causal: boolean, keep: View | null, keepScale: number): void {
    const [N, H, L, E] = q.shape as [number, number, number, number], S = k.shape[2]!, Ev = v.shape[3]!;
    if (!this.attentionFits(L, S)) throw new Error(`cpu: attention of ${L} x ${S} scores does not fit the kernel's scratch (check attentionFits first)`);
    const hs = (x: View) => [this.ptr(x), x.strides[0]!, x.strides[1]!, x.strides[2]!];
    this.attentionCalls(N * H, 4 * L * S * (E + Ev), (b0, nb) => [b0, nb, H, L, S, E, Ev, scale, +causal, ...hs(q), ...hs(k), ...hs(v), ...hs(go),
      this.ptr(lse), this.ptr(gq), this.ptr(gk), this.ptr(gv), keep ? this.ptr(keep) : 0, keepScale, 0], 'attnBackward', 31);
  }
  gather(x: View, dim: number, index: View, out: View): void {
    if (this.simd && x.dtype === out.dtype && (x.dtype === 'float32' || x.dtype === 'int32') && index.dtype === 'int32') {
      const xp = this.ptr(x), ip = this.ptr(index), op_ = this.ptr(out), L = new CallList(), at: IndexWindow[] = [];
      const size = x.shape[dim]!, sd = x.strides[dim]!;
      const xs = x.strides.map((s, d) => (d === dim ? 0 : s));
      if (forEach2d(out.shape, [xs, index.strides, contiguousStrides(out.shape)], (rows, cols, st, offs) => {
        split2d(L, 'gather32', rows, cols, (r0, nr, c0, nc) => {
          const io = offs[1]! + r0 * st[2]! + c0 * st[3]!;
          at.push([io, st[2]!, st[3]!, nc]);
          return [nr, nc, xp + 4 * (offs[0]! + r0 * st[0]! + c0 * st[1]!), st[0]!, st[1]!, ip + 4 * io, st[2]!, st[3]!, op_ + 4 * (offs[2]! + r0 * cols + c0), sd, size];
        });
      })) { this.checkIndices('gather', this.exec(L, true, true), at, ip, size, dim); return; }
    }
    ref.gather(this.arr(x.dtype), this.base(x), x.shape, x.strides, dim, this.arr('int32') as Int32Array, this.base(index), index.strides,
      this.arr(out.dtype), this.base(out), out.shape);
  }
  scatter(out: View, dim: number, index: View, src: View, reduce: 'none' | 'add'): void {
    if (this.viaF32([out, index, src], (v) => this.scatter(v[0]!, dim, v[1]!, v[2]!, reduce))) return;
    if (this.simd && src.dtype === out.dtype && index.dtype === 'int32'
      && (out.dtype === 'float32' || (out.dtype === 'int32' && reduce === 'none'))) {
      const sp = this.ptr(src), ip = this.ptr(index), op_ = this.ptr(out), L = new CallList(), at: IndexWindow[] = [];
      const oSt = contiguousStrides(out.shape);
      const size = out.shape[dim]!, sd = oSt[dim] ?? 1;
      const os = oSt.map((s, d) => (d === dim ? 0 : s));
      // Calls may run at once only if they write disjoint outputs: one window whose rows (and, when
      // cut, columns) are dims other than `dim` (the one with output stride 0).
      let windows = 0, disjoint = true;
      if (forEach2d(index.shape, [os, index.strides, src.strides], (rows, cols, st, offs) => {
        windows++;
        disjoint = st[0] !== 0 && (st[1] !== 0 || cols <= CHUNK);
        const cut = (r0: number, nr: number, c0: number, nc: number): number[] => {
          const io = offs[1]! + r0 * st[2]! + c0 * st[3]!;
          at.push([io, st[2]!, st[3]!, nc]);
          return [reduce === 'add' ? 1 : 0, nr, nc, op_ + 4 * (offs[0]! + r0 * st[0]! + c0 * st[1]!), st[0]!, st[1]!, ip + 4 * io, st[2]!, st[3]!,
            sp + 4 * (offs[2]! + r0 * st[4]! + c0 * st[5]!), st[4]!, st[5]!, sd, size];
        };
        if (disjoint) split2d(L, 'scatter32', rows, cols, cut); else L.push('scatter32', cut(0, rows, 0, cols), rows * cols);
      })) { this.checkIndices('scatter', this.exec(L, windows === 1 && disjoint, true), at, ip, size, dim); return; }
    }
    ref.scatter(this.arr(out.dtype), this.base(out), out.shape, dim, this.arr('int32') as Int32Array, this.base(index), index.shape, index.strides,
      this.arr(src.dtype), this.base(src), src.strides, reduce);
  }
  adamStep(p: View, g: View, m: View, v: View, k: AdamConstants): boolean {
    if (!this.simd || [p, g, m, v].some((w) => w.dtype !== 'float32' || !denseLike(w, p.shape))) return false;
    const n = p.shape.reduce((a, b) => a * b, 1), pp = this.ptr(p), gp = this.ptr(g), mp = this.ptr(m), vp = this.ptr(v), L = new CallList();
    split2d(L, 'adamStep', 1, n, (_r, _n, c0, nc) => [nc, pp + 4 * c0, gp + 4 * c0, mp + 4 * c0, vp + 4 * c0,
      k.b1, k.a1, k.b2, k.a2, k.c1, k.c2, k.decay, k.wd, k.maximize ? 1 : 0], 4);
    if (n > 0) this.exec(L);
    return true;
  }
  /**
   * torch.compile's fused elementwise kernels: WebAssembly generated per program and layout at run
   * time (./fusedrun.ts, ./fusedgen.ts), bit-identical to runComposed on this backend. Needs the SIMD
   * kernels in use (their float32 semantics are what it reproduces).
   */
  fused(p: FusedProgram, ins: readonly View[], outs: readonly View[]): boolean {
    return this.simd !== null && this.fusedJit().run(p, ins, outs);
  }
  /** Fused-kernel modules compiled and cache hits so far (tests check reuse across shapes). */
  fusedStats(): { compiled: number; hits: number } { return { ...this.fusedJit().stats }; }
  private fusedJit(): FusedRunner {
    return this.fusedRunner ??= new FusedRunner({
      memory: this.wasmMemory, shared: isShared(this.wasmMemory),
      ptr: (v) => this.ptr(v),
      allocFixed: (n) => this.allocator.allocFixed(n),
      exec: (list, parallel) => { this.exec(list, parallel); },
      fence: () => { this.fence(); },
    });
  }
  checkRange(x: View, min: number, max: number, message: string): void {
    if (x.shape.some((s) => s === 0)) return;
    // Broadcast dims repeat the same elements: checked once (an embedding's index widened to the
    // output's shape would otherwise be reduced over every repeat, on the strided path).
    const keep = x.shape.map((_, d) => x.strides[d] !== 0);
    x = { ...x, shape: x.shape.filter((_, d) => keep[d]), strides: x.strides.filter((_, d) => keep[d]) };
    // The extremes by the (SIMD, threaded) reductions; only a failing check scans for the value it names.
    const t = this.alloc(8);
    try {
      const out = (offset: number): View => ({ buf: t, dtype: 'int32', shape: [], strides: [], offset });
      this.reduce('min', x, x.shape.length, out(0));
      this.reduce('max', x, x.shape.length, out(1));
      const [lo, hi] = this.readSync({ buf: t, dtype: 'int32', shape: [2], strides: [1], offset: 0 });
      if (lo! >= min && hi! <= max) return;
    } finally { this.free(t); }
    for (const v of this.readSync(x)) if (v < min || v > max) throw new RangeError(message.replace('$V', String(v)));
  }
  /** Dense linear algebra in float64 (./linalg.ts), one matrix at a time. */
  linalg(kernel: LinalgKernel, ins: readonly View[], outs: readonly View[]): void {
    const f64 = ins.map((v) => Float64Array.from(this.readSync(v) as ArrayLike<number>));
    const res = outs.map((o) => (o.dtype === 'int32' ? new Int32Array(o.shape.reduce((a, b) => a * b, 1)) : new Float64Array(o.shape.reduce((a, b) => a * b, 1))));
    if ((ins[0]?.shape[0] ?? 0) > 0) runLinalg(kernel, { ins: f64, inShapes: ins.map((v) => v.shape), outs: res, outShapes: outs.map((v) => v.shape) });
    outs.forEach((o, i) => {
      const r = res[i]!;
      if (r.length === 0) return;
      const T = arrayType(o.dtype) as unknown as { from(a: ArrayLike<number>): TypedArray; BYTES_PER_ELEMENT: number };
      this.write(o.buf, o.dtype === 'int32' || o.dtype === 'float64' ? r : T.from(r), o.offset * T.BYTES_PER_ELEMENT);
    });
  }
  argsort(x: View, descending: boolean, out: View): void {
    if (this.viaF32([x, out], (v) => this.argsort(v[0]!, descending, v[1]!))) return;
    ref.argsort(this.arr(x.dtype), this.base(x), x.shape, x.strides, descending, this.arr('int32') as Int32Array, this.base(out));
  }
  random(out: View, dist: 'uniform' | 'normal', seed: number, offset: number): void {
    if (this.viaF32([out], (v) => this.random(v[0]!, dist, seed, offset))) return;
    const n = out.shape.reduce((a, b) => a * b, 1);
    if (this.simd && dist === 'uniform' && out.dtype === 'float32' && n > 0) {
      // The Philox uniform kernel: calls start at multiples of 16 elements, i.e. whole 4-word blocks.
      const op_ = this.ptr(out), L = new CallList();
      split2d(L, 'philoxUniform', 1, n, (_r, _n, c0, nc) => [nc, op_ + 4 * c0, seed, offset + c0 / 4], 8);
      this.exec(L);
      return;
    }
    ref.random(this.arr(out.dtype), this.base(out), out.shape.reduce((a, b) => a * b, 1), dist, seed, offset);
  }

  /**
   * float16 is a storage type here: a kernel given float16 views runs on float32 copies of them (every
   * float16 view, inputs and outputs, is widened into a contiguous float32 scratch buffer), and the
   * float16 views are written back from the float32 results, rounded to nearest even. Views of
   * other dtypes pass through. Returns false (doing nothing) when no view is float16.
   */
  private viaF32(views: View[], run: (vs: View[]) => void): boolean {
    if (!views.some((v) => v.dtype === 'float16')) return false;
    const tmp: BufferHandle[] = [];
    try {
      const vs = views.map((v): View => {
        if (v.dtype !== 'float16') return v;
        const buf = this.alloc(4 * v.shape.reduce((a, b) => a * b, 1));
        tmp.push(buf);
        const w: View = { buf, dtype: 'float32', shape: v.shape, strides: contiguousStrides(v.shape), offset: 0 };
        this.copy(v, w); // outputs too: scatter and col2im accumulate into theirs
        return w;
      });
      run(vs);
      views.forEach((v, i) => { if (v.dtype === 'float16') this.copy(vs[i]!, v); });
    } finally {
      for (const b of tmp) this.free(b);
    }
    return true;
  }

  private storeValue(d: DType, v: number): number {
    return d === 'float16' ? ref.toF16(v) : d === 'bool' ? (v ? 1 : 0) : v;
  }

  /** Byte address of a view's origin. */
  private ptr(v: View): number {
    const b = v.buf as WasmBuffer;
    if (b.freed) throw new Error('cpu: use of a tensor whose storage was disposed');
    return b.ptr + v.offset * (arrayType(v.dtype) as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  }

  /**
   * Raises the reference kernels' out-of-range error for the first call that found one: `results[i]`
   * is the position of the bad element in call i's [rows, cols] index window `at[i]`, or -1.
   */
  private checkIndices(op: string, results: ArrayLike<number>, at: IndexWindow[], ip: number, size: number, dim: number): void {
    for (let i = 0; i < at.length; i++) {
      const pos = results[i]!;
      if (!(pos >= 0)) continue;
      const [off, irs, ics, cols] = at[i]!, r = Math.floor(pos / cols), c = pos % cols;
      const v = this.arr('int32')[ip / 4 + off + r * irs + c * ics]!;
      throw new RangeError(indexOutOfBounds(op, dim, size, v));
    }
  }

  /**
   * A copy from one broadcast element (every source stride 0: zeros(()).expand(shape) made dense, as
   * gather's gradient does) is a fill with that element's bits: memset speed, not a strided copy.
   */
  private fillFromScalar(src: View, out: View): boolean {
    if (src.dtype !== out.dtype || !src.strides.every((s) => s === 0)) return false;
    const bits = src.dtype === 'float32' ? 'int32' : src.dtype === 'int32' || src.dtype === 'uint8' || src.dtype === 'bool' ? src.dtype : null;
    return bits !== null && this.fastFill({ ...out, dtype: bits }, this.arr(bits)[this.base(src)]!);
  }

  private fastFill(out: View, value: number): boolean {
    const c = collapse(out.shape, [out.strides]);
    if (c.shape.length === 1 && c.strides[0]![0] === 1) {
      // One contiguous run: the typed array's own fill is a memset.
      const o = this.base(out);
      this.arr(out.dtype).fill(this.storeValue(out.dtype, value), o, o + c.shape[0]!);
      return true;
    }
    if (!this.simd || (out.dtype !== 'float32' && out.dtype !== 'int32')) return false;
    scratch32[0] = 0;
    if (out.dtype === 'float32') scratchF32[0] = value; else scratch32[0] = value;
    const bits = scratch32[0]!, p = this.ptr(out), L = new CallList();
    forEach2d(out.shape, [out.strides], (rows, cols, st, offs) => {
      split2d(L, 'fill32', rows, cols, (r0, nr, c0, nc) => [nr, nc, p + 4 * (offs[0]! + r0 * st[0]! + c0 * st[1]!), st[0]!, st[1]!, bits]);
    });
    this.exec(L);
    return true;
  }

  private fastArgReduce(isMax: boolean, x: View, out: View): boolean {
    if (!this.simd || x.dtype !== 'float32' || out.dtype !== 'int32' || x.shape.length === 0 || x.shape.includes(0)) return false;
    const L = new CallList();
    argReduce(L, isMax, this.ptr(x), x, this.ptr(out));
    this.exec(L);
    return true;
  }

  /** sum/max/min of float32 over contiguous rows (reduceRows) or down contiguous columns (reduceCols). */
  private fastReduce(op: ReduceOp, x: View, nReduce: number, out: View): boolean {
    if ((op === 'argmax' || op === 'argmin') && nReduce === 1) return this.fastArgReduce(op === 'argmax', x, out);
    const code = REDUCE_CODES[op];
    const i32 = x.dtype === 'int32' && out.dtype === 'int32' && (op === 'max' || op === 'min');
    if (!this.simd || code === undefined || ((x.dtype !== 'float32' || out.dtype !== 'float32') && !i32)) return false;
    const nd = x.shape.length, kept = nd - nReduce;
    // Reduced dims visited outermost-stride first, so a transposed view's (a bias gradient of a
    // seq-first activation: [C, S, B] with strides [1, C, S*C]) still collapses to one run. Only for
    // sum/max/min: max/min do not depend on the order, and a sum's float64 accumulator is fixed by
    // the view, so every thread count gives the same bits.
    const red = [...x.shape.keys()].slice(kept);
    if (op === 'sum' || op === 'max' || op === 'min') red.sort((p, q) => x.strides[q]! - x.strides[p]!);
    const r = collapse(red.map((d) => x.shape[d]!), [red.map((d) => x.strides[d]!)]);
    const o = collapse(x.shape.slice(0, kept), [x.strides.slice(0, kept)]);
    if (r.shape.length > 2 || o.shape.length > 1) return false;
    if (x.shape.includes(0)) return false; // empty: the reference fills 0 for sum and raises for max/min
    const rows = o.shape[0] ?? 1, ors = o.strides[0]?.[0] ?? 0;
    const xp = this.ptr(x), op_ = this.ptr(out), L = new CallList();
    const rsh = r.shape, rst = r.strides[0]!;
    // int32 (max/min only) has the row kernel alone; other patterns take the reference loop. Each
    // call reduces whole rows, so a cut never changes an output's summation order.
    const rowsKernel = (cols: number, nj: number, js: number) => {
      split2d(L, i32 ? 'reduceRowsI32' : 'reduceRows', rows, 1, (r0, nr) => [i32 ? (op === 'max' ? 1 : 0) : code, nr, cols, xp + 4 * r0 * ors, ors, nj, js,
        op_ + 4 * r0], cols * nj);
      this.exec(L);
    };
    if (rsh.length === 2) {
      // Two reduced dims that do not merge, the inner one contiguous (e.g. [C, N, H*W] -> [C]).
      if (rst[1] !== 1) return false;
      rowsKernel(rsh[1]!, rsh[0]!, rst[0]!);
      return true;
    }
    const R = rsh[0] ?? 1, rs = rst[0] ?? 0;
    if (op === 'sum' && !i32 && rows === 1 && rs === 1 && R > CHUNK) {
      // One long contiguous sum: float64 partial sums of fixed CHUNK-long parts (the cut depends on
      // the length only), added in order here, so the result is the same for any thread count.
      const parts = Math.ceil(R / CHUNK), tmp = this.alloc(8 * parts) as WasmBuffer;
      try {
        split2d(L, 'sumRunF64', 1, R, (_r, _n, c0, nc) => [nc, xp + 4 * c0, tmp.ptr + 8 * (c0 / CHUNK)]);
        this.exec(L, true, true);
        const part = new Float64Array(this.wasmMemory.buffer, tmp.ptr, parts);
        let s = 0;
        for (let i = 0; i < parts; i++) s += part[i]!;
        this.arr('float32')[op_ / 4] = s;
      } finally { this.free(tmp); }
      return true;
    }
    if (rs === 1 || R === 1) { rowsKernel(R, 1, 0); return true; }
    if (i32) return false;
    if ((ors === 1 || rows === 1) && op === 'sum' && rows >= 16) {
      // Outputs contiguous in x, a sum: each call adds whole rows of up to 2048 columns into float64
      // sums in its thread's scratch, reading x sequentially. Bandwidth-bound: a [1024, 512] bias
      // gradient took 0.13 ms in one call and 0.20 ms cut for two threads (measured), so columns are
      // cut only past 2048.
      for (let c0 = 0; c0 < rows; c0 += 2048) {
        const nc = Math.min(2048, rows - c0);
        L.push('reduceColsSum', [R, nc, xp + 4 * c0, rs, op_ + 4 * c0, 0], R * nc, 5);
      }
      this.exec(L);
      return true;
    }
    if (ors === 1 || rows === 1) {
      // Outputs contiguous in x: calls take column ranges, each column summed whole.
      split2d(L, 'reduceCols', 1, rows, (_r, _n, c0, nc) => [code, R, nc, xp + 4 * c0, rs, op_ + 4 * c0], R);
      this.exec(L);
      return true;
    }
    return false;
  }
}

/** argmax/argmin of float32 over the last dim into contiguous int32, for any strides: adds the calls to L. */
function argReduce(L: CallList, isMax: boolean, xp: number, x: View, op_: number): void {
  const nd = x.shape.length, n = x.shape[nd - 1]!, s = x.strides[nd - 1]!, m = isMax ? 1 : 0;
  const kept = x.shape.slice(0, -1);
  // Kept dims as [rows, cols] windows; each output is reduced whole by one call.
  forEach2d(kept, [x.strides.slice(0, -1), contiguousStrides(kept)], (rows, cols, st, offs) => {
    if (st[1] === 1 && cols >= 4 && s !== 1) {
      // Outputs contiguous in x and a strided reduced dim (max pooling over im2col rows): 4 lanes at a
      // time, whole rows of outputs per call (a call per row cost more than the kernel).
      split2d(L, 'argReduceColsRows', rows, cols, (r0, nr, c0, nc) => [m, nr, n, nc, xp + 4 * (offs[0]! + r0 * st[0]! + c0), st[0]!, s,
        op_ + 4 * (offs[1]! + r0 * cols + c0)], n);
      return;
    }
    const cs = cols === 1 ? 0 : st[1]!;
    for (let r = 0; r < rows; r++) {
      const xr = xp + 4 * (offs[0]! + r * st[0]!), or = op_ + 4 * (offs[1]! + r * cols);
      split2d(L, 'argReduceRows', 1, cols, (_r, _n, c0, nc) => [m, nc, n, xr + 4 * c0 * cs, cs, s, or + 4 * c0], n);
    }
  });
}

/** Where a gather/scatter call's index window lies: element offset, row and column strides, columns. */
type IndexWindow = [number, number, number, number];

/**
 * The backend's memory: shared (so the thread pool can work in it) where the runtime allows threads
 * and the shared kernels validate, else a plain one. Where a 4 GiB shared reservation is refused
 * (32-bit or memory-capped browsers), a smaller maximum is tried.
 */
function newMemory(): WebAssembly.Memory {
  const best = availableVariants()[0];
  if (best && threadsSupported() && WebAssembly.validate(simdBytes(best, true))) {
    for (const maximum of [65536, 16384, 4096]) {
      try { return new WebAssembly.Memory({ initial: 256, maximum, shared: true } as WebAssembly.MemoryDescriptor); } catch { /* try smaller */ }
    }
  }
  return new WebAssembly.Memory({ initial: 256, maximum: 65536 });
}

const scratch32 = new Int32Array(1);
const scratchF32 = new Float32Array(scratch32.buffer);

/** v is a row-major dense view of `shape` (strides of size-1 dims do not matter): one flat run. */
function denseLike(v: View, shape: readonly number[]): boolean {
  if (v.shape.length !== shape.length) return false;
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (v.shape[d] !== shape[d]) return false;
    if (shape[d] !== 1 && v.strides[d] !== acc) return false;
    acc *= shape[d]!;
  }
  return true;
}

/** The identity program (a copy), per dtype WasmBackend.copy sends to the fused kernels. */
const COPY_PROGRAMS: Record<'float32' | 'int32', FusedProgram> = {
  float32: { inputs: ['float32'], steps: [], outputs: [0] },
  int32: { inputs: ['int32'], steps: [], outputs: [0] },
};

/**
 * Runs a 2-D kernel over `shape` after collapsing: the last two dims go to the kernel as
 * (rows, cols, [rowStride0, innerStride0, rowStride1, ...], element offsets per operand); leading
 * dims are walked here. `accept(rows, cols, st)` may veto (returns false: the caller falls back).
 * Returns true when the kernel ran (or there was nothing to do).
 */
export function forEach2d(shape: readonly number[], strides: readonly (readonly number[])[],
  kernel: (rows: number, cols: number, st: number[], offs: number[]) => void,
  accept?: (rows: number, cols: number, st: number[]) => boolean): boolean {
  if (shape.includes(0)) return true;
  const c = collapse(shape, strides);
  const nd = c.shape.length, nOp = strides.length;
  const rows = nd >= 2 ? c.shape[nd - 2]! : 1, cols = nd >= 1 ? c.shape[nd - 1]! : 1;
  const st: number[] = [];
  for (let i = 0; i < nOp; i++) {
    const s = c.strides[i]!;
    st.push(nd >= 2 ? s[nd - 2]! : 0, nd >= 1 ? s[nd - 1]! : 0);
  }
  if (accept && !accept(rows, cols, st)) return false;
  const lead = Math.max(0, nd - 2);
  const offs = new Array<number>(nOp).fill(0);
  if (lead === 0) { kernel(rows, cols, st, offs); return true; }
  // Odometer over the leading dims.
  const idx = new Array<number>(lead).fill(0);
  for (;;) {
    kernel(rows, cols, st, offs);
    let d = lead - 1;
    for (; d >= 0; d--) {
      idx[d]!++;
      for (let i = 0; i < nOp; i++) offs[i]! += c.strides[i]![d]!;
      if (idx[d]! < c.shape[d]!) break;
      for (let i = 0; i < nOp; i++) offs[i]! -= c.strides[i]![d]! * c.shape[d]!;
      idx[d] = 0;
    }
    if (d < 0) return true;
  }
}

/** Lets torch.init() load the SIMD kernels asynchronously where synchronous compilation was refused. */
export async function upgradeCpuBackend(b: Backend): Promise<void> {
  if (b instanceof WasmBackend) await b.upgrade();
}
