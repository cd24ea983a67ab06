// Activation functions of torch.nn.functional, composed from primitives so every backend gets them
// (and their gradients) for free. Branches clamp their inputs so the unselected side of a `where`
// never produces inf/NaN that would poison the gradient. Piecewise ones select with wherePiecewise
// (`pw`), so their gradients stay connected to the input under createGraph, as PyTorch's backward ops.

import { Tensor } from '../../tensor.js';
import { where, wherePiecewise as pw, relu as reluOp, sigmoid as sigmoidOp, tanh as tanhOp } from '../../ops/elementwise.js';
import { softmax as softmaxOp, logSoftmax as logSoftmaxOp } from '../../ops/reduce.js';
import { rand, zerosLike } from '../../ops/creation.js';
import { composite, record } from '../../ops/prim.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { geluForward, geluTanhForward } from '../../autograd/fused-rules.js';
import { isFloating } from '../../dtype.js';

const ALPHA_SELU = 1.6732632423543772, SCALE_SELU = 1.0507009873554805;

/**
 * PyTorch passes these scalars positionally or by keyword: `F.leakyRelu(x, 0.2)` and
 * `F.leakyRelu(x, { negativeSlope: 0.2 })` both work. `arg` is the positional value or the options
 * object; an options object never reaches arithmetic (it used to turn results into NaN).
 */
type Opt<K extends string> = number | ({ [P in K]?: number } & { inplace?: boolean }) | undefined;
function pick<K extends string>(arg: Opt<K>, key: K, def: number): number {
  if (arg === undefined || arg === null) return def;
  if (typeof arg === 'number') return arg;
  if (typeof arg === 'object') return (arg as { [P in K]?: number })[key] ?? def;
  throw new TypeError(`expected a number or an options object for '${key}', got ${typeof arg}`);
}
function inplaceOf(arg: unknown): boolean { return typeof arg === 'object' && arg !== null && (arg as { inplace?: boolean }).inplace === true; }
/** opts.inplace writes the result into x (PyTorch's inplace=True). */
function maybeInplace(x: Tensor, r: Tensor, inplace: boolean): Tensor { return inplace ? x.copy_(r) : r; }

/** Applies the rectified linear unit function element-wise: max(0, x) (torch.nn.functional.relu). */
export const relu = (x: Tensor, opts: { inplace?: boolean } = {}) => (opts.inplace ? x.relu_() : reluOp(x));
/** Applies min(max(0, x), 6) element-wise (torch.nn.functional.relu6). */
export const relu6 = (x: Tensor, opts: { inplace?: boolean } = {}) => composite('relu6', {}, () => maybeInplace(x, hardtanh(x, 0, 6), opts.inplace === true));
/** Applies 1 / (1 + exp(-x)) element-wise (torch.nn.functional.sigmoid). */
export const sigmoid = (x: Tensor) => sigmoidOp(x);
/** Applies tanh(x) element-wise (torch.nn.functional.tanh). */
export const tanh = (x: Tensor) => tanhOp(x);
/** Clamped to [minVal, maxVal]; the gradient passes only strictly inside, as PyTorch's hardtanh_backward. */
export function hardtanh(x: Tensor, minVal: Opt<'minVal' | 'maxVal'> = -1, maxVal?: number): Tensor {
  const lo = pick(minVal, 'minVal', -1), hi = typeof minVal === 'object' ? pick(minVal, 'maxVal', 1) : (maxVal ?? 1);
  if (lo > hi) throw new RangeError(`hardtanh: min_val cannot be greater than max_val (got ${lo} and ${hi})`);
  return composite('hardtanh', { minVal: lo, maxVal: hi }, () => maybeInplace(x, pw(x.le(lo), lo, pw(x.ge(hi), hi, x)).to(x.dtype), inplaceOf(minVal)));
}
/** Applies max(0, x) + negativeSlope * min(0, x) element-wise; negativeSlope defaults to 0.01 (torch.nn.functional.leaky_relu). */
export function leakyRelu(x: Tensor, negativeSlope: Opt<'negativeSlope'> = 0.01): Tensor {
  const a = pick(negativeSlope, 'negativeSlope', 0.01);
  return composite('leakyRelu', { negativeSlope: a }, () => maybeInplace(x, pw(x.gt(0), x, x.mul(a)), inplaceOf(negativeSlope)));
}
/** Applies x if x > 0 else alpha * (exp(x) - 1) element-wise; alpha defaults to 1 (torch.nn.functional.elu). */
export function elu(x: Tensor, alpha: Opt<'alpha'> = 1): Tensor {
  const a = pick(alpha, 'alpha', 1);
  return composite('elu', { alpha: a }, () => maybeInplace(x, pw(x.gt(0), x, x.clamp(null, 0).expm1().mul(a)), inplaceOf(alpha)));
}
/** Applies max(0, x) + min(0, alpha * (exp(x / alpha) - 1)) element-wise; alpha defaults to 1 (torch.nn.functional.celu). */
export function celu(x: Tensor, alpha: Opt<'alpha'> = 1): Tensor {
  const a = pick(alpha, 'alpha', 1);
  if (a === 0) throw new RangeError('celu: ZeroDivisionError (alpha must not be 0)');
  return composite('celu', { alpha: a }, () => maybeInplace(x, pw(x.gt(0), x, x.clamp(null, 0).div(a).expm1().mul(a)), inplaceOf(alpha)));
}
/** Applies scale * elu(x, alpha) element-wise with SELU's fixed alpha and scale (torch.nn.functional.selu). */
export function selu(x: Tensor, opts: { inplace?: boolean } = {}): Tensor {
  return composite('selu', {}, () => maybeInplace(x, elu(x, ALPHA_SELU).mul(SCALE_SELU), opts.inplace === true));
}
/** gelu(x, { approximate: 'none' | 'tanh' }); the string alone is accepted too (`F.gelu(x, 'tanh')`). */
export function gelu(x: Tensor, opts: { approximate?: 'none' | 'tanh' } | 'none' | 'tanh' = {}): Tensor {
  const approximate = typeof opts === 'string' ? opts : (opts.approximate ?? 'none');
  if (approximate !== 'none' && approximate !== 'tanh') throw new TypeError(`gelu: approximate must be 'none' or 'tanh', got '${String(approximate)}'`);
  return composite('gelu', { approximate }, () => {
    // One autograd node with PyTorch's gelu_backward (either form), forward and gradient each one
    // kernel where the backend fuses (autograd/fused-rules.ts).
    if (!isFloating(x.dtype)) throw new TypeError(`gelu: not implemented for '${x.dtype}'`);
    if (approximate === 'tanh') return record('geluTanh', [x], noGrad(() => geluTanhForward(x)), {});
    return record('gelu', [x], noGrad(() => geluForward(x)), {});
  });
}
/** Applies the Sigmoid Linear Unit x * sigmoid(x) element-wise (torch.nn.functional.silu). */
export function silu(x: Tensor, opts: { inplace?: boolean } = {}): Tensor {
  return composite('silu', {}, () => maybeInplace(x, x.mul(x.sigmoid()), opts.inplace === true));
}
/** softplus(x) = log(1 + e^(beta x)) / beta, linear above threshold (as PyTorch). The exp branch is
 * clamped at the threshold so the unselected side never overflows into a NaN gradient.
 * beta and threshold are positional (`F.softplus(x, 2, 10)`) or options (`{ beta, threshold }`). */
export function softplus(x: Tensor, opts?: Opt<'beta' | 'threshold'>, thresholdArg?: number): Tensor {
  const beta = pick(opts, 'beta', 1);
  const threshold = typeof opts === 'object' && opts !== null ? pick(opts, 'threshold', 20) : (thresholdArg ?? 20);
  return composite('softplus', { beta, threshold }, () => {
    const bx = x.mul(beta);
    const smooth = bx.clamp(null, threshold).exp().log1p().div(beta);
    return where(bx.gt(threshold), x, smooth);
  });
}
/** Applies x * tanh(softplus(x)) element-wise (torch.nn.functional.mish). */
export function mish(x: Tensor, opts: { inplace?: boolean } = {}): Tensor {
  return composite('mish', {}, () => maybeInplace(x, x.mul(softplus(x).tanh()), opts.inplace === true));
}
/** Applies log(1 / (1 + exp(-x))) element-wise (torch.nn.functional.logsigmoid). */
export function logsigmoid(x: Tensor): Tensor { return composite('logsigmoid', {}, () => softplus(x.neg()).neg()); }
/** Applies relu6(x + 3) / 6 element-wise (torch.nn.functional.hardsigmoid). */
export function hardsigmoid(x: Tensor, opts: { inplace?: boolean } = {}): Tensor {
  return composite('hardsigmoid', {}, () => maybeInplace(x, relu6(x.add(3)).div(6), opts.inplace === true));
}
/** x * relu6(x + 3) / 6, written piecewise so the kinks get PyTorch's gradients (-0.5 at -3, 1.5 at 3). */
export function hardswish(x: Tensor, opts: { inplace?: boolean } = {}): Tensor {
  return composite('hardswish', {}, () => maybeInplace(x, pw(x.lt(-3), 0, pw(x.le(3), x.mul(x.add(3)).div(6), x)).to(x.dtype), opts.inplace === true));
}
/** Applies x / (1 + |x|) element-wise (torch.nn.functional.softsign). */
export function softsign(x: Tensor): Tensor { return composite('softsign', {}, () => x.div(x.abs().add(1))); }
/** Applies x - tanh(x) element-wise (torch.nn.functional.tanhshrink). */
export function tanhshrink(x: Tensor): Tensor { return composite('tanhshrink', {}, () => x.sub(x.tanh())); }
/** Applies soft shrinkage element-wise: x - lambd if x > lambd, x + lambd if x < -lambd, else 0; lambd defaults to 0.5 (torch.nn.functional.softshrink). */
export function softshrink(x: Tensor, lambdArg: Opt<'lambd'> = 0.5): Tensor {
  const lambd = pick(lambdArg, 'lambd', 0.5);
  return composite('softshrink', { lambd }, () => pw(x.gt(lambd), x.sub(lambd), pw(x.lt(-lambd), x.add(lambd), 0)));
}
/** Applies hard shrinkage element-wise: x if |x| > lambd, else 0; lambd defaults to 0.5 (torch.nn.functional.hardshrink). */
export function hardshrink(x: Tensor, lambd: Opt<'lambd'> = 0.5): Tensor {
  const l = pick(lambd, 'lambd', 0.5);
  return composite('hardshrink', { lambd: l }, () => pw(x.abs().gt(l), x, 0));
}
/** Thresholds each element: x if x > thresholdValue, else value (torch.nn.functional.threshold). */
export function threshold(x: Tensor, thresholdValue: number, value: number, opts: { inplace?: boolean } = {}): Tensor {
  return composite('threshold', { threshold: thresholdValue, value }, () => maybeInplace(x, pw(x.gt(thresholdValue), x, value), opts.inplace === true));
}
/** The gated linear unit a * sigmoid(b), a and b being the halves of x along dim (default -1) (torch.nn.functional.glu). */
export function glu(x: Tensor, dimArg: Opt<'dim'> = -1): Tensor {
  const dim = pick(dimArg, 'dim', -1);
  const d = dim < 0 ? dim + x.ndim : dim;
  if (x.ndim === 0 || x.shape[d]! % 2 !== 0) throw new RangeError(`glu: Halving dimension must be even, but dimension ${d} is size ${x.shape[d] ?? 0}`);
  return composite('glu', { dim }, () => {
    const [a, b] = x.chunk(2, dim) as [Tensor, Tensor];
    return a.mul(b.sigmoid());
  });
}
/** Applies max(0, x) + weight * min(0, x) element-wise, weight having one slope or one per channel (dim 1) (torch.nn.functional.prelu). */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  // weight has one value or one per channel (dim 1).
  const channels = x.ndim >= 2 ? x.shape[1]! : 1;
  if (weight.numel() !== 1 && weight.numel() !== channels) {
    throw new RangeError(`prelu: Mismatch of parameter numbers and input channel size. Found parameter numbers = ${weight.numel()} and channel size = ${channels}.`);
  }
  return composite('prelu', {}, () => {
    const w = weight.numel() === 1 || x.ndim < 2 ? weight.reshape([]) : weight.reshape([-1, ...new Array(x.ndim - 2).fill(1)]);
    return pw(x.gt(0), x, x.mul(w));
  });
}
type SoftmaxOpts = { dim?: number; dtype?: import('../../dtype.js').DType };
/** softmax(x, dim, { dtype }); `F.softmax(x, { dim })` (PyTorch's keyword form) works too. */
function splitDim(op: string, dim: number | SoftmaxOpts, opts: SoftmaxOpts): [number, SoftmaxOpts] {
  const o = typeof dim === 'object' && dim !== null ? dim : opts;
  const d = typeof dim === 'number' ? dim : o.dim;
  if (typeof d !== 'number') throw new TypeError(`${op}: dim must be given (implicit dim choice is deprecated in PyTorch)`);
  return [d, o.dtype === undefined ? {} : { dtype: o.dtype }];
}
/** Applies softmax along dim: exp(x_i) / sum_j exp(x_j), optionally computed in dtype (torch.nn.functional.softmax). */
export function softmax(x: Tensor, dim: number | SoftmaxOpts, opts: SoftmaxOpts = {}): Tensor { return softmaxOp(x, ...splitDim('softmax', dim, opts)); }
/** Applies log(softmax(x)) along dim, computed stably, optionally in dtype (torch.nn.functional.log_softmax). */
export function logSoftmax(x: Tensor, dim: number | SoftmaxOpts, opts: SoftmaxOpts = {}): Tensor { return logSoftmaxOp(x, ...splitDim('logSoftmax', dim, opts)); }
/** Applies softmax(-x) along dim, optionally computed in dtype (torch.nn.functional.softmin). */
export function softmin(x: Tensor, dim: number | SoftmaxOpts, opts: SoftmaxOpts = {}): Tensor {
  const [d, o] = splitDim('softmin', dim, opts);
  return composite('softmin', { dim: d, dtype: o.dtype ?? null }, () => softmaxOp(x.neg(), d, o));
}
/**
 * F.rrelu(x, lower, upper, training): leaky ReLU whose negative slope is drawn per element from
 * U(lower, upper) in training (our Philox stream), and is (lower + upper) / 2 otherwise.
 */
export function rrelu(x: Tensor, lowerArg: Opt<'lower' | 'upper'> & { training?: boolean } | number = 1 / 8, upperArg = 1 / 3, trainingArg = false): Tensor {
  const lower = pick(lowerArg, 'lower', 1 / 8);
  const upper = typeof lowerArg === 'object' ? pick(lowerArg, 'upper', 1 / 3) : upperArg;
  const training = typeof lowerArg === 'object' ? (lowerArg.training ?? false) : trainingArg;
  return composite('rrelu', { lower, upper, training }, () => {
    if (!training) return leakyRelu(x, (lower + upper) / 2);
    const slope = rand([...x.shape], { dtype: x.dtype === 'float64' ? 'float64' : 'float32', device: x.device }).mul(upper - lower).add(lower).to(x.dtype);
    return pw(x.ge(0), x, x.mul(slope));
  });
}
/**
 * F.gumbelSoftmax(logits, { tau, hard, dim }): softmax((logits + g) / tau) with Gumbel(0, 1) noise g
 * from our Philox stream; hard returns the one-hot argmax with the soft sample's gradient.
 */
export function gumbelSoftmax(logits: Tensor, opts: { tau?: number; hard?: boolean; dim?: number } = {}): Tensor {
  const tau = opts.tau ?? 1, dim = opts.dim ?? -1;
  return composite('gumbelSoftmax', { tau, hard: opts.hard ?? false, dim }, () => {
    const u = rand([...logits.shape], { dtype: logits.dtype === 'float64' ? 'float64' : 'float32', device: logits.device }).to(logits.dtype);
    // -log(E) with E = -log(U) ~ Exp(1); U is clamped away from 0 so E stays finite.
    const gumbels = u.clamp(1e-20).log().neg().log().neg();
    const soft = logits.add(gumbels).div(tau).softmax(dim);
    if (!opts.hard) return soft;
    const idx = soft.argmax(dim, true);
    const hard = zerosLike(soft).scatter(dim < 0 ? dim + soft.ndim : dim, idx, 1);
    return hard.sub(soft.detach()).add(soft);
  });
}
