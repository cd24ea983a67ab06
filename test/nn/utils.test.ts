// nn.utils: clipGradNorm_ vs PyTorch (test/fixtures/nn.json extra.clipGradNorm), clipGradValue_,
// parametersToVector / vectorToParameters.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectClose, fromEncoded, testDevices, torch, type Encoded } from '../helpers.js';

const nn = torch.nn;
interface ClipCase { normType: number | 'inf'; maxNorm: number; grads: Encoded[]; total: Encoded; clipped: Encoded[] }
const clip = (JSON.parse(readFileSync(new URL('../fixtures/nn.json', import.meta.url), 'utf8')) as { extra: { clipGradNorm: Record<string, ClipCase> } }).extra.clipGradNorm;

describe('clipGradNorm_ vs PyTorch', () => {
  for (const device of testDevices()) {
    for (const [name, c] of Object.entries(clip)) {
      it(`${device} ${name}`, async () => {
        const ps = c.grads.map((g) => {
          const p = new nn.Parameter(torch.zeros(g.shape, { device }));
          p.grad = fromEncoded(g, device);
          return p;
        });
        const total = nn.utils.clipGradNorm_(ps, c.maxNorm, { normType: c.normType });
        await expectClose(total, c.total, { atol: 1e-5, rtol: 1e-5 }, 'total norm');
        for (let i = 0; i < ps.length; i++) await expectClose(ps[i]!.grad!, c.clipped[i]!, { atol: 1e-6, rtol: 1e-5 }, `clipped grad ${i}`);
      });
    }
  }
  it('no gradients: total norm 0; errorIfNonfinite raises', () => {
    expect(nn.utils.clipGradNorm_([new nn.Parameter(torch.zeros(2))], 1).itemSync()).toBe(0);
    const p = new nn.Parameter(torch.zeros(2));
    p.grad = torch.tensor([Infinity, 1]);
    expect(() => nn.utils.clipGradNorm_(p, 1, { errorIfNonfinite: true })).toThrow(/non-finite/);
  });
});

describe('other utils', () => {
  it('clipGradValue_ clamps every gradient', () => {
    const p = new nn.Parameter(torch.zeros(4));
    p.grad = torch.tensor([-3, -0.5, 0.5, 3], { dtype: 'float32' });
    nn.utils.clipGradValue_([p], 1);
    expect(Array.from(p.grad.dataSync())).toEqual([-1, -0.5, 0.5, 1]);
  });
  it('parametersToVector and vectorToParameters are inverse', () => {
    const lin = new nn.Linear(3, 2);
    const v = nn.utils.parametersToVector(lin.parameters());
    expect(v.shape).toEqual([8]);
    expect(Array.from(v.dataSync().slice(0, 6))).toEqual(Array.from(lin.weight.dataSync()));
    nn.utils.vectorToParameters(torch.arange(8, { dtype: 'float32' }), lin.parameters());
    expect(lin.weight.tolistSync()).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(Array.from(lin.bias!.dataSync())).toEqual([6, 7]);
    expect(() => nn.utils.vectorToParameters(torch.zeros(5), lin.parameters())).toThrow(/expected \[8\]/);
  });
});

describe('rnn.padSequence', () => {
  it('pads to the longest sequence, time-major or batch-first, right or left', () => {
    const a = torch.tensor([1, 2, 3], { dtype: 'float32' }), b = torch.tensor([4], { dtype: 'float32' });
    expect(nn.utils.rnn.padSequence([a, b]).tolistSync()).toEqual([[1, 4], [2, 0], [3, 0]]);
    expect(nn.utils.rnn.padSequence([a, b], { batchFirst: true, paddingValue: -1 }).tolistSync()).toEqual([[1, 2, 3], [4, -1, -1]]);
    expect(nn.utils.rnn.padSequence([a, b], { batchFirst: true, paddingSide: 'left' }).tolistSync()).toEqual([[1, 2, 3], [0, 0, 4]]);
    const g = torch.randn(2, 3, { requiresGrad: true });
    nn.utils.rnn.padSequence([g, torch.zeros(4, 3)]).sum().backward();
    expect(Array.from(g.grad!.dataSync())).toEqual(new Array(6).fill(1));
  });
});

describe('rnn packing', () => {
  it('packPaddedSequence lays sequences out time step by time step; padPackedSequence inverts it', () => {
    // Batch-first [3, 3, 1]: lengths 2, 3, 1 (unsorted).
    const x = torch.tensor([[[1], [2], [0]], [[3], [4], [5]], [[6], [0], [0]]], { dtype: 'float32' });
    const p = nn.utils.rnn.packPaddedSequence(x, [2, 3, 1], { batchFirst: true, enforceSorted: false });
    expect(Array.from(p.batchSizes.dataSync())).toEqual([3, 2, 1]);
    expect(Array.from(p.data.reshape(-1).dataSync())).toEqual([3, 1, 6, 4, 2, 5]);
    expect(Array.from(p.sortedIndices!.dataSync())).toEqual([1, 0, 2]);
    const [padded, lens] = nn.utils.rnn.padPackedSequence(p, { batchFirst: true, paddingValue: -1 });
    expect(padded.reshape(3, 3).tolistSync()).toEqual([[1, 2, -1], [3, 4, 5], [6, -1, -1]]);
    expect(Array.from(lens.dataSync())).toEqual([2, 3, 1]);
  });
  it('packSequence and the sortedness check', () => {
    const seqs = [torch.ones(3, 2), torch.ones(1, 2)];
    expect(Array.from(nn.utils.rnn.packSequence(seqs).batchSizes.dataSync())).toEqual([2, 1, 1]);
    expect(() => nn.utils.rnn.packSequence([torch.ones(1, 2), torch.ones(3, 2)])).toThrow(/sorted in decreasing order/);
    expect(() => nn.utils.rnn.packPaddedSequence(torch.ones(3, 2), [3, 0])).toThrow(/greater than 0/);
  });
});
