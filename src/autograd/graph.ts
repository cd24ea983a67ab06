// The autograd graph and its backward engine. A Node is one recorded op; its `next` edges point at
// the nodes that produced its inputs (AccumulateGrad for leaves). `runBackward` walks the graph in
// dependency order, sums gradients per output, runs tensor hooks, and either accumulates into
// leaves' .grad (backward) or captures the gradients of chosen tensors (autograd.grad).
// Without createGraph the engine frees what it made as soon as nothing needs it: gradients flowing
// between nodes and the temporaries of backward rules. What it hands to user code (hook arguments and
// results, captured gradients, .grad tensors) is never freed here; it stays in the caller's tidy scope.

import { gradsInternally, type Tensor } from '../tensor.js';
import { noGrad, enableGrad } from './grad-mode.js';
import { fmtShape } from '../shape.js';
import { itemSize } from '../dtype.js';
import { collectCreated, track, userCode, userFrames } from '../memory.js';
import { state } from '../state.js';
import { applyWithAnomaly } from './anomaly.js';

/** A link in the backward graph: the node that receives a gradient and which of its outputs it is for. */
export interface Edge { node: Node; outputNr: number }
/** A gradient hook: sees the gradient and may return a replacement. */
export type Hook = (grad: Tensor) => Tensor | void;

let seq = 0;

/** A node of the backward graph (a tensor's gradFn): turns output gradients into input gradients. */
export abstract class Node {
  abstract readonly name: string;
  /** One entry per input of the op: where that input's gradient goes (null: no grad needed). */
  next: (Edge | null)[] = [];
  /** Creation order; later nodes run first among ready ones, as in PyTorch. */
  readonly seq = seq++;
  /** Number of outputs of the op this node records. */
  nOutputs = 1;
  /** Whether saved tensors were freed (a second backward through it throws). */
  released = false;
  /** How many edges of other (unreleased) nodes point here: 0 means no backward can reach it through them. */
  edgeRefs = 0;
  /** How many tensors have this node as their gradFn. */
  holders = 0;
  /** Hooks registered on the non-leaf tensors this node produced, by output number. */
  outputHooks: Map<number, Hook[]> | null = null;
  /** Non-leaf tensors that asked retainGrad(), by output number. */
  retained: Map<number, WeakRef<Tensor>> | null = null;
  /** The user's stack at the forward call, recorded only under anomaly detection (autograd/anomaly.ts). */
  readonly trace: string[] | null = state.anomaly ? userFrames(16) : null;
  /** The name PyTorch gives this node's backward function (MulBackward0): what anomaly errors show. */
  get backwardName(): string { return `${this.name}Backward0`; }

  /** Computes the gradients of the inputs from the gradients of the outputs (never all null). */
  abstract apply(grads: (Tensor | null)[]): (Tensor | null)[];
  /** Sets the input edges (see edgeRefs). */
  link(next: (Edge | null)[]): void {
    this.next = next;
    for (const e of next) if (e) e.node.edgeRefs++;
  }
  /** Drops saved tensors after a backward pass without retainGraph, or once no backward can reach it. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const e of this.next) if (e) e.node.edgeRefs--;
  }
  /**
   * Called by an in-place op on this node's own result before it overwrites `t`: a node that saved
   * `t` (or a view of its storage) keeps a differentiable copy of the old value instead, as
   * PyTorch's in-place ops save `original_self`.
   */
  snapshotSaved(_t: Tensor): void { /* nodes that save nothing have nothing to copy */ }

  /** Registers a hook on the gradient of output outputNr (Tensor.registerHook on a non-leaf). */
  addOutputHook(outputNr: number, h: Hook): void {
    this.outputHooks ??= new Map();
    const l = this.outputHooks.get(outputNr) ?? [];
    l.push(h);
    this.outputHooks.set(outputNr, l);
  }
}

/** The sink of a leaf tensor that requires grad: adds incoming gradients into `.grad`. */
export class AccumulateGrad extends Node {
  readonly name = 'AccumulateGrad';
  /** Hooks registered on the leaf (Tensor.registerHook), run before accumulation. */
  hooks: Hook[] = [];
  constructor(readonly variable: Tensor) { super(); }
  /** Returns no gradients: accumulation into .grad is done by the engine. */
  apply(): (Tensor | null)[] { return []; }
}

/** The running pass's escape (innermost first when user code runs backward inside a hook). */
let escapeCurrent: ((t: Tensor) => void) | null = null;
/**
 * @internal Marks a tensor that a node's apply hands to user code (nn.Module backward hooks) as
 * escaped: the running pass never frees it, and it ends in the caller's tidy scope.
 */
export function escapeFromBackward(t: Tensor): void { escapeCurrent?.(t); }

/** Whether the running pass is autograd.grad's (or backward's with `inputs`): gradients captured, not accumulated. */
let capturingGrad = false;
/** @internal Whether the running backward pass captures gradients (autograd.grad) rather than accumulating them. */
export function isCapturingGrad(): boolean { return capturingGrad; }

/** Engine options for one backward pass. */
export interface BackwardOptions {
  /** Keep saved tensors after the pass (default: createGraph). */
  retainGraph?: boolean;
  /** Record the backward computation for higher-order gradients (default false). */
  createGraph?: boolean;
  /**
   * @internal With `capture`: stop at the captured nodes (do not run them or what lies beyond).
   * torch.compile's backward trace uses it: its boundary is the graph outside the compiled region.
   */
  stopAtCapture?: boolean;
}

/** @internal The creation number the next Node will get (nodes made from now on have seq >= it). */
export function nextNodeSeq(): number { return seq; }

/**
 * Runs backward from `roots` seeded with `seeds`. With `capture`, gradients reaching the given
 * (node, outputNr) keys are returned instead of being accumulated into leaves.
 */
export function runBackward(roots: Tensor[], seeds: Tensor[], opts: BackwardOptions,
  capture?: Edge[], ownSeeds = false): (Tensor | null)[] | undefined {
  const retain = opts.retainGraph ?? opts.createGraph ?? false;
  const createGraph = opts.createGraph ?? false;

  // Ownership for early freeing (off with createGraph: then gradients are graph values the caller
  // may differentiate again). `made`: tensors created by the engine and rules (plus the seeds when
  // the caller made them); `uses`: how many gradient-buffer slots hold each; `escaped`: seen by user
  // code or returned, never freed here.
  const free = !createGraph;
  const made = new Set<Tensor>(ownSeeds ? seeds : []);
  const uses = new Map<Tensor, number>();
  const escaped = new Set<Tensor>();
  const use = (t: Tensor, d: number) => uses.set(t, (uses.get(t) ?? 0) + d);
  const maybeFree = (t: Tensor | null | undefined) => {
    if (!free || !t || !made.has(t) || escaped.has(t) || t.kept || (uses.get(t) ?? 0) > 0) return;
    made.delete(t);
    uses.delete(t);
    t.dispose();
  };
  /**
   * Runs f, recording the tensors it creates as the engine's. With `results`, f is a backward rule:
   * what it created besides its results (and what user code saw) is a temporary, freed at once.
   */
  const owned = <T>(f: () => T, results?: (r: T) => readonly (Tensor | null)[]): T => {
    if (!free) return f();
    const [r, created] = collectCreated(f);
    const out = results ? new Set(results(r)) : null;
    for (const t of created) {
      if (out && !out.has(t) && !escaped.has(t) && !t.kept) t.dispose();
      else made.add(t);
    }
    return r;
  };

  // 1. Dependency counts over the reachable graph.
  const deps = new Map<Node, number>();
  const stack: Node[] = [];
  const rootEdges: Edge[] = [];
  for (const [i, r] of roots.entries()) {
    const e = r.gradEdge();
    if (!e) throw new Error(`element ${i} of tensors does not require grad and does not have a grad_fn`);
    rootEdges.push(e);
    if (!deps.has(e.node)) { deps.set(e.node, 0); stack.push(e.node); }
  }
  const stopAt = opts.stopAtCapture && capture ? new Set(capture.map((e) => e.node)) : null;
  while (stack.length) {
    const n = stack.pop()!;
    if (stopAt?.has(n)) continue;
    for (const e of n.next) {
      if (!e) continue;
      if (!deps.has(e.node)) { deps.set(e.node, 0); stack.push(e.node); }
      deps.set(e.node, deps.get(e.node)! + 1);
    }
  }

  const captured = capture ? new Array<Tensor | null>(capture.length).fill(null) : undefined;
  const captureAt = (node: Node, nr: number, g: Tensor) => {
    if (!capture) return;
    capture.forEach((c, i) => {
      if (c.node === node && c.outputNr === nr) {
        captured![i] = captured![i] ? owned(() => captured![i]!.add(g)) : g;
        escaped.add(captured![i]!);
      }
    });
  };

  // 2. Gradient buffers, seeded at the roots.
  const buffers = new Map<Node, (Tensor | null)[]>();
  const pending: Tensor[] = [];
  const addTo = (e: Edge, g: Tensor) => {
    let buf = buffers.get(e.node);
    if (!buf) { buf = new Array(e.node.nOutputs).fill(null); buffers.set(e.node, buf); }
    const cur = buf[e.outputNr];
    const next = cur ? owned(() => cur.add(g)) : g;
    buf[e.outputNr] = next;
    use(next, 1);
    // Freed only after the node finishes: a rule may return the same tensor for several edges.
    if (cur) { use(cur, -1); pending.push(cur, g); }
  };
  /** Frees what addTo left pending (emptied in place: this runs once per node). */
  const flushPending = () => {
    for (let i = 0; i < pending.length; i++) maybeFree(pending[i]);
    pending.length = 0;
  };
  rootEdges.forEach((e, i) => addTo(e, seeds[i]!));
  flushPending();
  // Hooks see (and may keep) the gradient: it and what they return escape.
  const hook = (h: Hook, g: Tensor): Tensor => {
    escaped.add(g);
    const r = userCode(() => h(g)) ?? g; // the user's code: what it makes is theirs (memory.ts userCode)
    escaped.add(r);
    return r;
  };

  // 3. Ready queue in dependency order; later-created nodes first among the ready.
  const ready: Node[] = [...new Set(rootEdges.map((e) => e.node))].filter((n) => deps.get(n) === 0);
  const visited: Node[] = [];
  const run = () => {
    while (ready.length) {
      // The latest-created ready node; a scan, as sorting the queue per node allocated each time.
      let last = 0;
      for (let i = 1; i < ready.length; i++) if (ready[i]!.seq > ready[last]!.seq) last = i;
      const node = ready[last]!;
      ready[last] = ready[ready.length - 1]!;
      ready.pop();
      // A stop node does not run, so it is not released either (its graph lies outside this pass).
      if (!stopAt?.has(node)) visited.push(node);
      const grads = buffers.get(node) ?? [];
      buffers.delete(node);
      const incoming = grads.filter((g): g is Tensor => !!g);
      for (const g of incoming) use(g, -1);
      // Tensor hooks and retainGrad on this node's outputs, then capture for autograd.grad.
      for (let i = 0; i < grads.length; i++) {
        let g = grads[i];
        if (!g) continue;
        // Captured once, before the captured tensor's own hooks run (PyTorch 1.13 does the same).
        captureAt(node, i, g);
        for (const h of node.outputHooks?.get(i) ?? []) g = hook(h, g);
        grads[i] = g;
        const kept = node.retained?.get(i)?.deref();
        if (kept && !capture) owned(() => gradsInternally(() => kept.setGradInternal(kept.grad ? kept.grad.add(g) : g.detach().clone())), () => []);
      }
      if (stopAt?.has(node)) {
        // A boundary of a compiled region: its gradient is captured above; nothing beyond runs.
      } else if (node instanceof AccumulateGrad) {
        let g = grads[0];
        if (g && !capture) {
          for (const h of node.hooks) g = hook(h, g);
          const gf = g;
          if (free && stealable(node.variable, gf) && made.has(gf) && !escaped.has(gf) && (uses.get(gf) ?? 0) === 0) {
            // The first gradient of a leaf, made by this pass and seen by nothing else: it becomes
            // .grad as it is (PyTorch's AccumulateGrad steals it too) instead of being copied.
            made.delete(gf);
            node.variable.setGradInternal(gf);
          } else {
            // What accumulate makes besides the new .grad (kept) is a temporary: g.detach() would
            // otherwise hold g's buffer until the pass ends.
            owned(() => accumulate(node.variable, gf, createGraph), () => []);
          }
        }
      } else if (grads.some((g) => g)) {
        if (node.released) {
          throw new Error(`Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed) at ${node.name}. Specify retainGraph: true if you need to backward through the graph a second time.`);
        }
        // The rule's temporaries are freed right away; its results live while a buffer holds them.
        const inGrads = owned(() => (state.anomaly ? applyWithAnomaly(node, grads) : node.apply(grads)), (r) => r);
        node.next.forEach((e, i) => {
          const g = inGrads[i];
          if (e && g) addTo(e, g);
        });
        for (const g of inGrads) maybeFree(g);
      }
      for (const g of incoming) maybeFree(g);
      flushPending();
      for (const e of stopAt?.has(node) ? [] : node.next) {
        if (!e) continue;
        const d = deps.get(e.node)! - 1;
        deps.set(e.node, d);
        if (d === 0) ready.push(e.node);
      }
    }
  };
  const outerEscape = escapeCurrent, outerCapturing = capturingGrad;
  escapeCurrent = (t) => { escaped.add(t); };
  capturingGrad = !!capture && !opts.stopAtCapture;
  try {
    if (createGraph) enableGrad(run); else noGrad(run);
  } finally {
    escapeCurrent = outerEscape;
    capturingGrad = outerCapturing;
    // Whatever is left (everything, after an error) is freed, except what escaped: that goes to
    // the caller's tidy scope as if the caller had made it.
    for (const t of made) {
      if (t.isDisposed) continue;
      if (escaped.has(t) || t.kept) track(t);
      else t.dispose();
    }
  }
  if (!retain) for (const n of visited) n.release();
  return captured;
}

/**
 * Whether gradient g may become t's first .grad without a copy: t has none, g matches it and is the
 * only tensor on its storage (no view of it lives anywhere), dense and contiguous over all of it,
 * outside any graph and not kept by anyone. The engine adds that it made g and nothing else holds it.
 */
function stealable(t: Tensor, g: Tensor): boolean {
  return !gradsInternally(() => t.grad) && !g.kept && !g.isDisposed && g.gradFn === null && !g.requiresGrad && g.dtype === t.dtype && g.device === t.device
    && g.shape.length === t.shape.length && g.shape.every((s, i) => s === t.shape[i]) && g.storage.refs === 1
    && g.storageOffset() === 0 && g.isContiguous() && g.storage.bytes === g.numel() * itemSize[g.dtype];
}

function accumulate(t: Tensor, g: Tensor, createGraph: boolean): void {
  if (g.dtype !== t.dtype || g.device !== t.device) {
    throw new Error(`backward: gradient dtype/device ${g.dtype}/${g.device} does not match the tensor's ${t.dtype}/${t.device}`);
  }
  if (g.shape.length !== t.shape.length || g.shape.some((s, i) => s !== t.shape[i])) {
    throw new Error(`backward: gradient of shape ${fmtShape(g.shape)} does not match tensor of shape ${fmtShape(t.shape)}`);
  }
  const cur = gradsInternally(() => t.grad);
  if (!cur) t.setGradInternal(createGraph ? g : g.detach().clone());
  else if (createGraph || cur.requiresGrad) t.setGradInternal(cur.add(g));
  else cur.add_(g);
}
