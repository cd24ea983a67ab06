// Custom differentiable functions, PyTorch style:
//   class MyExp extends torch.autograd.Function {
//     static forward(ctx, x) { const y = x.exp(); ctx.saveForBackward(y); return y; }
//     static backward(ctx, g) { const [y] = ctx.savedTensors; return g.mul(y); } }
//   MyExp.apply(x)
// forward runs without recording; backward returns one gradient (or null) per forward argument.
// ctx.markDirty(x) is for a forward that modifies its input x in place and returns it (PyTorch's
// mark_dirty); ctx.setMaterializeGrads(false) passes null instead of zeros for unused outputs.

import { Tensor } from '../tensor.js';
import { Node } from './graph.js';
import { holdSaved, dropSaved } from '../memory.js';
import { noGrad } from './grad-mode.js';
import { state } from '../state.js';
import { fmtShape, shapesEqual } from '../shape.js';
import { zeros } from '../ops/creation.js';
import { sumTo } from '../ops/reduce.js';

/** The ctx passed to a custom Function's forward and backward: saves tensors and flags between the two (torch.autograd.function.FunctionCtx). */
export class FunctionCtx {
  private saved: Tensor[] = [];
  private versions: number[] = [];
  /** For each forward argument: does it need a gradient? */
  needsInputGrad: boolean[] = [];
  /** Outputs marked non-differentiable (they get no gradFn). */
  nonDifferentiable = new Set<Tensor>();
  /** Inputs the forward modified in place (markDirty): returned as themselves, with the node as gradFn. */
  dirty = new Set<Tensor>();
  /** Whether backward gets zeros (true, the default) or null for outputs that received no gradient. */
  materializeGrads = true;
  /** Free-form storage for non-tensor values, as ctx.foo = ... in PyTorch. */
  [key: string]: unknown;

  /** Saves tensors for backward (nulls are dropped); in-place changes to them before backward are detected. */
  saveForBackward(...tensors: (Tensor | null)[]): void {
    this.releaseSaved();
    this.saved = tensors.filter((t): t is Tensor => t !== null);
    for (const t of this.saved) holdSaved(t);
    this.versions = this.saved.map((t) => t.version);
  }
  /** The tensors given to saveForBackward; throws if one was modified in place since. */
  get savedTensors(): Tensor[] {
    this.saved.forEach((t, i) => {
      if (t.version !== this.versions[i]) {
        throw new Error(`one of the variables needed for gradient computation has been modified by an inplace operation: [${t.dtype} ${fmtShape(t.shape)}] is at version ${t.version}; expected version ${this.versions[i]} instead.`);
      }
    });
    return this.saved;
  }
  /** Marks outputs that are not differentiable, so they carry no gradient history. */
  markNonDifferentiable(...tensors: Tensor[]): void { for (const t of tensors) this.nonDifferentiable.add(t); }
  /**
   * Marks inputs that forward modified in place; each must also be returned. Its version counter is
   * bumped and its history rebased onto this Function's node, so gradients reach what it depended on
   * through backward (PyTorch's mark_dirty).
   */
  markDirty(...tensors: Tensor[]): void { for (const t of tensors) this.dirty.add(t); }
  /**
   * With false, backward receives null (PyTorch's None) for outputs whose gradient is undefined
   * instead of zero tensors; declare such gradients `Tensor | null` (set_materialize_grads).
   */
  setMaterializeGrads(value: boolean): void { this.materializeGrads = value; }
  /** @internal Re-reads the saved tensors' versions: PyTorch saves them when forward returns (after mark_dirty's bump). */
  recordSavedVersions(): void { this.versions = this.saved.map((t) => t.version); }
  /** @internal */ releaseSaved(): void {
    for (const t of this.saved) dropSaved(t);
    this.saved = [];
  }
}

type Fwd = (ctx: FunctionCtx, ...args: never[]) => Tensor | Tensor[];
type Bwd = (ctx: FunctionCtx, ...grads: Tensor[]) => Tensor | null | (Tensor | null | undefined)[];

interface Meta { shape: readonly number[]; dtype: Tensor['dtype']; device: Tensor['device'] }
const metaOf = (t: Tensor): Meta => ({ shape: [...t.shape], dtype: t.dtype, device: t.device });

/** Can a tensor of shape `from` be broadcast to `to` (so a gradient of shape `to` sums back)? */
function expandable(from: readonly number[], to: readonly number[]): boolean {
  if (from.length > to.length) return false;
  const off = to.length - from.length;
  return from.every((s, i) => s === 1 || s === to[i + off]);
}

class CustomNode extends Node {
  // Only metadata of outputs and inputs is kept, so the node does not hold their storage alive.
  constructor(readonly name: string, private readonly ctx: FunctionCtx, private readonly bwd: Bwd,
    private readonly argIsTensor: boolean[], private readonly outMeta: Meta[], private readonly inMeta: Meta[]) { super(); }
  /** PyTorch names a custom Function's node `<Class>Backward`. */
  override get backwardName(): string { return `${this.name}Backward`; }
  apply(grads: (Tensor | null)[]): (Tensor | null)[] {
    const full = this.ctx.materializeGrads
      ? grads.map((g, i) => g ?? zeros(this.outMeta[i]!.shape, { dtype: this.outMeta[i]!.dtype, device: this.outMeta[i]!.device }))
      : grads;
    const r = this.bwd(this.ctx, ...(full as Tensor[])); // nulls only after setMaterializeGrads(false)
    const list = Array.isArray(r) ? r : [r];
    const n = this.argIsTensor.length;
    if (list.length < n || list.slice(n).some((g) => g !== null && g !== undefined)) {
      throw new Error(`function ${this.name}Backward returned an incorrect number of gradients (expected ${n}, got ${list.length})`);
    }
    // Map per-argument gradients onto tensor inputs only, checked against the inputs' metadata.
    const out: (Tensor | null)[] = [];
    this.argIsTensor.forEach((isT, i) => {
      if (!isT) return;
      let g = list[i] ?? null;
      const m = this.inMeta[out.length]!;
      if (g) {
        if (!(g instanceof Tensor)) throw new TypeError(`function ${this.name}Backward returned a non-Tensor gradient at index ${i}`);
        if (!shapesEqual(g.shape, m.shape)) {
          if (!expandable(m.shape, g.shape)) {
            throw new RangeError(`Function ${this.name}Backward returned an invalid gradient at index ${i} - got ${fmtShape(g.shape)} but expected shape compatible with ${fmtShape(m.shape)}`);
          }
          g = sumTo(g, m.shape);
        }
        if (g.dtype !== m.dtype) g = g.to(m.dtype);
      }
      out.push(g);
    });
    return out;
  }
  override release(): void {
    if (this.released) return;
    super.release();
    this.ctx.releaseSaved();
  }
}

/** Base class of custom differentiable operations: subclass with static forward(ctx, ...args) and backward(ctx, ...grads), call with apply (torch.autograd.Function). */
export class Function {
  /** Computes the outputs (run without recording); override in subclasses. */
  static forward(_ctx: FunctionCtx, ..._args: unknown[]): Tensor | Tensor[] {
    throw new Error('autograd.Function: subclasses must implement static forward(ctx, ...args)');
  }
  /** Returns one gradient (or null) per forward argument, given the outputs' gradients; override in subclasses. */
  static backward(_ctx: FunctionCtx, ..._grads: Tensor[]): Tensor | null | (Tensor | null | undefined)[] {
    throw new Error('autograd.Function: subclasses must implement static backward(ctx, ...grads)');
  }

  /** Runs forward and, when an input requires grad, attaches a node that calls backward. */
  static apply<T extends Tensor | Tensor[] = Tensor>(this: { forward: Fwd; backward: Bwd; name: string }, ...args: unknown[]): T {
    const ctx = new FunctionCtx();
    const tensorArgs = args.filter((a): a is Tensor => a instanceof Tensor);
    ctx.needsInputGrad = args.map((a) => a instanceof Tensor && a.requiresGrad);
    const raw = noGrad(() => this.forward(ctx, ...(args as never[])));
    const rawOuts = Array.isArray(raw) ? raw : [raw];
    if ([...ctx.dirty].some((t) => !rawOuts.includes(t))) {
      throw new Error('Some elements marked as dirty during the forward method were not returned as output. The inputs that are modified inplace must all be outputs of the Function.');
    }
    // A dirty input is returned as itself (its storage now holds the result); other returned inputs
    // become detached aliases, so the Function's history never overwrites an argument's.
    const outs = rawOuts.map((o) => (tensorArgs.includes(o) && !ctx.dirty.has(o) ? o.detach() : o));
    for (const t of ctx.dirty) t.storage.version++; // as PyTorch's _mark_dirty, on top of forward's own in-place bumps
    ctx.recordSavedVersions();
    if (state.gradEnabled && tensorArgs.some((t) => t.requiresGrad)) {
      for (const t of ctx.dirty) {
        if (t.isLeaf && t.requiresGrad) throw new Error('a leaf Variable that requires grad has been used in an in-place operation.');
        // No view replay (see ops/shape.ts inplace): the base would keep its stale history.
        if (t.base && (t.base.requiresGrad || t.requiresGrad)) {
          throw new Error(`${this.name}: an input marked dirty is a view (shape ${fmtShape(t.shape)}) of a tensor that requires grad, which is not supported; clone() it before the call`);
        }
      }
      const node = new CustomNode(this.name, ctx, this.backward.bind(this), args.map((a) => a instanceof Tensor), outs.map(metaOf), tensorArgs.map(metaOf));
      // The edges are read before any dirty output is rebased: they lead to the input's old history.
      node.link(tensorArgs.map((t) => (t.requiresGrad ? t.gradEdge() : null)));
      node.nOutputs = outs.length;
      outs.forEach((o, i) => { if (o.isFloatingPoint() && !ctx.nonDifferentiable.has(o)) o.setGradFn_(node, i); });
    } else ctx.releaseSaved(); // no node will ever read them
    return (Array.isArray(raw) ? outs : outs[0]) as T;
  }
}
