// The torch.utils namespace (torch.utils.data, torch.utils.tensorboard).
export * as data from './data/index.js';
export * as tensorboard from './tensorboard/index.js';
export * as checkpoint from './checkpoint.js';
export { summary, ModelSummary } from './summary.js';
export type { SummaryOptions, SummaryRow } from './summary.js';
