// Loss functions of torch.nn.functional vs PyTorch fixtures (test/fixtures/gen_loss.py): values and
// gradients for every reduction, class weights, ignoreIndex, label smoothing, N-d and probability targets.
import { opSuite, torch, type OpImpl } from '../helpers.js';
import type { Reduction } from '../../src/nn/functional/index.js';

const F = torch.nn.functional;
const impls: Record<string, OpImpl> = {};

for (const r of ['mean', 'sum', 'none'] as Reduction[]) {
  impls[`crossEntropy/${r}`] = (x, t) => F.crossEntropy(x, t!, { reduction: r });
  impls[`crossEntropy/weight-${r}`] = (x, t, w) => F.crossEntropy(x, t!, { weight: w!, reduction: r });
  impls[`crossEntropy/smooth-${r}`] = (x, t) => F.crossEntropy(x, t!, { labelSmoothing: 0.2, reduction: r });
  impls[`crossEntropy/smooth-weight-ignore-${r}`] = (x, t, w) => F.crossEntropy(x, t!, { weight: w!, ignoreIndex: 2, labelSmoothing: 0.1, reduction: r });
  impls[`mseLoss/${r}`] = (a, b) => F.mseLoss(a, b!, { reduction: r });
  impls[`l1Loss/${r}`] = (a, b) => F.l1Loss(a, b!, { reduction: r });
}

Object.assign(impls, {
  'crossEntropy/ignore-default': (x, t) => F.crossEntropy(x, t!),
  'crossEntropy/ignore-weight': (x, t, w) => F.crossEntropy(x, t!, { weight: w!, ignoreIndex: 2 }),
  'crossEntropy/ignore-smooth': (x, t) => F.crossEntropy(x, t!, { labelSmoothing: 0.3 }),
  'crossEntropy/unbatched': (x, t) => F.crossEntropy(x, t!),
  'crossEntropy/nd': (x, t) => F.crossEntropy(x, t!),
  'crossEntropy/nd-weight-ignore-none': (x, t, w) => F.crossEntropy(x, t!, { weight: w!, ignoreIndex: 1, reduction: 'none' }),
  'crossEntropy/nd-smooth': (x, t) => F.crossEntropy(x, t!, { labelSmoothing: 0.15 }),
  'crossEntropy/transposed-logits': (x, t) => F.crossEntropy(x.t(), t!),
  'crossEntropy/float64': (x, t) => F.crossEntropy(x, t!),
  'crossEntropy/probs': (x, t) => F.crossEntropy(x, t!.softmax(1)),
  'crossEntropy/probs-weight-smooth-sum': (x, t, w) => F.crossEntropy(x, t!.softmax(1), { weight: w!, labelSmoothing: 0.2, reduction: 'sum' }),
  'crossEntropy/probs-nd-none': (x, t) => F.crossEntropy(x, t!.softmax(1), { reduction: 'none' }),
  'crossEntropy/probs-grad-target': (x, t) => F.crossEntropy(x, t!),
  'crossEntropy/batch-mismatch': (x, t) => F.crossEntropy(x, t!),
  'crossEntropy/target-out-of-range': (x, t) => F.crossEntropy(x, t!),

  nllLoss: (x, t) => F.nllLoss(x, t!),
  'nllLoss/weight': (x, t, w) => F.nllLoss(x, t!, { weight: w! }),
  'nllLoss/weight-ignore-sum': (x, t, w) => F.nllLoss(x, t!, { weight: w!, reduction: 'sum' }),
  'nllLoss/nd-none': (x, t) => F.nllLoss(x, t!, { reduction: 'none' }),
  'nllLoss/unbatched': (x, t) => F.nllLoss(x, t!),
  'nllLoss/bad-weight': (x, t, w) => F.nllLoss(x, t!, { weight: w! }),

  smoothL1Loss: (a, b) => F.smoothL1Loss(a, b!),
  'smoothL1Loss/beta': (a, b) => F.smoothL1Loss(a, b!, { beta: 0.5, reduction: 'sum' }),
  'smoothL1Loss/beta0': (a, b) => F.smoothL1Loss(a, b!, { beta: 0 }),
  huberLoss: (a, b) => F.huberLoss(a, b!),
  'huberLoss/delta': (a, b) => F.huberLoss(a, b!, { delta: 0.7, reduction: 'none' }),
  'mseLoss/transposed': (a, b) => F.mseLoss(a.t(), b!),

  bce: (x, t) => F.binaryCrossEntropy(x, t!),
  'bce/weight-sum': (x, t, w) => F.binaryCrossEntropy(x, t!, { weight: w!, reduction: 'sum' }),
  'bce/none': (x, t) => F.binaryCrossEntropy(x, t!, { reduction: 'none' }),
  'bce/clamp': (x, t) => F.binaryCrossEntropy(x, t!, { reduction: 'none' }),
  'bce/size-mismatch': (x, t) => F.binaryCrossEntropy(x, t!),
  bceWithLogits: (x, t) => F.binaryCrossEntropyWithLogits(x, t!),
  'bceWithLogits/large': (x, t) => F.binaryCrossEntropyWithLogits(x, t!, { reduction: 'none' }),
  'bceWithLogits/weight-posweight': (x, t, w, pw) => F.binaryCrossEntropyWithLogits(x, t!, { weight: w!, posWeight: pw! }),
  'bceWithLogits/posweight-sum': (x, t, pw) => F.binaryCrossEntropyWithLogits(x, t!, { posWeight: pw!, reduction: 'sum' }),
  'bceWithLogits/size-mismatch': (x, t) => F.binaryCrossEntropyWithLogits(x, t!),

  'klDiv/batchmean': (x, t) => F.klDiv(x.logSoftmax(1), t!.softmax(1), { reduction: 'batchmean' }),
  'klDiv/mean': (x, t) => F.klDiv(x.logSoftmax(1), t!, { reduction: 'mean' }),
  'klDiv/sum-zeros': (x, t) => F.klDiv(x.logSoftmax(0), t!, { reduction: 'sum' }),
  'klDiv/logtarget-none': (x, t) => F.klDiv(x.logSoftmax(1), t!.logSoftmax(1), { reduction: 'none', logTarget: true }),

  marginRankingLoss: (a, b, y) => F.marginRankingLoss(a, b!, y!, { margin: 0.3 }),
  'marginRankingLoss/sum': (a, b, y) => F.marginRankingLoss(a, b!, y!, { reduction: 'sum' }),
  'marginRankingLoss/bad-dims': (a, b, y) => F.marginRankingLoss(a, b!, y!),
  hingeEmbeddingLoss: (x, y) => F.hingeEmbeddingLoss(x, y!),
  'hingeEmbeddingLoss/margin-none': (x, y) => F.hingeEmbeddingLoss(x, y!, { margin: 0.5, reduction: 'none' }),
  softMarginLoss: (x, y) => F.softMarginLoss(x, y!),
  'softMarginLoss/sum': (x, y) => F.softMarginLoss(x.mul(30), y!, { reduction: 'sum' }),
  cosineEmbeddingLoss: (a, b, y) => F.cosineEmbeddingLoss(a, b!, y!),
  'cosineEmbeddingLoss/margin-none': (a, b, y) => F.cosineEmbeddingLoss(a, b!, y!, { margin: 0.2, reduction: 'none' }),
  tripletMarginLoss: (a, p, n) => F.tripletMarginLoss(a, p!, n!),
  'tripletMarginLoss/p1-swap-margin': (a, p, n) => F.tripletMarginLoss(a, p!, n!, { margin: 2.0, p: 1, swap: true, reduction: 'sum' }),
  'tripletMarginLoss/bad-dims': (a, p, n) => F.tripletMarginLoss(a, p!, n!),
  poissonNllLoss: (x, t) => F.poissonNllLoss(x, t!),
  'poissonNllLoss/no-log-full': (x, t) => F.poissonNllLoss(x, t!, { logInput: false, full: true, reduction: 'sum' }),
  'poissonNllLoss/full-none': (x, t) => F.poissonNllLoss(x, t!, { full: true, reduction: 'none' }),
  gaussianNllLoss: (x, t, v) => F.gaussianNllLoss(x, t!, v!),
  'gaussianNllLoss/var-clamped-full': (x, t, v) => F.gaussianNllLoss(x, t!, v!, { full: true, eps: 1e-3, reduction: 'sum' }),
  'gaussianNllLoss/homoscedastic': (x, t, v) => F.gaussianNllLoss(x, t!, v!, { reduction: 'none' }),
  'gaussianNllLoss/var-last-1': (x, t, v) => F.gaussianNllLoss(x, t!, v!),
  'gaussianNllLoss/bad-var': (x, t, v) => F.gaussianNllLoss(x, t!, v!),
  multiMarginLoss: (x, t) => F.multiMarginLoss(x, t!),
  'multiMarginLoss/p2-margin-weight-sum': (x, t, w) => F.multiMarginLoss(x, t!, { p: 2, margin: 0.5, weight: w!, reduction: 'sum' }),
  'multiMarginLoss/1d': (x, t) => F.multiMarginLoss(x, t!),
  multilabelSoftMarginLoss: (x, t) => F.multilabelSoftMarginLoss(x, t!),
  'multilabelSoftMarginLoss/weight-none': (x, t, w) => F.multilabelSoftMarginLoss(x, t!, { weight: w!, reduction: 'none' }),
  ctcLoss: (x, t) => F.ctcLoss(x.logSoftmax(2), t!, [8, 8, 8], [3, 2, 3]),
  'ctcLoss/sum-varlen': (x, t) => F.ctcLoss(x.logSoftmax(2), t!, [8, 6, 7], [3, 2, 1], { reduction: 'sum' }),
  'ctcLoss/none-varlen': (x, t) => F.ctcLoss(x.logSoftmax(2), t!, torch.tensor([8, 6, 7]), torch.tensor([3, 2, 1]), { reduction: 'none' }),
  'ctcLoss/blank-last-1d-targets': (x, t) => F.ctcLoss(x.logSoftmax(2), t!, [7, 5], [2, 3], { blank: 3 }),
  'ctcLoss/impossible': (x, t) => F.ctcLoss(x.logSoftmax(2), t!, [3, 3], [3, 3], { reduction: 'none' }),
  'ctcLoss/zero-infinity': (x, t) => F.ctcLoss(x.logSoftmax(2), t!, [3, 3], [3, 3], { reduction: 'sum', zeroInfinity: true }),
  'ctcLoss/unbatched': (x, t) => F.ctcLoss(x.logSoftmax(1), t!, 6, 2),
  'ctcLoss/float64': (x, t) => F.ctcLoss(x.logSoftmax(2), t!, [6, 6], [3, 2]),
  // An infeasible sample without zeroInfinity: inf, and PyTorch's NaN gradient on its frames.
  'ctcLoss/infeasible-nan-grad-none': (x, t) => F.ctcLoss(x.logSoftmax(2), t!, [3, 4], [3, 2], { reduction: 'none' }),
  'ctcLoss/infeasible-nan-grad-sum': (x, t) => F.ctcLoss(x.logSoftmax(2), t!, [3, 4], [3, 2], { reduction: 'sum' }),
  'ctcLoss/infeasible-nan-grad-mean': (x, t) => F.ctcLoss(x.logSoftmax(2), t!, [3, 4], [3, 2], { reduction: 'mean' }),
  multilabelMarginLoss: (x, t) => F.multilabelMarginLoss(x, t!),
  'multilabelMarginLoss/none-1d': (x, t) => F.multilabelMarginLoss(x, t!, { reduction: 'none' }),
  tripletMarginWithDistanceLoss: (a, p, n) => F.tripletMarginWithDistanceLoss(a, p!, n!),
  'tripletMarginWithDistanceLoss/cosine-swap': (a, p, n) => F.tripletMarginWithDistanceLoss(a, p!, n!, {
    distanceFunction: (x, y) => F.cosineSimilarity(x, y).rsub(1), margin: 0.5, swap: true, reduction: 'sum' }),
  'kink/marginRankingLoss': (a, b, y) => F.marginRankingLoss(a, b!, y!, { reduction: 'none' }),
  'kink/hingeEmbeddingLoss': (x, y) => F.hingeEmbeddingLoss(x, y!, { margin: 1.0, reduction: 'none' }),
  'kink/smoothL1Loss': (a, b) => F.smoothL1Loss(a, b!, { beta: 1.0, reduction: 'none' }),
  'kink/huberLoss': (a, b) => F.huberLoss(a, b!, { delta: 0.5, reduction: 'none' }),
  'kink/l1Loss': (a, b) => F.l1Loss(a, b!, { reduction: 'none' }),
  'kink/multiMarginLoss': (x, t) => F.multiMarginLoss(x, t!, { reduction: 'none' }),
} satisfies Record<string, OpImpl>);

opSuite('loss', impls);
