/* fake_libcublas.c: a stand-in libcublas.so.13 for testing the real addon's gemm path without a GPU (with
 * fake_libcuda.c, whose device pointers are host pointers). Contract: the documented prototypes of the
 * five entry points cuda_gpu.cc resolves; cublasGemmStridedBatchedEx computes on the host, column-major,
 * alpha/beta read as the compute type's scalar (float, or double for CUBLAS_COMPUTE_64F), float16 data
 * refused (the emulator's gemm covers it), CUBLAS_COMPUTE_32F_FAST_TF32 truncating inputs to 10 mantissa bits. */
#include <stdint.h>
#include <string.h>

enum { SUCCESS = 0, INVALID_VALUE = 7, NOT_SUPPORTED = 15 };
enum { R_32F = 0, R_64F = 1 };
enum { COMPUTE_32F = 68, COMPUTE_64F = 70, COMPUTE_32F_FAST_TF32 = 77 };
static int handle, stream_set, math_mode = -1;

int cublasCreate_v2(void** h) { *h = &handle; return SUCCESS; }
int cublasSetStream_v2(void* h, void* stream) { (void)h; stream_set = stream != 0; return SUCCESS; }
int cublasSetMathMode(void* h, int mode) { (void)h; math_mode = mode; return SUCCESS; }
const char* cublasGetStatusString(int s) { return s == INVALID_VALUE ? "CUBLAS_STATUS_INVALID_VALUE" : s == NOT_SUPPORTED ? "CUBLAS_STATUS_NOT_SUPPORTED" : "?"; }

static double tf32(float x) { uint32_t u; memcpy(&u, &x, 4); u &= ~0x1fffu; memcpy(&x, &u, 4); return x; }

int cublasGemmStridedBatchedEx(void* h, int ta, int tb, int m, int n, int k, const void* alpha, const void* A, int at, int lda,
                               long long sa, const void* B, int bt, int ldb, long long sb, const void* beta, void* C, int ct,
                               int ldc, long long sc, int batch, int compute, int algo) {
  (void)algo;
  if (h != &handle || !stream_set || math_mode != 0 || at != bt || at != ct) return INVALID_VALUE;
  const int f64 = at == R_64F;
  if (!(f64 ? compute == COMPUTE_64F : at == R_32F && (compute == COMPUTE_32F || compute == COMPUTE_32F_FAST_TF32))) return NOT_SUPPORTED;
  const double al = f64 ? *(const double*)alpha : *(const float*)alpha, be = f64 ? *(const double*)beta : *(const float*)beta;
  if (al != 1 || be != 0) return INVALID_VALUE;
  for (int p = 0; p < batch; p++)
    for (int j = 0; j < n; j++)
      for (int i = 0; i < m; i++) {
        double s = 0;
        for (int l = 0; l < k; l++) {
          const long long ia = p * sa + (ta ? l + (long long)i * lda : i + (long long)l * lda);
          const long long ib = p * sb + (tb ? j + (long long)l * ldb : l + (long long)j * ldb);
          if (f64) s += ((const double*)A)[ia] * ((const double*)B)[ib];
          else if (compute == COMPUTE_32F_FAST_TF32) s += tf32(((const float*)A)[ia]) * tf32(((const float*)B)[ib]);
          else s += (double)((const float*)A)[ia] * ((const float*)B)[ib];
        }
        const long long ic = p * sc + i + (long long)j * ldc;
        if (f64) ((double*)C)[ic] = s;
        else ((float*)C)[ic] = (float)s;
      }
  return SUCCESS;
}
