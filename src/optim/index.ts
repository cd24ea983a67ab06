// The torch.optim namespace: the Optimizer base, every optimizer and the lrScheduler sub-namespace.
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
