#include "owner.h"

#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_set>

namespace mv {

namespace {

std::atomic<int64_t> g_live{0};

constexpr int64_t kAlign = 64;

// ctx is the block malloc returned; data is aligned inside it.
void free_aligned(void *, void *raw) { std::free(raw); }

// Owners whose C free callback must run at process exit if they are still alive then.
std::mutex &exit_mu() {
  static std::mutex m;
  return m;
}
std::unordered_set<Owner *> &exit_set() {
  static auto *s = new std::unordered_set<Owner *>();  // never destroyed: used from atexit
  return *s;
}

}  // namespace

Owner::Owner(void *data, int64_t size, Kind kind, FreeFn free, void *ctx)
    : data_(data), size_(size), kind_(kind), free_(free), ctx_(ctx) {
  g_live.fetch_add(1, std::memory_order_relaxed);
}

Owner::~Owner() {
  if (at_exit_) {
    std::lock_guard<std::mutex> lock(exit_mu());
    exit_set().erase(this);
  }
  g_live.fetch_sub(1, std::memory_order_relaxed);
}

void Owner::free_at_exit() {
  static std::once_flag installed;
  std::call_once(installed, [] {
    std::atexit([] {
      std::lock_guard<std::mutex> lock(exit_mu());
      for (Owner *o : exit_set()) {
        FreeFn fn = o->free_.exchange(nullptr, std::memory_order_acq_rel);
        if (fn) fn(o->data_, o->ctx_);
      }
    });
  });
  std::lock_guard<std::mutex> lock(exit_mu());
  at_exit_ = true;
  exit_set().insert(this);
}

Owner *Owner::allocate(int64_t nbytes, bool zero) {
  if (nbytes < 0 || nbytes > INT64_MAX - 2 * kAlign) return nullptr;
  // malloc plus manual alignment rather than aligned_alloc: equal-sized malloc blocks are reused
  // after free, where glibc's memalign left freed blocks unused (RSS grew in allocate/free loops).
  void *raw = std::malloc(static_cast<size_t>(nbytes + kAlign));
  if (!raw) return nullptr;
  auto aligned = (reinterpret_cast<uintptr_t>(raw) + kAlign) & ~uintptr_t(kAlign - 1);
  void *p = reinterpret_cast<void *>(aligned);
  if (zero) std::memset(p, 0, static_cast<size_t>(nbytes));
  return new Owner(p, nbytes, Kind::allocated, free_aligned, raw);
}

Owner *Owner::adopt(void *data, int64_t nbytes, FreeFn free, void *ctx) {
  if (nbytes < 0) return nullptr;
  return new Owner(data, nbytes, free ? Kind::foreign : Kind::borrowed, free, ctx);
}

void Owner::retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }

void Owner::release() noexcept {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  FreeFn fn = free_.exchange(nullptr, std::memory_order_acq_rel);
  if (fn) fn(data_, ctx_);
  delete this;
}

void *Owner::steal() noexcept {
  if (kind_ == Kind::allocated) return nullptr;
  free_.store(nullptr, std::memory_order_release);
  return data_;
}

int64_t Owner::live_count() noexcept { return g_live.load(std::memory_order_relaxed); }

}  // namespace mv
