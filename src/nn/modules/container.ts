// Containers: Sequential (children '0','1',... or named via an object), ModuleList and ModuleDict.
// Children are plain module fields, so `seq[0]`, `list[2]` and `dict.get('fc')` reach them and
// stateDict keys come out as PyTorch's ('0.weight', 'layers.2.bias').

import type { Tensor } from '../../tensor.js';
import { Module, runModule } from '../module.js';

function index(i: number, n: number, what: string): number {
  if (!Number.isInteger(i) || i < -n || i >= n) throw new RangeError(`${what}: index ${i} is out of range`);
  return i < 0 ? i + n : i;
}
function checkModule(m: unknown, what: string): Module {
  if (!(m instanceof Module)) throw new TypeError(`${what}: ${(m as object)?.constructor?.name ?? typeof m} is not a Module subclass`);
  return m;
}

/** Runs its children in order: `new nn.Sequential(a, b)` or `new nn.Sequential({ conv: a, act: b })`. */
export class Sequential extends Module {
  readonly [index: number]: Module;
  constructor(...mods: Module[] | [Record<string, Module>]) {
    super();
    const first = mods[0];
    if (mods.length === 1 && first && !(first instanceof Module)) {
      for (const [k, m] of Object.entries(first)) this.registerModule(k, checkModule(m, 'Sequential'));
    } else {
      (mods as Module[]).forEach((m, i) => this.registerModule(String(i), checkModule(m, 'Sequential')));
    }
  }
  /** Passes the input through each child in order, the output of one being the input of the next. */
  forward(input: Tensor): Tensor {
    let x: unknown = input;
    for (const [, m] of this.ownModules_()) x = runModule(m, x);
    return x as Tensor;
  }
  /** The number of children. */
  get length(): number { return this.ownModules_().length; }
  /** The i-th child (negative counts from the end). */
  get(i: number): Module { const ms = this.ownModules_(); return ms[index(i, ms.length, 'Sequential')]![1]; }
  /** Appends a module at the end. */
  append(m: Module): this { this.registerModule(String(this.length), checkModule(m, 'Sequential.append')); return this; }
  /** Appends every module of ms at the end, in order. */
  extend(ms: Iterable<Module>): this { for (const m of ms) this.append(m); return this; }
  /**
   * A new Sequential of children [start, end) (PyTorch's seq[start:end]): they keep their names, so
   * `seq.slice(1).stateDict()` has PyTorch's keys ('2.weight' stays '2.weight').
   */
  slice(start?: number, end?: number): Sequential {
    const out = new Sequential();
    for (const [name, m] of this.ownModules_().slice(start, end)) out.registerModule(name, m);
    return out;
  }
  [Symbol.iterator](): Iterator<Module> { return this.ownModules_().map(([, m]) => m)[Symbol.iterator](); }
}

/** A list of modules, registered as '0', '1', ...; it has no forward. */
export class ModuleList extends Module {
  readonly [index: number]: Module;
  constructor(mods: Iterable<Module> = []) {
    super();
    for (const m of mods) this.append(m);
  }
  /** The number of modules. */
  get length(): number { return this.ownModules_().length; }
  /** The i-th module (negative counts from the end). */
  get(i: number): Module { const ms = this.ownModules_(); return ms[index(i, ms.length, 'ModuleList')]![1]; }
  /** Replaces the i-th module (negative counts from the end). */
  set(i: number, m: Module): void { const n = this.length; this.registerModule(String(index(i, n, 'ModuleList')), checkModule(m, 'ModuleList')); }
  /** Appends a module at the end. */
  append(m: Module): this { this.registerModule(String(this.length), checkModule(m, 'ModuleList.append')); return this; }
  /** Appends every module of ms at the end, in order. */
  extend(ms: Iterable<Module>): this { for (const m of ms) this.append(m); return this; }
  /** Inserts before index i, renumbering the following modules. */
  insert(i: number, m: Module): void {
    const ms = this.ownModules_().map(([, x]) => x);
    const at = i < 0 ? Math.max(0, ms.length + i) : Math.min(i, ms.length);
    ms.splice(at, 0, checkModule(m, 'ModuleList.insert'));
    ms.forEach((x, k) => this.registerModule(String(k), x));
  }
  /** A new ModuleList of the modules [start, end) (PyTorch's list[start:end]). */
  slice(start?: number, end?: number): ModuleList { return new ModuleList(this.ownModules_().map(([, m]) => m).slice(start, end)); }
  [Symbol.iterator](): Iterator<Module> { return this.ownModules_().map(([, m]) => m)[Symbol.iterator](); }
}

/** An ordered dictionary of modules (insertion order kept). */
export class ModuleDict extends Module {
  constructor(mods: Record<string, Module> | Iterable<[string, Module]> = {}) {
    super();
    this.update(mods);
  }
  /** The module under key; throws if there is none. */
  get(key: string): Module {
    const m = this.ownModules_().find(([k]) => k === key);
    if (!m) throw new Error(`ModuleDict: no module named '${key}'`);
    return m[1];
  }
  /** Adds or replaces the module under key. */
  set(key: string, m: Module): void { this.registerModule(key, checkModule(m, 'ModuleDict')); }
  /** Whether a module is registered under key. */
  has(key: string): boolean { return this.ownModules_().some(([k]) => k === key); }
  /** Removes and returns the module under key. */
  pop(key: string): Module {
    const m = this.get(key);
    delete (this as unknown as Record<string, unknown>)[key];
    return m;
  }
  /** Adds or replaces the modules of a record or of [key, module] pairs, in order. */
  update(mods: Record<string, Module> | Iterable<[string, Module]>): void {
    const entries = Symbol.iterator in mods ? [...(mods as Iterable<[string, Module]>)] : Object.entries(mods);
    for (const [k, m] of entries) this.set(k, m);
  }
  /** The keys, in insertion order. */
  keys(): string[] { return this.ownModules_().map(([k]) => k); }
  /** The modules, in insertion order. */
  values(): Module[] { return this.ownModules_().map(([, m]) => m); }
  /** The [key, module] pairs, in insertion order. */
  items(): [string, Module][] { return this.ownModules_(); }
  /** The number of modules. */
  get length(): number { return this.ownModules_().length; }
  [Symbol.iterator](): Iterator<string> { return this.keys()[Symbol.iterator](); }
}
