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

// Parses and validates one operand; on failure throws and returns false.
bool ReadOperand(Napi::Env env, Napi::Value v, bool pin, Operand *op) {
  auto bad = [&](const std::string &why) {
    ThrowCoded(env, "ERR_MEMVIEW_EXTENT", "invalid view descriptor: " + why, ErrKind::range);
    return false;
  };
  if (!v.IsArray()) return bad("not an operand");
  Napi::Array a = v.As<Napi::Array>();
  mv::Slice &s = op->slice;
  int64_t offset;
  int n1 = 0, n2 = 0, n3 = 0;
  if (!ReadNumber(env, a.Get(1u), 0, 9007199254740991.0, &offset) || !ReadNumber(env, a.Get(2u), 1, 9007199254740991.0, &s.itemsize))
    return bad("offset and itemsize must be integers");
  if (!ReadAxes(env, a.Get(3u), s.shape, &n1) || !ReadAxes(env, a.Get(4u), s.strides, &n2) ||
      !ReadAxes(env, a.Get(5u), s.suboffsets, &n3) || n1 != n2 || n1 != n3)
    return bad("shape, strides and suboffsets must be integer arrays of one length <= 64");
  s.ndim = n1;
  Napi::Value bytes = a.Get(0u);
  napi_value arraybuffer;
  int64_t length;
  const char *code;
  std::string why;
  if (!ValidateMemory(env, bytes, a.Get(6u), offset, &s, &arraybuffer, &length, &code, &why)) {
    ThrowCoded(env, code, why, std::string(code) == "ERR_MEMVIEW_DETACHED" ? ErrKind::buffer : ErrKind::range);
    return false;
  }
  mv::Owner *owner = nullptr;
  if (!OwnerOfMemory(env, a.Get(6u), s.data - offset, length, &owner, &code, &why)) {
    ThrowCoded(env, code, why, std::string(code) == "ERR_MEMVIEW_EXTENT" ? ErrKind::range : ErrKind::buffer);
    return false;
  }
  if (owner != nullptr) op->owner = mv::OwnerRef(owner);
  if (pin) op->pin = Napi::Persistent(bytes);
  return true;
}

bool ReadCode(Napi::Value v, char *code) {
  if (!v.IsString()) return false;
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.size() != 1) return false;
  *code = s[0];
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

Napi::Value ScalarToJs(Napi::Env env, const mv::Scalar &r) {
  switch (r.kind) {
    case mv::Scalar::i64: return Napi::BigInt::New(env, r.i);
    case mv::Scalar::u64: return Napi::BigInt::New(env, r.u);
    case mv::Scalar::f64: return Napi::Number::New(env, r.f);
    case mv::Scalar::boolean: return Napi::Boolean::New(env, r.i != 0);
    case mv::Scalar::c128: {
      Napi::Object o = Napi::Object::New(env);
      o.Set("re", Napi::Number::New(env, r.re));
      o.Set("im", Napi::Number::New(env, r.im));
      return o;
    }
  }
  return env.Undefined();
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
    return kind == Kind::reduce ? ScalarToJs(env, result) : env.Undefined();
  }
};

// kernel(spec, async): spec = { kind, operands: [...], code?, code2?, op?, axis?, value? }.
// An own property of the spec, or undefined. Never an inherited one: a getter on Object.prototype
// must not get to run between the checks below and the kernel.
Napi::Value OwnField(Napi::Object spec, const char *name) {
  Napi::Env env = spec.Env();
  bool has = false;
  napi_value key = Napi::String::New(env, name);
  if (napi_has_own_property(env, spec, key, &has) != napi_ok || !has) return env.Undefined();
  napi_value v;
  if (napi_get_property(env, spec, key, &v) != napi_ok) return env.Undefined();
  return Napi::Value(env, v);
}

bool ReadInt(Napi::Value v, int *out) {
  if (v.IsUndefined()) return true;
  return napi_get_value_int32(v.Env(), v, out) == napi_ok;  // numbers only: no valueOf() calls
}

// Reads the whole spec first and validates the operands last, so that no JS can run between the
// check of any memory and the kernel touching it.
bool ParseJob(Napi::Env env, Napi::Object spec, bool pin, Job *job) {
  Napi::Value kindValue = OwnField(spec, "kind"), operands = OwnField(spec, "operands");
  Napi::Value code = OwnField(spec, "code"), code2 = OwnField(spec, "code2"), value = OwnField(spec, "value");
  std::string kind = kindValue.IsString() ? kindValue.As<Napi::String>().Utf8Value() : "";
  if (kind == "fill") job->kind = Job::Kind::fill;
  else if (kind == "assign") job->kind = Job::Kind::assign;
  else if (kind == "cast") job->kind = Job::Kind::cast;
  else if (kind == "reduce") job->kind = Job::Kind::reduce;
  else if (kind == "reduceAxis") job->kind = Job::Kind::reduce_axis;
  else if (kind == "binary") job->kind = Job::Kind::binary;
  else {
    ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", "unknown kernel", ErrKind::type);
    return false;
  }
  if ((!code.IsUndefined() && !ReadCode(code, &job->code)) || (!code2.IsUndefined() && !ReadCode(code2, &job->code2))) {
    ThrowCoded(env, "ERR_MEMVIEW_DTYPE", "bad element code", ErrKind::type);
    return false;
  }
  if (!ReadInt(OwnField(spec, "op"), &job->op) || !ReadInt(OwnField(spec, "axis"), &job->axis)) {
    ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", "op and axis must be integers", ErrKind::type);
    return false;
  }
  if (job->kind == Job::Kind::fill) {
    if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", "fill value must be bytes", ErrKind::type);
      return false;
    }
    Napi::Uint8Array u = value.As<Napi::Uint8Array>();
    job->value.assign(reinterpret_cast<char *>(u.Data()), reinterpret_cast<char *>(u.Data()) + u.ByteLength());
  }
  if (!operands.IsArray()) {
    ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", "operands must be an array", ErrKind::type);
    return false;
  }
  Napi::Array arr = operands.As<Napi::Array>();
  size_t need = job->kind == Job::Kind::binary ? 3 : (job->kind == Job::Kind::fill || job->kind == Job::Kind::reduce) ? 1 : 2;
  if (arr.Length() != need) {
    ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", "wrong number of operands", ErrKind::type);
    return false;
  }
  std::vector<Napi::Value> raw(need);
  for (size_t i = 0; i < need; i++) raw[i] = arr.Get(uint32_t(i));
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
  if (!info[0].IsObject()) return ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", "kernel spec must be an object", ErrKind::type);
  bool async = info[1].ToBoolean();
  auto *job = new Job();
  if (!ParseJob(env, info[0].As<Napi::Object>(), async, job)) {
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
