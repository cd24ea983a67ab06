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

/* Per-kernel slots (kernels.cu documents each kernel; this is the index). n = work items.
 *  tl_fill        v0 out (any strides); f0 value                                  n = numel
 *  tl_arange      v0 out (1-D); f0 start, f1 step                                 n = numel
 *  tl_copy        v0 src, v1 out (any strides, dtype conversion)                  n = numel
 *  tl_unary       v0 x, v1 out; i0 UNARY_OPS index                                n = numel
 *  tl_binary      v0 a, v1 b, v2 out; i0 BINARY_OPS index; v3 flag word (integer
 *                 division by zero, negative integer powers; ptr 0 = unchecked)   n = numel
 *  tl_where       v0 cond, v1 a, v2 b, v3 out                                     n = numel
 *  tl_reduce      v0 x, v1 out (contiguous); i0 REDUCE_OPS index, i1 reduced (last) dims; i2 stage
 *                 (0 whole, 1 partials into v2 float64 values / v3 float64 positions or integer
 *                 values modulo 2^32, 2 final from them), i3 parts      n = outputs (x parts in stage 1)
 *  tl_scan        v0 x, v1 out ([rows, L]); i0 0 cumsum / 1 cumprod              n = rows
 *  tl_matmul      v0 a [B,M,K], v1 b [B,K,N], v2 out [B,M,N]                      n = B*M*N
 *  tl_im2col      v0 x [N,C,H,W], v1 out; i0..i7 kh kw sh sw ph pw dh dw, i8 OH, i9 OW; f0 pad  n = numel(out)
 *  tl_col2im      v0 cols, v1 out [N,C,H,W]; params as im2col                     n = numel(out)
 *  tl_max_pool2d  v0 x [N,C,H,W], v1 out, v2 idx (int32); i0..i9 as im2col        n = numel(out)
 *  tl_max_pool2d_backward  v0 g, v1 idx [N,C,OH,OW], v2 out [N,C,H,W]; as above  n = numel(out)
 *  tl_gather      v0 x, v1 index, v2 out; i0 dim; v3 flag word                    n = numel(out)
 *  tl_scatter     v0 out, v1 index, v2 src; i0 dim, i1 0 set / 1 add; v3 flag     n = numel(index) / index.shape[dim]
 *  tl_check_range v0 x (int32); i0 min, i1 max; v3 flag word                      n = numel
 *  tl_argsort     v0 x, v1 out (int32 [rows, L]), v2 scratch (int32 [rows, L]); i0 descending,
 *                 i1 width, i2 0 rank within blocks / 1 merge pairs of runs, i3 0 writes v1 / 1 writes v2   n = rows*L
 *  tl_random      v0 out (contiguous); i0 0 uniform / 1 normal, i1 seed lo, i2 seed hi, i3 counter
 *                 offset, i4 numel                                                n = Philox blocks
 *  tl_adam        v0 p, v1 g, v2 m, v3 v (float32, contiguous); f0 b1, f1 a1, f2 b2, f3 a2; i0..i3 float32
 *                 bits of c1, c2, decay, wd; i4 maximize                          n = numel
 *  tl_linalg      v0 float64 workspace, v1 float64 scratch; i0 kernel (cholesky lu luSolve luSolveT qr
 *                 eigh svd), i1..i3 ins' / i4..i6 outs' element offsets, i7..i9 + f0 dims, f1 scratch
 *                 doubles per matrix                                              n = batch
 * A flag word is int32[2] at v3.ptr + 4 * v3.offset: [1, offending value] once a check fails. */

#endif
