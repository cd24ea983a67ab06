// Normalization layers: BatchNorm1d/2d/3d (running statistics with momentum or a cumulative
// average when momentum is null, num_batches_tracked), LayerNorm, GroupNorm, RMSNorm. Composed
// from differentiable tensor ops, so the backward pass comes from autograd on every backend.
// Buffers carry PyTorch's names (running_mean, running_var, num_batches_tracked).

import { Tensor } from '../../tensor.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { ones, zeros, tensor } from '../../ops/creation.js';
import { fmtShape } from '../../shape.js';
import { Module, pyFloat } from '../module.js';
import type { Parameter } from '../parameter.js';
import { newParam, type FactoryOpts } from './linear.js';
import * as init from '../init.js';
import { composite } from '../../ops/prim.js';
import { groupNorm, layerNorm } from '../functional/norm.js';

/** Options of BatchNorm1d/2d/3d (PyTorch's keyword arguments). */
export interface BatchNormOpts extends FactoryOpts {
  /** A value added to the denominator for numerical stability (default 1e-5). */
  eps?: number;
  /** The weight of the batch statistics in the running statistics (default 0.1); null: a cumulative moving average. */
  momentum?: number | null;
  /** Whether the layer has learnable affine parameters weight and bias (default true). */
  affine?: boolean;
  /** Whether to track running mean and variance (used in eval mode) (default true). */
  trackRunningStats?: boolean;
}

/** Shared base of BatchNorm1d/2d/3d: parameters, running statistics and the normalization. */
abstract class BatchNormBase extends Module {
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  running_mean: Tensor | null = null;
  running_var: Tensor | null = null;
  num_batches_tracked: Tensor | null = null;

  constructor(readonly numFeatures: number, opts: BatchNormOpts = {}) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    this.weight = this.affine ? newParam([numFeatures], opts) : null;
    this.bias = this.affine ? newParam([numFeatures], opts) : null;
    const f = { dtype: opts.dtype, device: opts.device };
    this.registerBuffer('running_mean', this.trackRunningStats ? zeros([numFeatures], f) : null);
    this.registerBuffer('running_var', this.trackRunningStats ? ones([numFeatures], f) : null);
    this.registerBuffer('num_batches_tracked', this.trackRunningStats ? tensor(0, { dtype: 'int32', device: opts.device }) : null);
    this.resetParameters();
  }
  /** The running mean buffer (running_mean), or null when running stats are not tracked. */
  get runningMean(): Tensor | null { return this.running_mean; }
  /** The running variance buffer (running_var), or null when running stats are not tracked. */
  get runningVar(): Tensor | null { return this.running_var; }
  /** The number of batches seen in training (num_batches_tracked), or null when running stats are not tracked. */
  get numBatchesTracked(): Tensor | null { return this.num_batches_tracked; }

  /** Resets running_mean to 0, running_var to 1 and num_batches_tracked to 0. */
  resetRunningStats(): void {
    noGrad(() => {
      this.running_mean?.zero_();
      this.running_var?.fill_(1);
      this.num_batches_tracked?.zero_();
    });
  }
  /** Resets the running statistics, weight to 1 and bias to 0. */
  resetParameters(): void {
    this.resetRunningStats();
    if (this.weight && this.bias) { init.ones_(this.weight); init.zeros_(this.bias); }
  }
  protected abstract checkInput(x: Tensor): void;

  /** Normalizes each channel (dim 1) by the batch statistics in training mode (updating the running ones), by the running statistics in eval mode, then applies weight and bias. */
  forward(x: Tensor): Tensor {
    this.checkInput(x);
    const C = this.numFeatures;
    if (x.shape[1] !== C) throw new RangeError(`${this.constructor.name}: running_mean should contain ${x.shape[1]} elements not ${C}`);
    const dims = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
    const bshape = [1, C, ...new Array<number>(x.ndim - 2).fill(1)];
    const useBatch = this.training || !this.running_mean || !this.running_var;
    return composite('batchNorm', { training: useBatch, momentum: this.momentum, eps: this.eps }, () => {
      let y: Tensor;
      if (useBatch) {
        const n = x.numel() / C;
        if (this.training && n <= 1) throw new RangeError(`Expected more than 1 value per channel when training, got input size ${fmtShape(x.shape)}`);
        const mean = x.mean(dims, true);
        const xc = x.sub(mean);
        const varB = xc.square().mean(dims, true);
        y = xc.mul(varB.add(this.eps).rsqrt());
        if (this.training && this.trackRunningStats && this.running_mean && this.running_var && this.num_batches_tracked) {
          const rm = this.running_mean, rv = this.running_var, nbt = this.num_batches_tracked;
          noGrad(() => {
            nbt.add_(1);
            // momentum null: cumulative average, factor 1/num_batches_tracked (kept on device).
            const f: number | Tensor = this.momentum ?? nbt.to(rm.dtype).reciprocal();
            rm.mul_(typeof f === 'number' ? 1 - f : f.neg().add(1)).add_(mean.detach().reshape([C]).mul(f));
            rv.mul_(typeof f === 'number' ? 1 - f : f.neg().add(1)).add_(varB.detach().reshape([C]).mul(f).mul(n / (n - 1)));
          });
        }
      } else {
        y = x.sub(this.running_mean!.reshape(bshape)).mul(this.running_var!.reshape(bshape).add(this.eps).rsqrt());
      }
      if (this.weight && this.bias) y = y.mul(this.weight.reshape(bshape)).add(this.bias.reshape(bshape));
      return y;
    });
  }
  override extraRepr(): string {
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${this.momentum === null ? 'None' : pyFloat(this.momentum)}, affine=${this.affine ? 'True' : 'False'}, track_running_stats=${this.trackRunningStats ? 'True' : 'False'}`;
  }
}

/** Applies Batch Normalization over a 2D or 3D input (N, C) or (N, C, L) (torch.nn.BatchNorm1d). */
export class BatchNorm1d extends BatchNormBase {
  protected checkInput(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) throw new RangeError(`expected 2D or 3D input (got ${x.ndim}D input)`);
  }
}
/** Applies Batch Normalization over a 4D input (N, C, H, W) (torch.nn.BatchNorm2d). */
export class BatchNorm2d extends BatchNormBase {
  protected checkInput(x: Tensor): void {
    if (x.ndim !== 4) throw new RangeError(`expected 4D input (got ${x.ndim}D input)`);
  }
}
/** Applies Batch Normalization over a 5D input (N, C, D, H, W) (torch.nn.BatchNorm3d). */
export class BatchNorm3d extends BatchNormBase {
  protected checkInput(x: Tensor): void {
    if (x.ndim !== 5) throw new RangeError(`expected 5D input (got ${x.ndim}D input)`);
  }
}

function lastDims(x: Tensor, normalizedShape: readonly number[], op: string): number[] {
  const k = normalizedShape.length;
  const tail = x.shape.slice(x.ndim - k);
  if (x.ndim < k || tail.some((s, i) => s !== normalizedShape[i])) {
    throw new RangeError(`${op}: Given normalized_shape=${fmtShape(normalizedShape)}, expected input with shape [*, ${normalizedShape.join(', ')}], but got input of size ${fmtShape(x.shape)}`);
  }
  return Array.from({ length: k }, (_, i) => x.ndim - k + i);
}

/** Normalizes over the trailing dims given by normalizedShape, with elementwise affine weight and bias. */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  constructor(normalizedShape: number | readonly number[], opts: { eps?: number; elementwiseAffine?: boolean; bias?: boolean } & FactoryOpts = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = opts.eps ?? 1e-5;
    this.elementwiseAffine = opts.elementwiseAffine ?? true;
    this.weight = this.elementwiseAffine ? newParam(this.normalizedShape, opts) : null;
    this.bias = this.elementwiseAffine && (opts.bias ?? true) ? newParam(this.normalizedShape, opts) : null;
    this.resetParameters();
  }
  /** Resets weight to 1 and bias to 0. */
  resetParameters(): void {
    if (this.weight) init.ones_(this.weight);
    if (this.bias) init.zeros_(this.bias);
  }
  /** Normalizes x over its trailing normalizedShape dims (mean 0, biased variance 1), then applies weight and bias. */
  forward(x: Tensor): Tensor {
    lastDims(x, this.normalizedShape, 'LayerNorm');
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, { eps: this.eps });
  }
  override extraRepr(): string { return `(${this.normalizedShape.join(', ')},), eps=${pyFloat(this.eps)}, elementwise_affine=${this.elementwiseAffine ? 'True' : 'False'}`; }
}

/** Splits channels into numGroups groups and normalizes each (N, group) slice; per-channel affine. */
export class GroupNorm extends Module {
  readonly eps: number;
  readonly affine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  constructor(readonly numGroups: number, readonly numChannels: number, opts: { eps?: number; affine?: boolean } & FactoryOpts = {}) {
    super();
    if (numChannels % numGroups !== 0) throw new RangeError('GroupNorm: num_channels must be divisible by num_groups');
    this.eps = opts.eps ?? 1e-5;
    this.affine = opts.affine ?? true;
    this.weight = this.affine ? newParam([numChannels], opts) : null;
    this.bias = this.affine ? newParam([numChannels], opts) : null;
    this.resetParameters();
  }
  /** Resets weight to 1 and bias to 0. */
  resetParameters(): void {
    if (this.weight && this.bias) { init.ones_(this.weight); init.zeros_(this.bias); }
  }
  /** Normalizes each group of channels of x ([N, C, *]) per sample, then applies the per-channel weight and bias. */
  forward(x: Tensor): Tensor {
    if (x.ndim < 2 || x.shape[1] !== this.numChannels) {
      throw new RangeError(`GroupNorm: expected input with shape [N, ${this.numChannels}, *], but got input of size ${fmtShape(x.shape)}`);
    }
    return groupNorm(x, this.numGroups, this.weight, this.bias, { eps: this.eps });
  }
  override extraRepr(): string { return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${this.affine ? 'True' : 'False'}`; }
}

const FINFO_EPS: Record<string, number> = { float32: 1.1920928955078125e-7, float64: 2.220446049250313e-16, float16: 0.0009765625 };

/** y = x / sqrt(mean(x^2 over the trailing dims) + eps) * weight; eps null means the dtype's machine epsilon. */
export class RMSNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number | null;
  readonly elementwiseAffine: boolean;
  weight: Parameter | null;
  constructor(normalizedShape: number | readonly number[], opts: { eps?: number | null; elementwiseAffine?: boolean } & FactoryOpts = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = opts.eps ?? null;
    this.elementwiseAffine = opts.elementwiseAffine ?? true;
    this.weight = this.elementwiseAffine ? newParam(this.normalizedShape, opts) : null;
    this.resetParameters();
  }
  /** Resets weight to 1. */
  resetParameters(): void { if (this.weight) init.ones_(this.weight); }
  /** x / sqrt(mean(x^2 over the trailing normalizedShape dims) + eps), times weight. */
  forward(x: Tensor): Tensor {
    const dims = lastDims(x, this.normalizedShape, 'RMSNorm');
    const eps = this.eps ?? FINFO_EPS[x.dtype] ?? FINFO_EPS.float32!;
    return composite('rmsNorm', { normalizedShape: this.normalizedShape, eps }, () => {
      const y = x.mul(x.square().mean(dims, true).add(eps).rsqrt());
      return this.weight ? y.mul(this.weight) : y;
    });
  }
  override extraRepr(): string { return `(${this.normalizedShape.join(', ')},), eps=${this.eps === null ? 'None' : pyFloat(this.eps)}, elementwise_affine=${this.elementwiseAffine ? 'True' : 'False'}`; }
}
