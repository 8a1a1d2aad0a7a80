// memview's Node-API module: registers each part of the glue. Logic lives in native/core.
#include "addon.h"

#include <cstdlib>
#include <cstring>

#include "owner_handle.h"

namespace mvaddon {

AddonState &State(Napi::Env env) { return *env.GetInstanceData<AddonState>(); }

Napi::Value ThrowCoded(Napi::Env env, const char *code, const std::string &message, ErrKind kind) {
  // Something is already pending (a worker being terminated, an exception from a callback):
  // creating another error could fail, and that one must surface anyway.
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) != napi_ok || pending) return env.Undefined();
  AddonState &st = State(env);
  Napi::Value err;
  if (!st.error_factory.IsEmpty()) {
    // Raw calls: if the runtime cannot make the error now, give up quietly rather than abort.
    napi_value factory, args[2], undefined, made;
    if (napi_get_reference_value(env, st.error_factory, &factory) != napi_ok || factory == nullptr ||
        napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &args[0]) != napi_ok ||
        napi_create_string_utf8(env, message.c_str(), message.size(), &args[1]) != napi_ok ||
        napi_get_undefined(env, &undefined) != napi_ok ||
        napi_call_function(env, undefined, factory, 2, args, &made) != napi_ok)
      return env.Undefined();
    err = Napi::Value(env, made);
  } else {
    Napi::Error e = kind == ErrKind::range  ? Napi::Error(env, Napi::RangeError::New(env, message).Value())
                    : kind == ErrKind::type ? Napi::Error(env, Napi::TypeError::New(env, message).Value())
                                            : Napi::Error::New(env, message);
    e.Set("code", Napi::String::New(env, code));
    err = e.Value();
  }
  napi_throw(env, err);
  return env.Undefined();
}

bool DefineOwn(napi_env env, napi_value obj, const char *name, napi_value value) {
  napi_property_descriptor d = {name, nullptr, nullptr, nullptr, nullptr, value, napi_default, nullptr};
  return napi_define_properties(env, obj, 1, &d) == napi_ok;
}

bool DefineData(napi_env env, napi_value obj, const char *name, napi_value value) {
  auto attrs = napi_property_attributes(napi_writable | napi_enumerable | napi_configurable);
  napi_property_descriptor d = {name, nullptr, nullptr, nullptr, nullptr, value, attrs, nullptr};
  return napi_define_properties(env, obj, 1, &d) == napi_ok;
}

bool ReadAddress(Napi::Value v, uintptr_t *out) {
  Napi::Env env = v.Env();
  if (v.IsBigInt()) {
    bool lossless = false;
    uint64_t a = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) {
      ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", "pointer does not fit in 64 bits", ErrKind::type);
      return false;
    }
    *out = uintptr_t(a);
    return true;
  }
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (d >= 0 && d <= 9007199254740991.0 && d == double(int64_t(d))) {
      *out = uintptr_t(d);
      return true;
    }
  }
  if (v.IsExternal()) {  // pointer objects of FFI libraries (koffi 2, ref-napi) are Externals
    *out = reinterpret_cast<uintptr_t>(v.As<Napi::External<void>>().Data());
    return true;
  }
  ThrowCoded(env, "ERR_MEMVIEW_ARGUMENT", "a pointer must be a bigint address (or an FFI pointer External)", ErrKind::type);
  return false;
}

namespace {

// Whether JS can move an ArrayBuffer's memory into another buffer (ArrayBuffer.prototype.transfer:
// on by default from Node 21, behind --harmony-rab-gsab-transfer on Node 20). Unknown counts as yes.
bool BuffersMovable(napi_env env) {
  const napi_node_version *version = nullptr;
  if (napi_get_node_version(env, &version) != napi_ok || version == nullptr || version->major >= 21) return true;
  napi_value global, ctor, proto, transfer;
  napi_valuetype t;
  if (napi_get_global(env, &global) != napi_ok || napi_get_named_property(env, global, "ArrayBuffer", &ctor) != napi_ok ||
      napi_get_named_property(env, ctor, "prototype", &proto) != napi_ok ||
      napi_get_named_property(env, proto, "transfer", &transfer) != napi_ok || napi_typeof(env, transfer, &t) != napi_ok)
    return true;
  return t != napi_undefined;
}

Napi::Value SetErrorFactory(const Napi::CallbackInfo &info) {
  State(info.Env()).error_factory = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto *state = new AddonState();
  const char *no_ext = std::getenv("MEMVIEW_NO_EXTERNAL");
  state->force_copy = no_ext && std::strcmp(no_ext, "1") == 0;
  env.SetInstanceData(state);
  state->buffers_movable = BuffersMovable(env);
  state->owner_ctor = Napi::Persistent(OwnerHandle::Init(env));
  exports.Set("setErrorFactory", Napi::Function::New<SetErrorFactory>(env, "setErrorFactory"));
  InitMemory(env, exports);
  InitFormat(env, exports);
  InitKernels(env, exports);
  InitTables(env, exports);
  InitRequest(env, exports);
  InitCapi(env, exports);
  return exports;
}

}  // namespace mvaddon

static Napi::Object InitMemview(Napi::Env env, Napi::Object exports) { return mvaddon::Init(env, exports); }

NODE_API_MODULE(memview, InitMemview)
