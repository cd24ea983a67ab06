/* fake_libcuda.c: a stand-in libcuda.so.1 so test/cuda/addon.test.ts can run the real addon without a GPU:
 * the entry points cuda_gpu.cc resolves, over host memory, synchronous copies and a host tl_test_iota.
 * It proves loading, error wording, staging and argument passing -- not CUDA. Env: FAKE_CUDA_NO_DEVICE=1,
 * FAKE_CUDA_FAULT=1 (waits report an illegal address), FAKE_CUDA_MAJOR, FAKE_CUDA_LAG (events complete
 * late, see below); -DFAKE_OLD_DRIVER drops cuMemAlloc_v2, as a driver too old for the addon. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/abi.h"

typedef int CUresult;
enum { OK = 0, INVALID_VALUE = 1, OUT_OF_MEMORY = 2, NO_DEVICE = 100, NOT_FOUND = 500, NOT_READY = 600, ILLEGAL_ADDRESS = 700 };
static const uint64_t kCapacity = 1ull << 30;
static uint64_t used;

static CUresult guard(const void* host); /* below, with the events */
static int env(const char* name) { const char* s = getenv(name); return s && *s ? atoi(s) : 0; }

CUresult cuDriverGetVersion(int* v) { *v = 13000; return OK; }
CUresult cuInit(unsigned flags) { (void)flags; return env("FAKE_CUDA_NO_DEVICE") ? NO_DEVICE : OK; }
CUresult cuDeviceGetCount(int* n) { *n = 1; return OK; }
CUresult cuDeviceGet(int* d, int ordinal) { *d = ordinal; return OK; }
CUresult cuDeviceGetName(char* name, int len, int dev) { (void)dev; strncpy(name, "Fake GPU", len); return OK; }
CUresult cuDeviceTotalMem_v2(size_t* bytes, int dev) { (void)dev; *bytes = kCapacity; return OK; }
CUresult cuDeviceGetAttribute(int* v, int attr, int dev) {
  (void)dev;
  if (attr == 75) *v = env("FAKE_CUDA_MAJOR") ? env("FAKE_CUDA_MAJOR") : 9; /* COMPUTE_CAPABILITY_MAJOR */
  else if (attr == 76) *v = 0;                                              /* ..._MINOR */
  else if (attr == 16) *v = 132;                                            /* MULTIPROCESSOR_COUNT */
  else return INVALID_VALUE;
  return OK;
}
CUresult cuDevicePrimaryCtxRetain(void** ctx, int dev) { *ctx = (void*)(uintptr_t)(0x100 + dev); return OK; }
CUresult cuDevicePrimaryCtxRelease_v2(int dev) { (void)dev; return OK; }
CUresult cuCtxSetCurrent(void* ctx) { (void)ctx; return OK; }
CUresult cuStreamCreate(void** s, unsigned flags) { *s = (void*)(uintptr_t)(0x200 + flags); return OK; }
CUresult cuStreamDestroy_v2(void* s) { (void)s; return OK; }
CUresult cuStreamSynchronize(void* s) { (void)s; return env("FAKE_CUDA_FAULT") ? ILLEGAL_ADDRESS : OK; }
CUresult cuModuleLoadData(void** m, const void* image) { (void)image; *m = (void*)0x300; return OK; }
CUresult cuModuleUnload(void* m) { (void)m; return OK; }

static void iota(const TlArgs* a, unsigned threads) {
  float* out = (float*)(uintptr_t)a->v[0].ptr + a->v[0].offset;
  for (int64_t i = 0; i < a->n && i < threads; i++) out[i * a->v[0].strides[0]] = (float)(a->f[0] + (double)i * a->f[1]);
}
CUresult cuModuleGetFunction(void** fn, void* m, const char* name) {
  (void)m;
  if (strcmp(name, "tl_test_iota") != 0) return NOT_FOUND;
  *fn = (void*)iota;
  return OK;
}
/* Runs the kernel on the host over grid x block threads (one item per thread: enough for the test). */
CUresult cuLaunchKernel(void* fn, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned shared, void* stream, void** params, void** extra) {
  (void)gy; (void)gz; (void)by; (void)bz; (void)shared; (void)stream; (void)extra;
  if (bx != 256) return INVALID_VALUE;
  ((void (*)(const TlArgs*, unsigned))fn)((const TlArgs*)params[0], gx * bx);
  return OK;
}

#ifndef FAKE_OLD_DRIVER
CUresult cuMemAlloc_v2(uint64_t* p, size_t n) {
  if (used + n > kCapacity) return OUT_OF_MEMORY;
  void* m = malloc(n + 8);
  if (!m) return OUT_OF_MEMORY;
  *(uint64_t*)m = n;
  used += n;
  *p = (uint64_t)(uintptr_t)m + 8;
  return OK;
}
#endif
CUresult cuMemFree_v2(uint64_t p) {
  void* m = (void*)(uintptr_t)(p - 8);
  used -= *(uint64_t*)m;
  free(m);
  return OK;
}
CUresult cuMemHostAlloc(void** p, size_t n, unsigned flags) { (void)flags; *p = malloc(n); return *p ? OK : OUT_OF_MEMORY; }
CUresult cuMemFreeHost(void* p) { free(p); return OK; }
CUresult cuMemcpyHtoDAsync_v2(uint64_t dst, const void* src, size_t n, void* s) { (void)s; memcpy((void*)(uintptr_t)dst, src, n); return guard(src); }
CUresult cuMemcpyDtoHAsync_v2(void* dst, uint64_t src, size_t n, void* s) { (void)s; memcpy(dst, (void*)(uintptr_t)src, n); return guard(dst); }
CUresult cuMemcpyDtoDAsync_v2(uint64_t dst, uint64_t src, size_t n, void* s) { (void)s; memmove((void*)(uintptr_t)dst, (void*)(uintptr_t)src, n); return OK; }
/* Events: with FAKE_CUDA_LAG=k a recorded event reports "not ready" to its first k queries, and guards
 * the host buffer of the copy queued just before it: a copy touching a guarded buffer before its event
 * completed is the staging reuse the addon must never do (reported as CUDA_ERROR_INVALID_VALUE). */
typedef struct Event { int pending; const void* host; struct Event* next; } Event;
static Event* events;
static const void* last_host;
static CUresult guard(const void* host) {
  for (Event* e = events; e; e = e->next)
    if (e->pending && e->host == host) return INVALID_VALUE;
  last_host = host;
  return OK;
}
CUresult cuEventCreate(void** out, unsigned flags) {
  (void)flags;
  Event* e = calloc(1, sizeof(Event));
  e->next = events;
  events = e;
  *out = e;
  return OK;
}
CUresult cuEventDestroy_v2(void* p) {
  for (Event** e = &events; *e; e = &(*e)->next)
    if (*e == p) { *e = (*e)->next; break; }
  free(p);
  return OK;
}
CUresult cuEventRecord(void* p, void* s) { (void)s; Event* e = p; e->pending = env("FAKE_CUDA_LAG"); e->host = last_host; return OK; }
CUresult cuEventQuery(void* p) { Event* e = p; if (e->pending > 0) { e->pending--; return NOT_READY; } return OK; }
CUresult cuEventSynchronize(void* p) { ((Event*)p)->pending = 0; return env("FAKE_CUDA_FAULT") ? ILLEGAL_ADDRESS : OK; }

CUresult cuGetErrorName(CUresult r, const char** s) {
  *s = r == NO_DEVICE ? "CUDA_ERROR_NO_DEVICE" : r == ILLEGAL_ADDRESS ? "CUDA_ERROR_ILLEGAL_ADDRESS" : r == OUT_OF_MEMORY ? "CUDA_ERROR_OUT_OF_MEMORY" : "CUDA_ERROR_UNKNOWN";
  return OK;
}
CUresult cuGetErrorString(CUresult r, const char** s) {
  *s = r == NO_DEVICE ? "no CUDA-capable device is detected" : r == ILLEGAL_ADDRESS ? "an illegal memory access was encountered" : r == OUT_OF_MEMORY ? "out of memory" : "unknown error";
  return OK;
}
