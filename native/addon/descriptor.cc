#include "descriptor.h"

#include <napi.h>

#include <cmath>

#include "owner_handle.h"
#include "tables.h"

namespace mvaddon {

namespace {
constexpr double kMaxSafe = 9007199254740991.0;
}

bool ReadNumber(napi_env env, napi_value v, double lo, double hi, int64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= lo && d <= hi) || d != std::floor(d)) return false;
  *out = int64_t(d);
  return true;
}

bool ReadAxes(napi_env env, napi_value v, int64_t *out, int *len) {
  bool is = false;
  if (napi_is_array(env, v, &is) != napi_ok || !is) return false;
  uint32_t n;
  napi_get_array_length(env, v, &n);
  if (n > uint32_t(mv::kMaxDims)) return false;
  for (uint32_t i = 0; i < n; i++) {
    napi_value x;
    if (napi_get_element(env, v, i, &x) != napi_ok) return false;
    if (!ReadNumber(env, x, -kMaxSafe, kMaxSafe, &out[i])) return false;
  }
  *len = int(n);
  return true;
}

namespace {
bool SafeInt(double d, double lo, double hi, int64_t *out) {
  if (!(d >= lo && d <= hi) || d != std::floor(d)) return false;
  *out = int64_t(d);
  return true;
}
}  // namespace

bool ReadPackedGeometry(const double *g, size_t n, size_t *pos, int64_t *offset, mv::Slice *s) {
  size_t p = *pos;
  int64_t ndim;
  if (p > n || n - p < 3 || !SafeInt(g[p], 0, kMaxSafe, offset) || !SafeInt(g[p + 1], 1, kMaxSafe, &s->itemsize) ||
      !SafeInt(g[p + 2], 0, double(mv::kMaxDims), &ndim))
    return false;
  p += 3;
  if (n - p < size_t(3 * ndim)) return false;
  for (int64_t d = 0; d < ndim; d++) {
    if (!SafeInt(g[p + d], -kMaxSafe, kMaxSafe, &s->shape[d]) ||
        !SafeInt(g[p + ndim + d], -kMaxSafe, kMaxSafe, &s->strides[d]) ||
        !SafeInt(g[p + 2 * ndim + d], -kMaxSafe, kMaxSafe, &s->suboffsets[d]))
      return false;
  }
  s->ndim = int(ndim);
  *pos = p + size_t(3 * ndim);
  return true;
}

bool IsNullish(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) != napi_ok || t == napi_null || t == napi_undefined;
}

bool ValidateMemory(napi_env env, napi_value bytes, napi_value owner, int64_t offset, mv::Slice *sp, napi_value *arraybuffer,
                    int64_t *length, const char **code, std::string *why) {
  mv::Slice &s = *sp;
  *code = "ERR_MEMVIEW_EXTENT";
  auto bad = [&](const char *text) {
    *why = std::string("invalid view descriptor: ") + text;
    return false;
  };
  size_t len;
  void *data;
  if (IsNullish(env, bytes)) {
    // Native memory too large for one ArrayBuffer: the owner's block itself.
    OwnerHandle *h = IsNullish(env, owner) ? nullptr : OwnerHandle::FromValue(Napi::Value(env, owner));
    if (h == nullptr) return bad("no memory");
    if (h->js_memory()) return bad("memory in a JS ArrayBuffer goes by that buffer");
    if (h->freed()) {
      *code = "ERR_MEMVIEW_RELEASED";
      *why = "memory was released";
      return false;
    }
    data = h->owner()->data();
    len = size_t(h->owner()->size());
    *arraybuffer = nullptr;
  } else {
    bool is_ta = false;
    napi_is_typedarray(env, bytes, &is_ta);
    if (!is_ta) return bad("no memory");
    napi_typedarray_type t;
    size_t byte_offset;
    if (napi_get_typedarray_info(env, bytes, &t, &len, &data, arraybuffer, &byte_offset) != napi_ok ||
        t != napi_uint8_array || byte_offset != 0)
      return bad("memory must be a Uint8Array over a whole buffer");
  }
  *length = int64_t(len);
  // memview's native memory is kept by its owner's reference, not by the buffer: without the
  // owner a pin or job could outlive free().
  if (*arraybuffer != nullptr && IsNullish(env, owner) && IsOwnerBuffer(Napi::Env(env), Napi::Value(env, *arraybuffer)))
    return bad("memview memory must come with its owner");
  if (offset < 0 || offset > int64_t(len)) return bad("offset outside the buffer");
  for (int d = 0; d < s.ndim; d++)
    if (s.shape[d] < 0) return bad("negative extent");
  char *base = static_cast<char *>(data);
  s.data = base + offset;
  mv::Status status = mv::check_within(s, base, int64_t(len));
  if (status != mv::Status::ok) return bad(mv::status_text(status));
  if (!mv::has_indirect(s)) return true;

  // Pointer axes: only in tables memview made, read as whole aligned entries.
  if (*arraybuffer == nullptr) return bad("pointer axes over memory that is not a memview pointer table");
  Napi::Env menv(env);
  Napi::Value table(menv, *arraybuffer);
  TableKind kind = TableKindOf(menv, table);
  if (kind == TableKind::none) return bad("pointer axes over memory that is not a memview pointer table");
  int first = 0;
  while (s.suboffsets[first] < 0) first++;
  if (offset % int64_t(sizeof(void *)) != 0) return bad("misaligned pointer table");
  for (int d = 0; d <= first; d++)
    if (s.strides[d] % int64_t(sizeof(void *)) != 0) return bad("misaligned pointer table");
  if (kind != TableKind::rows) return true;  // foreign tables: fromPointer's promise (unsafe API)
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
  int64_t count = 0;
  bool empty = mv::element_count(s, &count) == mv::Status::ok && count == 0;
  if (!empty && e.hi >= e.lo &&
      !RowsTableValid(menv, table, e.lo + s.suboffsets[first], e.hi + s.suboffsets[first], why)) {
    *code = "ERR_MEMVIEW_DETACHED";
    return false;
  }
  return true;
}

bool OwnerOfMemory(napi_env env, napi_value owner, const char *base, int64_t length, mv::Owner **out,
                   const char **code, std::string *why) {
  *out = nullptr;
  if (IsNullish(env, owner)) return true;
  OwnerHandle *h = OwnerHandle::FromValue(Napi::Value(env, owner));
  if (h == nullptr || h->freed()) {
    *code = "ERR_MEMVIEW_RELEASED";
    *why = "memory was released";
    return false;
  }
  mv::Owner *o = h->owner();
  if (length > 0 && (base < o->data() || length > o->size() || base - o->data() > o->size() - length)) {
    *code = "ERR_MEMVIEW_EXTENT";
    *why = "invalid view descriptor: memory outside its owner";
    return false;
  }
  *out = o;
  return true;
}

}  // namespace mvaddon
