// Process-wide settings: default dtype and device, grad mode, the random generator's state.
// Kept in one small module so every layer reads the same values without import cycles.

import type { Device } from './backends/backend.js';
import type { DType } from './dtype.js';
import type { Tensor } from './tensor.js';

export const state = {
  defaultDtype: 'float32' as DType,
  defaultDevice: 'cpu' as Device,
  gradEnabled: true,
  /** Anomaly detection (torch.autograd.detectAnomaly): nodes keep their forward trace; checkNan: backward results are checked. */
  anomaly: false,
  anomalyCheckNan: true,
  /** While torch.utils.checkpoint runs its forward without grad: the tensors requiring grad its ops read. */
  checkpointReads: null as Set<Tensor> | null,
  /** Philox key and the next unused counter block. */
  seed: 0x853c49e6 as number,
  offset: 0,
};

/** Reserves `blocks` Philox counter blocks; returns [seed, first block]. */
export function nextRandom(blocks: number): [number, number] {
  const off = state.offset;
  state.offset += blocks;
  return [state.seed, off];
}

export function manualSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(`manualSeed: seed must be a non-negative integer below 2^53, got ${seed}`);
  }
  state.seed = seed;
  state.offset = 0;
}

/** The seed of the global random stream (torch.initialSeed). */
export function initialSeed(): number { return state.seed; }
