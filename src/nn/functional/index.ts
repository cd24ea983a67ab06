// torch.nn.functional: stateless layers, activations and losses, composed from tensor ops so every
// backend gets them (and their gradients) for free. Users write `const F = torch.nn.functional`.
export * from './activation.js';
export { linear, bilinear } from './linear.js';
export { conv1d, conv2d, conv3d, convTranspose1d, convTranspose2d, convTranspose3d, unfold, fold } from './conv.js';
export type { ConvOpts, ConvTransposeOpts, FoldOpts } from './conv.js';
export {
  maxPool1d, maxPool2d, maxPool3d, avgPool1d, avgPool2d, avgPool3d, adaptiveAvgPool1d, adaptiveAvgPool2d, adaptiveAvgPool3d,
  adaptiveMaxPool1d, adaptiveMaxPool2d, adaptiveMaxPool3d, maxUnpool1d, maxUnpool2d, lpPool1d, lpPool2d,
} from './pool.js';
export type { MaxPoolOpts, AvgPoolOpts } from './pool.js';
export {
  pad, interpolate, interpolate as upsample, pixelShuffle, pixelUnshuffle, normalize, cosineSimilarity, pairwiseDistance, pdist, channelShuffle, embedding, oneHot, oneHotAsync,
  affineGrid, gridSample, embeddingBag,
} from './misc.js';
export type { PadMode, InterpolateMode, InterpolateOpts, EmbeddingOpts, EmbeddingBagOpts, GridSampleOpts } from './misc.js';
export { layerNorm, groupNorm, batchNorm, instanceNorm, rmsNorm, localResponseNorm } from './norm.js';
export type { BatchNormOpts, InstanceNormOpts } from './norm.js';
export { dropout, dropout1d, dropout2d, dropout3d, alphaDropout } from './dropout.js';
export type { DropoutOpts } from './dropout.js';
export { scaledDotProductAttention } from './attention.js';
export type { SdpaOpts } from './attention.js';
export {
  nllLoss, crossEntropy, mseLoss, l1Loss, smoothL1Loss, huberLoss, binaryCrossEntropy, binaryCrossEntropyWithLogits, klDiv,
  marginRankingLoss, hingeEmbeddingLoss, softMarginLoss, cosineEmbeddingLoss, tripletMarginLoss, poissonNllLoss, gaussianNllLoss,
  multiMarginLoss, multilabelSoftMarginLoss, multilabelMarginLoss, tripletMarginWithDistanceLoss, ctcLoss,
} from './loss.js';
export type { Reduction, NllOpts, CrossEntropyOpts, CtcOpts } from './loss.js';
