// Tickets for sharing an owner with other threads (worker_threads): share() deposits one owner
// reference under a fresh id; the receiving thread redeems the id exactly once and takes the
// reference over. Ids are counters, not pointers, so a forged or reused ticket is refused.
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "owner.h"

namespace mvaddon {

class ShareRegistry {
 public:
  // Retains the owner for the ticket and returns its id.
  static uint64_t Deposit(mv::Owner *o) {
    o->retain();
    std::lock_guard<std::mutex> lock(mu());
    uint64_t id = ++next();
    tickets()[id] = o;
    return id;
  }

  // The owner with the ticket's reference, or nullptr when the id is unknown or already used.
  static mv::Owner *Redeem(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu());
    auto it = tickets().find(id);
    if (it == tickets().end()) return nullptr;
    mv::Owner *o = it->second;
    tickets().erase(it);
    return o;
  }

  static int64_t Outstanding() {
    std::lock_guard<std::mutex> lock(mu());
    return int64_t(tickets().size());
  }

 private:
  static std::mutex &mu() {
    static std::mutex m;
    return m;
  }
  static uint64_t &next() {
    static uint64_t n = 0;
    return n;
  }
  static std::unordered_map<uint64_t, mv::Owner *> &tickets() {
    static std::unordered_map<uint64_t, mv::Owner *> t;
    return t;
  }
};

}  // namespace mvaddon
