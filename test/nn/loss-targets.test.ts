// Losses check their targets as PyTorch 1.13 does (texts checked with /usr/bin/python3):
// class-index losses reject an out-of-range class of either sign ("Target 5 is out of bounds.",
// "Target -3 is out of bounds."), except a target equal to ignoreIndex; on the CPU at once, on
// asynchronous devices when the loss (computed from the flagged target) is read. Regression losses
// whose target broadcasts against the input warn once, with PyTorch's UserWarning text.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isSynchronous, testDevices, torch } from '../helpers.js';
import type { Device, Tensor } from '../../src/index.js';

const F = torch.nn.functional;

/** f must fail with msg: thrown by the call on synchronous devices, by reading its result elsewhere. */
async function expectDataError(device: Device, f: () => Tensor, msg: string): Promise<void> {
  if (isSynchronous(device)) { expect(f).toThrow(msg); return; }
  await expect(f().data()).rejects.toThrow(msg);
}

afterEach(() => { vi.restoreAllMocks(); });

describe.each(testDevices())('loss targets (%s)', (device) => {
  const logits = () => torch.randn(3, 4, { device });
  const cls = (v: number[]) => torch.tensor(v, { dtype: 'int32', device });

  it('crossEntropy / nllLoss: a class out of range, of either sign, is PyTorch\'s "Target N is out of bounds."', async () => {
    await expectDataError(device, () => F.crossEntropy(logits(), cls([0, 5, 1])), 'crossEntropy: Target 5 is out of bounds.');
    await expectDataError(device, () => F.crossEntropy(logits(), cls([0, -3, 1])), 'crossEntropy: Target -3 is out of bounds.');
    await expectDataError(device, () => F.crossEntropy(logits(), cls([0, 4, 1]), { labelSmoothing: 0.1, weight: torch.ones(4, { device }) }), 'crossEntropy: Target 4 is out of bounds.');
    await expectDataError(device, () => F.nllLoss(logits(), cls([0, 5, 1]), { reduction: 'none' }), 'nllLoss: Target 5 is out of bounds.');
    await expectDataError(device, () => F.nllLoss(torch.randn(2, 4, 3, { device }), torch.full([2, 3], -2, { dtype: 'int32', device })), 'nllLoss: Target -2 is out of bounds.');
    await expectDataError(device, () => F.nllLoss(torch.randn(4, { device }), torch.tensor(7, { dtype: 'int32', device })), 'nllLoss: Target 7 is out of bounds.');
  });

  it('a target equal to ignoreIndex is not checked (default -100, or any value given)', async () => {
    const x = torch.tensor([[0, 0, 0, 0], [1, 2, 3, 4], [0, 0, 0, 0]], { dtype: 'float32', device });
    // Only rows 0 and 2 count: each is log(4) for uniform logits.
    for (const [t, ignoreIndex] of [[[0, -100, 1], undefined], [[0, -1, 1], -1], [[0, 4, 1], 4]] as const) {
      const loss = F.crossEntropy(x, cls([...t]), ignoreIndex === undefined ? {} : { ignoreIndex });
      expect(Number(await loss.item())).toBeCloseTo(Math.log(4), 6);
    }
  });

  it('every target ignored: the loss is NaN but the gradients are 0, as PyTorch (a batch of padding must not poison the weights)', async () => {
    // PyTorch 1.13: F.cross_entropy(zeros(3,4), [-100]*3) is nan and x.grad is all 0, with label
    // smoothing and class weights too; nll_loss the same.
    const none = cls([-100, -100, -100]);
    const cases: [string, (x: Tensor) => Tensor][] = [
      ['crossEntropy', (x) => F.crossEntropy(x, none)],
      ['crossEntropy labelSmoothing', (x) => F.crossEntropy(x, none, { labelSmoothing: 0.1 })],
      ['crossEntropy weight', (x) => F.crossEntropy(x, none, { weight: torch.tensor([1, 2, 3, 4], { device }) })],
      ['crossEntropy weight labelSmoothing', (x) => F.crossEntropy(x, none, { weight: torch.tensor([1, 2, 3, 4], { device }), labelSmoothing: 0.2 })],
      ['nllLoss', (x) => F.nllLoss(x, none)],
    ];
    for (const [what, f] of cases) {
      const x = torch.zeros([3, 4], { device }).requiresGrad_(true);
      const loss = f(x);
      loss.backward();
      expect(Number.isNaN(Number(await loss.item())), what).toBe(true);
      expect(Array.from(await x.grad!.data()), what).toEqual(new Array(12).fill(0));
    }
    // One target kept: PyTorch's value and gradients (weights 1..4, target 2 of row 2 only: grad row 2 = softmax - onehot).
    const x = torch.zeros([3, 4], { device }).requiresGrad_(true);
    const loss = F.crossEntropy(x, cls([-100, -100, 2]), { weight: torch.tensor([1, 2, 3, 4], { device }) });
    loss.backward();
    expect(Number(await loss.item())).toBeCloseTo(Math.log(4), 6);
    const g = Array.from(await x.grad!.data());
    [0, 0, 0, 0, 0, 0, 0, 0, 0.25, 0.25, -0.75, 0.25].forEach((v, i) => expect(g[i]).toBeCloseTo(v, 6));
  });

  it('a float class-index target or an integer probability target says which kind it must be', () => {
    expect(() => F.crossEntropy(logits(), torch.tensor([0, 1, 2], { dtype: 'float32', device }))).toThrow(
      "crossEntropy: expected scalar type Long but found float32: a target of shape [3] holds class indices and must be an integer tensor (target.long()); class probabilities have the input's shape [3, 4]");
    expect(() => F.crossEntropy(logits(), torch.zeros([3, 4], { dtype: 'int32', device }))).toThrow(
      "crossEntropy: a target of the input's shape [3, 4] holds class probabilities and must be floating point, got int32 (target.float()); class indices have shape [3]");
  });

  it('embedding: an index outside [0, num_embeddings) is PyTorch\'s "index out of range in self"', async () => {
    const e = new torch.nn.Embedding(5, 2).to(device);
    await expectDataError(device, () => e.forward(cls([1, 5])), 'embedding: index out of range in self (index 5, num_embeddings 5)');
    await expectDataError(device, () => F.embedding(cls([-1]), torch.randn(5, 2, { device })), 'embedding: index out of range in self (index -1, num_embeddings 5)');
  });

  it('multiMarginLoss and multilabelMarginLoss check their class indices', async () => {
    await expectDataError(device, () => F.multiMarginLoss(logits(), cls([0, 5, 1])), 'multiMarginLoss: target out of range: 5 is not a class index in [0, 3]');
    await expectDataError(device, () => F.multiMarginLoss(logits(), cls([0, -1, 1])), 'multiMarginLoss: target out of range: -1 is not a class index in [0, 3]');
    const mlm = (row: number[]) => F.multilabelMarginLoss(logits(), cls([...row, ...row, ...row]).reshape(3, 4));
    await expectDataError(device, () => mlm([0, 5, -1, 0]), "multilabelMarginLoss: argument #2 'target' is out of range: 5 is neither a class index in [0, 3] nor -1");
    await expectDataError(device, () => mlm([0, -1, -5, 0]), "multilabelMarginLoss: argument #2 'target' is out of range: -5 is neither a class index in [0, 3] nor -1");
    expect(Number.isFinite(Number(await mlm([3, 0, -1, 1]).item()))).toBe(true);
  });

  it('mseLoss / l1Loss / smoothL1Loss / huberLoss warn once when the target broadcasts', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const n = 5 + testDevices().indexOf(device); // a message per device: each is shown once per process
    const x = torch.ones(n, 1, { device }), y = torch.zeros(n, { device });
    const text = (op: string) => `UserWarning: ${op}: Using a target size (torch.Size([${n}])) that is different to the input size (torch.Size([${n}, 1])). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.`;
    for (let i = 0; i < 3; i++) {
      expect(Number(await F.mseLoss(x, y).item())).toBe(1); // broadcast to [n, n], as PyTorch computes it
      F.l1Loss(x, y); F.smoothL1Loss(x, y); F.huberLoss(x, y);
      F.mseLoss(y, y); // same shapes: no warning
    }
    expect(warn.mock.calls.map((c) => c[0])).toEqual(['mseLoss', 'l1Loss', 'smoothL1Loss', 'huberLoss'].map(text));
  });
});
