// torch.nn.functional vs PyTorch fixtures (test/fixtures/gen_functional.py): activations, linear,
// pad, interpolate, pixel shuffle, similarity, embedding, normalization layers and attention,
// forward and gradient, on every available device.
import { describe, expect, it } from 'vitest';
import { dataDependent, opSuite, torch, type CaseImpl, type OpImpl } from '../helpers.js';
import type { Tensor } from '../../src/index.js';

const F = torch.nn.functional;
const impls: Record<string, CaseImpl> = {};

const acts: Record<string, (x: Tensor) => Tensor> = {
  relu: (x) => F.relu(x), relu6: (x) => F.relu6(x.mul(4)), gelu: (x) => F.gelu(x), 'gelu/tanh': (x) => F.gelu(x, { approximate: 'tanh' }),
  silu: (x) => F.silu(x), mish: (x) => F.mish(x), softplus: (x) => F.softplus(x),
  'softplus/beta-threshold': (x) => F.softplus(x.mul(3), { beta: 2, threshold: 5 }),
  elu: (x) => F.elu(x), 'elu/alpha': (x) => F.elu(x, 0.5), selu: (x) => F.selu(x), celu: (x) => F.celu(x, 1.5),
  leakyRelu: (x) => F.leakyRelu(x), 'leakyRelu/slope': (x) => F.leakyRelu(x, 0.2), hardtanh: (x) => F.hardtanh(x.mul(2)),
  'hardtanh/range': (x) => F.hardtanh(x.mul(2), -0.5, 1.5), hardswish: (x) => F.hardswish(x.mul(4)),
  hardsigmoid: (x) => F.hardsigmoid(x.mul(4)), logsigmoid: (x) => F.logsigmoid(x), softsign: (x) => F.softsign(x),
  tanhshrink: (x) => F.tanhshrink(x), softshrink: (x) => F.softshrink(x), 'softshrink/lambd': (x) => F.softshrink(x, 1.0),
  hardshrink: (x) => F.hardshrink(x), 'hardshrink/lambd': (x) => F.hardshrink(x, 1.0), threshold: (x) => F.threshold(x, 0.1, 20.0),
  sigmoid: (x) => F.sigmoid(x), tanh: (x) => F.tanh(x),
};
for (const [name, f] of Object.entries(acts)) {
  impls[`act/${name}`] = (x) => f(x);
  impls[`act/${name}/transposed`] = (x) => f(x.t());
}

Object.assign(impls, {
  'act/softplus/large': (x) => F.softplus(x),
  'act/logsigmoid/large': (x) => F.logsigmoid(x),
  'act/elu/float64': (x) => F.elu(x),
  'act/rrelu/eval': (x) => F.rrelu(x, 0.1, 0.3),
  'act/glu': (x) => F.glu(x),
  'act/glu/dim0': (x) => F.glu(x, 0),
  'act/glu/odd': (x) => F.glu(x),
  'act/prelu': (x, w) => F.prelu(x, w!),
  'act/prelu/single': (x, w) => F.prelu(x, w!),
  'act/prelu/1d': (x, w) => F.prelu(x, w!),
  'act/prelu/bad-weight': (x, w) => F.prelu(x, w!),
  softmax: (x) => F.softmax(x, 1),
  'softmax/dim0': (x) => F.softmax(x, 0),
  logSoftmax: (x) => F.logSoftmax(x, -1),
  softmin: (x) => F.softmin(x, 1),

  linear: (x, w, b) => F.linear(x, w!, b!),
  'linear/nobias-batched': (x, w) => F.linear(x, w!),
  'linear/1d-weight': (x, w) => F.linear(x, w!),
  'linear/mismatch': (x, w) => F.linear(x, w!),
  bilinear: (a, b, w, bias) => F.bilinear(a, b!, w!, bias!),
  'bilinear/nobias': (a, b, w) => F.bilinear(a, b!, w!),

  'pad/constant': (x) => F.pad(x, [1, 2]),
  'pad/constant-value-2d': (x) => F.pad(x, [1, 0, 2, 1], { value: 1.5 }),
  'pad/constant-3dims': (x) => F.pad(x, [1, 1, 0, 2, 1, 0]),
  'pad/constant-negative': (x) => F.pad(x, [-1, 2, 1, -1]),
  'pad/reflect-1d': (x) => F.pad(x, [2, 3], { mode: 'reflect' }),
  'pad/reflect-2d': (x) => F.pad(x, [1, 2, 3, 1], { mode: 'reflect' }),
  'pad/replicate-1d': (x) => F.pad(x, [3, 1], { mode: 'replicate' }),
  'pad/replicate-2d': (x) => F.pad(x, [2, 1, 1, 3], { mode: 'replicate' }),
  'pad/replicate-3d': (x) => F.pad(x, [1, 1, 0, 2, 1, 0], { mode: 'replicate' }),
  'pad/circular-1d': (x) => F.pad(x, [2, 3], { mode: 'circular' }),
  'pad/circular-2d': (x) => F.pad(x, [1, 2, 2, 1], { mode: 'circular' }),
  'pad/reflect-too-big': (x) => F.pad(x, [3, 3], { mode: 'reflect' }),
  'pad/odd-length': (x) => F.pad(x, [1, 2, 3]),
  'pad/too-long': (x) => F.pad(x, [1, 1, 1, 1, 1, 1]),

  'interp/nearest-size': (x) => F.interpolate(x, { size: [5, 7] }),
  'interp/nearest-scale': (x) => F.interpolate(x, { scaleFactor: 2 }),
  'interp/nearest-down': (x) => F.interpolate(x, { size: [3, 4] }),
  'interp/nearest-frac-scale': (x) => F.interpolate(x, { scaleFactor: [1.5, 0.7] }),
  'interp/nearest-1d': (x) => F.interpolate(x, { size: 8 }),
  'interp/nearest-exact': (x) => F.interpolate(x, { size: [3, 9], mode: 'nearest-exact' }),
  'interp/bilinear': (x) => F.interpolate(x, { size: [5, 7], mode: 'bilinear', alignCorners: false }),
  'interp/bilinear-ac': (x) => F.interpolate(x, { size: [5, 7], mode: 'bilinear', alignCorners: true }),
  'interp/bilinear-scale': (x) => F.interpolate(x, { scaleFactor: 2, mode: 'bilinear' }),
  'interp/bilinear-down': (x) => F.interpolate(x, { size: [3, 4], mode: 'bilinear' }),
  'interp/bilinear-frac-scale': (x) => F.interpolate(x, { scaleFactor: 1.7, mode: 'bilinear' }),
  'interp/bilinear-recompute': (x) => F.interpolate(x, { scaleFactor: 1.7, mode: 'bilinear', recomputeScaleFactor: true }),
  'interp/bilinear-ac-to1': (x) => F.interpolate(x, { size: [1, 3], mode: 'bilinear', alignCorners: true }),
  'interp/linear': (x) => F.interpolate(x, { size: 9, mode: 'linear' }),
  'interp/linear-ac': (x) => F.interpolate(x, { size: 9, mode: 'linear', alignCorners: true }),
  'interp/trilinear': (x) => F.interpolate(x, { size: [3, 4, 2], mode: 'trilinear' }),
  'interp/bicubic': (x) => F.interpolate(x, { size: [7, 8], mode: 'bicubic' }),
  'interp/bicubic-ac': (x) => F.interpolate(x, { size: [7, 3], mode: 'bicubic', alignCorners: true }),
  'interp/bicubic-scale': (x) => F.interpolate(x, { scaleFactor: 2, mode: 'bicubic' }),
  'interp/area': (x) => F.interpolate(x, { size: [3, 4], mode: 'area' }),
  'interp/aa-bilinear-down': (x) => F.interpolate(x, { size: [5, 4], mode: 'bilinear', antialias: true }),
  'interp/aa-bicubic-down': (x) => F.interpolate(x, { size: [5, 4], mode: 'bicubic', antialias: true }),
  'interp/aa-bilinear-scale': (x) => F.interpolate(x, { scaleFactor: 0.3, mode: 'bilinear', antialias: true }),
  'interp/aa-bicubic-up': (x) => F.interpolate(x, { size: [7, 9], mode: 'bicubic', antialias: true }),
  'interp/aa-bilinear-ac': (x) => F.interpolate(x, { size: [4, 3], mode: 'bilinear', alignCorners: true, antialias: true }),
  'interp/both-size-and-scale': (x) => F.interpolate(x, { size: [2, 2], scaleFactor: 2 }),
  'interp/nearest-align-corners': (x) => F.interpolate(x, { size: [2, 2], alignCorners: true }),

  pixelShuffle: (x) => F.pixelShuffle(x, 2),
  'pixelShuffle/unbatched': (x) => F.pixelShuffle(x, 3),
  'pixelShuffle/bad-channels': (x) => F.pixelShuffle(x, 2),
  pixelUnshuffle: (x) => F.pixelUnshuffle(x, 2),

  normalize: (x) => F.normalize(x),
  'normalize/p1-dim0': (x) => F.normalize(x, { p: 1, dim: 0 }),
  'normalize/3d': (x) => F.normalize(x, { dim: -1 }),
  cosineSimilarity: (a, b) => F.cosineSimilarity(a, b!),
  'cosineSimilarity/dim-broadcast': (a, b) => F.cosineSimilarity(a, b!, { dim: -1 }),
  pairwiseDistance: (a, b) => F.pairwiseDistance(a, b!),
  'pairwiseDistance/p1-keepdim': (a, b) => F.pairwiseDistance(a, b!, { p: 1, keepdim: true }),
  'pairwiseDistance/p3': (a, b) => F.pairwiseDistance(a, b!, { p: 3 }),
  oneHot: (t) => F.oneHot(t, 4),
  'oneHot/infer': dataDependent((t) => F.oneHot(t), (t) => F.oneHotAsync(t)),

  embedding: (i, w) => F.embedding(i, w!),
  'embedding/repeated': (i, w) => F.embedding(i, w!),
  'embedding/paddingIdx': (i, w) => F.embedding(i, w!, { paddingIdx: 2 }),
  'embedding/paddingIdx-negative': (i, w) => F.embedding(i, w!, { paddingIdx: -1 }),
  'embedding/maxNorm': (i, w) => F.embedding(i, w!.clone(), { maxNorm: 1.0 }),
  'embedding/maxNorm-p1': (i, w) => F.embedding(i, w!.clone(), { maxNorm: 1.5, normType: 1 }),

  layerNorm: (x, w, b) => F.layerNorm(x, [5], w!, b!),
  'layerNorm/2d-shape': (x, w, b) => F.layerNorm(x, [3, 4], w!, b!, { eps: 1e-3 }),
  'layerNorm/noaffine': (x) => F.layerNorm(x, 4),
  'layerNorm/bad-shape': (x) => F.layerNorm(x, [3]),
  groupNorm: (x, w, b) => F.groupNorm(x, 3, w!, b!),
  'groupNorm/4d': (x, w, b) => F.groupNorm(x, 2, w!, b!, { eps: 1e-3 }),
  'groupNorm/noaffine': (x) => F.groupNorm(x, 4),
  'groupNorm/bad-groups': (x) => F.groupNorm(x, 4),
  'batchNorm/eval': (x, rm, rv, w, b) => F.batchNorm(x, rm!, rv!, w!, b!),
  'batchNorm/train': (x, rm, rv, w, b) => F.batchNorm(x, rm!.clone(), rv!.clone(), w!, b!, { training: true }),
  'batchNorm/train-4d-momentum': (x, rm, rv) => F.batchNorm(x, rm!.clone(), rv!.clone(), null, null, { training: true, momentum: 0.3, eps: 1e-3 }),
  'batchNorm/train-no-running': (x) => F.batchNorm(x, null, null, null, null, { training: true }),
  'batchNorm/running-mean-update': (x, rm, rv) => {
    const m = rm!.clone(), v = rv!.clone();
    F.batchNorm(x, m, v, null, null, { training: true, momentum: 0.2 });
    return m;
  },
  'batchNorm/running-var-update': (x, rm, rv) => {
    const m = rm!.clone(), v = rv!.clone();
    F.batchNorm(x, m, v, null, null, { training: true, momentum: 0.2 });
    return v;
  },
  'batchNorm/one-per-channel': (x, rm, rv) => F.batchNorm(x, rm!.clone(), rv!.clone(), null, null, { training: true }),
  instanceNorm: (x, w, b) => F.instanceNorm(x, { weight: w!, bias: b! }),
  'instanceNorm/4d': (x) => F.instanceNorm(x, { eps: 1e-3 }),
  'instanceNorm/running-var-update': (x, rm, rv) => {
    const m = rm!.clone(), v = rv!.clone();
    F.instanceNorm(x, { runningMean: m, runningVar: v, momentum: 0.3 });
    return v;
  },
  'instanceNorm/running-stats': (x, rm, rv) => F.instanceNorm(x, { runningMean: rm!, runningVar: rv!, useInputStats: false }),
  rmsNorm: (x, w) => F.rmsNorm(x, [5], w!),
  'rmsNorm/2d-eps': (x) => F.rmsNorm(x, [3, 4], null, { eps: 1e-3 }),

  sdpa: (q, k, v) => F.scaledDotProductAttention(q, k!, v!),
  'sdpa/causal': (q, k, v) => F.scaledDotProductAttention(q, k!, v!, { isCausal: true }),
  'sdpa/bool-mask': (q, k, v, m) => F.scaledDotProductAttention(q, k!, v!, { attnMask: m! }),
  'sdpa/float-mask-scale': (q, k, v, m) => F.scaledDotProductAttention(q, k!, v!, { attnMask: m!, scale: 0.3 }),

  localResponseNorm: (x) => F.localResponseNorm(x, 3),
  'localResponseNorm/4d-even': (x) => F.localResponseNorm(x, 4, { alpha: 0.1, beta: 0.5, k: 2.0 }),
  'localResponseNorm/size-gt-C': (x) => F.localResponseNorm(x, 5, { alpha: 0.5 }),
  pdist: (x) => F.pdist(x),
  'pdist/p1': (x) => F.pdist(x, 1),
  channelShuffle: (x) => F.channelShuffle(x, 3),
  affineGrid: (t) => F.affineGrid(t, [2, 3, 4, 5], { alignCorners: false }),
  'affineGrid/ac': (t) => F.affineGrid(t, [2, 1, 3, 2], { alignCorners: true }),
  'gridSample/affine-pipeline': (x, t) => F.gridSample(x.expand(2, 2, 5, 5), F.affineGrid(t!, [2, 2, 3, 4], { alignCorners: false }), { alignCorners: false }),
} satisfies Record<string, CaseImpl>);
const kinks: Record<string, (x: Tensor) => Tensor> = {
  relu: (x) => F.relu(x), relu6: (x) => F.relu6(x), hardtanh: (x) => F.hardtanh(x), 'hardtanh-range': (x) => F.hardtanh(x, -0.5, 3.0),
  hardsigmoid: (x) => F.hardsigmoid(x), hardswish: (x) => F.hardswish(x), leakyRelu: (x) => F.leakyRelu(x), elu: (x) => F.elu(x),
  celu: (x) => F.celu(x, 2.0), selu: (x) => F.selu(x), softshrink: (x) => F.softshrink(x), hardshrink: (x) => F.hardshrink(x),
  threshold: (x) => F.threshold(x, 1.0, -2.0), softplus: (x) => F.softplus(x, { threshold: 6.0 }),
  gelu: (x) => F.gelu(x), silu: (x) => F.silu(x), mish: (x) => F.mish(x), prelu: (x) => F.prelu(x, torch.tensor([0.25], { device: x.device })),
};
for (const [name, f] of Object.entries(kinks)) impls[`kink/${name}`] = (x) => f(x);
Object.assign(impls, {
  'normalize/zero-row': (x) => F.normalize(x),
  'normalize/zero-row-p3': (x) => F.normalize(x, { p: 3 }),
  'cosineSimilarity/zero-vector': (a, b) => F.cosineSimilarity(a, b!),
  'pdist/duplicate-rows': (x) => F.pdist(x),
  'embedding/scaleGradByFreq': (i, w) => F.embedding(i, w!, { scaleGradByFreq: true }),
  'embedding/scaleGradByFreq-padding': (i, w) => F.embedding(i, w!, { paddingIdx: 1, scaleGradByFreq: true }),
} satisfies Record<string, OpImpl>);
for (const mode of ['sum', 'mean', 'max'] as const) {
  impls[`embeddingBag/2d-${mode}`] = (i, w) => F.embeddingBag(i, w!, { mode });
  // offsets positional, as gen_functional.py passes them to F.embedding_bag, or as { offsets }
  impls[`embeddingBag/offsets-${mode}`] = (i, w, o) => F.embeddingBag(i, w!, o!, { mode });
  impls[`embeddingBag/padding-${mode}`] = (i, w, o) => F.embeddingBag(i, w!, { offsets: o!, mode, paddingIdx: 2 });
}
Object.assign(impls, {
  'embeddingBag/per-sample-weights': (i, w, o, p) => F.embeddingBag(i, w!, o!, { mode: 'sum', perSampleWeights: p! }),
  'embeddingBag/include-last-offset': (i, w, o) => F.embeddingBag(i, w!, o!, { mode: 'mean', includeLastOffset: true }),
  'embeddingBag/psw-with-mean': (i, w, o, p) => F.embeddingBag(i, w!, { offsets: o!, mode: 'mean', perSampleWeights: p! }),
} satisfies Record<string, OpImpl>);
for (const mode of ['bilinear', 'nearest'] as const) {
  for (const paddingMode of ['zeros', 'border', 'reflection'] as const) {
    for (const ac of [false, true]) {
      impls[`gridSample/${mode}-${paddingMode}-${ac ? 'ac' : 'noac'}`] = (x, g) => F.gridSample(x, g!, { mode, paddingMode, alignCorners: ac });
    }
  }
}

// PyTorch keeps the bag offsets of mode='max' on the host here (the bag sizes shape the kernel).
opSuite('functional', impls, { hostInputs: { 'embeddingBag/offsets-max': [2], 'embeddingBag/padding-max': [2] } });

describe('embeddingBag arguments', () => {
  const w = torch.arange(12, { dtype: 'float32' }).reshape(6, 2);
  it('offsets positional (a tensor, a number[] or null) or in the options object agree', async () => {
    const idx = torch.tensor([1, 2, 3, 4]), want = [[6, 8], [14, 16]]; // PyTorch 1.13: F.embedding_bag(torch.tensor([1, 2, 3, 4]), torch.arange(12.).reshape(6, 2), torch.tensor([0, 2]), mode='sum')
    expect(await F.embeddingBag(idx, w, torch.tensor([0, 2]), { mode: 'sum' }).tolist()).toEqual(want);
    expect(await F.embeddingBag(idx, w, [0, 2], { mode: 'sum' }).tolist()).toEqual(want);
    expect(await F.embeddingBag(idx, w, { offsets: [0, 2], mode: 'sum' }).tolist()).toEqual(want);
    expect(await F.embeddingBag(idx.reshape(2, 2), w, null, { mode: 'sum' }).tolist()).toEqual(want);
  });
  it('bad offsets are errors: with a 2-D input (PyTorch\'s message), given twice, or of a wrong kind', () => {
    expect(() => F.embeddingBag(torch.tensor([[1, 2]]), w, [0])).toThrow('if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length sequences.');
    expect(() => F.embeddingBag(torch.tensor([1, 2]), w, [0], { offsets: [0] } as never)).toThrow(/unknown option 'offsets'/);
    expect(() => F.embeddingBag(torch.tensor([1, 2]), w, 'sum' as never)).toThrow(TypeError);
  });
});
