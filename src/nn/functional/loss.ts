// Loss functions of torch.nn.functional, composed from tensor ops (so gradients come from the
// primitives). Reductions, weighting, ignoreIndex and label smoothing follow PyTorch 1.13 exactly,
// including nll's weighted mean (sum of w[target] as denominator) and BCE's log clamp at -100.

import { Tensor } from '../../tensor.js';
import { fmtShape, shapesEqual } from '../../shape.js';
import { where } from '../../ops/elementwise.js';
import { checkRange } from '../../ops/indexing.js';
import { logSoftmax } from '../../ops/reduce.js';
import { arange, full, fullLike, tensor as tensorOp, zeros } from '../../ops/creation.js';
import { cat, stack } from '../../ops/shape.js';
import { reduce, warnOnce, type Reduction } from './utils.js';
import { pairwiseDistance } from './misc.js';
import { softplus } from './activation.js';
import { composite } from '../../ops/prim.js';
import { isGradEnabled } from '../../autograd/grad-mode.js';

export type { Reduction };
/** Options of F.nllLoss (PyTorch's keyword arguments). */
export interface NllOpts {
  /** A manual rescaling weight given to each class, [C]. */
  weight?: Tensor | null;
  /** A target value that is ignored and does not contribute to the input gradient (default -100). */
  ignoreIndex?: number;
  /** 'none' | 'mean' (default) | 'sum': how the per-element losses are reduced. */
  reduction?: Reduction;
}
/** Options of F.crossEntropy (PyTorch's keyword arguments). */
export interface CrossEntropyOpts extends NllOpts {
  /** Amount of smoothing in [0, 1] when computing the loss (default 0). */
  labelSmoothing?: number;
}

const sizeStr = (s: readonly number[]) => `torch.Size([${s.join(', ')}])`;

/** Checks an nll-style (input, target) pair: input [N, C, d...] or [C]; target [N, d...] or []. */
function checkClassTarget(op: string, input: Tensor, target: Tensor): void {
  if (target.dtype !== 'int32' && target.dtype !== 'uint8') throw new TypeError(`${op}: expected target of an integer dtype (class indices), got ${target.dtype}`);
  if (input.ndim < 1) throw new RangeError(`${op}: input tensor should be 1D or more, got shape ${fmtShape(input.shape)}`);
  if (input.ndim === 1) {
    if (target.ndim !== 0) throw new RangeError(`${op}: 0D or 1D target tensor expected, multi-target not supported (input ${fmtShape(input.shape)}, target ${fmtShape(target.shape)})`);
    return;
  }
  if (target.ndim === input.ndim - 1 && target.shape[0] !== input.shape[0]) {
    throw new RangeError(`${op}: Expected input batch_size (${input.shape[0]}) to match target batch_size (${target.shape[0]}).`);
  }
  const want = [input.shape[0]!, ...input.shape.slice(2)];
  if (!shapesEqual(target.shape, want)) {
    throw new RangeError(`${op}: expected target of shape ${fmtShape(want)} for input of shape ${fmtShape(input.shape)}, got ${fmtShape(target.shape)}`);
  }
}

/**
 * sum / den, the 'mean' over the targets' weights. Where every target is ignored (den 0) the value is
 * NaN, as PyTorch's, but the gradients are 0 (PyTorch's backward skips ignored targets), not 0/0:
 * a batch of padding only must not write NaN into every parameter.
 */
function weightedMean(sum: Tensor, den: Tensor): Tensor {
  const none = den.eq(0);
  return sum.div(where(none, 1, den)).add(where(none, NaN, 0).to(sum.dtype)); // the loss keeps its dtype (float16 under autocast)
}

/** F.nllLoss(logProbs [N, C, d...] or [C], target int [N, d...], { weight, ignoreIndex, reduction }). */
export function nllLoss(input: Tensor, target: Tensor, opts: NllOpts = {}): Tensor {
  return composite('nllLoss', { ignoreIndex: opts.ignoreIndex ?? -100, reduction: opts.reduction ?? 'mean' }, () => nllImpl('nllLoss', input, target, opts));
}

function nllImpl(op: string, input: Tensor, target: Tensor, opts: NllOpts): Tensor {
  checkClassTarget(op, input, target);
  const ignore = opts.ignoreIndex ?? -100, weight = opts.weight ?? null;
  const C = input.ndim === 1 ? input.shape[0]! : input.shape[1]!;
  if (weight && (weight.ndim !== 1 || weight.shape[0] !== C)) throw new RangeError(`${op}: weight tensor should be defined either for all ${C} classes or no classes but got weight tensor of shape: ${fmtShape(weight.shape)}`);
  const cdim = input.ndim === 1 ? 0 : 1;
  const t = target.to('int32');
  const keep = t.ne(ignore);
  const safe = where(keep, t, 0); // ignored entries gather class 0 and are masked out below
  checkRange(safe, 0, C - 1, `${op}: Target $V is out of bounds.`); // PyTorch's IndexError, any sign
  const picked = input.gather(cdim, safe.unsqueeze(cdim)).squeeze(cdim);
  let w = keep.to(input.dtype);
  if (weight) w = w.mul(weight.indexSelect(0, safe.reshape(-1)).reshape(safe.shape));
  const loss = picked.mul(w).neg();
  const r = opts.reduction ?? 'mean';
  if (r === 'mean') return weightedMean(loss.sum(), w.sum());
  return reduce(loss, r, op);
}

/**
 * F.crossEntropy(logits [N, C, d...] or [C], target, opts): target holds class indices (int) or
 * class probabilities (float, same shape as input). labelSmoothing mixes in the uniform distribution.
 */
export function crossEntropy(input: Tensor, target: Tensor, opts: CrossEntropyOpts = {}): Tensor {
  const op = 'crossEntropy';
  const eps = opts.labelSmoothing ?? 0, weight = opts.weight ?? null, r = opts.reduction ?? 'mean';
  if (eps < 0 || eps > 1) throw new RangeError(`${op}: label_smoothing must be between 0.0 and 1.0. Got: ${eps}`);
  if (input.ndim < 1) throw new RangeError(`${op}: input tensor should be 1D or more, got shape ${fmtShape(input.shape)}`);
  return composite('crossEntropy', { ignoreIndex: opts.ignoreIndex ?? -100, reduction: r, labelSmoothing: eps }, () => {
    const cdim = input.ndim === 1 ? 0 : 1;
    const C = input.shape[cdim]!;
    const logp = logSoftmax(input, cdim);
    const wShape = input.shape.map((s, i) => (i === cdim ? s : 1));
    const classShape = input.ndim === 1 ? [] : [input.shape[0]!, ...input.shape.slice(2)];
    if (target.isFloatingPoint()) {
      if (shapesEqual(target.shape, classShape)) {
        throw new TypeError(`${op}: expected scalar type Long but found ${target.dtype}: a target of shape ${fmtShape(target.shape)} holds class indices and must be an integer tensor (target.long()); class probabilities have the input's shape ${fmtShape(input.shape)}`);
      }
      if (!shapesEqual(target.shape, input.shape)) throw new RangeError(`${op}: Expected target size ${fmtShape(input.shape)}, got ${fmtShape(target.shape)}`);
      const tgt = eps > 0 ? target.mul(1 - eps).add(eps / C) : target;
      let prod = logp.mul(tgt);
      if (weight) prod = prod.mul(weight.reshape(wShape));
      const loss = prod.sum(cdim).neg();
      if (r === 'mean') return input.ndim === 1 ? loss : loss.sum().div(input.numel() / C);
      return reduce(loss, r, op);
    }
    if (shapesEqual(target.shape, input.shape) && input.ndim > 1) {
      throw new TypeError(`${op}: a target of the input's shape ${fmtShape(input.shape)} holds class probabilities and must be floating point, got ${target.dtype} (target.float()); class indices have shape ${fmtShape(classShape)}`);
    }
    const nll = nllImpl(op, logp, target, opts);
    if (eps === 0) return nll;
    // PyTorch 1.13: (1 - eps) * nll + eps / C * smooth, smooth = -sum_c w_c logp_c, zero on ignored targets.
    const ignore = opts.ignoreIndex ?? -100;
    const t = target.to('int32');
    const keep = t.ne(ignore);
    let smooth = (weight ? logp.mul(weight.reshape(wShape)) : logp).sum(cdim).neg();
    smooth = where(keep, smooth, 0);
    let red: Tensor;
    if (r === 'mean') {
      if (weight) red = weightedMean(smooth.sum(), weight.indexSelect(0, where(keep, t, 0).reshape(-1)).mul(keep.reshape(-1).to(weight.dtype)).sum());
      else red = weightedMean(smooth.sum(), keep.sum().to(smooth.dtype)); // mean over the non-ignored targets
    } else red = reduce(smooth, r, op);
    return nll.mul(1 - eps).add(red.mul(eps / C));
  });
}

function checkSameSize(op: string, input: Tensor, target: Tensor): void {
  if (!shapesEqual(input.shape, target.shape)) {
    throw new RangeError(`${op}: Using a target size (${sizeStr(target.shape)}) that is different to the input size (${sizeStr(input.shape)}) is deprecated. Please ensure they have the same size.`);
  }
}

/** PyTorch's warning (not an error) when a regression loss's target broadcasts against its input. */
function warnBroadcast(op: string, input: Tensor, target: Tensor): void {
  if (!shapesEqual(input.shape, target.shape)) {
    warnOnce(`${op}: Using a target size (${sizeStr(target.shape)}) that is different to the input size (${sizeStr(input.shape)}). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.`);
  }
}

/** F.mseLoss(input, target, { reduction }); a target that broadcasts warns once, as in PyTorch. */
export function mseLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  warnBroadcast('mseLoss', input, target);
  return composite('mseLoss', { reduction: opts.reduction ?? 'mean' }, () => reduce(input.sub(target).square(), opts.reduction, 'mseLoss'));
}
/** The mean absolute error |input - target|, reduced by reduction (torch.nn.functional.l1_loss). */
export function l1Loss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  warnBroadcast('l1Loss', input, target);
  return composite('l1Loss', { reduction: opts.reduction ?? 'mean' }, () => reduce(input.sub(target).abs(), opts.reduction, 'l1Loss'));
}
/** F.smoothL1Loss: 0.5 d^2 / beta where |d| < beta, else |d| - beta / 2 (beta = 0 is L1). */
export function smoothL1Loss(input: Tensor, target: Tensor, opts: { reduction?: Reduction; beta?: number } = {}): Tensor {
  const beta = opts.beta ?? 1;
  if (beta < 0) throw new RangeError('smoothL1Loss: smooth_l1_loss does not support negative values for beta.');
  warnBroadcast('smoothL1Loss', input, target);
  return composite('smoothL1Loss', { reduction: opts.reduction ?? 'mean', beta }, () => {
    const d = input.sub(target).abs();
    if (beta === 0) return reduce(d, opts.reduction, 'smoothL1Loss');
    return reduce(where(d.lt(beta), d.square().mul(0.5 / beta), d.sub(0.5 * beta)), opts.reduction, 'smoothL1Loss');
  });
}
/** F.huberLoss: 0.5 d^2 where |d| < delta, else delta (|d| - delta / 2). */
export function huberLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction; delta?: number } = {}): Tensor {
  const delta = opts.delta ?? 1;
  warnBroadcast('huberLoss', input, target);
  return composite('huberLoss', { reduction: opts.reduction ?? 'mean', delta }, () => {
    const d = input.sub(target).abs();
    return reduce(where(d.lt(delta), d.square().mul(0.5), d.sub(0.5 * delta).mul(delta)), opts.reduction, 'huberLoss');
  });
}

/** F.binaryCrossEntropy(probs, target, { weight, reduction }): logs clamped at -100 as PyTorch. */
export function binaryCrossEntropy(input: Tensor, target: Tensor, opts: { weight?: Tensor | null; reduction?: Reduction } = {}): Tensor {
  checkSameSize('binaryCrossEntropy', input, target);
  return composite('binaryCrossEntropy', { reduction: opts.reduction ?? 'mean' }, () => {
    const logx = input.log().clamp(-100), log1mx = input.rsub(1).log().clamp(-100);
    let loss = target.mul(logx).add(target.rsub(1).mul(log1mx)).neg();
    if (opts.weight) loss = loss.mul(opts.weight);
    return reduce(loss, opts.reduction, 'binaryCrossEntropy');
  });
}

/** F.binaryCrossEntropyWithLogits(logits, target, { weight, posWeight, reduction }), computed stably. */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor,
  opts: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {}): Tensor {
  if (!shapesEqual(input.shape, target.shape)) {
    throw new RangeError(`binaryCrossEntropyWithLogits: Target size (${sizeStr(target.shape)}) must be the same as input size (${sizeStr(input.shape)})`);
  }
  return composite('binaryCrossEntropyWithLogits', { reduction: opts.reduction ?? 'mean' }, () => {
    // log(1 + e^-x) via softplus (smooth at 0, so the gradient at x = 0 is sigmoid(0) - t as PyTorch's)
    const softplusNeg = softplus(input.neg());
    let loss: Tensor;
    if (opts.posWeight) {
      const lw = opts.posWeight.sub(1).mul(target).add(1);
      loss = target.rsub(1).mul(input).add(lw.mul(softplusNeg));
    } else loss = target.rsub(1).mul(input).add(softplusNeg);
    if (opts.weight) loss = loss.mul(opts.weight);
    return reduce(loss, opts.reduction, 'binaryCrossEntropyWithLogits');
  });
}

/** F.klDiv(input (log-probs), target, { reduction: 'mean' | 'batchmean' | 'sum' | 'none', logTarget }). */
export function klDiv(input: Tensor, target: Tensor, opts: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {}): Tensor {
  return composite('klDiv', { reduction: opts.reduction ?? 'mean', logTarget: opts.logTarget ?? false }, () => {
    let loss: Tensor;
    if (opts.logTarget) loss = target.exp().mul(target.sub(input));
    else {
      // xlogy(t, t) - t * x, with 0 log 0 = 0 (log of a safe value so the masked branch stays finite)
      const tlogt = where(target.gt(0), target.mul(where(target.gt(0), target, 1).log()), 0);
      loss = tlogt.sub(target.mul(input));
    }
    const r = opts.reduction ?? 'mean';
    if (r === 'batchmean') return input.ndim === 0 ? loss.sum() : loss.sum().div(input.shape[0]!);
    return reduce(loss, r, 'klDiv');
  });
}

/** F.marginRankingLoss(x1, x2, y): max(0, -y (x1 - x2) + margin). */
export function marginRankingLoss(x1: Tensor, x2: Tensor, target: Tensor, opts: { margin?: number; reduction?: Reduction } = {}): Tensor {
  if (x1.ndim !== x2.ndim || x1.ndim !== target.ndim) {
    throw new RangeError(`marginRankingLoss: All input tensors should have same dimension but got sizes: input1: ${sizeStr(x1.shape)}, input2: ${sizeStr(x2.shape)}, target: ${sizeStr(target.shape)} `);
  }
  return composite('marginRankingLoss', { margin: opts.margin ?? 0, reduction: opts.reduction ?? 'mean' }, () => {
    // clamp (not relu): PyTorch's clamp_min passes the gradient at exactly 0
    return reduce(target.neg().mul(x1.sub(x2)).add(opts.margin ?? 0).clamp(0), opts.reduction, 'marginRankingLoss');
  });
}

/** F.hingeEmbeddingLoss(x, y in {1, -1}): x where y = 1, max(0, margin - x) where y = -1. */
export function hingeEmbeddingLoss(input: Tensor, target: Tensor, opts: { margin?: number; reduction?: Reduction } = {}): Tensor {
  return composite('hingeEmbeddingLoss', { margin: opts.margin ?? 1, reduction: opts.reduction ?? 'mean' }, () => {
    const marginClamp = input.neg().add(opts.margin ?? 1).clamp(0);
    const loss = where(target.ne(1), marginClamp, 0).add(where(target.ne(-1), input, 0));
    return reduce(loss, opts.reduction, 'hingeEmbeddingLoss');
  });
}

/** F.softMarginLoss: log(1 + exp(-y x)). */
export function softMarginLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  return composite('softMarginLoss', { reduction: opts.reduction ?? 'mean' }, () => reduce(softplus(target.neg().mul(input)), opts.reduction, 'softMarginLoss'));
}

/** F.cosineEmbeddingLoss(x1, x2, y): 1 - cos where y = 1, max(0, cos - margin) where y = -1. */
export function cosineEmbeddingLoss(x1: Tensor, x2: Tensor, target: Tensor, opts: { margin?: number; reduction?: Reduction } = {}): Tensor {
  const dim = x1.ndim - 1;
  if (x1.ndim !== x2.ndim || x1.shape.some((s, i) => s !== x2.shape[i])) {
    throw new RangeError(`cosineEmbeddingLoss: input1 and input2 must have the same shape, got ${fmtShape(x1.shape)} and ${fmtShape(x2.shape)}`);
  }
  return composite('cosineEmbeddingLoss', { margin: opts.margin ?? 0, reduction: opts.reduction ?? 'mean' }, () => {
    const EPS = 1e-12;
    const prod = x1.mul(x2).sum(dim);
    const m1 = x1.square().sum(dim).add(EPS), m2 = x2.square().sum(dim).add(EPS);
    const cos = prod.div(m1.mul(m2).sqrt());
    const loss = where(target.eq(1), cos.rsub(1), 0).add(where(target.eq(-1), cos.sub(opts.margin ?? 0).clamp(0), 0));
    return reduce(loss, opts.reduction, 'cosineEmbeddingLoss');
  });
}

/** F.tripletMarginLoss(anchor, positive, negative, { margin, p, eps, swap, reduction }). */
export function tripletMarginLoss(anchor: Tensor, positive: Tensor, negative: Tensor,
  opts: { margin?: number; p?: number; eps?: number; swap?: boolean; reduction?: Reduction } = {}): Tensor {
  const po = { p: opts.p ?? 2, eps: opts.eps ?? 1e-6 };
  if (anchor.ndim !== positive.ndim || anchor.ndim !== negative.ndim) {
    throw new RangeError(`tripletMarginLoss: The anchor, positive, and negative tensors are expected to have the same number of dimensions, but got: anchor ${anchor.ndim}D, positive ${positive.ndim}D, and negative ${negative.ndim}D inputs`);
  }
  return composite('tripletMarginLoss', { margin: opts.margin ?? 1, p: po.p, eps: po.eps, swap: opts.swap ?? false, reduction: opts.reduction ?? 'mean' }, () => {
    const dPos = pairwiseDistance(anchor, positive, po);
    let dNeg = pairwiseDistance(anchor, negative, po);
    if (opts.swap) dNeg = dNeg.minimum(pairwiseDistance(positive, negative, po));
    return reduce(dPos.sub(dNeg).add(opts.margin ?? 1).clamp(0), opts.reduction, 'tripletMarginLoss');
  });
}

/** F.poissonNllLoss(input, target, { logInput, full, eps, reduction }). */
export function poissonNllLoss(input: Tensor, target: Tensor,
  opts: { logInput?: boolean; full?: boolean; eps?: number; reduction?: Reduction } = {}): Tensor {
  const logInput = opts.logInput ?? true;
  return composite('poissonNllLoss', { logInput, full: opts.full ?? false, eps: opts.eps ?? 1e-8, reduction: opts.reduction ?? 'mean' }, () => {
    let loss = logInput ? input.exp().sub(target.mul(input)) : input.sub(target.mul(input.add(opts.eps ?? 1e-8).log()));
    if (opts.full) {
      // Stirling term t log t - t + 0.5 log(2 pi t), only where t > 1.
      const safe = where(target.gt(1), target, 2);
      const stirling = safe.mul(safe.log()).sub(safe).add(safe.mul(2 * Math.PI).log().mul(0.5));
      loss = loss.add(where(target.gt(1), stirling, 0));
    }
    return reduce(loss, opts.reduction, 'poissonNllLoss');
  });
}

/** F.gaussianNllLoss(input, target, var, { full, eps, reduction }): var is clamped at eps without affecting its gradient. */
export function gaussianNllLoss(input: Tensor, target: Tensor, variance: Tensor,
  opts: { full?: boolean; eps?: number; reduction?: Reduction } = {}): Tensor {
  const op = 'gaussianNllLoss';
  let v = variance;
  if (!shapesEqual(v.shape, input.shape)) {
    if (shapesEqual(input.shape.slice(0, -1), v.shape)) v = v.unsqueeze(-1);
    else if (!(shapesEqual(input.shape.slice(0, -1), v.shape.slice(0, -1)) && v.shape[v.ndim - 1] === 1)) throw new RangeError(`${op}: var is of incorrect size`);
  }
  const r = opts.reduction ?? 'mean';
  if (r !== 'mean' && r !== 'sum' && r !== 'none') throw new RangeError(`${op}: ${String(r)} is not valid`);
  const eps = opts.eps ?? 1e-6;
  return composite('gaussianNllLoss', { full: opts.full ?? false, eps, reduction: r }, () => {
    // PyTorch clamps a copy of var under no_grad: the value is clamped, the gradient passes straight through.
    const clamped = v.add(v.clamp(eps).sub(v).detach());
    let loss = clamped.log().add(input.sub(target).square().div(clamped)).mul(0.5);
    if (opts.full) loss = loss.add(0.5 * Math.log(2 * Math.PI));
    return reduce(loss, r, op);
  });
}

/**
 * F.multiMarginLoss(input [N, C] or [C], target int, { p, margin, weight, reduction }):
 * sum over j != y of max(0, margin - x[y] + x[j])^p / C, times weight[y].
 */
export function multiMarginLoss(input: Tensor, target: Tensor, opts: { p?: 1 | 2; margin?: number; weight?: Tensor | null; reduction?: Reduction } = {}): Tensor {
  const op = 'multiMarginLoss';
  const p = opts.p ?? 1;
  if (p !== 1 && p !== 2) throw new RangeError(`${op}: only p == 1 and p == 2 supported`);
  return composite('multiMarginLoss', { p, margin: opts.margin ?? 1, reduction: opts.reduction ?? 'mean' }, () => {
    const x = input.ndim === 1 ? input.unsqueeze(0) : input;
    if (x.ndim !== 2) throw new RangeError(`${op}: Expected non-empty vector or matrix with optional 0-dim batch size, but got: ${fmtShape(input.shape)}`);
    const t = target.reshape(-1).to('int32');
    if (t.shape[0] !== x.shape[0]) throw new RangeError(`${op}: inconsistent target size, expected ${x.shape[0]} but got ${fmtShape(target.shape)}`);
    const C = x.shape[1]!;
    checkRange(t, 0, C - 1, `${op}: target out of range: $V is not a class index in [0, ${C - 1}]`);
    const xy = x.gather(1, t.unsqueeze(1));
    let l = x.sub(xy).add(opts.margin ?? 1).relu();
    if (p === 2) l = l.square();
    if (opts.weight) l = l.mul(opts.weight.indexSelect(0, t).unsqueeze(1));
    // the j == y term is excluded
    const notY = t.unsqueeze(1).ne(arangeLike(x, C).unsqueeze(0));
    let loss = where(notY, l, 0).sum(1).div(C);
    if (input.ndim === 1) loss = loss.squeeze(0);
    return reduce(loss, opts.reduction, op);
  });
}

/** F.multilabelSoftMarginLoss(input [N, C], target [N, C], { weight, reduction }): mean over classes of the per-class logistic loss. */
export function multilabelSoftMarginLoss(input: Tensor, target: Tensor, opts: { weight?: Tensor | null; reduction?: Reduction } = {}): Tensor {
  return composite('multilabelSoftMarginLoss', { reduction: opts.reduction ?? 'mean' }, () => {
    let l = target.mul(softplus(input.neg())).add(target.rsub(1).mul(softplus(input)));
    if (opts.weight) l = l.mul(opts.weight);
    return reduce(l.mean(-1), opts.reduction, 'multilabelSoftMarginLoss');
  });
}

const arangeLike = (x: Tensor, n: number) => arange(n, { device: x.device, dtype: 'int32' });

/** Options of F.ctcLoss (PyTorch's keyword arguments). */
export interface CtcOpts {
  /** The blank label (default 0). */
  blank?: number;
  /** 'none' | 'mean' (default; each loss divided by its target length, then averaged) | 'sum'. */
  reduction?: Reduction;
  /** Zero infinite losses and their gradients (default false). */
  zeroInfinity?: boolean;
}

/**
 * F.ctcLoss(logProbs [T, N, C] (or [T, C]), targets [N, S] (or 1-D concatenated), inputLengths,
 * targetLengths, { blank, reduction, zeroInfinity }): the CTC forward (alpha) recursion in log space,
 * vectorized over the batch and the 2S+1 extended labels, differentiated by autograd. Unreachable
 * states hold a large finite negative value instead of -inf so no NaN reaches the gradient; an
 * impossible alignment gives +inf and NaN gradients on that sample's frames (or 0 and zeros with
 * zeroInfinity), as PyTorch's CPU kernels. 'mean' divides each loss by its target length, then
 * averages. Lengths may be numbers or tensors (any device): they are used as device tensors and
 * range-checked there (errors surface at the next read on asynchronous devices). Only 1-D
 * concatenated targets need the target lengths on the host (numbers or a CPU tensor, as PyTorch's
 * cuDNN path) to split them; the split runs on the targets' device.
 */
export function ctcLoss(logProbs: Tensor, targets: Tensor, inputLengths: Tensor | number | readonly number[], targetLengths: Tensor | number | readonly number[],
  opts: CtcOpts = {}): Tensor {
  const op = 'ctcLoss';
  const blank = opts.blank ?? 0;
  const unb = logProbs.ndim === 2;
  const lp = unb ? logProbs.unsqueeze(1) : logProbs;
  if (lp.ndim !== 3) throw new RangeError(`${op}: log_probs must be 2-D or 3-D [T, N, C], got ${fmtShape(logProbs.shape)}`);
  const [T, N, C] = lp.shape as [number, number, number];
  if (blank < 0 || blank >= C) throw new RangeError(`${op}: blank must be in label range (got ${blank} for ${C} classes)`);
  return composite('ctcLoss', { blank, reduction: opts.reduction ?? 'mean', zeroInfinity: opts.zeroInfinity ?? false }, () => {
    const onDevice = (v: Tensor | number | readonly number[], name: string): Tensor => {
      const t = v instanceof Tensor ? v.reshape(-1).to('int32').to(lp.device) : indexLikeT(lp, typeof v === 'number' ? [v] : [...v]);
      if (t.numel() !== N) throw new RangeError(`${op}: ${name} must be of size batch_size (${N}), got ${t.numel()}`);
      return t;
    };
    const inT = onDevice(inputLengths, 'input_lengths'), tgT = onDevice(targetLengths, 'target_lengths');
    checkRange(inT, 0, T, `${op}: Expected input_lengths to have value at most ${T}, but got value $V`);
    // Targets as a padded [N, S] int32 tensor.
    let tg: Tensor;
    if (unb && targets.ndim === 1) tg = targets.unsqueeze(0).to('int32');
    else if (!unb && targets.ndim === 2) tg = targets.to('int32');
    else if (!unb && targets.ndim === 1) {
      if (targetLengths instanceof Tensor && !targetLengths.storage.backend.synchronous) {
        throw new Error(`${op}: 1-D concatenated targets need target_lengths on the host (a number[] or a CPU tensor, as PyTorch's cuDNN path), got a tensor on '${targetLengths.device}'`);
      }
      const tgLen = targetLengths instanceof Tensor ? Array.from(targetLengths.reshape(-1).to('int32').dataSync()) : typeof targetLengths === 'number' ? [targetLengths] : [...targetLengths];
      const flat = targets.to('int32').to(lp.device);
      const total = tgLen.reduce((a, b) => a + b, 0);
      if (total > flat.numel()) throw new RangeError(`${op}: the target lengths sum to ${total}, but the 1-D targets hold ${flat.numel()} labels`);
      const S0 = Math.max(1, ...tgLen);
      const rows: Tensor[] = [];
      let o = 0;
      for (const l of tgLen) {
        const seg = flat.narrow(0, o, l);
        rows.push(l < S0 ? cat([seg, full([S0 - l], blank, { dtype: 'int32', device: lp.device })]) : seg);
        o += l;
      }
      tg = stack(rows, 0);
    } else throw new RangeError(`${op}: targets must be [N, S] or 1-D concatenated, got ${fmtShape(targets.shape)}`);
    const S = tg.shape[1]!, L = 2 * S + 1;
    checkRange(tgT, -(2 ** 31), S, `${op}: Expected tensor to have size at least $V at dimension 1, but got size ${S} for argument #2 'targets'`);
    // Extended labels: blank, t1, blank, t2, ..., blank.
    const blanks = fullLike(tg, blank);
    const ext = cat([stack([blanks, tg], 2).reshape(N, 2 * S), blanks.narrow(1, 0, 1)], 1); // [N, L]
    const emit = lp.gather(2, ext.unsqueeze(0).expand(T, N, L)); // [T, N, L]
    const NEG = -1e30;
    const prev2 = cat([fullLike(ext.narrow(1, 0, 2), -1), ext.narrow(1, 0, L - 2)], 1);
    const skipOk = ext.ne(blank).logicalAnd(ext.ne(prev2)); // may come from s - 2
    const shift = (a: Tensor, k: number) => cat([fullLike(a.narrow(1, 0, k), NEG), a.narrow(1, 0, L - k)], 1);
    const lse3 = (a: Tensor, b: Tensor, c: Tensor) => {
      const m = a.maximum(b).maximum(c).detach(); // the result does not depend on m: stop its gradient
      return a.sub(m).exp().add(b.sub(m).exp()).add(c.sub(m).exp()).log().add(m);
    };
    const sIdx = arange(L, { device: lp.device, dtype: 'int32' }).unsqueeze(0);
    let alpha = where(sIdx.lt(2), emit.select(0, 0), NEG).maximum(NEG); // [N, L]
    const tLim = inT.unsqueeze(1);
    for (let t = 1; t < T; t++) {
      const next = lse3(alpha, shift(alpha, 1), where(skipOk, shift(alpha, 2), NEG)).add(emit.select(0, t)).maximum(NEG);
      alpha = where(tLim.gt(t), next, alpha); // samples already past their length keep their final alpha
    }
    const endIdx = tgT.mul(2).to('int32').unsqueeze(1);
    const last = alpha.gather(1, endIdx).squeeze(1);
    const beforeLast = where(endIdx.squeeze(1).gt(0), alpha.gather(1, endIdx.sub(1).clamp(0)).squeeze(1), NEG);
    const m = last.maximum(beforeLast).detach();
    let loss = last.sub(m).exp().add(beforeLast.sub(m).exp()).log().add(m).neg(); // [N]
    const impossible = loss.gt(-NEG / 2).logicalOr(inT.eq(0));
    loss = where(impossible, opts.zeroInfinity ? 0 : Infinity, loss);
    if (!opts.zeroInfinity && lp.requiresGrad && isGradEnabled()) loss = loss.add(ctcNanGradient(lp, impossible, inT));
    const r = opts.reduction ?? 'mean';
    if (r === 'mean') return loss.div(tgT.clamp(1).to(loss.dtype)).mean();
    const out = reduce(loss, r, op);
    return unb && r === 'none' ? out.squeeze(0) : out;
  });
}

const indexLikeT = (x: Tensor, v: number[]) => tensorOp(v, { dtype: 'int32', device: x.device });

/**
 * Zeros [N] whose gradient in lp [T, N, C] is NaN for an impossible sample's frames t < its input
 * length (0 elsewhere): PyTorch's ctc_loss_backward there is exp(lp) - exp(-inf + nll - lp) with
 * nll = inf, NaN whatever the incoming gradient. The value 0 is picked by a where over lp * k
 * (k NaN on those frames): its discarded branch gets a zero gradient, which times k is NaN there.
 */
function ctcNanGradient(lp: Tensor, impossible: Tensor, inT: Tensor): Tensor {
  const [T, N] = lp.shape as [number, number, number];
  const frames = arange(T, { device: lp.device, dtype: 'int32' }).reshape(T, 1, 1).lt(inT.reshape(1, N, 1));
  const k = where(frames.logicalAnd(impossible.reshape(1, N, 1)), NaN, 0).to(lp.dtype); // [T, N, 1]
  return where(full([], true, { dtype: 'bool', device: lp.device }), 0, lp.mul(k)).sum([0, 2]);
}

/**
 * F.multilabelMarginLoss(input [N, C] or [C], target int32 of the same shape): each row of target
 * lists the positive classes, ended by the first -1. loss = sum over listed j and non-target i of
 * max(0, 1 - (x[j] - x[i])) / C.
 */
export function multilabelMarginLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  const op = 'multilabelMarginLoss';
  if (!shapesEqual(input.shape, target.shape) || input.ndim > 2 || input.ndim < 1) {
    throw new RangeError(`${op}: inconsistent target size: ${fmtShape(target.shape)} for input of size: ${fmtShape(input.shape)}`);
  }
  return composite('multilabelMarginLoss', { reduction: opts.reduction ?? 'mean' }, () => {
    const x = input.ndim === 1 ? input.unsqueeze(0) : input;
    const t = (target.ndim === 1 ? target.unsqueeze(0) : target).to('int32');
    const C = x.shape[1]!;
    checkRange(t, -1, C - 1, `${op}: argument #2 'target' is out of range: $V is neither a class index in [0, ${C - 1}] nor -1`);
    const listed = t.lt(0).to('int32').cumsum(1).eq(0); // slots before the first -1
    const slotIdx = where(listed, t, C);
    const isTarget = zeros([x.shape[0]!, C + 1], { dtype: x.dtype, device: x.device }).scatter(1, slotIdx, 1).narrow(1, 0, C).gt(0);
    const xj = x.gather(1, where(listed, t, 0)); // [N, C] values at the listed slots
    const hinge = xj.unsqueeze(2).sub(x.unsqueeze(1)).rsub(1).relu(); // [N, slot, i]
    const mask = listed.unsqueeze(2).logicalAnd(isTarget.logicalNot().unsqueeze(1));
    let loss = where(mask, hinge, 0).sum([1, 2]).div(C);
    if (input.ndim === 1) loss = loss.squeeze(0);
    return reduce(loss, opts.reduction, op);
  });
}

/** F.tripletMarginWithDistanceLoss(anchor, positive, negative, { distanceFunction, margin, swap, reduction }). */
export function tripletMarginWithDistanceLoss(anchor: Tensor, positive: Tensor, negative: Tensor,
  opts: { distanceFunction?: ((a: Tensor, b: Tensor) => Tensor) | null; margin?: number; swap?: boolean; reduction?: Reduction } = {}): Tensor {
  const dist = opts.distanceFunction ?? ((a: Tensor, b: Tensor) => pairwiseDistance(a, b));
  const margin = opts.margin ?? 1;
  if (margin <= 0) throw new RangeError(`tripletMarginWithDistanceLoss: margin must be greater than 0, got ${margin}`);
  return composite('tripletMarginWithDistanceLoss', { margin, swap: opts.swap ?? false, reduction: opts.reduction ?? 'mean' }, () => {
    const dPos = dist(anchor, positive);
    let dNeg = dist(anchor, negative);
    if (opts.swap) dNeg = dNeg.minimum(dist(positive, negative));
    return reduce(dPos.sub(dNeg).add(margin).clamp(0), opts.reduction, 'tripletMarginWithDistanceLoss');
  });
}
