/* emu.cc: the emulated GPU of the test-only build (-DTORCHLET_CUDA_EMU): host memory for device memory,
 * kernels.cu compiled as C++ and run block by block, thread by thread, gemm as a host loop with cuBLAS's
 * column-major semantics, no NCCL. Contract: gpu.h's Gpu, so addon.cc is the same as in the real build.
 * Env: TORCHLET_CUDA_EMULATE_DEVICES (default 2), _MEMORY (bytes per device, default 4 GiB), _MAX_GRID
 * (default 65535, the real launch's cap; smaller values exercise grid-stride loops). */
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "emu.h"
#include "gpu.h"

thread_local TlEmuDim3 threadIdx, blockIdx, blockDim, gridDim;

namespace {

std::vector<std::pair<const char*, TlEmuKernel>>& registry() {
  static std::vector<std::pair<const char*, TlEmuKernel>> r; /* filled by static initialisers */
  return r;
}

uint64_t envNumber(const char* name, uint64_t fallback) {
  const char* s = getenv(name);
  if (!s || !*s) return fallback;
  char* end = nullptr;
  const double v = strtod(s, &end);
  if (*end || !(v >= 0)) return fallback;
  return (uint64_t)v;
}

/* TF32 keeps 10 mantissa bits, rounding to nearest with ties away from zero (cvt.rna.tf32.f32). */
float toTf32(float x) {
  if (!std::isfinite(x)) return x;
  uint32_t u;
  memcpy(&u, &x, 4);
  u = (u + 0x1000u) & ~0x1fffu;
  memcpy(&x, &u, 4);
  return x;
}

struct DoneWaiter : tl::Waiter {
  std::string wait(bool*) override { return ""; }
};

template <typename T, typename Acc, typename Load, typename Store>
void gemmLoop(const tl::GemmArgs& g, Load load, Store store) {
  const T* A = reinterpret_cast<const T*>(g.a);
  const T* B = reinterpret_cast<const T*>(g.b);
  T* C = reinterpret_cast<T*>(g.c);
  for (int64_t p = 0; p < g.batch; p++) {
    const T* a = A + p * g.strideA;
    const T* b = B + p * g.strideB;
    T* c = C + p * g.strideC;
    for (int64_t j = 0; j < g.n; j++) {
      for (int64_t i = 0; i < g.m; i++) {
        Acc acc = 0;
        for (int64_t l = 0; l < g.k; l++) {
          const Acc x = load(g.transA ? a[l + i * g.lda] : a[i + l * g.lda]);
          const Acc y = load(g.transB ? b[j + l * g.ldb] : b[l + j * g.ldb]);
          acc += x * y;
        }
        c[i + j * g.ldc] = store(acc);
      }
    }
  }
}

class EmuGpu : public tl::Gpu {
 public:
  bool emulated() const override { return true; }

  tl::InitResult init(const std::string&, const std::vector<std::string>&) override {
    tl::InitResult r;
    devices_ = (int)envNumber("TORCHLET_CUDA_EMULATE_DEVICES", 2);
    capacity_ = envNumber("TORCHLET_CUDA_EMULATE_MEMORY", 4ull << 30);
    maxGrid_ = envNumber("TORCHLET_CUDA_EMULATE_MAX_GRID", 65535);
    if (maxGrid_ < 1) maxGrid_ = 1;
    used_.assign(devices_, 0);
    for (auto& [name, fn] : registry()) kernels_[name] = fn;
    r.ok = devices_ > 0;
    if (!r.ok) r.reason = "TORCHLET_CUDA_EMULATE_DEVICES=0: the CUDA emulator has no devices";
    r.deviceCount = devices_;
    r.cublas = "(emulated: host loop)";
    return r;
  }

  tl::DeviceProps properties(int) override {
    /* 9.0 so code gated on sm_80+ features (TF32, float16 tensor cores) takes its GPU path. */
    return tl::DeviceProps{"torchlet CUDA emulator (host CPU)", capacity_, 9, 0, 1};
  }

  bool memAlloc(int dev, uint64_t n, uint64_t* ptr) override {
    if (used_[dev] + n > capacity_) return false;
    void* p = aligned_alloc(256, n); /* n is a multiple of 512 (allocator size classes) */
    if (!p) return false;
    memset(p, 0xff, n); /* fresh device memory is garbage: NaN / -1 make a missing initialisation visible */
    used_[dev] += n;
    sizes_[(uint64_t)p] = n;
    *ptr = (uint64_t)p;
    return true;
  }
  void memFree(int dev, uint64_t ptr) override {
    auto it = sizes_.find(ptr);
    if (it == sizes_.end()) return;
    used_[dev] -= it->second;
    sizes_.erase(it);
    ::free((void*)ptr);
  }
  void write(int, uint64_t dst, const void* src, uint64_t n) override { memcpy((void*)dst, src, n); }
  std::unique_ptr<tl::Waiter> read(int, uint64_t src, uint64_t n, void* dst) override {
    memcpy(dst, (const void*)src, n); /* now: later launches must not change what this read sees */
    return std::make_unique<DoneWaiter>();
  }
  void copy(int, uint64_t dst, uint64_t src, uint64_t n) override { memmove((void*)dst, (const void*)src, n); }

  void launch(int, const std::string& name, int64_t n, const void* args, bool) override {
    auto it = kernels_.find(name);
    if (it == kernels_.end()) throw tl::GpuError("unknown CUDA kernel '" + name + "' (not in the emulated build: rebuild with npm run build:cuda -- --emulate)");
    if (n <= 0) return;
    TlArgs a;
    memcpy(&a, args, sizeof a);
    const uint64_t grid = std::min<uint64_t>(((uint64_t)n + 255) / 256, maxGrid_);
    const TlEmuKernel fn = it->second;
    gridDim = {(unsigned)grid, 1, 1};
    blockDim = {256, 1, 1};
    /* Threads whose first item is past n do nothing in TL_FOR_EACH (the kernel contract): they are not
     * called. Once the grid is capped, every thread has items (the grid-stride loop). */
    const bool strided = grid * 256 < (uint64_t)n;
    for (unsigned b = 0; b < grid; b++) {
      blockIdx = {b, 0, 0};
      const unsigned threads = strided ? 256u : (unsigned)std::min<uint64_t>(256, (uint64_t)n - (uint64_t)b * 256);
      for (unsigned t = 0; t < threads; t++) {
        threadIdx = {t, 0, 0};
        fn(a);
      }
    }
  }

  void gemm(int, const tl::GemmArgs& g) override {
    switch (g.dtype) {
      case tl::DType::F32:
        if (g.tf32) gemmLoop<float, float>(g, [](float x) { return toTf32(x); }, [](float v) { return v; });
        else gemmLoop<float, float>(g, [](float x) { return x; }, [](float v) { return v; });
        break;
      case tl::DType::F64: gemmLoop<double, double>(g, [](double x) { return x; }, [](double v) { return v; }); break;
      case tl::DType::F16:
        gemmLoop<__half, float>(g, [](__half x) { return __half2float(x); }, [](float v) { return __float2half_rn(v); });
        break;
      default: throw tl::GpuError("gemm: unsupported dtype");
    }
  }

  std::unique_ptr<tl::Waiter> synchronize(int) override { return std::make_unique<DoneWaiter>(); }
  void releaseIdle(int) override {}

  void prepare(int) override {}
  std::string ncclMissing() override { return "NCCL is not available in the CUDA emulator"; }
  [[noreturn]] static void noNccl() { throw tl::GpuError("NCCL is not available in the CUDA emulator"); }
  void ncclGetUniqueId(uint8_t*) override { noNccl(); }
  void* ncclCommInitRank(int, const uint8_t*, int, int) override { noNccl(); }
  void ncclCommDestroy(void*) override { noNccl(); }
  void ncclCollective(int, void*, const tl::NcclCall&) override { noNccl(); }
  void ncclGroupStart() override { noNccl(); }
  void ncclGroupEnd() override { noNccl(); }

  ~EmuGpu() override {
    for (auto& [p, n] : sizes_) { ::free((void*)p); (void)n; }
  }

 private:
  int devices_ = 0;
  uint64_t capacity_ = 0, maxGrid_ = 65535;
  std::vector<uint64_t> used_;
  std::unordered_map<uint64_t, uint64_t> sizes_;
  std::unordered_map<std::string, TlEmuKernel> kernels_;
};

}  // namespace

int tl_emu_register(const char* name, TlEmuKernel fn) {
  registry().emplace_back(name, fn);
  return 0;
}

std::unique_ptr<tl::Gpu> tl::makeGpu() { return std::make_unique<EmuGpu>(); }
