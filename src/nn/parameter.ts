// nn.Parameter and nn.Buffer: Tensor subclasses that mark a module field as a learnable parameter
// (a leaf with requiresGrad, default true) or as module state (a buffer). Both share storage with
// the tensor they wrap, pass `instanceof torch.Tensor`, and are exempt from torch.tidy disposal
// because a module owns them for its whole life.

import { Tensor } from '../tensor.js';

export class Parameter extends Tensor {
  /** `new nn.Parameter(t)`: a leaf sharing t's storage; requiresGrad defaults to true (floating dtypes only). */
  constructor(data: Tensor, requiresGrad = true) {
    if (!(data instanceof Tensor)) throw new TypeError(`Parameter: data must be a Tensor, got ${typeof data}`);
    super(data.storage, data.shape, data.strides_, data.offset, data.dtype);
    this.kept = true;
    if (requiresGrad) this.requiresGrad_(true);
  }
  override toString(): string { return `Parameter containing:\n${super.toString()}`; }
}

export class Buffer extends Tensor {
  readonly persistent: boolean;
  /** `new nn.Buffer(t, { persistent })`: assigned to a module field, it registers as a buffer. */
  constructor(data: Tensor, opts: { persistent?: boolean } = {}) {
    if (!(data instanceof Tensor)) throw new TypeError(`Buffer: data must be a Tensor, got ${typeof data}`);
    super(data.storage, data.shape, data.strides_, data.offset, data.dtype);
    this.kept = true;
    this.persistent = opts.persistent ?? true;
  }
}

export function isParameter(x: unknown): x is Parameter { return x instanceof Parameter; }
