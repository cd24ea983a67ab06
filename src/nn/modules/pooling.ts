// Pooling layers over torch.nn.functional: MaxPool1d/2d/3d, AvgPool1d/2d/3d, LPPool1d/2d,
// AdaptiveAvgPool1d/2d/3d, AdaptiveMaxPool1d/2d, MaxUnpool1d/2d. stride defaults to kernelSize, as in PyTorch.

import type { Tensor } from '../../tensor.js';
import { Module } from '../module.js';
import * as F from '../functional/index.js';
import type { AvgPoolOpts } from '../functional/pool.js';

type IntOrTuple = number | readonly number[];
/** Options of MaxPool1d/2d/3d (PyTorch's keyword arguments). */
export interface MaxPoolOpts {
  /** Stride of the window (default, or null: kernelSize). */
  stride?: IntOrTuple | null;
  /** Implicit negative-infinity padding on both sides (default 0). */
  padding?: IntOrTuple;
  /** Spacing between window elements (default 1). */
  dilation?: IntOrTuple;
  /** Use ceil instead of floor to compute the output shape (default false). */
  ceilMode?: boolean;
}
export type { AvgPoolOpts };

const show = (v: IntOrTuple): string => (typeof v === 'number' ? String(v) : `(${v.join(', ')})`);

// R (returnIndices) is a type parameter so that `new MaxPool2d(2)` keeps forward(x): Tensor for
// Sequential and friends, while `new MaxPool2d(2, { returnIndices: true })` types its forward as
// [output, indices] (what nn.MaxUnpool2d takes), as in PyTorch.
type PoolOut<R extends boolean> = R extends true ? [Tensor, Tensor] : Tensor;
/** Shared base of MaxPool1d/2d/3d: window hyper-parameters. */
abstract class MaxPoolNd<R extends boolean = false> extends Module {
  readonly stride: IntOrTuple;
  readonly padding: IntOrTuple;
  readonly dilation: IntOrTuple;
  readonly ceilMode: boolean;
  readonly returnIndices: R;
  constructor(readonly kernelSize: IntOrTuple, opts: MaxPoolOpts & { returnIndices?: R } = {}) {
    super();
    this.stride = opts.stride ?? kernelSize;
    this.padding = opts.padding ?? 0;
    this.dilation = opts.dilation ?? 1;
    this.ceilMode = opts.ceilMode ?? false;
    this.returnIndices = (opts.returnIndices ?? false) as R;
  }
  protected get opts(): { stride: IntOrTuple; padding: IntOrTuple; dilation: IntOrTuple; ceilMode: boolean; returnIndices: true } {
    // Typed as returnIndices: true only to pick the F overload that returns either shape; the value is this.returnIndices.
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode, returnIndices: this.returnIndices as true };
  }
  override extraRepr(): string {
    return `kernel_size=${show(this.kernelSize)}, stride=${show(this.stride)}, padding=${show(this.padding)}, dilation=${show(this.dilation)}, ceil_mode=${this.ceilMode ? 'True' : 'False'}`;
  }
}
/** Applies a 1D max pooling over an input signal composed of several input planes (torch.nn.MaxPool1d). */
export class MaxPool1d<R extends boolean = false> extends MaxPoolNd<R> {
  /** The maximum over each window of x ([N, C, L] or [C, L]); with returnIndices, [output, indices]. */
  forward(x: Tensor): PoolOut<R> { return F.maxPool1d(x, this.kernelSize, this.opts) as Tensor | [Tensor, Tensor] as PoolOut<R>; }
}
/** Applies a 2D max pooling over an input signal composed of several input planes (torch.nn.MaxPool2d). */
export class MaxPool2d<R extends boolean = false> extends MaxPoolNd<R> {
  /** The maximum over each window of x ([N, C, H, W] or [C, H, W]); with returnIndices, [output, indices]. */
  forward(x: Tensor): PoolOut<R> { return F.maxPool2d(x, this.kernelSize, this.opts) as Tensor | [Tensor, Tensor] as PoolOut<R>; }
}
/** Applies a 3D max pooling over an input signal composed of several input planes (torch.nn.MaxPool3d). */
export class MaxPool3d<R extends boolean = false> extends MaxPoolNd<R> {
  /** The maximum over each window of x ([N, C, D, H, W] or [C, D, H, W]); with returnIndices, [output, indices]. */
  forward(x: Tensor): PoolOut<R> { return F.maxPool3d(x, this.kernelSize, this.opts) as Tensor | [Tensor, Tensor] as PoolOut<R>; }
}

/** Shared base of AvgPool1d/2d/3d: window hyper-parameters. */
abstract class AvgPoolNd extends Module {
  readonly stride: IntOrTuple;
  readonly padding: IntOrTuple;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;
  constructor(readonly kernelSize: IntOrTuple, opts: AvgPoolOpts = {}) {
    super();
    this.stride = opts.stride ?? kernelSize;
    this.padding = opts.padding ?? 0;
    this.ceilMode = opts.ceilMode ?? false;
    this.countIncludePad = opts.countIncludePad ?? true;
    this.divisorOverride = opts.divisorOverride ?? null;
  }
  override extraRepr(): string { return `kernel_size=${show(this.kernelSize)}, stride=${show(this.stride)}, padding=${show(this.padding)}`; }
}
/** Applies a 1D average pooling over an input signal composed of several input planes (torch.nn.AvgPool1d). */
export class AvgPool1d extends AvgPoolNd {
  /** The average over each window of x ([N, C, L] or [C, L]). */
  forward(x: Tensor): Tensor {
    return F.avgPool1d(x, this.kernelSize, { stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad });
  }
}
/** Applies a 2D average pooling over an input signal composed of several input planes (torch.nn.AvgPool2d). */
export class AvgPool2d extends AvgPoolNd {
  /** The average over each window of x ([N, C, H, W] or [C, H, W]). */
  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad, divisorOverride: this.divisorOverride });
  }
}

/** Applies a 3D average pooling over an input signal composed of several input planes (torch.nn.AvgPool3d). */
export class AvgPool3d extends AvgPoolNd {
  /** The average over each window of x ([N, C, D, H, W] or [C, D, H, W]). */
  forward(x: Tensor): Tensor {
    return F.avgPool3d(x, this.kernelSize, { stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad, divisorOverride: this.divisorOverride });
  }
}

/** Power-average pooling: (sum over the window of x^p)^(1/p). */
export class LPPool1d extends Module {
  constructor(readonly normType: number, readonly kernelSize: number, readonly opts: { stride?: number | null; ceilMode?: boolean } = {}) { super(); }
  /** (sum over each window of x^p)^(1/p), p = normType. */
  forward(x: Tensor): Tensor { return F.lpPool1d(x, this.normType, this.kernelSize, this.opts); }
}
/** Applies a 2D power-average pooling over an input signal composed of several input planes (torch.nn.LPPool2d). */
export class LPPool2d extends Module {
  constructor(readonly normType: number, readonly kernelSize: IntOrTuple, readonly opts: { stride?: IntOrTuple | null; ceilMode?: boolean } = {}) { super(); }
  /** (sum over each window of x^p)^(1/p), p = normType. */
  forward(x: Tensor): Tensor { return F.lpPool2d(x, this.normType, this.kernelSize, this.opts); }
}

/** Applies a 1D adaptive average pooling: the output has length outputSize for any input size (torch.nn.AdaptiveAvgPool1d). */
export class AdaptiveAvgPool1d extends Module {
  constructor(readonly outputSize: number) { super(); }
  /** Averages x ([N, C, L] or [C, L]) over outputSize adaptive windows. */
  forward(x: Tensor): Tensor { return F.adaptiveAvgPool1d(x, this.outputSize); }
  override extraRepr(): string { return `output_size=${this.outputSize}`; }
}
/** Applies a 2D adaptive average pooling: the output is outputSize (H, W; null keeps the input size) for any input size (torch.nn.AdaptiveAvgPool2d). */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | readonly (number | null)[]) { super(); }
  /** Averages x ([N, C, H, W] or [C, H, W]) over adaptive windows to outputSize. */
  forward(x: Tensor): Tensor { return F.adaptiveAvgPool2d(x, this.outputSize); }
  override extraRepr(): string { return `output_size=${typeof this.outputSize === 'number' ? this.outputSize : `(${this.outputSize.join(', ')})`}`; }
}
/** Applies a 3D adaptive average pooling: the output is outputSize (D, H, W; null keeps the input size) for any input size (torch.nn.AdaptiveAvgPool3d). */
export class AdaptiveAvgPool3d extends Module {
  constructor(readonly outputSize: number | readonly (number | null)[]) { super(); }
  /** Averages x ([N, C, D, H, W] or [C, D, H, W]) over adaptive windows to outputSize. */
  forward(x: Tensor): Tensor { return F.adaptiveAvgPool3d(x, this.outputSize); }
}
/** Shared base of AdaptiveMaxPool1d/2d/3d: the output size and returnIndices (PyTorch's positional return_indices, or an option). */
abstract class AdaptiveMaxPoolNd<R extends boolean = false> extends Module {
  readonly returnIndices: R;
  constructor(readonly outputSize: number | readonly (number | null)[], returnIndices: R | { returnIndices?: R } = false as R) {
    super();
    this.returnIndices = (typeof returnIndices === 'boolean' ? returnIndices : returnIndices.returnIndices ?? false) as R;
  }
  /** Typed as true only to pick the F overload that returns either shape; the value is this.returnIndices. */
  protected get ri(): true { return this.returnIndices as true; }
}
/** Applies a 1D adaptive max pooling: the output has length outputSize for any input size (torch.nn.AdaptiveMaxPool1d). */
export class AdaptiveMaxPool1d<R extends boolean = false> extends AdaptiveMaxPoolNd<R> {
  /** The maximum of x ([N, C, L] or [C, L]) over outputSize adaptive windows; with returnIndices, [output, indices]. */
  forward(x: Tensor): PoolOut<R> { return F.adaptiveMaxPool1d(x, this.outputSize as number, this.ri) as Tensor | [Tensor, Tensor] as PoolOut<R>; }
}
/** Applies a 2D adaptive max pooling: the output is outputSize (H, W; null keeps the input size) for any input size (torch.nn.AdaptiveMaxPool2d). */
export class AdaptiveMaxPool2d<R extends boolean = false> extends AdaptiveMaxPoolNd<R> {
  /** The maximum of x ([N, C, H, W] or [C, H, W]) over adaptive windows to outputSize; with returnIndices, [output, indices into H*W]. */
  forward(x: Tensor): PoolOut<R> { return F.adaptiveMaxPool2d(x, this.outputSize, this.ri) as Tensor | [Tensor, Tensor] as PoolOut<R>; }
}
/** Applies a 3D adaptive max pooling: the output is outputSize (D, H, W; null keeps the input size) for any input size (torch.nn.AdaptiveMaxPool3d). */
export class AdaptiveMaxPool3d<R extends boolean = false> extends AdaptiveMaxPoolNd<R> {
  /** The maximum of x ([N, C, D, H, W] or [C, D, H, W]) over adaptive windows to outputSize; with returnIndices, [output, indices into D*H*W]. */
  forward(x: Tensor): PoolOut<R> { return F.adaptiveMaxPool3d(x, this.outputSize, this.ri) as Tensor | [Tensor, Tensor] as PoolOut<R>; }
}

/** Inverse of max pooling: scatters values back to the positions maxPool's returnIndices reported. */
abstract class MaxUnpoolNd extends Module {
  readonly stride: IntOrTuple;
  readonly padding: IntOrTuple;
  constructor(readonly kernelSize: IntOrTuple, opts: { stride?: IntOrTuple | null; padding?: IntOrTuple } = {}) {
    super();
    this.stride = opts.stride ?? kernelSize;
    this.padding = opts.padding ?? 0;
  }
  override extraRepr(): string { return `kernel_size=${show(this.kernelSize)}, stride=${show(this.stride)}, padding=${show(this.padding)}`; }
}
/** Computes a partial inverse of MaxPool1d: scatters x to the positions in indices, zeros elsewhere (torch.nn.MaxUnpool1d). */
export class MaxUnpool1d extends MaxUnpoolNd {
  /** Scatters x to the positions in indices (from MaxPool1d with returnIndices); outputSize picks the output length. */
  forward(x: Tensor, indices: Tensor, outputSize: readonly number[] | null = null): Tensor {
    return F.maxUnpool1d(x, indices, this.kernelSize, { stride: this.stride, padding: this.padding, outputSize });
  }
}
/** Computes a partial inverse of MaxPool2d: scatters x to the positions in indices, zeros elsewhere (torch.nn.MaxUnpool2d). */
export class MaxUnpool2d extends MaxUnpoolNd {
  /** Scatters x to the positions in indices (from MaxPool2d with returnIndices); outputSize picks the output size. */
  forward(x: Tensor, indices: Tensor, outputSize: readonly number[] | null = null): Tensor {
    return F.maxUnpool2d(x, indices, this.kernelSize, { stride: this.stride, padding: this.padding, outputSize });
  }
}
