// torch.nn modules vs PyTorch (test/fixtures/gen_nn.py -> nn.json): each case builds the module,
// loads PyTorch's state_dict, and compares outputs, input and parameter gradients, and the state
// after the forward pass (running statistics), on every available device.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectClose, fromEncoded, testDevices, torch, type Encoded } from '../helpers.js';
import type { Device, Tensor } from '../../src/index.js';

const nn = torch.nn;
type Module = InstanceType<typeof nn.Module>;

interface NNCase {
  state: Record<string, Encoded>;
  inputs: Encoded[];
  outs: Encoded[];
  gouts?: (Encoded | null)[];
  inputGrads?: (Encoded | null)[];
  paramGrads?: Record<string, Encoded>;
  after: Record<string, Encoded>;
  tol?: { atol?: number; rtol?: number };
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/nn.json', import.meta.url), 'utf8')) as { cases: Record<string, NNCase>; extra: { floatMask: Encoded } };
const floatMask = fromEncoded(fixture.extra.floatMask, 'cpu');

type Out = Tensor | Tensor[];
interface Impl { build: () => Module; fwd?: (m: Module, ...xs: Tensor[]) => Out; train?: boolean }
const call = (m: Module, ...xs: Tensor[]): Out => nn.runModule(m, ...xs) as Out;
const lstmOuts = (m: Module, ...xs: Tensor[]): Out => {
  const [o, [h, c]] = (m as InstanceType<typeof nn.LSTM>).forward(xs[0]!, xs.length > 1 ? [xs[1]!, xs[2]!] : null);
  return [o, h, c];
};
const attnMask = () => torch.tensor([[false, true, false, false], [false, false, true, false], [false, false, false, false]]);
const kpm = () => torch.tensor([[false, false, false, true], [false, false, false, false]]);
type MHA = InstanceType<typeof nn.MultiheadAttention>;

const impls: Record<string, Impl> = {
  Linear: { build: () => new nn.Linear(4, 3) },
  'Linear/nobias': { build: () => new nn.Linear(4, 3, { bias: false }) },
  Bilinear: { build: () => new nn.Bilinear(3, 4, 2) },
  PReLU: { build: () => new nn.PReLU(3, 0.1) },
  'Conv2d/groups-stride-padding': { build: () => new nn.Conv2d(4, 6, 3, { stride: 2, padding: 1, groups: 2 }) },
  'Conv2d/dilation-rect-nobias': { build: () => new nn.Conv2d(3, 2, [2, 3], { dilation: [2, 1], padding: [1, 0], bias: false }) },
  'Conv2d/same-reflect': { build: () => new nn.Conv2d(2, 3, 3, { padding: 1, paddingMode: 'reflect' }) },
  'Conv2d/padding-same': { build: () => new nn.Conv2d(2, 2, [3, 4], { padding: 'same' }) },
  Conv1d: { build: () => new nn.Conv1d(3, 4, 3, { stride: 2, padding: 2 }) },
  ConvTranspose2d: { build: () => new nn.ConvTranspose2d(4, 2, 3, { stride: 2, padding: 1, outputPadding: 1 }) },
  'ConvTranspose2d/groups': { build: () => new nn.ConvTranspose2d(4, 6, [2, 3], { stride: [1, 2], groups: 2 }) },
  ConvTranspose1d: { build: () => new nn.ConvTranspose1d(2, 3, 4, { stride: 3, padding: 1 }) },
  MaxPool2d: { build: () => new nn.MaxPool2d(2) },
  'MaxPool2d/stride-padding-ceil': { build: () => new nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }) },
  MaxPool1d: { build: () => new nn.MaxPool1d(3, { stride: 2 }) },
  AvgPool2d: { build: () => new nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }) },
  AvgPool1d: { build: () => new nn.AvgPool1d(2) },
  AdaptiveAvgPool2d: { build: () => new nn.AdaptiveAvgPool2d([2, 3]) },
  AdaptiveAvgPool1d: { build: () => new nn.AdaptiveAvgPool1d(3) },
  AdaptiveMaxPool2d: { build: () => new nn.AdaptiveMaxPool2d(2) },
  Conv3d: { build: () => new nn.Conv3d(2, 4, [2, 3, 2], { stride: [1, 2, 1], padding: 1, groups: 2 }) },
  ConvTranspose3d: { build: () => new nn.ConvTranspose3d(2, 3, 2, { stride: 2 }) },
  MaxPool3d: { build: () => new nn.MaxPool3d(2, { stride: [1, 2, 2] }) },
  AvgPool3d: { build: () => new nn.AvgPool3d(2, { padding: 1, countIncludePad: false }) },
  AdaptiveAvgPool3d: { build: () => new nn.AdaptiveAvgPool3d([2, 1, 3]) },
  AdaptiveMaxPool1d: { build: () => new nn.AdaptiveMaxPool1d(3) },
  LPPool2d: { build: () => new nn.LPPool2d(2, 2) },
  LocalResponseNorm: { build: () => new nn.LocalResponseNorm(3) },
  ChannelShuffle: { build: () => new nn.ChannelShuffle(2) },
  MultiMarginLoss: { build: () => new nn.MultiMarginLoss({ p: 2, margin: 0.7 }) },
  MultiLabelSoftMarginLoss: { build: () => new nn.MultiLabelSoftMarginLoss() },
  CTCLoss: { build: () => new nn.CTCLoss(), fwd: (m, x, t) => (m as InstanceType<typeof nn.CTCLoss>).forward(x!.logSoftmax(2), t!, [6, 5], [3, 2]) },
  'Flatten-Sequential': { build: () => new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(8, 3)) },
  'RNNCell/relu': { build: () => new nn.RNNCell(3, 4, { nonlinearity: 'relu' }) },
  LSTMCell: { build: () => new nn.LSTMCell(3, 4), fwd: (m, x, h, c) => (m as InstanceType<typeof nn.LSTMCell>).forward(x!, [h!, c!]) },
  'GRUCell/unbatched-nobias': { build: () => new nn.GRUCell(3, 4, { bias: false }) },
  'InstanceNorm2d/affine-track': { build: () => new nn.InstanceNorm2d(3, { affine: true, trackRunningStats: true }) },
  InstanceNorm1d: { build: () => new nn.InstanceNorm1d(3) },
  ZeroPad2d: { build: () => new nn.ZeroPad2d([1, 2, 0, 1]) },
  ReflectionPad2d: { build: () => new nn.ReflectionPad2d(1) },
  'Upsample/bilinear': { build: () => new nn.Upsample({ scaleFactor: 2, mode: 'bilinear', alignCorners: false }) },
  PixelShuffle: { build: () => new nn.PixelShuffle(2) },
  CosineSimilarity: { build: () => new nn.CosineSimilarity({ dim: 1 }) },
  TransformerDecoderLayer: {
    build: () => new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 16, dropout: 0 }),
    fwd: (m, t, mem) => (m as InstanceType<typeof nn.TransformerDecoderLayer>).forward(t!, mem!, {
      tgtMask: torch.ones(3, 3).triu(1).gt(0).to(t!.device), memoryKeyPaddingMask: kpm().to(t!.device),
    }),
  },
  Transformer: {
    build: () => new nn.Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 2, dimFeedforward: 16, dropout: 0, batchFirst: true, normFirst: true }),
    fwd: (m, s, t) => (m as InstanceType<typeof nn.Transformer>).forward(s!, t!, { tgtMask: nn.Transformer.generateSquareSubsequentMask(3, { device: s!.device }) }),
  },
  'Transformer/all-masks': {
    build: () => new nn.Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 16, dropout: 0, batchFirst: true }),
    fwd: (m, s, t) => (m as InstanceType<typeof nn.Transformer>).forward(s!, t!, {
      srcMask: torch.tensor([[0, -1, 0, 0]], { dtype: 'float32' }).expand(4, 4).to(s!.device), tgtMask: nn.Transformer.generateSquareSubsequentMask(3, { device: s!.device }),
      srcKeyPaddingMask: kpm().to(s!.device), tgtKeyPaddingMask: torch.tensor([[false, false, true], [false, false, false]]).to(s!.device),
      memoryKeyPaddingMask: kpm().to(s!.device),
    }),
  },
  'CrossEntropyLoss/weight-ignore-smoothing': { build: () => new nn.CrossEntropyLoss({ weight: torch.ones(5), ignoreIndex: 3, labelSmoothing: 0.1 }) },
  'CrossEntropyLoss/sum': { build: () => new nn.CrossEntropyLoss({ reduction: 'sum' }) },
  NLLLoss: { build: () => new nn.NLLLoss({ weight: torch.ones(5) }) },
  MSELoss: { build: () => new nn.MSELoss() },
  'L1Loss/none': { build: () => new nn.L1Loss({ reduction: 'none' }) },
  SmoothL1Loss: { build: () => new nn.SmoothL1Loss({ beta: 0.5 }) },
  HuberLoss: { build: () => new nn.HuberLoss({ delta: 0.7 }) },
  BCELoss: { build: () => new nn.BCELoss() },
  'BCEWithLogitsLoss/pos_weight': { build: () => new nn.BCEWithLogitsLoss({ posWeight: torch.ones(4) }) },
  'KLDivLoss/batchmean': { build: () => new nn.KLDivLoss({ reduction: 'batchmean' }) },
  'BatchNorm2d/train': { build: () => new nn.BatchNorm2d(3) },
  'BatchNorm2d/momentum-none': { build: () => new nn.BatchNorm2d(3, { momentum: null }) },
  'BatchNorm2d/eval': { build: () => new nn.BatchNorm2d(3), train: false },
  'BatchNorm1d/train': { build: () => new nn.BatchNorm1d(5, { momentum: 0.3 }) },
  'BatchNorm1d/3d-noaffine': { build: () => new nn.BatchNorm1d(4, { affine: false }) },
  'BatchNorm2d/no-running-stats-eval': { build: () => new nn.BatchNorm2d(3, { trackRunningStats: false }), train: false },
  LayerNorm: { build: () => new nn.LayerNorm(5) },
  'LayerNorm/2d-shape': { build: () => new nn.LayerNorm([4, 5], { eps: 1e-3 }) },
  GroupNorm: { build: () => new nn.GroupNorm(2, 6) },
  'Embedding/padding': { build: () => new nn.Embedding(10, 4, { paddingIdx: 1 }) },
  'EmbeddingBag/2d-mean-padding': { build: () => new nn.EmbeddingBag(8, 3, { mode: 'mean', paddingIdx: 0 }) },
  'EmbeddingBag/offsets-sum-weights': {
    build: () => new nn.EmbeddingBag(8, 3, { mode: 'sum' }),
    fwd: (m, x, o, w) => (m as InstanceType<typeof nn.EmbeddingBag>).forward(x!, o!, w!),
  },
  'EmbeddingBag/offsets-max-last': {
    build: () => new nn.EmbeddingBag(8, 3, { mode: 'max', includeLastOffset: true }),
    fwd: (m, x, o) => (m as InstanceType<typeof nn.EmbeddingBag>).forward(x!, o!),
  },
  'Embedding/max-norm': { build: () => new nn.Embedding(6, 3, { maxNorm: 1 }) },
  'RNN/tanh-2layer-bidir': { build: () => new nn.RNN(3, 4, { numLayers: 2, bidirectional: true }) },
  'RNN/relu-batchfirst-h0': { build: () => new nn.RNN(3, 4, { nonlinearity: 'relu', batchFirst: true }) },
  'LSTM/2layer-bidir-batchfirst': { build: () => new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true }), fwd: lstmOuts },
  'LSTM/unbatched': { build: () => new nn.LSTM(3, 2), fwd: lstmOuts },
  'LSTM/packed-unsorted-bidir': {
    build: () => new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true }),
    fwd: (m, x) => {
      const packed = nn.utils.rnn.packPaddedSequence(x!, [3, 5, 2], { batchFirst: true, enforceSorted: false });
      const [out, [h, c]] = (m as InstanceType<typeof nn.LSTM>).forward(packed);
      return [nn.utils.rnn.padPackedSequence(out, { batchFirst: true })[0], h, c];
    },
  },
  'LSTM/proj-h0-c0': { build: () => new nn.LSTM(3, 5, { projSize: 2 }), fwd: lstmOuts },
  'LSTM/proj-2layer-bidir-batchfirst': { build: () => new nn.LSTM(3, 5, { numLayers: 2, bidirectional: true, batchFirst: true, projSize: 3 }), fwd: lstmOuts },
  'LSTM/proj-unbatched-nobias': { build: () => new nn.LSTM(2, 4, { projSize: 1, bias: false }), fwd: lstmOuts },
  'LSTM/proj-packed-unsorted-bidir': {
    build: () => new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true, projSize: 2 }),
    fwd: (m, x) => {
      const packed = nn.utils.rnn.packPaddedSequence(x!, [3, 5, 2], { batchFirst: true, enforceSorted: false });
      const [out, [h, c]] = (m as InstanceType<typeof nn.LSTM>).forward(packed);
      return [nn.utils.rnn.padPackedSequence(out, { batchFirst: true })[0], h, c];
    },
  },
  'GRU/packed-sorted-h0': {
    build: () => new nn.GRU(2, 3),
    fwd: (m, x, h0) => {
      const [out, h] = (m as InstanceType<typeof nn.GRU>).forward(nn.utils.rnn.packPaddedSequence(x!, [5, 3, 1]), h0!);
      return [nn.utils.rnn.padPackedSequence(out, { totalLength: 6 })[0], h];
    },
  },
  'GRU/2layer-bidir': { build: () => new nn.GRU(3, 4, { numLayers: 2, bidirectional: true }) },
  'GRU/nobias-h0': { build: () => new nn.GRU(2, 3, { bias: false }) },
  MultiheadAttention: { build: () => new nn.MultiheadAttention(8, 2) },
  'MultiheadAttention/masks-batchfirst': {
    build: () => new nn.MultiheadAttention(8, 2, { batchFirst: true }),
    fwd: (m, q, k, v) => (m as MHA).forward(q!, k!, v!, { attnMask: attnMask().to(q!.device), keyPaddingMask: kpm().to(q!.device) }) as Tensor[],
  },
  'MultiheadAttention/float-mask-per-head': {
    build: () => new nn.MultiheadAttention(8, 4, { batchFirst: true }),
    fwd: (m, q, k, v) => (m as MHA).forward(q!, k!, v!, { attnMask: floatMask.to(q!.device), averageAttnWeights: false }) as Tensor[],
  },
  'MultiheadAttention/kdim-vdim': { build: () => new nn.MultiheadAttention(8, 2, { kdim: 5, vdim: 6 }) },
  'MultiheadAttention/bias-kv-zero-attn-masks': {
    build: () => new nn.MultiheadAttention(8, 2, { addBiasKv: true, addZeroAttn: true }),
    fwd: (m, q, k, v) => (m as MHA).forward(q!, k!, v!, { attnMask: attnMask().to(q!.device), keyPaddingMask: kpm().to(q!.device) }) as Tensor[],
  },
  TransformerEncoderLayer: { build: () => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0 }) },
  'TransformerEncoderLayer/normfirst-gelu-batchfirst-kpm': {
    build: () => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, activation: 'gelu', normFirst: true, batchFirst: true }),
    fwd: (m, x) => (m as InstanceType<typeof nn.TransformerEncoderLayer>).forward(x!, { srcKeyPaddingMask: kpm().to(x!.device) }),
  },
  TransformerEncoder: {
    build: () => new nn.TransformerEncoder(new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0 }), 2, { norm: new nn.LayerNorm(8) }),
    fwd: (m, x) => (m as InstanceType<typeof nn.TransformerEncoder>).forward(x!, { mask: torch.ones(4, 4).triu(1).gt(0).to(x!.device) }),
  },
};
async function runNNCase(name: string, c: NNCase, impl: Impl, device: Device): Promise<void> {
  const m = impl.build().to(device);
  m.train(impl.train ?? true);
  const sd: Record<string, Tensor> = {};
  for (const [k, e] of Object.entries(c.state)) sd[k] = fromEncoded(e, device);
  expect(Object.keys(m.stateDict()), 'stateDict keys').toEqual(Object.keys(c.state));
  m.loadStateDict(sd);
  const xs = c.inputs.map((e) => fromEncoded(e, device, !!e.grad));
  const raw = (impl.fwd ?? call)(m, ...xs);
  const outs = (Array.isArray(raw) ? raw : [raw]);
  const tol = c.tol ?? { atol: 2e-5, rtol: 2e-4 };
  expect(outs.length, 'number of outputs').toBe(c.outs.length);
  for (let i = 0; i < outs.length; i++) await expectClose(outs[i]!, c.outs[i]!, tol, `${name} output ${i}`);
  if (c.gouts) {
    let loss: Tensor | null = null;
    c.gouts.forEach((g, i) => {
      if (!g) return;
      const term = outs[i]!.mul(fromEncoded(g, device)).sum();
      loss = loss ? loss.add(term) : term;
    });
    (loss as Tensor | null)!.backward();
    for (let i = 0; i < xs.length; i++) {
      const want = c.inputGrads?.[i];
      if (want) await expectClose(xs[i]!.grad!, want, tol, `${name} grad of input ${i}`);
    }
    const params = Object.fromEntries(m.namedParameters());
    for (const [k, want] of Object.entries(c.paramGrads ?? {})) {
      expect(params[k]?.grad, `grad of ${k}`).toBeTruthy();
      await expectClose(params[k]!.grad!, want, tol, `${name} grad of ${k}`);
    }
  }
  const after = m.stateDict();
  for (const [k, want] of Object.entries(c.after)) await expectClose(after[k]!, want, tol, `${name} state ${k} after forward`);
}

describe('nn modules vs PyTorch', () => {
  it('every fixture case has an implementation and vice versa', () => {
    expect(Object.keys(impls).filter((k) => !(k in fixture.cases))).toEqual([]);
    expect(Object.keys(fixture.cases).filter((k) => !(k in impls))).toEqual([]);
  });
  for (const device of testDevices()) {
    describe(device, () => {
      for (const [name, c] of Object.entries(fixture.cases)) {
        const impl = impls[name];
        if (impl) it(name, () => runNNCase(name, c, impl, device));
      }
    });
  }
});

describe('inter-layer RNN dropout', () => {
  it('is active in training only: eval matches PyTorch (no dropout), train differs', async () => {
    const c = fixture.cases['GRU/2layer-bidir']!;
    const gru = new nn.GRU(3, 4, { numLayers: 2, bidirectional: true, dropout: 0.5 });
    const sd: Record<string, Tensor> = {};
    for (const [k, e] of Object.entries(c.state)) sd[k] = fromEncoded(e, 'cpu');
    gru.loadStateDict(sd);
    const x = fromEncoded(c.inputs[0]!, 'cpu');
    gru.eval();
    await expectClose(gru.forward(x)[0], c.outs[0]!, { atol: 2e-5, rtol: 2e-4 }, 'eval output');
    gru.train();
    const trained = Array.from(gru.forward(x)[0].dataSync());
    gru.eval();
    const evald = Array.from(gru.forward(x)[0].dataSync());
    expect(trained.some((v, i) => Math.abs(v - evald[i]!) > 1e-4)).toBe(true);
  });
});

describe('LSTM projSize', () => {
  it('shapes, PyTorch\'s errors, and the repr', () => {
    const m = new nn.LSTM(3, 6, { numLayers: 2, bidirectional: true, projSize: 2 });
    expect(m.weight_hr_l1_reverse.shape).toEqual([2, 6]);
    expect(m.weight_hh_l0.shape).toEqual([24, 2]);
    expect(m.weight_ih_l1.shape).toEqual([24, 4]);
    const [o, [h, c]] = m.forward(torch.randn(5, 2, 3));
    expect([o.shape, h.shape, c.shape]).toEqual([[5, 2, 4], [4, 2, 2], [4, 2, 6]]);
    expect(() => m.forward(torch.randn(5, 2, 3), [torch.zeros(4, 2, 6), torch.zeros(4, 2, 6)])).toThrow(/Expected hidden size \[4, 2, 2\], got \[4, 2, 6\]/);
    expect(() => new nn.LSTM(3, 4, { projSize: 4 })).toThrow(/proj_size has to be smaller than hidden_size/);
    expect(() => new nn.LSTM(3, 4, { projSize: -1 })).toThrow(/proj_size should be a positive integer or zero/);
    expect(() => new nn.GRU(3, 4, { projSize: 2 })).toThrow(/proj_size argument is only supported for LSTM/);
    expect(m.toString()).toContain('proj_size=2');
  });
});

describe('ConvTranspose forward(x, outputSize)', () => {
  // PyTorch 1.13: ConvTranspose2d(2, 3, 3, stride=2, padding=1) on [1, 2, 4, 5] gives [1, 3, 8, 10] for
  // output_size [8, 10] and [1, 3, 7, 9] for [1, 3, 7, 9]; sizes outside [7, 9]..[8, 10] are refused.
  for (const device of testDevices()) {
    it(`picks the output padding PyTorch picks, and refuses sizes the stride cannot give, on ${device}`, async () => {
      torch.manualSeed(0);
      const up = new nn.ConvTranspose2d(2, 3, 3, { stride: 2, padding: 1 }).to(device);
      const x = torch.randn([1, 2, 4, 5]).to(device);
      const y = up.forward(x, [8, 10]);
      expect(y.shape).toEqual([1, 3, 8, 10]);
      const same = new nn.ConvTranspose2d(2, 3, 3, { stride: 2, padding: 1, outputPadding: 1 }).to(device);
      same.loadStateDict(up.stateDict());
      expect(Array.from(await y.data())).toEqual(Array.from(await same.forward(x).data()));
      expect(up.forward(x, [1, 3, 7, 9]).shape).toEqual([1, 3, 7, 9]);
      expect(up.forward(x.squeeze(0), [3, 8, 9]).shape).toEqual([3, 8, 9]); // unbatched: [C, *spatial] accepted too
      expect(() => up.forward(x, [10, 10])).toThrow('requested an output size of [10, 10], but valid sizes range from [7, 9] to [8, 10] (for an input of [4, 5])');
      expect(() => up.forward(x, [1, 2, 3])).toThrow('ConvTranspose2D: for 4D input, output_size must have 2 or 4 elements (got 3)');
      expect(new nn.ConvTranspose1d(2, 1, 4, { stride: 3 }).to(device).forward(torch.randn([1, 2, 5]).to(device), [18]).shape).toEqual([1, 1, 18]);
    });
  }
});

describe('EmbeddingBag.forward keywords', () => {
  it('{ offsets, perSampleWeights } (PyTorch\'s keywords) is the positional form (checked against PyTorch by the fixtures above)', async () => {
    torch.manualSeed(1);
    const m = new nn.EmbeddingBag(8, 3, { mode: 'sum' });
    const x = torch.tensor([1, 2, 4, 5, 4, 3, 2, 7], { dtype: 'int32' }), o = torch.tensor([0, 3, 5], { dtype: 'int32' }), w = torch.rand([8]);
    const want = Array.from(await m.forward(x, o, w).data());
    expect(Array.from(await m.forward(x, { offsets: o, perSampleWeights: w }).data())).toEqual(want);
    expect(Array.from(await m.forward(x, o, w).data())).not.toEqual(Array.from(await m.forward(x, o).data()));
    expect(() => new nn.EmbeddingBag(8, 3, { mode: 'mean' }).forward(x, { offsets: o, perSampleWeights: w })).toThrow(/per_sample_weights is only supported for mode='sum'/);
  });
});
