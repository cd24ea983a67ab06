// nn.Parameter and nn.Buffer: Tensor subclasses that mark a module field as a learnable parameter
// (a leaf with requiresGrad, default true) or as module state (a buffer). Both share storage with
// the tensor they wrap, pass `instanceof torch.Tensor`, and are exempt from torch.tidy disposal
// because a module owns them for its whole life.

import { Tensor } from '../tensor.js';

/** A Tensor that is to be considered a module parameter: assigned to a Module field, it is registered and listed by parameters() (torch.nn.Parameter). */
export class Parameter extends Tensor {
  /** `new nn.Parameter(t)`: a leaf sharing t's storage; requiresGrad defaults to true (floating dtypes only). */
  constructor(data: Tensor, requiresGrad = true) {
    if (!(data instanceof Tensor)) throw new TypeError(`Parameter: data must be a Tensor, got ${typeof data}`);
    super(data.storage, data.shape, data.strides_, data.offset, data.dtype);
    this.kept = true;
    if (requiresGrad) this.requiresGrad_(true);
  }
  /** The tensor's repr headed by 'Parameter containing:', as PyTorch prints it. */
  override toString(): string { return `Parameter containing:\n${super.toString()}`; }
}

/** A Tensor that is module state but not a parameter (running statistics): assigned to a Module field, it is registered as a buffer (torch.nn.Buffer). */
export class Buffer extends Tensor {
  /** Whether the buffer is part of the module's stateDict (default true). */
  readonly persistent: boolean;
  /** `new nn.Buffer(t, { persistent })`: assigned to a module field, it registers as a buffer. */
  constructor(data: Tensor, opts: { persistent?: boolean } = {}) {
    if (!(data instanceof Tensor)) throw new TypeError(`Buffer: data must be a Tensor, got ${typeof data}`);
    super(data.storage, data.shape, data.strides_, data.offset, data.dtype);
    this.kept = true;
    this.persistent = opts.persistent ?? true;
  }
}

/** Whether x is an nn.Parameter. */
export function isParameter(x: unknown): x is Parameter { return x instanceof Parameter; }
