// The built package's shape: dist/torchlet.d.ts is one self-contained file with no `any` in the
// public API; the browser bundle imports nothing; the Node bundle has no static imports (Node-only
// modules are reached lazily); the browser bundle keeps its size budget. Uses the same checks as
// `npm run build` (scripts/check-dist.mjs).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkDist, findAnyTypes, jsImports } from '../../scripts/check-dist.mjs';
import { ensureDist, root } from './ensure-dist.js';

beforeAll(ensureDist);

describe('dist package shape', () => {
  it('passes every dist check', () => {
    expect(checkDist()).toEqual([]);
  });

  it('the checks catch what they look for', () => {
    expect(findAnyTypes('export declare function f(x: any): Array<any>;')).toHaveLength(2);
    expect(findAnyTypes('export declare function f(x: unknown): string; /* any */')).toEqual([]);
    expect(jsImports("import a from 'x'; export * from 'y'; const m = await import('node:fs');"))
      .toEqual({ static: ['x', 'y'], dynamic: ['node:fs'] });
  });

  it('the browser bundle stays within its size budget (README "Package"): 1.5 MB, 350 kB gzipped', () => {
    const bytes = readFileSync(join(root, 'dist', 'torchlet.browser.js'));
    expect(bytes.length).toBeLessThanOrEqual(1.5e6);
    expect(gzipSync(bytes, { level: 9 }).length).toBeLessThanOrEqual(350e3);
  });

  it('the browser bundle exports the same API as the Node bundle', () => {
    // The exported names of the final export statement (the browser bundle has no comments or spacing).
    const names = (f: string) => /export\s*\{([^}]*)\};?\s*(\/\/# sourceMappingURL=.*)?\s*$/.exec(readFileSync(join(root, 'dist', f), 'utf8'))?.[1]
      ?.split(',').map((e) => e.trim().split(/\s+as\s+/).at(-1)).sort().join(',');
    expect(names('torchlet.browser.js')).toBeTruthy();
    expect(names('torchlet.browser.js')).toBe(names('torchlet.js'));
  });
});
