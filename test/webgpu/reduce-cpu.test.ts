// The CPU adapters' reduction strategy (WebGPUBackend.cpuReduce: one invocation per output looping
// over its row, reduce_rows.wgsl, instead of a workgroup tree), forced on for every output count,
// against float64 references computed here: sum, max, min, prod over R in {1, 5, 33, 64, 129, 1000}
// of contiguous, transposed (strided) and non-collapsible (two reduced dims) views with an offset.
// Forced off, the same reductions of long rows must run on the tree again.
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

type Op = 'sum' | 'max' | 'min' | 'prod';
/** Each op over the reduced dims of `view`: the last one, or the last two ('split'; prod takes one dim only). */
const OPS: Record<Op, { run: (x: Tensor) => Tensor; fold: (a: number, b: number) => number; ident: number }> = {
  sum: { run: (x) => x.sum(x.dim() === 3 ? [1, 2] : -1), fold: (a, b) => a + b, ident: 0 },
  max: { run: (x) => x.amax(x.dim() === 3 ? [1, 2] : -1), fold: (a, b) => Math.max(a, b), ident: -Infinity },
  min: { run: (x) => x.amin(x.dim() === 3 ? [1, 2] : -1), fold: (a, b) => Math.min(a, b), ident: Infinity },
  prod: { run: (x) => x.prod(-1), fold: (a, b) => a * b, ident: 1 },
};

/**
 * A [N, R] view of logical values v[i][j] = vals[i * R + j] (float32-rounded), reduced over its last
 * dim: row-major after `pad` elements ('rm'), stored transposed ('t': the reduced dim strided by N),
 * or [N, R/2, 2] stored as [R/2, N, 2] ('split': two reduced dims that do not collapse).
 */
function view(vals: number[], N: number, R: number, layout: 'rm' | 't' | 'split', pad: number): Tensor {
  let stored: number[];
  if (layout === 't') stored = Array.from({ length: N * R }, (_, e) => vals[(e % N) * R + Math.floor(e / N)]!);
  else if (layout === 'split') stored = Array.from({ length: N * R }, (_, e) => {
    const a = e % 2, i = Math.floor(e / 2) % N, b = Math.floor(e / (2 * N));
    return vals[i * R + b * 2 + a]!;
  });
  else stored = vals;
  const flat = torch.tensor([...new Array<number>(pad).fill(3), ...stored], { device: 'webgpu' }).narrow(0, pad, stored.length);
  if (layout === 't') return flat.reshape(R, N).t();
  if (layout === 'split') return flat.reshape(R / 2, N, 2).permute(1, 0, 2);
  return flat.reshape(N, R);
}

describe.skipIf(!available)('webgpu reductions on the CPU adapters\' strategy (forced on)', () => {
  const be = (): WebGPUBackend => getBackend('webgpu') as WebGPUBackend;
  let saved: [WebGPUBackend['cpuReduce'], number, number] = ['auto', 0, 0];
  /** The reduce kernels each reduction dispatched ('reduce_rows:…' one invocation per output, 'reduce:…' the tree). */
  const kernels: string[] = [];
  let dispatch: unknown;
  beforeAll(() => {
    const b = be() as unknown as { dispatch: (key: string, ...rest: unknown[]) => void; cpuReduce: string; cpuReduceMinOutputs: number; cpuReduceMaxLength: number };
    saved = [be().cpuReduce, be().cpuReduceMinOutputs, be().cpuReduceMaxLength];
    Object.assign(be(), { cpuReduce: 'on', cpuReduceMinOutputs: 1, cpuReduceMaxLength: 4096 });
    const orig = b.dispatch;
    dispatch = orig;
    b.dispatch = function (this: unknown, key: string, ...rest: unknown[]) { if (key.startsWith('reduce')) kernels.push(key.split(':')[0]!); return orig.call(this, key, ...rest); };
  });
  afterAll(() => {
    [be().cpuReduce, be().cpuReduceMinOutputs, be().cpuReduceMaxLength] = saved;
    (be() as unknown as { dispatch: unknown }).dispatch = dispatch;
  });

  const cases = [1, 5, 33, 64, 129, 1000].flatMap((R) => (['rm', 't', 'split'] as const).filter((l) => l !== 'split' || R % 2 === 0)
    .map((l, i) => [R, l, [3, 70, 1][i]!] as const));
  it.each(cases)('R = %i, %s layout: sum, max, min, prod within float32 rounding of float64', async (R, layout, N) => {
    for (const op of (Object.keys(OPS) as Op[]).filter((o) => layout !== 'split' || o !== 'prod')) {
      // prod of values near 1 stays finite; the others take [-1, 1)
      const vals = rand(N * R, R * 7 + N).map((v) => Math.fround(op === 'prod' ? 1 + v / R : v));
      kernels.length = 0;
      const got = await OPS[op].run(view(vals, N, R, layout, 5)).data();
      expect(kernels).toEqual(['reduce_rows']);
      expect(got.length).toBe(N);
      for (let i = 0; i < N; i++) {
        const row = vals.slice(i * R, (i + 1) * R), want = row.reduce(OPS[op].fold, OPS[op].ident);
        if (op === 'max' || op === 'min') expect(got[i]).toBe(want); // picks an element: exact
        else {
          // R float32 roundings of partial results, each within 2^-24 of what it rounds
          const scale = op === 'sum' ? row.reduce((a, v) => a + Math.abs(v), 0) : Math.abs(want);
          expect(Math.abs(got[i]! - want)).toBeLessThanOrEqual(R * 2 ** -24 * scale + 1e-30);
        }
      }
    }
  });

  it('forced off, long rows run on the tree and short ones one invocation per output', async () => {
    be().cpuReduce = 'off';
    try {
      kernels.length = 0;
      const vals = rand(8 * 129, 5);
      const got = await view(vals, 8, 129, 'rm', 0).sum(-1).data();
      await view(vals, 8, 129, 'rm', 0).narrow(1, 0, 32).sum(-1).data();
      expect(kernels).toEqual(['reduce', 'reduce_rows']);
      for (let i = 0; i < 8; i++) expect(got[i]).toBeCloseTo(vals.slice(i * 129, (i + 1) * 129).map(Math.fround).reduce((a, b) => a + b, 0), 4);
    } finally { be().cpuReduce = 'on'; }
  });
});
