// Storage lifetime: reference-counted buffers freed by dispose(), by torch.tidy scopes, or by the
// garbage collector (FinalizationRegistry) as a backstop. A Storage is shared by a tensor and all
// its views; its version counter is bumped by in-place ops and checked by autograd.

import type { Backend, BufferHandle } from './backends/backend.js';
import type { Tensor } from './tensor.js';

interface Held { backend: Backend; buf: BufferHandle }
const registry = typeof FinalizationRegistry !== 'undefined'
  ? new FinalizationRegistry<Held>((h) => h.backend.free(h.buf)) : null;

export class Storage {
  refs = 0;
  version = 0;
  freed = false;
  constructor(readonly backend: Backend, readonly buf: BufferHandle) {
    registry?.register(this, { backend, buf }, this);
  }
  retain(): void { this.refs++; }
  release(): void {
    if (--this.refs > 0 || this.freed) return;
    this.freed = true;
    registry?.unregister(this);
    this.backend.free(this.buf);
  }
}

// ---- tidy scopes ----
const scopes: Tensor[][] = [];

/** Called for every new tensor: the innermost tidy scope owns it. */
export function track(t: Tensor): void {
  const s = scopes[scopes.length - 1];
  if (s) s.push(t);
}

/**
 * @internal Runs fn in a scope of its own and returns the tensors it created, disposing none: the
 * caller (the autograd engine) decides, and hands survivors to the enclosing scope with track().
 */
export function collectCreated<T>(fn: () => T): [T, Tensor[]] {
  const scope: Tensor[] = [];
  scopes.push(scope);
  try {
    return [fn(), scope];
  } finally {
    scopes.pop();
  }
}

/** Exempts a tensor from disposal by the enclosing tidy scopes. */
export function keep<T extends Tensor>(t: T): T {
  t.kept = true;
  return t;
}

function collect(x: unknown, out: Set<Tensor>, isTensor: (v: unknown) => v is Tensor, depth = 0): void {
  if (depth > 8 || x === null || typeof x !== 'object') return;
  if (isTensor(x)) { out.add(x); return; }
  if (Array.isArray(x)) { for (const v of x) collect(v, out, isTensor, depth + 1); return; }
  if (x instanceof Map) { for (const v of x.values()) collect(v, out, isTensor, depth + 1); return; }
  if (Object.getPrototypeOf(x) === Object.prototype) for (const v of Object.values(x)) collect(v, out, isTensor, depth + 1);
}

/**
 * Runs fn and disposes every tensor created inside it, except the tensors it returns (found in
 * arrays and plain objects), tensors marked with keep(), and gradients stored in `.grad`.
 * Returned tensors move to the enclosing scope. An async fn is rejected: scopes cannot span awaits.
 */
export function tidyImpl<T>(fn: () => T, isTensor: (v: unknown) => v is Tensor): T {
  const [result, scope] = collectCreated(fn);
  if (result instanceof Promise) throw new TypeError('tidy: fn must be synchronous (it returned a Promise)');
  const returned = new Set<Tensor>();
  collect(result, returned, isTensor);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (returned.has(t)) { parent?.push(t); continue; }
    if (!t.kept) t.dispose();
  }
  return result;
}
