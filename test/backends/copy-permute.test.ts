// The CPU backend's copies of rank > 2 in small blocks (attention's head permutes): they run as the
// generated identity kernel (one call, or a few per thread) instead of one 2-D kernel call per block.
// Checked against a plain JavaScript permutation, float32 and int32, on 1, 2 and 3 threads, and that
// the generated kernel took them. Copies from one broadcast element (a fill with its bits) keep
// the element's exact bits.

import { afterAll, describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import { getBackend } from '../../src/backends/registry.js';
import type { WasmBackend } from '../../src/backends/wasm/index.js';

const cpu = getBackend('cpu') as WasmBackend;
const threads0 = torch.getNumThreads();
afterAll(() => torch.setNumThreads(threads0));

/** x (contiguous, of `shape`) permuted by `perm`, computed element by element. */
function permuted(x: ArrayLike<number>, shape: number[], perm: number[]): number[] {
  const out: number[] = [], ps = perm.map((d) => shape[d]!);
  const st = shape.map((_n, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const idx = ps.map(() => 0), total = ps.reduce((a, b) => a * b, 1);
  for (let i = 0; i < total; i++) {
    out.push(x[idx.reduce((o, v, k) => o + v * st[perm[k]!]!, 0)]!);
    for (let k = ps.length - 1; k >= 0 && ++idx[k]! === ps[k]; k--) idx[k] = 0;
  }
  return out;
}

describe('CPU copies of rank > 2 in small blocks', () => {
  for (const n of [1, 2, 3]) it(`match a JavaScript permutation, float32 and int32 (${n} threads)`, () => {
    torch.setNumThreads(n);
    const cases: [number[], number[]][] = [[[16, 64, 4, 32], [0, 2, 1, 3]], [[2, 8, 3, 4, 32], [2, 0, 3, 1, 4]], [[5, 3, 7, 2], [3, 1, 0, 2]], [[64, 16, 3, 4, 32], [1, 2, 3, 0, 4]]];
    for (const [shape, perm] of cases) {
      for (const dtype of ['float32', 'int32'] as const) {
        const x = dtype === 'float32' ? torch.randn(shape) : torch.randint(-1000, 1000, shape, { dtype: 'int32' });
        const before = cpu.fusedStats();
        const y = x.permute(perm).contiguous();
        const used = cpu.fusedStats();
        expect(Array.from(y.dataSync() as ArrayLike<number>), `${dtype} [${shape}] by [${perm}]`).toEqual(permuted(x.dataSync() as ArrayLike<number>, shape, perm));
        expect(used.compiled + used.hits, 'the generated kernel ran').toBeGreaterThan(before.compiled + before.hits);
      }
    }
  });
});

describe('CPU copies from one broadcast element', () => {
  // zeros(()).expand(shape) made dense (gather's gradient) is a fill with the element's bits.
  /** Raw bits of each element (a float32 NaN's payload, -0's sign). */
  const bits = (a: ArrayLike<number>): number[] => Array.from(a instanceof Float32Array ? new Int32Array(a.buffer, a.byteOffset, a.length) : a, Number);
  for (const n of [1, 2]) it(`keep the element's bits into dense and strided outputs (${n} threads)`, () => {
    torch.setNumThreads(n);
    const nan = new Float32Array(new Int32Array([0x7fc12345]).buffer); // a NaN with a payload
    const ones = [torch.tensor(nan), torch.tensor([-0]), torch.tensor([-7], { dtype: 'int32' }), torch.tensor([200], { dtype: 'uint8' }), torch.tensor([true])];
    expect(bits(ones[0]!.dataSync() as Float32Array)).toEqual([0x7fc12345]);
    for (const one of ones) {
      const b = bits(one.dataSync() as ArrayLike<number>)[0]!;
      for (const shape of [[16, 4, 784], [3, 1, 5]]) {
        const want = new Array<number>(shape.reduce((p, q) => p * q, 1)).fill(b);
        expect(bits(one.reshape([]).expand(shape).contiguous().dataSync() as ArrayLike<number>), `${one.dtype} dense [${shape}]`).toEqual(want);
        // Into a strided view (every other column of a wider tensor): the rest stays untouched.
        const wide = torch.zeros([...shape.slice(0, -1), 2 * shape.at(-1)!], { dtype: one.dtype });
        wide.slice(-1, 0, null, 2).copy_(one.reshape([]).expand(shape));
        expect(bits(wide.slice(-1, 0, null, 2).contiguous().dataSync() as ArrayLike<number>), `${one.dtype} strided [${shape}]`).toEqual(want);
        expect(bits(wide.slice(-1, 1, null, 2).contiguous().dataSync() as ArrayLike<number>).every((v) => v === 0)).toBe(true);
      }
    }
  });
});
