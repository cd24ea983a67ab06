// torch.onnx.export: runs the model twice on the public-call trace (src/args.ts call listener) —
// the example inputs, then the dynamic axes one longer and the values rolled — and writes the
// ONNX model (opset 17) the first trace maps to (src/onnx/symbolic.ts). The second trace tells
// which dims are dynamic and which tensors the exporter cannot see are honest constants.

import { setCallListener } from '../args.js';
import { noGrad } from '../autograd/grad-mode.js';
import { f32ToF16Bits, type TypedArray } from '../dtype.js';
import { Module } from '../nn/module.js';
import { PackedSequence } from '../nn/utils.js';
import { cat, roll } from '../ops/index.js';
import { fmtShape } from '../shape.js';
import { isTensor, type Tensor } from '../tensor.js';
import { ExportContext, OnnxExportError, onnxDtype } from './context.js';
import { encodeModel, type TensorData, type ValueData } from './proto.js';
import { moduleMapping, OPS } from './symbolic.js';

/** Options of torch.onnx.export (PyTorch's keywords in camelCase). */
export interface OnnxExportOptions {
  /** Names of the graph inputs, in argument order (default 'input', or 'input_0', 'input_1'...). */
  inputNames?: string[];
  /** Names of the graph outputs (default 'output', or 'output_0'...). */
  outputNames?: string[];
  /** Dynamic dims per input/output name: `{ x: { 0: 'batch' } }` or `{ x: [0] }` (then named `<name>_dynamic_axes_<k>`). */
  dynamicAxes?: Record<string, Record<number, string> | number[]>;
  /** The ONNX opset (17, the only one this exporter writes). */
  opsetVersion?: number;
  /** Parameters and buffers as initializers (true) or as extra graph inputs (false). */
  exportParams?: boolean;
  /** Fold ops whose inputs are all constants into initializers (default true). */
  doConstantFolding?: boolean;
}

interface Call { name: string; self: unknown; args: unknown[]; result: unknown }
/** Calls outside the generated facades that the tracer records (src/args.ts notifyCall). */
const TRACED_FUNCTIONS = new Set(['rnn.packPaddedSequence']);
const HOST_READS = new Set(['item', 'itemSync', 'tolist', 'tolistSync', 'data', 'dataSync', 'toString', 'nonzeroAsync', 'maskedSelectAsync', 'uniqueAsync']);

/** Tensors found in a call's arguments or result, in a fixed order (arrays, PackedSequences and plain objects opened). */
function tensorsIn(x: unknown, out: Tensor[] = [], depth = 0): Tensor[] {
  if (depth > 6 || x === null || typeof x !== 'object') return out;
  if (isTensor(x)) { out.push(x); return out; }
  if (Array.isArray(x)) { for (const v of x) tensorsIn(v, out, depth + 1); return out; }
  if (x instanceof PackedSequence) { if (x.source_) tensorsIn([x.source_.input, x.source_.lengths], out, depth + 1); return out; }
  if (x instanceof Module) return out;
  if (Object.getPrototypeOf(x) === Object.prototype) for (const v of Object.values(x)) tensorsIn(v, out, depth + 1);
  return out;
}

/** Runs fn recording the outermost public calls (a built-in module kept whole counts as one call). */
function trace(fn: () => unknown): { calls: Call[]; result: unknown } {
  const calls: Call[] = [];
  const kept: Tensor[] = [];
  let depth = 0;
  const prev = setCallListener((name, self, args, run) => {
    if (depth > 0) return run();
    const method = name.startsWith('Tensor.') ? name.slice(7) : name;
    if (self instanceof Module) {
      if (!name.endsWith('.forward') || moduleMapping(self) === null) return run();
    } else if (name.includes('.') && !name.startsWith('Tensor.') && !TRACED_FUNCTIONS.has(name)) return run();
    if (HOST_READS.has(method)) {
      throw new OnnxExportError(`${name}() reads tensor values on the host while tracing; the exported graph cannot depend on values (use tensor ops instead)`);
    }
    depth++;
    try {
      const result = run();
      // Keep what the call saw alive past the scopes that own it: constants are read after tracing.
      for (const t of tensorsIn([self, args, result])) if (!t.kept) { t.kept = true; kept.push(t); }
      calls.push({ name, self, args: [...args], result });
      return result;
    } finally { depth--; }
  });
  try {
    return { calls, result: noGrad(fn) };
  } finally {
    setCallListener(prev);
    for (const t of kept) t.kept = false;
  }
}

const sameValues = async (a: Tensor, b: Tensor): Promise<boolean> => {
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((s, i) => s !== b.shape[i])) return false;
  const [x, y] = await Promise.all([a.contiguous().data(), b.contiguous().data()]);
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i]) && x[i] !== y[i]) return false;
  return true;
};

function bytesOf(t: Tensor, d: TypedArray): Uint8Array {
  const arr = t.dtype === 'float16' ? Uint16Array.from(d as ArrayLike<number>, (v) => f32ToF16Bits(v))
    : t.dtype === 'float32' ? Float32Array.from(d as ArrayLike<number>)
      : t.dtype === 'float64' ? Float64Array.from(d as ArrayLike<number>)
        : t.dtype === 'int32' ? Int32Array.from(d as ArrayLike<number>) : Uint8Array.from(d as ArrayLike<number>);
  return new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
}

/** The dynamic axes of one name as { dim: symbol }. */
function axesOf(name: string, spec: Record<number, string> | number[] | undefined): Map<number, string> {
  const m = new Map<number, string>();
  if (Array.isArray(spec)) spec.forEach((d, k) => m.set(d, `${name}_dynamic_axes_${k + 1}`));
  else if (spec) for (const [d, s] of Object.entries(spec)) m.set(Number(d), s);
  return m;
}

/**
 * Exports a model to ONNX (opset 17): traces `model.forward(...args)` in eval mode and maps its ops
 * and built-in modules to ONNX. Writes the file `f` when given (Node, Deno, Bun) and resolves to the
 * model's bytes. An op with no mapping is an error naming the op and the opset.
 * @example
 * ```ts
 * await torch.onnx.export(model, [x], 'model.onnx', { inputNames: ['x'], outputNames: ['logits'], dynamicAxes: { x: { 0: 'batch' } } });
 * ```
 */
export async function onnxExport(model: Module | ((...args: never[]) => unknown), args: Tensor | readonly unknown[], f?: string | null,
  opts: OnnxExportOptions = {}): Promise<Uint8Array> {
  const opset = opts.opsetVersion ?? 17;
  if (opset !== 17) throw new OnnxExportError(`opsetVersion ${opset} is not supported: this exporter writes opset 17`);
  const argList = isTensor(args) ? [args] : [...args];
  const inputs = argList.filter(isTensor);
  const inNames = inputs.map((_, i) => opts.inputNames?.[i] ?? (inputs.length === 1 ? 'input' : `input_${i}`));
  const dyn = opts.dynamicAxes ?? {};
  const run = (xs: unknown[]) => () => (model instanceof Module ? (model as unknown as { call(...a: unknown[]): unknown }).call(...xs) : (model as (...a: unknown[]) => unknown)(...xs));

  const wasTraining = model instanceof Module ? model.training : false;
  if (model instanceof Module) model.eval();
  let t1: { calls: Call[]; result: unknown }, t2: { calls: Call[]; result: unknown };
  let args2: unknown[];
  try {
    t1 = trace(run(argList));
    // The second trace: every dynamic axis one longer, values rolled along dim 0.
    let k = 0;
    args2 = argList.map((a) => {
      if (!isTensor(a)) return a;
      const axes = axesOf(inNames[k]!, dyn[inNames[k++]!]);
      let x: Tensor = a;
      for (const d of axes.keys()) {
        if (d >= x.ndim) throw new OnnxExportError(`dynamicAxes: input '${inNames[k - 1]}' of shape ${fmtShape(x.shape)} has no dim ${d}`);
        x = noGrad(() => cat([x, x.narrow(d, 0, 1)], d));
      }
      return x.ndim > 0 && x.shape[0]! > 1 ? noGrad(() => roll(x, 1, 0)) : x;
    });
    t2 = trace(run(args2));
  } finally {
    if (model instanceof Module) model.train(wasTraining);
  }
  if (t1.calls.length !== t2.calls.length || t1.calls.some((c, i) => c.name !== t2.calls[i]!.name)) {
    const i = t1.calls.findIndex((c, j) => c.name !== t2.calls[j]?.name);
    throw new OnnxExportError(`the model ran different ops at other sizes of the dynamic axes (from call ${i}: ${t1.calls[i]?.name ?? 'end'} vs ${t2.calls[i]?.name ?? 'end'}): its control flow depends on input sizes or values`);
  }

  // Pair every tensor of the first trace with its counterpart in the second.
  const twin = new Map<Tensor, Tensor>();
  const pair = (a: unknown, b: unknown, where: string) => {
    const xs = tensorsIn(a), ys = tensorsIn(b);
    if (xs.length !== ys.length) throw new OnnxExportError(`${where} saw a different number of tensors in the second trace`);
    xs.forEach((x, i) => { if (!twin.has(x)) twin.set(x, ys[i]!); });
  };
  pair(argList, args2!, 'the inputs');
  t1.calls.forEach((c, i) => { const d = t2.calls[i]!; pair([c.self, c.args, c.result], [d.self, d.args, d.result], c.name); });

  const paramNames = new Map<Tensor, string>();
  if (model instanceof Module) {
    for (const [n, p] of model.namedParameters()) paramNames.set(p, n);
    for (const [n, b] of model.namedBuffers()) if (b) paramNames.set(b, n);
  }
  // Tensors no traced op made: constants when both traces hold the same values.
  const made = new Set<Tensor>(inputs);
  const constants = new Set<Tensor>();
  const folded = new Set<Call>();
  for (const c of t1.calls) {
    const ins = tensorsIn([c.self, c.args]);
    for (const x of ins) {
      if (made.has(x) || paramNames.has(x) || constants.has(x)) continue;
      const y = twin.get(x);
      if (y && y !== x && await sameValues(x, y)) constants.add(x);
    }
    const outs = tensorsIn(c.result);
    const constIns = ins.every((x) => constants.has(x) && !made.has(x));
    const creation = ins.length === 0 && !(c.self instanceof Module);
    if ((creation || (constIns && (opts.doConstantFolding ?? true))) && outs.length > 0) {
      let same = true;
      for (const x of outs) if (!(await sameValues(x, twin.get(x) ?? x))) same = false;
      if (same) { for (const x of outs) constants.add(x); folded.add(c); continue; }
    }
    for (const x of outs) made.add(x);
  }

  const ctx = new ExportContext(opset, twin, inputs.map((t, i) => ({ name: inNames[i]!, t })), paramNames, constants);
  inputs.forEach((t, i) => ctx.bind(t, inNames[i]!));
  for (const c of t1.calls) {
    if (folded.has(c) || tensorsIn(c.result).length === 0 && !(c.self instanceof Module)) continue;
    ctx.current = c.name;
    if (c.self instanceof Module) {
      moduleMapping(c.self)!(ctx, c.self, c.args, c.result);
      continue;
    }
    let op = c.name.startsWith('Tensor.') ? c.name.slice(7) : c.name;
    const self = c.name.startsWith('Tensor.') ? [c.self] : [];
    if (!OPS[op] && op.endsWith('_') && OPS[op.slice(0, -1)]) op = op.slice(0, -1); // in place: the result rebinds self
    const map = OPS[op];
    if (!map) throw new OnnxExportError(`Exporting the operator '${c.name}' to ONNX opset version ${opset} is not supported`);
    map(ctx, [...self, ...c.args], c.result);
  }

  // Graph outputs: an Identity per output gives it its name.
  const outs = tensorsIn(t1.result);
  if (outs.length === 0) throw new OnnxExportError('the model returned no tensor');
  const outNames = outs.map((_, i) => opts.outputNames?.[i] ?? (outs.length === 1 ? 'output' : `output_${i}`));
  for (const name of Object.keys(dyn)) {
    if (!inNames.includes(name) && !outNames.includes(name)) throw new OnnxExportError(`dynamicAxes names '${name}', which is neither an input (${inNames.join(', ')}) nor an output (${outNames.join(', ')})`);
  }
  const symbols = new Map<string, string>();
  const inputValues: ValueData[] = inputs.map((t, i) => {
    const axes = axesOf(inNames[i]!, dyn[inNames[i]!]);
    const u = twin.get(t)!;
    return {
      name: inNames[i]!, dtype: onnxDtype(t.dtype),
      dims: t.shape.map((s, d) => {
        const sym = axes.get(d);
        if (sym !== undefined) symbols.set(`${s}|${u.shape[d]}`, sym);
        return sym ?? s;
      }),
    };
  });
  const outputValues: ValueData[] = outs.map((t, i) => {
    const name = outNames[i]!;
    ctx.current = `output '${name}'`;
    const src = ctx.v(t);
    ctx.nodes.push({ op: 'Identity', inputs: [src], outputs: [name], name: `output_${i}`, attrs: {} });
    const axes = axesOf(name, dyn[name]);
    const u = twin.get(t);
    return {
      name, dtype: onnxDtype(t.dtype),
      dims: t.shape.map((s, d) => axes.get(d) ?? (u && u.shape[d] !== s ? symbols.get(`${s}|${u.shape[d]}`) ?? `${name}_dim_${d}` : s)),
    };
  });

  // Only what some node reads (a mapping may make a constant it ends up not using).
  const used = new Set(ctx.nodes.flatMap((n) => n.inputs));
  const initializers: TensorData[] = ctx.initializers.filter((t) => used.has(t.name));
  const paramInputs: ValueData[] = [];
  const seen = new Set<string>();
  for (const { name, t } of ctx.tensorInits) {
    if (seen.has(name) || !used.has(name)) continue;
    seen.add(name);
    if (opts.exportParams === false && paramNames.has(t)) { paramInputs.push({ name, dtype: onnxDtype(t.dtype), dims: t.shape }); continue; }
    initializers.push({ name, dims: t.shape, dtype: onnxDtype(t.dtype), raw: bytesOf(t, await t.contiguous().data()) });
  }
  const bytes = encodeModel({
    graphName: model instanceof Module ? model.constructor.name : (model.name || 'main_graph'),
    nodes: ctx.nodes, initializers, inputs: [...inputValues, ...paramInputs], outputs: outputValues, opset, producerVersion: '0.1.0',
  });
  if (f) {
    const fs = await import('node:fs/promises');
    await fs.writeFile(f, bytes);
  }
  return bytes;
}
