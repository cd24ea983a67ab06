// Smaller layers over torch.nn.functional: InstanceNorm1d/2d, padding layers (ZeroPad2d,
// ConstantPad1d/2d, ReflectionPad1d/2d, ReplicationPad1d/2d, CircularPad1d/2d), Upsample, Fold/Unfold,
// PixelShuffle/Unshuffle, CosineSimilarity, PairwiseDistance, and the ParameterList /
// ParameterDict containers. Names, defaults and buffers follow PyTorch.

import type { Tensor } from '../../tensor.js';
import { ones, zeros, tensor } from '../../ops/creation.js';
import { Module, pyFloat } from '../module.js';
import { Parameter } from '../parameter.js';
import { newParam, type FactoryOpts } from './linear.js';
import * as init from '../init.js';
import * as F from '../functional/index.js';

/** Shared base of InstanceNorm1d/2d: per-sample, per-channel normalization. */
abstract class InstanceNormBase extends Module {
  readonly eps: number;
  readonly momentum: number;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  running_mean: Tensor | null = null;
  running_var: Tensor | null = null;
  num_batches_tracked: Tensor | null = null;
  constructor(readonly numFeatures: number, opts: { eps?: number; momentum?: number; affine?: boolean; trackRunningStats?: boolean } & FactoryOpts = {}) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    this.affine = opts.affine ?? false;
    this.trackRunningStats = opts.trackRunningStats ?? false;
    this.weight = this.affine ? newParam([numFeatures], opts) : null;
    this.bias = this.affine ? newParam([numFeatures], opts) : null;
    if (this.weight && this.bias) { init.ones_(this.weight); init.zeros_(this.bias); }
    const f = { dtype: opts.dtype, device: opts.device };
    this.registerBuffer('running_mean', this.trackRunningStats ? zeros([numFeatures], f) : null);
    this.registerBuffer('running_var', this.trackRunningStats ? ones([numFeatures], f) : null);
    this.registerBuffer('num_batches_tracked', this.trackRunningStats ? tensor(0, { dtype: 'int32', device: opts.device }) : null);
  }
  protected abstract readonly spatialDims: number;
  /** Normalizes each channel of each sample by its own mean and variance (or the running statistics in eval mode when tracked). */
  forward(x: Tensor): Tensor {
    const want = this.spatialDims + 2;
    if (x.ndim !== want && x.ndim !== want - 1) throw new RangeError(`${this.constructor.name}: expected ${want - 1}D or ${want}D input (got ${x.ndim}D input)`);
    const unbatched = x.ndim === want - 1;
    const xb = unbatched ? x.unsqueeze(0) : x;
    const y = F.instanceNorm(xb, {
      runningMean: this.running_mean, runningVar: this.running_var, weight: this.weight, bias: this.bias,
      useInputStats: this.training || !this.trackRunningStats, momentum: this.momentum, eps: this.eps,
    });
    return unbatched ? y.squeeze(0) : y;
  }
  override extraRepr(): string {
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${pyFloat(this.momentum)}, affine=${this.affine ? 'True' : 'False'}, track_running_stats=${this.trackRunningStats ? 'True' : 'False'}`;
  }
}
/** Applies Instance Normalization over a 2D or 3D input [N, C, L] (torch.nn.InstanceNorm1d). */
export class InstanceNorm1d extends InstanceNormBase { protected readonly spatialDims = 1; }
/** Applies Instance Normalization over a 3D or 4D input [N, C, H, W] (torch.nn.InstanceNorm2d). */
export class InstanceNorm2d extends InstanceNormBase { protected readonly spatialDims = 2; }

// ---- padding ----
type PadArg = number | readonly number[];
function expandPad(p: PadArg, n: number, what: string): number[] {
  if (typeof p === 'number') return new Array<number>(2 * n).fill(p);
  if (p.length !== 2 * n) throw new RangeError(`${what}: padding must be an integer or a list of ${2 * n} integers`);
  return [...p];
}
abstract class PadNd extends Module {
  readonly padding: number[];
  constructor(padding: PadArg, readonly n: number, readonly mode: F.PadMode, readonly value = 0) {
    super();
    this.padding = expandPad(padding, n, new.target.name);
  }
  /** Pads the last n dimensions of x by `padding` in this layer's mode. */
  forward(x: Tensor): Tensor { return F.pad(x, this.padding, { mode: this.mode, value: this.value }); }
  override extraRepr(): string { return `(${this.padding.join(', ')})${this.mode === 'constant' ? `, value=${this.value}` : ''}`; }
}
/** Pads the boundaries of the last dimension with zeros (torch.nn.ZeroPad1d). */
export class ZeroPad1d extends PadNd { constructor(padding: PadArg) { super(padding, 1, 'constant', 0); } }
/** Pads the boundaries of the last two dimensions with zeros (torch.nn.ZeroPad2d). */
export class ZeroPad2d extends PadNd { constructor(padding: PadArg) { super(padding, 2, 'constant', 0); } }
/** Pads the boundaries of the last dimension with a constant value (torch.nn.ConstantPad1d). */
export class ConstantPad1d extends PadNd { constructor(padding: PadArg, value: number) { super(padding, 1, 'constant', value); } }
/** Pads the boundaries of the last two dimensions with a constant value (torch.nn.ConstantPad2d). */
export class ConstantPad2d extends PadNd { constructor(padding: PadArg, value: number) { super(padding, 2, 'constant', value); } }
/** Pads the last dimension with the reflection of the input boundary (torch.nn.ReflectionPad1d). */
export class ReflectionPad1d extends PadNd { constructor(padding: PadArg) { super(padding, 1, 'reflect'); } }
/** Pads the last two dimensions with the reflection of the input boundary (torch.nn.ReflectionPad2d). */
export class ReflectionPad2d extends PadNd { constructor(padding: PadArg) { super(padding, 2, 'reflect'); } }
/** Pads the last dimension by replicating the input boundary (torch.nn.ReplicationPad1d). */
export class ReplicationPad1d extends PadNd { constructor(padding: PadArg) { super(padding, 1, 'replicate'); } }
/** Pads the last two dimensions by replicating the input boundary (torch.nn.ReplicationPad2d). */
export class ReplicationPad2d extends PadNd { constructor(padding: PadArg) { super(padding, 2, 'replicate'); } }
/** Pads the last dimension with circular (wrap-around) padding (torch.nn.CircularPad1d). */
export class CircularPad1d extends PadNd { constructor(padding: PadArg) { super(padding, 1, 'circular'); } }
/** Pads the last two dimensions with circular (wrap-around) padding (torch.nn.CircularPad2d). */
export class CircularPad2d extends PadNd { constructor(padding: PadArg) { super(padding, 2, 'circular'); } }

// ---- resampling and rearrangement ----
/** Upsamples a 1D, 2D or 3D (multi-channel) input to a size or by a scale factor; mode 'nearest' by default (torch.nn.Upsample). */
export class Upsample extends Module {
  constructor(readonly opts: F.InterpolateOpts = {}) { super(); }
  /** Resamples x with F.interpolate using this layer's options. */
  forward(x: Tensor): Tensor { return F.interpolate(x, { mode: 'nearest', ...this.opts }); }
}
/** Applies 2D nearest-neighbour upsampling to a multi-channel input (torch.nn.UpsamplingNearest2d). */
export class UpsamplingNearest2d extends Upsample {
  constructor(opts: { size?: number | readonly number[]; scaleFactor?: number | readonly number[] } = {}) { super({ ...opts, mode: 'nearest' }); }
}
/** Applies 2D bilinear upsampling (alignCorners=true) to a multi-channel input (torch.nn.UpsamplingBilinear2d). */
export class UpsamplingBilinear2d extends Upsample {
  constructor(opts: { size?: number | readonly number[]; scaleFactor?: number | readonly number[] } = {}) { super({ ...opts, mode: 'bilinear', alignCorners: true }); }
}
/** Extracts sliding local blocks: [N, C, *] -> [N, C * prod(kernel), L]. */
export class Unfold extends Module {
  constructor(readonly kernelSize: number | readonly number[], readonly opts: F.FoldOpts = {}) { super(); }
  /** Extracts the sliding blocks of x: [N, C, *] -> [N, C * prod(kernelSize), L]. */
  forward(x: Tensor): Tensor { return F.unfold(x, this.kernelSize, this.opts); }
}
/** Combines sliding local blocks into a tensor (the adjoint of Unfold). */
export class Fold extends Module {
  constructor(readonly outputSize: number | readonly number[], readonly kernelSize: number | readonly number[], readonly opts: F.FoldOpts = {}) { super(); }
  /** Sums the blocks of x ([N, C * prod(kernelSize), L]) into a tensor [N, C, *outputSize]. */
  forward(x: Tensor): Tensor { return F.fold(x, this.outputSize, this.kernelSize, this.opts); }
}
/** Rearranges [*, C * r^2, H, W] into [*, C, H * r, W * r] for upscale factor r (torch.nn.PixelShuffle). */
export class PixelShuffle extends Module {
  constructor(readonly upscaleFactor: number) { super(); }
  /** Rearranges [*, C * r^2, H, W] into [*, C, H * r, W * r]. */
  forward(x: Tensor): Tensor { return F.pixelShuffle(x, this.upscaleFactor); }
  override extraRepr(): string { return `upscale_factor=${this.upscaleFactor}`; }
}
/** Reverses PixelShuffle: [*, C, H * r, W * r] into [*, C * r^2, H, W] (torch.nn.PixelUnshuffle). */
export class PixelUnshuffle extends Module {
  constructor(readonly downscaleFactor: number) { super(); }
  /** Rearranges [*, C, H * r, W * r] into [*, C * r^2, H, W]. */
  forward(x: Tensor): Tensor { return F.pixelUnshuffle(x, this.downscaleFactor); }
  override extraRepr(): string { return `downscale_factor=${this.downscaleFactor}`; }
}

// ---- distances ----
/** Returns the cosine similarity between x1 and x2 along dim (default 1) (torch.nn.CosineSimilarity). */
export class CosineSimilarity extends Module {
  readonly dim: number; readonly eps: number;
  constructor(opts: { dim?: number; eps?: number } = {}) { super(); this.dim = opts.dim ?? 1; this.eps = opts.eps ?? 1e-8; }
  /** The cosine similarity x1 . x2 / max(||x1|| ||x2||, eps) along dim. */
  forward(x1: Tensor, x2: Tensor): Tensor { return F.cosineSimilarity(x1, x2, { dim: this.dim, eps: this.eps }); }
}
/** Computes the p-norm distance between the rows of x1 and x2 (torch.nn.PairwiseDistance). */
export class PairwiseDistance extends Module {
  readonly p: number; readonly eps: number; readonly keepdim: boolean;
  constructor(opts: { p?: number; eps?: number; keepdim?: boolean } = {}) { super(); this.p = opts.p ?? 2; this.eps = opts.eps ?? 1e-6; this.keepdim = opts.keepdim ?? false; }
  /** The p-norm ||x1 - x2 + eps|| along the last dimension. */
  forward(x1: Tensor, x2: Tensor): Tensor { return F.pairwiseDistance(x1, x2, { p: this.p, eps: this.eps, keepdim: this.keepdim }); }
}

// ---- parameter containers ----
const asParam = (t: Tensor): Parameter => (t instanceof Parameter ? t : new Parameter(t));

/** A list of parameters registered as '0', '1', ... (plain tensors are wrapped in Parameter). */
export class ParameterList extends Module {
  readonly [index: number]: Parameter;
  constructor(params: Iterable<Tensor> = []) {
    super();
    for (const p of params) this.append(p);
  }
  /** The number of parameters. */
  get length(): number { return this.parameters(false).length; }
  /** The i-th parameter (negative counts from the end). */
  get(i: number): Parameter {
    const n = this.length;
    if (!Number.isInteger(i) || i < -n || i >= n) throw new RangeError(`ParameterList: index ${i} is out of range`);
    return this.getParameter(String(i < 0 ? i + n : i));
  }
  /** Appends a parameter (a plain tensor is wrapped in Parameter). */
  append(p: Tensor): this { this.registerParameter(String(this.length), asParam(p)); return this; }
  /** Appends every tensor of ps, in order. */
  extend(ps: Iterable<Tensor>): this { for (const p of ps) this.append(p); return this; }
  [Symbol.iterator](): Iterator<Parameter> { return this.parameters(false)[Symbol.iterator](); }
}

/** An ordered dictionary of parameters. */
export class ParameterDict extends Module {
  constructor(params: Record<string, Tensor> | Iterable<[string, Tensor]> = {}) {
    super();
    this.update(params);
  }
  /** Adds entries; like PyTorch, a plain object (a Python dict) is added in sorted key order, pairs in their order. */
  update(params: Record<string, Tensor> | Iterable<[string, Tensor]>): void {
    const entries = Symbol.iterator in params ? [...(params as Iterable<[string, Tensor]>)]
      : Object.entries(params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [k, p] of entries) this.set(k, p);
  }
  /** The parameter under key; throws if there is none. */
  get(key: string): Parameter { return this.getParameter(key); }
  /** Adds or replaces the parameter under key (a plain tensor is wrapped in Parameter). */
  set(key: string, p: Tensor): void { this.registerParameter(key, asParam(p)); }
  /** Whether a parameter is registered under key. */
  has(key: string): boolean { return this.keys().includes(key); }
  /** The keys, in insertion order. */
  keys(): string[] { return this.namedParameters({ recurse: false }).map(([k]) => k); }
  /** The parameters, in insertion order. */
  values(): Parameter[] { return this.parameters(false); }
  /** The [key, parameter] pairs, in insertion order. */
  items(): [string, Parameter][] { return this.namedParameters({ recurse: false }); }
  /** The number of parameters. */
  get length(): number { return this.keys().length; }
}

/** Normalizes each position over `size` neighbouring channels (AlexNet's LRN). */
export class LocalResponseNorm extends Module {
  readonly alpha: number; readonly beta: number; readonly k: number;
  constructor(readonly size: number, opts: { alpha?: number; beta?: number; k?: number } = {}) {
    super();
    this.alpha = opts.alpha ?? 1e-4; this.beta = opts.beta ?? 0.75; this.k = opts.k ?? 1;
  }
  /** Normalizes x over `size` neighbouring channels: x / (k + alpha/n * sum(x^2))^beta. */
  forward(x: Tensor): Tensor { return F.localResponseNorm(x, this.size, { alpha: this.alpha, beta: this.beta, k: this.k }); }
}
/** Interleaves channels across `groups` (ShuffleNet). */
export class ChannelShuffle extends Module {
  constructor(readonly groups: number) { super(); }
  /** Splits the channels of [N, C, *] into groups and interleaves them. */
  forward(x: Tensor): Tensor { return F.channelShuffle(x, this.groups); }
}
