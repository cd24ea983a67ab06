/* Every Backend primitive as a CUDA kernel over strided views (TlArgs, abi.h; table in ABI.md).
 * Semantics are the CPU backend's (src/backends/wasm/reference.ts + math.ts): JS typed-array
 * stores (float -> int wraps modulo 2^32, NaN -> 0; NaN is falsy), NaN-first max/min and arg
 * reductions, round half to even, Python-style remainder, stable argsort with NaN last, Philox bit
 * for bit. Compiles with nvcc and, with -DTORCHLET_CUDA_EMU, as host C++: so no shared memory, no
 * __syncthreads, no atomics, no warp intrinsics; every thread's work is independent. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "kernel_api.h"

#ifdef TORCHLET_CUDA_EMU
#define TL_DEV static inline
/* Host x86-64 without -mfma never contracts a*b+c: plain operators round each step. */
TL_DEV float mul_rn(float a, float b) { return a * b; }
TL_DEV float add_rn(float a, float b) { return a + b; }
TL_DEV float div_rn(float a, float b) { return a / b; }
TL_DEV float sqrt_rn(float a) { return sqrtf(a); }
#else
#define TL_DEV static __device__ __forceinline__
/* nvcc contracts a*b+c into one FMA; these intrinsics never are (Adam must match the CPU's bits). */
TL_DEV float mul_rn(float a, float b) { return __fmul_rn(a, b); }
TL_DEV float add_rn(float a, float b) { return __fadd_rn(a, b); }
TL_DEV float div_rn(float a, float b) { return __fdiv_rn(a, b); }
TL_DEV float sqrt_rn(float a) { return __fsqrt_rn(a); }
#endif

/* Op codes: positions in UNARY_OPS / BINARY_OPS / REDUCE_OPS of src/backends/backend.ts. */
enum {
  U_NEG, U_ABS, U_SIGN, U_EXP, U_EXPM1, U_LOG, U_LOG1P, U_LOG2, U_SQRT, U_RSQRT, U_SIN, U_COS, U_TAN,
  U_ASIN, U_ACOS, U_ATAN, U_SINH, U_COSH, U_TANH, U_ASINH, U_ACOSH, U_ATANH, U_SIGMOID, U_ERF, U_ERFC, U_ERFINV,
  U_FLOOR, U_CEIL, U_ROUND, U_TRUNC, U_RECIPROCAL, U_RELU, U_LOGICAL_NOT, U_ISNAN, U_ISINF, U_BITWISE_NOT
};
enum {
  B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MAXIMUM, B_MINIMUM, B_ATAN2, B_FMOD, B_REMAINDER, B_FLOOR_DIVIDE,
  B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE, B_LOGICAL_AND, B_LOGICAL_OR, B_LOGICAL_XOR,
  B_BITWISE_AND, B_BITWISE_OR, B_BITWISE_XOR
};
enum { R_SUM, R_PROD, R_MAX, R_MIN, R_ARGMAX, R_ARGMIN, R_ALL, R_ANY };

/* ---------------------------------------------------------------- float16 bits (as src/dtype.ts) */

TL_DEV uint32_t f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
TL_DEV float bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/* f32ToF16Bits: round to nearest even, NaN -> quiet NaN with the sign kept, overflow -> inf. */
TL_DEV uint16_t f32_to_f16(float v) {
  uint32_t x = f32_bits(v);
  uint32_t sign = (x >> 16) & 0x8000u;
  int32_t e8 = (int32_t)((x >> 23) & 0xffu);
  int32_t exp = e8 - 127 + 15;
  uint32_t mant = x & 0x7fffffu;
  if (e8 == 0xff) return (uint16_t)(sign | 0x7c00u | (mant ? 0x200u : 0u));
  if (exp >= 0x1f) return (uint16_t)(sign | 0x7c00u);
  if (exp <= 0) {
    if (exp < -10) return (uint16_t)sign;
    mant |= 0x800000u;
    uint32_t shift = (uint32_t)(14 - exp);
    uint32_t half = mant >> shift, rem = mant & ((1u << shift) - 1u), mid = 1u << (shift - 1u);
    if (rem > mid || (rem == mid && (half & 1u))) half++;
    return (uint16_t)(sign | half);
  }
  uint32_t half = ((uint32_t)exp << 10) | (mant >> 13);
  uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1u))) half++;
  return (uint16_t)(sign | half);
}

TL_DEV float f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  if (exp == 0) {
    float m = (float)mant * 5.9604644775390625e-8f; /* 2^-24: subnormals and zero, exact */
    return sign ? -m : m;
  }
  if (exp == 0x1f) return bits_f32(sign | 0x7f800000u | (mant << 13));
  return bits_f32(sign | ((exp + 112u) << 23) | (mant << 13));
}

/* ---------------------------------------------------------------- loads and stores */

TL_DEV bool is_inf(double x) { return x == INFINITY || x == -INFINITY; }
/* JavaScript truthiness of a number: 0 and NaN are false (the CPU's `x ? 1 : 0`). */
TL_DEV bool truthy(double x) { return x != 0 && x == x; }

/** Element idx of `shape`'s row-major order -> offset in a view of that shape with v's strides. */
TL_DEV int64_t off_in(const TlView& shape, const TlView& v, int64_t idx) {
  if (shape.ndim == 1) return v.offset + idx * v.strides[0]; /* collapsed dense operands: no division */
  int64_t off = v.offset;
  for (int d = shape.ndim - 1; d >= 0; d--) {
    int64_t s = shape.shape[d], q = idx / s;
    off += (idx - q * s) * v.strides[d];
    idx = q;
  }
  return off;
}
/** Element idx (row-major over v's own shape) -> element offset in v. */
TL_DEV int64_t off_of(const TlView& v, int64_t idx) { return off_in(v, v, idx); }

/** Any dtype's value as a double (exact for every dtype). */
TL_DEV double ld(const TlView& v, int64_t o) {
  switch (v.dtype) {
    case TL_F32: return ((const float*)(uintptr_t)v.ptr)[o];
    case TL_F16: return f16_to_f32(((const uint16_t*)(uintptr_t)v.ptr)[o]);
    case TL_F64: return ((const double*)(uintptr_t)v.ptr)[o];
    case TL_I32: return ((const int32_t*)(uintptr_t)v.ptr)[o];
    default: return ((const uint8_t*)(uintptr_t)v.ptr)[o];
  }
}
/** float32/float16 as float (their compute type). */
TL_DEV float ldf(const TlView& v, int64_t o) {
  return v.dtype == TL_F16 ? f16_to_f32(((const uint16_t*)(uintptr_t)v.ptr)[o]) : ((const float*)(uintptr_t)v.ptr)[o];
}
/** Integer dtypes (int32, uint8, bool) as int64. */
TL_DEV int64_t ldi(const TlView& v, int64_t o) {
  return v.dtype == TL_I32 ? (int64_t)((const int32_t*)(uintptr_t)v.ptr)[o] : (int64_t)((const uint8_t*)(uintptr_t)v.ptr)[o];
}

/** ECMAScript ToInt32 / ToUint8 of a double (NaN, inf -> 0; modular wrap). */
TL_DEV uint32_t to_u32_wrap(double v) {
  if (!(v == v) || is_inf(v)) return 0u;
  double t = trunc(v);
  if (t >= -2147483648.0 && t < 4294967296.0) return t < 0 ? (uint32_t)(int32_t)t : (uint32_t)t;
  double m = fmod(t, 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return (uint32_t)m;
}

/** A JS typed-array store of a double into v's dtype (bool: truthiness). */
TL_DEV void st(const TlView& v, int64_t o, double x) {
  switch (v.dtype) {
    case TL_F32: ((float*)(uintptr_t)v.ptr)[o] = (float)x; break;
    case TL_F16: ((uint16_t*)(uintptr_t)v.ptr)[o] = f32_to_f16((float)x); break;
    case TL_F64: ((double*)(uintptr_t)v.ptr)[o] = x; break;
    case TL_I32: ((int32_t*)(uintptr_t)v.ptr)[o] = (int32_t)to_u32_wrap(x); break;
    case TL_U8: ((uint8_t*)(uintptr_t)v.ptr)[o] = (uint8_t)(to_u32_wrap(x) & 255u); break;
    default: ((uint8_t*)(uintptr_t)v.ptr)[o] = truthy(x) ? 1 : 0; break;
  }
}
/** Stores a float result (float32 compute type) without a detour through double rounding rules. */
TL_DEV void stf(const TlView& v, int64_t o, float x) {
  if (v.dtype == TL_F32) ((float*)(uintptr_t)v.ptr)[o] = x;
  else if (v.dtype == TL_F16) ((uint16_t*)(uintptr_t)v.ptr)[o] = f32_to_f16(x);
  else st(v, o, (double)x);
}
/** Stores an integer result, wrapping as the typed arrays do. */
TL_DEV void sti(const TlView& v, int64_t o, int64_t x) {
  switch (v.dtype) {
    case TL_I32: ((int32_t*)(uintptr_t)v.ptr)[o] = (int32_t)(uint32_t)(uint64_t)x; break;
    case TL_U8: ((uint8_t*)(uintptr_t)v.ptr)[o] = (uint8_t)((uint64_t)x & 255u); break;
    case TL_BOOL: ((uint8_t*)(uintptr_t)v.ptr)[o] = x != 0 ? 1 : 0; break;
    default: st(v, o, (double)x); break;
  }
}
TL_DEV int dsize(int dtype) { return dtype == TL_F64 ? 8 : dtype == TL_F32 || dtype == TL_I32 ? 4 : dtype == TL_F16 ? 2 : 1; }
/** Same-dtype element copy: the bits as they are (NaN payloads included). */
TL_DEV void copy_raw(const TlView& s, int64_t so, const TlView& d, int64_t dof) {
  switch (dsize(d.dtype)) {
    case 8: ((uint64_t*)(uintptr_t)d.ptr)[dof] = ((const uint64_t*)(uintptr_t)s.ptr)[so]; break;
    case 4: ((uint32_t*)(uintptr_t)d.ptr)[dof] = ((const uint32_t*)(uintptr_t)s.ptr)[so]; break;
    case 2: ((uint16_t*)(uintptr_t)d.ptr)[dof] = ((const uint16_t*)(uintptr_t)s.ptr)[so]; break;
    default: ((uint8_t*)(uintptr_t)d.ptr)[dof] = ((const uint8_t*)(uintptr_t)s.ptr)[so]; break;
  }
}
/** Raises a data check: [flag, value] words at v3 (racing writers all write offending values). */
TL_DEV void flag(const TlView& f, int64_t value) {
  int32_t* w = (int32_t*)(uintptr_t)f.ptr + f.offset;
  w[1] = (int32_t)value;
  w[0] = 1;
}
TL_DEV bool is_float(int dtype) { return dtype == TL_F32 || dtype == TL_F16 || dtype == TL_F64; }

/* ---------------------------------------------------------------- fill, arange, copy */

TL_KERNEL(tl_fill) {
  TL_FOR_EACH(idx) st(a.v[0], off_of(a.v[0], idx), a.f[0]);
}

TL_KERNEL(tl_arange) {
  TL_FOR_EACH(idx) st(a.v[0], a.v[0].offset + idx, a.f[0] + (double)idx * a.f[1]);
}

TL_KERNEL(tl_copy) {
  const TlView &s = a.v[0], &d = a.v[1];
  TL_FOR_EACH(idx) {
    int64_t so = off_in(d, s, idx), dof = off_of(d, idx);
    if (s.dtype == d.dtype) copy_raw(s, so, d, dof);
    else st(d, dof, ld(s, so));
  }
}

/* ---------------------------------------------------------------- unary */

/* erfinv as math.ts: Giles' single-precision approximation, then two Newton steps on erf. */
TL_DEV double erfinv_d(double y) {
  if (y <= -1) return y == -1 ? -INFINITY : NAN;
  if (y >= 1) return y == 1 ? INFINITY : NAN;
  if (!(y == y)) return NAN;
  double w = -log((1 - y) * (1 + y)), p;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-08; p = 3.43273939e-07 + p * w; p = -3.5233877e-06 + p * w; p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w; p = -0.00125372503 + p * w; p = -0.00417768164 + p * w; p = 0.246640727 + p * w; p = 1.50140941 + p * w;
  } else {
    w = sqrt(w) - 3;
    p = -0.000200214257; p = 0.000100950558 + p * w; p = 0.00134934322 + p * w; p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w; p = -0.0076224613 + p * w; p = 0.00943887047 + p * w; p = 1.00167406 + p * w; p = 2.83297682 + p * w;
  }
  double x = p * y;
  for (int i = 0; i < 2; i++) x -= (erf(x) - y) / (1.1283791670955126 * exp(-x * x));
  return x;
}

/* One unary op in T (float for float32/float16, double for float64 and the integer dtypes, as the
 * CPU applies its double functions to integers); bool-valued ops return 0/1. */
template <class T> TL_DEV T unary_op(int op, T x) {
  switch (op) {
    case U_NEG: return -x;
    case U_ABS: return x < 0 ? -x : x == 0 ? (T)0 : x;
    case U_SIGN: return x > 0 ? (T)1 : x < 0 ? (T)-1 : (T)0;
    case U_EXP: return exp(x);
    case U_EXPM1: return expm1(x);
    case U_LOG: return log(x);
    case U_LOG1P: return log1p(x);
    case U_LOG2: return log2(x);
    case U_SQRT: return sqrt(x);
    case U_RSQRT: return (T)1 / sqrt(x);
    case U_SIN: return sin(x);
    case U_COS: return cos(x);
    case U_TAN: return tan(x);
    case U_ASIN: return asin(x);
    case U_ACOS: return acos(x);
    case U_ATAN: return atan(x);
    case U_SINH: return sinh(x);
    case U_COSH: return cosh(x);
    case U_TANH: return tanh(x);
    case U_ASINH: return asinh(x);
    case U_ACOSH: return acosh(x);
    case U_ATANH: return atanh(x);
    case U_SIGMOID: { if (x >= 0) return (T)1 / ((T)1 + exp(-x)); T e = exp(x); return e / ((T)1 + e); }
    case U_ERF: return erf(x);
    case U_ERFC: return erfc(x);
    case U_ERFINV: return (T)erfinv_d((double)x);
    case U_FLOOR: return floor(x);
    case U_CEIL: return ceil(x);
    case U_ROUND: return rint(x); /* the default rounding mode: half to even */
    case U_TRUNC: return trunc(x);
    case U_RECIPROCAL: return (T)1 / x;
    case U_RELU: return x > 0 ? x : (x == 0 || x < 0) ? (T)0 : x; /* NaN stays NaN */
    case U_LOGICAL_NOT: return truthy((double)x) ? (T)0 : (T)1;
    case U_ISNAN: return x != x ? (T)1 : (T)0;
    case U_ISINF: return is_inf((double)x) ? (T)1 : (T)0;
    default: return x;
  }
}
TL_KERNEL(tl_unary) {
  const TlView &x = a.v[0], &out = a.v[1];
  const int op = (int)a.i[0];
  TL_FOR_EACH(idx) {
    int64_t xo = off_in(out, x, idx), oo = off_of(out, idx);
    if (op == U_BITWISE_NOT) {
      int64_t v = ldi(x, xo);
      sti(out, oo, x.dtype == TL_BOOL ? (v ? 0 : 1) : ~v);
    } else if (x.dtype == TL_F32 || x.dtype == TL_F16) {
      stf(out, oo, unary_op<float>(op, ldf(x, xo)));
    } else {
      st(out, oo, unary_op<double>(op, ld(x, xo)));
    }
  }
}

/* ---------------------------------------------------------------- binary */

/* C's pow with the CPU's special cases (pow(1, NaN) = pow(x, 0) = pow(-1, +-inf) = 1). */
template <class T> TL_DEV T pow_c(T x, T y) {
  if (x == 1 || y == 0 || (x == -1 && is_inf((double)y))) return (T)1;
  return pow(x, y);
}

template <class T> TL_DEV T binary_f(int op, T x, T y) {
  switch (op) {
    case B_ADD: return x + y;
    case B_SUB: return x - y;
    case B_MUL: return x * y;
    case B_DIV: return x / y;
    case B_POW: return pow_c(x, y);
    case B_MAXIMUM: return (x != x || y != y) ? (T)NAN : x > y ? x : y;
    case B_MINIMUM: return (x != x || y != y) ? (T)NAN : x < y ? x : y;
    case B_ATAN2: return atan2(x, y);
    case B_FMOD: return fmod(x, y);
    case B_REMAINDER: { T r = fmod(x, y); return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r; }
    case B_FLOOR_DIVIDE: return floor(x / y);
    case B_EQ: return x == y;
    case B_NE: return x != y;
    case B_LT: return x < y;
    case B_LE: return x <= y;
    case B_GT: return x > y;
    case B_GE: return x >= y;
    case B_LOGICAL_AND: return truthy((double)x) && truthy((double)y);
    case B_LOGICAL_OR: return truthy((double)x) || truthy((double)y);
    case B_LOGICAL_XOR: return truthy((double)x) != truthy((double)y);
    default: return (T)0; /* bitwise ops are refused for floats by the ops layer */
  }
}

/* Integer ops as intBinaryFns (int32/uint8): 32-bit wrapping products, truncating division, Python
 * remainder; division by zero and negative powers raise a data check (flag). */
TL_DEV int64_t binary_i(int op, int64_t x, int64_t y, bool* bad) {
  switch (op) {
    case B_ADD: return x + y;
    case B_SUB: return x - y;
    case B_MUL: return (int64_t)(int32_t)((uint32_t)x * (uint32_t)y);
    case B_DIV: if (y == 0) { *bad = true; return 0; } return x / y;
    case B_FLOOR_DIVIDE: {
      if (y == 0) { *bad = true; return 0; }
      int64_t q = x / y;
      return (q * y != x && ((x < 0) != (y < 0))) ? q - 1 : q;
    }
    case B_FMOD: if (y == 0) { *bad = true; return 0; } return x % y;
    case B_REMAINDER: {
      if (y == 0) { *bad = true; return 0; }
      int64_t r = x % y;
      return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r;
    }
    case B_POW: {
      if (y < 0) { *bad = true; return 0; }
      uint32_t r = 1, b = (uint32_t)x;
      for (int64_t e = y; e > 0; e >>= 1) { if (e & 1) r *= b; b *= b; }
      return (int64_t)(int32_t)r;
    }
    case B_MAXIMUM: return x > y ? x : y;
    case B_MINIMUM: return x < y ? x : y;
    case B_ATAN2: return 0; /* not reached: handled in double below */
    case B_EQ: return x == y;
    case B_NE: return x != y;
    case B_LT: return x < y;
    case B_LE: return x <= y;
    case B_GT: return x > y;
    case B_GE: return x >= y;
    case B_LOGICAL_AND: return x != 0 && y != 0;
    case B_LOGICAL_OR: return x != 0 || y != 0;
    case B_LOGICAL_XOR: return (x != 0) != (y != 0);
    case B_BITWISE_AND: return x & y;
    case B_BITWISE_OR: return x | y;
    case B_BITWISE_XOR: return x ^ y;
    default: return 0;
  }
}

/** v0 a, v1 b (broadcast to out by strides, one dtype), v2 out; i0 op; v3 flag word (integer division). */
TL_KERNEL(tl_binary) {
  const TlView &x = a.v[0], &y = a.v[1], &out = a.v[2];
  const int op = (int)a.i[0];
  const bool intOps = (x.dtype == TL_I32 || x.dtype == TL_U8) && op != B_ATAN2;
  TL_FOR_EACH(idx) {
    int64_t xo = off_in(out, x, idx), yo = off_in(out, y, idx), oo = off_of(out, idx);
    if (intOps) {
      bool bad = false;
      int64_t yv = ldi(y, yo);
      int64_t r = binary_i(op, ldi(x, xo), yv, &bad);
      if (bad) { if (a.v[3].ptr) flag(a.v[3], yv); r = 0; }
      sti(out, oo, r);
    } else if (x.dtype == TL_F32 || x.dtype == TL_F16) {
      stf(out, oo, binary_f<float>(op, ldf(x, xo), ldf(y, yo)));
    } else if (x.dtype == TL_BOOL && op >= B_BITWISE_AND) {
      sti(out, oo, binary_i(op, ldi(x, xo), ldi(y, yo), nullptr));
    } else {
      st(out, oo, binary_f<double>(op, ld(x, xo), ld(y, yo)));
    }
  }
}

/** v0 cond, v1 a, v2 b, v3 out (all broadcast to out). */
TL_KERNEL(tl_where) {
  const TlView &c = a.v[0], &x = a.v[1], &y = a.v[2], &out = a.v[3];
  TL_FOR_EACH(idx) {
    int64_t oo = off_of(out, idx);
    const TlView& s = truthy(ld(c, off_in(out, c, idx))) ? x : y;
    int64_t so = off_in(out, s, idx);
    if (s.dtype == out.dtype) copy_raw(s, so, out, oo); else st(out, oo, ld(s, so));
  }
}

/* ---------------------------------------------------------------- reductions */

/* Walks the reduced (last nr) dims of x from linear position r0: an odometer, one step per element. */
struct Inner {
  int nd;
  int64_t shape[TL_MAX_DIMS], strides[TL_MAX_DIMS], idx[TL_MAX_DIMS];
  int64_t off;
};
TL_DEV void inner_init(Inner& it, const TlView& x, int nr, int64_t base, int64_t r0) {
  it.nd = nr;
  const int k = x.ndim - nr;
  it.off = base;
  for (int d = nr - 1; d >= 0; d--) {
    it.shape[d] = x.shape[k + d];
    it.strides[d] = x.strides[k + d];
    int64_t q = r0 / it.shape[d];
    it.idx[d] = r0 - q * it.shape[d];
    it.off += it.idx[d] * it.strides[d];
    r0 = q;
  }
}
TL_DEV void inner_next(Inner& it) {
  for (int d = it.nd - 1; d >= 0; d--) {
    it.off += it.strides[d];
    if (++it.idx[d] < it.shape[d]) return;
    it.off -= it.strides[d] * it.shape[d];
    it.idx[d] = 0;
  }
}
/** Offset in x of output o's first reduced element (o walks the kept dims row-major). */
TL_DEV int64_t outer_base(const TlView& x, int nr, int64_t o) {
  int64_t off = x.offset;
  for (int d = x.ndim - nr - 1; d >= 0; d--) {
    int64_t s = x.shape[d], q = o / s;
    off += (o - q * s) * x.strides[d];
    o = q;
  }
  return off;
}

/* A partial reduction's state: value (double for floats, int64 for integer sums/products), and the
 * position of the arg reductions. NaN rules as reference.ts: the first NaN met stops max/min. */
struct Acc { double v; int64_t iv; int64_t at; bool started; };

TL_DEV void acc_init(int op, Acc& s) {
  s.v = op == R_PROD || op == R_ALL ? 1 : 0;
  s.iv = op == R_PROD ? 1 : 0;
  s.at = 0;
  s.started = false;
}
/** Folds value v at reduced position r into s (integer sums/products: iv, exactly). */
TL_DEV void acc_add(int op, bool ints, Acc& s, double v, int64_t iv, int64_t r) {
  switch (op) {
    case R_SUM: if (ints) s.iv += iv; else s.v += v; break;
    case R_PROD: if (ints) s.iv = (int64_t)((uint64_t)s.iv * (uint64_t)iv); else s.v *= v; break;
    case R_MAX: case R_MIN: case R_ARGMAX: case R_ARGMIN: {
      if (!s.started) { s.v = v; s.at = r; s.started = true; break; }
      if (s.v != s.v) break;
      bool mx = op == R_MAX || op == R_ARGMAX;
      if (v != v || (mx ? v > s.v : v < s.v)) { s.v = v; s.at = r; }
      break;
    }
    case R_ALL: if (!truthy(v)) s.v = 0; break;
    case R_ANY: if (truthy(v)) s.v = 1; break;
  }
}
TL_DEV void acc_store(int op, bool ints, const Acc& s, const TlView& out, int64_t o) {
  if (op == R_ARGMAX || op == R_ARGMIN) sti(out, o, s.at);
  else if (ints && (op == R_SUM || op == R_PROD)) sti(out, o, s.iv);
  else st(out, o, s.v);
}

/** i0 op, i1 nReduce, i2 stage: 0 whole (n = outputs), 1 partials (n = outputs * parts) into v2
 * (float64 values) and v3 (float64 positions / integer values), 2 final from them (n = outputs);
 * i3 parts. Parts split the reduced elements into equal consecutive runs, combined in order. */
TL_KERNEL(tl_reduce) {
  const TlView &x = a.v[0], &out = a.v[1], &pv = a.v[2], &pi = a.v[3];
  const int op = (int)a.i[0], nr = (int)a.i[1], stage = (int)a.i[2];
  const int64_t parts = a.i[3] > 0 ? a.i[3] : 1;
  const bool ints = !is_float(x.dtype);
  int64_t R = 1;
  for (int d = x.ndim - nr; d < x.ndim; d++) R *= x.shape[d];
  const int64_t chunk = (R + parts - 1) / parts;
  double* pvp = (double*)(uintptr_t)pv.ptr;
  double* pip = (double*)(uintptr_t)pi.ptr;
  TL_FOR_EACH(idx) {
    Acc s;
    acc_init(op, s);
    if (stage == 2) {
      for (int64_t p = 0; p < parts; p++) {
        int64_t j = idx * parts + p;
        int64_t r0 = p * chunk;
        if (r0 >= R) break;
        /* Partials carry their own state: sums and products fold, the others compare as values. */
        if (op == R_SUM) { if (ints) s.iv += (int64_t)pip[j]; else s.v += pvp[j]; }
        else if (op == R_PROD) { if (ints) s.iv = (int64_t)((uint64_t)s.iv * (uint64_t)(int64_t)pip[j]); else s.v *= pvp[j]; }
        else acc_add(op, ints, s, pvp[j], 0, (int64_t)pip[j]);
      }
      acc_store(op, ints, s, out, out.offset + idx);
      continue;
    }
    int64_t o = stage == 1 ? idx / parts : idx;
    int64_t r0 = stage == 1 ? (idx % parts) * chunk : 0;
    int64_t r1 = stage == 1 ? (r0 + chunk < R ? r0 + chunk : R) : R;
    Inner it;
    it.nd = 0; it.off = 0;
    if (R > 0) inner_init(it, x, nr, outer_base(x, nr, o), r0 < R ? r0 : 0);
    for (int64_t r = r0; r < r1; r++) {
      double v = ld(x, it.off);
      acc_add(op, ints, s, v, ints ? (int64_t)v : 0, r);
      if ((op == R_ALL && s.v == 0) || (op == R_ANY && s.v == 1)) break;
      inner_next(it);
    }
    if (stage == 1) {
      /* Integer partials modulo 2^32 (exact in a double): the int32 result is the same modulo 2^32. */
      if (op == R_SUM || op == R_PROD) { pvp[idx] = s.v; pip[idx] = (double)(int32_t)(uint32_t)(uint64_t)s.iv; }
      else { pvp[idx] = s.v; pip[idx] = (double)s.at; }
    } else {
      acc_store(op, ints, s, out, out.offset + idx);
    }
  }
}

/** v0 x, v1 out (contiguous [rows, L]); i0 0 cumsum / 1 cumprod; n = rows. */
TL_KERNEL(tl_scan) {
  const TlView &x = a.v[0], &out = a.v[1];
  const bool prod = a.i[0] == 1, ints = !is_float(x.dtype);
  const int64_t L = x.ndim ? x.shape[x.ndim - 1] : 1, s = x.ndim ? x.strides[x.ndim - 1] : 0;
  TL_FOR_EACH(row) {
    int64_t xo = outer_base(x, x.ndim ? 1 : 0, row), oo = out.offset + row * L;
    double acc = prod ? 1 : 0;
    int64_t iacc = prod ? 1 : 0;
    for (int64_t j = 0; j < L; j++, xo += s) {
      if (ints) {
        int64_t v = ldi(x, xo);
        iacc = prod ? (int64_t)((uint64_t)iacc * (uint64_t)v) : iacc + v;
        sti(out, oo + j, iacc);
      } else {
        double v = ld(x, xo);
        acc = prod ? acc * v : acc + v;
        st(out, oo + j, acc);
      }
    }
  }
}

/* ---------------------------------------------------------------- matmul fallback */

/** v0 a [B,M,K], v1 b [B,K,N] (any strides, batch stride 0 = broadcast), v2 out [B,M,N] contiguous.
 * One thread per output; float32 accumulation for float32/float16, float64 for float64, 32-bit
 * wrapping integers for int32/uint8. cuBLAS takes the float GEMMs on a real GPU. */
TL_KERNEL(tl_matmul) {
  const TlView &A = a.v[0], &Bv = a.v[1], &out = a.v[2];
  const int64_t M = A.shape[1], K = A.shape[2], N = Bv.shape[2];
  TL_FOR_EACH(idx) {
    int64_t j = idx % N, t = idx / N, i = t % M, bi = t / M;
    int64_t ao = A.offset + bi * A.strides[0] + i * A.strides[1], bo = Bv.offset + bi * Bv.strides[0] + j * Bv.strides[2];
    int64_t oo = out.offset + idx;
    if (A.dtype == TL_F64) {
      double acc = 0;
      for (int64_t k = 0; k < K; k++) acc += ld(A, ao + k * A.strides[2]) * ld(Bv, bo + k * Bv.strides[1]);
      st(out, oo, acc);
    } else if (A.dtype == TL_F32 || A.dtype == TL_F16) {
      float acc = 0;
      for (int64_t k = 0; k < K; k++) acc += ldf(A, ao + k * A.strides[2]) * ldf(Bv, bo + k * Bv.strides[1]);
      stf(out, oo, acc);
    } else {
      uint32_t acc = 0;
      for (int64_t k = 0; k < K; k++) acc += (uint32_t)ldi(A, ao + k * A.strides[2]) * (uint32_t)ldi(Bv, bo + k * Bv.strides[1]);
      sti(out, oo, (int64_t)(int32_t)acc);
    }
  }
}

/* ---------------------------------------------------------------- im2col / col2im */

/* The conv-family kernels' geometry (i0..i9: kh kw sh sw ph pw dh dw OH OW) and the C, H, W of the
 * [N,C,H,W] image view `img`. */
#define TL_CONV_GEOMETRY(img)                                                                          \
  const int64_t kh = a.i[0], kw = a.i[1], sh = a.i[2], sw = a.i[3], ph = a.i[4], pw = a.i[5], dh = a.i[6], \
                dw = a.i[7], OH = a.i[8], OW = a.i[9], C = (img).shape[1], H = (img).shape[2], W = (img).shape[3]

/** v0 x [N,C,H,W] (any strides), v1 out [N, C*kh*kw, OH*OW] contiguous; i0..i7 kh kw sh sw ph pw dh dw,
 * i8 OH, i9 OW; f0 padValue. One thread per output element. */
TL_KERNEL(tl_im2col) {
  const TlView &x = a.v[0], &out = a.v[1];
  TL_CONV_GEOMETRY(x);
  const int64_t L = OH * OW, rows = C * kh * kw;
  TL_FOR_EACH(idx) {
    int64_t l = idx % L, t = idx / L, row = t % rows, n = t / rows;
    int64_t kj = row % kw, ki = (row / kw) % kh, c = row / (kh * kw);
    int64_t y = (l / OW) * sh - ph + ki * dh, xx = (l % OW) * sw - pw + kj * dw;
    int64_t oo = out.offset + idx;
    if (y >= 0 && y < H && xx >= 0 && xx < W) {
      int64_t xo = x.offset + n * x.strides[0] + c * x.strides[1] + y * x.strides[2] + xx * x.strides[3];
      if (x.dtype == out.dtype) copy_raw(x, xo, out, oo); else st(out, oo, ld(x, xo));
    } else {
      st(out, oo, a.f[0]);
    }
  }
}

/** v0 cols [N, C*kh*kw, OH*OW] (any strides), v1 out [N,C,H,W] contiguous; params as im2col. One
 * thread per output pixel sums its windows in (ki, kj) order, as the CPU's loops add them. */
TL_KERNEL(tl_col2im) {
  const TlView &cols = a.v[0], &out = a.v[1];
  TL_CONV_GEOMETRY(out);
  TL_FOR_EACH(idx) {
    int64_t xx = idx % W, t = idx / W, y = t % H; t /= H;
    int64_t c = t % C, n = t / C;
    double accd = 0;
    float accf = 0;
    for (int64_t ki = 0; ki < kh; ki++) {
      int64_t ty = y + ph - ki * dh;
      if (ty < 0 || ty % sh != 0 || ty / sh >= OH) continue;
      for (int64_t kj = 0; kj < kw; kj++) {
        int64_t tx = xx + pw - kj * dw;
        if (tx < 0 || tx % sw != 0 || tx / sw >= OW) continue;
        int64_t row = (c * kh + ki) * kw + kj;
        int64_t co = cols.offset + n * cols.strides[0] + row * cols.strides[1] + ((ty / sh) * OW + tx / sw) * cols.strides[2];
        if (out.dtype == TL_F32 || out.dtype == TL_F16) accf += ldf(cols, co); else accd += ld(cols, co);
      }
    }
    if (out.dtype == TL_F32 || out.dtype == TL_F16) stf(out, out.offset + idx, accf); else st(out, out.offset + idx, accd);
  }
}

/** v0 x [N,C,H,W], v1 out, v2 idx (int32) [N,C,OH,OW] contiguous; i0..i7 kh kw sh sw ph pw dh dw, i8 OH,
 * i9 OW. Cells outside x are skipped; the first in-bounds cell starts the scan, a later one replaces
 * it when greater or NaN (PyTorch's rule); idx is the flat y*W + x of the maximum. */
TL_KERNEL(tl_max_pool2d) {
  const TlView &x = a.v[0], &out = a.v[1], &ix = a.v[2];
  TL_CONV_GEOMETRY(x);
  TL_FOR_EACH(idx) {
    int64_t ox = idx % OW, t = idx / OW, oy = t % OH; t /= OH;
    int64_t c = t % C, n = t / C;
    int64_t base = x.offset + n * x.strides[0] + c * x.strides[1], best = -1, bo = base;
    double m = 0;
    for (int64_t ki = 0; ki < kh; ki++) {
      int64_t y = oy * sh - ph + ki * dh;
      if (y < 0 || y >= H) continue;
      for (int64_t kj = 0; kj < kw; kj++) {
        int64_t xx = ox * sw - pw + kj * dw;
        if (xx < 0 || xx >= W) continue;
        int64_t o = base + y * x.strides[2] + xx * x.strides[3];
        double v = ld(x, o);
        if (best < 0 || v > m || v != v) { m = v; best = y * W + xx; bo = o; }
      }
    }
    copy_raw(x, bo, out, out.offset + idx);
    sti(ix, ix.offset + idx, best);
  }
}

/** v0 g [N,C,OH,OW], v1 idx (int32, maxPool2d's) [N,C,OH,OW], v2 out [N,C,H,W] contiguous; i0..i9 as
 * tl_max_pool2d. Gather formulation: each out cell walks the windows covering it in increasing output
 * order (ki, kj descending) and adds the g of those whose idx names it, in g's precision, from 0: a
 * scatter-add's order and bits, without atomics. */
TL_KERNEL(tl_max_pool2d_backward) {
  const TlView &g = a.v[0], &ix = a.v[1], &out = a.v[2];
  TL_CONV_GEOMETRY(out);
  TL_FOR_EACH(idx) {
    int64_t xx = idx % W, t = idx / W, y = t % H; t /= H;
    int64_t c = t % C, n = t / C, cell = y * W + xx;
    int64_t gb = g.offset + n * g.strides[0] + c * g.strides[1], ib = ix.offset + n * ix.strides[0] + c * ix.strides[1];
    const bool f = out.dtype == TL_F32 || out.dtype == TL_F16;
    st(out, out.offset + idx, 0);
    for (int64_t ki = kh - 1; ki >= 0; ki--) {
      int64_t ty = y + ph - ki * dh;
      if (ty < 0 || ty % sh != 0 || ty / sh >= OH) continue;
      for (int64_t kj = kw - 1; kj >= 0; kj--) {
        int64_t tx = xx + pw - kj * dw;
        if (tx < 0 || tx % sw != 0 || tx / sw >= OW) continue;
        int64_t oy = ty / sh, ox = tx / sw;
        if (((const int32_t*)(uintptr_t)ix.ptr)[ib + oy * ix.strides[2] + ox * ix.strides[3]] != cell) continue;
        int64_t go = gb + oy * g.strides[2] + ox * g.strides[3], o = out.offset + idx;
        // As tl_scatter adds: through out's storage, so a float16 sum rounds at each step as there.
        if (f) stf(out, o, ldf(out, o) + ldf(g, go)); else st(out, o, ld(out, o) + ld(g, go));
      }
    }
  }
}

/* ---------------------------------------------------------------- gather / scatter / checks */

/** v0 x, v1 index (int32, out's shape), v2 out (contiguous); i0 dim; v3 flag word. */
TL_KERNEL(tl_gather) {
  const TlView &x = a.v[0], &ix = a.v[1], &out = a.v[2];
  const int dim = (int)a.i[0];
  const int64_t size = x.shape[dim];
  TL_FOR_EACH(idx) {
    int64_t xo = x.offset, io = ix.offset, rem = idx;
    for (int d = out.ndim - 1; d >= 0; d--) {
      int64_t s = out.shape[d], q = rem / s, c = rem - q * s;
      if (d != dim) xo += c * x.strides[d];
      io += c * ix.strides[d];
      rem = q;
    }
    int64_t oo = out.offset + idx;
    int64_t v = ((const int32_t*)(uintptr_t)ix.ptr)[io];
    if (v < -size || v >= size) { flag(a.v[3], v); st(out, oo, 0); continue; }
    if (v < 0) v += size;
    xo += v * x.strides[dim];
    if (x.dtype == out.dtype) copy_raw(x, xo, out, oo); else st(out, oo, ld(x, xo));
  }
}

/** v0 out (contiguous), v1 index (int32), v2 src (index's shape by strides); i0 dim, i1 0 set / 1 add;
 * v3 flag word. One thread per line of the index along `dim`: lines write disjoint lines of out, and
 * each walks its line in order, so duplicates resolve as the CPU's sequential loop (last write wins,
 * sums in order) without atomics. n = numel(index) / index.shape[dim]. */
TL_KERNEL(tl_scatter) {
  const TlView &out = a.v[0], &ix = a.v[1], &src = a.v[2];
  const int dim = (int)a.i[0];
  const bool add = a.i[1] == 1;
  const int64_t size = out.shape[dim], L = ix.shape[dim];
  int64_t ost[TL_MAX_DIMS];
  int64_t acc = 1;
  for (int d = out.ndim - 1; d >= 0; d--) { ost[d] = acc; acc *= out.shape[d]; }
  TL_FOR_EACH(line) {
    int64_t oo = out.offset, io = ix.offset, so = src.offset, rem = line;
    for (int d = ix.ndim - 1; d >= 0; d--) {
      if (d == dim) continue;
      int64_t s = ix.shape[d], q = rem / s, c = rem - q * s;
      oo += c * ost[d]; io += c * ix.strides[d]; so += c * src.strides[d];
      rem = q;
    }
    for (int64_t j = 0; j < L; j++, io += ix.strides[dim], so += src.strides[dim]) {
      int64_t v = ((const int32_t*)(uintptr_t)ix.ptr)[io];
      if (v < -size || v >= size) { flag(a.v[3], v); continue; }
      if (v < 0) v += size;
      int64_t t = oo + v * ost[dim];
      if (!add) {
        if (src.dtype == out.dtype) copy_raw(src, so, out, t); else st(out, t, ld(src, so));
      } else if (out.dtype == TL_F32 || out.dtype == TL_F16) {
        stf(out, t, ldf(out, t) + (float)ld(src, so));
      } else if (!is_float(out.dtype)) {
        sti(out, t, ldi(out, t) + (int64_t)ld(src, so));
      } else {
        st(out, t, ld(out, t) + ld(src, so));
      }
    }
  }
}

/** v0 x (int32, any strides); v3 flag word; flags a value outside [i0, i1]. */
TL_KERNEL(tl_check_range) {
  const TlView& x = a.v[0];
  TL_FOR_EACH(idx) {
    int64_t v = ((const int32_t*)(uintptr_t)x.ptr)[off_of(x, idx)];
    if (v < a.i[0] || v > a.i[1]) flag(a.v[3], v);
  }
}

/* ---------------------------------------------------------------- argsort */

/** Ascending order with NaN largest (reference.ts's comparator); descending negates it. */
TL_DEV int cmp_vals(double p, double q, bool desc) {
  int c = p != p ? (q != q ? 0 : 1) : q != q ? -1 : p < q ? -1 : p > q ? 1 : 0;
  return desc ? -c : c;
}

/** v0 x (any strides), v1 out (int32 [rows, L]), v2 scratch (int32 [rows, L]); i0 descending;
 * i1 width w; i2 pass: 0 = stable rank of each element within its block of w (n = rows*L), written
 * to the destination; 1 = merge sorted runs of w pairwise (n = rows*L); i3 direction: 0 writes v1
 * (reading v2 for merges), 1 writes v2 (reading v1). Every element finds its place alone: the rank
 * within its block, or its place in the merged pair by a binary search of the other run. */
TL_KERNEL(tl_argsort) {
  const TlView &x = a.v[0];
  const bool desc = a.i[0] != 0;
  const int64_t w = a.i[1];
  const int pass = (int)a.i[2];
  const TlView& dst = a.i[3] == 0 ? a.v[1] : a.v[2];
  const TlView& srcv = a.i[3] == 0 ? a.v[2] : a.v[1];
  const int64_t L = x.ndim ? x.shape[x.ndim - 1] : 1, s = x.ndim ? x.strides[x.ndim - 1] : 0;
  int32_t* d = (int32_t*)(uintptr_t)dst.ptr + dst.offset;
  const int32_t* sp = (const int32_t*)(uintptr_t)srcv.ptr + srcv.offset;
  TL_FOR_EACH(idx) {
    int64_t row = idx / L, p = idx - row * L;
    int64_t xb = outer_base(x, x.ndim ? 1 : 0, row);
    int32_t* drow = d + row * L;
    if (pass == 0) {
      int64_t b0 = (p / w) * w, b1 = b0 + w < L ? b0 + w : L;
      double v = ld(x, xb + p * s);
      int64_t rank = 0;
      for (int64_t k = b0; k < b1; k++) {
        int c = cmp_vals(ld(x, xb + k * s), v, desc);
        if (c < 0 || (c == 0 && k < p)) rank++;
      }
      drow[b0 + rank] = (int32_t)p;
      continue;
    }
    const int32_t* srow = sp + row * L;
    int64_t base = (p / (2 * w)) * (2 * w), mid = base + w < L ? base + w : L, end = base + 2 * w < L ? base + 2 * w : L;
    int32_t key = srow[p];
    double v = ld(x, xb + (int64_t)key * s);
    bool inA = p < mid;
    /* A's element goes after B's strictly smaller ones; B's after A's smaller or equal (stability). */
    int64_t lo = inA ? mid : base, hi = inA ? end : mid;
    while (lo < hi) {
      int64_t m = (lo + hi) / 2;
      int c = cmp_vals(ld(x, xb + (int64_t)srow[m] * s), v, desc);
      if (inA ? c < 0 : c <= 0) lo = m + 1; else hi = m;
    }
    int64_t pos = inA ? (p - base) + (lo - mid) : (p - mid) + (lo - base);
    drow[base + pos] = key;
  }
}

/* ---------------------------------------------------------------- random */

TL_DEV uint32_t mulhi32(uint32_t x, uint32_t y) { return (uint32_t)(((uint64_t)x * (uint64_t)y) >> 32); }

/** Philox-4x32-10 as src/backends/philox.ts (counter (lo, hi, 0, 0), key (lo, hi)). */
TL_DEV void philox(uint32_t lo, uint32_t hi, uint32_t k0, uint32_t k1, uint32_t w[4]) {
  uint32_t c0 = lo, c1 = hi, c2 = 0, c3 = 0;
  for (int r = 0; r < 10; r++) {
    uint32_t hi0 = mulhi32(0xd2511f53u, c0), lo0 = 0xd2511f53u * c0;
    uint32_t hi1 = mulhi32(0xcd9e8d57u, c2), lo1 = 0xcd9e8d57u * c2;
    uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
    k0 += 0x9e3779b9u; k1 += 0xbb67ae85u;
  }
  w[0] = c0; w[1] = c1; w[2] = c2; w[3] = c3;
}

/** v0 out (contiguous); i0 0 uniform / 1 normal; i1, i2 seed lo, hi; i3 counter offset; i4 numel.
 * n = blocks (numel/4 uniform, numel/2 normal, rounded up). Normal values are Box-Muller in float64,
 * as the CPU computes them, then stored (rounded) in out's dtype. */
TL_KERNEL(tl_random) {
  const TlView& out = a.v[0];
  const bool normal = a.i[0] == 1;
  const int64_t numel = a.i[4], per = normal ? 2 : 4;
  TL_FOR_EACH(b) {
    uint64_t ctr = (uint64_t)a.i[3] + (uint64_t)b;
    uint32_t w[4];
    philox((uint32_t)ctr, (uint32_t)(ctr >> 32), (uint32_t)a.i[1], (uint32_t)a.i[2], w);
    int64_t e = b * per;
    if (!normal) {
      for (int j = 0; j < 4 && e + j < numel; j++) st(out, out.offset + e + j, (double)(w[j] >> 8) * 5.9604644775390625e-8);
    } else {
      double u1 = (double)((w[0] >> 8) + 1) * 5.9604644775390625e-8, u2 = (double)(w[1] >> 8) * 5.9604644775390625e-8;
      double r = sqrt(-2 * log(u1)), t = 6.283185307179586 * u2;
      st(out, out.offset + e, r * cos(t));
      if (e + 1 < numel) st(out, out.offset + e + 1, r * sin(t));
    }
  }
}

/* ---------------------------------------------------------------- Adam */

/** v0 p, v1 g, v2 m, v3 v: contiguous float32 of n elements. f0 b1, f1 a1, f2 b2, f3 a2; i0..i3 the
 * float32 bits of c1, c2, decay, wd; i4 maximize. The CPU's adamStep (wasm/optim.ts), each float32
 * operation rounded alone (no FMA contraction), so bit for bit the composed update. */
TL_KERNEL(tl_adam) {
  float* P = (float*)(uintptr_t)a.v[0].ptr + a.v[0].offset;
  const float* G = (const float*)(uintptr_t)a.v[1].ptr + a.v[1].offset;
  float* Mm = (float*)(uintptr_t)a.v[2].ptr + a.v[2].offset;
  float* V = (float*)(uintptr_t)a.v[3].ptr + a.v[3].offset;
  const float b1 = (float)a.f[0], a1 = (float)a.f[1], b2 = (float)a.f[2], a2 = (float)a.f[3];
  const float c1 = bits_f32((uint32_t)a.i[0]), c2 = bits_f32((uint32_t)a.i[1]);
  const float decay = bits_f32((uint32_t)a.i[2]), wd = bits_f32((uint32_t)a.i[3]);
  const bool maximize = a.i[4] != 0;
  TL_FOR_EACH(i) {
    float pv = P[i], gv = G[i];
    if (maximize) gv = -gv;
    if (wd != 0) gv = add_rn(gv, mul_rn(pv, wd));
    float mv = add_rn(mul_rn(Mm[i], b1), mul_rn(gv, a1));
    float vv = add_rn(mul_rn(V[i], b2), mul_rn(mul_rn(gv, gv), a2));
    Mm[i] = mv;
    V[i] = vv;
    float u = div_rn(mv, add_rn(mul_rn(sqrt_rn(vv), c1), c2));
    P[i] = add_rn(decay == 1 ? pv : mul_rn(pv, decay), u);
  }
}

/* ---------------------------------------------------------------- dense linear algebra */

/* Backend.linalg's kernels (LinalgKernel in src/backends/backend.ts), ports of the CPU's float64
 * loops (src/backends/wasm/linalg.ts) with the same operation order, one thread per matrix. */
enum { LA_CHOLESKY, LA_LU, LA_LUSOLVE, LA_LUSOLVET, LA_QR, LA_EIGH, LA_SVD };
#define LA_EPS 2.220446049250313e-16

TL_DEV double sign1(double x) { return (x == 0 || x != x) ? 1.0 : x > 0 ? 1.0 : -1.0; } /* Math.sign(x || 1) */

TL_DEV void la_cholesky(const double* a, int64_t n, double* L, double* info) {
  for (int64_t i = 0; i < n * n; i++) L[i] = 0;
  info[0] = 0;
  for (int64_t j = 0; j < n; j++) {
    double d = a[j * n + j];
    for (int64_t k = 0; k < j; k++) d -= L[j * n + k] * L[j * n + k];
    if (!(d > 0)) { info[0] = (double)(j + 1); return; }
    double ljj = sqrt(d);
    L[j * n + j] = ljj;
    for (int64_t i = j + 1; i < n; i++) {
      double s = a[i * n + j];
      for (int64_t k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = s / ljj;
    }
  }
}

TL_DEV void la_lu(const double* a, int64_t n, double* LU, double* piv, double* info) {
  for (int64_t i = 0; i < n * n; i++) LU[i] = a[i];
  info[0] = 0;
  for (int64_t j = 0; j < n; j++) {
    int64_t p = j;
    double best = fabs(LU[j * n + j]);
    for (int64_t i = j + 1; i < n; i++) { double v = fabs(LU[i * n + j]); if (v > best) { best = v; p = i; } }
    piv[j] = (double)(p + 1);
    double pv = LU[p * n + j];
    if (pv != 0) {
      if (p != j) for (int64_t c = 0; c < n; c++) { double t = LU[j * n + c]; LU[j * n + c] = LU[p * n + c]; LU[p * n + c] = t; }
      for (int64_t i = j + 1; i < n; i++) LU[i * n + j] = LU[i * n + j] / pv;
    } else if (info[0] == 0) info[0] = (double)(j + 1);
    for (int64_t i = j + 1; i < n; i++) {
      double l = LU[i * n + j];
      if (l != 0) for (int64_t c = j + 1; c < n; c++) LU[i * n + c] = LU[i * n + c] - l * LU[j * n + c];
    }
  }
}

TL_DEV void la_swap_rows(double* X, const double* piv, int64_t i, int64_t k) {
  int64_t p = (int64_t)piv[i] - 1;
  if (p != i) for (int64_t c = 0; c < k; c++) { double t = X[i * k + c]; X[i * k + c] = X[p * k + c]; X[p * k + c] = t; }
}

TL_DEV void la_lu_solve(const double* LU, int64_t n, const double* piv, const double* b, int64_t k, double* X, bool trans) {
  for (int64_t i = 0; i < n * k; i++) X[i] = b[i];
  if (!trans) {
    for (int64_t i = 0; i < n; i++) la_swap_rows(X, piv, i, k);
    for (int64_t i = 0; i < n; i++) for (int64_t j = 0; j < i; j++) {
      double l = LU[i * n + j];
      if (l != 0) for (int64_t c = 0; c < k; c++) X[i * k + c] = X[i * k + c] - l * X[j * k + c];
    }
    for (int64_t i = n - 1; i >= 0; i--) {
      for (int64_t j = i + 1; j < n; j++) {
        double u = LU[i * n + j];
        if (u != 0) for (int64_t c = 0; c < k; c++) X[i * k + c] = X[i * k + c] - u * X[j * k + c];
      }
      double d = LU[i * n + i];
      for (int64_t c = 0; c < k; c++) X[i * k + c] = X[i * k + c] / d;
    }
  } else {
    for (int64_t i = 0; i < n; i++) {
      for (int64_t j = 0; j < i; j++) {
        double u = LU[j * n + i];
        if (u != 0) for (int64_t c = 0; c < k; c++) X[i * k + c] = X[i * k + c] - u * X[j * k + c];
      }
      double d = LU[i * n + i];
      for (int64_t c = 0; c < k; c++) X[i * k + c] = X[i * k + c] / d;
    }
    for (int64_t i = n - 1; i >= 0; i--) for (int64_t j = i + 1; j < n; j++) {
      double l = LU[j * n + i];
      if (l != 0) for (int64_t c = 0; c < k; c++) X[i * k + c] = X[i * k + c] - l * X[j * k + c];
    }
    for (int64_t i = n - 1; i >= 0; i--) la_swap_rows(X, piv, i, k);
  }
}

/* Scratch: A (m*n), tau (min(m,n)). */
TL_DEV void la_qr(const double* a, int64_t m, int64_t n, double* Q, int64_t kq, double* R, double* scratch) {
  double* A = scratch;
  const int64_t k = m < n ? m : n;
  double* tau = scratch + m * n;
  for (int64_t i = 0; i < m * n; i++) A[i] = a[i];
  for (int64_t j = 0; j < k; j++) {
    double alpha = A[j * n + j], xn = 0;
    for (int64_t i = j + 1; i < m; i++) xn = hypot(xn, A[i * n + j]);
    if (xn == 0) { tau[j] = 0; continue; }
    double beta = -sign1(alpha) * hypot(alpha, xn);
    tau[j] = (beta - alpha) / beta;
    double sc = 1 / (alpha - beta);
    for (int64_t i = j + 1; i < m; i++) A[i * n + j] = A[i * n + j] * sc;
    A[j * n + j] = beta;
    for (int64_t c = j + 1; c < n; c++) {
      double s = A[j * n + c];
      for (int64_t i = j + 1; i < m; i++) s += A[i * n + j] * A[i * n + c];
      s *= tau[j];
      A[j * n + c] = A[j * n + c] - s;
      for (int64_t i = j + 1; i < m; i++) A[i * n + c] = A[i * n + c] - s * A[i * n + j];
    }
  }
  for (int64_t i = 0; i < kq * n; i++) R[i] = 0;
  for (int64_t i = 0; i < (kq < m ? kq : m); i++) for (int64_t c = i; c < n; c++) R[i * n + c] = A[i * n + c];
  for (int64_t i = 0; i < m * kq; i++) Q[i] = 0;
  for (int64_t i = 0; i < kq; i++) Q[i * kq + i] = 1;
  for (int64_t j = k - 1; j >= 0; j--) {
    double t = tau[j];
    if (t == 0) continue;
    for (int64_t c = 0; c < kq; c++) {
      double s = Q[j * kq + c];
      for (int64_t i = j + 1; i < m; i++) s += A[i * n + j] * Q[i * kq + c];
      s *= t;
      Q[j * kq + c] = Q[j * kq + c] - s;
      for (int64_t i = j + 1; i < m; i++) Q[i * kq + c] = Q[i * kq + c] - s * A[i * n + j];
    }
  }
}

/* Stable insertion sort of order[0..n) by key (ascending, or descending): Array.prototype.sort's order. */
TL_DEV void la_sort(double* order, const double* key, int64_t stride, int64_t n, bool desc) {
  for (int64_t i = 0; i < n; i++) order[i] = (double)i;
  for (int64_t i = 1; i < n; i++) {
    double o = order[i];
    double ko = key[(int64_t)o * stride];
    int64_t j = i - 1;
    while (j >= 0) {
      double kj = key[(int64_t)order[j] * stride];
      if (!(desc ? ko - kj > 0 : kj - ko > 0)) break;
      order[j + 1] = order[j];
      j--;
    }
    order[j + 1] = o;
  }
}

/* Scratch: A (n*n), Vw (n*n), order (n). Cyclic Jacobi on the lower triangle. */
TL_DEV void la_eigh(const double* a, int64_t n, double* w, double* V, double* scratch) {
  double *A = scratch, *Vw = scratch + n * n, *order = scratch + 2 * n * n;
  for (int64_t i = 0; i < n * n; i++) { A[i] = 0; Vw[i] = 0; }
  for (int64_t i = 0; i < n; i++) for (int64_t j = 0; j <= i; j++) { A[i * n + j] = a[i * n + j]; A[j * n + i] = a[i * n + j]; }
  for (int64_t i = 0; i < n; i++) Vw[i * n + i] = 1;
  bool nanIn = false;
  for (int64_t i = 0; i < n * n; i++) if (A[i] != A[i]) nanIn = true;
  for (int sweep = 0; sweep < 100 && !nanIn; sweep++) {
    bool rotated = false;
    for (int64_t p = 0; p < n - 1; p++) for (int64_t q = p + 1; q < n; q++) {
      double apq = A[p * n + q], app = A[p * n + p], aqq = A[q * n + q];
      if (apq == 0 || fabs(apq) <= LA_EPS * 0.5 * sqrt(fabs(app * aqq))) continue;
      rotated = true;
      double theta = (aqq - app) / (2 * apq);
      double t = sign1(theta) / (fabs(theta) + sqrt(1 + theta * theta));
      double c = 1 / sqrt(1 + t * t), s = t * c;
      for (int64_t r = 0; r < n; r++) { double x = A[r * n + p], y = A[r * n + q]; A[r * n + p] = c * x - s * y; A[r * n + q] = s * x + c * y; }
      for (int64_t r = 0; r < n; r++) { double x = A[p * n + r], y = A[q * n + r]; A[p * n + r] = c * x - s * y; A[q * n + r] = s * x + c * y; }
      A[p * n + q] = 0; A[q * n + p] = 0;
      for (int64_t r = 0; r < n; r++) { double x = Vw[r * n + p], y = Vw[r * n + q]; Vw[r * n + p] = c * x - s * y; Vw[r * n + q] = s * x + c * y; }
    }
    if (!rotated) break;
  }
  la_sort(order, A, n + 1, n, false);
  for (int64_t dst = 0; dst < n; dst++) {
    int64_t src = (int64_t)order[dst];
    w[dst] = nanIn ? NAN : A[src * n + src];
    for (int64_t r = 0; r < n; r++) V[r * n + dst] = nanIn ? NAN : Vw[r * n + src];
  }
}

/* Columns of X (M x k) not marked ok become unit vectors orthogonalised against the others. v, best: M each. */
TL_DEV void la_complete_basis(double* X, int64_t M, int64_t k, double* ok, double* v, double* best) {
  for (int64_t c = 0; c < k; c++) {
    if (ok[c] != 0) continue;
    double bestN = -1;
    for (int64_t e = 0; e < M; e++) {
      for (int64_t r = 0; r < M; r++) v[r] = r == e ? 1 : 0;
      for (int pass = 0; pass < 2; pass++) {
        for (int64_t d = 0; d < k; d++) {
          if (ok[d] == 0) continue;
          double dot = 0;
          for (int64_t r = 0; r < M; r++) dot += X[r * k + d] * v[r];
          for (int64_t r = 0; r < M; r++) v[r] = v[r] - dot * X[r * k + d];
        }
      }
      double nv = 0;
      for (int64_t r = 0; r < M; r++) nv = hypot(nv, v[r]);
      if (nv > bestN) { bestN = nv; for (int64_t r = 0; r < M; r++) best[r] = v[r]; }
      if (nv > 0.7) break;
    }
    for (int64_t r = 0; r < M; r++) X[r * k + c] = best[r] / bestN;
    ok[c] = 1;
  }
}

/* One-sided Jacobi SVD. Scratch: W (M*N), V (N*N), sv (N), order (N), X (M*kx), ok (kx), Y (N*N), v (M), best (M). */
TL_DEV void la_svd(const double* a, int64_t m, int64_t n, double* U, int64_t ku, double* S, double* Vh, int64_t kv, double* scratch) {
  const bool tr = m < n;
  const int64_t M = tr ? n : m, N = tr ? m : n, kx = tr ? kv : ku;
  double *W = scratch, *V = W + M * N, *sv = V + N * N, *order = sv + N, *X = order + N, *ok = X + M * kx, *Y = ok + kx;
  double *v = Y + N * N, *best = v + M;
  for (int64_t i = 0; i < m; i++) for (int64_t j = 0; j < n; j++) { if (tr) W[j * N + i] = a[i * n + j]; else W[i * N + j] = a[i * n + j]; }
  for (int64_t i = 0; i < N * N; i++) V[i] = 0;
  for (int64_t i = 0; i < N; i++) V[i * N + i] = 1;
  bool nanIn = false;
  for (int64_t i = 0; i < M * N; i++) if (!(W[i] == W[i]) || is_inf(W[i])) nanIn = true;
  for (int sweep = 0; sweep < 100 && !nanIn; sweep++) {
    bool rotated = false;
    for (int64_t p = 0; p < N - 1; p++) for (int64_t q = p + 1; q < N; q++) {
      double al = 0, be = 0, ga = 0;
      for (int64_t r = 0; r < M; r++) { double x = W[r * N + p], y = W[r * N + q]; al += x * x; be += y * y; ga += x * y; }
      if (ga == 0 || fabs(ga) <= LA_EPS * sqrt(al * be)) continue;
      rotated = true;
      double zeta = (be - al) / (2 * ga);
      double t = sign1(zeta) / (fabs(zeta) + sqrt(1 + zeta * zeta));
      double c = 1 / sqrt(1 + t * t), s = c * t;
      for (int64_t r = 0; r < M; r++) { double x = W[r * N + p], y = W[r * N + q]; W[r * N + p] = c * x - s * y; W[r * N + q] = s * x + c * y; }
      for (int64_t r = 0; r < N; r++) { double x = V[r * N + p], y = V[r * N + q]; V[r * N + p] = c * x - s * y; V[r * N + q] = s * x + c * y; }
    }
    if (!rotated) break;
  }
  for (int64_t j = 0; j < N; j++) { double s = 0; for (int64_t r = 0; r < M; r++) s = hypot(s, W[r * N + j]); sv[j] = s; }
  la_sort(order, sv, 1, N, true);
  for (int64_t i = 0; i < M * kx; i++) X[i] = 0;
  for (int64_t i = 0; i < kx; i++) ok[i] = 0;
  double smax = N > 0 ? sv[(int64_t)order[0]] : 0;
  for (int64_t dst = 0; dst < N; dst++) {
    int64_t src = (int64_t)order[dst];
    double s = sv[src];
    S[dst] = nanIn ? NAN : s;
    if (dst < kx && s > smax * LA_EPS * (double)M && s > 0) { ok[dst] = 1; for (int64_t r = 0; r < M; r++) X[r * kx + dst] = W[r * N + src] / s; }
  }
  la_complete_basis(X, M, kx, ok, v, best);
  for (int64_t dst = 0; dst < N; dst++) { int64_t src = (int64_t)order[dst]; for (int64_t r = 0; r < N; r++) Y[r * N + dst] = V[r * N + src]; }
  if (nanIn) { for (int64_t i = 0; i < M * kx; i++) X[i] = NAN; for (int64_t i = 0; i < N * N; i++) Y[i] = NAN; }
  if (!tr) {
    for (int64_t i = 0; i < M * kx; i++) U[i] = X[i];
    for (int64_t i = 0; i < kv; i++) for (int64_t j = 0; j < n; j++) Vh[i * n + j] = Y[j * N + i];
  } else {
    for (int64_t r = 0; r < m; r++) for (int64_t c = 0; c < ku; c++) U[r * ku + c] = Y[r * N + c];
    for (int64_t i = 0; i < kv; i++) for (int64_t j = 0; j < n; j++) Vh[i * n + j] = X[j * kx + i];
  }
}

/** v0 float64 workspace holding every operand as a contiguous [B, ...] array (int32 ones as exact
 * doubles), v1 float64 scratch (f1 doubles per matrix); i0 kernel (LA_*), i1..i3 element offsets of
 * ins 0..2, i4..i6 of outs 0..2; dims i7, i8, i9, f0 (per kernel: cholesky/lu/eigh n; luSolve n, k;
 * qr m, n, kq; svd m, n, ku, kv). n = B: one thread per matrix. */
TL_KERNEL(tl_linalg) {
  double* Wk = (double*)(uintptr_t)a.v[0].ptr;
  double* scr = (double*)(uintptr_t)a.v[1].ptr;
  const int k = (int)a.i[0];
  const int64_t d0 = a.i[7], d1 = a.i[8], d2 = a.i[9], d3 = (int64_t)a.f[0], per = (int64_t)a.f[1];
  TL_FOR_EACH(b) {
    double* sc = scr + b * per;
    switch (k) {
      case LA_CHOLESKY: la_cholesky(Wk + a.i[1] + b * d0 * d0, d0, Wk + a.i[4] + b * d0 * d0, Wk + a.i[5] + b); break;
      case LA_LU: la_lu(Wk + a.i[1] + b * d0 * d0, d0, Wk + a.i[4] + b * d0 * d0, Wk + a.i[5] + b * d0, Wk + a.i[6] + b); break;
      case LA_LUSOLVE: case LA_LUSOLVET:
        la_lu_solve(Wk + a.i[1] + b * d0 * d0, d0, Wk + a.i[2] + b * d0, Wk + a.i[3] + b * d0 * d1, d1, Wk + a.i[4] + b * d0 * d1, k == LA_LUSOLVET);
        break;
      case LA_QR: la_qr(Wk + a.i[1] + b * d0 * d1, d0, d1, Wk + a.i[4] + b * d0 * d2, d2, Wk + a.i[5] + b * d2 * d1, sc); break;
      case LA_EIGH: la_eigh(Wk + a.i[1] + b * d0 * d0, d0, Wk + a.i[4] + b * d0, Wk + a.i[5] + b * d0 * d0, sc); break;
      case LA_SVD: {
        const int64_t mn = d0 < d1 ? d0 : d1;
        la_svd(Wk + a.i[1] + b * d0 * d1, d0, d1, Wk + a.i[4] + b * d0 * d2, d2, Wk + a.i[5] + b * mn, Wk + a.i[6] + b * d3 * d1, d3, sc);
        break;
      }
    }
  }
}
