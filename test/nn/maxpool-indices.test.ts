// nn.MaxPool1d/2d/3d({ returnIndices: true }) vs PyTorch 1.13 (test/fixtures/maxpool_indices_fixtures.py):
// [output, indices] from the module, and nn.MaxUnpool fed from it. Inputs hold ties, so the indices also
// check that the first maximum in scan order wins.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testDevices, torch } from '../helpers.js';
import type { Device, Tensor } from '../../src/index.js';

/** Non-finite values travel as strings in the fixture JSON. */
type Num = number | 'nan' | 'inf' | '-inf';
interface Case { shape: number[]; x?: Num[]; out: Num[]; outShape: number[]; idx: number[]; unpool?: number[] }
const num = (v: Num): number => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v);
const cases = JSON.parse(readFileSync(new URL('../fixtures/maxpool_indices.json', import.meta.url), 'utf8')) as Record<string, Case>;
const nn = torch.nn;

const input = (c: Case, device: Device): Tensor => {
  const n = c.shape.reduce((a, b) => a * b, 1);
  const values = c.x ? c.x.map(num) : Array.from({ length: n }, (_, i) => ((i * 7) % 11) - 5);
  return torch.tensor(values, { dtype: 'float32', device }).reshape(c.shape);
};

type Pool = { forward(x: Tensor): [Tensor, Tensor] };
const impls: Record<string, { pool: () => Pool; unpool?: (o: Tensor, i: Tensor, size: number[]) => Tensor }> = {
  '1d/k3s2p1': {
    pool: () => new nn.MaxPool1d(3, { stride: 2, padding: 1, returnIndices: true }),
    unpool: (o, i, size) => new nn.MaxUnpool1d(3, { stride: 2, padding: 1 }).forward(o, i, size.slice(-1)),
  },
  '1d/unbatched-dil2': { pool: () => new nn.MaxPool1d(2, { dilation: 2, returnIndices: true }) },
  '2d/k3s2p1-ceil': {
    pool: () => new nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true, returnIndices: true }),
    unpool: (o, i, size) => new nn.MaxUnpool2d(3, { stride: 2, padding: 1 }).forward(o, i, size.slice(-2)),
  },
  '2d/k2': { pool: () => new nn.MaxPool2d(2, { returnIndices: true }), unpool: (o, i) => new nn.MaxUnpool2d(2).forward(o, i) },
  '2d/unbatched-dil': { pool: () => new nn.MaxPool2d(2, { stride: 1, dilation: [1, 2], returnIndices: true }) },
  '3d/k2-s122': { pool: () => new nn.MaxPool3d(2, { stride: [1, 2, 2], returnIndices: true }) },
  '3d/unbatched-k3s2p1': { pool: () => new nn.MaxPool3d(3, { stride: 2, padding: 1, returnIndices: true }) },
  '3d/dil-ceil': { pool: () => new nn.MaxPool3d([2, 2, 3], { stride: 2, dilation: [2, 1, 1], ceilMode: true, returnIndices: true }) },
  '2d/nan-inf-k2': { pool: () => new nn.MaxPool2d(2, { returnIndices: true }) },
  '2d/nan-inf-k3s1p1': { pool: () => new nn.MaxPool2d(3, { stride: 1, padding: 1, returnIndices: true }) },
  '2d/nan-inf-wide-k2s1': { pool: () => new nn.MaxPool2d([1, 2], { stride: 1, returnIndices: true }) },
};

describe('nn.MaxPool*d returnIndices vs PyTorch', () => {
  it('every fixture case has an implementation and vice versa', () => {
    expect(Object.keys(impls).sort()).toEqual(Object.keys(cases).sort());
  });
  it('without returnIndices forward returns the output tensor alone', () => {
    const x = input({ shape: [1, 2, 4, 6], out: [], outShape: [], idx: [] }, 'cpu');
    const plain = new nn.MaxPool2d(2).forward(x);
    const [out] = new nn.MaxPool2d(2, { returnIndices: true }).forward(x);
    expect(Array.from(plain.dataSync())).toEqual(Array.from(out.dataSync()));
  });
  for (const device of testDevices()) {
    describe(device, () => {
      for (const [name, c] of Object.entries(cases)) {
        it(name, async () => {
          const impl = impls[name]!;
          const [out, idx] = impl.pool().forward(input(c, device));
          expect(out.shape).toEqual(c.outShape);
          expect(idx.shape).toEqual(c.outShape);
          expect(idx.dtype).toBe('int32');
          expect(Array.from(await out.data())).toEqual(c.out.map(num)); // toEqual: NaN equals NaN
          expect(Array.from(await idx.data())).toEqual(c.idx);
          if (impl.unpool) expect(Array.from(await impl.unpool(out, idx, c.shape).data())).toEqual(c.unpool);
        });
      }
    });
  }
});

describe('max pooling of integer tensors pads below every value', () => {
  // PyTorch 1.13 has no integer max pooling to compare with; the expected values are the window
  // maxima over real elements only (padding must never win), worked out by hand.
  for (const device of testDevices()) {
    it(`int32 with padding on ${device}`, async () => {
      const F = torch.nn.functional;
      const x = torch.tensor([[[-1, -2], [-3, -4]]], { dtype: 'int32', device });
      expect(await F.maxPool2d(x, 2, { padding: 1 }).tolist()).toEqual([[[-1, -2], [-3, -4]]]);
      expect(await F.maxPool1d(torch.tensor([[-5, -6, -7]], { dtype: 'int32', device }), 2, { padding: 1 }).tolist()).toEqual([[-5, -6]]);
      const x3 = torch.tensor([[[[-5, -6], [-7, -8]]]], { dtype: 'int32', device });
      expect(await F.maxPool3d(x3, 2, { padding: 1 }).tolist()).toEqual([[[[-5, -6], [-7, -8]]]]);
    });
  }
});

describe('adaptive max pooling with returnIndices', () => {
  // Expected values printed by PyTorch 1.13 for the same inputs (sin/cos of aranges, built identically).
  const F = torch.nn.functional;
  for (const device of testDevices()) {
    it(`F.adaptiveMaxPool1d/2d/3d and nn.AdaptiveMaxPool2d: indices, values and gradient as PyTorch on ${device}`, async () => {
      const x = torch.arange(70, { device }).mul(1.3).sin().reshape(1, 2, 5, 7).requiresGrad_(true);
      const [o, i] = F.adaptiveMaxPool2d(x, [3, 4], true);
      expect(i.dtype).toBe('int32'); // PyTorch's int64 (README: int32 for int64)
      expect(Array.from(await i.data())).toEqual([1, 1, 11, 6, 21, 16, 11, 20, 21, 30, 25, 26, 0, 10, 5, 5, 15, 24, 24, 19, 29, 29, 24, 34]);
      const want = [0.963558, 0.963558, 0.986772, 0.998543, 0.827328, 0.928796, 0.986772, 0.762558, 0.827328, 0.963795, 0.88387, 0.687122,
        0.998591, 0.928467, 0.986628, 0.986628, 0.826829, 0.964031, 0.964031, 0.884284, 0.998637, 0.998637, 0.964031, 0.986483];
      Array.from(await o.data()).forEach((v, k) => expect(v).toBeCloseTo(want[k]!, 5));
      expect(Array.from(await (F.adaptiveMaxPool2d(x, [3, 4]) as Tensor).data())).toEqual(Array.from(await o.data())); // the values path agrees
      o.mul(torch.arange(24, { device }).reshape(o.shape)).sum().backward();
      const g = [0, 1, 0, 0, 0, 0, 3, 0, 0, 0, 0, 8, 0, 0, 0, 0, 5, 0, 0, 0, 7, 12, 0, 0, 0, 10, 11, 0, 0, 0, 9, 0, 0, 0, 0, 12, 0, 0, 0, 0,
        29, 0, 0, 0, 0, 13, 0, 0, 0, 0, 16, 0, 0, 0, 19, 0, 0, 0, 0, 57, 0, 0, 0, 0, 41, 0, 0, 0, 0, 23];
      expect(Array.from(await x.grad!.data())).toEqual(g);
      const x1 = torch.arange(22, { device }).mul(0.7).cos().reshape(2, 11);
      expect(await F.adaptiveMaxPool1d(x1, 4, { returnIndices: true })[1].tolist()).toEqual([[0, 2, 8, 9], [0, 5, 7, 8]]);
      const x3 = torch.arange(60, { device }).mul(0.9).sin().reshape(1, 3, 4, 5);
      expect(Array.from(await F.adaptiveMaxPool3d(x3, [2, 2, 3], true)[1].data())).toEqual([1, 2, 9, 16, 16, 38, 45, 23, 23, 30, 37, 58]);
      const m = new torch.nn.AdaptiveMaxPool2d([2, 2], true);
      expect(Array.from(await m.forward(x.detach())[1].data())).toEqual([1, 6, 30, 25, 0, 5, 29, 34]);
      expect(new torch.nn.AdaptiveMaxPool2d(2).forward(x.detach()).shape).toEqual([1, 2, 2, 2]); // no indices: a Tensor
    });
  }
});
