// Every activation of torch.nn as a module over torch.nn.functional. Constructor arguments follow
// PyTorch's order (positional), with keyword-only ones in a trailing options object
// (`new nn.GELU({ approximate: 'tanh' })`, `new nn.Softplus({ beta, threshold })`).

import type { Tensor } from '../../tensor.js';
import { Module, pyFloat } from '../module.js';
import { Parameter } from '../parameter.js';
import { newParam, type FactoryOpts } from './linear.js';
import * as init from '../init.js';
import * as F from '../functional/index.js';

// `inplace` (positional as in PyTorch, `new nn.ReLU(true)`, or { inplace }) is accepted and has no
// effect: the result is a new tensor, which gives the same values and gradients.
type InplaceOpt = { inplace?: boolean };
/** The inplace flag of a positional boolean or an options object (printed by the modules, as PyTorch's repr). */
function inplaceFlag(...args: unknown[]): boolean {
  return args.some((a) => a === true || (typeof a === 'object' && a !== null && (a as InplaceOpt).inplace === true));
}
const inplaceRepr = (on: boolean, sep = ''): string => (on ? `${sep}inplace=True` : '');

/** Applies the rectified linear unit function element-wise: ReLU(x) = max(0, x) (torch.nn.ReLU). */
export class ReLU extends Module {
  /** PyTorch's inplace flag: accepted, no effect (the result is a new tensor); printed by the repr. */
  readonly inplace: boolean;
  constructor(opts: InplaceOpt | boolean = {}) { super(); this.inplace = inplaceFlag(opts); }
  override extraRepr(): string { return inplaceRepr(this.inplace); }
  /** max(0, x), element-wise. */
  forward(x: Tensor): Tensor { return F.relu(x); }
}
/** Applies ReLU6(x) = min(max(0, x), 6) element-wise (torch.nn.ReLU6). */
export class ReLU6 extends Module {
  /** PyTorch's inplace flag: accepted, no effect (the result is a new tensor); printed by the repr. */
  readonly inplace: boolean;
  constructor(opts: InplaceOpt | boolean = {}) { super(); this.inplace = inplaceFlag(opts); }
  override extraRepr(): string { return inplaceRepr(this.inplace); }
  /** min(max(0, x), 6), element-wise. */
  forward(x: Tensor): Tensor { return F.relu6(x); }
}
/** Applies Sigmoid(x) = 1 / (1 + exp(-x)) element-wise (torch.nn.Sigmoid). */
export class Sigmoid extends Module {
  /** 1 / (1 + exp(-x)), element-wise. */
  forward(x: Tensor): Tensor { return F.sigmoid(x); }
}
/** Applies the hyperbolic tangent Tanh(x) element-wise (torch.nn.Tanh). */
export class Tanh extends Module {
  /** tanh(x), element-wise. */
  forward(x: Tensor): Tensor { return F.tanh(x); }
}
/** Applies the Sigmoid Linear Unit SiLU(x) = x * sigmoid(x) element-wise (torch.nn.SiLU). */
export class SiLU extends Module {
  /** PyTorch's inplace flag: accepted, no effect (the result is a new tensor); printed by the repr. */
  readonly inplace: boolean;
  constructor(opts: InplaceOpt | boolean = {}) { super(); this.inplace = inplaceFlag(opts); }
  override extraRepr(): string { return inplaceRepr(this.inplace); }
  /** x * sigmoid(x), element-wise. */
  forward(x: Tensor): Tensor { return F.silu(x); }
}
/** Applies Mish(x) = x * tanh(softplus(x)) element-wise (torch.nn.Mish). */
export class Mish extends Module {
  /** PyTorch's inplace flag: accepted, no effect (the result is a new tensor); printed by the repr. */
  readonly inplace: boolean;
  constructor(opts: InplaceOpt | boolean = {}) { super(); this.inplace = inplaceFlag(opts); }
  override extraRepr(): string { return inplaceRepr(this.inplace); }
  /** x * tanh(softplus(x)), element-wise. */
  forward(x: Tensor): Tensor { return F.mish(x); }
}
/** Applies the Gaussian Error Linear Unit GELU(x) = x * Phi(x) element-wise, or its tanh approximation with approximate='tanh' (torch.nn.GELU). */
export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';
  constructor(opts: { approximate?: 'none' | 'tanh' } | 'none' | 'tanh' = {}) {
    super();
    this.approximate = typeof opts === 'string' ? opts : (opts.approximate ?? 'none');
  }
  /** GELU(x) (or its tanh approximation), element-wise. */
  forward(x: Tensor): Tensor { return F.gelu(x, { approximate: this.approximate }); }
  override extraRepr(): string { return `approximate='${this.approximate}'`; }
}
// Scalar hyper-parameters are positional as in PyTorch (`new nn.LeakyReLU(0.2)`) or an options
// object with PyTorch's keyword names (`new nn.LeakyReLU({ negativeSlope: 0.2 })`).
function num<K extends string>(arg: number | { [P in K]?: number } | undefined, key: K, def: number): number {
  if (arg === undefined) return def;
  return typeof arg === 'number' ? arg : (arg[key] ?? def);
}
/** Applies LeakyReLU(x) = max(0, x) + negativeSlope * min(0, x) element-wise (torch.nn.LeakyReLU). */
export class LeakyReLU extends Module {
  readonly negativeSlope: number;
  /** PyTorch's inplace flag: accepted, no effect; printed by the repr. */
  readonly inplace: boolean;
  constructor(negativeSlope: number | { negativeSlope?: number; inplace?: boolean } = 0.01, opts: InplaceOpt | boolean = {}) {
    super(); this.negativeSlope = num(negativeSlope, 'negativeSlope', 0.01); this.inplace = inplaceFlag(negativeSlope, opts);
  }
  /** max(0, x) + negativeSlope * min(0, x), element-wise. */
  forward(x: Tensor): Tensor { return F.leakyRelu(x, this.negativeSlope); }
  override extraRepr(): string { return `negative_slope=${pyFloat(this.negativeSlope)}${inplaceRepr(this.inplace, ', ')}`; }
}
/** Applies the Exponential Linear Unit ELU(x) = x if x > 0 else alpha * (exp(x) - 1) element-wise (torch.nn.ELU). */
export class ELU extends Module {
  readonly alpha: number;
  /** PyTorch's inplace flag: accepted, no effect; printed by the repr. */
  readonly inplace: boolean;
  constructor(alpha: number | { alpha?: number; inplace?: boolean } = 1, opts: InplaceOpt | boolean = {}) { super(); this.alpha = num(alpha, 'alpha', 1); this.inplace = inplaceFlag(alpha, opts); }
  /** ELU(x) with this alpha, element-wise. */
  forward(x: Tensor): Tensor { return F.elu(x, this.alpha); }
  override extraRepr(): string { return `alpha=${pyFloat(this.alpha)}${inplaceRepr(this.inplace, ', ')}`; }
}
/** Applies CELU(x) = max(0, x) + min(0, alpha * (exp(x / alpha) - 1)) element-wise (torch.nn.CELU). */
export class CELU extends Module {
  readonly alpha: number;
  /** PyTorch's inplace flag: accepted, no effect; printed by the repr. */
  readonly inplace: boolean;
  constructor(alpha: number | { alpha?: number; inplace?: boolean } = 1, opts: InplaceOpt | boolean = {}) { super(); this.alpha = num(alpha, 'alpha', 1); this.inplace = inplaceFlag(alpha, opts); }
  /** CELU(x) with this alpha, element-wise. */
  forward(x: Tensor): Tensor { return F.celu(x, this.alpha); }
  override extraRepr(): string { return `alpha=${pyFloat(this.alpha)}${inplaceRepr(this.inplace, ', ')}`; }
}
/** Applies SELU(x) = scale * (max(0, x) + min(0, alpha * (exp(x) - 1))) element-wise, with the fixed alpha and scale (torch.nn.SELU). */
export class SELU extends Module {
  /** PyTorch's inplace flag: accepted, no effect (the result is a new tensor); printed by the repr. */
  readonly inplace: boolean;
  constructor(opts: InplaceOpt | boolean = {}) { super(); this.inplace = inplaceFlag(opts); }
  override extraRepr(): string { return inplaceRepr(this.inplace); }
  /** SELU(x), element-wise. */
  forward(x: Tensor): Tensor { return F.selu(x); }
}
/** Applies Softplus(x) = 1/beta * log(1 + exp(beta * x)) element-wise, linear where beta * x > threshold (torch.nn.Softplus). */
export class Softplus extends Module {
  readonly beta: number; readonly threshold: number;
  constructor(opts: number | { beta?: number; threshold?: number } = {}, threshold?: number) {
    super();
    this.beta = num(opts, 'beta', 1);
    this.threshold = typeof opts === 'number' ? (threshold ?? 20) : (opts.threshold ?? 20);
  }
  /** Softplus(x) with this beta and threshold, element-wise. */
  forward(x: Tensor): Tensor { return F.softplus(x, { beta: this.beta, threshold: this.threshold }); }
  override extraRepr(): string { return `beta=${this.beta}, threshold=${this.threshold}`; }
}
/** Applies HardTanh element-wise: x clamped to [minVal, maxVal] (torch.nn.Hardtanh). */
export class Hardtanh extends Module {
  readonly minVal: number; readonly maxVal: number;
  /** PyTorch's inplace flag: accepted, no effect; printed by the repr. */
  readonly inplace: boolean;
  constructor(minVal: number | { minVal?: number; maxVal?: number; inplace?: boolean } = -1, maxVal = 1, opts: InplaceOpt | boolean = {}) {
    super();
    this.inplace = inplaceFlag(minVal, opts);
    this.minVal = num(minVal, 'minVal', -1);
    this.maxVal = typeof minVal === 'object' ? (minVal.maxVal ?? 1) : maxVal;
  }
  /** x clamped to [minVal, maxVal]. */
  forward(x: Tensor): Tensor { return F.hardtanh(x, this.minVal, this.maxVal); }
  override extraRepr(): string { return `min_val=${pyFloat(this.minVal)}, max_val=${pyFloat(this.maxVal)}${inplaceRepr(this.inplace, ', ')}`; }
}
/** Applies Hardswish(x) = x * ReLU6(x + 3) / 6 element-wise (torch.nn.Hardswish). */
export class Hardswish extends Module {
  constructor(_opts: InplaceOpt | boolean = {}) { super(); }
  /** x * ReLU6(x + 3) / 6, element-wise. */
  forward(x: Tensor): Tensor { return F.hardswish(x); }
}
/** Applies Hardsigmoid(x) = ReLU6(x + 3) / 6 element-wise (torch.nn.Hardsigmoid). */
export class Hardsigmoid extends Module {
  constructor(_opts: InplaceOpt | boolean = {}) { super(); }
  /** ReLU6(x + 3) / 6, element-wise. */
  forward(x: Tensor): Tensor { return F.hardsigmoid(x); }
}
/** Applies LogSigmoid(x) = log(1 / (1 + exp(-x))) element-wise (torch.nn.LogSigmoid). */
export class LogSigmoid extends Module {
  /** log(sigmoid(x)), element-wise. */
  forward(x: Tensor): Tensor { return F.logsigmoid(x); }
}
/** Applies Softsign(x) = x / (1 + |x|) element-wise (torch.nn.Softsign). */
export class Softsign extends Module {
  /** x / (1 + |x|), element-wise. */
  forward(x: Tensor): Tensor { return F.softsign(x); }
}
/** Applies Tanhshrink(x) = x - tanh(x) element-wise (torch.nn.Tanhshrink). */
export class Tanhshrink extends Module {
  /** x - tanh(x), element-wise. */
  forward(x: Tensor): Tensor { return F.tanhshrink(x); }
}
/** Applies the soft shrinkage function element-wise: x - lambd if x > lambd, x + lambd if x < -lambd, else 0 (torch.nn.Softshrink). */
export class Softshrink extends Module {
  readonly lambd: number;
  constructor(lambd: number | { lambd?: number } = 0.5) { super(); this.lambd = num(lambd, 'lambd', 0.5); }
  /** The soft shrinkage of x with this lambd. */
  forward(x: Tensor): Tensor { return F.softshrink(x, this.lambd); }
}
/** Applies the hard shrinkage function element-wise: x if |x| > lambd, else 0 (torch.nn.Hardshrink). */
export class Hardshrink extends Module {
  readonly lambd: number;
  constructor(lambd: number | { lambd?: number } = 0.5) { super(); this.lambd = num(lambd, 'lambd', 0.5); }
  /** The hard shrinkage of x with this lambd. */
  forward(x: Tensor): Tensor { return F.hardshrink(x, this.lambd); }
}
/** Thresholds each element: y = x if x > threshold, else value (torch.nn.Threshold). */
export class Threshold extends Module {
  constructor(readonly threshold: number, readonly value: number, _opts: InplaceOpt | boolean = {}) { super(); }
  /** x where x > threshold, else value. */
  forward(x: Tensor): Tensor { return F.threshold(x, this.threshold, this.value); }
}
/** Applies the gated linear unit GLU(a, b) = a * sigmoid(b), a and b being the halves of the input along dim (torch.nn.GLU). */
export class GLU extends Module {
  readonly dim: number;
  constructor(dim: number | { dim?: number } = -1) { super(); this.dim = num(dim, 'dim', -1); }
  /** a * sigmoid(b) for the halves a, b of x along dim (which halves in size). */
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
  /** Re-fills weight with initValue (0.25 by default). */
  resetParameters(): void { init.constant_(this.weight, this.initValue); }
  /** max(0, x) + weight * min(0, x), with one slope or one per channel (dim 1). */
  forward(x: Tensor): Tensor { return F.prelu(x, this.weight); }
  override extraRepr(): string { return `num_parameters=${this.numParameters}`; }
}
/** Shared base of the softmax layers: the dimension they apply along. */
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
/** Applies Softmax(x_i) = exp(x_i) / sum_j exp(x_j) along dim, so that the slices sum to 1 (torch.nn.Softmax). */
export class Softmax extends DimModule {
  /** Softmax of x along dim. */
  forward(x: Tensor): Tensor { return F.softmax(x, this.dim); }
}
/** Applies log(Softmax(x)) along dim (torch.nn.LogSoftmax). */
export class LogSoftmax extends DimModule {
  /** Log-softmax of x along dim. */
  forward(x: Tensor): Tensor { return F.logSoftmax(x, this.dim); }
}
/** Applies Softmin(x) = Softmax(-x) along dim (torch.nn.Softmin). */
export class Softmin extends DimModule {
  /** Softmin of x along dim. */
  forward(x: Tensor): Tensor { return F.softmin(x, this.dim); }
}
/** Applies Softmax over the channels (dim -3) of (N, C, H, W) or (C, H, W) input (torch.nn.Softmax2d). */
export class Softmax2d extends Module {
  /** Softmax of x over the channel dim (-3). */
  forward(x: Tensor): Tensor {
    if (x.ndim !== 3 && x.ndim !== 4) throw new RangeError(`Softmax2d: expected input to be 3D or 4D, got ${x.ndim}D instead`);
    return F.softmax(x, -3);
  }
}
/** RReLU: leaky ReLU with a slope drawn from U(lower, upper) per element in training, their mean in eval. */
export class RReLU extends Module {
  readonly lower: number; readonly upper: number;
  constructor(lower: number | { lower?: number; upper?: number; inplace?: boolean } = 1 / 8, upper = 1 / 3, _opts: InplaceOpt | boolean = {}) {
    super();
    this.lower = num(lower, 'lower', 1 / 8);
    this.upper = typeof lower === 'object' ? (lower.upper ?? 1 / 3) : upper;
  }
  /** Leaky ReLU with slopes drawn from U(lower, upper) in training mode, (lower + upper) / 2 in eval mode. */
  forward(x: Tensor): Tensor { return F.rrelu(x, this.lower, this.upper, this.training); }
  override extraRepr(): string { return `lower=${this.lower}, upper=${this.upper}`; }
}
