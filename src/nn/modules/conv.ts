// Convolution layers Conv1d/2d/3d and ConvTranspose1d/2d/3d over
// torch.nn.functional, with PyTorch's weight layouts ([out, in/groups, ...k]; transposed
// [in, out/groups, ...k]) and default init (kaiming_uniform_(a=sqrt(5)), bias U(+-1/sqrt(fan_in))).

import type { Tensor } from '../../tensor.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { newParam, type FactoryOpts } from './linear.js';
import * as init from '../init.js';
import * as F from '../functional/index.js';

type IntOrTuple = number | readonly number[];
/** Options of Conv1d/2d/3d (PyTorch's keyword arguments). */
export interface ConvOpts extends FactoryOpts {
  /** Stride of the convolution (default 1). */
  stride?: IntOrTuple;
  /** Implicit padding on both sides of each spatial dim, or 'same' / 'valid' (default 0). */
  padding?: IntOrTuple | 'same' | 'valid';
  /** Spacing between kernel elements (default 1). */
  dilation?: IntOrTuple;
  /** Number of blocked connections from input to output channels (default 1). */
  groups?: number;
  /** Whether to add a learnable bias (default true). */
  bias?: boolean;
  /** How padding is filled: 'zeros' (default), 'reflect', 'replicate' or 'circular'. */
  paddingMode?: 'zeros' | 'reflect' | 'replicate' | 'circular';
}
/** Options of ConvTranspose1d/2d/3d (PyTorch's keyword arguments). */
export interface ConvTransposeOpts extends FactoryOpts {
  /** Stride of the convolution (default 1). */
  stride?: IntOrTuple;
  /** dilation * (kernelSize - 1) - padding zero-padding is added to both sides of each spatial dim of the input (default 0). */
  padding?: IntOrTuple;
  /** Additional size added to one side of each spatial dim of the output shape (default 0). */
  outputPadding?: IntOrTuple;
  /** Spacing between kernel elements (default 1). */
  dilation?: IntOrTuple;
  /** Number of blocked connections from input to output channels (default 1). */
  groups?: number;
  /** Whether to add a learnable bias (default true). */
  bias?: boolean;
}

const tuple = (v: IntOrTuple, n: number, what: string): number[] => {
  const t = typeof v === 'number' ? new Array<number>(n).fill(v) : [...v];
  if (t.length !== n || t.some((x) => !Number.isInteger(x))) throw new RangeError(`${what} must be an integer or a list of ${n} integers, got ${String(v)}`);
  return t;
};

/** Shared base of the convolution layers: hyper-parameters, weight and bias. */
abstract class ConvNd extends Module {
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | 'same' | 'valid';
  readonly dilation: number[];
  readonly outputPadding: number[];
  readonly groups: number;
  readonly paddingMode: 'zeros' | 'reflect' | 'replicate' | 'circular';
  weight: Parameter;
  bias: Parameter | null;
  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: IntOrTuple, readonly transposed: boolean, n: number,
    opts: ConvOpts & { outputPadding?: IntOrTuple }) {
    super();
    const groups = opts.groups ?? 1;
    if (!Number.isInteger(groups) || groups <= 0) throw new RangeError('groups must be a positive integer');
    if (inChannels % groups !== 0) throw new RangeError('in_channels must be divisible by groups');
    if (outChannels % groups !== 0) throw new RangeError('out_channels must be divisible by groups');
    this.kernelSize = tuple(kernelSize, n, 'kernel_size');
    this.stride = tuple(opts.stride ?? 1, n, 'stride');
    const pad = opts.padding ?? 0;
    if (pad === 'same' && this.stride.some((s) => s !== 1)) throw new RangeError("padding='same' is not supported for strided convolutions");
    this.padding = pad === 'same' || pad === 'valid' ? pad : tuple(pad, n, 'padding');
    this.dilation = tuple(opts.dilation ?? 1, n, 'dilation');
    this.outputPadding = tuple(opts.outputPadding ?? 0, n, 'output_padding');
    this.groups = groups;
    this.paddingMode = opts.paddingMode ?? 'zeros';
    if (!['zeros', 'reflect', 'replicate', 'circular'].includes(this.paddingMode)) {
      throw new Error(`padding_mode must be one of 'zeros', 'reflect', 'replicate' or 'circular', but got padding_mode='${this.paddingMode}'`);
    }
    if (this.paddingMode !== 'zeros' && (transposed || typeof this.padding === 'string')) {
      throw new Error(`${new.target.name}: padding_mode '${this.paddingMode}' needs numeric padding on a non-transposed convolution`);
    }
    const wShape = transposed ? [inChannels, outChannels / groups, ...this.kernelSize] : [outChannels, inChannels / groups, ...this.kernelSize];
    this.weight = newParam(wShape, opts);
    this.bias = opts.bias ?? true ? newParam([outChannels], opts) : null;
    this.resetParameters();
  }
  /** Re-initializes weight with kaiming_uniform_(a=sqrt(5)) and bias with U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
  resetParameters(): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const [fanIn] = init.calculateFanInAndFanOut(this.weight);
      if (fanIn !== 0) { const bound = 1 / Math.sqrt(fanIn); init.uniform_(this.bias, -bound, bound); }
    }
  }
  /** Non-zero padding modes pad explicitly (F.pad, last dim first) and convolve without padding. */
  protected padInput(x: Tensor): [Tensor, number[] | 'same' | 'valid'] {
    if (this.paddingMode === 'zeros' || typeof this.padding === 'string') return [x, this.padding];
    const p = this.padding.slice().reverse().flatMap((v) => [v, v]);
    return [F.pad(x, p, { mode: this.paddingMode }), this.padding.map(() => 0)];
  }
  /**
   * A transposed convolution's output padding: the module's, or the one that makes the output
   * `outputSize` (PyTorch's forward(input, output_size): [*spatial], or with the batch and channel
   * dims), which must lie between the smallest and largest size the stride allows.
   */
  protected transposedPadding(x: Tensor, outputSize?: readonly number[] | null): number[] {
    if (!outputSize) return this.outputPadding;
    const n = this.kernelSize.length, lead = x.ndim === n + 2 ? 2 : 1;
    const want = outputSize.length === n + lead ? outputSize.slice(lead) : [...outputSize];
    if (want.length !== n) throw new RangeError(`ConvTranspose${n}D: for ${n + lead}D input, output_size must have ${n} or ${n + lead} elements (got ${outputSize.length})`);
    const pad = this.padding as number[];
    const min = want.map((_, d) => (x.shape[lead + d]! - 1) * this.stride[d]! - 2 * pad[d]! + this.dilation[d]! * (this.kernelSize[d]! - 1) + 1);
    const max = min.map((m, d) => m + this.stride[d]! - 1);
    if (want.some((v, d) => v < min[d]! || v > max[d]!)) {
      throw new RangeError(`requested an output size of [${want.join(', ')}], but valid sizes range from [${min.join(', ')}] to [${max.join(', ')}] (for an input of [${x.shape.slice(lead).join(', ')}])`);
    }
    return want.map((v, d) => v - min[d]!);
  }
  override extraRepr(): string {
    const t = (a: readonly number[]) => `(${a.join(', ')}${a.length === 1 ? ',' : ''})`;
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${t(this.kernelSize)}, stride=${t(this.stride)}`;
    if (typeof this.padding === 'string') s += `, padding=${this.padding}`;
    else if (this.padding.some((p) => p !== 0)) s += `, padding=${t(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${t(this.dilation)}`;
    if (this.outputPadding.some((d) => d !== 0)) s += `, output_padding=${t(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ', bias=False';
    if (this.paddingMode !== 'zeros') s += `, padding_mode=${this.paddingMode}`;
    return s;
  }
}

/** Applies a 1D convolution over an input signal composed of several input planes (torch.nn.Conv1d). */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, opts: ConvOpts = {}) { super(inChannels, outChannels, kernelSize, false, 1, opts); }
  /** Convolves x ([N, C_in, L] or [C_in, L]) with weight and adds bias. */
  forward(x: Tensor): Tensor {
    const [xp, padding] = this.padInput(x);
    return F.conv1d(xp, this.weight, this.bias, { stride: this.stride, padding, dilation: this.dilation, groups: this.groups });
  }
}
/** Applies a 2D convolution over an input signal composed of several input planes (torch.nn.Conv2d). */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, opts: ConvOpts = {}) { super(inChannels, outChannels, kernelSize, false, 2, opts); }
  /** Convolves x ([N, C_in, H, W] or [C_in, H, W]) with weight and adds bias. */
  forward(x: Tensor): Tensor {
    const [xp, padding] = this.padInput(x);
    return F.conv2d(xp, this.weight, this.bias, { stride: this.stride, padding, dilation: this.dilation, groups: this.groups });
  }
}
/** Applies a 1D transposed convolution operator over an input image composed of several input planes (torch.nn.ConvTranspose1d). */
export class ConvTranspose1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, opts: ConvTransposeOpts = {}) { super(inChannels, outChannels, kernelSize, true, 1, opts); }
  /** The transposed convolution of x ([N, C_in, L] or [C_in, L]) with weight, plus bias; outputSize picks the output padding (PyTorch's output_size). */
  forward(x: Tensor, outputSize?: readonly number[] | null): Tensor {
    return F.convTranspose1d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding as number[], outputPadding: this.transposedPadding(x, outputSize), groups: this.groups, dilation: this.dilation });
  }
}
/** Applies a 2D transposed convolution operator over an input image composed of several input planes (torch.nn.ConvTranspose2d). */
export class ConvTranspose2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, opts: ConvTransposeOpts = {}) { super(inChannels, outChannels, kernelSize, true, 2, opts); }
  /** The transposed convolution of x ([N, C_in, H, W] or [C_in, H, W]) with weight, plus bias; outputSize picks the output padding (PyTorch's output_size). */
  forward(x: Tensor, outputSize?: readonly number[] | null): Tensor {
    return F.convTranspose2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding as number[], outputPadding: this.transposedPadding(x, outputSize), groups: this.groups, dilation: this.dilation });
  }
}
/** Applies a 3D convolution over an input signal composed of several input planes (torch.nn.Conv3d). */
export class Conv3d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, opts: ConvOpts = {}) { super(inChannels, outChannels, kernelSize, false, 3, opts); }
  /** Convolves x ([N, C_in, D, H, W] or [C_in, D, H, W]) with weight and adds bias. */
  forward(x: Tensor): Tensor {
    const [xp, padding] = this.padInput(x);
    return F.conv3d(xp, this.weight, this.bias, { stride: this.stride, padding, dilation: this.dilation, groups: this.groups });
  }
}
/** Applies a 3D transposed convolution operator over an input image composed of several input planes (torch.nn.ConvTranspose3d). */
export class ConvTranspose3d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, opts: ConvTransposeOpts = {}) { super(inChannels, outChannels, kernelSize, true, 3, opts); }
  /** The transposed convolution of x ([N, C_in, D, H, W] or [C_in, D, H, W]) with weight, plus bias; outputSize picks the output padding (PyTorch's output_size). */
  forward(x: Tensor, outputSize?: readonly number[] | null): Tensor {
    return F.convTranspose3d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding as number[], outputPadding: this.transposedPadding(x, outputSize), groups: this.groups, dilation: this.dilation });
  }
}
