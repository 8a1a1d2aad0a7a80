// The consumer's C++11 part: memview.h compiled as C++11, a thread-safe free counter (free
// functions may run on any thread), and a release from another thread.
#include <atomic>
#include <cstdlib>
#include <thread>

#include "consumer.h"

namespace {
std::atomic<long long> g_frees(0);
std::atomic<long long> g_mismatches(0);
}  // namespace

extern "C" void consumer_free(void *data, void *ctx) {
  consumer_block *b = static_cast<consumer_block *>(ctx);
  if (data != b->expected) g_mismatches.fetch_add(1);
  std::free(b->block);
  std::free(b);
  g_frees.fetch_add(1);
}

extern "C" long long consumer_free_count(void) { return g_frees.load(); }

extern "C" long long consumer_free_mismatches(void) { return g_mismatches.load(); }

extern "C" void consumer_release_on_thread(const mv_api *api, mv_buffer *b) {
  std::thread t([api, b]() { api->release_buffer(b); });
  t.join();
}
