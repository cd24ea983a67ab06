// Composite ops as named nodes of a captured graph (torch.compiler.captureGraph): every composite of
// nn.functional, the composite ops (softmax, logSoftmax, logsumexp) and the composite layers (norms,
// dropout, RNNs, attention, transformer layers) groups its primitives under its PyTorch name in
// camelCase with its non-tensor arguments as attrs, so an exporter can keep it whole or decompose it.
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { CapturedComposite, CapturedGraph, CapturedNode } from '../../src/compile/index.js';

const F = torch.nn.functional;
const r = (...shape: number[]) => torch.randn(shape);
const idx = (values: number[], shape: number[]) => torch.tensor(values, { dtype: 'int32' }).reshape(shape);
const isComposite = (e: CapturedNode | CapturedComposite): e is CapturedComposite => 'composite' in e;

/** Captures fn(...args) and checks it is one top-level composite `name` with `attrs`; returns the graph. */
function one(fn: (...a: never[]) => unknown, args: unknown[], name: string, attrs: Record<string, unknown> = {}): CapturedGraph {
  const g = torch.compiler.captureGraph(fn, args);
  const cs = g.composites();
  expect(cs.map((c) => (isComposite(c) ? c.composite : c.op))).toEqual([name]);
  const c = cs[0] as CapturedComposite;
  expect(c.attrs).toMatchObject(attrs);
  // attrs are plain JSON-able values
  expect(JSON.parse(JSON.stringify(c.attrs))).toEqual(c.attrs);
  expect(c.nodes.length).toBeGreaterThan(0);
  expect(c.outputs).toContain(g.outputs[0]!.name);
  // the decomposed graph is the concatenation of the composites' primitives
  expect(cs.flatMap((e) => (isComposite(e) ? e.nodes : [e]))).toEqual(g.nodes);
  for (const n of c.nodes) expect(n.composites[0]).toBe(name);
  return g;
}
/** The module's forward as a function of tensors (the module is made before the capture). */
const fwd = (m: { forward: (...a: never[]) => unknown }) => (...a: never[]) => m.forward(...a);
const chains = (g: CapturedGraph) => new Set(g.nodes.map((n) => n.composites.join('/')));
const close = (a: Tensor, b: Tensor, tol = 1e-5) => {
  expect(a.shape).toEqual(b.shape);
  const x = Array.from(a.dataSync() as Float32Array), y = Array.from(b.dataSync() as Float32Array);
  x.forEach((v, i) => expect(v).toBeCloseTo(y[i]!, -Math.log10(tol)));
};

describe('composite ops in captured graphs', () => {
  it('linear, bilinear', () => {
    one((x: Tensor, w: Tensor, b: Tensor) => F.linear(x, w, b), [r(3, 4), r(2, 4), r(2)], 'linear');
    one((a: Tensor, b: Tensor, w: Tensor) => F.bilinear(a, b, w), [r(3, 4), r(3, 5), r(2, 4, 5)], 'bilinear');
    one(fwd(new torch.nn.Linear(4, 2)), [r(3, 4)], 'linear');
  });

  it('convolutions', () => {
    one((x: Tensor, w: Tensor) => F.conv1d(x, w, null, { padding: 1 }), [r(1, 2, 8), r(3, 2, 3)], 'conv1d', { stride: 1, padding: 1, dilation: 1, groups: 1 });
    one((x: Tensor, w: Tensor, b: Tensor) => F.conv2d(x, w, b, { stride: 2, padding: 1 }), [r(1, 2, 6, 6), r(4, 2, 3, 3), r(4)], 'conv2d',
      { stride: 2, padding: 1, dilation: 1, groups: 1 });
    one((x: Tensor, w: Tensor) => F.conv2d(x, w, null, { padding: 'same', groups: 2 }), [r(1, 2, 5, 5), r(4, 1, 2, 2)], 'conv2d', { padding: 'same', groups: 2 });
    one((x: Tensor, w: Tensor) => F.conv3d(x, w, null, { dilation: [1, 1, 1] }), [r(1, 2, 4, 4, 4), r(3, 2, 2, 2, 2)], 'conv3d', { dilation: [1, 1, 1] });
    one((x: Tensor, w: Tensor) => F.convTranspose1d(x, w, null, { stride: 2 }), [r(1, 2, 4), r(2, 3, 3)], 'convTranspose1d', { stride: 2, outputPadding: 0 });
    one((x: Tensor, w: Tensor) => F.convTranspose2d(x, w, null, { stride: 2, outputPadding: 1 }), [r(1, 2, 4, 4), r(2, 3, 3, 3)], 'convTranspose2d',
      { stride: 2, padding: 0, outputPadding: 1, groups: 1, dilation: 1 });
    one((x: Tensor, w: Tensor) => F.convTranspose3d(x, w), [r(1, 2, 3, 3, 3), r(2, 3, 2, 2, 2)], 'convTranspose3d');
    one(fwd(new torch.nn.Conv2d(2, 3, 3)), [r(1, 2, 5, 5)], 'conv2d', { stride: [1, 1] });
    one((x: Tensor) => F.unfold(x, 2, { stride: 2 }), [r(1, 2, 4, 4)], 'unfold', { kernelSize: 2, stride: 2 });
    one((x: Tensor) => F.fold(x, [4, 4], 2, { stride: 2 }), [r(1, 8, 4)], 'fold', { outputSize: [4, 4], kernelSize: 2, stride: 2 });
  });

  it('normalizations (functional and modules)', () => {
    one((x: Tensor, w: Tensor, b: Tensor) => F.layerNorm(x, [4], w, b), [r(2, 3, 4), r(4), r(4)], 'layerNorm', { normalizedShape: [4], eps: 1e-5 });
    one((x: Tensor) => F.groupNorm(x, 2, { eps: 1e-3 }), [r(2, 4, 3)], 'groupNorm', { numGroups: 2, eps: 1e-3 });
    const rm = torch.zeros([3]), rv = torch.ones([3]);
    one((x: Tensor) => F.batchNorm(x, rm, rv, { training: true, momentum: 0.2 }), [r(4, 3, 5)], 'batchNorm', { training: true, momentum: 0.2, eps: 1e-5 });
    one((x: Tensor) => F.batchNorm(x, rm, rv), [r(4, 3)], 'batchNorm', { training: false });
    one((x: Tensor) => F.instanceNorm(x), [r(2, 3, 5)], 'instanceNorm', { useInputStats: true, momentum: 0.1, eps: 1e-5 });
    one((x: Tensor) => F.rmsNorm(x, [4], null, { eps: 1e-6 }), [r(2, 4)], 'rmsNorm', { normalizedShape: [4], eps: 1e-6 });
    one((x: Tensor) => F.localResponseNorm(x, 3), [r(1, 4, 3)], 'localResponseNorm', { size: 3, alpha: 1e-4, beta: 0.75, k: 1 });
    one(fwd(new torch.nn.LayerNorm(4, { eps: 1e-6 })), [r(2, 4)], 'layerNorm', { normalizedShape: [4], eps: 1e-6 });
    one(fwd(new torch.nn.GroupNorm(2, 4)), [r(2, 4, 3)], 'groupNorm', { numGroups: 2, eps: 1e-5 });
    one(fwd(new torch.nn.RMSNorm([4])), [r(2, 4)], 'rmsNorm', { normalizedShape: [4] });
    one(fwd(new torch.nn.BatchNorm2d(3)), [r(2, 3, 2, 2)], 'batchNorm', { training: true, momentum: 0.1, eps: 1e-5 });
    one(fwd(new torch.nn.InstanceNorm1d(3)), [r(2, 3, 5)], 'instanceNorm');
  });

  it('softmax, logSoftmax, logsumexp (logSoftmax nests logsumexp)', () => {
    one((x: Tensor) => F.softmax(x, 1), [r(2, 5)], 'softmax', { dim: 1 });
    one((x: Tensor) => x.softmax(-1), [r(2, 5)], 'softmax', { dim: -1 });
    const g = one((x: Tensor) => F.logSoftmax(x, { dim: -1 }), [r(2, 5)], 'logSoftmax', { dim: -1 });
    expect(chains(g).has('logSoftmax/logsumexp')).toBe(true);
    one((x: Tensor) => torch.logsumexp(x, 1, true), [r(2, 5)], 'logsumexp', { dim: 1, keepdim: true });
    one((x: Tensor) => F.softmin(x, 0), [r(2, 5)], 'softmin', { dim: 0 });
  });

  it('activations', () => {
    const x = [r(2, 6)];
    one((t: Tensor) => F.gelu(t), x, 'gelu', { approximate: 'none' });
    one((t: Tensor) => F.gelu(t, { approximate: 'tanh' }), x, 'gelu', { approximate: 'tanh' });
    one(fwd(new torch.nn.GELU({ approximate: 'tanh' })), x, 'gelu', { approximate: 'tanh' });
    one((t: Tensor) => F.silu(t), x, 'silu');
    one(fwd(new torch.nn.SiLU()), x, 'silu');
    one((t: Tensor) => F.mish(t), x, 'mish');
    one((t: Tensor) => F.elu(t, 0.5), x, 'elu', { alpha: 0.5 });
    one((t: Tensor) => F.celu(t, { alpha: 2 }), x, 'celu', { alpha: 2 });
    one((t: Tensor) => F.selu(t), x, 'selu');
    one((t: Tensor) => F.leakyRelu(t, 0.2), x, 'leakyRelu', { negativeSlope: 0.2 });
    one((t: Tensor) => F.hardtanh(t, -2, 2), x, 'hardtanh', { minVal: -2, maxVal: 2 });
    one((t: Tensor) => F.relu6(t), x, 'relu6');
    one((t: Tensor) => F.softplus(t, { beta: 2, threshold: 10 }), x, 'softplus', { beta: 2, threshold: 10 });
    one((t: Tensor) => F.logsigmoid(t), x, 'logsigmoid');
    one((t: Tensor) => F.hardsigmoid(t), x, 'hardsigmoid');
    one((t: Tensor) => F.hardswish(t), x, 'hardswish');
    one((t: Tensor) => F.softsign(t), x, 'softsign');
    one((t: Tensor) => F.tanhshrink(t), x, 'tanhshrink');
    one((t: Tensor) => F.softshrink(t, 0.3), x, 'softshrink', { lambd: 0.3 });
    one((t: Tensor) => F.hardshrink(t), x, 'hardshrink', { lambd: 0.5 });
    one((t: Tensor) => F.threshold(t, 0.1, 20), x, 'threshold', { threshold: 0.1, value: 20 });
    one((t: Tensor) => F.glu(t), x, 'glu', { dim: -1 });
    one((t: Tensor, w: Tensor) => F.prelu(t, w), [r(2, 3, 4), r(3)], 'prelu');
    one((t: Tensor) => F.rrelu(t, { training: true }), x, 'rrelu', { training: true });
    one((t: Tensor) => F.gumbelSoftmax(t, { tau: 0.5, hard: true }), x, 'gumbelSoftmax', { tau: 0.5, hard: true, dim: -1 });
  });

  it('dropout family (functional and modules)', () => {
    const x = [r(2, 3, 4)];
    one((t: Tensor) => F.dropout(t, 0.3), x, 'dropout', { p: 0.3, training: true });
    one((t: Tensor) => F.dropout1d(t, { p: 0.2 }), x, 'dropout1d', { p: 0.2, training: true });
    one((t: Tensor) => F.alphaDropout(t, 0.1), x, 'alphaDropout', { p: 0.1, training: true });
    one(fwd(new torch.nn.Dropout(0.25)), x, 'dropout', { p: 0.25, training: true });
    one(fwd(new torch.nn.Dropout2d(0.25)), x, 'dropout2d', { p: 0.25 });
    // in eval mode dropout is the identity: no primitive, no composite
    expect(torch.compiler.captureGraph((t: Tensor) => F.dropout(t, 0.3, { training: false }), x).composites()).toEqual([]);
  });

  it('embedding, embeddingBag', () => {
    const w = r(10, 4);
    one((i: Tensor) => F.embedding(i, w, { paddingIdx: 0 }), [idx([1, 2, 0, 5, 3, 9], [2, 3])], 'embedding',
      { paddingIdx: 0, maxNorm: null, normType: 2, scaleGradByFreq: false });
    const g = one((i: Tensor) => F.embeddingBag(i, w, { mode: 'sum' }), [idx([1, 2, 0, 5, 3, 9], [2, 3])], 'embeddingBag', { mode: 'sum' });
    expect(chains(g).has('embeddingBag/embedding')).toBe(true);
    one(fwd(new torch.nn.Embedding(10, 4)), [idx([1, 2, 3], [3])], 'embedding');
    one(fwd(new torch.nn.EmbeddingBag(10, 4, { mode: 'max' })), [idx([1, 2, 0, 5], [2, 2])], 'embeddingBag', { mode: 'max' });
  });

  it('pooling', () => {
    const x1 = [r(1, 2, 8)], x2 = [r(1, 2, 6, 6)], x3 = [r(1, 2, 4, 4, 4)];
    one((t: Tensor) => F.maxPool1d(t, 2), x1, 'maxPool1d', { kernelSize: 2, stride: 2, padding: 0, dilation: 1, ceilMode: false });
    one((t: Tensor) => F.maxPool2d(t, 3, { stride: 2, padding: 1 }), x2, 'maxPool2d', { kernelSize: 3, stride: 2, padding: 1 });
    const gi = one((t: Tensor) => F.maxPool2d(t, 2, { returnIndices: true }), x2, 'maxPool2d', { returnIndices: true });
    expect(gi.outputs.length).toBe(2);
    const g3 = one((t: Tensor) => F.maxPool3d(t, 2), x3, 'maxPool3d', { kernelSize: 2 });
    expect(chains(g3).has('maxPool3d/maxPool2d')).toBe(true);
    one((t: Tensor) => F.avgPool1d(t, 3, { stride: 1 }), x1, 'avgPool1d', { kernelSize: 3, stride: 1 });
    one((t: Tensor) => F.avgPool2d(t, 2, { countIncludePad: false }), x2, 'avgPool2d', { kernelSize: 2, stride: 2, countIncludePad: false });
    one((t: Tensor) => F.avgPool3d(t, 2), x3, 'avgPool3d', { kernelSize: 2 });
    one((t: Tensor) => F.adaptiveAvgPool1d(t, 3), x1, 'adaptiveAvgPool1d', { outputSize: 3 });
    one((t: Tensor) => F.adaptiveAvgPool2d(t, [3, null]), x2, 'adaptiveAvgPool2d', { outputSize: [3, null] });
    one((t: Tensor) => F.adaptiveAvgPool3d(t, 2), x3, 'adaptiveAvgPool3d', { outputSize: 2 });
    one((t: Tensor) => F.adaptiveMaxPool1d(t, 3), x1, 'adaptiveMaxPool1d', { outputSize: 3 });
    one((t: Tensor) => F.adaptiveMaxPool2d(t, 2), x2, 'adaptiveMaxPool2d', { outputSize: 2 });
    one((t: Tensor) => F.adaptiveMaxPool3d(t, 2), x3, 'adaptiveMaxPool3d', { outputSize: 2 });
    one((t: Tensor) => F.lpPool2d(t, 2, 2), x2, 'lpPool2d', { normType: 2, kernelSize: 2 });
    one((t: Tensor) => F.lpPool1d(t, 2, 2), x1, 'lpPool1d', { normType: 2, kernelSize: 2 });
    one((t: Tensor, i: Tensor) => F.maxUnpool2d(t, i, 2), [r(1, 2, 2, 2), idx([0, 3, 9, 14, 1, 2, 8, 11], [1, 2, 2, 2])], 'maxUnpool2d', { kernelSize: 2 });
    one(fwd(new torch.nn.MaxPool2d(2)), x2, 'maxPool2d');
    one(fwd(new torch.nn.AdaptiveAvgPool2d(1)), x2, 'adaptiveAvgPool2d', { outputSize: 1 });
  });

  it('shape and geometry helpers', () => {
    one((t: Tensor) => F.pad(t, [1, 2], { mode: 'reflect' }), [r(1, 2, 5)], 'pad', { pad: [1, 2], mode: 'reflect', value: 0 });
    one((t: Tensor) => F.interpolate(t, { scaleFactor: 2, mode: 'bilinear' }), [r(1, 2, 3, 3)], 'interpolate', { size: [6, 6], mode: 'bilinear', alignCorners: false });
    one((t: Tensor) => F.pixelShuffle(t, 2), [r(1, 8, 2, 2)], 'pixelShuffle', { upscaleFactor: 2 });
    one((t: Tensor) => F.pixelUnshuffle(t, 2), [r(1, 2, 4, 4)], 'pixelUnshuffle', { downscaleFactor: 2 });
    one((t: Tensor) => F.normalize(t, { dim: -1 }), [r(3, 4)], 'normalize', { p: 2, dim: -1 });
    one((a: Tensor, b: Tensor) => F.cosineSimilarity(a, b), [r(3, 4), r(3, 4)], 'cosineSimilarity', { dim: 1, eps: 1e-8 });
    one((a: Tensor, b: Tensor) => F.pairwiseDistance(a, b, { p: 1 }), [r(3, 4), r(3, 4)], 'pairwiseDistance', { p: 1, keepdim: false });
    one((t: Tensor) => F.pdist(t), [r(4, 3)], 'pdist', { p: 2 });
    one((t: Tensor) => F.channelShuffle(t, 2), [r(1, 4, 2, 2)], 'channelShuffle', { groups: 2 });
    one((t: Tensor) => F.affineGrid(t, [1, 1, 3, 3]), [r(1, 2, 3)], 'affineGrid', { size: [1, 1, 3, 3], alignCorners: false });
    one((t: Tensor, gr: Tensor) => F.gridSample(t, gr, { paddingMode: 'border' }), [r(1, 2, 4, 4), r(1, 3, 3, 2)], 'gridSample',
      { mode: 'bilinear', paddingMode: 'border', alignCorners: false });
  });

  it('losses', () => {
    const p = [r(4, 3), r(4, 3)], cls = idx([0, 2, 1, 2], [4]);
    one((a: Tensor, t: Tensor) => F.crossEntropy(a, t), [r(4, 3), cls], 'crossEntropy', { ignoreIndex: -100, reduction: 'mean', labelSmoothing: 0 });
    const g = one((a: Tensor, t: Tensor) => F.crossEntropy(a, t, { labelSmoothing: 0.1, reduction: 'sum' }), [r(4, 3), cls], 'crossEntropy',
      { reduction: 'sum', labelSmoothing: 0.1 });
    expect(chains(g).has('crossEntropy/logSoftmax/logsumexp')).toBe(true);
    one((a: Tensor, t: Tensor) => F.nllLoss(a, t, { ignoreIndex: 1 }), [r(4, 3), cls], 'nllLoss', { ignoreIndex: 1, reduction: 'mean' });
    one((a: Tensor, t: Tensor) => F.mseLoss(a, t), p, 'mseLoss', { reduction: 'mean' });
    one((a: Tensor, t: Tensor) => F.l1Loss(a, t, { reduction: 'none' }), p, 'l1Loss', { reduction: 'none' });
    one((a: Tensor, t: Tensor) => F.smoothL1Loss(a, t, { beta: 0.5 }), p, 'smoothL1Loss', { beta: 0.5 });
    one((a: Tensor, t: Tensor) => F.huberLoss(a, t, { delta: 2 }), p, 'huberLoss', { delta: 2 });
    one((a: Tensor, t: Tensor) => F.binaryCrossEntropy(a, t), p, 'binaryCrossEntropy', { reduction: 'mean' });
    one((a: Tensor, t: Tensor) => F.binaryCrossEntropyWithLogits(a, t), p, 'binaryCrossEntropyWithLogits', { reduction: 'mean' });
    one((a: Tensor, t: Tensor) => F.klDiv(a, t, { reduction: 'batchmean' }), p, 'klDiv', { reduction: 'batchmean', logTarget: false });
    one((a: Tensor, b: Tensor, y: Tensor) => F.marginRankingLoss(a, b, y, { margin: 0.5 }), [r(4), r(4), r(4)], 'marginRankingLoss', { margin: 0.5 });
    one((a: Tensor, t: Tensor) => F.hingeEmbeddingLoss(a, t), p, 'hingeEmbeddingLoss', { margin: 1 });
    one((a: Tensor, t: Tensor) => F.softMarginLoss(a, t), p, 'softMarginLoss');
    one((a: Tensor, b: Tensor, y: Tensor) => F.cosineEmbeddingLoss(a, b, y, { margin: 0.2 }), [r(4, 3), r(4, 3), r(4)], 'cosineEmbeddingLoss', { margin: 0.2 });
    const gt = one((a: Tensor, b: Tensor, c: Tensor) => F.tripletMarginLoss(a, b, c, { swap: true }), [r(4, 3), r(4, 3), r(4, 3)], 'tripletMarginLoss',
      { margin: 1, p: 2, swap: true });
    expect(chains(gt).has('tripletMarginLoss/pairwiseDistance')).toBe(true);
    one((a: Tensor, b: Tensor, c: Tensor) => F.tripletMarginWithDistanceLoss(a, b, c), [r(4, 3), r(4, 3), r(4, 3)], 'tripletMarginWithDistanceLoss', { margin: 1 });
    one((a: Tensor, t: Tensor) => F.poissonNllLoss(a, t, { full: true }), p, 'poissonNllLoss', { logInput: true, full: true });
    one((a: Tensor, t: Tensor, v: Tensor) => F.gaussianNllLoss(a, t, v), [r(4, 3), r(4, 3), r(4, 3)], 'gaussianNllLoss', { full: false, eps: 1e-6 });
    one((a: Tensor, t: Tensor) => F.multiMarginLoss(a, t, { p: 2 }), [r(4, 3), cls], 'multiMarginLoss', { p: 2, margin: 1 });
    one((a: Tensor, t: Tensor) => F.multilabelSoftMarginLoss(a, t), p, 'multilabelSoftMarginLoss');
    one((a: Tensor, t: Tensor) => F.multilabelMarginLoss(a, t), [r(2, 3), idx([0, -1, 1, 2, 1, -1], [2, 3])], 'multilabelMarginLoss');
    one((lp: Tensor, t: Tensor) => F.ctcLoss(lp, t, [5, 4], [2, 1]), [r(5, 2, 4).logSoftmax(2), idx([1, 2, 3, 0], [2, 2])], 'ctcLoss',
      { blank: 0, reduction: 'mean', zeroInfinity: false });
    one(fwd(new torch.nn.CrossEntropyLoss({ labelSmoothing: 0.2 })), [r(4, 3), cls], 'crossEntropy', { labelSmoothing: 0.2 });
  });

  it('attention', () => {
    const g = one((q: Tensor, k: Tensor, v: Tensor) => F.scaledDotProductAttention(q, k, v, { isCausal: true, scale: 0.5 }), [r(2, 3, 4), r(2, 3, 4), r(2, 3, 4)],
      'scaledDotProductAttention', { isCausal: true, scale: 0.5, dropoutP: 0 });
    // On the CPU a causal attention without a mask tensor is the fused kernel (outputs: the result and lse).
    const att = g.nodes.filter((n) => n.op === 'attention');
    expect(att).toHaveLength(1);
    expect(att[0]!.outputs.map((o) => o.shape)).toEqual([[2, 1, 3, 4], [2, 1, 3]]);
    const gm0 = one((q: Tensor, k: Tensor, v: Tensor, m: Tensor) => F.scaledDotProductAttention(q, k, v, m), [r(2, 3, 4), r(2, 3, 4), r(2, 3, 4), r(3, 3)],
      'scaledDotProductAttention', { isCausal: false, dropoutP: 0 });
    expect(chains(gm0).has('scaledDotProductAttention/softmax')).toBe(true); // a mask tensor: the composed path
    const mha = new torch.nn.MultiheadAttention(8, 2);
    const gm = one((q: Tensor) => mha.forward(q, q, q)[0], [r(3, 2, 8)], 'multiheadAttention',
      { embedDim: 8, numHeads: 2, dropout: 0, batchFirst: false, needWeights: true, averageAttnWeights: true });
    expect(chains(gm)).toEqual(new Set(['multiheadAttention', 'multiheadAttention/linear', 'multiheadAttention/softmax']));
  });

  it('RNN, LSTM, GRU and their cells', () => {
    const lstm = new torch.nn.LSTM(4, 5, { numLayers: 2, bidirectional: true, batchFirst: true, dropout: 0.5 });
    const g = one((x: Tensor) => lstm.forward(x), [r(2, 3, 4)], 'lstm',
      { numLayers: 2, bidirectional: true, batchFirst: true, hiddenSize: 5, inputSize: 4, dropout: 0.5 });
    expect(chains(g).has('lstm/dropout')).toBe(true);
    expect(g.outputs.length).toBe(3); // output, h_n, c_n
    one(fwd(new torch.nn.GRU(4, 3)), [r(3, 2, 4)], 'gru', { numLayers: 1, bidirectional: false, batchFirst: false, hiddenSize: 3 });
    one(fwd(new torch.nn.RNN(4, 3, { nonlinearity: 'relu' })), [r(3, 4)], 'rnn', { hiddenSize: 3, nonlinearity: 'relu' });
    one(fwd(new torch.nn.RNNCell(4, 3)), [r(2, 4)], 'rnnCell', { inputSize: 4, hiddenSize: 3, bias: true, nonlinearity: 'tanh' });
    one(fwd(new torch.nn.LSTMCell(4, 3)), [r(2, 4)], 'lstmCell', { inputSize: 4, hiddenSize: 3 });
    one(fwd(new torch.nn.GRUCell(4, 3, { bias: false })), [r(2, 4), r(2, 3)], 'gruCell', { bias: false });
    // packed input (packing reads the lengths on the host, so it is checked eagerly)
    const [, hN] = new torch.nn.GRU(4, 3).forward(torch.nn.utils.rnn.packPaddedSequence(r(3, 2, 4), [3, 2]));
    expect(hN.shape).toEqual([1, 2, 3]);
  });

  it('transformer layers nest their attention, linear, norm and dropout composites', () => {
    const enc = new torch.nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, activation: 'gelu' });
    const g = one((x: Tensor) => enc.forward(x), [r(3, 2, 8)], 'transformerEncoderLayer',
      { dModel: 8, nhead: 2, dimFeedforward: 16, dropout: 0.1, activation: 'gelu', layerNormEps: 1e-5, batchFirst: false, normFirst: false });
    const c = chains(g);
    for (const ch of ['multiheadAttention/linear', 'linear', 'gelu', 'dropout', 'layerNorm']) {
      expect(c.has(`transformerEncoderLayer/${ch}`), ch).toBe(true);
    }
    // Training with dropout: the CPU's attention is still one fused kernel, its dropout inside it.
    const att = g.nodes.filter((n) => n.op === 'attention');
    expect(att).toHaveLength(1);
    expect(att[0]!.composites.join('/')).toBe('transformerEncoderLayer/multiheadAttention');
    expect(att[0]!.attrs).toEqual([0.5, false, 1 / (1 - 0.1)]); // scale, causal, the kept weights' factor
    expect(att[0]!.inputs.map((v) => [v.dtype, v.shape])).toEqual([...Array(3).fill(['float32', [2, 2, 3, 4]]), ['bool', [2, 2, 3, 3]]]); // q, k, v, keep
    // Asked for its weights, the attention composes: softmax and dropout nest in its composite.
    const mha = new torch.nn.MultiheadAttention(8, 2, { dropout: 0.1 });
    const gm = one((x: Tensor) => mha.forward(x, x, x)[0], [r(3, 2, 8)], 'multiheadAttention');
    for (const ch of ['multiheadAttention/linear', 'multiheadAttention/softmax', 'multiheadAttention/dropout']) expect(chains(gm).has(ch), ch).toBe(true);
    const dec = new torch.nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 16, normFirst: true });
    dec.eval();
    const gd = one((x: Tensor, m: Tensor) => dec.forward(x, m), [r(3, 2, 8), r(4, 2, 8)], 'transformerDecoderLayer',
      { dModel: 8, nhead: 2, activation: 'relu', normFirst: true });
    // In eval, with no weights asked for, the CPU's attention is one fused kernel inside the composite.
    expect(chains(gd).has('transformerDecoderLayer/multiheadAttention/linear')).toBe(true);
    expect(gd.nodes.filter((n) => n.op === 'attention' && n.composites.join('/') === 'transformerDecoderLayer/multiheadAttention')).toHaveLength(2);
    expect(chains(gd).has('transformerDecoderLayer/multiheadAttention/softmax')).toBe(false);
    expect(chains(gd).has('transformerDecoderLayer/dropout')).toBe(false); // eval: dropout is the identity
    // a stack of layers: one top-level composite per layer
    const stack = new torch.nn.TransformerEncoder(enc, 2);
    const gs = torch.compiler.captureGraph((x: Tensor) => stack.forward(x), [r(3, 2, 8)]);
    expect(gs.composites().map((e) => (isComposite(e) ? e.composite : e.op))).toEqual(['transformerEncoderLayer', 'transformerEncoderLayer']);
  });

  it('composites run eagerly as before (no listener: values unchanged)', () => {
    torch.manualSeed(0);
    const x = r(3, 4), w = r(2, 4), b = r(2);
    close(F.linear(x, w, b), x.matmul(w.t()).add(b));
    const ln = new torch.nn.LayerNorm(4);
    const m = x.mean(-1, true), v = x.sub(m).square().mean(-1, true);
    close(ln.forward(x), x.sub(m).div(v.add(1e-5).sqrt()));
    close(F.layerNorm(x, [4]), ln.forward(x));
    close(F.softmax(x, 1), x.exp().div(x.exp().sum(1, true)));
    close(F.logSoftmax(x, 1), F.softmax(x, 1).log());
    close(torch.logsumexp(x, 1), x.exp().sum(1).log());
    close(F.gelu(x, { approximate: 'tanh' }), x.mul(0.5).mul(x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI)).tanh().add(1)));
    close(F.silu(x), x.mul(x.sigmoid()));
    const t = idx([0, 1, 1], [3]), logits = r(3, 2);
    close(F.crossEntropy(logits, t), F.nllLoss(F.logSoftmax(logits, 1), t));
    const lp = F.logSoftmax(logits, 1).dataSync() as Float32Array;
    expect(F.crossEntropy(logits, t).itemSync()).toBeCloseTo(-(lp[0]! + lp[3]! + lp[5]!) / 3, 5);
    close(F.mseLoss(x, w.narrow(0, 0, 1).expand([3, 4]).contiguous()), x.sub(w.narrow(0, 0, 1)).square().mean());
    const cell = new torch.nn.GRUCell(4, 3), seq = new torch.nn.GRU(4, 3);
    for (const k of ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'] as const) {
      torch.noGrad(() => (seq as unknown as Record<string, Tensor>)[`${k}_l0`]!.copy_(cell[k]!));
    }
    close(seq.forward(x.unsqueeze(1))[0].select(0, 0), cell.forward(x.narrow(0, 0, 1)));
    const q = r(2, 3, 4);
    const attn = F.scaledDotProductAttention(q, q, q);
    close(attn, q.matmul(q.transpose(-2, -1)).div(2).softmax(-1).matmul(q));
  });
});
