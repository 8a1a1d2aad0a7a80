#include "slice.h"

#include <cstring>

namespace mv {

namespace {

bool mul_overflow(int64_t a, int64_t b, int64_t *out) { return __builtin_mul_overflow(a, b, out); }
bool add_overflow(int64_t a, int64_t b, int64_t *out) { return __builtin_add_overflow(a, b, out); }

Status check_geometry(const Slice &s) {
  if (s.ndim < 0 || s.ndim > kMaxDims) return Status::bad_ndim;
  if (s.itemsize <= 0) return Status::bad_itemsize;
  for (int d = 0; d < s.ndim; ++d)
    if (s.shape[d] < 0) return Status::bad_shape;
  return Status::ok;
}

// One contiguity test for both orders: walk axes from the fastest-varying one outwards.
bool contiguous_in_order(const Slice &s, bool c_order) {
  if (s.ndim < 0 || s.ndim > kMaxDims || has_indirect(s)) return false;
  for (int d = 0; d < s.ndim; ++d)
    if (s.shape[d] == 0) return true;
  int64_t expected = s.itemsize;
  bool overflowed = false;  // the next axis' stride would have to exceed int64: no stride can
  for (int k = 0; k < s.ndim; ++k) {
    int d = c_order ? s.ndim - 1 - k : k;
    if (s.shape[d] == 1) continue;
    if (overflowed || s.strides[d] != expected) return false;
    overflowed = mul_overflow(expected, s.shape[d], &expected);
  }
  return true;
}

}  // namespace

const char *status_text(Status s) {
  switch (s) {
    case Status::ok: return "ok";
    case Status::overflow: return "shape and strides overflow the address range";
    case Status::bad_ndim: return "number of dimensions must be between 0 and 64";
    case Status::bad_shape: return "negative extent";
    case Status::bad_itemsize: return "itemsize must be positive";
    case Status::indirect: return "operation needs direct memory";
    case Status::out_of_bounds: return "slice reaches outside its memory";
  }
  return "unknown status";
}

Status init_contiguous(Slice &s, int ndim, const int64_t *shape, int64_t itemsize, char order) {
  if (ndim < 0 || ndim > kMaxDims) return Status::bad_ndim;
  if (itemsize <= 0) return Status::bad_itemsize;
  s.ndim = ndim;
  s.itemsize = itemsize;
  int64_t stride = itemsize;
  for (int k = 0; k < ndim; ++k) {
    int d = order == 'f' || order == 'F' ? k : ndim - 1 - k;
    if (shape[d] < 0) return Status::bad_shape;
    s.shape[d] = shape[d];
    s.strides[d] = stride;
    s.suboffsets[d] = -1;
    // NumPy multiplies by max(extent, 1) so strides of empty arrays stay meaningful.
    if (mul_overflow(stride, shape[d] > 0 ? shape[d] : 1, &stride)) return Status::overflow;
  }
  return Status::ok;
}

Status element_count(const Slice &s, int64_t *count) {
  Status st = check_geometry(s);
  if (st != Status::ok) return st;
  int64_t n = 1;
  for (int d = 0; d < s.ndim; ++d)
    if (mul_overflow(n, s.shape[d], &n)) return Status::overflow;
  *count = n;
  return Status::ok;
}

bool has_indirect(const Slice &s) {
  if (s.ndim < 0 || s.ndim > kMaxDims) return false;
  for (int d = 0; d < s.ndim; ++d)
    if (s.suboffsets[d] >= 0) return true;
  return false;
}

bool is_c_contiguous(const Slice &s) { return contiguous_in_order(s, true); }
bool is_f_contiguous(const Slice &s) { return contiguous_in_order(s, false); }

Status direct_extent(const Slice &s, Extent *out) {
  Status st = check_geometry(s);
  if (st != Status::ok) return st;
  Extent e{0, 0};
  for (int d = 0; d < s.ndim; ++d) {
    if (s.shape[d] == 0) {
      *out = Extent{0, -1};
      return Status::ok;
    }
  }
  bool reaches_item = true;
  for (int d = 0; d < s.ndim; ++d) {
    int64_t span;
    if (mul_overflow(s.shape[d] - 1, s.strides[d], &span)) return Status::overflow;
    if (span < 0) {
      if (add_overflow(e.lo, span, &e.lo)) return Status::overflow;
    } else {
      if (add_overflow(e.hi, span, &e.hi)) return Status::overflow;
    }
    if (s.suboffsets[d] >= 0) {
      // The bytes read here are pointers; what lies beyond them is another block.
      reaches_item = false;
      if (add_overflow(e.hi, int64_t(sizeof(void *)) - 1, &e.hi)) return Status::overflow;
      break;
    }
  }
  if (reaches_item && add_overflow(e.hi, s.itemsize - 1, &e.hi)) return Status::overflow;
  *out = e;
  return Status::ok;
}

Status check_within(const Slice &s, const char *base, int64_t size) {
  Extent e;
  Status st = direct_extent(s, &e);
  if (st != Status::ok) return st;
  if (e.hi < e.lo) return Status::ok;  // empty: touches nothing
  // Compare as integers: pointer arithmetic outside an object is undefined behaviour.
  int64_t offset, lo, hi;
  if (__builtin_sub_overflow(int64_t(reinterpret_cast<uintptr_t>(s.data)), int64_t(reinterpret_cast<uintptr_t>(base)), &offset))
    return Status::out_of_bounds;
  if (add_overflow(offset, e.lo, &lo) || add_overflow(offset, e.hi, &hi)) return Status::overflow;
  if (lo < 0 || hi >= size) return Status::out_of_bounds;
  return Status::ok;
}

char *element_address(const Slice &s, const int64_t *index) {
  char *p = s.data;
  for (int d = 0; d < s.ndim; ++d) {
    p += index[d] * s.strides[d];
    if (s.suboffsets[d] >= 0) {
      char *next;
      std::memcpy(&next, p, sizeof next);  // pointer tables need not be aligned
      p = next + s.suboffsets[d];
    }
  }
  return p;
}

void slice_indices(int64_t length, bool has_start, int64_t start, bool has_stop, int64_t stop,
                   bool has_step, int64_t step, int64_t *out_start, int64_t *out_step,
                   int64_t *out_len) {
  if (!has_step) step = 1;
  if (step < -INT64_MAX) step = -INT64_MAX;  // keeps -step representable
  const bool neg = step < 0;
  const int64_t lower = neg ? -1 : 0;
  const int64_t upper = neg ? length - 1 : length;
  auto clamp = [&](bool has, int64_t v, int64_t dflt) {
    if (!has) return dflt;
    if (v < 0) {
      v += length;
      return v < lower ? lower : v;
    }
    return v > upper ? upper : v;
  };
  start = clamp(has_start, start, neg ? upper : lower);
  stop = clamp(has_stop, stop, neg ? lower : upper);
  int64_t len = 0;
  if (neg ? stop < start : start < stop) {
    // Written to avoid overflow: distance and step have the same sign here.
    len = neg ? (start - stop - 1) / (-step) + 1 : (stop - start - 1) / step + 1;
  }
  *out_start = start;
  *out_step = step;
  *out_len = len;
}

}  // namespace mv
