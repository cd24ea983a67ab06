// The CPU backend: tensors live in one WebAssembly.Memory, managed by a caching allocator.
// Hot float32 kernels (elementwise, reductions, GEMM, im2col) run in AssemblyScript SIMD code
// (./simd.ts) when its module is loaded; every kernel also has a reference TypeScript loop over the
// same memory (./reference.ts) that handles every dtype and stride pattern.

import type { Backend, BinaryOp, BufferHandle, ConvGeometry, MemoryInfo, ReduceOp, ScanOp, UnaryOp, View } from '../backend.js';
import { arrayType, type DType, type TypedArray, f16BitsToF32 } from '../../dtype.js';
import { WasmAllocator } from './allocator.js';
import * as ref from './reference.js';

export class WasmBuffer implements BufferHandle {
  freed = false;
  constructor(readonly ptr: number, readonly nbytes: number, readonly size: number) {}
}

/** Bytes at the start of memory left to the wasm kernels' own data and scratch space. */
export const HEAP_BASE = 1 << 20;

export class WasmBackend implements Backend {
  readonly device = 'cpu' as const;
  readonly synchronous = true;
  readonly wasmMemory: WebAssembly.Memory;
  private readonly allocator: WasmAllocator;
  private views: Partial<Record<DType, TypedArray>> = {};
  private viewsOf: ArrayBufferLike | null = null;

  constructor(memory?: WebAssembly.Memory) {
    this.wasmMemory = memory ?? new WebAssembly.Memory({ initial: 256, maximum: 65536 });
    this.allocator = new WasmAllocator(this.wasmMemory, HEAP_BASE);
  }

  /** A typed array over the whole memory for dtype d (recreated after memory growth). */
  arr(d: DType): TypedArray {
    if (this.viewsOf !== this.wasmMemory.buffer) { this.views = {}; this.viewsOf = this.wasmMemory.buffer; }
    let a = this.views[d];
    if (!a) {
      const T = arrayType(d);
      a = new T(this.wasmMemory.buffer, 0, this.wasmMemory.buffer.byteLength / (T as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT | 0);
      this.views[d] = a;
    }
    return a;
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
    const b = buf as WasmBuffer;
    new Uint8Array(this.wasmMemory.buffer, b.ptr + byteOffset, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  readSync(v: View): TypedArray {
    const T = arrayType(v.dtype);
    const n = v.shape.reduce((a, b) => a * b, 1);
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

  // ---- kernels ----
  fill(out: View, value: number): void {
    ref.fillStrided(this.arr(out.dtype), this.base(out), out.shape, out.strides, this.storeValue(out.dtype, value));
  }
  arange(out: View, start: number, step: number): void {
    const a = this.arr(out.dtype), o = this.base(out), n = out.shape[0] ?? 1;
    for (let i = 0; i < n; i++) a[o + i] = start + i * step;
  }
  copy(src: View, out: View): void {
    const conv = src.dtype === 'float16' && out.dtype !== 'float16' ? f16BitsToF32
      : out.dtype === 'float16' && src.dtype !== 'float16' ? ref.toF16 : null;
    ref.copyStrided(this.arr(src.dtype), this.base(src), src.strides, this.arr(out.dtype), this.base(out), out.strides, out.shape,
      conv ?? (out.dtype === 'bool' && src.dtype !== 'bool' ? ref.toBool : null));
  }
  unary(op: UnaryOp, x: View, out: View): void {
    ref.unary(op, this.arr(x.dtype), this.base(x), x.strides, this.arr(out.dtype), this.base(out), out.shape);
  }
  binary(op: BinaryOp, a: View, b: View, out: View): void {
    ref.binary(op, a.dtype, this.arr(a.dtype), this.base(a), a.strides, this.arr(b.dtype), this.base(b), b.strides,
      this.arr(out.dtype), this.base(out), out.shape);
  }
  where(cond: View, a: View, b: View, out: View): void {
    ref.where(this.arr(cond.dtype), this.base(cond), cond.strides, this.arr(a.dtype), this.base(a), a.strides,
      this.arr(b.dtype), this.base(b), b.strides, this.arr(out.dtype), this.base(out), out.shape);
  }
  reduce(op: ReduceOp, x: View, nReduce: number, out: View): void {
    ref.reduce(op, this.arr(x.dtype), this.base(x), x.shape, x.strides, nReduce, this.arr(out.dtype), this.base(out));
  }
  scan(op: ScanOp, x: View, out: View): void {
    ref.scan(op, this.arr(x.dtype), this.base(x), x.shape, x.strides, this.arr(out.dtype), this.base(out));
  }
  matmul(a: View, b: View, out: View): void {
    ref.matmul(this.arr(a.dtype), this.base(a), a.shape, a.strides, this.arr(b.dtype), this.base(b), b.shape, b.strides,
      this.arr(out.dtype), this.base(out));
  }
  im2col(x: View, out: View, g: ConvGeometry): void {
    ref.im2col(this.arr(x.dtype), this.base(x), x.shape, x.strides, this.arr(out.dtype), this.base(out), out.shape, g);
  }
  col2im(cols: View, out: View, g: ConvGeometry): void {
    ref.col2im(this.arr(cols.dtype), this.base(cols), cols.shape, cols.strides, this.arr(out.dtype), this.base(out), out.shape, g);
  }
  gather(x: View, dim: number, index: View, out: View): void {
    ref.gather(this.arr(x.dtype), this.base(x), x.shape, x.strides, dim, this.arr('int32') as Int32Array, this.base(index), index.strides,
      this.arr(out.dtype), this.base(out), out.shape);
  }
  scatter(out: View, dim: number, index: View, src: View, reduce: 'none' | 'add'): void {
    ref.scatter(this.arr(out.dtype), this.base(out), out.shape, dim, this.arr('int32') as Int32Array, this.base(index), index.shape, index.strides,
      this.arr(src.dtype), this.base(src), src.strides, reduce);
  }
  argsort(x: View, descending: boolean, out: View): void {
    ref.argsort(this.arr(x.dtype), this.base(x), x.shape, x.strides, descending, this.arr('int32') as Int32Array, this.base(out));
  }
  random(out: View, dist: 'uniform' | 'normal', seed: number, offset: number): void {
    ref.random(this.arr(out.dtype), this.base(out), out.shape.reduce((a, b) => a * b, 1), dist, seed, offset);
  }

  private storeValue(d: DType, v: number): number {
    return d === 'float16' ? ref.toF16(v) : d === 'bool' ? (v ? 1 : 0) : v;
  }
}
