// Shared helpers for the tests of the built package (test/dist, test/browser): make sure dist/ is
// built and current (`npm test` builds first; a direct `npx vitest run test/dist` builds here, once,
// under a lock), find optional tools (Deno, Chromium), and the independent expected values.
// Contract: a missing tool is a test failure when CI=true and a loud skip elsewhere.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { GEMM, gemmInputs, type SmokeResult } from './smoke.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const distFiles = ['torchlet.js', 'torchlet.browser.js', 'torchlet.d.ts'].map((f) => join(root, 'dist', f));
export const inCI = process.env.CI === 'true';

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const e of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, e)));
  return newest;
}

function distIsCurrent(): boolean {
  if (!distFiles.every((f) => existsSync(f))) return false;
  const built = Math.min(...distFiles.map((f) => statSync(f).mtimeMs));
  const inputs = [join(root, 'src'), join(root, 'wasm'), join(root, 'rollup.config.mjs'), join(root, 'tsconfig.build.json')];
  return inputs.every((p) => !existsSync(p) || newestMtime(p) <= built);
}

/** Builds dist/ unless it is newer than every source. Several test files may call this at once. */
export async function ensureDist(): Promise<void> {
  if (distIsCurrent()) return;
  const lock = join(root, 'node_modules', '.cache', 'torchlet-build.lock');
  mkdirSync(dirname(lock), { recursive: true });
  for (;;) {
    try { mkdirSync(lock); break; } catch {
      // Another test file is building; a lock older than 10 minutes belongs to a dead process.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 600_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    if (!distIsCurrent()) {
      console.warn('dist/ is missing or older than src/: running `npm run build` (npm test does this first)');
      execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    }
  } finally { rmSync(lock, { recursive: true, force: true }); }
}

/** Reports a missing tool: throws in CI, warns loudly elsewhere. Returns whether the tool is there. */
export function toolAvailable(tool: string, path: string | null, howToInstall: string): path is string {
  if (path) return true;
  const msg = `${tool} not found (${howToInstall})`;
  if (inCI) throw new Error(`CI: ${msg}`);
  console.warn(`\n*** SKIPPING ${tool} tests: ${msg} ***\n`);
  return false;
}

/**
 * Checks a smoke.mjs result against values worked out by hand and by plain JS loops. `gpu`: the
 * gradients through pow may be a few float32 ulps off (GPU pow is exp2(y * log2(x)) for most y).
 */
export function checkSmoke(r: SmokeResult, gpu = false): void {
  if (r.threads) {
    // The runtime's worker pool: 2 threads over a shared memory, the same bits as one thread.
    expect(r.threads.info).toMatchObject({ numThreads: 2, sharedMemory: true, workersReady: 1 });
    expect(r.threads.info.workerCalls).toBeGreaterThan(0);
    expect(r.threads.same, '2 threads give the 1-thread bits').toBe(true);
  }
  expect(r.intDtype).toBe('int32');
  expect(r.floatDtype).toBe('float32');
  // y = x @ w = [[4.5, -0.5], [9.5, -2]]; loss = sum(relu(y)^2) = 4.5^2 + 9.5^2;
  // dL/dy = 2 relu(y) = [[9, 0], [19, 0]]; dL/dx = dL/dy @ w^T; dL/dw = x^T @ dL/dy.
  expect(r.loss).toBe(110.5);
  const close = (got: number[], want: number[]) => {
    if (!gpu) { expect(got).toEqual(want); return; }
    expect(got.length).toBe(want.length);
    want.forEach((w, i) => expect(Math.abs(got[i]! - w)).toBeLessThanOrEqual(4e-7 * Math.abs(w)));
  };
  close(r.xGrad, [4.5, 18, 9.5, 38]);
  close(r.wGrad, [66, 0, 94, 0]);
  // The GEMM inputs are multiples of 1/8 with small sums, so float32 results are exact.
  const { m, k, n } = GEMM;
  const { a, b } = gemmInputs(m, k, n);
  const c: number[] = [];
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
    c.push(s);
  }
  expect(r.gemm).toEqual(c);
  // d(sum(a @ b))/da[i][p] = sum_j b[p][j], the same for every row i.
  const rowSums = Array.from({ length: k }, (_, p) => b.slice(p * n, (p + 1) * n).reduce((s, v) => s + v, 0));
  expect(r.gemmGrad).toEqual(Array.from({ length: m * k }, (_, i) => rowSums[i % k]));
  const e = [1, 2, 3].map(Math.exp), z = e.reduce((s, v) => s + v, 0);
  e.forEach((v, i) => expect(r.softmax[i]).toBeCloseTo(v / z, 6));
}

/** Deno: the `deno` devDependency's binary, else one on PATH. */
export function denoPath(): string | null {
  const local = join(root, 'node_modules', '.bin', 'deno');
  return existsSync(local) ? local : which('deno');
}

/** Bun: node_modules/@oven/bun-<platform>/bin/bun (npm installs only the package matching this machine), else PATH. */
export function bunPath(): string | null {
  const oven = join(root, 'node_modules', '@oven');
  if (existsSync(oven)) {
    for (const pkg of readdirSync(oven).filter((d) => d.startsWith('bun-')).sort()) {
      for (const exe of ['bun', 'bun.exe']) {
        const p = join(oven, pkg, 'bin', exe);
        if (existsSync(p)) return p;
      }
    }
  }
  return which('bun');
}

export function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = join(dir, cmd);
    if (dir && existsSync(p)) return p;
  }
  return null;
}
