// Poison: how the asynchronous backends (WebGPU, CUDA) keep data-dependent kernel errors with the
// tensors they concern. A checked dispatch (index range, integer division by zero) owns a Check: a slot of the flag buffer
// that its kernel sets, with the offending value, when it meets bad data; the slot is read back
// later (each backend decides when). Buffers carry the Checks they depend on as a Taint: a flat set,
// kept small (clean checks dropped, nothing after the earliest flagged one), so a dispatch costs
// O(checks pending) however long the run. A read waits for its buffer's Checks and throws the first set.

/** Check states: its flags have not been read back yet, it found nothing, it flagged a value. */
export const PENDING = 0, CLEAN = 1, BAD = 2;
/** Check.slot before its first dispatch, and once its slot was copied out for reading back. */
export const UNSLOTTED = -1, SENT = -2;

/** Bumped whenever checks resolve: a Taint compacted in this epoch is up to date. */
let epoch = 0;
let nextSeq = 0;

/** One checked dispatch: its message (`$V` = the offending value) and where user code called the op. */
export class Check {
  state = PENDING;
  value = 0;
  /** Resolves once the flags holding this check are read back (set when its slot is sent). */
  done: Promise<void> | null = null;
  /** Its word pair [flag, value] in the device's flag buffer while not yet sent; UNSLOTTED or SENT otherwise. */
  slot = UNSLOTTED;
  readonly seq = nextSeq++;
  /**
   * The call stack, formatted at once: an Error whose stack is not formatted yet keeps the frames'
   * receivers alive (tensors among them), and checks live as long as the buffers they taint.
   */
  readonly stack: string;
  /** `device` names where the check ran in the error ('webgpu', 'cuda', 'cuda:1'). */
  constructor(readonly message: string, readonly device = 'webgpu') { this.stack = captureSite().stack ?? ''; }

  /** Message and full call stack: two checks with equal keys would report the same error. */
  get key(): string { return `${this.message}\n${this.stack}`; }

  /** The error a read of a poisoned tensor throws: the op's message with the value, and its call site. */
  error(): RangeError {
    const msg = this.message.replace('$V', String(this.value));
    const at = describeSite(this.stack);
    return new RangeError(at ? `${msg} (flagged on ${this.device} by ${at})` : `${msg} (flagged on ${this.device})`);
  }
}

/**
 * Marks checks resolved from the flag words read back: check i's words are [2i, 2i + 1] (flag, value).
 * Without words (the readback failed: device lost) nothing is known; the device error surfaces instead.
 */
export function settle(checks: readonly Check[], words: Int32Array | null): void {
  checks.forEach((c, i) => {
    if (words && words[2 * i] !== 0) { c.state = BAD; c.value = words[2 * i + 1]!; } else c.state = CLEAN;
  });
  epoch++;
}

/**
 * The checks a buffer depends on, sorted by creation (seq), without duplicates. Immutable in
 * meaning; compaction (once per epoch) drops clean checks and everything after the earliest flagged
 * one, which alone decides the verdict. Never empty while live: `join` returns null instead.
 */
export class Taint {
  private at = -1;
  private constructor(private checks: Check[]) {}

  /** Checks still in it (pending, or the one flagged): the bookkeeping tests bound this. */
  get size(): number { this.isLive(); return this.checks.length; }

  /** Still poisoned (a check pending or bad)? Compacts once per epoch. */
  isLive(): boolean {
    if (this.at === epoch) return this.checks.length > 0;
    this.at = epoch;
    const cs = this.checks;
    let n = 0;
    for (const c of cs) if (c.state !== CLEAN) { cs[n++] = c; if (c.state === BAD) break; }
    cs.length = n; // in place: the array is this taint's own
    return n > 0;
  }

  /** The earliest flagged check known now (pending ones are not waited for), or null. */
  knownBad(): Check | null {
    if (!this.isLive()) return null;
    const last = this.checks[this.checks.length - 1]!;
    return last.state === BAD ? last : null; // compaction ends the list at the earliest flagged check
  }

  /**
   * Waits for every pending check, then returns the earliest flagged one, or null. `send` submits
   * checks whose slots were not sent for reading back yet (the backend holds them back while its
   * readbacks are outstanding); without it such a check is an error, never a silent pass.
   */
  async verdict(send?: () => void): Promise<Check | null> {
    for (let sent = false; ;) {
      if (!this.isLive()) return null;
      const pending = new Set<Promise<void>>();
      let unsent = false;
      for (const c of this.checks) if (c.state === PENDING) { if (c.done) pending.add(c.done); else unsent = true; }
      if (unsent) {
        if (!send || sent) throw new Error('a device check was never submitted for reading back (internal error)');
        send(); sent = true; continue;
      }
      if (pending.size === 0) return this.knownBad();
      await Promise.all(pending);
    }
  }

  /** The union of two live taints: one of them when it already holds the other's checks. */
  static union(a: Taint, b: Taint): Taint {
    const x = a.checks, y = b.checks;
    if (y.length === 1 && x.includes(y[0]!)) return a;
    if (x.length === 1 && y.includes(x[0]!)) return b;
    const out: Check[] = [];
    let i = 0, j = 0;
    while (i < x.length || j < y.length) {
      const c = j >= y.length || (i < x.length && x[i]!.seq <= y[j]!.seq) ? x[i++]! : y[j++]!;
      if (out[out.length - 1] !== c) out.push(c);
    }
    if (out.length === x.length) return a;
    if (out.length === y.length) return b;
    return new Taint(out);
  }

  /** A taint of one check. */
  static of(check: Check): Taint { return new Taint([check]); }
}

/**
 * The union of `taints` (live ones) plus `check` (unless it resolved clean): null when there is
 * nothing, one of the inputs when it holds everything (no allocation), else a new set.
 */
export function join(taints: readonly (Taint | null | undefined)[], check: Check | null): Taint | null {
  let acc: Taint | null = null;
  for (const t of taints) {
    if (!t || t === acc || !t.isLive()) continue;
    acc = acc ? Taint.union(acc, t) : t;
  }
  if (check && check.state !== CLEAN) acc = acc ? Taint.union(acc, Taint.of(check)) : Taint.of(check);
  return acc;
}

// ---- call sites ----

/**
 * Frames deep enough to get past the library's own frames (module wrappers, scopes, argument checks)
 * to the user's call. Capture and formatting cost about 2 us per frame in V8, paid by new checks only.
 */
const SITE_FRAMES = 32;

function captureSite(): Error {
  const E = Error as { stackTraceLimit?: number };
  const limit = E.stackTraceLimit;
  E.stackTraceLimit = SITE_FRAMES;
  try { return new Error(); } finally { E.stackTraceLimit = limit; }
}

/** A V8 (`at fn (file:1:2)`) or SpiderMonkey/JSC (`fn@file:1:2`) frame: function name and location. */
function parseFrame(line: string): { fn: string; loc: string; file: string } | null {
  const m = /^\s*at (?:(.*?) \()?(.*?):(\d+):(\d+)\)?$/.exec(line) ?? /^(.*?)@(.*?):(\d+):(\d+)$/.exec(line);
  if (!m) return null;
  const file = m[2]!.replace(/^async /, '');
  return { fn: (m[1] ?? '').replace(/^async /, ''), loc: `${file}:${m[3]}:${m[4]}`, file };
}

/**
 * The library's own files: this module's folder minus `backends/` when run from source,
 * or the bundle file itself. Frames outside it are user code.
 */
const LIBRARY = (() => {
  const lines = (new Error().stack ?? '').split('\n');
  for (const l of lines) {
    const f = parseFrame(l);
    if (f) return f.file.replace(/backends\/poison\.[jt]s$/, '');
  }
  return null;
})();

/** Library files whose functions wrap ops without being one (scopes, argument checks, module calls). */
const PLUMBING = /(?:^|\/)(?:memory|args|state)\.[jt]s$|\/nn\/module\.[jt]s$|\/autograd\//;

/**
 * "op called at file:line:col": the outermost named library function that is an op (plumbing and
 * private helpers left out, so `Embedding.forward`, `crossEntropy`, `Tensor.indexSelect`) and the
 * first user frame calling it. Best effort in a bundle, where every frame is in one file.
 */
function describeSite(stack: string): string | null {
  if (!LIBRARY) return null;
  let op = '';
  for (const line of stack.split('\n')) {
    const f = parseFrame(line);
    if (!f) continue;
    if (f.file.startsWith(LIBRARY)) {
      if (f.fn && !f.fn.includes('#') && !f.fn.includes('<anonymous>') && !PLUMBING.test(f.file)) op = f.fn.replace(/^(Module|Object)\./, '');
      continue;
    }
    if (f.file.startsWith('node:') || f.file.startsWith('internal/')) continue;
    return `${op ? `${op} ` : ''}called at ${f.loc}`;
  }
  return null;
}
