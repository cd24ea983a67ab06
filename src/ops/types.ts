// Types shared by the op modules and the public API.

import type { Tensor } from '../tensor.js';
import type { DType } from '../dtype.js';
import type { Device } from '../backends/backend.js';

export type Scalar = number | boolean;
export type TensorOrScalar = Tensor | Scalar;
export type NestedArray = number | boolean | NestedArray[];
export interface ValuesIndices { values: Tensor; indices: Tensor }
export interface ReduceOpts { unbiased?: boolean; correction?: number; keepdim?: boolean; dim?: number | readonly number[] | null }
export type NormOrd = number | 'fro' | 'inf' | '-inf';
export interface NormOpts { p?: NormOrd; dim?: number | readonly number[] | null; keepdim?: boolean }
export interface CreateOpts { dtype?: DType; device?: Device | string; requiresGrad?: boolean }
