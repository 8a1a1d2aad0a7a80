// Owners: refcounts, exactly-once free callbacks, steal, alignment, threads.
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "owner.h"
#include "test.h"

namespace {
std::atomic<int> g_frees{0};
void count_free(void *data, void *ctx) {
  g_frees.fetch_add(1);
  *static_cast<void **>(ctx) = data;
}
}  // namespace

TEST(allocate_is_aligned_and_zeroed) {
  int64_t before = mv::Owner::live_count();
  mv::Owner *o = mv::Owner::allocate(1000, true);
  CHECK(o != nullptr);
  CHECK_EQ(reinterpret_cast<uintptr_t>(o->data()) % 64, uintptr_t(0));
  bool zero = true;
  for (int i = 0; i < 1000; ++i) zero = zero && o->data()[i] == 0;
  CHECK(zero);
  CHECK(o->kind() == mv::Owner::Kind::allocated);
  CHECK_EQ(mv::Owner::live_count(), before + 1);
  o->release();
  CHECK_EQ(mv::Owner::live_count(), before);
  mv::Owner *empty = mv::Owner::allocate(0, true);
  CHECK(empty != nullptr && empty->size() == 0);
  empty->release();
  CHECK(mv::Owner::allocate(-1, false) == nullptr);
}

TEST(free_runs_once_after_last_release) {
  g_frees = 0;
  int block = 0;
  void *seen = nullptr;
  mv::Owner *o = mv::Owner::adopt(&block, sizeof block, count_free, &seen);
  o->retain();
  o->retain();
  o->release();
  o->release();
  CHECK_EQ(g_frees.load(), 0);
  o->release();
  CHECK_EQ(g_frees.load(), 1);
  CHECK(seen == &block);
}

TEST(borrowed_memory_is_never_freed) {
  g_frees = 0;
  int block = 0;
  mv::Owner *o = mv::Owner::adopt(&block, sizeof block, nullptr, nullptr);
  CHECK(o->kind() == mv::Owner::Kind::borrowed);
  o->release();
  CHECK_EQ(g_frees.load(), 0);
}

TEST(steal_cancels_free) {
  g_frees = 0;
  int block = 0;
  void *seen = nullptr;
  mv::Owner *o = mv::Owner::adopt(&block, sizeof block, count_free, &seen);
  CHECK(o->steal() == &block);
  o->release();
  CHECK_EQ(g_frees.load(), 0);
  mv::Owner *a = mv::Owner::allocate(8, false);
  CHECK(a->steal() == nullptr);
  a->release();
}

TEST(refcount_is_thread_safe) {
  g_frees = 0;
  int block = 0;
  void *seen = nullptr;
  mv::Owner *o = mv::Owner::adopt(&block, sizeof block, count_free, &seen);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    o->retain();
    threads.emplace_back([o] {
      for (int i = 0; i < 10000; ++i) {
        mv::OwnerRef r(o);
      }
      o->release();
    });
  }
  for (auto &t : threads) t.join();
  CHECK_EQ(g_frees.load(), 0);
  CHECK_EQ(o->refcount(), int64_t(1));
  o->release();
  CHECK_EQ(g_frees.load(), 1);
}
