// The Adam/AdamW configurations the fused-step tests run on every backend (CPU, WebGPU): plain Adam,
// L2 weight decay with other betas and eps, maximize, and AdamW's decoupled decay.

import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

export const ADAM_CONFIGS: readonly [string, (ps: Tensor[]) => torch.optim.Optimizer][] = [
  ['Adam', (ps) => new torch.optim.Adam(ps, { lr: 1e-2 })],
  ['Adam, weightDecay and betas', (ps) => new torch.optim.Adam(ps, { lr: 3e-3, weightDecay: 0.1, betas: [0.8, 0.95], eps: 1e-6 })],
  ['Adam, maximize', (ps) => new torch.optim.Adam(ps, { lr: 1e-3, maximize: true, weightDecay: 1 })],
  ['AdamW', (ps) => new torch.optim.AdamW(ps, { lr: 1e-2, weightDecay: 0.05 })],
];
