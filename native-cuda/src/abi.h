/* The kernel argument block shared by kernels.cu (device), addon.cc (abiLayout) and, by layout, the
 * TypeScript packer src/backends/cuda/abi.ts. Contract: native-cuda/ABI.md. Every kernel takes one
 * TlArgs by value; unused fields are zero. Changing a field here means changing the packer too
 * (test/cuda checks the layout the addon reports against the packer's). */
#ifndef TORCHLET_CUDA_ABI_H
#define TORCHLET_CUDA_ABI_H
#include <stdint.h>

#define TL_MAX_DIMS 8
enum { TL_F32 = 0, TL_F16 = 1, TL_F64 = 2, TL_I32 = 3, TL_U8 = 4, TL_BOOL = 5 };

typedef struct {
  uint64_t ptr;                   /* device address of the buffer's first byte */
  int64_t offset;                 /* in elements */
  int32_t dtype;                  /* TL_F32 ... TL_BOOL */
  int32_t ndim;                   /* 0..TL_MAX_DIMS */
  int64_t shape[TL_MAX_DIMS];
  int64_t strides[TL_MAX_DIMS];   /* in elements; may be 0 or negative */
} TlView;

typedef struct {
  TlView v[4];
  int64_t n;                      /* work items; the grid covers n */
  int64_t i[10];                  /* integer parameters (per kernel: ABI.md) */
  double f[4];                    /* float parameters */
} TlArgs;

#endif
