// Activation functions of torch.nn.functional, composed from primitives so every backend gets them
// (and their gradients) for free. Branches clamp their inputs so the unselected side of a `where`
// never produces inf/NaN that would poison the gradient.

import { Tensor } from '../../tensor.js';
import { where, relu as reluOp, sigmoid as sigmoidOp, tanh as tanhOp } from '../../ops/elementwise.js';
import { softmax as softmaxOp, logSoftmax as logSoftmaxOp } from '../../ops/reduce.js';
import { rand, zerosLike } from '../../ops/creation.js';

const ALPHA_SELU = 1.6732632423543772, SCALE_SELU = 1.0507009873554805;

export const relu = (x: Tensor, opts: { inplace?: boolean } = {}) => (opts.inplace ? x.relu_() : reluOp(x));
export const relu6 = (x: Tensor) => hardtanh(x, 0, 6);
export const sigmoid = (x: Tensor) => sigmoidOp(x);
export const tanh = (x: Tensor) => tanhOp(x);
/** Clamped to [minVal, maxVal]; the gradient passes only strictly inside, as PyTorch's hardtanh_backward. */
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1): Tensor {
  return where(x.le(minVal), minVal, where(x.ge(maxVal), maxVal, x)).to(x.dtype);
}
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor { return where(x.gt(0), x, x.mul(negativeSlope)); }
export function elu(x: Tensor, alpha = 1): Tensor { return where(x.gt(0), x, x.clamp(null, 0).expm1().mul(alpha)); }
export function celu(x: Tensor, alpha = 1): Tensor { return where(x.gt(0), x, x.clamp(null, 0).div(alpha).expm1().mul(alpha)); }
export function selu(x: Tensor): Tensor { return elu(x, ALPHA_SELU).mul(SCALE_SELU); }
export function gelu(x: Tensor, opts: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  if (opts.approximate === 'tanh') {
    const inner = x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
    return x.mul(0.5).mul(inner.tanh().add(1));
  }
  return x.mul(0.5).mul(x.mul(Math.SQRT1_2).erf().add(1));
}
export function silu(x: Tensor): Tensor { return x.mul(x.sigmoid()); }
/** softplus(x) = log(1 + e^(beta x)) / beta, linear above threshold (as PyTorch). The exp branch is
 * clamped at the threshold so the unselected side never overflows into a NaN gradient. */
export function softplus(x: Tensor, opts: { beta?: number; threshold?: number } = {}): Tensor {
  const beta = opts.beta ?? 1, threshold = opts.threshold ?? 20;
  const bx = x.mul(beta);
  const smooth = bx.clamp(null, threshold).exp().log1p().div(beta);
  return where(bx.gt(threshold), x, smooth);
}
export function mish(x: Tensor): Tensor { return x.mul(softplus(x).tanh()); }
export function logsigmoid(x: Tensor): Tensor { return softplus(x.neg()).neg(); }
export function hardsigmoid(x: Tensor): Tensor { return relu6(x.add(3)).div(6); }
/** x * relu6(x + 3) / 6, written piecewise so the kinks get PyTorch's gradients (-0.5 at -3, 1.5 at 3). */
export function hardswish(x: Tensor): Tensor { return where(x.lt(-3), 0, where(x.le(3), x.mul(x.add(3)).div(6), x)).to(x.dtype); }
export function softsign(x: Tensor): Tensor { return x.div(x.abs().add(1)); }
export function tanhshrink(x: Tensor): Tensor { return x.sub(x.tanh()); }
export function softshrink(x: Tensor, lambd = 0.5): Tensor {
  return where(x.gt(lambd), x.sub(lambd), where(x.lt(-lambd), x.add(lambd), 0));
}
export function hardshrink(x: Tensor, lambd = 0.5): Tensor { return where(x.abs().gt(lambd), x, 0); }
export function threshold(x: Tensor, thresholdValue: number, value: number): Tensor { return where(x.gt(thresholdValue), x, value); }
export function glu(x: Tensor, dim = -1): Tensor {
  const d = dim < 0 ? dim + x.ndim : dim;
  if (x.ndim === 0 || x.shape[d]! % 2 !== 0) throw new RangeError(`glu: Halving dimension must be even, but dimension ${d} is size ${x.shape[d] ?? 0}`);
  const [a, b] = x.chunk(2, dim) as [Tensor, Tensor];
  return a.mul(b.sigmoid());
}
export function prelu(x: Tensor, weight: Tensor): Tensor {
  // weight has one value or one per channel (dim 1).
  const channels = x.ndim >= 2 ? x.shape[1]! : 1;
  if (weight.numel() !== 1 && weight.numel() !== channels) {
    throw new RangeError(`prelu: Mismatch of parameter numbers and input channel size. Found parameter numbers = ${weight.numel()} and channel size = ${channels}.`);
  }
  const w = weight.numel() === 1 || x.ndim < 2 ? weight.reshape([]) : weight.reshape([-1, ...new Array(x.ndim - 2).fill(1)]);
  return where(x.gt(0), x, x.mul(w));
}
export function softmax(x: Tensor, dim: number, opts: { dtype?: import('../../dtype.js').DType } = {}): Tensor { return softmaxOp(x, dim, opts); }
export function logSoftmax(x: Tensor, dim: number, opts: { dtype?: import('../../dtype.js').DType } = {}): Tensor { return logSoftmaxOp(x, dim, opts); }
export function softmin(x: Tensor, dim: number): Tensor { return softmaxOp(x.neg(), dim); }
/**
 * F.rrelu(x, lower, upper, training): leaky ReLU whose negative slope is drawn per element from
 * U(lower, upper) in training (our Philox stream), and is (lower + upper) / 2 otherwise.
 */
export function rrelu(x: Tensor, lower = 1 / 8, upper = 1 / 3, training = false): Tensor {
  if (!training) return leakyRelu(x, (lower + upper) / 2);
  const slope = rand([...x.shape], { dtype: x.dtype === 'float64' ? 'float64' : 'float32', device: x.device }).mul(upper - lower).add(lower).to(x.dtype);
  return where(x.ge(0), x, x.mul(slope));
}
/**
 * F.gumbelSoftmax(logits, { tau, hard, dim }): softmax((logits + g) / tau) with Gumbel(0, 1) noise g
 * from our Philox stream; hard returns the one-hot argmax with the soft sample's gradient.
 */
export function gumbelSoftmax(logits: Tensor, opts: { tau?: number; hard?: boolean; dim?: number } = {}): Tensor {
  const tau = opts.tau ?? 1, dim = opts.dim ?? -1;
  const u = rand([...logits.shape], { dtype: logits.dtype === 'float64' ? 'float64' : 'float32', device: logits.device }).to(logits.dtype);
  // -log(E) with E = -log(U) ~ Exp(1); U is clamped away from 0 so E stays finite.
  const gumbels = u.clamp(1e-20).log().neg().log().neg();
  const soft = logits.add(gumbels).div(tau).softmax(dim);
  if (!opts.hard) return soft;
  const idx = soft.argmax(dim, true);
  const hard = zerosLike(soft).scatter(dim < 0 ? dim + soft.ndim : dim, idx, 1);
  return hard.sub(soft.detach()).add(soft);
}
