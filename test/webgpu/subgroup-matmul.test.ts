// The subgroup-matrix matmul's kernel on the adapter at hand (SwiftShader here): its 'emulate' variant,
// which differs from the tensor-core one only in the five matrix primitives (plain WGSL with the
// same load/store addressing), so staging, zero fill of partial tiles, strides, transposes, offsets,
// batches and the f32/f16 epilogues run for real. The tensor-core variant itself needs a GPU with
// subgroup matrices: bench/gpu.sh checks it against the tiled kernel there. Entries are small
// integers, exact in float16 and float32, so the expected values are plain float64 arithmetic.
import { afterAll, describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';
import { getBackend } from '../../src/backends/registry.js';
import type { Tensor } from '../../src/index.js';
import type { WebGPUBackend } from '../../src/backends/webgpu/index.js';

const available = torch.webgpu.isAvailable();

function ints(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s >>> 24) % 9 - 4; });
}

function reference(a: number[], b: number[], B: number, M: number, K: number, N: number, aBatch: boolean): number[] {
  const out = new Array<number>(B * M * N).fill(0);
  for (let z = 0; z < B; z++) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[(aBatch ? z * M * K : 0) + i * K + k]! * b[k * N + j]!;
        out[z * M * N + i * N + j] = s;
      }
    }
  }
  return out;
}

/** A [rows, cols] view of `vals`, stored transposed when `t`, after `pad` leading elements. */
function matrix(vals: number[], rows: number, cols: number, t: boolean, pad: number, dtype: 'float32' | 'float16'): Tensor {
  const stored = t ? Array.from({ length: rows * cols }, (_, e) => vals[(e % rows) * cols + Math.floor(e / rows)]!) : vals;
  const flat = torch.tensor([...new Array<number>(pad).fill(7), ...stored], { dtype, device: 'webgpu' }).narrow(0, pad, rows * cols);
  return t ? flat.reshape(cols, rows).t() : flat.reshape(rows, cols);
}

describe.skipIf(!available)('webgpu subgroup-matrix matmul (emulated primitives)', () => {
  const backend = (available ? getBackend('webgpu') : null) as unknown as WebGPUBackend;
  const saved = available ? { mode: backend.subgroupMatmul, tuning: backend.subgroupMatmulTuning } : null;
  afterAll(() => { if (saved) { backend.subgroupMatmul = saved.mode; backend.subgroupMatmulTuning = saved.tuning; } });

  // Small blocks (many workgroups, edge tiles on both sides) and the default blocks (one partial block).
  const tunings = { small: { subgroups: 2, rm: 1, rn: 1, kSteps: 1 }, default: {} };
  // Every layout with small blocks; the default blocks (slow to compile on SwiftShader) on one.
  const layouts = [
    [133, 37, 130, false, false, 0], [133, 37, 130, true, false, 0], [133, 37, 130, false, true, 0], [133, 37, 130, true, true, 0],
    [64, 64, 128, false, false, 0], [64, 64, 128, true, true, 0], // 16-byte vector staging on both operands
    [40, 24, 48, false, false, 1], [9, 3, 5, true, false, 3], // odd offsets: scalar staging, per-half stores
  ] as const;
  for (const dtype of ['float32', 'float16'] as const) {
    for (const [name, tuning] of Object.entries(tunings)) {
      it.each(name === 'small' ? layouts : [layouts[3]])(`${dtype}, ${name} blocks: %ix%ix%i, transposed a=%s b=%s, offset %i`, async (M, K, N, ta, tb, pad) => {
        backend.subgroupMatmul = 'emulate';
        backend.subgroupMatmulTuning = tuning;
        const av = ints(M * K, M + K), bv = ints(K * N, K + N + 1);
        const got = await matrix(av, M, K, ta, pad, dtype).matmul(matrix(bv, K, N, tb, pad, dtype)).data();
        expect(backend.lastMatmul?.kernel).toBe('subgroup');
        expect(Array.from(got)).toEqual(reference(av, bv, 1, M, K, N, false));
      });
    }

    it(`${dtype}: batched, with a broadcast (stride 0) right operand`, async () => {
      backend.subgroupMatmul = 'emulate';
      backend.subgroupMatmulTuning = tunings.small;
      const B = 3, M = 70, K = 12, N = 37;
      const av = ints(B * M * K, 5), bv = ints(K * N, 6);
      const a = torch.tensor(av, { dtype, device: 'webgpu' }).reshape(B, M, K);
      const b = torch.tensor(bv, { dtype, device: 'webgpu' }).reshape(1, K, N).expand(B, K, N);
      expect(Array.from(await a.matmul(b).data())).toEqual(reference(av, bv, B, M, K, N, true));
      expect(backend.lastMatmul?.kernel).toBe('subgroup');
    });
  }

  it("float16 rounds the f32 accumulator once, as PyTorch's float16 matmul", async () => {
    backend.subgroupMatmul = 'emulate';
    backend.subgroupMatmulTuning = tunings.small;
    // 2049 + 1 + 1 + ... is not representable in float16 after each step, only at the end: a
    // float16 accumulator would stick at 2048 (round to even); f32 accumulation gives 2048 + 40.
    const K = 41;
    const a = torch.ones([1, K], { dtype: 'float16', device: 'webgpu' });
    const bvals = [2048, ...new Array<number>(K - 1).fill(1)];
    const b = torch.tensor(bvals, { dtype: 'float16', device: 'webgpu' }).reshape(K, 1).expand(K, 32).contiguous();
    const got = Array.from(await a.matmul(b).data());
    expect(got).toEqual(new Array<number>(32).fill(2088));
  });

  it("'off' keeps the tiled kernels and says why", async () => {
    backend.subgroupMatmul = 'off';
    const cpu = backend.cpuMatmul;
    backend.cpuMatmul = 'off'; // else CPU adapters run their own kernel (matmul-cpu.test.ts)
    const x = torch.ones([64, 64], { device: 'webgpu' });
    try { await x.matmul(x).data(); } finally { backend.cpuMatmul = cpu; }
    expect(backend.lastMatmul).toEqual({ kernel: 'tiled64', why: 'turned off' });
  });

  it("'auto' on this adapter: the tiled kernels, unless it has subgroup matrices", async () => {
    backend.subgroupMatmul = 'auto';
    const x = torch.ones([256, 256], { dtype: 'float16', device: 'webgpu' });
    const y = await x.matmul(x).data();
    expect(y[0]).toBe(256);
    if (backend.info.subgroupMatrix) expect(backend.lastMatmul?.kernel).toBe('subgroup');
    else {
      // CPU-emulated adapters (SwiftShader) take their own kernel unless it is turned off.
      const cpu = backend.cpuMatmul === 'on' || (backend.cpuMatmul === 'auto' && backend.info.isFallbackAdapter);
      expect(backend.lastMatmul).toEqual({ kernel: cpu ? 'cpu' : 'tiled64', why: 'the adapter has no subgroup matrices' });
    }
  });
});
