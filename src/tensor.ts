// Tensor: a strided view (shape, strides, offset, dtype) on a device Storage, plus autograd state.
// Contract: views share storage and its version counter; every op is also a method here that
// forwards to src/ops (the single implementation); reading data is async (`await t.data()`),
// with synchronous variants only on the CPU.

import type { Device, View } from './backends/backend.js';
import { getBackend } from './backends/registry.js';
import { f16BitsToF32, type DType, type TypedArray } from './dtype.js';
import { Storage, ownedScope, giveToGraph, adopt, allocate, release, releasedError, yieldToFinalizers, opContext } from './memory.js';
import { contiguousStrides, fmtShape, isContiguous, normDim, numel } from './shape.js';
import { AccumulateGrad, type Edge, type Hook, type Node } from './autograd/graph.js';
import { isGradEnabled } from './autograd/grad-mode.js';
import { formatTensor } from './format.js';
import * as ops from './ops/index.js';
import { backward as autogradBackward, isOptionsObject, type BackwardOptions } from './autograd/api.js';
import type { Scalar, TensorOrScalar, ValuesIndices, NestedArray, ReduceOpts, NormOrd, NormOpts } from './ops/types.js';

export type { Scalar, TensorOrScalar, ValuesIndices, NestedArray };
type Dims = number | readonly number[];
type ShapeArgs = (number | readonly number[])[];

export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
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
    const backend = getBackend(device);
    const n = numel(shape);
    const itemBytes = dtype === 'float64' ? 8 : dtype === 'float32' || dtype === 'int32' ? 4 : dtype === 'float16' ? 2 : 1;
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
    return { buf: this.storage.buf, dtype: this.dtype, shape: this.shape, strides: this.strides_, offset: this.offset };
  }

  // ---------------------------------------------------------------- properties
  get ndim(): number { return this.shape.length; }
  dim(): number { return this.shape.length; }
  numel(): number { return numel(this.shape); }
  nelement(): number { return this.numel(); }
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    return dim === undefined ? [...this.shape] : this.shape[normDim(dim, this.ndim, 'size')] ?? 1;
  }
  stride(): number[];
  stride(dim: number): number;
  stride(dim?: number): number[] | number {
    return dim === undefined ? [...this.strides_] : this.strides_[normDim(dim, this.ndim, 'stride')] ?? 1;
  }
  storageOffset(): number { return this.offset; }
  isContiguous(): boolean { return isContiguous(this.shape, this.strides_); }
  isFloatingPoint(): boolean { return this.dtype === 'float32' || this.dtype === 'float64' || this.dtype === 'float16'; }
  elementSize(): number { return this.dtype === 'float64' ? 8 : this.dtype === 'float32' || this.dtype === 'int32' ? 4 : this.dtype === 'float16' ? 2 : 1; }
  get isLeaf(): boolean { return this.gradFn_ === null; }
  /** @internal version counter shared by views, bumped by in-place ops. */
  get version(): number { return this.storage.version; }

  // ---------------------------------------------------------------- memory
  /** Frees this tensor's reference to its storage now (views keep it alive). Idempotent. */
  dispose(): void { release(this, 'disposed by dispose()'); }
  [Symbol.dispose](): void { this.dispose(); }
  get isDisposed(): boolean { return this.disposed; }

  // ---------------------------------------------------------------- reading
  /** A fresh contiguous copy of the values (float16 comes back as Float32Array). */
  async data(): Promise<TypedArray> {
    const pause = yieldToFinalizers();
    if (pause) await pause;
    const raw = await this.storage.backend.read(this.view_());
    return this.dtype === 'float16' ? Float32Array.from(raw as Uint16Array, f16BitsToF32) : raw;
  }
  /** Synchronous data(); CPU only. */
  dataSync(): TypedArray {
    const b = this.storage.backend;
    if (!b.synchronous || !b.readSync) {
      throw new Error(`dataSync: tensor is on '${this.device}', whose results are asynchronous; use 'await t.data()' instead`);
    }
    const raw = b.readSync(this.view_());
    return this.dtype === 'float16' ? Float32Array.from(raw as Uint16Array, f16BitsToF32) : raw;
  }
  async item(): Promise<number | boolean> { return this.itemOf(await this.data()); }
  itemSync(): number | boolean { return this.itemOf(this.dataSync()); }
  private itemOf(d: TypedArray): number | boolean {
    if (d.length !== 1) throw new RangeError(`item: a Tensor with ${d.length} elements cannot be converted to Scalar`);
    return this.dtype === 'bool' ? d[0] !== 0 : d[0]!;
  }
  async tolist(): Promise<NestedArray> { return this.nest(await this.data()); }
  tolistSync(): NestedArray { return this.nest(this.dataSync()); }
  private nest(d: TypedArray): NestedArray {
    const conv = (v: number) => (this.dtype === 'bool' ? v !== 0 : v);
    const build = (dim: number, off: number): NestedArray => {
      if (dim === this.ndim) return conv(d[off]!);
      const step = numel(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, off + i * step)) as NestedArray;
    };
    return build(0, 0);
  }
  toString(): string {
    if (!this.storage.backend.synchronous) return `tensor(<on ${this.device}: use await t.print()>, shape=${fmtShape(this.shape)}, dtype=${this.dtype})`;
    return formatTensor(this, this.dataSync());
  }
  /** console.log / util.inspect in Node show the PyTorch-style text (no Node import needed). */
  [Symbol.for('nodejs.util.inspect.custom')](): string { return this.disposed ? `tensor(<disposed>, shape=${fmtShape(this.shape)}, dtype=${this.dtype})` : this.toString(); }
  async print(): Promise<void> { console.log(formatTensor(this, await this.data())); }
  async format(): Promise<string> { return formatTensor(this, await this.data()); }

  // ---------------------------------------------------------------- autograd
  get requiresGrad(): boolean { return this.requiresGrad_f || this.gradFn_ !== null; }
  set requiresGrad(v: boolean) { this.requiresGrad_(v); }
  requiresGrad_(requiresGrad = true): this {
    if (!this.isLeaf) {
      if (!requiresGrad) throw new Error('requiresGrad_: you can only change requiresGrad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn\'t require differentiation use detach().');
      return this;
    }
    if (requiresGrad && !this.isFloatingPoint()) {
      throw new TypeError(`requiresGrad_: only Tensors of floating point dtype can require gradients (got ${this.dtype})`);
    }
    this.requiresGrad_f = requiresGrad;
    return this;
  }
  get grad(): Tensor | null { return this.grad_; }
  set grad(g: Tensor | null) {
    if (g && (g.device !== this.device || g.dtype !== this.dtype || g.ndim !== this.ndim || g.shape.some((s, i) => s !== this.shape[i]))) {
      throw new TypeError(`assigned grad has shape ${g ? fmtShape(g.shape) : ''} ${g?.dtype} on ${g?.device}, expected ${fmtShape(this.shape)} ${this.dtype} on ${this.device}`);
    }
    this.setGradInternal(g);
  }
  /** @internal */
  setGradInternal(g: Tensor | null): void {
    if (g) g.kept = true; // gradients outlive the tidy scope they were computed in
    this.grad_ = g;
  }
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
  to(deviceOrDtype: Device | DType | Tensor | ops.ToOpts, opts?: ops.ToOpts): Tensor {
    return ops.to(this, deviceOrDtype, opts);
  }
  cpu(): Tensor { return ops.to(this, 'cpu'); }
  cuda(): Tensor { return ops.to(this, 'cuda'); }
  webgpu(): Tensor { return ops.to(this, 'webgpu'); }
  /** type(dtype) converts; type() names the tensor type as PyTorch does ('torch.FloatTensor'). */
  type(): string;
  type(dtype: DType): Tensor;
  type(dtype?: DType): Tensor | string {
    if (dtype !== undefined) return ops.to(this, dtype);
    const name = ({ float32: 'Float', float64: 'Double', float16: 'Half', int32: 'Int', uint8: 'Byte', bool: 'Bool' } as const)[this.dtype];
    return this.device === 'cpu' ? `torch.${name}Tensor` : `torch.${this.device}.${name}Tensor`;
  }
  float(): Tensor { return ops.to(this, 'float32'); }
  double(): Tensor { return ops.to(this, 'float64'); }
  half(): Tensor { return ops.to(this, 'float16'); }
  int(): Tensor { return ops.to(this, 'int32'); }
  long(): Tensor { return ops.to(this, 'int32'); }
  bool(): Tensor { return ops.to(this, 'bool'); }
  byte(): Tensor { return ops.to(this, 'uint8'); }
  contiguous(): Tensor { return ops.contiguous(this); }
  typeAs(other: Tensor): Tensor { return ops.to(this, other.dtype); }
  // new*: tensors with this one's dtype and device unless opts say otherwise (PyTorch's Tensor.new_*).
  newZeros(...args: (number | readonly number[] | ops.CreateOpts)[]): Tensor { return this.newFill(args, 0); }
  newOnes(...args: (number | readonly number[] | ops.CreateOpts)[]): Tensor { return this.newFill(args, 1); }
  newEmpty(...args: (number | readonly number[] | ops.CreateOpts)[]): Tensor { return this.newFill(args, 0); }
  newFull(size: readonly number[], fillValue: Scalar, opts: ops.CreateOpts = {}): Tensor {
    return ops.full(size, fillValue, { dtype: this.dtype, device: this.device, ...opts });
  }
  newTensor(data: NestedArray, opts: ops.CreateOpts = {}): Tensor { return ops.tensor(data, { dtype: this.dtype, device: this.device, ...opts }); }
  private newFill(args: (number | readonly number[] | ops.CreateOpts)[], value: number): Tensor {
    const last = args[args.length - 1];
    const opts = typeof last === 'object' && last !== null && !Array.isArray(last) ? (args.pop() as ops.CreateOpts) : {};
    const shape = args.flatMap((a) => (typeof a === 'number' ? [a] : [...(a as readonly number[])]));
    return ops.full(shape, value, { dtype: this.dtype, device: this.device, ...opts });
  }
  clone(): Tensor { return ops.clone(this); }

  // ---------------------------------------------------------------- views and shape
  view(...shape: ShapeArgs): Tensor { return ops.view(this, ...shape); }
  viewAs(other: Tensor): Tensor { return ops.view(this, other.shape); }
  reshape(...shape: ShapeArgs): Tensor { return ops.reshape(this, ...shape); }
  reshapeAs(other: Tensor): Tensor { return ops.reshape(this, other.shape); }
  transpose(dim0: number, dim1: number): Tensor { return ops.transpose(this, dim0, dim1); }
  swapaxes(dim0: number, dim1: number): Tensor { return ops.transpose(this, dim0, dim1); }
  permute(...dims: ShapeArgs): Tensor { return ops.permute(this, ...dims); }
  get T(): Tensor { return ops.permute(this, [...this.shape.keys()].reverse()); }
  get mT(): Tensor { return ops.transpose(this, -2, -1); }
  t(): Tensor { return ops.t(this); }
  expand(...shape: ShapeArgs): Tensor { return ops.expand(this, ...shape); }
  expandAs(other: Tensor): Tensor { return ops.expand(this, other.shape); }
  broadcastTo(...shape: ShapeArgs): Tensor { return ops.expand(this, ...shape); }
  narrow(dim: number, start: number, length: number): Tensor { return ops.narrow(this, dim, start, length); }
  select(dim: number, index: number): Tensor { return ops.select(this, dim, index); }
  slice(dim: number, start?: number | null, end?: number | null, step?: number): Tensor { return ops.slice(this, dim, start, end, step); }
  squeeze(dim?: Dims): Tensor { return ops.squeeze(this, dim); }
  unsqueeze(dim: number): Tensor { return ops.unsqueeze(this, dim); }
  flatten(startDim = 0, endDim = -1): Tensor { return ops.flatten(this, startDim, endDim); }
  unflatten(dim: number, sizes: readonly number[]): Tensor { return ops.unflatten(this, dim, sizes); }
  movedim(source: Dims, destination: Dims): Tensor { return ops.movedim(this, source, destination); }
  moveaxis(source: Dims, destination: Dims): Tensor { return ops.movedim(this, source, destination); }
  split(splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] { return ops.split(this, splitSizeOrSections, dim); }
  chunk(chunks: number, dim = 0): Tensor[] { return ops.chunk(this, chunks, dim); }
  unbind(dim = 0): Tensor[] { return ops.unbind(this, dim); }
  flip(...dims: ShapeArgs): Tensor { return ops.flip(this, ...dims); }
  roll(shifts: Dims, dims?: Dims): Tensor { return ops.roll(this, shifts, dims); }
  repeat(...sizes: ShapeArgs): Tensor { return ops.repeat(this, ...sizes); }
  tile(...sizes: ShapeArgs): Tensor { return ops.tile(this, ...sizes); }
  tril(diagonal = 0): Tensor { return ops.tril(this, diagonal); }
  triu(diagonal = 0): Tensor { return ops.triu(this, diagonal); }

  // ---------------------------------------------------------------- unary math
  neg(): Tensor { return ops.neg(this); }
  negative(): Tensor { return ops.neg(this); }
  abs(): Tensor { return ops.abs(this); }
  sign(): Tensor { return ops.sign(this); }
  exp(): Tensor { return ops.exp(this); }
  exp2(): Tensor { return ops.exp2(this); }
  expm1(): Tensor { return ops.expm1(this); }
  log(): Tensor { return ops.log(this); }
  log1p(): Tensor { return ops.log1p(this); }
  log2(): Tensor { return ops.log2(this); }
  log10(): Tensor { return ops.log10(this); }
  sqrt(): Tensor { return ops.sqrt(this); }
  rsqrt(): Tensor { return ops.rsqrt(this); }
  square(): Tensor { return ops.square(this); }
  sin(): Tensor { return ops.sin(this); }
  cos(): Tensor { return ops.cos(this); }
  tan(): Tensor { return ops.tan(this); }
  asin(): Tensor { return ops.asin(this); }
  acos(): Tensor { return ops.acos(this); }
  atan(): Tensor { return ops.atan(this); }
  sinh(): Tensor { return ops.sinh(this); }
  cosh(): Tensor { return ops.cosh(this); }
  tanh(): Tensor { return ops.tanh(this); }
  asinh(): Tensor { return ops.asinh(this); }
  acosh(): Tensor { return ops.acosh(this); }
  atanh(): Tensor { return ops.atanh(this); }
  sigmoid(): Tensor { return ops.sigmoid(this); }
  erf(): Tensor { return ops.erf(this); }
  erfinv(): Tensor { return ops.erfinv(this); }
  floor(): Tensor { return ops.floor(this); }
  ceil(): Tensor { return ops.ceil(this); }
  round(opts?: { decimals?: number }): Tensor { return ops.round(this, opts); }
  trunc(): Tensor { return ops.trunc(this); }
  frac(): Tensor { return ops.frac(this); }
  reciprocal(): Tensor { return ops.reciprocal(this); }
  relu(): Tensor { return ops.relu(this); }
  isnan(): Tensor { return ops.isnan(this); }
  isinf(): Tensor { return ops.isinf(this); }
  isfinite(): Tensor { return ops.isfinite(this); }
  nanToNum(opts?: { nan?: number; posinf?: number; neginf?: number }): Tensor { return ops.nanToNum(this, opts); }
  logicalNot(): Tensor { return ops.logicalNot(this); }
  bitwiseNot(): Tensor { return ops.bitwiseNot(this); }
  clamp(min?: TensorOrScalar | null | ops.ClampOpts, max?: TensorOrScalar | null): Tensor { return ops.clamp(this, min, max); }
  clip(min?: TensorOrScalar | null | ops.ClampOpts, max?: TensorOrScalar | null): Tensor { return ops.clamp(this, min, max); }
  clampMin(min: TensorOrScalar): Tensor { return ops.clampMin(this, min); }
  clampMax(max: TensorOrScalar): Tensor { return ops.clampMax(this, max); }
  softmax(dim: number): Tensor { return ops.softmax(this, dim); }
  logSoftmax(dim: number): Tensor { return ops.logSoftmax(this, dim); }

  // ---------------------------------------------------------------- binary math
  add(other: TensorOrScalar, opts?: { alpha?: number }): Tensor { return ops.add(this, other, opts); }
  sub(other: TensorOrScalar, opts?: { alpha?: number }): Tensor { return ops.sub(this, other, opts); }
  subtract(other: TensorOrScalar, opts?: { alpha?: number }): Tensor { return ops.sub(this, other, opts); }
  rsub(other: TensorOrScalar, opts?: { alpha?: number }): Tensor { return ops.rsub(this, other, opts); }
  mul(other: TensorOrScalar): Tensor { return ops.mul(this, other); }
  multiply(other: TensorOrScalar): Tensor { return ops.mul(this, other); }
  div(other: TensorOrScalar, opts?: { roundingMode?: 'trunc' | 'floor' | null }): Tensor { return ops.div(this, other, opts); }
  divide(other: TensorOrScalar, opts?: { roundingMode?: 'trunc' | 'floor' | null }): Tensor { return ops.div(this, other, opts); }
  trueDivide(other: TensorOrScalar): Tensor { return ops.div(this, other); }
  floorDivide(other: TensorOrScalar): Tensor { return ops.floorDivide(this, other); }
  pow(exponent: TensorOrScalar): Tensor { return ops.pow(this, exponent); }
  maximum(other: TensorOrScalar): Tensor { return ops.maximum(this, other); }
  minimum(other: TensorOrScalar): Tensor { return ops.minimum(this, other); }
  fmax(other: TensorOrScalar): Tensor { return ops.maximum(this, other); }
  atan2(other: TensorOrScalar): Tensor { return ops.atan2(this, other); }
  fmod(other: TensorOrScalar): Tensor { return ops.fmod(this, other); }
  remainder(other: TensorOrScalar): Tensor { return ops.remainder(this, other); }
  eq(other: TensorOrScalar): Tensor { return ops.eq(this, other); }
  ne(other: TensorOrScalar): Tensor { return ops.ne(this, other); }
  lt(other: TensorOrScalar): Tensor { return ops.lt(this, other); }
  le(other: TensorOrScalar): Tensor { return ops.le(this, other); }
  gt(other: TensorOrScalar): Tensor { return ops.gt(this, other); }
  ge(other: TensorOrScalar): Tensor { return ops.ge(this, other); }
  greater(other: TensorOrScalar): Tensor { return ops.gt(this, other); }
  less(other: TensorOrScalar): Tensor { return ops.lt(this, other); }
  equal(other: Tensor): boolean { return ops.equal(this, other); }
  allclose(other: Tensor, opts?: { rtol?: number; atol?: number; equalNan?: boolean }): boolean { return ops.allclose(this, other, opts); }
  isclose(other: TensorOrScalar, opts?: { rtol?: number; atol?: number; equalNan?: boolean }): Tensor { return ops.isclose(this, other, opts); }
  logicalAnd(other: TensorOrScalar): Tensor { return ops.logicalAnd(this, other); }
  logicalOr(other: TensorOrScalar): Tensor { return ops.logicalOr(this, other); }
  logicalXor(other: TensorOrScalar): Tensor { return ops.logicalXor(this, other); }
  bitwiseAnd(other: TensorOrScalar): Tensor { return ops.bitwiseAnd(this, other); }
  bitwiseOr(other: TensorOrScalar): Tensor { return ops.bitwiseOr(this, other); }
  bitwiseXor(other: TensorOrScalar): Tensor { return ops.bitwiseXor(this, other); }
  lerp(end: TensorOrScalar, weight: TensorOrScalar): Tensor { return ops.lerp(this, end, weight); }
  where(condition: Tensor, other: TensorOrScalar): Tensor { return ops.where(condition, this, other); }
  maskedFill(mask: Tensor, value: TensorOrScalar): Tensor { return ops.maskedFill(this, mask, value); }
  indexFill(dim: number, index: Tensor, value: TensorOrScalar): Tensor { return ops.indexFill(this, dim, index, value); }
  hardshrink(lambd = 0.5): Tensor { return ops.where(this.abs().gt(lambd), this, 0); }
  addcmul(t1: Tensor, t2: Tensor, opts?: { value?: number }): Tensor { return ops.addcmul(this, t1, t2, opts); }
  addcdiv(t1: Tensor, t2: Tensor, opts?: { value?: number }): Tensor { return ops.addcdiv(this, t1, t2, opts); }

  // ---------------------------------------------------------------- reductions
  sum(dim?: Dims | null, keepdim = false, opts?: { dtype?: DType }): Tensor { return ops.sum(this, dim, keepdim, opts); }
  nansum(dim?: Dims | null, keepdim = false): Tensor { return ops.nansum(this, dim, keepdim); }
  mean(dim?: Dims | null, keepdim = false, opts?: { dtype?: DType }): Tensor { return ops.mean(this, dim, keepdim, opts); }
  nanmean(dim?: Dims | null, keepdim = false): Tensor { return ops.nanmean(this, dim, keepdim); }
  prod(dim?: number | null, keepdim = false, opts?: { dtype?: DType }): Tensor { return ops.prod(this, dim, keepdim, opts); }
  max(): Tensor;
  max(dim: number, keepdim?: boolean): ValuesIndices;
  max(other: Tensor): Tensor;
  max(dimOrOther?: number | Tensor, keepdim = false): Tensor | ValuesIndices { return ops.max(this, dimOrOther as number, keepdim); }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): ValuesIndices;
  min(other: Tensor): Tensor;
  min(dimOrOther?: number | Tensor, keepdim = false): Tensor | ValuesIndices { return ops.min(this, dimOrOther as number, keepdim); }
  amax(dim?: Dims | null, keepdim = false): Tensor { return ops.amax(this, dim, keepdim); }
  amin(dim?: Dims | null, keepdim = false): Tensor { return ops.amin(this, dim, keepdim); }
  aminmax(opts?: { dim?: number; keepdim?: boolean }): { min: Tensor; max: Tensor } { return ops.aminmax(this, opts); }
  argmax(dim?: number | null, keepdim = false): Tensor { return ops.argmax(this, dim, keepdim); }
  argmin(dim?: number | null, keepdim = false): Tensor { return ops.argmin(this, dim, keepdim); }
  var(dim?: Dims | null | ReduceOpts, opts?: ReduceOpts | boolean, keepdim?: boolean): Tensor { return ops.var_(this, dim, opts, keepdim); }
  std(dim?: Dims | null | ReduceOpts, opts?: ReduceOpts | boolean, keepdim?: boolean): Tensor { return ops.std(this, dim, opts, keepdim); }
  norm(p: NormOrd | NormOpts = 2, dim?: Dims | null, keepdim = false): Tensor { return ops.norm(this, p, dim, keepdim); }
  logsumexp(dim: Dims, keepdim = false): Tensor { return ops.logsumexp(this, dim, keepdim); }
  cumsum(dim: number): Tensor { return ops.cumsum(this, dim); }
  cumprod(dim: number): Tensor { return ops.cumprod(this, dim); }
  all(dim?: Dims | null, keepdim = false): Tensor { return ops.all(this, dim, keepdim); }
  any(dim?: Dims | null, keepdim = false): Tensor { return ops.any(this, dim, keepdim); }
  countNonzero(dim?: Dims | null): Tensor { return ops.countNonzero(this, dim); }
  median(): Tensor;
  median(dim: number, keepdim?: boolean): ValuesIndices;
  median(dim?: number, keepdim = false): Tensor | ValuesIndices { return ops.median(this, dim as number, keepdim); }
  kthvalue(k: number, dim = -1, keepdim = false): ValuesIndices { return ops.kthvalue(this, k, dim, keepdim); }
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
  mm(other: Tensor): Tensor { return ops.mm(this, other); }
  bmm(other: Tensor): Tensor { return ops.bmm(this, other); }
  mv(vec: Tensor): Tensor { return ops.mv(this, vec); }
  dot(other: Tensor): Tensor { return ops.dot(this, other); }
  outer(other: Tensor): Tensor { return ops.outer(this, other); }
  addmm(mat1: Tensor, mat2: Tensor, opts?: { beta?: number; alpha?: number }): Tensor { return ops.addmm(this, mat1, mat2, opts); }

  // ---------------------------------------------------------------- special functions, scans, matrix helpers, counting
  logaddexp(other: TensorOrScalar): Tensor { return ops.logaddexp(this, other); }
  hypot(other: TensorOrScalar): Tensor { return ops.hypot(this, other); }
  xlogy(other: TensorOrScalar): Tensor { return ops.xlogy(this, other); }
  erfc(): Tensor { return ops.erfc(this); }
  lgamma(): Tensor { return ops.lgamma(this); }
  digamma(): Tensor { return ops.digamma(this); }
  hypot_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.hypot(this, other)); }
  xlogy_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.xlogy(this, other)); }
  erfc_(): this { return inplaceOwned(this, () => ops.erfc(this)); }
  lgamma_(): this { return inplaceOwned(this, () => ops.lgamma(this)); }
  digamma_(): this { return inplaceOwned(this, () => ops.digamma(this)); }
  logcumsumexp(dim: number): Tensor { return ops.logcumsumexp(this, dim); }
  cummax(dim: number): ValuesIndices { return ops.cummax(this, dim); }
  cummin(dim: number): ValuesIndices { return ops.cummin(this, dim); }
  diagonal(offset = 0, dim1 = 0, dim2 = 1): Tensor { return ops.diagonal(this, offset, dim1, dim2); }
  diag(diagonal = 0): Tensor { return ops.diag(this, diagonal); }
  trace(): Tensor { return ops.trace(this); }
  cross(other: Tensor, dim?: number | null): Tensor { return ops.cross(this, other, dim); }
  kron(other: Tensor): Tensor { return ops.kron(this, other); }
  diff(n = 1, dim = -1, opts?: { prepend?: Tensor | null; append?: Tensor | null }): Tensor { return ops.diff(this, n, dim, opts); }
  bincount(weights?: Tensor | null | { weights?: Tensor | null; minlength?: number }, minlength = 0): Tensor { return ops.bincount(this, weights, minlength); }
  /** torchlet addition: bincount on any device (max(x) is read asynchronously). */
  bincountAsync(weights?: Tensor | null | { weights?: Tensor | null; minlength?: number }, minlength = 0): Promise<Tensor> { return ops.bincountAsync(this, weights, minlength); }
  unique(opts?: ops.UniqueOpts & { returnInverse?: false; returnCounts?: false }): Tensor;
  unique(opts: ops.UniqueOpts): Tensor | Tensor[];
  unique(opts?: ops.UniqueOpts): Tensor | Tensor[] { return ops.unique(this, opts ?? {}); }
  /** torchlet addition: unique on any device (the number of distinct values is read asynchronously). */
  uniqueAsync(opts?: ops.UniqueOpts & { returnInverse?: false; returnCounts?: false }): Promise<Tensor>;
  uniqueAsync(opts: ops.UniqueOpts): Promise<Tensor | Tensor[]>;
  uniqueAsync(opts?: ops.UniqueOpts): Promise<Tensor | Tensor[]> { return ops.uniqueAsync(this, opts ?? {}); }
  uniqueConsecutive(opts?: ops.UniqueConsecutiveOpts & { returnInverse?: false; returnCounts?: false }): Tensor;
  uniqueConsecutive(opts: ops.UniqueConsecutiveOpts): Tensor | Tensor[];
  uniqueConsecutive(opts?: ops.UniqueConsecutiveOpts): Tensor | Tensor[] { return ops.uniqueConsecutive(this, opts ?? {}); }
  /** torchlet addition: uniqueConsecutive on any device (the number of runs is read asynchronously). */
  uniqueConsecutiveAsync(opts?: ops.UniqueConsecutiveOpts & { returnInverse?: false; returnCounts?: false }): Promise<Tensor>;
  uniqueConsecutiveAsync(opts: ops.UniqueConsecutiveOpts): Promise<Tensor | Tensor[]>;
  uniqueConsecutiveAsync(opts?: ops.UniqueConsecutiveOpts): Promise<Tensor | Tensor[]> { return ops.uniqueConsecutiveAsync(this, opts ?? {}); }

  // ---------------------------------------------------------------- more of PyTorch's methods (src/ops/extra.ts and aliases)
  ndimension(): number { return this.shape.length; }
  swapdims(dim0: number, dim1: number): Tensor { return ops.transpose(this, dim0, dim1); }
  absolute(): Tensor { return ops.abs(this); }
  positive(): Tensor { return ops.positive(this); }
  arccos(): Tensor { return ops.acos(this); }
  arcsin(): Tensor { return ops.asin(this); }
  arctan(): Tensor { return ops.atan(this); }
  arctan2(other: TensorOrScalar): Tensor { return ops.atan2(this, other); }
  arccosh(): Tensor { return ops.acosh(this); }
  arcsinh(): Tensor { return ops.asinh(this); }
  arctanh(): Tensor { return ops.atanh(this); }
  sinc(): Tensor { return ops.sinc(this); }
  logit(eps: number | null | { eps?: number | null } = null): Tensor { return ops.logit(this, eps); }
  deg2rad(): Tensor { return ops.deg2rad(this); }
  rad2deg(): Tensor { return ops.rad2deg(this); }
  signbit(): Tensor { return ops.signbit(this); }
  copysign(other: TensorOrScalar): Tensor { return ops.copysign(this, other); }
  heaviside(values: Tensor): Tensor { return ops.heaviside(this, values); }
  floatPower(exponent: TensorOrScalar): Tensor { return ops.floatPower(this, exponent); }
  fliplr(): Tensor { return ops.fliplr(this); }
  flipud(): Tensor { return ops.flipud(this); }
  rot90(k = 1, dims: readonly number[] = [0, 1]): Tensor { return ops.rot90(this, k, dims); }
  /** Windows of `size` every `step` along dim, as a new last dim (a copy, not PyTorch's strided view). */
  unfold(dimension: number, size: number, step: number): Tensor { return ops.unfold(this, dimension, size, step); }
  repeatInterleave(repeats: Tensor | number, dim?: number | null, opts?: ops.RepeatInterleaveOpts): Tensor { return ops.repeatInterleave(this, repeats, dim, opts); }
  take(index: Tensor): Tensor { return ops.take(this, index); }
  put(index: Tensor, source: Tensor, opts?: { accumulate?: boolean }): Tensor { return ops.put(this, index, source, opts); }
  takeAlongDim(indices: Tensor, dim?: number | null): Tensor { return ops.takeAlongDim(this, indices, dim); }
  argwhere(): Tensor { return ops.argwhere(this); }
  narrowCopy(dim: number, start: number, length: number): Tensor { return ops.narrowCopy(this, dim, start, length); }
  indexPut(indices: readonly (Tensor | null)[], values: Tensor, opts?: { accumulate?: boolean }): Tensor { return ops.indexPut(this, indices, values, opts); }
  maskedScatter(mask: Tensor, source: Tensor): Tensor { return ops.maskedScatter(this, mask, source); }
  quantile(q: number | Tensor, dim?: number | null, keepdim = false, opts?: ops.QuantileOpts): Tensor { return ops.quantile(this, q, dim, keepdim, opts); }
  nanquantile(q: number | Tensor, dim?: number | null, keepdim = false, opts?: ops.QuantileOpts): Tensor { return ops.nanquantile(this, q, dim, keepdim, opts); }
  nanmedian(): Tensor;
  nanmedian(dim: number, keepdim?: boolean): ValuesIndices;
  nanmedian(dim?: number, keepdim = false): Tensor | ValuesIndices { return dim === undefined ? ops.nanmedian(this) : ops.nanmedian(this, dim, keepdim); }
  addmv(mat: Tensor, vec: Tensor, opts?: { beta?: number; alpha?: number }): Tensor { return ops.addmv(this, mat, vec, opts); }
  addr(vec1: Tensor, vec2: Tensor, opts?: { beta?: number; alpha?: number }): Tensor { return ops.addr(this, vec1, vec2, opts); }
  baddbmm(batch1: Tensor, batch2: Tensor, opts?: { beta?: number; alpha?: number }): Tensor { return ops.baddbmm(this, batch1, batch2, opts); }
  addbmm(batch1: Tensor, batch2: Tensor, opts?: { beta?: number; alpha?: number }): Tensor { return ops.addbmm(this, batch1, batch2, opts); }
  put_(index: Tensor, source: Tensor, opts?: { accumulate?: boolean }): this { return inplaceOwned(this, () => ops.put(this, index, source, opts)); }
  indexPut_(indices: readonly (Tensor | null)[], values: Tensor, opts?: { accumulate?: boolean }): this { return inplaceOwned(this, () => ops.indexPut(this, indices, values, opts)); }
  maskedScatter_(mask: Tensor, source: Tensor): this { return inplaceOwned(this, () => ops.maskedScatter(this, mask, source)); }

  // ---------------------------------------------------------------- indexing
  indexSelect(dim: number, index: Tensor): Tensor { return ops.indexSelect(this, dim, index); }
  gather(dim: number, index: Tensor): Tensor { return ops.gather(this, dim, index); }
  scatter(dim: number, index: Tensor, src: TensorOrScalar, opts?: { reduce?: 'add' | 'multiply' }): Tensor { return ops.scatter(this, dim, index, src, opts); }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return ops.scatterAdd(this, dim, index, src); }
  indexAdd(dim: number, index: Tensor, source: Tensor, opts?: { alpha?: number }): Tensor { return ops.indexAdd(this, dim, index, source, opts); }
  maskedSelect(mask: Tensor): Tensor { return ops.maskedSelect(this, mask); }
  nonzero(): Tensor { return ops.nonzero(this); }
  /** torchlet addition: maskedSelect on any device (the result's size is read asynchronously). */
  maskedSelectAsync(mask: Tensor): Promise<Tensor> { return ops.maskedSelectAsync(this, mask); }
  /** torchlet addition: nonzero on any device (the result's size is read asynchronously). */
  nonzeroAsync(): Promise<Tensor> { return ops.nonzeroAsync(this); }
  sort(dim: number | ops.SortOpts = -1, descending: boolean | ops.SortOpts = false, opts?: ops.SortOpts): ValuesIndices { return ops.sort(this, dim, descending, opts); }
  argsort(dim: number | ops.SortOpts = -1, descending: boolean | ops.SortOpts = false, opts?: ops.SortOpts): Tensor { return ops.argsort(this, dim, descending, opts); }
  topk(k: number, dim: number | ops.TopkOpts = -1, largest: boolean | ops.TopkOpts = true, sorted = true): ValuesIndices { return ops.topk(this, k, dim, largest, sorted); }
  /** PyTorch indexing t[i, :, 1:3]: numbers select, null keeps a dim, [start, end, step?] slices, Tensors index. */
  index(...indices: ops.IndexArg[]): Tensor { return ops.index(this, ...indices); }
  /** torchlet addition: index(...) on any device, bool masks included (their nonzero count is read asynchronously). */
  indexAsync(...indices: ops.IndexArg[]): Promise<Tensor> { return ops.indexAsync(this, ...indices); }

  // ---------------------------------------------------------------- in-place
  add_(other: TensorOrScalar, opts?: { alpha?: number }): this { return inplaceOwned(this, () => ops.add(this, other, opts)); }
  sub_(other: TensorOrScalar, opts?: { alpha?: number }): this { return inplaceOwned(this, () => ops.sub(this, other, opts)); }
  mul_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.mul(this, other)); }
  div_(other: TensorOrScalar, opts?: { roundingMode?: 'trunc' | 'floor' | null }): this { return inplaceOwned(this, () => ops.div(this, other, opts)); }
  pow_(exponent: TensorOrScalar): this { return inplaceOwned(this, () => ops.pow(this, exponent)); }
  neg_(): this { return inplaceOwned(this, () => ops.neg(this)); }
  abs_(): this { return inplaceOwned(this, () => ops.abs(this)); }
  exp_(): this { return inplaceOwned(this, () => ops.exp(this)); }
  log_(): this { return inplaceOwned(this, () => ops.log(this)); }
  sqrt_(): this { return inplaceOwned(this, () => ops.sqrt(this)); }
  sigmoid_(): this { return inplaceOwned(this, () => ops.sigmoid(this)); }
  tanh_(): this { return inplaceOwned(this, () => ops.tanh(this)); }
  relu_(): this { return inplaceOwned(this, () => ops.relu(this)); }
  floor_(): this { return inplaceOwned(this, () => ops.floor(this)); }
  round_(opts?: { decimals?: number }): this { return inplaceOwned(this, () => ops.round(this, opts)); }
  clamp_(min?: TensorOrScalar | null | ops.ClampOpts, max?: TensorOrScalar | null): this { return inplaceOwned(this, () => ops.clamp(this, min, max)); }
  clip_(min?: TensorOrScalar | null | ops.ClampOpts, max?: TensorOrScalar | null): this { return inplaceOwned(this, () => ops.clamp(this, min, max)); }
  clampMin_(min: TensorOrScalar): this { return inplaceOwned(this, () => ops.clampMin(this, min)); }
  clampMax_(max: TensorOrScalar): this { return inplaceOwned(this, () => ops.clampMax(this, max)); }
  // The rest of PyTorch's elementwise in-place methods: computed out of place, copied into self
  // (so the result dtype must cast to self's, as in PyTorch).
  sin_(): this { return inplaceOwned(this, () => ops.sin(this)); }
  cos_(): this { return inplaceOwned(this, () => ops.cos(this)); }
  tan_(): this { return inplaceOwned(this, () => ops.tan(this)); }
  asin_(): this { return inplaceOwned(this, () => ops.asin(this)); }
  acos_(): this { return inplaceOwned(this, () => ops.acos(this)); }
  atan_(): this { return inplaceOwned(this, () => ops.atan(this)); }
  sinh_(): this { return inplaceOwned(this, () => ops.sinh(this)); }
  cosh_(): this { return inplaceOwned(this, () => ops.cosh(this)); }
  asinh_(): this { return inplaceOwned(this, () => ops.asinh(this)); }
  acosh_(): this { return inplaceOwned(this, () => ops.acosh(this)); }
  atanh_(): this { return inplaceOwned(this, () => ops.atanh(this)); }
  exp2_(): this { return inplaceOwned(this, () => ops.exp2(this)); }
  expm1_(): this { return inplaceOwned(this, () => ops.expm1(this)); }
  log1p_(): this { return inplaceOwned(this, () => ops.log1p(this)); }
  log2_(): this { return inplaceOwned(this, () => ops.log2(this)); }
  log10_(): this { return inplaceOwned(this, () => ops.log10(this)); }
  rsqrt_(): this { return inplaceOwned(this, () => ops.rsqrt(this)); }
  square_(): this { return inplaceOwned(this, () => ops.square(this)); }
  reciprocal_(): this { return inplaceOwned(this, () => ops.reciprocal(this)); }
  erf_(): this { return inplaceOwned(this, () => ops.erf(this)); }
  erfinv_(): this { return inplaceOwned(this, () => ops.erfinv(this)); }
  ceil_(): this { return inplaceOwned(this, () => ops.ceil(this)); }
  trunc_(): this { return inplaceOwned(this, () => ops.trunc(this)); }
  frac_(): this { return inplaceOwned(this, () => ops.frac(this)); }
  sign_(): this { return inplaceOwned(this, () => ops.sign(this)); }
  negative_(): this { return inplaceOwned(this, () => ops.neg(this)); }
  minimum_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.minimum(this, other)); }
  fmod_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.fmod(this, other)); }
  remainder_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.remainder(this, other)); }
  atan2_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.atan2(this, other)); }
  floorDivide_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.floorDivide(this, other)); }
  eq_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.eq(this, other).to(this.dtype)); }
  ne_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.ne(this, other).to(this.dtype)); }
  lt_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.lt(this, other).to(this.dtype)); }
  le_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.le(this, other).to(this.dtype)); }
  gt_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.gt(this, other).to(this.dtype)); }
  ge_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.ge(this, other).to(this.dtype)); }
  logicalNot_(): this { return inplaceOwned(this, () => ops.logicalNot(this).to(this.dtype)); }
  logicalAnd_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.logicalAnd(this, other).to(this.dtype)); }
  logicalOr_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.logicalOr(this, other).to(this.dtype)); }
  nanToNum_(opts?: { nan?: number; posinf?: number; neginf?: number }): this { return inplaceOwned(this, () => ops.nanToNum(this, opts)); }
  indexFill_(dim: number, index: Tensor, value: TensorOrScalar): this { return inplaceOwned(this, () => ops.indexFill(this, dim, index, value)); }
  lerp_(end: TensorOrScalar, weight: TensorOrScalar): this { return inplaceOwned(this, () => ops.lerp(this, end, weight)); }
  addcmul_(t1: Tensor, t2: Tensor, opts?: { value?: number }): this { return inplaceOwned(this, () => ops.addcmul(this, t1, t2, opts)); }
  addcdiv_(t1: Tensor, t2: Tensor, opts?: { value?: number }): this { return inplaceOwned(this, () => ops.addcdiv(this, t1, t2, opts)); }
  maximum_(other: TensorOrScalar): this { return inplaceOwned(this, () => ops.maximum(this, other)); }
  maskedFill_(mask: Tensor, value: TensorOrScalar): this { return inplaceOwned(this, () => ops.maskedFill(this, mask, value)); }
  scatter_(dim: number, index: Tensor, src: TensorOrScalar, opts?: { reduce?: 'add' | 'multiply' }): this { return inplaceOwned(this, () => ops.scatter(this, dim, index, src, opts)); }
  scatterAdd_(dim: number, index: Tensor, src: Tensor): this { return inplaceOwned(this, () => ops.scatterAdd(this, dim, index, src)); }
  indexAdd_(dim: number, index: Tensor, source: Tensor, opts?: { alpha?: number }): this { return inplaceOwned(this, () => ops.indexAdd(this, dim, index, source, opts)); }
  copy_(src: Tensor): this { return ops.inplace(this, ops.expand(ops.to(src, this.device, { dtype: this.dtype }), this.shape)); }
  fill_(value: TensorOrScalar): this { return ops.fill_(this, value); }
  zero_(): this { return ops.fill_(this, 0); }
  uniform_(from = 0, to = 1): this { return inplaceOwned(this, () => ops.rand(this.shape, { dtype: this.dtype, device: this.device }).mul(to - from).add(from), true); }
  normal_(mean = 0, std = 1): this { return inplaceOwned(this, () => ops.randn(this.shape, { dtype: this.dtype, device: this.device }).mul(std).add(mean), true); }
  bernoulli_(p = 0.5): this { return inplaceOwned(this, () => ops.rand(this.shape, { dtype: this.dtype, device: this.device }).lt(p).to(this.dtype), true); }
  multinomial(numSamples: number, opts: { replacement?: boolean } = {}): Tensor { return ops.multinomial(this, numSamples, opts); }
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
