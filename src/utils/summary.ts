// torch.utils.summary: torchinfo's summary table (layers by type:depth-idx, output shapes,
// parameter counts, totals). It runs one forward on zeros under noGrad, in eval mode, with
// forward pre-hooks (call order, depth) and forward hooks (output shapes) on every submodule.

import type { Device } from '../backends/backend.js';
import { itemSize, type DType } from '../dtype.js';
import { noGrad } from '../autograd/grad-mode.js';
import { zeros } from '../ops/creation.js';
import { isTensor, type Tensor } from '../tensor.js';
import type { Module } from '../nn/module.js';

/** Options of torch.utils.summary. */
export interface SummaryOptions {
  /** Device of the zero inputs (default: the model's first parameter's, else 'cpu'). */
  device?: Device;
  /** Dtype of each input (default float32). */
  dtypes?: DType[];
  /** Deepest level of layers listed (default 3); deeper layers are counted in their ancestor. */
  depth?: number;
  /** 0: return the summary silently; 1 (default): also print it with console.log. */
  verbose?: 0 | 1;
}

/** One row of a summary: a module call. */
export interface SummaryRow {
  /** The module's class name ('Conv2d'). */
  readonly type: string;
  /** Depth: 0 for the model, 1 for its children... */
  readonly depth: number;
  /** 1-based index among the listed layers of that depth (torchinfo's depth-idx). */
  readonly index: number;
  /** Output shape(s) of the call (one per output tensor). */
  readonly outputShapes: readonly (readonly number[])[];
  /** Parameters shown in the Param # column (null: '--'). */
  readonly params: number | null;
}

/** What torch.utils.summary returns: the rows, the totals, and the table as text. */
export class ModelSummary {
  /** @internal */
  constructor(
    /** The listed layers, in call order. */
    readonly rows: readonly SummaryRow[],
    /** Parameters of the model (each counted once). */
    readonly totalParams: number,
    /** Of which require grad. */
    readonly trainableParams: number,
    /** Input bytes. */
    readonly inputBytes: number,
    /** Bytes of the outputs of the leaf layers (forward; doubled for forward/backward). */
    readonly outputBytes: number,
    /** Parameter bytes. */
    readonly paramBytes: number,
  ) {}
  /** Parameters that do not require grad. */
  get nonTrainableParams(): number { return this.totalParams - this.trainableParams; }
  /** The table as torchinfo prints it. */
  toString(): string {
    const c = [40, 25, 25];
    const bar = '='.repeat(c[0]! + c[1]! + c[2]!);
    const row = (a: string, b: string, d: string): string => `${a.padEnd(c[0]!)}${b.padEnd(c[1]!)}${d}`.trimEnd();
    const lines = [bar, row('Layer (type:depth-idx)', 'Output Shape', 'Param #'), bar];
    for (const r of this.rows) {
      const name = r.depth === 0 ? r.type : `${r.depth === 1 ? '├─' : `${'│    '.repeat(r.depth - 1)}└─`}${r.type}: ${r.depth}-${r.index}`;
      const shape = r.outputShapes.length === 1 ? `[${r.outputShapes[0]!.join(', ')}]` : r.outputShapes.map((s) => `[${s.join(', ')}]`).join(', ');
      lines.push(row(name, shape, r.params === null ? '--' : r.params.toLocaleString('en-US')));
    }
    const mb = (b: number): string => (b / 1e6).toFixed(2);
    lines.push(
      bar,
      `Total params: ${this.totalParams.toLocaleString('en-US')}`,
      `Trainable params: ${this.trainableParams.toLocaleString('en-US')}`,
      `Non-trainable params: ${this.nonTrainableParams.toLocaleString('en-US')}`,
      bar,
      `Input size (MB): ${mb(this.inputBytes)}`,
      `Forward/backward pass size (MB): ${mb(2 * this.outputBytes)}`,
      `Params size (MB): ${mb(this.paramBytes)}`,
      `Estimated Total Size (MB): ${mb(this.inputBytes + 2 * this.outputBytes + this.paramBytes)}`,
      bar,
    );
    return lines.join('\n');
  }
}

const numel = (t: Tensor): number => t.shape.reduce((a, b) => a * b, 1);
const bytesOf = (t: Tensor): number => numel(t) * itemSize[t.dtype];

/**
 * torchinfo's summary: runs model on zeros of `inputShape` (batch dim included; an array of shapes
 * for several inputs) under noGrad in eval mode, and lists each layer's output shape and parameter
 * count, with the totals. Prints the table unless `verbose: 0`; returns it (`String(s)`).
 * @example
 * ```ts
 * torch.utils.summary(new Net(), [1, 1, 28, 28]);
 * ```
 */
export function summary(model: Module, inputShape: number[] | number[][], opts: SummaryOptions = {}): ModelSummary {
  const shapes: number[][] = inputShape.length > 0 && Array.isArray(inputShape[0]) ? (inputShape as number[][]) : [inputShape as number[]];
  const maxDepth = opts.depth ?? 3;
  const params = model.parameters();
  const device: Device = opts.device ?? (params[0]?.device as Device | undefined) ?? 'cpu';
  const depthOf = new Map<Module, number>();
  const walk = (m: Module, d: number): void => {
    if (depthOf.has(m)) return;
    depthOf.set(m, d);
    for (const c of m.children()) walk(c, d + 1);
  };
  walk(model, 0);
  const hasShownChild = (m: Module): boolean => m.children().some((c) => (depthOf.get(c) ?? 0) <= maxDepth);
  const count = (ps: readonly Tensor[]): number => ps.reduce((s, p) => s + numel(p), 0);

  interface Open { type: string; depth: number; index: number; params: number | null; outputShapes: number[][]; leaf: boolean }
  const rows: Open[] = [];
  const idx = new Map<number, number>();
  let outputBytes = 0;
  const handles: { remove(): void }[] = [];
  for (const [m, d] of depthOf) {
    if (d > maxDepth) continue;
    const pending: Open[] = [];
    handles.push(m.registerForwardPreHook(() => {
      const i = (idx.get(d) ?? 0) + 1;
      if (d > 0) idx.set(d, i);
      const shown = hasShownChild(m);
      const own = count(shown ? m.parameters(false) : m.parameters());
      const r: Open = { type: m.constructor.name, depth: d, index: i, params: own > 0 ? own : null, outputShapes: [], leaf: !shown };
      rows.push(r);
      pending.push(r);
      return undefined;
    }));
    handles.push(m.registerForwardHook((_m, _in, out) => {
      const r = pending.pop();
      if (r) {
        const outs = (Array.isArray(out) ? out : [out]).filter(isTensor);
        r.outputShapes = outs.map((t) => [...t.shape]);
        if (r.leaf) outputBytes += outs.reduce((s, t) => s + bytesOf(t), 0);
      }
      return undefined;
    }));
  }
  const training = model.modules().map((m) => m.training);
  const inputs = shapes.map((s, i) => zeros(s, { dtype: opts.dtypes?.[i] ?? 'float32', device }));
  try {
    model.eval();
    const m = model as Module & { forward(...a: never[]): unknown };
    noGrad(() => { m.call(...(inputs as never[])); });
  } finally {
    for (const h of handles) h.remove();
    model.modules().forEach((m, i) => { m.training = training[i] ?? m.training; });
  }
  const trainable = count(params.filter((p) => p.requiresGrad));
  const s = new ModelSummary(
    rows.map((r) => ({ type: r.type, depth: r.depth, index: r.index, outputShapes: r.outputShapes, params: r.params })),
    count(params), trainable, inputs.reduce((a, t) => a + bytesOf(t), 0), outputBytes, params.reduce((a, p) => a + bytesOf(p), 0),
  );
  if ((opts.verbose ?? 1) === 1) console.log(s.toString());
  return s;
}
