// Custom differentiable functions, PyTorch style:
//   class MyExp extends torch.autograd.Function {
//     static forward(ctx, x) { const y = x.exp(); ctx.saveForBackward(y); return y; }
//     static backward(ctx, g) { const [y] = ctx.savedTensors; return g.mul(y); } }
//   MyExp.apply(x)
// forward runs without recording; backward returns one gradient (or null) per forward argument.

import { Tensor } from '../tensor.js';
import { Node } from './graph.js';
import { noGrad } from './grad-mode.js';
import { state } from '../state.js';
import { fmtShape } from '../shape.js';
import { zerosLike } from '../ops/creation.js';

export class FunctionCtx {
  private saved: Tensor[] = [];
  private versions: number[] = [];
  /** For each forward argument: does it need a gradient? */
  needsInputGrad: boolean[] = [];
  nonDifferentiable = new Set<Tensor>();
  /** Free-form storage for non-tensor values, as ctx.foo = ... in PyTorch. */
  [key: string]: unknown;

  saveForBackward(...tensors: (Tensor | null)[]): void {
    this.saved = tensors.filter((t): t is Tensor => t !== null);
    this.versions = this.saved.map((t) => t.version);
  }
  get savedTensors(): Tensor[] {
    this.saved.forEach((t, i) => {
      if (t.version !== this.versions[i]) {
        throw new Error(`one of the variables needed for gradient computation has been modified by an inplace operation: [${t.dtype} ${fmtShape(t.shape)}] is at version ${t.version}; expected version ${this.versions[i]} instead.`);
      }
    });
    return this.saved;
  }
  markNonDifferentiable(...tensors: Tensor[]): void { for (const t of tensors) this.nonDifferentiable.add(t); }
  /** @internal */ releaseSaved(): void { this.saved = []; }
}

type Fwd = (ctx: FunctionCtx, ...args: never[]) => Tensor | Tensor[];
type Bwd = (ctx: FunctionCtx, ...grads: Tensor[]) => Tensor | null | (Tensor | null | undefined)[];

class CustomNode extends Node {
  constructor(readonly name: string, private readonly ctx: FunctionCtx, private readonly bwd: Bwd,
    private readonly argIsTensor: boolean[], private readonly outShapes: Tensor[]) { super(); }
  apply(grads: (Tensor | null)[]): (Tensor | null)[] {
    const full = grads.map((g, i) => g ?? zerosLike(this.outShapes[i]!));
    const r = this.bwd(this.ctx, ...full);
    const list = Array.isArray(r) ? r : [r];
    // Map per-argument gradients onto tensor inputs only.
    const out: (Tensor | null)[] = [];
    this.argIsTensor.forEach((isT, i) => { if (isT) out.push(list[i] ?? null); });
    return out;
  }
  override release(): void { super.release(); this.ctx.releaseSaved(); }
}

export class Function {
  static forward(_ctx: FunctionCtx, ..._args: unknown[]): Tensor | Tensor[] {
    throw new Error('autograd.Function: subclasses must implement static forward(ctx, ...args)');
  }
  static backward(_ctx: FunctionCtx, ..._grads: Tensor[]): Tensor | null | (Tensor | null | undefined)[] {
    throw new Error('autograd.Function: subclasses must implement static backward(ctx, ...grads)');
  }

  static apply<T extends Tensor | Tensor[] = Tensor>(this: { forward: Fwd; backward: Bwd; name: string }, ...args: unknown[]): T {
    const ctx = new FunctionCtx();
    const tensorArgs = args.filter((a): a is Tensor => a instanceof Tensor);
    ctx.needsInputGrad = args.map((a) => a instanceof Tensor && a.requiresGrad);
    const raw = noGrad(() => this.forward(ctx, ...(args as never[])));
    const outs = (Array.isArray(raw) ? raw : [raw]).map((o) => (tensorArgs.includes(o) ? o.detach() : o));
    if (state.gradEnabled && tensorArgs.some((t) => t.requiresGrad)) {
      const node = new CustomNode(this.name, ctx, this.backward.bind(this), args.map((a) => a instanceof Tensor), outs);
      node.next = tensorArgs.map((t) => (t.requiresGrad ? t.gradEdge() : null));
      node.nOutputs = outs.length;
      outs.forEach((o, i) => { if (o.isFloatingPoint() && !ctx.nonDifferentiable.has(o)) o.setGradFn_(node, i); });
    }
    return (Array.isArray(raw) ? outs : outs[0]) as T;
  }
}
