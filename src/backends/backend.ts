// THE Backend interface: what a device must provide for torchlet to run on it.
// Small on purpose: memory (alloc/free/write/read) plus primitive kernels over strided views.
// Everything else (softmax, losses, conv via im2col, attention...) is composed in shared code.
// Kernels may run synchronously (CPU) or be queued (GPU); only `read` is awaited by callers.
// Data errors (index ranges) throw at the op on synchronous devices; asynchronous ones flag them in
// the kernel and poison the outputs: `read` of a buffer computed from a flagged kernel rejects.

import type { RealDType, TypedArray } from '../dtype.js';
import type { FusedProgram } from './fused.js';

/** A device type: what kind of backend serves it ('cuda' for every CUDA device index). */
export type DeviceType = 'cpu' | 'webgpu' | 'cuda';
/**
 * A device: 'cuda' is CUDA device 0 (a tensor there reports 'cuda', as it always has); 'cuda:1'...
 * are the others, each with its own backend instance. 'cuda:0' and 'webgpu:0' are parsed to their
 * short names by parseDevice (backends/registry.ts), so equal devices compare equal as strings.
 */
export type Device = DeviceType | `cuda:${number}`;
/** The type of a device: deviceType('cuda:1') === 'cuda'. Ask this, not `d === 'cuda'`, whether a tensor is on CUDA. */
export function deviceType(d: Device): DeviceType { return d.startsWith('cuda') ? 'cuda' : (d as DeviceType); }
/** The index of a device within its type: 0 for 'cpu', 'webgpu' and 'cuda', N for 'cuda:N'. */
export function deviceIndex(d: Device): number { const i = d.indexOf(':'); return i < 0 ? 0 : Number(d.slice(i + 1)); }

/** An opaque allocation owned by one backend. */
export interface BufferHandle { readonly nbytes: number }

/**
 * A strided window on a buffer: element (i0, i1, ...) lives at element index
 * offset + i0*strides[0] + i1*strides[1] + ... of `buf` read as `dtype`.
 * Strides may be 0 (broadcast) or negative (flip). Sizes and strides are in elements.
 */
export interface View {
  readonly buf: BufferHandle;
  /** Kernels never see complex dtypes: complex ops are composites over the (re, im) float view. */
  readonly dtype: RealDType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

export const UNARY_OPS = [
  'neg', 'abs', 'sign', 'exp', 'expm1', 'log', 'log1p', 'log2', 'sqrt', 'rsqrt', 'sin', 'cos', 'tan',
  'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh', 'sigmoid', 'erf', 'erfc', 'erfinv',
  'floor', 'ceil', 'round', 'trunc', 'reciprocal', 'relu', 'logicalNot', 'isnan', 'isinf', 'bitwiseNot',
] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];

export const BINARY_OPS = [
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'atan2', 'fmod', 'remainder', 'floorDivide',
  'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr', 'logicalXor',
  'bitwiseAnd', 'bitwiseOr', 'bitwiseXor',
] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];
/** Integer ops that raise on a zero divisor (INTEGER_DIVISION_BY_ZERO). */
export const INT_DIV_OPS: ReadonlySet<BinaryOp> = new Set<BinaryOp>(['div', 'floorDivide', 'fmod', 'remainder']);
/**
 * PyTorch's wording of the data errors every backend raises (the CPU, at the op) or flags in a kernel
 * and raises at the next read (asynchronous devices): one copy, so every device says the same.
 */
export const INTEGER_DIVISION_BY_ZERO = 'ZeroDivisionError: integer division or modulo by zero';
export const NEGATIVE_INTEGER_POWER = 'pow: Integers to negative integer powers are not allowed.';
/** gather/scatter's index error; `value` '$V' leaves the placeholder a kernel's flag fills in (checkRange). */
export function indexOutOfBounds(op: string, dim: number, size: number, value: number | '$V' = '$V'): string {
  return `${op}(): index ${value} is out of bounds for dimension ${dim} with size ${size}`;
}
/** Binary ops whose output is bool whatever the input dtype. */
export const BOOL_BINARY_OPS: ReadonlySet<BinaryOp> = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr', 'logicalXor']);

export const REDUCE_OPS = ['sum', 'prod', 'max', 'min', 'argmax', 'argmin', 'all', 'any'] as const;
export type ReduceOp = (typeof REDUCE_OPS)[number];

export type ScanOp = 'cumsum' | 'cumprod';

/** Geometry shared by im2col/col2im (2-D; 1-D convs use H=1). */
export interface ConvGeometry {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  /** Value of the padded border (0 for conv, -inf for max pooling). */
  padValue: number;
}

/**
 * The dense linear-algebra kernels (Backend.linalg), each over a batch of matrices [B, ...]:
 * - cholesky: ins [A (n x n)] -> outs [L (n x n, lower, zeros above), info (int32 [B])]; uses A's
 *   lower triangle; info = order of the first leading minor that is not positive-definite, else 0.
 * - lu: [A (n x n)] -> [LU (n x n: unit L below, U), piv (int32 [B, n], 1-based row swapped with row
 *   i, as LAPACK getrf), info (int32 [B]: 1-based index of the first exactly zero pivot, else 0)].
 * - luSolve / luSolveT: [LU, piv, B (n x k)] -> [X (n x k)] solving A X = B where LU, piv are the
 *   factors of A (luSolve) or of A^T (luSolveT, LAPACK getrs 'T').
 * - qr: [A (m x n)] -> [Q (m x kq), R (kq x n)], kq = min(m, n) or m ('complete'); Householder with
 *   LAPACK's geqrf signs.
 * - eigh: [A (n x n)] -> [eigenvalues ([B, n], ascending), eigenvectors (n x n, columns)]; uses A's
 *   lower triangle.
 * - svd: [A (m x n)] -> [U (m x ku), S ([B, min(m,n)], descending), Vh (kv x n)], ku = kv = min(m,n),
 *   or ku = m and kv = n (full matrices).
 */
export type LinalgKernel = 'cholesky' | 'lu' | 'luSolve' | 'luSolveT' | 'qr' | 'eigh' | 'svd';

/** A device's memory use, as torch.memory() reports it. */
export interface MemoryInfo {
  /** Bytes held by live tensors' buffers. */
  allocatedBytes: number;
  /** Bytes the backend holds, cached free buffers included. */
  reservedBytes: number;
  /** Live backend buffers. */
  buffers: number;
}

export interface Backend {
  readonly device: Device;
  /** True when kernels run before the call returns, so `readSync` works. */
  readonly synchronous: boolean;

  alloc(nbytes: number): BufferHandle;
  free(buf: BufferHandle): void;
  /** Copies host data into the buffer at byteOffset. */
  write(buf: BufferHandle, data: TypedArray, byteOffset?: number): void;
  /**
   * Resolves to a fresh contiguous host copy of the view; surfaces errors of queued work (device
   * loss, out of memory) and rejects with the error of the first flagged check the buffer depends on.
   */
  read(v: View): Promise<TypedArray>;
  /**
   * Asynchronous devices: the poison error already known for a buffer (its checks' flags read back),
   * without waiting for pending ones; null when none is known. Optimizers call it before updating.
   */
  knownError?(buf: BufferHandle): Error | null;
  /** Synchronous read, only when `synchronous`. */
  readSync?(v: View): TypedArray;
  memory(): MemoryInfo;
  /** Resolves when every kernel queued so far has finished (torch.cuda.synchronize); at once where kernels run synchronously. */
  synchronize(): Promise<void>;
  /** Releases cached device memory no live tensor uses (torch.cuda.empty_cache); live tensors are untouched. */
  emptyCache(): void;

  // ---- kernels. `out` is contiguous unless noted; inputs are arbitrary strided views. ----
  /** Sets every element of `out` (any strides) to value. */
  fill(out: View, value: number): void;
  /** out[i] = start + i*step (contiguous 1-D out). */
  arange(out: View, start: number, step: number): void;
  /** Strided copy with dtype conversion; `out` may be strided (in-place writes into views). */
  copy(src: View, out: View): void;
  unary(op: UnaryOp, x: View, out: View): void;
  /** `a` and `b` are already broadcast to out.shape (stride 0 on broadcast dims) and of one dtype. */
  binary(op: BinaryOp, a: View, b: View, out: View): void;
  /** out = cond ? a : b; all three broadcast to out.shape. */
  where(cond: View, a: View, b: View, out: View): void;
  /** Reduces the last `nReduce` dims of x; out has shape x.shape without them. */
  reduce(op: ReduceOp, x: View, nReduce: number, out: View): void;
  /** Inclusive scan along the last dim. */
  scan(op: ScanOp, x: View, out: View): void;
  /** Batched matmul [B,M,K] x [B,K,N] -> [B,M,N]; a and b may be transposed or broadcast via strides. */
  matmul(a: View, b: View, out: View): void;
  /** x [N,C,H,W] -> out [N, C*kh*kw, outH*outW]. */
  im2col(x: View, out: View, g: ConvGeometry): void;
  /** cols [N, C*kh*kw, outH*outW] -> out [N,C,H,W], summing overlaps (the adjoint of im2col). */
  col2im(cols: View, out: View, g: ConvGeometry): void;
  /**
   * Max pooling: x [N,C,H,W] (strided) -> out [N,C,OH,OW] (x's dtype) and idx (int32) [N,C,OH,OW],
   * both contiguous, out's shape giving OH, OW (ceil mode's last windows may overhang). A window's
   * cells outside x are skipped; idx is the flat position y*W + x of its maximum: the first in-bounds
   * cell starts the scan, a later cell replaces it when greater or NaN (PyTorch's rule). g.padValue is unused.
   */
  maxPool2d(x: View, out: View, idx: View, g: ConvGeometry): void;
  /**
   * Max pooling's gradient: g (x's dtype) and idx (int32, maxPool2d's) [N,C,OH,OW], strided -> out
   * [N,C,H,W] contiguous, each cell the sum of the g whose idx names it (y*W + x in its plane), added
   * in increasing output order from 0 (scatter-add's order, so the same bits), 0 where none does.
   */
  maxPool2dBackward(g: View, idx: View, out: View, geom: ConvGeometry): void;
  /** out[..i..] = x[..index[..i..]..] along dim; index (int32) has out's shape. Throws, or flags and poisons out, on out-of-range. */
  gather(x: View, dim: number, index: View, out: View): void;
  /** In place on contiguous `out`: out[..index[i]..] = src[i] (or +=). */
  scatter(out: View, dim: number, index: View, src: View, reduce: 'none' | 'add'): void;
  /**
   * Raises RangeError(message, with `$V` replaced by an offending value) when an element of the int32
   * view x lies outside [min, max]: at once on synchronous devices; asynchronous ones flag it in a
   * kernel, and every buffer computed from x afterwards is poisoned by it (x itself stays readable).
   * Lets ops validate data-dependent indices without a host read.
   */
  checkRange(x: View, min: number, max: number, message: string): void;
  /**
   * Asynchronous devices: what is computed from `to` from now on also carries the checks `from`
   * passes on (a checkRange's), so a validation of values `to` was checked against surfaces at the
   * next read of anything derived from `to` (torch.distributions' validate_args on WebGPU). Optional:
   * synchronous devices raise at the check itself.
   */
  carryChecks?(from: View, to: View): void;
  /**
   * Optional fused Adam/AdamW step, in place on p, m (exp_avg) and v (exp_avg_sq) from gradient g:
   * the composed update of src/optim/adam.ts in one pass, bit for bit. Returns false (doing nothing)
   * where the backend has no kernel for these views; the optimizer then composes it from primitives.
   */
  adamStep?(p: View, g: View, m: View, v: View, k: AdamConstants): boolean;
  /**
   * Optional Winograd F(2x2, 3x3) convolution, float32 (the CPU; src/ops/winograd.ts uses it where
   * present): out [N,K,OH,OW] contiguous = conv2d(x [N,C,H,W] (any strides), w [K,C,3,3]) at stride 1
   * with `padding`, given u = G w G^T [16, K, C] contiguous; OH = H + 2 ph - 2, OW likewise. Only
   * where `winogradFits(C, K, OH, OW)`, a pure check of sizes.
   */
  winogradConv?(x: View, u: View, out: View, padding: readonly [number, number]): void;
  winogradFits?(C: number, K: number, OH: number, OW: number): boolean;
  /**
   * Optional Winograd weight gradient of that convolution (with winogradConv): m [16, K, C]
   * contiguous = the sum over the images' 2x2 output tiles of (A g A^T) (B^T d B), g [N,K,OH,OW] the
   * output gradient and d x's 4x4 tiles (any strides both); the op layer makes the [K, C, 3, 3]
   * gradient G^T m G. Summed in an order fixed by N alone, so the same bits at every thread count.
   */
  winogradWgrad?(x: View, g: View, m: View, padding: readonly [number, number]): void;
  /**
   * Optional fused scaled-dot-product attention, float32 (the CPU; src/ops/attention.ts uses it where
   * `attentionFits(L, S)`): for each head (n, h) of q [N,H,L,E], k [N,H,S,E], v [N,H,S,Ev] (any
   * strides but a unit last one), out [N,H,L,Ev] (unit last stride) = softmax(scale q k^T) v, and
   * lse [N,H,L] contiguous = each row's logsumexp of scale q k^T; `causal`: key j > query i is masked
   * out (PyTorch's is_causal, top-left aligned). With dropout, keep (bool [N,H,L,S] contiguous, or
   * null) marks the weights kept, which are scaled by keepScale (1 / (1 - p)) before the product with
   * v; lse stays that of the weights before dropout. A head is done whole by one call.
   */
  attention?(q: View, k: View, v: View, out: View, lse: View, scale: number, causal: boolean, keep: View | null, keepScale: number): void;
  attentionFits?(L: number, S: number): boolean;
  /**
   * Optional backward of `attention` from the output's gradient go [N,H,L,Ev] (unit last stride) and
   * the forward's lse (and its keep, keepScale): gq, gk, gv contiguous, shaped as q, k, v.
   */
  attentionBackward?(q: View, k: View, v: View, go: View, lse: View, gq: View, gk: View, gv: View, scale: number, causal: boolean, keep: View | null, keepScale: number): void;
  /**
   * Optional fused elementwise kernel (torch.compile's code generation, src/backends/fused.ts): runs
   * program `p` over outs[0].shape, inputs broadcast to it by strides, in one pass. Returns false
   * (doing nothing) where the backend cannot; the caller then runs `runComposed`. Must give the
   * values of `runComposed` (bit for bit on arithmetic, casts, comparisons and selects).
   */
  fused?(p: FusedProgram, ins: readonly View[], outs: readonly View[]): boolean;
  /**
   * Whether `reduce` accumulates each output's elements in their logical order whatever the input's
   * strides (WebGPU). torch.compile then fuses a reduction over a permuted view (a bias gradient's
   * sum over the batch) with the elementwise chain that makes it, keeping eager's bits; the CPU's
   * reduce picks its order by stride, so there the two stay apart.
   */
  readonly reduceInLogicalOrder?: boolean;
  /**
   * Optional matmul with a fused elementwise epilogue (torch.compile: a Linear's bias add and what
   * follows it): program `epi` runs over the product's [B,M,N] iteration shape with input 0 the
   * product a@b (a [B,M,K], b [B,K,N] as for matmul; never written to memory) and inputs 1.. the
   * Views `ins`, of shape [B,M,N] (broadcast by zero strides); its outputs go to `outs` ([B,M,N]
   * Views). Must give the values of matmul into a temporary followed by `runComposed` (bit for bit).
   * Returns false (doing nothing) where it cannot; the caller then runs those two.
   */
  matmulEpilogue?(a: View, b: View, epi: FusedProgram, ins: readonly View[], outs: readonly View[]): boolean;
  /**
   * Whether torch.compile's broadcast sinking (a per-row op recomputed per element inside its
   * readers' kernel, saving a launch) takes only ops of a SIMD instruction or two here (absent: every
   * elementwise op). True where per-element compute costs as on a CPU: the CPU, and WebGPU on
   * CPU-emulated adapters, where a sunk pow or rsqrt recomputed 128 times per row cost more than the
   * launch it saved.
   */
  readonly sinkCheapOnly?: boolean;
  /**
   * Whether torch.compile folds elementwise chains into matmuls here (absent: wherever matmulEpilogue
   * exists). False where a chain costs more inside the GEMM's store than as (or inside) a fused
   * kernel of its own: WebGPU on CPU-emulated adapters, whose matmul stores element by element.
   */
  readonly compileEpilogues?: boolean;
  /**
   * Optional batched dense linear algebra (kernel contracts in LinalgKernel). Every operand is
   * contiguous with one leading batch dim; float operands are all float32 or all float64, integer
   * ones (pivots, info) int32. Backends without it (or without a kernel) throw a clear Error naming
   * the kernel and the device: ops never fall back to a silent host round trip.
   */
  linalg?(kernel: LinalgKernel, ins: readonly View[], outs: readonly View[]): void;
  /** Stable argsort along the last dim into int32 `out`. */
  argsort(x: View, descending: boolean, out: View): void;
  /** Philox-4x32-10 fill from (seed, counter offset): uniform in [0,1) or standard normal. */
  random(out: View, dist: 'uniform' | 'normal', seed: number, offset: number): void;
}

/**
 * The float32 constants of one fused Adam step (see Backend.adamStep): m = m*b1 + g*a1,
 * v = v*b2 + (g*g)*a2, p = p*decay + m / (sqrt(v)*c1 + c2), after g = -g (maximize) and
 * g = g + p*wd (L2 weight decay, 0 for none).
 */
export interface AdamConstants { b1: number; a1: number; b2: number; a2: number; c1: number; c2: number; decay: number; wd: number; maximize: boolean }
