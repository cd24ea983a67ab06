/* emu.h: what CUDA gives a kernel, for host C++ (the emulated build; nvcc never sees it). Contract
 * (kernel_api.h relies on it): CUDA qualifiers compile away; threadIdx/blockIdx/blockDim/gridDim are
 * thread-local dim3s set by emu.cc's launch loop; __half converts as src/dtype.ts (round to nearest even,
 * NaN -> sign|0x7e00); TL_EMU_REGISTER(name) adds a kernel to launch()'s table. Deliberately no shared
 * memory, __syncthreads, warp intrinsics or atomics (ABI.md). */
#ifndef TORCHLET_CUDA_EMU_H
#define TORCHLET_CUDA_EMU_H
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <cmath>

#include "abi.h"

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline

struct TlEmuDim3 { unsigned x, y, z; };
/* Hidden: the kernels and the launch loop live in one .node, so the compiler may use the cheap TLS model. */
#define TL_EMU_HIDDEN __attribute__((visibility("hidden")))
extern thread_local TlEmuDim3 threadIdx TL_EMU_HIDDEN;
extern thread_local TlEmuDim3 blockIdx TL_EMU_HIDDEN;
extern thread_local TlEmuDim3 blockDim TL_EMU_HIDDEN;
extern thread_local TlEmuDim3 gridDim TL_EMU_HIDDEN;

typedef void (*TlEmuKernel)(TlArgs);
/* Adds a kernel to the table (called from static initialisers, before any launch). Returns 0. */
TL_EMU_HIDDEN int tl_emu_register(const char* name, TlEmuKernel fn);
#define TL_EMU_REGISTER(name) [[maybe_unused]] static const int tl_emu_reg_##name = tl_emu_register(#name, name);

/* ---- float16: bits in a struct, conversions as src/dtype.ts (f32ToF16Bits / f16BitsToF32) ---- */
inline uint16_t tl_emu_f32_to_f16_bits(float v) {
  uint32_t x;
  memcpy(&x, &v, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const int biased = (int)((x >> 23) & 0xff);
  uint32_t mant = x & 0x7fffffu;
  if (biased == 0xff) return (uint16_t)(sign | 0x7c00u | (mant ? 0x200u : 0u)); /* inf / nan */
  const int exp = biased - 127 + 15;
  if (exp >= 0x1f) return (uint16_t)(sign | 0x7c00u); /* overflow -> inf */
  if (exp <= 0) {                                     /* subnormal half (or zero) */
    if (exp < -10) return (uint16_t)sign;
    mant |= 0x800000u;
    const int shift = 14 - exp;
    uint32_t half = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1u), mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1u))) half++;
    return (uint16_t)(sign | half);
  }
  uint32_t half = ((uint32_t)exp << 10) | (mant >> 13);
  const uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1u))) half++; /* a carry into the exponent is correct */
  return (uint16_t)(sign | half);
}
inline float tl_emu_f16_bits_to_f32(uint16_t h) {
  const float sign = (h & 0x8000u) ? -1.0f : 1.0f;
  const int exp = (h >> 10) & 0x1f;
  const int mant = h & 0x3ff;
  if (exp == 0) return sign * ldexpf((float)mant, -24);
  if (exp == 0x1f) return mant ? NAN : sign * INFINITY;
  return sign * ldexpf((float)(1024 + mant), exp - 25);
}

struct __half {
  uint16_t __x;
  __half() = default;
  __half(float f) : __x(tl_emu_f32_to_f16_bits(f)) {} /* CUDA's implicit conversions round to nearest too */
  __half(double d) : __x(tl_emu_f32_to_f16_bits((float)d)) {}
  /* From integers too (as cuda_fp16.h's constructors), so no conversion is ambiguous. */
  __half(short i) : __x(tl_emu_f32_to_f16_bits((float)i)) {}
  __half(unsigned short i) : __x(tl_emu_f32_to_f16_bits((float)i)) {}
  __half(int i) : __x(tl_emu_f32_to_f16_bits((float)i)) {}
  __half(unsigned i) : __x(tl_emu_f32_to_f16_bits((float)i)) {}
  __half(long i) : __x(tl_emu_f32_to_f16_bits((float)i)) {}
  __half(unsigned long i) : __x(tl_emu_f32_to_f16_bits((float)i)) {}
  __half(long long i) : __x(tl_emu_f32_to_f16_bits((float)i)) {}
  __half(unsigned long long i) : __x(tl_emu_f32_to_f16_bits((float)i)) {}
  operator float() const { return tl_emu_f16_bits_to_f32(__x); }
};
inline float __half2float(__half h) { return tl_emu_f16_bits_to_f32(h.__x); }
inline __half __float2half_rn(float f) { __half h; h.__x = tl_emu_f32_to_f16_bits(f); return h; }
inline __half __float2half(float f) { return __float2half_rn(f); }
inline unsigned short __half_as_ushort(__half h) { return h.__x; }
inline __half __ushort_as_half(unsigned short u) { __half h; h.__x = u; return h; }

/* ---- the device intrinsics kernels commonly use, as their host equivalents ---- */
inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((uint64_t)a * b) >> 32); }
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
  return (unsigned long long)(((unsigned __int128)a * b) >> 64);
}
inline float __int_as_float(int i) { float f; memcpy(&f, &i, 4); return f; }
inline int __float_as_int(float f) { int i; memcpy(&i, &f, 4); return i; }
inline float __uint_as_float(unsigned u) { float f; memcpy(&f, &u, 4); return f; }
inline unsigned __float_as_uint(float f) { unsigned u; memcpy(&u, &f, 4); return u; }
inline double __longlong_as_double(long long i) { double d; memcpy(&d, &i, 8); return d; }
inline long long __double_as_longlong(double d) { long long i; memcpy(&i, &d, 8); return i; }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
template <typename T> inline T __ldg(const T* p) { return *p; }
/* CUDA declares min/max for every arithmetic type at global scope. */
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline long min(long a, long b) { return a < b ? a : b; }
inline long max(long a, long b) { return a > b ? a : b; }
inline unsigned long long min(unsigned long long a, unsigned long long b) { return a < b ? a : b; }
inline unsigned long long max(unsigned long long a, unsigned long long b) { return a > b ? a : b; }
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }
inline double min(double a, double b) { return fmin(a, b); }
inline double max(double a, double b) { return fmax(a, b); }

#endif
