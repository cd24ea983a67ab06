/* addon.cc: the N-API face of torchlet's CUDA addon (native-cuda/ABI.md, "Addon API"). It checks every
 * argument, owns one caching allocator per device, keeps CUDA's sticky errors (after an asynchronous
 * fault every later call throws it), and turns waits into Promises resolved from napi async work, so
 * the event loop never blocks on the GPU. What runs the work is a tl::Gpu (gpu.h): the CUDA driver
 * (cuda_gpu.cc) or, in the -DTORCHLET_CUDA_EMU test build, the host emulator (emu.cc). */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "abi.h"
#include "allocator.h"
#include "gpu.h"

namespace {

using tl::CachingAllocator;
using tl::DType;
using tl::GpuError;

/* An error for JS: thrown by helpers, caught at the N-API boundary. */
struct JsError : std::runtime_error {
  bool type;
  explicit JsError(const std::string& m, bool t = false) : std::runtime_error(m), type(t) {}
};

struct Device {
  std::unique_ptr<CachingAllocator> alloc;
  std::string sticky; /* the error that broke this device's context; every later call throws it */
  std::string fault;  /* emulator: an out-of-bounds launch, reported by the next read/synchronize */
  tl::DeviceProps props;
  bool haveProps = false;
};

/* Per JS environment (main thread, each Worker): its own streams, pools and allocator. */
struct Instance {
  std::unique_ptr<tl::Gpu> gpu;
  bool initialised = false;
  tl::InitResult info;
  bool launchBlocking = false, checkBounds = false;
  std::vector<Device> devs;
  std::vector<std::pair<void*, int>> comms; /* handle - 1 -> (ncclComm_t, device) */
  ~Instance() {
    for (auto& d : devs)
      if (d.alloc) try { d.alloc->releaseAll(); } catch (...) {}
  }
};

const char* kDtypeNames[] = {"float32", "float16", "float64", "int32", "uint8", "bool"};
const int kDtypeSizes[] = {4, 2, 8, 4, 1, 1};

std::string hex(uint64_t p) {
  char b[32];
  snprintf(b, sizeof b, "0x%llx", (unsigned long long)p);
  return b;
}

/* PyTorch's format_size (c10/cuda/CUDACachingAllocator.cpp). */
std::string formatSize(uint64_t n) {
  char b[64];
  if (n <= 1024) snprintf(b, sizeof b, "%llu bytes", (unsigned long long)n);
  else if (n <= 1048576) snprintf(b, sizeof b, "%.2f KiB", n / 1024.0);
  else if (n <= 1073741824) snprintf(b, sizeof b, "%.2f MiB", n / 1048576.0);
  else snprintf(b, sizeof b, "%.2f GiB", n / 1073741824.0);
  return b;
}

std::string asyncSuffix(const char* where) {
  return std::string(" (raised by work queued before this ") + where + "; set CUDA_LAUNCH_BLOCKING=1 to raise it at the kernel)";
}

// ------------------------------------------------------------------ N-API helpers

#define CHECK_NAPI(call)                                                         \
  do {                                                                           \
    if ((call) != napi_ok) throw JsError(std::string("N-API call failed: ") + #call); \
  } while (0)

Instance* instance(napi_env env) {
  void* data = nullptr;
  CHECK_NAPI(napi_get_instance_data(env, &data));
  return static_cast<Instance*>(data);
}

struct Args {
  napi_value v[6];
  size_t n = 6;
  Args(napi_env env, napi_callback_info info) { CHECK_NAPI(napi_get_cb_info(env, info, &n, v, nullptr, nullptr)); }
  napi_value operator[](size_t i) const { return i < n ? v[i] : nullptr; }
};

napi_valuetype typeOf(napi_env env, napi_value v) {
  napi_valuetype t = napi_undefined;
  if (v) CHECK_NAPI(napi_typeof(env, v, &t));
  return t;
}

double number(napi_env env, napi_value v, const std::string& what) {
  if (typeOf(env, v) != napi_number) throw JsError(what + " must be a number", true);
  double d;
  CHECK_NAPI(napi_get_value_double(env, v, &d));
  return d;
}

/* A non-negative integer below 2^53 (device addresses, sizes, counts). */
uint64_t count(napi_env env, napi_value v, const std::string& what) {
  const double d = number(env, v, what);
  if (!(d >= 0) || d != std::floor(d) || d > 9007199254740991.0)
    throw JsError(what + " must be a non-negative integer, got " + std::to_string(d));
  return (uint64_t)d;
}

int64_t integer(napi_env env, napi_value v, const std::string& what) {
  const double d = number(env, v, what);
  if (d != std::floor(d) || std::fabs(d) > 9007199254740991.0) throw JsError(what + " must be an integer, got " + std::to_string(d));
  return (int64_t)d;
}

bool boolean(napi_env env, napi_value v, const std::string& what) {
  if (typeOf(env, v) != napi_boolean) throw JsError(what + " must be a boolean", true);
  bool b;
  CHECK_NAPI(napi_get_value_bool(env, v, &b));
  return b;
}

std::string string(napi_env env, napi_value v, const std::string& what) {
  if (typeOf(env, v) != napi_string) throw JsError(what + " must be a string", true);
  size_t len = 0;
  CHECK_NAPI(napi_get_value_string_utf8(env, v, nullptr, 0, &len));
  std::string s(len, '\0');
  CHECK_NAPI(napi_get_value_string_utf8(env, v, &s[0], len + 1, &len));
  return s;
}

napi_value prop(napi_env env, napi_value obj, const char* name) {
  napi_value v;
  CHECK_NAPI(napi_get_named_property(env, obj, name, &v));
  return v;
}

napi_value object(napi_env env, napi_value v, const std::string& what) {
  if (typeOf(env, v) != napi_object) throw JsError(what + " must be an object", true);
  return v;
}

/* The bytes of a TypedArray, DataView or ArrayBuffer. */
void bytes(napi_env env, napi_value v, const std::string& what, void** data, size_t* len) {
  bool is = false;
  CHECK_NAPI(napi_is_typedarray(env, v, &is));
  if (is) {
    napi_typedarray_type type;
    size_t length, offset;
    napi_value ab;
    CHECK_NAPI(napi_get_typedarray_info(env, v, &type, &length, data, &ab, &offset));
    static const size_t sizes[] = {1, 1, 1, 2, 2, 4, 4, 4, 8, 8, 8}; /* napi_int8_array .. napi_biguint64_array */
    *len = length * sizes[type];
    return;
  }
  CHECK_NAPI(napi_is_dataview(env, v, &is));
  if (is) {
    napi_value ab;
    size_t offset;
    CHECK_NAPI(napi_get_dataview_info(env, v, len, data, &ab, &offset));
    return;
  }
  CHECK_NAPI(napi_is_arraybuffer(env, v, &is));
  if (is) {
    CHECK_NAPI(napi_get_arraybuffer_info(env, v, data, len));
    return;
  }
  throw JsError(what + " must be an ArrayBufferView (TypedArray or DataView)", true);
}

napi_value num(napi_env env, double d) {
  napi_value v;
  CHECK_NAPI(napi_create_double(env, d, &v));
  return v;
}
napi_value str(napi_env env, const std::string& s) {
  napi_value v;
  CHECK_NAPI(napi_create_string_utf8(env, s.data(), s.size(), &v));
  return v;
}
napi_value boolValue(napi_env env, bool b) {
  napi_value v;
  CHECK_NAPI(napi_get_boolean(env, b, &v));
  return v;
}
napi_value nullValue(napi_env env) {
  napi_value v;
  CHECK_NAPI(napi_get_null(env, &v));
  return v;
}
napi_value undefinedValue(napi_env env) {
  napi_value v;
  CHECK_NAPI(napi_get_undefined(env, &v));
  return v;
}
void set(napi_env env, napi_value obj, const char* name, napi_value v) { CHECK_NAPI(napi_set_named_property(env, obj, name, v)); }
napi_value newObject(napi_env env) {
  napi_value o;
  CHECK_NAPI(napi_create_object(env, &o));
  return o;
}
napi_value makeError(napi_env env, const std::string& msg) {
  napi_value e;
  CHECK_NAPI(napi_create_error(env, nullptr, str(env, msg), &e));
  return e;
}

/* Runs body, turning C++ exceptions into JS exceptions at the boundary. */
template <typename F>
napi_value guard(napi_env env, F body) {
  try {
    return body();
  } catch (const JsError& e) {
    if (e.type) napi_throw_type_error(env, nullptr, e.what());
    else napi_throw_error(env, nullptr, e.what());
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

// ------------------------------------------------------------------ devices and errors

Instance* ready(napi_env env) {
  Instance* in = instance(env);
  if (!in->initialised) throw JsError("the CUDA addon is not initialised: call init() first");
  if (!in->info.ok) throw JsError("CUDA is not available: " + in->info.reason);
  return in;
}

/* The device index argument; throws the device's sticky error unless cleanup is what is asked. */
int device(napi_env env, Instance* in, napi_value v, bool allowBroken = false) {
  const int64_t d = integer(env, v, "dev");
  const int n = in->info.deviceCount;
  if (d < 0 || d >= n)
    throw JsError("CUDA error: invalid device ordinal: cuda:" + std::to_string(d) + " (" + std::to_string(n) +
                  " CUDA device" + (n == 1 ? "" : "s") + ": cuda:0.." + "cuda:" + std::to_string(n - 1) + ")");
  if (!allowBroken && !in->devs[d].sticky.empty()) throw JsError(in->devs[d].sticky);
  return (int)d;
}

const tl::DeviceProps& props(Instance* in, int dev) {
  Device& d = in->devs[dev];
  if (!d.haveProps) {
    d.props = in->gpu->properties(dev);
    d.haveProps = true;
  }
  return d.props;
}

/* Calls into the Gpu; a sticky error is remembered for every later call on the device. */
template <typename F>
auto onDevice(Instance* in, int dev, F call) -> decltype(call()) {
  try {
    return call();
  } catch (const GpuError& e) {
    if (e.sticky) in->devs[dev].sticky = e.what();
    throw;
  }
}

CachingAllocator& allocator(Instance* in, int dev) {
  Device& d = in->devs[dev];
  if (!d.alloc) {
    tl::Gpu* gpu = in->gpu.get();
    d.alloc = std::make_unique<CachingAllocator>(
        [gpu, dev](uint64_t n, uint64_t* p) { return gpu->memAlloc(dev, n, p); },
        [gpu, dev](uint64_t p) { gpu->memFree(dev, p); });
  }
  return *d.alloc;
}

/* [p, p + n) must lie inside one live allocation (its requested size). */
void checkRange(Instance* in, int dev, uint64_t p, uint64_t n, const char* what) {
  if (n == 0) return;
  uint64_t base = 0;
  const CachingAllocator::Block* b = allocator(in, dev).find(p, &base);
  if (!b) throw JsError(std::string(what) + ": " + hex(p) + " is not a live allocation on cuda:" + std::to_string(dev));
  if (p + n > base + b->requested)
    throw JsError(std::string(what) + ": " + std::to_string(n) + " bytes at " + hex(p) + " run past the end of the allocation at " +
                  hex(base) + " (" + std::to_string(b->requested) + " bytes) on cuda:" + std::to_string(dev));
}

/* Elements [lo, hi] of a buffer at ptr must lie in one live allocation; "" or what is wrong. */
std::string extentProblem(Instance* in, int dev, uint64_t ptr, __int128 lo, __int128 hi, int elemSize) {
  uint64_t base = 0;
  const CachingAllocator::Block* b = allocator(in, dev).find(ptr, &base);
  if (!b) return "points to " + hex(ptr) + ", which is not a live allocation (freed, or never allocated)";
  const __int128 first = (__int128)ptr + lo * elemSize, end = (__int128)ptr + (hi + 1) * elemSize;
  if (first < (__int128)base || end > (__int128)(base + b->requested))
    return "reaches bytes [" + std::to_string((long long)(first - (__int128)base)) + ", " + std::to_string((long long)(end - (__int128)base)) +
           ") of the allocation at " + hex(base) + ", which holds " + std::to_string(b->requested) + " bytes";
  return "";
}

std::string viewProblem(Instance* in, int dev, const TlView& v) {
  if (v.ptr == 0) return ""; /* an unused operand */
  if (v.dtype < 0 || v.dtype > TL_BOOL) return "has an unknown dtype code " + std::to_string(v.dtype);
  if (v.ndim < 0 || v.ndim > TL_MAX_DIMS) return "has ndim " + std::to_string(v.ndim) + " (0.." + std::to_string(TL_MAX_DIMS) + ")";
  __int128 lo = v.offset, hi = v.offset;
  std::string shape;
  for (int d = 0; d < v.ndim; d++) {
    if (v.shape[d] < 0) return "has a negative size in dimension " + std::to_string(d);
    if (v.shape[d] == 0) return ""; /* no elements */
    const __int128 span = (__int128)(v.shape[d] - 1) * v.strides[d];
    (span < 0 ? lo : hi) += span;
    shape += (d ? ", " : "") + std::to_string(v.shape[d]);
  }
  const std::string p = extentProblem(in, dev, v.ptr, lo, hi, kDtypeSizes[v.dtype]);
  return p.empty() ? "" : std::string("(") + kDtypeNames[v.dtype] + ", shape [" + shape + "], offset " + std::to_string(v.offset) + ") " + p;
}

/* A bounds fault found before the work ran. Emulator: it is CUDA's asynchronous illegal-address error,
 * reported at the next read (or now, with CUDA_LAUNCH_BLOCKING=1); the real build (checks only with
 * TORCHLET_CUDA_CHECK_BOUNDS=1) refuses the launch instead. */
void fault(Instance* in, int dev, const std::string& what, const std::string& problem) {
  if (!in->gpu->emulated()) throw JsError(what + ": " + problem + " (TORCHLET_CUDA_CHECK_BOUNDS)");
  const std::string detail = " [emulator: " + what + " " + problem + "]";
  if (in->launchBlocking) {
    in->devs[dev].sticky = "CUDA error: an illegal memory access was encountered (raised by " + what + ")" + detail;
    throw JsError(in->devs[dev].sticky);
  }
  if (in->devs[dev].fault.empty()) in->devs[dev].fault = detail;
}

/* The emulator's pending fault, as the error a read/synchronize rejects with (then sticky). */
bool takeFault(Instance* in, int dev, const char* where, std::string* msg) {
  Device& d = in->devs[dev];
  if (d.fault.empty()) return false;
  *msg = "CUDA error: an illegal memory access was encountered" + asyncSuffix(where) + d.fault;
  d.sticky = *msg;
  d.fault.clear();
  return true;
}

// ------------------------------------------------------------------ Promises from async work

struct Job {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  virtual ~Job() = default;
  virtual void execute() = 0;                   /* worker thread */
  virtual napi_value complete(napi_env env) = 0; /* JS thread: the value, or throws the rejection */
};

napi_value queue(napi_env env, Job* job, const char* name) {
  napi_value promise;
  CHECK_NAPI(napi_create_promise(env, &job->deferred, &promise));
  napi_value resource = str(env, name);
  CHECK_NAPI(napi_create_async_work(
      env, nullptr, resource, [](napi_env, void* data) { static_cast<Job*>(data)->execute(); },
      [](napi_env env, napi_status, void* data) {
        std::unique_ptr<Job> job(static_cast<Job*>(data));
        napi_value result = nullptr;
        std::string error;
        try {
          result = job->complete(env);
        } catch (const std::exception& e) {
          error = e.what();
        }
        if (error.empty()) napi_resolve_deferred(env, job->deferred, result);
        else napi_reject_deferred(env, job->deferred, makeError(env, error));
        napi_delete_async_work(env, job->work);
      },
      job, &job->work));
  CHECK_NAPI(napi_queue_async_work(env, job->work));
  return promise;
}

napi_value rejected(napi_env env, const std::string& msg) {
  napi_deferred d;
  napi_value promise;
  CHECK_NAPI(napi_create_promise(env, &d, &promise));
  CHECK_NAPI(napi_reject_deferred(env, d, makeError(env, msg)));
  return promise;
}

/* Waits for stream work (a read's copy, or everything: synchronize); a failure breaks the device. */
struct WaitJob : Job {
  Instance* in;
  int dev;
  const char* where;
  std::unique_ptr<tl::Waiter> waiter;
  napi_ref result = nullptr; /* read: the ArrayBuffer being filled; it is ours until we resolve */
  std::string error;
  bool sticky = false;
  WaitJob(Instance* i, int d, const char* w) : in(i), dev(d), where(w) {}
  void execute() override { error = waiter->wait(&sticky); }
  napi_value complete(napi_env env) override {
    waiter.reset(); /* gives the staging buffer back (JS thread) */
    napi_value value = undefinedValue(env);
    if (result) {
      CHECK_NAPI(napi_get_reference_value(env, result, &value));
      napi_delete_reference(env, result);
    }
    if (!error.empty()) {
      const std::string msg = error + asyncSuffix(where);
      if (sticky && in->devs[dev].sticky.empty()) in->devs[dev].sticky = msg; /* the first one sticks */
      throw JsError(msg);
    }
    return value;
  }
};

// ------------------------------------------------------------------ exports

napi_value Init(napi_env env, napi_callback_info info) {
  Instance* in = instance(env);
  tl::InitResult bad; /* malformed options: reported as not ok, and a later call may still initialise */
  if (!in->initialised) {
    try {
      Args a(env, info);
      napi_value o = object(env, a[0], "init options");
      const std::string fatbin = string(env, prop(env, o, "fatbin"), "fatbin");
      std::vector<std::string> libs;
      napi_value list = prop(env, o, "libs");
      bool isArray = false;
      CHECK_NAPI(napi_is_array(env, list, &isArray));
      if (!isArray) throw JsError("libs must be an array of folder names");
      uint32_t n = 0;
      CHECK_NAPI(napi_get_array_length(env, list, &n));
      for (uint32_t i = 0; i < n; i++) {
        napi_value e;
        CHECK_NAPI(napi_get_element(env, list, i, &e));
        libs.push_back(string(env, e, "libs[" + std::to_string(i) + "]"));
      }
      in->info = in->gpu->init(fatbin, libs);
      in->initialised = true;
      const char* lb = getenv("CUDA_LAUNCH_BLOCKING");
      const char* cb = getenv("TORCHLET_CUDA_CHECK_BOUNDS");
      in->launchBlocking = lb && std::string(lb) == "1";
      in->checkBounds = in->gpu->emulated() || (cb && std::string(cb) == "1");
      if (in->info.ok) in->devs.resize(in->info.deviceCount);
    } catch (const std::exception& e) {
      bad.reason = std::string("init: ") + e.what();
    }
  }
  const tl::InitResult& res = in->initialised ? in->info : bad;
  return guard(env, [&] {
    napi_value o = newObject(env);
    set(env, o, "ok", boolValue(env, res.ok));
    if (!res.ok) set(env, o, "reason", str(env, res.reason));
    set(env, o, "emulated", boolValue(env, in->gpu->emulated()));
    set(env, o, "deviceCount", num(env, res.ok ? res.deviceCount : 0));
    set(env, o, "driverVersion", num(env, res.driverVersion));
    set(env, o, "cublas", res.cublas.empty() ? nullValue(env) : str(env, res.cublas));
    set(env, o, "nccl", res.nccl.empty() ? nullValue(env) : str(env, res.nccl));
    return o;
  });
}

napi_value AbiLayout(napi_env env, napi_callback_info) {
  return guard(env, [&] {
    napi_value o = newObject(env);
    set(env, o, "size", num(env, sizeof(TlArgs)));
    set(env, o, "n", num(env, offsetof(TlArgs, n)));
    set(env, o, "i", num(env, offsetof(TlArgs, i)));
    set(env, o, "f", num(env, offsetof(TlArgs, f)));
    set(env, o, "view", num(env, offsetof(TlArgs, v)));
    set(env, o, "viewSize", num(env, sizeof(TlView)));
    return o;
  });
}

napi_value DeviceName(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info);
    Instance* in = ready(env);
    const int dev = device(env, in, a[0], true);
    return str(env, props(in, dev).name);
  });
}

napi_value DeviceProperties(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info);
    Instance* in = ready(env);
    const tl::DeviceProps& p = props(in, device(env, in, a[0], true));
    napi_value o = newObject(env);
    set(env, o, "name", str(env, p.name));
    set(env, o, "totalMemory", num(env, (double)p.totalMemory));
    set(env, o, "major", num(env, p.major));
    set(env, o, "minor", num(env, p.minor));
    set(env, o, "multiProcessorCount", num(env, p.multiProcessorCount));
    return o;
  });
}

napi_value Alloc(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info);
    Instance* in = ready(env);
    const int dev = device(env, in, a[0]);
    const uint64_t n = count(env, a[1], "nbytes");
    CachingAllocator& al = allocator(in, dev);
    const uint64_t p = onDevice(in, dev, [&] { return al.alloc(n); });
    if (!p) {
      const CachingAllocator::Stats s = al.stats();
      throw JsError("CUDA out of memory. Tried to allocate " + formatSize(CachingAllocator::roundSize(n)) + " (GPU " + std::to_string(dev) + "; " +
                    formatSize(props(in, dev).totalMemory) + " total capacity; " + formatSize(s.allocated) + " already allocated; " +
                    formatSize(s.reserved) + " reserved in total by torchlet)");
    }
    return num(env, (double)p);
  });
}

napi_value Free(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info);
    Instance* in = ready(env);
    const int dev = device(env, in, a[0], true); /* cleanup still works on a broken device */
    const uint64_t p = count(env, a[1], "ptr");
    if (!allocator(in, dev).free(p))
      throw JsError("free: " + hex(p) + " is not a live allocation on cuda:" + std::to_string(dev) + " (freed twice?)");
    return undefinedValue(env);
  });
}

napi_value EmptyCache(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info);
    Instance* in = ready(env);
    const int dev = device(env, in, a[0]);
    onDevice(in, dev, [&] {
      allocator(in, dev).emptyCache();
      in->gpu->releaseIdle(dev);
    });
    return undefinedValue(env);
  });
}

napi_value MemoryStats(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info);
    Instance* in = ready(env);
    const CachingAllocator::Stats s = allocator(in, device(env, in, a[0], true)).stats();
    napi_value o = newObject(env);
    set(env, o, "allocated", num(env, (double)s.allocated));
    set(env, o, "reserved", num(env, (double)s.reserved));
    set(env, o, "maxAllocated", num(env, (double)s.maxAllocated));
    set(env, o, "segments", num(env, (double)s.segments));
    return o;
  });
}

napi_value ResetPeakMemoryStats(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info);
    Instance* in = ready(env);
    allocator(in, device(env, in, a[0], true)).resetPeak();
    return undefinedValue(env);
  });
}

napi_value Write(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info);
    Instance* in = ready(env);
    const int dev = device(env, in, a[0]);
    const uint64_t p = count(env, a[1], "ptr");
    void* data;
    size_t n;
    bytes(env, a[2], "data", &data, &n);
    checkRange(in, dev, p, n, "write");
    if (n) onDevice(in, dev, [&] { in->gpu->write(dev, p, data, n); });
    return undefinedValue(env);
  });
}

napi_value Read(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a(env, info);
    Instance* in = ready(env);
    const int64_t d = integer(env, a[0], "dev");
    const uint64_t p = count(env, a[1], "ptr");
    const uint64_t n = count(env, a[2], "nbytes");
    if (d >= 0 && d < in->info.deviceCount && !in->devs[d].sticky.empty()) return rejected(env, in->devs[d].sticky);
    const int dev = device(env, in, a[0]);
    checkRange(in, dev, p, n, "read");
    std::string msg;
    if (takeFault(in, dev, "read", &msg)) return rejected(env, msg);
    void* data = nullptr;
    napi_value ab;
    CHECK_NAPI(napi_create_arraybuffer(env, n, &data, &ab));
    if (n == 0) {
      napi_deferred dfd;
      napi_value promise;
      CHECK_NAPI(napi_create_promise(env, &dfd, &promise));
      CHECK_NAPI(napi_resolve_deferred(env, dfd, ab));
      return promise;
    }
    auto job = std::make_unique<WaitJob>(in, dev, "read");
    CHECK_NAPI(napi_create_reference(env, ab, 1, &job->result));
    try {
      job->waiter = onDevice(in, dev, [&] { return in->gpu->read(dev, p, n, data); });
    } catch (const GpuError& e) {
      return rejected(env, e.what()); /* a Promise-returning call rejects */
    }
    return queue(env, job.release(), "torchlet.cuda.read");
  });
}

napi_value CopyDevice(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info);
    Instance* in = ready(env);
    const int dev = device(env, in, a[0]);
    const uint64_t dst = count(env, a[1], "dst"), src = count(env, a[2], "src"), n = count(env, a[3], "nbytes");
    checkRange(in, dev, dst, n, "copyDevice (dst)");
    checkRange(in, dev, src, n, "copyDevice (src)");
    if (n) onDevice(in, dev, [&] { in->gpu->copy(dev, dst, src, n); });
    return undefinedValue(env);
  });
}

napi_value Launch(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info);
    Instance* in = ready(env);
    const int dev = device(env, in, a[0]);
    const std::string name = string(env, a[1], "kernel name");
    const uint64_t n = count(env, a[2], "n");
    void* data;
    size_t len;
    bytes(env, a[3], "args", &data, &len);
    if (len != sizeof(TlArgs))
      throw JsError("launch " + name + ": args.byteLength is " + std::to_string(len) + ", expected " + std::to_string(sizeof(TlArgs)) + " (abiLayout().size)");
    if (n == 0) return undefinedValue(env);
    TlArgs args;
    memcpy(&args, data, sizeof args);
    if (in->checkBounds) {
      for (int v = 0; v < 4; v++) {
        const std::string problem = viewProblem(in, dev, args.v[v]);
        if (!problem.empty()) {
          fault(in, dev, "kernel " + name, "v" + std::to_string(v) + " " + problem);
          return undefinedValue(env); /* emulator: the faulting kernel does not run */
        }
      }
    }
    onDevice(in, dev, [&] { in->gpu->launch(dev, name, (int64_t)n, &args, in->launchBlocking); });
    return undefinedValue(env);
  });
}

napi_value Gemm(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info);
    Instance* in = ready(env);
    const int dev = device(env, in, a[0]);
    napi_value o = object(env, a[1], "gemm options");
    tl::GemmArgs g;
    auto field = [&](const char* name) { return prop(env, o, name); };
    g.transA = boolean(env, field("transA"), "transA");
    g.transB = boolean(env, field("transB"), "transB");
    g.m = count(env, field("m"), "m");
    g.n = count(env, field("n"), "n");
    g.k = count(env, field("k"), "k");
    g.a = count(env, field("a"), "a");
    g.b = count(env, field("b"), "b");
    g.c = count(env, field("c"), "c");
    g.lda = count(env, field("lda"), "lda");
    g.ldb = count(env, field("ldb"), "ldb");
    g.ldc = count(env, field("ldc"), "ldc");
    g.strideA = integer(env, field("strideA"), "strideA");
    g.strideB = integer(env, field("strideB"), "strideB");
    g.strideC = integer(env, field("strideC"), "strideC");
    g.batch = count(env, field("batch"), "batch");
    const std::string dtype = string(env, field("dtype"), "dtype");
    if (dtype == "float32") g.dtype = DType::F32;
    else if (dtype == "float16") g.dtype = DType::F16;
    else if (dtype == "float64") g.dtype = DType::F64;
    else throw JsError("gemm: dtype must be 'float32', 'float16' or 'float64' (cuBLAS), got '" + dtype + "'");
    napi_value tf32 = field("tf32");
    g.tf32 = typeOf(env, tf32) == napi_undefined ? false : boolean(env, tf32, "tf32");
    if (g.dtype != DType::F32) g.tf32 = false; /* TF32 is a float32 mode */
    const int64_t rowsA = g.transA ? g.k : g.m, rowsB = g.transB ? g.n : g.k;
    const int64_t intMax = 2147483647;
    for (auto [v, name] : {std::pair<int64_t, const char*>{g.m, "m"}, {g.n, "n"}, {g.k, "k"}, {g.lda, "lda"}, {g.ldb, "ldb"}, {g.ldc, "ldc"}, {g.batch, "batch"}})
      if (v > intMax) throw JsError(std::string("gemm: ") + name + " = " + std::to_string(v) + " exceeds cuBLAS's int range");
    if (g.lda < std::max<int64_t>(1, rowsA))
      throw JsError("gemm: lda = " + std::to_string(g.lda) + " is less than the " + std::to_string(rowsA) + " rows of A" + (g.transA ? " (transposed: k)" : " (m)"));
    if (g.ldb < std::max<int64_t>(1, rowsB))
      throw JsError("gemm: ldb = " + std::to_string(g.ldb) + " is less than the " + std::to_string(rowsB) + " rows of B" + (g.transB ? " (transposed: n)" : " (k)"));
    if (g.ldc < std::max<int64_t>(1, g.m)) throw JsError("gemm: ldc = " + std::to_string(g.ldc) + " is less than m = " + std::to_string(g.m));
    if (g.m == 0 || g.n == 0 || g.batch == 0) return undefinedValue(env);
    if (in->checkBounds) {
      const int es = kDtypeSizes[(int)g.dtype];
      struct Operand { const char* name; uint64_t p; int64_t rows, cols, ld, stride; };
      const Operand ops[] = {{"A", g.a, rowsA, g.transA ? g.m : g.k, g.lda, g.strideA},
                             {"B", g.b, rowsB, g.transB ? g.k : g.n, g.ldb, g.strideB},
                             {"C", g.c, g.m, g.n, g.ldc, g.strideC}};
      for (const Operand& op : ops) {
        if (op.rows == 0 || op.cols == 0) continue;
        const __int128 span = (__int128)(g.batch - 1) * op.stride;
        const __int128 lo = span < 0 ? span : 0, hi = (span > 0 ? span : 0) + (__int128)(op.cols - 1) * op.ld + op.rows - 1;
        const std::string problem = extentProblem(in, dev, op.p, lo, hi, es);
        if (!problem.empty()) {
          fault(in, dev, "gemm", std::string("operand ") + op.name + " " + problem);
          return undefinedValue(env);
        }
      }
    }
    onDevice(in, dev, [&] { in->gpu->gemm(dev, g); });
    return undefinedValue(env);
  });
}

napi_value Synchronize(napi_env env, napi_callback_info info) {
  return guard(env, [&]() -> napi_value {
    Args a(env, info);
    Instance* in = ready(env);
    const int64_t d = integer(env, a[0], "dev");
    if (d >= 0 && d < in->info.deviceCount && !in->devs[d].sticky.empty()) return rejected(env, in->devs[d].sticky);
    const int dev = device(env, in, a[0]);
    std::string msg;
    if (takeFault(in, dev, "synchronize", &msg)) return rejected(env, msg);
    auto job = std::make_unique<WaitJob>(in, dev, "synchronize");
    try {
      job->waiter = onDevice(in, dev, [&] { return in->gpu->synchronize(dev); });
    } catch (const GpuError& e) {
      return rejected(env, e.what());
    }
    return queue(env, job.release(), "torchlet.cuda.synchronize");
  });
}

// ---- NCCL

DType dtypeByName(const std::string& s) {
  for (int i = 0; i < 6; i++)
    if (s == kDtypeNames[i]) return (DType)i;
  throw JsError("NCCL: unsupported dtype '" + s + "' (float32, float16, float64, int32, uint8, bool)");
}

Instance* ncclReady(napi_env env) {
  Instance* in = ready(env);
  const std::string missing = in->gpu->ncclMissing();
  if (!missing.empty()) throw JsError(missing);
  return in;
}

std::pair<void*, int>& comm(napi_env env, Instance* in, napi_value v) {
  const uint64_t h = count(env, v, "comm");
  if (h == 0 || h > in->comms.size() || !in->comms[h - 1].first) throw JsError("NCCL: " + std::to_string(h) + " is not a live communicator");
  return in->comms[h - 1];
}

napi_value NcclGetUniqueId(napi_env env, napi_callback_info) {
  return guard(env, [&] {
    Instance* in = ncclReady(env);
    void* data;
    napi_value ab, u8;
    CHECK_NAPI(napi_create_arraybuffer(env, 128, &data, &ab));
    in->gpu->ncclGetUniqueId(static_cast<uint8_t*>(data));
    CHECK_NAPI(napi_create_typedarray(env, napi_uint8_array, 128, ab, 0, &u8));
    return u8;
  });
}

/* ncclCommInitRank blocks until all ranks joined: a worker thread waits, the Promise gives the handle. */
struct CommInitJob : Job {
  Instance* in;
  int dev, nranks, rank;
  uint8_t id[128];
  void* comm = nullptr;
  std::string error;
  void execute() override {
    try {
      comm = in->gpu->ncclCommInitRank(dev, id, nranks, rank);
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  napi_value complete(napi_env env) override {
    if (!error.empty()) throw JsError(error);
    in->comms.emplace_back(comm, dev);
    return num(env, (double)in->comms.size());
  }
};

napi_value NcclCommInitRank(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info);
    Instance* in = ncclReady(env);
    auto job = std::make_unique<CommInitJob>();
    job->in = in;
    job->dev = device(env, in, a[0]);
    void* data;
    size_t len;
    bytes(env, a[1], "id", &data, &len);
    if (len != 128) throw JsError("ncclCommInitRank: id must hold 128 bytes (ncclGetUniqueId), got " + std::to_string(len));
    memcpy(job->id, data, 128);
    const uint64_t nranks = count(env, a[2], "nranks"), rank = count(env, a[3], "rank");
    if (nranks < 1 || rank >= nranks)
      throw JsError("ncclCommInitRank: rank " + std::to_string(rank) + " is outside a world of " + std::to_string(nranks));
    job->nranks = (int)nranks;
    job->rank = (int)rank;
    in->gpu->prepare(job->dev); /* the worker thread only uses what exists by now */
    return queue(env, job.release(), "torchlet.cuda.ncclCommInitRank");
  });
}

napi_value NcclCommDestroy(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info);
    Instance* in = ncclReady(env);
    auto& c = comm(env, in, a[0]);
    in->gpu->ncclCommDestroy(c.first);
    c.first = nullptr;
    return undefinedValue(env);
  });
}

napi_value NcclCollective(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info);
    Instance* in = ncclReady(env);
    auto& c = comm(env, in, a[0]);
    const int dev = c.second;
    if (!in->devs[dev].sticky.empty()) throw JsError(in->devs[dev].sticky);
    tl::NcclCall call;
    call.op = string(env, a[1], "op");
    static const char* ops[] = {"allReduce", "broadcast", "reduce", "allGather", "reduceScatter", "send", "recv"};
    if (std::none_of(std::begin(ops), std::end(ops), [&](const char* o) { return call.op == o; }))
      throw JsError("NCCL: unknown collective '" + call.op + "' (allReduce, broadcast, reduce, allGather, reduceScatter, send, recv)");
    napi_value o = object(env, a[2], "collective options");
    auto opt = [&](const char* name) { return prop(env, o, name); };
    auto has = [&](const char* name) { return typeOf(env, opt(name)) != napi_undefined; };
    call.send = has("send") ? count(env, opt("send"), "send") : 0;
    call.recv = has("recv") ? count(env, opt("recv"), "recv") : 0;
    call.count = count(env, opt("count"), "count");
    call.dtype = dtypeByName(string(env, opt("dtype"), "dtype"));
    if (has("redOp")) {
      const std::string r = string(env, opt("redOp"), "redOp");
      static const char* reds[] = {"sum", "prod", "max", "min", "avg"};
      call.redOp = -1;
      for (int i = 0; i < 5; i++)
        if (r == reds[i]) call.redOp = i;
      if (call.redOp < 0) throw JsError("NCCL: unknown redOp '" + r + "' (sum, prod, max, min, avg)");
    }
    call.root = has("root") ? (int)count(env, opt("root"), "root") : 0;
    call.peer = has("peer") ? (int)count(env, opt("peer"), "peer") : 0;
    onDevice(in, dev, [&] { in->gpu->ncclCollective(dev, c.first, call); });
    return undefinedValue(env);
  });
}

napi_value NcclGroupStart(napi_env env, napi_callback_info) {
  return guard(env, [&] {
    ncclReady(env)->gpu->ncclGroupStart();
    return undefinedValue(env);
  });
}

napi_value NcclGroupEnd(napi_env env, napi_callback_info) {
  return guard(env, [&] {
    ncclReady(env)->gpu->ncclGroupEnd();
    return undefinedValue(env);
  });
}

}  // namespace

NAPI_MODULE_INIT() {
  auto* in = new Instance();
  in->gpu = tl::makeGpu();
  napi_set_instance_data(env, in, [](napi_env, void* data, void*) { delete static_cast<Instance*>(data); }, nullptr);
  const napi_property_descriptor fns[] = {
      {"init", nullptr, Init, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"abiLayout", nullptr, AbiLayout, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"deviceName", nullptr, DeviceName, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"deviceProperties", nullptr, DeviceProperties, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"alloc", nullptr, Alloc, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"free", nullptr, Free, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"emptyCache", nullptr, EmptyCache, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"memoryStats", nullptr, MemoryStats, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"resetPeakMemoryStats", nullptr, ResetPeakMemoryStats, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"write", nullptr, Write, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"read", nullptr, Read, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"copyDevice", nullptr, CopyDevice, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"launch", nullptr, Launch, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"gemm", nullptr, Gemm, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"synchronize", nullptr, Synchronize, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"ncclGetUniqueId", nullptr, NcclGetUniqueId, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"ncclCommInitRank", nullptr, NcclCommInitRank, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"ncclCommDestroy", nullptr, NcclCommDestroy, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"ncclCollective", nullptr, NcclCollective, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"ncclGroupStart", nullptr, NcclGroupStart, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"ncclGroupEnd", nullptr, NcclGroupEnd, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns);
  return exports;
}
