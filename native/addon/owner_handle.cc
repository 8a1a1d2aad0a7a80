#include "owner_handle.h"

#include <cstring>

#include "addon.h"
#include "share_registry.h"
#include "tables.h"

namespace mvaddon {

namespace {

// Node 20's largest Buffer/TypedArray (buffer.constants.MAX_LENGTH); Node 22 lifts it.
constexpr int64_t kMaxBufferBytes = int64_t(1) << 32;


}  // namespace

// Finalizer of an aliasing ArrayBuffer: drops the reference it held, unless free() already did.
// Both run on the JS thread that made the buffer.
void OwnerHandle::ReleaseLink(napi_env, void *, void *hint) {
  auto *link = static_cast<std::shared_ptr<BufferLink> *>(hint);
  if ((*link)->owner) (*link)->owner->release();
  (*link)->owner = nullptr;
  delete link;
}

Napi::Function OwnerHandle::Init(Napi::Env env) {
  return DefineClass(env, "OwnerHandle",
                     {
                         InstanceMethod<&OwnerHandle::Buffer>("buffer"),
                         InstanceMethod<&OwnerHandle::Alias>("alias"),
                         InstanceMethod<&OwnerHandle::Share>("share"),
                         InstanceMethod<&OwnerHandle::Free>("free"),
                         InstanceMethod<&OwnerHandle::Steal>("steal"),
                         InstanceAccessor<&OwnerHandle::Address>("address"),
                         InstanceAccessor<&OwnerHandle::ByteLength>("byteLength"),
                         InstanceAccessor<&OwnerHandle::Kind>("kind"),
                         InstanceAccessor<&OwnerHandle::Refcount>("refcount"),
                         InstanceAccessor<&OwnerHandle::Freed>("freed"),
                     });
}

// Handles made by memview carry this tag; Unwrap checks it (no user code runs, unlike instanceof
// with a Symbol.hasInstance someone installed on the class).
constexpr napi_type_tag kHandleTag = {0x6d656d7669657721ULL, 0x68616e646c653131ULL};

// Raw Node-API calls with checked statuses: while a worker is being terminated any call that may
// run JS fails, and node-addon-api's wrappers would turn that into a fatal error.
Napi::Object OwnerHandle::Wrap(Napi::Env env, mv::Owner *owner, bool zero_copy, OwnerHandle **out) {
  napi_value ctor, obj, flag;
  OwnerHandle *h = nullptr;
  if (napi_get_reference_value(env, State(env).owner_ctor, &ctor) != napi_ok || ctor == nullptr ||
      napi_new_instance(env, ctor, 0, nullptr, &obj) != napi_ok ||
      (h = Napi::ObjectWrap<OwnerHandle>::Unwrap(Napi::Object(env, obj))) == nullptr)
    return Napi::Object();  // nothing taken: the caller still holds `owner`
  h->owner_ = owner;  // the handle owns the reference from here on
  if (out != nullptr) *out = h;  // (unwrapping again could fail while a worker terminates)
  const int64_t size = owner->size();
  Reclaimer &reclaimer = State(env).reclaimer;
  reclaimer.Add(h);
  reclaimer.NoteMade(env, size);
  // (An untagged handle is merely refused by native code; a missing zeroCopy reads as true.)
  napi_type_tag_object(env, obj, &kHandleTag);
  // Only the exception is written (JS reads `zeroCopy !== false`): a property less per handle.
  if (!zero_copy && napi_get_boolean(env, false, &flag) == napi_ok) DefineOwn(env, obj, "zeroCopy", flag);
  return Napi::Object(env, obj);
}

OwnerHandle *OwnerHandle::FromValue(Napi::Value v) {
  if (v.IsEmpty() || !v.IsObject()) return nullptr;
  Napi::Object o = v.As<Napi::Object>();
  bool is = false;
  if (napi_check_object_type_tag(v.Env(), o, &kHandleTag, &is) != napi_ok || !is) return nullptr;
  return Napi::ObjectWrap<OwnerHandle>::Unwrap(o);
}

OwnerHandle::OwnerHandle(const Napi::CallbackInfo &info) : Napi::ObjectWrap<OwnerHandle>(info) {}

OwnerHandle::~OwnerHandle() {
  StopWatching();
  UnreportExternal(Env());
  if (owner_) owner_->release();
}

namespace {
bool Collected(napi_env env, napi_ref ref) {
  napi_value v = nullptr;
  return ref != nullptr && napi_get_reference_value(env, ref, &v) == napi_ok && v == nullptr;
}
}  // namespace

bool OwnerHandle::ReclaimCollected(napi_env env, int64_t *dropped) {
  // Where JS can move a buffer's memory into another buffer, a collected buffer proves nothing:
  // its finalizer alone (which runs when the memory's last buffer dies) drops its reference.
  const bool movable = State(Env()).buffers_movable;
  size_t kept = 0;
  for (auto &t : buffers_) {
    if (!Collected(env, t.buffer) || (movable && t.link && t.link->owner)) {
      if (&buffers_[kept] != &t) buffers_[kept] = std::move(t);
      kept++;
    } else if (t.link && t.link->owner) {
      t.link->owner->release();
      t.link->owner = nullptr;
      ++*dropped;
    }
  }
  buffers_.erase(buffers_.begin() + std::ptrdiff_t(kept), buffers_.end());
  bool self_gone = Collected(env, *static_cast<Napi::Reference<Napi::Object> *>(this));
  if (self_gone && owner_) {
    UnreportExternal(env);
    mv::Owner *o = owner_;
    owner_ = nullptr;
    o->release();
    ++*dropped;
  }
  // (Links kept for movable buffers stay tracked until their finalizers clear them.)
  bool links_left = false;
  for (auto &t : buffers_)
    if (t.link && t.link->owner) links_left = true;
  return self_gone && (buffers_.empty() || (movable && !links_left));
}

void OwnerHandle::ReportExternal(Napi::Env env) {
  if (!owner_ || reported_ != 0 || owner_->kind() == mv::Owner::Kind::borrowed || owner_->size() == 0) return;
  int64_t total;
  if (napi_adjust_external_memory(env, owner_->size(), &total) == napi_ok) reported_ = owner_->size();
}

void OwnerHandle::UnreportExternal(napi_env env) {
  if (reported_ == 0) return;
  int64_t total;
  napi_adjust_external_memory(env, -reported_, &total);
  reported_ = 0;
}

// buffer(offset, length): an ArrayBuffer aliasing bytes [offset, offset + length) of the owner.
Napi::Value OwnerHandle::Buffer(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!owner_) return ThrowCoded(env, "ERR_MEMVIEW_RELEASED", "memory was released", ErrKind::buffer);
  if (js_memory_)  // the memory is that ArrayBuffer's: never read it through the raw pointer
    return ThrowCoded(env, "ERR_MEMVIEW_UNSUPPORTED", "this memory is the handle's jsBuffer", ErrKind::type);
  int64_t offset = info.Length() > 0 ? info[0].As<Napi::Number>().Int64Value() : 0;
  int64_t length = info.Length() > 1 ? info[1].As<Napi::Number>().Int64Value() : owner_->size() - offset;
  if (offset < 0 || length < 0 || offset > owner_->size() || length > owner_->size() - offset)
    return ThrowCoded(env, "ERR_MEMVIEW_EXTENT", "window outside the owner's memory", ErrKind::range);
  Napi::Value buf = MakeBuffer(env, owner_->data() + offset, length);
  // An external buffer over all of the memory is counted by V8 itself from now on.
  if (buf.IsArrayBuffer() && offset == 0 && length == owner_->size() && !State(env).force_copy &&
      State(env).external_buffers)
    UnreportExternal(env);
  return buf;
}

// alias(address, length): an ArrayBuffer over memory a pointer table of this (foreign) owner
// points to. Unsafe by nature, like fromPointer itself: refused for memory memview allocated.
Napi::Value OwnerHandle::Alias(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!owner_) return ThrowCoded(env, "ERR_MEMVIEW_RELEASED", "memory was released", ErrKind::buffer);
  if (!foreign_)
    return ThrowCoded(env, "ERR_MEMVIEW_UNSUPPORTED", "only foreign memory (fromPointer) has pointer tables to follow", ErrKind::type);
  uintptr_t addr;
  if (!ReadAddress(info[0], &addr)) return env.Undefined();
  int64_t length = info[1].As<Napi::Number>().Int64Value();
  if (addr == 0 || length < 0) return ThrowCoded(env, "ERR_MEMVIEW_SOURCE", "NULL pointer in an indirect dimension", ErrKind::type);
  return MakeBuffer(env, reinterpret_cast<char *>(addr), length);
}

// An external ArrayBuffer over [data, data + length) holding one owner reference. Where the
// runtime refuses external buffers (Electron's sandbox, or MEMVIEW_NO_EXTERNAL=1 to test that
// path), foreign memory is copied into a JS ArrayBuffer instead; the handle's zeroCopy is false.
Napi::Value OwnerHandle::MakeBuffer(Napi::Env env, char *data, int64_t length) {
  if (length > kMaxBufferBytes)
    return ThrowCoded(env, "ERR_MEMVIEW_UNSUPPORTED",
                      "this runtime's ArrayBuffers hold at most 2^32 bytes; views over larger native regions are not supported yet",
                      ErrKind::type);
  if (State(env).force_copy || !State(env).external_buffers) {
    Napi::ArrayBuffer copy = Napi::ArrayBuffer::New(env, size_t(length));
    if (env.IsExceptionPending()) return env.Undefined();
    if (length > 0) std::memcpy(copy.Data(), data, size_t(length));
    buffers_.push_back({Napi::Weak(copy), nullptr});
    return copy;
  }
  napi_value ab;
  owner_->retain();
  auto link = std::make_shared<BufferLink>(BufferLink{owner_});
  auto *hint = new std::shared_ptr<BufferLink>(link);
  napi_status st = napi_create_external_arraybuffer(env, data, size_t(length), ReleaseLink, hint, &ab);
  if (st != napi_ok) {
    delete hint;
    owner_->release();
    if (st == napi_no_external_buffers_allowed)
      return ThrowCoded(env, "ERR_MEMVIEW_UNSUPPORTED", "this runtime refuses external ArrayBuffers", ErrKind::type);
    return ThrowCoded(env, "ERR_MEMVIEW_ALLOC", "could not create an ArrayBuffer over native memory", ErrKind::buffer);
  }
  Napi::ArrayBuffer buf(env, ab);
  // Tagged so native code knows memview memory when it sees it (tables.h): its pointer tables may
  // be followed (foreign), and it must always come with its owner.
  if (foreign_) TagForeignBuffer(env, buf);
  else TagOwnedBuffer(env, buf);
  // Forget buffers already collected and finalized, so the list stays small.
  std::vector<Tracked> live;
  for (auto &t : buffers_)
    if (!Collected(env, t.buffer) || (t.link && t.link->owner)) live.push_back(std::move(t));
  buffers_ = std::move(live);
  buffers_.push_back({Napi::Weak(buf), link});
  return buf;
}

// share(): a ticket another thread turns into its own handle (adoptShared). The ticket holds one
// owner reference until it is redeemed, so the memory outlives this thread's views.
Napi::Value OwnerHandle::Share(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!owner_) return ThrowCoded(env, "ERR_MEMVIEW_RELEASED", "memory was released", ErrKind::buffer);
  // Memory in a JS ArrayBuffer lives as long as this thread's buffer: another thread cannot pin it.
  if (js_memory_)
    return ThrowCoded(env, "ERR_MEMVIEW_UNSUPPORTED",
                      "this runtime keeps arrays in JS memory, which another thread cannot hold; share a SharedArrayBuffer instead",
                      ErrKind::type);
  // Everything that can fail first; the deposit (an owner reference) last, then nothing runs JS.
  Napi::Object ticket = Napi::Object::New(env);
  Napi::Boolean foreign = Napi::Boolean::New(env, foreign_);
  if (env.IsExceptionPending()) return env.Undefined();
  Napi::BigInt id = Napi::BigInt::New(env, ShareRegistry::Deposit(owner_, foreign_));
  DefineData(env, ticket, "id", id);
  DefineData(env, ticket, "foreign", foreign);
  return ticket;
}

// `released`: a plain data property JS reads on hot paths instead of calling the `freed` accessor.
void OwnerHandle::MarkReleased(napi_env env, napi_value self) {
  napi_value t;
  if (napi_get_boolean(env, true, &t) == napi_ok) DefineOwn(env, self, "released", t);
}

// What free()/steal() do with each tracked buffer: detach it, and drop its reference only when that
// proves nothing reaches the memory through it any more. A buffer found detached already was
// detached by someone else (moved by transfer(), or by another addon): its memory may live on in
// another buffer, so its reference stays until its finalizer. So does a collected buffer's where
// JS can move buffers.
OwnerHandle::Plan OwnerHandle::PlanOf(napi_env env, Tracked &t) {
  napi_value v = nullptr;
  if (napi_get_reference_value(env, t.buffer, &v) != napi_ok) return {nullptr, false};
  bool held = t.link && t.link->owner;
  if (v == nullptr) return {nullptr, held && !State(Env()).buffers_movable};  // (this handle's env)
  bool detached = false;
  if (napi_is_detached_arraybuffer(env, v, &detached) != napi_ok || detached) return {nullptr, false};
  return {v, held};
}

int64_t OwnerHandle::DroppableLinks(napi_env env) {
  int64_t n = 0;
  for (auto &t : buffers_)
    if (PlanOf(env, t).drop) n++;
  return n;
}

void OwnerHandle::DetachAll(Napi::Env env, bool detach) {
  for (auto &t : buffers_) {
    Plan plan = PlanOf(env, t);
    if (detach && plan.detach != nullptr) napi_detach_arraybuffer(env, plan.detach);
    // This buffer can no longer reach the memory: its reference goes now, not at its finalizer.
    if (plan.drop) {
      t.link->owner->release();
      t.link->owner = nullptr;
    }
  }
  buffers_.clear();
}

// free(): ends this memory's life now. Every aliasing buffer is detached first, so stale
// TypedArrays read length 0, never freed memory; the callback runs once the last pin is gone.
// Nothing here runs JS (detaching and defining own properties call no user code).
Napi::Value OwnerHandle::Free(const Napi::CallbackInfo &info) {
  End(info.Env(), info.This());
  return info.Env().Undefined();
}

void OwnerHandle::End(napi_env env, napi_value self) {
  if (!owner_) return;
  mv::Owner *o = owner_;
  // JS memory a C ABI pin still reads: its buffer is the memory itself, so detaching would free
  // it under the pin. It stays attached (views still refuse: the handle is released).
  DetachAll(Napi::Env(env), !(js_memory_ && o->refcount() > 1));
  UnreportExternal(env);
  StopWatching();  // nothing of it is left to watch
  owner_ = nullptr;
  MarkReleased(env, self);
  o->release();
}

// steal(): the pointer back to the caller, who frees it. Only when nothing else can still read it:
// an async job, a C ABI pin, another thread's views or a buffer moved elsewhere would read memory
// the caller may free at once.
Napi::Value OwnerHandle::Steal(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!owner_) return ThrowCoded(env, "ERR_MEMVIEW_RELEASED", "memory was released", ErrKind::buffer);
  // memview's own memory, or a JS ArrayBuffer's (runtimes without external buffers): not the caller's
  if (owner_->kind() == mv::Owner::Kind::allocated || js_memory_) return env.Null();
  const int64_t others = owner_->refcount() - 1 - DroppableLinks(env);
  if (others != 0)
    return ThrowCoded(env, "ERR_MEMVIEW_EXPORTED",
                      "memory is still in use elsewhere (an async job, a C ABI pin, another thread or a moved buffer): it cannot be stolen now",
                      ErrKind::buffer);
  void *p = owner_->steal();
  if (!p) return env.Null();
  mv::Owner *o = owner_;
  DetachAll(env);
  UnreportExternal(env);
  StopWatching();
  owner_ = nullptr;
  MarkReleased(env, info.This());
  o->release();
  return Napi::BigInt::New(env, uint64_t(reinterpret_cast<uintptr_t>(p)));
}

Napi::Value OwnerHandle::Address(const Napi::CallbackInfo &info) {
  if (!owner_) return info.Env().Null();
  return Napi::BigInt::New(info.Env(), uint64_t(reinterpret_cast<uintptr_t>(owner_->data())));
}

Napi::Value OwnerHandle::ByteLength(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), owner_ ? double(owner_->size()) : 0);
}

Napi::Value OwnerHandle::Kind(const Napi::CallbackInfo &info) {
  const char *k = "released";
  if (owner_) {
    switch (owner_->kind()) {
      case mv::Owner::Kind::allocated: k = "allocated"; break;
      case mv::Owner::Kind::foreign: k = "foreign"; break;
      case mv::Owner::Kind::borrowed: k = "borrowed"; break;
    }
  }
  return Napi::String::New(info.Env(), k);
}

Napi::Value OwnerHandle::Refcount(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), owner_ ? double(owner_->refcount()) : 0);
}

Napi::Value OwnerHandle::Freed(const Napi::CallbackInfo &info) {
  return Napi::Boolean::New(info.Env(), owner_ == nullptr);
}

}  // namespace mvaddon
