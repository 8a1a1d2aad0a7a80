// A view descriptor arriving from JS (lib/ops.ts, lib/capi.ts): memory as a Uint8Array over a
// whole ArrayBuffer or SharedArrayBuffer, a byte offset and the geometry. Nothing in it is trusted:
// this is the one place that checks it before native code touches memory, for the kernels and the
// C ABI alike.
#pragma once

#include <node_api.h>

#include <cstdint>
#include <string>

#include "owner.h"
#include "slice.h"

namespace mvaddon {

// A safe integer within [lo, hi].
bool ReadNumber(napi_env env, napi_value v, double lo, double hi, int64_t *out);

// An array of at most kMaxDims safe integers.
bool ReadAxes(napi_env env, napi_value v, int64_t *out, int *len);

// One operand's geometry from a packed Float64Array (lib/ops.ts): [offset, itemsize, ndim,
// shape x ndim, strides x ndim, suboffsets x ndim] at g[*pos], with the checks of ReadNumber and
// ReadAxes; advances *pos. Kernel calls pass geometry this way: one typed-array read instead of a
// Node-API call per number.
bool ReadPackedGeometry(const double *g, size_t n, size_t *pos, int64_t *offset, mv::Slice *s);

bool IsNullish(napi_env env, napi_value v);

// Points s.data at `offset` bytes into the memory of `bytes` (a Uint8Array over a whole buffer;
// null for native memory larger than one ArrayBuffer: then the live `owner`'s block) and proves every byte s can reach is inside it: check_within for the direct part, and for
// pointer axes that the table is one memview made (tables.h) with rows still attached. s's
// ndim, itemsize, shape, strides and suboffsets must be filled. On failure returns false with
// *code (ERR_MEMVIEW_EXTENT or ERR_MEMVIEW_DETACHED) and *why set.
bool ValidateMemory(napi_env env, napi_value bytes, napi_value owner, int64_t offset, mv::Slice *s, napi_value *arraybuffer,
                    int64_t *length, const char **code, std::string *why);

// The owner named by a descriptor (null/undefined: none). It must be live and hold exactly the
// bytes [base, base + length) the descriptor's buffer aliases, so that its reference pins them.
bool OwnerOfMemory(napi_env env, napi_value owner, const char *base, int64_t length, mv::Owner **out,
                   const char **code, std::string *why);

}  // namespace mvaddon
