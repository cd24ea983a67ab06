// Identity, Linear and Bilinear with PyTorch's parameter names and default init
// (kaiming_uniform_(a=sqrt(5)) weight, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) bias).

import type { Tensor } from '../../tensor.js';
import type { DType } from '../../dtype.js';
import type { Device } from '../../backends/backend.js';
import { empty_ } from '../../ops/creation.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import * as init from '../init.js';
import * as F from '../functional/index.js';

/** Where and how a layer creates its parameters. */
export interface FactoryOpts {
  /** The device of the parameters and buffers (default: the default device). */
  device?: Device;
  /** The dtype of the parameters and buffers (default: the default floating dtype). */
  dtype?: DType;
}
/** @internal An uninitialised parameter of the given shape (filled by resetParameters). */
export function newParam(shape: number[], opts: FactoryOpts = {}): Parameter {
  return new Parameter(empty_(shape, { dtype: opts.dtype, device: opts.device }));
}

/** A placeholder identity operator that returns its input unchanged; arguments are ignored (torch.nn.Identity). */
export class Identity extends Module {
  constructor(..._args: unknown[]) { super(); }
  /** Returns x unchanged. */
  forward(x: Tensor): Tensor { return x; }
}

/** y = x W^T + b; weight [outFeatures, inFeatures]. */
export class Linear extends Module {
  weight: Parameter;
  bias: Parameter | null;
  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: { bias?: boolean } & FactoryOpts = {}) {
    super();
    this.weight = newParam([outFeatures, inFeatures], opts);
    this.bias = opts.bias ?? true ? newParam([outFeatures], opts) : null;
    this.resetParameters();
  }
  /** Re-initializes weight with kaiming_uniform_(a=sqrt(5)) and bias with U(-1/sqrt(inFeatures), 1/sqrt(inFeatures)). */
  resetParameters(): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const fanIn = this.inFeatures;
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      init.uniform_(this.bias, -bound, bound);
    }
  }
  /** Applies y = x W^T + b to the last dimension of x. */
  forward(x: Tensor): Tensor { return F.linear(x, this.weight, this.bias); }
  override extraRepr(): string { return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? 'True' : 'False'}`; }
}

/** y = x1^T A x2 + b; weight [outFeatures, in1Features, in2Features], init U(-1/sqrt(in1), 1/sqrt(in1)). */
export class Bilinear extends Module {
  weight: Parameter;
  bias: Parameter | null;
  constructor(readonly in1Features: number, readonly in2Features: number, readonly outFeatures: number, opts: { bias?: boolean } & FactoryOpts = {}) {
    super();
    this.weight = newParam([outFeatures, in1Features, in2Features], opts);
    this.bias = opts.bias ?? true ? newParam([outFeatures], opts) : null;
    this.resetParameters();
  }
  /** Re-initializes weight and bias with U(-1/sqrt(in1Features), 1/sqrt(in1Features)). */
  resetParameters(): void {
    const bound = 1 / Math.sqrt(this.weight.shape[1]!);
    init.uniform_(this.weight, -bound, bound);
    if (this.bias) init.uniform_(this.bias, -bound, bound);
  }
  /** Applies y = x1^T A x2 + b to the last dimensions of x1 and x2. */
  forward(x1: Tensor, x2: Tensor): Tensor { return F.bilinear(x1, x2, this.weight, this.bias); }
  override extraRepr(): string { return `in1_features=${this.in1Features}, in2_features=${this.in2Features}, out_features=${this.outFeatures}, bias=${this.bias ? 'True' : 'False'}`; }
}
