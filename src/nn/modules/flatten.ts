// Flatten and Unflatten: reshape modules (no parameters). Flatten's defaults (startDim 1) keep the batch dim.

import type { Tensor } from '../../tensor.js';
import { Module } from '../module.js';

export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) { super(); }
  forward(x: Tensor): Tensor { return x.flatten(this.startDim, this.endDim); }
  override extraRepr(): string { return `start_dim=${this.startDim}, end_dim=${this.endDim}`; }
}

export class Unflatten extends Module {
  constructor(readonly dim: number, readonly unflattenedSize: readonly number[]) { super(); }
  forward(x: Tensor): Tensor { return x.unflatten(this.dim, this.unflattenedSize); }
  override extraRepr(): string { return `dim=${this.dim}, unflattened_size=(${this.unflattenedSize.join(', ')})`; }
}
