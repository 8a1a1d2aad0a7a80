// Shared pieces of the Node-API glue: per-environment state and coded errors.
#pragma once

#include <napi.h>

#include <cstdint>

#include "reclaim.h"

namespace mvaddon {

// Per environment (main thread and each worker): the glue is context-aware.
struct AddonState {
  Napi::FunctionReference owner_ctor;
  Napi::FunctionReference error_factory;  // lib/errors.ts memviewError(code, message)
  bool force_copy = false;      // MEMVIEW_NO_EXTERNAL=1: behave as a sandboxed runtime
  bool external_buffers = true; // probed: false where Node-API refuses external ArrayBuffers
  Reclaimer reclaimer;          // owner handles whose collection is watched (reclaim.h)
  // ArrayBuffer.prototype.transfer exists (Node >= 21, or a V8 flag): a collected buffer's memory
  // may live on in the buffer it was moved to, so only its finalizer may drop its reference.
  bool buffers_movable = true;
};

AddonState &State(Napi::Env env);

enum class ErrKind { type, range, buffer };

// Throws an error with a stable code (through the JS factory when registered) and returns
// undefined, for `return ThrowCoded(...)` in callbacks.
Napi::Value ThrowCoded(Napi::Env env, const char *code, const std::string &message, ErrKind kind);

// Defines an own, read-only data property (no setter anywhere on the prototype chain runs, and
// nothing can replace it later). False when the runtime refused.
bool DefineOwn(napi_env env, napi_value obj, const char *name, napi_value value);
// The same for a plain result object JS may change later (writable, enumerable, configurable):
// unlike an assignment, it never runs a setter inherited from Object.prototype.
bool DefineData(napi_env env, napi_value obj, const char *name, napi_value value);

// Reads a bigint or a safe-integer number as an address; false (with an error thrown) otherwise.
bool ReadAddress(Napi::Value v, uintptr_t *out);

// Module parts register their functions on exports.
void InitMemory(Napi::Env env, Napi::Object exports);
void InitFormat(Napi::Env env, Napi::Object exports);
void InitKernels(Napi::Env env, Napi::Object exports);
void InitTables(Napi::Env env, Napi::Object exports);
void InitRequest(Napi::Env env, Napi::Object exports);
// The C ABI for other addons (native/include/memview.h): exports._C_API and its JS hooks.
void InitCapi(Napi::Env env, Napi::Object exports);

Napi::Object Init(Napi::Env env, Napi::Object exports);

}  // namespace mvaddon
