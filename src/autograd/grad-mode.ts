// Grad mode: whether ops record the autograd graph. noGrad/enableGrad run a function with the
// mode set and restore it afterwards, also when fn throws or returns a Promise.

import { state } from '../state.js';

export function isGradEnabled(): boolean { return state.gradEnabled; }
export function setGradEnabled(on: boolean): void { state.gradEnabled = on; }

function withGrad<T>(on: boolean, fn: () => T): T {
  const prev = state.gradEnabled;
  state.gradEnabled = on;
  let result: T;
  try { result = fn(); } catch (e) { state.gradEnabled = prev; throw e; }
  if (result instanceof Promise) {
    // An async fn keeps the mode until it settles (ops awaited in between see it too).
    return result.finally(() => { state.gradEnabled = prev; }) as T;
  }
  state.gradEnabled = prev;
  return result;
}

/** Runs fn without recording gradients; returns fn's result. */
export function noGrad<T>(fn: () => T): T { return withGrad(false, fn); }
/** Runs fn with gradient recording on (inside a noGrad block, say). */
export function enableGrad<T>(fn: () => T): T { return withGrad(true, fn); }
