// The torch.utils.tensorboard namespace: SummaryWriter, writing TensorBoard event files (Node, Deno,
// Bun) or keeping their bytes (browsers).

export { SummaryWriter, type SummaryWriterOptions, type AddImageOptions } from './writer.js';
export type { HParamValue } from './summary.js';
