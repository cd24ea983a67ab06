// torch.finfo and torch.iinfo: the numerical limits of torchlet's dtypes, with PyTorch's field
// names (camelCase) and errors. finfo() with no argument describes the default dtype.

import { checkDType, isFloating, toRealDType, type DType } from './dtype.js';
import { state } from './state.js';

/** torch.finfo's fields: the numerical limits of a floating dtype. */
export interface FInfo {
  /** Bits per element. */
  readonly bits: number;
  /** The smallest x with 1 + x != 1. */
  readonly eps: number;
  /** The largest finite value. */
  readonly max: number;
  /** The most negative finite value (-max). */
  readonly min: number;
  /** The smallest positive normal number (= smallestNormal). */
  readonly tiny: number;
  /** The smallest positive normal number. */
  readonly smallestNormal: number;
  /** 10 ** -(decimal digits of precision). */
  readonly resolution: number;
  /** The dtype described (a complex dtype's real part). */
  readonly dtype: 'float32' | 'float64' | 'float16';
}
/** torch.iinfo's fields: the limits of an integer dtype. */
export interface IInfo {
  /** Bits per element. */
  readonly bits: number;
  /** The largest value. */
  readonly max: number;
  /** The smallest value. */
  readonly min: number;
  /** The dtype described. */
  readonly dtype: 'int32' | 'uint8';
}

const FINFO: Record<FInfo['dtype'], Omit<FInfo, 'dtype'>> = {
  float32: { bits: 32, eps: 2 ** -23, max: 3.4028234663852886e38, min: -3.4028234663852886e38, tiny: 2 ** -126, smallestNormal: 2 ** -126, resolution: 1e-6 },
  float64: { bits: 64, eps: 2 ** -52, max: Number.MAX_VALUE, min: -Number.MAX_VALUE, tiny: 2 ** -1022, smallestNormal: 2 ** -1022, resolution: 1e-15 },
  float16: { bits: 16, eps: 2 ** -10, max: 65504, min: -65504, tiny: 2 ** -14, smallestNormal: 2 ** -14, resolution: 1e-3 },
};

/**
 * torch.finfo(dtype = the default dtype): a floating dtype's limits (a complex dtype gives its real
 * part's, as PyTorch). Integer and bool dtypes raise PyTorch's TypeError.
 */
export function finfo(dtype?: DType): FInfo {
  const d = toRealDType(checkDType(dtype ?? state.defaultDtype));
  if (!isFloating(d)) throw new TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo to handle 'torch.finfo'");
  const f = d as FInfo['dtype'];
  return { ...FINFO[f], dtype: f };
}

/** torch.iinfo(dtype): an integer dtype's limits (torch.long is int32 here). Float and bool dtypes raise PyTorch's TypeError. */
export function iinfo(dtype: DType): IInfo {
  const d = checkDType(dtype);
  if (d === 'bool') throw new TypeError('torch.bool is not supported by torch.iinfo');
  if (d === 'int32') return { bits: 32, max: 2147483647, min: -2147483648, dtype: d };
  if (d === 'uint8') return { bits: 8, max: 255, min: 0, dtype: d };
  throw new TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle 'torch.iinfo'");
}
