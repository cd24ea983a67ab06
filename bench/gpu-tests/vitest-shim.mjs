// A small stand-in for 'vitest' so the test suites run where node_modules cannot travel (the GPU
// machine: bench/gpu.sh). bench/gpu-tests/bundle.mjs bundles each test file with this module in
// place of 'vitest'; the assertions are vitest's own (@vitest/expect on chai, bundled in), the
// runner is this file: describe/it/hooks and their runIf/skipIf/each/skip/only/todo forms, run in
// order, one test at a time, with per-test timeouts. Prints one line per test and exits non-zero on
// a failure. Not a general vitest replacement: what the bundled suites use, nothing more.
import {
  chai, JestExtend, JestChaiExpect, ChaiStyleAssertions, JestAsymmetricMatchers, GLOBAL_EXPECT, ASYMMETRIC_MATCHERS_OBJECT,
  getState, setState, customMatchers,
} from '@vitest/expect';
import { fn, spyOn, restoreAllMocks, resetAllMocks, clearAllMocks, isMockFunction } from '@vitest/spy';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(ChaiStyleAssertions);
chai.use(JestAsymmetricMatchers);

export const expect = (value, message) => {
  const { assertionCalls } = getState(expect);
  setState({ assertionCalls: assertionCalls + 1 }, expect);
  return chai.expect(value, message);
};
Object.assign(expect, chai.expect);
Object.assign(expect, globalThis[ASYMMETRIC_MATCHERS_OBJECT]);
expect.getState = () => getState(expect);
expect.setState = (s) => setState(s, expect);
setState({ assertionCalls: 0, isExpectingAssertions: false, expectedAssertionsNumber: null, currentTestName: '' }, expect);
globalThis[GLOBAL_EXPECT] = expect;
expect.extend = (m) => chai.expect.extend(expect, m);
expect.assert = chai.assert;
expect.soft = (...a) => expect(...a);
expect.unreachable = (msg) => chai.assert.fail(`expected${msg ? ` "${msg}" ` : ' '}not to be reached`);
expect.assertions = () => {};
expect.hasAssertions = () => {};
expect.extend(customMatchers);
export const assert = chai.assert;

export const vi = {
  fn, spyOn, restoreAllMocks, resetAllMocks, clearAllMocks, isMockFunction,
  waitFor: async (cb, o = {}) => {
    const end = Date.now() + (typeof o === 'number' ? o : o.timeout ?? 1000);
    for (;;) { try { return await cb(); } catch (e) { if (Date.now() > end) throw e; await new Promise((r) => setTimeout(r, 20)); } }
  },
};

// ---- the suite tree ----
const DEFAULT_TIMEOUT = Number(process.env.TEST_TIMEOUT_MS ?? 120_000);
const root = { name: '', children: [], beforeAll: [], afterAll: [], beforeEach: [], afterEach: [], skip: false };
let current = root;
let hasOnly = false;

const timeoutOf = (o) => (typeof o === 'number' ? o : o?.timeout ?? DEFAULT_TIMEOUT);
function addTest(name, f, opts, flags = {}) {
  if (flags.only) hasOnly = true;
  current.children.push({ kind: 'test', name, fn: f, timeout: timeoutOf(opts), skip: !!flags.skip || !f, only: !!flags.only });
}
function addSuite(name, f, flags = {}) {
  const s = { kind: 'suite', name, children: [], beforeAll: [], afterAll: [], beforeEach: [], afterEach: [], skip: !!flags.skip, parent: current };
  current.children.push(s);
  const prev = current;
  current = s;
  try { f?.(); } finally { current = prev; }
}
const fmt = (name, args) => {
  let i = 0;
  return String(name).replace(/%[sdifjo%#]|\$\w+/g, (m) => {
    if (m === '%%') return '%';
    if (m === '%#') return String(i);
    if (m.startsWith('$')) return String(args[0]?.[m.slice(1)]);
    const v = args[i++];
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
};
/** it / describe with vitest's modifiers. */
function chainable(add) {
  const base = (name, f, opts) => add(name, f, opts, {});
  base.skip = (name, f, opts) => add(name, f, opts, { skip: true });
  base.only = (name, f, opts) => add(name, f, opts, { only: true });
  base.todo = (name) => add(name, undefined, undefined, { skip: true });
  base.concurrent = base;
  base.sequential = base;
  base.runIf = (cond) => (cond ? base : base.skip);
  base.skipIf = (cond) => (cond ? base.skip : base);
  base.each = (cases) => (name, f, opts) => {
    cases.forEach((c, i) => {
      const args = Array.isArray(c) ? c : [c];
      add(fmt(name, args).replace('%#', String(i)), f && (() => f(...args)), opts, {});
    });
  };
  return base;
}
export const it = chainable((name, f, opts, flags) => addTest(name, f, opts, flags));
export const test = it;
export const describe = chainable((name, f, _opts, flags) => addSuite(name, f, flags));
export const suite = describe;
export const beforeAll = (f) => current.beforeAll.push(f);
export const afterAll = (f) => current.afterAll.push(f);
export const beforeEach = (f) => current.beforeEach.push(f);
export const afterEach = (f) => current.afterEach.push(f);
export const onTestFinished = () => {};

// ---- running ----
const stats = { passed: 0, failed: 0, skipped: 0 };
function withTimeout(p, ms, what) {
  let t;
  return Promise.race([p, new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`${what}: timed out after ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(t));
}
const chainOf = (s) => { const out = []; for (let x = s; x; x = x.parent) out.unshift(x); return out; };
function containsOnly(n) { return n.kind === 'test' ? n.only : n.children.some(containsOnly); }

async function runSuite(s, path, skipped) {
  const skip = skipped || s.skip;
  if (!skip) for (const h of s.beforeAll) await withTimeout(Promise.resolve(h()), DEFAULT_TIMEOUT, 'beforeAll');
  for (const c of s.children) {
    const name = [...path, c.name].filter(Boolean).join(' > ');
    if (c.kind === 'suite') { await runSuite(c, [...path, c.name], skip); continue; }
    if (skip || c.skip || (hasOnly && !c.only)) { stats.skipped++; console.log(`  - ${name} (skipped)`); continue; }
    const t0 = performance.now();
    try {
      for (const x of chainOf(s)) for (const h of x.beforeEach) await h();
      await withTimeout(Promise.resolve(c.fn({ expect, skip: () => { throw Object.assign(new Error('skip'), { skipped: true }); } })), c.timeout, name);
      for (const x of chainOf(s).reverse()) for (const h of x.afterEach) await h();
      stats.passed++;
      console.log(`  ✓ ${name} (${Math.round(performance.now() - t0)} ms)`);
    } catch (e) {
      if (e?.skipped) { stats.skipped++; console.log(`  - ${name} (skipped)`); continue; }
      stats.failed++;
      console.log(`  × ${name} (${Math.round(performance.now() - t0)} ms)\n    ${String(e?.stack ?? e).split('\n').slice(0, 8).join('\n    ')}`);
    }
  }
  if (!skip) for (const h of s.afterAll) await h();
}

/** Called by the bundle after the test file's module body has run (bundle.mjs appends it). */
export async function __runRegisteredTests(file) {
  if (!hasOnly) hasOnly = containsOnly(root);
  console.log(`${file}`);
  try { await runSuite(root, [], false); } catch (e) { stats.failed++; console.log(`  × ${file}: ${e?.stack ?? e}`); }
  console.log(`${file}: ${stats.passed} passed, ${stats.failed} failed, ${stats.skipped} skipped`);
  process.exitCode = stats.failed > 0 ? 1 : 0;
  // Dawn (and a pending CUDA read) may hold the event loop open after the last test: leave anyway.
  setTimeout(() => process.exit(), 500).unref();
}
