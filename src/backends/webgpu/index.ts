// The WebGPU backend: tensors live in GPU storage buffers from a caching pool; every primitive is a
// WGSL compute kernel (shaders/*.wgsl, specialized per dtype/op in ./codegen.ts) recorded into one
// command encoder and submitted at sync points (read, write). Asynchronous: `read` is the only way
// back to the host and also surfaces queued errors (validation, device loss, out-of-memory from
// allocation error scopes); its MAP_READ staging buffers come from a small pool. Data errors found by
// kernels (index ranges) poison the buffers computed from them (../poison.ts): their reads throw.
// Fused elementwise programs (torch.compile) run as one generated shader each (./fused.ts; those
// ending in a reduction, ./fused_reduce.ts).
// Dtypes: float32, int32, uint8, bool (bytes packed 4 per word), float16 (halves packed 2 per word,
// computed in f32 on every adapter: no `shader-f16` needed, see codegen.ts); float64 throws clearly.

import type { FusedProgram } from '../fused.js';
import type { AdamConstants, Backend, BinaryOp, BufferHandle, ConvGeometry, LinalgKernel, MemoryInfo, ReduceOp, ScanOp, UnaryOp, View } from '../backend.js';
import { BOOL_BINARY_OPS, indexOutOfBounds } from '../backend.js';
import { arrayType, itemSize, type DType, type TypedArray } from '../../dtype.js';
import { collapse, contiguousStrides, convOutHW, isContiguous, numel } from '../../shape.js';
import { binaryCheck, binaryExpr, binding, cast, ctOf, f32Bits, flagBinding, fromBits, reduceParts, scalarBits, shader, unaryExpr, zeroOf, type Access, type CT } from './codegen.js';
import { acquireGPU, type GPUInfo } from './device.js';
import { fusedKernel, fusedViewsOk, type FusedOutputDeps } from './fused.js';
import { epilogueKernel } from './matmul_epilogue.js';
import { cpuMatmulLoads, cpuOperandMode, SUBGROUP_PREAMBLE } from './matmul_cpu.js';
import { chunkFinish, fusedReduceFinish, fusedReduceKernel, fusedReduceRanked, fusedReduceMeta, fusedReduceViewsOk, ROWS_MAX } from './fused_reduce.js';
export { unavailableReason } from './device.js';
import { Check, CLEAN, join, SENT, settle, Taint, UNSLOTTED } from '../poison.js';
import { planSubgroupMatmul, subgroupMatmulKey, subgroupMatmulSource, type SubgroupMatmulPlan, type SubgroupMatmulTuning, type SubgroupMatrixCaps, type SubgroupMatrixConfig } from './subgroup_matmul.js';

// GPUBufferUsage / GPUMapMode values, spelled out so no WebGPU globals are needed in Node.
const MAP_READ = 0x1, COPY_SRC = 0x4, COPY_DST = 0x8, STORAGE = 0x80;
const WG = 64;

/**
 * An elementwise shader (every family `elementwise` dispatches: its main computes the flat index i,
 * returns past md[0], then addresses operand k only as `op_off(k, i)`) specialised to `nd` collapsed
 * dims: the element's coordinates are computed once, after that guard (nd - 1 divisions), and each
 * operand's offset is their dot product with its strides, where op_off's loop divided again for
 * every operand. Same offsets, same metadata layout; one pipeline per rank instead of one for all.
 * On SwiftShader the divisions dominated such kernels (a [256, 512] multiply: 8.2 -> 3.4 ms).
 * With `per` > 1, each invocation takes `per` consecutive elements: main's body after the guard
 * becomes `elem(i)` (its `return`s end one element), called in a loop (see elementsPerInvocation).
 * adam.wgsl, of the same form without operand table, takes that part alone (nd = 0).
 */
function rankedElementwise(src: string, nd: number, per = 1): string {
  const guard = 'if (i >= md[0]) { return; }', at = src.indexOf(guard);
  if (at < 0) throw new Error('webgpu: elementwise shader without its bounds guard');
  const ix = [...Array(nd).keys()];
  const coords = nd === 0 ? [] : nd === 1 ? ['  let ix0 = i;']
    : ['  var ix_rem = i;', ...ix.slice(1).reverse().map((d) => `  let ix${d} = ix_rem % md[${2 + d}]; ix_rem = ix_rem / md[${2 + d}];`), '  let ix0 = ix_rem;'];
  const off = (k: number): string => { const t = 2 + nd + k * (nd + 1); return `(md[${t}]${ix.map((d) => ` + ix${d} * md[${t + 1 + d}]`).join('')})`; };
  const rest = src.slice(at + guard.length).replace(/op_off\((\d+), i\)/g, (_m, k: string) => off(Number(k)));
  if (per === 1) return `${src.slice(0, at + guard.length)}\n${coords.join('\n')}${rest}`;
  // main is the last function: its attributes start at the last '@compute', its body ends the source.
  const entry = src.lastIndexOf('@compute'), first = src.indexOf('let i = flat_id(', entry), close = rest.lastIndexOf('}');
  if (entry < 0 || first < 0 || first > at || close < 0) throw new Error('webgpu: elementwise shader of an unexpected form');
  // The metadata words at positions fixed for the dispatch (shapes, offsets, strides, scalars) are
  // read once per invocation into private copies: SwiftShader loads a buffer word per lane, a
  // private one from the lanes' own memory.
  const fixed = /md\[((?:scalar_slot\(\d+\)|\d+)(?: \+ \d+)?)\]/g;
  let body = `${coords.join('\n')}${rest.slice(0, close)}`;
  const words = [...new Set([...body.matchAll(fixed)].map((m) => m[1]!))];
  const name = (w: string) => `md_${words.indexOf(w)}`;
  body = body.replace(fixed, (_m, w: string) => name(w));
  const elem = `${words.map((w) => `var<private> ${name(w)}: i32;`).join('\n')}\nfn elem(i: i32) {\n${body}}\n`;
  const flat = src.slice(first + 'let i = '.length, src.indexOf(';', first));
  return `${src.slice(0, entry)}${elem}${src.slice(entry, first)}let i0 = ${flat};
  let n = md[0];
  ${words.map((w) => `${name(w)} = md[${w}];`).join(' ')}
  for (var q = 0; q < ${per}; q = q + 1) {
    let i = i0 * ${per} + q;
    if (i >= n) { return; }
    elem(i);
  }
}
`;
}
/** Dispatches recorded before an automatic submit, bounding the temporaries kept alive. */
const MAX_PENDING = 256;
/**
 * Flag readbacks in flight at most. Beyond it (a loop that never awaits: mapAsync resolves only when
 * the event loop runs) checks stay unsent in the flag buffer until a later submit or read sends them,
 * and a new check equal to an unsent one (same message and call stack) shares it: host and device
 * memory stay bounded however long the loop runs without yielding.
 */
const MAX_FLAG_READBACKS = 8;
/** Slots of the flag buffer, plus one more that repeats of checks already sent flag into, never read. */
const FLAG_SLOTS = 1024, DISCARD_SLOT = FLAG_SLOTS;
/**
 * Submitted batches whose temporaries and metadata chunk wait for onSubmittedWorkDone. Beyond it (the
 * event loop has not run) they are reused at once, which queue order makes safe as for freed tensors:
 * whatever later work writes them (kernels, writeBuffer) runs after the batches that read them.
 */
const MAX_UNFINISHED = 8;
/**
 * Bytes of one metadata chunk: a batch's metadata at 256-byte slots fits in it (256 dispatches x
 * 1 KiB); a batch that fills it is submitted early, a single larger record grows the chunk size.
 */
const META_CHUNK = 256 * 1024;
/**
 * Bytes of metadata a cached bind group exposes at its dynamic offset (chunks carry this much
 * slack at the end). Larger records, far beyond any kernel's, get a bind group of their own.
 */
const META_WINDOW = 1024;
/** Cached bind groups kept before the cache is dropped (they only pin pooled buffers). */
const MAX_BIND_GROUPS = 4096;
/**
 * Readback staging buffers up to this size are pooled (at most STAGING_PER_SIZE per bucket): the
 * small reads of a training loop (losses, metrics) then create no buffer per read. Larger reads
 * are dominated by the copy, and pooling them would pin host-visible memory.
 */
const STAGING_POOL_MAX = 4 << 20;
const STAGING_PER_SIZE = 4;
const COMPUTE = 0x4; // GPUShaderStage.COMPUTE

/**
 * A metadata word filled on the device (Backend.matmulEpilogue's scalar operands): a copy of 4-byte
 * element `element` of buffer `from` into word `word` of a dispatch's metadata, saving a binding.
 */
interface MetaWord { word: number; from: GPUTensorBuffer; element: number }

/** A pipeline with its explicit layout: the metadata binding takes a dynamic offset. */
interface Kernel { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout; id: number }
/** Longest row the O(L^2) rank argsort handles; longer rows use the bitonic network. */
const RANK_SORT_MAX = 256;
/** Workgroups below which a matmul keeps 64x64 tiles: 128x128 ones would leave most of a big GPU idle. */
const MATMUL128_MIN_GROUPS = 128;
/** matmul_cpu's workgroup size (invocations of 8x8 outputs each, on a flat grid): small, so small products still spread over threads. */
const CPU_MATMUL_WG = 16;

/** A tiled matmul kernel (WebGPUBackend.tiledMatmul): its family, output tile, key, placeholders and operand declarations. */
interface TiledMatmul {
  kernel: 'cpu' | 'tiled64' | 'tiled128';
  /** The dispatch grid for nb batches of [M, N] outputs. */
  grid: (M: number, N: number, nb: number) => [number, number, number];
  family: 'matmul' | 'matmul128' | 'matmul_cpu';
  key: string;
  subs: Record<string, string>;
  /** What the source starts with (enable directives), if anything. */
  preamble?: string;
  decls: (aSlot: number, bSlot: number) => string;
}

export class GPUTensorBuffer implements BufferHandle {
  freed = false;
  /** Checks whose failure makes this buffer's values wrong: a read throws the first one flagged. */
  taint: Taint | null = null;
  /** What outputs computed from this buffer inherit: `taint` plus checks of its values (checkRange). */
  passOn: Taint | null = null;
  /**
   * Checks already run on these values (range checks, or as the index of gather/scatter), by what
   * they checked: repeating one (a fixed target every step) reuses it instead of a new check. Any
   * write to the buffer drops them.
   */
  checked: Map<string, Check> | null = null;
  /** Range checks over all of its elements: a gather or scatter index within one needs no check of its own. */
  ranges: { min: number; max: number; check: Check }[] | null = null;
  /** New values: the checks run on the old ones no longer say anything. */
  rewritten(): void { this.checked = this.ranges = null; }
  constructor(readonly nbytes: number, readonly gpu: GPUBuffer) {}
}

/** Timestamp-query state: the query set of the encoder being recorded, its passes' tags, the results. */
interface KernelTiming {
  qs: GPUQuerySet; n: number; passes: number; ns: Promise<bigint>[];
  /** The tag of passes recorded now; each recorded pass's tag (by query slot); GPU ns per tag. */
  tag: number; tags: number[]; byTag: Map<number, bigint>;
}

/** Pool sizes: powers of two from 256 bytes, then multiples of 1 MiB for large buffers. */
function bucket(n: number): number {
  if (n <= 256) return 256;
  if (n >= 1 << 20) return Math.ceil(n / (1 << 20)) * (1 << 20);
  return 2 ** Math.ceil(Math.log2(n));
}

function checkDtype(d: DType, op: string): void {
  if (d === 'float64') throw new TypeError(`${op}: ${d} is not supported on webgpu (use float32)`);
}

interface Operand {
  buf: GPUBuffer; dtype: DType; access: Access;
  /** binding number; default: position + 1 */ slot?: number;
  /** The tensor buffer, for poison propagation; `whole`: a write that covers all of it. */
  h?: GPUTensorBuffer; whole?: boolean;
  /**
   * A written operand whose values depend on only some operands (a fused kernel's outputs): the
   * indices of the read operands it inherits poison from, and whether the dispatch's check taints
   * it. Absent: every read operand and the check (one output, or all outputs alike).
   */
  deps?: FusedOutputDeps;
}

export class WebGPUBackend implements Backend {
  readonly device = 'webgpu' as const;
  readonly synchronous = false;
  /** reduce walks each output's elements in logical order (collapsing never reorders dims). */
  readonly reduceInLogicalOrder = true;
  readonly gpu: GPUDevice;
  readonly info: GPUInfo;
  /** Tuning knob (tests and benchmarks set it): workgroup count from which matmul uses 128x128 tiles. */
  matmul128MinGroups = MATMUL128_MIN_GROUPS;
  /**
   * Tuning knob: 128x128 tiles also need M and N above this, so at least a quarter of a tile is
   * output. Without it a big batch of small matrices (7x7 per batch, B >= 128) met the group count
   * alone and computed 128x128 tiles for 49 outputs: 1.2 -> 216 ms on SwiftShader.
   */
  matmul128MinDim = 64;
  /**
   * Subgroup-matrix (tensor core) matmul, ./subgroup_matmul.ts: 'auto' takes the large float16 (and
   * float32, where a config offers f32) problems on adapters with the feature; 'off' always runs the
   * tiled kernels; 'force' takes every problem the plan accepts, whatever its size (benchmarks);
   * 'emulate' (tests) runs the plain-WGSL variant on any adapter, with `emulatedConfigs`. In Node,
   * TORCHLET_WEBGPU_MATMUL=tiled|subgroup|emulate sets 'off'|'force'|'emulate' at creation.
   */
  subgroupMatmul: 'auto' | 'off' | 'force' | 'emulate' = 'auto';
  subgroupMatmulTuning: SubgroupMatmulTuning = {};
  emulatedConfigs: SubgroupMatrixConfig[] = [
    { componentType: 'f16', resultComponentType: 'f32', M: 16, N: 16, K: 16 },
    { componentType: 'f32', resultComponentType: 'f32', M: 8, N: 8, K: 8 },
  ];
  /** Why the device's subgroup matrices are not used although offered (checkSubgroupMatmul), else null. */
  subgroupMatrixError: string | null = null;
  /**
   * The register-tiled matmul for CPU-emulated adapters (shaders/matmul_cpu.wgsl) instead of the
   * tiled and thin kernels, for f32 compute types: 'auto' takes it on fallback adapters
   * (GPUInfo.isFallbackAdapter: SwiftShader and the like, where it is ~20x faster and the workgroup
   * tiles ~20x slower than on a GPU), 'on'/'off' force the choice (tests, benchmarks). In Node,
   * TORCHLET_WEBGPU_CPU_MATMUL=1|0 sets 'on'|'off' at creation.
   */
  cpuMatmul: 'auto' | 'on' | 'off' = 'auto';
  /**
   * Whether matmul_cpu shares A's loads across a subgroup's lanes (shaders/matmul_cpu.wgsl; same
   * bits, ~15% faster on SwiftShader) where the device has subgroups; false (tests) keeps each
   * lane's own loads.
   */
  cpuMatmulSubgroups = true;
  /**
   * Reductions on CPU-emulated adapters: 'auto' (on when GPUInfo.isFallbackAdapter) runs reductions
   * of at least `cpuReduceMinOutputs` outputs over at most `cpuReduceMaxLength` elements one
   * invocation per output in index order (reduce_rows.wgsl, fused_reduce.wgsl's `rows`), as short
   * rows always are: SwiftShader runs the workgroup tree's barriers ~10x slower than that loop, while
   * few long sums keep the tree (parallelism, pairwise accuracy). reduce and the fused reduction ask
   * rowsReduce, so they keep one strategy (and one order) on a device. 'on'/'off' force it (tests,
   * benchmarks); in Node TORCHLET_WEBGPU_CPU_REDUCE=1|0 sets 'on'|'off' at creation.
   */
  cpuReduce: 'auto' | 'on' | 'off' = 'auto';
  /**
   * Elementwise kernels on CPU-emulated adapters: 'auto' (on when GPUInfo.isFallbackAdapter) lets
   * each invocation of a large one take 4 or 16 consecutive elements (elementsPerInvocation; the same
   * values); 'on'/'off' force it (tests). In Node TORCHLET_WEBGPU_CPU_ELEMENTWISE=1|0 sets 'on'|'off'.
   */
  cpuElementwise: 'auto' | 'on' | 'off' = 'auto';
  cpuReduceMinOutputs = 8;
  cpuReduceMaxLength = 4096;
  /**
   * Matmul epilogues under torch.compile (Backend.compileEpilogues): 'auto' folds chains into the
   * matmul except on fallback adapters. There the CPU-adapter matmul stores its 8x8 block element by
   * element, and an epilogue re-reads its operand table per element: a bias add cost ~5 ms more per
   * [256, 512] product on SwiftShader, a GELU backward ~11 ms, where as kernels of their own (or
   * inside the LayerNorm's reduction that follows) they cost less. 'on'/'off' force it (tests).
   */
  epilogues: 'auto' | 'on' | 'off' = 'auto';
  /**
   * torch.compile's broadcast sinking (Backend.sinkCheapOnly): 'auto' sinks only cheap ops on
   * CPU-emulated adapters, where per-element compute costs as on a CPU (layer norm's backward had
   * recomputed a pow and divisions per element: the compiled transformer step's GPU time on
   * SwiftShader went 437 -> 385 ms without, its wall clock within noise); 'on'/'off' force it. In
   * Node TORCHLET_WEBGPU_CHEAP_SINK=1|0.
   */
  cheapSink: 'auto' | 'on' | 'off' = 'auto';
  get sinkCheapOnly(): boolean { return this.onCpuAdapter(this.cheapSink); }
  get compileEpilogues(): boolean { return this.epilogues === 'on' || (this.epilogues === 'auto' && !this.info.isFallbackAdapter); }
  /** Which kernel the last matmul ran ('subgroup', 'cpu', 'tiled128', 'tiled64', 'small') and why not the subgroup one. */
  lastMatmul: { kernel: 'subgroup' | 'cpu' | 'tiled128' | 'tiled64' | 'small'; why: string | null } | null = null;
  private readonly pool = new Map<number, GPUBuffer[]>();
  private readonly pipelines = new Map<string, Kernel>();
  /**
   * Bind groups by kernel and buffers: with the metadata offset dynamic, a dispatch on buffers seen
   * before (parameters, pooled activations in a loop) reuses its bind group instead of creating one,
   * the largest CPU cost of a dispatch. Dropped whenever a buffer that could be in one is destroyed.
   */
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly bufIds = new WeakMap<GPUBuffer, number>();
  private nextBufId = 1;
  private encoder: GPUCommandEncoder | null = null;
  /** The compute pass consecutive dispatches share (kernel timing off); ended before any copy or submit. */
  private pass: GPUComputePassEncoder | null = null;
  private passPipeline: GPUComputePipeline | null = null;
  private pending = 0;
  /** Alias copies and sort scratch of recorded work: back to the pool once the queue is done. */
  private temps: GPUBuffer[] = [];
  /**
   * Metadata ring: the dispatches of one batch (command encoder) pack their i32 metadata into
   * `metaHost` at slots aligned to minStorageBufferOffsetAlignment, uploaded by ONE writeBuffer
   * into the batch's chunk just before its submit, and bound at their offsets. writeBuffer runs
   * before every command submitted after it, so a chunk is reused only once the queue has finished
   * the batch that read it (onSubmittedWorkDone), never while work in flight still reads it.
   */
  private metaHost = new Int32Array(META_CHUNK / 4);
  private metaUsed = 0;
  private metaChunk: GPUBuffer | null = null;
  private metaChunkSize = META_CHUNK;
  private metaFree: GPUBuffer[] = [];
  private readonly metaAlign: number;
  /** Storage bindings per pipeline key (metadata and error flag included): checked against the device limit. */
  readonly storageBindings = new Map<string, number>();
  /**
   * Checks dispatched and not yet sent: check i sets words [2i, 2i + 1] (flag, value) of `flagBuf`.
   * A submit copies them to a staging buffer read back in the background, and clears them, unless
   * MAX_FLAG_READBACKS are in flight: then they stay, and more batches add to them.
   */
  private unsent: Check[] = [];
  /** Unsent checks by key, consulted while readbacks are held back (see MAX_FLAG_READBACKS). */
  private readonly interned = new Map<string, Check>();
  private flagReadbacks = 0;
  private unfinished = 0;
  private readonly flagBuf: GPUBuffer;
  private error: Error | null = null;
  /**
   * Out-of-memory errors of buffer creation. WebGPU reports them asynchronously through an error
   * scope (createBuffer returns an invalid buffer at once), so like kernel errors they are raised at
   * the next read, ahead of the validation errors that the invalid buffer causes downstream.
   */
  private allocError: Error | null = null;
  /** Error scopes of buffer creations not yet popped: a read waits for them before reporting. */
  private readonly scopes = new Set<Promise<void>>();
  /** Buffers whose creation failed: never pooled, so one failure does not poison later allocations. */
  private readonly invalid = new WeakSet<GPUBuffer>();
  /**
   * Free MAP_READ staging buffers by size. A read takes one out of its list and puts it back only
   * after unmap, so concurrent reads never share one.
   */
  private readonly staging = new Map<number, GPUBuffer[]>();
  private allocated = 0;
  private reserved = 0;
  private live = 0;
  /**
   * Kernel timing (timestamp-query): every compute pass writes begin/end stamps while this is set;
   * each pass is attributed to the tag current when it was recorded (the profiler's event).
   */
  private timing: KernelTiming | null = null;

  constructor(info: GPUInfo) {
    this.info = info;
    this.gpu = info.device;
    this.metaAlign = Math.max(4, info.limits.minStorageBufferOffsetAlignment);
    this.flagBuf = this.gpu.createBuffer({ size: 8 * (FLAG_SLOTS + 1), usage: STORAGE | COPY_SRC | COPY_DST });
    this.gpu.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
      this.error ??= new Error(`webgpu: ${ev.error.message}`);
    };
    void this.gpu.lost.then((l) => { this.error ??= new Error(`webgpu: device lost (${l.reason}): ${l.message}`); });
  }

  // ---- memory ----
  private take(size: number, usage = STORAGE | COPY_SRC | COPY_DST, what = `a buffer of ${size} bytes`): GPUBuffer {
    const list = this.pool.get(size);
    const b = list?.pop();
    if (b) return b;
    const nb = this.createBuffer(size, usage, what, true);
    this.reserved += size;
    return nb;
  }
  /**
   * createBuffer inside an out-of-memory error scope. A synchronous throw (Dawn refuses some sizes
   * outright) becomes a RangeError naming size and limit now; a scope error is kept for the next
   * read, and the pool's free buffers are released so that a retry can succeed.
   */
  private createBuffer(size: number, usage: number, what: string, pooled = false): GPUBuffer {
    this.gpu.pushErrorScope('out-of-memory');
    let b: GPUBuffer;
    try {
      b = this.gpu.createBuffer({ size, usage });
    } catch (e) {
      void this.gpu.popErrorScope().catch(() => undefined);
      throw new RangeError(`webgpu: cannot create a buffer of ${size} bytes for ${what} (device maxBufferSize ${this.info.limits.maxBufferSize} bytes): ${(e as Error).message}`);
    }
    const scope: Promise<void> = this.gpu.popErrorScope().then((err) => {
      if (!err) return;
      this.invalid.add(b);
      if (pooled) this.dropInvalid(b);
      const mem = this.memory(), cached = mem.reservedBytes - mem.allocatedBytes;
      this.allocError ??= new Error(`webgpu: out of memory allocating a buffer of ${size} bytes for ${what}; `
        + `torch.memory() reports ${mem.allocatedBytes} bytes allocated by ${mem.buffers} tensors `
        + `(${cached} more cached by the pool, now released); free tensors (dispose/tidy), call torch.webgpu.emptyCache() or use smaller batches (${err.message})`);
      this.emptyCache();
    }, () => undefined).finally(() => this.scopes.delete(scope));
    this.scopes.add(scope);
    return b;
  }
  /** Takes a buffer whose creation failed out of the pool's accounting (and the pool, if freed already). */
  private dropInvalid(b: GPUBuffer): void {
    this.reserved -= b.size;
    const list = this.pool.get(b.size), i = list ? list.indexOf(b) : -1;
    if (i >= 0) { list!.splice(i, 1); b.destroy(); }
  }
  private give(b: GPUBuffer): void {
    // Its reserved bytes were already dropped when the failure was reported.
    if (this.invalid.has(b)) { b.destroy(); return; }
    let list = this.pool.get(b.size);
    if (!list) { list = []; this.pool.set(b.size, list); }
    list.push(b);
  }

  alloc(nbytes: number): BufferHandle {
    const max = Math.min(this.info.limits.maxStorageBufferBindingSize, this.info.limits.maxBufferSize);
    if (nbytes > max) throw new RangeError(`webgpu: cannot allocate ${nbytes} bytes: the device binds at most ${max} bytes per buffer`);
    // Near the limit the bucket may not round up past it.
    const size = Math.min(bucket(nbytes), (max >> 2) << 2);
    const b = this.take(size, undefined, `a tensor of ${nbytes} bytes`);
    this.allocated += nbytes; this.live++;
    return new GPUTensorBuffer(nbytes, b);
  }
  free(buf: BufferHandle): void {
    const b = buf as GPUTensorBuffer;
    if (b.freed) return;
    b.freed = true;
    this.allocated -= b.nbytes; this.live--;
    // Safe to hand out again at once: later kernels run after earlier ones in queue order, and
    // write() submits recorded work before its queue.writeBuffer.
    this.give(b.gpu);
  }
  /** Destroys the pooled (free) buffers, returning their memory to the device; live tensors keep theirs. */
  emptyCache(): void {
    this.flush();
    // Work already submitted may still use pooled buffers: destroy them once the queue is idle.
    const lists = [...this.pool.values()];
    this.pool.clear();
    for (const l of lists) for (const b of l) this.reserved -= b.size;
    for (const b of this.metaFree) b.destroy(); // free chunks are not in flight
    this.metaFree = [];
    for (const l of this.staging.values()) for (const b of l) b.destroy(); // unmapped: not in any read
    this.staging.clear();
    this.bindGroups.clear();
    void this.gpu.queue.onSubmittedWorkDone().then(() => lists.forEach((l) => l.forEach((b) => b.destroy())));
  }
  memory(): MemoryInfo { return { allocatedBytes: this.allocated, reservedBytes: this.reserved, buffers: this.live }; }

  write(buf: BufferHandle, data: TypedArray, byteOffset = 0): void {
    if (data instanceof Float64Array) throw new TypeError('write: float64 is not supported on webgpu (use float32)');
    const b = this.handle(buf, 'write');
    if (byteOffset % 4 !== 0) throw new RangeError(`webgpu write: byte offset ${byteOffset} is not a multiple of 4`);
    let bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (bytes.byteLength % 4 !== 0) {
      // Bytes past the region are overwritten with zeros: only allowed at the end of the tensor.
      if (byteOffset + bytes.byteLength < b.nbytes) throw new RangeError('webgpu write: unaligned write inside a buffer');
      const padded = new Uint8Array((bytes.byteLength + 3) & ~3);
      padded.set(bytes);
      bytes = padded;
    }
    this.flush();
    if (bytes.byteLength > 0) this.gpu.queue.writeBuffer(b.gpu, byteOffset, bytes as Uint8Array<ArrayBuffer>);
    b.rewritten();
    if (byteOffset === 0 && bytes.byteLength >= b.nbytes) b.taint = b.passOn = null; // fresh values
  }

  async read(v: View): Promise<TypedArray> {
    checkDtype(v.dtype, 'read');
    const n = numel(v.shape), size = itemSize[v.dtype];
    const bytes = n * size, rounded = (bytes + 3) & ~3;
    const src = this.handle(v.buf, 'read');
    const staging = this.takeStaging(Math.max(4, rounded));
    let tmp: GPUBuffer | null = null;
    if (n > 0) {
      const c = collapse(v.shape, [v.strides]);
      const dense = c.shape.length === 0 || (c.shape.length === 1 && c.strides[0]![0] === 1);
      if (dense && (v.offset * size) % 4 === 0) {
        this.enc().copyBufferToBuffer(src.gpu, v.offset * size, staging, 0, rounded);
      } else {
        // Strided or unaligned: gather into a contiguous temporary first.
        tmp = this.take(bucket(rounded));
        this.copyInto(v, { buf: new GPUTensorBuffer(rounded, tmp), dtype: v.dtype, shape: v.shape, strides: contiguousStrides(v.shape), offset: 0 });
        this.enc().copyBufferToBuffer(tmp, 0, staging, 0, rounded);
      }
    }
    this.flush();
    if (tmp) this.give(tmp);
    try {
      await staging.mapAsync(1, 0, Math.max(4, rounded));
    } catch (e) {
      staging.destroy();
      if (this.scopes.size) await Promise.all(this.scopes);
      throw this.takeError() ?? new Error(`webgpu read failed: ${(e as Error).message}`);
    }
    const mapped = staging.getMappedRange(0, Math.max(4, rounded));
    const T = arrayType(v.dtype);
    const out = new T(n);
    new Uint8Array(out.buffer).set(new Uint8Array(mapped, 0, bytes));
    staging.unmap();
    this.giveStaging(staging);
    // Allocation failures are reported by error scopes that may resolve after the map.
    if (this.scopes.size) await Promise.all(this.scopes);
    const e = this.takeError();
    if (e) throw e;
    const bad = src.taint ? await src.taint.verdict(() => this.flush(true)) : null;
    if (bad) throw bad.error();
    return out;
  }

  /** The poison error already known for a buffer (flags read back), without waiting for pending ones. */
  knownError(buf: BufferHandle): Error | null {
    return (buf as GPUTensorBuffer).taint?.knownBad()?.error() ?? null;
  }

  /** A free staging buffer of at least `size` bytes, out of every list until giveStaging. */
  private takeStaging(size: number): GPUBuffer {
    const s = bucket(size);
    if (s > STAGING_POOL_MAX) return this.createBuffer(size, MAP_READ | COPY_DST, `a readback of ${size} bytes`);
    return this.staging.get(s)?.pop() ?? this.createBuffer(s, MAP_READ | COPY_DST, `a readback of ${size} bytes`);
  }
  /** Called after unmap: pooled when small and its bucket has room, else destroyed. */
  private giveStaging(b: GPUBuffer): void {
    if (b.size > STAGING_POOL_MAX || b.size !== bucket(b.size) || this.invalid.has(b)) { b.destroy(); return; }
    let list = this.staging.get(b.size);
    if (!list) { list = []; this.staging.set(b.size, list); }
    if (list.length < STAGING_PER_SIZE) list.push(b); else b.destroy();
  }
  /** Free readback staging buffers pooled now (tests check reuse). */
  get stagingPooled(): number { let n = 0; for (const l of this.staging.values()) n += l.length; return n; }

  private takeError(): Error | null {
    // Out-of-memory first: the validation errors of the invalid buffer's later uses follow from it.
    if (this.allocError) {
      const a = this.allocError;
      this.allocError = null;
      if (this.error && !this.error.message.includes('device lost')) this.error = null;
      return a;
    }
    const e = this.error;
    // Device loss is permanent; validation errors are reported once.
    if (e && !e.message.includes('device lost')) this.error = null;
    return e;
  }

  // ---- recording ----
  /** The encoder for commands outside compute passes (copies, clears): ends the shared pass first. */
  private enc(): GPUCommandEncoder {
    this.endPass();
    if (this.error?.message.includes('device lost')) throw this.error;
    return (this.encoder ??= this.gpu.createCommandEncoder());
  }
  private endPass(): void {
    if (!this.pass) return;
    this.pass.end();
    this.pass = null;
    this.passPipeline = null;
  }
  /**
   * Submits recorded work after uploading its metadata; temporaries and the metadata chunk return
   * to their pools when the queue has finished it.
   */
  flush(sendFlags = false): void {
    if (!this.encoder) {
      this.metaUsed = 0;
      if (!sendFlags || !this.unsent.length) return;
      this.encoder = this.gpu.createCommandEncoder();
    }
    this.endPass();
    const stamps = this.timing && this.timing.n > 0 ? this.resolveStamps(this.encoder, this.timing) : null;
    const chunk = this.metaChunk;
    if (chunk && this.metaUsed > 0) this.gpu.queue.writeBuffer(chunk, 0, this.metaHost, 0, this.metaUsed / 4);
    const checks = this.unsent, flagBytes = 8 * checks.length;
    let flags: GPUBuffer | null = null;
    if (flagBytes && (sendFlags || this.flagReadbacks < MAX_FLAG_READBACKS)) {
      // The flags go to a staging buffer read back in the background; their slots are clear for new checks.
      this.unsent = [];
      this.interned.clear();
      for (const c of checks) c.slot = SENT;
      flags = this.takeStaging(flagBytes);
      this.encoder.copyBufferToBuffer(this.flagBuf, 0, flags, 0, flagBytes);
      this.encoder.clearBuffer(this.flagBuf, 0, flagBytes);
    }
    this.gpu.queue.submit([this.encoder.finish()]);
    if (flags) this.readFlags(flags, checks, flagBytes);
    if (stamps) this.timing!.ns.push(stamps());
    this.encoder = null;
    this.pending = 0;
    this.metaUsed = 0;
    this.metaChunk = null;
    const temps = this.temps;
    this.temps = [];
    if (!temps.length && !chunk) return;
    const recycle = (): void => {
      temps.forEach((b) => this.give(b));
      if (!chunk) return;
      if (chunk.size === this.metaChunkSize + META_WINDOW) this.metaFree.push(chunk);
      else { chunk.destroy(); this.bindGroups.clear(); }
    };
    if (this.unfinished >= MAX_UNFINISHED) { recycle(); return; } // see MAX_UNFINISHED
    this.unfinished++;
    void this.gpu.queue.onSubmittedWorkDone().then(() => { this.unfinished--; recycle(); });
  }

  /** Maps a batch's flag words and settles its checks (a read of a tensor they taint waits for it). */
  private readFlags(flags: GPUBuffer, checks: Check[], bytes: number): void {
    this.flagReadbacks++;
    const done = flags.mapAsync(MAP_READ, 0, bytes).then(() => {
      settle(checks, new Int32Array(flags.getMappedRange(0, bytes).slice(0)));
      flags.unmap();
      this.giveStaging(flags);
    }, () => { settle(checks, null); flags.destroy(); }).finally(() => { this.flagReadbacks--; });
    for (const c of checks) c.done = done;
  }

  /**
   * @internal Bookkeeping that a loop which never awaits must keep bounded: flag readbacks in flight,
   * checks not yet sent, batches waiting for onSubmittedWorkDone. Tests assert on it.
   */
  get pendingWork(): { flagReadbacks: number; unsentChecks: number; unfinishedBatches: number } {
    return { flagReadbacks: this.flagReadbacks, unsentChecks: this.unsent.length, unfinishedBatches: this.unfinished };
  }

  /** Bytes per metadata chunk (tests shrink it to exercise early submits and growth). */
  get metaChunkBytes(): number { return this.metaChunkSize; }
  set metaChunkBytes(n: number) {
    this.flush();
    this.metaChunkSize = n;
    this.metaHost = new Int32Array(n / 4);
    for (const c of this.metaFree) c.destroy();
    this.metaFree = [];
    this.bindGroups.clear();
  }

  /**
   * Reserves an aligned slot for `meta` in the current batch's metadata chunk; the binding covers
   * the whole slot, zero-padded. A full chunk submits the batch first (nothing of this dispatch is
   * recorded yet), so offsets always point into the chunk its batch uploads.
   */
  private metaSlot(meta: readonly number[]): { buffer: GPUBuffer; offset: number; size: number } {
    const bytes = Math.max(4, meta.length * 4);
    const slot = Math.ceil(bytes / this.metaAlign) * this.metaAlign;
    if (this.metaUsed + slot > this.metaChunkSize) {
      if (this.metaUsed > 0) this.flush();
      if (slot > this.metaChunkSize) {
        // One record larger than a chunk (never seen in practice): larger chunks from now on.
        this.metaChunkSize = 2 ** Math.ceil(Math.log2(slot));
        this.metaHost = new Int32Array(this.metaChunkSize / 4);
        this.metaChunk?.destroy(); // not submitted: the batch is empty
        this.metaChunk = null;
        for (const b of this.metaFree) b.destroy();
        this.metaFree = [];
        this.bindGroups.clear();
      }
    }
    this.metaChunk ??= this.metaFree.pop() ?? this.gpu.createBuffer({ size: this.metaChunkSize + META_WINDOW, usage: STORAGE | COPY_DST });
    const offset = this.metaUsed, at = offset / 4;
    this.metaHost.set(meta, at);
    this.metaHost.fill(0, at + meta.length, at + slot / 4);
    this.metaUsed += slot;
    return { buffer: this.metaChunk, offset, size: slot };
  }

  /**
   * Starts summing the GPU time of every kernel (compute pass) from now on, read back by
   * endKernelTiming. False (and nothing measured) when the device lacks timestamp-query.
   */
  beginKernelTiming(): boolean {
    if (!this.info.features.timestampQuery) return false;
    this.flush();
    this.timing?.qs.destroy();
    this.timing = { qs: this.gpu.createQuerySet({ type: 'timestamp', count: 2 * MAX_PENDING }), n: 0, passes: 0, ns: [], tag: -1, tags: [], byTag: new Map() };
    return true;
  }
  /** Attributes the kernels recorded from now on to `tag` (-1: none) while timing. */
  setKernelTag(tag: number): void { if (this.timing) this.timing.tag = tag; }
  /**
   * Waits for the work recorded since beginKernelTiming: kernel count, summed kernel time (ms) and
   * the time of each tag's kernels (ms).
   */
  async endKernelTiming(): Promise<{ kernels: number; ms: number; byTag: Map<number, number> } | null> {
    const t = this.timing;
    if (!t) return null;
    this.flush();
    this.timing = null;
    const ns = (await Promise.all(t.ns)).reduce((a, b) => a + b, 0n);
    t.qs.destroy();
    return { kernels: t.passes, ms: Number(ns) / 1e6, byTag: new Map([...t.byTag].map(([k, v]) => [k, Number(v) / 1e6])) };
  }
  /** Records the resolve of this encoder's stamps; the returned function (called after submit) maps them. */
  private resolveStamps(enc: GPUCommandEncoder, t: KernelTiming): () => Promise<bigint> {
    const n = t.n, bytes = 16 * n, tags = t.tags.splice(0);
    const resolved = this.gpu.createBuffer({ size: bytes, usage: 0x200 /* QUERY_RESOLVE */ | COPY_SRC });
    const staging = this.gpu.createBuffer({ size: bytes, usage: MAP_READ | COPY_DST });
    enc.resolveQuerySet(t.qs, 0, 2 * n, resolved, 0);
    enc.copyBufferToBuffer(resolved, 0, staging, 0, bytes);
    t.n = 0;
    return async () => {
      await staging.mapAsync(1);
      const v = new BigUint64Array(staging.getMappedRange());
      let sum = 0n;
      // A pass whose end stamp precedes its begin (counter reset) counts as zero.
      for (let i = 0; i < n; i++) {
        if (v[2 * i + 1]! <= v[2 * i]!) continue;
        const d = v[2 * i + 1]! - v[2 * i]!;
        sum += d;
        t.byTag.set(tags[i]!, (t.byTag.get(tags[i]!) ?? 0n) + d);
      }
      staging.unmap(); staging.destroy(); resolved.destroy();
      return sum;
    };
  }
  /** Submits recorded work and resolves when the GPU has finished everything queued so far. */
  async synchronize(): Promise<void> {
    this.flush();
    await this.gpu.queue.onSubmittedWorkDone();
    const e = this.takeError();
    if (e) throw e;
  }

  private handle(buf: BufferHandle, op: string): GPUTensorBuffer {
    const b = buf as GPUTensorBuffer;
    if (!(b instanceof GPUTensorBuffer)) throw new TypeError(`webgpu ${op}: buffer belongs to another backend`);
    if (b.freed) throw new Error(`webgpu ${op}: use of a tensor whose storage was disposed`);
    return b;
  }

  /**
   * The kernel's pipeline, created once per key and entry point. Its layout follows the dispatch
   * convention: binding 0 the metadata (dynamic offset), each operand at its slot (read-only when
   * read, else read-write, as codegen declares it), then the error flag when checked.
   */
  private pipeline(fullKey: string, source: () => string, entryPoint: string, ops: readonly Operand[], checked: boolean): Kernel {
    let k = this.pipelines.get(fullKey);
    if (!k) {
      const entries: GPUBindGroupLayoutEntry[] = [{ binding: 0, visibility: COMPUTE, buffer: { type: 'read-only-storage', hasDynamicOffset: true } }];
      ops.forEach((o, i) => entries.push({ binding: o.slot ?? i + 1, visibility: COMPUTE, buffer: { type: o.access === 'read' ? 'read-only-storage' : 'storage' } }));
      if (checked) entries.push({ binding: ops.length + 1, visibility: COMPUTE, buffer: { type: 'storage' } });
      const layout = this.gpu.createBindGroupLayout({ entries, label: fullKey });
      const module = this.gpu.createShaderModule({ code: source(), label: fullKey });
      const pipeline = this.gpu.createComputePipeline({
        layout: this.gpu.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module, entryPoint }, label: fullKey,
      });
      k = { pipeline, layout, id: this.pipelines.size + 1 };
      this.pipelines.set(fullKey, k);
    }
    return k;
  }
  private bufId(b: GPUBuffer): number {
    let id = this.bufIds.get(b);
    if (id === undefined) { id = this.nextBufId++; this.bufIds.set(b, id); }
    return id;
  }

  /**
   * Records one dispatch. Binding 0 is the i32 metadata, then `ops` in order (binding 1 is the
   * output), then the flag buffer when there is a `check`: its slot (see slotOf) replaces the last
   * metadata word. An input sharing the output's buffer is copied first: WebGPU forbids binding one
   * buffer as both writable and readable in a dispatch. Written buffers inherit poison (see propagate).
   * Returns the check that stands for this dispatch's (an equal unsent one may replace it), or null.
   */
  private dispatch(key: string, source: () => string, meta: number[], ops: Operand[], groups: [number, number, number], check: Check | null = null,
    entryPoint = 'main', mdWords: readonly MetaWord[] = []): Check | null {
    const checked = check !== null;
    const fullKey = `${key}@${entryPoint}`;
    if (!this.storageBindings.has(fullKey)) {
      // Every binding is a storage buffer: metadata, operands, error flag. Checked before Dawn
      // would reject the pipeline asynchronously, so an over-wide kernel fails here, by name.
      const n = 1 + ops.length + (checked ? 1 : 0), max = this.info.limits.maxStorageBuffersPerShaderStage;
      if (n > max) throw new RangeError(`webgpu: kernel ${fullKey} binds ${n} storage buffers; the device allows ${max} per shader stage`);
      this.storageBindings.set(fullKey, n);
    }
    const k = this.pipeline(fullKey, source, entryPoint, ops, checked), p = k.pipeline;
    let slot = 0;
    if (check) [check, slot] = this.slotOf(check);
    const md = this.metaSlot(meta);
    if (check) this.metaHost[md.offset / 4 + meta.length - 1] = slot;
    // Recorded after the batch's metadata upload (writeBuffer precedes the submit) and before the dispatch.
    for (const w of mdWords) this.enc().copyBufferToBuffer(w.from.gpu, 4 * w.element, md.buffer, md.offset + 4 * w.word, 4);
    const written = new Set(ops.filter((o) => o.access !== 'read').map((o) => o.buf));
    const bufs = ops.map((o) => {
      if (o.access !== 'read' || !written.has(o.buf)) return o.buf;
      const copy = this.take(o.buf.size);
      this.temps.push(copy);
      this.enc().copyBufferToBuffer(o.buf, 0, copy, 0, o.buf.size);
      return copy;
    });
    const fits = md.size <= META_WINDOW;
    let cacheKey = '';
    let bg: GPUBindGroup | undefined;
    if (fits) {
      cacheKey = `${k.id}|${this.bufId(md.buffer)}`;
      for (const b of bufs) cacheKey += `,${this.bufId(b)}`;
      bg = this.bindGroups.get(cacheKey);
    }
    if (!bg) {
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: md.buffer, offset: 0, size: fits ? META_WINDOW : md.size } }];
      bufs.forEach((b, i) => entries.push({ binding: ops[i]!.slot ?? i + 1, resource: { buffer: b } }));
      if (checked) entries.push({ binding: ops.length + 1, resource: { buffer: this.flagBuf } });
      bg = this.gpu.createBindGroup({ layout: k.layout, entries });
      if (fits) {
        if (this.bindGroups.size >= MAX_BIND_GROUPS) this.bindGroups.clear();
        this.bindGroups.set(cacheKey, bg);
      }
    }
    const t = this.timing;
    let pass = this.pass;
    if (!pass) {
      // Timing needs one pass per kernel (stamps are per pass); otherwise consecutive dispatches
      // share a pass: WebGPU orders and makes visible each dispatch's storage writes to the next.
      pass = this.enc().beginComputePass(t ? { timestampWrites: { querySet: t.qs, beginningOfPassWriteIndex: 2 * t.n, endOfPassWriteIndex: 2 * t.n + 1 } } : undefined);
      if (t) { t.tags[t.n] = t.tag; t.n++; t.passes++; } else this.pass = pass;
    }
    if (this.passPipeline !== p) { pass.setPipeline(p); if (!t) this.passPipeline = p; }
    pass.setBindGroup(0, bg, [md.offset]);
    pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    if (t) pass.end();
    this.propagate(ops, check);
    for (const o of ops) if (o.h && o.access !== 'read') o.h.rewritten();
    if (++this.pending >= MAX_PENDING) this.flush();
    return check;
  }

  /**
   * The flag slot of a checked dispatch. A check already sent (a repeat of one run on the same
   * values) flags the discarded slot: its verdict will be the first run's. A new check takes the next
   * slot, or, while readbacks are held back, shares the slot of an equal unsent check (returned in
   * its place). A full flag buffer is sent at once, whatever is in flight.
   */
  private slotOf(check: Check): [Check, number] {
    if (check.slot >= 0) return [check, check.slot];
    if (check.slot === SENT) return [check, DISCARD_SLOT];
    if (this.unsent.length >= FLAG_SLOTS) this.flush(true);
    if (this.flagReadbacks >= MAX_FLAG_READBACKS) {
      const key = check.key, same = this.interned.get(key);
      if (same) return [same, same.slot];
      this.interned.set(key, check);
    }
    check.slot = this.unsent.push(check) - 1;
    return [check, check.slot];
  }

  /**
   * Runs a checked kernel over the values of `v` (`message` and `what` name what else the check
   * depends on) with the check run before on the same unchanged values when there is one, else a new
   * one; remembers the check that stands for it. Returns that check (null if nothing was dispatched).
   * With `within`, a range check over all of the buffer inside [within] stands for a new check: when
   * it passes this one would, and when it fails, all computed from the buffer is poisoned by it
   * already (passOn). So crossEntropy's target check covers the index checks of its gather and scatter.
   */
  private checked(v: View, what: string, message: string, run: (check: Check) => Check | null, within?: [number, number]): Check | null {
    const h = this.handle(v.buf, 'check');
    const key = `${what}|${message}|${v.offset}|${v.shape.join(',')}|${v.strides.join(',')}`;
    const implied = within && h.ranges?.find((r) => r.min >= within[0] && r.max <= within[1])?.check;
    const used = run(h.checked?.get(key) ?? implied ?? new Check(message));
    if (used) {
      h.checked ??= new Map();
      if (h.checked.size >= 32) h.checked.clear(); // many views of one buffer: forget, check again
      h.checked.set(key, used);
    }
    return used;
  }

  /**
   * Poison propagation, once per dispatch: every buffer it writes inherits what its inputs pass on
   * (and a partially written one keeps its own), plus the dispatch's check. With no tainted operand
   * and no check this is a field test per operand.
   */
  private propagate(ops: readonly Operand[], check: Check | null): void {
    if (ops[0]?.deps) { this.propagateEach(ops, check); return; }
    let inherited: Taint | null = null, any = check !== null && check.state !== CLEAN;
    for (const o of ops) if (o.h?.passOn && (o.access === 'read' || !o.whole)) { any = true; break; }
    if (any) inherited = join(ops.map((o) => (o.access === 'read' || !o.whole ? o.h?.passOn : null)), check);
    for (const o of ops) {
      const h = o.h;
      if (!h || o.access === 'read') continue;
      if (o.whole) { h.taint = h.passOn = inherited; continue; }
      if (!inherited) continue;
      h.taint = join([h.taint, inherited], null);
      h.passOn = join([h.passOn, inherited], null);
    }
  }

  /**
   * Poison propagation for outputs with their own dependencies (Operand.deps): each inherits what
   * its own inputs pass on (and, written partially, its own), plus the check when it depends on
   * it; as a chain of single-output kernels would leave it, where outputs depend on different inputs.
   */
  private propagateEach(ops: readonly Operand[], check: Check | null): void {
    // Everything is read before anything is written: an output may share its buffer (its handle)
    // with an input another output depends on (an in-place planned operand).
    const inh = ops.map((o) => {
      const h = o.h, d = o.deps;
      if (!h || !d || o.access === 'read') return null;
      return join([...d.from.map((k) => ops[k]!.h?.passOn), o.whole ? null : h.passOn], d.checked ? check : null);
    });
    ops.forEach((o, i) => {
      const h = o.h;
      if (!h || !o.deps || o.access === 'read') return;
      const inherited = inh[i] ?? null;
      if (o.whole) { h.taint = h.passOn = inherited; return; }
      if (!inherited) return;
      h.taint = join([h.taint, inherited], null);
      h.passOn = join([h.passOn, inherited], null);
    });
  }

  /** A 2-D grid of `count` workgroups (one dimension is limited to 65535). */
  private grid(count: number): [number, number, number] {
    const max = this.info.limits.maxComputeWorkgroupsPerDimension;
    if (count <= max) return [count, 1, 1];
    const y = Math.ceil(count / max);
    return [Math.ceil(count / y), y, 1];
  }

  private op(v: View, access: Access, what: string): Operand {
    checkDtype(v.dtype, what);
    const h = this.handle(v.buf, what);
    // Output views never overlap themselves: one at offset 0 with the buffer's size covers it all.
    const whole = access === 'write' && v.offset === 0 && numel(v.shape) * itemSize[v.dtype] >= h.nbytes;
    return { buf: h.gpu, dtype: v.dtype, access, h, whole };
  }

  /**
   * Elementwise dispatch over `shape`: views[0] is the output (with `outs`, views[0..outs.length)
   * are the outputs, each with its dependencies). Dims are collapsed first (fewer divisions per
   * element); scalars follow the operand table in the metadata.
   */
  private elementwise(key: string, family: Parameters<typeof shader>[0], subs: Record<string, string>, shape: readonly number[],
    views: readonly View[], names: string[], scalars: number[] = [], math = false, outAccess: Access = 'write', check: Check | null = null,
    outs: readonly FusedOutputDeps[] | null = null): Check | null {
    const n = numel(shape);
    if (n === 0) return null;
    const c = collapse(shape, views.map((v) => v.strides));
    const meta = [n, c.shape.length, ...c.shape];
    views.forEach((v, i) => meta.push(v.offset, ...c.strides[i]!));
    meta.push(...scalars);
    const nOut = outs?.length ?? 1;
    const ops = views.map((v, i) => this.op(v, i < nOut ? outAccess : 'read', key));
    outs?.forEach((d, i) => { ops[i]!.deps = d; });
    let decls = ops.map((o, i) => binding(names[i]!, i + 1, o.dtype, o.access)).join('\n');
    // Checked kernels flag bad data (index ranges, integer division by zero) in their slot: [flag, value].
    if (check) decls += `\n${flagBinding(ops.length + 1)}`;
    const nd = c.shape.length, per = family === 'scatter' ? 1 : this.elementsPerInvocation(n);
    const fullKey = `${key}|${ops.map((o) => `${o.dtype}:${o.access}`).join(',')}|nd${nd}${per > 1 ? `|per${per}` : ''}`;
    return this.dispatch(fullKey, () => rankedElementwise(shader(family, { DECLS: decls, ...subs }, math), nd, per), meta, ops, this.grid(Math.ceil(n / (WG * per))), check);
  }

  /**
   * Elements per invocation of an elementwise kernel over n elements (not scatter, whose element
   * order could matter): 1, except on CPU-emulated adapters (cpuElementwise), where an invocation and
   * each metadata word it reads cost about what its element does (rankedElementwise reads the words
   * once for all its elements: an eager [256, 512] multiply 4.9 -> 2.1 ms), keeping at least 64
   * workgroups of work for the threads.
   */
  /** Whether a CPU-adapter strategy knob (cpuMatmul, cpuReduce, cpuElementwise) is on: forced, or 'auto' on a fallback adapter. */
  private onCpuAdapter(knob: 'auto' | 'on' | 'off'): boolean {
    return knob === 'on' || (knob === 'auto' && this.info.isFallbackAdapter);
  }

  private elementsPerInvocation(n: number): number {
    if (!this.onCpuAdapter(this.cpuElementwise)) return 1;
    return n >= 16 * WG * 64 ? 16 : n >= 4 * WG * 64 ? 4 : 1;
  }

  // ---- kernels ----
  fill(out: View, value: number): void {
    this.elementwise('fill', 'fill', { FROM_BITS: fromBits(ctOf(out.dtype)) }, out.shape, [out], ['out'], [scalarBits(out.dtype, value)]);
  }

  arange(out: View, start: number, step: number): void {
    const t = ctOf(out.dtype);
    const b = (x: number) => (t === 'f32' ? f32Bits(x) : x | 0);
    this.elementwise('arange', 'arange', { FROM_BITS: fromBits(t), T: t }, out.shape, [out], ['out'], [b(start), b(step)]);
  }

  copy(src: View, out: View): void { this.copyInto(src, out); }

  private copyInto(src: View, out: View): void {
    const key = `copy`;
    this.elementwise(key, 'copy', { CAST: cast('v', ctOf(src.dtype), out.dtype) }, out.shape, [out, src], ['out', 'a']);
  }

  unary(op: UnaryOp, x: View, out: View): void {
    const { expr, t } = unaryExpr(op, x.dtype);
    this.elementwise(`unary:${op}`, 'unary', { EXPR: expr, CAST: cast('r', t, out.dtype) }, out.shape,
      [withStrides(out), x], ['out', 'a'], [], true);
  }

  binary(op: BinaryOp, a: View, b: View, out: View): void {
    const { expr, t } = binaryExpr(op, a.dtype);
    if (BOOL_BINARY_OPS.has(op) && out.dtype !== 'bool') throw new TypeError(`webgpu ${op}: output must be bool`);
    // Integer errors the CPU raises at once are flagged by the kernel and raised at the next read.
    const intErr = binaryCheck(op, a.dtype);
    const scalars = intErr ? [0] : []; // the check's slot
    const check = intErr ? `if (${intErr.test}) { flag(scalar_slot(3), y); }` : '';
    this.elementwise(`binary:${op}${intErr ? ':checked' : ''}`, 'binary', { EXPR: expr, CAST: cast('r', t, out.dtype), CHECK: check },
      out.shape, [withStrides(out), a, b], ['out', 'a', 'b'], scalars, true, 'write', intErr ? new Check(intErr.msg) : null);
  }

  /**
   * A fused elementwise program (torch.compile's kernels) as one generated shader (./fused.ts),
   * dispatched like the elementwise kernels; false where it cannot match runComposed exactly.
   */
  fused(p: FusedProgram, ins: readonly View[], outs: readonly View[]): boolean {
    if (p.reduce) return this.fusedReduce(p, ins, outs);
    const parts = this.fusedParts(p, ins, outs);
    if (!parts) return false;
    for (const [q, o] of parts) {
      const k = fusedKernel(q, o.map((v) => v.dtype))!;
      this.elementwise(k.key, 'fused', k.subs, o[0]!.shape, [...o, ...k.inputs.map((j) => ins[j]!)], [...k.names], [...k.scalars],
        true, 'write', k.check ? new Check(k.check) : null, k.outs);
    }
    return true;
  }

  /**
   * The kernels that run program p: itself, or, where its outputs and inputs together need more
   * storage bindings than the device has (a LayerNorm + GELU saving values for backward), programs
   * of fewer outputs each (halved until they fit; each evaluates only the steps its outputs need, so
   * every output has runComposed's value). Splitting needs no output to share a buffer with an input
   * (a later part would read what an earlier one wrote). Null where a part still does not fit.
   */
  private fusedParts(p: FusedProgram, ins: readonly View[], outs: readonly View[]): [FusedProgram, readonly View[]][] | null {
    const max = this.info.limits.maxStorageBuffersPerShaderStage;
    const k = fusedKernel(p, outs.map((o) => o.dtype));
    if (!k) return null;
    if (fusedViewsOk(p, k, ins, outs, max)) return [[p, outs]];
    if (outs.length < 2 || !fusedViewsOk(p, k, ins, outs, Infinity) || outs.some((o) => ins.some((v) => v.buf === o.buf))) return null;
    const h = outs.length >> 1, halves: [number, number][] = [[0, h], [h, outs.length]];
    const parts = halves.map(([a, b]) => this.fusedParts({ ...p, outputs: p.outputs.slice(a, b) }, ins, outs.slice(a, b)));
    return parts.every((q) => q) ? parts.flatMap((q) => q!) : null;
  }

  /**
   * A program with a reduction (FusedProgram.reduce): its prologue evaluated where reduce's kernels
   * load an element, in their order and with their strategy by length (./fused_reduce.ts), side
   * outputs stored as they are computed. Side outputs that do not fit the bindings run first as an
   * elementwise program of their own (the reduction then recomputes what it needs).
   */
  private fusedReduce(p: FusedProgram, ins: readonly View[], outs: readonly View[]): boolean {
    const max = this.info.limits.maxStorageBuffersPerShaderStage;
    const k = fusedReduceKernel(p, outs.map((o) => o.dtype));
    if (!k) return false;
    if (!fusedReduceViewsOk(p, k, ins, outs, max)) {
      const last: FusedProgram = { ...p, outputs: p.outputs.slice(-1) }, kl = fusedReduceKernel(last, [outs.at(-1)!.dtype]);
      if (outs.length < 2 || !fusedReduceViewsOk(p, k, ins, outs, Infinity) || !kl || !fusedReduceViewsOk(last, kl, ins, outs.slice(-1), max)) return false;
      const { reduce: _r, ...side } = p;
      return this.fused({ ...side, outputs: p.outputs.slice(0, -1) }, ins, outs.slice(0, -1)) && this.fusedReduce(last, ins, outs.slice(-1));
    }
    const out = outs.at(-1)!, sides = outs.slice(0, -1);
    const bound = [...k.inputs.map((j) => ins[j]!), ...sides];
    const { meta, nOut, R, chunkAt } = fusedReduceMeta(k, ins[0]!.shape, p.reduce!.nReduce, bound, out);
    if (nOut === 0) return true;
    const nIn = k.inputs.length;
    const ops = [this.op(out, 'write', 'fused'), ...bound.map((v, j) => (j < nIn ? this.op(v, 'read', 'fused') : { ...this.op(v, 'write', 'fused'), deps: k.sides[j - nIn] }))];
    ops[0]!.deps = k.deps;
    const decls = [binding('out', 1, out.dtype, 'write'), ...bound.map((v, j) => (j < nIn ? binding(`in${j}`, j + 2, v.dtype, 'read') : binding(`side${j - nIn}`, j + 2, v.dtype, 'write')))];
    if (k.check) decls.push(flagBinding(ops.length + 1));
    const rows = this.rowsReduce(nOut, R), G = rows ? 1 : this.reduceChunks(nOut, R);
    meta[chunkAt] = G;
    meta[chunkAt + 1] = Math.ceil(R / G);
    // Chunked: the first pass writes partials (in the output's place, with its dependencies), which
    // reduce_parts folds into out as reduce does.
    const partials = G > 1 ? this.partials(nOut * G) : null;
    if (partials) {
      ops[0] = { ...partials.write, deps: k.deps };
      decls[0] = binding('partials', 1, 'int32', 'write');
    }
    const ranks = { KD: String(meta[1]), MD: String(meta[3]) };
    this.dispatch(`${k.key}|${ops.map((o) => o.dtype).join(',')}|${ranks.KD},${ranks.MD}${partials ? '|chunks' : ''}`,
      () => shader('fused_reduce', { DECLS: decls.join('\n'), ...k.subs, ...ranks, FINISH: fusedReduceFinish(k, partials !== null),
        RANKED: fusedReduceRanked(k.walked, meta[1]!, meta[3]!) }, true),
      meta, ops, this.grid(rows ? Math.ceil(nOut / WG) : nOut * G), k.check ? new Check(k.check) : null, rows ? 'rows' : 'main');
    if (partials) this.foldPartials(p.reduce!.op, k.t, partials.read, nOut, G, out);
    return true;
  }

  /**
   * The fused Adam/AdamW step (shaders/adam.wgsl): one dispatch in place on p, m, v, bit for bit the
   * composed update. Dense float32 views of one shape in distinct buffers only (else false: composed).
   */
  adamStep(p: View, g: View, m: View, v: View, k: AdamConstants): boolean {
    const views = [p, g, m, v];
    if (views.some((w) => w.dtype !== 'float32' || w.shape.length !== p.shape.length || w.shape.some((s, d) => s !== p.shape[d])
      || !isContiguous(w.shape, w.strides)) || new Set(views.map((w) => w.buf)).size !== 4) return false;
    const n = numel(p.shape);
    if (n === 0) return true;
    // p, m, v are read and written by the same invocation: read_write bindings with loads, which
    // keep their own poison (not `whole`) and add what their update reads (deps: operand indices).
    const rw = (w: View, from: number[]): Operand => ({ ...this.op(w, 'write', 'adamStep'), whole: false, deps: { from, checked: false } });
    const wd = k.wd !== 0 ? [0] : [];
    const ops = [rw(p, [0, 1, 2, 3]), rw(m, [1, 3, ...wd]), rw(v, [2, 3, ...wd]), this.op(g, 'read', 'adamStep')];
    const names = ['pbuf', 'mbuf', 'vbuf']; // not `v`: st_'s parameter is v
    const decls = [...names.map((x, i) => `${binding(x, i + 1, 'float32', 'write')}\nfn ld_${x}(e: i32) -> f32 { return bitcast<f32>(${x}[e]); }`),
      binding('gbuf', 4, 'float32', 'read')].join('\n');
    const meta = [n, p.offset, g.offset, m.offset, v.offset, ...[k.b1, k.a1, k.b2, k.a2, k.c1, k.c2, k.decay, k.wd].map(f32Bits), (k.maximize ? 1 : 0) | (k.wd !== 0 ? 2 : 0), 0];
    const per = this.elementsPerInvocation(n);
    this.dispatch(`adam|per${per}`, () => rankedElementwise(shader('adam', { DECLS: decls, SQRT: unaryExpr('sqrt', 'float32').expr }, true), 0, per), meta, ops,
      this.grid(Math.ceil(n / (WG * per))));
    return true;
  }

  where(cond: View, a: View, b: View, out: View): void {
    this.elementwise('where', 'where', { CT_ZERO: zeroOf(ctOf(cond.dtype)) }, out.shape, [withStrides(out), cond, a, b], ['out', 'c', 'a', 'b']);
  }

  reduce(op: ReduceOp, x: View, nReduce: number, out: View): void {
    const nd = x.shape.length, k = nd - nReduce;
    const outer = x.shape.slice(0, k), inner = x.shape.slice(k);
    const nOut = numel(outer), R = numel(inner);
    if (R === 0 && (op === 'max' || op === 'min' || op === 'argmax' || op === 'argmin')) {
      throw new RangeError(`${op}(): Expected reduction dim to have non-zero size.`);
    }
    if (nOut === 0) return;
    const o = collapse(outer, [x.strides.slice(0, k)]), r = collapse(inner, [x.strides.slice(k)]);
    const rows = this.rowsReduce(nOut, R), G = rows ? 1 : this.reduceChunks(nOut, R);
    const meta = [nOut, o.shape.length, R, r.shape.length, ...o.shape, ...r.shape, x.offset, ...o.strides[0]!, 0, ...r.strides[0]!, out.offset, G, Math.ceil(R / G)];
    const t = ctOf(x.dtype), final = reduceFinal(op, t, out.dtype);
    // Chunked: the first pass writes partials, which reduce_parts folds into out.
    const partials = G > 1 ? this.partials(nOut * G) : null;
    const ops = [partials?.write ?? this.op(out, 'write', op), this.op(x, 'read', op)];
    const decls = (partials ? binding('partials', 1, 'int32', 'write') : binding('out', 1, out.dtype, 'write')) + '\n' + binding('a', 2, x.dtype, 'read');
    const finish = partials ? chunkFinish(', outOff: i32') : `fn finish(res: V, w: i32, outOff: i32) {\n  ${final.FINAL}\n  st_out(outOff + w, ${final.CAST});\n}`;
    const src = () => shader(rows ? 'reduce_rows' : 'reduce', { DECLS: decls, T: t, FINISH: finish, ...final });
    this.dispatch(`reduce${rows ? '_rows' : partials ? '_chunks' : ''}:${op}|${x.dtype}|${out.dtype}`, src, meta, ops, this.grid(rows ? Math.ceil(nOut / WG) : nOut * G));
    if (partials) this.foldPartials(op, t, partials.read, nOut, G, out);
  }

  /**
   * Workgroups per output of a tree reduction: 1, or for few long reductions (under 32 outputs of
   * at least 8192 elements, which one workgroup each would leave to a few cores) chunks of about
   * 4096 elements, at most 1024. By shape alone, so a shape always reduces in one order, and the
   * same for reduce and the fused reduction (bit for bit).
   */
  private reduceChunks(nOut: number, R: number): number {
    return nOut >= 32 || R < 8192 ? 1 : Math.min(Math.ceil(R / 4096), 1024);
  }

  /** A scratch buffer for n partials of a chunked reduction (two words each): its operand as the first pass writes it and as reduce_parts reads it. */
  private partials(n: number): { write: Operand; read: Operand } {
    const { buf, h } = this.scratch(n * 8);
    return { write: { buf, dtype: 'int32', access: 'write', h }, read: { buf, dtype: 'int32', access: 'read', h } };
  }

  /** A pooled buffer of at least nbytes for this batch's recorded work (back to the pool once the queue is done), with a handle for poison tracking. */
  private scratch(nbytes: number): { buf: GPUBuffer; h: GPUTensorBuffer } {
    const buf = this.take(bucket(nbytes));
    this.temps.push(buf);
    return { buf, h: new GPUTensorBuffer(buf.size, buf) };
  }

  /** The second pass of a chunked reduction (shaders/reduce_parts.wgsl): each output's G partials folded in chunk order into out. */
  private foldPartials(op: ReduceOp, t: CT, partials: Operand, nOut: number, G: number, out: View): void {
    const decls = binding('out', 1, out.dtype, 'write') + '\n' + binding('partials', 2, 'int32', 'read');
    const src = () => shader('reduce_parts', { DECLS: decls, T: t, ...reduceFinal(op, t, out.dtype) });
    this.dispatch(`reduce_parts:${op}|${t}|${out.dtype}`, src, [nOut, G, out.offset], [this.op(out, 'write', op), partials], this.grid(Math.ceil(nOut / WG)));
  }

  /**
   * The reduce kernels' strategy for nOut outputs of R elements, the same for reduce and the fused
   * reduction: one invocation per output in index order (short rows; on CPU adapters, see cpuReduce,
   * rows up to cpuReduceMaxLength when there are enough outputs), else one workgroup per output with a tree.
   */
  private rowsReduce(nOut: number, R: number): boolean {
    if (R <= ROWS_MAX) return true;
    const cpu = this.onCpuAdapter(this.cpuReduce);
    return cpu && nOut >= this.cpuReduceMinOutputs && R <= this.cpuReduceMaxLength;
  }

  scan(op: ScanOp, x: View, out: View): void {
    const nd = x.shape.length;
    const L = nd ? x.shape[nd - 1]! : 1, s = nd ? x.strides[nd - 1]! : 0;
    const rowsShape = x.shape.slice(0, -1), rows = numel(rowsShape);
    if (rows * L === 0) return;
    const c = collapse(rowsShape, [x.strides.slice(0, -1)]);
    const meta = [rows, c.shape.length, L, s, ...c.shape, x.offset, ...c.strides[0]!, out.offset];
    const t = ctOf(x.dtype);
    const ops = [this.op(out, 'write', op), this.op(x, 'read', op)];
    const decls = binding('out', 1, out.dtype, 'write') + '\n' + binding('a', 2, x.dtype, 'read');
    const src = () => shader('scan', {
      DECLS: decls, T: t, IDENT: op === 'cumsum' ? zeroOf(t) : t === 'f32' ? '1.0' : '1',
      STEP: op === 'cumsum' ? 'acc + x' : 'acc * x', CAST: cast('acc', t, out.dtype),
    });
    this.dispatch(`scan:${op}|${x.dtype}|${out.dtype}`, src, meta, ops, this.grid(Math.ceil(rows / WG)));
  }

  matmul(a: View, b: View, out: View): void {
    const [B, M, K] = a.shape as [number, number, number];
    const N = b.shape[2]!;
    if (B * M * N === 0) return;
    if (K === 0) { this.fill(out, 0); return; }
    const t = ctOf(a.dtype);
    const ops = [this.op(out, 'write', 'matmul'), this.op(a, 'read', 'matmul'), this.op(b, 'read', 'matmul')];
    const why = this.subgroupMatmul === 'off' ? 'turned off' : this.trySubgroupMatmul(a, b, out, ops);
    if (why === null) return;
    const [aS0, aS1, aS2] = a.strides as [number, number, number], [bS0, bS1, bS2] = b.strides as [number, number, number];
    const tk = this.tiledMatmul(a, b);
    if (!tk) {
      // Thin products (attention on short sequences, conv weights with few channels): one
      // invocation per output, all batches in one flat grid.
      const meta = [B, M, N, K, a.offset, aS0, aS1, aS2, b.offset, bS0, bS1, bS2, out.offset];
      this.dispatch(`matmul_small|${a.dtype}|${b.dtype}|${out.dtype}`, () => shader('matmul_small', {
        DECLS: [binding('out', 1, out.dtype, 'write'), binding('a', 2, a.dtype, 'read'), binding('b', 3, b.dtype, 'read')].join('\n'),
        ZERO: zeroOf(t),
      }), meta, ops, this.grid(Math.ceil((B * M * N) / WG)));
      this.lastMatmul = { kernel: 'small', why };
      return;
    }
    this.lastMatmul = { kernel: tk.kernel, why };
    // The product leaves through store_c: row-major into `out`, batch bz at md[12] + bz * M * N.
    const store = `fn store_c(bz: i32, r: i32, c: i32, v: ${t}) { st_out(md[12] + (bz * md[1] + r) * md[2] + c, v); }`;
    const src = () => (tk.preamble ?? '') + shader(tk.family, { ...tk.subs, DECLS: [binding('out', 1, out.dtype, 'write'), tk.decls(2, 3)].join('\n'), STORE: store });
    this.tiledDispatch(`${tk.key}|${out.dtype}`, src, a, b, ops, tk.grid, (b0) => [out.offset + b0 * M * N]);
  }

  /**
   * The tiled kernel (64x64 or 128x128, see matmul; on CPU adapters matmul_cpu, see cpuMatmul) that
   * takes a @ b, with its key, placeholders and a and b's declarations at given slots; null where
   * matmul runs matmul_small instead.
   */
  private tiledMatmul(a: View, b: View): TiledMatmul | null {
    const [B, M, K] = a.shape as [number, number, number], N = b.shape[2]!, t = ctOf(a.dtype);
    const nb0 = Math.min(this.info.limits.maxComputeWorkgroupsPerDimension, B);
    const [aS0, aS1, aS2] = a.strides as [number, number, number], [bS0, bS1, bS2] = b.strides as [number, number, number];
    const aKC = aS2 === 1, bNC = bS2 === 1;
    // vec4 loads: the contiguous run starts 16-byte aligned for every row/column/batch (f32 only).
    const al = (d: DType, ...xs: number[]) => d === 'float32' && xs.every((x) => x % 4 === 0);
    const aVec = al(a.dtype, a.offset, aS0, aKC ? aS1 : aS2, aKC ? K : M), bVec = al(b.dtype, b.offset, bS0, bNC ? bS1 : bS2, bNC ? N : K);
    if (t === 'f32' && ctOf(b.dtype) === 'f32' && this.onCpuAdapter(this.cpuMatmul)) {
      // b's vec4 loads along k: aligned along its column (bS1 = 1) as a's along its row.
      const bKVec = al(b.dtype, b.offset, bS0, bS2, K);
      const am = cpuOperandMode(aS2, aS1, aVec && !aKC), bm = cpuOperandMode(bS1, bS2, bVec && bNC);
      const av = am === 'inner' ? aVec : am === 'outer', bv = bm === 'inner' ? bKVec : bm === 'outer';
      const share = this.cpuMatmulSubgroups && this.info.features.subgroups;
      return { kernel: 'cpu', grid: (m, n, nb) => this.grid(Math.ceil(nb * Math.ceil(m / 8) * Math.ceil(n / 8) / CPU_MATMUL_WG)),
        family: 'matmul_cpu', key: `matmul_cpu|${a.dtype}|${b.dtype}|${am}${+av}|${bm}${+bv}|${+share}`,
        subs: { ...cpuMatmulLoads(am, bm, share), WG: String(CPU_MATMUL_WG) }, preamble: share ? SUBGROUP_PREAMBLE : undefined,
        decls: (sa, sb) => [vec4Binding('a', sa, a.dtype, av), vec4Binding('b', sb, b.dtype, bv)].join('\n') };
    }
    // 128x128 tiles (8x8 per invocation) once they give the device enough workgroups to fill it;
    // smaller problems keep more, smaller (64x64) workgroups. Both need at least one operand
    // contiguous along a matrix dim (else: the 64x64 kernel, which takes any strides).
    const big = t === 'f32' && (aS2 === 1 || aS1 === 1) && (bS2 === 1 || bS1 === 1)
      && M > this.matmul128MinDim && N > this.matmul128MinDim && Math.ceil(M / 128) * Math.ceil(N / 128) * nb0 >= this.matmul128MinGroups;
    if (!big && (M <= 16 || N <= 16)) return null;
    // One workgroup per output tile, the batch along z.
    const tiles = (tile: number) => (m: number, n: number, nb: number): [number, number, number] => [Math.ceil(n / tile), Math.ceil(m / tile), nb];
    if (!big) {
      return { kernel: 'tiled64', grid: tiles(64), family: 'matmul', key: `matmul|${a.dtype}`, subs: { T: t, ZERO: zeroOf(t) },
        decls: (sa, sb) => [binding('a', sa, a.dtype, 'read'), binding('b', sb, b.dtype, 'read')].join('\n') };
    }
    return {
      kernel: 'tiled128', grid: tiles(128), family: 'matmul128', key: `matmul128|${a.dtype}|${b.dtype}|${+aKC}${+bNC}${+aVec}${+bVec}`,
      subs: { A_KC: String(aKC), B_NC: String(bNC), A_VEC: String(aVec), B_VEC: String(bVec) },
      decls: (sa, sb) => [vec4Binding('a', sa, a.dtype, aVec), vec4Binding('b', sb, b.dtype, bVec)].join('\n'),
    };
  }

  /** Dispatches a tiled kernel over a @ b on its grid, the batch in chunks of at most the per-dimension limit (the tiles' z dimension). */
  private tiledDispatch(key: string, src: () => string, a: View, b: View, ops: Operand[], grid: TiledMatmul['grid'], tail: (b0: number) => number[],
    words: readonly MetaWord[] = []): void {
    const M = a.shape[1]!, N = b.shape[2]!;
    this.batchChunks(a, b, tail, (meta, nb) => this.dispatch(key, src, meta, ops, grid(M, N, nb), null, 'main', words));
  }

  /**
   * Calls `run` per chunk of the batch (the grid's z dimension, at most the per-dimension limit) with
   * the matmul kernels' metadata [nb, M, N, K, aOff, aS0..2, bOff, bS0..2] for the chunk, then `tail(b0)`.
   */
  private batchChunks(a: View, b: View, tail: (b0: number) => number[], run: (meta: number[], nb: number) => void): void {
    const [B, M, K] = a.shape as [number, number, number], N = b.shape[2]!;
    const [aS0, aS1, aS2] = a.strides as [number, number, number], [bS0, bS1, bS2] = b.strides as [number, number, number];
    const zMax = this.info.limits.maxComputeWorkgroupsPerDimension;
    for (let b0 = 0; b0 < B; b0 += zMax) {
      const nb = Math.min(zMax, B - b0);
      run([nb, M, N, K, a.offset + b0 * aS0, aS0, aS1, aS2, b.offset + b0 * bS0, bS0, bS1, bS2, ...tail(b0)], nb);
    }
  }

  /**
   * matmul with a fused elementwise epilogue (Backend.matmulEpilogue, ./matmul_epilogue.ts): the
   * tiled kernel matmul would run, with the program applied where it stores the product. False
   * (nothing written) where matmul would not run a tiled float32 kernel (subgroup matrices,
   * matmul_small), for programs with a reduction or an integer check, views fusedViewsOk refuses,
   * or too many bindings.
   */
  matmulEpilogue(a: View, b: View, epi: FusedProgram, ins: readonly View[], outs: readonly View[]): boolean {
    if (epi.reduce || a.dtype !== 'float32' || b.dtype !== 'float32' || epi.inputs[0] !== 'float32') return false;
    const [B, M, K] = a.shape as [number, number, number], N = b.shape[2]!;
    // The product as the composed path's temporary: what fusedViewsOk checks the other views against.
    const prod: View = { buf: { nbytes: 0 }, dtype: 'float32', shape: [B, M, N], strides: contiguousStrides([B, M, N]), offset: 0 };
    // Scalar operands (every stride 0, 4 bytes) ride in the metadata: a training step's chain saves
    // several values for backward and reads a few scalars, beyond 8 bindings otherwise.
    const inMeta = [false, ...ins.map((v) => (v.dtype === 'float32' || v.dtype === 'int32') && v.strides.every((st) => st === 0))];
    const k = epilogueKernel(epi, outs.map((o) => o.dtype), inMeta);
    // k.inputs (bound buffers) leaves the product out; a and b bind two more buffers.
    if (!k || !fusedViewsOk(epi, k, [prod, ...ins], outs, this.info.limits.maxStorageBuffersPerShaderStage - 2)) return false;
    if (B * M * N === 0) return true;
    if (K > 0 && this.subgroupMatmul !== 'off' && typeof this.subgroupPlan(a, b, prod) !== 'string') return false;
    const tk = this.tiledMatmul(a, b);
    if (!tk) return false;
    const bound = k.inputs.map((j) => ins[j - 1]!), nOut = outs.length;
    const ops = [...outs.map((o) => this.op(o, 'write', 'matmulEpilogue')), this.op(a, 'read', 'matmulEpilogue'), this.op(b, 'read', 'matmulEpilogue'),
      ...bound.map((v) => this.op(v, 'read', 'matmulEpilogue'))];
    k.outs.forEach((d, i) => { ops[i]!.deps = d; });
    const decls = [...outs.map((o, i) => binding(k.names[i]!, i + 1, o.dtype, 'write')), tk.decls(nOut + 1, nOut + 2),
      ...bound.map((v, j) => binding(k.names[nOut + j]!, nOut + 3 + j, v.dtype, 'read'))].join('\n');
    const src = () => (tk.preamble ?? '') + shader(tk.family, { ...tk.subs, DECLS: decls, STORE: k.subs.STORE! }, true);
    const views = [...outs, ...bound], scalars = k.metaInputs.map((j) => ins[j - 1]!);
    const words = scalars.map((v, q) => ({ word: k.metaWord + q, from: this.handle(v.buf, 'matmulEpilogue'), element: v.offset }));
    this.lastMatmul = { kernel: tk.kernel, why: 'epilogue' };
    this.tiledDispatch(`${tk.key}|${k.key}|${ops.map((o) => o.dtype).join(',')}`, src, a, b, ops, tk.grid,
      (b0) => [0, ...views.flatMap((v) => [v.offset + b0 * v.strides[0]!, ...v.strides]), ...scalars.map(() => 0), ...k.scalars], words);
    // What the scalars pass on reaches the outputs computed from them (they are no operands).
    k.metaDeps.forEach((qs, i) => {
      const h = ops[i]!.h!, from = qs.map((q) => words[q]!.from.passOn);
      if (from.some((t) => t)) { h.taint = join([h.taint, ...from], null); h.passOn = join([h.passOn, ...from], null); }
    });
    return true;
  }

  /** The subgroup-matrix plan of a @ b into `out`, with the capabilities it was made for; else why none. */
  private subgroupPlan(a: View, b: View, out: View): { plan: SubgroupMatmulPlan; caps: SubgroupMatrixCaps } | string {
    const emulate = this.subgroupMatmul === 'emulate';
    const lim = this.gpu.limits;
    const caps: SubgroupMatrixCaps | null = emulate
      ? { configs: this.emulatedConfigs, subgroupMaxSize: 32, shaderF16: true, syntax: 'templated',
        maxInvocations: lim.maxComputeInvocationsPerWorkgroup, maxWorkgroupStorage: lim.maxComputeWorkgroupStorageSize }
      : this.info.subgroupMatrix;
    const [B, M, K] = a.shape as [number, number, number], N = b.shape[2]!;
    const r = planSubgroupMatmul({
      B, M, N, K, dtype: a.dtype, bDtype: b.dtype, outDtype: out.dtype,
      aOffset: a.offset, aStrides: a.strides, bOffset: b.offset, bStrides: b.strides, outOffset: out.offset,
    }, caps, { force: this.subgroupMatmul !== 'auto', tuning: this.subgroupMatmulTuning, mode: emulate ? 'emulate' : 'hw' });
    return r.plan ? { plan: r.plan, caps: caps! } : this.subgroupMatrixError ?? r.why;
  }

  /** Dispatches the subgroup-matrix matmul when its plan takes the problem (returns null), else returns why not. */
  private trySubgroupMatmul(a: View, b: View, out: View, ops: Operand[]): string | null {
    const r = this.subgroupPlan(a, b, out);
    if (typeof r === 'string') return r;
    const { plan, caps } = r, key = subgroupMatmulKey(plan, a.dtype), syntax = caps.syntax, MN = a.shape[1]! * b.shape[2]!;
    this.batchChunks(a, b, (b0) => [out.offset + b0 * MN],
      (meta, nb) => this.dispatch(key, () => subgroupMatmulSource(plan, a.dtype, syntax), meta, ops, [plan.groups[0], plan.groups[1], nb]));
    this.lastMatmul = { kernel: 'subgroup', why: null };
    return null;
  }

  /**
   * Compiles the subgroup-matrix kernel of a large float16 (and float32, where a config has it)
   * matmul, plain and transposed, once, in an error scope: if this adapter's Dawn rejects it, the tiled kernels run
   * instead of every big matmul failing at its next read, and subgroupMatrixError says why.
   */
  async checkSubgroupMatmul(): Promise<void> {
    const caps = this.info.subgroupMatrix;
    if (!caps) return;
    // Row-major operands (row-major matrix loads) and transposed ones (column-major loads).
    const n = 1024, layouts = [[n * n, n, 1], [n * n, 1, n]];
    for (const [dtype, strides] of (['float16', 'float32'] as const).flatMap((d) => layouts.map((l) => [d, l] as const))) {
      const { plan } = planSubgroupMatmul({ B: 1, M: n, N: n, K: n, dtype, bDtype: dtype, outDtype: dtype, aOffset: 0, aStrides: strides, bOffset: 0, bStrides: strides, outOffset: 0 }, caps, { tuning: this.subgroupMatmulTuning });
      if (!plan) continue;
      this.gpu.pushErrorScope('validation');
      let err: string | null = null;
      try {
        const module = this.gpu.createShaderModule({ code: subgroupMatmulSource(plan, dtype, caps.syntax), label: `probe ${subgroupMatmulKey(plan, dtype)}` });
        await this.gpu.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
      } catch (e) { err = (e as Error).message; }
      // The scope holds the first error (the shader's own), the rejection only "invalid due to a previous error".
      const scoped = await this.gpu.popErrorScope();
      err = scoped?.message ?? err;
      if (err) {
        this.subgroupMatrixError = `the subgroup-matrix matmul did not compile on this adapter (${dtype}): ${err.split('\n')[0]}`;
        this.info.subgroupMatrix = null;
        return;
      }
    }
  }

  private convMeta(g: ConvGeometry, C: number, H: number, W: number): number[] {
    const [kh, kw] = g.kernel, [sh, sw] = g.stride, [ph, pw] = g.padding, [dh, dw] = g.dilation;
    const [OH, OW] = convOutHW(H, W, g);
    return [C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW];
  }

  im2col(x: View, out: View, g: ConvGeometry): void {
    const [, C, H, W] = x.shape as [number, number, number, number];
    const geo = this.convMeta(g, C, H, W);
    if (out.shape[2] !== geo[11]! * geo[12]!) throw new Error('im2col: output shape mismatch');
    const total = numel(out.shape);
    if (total === 0) return;
    const t = ctOf(x.dtype);
    const meta = [total, ...geo, x.offset, ...x.strides, out.offset, t === 'f32' ? f32Bits(g.padValue) : g.padValue | 0];
    const ops = [this.op(out, 'write', 'im2col'), this.op(x, 'read', 'im2col')];
    const decls = binding('out', 1, out.dtype, 'write') + '\n' + binding('a', 2, x.dtype, 'read');
    this.dispatch(`im2col|${x.dtype}`, () => shader('im2col', { DECLS: decls, FROM_BITS: fromBits(t) }), meta, ops, this.grid(Math.ceil(total / WG)));
  }

  col2im(cols: View, out: View, g: ConvGeometry): void {
    const [, C, H, W] = out.shape as [number, number, number, number];
    const geo = this.convMeta(g, C, H, W);
    if (cols.shape[2] !== geo[11]! * geo[12]!) throw new Error('col2im: input shape mismatch');
    const total = numel(out.shape);
    if (total === 0) return;
    const t = ctOf(cols.dtype);
    const meta = [total, ...geo, cols.offset, ...cols.strides, out.offset];
    const ops = [this.op(out, 'write', 'col2im'), this.op(cols, 'read', 'col2im')];
    const decls = binding('out', 1, out.dtype, 'write') + '\n' + binding('a', 2, cols.dtype, 'read');
    this.dispatch(`col2im|${cols.dtype}`, () => shader('col2im', { DECLS: decls, ZERO: zeroOf(t) }), meta, ops, this.grid(Math.ceil(total / WG)));
  }

  maxPool2d(x: View, out: View, idx: View, g: ConvGeometry): void {
    const [, C, H, W] = x.shape as [number, number, number, number];
    const geo = this.convMeta(g, C, H, W);
    geo[11] = out.shape[2]!; geo[12] = out.shape[3]!; // ceil mode's sizes, not convOutHW's
    const total = numel(out.shape);
    if (total === 0) return;
    const t = ctOf(x.dtype);
    const meta = [total, ...geo, x.offset, ...x.strides, out.offset, idx.offset];
    const ops = [this.op(out, 'write', 'maxPool2d'), this.op(idx, 'write', 'maxPool2d'), this.op(x, 'read', 'maxPool2d')];
    const decls = [binding('out', 1, out.dtype, 'write'), binding('idx', 2, 'int32', 'write'), binding('a', 3, x.dtype, 'read')].join('\n');
    this.dispatch(`maxPool2d|${x.dtype}`, () => shader('maxpool2d', { DECLS: decls, ISNAN: t === 'f32' ? 'f32_isnan(v)' : 'false' }), meta, ops,
      this.grid(Math.ceil(total / WG)));
  }

  maxPool2dBackward(g: View, idx: View, out: View, geom: ConvGeometry): void {
    const [, C, H, W] = out.shape as [number, number, number, number];
    const geo = this.convMeta(geom, C, H, W);
    geo[11] = g.shape[2]!; geo[12] = g.shape[3]!; // the forward's (ceil mode) sizes
    const total = numel(out.shape);
    if (total === 0) return;
    const meta = [total, ...geo, g.offset, ...g.strides, idx.offset, ...idx.strides, out.offset];
    const ops = [this.op(out, 'write', 'maxPool2dBackward'), this.op(idx, 'read', 'maxPool2dBackward'), this.op(g, 'read', 'maxPool2dBackward')];
    const decls = [binding('out', 1, out.dtype, 'write'), binding('idx', 2, 'int32', 'read'), binding('a', 3, g.dtype, 'read')].join('\n');
    this.dispatch(`maxPool2dBackward|${g.dtype}`, () => shader('maxpool2d_backward', { DECLS: decls, ZERO: zeroOf(ctOf(g.dtype)) }), meta, ops,
      this.grid(Math.ceil(total / WG)));
  }

  gather(x: View, dim: number, index: View, out: View): void {
    const size = x.shape[dim]!;
    const xz: View = { ...x, strides: x.strides.map((s, d) => (d === dim ? 0 : s)) };
    this.checked(index, 'index', indexOutOfBounds('gather', dim, size), (check) =>
      this.elementwise('gather', 'gather', {}, out.shape, [withStrides(out), xz, index], ['out', 'a', 'idx'],
        [size, x.strides[dim]!, 0], false, 'write', check), [-size, size - 1]);
  }

  scatter(out: View, dim: number, index: View, src: View, reduce: 'none' | 'add'): void {
    const oSt = contiguousStrides(out.shape);
    const size = out.shape[dim]!;
    const target: View = { ...out, shape: index.shape, strides: oSt.map((s, d) => (d === dim ? 0 : s)) };
    const update = reduce === 'add' ? 'add_out(t, ld_src(op_off(2, i)));' : 'st_out(t, ld_src(op_off(2, i)));';
    this.checked(index, 'index', indexOutOfBounds('scatter', dim, size), (check) =>
      this.elementwise(`scatter:${reduce}|${src.dtype}`, 'scatter', { UPDATE: update }, index.shape, [target, index, src], ['out', 'idx', 'src'],
        [size, oSt[dim] ?? 1, 0], false, 'atomic', check), [-size, size - 1]);
  }

  carryChecks(from: View, to: View): void {
    const a = this.handle(from.buf, 'carryChecks'), b = this.handle(to.buf, 'carryChecks');
    if (a.passOn) b.passOn = join([b.passOn, a.passOn], null);
  }
  checkRange(x: View, min: number, max: number, message: string): void {
    if (x.dtype !== 'int32') throw new TypeError(`webgpu checkRange: expected int32 values, got ${x.dtype}`);
    if (numel(x.shape) === 0) return;
    const h = this.handle(x.buf, 'checkRange');
    // A repeat on unchanged values (a fixed target every step), or one a stricter check on all of
    // them implies, dispatches nothing: that check stands for it, and the buffer passes it on already
    // (a write would have dropped it).
    const check = this.checked(x, `range ${min | 0} ${max | 0}`, message, (c) => c.slot !== UNSLOTTED ? c
      : this.elementwise('check_range', 'check_range', {}, x.shape, [x], ['a'], [min | 0, max | 0, 0], false, 'read', c), [min | 0, max | 0]);
    // The values stay readable; what is computed from them carries the check.
    h.passOn = join([h.passOn], check);
    const all = x.offset === 0 && numel(x.shape) * 4 === h.nbytes && isContiguous(x.shape, x.strides);
    if (check && all && !h.ranges?.some((r) => r.check === check)) (h.ranges ??= []).push({ min: min | 0, max: max | 0, check });
  }

  /**
   * Dense linear algebra (shaders/linalg_*.wgsl, contracts in LinalgKernel): one invocation per
   * matrix of the batch, float32, outputs then inputs then a scratch buffer in binding order.
   */
  linalg(kernel: LinalgKernel, ins: readonly View[], outs: readonly View[]): void {
    const A = ins[0]!, B = A.shape[0]!, m = A.shape[1]!, n = A.shape[2]!;
    if (B === 0) return;
    const M = Math.max(m, n), N = Math.min(m, n);
    const spec: Record<LinalgKernel, [family: 'linalg_cholesky' | 'linalg_lu' | 'linalg_lusolve' | 'linalg_qr' | 'linalg_eigh' | 'linalg_svd', dims: number[], scratch: number]> = {
      cholesky: ['linalg_cholesky', [n, 0, 0, 0], 0],
      lu: ['linalg_lu', [n, 0, 0, 0], 0],
      luSolve: ['linalg_lusolve', [n, ins[2]?.shape[2] ?? 0, 0, 0], 0],
      luSolveT: ['linalg_lusolve', [n, ins[2]?.shape[2] ?? 0, 1, 0], 0],
      qr: ['linalg_qr', [m, n, outs[0]!.shape[2]!, 0], m * n + n],
      eigh: ['linalg_eigh', [n, 0, 0, 0], 2 * n * n + n],
      svd: ['linalg_svd', [m, n, outs[0]!.shape[2]!, outs[2]?.shape[1] ?? 0], M * N + N * N + 2 * N + M * M + 2 * M],
    };
    const [family, dims, scratch] = spec[kernel];
    const ops: Operand[] = [...outs.map((v) => this.op(v, 'write', `linalg ${kernel}`)), ...ins.map((v) => this.op(v, 'read', `linalg ${kernel}`))];
    const offsets = [...outs, ...ins].map((v) => v.offset);
    if (scratch > 0) {
      ops.push({ ...this.scratch(B * scratch * 4), dtype: 'float32', access: 'write' });
      offsets.push(0);
    }
    this.dispatch(`linalg:${kernel}`, () => shader(family, {}), [B, ...dims, ...offsets, 0], ops, this.grid(Math.ceil(B / WG)));
  }
  argsort(x: View, descending: boolean, out: View): void {
    const nd = x.shape.length;
    const L = nd ? x.shape[nd - 1]! : 1, s = nd ? x.strides[nd - 1]! : 0;
    const rowsShape = x.shape.slice(0, -1), total = numel(rowsShape) * L;
    if (total === 0) return;
    const c = collapse(rowsShape, [x.strides.slice(0, -1)]);
    const meta = [total, c.shape.length, L, s, ...c.shape, x.offset, ...c.strides[0]!, out.offset, descending ? 1 : 0];
    const t = ctOf(x.dtype);
    const ops = [this.op(out, 'write', 'argsort'), this.op(x, 'read', 'argsort')];
    const decls = binding('out', 1, out.dtype, 'write') + '\n' + binding('a', 2, x.dtype, 'read');
    const less = t === 'f32' ? '  if (f32_isnan(a)) { return false; }\n  if (f32_isnan(b)) { return true; }\n  return a < b;' : '  return a < b;';
    if (L > RANK_SORT_MAX) { this.bitonicArgsort(x, out, meta, L, t, less); return; }
    this.dispatch(`argsort|${x.dtype}`, () => shader('argsort', { DECLS: decls, T: t, LESS: less }), meta, ops, this.grid(Math.ceil(total / WG)));
  }

  /** Long rows: a bitonic network over rows padded to a power of two, O(P log^2 P) per row. */
  private bitonicArgsort(x: View, out: View, baseMeta: number[], L: number, t: 'f32' | 'i32', less: string): void {
    let P = 1;
    while (P < L) P *= 2;
    const rows = baseMeta[0]! / L, total = rows * P;
    const keys = this.take(bucket(total * 4)), ids = this.take(bucket(total * 4));
    this.temps.push(keys, ids);
    const decls = binding('a', 3, x.dtype, 'read');
    const src = () => shader('bitonic', { DECLS: decls, T: t, LESS: less });
    const key = `bitonic|${x.dtype}`, grid = this.grid(Math.ceil(total / WG));
    const meta = (kk: number, jj: number) => [total, ...baseMeta.slice(1), P, kk, jj];
    // Scratch handles carry x's poison on to out.
    const kb: Operand = { buf: keys, dtype: 'int32', access: 'write', slot: 1, h: new GPUTensorBuffer(keys.size, keys) };
    const ib: Operand = { buf: ids, dtype: 'int32', access: 'write', slot: 2, h: new GPUTensorBuffer(ids.size, ids) };
    this.dispatch(key, src, meta(0, 0), [kb, ib, { ...this.op(x, 'read', 'argsort'), slot: 3 }], grid, null, 'init');
    for (let kk = 2; kk <= P; kk *= 2) {
      for (let jj = kk >> 1; jj > 0; jj >>= 1) this.dispatch(key, src, meta(kk, jj), [kb, ib], grid, null, 'step');
    }
    this.dispatch(key, src, meta(0, 0), [ib, { ...this.op(out, 'write', 'argsort'), slot: 4 }], grid, null, 'emit');
  }

  random(out: View, dist: 'uniform' | 'normal', seed: number, offset: number): void {
    if (out.dtype !== 'float32') throw new TypeError(`random: ${out.dtype} is not supported on webgpu (float32 only)`);
    const n = numel(out.shape);
    if (n === 0) return;
    const per = dist === 'uniform' ? 4 : 2, blocks = Math.ceil(n / per);
    const meta = [n, out.offset, seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0, offset >>> 0, Math.floor(offset / 2 ** 32) >>> 0, per === 2 ? 1 : 0];
    const ops = [this.op(out, 'write', 'random')];
    const decls = binding('out', 1, out.dtype, 'write');
    this.dispatch('random', () => shader('random', { DECLS: decls }, true), meta.map((v) => v | 0), ops, this.grid(Math.ceil(blocks / WG)));
  }
}

/** A read binding plus ld4_<name>(e): 4 consecutive elements, one vec4 load when `vec` (e % 4 == 0). */
/** The reduce kernels' placeholders for op over compute type t into outDtype: combine, identity, and the result (value or index) cast for out. */
function reduceFinal(op: ReduceOp, t: CT, outDtype: DType): Record<'COMBINE' | 'IDENT' | 'FINAL' | 'CAST', string> {
  const parts = reduceParts(op, t);
  return { COMBINE: parts.combine, IDENT: parts.ident, FINAL: `let r = res.${parts.result};`, CAST: cast('r', parts.result === 'i' ? 'i32' : t, outDtype) };
}

function vec4Binding(name: string, slot: number, d: DType, vec: boolean): string {
  if (!vec) {
    return `${binding(name, slot, d, 'read')}
fn ld4_${name}(e: i32) -> vec4<f32> { return vec4<f32>(ld_${name}(e), ld_${name}(e + 1), ld_${name}(e + 2), ld_${name}(e + 3)); }`;
  }
  return `@group(0) @binding(${slot}) var<storage, read> ${name}: array<vec4<u32>>;
fn ld_${name}(e: i32) -> f32 { return bitcast<f32>(${name}[e >> 2u][e & 3]); }
fn ld4_${name}(e: i32) -> vec4<f32> { return bitcast<vec4<f32>>(${name}[e >> 2u]); }`;
}

/** The output views of elementwise kernels are contiguous by contract; their strides say so. */
function withStrides(v: View): View { return v.strides.length === v.shape.length ? v : { ...v, strides: contiguousStrides(v.shape) }; }

/** Creates the backend when a WebGPU adapter exists, else resolves to null. */
export async function createWebGPUBackend(): Promise<WebGPUBackend | null> {
  const info = await acquireGPU();
  if (!info) return null;
  const backend = new WebGPUBackend(info);
  // Deno without --allow-env throws on reading process.env: then the defaults.
  const envVar = (k: string): string | undefined => {
    try { return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[k]; } catch { return undefined; }
  };
  const choice = envVar('TORCHLET_WEBGPU_MATMUL'), tuning = envVar('TORCHLET_WEBGPU_SUBGROUP_TUNING');
  if (choice === 'tiled') backend.subgroupMatmul = 'off';
  else if (choice === 'subgroup') backend.subgroupMatmul = 'force';
  else if (choice === 'emulate') backend.subgroupMatmul = 'emulate';
  const onOff = (k: string): 'on' | 'off' | null => { const v = envVar(k); return v === '1' ? 'on' : v === '0' ? 'off' : null; };
  backend.cpuMatmul = onOff('TORCHLET_WEBGPU_CPU_MATMUL') ?? backend.cpuMatmul;
  backend.cpuReduce = onOff('TORCHLET_WEBGPU_CPU_REDUCE') ?? backend.cpuReduce;
  backend.cpuElementwise = onOff('TORCHLET_WEBGPU_CPU_ELEMENTWISE') ?? backend.cpuElementwise;
  backend.cheapSink = onOff('TORCHLET_WEBGPU_CHEAP_SINK') ?? backend.cheapSink;
  // Benchmarks try other block shapes without a rebuild: a JSON SubgroupMatmulTuning.
  if (tuning) backend.subgroupMatmulTuning = JSON.parse(tuning) as SubgroupMatmulTuning;
  await backend.checkSubgroupMatmul();
  return backend;
}
