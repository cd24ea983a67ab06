/* gpu.h: the line between the N-API layer (addon.cc: argument checks, caching allocator, sticky errors,
 * Promises) and what runs the work: cuda_gpu.cc (the CUDA driver, cuBLAS and NCCL through dlopen) or
 * emu.cc (host memory and the kernels compiled as C++). A build links exactly one of them (makeGpu).
 * Contract: methods run on the JS thread except Waiter::wait and ncclCommInitRank (a worker thread);
 * failures throw GpuError with the user-facing text; memAlloc reports out-of-memory by returning false. */
#ifndef TORCHLET_CUDA_GPU_H
#define TORCHLET_CUDA_GPU_H
#include <stdint.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace tl {

/* sticky: the CUDA context is broken (an illegal address, a failed launch...): every later call fails. */
struct GpuError : std::runtime_error {
  bool sticky;
  explicit GpuError(const std::string& m, bool s = false) : std::runtime_error(m), sticky(s) {}
};

enum class DType { F32 = 0, F16 = 1, F64 = 2, I32 = 3, U8 = 4, Bool = 5 }; /* = abi.h's TL_* */

struct InitResult {
  bool ok = false;
  std::string reason;
  int deviceCount = 0;
  int driverVersion = 0;
  std::string cublas, nccl; /* where they were found; empty = not found */
};

struct DeviceProps {
  std::string name;
  uint64_t totalMemory = 0;
  int major = 0, minor = 0, multiProcessorCount = 0;
};

/* cublasGemmStridedBatchedEx's parameters (column-major), alpha 1, beta 0; checked by addon.cc. */
struct GemmArgs {
  bool transA = false, transB = false;
  int64_t m = 0, n = 0, k = 0;
  uint64_t a = 0, b = 0, c = 0;
  int64_t lda = 0, ldb = 0, ldc = 0, strideA = 0, strideB = 0, strideC = 0, batch = 0;
  DType dtype = DType::F32;
  bool tf32 = false;
};

/* Work queued on a stream that a worker thread waits for: wait() returns "" or the CUDA error text and
 * whether it is sticky. Destroyed on the JS thread (it may give a staging buffer back to its pool). */
struct Waiter {
  virtual ~Waiter() = default;
  virtual std::string wait(bool* sticky) = 0;
};

struct NcclCall {
  std::string op; /* allReduce broadcast reduce allGather reduceScatter send recv */
  uint64_t send = 0, recv = 0;
  uint64_t count = 0;
  DType dtype = DType::F32;
  int redOp = 0; /* 0 sum 1 prod 2 max 3 min 4 avg (ncclRedOp_t) */
  int root = 0, peer = 0;
};

class Gpu {
 public:
  virtual ~Gpu() = default;
  virtual bool emulated() const = 0;
  /* Never throws: problems come back as ok=false with a reason. */
  virtual InitResult init(const std::string& fatbin, const std::vector<std::string>& libs) = 0;
  virtual DeviceProps properties(int dev) = 0;
  virtual bool memAlloc(int dev, uint64_t nbytes, uint64_t* ptr) = 0; /* false: out of memory */
  virtual void memFree(int dev, uint64_t ptr) = 0;
  virtual void write(int dev, uint64_t dst, const void* src, uint64_t nbytes) = 0;
  /* Queues dst <- device bytes; dst must stay valid until the returned Waiter was waited for. */
  virtual std::unique_ptr<Waiter> read(int dev, uint64_t src, uint64_t nbytes, void* dst) = 0;
  virtual void copy(int dev, uint64_t dst, uint64_t src, uint64_t nbytes) = 0;
  /* args: sizeof(TlArgs) bytes. blocking: CUDA_LAUNCH_BLOCKING=1, wait and throw at the kernel. */
  virtual void launch(int dev, const std::string& name, int64_t n, const void* args, bool blocking) = 0;
  virtual void gemm(int dev, const GemmArgs& g) = 0;
  virtual std::unique_ptr<Waiter> synchronize(int dev) = 0;
  /* emptyCache: also give back idle pinned staging buffers. */
  virtual void releaseIdle(int dev) = 0;

  /* Creates the device's context, stream and module now (they are otherwise made on first use). */
  virtual void prepare(int dev) = 0;

  /* "" when NCCL can be used, else why not (not found: where it looked; the emulator has none). */
  virtual std::string ncclMissing() = 0;
  virtual void ncclGetUniqueId(uint8_t out[128]) = 0;
  /* Worker thread; blocks until every rank joined. Returns the ncclComm_t. */
  virtual void* ncclCommInitRank(int dev, const uint8_t id[128], int nranks, int rank) = 0;
  virtual void ncclCommDestroy(void* comm) = 0;
  virtual void ncclCollective(int dev, void* comm, const NcclCall& c) = 0;
  virtual void ncclGroupStart() = 0;
  virtual void ncclGroupEnd() = 0;
};

std::unique_ptr<Gpu> makeGpu();

}  // namespace tl
#endif
