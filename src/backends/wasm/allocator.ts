// Caching allocator over one WebAssembly.Memory: size-bucketed free lists on top of a bump pointer.
// Contract: pointers are 64-byte aligned; freed blocks are reused by later allocations of the same
// bucket; the memory only grows (wasm cannot shrink), so `reserved` is the high-water mark.

const ALIGN = 64;
const PAGE = 65536;

/** Rounds a request up to its bucket: 64-byte granules below 64 KiB, then 8 steps per power of two. */
export function bucketSize(n: number): number {
  if (n <= 65536) return Math.max(ALIGN, Math.ceil(n / ALIGN) * ALIGN);
  const step = 2 ** (Math.floor(Math.log2(n)) - 3);
  return Math.ceil(n / step) * step;
}

export class WasmAllocator {
  private top: number;
  private readonly freeLists = new Map<number, number[]>();
  allocated = 0;
  live = 0;

  constructor(readonly memory: WebAssembly.Memory, readonly heapBase: number) {
    this.top = heapBase;
  }

  get reserved(): number { return this.top - this.heapBase; }

  /** Returns [pointer, bucket size]. */
  alloc(nbytes: number): [number, number] {
    const size = bucketSize(nbytes);
    const list = this.freeLists.get(size);
    let ptr = list?.pop();
    if (ptr === undefined) {
      ptr = this.top;
      const end = ptr + size;
      const have = this.memory.buffer.byteLength;
      if (end > have) {
        const pages = Math.ceil((end - have) / PAGE);
        try {
          this.memory.grow(Math.max(pages, Math.min(Math.ceil(have / PAGE / 4), 4096)));
        } catch {
          try { this.memory.grow(pages); } catch {
            throw new RangeError(`cpu: out of memory allocating ${nbytes} bytes (wasm memory holds ${have} bytes, ${this.allocated} in use)`);
          }
        }
      }
      this.top = end;
    }
    this.allocated += size;
    this.live++;
    return [ptr, size];
  }

  /**
   * A block that is never freed and not counted as allocated (the thread pool's per-worker GEMM
   * scratch: fixed costs of the pool, not tensors); it still shows in `reserved`.
   */
  allocFixed(nbytes: number): number {
    const [ptr, size] = this.alloc(nbytes);
    this.allocated -= size;
    this.live--;
    return ptr;
  }

  free(ptr: number, size: number): void {
    let list = this.freeLists.get(size);
    if (!list) { list = []; this.freeLists.set(size, list); }
    list.push(ptr);
    this.allocated -= size;
    this.live--;
  }
}
