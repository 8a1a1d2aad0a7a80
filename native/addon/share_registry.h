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
  struct Ticket {
    mv::Owner *owner;
    bool foreign;  // recorded here, never taken from the (forgeable) descriptor
  };

  // Retains the owner for the ticket and returns its id.
  static uint64_t Deposit(mv::Owner *o, bool foreign) {
    o->retain();
    std::lock_guard<std::mutex> lock(mu());
    uint64_t id = ++next();
    tickets()[id] = Ticket{o, foreign};
    return id;
  }

  // The ticket (owner with its reference), or {nullptr} when the id is unknown or already used.
  static Ticket Redeem(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu());
    auto it = tickets().find(id);
    if (it == tickets().end()) return Ticket{nullptr, false};
    Ticket t = it->second;
    tickets().erase(it);
    return t;
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
  static std::unordered_map<uint64_t, Ticket> &tickets() {
    static std::unordered_map<uint64_t, Ticket> t;
    return t;
  }
};

}  // namespace mvaddon
