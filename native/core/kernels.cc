// Bulk kernels: see kernels.h for the contract and iterate.h for the memory-order walk.
//
// Layout of this file:
//   1. element types, loads/stores, half precision, conversions
//   2. descriptor checks, byte footprints (overlap), temporaries
//   3. fill, assign
//   4. cast
//   5. reductions (whole array and along one axis)
//   6. elementwise binary operations
// Each public entry point validates its descriptors, switches once on the format code to a
// template instantiation, and hands a kernel functor to detail::run, which calls it on 1-d runs.
// Every functor has a unit-stride loop (the one the compiler vectorizes) next to its strided loop.
#include "kernels.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <type_traits>

#include "iterate.h"

// GCC fully unrolls a short fixed-trip loop before vectorizing, which defeats the vectorization of
// select-based loops (min/max); keeping it rolled lets the loop vectorizer take it.
#if defined(__GNUC__) && !defined(__clang__)
#define MV_NO_UNROLL _Pragma("GCC unroll 1")
#else
#define MV_NO_UNROLL
#endif

// The hot run loops are compiled twice, for x86-64's baseline and for AVX2, and the CPU picks one
// when the addon loads (GCC's target_clones through glibc's ifunc). The addon stays portable, yet
// sums, casts and elementwise loops use 256-bit vectors where the CPU has them.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__) && \
    !defined(MV_NO_MULTIVERSION)
#define MV_MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define MV_MULTIVERSION
#endif

namespace mv {

using detail::Operand;

namespace {

// =============================================================================================
// 1. Element types
// =============================================================================================

using cfloat = std::complex<float>;
using cdouble = std::complex<double>;
struct half_t {
  uint16_t bits;
};
struct bool_t {
  uint8_t v;
};
struct bytes16 {
  uint64_t w[2];
};

template <class T> constexpr bool is_cplx = std::is_same_v<T, cfloat> || std::is_same_v<T, cdouble>;
template <class T> constexpr bool is_int = std::is_integral_v<T>;        // int8 .. uint64
template <class T> constexpr bool is_real = std::is_floating_point_v<T>;  // float, double
template <class T> constexpr bool is_half = std::is_same_v<T, half_t>;
template <class T> constexpr bool is_bool = std::is_same_v<T, bool_t>;

// Loads and stores go through memcpy: any alignment, no aliasing assumptions. Compilers turn
// them into plain moves, and the unit-stride loops still vectorize.
template <class T> inline T ld(const char *p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}
template <class T> inline void st(char *p, const T &v) { std::memcpy(p, &v, sizeof(T)); }

template <class T> struct Tag {
  using type = T;
};

// Canonical code of each type (aliases l/n -> q, L/N -> Q).
template <class T> constexpr char code_of() {
  if constexpr (std::is_same_v<T, int8_t>) return 'b';
  else if constexpr (std::is_same_v<T, uint8_t>) return 'B';
  else if constexpr (std::is_same_v<T, int16_t>) return 'h';
  else if constexpr (std::is_same_v<T, uint16_t>) return 'H';
  else if constexpr (std::is_same_v<T, int32_t>) return 'i';
  else if constexpr (std::is_same_v<T, uint32_t>) return 'I';
  else if constexpr (std::is_same_v<T, int64_t>) return 'q';
  else if constexpr (std::is_same_v<T, uint64_t>) return 'Q';
  else if constexpr (is_bool<T>) return '?';
  else if constexpr (is_half<T>) return 'e';
  else if constexpr (std::is_same_v<T, float>) return 'f';
  else if constexpr (std::is_same_v<T, double>) return 'd';
  else if constexpr (std::is_same_v<T, cfloat>) return 'F';
  else return 'D';
}

char canonical(char code) {
  switch (code) {
    case 'l': case 'n': return 'q';
    case 'L': case 'N': return 'Q';
    default: return code;
  }
}

// The one switch from a format code to a type. f is called with Tag<T>.
template <class F> KStatus dispatch(char code, F &&f) {
  switch (code) {
    case 'b': return f(Tag<int8_t>{});
    case 'B': return f(Tag<uint8_t>{});
    case 'h': return f(Tag<int16_t>{});
    case 'H': return f(Tag<uint16_t>{});
    case 'i': return f(Tag<int32_t>{});
    case 'I': return f(Tag<uint32_t>{});
    case 'l': case 'q': case 'n': return f(Tag<int64_t>{});
    case 'L': case 'Q': case 'N': return f(Tag<uint64_t>{});
    case '?': return f(Tag<bool_t>{});
    case 'e': return f(Tag<half_t>{});
    case 'f': return f(Tag<float>{});
    case 'd': return f(Tag<double>{});
    case 'F': return f(Tag<cfloat>{});
    case 'D': return f(Tag<cdouble>{});
    default: return KStatus::bad_type;
  }
}

// ---- half precision ------------------------------------------------------------------------

inline float h2f(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    // zero or subnormal: mant * 2^-24, exact in float
    float f = static_cast<float>(mant) * 5.9604644775390625e-8f;
    return sign ? -f : f;
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 112u) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// Round a right shift of m by s bits to nearest, ties to even (s in [1, 63]).
inline uint64_t shift_rne(uint64_t m, int s) {
  const uint64_t q = m >> s, rem = m & ((uint64_t{1} << s) - 1), halfway = uint64_t{1} << (s - 1);
  return (rem > halfway || (rem == halfway && (q & 1))) ? q + 1 : q;
}

inline uint16_t d2h(double x) {
  uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  const uint16_t sign = static_cast<uint16_t>((b >> 48) & 0x8000u);
  const uint64_t mant = b & ((uint64_t{1} << 52) - 1);
  const int e = static_cast<int>((b >> 52) & 0x7ff) - 1023;
  if (e == 1024) {  // inf or NaN (NaN stays quiet NaN, keeping the payload's top bits)
    if (mant == 0) return sign | 0x7c00u;
    return static_cast<uint16_t>(sign | 0x7e00u | (mant >> 42));
  }
  if (e >= 16) return sign | 0x7c00u;  // >= 65536: overflow
  if (e >= -14) {
    // normal half; a carry out of the mantissa moves into the exponent (and 0x7c00 = inf)
    const uint64_t q = shift_rne(mant, 42);
    return static_cast<uint16_t>(sign | ((static_cast<uint64_t>(e + 15) << 10) + q));
  }
  if (e < -25) return sign;  // below half the smallest subnormal (also double subnormals, 0)
  // subnormal half: value = (2^52 + mant) * 2^(e - 52), in units of 2^-24: shift by 28 - e
  const uint64_t q = shift_rne((uint64_t{1} << 52) | mant, 28 - e);
  return static_cast<uint16_t>(sign | q);  // q == 0x400 is the smallest normal: still right
}

// ---- conversions (cast semantics, see kernels.h) ---------------------------------------------

constexpr double pow2(int e) {
  double r = 1;
  while (e-- > 0) r *= 2;
  return r;
}

// float -> integer: truncation toward zero, NaN -> 0, saturating outside the range.
template <class I, class F> inline I saturate(F x) {
  constexpr F lo = static_cast<F>(std::numeric_limits<I>::min());        // 0 or -2^(bits-1)
  constexpr F hi = static_cast<F>(pow2(std::numeric_limits<I>::digits));  // 2^bits or 2^(bits-1)
  if (x != x) return 0;
  if (x <= lo) return std::numeric_limits<I>::min();
  if (x >= hi) return std::numeric_limits<I>::max();
  return static_cast<I>(x);
}

template <class To, class From> inline To convert(From x) {
  if constexpr (std::is_same_v<To, From>) {
    if constexpr (is_bool<To>) return bool_t{static_cast<uint8_t>(x.v != 0)};
    else return x;
  } else if constexpr (is_cplx<From>) {
    if constexpr (is_cplx<To>) {
      using V = typename To::value_type;
      return To(static_cast<V>(x.real()), static_cast<V>(x.imag()));
    } else if constexpr (is_bool<To>) {
      return bool_t{static_cast<uint8_t>(x.real() != 0 || x.imag() != 0)};
    } else {
      return convert<To>(x.real());
    }
  } else if constexpr (is_bool<From>) {
    return convert<To>(static_cast<uint8_t>(x.v != 0));
  } else if constexpr (is_half<From>) {
    return convert<To>(h2f(x.bits));
  } else if constexpr (is_cplx<To>) {  // From: integer, float or double
    using V = typename To::value_type;
    return To(convert<V>(x), V(0));
  } else if constexpr (is_bool<To>) {
    return bool_t{static_cast<uint8_t>(x != 0)};
  } else if constexpr (is_half<To>) {
    return half_t{d2h(static_cast<double>(x))};
  } else if constexpr (is_int<To> && is_real<From>) {
    return saturate<To>(x);
  } else {
    return static_cast<To>(x);  // int <-> int (wraps), int -> float, float <-> double
  }
}

template <class T> inline double to_f64(T x) {
  if constexpr (is_half<T>) return h2f(x.bits);
  else if constexpr (is_bool<T>) return x.v != 0 ? 1.0 : 0.0;
  else return static_cast<double>(x);
}

// =============================================================================================
// 2. Descriptor checks, footprints, temporaries
// =============================================================================================

constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();

inline bool mul_ok(int64_t a, int64_t b, int64_t *r) {  // a, b >= 0
  if (a != 0 && b > kI64Max / a) return false;
  *r = a * b;
  return true;
}

// ndim in range, itemsize > 0, extents >= 0, and the element count (times itemsize) and the sum
// of |stride| * (extent - 1) fit in int64, so every offset the walk forms is representable.
bool geometry_ok(const Slice &s) {
  if (s.ndim < 0 || s.ndim > kMaxDims || s.itemsize <= 0) return false;
  int64_t count = 1, span = s.itemsize;
  for (int d = 0; d < s.ndim; ++d) {
    const int64_t n = s.shape[d];
    if (n < 0) return false;
    if (!mul_ok(count, n, &count)) return false;
    if (n > 0) {
      const int64_t st = s.strides[d];
      if (st == std::numeric_limits<int64_t>::min()) return false;
      int64_t t;
      if (!mul_ok(st < 0 ? -st : st, n - 1, &t) || t > kI64Max - span) return false;
      span += t;
    }
  }
  int64_t bytes;
  return mul_ok(count, s.itemsize, &bytes);
}

int64_t element_count(const Slice &s) {  // after geometry_ok
  int64_t c = 1;
  for (int d = 0; d < s.ndim; ++d) c *= s.shape[d];
  return c;
}

bool has_pointers(const Slice &s) {
  for (int d = 0; d < s.ndim; ++d)
    if (s.suboffsets[d] >= 0) return true;
  return false;
}

bool same_shape(const Slice &a, const Slice &b) {
  if (a.ndim != b.ndim) return false;
  for (int d = 0; d < a.ndim; ++d)
    if (a.shape[d] != b.shape[d]) return false;
  return true;
}

Operand operand(const Slice &s) { return Operand{s.data, s.strides, s.suboffsets}; }

// The two descriptors address the same elements in the same order (so an elementwise operation
// from one into the other can run in place).
bool same_slice(const Slice &x, const Slice &y) {
  if (x.data != y.data || x.itemsize != y.itemsize || !same_shape(x, y)) return false;
  for (int d = 0; d < x.ndim; ++d) {
    const bool px = x.suboffsets[d] >= 0, py = y.suboffsets[d] >= 0;
    if (px != py || (px && x.suboffsets[d] != y.suboffsets[d])) return false;
    if (x.shape[d] > 1 && x.strides[d] != y.strides[d]) return false;
  }
  return true;
}

// ---- byte footprints -------------------------------------------------------------------------

struct Range {
  uintptr_t lo, hi;  // [lo, hi)
};

// A set of byte ranges; past kMaxRanges it degrades to the bounding range (conservative).
class Ranges {
 public:
  static constexpr int64_t kMaxRanges = 65536;
  Ranges() = default;
  Ranges(const Ranges &) = delete;
  Ranges &operator=(const Ranges &) = delete;
  ~Ranges() {
    if (v_ != inline_) std::free(v_);
  }

  bool add(uintptr_t lo, uintptr_t hi) {
    if (lo >= hi) return true;
    if (n_ == kMaxRanges) {
      Range b = v_[0];
      for (int64_t i = 1; i < n_; ++i) b = Range{std::min(b.lo, v_[i].lo), std::max(b.hi, v_[i].hi)};
      v_[0] = b;
      n_ = 1;
      collapsed_ = true;
    }
    if (collapsed_) {
      v_[0] = Range{std::min(v_[0].lo, lo), std::max(v_[0].hi, hi)};
      return true;
    }
    if (n_ == cap_) {
      const int64_t cap = cap_ * 4 > kMaxRanges ? kMaxRanges : cap_ * 4;
      Range *nv = static_cast<Range *>(std::malloc(static_cast<size_t>(cap) * sizeof(Range)));
      if (!nv) return false;
      std::memcpy(nv, v_, static_cast<size_t>(n_) * sizeof(Range));
      if (v_ != inline_) std::free(v_);
      v_ = nv;
      cap_ = cap;
    }
    v_[n_++] = Range{lo, hi};
    return true;
  }

  void normalize() {  // sort and merge
    std::sort(v_, v_ + n_, [](const Range &a, const Range &b) { return a.lo < b.lo; });
    int64_t r = 0;
    for (int64_t i = 0; i < n_; ++i) {
      if (r > 0 && v_[i].lo <= v_[r - 1].hi) v_[r - 1].hi = std::max(v_[r - 1].hi, v_[i].hi);
      else v_[r++] = v_[i];
    }
    n_ = r;
  }

  bool intersects(const Ranges &o) const {  // both normalized
    int64_t i = 0, j = 0;
    while (i < n_ && j < o.n_) {
      if (v_[i].hi <= o.v_[j].lo) ++i;
      else if (o.v_[j].hi <= v_[i].lo) ++j;
      else return true;
    }
    return false;
  }

 private:
  Range inline_[4];
  Range *v_ = inline_;
  int64_t n_ = 0, cap_ = 4;
  bool collapsed_ = false;
};

inline uintptr_t addr(const char *p, int64_t off) {
  return reinterpret_cast<uintptr_t>(p) + static_cast<uintptr_t>(off);  // wraps like the pointer
}

// The bytes a non-empty slice touches: every element, and when `tables` the pointer slots read
// on the way (a reader's footprint; a writer only writes elements).
bool footprint(const Slice &s, bool tables, Ranges &r) {
  int last_ptr = -1;
  for (int d = 0; d < s.ndim; ++d)
    if (s.suboffsets[d] >= 0) last_ptr = d;
  int64_t lo = 0, hi = s.itemsize;  // tail extent relative to a row's base
  for (int d = last_ptr + 1; d < s.ndim; ++d) {
    const int64_t t = (s.shape[d] - 1) * s.strides[d];
    if (t < 0) lo += t;
    else hi += t;
  }
  if (last_ptr < 0) {
    if (!r.add(addr(s.data, lo), addr(s.data, hi))) return false;
    r.normalize();
    return true;
  }
  int64_t idx[kMaxDims] = {};
  for (;;) {
    char *p = s.data;
    for (int d = 0; d <= last_ptr; ++d) {
      p += idx[d] * s.strides[d];
      if (s.suboffsets[d] >= 0) {
        if (tables && !r.add(addr(p, 0), addr(p, sizeof(char *)))) return false;
        p = detail::load_pointer(p) + s.suboffsets[d];
      }
    }
    if (!r.add(addr(p, lo), addr(p, hi))) return false;
    int d = last_ptr;
    for (; d >= 0; --d) {
      if (++idx[d] < s.shape[d]) break;
      idx[d] = 0;
    }
    if (d < 0) break;
  }
  r.normalize();
  return true;
}

// Whether writing the elements of w can change what reading r sees (non-empty slices).
KStatus conflicts(const Slice &w, const Slice &r, bool *out) {
  Ranges a, b;
  if (!footprint(w, false, a) || !footprint(r, true, b)) return KStatus::alloc_failed;
  *out = a.intersects(b);
  return KStatus::ok;
}

// Strides for a fresh buffer over (ndim, shape) laid out in the memory order of `strides` (C order
// when `logical`); extent <= 1 axes and skip_axis get stride 0, and so do broadcast (stride 0)
// axes when share_broadcast (a copy needs each distinct element once; an accumulator needs one
// slot per index). Returns the number of elements to allocate (>= 1).
int64_t korder_layout(int ndim, const int64_t *shape, const int64_t *strides, bool logical,
                      int skip_axis, bool share_broadcast, int64_t itemsize, int64_t *out) {
  int order[kMaxDims];
  int m = 0;
  for (int d = 0; d < ndim; ++d) {
    out[d] = 0;
    if (d == skip_axis || shape[d] <= 1 || (share_broadcast && strides[d] == 0)) continue;
    int j = m++;
    if (!logical)
      for (; j > 0 && detail::abs64(strides[order[j - 1]]) < detail::abs64(strides[d]); --j)
        order[j] = order[j - 1];
    order[j] = d;
  }
  int64_t st = itemsize, count = 1;
  for (int i = m - 1; i >= 0; --i) {
    out[order[i]] = st;
    st *= shape[order[i]];
    count *= shape[order[i]];
  }
  return count;
}

Slice direct_like(int ndim, const int64_t *shape, int64_t itemsize) {
  Slice t;
  t.ndim = ndim;
  t.itemsize = itemsize;
  for (int d = 0; d < ndim; ++d) {
    t.shape[d] = shape[d];
    t.suboffsets[d] = -1;
  }
  return t;
}

// Owns a temporary buffer.
struct Temp {
  void *mem = nullptr;
  Temp() = default;
  Temp(const Temp &) = delete;
  Temp &operator=(const Temp &) = delete;
  ~Temp() { std::free(mem); }
  bool alloc(int64_t count, int64_t itemsize) {
    mem = std::malloc(static_cast<size_t>(count) * static_cast<size_t>(itemsize));
    return mem != nullptr;
  }
};

// =============================================================================================
// 3. fill and assign
// =============================================================================================

// Fill with a value of a power-of-two size S (1..16 bytes); memset when every byte is equal.
template <class S> struct FillK {
  S v;
  bool memset_ok;
  unsigned char byte;
  MV_MULTIVERSION void operator()(int64_t n, char *const *p, const int64_t *s) const {
    constexpr int64_t e = sizeof(S);
    char *d = p[0];
    if (s[0] == e) {
      if (memset_ok) {
        std::memset(d, byte, static_cast<size_t>(n * e));
        return;
      }
      for (int64_t i = 0; i < n; ++i) st<S>(d + i * e, v);
    } else {
      const int64_t sd = s[0];
      for (int64_t i = 0; i < n; ++i) st<S>(d + i * sd, v);
    }
  }
};

// Fill with a value of any size (structs): contiguous runs double a filled prefix with memcpy.
struct FillAny {
  const char *v;
  int64_t e;
  bool memset_ok;
  unsigned char byte;
  void operator()(int64_t n, char *const *p, const int64_t *s) const {
    char *d = p[0];
    const size_t es = static_cast<size_t>(e);
    if (s[0] == e) {
      if (memset_ok) {
        std::memset(d, byte, static_cast<size_t>(n) * es);
        return;
      }
      std::memcpy(d, v, es);
      for (int64_t done = 1; done < n;) {
        const int64_t c = std::min(done, n - done);
        std::memcpy(d + done * e, d, static_cast<size_t>(c) * es);
        done += c;
      }
    } else {
      for (int64_t i = 0; i < n; ++i) std::memcpy(d + i * s[0], v, es);
    }
  }
};

template <class S> struct CopyK {
  void operator()(int64_t n, char *const *p, const int64_t *s) const {
    constexpr int64_t e = sizeof(S);
    char *d = p[0];
    const char *q = p[1];
    const int64_t sd = s[0], sq = s[1];
    if (sd == e && sq == e) {
      std::memcpy(d, q, static_cast<size_t>(n * e));  // never overlapping here (see assign)
    } else if (sq == 0) {
      const S v = ld<S>(q);
      if (sd == e)
        for (int64_t i = 0; i < n; ++i) st<S>(d + i * e, v);
      else
        for (int64_t i = 0; i < n; ++i) st<S>(d + i * sd, v);
    } else if (sd == e) {
      for (int64_t i = 0; i < n; ++i) st<S>(d + i * e, ld<S>(q + i * sq));
    } else {
      for (int64_t i = 0; i < n; ++i) st<S>(d + i * sd, ld<S>(q + i * sq));
    }
  }
};

struct CopyAny {
  int64_t e;
  void operator()(int64_t n, char *const *p, const int64_t *s) const {
    const size_t es = static_cast<size_t>(e);
    if (s[0] == e && s[1] == e) std::memcpy(p[0], p[1], static_cast<size_t>(n) * es);
    else
      for (int64_t i = 0; i < n; ++i) std::memcpy(p[0] + i * s[0], p[1] + i * s[1], es);
  }
};

// Runs f over K operands sharing first's shape.
template <int K, class F>
void run_slices(const Slice &first, const Operand (&ops)[K], int64_t block_itemsize, F &&f) {
  detail::run<K>(first.ndim, first.shape, ops, block_itemsize, f);
}

// dst[...] = src as bytes, known not to overlap harmfully; cache-blocked when transposed.
void copy_bytes(const Slice &dst, const Slice &src) {
  const Operand ops[2] = {operand(dst), operand(src)};
  const int64_t e = dst.itemsize;
  switch (e) {
    case 1: return run_slices(dst, ops, e, CopyK<uint8_t>{});
    case 2: return run_slices(dst, ops, e, CopyK<uint16_t>{});
    case 4: return run_slices(dst, ops, e, CopyK<uint32_t>{});
    case 8: return run_slices(dst, ops, e, CopyK<uint64_t>{});
    case 16: return run_slices(dst, ops, e, CopyK<bytes16>{});
    default: return run_slices(dst, ops, e, CopyAny{e});
  }
}

// A temporary copy of x (same shape, its elements in x's memory order) described by *t.
KStatus copy_to_temp(const Slice &x, Temp &mem, Slice *t) {
  *t = direct_like(x.ndim, x.shape, x.itemsize);
  const int64_t count =
      korder_layout(x.ndim, x.shape, x.strides, has_pointers(x), -1, true, x.itemsize, t->strides);
  if (!mem.alloc(count, x.itemsize)) return KStatus::alloc_failed;
  t->data = static_cast<char *>(mem.mem);
  copy_bytes(*t, x);
  return KStatus::ok;
}

// If writing `out` can change what reading x sees (and they are not the same slice), replaces
// *x by a temporary copy.
KStatus detach_input(const Slice &out, const Slice &x, Temp &mem, Slice *tmp, const Slice **use) {
  *use = &x;
  if (same_slice(out, x)) return KStatus::ok;
  bool clash = false;
  const KStatus st = conflicts(out, x, &clash);
  if (st != KStatus::ok) return st;
  if (!clash) return KStatus::ok;
  const KStatus c = copy_to_temp(x, mem, tmp);
  if (c == KStatus::ok) *use = tmp;
  return c;
}

}  // namespace

const char *kstatus_text(KStatus s) {
  switch (s) {
    case KStatus::ok: return "ok";
    case KStatus::bad_type: return "unsupported element type, or itemsize does not match the format";
    case KStatus::shape_mismatch: return "operands have different shapes";
    case KStatus::indirect_unsupported: return "operation needs direct memory";
    case KStatus::alloc_failed: return "could not allocate a temporary buffer";
    case KStatus::empty_reduction: return "zero-size array to reduction operation which has no identity";
    case KStatus::bad_axis: return "axis out of range";
    case KStatus::bad_op: return "operation not supported for this element type";
    case KStatus::bad_geometry: return "invalid or overflowing slice geometry";
  }
  return "unknown status";
}

int64_t kernel_itemsize(char code) {
  switch (code) {
    case 'b': case 'B': case '?': return 1;
    case 'h': case 'H': case 'e': return 2;
    case 'i': case 'I': case 'f': return 4;
    case 'l': case 'L': case 'q': case 'Q': case 'n': case 'N': case 'd': case 'F': return 8;
    case 'D': return 16;
    default: return 0;
  }
}

float half_to_float(uint16_t h) { return h2f(h); }
uint16_t half_from_double(double x) { return d2h(x); }

KStatus fill(const Slice &dst, const void *value) {
  if (!geometry_ok(dst)) return KStatus::bad_geometry;
  const int64_t e = dst.itemsize;
  const unsigned char *v = static_cast<const unsigned char *>(value);
  bool eq = true;
  for (int64_t i = 1; i < e; ++i)
    if (v[i] != v[0]) eq = false;
  const Operand ops[1] = {operand(dst)};
  const char *val = static_cast<const char *>(value);
  switch (e) {
    case 1: run_slices(dst, ops, 0, FillK<uint8_t>{ld<uint8_t>(val), eq, v[0]}); break;
    case 2: run_slices(dst, ops, 0, FillK<uint16_t>{ld<uint16_t>(val), eq, v[0]}); break;
    case 4: run_slices(dst, ops, 0, FillK<uint32_t>{ld<uint32_t>(val), eq, v[0]}); break;
    case 8: run_slices(dst, ops, 0, FillK<uint64_t>{ld<uint64_t>(val), eq, v[0]}); break;
    case 16: run_slices(dst, ops, 0, FillK<bytes16>{ld<bytes16>(val), eq, v[0]}); break;
    default: run_slices(dst, ops, 0, FillAny{val, e, eq, v[0]}); break;
  }
  return KStatus::ok;
}

KStatus assign(const Slice &dst, const Slice &src) {
  if (!geometry_ok(dst) || !geometry_ok(src)) return KStatus::bad_geometry;
  if (dst.itemsize != src.itemsize) return KStatus::bad_type;
  if (!same_shape(dst, src)) return KStatus::shape_mismatch;
  if (element_count(dst) == 0 || same_slice(dst, src)) return KStatus::ok;
  if (!has_pointers(dst) && !has_pointers(src)) {
    // Both one contiguous run in the same element order: a memmove, overlap or not.
    const Operand ops[2] = {operand(dst), operand(src)};
    detail::Nest<2> n;
    detail::plan_axes(0, dst.ndim, dst.shape, ops, 0, n);
    const int64_t e = dst.itemsize;
    if (n.ndim == 1 && n.strides[0][0] == e && n.strides[1][0] == e) {
      std::memmove(dst.data + n.offset[0], src.data + n.offset[1],
                   static_cast<size_t>(n.shape[0] * e));
      return KStatus::ok;
    }
  }
  Temp mem;
  Slice tmp;
  const Slice *from = nullptr;
  const KStatus st = detach_input(dst, src, mem, &tmp, &from);
  if (st != KStatus::ok) return st;
  copy_bytes(dst, *from);
  return KStatus::ok;
}

// =============================================================================================
// 4. cast
// =============================================================================================

namespace {

template <class To, class From> struct CastK {
  MV_MULTIVERSION void operator()(int64_t n, char *const *p, const int64_t *s) const {
    constexpr int64_t et = sizeof(To), ef = sizeof(From);
    char *d = p[0];
    const char *q = p[1];
    if (s[0] == et && s[1] == ef) {
      for (int64_t i = 0; i < n; ++i) st<To>(d + i * et, convert<To>(ld<From>(q + i * ef)));
    } else {
      const int64_t sd = s[0], sq = s[1];
      for (int64_t i = 0; i < n; ++i) st<To>(d + i * sd, convert<To>(ld<From>(q + i * sq)));
    }
  }
};

}  // namespace

KStatus cast(const Slice &dst, char dst_code, const Slice &src, char src_code) {
  const int64_t ed = kernel_itemsize(dst_code), es = kernel_itemsize(src_code);
  if (ed == 0 || es == 0) return KStatus::bad_type;
  if (!geometry_ok(dst) || !geometry_ok(src)) return KStatus::bad_geometry;
  if (dst.itemsize != ed || src.itemsize != es) return KStatus::bad_type;
  if (!same_shape(dst, src)) return KStatus::shape_mismatch;
  // Same type: a byte copy (bool still goes through the loop, which stores canonical 0/1).
  if (canonical(dst_code) == canonical(src_code) && dst_code != '?') return assign(dst, src);
  if (element_count(dst) == 0) return KStatus::ok;
  Temp mem;
  Slice tmp;
  const Slice *from = nullptr;
  const KStatus st = detach_input(dst, src, mem, &tmp, &from);
  if (st != KStatus::ok) return st;
  const Operand ops[2] = {operand(dst), operand(*from)};
  const int64_t block = std::max(ed, es);
  return dispatch(dst_code, [&](auto tt) {
    return dispatch(src_code, [&](auto ts) {
      using To = typename decltype(tt)::type;
      using From = typename decltype(ts)::type;
      run_slices(dst, ops, block, CastK<To, From>{});
      return KStatus::ok;
    });
  });
}

// =============================================================================================
// 5. Reductions
// =============================================================================================

namespace {

template <class T> inline uint64_t widen_u64(T x) {
  if constexpr (is_bool<T>) return x.v != 0;
  else if constexpr (std::is_signed_v<T>) return static_cast<uint64_t>(static_cast<int64_t>(x));
  else return static_cast<uint64_t>(x);
}

// Wrapping integer sum of a run (the vectorizer reassociates integer adds by itself).
template <class T> MV_MULTIVERSION inline uint64_t isum_run(int64_t n, const char *p, int64_t s, uint64_t acc) {
  constexpr int64_t e = sizeof(T);
  if (s == e)
    for (int64_t i = 0; i < n; ++i) acc += widen_u64(ld<T>(p + i * e));
  else
    for (int64_t i = 0; i < n; ++i) acc += widen_u64(ld<T>(p + i * s));
  return acc;
}

// Sum of a run in double. Floating-point adds are not reassociated without -ffast-math, so the
// unit-stride loop keeps 8 independent partial sums (vectorized as 2-4 vector accumulators) and
// the strided loop 4 (hides the add latency).
template <class T> MV_MULTIVERSION inline double fsum_run(int64_t n, const char *p, int64_t s, double acc) {
  constexpr int64_t e = sizeof(T);
  double a[8] = {acc, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  if (s == e) {
    for (; i + 8 <= n; i += 8) {
      const char *q = p + i * e;
      for (int j = 0; j < 8; ++j) a[j] += to_f64(ld<T>(q + j * e));
    }
    for (; i < n; ++i) a[0] += to_f64(ld<T>(p + i * e));
  } else {
    for (; i + 4 <= n; i += 4)
      for (int j = 0; j < 4; ++j) a[j] += to_f64(ld<T>(p + (i + j) * s));
    for (; i < n; ++i) a[0] += to_f64(ld<T>(p + i * s));
  }
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

// Complex sum of a run in complex double; a unit-stride run is 2n reals summed pairwise.
template <class C> MV_MULTIVERSION inline cdouble csum_run(int64_t n, const char *p, int64_t s, cdouble acc) {
  using V = typename C::value_type;
  constexpr int64_t e = sizeof(C), ev = sizeof(V);
  double a[8] = {acc.real(), acc.imag(), 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  if (s == e) {
    for (; i + 4 <= n; i += 4) {
      const char *q = p + i * e;
      for (int j = 0; j < 8; ++j) a[j] += static_cast<double>(ld<V>(q + j * ev));
    }
  }
  for (; i < n; ++i) {
    const C x = ld<C>(p + i * s);
    a[0] += static_cast<double>(x.real());
    a[1] += static_cast<double>(x.imag());
  }
  return cdouble((a[0] + a[2]) + (a[4] + a[6]), (a[1] + a[3]) + (a[5] + a[7]));
}

inline bool cnan(const cfloat &x) { return x.real() != x.real() || x.imag() != x.imag(); }
inline bool cnan(const cdouble &x) { return x.real() != x.real() || x.imag() != x.imag(); }

// One step of a NaN-propagating min (Max = false) or max: a is the running value.
template <class T, bool Max> inline T mm_step(T a, T x) {
  if constexpr (is_int<T>) {
    if constexpr (Max) return x > a ? x : a;
    else return x < a ? x : a;
  } else if constexpr (is_bool<T>) {
    const bool xa = a.v != 0, xb = x.v != 0;
    return bool_t{static_cast<uint8_t>(Max ? (xa | xb) : (xa & xb))};
  } else if constexpr (is_real<T>) {
    const bool take = (Max ? (x > a) : (x < a)) | (x != x);
    return take ? x : a;
  } else if constexpr (is_half<T>) {
    const float fa = h2f(a.bits), fx = h2f(x.bits);
    const bool take = (Max ? (fx > fa) : (fx < fa)) | (fx != fx);
    return take ? x : a;
  } else {  // complex: lexicographic, the first NaN sticks
    if (cnan(a)) return a;
    if (cnan(x)) return x;
    const bool better = Max ? (x.real() > a.real() || (x.real() == a.real() && x.imag() > a.imag()))
                            : (x.real() < a.real() || (x.real() == a.real() && x.imag() < a.imag()));
    return better ? x : a;
  }
}

template <class T, bool Max> MV_MULTIVERSION inline T mm_run(int64_t n, const char *p, int64_t s, T acc) {
  constexpr int64_t e = sizeof(T);
  if constexpr (is_real<T>) {
    if (s == e) {
      // 8 running extrema and 8 NaN catchers, each a compare-and-select that vectorizes (minpd,
      // cmpunordpd); a NaN start value stays in a[] and wins the final fold.
      T a[8], z[8];
      for (int j = 0; j < 8; ++j) {
        a[j] = acc;
        z[j] = 0;
      }
      int64_t i = 0;
      for (; i + 8 <= n; i += 8) {
        const char *q = p + i * e;
        MV_NO_UNROLL for (int j = 0; j < 8; ++j) {
          const T x = ld<T>(q + j * e);
          a[j] = (Max ? x > a[j] : x < a[j]) ? x : a[j];
          z[j] = x != x ? x : z[j];
        }
      }
      for (; i < n; ++i) a[0] = mm_step<T, Max>(a[0], ld<T>(p + i * e));
      for (int j = 1; j < 8; ++j) a[0] = mm_step<T, Max>(a[0], a[j]);
      for (int j = 0; j < 8; ++j)
        if (z[j] != z[j]) return z[j];
      return a[0];
    }
    for (int64_t i = 0; i < n; ++i) acc = mm_step<T, Max>(acc, ld<T>(p + i * s));
    return acc;
  } else if constexpr (is_half<T>) {
    float best = h2f(acc.bits);
    for (int64_t i = 0; i < n; ++i) {
      const half_t x = ld<half_t>(p + i * s);
      const float f = h2f(x.bits);
      if ((Max ? (f > best) : (f < best)) | (f != f)) {
        best = f;
        acc = x;
      }
    }
    return acc;
  } else {
    if (s == e)
      for (int64_t i = 0; i < n; ++i) acc = mm_step<T, Max>(acc, ld<T>(p + i * e));
    else
      for (int64_t i = 0; i < n; ++i) acc = mm_step<T, Max>(acc, ld<T>(p + i * s));
    return acc;
  }
}

template <class T> Scalar scalar_of(T x) {
  Scalar r;
  if constexpr (is_bool<T>) {
    r.kind = Scalar::boolean;
    r.i = x.v != 0;
  } else if constexpr (is_int<T> && std::is_signed_v<T>) {
    r.kind = Scalar::i64;
    r.i = x;
  } else if constexpr (is_int<T>) {
    r.kind = Scalar::u64;
    r.u = x;
  } else if constexpr (is_cplx<T>) {
    r.kind = Scalar::c128;
    r.re = static_cast<double>(x.real());
    r.im = static_cast<double>(x.imag());
  } else {
    r.kind = Scalar::f64;
    r.f = to_f64(x);
  }
  return r;
}

// The reduction operations: accumulator type and code, identity, one step, one run, result.
template <class T> struct SumOp {
  using Elem = T;
  static constexpr bool is_mean = false;
  using Acc = std::conditional_t<is_cplx<T>, cdouble,
                                 std::conditional_t<is_int<T> || is_bool<T>, uint64_t, double>>;
  static constexpr char acc_code = is_cplx<T> ? 'D'
                                   : is_bool<T> ? 'q'
                                   : (is_int<T> && std::is_unsigned_v<T>) ? 'Q'
                                   : is_int<T> ? 'q' : 'd';
  static Acc init() { return Acc{}; }
  static Acc step(Acc a, T x) {
    if constexpr (is_cplx<T>) return a + cdouble(x.real(), x.imag());
    else if constexpr (is_int<T> || is_bool<T>) return a + widen_u64(x);
    else return a + to_f64(x);
  }
  static Acc run(int64_t n, const char *p, int64_t s, Acc a) {
    if constexpr (is_cplx<T>) return csum_run<T>(n, p, s, a);
    else if constexpr (is_int<T> || is_bool<T>) return isum_run<T>(n, p, s, a);
    else return fsum_run<T>(n, p, s, a);
  }
  static Scalar result(Acc a, int64_t) {
    if constexpr (acc_code == 'q') return scalar_of(static_cast<int64_t>(a));
    else return scalar_of(a);
  }
};

template <class T> struct MeanOp {
  using Elem = T;
  static constexpr bool is_mean = true;
  using Acc = std::conditional_t<is_cplx<T>, cdouble, double>;
  static constexpr char acc_code = is_cplx<T> ? 'D' : 'd';
  static Acc init() { return Acc{}; }
  static Acc step(Acc a, T x) {
    if constexpr (is_cplx<T>) return a + cdouble(x.real(), x.imag());
    else return a + to_f64(x);
  }
  static Acc run(int64_t n, const char *p, int64_t s, Acc a) {
    if constexpr (is_cplx<T>) return csum_run<T>(n, p, s, a);
    else return fsum_run<T>(n, p, s, a);
  }
  static Acc divide(Acc a, int64_t count) {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    if (count == 0) {
      if constexpr (is_cplx<T>) return cdouble(nan, nan);
      else return nan;
    }
    const double c = static_cast<double>(count);
    if constexpr (is_cplx<T>) return cdouble(a.real() / c, a.imag() / c);
    else return a / c;
  }
  static Scalar result(Acc a, int64_t count) { return scalar_of(divide(a, count)); }
};

template <class T, bool Max> struct MinMaxOp {
  using Elem = T;
  static constexpr bool is_mean = false;
  using Acc = T;
  static constexpr char acc_code = code_of<T>();
  static Acc init() {  // the identity: every element is at least as good
    if constexpr (is_int<T>) return Max ? std::numeric_limits<T>::min() : std::numeric_limits<T>::max();
    else if constexpr (is_bool<T>) return bool_t{static_cast<uint8_t>(Max ? 0 : 1)};
    else if constexpr (is_half<T>) return half_t{static_cast<uint16_t>(Max ? 0xfc00u : 0x7c00u)};
    else if constexpr (is_real<T>) return Max ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
    else {
      using V = typename T::value_type;
      const V inf = Max ? -std::numeric_limits<V>::infinity() : std::numeric_limits<V>::infinity();
      return T(inf, inf);
    }
  }
  static Acc step(Acc a, T x) { return mm_step<T, Max>(a, x); }
  static Acc run(int64_t n, const char *p, int64_t s, Acc a) { return mm_run<T, Max>(n, p, s, a); }
  static Scalar result(Acc a, int64_t) { return scalar_of(a); }
};

template <class Op> struct ReduceK {
  typename Op::Acc acc;
  void operator()(int64_t n, char *const *p, const int64_t *s) { acc = Op::run(n, p[0], s[0], acc); }
};

template <class Op> KStatus reduce_all(const Slice &s, int64_t count, Scalar *out) {
  ReduceK<Op> f{Op::init()};
  const Operand ops[1] = {operand(s)};
  run_slices(s, ops, 0, f);
  *out = Op::result(f.acc, count);
  return KStatus::ok;
}

// Operand 0: the input; operand 1: the accumulators (stride 0 along the reduced axis).
template <class Op> struct AxisK {
  void operator()(int64_t n, char *const *p, const int64_t *s) const {
    using T = typename Op::Elem;
    using A = typename Op::Acc;
    constexpr int64_t e = sizeof(T), ea = sizeof(A);
    const char *x = p[0];
    char *a = p[1];
    if (s[1] == 0) {
      st<A>(a, Op::run(n, x, s[0], ld<A>(a)));
    } else if (s[0] == e && s[1] == ea) {
      for (int64_t i = 0; i < n; ++i) st<A>(a + i * ea, Op::step(ld<A>(a + i * ea), ld<T>(x + i * e)));
    } else {
      const int64_t sx = s[0], sa = s[1];
      for (int64_t i = 0; i < n; ++i) st<A>(a + i * sa, Op::step(ld<A>(a + i * sa), ld<T>(x + i * sx)));
    }
  }
};

template <class A> struct DivideK {
  int64_t count;
  void operator()(int64_t n, char *const *p, const int64_t *s) const {
    const double c = static_cast<double>(count);
    for (int64_t i = 0; i < n; ++i) {
      char *q = p[0] + i * s[0];
      if constexpr (std::is_same_v<A, cdouble>) {
        const A v = ld<A>(q);
        st<A>(q, A(v.real() / c, v.imag() / c));
      } else {
        st<A>(q, ld<A>(q) / c);
      }
    }
  }
};

template <class Op>
KStatus reduce_along(const Slice &s, int axis, const Slice &out, char out_code) {
  using A = typename Op::Acc;
  constexpr int64_t ea = sizeof(A);
  const int64_t n = s.shape[axis];
  // The accumulators: out itself when it has the accumulator type, is direct, broadcasts no axis
  // and cannot clash with s; otherwise a temporary laid out in s's memory order.
  int64_t full[kMaxDims];  // accumulator strides over s's axes, 0 along `axis`
  Slice acc = direct_like(out.ndim, out.shape, ea);
  Temp mem;
  bool into_out = canonical(out_code) == Op::acc_code && !has_pointers(out);
  for (int d = 0; d < out.ndim; ++d)
    if (out.shape[d] > 1 && out.strides[d] == 0) into_out = false;  // one slot per result
  if (into_out) {
    bool clash = false;
    const KStatus st = conflicts(out, s, &clash);
    if (st != KStatus::ok) return st;
    into_out = !clash;
  }
  if (into_out) {
    acc.data = out.data;
    for (int d = 0, o = 0; d < s.ndim; ++d) full[d] = d == axis ? 0 : out.strides[o++];
  } else {
    const int64_t count =
        korder_layout(s.ndim, s.shape, s.strides, has_pointers(s), axis, false, ea, full);
    if (!mem.alloc(count, ea)) return KStatus::alloc_failed;
    acc.data = static_cast<char *>(mem.mem);
  }
  for (int d = 0, o = 0; d < s.ndim; ++d)
    if (d != axis) acc.strides[o++] = full[d];
  const A identity = Op::init();
  KStatus st = fill(acc, &identity);
  if (st != KStatus::ok) return st;
  const Operand ops[2] = {operand(s), Operand{acc.data, full, nullptr}};
  run_slices(s, ops, 0, AxisK<Op>{});
  if constexpr (Op::is_mean) {
    if (n == 0) {
      const A nan = Op::divide(A{}, 0);
      st = fill(acc, &nan);
      if (st != KStatus::ok) return st;
    } else {
      const Operand aop[1] = {operand(acc)};
      run_slices(acc, aop, 0, DivideK<A>{n});
    }
  }
  if (into_out) return KStatus::ok;
  return cast(out, out_code, acc, Op::acc_code);
}

}  // namespace

char reduce_result_code(char code, ReduceOp op) {
  if (kernel_itemsize(code) == 0) return 0;
  const char c = canonical(code);
  const bool cplx = c == 'F' || c == 'D';
  switch (op) {
    case ReduceOp::sum:
      if (cplx) return 'D';
      if (c == 'e' || c == 'f' || c == 'd') return 'd';
      if (c == 'B' || c == 'H' || c == 'I' || c == 'Q') return 'Q';
      return 'q';
    case ReduceOp::mean: return cplx ? 'D' : 'd';
    case ReduceOp::min:
    case ReduceOp::max: return c;
  }
  return 0;
}

KStatus reduce(const Slice &s, char code, ReduceOp op, Scalar *out) {
  const int64_t e = kernel_itemsize(code);
  if (e == 0) return KStatus::bad_type;
  if (!geometry_ok(s)) return KStatus::bad_geometry;
  if (s.itemsize != e) return KStatus::bad_type;
  if (op != ReduceOp::sum && op != ReduceOp::min && op != ReduceOp::max && op != ReduceOp::mean)
    return KStatus::bad_op;
  const int64_t count = element_count(s);
  if (count == 0 && (op == ReduceOp::min || op == ReduceOp::max)) return KStatus::empty_reduction;
  return dispatch(code, [&](auto tag) {
    using T = typename decltype(tag)::type;
    switch (op) {
      case ReduceOp::sum: return reduce_all<SumOp<T>>(s, count, out);
      case ReduceOp::mean: return reduce_all<MeanOp<T>>(s, count, out);
      case ReduceOp::min: return reduce_all<MinMaxOp<T, false>>(s, count, out);
      case ReduceOp::max: return reduce_all<MinMaxOp<T, true>>(s, count, out);
    }
    return KStatus::bad_op;
  });
}

KStatus reduce_axis(const Slice &s, char code, int axis, ReduceOp op, const Slice &out,
                    char out_code) {
  const int64_t e = kernel_itemsize(code), eo = kernel_itemsize(out_code);
  if (e == 0 || eo == 0) return KStatus::bad_type;
  if (!geometry_ok(s) || !geometry_ok(out)) return KStatus::bad_geometry;
  if (s.itemsize != e || out.itemsize != eo) return KStatus::bad_type;
  if (op != ReduceOp::sum && op != ReduceOp::min && op != ReduceOp::max && op != ReduceOp::mean)
    return KStatus::bad_op;
  if (axis < 0 || axis >= s.ndim) return KStatus::bad_axis;
  if (out.ndim != s.ndim - 1) return KStatus::shape_mismatch;
  for (int d = 0, o = 0; d < s.ndim; ++d)
    if (d != axis && s.shape[d] != out.shape[o++]) return KStatus::shape_mismatch;
  if (element_count(out) == 0) return KStatus::ok;
  if (s.shape[axis] == 0 && (op == ReduceOp::min || op == ReduceOp::max))
    return KStatus::empty_reduction;
  return dispatch(code, [&](auto tag) {
    using T = typename decltype(tag)::type;
    switch (op) {
      case ReduceOp::sum: return reduce_along<SumOp<T>>(s, axis, out, out_code);
      case ReduceOp::mean: return reduce_along<MeanOp<T>>(s, axis, out, out_code);
      case ReduceOp::min: return reduce_along<MinMaxOp<T, false>>(s, axis, out, out_code);
      case ReduceOp::max: return reduce_along<MinMaxOp<T, true>>(s, axis, out, out_code);
    }
    return KStatus::bad_op;
  });
}

// =============================================================================================
// 6. Elementwise binary operations
// =============================================================================================

namespace {

// Integer add/sub/mul in the unsigned type of at least int's width: wraps, never UB.
template <class T> using wide_unsigned_t =
    std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;

template <class F> inline F npy_divmod(F a, F b, F *modulus) {
  F mod = std::fmod(a, b);
  if (b == 0) {
    *modulus = mod;
    return a / b;
  }
  F div = (a - mod) / b;
  if (mod != 0) {
    if ((b < 0) != (mod < 0)) {
      mod += b;
      div -= F(1);
    }
  } else {
    mod = std::copysign(F(0), b);
  }
  F floordiv;
  if (div != 0) {
    floordiv = std::floor(div);
    if (div - floordiv > F(0.5)) floordiv += F(1);
  } else {
    floordiv = std::copysign(F(0), a / b);
  }
  *modulus = mod;
  return floordiv;
}

// Real-valued op through float for half precision, rounded once.
template <class T, class G> inline T via_float(T a, T b, G g) {
  if constexpr (is_half<T>) return half_t{d2h(static_cast<double>(g(h2f(a.bits), h2f(b.bits))))};
  else return g(a, b);
}

struct AddOp {
  template <class T> static constexpr bool ok = true;
  template <class T> static T f(T a, T b) {
    if constexpr (is_int<T>) return static_cast<T>(wide_unsigned_t<T>(a) + wide_unsigned_t<T>(b));
    else if constexpr (is_bool<T>) return bool_t{static_cast<uint8_t>((a.v != 0) | (b.v != 0))};
    else if constexpr (is_cplx<T>) return T(a.real() + b.real(), a.imag() + b.imag());
    else return via_float(a, b, [](auto x, auto y) { return x + y; });
  }
};

struct SubOp {
  template <class T> static constexpr bool ok = !is_bool<T>;
  template <class T> static T f(T a, T b) {
    if constexpr (is_int<T>) return static_cast<T>(wide_unsigned_t<T>(a) - wide_unsigned_t<T>(b));
    else if constexpr (is_cplx<T>) return T(a.real() - b.real(), a.imag() - b.imag());
    else return via_float(a, b, [](auto x, auto y) { return x - y; });
  }
};

struct MulOp {
  template <class T> static constexpr bool ok = true;
  template <class T> static T f(T a, T b) {
    if constexpr (is_int<T>) return static_cast<T>(wide_unsigned_t<T>(a) * wide_unsigned_t<T>(b));
    else if constexpr (is_bool<T>) return bool_t{static_cast<uint8_t>((a.v != 0) & (b.v != 0))};
    else if constexpr (is_cplx<T>)
      return T(a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real());
    else return via_float(a, b, [](auto x, auto y) { return x * y; });
  }
};

struct DivOp {
  template <class T> static constexpr bool ok = is_real<T> || is_half<T> || is_cplx<T>;
  template <class T> static T f(T a, T b) {
    if constexpr (is_cplx<T>) {  // Smith's algorithm, as NumPy
      using V = typename T::value_type;
      const V ar = a.real(), ai = a.imag(), br = b.real(), bi = b.imag();
      const V abr = std::fabs(br), abi = std::fabs(bi);
      if (abr >= abi) {
        if (abr == 0 && abi == 0) return T(ar / abr, ai / abr);
        const V rat = bi / br, scl = V(1) / (br + bi * rat);
        return T((ar + ai * rat) * scl, (ai - ar * rat) * scl);
      }
      const V rat = br / bi, scl = V(1) / (bi + br * rat);
      return T((ar * rat + ai) * scl, (ai * rat - ar) * scl);
    } else {
      return via_float(a, b, [](auto x, auto y) { return x / y; });
    }
  }
};

struct FloorDivOp {
  template <class T> static constexpr bool ok = is_int<T> || is_real<T> || is_half<T>;
  template <class T> static T f(T a, T b) {
    if constexpr (is_int<T>) {
      if (b == 0) return 0;
      if constexpr (std::is_signed_v<T>) {
        if (b == -1) return static_cast<T>(wide_unsigned_t<T>(0) - wide_unsigned_t<T>(a));
        T q = static_cast<T>(a / b);
        if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
        return q;
      } else {
        return static_cast<T>(a / b);
      }
    } else {
      return via_float(a, b, [](auto x, auto y) {
        decltype(x) m;
        return npy_divmod(x, y, &m);
      });
    }
  }
};

struct ModOp {
  template <class T> static constexpr bool ok = is_int<T> || is_real<T> || is_half<T>;
  template <class T> static T f(T a, T b) {
    if constexpr (is_int<T>) {
      if (b == 0) return 0;
      if constexpr (std::is_signed_v<T>) {
        if (b == -1) return 0;
        T r = static_cast<T>(a % b);
        if (r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
        return r;
      } else {
        return static_cast<T>(a % b);
      }
    } else {
      return via_float(a, b, [](auto x, auto y) {
        decltype(x) m;
        npy_divmod(x, y, &m);
        return m;
      });
    }
  }
};

template <bool Max> struct MinMaxBinOp {
  template <class T> static constexpr bool ok = true;
  template <class T> static T f(T a, T b) {
    if constexpr (is_int<T>) {
      return Max ? (a >= b ? a : b) : (a <= b ? a : b);
    } else if constexpr (is_bool<T>) {
      return bool_t{static_cast<uint8_t>(Max ? ((a.v != 0) | (b.v != 0)) : ((a.v != 0) & (b.v != 0)))};
    } else if constexpr (is_real<T>) {  // np.minimum: a if a <= b or a is NaN, else b
      return ((Max ? a >= b : a <= b) | (a != a)) ? a : b;
    } else if constexpr (is_half<T>) {
      const float x = h2f(a.bits), y = h2f(b.bits);
      return ((Max ? x >= y : x <= y) | (x != x)) ? a : b;
    } else {  // NumPy's CGE / CLE: a NaN part in b never loses to a plain a
      const bool b_nan = cnan(b);
      const bool keep_a = Max ? ((a.real() > b.real() && !b_nan) || (a.real() == b.real() && a.imag() >= b.imag()))
                              : ((a.real() < b.real() && !b_nan) || (a.real() == b.real() && a.imag() <= b.imag()));
      return (keep_a || cnan(a)) ? a : b;
    }
  }
};

// Operands: 0 out, 1 a, 2 b. Unit-stride loops for the common shapes: all contiguous, and a
// contiguous side with a scalar (stride 0) other side; in place (out == a) loops read and write
// through one pointer so no alias check is needed.
template <class T, class Op> struct BinK {
  MV_MULTIVERSION void operator()(int64_t n, char *const *p, const int64_t *s) const {
    constexpr int64_t e = sizeof(T);
    char *o = p[0];
    const char *a = p[1], *b = p[2];
    if (s[0] == e) {
      if (s[1] == e && s[2] == e) {
        if (o == a) {
          for (int64_t i = 0; i < n; ++i) st<T>(o + i * e, Op::template f<T>(ld<T>(o + i * e), ld<T>(b + i * e)));
        } else {
          for (int64_t i = 0; i < n; ++i) st<T>(o + i * e, Op::template f<T>(ld<T>(a + i * e), ld<T>(b + i * e)));
        }
        return;
      }
      if (s[1] == e && s[2] == 0) {
        const T y = ld<T>(b);
        if (o == a) {
          for (int64_t i = 0; i < n; ++i) st<T>(o + i * e, Op::template f<T>(ld<T>(o + i * e), y));
        } else {
          for (int64_t i = 0; i < n; ++i) st<T>(o + i * e, Op::template f<T>(ld<T>(a + i * e), y));
        }
        return;
      }
      if (s[1] == 0 && s[2] == e) {
        const T x = ld<T>(a);
        for (int64_t i = 0; i < n; ++i) st<T>(o + i * e, Op::template f<T>(x, ld<T>(b + i * e)));
        return;
      }
    }
    const int64_t so = s[0], sa = s[1], sb = s[2];
    for (int64_t i = 0; i < n; ++i)
      st<T>(o + i * so, Op::template f<T>(ld<T>(a + i * sa), ld<T>(b + i * sb)));
  }
};

template <class T, class Op>
KStatus binary_with(const Slice &out, const Slice &a, const Slice &b) {
  if constexpr (!Op::template ok<T>) {
    return KStatus::bad_op;
  } else {
    if (element_count(out) == 0) return KStatus::ok;
    Temp ma, mb;
    Slice ta, tb;
    const Slice *ua = nullptr, *ub = nullptr;
    KStatus st = detach_input(out, a, ma, &ta, &ua);
    if (st != KStatus::ok) return st;
    st = detach_input(out, b, mb, &tb, &ub);
    if (st != KStatus::ok) return st;
    const Operand ops[3] = {operand(out), operand(*ua), operand(*ub)};
    run_slices(out, ops, 0, BinK<T, Op>{});
    return KStatus::ok;
  }
}

}  // namespace

KStatus binary(const Slice &out, const Slice &a, const Slice &b, char code, BinaryOp op) {
  const int64_t e = kernel_itemsize(code);
  if (e == 0) return KStatus::bad_type;
  if (!geometry_ok(out) || !geometry_ok(a) || !geometry_ok(b)) return KStatus::bad_geometry;
  if (out.itemsize != e || a.itemsize != e || b.itemsize != e) return KStatus::bad_type;
  if (!same_shape(out, a) || !same_shape(out, b)) return KStatus::shape_mismatch;
  return dispatch(code, [&](auto tag) {
    using T = typename decltype(tag)::type;
    switch (op) {
      case BinaryOp::add: return binary_with<T, AddOp>(out, a, b);
      case BinaryOp::sub: return binary_with<T, SubOp>(out, a, b);
      case BinaryOp::mul: return binary_with<T, MulOp>(out, a, b);
      case BinaryOp::div: return binary_with<T, DivOp>(out, a, b);
      case BinaryOp::floordiv: return binary_with<T, FloorDivOp>(out, a, b);
      case BinaryOp::mod: return binary_with<T, ModOp>(out, a, b);
      case BinaryOp::minimum: return binary_with<T, MinMaxBinOp<false>>(out, a, b);
      case BinaryOp::maximum: return binary_with<T, MinMaxBinOp<true>>(out, a, b);
    }
    return KStatus::bad_op;
  });
}

}  // namespace mv
