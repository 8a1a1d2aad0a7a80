// The C ABI (native/include/memview.h): get_buffer / release_buffer / new_view for other addons,
// published on the exports as `_C_API` (a type-tagged External holding the const mv_api *).
//
// ---------------------------------------------------------------------------------------------
// Design
// ---------------------------------------------------------------------------------------------
// * One acquisition, one negotiation. get_buffer asks lib/capi.ts's hook, which calls the JS
//   getBuffer(value, flags): the same sources, the same exporter calls, the same refusals
//   (mv::request_buffer through request_binding.cc) and the same export lease as JS gets. The
//   hook returns the view's descriptor, which is re-validated here (check_within against the
//   bytes, pointer tables memview made: the same checks as the kernels' operands), and the
//   fields to export are decided again by mv::request_buffer on the validated slice.
// * Two environments. A consumer calls with ITS napi_env; memview's own state (the OwnerHandle
//   class, the hooks, instance data) lives in memview's napi_env on the same thread, found
//   through a thread_local. JS is called through the consumer's env so its exceptions are
//   pending where the consumer looks; anything that throws in memview's env is moved there
//   before returning (Node-API keeps a pending exception per env and would otherwise rethrow it
//   at memview's next callback).
// * A pin (mv_buffer.internal) holds: a strong reference to the BufferInfo (its lease counts
//   the export; release() of the view throws ERR_MEMVIEW_EXPORTED meanwhile), a strong reference
//   to the ArrayBuffer under the view (JS memory), to the rows of a rows table, and one owner
//   reference (native memory), plus the exported shape/strides/suboffsets/format.
// * release_buffer is idempotent and thread-safe: on the JS thread it ends the lease now; on
//   another thread it queues the pin to that JS thread (one threadsafe function per env).
// * Environment teardown: pins still held are marked dead (their references go with the env);
//   releasing them later only drops the owner reference.
#include <node_api.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "addon.h"
#include "format.h"
#include "memview.h"
#include "owner_handle.h"
#include "request.h"
#include "slice.h"
#include "descriptor.h"
#include "tables.h"

namespace mvaddon {

namespace {

constexpr double kMaxSafe = 9007199254740991.0;

static_assert(MV_BUF_FULL_RO == mv::bufreq::kFullRO && MV_BUF_FULL == mv::bufreq::kFull &&
                  MV_BUF_C_CONTIGUOUS == mv::bufreq::kCContiguous &&
                  MV_BUF_F_CONTIGUOUS == mv::bufreq::kFContiguous &&
                  MV_BUF_ANY_CONTIGUOUS == mv::bufreq::kAnyContiguous &&
                  MV_BUF_RECORDS_RO == mv::bufreq::kRecordsRO && MV_BUF_CONTIG == mv::bufreq::kContig,
              "MV_BUF_* must be CPython's PyBUF_* values, as mv::bufreq");
static_assert(MV_MAX_NDIM == mv::kMaxDims, "MV_MAX_NDIM is mv::kMaxDims");

// ---- per-environment state ---------------------------------------------------------------------

struct Pin;

struct CapiState : std::enable_shared_from_this<CapiState> {
  napi_env env = nullptr;  // memview's env on this thread
  std::thread::id thread;
  napi_threadsafe_function tsfn = nullptr;  // off-thread releases come back through it
  // JS hooks (lib/capi.ts), strong references in env.
  napi_ref acquire = nullptr;
  napi_ref release = nullptr;
  napi_ref new_view = nullptr;

  std::mutex mu;       // guards alive and pins
  bool alive = true;   // false once the env is torn down
  std::unordered_set<Pin *> pins;  // buffers handed out and not yet released
};

// memview's state for the JS thread running now (one memview env per thread; a second copy of
// the addon at another path has its own statics and therefore its own table and state).
thread_local CapiState *t_state = nullptr;

struct Pin {
  std::shared_ptr<CapiState> state;
  napi_ref info = nullptr;    // the BufferInfo (its lease is the export)
  napi_ref memory = nullptr;  // the ArrayBuffer / SharedArrayBuffer under the view
  napi_ref keep = nullptr;    // what the descriptor asks to keep (an exporter's pin)
  std::vector<napi_ref> rows; // rows of a rows table, held by the pin itself
  mv::Owner *owner = nullptr; // native memory: one reference
  bool dead = false;          // the env is gone: its references must not be touched
  std::string format;
  std::vector<int64_t> geometry;  // shape, strides, suboffsets: 3 x max(ndim, 1)
};

// The box a cleanup hook receives: the env's share of the state.
struct StateBox {
  std::shared_ptr<CapiState> state;
};

// ---- errors into the consumer's env ----------------------------------------------------------

// Moves an exception pending in memview's env (from Node-API calls made there) to the consumer's.
void MoveException(napi_env menv, napi_env cenv) {
  if (menv == cenv) return;
  bool pending = false;
  if (napi_is_exception_pending(menv, &pending) != napi_ok || !pending) return;
  napi_value e;
  if (napi_get_and_clear_last_exception(menv, &e) != napi_ok) return;
  bool already = false;
  napi_is_exception_pending(cenv, &already);
  if (!already) napi_throw(cenv, e);
}

// Throws memview's coded error (lib/errors.ts: BufferError, TypeError or RangeError with .code)
// in the consumer's env. Always returns -1, for `return Throw(...)`.
int Throw(CapiState *st, napi_env cenv, const char *code, const std::string &message, ErrKind kind) {
  bool already = false;
  napi_is_exception_pending(cenv, &already);
  if (already) return -1;
  if (st != nullptr) {
    AddonState &as = State(Napi::Env(st->env));
    if (!as.error_factory.IsEmpty()) {
      napi_value args[2], undefined, err;
      napi_create_string_utf8(cenv, code, NAPI_AUTO_LENGTH, &args[0]);
      napi_create_string_utf8(cenv, message.c_str(), message.size(), &args[1]);
      napi_get_undefined(cenv, &undefined);
      if (napi_call_function(cenv, undefined, as.error_factory.Value(), 2, args, &err) == napi_ok) {
        napi_throw(cenv, err);
        return -1;
      }
      napi_is_exception_pending(cenv, &already);
      if (already) return -1;
    }
  }
  if (kind == ErrKind::type) napi_throw_type_error(cenv, code, message.c_str());
  else if (kind == ErrKind::range) napi_throw_range_error(cenv, code, message.c_str());
  else napi_throw_error(cenv, code, message.c_str());
  return -1;
}

CapiState *StateOrThrow(napi_env cenv) {
  CapiState *st = t_state;
  if (st == nullptr || st->acquire == nullptr) {
    napi_throw_error(cenv, "ERR_MEMVIEW_C_API",
                     "memview is not loaded in this thread: require('memview') here before using its C API");
    return nullptr;
  }
  return st;
}

napi_value Hook(CapiState *st, napi_ref ref) {
  napi_value fn = nullptr;
  napi_get_reference_value(st->env, ref, &fn);
  return fn;
}

// ---- reading the JS descriptor ---------------------------------------------------------------

// What lib/capi.ts's acquire hook returns:
//   [info, bytes, offset, itemsize, shape, strides, suboffsets, owner, format, readonly, keep]
// bytes: a Uint8Array over the whole buffer the view reads (as an ops.ts operand).
struct Acquired {
  napi_value info = nullptr, arraybuffer = nullptr, owner_value = nullptr, keep = nullptr;
  std::vector<napi_value> rows;  // a rows table's rows, found natively
  mv::Slice slice;
  bool readonly = false;
  std::string format;
  mv::Owner *owner = nullptr;
};

// Validates the descriptor against the memory it names (nothing from JS is trusted): the bytes
// every index can reach lie inside the buffer, and pointer axes are only followed in tables
// memview made (the checks of kernels_binding.cc's operands). false: *code / *why say why.
bool ReadAcquired(CapiState *st, napi_value arr, Acquired *a, const char **code, std::string *why) {
  napi_env env = st->env;
  *code = "ERR_MEMVIEW_EXTENT";
  auto bad = [&](const char *text) {
    *why = std::string("invalid view descriptor: ") + text;
    return false;
  };
  napi_value el[11];
  for (uint32_t i = 0; i < 11; i++)
    if (napi_get_element(env, arr, i, &el[i]) != napi_ok) return bad("not a descriptor");
  a->info = el[0];
  mv::Slice &s = a->slice;
  int64_t offset;
  if (!ReadNumber(env, el[2], 0, kMaxSafe, &offset) || !ReadNumber(env, el[3], 1, kMaxSafe, &s.itemsize))
    return bad("offset and itemsize must be integers");
  int n1 = -1, n2 = -2, n3 = -3;
  if (!ReadAxes(env, el[4], s.shape, &n1) || !ReadAxes(env, el[5], s.strides, &n2) ||
      !ReadAxes(env, el[6], s.suboffsets, &n3) || n1 != n2 || n1 != n3)
    return bad("shape, strides and suboffsets must be integer arrays of one length <= 64");
  s.ndim = n1;
  int64_t length64;
  if (!ValidateMemory(env, el[1], el[7], offset, &s, &a->arraybuffer, &length64, code, why)) return false;
  size_t length = size_t(length64);
  char *base = s.data - offset;
  if (mv::has_indirect(s) && TableKindOf(Napi::Env(env), Napi::Value(env, a->arraybuffer)) == TableKind::rows) {
    // The pin holds the rows itself (never what JS says to keep): found from the table.
    std::string rows_why;
    if (!RowsToPin(Napi::Env(env), Napi::Value(env, a->arraybuffer), &a->rows, &rows_why)) {
      *code = "ERR_MEMVIEW_UNSUPPORTED";
      *why = rows_why;
      return false;
    }
  }
  if (!OwnerOfMemory(env, el[7], base, int64_t(length), &a->owner, code, why)) return false;
  if (a->owner != nullptr) a->owner_value = el[7];
  size_t flen = 0;
  if (napi_get_value_string_utf8(env, el[8], nullptr, 0, &flen) != napi_ok || flen == 0) return bad("no format");
  a->format.resize(flen + 1);
  napi_get_value_string_utf8(env, el[8], &a->format[0], flen + 1, &flen);
  a->format.resize(flen);
  // The format C reads elements by must not describe more than itemsize bytes (a consumer that trusts
  // "d" over 1-byte items would read past the buffer).
  mv::ParsedFormat parsed;
  if (!mv::parse_format(a->format.c_str(), a->format.size(), &parsed, nullptr, nullptr) || parsed.itemsize > s.itemsize)
    return bad("the format does not describe itemsize bytes");
  bool ro = false;
  if (napi_get_value_bool(env, el[9], &ro) != napi_ok) return bad("readonly must be a boolean");
  a->readonly = ro;
  a->keep = IsNullish(env, el[10]) ? nullptr : el[10];
  return true;
}

// Calls the JS release hook on a BufferInfo in env (errors are the hook's to report: it never
// throws; anything pending is dropped so it cannot surface at an unrelated callback).
void CallReleaseHook(CapiState *st, napi_env env, napi_value info) {
  napi_value fn = Hook(st, st->release);
  napi_value undefined, ignored;
  napi_get_undefined(env, &undefined);
  if (fn != nullptr && napi_call_function(env, undefined, fn, 1, &info, &ignored) != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending && env == st->env) napi_get_and_clear_last_exception(env, &ignored);
  }
}

// ---- release ---------------------------------------------------------------------------------

// Drops what the pin holds without Node-API (env gone, or unreachable from this thread).
void DropNative(Pin *pin) {
  if (pin->owner != nullptr) pin->owner->release();
  delete pin;
}

// Ends a pin on its JS thread: the lease (JS), the references, the owner reference.
void FinishRelease(Pin *pin) {
  std::shared_ptr<CapiState> st = pin->state;
  bool dead;
  {
    std::lock_guard<std::mutex> lock(st->mu);
    st->pins.erase(pin);
    dead = pin->dead || !st->alive;
  }
  if (!dead) {
    napi_env env = st->env;
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) == napi_ok) {
      napi_value info = nullptr;
      if (pin->info != nullptr && napi_get_reference_value(env, pin->info, &info) == napi_ok && info != nullptr)
        CallReleaseHook(st.get(), env, info);
      napi_close_handle_scope(env, scope);
    }
    if (pin->info != nullptr) napi_delete_reference(env, pin->info);
    if (pin->memory != nullptr) napi_delete_reference(env, pin->memory);
    if (pin->keep != nullptr) napi_delete_reference(env, pin->keep);
    for (napi_ref r : pin->rows) napi_delete_reference(env, r);
  }
  DropNative(pin);
}

// The threadsafe function's callback: a pin released on another thread, now on its JS thread
// (env NULL: the env is being torn down and JS cannot run).
void ReleaseOnLoop(napi_env env, napi_value, void *, void *data) {
  Pin *pin = static_cast<Pin *>(data);
  if (env == nullptr) {
    std::shared_ptr<CapiState> st = pin->state;
    {
      std::lock_guard<std::mutex> lock(st->mu);
      st->pins.erase(pin);
    }
    DropNative(pin);
    return;
  }
  FinishRelease(pin);
}

extern "C" void mv_capi_release_buffer(mv_buffer *b) {
  if (b == nullptr || b->internal == nullptr) return;
  Pin *pin = static_cast<Pin *>(b->internal);
  std::memset(b, 0, sizeof *b);
  std::shared_ptr<CapiState> st = pin->state;
  if (std::this_thread::get_id() == st->thread) {
    FinishRelease(pin);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(st->mu);
    if (st->alive && !pin->dead && st->tsfn != nullptr &&
        napi_call_threadsafe_function(st->tsfn, pin, napi_tsfn_nonblocking) == napi_ok)
      return;
    // The env is closing: its references go with it; only the owner reference is ours to drop.
    st->pins.erase(pin);
  }
  DropNative(pin);
}

// ---- get_buffer --------------------------------------------------------------------------------

extern "C" int mv_capi_get_buffer(napi_env cenv, napi_value value, int flags, mv_buffer *out) {
  if (out == nullptr) {
    napi_throw_type_error(cenv, "ERR_MEMVIEW_ARGUMENT", "get_buffer: out is NULL");
    return -1;
  }
  std::memset(out, 0, sizeof *out);
  CapiState *st = StateOrThrow(cenv);
  if (st == nullptr) return -1;
  napi_env menv = st->env;

  // The JS getBuffer(value, flags): sources, exporters, refusals (negative flags included), the
  // export lease.
  napi_value args[2], undefined, result;
  args[0] = value;
  napi_create_int32(cenv, flags, &args[1]);
  napi_get_undefined(cenv, &undefined);
  if (napi_call_function(cenv, undefined, Hook(st, st->acquire), 2, args, &result) != napi_ok) return -1;

  Acquired a;
  const char *code = nullptr;
  std::string why;
  bool ok = ReadAcquired(st, result, &a, &code, &why);
  MoveException(menv, cenv);
  mv::Grant g;
  if (ok) {
    mv::Refusal r = mv::request_buffer(a.slice, a.readonly, flags, &g);
    if (r != mv::Refusal::none) {
      ok = false;
      code = mv::is_flag_refusal(r) ? "ERR_MEMVIEW_FLAGS" : "ERR_MEMVIEW_ARGUMENT";
      why = mv::refusal_text(r);
    }
  }
  if (!ok) {
    napi_value info;
    if (a.info == nullptr && napi_get_element(cenv, result, 0, &info) == napi_ok) a.info = info;
    bool pending = false;
    napi_is_exception_pending(cenv, &pending);
    napi_value saved = nullptr;
    if (pending) napi_get_and_clear_last_exception(cenv, &saved);
    if (a.info != nullptr) CallReleaseHook(st, cenv, a.info);
    if (saved != nullptr) {
      napi_throw(cenv, saved);
      return -1;
    }
    ErrKind kind = std::strcmp(code, "ERR_MEMVIEW_EXTENT") == 0 ? ErrKind::range
                   : std::strncmp(code, "ERR_MEMVIEW_ARG", 15) == 0 ? ErrKind::type
                                                                    : ErrKind::buffer;
    return Throw(st, cenv, code, why, kind);
  }


  // Granted: pin what keeps the memory and the export alive, and export the granted fields.
  auto *pin = new Pin();
  pin->state = st->shared_from_this();
  const mv::Slice &s = a.slice;
  const size_t n = size_t(s.ndim > 0 ? s.ndim : 1);
  pin->geometry.assign(3 * n, 0);
  for (int d = 0; d < s.ndim; d++) {
    pin->geometry[size_t(d)] = s.shape[d];
    pin->geometry[n + size_t(d)] = s.strides[d];
    pin->geometry[2 * n + size_t(d)] = s.suboffsets[d];
  }
  pin->format = a.format;
  napi_create_reference(menv, a.info, 1, &pin->info);
  if (a.arraybuffer != nullptr) napi_create_reference(menv, a.arraybuffer, 1, &pin->memory);  // large memory: the owner pins it
  if (a.keep != nullptr) napi_create_reference(menv, a.keep, 1, &pin->keep);
  for (napi_value row : a.rows) {
    napi_ref r = nullptr;
    if (napi_create_reference(menv, row, 1, &r) == napi_ok) pin->rows.push_back(r);
  }
  if (a.owner != nullptr) {
    a.owner->retain();
    pin->owner = a.owner;
  }
  {
    std::lock_guard<std::mutex> lock(st->mu);
    st->pins.insert(pin);
  }
  out->buf = s.data;
  out->len = g.len;
  out->itemsize = s.itemsize;
  out->readonly = g.readonly ? 1 : 0;
  out->ndim = g.ndim;
  out->format = g.format ? pin->format.c_str() : nullptr;
  out->shape = g.shape ? &pin->geometry[0] : nullptr;
  out->strides = g.strides ? &pin->geometry[n] : nullptr;
  out->suboffsets = g.suboffsets ? &pin->geometry[2 * n] : nullptr;
  out->internal = pin;
  MoveException(menv, cenv);
  return 0;
}

// ---- new_view ------------------------------------------------------------------------------------

// free_fn(data, ctx) for an owner whose block starts below data (negative strides).
struct FreeTrampoline {
  mv_free_fn fn;
  void *data;
  void *ctx;
};

void CallTrampoline(void *, void *ctx) {
  auto *t = static_cast<FreeTrampoline *>(ctx);
  t->fn(t->data, t->ctx);
  delete t;
}

void CallFree(void *data, void *ctx) {
  auto *t = static_cast<FreeTrampoline *>(ctx);
  mv_free_fn fn = t->fn;
  void *user = t->ctx;
  delete t;
  fn(data, user);
}

extern "C" int mv_capi_new_view(napi_env cenv, void *data, int ndim, const int64_t *shape, const int64_t *strides,
                                const char *format, int readonly, mv_free_fn free_fn, void *free_ctx,
                                napi_value *result) {
  if (result == nullptr) {
    napi_throw_type_error(cenv, "ERR_MEMVIEW_ARGUMENT", "new_view: result is NULL");
    return -1;
  }
  *result = nullptr;
  CapiState *st = StateOrThrow(cenv);
  if (st == nullptr) return -1;
  napi_env menv = st->env;
  if (data == nullptr) return Throw(st, cenv, "ERR_MEMVIEW_ARGUMENT", "new_view: data is NULL", ErrKind::type);
  if (ndim < 0 || ndim > mv::kMaxDims)
    return Throw(st, cenv, "ERR_MEMVIEW_NDIM", "memoryview: number of dimensions must be 0..64, got " + std::to_string(ndim), ErrKind::type);
  if (ndim > 0 && shape == nullptr) return Throw(st, cenv, "ERR_MEMVIEW_ARGUMENT", "new_view: shape is NULL", ErrKind::type);

  // The format, through the one parser (its itemsize is the element size).
  const char *fmt = format != nullptr ? format : "B";
  mv::ParsedFormat parsed;
  std::string error;
  if (!mv::parse_format(fmt, std::strlen(fmt), &parsed, &error))
    return Throw(st, cenv, "ERR_MEMVIEW_FORMAT", error, ErrKind::type);
  if (parsed.itemsize <= 0)
    return Throw(st, cenv, "ERR_MEMVIEW_FORMAT", std::string("a view's elements need a size: format '") + fmt + "' has itemsize 0", ErrKind::type);

  // The geometry: extents, steps, and the block every index can reach.
  mv::Slice s;
  s.ndim = ndim;
  s.itemsize = parsed.itemsize;
  for (int d = 0; d < ndim; d++) {
    if (shape[d] < 0 || double(shape[d]) > kMaxSafe)
      return Throw(st, cenv, "ERR_MEMVIEW_EXTENT", "Invalid shape in axis " + std::to_string(d) + ": " + std::to_string(shape[d]) + ".", ErrKind::range);
    s.shape[d] = shape[d];
    s.suboffsets[d] = -1;
  }
  if (strides != nullptr) {
    for (int d = 0; d < ndim; d++) {
      if (std::fabs(double(strides[d])) > kMaxSafe)
        return Throw(st, cenv, "ERR_MEMVIEW_EXTENT", "stride of axis " + std::to_string(d) + " is out of range", ErrKind::range);
      s.strides[d] = strides[d];
    }
  } else if (mv::init_contiguous(s, ndim, shape, parsed.itemsize, 'c') != mv::Status::ok) {
    return Throw(st, cenv, "ERR_MEMVIEW_EXTENT", "shape x itemsize overflows", ErrKind::range);
  }
  mv::Extent e;
  if (mv::direct_extent(s, &e) != mv::Status::ok)
    return Throw(st, cenv, "ERR_MEMVIEW_EXTENT", "shape x strides overflows", ErrKind::range);
  const bool empty = e.hi < e.lo;
  const int64_t lo = empty ? 0 : e.lo;
  const int64_t nbytes = empty ? 0 : e.hi - e.lo + 1;
  if (double(nbytes) > kMaxSafe || double(-lo) > kMaxSafe)
    return Throw(st, cenv, "ERR_MEMVIEW_EXTENT", "the view spans more bytes than JS can index", ErrKind::range);
  char *block = reinterpret_cast<char *>(reinterpret_cast<uintptr_t>(data) + uintptr_t(lo));  // lo <= 0
  s.data = static_cast<char *>(data);
  mv::Status status = mv::check_within(s, block, nbytes);
  if (status != mv::Status::ok) return Throw(st, cenv, "ERR_MEMVIEW_EXTENT", mv::status_text(status), ErrKind::range);

  // The owner: free_fn(data, free_ctx) once, whatever address the block starts at.
  FreeTrampoline *tramp = nullptr;
  mv::Owner *o;
  if (free_fn != nullptr) {
    tramp = new FreeTrampoline{free_fn, data, free_ctx};
    o = lo == 0 ? mv::Owner::adopt(block, nbytes, CallFree, tramp) : mv::Owner::adopt(block, nbytes, CallTrampoline, tramp);
  } else {
    o = mv::Owner::adopt(block, nbytes, nullptr, nullptr);
  }
  if (o == nullptr) {
    delete tramp;
    return Throw(st, cenv, "ERR_MEMVIEW_ALLOC", "could not adopt the memory", ErrKind::buffer);
  }
  AddonState &as = State(Napi::Env(menv));
  OwnerHandle *oh = nullptr;
  Napi::Object handle = OwnerHandle::Wrap(Napi::Env(menv), o, !as.force_copy && as.external_buffers, &oh);
  if (handle.IsEmpty()) {  // (Wrap took nothing)
    if (o->steal() != nullptr) delete tramp;  // nothing taken: the consumer keeps its memory
    o->release();
    return Throw(st, cenv, "ERR_MEMVIEW_ALLOC", "could not adopt the memory", ErrKind::buffer);
  }
  MoveException(menv, cenv);
  // Our own reference while JS runs: whatever the hook's JS does to the handle (free it, share
  // it), the owner stays ours to inspect below.
  o->retain();

  // The view, made by lib/capi.ts (base: a CyArray for C/Fortran order, else the owner).
  napi_value args[6], undefined, view = nullptr;
  args[0] = handle;
  napi_create_string_utf8(cenv, fmt, NAPI_AUTO_LENGTH, &args[1]);
  napi_create_array_with_length(cenv, size_t(ndim), &args[2]);
  napi_create_array_with_length(cenv, size_t(ndim), &args[3]);
  for (int d = 0; d < ndim; d++) {
    napi_value x;
    napi_create_double(cenv, double(s.shape[d]), &x);
    napi_set_element(cenv, args[2], uint32_t(d), x);
    napi_create_double(cenv, double(s.strides[d]), &x);
    napi_set_element(cenv, args[3], uint32_t(d), x);
  }
  napi_create_double(cenv, double(-lo), &args[4]);
  napi_get_boolean(cenv, readonly != 0, &args[5]);
  napi_get_undefined(cenv, &undefined);
  bool pending = false;
  napi_is_exception_pending(cenv, &pending);
  if (!pending && napi_call_function(cenv, undefined, Hook(st, st->new_view), 6, args, &view) == napi_ok && view != nullptr) {
    o->release();
    *result = view;
    return 0;
  }
  // Failed. The handle ends now, natively (no property JS could have replaced), and if nothing
  // else holds the memory the free callback is cancelled: nothing was taken. If JS code kept a
  // hold meanwhile (a share ticket, a pin), memview must keep the memory: then new_view returns 0
  // with the exception pending and *result undefined, and free_fn still runs once, later.
  napi_value saved = nullptr, ignored;
  napi_is_exception_pending(cenv, &pending);
  if (pending) napi_get_and_clear_last_exception(cenv, &saved);
  oh->End(menv, handle);  // memview's env: the handle's state lives there
  const bool held_elsewhere = o->refcount() > 1;
  if (!held_elsewhere && o->steal() != nullptr) delete tramp;
  o->release();
  napi_is_exception_pending(cenv, &pending);
  if (pending) napi_get_and_clear_last_exception(cenv, &ignored);
  if (saved != nullptr) napi_throw(cenv, saved);
  else napi_throw_error(cenv, "ERR_MEMVIEW_C_API", "new_view: the view could not be made");
  if (held_elsewhere) {
    *result = undefined;
    return 0;
  }
  return -1;
}

// ---- the table and the glue --------------------------------------------------------------------

const mv_api kApi = {
    MV_API_VERSION, uint32_t(sizeof(mv_api)), mv_capi_get_buffer, mv_capi_release_buffer, mv_capi_new_view,
};

constexpr napi_type_tag kApiTag = {MV_API_TAG_LOWER, MV_API_TAG_UPPER};

// capiSetHooks({ acquire, release, newView }): lib/capi.ts's halves of the C ABI.
Napi::Value SetHooks(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  auto *st = static_cast<CapiState *>(info.Data());
  if (!info[0].IsObject()) return ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", "capiSetHooks needs an object", ErrKind::type);
  Napi::Object hooks = info[0].As<Napi::Object>();
  Napi::Value fns[3] = {hooks.Get("acquire"), hooks.Get("release"), hooks.Get("newView")};
  for (auto &f : fns)
    if (!f.IsFunction()) return ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", "capiSetHooks: acquire, release and newView must be functions", ErrKind::type);
  napi_ref *slots[3] = {&st->acquire, &st->release, &st->new_view};
  for (int i = 0; i < 3; i++) {
    if (*slots[i] != nullptr) napi_delete_reference(env, *slots[i]);
    napi_create_reference(env, fns[i], 1, slots[i]);
  }
  return env.Undefined();
}

// capiPins() -> buffers handed to C and not yet released (diagnostics, tests).
Napi::Value Pins(const Napi::CallbackInfo &info) {
  auto *st = static_cast<CapiState *>(info.Data());
  std::lock_guard<std::mutex> lock(st->mu);
  return Napi::Number::New(info.Env(), double(st->pins.size()));
}

// The env is going away (its cleanup hooks run while it is still valid): the hooks' references
// are deleted; pins still held are marked dead, their references go with the env.
void Cleanup(void *arg) {
  auto *box = static_cast<StateBox *>(arg);
  CapiState *st = box->state.get();
  {
    std::lock_guard<std::mutex> lock(st->mu);
    st->alive = false;
    for (Pin *p : st->pins) p->dead = true;
  }
  for (napi_ref *r : {&st->acquire, &st->release, &st->new_view}) {
    if (*r != nullptr) napi_delete_reference(st->env, *r);
    *r = nullptr;
  }
  if (t_state == st) t_state = nullptr;
  delete box;
}

}  // namespace

void InitCapi(Napi::Env env, Napi::Object exports) {
  auto state = std::make_shared<CapiState>();
  state->env = env;
  state->thread = std::this_thread::get_id();
  napi_value name = Napi::String::New(env, "memview C API release");
  if (napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, nullptr, ReleaseOnLoop,
                                      &state->tsfn) == napi_ok)
    napi_unref_threadsafe_function(env, state->tsfn);  // pending releases must not keep the loop alive
  else
    state->tsfn = nullptr;
  // Registered after the threadsafe function, so it runs before that is torn down.
  napi_add_env_cleanup_hook(env, Cleanup, new StateBox{state});
  t_state = state.get();

  napi_value table;
  napi_create_external(env, const_cast<mv_api *>(&kApi), nullptr, nullptr, &table);  // static table
  napi_type_tag_object(env, table, &kApiTag);
  exports.Set(MV_API_PROPERTY, Napi::Value(env, table));
  exports.Set("capiSetHooks", Napi::Function::New(env, SetHooks, "capiSetHooks", state.get()));
  exports.Set("capiPins", Napi::Function::New(env, Pins, "capiPins", state.get()));
}

}  // namespace mvaddon
