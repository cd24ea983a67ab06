// Types shared by the op modules and the public API.

import type { Tensor } from '../tensor.js';
import type { DType } from '../dtype.js';
import type { Device } from '../backends/backend.js';
import type { Generator } from '../generator.js';

/** A plain JS scalar accepted where PyTorch takes a Python number or bool. */
export type Scalar = number | boolean;
/** A tensor or a plain scalar (scalars are wrapped and promoted like PyTorch's). */
export type TensorOrScalar = Tensor | Scalar;
/** Nested JS arrays of numbers/booleans, as accepted by torch.tensor. */
export type NestedArray = number | boolean | NestedArray[];
/** Result of ops returning (values, indices), e.g. max/min/sort/topk along a dim. */
export interface ValuesIndices {
  /** The values found (e.g. the maxima). */
  values: Tensor;
  /** Their int32 indices along the reduced dim. */
  indices: Tensor;
}
/** Options for var/std-style reductions: { dim, keepdim, unbiased, correction }. */
export interface ReduceOpts {
  /** Divide by N - 1 (Bessel's correction, default true) rather than N: var/std only. */
  unbiased?: boolean;
  /** Divide by N - correction (overrides `unbiased`): var/std only. */
  correction?: number;
  /** Keep the reduced dims with size 1. */
  keepdim?: boolean;
  /** The dim or dims to reduce (default: all). */
  dim?: number | readonly number[] | null;
}
/** Order of a norm: a number, 'fro', 'inf' or '-inf'. */
export type NormOrd = number | 'fro' | 'inf' | '-inf';
/** Options for norm: { p, dim, keepdim }. */
export interface NormOpts {
  /** The order: a number (default 2), Infinity, -Infinity, or 'fro' / 'nuc' for matrices. */
  p?: NormOrd;
  /** The dim or dims to take the norm over (default: all). */
  dim?: number | readonly number[] | null;
  /** Keep the reduced dims with size 1. */
  keepdim?: boolean;
}
/** Options shared by factory functions: { dtype, device, requiresGrad }. */
export interface CreateOpts {
  /** The new tensor's dtype (default: torch.getDefaultDtype(), or inferred from the data). */
  dtype?: DType;
  /** The new tensor's device (default: torch.getDefaultDevice()). */
  device?: Device | string;
  /** Record operations on it for autograd. */
  requiresGrad?: boolean;
}
/** Options of the random factories (rand, randn, randint, randperm): CreateOpts plus PyTorch's `generator`. */
export interface RandOpts extends CreateOpts {
  /** Draw from this torch.Generator's stream instead of the global one (torch.manualSeed's). */
  generator?: Generator | null;
}
