// Where the CUDA addon is told to look for cuBLAS/NCCL (src/backends/cuda/addon.ts libraryDirs):
// TORCHLET_CUDA_LIBS first, and the nvidia/*/lib folders of a virtualenv's or conda environment's
// PyTorch wheels (the usual place of a user's libcublas) before the system's Python packages.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { libraryDirs } from '../../src/backends/cuda/addon.js';

describe('CUDA library search folders', () => {
  const root = mkdtempSync(join(tmpdir(), 'torchlet-libdirs-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const mk = (...p: string[]) => { const d = join(root, ...p); mkdirSync(d, { recursive: true }); return d; };

  it("TORCHLET_CUDA_LIBS leads; an active virtualenv's and conda's nvidia/*/lib folders are searched; missing folders are dropped", () => {
    const own = mk('own');
    const venvCublas = mk('venv', 'lib', 'python3.12', 'site-packages', 'nvidia', 'cublas', 'lib');
    const venvNccl = mk('venv', 'lib', 'python3.12', 'site-packages', 'nvidia', 'nccl', 'lib');
    const condaLib = mk('conda', 'lib');
    const condaCublas = mk('conda', 'lib', 'python3.11', 'site-packages', 'nvidia', 'cublas', 'lib');
    const env = { TORCHLET_CUDA_LIBS: `${own}:${join(root, 'absent')}`, VIRTUAL_ENV: join(root, 'venv'), CONDA_PREFIX: join(root, 'conda'), HOME: join(root, 'home') };
    const dirs = libraryDirs({ env, versions: { node: process.versions.node } }, fs);
    expect(dirs[0]).toBe(own);
    expect(dirs).not.toContain(join(root, 'absent'));
    for (const d of [venvCublas, venvNccl, condaLib, condaCublas]) expect(dirs).toContain(d);
    // The environment's wheels come before any system-wide Python package folder.
    const firstSystem = dirs.findIndex((d) => d.startsWith('/usr/') && d.includes('/nvidia/'));
    if (firstSystem >= 0) expect(dirs.indexOf(venvCublas)).toBeLessThan(firstSystem);
  });
});
