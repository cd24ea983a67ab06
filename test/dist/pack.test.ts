// The package as a consumer receives it: `npm pack` the repo, unpack the tarball as
// node_modules/torchlet of a scratch project (no registry access needed), then resolve 'torchlet'
// the ordinary way: Node runs the smoke workload through "exports", and TypeScript (nodenext
// resolution, strict, no Node types) finds the types through the "types" condition.

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSmoke, ensureDist, root } from './ensure-dist.js';
import type { SmokeResult } from './smoke.mjs';

const project = mkdtempSync(join(tmpdir(), 'torchlet-consumer-'));
let packed: string[] = [];

beforeAll(async () => {
  await ensureDist();
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', project], { cwd: root, encoding: 'utf8' });
  const info = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  packed = info[0]!.files.map((f) => f.path).sort();
  const pkgDir = join(project, 'node_modules', 'torchlet');
  mkdirSync(pkgDir, { recursive: true });
  execFileSync('tar', ['-xzf', join(project, info[0]!.filename), '-C', pkgDir, '--strip-components=1']);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
  for (const f of ['run-smoke.mjs', 'smoke.mjs']) copyFileSync(join(root, 'test/dist', f), join(project, f));
}, 180_000);
afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('packed package', () => {
  it('ships exactly the bundles (with their source maps), the types, the docs, the launcher and the Gloo and CUDA addon sources', () => {
    const cuda = ['ABI.md', 'README.md', 'src/abi.h', 'src/addon.cc', 'src/allocator.h', 'src/cuda_gpu.cc', 'src/emu.cc', 'src/emu.h', 'src/gpu.h',
      'src/kernel_api.h', 'src/kernels.cu', 'test/test_kernels.cu'].map((f) => `native-cuda/${f}`);
    expect(packed).toEqual(['ARCHITECTURE.md', 'LICENSE', 'README.md', 'bin/torchlet.mjs', 'dist/torchlet.browser.js', 'dist/torchlet.browser.js.map',
      'dist/torchlet.d.ts', 'dist/torchlet.js', 'dist/torchlet.js.map', ...cuda, 'native-distributed/README.md', 'native-distributed/src/torchlet_gloo.cc', 'package.json',
      'scripts/build-cuda.mjs', 'scripts/build-distributed.mjs']);
  });

  it("resolves 'torchlet' from node_modules and runs forward+backward", () => {
    const out = execFileSync(process.execPath, ['run-smoke.mjs', 'torchlet'], { cwd: project, encoding: 'utf8' });
    checkSmoke(JSON.parse(out.trim().split('\n').pop()!) as SmokeResult);
  });

  it('type-checks a consumer through the "types" export condition', () => {
    const file = join(project, 'consumer.ts');
    writeFileSync(file, [
      "import torch, { type Tensor } from 'torchlet';",
      "const x: Tensor = torch.ones(2, 3, { requiresGrad: true });",
      'x.mul(2).sum().backward();',
      'export const grad: Promise<number[]> = x.grad!.data().then((d) => Array.from(d));',
    ].join('\n'));
    const program = ts.createProgram([file], {
      strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.esnext.disposable.d.ts'], types: [],
    });
    const diags = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diags).toEqual([]);
    expect(program.getSourceFiles().map((f) => f.fileName)).toContain(join(project, 'node_modules/torchlet/dist/torchlet.d.ts'));
  });
});
