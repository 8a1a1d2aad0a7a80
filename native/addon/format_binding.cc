// parseFormat(format) -> JSON text of the parsed type (schema in native/core/format.h). The one
// format parser lives in the core; JS caches the result per format string.
#include <string>

#include "addon.h"
#include "format.h"

namespace mvaddon {

namespace {

Napi::Value ParseFormat(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString())
    return ThrowCoded(env, "ERR_MEMVIEW_FORMAT", "format must be a string", ErrKind::type);
  std::string fmt = info[0].As<Napi::String>().Utf8Value();
  mv::ParsedFormat parsed;
  std::string error;
  if (!mv::parse_format(fmt.data(), fmt.size(), &parsed, &error))
    return ThrowCoded(env, "ERR_MEMVIEW_FORMAT", error, ErrKind::type);
  return Napi::String::New(env, mv::format_to_json(parsed));
}

}  // namespace

void InitFormat(Napi::Env env, Napi::Object exports) {
  exports.Set("parseFormat", Napi::Function::New<ParseFormat>(env, "parseFormat"));
}

}  // namespace mvaddon
