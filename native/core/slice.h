// The memviewslice: Cython's __Pyx_memviewslice / CPython's Py_buffer geometry, in plain C++17.
//
// A Slice describes memory; it never owns it (see owner.h). Every helper here is pure and
// validates before it dereferences: extent() proves which bytes a direct slice can reach so that
// callers check them against the owner's size before touching memory.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mv {

// CPython's PyBUF_MAX_NDIM. Cython stops at 7; we follow CPython.
constexpr int kMaxDims = 64;

struct Slice {
  char *data = nullptr;  // address of element [0, ..., 0] before any suboffset is applied
  int ndim = 0;
  int64_t itemsize = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};
  int64_t suboffsets[kMaxDims] = {};  // < 0: direct axis; >= 0: pointer axis (PEP 3118)
};

// The lowest and highest byte (inclusive, relative to data) a slice can touch.
struct Extent {
  int64_t lo = 0;
  int64_t hi = -1;  // hi < lo: the slice is empty and touches nothing
};

enum class Status : int {
  ok = 0,
  overflow,       // shape x stride or a sum of them does not fit in int64
  bad_ndim,       // ndim < 0 or > kMaxDims
  bad_shape,      // a negative extent
  bad_itemsize,   // itemsize <= 0
  indirect,       // the operation needs direct memory
  out_of_bounds,  // an index or byte range outside what is allowed
};

const char *status_text(Status s);

// Fills shape/strides/suboffsets for a fresh C ('c') or Fortran ('f') contiguous slice.
Status init_contiguous(Slice &s, int ndim, const int64_t *shape, int64_t itemsize, char order);

// Number of elements (1 for ndim 0), or Status::overflow.
Status element_count(const Slice &s, int64_t *count);

bool has_indirect(const Slice &s);

// NumPy's flags: axes of extent <= 1 are ignored; an empty slice is both; indirect is neither.
bool is_c_contiguous(const Slice &s);
bool is_f_contiguous(const Slice &s);

// Byte range reachable through the direct prefix of the slice (axes before the first indirect
// axis, plus the itemsize when there is none). Fails on overflow or bad geometry.
Status direct_extent(const Slice &s, Extent *out);

// Validates the whole geometry of a direct slice against a memory block [base, base + size).
Status check_within(const Slice &s, const char *base, int64_t size);

// Address of an element: p += i * stride; at a pointer axis p = *(char **)p + suboffset.
// Indices must already be in range (callers check); no bounds checks here.
char *element_address(const Slice &s, const int64_t *index);

// Applies CPython's slice.indices to one axis: start/stop/step may be "absent" (has_* false).
// Writes the resulting start, step and length. step must be nonzero.
void slice_indices(int64_t length, bool has_start, int64_t start, bool has_stop, int64_t stop,
                   bool has_step, int64_t step, int64_t *out_start, int64_t *out_step,
                   int64_t *out_len);

}  // namespace mv
