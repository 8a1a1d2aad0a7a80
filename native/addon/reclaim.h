// Release at GC time, not at finalizer time. Node 20 runs Node-API finalizers only after the
// current synchronous job, so a loop that drops native arrays would keep every block until it
// yields (nodejs/node-addon-api#917). V8 clears weak references inside the collection itself, so
// when new native memory is made the handles and buffers GC has already collected give up their
// owner references at once; their finalizers, whenever they run, find nothing left to release.
//
// Safe because a collected ArrayBuffer's memory is unreachable: memview's external buffers are
// untransferable (Node copies them on postMessage), and every other holder (async job, C ABI pin,
// worker ticket) holds its own owner reference.
#pragma once

#include <napi.h>

#include <cstdint>
#include <vector>

namespace mvaddon {

class OwnerHandle;

class Reclaimer {
 public:
  Reclaimer() = default;
  Reclaimer(const Reclaimer &) = delete;
  Reclaimer &operator=(const Reclaimer &) = delete;
  // The environment's state may go before the handles' finalizers run: they forget it then.
  ~Reclaimer();

  void Add(OwnerHandle *h);
  void Remove(OwnerHandle *h);
  // Called when memory of `bytes` is wrapped; scans when enough was made since the last scan
  // that the scan costs O(1) per handle made.
  void NoteMade(napi_env env, int64_t bytes);
  // Visits every live handle now; returns how many owner references were dropped.
  int64_t Scan(napi_env env);

 private:
  std::vector<OwnerHandle *> handles_;
  int64_t made_since_scan_ = 0;
  int64_t bytes_since_scan_ = 0;
};

}  // namespace mvaddon
