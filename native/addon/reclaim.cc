#include "reclaim.h"

#include <algorithm>

#include "owner_handle.h"

namespace mvaddon {

namespace {
// A scan visits every watched handle (tens of ns each), so it runs once per so many handles made
// (at least 256, at least half the watched ones) or per so many bytes made (at least 16 MiB, at
// least 1 KiB per watched handle): O(1) per handle and per KiB made, whatever the mix.
constexpr int64_t kMinHandles = 256;
constexpr int64_t kMinBytes = int64_t(16) << 20;
constexpr int64_t kBytesPerHandle = 1024;
}  // namespace

Reclaimer::~Reclaimer() {
  for (OwnerHandle *h : handles_) h->reclaimer_ = nullptr;
}

void Reclaimer::Add(OwnerHandle *h) {
  h->reclaimer_ = this;
  h->reclaim_index_ = handles_.size();
  handles_.push_back(h);
}

void Reclaimer::Remove(OwnerHandle *h) {
  size_t i = h->reclaim_index_;
  if (i >= handles_.size() || handles_[i] != h) return;
  handles_[i] = handles_.back();
  handles_[i]->reclaim_index_ = i;
  handles_.pop_back();
  h->reclaim_index_ = SIZE_MAX;
  h->reclaimer_ = nullptr;
}

void Reclaimer::NoteMade(napi_env env, int64_t bytes) {
  made_since_scan_ += 1;
  bytes_since_scan_ += bytes;
  int64_t n = int64_t(handles_.size());
  if (made_since_scan_ >= std::max(kMinHandles, n / 2) || bytes_since_scan_ >= std::max(kMinBytes, n * kBytesPerHandle))
    Scan(env);
}

int64_t Reclaimer::Scan(napi_env env) {
  made_since_scan_ = 0;
  bytes_since_scan_ = 0;
  int64_t dropped = 0;
  napi_handle_scope scope;  // the references' values read below die with it
  if (napi_open_handle_scope(env, &scope) != napi_ok) return 0;
  for (size_t i = 0; i < handles_.size();) {
    OwnerHandle *h = handles_[i];
    if (h->ReclaimCollected(env, &dropped)) {
      Remove(h);  // the last handle moved to i: visit it next
    } else {
      i++;
    }
  }
  napi_close_handle_scope(env, scope);
  return dropped;
}

}  // namespace mvaddon
