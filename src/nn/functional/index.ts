// torch.nn.functional: stateless layers, activations and losses, composed from tensor ops so every
// backend gets them (and their gradients) for free. Users write `const F = torch.nn.functional`.
export * from './activation.js';
export { unfold, fold } from './conv.js';
export type { ConvOpts, ConvTransposeOpts, FoldOpts } from './conv.js';
export {
  maxPool1d, maxPool2d, maxPool3d, avgPool1d, avgPool2d, avgPool3d, adaptiveAvgPool1d, adaptiveAvgPool2d, adaptiveAvgPool3d,
  adaptiveMaxPool1d, adaptiveMaxPool2d, adaptiveMaxPool3d, maxUnpool1d, maxUnpool2d, lpPool1d, lpPool2d,
} from './pool.js';
export type { MaxPoolOpts, AvgPoolOpts } from './pool.js';
export {
  pad, interpolate, interpolate as upsample, pixelShuffle, pixelUnshuffle, normalize, pairwiseDistance, channelShuffle,
  embedding, oneHot, oneHotAsync, affineGrid, embeddingBag,
} from './misc.js';
export type { PadMode, InterpolateMode, InterpolateOpts, EmbeddingOpts, EmbeddingBagOpts, GridSampleOpts } from './misc.js';
export { localResponseNorm } from './norm.js';
export type { BatchNormOpts, InstanceNormOpts } from './norm.js';
export { dropout, dropout1d, dropout2d, dropout3d, alphaDropout } from './dropout.js';
export type { DropoutOpts } from './dropout.js';
export type { SdpaOpts } from './attention.js';
export { tripletMarginWithDistanceLoss } from './loss.js';
export type { Reduction, NllOpts, CrossEntropyOpts, CtcOpts } from './loss.js';

// Autocast (src/amp/autocast.ts): the layers' functions of PyTorch's autocast lists, wrapped once here,
// where layers and torch.nn.functional dispatch. A local export shadows the same name of an `export *` above.
import { autocastOp } from '../../amp/autocast.js';
import * as linearFns from './linear.js';
import * as convFns from './conv.js';
import * as activationFns from './activation.js';
import * as attentionFns from './attention.js';
import * as normFns from './norm.js';
import * as miscFns from './misc.js';
import * as lossFns from './loss.js';
export const linear: typeof linearFns.linear = autocastOp(linearFns, 'linear', 'lower');
export const conv1d: typeof convFns.conv1d = autocastOp(convFns, 'conv1d', 'lower');
export const conv2d: typeof convFns.conv2d = autocastOp(convFns, 'conv2d', 'lower');
export const conv3d: typeof convFns.conv3d = autocastOp(convFns, 'conv3d', 'lower');
export const convTranspose1d: typeof convFns.convTranspose1d = autocastOp(convFns, 'convTranspose1d', 'lower');
export const convTranspose2d: typeof convFns.convTranspose2d = autocastOp(convFns, 'convTranspose2d', 'lower');
export const convTranspose3d: typeof convFns.convTranspose3d = autocastOp(convFns, 'convTranspose3d', 'lower');
export const prelu: typeof activationFns.prelu = autocastOp(activationFns, 'prelu', 'lower');
export const scaledDotProductAttention: typeof attentionFns.scaledDotProductAttention = autocastOp(attentionFns, 'scaledDotProductAttention', 'lower');
export const softplus: typeof activationFns.softplus = autocastOp(activationFns, 'softplus', 'fp32');
export const layerNorm: typeof normFns.layerNorm = autocastOp(normFns, 'layerNorm', 'fp32');
export const groupNorm: typeof normFns.groupNorm = autocastOp(normFns, 'groupNorm', 'fp32');
export const batchNorm: typeof normFns.batchNorm = autocastOp(normFns, 'batchNorm', 'fp32');
export const instanceNorm: typeof normFns.instanceNorm = autocastOp(normFns, 'instanceNorm', 'fp32');
export const rmsNorm: typeof normFns.rmsNorm = autocastOp(normFns, 'rmsNorm', 'fp32');
export const cosineSimilarity: typeof miscFns.cosineSimilarity = autocastOp(miscFns, 'cosineSimilarity', 'fp32');
export const pdist: typeof miscFns.pdist = autocastOp(miscFns, 'pdist', 'fp32');
export const nllLoss: typeof lossFns.nllLoss = autocastOp(lossFns, 'nllLoss', 'fp32');
export const crossEntropy: typeof lossFns.crossEntropy = autocastOp(lossFns, 'crossEntropy', 'fp32');
export const mseLoss: typeof lossFns.mseLoss = autocastOp(lossFns, 'mseLoss', 'fp32');
export const l1Loss: typeof lossFns.l1Loss = autocastOp(lossFns, 'l1Loss', 'fp32');
export const smoothL1Loss: typeof lossFns.smoothL1Loss = autocastOp(lossFns, 'smoothL1Loss', 'fp32');
export const huberLoss: typeof lossFns.huberLoss = autocastOp(lossFns, 'huberLoss', 'fp32');
export const binaryCrossEntropyWithLogits: typeof lossFns.binaryCrossEntropyWithLogits = autocastOp(lossFns, 'binaryCrossEntropyWithLogits', 'fp32');
export const klDiv: typeof lossFns.klDiv = autocastOp(lossFns, 'klDiv', 'fp32');
export const marginRankingLoss: typeof lossFns.marginRankingLoss = autocastOp(lossFns, 'marginRankingLoss', 'fp32');
export const hingeEmbeddingLoss: typeof lossFns.hingeEmbeddingLoss = autocastOp(lossFns, 'hingeEmbeddingLoss', 'fp32');
export const softMarginLoss: typeof lossFns.softMarginLoss = autocastOp(lossFns, 'softMarginLoss', 'fp32');
export const cosineEmbeddingLoss: typeof lossFns.cosineEmbeddingLoss = autocastOp(lossFns, 'cosineEmbeddingLoss', 'fp32');
export const tripletMarginLoss: typeof lossFns.tripletMarginLoss = autocastOp(lossFns, 'tripletMarginLoss', 'fp32');
export const poissonNllLoss: typeof lossFns.poissonNllLoss = autocastOp(lossFns, 'poissonNllLoss', 'fp32');
export const gaussianNllLoss: typeof lossFns.gaussianNllLoss = autocastOp(lossFns, 'gaussianNllLoss', 'fp32');
export const multiMarginLoss: typeof lossFns.multiMarginLoss = autocastOp(lossFns, 'multiMarginLoss', 'fp32');
export const multilabelSoftMarginLoss: typeof lossFns.multilabelSoftMarginLoss = autocastOp(lossFns, 'multilabelSoftMarginLoss', 'fp32');
export const multilabelMarginLoss: typeof lossFns.multilabelMarginLoss = autocastOp(lossFns, 'multilabelMarginLoss', 'fp32');
export const ctcLoss: typeof lossFns.ctcLoss = autocastOp(lossFns, 'ctcLoss', 'fp32');
export const softmax: typeof activationFns.softmax = autocastOp(activationFns, 'softmax', 'fp32OptDtype');
export const logSoftmax: typeof activationFns.logSoftmax = autocastOp(activationFns, 'logSoftmax', 'fp32OptDtype');
export const softmin: typeof activationFns.softmin = autocastOp(activationFns, 'softmin', 'fp32OptDtype');
export const bilinear: typeof linearFns.bilinear = autocastOp(linearFns, 'bilinear', 'promote');
export const gridSample: typeof miscFns.gridSample = autocastOp(miscFns, 'gridSample', 'promote');
export const binaryCrossEntropy: typeof lossFns.binaryCrossEntropy = autocastOp(lossFns, 'binaryCrossEntropy', 'banned');
