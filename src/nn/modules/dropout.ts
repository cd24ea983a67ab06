// Dropout layers: in training mode zero elements (Dropout) or whole channels (Dropout1d/2d/3d) with
// probability p and scale the rest by 1/(1-p); identity in eval mode. Masks are F.dropout's
// (functional/dropout.ts applyMask), so they follow torch.manualSeed on every backend.

import type { Tensor } from '../../tensor.js';
import { Module, pyFloat } from '../module.js';
import * as F from '../functional/index.js';
import { applyMask as dropoutMask } from '../functional/dropout.js';
import { composite } from '../../ops/prim.js';

/** @internal Functional dropout used inside layers (attention weights, between RNN layers). */
export function dropout(x: Tensor, p: number, training: boolean): Tensor {
  return training && p > 0 ? composite('dropout', { p, training }, () => dropoutMask(x, p, x.shape)) : x;
}

/** Shared base of the dropout layers: the probability p of an element (or channel) being zeroed. */
abstract class DropoutBase extends Module {
  readonly p: number;
  /** PyTorch's inplace flag: accepted, no effect (the result is a new tensor); printed by the repr. */
  readonly inplace: boolean;
  /** `new nn.Dropout(0.2)` or `new nn.Dropout({ p: 0.2 })` (PyTorch's keyword), `new nn.Dropout(0.2, true)` (inplace). */
  constructor(pArg: number | { p?: number; inplace?: boolean } = 0.5, opts: { inplace?: boolean } | boolean = {}) {
    super();
    this.inplace = opts === true || (typeof opts === 'object' && opts.inplace === true) || (typeof pArg === 'object' && pArg !== null && pArg.inplace === true);
    const p = typeof pArg === 'object' && pArg !== null ? (pArg.p ?? 0.5) : pArg;
    this.p = p;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout probability has to be between 0 and 1, but got ${p}`);
  }
  override extraRepr(): string { return `p=${pyFloat(this.p)}, inplace=${this.inplace ? 'True' : 'False'}`; }
}

/** During training, zeroes elements with probability p and scales the rest by 1/(1-p); identity in eval mode (torch.nn.Dropout). */
export class Dropout extends DropoutBase {
  /** Zeroes each element with probability p and scales the rest by 1/(1-p) in training mode; returns x in eval mode. */
  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    return composite('dropout', { p: this.p, training: true }, () => dropoutMask(x, this.p, x.shape));
  }
}
/** Randomly zeroes whole channels of (N, C, L) or (C, L) input (torch.nn.Dropout1d). */
export class Dropout1d extends DropoutBase {
  /** Zeroes each channel of (N, C, L) or (C, L) x with probability p and scales the rest by 1/(1-p) in training mode; returns x in eval mode. */
  forward(x: Tensor): Tensor {
    if (x.ndim !== 2 && x.ndim !== 3) throw new RangeError(`dropout1d: Expected 2D or 3D input, but received a ${x.ndim}D input`);
    if (!this.training || this.p === 0) return x;
    return composite('dropout1d', { p: this.p, training: true }, () => dropoutMask(x, this.p, [...x.shape.slice(0, -1), 1]));
  }
}
/** Zeroes whole channels of (N, C, H, W) input; a 3-D input is (N, C, L), as PyTorch 1.13 (with its warning). */
export class Dropout2d extends DropoutBase {
  /** Zeroes each channel of (N, C, H, W) x (or (N, C, L): F.dropout2d's rule) with probability p and scales the rest by 1/(1-p) in training mode; returns x in eval mode. */
  forward(x: Tensor): Tensor {
    if (x.ndim !== 3 && x.ndim !== 4) throw new RangeError(`dropout2d: Expected 3D or 4D input, but received a ${x.ndim}D input`);
    if (!this.training || this.p === 0) return x;
    return F.dropout2d(x, this.p);
  }
}
/** Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) input. */
export class Dropout3d extends DropoutBase {
  /** Zeroes each channel of (N, C, D, H, W) or (C, D, H, W) x with probability p and scales the rest by 1/(1-p) in training mode; returns x in eval mode. */
  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 && x.ndim !== 5) throw new RangeError(`dropout3d: Expected 4D or 5D input, but received a ${x.ndim}D input`);
    if (!this.training || this.p === 0) return x;
    return composite('dropout3d', { p: this.p, training: true }, () => dropoutMask(x, this.p, [...x.shape.slice(0, -3), 1, 1, 1]));
  }
}
/** Dropout that keeps SELU's self-normalizing statistics (zero mean, unit variance). */
export class AlphaDropout extends DropoutBase {
  /** Applies alpha dropout in training mode (dropped values set to SELU's negative saturation, then an affine correction); returns x in eval mode. */
  forward(x: Tensor): Tensor { return F.alphaDropout(x, this.p, { training: this.training }); }
}
