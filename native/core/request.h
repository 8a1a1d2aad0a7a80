// PEP 3118 buffer requests: given what a consumer asks for (CPython's PyBUF_* flags) and the
// geometry of the memory, decide whether the request can be met and which fields to fill.
//
// This is the ONE place memview negotiates a buffer request. The JS getBuffer() (through
// native/addon/request_binding.cc) and the C ABI's get_buffer (native/include/memview.h) both
// call request_buffer(), so every consumer gets the same answer for the same request.
//
// The rules are CPython's memoryview re-export (Objects/memoryobject.c, memory_getbuf), which
// test_buffer.py's oracle `verify_getbuf` checks every exporter against, in this order:
//   1. WRITABLE on read-only memory                -> "memoryview: underlying buffer is not writable"
//   2. C_CONTIGUOUS and not C-contiguous           -> "memoryview: underlying buffer is not C-contiguous"
//   3. F_CONTIGUOUS and not Fortran-contiguous     -> "memoryview: underlying buffer is not Fortran contiguous"
//   4. ANY_CONTIGUOUS and neither                  -> "memoryview: underlying buffer is not contiguous"
//   5. no INDIRECT and some axis is indirect       -> "memoryview: underlying buffer requires suboffsets"
//   6. no STRIDES and not C-contiguous             -> "memoryview: underlying buffer is not C-contiguous"
//   7. no ND but FORMAT                            -> "memoryview: cannot cast to unsigned bytes if the
//                                                      format flag is present"
// A flag test is `(flags & F) == F`, so STRIDES implies ND, INDIRECT implies STRIDES, and so on.
// When the request is met, fields the consumer did not ask for are left out (NULL in C, null in
// JS): no FORMAT -> format NULL (meaning 'B'; itemsize keeps the element size, so
// len == product(shape) * itemsize still holds); no ND -> shape NULL and ndim reported as 1;
// no STRIDES -> strides NULL (C-contiguous by definition); suboffsets only with INDIRECT, and only
// when some axis is indirect: all-negative suboffsets are exported as NULL (Cython PR #367).
//
// Contiguity is NumPy's flags (mv::is_c_contiguous / is_f_contiguous): axes of extent 1 are
// ignored, an empty buffer is both, a 0-d buffer is both, an indirect buffer is neither. This is
// PyBuffer_IsContiguous; CPython's memoryview differs in one corner only: a 1-D *empty* view whose
// stride is not the itemsize (b''[::-1]) is not contiguous there, and is here.
#pragma once

#include <cstdint>

#include "slice.h"

namespace mv {

// CPython's PyBUF_* request flags (Include/pybuffer.h). The C ABI's MV_BUF_* have these values.
namespace bufreq {
constexpr int kSimple = 0;
constexpr int kWritable = 0x0001;
constexpr int kFormat = 0x0004;
constexpr int kND = 0x0008;
constexpr int kStrides = 0x0010 | kND;
constexpr int kCContiguous = 0x0020 | kStrides;
constexpr int kFContiguous = 0x0040 | kStrides;
constexpr int kAnyContiguous = 0x0080 | kStrides;
constexpr int kIndirect = 0x0100 | kStrides;
constexpr int kContig = kND | kWritable;
constexpr int kContigRO = kND;
constexpr int kStrided = kStrides | kWritable;
constexpr int kStridedRO = kStrides;
constexpr int kRecords = kStrides | kWritable | kFormat;
constexpr int kRecordsRO = kStrides | kFormat;
constexpr int kFull = kIndirect | kWritable | kFormat;
constexpr int kFullRO = kIndirect | kFormat;
}  // namespace bufreq

// Why a request was refused (none: granted). The first seven are the consumer's request asking
// more than the memory can give (BufferError, ERR_MEMVIEW_FLAGS); the last two are bad input.
enum class Refusal : int {
  none = 0,
  not_writable,           // rule 1
  not_c_contiguous,       // rule 2
  not_f_contiguous,       // rule 3
  not_contiguous,         // rule 4
  requires_suboffsets,    // rule 5
  requires_strides,       // rule 6 (same text as rule 2, as in CPython)
  format_without_shape,   // rule 7
  bad_flags,              // flags < 0
  bad_geometry,           // ndim outside 0..64, itemsize <= 0, a negative extent, len overflows
};

// What a granted request exports. The arrays themselves are the slice's; the booleans say which
// of them the consumer receives.
struct Grant {
  bool format = false;      // export the format (else NULL = 'B')
  bool shape = false;       // export shape (else NULL, and ndim is reported as 1)
  bool strides = false;     // export strides (else NULL)
  bool suboffsets = false;  // export suboffsets (else NULL)
  bool readonly = false;    // the memory's read-only flag, as exported
  int ndim = 0;             // the ndim to report: the slice's with shape, else 1
  int64_t len = 0;          // product(shape) * itemsize (bytes)
};

// Decides a request. On Refusal::none fills *out; otherwise leaves *out untouched. Pure: reads
// only s.ndim, s.itemsize, s.shape, s.strides and s.suboffsets (never s.data or memory).
Refusal request_buffer(const Slice &s, bool readonly, int flags, Grant *out);

// CPython's message for a refusal (static storage; "" for Refusal::none).
const char *refusal_text(Refusal r);

// True for the refusals that are the request's fault (BufferError / ERR_MEMVIEW_FLAGS), false for
// none, bad_flags and bad_geometry (the caller's input is wrong).
bool is_flag_refusal(Refusal r);

}  // namespace mv
