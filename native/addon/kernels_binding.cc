// ops: the kernels of native/core/kernels.h for JS, synchronously or on the libuv thread pool.
//
// kernel(kind, async, code, code2, op, axis, value, geometry, bytes0, owner0, bytes1, owner1, ...)
// takes plain arguments (no object whose getters could run mid-check). An operand is `bytes`, a
// Uint8Array over the whole ArrayBuffer or SharedArrayBuffer the view reads (null for native
// memory beyond one ArrayBuffer), its `owner` handle, and its part of `geometry`, a Float64Array
// packing [offset, itemsize, ndim, shape, strides, suboffsets] per operand (descriptor.h).
// Nothing from JS is trusted: every operand's reachable bytes are checked against the buffer's
// current length (check_within) and pointer axes are only followed in tables memview made
// (tables.h), before any kernel touches memory. Async jobs hold what keeps their memory valid
// until they finish: an owner reference for native memory, a reference to a SharedArrayBuffer;
// plain ArrayBuffers can be detached at any time, so lib/ops.ts refuses them for async work.
#include <string>
#include <vector>

#include "addon.h"
#include "kernels.h"
#include "owner_handle.h"
#include "descriptor.h"

namespace mvaddon {

namespace {

struct Operand {
  mv::Slice slice;
  mv::OwnerRef owner;                    // native memory: held while the job runs
  Napi::Reference<Napi::Value> pin;      // the Uint8Array over the buffer (async jobs)
};

// Raw Node-API with checked statuses from here on: while a worker is being terminated any call
// that may run JS fails, and node-addon-api's wrappers would turn that into a fatal error.

// Validates one operand (its geometry already read); on failure throws (unless something is
// already pending) and returns false.
bool ReadOperand(Napi::Env env, napi_value bytes, napi_value owner_value, int64_t offset, bool pin, Operand *op) {
  mv::Slice &s = op->slice;
  napi_value arraybuffer;
  int64_t length;
  const char *code;
  std::string why;
  if (!ValidateMemory(env, bytes, owner_value, offset, &s, &arraybuffer, &length, &code, &why)) {
    ThrowCoded(env, code, why, std::string(code) == "ERR_MEMVIEW_DETACHED" ? ErrKind::buffer : ErrKind::range);
    return false;
  }
  mv::Owner *owner = nullptr;
  if (!OwnerOfMemory(env, owner_value, s.data - offset, length, &owner, &code, &why)) {
    ThrowCoded(env, code, why, std::string(code) == "ERR_MEMVIEW_EXTENT" ? ErrKind::range : ErrKind::buffer);
    return false;
  }
  if (owner != nullptr) op->owner = mv::OwnerRef(owner);
  if (pin) {
    // A job on the thread pool needs memory JS cannot detach under it: native memory (external
    // buffers are untransferable and free() leaves the job's reference) or a SharedArrayBuffer.
    OwnerHandle *h = owner == nullptr ? nullptr : OwnerHandle::FromValue(Napi::Value(env, owner_value));
    bool plain = arraybuffer == nullptr;  // (the owner's block: only as good as its owner)
    if (arraybuffer != nullptr && napi_is_arraybuffer(env, arraybuffer, &plain) != napi_ok) plain = true;
    if (plain && (h == nullptr || h->js_memory())) {
      ThrowCoded(env, "ERR_MEMVIEW_UNSUPPORTED",
                 "async kernels need memory that cannot be detached while they run: memview memory (array(), copy()) or a SharedArrayBuffer",
                 ErrKind::type);
      return false;
    }
  }
  if (pin && !IsNullish(env, bytes)) {
    napi_ref ref;
    if (napi_create_reference(env, bytes, 1, &ref) != napi_ok) return false;
    op->pin = Napi::Reference<Napi::Value>(env, ref);
  }
  return true;
}

// An element code as its char code (0: none given).
bool ReadCode(napi_env env, napi_value v, char *code) {
  int32_t c = 0;
  if (napi_get_value_int32(env, v, &c) != napi_ok || c < 0 || c > 127) return false;
  *code = char(c);
  return true;
}

Napi::Value ThrowStatus(Napi::Env env, mv::KStatus st) {
  switch (st) {
    case mv::KStatus::ok: return env.Undefined();
    case mv::KStatus::empty_reduction:
      return ThrowCoded(env, "ERR_MEMVIEW_EXTENT", "zero-size array to reduction operation which has no identity", ErrKind::range);
    case mv::KStatus::shape_mismatch:
      return ThrowCoded(env, "ERR_MEMVIEW_EXTENT", "operands could not be broadcast together", ErrKind::range);
    case mv::KStatus::alloc_failed:
      return ThrowCoded(env, "ERR_MEMVIEW_ALLOC", "unable to allocate a temporary buffer", ErrKind::buffer);
    case mv::KStatus::bad_axis:
      return ThrowCoded(env, "ERR_MEMVIEW_INDEX", "axis out of range", ErrKind::range);
    case mv::KStatus::bad_type:
    case mv::KStatus::bad_op:
      return ThrowCoded(env, "ERR_MEMVIEW_DTYPE", mv::kstatus_text(st), ErrKind::type);
    default:
      return ThrowCoded(env, "ERR_MEMVIEW_EXTENT", mv::kstatus_text(st), ErrKind::range);
  }
}

napi_value ScalarToJs(napi_env env, const mv::Scalar &r) {
  napi_value out = nullptr, re, im;
  switch (r.kind) {
    case mv::Scalar::i64: napi_create_bigint_int64(env, r.i, &out); break;
    case mv::Scalar::u64: napi_create_bigint_uint64(env, r.u, &out); break;
    case mv::Scalar::f64: napi_create_double(env, r.f, &out); break;
    case mv::Scalar::boolean: napi_get_boolean(env, r.i != 0, &out); break;
    case mv::Scalar::c128:
      if (napi_create_object(env, &out) == napi_ok && napi_create_double(env, r.re, &re) == napi_ok &&
          napi_create_double(env, r.im, &im) == napi_ok) {
        napi_set_named_property(env, out, "re", re);
        napi_set_named_property(env, out, "im", im);
      }
      break;
  }
  return out;
}

// One kernel call, parsed on the JS thread, run anywhere.
struct Job {
  // The numbering is lib/ops.ts's KERNEL table.
  enum class Kind { fill, assign, cast, reduce, reduce_axis, binary } kind;
  Operand ops[3];  // as many as the kind takes
  std::vector<char> value;  // fill
  char code = 0, code2 = 0;
  int op = 0, axis = 0;
  mv::KStatus status = mv::KStatus::ok;
  mv::Scalar result;

  void Run() {
    switch (kind) {
      case Kind::fill: status = mv::fill(ops[0].slice, value.data()); break;
      case Kind::assign: status = mv::assign(ops[0].slice, ops[1].slice); break;
      case Kind::cast: status = mv::cast(ops[0].slice, code, ops[1].slice, code2); break;
      case Kind::reduce: status = mv::reduce(ops[0].slice, code, mv::ReduceOp(op), &result); break;
      case Kind::reduce_axis:
        status = mv::reduce_axis(ops[0].slice, code, axis, mv::ReduceOp(op), ops[1].slice, code2);
        break;
      case Kind::binary: status = mv::binary(ops[0].slice, ops[1].slice, ops[2].slice, code, mv::BinaryOp(op)); break;
    }
  }

  Napi::Value Result(Napi::Env env) {
    if (status != mv::KStatus::ok) return ThrowStatus(env, status);
    if (kind != Kind::reduce) return env.Undefined();
    napi_value v = ScalarToJs(env, result);
    return v == nullptr ? env.Undefined() : Napi::Value(env, v);
  }
};

bool ReadInt(napi_env env, napi_value v, int *out) {
  return napi_get_value_int32(env, v, out) == napi_ok;  // numbers only: no valueOf() calls
}

enum Arg { kKind, kAsync, kCode, kCode2, kOp, kAxis, kValue, kGeometry, kFirstOperand, kArgs = kFirstOperand + 6 };

// Reads every argument first and validates the operands last, so that no JS can run between the
// check of any memory and the kernel touching it.
bool ParseJob(Napi::Env env, const napi_value *args, bool pin, Job *job) {
  int kind = -1;
  if (!ReadInt(env, args[kKind], &kind) || kind < 0 || kind > int(Job::Kind::binary)) {
    ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", "unknown kernel", ErrKind::type);
    return false;
  }
  job->kind = Job::Kind(kind);
  if (!ReadCode(env, args[kCode], &job->code) || !ReadCode(env, args[kCode2], &job->code2)) {
    ThrowCoded(env, "ERR_MEMVIEW_DTYPE", "bad element code", ErrKind::type);
    return false;
  }
  if (!ReadInt(env, args[kOp], &job->op) || !ReadInt(env, args[kAxis], &job->axis)) {
    ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", "op and axis must be integers", ErrKind::type);
    return false;
  }
  if (job->kind == Job::Kind::fill) {
    napi_typedarray_type t;
    size_t len, off;
    void *data;
    napi_value ab;
    bool is = false;
    if (napi_is_typedarray(env, args[kValue], &is) != napi_ok || !is ||
        napi_get_typedarray_info(env, args[kValue], &t, &len, &data, &ab, &off) != napi_ok || t != napi_uint8_array) {
      ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", "fill value must be bytes", ErrKind::type);
      return false;
    }
    job->value.assign(static_cast<char *>(data), static_cast<char *>(data) + len);
  }
  const double *geometry = nullptr;
  size_t geometry_len = 0;
  {
    napi_typedarray_type t;
    void *data;
    napi_value ab;
    size_t off;
    bool is = false;
    if (napi_is_typedarray(env, args[kGeometry], &is) != napi_ok || !is ||
        napi_get_typedarray_info(env, args[kGeometry], &t, &geometry_len, &data, &ab, &off) != napi_ok ||
        t != napi_float64_array || (geometry_len > 0 && data == nullptr)) {
      ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", "kernel geometry must be a Float64Array", ErrKind::type);
      return false;
    }
    geometry = static_cast<const double *>(data);
  }
  size_t need = job->kind == Job::Kind::binary ? 3 : (job->kind == Job::Kind::fill || job->kind == Job::Kind::reduce) ? 1 : 2;
  int64_t offsets[3];
  size_t pos = 0;
  for (size_t i = 0; i < need; i++) {
    if (!ReadPackedGeometry(geometry, geometry_len, &pos, &offsets[i], &job->ops[i].slice)) {
      ThrowCoded(env, "ERR_MEMVIEW_EXTENT",
                 "invalid view descriptor: offset, itemsize, shape, strides and suboffsets must be integers (at most 64 dimensions)",
                 ErrKind::range);
      return false;
    }
  }
  for (size_t i = 0; i < need; i++)
    if (!ReadOperand(env, args[kFirstOperand + 2 * i], args[kFirstOperand + 2 * i + 1], offsets[i], pin, &job->ops[i]))
      return false;
  if (job->kind == Job::Kind::fill && int64_t(job->value.size()) != job->ops[0].slice.itemsize) {
    ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", "fill value must be itemsize bytes", ErrKind::type);
    return false;
  }
  return true;
}

class KernelWorker : public Napi::AsyncWorker {
 public:
  KernelWorker(Napi::Env env, Job *job) : Napi::AsyncWorker(env), job_(job), deferred_(Napi::Promise::Deferred::New(env)) {}
  ~KernelWorker() override { delete job_; }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { job_->Run(); }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Value r = job_->Result(env);
    if (env.IsExceptionPending()) {
      Napi::Error e = env.GetAndClearPendingException();
      deferred_.Reject(e.Value());
    } else {
      deferred_.Resolve(r);
    }
  }

 private:
  Job *job_;
  Napi::Promise::Deferred deferred_;
};

// A plain Node-API callback: kernels are called in loops, and node-addon-api's CallbackInfo
// allocates for more than six arguments.
napi_value Kernel(napi_env raw_env, napi_callback_info info) {
  Napi::Env env(raw_env);
  size_t argc = kArgs;
  napi_value args[kArgs];  // missing ones read as undefined
  if (napi_get_cb_info(env, info, &argc, args, nullptr, nullptr) != napi_ok) return nullptr;
  bool async = false;
  napi_get_value_bool(env, args[kAsync], &async);
  if (!async) {
    Job job;
    if (!ParseJob(env, args, false, &job)) return nullptr;
    job.Run();
    return job.Result(env);
  }
  auto *job = new Job();
  if (!ParseJob(env, args, true, job)) {
    delete job;
    return nullptr;
  }
  auto *w = new KernelWorker(env, job);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace

void InitKernels(Napi::Env env, Napi::Object exports) {
  napi_value fn;
  if (napi_create_function(env, "kernel", NAPI_AUTO_LENGTH, Kernel, nullptr, &fn) == napi_ok) exports.Set("kernel", fn);
}

}  // namespace mvaddon
