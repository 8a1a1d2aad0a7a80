// ops: the kernels of native/core/kernels.h for JS, synchronously or on the libuv thread pool.
//
// An operand arrives as [bytes, offset, itemsize, shape, strides, suboffsets, owner]: `bytes` is a
// Uint8Array over the whole ArrayBuffer or SharedArrayBuffer the view reads. Nothing from JS is
// trusted: every operand's reachable bytes are checked against the buffer's current length
// (check_within) and pointer axes are only followed in tables memview made (tables.h), before
// any kernel touches memory. Async jobs hold what keeps their memory valid until they finish: an
// owner reference for native memory, a reference to a SharedArrayBuffer; plain ArrayBuffers can
// be detached at any time, so lib/ops.ts refuses them for async work.
#include <cmath>
#include <string>
#include <vector>

#include "addon.h"
#include "kernels.h"
#include "owner_handle.h"
#include "tables.h"

namespace mvaddon {

namespace {

struct Operand {
  mv::Slice slice;
  mv::OwnerRef owner;                    // native memory: held while the job runs
  Napi::Reference<Napi::Value> pin;      // the Uint8Array over the buffer (async jobs)
};

bool ReadInt64Array(Napi::Value v, int max_len, int64_t *out, int *len) {
  if (!v.IsArray()) return false;
  Napi::Array a = v.As<Napi::Array>();
  if (a.Length() > uint32_t(max_len)) return false;
  *len = int(a.Length());
  for (int i = 0; i < *len; i++) {
    Napi::Value x = a.Get(uint32_t(i));
    if (!x.IsNumber()) return false;
    double d = x.As<Napi::Number>().DoubleValue();
    if (!(d >= -9007199254740991.0 && d <= 9007199254740991.0) || d != std::floor(d)) return false;
    out[i] = int64_t(d);
  }
  return true;
}

// Parses and validates one operand; on failure throws and returns false.
bool ReadOperand(Napi::Env env, Napi::Value v, bool pin, Operand *op) {
  auto bad = [&](const std::string &why) {
    ThrowCoded(env, "ERR_MEMVIEW_EXTENT", "invalid view descriptor: " + why, ErrKind::range);
    return false;
  };
  if (!v.IsArray()) return bad("not an operand");
  Napi::Array a = v.As<Napi::Array>();
  Napi::Value bytes = a.Get(0u);
  if (!bytes.IsTypedArray()) return bad("no memory");
  napi_typedarray_type t;
  size_t len, byte_offset;
  void *data;
  napi_value ab;
  napi_get_typedarray_info(env, bytes, &t, &len, &data, &ab, &byte_offset);
  if (t != napi_uint8_array || byte_offset != 0) return bad("memory must be a Uint8Array over a whole buffer");
  mv::Slice &s = op->slice;
  int64_t offset, itemsize;
  int n1 = 0, n2 = 0, n3 = 0;
  if (!a.Get(1u).IsNumber() || !a.Get(2u).IsNumber()) return bad("offset and itemsize must be numbers");
  offset = a.Get(1u).As<Napi::Number>().Int64Value();
  itemsize = a.Get(2u).As<Napi::Number>().Int64Value();
  if (!ReadInt64Array(a.Get(3u), mv::kMaxDims, s.shape, &n1) || !ReadInt64Array(a.Get(4u), mv::kMaxDims, s.strides, &n2) ||
      !ReadInt64Array(a.Get(5u), mv::kMaxDims, s.suboffsets, &n3) || n1 != n2 || n1 != n3)
    return bad("shape, strides and suboffsets must be integer arrays of one length <= 64");
  s.ndim = n1;
  s.itemsize = itemsize;
  if (offset < 0 || offset > int64_t(len)) return bad("offset outside the buffer");
  s.data = static_cast<char *>(data) + offset;
  mv::Status st = mv::check_within(s, static_cast<char *>(data), int64_t(len));
  if (st != mv::Status::ok) return bad(mv::status_text(st));
  if (mv::has_indirect(s)) {
    // Pointer axes: only in tables memview made, read as whole aligned entries.
    TableKind kind = TableKindOf(env, Napi::Value(env, ab));
    if (kind == TableKind::none) return bad("pointer axes over memory that is not a memview pointer table");
    int first = 0;
    while (s.suboffsets[first] < 0) first++;
    if (offset % int64_t(sizeof(void *)) != 0) return bad("misaligned pointer table");
    for (int d = 0; d <= first; d++)
      if (s.strides[d] % int64_t(sizeof(void *)) != 0) return bad("misaligned pointer table");
    if (kind == TableKind::rows) {
      // Rows tables are one level deep: what the rows hold must stay inside every row.
      mv::Slice rest;
      rest.ndim = s.ndim - first - 1;
      rest.itemsize = s.itemsize;
      for (int d = first + 1; d < s.ndim; d++) {
        if (s.suboffsets[d] >= 0) return bad("rows tables have one pointer axis");
        rest.shape[d - first - 1] = s.shape[d];
        rest.strides[d - first - 1] = s.strides[d];
        rest.suboffsets[d - first - 1] = -1;
      }
      mv::Extent e;
      if (mv::direct_extent(rest, &e) != mv::Status::ok) return bad("overflow");
      std::string why;
      if (e.hi >= e.lo && !RowsTableValid(env, Napi::Value(env, ab), e.lo + s.suboffsets[first], e.hi + s.suboffsets[first], &why)) {
        ThrowCoded(env, "ERR_MEMVIEW_DETACHED", why, ErrKind::buffer);
        return false;
      }
    }
  }
  Napi::Value owner = a.Get(6u);
  if (!owner.IsNull() && !owner.IsUndefined()) {
    OwnerHandle *h = OwnerHandle::Unwrap(owner);
    if (!h || h->freed()) {
      ThrowCoded(env, "ERR_MEMVIEW_RELEASED", "memory was released", ErrKind::buffer);
      return false;
    }
    op->owner = mv::OwnerRef(h->owner());
  }
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
bool ParseJob(Napi::Env env, Napi::Object spec, bool pin, Job *job) {
  std::string kind = spec.Get("kind").ToString().Utf8Value();
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
  Napi::Value operands = spec.Get("operands");
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
  job->ops.resize(need);
  for (size_t i = 0; i < need; i++)
    if (!ReadOperand(env, arr.Get(uint32_t(i)), pin, &job->ops[i])) return false;
  Napi::Value code = spec.Get("code"), code2 = spec.Get("code2");
  if (!code.IsUndefined() && !ReadCode(code, &job->code)) {
    ThrowCoded(env, "ERR_MEMVIEW_DTYPE", "bad element code", ErrKind::type);
    return false;
  }
  if (!code2.IsUndefined() && !ReadCode(code2, &job->code2)) {
    ThrowCoded(env, "ERR_MEMVIEW_DTYPE", "bad element code", ErrKind::type);
    return false;
  }
  if (spec.Has("op")) job->op = spec.Get("op").ToNumber().Int32Value();
  if (spec.Has("axis")) job->axis = spec.Get("axis").ToNumber().Int32Value();
  if (job->kind == Job::Kind::fill) {
    Napi::Value v = spec.Get("value");
    if (!v.IsTypedArray() || int64_t(v.As<Napi::TypedArray>().ByteLength()) != job->ops[0].slice.itemsize) {
      ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", "fill value must be itemsize bytes", ErrKind::type);
      return false;
    }
    Napi::Uint8Array u = v.As<Napi::Uint8Array>();
    job->value.assign(reinterpret_cast<char *>(u.Data()), reinterpret_cast<char *>(u.Data()) + u.ByteLength());
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
