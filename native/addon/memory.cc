// Where memory enters memview from JS: allocation, adoption of foreign pointers (with C or JS
// free callbacks), addresses of JS buffers, and what this runtime allows.
#include <atomic>
#include <mutex>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

#include "addon.h"
#include "owner_handle.h"
#include "tables.h"
#include "share_registry.h"

namespace mvaddon {

namespace {

// --- free callbacks -------------------------------------------------------------------------

// A C free function given as an address: void (*)(void *).
void call_c_free(void *data, void *fn) { reinterpret_cast<void (*)(void *)>(fn)(data); }

// A JS free function: the owner may die on any thread and inside a finalizer, so the call is
// queued to the registering thread's loop and runs there, never re-entrantly, never inside GC.
// The thread-safe function dies with its environment (worker exit, process exit); the context
// below outlives both users, so a free arriving after that is dropped instead of touching it.
struct JsFree {
  std::mutex mu;
  napi_threadsafe_function tsfn = nullptr;
  bool closed = false;  // the environment finalized the thread-safe function
  int refs = 2;         // the thread-safe function's finalizer + the owner's free path
};

void drop_js_free(JsFree *c) {
  bool last;
  {
    std::lock_guard<std::mutex> lock(c->mu);
    last = --c->refs == 0;
  }
  if (last) delete c;
}

void js_free_closed(napi_env, void *finalize_data, void *) {
  auto *c = static_cast<JsFree *>(finalize_data);
  {
    std::lock_guard<std::mutex> lock(c->mu);
    c->closed = true;
  }
  drop_js_free(c);
}

void call_js_free_on_loop(napi_env env, napi_value js_cb, void *, void *data) {
  if (env == nullptr) return;  // the registering environment is gone: JS cannot run (documented)
  napi_value arg, undefined;
  napi_create_bigint_uint64(env, uint64_t(reinterpret_cast<uintptr_t>(data)), &arg);
  napi_get_undefined(env, &undefined);
  napi_call_function(env, undefined, js_cb, 1, &arg, nullptr);
}

void queue_js_free(void *data, void *ctx) {
  auto *c = static_cast<JsFree *>(ctx);
  {
    std::lock_guard<std::mutex> lock(c->mu);
    if (!c->closed) {
      napi_call_threadsafe_function(c->tsfn, data, napi_tsfn_nonblocking);
      napi_release_threadsafe_function(c->tsfn, napi_tsfn_release);
    }
  }
  drop_js_free(c);
}

// --- entry points ---------------------------------------------------------------------------

bool ReadByteLength(Napi::Value v, int64_t *out) {
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (d >= 0 && d <= 9007199254740991.0 && d == double(int64_t(d))) {
      *out = int64_t(d);
      return true;
    }
  }
  ThrowCoded(v.Env(), "ERR_MEMVIEW_EXTENT", "byte length must be a non-negative safe integer", ErrKind::range);
  return false;
}

// allocate(nbytes, zero) -> OwnerHandle over 64-byte aligned native memory. A runtime that
// refuses external buffers gets a JS-allocated ArrayBuffer instead, so it stays zero-copy.
Napi::Value Allocate(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t n;
  if (!ReadByteLength(info[0], &n)) return env.Undefined();
  bool zero = true;
  napi_get_value_bool(env, info[1], &zero);  // no coercion: nothing that could run JS
  if (State(env).force_copy || !State(env).external_buffers) {
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, size_t(n));  // zeroed by V8
    if (env.IsExceptionPending()) return env.Undefined();
    mv::Owner *o = mv::Owner::adopt(ab.Data(), n, nullptr, nullptr);
    OwnerHandle *oh = nullptr;
    Napi::Object h = OwnerHandle::Wrap(env, o, true, &oh);
    if (h.IsEmpty()) {
      o->release();  // borrowed V8 memory: nothing to free
      return env.Undefined();
    }
    // An own read-only property keeps the buffer (and so the memory) as long as the handle lives.
    if (!DefineOwn(env, h, "jsBuffer", ab)) return env.Undefined();
    TagOwnedBuffer(env, ab);  // its memory goes with this handle: never pinned without it
    oh->Track(ab);
    oh->MarkJsMemory();
    return h;
  }
  mv::Owner *o = mv::Owner::allocate(n, zero);
  if (!o) return ThrowCoded(env, "ERR_MEMVIEW_ALLOC", "unable to allocate array data.", ErrKind::buffer);
  OwnerHandle *oh = nullptr;
  Napi::Object h = OwnerHandle::Wrap(env, o, true, &oh);
  if (h.IsEmpty()) {
    o->release();  // memview's own memory: freed
    return env.Undefined();
  }
  oh->ReportExternal(env);
  return h;
}

// adopt(address, nbytes, free?) -> OwnerHandle over foreign memory. free: undefined (borrow:
// never freed), a bigint address of void(*)(void *), or a JS function (ptr: bigint) => void.
Napi::Value Adopt(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  uintptr_t addr;
  if (!ReadAddress(info[0], &addr)) return env.Undefined();
  int64_t n;
  if (!ReadByteLength(info[1], &n)) return env.Undefined();
  if (addr == 0 && n > 0) return ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", "NULL pointer", ErrKind::type);
  mv::FreeFn fn = nullptr;
  void *ctx = nullptr;
  Napi::Value f = info[2];
  if (f.IsFunction()) {
    auto *c = new JsFree();
    napi_value name = Napi::String::New(env, "memview free callback");
    if (napi_create_threadsafe_function(env, f, nullptr, name, 0, 1, c, js_free_closed, nullptr,
                                        call_js_free_on_loop, &c->tsfn) != napi_ok) {
      delete c;
      return ThrowCoded(env, "ERR_MEMVIEW_ALLOC", "could not register the free callback", ErrKind::buffer);
    }
    napi_unref_threadsafe_function(env, c->tsfn);  // a pending free must not keep the process alive
    fn = queue_js_free;
    ctx = c;
  } else if (!f.IsUndefined() && !f.IsNull()) {
    uintptr_t faddr;
    if (!ReadAddress(f, &faddr)) return env.Undefined();
    if (faddr == 0) return ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", "NULL free function", ErrKind::type);
    fn = call_c_free;
    ctx = reinterpret_cast<void *>(faddr);
  }
  mv::Owner *o = mv::Owner::adopt(reinterpret_cast<void *>(addr), n, fn, ctx);
  if (fn == call_c_free) o->free_at_exit();  // JS callbacks cannot run at exit; C ones can
  OwnerHandle *oh = nullptr;
  Napi::Object h = OwnerHandle::Wrap(env, o, !State(env).force_copy && State(env).external_buffers, &oh);
  if (h.IsEmpty()) {
    o->steal();  // the call failed: the caller keeps its memory, no free callback runs
    o->release();
    return env.Undefined();
  }
  oh->MarkForeign();
  if (fn != nullptr) oh->ReportExternal(env);  // borrowed memory is not ours
  return h;
}

// addressOf(arrayBuffer | view) -> bigint address of its first byte (unsafe by nature).
Napi::Value AddressOf(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  void *data = nullptr;
  if (info[0].IsArrayBuffer()) {
    data = info[0].As<Napi::ArrayBuffer>().Data();
  } else if (info[0].IsTypedArray() || info[0].IsDataView()) {
    napi_value ab;
    size_t byte_offset = 0;
    if (info[0].IsTypedArray()) {
      napi_typedarray_type t;
      size_t len;
      napi_get_typedarray_info(env, info[0], &t, &len, &data, &ab, &byte_offset);
    } else {
      size_t len;
      napi_get_dataview_info(env, info[0], &len, &data, &ab, &byte_offset);
    }
  } else {
    return ThrowCoded(env, "ERR_MEMVIEW_SOURCE", "addressOf needs an ArrayBuffer or a view of one", ErrKind::type);
  }
  return Napi::BigInt::New(env, uint64_t(reinterpret_cast<uintptr_t>(data)));
}

// adoptShared(id, foreign) -> OwnerHandle over memory another thread shared (its ticket's
// reference is taken over). Each ticket works once.
Napi::Value AdoptShared(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsBigInt()) return ThrowCoded(env, "ERR_MEMVIEW_SOURCE", "not a share() descriptor", ErrKind::type);
  bool lossless = false;
  uint64_t id = info[0].As<Napi::BigInt>().Uint64Value(&lossless);
  ShareRegistry::Ticket t = lossless ? ShareRegistry::Redeem(id) : ShareRegistry::Ticket{nullptr, false};
  mv::Owner *o = t.owner;
  if (!o)
    return ThrowCoded(env, "ERR_MEMVIEW_RELEASED", "this share() descriptor was already used (each one makes one view; call share() per recipient)", ErrKind::buffer);
  OwnerHandle *oh = nullptr;
  Napi::Object h = OwnerHandle::Wrap(env, o, !State(env).force_copy && State(env).external_buffers, &oh);
  if (h.IsEmpty()) {
    o->release();  // the ticket's reference
    return env.Undefined();
  }
  if (t.foreign) oh->MarkForeign();
  return h;
}

Napi::Value OutstandingShares(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), double(ShareRegistry::Outstanding()));
}

Napi::Value Capabilities(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  DefineData(env, o, "externalBuffers", Napi::Boolean::New(env, State(env).external_buffers && !State(env).force_copy));
  DefineData(env, o, "forcedCopy", Napi::Boolean::New(env, State(env).force_copy));
  return o;
}

Napi::Value LiveOwners(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), double(mv::Owner::live_count()));
}

// --- test support: a C allocator and a counting C free function -----------------------------

std::atomic<int64_t> g_test_frees{0};
void test_free(void *p) {
  std::free(p);
  g_test_frees.fetch_add(1);
}

// A free function that also says so on stderr, for exit-time tests in child processes.
void test_free_loud(void *p) {
  test_free(p);
  static const char msg[] = "memview-test: freed\n";
  if (write(2, msg, sizeof msg - 1) < 0) return;
}

Napi::Value TestFreeLoudAddress(const Napi::CallbackInfo &info) {
  return Napi::BigInt::New(info.Env(), uint64_t(reinterpret_cast<uintptr_t>(&test_free_loud)));
}

Napi::Value TestMalloc(const Napi::CallbackInfo &info) {
  int64_t n;
  if (!ReadByteLength(info[0], &n)) return info.Env().Undefined();
  void *p = std::calloc(size_t(n > 0 ? n : 1), 1);
  return Napi::BigInt::New(info.Env(), uint64_t(reinterpret_cast<uintptr_t>(p)));
}

Napi::Value TestFreeAddress(const Napi::CallbackInfo &info) {
  return Napi::BigInt::New(info.Env(), uint64_t(reinterpret_cast<uintptr_t>(&test_free)));
}

// V8's count of external memory (what napi_adjust_external_memory reports to), for accounting tests.
Napi::Value TestExternalMemory(const Napi::CallbackInfo &info) {
  int64_t total = 0;
  napi_adjust_external_memory(info.Env(), 0, &total);
  return Napi::Number::New(info.Env(), double(total));
}

// Runs the GC-observed release (reclaim.h) now; returns how many owner references it dropped.
Napi::Value TestReclaim(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), double(State(info.Env()).reclaimer.Scan(info.Env())));
}

Napi::Value TestFreeCount(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), double(g_test_frees.load()));
}

bool ProbeExternalBuffers(Napi::Env env) {
  static char probe[1];
  napi_value ab;
  return napi_create_external_arraybuffer(env, probe, 1, nullptr, nullptr, &ab) == napi_ok;
}

}  // namespace

void InitMemory(Napi::Env env, Napi::Object exports) {
  State(env).external_buffers = ProbeExternalBuffers(env);
  exports.Set("allocate", Napi::Function::New<Allocate>(env, "allocate"));
  exports.Set("adopt", Napi::Function::New<Adopt>(env, "adopt"));
  exports.Set("addressOf", Napi::Function::New<AddressOf>(env, "addressOf"));
  exports.Set("capabilities", Napi::Function::New<Capabilities>(env, "capabilities"));
  exports.Set("adoptShared", Napi::Function::New<AdoptShared>(env, "adoptShared"));
  exports.Set("outstandingShares", Napi::Function::New<OutstandingShares>(env, "outstandingShares"));
  exports.Set("liveOwners", Napi::Function::New<LiveOwners>(env, "liveOwners"));
  Napi::Object test = Napi::Object::New(env);
  test.Set("malloc", Napi::Function::New<TestMalloc>(env, "malloc"));
  test.Set("freeAddress", Napi::Function::New<TestFreeAddress>(env, "freeAddress"));
  test.Set("freeCount", Napi::Function::New<TestFreeCount>(env, "freeCount"));
  test.Set("externalMemory", Napi::Function::New<TestExternalMemory>(env, "externalMemory"));
  test.Set("reclaim", Napi::Function::New<TestReclaim>(env, "reclaim"));
  test.Set("freeLoudAddress", Napi::Function::New<TestFreeLoudAddress>(env, "freeLoudAddress"));
  exports.Set("testing", test);
}

}  // namespace mvaddon
