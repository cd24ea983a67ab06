/* test_kernels.cu: small kernels the addon's own tests launch (test/cuda/addon.test.ts, bench/gpu.sh),
 * built into both variants next to kernels.cu (scripts/build-cuda.mjs includes both in one unit).
 * Contract: names start with tl_test_; they exercise the launch path (grid, grid-stride loop, argument
 * block, __half conversions), not any Backend primitive. */
#include "../src/kernel_api.h"

/* v0 float32 out (1-D, any stride): out[i] = f0 + i * f1. A bogus v0.ptr makes an illegal access. */
TL_KERNEL(tl_test_iota) {
  float* out = (float*)a.v[0].ptr + a.v[0].offset;
  TL_FOR_EACH(i) out[i * a.v[0].strides[0]] = (float)(a.f[0] + (double)i * a.f[1]);
}

/* v0 int32 visits: += 1 per visit of item i (each item exactly once, whatever the grid); v1 int32: the
 * grid size (gridDim.x) the thread that did item i saw. */
TL_KERNEL(tl_test_visit) {
  int32_t* visits = (int32_t*)a.v[0].ptr;
  int32_t* grid = (int32_t*)a.v[1].ptr;
  TL_FOR_EACH(i) {
    visits[i] += 1;
    grid[i] = (int32_t)gridDim.x;
  }
}

/* v0 float32 in -> v1 float16 (raw bits) -> v2 float32 back: __float2half_rn / __half2float. */
TL_KERNEL(tl_test_half) {
  const float* in = (const float*)a.v[0].ptr;
  __half* h = (__half*)a.v[1].ptr;
  float* back = (float*)a.v[2].ptr;
  TL_FOR_EACH(i) {
    h[i] = __float2half_rn(in[i]);
    back[i] = __half2float(h[i]);
  }
}
