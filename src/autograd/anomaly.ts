// Anomaly detection (torch.autograd.detect_anomaly / set_detect_anomaly). While it is on, every
// autograd node records the user's stack at its forward call, and the engine checks each backward
// function's results for NaN: PyTorch's "Function 'MulBackward0' returned nan values in its 0th
// output." plus the forward call site, which any other error of a backward function also gets.
// Off (the default) it costs one boolean test per node.
// Synchronous devices raise at once; asynchronous ones (WebGPU) check on the device and poison the
// gradient, so the error surfaces when anything computed from it is read.

import type { Tensor } from '../tensor.js';
import type { Node } from './graph.js';
import { state } from '../state.js';
import { getBackend } from '../backends/registry.js';

/** Options of detectAnomaly / setDetectAnomaly. */
export interface AnomalyOptions {
  /** Check the results of every backward function for NaN (default true). */
  checkNan?: boolean;
}

/** The previous anomaly mode, restored (once) by dispose: the `with` block of PyTorch's context managers. */
export class AnomalyModeGuard implements Disposable {
  #prev: [boolean, boolean] | null;
  /** @internal */
  constructor(on: boolean, checkNan: boolean) {
    this.#prev = [state.anomaly, state.anomalyCheckNan];
    state.anomaly = on;
    state.anomalyCheckNan = checkNan;
  }
  /** Restores the anomaly mode that was current when the guard was made. Idempotent. */
  dispose(): void {
    if (this.#prev === null) return;
    [state.anomaly, state.anomalyCheckNan] = this.#prev;
    this.#prev = null;
  }
  /** Restores the previous anomaly mode (for `using`). */
  [Symbol.dispose](): void { this.dispose(); }
}

function runWith<T>(guard: AnomalyModeGuard, fn: () => T): T {
  let result: T;
  try { result = fn(); } catch (e) { guard.dispose(); throw e; }
  if (result instanceof Promise) return result.finally(() => guard.dispose()) as T;
  guard.dispose();
  return result;
}

/**
 * Turns anomaly detection on: `using _ = torch.autograd.detectAnomaly()` (PyTorch's
 * `with torch.autograd.detect_anomaly():`) or `detectAnomaly(() => { ... })` (returns fn's result;
 * the previous mode is restored afterwards, also when fn throws or its Promise settles).
 */
export function detectAnomaly<T>(fn: () => T, opts?: AnomalyOptions): T;
export function detectAnomaly(opts?: AnomalyOptions): AnomalyModeGuard;
export function detectAnomaly<T>(a?: (() => T) | AnomalyOptions, b?: AnomalyOptions): T | AnomalyModeGuard {
  const fn = typeof a === 'function' ? a : undefined;
  const opts = (typeof a === 'function' ? b : a) ?? {};
  const guard = new AnomalyModeGuard(true, opts.checkNan ?? true);
  return fn ? runWith(guard, fn) : guard;
}

/**
 * Sets anomaly detection on or off now (torch.autograd.set_detect_anomaly); the returned guard
 * restores the previous mode when disposed (`using _ = setDetectAnomaly(true)`). With fn, only fn
 * runs in that mode.
 */
export function setDetectAnomaly<T>(mode: boolean, fn: () => T, opts?: AnomalyOptions): T;
export function setDetectAnomaly(mode: boolean, opts?: AnomalyOptions): AnomalyModeGuard;
export function setDetectAnomaly<T>(mode: boolean, a?: (() => T) | AnomalyOptions, b?: AnomalyOptions): T | AnomalyModeGuard {
  if (typeof mode !== 'boolean') throw new TypeError(`setDetectAnomaly: mode must be a boolean, got ${typeof mode}`);
  const fn = typeof a === 'function' ? a : undefined;
  const opts = (typeof a === 'function' ? b : a) ?? {};
  const guard = new AnomalyModeGuard(mode, opts.checkNan ?? true);
  return fn ? runWith(guard, fn) : guard;
}

/** Whether anomaly detection is on (torch.is_anomaly_enabled). */
export function isAnomalyEnabled(): boolean { return state.anomaly; }
/** Whether anomaly detection checks backward results for NaN (torch.is_anomaly_check_nan_enabled). */
export function isAnomalyCheckNanEnabled(): boolean { return state.anomaly && state.anomalyCheckNan; }

const TRACE_HEAD = 'Traceback of forward call that caused the error';
/** What anomaly mode adds to a backward error of node: its name and the forward call site, when recorded. */
function traceText(node: Node): string {
  if (!node.trace) return '';
  return `\nError detected in ${node.backwardName}. ${TRACE_HEAD}:\n    ${node.trace.length ? node.trace.join('\n    ') : '<no frame outside torchlet>'}`;
}
/** The error text for a NaN in output i of node's backward, with the forward call site when recorded. */
function nanMessage(node: Node, i: number): string {
  return `Function '${node.backwardName}' returned nan values in its ${i}th output.${traceText(node)}`;
}

/**
 * @internal The engine's call of node.apply while anomaly detection is on: any error the backward
 * function raises gets the forward call site appended (once, for the innermost node), and with
 * checkNan its results are checked for NaN.
 */
export function applyWithAnomaly(node: Node, grads: (Tensor | null)[]): (Tensor | null)[] {
  let res: (Tensor | null)[];
  try {
    res = node.apply(grads);
  } catch (e) {
    if (e instanceof Error && node.trace && !e.message.includes(TRACE_HEAD)) e.message += traceText(node);
    throw e;
  }
  return state.anomalyCheckNan ? checkBackwardNan(node, res) : res;
}

/**
 * @internal Run by the engine on a backward function's results while anomaly detection checks NaN:
 * throws on synchronous devices; on asynchronous ones returns the results made dependent on a
 * device check, so reading anything computed from a NaN gradient throws the same message.
 */
export function checkBackwardNan(node: Node, grads: (Tensor | null)[]): (Tensor | null)[] {
  return grads.map((g, i) => {
    if (!g || !g.isFloatingPoint() || g.numel() === 0) return g;
    const flag = g.isnan().any();
    if (g.storage.backend.synchronous) {
      const bad = flag.itemSync() as boolean;
      flag.dispose();
      if (bad) throw new Error(nanMessage(node, i));
      return g;
    }
    const f = flag.to('int32');
    getBackend(f.device).checkRange(f.view_(), 0, 0, nanMessage(node, i)); // ops' checkRange, without importing ops here (a cycle)
    return g.add(f.mul(0)); // the same values, now computed from the checked flag
  });
}
