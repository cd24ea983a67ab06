// Grad mode: whether ops record the autograd graph. noGrad / enableGrad / inferenceMode /
// setGradEnabled take a function (run with the mode set, restored afterwards, also when fn throws
// or returns a Promise) or, without one, set the mode now and return a guard whose
// [Symbol.dispose]() restores the previous mode: `using _ = torch.noGrad()` is PyTorch's
// `with torch.no_grad():`. setGradEnabled(b) alone sets the mode globally, as in PyTorch.

import { state } from '../state.js';

/** Whether gradient recording is currently on (torch.is_grad_enabled). */
export function isGradEnabled(): boolean { return state.gradEnabled; }

/** The previous grad mode, restored (once) by dispose: the `with` block of PyTorch's context managers. */
export class GradModeGuard implements Disposable {
  #prev: boolean | null;
  /** @internal */
  constructor(on: boolean) { this.#prev = state.gradEnabled; state.gradEnabled = on; }
  /** Restores the grad mode that was current when the guard was made. Idempotent. */
  dispose(): void {
    if (this.#prev === null) return;
    state.gradEnabled = this.#prev;
    this.#prev = null;
  }
  /** Restores the previous grad mode (for `using`). */
  [Symbol.dispose](): void { this.dispose(); }
}

function withGrad<T>(on: boolean, fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError(`expected a function to run, got ${fn === null ? 'null' : typeof fn}`);
  const guard = new GradModeGuard(on);
  let result: T;
  try { result = fn(); } catch (e) { guard.dispose(); throw e; }
  if (result instanceof Promise) {
    // An async fn keeps the mode until it settles (ops awaited in between see it too).
    return result.finally(() => guard.dispose()) as T;
  }
  guard.dispose();
  return result;
}

/** Runs fn without recording gradients and returns its result; without fn, `using _ = noGrad()`. */
export function noGrad<T>(fn: () => T): T;
export function noGrad(): GradModeGuard;
export function noGrad<T>(fn?: () => T): T | GradModeGuard { return fn === undefined ? new GradModeGuard(false) : withGrad(false, fn); }

/** Runs fn with gradient recording on (inside a noGrad block, say); without fn, a guard. */
export function enableGrad<T>(fn: () => T): T;
export function enableGrad(): GradModeGuard;
export function enableGrad<T>(fn?: () => T): T | GradModeGuard { return fn === undefined ? new GradModeGuard(true) : withGrad(true, fn); }

/**
 * PyTorch's inference_mode: here the same as noGrad (no separate inference tensors).
 * `inferenceMode(fn)`, `inferenceMode(mode, fn)`, or a guard: `using _ = inferenceMode()`.
 */
export function inferenceMode<T>(fn: () => T): T;
export function inferenceMode<T>(mode: boolean, fn: () => T): T;
export function inferenceMode(mode?: boolean): GradModeGuard;
export function inferenceMode<T>(a?: boolean | (() => T), fn?: () => T): T | GradModeGuard {
  if (typeof a === 'function') return withGrad(false, a);
  const on = !(a ?? true);
  return fn === undefined ? new GradModeGuard(on) : withGrad(on, fn);
}

/**
 * Sets grad mode globally (`setGradEnabled(false)`), returning a guard that restores the previous
 * mode when disposed (`using _ = setGradEnabled(false)`); with fn, runs fn in that mode only.
 */
export function setGradEnabled<T>(mode: boolean, fn: () => T): T;
export function setGradEnabled(mode: boolean): GradModeGuard;
export function setGradEnabled<T>(mode: boolean, fn?: () => T): T | GradModeGuard {
  if (typeof mode !== 'boolean') throw new TypeError(`setGradEnabled: mode must be a boolean, got ${typeof mode}`);
  return fn === undefined ? new GradModeGuard(mode) : withGrad(mode, fn);
}
