// torch.autograd.grad and gradcheck: the functional face of the backward engine.

import { gradsInternally, type Tensor } from '../tensor.js';
import { runBackward, type Edge } from './graph.js';
import { noGrad } from './grad-mode.js';
import { fmtShape } from '../shape.js';
import { runEagerly } from '../backends/registry.js';

/** Options for autograd.grad (PyTorch's keywords in camelCase). */
export interface GradOptions {
  /** Gradients w.r.t. each output (the vector of the vector-Jacobian product); may be omitted for scalar outputs. */
  gradOutputs?: (Tensor | null)[] | Tensor;
  /** Keep the graph after the pass so it can be differentiated again (default: createGraph). */
  retainGraph?: boolean;
  /** Record the backward pass itself, for higher-order derivatives (default false). */
  createGraph?: boolean;
  /** Return null for inputs the outputs do not depend on instead of throwing (default false). */
  allowUnused?: boolean;
}

/** Gradients of outputs w.r.t. inputs, without touching .grad. */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], opts: GradOptions = {}): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const ins = Array.isArray(inputs) ? inputs : [inputs];
  const gos = opts.gradOutputs === undefined ? [] : Array.isArray(opts.gradOutputs) ? opts.gradOutputs : [opts.gradOutputs];
  const seeds = outs.map((o, i) => {
    const g = gos[i];
    if (g) return g;
    if (o.numel() !== 1) throw new Error(`grad can be implicitly created only for scalar outputs (got shape ${fmtShape(o.shape)})`);
    return onesLike(o); // not o*0+1, which is NaN where o is inf or NaN
  });
  const edges: Edge[] = ins.map((t, i) => {
    const e = t.gradEdge();
    if (!e) throw new Error(`One of the differentiated Tensors (input ${i}) does not require grad`);
    return e;
  });
  const res = runBackward(outs, seeds, { retainGraph: opts.retainGraph, createGraph: opts.createGraph }, edges)!;
  res.forEach((r, i) => {
    if (!r && !opts.allowUnused) {
      throw new Error(`One of the differentiated Tensors (input ${i}) appears to not have been used in the graph. Set allowUnused: true if this is the desired behavior.`);
    }
  });
  return res;
}

/** Options for backward (PyTorch's keywords in camelCase). */
export interface BackwardOptions {
  /** Keep the graph after the pass so backward can run on it again (default: createGraph). */
  retainGraph?: boolean;
  /** Record the backward pass itself, for higher-order derivatives (default false). */
  createGraph?: boolean;
  /** Accumulate only into these tensors' .grad (PyTorch's `inputs`). */
  inputs?: Tensor | Tensor[];
}

/** Gradient arguments that are really the options object: `backward({ retainGraph: true })`. */
export function isOptionsObject(x: unknown): x is BackwardOptions {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * torch.autograd.backward (and Tensor.backward): one backward pass from several roots (hooks see
 * the summed gradient once), accumulating into the leaves' .grad, or only into `inputs`' .grad.
 * A root without a gradient must be a scalar. The gradients may be left out: `backward(t, opts)`.
 */
export function backward(tensors: Tensor | Tensor[], gradTensors?: Tensor | (Tensor | null)[] | null | BackwardOptions,
  optsArg: BackwardOptions = {}): void {
  // Inside torch.compile it is eager code between compiled parts, as Dynamo's graph break there.
  runEagerly('backward() inside the compiled function (autograd runs eagerly)', () => backwardImpl(tensors, gradTensors, optsArg));
}

function backwardImpl(tensors: Tensor | Tensor[], gradTensors: Tensor | (Tensor | null)[] | null | BackwardOptions | undefined,
  optsArg: BackwardOptions): void {
  let opts = optsArg;
  if (isOptionsObject(gradTensors)) { opts = gradTensors; gradTensors = null; }
  const ts = Array.isArray(tensors) ? tensors : [tensors];
  const given = gradTensors !== undefined && gradTensors !== null;
  const gs = !given ? [] : Array.isArray(gradTensors) ? gradTensors : [gradTensors];
  if (given && gs.length !== ts.length) throw new RangeError(`backward: got ${ts.length} tensors and ${gs.length} gradients`);
  ts.forEach((t, i) => {
    if (!t.requiresGrad) throw new Error(`element ${i} of tensors does not require grad and does not have a grad_fn`);
  });
  const seeds = ts.map((t, i) => {
    const g = gs[i];
    if (!g) {
      if (t.numel() !== 1) throw new Error(`grad can be implicitly created only for scalar outputs (got shape ${fmtShape(t.shape)})`);
      return onesLike(t);
    }
    if (g.ndim !== t.ndim || g.shape.some((s, k) => s !== t.shape[k])) {
      throw new RangeError(`backward: Mismatch in shape: grad_output[${i}] has a shape of ${fmtShape(g.shape)} and output[${i}] has a shape of ${fmtShape(t.shape)}`);
    }
    return g;
  });
  if (opts.inputs !== undefined) {
    const inputs = Array.isArray(opts.inputs) ? opts.inputs : [opts.inputs];
    if (inputs.length === 0) throw new RangeError("backward: 'inputs' argument to backward() cannot be empty.");
    const res = grad(ts, inputs, { gradOutputs: seeds, retainGraph: opts.retainGraph, createGraph: opts.createGraph, allowUnused: true });
    gradsInternally(() => inputs.forEach((t, i) => { const g = res[i]; if (g) t.setGradInternal(t.grad ? t.grad.add(g) : g); }));
    return;
  }
  // Seeds made here (no gradient given at all) are the engine's to free.
  runBackward(ts, seeds, { retainGraph: opts.retainGraph, createGraph: opts.createGraph }, undefined, gs.length === 0);
}

/** Options for gradcheck (PyTorch's keywords in camelCase). */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance (default 1e-3). */
  rtol?: number;
  /** Throw on a mismatch instead of returning false (default true). */
  raiseException?: boolean;
}

/**
 * Compares analytic gradients with central finite differences (float64 inputs on the CPU).
 * fn maps the inputs to one tensor or an array of tensors; every float64 input with requiresGrad
 * is checked against every output.
 */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor | Tensor[], inputsArg: Tensor | Tensor[], opts: GradcheckOptions = {}): boolean {
  const inputs = Array.isArray(inputsArg) ? inputsArg : [inputsArg]; // PyTorch accepts one tensor or a tuple
  const eps = opts.eps ?? 1e-6, atol = opts.atol ?? 1e-5, rtol = opts.rtol ?? 1e-3;
  const fail = (msg: string): boolean => { if (opts.raiseException ?? true) throw new Error(`gradcheck: ${msg}`); return false; };
  for (const x of inputs) {
    if (x.requiresGrad && x.dtype !== 'float64') {
      return fail(`input of dtype ${x.dtype} requires grad; gradcheck needs float64 inputs for accuracy`);
    }
  }
  const r = fn(...inputs);
  const outs = Array.isArray(r) ? r : [r];
  const checked = inputs.map((x, i) => [x, i] as const).filter(([x]) => x.requiresGrad);
  if (checked.length === 0) return fail('gradcheck expects at least one input tensor to require gradient');
  for (const [x, xi] of checked) {
    const n = x.numel();
    // Numerical Jacobians of every output by central differences on a private copy of x's storage.
    const plus: Float64Array[][] = [], minus: Float64Array[][] = [];
    for (let k = 0; k < n; k++) {
      plus.push(perturbed(fn, inputs, xi, k, eps));
      minus.push(perturbed(fn, inputs, xi, k, -eps));
    }
    for (const [oi, out] of outs.entries()) {
      const nOut = out.numel();
      // Analytic Jacobian, one row per output element.
      const analytic = new Float64Array(nOut * n);
      // An output that does not require grad (e.g. a constant first derivative) has a zero Jacobian.
      for (let o = 0; o < nOut && out.requiresGrad; o++) {
        const seed = noGrad(() => {
          const d = new Float64Array(nOut); d[o] = 1;
          return tensorFrom(d, out).to(out.dtype).reshape(out.shape);
        });
        const [g] = grad([out], [x], { gradOutputs: [seed], retainGraph: true, allowUnused: true });
        const gd = g ? g.contiguous().dataSync() : new Float64Array(n);
        analytic.set(gd, o * n);
      }
      for (let k = 0; k < n; k++) {
        for (let o = 0; o < nOut; o++) {
          const num = (plus[k]![oi]![o]! - minus[k]![oi]![o]!) / (2 * eps);
          const ana = analytic[o * n + k]!;
          if (!(Math.abs(num - ana) <= atol + rtol * Math.abs(num))) {
            const which = outs.length > 1 ? `output ${oi}, element ${o}` : `output ${o}`;
            return fail(`Jacobian mismatch for ${which} with respect to input ${xi}, element ${k}: numerical ${num} vs analytical ${ana}`);
          }
        }
      }
    }
  }
  return true;
}

/** Options for gradgradcheck: gradcheck's plus the vectors of the first backward. */
export interface GradgradcheckOptions extends GradcheckOptions {
  /** The gradients w.r.t. fn's outputs used in the first backward (default: random float64, requiring grad, so they are checked too). */
  gradOutputs?: Tensor | Tensor[];
}

/**
 * Checks second-order gradients as PyTorch's gradgradcheck: gradcheck of the function
 * (inputs, gradOutputs) -> autograd.grad(fn(inputs), inputs, gradOutputs, { createGraph: true }),
 * i.e. finite differences of the first-order gradient against its own backward.
 */
export function gradgradcheck(fn: (...xs: Tensor[]) => Tensor | Tensor[], inputsArg: Tensor | Tensor[], opts: GradgradcheckOptions = {}): boolean {
  const inputs = Array.isArray(inputsArg) ? inputsArg : [inputsArg];
  let gradOutputs: Tensor[];
  if (opts.gradOutputs === undefined) {
    const r = fn(...inputs);
    const outs = Array.isArray(r) ? r : [r];
    gradOutputs = noGrad(() => outs.map((o) => randn(o.shape, { dtype: o.isFloatingPoint() ? o.dtype : 'float64', device: o.device }).requiresGrad_(true)));
  } else gradOutputs = Array.isArray(opts.gradOutputs) ? opts.gradOutputs : [opts.gradOutputs];
  const nOut = gradOutputs.length;
  const newFn = (...args: Tensor[]): Tensor[] => {
    const ins = args.slice(0, args.length - nOut), gos = args.slice(args.length - nOut);
    const r = fn(...ins);
    const outs = (Array.isArray(r) ? r : [r]).filter((o) => o.requiresGrad && o.isFloatingPoint());
    const diffIns = ins.filter((x) => x.requiresGrad);
    const goFor = (Array.isArray(r) ? r : [r]).map((o, i) => [o, gos[i]!] as const).filter(([o]) => o.requiresGrad && o.isFloatingPoint()).map(([, g]) => g);
    if (outs.length === 0) return [];
    const gs = grad(outs, diffIns, { gradOutputs: goFor, createGraph: true, allowUnused: true });
    return gs.filter((g): g is Tensor => g !== null);
  };
  const { gradOutputs: _unused, ...checkOpts } = opts;
  return gradcheck(newFn, [...inputs, ...gradOutputs], checkOpts);
}

/**
 * fn's outputs at inputs with element k of input xi moved by eps, flattened per output. The moved
 * copy keeps requiresGrad and grad mode is left as the caller set it, so fn may differentiate
 * internally (second-order checks).
 */
function perturbed(fn: (...xs: Tensor[]) => Tensor | Tensor[], inputs: Tensor[], xi: number, k: number, eps: number): Float64Array[] {
  const xs = inputs.map((t, i) => {
    if (i !== xi) return t;
    const d = Float64Array.from(noGrad(() => t.contiguous().dataSync()) as Float64Array);
    d[k] += eps;
    return tensorFrom(d, t).reshape(t.shape).requiresGrad_(t.requiresGrad);
  });
  const r = fn(...xs);
  return (Array.isArray(r) ? r : [r]).map((o) => Float64Array.from(o.detach().reshape(-1).dataSync()));
}

// Late import to avoid a cycle at load time.
import { tensor as tensorOf, onesLike, randn } from '../ops/creation.js';
function tensorFrom(d: Float64Array, like: Tensor): Tensor { return tensorOf(d, { dtype: 'float64', device: like.device }); }
