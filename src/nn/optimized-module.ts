// torch.compile(module): an OptimizedModule that holds the original as its child `_orig_mod` (so it
// shares its parameters and buffers, and its state_dict keys carry PyTorch's `_orig_mod.` prefix)
// and whose forward is the original's forward compiled (src/compile/compile.ts). As PyTorch's
// __getattr__, what the wrapper lacks (the original's fields and its own methods) reads through to
// the original: non-enumerable accessors, so they never register as the wrapper's children.

import { Module, runModule } from './module.js';
import { compileFunction, type CompileOptions, type CompileInfo } from '../compile/compile.js';

/** The forward signature of a module type (any arguments when it declares none). */
export type ForwardOf<M> = M extends { forward: infer F extends (...args: never[]) => unknown } ? F : (...args: unknown[]) => unknown;

/** torch.compile(module)'s type: the wrapper, plus the original's own fields and methods read through it. */
export type CompiledModule<M extends Module> = OptimizedModule<M> & Omit<M, keyof OptimizedModule<M>>;

/** What torch.compile returns for a module (PyTorch's torch._dynamo.eval_frame.OptimizedModule). */
export class OptimizedModule<M extends Module = Module> extends Module {
  /** The module that was compiled (PyTorch's `_orig_mod`). */
  readonly _orig_mod: M;
  /** Runs the compiled forward, with the original's signature (its hooks run inside it, as in PyTorch). */
  readonly forward: ForwardOf<M> & { readonly compileInfo: CompileInfo };
  constructor(mod: M, opts: CompileOptions = {}) {
    super();
    this._orig_mod = mod;
    const compiled = compileFunction(function (...args: unknown[]) { return runModule(mod, ...args); }, opts, mod);
    this.forward = compiled as unknown as ForwardOf<M> & { readonly compileInfo: CompileInfo };
    const orig = mod as unknown as Record<string, unknown>;
    for (let p: object | null = mod; p && p !== Module.prototype && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
      const isMethodHolder = p !== mod;
      for (const k of Object.getOwnPropertyNames(p)) {
        if (k === 'constructor' || k in this) continue;
        Object.defineProperty(this, k, {
          configurable: true, enumerable: false,
          // Methods are the original's bound to it (PyTorch returns the original's bound method).
          get: () => { const v = orig[k]; return isMethodHolder && typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(mod) : v; },
          set: (v: unknown) => { orig[k] = v; },
        });
      }
    }
  }
  /** The original module (alias of `_orig_mod`). */
  get origMod(): M { return this._orig_mod; }
  override toString(): string { return `OptimizedModule(${this._orig_mod.toString()})`; }
}
