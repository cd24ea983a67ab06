/* cuda_gpu.cc: the real GPU behind addon.cc. libcuda.so.1 (versioned entry points), cuBLAS and NCCL are
 * opened with dlopen, their prototypes declared here (no cuBLAS/NCCL headers needed), searched in init()'s
 * folders, then the loader's path. Contract (gpu.h): per device the primary context, one non-blocking
 * stream ordering all work, kernels.fatbin loaded on first use, pinned staging reused only after its event
 * completed. Needs an NVIDIA GPU: native-cuda/test/gpu-check.mjs (bench/gpu.sh) runs it; tests use stand-ins. */
#include <cuda.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "gpu.h"

namespace {

using tl::GpuError;

#define TL_STR2(x) #x
#define TL_STR(x) TL_STR2(x) /* the versioned name: cuda.h maps cuMemAlloc to cuMemAlloc_v2 */

#define TL_DRIVER_FNS(X)                                                                                       \
  X(cuInit) X(cuDriverGetVersion) X(cuDeviceGetCount) X(cuDeviceGet) X(cuDeviceGetName) X(cuDeviceTotalMem)   \
  X(cuDeviceGetAttribute) X(cuDevicePrimaryCtxRetain) X(cuDevicePrimaryCtxRelease) X(cuCtxSetCurrent)         \
  X(cuStreamCreate) X(cuStreamDestroy) X(cuStreamSynchronize) X(cuModuleLoadData) X(cuModuleUnload)           \
  X(cuModuleGetFunction) X(cuLaunchKernel) X(cuMemAlloc) X(cuMemFree) X(cuMemHostAlloc) X(cuMemFreeHost)      \
  X(cuMemcpyHtoDAsync) X(cuMemcpyDtoHAsync) X(cuMemcpyDtoDAsync) X(cuEventCreate) X(cuEventDestroy)           \
  X(cuEventRecord) X(cuEventQuery) X(cuEventSynchronize) X(cuGetErrorString) X(cuGetErrorName)

struct Driver {
#define TL_FIELD(fn) decltype(&::fn) fn = nullptr;
  TL_DRIVER_FNS(TL_FIELD)
#undef TL_FIELD
};

/* The driver is per process: loaded and cuInit'ed once, whatever number of JS environments. */
std::mutex gMutex;
bool gTried = false;
Driver gDrv;
std::string gDriverProblem;
int gDriverVersion = 0, gDeviceCount = 0;
const Driver& drv = gDrv;

std::string errorText(CUresult r) {
  const char* s = nullptr;
  if (!drv.cuGetErrorString || drv.cuGetErrorString(r, &s) != CUDA_SUCCESS || !s) return "CUDA error " + std::to_string((int)r);
  return s;
}
std::string errorName(CUresult r) {
  const char* s = nullptr;
  if (!drv.cuGetErrorName || drv.cuGetErrorName(r, &s) != CUDA_SUCCESS || !s) return std::to_string((int)r);
  return s;
}
/* Errors after which the context cannot be used any more (CUDA documents them as sticky). */
bool isSticky(CUresult r) {
  switch (r) {
    case CUDA_ERROR_ILLEGAL_ADDRESS: case CUDA_ERROR_LAUNCH_TIMEOUT: case CUDA_ERROR_ASSERT:
    case CUDA_ERROR_HARDWARE_STACK_ERROR: case CUDA_ERROR_ILLEGAL_INSTRUCTION: case CUDA_ERROR_MISALIGNED_ADDRESS:
    case CUDA_ERROR_INVALID_ADDRESS_SPACE: case CUDA_ERROR_INVALID_PC: case CUDA_ERROR_LAUNCH_FAILED:
    case CUDA_ERROR_ECC_UNCORRECTABLE: return true;
    default: return false;
  }
}
/* The addon call in progress on this thread ("read", "launch"...): a sticky error returned by a call that
 * only queues work was raised by earlier work, and is worded as the asynchronous error it is. */
thread_local const char* tlsOp = "call";
[[noreturn]] void fail(CUresult r, const char* call) {
  if (isSticky(r))
    throw GpuError("CUDA error: " + errorText(r) + " (raised by work queued before this " + tlsOp +
                   "; set CUDA_LAUNCH_BLOCKING=1 to raise it at the kernel)", true);
  throw GpuError("CUDA error: " + errorText(r) + " (" + errorName(r) + " from " + call + ")");
}
#define CU(call)                                       \
  do {                                                 \
    CUresult tl_r = (call);                            \
    if (tl_r != CUDA_SUCCESS) fail(tl_r, #call);       \
  } while (0)

void loadDriver() {
  std::lock_guard<std::mutex> lock(gMutex);
  if (gTried) return;
  gTried = true;
  void* h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    gDriverProblem = std::string("libcuda.so.1 not found: no NVIDIA driver is installed (") + dlerror() + ")";
    return;
  }
  std::string missing;
#define TL_LOAD(fn)                                                              \
  gDrv.fn = reinterpret_cast<decltype(&::fn)>(dlsym(h, TL_STR(fn)));             \
  if (!gDrv.fn) missing += std::string(missing.empty() ? "" : ", ") + TL_STR(fn);
  TL_DRIVER_FNS(TL_LOAD)
#undef TL_LOAD
  if (!missing.empty()) {
    gDriverProblem = "libcuda.so.1 lacks " + missing + ": the NVIDIA driver is too old for torchlet (CUDA 12 or newer needed)";
    return;
  }
  gDrv.cuDriverGetVersion(&gDriverVersion);
  CUresult r = gDrv.cuInit(0);
  if (r != CUDA_SUCCESS) {
    gDriverProblem = "cuInit failed: " + errorName(r) + " (" + errorText(r) + ")";
    return;
  }
  r = gDrv.cuDeviceGetCount(&gDeviceCount);
  if (r != CUDA_SUCCESS) gDriverProblem = "cuDeviceGetCount failed: " + errorName(r) + " (" + errorText(r) + ")";
  else if (gDeviceCount == 0) gDriverProblem = "the NVIDIA driver reports no CUDA device";
}

std::string versionText(int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }

// ------------------------------------------------------------------ libraries found by search

/* dlopen the first of names found in dirs (in order), then on the loader's default path. */
void* openLibrary(const std::vector<std::string>& dirs, const std::vector<std::string>& names, std::string* path, std::string* tried) {
  for (const std::string& d : dirs) {
    for (const std::string& n : names) {
      const std::string p = d + "/" + n;
      if (access(p.c_str(), F_OK) != 0) continue;
      /* libcublas.so.N needs libcublasLt.so.N: load it from the same folder first (pip wheels keep them
       * side by side and the loader may not look there); a loaded soname satisfies the dependency. */
      const size_t so = n.find(".so");
      if (n.rfind("libcublas.", 0) == 0 && so != std::string::npos) {
        const std::string lt = d + "/libcublasLt" + n.substr(so);
        if (access(lt.c_str(), F_OK) == 0) dlopen(lt.c_str(), RTLD_NOW | RTLD_LOCAL);
      }
      if (void* h = dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL)) {
        *path = p;
        return h;
      }
      *tried += std::string("; ") + dlerror();
    }
  }
  for (const std::string& n : names) {
    if (void* h = dlopen(n.c_str(), RTLD_NOW | RTLD_LOCAL)) {
      link_map* lm = nullptr;
      *path = dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name && *lm->l_name ? lm->l_name : n;
      return h;
    }
  }
  return nullptr;
}

std::string lookedIn(const std::vector<std::string>& dirs, const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
  s += " in ";
  for (const std::string& d : dirs) s += d + ", ";
  return s + "and the loader's default path";
}

/* cuBLAS (cublas_api.h values; declared here because the build machine has no cuBLAS headers). */
enum { kCublasOpN = 0, kCublasOpT = 1, kCublasDefaultMath = 0, kCublasGemmDefault = -1 };
enum { kCudaR32F = 0, kCudaR64F = 1, kCudaR16F = 2 };                               /* cudaDataType */
enum { kCompute32F = 68, kCompute64F = 70, kCompute32FFastTf32 = 77 };               /* cublasComputeType_t */
struct Cublas {
  int (*create)(void** handle) = nullptr;
  int (*setStream)(void* handle, CUstream stream) = nullptr;
  int (*setMathMode)(void* handle, int mode) = nullptr;
  int (*gemmStridedBatchedEx)(void* handle, int transa, int transb, int m, int n, int k, const void* alpha,
                              const void* A, int Atype, int lda, long long strideA, const void* B, int Btype, int ldb,
                              long long strideB, const void* beta, void* C, int Ctype, int ldc, long long strideC,
                              int batchCount, int computeType, int algo) = nullptr;
  const char* (*statusString)(int status) = nullptr; /* cuBLAS 11.4.2+; optional */
};

std::string cublasStatus(const Cublas& c, int s) {
  if (c.statusString) if (const char* t = c.statusString(s)) return t;
  switch (s) {
    case 1: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case 3: return "CUBLAS_STATUS_ALLOC_FAILED";
    case 7: return "CUBLAS_STATUS_INVALID_VALUE";
    case 8: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case 13: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case 14: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case 15: return "CUBLAS_STATUS_NOT_SUPPORTED";
    default: return "cuBLAS status " + std::to_string(s);
  }
}

/* NCCL (nccl.h values). ncclUniqueId is a 128-byte struct passed by value. */
struct NcclId { char internal[128]; };
struct Nccl {
  int (*getUniqueId)(NcclId* id) = nullptr;
  int (*commInitRank)(void** comm, int nranks, NcclId id, int rank) = nullptr;
  int (*commDestroy)(void* comm) = nullptr;
  int (*allReduce)(const void* s, void* r, size_t count, int dtype, int op, void* comm, CUstream st) = nullptr;
  int (*broadcast)(const void* s, void* r, size_t count, int dtype, int root, void* comm, CUstream st) = nullptr;
  int (*reduce)(const void* s, void* r, size_t count, int dtype, int op, int root, void* comm, CUstream st) = nullptr;
  int (*allGather)(const void* s, void* r, size_t sendcount, int dtype, void* comm, CUstream st) = nullptr;
  int (*reduceScatter)(const void* s, void* r, size_t recvcount, int dtype, int op, void* comm, CUstream st) = nullptr;
  int (*send)(const void* s, size_t count, int dtype, int peer, void* comm, CUstream st) = nullptr;
  int (*recv)(void* r, size_t count, int dtype, int peer, void* comm, CUstream st) = nullptr;
  int (*groupStart)() = nullptr;
  int (*groupEnd)() = nullptr;
  const char* (*errorString)(int r) = nullptr;
  const char* (*lastError)(void* comm) = nullptr; /* NCCL 2.13+; optional */
};
/* ncclDataType_t by tl::DType: float32 ncclFloat32 7, float16 ncclFloat16 6, float64 ncclFloat64 8,
 * int32 ncclInt32 2, uint8 ncclUint8 1, bool as uint8. */
const int kNcclTypes[] = {7, 6, 8, 2, 1, 1};

template <typename T>
bool sym(void* h, const char* name, T* fn, std::string* missing) {
  *fn = reinterpret_cast<T>(dlsym(h, name));
  if (!*fn && missing) *missing += std::string(missing->empty() ? "" : ", ") + name;
  return *fn != nullptr;
}

// ------------------------------------------------------------------ the GPU

/* A pinned host buffer a copy goes through; its event marks the copy on the stream. */
struct Staging {
  void* host = nullptr;
  uint64_t size = 0;
  CUevent event = nullptr;
  bool busy = false; /* a read's worker still copies out of it (set and cleared on the JS thread) */
};

struct Device {
  bool ready = false;
  CUdevice dev = 0;
  CUcontext ctx = nullptr;
  CUstream stream = nullptr;
  CUmodule module = nullptr;
  std::string moduleProblem;
  std::unordered_map<std::string, CUfunction> fns;
  /* Staging buffers: queued copies in stream order (so their events complete front first), free ones,
   * and ones whose copy is done but whose read still holds them. */
  std::deque<Staging*> inflight;
  std::vector<Staging*> idle, held;
  uint64_t stagingBytes = 0;
  void* cublas = nullptr;
};

thread_local CUcontext tlsCurrent = nullptr;

/* A read of n bytes, in chunks, each through its own staging buffer (busy until this is destroyed). */
struct ReadWaiter : tl::Waiter {
  struct Piece { Staging* s; uint64_t offset, len; };
  CUcontext ctx;
  void* dst;
  std::vector<Piece> pieces;
  ReadWaiter(CUcontext c, void* d) : ctx(c), dst(d) {}
  std::string wait(bool* sticky) override {
    drv.cuCtxSetCurrent(ctx);
    for (const Piece& p : pieces) {
      const CUresult r = drv.cuEventSynchronize(p.s->event);
      if (r != CUDA_SUCCESS) {
        *sticky = isSticky(r);
        return "CUDA error: " + errorText(r);
      }
      memcpy(static_cast<char*>(dst) + p.offset, p.s->host, p.len);
    }
    return "";
  }
  ~ReadWaiter() override {
    for (const Piece& p : pieces) p.s->busy = false;
  }
};

struct StreamWaiter : tl::Waiter {
  CUcontext ctx;
  CUstream stream;
  StreamWaiter(CUcontext c, CUstream s) : ctx(c), stream(s) {}
  std::string wait(bool* sticky) override {
    drv.cuCtxSetCurrent(ctx);
    const CUresult r = drv.cuStreamSynchronize(stream);
    if (r == CUDA_SUCCESS) return "";
    *sticky = isSticky(r);
    return "CUDA error: " + errorText(r);
  }
};

class CudaGpu : public tl::Gpu {
 public:
  bool emulated() const override { return false; }

  tl::InitResult init(const std::string& fatbin, const std::vector<std::string>& libs) override {
    tl::InitResult r;
    loadDriver();
    r.driverVersion = gDriverVersion;
    if (!gDriverProblem.empty()) {
      r.reason = gDriverProblem;
      return r;
    }
    std::ifstream f(fatbin, std::ios::binary);
    if (!f) {
      r.reason = "kernel image " + fatbin + " not found: run npm run build:cuda";
      return r;
    }
    std::stringstream ss;
    ss << f.rdbuf();
    image_ = ss.str();
    fatbinPath_ = fatbin;
    int best = 0;
    for (int d = 0; d < gDeviceCount; d++) {
      CUdevice dev;
      int major = 0;
      if (drv.cuDeviceGet(&dev, d) == CUDA_SUCCESS &&
          drv.cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev) == CUDA_SUCCESS)
        best = std::max(best, major);
    }
    if (best < 8) {
      r.reason = "no CUDA device of compute capability 8.0 or newer (torchlet's kernels are built for sm_80 and sm_90)";
      return r;
    }
    devs_.resize(gDeviceCount);
    if (const char* c = getenv("TORCHLET_CUDA_STAGING_CHUNK")) chunk_ = std::max<uint64_t>(1, strtoull(c, nullptr, 10));
    loadCublas(libs, &r);
    loadNccl(libs, &r);
    r.ok = true;
    r.deviceCount = gDeviceCount;
    return r;
  }

  tl::DeviceProps properties(int d) override {
    tl::DeviceProps p;
    CUdevice dev;
    CU(drv.cuDeviceGet(&dev, d));
    char name[256] = {0};
    CU(drv.cuDeviceGetName(name, sizeof name - 1, dev));
    p.name = name;
    size_t total = 0;
    CU(drv.cuDeviceTotalMem(&total, dev));
    p.totalMemory = total;
    CU(drv.cuDeviceGetAttribute(&p.major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev));
    CU(drv.cuDeviceGetAttribute(&p.minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev));
    CU(drv.cuDeviceGetAttribute(&p.multiProcessorCount, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev));
    return p;
  }

  void prepare(int d) override { current(d); }

  bool memAlloc(int d, uint64_t n, uint64_t* ptr) override {
    tlsOp = "alloc";
    current(d);
    CUdeviceptr p = 0;
    const CUresult r = drv.cuMemAlloc(&p, n);
    if (r == CUDA_ERROR_OUT_OF_MEMORY) return false;
    if (r != CUDA_SUCCESS) fail(r, "cuMemAlloc");
    *ptr = p;
    return true;
  }
  void memFree(int d, uint64_t p) override {
    tlsOp = "free";
    current(d);
    CU(drv.cuMemFree(p));
  }

  /* Copied into pinned staging chunk by chunk, each upload queued at once: returns without waiting for
   * the GPU (unless more than kStagingCap of staging is still in flight: then for the oldest chunk). */
  void write(int d, uint64_t dst, const void* src, uint64_t n) override {
    tlsOp = "write";
    Device& dv = current(d);
    for (uint64_t off = 0; off < n; off += chunk_) {
      const uint64_t len = std::min(chunk_, n - off);
      Staging* s = acquire(dv, len);
      memcpy(s->host, static_cast<const char*>(src) + off, len);
      CU(drv.cuMemcpyHtoDAsync(dst + off, s->host, len, dv.stream));
      record(dv, s);
    }
  }

  std::unique_ptr<tl::Waiter> read(int d, uint64_t src, uint64_t n, void* dst) override {
    tlsOp = "read";
    Device& dv = current(d);
    auto w = std::make_unique<ReadWaiter>(dv.ctx, dst);
    for (uint64_t off = 0; off < n; off += chunk_) {
      const uint64_t len = std::min(chunk_, n - off);
      Staging* s = acquire(dv, len);
      s->busy = true;
      w->pieces.push_back({s, off, len});
      CU(drv.cuMemcpyDtoHAsync(s->host, src + off, len, dv.stream));
      record(dv, s);
    }
    return w;
  }

  void copy(int d, uint64_t dst, uint64_t src, uint64_t n) override {
    tlsOp = "copyDevice";
    Device& dv = current(d);
    CU(drv.cuMemcpyDtoDAsync(dst, src, n, dv.stream));
  }

  void launch(int d, const std::string& name, int64_t n, const void* args, bool blocking) override {
    tlsOp = "launch";
    Device& dv = current(d);
    CUfunction fn = function(dv, name);
    const unsigned grid = (unsigned)std::min<int64_t>((n + 255) / 256, 65535);
    void* params[] = {const_cast<void*>(args)};
    const CUresult r = drv.cuLaunchKernel(fn, grid, 1, 1, 256, 1, 1, 0, dv.stream, params, nullptr);
    if (r != CUDA_SUCCESS && isSticky(r)) fail(r, "cuLaunchKernel");
    if (r != CUDA_SUCCESS) throw GpuError("CUDA error: " + errorText(r) + " (" + errorName(r) + " launching " + name + ")");
    if (blocking) waitAt(dv, "kernel " + name);
  }

  void gemm(int d, const tl::GemmArgs& g) override {
    tlsOp = "gemm";
    Device& dv = current(d);
    if (!cublasLib_) throw GpuError("cuBLAS was not found (looked for " + cublasLooked_ + ")" + cublasProblem_);
    if (!dv.cublas) {
      int s = cublas_.create(&dv.cublas);
      if (s != 0) throw GpuError("cublasCreate failed: " + cublasStatus(cublas_, s));
      if ((s = cublas_.setStream(dv.cublas, dv.stream)) != 0) throw GpuError("cublasSetStream failed: " + cublasStatus(cublas_, s));
      /* Default math: float32 stays float32 unless the compute type asks for TF32 (per call below). */
      if ((s = cublas_.setMathMode(dv.cublas, kCublasDefaultMath)) != 0) throw GpuError("cublasSetMathMode failed: " + cublasStatus(cublas_, s));
    }
    const float one = 1, zero = 0;
    const double oneD = 1, zeroD = 0;
    int type = kCudaR32F, compute = g.tf32 ? kCompute32FFastTf32 : kCompute32F;
    const void *alpha = &one, *beta = &zero;
    if (g.dtype == tl::DType::F16) type = kCudaR16F; /* float32 accumulation, float scalars */
    else if (g.dtype == tl::DType::F64) type = kCudaR64F, compute = kCompute64F, alpha = &oneD, beta = &zeroD;
    const int s = cublas_.gemmStridedBatchedEx(dv.cublas, g.transA ? kCublasOpT : kCublasOpN, g.transB ? kCublasOpT : kCublasOpN,
                                               (int)g.m, (int)g.n, (int)g.k, alpha, (const void*)g.a, type, (int)g.lda, g.strideA,
                                               (const void*)g.b, type, (int)g.ldb, g.strideB, beta, (void*)g.c, type, (int)g.ldc,
                                               g.strideC, (int)g.batch, compute, kCublasGemmDefault);
    if (s != 0) throw GpuError("cublasGemmStridedBatchedEx failed: " + cublasStatus(cublas_, s));
    if (blockingGemm_) waitAt(dv, "gemm");
  }

  std::unique_ptr<tl::Waiter> synchronize(int d) override {
    tlsOp = "synchronize";
    Device& dv = current(d);
    return std::make_unique<StreamWaiter>(dv.ctx, dv.stream);
  }

  void releaseIdle(int d) override {
    tlsOp = "emptyCache";
    Device& dv = current(d);
    retire(dv, false);
    for (Staging* s : dv.idle) destroy(dv, s);
    dv.idle.clear();
  }

  std::string ncclMissing() override {
    return ncclLib_ ? "" : "NCCL was not found (looked for " + ncclLooked_ + ")" + ncclProblem_ + ": install PyTorch's nvidia-nccl-cu12 wheel or set TORCHLET_CUDA_LIBS";
  }
  void ncclGetUniqueId(uint8_t out[128]) override {
    NcclId id;
    nccl("ncclGetUniqueId", nccl_.getUniqueId(&id), nullptr);
    memcpy(out, id.internal, 128);
  }
  void* ncclCommInitRank(int d, const uint8_t id[128], int nranks, int rank) override {
    drv.cuCtxSetCurrent(devs_[d].ctx); /* NCCL takes the device from the worker thread's context */
    NcclId nid;
    memcpy(nid.internal, id, 128);
    void* comm = nullptr;
    nccl("ncclCommInitRank", nccl_.commInitRank(&comm, nranks, nid, rank), nullptr);
    return comm;
  }
  void ncclCommDestroy(void* comm) override { nccl("ncclCommDestroy", nccl_.commDestroy(comm), nullptr); }
  void ncclCollective(int d, void* comm, const tl::NcclCall& c) override {
    tlsOp = "collective";
    Device& dv = current(d);
    const int t = kNcclTypes[(int)c.dtype];
    const void* s = (const void*)c.send;
    void* r = (void*)c.recv;
    int res;
    if (c.op == "allReduce") res = nccl_.allReduce(s, r, c.count, t, c.redOp, comm, dv.stream);
    else if (c.op == "broadcast") res = nccl_.broadcast(s, r, c.count, t, c.root, comm, dv.stream);
    else if (c.op == "reduce") res = nccl_.reduce(s, r, c.count, t, c.redOp, c.root, comm, dv.stream);
    else if (c.op == "allGather") res = nccl_.allGather(s, r, c.count, t, comm, dv.stream);
    else if (c.op == "reduceScatter") res = nccl_.reduceScatter(s, r, c.count, t, c.redOp, comm, dv.stream);
    else if (c.op == "send") res = nccl_.send(s, c.count, t, c.peer, comm, dv.stream);
    else res = nccl_.recv(r, c.count, t, c.peer, comm, dv.stream);
    nccl(("nccl " + c.op).c_str(), res, comm);
  }
  void ncclGroupStart() override { nccl("ncclGroupStart", nccl_.groupStart(), nullptr); }
  void ncclGroupEnd() override { nccl("ncclGroupEnd", nccl_.groupEnd(), nullptr); }

  ~CudaGpu() override {
    /* Driver objects only (cuBLAS handles are left to process exit: its runtime may be gone already). */
    for (Device& dv : devs_) {
      if (!dv.ready) continue;
      drv.cuCtxSetCurrent(dv.ctx);
      for (auto* list : {&dv.idle, &dv.held}) for (Staging* s : *list) destroy(dv, s);
      for (Staging* s : dv.inflight) destroy(dv, s);
      if (dv.module) drv.cuModuleUnload(dv.module);
      drv.cuStreamDestroy(dv.stream);
      drv.cuDevicePrimaryCtxRelease(dv.dev);
    }
    tlsCurrent = nullptr;
  }

 private:
  Device& current(int d) {
    Device& dv = devs_[d];
    if (!dv.ready) {
      CU(drv.cuDeviceGet(&dv.dev, d));
      CU(drv.cuDevicePrimaryCtxRetain(&dv.ctx, dv.dev));
      CU(drv.cuCtxSetCurrent(dv.ctx));
      tlsCurrent = dv.ctx;
      CU(drv.cuStreamCreate(&dv.stream, CU_STREAM_NON_BLOCKING));
      dv.ready = true;
    }
    if (tlsCurrent != dv.ctx) {
      CU(drv.cuCtxSetCurrent(dv.ctx));
      tlsCurrent = dv.ctx;
    }
    return dv;
  }

  CUfunction function(Device& dv, const std::string& name) {
    auto it = dv.fns.find(name);
    if (it != dv.fns.end()) return it->second;
    if (!dv.module && dv.moduleProblem.empty()) {
      const CUresult r = drv.cuModuleLoadData(&dv.module, image_.data());
      if (r != CUDA_SUCCESS) {
        dv.module = nullptr;
        dv.moduleProblem = "cannot load the kernel image " + fatbinPath_ + ": " + errorName(r) + " (" + errorText(r) + "); it was built with CUDA " +
                           versionText(CUDA_VERSION) + " for sm_80/sm_90 and the driver supports CUDA " + versionText(gDriverVersion) +
                           ": update the driver or rebuild with npm run build:cuda";
      }
    }
    if (!dv.module) throw GpuError(dv.moduleProblem);
    CUfunction fn = nullptr;
    const CUresult r = drv.cuModuleGetFunction(&fn, dv.module, name.c_str());
    if (r == CUDA_ERROR_NOT_FOUND) throw GpuError("unknown CUDA kernel '" + name + "' (not in " + fatbinPath_ + ": rebuild with npm run build:cuda)");
    if (r != CUDA_SUCCESS) fail(r, "cuModuleGetFunction");
    dv.fns.emplace(name, fn);
    return fn;
  }

  /* CUDA_LAUNCH_BLOCKING=1: wait here so an asynchronous error names the work that raised it. */
  void waitAt(Device& dv, const std::string& what) {
    const CUresult r = drv.cuStreamSynchronize(dv.stream);
    if (r != CUDA_SUCCESS) throw GpuError("CUDA error: " + errorText(r) + " (raised by " + what + ")", isSticky(r));
  }

  void record(Device& dv, Staging* s) {
    CU(drv.cuEventRecord(s->event, dv.stream));
    dv.inflight.push_back(s);
  }

  /* Moves finished copies' buffers out of inflight (wait: the front one even if not finished yet). */
  void retire(Device& dv, bool wait) {
    while (!dv.inflight.empty()) {
      Staging* s = dv.inflight.front();
      const CUresult r = wait ? drv.cuEventSynchronize(s->event) : drv.cuEventQuery(s->event);
      if (r == CUDA_ERROR_NOT_READY) break;
      if (r != CUDA_SUCCESS) fail(r, wait ? "cuEventSynchronize" : "cuEventQuery");
      dv.inflight.pop_front();
      (s->busy ? dv.held : dv.idle).push_back(s);
      wait = false;
    }
    for (size_t i = 0; i < dv.held.size();) {
      if (dv.held[i]->busy) { i++; continue; }
      dv.idle.push_back(dv.held[i]);
      dv.held.erase(dv.held.begin() + i);
    }
  }

  Staging* takeIdle(Device& dv, uint64_t n) {
    size_t best = dv.idle.size();
    for (size_t i = 0; i < dv.idle.size(); i++)
      if (dv.idle[i]->size >= n && (best == dv.idle.size() || dv.idle[i]->size < dv.idle[best]->size)) best = i;
    if (best == dv.idle.size()) return nullptr;
    Staging* s = dv.idle[best];
    dv.idle.erase(dv.idle.begin() + best);
    return s;
  }

  /* A pinned buffer of at least n (<= chunk_) bytes that no queued copy still uses: a free one, else a
   * new one, unless kStagingCap bytes are pinned already: then wait for the oldest copies to finish. */
  Staging* acquire(Device& dv, uint64_t n) {
    retire(dv, false);
    if (Staging* s = takeIdle(dv, n)) return s;
    const uint64_t size = n <= (1u << 20) ? std::max<uint64_t>(64 << 10, roundPow2(n)) : (n + (1u << 20) - 1) / (1u << 20) * (1u << 20);
    while (dv.stagingBytes + size > kStagingCap && !dv.inflight.empty()) {
      retire(dv, true);
      if (Staging* s = takeIdle(dv, n)) return s;
    }
    auto* s = new Staging();
    s->size = size;
    CUresult r = drv.cuMemHostAlloc(&s->host, s->size, 0);
    if (r != CUDA_SUCCESS) {
      delete s;
      fail(r, "cuMemHostAlloc (pinned staging buffer)");
    }
    r = drv.cuEventCreate(&s->event, CU_EVENT_DISABLE_TIMING);
    if (r != CUDA_SUCCESS) {
      drv.cuMemFreeHost(s->host);
      delete s;
      fail(r, "cuEventCreate");
    }
    dv.stagingBytes += s->size;
    return s;
  }

  void destroy(Device& dv, Staging* s) {
    dv.stagingBytes -= s->size;
    drv.cuEventDestroy(s->event);
    drv.cuMemFreeHost(s->host);
    delete s;
  }
  static uint64_t roundPow2(uint64_t n) {
    uint64_t p = 1;
    while (p < n) p <<= 1;
    return p;
  }

  // Opens the first of `names` found (libs, then the loader's path) for an optional library: where
  // it looked and what failed go to *looked and *problem (the "not found" error quotes both).
  static void* openOptional(const std::vector<std::string>& libs, const std::vector<std::string>& names, std::string* path,
      std::string* looked, std::string* problem) {
    *looked = lookedIn(libs, names);
    problem->clear();
    return openLibrary(libs, names, path, problem);
  }

  void loadCublas(const std::vector<std::string>& libs, tl::InitResult* r) {
    std::string path, missing;
    void* h = openOptional(libs, {"libcublas.so.13", "libcublas.so.12", "libcublas.so.11"}, &path, &cublasLooked_, &cublasProblem_);
    if (!h) return;
    bool ok = sym(h, "cublasCreate_v2", &cublas_.create, &missing);
    ok = sym(h, "cublasSetStream_v2", &cublas_.setStream, &missing) && ok;
    ok = sym(h, "cublasSetMathMode", &cublas_.setMathMode, &missing) && ok;
    ok = sym(h, "cublasGemmStridedBatchedEx", &cublas_.gemmStridedBatchedEx, &missing) && ok;
    sym(h, "cublasGetStatusString", &cublas_.statusString, nullptr);
    if (!ok) {
      cublasProblem_ = "; " + path + " lacks " + missing;
      return;
    }
    cublasLib_ = h;
    r->cublas = path;
    const char* lb = getenv("CUDA_LAUNCH_BLOCKING");
    blockingGemm_ = lb && std::string(lb) == "1";
  }

  void loadNccl(const std::vector<std::string>& libs, tl::InitResult* r) {
    std::string path, missing;
    void* h = openOptional(libs, {"libnccl.so.2"}, &path, &ncclLooked_, &ncclProblem_);
    if (!h) return;
    bool ok = true;
    ok = sym(h, "ncclGetUniqueId", &nccl_.getUniqueId, &missing) && ok;
    ok = sym(h, "ncclCommInitRank", &nccl_.commInitRank, &missing) && ok;
    ok = sym(h, "ncclCommDestroy", &nccl_.commDestroy, &missing) && ok;
    ok = sym(h, "ncclAllReduce", &nccl_.allReduce, &missing) && ok;
    ok = sym(h, "ncclBroadcast", &nccl_.broadcast, &missing) && ok;
    ok = sym(h, "ncclReduce", &nccl_.reduce, &missing) && ok;
    ok = sym(h, "ncclAllGather", &nccl_.allGather, &missing) && ok;
    ok = sym(h, "ncclReduceScatter", &nccl_.reduceScatter, &missing) && ok;
    ok = sym(h, "ncclSend", &nccl_.send, &missing) && ok;
    ok = sym(h, "ncclRecv", &nccl_.recv, &missing) && ok;
    ok = sym(h, "ncclGroupStart", &nccl_.groupStart, &missing) && ok;
    ok = sym(h, "ncclGroupEnd", &nccl_.groupEnd, &missing) && ok;
    ok = sym(h, "ncclGetErrorString", &nccl_.errorString, &missing) && ok;
    sym(h, "ncclGetLastError", &nccl_.lastError, nullptr);
    if (!ok) {
      ncclProblem_ = "; " + path + " lacks " + missing;
      return;
    }
    ncclLib_ = h;
    r->nccl = path;
  }

  void nccl(const char* what, int res, void* comm) {
    if (res == 0) return;
    std::string msg = std::string("NCCL error in ") + what + ": " + (nccl_.errorString ? nccl_.errorString(res) : std::to_string(res));
    if (nccl_.lastError) if (const char* last = nccl_.lastError(comm)) if (*last) msg += std::string(" (") + last + ")";
    throw GpuError(msg);
  }

  static constexpr uint64_t kStagingCap = 1ull << 30; /* pinned staging per device before writes wait */
  uint64_t chunk_ = 32ull << 20; /* TORCHLET_CUDA_STAGING_CHUNK: copies move through staging in chunks this big */
  std::vector<Device> devs_;
  std::string image_, fatbinPath_;
  void* cublasLib_ = nullptr;
  Cublas cublas_;
  std::string cublasLooked_, cublasProblem_;
  bool blockingGemm_ = false;
  void* ncclLib_ = nullptr;
  Nccl nccl_;
  std::string ncclLooked_, ncclProblem_;
};

}  // namespace

std::unique_ptr<tl::Gpu> tl::makeGpu() { return std::make_unique<CudaGpu>(); }
