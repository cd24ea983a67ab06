// Tensor memory without ceremony (see ARCHITECTURE.md "Memory"). Contract: a Storage wraps one
// backend buffer shared by a tensor and its views, and is freed when its last tensor is disposed or
// collected. Tensors with a known owner are freed deterministically: temporaries of a module forward
// or an op scope when it returns, tensors the autograd graph saved when the graph is released.
// The rest (what user code held) is reclaimed by the garbage collector, driven by byte accounting.

import type { Backend, BufferHandle, Device } from './backends/backend.js';
import type { Tensor } from './tensor.js';
import { fmtShape } from './shape.js';
import { VBuf } from './compile/vbuf.js';

// ------------------------------------------------------------------ accounting and reclaiming

/** Per-device bytes held by live storages, and the level at which the next reclaim runs. */
interface Account { bytes: number; storages: number; tensors: number; threshold: number; storageThreshold: number }
const accounts = new Map<Device, Account>();
/**
 * How much a device's live bytes may grow past what survived the last reclaim before the next one:
 * at least this much (a full GC costs milliseconds), else as much as survived (the heap may double).
 */
const DEFAULT_FLOOR = 8 * 2 ** 20, DEFAULT_STORAGE_FLOOR = 4096;
let reclaimFloor = DEFAULT_FLOOR;
/** Likewise in buffers: many small ones cost the backend (GPU buffer objects) more than their bytes say. */
let storageFloor = DEFAULT_STORAGE_FLOOR;
/**
 * The floors' multiplier. A loop of large top-level ops (a hand-written update of big tensors, no
 * tidy) reached the 8 MiB floor every few ops and spent ~10x its compute in forced full GCs; so when
 * a reclaim's GC took more than a quarter of the time since the previous one, the floors double (up
 * to MAX_FLOOR_SCALE), and they halve back once GCs are under 5% of the time. Explicit floors
 * (setReclaimFloor other than the defaults: tests) stay fixed.
 */
let floorScale = 1, adaptiveFloor = true, lastReclaimEnd = -Infinity;
const MAX_FLOOR_SCALE = 16;
function account(d: Device): Account {
  let a = accounts.get(d);
  if (!a) { a = { bytes: 0, storages: 0, tensors: 0, threshold: reclaimFloor, storageThreshold: storageFloor }; accounts.set(d, a); }
  return a;
}

/** An environment variable, or undefined where there is none or reading it is not allowed (Deno without --allow-env). */
export function envVar(name: string): string | undefined {
  try {
    return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
  } catch {
    return undefined;
  }
}

/**
 * What the runtime lets us do synchronously: force a full GC, and run the finalizers it queued
 * (`cleanupSome`). Node gives both through node:v8/node:vm (read with getBuiltinModule, so nothing
 * is imported; cleanupSome exists up to V8 12); Bun has Bun.gc; elsewhere a `gc` global if exposed.
 * Without sync cleanup the finalizers run at the next macrotask, which torchlet's awaits provide.
 */
interface RuntimeGc { gc: (() => void) | null; Registry: typeof FinalizationRegistry | null }
function runtimeGc(): RuntimeGc {
  const g = globalThis as {
    gc?: () => void; Bun?: { gc(force: boolean): void };
    process?: { versions?: { node?: string; v8?: string; bun?: string }; getBuiltinModule?: (id: string) => unknown };
  };
  const Registry = typeof FinalizationRegistry !== 'undefined' ? FinalizationRegistry : null;
  const proc = g.process;
  if (envVar('TORCHLET_GC') === 'off') return { gc: null, Registry };
  if (g.Bun) return { gc: () => g.Bun!.gc(true), Registry };
  if (typeof g.gc === 'function') return { gc: g.gc, Registry };
  if (!proc?.versions?.node || proc.versions.bun || typeof proc.getBuiltinModule !== 'function') return { gc: null, Registry };
  try {
    const v8 = proc.getBuiltinModule('node:v8') as { setFlagsFromString(f: string): void };
    const vm = proc.getBuiltinModule('node:vm') as { runInNewContext(code: string): unknown };
    v8.setFlagsFromString('--expose-gc');
    const v8Major = Number(proc.versions.v8?.split('.')[0] ?? 99);
    // The flag only exists in V8 <= 12 (the cleanupSome proposal was withdrawn); a context created
    // after it is set has FinalizationRegistry.prototype.cleanupSome.
    if (v8Major <= 12) v8.setFlagsFromString('--harmony-weak-refs-with-cleanup-some');
    const ctx = vm.runInNewContext('({ gc: typeof gc === "function" ? gc : null, R: FinalizationRegistry })') as { gc: (() => void) | null; R: typeof FinalizationRegistry };
    return { gc: ctx.gc, Registry: ctx.R };
  } catch {
    return { gc: null, Registry };
  }
}

/** What a finalizer needs once a tensor object was collected without dispose(): its storage (and creation site when debugging). */
type Held = Storage | { storage: Storage; site: string };
let rt: RuntimeGc | null = null;
let registry: (FinalizationRegistry<Held> & { cleanupSome?: () => void }) | null | undefined;
function getRegistry() {
  if (registry === undefined) {
    rt = runtimeGc();
    registry = rt.Registry ? new rt.Registry<Held>((h) => released(h)) : null;
  }
  return registry;
}
function released(h: Held): void {
  if (h instanceof Storage) forget(h, null);
  else forget(h.storage, h.site);
}
/** One tensor's share of a storage goes: accounting, census, then the storage reference. */
function forget(storage: Storage, site: string | null): void {
  storage.account.tensors--;
  if (site) censusAdd(site, -1, -storage.bytes);
  storage.release();
}

/** True while finalizers may be waiting for a macrotask: the next torchlet await yields one. */
let yieldPending = false;
/** Reclaims garbage tensors now if the runtime allows it; otherwise arranges it for the next await. */
export function reclaim(): void {
  getRegistry();
  const t0 = performance.now();
  rt?.gc?.();
  if (registry?.cleanupSome) registry.cleanupSome();
  else yieldPending = true;
  const t1 = performance.now();
  if (adaptiveFloor && rt?.gc) {
    const gcMs = t1 - t0, between = t0 - lastReclaimEnd;
    if (gcMs > 0.25 * between) floorScale = Math.min(MAX_FLOOR_SCALE, floorScale * 2);
    else if (gcMs < 0.05 * between) floorScale = Math.max(1, floorScale / 2);
  }
  lastReclaimEnd = t1;
  resetThresholds();
}
/** The next reclaim runs once live bytes (or buffers) grow past today's by as much again, or the floor. */
function resetThresholds(): void {
  for (const a of accounts.values()) {
    a.threshold = a.bytes + Math.max(reclaimFloor * floorScale, a.bytes);
    a.storageThreshold = a.storages + Math.max(storageFloor * floorScale, a.storages);
  }
}
/** Called at torchlet's await points (reads, data loading): lets queued finalizers run. */
export function yieldToFinalizers(): Promise<void> | null {
  if (!yieldPending) return null;
  yieldPending = false;
  return new Promise<void>((r) => setTimeout(r, 0)).then(resetThresholds); // measured after the finalizers ran
}
/** Sets the least growth of live bytes and buffers that triggers a reclaim (tests). Returns the old values. */
export function setReclaimFloor(bytes: number, buffers = storageFloor): [number, number] {
  const old: [number, number] = [reclaimFloor, storageFloor];
  reclaimFloor = bytes;
  storageFloor = buffers;
  adaptiveFloor = bytes === DEFAULT_FLOOR && buffers === DEFAULT_STORAGE_FLOOR;
  floorScale = 1;
  resetThresholds();
  return old;
}

/**
 * Allocates through the backend, reclaiming garbage first when the device's live bytes passed the
 * threshold, and once more before giving up on an out-of-memory error.
 */
export function allocate(backend: Backend, nbytes: number): BufferHandle {
  const a = account(backend.device);
  if (a.bytes + nbytes > a.threshold || a.storages >= a.storageThreshold) reclaim();
  try {
    return backend.alloc(nbytes);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    reclaim();
    try { return backend.alloc(nbytes); } catch (e2) {
      throw new RangeError(`${(e2 as Error).message}; ${a.tensors} tensors hold ${a.bytes} bytes on ${backend.device}` +
        ` (torch.memoryCensus() after torch.setMemoryDebug(true) lists where they were created)`);
    }
  }
}

/** The Storage of a real buffer, for buffers a captured graph reaches (src/compile/capture.ts). */
const owners = new WeakMap<BufferHandle, Storage>();
/** @internal The Storage that owns a real buffer (a graph holds the externs it reads through it). */
export function storageOf(buf: BufferHandle): Storage | undefined { return owners.get(buf); }

/**
 * @internal Gives a storage made on a virtual buffer the real buffer computed for it (graph
 * capture's materialisation, src/compile/lazy.ts): its tensors then read and free real memory.
 */
export function materialize(s: Storage, buf: BufferHandle, backend: Backend): void {
  s.buf = buf;
  s.backend = backend;
  owners.set(buf, s);
}

export class Storage {
  refs = 0;
  version = 0;
  freed = false;
  /** @internal its device's account (kept here: no map lookup per tensor). */
  readonly account: Account;
  /**
   * `buf` and `backend` change only when graph capture materialises a virtual buffer
   * (src/compile/lazy.ts, capture.ts): the tensors made while capturing then own the real buffer.
   */
  constructor(public backend: Backend, public buf: BufferHandle, readonly bytes = 0) {
    this.account = account(backend.device);
    this.account.bytes += bytes;
    this.account.storages++;
    if (buf instanceof VBuf) buf.storage = this;
    else owners.set(buf, this);
  }
  retain(): void { this.refs++; }
  release(): void {
    if (--this.refs > 0 || this.freed) return;
    this.freed = true;
    this.account.bytes -= this.bytes;
    this.account.storages--;
    this.backend.free(this.buf);
  }
}

// ------------------------------------------------------------------ tensor lifetime

/**
 * Registers a tensor with (new) storage: accounting, census and, unless `inScope` is false, the
 * innermost scope. The GC backstop (the finalizer) waits until the tensor leaves the scopes alive
 * (toCollector): most tensors made inside a scope are freed when it returns or by the graph, and a
 * FinalizationRegistry cell per tensor costs a register, an unregister and slower minor GCs.
 */
export function adopt(t: Tensor, inScope = true): void {
  const storage = t.storage;
  storage.account.tensors++;
  if (debug) {
    const site = creationSite();
    censusAdd(site, 1, storage.bytes);
    t.site = site;
  }
  if (inScope) track(t);
  else toCollector(t);
}

/** From now on only dispose() or the garbage collector frees t: register its finalizer (once). */
function toCollector(t: Tensor): void {
  if (t.gcRegistered || t.disposed) return;
  t.gcRegistered = true;
  const storage = t.storage;
  (registry ?? getRegistry())?.register(t, t.site ? { storage, site: t.site } : storage, t);
}

/** Releases a tensor's storage reference now (dispose, scopes, the graph); `why` is kept for the error a later use raises. Idempotent. */
export function release(t: Tensor, why: string): void {
  if (t.disposed) return;
  t.disposed = true;
  t.releasedBy = why;
  if (t.gcRegistered) { t.gcRegistered = false; registry?.unregister(t); }
  forget(t.storage, t.site);
}

/** The error for using a released tensor: which tensor, what made it, and what released it. */
export function releasedError(t: Tensor): Error {
  const op = t.op ?? t.gradFn_?.name.replace(/Backward\d*$/, '') ?? null;
  const made = op && t.inModule ? `${op} in ${t.inModule}` : op ?? t.inModule;
  return new Error(`use of a released tensor: shape ${fmtShape(t.shape)}, dtype ${t.dtype}, device ${t.device}` +
    `${made ? `, made by ${made}` : ''}${t.site ? ` at ${t.site}` : ''}; it was ${t.releasedBy ?? 'disposed'}`);
}

// ---- autograd ownership: tensors only the graph holds are freed when it releases them ----

/** A backward node saved t. */
export function holdSaved(t: Tensor): void { t.savedBy++; }
/** A backward node dropped t; the graph frees it if it owned it. */
export function dropSaved(t: Tensor): void {
  if (--t.savedBy === 0 && t.graphOwned) release(t, 'saved by the autograd graph, and freed when backward released the graph');
}
/** t is held by the autograd graph only (nobody else saw it). */
export function giveToGraph(t: Tensor): void {
  if (t.savedBy > 0) toGraph(t);
  else release(t, 'an unused temporary of the autograd graph');
}

/** Only the graph holds t now; if the graph itself is dropped unreleased, the collector frees t. */
function toGraph(t: Tensor): void {
  t.graphOwned = true;
  toCollector(t);
}

// ------------------------------------------------------------------ scopes

/**
 * The public op running now (the outermost one, set by the API boundary) and the innermost module
 * forward: new tensors record both, for error messages.
 */
export const opContext: { name: string | null; module: string | null } = { name: null, module: null };

// One stack for every open scope: a scope is the region above its mark. Tensors that survive a scope
// are left in (or put back into) the region of the scope around it, so no scope allocates unless
// it has something to sort out.
const created: Tensor[] = [];
let depth = 0;

/** Called for every new tensor, and for survivors handed on: the innermost scope owns it, else the collector. */
export function track(t: Tensor): void {
  if (depth > 0) created.push(t);
  else toCollector(t);
}

/** Drops the stack above `mark` at top level: those tensors go to the collector. */
function dropToCollector(mark: number): void {
  for (let i = mark; i < created.length; i++) toCollector(created[i]!);
  created.length = mark;
}

/** Runs fn as a scope: what it creates is pushed above the caller's mark (dropped if fn throws at the top level). */
function enter<T>(fn: () => T): T {
  const mark = created.length;
  depth++;
  try {
    return fn();
  } catch (e) {
    if (depth === 1) dropToCollector(mark); // nothing encloses it: the tensors go to the collector
    throw e;
  } finally {
    depth--;
  }
}

/**
 * @internal Runs fn in a scope of its own and returns the tensors it created, disposing none: the
 * caller (the autograd engine) decides, and must release each or hand it on with track().
 */
export function collectCreated<T>(fn: () => T): [T, Tensor[]] {
  const mark = created.length;
  const r = enter(fn);
  return [r, created.splice(mark)];
}

/**
 * Runs user code that torchlet calls back from inside its scopes (module and tensor hooks) as the
 * user's own top-level code: what it creates belongs to no scope, so the garbage collector (or
 * dispose) frees it, and a hook may keep what it makes (`feats.x = out.detach()`, `g.clone()`).
 */
export function userCode<T>(fn: () => T): T {
  const d = depth, { name, module } = opContext;
  depth = 0;
  opContext.name = null;
  opContext.module = null;
  try {
    return fn();
  } finally {
    depth = d;
    opContext.name = name;
    opContext.module = module;
  }
}

/** Exempts a tensor from disposal by the enclosing scopes. */
export function keep<T extends Tensor>(t: T): T {
  t.kept = true;
  return t;
}

/** Adds every tensor found in x (arrays, Maps, objects' own fields; `extra` may open objects its own way) to out. */
export function collectTensors(x: unknown, out: Set<Tensor>, isTensor: (v: unknown) => v is Tensor,
  extra?: (v: object) => Iterable<unknown> | null, depth = 0): void {
  if (depth > 8 || x === null || typeof x !== 'object') return;
  if (isTensor(x)) { out.add(x); return; }
  const more = (v: unknown) => collectTensors(v, out, isTensor, extra, depth + 1);
  if (Array.isArray(x)) { for (const v of x) more(v); return; }
  if (x instanceof Map) { for (const v of x.values()) more(v); return; }
  if (Object.getPrototypeOf(x) === Object.prototype) { for (const v of Object.values(x)) more(v); return; }
  if (ArrayBuffer.isView(x) || x instanceof ArrayBuffer || x instanceof Promise) return;
  // Other objects (e.g. a PackedSequence) are searched through their own fields, unless `extra` opens them.
  const vals = extra?.(x);
  for (const v of vals ?? Object.values(x)) more(v);
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
  collectTensors(result, returned, isTensor);
  for (const t of scope) {
    if (returned.has(t)) { track(t); continue; }
    if (!t.kept) release(t, 'disposed at the end of the torch.tidy scope that created it');
    else toCollector(t);
  }
  return result;
}

/**
 * The implicit scope of a module forward or a composite op (`what` names it): what fn created and
 * nobody outside can see — not returned, not found by `held` (e.g. stored on the module), not kept —
 * is freed when fn returns, or handed to the autograd graph when a backward node saved it. An async
 * fn's tensors go to the enclosing scope untouched (a scope cannot span an await).
 */
export function ownedScope<T>(fn: () => T, what: string, isTensor: (v: unknown) => v is Tensor,
  held?: (out: Set<Tensor>) => void): T {
  const mark = created.length;
  return closeScope(mark, enter(fn), what, isTensor, held);
}

/** The end of an owned scope opened at `mark` (depth already back to the caller's): sorts out what it made. */
function closeScope<T>(mark: number, result: T, what: string, isTensor: (v: unknown) => v is Tensor,
  held?: (out: Set<Tensor>) => void): T {
  const n = created.length - mark;
  // Fast paths: nothing made, or a primitive op that made only its result (it stays in the stack,
  // i.e. with the enclosing scope).
  if (n === 0 || (n === 1 && created[mark] === result)) {
    if (depth === 0) dropToCollector(mark);
    return result;
  }
  const scope = created.splice(mark);
  if (result instanceof Promise) { for (const t of scope) track(t); return result; }
  const keepSet = new Set<Tensor>();
  collectTensors(result, keepSet, isTensor);
  if (keepSet.size < scope.length) {
    held?.(keepSet);
    // Latest first: a temporary's node that no backward can reach any more is released, which
    // may make the nodes of earlier temporaries unreachable in turn.
    for (let i = scope.length - 1; i >= 0; i--) {
      const t = scope[i]!;
      if (t.disposed || keepSet.has(t) || t.kept) continue;
      const node = t.gradFn_;
      if (node && node.edgeRefs === 0 && node.holders === 1 && node.nOutputs === 1) node.release();
      if (t.savedBy > 0) toGraph(t);
      else release(t, `a temporary of ${what}, freed when it returned (nothing outside it held the tensor; return it, store it on the module or torch.keep() it to keep it)`);
    }
  }
  for (const t of scope) if (!t.disposed && !t.graphOwned) track(t);
  return result;
}

/**
 * Runs a public op (from the API boundary, src/args.ts) in an owned scope named after it; the
 * outermost op's name is what its tensors record as their maker.
 */
export function opScope<R>(fn: (...a: never[]) => R, self: unknown, args: never[], name: string,
  isTensor: (v: unknown) => v is Tensor): R {
  const outermost = opContext.name === null;
  if (outermost) opContext.name = name;
  // enter() and ownedScope() written out: this runs for every public op, and a closure over
  // fn/self/args per call showed in the profile.
  const mark = created.length;
  depth++;
  let result: R;
  try {
    result = fn.apply(self, args);
  } catch (e) {
    if (depth === 1) dropToCollector(mark);
    throw e;
  } finally {
    depth--;
    if (outermost) opContext.name = null;
  }
  return closeScope(mark, result, name, isTensor);
}

/** Runs a module's forward (named `what`) in its owned scope; ops inside it are named afresh. */
export function forwardScope<R>(fn: () => R, what: string, isTensor: (v: unknown) => v is Tensor, held: (out: Set<Tensor>) => void): R {
  const { name, module } = opContext;
  opContext.name = null;
  opContext.module = what;
  try {
    return ownedScope(fn, what, isTensor, held);
  } finally {
    opContext.name = name;
    opContext.module = module;
  }
}

// ------------------------------------------------------------------ debugging: the leak census

let debug = envVar('TORCHLET_MEMORY_DEBUG') === '1';
const census = new Map<string, { tensors: number; bytes: number }>();
function censusAdd(site: string, n: number, bytes: number): void {
  const c = census.get(site) ?? { tensors: 0, bytes: 0 };
  c.tensors += n;
  c.bytes += bytes;
  if (c.tensors === 0) census.delete(site); else census.set(site, c);
}
// Frames inside torchlet itself are skipped: the census names the user's line.
const ownFile = /\(?((?:file:\/\/)?[^\s()]+?):\d+:\d+\)?$/.exec(new Error().stack?.split('\n')[1] ?? '')?.[1] ?? '';
const ownPrefix = ownFile.includes('/src/') ? ownFile.slice(0, ownFile.lastIndexOf('/src/') + 5) : ownFile;
function creationSite(): string { return userFrames(1)[0] ?? '<unknown>'; }
/**
 * The calling stack's frames outside torchlet (and outside node internals and node_modules), innermost
 * first, at most `max`: the user's lines (the memory census, anomaly detection's forward traces).
 */
export function userFrames(max = Infinity): string[] {
  const E = Error as { stackTraceLimit?: number };
  const limit = E.stackTraceLimit;
  E.stackTraceLimit = 64;
  const lines = new Error().stack?.split('\n').slice(1) ?? [];
  E.stackTraceLimit = limit;
  const out: string[] = [];
  for (const l of lines) {
    if (out.length >= max) break;
    if (ownPrefix && l.includes(ownPrefix)) continue;
    if (l.includes('node:internal') || l.includes('/node_modules/')) continue;
    out.push(l.trim().replace(/^at /, ''));
  }
  return out;
}

/** Turns creation-site recording on or off (also `TORCHLET_MEMORY_DEBUG=1`). */
export function setMemoryDebug(on: boolean): void { debug = on; }
/** Live tensors (not yet freed) grouped by the line of user code that created them, most bytes first. */
export function memoryCensus(): { site: string; tensors: number; bytes: number }[] {
  return [...census].map(([site, c]) => ({ site, ...c })).sort((a, b) => b.bytes - a.bytes);
}
/** Live tensors, storages and bytes per device as torchlet counts them. */
export function liveCounts(device: Device): { tensors: number; storages: number; bytes: number } {
  const a = account(device);
  return { tensors: a.tensors, storages: a.storages, bytes: a.bytes };
}
