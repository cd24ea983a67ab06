// Pooling layers over torch.nn.functional: MaxPool1d/2d/3d, AvgPool1d/2d/3d, LPPool1d/2d,
// AdaptiveAvgPool1d/2d/3d, AdaptiveMaxPool1d/2d, MaxUnpool1d/2d. stride defaults to kernelSize, as in PyTorch.

import type { Tensor } from '../../tensor.js';
import { Module } from '../module.js';
import * as F from '../functional/index.js';

type IntOrTuple = number | readonly number[];
export interface MaxPoolOpts { stride?: IntOrTuple | null; padding?: IntOrTuple; dilation?: IntOrTuple; ceilMode?: boolean }
export interface AvgPoolOpts { stride?: IntOrTuple | null; padding?: IntOrTuple; ceilMode?: boolean; countIncludePad?: boolean; divisorOverride?: number | null }

const show = (v: IntOrTuple): string => (typeof v === 'number' ? String(v) : `(${v.join(', ')})`);

// R (returnIndices) is a type parameter so that `new MaxPool2d(2)` keeps forward(x): Tensor for
// Sequential and friends, while `new MaxPool2d(2, { returnIndices: true })` types its forward as
// [output, indices] (what nn.MaxUnpool2d takes), as in PyTorch.
type PoolOut<R extends boolean> = R extends true ? [Tensor, Tensor] : Tensor;
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
export class MaxPool1d<R extends boolean = false> extends MaxPoolNd<R> {
  forward(x: Tensor): PoolOut<R> { return F.maxPool1d(x, this.kernelSize, this.opts) as Tensor | [Tensor, Tensor] as PoolOut<R>; }
}
export class MaxPool2d<R extends boolean = false> extends MaxPoolNd<R> {
  forward(x: Tensor): PoolOut<R> { return F.maxPool2d(x, this.kernelSize, this.opts) as Tensor | [Tensor, Tensor] as PoolOut<R>; }
}
export class MaxPool3d<R extends boolean = false> extends MaxPoolNd<R> {
  forward(x: Tensor): PoolOut<R> { return F.maxPool3d(x, this.kernelSize, this.opts) as Tensor | [Tensor, Tensor] as PoolOut<R>; }
}

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
export class AvgPool1d extends AvgPoolNd {
  forward(x: Tensor): Tensor {
    return F.avgPool1d(x, this.kernelSize, { stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad });
  }
}
export class AvgPool2d extends AvgPoolNd {
  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad, divisorOverride: this.divisorOverride });
  }
}

export class AvgPool3d extends AvgPoolNd {
  forward(x: Tensor): Tensor {
    return F.avgPool3d(x, this.kernelSize, { stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad, divisorOverride: this.divisorOverride });
  }
}

/** Power-average pooling: (sum over the window of x^p)^(1/p). */
export class LPPool1d extends Module {
  constructor(readonly normType: number, readonly kernelSize: number, readonly opts: { stride?: number | null; ceilMode?: boolean } = {}) { super(); }
  forward(x: Tensor): Tensor { return F.lpPool1d(x, this.normType, this.kernelSize, this.opts); }
}
export class LPPool2d extends Module {
  constructor(readonly normType: number, readonly kernelSize: IntOrTuple, readonly opts: { stride?: IntOrTuple | null; ceilMode?: boolean } = {}) { super(); }
  forward(x: Tensor): Tensor { return F.lpPool2d(x, this.normType, this.kernelSize, this.opts); }
}

export class AdaptiveAvgPool1d extends Module {
  constructor(readonly outputSize: number) { super(); }
  forward(x: Tensor): Tensor { return F.adaptiveAvgPool1d(x, this.outputSize); }
  override extraRepr(): string { return `output_size=${this.outputSize}`; }
}
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | readonly (number | null)[]) { super(); }
  forward(x: Tensor): Tensor { return F.adaptiveAvgPool2d(x, this.outputSize); }
  override extraRepr(): string { return `output_size=${typeof this.outputSize === 'number' ? this.outputSize : `(${this.outputSize.join(', ')})`}`; }
}
export class AdaptiveAvgPool3d extends Module {
  constructor(readonly outputSize: number | readonly (number | null)[]) { super(); }
  forward(x: Tensor): Tensor { return F.adaptiveAvgPool3d(x, this.outputSize); }
}
export class AdaptiveMaxPool1d extends Module {
  constructor(readonly outputSize: number) { super(); }
  forward(x: Tensor): Tensor { return F.adaptiveMaxPool1d(x, this.outputSize); }
}
export class AdaptiveMaxPool2d extends Module {
  constructor(readonly outputSize: number | readonly (number | null)[]) { super(); }
  forward(x: Tensor): Tensor { return F.adaptiveMaxPool2d(x, this.outputSize); }
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
export class MaxUnpool1d extends MaxUnpoolNd {
  forward(x: Tensor, indices: Tensor, outputSize: readonly number[] | null = null): Tensor {
    return F.maxUnpool1d(x, indices, this.kernelSize, { stride: this.stride, padding: this.padding, outputSize });
  }
}
export class MaxUnpool2d extends MaxUnpoolNd {
  forward(x: Tensor, indices: Tensor, outputSize: readonly number[] | null = null): Tensor {
    return F.maxUnpool2d(x, indices, this.kernelSize, { stride: this.stride, padding: this.padding, outputSize });
  }
}
