// torch.optim.Optimizer: the base class every optimizer extends. It holds param groups (defaults
// filled in), per-parameter state, zeroGrad, step(closure) and stateDict/loadStateDict in PyTorch's
// layout and names, so checkpoints move both ways: { state: { 0: { step, exp_avg, ... } },
// param_groups: [{ lr, weight_decay, ..., params: [0, 1] }] } (options and state camelCase in here).
// Updates run under noGrad with in-place ops inside a tidy scope; state tensors are keep()-marked so
// a user's torch.tidy around the step never disposes them. Nothing here reads device data.

import { Tensor, isTensor, gradsInternally, zeroGrads } from '../tensor.js';
import { noGrad, enableGrad } from '../autograd/grad-mode.js';
import { keep, tidyImpl } from '../memory.js';
import { scalarTensor } from '../ops/prim.js';
import { checkPoison } from '../ops/indexing.js';
import { runEagerly } from '../backends/registry.js';
import { hintSnakeCase, hintSnakeCaseFields } from '../snake-case.js';

/** One param group: its tensors plus the optimizer's hyper-parameters (lr and the rest). */
export interface ParamGroup {
  /** The tensors this group updates. */
  params: Tensor[];
  /** Learning rate of this group (schedulers change it here). */
  lr: number;
  /** The optimizer's other hyper-parameters, camelCase (weightDecay, betas...). */
  [option: string]: unknown;
}
/** What a user passes for a group: params plus any subset of the optimizer's options. */
export type ParamGroupInput<O> = { params: Iterable<Tensor> } & Partial<O>;
/** Optimizer input: an iterable of tensors, or an array of groups. */
export type ParamsInput<O> = Iterable<Tensor> | ParamGroupInput<O>[];

/** A value kept per parameter: tensors (moments, buffers), numbers (step counts) or lists (LBFGS history). */
export type StateValue = Tensor | number | boolean | null | Tensor[] | number[];
/** The state kept for one parameter (e.g. Adam's step, expAvg, expAvgSq), camelCase keys. */
export type ParamState = Record<string, StateValue>;

/**
 * PyTorch's Optimizer.state_dict() layout, names included (what torch.save writes and PyTorch's
 * load_state_dict reads). Scalars PyTorch 1.13 keeps as 0-d tensors (Adam's `step`, NAdam's
 * `mu_product`, LBFGS's `H_diag` and `ro`) are 0-d CPU tensors here too.
 */
export interface OptimizerStateDict {
  /** Per-parameter state (snake_case keys), keyed by the parameter's index over all groups in order. */
  state: Record<number, Record<string, StateValue>>;
  /** Group options (snake_case names) with `params` replaced by those indices. */
  param_groups: ({ params: number[] } & Record<string, unknown>)[];
}
/** The camelCase layout torchlet's stateDict() wrote before; loadStateDict still accepts it. */
export interface LegacyOptimizerStateDict {
  /** Per-parameter state (camelCase keys), keyed by the parameter's index over all groups in order. */
  state: Record<number, ParamState>;
  /** Group options (camelCase names) with `params` replaced by those indices. */
  paramGroups: ({ params: number[] } & Record<string, unknown>)[];
}

/** A closure for step(): re-evaluates the model, calls backward and returns the loss (sync or async). */
export type Closure = () => Tensor | number | Promise<Tensor | number>;

/** Keys lr schedulers store in param groups (OneCycleLR, CyclicLR, SWALR, every scheduler's initialLr). */
const SCHEDULER_GROUP_KEYS = ['initialLr', 'maxLr', 'minLr', 'maxMomentum', 'baseMomentum', 'swaLr'];

function isGroupInput<O>(x: unknown): x is ParamGroupInput<O> {
  return !!x && typeof x === 'object' && !isTensor(x) && 'params' in x;
}

/** Base class of all optimizers (torch.optim.Optimizer): param groups, per-parameter state, zeroGrad, step, stateDict. */
export abstract class Optimizer<O extends { lr: number } = { lr: number }> {
  /** Default options, filled into every group that does not set them. */
  readonly defaults: O;
  /** The param groups, each with its params and options (mutable, as PyTorch's param_groups). */
  paramGroups: ParamGroup[] = [];
  /**
   * Per-parameter state (tensors are keep()-marked): a Map keyed by parameter, so PyTorch's
   * `opt.state[p]` is `opt.state.get(p)` here (indexing it with a tensor throws a TypeError saying so).
   */
  state: Map<Tensor, ParamState> = paramStateMap(this);
  private readonly opName: string;

  constructor(params: ParamsInput<O>, defaults: O, name: string) {
    this.defaults = defaults;
    this.opName = name;
    const list = [...params] as unknown[];
    if (list.length === 0) throw new Error(`${name}: optimizer got an empty parameter list`);
    const groups = isGroupInput<O>(list[0]) ? (list as ParamGroupInput<O>[]) : [{ params: list as Tensor[] } as unknown as ParamGroupInput<O>];
    groups.forEach((g, i) => this.addGroup(g, name, ` in param group ${i}`));
  }

  /** Adds a group; missing options come from the defaults. A tensor may belong to one group only. */
  addParamGroup(group: ParamGroupInput<O>): void { this.addGroup(group, `${this.opName}.addParamGroup`, ''); }

  private addGroup(group: ParamGroupInput<O>, where: string, which: string): void {
    if (!isGroupInput<O>(group)) throw new TypeError(`${this.opName}.addParamGroup: a param group must be an object with a 'params' field`);
    this.checkGroupKeys(group as unknown as Record<string, unknown>, where, which);
    const params = isTensor(group.params) ? [group.params as unknown as Tensor] : [...group.params];
    for (const p of params) {
      if (!isTensor(p)) throw new TypeError(`${this.opName}: optimizer can only optimize Tensors, but one of the params is ${typeof p}`);
      if (!p.isLeaf) throw new Error(`${this.opName}: can't optimize a non-leaf Tensor`);
    }
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    if (params.some((p) => seen.has(p)) || new Set(params).size !== params.length) {
      throw new Error(`${this.opName}: some parameters appear in more than one parameter group`);
    }
    const full = { ...this.defaults, ...group, params } as unknown as ParamGroup;
    for (const [k, v] of Object.entries(full)) if (v === undefined) (full as Record<string, unknown>)[k] = (this.defaults as Record<string, unknown>)[k];
    this.paramGroups.push(full);
  }

  /**
   * A group dict keeps extra keys, as PyTorch's does (a 'name', a user tag), but a snake_case key
   * whose camelCase form is an option of this optimizer (weight_decay) or a key schedulers keep in
   * groups (max_lr) is a ported PyTorch spelling that would otherwise be silently ignored: it gets
   * the options object's "did you mean" TypeError.
   */
  private checkGroupKeys(group: Record<string, unknown>, where: string, which: string): void {
    const options = Object.keys(this.defaults);
    for (const key of Object.keys(group)) {
      if (!key.includes('_')) continue;
      const c = key.replace(/_+([a-zA-Z0-9])/g, (_, ch: string) => ch.toUpperCase());
      if (c !== key && (options.includes(c) || SCHEDULER_GROUP_KEYS.includes(c))) {
        throw new TypeError(`${where}: unknown option '${key}'${which} (did you mean '${c}'?); accepted options: ${options.join(', ')}`);
      }
    }
  }

  /**
   * Resets gradients: drops them (setToNone, the default) or zeroes them in place. A dropped
   * gradient is disposed unless user code has read it (it may still hold it, as in PyTorch).
   */
  zeroGrad(opts: { setToNone?: boolean } | boolean = {}): void {
    const setToNone = typeof opts === 'boolean' ? opts : (opts.setToNone ?? true); // PyTorch's positional set_to_none too
    zeroGrads(this.paramGroups.flatMap((g) => g.params), setToNone);
  }

  /**
   * One optimization step. `closure` re-evaluates the model and returns the loss; it runs with
   * gradients enabled before the update. With an async closure, step returns a Promise.
   */
  step(): undefined;
  step(closure: () => Tensor | number): Tensor | number;
  step(closure: () => Promise<Tensor | number>): Promise<Tensor | number>;
  step(closure?: Closure): Tensor | number | undefined | Promise<Tensor | number>;
  step(closure?: Closure): Tensor | number | undefined | Promise<Tensor | number> {
    if (!closure) { this.update(); return undefined; }
    const loss = enableGrad(closure);
    if (loss instanceof Promise) return loss.then((l) => { this.update(); return l; });
    this.update();
    return loss;
  }

  /**
   * Runs the subclass's per-group update without autograd, freeing temporaries. A parameter or
   * gradient known to come from a failed device check (e.g. a bad class index on WebGPU) throws
   * first, so nothing is updated; see checkPoison for checks still pending on the device.
   */
  protected update(): void {
    // Inside torch.compile the update is eager code between compiled parts (its step counts and
    // learning rates are JS numbers that a graph would bake in).
    runEagerly(`${this.opName}.step() inside the compiled function (the optimizer runs eagerly)`, () => gradsInternally(() => {
      checkPoison(`${this.opName}.step`, this.paramGroups.flatMap((g) => g.params.flatMap((p) => [p, p.grad])));
      noGrad(() => {
        for (const group of this.paramGroups) {
          tidyImpl(() => { this.updateGroup(group); }, isTensor);
        }
      });
    }));
  }

  /** The algorithm: update every param of `group` that has a gradient, in place. */
  protected abstract updateGroup(group: ParamGroup): void;

  /** State of p, created by `init` on first use (tensors in it are kept past tidy scopes). */
  protected stateFor(p: Tensor, init: () => ParamState): ParamState {
    let s = this.state.get(p);
    if (!s) {
      s = init();
      for (const v of Object.values(s)) if (isTensor(v)) keep(v);
      this.state.set(p, s);
    } else this.followDevice(s, p);
    return s;
  }

  /**
   * A parameter moved by Module.to after steps (same object, new device) takes its state along;
   * PyTorch leaves that to the user (its next step fails on the device mismatch). The dtype stays,
   * as in PyTorch (float32 moments of a parameter cast to float64 keep being float32).
   */
  private followDevice(s: ParamState, p: Tensor): void {
    const move = (v: Tensor): Tensor => {
      if (v.device === p.device) return v;
      if (!v.storage.backend.synchronous) {
        throw new Error(`${this.opName}.step: the state of a parameter is on '${v.device}' but the parameter is now on '${p.device}'; moving it needs a device read, so create the optimizer after moving the model`);
      }
      const moved = keep(noGrad(() => v.to(p.device)));
      v.dispose();
      return moved;
    };
    for (const [k, v] of Object.entries(s)) {
      if (isTensor(v)) s[k] = move(v);
      else if (Array.isArray(v)) s[k] = (v as (Tensor | number)[]).map((x) => (isTensor(x) ? move(x) : x)) as StateValue;
    }
  }

  /** Stores a freshly created state tensor (kept). */
  protected setState(s: ParamState, key: string, t: Tensor): Tensor {
    s[key] = keep(t);
    return t;
  }

  /**
   * PyTorch's layout and names (see OptimizerStateDict). State tensors are the live ones (clone to
   * snapshot); the 0-d scalar tensors are fresh.
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const param_groups = this.paramGroups.map((g) => {
      const { params, ...rest } = g;
      const ids = params.map((p) => { if (!index.has(p)) index.set(p, index.size); return index.get(p)!; });
      return { ...Object.fromEntries(Object.entries(rest).map(([k, v]) => [snake(k), v])), params: ids };
    });
    const scalars = new Set(TENSOR_SCALARS[this.opName] ?? []);
    const state: Record<number, Record<string, StateValue>> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      // step and mu_product are float32 in PyTorch; LBFGS's H_diag and ro have the parameters' dtype.
      const dtype = this.opName === 'LBFGS' && p.dtype === 'float64' ? 'float64' : 'float32';
      const toTensor = (v: StateValue): StateValue => {
        if (typeof v === 'number') return scalarTensor(v, dtype, 'cpu');
        if (Array.isArray(v)) return (v as (number | Tensor)[]).map((x) => (typeof x === 'number' ? scalarTensor(x, dtype, 'cpu') : x)) as Tensor[];
        return v;
      };
      state[i] = Object.fromEntries(Object.entries(s).map(([k, v]) => [snake(k), scalars.has(snake(k)) ? toTensor(v) : v]));
    }
    return { state, param_groups };
  }

  /**
   * Loads options and (copied) state; group sizes must match this optimizer's groups. Takes PyTorch's
   * layout (stateDict() here, or a PyTorch optimizer.state_dict() as torch.load returns it: snake_case
   * keys, scalars as numbers or 0-d tensors) and the camelCase layout torchlet wrote before.
   */
  loadStateDict(input: OptimizerStateDict | LegacyOptimizerStateDict): void {
    const sd = this.fromSaved(input);
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new Error(`${this.opName}.loadStateDict: loaded state dict has a different number of parameter groups (${sd.paramGroups.length} vs ${this.paramGroups.length})`);
    }
    const byId = new Map<number, Tensor>();
    sd.paramGroups.forEach((g, gi) => {
      const own = this.paramGroups[gi]!;
      if (!Array.isArray(g.params) || g.params.length !== own.params.length) {
        throw new Error(`${this.opName}.loadStateDict: loaded state dict contains a parameter group that doesn't match the size of optimizer's group (${Array.isArray(g.params) ? g.params.length : 'no params'} vs ${own.params.length})`);
      }
      g.params.forEach((id, k) => byId.set(id, own.params[k]!));
    });
    const copy = (v: StateValue, p: Tensor): StateValue => {
      if (isTensor(v)) {
        // Moments follow their parameter's dtype; every non-scalar state tensor (moments, LBFGS's flat
        // vectors over all parameters) follows its device, as PyTorch; scalar tensors keep their own.
        const same = v.ndim === p.ndim && v.numel() === p.numel();
        const t = v.ndim > 0 ? v.to(p.device, { dtype: same && p.isFloatingPoint() && v.isFloatingPoint() ? p.dtype : v.dtype, copy: true }) : v.clone();
        return keep(t.detach());
      }
      // Lists (LBFGS's direction history) are flat over the parameters: they follow the device too.
      if (Array.isArray(v)) return (v as (Tensor | number)[]).map((x) => (isTensor(x) ? keep(x.to(p.device, { copy: true }).detach()) : x)) as StateValue;
      return v;
    };
    // Copy before freeing the old state: sd may be this optimizer's own stateDict().
    const loaded = new Map<Tensor, ParamState>();
    for (const [k, s] of Object.entries(sd.state)) {
      const p = byId.get(Number(k));
      if (!p) continue;
      const ns: ParamState = {};
      for (const [key, v] of Object.entries(s)) ns[key] = noGrad(() => copy(v, p));
      loaded.set(p, ns);
    }
    this.disposeState();
    for (const [p, s] of loaded) this.state.set(p, s);
    sd.paramGroups.forEach((g, gi) => {
      const { params: _ids, ...rest } = g;
      const own = this.paramGroups[gi]!;
      this.paramGroups[gi] = { ...own, ...rest, params: own.params } as ParamGroup;
    });
  }

  /** Either saved layout -> the camelCase one used in here (0-d tensors of PyTorch's layout read as numbers). */
  private fromSaved(sd: OptimizerStateDict | LegacyOptimizerStateDict): LegacyOptimizerStateDict {
    const name = `${this.opName}.loadStateDict`;
    if (!sd || typeof sd !== 'object' || !sd.state || typeof sd.state !== 'object') throw new TypeError(`${name}: expected { state, param_groups } (an optimizer state dict)`);
    if ('paramGroups' in sd && Array.isArray(sd.paramGroups)) return sd;
    if (!('param_groups' in sd) || !Array.isArray(sd.param_groups)) throw new TypeError(`${name}: expected { state, param_groups } (an optimizer state dict)`);
    const scalar = (v: unknown, key: string): unknown => {
      if (isTensor(v) && v.ndim === 0) {
        if (!v.storage.backend.synchronous) throw new Error(`${name}: state '${key}' is a 0-d tensor on '${v.device}', which cannot be read synchronously; load the checkpoint with mapLocation 'cpu' (the default)`);
        return Number(v.itemSync());
      }
      if (Array.isArray(v) && v.length > 0 && v.every((x) => isTensor(x) && x.ndim === 0)) return v.map((x) => scalar(x, key));
      return v;
    };
    const state: Record<number, ParamState> = {};
    for (const [k, s] of Object.entries(sd.state)) {
      // 'al' is LBFGS's scratch space, rebuilt on each step.
      state[Number(k)] = Object.fromEntries(Object.entries(s).filter(([key]) => key !== 'al').map(([key, v]) => [stateKey(key), scalar(v, key)])) as ParamState;
    }
    const paramGroups = sd.param_groups.map((g) => Object.fromEntries(Object.entries(g).map(([k, v]) => [camel(k), v])) as { params: number[] } & Record<string, unknown>);
    return { state, paramGroups };
  }

  /** Frees every state tensor (the optimizer is unusable for its old state afterwards). */
  disposeState(): void {
    for (const s of this.state.values()) {
      for (const v of Object.values(s)) {
        if (isTensor(v)) v.dispose();
        else if (Array.isArray(v)) for (const x of v) if (isTensor(x)) x.dispose();
      }
    }
    this.state.clear();
  }
}

/** A state_dict written by PyTorch's Optimizer.state_dict() (after torch.load): the same layout. */
export type PyTorchOptimizerStateDict = OptimizerStateDict;

// PyTorch 1.13 keeps these state entries as 0-d tensors (the rest of its scalars are Python numbers).
const TENSOR_SCALARS: Record<string, readonly string[]> = {
  Adam: ['step'], AdamW: ['step'], Adagrad: ['step'], Adamax: ['step'], NAdam: ['step', 'mu_product'], RAdam: ['step'], LBFGS: ['H_diag', 'ro'],
};
const camel = (k: string): string => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
// State keys start lower-case here ('H_diag' <-> 'hDiag').
const stateKey = (k: string): string => { const c = camel(k); return c.charAt(0).toLowerCase() + c.slice(1); };
const snake = (k: string): string => (k === 'hDiag' ? 'H_diag' : k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));

/**
 * PyTorch's implementation switches, accepted by every optimizer but LBFGS. foreach (multi-tensor
 * kernels) and fused (one kernel per step) choose how PyTorch runs the same math: any value is
 * accepted and changes nothing here. capturable (CUDA graph capture) and differentiable (autograd
 * through the step) would change what the step is: only false is accepted.
 */
export interface ImplementationOptions {
  /** PyTorch's multi-tensor (foreach) implementation switch: accepted, the math is the same (default null). */
  foreach?: boolean | null;
  /** PyTorch's fused-kernel switch: accepted, the math is the same (default null). */
  fused?: boolean | null;
  /** CUDA graph capture of the step: torchlet has none, only false is accepted (default false). */
  capturable?: boolean;
  /** Autograd through the step: torchlet's step runs under noGrad, only false is accepted (default false). */
  differentiable?: boolean;
}

/** Checks and removes the ImplementationOptions from an optimizer's options (they are not group options here). */
export function implementationOptions<O extends object>(name: string, opts: O & ImplementationOptions): O {
  const { foreach, fused, capturable, differentiable, ...rest } = opts;
  for (const [key, v] of [['foreach', foreach], ['fused', fused]] as const) {
    if (v !== undefined && v !== null && typeof v !== 'boolean') throw new TypeError(`${name}: option '${key}' must be a boolean or null, got ${typeof v}`);
  }
  for (const [key, v] of [['capturable', capturable], ['differentiable', differentiable]] as const) {
    if (v !== undefined && typeof v !== 'boolean') throw new TypeError(`${name}: option '${key}' must be a boolean, got ${typeof v}`);
  }
  if (capturable) {
    throw new Error(`${name}: capturable=True is not supported in torchlet: it makes the step capturable in a CUDA graph, which torchlet has no counterpart of; leave it false (the default)`);
  }
  if (differentiable) {
    throw new Error(`${name}: differentiable=True is not supported in torchlet: the step always runs under no_grad, so autograd cannot go through it; leave it false (the default)`);
  }
  return rest as O;
}

/** Validates a hyper-parameter the way PyTorch's constructors do. */
export function check(cond: boolean, msg: string): void {
  if (!cond) throw new RangeError(msg);
}

/** Options shared by all groups (typed view of a group's fields). */
export function opt<T>(group: ParamGroup, key: string): T {
  return group[key] as T;
}

hintSnakeCase(Optimizer);
hintSnakeCaseFields(Optimizer, ['paramGroups']);

/**
 * The state Map, behind a Proxy that only adds an error: PyTorch's `opt.state[p]` (a tensor as the
 * key, JavaScript's String(p) as the property) or `opt.state[0]` (a state dict's index) would read
 * undefined from a Map. Everything else (Map methods, iteration, inspection) reads the Map itself.
 */
function paramStateMap(owner: object): Map<Tensor, ParamState> {
  const map = new Map<Tensor, ParamState>();
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(map, {
    get(target, key) {
      if (typeof key === 'string' && !(key in target) && (/^\d+$/.test(key) || key.startsWith('tensor(') || key.startsWith('Parameter containing'))) {
        const name = owner.constructor?.name ?? 'Optimizer';
        throw new TypeError(`${name}.state is a Map keyed by parameter: use ${name === 'Optimizer' ? 'opt' : 'optimizer'}.state.get(p) for PyTorch's optimizer.state[p]${/^\d+$/.test(key) ? ` (state_dict()['state'][${key}] is optimizer.stateDict().state[${key}])` : ''}`);
      }
      const v = Reflect.get(target, key, target) as unknown;
      if (typeof v !== 'function') return v;
      // Map methods need the Map itself as `this`.
      let b = bound.get(key);
      if (!b) { b = (v as (...a: unknown[]) => unknown).bind(target); bound.set(key, b); }
      return b;
    },
  });
}
