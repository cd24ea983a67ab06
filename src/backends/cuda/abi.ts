// The TlArgs packer: writes the kernel argument block of native-cuda/src/abi.h (728 bytes, little
// endian, naturally aligned) with one DataView. Contract: native-cuda/ABI.md; test/cuda/backend.test.ts
// checks these offsets against the ones the addon reports (addon.abiLayout()).

import type { RealDType } from '../../dtype.js';

export const TL_MAX_DIMS = 8;
/** Byte layout of TlView and TlArgs. */
export const VIEW_SIZE = 152, VIEW_SHAPE = 24, VIEW_STRIDES = 88;
export const ARGS_N = 4 * VIEW_SIZE, ARGS_I = ARGS_N + 8, ARGS_F = ARGS_I + 80, ARGS_SIZE = ARGS_F + 32;

/** abi.h's TL_F32 ... TL_BOOL. */
export const DTYPE_CODE: Record<RealDType, number> = { float32: 0, float16: 1, float64: 2, int32: 3, uint8: 4, bool: 5 };

/** A view as the kernels see it: a device address, an element offset, dims of at most TL_MAX_DIMS. */
export interface KView { ptr: number; offset: number; dtype: RealDType; shape: readonly number[]; strides: readonly number[] }

const TWO32 = 4294967296;

/** One reusable argument block: reset(), fill the slots a kernel documents, then `bytes`. */
export class ArgPacker {
  readonly bytes = new Uint8Array(ARGS_SIZE);
  private readonly dv = new DataView(this.bytes.buffer);

  reset(): this { this.bytes.fill(0); return this; }

  /** A safe integer (possibly negative) as int64 at byte `at`. */
  private i64(at: number, v: number): void {
    this.dv.setUint32(at, v >>> 0, true);
    this.dv.setInt32(at + 4, Math.floor(v / TWO32) | 0, true);
  }

  /** Operand k (0..3). */
  view(k: number, v: KView): this {
    const nd = v.shape.length;
    if (nd > TL_MAX_DIMS) throw new RangeError(`cuda: a view of ${nd} dims (shape [${v.shape.join(', ')}]) exceeds the kernels' ${TL_MAX_DIMS}`);
    const b = k * VIEW_SIZE;
    this.i64(b, v.ptr);
    this.i64(b + 8, v.offset);
    this.dv.setInt32(b + 16, DTYPE_CODE[v.dtype], true);
    this.dv.setInt32(b + 20, nd, true);
    for (let d = 0; d < nd; d++) {
      this.i64(b + VIEW_SHAPE + 8 * d, v.shape[d]!);
      this.i64(b + VIEW_STRIDES + 8 * d, v.strides[d]!);
    }
    return this;
  }
  n(v: number): this { this.i64(ARGS_N, v); return this; }
  /** Integer parameter k (0..9). */
  i(k: number, v: number): this { this.i64(ARGS_I + 8 * k, v); return this; }
  /** Float parameter k (0..3), as a double. */
  f(k: number, v: number): this { this.dv.setFloat64(ARGS_F + 8 * k, v, true); return this; }
}
