// ops: the kernels of native/core/kernels.h for JS, synchronously or on the libuv thread pool.
//
// An operand arrives as [bytes, offset, itemsize, shape, strides, suboffsets, owner]: `bytes` is a
// Uint8Array over the whole ArrayBuffer or SharedArrayBuffer the view reads. Nothing from JS is
// trusted: every operand's reachable bytes are checked against the buffer's current length
// (check_within) and pointer axes are only followed in tables memview made (tables.h), before
// any kernel touches memory. Async jobs hold what keeps their memory valid until they finish: an
// owner reference for native memory, a reference to a SharedArrayBuffer; plain ArrayBuffers can
// be detached at any time, so lib/ops.ts refuses them for async work.
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
bool Elem(napi_env env, napi_value arr, uint32_t i, napi_value *out) {
  return napi_get_element(env, arr, i, out) == napi_ok;
}

bool IsArray(napi_env env, napi_value v) {
  bool is = false;
  return v != nullptr && napi_is_array(env, v, &is) == napi_ok && is;
}

// Parses and validates one operand; on failure throws (unless something is already pending)
// and returns false.
bool ReadOperand(Napi::Env env, napi_value v, bool pin, Operand *op) {
  auto bad = [&](const std::string &why) {
    ThrowCoded(env, "ERR_MEMVIEW_EXTENT", "invalid view descriptor: " + why, ErrKind::range);
    return false;
  };
  if (!IsArray(env, v)) return bad("not an operand");
  napi_value el[7];
  for (uint32_t i = 0; i < 7; i++)
    if (!Elem(env, v, i, &el[i])) return bad("not an operand");
  mv::Slice &s = op->slice;
  int64_t offset;
  int n1 = 0, n2 = 0, n3 = 0;
  if (!ReadNumber(env, el[1], 0, 9007199254740991.0, &offset) || !ReadNumber(env, el[2], 1, 9007199254740991.0, &s.itemsize))
    return bad("offset and itemsize must be integers");
  if (!ReadAxes(env, el[3], s.shape, &n1) || !ReadAxes(env, el[4], s.strides, &n2) ||
      !ReadAxes(env, el[5], s.suboffsets, &n3) || n1 != n2 || n1 != n3)
    return bad("shape, strides and suboffsets must be integer arrays of one length <= 64");
  s.ndim = n1;
  napi_value arraybuffer;
  int64_t length;
  const char *code;
  std::string why;
  if (!ValidateMemory(env, el[0], el[6], offset, &s, &arraybuffer, &length, &code, &why)) {
    ThrowCoded(env, code, why, std::string(code) == "ERR_MEMVIEW_DETACHED" ? ErrKind::buffer : ErrKind::range);
    return false;
  }
  mv::Owner *owner = nullptr;
  if (!OwnerOfMemory(env, el[6], s.data - offset, length, &owner, &code, &why)) {
    ThrowCoded(env, code, why, std::string(code) == "ERR_MEMVIEW_EXTENT" ? ErrKind::range : ErrKind::buffer);
    return false;
  }
  if (owner != nullptr) op->owner = mv::OwnerRef(owner);
  if (pin && !IsNullish(env, el[0])) {
    napi_ref ref;
    if (napi_create_reference(env, el[0], 1, &ref) != napi_ok) return false;
    op->pin = Napi::Reference<Napi::Value>(env, ref);
  }
  return true;
}

bool ReadCode(napi_env env, napi_value v, char *code) {
  char buf[4];
  size_t n = 0;
  if (napi_get_value_string_utf8(env, v, buf, sizeof buf, &n) != napi_ok || n != 1) return false;
  *code = buf[0];
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
  enum class Kind { fill, assign, cast, reduce, reduce_axis, binary } kind;
  std::vector<Operand> ops;
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

// kernel(spec, async): spec = { kind, operands: [...], code?, code2?, op?, axis?, value? }.
// An own property of the spec, or undefined. Never an inherited one: a getter on Object.prototype
// must not get to run between the checks below and the kernel.
napi_value OwnField(napi_env env, napi_value spec, const char *name) {
  bool has = false;
  napi_value key, v;
  if (napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &key) != napi_ok ||
      napi_has_own_property(env, spec, key, &has) != napi_ok || !has || napi_get_property(env, spec, key, &v) != napi_ok)
    return nullptr;
  return v;
}

bool ReadInt(napi_env env, napi_value v, int *out) {
  if (v == nullptr) return true;
  return napi_get_value_int32(env, v, out) == napi_ok;  // numbers only: no valueOf() calls
}

// Reads the whole spec first and validates the operands last, so that no JS can run between the
// check of any memory and the kernel touching it.
bool ParseJob(Napi::Env env, napi_value spec, bool pin, Job *job) {
  napi_value kindValue = OwnField(env, spec, "kind"), operands = OwnField(env, spec, "operands");
  napi_value code = OwnField(env, spec, "code"), code2 = OwnField(env, spec, "code2"), value = OwnField(env, spec, "value");
  char kind[16] = {0};
  size_t kn = 0;
  if (kindValue != nullptr) napi_get_value_string_utf8(env, kindValue, kind, sizeof kind, &kn);
  std::string k(kind, kn);
  if (k == "fill") job->kind = Job::Kind::fill;
  else if (k == "assign") job->kind = Job::Kind::assign;
  else if (k == "cast") job->kind = Job::Kind::cast;
  else if (k == "reduce") job->kind = Job::Kind::reduce;
  else if (k == "reduceAxis") job->kind = Job::Kind::reduce_axis;
  else if (k == "binary") job->kind = Job::Kind::binary;
  else {
    ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", "unknown kernel", ErrKind::type);
    return false;
  }
  if ((code != nullptr && !ReadCode(env, code, &job->code)) || (code2 != nullptr && !ReadCode(env, code2, &job->code2))) {
    ThrowCoded(env, "ERR_MEMVIEW_DTYPE", "bad element code", ErrKind::type);
    return false;
  }
  if (!ReadInt(env, OwnField(env, spec, "op"), &job->op) || !ReadInt(env, OwnField(env, spec, "axis"), &job->axis)) {
    ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", "op and axis must be integers", ErrKind::type);
    return false;
  }
  if (job->kind == Job::Kind::fill) {
    napi_typedarray_type t;
    size_t len, off;
    void *data;
    napi_value ab;
    bool is = false;
    if (value == nullptr || napi_is_typedarray(env, value, &is) != napi_ok || !is ||
        napi_get_typedarray_info(env, value, &t, &len, &data, &ab, &off) != napi_ok || t != napi_uint8_array) {
      ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", "fill value must be bytes", ErrKind::type);
      return false;
    }
    job->value.assign(static_cast<char *>(data), static_cast<char *>(data) + len);
  }
  if (!IsArray(env, operands)) {
    ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", "operands must be an array", ErrKind::type);
    return false;
  }
  uint32_t count = 0;
  napi_get_array_length(env, operands, &count);
  size_t need = job->kind == Job::Kind::binary ? 3 : (job->kind == Job::Kind::fill || job->kind == Job::Kind::reduce) ? 1 : 2;
  if (count != need) {
    ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", "wrong number of operands", ErrKind::type);
    return false;
  }
  napi_value raw[3];
  for (uint32_t i = 0; i < need; i++)
    if (!Elem(env, operands, i, &raw[i])) return false;
  job->ops.resize(need);
  for (size_t i = 0; i < need; i++)
    if (!ReadOperand(env, raw[i], pin, &job->ops[i])) return false;
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

Napi::Value Kernel(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  napi_valuetype t;
  if (info.Length() < 1 || napi_typeof(env, info[0], &t) != napi_ok || t != napi_object)
    return ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", "kernel spec must be an object", ErrKind::type);
  bool async = false;
  if (info.Length() > 1) napi_get_value_bool(env, info[1], &async);
  auto *job = new Job();
  if (!ParseJob(env, info[0], async, job)) {
    delete job;
    return env.Undefined();
  }
  if (!async) {
    job->Run();
    Napi::Value r = job->Result(env);
    delete job;
    return r;
  }
  auto *w = new KernelWorker(env, job);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace

void InitKernels(Napi::Env env, Napi::Object exports) {
  exports.Set("kernel", Napi::Function::New<Kernel>(env, "kernel"));
}

}  // namespace mvaddon
