// MultivariateNormal (torch.distributions.MultivariateNormal): every computation goes through the lower
// Cholesky factor scale_tril, as PyTorch; the factor and triangular solves are linalg-small.ts's
// composed kernels, so they run and differentiate on every device.

import { Tensor } from '../tensor.js';
import { randn } from '../ops/index.js';
import { broadcastShapes } from '../shape.js';
import * as C from './constraints.js';
import { Distribution, type DistributionOpts } from './distribution.js';
import { cholesky, choleskyInverse, solveLower } from './linalg-small.js';
import { like } from './univariate.js';

/** Which matrix parametrizes a MultivariateNormal (exactly one). */
export interface MultivariateNormalOpts extends DistributionOpts {
  /** The covariance matrix [..., n, n] (positive definite). */
  covarianceMatrix?: Tensor | null;
  /** The precision (inverse covariance) matrix [..., n, n]. */
  precisionMatrix?: Tensor | null;
  /** The lower Cholesky factor of the covariance [..., n, n]. */
  scaleTril?: Tensor | null;
}

/** ||L^-1 x||^2 for a batch of lower factors L and vectors x. */
export function batchMahalanobis(L: Tensor, x: Tensor): Tensor { return solveLower(L, x.unsqueeze(-1)).squeeze(-1).pow(2).sum(-1); }

/** The multivariate normal distribution N(loc, Sigma) (torch.distributions.MultivariateNormal). */
export class MultivariateNormal extends Distribution {
  /** @internal */ readonly _loc: Tensor;
  /** @internal The factor as given (not expanded to the batch shape). */ readonly _unbroadcastedScaleTril: Tensor;
  private readonly given: { name: 'covariance_matrix' | 'precision_matrix' | 'scale_tril'; value: Tensor };
  override readonly hasRsample = true;
  /** `new MultivariateNormal(loc, covarianceMatrix)` or `new MultivariateNormal(loc, { covarianceMatrix | precisionMatrix | scaleTril, validateArgs })`. */
  constructor(loc: Tensor, covarianceMatrix?: Tensor | MultivariateNormalOpts | null, opts: MultivariateNormalOpts = {}) {
    const o: MultivariateNormalOpts = covarianceMatrix instanceof Tensor ? { ...opts, covarianceMatrix } : { ...(covarianceMatrix ?? {}), ...opts };
    if (loc.ndim < 1) throw new RangeError('loc must be at least one-dimensional.');
    const given = ([['covariance_matrix', o.covarianceMatrix], ['precision_matrix', o.precisionMatrix], ['scale_tril', o.scaleTril]] as const)
      .filter(([, v]) => v !== undefined && v !== null) as [('covariance_matrix' | 'precision_matrix' | 'scale_tril'), Tensor][];
    if (given.length !== 1) throw new RangeError('Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.');
    const [name, m] = given[0]!;
    if (m.ndim < 2) throw new RangeError(`${name} matrix must be at least two-dimensional, with optional leading batch dimensions`);
    const batch = broadcastShapes('MultivariateNormal', m.shape.slice(0, -2), loc.shape.slice(0, -1));
    const n = loc.shape[loc.ndim - 1]!;
    super(batch, [n], o.validateArgs);
    this._loc = loc.expand([...batch, n]);
    this.given = { name, value: m.expand([...batch, n, n]) };
    this.checkArgs();
    this._unbroadcastedScaleTril = name === 'scale_tril' ? m : name === 'covariance_matrix' ? cholesky(m) : cholesky(choleskyInverse(cholesky(m)));
  }
  /** @internal */
  protected override params(): Record<string, Tensor> { return { loc: this._loc, [this.given.name]: this.given.value }; }
  /** The mean vector. */
  get loc(): Tensor { return this._loc; }
  /** The lower Cholesky factor of the covariance, expanded to the batch shape. */
  get scaleTril(): Tensor { return this._unbroadcastedScaleTril.expand(this.matShape()); }
  /** The covariance matrix L L^T. */
  get covarianceMatrix(): Tensor { const L = this._unbroadcastedScaleTril; return L.matmul(L.transpose(-2, -1)).expand(this.matShape()); }
  /** The precision matrix (the covariance's inverse). */
  get precisionMatrix(): Tensor { return choleskyInverse(this._unbroadcastedScaleTril).expand(this.matShape()); }
  private matShape(): number[] { return [...this.batchShape, ...this.eventShape, ...this.eventShape]; }
  /** loc: real vectors; the matrices positive definite or lower Cholesky. */
  override get argConstraints(): Record<string, C.Constraint> {
    return { loc: C.realVector, covariance_matrix: C.positiveDefinite, precision_matrix: C.positiveDefinite, scale_tril: C.lowerCholesky };
  }
  /** Real vectors. */
  get support(): C.Constraint { return C.realVector; }
  protected get like(): Tensor { return this._loc; }
  override get mean(): Tensor { return this._loc; }
  override get mode(): Tensor { return this._loc; }
  override get variance(): Tensor { return this._unbroadcastedScaleTril.pow(2).sum(-1).expand([...this.batchShape, ...this.eventShape]); }
  /** Draws loc + L eps. */
  override rsample(sampleShape: number[] = []): Tensor {
    const eps = randn(this.extendedShape(sampleShape), like(this._loc));
    return this._loc.add(this._unbroadcastedScaleTril.matmul(eps.unsqueeze(-1)).squeeze(-1));
  }
  override logProb(value: Tensor): Tensor {
    this.maybeValidate(value);
    const diff = value.sub(this._loc);
    const M = batchMahalanobis(this._unbroadcastedScaleTril, diff);
    const halfLogDet = this._unbroadcastedScaleTril.diagonal(0, -2, -1).log().sum(-1);
    return M.add(this.eventShape[0]! * Math.log(2 * Math.PI)).mul(-0.5).sub(halfLogDet);
  }
  override entropy(): Tensor {
    const halfLogDet = this._unbroadcastedScaleTril.diagonal(0, -2, -1).log().sum(-1);
    const H = halfLogDet.add(0.5 * this.eventShape[0]! * (1 + Math.log(2 * Math.PI)));
    return this.batchShape.length === 0 ? H : H.expand(this.batchShape);
  }
  expand(batchShape: number[]): MultivariateNormal {
    const n = this.eventShape[0]!;
    const d = new MultivariateNormal(this._loc.expand([...batchShape, n]), { scaleTril: this._unbroadcastedScaleTril.expand([...batchShape, n, n]), validateArgs: false });
    return this.withValidate(d);
  }
}
