// torch.compile's copy forwarding (src/compile/program.ts `forwardCopies`) and reshaped joins in
// fusion: a cat whose result is only permuted into another buffer writes its pieces there directly
// (the attention's q/k/v gradients into the packed projection's layout), and an elementwise op reading
// a copy's result through a reshape joins the copy's kernel. Checked on every test device against the
// same code run eagerly, bit for bit, with the kernel counts the passes promise.

import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { realBackend } from '../../src/backends/registry.js';
import { testDevices } from '../helpers.js';

const bits = async (t: Tensor) => Array.from(new Uint32Array((await t.detach().contiguous().data() as Float32Array).slice().buffer));

describe('copy forwarding and reshaped joins', () => {
  for (const device of testDevices()) {
    const fuses = typeof realBackend(device).fused === 'function';

    it(`a cat read only through a permuting reshape writes its pieces into the result (${device})`, async () => {
      torch.manualSeed(1);
      const [a, b, c] = [0, 1, 2].map(() => torch.randn([2, 5, 3, 4]).to(device).transpose(1, 2)); // strided pieces
      // [3, 2, 3, 5, 4] -> [2, 5, 3, 3, 4] (a permutation) -> [10, 36]: one copy moves the cat's result.
      const f = (a: Tensor, b: Tensor, c: Tensor) => torch.stack([a, b, c]).permute([1, 3, 0, 2, 4]).reshape([10, 36]).mul(2);
      const cf = torch.compile(f);
      for (let i = 0; i < 2; i++) expect(await bits(cf(a!, b!, c!))).toEqual(await bits(f(a!, b!, c!)));
      if (!fuses) return;
      const info = cf.compileInfo.forward!;
      expect(info.forwarded).toBe(3);
      expect(info.kernels).toBe(4); // three pieces, then the multiply
    });

    it(`not forwarded where the cat's result is read elsewhere, or a piece would straddle dims (${device})`, async () => {
      torch.manualSeed(2);
      const a = torch.randn([4, 6]).to(device), b = torch.randn([4, 6]).to(device);
      const twice = (a: Tensor, b: Tensor) => { const t = torch.cat([a, b]); return [t.t().reshape([48]), t.sum()]; };
      // Pieces [4, 6] of [8, 6] read as [6, 8] transposed then flattened: each piece's rows stay in one dim.
      const straddle = (a: Tensor, b: Tensor) => torch.cat([a.reshape([24]), b.reshape([24])]).reshape([6, 8]).t().reshape([48]);
      for (const f of [twice, straddle]) {
        const cf = torch.compile(f);
        for (let i = 0; i < 2; i++) {
          const [e, c] = [[f(a, b)].flat(), [cf(a, b)].flat()];
          for (let k = 0; k < e.length; k++) expect(await bits(c[k]!)).toEqual(await bits(e[k]!));
        }
        if (fuses && f === twice) expect(cf.compileInfo.forward!.forwarded).toBe(0);
      }
    });

    it(`an op reading a copy's result through a reshape joins the copy's kernel (${device})`, async () => {
      torch.manualSeed(4);
      const x = torch.randn([6, 10]).to(device);
      const f = (x: Tensor) => x.t().reshape([60]).mul(2).add(1); // the copy's result is [10, 6], read as [60]
      const cf = torch.compile(f);
      for (let i = 0; i < 2; i++) expect(await bits(cf(x))).toEqual(await bits(f(x)));
      if (fuses) expect(cf.compileInfo.forward!.kernels).toBe(1);
    });

    it(`attention's packed projection: gradients eager's bits with the permuting copy gone (${device})`, async () => {
      torch.manualSeed(3);
      const mha = new torch.nn.MultiheadAttention(32, 4, { batchFirst: true }).to(device);
      const x = torch.randn([3, 7, 32]).to(device);
      const f = (x: Tensor) => mha.forward(x, x, x, { needWeights: false })[0];
      const run = async (fn: typeof f) => {
        mha.zeroGrad();
        fn(x).square().sum().backward();
        return Promise.all(mha.parameters().map((p) => bits(p.grad!)));
      };
      const cf = torch.compile(f);
      const eager = await run(f);
      for (let i = 0; i < 2; i++) expect(await run(cf)).toEqual(eager);
      if (fuses) expect(cf.compileInfo.backward!.forwarded).toBe(3);
    });
  }
});
