// torch.distributions.transforms: invertible maps with log|det J|, for TransformedDistribution. Each
// keeps PyTorch's contract: call(x) = y, inv.call(y) = x, logAbsDetJacobian(x, y) elementwise over the
// domain's event dims, domain/codomain constraints, sign for monotone scalar maps.

import { Tensor } from '../tensor.js';
import { softplus } from '../nn/functional/activation.js';
import * as C from './constraints.js';
import { sumRightmost } from './distribution.js';
import { epsOf, tinyOf } from './samplers.js';

/** An invertible transform (torch.distributions.transforms.Transform). */
export abstract class Transform {
  /** Whether the transform is bijective. */
  readonly bijective: boolean = true;
  /** The constraint inputs satisfy. */
  get domain(): C.Constraint { return C.real; }
  /** The constraint outputs satisfy. */
  get codomain(): C.Constraint { return C.real; }
  /** +1 or -1 for monotone increasing/decreasing scalar transforms. */
  get sign(): number { throw new Error(`${this.constructor.name} has no sign`); }
  /** The inverse transform. */
  get inv(): Transform { return new InverseTransform(this); }
  /** y = f(x). */
  abstract call(x: Tensor): Tensor;
  /** x = f^-1(y). */
  abstract inverse(y: Tensor): Tensor;
  /** log |det df/dx| at (x, y = f(x)). */
  abstract logAbsDetJacobian(x: Tensor, y: Tensor): Tensor;
  /** The output shape for an input shape. */
  forwardShape(shape: number[]): number[] { return shape; }
  /** The input shape for an output shape. */
  inverseShape(shape: number[]): number[] { return shape; }
  /** Whether two transforms are the same map (PyTorch's __eq__). */
  equals(other: Transform): boolean { return this === other || (other.constructor === this.constructor && this.sameParams(other)); }
  /** @internal Parameter equality for equals(); parameter-free transforms are equal by class. */
  protected sameParams(_other: Transform): boolean { return true; }
  /** PyTorch's repr. */
  toString(): string { return `${this.constructor.name}()`; }
}

/** The inverse of a transform (its `.inv`). */
export class InverseTransform extends Transform {
  /** Wraps `base`, swapping its directions. */
  constructor(readonly base: Transform) { super(); }
  override get domain(): C.Constraint { return this.base.codomain; }
  override get codomain(): C.Constraint { return this.base.domain; }
  override get sign(): number { return this.base.sign; }
  override get inv(): Transform { return this.base; }
  /** The base's inverse. */
  call(x: Tensor): Tensor { return this.base.inverse(x); }
  /** The base's forward map. */
  inverse(y: Tensor): Tensor { return this.base.call(y); }
  /** Minus the base's log|det J| at (y, x). */
  logAbsDetJacobian(x: Tensor, y: Tensor): Tensor { return this.base.logAbsDetJacobian(y, x).neg(); }
  override forwardShape(shape: number[]): number[] { return this.base.inverseShape(shape); }
  override inverseShape(shape: number[]): number[] { return this.base.forwardShape(shape); }
  override equals(other: Transform): boolean { return other instanceof InverseTransform && this.base.equals(other.base); }
  override toString(): string { return `_InverseTransform(${this.base})`; }
}

/** y = exp(x). */
export class ExpTransform extends Transform {
  override get codomain(): C.Constraint { return C.positive; }
  override get sign(): number { return 1; }
  /** exp(x). */
  call(x: Tensor): Tensor { return x.exp(); }
  /** log(y). */
  inverse(y: Tensor): Tensor { return y.log(); }
  /** x. */
  logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor { return x; }
}

/** y = x^exponent on the positive reals. */
export class PowerTransform extends Transform {
  /** `new PowerTransform(exponent)`. */
  constructor(readonly exponent: Tensor | number) { super(); }
  override get domain(): C.Constraint { return C.positive; }
  override get codomain(): C.Constraint { return C.positive; }
  override get sign(): number {
    if (typeof this.exponent === 'number') return Math.sign(this.exponent);
    throw new Error('PowerTransform.sign: needs a number exponent (a Tensor exponent\'s sign is elementwise)');
  }
  /** x^exponent. */
  call(x: Tensor): Tensor { return x.pow(this.exponent); }
  /** y^(1/exponent). */
  inverse(y: Tensor): Tensor { return y.pow(typeof this.exponent === 'number' ? 1 / this.exponent : this.exponent.reciprocal()); }
  /** log|exponent y / x|. */
  logAbsDetJacobian(x: Tensor, y: Tensor): Tensor { return y.mul(this.exponent).div(x).abs().log(); }
  protected override sameParams(o: Transform): boolean { return (o as PowerTransform).exponent === this.exponent; }
}

/** y = sigmoid(x), clipped to [tiny, 1 - eps] as PyTorch. */
export class SigmoidTransform extends Transform {
  override get codomain(): C.Constraint { return C.unitInterval; }
  override get sign(): number { return 1; }
  /** sigmoid(x), clamped away from 0 and 1. */
  call(x: Tensor): Tensor { return x.sigmoid().clamp(tinyOf(x), 1 - epsOf(x)); }
  /** logit(y) of y clamped away from 0 and 1. */
  inverse(y: Tensor): Tensor { const c = y.clamp(tinyOf(y), 1 - epsOf(y)); return c.log().sub(c.neg().log1p()); }
  /** -softplus(-x) - softplus(x). */
  logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor { return softplus(x.neg()).neg().sub(softplus(x)); }
}

/** y = tanh(x). */
export class TanhTransform extends Transform {
  override get codomain(): C.Constraint { return C.interval(-1, 1); }
  override get sign(): number { return 1; }
  /** tanh(x). */
  call(x: Tensor): Tensor { return x.tanh(); }
  /** atanh(y) = (log1p(y) - log1p(-y)) / 2. */
  inverse(y: Tensor): Tensor { return y.log1p().sub(y.neg().log1p()).mul(0.5); }
  /** 2 (log 2 - x - softplus(-2x)), the stable form of log(1 - tanh^2 x). */
  logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor { return x.neg().sub(softplus(x.mul(-2))).add(Math.LN2).mul(2); }
}

/** y = loc + scale * x, with `eventDim` rightmost dims per event (torch AffineTransform). */
export class AffineTransform extends Transform {
  /** `new AffineTransform(loc, scale, { eventDim })`. */
  constructor(readonly loc: Tensor | number, readonly scale: Tensor | number, readonly opts: { eventDim?: number } = {}) { super(); }
  private get eventDim(): number { return this.opts.eventDim ?? 0; }
  override get domain(): C.Constraint { return this.eventDim === 0 ? C.real : C.independent(C.real, this.eventDim); }
  override get codomain(): C.Constraint { return this.domain; }
  override get sign(): number {
    if (typeof this.scale === 'number') return Math.sign(this.scale);
    throw new Error('AffineTransform.sign: needs a number scale (a Tensor scale\'s sign is elementwise)');
  }
  /** loc + scale x. */
  call(x: Tensor): Tensor { return x.mul(this.scale).add(this.loc); }
  /** (y - loc) / scale. */
  inverse(y: Tensor): Tensor { return y.sub(this.loc).div(this.scale); }
  /** log|scale|, broadcast to x's shape and summed over the event dims. */
  logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    const s = this.scale;
    const r = s instanceof Tensor ? s.abs().log().add(x.mul(0)) : x.mul(0).add(Math.log(Math.abs(s)));
    return sumRightmost(r, this.eventDim);
  }
  protected override sameParams(o: Transform): boolean {
    const a = o as AffineTransform;
    return a.loc === this.loc && a.scale === this.scale && a.eventDim === this.eventDim;
  }
}

/** Transforms applied in order (torch ComposeTransform). */
export class ComposeTransform extends Transform {
  /** `new ComposeTransform([t1, t2, ...])`: y = tn(...t1(x)). */
  constructor(readonly parts: Transform[]) { super(); }
  override get domain(): C.Constraint {
    if (this.parts.length === 0) return C.real;
    const d = this.parts[0]!.domain;
    // The event dims grow where a later part needs more of them (PyTorch's domain bookkeeping).
    let ev = this.parts[this.parts.length - 1]!.codomain.eventDim;
    for (let i = this.parts.length - 1; i >= 0; i--) { const p = this.parts[i]!; ev += p.domain.eventDim - p.codomain.eventDim; ev = Math.max(ev, p.domain.eventDim); }
    return ev > d.eventDim ? C.independent(d, ev - d.eventDim) : d;
  }
  override get codomain(): C.Constraint {
    if (this.parts.length === 0) return C.real;
    const c = this.parts[this.parts.length - 1]!.codomain;
    let ev = this.parts[0]!.domain.eventDim;
    for (const p of this.parts) { ev += p.codomain.eventDim - p.domain.eventDim; ev = Math.max(ev, p.codomain.eventDim); }
    return ev > c.eventDim ? C.independent(c, ev - c.eventDim) : c;
  }
  override get sign(): number { return this.parts.reduce((s, p) => s * p.sign, 1); }
  override get inv(): Transform { return new ComposeTransform(this.parts.map((p) => p.inv).reverse()); }
  /** Each part in order. */
  call(x: Tensor): Tensor { return this.parts.reduce((v, p) => p.call(v), x); }
  /** Each part's inverse in reverse order. */
  inverse(y: Tensor): Tensor { return this.parts.reduceRight((v, p) => p.inverse(v), y); }
  /** The sum of the parts' log|det J| at the intermediate values, each summed to the running event dims. */
  logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    if (this.parts.length === 0) return x.mul(0);
    const xs = [x];
    for (const p of this.parts.slice(0, -1)) xs.push(p.call(xs[xs.length - 1]!));
    xs.push(y);
    let eventDim = this.domain.eventDim;
    let total: Tensor | null = null;
    this.parts.forEach((p, i) => {
      const term = sumRightmost(p.logAbsDetJacobian(xs[i]!, xs[i + 1]!), eventDim - p.domain.eventDim);
      total = total ? total.add(term) : term;
      eventDim += p.codomain.eventDim - p.domain.eventDim;
    });
    return total!;
  }
  override forwardShape(shape: number[]): number[] { return this.parts.reduce((s, p) => p.forwardShape(s), shape); }
  override inverseShape(shape: number[]): number[] { return this.parts.reduceRight((s, p) => p.inverseShape(s), shape); }
  override equals(other: Transform): boolean {
    return other instanceof ComposeTransform && other.parts.length === this.parts.length && this.parts.every((p, i) => p.equals(other.parts[i]!));
  }
  override toString(): string { return `ComposeTransform(\n    ${this.parts.join(',\n    ')}\n)`; }
}
