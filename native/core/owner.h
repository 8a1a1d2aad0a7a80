// The owner: one refcounted holder per block of memory, shared by every view of it in any thread.
//
// Invariant (CPython's managed buffer): a view never frees memory; it only holds its owner. The
// free callback runs exactly once, when the last holder releases, or never when the memory was
// stolen back. Reference counts are atomic so holders may live in several threads.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace mv {

// Called once with the data pointer and the context given at creation. May run on any thread
// that drops the last reference.
using FreeFn = void (*)(void *data, void *ctx);

class Owner {
 public:
  enum class Kind : uint8_t { allocated, foreign, borrowed };

  // memview's own memory: 64-byte aligned, zeroed on request. nullptr when allocation fails.
  static Owner *allocate(int64_t nbytes, bool zero);
  // Foreign memory; free (may be null: borrowed memory, never freed) runs exactly once.
  static Owner *adopt(void *data, int64_t nbytes, FreeFn free, void *ctx);

  void retain() noexcept;
  // Drops one reference; the last one frees the memory (through the callback) and the owner.
  void release() noexcept;

  // Cancels a pending free callback and returns the pointer: the caller owns the memory now.
  // Memory memview allocated itself cannot be stolen (nullptr), as it was not the caller's.
  void *steal() noexcept;

  char *data() const noexcept { return static_cast<char *>(data_); }
  int64_t size() const noexcept { return size_; }
  Kind kind() const noexcept { return kind_; }
  int64_t refcount() const noexcept { return refs_.load(std::memory_order_acquire); }

  // Live owners and frees performed, for leak tests.
  static int64_t live_count() noexcept;

  // Asks for the free callback to run at process exit (std::atexit) if the owner is still alive
  // then: for C callbacks, which may run anywhere. Still exactly once: whichever comes first.
  void free_at_exit();

  Owner(const Owner &) = delete;
  Owner &operator=(const Owner &) = delete;

 private:
  Owner(void *data, int64_t size, Kind kind, FreeFn free, void *ctx);
  ~Owner();

  void *data_;
  int64_t size_;
  Kind kind_;
  std::atomic<FreeFn> free_;
  void *ctx_;
  std::atomic<int64_t> refs_{1};
  bool at_exit_ = false;
};

// Holds one reference for a scope (RAII), for C++ callers such as kernels running off-thread.
class OwnerRef {
 public:
  OwnerRef() = default;
  explicit OwnerRef(Owner *o) : o_(o) { if (o_) o_->retain(); }
  OwnerRef(const OwnerRef &r) : OwnerRef(r.o_) {}
  OwnerRef(OwnerRef &&r) noexcept : o_(r.o_) { r.o_ = nullptr; }
  OwnerRef &operator=(OwnerRef r) noexcept { std::swap(o_, r.o_); return *this; }
  ~OwnerRef() { if (o_) o_->release(); }
  Owner *get() const { return o_; }

 private:
  Owner *o_ = nullptr;
};

}  // namespace mv
