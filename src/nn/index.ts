// The torch.nn namespace: Module, Parameter/Buffer, every layer, nn.init, nn.utils and
// nn.functional (re-exported from ./functional). Layers are written once over Tensor/autograd/F,
// so they run unchanged on every backend.

export { Module, runModule } from './module.js';
export type { ForwardHook, ForwardPreHook, RemovableHandle, LoadResult } from './module.js';
export { Parameter, Buffer, isParameter } from './parameter.js';
export * from './modules/container.js';
export { Identity, Linear, Bilinear } from './modules/linear.js';
export type { FactoryOpts } from './modules/linear.js';
export * from './modules/flatten.js';
export * from './modules/conv.js';
export * from './modules/pooling.js';
export * from './modules/activation.js';
export * from './modules/normalization.js';
export { Dropout, Dropout1d, Dropout2d, Dropout3d, AlphaDropout } from './modules/dropout.js';
export * from './modules/sparse.js';
export * from './modules/loss.js';
export * from './modules/rnn.js';
export * from './modules/transformer.js';
export * from './modules/misc.js';
export * as init from './init.js';
export * as utils from './utils.js';
export * as parallel from './parallel/index.js';
export * as functional from './functional/index.js';
