// Every loss of torch.nn as a module over torch.nn.functional. Options are PyTorch's keywords in
// camelCase ({ reduction, weight, ignoreIndex, labelSmoothing, ... }); class weights and
// BCEWithLogits' posWeight are registered buffers named 'weight' / 'pos_weight', as in PyTorch.

import type { Tensor } from '../../tensor.js';
import { Module } from '../module.js';
import * as F from '../functional/index.js';

type Reduction = F.Reduction;

abstract class Loss extends Module {
  readonly reduction: Reduction;
  constructor(opts: { reduction?: Reduction } = {}) {
    super();
    const r = opts.reduction ?? 'mean';
    if (r !== 'none' && r !== 'mean' && r !== 'sum') throw new Error(`${r} is not a valid value for reduction`);
    this.reduction = r;
  }
}
abstract class WeightedLoss extends Loss {
  weight: Tensor | null = null;
  constructor(opts: { weight?: Tensor | null; reduction?: Reduction } = {}) {
    super(opts);
    this.registerBuffer('weight', opts.weight ?? null);
  }
}

export class L1Loss extends Loss { forward(input: Tensor, target: Tensor): Tensor { return F.l1Loss(input, target, { reduction: this.reduction }); } }
export class MSELoss extends Loss { forward(input: Tensor, target: Tensor): Tensor { return F.mseLoss(input, target, { reduction: this.reduction }); } }

export class CrossEntropyLoss extends WeightedLoss {
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(opts: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction; labelSmoothing?: number } = {}) {
    super(opts);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.labelSmoothing = opts.labelSmoothing ?? 0;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction, labelSmoothing: this.labelSmoothing });
  }
}
export class NLLLoss extends WeightedLoss {
  readonly ignoreIndex: number;
  constructor(opts: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction } = {}) {
    super(opts);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}
export class BCELoss extends WeightedLoss {
  forward(input: Tensor, target: Tensor): Tensor { return F.binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction }); }
}
export class BCEWithLogitsLoss extends WeightedLoss {
  pos_weight: Tensor | null = null;
  constructor(opts: { weight?: Tensor | null; reduction?: Reduction; posWeight?: Tensor | null } = {}) {
    super(opts);
    this.registerBuffer('pos_weight', opts.posWeight ?? null);
  }
  get posWeight(): Tensor | null { return this.pos_weight; }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropyWithLogits(input, target, { weight: this.weight, reduction: this.reduction, posWeight: this.pos_weight });
  }
}
export class SmoothL1Loss extends Loss {
  readonly beta: number;
  constructor(opts: { reduction?: Reduction; beta?: number } = {}) { super(opts); this.beta = opts.beta ?? 1; }
  forward(input: Tensor, target: Tensor): Tensor { return F.smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta }); }
}
export class HuberLoss extends Loss {
  readonly delta: number;
  constructor(opts: { reduction?: Reduction; delta?: number } = {}) { super(opts); this.delta = opts.delta ?? 1; }
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
  forward(input: Tensor, target: Tensor): Tensor {
    return F.klDiv(input, target, { reduction: this.batchmean ? 'batchmean' : this.reduction, logTarget: this.logTarget });
  }
}

export class MarginRankingLoss extends Loss {
  readonly margin: number;
  constructor(opts: { margin?: number; reduction?: Reduction } = {}) { super(opts); this.margin = opts.margin ?? 0; }
  forward(x1: Tensor, x2: Tensor, target: Tensor): Tensor { return F.marginRankingLoss(x1, x2, target, { margin: this.margin, reduction: this.reduction }); }
}
export class HingeEmbeddingLoss extends Loss {
  readonly margin: number;
  constructor(opts: { margin?: number; reduction?: Reduction } = {}) { super(opts); this.margin = opts.margin ?? 1; }
  forward(input: Tensor, target: Tensor): Tensor { return F.hingeEmbeddingLoss(input, target, { margin: this.margin, reduction: this.reduction }); }
}
export class SoftMarginLoss extends Loss {
  forward(input: Tensor, target: Tensor): Tensor { return F.softMarginLoss(input, target, { reduction: this.reduction }); }
}
export class CosineEmbeddingLoss extends Loss {
  readonly margin: number;
  constructor(opts: { margin?: number; reduction?: Reduction } = {}) { super(opts); this.margin = opts.margin ?? 0; }
  forward(x1: Tensor, x2: Tensor, target: Tensor): Tensor { return F.cosineEmbeddingLoss(x1, x2, target, { margin: this.margin, reduction: this.reduction }); }
}
export class TripletMarginLoss extends Loss {
  readonly margin: number; readonly p: number; readonly eps: number; readonly swap: boolean;
  constructor(opts: { margin?: number; p?: number; eps?: number; swap?: boolean; reduction?: Reduction } = {}) {
    super(opts);
    this.margin = opts.margin ?? 1; this.p = opts.p ?? 2; this.eps = opts.eps ?? 1e-6; this.swap = opts.swap ?? false;
  }
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return F.tripletMarginLoss(anchor, positive, negative, { margin: this.margin, p: this.p, eps: this.eps, swap: this.swap, reduction: this.reduction });
  }
}
export class PoissonNLLLoss extends Loss {
  readonly logInput: boolean; readonly full: boolean; readonly eps: number;
  constructor(opts: { logInput?: boolean; full?: boolean; eps?: number; reduction?: Reduction } = {}) {
    super(opts);
    this.logInput = opts.logInput ?? true; this.full = opts.full ?? false; this.eps = opts.eps ?? 1e-8;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.poissonNllLoss(input, target, { logInput: this.logInput, full: this.full, eps: this.eps, reduction: this.reduction });
  }
}
export class GaussianNLLLoss extends Loss {
  readonly full: boolean; readonly eps: number;
  constructor(opts: { full?: boolean; eps?: number; reduction?: Reduction } = {}) { super(opts); this.full = opts.full ?? false; this.eps = opts.eps ?? 1e-6; }
  forward(input: Tensor, target: Tensor, variance: Tensor): Tensor {
    return F.gaussianNllLoss(input, target, variance, { full: this.full, eps: this.eps, reduction: this.reduction });
  }
}
export class MultiMarginLoss extends WeightedLoss {
  readonly p: 1 | 2; readonly margin: number;
  constructor(opts: { p?: 1 | 2; margin?: number; weight?: Tensor | null; reduction?: Reduction } = {}) { super(opts); this.p = opts.p ?? 1; this.margin = opts.margin ?? 1; }
  forward(input: Tensor, target: Tensor): Tensor { return F.multiMarginLoss(input, target, { p: this.p, margin: this.margin, weight: this.weight, reduction: this.reduction }); }
}
export class MultiLabelSoftMarginLoss extends WeightedLoss {
  forward(input: Tensor, target: Tensor): Tensor { return F.multilabelSoftMarginLoss(input, target, { weight: this.weight, reduction: this.reduction }); }
}
export class MultiLabelMarginLoss extends Loss {
  forward(input: Tensor, target: Tensor): Tensor { return F.multilabelMarginLoss(input, target, { reduction: this.reduction }); }
}
export class TripletMarginWithDistanceLoss extends Loss {
  readonly distanceFunction: ((a: Tensor, b: Tensor) => Tensor) | null; readonly margin: number; readonly swap: boolean;
  constructor(opts: { distanceFunction?: ((a: Tensor, b: Tensor) => Tensor) | null; margin?: number; swap?: boolean; reduction?: Reduction } = {}) {
    super(opts);
    this.distanceFunction = opts.distanceFunction ?? null; this.margin = opts.margin ?? 1; this.swap = opts.swap ?? false;
  }
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return F.tripletMarginWithDistanceLoss(anchor, positive, negative, { distanceFunction: this.distanceFunction, margin: this.margin, swap: this.swap, reduction: this.reduction });
  }
}
/** Connectionist Temporal Classification loss over log-probabilities [T, N, C]. */
export class CTCLoss extends Loss {
  readonly blank: number; readonly zeroInfinity: boolean;
  constructor(opts: { blank?: number; reduction?: Reduction; zeroInfinity?: boolean } = {}) { super(opts); this.blank = opts.blank ?? 0; this.zeroInfinity = opts.zeroInfinity ?? false; }
  forward(logProbs: Tensor, targets: Tensor, inputLengths: Tensor | readonly number[], targetLengths: Tensor | readonly number[]): Tensor {
    return F.ctcLoss(logProbs, targets, inputLengths, targetLengths, { blank: this.blank, reduction: this.reduction, zeroInfinity: this.zeroInfinity });
  }
}
