// Types shared by the op modules and the public API.

import type { Tensor } from '../tensor.js';
import type { DType } from '../dtype.js';
import type { Device } from '../backends/backend.js';

/** A plain JS scalar accepted where PyTorch takes a Python number or bool. */
export type Scalar = number | boolean;
/** A tensor or a plain scalar (scalars are wrapped and promoted like PyTorch's). */
export type TensorOrScalar = Tensor | Scalar;
/** Nested JS arrays of numbers/booleans, as accepted by torch.tensor. */
export type NestedArray = number | boolean | NestedArray[];
/** Result of ops returning (values, indices), e.g. max/min/sort/topk along a dim. */
export interface ValuesIndices { values: Tensor; indices: Tensor }
/** Options for var/std-style reductions: { dim, keepdim, unbiased, correction }. */
export interface ReduceOpts { unbiased?: boolean; correction?: number; keepdim?: boolean; dim?: number | readonly number[] | null }
/** Order of a norm: a number, 'fro', 'inf' or '-inf'. */
export type NormOrd = number | 'fro' | 'inf' | '-inf';
/** Options for norm: { p, dim, keepdim }. */
export interface NormOpts { p?: NormOrd; dim?: number | readonly number[] | null; keepdim?: boolean }
/** Options shared by factory functions: { dtype, device, requiresGrad }. */
export interface CreateOpts { dtype?: DType; device?: Device | string; requiresGrad?: boolean }
