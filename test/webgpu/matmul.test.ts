// WebGPU matmul kernels on every operand layout: the 64x64 kernel and the 128x128 register-tiled
// one (forced with the backend's matmul128MinGroups knob, since test sizes are small), with
// transposed, offset (unaligned), batched and batch-broadcast views read in place. Entries are small
// integers, so every product is exact in f32 and the expected values are plain float64 arithmetic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';
import { getBackend } from '../../src/backends/registry.js';
import type { Tensor } from '../../src/index.js';

const available = torch.webgpu.isAvailable();

/** Deterministic small integers in [-4, 4]. */
function ints(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s >>> 24) % 9 - 4; });
}

/** Row-major [B, M, N] product of row-major [B|1, M, K] and [B|1, K, N] arrays, in float64. */
function reference(a: number[], b: number[], B: number, M: number, K: number, N: number, aBatch: boolean, bBatch: boolean): number[] {
  const out = new Array<number>(B * M * N).fill(0);
  for (let z = 0; z < B; z++) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[(aBatch ? z * M * K : 0) + i * K + k]! * b[(bBatch ? z * K * N : 0) + k * N + j]!;
        out[z * M * N + i * N + j] = s;
      }
    }
  }
  return out;
}

/** A [rows, cols] view with the given values, stored transposed when `t`, after `pad` leading elements. */
function matrix(vals: number[], rows: number, cols: number, t: boolean, pad: number): Tensor {
  const stored = t ? Array.from({ length: rows * cols }, (_, e) => vals[(e % rows) * cols + Math.floor(e / rows)]!) : vals;
  const flat = torch.tensor([...new Array<number>(pad).fill(7), ...stored], { dtype: 'float32', device: 'webgpu' }).narrow(0, pad, rows * cols);
  return t ? flat.reshape(cols, rows).t() : flat.reshape(rows, cols);
}

describe.skipIf(!available)('webgpu matmul kernels', () => {
  const backend = available ? (getBackend('webgpu') as unknown as { matmul128MinGroups: number; matmul128MinDim: number; cpuMatmul: 'auto' | 'on' | 'off' })
    : { matmul128MinGroups: 0, matmul128MinDim: 0, cpuMatmul: 'auto' as const };
  const saved = backend.matmul128MinGroups, savedDim = backend.matmul128MinDim, savedCpu = backend.cpuMatmul;
  // These are the GPU kernels' tests: not the CPU adapters' variant (matmul-cpu.test.ts).
  beforeAll(() => { backend.cpuMatmul = 'off'; });
  afterAll(() => { backend.matmul128MinGroups = saved; backend.matmul128MinDim = savedDim; backend.cpuMatmul = savedCpu; });

  for (const [kernel, minGroups] of [['64x64', Infinity], ['128x128', 0]] as const) {
    it.each([
      [133, 37, 130, false, false, 0], [133, 37, 130, true, false, 0], [133, 37, 130, false, true, 0], [133, 37, 130, true, true, 0],
      [128, 64, 256, false, false, 0], [128, 64, 256, true, true, 0], // vec4 loads on every operand
      [64, 16, 132, false, true, 1], [9, 3, 5, true, false, 3], // unaligned offsets: scalar loads
    ] as const)(`${kernel}: %ix%ix%i, transposed a=%s b=%s, offset %i`, async (M, K, N, ta, tb, pad) => {
      backend.matmul128MinGroups = minGroups;
      backend.matmul128MinDim = 0;
      const av = ints(M * K, M + K), bv = ints(K * N, K + N + 1);
      const got = await matrix(av, M, K, ta, pad).matmul(matrix(bv, K, N, tb, pad)).data();
      expect(Array.from(got)).toEqual(reference(av, bv, 1, M, K, N, false, false));
    });

    it(`${kernel}: batched, with a broadcast (stride 0) operand`, async () => {
      backend.matmul128MinGroups = minGroups;
      backend.matmul128MinDim = 0;
      const B = 3, M = 70, K = 12, N = 131;
      const av = ints(B * M * K, 5), bv = ints(K * N, 6);
      const a = torch.tensor(av, { dtype: 'float32', device: 'webgpu' }).reshape(B, M, K);
      const b = torch.tensor(bv, { dtype: 'float32', device: 'webgpu' }).reshape(1, K, N).expand(B, K, N);
      expect(Array.from(await a.matmul(b).data())).toEqual(reference(av, bv, B, M, K, N, true, false));
      const bt = torch.tensor(bv, { dtype: 'float32', device: 'webgpu' }).reshape(K, N).t(); // [N, K] view
      expect(Array.from(await a.matmul(bt.t()).data())).toEqual(reference(av, bv, B, M, K, N, true, false));
    });
  }

  it('a big batch of small matrices keeps small kernels (128x128 tiles need M, N > matmul128MinDim)', async () => {
    backend.matmul128MinGroups = saved;
    backend.matmul128MinDim = savedDim;
    const b = getBackend('webgpu') as unknown as { storageBindings: Map<string, number> };
    b.storageBindings.clear();
    const B = 200, av = ints(B * 7 * 16, 8), bv = ints(B * 16 * 7, 9);
    const x = torch.tensor(av, { dtype: 'float32', device: 'webgpu' }).reshape(B, 7, 16);
    const y = torch.tensor(bv, { dtype: 'float32', device: 'webgpu' }).reshape(B, 16, 7);
    expect(Array.from(await x.matmul(y).data())).toEqual(reference(av, bv, B, 7, 16, 7, true, true));
    expect([...b.storageBindings.keys()].filter((k) => k.startsWith('matmul'))).toEqual(['matmul_small|float32|float32|float32@main']);
  });
});
