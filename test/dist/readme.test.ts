// The README's example is real: it type-checks against the built dist/torchlet.d.ts as a consumer
// would see it (strict, no Node types) and runs in plain Node against dist/torchlet.js, printing the
// values worked out by hand in the README's comment.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist, root } from './ensure-dist.js';

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const example = /## Example\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
const dir = mkdtempSync(join(tmpdir(), 'torchlet-readme-'));

beforeAll(ensureDist);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README example', () => {
  it('is at most a dozen lines', () => {
    expect(example).toContain("from 'torchlet'");
    expect(example.trim().split('\n').length).toBeLessThanOrEqual(12);
  });

  it('type-checks against dist/torchlet.d.ts', () => {
    const file = join(dir, 'example.ts');
    writeFileSync(file, example);
    const program = ts.createProgram([file], {
      strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.esnext.disposable.d.ts'],
      types: [], paths: { torchlet: [join(root, 'dist', 'torchlet.d.ts')] },
    });
    const diags = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diags).toEqual([]);
  });

  it('runs in Node and prints the values in its comments', () => {
    const js = ts.transpileModule(example, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText
      .replace("from 'torchlet'", `from '${pathToFileURL(join(root, 'dist', 'torchlet.js')).href}'`);
    const file = join(dir, 'example.mjs');
    writeFileSync(file, js);
    const out = execFileSync(process.execPath, [file], { encoding: 'utf8' });
    expect(out.split('\n')[0]).toBe('110.5 Float32Array(4) [ 4.5, 18, 9.5, 38 ]');
    expect(out).toContain('int32');
  });
});
