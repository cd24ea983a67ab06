// torch.distributions.Distribution: the base class every distribution extends, and the helpers they share
// (broadcastAll, argument validation with PyTorch's messages, shape bookkeeping). Validation follows
// PyTorch's validate_args (default on, Distribution.setDefaultValidateArgs): parameters are checked
// against argConstraints at construction and values against the support in logProb/cdf. The check is
// a device op. On the CPU its verdict is read at once and raises PyTorch's error; on an asynchronous
// device (WebGPU) it becomes a device check that the checked parameters (or value) carry: reading
// anything computed from them raises the same error (errors of asynchronous devices surface at the
// next read), with no host round trip.

import { Tensor } from '../tensor.js';
import { getBackend } from '../backends/registry.js';
import { state } from '../state.js';
import { isFloating } from '../dtype.js';
import { broadcastShapes } from '../shape.js';
import { full, tensor } from '../ops/index.js';
import { noGrad } from '../autograd/grad-mode.js';
import type { Device } from '../backends/backend.js';
import type { DType } from '../dtype.js';
import { type Constraint, isDependent } from './constraints.js';

let defaultValidateArgs = true;

/** Python's tuple repr of a shape: (3,), (2, 3), (). */
export function pyShape(s: readonly number[]): string { return s.length === 1 ? `(${s[0]},)` : `(${s.join(', ')})`; }
/** PyTorch's torch.Size repr. */
export function torchSize(s: readonly number[]): string { return `torch.Size([${s.join(', ')}])`; }

/** A parameter given as a Tensor or a plain number. */
export type Param = Tensor | number;

/**
 * Tensors of the values broadcast to one shape (torch.distributions.utils.broadcast_all): numbers become
 * tensors of the tensors' dtype (the default dtype if all are numbers) on the tensors' device.
 */
export function broadcastAll(...values: Param[]): Tensor[] {
  const ts = values.filter((v): v is Tensor => v instanceof Tensor);
  let dtype: DType = state.defaultDtype;
  let device: Device | undefined;
  for (const t of ts) {
    if (isFloating(t.dtype)) dtype = t.dtype;
    device ??= t.device;
  }
  const asT = values.map((v) => (v instanceof Tensor ? (isFloating(v.dtype) ? v : v.to(dtype)) : tensor(v, { dtype, device })));
  const shape = broadcastShapes('broadcast_all', ...asT.map((t) => t.shape));
  return asT.map((t) => (sameShape(t.shape, shape) ? t : t.expand(shape)));
}

function sameShape(a: readonly number[], b: readonly number[]): boolean { return a.length === b.length && a.every((v, i) => v === b[i]); }

/** Sums the `dim` rightmost dims of x (torch.distributions.utils._sum_rightmost). */
export function sumRightmost(x: Tensor, dim: number): Tensor {
  if (dim <= 0) return x;
  return x.reshape([...x.shape.slice(0, x.ndim - dim), -1]).sum(-1);
}

/**
 * @internal Checks that `valid` (computed from `checked`) is all true: on a synchronous device now (throws
 * `message(true)`); on an asynchronous one as a device check that `checked` then carries, so reading
 * anything computed from it raises `message(false)`.
 */
export function checkAll(valid: Tensor, checked: Tensor, message: (readable: boolean) => string): void {
  const be = getBackend(valid.device);
  if (be.synchronous) {
    if (!valid.all().itemSync()) throw new RangeError(message(true));
    return;
  }
  const bad = noGrad(() => valid.logicalNot().any().to('int32'));
  be.checkRange(bad.view_(), 0, 0, message(false));
  be.carryChecks?.(bad.view_(), checked.view_());
}

/** The options every distribution accepts. */
export interface DistributionOpts {
  /** Check parameters and values (PyTorch's validate_args); default: Distribution.setDefaultValidateArgs (true). */
  validateArgs?: boolean | null;
}

/** The base class of every distribution (torch.distributions.Distribution). */
export abstract class Distribution {
  /** Sets whether distributions validate their arguments by default (PyTorch's Distribution.set_default_validate_args). */
  static setDefaultValidateArgs(value: boolean): void { defaultValidateArgs = value; }
  /** The current default of validateArgs. */
  static getDefaultValidateArgs(): boolean { return defaultValidateArgs; }

  /** The batch shape: independent, not identically distributed draws. */
  readonly batchShape: number[];
  /** The shape of one event (a single draw). */
  readonly eventShape: number[];
  /** @internal Whether arguments and values are validated. */
  protected validate: boolean;
  /** Whether rsample is implemented (reparameterized, differentiable samples). */
  readonly hasRsample: boolean = false;
  /** Whether enumerateSupport is implemented. */
  readonly hasEnumerateSupport: boolean = false;

  /** @internal Subclasses set their parameters, then call `checkArgs()`. */
  constructor(batchShape: readonly number[] = [], eventShape: readonly number[] = [], validateArgs?: boolean | null) {
    this.batchShape = [...batchShape];
    this.eventShape = [...eventShape];
    this.validate = validateArgs ?? defaultValidateArgs;
  }

  /** Constraints each parameter must satisfy, by name. */
  get argConstraints(): Record<string, Constraint> { return {}; }
  /** The set samples lie in. */
  abstract get support(): Constraint;
  /** @internal The parameters PyTorch's repr shows. */
  protected params(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const k of Object.keys(this.argConstraints)) {
      const v = (this as unknown as Record<string, unknown>)[`_${k}`];
      if (v instanceof Tensor) out[k] = v;
    }
    return out;
  }
  /** PyTorch's repr: `Normal(loc: torch.Size([3]), scale: torch.Size([3]))`. */
  toString(): string {
    const args = Object.entries(this.params()).map(([k, v]) => `${k}: ${v.numel() === 1 ? v.toString() : torchSize(v.shape)}`);
    return `${this.constructor.name}(${args.join(', ')})`;
  }

  /** PyTorch's repr, or with shapes only where values cannot be read now (an asynchronous device). */
  private reprFor(readable: boolean): string {
    if (readable) return this.toString();
    return `${this.constructor.name}(${Object.entries(this.params()).map(([k, v]) => `${k}: ${torchSize(v.shape)}`).join(', ')})`;
  }

  /**
   * @internal Checks the parameters against argConstraints (PyTorch's __init__ validation); on an
   * asynchronous device the parameters carry the check (see checkAll).
   */
  protected checkArgs(): void {
    if (!this.validate) return;
    const params = this.params();
    for (const [name, c] of Object.entries(this.argConstraints)) {
      if (isDependent(c)) continue;
      const value = params[name];
      if (!value) continue;
      checkAll(c.check(value), value, (readable) => `Expected parameter ${name} (Tensor of shape ${pyShape(value.shape)}) of distribution ${this.reprFor(readable)} ` +
        `to satisfy the constraint ${c}, but found invalid values${readable ? `:\n${value}` : ''}`);
    }
  }

  /** @internal Checks a value's shape and support (PyTorch's _validate_sample). */
  protected validateSample(value: Tensor): void {
    if (!(value instanceof Tensor)) throw new TypeError('The value argument to log_prob must be a Tensor');
    const ev = this.eventShape.length;
    const start = value.ndim - ev;
    if (start < 0 || !sameShape(value.shape.slice(start), this.eventShape)) {
      throw new RangeError(`The right-most size of value must match event_shape: ${torchSize(value.shape)} vs ${torchSize(this.eventShape)}.`);
    }
    const expected = [...this.batchShape, ...this.eventShape];
    for (let i = 1; i <= Math.min(value.ndim, expected.length); i++) {
      const a = value.shape[value.ndim - i]!, b = expected[expected.length - i]!;
      if (a !== 1 && b !== 1 && a !== b) {
        throw new RangeError(`Value is not broadcastable with batch_shape+event_shape: ${torchSize(value.shape)} vs ${torchSize(expected)}.`);
      }
    }
    const support = this.support;
    if (isDependent(support)) return;
    checkAll(support.check(value), value, (readable) => `Expected value argument (Tensor of shape ${pyShape(value.shape)}) to be within the support (${support}) ` +
      `of the distribution ${this.reprFor(readable)}, but found invalid values${readable ? `:\n${value}` : ''}`);
  }

  /** @internal Validates `value` when validateArgs is on. */
  protected maybeValidate(value: Tensor): void { if (this.validate) this.validateSample(value); }

  /** The shape of samples drawn with `sampleShape`: sampleShape + batchShape + eventShape. */
  extendedShape(sampleShape: readonly number[] = []): number[] { return [...sampleShape, ...this.batchShape, ...this.eventShape]; }

  /** @internal dtype and device of the distribution's parameters. */
  protected abstract get like(): Tensor;

  /** The mean. */
  get mean(): Tensor { throw new Error(`${this.constructor.name} does not implement mean`); }
  /** The mode. */
  get mode(): Tensor { throw new Error(`${this.constructor.name} does not implement mode`); }
  /** The variance. */
  get variance(): Tensor { throw new Error(`${this.constructor.name} does not implement variance`); }
  /** The standard deviation (sqrt of the variance). */
  get stddev(): Tensor { return this.variance.sqrt(); }

  /** Draws samples of shape sampleShape + batchShape + eventShape, without gradients. */
  sample(sampleShape: number[] = []): Tensor {
    if (!this.hasRsample) throw new Error(`${this.constructor.name} does not implement sample`);
    return noGrad(() => this.rsample(sampleShape));
  }
  /** Draws reparameterized samples: gradients flow to the parameters. */
  rsample(_sampleShape: number[] = []): Tensor { throw new Error(`${this.constructor.name} does not implement rsample`); }
  /** Draws n samples (sample([n])). */
  sampleN(n: number): Tensor { return this.sample([n]); }
  /** The log of the density (or mass) at value. */
  logProb(_value: Tensor): Tensor { throw new Error(`${this.constructor.name} does not implement logProb`); }
  /** The cumulative distribution function at value. */
  cdf(_value: Tensor): Tensor { throw new Error(`${this.constructor.name} does not implement cdf`); }
  /** The inverse cumulative distribution function at value. */
  icdf(_value: Tensor): Tensor { throw new Error(`${this.constructor.name} does not implement icdf`); }
  /** The entropy, per batch element. */
  entropy(): Tensor { throw new Error(`${this.constructor.name} does not implement entropy`); }
  /** exp(entropy). */
  perplexity(): Tensor { return this.entropy().exp(); }
  /** All values of a discrete support, along a new leading dim (expanded over the batch when expand is true). */
  enumerateSupport(_expand = true): Tensor { throw new Error(`${this.constructor.name} does not implement enumerateSupport`); }
  /** A new distribution with the parameters expanded to batchShape (no copy). */
  abstract expand(batchShape: number[]): Distribution;

  /** @internal Copies the validation flag onto an expanded instance. */
  protected withValidate<T extends Distribution>(d: T): T { d.validate = this.validate; return d; }
  /** @internal A tensor of NaN with the given shape, of this distribution's dtype and device. */
  protected nanFull(shape: number[]): Tensor { return full(shape, NaN, { dtype: this.like.dtype, device: this.like.device }); }
}
