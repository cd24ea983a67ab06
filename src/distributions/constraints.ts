// torch.distributions.constraints: the sets a parameter or a sample must lie in. `check(value)` is an
// elementwise bool Tensor (reduced over the constraint's eventDim rightmost dims) computed with ops on
// the value's device; `toString()` is PyTorch's repr (e.g. "GreaterThan(lower_bound=0.0)"), which
// validation error messages quote.

import { Tensor } from '../tensor.js';
import { cholesky } from './linalg-small.js';

/** Python's repr of a float bound: 0 -> "0.0", 0.5 -> "0.5"; a Tensor bound prints as the tensor. */
function pyBound(v: number | Tensor, integer = false): string {
  if (v instanceof Tensor) return v.toString();
  if (integer) return String(v);
  if (Number.isInteger(v)) return `${v}.0`;
  return String(v);
}

/** The abstract constraint (torch.distributions.constraints.Constraint). */
export abstract class Constraint {
  /** Whether the constrained space is discrete. */
  readonly isDiscrete: boolean = false;
  /** Number of rightmost dims that together make one event. */
  readonly eventDim: number = 0;
  /** A bool Tensor: whether each event of `value` satisfies the constraint. */
  abstract check(value: Tensor): Tensor;
  /** PyTorch's repr of the constraint. */
  abstract toString(): string;
}

/** A placeholder for a support that depends on other parameters; it cannot be checked. */
export class Dependent extends Constraint {
  override readonly isDiscrete: boolean;
  override readonly eventDim: number;
  /** `constraints.dependent`: the parameter is checked through others (as Uniform's low/high). */
  constructor(opts: { isDiscrete?: boolean; eventDim?: number } = {}) { super(); this.isDiscrete = opts.isDiscrete ?? false; this.eventDim = opts.eventDim ?? 0; }
  /** Always throws: a dependent constraint has nothing to check. */
  check(_value: Tensor): Tensor { throw new Error('Cannot determine validity of dependent constraint'); }
  /** PyTorch's repr. */
  toString(): string { return 'Dependent()'; }
}

/** The real line (NaN excluded). */
export class Real extends Constraint {
  /** Not NaN. */
  check(value: Tensor): Tensor { return value.eq(value); }
  /** PyTorch's repr. */
  toString(): string { return 'Real()'; }
}

/** x > lowerBound. */
export class GreaterThan extends Constraint {
  /** `constraints.greaterThan(lowerBound)`. */
  constructor(readonly lowerBound: number | Tensor) { super(); }
  /** lowerBound < value. */
  check(value: Tensor): Tensor { return value.gt(this.lowerBound); }
  /** PyTorch's repr. */
  toString(): string { return `GreaterThan(lower_bound=${pyBound(this.lowerBound)})`; }
}

/** x >= lowerBound. */
export class GreaterThanEq extends Constraint {
  /** `constraints.greaterThanEq(lowerBound)`. */
  constructor(readonly lowerBound: number | Tensor) { super(); }
  /** lowerBound <= value. */
  check(value: Tensor): Tensor { return value.ge(this.lowerBound); }
  /** PyTorch's repr. */
  toString(): string { return `GreaterThanEq(lower_bound=${pyBound(this.lowerBound)})`; }
}

/** lowerBound <= x <= upperBound. */
export class Interval extends Constraint {
  /** `constraints.interval(lowerBound, upperBound)`. */
  constructor(readonly lowerBound: number | Tensor, readonly upperBound: number | Tensor) { super(); }
  /** Within the closed interval. */
  check(value: Tensor): Tensor { return value.ge(this.lowerBound).logicalAnd(value.le(this.upperBound)); }
  /** PyTorch's repr. */
  toString(): string { return `Interval(lower_bound=${pyBound(this.lowerBound)}, upper_bound=${pyBound(this.upperBound)})`; }
}

/** lowerBound <= x < upperBound. */
export class HalfOpenInterval extends Constraint {
  /** `constraints.halfOpenInterval(lowerBound, upperBound)`. */
  constructor(readonly lowerBound: number | Tensor, readonly upperBound: number | Tensor) { super(); }
  /** Within [lowerBound, upperBound). */
  check(value: Tensor): Tensor { return value.ge(this.lowerBound).logicalAnd(value.lt(this.upperBound)); }
  /** PyTorch's repr. */
  toString(): string { return `HalfOpenInterval(lower_bound=${pyBound(this.lowerBound)}, upper_bound=${pyBound(this.upperBound)})`; }
}

/** Integers in [lowerBound, upperBound]. */
export class IntegerInterval extends Constraint {
  override readonly isDiscrete = true;
  /** `constraints.integerInterval(lowerBound, upperBound)`. */
  constructor(readonly lowerBound: number | Tensor, readonly upperBound: number | Tensor) { super(); }
  /** Integral and within bounds. */
  check(value: Tensor): Tensor {
    return value.remainder(1).eq(0).logicalAnd(value.ge(this.lowerBound)).logicalAnd(value.le(this.upperBound));
  }
  /** PyTorch's repr. */
  toString(): string { return `IntegerInterval(lower_bound=${pyBound(this.lowerBound, true)}, upper_bound=${pyBound(this.upperBound, true)})`; }
}

/** Integers >= lowerBound. */
export class IntegerGreaterThan extends Constraint {
  override readonly isDiscrete = true;
  /** `constraints.integerGreaterThan(lowerBound)`. */
  constructor(readonly lowerBound: number) { super(); }
  /** Integral and at least lowerBound. */
  check(value: Tensor): Tensor { return value.remainder(1).eq(0).logicalAnd(value.ge(this.lowerBound)); }
  /** PyTorch's repr. */
  toString(): string { return `IntegerGreaterThan(lower_bound=${this.lowerBound})`; }
}

/** {0, 1}. */
export class Boolean extends Constraint {
  override readonly isDiscrete = true;
  /** 0 or 1. */
  check(value: Tensor): Tensor { return value.eq(0).logicalOr(value.eq(1)); }
  /** PyTorch's repr. */
  toString(): string { return 'Boolean()'; }
}

/** One-hot vectors (OneHotCategorical's support). */
export class OneHot extends Constraint {
  override readonly isDiscrete = true;
  override readonly eventDim = 1;
  /** Entries in {0, 1} summing to 1 over the last dim. */
  check(value: Tensor): Tensor { return value.eq(0).logicalOr(value.eq(1)).all(-1).logicalAnd(value.sum(-1).eq(1)); }
  /** PyTorch's repr. */
  toString(): string { return 'OneHot()'; }
}

/** Non-negative vectors summing to 1 over the last dim (within 1e-6). */
export class Simplex extends Constraint {
  override readonly eventDim = 1;
  /** PyTorch's test: all(x >= 0) and |sum - 1| < 1e-6. */
  check(value: Tensor): Tensor { return value.ge(0).all(-1).logicalAnd(value.sum(-1).sub(1).abs().lt(1e-6)); }
  /** PyTorch's repr. */
  toString(): string { return 'Simplex()'; }
}

/** Lower-triangular matrices with a positive diagonal. */
export class LowerCholesky extends Constraint {
  override readonly eventDim = 2;
  /** Equal to its lower triangle, diagonal > 0. */
  check(value: Tensor): Tensor {
    const lower = value.tril().eq(value).all(-1).all(-1);
    return lower.logicalAnd(value.diagonal(0, -2, -1).gt(0).all(-1));
  }
  /** PyTorch's repr. */
  toString(): string { return 'LowerCholesky()'; }
}

/** Symmetric positive-definite matrices. */
export class PositiveDefinite extends Constraint {
  override readonly eventDim = 2;
  /** Symmetric, and its Cholesky factor has a positive (non-NaN) diagonal. */
  check(value: Tensor): Tensor {
    const sym = value.sub(value.transpose(-2, -1)).abs().le(1e-6 as number).all(-1).all(-1);
    return sym.logicalAnd(cholesky(value).diagonal(0, -2, -1).gt(0).all(-1));
  }
  /** PyTorch's repr. */
  toString(): string { return 'PositiveDefinite()'; }
}

/** A base constraint whose `reinterpretedBatchNdims` rightmost dims are part of the event. */
export class IndependentConstraint extends Constraint {
  override readonly isDiscrete: boolean;
  override readonly eventDim: number;
  /** `constraints.independent(base, reinterpretedBatchNdims)`. */
  constructor(readonly baseConstraint: Constraint, readonly reinterpretedBatchNdims: number) {
    super();
    this.isDiscrete = baseConstraint.isDiscrete;
    this.eventDim = baseConstraint.eventDim + reinterpretedBatchNdims;
  }
  /** The base check, all() over the reinterpreted dims. */
  check(value: Tensor): Tensor {
    let r = this.baseConstraint.check(value);
    if (r.ndim < this.reinterpretedBatchNdims) {
      const expected = this.baseConstraint.eventDim + this.reinterpretedBatchNdims;
      throw new RangeError(`Expected value.dim() >= ${expected} but got ${value.ndim}`);
    }
    for (let i = 0; i < this.reinterpretedBatchNdims; i++) r = r.all(-1);
    return r;
  }
  /** PyTorch's repr. */
  toString(): string { return `IndependentConstraint(${this.baseConstraint}, ${this.reinterpretedBatchNdims})`; }
}

/** Whether a constraint is `dependent` (not checkable). */
export function isDependent(c: Constraint): boolean { return c instanceof Dependent; }

/** The real line. */
export const real: Constraint = new Real();
/** Real vectors (independent(real, 1)). */
export const realVector: Constraint = new IndependentConstraint(real, 1);
/** x > 0. */
export const positive: Constraint = new GreaterThan(0);
/** x >= 0. */
export const nonnegative: Constraint = new GreaterThanEq(0);
/** [0, 1]. */
export const unitInterval: Constraint = new Interval(0, 1);
/** {0, 1}. */
export const boolean: Constraint = new Boolean();
/** Integers >= 0. */
export const nonnegativeInteger: Constraint = new IntegerGreaterThan(0);
/** One-hot vectors. */
export const oneHot: Constraint = new OneHot();
/** The probability simplex over the last dim. */
export const simplex: Constraint = new Simplex();
/** Lower Cholesky factors. */
export const lowerCholesky: Constraint = new LowerCholesky();
/** Symmetric positive-definite matrices. */
export const positiveDefinite: Constraint = new PositiveDefinite();
/** A parameter checked through others. */
export const dependent: Constraint = new Dependent();
/** x > lowerBound. */
export function greaterThan(lowerBound: number | Tensor): Constraint { return new GreaterThan(lowerBound); }
/** x >= lowerBound. */
export function greaterThanEq(lowerBound: number | Tensor): Constraint { return new GreaterThanEq(lowerBound); }
/** lowerBound <= x <= upperBound. */
export function interval(lowerBound: number | Tensor, upperBound: number | Tensor): Constraint { return new Interval(lowerBound, upperBound); }
/** lowerBound <= x < upperBound. */
export function halfOpenInterval(lowerBound: number | Tensor, upperBound: number | Tensor): Constraint { return new HalfOpenInterval(lowerBound, upperBound); }
/** Integers in [lowerBound, upperBound]. */
export function integerInterval(lowerBound: number | Tensor, upperBound: number | Tensor): Constraint { return new IntegerInterval(lowerBound, upperBound); }
/** The base constraint with `reinterpretedBatchNdims` more event dims. */
export function independent(base: Constraint, reinterpretedBatchNdims: number): Constraint { return new IndependentConstraint(base, reinterpretedBatchNdims); }
