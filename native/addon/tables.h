// Pointer tables the kernels may follow. A slice with pointer axes is only run natively when its
// table is one memview made: a rows table built here from TypedArrays (validated against the
// rows before every use) or memory of a foreign owner (fromPointer, unsafe by contract). Both are
// marked with type tags JS cannot forge.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace mvaddon {

// Tags an ArrayBuffer over foreign memory (fromPointer): its pointers are the caller's promise.
void TagForeignBuffer(Napi::Env env, Napi::Value ab);

// Tags an ArrayBuffer over memview's own or adopted memory (not foreign tables).
void TagOwnedBuffer(Napi::Env env, Napi::Value ab);

// An ArrayBuffer memview made over native memory (either tag): native code may only use it
// together with its owner, whose reference is what keeps the memory.
bool IsOwnerBuffer(Napi::Env env, Napi::Value ab);

enum class TableKind { none, rows, foreign };

// What kind of pointer table `buf` (the ArrayBuffer under a slice) is.
TableKind TableKindOf(Napi::Env env, Napi::Value buf);

// For a rows table: checks every row is still attached and long enough for bytes [lo, hi]
// relative to each row's start, and that the table still holds the row addresses.
bool RowsTableValid(Napi::Env env, Napi::Value buf, int64_t lo, int64_t hi, std::string *why);

// The rows of a rows table, for a C ABI pin to hold (strongly, while it lives). Refuses rows that
// were collected or that are memview's native memory (kept by owners the pin cannot hold).
bool RowsToPin(Napi::Env env, Napi::Value buf, std::vector<napi_value> *rows, std::string *why);

void InitTables(Napi::Env env, Napi::Object exports);

}  // namespace mvaddon
