// OwnerHandle: the JS face of one mv::Owner in one thread. It holds one owner reference and makes
// the aliasing ArrayBuffers views read through; each of those holds its own reference, dropped by
// its finalizer, so memory lives while any buffer, handle or native pin does.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "owner.h"
#include "reclaim.h"

namespace mvaddon {

class OwnerHandle : public Napi::ObjectWrap<OwnerHandle> {
 public:
  static Napi::Function Init(Napi::Env env);
  // Wraps an owner, taking over the caller's reference; empty (nothing taken) when the runtime
  // cannot make objects now (a worker being terminated).
  static Napi::Object Wrap(Napi::Env env, mv::Owner *owner, bool zero_copy = true, OwnerHandle **out = nullptr);
  // The handle behind a JS value memview made (type-tagged), or nullptr. Runs no JS.
  static OwnerHandle *FromValue(Napi::Value v);

  explicit OwnerHandle(const Napi::CallbackInfo &info);
  ~OwnerHandle() override;

  mv::Owner *owner() const { return owner_; }
  // free() from native code: ends this handle's hold now (detaching its buffers), runs no JS.
  void End(napi_env env, napi_value self);
  bool freed() const { return owner_ == nullptr; }
  // Remembers a buffer over this memory made elsewhere, so free() detaches it too.
  void Track(Napi::ArrayBuffer ab) { buffers_.push_back({Napi::Weak(ab), nullptr}); }
  // Tells V8 about memory this handle owns while no ArrayBuffer represents it (GC pressure), once;
  // taken back when a buffer over all of it is made (V8 counts that) or the memory is released.
  void ReportExternal(Napi::Env env);
  // Foreign memory (fromPointer): its pointer tables may be followed to other addresses.
  void MarkForeign() { foreign_ = true; }
  // Memory a JS ArrayBuffer holds (runtimes without external buffers): JS can detach it.
  void MarkJsMemory() { js_memory_ = true; }
  bool js_memory() const { return js_memory_; }
  // Drops the owner references of this handle and its buffers if GC collected them (see
  // reclaim.h), adding how many to *dropped. True when nothing of it is left to watch.
  bool ReclaimCollected(napi_env env, int64_t *dropped);

 private:
  Napi::Value Buffer(const Napi::CallbackInfo &info);
  Napi::Value Alias(const Napi::CallbackInfo &info);
  Napi::Value Share(const Napi::CallbackInfo &info);
  Napi::Value Free(const Napi::CallbackInfo &info);
  Napi::Value Steal(const Napi::CallbackInfo &info);
  Napi::Value Address(const Napi::CallbackInfo &info);
  Napi::Value ByteLength(const Napi::CallbackInfo &info);
  Napi::Value Kind(const Napi::CallbackInfo &info);
  Napi::Value Refcount(const Napi::CallbackInfo &info);
  Napi::Value Freed(const Napi::CallbackInfo &info);

  // detach false: only the references are settled (memory a pin still reads through its buffer).
  void DetachAll(Napi::Env env, bool detach = true);
  static void MarkReleased(napi_env env, napi_value self);

  Napi::Value MakeBuffer(Napi::Env env, char *data, int64_t length);

  friend class Reclaimer;
  Reclaimer *reclaimer_ = nullptr;   // the environment's, while it watches this handle
  size_t reclaim_index_ = SIZE_MAX;  // position in it
  void StopWatching() {
    if (reclaimer_) reclaimer_->Remove(this);
  }

  mv::Owner *owner_ = nullptr;
  bool foreign_ = false;
  bool js_memory_ = false;
  int64_t reported_ = 0;  // bytes reported with napi_adjust_external_memory
  void UnreportExternal(napi_env env);
  // The owner reference an aliasing ArrayBuffer holds. free() drops it at once (after detaching
  // the buffer); the buffer's finalizer, whenever it runs later, drops it only if still held.
  struct BufferLink {
    mv::Owner *owner;
  };
  struct Tracked {
    Napi::Reference<Napi::ArrayBuffer> buffer;  // weak
    std::shared_ptr<BufferLink> link;           // null for copies (they hold no reference)
  };
  static void ReleaseLink(napi_env, void *, void *hint);
  struct Plan {
    napi_value detach;  // the buffer to detach now, or null
    bool drop;          // drop its owner reference now
  };
  Plan PlanOf(napi_env env, Tracked &t);
  int64_t DroppableLinks(napi_env env);
  // Every ArrayBuffer handed out, so free() can detach them first.
  std::vector<Tracked> buffers_;
};

}  // namespace mvaddon
