// Dtypes: names, element sizes, typed-array constructors and PyTorch's type promotion.
// Pure helpers with no imports from the rest of the library; every backend may use them.
// Promotion follows torch.result_type: categories bool < integer < float; dimensioned tensors
// beat zero-dim tensors, which beat JS numbers, within the same category.

/** Element types a backend kernel sees: 'float32', 'float16', 'float64', 'int32', 'uint8' or 'bool'. */
export type RealDType = 'float32' | 'float16' | 'float64' | 'int32' | 'uint8' | 'bool';
/** Complex element types: stored as interleaved (re, im) pairs of float32 / float64 (see src/ops/complex.ts). */
export type ComplexDType = 'complex64' | 'complex128';
/** Element types a tensor can hold: the real ones, plus 'complex64' and 'complex128' (CPU only). */
export type DType = RealDType | ComplexDType;
/** Every real dtype, in canonical order (the complex ones are COMPLEX_DTYPES). */
export const DTYPES: readonly RealDType[] = ['float32', 'float16', 'float64', 'int32', 'uint8', 'bool'];
/** The complex dtypes. */
export const COMPLEX_DTYPES: readonly ComplexDType[] = ['complex64', 'complex128'];
/** Whether d is a complex dtype. */
export function isComplex(d: DType): d is ComplexDType { return d === 'complex64' || d === 'complex128'; }
/** The real dtype of a complex dtype's parts (complex64 -> float32, complex128 -> float64); a real dtype is returned unchanged. */
export function toRealDType(d: DType): RealDType { return d === 'complex64' ? 'float32' : d === 'complex128' ? 'float64' : d; }
/** The complex dtype whose parts are d (float64 -> complex128, any other -> complex64); complex dtypes are returned unchanged. */
export function toComplexDType(d: DType): ComplexDType { return isComplex(d) ? d : d === 'float64' ? 'complex128' : 'complex64'; }

/** Typed arrays tensor data is stored and read in (float16 as raw bits in Uint16Array). */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array | Uint16Array;

/** Bytes per element of each dtype (torch's element_size). */
export const itemSize: Record<DType, number> = {
  float32: 4, float16: 2, float64: 8, int32: 4, uint8: 1, bool: 1, complex64: 8, complex128: 16,
};

/** The typed array a dtype is stored in (float16 as raw bits in a Uint16Array; complex as interleaved float pairs). */
export function arrayType(d: DType): { new (buf: ArrayBufferLike, off: number, len: number): TypedArray; new (len: number): TypedArray } {
  switch (d) {
    case 'float32': case 'complex64': return Float32Array;
    case 'float64': case 'complex128': return Float64Array;
    case 'float16': return Uint16Array;
    case 'int32': return Int32Array;
    case 'uint8': case 'bool': return Uint8Array;
  }
}

/** Whether d is a floating-point dtype (float16, float32, float64). */
export function isFloating(d: DType): boolean { return d === 'float32' || d === 'float64' || d === 'float16'; }
/** Whether d is an integer dtype (int32, uint8); bool is not counted. */
export function isIntegral(d: DType): boolean { return d === 'int32' || d === 'uint8'; }

/**
 * PyTorch 1.13 dtypes torchlet has no storage for. `torch.int16` and the like are these strings (not
 * undefined, which `{ dtype: undefined }` would silently read as the default float32), so using one
 * fails in checkDType with a message naming it. int64/long are not here: they are int32 (README).
 */
export type UnsupportedDType = 'int8' | 'int16' | 'bfloat16' | 'complex32' | 'qint8' | 'quint8' | 'qint32' | 'quint4x2' | 'quint2x4';
const UNSUPPORTED_DTYPES: readonly string[] = ['int8', 'int16', 'bfloat16', 'complex32', 'qint8', 'quint8', 'qint32', 'quint4x2', 'quint2x4'];

/** Validates a dtype name, returning it typed as DType; throws TypeError otherwise. */
export function checkDType(d: unknown): DType {
  if (typeof d === 'string' && ((DTYPES as readonly string[]).includes(d) || (COMPLEX_DTYPES as readonly string[]).includes(d))) return d as DType;
  const supported = [...DTYPES, ...COMPLEX_DTYPES].join(', ');
  if (typeof d === 'string' && UNSUPPORTED_DTYPES.includes(d)) {
    throw new TypeError(`unsupported dtype '${d}' (torch.${d}): torchlet has no ${d} tensors; supported dtypes are ${supported}`);
  }
  if (d === 'int64') throw new TypeError(`unsupported dtype 'int64': torchlet's integer dtype is int32 (WebGPU has no 64-bit integers); use 'int32' (torch.int64 and torch.long are 'int32'); supported dtypes are ${supported}`);
  throw new TypeError(`invalid dtype ${String(d)}; expected one of ${supported}`);
}

const rank: Record<DType, number> = { bool: 0, uint8: 1, int32: 2, float16: 3, float32: 4, float64: 5, complex64: 6, complex128: 7 };

/** torch.promote_types for two dtypes. */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  // complex with float64 (or complex128) is complex128, as PyTorch; with anything else the complex type.
  if (isComplex(a) || isComplex(b)) return a === 'complex128' || b === 'complex128' || a === 'float64' || b === 'float64' ? 'complex128' : 'complex64';
  // uint8 with int32 -> int32, anything with a float -> the wider float: a total order suffices here.
  return rank[a] >= rank[b] ? a : b;
}

/** An operand of an op as seen by type promotion. */
export type PromotionOperand = { dtype: DType; ndim: number } | number | boolean;

// PyTorch's combine_categories: a lower tier only wins when it brings a higher category.
function combine(higher: DType | null, lower: DType | null): DType | null {
  if (higher === null) return lower;
  if (lower === null || isComplex(higher) || (isFloating(higher) && !isComplex(lower))) return higher;
  if (higher === 'bool' || isFloating(lower) || isComplex(lower)) return promoteTypes(higher, lower);
  return higher;
}

/** Promotes a tier's running dtype with d (null: nothing seen in that tier yet). */
const join = (cur: DType | null, d: DType): DType => (cur === null ? d : promoteTypes(cur, d));
/** torch.result_type over operands (`defaultFloat` is torch.get_default_dtype()): dimensioned tensors outrank 0-d tensors, which outrank numbers, unless a lower tier brings a higher category. */
export function resultType(ops: readonly PromotionOperand[], defaultFloat: DType = 'float32'): DType {
  let dim: DType | null = null, zero: DType | null = null, wrapped: DType | null = null;
  for (const o of ops) {
    if (typeof o === 'boolean') wrapped = join(wrapped, 'bool');
    else if (typeof o === 'number') wrapped = join(wrapped, Number.isInteger(o) ? 'int32' : defaultFloat);
    else if (o.ndim > 0) dim = join(dim, o.dtype);
    else zero = join(zero, o.dtype);
  }
  return combine(dim, combine(zero, wrapped)) ?? defaultFloat;
}

// ---- float16 <-> float32 conversion (CPU storage of float16 tensors) ----
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** Converts a number (first rounded to float32) to float16, round to nearest even, and returns its 16-bit pattern. */
export function f32ToF16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  let exp = ((x >>> 23) & 0xff) - 127 + 15;
  let mant = x & 0x7fffff;
  if (((x >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / nan
  if (exp >= 0x1f) return sign | 0x7c00; // overflow -> inf
  if (exp <= 0) {
    if (exp < -10) return sign; // underflow -> 0
    mant |= 0x800000;
    const shift = 14 - exp;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (exp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++; // round to nearest even (may carry into exp: correct)
  return sign | half;
}
/** The number a float16 bit pattern stands for: one lookup in a 256 KiB table made at first use (float16 kernels read every element through it). */
export function f16BitsToF32(h: number): number {
  return (f16Table ??= f16TableMake())[h & 0xffff]!;
}
let f16Table: Float32Array | null = null;
function f16TableMake(): Float32Array {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) t[h] = f16Decode(h);
  return t;
}
function f16Decode(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** PyTorch's can_cast for in-place results: same or higher category (bool < integer < float) only. */
export function canCast(from: DType, to: DType): boolean {
  const cat = (d: DType) => (d === 'bool' ? 0 : isComplex(d) ? 3 : isFloating(d) ? 2 : 1);
  return cat(from) <= cat(to);
}

const SCALAR_TYPE_NAMES: Record<DType, string> = { float32: 'Float', float64: 'Double', float16: 'Half', int32: 'Int', uint8: 'Byte', bool: 'Bool', complex64: 'ComplexFloat', complex128: 'ComplexDouble' };
/** PyTorch's C++ scalar type name of a dtype ('Float', 'Double', ...), as its error messages and Tensor.type() write it. */
export function scalarTypeName(d: DType): string { return SCALAR_TYPE_NAMES[d] ?? d; }
