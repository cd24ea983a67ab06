// Every loss of torch.nn as a module over torch.nn.functional. Options are PyTorch's keywords in
// camelCase ({ reduction, weight, ignoreIndex, labelSmoothing, ... }); class weights and
// BCEWithLogits' posWeight are registered buffers named 'weight' / 'pos_weight', as in PyTorch.

import type { Tensor } from '../../tensor.js';
import { Module } from '../module.js';
import * as F from '../functional/index.js';

type Reduction = F.Reduction;

/** Shared base of the losses: the reduction ('none' | 'mean' | 'sum', default 'mean'). */
abstract class Loss extends Module {
  readonly reduction: Reduction;
  constructor(opts: { reduction?: Reduction } = {}) {
    super();
    const r = opts.reduction ?? 'mean';
    if (r !== 'none' && r !== 'mean' && r !== 'sum') throw new Error(`${r} is not a valid value for reduction`);
    this.reduction = r;
  }
}
/** Shared base of the losses with a per-class weight (registered as the buffer 'weight'). */
abstract class WeightedLoss extends Loss {
  weight: Tensor | null = null;
  constructor(opts: { weight?: Tensor | null; reduction?: Reduction } = {}) {
    super(opts);
    this.registerBuffer('weight', opts.weight ?? null);
  }
}

/** Creates a criterion that measures the mean absolute error (MAE) between each element of input and target (torch.nn.L1Loss). */
export class L1Loss extends Loss {
  /** |input - target| per element, reduced by reduction. */
  forward(input: Tensor, target: Tensor): Tensor { return F.l1Loss(input, target, { reduction: this.reduction }); }
}
/** Creates a criterion that measures the mean squared error (squared L2 norm) between each element of input and target (torch.nn.MSELoss). */
export class MSELoss extends Loss {
  /** (input - target)^2 per element, reduced by reduction. */
  forward(input: Tensor, target: Tensor): Tensor { return F.mseLoss(input, target, { reduction: this.reduction }); }
}

/** Computes the cross entropy loss between input logits and target class indices or probabilities (torch.nn.CrossEntropyLoss). */
export class CrossEntropyLoss extends WeightedLoss {
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(opts: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction; labelSmoothing?: number } = {}) {
    super(opts);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.labelSmoothing = opts.labelSmoothing ?? 0;
  }
  /** The cross entropy of logits input [N, C, *] (or [C]) against class indices or class probabilities target. */
  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction, labelSmoothing: this.labelSmoothing });
  }
}
/** The negative log likelihood loss, for log-probabilities input and class-index target (torch.nn.NLLLoss). */
export class NLLLoss extends WeightedLoss {
  readonly ignoreIndex: number;
  constructor(opts: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction } = {}) {
    super(opts);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
  }
  /** -input[n, target[n]] (times the class weight), skipping ignoreIndex, reduced by reduction. */
  forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}
/** Creates a criterion that measures the Binary Cross Entropy between target and input probabilities (torch.nn.BCELoss). */
export class BCELoss extends WeightedLoss {
  /** -(target * log(input) + (1 - target) * log(1 - input)) per element (times weight), reduced by reduction. */
  forward(input: Tensor, target: Tensor): Tensor { return F.binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction }); }
}
/** Combines a Sigmoid layer and BCELoss in one numerically stable criterion (torch.nn.BCEWithLogitsLoss). */
export class BCEWithLogitsLoss extends WeightedLoss {
  pos_weight: Tensor | null = null;
  constructor(opts: { weight?: Tensor | null; reduction?: Reduction; posWeight?: Tensor | null } = {}) {
    super(opts);
    this.registerBuffer('pos_weight', opts.posWeight ?? null);
  }
  /** The weight of positive examples (the buffer pos_weight), broadcast along the classes; null: 1. */
  get posWeight(): Tensor | null { return this.pos_weight; }
  /** The binary cross entropy of sigmoid(input) against target, computed from the logits; posWeight weights the positive term. */
  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropyWithLogits(input, target, { weight: this.weight, reduction: this.reduction, posWeight: this.pos_weight });
  }
}
/** Creates a criterion that uses a squared term if the absolute element-wise error falls below beta and an L1 term otherwise (torch.nn.SmoothL1Loss). */
export class SmoothL1Loss extends Loss {
  readonly beta: number;
  constructor(opts: { reduction?: Reduction; beta?: number } = {}) { super(opts); this.beta = opts.beta ?? 1; }
  /** 0.5 * d^2 / beta where |d| < beta, else |d| - 0.5 * beta, for d = input - target, reduced by reduction. */
  forward(input: Tensor, target: Tensor): Tensor { return F.smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta }); }
}
/** Creates a criterion that uses a squared term if the absolute element-wise error falls below delta and a delta-scaled L1 term otherwise (torch.nn.HuberLoss). */
export class HuberLoss extends Loss {
  readonly delta: number;
  constructor(opts: { reduction?: Reduction; delta?: number } = {}) { super(opts); this.delta = opts.delta ?? 1; }
  /** 0.5 * d^2 where |d| < delta, else delta * (|d| - 0.5 * delta), for d = input - target, reduced by reduction. */
  forward(input: Tensor, target: Tensor): Tensor { return F.huberLoss(input, target, { reduction: this.reduction, delta: this.delta }); }
}
/** KL divergence; input is log-probabilities. reduction 'batchmean' is PyTorch's recommended mode. */
export class KLDivLoss extends Loss {
  readonly logTarget: boolean;
  private readonly batchmean: boolean;
  constructor(opts: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {}) {
    super({ reduction: opts.reduction === 'batchmean' ? 'mean' : opts.reduction });
    this.batchmean = opts.reduction === 'batchmean';
    this.logTarget = opts.logTarget ?? false;
  }
  /** The pointwise KL divergence target * (log(target) - input) (logTarget: exp(target) * (target - input)), reduced by reduction. */
  forward(input: Tensor, target: Tensor): Tensor {
    return F.klDiv(input, target, { reduction: this.batchmean ? 'batchmean' : this.reduction, logTarget: this.logTarget });
  }
}

/** Creates a criterion that measures the loss given inputs x1, x2 and a label tensor y of 1 or -1 (torch.nn.MarginRankingLoss). */
export class MarginRankingLoss extends Loss {
  readonly margin: number;
  constructor(opts: { margin?: number; reduction?: Reduction } = {}) { super(opts); this.margin = opts.margin ?? 0; }
  /** max(0, -target * (x1 - x2) + margin), reduced by reduction. */
  forward(x1: Tensor, x2: Tensor, target: Tensor): Tensor { return F.marginRankingLoss(x1, x2, target, { margin: this.margin, reduction: this.reduction }); }
}
/** Measures the loss given an input tensor x and a labels tensor y containing 1 or -1 (torch.nn.HingeEmbeddingLoss). */
export class HingeEmbeddingLoss extends Loss {
  readonly margin: number;
  constructor(opts: { margin?: number; reduction?: Reduction } = {}) { super(opts); this.margin = opts.margin ?? 1; }
  /** x where target is 1, max(0, margin - x) where target is -1, reduced by reduction. */
  forward(input: Tensor, target: Tensor): Tensor { return F.hingeEmbeddingLoss(input, target, { margin: this.margin, reduction: this.reduction }); }
}
/** Creates a criterion that optimizes a two-class classification logistic loss between input and target of 1 or -1 (torch.nn.SoftMarginLoss). */
export class SoftMarginLoss extends Loss {
  /** log(1 + exp(-target * input)), reduced by reduction. */
  forward(input: Tensor, target: Tensor): Tensor { return F.softMarginLoss(input, target, { reduction: this.reduction }); }
}
/** Creates a criterion that measures the loss given input tensors x1, x2 and a label tensor y of 1 or -1, using the cosine similarity (torch.nn.CosineEmbeddingLoss). */
export class CosineEmbeddingLoss extends Loss {
  readonly margin: number;
  constructor(opts: { margin?: number; reduction?: Reduction } = {}) { super(opts); this.margin = opts.margin ?? 0; }
  /** 1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where target is -1, reduced by reduction. */
  forward(x1: Tensor, x2: Tensor, target: Tensor): Tensor { return F.cosineEmbeddingLoss(x1, x2, target, { margin: this.margin, reduction: this.reduction }); }
}
/** Creates a criterion that measures the triplet loss given anchor, positive and negative inputs and a margin (torch.nn.TripletMarginLoss). */
export class TripletMarginLoss extends Loss {
  readonly margin: number; readonly p: number; readonly eps: number; readonly swap: boolean;
  constructor(opts: { margin?: number; p?: number; eps?: number; swap?: boolean; reduction?: Reduction } = {}) {
    super(opts);
    this.margin = opts.margin ?? 1; this.p = opts.p ?? 2; this.eps = opts.eps ?? 1e-6; this.swap = opts.swap ?? false;
  }
  /** max(d(anchor, positive) - d(anchor, negative) + margin, 0) with the p-norm distance d, reduced by reduction. */
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return F.tripletMarginLoss(anchor, positive, negative, { margin: this.margin, p: this.p, eps: this.eps, swap: this.swap, reduction: this.reduction });
  }
}
/** Negative log likelihood loss with a Poisson distribution of target (torch.nn.PoissonNLLLoss). */
export class PoissonNLLLoss extends Loss {
  readonly logInput: boolean; readonly full: boolean; readonly eps: number;
  constructor(opts: { logInput?: boolean; full?: boolean; eps?: number; reduction?: Reduction } = {}) {
    super(opts);
    this.logInput = opts.logInput ?? true; this.full = opts.full ?? false; this.eps = opts.eps ?? 1e-8;
  }
  /** exp(input) - target * input (logInput) or input - target * log(input + eps), plus the Stirling term when full, reduced by reduction. */
  forward(input: Tensor, target: Tensor): Tensor {
    return F.poissonNllLoss(input, target, { logInput: this.logInput, full: this.full, eps: this.eps, reduction: this.reduction });
  }
}
/** Gaussian negative log likelihood loss, for a predicted mean (input) and variance (torch.nn.GaussianNLLLoss). */
export class GaussianNLLLoss extends Loss {
  readonly full: boolean; readonly eps: number;
  constructor(opts: { full?: boolean; eps?: number; reduction?: Reduction } = {}) { super(opts); this.full = opts.full ?? false; this.eps = opts.eps ?? 1e-6; }
  /** 0.5 * (log(max(variance, eps)) + (input - target)^2 / max(variance, eps)) (plus a constant when full), reduced by reduction. */
  forward(input: Tensor, target: Tensor, variance: Tensor): Tensor {
    return F.gaussianNllLoss(input, target, variance, { full: this.full, eps: this.eps, reduction: this.reduction });
  }
}
/** Creates a criterion that optimizes a multi-class classification hinge loss (margin-based loss) (torch.nn.MultiMarginLoss). */
export class MultiMarginLoss extends WeightedLoss {
  readonly p: 1 | 2; readonly margin: number;
  constructor(opts: { p?: 1 | 2; margin?: number; weight?: Tensor | null; reduction?: Reduction } = {}) { super(opts); this.p = opts.p ?? 1; this.margin = opts.margin ?? 1; }
  /** sum over i != y of max(0, margin - x[y] + x[i])^p / C per sample (times weight[y]), reduced by reduction. */
  forward(input: Tensor, target: Tensor): Tensor { return F.multiMarginLoss(input, target, { p: this.p, margin: this.margin, weight: this.weight, reduction: this.reduction }); }
}
/** Creates a criterion that optimizes a multi-label one-versus-all loss based on max-entropy (torch.nn.MultiLabelSoftMarginLoss). */
export class MultiLabelSoftMarginLoss extends WeightedLoss {
  /** The mean over classes of the (weighted) binary cross entropy of sigmoid(input) against the 0/1 target, reduced by reduction. */
  forward(input: Tensor, target: Tensor): Tensor { return F.multilabelSoftMarginLoss(input, target, { weight: this.weight, reduction: this.reduction }); }
}
/** Creates a criterion that optimizes a multi-class multi-classification hinge loss between input and the target class indices (torch.nn.MultiLabelMarginLoss). */
export class MultiLabelMarginLoss extends Loss {
  /** sum over target classes j and non-target classes i of max(0, 1 - (x[j] - x[i])) / C per sample, reduced by reduction. */
  forward(input: Tensor, target: Tensor): Tensor { return F.multilabelMarginLoss(input, target, { reduction: this.reduction }); }
}
/** Creates a criterion that measures the triplet loss given anchor, positive and negative inputs and a distance function (torch.nn.TripletMarginWithDistanceLoss). */
export class TripletMarginWithDistanceLoss extends Loss {
  readonly distanceFunction: ((a: Tensor, b: Tensor) => Tensor) | null; readonly margin: number; readonly swap: boolean;
  constructor(opts: { distanceFunction?: ((a: Tensor, b: Tensor) => Tensor) | null; margin?: number; swap?: boolean; reduction?: Reduction } = {}) {
    super(opts);
    this.distanceFunction = opts.distanceFunction ?? null; this.margin = opts.margin ?? 1; this.swap = opts.swap ?? false;
  }
  /** max(d(anchor, positive) - d(anchor, negative) + margin, 0) with distanceFunction d (default pairwise distance), reduced by reduction. */
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return F.tripletMarginWithDistanceLoss(anchor, positive, negative, { distanceFunction: this.distanceFunction, margin: this.margin, swap: this.swap, reduction: this.reduction });
  }
}
/** Connectionist Temporal Classification loss over log-probabilities [T, N, C]. */
export class CTCLoss extends Loss {
  readonly blank: number; readonly zeroInfinity: boolean;
  constructor(opts: { blank?: number; reduction?: Reduction; zeroInfinity?: boolean } = {}) { super(opts); this.blank = opts.blank ?? 0; this.zeroInfinity = opts.zeroInfinity ?? false; }
  /** The CTC loss of logProbs [T, N, C] against targets, given each sample's input and target lengths. */
  forward(logProbs: Tensor, targets: Tensor, inputLengths: Tensor | readonly number[], targetLengths: Tensor | readonly number[]): Tensor {
    return F.ctcLoss(logProbs, targets, inputLengths, targetLengths, { blank: this.blank, reduction: this.reduction, zeroInfinity: this.zeroInfinity });
  }
}
