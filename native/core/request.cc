// PEP 3118 request negotiation (see request.h for the rules and their order).
#include "request.h"

namespace mv {

namespace {

// CPython's `(req & flag) == flag`: a compound flag is requested only when all its bits are.
constexpr bool requested(int flags, int flag) { return (flags & flag) == flag; }

}  // namespace

const char *refusal_text(Refusal r) {
  switch (r) {
    case Refusal::none: return "";
    case Refusal::not_writable: return "memoryview: underlying buffer is not writable";
    case Refusal::not_c_contiguous: return "memoryview: underlying buffer is not C-contiguous";
    case Refusal::not_f_contiguous: return "memoryview: underlying buffer is not Fortran contiguous";
    case Refusal::not_contiguous: return "memoryview: underlying buffer is not contiguous";
    case Refusal::requires_suboffsets: return "memoryview: underlying buffer requires suboffsets";
    case Refusal::requires_strides: return "memoryview: underlying buffer is not C-contiguous";
    case Refusal::format_without_shape:
      return "memoryview: cannot cast to unsigned bytes if the format flag is present";
    case Refusal::bad_flags: return "buffer request flags must be a non-negative integer";
    case Refusal::bad_geometry: return "invalid buffer geometry";
  }
  return "unknown refusal";
}

bool is_flag_refusal(Refusal r) {
  return r != Refusal::none && r != Refusal::bad_flags && r != Refusal::bad_geometry;
}

// Invariant: a granted request never exports a field that contradicts the memory. Whatever the
// consumer leaves out is implied by what was checked: no strides -> C-contiguous (rule 6), no
// suboffsets -> direct (rule 5), no shape -> a C-contiguous run of len bytes (rules 6 and 7).
Refusal request_buffer(const Slice &s, bool readonly, int flags, Grant *out) {
  if (flags < 0) return Refusal::bad_flags;
  int64_t count;
  if (element_count(s, &count) != Status::ok) return Refusal::bad_geometry;  // ndim, itemsize, shape
  int64_t len;
  if (__builtin_mul_overflow(count, s.itemsize, &len)) return Refusal::bad_geometry;

  const bool c = is_c_contiguous(s);  // false for indirect memory
  const bool f = is_f_contiguous(s);
  const bool indirect = has_indirect(s);

  if (requested(flags, bufreq::kWritable) && readonly) return Refusal::not_writable;
  if (requested(flags, bufreq::kCContiguous) && !c) return Refusal::not_c_contiguous;
  if (requested(flags, bufreq::kFContiguous) && !f) return Refusal::not_f_contiguous;
  if (requested(flags, bufreq::kAnyContiguous) && !c && !f) return Refusal::not_contiguous;
  if (!requested(flags, bufreq::kIndirect) && indirect) return Refusal::requires_suboffsets;
  if (!requested(flags, bufreq::kStrides) && !c) return Refusal::requires_strides;
  const bool want_format = requested(flags, bufreq::kFormat);
  const bool want_shape = requested(flags, bufreq::kND);
  if (!want_shape && want_format) return Refusal::format_without_shape;

  Grant g;
  g.format = want_format;
  g.shape = want_shape;
  g.strides = requested(flags, bufreq::kStrides);
  g.suboffsets = requested(flags, bufreq::kIndirect) && indirect;
  g.readonly = readonly;
  g.ndim = want_shape ? s.ndim : 1;
  g.len = len;
  *out = g;
  return Refusal::none;
}

}  // namespace mv
