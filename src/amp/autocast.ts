// torch.autocast: mixed precision by op lists, as PyTorch's Autocast dispatch key does it. Inside a
// region enabled for a device type, an op of a list below runs on casts of its floating inputs on that
// device type: 'lower' ops (matmul, conv, linear...) in float16, 'fp32' ops (softmax, norms, losses,
// exp/log/pow, reductions...) in float32, 'promote' ops (cat, stack, addcmul...) in the widest input
// dtype. Casts are differentiable (gradients reach float32 parameters in float32), float64 tensors are
// never cast, and ops called inside a listed op are not autocast again (PyTorch excludes the key there).
// The one hook: `autocastOp` wraps a listed op where the namespace modules export it (ops/index.ts,
// nn/functional/index.ts), through which Tensor methods, layers and torch.* all dispatch.

import { deviceType as typeOf, type Device, type DeviceType } from '../backends/backend.js';
import { isFloating, promoteTypes, type DType } from '../dtype.js';
import { giveToGraph, keep } from '../memory.js';
import { isCapturing } from '../backends/registry.js';
import { state } from '../state.js';
import { Tensor } from '../tensor.js';
import { castTo } from '../ops/elementwise.js';

/**
 * How an op runs under autocast: 'lower' casts floating inputs to the region's dtype, 'fp32' to
 * float32, 'fp32OptDtype' to float32 unless a `dtype` option is given (sum, softmax...), 'promote'
 * to the widest floating input dtype, 'banned' throws.
 */
export type AutocastPolicy = 'lower' | 'fp32' | 'fp32OptDtype' | 'promote' | 'banned';

/** Options of torch.autocast (PyTorch's keywords in camelCase). */
export interface AutocastOptions {
  /** The device type whose tensors the region casts: 'cpu', 'webgpu' or 'cuda' (a device such as 'cuda:1' stands for its type). */
  deviceType: DeviceType | Device;
  /** The lower-precision dtype of the 'lower' op list; 'float16' (torchlet has no bfloat16). */
  dtype?: DType;
  /** Whether the region autocasts (false: a region that turns autocast off). Default true. */
  enabled?: boolean;
  /** Whether casts of float32 leaf tensors that require grad (parameters) are cached inside the region. Default true. */
  cacheEnabled?: boolean;
}

interface DeviceState { enabled: boolean; dtype: DType }
const DEVICE_TYPES: readonly DeviceType[] = ['cpu', 'webgpu', 'cuda'];
const OPTION_KEYS = ['deviceType', 'dtype', 'enabled', 'cacheEnabled'];
const devState: Record<DeviceType, DeviceState> = {
  cpu: { enabled: false, dtype: 'float16' }, webgpu: { enabled: false, dtype: 'float16' }, cuda: { enabled: false, dtype: 'float16' },
};
let enabledCount = 0; // device types with autocast on: the wrapper's fast path is one comparison
let nesting = 0; // open autocast regions (any device type); the cache is cleared when the last closes
let cacheEnabled = true;
let cache = new Map<Tensor, Tensor>();
let suspended = 0; // > 0 while a listed op runs: its inner ops see the key excluded

function setEnabled(d: DeviceType, on: boolean): void {
  if (devState[d].enabled !== on) enabledCount += on ? 1 : -1;
  devState[d].enabled = on;
}

/** Whether autocast is on for tensors of `deviceType` (torch.is_autocast_enabled); default 'cuda' as in PyTorch. */
export function isAutocastEnabled(deviceType: DeviceType | Device = 'cuda'): boolean {
  return devState[checkDeviceType('isAutocastEnabled', deviceType)].enabled;
}

/** The device type named by d ('cuda:1' -> 'cuda': autocast state is per type, as PyTorch's). */
/** @internal The device type named by a device string (cuda:N -> cuda); a TypeError for anything else. */
export function checkDeviceType(op: string, d: unknown): DeviceType {
  const t = typeof d === 'string' && /^cuda:\d+$/.test(d) ? 'cuda' : d;
  if (!DEVICE_TYPES.includes(t as DeviceType)) {
    throw new TypeError(`${op}: expected deviceType to be one of 'cpu', 'webgpu' or 'cuda', got ${typeof d === 'string' ? `'${d}'` : String(d)}`);
  }
  return t as DeviceType;
}

/** An open autocast region; dispose() (or `using`) closes it and restores the previous state. */
export class AutocastGuard implements Disposable {
  #prev: { d: DeviceType; state: DeviceState; cache: boolean } | null;
  /** @internal */
  constructor(opts: AutocastOptions) {
    if (opts === null || typeof opts !== 'object') throw new TypeError(`autocast: expected an options object { deviceType, dtype, enabled, cacheEnabled }, got ${String(opts)}`);
    for (const k of Object.keys(opts)) {
      if (!OPTION_KEYS.includes(k)) throw new TypeError(`autocast: unknown option '${k}'; accepted options: ${OPTION_KEYS.join(', ')}`);
    }
    const d = checkDeviceType('autocast', opts.deviceType);
    const dtype = opts.dtype ?? 'float16';
    const enabled = opts.enabled ?? true;
    if (typeof enabled !== 'boolean') throw new TypeError(`autocast: enabled must be a boolean, got ${typeof enabled}`);
    if (enabled && dtype !== 'float16') {
      // PyTorch warns and disables; a silent fallback would hide the mistake, so this is an error.
      throw new TypeError(`autocast: in ${d} autocast the target dtype must be float16 (torchlet has no bfloat16), got ${dtype}`);
    }
    this.#prev = { d, state: { ...devState[d] }, cache: cacheEnabled };
    setEnabled(d, enabled);
    devState[d].dtype = dtype;
    nesting++;
    cacheEnabled = opts.cacheEnabled ?? cacheEnabled;
  }
  /** Closes the region: the previous autocast state comes back; the cast cache is cleared when the outermost region closes. Idempotent. */
  dispose(): void {
    const p = this.#prev;
    if (p === null) return;
    this.#prev = null;
    if (--nesting === 0) clearAutocastCache();
    setEnabled(p.d, p.state.enabled);
    devState[p.d].dtype = p.state.dtype;
    cacheEnabled = p.cache;
  }
  /** Closes the region (for `using`). */
  [Symbol.dispose](): void { this.dispose(); }
}

/** torch.autocast's keywords after the positional device type: `torch.autocast('cuda', { dtype })`. */
export type AutocastRegionOptions = Omit<AutocastOptions, 'deviceType'>;

/**
 * Mixed precision for the ops of PyTorch's autocast lists on tensors of `deviceType` (torch.autocast).
 * As PyTorch, the device type comes first: `autocast('cuda', { dtype }, fn)` or `autocast('cuda', fn)`;
 * all options in one object work too: `autocast({ deviceType, dtype }, fn)`. With fn, runs it in the
 * region and returns its result (a Promise keeps the region open until it settles); without,
 * `using _ = torch.autocast('cuda')` opens it until the block ends.
 */
export function autocast<T>(deviceType: DeviceType | Device, opts: AutocastRegionOptions, fn: () => T): T;
export function autocast<T>(deviceType: DeviceType | Device, fn: () => T): T;
export function autocast(deviceType: DeviceType | Device, opts?: AutocastRegionOptions): AutocastGuard;
export function autocast<T>(opts: AutocastOptions, fn: () => T): T;
export function autocast(opts: AutocastOptions): AutocastGuard;
export function autocast<T>(first: DeviceType | Device | AutocastOptions, second?: AutocastRegionOptions | (() => T) | null, third?: () => T): T | AutocastGuard {
  let opts: AutocastOptions, fn: (() => T) | undefined;
  if (typeof first === 'string') {
    if (typeof second === 'object' && second !== null && 'deviceType' in second) throw new TypeError(`autocast: the device type was given twice ('${first}' and option deviceType)`);
    opts = { ...(typeof second === 'object' && second !== null ? second : {}), deviceType: first };
    fn = typeof second === 'function' ? second : third;
  } else {
    if (third !== undefined) throw new TypeError('autocast: expected (deviceType, options?, fn?) or (options, fn?), got an options object and 3 arguments');
    opts = first;
    fn = typeof second === 'function' ? second : undefined;
    if (second !== undefined && typeof second !== 'function') throw new TypeError(`autocast: after an options object, expected a function, got ${second === null ? 'null' : typeof second}`);
  }
  const guard = new AutocastGuard(opts);
  if (fn === undefined) return guard;
  let result: T;
  try { result = fn(); } catch (e) { guard.dispose(); throw e; }
  if (result instanceof Promise) return result.finally(() => guard.dispose()) as T;
  guard.dispose();
  return result;
}

/** @internal Every device type's autocast state (checkpoint recomputes under the forward's). */
export function autocastState(): AutocastOptions[] {
  return DEVICE_TYPES.map((d) => ({ deviceType: d, enabled: devState[d].enabled, dtype: devState[d].dtype }));
}
/** @internal Runs fn with the autocast state a previous autocastState() saw, then restores the current one. */
export function withAutocastState<T>(saved: readonly AutocastOptions[], fn: () => T): T {
  const guards: AutocastGuard[] = [];
  try {
    for (const s of saved) guards.push(new AutocastGuard(s));
    return fn();
  } finally {
    for (const g of guards.reverse()) g.dispose();
  }
}

/** @internal The autocast state as a string, for torch.compile's guards ('' when off everywhere). */
export function autocastStateKey(): string {
  return enabledCount === 0 ? '' : DEVICE_TYPES.filter((d) => devState[d].enabled).map((d) => `${d}:${devState[d].dtype}`).join(',');
}

/** Drops the cached casts of parameters (torch.clear_autocast_cache); the outermost region's end does it. */
export function clearAutocastCache(): void {
  // Nobody outside saw a cached cast: it lives on only while a backward node saves it (then the graph
  // frees it when backward releases the node), else it is freed now — no wait for the collector.
  const casts = cache;
  cache = new Map();
  for (const c of casts.values()) {
    c.kept = false;
    if (!c.isDisposed) giveToGraph(c);
  }
}

/** The first tensor among the arguments (inside arrays and plain option objects too). */
function firstTensor(args: readonly unknown[]): Tensor | null {
  for (const a of args) {
    if (a instanceof Tensor) return a;
    if (Array.isArray(a)) { const t = firstTensor(a); if (t) return t; }
  }
  return null;
}

/** A copy of args with f applied to every tensor (positional, in arrays, and in plain option objects). */
function mapTensors(args: readonly unknown[], f: (t: Tensor) => Tensor, depth = 0): unknown[] {
  return args.map((a) => {
    if (a instanceof Tensor) return f(a);
    if (Array.isArray(a)) return depth < 2 ? mapTensors(a, f, depth + 1) : a;
    if (a !== null && typeof a === 'object' && Object.getPrototypeOf(a) === Object.prototype) {
      const o = a as Record<string, unknown>;
      if (!Object.values(o).some((v) => v instanceof Tensor)) return a;
      return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v instanceof Tensor ? f(v) : v]));
    }
    return a;
  });
}

/** Every tensor among the arguments. */
function forTensors(args: readonly unknown[], f: (t: Tensor) => void): void { mapTensors(args, (t) => { f(t); return t; }); }

/** Floating, not float64, on the region's device type: the tensors autocast may cast. */
const eligible = (t: Tensor, d: DeviceType): boolean => typeOf(t.device) === d && isFloating(t.dtype) && t.dtype !== 'float64';

function cachedCast(t: Tensor, to: DType): Tensor {
  // PyTorch caches only float32 leaves that require grad (parameters), cast down. Not under no-grad
  // (a cast without a graph, reused later with grad on, would cut the parameter off its gradient),
  // nor while a graph is captured (torch.compile): that cast is a virtual value eager code cannot use.
  if (!(cacheEnabled && to !== 'float32' && t.dtype === 'float32' && t.requiresGrad && t.isLeaf && state.gradEnabled) || isCapturing()) {
    return castTo(t, to);
  }
  let c = cache.get(t);
  if (c === undefined || c.isDisposed) { c = keep(castTo(t, to)); cache.set(t, c); }
  return c;
}

const BANNED: Record<string, string> = {
  binaryCrossEntropy: 'torch.nn.functional.binary_cross_entropy and torch.nn.BCELoss are unsafe to autocast.\n' +
    'Many models use a sigmoid layer right before the binary cross entropy layer.\n' +
    'In this case, combine the two layers using torch.nn.functional.binary_cross_entropy_with_logits\n' +
    'or torch.nn.BCEWithLogitsLoss.  binary_cross_entropy_with_logits and BCEWithLogits are\n' +
    'safe to autocast.',
};

/** The arguments an op of `policy` runs on inside an autocast region for device type d. */
function castArgs(name: string, policy: AutocastPolicy, args: unknown[], d: DeviceType): unknown[] {
  switch (policy) {
    case 'banned': throw new Error(`${name}: ${BANNED[name] ?? 'unsafe to autocast'}`);
    case 'lower': {
      const to = devState[d].dtype;
      return mapTensors(args, (t) => (eligible(t, d) && t.dtype !== to ? cachedCast(t, to) : t));
    }
    case 'fp32OptDtype': {
      // An explicit dtype option wins (PyTorch's set_opt_dtype); else the op runs in float32.
      const last = args[args.length - 1];
      if (last !== null && typeof last === 'object' && !(last instanceof Tensor) && (last as { dtype?: unknown }).dtype !== undefined) return args;
      const first = firstTensor(args);
      if (first === null || !eligible(first, d)) return args;
      return mapTensors(args, (t) => (t === first && t.dtype !== 'float32' ? castTo(t, 'float32') : t));
    }
    case 'fp32':
      return mapTensors(args, (t) => (eligible(t, d) && t.dtype !== 'float32' ? castTo(t, 'float32') : t));
    case 'promote': {
      let to = devState[d].dtype;
      forTensors(args, (t) => { if (eligible(t, d)) to = promoteTypes(to, t.dtype); });
      return mapTensors(args, (t) => (eligible(t, d) && t.dtype !== to ? castTo(t, to) : t));
    }
  }
}

/**
 * @internal The op `mod[name]` with autocast's `policy` applied (read from `mod` at call time, so the
 * wrapper may be made while its module is still evaluating). Outside autocast it costs one comparison.
 */
export function autocastOp<M extends object, K extends keyof M & string>(mod: M, name: K, policy: AutocastPolicy): M[K] {
  const wrapped = function (this: unknown): unknown {
    const fn = mod[name] as unknown as (...a: unknown[]) => unknown;
    // `arguments` passed straight on: no array is made on the common path (autocast off).
    if (enabledCount === 0 || suspended > 0) return fn.apply(this, arguments as unknown as unknown[]);
    const args = Array.from(arguments as ArrayLike<unknown>);
    const t = firstTensor(args);
    if (t === null || !devState[typeOf(t.device)].enabled) return fn.apply(this, args);
    const cast = castArgs(name, policy, args, typeOf(t.device));
    suspended++;
    try { return fn.apply(this, cast); } finally { suspended--; }
  };
  Object.defineProperty(wrapped, 'name', { value: name });
  return wrapped as M[K];
}
