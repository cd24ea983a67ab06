// Raw little-endian bytes of a stored dtype <-> torchlet tensors. Reading: int64 becomes int32 (a
// RangeError names the value that does not fit), bfloat16 becomes float32, int8/int16 become int32,
// float16 stays float16 and float64 stays float64 where the device supports them (else float32).
// Writing: each torchlet dtype is stored as itself. Shared by the safetensors, .pt and NumPy codecs.

import type { DType, RealDType, TypedArray } from '../dtype.js';
import { fromArray } from '../ops/prim.js';
import { f16BitsToF32, f32ToF16Bits } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import type { Device } from '../backends/backend.js';

/** Stored element types (safetensors names). */
export type StoredType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';
export const STORED_SIZE: Record<StoredType, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** The stored type each torchlet dtype is written as. */
export const WRITE_TYPE: Record<RealDType, StoredType> = { float64: 'F64', float32: 'F32', float16: 'F16', int32: 'I32', uint8: 'U8', bool: 'BOOL' };
/** The stored type of a dtype; complex tensors have none in safetensors / .pt here (save viewAsReal(t) instead). */
export function writeType(d: DType): StoredType {
  if (d === 'complex64' || d === 'complex128') throw new TypeError(`save: ${d} tensors cannot be saved in this format; save torch.viewAsReal(t) (or use format 'npy')`);
  return WRITE_TYPE[d];
}

/** Little-endian bytes of values as `Tensor.data()` returns them (float16 arrives as float32 values). */
export function encodeValues(data: TypedArray, dtype: DType): Uint8Array {
  if (dtype === 'float16') return new Uint8Array(Uint16Array.from(data as Float32Array, (v) => f32ToF16Bits(v)).buffer);
  if (dtype === 'bool') return Uint8Array.from(data as Uint8Array, (v) => (v ? 1 : 0));
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Decodes n elements of `type` from bytes into a 1-D tensor of torchlet's matching dtype. */
export function decodeStorage(bytes: Uint8Array, type: StoredType, n: number, device: Device, what: string): Tensor {
  const size = STORED_SIZE[type];
  if (bytes.length < n * size) throw new Error(`load: ${what} is truncated: ${bytes.length} bytes for ${n} elements of ${type}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, n * size);
  let arr: Float64Array | Float32Array | Int32Array | Uint8Array;
  let dtype: DType;
  switch (type) {
    case 'F64': arr = new Float64Array(n); for (let i = 0; i < n; i++) arr[i] = dv.getFloat64(8 * i, true); dtype = 'float64'; break;
    case 'F32': arr = new Float32Array(n); for (let i = 0; i < n; i++) arr[i] = dv.getFloat32(4 * i, true); dtype = 'float32'; break;
    case 'F16': arr = new Float32Array(n); for (let i = 0; i < n; i++) arr[i] = f16BitsToF32(dv.getUint16(2 * i, true)); dtype = 'float16'; break;
    case 'BF16': {
      arr = new Float32Array(n);
      const u = new Uint32Array(arr.buffer);
      for (let i = 0; i < n; i++) u[i] = dv.getUint16(2 * i, true) << 16; // bfloat16 is the top half of a float32
      dtype = 'float32';
      break;
    }
    case 'I64': {
      arr = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = dv.getBigInt64(8 * i, true);
        if (v > 2147483647n || v < -2147483648n) throw new RangeError(`load: int64 value ${v} in ${what} does not fit in int32 (torchlet's integer dtype)`);
        arr[i] = Number(v);
      }
      dtype = 'int32';
      break;
    }
    case 'I32': arr = new Int32Array(n); for (let i = 0; i < n; i++) arr[i] = dv.getInt32(4 * i, true); dtype = 'int32'; break;
    case 'I16': arr = new Int32Array(n); for (let i = 0; i < n; i++) arr[i] = dv.getInt16(2 * i, true); dtype = 'int32'; break;
    case 'I8': arr = new Int32Array(n); for (let i = 0; i < n; i++) arr[i] = dv.getInt8(i); dtype = 'int32'; break;
    case 'U8': arr = bytes.slice(0, n); dtype = 'uint8'; break;
    case 'BOOL': arr = Uint8Array.from(bytes.subarray(0, n), (v) => (v ? 1 : 0)); dtype = 'bool'; break;
  }
  if (device === 'cpu' || (dtype !== 'float64' && dtype !== 'float16')) return fromArray(arr, [n], dtype, device);
  // GPU backends may lack float64 (WebGPU has no f64) or float16: place the CPU tensor there,
  // falling back to float32 when the device refuses the dtype.
  const cpu = fromArray(arr, [n], dtype, 'cpu');
  try {
    return cpu.to(device);
  } catch (e) {
    if (!(e instanceof TypeError) || !/not supported/.test(e.message)) throw e;
    const f32 = cpu.to('float32'); // cast on the CPU: the device cannot hold the original dtype
    try { return f32.to(device); } finally { f32.dispose(); }
  } finally {
    cpu.dispose();
  }
}
