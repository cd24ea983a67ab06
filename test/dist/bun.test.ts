// The built package in Bun: the shared forward+backward smoke workload against dist/torchlet.js on
// the CPU backend, by file URL and by package name (Bun's own resolver must pick the "import" build).
// The binary comes from Bun's per-platform npm packages through the local devDependency
// test/dist/bun-binary (the `bun` package itself needs its postinstall script, which npm skips).

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { bunPath, checkSmoke, ensureDist, root, toolAvailable } from './ensure-dist.js';
import type { SmokeResult } from './smoke.mjs';

const bun = bunPath();
const have = toolAvailable('bun', bun, 'it comes with `npm install` through the devDependency "torchlet-test-bun"');

describe.skipIf(!have)(have ? 'dist in Bun' : 'dist in Bun (SKIPPED: bun not installed)', () => {
  beforeAll(ensureDist);

  // stderr is piped, not inherited: Bun sets process.versions.node, so init() tries the `webgpu`
  // package, and Dawn warns on stderr when it finds no Vulkan driver (then the CPU backend runs).
  const run = (args: string[]) => execFileSync(bun!, args, {
    cwd: root, encoding: 'utf8', stdio: 'pipe', env: { ...process.env, NO_COLOR: '1' },
  });

  it('runs forward+backward on the CPU backend', () => {
    const out = run([join(root, 'test/dist/run-smoke.mjs'), pathToFileURL(join(root, 'dist', 'torchlet.js')).href]);
    checkSmoke(JSON.parse(out.trim().split('\n').pop()!) as SmokeResult);
  });

  it('resolves the package name through "exports" to dist/torchlet.js and runs it', () => {
    const resolved = run(['-e', "console.log(import.meta.resolve('torchlet'))"]).trim();
    expect(resolved).toBe(pathToFileURL(join(root, 'dist', 'torchlet.js')).href);
    const out = run([join(root, 'test/dist/run-smoke.mjs'), 'torchlet']);
    checkSmoke(JSON.parse(out.trim().split('\n').pop()!) as SmokeResult);
  });
});
