// Tensor: a strided view (shape, strides, offset, dtype) on a device Storage, plus autograd state.
// Contract: views share storage and its version counter; every op is also a method here that
// forwards to src/ops (the single implementation); reading data is async (`await t.data()`),
// with synchronous variants only on the CPU.

import { deviceType, type Device, type View } from './backends/backend.js';
import { cudaDeviceAt, getBackend } from './backends/registry.js';
import { f16BitsToF32, isComplex, itemSize, scalarTypeName, type DType, type TypedArray } from './dtype.js';
import { Storage, ownedScope, giveToGraph, adopt, allocate, release, releasedError, yieldToFinalizers, opContext } from './memory.js';
import { contiguousStrides, fmtShape, isContiguous, normDim, numel } from './shape.js';
import { AccumulateGrad, type Edge, type Hook, type Node } from './autograd/graph.js';
import { isGradEnabled } from './autograd/grad-mode.js';
import { formatTensor } from './format.js';
import * as ops from './ops/index.js';
import { backward as autogradBackward, isOptionsObject, type BackwardOptions } from './autograd/api.js';
import type { Scalar, TensorOrScalar, ValuesIndices, NestedArray, ReduceOpts, NormOrd, NormOpts } from './ops/types.js';
import { hintMissing, hintSnakeCase } from './snake-case.js';
import type { Generator } from './generator.js';

export type { Scalar, TensorOrScalar, ValuesIndices, NestedArray };
type Dims = number | readonly number[];
type ShapeArgs = (number | readonly number[])[];

/** Depth of library code reading and writing .grad (optimizers, zeroGrad, clipping, DDP, the engine). */
let internalGradReads = 0;
/**
 * @internal Runs fn as library code: its .grad reads and writes do not count as user code seeing the
 * gradient (Tensor.userSeenGrad), so zeroGrad may still dispose gradients nobody else saw.
 */
export function gradsInternally<T>(fn: () => T): T {
  internalGradReads++;
  try { return fn(); } finally { internalGradReads--; }
}

/**
 * @internal Module.zeroGrad and Optimizer.zeroGrad (PyTorch's zero_grad): each parameter's .grad
 * dropped (setToNone, the default) or detached from any graph (a createGraph gradient) and zeroed
 * in place; library code, so a gradient user code never saw is disposed at once.
 */
export function zeroGrads(params: Iterable<Tensor>, setToNone: boolean): void {
  gradsInternally(() => {
    for (const p of params) {
      const g = p.grad;
      if (!g) continue;
      if (setToNone) p.dropGrad();
      else { g.detach_(); g.zero_(); } // detached, the in-place zero records nothing
    }
  });
}

/**
 * Gives item()'s promise a Symbol.toPrimitive: the value when it was read at the call (a synchronous
 * device), else a TypeError saying to await. Made here, outside the method, so that the closure holds
 * the value and the device name only, never the tensor (a logged, never-awaited loss.item() in a loop
 * must not keep the loss and its graph alive).
 */
function withPrimitive<T extends number | boolean>(p: Promise<T>, now: { v: T } | null, where: string): Promise<T> {
  Object.defineProperty(p, Symbol.toPrimitive, {
    value: (hint: string) => {
      if (!now) throw new TypeError(`item() on '${where}' is a Promise, and its value is not known yet: write 'await t.item()'`);
      return hint === 'string' ? String(now.v) : now.v;
    },
  });
  return p;
}

/** item()'s value from the data of a one-element tensor of `dtype` (a boolean for bool). */
function itemOf(dtype: DType, d: TypedArray): number | boolean {
  if (isComplex(dtype)) throw new TypeError(`item: a ${dtype} value has no JS number type; use torch.viewAsReal(t) (or t.real / t.imag)`);
  if (d.length !== 1) throw new RangeError(`item: a Tensor with ${d.length} elements cannot be converted to Scalar`);
  return dtype === 'bool' ? d[0] !== 0 : d[0]!;
}

/** tolist()'s nested arrays from the data of a tensor of `dtype` and `shape` (a 0-d tensor gives a scalar). */
function nest(dtype: DType, shape: readonly number[], d: TypedArray): NestedArray {
  if (isComplex(dtype)) throw new TypeError(`tolist: ${dtype} values have no JS number type; use torch.viewAsReal(t).tolist() for (re, im) pairs`);
  const conv = (v: number) => (dtype === 'bool' ? v !== 0 : v);
  const build = (dim: number, off: number): NestedArray => {
    if (dim === shape.length) return conv(d[off]!);
    const step = numel(shape.slice(dim + 1));
    return Array.from({ length: shape[dim]! }, (_, i) => build(dim + 1, off + i * step)) as NestedArray;
  };
  return build(0, 0);
}

/**
 * An n-dimensional array on a device, with autograd (torch.Tensor). Created by torch.tensor, zeros,
 * randn and the other factories; every op is also a method here.
 */
export class Tensor {
  /** Size of each dimension (frozen array; PyTorch's t.shape). */
  readonly shape: readonly number[];
  /** Element type: 'float32', 'float64', 'float16', 'int32', 'uint8' or 'bool'. */
  readonly dtype: DType;
  /** Device holding the storage ('cpu', 'webgpu', ...). */
  readonly device: Device;
  /** @internal */ readonly storage: Storage;
  /** @internal */ readonly strides_: readonly number[];
  /** @internal */ readonly offset: number;
  /** @internal */ kept = false;
  /** @internal */ disposed = false;
  /** @internal why the tensor was released (for the error a later use raises). */ releasedBy: string | null = null;
  /** @internal the public op that made it, when known (errors). */ op: string | null = opContext.name;
  /** @internal the module forward it was made in, if any (errors). */ inModule: string | null = opContext.module;
  /** @internal the user's line that made it (only with torch.setMemoryDebug(true)). */ site: string | null = null;
  /** @internal how many backward nodes saved this tensor. */ savedBy = 0;
  /** @internal held by the autograd graph only: freed when the last node that saved it is released. */ graphOwned = false;
  /** @internal registered with the finalizer that frees it once collected (memory.ts toCollector). */ gcRegistered = false;
  /** @internal the tensor this one is a view of (for in-place checks). */ base: Tensor | null = null;

  private requiresGrad_f = false;
  private grad_: Tensor | null = null;
  /**
   * @internal user code has seen this tensor as a .grad (read it, or assigned it): it may hold it past
   * zeroGrad, as PyTorch allows, so zeroGrad drops it without disposing it (the collector frees it).
   */
  userSeenGrad = false;
  /** @internal */ gradFn_: Node | null = null;
  /** @internal */ outputNr = 0;
  private accNode: AccumulateGrad | null = null;

  /** @internal Use the creation functions (torch.tensor, torch.zeros...) instead. */
  constructor(storage: Storage, shape: readonly number[], strides: readonly number[], offset: number, dtype: DType) {
    this.storage = storage;
    // A frozen array is another tensor's (views, outputs of the input's shape): share it, as nobody
    // can change it; any other array is the caller's and is copied.
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze([...shape]);
    this.strides_ = Object.isFrozen(strides) ? strides : Object.freeze([...strides]);
    this.offset = offset;
    this.dtype = dtype;
    this.device = storage.backend.device;
    storage.retain();
    adopt(this);
  }

  /** @internal A fresh contiguous tensor on `device`. */
  static empty_(shape: readonly number[], dtype: DType, device: Device): Tensor {
    // Last line of defence for every allocation path: a bad size would make kernels loop forever.
    for (let i = 0; i < shape.length; i++) {
      const s = shape[i]!;
      if (!Number.isInteger(s) || s < 0) throw new RangeError(`Trying to create tensor with negative dimension or non-integer size ${s}: ${fmtShape(shape)}`);
    }
    if (dtype === 'complex128' && device === 'webgpu') throw new TypeError('complex128 is not supported on webgpu (WebGPU has no float64); use complex64');
    const backend = getBackend(device);
    const n = numel(shape);
    const itemBytes = itemSize[dtype];
    const storage = new Storage(backend, allocate(backend, n * itemBytes), n * itemBytes);
    return new Tensor(storage, shape, Object.freeze(contiguousStrides(shape)), 0, dtype); // frozen: not copied again
  }

  /** @internal A view sharing this tensor's storage. */
  asView_(shape: readonly number[], strides: readonly number[], offset: number): Tensor {
    const t = new Tensor(this.storage, shape, strides, offset, this.dtype);
    t.base = this.base ?? this;
    return t;
  }

  /** @internal The backend-facing description of this tensor. */
  view_(): View {
    if (this.disposed) throw releasedError(this);
    // Kernels are real: an op that reaches one with a complex tensor has no complex path.
    if (isComplex(this.dtype)) throw new TypeError(`${opContext.name ?? 'this op'}: not implemented for '${this.dtype}' (complex tensors support the ops listed in the README's complex section)`);
    return { buf: this.storage.buf, dtype: this.dtype, shape: this.shape, strides: this.strides_, offset: this.offset };
  }

  // ---------------------------------------------------------------- properties
  /** Number of dimensions (PyTorch's t.ndim). */
  get ndim(): number { return this.shape.length; }
  /** Number of dimensions (same as ndim). */
  dim(): number { return this.shape.length; }
  /** Total number of elements. */
  numel(): number { return numel(this.shape); }
  /** Total number of elements (alias of numel). */
  nelement(): number { return this.numel(); }
  /** Shape as a fresh array, or the size of one dim (negative dims count from the end). */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    return dim === undefined ? [...this.shape] : this.shape[normDim(dim, this.ndim, 'size')] ?? 1;
  }
  /** Strides in elements, as a fresh array, or the stride of one dim. */
  stride(): number[];
  stride(dim: number): number;
  stride(dim?: number): number[] | number {
    return dim === undefined ? [...this.strides_] : this.strides_[normDim(dim, this.ndim, 'stride')] ?? 1;
  }
  /** Offset of the first element in the storage, in elements. */
  storageOffset(): number { return this.offset; }
  /** True when the strides are row-major contiguous for the shape. */
  isContiguous(): boolean { return isContiguous(this.shape, this.strides_); }
  /** True for float16, float32 and float64 dtypes. */
  isFloatingPoint(): boolean { return this.dtype === 'float32' || this.dtype === 'float64' || this.dtype === 'float16'; }
  /** True for complex64 and complex128 dtypes. */
  isComplex(): boolean { return isComplex(this.dtype); }
  /** The real part (PyTorch's t.real): a view for complex tensors, this tensor itself for real ones. */
  get real(): Tensor { return ops.real(this); }
  /** The imaginary part (PyTorch's t.imag): a view; complex tensors only. */
  get imag(): Tensor { return ops.imag(this); }
  /** The complex conjugate (a copy for complex tensors; real tensors are returned as is). */
  conj(): Tensor { return ops.conj(this); }
  /** The argument atan2(im, re) of each element (torch.angle). */
  angle(): Tensor { return ops.angle(this); }
  /** Bytes per element of the dtype. */
  elementSize(): number { return itemSize[this.dtype]; }
  /** @internal The kernel view of a complex tensor's (re, im) pairs: PyTorch's viewAsReal layout, shape [...shape, 2]. */
  pairView_(): View {
    if (this.disposed) throw releasedError(this);
    const dtype = this.dtype === 'complex128' ? 'float64' : 'float32';
    return { buf: this.storage.buf, dtype, shape: [...this.shape, 2], strides: [...this.strides_.map((s) => 2 * s), 1], offset: 2 * this.offset };
  }
  /** True when no autograd node created this tensor (gradFn is null). */
  get isLeaf(): boolean { return this.gradFn_ === null; }
  /** @internal version counter shared by views, bumped by in-place ops. */
  get version(): number { return this.storage.version; }

  // ---------------------------------------------------------------- memory
  /** Frees this tensor's reference to its storage now (views keep it alive). Idempotent. */
  dispose(): void { release(this, 'disposed by dispose()'); }
  /** Calls dispose(), for `using t = ...` blocks. */
  [Symbol.dispose](): void { this.dispose(); }
  /** True once this tensor has been released (dispose(), tidy or the graph). */
  get isDisposed(): boolean { return this.disposed; }

  // ---------------------------------------------------------------- reading
  /** A fresh contiguous copy of the values (float16 comes back as Float32Array). */
  data(): Promise<TypedArray> { return this.read((d) => d); }
  /** @internal Whether the values can be read at once (dataSync): a synchronous device with readSync. */
  get readsNow(): boolean { const b = this.storage.backend; return b.synchronous && !!b.readSync; }
  /**
   * `then` of the values. A synchronous device is read, and `then` run, at the call: the promise holds
   * only the result, not this tensor, so an unawaited read in a loop that never yields (a logged
   * `loss.item()`) keeps neither the tensor nor its graph alive. Errors reject the promise.
   */
  private read<T>(then: (d: TypedArray) => T): Promise<T> {
    try {
      const pause = yieldToFinalizers();
      return !pause && this.readsNow ? Promise.resolve(then(this.dataSync())) : this.dataAfter(pause).then(then);
    } catch (e) {
      return Promise.reject(e);
    }
  }
  private async dataAfter(pause: Promise<void> | null): Promise<TypedArray> {
    if (pause) await pause;
    // complex: the interleaved (re, im) pairs, as numpy's complex layout.
    const raw = await this.storage.backend.read(isComplex(this.dtype) ? this.pairView_() : this.view_());
    return this.dtype === 'float16' ? Float32Array.from(raw as Uint16Array, f16BitsToF32) : raw;
  }
  /** Synchronous data(); CPU only. */
  dataSync(): TypedArray {
    const b = this.storage.backend;
    if (!b.synchronous || !b.readSync) {
      throw new Error(`dataSync: tensor is on '${this.device}', whose results are asynchronous; use 'await t.data()' instead`);
    }
    const raw = b.readSync(isComplex(this.dtype) ? this.pairView_() : this.view_());
    return this.dtype === 'float16' ? Float32Array.from(raw as Uint16Array, f16BitsToF32) : raw;
  }
  /**
   * The value of a one-element tensor (async: `await t.item()`; bool dtype gives a boolean). PyTorch
   * code's `total += loss.item()` without await would add "[object Promise]": on a synchronous device
   * the promise converts to the value itself (Symbol.toPrimitive), elsewhere converting it throws a
   * TypeError that says to await it.
   */
  item(): Promise<number | boolean> {
    const dtype = this.dtype; // (no closure here refers to `this`: an unawaited item() must not hold the tensor)
    if (!this.readsNow) return withPrimitive(this.read((d) => itemOf(dtype, d)), null, this.device);
    // Read once, at the call (the value PyTorch's item() gives), then settle as read() does.
    let v: number | boolean;
    try { v = this.itemSync(); } catch (e) { return Promise.reject(e); }
    const pause = yieldToFinalizers();
    return withPrimitive(pause ? pause.then(() => v) : Promise.resolve(v), { v }, this.device);
  }
  /** Synchronous item(); CPU (synchronous backends) only. */
  itemSync(): number | boolean { return itemOf(this.dtype, this.dataSync()); }
  /** The values as nested arrays (async: `await t.tolist()`); a 0-d tensor gives a scalar. */
  tolist(): Promise<NestedArray> { return this.read((d) => nest(this.dtype, this.shape, d)); }
  /** Synchronous tolist(); CPU (synchronous backends) only. */
  tolistSync(): NestedArray { return nest(this.dtype, this.shape, this.dataSync()); }
  /**
   * JSON.stringify of a tensor (or of an object holding one) is PyTorch's json.dumps error, not a dump
   * of the tensor's internals (its storage and backend: megabytes, or "Invalid string length").
   */
  toJSON(_key?: string): never {
    throw new TypeError(`Object of type Tensor is not JSON serializable (shape ${fmtShape(this.shape)}, dtype ${this.dtype}, device ${this.device}): serialize its values, \`await t.tolist()\` or \`await t.item()\``);
  }
  /** PyTorch-style text of the values on synchronous devices; elsewhere a placeholder (use print()). */
  toString(): string {
    if (!this.storage.backend.synchronous) return `tensor(<on ${this.device}: use await t.print()>, shape=${fmtShape(this.shape)}, dtype=${this.dtype})`;
    return formatTensor(this, this.dataSync());
  }
  /** console.log / util.inspect in Node show the PyTorch-style text (no Node import needed). */
  [Symbol.for('nodejs.util.inspect.custom')](): string { return this.disposed ? `tensor(<disposed>, shape=${fmtShape(this.shape)}, dtype=${this.dtype})` : this.toString(); }
  /** Logs the PyTorch-style text of the values to the console (async: works on any device). */
  print(): Promise<void> { return this.read((d) => { console.log(formatTensor(this, d)); }); }
  /** The PyTorch-style text of the values (async: works on any device). */
  format(): Promise<string> { return this.read((d) => formatTensor(this, d)); }

  // ---------------------------------------------------------------- autograd
  /** Whether gradients are recorded for this tensor (true also for any tensor with a gradFn). */
  get requiresGrad(): boolean { return this.requiresGrad_f || this.gradFn_ !== null; }
  set requiresGrad(v: boolean) { this.requiresGrad_(v); }
  /** Sets requiresGrad on a leaf tensor (true needs a floating dtype; non-leaves only accept true); returns this. */
  requiresGrad_(requiresGrad = true): this {
    if (!this.isLeaf) {
      if (!requiresGrad) throw new Error('requiresGrad_: you can only change requiresGrad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn\'t require differentiation use detach().');
      return this;
    }
    if (requiresGrad && !this.isFloatingPoint() && !isComplex(this.dtype)) {
      throw new TypeError(`requiresGrad_: only Tensors of floating point dtype can require gradients (got ${this.dtype})`);
    }
    this.requiresGrad_f = requiresGrad;
    return this;
  }
  /** The accumulated gradient, filled by backward() (null until then); assignable with a matching tensor or null. */
  get grad(): Tensor | null {
    const g = this.grad_;
    if (g && internalGradReads === 0) g.userSeenGrad = true;
    return g;
  }
  set grad(g: Tensor | null) {
    if (g && (g.device !== this.device || g.dtype !== this.dtype || g.ndim !== this.ndim || g.shape.some((s, i) => s !== this.shape[i]))) {
      throw new TypeError(`assigned grad has shape ${g ? fmtShape(g.shape) : ''} ${g?.dtype} on ${g?.device}, expected ${fmtShape(this.shape)} ${this.dtype} on ${this.device}`);
    }
    if (g && internalGradReads === 0) g.userSeenGrad = true;
    this.setGradInternal(g);
  }
  /**
   * @internal zeroGrad's set-to-None: drops .grad, disposing it unless user code has seen it (then
   * the garbage collector frees it once nothing holds it).
   */
  dropGrad(): void {
    const g = this.grad_;
    this.grad_ = null;
    if (g && !g.userSeenGrad) g.dispose();
  }
  /** @internal */
  setGradInternal(g: Tensor | null): void {
    if (g) g.kept = true; // gradients outlive the tidy scope they were computed in
    this.grad_ = g;
  }
  /** The autograd node that created this tensor, or null for a leaf. */
  get gradFn(): Node | null { return this.gradFn_; }
  /** @internal Where gradients for this tensor flow: its creator's output slot, or its AccumulateGrad. */
  gradEdge(): Edge | null {
    if (this.gradFn_) return { node: this.gradFn_, outputNr: this.outputNr };
    if (!this.requiresGrad_f) return null;
    this.accNode ??= new AccumulateGrad(this);
    return { node: this.accNode, outputNr: 0 };
  }
  /** @internal */
  setGradFn_(node: Node, outputNr: number): void {
    if (this.gradFn_) this.gradFn_.holders--;
    node.holders++;
    this.gradFn_ = node;
    this.outputNr = outputNr;
  }

  /**
   * PyTorch's `backward(gradient=None, retain_graph, create_graph, inputs)`: `backward()`, `backward(g)`, `backward(g, opts)` or `backward(opts)`.
   * @example
   * ```ts
   * const w = torch.randn([3, 2], { requiresGrad: true });
   * const loss = torch.randn(4, 3).matmul(w).relu().sum();
   * loss.backward();                         // fills w.grad
   * console.log(await w.grad!.data());
   * ```
   */
    backward(opts: BackwardOptions): void;
  backward(gradient?: Tensor | null, opts?: BackwardOptions): void;
  backward(gradient?: Tensor | null | BackwardOptions, opts: BackwardOptions = {}): void {
    if (gradient !== undefined && gradient !== null && !(gradient instanceof Tensor) && !isOptionsObject(gradient)) {
      throw new TypeError(`backward: gradient must be a Tensor, null or an options object, got ${typeof gradient}`);
    }
    autogradBackward(this, gradient, opts);
  }
  /** Keeps .grad on a non-leaf tensor after backward. */
  retainGrad(): void {
    if (this.isLeaf) return;
    const n = this.gradFn_!;
    n.retained ??= new Map();
    n.retained.set(this.outputNr, new WeakRef(this));
  }
  /** True when retainGrad() was called on this non-leaf tensor. */
  get retainsGrad(): boolean { return !this.isLeaf && !!this.gradFn_!.retained?.has(this.outputNr); }
  /** Registers fn(grad) -> newGrad | void, called when this tensor's gradient is computed. */
  registerHook(fn: Hook): { remove(): void } {
    if (!this.requiresGrad) throw new Error("registerHook: cannot register a hook on a tensor that doesn't require gradient");
    let list: Hook[];
    if (this.gradFn_) {
      this.gradFn_.addOutputHook(this.outputNr, fn);
      list = this.gradFn_.outputHooks!.get(this.outputNr)!;
    } else {
      list = (this.gradEdge()!.node as AccumulateGrad).hooks;
      list.push(fn);
    }
    return { remove: () => { const i = list.indexOf(fn); if (i >= 0) list.splice(i, 1); } };
  }
  /** A tensor sharing storage but cut from the graph. */
  detach(): Tensor {
    const t = new Tensor(this.storage, this.shape, this.strides_, this.offset, this.dtype);
    t.base = this.base;
    return t;
  }
  /**
   * @internal PyTorch's `t.data = src`: this object takes src's storage, shape, strides, offset,
   * dtype and device, keeping its identity and autograd state (requiresGrad, grad, hooks), so that
   * Module.to moves parameters under an optimizer that holds them. src stays valid (shared storage).
   */
  setData_(src: Tensor): void {
    if (src === this) return;
    src.view_(); // throws on a released src
    src.storage.retain(); // before releasing ours: they may be the same storage
    release(this, 'replaced by setData_'); // old storage, accounting and GC registration
    const w = this as unknown as { storage: Storage; shape: readonly number[]; strides_: readonly number[]; offset: number; dtype: DType; device: Device };
    w.storage = src.storage; w.shape = src.shape; w.strides_ = src.strides_; w.offset = src.offset;
    w.dtype = src.dtype; w.device = src.device;
    this.disposed = false;
    this.releasedBy = null;
    this.base = src.base;
    adopt(this, false); // accounted and GC-registered again, with the new storage; no scope owns it
  }
  /** Detaches this tensor from the graph in place (not allowed on views of tensors requiring grad); returns this. */
  detach_(): this {
    if (this.base && this.base.requiresGrad) throw new Error('detach_: can not detach views in-place. Use detach() instead.');
    if (this.gradFn_) this.gradFn_.holders--;
    this.gradFn_ = null;
    this.requiresGrad_f = false;
    return this;
  }
  /** @internal */
  get gradEnabledFor(): boolean { return isGradEnabled() && this.requiresGrad; }

  // ---------------------------------------------------------------- conversion
  /**
   * Converts to a device and/or dtype (or another tensor's), or to({ dtype, device, copy }), or
   * PyTorch's to(device, dtype); returns this when nothing changes.
   */
  to(deviceOrDtype: Device | DType | Tensor | ops.ToOpts, opts?: ops.ToOpts | DType): Tensor {
    return ops.to(this, deviceOrDtype, typeof opts === 'string' ? { dtype: opts } : opts);
  }
  /**
   * `to(device)` through a device read where one is needed (WebGPU to the CPU): the way off an
   * asynchronous device, as `torch.toAsync(t, device, { dtype })`.
   */
  toAsync(device: Device | string, opts?: { dtype?: DType }): Promise<Tensor> { return ops.toAsync(this, device, opts); }
  /** Moves to the CPU (this tensor itself when already there); from an asynchronous device use `await t.toAsync('cpu')`. */
  cpu(): Tensor { return ops.to(this, 'cpu'); }
  /**
   * Moves to a CUDA device (after `await torch.init()`, with the CUDA addon built): the current one
   * ('cuda'), or CUDA device `device` as in PyTorch's `t.cuda(1)`; this tensor itself when already there.
   */
  cuda(device?: number): Tensor { return ops.to(this, device === undefined ? 'cuda' : cudaDeviceAt(device, 'cuda')); }
  /** Moves to the WebGPU device (after `await torch.init()`); this tensor itself when already there. */
  webgpu(): Tensor { return ops.to(this, 'webgpu'); }
  /** type(dtype) converts; type() names the tensor type as PyTorch does ('torch.FloatTensor'). */
  type(): string;
  type(dtype: DType): Tensor;
  type(dtype?: DType): Tensor | string {
    if (dtype !== undefined) return ops.to(this, dtype);
    const name = scalarTypeName(this.dtype);
    return this.device === 'cpu' ? `torch.${name}Tensor` : `torch.${deviceType(this.device)}.${name}Tensor`;
  }
  /** Cast to float32 (this tensor itself when already float32). */
  float(): Tensor { return ops.to(this, 'float32'); }
  /** Cast to float64. */
  double(): Tensor { return ops.to(this, 'float64'); }
  /** Cast to float16. */
  half(): Tensor { return ops.to(this, 'float16'); }
  /** Cast to int32. */
  int(): Tensor { return ops.to(this, 'int32'); }
  /** Cast to int32: torchlet has no int64, so long() gives int32. */
  long(): Tensor { return ops.to(this, 'int32'); }
  /** Cast to bool. */
  bool(): Tensor { return ops.to(this, 'bool'); }
  /** Cast to uint8. */
  byte(): Tensor { return ops.to(this, 'uint8'); }
  /** This tensor if already contiguous, else a contiguous copy. */
  contiguous(): Tensor { return ops.contiguous(this); }
  /** Cast to other's dtype (the device is unchanged). */
  typeAs(other: Tensor): Tensor { return ops.to(this, other.dtype); }
  // new*: tensors with this one's dtype and device unless opts say otherwise (PyTorch's Tensor.new_*).
  /** Zeros of the given size with this tensor's dtype and device (an options object may override them). */
  newZeros(...args: (number | readonly number[] | ops.CreateOpts)[]): Tensor { return this.newFill(args, 0); }
  /** Ones of the given size with this tensor's dtype and device (an options object may override them). */
  newOnes(...args: (number | readonly number[] | ops.CreateOpts)[]): Tensor { return this.newFill(args, 1); }
  /** A tensor of the given size with this tensor's dtype and device; torchlet fills it with zeros. */
  newEmpty(...args: (number | readonly number[] | ops.CreateOpts)[]): Tensor { return this.newFill(args, 0); }
  /** A tensor of `size` filled with fillValue, with this tensor's dtype and device unless opts say otherwise. */
  newFull(size: readonly number[], fillValue: Scalar, opts: ops.CreateOpts = {}): Tensor {
    return ops.full(size, fillValue, { dtype: this.dtype, device: this.device, ...opts });
  }
  /** torch.tensor(data) with this tensor's dtype and device unless opts say otherwise (PyTorch's new_tensor). */
  newTensor(data: NestedArray, opts: ops.CreateOpts = {}): Tensor { return ops.tensor(data, { dtype: this.dtype, device: this.device, ...opts }); }
  private newFill(args: (number | readonly number[] | ops.CreateOpts)[], value: number): Tensor {
    const last = args[args.length - 1];
    const opts = typeof last === 'object' && last !== null && !Array.isArray(last) ? (args.pop() as ops.CreateOpts) : {};
    const shape = args.flatMap((a) => (typeof a === 'number' ? [a] : [...(a as readonly number[])]));
    return ops.full(shape, value, { dtype: this.dtype, device: this.device, ...opts });
  }
  /** A contiguous copy sharing no storage (differentiable). */
  clone(): Tensor { return ops.clone(this); }

  // ---------------------------------------------------------------- views and shape
  /** A view with the given shape (one dim may be -1); throws when the strides do not allow a view. */
  view(...shape: ShapeArgs): Tensor { return ops.view(this, ...shape); }
  /** view(other.shape). */
  viewAs(other: Tensor): Tensor { return ops.view(this, other.shape); }
  /** The given shape (one dim may be -1): a view when the strides allow, else a copy. */
  reshape(...shape: ShapeArgs): Tensor { return ops.reshape(this, ...shape); }
  /** reshape(other.shape). */
  reshapeAs(other: Tensor): Tensor { return ops.reshape(this, other.shape); }
  /** A view with dims dim0 and dim1 swapped. */
  transpose(dim0: number, dim1: number): Tensor { return ops.transpose(this, dim0, dim1); }
  /** Alias of transpose: a view with dims dim0 and dim1 swapped. */
  swapaxes(dim0: number, dim1: number): Tensor { return ops.transpose(this, dim0, dim1); }
  /** A view with the dims reordered as given. */
  permute(...dims: ShapeArgs): Tensor { return ops.permute(this, ...dims); }
  /** A view with all dims reversed (PyTorch's t.T). */
  get T(): Tensor { return ops.permute(this, [...this.shape.keys()].reverse()); }
  /** A view with the last two dims swapped (matrix transpose of each batch element). */
  get mT(): Tensor { return ops.transpose(this, -2, -1); }
  /** Transpose of a tensor with at most 2 dims (0-D and 1-D are returned as they are, as views). */
  t(): Tensor { return ops.t(this); }
  /** A broadcast view of the given size (-1 keeps a dim; size-1 dims stretch with stride 0). */
  expand(...shape: ShapeArgs): Tensor { return ops.expand(this, ...shape); }
  /** expand(other.shape). */
  expandAs(other: Tensor): Tensor { return ops.expand(this, other.shape); }
  /** A broadcast view of the given shape (torch.broadcast_to; same as expand). */
  broadcastTo(...shape: ShapeArgs): Tensor { return ops.expand(this, ...shape); }
  /** A view of `length` elements from `start` along dim. */
  narrow(dim: number, start: number, length: number): Tensor { return ops.narrow(this, dim, start, length); }
  /** A view at `index` along dim, with that dim removed. */
  select(dim: number, index: number): Tensor { return ops.select(this, dim, index); }
  /** A view of x[start:end:step] along dim, with Python's clamping of out-of-range bounds. */
  slice(dim: number, start?: number | null, end?: number | null, step?: number): Tensor { return ops.slice(this, dim, start, end, step); }
  /** A view without size-1 dims (all of them, or only those in dim). */
  squeeze(dim?: Dims): Tensor { return ops.squeeze(this, dim); }
  /** A view with a size-1 dim inserted at dim. */
  unsqueeze(dim: number): Tensor { return ops.unsqueeze(this, dim); }
  /** Flattens dims startDim..endDim into one (a view when possible, via reshape). */
  flatten(startDim = 0, endDim = -1): Tensor { return ops.flatten(this, startDim, endDim); }
  /** A view with dim split into `sizes` (one may be -1). */
  unflatten(dim: number, sizes: readonly number[]): Tensor { return ops.unflatten(this, dim, sizes); }
  /** A view with dims moved from source to destination positions, the rest keeping their order. */
  movedim(source: Dims, destination: Dims): Tensor { return ops.movedim(this, source, destination); }
  /** Alias of movedim. */
  moveaxis(source: Dims, destination: Dims): Tensor { return ops.movedim(this, source, destination); }
  /** Views splitting dim into chunks of splitSize, or into the given section sizes. */
  split(splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] { return ops.split(this, splitSizeOrSections, dim); }
  /** Splits dim into `chunks` views of equal size (the last may be smaller, and there may be fewer). */
  chunk(chunks: number, dim = 0): Tensor[] { return ops.chunk(this, chunks, dim); }
  /** The slices along dim as views, with that dim removed. */
  unbind(dim = 0): Tensor[] { return ops.unbind(this, dim); }
  /** A copy with the order reversed along the given dims. */
  flip(...dims: ShapeArgs): Tensor { return ops.flip(this, ...dims); }
  /** Rolls elements by shifts along dims (flattened, then restored, when dims is omitted). */
  roll(shifts: Dims, dims?: Dims): Tensor { return ops.roll(this, shifts, dims); }
  /** A copy tiled `sizes` times along each dim (torch.Tensor.repeat; extra leading sizes add dims). */
  repeat(...sizes: ShapeArgs): Tensor { return ops.repeat(this, ...sizes); }
  /** Like repeat, but fewer sizes than dims are padded with leading 1s (torch.tile). */
  tile(...sizes: ShapeArgs): Tensor { return ops.tile(this, ...sizes); }
  /** Lower triangle of the last two dims (on and below the `diagonal`-th diagonal), the rest zeroed. */
  tril(diagonal = 0): Tensor { return ops.tril(this, diagonal); }
  /** Upper triangle of the last two dims (on and above the `diagonal`-th diagonal), the rest zeroed. */
  triu(diagonal = 0): Tensor { return ops.triu(this, diagonal); }

  // ---------------------------------------------------------------- unary math
  /** Elementwise -x (torch.neg). */
  neg(): Tensor { return ops.neg(this); }
  /** Alias of neg: elementwise -x. */
  negative(): Tensor { return ops.neg(this); }
  /** Elementwise |x| (torch.abs). */
  abs(): Tensor { return ops.abs(this); }
  /** Elementwise sign: -1, 0 or 1 (torch.sign). */
  sign(): Tensor { return ops.sign(this); }
  /** Elementwise e^x (torch.exp). */
  exp(): Tensor { return ops.exp(this); }
  /** Elementwise 2^x (torch.exp2). */
  exp2(): Tensor { return ops.exp2(this); }
  /** Elementwise e^x - 1, accurate near 0 (torch.expm1). */
  expm1(): Tensor { return ops.expm1(this); }
  /** Elementwise natural logarithm (torch.log). */
  log(): Tensor { return ops.log(this); }
  /** Elementwise log(1 + x), accurate near 0 (torch.log1p). */
  log1p(): Tensor { return ops.log1p(this); }
  /** Elementwise base-2 logarithm (torch.log2). */
  log2(): Tensor { return ops.log2(this); }
  /** Elementwise base-10 logarithm (torch.log10). */
  log10(): Tensor { return ops.log10(this); }
  /** Elementwise square root (torch.sqrt). */
  sqrt(): Tensor { return ops.sqrt(this); }
  /** Elementwise 1 / sqrt(x) (torch.rsqrt). */
  rsqrt(): Tensor { return ops.rsqrt(this); }
  /** Elementwise x^2 (torch.square). */
  square(): Tensor { return ops.square(this); }
  /** Elementwise sine (torch.sin). */
  sin(): Tensor { return ops.sin(this); }
  /** Elementwise cosine (torch.cos). */
  cos(): Tensor { return ops.cos(this); }
  /** Elementwise tangent (torch.tan). */
  tan(): Tensor { return ops.tan(this); }
  /** Elementwise arcsine (torch.asin). */
  asin(): Tensor { return ops.asin(this); }
  /** Elementwise arccosine (torch.acos). */
  acos(): Tensor { return ops.acos(this); }
  /** Elementwise arctangent (torch.atan). */
  atan(): Tensor { return ops.atan(this); }
  /** Elementwise hyperbolic sine (torch.sinh). */
  sinh(): Tensor { return ops.sinh(this); }
  /** Elementwise hyperbolic cosine (torch.cosh). */
  cosh(): Tensor { return ops.cosh(this); }
  /** Elementwise hyperbolic tangent (torch.tanh). */
  tanh(): Tensor { return ops.tanh(this); }
  /** Elementwise inverse hyperbolic sine (torch.asinh). */
  asinh(): Tensor { return ops.asinh(this); }
  /** Elementwise inverse hyperbolic cosine (torch.acosh). */
  acosh(): Tensor { return ops.acosh(this); }
  /** Elementwise inverse hyperbolic tangent (torch.atanh). */
  atanh(): Tensor { return ops.atanh(this); }
  /** Elementwise 1 / (1 + e^-x) (torch.sigmoid). */
  sigmoid(): Tensor { return ops.sigmoid(this); }
  /** Elementwise error function (torch.erf). */
  erf(): Tensor { return ops.erf(this); }
  /** Elementwise inverse error function (torch.erfinv). */
  erfinv(): Tensor { return ops.erfinv(this); }
  /** Elementwise floor (torch.floor). */
  floor(): Tensor { return ops.floor(this); }
  /** Elementwise ceiling (torch.ceil). */
  ceil(): Tensor { return ops.ceil(this); }
  /** Elementwise round half to even, optionally to `decimals` places (torch.round). */
  round(opts?: { decimals?: number }): Tensor { return ops.round(this, opts); }
  /** Elementwise rounding toward zero (torch.trunc). */
  trunc(): Tensor { return ops.trunc(this); }
  /** Elementwise fractional part, x - trunc(x) (torch.frac). */
  frac(): Tensor { return ops.frac(this); }
  /** Elementwise 1 / x (torch.reciprocal). */
  reciprocal(): Tensor { return ops.reciprocal(this); }
  /** Elementwise max(x, 0) (torch.relu). */
  relu(): Tensor { return ops.relu(this); }
  /** Bool tensor, true where the element is NaN. */
  isnan(): Tensor { return ops.isnan(this); }
  /** Bool tensor, true where the element is +/-infinity. */
  isinf(): Tensor { return ops.isinf(this); }
  /** Bool tensor, true where the element is neither NaN nor infinite. */
  isfinite(): Tensor { return ops.isfinite(this); }
  /** Replaces NaN, +inf and -inf with opts.nan (0), opts.posinf and opts.neginf (the dtype's largest/lowest finite values by default). */
  nanToNum(opts?: { nan?: number; posinf?: number; neginf?: number }): Tensor { return ops.nanToNum(this, opts); }
  /** Elementwise logical NOT as a bool tensor (torch.logical_not). */
  logicalNot(): Tensor { return ops.logicalNot(this); }
  /** Elementwise bitwise NOT of integer or bool tensors (torch.bitwise_not). */
  bitwiseNot(): Tensor { return ops.bitwiseNot(this); }
  /** Clamps elements into [min, max] (either may be null; or clamp({ min, max })) (torch.clamp). */
  clamp(min?: TensorOrScalar | null | ops.ClampOpts, max?: TensorOrScalar | null): Tensor { return ops.clamp(this, min, max); }
  /** Alias of clamp. */
  clip(min?: TensorOrScalar | null | ops.ClampOpts, max?: TensorOrScalar | null): Tensor { return ops.clamp(this, min, max); }
  /** Elementwise max(x, min) (torch.clamp_min). */
  clampMin(min: TensorOrScalar): Tensor { return ops.clampMin(this, min); }
  /** Elementwise min(x, max) (torch.clamp_max). */
  clampMax(max: TensorOrScalar): Tensor { return ops.clampMax(this, max); }
  /** Softmax along dim, exp(x) / sum(exp(x)), computed stably (torch.softmax). */
  softmax(dim: number): Tensor { return ops.softmax(this, dim); }
  /** log(softmax(x)) along dim, computed stably (torch.log_softmax). */
  logSoftmax(dim: number): Tensor { return ops.logSoftmax(this, dim); }

  // ---------------------------------------------------------------- binary math
  /** this + alpha * other, broadcasting (torch.add; alpha in an options object). */
  add(other: TensorOrScalar, opts?: { alpha?: number }): Tensor { return ops.add(this, other, opts); }
  /** this - alpha * other, broadcasting (torch.sub; alpha in an options object). */
  sub(other: TensorOrScalar, opts?: { alpha?: number }): Tensor { return ops.sub(this, other, opts); }
  /** Alias of sub. */
  subtract(other: TensorOrScalar, opts?: { alpha?: number }): Tensor { return ops.sub(this, other, opts); }
  /** other - alpha * this (torch.rsub). */
  rsub(other: TensorOrScalar, opts?: { alpha?: number }): Tensor { return ops.rsub(this, other, opts); }
  /** Elementwise product, broadcasting (torch.mul). */
  mul(other: TensorOrScalar): Tensor { return ops.mul(this, other); }
  /** Alias of mul. */
  multiply(other: TensorOrScalar): Tensor { return ops.mul(this, other); }
  /** Elementwise this / other, broadcasting; opts.roundingMode 'trunc' or 'floor' rounds the quotient (torch.div). */
  div(other: TensorOrScalar, opts?: { roundingMode?: 'trunc' | 'floor' | null }): Tensor { return ops.div(this, other, opts); }
  /** Alias of div. */
  divide(other: TensorOrScalar, opts?: { roundingMode?: 'trunc' | 'floor' | null }): Tensor { return ops.div(this, other, opts); }
  /** Elementwise true division this / other (torch.true_divide). */
  trueDivide(other: TensorOrScalar): Tensor { return ops.div(this, other); }
  /** Elementwise floor(this / other) (torch.floor_divide). */
  floorDivide(other: TensorOrScalar): Tensor { return ops.floorDivide(this, other); }
  /** Elementwise this ** exponent, broadcasting (torch.pow). */
  pow(exponent: TensorOrScalar): Tensor { return ops.pow(this, exponent); }
  /** Elementwise maximum, propagating NaN (torch.maximum). */
  maximum(other: TensorOrScalar): Tensor { return ops.maximum(this, other); }
  /** Elementwise minimum, propagating NaN (torch.minimum). */
  minimum(other: TensorOrScalar): Tensor { return ops.minimum(this, other); }
  /** Elementwise maximum ignoring NaN: where one operand is NaN the other is taken (torch.fmax). */
  fmax(other: TensorOrScalar): Tensor { return ops.fmax(this, other); }
  /** Elementwise minimum ignoring NaN: where one operand is NaN the other is taken (torch.fmin). */
  fmin(other: TensorOrScalar): Tensor { return ops.fmin(this, other); }
  /** Elementwise arctangent of this / other, using both signs for the quadrant (torch.atan2). */
  atan2(other: TensorOrScalar): Tensor { return ops.atan2(this, other); }
  /** Elementwise remainder with the sign of the dividend (C fmod; torch.fmod). */
  fmod(other: TensorOrScalar): Tensor { return ops.fmod(this, other); }
  /** Elementwise remainder with the sign of the divisor (Python %; torch.remainder). */
  remainder(other: TensorOrScalar): Tensor { return ops.remainder(this, other); }
  /** Bool tensor of this == other, broadcasting (torch.eq). */
  eq(other: TensorOrScalar): Tensor { return ops.eq(this, other); }
  /** Bool tensor of this != other, broadcasting (torch.ne). */
  ne(other: TensorOrScalar): Tensor { return ops.ne(this, other); }
  /** Bool tensor of this < other, broadcasting (torch.lt). */
  lt(other: TensorOrScalar): Tensor { return ops.lt(this, other); }
  /** Bool tensor of this <= other, broadcasting (torch.le). */
  le(other: TensorOrScalar): Tensor { return ops.le(this, other); }
  /** Bool tensor of this > other, broadcasting (torch.gt). */
  gt(other: TensorOrScalar): Tensor { return ops.gt(this, other); }
  /** Bool tensor of this >= other, broadcasting (torch.ge). */
  ge(other: TensorOrScalar): Tensor { return ops.ge(this, other); }
  /** Alias of gt. */
  greater(other: TensorOrScalar): Tensor { return ops.gt(this, other); }
  /** Alias of lt. */
  less(other: TensorOrScalar): Tensor { return ops.lt(this, other); }
  /** True when both have the same shape and equal elements (reads the values: synchronous devices only). */
  equal(other: Tensor): boolean { return ops.equal(this, other); }
  /** True when every element is within atol + rtol * |other| (reads the values: synchronous devices only). */
  allclose(other: Tensor, opts?: { rtol?: number; atol?: number; equalNan?: boolean }): boolean { return ops.allclose(this, other, opts); }
  /** Bool tensor, true where |this - other| <= atol + rtol * |other| (equalNan treats NaNs as equal). */
  isclose(other: TensorOrScalar, opts?: { rtol?: number; atol?: number; equalNan?: boolean }): Tensor { return ops.isclose(this, other, opts); }
  /** Elementwise logical AND as a bool tensor (torch.logical_and). */
  logicalAnd(other: TensorOrScalar): Tensor { return ops.logicalAnd(this, other); }
  /** Elementwise logical OR as a bool tensor (torch.logical_or). */
  logicalOr(other: TensorOrScalar): Tensor { return ops.logicalOr(this, other); }
  /** Elementwise logical XOR as a bool tensor (torch.logical_xor). */
  logicalXor(other: TensorOrScalar): Tensor { return ops.logicalXor(this, other); }
  /** Elementwise bitwise AND of integer or bool tensors (torch.bitwise_and). */
  bitwiseAnd(other: TensorOrScalar): Tensor { return ops.bitwiseAnd(this, other); }
  /** Elementwise bitwise OR of integer or bool tensors (torch.bitwise_or). */
  bitwiseOr(other: TensorOrScalar): Tensor { return ops.bitwiseOr(this, other); }
  /** Elementwise bitwise XOR of integer or bool tensors (torch.bitwise_xor). */
  bitwiseXor(other: TensorOrScalar): Tensor { return ops.bitwiseXor(this, other); }
  /** Linear interpolation this + weight * (end - this) (torch.lerp). */
  lerp(end: TensorOrScalar, weight: TensorOrScalar): Tensor { return ops.lerp(this, end, weight); }
  /** Elements of this where condition is true, else of other (torch.where(condition, this, other)). */
  where(condition: Tensor, other: TensorOrScalar): Tensor { return ops.where(condition, this, other); }
  /** A copy with value written where mask is true (mask broadcasts; torch.masked_fill). */
  maskedFill(mask: Tensor, value: TensorOrScalar): Tensor { return ops.maskedFill(this, mask, value); }
  /** A copy with value written at the given indices along dim (torch.index_fill). */
  indexFill(dim: number, index: Tensor, value: TensorOrScalar): Tensor { return ops.indexFill(this, dim, index, value); }
  /** Elementwise x where |x| > lambd, else 0 (torch.nn.functional.hardshrink). */
  hardshrink(lambd = 0.5): Tensor { return ops.wherePiecewise(this.abs().gt(lambd), this, 0); }
  /** this + value * t1 * t2, elementwise (torch.addcmul; value in an options object). */
  addcmul(t1: Tensor, t2: Tensor, opts?: { value?: number }): Tensor { return ops.addcmul(this, t1, t2, opts); }
  /** this + value * t1 / t2, elementwise (torch.addcdiv; value in an options object). */
  addcdiv(t1: Tensor, t2: Tensor, opts?: { value?: number }): Tensor { return ops.addcdiv(this, t1, t2, opts); }

  // ---------------------------------------------------------------- reductions
  /** Sum of all elements, or along dim(s), keeping reduced dims with keepdim (torch.sum). */
  sum(dim?: Dims | null, keepdim = false, opts?: { dtype?: DType }): Tensor { return ops.sum(this, dim, keepdim, opts); }
  /** Sum treating NaN as zero, over all elements or along dim(s) (torch.nansum). */
  nansum(dim?: Dims | null, keepdim = false): Tensor { return ops.nansum(this, dim, keepdim); }
  /** Mean of all elements, or along dim(s) (torch.mean). */
  mean(dim?: Dims | null, keepdim = false, opts?: { dtype?: DType }): Tensor { return ops.mean(this, dim, keepdim, opts); }
  /** Mean of the non-NaN elements, over all elements or along dim(s) (torch.nanmean). */
  nanmean(dim?: Dims | null, keepdim = false): Tensor { return ops.nanmean(this, dim, keepdim); }
  /** Product of all elements, or along one dim (torch.prod). */
  prod(dim?: number | null, keepdim = false, opts?: { dtype?: DType }): Tensor { return ops.prod(this, dim, keepdim, opts); }
  /** Maximum of all elements; with dim, { values, indices } along it; with a tensor, elementwise maximum. */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): ValuesIndices;
  max(other: Tensor): Tensor;
  max(dimOrOther?: number | Tensor, keepdim = false): Tensor | ValuesIndices { return ops.max(this, dimOrOther as number, keepdim); }
  /** Minimum of all elements; with dim, { values, indices } along it; with a tensor, elementwise minimum. */
  min(): Tensor;
  min(dim: number, keepdim?: boolean): ValuesIndices;
  min(other: Tensor): Tensor;
  min(dimOrOther?: number | Tensor, keepdim = false): Tensor | ValuesIndices { return ops.min(this, dimOrOther as number, keepdim); }
  /** Maximum over all elements or along dim(s), values only (torch.amax). */
  amax(dim?: Dims | null, keepdim = false): Tensor { return ops.amax(this, dim, keepdim); }
  /** Minimum over all elements or along dim(s), values only (torch.amin). */
  amin(dim?: Dims | null, keepdim = false): Tensor { return ops.amin(this, dim, keepdim); }
  /** { min, max } over all elements or along opts.dim (torch.aminmax). */
  aminmax(opts?: { dim?: number; keepdim?: boolean }): { min: Tensor; max: Tensor } { return ops.aminmax(this, opts); }
  /** Index of the first maximum, in the flattened tensor or along dim (torch.argmax). */
  argmax(dim?: number | null, keepdim = false): Tensor { return ops.argmax(this, dim, keepdim); }
  /** Index of the first minimum, in the flattened tensor or along dim (torch.argmin). */
  argmin(dim?: number | null, keepdim = false): Tensor { return ops.argmin(this, dim, keepdim); }
  /** Variance over all elements or dim(s), Bessel-corrected by default; options via { unbiased | correction, keepdim } (torch.var). */
  var(dim?: Dims | null | ReduceOpts, opts?: ReduceOpts | boolean, keepdim?: boolean): Tensor { return ops.var_(this, dim, opts, keepdim); }
  /** Standard deviation over all elements or dim(s), Bessel-corrected by default; same arguments as var (torch.std). */
  std(dim?: Dims | null | ReduceOpts, opts?: ReduceOpts | boolean, keepdim?: boolean): Tensor { return ops.std(this, dim, opts, keepdim); }
  /** p-norm over all elements or dim(s) (default 2; also 'fro', 'inf', '-inf'), or norm({ p, dim, keepdim }) (torch.norm). */
  norm(p: NormOrd | NormOpts = 2, dim?: Dims | null, keepdim = false): Tensor { return ops.norm(this, p, dim, keepdim); }
  /** log(sum(exp(x))) along dim(s), computed stably (torch.logsumexp). */
  logsumexp(dim: Dims, keepdim = false): Tensor { return ops.logsumexp(this, dim, keepdim); }
  /** Cumulative sum along dim (torch.cumsum); options { dtype }. */
  cumsum(dim: number, opts?: { dtype?: DType }): Tensor { return ops.cumsum(this, dim, opts); }
  /** Cumulative product along dim (torch.cumprod); options { dtype }. */
  cumprod(dim: number, opts?: { dtype?: DType }): Tensor { return ops.cumprod(this, dim, opts); }
  /** True when all elements (or all along dim(s)) are nonzero; bool result (uint8 for uint8) (torch.all). */
  all(dim?: Dims | null, keepdim = false): Tensor { return ops.all(this, dim, keepdim); }
  /** True when any element (or any along dim(s)) is nonzero; bool result (uint8 for uint8) (torch.any). */
  any(dim?: Dims | null, keepdim = false): Tensor { return ops.any(this, dim, keepdim); }
  /** Number of nonzero elements, in total or along dim(s) (torch.count_nonzero). */
  countNonzero(dim?: Dims | null): Tensor { return ops.countNonzero(this, dim); }
  /** Lower median of all elements; with dim, { values, indices } along it (torch.median). */
  median(): Tensor;
  median(dim: number, keepdim?: boolean): ValuesIndices;
  median(dim?: number, keepdim = false): Tensor | ValuesIndices { return ops.median(this, dim as number, keepdim); }
  /** The k-th smallest element along dim (k from 1) as { values, indices } (torch.kthvalue). */
  kthvalue(k: number, dim = -1, keepdim = false): ValuesIndices { return ops.kthvalue(this, k, dim, keepdim); }
  /** Most frequent value along dim (smallest on ties) as { values, indices } (torch.mode). */
  mode(dim = -1, keepdim = false): ValuesIndices { return ops.mode(this, dim, keepdim); }

  // ---------------------------------------------------------------- linear algebra
  /**
   * Matrix product with PyTorch's broadcasting rules (dot, matrix-vector, matrix-matrix, batched).
   * @example
   * ```ts
   * const a = torch.randn(2, 3), b = torch.randn(3, 4);
   * const c = a.matmul(b);                  // [2, 4]; torch.matmul(a, b) is the same
   * ```
   */
  matmul(other: Tensor): Tensor { return ops.matmul(this, other); }
  /** Matrix product of two 2-D tensors (torch.mm). */
  mm(other: Tensor): Tensor { return ops.mm(this, other); }
  /** Batched matrix product of two 3-D tensors (torch.bmm). */
  bmm(other: Tensor): Tensor { return ops.bmm(this, other); }
  /** Matrix-vector product (torch.mv). */
  mv(vec: Tensor): Tensor { return ops.mv(this, vec); }
  /** Dot product of two 1-D tensors, as a 0-D tensor (torch.dot). */
  dot(other: Tensor): Tensor { return ops.dot(this, other); }
  /** Outer product of two 1-D tensors (torch.outer). */
  outer(other: Tensor): Tensor { return ops.outer(this, other); }
  /** beta * this + alpha * (mat1 @ mat2) (torch.addmm; beta and alpha in an options object). */
  addmm(mat1: Tensor, mat2: Tensor, opts?: { beta?: number; alpha?: number }): Tensor { return ops.addmm(this, mat1, mat2, opts); }

  // ---------------------------------------------------------------- special functions, scans, matrix helpers, counting
  /** Elementwise log(e^this + e^other), computed stably (torch.logaddexp). */
  logaddexp(other: TensorOrScalar): Tensor { return ops.logaddexp(this, other); }
  /** Elementwise sqrt(this^2 + other^2) (torch.hypot). */
  hypot(other: TensorOrScalar): Tensor { return ops.hypot(this, other); }
  /** Elementwise this * log(other), 0 where this is 0 (torch.xlogy). */
  xlogy(other: TensorOrScalar): Tensor { return ops.xlogy(this, other); }
  /** Elementwise complementary error function 1 - erf(x) (torch.erfc). */
  erfc(): Tensor { return ops.erfc(this); }
  /** Elementwise log|Gamma(x)| (torch.lgamma). */
  lgamma(): Tensor { return ops.lgamma(this); }
  /** Elementwise digamma, the derivative of lgamma (torch.digamma). */
  digamma(): Tensor { return ops.digamma(this); }
  /** In-place hypot; returns this. */
  hypot_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.hypot(this, other)); }
  /** In-place xlogy; returns this. */
  xlogy_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.xlogy(this, other)); }
  /** In-place erfc; returns this. */
  erfc_(): this { return inplaceOwned(this, () => ops.erfc(this)); }
  /** In-place lgamma; returns this. */
  lgamma_(): this { return inplaceOwned(this, () => ops.lgamma(this)); }
  /** In-place digamma; returns this. */
  digamma_(): this { return inplaceOwned(this, () => ops.digamma(this)); }
  /** log(cumsum(exp(x))) along dim, computed stably (torch.logcumsumexp). */
  logcumsumexp(dim: number): Tensor { return ops.logcumsumexp(this, dim); }
  /** Running maximum along dim and where it was attained, as { values, indices } (torch.cummax). */
  cummax(dim: number): ValuesIndices { return ops.cummax(this, dim); }
  /** Running minimum along dim and where it was attained, as { values, indices } (torch.cummin). */
  cummin(dim: number): ValuesIndices { return ops.cummin(this, dim); }
  /** A view of the offset diagonal of dims dim1 and dim2, as a new last dim (torch.diagonal). */
  diagonal(offset = 0, dim1 = 0, dim2 = 1): Tensor { return ops.diagonal(this, offset, dim1, dim2); }
  /** A 1-D tensor becomes a square matrix with it on the `diagonal`-th diagonal; a matrix gives that diagonal as a copy (torch.diag). */
  diag(diagonal = 0): Tensor { return ops.diag(this, diagonal); }
  /** Sum of the main diagonal of a matrix (torch.trace). */
  trace(): Tensor { return ops.trace(this); }
  /** x.det(): determinant of each square matrix (torch.linalg.det). */
  det(): Tensor { return ops.det(this); }
  /** x.svd(some = true, computeUv = true): { U, S, V } (torch.svd, PyTorch's deprecated form of linalg.svd). */
  svd(some: boolean | { some?: boolean; computeUv?: boolean } = true, computeUv = true): ops.SvdResult { return ops.svd(this, some, computeUv); }
  /** x.inverse(): inverse of each square matrix (torch.linalg.inv). */
  inverse(): Tensor { return ops.inverse(this); }
  /** x.slogdet(): { sign, logabsdet } (torch.linalg.slogdet). */
  slogdet(): ops.SlogdetResult { return ops.slogdet(this); }
  /** x.matrixExp(): matrix exponential (torch.linalg.matrix_exp). */
  matrixExp(): Tensor { return ops.matrixExp(this); }
  /** x.matrixPower(n): A^n (torch.linalg.matrix_power). */
  matrixPower(n: number): Tensor { return ops.matrixPower(this, n); }
  /** Cross product of 3-vectors along dim (default: the first dim of size 3) (torch.cross). */
  cross(other: Tensor, dim?: number | null): Tensor { return ops.cross(this, other, dim); }
  /** Kronecker product (torch.kron). */
  kron(other: Tensor): Tensor { return ops.kron(this, other); }
  /** n-th forward difference along dim, after concatenating opts.prepend/append (torch.diff). */
  diff(n = 1, dim = -1, opts?: { prepend?: Tensor | null; append?: Tensor | null }): Tensor { return ops.diff(this, n, dim, opts); }
  /** Counts of each value 0..max(x) (at least minlength bins), or sums of weights (synchronous devices only; see bincountAsync) (torch.bincount). */
  bincount(weights?: Tensor | null | { weights?: Tensor | null; minlength?: number }, minlength = 0): Tensor { return ops.bincount(this, weights, minlength); }
  /** torchlet addition: bincount on any device (max(x) is read asynchronously). */
  bincountAsync(weights?: Tensor | null | { weights?: Tensor | null; minlength?: number }, minlength = 0): Promise<Tensor> { return ops.bincountAsync(this, weights, minlength); }
  /** Sorted distinct values, with inverse and counts when opts ask (synchronous devices only; see uniqueAsync) (torch.unique). */
  unique(opts?: ops.UniqueOpts & { returnInverse?: false; returnCounts?: false }): Tensor;
  unique(opts: ops.UniqueOpts): Tensor | Tensor[];
  unique(opts?: ops.UniqueOpts): Tensor | Tensor[] { return ops.unique(this, opts ?? {}); }
  /** torchlet addition: unique on any device (the number of distinct values is read asynchronously). */
  uniqueAsync(opts?: ops.UniqueOpts & { returnInverse?: false; returnCounts?: false }): Promise<Tensor>;
  uniqueAsync(opts: ops.UniqueOpts): Promise<Tensor | Tensor[]>;
  uniqueAsync(opts?: ops.UniqueOpts): Promise<Tensor | Tensor[]> { return ops.uniqueAsync(this, opts ?? {}); }
  /** Collapses runs of equal consecutive values, with inverse and counts when opts ask (synchronous devices only) (torch.unique_consecutive). */
  uniqueConsecutive(opts?: ops.UniqueConsecutiveOpts & { returnInverse?: false; returnCounts?: false }): Tensor;
  uniqueConsecutive(opts: ops.UniqueConsecutiveOpts): Tensor | Tensor[];
  uniqueConsecutive(opts?: ops.UniqueConsecutiveOpts): Tensor | Tensor[] { return ops.uniqueConsecutive(this, opts ?? {}); }
  /** torchlet addition: uniqueConsecutive on any device (the number of runs is read asynchronously). */
  uniqueConsecutiveAsync(opts?: ops.UniqueConsecutiveOpts & { returnInverse?: false; returnCounts?: false }): Promise<Tensor>;
  uniqueConsecutiveAsync(opts: ops.UniqueConsecutiveOpts): Promise<Tensor | Tensor[]>;
  uniqueConsecutiveAsync(opts?: ops.UniqueConsecutiveOpts): Promise<Tensor | Tensor[]> { return ops.uniqueConsecutiveAsync(this, opts ?? {}); }

  // ---------------------------------------------------------------- more of PyTorch's methods (src/ops/extra.ts and aliases)
  /** Number of dimensions (alias of dim()). */
  ndimension(): number { return this.shape.length; }
  /** Alias of transpose. */
  swapdims(dim0: number, dim1: number): Tensor { return ops.transpose(this, dim0, dim1); }
  /** Alias of abs. */
  absolute(): Tensor { return ops.abs(this); }
  /** Returns this tensor itself (+x; refused for bool) (torch.positive). */
  positive(): Tensor { return ops.positive(this); }
  /** Alias of acos. */
  arccos(): Tensor { return ops.acos(this); }
  /** Alias of asin. */
  arcsin(): Tensor { return ops.asin(this); }
  /** Alias of atan. */
  arctan(): Tensor { return ops.atan(this); }
  /** Alias of atan2. */
  arctan2(other: TensorOrScalar): Tensor { return ops.atan2(this, other); }
  /** Alias of acosh. */
  arccosh(): Tensor { return ops.acosh(this); }
  /** Alias of asinh. */
  arcsinh(): Tensor { return ops.asinh(this); }
  /** Alias of atanh. */
  arctanh(): Tensor { return ops.atanh(this); }
  /** Elementwise sin(pi x) / (pi x), 1 at 0 (torch.sinc). */
  sinc(): Tensor { return ops.sinc(this); }
  /** Elementwise log(x / (1 - x)), x first clamped to [eps, 1 - eps] when eps is given (torch.logit). */
  logit(eps: number | null | { eps?: number | null } = null): Tensor { return ops.logit(this, eps); }
  /** Elementwise conversion from degrees to radians (torch.deg2rad). */
  deg2rad(): Tensor { return ops.deg2rad(this); }
  /** Elementwise conversion from radians to degrees (torch.rad2deg). */
  rad2deg(): Tensor { return ops.rad2deg(this); }
  /** Bool tensor, true where the sign bit is set (negatives and -0) (torch.signbit). */
  signbit(): Tensor { return ops.signbit(this); }
  /** Elementwise |this| with the sign of other, as a floating tensor (torch.copysign). */
  copysign(other: TensorOrScalar): Tensor { return ops.copysign(this, other); }
  /** Step function: 0 below 0, 1 above, `values` at 0 (torch.heaviside). */
  heaviside(values: Tensor): Tensor { return ops.heaviside(this, values); }
  /** Elementwise this ** exponent computed in float64 (torch.float_power). */
  floatPower(exponent: TensorOrScalar): Tensor { return ops.floatPower(this, exponent); }
  /** Reverses the order along dim 1 (left/right) (torch.fliplr). */
  fliplr(): Tensor { return ops.fliplr(this); }
  /** Reverses the order along dim 0 (up/down) (torch.flipud). */
  flipud(): Tensor { return ops.flipud(this); }
  /** Rotates by 90 degrees k times in the plane of dims, from the first towards the second (torch.rot90). */
  rot90(k = 1, dims: readonly number[] = [0, 1]): Tensor { return ops.rot90(this, k, dims); }
  /** Windows of `size` every `step` along dim, as a new last dim (a copy, not PyTorch's strided view). */
  unfold(dimension: number, size: number, step: number): Tensor { return ops.unfold(this, dimension, size, step); }
  /** Repeats each element (along dim, or of the flattened tensor) `repeats` times (torch.repeat_interleave). */
  repeatInterleave(repeats: Tensor | number, dim?: number | null, opts?: ops.RepeatInterleaveOpts): Tensor { return ops.repeatInterleave(this, repeats, dim, opts); }
  /** Elements of the flattened tensor at index, in index's shape (torch.take). */
  take(index: Tensor): Tensor { return ops.take(this, index); }
  /** A copy with source written (or added with accumulate) at index of the flattened tensor (torch.Tensor.put). */
  put(index: Tensor, source: Tensor, opts?: { accumulate?: boolean }): Tensor { return ops.put(this, index, source, opts); }
  /** Gathers values at indices along dim, broadcasting the other dims; both flattened without dim (torch.take_along_dim). */
  takeAlongDim(indices: Tensor, dim?: number | null): Tensor { return ops.takeAlongDim(this, indices, dim); }
  /** Positions of the nonzero elements as an [n, ndim] int32 tensor (synchronous devices only; torch.argwhere). */
  argwhere(): Tensor { return ops.argwhere(this); }
  /** narrow(dim, start, length) as a fresh contiguous copy (torch.narrow_copy). */
  narrowCopy(dim: number, start: number, length: number): Tensor { return ops.narrowCopy(this, dim, start, length); }
  /** A copy with values written (or added with accumulate) at the positions given by an index tensor per leading dim (torch.index_put). */
  indexPut(indices: readonly (Tensor | null)[], values: Tensor, opts?: { accumulate?: boolean }): Tensor { return ops.indexPut(this, indices, values, opts); }
  /** A copy with source's leading elements written, in order, where mask is true (torch.masked_scatter). */
  maskedScatter(mask: Tensor, source: Tensor): Tensor { return ops.maskedScatter(this, mask, source); }
  /** The q-th quantiles over all elements or along dim, interpolated per opts.interpolation (torch.quantile). */
  quantile(q: number | Tensor, dim?: number | null, keepdim = false, opts?: ops.QuantileOpts): Tensor { return ops.quantile(this, q, dim, keepdim, opts); }
  /** quantile ignoring NaN values (torch.nanquantile). */
  nanquantile(q: number | Tensor, dim?: number | null, keepdim = false, opts?: ops.QuantileOpts): Tensor { return ops.nanquantile(this, q, dim, keepdim, opts); }
  /** Median ignoring NaN; with dim, { values, indices } along it (torch.nanmedian). */
  nanmedian(): Tensor;
  nanmedian(dim: number, keepdim?: boolean): ValuesIndices;
  nanmedian(dim?: number, keepdim = false): Tensor | ValuesIndices { return dim === undefined ? ops.nanmedian(this) : ops.nanmedian(this, dim, keepdim); }
  /** beta * this + alpha * (mat @ vec) (torch.addmv; beta and alpha in an options object). */
  addmv(mat: Tensor, vec: Tensor, opts?: { beta?: number; alpha?: number }): Tensor { return ops.addmv(this, mat, vec, opts); }
  /** beta * this + alpha * outer(vec1, vec2) (torch.addr; beta and alpha in an options object). */
  addr(vec1: Tensor, vec2: Tensor, opts?: { beta?: number; alpha?: number }): Tensor { return ops.addr(this, vec1, vec2, opts); }
  /** beta * this + alpha * bmm(batch1, batch2) (torch.baddbmm; beta and alpha in an options object). */
  baddbmm(batch1: Tensor, batch2: Tensor, opts?: { beta?: number; alpha?: number }): Tensor { return ops.baddbmm(this, batch1, batch2, opts); }
  /** beta * this + alpha * (sum over the batch of batch1[i] @ batch2[i]) (torch.addbmm). */
  addbmm(batch1: Tensor, batch2: Tensor, opts?: { beta?: number; alpha?: number }): Tensor { return ops.addbmm(this, batch1, batch2, opts); }
  /** In-place put: writes (or adds with accumulate) source at index of the flattened tensor; returns this. */
  put_(index: Tensor, source: Tensor, opts?: { accumulate?: boolean }): this { return inplaceOwned(this, () => ops.put(this, index, source, opts)); }
  /** In-place indexPut: writes (or adds with accumulate) values at the indexed positions; returns this. */
  indexPut_(indices: readonly (Tensor | null)[], values: Tensor, opts?: { accumulate?: boolean }): this { return inplaceOwned(this, () => ops.indexPut(this, indices, values, opts)); }
  /** In-place maskedScatter: copies source's leading elements where mask is true; returns this. */
  maskedScatter_(mask: Tensor, source: Tensor): this { return inplaceOwned(this, () => ops.maskedScatter(this, mask, source)); }

  // ---------------------------------------------------------------- indexing
  /** A copy of the entries at the 1-D index along dim (torch.index_select). */
  indexSelect(dim: number, index: Tensor): Tensor { return ops.indexSelect(this, dim, index); }
  /** Values along dim at the positions given by index: out[i][j] = this[index[i][j]][j] for dim 0 (torch.gather). */
  gather(dim: number, index: Tensor): Tensor { return ops.gather(this, dim, index); }
  /** A copy with src's values (or a scalar) written at index along dim, or combined with opts.reduce (torch.scatter). */
  scatter(dim: number, index: Tensor, src: TensorOrScalar, opts?: { reduce?: 'add' | 'multiply' }): Tensor { return ops.scatter(this, dim, index, src, opts); }
  /** A copy with src's values added at index along dim (torch.scatter_add). */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return ops.scatterAdd(this, dim, index, src); }
  /** A copy with src's values combined in at index along dim by reduce 'sum' | 'prod' | 'mean' | 'amax' | 'amin'; options { includeSelf } (torch.scatter_reduce). */
  scatterReduce(dim: number, index: Tensor, src: Tensor, reduce: ops.ScatterReduceOp, opts?: ops.ScatterReduceOpts): Tensor { return ops.scatterReduce(this, dim, index, src, reduce, opts); }
  /** A copy with source's slices written at the 1-d index along dim (torch.index_copy). */
  indexCopy(dim: number, index: Tensor, source: Tensor): Tensor { return ops.indexCopy(this, dim, index, source); }
  /** Counts of the elements in `bins` equal-width bins over [min, max] (the data's range when min == max) (torch.histc). */
  histc(bins: number | ops.HistcOpts = 100, min = 0, max = 0): Tensor { return ops.histc(this, bins, min, max); }
  /** The p-norm of this - other (torch.dist). */
  dist(other: Tensor, p: number = 2): Tensor { return ops.dist(this, other, p); }
  /** A copy with alpha * source added at the 1-D index along dim (torch.index_add). */
  indexAdd(dim: number, index: Tensor, source: Tensor, opts?: { alpha?: number }): Tensor { return ops.indexAdd(this, dim, index, source, opts); }
  /** The elements where mask is true, as a 1-D tensor (synchronous devices only; see maskedSelectAsync) (torch.masked_select). */
  maskedSelect(mask: Tensor): Tensor { return ops.maskedSelect(this, mask); }
  /** Positions of the nonzero elements as an [n, ndim] int32 tensor (synchronous devices only; see nonzeroAsync) (torch.nonzero). */
  nonzero(opts?: { asTuple?: false }): Tensor;
  nonzero(opts: { asTuple?: true }): Tensor[];
  nonzero(opts: { asTuple?: boolean }): Tensor | Tensor[];
  nonzero(opts: { asTuple?: boolean } = {}): Tensor | Tensor[] { return ops.nonzero(this, opts); }
  /** torchlet addition: maskedSelect on any device (the result's size is read asynchronously). */
  maskedSelectAsync(mask: Tensor): Promise<Tensor> { return ops.maskedSelectAsync(this, mask); }
  /** torchlet addition: nonzero on any device (the result's size is read asynchronously). */
  nonzeroAsync(opts?: { asTuple?: false }): Promise<Tensor>;
  nonzeroAsync(opts: { asTuple?: true }): Promise<Tensor[]>;
  nonzeroAsync(opts: { asTuple?: boolean }): Promise<Tensor | Tensor[]>;
  nonzeroAsync(opts: { asTuple?: boolean } = {}): Promise<Tensor | Tensor[]> { return ops.nonzeroAsync(this, opts); }
  /** Sorted values and their original indices along dim as { values, indices }; opts may give descending and stable (torch.sort). */
  sort(dim: number | ops.SortOpts = -1, descending: boolean | ops.SortOpts = false, opts?: ops.SortOpts): ValuesIndices { return ops.sort(this, dim, descending, opts); }
  /** Indices that sort the tensor along dim (torch.argsort). */
  argsort(dim: number | ops.SortOpts = -1, descending: boolean | ops.SortOpts = false, opts?: ops.SortOpts): Tensor { return ops.argsort(this, dim, descending, opts); }
  /** The k largest (or smallest) elements along dim as { values, indices } (torch.topk). */
  topk(k: number, dim: number | ops.TopkOpts = -1, largest: boolean | ops.TopkOpts = true, sorted = true): ValuesIndices { return ops.topk(this, k, dim, largest, sorted); }
  /** PyTorch indexing t[i, :, 1:3]: numbers select, null keeps a dim, [start, end, step?] slices, Tensors index. */
  index(...indices: ops.IndexArg[]): Tensor { return ops.index(this, ...indices); }
  /** torchlet addition: index(...) on any device, bool masks included (their nonzero count is read asynchronously). */
  indexAsync(...indices: ops.IndexArg[]): Promise<Tensor> { return ops.indexAsync(this, ...indices); }

  // ---------------------------------------------------------------- in-place
  /** In-place add: this += alpha * other; returns this. */
  add_(other: TensorOrScalar, opts?: { alpha?: number }): this { return inplaceOwned(this, () => ops.add(this, other, opts)); }
  /** In-place sub: this -= alpha * other; returns this. */
  sub_(other: TensorOrScalar, opts?: { alpha?: number }): this { return inplaceOwned(this, () => ops.sub(this, other, opts)); }
  /** In-place mul: this *= other; returns this. */
  mul_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.mul(this, other)); }
  /** In-place div (with optional roundingMode); returns this. */
  div_(other: TensorOrScalar, opts?: { roundingMode?: 'trunc' | 'floor' | null }): this { return inplaceOwned(this, () => ops.div(this, other, opts)); }
  /** In-place pow: this = this ** exponent; returns this. */
  pow_(exponent: TensorOrScalar): this { return inplaceOwned(this, () => ops.pow(this, exponent)); }
  /** In-place neg; returns this. */
  neg_(): this { return inplaceOwned(this, () => ops.neg(this)); }
  /** In-place abs; returns this. */
  abs_(): this { return inplaceOwned(this, () => ops.abs(this)); }
  /** In-place exp; returns this. */
  exp_(): this { return inplaceOwned(this, () => ops.exp(this)); }
  /** In-place log; returns this. */
  log_(): this { return inplaceOwned(this, () => ops.log(this)); }
  /** In-place sqrt; returns this. */
  sqrt_(): this { return inplaceOwned(this, () => ops.sqrt(this)); }
  /** In-place sigmoid; returns this. */
  sigmoid_(): this { return inplaceOwned(this, () => ops.sigmoid(this)); }
  /** In-place tanh; returns this. */
  tanh_(): this { return inplaceOwned(this, () => ops.tanh(this)); }
  /** In-place relu; returns this. */
  relu_(): this { return inplaceOwned(this, () => ops.relu(this)); }
  /** In-place floor; returns this. */
  floor_(): this { return inplaceOwned(this, () => ops.floor(this)); }
  /** In-place round (with optional decimals); returns this. */
  round_(opts?: { decimals?: number }): this { return inplaceOwned(this, () => ops.round(this, opts)); }
  /** In-place clamp into [min, max]; returns this. */
  clamp_(min?: TensorOrScalar | null | ops.ClampOpts, max?: TensorOrScalar | null): this { return inplaceOwned(this, () => ops.clamp(this, min, max)); }
  /** Alias of clamp_; returns this. */
  clip_(min?: TensorOrScalar | null | ops.ClampOpts, max?: TensorOrScalar | null): this { return inplaceOwned(this, () => ops.clamp(this, min, max)); }
  /** In-place clampMin; returns this. */
  clampMin_(min: TensorOrScalar): this { return inplaceOwned(this, () => ops.clampMin(this, min)); }
  /** In-place clampMax; returns this. */
  clampMax_(max: TensorOrScalar): this { return inplaceOwned(this, () => ops.clampMax(this, max)); }
  // The rest of PyTorch's elementwise in-place methods: computed out of place, copied into self
  // (so the result dtype must cast to self's, as in PyTorch).
  /** In-place sin; returns this. */
  sin_(): this { return inplaceOwned(this, () => ops.sin(this)); }
  /** In-place cos; returns this. */
  cos_(): this { return inplaceOwned(this, () => ops.cos(this)); }
  /** In-place tan; returns this. */
  tan_(): this { return inplaceOwned(this, () => ops.tan(this)); }
  /** In-place asin; returns this. */
  asin_(): this { return inplaceOwned(this, () => ops.asin(this)); }
  /** In-place acos; returns this. */
  acos_(): this { return inplaceOwned(this, () => ops.acos(this)); }
  /** In-place atan; returns this. */
  atan_(): this { return inplaceOwned(this, () => ops.atan(this)); }
  /** In-place sinh; returns this. */
  sinh_(): this { return inplaceOwned(this, () => ops.sinh(this)); }
  /** In-place cosh; returns this. */
  cosh_(): this { return inplaceOwned(this, () => ops.cosh(this)); }
  /** In-place asinh; returns this. */
  asinh_(): this { return inplaceOwned(this, () => ops.asinh(this)); }
  /** In-place acosh; returns this. */
  acosh_(): this { return inplaceOwned(this, () => ops.acosh(this)); }
  /** In-place atanh; returns this. */
  atanh_(): this { return inplaceOwned(this, () => ops.atanh(this)); }
  /** In-place exp2; returns this. */
  exp2_(): this { return inplaceOwned(this, () => ops.exp2(this)); }
  /** In-place expm1; returns this. */
  expm1_(): this { return inplaceOwned(this, () => ops.expm1(this)); }
  /** In-place log1p; returns this. */
  log1p_(): this { return inplaceOwned(this, () => ops.log1p(this)); }
  /** In-place log2; returns this. */
  log2_(): this { return inplaceOwned(this, () => ops.log2(this)); }
  /** In-place log10; returns this. */
  log10_(): this { return inplaceOwned(this, () => ops.log10(this)); }
  /** In-place rsqrt; returns this. */
  rsqrt_(): this { return inplaceOwned(this, () => ops.rsqrt(this)); }
  /** In-place square; returns this. */
  square_(): this { return inplaceOwned(this, () => ops.square(this)); }
  /** In-place reciprocal; returns this. */
  reciprocal_(): this { return inplaceOwned(this, () => ops.reciprocal(this)); }
  /** In-place erf; returns this. */
  erf_(): this { return inplaceOwned(this, () => ops.erf(this)); }
  /** In-place erfinv; returns this. */
  erfinv_(): this { return inplaceOwned(this, () => ops.erfinv(this)); }
  /** In-place ceil; returns this. */
  ceil_(): this { return inplaceOwned(this, () => ops.ceil(this)); }
  /** In-place trunc; returns this. */
  trunc_(): this { return inplaceOwned(this, () => ops.trunc(this)); }
  /** In-place frac; returns this. */
  frac_(): this { return inplaceOwned(this, () => ops.frac(this)); }
  /** In-place sign; returns this. */
  sign_(): this { return inplaceOwned(this, () => ops.sign(this)); }
  /** Alias of neg_; returns this. */
  negative_(): this { return inplaceOwned(this, () => ops.neg(this)); }
  /** In-place minimum with other; returns this. */
  minimum_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.minimum(this, other)); }
  /** In-place fmod; returns this. */
  fmod_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.fmod(this, other)); }
  /** In-place remainder; returns this. */
  remainder_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.remainder(this, other)); }
  /** In-place atan2; returns this. */
  atan2_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.atan2(this, other)); }
  /** In-place floorDivide; returns this. */
  floorDivide_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.floorDivide(this, other)); }
  /** In-place eq: 1 where this == other, else 0, in this tensor's dtype; returns this. */
  eq_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.eq(this, other).to(this.dtype)); }
  /** In-place ne: 1 where this != other, else 0, in this tensor's dtype; returns this. */
  ne_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.ne(this, other).to(this.dtype)); }
  /** In-place lt: 1 where this < other, else 0, in this tensor's dtype; returns this. */
  lt_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.lt(this, other).to(this.dtype)); }
  /** In-place le: 1 where this <= other, else 0, in this tensor's dtype; returns this. */
  le_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.le(this, other).to(this.dtype)); }
  /** In-place gt: 1 where this > other, else 0, in this tensor's dtype; returns this. */
  gt_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.gt(this, other).to(this.dtype)); }
  /** In-place ge: 1 where this >= other, else 0, in this tensor's dtype; returns this. */
  ge_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.ge(this, other).to(this.dtype)); }
  /** In-place logicalNot, stored in this tensor's dtype; returns this. */
  logicalNot_(): this { return inplaceOwned(this, () => ops.logicalNot(this).to(this.dtype)); }
  /** In-place logicalAnd, stored in this tensor's dtype; returns this. */
  logicalAnd_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.logicalAnd(this, other).to(this.dtype)); }
  /** In-place logicalOr, stored in this tensor's dtype; returns this. */
  logicalOr_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.logicalOr(this, other).to(this.dtype)); }
  /** In-place nanToNum; returns this. */
  nanToNum_(opts?: { nan?: number; posinf?: number; neginf?: number }): this { return inplaceOwned(this, () => ops.nanToNum(this, opts)); }
  /** In-place indexFill: writes value at index along dim; returns this. */
  indexFill_(dim: number, index: Tensor, value: TensorOrScalar): this { return inplaceOwned(this, () => ops.indexFill(this, dim, index, value)); }
  /** In-place lerp towards end by weight; returns this. */
  lerp_(end: TensorOrScalar, weight: TensorOrScalar): this { return inplaceOwned(this, () => ops.lerp(this, end, weight)); }
  /** In-place addcmul: this += value * t1 * t2; returns this. */
  addcmul_(t1: Tensor, t2: Tensor, opts?: { value?: number }): this { return inplaceOwned(this, () => ops.addcmul(this, t1, t2, opts)); }
  /** In-place addcdiv: this += value * t1 / t2; returns this. */
  addcdiv_(t1: Tensor, t2: Tensor, opts?: { value?: number }): this { return inplaceOwned(this, () => ops.addcdiv(this, t1, t2, opts)); }
  /** In-place maximum with other; returns this. */
  maximum_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.maximum(this, other)); }
  /** In-place maskedFill: writes value where mask is true; returns this. */
  maskedFill_(mask: Tensor, value: TensorOrScalar): this { return inplaceOwned(this, () => ops.maskedFill(this, mask, value)); }
  /** In-place scatter along dim (optionally with opts.reduce); returns this. */
  scatter_(dim: number, index: Tensor, src: TensorOrScalar, opts?: { reduce?: 'add' | 'multiply' }): this { return inplaceOwned(this, () => ops.scatter(this, dim, index, src, opts)); }
  /** In-place scatterAdd along dim; returns this. */
  scatterAdd_(dim: number, index: Tensor, src: Tensor): this { return inplaceOwned(this, () => ops.scatterAdd(this, dim, index, src)); }
  /** In-place scatterReduce along dim; returns this. */
  scatterReduce_(dim: number, index: Tensor, src: Tensor, reduce: ops.ScatterReduceOp, opts?: ops.ScatterReduceOpts): this { return inplaceOwned(this, () => ops.scatterReduce(this, dim, index, src, reduce, opts)); }
  /** In-place indexCopy: writes source's slices at index along dim; returns this. */
  indexCopy_(dim: number, index: Tensor, source: Tensor): this { return inplaceOwned(this, () => ops.indexCopy(this, dim, index, source)); }
  /** In-place indexAdd: adds alpha * source at index along dim; returns this. */
  indexAdd_(dim: number, index: Tensor, source: Tensor, opts?: { alpha?: number }): this { return inplaceOwned(this, () => ops.indexAdd(this, dim, index, source, opts)); }
  /** Copies src's values into this tensor, broadcasting src and converting its dtype and device; returns this. */
  copy_(src: Tensor): this { return ops.inplace(this, ops.expand(ops.to(src, this.device, { dtype: this.dtype }), this.shape)); }
  /** Fills with a scalar (or 0-D tensor) value in place; returns this. */
  fill_(value: TensorOrScalar): this { return ops.fill_(this, value); }
  /** Fills with zeros in place; returns this. */
  zero_(): this { return ops.fill_(this, 0); }
  /** Fills in place with samples from the uniform distribution on [from, to); returns this. */
  uniform_(from = 0, to = 1, opts: { generator?: Generator | null } = {}): this { return inplaceOwned(this, () => ops.rand(this.shape, { dtype: this.dtype, device: this.device, generator: opts.generator }).mul(to - from).add(from), true); }
  /** Fills in place with samples from the normal distribution N(mean, std^2); returns this. */
  normal_(mean = 0, std = 1, opts: { generator?: Generator | null } = {}): this { return inplaceOwned(this, () => ops.randn(this.shape, { dtype: this.dtype, device: this.device, generator: opts.generator }).mul(std).add(mean), true); }
  /** Fills in place with 1 with probability p (a number, or a tensor broadcast to this shape), else 0; returns this; options { generator }. */
  bernoulli_(p: number | Tensor = 0.5, opts: { generator?: Generator | null } = {}): this {
    // Integer tensors may be filled too (PyTorch allows it): the draw is made in a floating dtype.
    return inplaceOwned(this, () => {
      const dtype = this.isFloatingPoint() ? this.dtype : 'float32';
      const probs = typeof p === 'number' ? null : ops.expand(ops.to(p, this.device, { dtype }), this.shape).detach();
      return (probs ? ops.bernoulli(probs, opts) : ops.bernoulli(ops.empty_(this.shape, { dtype, device: this.device }), p as number, opts)).to(this.dtype);
    }, true);
  }
  /** 0/1 samples with this tensor's values as probabilities, or with the probability p (torch.bernoulli); options { generator }. */
  bernoulli(p?: number | ops.BernoulliOpts, opts?: ops.BernoulliOpts): Tensor { return ops.bernoulli(this, p, opts); }
  /** numSamples category indices per row drawn with the row's nonnegative weights (with opts.replacement or without) (torch.multinomial); options { replacement, generator }. */
  multinomial(numSamples: number, opts: { replacement?: boolean; generator?: Generator | null } = {}): Tensor { return ops.multinomial(this, numSamples, opts); }
  /** Not supported (in-place views): always throws; use t = t.t(). */
  t_(): never { throw new Error('t_: in-place views are not supported; use t = t.t()'); }
}

/** Type guard used by tidy and containers. */
export function isTensor(x: unknown): x is Tensor { return x instanceof Tensor; }

/**
 * The body of the in-place methods: `compute` builds the new value out of place (in an owned scope:
 * its temporaries are freed, or handed to the graph when autograd saved them), then it is copied
 * into self; without autograd the out-of-place result is freed too.
 */
function inplaceOwned<T extends Tensor>(self: T, compute: () => Tensor, isRandomFill = false): T {
  const r = ownedScope(compute, 'an in-place op', isTensor);
  if (!r.requiresGrad) return ops.inplace(self, r, isRandomFill, true);
  ops.inplace(self, r, isRandomFill);
  if (r !== self && r.storage !== self.storage) giveToGraph(r); // only a backward node may still need it
  return self;
}

hintSnakeCase(Tensor);
hintMissing(Tensor, {
  numpy: 'there is no NumPy in JavaScript; `await t.data()` gives a TypedArray (`t.dataSync()` on the CPU), `await t.tolist()` nested arrays',
});

// PyTorch's `.data` is a detached alias that can also be assigned (`p.data = t` replaces p's values):
// here `data` is the asynchronous read. An assignment would silently shadow the method with an own
// property and change nothing, and `p.data.mul_(...)` would say only "not a function", so both say
// what to write instead.
{
  const read = Tensor.prototype.data;
  const hint = "Tensor.data is torchlet's asynchronous read (`await t.data()`), not PyTorch's detached alias";
  const readWithHints = new Proxy(read, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && !(prop in target) && typeof (Tensor.prototype as unknown as Record<string, unknown>)[prop] === 'function') {
        throw new TypeError(`${hint}: for PyTorch's t.data.${prop}(...) write t.detach().${prop}(...), or call it inside torch.noGrad(() => ...)`);
      }
      return Reflect.get(target, prop, receiver);
    },
  });
  Object.defineProperty(Tensor.prototype, 'data', {
    configurable: true,
    enumerable: false,
    get() { return readWithHints; },
    set(_v: unknown) {
      throw new TypeError(`${hint}: to replace a tensor's values as PyTorch's \`p.data = t\` does, write torch.noGrad(() => p.copy_(t)) (same shape)`);
    },
  });
}
