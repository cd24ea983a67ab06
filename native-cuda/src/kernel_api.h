/* What kernels.cu includes: one way to declare a kernel and walk its work items that compiles both
 * with nvcc (real build) and as host C++ (the emulated build, through emu.h). Contract: a kernel is
 * TL_KERNEL(tl_name) { ... } taking `const TlArgs a`; it covers items [0, a.n) with TL_FOR_EACH(idx),
 * a grid-stride loop, so any grid size is correct (ABI.md: no shared memory, no __syncthreads). */
#ifndef TORCHLET_KERNEL_API_H
#define TORCHLET_KERNEL_API_H
#include "abi.h"

#ifdef TORCHLET_CUDA_EMU
#include "emu.h" /* defines __global__/__device__, threadIdx & co. and TL_EMU_REGISTER(name) */
#define TL_KERNEL(name)                                   \
  extern "C" void name(const TlArgs a);                   \
  TL_EMU_REGISTER(name)                                   \
  extern "C" void name(const TlArgs a)
#else
#include <cuda_fp16.h>
#define TL_KERNEL(name) extern "C" __global__ void name(const TlArgs a)
#endif

#define TL_FOR_EACH(idx)                                                                       \
  for (int64_t idx = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; idx < a.n;               \
       idx += (int64_t)gridDim.x * blockDim.x)

#endif
