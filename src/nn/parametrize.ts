// torch.nn.utils.parametrize: a module's parameter or buffer becomes the output of a parametrization
// (an nn.Module, or several applied in order) of stored originals. As in PyTorch, the originals live
// in `module.parametrizations[name]` (a ParametrizationList: `original`, or `original0`, `original1`...
// when rightInverse returns several tensors), so stateDict keys are PyTorch's
// (`parametrizations.weight.original`), and `module[name]` is an accessor that recomputes the value
// on every read (once per `cached()` block) and whose assignment goes through rightInverse.

import { Tensor } from '../tensor.js';
import { Module, runModule } from './module.js';
import { ModuleDict, ModuleList } from './modules/container.js';
import { Parameter, Buffer } from './parameter.js';
import { noGrad } from '../autograd/grad-mode.js';

/** A parametrization: a module whose forward maps the originals to the value; rightInverse (optional) maps a value to originals. */
export type Parametrization = Module & { rightInverse?: (value: Tensor) => Tensor | Tensor[] };
type Fields = Record<string, unknown>;
const fields = (m: Module): Fields => m as unknown as Fields;
const shapeOf = (t: Tensor): string => `torch.Size([${t.shape.join(', ')}])`;
const sameShape = (a: Tensor, b: Tensor): boolean => a.ndim === b.ndim && a.shape.every((s, i) => s === b.shape[i]);

function registerTensor(m: Module, name: string, t: Tensor): void {
  if (t instanceof Parameter) m.registerParameter(name, t);
  else m.registerBuffer(name, t);
}

/**
 * The parametrizations of one tensor (torch.nn.utils.parametrize.ParametrizationList): a ModuleList
 * of the parametrizations, holding the originals as its own parameters or buffers.
 */
export class ParametrizationList extends ModuleList {
  /** Whether the originals are one tensor (`original`) rather than several (`original0`, ...). */
  isTensor = true;
  /** How many original tensors there are. */
  ntensors = 1;
  /** Whether the consistency checks were skipped at registration. */
  readonly unsafe: boolean;

  /** Builds the list from `modules` and the tensor they parametrize (normally via registerParametrization). */
  constructor(modules: Parametrization[], original: Tensor, opts: { unsafe?: boolean } = {}) {
    super(modules);
    this.unsafe = opts.unsafe ?? false;
    const originalShape = original.shape, originalDtype = original.dtype;
    const value = noGrad((): Tensor | Tensor[] => {
      let next: Tensor | Tensor[] = original;
      for (const m of [...modules].reverse()) if (typeof m.rightInverse === 'function') next = m.rightInverse(next as Tensor);
      return next;
    });
    if (!(value instanceof Tensor) && !Array.isArray(value)) {
      throw new Error(`'rightInverse' must return a Tensor or an array of tensors. Got ${typeof value}`);
    }
    this.isTensor = value instanceof Tensor;
    this.ntensors = value instanceof Tensor ? 1 : value.length;
    if (value instanceof Tensor) {
      if (value.dtype !== original.dtype) {
        throw new Error(`When \`rightInverse\` outputs one tensor, it may not change the dtype.\noriginal.dtype: ${original.dtype}\nrightInverse(original).dtype: ${value.dtype}`);
      }
      // The original object keeps its identity (an optimizer holding it keeps training it).
      if (value !== original) noGrad(() => original.setData_(value.detach()));
      registerTensor(this, 'original', original);
    } else {
      value.forEach((v, i) => {
        if (!(v instanceof Tensor)) throw new Error(`'rightInverse' must return a Tensor or an array of tensors. Got element ${i} of type ${typeof v}`);
        const t = original instanceof Parameter ? new Parameter(v.detach(), original.requiresGrad) : new Buffer(v.detach());
        registerTensor(this, `original${i}`, t);
      });
    }
    if (!this.unsafe) {
      const z: unknown = this.forward();
      if (!(z instanceof Tensor)) throw new Error(`A parametrization must return a tensor. Got ${typeof z}.`);
      if (z.dtype !== originalDtype) {
        throw new Error(`Registering a parametrization may not change the dtype of the tensor, unless \`unsafe\` flag is enabled.\nunparametrized dtype: ${originalDtype}\nparametrized dtype: ${z.dtype}`);
      }
      if (z.ndim !== originalShape.length || z.shape.some((s, i) => s !== originalShape[i])) {
        throw new Error(`Registering a parametrization may not change the shape of the tensor, unless \`unsafe\` flag is enabled.\nunparametrized shape: torch.Size([${originalShape.join(', ')}])\nparametrized shape: ${shapeOf(z)}`);
      }
    }
  }

  /** The originals, in order. */
  originals(): Tensor[] {
    const f = fields(this);
    return this.isTensor ? [f.original as Tensor] : Array.from({ length: this.ntensors }, (_, i) => f[`original${i}`] as Tensor);
  }

  /** The parametrized value: the first parametrization of the originals, then each next one of the previous result. */
  forward(): Tensor {
    const mods = [...this];
    let x = runModule(mods[0]!, ...this.originals()) as Tensor;
    for (const m of mods.slice(1)) x = runModule(m, x) as Tensor;
    return x;
  }

  /** Sets the originals so that the parametrization gives `value` (each rightInverse, last first); used by assignment to the parametrized field. */
  rightInverse(value: Tensor): void {
    noGrad(() => {
      let v: Tensor | Tensor[] = value;
      for (const m of [...this].reverse() as Parametrization[]) {
        if (typeof m.rightInverse !== 'function') throw new Error(`parametrization ${m.constructor.name} does not implement rightInverse.`);
        v = m.rightInverse(v as Tensor);
      }
      if (this.isTensor) {
        if (!(v instanceof Tensor)) throw new Error(`\`rightInverse\` should return a tensor. Got ${typeof v}`);
        const o = this.originals()[0]!;
        if (v.dtype !== o.dtype) throw new Error(`The tensor returned by \`rightInverse\` has dtype ${v.dtype} while \`original\` has dtype ${o.dtype}`);
        if (!sameShape(v, o)) throw new Error(`The tensor returned by \`rightInverse\` has shape ${shapeOf(v)} while \`original\` has shape ${shapeOf(o)}`);
        o.setData_(v.detach().clone());
      } else {
        if (!Array.isArray(v)) throw new Error(`'rightInverse' must return a sequence of tensors. Got ${typeof v}.`);
        if (v.length !== this.ntensors) throw new Error(`'rightInverse' must return a sequence of tensors of length ${this.ntensors}. Got a sequence of length ${v.length}.`);
        const os = this.originals();
        v.forEach((t, i) => {
          const o = os[i]!;
          if (t.dtype !== o.dtype) throw new Error(`Tensor ${i} returned by \`rightInverse\` has dtype ${t.dtype} while \`original${i}\` has dtype ${o.dtype}`);
          if (!sameShape(t, o)) throw new Error(`Tensor ${i} returned by \`rightInverse\` has shape ${shapeOf(t)} while \`original${i}\` has shape ${shapeOf(o)}`);
          o.setData_(t.detach().clone());
        });
      }
    });
  }
}

// ---- the cache of cached() blocks ----
let cacheDepth = 0;
const cache = new Map<Module, Map<string, Tensor>>();

function parametrizationsOf(module: Module): ModuleDict | null {
  const p = fields(module).parametrizations;
  return p instanceof ModuleDict ? p : null;
}

/** Makes module[name] an accessor computing the parametrized value (PyTorch's _inject_property). */
function injectProperty(module: Module, name: string): void {
  module.forgetField_(name);
  delete fields(module)[name];
  Object.defineProperty(module, name, {
    configurable: true,
    enumerable: false,
    get(this: Module): Tensor {
      const list = parametrizationsOf(this)!.get(name) as ParametrizationList;
      if (cacheDepth === 0) return list.forward();
      let perModule = cache.get(this);
      if (!perModule) { perModule = new Map(); cache.set(this, perModule); }
      let t = perModule.get(name);
      if (!t) { t = list.forward(); t.kept = true; perModule.set(name, t); }
      return t;
    },
    set(this: Module, value: Tensor) {
      (parametrizationsOf(this)!.get(name) as ParametrizationList).rightInverse(value);
    },
  });
}

/**
 * Registers `parametrization` on module[tensorName] (torch.nn.utils.parametrize.register_parametrization):
 * from then on reading the field returns parametrization(original). Registering on an already
 * parametrized tensor appends to its list. unsafe skips the dtype/shape consistency checks.
 * @example
 * ```ts
 * class Symmetric extends torch.nn.Module { forward(x: torch.Tensor) { return x.triu().add(x.triu(1).mT); } }
 * torch.nn.utils.parametrize.registerParametrization(linear, 'weight', new Symmetric());
 * ```
 */
export function registerParametrization<M extends Module>(module: M, tensorName: string, parametrization: Module, opts: { unsafe?: boolean } = {}): M {
  if (!(parametrization instanceof Module)) throw new TypeError(`registerParametrization: parametrization must be an nn.Module, got ${typeof parametrization}`);
  const p = parametrization as Parametrization;
  p.train(module.training);
  const unsafe = opts.unsafe ?? false;
  if (isParametrized(module, tensorName)) {
    const list = parametrizationsOf(module)!.get(tensorName) as ParametrizationList;
    if (!unsafe) {
      const y = fields(module)[tensorName] as Tensor;
      const x: unknown = runModule(p, y);
      if (!(x instanceof Tensor)) throw new Error(`A parametrization must return a tensor. Got ${typeof x}.`);
      if (x.dtype !== y.dtype) throw new Error(`Registering a parametrization may not change the dtype of the tensor, unless the \`unsafe\` flag is enabled.\nunparametrized dtype: ${y.dtype}\nparametrized dtype: ${x.dtype}`);
      if (!sameShape(x, y)) throw new Error(`Registering a parametrization may not change the shape of the tensor, unless the \`unsafe\` flag is enabled.\nunparametrized shape: ${shapeOf(y)}\nparametrized shape: ${shapeOf(x)}`);
      if (typeof p.rightInverse === 'function') {
        const z = noGrad(() => p.rightInverse!(x));
        if (!(z instanceof Tensor)) throw new Error(`parametrization ${p.constructor.name} must return a tensor in rightInverse. Got ${typeof z}.`);
        if (z.dtype !== y.dtype) throw new Error(`The tensor returned by parametrization.rightInverse must have the same dtype as ${tensorName}, unless the \`unsafe\` flag is enabled.\n${tensorName}.dtype: ${y.dtype}\nreturned dtype: ${z.dtype}`);
        if (!sameShape(z, y)) throw new Error(`The tensor returned by parametrization.rightInverse must have the same shape as ${tensorName}, unless the \`unsafe\` flag is enabled.\n${tensorName}.shape: ${shapeOf(y)}\nreturned shape: ${shapeOf(z)}`);
      }
    }
    list.append(p);
    return module;
  }
  const original = fields(module)[tensorName];
  if (!(original instanceof Tensor) || !(module.parameters(false).includes(original as Parameter) || module.buffers(false).includes(original))) {
    throw new Error(`Module '${module.constructor.name}' does not have a parameter, a buffer, or a parametrized element with name '${tensorName}'`);
  }
  const list = new ParametrizationList([p], original, { unsafe });
  let dict = parametrizationsOf(module);
  if (!dict) { dict = new ModuleDict(); module.registerModule('parametrizations', dict); }
  dict.set(tensorName, list);
  injectProperty(module, tensorName);
  return module;
}

/** Whether module has a parametrization on tensorName (or on any tensor, without tensorName). */
export function isParametrized(module: Module, tensorName?: string): boolean {
  const dict = parametrizationsOf(module);
  if (!dict) return false;
  return tensorName === undefined ? dict.length > 0 : dict.has(tensorName);
}

/**
 * Removes the parametrizations of module[tensorName] (torch.nn.utils.parametrize.remove_parametrizations).
 * With leaveParametrized (default true) the field keeps its current parametrized value; otherwise it
 * gets the original back (only possible with a single original).
 */
export function removeParametrizations<M extends Module>(module: M, tensorName: string, opts: { leaveParametrized?: boolean } = {}): M {
  const leave = opts.leaveParametrized ?? true;
  if (!isParametrized(module, tensorName)) throw new Error(`Module ${module.constructor.name} does not have a parametrization on ${tensorName}`);
  const dict = parametrizationsOf(module)!;
  const list = dict.get(tensorName) as ParametrizationList;
  let original: Tensor;
  if (list.isTensor) {
    original = list.originals()[0]!;
    if (leave) {
      const t = noGrad(() => list.forward());
      noGrad(() => original.setData_(t.detach().clone()));
    }
  } else {
    if (!leave) throw new Error('Cannot leave unparametrized (`leaveParametrized: false`) a tensor that is parametrized in terms of a sequence of tensors.');
    const t = fields(module)[tensorName] as Tensor;
    original = new Parameter(t.detach().clone(), t.requiresGrad);
  }
  delete fields(module)[tensorName]; // the accessor
  dict.pop(tensorName);
  registerTensor(module, tensorName, original);
  if (!isParametrized(module)) {
    delete fields(module).parametrizations;
    module.forgetField_('parametrizations');
  }
  return module;
}

/**
 * Within a cached() block each parametrized tensor is computed once, on first read, and reused
 * (torch.nn.utils.parametrize.cached): `using _ = cached()` or `cached(() => ...)`.
 */
export function cached<T>(fn: () => T): T;
export function cached(): CachedGuard;
export function cached<T>(fn?: () => T): T | CachedGuard {
  const guard = new CachedGuard();
  if (fn === undefined) return guard;
  let r: T;
  try { r = fn(); } catch (e) { guard.dispose(); throw e; }
  if (r instanceof Promise) return r.finally(() => guard.dispose()) as T;
  guard.dispose();
  return r;
}

/** The open cached() block; disposing it ends the block (the cache is cleared when the outermost ends). */
export class CachedGuard implements Disposable {
  #open = true;
  /** @internal */
  constructor() { cacheDepth++; }
  /** Ends the block. Idempotent. */
  dispose(): void {
    if (!this.#open) return;
    this.#open = false;
    if (--cacheDepth === 0) cache.clear();
  }
  /** Ends the block (for `using`). */
  [Symbol.dispose](): void { this.dispose(); }
}
