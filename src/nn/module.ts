// nn.Module: the base class of every layer. Parameters, buffers and submodules are discovered from
// the instance's own fields (class fields are assigned after super() returns, so discovery is lazy:
// every query walks the fields in declaration/assignment order) plus explicit register* calls.
// Contract: stateDict() keys and order are PyTorch's exactly (own parameters, own persistent
// buffers, then children, dotted paths), so PyTorch checkpoints load unchanged; forward hooks run
// whether the user calls `m.forward(x)` or `m.call(x)`. Full backward (pre-)hooks wrap the tensor
// inputs and outputs of each call in identity autograd Functions, as PyTorch's BackwardHook does.

import { Tensor, isTensor, gradsInternally, zeroGrads } from '../tensor.js';
import { collectTensors, keep, forwardScope, userCode } from '../memory.js';
import { noGrad } from '../autograd/grad-mode.js';
import { DTYPES, isFloating, type DType } from '../dtype.js';
import type { Device } from '../backends/backend.js';
import { cudaDeviceAt, parseDevice } from '../backends/registry.js';
import { fmtShape } from '../shape.js';
import { Buffer, Parameter } from './parameter.js';
import { Function as AutogradFunction, type FunctionCtx } from '../autograd/function.js';
import { escapeFromBackward } from '../autograd/graph.js';
import { zerosLike } from '../ops/creation.js';
import { toAsync } from '../ops/elementwise.js';
import { state } from '../state.js';
import { notifyCall } from '../args.js';
import { compileFunction, type CompileOptions } from '../compile/compile.js';
import { hintSnakeCase } from '../snake-case.js';

/** A forward pre-hook: fn(module, inputs) runs before forward; a returned value (or array of values) replaces the inputs. */
export type ForwardPreHook = (module: Module, input: unknown[]) => unknown;
/** A forward hook: fn(module, inputs, output) runs after forward; a returned value replaces the output. */
export type ForwardHook = (module: Module, input: unknown[], output: unknown) => unknown;
/** PyTorch's full backward hook: one entry per forward argument / output (null: not a tensor, or no grad). May return replacement gradInputs. */
export type FullBackwardHook = (module: Module, gradInput: (Tensor | null)[], gradOutput: (Tensor | null)[]) => (Tensor | null)[] | null | undefined | void;
/** Runs before the module's input gradients are computed; may return replacement gradOutputs. */
export type FullBackwardPreHook = (module: Module, gradOutput: (Tensor | null)[]) => (Tensor | null)[] | null | undefined | void;
/** A handle returned by the register*Hook methods. */
export interface RemovableHandle {
  /** Removes the hook. */
  remove(): void
}
/** What loadStateDict returns: the keys it did not find and the keys it did not expect. */
export interface LoadResult {
  /** Keys of this module that the state dict lacked. */
  missingKeys: string[];
  /** Keys of the state dict that this module does not have. */
  unexpectedKeys: string[];
}
/** A LoadResult that prints as PyTorch's (`<All keys matched successfully>` or `_IncompatibleKeys(...)`); toString is not enumerable. */
function loadResult(missingKeys: string[], unexpectedKeys: string[]): LoadResult {
  const r: LoadResult = { missingKeys, unexpectedKeys };
  const list = (ks: string[]) => `[${ks.map((k) => `'${k}'`).join(', ')}]`;
  Object.defineProperty(r, 'toString', {
    enumerable: false,
    value: () => (missingKeys.length || unexpectedKeys.length
      ? `_IncompatibleKeys(missing_keys=${list(missingKeys)}, unexpected_keys=${list(unexpectedKeys)})`
      : '<All keys matched successfully>'),
  });
  return r;
}
type Kind = 'parameter' | 'buffer' | 'module';
type AnyForward = (...args: unknown[]) => unknown;

let hookId = 0;

/**
 * Base class for all neural network modules (torch.nn.Module): subclasses declare their layers and
 * parameters as fields and implement `forward`; `model.call(x)` runs it with hooks.
 * @example
 * ```ts
 * class Net extends torch.nn.Module {
 *   fc1 = new torch.nn.Linear(784, 128);
 *   fc2 = new torch.nn.Linear(128, 10);
 *   forward(x: torch.Tensor) { return this.fc2.call(this.fc1.call(x).relu()); }
 * }
 * const model = new Net();
 * const opt = new torch.optim.Adam(model.parameters(), { lr: 1e-3 });
 * for (const [x, y] of loader) {
 *   const loss = torch.nn.functional.crossEntropy(model.call(x), y);
 *   opt.zeroGrad();
 *   loss.backward();
 *   opt.step();
 * }
 * ```
 */
export class Module {
  /** Whether the module is in training mode (see train() / eval()). */
  training = true;
  // Private (#) fields are not own properties, so field discovery never sees them.
  #names: string[] = [];
  #seen = new Set<string>();
  #bufferPersistence = new Map<string, boolean>();
  #preHooks = new Map<number, ForwardPreHook>();
  #hooks = new Map<number, ForwardHook>();
  #backwardHooks = new Map<number, FullBackwardHook>();
  #backwardPreHooks = new Map<number, FullBackwardPreHook>();
  #wrapper: AnyForward | null = null;
  #raw: AnyForward | null = null;

  constructor() { this.#wrapForward(); }

  // `forward` is deliberately not declared here: subclasses define it with their own signature
  // (no `override` needed under noImplicitOverride), and containers run children via runModule().

  /** Runs forward (and its hooks): `m.call(x)` is PyTorch's `m(x)`; `m.forward(x)` is the same. */
  call<M extends Module & { forward(...args: never[]): unknown }>(this: M, ...args: Parameters<M['forward']>): ReturnType<M['forward']> {
    return runModule(this, ...(args as unknown[])) as ReturnType<M['forward']>;
  }

  // ------------------------------------------------------------ registration
  #sync(): void {
    for (const k of Object.keys(this)) {
      if (!this.#seen.has(k)) { this.#seen.add(k); this.#names.push(k); }
    }
  }
  #rec(): Record<string, unknown> { return this as unknown as Record<string, unknown>; }
  #kindOf(name: string, v: unknown): Kind | null {
    if (v instanceof Parameter) return 'parameter';
    if (v instanceof Module) return 'module';
    if (v instanceof Tensor && (v instanceof Buffer || this.#bufferPersistence.has(name))) return 'buffer';
    return null;
  }
  #own<T>(kind: Kind): [string, T][] {
    this.#sync();
    const rec = this.#rec(), out: [string, T][] = [];
    for (const n of this.#names) {
      const v = rec[n];
      if (v !== null && v !== undefined && this.#kindOf(n, v) === kind) out.push([n, v as T]);
    }
    return out;
  }
  #checkName(what: string, name: string): void {
    if (typeof name !== 'string') throw new TypeError(`${what} name should be a string. Got ${typeof name}`);
    if (name === '') throw new Error(`${what} name can't be empty string ""`);
    if (name.includes('.')) throw new Error(`${what} name can't contain ".", got: ${name}`);
    if (name in Module.prototype || name === 'training') throw new Error(`attribute '${name}' already exists`);
  }
  #assign(name: string, value: unknown): void {
    this.#sync();
    this.#rec()[name] = value;
    this.#sync();
  }

  /** Adds a parameter (or null: a declared but absent parameter, like Linear's bias=false). */
  registerParameter(name: string, param: Parameter | null): void {
    this.#checkName('parameter', name);
    if (param !== null && !(param instanceof Parameter)) {
      throw new TypeError(`cannot assign '${(param as object)?.constructor?.name ?? typeof param}' object to parameter '${name}' (nn.Parameter or null required)`);
    }
    this.#bufferPersistence.delete(name);
    this.#assign(name, param);
  }
  /** Adds a buffer: state that is not a parameter (running statistics). Non-persistent ones stay out of stateDict. */
  registerBuffer(name: string, tensor: Tensor | null, optsArg: { persistent?: boolean } | boolean = {}): void {
    const opts = typeof optsArg === 'boolean' ? { persistent: optsArg } : optsArg; // PyTorch's positional persistent
    this.#checkName('buffer', name);
    if (tensor !== null && !(tensor instanceof Tensor)) throw new TypeError(`cannot assign '${typeof tensor}' object to buffer '${name}' (Tensor or null required)`);
    if (tensor) tensor.kept = true;
    this.#bufferPersistence.set(name, opts.persistent ?? true);
    this.#assign(name, tensor);
  }
  /** Adds a child module under `name` (its parameters get the prefix `name.`). */
  registerModule(name: string, module: Module | null): void {
    this.#checkName('module', name);
    if (module !== null && !(module instanceof Module)) throw new TypeError(`${typeof module} is not a Module subclass`);
    this.#assign(name, module);
  }
  /**
   * @internal Stops listing field `name` as a member (nn.utils.parametrize replaces it with a
   * non-enumerable accessor that computes it); assigning it again later registers it anew, last.
   */
  forgetField_(name: string): void {
    this.#sync();
    this.#seen.delete(name);
    this.#names = this.#names.filter((n) => n !== name);
    this.#bufferPersistence.delete(name);
  }
  /** Alias of registerModule (torch.nn.Module.add_module). */
  addModule(name: string, module: Module | null): void { this.registerModule(name, module); }

  // ------------------------------------------------------------ traversal
  /** The immediate child modules as [name, module] pairs (each module once). */
  namedChildren(): [string, Module][] {
    const seen = new Set<Module>();
    return this.#own<Module>('module').filter(([, m]) => (seen.has(m) ? false : (seen.add(m), true)));
  }
  /** The immediate child modules. */
  children(): Module[] { return this.namedChildren().map(([, m]) => m); }

  /** This module and every submodule as [dotted name, module] pairs, depth first ('' is this module). */
  namedModules(opts: { prefix?: string; removeDuplicate?: boolean } = {}): [string, Module][] {
    const out: [string, Module][] = [];
    const memo = new Set<Module>();
    const dedup = opts.removeDuplicate ?? true;
    const walk = (m: Module, prefix: string): void => {
      if (dedup) { if (memo.has(m)) return; memo.add(m); }
      out.push([prefix, m]);
      for (const [n, c] of m.#own<Module>('module')) walk(c, prefix ? `${prefix}.${n}` : n);
    };
    walk(this, opts.prefix ?? '');
    return out;
  }
  /** This module and every submodule, depth first. */
  modules(): Module[] { return this.namedModules().map(([, m]) => m); }

  #namedMembers<T extends Tensor>(kind: 'parameter' | 'buffer', opts: { prefix?: string; recurse?: boolean; removeDuplicate?: boolean }): [string, T][] {
    const mods: [string, Module][] = opts.recurse ?? true ? this.namedModules({ prefix: opts.prefix ?? '', removeDuplicate: opts.removeDuplicate }) : [[opts.prefix ?? '', this]];
    const memo = new Set<Tensor>();
    const out: [string, T][] = [];
    for (const [p, m] of mods) {
      for (const [n, t] of m.#own<T>(kind)) {
        if ((opts.removeDuplicate ?? true) && memo.has(t)) continue;
        memo.add(t);
        out.push([p ? `${p}.${n}` : n, t]);
      }
    }
    return out;
  }
  /** Every parameter as [dotted name, parameter] pairs (of submodules too unless recurse=false); PyTorch's positional (prefix, recurse, removeDuplicate) too. */
  namedParameters(opts: string | { prefix?: string; recurse?: boolean; removeDuplicate?: boolean } = {}, recurse?: boolean, removeDuplicate?: boolean): [string, Parameter][] {
    return this.#namedMembers<Parameter>('parameter', memberOpts(opts, recurse, removeDuplicate));
  }
  /** Every parameter of this module (and of its submodules unless recurse=false), tied ones once. */
  parameters(recurse = true): Parameter[] { return this.namedParameters({ recurse }).map(([, p]) => p); }
  /** Every buffer as [dotted name, buffer] pairs (of submodules too unless recurse=false); PyTorch's positional (prefix, recurse, removeDuplicate) too. */
  namedBuffers(opts: string | { prefix?: string; recurse?: boolean; removeDuplicate?: boolean } = {}, recurse?: boolean, removeDuplicate?: boolean): [string, Tensor][] {
    return this.#namedMembers<Tensor>('buffer', memberOpts(opts, recurse, removeDuplicate));
  }
  /** Every buffer of this module (and of its submodules unless recurse=false). */
  buffers(recurse = true): Tensor[] { return this.namedBuffers({ recurse }).map(([, b]) => b); }

  /** The submodule at a dotted path ('encoder.layers.0'); '' is this module. */
  getSubmodule(target: string): Module {
    if (target === '') return this;
    let m: Module = this;
    for (const part of target.split('.')) {
      const next = m.#rec()[part];
      if (!(next instanceof Module)) throw new Error(`${m.constructor.name} has no attribute \`${part}\``);
      m = next;
    }
    return m;
  }
  /** The parameter at a dotted path ('fc1.weight'); throws if there is none. */
  getParameter(target: string): Parameter {
    const i = target.lastIndexOf('.');
    const mod = this.getSubmodule(i < 0 ? '' : target.slice(0, i));
    const p = mod.#rec()[target.slice(i + 1)];
    if (!(p instanceof Parameter)) throw new Error(`\`${target.slice(i + 1)}\` is not an nn.Parameter`);
    return p;
  }
  /** The buffer at a dotted path ('bn.running_mean'); throws if there is none. */
  getBuffer(target: string): Tensor {
    const i = target.lastIndexOf('.');
    const mod = this.getSubmodule(i < 0 ? '' : target.slice(0, i));
    const name = target.slice(i + 1), b = mod.#rec()[name];
    if (mod.#kindOf(name, b) !== 'buffer') throw new Error(`\`${name}\` is not a buffer`);
    return b as Tensor;
  }

  // ------------------------------------------------------------ state
  #stateEntries(prefix: string, out: [string, Tensor][]): void {
    for (const [n, p] of this.#own<Parameter>('parameter')) out.push([prefix + n, p]);
    for (const [n, b] of this.#own<Tensor>('buffer')) {
      const persistent = this.#bufferPersistence.get(n) ?? (b instanceof Buffer ? b.persistent : true);
      if (persistent) out.push([prefix + n, b]);
    }
    for (const [n, m] of this.#own<Module>('module')) m.#stateEntries(`${prefix}${n}.`, out);
  }
  /** A plain object of every parameter and persistent buffer, keyed and ordered as PyTorch's state_dict. */
  stateDict(opts: { prefix?: string; keepVars?: boolean } = {}): Record<string, Tensor> {
    const entries: [string, Tensor][] = [];
    this.#stateEntries(opts.prefix ?? '', entries);
    const out: Record<string, Tensor> = {};
    for (const [k, t] of entries) out[k] = opts.keepVars ? t : t.detach();
    return out;
  }
  /**
   * Copies values from `stateDict` into this module's parameters and buffers (converting device and
   * dtype). Shape mismatches always throw; with strict (default) missing and unexpected keys throw too.
   */
  loadStateDict(stateDict: Record<string, Tensor>, opts: { strict?: boolean } = {}): LoadResult {
    const strict = opts.strict ?? true;
    const entries: [string, Tensor][] = [];
    this.#stateEntries('', entries);
    const expected = new Set(entries.map(([k]) => k));
    const missingKeys: string[] = [], errors: string[] = [];
    noGrad(() => {
      for (const [key, target] of entries) {
        if (!Object.prototype.hasOwnProperty.call(stateDict, key)) { missingKeys.push(key); continue; }
        const src = stateDict[key];
        if (!(src instanceof Tensor)) {
          errors.push(`While copying the parameter named "${key}", expected Tensor from checkpoint but received ${src === null ? 'null' : typeof src}`);
          continue;
        }
        if (src.ndim !== target.ndim || src.shape.some((s, i) => s !== target.shape[i])) {
          errors.push(`size mismatch for ${key}: copying a param with shape ${fmtShape(src.shape)} from checkpoint, the shape in current model is ${fmtShape(target.shape)}.`);
          continue;
        }
        target.copy_(src);
      }
    });
    const unexpectedKeys = Object.keys(stateDict).filter((k) => !expected.has(k));
    if (strict) {
      if (unexpectedKeys.length) errors.unshift(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}. `);
      if (missingKeys.length) errors.unshift(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(', ')}. `);
    }
    if (errors.length) throw new Error(`Error(s) in loading state_dict for ${this.constructor.name}:\n\t${errors.join('\n\t')}`);
    return loadResult(missingKeys, unexpectedKeys);
  }

  // ------------------------------------------------------------ modes, devices, grads
  /** Sets training mode (or eval mode with false) on this module and every submodule. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new TypeError('training mode is expected to be boolean');
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  /** Sets evaluation mode: same as train(false) (Dropout off, BatchNorm uses running statistics). */
  eval(): this { return this.train(false); }
  /** Sets requiresGrad on every parameter, in place (freezes the module with false). */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad_(requiresGrad);
    return this;
  }
  /** Sets every parameter's grad to null (disposing it unless user code read it), or to zeros with setToNone=false. */
  zeroGrad(setToNoneArg: boolean | { setToNone?: boolean } = true): void {
    const setToNone = typeof setToNoneArg === 'object' ? (setToNoneArg.setToNone ?? true) : setToNoneArg;
    zeroGrads(this.parameters(), setToNone);
  }
  /** Calls fn on every submodule (children first) and then on this module. */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  /** Every distinct parameter, parameter grad and buffer of this module tree (tied ones once). */
  #tensorsToConvert(): Tensor[] {
    const out = new Set<Tensor>();
    for (const m of this.modules()) {
      for (const [, p] of m.#own<Parameter>('parameter')) { out.add(p); const g = gradsInternally(() => p.grad); if (g) out.add(g); }
      for (const [, b] of m.#own<Tensor>('buffer')) out.add(b);
    }
    return [...out];
  }
  /**
   * Puts converted contents into the original tensor objects, as PyTorch's Module._apply does with
   * `param.data = fn(param)`: Parameters, their grads and buffers keep their identity, so an
   * optimizer made before `model.to(...)` keeps training them, and tied tensors stay tied.
   */
  /** Frees the conversions made so far when one fails (the module stays as it was). */
  static #discard(olds: Tensor[], news: Tensor[]): void {
    news.forEach((nt, i) => { if (nt !== olds[i]) nt.dispose(); });
  }
  static #swapIn(olds: Tensor[], news: Tensor[]): void {
    olds.forEach((t, i) => { const nt = news[i]!; if (nt !== t) { t.setData_(nt); nt.dispose(); } });
  }
  /**
   * Converts every parameter, parameter grad and buffer with `fn`, in place. Every conversion is
   * computed before any tensor changes, so one that fails (float64 on WebGPU) leaves the module as it was.
   */
  protected applyToTensors(fn: (t: Tensor) => Tensor): this {
    const olds = this.#tensorsToConvert(), news: Tensor[] = [];
    try {
      for (const t of olds) news.push(noGrad(() => fn(t)));
    } catch (e) {
      Module.#discard(olds, news);
      throw e;
    }
    Module.#swapIn(olds, news);
    return this;
  }
  #target(deviceOrDtype: Device | DType | string | Tensor, opts: { dtype?: DType }): { device: Device | null; dtype: DType | null } {
    let device: string | null = null, dtype: DType | null = opts.dtype ?? null;
    if (deviceOrDtype instanceof Tensor) { device = deviceOrDtype.device; dtype = deviceOrDtype.dtype; }
    else if ((DTYPES as readonly string[]).includes(deviceOrDtype)) dtype = deviceOrDtype as DType;
    else device = deviceOrDtype;
    if (dtype && !isFloating(dtype) && !(deviceOrDtype instanceof Tensor)) throw new TypeError(`nn.Module.to only accepts floating point dtypes, but got desired dtype=${dtype}`);
    return { device: device as Device | null, dtype };
  }
  /**
   * Moves and/or casts parameters and buffers in place (floating ones only are cast):
   * `m.to('webgpu')`, `m.to('float64')`, `m.to('cuda', { dtype })`. Leaving an asynchronous device
   * (WebGPU) needs a device read: `await m.toAsync('cpu')`.
   */
  to(deviceOrDtype: Device | DType | string | Tensor, opts: { dtype?: DType; nonBlocking?: boolean } = {}): this {
    const { device, dtype } = this.#target(deviceOrDtype, opts);
    const dest = device === null ? null : parseDevice(device, 'to');
    const from = dest && this.#tensorsToConvert().find((t) => !t.storage.backend.synchronous && t.device !== dest);
    if (from) {
      throw new Error(`${this.constructor.name}.to: moving parameters from '${from.device}' to '${device}' needs a device read; use 'await model.toAsync("${device}")'`);
    }
    const cast = (t: Tensor): Tensor => (dtype && isFloating(t.dtype) ? t.to(dtype) : t);
    const move = (t: Tensor): Tensor => (device ? t.to(device) : t);
    return this.applyToTensors((t) => {
      // Cast where the dtype exists: on the CPU (every dtype) before leaving it, else after moving.
      const [first, second] = t.device === 'cpu' ? [cast, move] : [move, cast];
      const mid = first(t), r = second(mid);
      if (mid !== t && mid !== r) mid.dispose();
      return r;
    });
  }
  /** to() from any device, WebGPU included (reads are awaited); changes the module in place like to(). */
  async toAsync(deviceOrDtype: Device | DType | string | Tensor, opts: { dtype?: DType; nonBlocking?: boolean } = {}): Promise<this> {
    const { device, dtype } = this.#target(deviceOrDtype, opts);
    const olds = this.#tensorsToConvert(), news: Tensor[] = [];
    try {
      for (const t of olds) {
        const want = dtype && isFloating(t.dtype) ? dtype : t.dtype;
        // Cast on the CPU side (every dtype exists there): before leaving it, or after arriving.
        const pre = t.device === 'cpu' ? noGrad(() => t.to(want)) : t;
        const moved = device ? await noGrad(() => toAsync(pre, device)) : pre;
        const r = noGrad(() => moved.to(want));
        for (const x of [pre, moved]) if (x !== t && x !== r) x.dispose();
        news.push(r);
      }
    } catch (e) {
      Module.#discard(olds, news);
      throw e;
    }
    Module.#swapIn(olds, news);
    return this;
  }
  /** Moves every parameter and buffer to the CPU: to('cpu'). */
  cpu(): this { return this.to('cpu'); }
  /** Moves every parameter and buffer to the current CUDA device, or to CUDA device `device` (PyTorch's `m.cuda(1)`): to('cuda:1'). */
  cuda(device?: number): this { return this.to(device === undefined ? 'cuda' : cudaDeviceAt(device, 'cuda')); }
  /** Moves every parameter and buffer to WebGPU: to('webgpu'). */
  webgpu(): this { return this.to('webgpu'); }
  /** Casts floating-point parameters and buffers to float32. */
  float(): this { return this.to('float32'); }
  /** Casts floating-point parameters and buffers to float64. */
  double(): this { return this.to('float64'); }
  /** Casts floating-point parameters and buffers to float16. */
  half(): this { return this.to('float16'); }

  /**
   * Compiles this module's forward in place (PyTorch's `Module.compile`): later calls run it through
   * torch.compile with `opts`, guarded on this module's parameters, buffers and training flags.
   * Hooks still run around it. Returns this.
   */
  compile(opts: CompileOptions = {}): this {
    this.#wrapForward();
    const raw = this.#raw;
    if (!raw) throw new Error(`Module [${this.constructor.name}] is missing the required "forward" function`);
    const self = this;
    const compiled = compileFunction(function (...args: unknown[]) { return raw.apply(self, args); }, opts, this);
    Object.defineProperty(compiled, 'name', { value: `${this.constructor.name}.forward` });
    this.#raw = compiled;
    this.#wrapper = (...args: unknown[]): unknown => this.#runForward(compiled, args);
    Object.defineProperty(this, 'forward', { value: this.#wrapper, writable: true, configurable: true, enumerable: false });
    return this;
  }

  // ------------------------------------------------------------ hooks
  /**
   * Wraps `forward` in an own, non-enumerable property, so that `m.forward(x)` and `m.call(x)` alike
   * run the hooks and the forward's owned memory scope. Done at construction (for forward methods)
   * and again when a hook is added (for a forward assigned later, e.g. an arrow-function field).
   */
  #wrapForward(): void {
    const cur = (this as unknown as { forward?: AnyForward }).forward;
    if (typeof cur !== 'function' || cur === this.#wrapper) return;
    const orig = cur;
    this.#raw = orig;
    this.#wrapper = (...args: unknown[]): unknown => this.#runForward(orig, args);
    Object.defineProperty(this, 'forward', { value: this.#wrapper, writable: true, configurable: true, enumerable: false });
  }
  /** @internal Runs forward(args) with the hooks, in the owned scope (ARCHITECTURE.md "Memory"). */
  runForward_(args: unknown[]): unknown {
    const f = (this as unknown as { forward?: AnyForward }).forward;
    if (typeof f !== 'function') throw new Error(`Module [${this.constructor.name}] is missing the required "forward" function`);
    return f === this.#wrapper ? f.apply(this, args) : this.#runForward(f, args);
  }
  #runForward(orig: AnyForward, args: unknown[]): unknown {
    return forwardScope(() => {
      let input = args;
      // Hooks are the user's code: what they make is theirs to keep (userCode), not the forward's temporaries.
      for (const h of this.#preHooks.values()) {
        const r = userCode(() => h(this, input));
        if (r !== undefined && r !== null) input = Array.isArray(r) ? r : [r];
      }
      // PyTorch's order: input side of the backward hooks, forward, forward hooks, output side.
      const bw = (this.#backwardHooks.size > 0 || this.#backwardPreHooks.size > 0) && state.gradEnabled
        ? new BackwardHookCall(this, [...this.#backwardHooks.values()], [...this.#backwardPreHooks.values()]) : null;
      if (bw) input = bw.setupInput(input);
      let out = notifyCall(`${this.constructor.name}.forward`, this, input, () => orig.apply(this, input));
      for (const h of this.#hooks.values()) {
        const o = out;
        const r = userCode(() => h(this, input, o));
        if (r !== undefined && r !== null) out = r;
      }
      return bw ? bw.setupOutput(out) : out;
    }, `${this.constructor.name}.forward`, isTensor, (held) => heldBy(this, held, new Set()));
  }
  /** Installs the forward wrapper once and registers fn in `hooks` under a fresh id. */
  #addHook<F>(hooks: Map<number, F>, fn: F): RemovableHandle {
    this.#wrapForward();
    const id = hookId++;
    hooks.set(id, fn);
    return { remove: () => { hooks.delete(id); } };
  }
  /** fn(module, inputs) runs before forward; returning a value (or array of values) replaces the inputs. */
  registerForwardPreHook(fn: ForwardPreHook): RemovableHandle { return this.#addHook(this.#preHooks, fn); }
  /** fn(module, inputs, output) runs after forward; returning a value replaces the output. */
  registerForwardHook(fn: ForwardHook): RemovableHandle { return this.#addHook(this.#hooks, fn); }

  /**
   * fn(module, gradInput, gradOutput) runs when the gradients of the module's inputs are computed;
   * gradInput has one entry per forward argument (null for non-tensors; zeros for tensors that need
   * no grad, as PyTorch 1.13), gradOutput one per output (a tensor or the entries of an output array).
   * Returning an array replaces gradInput. When no input needs a grad, fn runs with all-null gradInput
   * once gradOutput is known and must not return replacements.
   */
  registerFullBackwardHook(fn: FullBackwardHook): RemovableHandle { return this.#addHook(this.#backwardHooks, fn); }
  /** fn(module, gradOutput) runs when the gradients of the module's outputs are known; returning an array replaces them. */
  registerFullBackwardPreHook(fn: FullBackwardPreHook): RemovableHandle { return this.#addHook(this.#backwardPreHooks, fn); }

  // ------------------------------------------------------------ copying
  /** @internal Own modules in registration order, duplicates kept (Sequential iterates these). */
  ownModules_(): [string, Module][] { return this.#own<Module>('module'); }

  /**
   * A deep copy (PyTorch's copy.deepcopy(module)): fresh parameters and buffers with equal values,
   * tied tensors stay tied within the copy; hooks are not copied. Subclasses must not rely on
   * constructor side effects beyond their fields (fields are copied, the constructor is not rerun).
   */
  static deepcopy<T extends Module>(m: T): T { return Module.#copy(m, new Map()); }
  static #copy<T extends Module>(m: T, memo: Map<unknown, unknown>): T {
    if (memo.has(m)) return memo.get(m) as T;
    const c = Reflect.construct(Module, [], m.constructor) as T;
    memo.set(m, c);
    c.#bufferPersistence = new Map(m.#bufferPersistence);
    const value = (v: unknown): unknown => {
      if (v === null || typeof v !== 'object') return v;
      if (memo.has(v)) return memo.get(v);
      let r: unknown;
      if (v instanceof Module) return Module.#copy(v, memo);
      if (v instanceof Parameter) r = new Parameter(noGrad(() => v.detach().clone()), v.requiresGrad);
      else if (v instanceof Buffer) r = new Buffer(noGrad(() => v.clone()), { persistent: v.persistent });
      else if (v instanceof Tensor) { const t = noGrad(() => v.detach().clone()); t.kept = v.kept; r = t; }
      else if (Array.isArray(v)) r = v.map(value);
      else if (Object.getPrototypeOf(v) === Object.prototype) r = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, value(x)]));
      else r = v;
      memo.set(v, r);
      return r;
    };
    m.#sync();
    const src = m.#rec(), dst = c.#rec();
    for (const k of m.#names) if (Object.prototype.hasOwnProperty.call(src, k)) dst[k] = value(src[k]);
    // Computed fields (nn.utils.parametrize's accessors read `this`, so they serve the copy as they are).
    for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(m))) if (d.get && !(k in dst)) Object.defineProperty(c, k, d);
    c.#sync();
    return c;
  }

  // ------------------------------------------------------------ printing
  /** The text inside the parentheses of this module's repr (overridden by layers). */
  extraRepr(): string { return ''; }
  /** PyTorch's module repr: the class name with extraRepr() and the children, indented. */
  toString(): string {
    const extra = this.extraRepr();
    const kids = this.#own<Module>('module');
    if (!kids.length && !extra.includes('\n')) return `${this.constructor.name}(${extra})`;
    const lines = [...(extra ? [extra] : []), ...kids.map(([n, m]) => `(${n}): ${m.toString()}`)];
    return `${this.constructor.name}(\n  ${lines.join('\n').split('\n').join('\n  ')}\n)`;
  }
}

/** Calls m.forward(...args) (with its hooks) for a module whose forward signature is not known statically. */
export function runModule(m: Module, ...args: unknown[]): unknown { return m.runForward_(args); }

/** Adds the tensors a module tree holds in its fields (parameters, buffers, caches a forward stored). */
function heldBy(m: Module, out: Set<Tensor>, seen: Set<Module>): void {
  if (seen.has(m)) return;
  seen.add(m);
  const open = (v: object): Iterable<unknown> | null => { if (!(v instanceof Module)) return null; heldBy(v, out, seen); return []; };
  for (const v of Object.values(m)) collectTensors(v, out, isTensor, open);
}

/** @internal A float formatted as Python's repr (1.0, 0.1, 1e-05), for PyTorch-identical module reprs. */
export function pyFloat(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const ax = Math.abs(x);
  if (ax !== 0 && (ax < 1e-4 || ax >= 1e16)) {
    const [m, e] = x.toExponential().split('e') as [string, string];
    const exp = Number(e);
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const s = String(x);
  return s.includes('.') || s.includes('e') ? s : `${s}.0`;
}

type Grads = (Tensor | null)[];
/** Gradients handed to user hooks belong to the user: the backward pass must not free them. */
const handOut = (gs: Grads): Grads => { for (const g of gs) if (g) escapeFromBackward(g); return gs; };
const packWithNull = (indices: number[], values: Grads, size: number): Grads => {
  const res: Grads = new Array<Tensor | null>(size).fill(null);
  indices.forEach((idx, i) => { res[idx] = values[i] ?? null; });
  return res;
};

/** An identity autograd Function whose backward hands the incoming gradients to onBackward. */
function identityWithBackward(onBackward: (grads: Grads) => Grads): typeof AutogradFunction {
  return class extends AutogradFunction {
    static override forward(_ctx: FunctionCtx, ...xs: Tensor[]): Tensor[] { return xs; }
    static override backward(_ctx: FunctionCtx, ...grads: Tensor[]): Grads { return onBackward(grads); }
  };
}

/** namedParameters/namedBuffers options from PyTorch's positional form (prefix, recurse, removeDuplicate) or an object. */
function memberOpts(opts: string | { prefix?: string; recurse?: boolean; removeDuplicate?: boolean }, recurse?: boolean, removeDuplicate?: boolean): { prefix?: string; recurse?: boolean; removeDuplicate?: boolean } {
  if (typeof opts !== 'string') return opts;
  return { prefix: opts, ...(recurse === undefined ? {} : { recurse }), ...(removeDuplicate === undefined ? {} : { removeDuplicate }) };
}

/**
 * One forward call's backward hooks (PyTorch's torch.utils.hooks.BackwardHook): an identity Function
 * on the outputs captures gradOutput (running pre-hooks), one on the inputs runs the hooks with both.
 */
class BackwardHookCall {
  private gradOutputs: Grads | null = null;
  private nInputs = -1;
  /** Positions of the tensor arguments, or null when none needs a gradient (no input-side node). */
  private inputIdx: number[] | null = null;
  private inputZeros: Grads = [];
  constructor(private readonly module: Module, private readonly hooks: FullBackwardHook[], private readonly preHooks: FullBackwardPreHook[]) {}

  setupInput(args: unknown[]): unknown[] {
    this.nInputs = args.length;
    const idx: number[] = [];
    args.forEach((a, i) => { if (a instanceof Tensor) idx.push(i); });
    const tensors = idx.map((i) => args[i] as Tensor);
    if (this.hooks.length === 0 || !tensors.some((t) => t.requiresGrad)) return args;
    this.inputIdx = idx;
    // Only tensors that need a grad go through the Function (others must stay grad-free); the hooks
    // see zeros for the rest, as PyTorch 1.13's materialized non-differentiable outputs.
    const diff = tensors.filter((t) => t.requiresGrad);
    this.inputZeros = tensors.map((t) => (t.requiresGrad ? null : keep(zerosLike(t)))); // for the hooks, later
    const outs = identityWithBackward((grads) => this.onInputGrads(grads)).apply<Tensor[]>(...diff);
    const res = [...args];
    let k = 0;
    for (const i of idx) if ((args[i] as Tensor).requiresGrad) res[i] = outs[k++]!;
    return res;
  }

  private onInputGrads(diffGrads: Grads): Grads {
    if (this.gradOutputs === null) return diffGrads; // reached without passing through the outputs (double backward)
    const idx = this.inputIdx!;
    let k = 0;
    const perTensor = this.inputZeros.map((z) => z ?? diffGrads[k++] ?? null);
    let res = packWithNull(idx, perTensor, this.nInputs);
    for (const h of this.hooks) {
      const gi = handOut(res), go = handOut(this.gradOutputs);
      const out = userCode(() => h(this.module, gi, go));
      if (out === undefined || out === null) continue;
      if (out.length !== res.length) throw new Error(`Backward hook returned an invalid number of grad_input, got ${out.length}, but expected ${res.length}`);
      res = out;
    }
    this.gradOutputs = null;
    return idx.filter((_, j) => this.inputZeros[j] === null).map((i) => res[i] ?? null);
  }

  setupOutput(out: unknown): unknown {
    const isArray = Array.isArray(out);
    const args: unknown[] = isArray ? out : [out];
    const idx: number[] = [];
    args.forEach((a, i) => { if (a instanceof Tensor && a.requiresGrad) idx.push(i); });
    if (idx.length === 0) return out;
    // Tensor outputs that need no grad show zeros in gradOutput (PyTorch 1.13 materializes them).
    const zeroOuts = args.map((a) => (a instanceof Tensor && !a.requiresGrad ? keep(zerosLike(a)) : null)); // for the hooks, later
    const nOutputs = args.length;
    const outs = identityWithBackward((grads) => this.onOutputGrads(grads, idx, nOutputs, zeroOuts)).apply<Tensor[]>(...idx.map((i) => args[i] as Tensor));
    const res = [...args];
    idx.forEach((i, k) => { res[i] = outs[k]!; });
    return isArray ? res : res[0];
  }

  /** Output-side backward: runs the pre-hooks, keeps gradOutput for the input side (or runs the hooks now). */
  private onOutputGrads(grads: Grads, idx: number[], nOutputs: number, zeroOuts: Grads): Grads {
    let g = packWithNull(idx, grads, nOutputs).map((x, i) => zeroOuts[i] ?? x);
    for (const h of this.preHooks) {
      const go = handOut(g);
      const r = userCode(() => h(this.module, go));
      if (r === undefined || r === null) continue;
      if (r.length !== g.length) throw new Error(`Backward pre hook returned an invalid number of grad_output, got ${r.length}, but expected ${g.length}`);
      g = r;
    }
    // Kept for the input-side hooks, which run after the engine would have freed these.
    this.gradOutputs = this.hooks.length > 0 ? handOut(g) : g;
    if (this.inputIdx === null) {
      // No input needs a gradient: the hooks run now, with gradInput all null.
      const gradInputs: Grads = new Array<Tensor | null>(this.nInputs).fill(null);
      for (const h of this.hooks) {
        const go = handOut(g);
        const r = userCode(() => h(this.module, gradInputs, go));
        if (r !== undefined && r !== null && !r.every((x) => x === null)) {
          throw new Error('Backward hook for Modules where no input requires gradient should always return None or None for all gradients.');
        }
      }
      this.gradOutputs = null;
    }
    return idx.map((i) => g[i] ?? null);
  }
}

hintSnakeCase(Module);
// A subclass without forward (or a ModuleList) called like a model: PyTorch's error rather than
// JavaScript's "forward is not a function". Not part of Module's type: subclasses declare their own.
Object.defineProperty(Module.prototype, 'forward', {
  value: function (this: Module): never { throw new Error(`Module [${this.constructor.name}] is missing the required "forward" function`); },
  writable: true, configurable: true, enumerable: false,
});
