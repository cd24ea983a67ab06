// The CPU adapters' matmul (shaders/matmul_cpu.wgsl, WebGPUBackend.cpuMatmul), forced on whatever the
// adapter, against float64 references computed here: every load mode of both operands (contiguous
// along k, along M/N with vec4 loads, general strides), edge blocks (M, N not multiples of 8), K tails
// (K % 4), thin products, batches with a broadcast operand, offsets, float16 inputs; integer
// matmuls keep the other kernels. Forced off, the same products must not run on it. With subgroups,
// A's loads shared across a subgroup's lanes give the bits of each lane's own loads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';
import { getBackend } from '../../src/backends/registry.js';
import type { WebGPUBackend } from '../../src/backends/webgpu/index.js';
import type { Tensor } from '../../src/index.js';

const available = torch.webgpu.isAvailable();

/** Deterministic values in [-1, 1). */
function rand(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 31 - 1; });
}

/** [rows, cols] logical values as a webgpu view: row-major, transposed storage ('t'), or every other column of a wider matrix ('gap'), after `pad` elements. */
function matrix(vals: number[], rows: number, cols: number, layout: 'rm' | 't' | 'gap', pad = 0, dtype: 'float32' | 'float16' = 'float32'): Tensor {
  const at = (i: number, j: number) => vals[i * cols + j]!;
  let stored: number[];
  if (layout === 't') stored = Array.from({ length: rows * cols }, (_, e) => at(e % rows, Math.floor(e / rows)));
  else if (layout === 'gap') stored = Array.from({ length: rows * cols * 2 }, (_, e) => (e % 2 ? 9 : at(Math.floor(e / (2 * cols)), (e % (2 * cols)) / 2)));
  else stored = vals;
  const flat = torch.tensor([...new Array<number>(pad).fill(7), ...stored], { dtype, device: 'webgpu' }).narrow(0, pad, stored.length);
  if (layout === 't') return flat.reshape(cols, rows).t();
  if (layout === 'gap') return flat.reshape(rows, 2 * cols).slice(1, 0, null, 2);
  return flat.reshape(rows, cols);
}

/** Row-major [B, M, N] float64 product of [B|1, M, K] and [B|1, K, N] row-major arrays. */
function reference(a: number[], b: number[], B: number, M: number, K: number, N: number, aB: boolean, bB: boolean): Float64Array {
  const out = new Float64Array(B * M * N);
  for (let z = 0; z < B; z++) {
    for (let i = 0; i < M; i++) {
      for (let k = 0; k < K; k++) {
        const x = a[(aB ? z * M * K : 0) + i * K + k]!;
        for (let j = 0; j < N; j++) out[(z * M + i) * N + j]! += x * b[(bB ? z * K * N : 0) + k * N + j]!;
      }
    }
  }
  return out;
}

/** Largest |got - want| relative to K (f32 products of values below 1 in magnitude, summed K times). */
function maxError(got: ArrayLike<number>, want: Float64Array, K: number): number {
  expect(got.length).toBe(want.length);
  let e = 0;
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(got[i]! - want[i]!));
  return e / Math.max(K, 1);
}

describe.skipIf(!available)('webgpu matmul on the CPU adapters\' kernel (forced on)', () => {
  const be = (): WebGPUBackend => getBackend('webgpu') as WebGPUBackend;
  let saved: WebGPUBackend['cpuMatmul'] = 'auto';
  const keys = new Set<string>();
  beforeAll(() => { saved = be().cpuMatmul; be().cpuMatmul = 'on'; });
  afterAll(() => { be().cpuMatmul = saved; });
  /** The matmul_cpu pipelines compiled so far (their keys name the load modes). */
  const record = () => {
    for (const k of (be() as unknown as { pipelines: Map<string, unknown> }).pipelines.keys()) if (k.startsWith('matmul_cpu|')) keys.add(k);
  };

  it.each([
    // M, K, N, a layout, b layout, pad
    [64, 32, 64, 'rm', 'rm', 0], [133, 37, 130, 'rm', 'rm', 0], [133, 37, 130, 't', 'rm', 0], [133, 37, 130, 'rm', 't', 0],
    [132, 36, 128, 't', 't', 0], [20, 12, 36, 't', 'rm', 4], [17, 9, 23, 'gap', 'gap', 0], [9, 3, 5, 't', 't', 3],
    [1, 70, 1, 'rm', 'rm', 1], [5, 1, 70, 'rm', 'rm', 0], [70, 2, 3, 'gap', 't', 2], [3, 40, 200, 'rm', 'rm', 0],
  ] as const)('%ix%ix%i, a %s, b %s, offset %i', async (M, K, N, la, lb, pad) => {
    const av = rand(M * K, M * 31 + K), bv = rand(K * N, K * 17 + N);
    const got = await matrix(av, M, K, la, pad).matmul(matrix(bv, K, N, lb, pad)).data();
    expect(be().lastMatmul?.kernel).toBe('cpu');
    expect(maxError(got, reference(av, bv, 1, M, K, N, false, false), K)).toBeLessThan(1e-6);
    record();
  });

  it('A\'s loads shared across a subgroup (cpuMatmulSubgroups) give the bits of each lane\'s own', async () => {
    const cases = [[64, 32, 64, 'rm', 'rm'], [133, 37, 130, 't', 'rm'], [67, 21, 96, 'rm', 't'], [40, 16, 64, 't', 't'],
      [17, 9, 23, 'gap', 'gap'], [33, 8, 256, 'gap', 'rm'], [9, 3, 20, 'rm', 'rm']] as const;
    const run = async (share: boolean) => {
      be().cpuMatmulSubgroups = share;
      try {
        const outs: Float32Array[] = [];
        for (const [M, K, N, la, lb] of cases) {
          outs.push(await matrix(rand(M * K, M + K), M, K, la).matmul(matrix(rand(K * N, K + N), K, N, lb)).data() as Float32Array);
          expect(be().lastMatmul?.kernel).toBe('cpu');
        }
        // A batch whose A is broadcast (stride 0) and one whose blocks straddle batches in a subgroup.
        const a = torch.tensor(rand(5 * 12 * 8, 1), { device: 'webgpu' }).reshape(5, 12, 8), b = torch.tensor(rand(8 * 24, 2), { device: 'webgpu' }).reshape(8, 24);
        outs.push(await a.matmul(b).data() as Float32Array, await a.select(0, 0).expand(5, 12, 8).matmul(b).data() as Float32Array);
        return outs;
      } finally { be().cpuMatmulSubgroups = true; }
    };
    const own = await run(false), shared = await run(true);
    shared.forEach((o, i) => expect(new Uint32Array(o.buffer, o.byteOffset, o.length)).toEqual(new Uint32Array(own[i]!.buffer, own[i]!.byteOffset, own[i]!.length)));
    // The shared kernels were compiled where the device has subgroups (the key's share flag).
    const pipes = [...(be() as unknown as { pipelines: Map<string, unknown> }).pipelines.keys()].filter((k) => k.startsWith('matmul_cpu|'));
    expect(pipes.some((k) => k.split('|')[5] === '1')).toBe(be().info.features.subgroups);
  });

  it('batched, with a broadcast (stride 0) operand on either side, and a transposed one', async () => {
    const B = 3, M = 70, K = 13, N = 37;
    const av = rand(B * M * K, 1), bv = rand(K * N, 2);
    const a = torch.tensor(av, { device: 'webgpu' }).reshape(B, M, K);
    const b = torch.tensor(bv, { device: 'webgpu' }).reshape(1, K, N).expand(B, K, N);
    expect(maxError(await a.matmul(b).data(), reference(av, bv, B, M, K, N, true, false), K)).toBeLessThan(1e-6);
    expect(maxError(await a.matmul(matrix(bv, K, N, 't')).data(), reference(av, bv, B, M, K, N, true, false), K)).toBeLessThan(1e-6);
    // a broadcast over a batch of b: [M, K] @ [B, K, N].
    const a2 = rand(M * K, 3), b2 = rand(B * K * N, 4);
    const got = await torch.tensor(a2, { device: 'webgpu' }).reshape(M, K).matmul(torch.tensor(b2, { device: 'webgpu' }).reshape(B, K, N)).data();
    expect(maxError(got, reference(a2, b2, B, M, K, N, false, true), K)).toBeLessThan(1e-6);
    expect(be().lastMatmul?.kernel).toBe('cpu');
    // A big batch of small matrices: one invocation per 7x7 product, on the flat grid of blocks.
    const a3 = rand(200 * 7 * 16, 9), b3 = rand(200 * 16 * 7, 10);
    const got3 = await torch.tensor(a3, { device: 'webgpu' }).reshape(200, 7, 16).matmul(torch.tensor(b3, { device: 'webgpu' }).reshape(200, 16, 7)).data();
    expect(maxError(got3, reference(a3, b3, 200, 7, 16, 7, true, true), 16)).toBeLessThan(1e-6);
    record();
  });

  it('float16 operands (computed in f32), within float16 rounding of the product', async () => {
    const M = 19, K = 24, N = 21;
    const av = rand(M * K, 5), bv = rand(K * N, 6);
    // References from the float16-rounded inputs, as PyTorch's Half matmul accumulates in f32.
    const r16 = (v: number[]) => Array.from(torch.tensor(v, { dtype: 'float16' }).float().dataSync() as Float32Array);
    const want = reference(r16(av), r16(bv), 1, M, K, N, false, false);
    const got = await matrix(av, M, K, 'rm', 0, 'float16').matmul(matrix(bv, K, N, 't', 0, 'float16')).float().data();
    expect(be().lastMatmul?.kernel).toBe('cpu');
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(Math.abs(want[i]!) * 2 ** -10 + 2 ** -14);
  });

  it('integer matmul keeps the other kernels', async () => {
    const a = torch.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'int32', device: 'webgpu' });
    const b = torch.tensor([[1, 0], [0, 1], [2, 2]], { dtype: 'int32', device: 'webgpu' });
    expect(await a.matmul(b).tolist()).toEqual([[7, 8], [16, 17]]);
    expect(be().lastMatmul?.kernel).not.toBe('cpu');
  });

  it('covered every load mode of both operands', () => {
    // Keys: matmul_cpu|a dtype|b dtype|<a mode><vec>|<b mode><vec>|out dtype.
    const modes = (i: number) => new Set([...keys].map((k) => k.split('|')[i]));
    for (const i of [3, 4]) expect([...modes(i)].sort()).toEqual(['general0', 'inner0', 'inner1', 'outer1']);
  });

  it('forced off, the same products run on the GPU kernels', async () => {
    be().cpuMatmul = 'off';
    try {
      const av = rand(40 * 20, 7), bv = rand(20 * 30, 8);
      const got = await matrix(av, 40, 20, 'rm').matmul(matrix(bv, 20, 30, 't')).data();
      expect(be().lastMatmul?.kernel).toBe('tiled64');
      expect(maxError(got, reference(av, bv, 1, 40, 20, 30, false, false), 20)).toBeLessThan(1e-6);
    } finally { be().cpuMatmul = 'on'; }
  });
});
