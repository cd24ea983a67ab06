// torch.compile and torch.compiler: compiling functions and modules, resetting caches, logs, and
// captureGraph — the typed graph a function records on placeholders (no kernel runs), with
// composites (linear, conv, norms, attention, losses...) as named nodes that can be kept whole or
// decomposed into primitives. The compiler, ONNX export and the profiler read this same graph.

import type { View } from '../backends/backend.js';
import { isCapturing } from '../backends/registry.js';
import type { DType } from '../dtype.js';
import type { Storage } from '../memory.js';
import { state } from '../state.js';
import { isTensor, type Tensor } from '../tensor.js';
import { Module } from '../nn/module.js';
import { OptimizedModule, type CompiledModule } from '../nn/optimized-module.js';
import { Capture, GraphBreak, isView, type GNode, type KernelName, type Scope } from './capture.js';
import { compileFunction, flatten, resetCompiled, type CompileOptions, type CompiledFunction } from './compile.js';
import { setLogs as setLogs_, type LogOptions } from './logs.js';
import { VBuf } from './vbuf.js';

/**
 * torch.compile: for a function, a function with the same signature that captures, optimises and
 * replays it (guarded on its inputs; recompiled when a guard fails); for a module, an
 * OptimizedModule sharing its parameters and buffers whose forward is compiled.
 * @example
 * ```ts
 * const model = torch.compile(new Net());          // or new Net().compile() in place
 * const step = torch.compile((x: torch.Tensor) => x.sin().mul(2).add(1));
 * ```
 */
export function compile<M extends Module>(model: M, opts?: CompileOptions): CompiledModule<M>;
export function compile<F extends (...args: never[]) => unknown>(fn: F, opts?: CompileOptions): CompiledFunction<F>;
export function compile(fnOrModule: Module | ((...args: never[]) => unknown), opts: CompileOptions = {}): unknown {
  if (fnOrModule instanceof Module) return new OptimizedModule(fnOrModule, opts);
  if (typeof fnOrModule !== 'function') throw new TypeError(`compile(): expected a function or an nn.Module, got ${typeof fnOrModule}`);
  return compileFunction(fnOrModule, opts);
}

/** Forgets every compiled graph (torch.compiler.reset): the next calls compile again. */
export function reset(): void { resetCompiled(); }

/** Chooses which compile logs print (torch._logging.set_logs): graph breaks, recompiles, program statistics. */
export function setLogs(opts: LogOptions): void { setLogs_(opts); }

/** Whether a function is being captured right now (torch.compiler.is_compiling). */
export function isCompiling(): boolean { return isCapturing(); }

/** A value of a captured graph as a node sees it: a (strided) view of one buffer. */
export interface CapturedValue {
  /** The buffer's name: `in0`... (arguments), `ext3`... (parameters and other outside tensors), `t12`... (computed). */
  name: string;
  dtype: DType;
  shape: readonly number[];
  strides: readonly number[];
  offset: number;
}
/** One primitive of a captured graph. */
export interface CapturedNode {
  /** The primitive: a Backend kernel name, with its op for unary/binary/reduce/scan ('unary.exp', 'binary.add', 'matmul'...). */
  op: string;
  inputs: CapturedValue[];
  outputs: CapturedValue[];
  /** Non-tensor arguments (fill values, dims, conv geometry...). */
  attrs: unknown[];
  /** The composites it ran in, outermost first ('linear', 'layerNorm'...). */
  composites: string[];
}
/** A composite op kept whole: its name, attributes, the values it reads and produces, and its primitives. */
export interface CapturedComposite {
  composite: string;
  attrs: Readonly<Record<string, unknown>>;
  inputs: string[];
  outputs: string[];
  nodes: CapturedNode[];
}
/** A captured graph (torch.compiler.captureGraph). */
export interface CapturedGraph {
  /** The argument tensors' buffers, in order. */
  inputs: CapturedValue[];
  /** The returned tensors. */
  outputs: CapturedValue[];
  /** Every primitive in execution order (the decomposed graph). */
  nodes: CapturedNode[];
  /** The graph with top-level composites kept whole (primitives outside any composite stay as they are). */
  composites(): (CapturedNode | CapturedComposite)[];
  /** A readable listing, composites indented. */
  toString(): string;
}

const NAMED_OPS = new Set<KernelName>(['unary', 'binary', 'reduce', 'scan']);

/**
 * Records what fn does with tensors shaped like `args` without running a kernel (a 'meta' run:
 * shapes and dtypes propagate as in eager mode). A host read (item, tolist, data) is a graph break
 * and throws. Tensor arguments become placeholders; non-tensor arguments are passed as they are.
 */
export function captureGraph(fn: (...args: never[]) => unknown, args: readonly unknown[] = []): CapturedGraph {
  const cap = new Capture();
  const rand = [state.seed, state.offset] as const;
  const phs = new Map<Storage, VBuf>();
  const inputs: CapturedValue[] = [];
  const names = new Map<VBuf, string>();
  const nameOf = (b: VBuf) => {
    let n = names.get(b);
    if (!n) { n = `${b.kind === 'input' ? 'in' : b.kind === 'extern' ? 'ext' : 't'}${names.size}`; names.set(b, n); }
    return n;
  };
  const val = (v: View): CapturedValue => ({ name: nameOf(v.buf as VBuf), dtype: v.dtype, shape: v.shape, strides: v.strides, offset: v.offset });
  const sub = (a: unknown): unknown => {
    if (!isTensor(a)) return Array.isArray(a) ? a.map(sub) : a;
    let vb = phs.get(a.storage);
    if (!vb) { vb = new VBuf(a.storage.buf.nbytes, a.device, 'input'); phs.set(a.storage, vb); cap.g.inputs.push(vb); }
    const p = cap.placeholder(vb, a);
    inputs.push(val(p.view_()));
    return p;
  };
  let out: unknown;
  try {
    out = cap.run(() => fn(...(args.map(sub) as never[])));
  } catch (e) {
    if (cap.broke) throw new Error(`captureGraph: ${cap.broke.message}`);
    throw e;
  } finally {
    state.seed = rand[0]; state.offset = rand[1];
  }
  if (cap.broke) throw new Error(`captureGraph: ${(cap.broke as GraphBreak).message}`);
  const outTs: Tensor[] = [];
  flatten(out, outTs);
  const toNode = (n: GNode): CapturedNode => {
    const views = n.kind === 'linalg' ? [...(n.args[1] as View[]), ...(n.args[2] as View[])] : n.args.filter(isView);
    const nOut = n.kind === 'linalg' ? (n.args[2] as View[]).length : n.kind === 'scatter' ? 1 : n.kind === 'maxPool2d' || n.kind === 'attention' ? 2
      : n.kind === 'attentionBackward' ? 3 : n.kind === 'checkRange' ? 0 : n.kind === 'write' ? 0 : 1;
    const inV = n.kind === 'scatter' ? views : views.slice(0, views.length - nOut);
    const outV = n.kind === 'scatter' ? [views[0]!] : views.slice(views.length - nOut);
    const chain: string[] = [];
    for (let s: Scope | null = n.scope; s; s = s.parent) chain.unshift(s.name);
    return {
      op: NAMED_OPS.has(n.kind) ? `${n.kind}.${String(n.args[0])}` : n.kind,
      inputs: inV.map(val),
      outputs: n.kind === 'write' ? [{ name: nameOf(n.args[0] as VBuf), dtype: 'uint8', shape: [(n.args[0] as VBuf).nbytes], strides: [1], offset: 0 }] : outV.map(val),
      attrs: n.args.filter((a) => !isView(a) && !(a instanceof VBuf) && (!NAMED_OPS.has(n.kind) || a !== n.args[0])),
      composites: chain,
    };
  };
  const nodes = cap.g.nodes.map(toNode);
  const outputs = outTs.map((t) => (t.storage.buf instanceof VBuf ? val(t.view_()) : val({ ...t.view_(), buf: cap.g.vbuf(t.storage.buf, t.device) })));
  const g = cap.g;
  return {
    inputs, outputs, nodes,
    composites() {
      const res: (CapturedNode | CapturedComposite)[] = [];
      let cur: { scope: Scope; c: CapturedComposite } | null = null;
      const top = (s: Scope | null) => { let t = s; while (t?.parent) t = t.parent; return t; };
      g.nodes.forEach((gn, i) => {
        const s = top(gn.scope), node = nodes[i]!;
        if (!s) { cur = null; res.push(node); return; }
        if (!cur || cur.scope !== s) {
          cur = { scope: s, c: { composite: s.name, attrs: s.attrs, inputs: [], outputs: [], nodes: [] } };
          res.push(cur.c);
        }
        cur.c.nodes.push(node);
      });
      // Inputs: read before written inside; outputs: written inside and read later or returned.
      const later = (from: number) => new Set(res.slice(from + 1).flatMap((r) => ('composite' in r ? r.nodes : [r]).flatMap((n) => n.inputs.map((v) => v.name))));
      const returned = new Set(outputs.map((o) => o.name));
      res.forEach((r, k) => {
        if (!('composite' in r)) return;
        const written = new Set<string>();
        for (const n of r.nodes) {
          for (const v of n.inputs) if (!written.has(v.name) && !r.inputs.includes(v.name)) r.inputs.push(v.name);
          for (const v of n.outputs) written.add(v.name);
        }
        const after = later(k);
        r.outputs = [...written].filter((w) => after.has(w) || returned.has(w));
      });
      return res;
    },
    toString: () => g.toString(),
  };
}
