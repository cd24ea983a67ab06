/* allocator.h: the caching allocator of one device (PyTorch's idea, simplified: no block splitting).
 * Contract: requests round up to a size class (512 B steps to 1 MiB, 2 MiB steps above); a freed block is
 * handed out again at once (all of a device's work is on its one stream, so reuse is ordered after the
 * previous owner's work); blocks go back to the driver only in emptyCache() (also run before the one
 * retry of a failed allocation). Stats count rounded block sizes, as torch.cuda does. JS thread only. */
#ifndef TORCHLET_CUDA_ALLOCATOR_H
#define TORCHLET_CUDA_ALLOCATOR_H
#include <stdint.h>

#include <functional>
#include <map>
#include <vector>

namespace tl {

class CachingAllocator {
 public:
  struct Block { uint64_t size; uint64_t requested; };
  struct Stats { uint64_t allocated, reserved, maxAllocated, segments; };
  static constexpr uint64_t kSmallStep = 512, kSmallMax = 1 << 20, kLargeStep = 2 << 20;

  /* rawAlloc returns false when the device is out of memory; rawFree returns memory to the driver. */
  CachingAllocator(std::function<bool(uint64_t, uint64_t*)> rawAlloc, std::function<void(uint64_t)> rawFree)
      : rawAlloc_(std::move(rawAlloc)), rawFree_(std::move(rawFree)) {}

  static uint64_t roundSize(uint64_t n) {
    if (n == 0) return kSmallStep; /* every allocation gets an address of its own */
    if (n <= kSmallMax) return (n + kSmallStep - 1) / kSmallStep * kSmallStep;
    return (n + kLargeStep - 1) / kLargeStep * kLargeStep;
  }

  /* 0 when the device is out of memory even after emptying the cache (the caller words the error). */
  uint64_t alloc(uint64_t n) {
    const uint64_t size = roundSize(n);
    uint64_t ptr = takeCached(size);
    uint64_t blockSize = size;
    if (ptr) {
      blockSize = cachedSize_[ptr];
      cachedSize_.erase(ptr);
      cachedBytes_ -= blockSize;
    } else {
      if (!rawAlloc_(size, &ptr)) {
        emptyCache();
        if (!rawAlloc_(size, &ptr)) return 0;
      }
      reserved_ += size;
      segments_++;
    }
    live_[ptr] = Block{blockSize, n};
    allocated_ += blockSize;
    if (allocated_ > peak_) peak_ = allocated_;
    return ptr;
  }

  /* false: ptr is not a live allocation. */
  bool free(uint64_t ptr) {
    auto it = live_.find(ptr);
    if (it == live_.end()) return false;
    const uint64_t size = it->second.size;
    allocated_ -= size;
    live_.erase(it);
    free_[size].push_back(ptr);
    cachedSize_[ptr] = size;
    cachedBytes_ += size;
    return true;
  }

  void emptyCache() {
    for (auto& [size, ptrs] : free_) {
      for (uint64_t p : ptrs) {
        rawFree_(p);
        reserved_ -= size;
        segments_--;
      }
    }
    free_.clear();
    cachedSize_.clear();
    cachedBytes_ = 0;
  }

  /* The live allocation holding address p (its base in *base), or nullptr. */
  const Block* find(uint64_t p, uint64_t* base) const {
    auto it = live_.upper_bound(p);
    if (it == live_.begin()) return nullptr;
    --it;
    if (p >= it->first + it->second.size) return nullptr;
    *base = it->first;
    return &it->second;
  }

  Stats stats() const { return Stats{allocated_, reserved_, peak_, segments_}; }
  void resetPeak() { peak_ = allocated_; }
  /* Frees everything (live blocks too): the addon instance is going away. */
  void releaseAll() {
    for (auto& [p, b] : live_) { rawFree_(p); (void)b; }
    live_.clear();
    allocated_ = 0;
    emptyCache();
    reserved_ = segments_ = 0;
  }

 private:
  /* Small classes reuse only their own size; a large request may take a cached block up to 1/4 bigger. */
  uint64_t takeCached(uint64_t size) {
    auto it = free_.lower_bound(size);
    if (it == free_.end()) return 0;
    if (it->first != size && (size <= kSmallMax || it->first > size + size / 4)) return 0;
    uint64_t p = it->second.back(); /* most recently freed: likely still in the GPU's L2 */
    it->second.pop_back();
    if (it->second.empty()) free_.erase(it);
    return p;
  }

  std::function<bool(uint64_t, uint64_t*)> rawAlloc_;
  std::function<void(uint64_t)> rawFree_;
  std::map<uint64_t, Block> live_;                 /* address -> block */
  std::map<uint64_t, std::vector<uint64_t>> free_; /* size class -> cached blocks */
  std::map<uint64_t, uint64_t> cachedSize_;        /* cached block -> its size */
  uint64_t allocated_ = 0, reserved_ = 0, peak_ = 0, segments_ = 0, cachedBytes_ = 0;
};

}  // namespace tl
#endif
