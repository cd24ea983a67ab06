// Strict arguments at the public boundary: one mechanism for every public function, Tensor method,
// class constructor and class method. scripts/gen-signatures.mjs reads the TypeScript signatures and
// writes src/generated/api/*.ts, which wrap each export with its spec (positional parameters, the
// kinds each accepts, option keys); public calls then reject a wrong count, a wrong kind (a Promise
// gets "did you forget 'await'?") and unknown option keys with a TypeError naming the function.
// Internal code imports the unwrapped functions and pays nothing; the happy path allocates nothing.

import { Tensor, isTensor } from './tensor.js';
import { opScope } from './memory.js';

// Kind bits, in the order of the spec letters 'Tnbszafiopu' (see scripts/gen-signatures.mjs).
const T = 1, N = 2, B = 4, S = 8, Z = 16, A = 32, F = 64, I = 128, O = 256, P = 512, U = 1024;
const LETTERS = 'Tnbszafiopu';
const KIND_NAMES = ['Tensor', 'number', 'boolean', 'string', 'null', 'array', 'function', 'class instance', 'object', 'Promise', 'undefined'];

interface Param { name: string; kinds: number; shape: Record<string, number> | null; keys: string[] }
interface Sig { name: string; params: Param[]; rest: Param | null; min: number; max: number }

/** The kind bit of a value (exactly one). */
function kindOf(v: unknown): number {
  switch (typeof v) {
    case 'undefined': return U;
    case 'number': return N;
    case 'boolean': return B;
    case 'string': return S;
    case 'function': return F;
    case 'object': {
      if (v === null) return Z;
      if (v instanceof Tensor) return T;
      if (Array.isArray(v)) return A;
      if (typeof (v as { then?: unknown }).then === 'function') return P;
      const proto: unknown = Object.getPrototypeOf(v);
      return proto === Object.prototype || proto === null ? O : I;
    }
    default: return I;
  }
}

function parseKinds(text: string): { kinds: number; shape: Record<string, number> | null; keys: string[] } {
  const brace = text.indexOf('{');
  const letters = brace < 0 ? text : text.slice(0, brace);
  let kinds = 0;
  for (const c of letters) kinds |= 1 << LETTERS.indexOf(c);
  if (brace < 0) return { kinds, shape: null, keys: [] };
  const shape: Record<string, number> = Object.create(null) as Record<string, number>;
  const keys: string[] = [];
  for (const entry of text.slice(brace + 1, -1).split(';')) {
    const colon = entry.indexOf(':');
    const key = entry.slice(0, colon);
    keys.push(key);
    shape[key] = parseKinds(entry.slice(colon + 1)).kinds;
  }
  return { kinds: kinds | O, shape, keys };
}

/** Parses a generated spec ("a:T, b?:nu, opts?:u{alpha:nu}, ...rest:n"). */
function parseSig(name: string, spec: string): Sig {
  const params: Param[] = [];
  let rest: Param | null = null, min = 0;
  for (const part of spec ? spec.split(', ') : []) {
    const colon = part.indexOf(':');
    let pname = part.slice(0, colon);
    const isRest = pname.startsWith('...'), optional = pname.endsWith('?');
    pname = pname.replace(/^\.\.\./, '').replace(/\?$/, '');
    const p = { name: pname, ...parseKinds(part.slice(colon + 1)) };
    if (isRest) rest = p;
    else { params.push(p); if (!optional) min = params.length; }
  }
  return { name, params, rest, min, max: rest ? Infinity : params.length };
}

// ---- messages (only built on failure) ----

function describe(v: unknown): string {
  const k = kindOf(v);
  if (k === T) { const t = v as Tensor; return `Tensor (shape [${t.shape.join(', ')}], ${t.dtype})`; }
  if (k === N) return `number ${String(v)}`;
  if (k === S) return `string '${String(v)}'`;
  if (k === B || k === Z || k === U) return String(v);
  if (k === A) return 'array';
  if (k === F) {
    // A method passed where its value was meant (`loader.length` for len(loader)): say so.
    const name = (v as { name?: string }).name;
    return name ? `function '${name}' (did you forget to call it: ${name}()?)` : 'function';
  }
  if (k === P) return 'Promise';
  if (k === O) return 'plain object';
  const ctor = (v as { constructor?: { name?: string } }).constructor?.name;
  return ctor ? `${ctor} object` : typeof v;
}
function kindList(kinds: number, shape: boolean): string {
  const names: string[] = [];
  for (let i = 0; i < LETTERS.length; i++) {
    if (!(kinds & (1 << i)) || (1 << i) === U) continue;
    const n = (1 << i) === O && shape ? 'options object' : KIND_NAMES[i]!;
    if (!names.includes(n)) names.push(n);
  }
  return names.length <= 1 ? (names[0] ?? 'nothing') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}
/** An options-only slot: accepts a plain object with known keys, or nothing. */
const isOptionsSlot = (p: Param): boolean => p.shape !== null && (p.kinds & ~(O | U)) === 0;
const ordinal = (i: number): string => `position ${i + 1}`;
const positional = (s: Sig): Param[] => (s.params.length && isOptionsSlot(s.params[s.params.length - 1]!) ? s.params.slice(0, -1) : s.params);
function signature(s: Sig): string {
  const ps = s.params.map((p, i) => (i >= s.min ? `${p.name}?` : p.name));
  if (s.rest) ps.push(`...${s.rest.name}`);
  return `${s.name}(${ps.join(', ')})`;
}

function arityError(s: Sig, n: number): TypeError {
  if (n < s.min) {
    const p = s.params[n]!;
    return new TypeError(`${s.name}: missing required argument '${p.name}' (${ordinal(n)}); expected ${signature(s)}`);
  }
  const pos = positional(s);
  if (pos.length < s.params.length) {
    const opts = s.params[s.params.length - 1]!;
    return new TypeError(`${s.name}: expected at most ${pos.length} positional argument${pos.length === 1 ? '' : 's'} and an options object { ${opts.keys.join(', ')} } (got ${n} arguments); expected ${signature(s)}`);
  }
  return new TypeError(`${s.name}: expected at most ${s.max} argument${s.max === 1 ? '' : 's'} (got ${n}); expected ${signature(s)}`);
}

function argError(s: Sig, i: number, p: Param, v: unknown): TypeError {
  const k = kindOf(v);
  if (k === P) {
    return new TypeError(`${s.name}: argument '${p.name}' (${ordinal(i)}) is a Promise, expected ${kindList(p.kinds, p.shape !== null)}; did you forget an 'await'?`);
  }
  if (isOptionsSlot(p)) {
    const before = s.params.indexOf(p);
    return new TypeError(`${s.name}: expected at most ${before} positional argument${before === 1 ? '' : 's'} before the options object { ${p.keys.join(', ')} } (got ${describe(v)} at ${ordinal(i)}); expected ${signature(s)}`);
  }
  if (k === U) return new TypeError(`${s.name}: missing required argument '${p.name}' (${ordinal(i)}): expected ${kindList(p.kinds, p.shape !== null)}, got undefined`);
  // PyTorch lets any argument go by keyword (clip_grad_norm_(ps, max_norm=1.0)); here the ones
  // before the options are positional. An object naming this very parameter gets that said.
  const named = k === O && p.shape === null && Object.keys(v as object).some((key) => key.replace(/_/g, '').toLowerCase() === p.name.toLowerCase());
  const hint = named ? `; '${p.name}' is positional here: expected ${signature(s)}` : '';
  return new TypeError(`${s.name}: argument '${p.name}' (${ordinal(i)}) must be ${kindList(p.kinds, p.shape !== null)}, not ${describe(v)}${hint}`);
}

/** snake_case -> camelCase first, then a case-insensitive match, then the closest key by edit distance. */
export function didYouMean(key: string, keys: readonly string[]): string | null {
  const camel = key.replace(/_+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
  const lower = camel.toLowerCase();
  const exact = keys.find((k) => k.toLowerCase() === lower);
  if (exact) return exact;
  let best: string | null = null, bestD = Math.max(1, Math.floor(camel.length / 3)) + 1;
  for (const k of keys) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestD) { bestD = d; best = k; }
  }
  return best;
}
/** Optimal-string-alignment distance: insertions, deletions, substitutions, adjacent swaps ('bais' -> 'bias' is 1). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i]!, up = d[i - 1]!;
      row[j] = Math.min(up[j]! + 1, row[j - 1]! + 1, up[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

function optionError(s: Sig, p: Param, key: string, v: unknown, known: boolean): TypeError {
  if (!known) {
    const guess = didYouMean(key, p.keys);
    return new TypeError(`${s.name}: unknown option '${key}'${guess ? ` (did you mean '${guess}'?)` : ''}; accepted options: ${p.keys.join(', ')}`);
  }
  const kinds = p.shape![key]!;
  if (kindOf(v) === P) return new TypeError(`${s.name}: option '${key}' is a Promise, expected ${kindList(kinds, false)}; did you forget an 'await'?`);
  return new TypeError(`${s.name}: option '${key}' must be ${kindList(kinds, false)}, not ${describe(v)}`);
}

/** Checks the keys (and their values' kinds) of a plain options object. */
function checkOptions(s: Sig, p: Param, obj: Record<string, unknown>): void {
  const shape = p.shape!;
  for (const key in obj) {
    const kinds = shape[key];
    if (kinds === undefined) throw optionError(s, p, key, undefined, false);
    const v = obj[key];
    if ((kinds & kindOf(v)) === 0) throw optionError(s, p, key, v, true);
  }
}

/** Checks one argument list (an `arguments` object or an array) against a signature. */
function checkArgs(s: Sig, args: ArrayLike<unknown>): void {
  let n = args.length;
  while (n > s.max && args[n - 1] === undefined) n--;
  if (n < s.min || n > s.max) throw arityError(s, n);
  for (let i = 0; i < n; i++) {
    const p = i < s.params.length ? s.params[i]! : s.rest!;
    const v = args[i];
    const k = kindOf(v);
    if ((p.kinds & k) === 0) throw argError(s, i, p, v);
    if (k === O && p.shape !== null) checkOptions(s, p, v as Record<string, unknown>);
  }
}

const wrapped = new WeakSet<object>();

/**
 * Told of every public call (function, Tensor method, class method) while installed: `run` performs
 * the call. ONNX export's tracer (src/onnx/trace.ts) records the calls the user's code makes at this
 * boundary, where op names and arguments are the user's own. Free when none is installed.
 */
export type CallListener = (name: string, self: unknown, args: readonly unknown[], run: () => unknown) => unknown;
let callListener: CallListener | null = null;
/** Installs a call listener (null: none); returns the previous one. */
export function setCallListener(l: CallListener | null): CallListener | null { const p = callListener; callListener = l; return p; }
/**
 * Runs a public call that does not pass through a generated facade (a module's forward, from
 * Module's hook runner; nn.utils.rnn helpers) so the call listener sees it too.
 */
export function notifyCall<R>(name: string, self: unknown, args: readonly unknown[], run: () => R): R {
  return callListener === null ? run() : callListener(name, self, args, run) as R;
}
/** Ops that hand tensors to user callbacks (hooks) although no argument is a function. */
const NO_SCOPE = new Set(['Tensor.backward', 'backward']);
type AnyFn = (this: unknown, ...args: never[]) => unknown;

/** A function that checks its arguments against `spec`, then calls fn. The spec is parsed on first call. */
export function strictFunction<Fn>(fn: Fn, name: string, spec: string): Fn {
  const impl = fn as unknown as AnyFn;
  let sig: Sig | null = null;
  // Ops (namespace functions and Tensor methods) free their temporaries when they return; calls
  // that run user code (a function argument, backward's hooks) cannot know what it kept.
  let scoped: boolean | null = null;
  const isOp = !name.includes('.') || name.startsWith('Tensor.');
  const checked = function (this: unknown): unknown {
    // Inline on purpose: `arguments` stays unmaterialized (no allocation) on the happy path.
    const s = sig ?? (sig = parseSig(name, spec));
    let n = arguments.length;
    // Trailing undefined arguments count as absent (JS code forwards optional values that way).
    while (n > s.max && arguments[n - 1] === undefined) n--;
    if (n < s.min || n > s.max) throw arityError(s, n);
    for (let i = 0; i < n; i++) {
      const p = i < s.params.length ? s.params[i]! : s.rest!;
      const v: unknown = arguments[i];
      const k = kindOf(v);
      if ((p.kinds & k) === 0) throw argError(s, i, p, v);
      if (k === O && p.shape !== null) checkOptions(s, p, v as Record<string, unknown>);
    }
    scoped ??= isOp && !NO_SCOPE.has(name) && ![...s.params, ...(s.rest ? [s.rest] : [])].some((p) => (p.kinds & F) !== 0);
    if (callListener !== null) {
      const self = this, args = Array.from(arguments as ArrayLike<unknown>) as never[];
      return callListener(name, self, args, () => (scoped ? opScope(impl, self, args, name, isTensor) : impl.apply(self, args)));
    }
    if (scoped) return opScope(impl, this, arguments as unknown as never[], name, isTensor);
    return impl.apply(this, arguments as unknown as never[]);
  };
  Object.defineProperty(checked, 'name', { value: impl.name });
  Object.defineProperty(checked, 'length', { value: impl.length });
  wrapped.add(checked);
  return checked as unknown as Fn;
}

/** Wraps, in place, the public methods a class declares itself (its prototype's own functions). */
export function strictMethods(cls: { prototype: object }, className: string, specs: Record<string, string>): void {
  const proto = cls.prototype as Record<string, unknown>;
  for (const [m, spec] of Object.entries(specs)) {
    const d = Object.getOwnPropertyDescriptor(proto, m);
    if (!d || typeof d.value !== 'function' || wrapped.has(d.value as object)) continue;
    Object.defineProperty(proto, m, { ...d, value: strictFunction(d.value as AnyFn, `${className}.${m}`, spec) });
  }
}

/**
 * A class whose construction (`new C(...)`, or `super(...)` from a subclass) checks the constructor's
 * arguments, and whose own methods are checked. The Proxy keeps identity where it matters:
 * `instanceof`, prototypes and statics are the class's own, so internal `new C()` needs no proxy.
 */
export function strictClass<C extends abstract new (...args: never[]) => unknown>(cls: C, name: string, spec: string | null, methods: Record<string, string>): C {
  strictMethods(cls, name, methods);
  if (spec === null) return cls;
  let sig: Sig | null = null;
  return new Proxy(cls, {
    construct(target, args, newTarget) {
      checkArgs(sig ?? (sig = parseSig(name, spec)), args);
      return Reflect.construct(target, args, newTarget) as object;
    },
  });
}
