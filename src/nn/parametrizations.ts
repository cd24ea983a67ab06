// torch.nn.utils.parametrizations: weightNorm and spectralNorm as parametrizations (nn.utils.parametrize),
// with PyTorch's semantics and stateDict layout: weightNorm stores g and v as
// `parametrizations.<name>.original0` / `original1`; spectralNorm keeps the power-iteration vectors as
// buffers `parametrizations.<name>.0._u` / `_v`, updated in place on every read in training mode.

import { Tensor } from '../tensor.js';
import { Module } from './module.js';
import { registerParametrization } from './parametrize.js';
import { ConvTranspose1d, ConvTranspose2d, ConvTranspose3d } from './modules/conv.js';
import { normalize } from './functional/misc.js';
import { normExceptDim } from './functional/utils.js';
import { noGrad } from '../autograd/grad-mode.js';
import { randn } from '../ops/creation.js';


/** The weight-norm parametrization: weight = g * v / ||v|| (norms over every dim but `dim`). */
class WeightNorm extends Module {
  constructor(readonly dim: number) { super(); }
  forward(weightG: Tensor, weightV: Tensor): Tensor { return weightV.mul(weightG.div(normExceptDim(weightV, this.dim))); }
  /** g = ||w|| (per `dim` slice), v = w. */
  rightInverse(weight: Tensor): Tensor[] { return [normExceptDim(weight, this.dim), weight]; }
  override extraRepr(): string { return ''; }
}

/** Options of weightNorm: PyTorch's keyword arguments. */
export interface WeightNormOpts {
  /** The parameter's name (default 'weight'). */
  name?: string;
  /** The dim kept by the norm (default 0; null: the norm of the whole tensor). */
  dim?: number | null;
}

/**
 * Applies weight normalization to module[name] (torch.nn.utils.parametrizations.weight_norm):
 * weight = g * v / ||v||, with g (`original0`) and v (`original1`) the new parameters. dim: the
 * dim kept by the norm (default 0; null: the norm of the whole tensor). name and dim may be given as
 * options (`weightNorm(m, { dim: 1 })`).
 */
export function weightNorm<M extends Module>(module: M, name: string | WeightNormOpts = 'weight', dim: number | null | Pick<WeightNormOpts, 'dim'> = 0): M {
  if (typeof name === 'object') ({ name = 'weight', dim = 0 } = name);
  if (typeof dim === 'object' && dim) ({ dim = 0 } = dim);
  const w = (module as unknown as Record<string, unknown>)[name];
  const d = dim === null ? -1 : dim < -1 && w instanceof Tensor ? dim + w.ndim : dim;
  registerParametrization(module, name, new WeightNorm(d), { unsafe: true });
  return module;
}

/** The spectral-norm parametrization: weight / sigma, sigma estimated by power iteration. */
class SpectralNorm extends Module {
  readonly dim: number;
  readonly eps: number;
  readonly nPowerIterations: number;
  /** The left singular vector estimate (a buffer). */
  _u: Tensor | null = null;
  /** The right singular vector estimate (a buffer). */
  _v: Tensor | null = null;
  constructor(weight: Tensor, nPowerIterations: number, dim: number, eps: number) {
    super();
    const ndim = weight.ndim;
    if (dim >= ndim || dim < -ndim) throw new RangeError(`Dimension out of range (expected to be in range of [-${ndim}, ${ndim - 1}] but got ${dim})`);
    if (!(nPowerIterations > 0)) throw new Error(`Expected n_power_iterations to be positive, but got n_power_iterations=${nPowerIterations}`);
    this.dim = dim >= 0 ? dim : dim + ndim;
    this.eps = eps;
    this.nPowerIterations = nPowerIterations;
    if (ndim > 1) {
      const mat = this.toMatrix(weight.detach());
      const [h, w] = mat.shape as [number, number];
      noGrad(() => {
        const opts = { dtype: weight.dtype, device: weight.device };
        this.registerBuffer('_u', normalize(randn([h], opts), { dim: 0, eps }));
        this.registerBuffer('_v', normalize(randn([w], opts), { dim: 0, eps }));
      });
      // Start from reasonable vectors: 15 iterations of the power method.
      this.powerMethod(mat, 15);
    }
  }
  /** The weight as a matrix with `dim` first (rows) and the rest flattened. */
  private toMatrix(weight: Tensor): Tensor {
    const w = this.dim === 0 ? weight : weight.permute([this.dim, ...[...weight.shape.keys()].filter((d) => d !== this.dim)]);
    return w.flatten(1);
  }
  /** n steps of u = normalize(W v), v = normalize(W^T u), written into the buffers in place. */
  private powerMethod(mat: Tensor, n: number): void {
    noGrad(() => {
      const m = mat.detach();
      for (let i = 0; i < n; i++) {
        this._u!.copy_(normalize(m.mv(this._v!), { dim: 0, eps: this.eps }));
        this._v!.copy_(normalize(m.t().mv(this._u!), { dim: 0, eps: this.eps }));
      }
    });
  }
  forward(weight: Tensor): Tensor {
    if (weight.ndim === 1) return normalize(weight, { dim: 0, eps: this.eps });
    const mat = this.toMatrix(weight);
    if (this.training) this.powerMethod(mat, this.nPowerIterations);
    const u = this._u!.clone(), v = this._v!.clone();
    const sigma = u.dot(mat.mv(v));
    return weight.div(sigma);
  }
  /** The value is stored as it is (the power iteration state is not touched). */
  rightInverse(value: Tensor): Tensor { return value; }
}

/** Options of spectralNorm: PyTorch's keyword arguments. */
export interface SpectralNormOpts {
  /** Power-method steps per read in training mode (default 1). */
  nPowerIterations?: number;
  /** Added for numerical stability when normalizing vectors (default 1e-12). */
  eps?: number;
  /** The dim of the output channels (default: 1 for ConvTranspose, else 0). */
  dim?: number | null;
}

/**
 * Applies spectral normalization to module[name] (torch.nn.utils.parametrizations.spectral_norm):
 * weight / sigma(weight), sigma estimated by nPowerIterations power-method steps per read in
 * training mode (the vectors are buffers `_u`, `_v`). dim defaults to 1 for ConvTranspose, else 0.
 * The arguments after module may be options: `spectralNorm(m, { nPowerIterations: 2 })`,
 * `spectralNorm(m, 'weight', { eps, dim })`.
 */
export function spectralNorm<M extends Module>(module: M, name: string | SpectralNormOpts & { name?: string } = 'weight', nPowerIterations: number | SpectralNormOpts = 1, eps = 1e-12, dim: number | null = null): M {
  if (typeof name === 'object') [name, nPowerIterations] = [name.name ?? 'weight', name];
  if (typeof nPowerIterations === 'object') ({ nPowerIterations = 1, eps = 1e-12, dim = null } = nPowerIterations);
  const weight = (module as unknown as Record<string, unknown>)[name];
  if (!(weight instanceof Tensor)) throw new Error(`Module '${module.constructor.name}' has no parameter or buffer with name '${name}'`);
  const d = dim ?? (module instanceof ConvTranspose1d || module instanceof ConvTranspose2d || module instanceof ConvTranspose3d ? 1 : 0);
  registerParametrization(module, name, new SpectralNorm(weight, nPowerIterations, d, eps));
  return module;
}
