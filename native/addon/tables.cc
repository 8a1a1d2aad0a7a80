#include "tables.h"

#include <cstring>
#include <string>
#include <vector>

#include "addon.h"

namespace mvaddon {

namespace {

constexpr napi_type_tag kRowsTag = {0x6d656d7669657721ULL, 0x726f777374616231ULL};
constexpr napi_type_tag kForeignTag = {0x6d656d7669657721ULL, 0x666f726569676e31ULL};
constexpr napi_type_tag kOwnedTag = {0x6d656d7669657721ULL, 0x6f776e6564627566ULL};

struct RowsInfo {
  // Weak: the JS view keeps its rows (a strong reference here would be a GC root that a row
  // pointing back at its view turns into a leak); a C ABI pin takes its own (RowsToPin).
  std::vector<Napi::Reference<Napi::Value>> rows;
  std::vector<char *> addresses;
  int64_t row_bytes = 0;
};

bool HasTag(Napi::Env env, Napi::Value v, const napi_type_tag &tag) {
  bool result = false;
  return napi_check_object_type_tag(env, v, &tag, &result) == napi_ok && result;
}

// makeRowTable(rows) -> ArrayBuffer of row addresses, tagged, remembering the rows. The caller
// (lib/indirect.ts) has checked the rows are TypedArrays of one type and length.
Napi::Value MakeRowTable(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) return ThrowCoded(env, "ERR_MEMVIEW_SOURCE", "rows must be an array", ErrKind::type);
  Napi::Array rows = info[0].As<Napi::Array>();
  uint32_t n = rows.Length();
  auto *ri = new RowsInfo();
  Napi::ArrayBuffer table = Napi::ArrayBuffer::New(env, size_t(n) * sizeof(char *));
  char *slots = static_cast<char *>(table.Data());
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value row = rows.Get(i);
    if (!row.IsTypedArray()) {
      delete ri;
      return ThrowCoded(env, "ERR_MEMVIEW_SOURCE", "rows must be TypedArrays", ErrKind::type);
    }
    Napi::TypedArray ta = row.As<Napi::TypedArray>();
    int64_t bytes = int64_t(ta.ByteLength());
    if (i == 0) ri->row_bytes = bytes;
    if (bytes != ri->row_bytes) {
      delete ri;
      return ThrowCoded(env, "ERR_MEMVIEW_SOURCE", "ragged rows", ErrKind::type);
    }
    napi_typedarray_type t;
    size_t len, off;
    void *data;
    napi_value ab;
    napi_get_typedarray_info(env, row, &t, &len, &data, &ab, &off);
    char *p = static_cast<char *>(data);
    std::memcpy(slots + size_t(i) * sizeof(char *), &p, sizeof p);
    ri->addresses.push_back(p);
    ri->rows.push_back(Napi::Weak(row));
  }
  napi_type_tag_object(env, table, &kRowsTag);
  // Remember the info under the buffer (an ArrayBuffer is an object napi_wrap accepts).
  napi_wrap(env, table, ri, [](napi_env, void *p, void *) { delete static_cast<RowsInfo *>(p); }, nullptr, nullptr);
  return table;
}

}  // namespace

void TagForeignBuffer(Napi::Env env, Napi::Value ab) { napi_type_tag_object(env, ab, &kForeignTag); }

void TagOwnedBuffer(Napi::Env env, Napi::Value ab) { napi_type_tag_object(env, ab, &kOwnedTag); }

bool IsOwnerBuffer(Napi::Env env, Napi::Value ab) {
  return ab.IsArrayBuffer() && (HasTag(env, ab, kOwnedTag) || HasTag(env, ab, kForeignTag));
}

TableKind TableKindOf(Napi::Env env, Napi::Value buf) {
  if (!buf.IsArrayBuffer()) return TableKind::none;
  if (HasTag(env, buf, kRowsTag)) return TableKind::rows;
  if (HasTag(env, buf, kForeignTag)) return TableKind::foreign;
  return TableKind::none;
}

bool RowsTableValid(Napi::Env env, Napi::Value buf, int64_t lo, int64_t hi, std::string *why) {
  void *raw = nullptr;
  if (napi_unwrap(env, buf, &raw) != napi_ok || raw == nullptr) {
    *why = "not a rows table";
    return false;
  }
  auto *ri = static_cast<RowsInfo *>(raw);
  if (lo < 0 || hi >= ri->row_bytes) {
    *why = "slice reaches outside its rows";
    return false;
  }
  Napi::ArrayBuffer table = buf.As<Napi::ArrayBuffer>();
  if (table.ByteLength() != ri->addresses.size() * sizeof(char *)) {
    *why = "pointer table was detached";
    return false;
  }
  const char *slots = static_cast<const char *>(table.Data());
  for (size_t i = 0; i < ri->rows.size(); i++) {
    Napi::Value row = ri->rows[i].Value();
    char *entry;
    std::memcpy(&entry, slots + i * sizeof(char *), sizeof entry);
    if (row.IsEmpty() || entry != ri->addresses[i] ||
        int64_t(row.As<Napi::TypedArray>().ByteLength()) < ri->row_bytes) {
      *why = "a row of this table was detached or shrunk";
      return false;
    }
    napi_typedarray_type t;
    size_t len, off;
    void *data;
    napi_value ab;
    napi_get_typedarray_info(env, row, &t, &len, &data, &ab, &off);
    if (data != ri->addresses[i]) {
      *why = "a row of this table moved";
      return false;
    }
  }
  return true;
}

bool RowsToPin(Napi::Env env, Napi::Value buf, std::vector<napi_value> *rows, std::string *why) {
  void *raw = nullptr;
  if (napi_unwrap(env, buf, &raw) != napi_ok || raw == nullptr) {
    *why = "not a rows table";
    return false;
  }
  auto *ri = static_cast<RowsInfo *>(raw);
  rows->clear();
  for (auto &ref : ri->rows) {
    Napi::Value row = ref.Value();
    if (row.IsEmpty()) {
      *why = "a row of this table was collected";
      return false;
    }
    napi_typedarray_type t;
    size_t len, off;
    void *data;
    napi_value ab;
    if (napi_get_typedarray_info(env, row, &t, &len, &data, &ab, &off) != napi_ok) {
      *why = "a row of this table is not a TypedArray";
      return false;
    }
    // Rows over native memory are kept by their owners, which a pin of the table cannot hold.
    if (IsOwnerBuffer(env, Napi::Value(env, ab))) {
      *why = "rows over memview's native memory cannot be pinned through a rows table; copy() the view first";
      return false;
    }
    rows->push_back(row);
  }
  return true;
}

void InitTables(Napi::Env env, Napi::Object exports) {
  exports.Set("makeRowTable", Napi::Function::New<MakeRowTable>(env, "makeRowTable"));
}

}  // namespace mvaddon
