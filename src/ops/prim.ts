// Plumbing shared by every op: fresh outputs, scalar wrapping, device checks, broadcast views, and
// `record`, which attaches an autograd node whose backward rule comes from the one derivatives
// table (src/autograd/derivatives.ts). Ops call a backend kernel, then `record` the primitive.

import type { BinaryOp, ConvGeometry, Device, UnaryOp, View } from '../backends/backend.js';
import { getBackend } from '../backends/registry.js';
import { isComplex, isFloating, resultType, type DType, type TypedArray, arrayType, f32ToF16Bits } from '../dtype.js';
import { fmtShape, shapesEqual } from '../shape.js';
import { state } from '../state.js';
import { Tensor } from '../tensor.js';
import { Node } from '../autograd/graph.js';
import { holdSaved, dropSaved } from '../memory.js';
import { derivatives, type Rule, type SavedCtx } from '../autograd/derivatives.js';
import type { Scalar, TensorOrScalar } from './types.js';
// Circular at module level but only used inside functions: safe with ESM live bindings.
import { sumTo } from './reduce.js';
import { castTo } from './elementwise.js';

/** Attributes of every differentiable primitive; the derivatives table is keyed by these names. */
export interface PrimAttrs extends Record<UnaryOp | BinaryOp, Record<string, never>> {
  /** piecewise: a piecewise activation's select (wherePiecewise), whose gradients stay connected to its branches under createGraph. */
  where: { piecewise?: boolean };
  cast: { dtype: DType };
  toDevice: { device: Device; from: Device };
  clone: Record<string, never>;
  sum: { dims: number[]; keepdim: boolean };
  prod: { dims: number[]; keepdim: boolean };
  /** nanToNan: the gradient of a NaN result goes to the NaN elements (max()/min() overall, PyTorch's evenly_distribute_backward); else PyTorch's amax rule. */
  amax: { dims: number[]; keepdim: boolean; nanToNan?: boolean };
  amin: { dims: number[]; keepdim: boolean; nanToNan?: boolean };
  /** median() overall (the value found by sort, ops/reduce.ts); its rule splits the gradient among the elements equal to it, as amax's with nanToNan. */
  medianAll: { dims: number[]; keepdim: boolean; nanToNan: boolean };
  cumsum: { dim: number };
  /** softmax along dim (its forward composed, one node: ops/reduce.ts). */
  softmax: { dim: number };
  /** logSoftmax along dim (its forward composed, one node: ops/reduce.ts). */
  logSoftmax: { dim: number };
  /** GELU, exact form (F.gelu; its forward one fused kernel where the backend fuses). */
  gelu: Record<string, never>;
  /** GELU, tanh form (F.gelu(x, { approximate: 'tanh' }); forward and gradient one fused kernel each where the backend fuses). */
  geluTanh: Record<string, never>;
  /** (x - mean) * rstd over dims (F.layerNorm, F.groupNorm: nn/functional/norm.ts); inputs x and rstd. */
  standardize: { dims: number[]; eps: number };
  cumprod: { dim: number };
  matmul: Record<string, never>;
  /** bias + a @ b, inputs (bias, a [B,M,K], b [B,K,N]): a Linear or conv layer's bias add with its GEMM (PyTorch's addmm). */
  addmm: Record<string, never>;
  im2col: { g: ConvGeometry; inputShape: number[] };
  col2im: { g: ConvGeometry; outputShape: number[] };
  gather: { dim: number };
  /** Max pooling's values [N,C,OH*OW] from x's planes [N,C,H*W] and maxPool2d's indices; hw = [H, W]. */
  maxPool2d: { g: ConvGeometry; hw: [number, number]; outHW: [number, number] };
  /** Its gradient, [N,C,H*W] from the values' gradient and the indices: the same attributes. */
  maxPool2dBackward: PrimAttrs['maxPool2d'];
  /** conv2d's GEMM with the image as a third input (ops/winograd.ts): its gradient goes to x directly. */
  convMatmul: { geom: ConvGeometry; inputShape: number[] };
  /** conv2d(x, w) by Winograd (ops/winograd.ts), inputs [w [OC, C, 3, 3], x]: both gradients by Winograd too. */
  convWinograd: PrimAttrs['convMatmul'];
  /** dropout(softmax(scale q k^T)) v, fused (ops/attention.ts), inputs (q, k, v, lse [N,H,L][, keep [N,H,L,S] bool]). */
  attention: { scale: number; causal: boolean; dropoutP: number };
  /** torch.scatter_reduce, composed (ops/scatter-reduce.ts), inputs (x, index, src) 1-d or more; rule: PyTorch's scatter_reduce_backward. */
  scatterReduce: { dim: number; reduce: 'sum' | 'prod' | 'mean' | 'amax' | 'amin'; includeSelf: boolean; srcShape: number[] };
  scatter: { dim: number; reduce: 'none' | 'add' };
  reshape: { shape: number[] };
  permute: { dims: number[] };
  expand: { shape: number[] };
  slice: { dim: number; start: number; end: number; step: number };
  diagonal: { offset: number; dim1: number; dim2: number };
  unslice: { shape: number[]; dim: number; start: number; step: number };
  flip: { dims: number[] };
  // complex (ops/complex.ts): the two views between a complex tensor and its (re, im) float pairs.
  viewAsReal: Record<string, never>;
  viewAsComplex: Record<string, never>;
  cat: { dim: number; sizes: number[] };
  /** Several outputs, the views of one input along dim (torch.split/chunk): one node, as PyTorch's SplitBackward. */
  split: { dim: number; sizes: number[] };
  // torch.linalg (ops/decomp.ts): multi-output ones record one packed tensor of their parts.
  linalgSolve: Record<string, never>;
  linalgCholesky: Record<string, never>;
  linalgDet: Record<string, never>;
  linalgSlogdet: Record<string, never>;
  linalgQr: { m: number; n: number; kq: number; mode: 'reduced' | 'complete' | 'r' };
  linalgEigh: { n: number };
  linalgSvd: { m: number; n: number; ku: number; kv: number };
  linalgPinv: Record<string, never>;
}
/** Name of a differentiable primitive (a key of PrimAttrs). */
export type PrimName = keyof PrimAttrs;

/** A fresh contiguous tensor. */
export function empty(shape: readonly number[], dtype: DType, device: Device): Tensor {
  return Tensor.empty_(shape, dtype, device);
}

/** The backend that owns t's device. */
export function backendOf(t: Tensor) { return getBackend(t.device); }

/** Fills host data into a new tensor. */
export function fromArray(data: TypedArray | number[], shape: readonly number[], dtype: DType, device: Device): Tensor {
  const t = empty(shape, dtype, device);
  const T = arrayType(dtype);
  let arr: TypedArray;
  // Complex from real values: each becomes (v, 0) in the interleaved pair storage.
  if (isComplex(dtype)) { arr = new T(2 * t.numel()); for (let i = 0; i < t.numel(); i++) arr[2 * i] = Number(data[i]); }
  else if (dtype === 'float16') arr = Uint16Array.from(data as ArrayLike<number>, (v) => f32ToF16Bits(v));
  else if (data instanceof T && (dtype !== 'bool' || data instanceof Uint8Array)) arr = data as TypedArray;
  else arr = (T as unknown as { from(a: ArrayLike<number>, f?: (v: number) => number): TypedArray }).from(data as ArrayLike<number>, dtype === 'bool' ? (v) => (v ? 1 : 0) : undefined);
  if (t.numel() > 0) getBackend(device).write(t.storage.buf, arr);
  return t;
}

/** A 0-dim tensor holding v, of the given dtype and device. */
export function scalarTensor(v: Scalar, dtype: DType, device: Device): Tensor {
  const t = empty([], dtype, device);
  getBackend(device).fill(t.view_(), typeof v === 'boolean' ? (v ? 1 : 0) : v);
  return t;
}

/** Checks that all given tensors share one device and returns it (the default device when none are given). */
export function checkDevices(op: string, ...ts: (Tensor | null | undefined)[]): Device {
  let dev: Device | null = null;
  for (const t of ts) {
    if (!t) continue;
    if (dev === null) dev = t.device;
    else if (t.device !== dev) {
      throw new Error(`${op}: Expected all tensors to be on the same device, but found at least two devices, ${dev} and ${t.device}!`);
    }
  }
  return dev ?? state.defaultDevice;
}

/** The dtype an op computes in, by torch.result_type. */
export function promote(...xs: TensorOrScalar[]): DType {
  return resultType(xs, state.defaultDtype);
}

/** Wraps numbers as 0-dim tensors of `dtype` on `device`; casts tensors to dtype (differentiably). */
export function asTensor(x: TensorOrScalar, dtype: DType, device: Device): Tensor {
  if (x instanceof Tensor) return x.dtype === dtype ? x : castTo(x, dtype);
  return scalarTensor(x, dtype, device);
}

/** A view of t broadcast to `shape` (stride 0 on expanded dims), for kernels only. */
export function broadcastView(t: Tensor, shape: readonly number[]): View {
  const v = t.view_();
  if (shapesEqual(t.shape, shape)) return v;
  const nd = shape.length, off = nd - t.ndim;
  const strides = shape.map((s, i) => {
    const j = i - off;
    if (j < 0) return 0;
    return t.shape[j] === 1 && s !== 1 ? 0 : t.strides_[j]!;
  });
  return { ...v, shape, strides };
}

// ---------------------------------------------------------------- composite scopes

/** Told when a composite op starts and ends (graph capture, the profiler). */
export interface ScopeListener { enter(name: string, attrs: Record<string, unknown>): void; exit(): void }
let scopeListener: ScopeListener | null = null;
/** Sets the listener (null: none); returns the previous one. */
export function setScopeListener(l: ScopeListener | null): ScopeListener | null { const p = scopeListener; scopeListener = l; return p; }

/**
 * Runs a composite op (linear, conv2d, layerNorm, crossEntropy...): its primitives appear in a
 * captured graph grouped under `name` with `attrs`, so exporters can keep it whole or decompose it.
 * Free when nothing listens.
 */
export function composite<T>(name: string, attrs: Record<string, unknown>, f: () => T): T {
  const l = scopeListener;
  if (l === null) return f();
  l.enter(name, attrs);
  try { return f(); } finally { l.exit(); }
}

// ---------------------------------------------------------------- autograd recording

export class PrimNode extends Node {
  readonly name: string;
  private saved: Tensor[] = [];
  private savedVersions: number[] = [];
  private savedOutput: Tensor | null = null;
  private outVersion = 0;
  readonly inputShapes: (readonly number[])[];
  readonly inputDtypes: DType[];

  constructor(readonly prim: PrimName, readonly rule: Rule<PrimName>, inputs: readonly Tensor[], out: Tensor, readonly attrs: PrimAttrs[PrimName]) {
    super();
    this.name = prim[0]!.toUpperCase() + prim.slice(1);
    this.link(inputs.map((t) => (t.requiresGrad ? t.gradEdge() : null)));
    this.inputShapes = inputs.map((t) => t.shape); // frozen: shared, not copied
    this.inputDtypes = inputs.map((t) => t.dtype);
    const save = rule.save;
    if (save === 'inputs' || save === 'all') {
      this.saved = [...inputs];
      this.savedVersions = inputs.map((t) => t.version);
      for (const t of inputs) holdSaved(t);
    }
    if (save === 'output' || save === 'all') { this.savedOutput = out; this.outVersion = out.version; holdSaved(out); }
  }

  apply(grads: (Tensor | null)[]): (Tensor | null)[] {
    const g = (this.nOutputs === 1 ? grads[0] : grads.find((x) => x))!;
    for (const t of this.savedOutput ? [...this.saved, this.savedOutput] : this.saved) {
      if (t.isDisposed) {
        throw new Error(`backward: a tensor of shape ${fmtShape(t.shape)} saved for ${this.name}Backward was disposed (by dispose() or a torch.tidy scope) before backward ran; run backward inside the same tidy scope or keep() the tensors`);
      }
    }
    this.saved.forEach((t, i) => checkVersion(t, this.savedVersions[i]!, i, this.name));
    if (this.savedOutput) checkVersion(this.savedOutput, this.outVersion, 0, this.name, true);
    const needs = this.next.map((e) => e !== null);
    const ctx: SavedCtx<PrimAttrs[PrimName]> = {
      attrs: this.attrs, inputs: this.saved, output: this.savedOutput!, inputShapes: this.inputShapes, needs,
    };
    const res = this.rule.backward(g, ctx, grads);
    return this.next.map((e, i) => {
      const r = res[i];
      if (!e || !r) return null;
      let gi = shapesEqual(r.shape, this.inputShapes[i]!) ? r : sumTo(r, this.inputShapes[i]!);
      if (gi.dtype !== this.inputDtypes[i]) gi = castTo(gi, this.inputDtypes[i]!);
      return gi;
    });
  }

  override release(): void {
    if (this.released) return;
    super.release();
    for (const t of this.saved) dropSaved(t);
    if (this.savedOutput) dropSaved(this.savedOutput);
    this.saved = [];
    this.savedOutput = null;
  }

  override snapshotSaved(t: Tensor): void {
    this.saved = this.saved.map((s, i) => {
      if (s.storage !== t.storage) return s;
      const c = s.clone(); // differentiable: keeps s's history for double backward
      this.savedVersions[i] = c.version;
      holdSaved(c);
      c.graphOwned = true; // nobody else ever sees the copy
      dropSaved(s);
      return c;
    });
  }
}

function checkVersion(t: Tensor, v: number, i: number, name: string, isOut = false): void {
  if (t.version !== v) {
    throw new Error(`one of the variables needed for gradient computation has been modified by an inplace operation: ` +
      `[${t.dtype} ${fmtShape(t.shape)}], which is ${isOut ? 'output 0' : `input ${i}`} of ${name}Backward, is at version ${t.version}; ` +
      `expected version ${v} instead.`);
  }
}

/** Whether an op's result gets an autograd node: grad mode on, a differentiable dtype, an input requiring grad. */
function wantsNode(inputs: readonly Tensor[], out: Tensor): boolean {
  if (!state.gradEnabled) {
    if (state.checkpointReads) for (const t of inputs) if (t.requiresGrad) state.checkpointReads.add(t);
    return false;
  }
  return (isFloating(out.dtype) || isComplex(out.dtype)) && inputs.some((t) => t.requiresGrad);
}

/** Attaches the backward node for `prim` to `out` when any input requires grad. Returns out. */
export function record<K extends PrimName>(prim: K, inputs: readonly Tensor[], out: Tensor, attrs: PrimAttrs[K]): Tensor {
  if (wantsNode(inputs, out)) out.setGradFn_(new PrimNode(prim, derivatives[prim] as unknown as Rule<PrimName>, inputs, out, attrs), 0);
  return out;
}

/**
 * `record` for a primitive with several outputs (split): one node whose output i is outs[i]; its
 * rule gets every output's gradient (null where none flowed). Returns outs.
 */
export function recordMulti<K extends PrimName>(prim: K, inputs: readonly Tensor[], outs: readonly Tensor[], attrs: PrimAttrs[K]): readonly Tensor[] {
  const out = outs[0];
  if (!out || !wantsNode(inputs, out)) return outs;
  const node = new PrimNode(prim, derivatives[prim] as unknown as Rule<PrimName>, inputs, out, attrs);
  node.nOutputs = outs.length;
  outs.forEach((t, i) => t.setGradFn_(node, i));
  return outs;
}

/**
 * PyTorch's IndexError for a bool mask whose shape is not the shape of the dims it covers (a mask is
 * never broadcast; maskedSelect is what broadcasts). `indices` as given to t.index / indexPut: numbers,
 * slices, null and int tensors cover one dim, a mask its ndim, '...' the dims the others leave.
 */
export function checkMaskShapes(x: Tensor, indices: readonly unknown[]): void {
  const isMask = (i: unknown): i is Tensor => i instanceof Tensor && (i.dtype === 'bool' || i.dtype === 'uint8') && i.ndim > 0;
  const covers = (i: unknown) => (i === '...' || i === 'newaxis' ? 0 : isMask(i) ? i.ndim : 1);
  const consumed = indices.reduce<number>((n, i) => n + covers(i), 0);
  let d = 0;
  for (const i of indices) {
    if (i === '...') { d += Math.max(0, x.ndim - consumed); continue; }
    if (isMask(i)) {
      for (let j = 0; j < i.ndim; j++) {
        if (d + j < x.ndim && i.shape[j] !== x.shape[d + j]) {
          throw new RangeError(`The shape of the mask ${fmtShape(i.shape)} at index ${j} does not match the shape of the indexed tensor ${fmtShape(x.shape)} at index ${d + j}`);
        }
      }
    }
    d += covers(i);
  }
}
