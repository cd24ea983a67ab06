// The state one ONNX export builds: nodes, initializers, the ONNX name of every traced tensor, and
// the shapes of a second trace at other sizes of the dynamic axes (a dim is dynamic exactly when it
// differs between the two traces). Mappings (src/onnx/symbolic.ts) emit nodes only through this.

import type { DType } from '../dtype.js';
import { fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { ONNX_DTYPE, type Attr, type NodeData, type OnnxDType, type TensorData } from './proto.js';

/** An export-time error (unsupported op, untraceable value): PyTorch's exporter's wording where it has one. */
export class OnnxExportError extends Error {
  constructor(message: string) { super(`torch.onnx.export: ${message}`); this.name = 'OnnxExportError'; }
}

const ONNX_OF: Partial<Record<DType, OnnxDType>> = { float32: 'float32', float64: 'float64', float16: 'float16', int32: 'int32', uint8: 'uint8', bool: 'bool' };
/** The ONNX element type of a torchlet dtype. */
export function onnxDtype(d: DType): OnnxDType {
  const o = ONNX_OF[d];
  if (!o) throw new OnnxExportError(`dtype ${d} has no ONNX element type`);
  return o;
}

function rawOf(values: readonly number[] | ArrayLike<number>, dtype: OnnxDType): Uint8Array {
  const arr = dtype === 'float32' ? Float32Array.from(values as ArrayLike<number>)
    : dtype === 'float64' ? Float64Array.from(values as ArrayLike<number>)
      : dtype === 'int64' ? BigInt64Array.from(Array.from(values as ArrayLike<number>, (v) => BigInt(v)))
        : dtype === 'int32' ? Int32Array.from(values as ArrayLike<number>)
          : Uint8Array.from(values as ArrayLike<number>, (v) => (dtype === 'bool' ? (v ? 1 : 0) : v));
  return new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
}

/** What symbolic mappings see: the node builder plus tensor naming and dynamic-shape helpers. */
export class ExportContext {
  readonly nodes: NodeData[] = [];
  readonly initializers: TensorData[] = [];
  /** Initializers whose values are read from tensors once the graph is built (parameters, folded constants). */
  readonly tensorInits: { name: string; t: Tensor }[] = [];
  private readonly names = new Map<Tensor, string>();
  private readonly used = new Set<string>();
  private readonly constCache = new Map<string, string>();
  /** The op or module being mapped (for error messages). */
  current = '';

  constructor(
    readonly opset: number,
    /** The second trace's tensor for each first-trace tensor (absent: same shape by construction). */
    readonly twin: Map<Tensor, Tensor>,
    /** Graph inputs, where dynamic dims are read from at run time. */
    readonly inputs: { name: string; t: Tensor }[],
    /** Names of the model's parameters and buffers (their stateDict keys). */
    readonly paramNames: Map<Tensor, string>,
    /** Tensors no traced op made that hold the same values in both traces: baked as constants. */
    readonly constants: Set<Tensor>,
  ) {
    for (const n of paramNames.values()) this.used.add(n);
  }

  /** A fresh value name. */
  fresh(base: string): string {
    let n = base, k = 0;
    while (this.used.has(n)) n = `${base}_${++k}`;
    this.used.add(n);
    return n;
  }
  /** Appends a node; returns its output names. */
  node(op: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, nOut = 1): string[] {
    const outs = Array.from({ length: nOut }, (_, i) => this.fresh(`${op}_${this.nodes.length}${nOut > 1 ? `_${i}` : ''}`));
    this.nodes.push({ op, inputs, outputs: outs, name: `${op}_${this.nodes.length}`, attrs });
    return outs;
  }
  /** Appends a one-output node; returns its output name. */
  op(op: string, inputs: readonly string[], attrs: Record<string, Attr> = {}): string { return this.node(op, inputs, attrs)[0]!; }

  /** A constant initializer (cached by content). */
  constant(values: readonly number[], dims: readonly number[], dtype: OnnxDType): string {
    const key = `${dtype}|${dims.join(',')}|${values.join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = this.fresh(`const_${this.constCache.size}`);
    this.initializers.push({ name, dims, dtype, raw: rawOf(values, dtype) });
    this.constCache.set(key, name);
    return name;
  }
  /** A 1-D int64 constant (axes, shapes, starts...). */
  i64(values: readonly number[]): string { return this.constant(values, [values.length], 'int64'); }
  /** A 0-dim constant of a torchlet dtype. */
  scalar(v: number, dtype: DType): string { return this.constant([v], [], onnxDtype(dtype)); }

  /** The ONNX value holding t: traced, an input, a parameter or a constant; else an error naming it. */
  v(t: Tensor): string {
    const n = this.names.get(t);
    if (n !== undefined) return n;
    const p = this.paramNames.get(t);
    if (p !== undefined) { this.names.set(t, p); this.tensorInits.push({ name: p, t }); return p; }
    if (this.constants.has(t)) {
      const name = this.fresh(`const_t${this.tensorInits.length}`);
      this.names.set(t, name);
      this.tensorInits.push({ name, t });
      return name;
    }
    throw new OnnxExportError(`a ${t.dtype} tensor of shape ${fmtShape(t.shape)} used by ${this.current} was made by code the exporter cannot see ` +
      '(not a traced op, an input, a parameter or buffer of the model, and not the same in a second trace at other sizes of the dynamic axes); ' +
      'build it with torch ops inside forward, or pass it as an input');
  }
  /** Whether the exporter already knows t. */
  has(t: Tensor): boolean { return this.names.has(t) || this.paramNames.has(t) || this.constants.has(t); }
  /** Binds t to an ONNX value (a traced op's result). */
  bind(t: Tensor, name: string): void { this.names.set(t, name); }
  /** t's value cast to dtype (the same name when it already has it). */
  as(t: Tensor, dtype: DType): string { return t.dtype === dtype ? this.v(t) : this.cast(this.v(t), dtype); }
  cast(name: string, dtype: DType): string { return this.op('Cast', [name], { to: { i: ONNX_DTYPE[onnxDtype(dtype)] } }); }

  /** Whether dim k of t changes with the dynamic axes. */
  dyn(t: Tensor, k: number): boolean {
    const u = this.twin.get(t);
    return u !== undefined && u.shape[k] !== t.shape[k];
  }
  /** A 1-element int64 value holding dim k of t at run time. */
  dim(t: Tensor, k: number): string {
    if (!this.dyn(t, k)) return this.i64([t.shape[k]!]);
    const want = [t.shape[k]!, this.twin.get(t)!.shape[k]!];
    for (const inp of this.inputs) {
      const u = this.twin.get(inp.t);
      if (!u) continue;
      const j = inp.t.shape.findIndex((s, i) => s === want[0] && u.shape[i] === want[1]);
      if (j >= 0) return this.op('Shape', [inp.name], { start: { i: j }, end: { i: j + 1 } });
    }
    throw new OnnxExportError(`cannot express dim ${k} of a tensor of shape ${fmtShape(t.shape)} (in ${this.current}) from the inputs' dynamic axes`);
  }
  /** t's shape as a 1-D int64 value (constant when no dim is dynamic). */
  shape(t: Tensor): string {
    if (t.shape.every((_, k) => !this.dyn(t, k))) return this.i64(t.shape);
    const parts: string[] = [];
    let run: number[] = [];
    t.shape.forEach((s, k) => {
      if (!this.dyn(t, k)) { run.push(s); return; }
      if (run.length) { parts.push(this.i64(run)); run = []; }
      parts.push(this.dim(t, k));
    });
    if (run.length) parts.push(this.i64(run));
    return parts.length === 1 ? parts[0]! : this.op('Concat', parts, { axis: { i: 0 } });
  }
  /** Reshapes x's value to out's shape (ONNX 0 / -1 for dynamic dims where that is exact). */
  reshape(x: string, xt: Tensor, out: Tensor): string {
    const dyns = out.shape.map((_, k) => k).filter((k) => this.dyn(out, k));
    if (dyns.length === 0) return this.op('Reshape', [x, this.i64(out.shape)]);
    const target: number[] = [...out.shape];
    const u = this.twin.get(out)!, ux = this.twin.get(xt);
    const left = dyns.filter((k) => {
      const same = k < xt.ndim && xt.shape[k] === out.shape[k] && ux !== undefined && ux.shape[k] === u.shape[k];
      if (same) target[k] = 0;
      return !same;
    });
    if (left.length <= 1) {
      if (left.length === 1) target[left[0]!] = -1;
      return this.op('Reshape', [x, this.i64(target)]);
    }
    return this.op('Reshape', [x, this.shape(out)]);
  }
}
