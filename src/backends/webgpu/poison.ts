// Poison: how the WebGPU backend keeps data-dependent kernel errors with the tensors they concern.
// A checked dispatch (index range, integer division by zero) owns a Check: a slot of the flag buffer
// that its kernel sets, with the offending value, when it meets bad data; the slot is read back
// after the batch runs. Buffers carry the Checks they depend on as a Taint (a DAG, compacted as
// checks resolve clean); a read waits for its buffer's Checks and throws the first one set.

/** Check states: its batch has not been read back yet, it found nothing, it flagged a value. */
export const PENDING = 0, CLEAN = 1, BAD = 2;

/** Bumped whenever checks resolve: a Taint compacted in this epoch is up to date. */
let epoch = 0;
let nextSeq = 0;

/** One checked dispatch: its message (`$V` = the offending value) and where user code called the op. */
export class Check {
  state = PENDING;
  value = 0;
  /** Resolves once the flags of the batch holding this check are read back (set at submit). */
  done: Promise<void> | null = null;
  readonly seq = nextSeq++;
  readonly site: Error;
  constructor(readonly message: string) { this.site = captureSite(); }

  /** The error a read of a poisoned tensor throws: the op's message with the value, and its call site. */
  error(): RangeError {
    const msg = this.message.replace('$V', String(this.value));
    const at = describeSite(this.site.stack ?? '');
    return new RangeError(at ? `${msg} (flagged on webgpu by ${at})` : `${msg} (flagged on webgpu)`);
  }
}

/** Marks the checks of one batch resolved, from its [flag, value] words. */
export function settle(checks: readonly Check[], words: Int32Array | null): void {
  checks.forEach((c, i) => {
    // Without words (the readback failed: device lost) nothing is known; the device error surfaces instead.
    if (words && words[2 * i] !== 0) { c.state = BAD; c.value = words[2 * i + 1]!; } else c.state = CLEAN;
  });
  epoch++;
}

/**
 * The checks a buffer depends on: its own, and its parents' (the taints of what it was computed
 * from). `live` is false once every check in it resolved clean; compaction drops such parts.
 */
export class Taint {
  live = true;
  private at = epoch;
  constructor(public checks: Check[], public parents: Taint[]) {}

  /** Still poisoned (a check pending or bad)? Drops clean checks and dead parents, once per epoch. */
  isLive(): boolean {
    if (this.at === epoch) return this.live;
    // Iterative post-order: chains grow one node per training step, too deep for recursion.
    const stack: Taint[] = [this];
    while (stack.length) {
      const n = stack[stack.length - 1]!;
      if (n.at === epoch) { stack.pop(); continue; }
      let waiting = false;
      for (const p of n.parents) if (p.at !== epoch) { stack.push(p); waiting = true; }
      if (waiting) continue;
      stack.pop();
      n.checks = n.checks.filter((c) => c.state !== CLEAN);
      n.parents = n.parents.filter((p) => p.live);
      n.live = n.checks.length > 0 || n.parents.length > 0;
      n.at = epoch;
    }
    return this.live;
  }

  /** Every check reachable from here (after compaction, only pending or bad ones remain). */
  each(fn: (c: Check) => void): void {
    const seen = new Set<Taint>([this]), stack: Taint[] = [this];
    while (stack.length) {
      const n = stack.pop()!;
      n.checks.forEach(fn);
      for (const p of n.parents) if (!seen.has(p)) { seen.add(p); stack.push(p); }
    }
  }

  /** The earliest flagged check known now (pending ones are not waited for), or null. */
  knownBad(): Check | null {
    if (!this.isLive()) return null;
    let bad: Check | null = null;
    this.each((c) => { if (c.state === BAD && (!bad || c.seq < bad.seq)) bad = c; });
    return bad;
  }

  /** Waits for every pending check, then returns the earliest flagged one, or null. */
  async verdict(): Promise<Check | null> {
    for (;;) {
      if (!this.isLive()) return null;
      const pending = new Set<Promise<void>>();
      this.each((c) => { if (c.state === PENDING && c.done) pending.add(c.done); });
      if (pending.size === 0) return this.knownBad();
      await Promise.all(pending);
    }
  }
}

/**
 * The union of `taints` (live ones, deduplicated) plus `check`: null when there is nothing, the one
 * taint itself when there is one and no check (no allocation), else a new node.
 */
export function join(taints: readonly (Taint | null | undefined)[], check: Check | null): Taint | null {
  let parents: Taint[] | null = null, one: Taint | null = null;
  for (const t of taints) {
    if (!t || t === one || !t.isLive()) continue;
    if (!one) { one = t; continue; }
    parents ??= [one];
    if (!parents.includes(t)) parents.push(t);
  }
  if (!check) return parents ? new Taint([], parents) : one;
  return new Taint([check], parents ?? (one ? [one] : []));
}

// ---- call sites ----

/**
 * Frames deep enough to get past the library's own frames (module wrappers, scopes, argument checks)
 * to the user's call. Capture costs about 1 us per frame in V8, paid only by checked dispatches.
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
 * The library's own files: this module's folder minus `backends/webgpu/` when run from source,
 * or the bundle file itself. Frames outside it are user code.
 */
const LIBRARY = (() => {
  const lines = (new Error().stack ?? '').split('\n');
  for (const l of lines) {
    const f = parseFrame(l);
    if (f) return f.file.replace(/backends\/webgpu\/poison\.[jt]s$/, '');
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
