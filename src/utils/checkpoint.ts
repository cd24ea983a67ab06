// torch.utils.checkpoint: activation checkpointing. checkpoint(fn, ...args) runs fn without recording
// the graph (so none of its activations are saved), keeping only its arguments; backward runs fn again
// with the random state it saw the first time (dropout masks match) and differentiates that.
// Non-reentrant (the default here, PyTorch's recommended mode): gradients reach every tensor fn read
// that requires grad (arguments, parameters, captured tensors), autograd.grad works, nesting works.
// Reentrant (useReentrant: true): gradients reach the tensor arguments; parameters get theirs from an
// inner backward pass, as PyTorch's reentrant variant does.

import { Tensor, isTensor, gradsInternally } from '../tensor.js';
import { Node, runBackward, isCapturingGrad, type Edge } from '../autograd/graph.js';
import { enableGrad, noGrad } from '../autograd/grad-mode.js';
import { holdSaved, dropSaved, ownedScope } from '../memory.js';
import { state } from '../state.js';
import { fmtShape } from '../shape.js';
import { Module, runModule } from '../nn/module.js';
import { autocastState, withAutocastState, type AutocastOptions } from '../amp/autocast.js';

/** Options of checkpoint and checkpointSequential (PyTorch's keywords in camelCase). */
export interface CheckpointOptions {
  /** PyTorch's reentrant implementation (gradients only through tensor arguments; no autograd.grad); default false. */
  useReentrant?: boolean;
  /** Replay the random state of the forward when recomputing, so dropout masks match (default true). */
  preserveRngState?: boolean;
}
const OPTION_KEYS = new Set(['useReentrant', 'preserveRngState']);

/** Whether x is checkpoint's trailing options object (a plain object of only its option keys). */
function isOptions(x: unknown): x is CheckpointOptions {
  if (x === null || typeof x !== 'object' || Array.isArray(x) || x instanceof Tensor) return false;
  const proto = Object.getPrototypeOf(x) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  const keys = Object.keys(x);
  return keys.length > 0 && keys.every((k) => OPTION_KEYS.has(k));
}

type Outputs = Tensor | Tensor[];
const metaOf = (t: Tensor): string => `{shape: [${t.shape.join(', ')}], dtype: ${t.dtype}, device: ${t.device}}`;
type RngState = [number, number];

/** The backward node of a checkpointed call: recomputes fn and differentiates the recomputation. */
class CheckpointNode extends Node {
  readonly name = 'Checkpoint';
  private saved: Tensor[];
  private versions: number[];
  /** The forward outputs' shapes and dtypes: the recomputation must reproduce them. */
  private readonly outMeta: string[];
  constructor(private fn: ((...a: unknown[]) => Outputs) | null, private args: unknown[] | null, private readonly rng: RngState | null,
    held: Tensor[], private readonly reentrant: boolean, outs: Tensor[], private readonly amp: AutocastOptions[]) {
    super();
    this.outMeta = outs.map(metaOf);
    this.saved = held;
    this.versions = held.map((t) => t.version);
    for (const t of held) holdSaved(t);
  }

  /** Runs fn again on the saved arguments with the forward's random state and autocast state (as PyTorch). */
  private recompute(args: unknown[]): Tensor[] {
    const now: RngState = [state.seed, state.offset];
    if (this.rng) [state.seed, state.offset] = this.rng;
    try {
      const r = withAutocastState(this.amp, () => enableGrad(() => this.fn!(...args)));
      const outs = Array.isArray(r) ? r : [r];
      const meta = outs.map((o) => (o instanceof Tensor ? metaOf(o) : typeof o));
      const bad = meta.map((m, i) => i).filter((i) => meta[i] !== this.outMeta[i]);
      if (bad.length || meta.length !== this.outMeta.length) {
        throw new Error(`torch.utils.checkpoint: Recomputed values have different metadata than during the forward pass (${this.outMeta.length} outputs then, ${meta.length} now).\n` +
          bad.map((i) => `tensor at position ${i}:\nsaved metadata: ${this.outMeta[i] ?? 'none'}\nrecomputed metadata: ${meta[i]}`).join('\n'));
      }
      return outs;
    } finally {
      if (this.rng) [state.seed, state.offset] = now;
    }
  }

  apply(grads: (Tensor | null)[]): (Tensor | null)[] {
    this.saved.forEach((t, i) => {
      if (t.version !== this.versions[i]) {
        throw new Error(`checkpoint: one of the variables needed for gradient computation has been modified by an inplace operation: [${t.dtype} ${fmtShape(t.shape)}] is at version ${t.version}; expected version ${this.versions[i]} instead.`);
      }
    });
    const createGraph = state.gradEnabled; // the engine records backward only with createGraph
    if (!this.reentrant) {
      const outs = this.recompute(this.args!);
      const roots: Tensor[] = [], seeds: Tensor[] = [];
      outs.forEach((o, i) => { const g = grads[i]; if (g && o.requiresGrad) { roots.push(o); seeds.push(g); } });
      if (roots.length === 0) return this.next.map(() => null);
      // Differentiate the recomputation down to this node's edges (what the forward read) and no further.
      return runBackward(roots, seeds, { createGraph, stopAtCapture: true }, this.next.map((e) => e!))!;
    }
    // Reentrant: fresh leaves for the tensor arguments; parameters accumulate in the inner backward,
    // which autograd.grad must not do (PyTorch refuses it alike).
    if (isCapturingGrad()) {
      throw new Error('Checkpointing is not compatible with .grad() or when an `inputs` parameter is passed to .backward(). Please use .backward() and do not pass its `inputs` argument.');
    }
    const detached = this.args!.map((a) => (a instanceof Tensor ? a.detach().requiresGrad_(a.requiresGrad) : a));
    const outs = this.recompute(detached);
    const roots: Tensor[] = [], seeds: Tensor[] = [];
    outs.forEach((o, i) => { const g = grads[i]; if (g && o.requiresGrad) { roots.push(o); seeds.push(g); } });
    if (roots.length === 0) throw new Error('none of output has requires_grad=True, this checkpoint() is not necessary');
    runBackward(roots, seeds, { createGraph });
    return gradsInternally(() => detached.filter((a): a is Tensor => a instanceof Tensor && a.requiresGrad).map((a) => a.grad));
  }

  override release(): void {
    if (this.released) return;
    super.release();
    for (const t of this.saved) dropSaved(t);
    this.saved = [];
    this.fn = null;
    this.args = null;
  }
}

/**
 * Runs fn(...args) saving no activations; its backward recomputes them (torch.utils.checkpoint.checkpoint).
 * fn returns a Tensor or an array of Tensors. An options object `{ useReentrant, preserveRngState }`
 * may follow the arguments (a trailing plain object with only those keys).
 * @example
 * ```ts
 * const y = torch.utils.checkpoint.checkpoint((x) => block.call(x), x);
 * ```
 */
export function checkpoint<R extends Outputs>(fn: (...args: never[]) => R, ...args: unknown[]): R {
  if (typeof fn !== 'function') throw new TypeError(`checkpoint: expected a function to run, got ${typeof fn}`);
  const opts: CheckpointOptions = args.length && isOptions(args[args.length - 1]) ? (args.pop() as CheckpointOptions) : {};
  const run = fn as unknown as (...a: unknown[]) => R;
  if (!state.gradEnabled) return run(...args); // nothing will be differentiated: a plain call
  const reentrant = opts.useReentrant ?? false;
  const rng: RngState | null = opts.preserveRngState ?? true ? [state.seed, state.offset] : null;
  const amp = autocastState();
  const prevReads = state.checkpointReads;
  const reads = new Set<Tensor>();
  state.checkpointReads = reads;
  let result: R;
  // In a scope of its own: what fn made and does not return is freed now (nothing saved it), as
  // PyTorch frees it by reference counting; tensors fn stores elsewhere must be keep()-marked.
  try { result = noGrad(() => ownedScope(() => run(...args), 'checkpoint', isTensor)); } finally { state.checkpointReads = prevReads; }
  if (prevReads) for (const t of reads) prevReads.add(t);
  const isArr = Array.isArray(result);
  const outs = (isArr ? (result as Tensor[]) : [result as Tensor]).map((o) => {
    if (!(o instanceof Tensor)) throw new TypeError(`checkpoint: the function must return a Tensor or an array of Tensors, got ${typeof o}`);
    return args.includes(o) ? o.detach() : o; // an argument passed through gets a new identity, as Function.apply
  });
  const tensorArgs = args.filter((a): a is Tensor => a instanceof Tensor);
  // The edges: the tensor arguments that require grad, and (non-reentrant) whatever else the forward
  // read that does. Arguments count even when no recorded op read them (a compiled fn replays
  // kernels without `record`); the recomputation's graph then still reaches them.
  const argEdges = tensorArgs.filter((t) => t.requiresGrad);
  const sources = reentrant ? argEdges : [...argEdges, ...reads];
  const edges: Edge[] = [];
  const seen = new Set<string>();
  const keyOf = new Map<object, number>();
  for (const t of sources) {
    const e = t.gradEdge();
    if (!e) continue;
    if (!keyOf.has(e.node)) keyOf.set(e.node, keyOf.size);
    const k = `${keyOf.get(e.node)}:${e.outputNr}`;
    if (!seen.has(k)) { seen.add(k); edges.push(e); }
  }
  if (edges.length === 0) return (isArr ? outs : outs[0]) as R;
  // Saved: the arguments, and what the forward read (so recomputation finds them alive).
  const held = [...new Set([...tensorArgs, ...reads])];
  const node = new CheckpointNode(run as (...a: unknown[]) => Outputs, [...args], rng, held, reentrant, outs, amp);
  node.link(edges);
  node.nOutputs = outs.length;
  outs.forEach((o, i) => { if (o.isFloatingPoint()) o.setGradFn_(node, i); });
  return (isArr ? outs : outs[0]) as R;
}

/** A stage of checkpointSequential: a module (called with its hooks) or a function of one tensor. */
export type SequentialStage = Module | ((x: Tensor) => Tensor);

/**
 * Runs `functions` in sequence on input, split into `segments` chunks of which all but the last are
 * checkpointed (torch.utils.checkpoint.checkpoint_sequential). functions: an nn.Sequential or an
 * array of modules / functions.
 */
export function checkpointSequential(functions: Module | SequentialStage[], segments: number, input: Tensor, opts: CheckpointOptions = {}): Tensor {
  const fns: SequentialStage[] = functions instanceof Module ? functions.children() : [...functions];
  if (!Number.isInteger(segments) || segments < 1) throw new RangeError(`checkpointSequential: segments must be a positive integer, got ${segments}`);
  const call = (f: SequentialStage, x: Tensor): Tensor => (f instanceof Module ? runModule(f, x) as Tensor : f(x));
  const runRange = (start: number, end: number) => (x: Tensor): Tensor => {
    for (let j = start; j <= end; j++) x = call(fns[j]!, x);
    return x;
  };
  const size = Math.floor(fns.length / segments);
  let end = -1, x = input;
  for (let start = 0; start < size * (segments - 1); start += size) {
    end = start + size - 1;
    x = checkpoint(runRange(start, end), x, { useReentrant: opts.useReentrant ?? false, preserveRngState: opts.preserveRngState ?? true });
  }
  return runRange(end + 1, fns.length - 1)(x);
}
