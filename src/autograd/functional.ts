// torch.autograd.functional: jacobian, hessian, vjp, jvp, hvp, vhp, as PyTorch 1.13 defines them,
// built on autograd.grad (reverse mode; jvp and hvp use the double-backward trick, as PyTorch does).
// Structures follow PyTorch with tuples as arrays: a Tensor input gives a Tensor result, an array of
// inputs gives an array (jacobian of array outputs w.r.t. array inputs: result[i][j]). Results are
// detached unless createGraph; `strict` raises PyTorch's errors for outputs independent of inputs.

import { Tensor } from '../tensor.js';
import { grad as autogradGrad } from './api.js';
import { enableGrad, noGrad, setGradEnabled } from './grad-mode.js';
import { state } from '../state.js';
import { zerosLike, zeros } from '../ops/creation.js';
import { stack } from '../ops/shape.js';

/** A Tensor or an array of Tensors (PyTorch's "Tensor or tuple of Tensors"). */
export type Tensors = Tensor | Tensor[];
/** A function of one or more tensors returning one or more tensors. */
export type TensorsFunction = (...inputs: Tensor[]) => Tensors;

/** Options of vjp, jvp, hvp and vhp (PyTorch's keywords in camelCase). */
export interface FunctionalOptions {
  /** Make the results differentiable (a graph through the computation), default false. */
  createGraph?: boolean;
  /** Raise an error when an output is independent of an input instead of returning zeros, default false. */
  strict?: boolean;
}
/** Options of jacobian. */
export interface JacobianOptions extends FunctionalOptions {
  /** PyTorch computes all rows in one vmapped backward; accepted, computed row by row here (no vmap). */
  vectorize?: boolean;
  /** 'reverse-mode' (default: one backward per output element) or 'forward-mode' (one double-backward jvp per input element; needs vectorize as in PyTorch). */
  strategy?: 'reverse-mode' | 'forward-mode';
}
/** Options of hessian. */
export interface HessianOptions extends FunctionalOptions {
  /** As jacobian's vectorize (accepted; row by row). */
  vectorize?: boolean;
  /** Strategy of the outer jacobian: 'reverse-mode' (default) or 'forward-mode' (needs vectorize). */
  outerJacobianStrategy?: 'reverse-mode' | 'forward-mode';
}

const typeName = (x: unknown): string => (x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x === 'object' ? (x as object).constructor?.name ?? 'object' : typeof x);
const size = (t: Tensor): string => `torch.Size([${t.shape.join(', ')}])`;

/** PyTorch's _as_tuple: [was it an array, the tensors]. */
function asTuple(x: unknown, argName: string, fnName: string): [boolean, Tensor[]] {
  const isArr = Array.isArray(x);
  const list: unknown[] = isArr ? x : [x];
  list.forEach((el, i) => {
    if (!(el instanceof Tensor)) {
      throw new TypeError(isArr
        ? `The ${argName} given to ${fnName} must be either a Tensor or an array of Tensors but the value at index ${i} has type ${typeName(el)}.`
        : `The ${argName} given to ${fnName} must be either a Tensor or an array of Tensors but the given ${argName} has type ${typeName(el)}.`);
    }
  });
  return [isArr, list as Tensor[]];
}

/** Fresh tensor objects that require grad (differentiably linked to the originals only with createGraph). */
function gradPreprocess(inputs: Tensor[], createGraph: boolean, needGraph: boolean): Tensor[] {
  return inputs.map((t) => (createGraph && t.requiresGrad ? t.viewAs(t) : t.detach().requiresGrad_(needGraph)));
}
const postprocess = (ts: Tensor[], createGraph: boolean): Tensor[] => (createGraph ? ts : ts.map((t) => t.detach()));

function validateV(v: Tensor[], other: Tensor[], isOtherTuple: boolean): void {
  if (v.length !== other.length) {
    throw new Error(isOtherTuple ? `v is an array of invalid length: should be ${other.length} but got ${v.length}.` : 'The given v should contain a single Tensor.');
  }
  v.forEach((el, i) => {
    const o = other[i]!;
    if (el.ndim !== o.ndim || el.shape.some((s, k) => s !== o.shape[k])) {
      throw new Error(`${isOtherTuple ? `Entry ${i} in ` : ''}v has invalid size: should be ${size(o)} but got ${size(el)}.`);
    }
  });
}

type CheckKind = 'outputs' | 'grad_inputs' | 'jacobian' | 'hessian';
/** PyTorch's _check_requires_grad (strict mode only). */
function checkRequiresGrad(ts: (Tensor | null)[], kind: CheckKind, strict: boolean): void {
  if (!strict) return;
  ts.forEach((t, i) => {
    if (t === null) throw new Error(`The output of the user-provided function is independent of input ${i}. This is not allowed in strict mode.`);
    if (t.requiresGrad) return;
    if (kind === 'hessian') {
      throw new Error(`The hessian of the user-provided function with respect to input ${i} is independent of the input. This is not allowed in strict mode. You should ensure that your function is thrice differentiable and that the hessian depends on the inputs.`);
    }
    if (kind === 'jacobian') {
      throw new Error(`While computing the hessian, found that the jacobian of the user-provided function with respect to input ${i} is independent of the input. This is not allowed in strict mode. You should ensure that your function is twice differentiable and that the jacobian depends on the inputs (this would be violated by a linear function for example).`);
    }
    if (kind === 'grad_inputs') throw new Error(`The gradient with respect to input ${i} is independent of the inputs of the user-provided function. This is not allowed in strict mode.`);
    throw new Error(`Output ${i} of the user-provided function does not require gradients. The outputs must be computed in a differentiable manner from the input when running in strict mode.`);
  });
}

/** autograd.grad over the outputs that require grad; all null when none does (PyTorch's _autograd_grad). */
function autogradGradOf(outputs: (Tensor | null)[], inputs: Tensor[], gradOutputs: (Tensor | null)[] | null, createGraph: boolean, retainGraph?: boolean): (Tensor | null)[] {
  const outs: Tensor[] = [], gos: (Tensor | null)[] = [];
  outputs.forEach((o, i) => { if (o && o.requiresGrad) { outs.push(o); gos.push(gradOutputs?.[i] ?? null); } });
  if (outs.length === 0) return inputs.map(() => null);
  return autogradGrad(outs, inputs, { gradOutputs: gos, createGraph, retainGraph, allowUnused: true });
}

type Stage = 'back' | 'back_trick' | 'double_back' | 'double_back_trick';
/** PyTorch's _fill_in_zeros: zeros for independent inputs, or the strict-mode error of the stage. */
function fillInZeros(grads: (Tensor | null)[], refs: Tensor[], strict: boolean, createGraph: boolean, stage: Stage): Tensor[] {
  return grads.map((g, i) => {
    if (g === null) {
      if (strict) {
        if (stage === 'back') throw new Error(`The output of the user-provided function is independent of input ${i}. This is not allowed in strict mode.`);
        if (stage === 'back_trick') throw new Error(`The gradient with respect to the input is independent of entry ${i} in the grad_outputs when using the double backward trick to compute forward mode gradients. This is not allowed in strict mode.`);
        if (stage === 'double_back') throw new Error(`The jacobian of the user-provided function is independent of input ${i}. This is not allowed in strict mode.`);
        throw new Error(`The hessian of the user-provided function is independent of entry ${i} in the grad_jacobian. This is not allowed in strict mode as it prevents from using the double backward trick to replace forward mode AD.`);
      }
      return zerosLike(refs[i]!);
    }
    if (strict && createGraph && !g.requiresGrad) {
      throw new Error(stage.includes('double')
        ? `The hessian of the user-provided function is independent of input ${i}. This is not allowed in strict mode when create_graph=True.`
        : `The jacobian of the user-provided function is independent of input ${i}. This is not allowed in strict mode when create_graph=True.`);
    }
    return g;
  });
}

const one = <T>(isTuple: boolean, xs: T[]): T | T[] => (isTuple ? xs : xs[0]!);
const withGradMode = <T>(on: boolean, f: () => T): T => setGradEnabled(on, f);

/**
 * The vector-Jacobian product v^T J of func at inputs: returns [func(inputs), vjp], with vjp shaped
 * like inputs. v is shaped like func's output (optional for a one-element output).
 */
export function vjp(func: (...inputs: Tensor[]) => Tensor, inputs: Tensor, v?: Tensor | null, opts?: FunctionalOptions): [Tensor, Tensor];
export function vjp(func: TensorsFunction, inputs: Tensors, v?: Tensors | null, opts?: FunctionalOptions): [Tensors, Tensors];
export function vjp(func: TensorsFunction, inputsArg: Tensors, vArg: Tensors | null = null, opts: FunctionalOptions = {}): [Tensors, Tensors] {
  const createGraph = opts.createGraph ?? false, strict = opts.strict ?? false, outerGrad = state.gradEnabled;
  return enableGrad(() => {
    const [isInTuple, raw] = asTuple(inputsArg, 'inputs', 'vjp');
    const inputs = gradPreprocess(raw, createGraph, true);
    const [isOutTuple, outputs] = asTuple(func(...inputs), 'outputs of the user-provided function', 'vjp');
    checkRequiresGrad(outputs, 'outputs', strict);
    let v: Tensor[] | null = null;
    if (vArg !== null && vArg !== undefined) {
      v = gradPreprocess(asTuple(vArg, 'v', 'vjp')[1], createGraph, false);
      validateV(v, outputs, isOutTuple);
    } else if (outputs.length !== 1 || outputs[0]!.numel() !== 1) {
      throw new Error('The vector v can only be None if the user-provided function returns a single Tensor with a single element.');
    }
    const res = withGradMode(createGraph || outerGrad, () =>
      fillInZeros(autogradGradOf(outputs, inputs, v, createGraph), inputs, strict, createGraph, 'back'));
    return [one(isOutTuple, postprocess(outputs, createGraph)), one(isInTuple, postprocess(res, createGraph))];
  });
}

/**
 * The Jacobian-vector product J v of func at inputs (by the double-backward trick, as PyTorch):
 * returns [func(inputs), jvp], with jvp shaped like func's output. v is shaped like inputs
 * (optional for a one-element input).
 */
export function jvp(func: (...inputs: Tensor[]) => Tensor, inputs: Tensor, v?: Tensor | null, opts?: FunctionalOptions): [Tensor, Tensor];
export function jvp(func: TensorsFunction, inputs: Tensors, v?: Tensors | null, opts?: FunctionalOptions): [Tensors, Tensors];
export function jvp(func: TensorsFunction, inputsArg: Tensors, vArg: Tensors | null = null, opts: FunctionalOptions = {}): [Tensors, Tensors] {
  const createGraph = opts.createGraph ?? false, strict = opts.strict ?? false;
  const [isInTuple, raw] = asTuple(inputsArg, 'inputs', 'jvp');
  const { v, outputs, isOutTuple, gradInputs, gradOutputs } = enableGrad(() => {
    const inputs = gradPreprocess(raw, createGraph, true);
    let v: Tensor[] | null = null;
    if (vArg !== null && vArg !== undefined) {
      v = gradPreprocess(asTuple(vArg, 'v', 'jvp')[1], createGraph, false);
      validateV(v, inputs, isInTuple);
    } else if (inputs.length !== 1 || inputs[0]!.numel() !== 1) {
      throw new Error('The vector v can only be None if the input to the user-provided function is a single Tensor with a single element.');
    }
    const [isOutTuple, outputs] = asTuple(func(...inputs), 'outputs of the user-provided function', 'jvp');
    checkRequiresGrad(outputs, 'outputs', strict);
    // u -> J^T u is linear in u; differentiating it w.r.t. u along v gives J v.
    const gradOutputs = outputs.map((o) => zerosLike(o).requiresGrad_(true));
    const gradInputs = autogradGradOf(outputs, inputs, gradOutputs, true);
    checkRequiresGrad(gradInputs, 'grad_inputs', strict);
    return { inputs, v, outputs, isOutTuple, gradInputs, gradOutputs };
  });
  const run = () => fillInZeros(autogradGradOf(gradInputs, gradOutputs, v, createGraph), outputs, strict, createGraph, 'back_trick');
  const res = createGraph ? enableGrad(run) : run();
  return [one(isOutTuple, postprocess(outputs, createGraph)), one(isOutTuple, postprocess(res, createGraph))];
}

/** The j-th one-hot tensor shaped like `like` (a seed for one element at a time; O(numel) memory, not an identity). */
function oneHot(j: number, like: Tensor): Tensor {
  return noGrad(() => {
    const e = zeros([like.numel()], { dtype: like.dtype, device: like.device });
    e.narrow(0, j, 1).fill_(1);
    return e.reshape(like.shape);
  });
}

/**
 * The Jacobian of func at inputs. A Tensor input and output give a Tensor of shape
 * out.shape + in.shape; arrays give arrays (result[i][j] for output i and input j).
 */
export function jacobian(func: (...inputs: Tensor[]) => Tensor, inputs: Tensor, opts?: JacobianOptions): Tensor;
export function jacobian(func: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], opts?: JacobianOptions): Tensor[];
export function jacobian(func: (...inputs: Tensor[]) => Tensor[], inputs: Tensor, opts?: JacobianOptions): Tensor[];
export function jacobian(func: (...inputs: Tensor[]) => Tensor[], inputs: Tensor[], opts?: JacobianOptions): Tensor[][];
export function jacobian(func: TensorsFunction, inputs: Tensors, opts?: JacobianOptions): Tensor | Tensor[] | Tensor[][];
export function jacobian(func: TensorsFunction, inputsArg: Tensors, opts: JacobianOptions = {}): Tensor | Tensor[] | Tensor[][] {
  const createGraph = opts.createGraph ?? false, strict = opts.strict ?? false, vectorize = opts.vectorize ?? false;
  const strategy = opts.strategy ?? 'reverse-mode';
  if (strategy !== 'reverse-mode' && strategy !== 'forward-mode') {
    throw new Error('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function has more outputs than inputs, "forward-mode" tends to be more performant. Otherwise, prefer to use "reverse-mode".');
  }
  if (strategy === 'forward-mode') {
    if (createGraph) throw new Error('torch.autograd.functional.jacobian: `create_graph=True` and `strategy="forward-mode"` are not supported together (yet). Please either set `create_graph=False` or `strategy="reverse-mode"`.');
    if (strict) throw new Error('torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` are not supported together (yet). Please either set `strict=False` or `strategy="reverse-mode"`.');
    if (!vectorize) throw new Error('Computing Jacobian using forward-AD or forward-over-reverse Hessian is only implemented for `vectorize=True`.');
    return jacobianForward(func, inputsArg);
  }
  return enableGrad(() => {
    const [isInTuple, raw] = asTuple(inputsArg, 'inputs', 'jacobian');
    const inputs = gradPreprocess(raw, createGraph, true);
    const [isOutTuple, outputs] = asTuple(func(...inputs), 'outputs of the user-provided function', 'jacobian');
    checkRequiresGrad(outputs, 'outputs', strict);
    if (vectorize && strict) {
      throw new Error('torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not supported together. Please either set `strict=False` or `vectorize=False`.');
    }
    const jac = outputs.map((out, i) => {
      const rows: Tensor[][] = inputs.map(() => []);
      const n = out.numel();
      for (let j = 0; j < n; j++) {
        const seed = oneHot(j, out);
        const vj = autogradGradOf([out], inputs, [seed], createGraph, true);
        vj.forEach((g, k) => {
          if (g !== null) {
            if (strict && createGraph && !g.requiresGrad) {
              throw new Error(`The jacobian of the user-provided function is independent of input ${i}. This is not allowed in strict mode when create_graph=True.`);
            }
            rows[k]!.push(g);
          } else {
            if (strict) throw new Error(`Output ${i} of the user-provided function is independent of input ${k}. This is not allowed in strict mode.`);
            rows[k]!.push(zerosLike(inputs[k]!));
          }
        });
      }
      return rows.map((r, k) => {
        const shape = [...out.shape, ...inputs[k]!.shape];
        return r.length ? stack(r, 0).view(shape) : zerosLike(inputs[k]!).reshape(-1).narrow(0, 0, 0).reshape(shape);
      });
    });
    return unpack2(jac.map((row) => postprocess(row, createGraph)), isOutTuple, isInTuple);
  });
}

/** PyTorch's _tuple_postprocess with two flags: drop the inner and/or outer array level. */
function unpack2(res: Tensor[][], outerTuple: boolean, innerTuple: boolean): Tensor | Tensor[] | Tensor[][] {
  const inner: (Tensor | Tensor[])[] = innerTuple ? res : res.map((r) => r[0]!);
  return outerTuple ? (inner as Tensor[] | Tensor[][]) : inner[0]!;
}

/** Forward-mode jacobian: a column per input element, each a jvp (double-backward trick). */
function jacobianForward(func: TensorsFunction, inputsArg: Tensors): Tensor | Tensor[] | Tensor[][] {
  const [isInTuple, inputs] = asTuple(inputsArg, 'inputs', 'jacobian');
  let isOutTuple = false;
  let outShapes: number[][] = [];
  const cols: Tensor[][][] = inputs.map(() => []); // [input k][element j] -> one jvp per output
  inputs.forEach((x, k) => {
    const n = x.numel();
    for (let j = 0; j < n; j++) {
      const v = inputs.map((y, m) => (m === k ? oneHot(j, x) : zerosLike(y)));
      const [out, dir] = jvp(func, inputs, v);
      isOutTuple = Array.isArray(out);
      outShapes = (Array.isArray(out) ? out : [out]).map((o) => [...o.shape]);
      cols[k]!.push(Array.isArray(dir) ? dir : [dir]);
    }
  });
  if (outShapes.length === 0) {
    const [isT, outs] = asTuple(noGrad(() => func(...inputs)), 'outputs of the user-provided function', 'jacobian');
    isOutTuple = isT;
    outShapes = outs.map((o) => [...o.shape]);
  }
  const res = outShapes.map((os, i) => inputs.map((x, k) => {
    const shape = [...os, ...x.shape];
    const c = cols[k]!;
    if (c.length === 0) return zerosLike(x).reshape(-1).narrow(0, 0, 0).reshape(shape);
    // Columns stacked last: out.shape + [numel(x)], then viewed as out.shape + x.shape.
    return stack(c.map((d) => d[i]!), -1).reshape(shape);
  }));
  return unpack2(res, isOutTuple, isInTuple);
}

/**
 * The Hessian of a scalar function at inputs: a Tensor of shape in.shape + in.shape for a Tensor
 * input; for an array of inputs, result[i][j] is the block for inputs i and j.
 */
export function hessian(func: (...inputs: Tensor[]) => Tensor, inputs: Tensor, opts?: HessianOptions): Tensor;
export function hessian(func: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], opts?: HessianOptions): Tensor[][];
export function hessian(func: (...inputs: Tensor[]) => Tensor, inputsArg: Tensors, opts: HessianOptions = {}): Tensor | Tensor[][] {
  const createGraph = opts.createGraph ?? false, strict = opts.strict ?? false;
  const outer = opts.outerJacobianStrategy ?? 'reverse-mode';
  const [isInTuple, inputs] = asTuple(inputsArg, 'inputs', 'hessian');
  const single = (...inp: Tensor[]): Tensor => {
    const out: unknown = func(...inp);
    const [isOutTuple, t] = asTuple(out, 'outputs of the user-provided function', 'hessian');
    checkRequiresGrad(t, 'outputs', strict);
    if (isOutTuple || !(out instanceof Tensor)) throw new Error('The function given to hessian should return a single Tensor');
    if (out.numel() !== 1) throw new Error('The Tensor returned by the function given to hessian should contain a single element');
    return out.squeeze();
  };
  const jacFunc = (...inp: Tensor[]): Tensor[] => {
    const xs = outer === 'forward-mode' ? inp.map((t) => (t.requiresGrad ? t : t.detach().requiresGrad_(true))) : inp;
    const jac = jacobian(single, xs, { createGraph: true }) as Tensor[];
    checkRequiresGrad(jac, 'jacobian', strict);
    return jac;
  };
  const res = jacobian(jacFunc, inputs, { createGraph, strict, vectorize: opts.vectorize, strategy: outer }) as Tensor[][];
  return isInTuple ? res : res[0]![0]!;
}

/** Shared front of vhp and hvp: preprocessed inputs, v, the scalar output and its first gradient. */
function firstDerivative(name: 'vhp' | 'hvp', func: TensorsFunction, inputsArg: Tensors, vArg: Tensors | null, createGraph: boolean, strict: boolean) {
  const [isInTuple, raw] = asTuple(inputsArg, 'inputs', name);
  const inputs = gradPreprocess(raw, createGraph, true);
  let v: Tensor[] | null = null;
  if (vArg !== null && vArg !== undefined) {
    v = gradPreprocess(asTuple(vArg, 'v', name)[1], createGraph, false);
    validateV(v, inputs, isInTuple);
  } else if (inputs.length !== 1 || inputs[0]!.numel() !== 1) {
    throw new Error('The vector v can only be None if the input to the user-provided function is a single Tensor with a single element.');
  }
  const [isOutTuple, outputs] = asTuple(func(...inputs), 'outputs of the user-provided function', name);
  checkRequiresGrad(outputs, 'outputs', strict);
  if (isOutTuple) throw new Error(`The function given to ${name} should return a single Tensor`);
  if (outputs[0]!.numel() !== 1) throw new Error(`The Tensor returned by the function given to ${name} should contain a single element`);
  const jac = autogradGradOf(outputs, inputs, null, true);
  checkRequiresGrad(jac, 'jacobian', strict);
  return { isInTuple, inputs, v, output: outputs[0]!, jac };
}

/**
 * The vector-Hessian product v^T H of a scalar function at inputs: returns [func(inputs), vhp],
 * vhp shaped like inputs.
 */
export function vhp(func: (...inputs: Tensor[]) => Tensor, inputs: Tensor, v?: Tensor | null, opts?: FunctionalOptions): [Tensor, Tensor];
export function vhp(func: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], v?: Tensor[] | null, opts?: FunctionalOptions): [Tensor, Tensor[]];
export function vhp(func: (...inputs: Tensor[]) => Tensor, inputsArg: Tensors, vArg: Tensors | null = null, opts: FunctionalOptions = {}): [Tensor, Tensors] {
  const createGraph = opts.createGraph ?? false, strict = opts.strict ?? false, outerGrad = state.gradEnabled;
  const { isInTuple, inputs, v, output, jac } = enableGrad(() => firstDerivative('vhp', func, inputsArg, vArg, createGraph, strict));
  const res = withGradMode(createGraph || outerGrad, () =>
    fillInZeros(autogradGradOf(jac, inputs, v, createGraph), inputs, strict, createGraph, 'double_back'));
  return [postprocess([output], createGraph)[0]!, one(isInTuple, postprocess(res, createGraph))];
}

/**
 * The Hessian-vector product H v of a scalar function at inputs (the double-backward trick, as
 * PyTorch): returns [func(inputs), hvp], hvp shaped like inputs.
 */
export function hvp(func: (...inputs: Tensor[]) => Tensor, inputs: Tensor, v?: Tensor | null, opts?: FunctionalOptions): [Tensor, Tensor];
export function hvp(func: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], v?: Tensor[] | null, opts?: FunctionalOptions): [Tensor, Tensor[]];
export function hvp(func: (...inputs: Tensor[]) => Tensor, inputsArg: Tensors, vArg: Tensors | null = null, opts: FunctionalOptions = {}): [Tensor, Tensors] {
  const createGraph = opts.createGraph ?? false, strict = opts.strict ?? false, outerGrad = state.gradEnabled;
  const { isInTuple, inputs, v, output, gradJac, doubleBack } = enableGrad(() => {
    const r = firstDerivative('hvp', func, inputsArg, vArg, createGraph, strict);
    const gradJac = r.inputs.map((x) => zerosLike(x).requiresGrad_(true));
    const doubleBack = autogradGradOf(r.jac, r.inputs, gradJac, true);
    checkRequiresGrad(r.jac, 'hessian', strict);
    return { ...r, gradJac, doubleBack };
  });
  const res = withGradMode(createGraph || outerGrad, () =>
    fillInZeros(autogradGradOf(doubleBack, gradJac, v, createGraph), inputs, strict, createGraph, 'double_back_trick'));
  return [postprocess([output], createGraph)[0]!, one(isInTuple, postprocess(res, createGraph))];
}
