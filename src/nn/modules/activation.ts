// Every activation of torch.nn as a module over torch.nn.functional. Constructor arguments follow
// PyTorch's order (positional), with keyword-only ones in a trailing options object
// (`new nn.GELU({ approximate: 'tanh' })`, `new nn.Softplus({ beta, threshold })`).

import type { Tensor } from '../../tensor.js';
import { Module, pyFloat } from '../module.js';
import { Parameter } from '../parameter.js';
import { newParam, type FactoryOpts } from './linear.js';
import * as init from '../init.js';
import * as F from '../functional/index.js';

type InplaceOpt = { inplace?: boolean };

export class ReLU extends Module {
  constructor(_opts: InplaceOpt = {}) { super(); }
  forward(x: Tensor): Tensor { return F.relu(x); }
}
export class ReLU6 extends Module {
  constructor(_opts: InplaceOpt = {}) { super(); }
  forward(x: Tensor): Tensor { return F.relu6(x); }
}
export class Sigmoid extends Module { forward(x: Tensor): Tensor { return F.sigmoid(x); } }
export class Tanh extends Module { forward(x: Tensor): Tensor { return F.tanh(x); } }
export class SiLU extends Module {
  constructor(_opts: InplaceOpt = {}) { super(); }
  forward(x: Tensor): Tensor { return F.silu(x); }
}
export class Mish extends Module {
  constructor(_opts: InplaceOpt = {}) { super(); }
  forward(x: Tensor): Tensor { return F.mish(x); }
}
export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';
  constructor(opts: { approximate?: 'none' | 'tanh' } | 'none' | 'tanh' = {}) {
    super();
    this.approximate = typeof opts === 'string' ? opts : (opts.approximate ?? 'none');
  }
  forward(x: Tensor): Tensor { return F.gelu(x, { approximate: this.approximate }); }
  override extraRepr(): string { return `approximate='${this.approximate}'`; }
}
// Scalar hyper-parameters are positional as in PyTorch (`new nn.LeakyReLU(0.2)`) or an options
// object with PyTorch's keyword names (`new nn.LeakyReLU({ negativeSlope: 0.2 })`).
function num<K extends string>(arg: number | { [P in K]?: number } | undefined, key: K, def: number): number {
  if (arg === undefined) return def;
  return typeof arg === 'number' ? arg : (arg[key] ?? def);
}
export class LeakyReLU extends Module {
  readonly negativeSlope: number;
  constructor(negativeSlope: number | { negativeSlope?: number; inplace?: boolean } = 0.01, _opts: InplaceOpt = {}) {
    super(); this.negativeSlope = num(negativeSlope, 'negativeSlope', 0.01);
  }
  forward(x: Tensor): Tensor { return F.leakyRelu(x, this.negativeSlope); }
  override extraRepr(): string { return `negative_slope=${pyFloat(this.negativeSlope)}`; }
}
export class ELU extends Module {
  readonly alpha: number;
  constructor(alpha: number | { alpha?: number; inplace?: boolean } = 1, _opts: InplaceOpt = {}) { super(); this.alpha = num(alpha, 'alpha', 1); }
  forward(x: Tensor): Tensor { return F.elu(x, this.alpha); }
  override extraRepr(): string { return `alpha=${pyFloat(this.alpha)}`; }
}
export class CELU extends Module {
  readonly alpha: number;
  constructor(alpha: number | { alpha?: number; inplace?: boolean } = 1, _opts: InplaceOpt = {}) { super(); this.alpha = num(alpha, 'alpha', 1); }
  forward(x: Tensor): Tensor { return F.celu(x, this.alpha); }
  override extraRepr(): string { return `alpha=${pyFloat(this.alpha)}`; }
}
export class SELU extends Module {
  constructor(_opts: InplaceOpt = {}) { super(); }
  forward(x: Tensor): Tensor { return F.selu(x); }
}
export class Softplus extends Module {
  readonly beta: number; readonly threshold: number;
  constructor(opts: number | { beta?: number; threshold?: number } = {}, threshold?: number) {
    super();
    this.beta = num(opts, 'beta', 1);
    this.threshold = typeof opts === 'number' ? (threshold ?? 20) : (opts.threshold ?? 20);
  }
  forward(x: Tensor): Tensor { return F.softplus(x, { beta: this.beta, threshold: this.threshold }); }
  override extraRepr(): string { return `beta=${this.beta}, threshold=${this.threshold}`; }
}
export class Hardtanh extends Module {
  readonly minVal: number; readonly maxVal: number;
  constructor(minVal: number | { minVal?: number; maxVal?: number; inplace?: boolean } = -1, maxVal = 1, _opts: InplaceOpt = {}) {
    super();
    this.minVal = num(minVal, 'minVal', -1);
    this.maxVal = typeof minVal === 'object' ? (minVal.maxVal ?? 1) : maxVal;
  }
  forward(x: Tensor): Tensor { return F.hardtanh(x, this.minVal, this.maxVal); }
  override extraRepr(): string { return `min_val=${pyFloat(this.minVal)}, max_val=${pyFloat(this.maxVal)}`; }
}
export class Hardswish extends Module {
  constructor(_opts: InplaceOpt = {}) { super(); }
  forward(x: Tensor): Tensor { return F.hardswish(x); }
}
export class Hardsigmoid extends Module {
  constructor(_opts: InplaceOpt = {}) { super(); }
  forward(x: Tensor): Tensor { return F.hardsigmoid(x); }
}
export class LogSigmoid extends Module { forward(x: Tensor): Tensor { return F.logsigmoid(x); } }
export class Softsign extends Module { forward(x: Tensor): Tensor { return F.softsign(x); } }
export class Tanhshrink extends Module { forward(x: Tensor): Tensor { return F.tanhshrink(x); } }
export class Softshrink extends Module {
  readonly lambd: number;
  constructor(lambd: number | { lambd?: number } = 0.5) { super(); this.lambd = num(lambd, 'lambd', 0.5); }
  forward(x: Tensor): Tensor { return F.softshrink(x, this.lambd); }
}
export class Hardshrink extends Module {
  readonly lambd: number;
  constructor(lambd: number | { lambd?: number } = 0.5) { super(); this.lambd = num(lambd, 'lambd', 0.5); }
  forward(x: Tensor): Tensor { return F.hardshrink(x, this.lambd); }
}
export class Threshold extends Module {
  constructor(readonly threshold: number, readonly value: number, _opts: InplaceOpt = {}) { super(); }
  forward(x: Tensor): Tensor { return F.threshold(x, this.threshold, this.value); }
}
export class GLU extends Module {
  readonly dim: number;
  constructor(dim: number | { dim?: number } = -1) { super(); this.dim = num(dim, 'dim', -1); }
  forward(x: Tensor): Tensor { return F.glu(x, this.dim); }
}
/** PReLU: max(0, x) + weight * min(0, x), one learnable slope (or one per channel), init 0.25. */
export class PReLU extends Module {
  weight: Parameter;
  constructor(readonly numParameters = 1, readonly initValue = 0.25, opts: FactoryOpts = {}) {
    super();
    this.weight = newParam([numParameters], opts);
    this.resetParameters();
  }
  resetParameters(): void { init.constant_(this.weight, this.initValue); }
  forward(x: Tensor): Tensor { return F.prelu(x, this.weight); }
  override extraRepr(): string { return `num_parameters=${this.numParameters}`; }
}
abstract class DimModule extends Module {
  readonly dim: number;
  constructor(dimArg: number | { dim?: number }) {
    super();
    const dim = typeof dimArg === 'object' && dimArg !== null ? dimArg.dim : dimArg;
    this.dim = dim as number;
    if (typeof dim !== 'number') throw new TypeError(`${new.target.name}: dim must be given (implicit dim choice is deprecated in PyTorch)`);
  }
  override extraRepr(): string { return `dim=${this.dim}`; }
}
export class Softmax extends DimModule { forward(x: Tensor): Tensor { return F.softmax(x, this.dim); } }
export class LogSoftmax extends DimModule { forward(x: Tensor): Tensor { return F.logSoftmax(x, this.dim); } }
export class Softmin extends DimModule { forward(x: Tensor): Tensor { return F.softmin(x, this.dim); } }
/** Softmax over the channel dim of (N, C, H, W) or (C, H, W) input. */
export class Softmax2d extends Module {
  forward(x: Tensor): Tensor {
    if (x.ndim !== 3 && x.ndim !== 4) throw new RangeError(`Softmax2d: expected input to be 3D or 4D, got ${x.ndim}D instead`);
    return F.softmax(x, -3);
  }
}
/** RReLU: leaky ReLU with a slope drawn from U(lower, upper) per element in training, their mean in eval. */
export class RReLU extends Module {
  readonly lower: number; readonly upper: number;
  constructor(lower: number | { lower?: number; upper?: number; inplace?: boolean } = 1 / 8, upper = 1 / 3, _opts: InplaceOpt = {}) {
    super();
    this.lower = num(lower, 'lower', 1 / 8);
    this.upper = typeof lower === 'object' ? (lower.upper ?? 1 / 3) : upper;
  }
  forward(x: Tensor): Tensor { return F.rrelu(x, this.lower, this.upper, this.training); }
  override extraRepr(): string { return `lower=${this.lower}, upper=${this.upper}`; }
}
