// The built package in plain Node (no vitest transform): a child process imports 'torchlet' through
// package.json "exports" and runs the shared forward+backward smoke workload on the CPU backend.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkSmoke, ensureDist, root } from './ensure-dist.js';
import type { SmokeResult } from './smoke.mjs';

beforeAll(ensureDist);

describe('dist in Node', () => {
  it('imports by package name through "exports" and runs forward+backward', () => {
    const out = execFileSync(process.execPath, [join(root, 'test/dist/run-smoke.mjs'), 'torchlet'], { cwd: root, encoding: 'utf8' });
    checkSmoke(JSON.parse(out.trim().split('\n').pop()!) as SmokeResult);
  });

  it('has the namespace as its default export too', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e',
      "import torch, * as ns from 'torchlet'; console.log(JSON.stringify([torch.add === ns.add, torch.nn === ns.nn, typeof torch.tensor]))"],
    { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual([true, true, 'function']);
  });

  it('package.json "exports" points at the built files, with types first', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, Record<string, string>> };
    const main = pkg.exports['.']!;
    expect(Object.keys(main)[0]).toBe('types');
    expect(main).toMatchObject({ types: './dist/torchlet.d.ts', import: './dist/torchlet.js', browser: './dist/torchlet.browser.js' });
  });
});
