// The torch.optim namespace: the Optimizer base, every optimizer and the lrScheduler and swaUtils
// sub-namespaces.
// Option names are PyTorch's in camelCase (weightDecay, lrDecay, momentumDecay, historySize...).

export { Optimizer } from './optimizer.js';
export type { ParamGroup, ParamGroupInput, ParamsInput, ParamState, StateValue, OptimizerStateDict, LegacyOptimizerStateDict, PyTorchOptimizerStateDict, Closure } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { Adagrad, type AdagradOptions } from './adagrad.js';
export { Adadelta, type AdadeltaOptions } from './adadelta.js';
export { Adamax, type AdamaxOptions } from './adamax.js';
export { NAdam, type NAdamOptions } from './nadam.js';
export { RAdam, type RAdamOptions } from './radam.js';
export { LBFGS, type LBFGSOptions } from './lbfgs.js';
export * as lrScheduler from './lr-scheduler.js';
/** torch.optim.swaUtils (PyTorch's swa_utils): AveragedModel, SWALR and updateBn for stochastic weight averaging and EMA. */
export * as swaUtils from './swa-utils.js';
export type { AveragedModelOptions, AvgFn, SWALROptions, UpdateBnOptions } from './swa-utils.js';
