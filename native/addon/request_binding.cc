// requestBuffer(shape, strides, suboffsets, itemsize, readonly, flags) -> the core's decision on a
// PEP 3118 request (native/core/request.h), for lib/protocol.ts's getBuffer():
//   { ok: true, ndim, len, format, shape, strides, suboffsets, readonly }   (the last four booleans:
//                                                       which fields the consumer receives)
//   { ok: false, code: 'ERR_MEMVIEW_FLAGS', error: "memoryview: underlying buffer is not writable" }
// Thin on purpose: one call per getBuffer, plain numbers in, plain values out, no memory touched.
#include <cmath>
#include <string>

#include "addon.h"
#include "request.h"

namespace mvaddon {

namespace {

constexpr double kMaxSafe = 9007199254740991.0;

bool ReadInt(Napi::Value v, double lo, double hi, int64_t *out) {
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= lo && d <= hi) || std::trunc(d) != d) return false;
  *out = int64_t(d);
  return true;
}

// Reads one geometry array of length ndim (ndim taken from shape). False with an error thrown.
bool ReadAxes(Napi::Env env, Napi::Value v, const char *what, int *ndim, int64_t *out) {
  if (!v.IsArray())
    return ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", std::string(what) + " must be an array of integers", ErrKind::type), false;
  Napi::Array a = v.As<Napi::Array>();
  uint32_t n = a.Length();
  if (*ndim < 0) {
    if (n > uint32_t(mv::kMaxDims))
      return ThrowCoded(env, "ERR_MEMVIEW_NDIM", "memoryview: number of dimensions must not exceed 64", ErrKind::type), false;
    *ndim = int(n);
  } else if (n != uint32_t(*ndim)) {
    return ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", std::string(what) + " must have one entry per dimension", ErrKind::type), false;
  }
  for (uint32_t d = 0; d < n; ++d) {
    Napi::Value x = a.Get(d);
    if (env.IsExceptionPending()) return false;
    if (!ReadInt(x, -kMaxSafe, kMaxSafe, &out[d]))
      return ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", std::string(what) + " must be an array of integers", ErrKind::type), false;
  }
  return true;
}

Napi::Value RequestBuffer(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  mv::Slice s;
  int ndim = -1;
  if (!ReadAxes(env, info[0], "shape", &ndim, s.shape)) return env.Undefined();
  if (!ReadAxes(env, info[1], "strides", &ndim, s.strides)) return env.Undefined();
  if (!ReadAxes(env, info[2], "suboffsets", &ndim, s.suboffsets)) return env.Undefined();
  s.ndim = ndim;
  if (!ReadInt(info[3], 1, kMaxSafe, &s.itemsize))
    return ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", "itemsize must be a positive integer", ErrKind::type);
  bool readonly = info[4].ToBoolean();
  int64_t flags;
  if (!ReadInt(info[5], 0, 2147483647.0, &flags))
    return ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", mv::refusal_text(mv::Refusal::bad_flags), ErrKind::type);

  mv::Grant g;
  mv::Refusal r = mv::request_buffer(s, readonly, int(flags), &g);
  Napi::Object out = Napi::Object::New(env);
  auto put = [&](const char *name, Napi::Value v) { DefineData(env, out, name, v); };
  if (r != mv::Refusal::none) {
    put("ok", Napi::Boolean::New(env, false));
    put("code", Napi::String::New(env, mv::is_flag_refusal(r) ? "ERR_MEMVIEW_FLAGS" : "ERR_MEMVIEW_ARGUMENT"));
    put("error", Napi::String::New(env, mv::refusal_text(r)));
    return out;
  }
  put("ok", Napi::Boolean::New(env, true));
  put("ndim", Napi::Number::New(env, g.ndim));
  put("len", Napi::Number::New(env, double(g.len)));
  put("format", Napi::Boolean::New(env, g.format));
  put("shape", Napi::Boolean::New(env, g.shape));
  put("strides", Napi::Boolean::New(env, g.strides));
  put("suboffsets", Napi::Boolean::New(env, g.suboffsets));
  put("readonly", Napi::Boolean::New(env, g.readonly));
  return out;
}

}  // namespace

void InitRequest(Napi::Env env, Napi::Object exports) {
  exports.Set("requestBuffer", Napi::Function::New<RequestBuffer>(env, "requestBuffer"));
}

}  // namespace mvaddon
