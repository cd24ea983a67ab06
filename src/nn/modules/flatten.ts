// Flatten and Unflatten: reshape modules (no parameters). Flatten's defaults (startDim 1) keep the batch dim.

import type { Tensor } from '../../tensor.js';
import { Module } from '../module.js';

/** Flattens dims startDim..endDim (default 1..-1) into one (torch.nn.Flatten). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) { super(); }
  /** Flattens dims startDim..endDim of x into one. */
  forward(x: Tensor): Tensor { return x.flatten(this.startDim, this.endDim); }
  override extraRepr(): string { return `start_dim=${this.startDim}, end_dim=${this.endDim}`; }
}

/** Expands dimension dim of the input into the shape unflattenedSize (torch.nn.Unflatten). */
export class Unflatten extends Module {
  constructor(readonly dim: number, readonly unflattenedSize: readonly number[]) { super(); }
  /** Expands dimension dim of x into unflattenedSize. */
  forward(x: Tensor): Tensor { return x.unflatten(this.dim, this.unflattenedSize); }
  override extraRepr(): string { return `dim=${this.dim}, unflattened_size=(${this.unflattenedSize.join(', ')})`; }
}
