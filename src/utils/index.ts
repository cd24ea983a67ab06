// The torch.utils namespace (torch.utils.data).
export * as data from './data/index.js';
