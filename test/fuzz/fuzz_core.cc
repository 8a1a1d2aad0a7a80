// A seeded random fuzz driver for memview's plain C++ core (native/core), built and run by
// scripts/fuzz-core.js with -fsanitize=address,undefined -fno-sanitize-recover=undefined.
//
// g++ has no libFuzzer here, so this is a plain program: every iteration draws one target and one
// input from a PRNG seeded by (FUZZ_SEED, iteration), runs it, and checks the core's answer
// against a reference (or, where there is none, that the call stays inside real heap blocks:
// ASan aborts on the first byte outside). It runs for FUZZ_SECONDS (default 20) and ends with
//   fuzz: N passed, 0 failed
// A failing check prints the case and a one-line reproducer (FUZZ_SEED=... FUZZ_ITER=...); a
// sanitizer abort prints the same reproducer from the death callback.
//
// Targets
//   geometry   random Slice descriptors (ndim 0..64, extents 0..INT64_MAX and negative, strides
//              of any sign up to INT64_MIN/MAX, itemsize of any sign): direct_extent, check_within,
//              element_count, init_contiguous, contiguity; small ones against brute force.
//   walk       a real heap block and a slice over it: when check_within says ok, EVERY element
//              address (element_address) lies inside the block, and direct_extent is exact.
//   indirect   a pointer table to separately malloc'd rows: elements land inside their row.
//   indices    slice_indices against a 128-bit reference of CPython's slice.indices + length.
//   format     mutations of the golden formats (test/fixtures/formats.json, via FUZZ_SEEDS) and
//              random bytes into parse_format (an exactly-sized heap buffer, not NUL-terminated):
//              never crashes, a parsed tree is self-consistent, format_to_json is valid JSON that
//              names the same itemsize, dtype_mismatch answers for every C type.
//   request    request_buffer on random geometry: a grant agrees with element_count/contiguity.
//   owner      Owner allocate/adopt/retain/release/steal: the free callback runs exactly once.
//   kernels    (when native/core/kernels.h exists) fill/assign/cast/reduce/reduce_axis/binary on
//              slices check_within accepted over real blocks (direct and through pointer tables):
//              no byte outside the blocks is touched (ASan), no byte outside the destination's
//              elements changes, fill and assign store the right values (overlap included).
//
// Environment: FUZZ_SECONDS (budget, default 20), FUZZ_SEED (default: time), FUZZ_ITER (run only
// this iteration, to reproduce), FUZZ_TARGET (only this target), FUZZ_SEEDS (a file of
// length-prefixed seed formats, written by the script), FUZZ_KNOWN_BUGS=1 (also feed inputs that
// hit known, reported bugs; see KNOWN BUGS below), FUZZ_VERBOSE=1.
//
// FORMERLY KNOWN BUGS, all fixed; their inputs are always fed now (FUZZ_KNOWN_BUGS=0 turns them off):
//   K1 slice.cc contiguous_in_order: `expected *= s.shape[d]` overflows int64 (UB) for extents
//      whose product times itemsize exceeds INT64_MAX when the strides match so far.
//   K2 slice.cc has_indirect / is_c_contiguous / is_f_contiguous: no ndim check, so ndim > 64
//      reads past Slice::suboffsets / shape (stack-buffer-overflow).
//   K3 slice.cc check_within: `int64_t(data) - int64_t(base)` overflows (UB) when data and base
//      are more than 2^63 apart.
//   K4 owner.cc Owner::allocate: `nbytes + kAlign - 1` overflows (UB) for nbytes > INT64_MAX-63.
//   K5 format.cc walk_items (dtype_mismatch): `n *= d` over a sub-array's shape overflows (UB)
//      when a zero extent follows extents whose product exceeds INT64_MAX ('(2**40,2**40,0)i').
#include <chrono>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "format.h"
#include "owner.h"
#include "request.h"
#include "slice.h"

#if __has_include("kernels.h")
#include "kernels.h"
#define FUZZ_HAVE_KERNELS 1
#else
#define FUZZ_HAVE_KERNELS 0
#endif

#if defined(__has_include)
#if __has_include(<sanitizer/common_interface_defs.h>)
#include <sanitizer/common_interface_defs.h>
#define FUZZ_HAVE_SANITIZER_API 1
#endif
#endif

namespace {

using i128 = __int128;

// =============================================================================================
// PRNG, run state, failure reporting
// =============================================================================================

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed) {}
  uint64_t next() {  // splitmix64
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }
  int64_t range(int64_t lo, int64_t hi) {  // inclusive, hi - lo < 2^63
    return lo + int64_t(below(uint64_t(hi - lo) + 1));
  }
  bool chance(int percent) { return below(100) < uint64_t(percent); }
};

uint64_t g_seed = 0;
uint64_t g_iter = 0;
const char *g_target = "";
bool g_known = false;
bool g_verbose = false;
int64_t g_failed = 0;        // failed checks
int64_t g_failed_iters = 0;  // iterations with a failed check
std::string g_case;  // description of the current case, printed on failure

void on_death() {
  std::fprintf(stderr, "\nfuzz: sanitizer abort in target '%s' at iteration %" PRIu64
                       "\nfuzz: reproduce with FUZZ_SEED=%" PRIu64 " FUZZ_ITER=%" PRIu64
                       " node scripts/fuzz-core.js\nfuzz: case: %s\n",
               g_target, g_iter, g_seed, g_iter, g_case.c_str());
}

// UBSan does not call the sanitizer death callback; the script runs it with abort_on_error=1 and
// this handler prints the reproducer instead.
extern "C" void on_abort(int) {
  on_death();
  std::signal(SIGABRT, SIG_DFL);
  std::raise(SIGABRT);
}

void fail_here(const char *file, int line, const char *what) {
  ++g_failed;
  if (g_failed <= 20)
    std::fprintf(stderr, "FAIL %s:%d [%s] iteration %" PRIu64 ": %s\n  case: %s\n  reproduce: FUZZ_SEED=%" PRIu64
                         " FUZZ_ITER=%" PRIu64 " node scripts/fuzz-core.js\n",
                 file, line, g_target, g_iter, what, g_case.c_str(), g_seed, g_iter);
}

#define EXPECT(cond)                                   \
  do {                                                 \
    if (!(cond)) {                                     \
      fail_here(__FILE__, __LINE__, "EXPECT(" #cond ")"); \
      return;                                          \
    }                                                  \
  } while (0)

std::string slice_text(const mv::Slice &s) {
  std::string o = "ndim=" + std::to_string(s.ndim) + " itemsize=" + std::to_string(s.itemsize);
  int n = s.ndim < 0 ? 0 : s.ndim > mv::kMaxDims ? mv::kMaxDims : s.ndim;
  o += " shape=[";
  for (int d = 0; d < n; ++d) o += (d ? "," : "") + std::to_string(s.shape[d]);
  o += "] strides=[";
  for (int d = 0; d < n; ++d) o += (d ? "," : "") + std::to_string(s.strides[d]);
  o += "] suboffsets=[";
  for (int d = 0; d < n; ++d) o += (d ? "," : "") + std::to_string(s.suboffsets[d]);
  return o + "]";
}

// =============================================================================================
// Random geometry
// =============================================================================================

const int64_t kBig[] = {INT64_MAX,       INT64_MAX - 1,   INT64_MAX / 2,   INT64_MAX / 3 + 1, int64_t(1) << 62,
                        int64_t(1) << 53, (int64_t(1) << 53) - 1, int64_t(1) << 32, (int64_t(1) << 31) - 1,
                        int64_t(1) << 31, 3037000500LL /* ~sqrt(2^63) */, 4294967296LL + 1};

int64_t pick_extent(Rng &r, bool allow_bad) {
  unsigned k = unsigned(r.below(100));
  if (k < 10) return 0;
  if (k < 30) return 1;
  if (k < 70) return r.range(2, 5);
  if (k < 85) return r.range(6, 300);
  if (k < 97 || !allow_bad) return kBig[r.below(sizeof kBig / sizeof kBig[0])];
  const int64_t neg[] = {-1, -2, INT64_MIN, INT64_MIN + 1, -(int64_t(1) << 53)};
  return neg[r.below(5)];
}

int64_t pick_stride(Rng &r, int64_t itemsize) {
  int64_t it = itemsize > 0 && itemsize < 1024 ? itemsize : 1;
  unsigned k = unsigned(r.below(100));
  int64_t sign = r.chance(30) ? -1 : 1;
  if (k < 10) return 0;
  if (k < 40) return sign * it;
  if (k < 65) return sign * it * r.range(2, 8);
  if (k < 80) return sign * r.range(1, 64);
  if (k < 90) return sign * kBig[r.below(sizeof kBig / sizeof kBig[0])];
  if (k < 95) return r.chance(50) ? INT64_MIN : INT64_MAX;
  return int64_t(r.next());
}

int64_t pick_itemsize(Rng &r, bool allow_bad) {
  const int64_t good[] = {1, 2, 4, 8, 16, 3, 5, 12, 24, 1, 1, 4, 8};
  if (!allow_bad || r.chance(90)) return good[r.below(sizeof good / sizeof good[0])];
  const int64_t bad[] = {0, -1, INT64_MIN, INT64_MAX, INT64_MAX / 2, int64_t(1) << 40};
  return bad[r.below(6)];
}

int pick_ndim(Rng &r, bool allow_bad) {
  unsigned k = unsigned(r.below(100));
  if (k < 8) return 0;
  if (k < 80) return int(r.range(1, 4));
  if (k < 95) return int(r.range(5, mv::kMaxDims));
  if (!allow_bad || !g_known) return mv::kMaxDims;  // K2: ndim > 64 reaches has_indirect unchecked
  const int bad[] = {-1, mv::kMaxDims + 1, 1000, INT32_MIN};
  return bad[r.below(4)];
}

// Random (possibly invalid) geometry; data left null.
mv::Slice random_slice(Rng &r, bool allow_bad) {
  mv::Slice s;
  s.ndim = pick_ndim(r, allow_bad);
  s.itemsize = pick_itemsize(r, allow_bad);
  int n = s.ndim < 0 ? 0 : s.ndim > mv::kMaxDims ? mv::kMaxDims : s.ndim;
  unsigned mode = unsigned(r.below(4));
  for (int d = 0; d < n; ++d) {
    s.shape[d] = pick_extent(r, allow_bad);
    s.suboffsets[d] = -1;
  }
  if (mode == 0) {  // contiguous-like strides, computed with wrapping arithmetic
    uint64_t st = uint64_t(s.itemsize);
    bool fortran = r.chance(50);
    for (int k = 0; k < n; ++k) {
      int d = fortran ? k : n - 1 - k;
      s.strides[d] = int64_t(st);
      st *= uint64_t(s.shape[d] > 0 ? s.shape[d] : 1);
    }
  } else {
    for (int d = 0; d < n; ++d) s.strides[d] = pick_stride(r, s.itemsize);
  }
  if (r.chance(10) && n > 0) s.suboffsets[r.below(uint64_t(n))] = r.chance(50) ? 0 : r.range(0, 64);
  return s;
}

// Whether contiguous_in_order could overflow on this (valid-ndim) slice: K1.
bool contiguity_may_overflow(const mv::Slice &s) {
  if (s.ndim < 0 || s.ndim > mv::kMaxDims) return true;
  i128 p = s.itemsize < 0 ? -i128(s.itemsize) : i128(s.itemsize);
  for (int d = 0; d < s.ndim; ++d) {
    i128 e = s.shape[d] < 0 ? -i128(s.shape[d]) : i128(s.shape[d]);
    p *= e > 0 ? e : 1;
    if (p > i128(INT64_MAX)) return true;
  }
  return false;
}

bool ndim_ok(const mv::Slice &s) { return s.ndim >= 0 && s.ndim <= mv::kMaxDims; }

bool geometry_valid(const mv::Slice &s) {
  if (!ndim_ok(s) || s.itemsize <= 0) return false;
  for (int d = 0; d < s.ndim; ++d)
    if (s.shape[d] < 0) return false;
  return true;
}

// Reference extent in 128 bits: the lowest and highest byte a direct prefix can reach.
bool ref_extent(const mv::Slice &s, i128 *lo, i128 *hi, bool *empty) {
  *empty = false;
  for (int d = 0; d < s.ndim; ++d)
    if (s.shape[d] == 0) *empty = true;
  i128 l = 0, h = 0;
  bool item = true;
  const i128 cap = i128(1) << 64;  // saturate: 64 axes of at most 2^64 stay far below 2^127
  for (int d = 0; d < s.ndim; ++d) {
    i128 span = i128(s.shape[d] - 1) * s.strides[d];
    if (span > cap) span = cap;
    if (span < -cap) span = -cap;
    if (span < 0) l += span;
    else h += span;
    if (s.suboffsets[d] >= 0) {
      h += int64_t(sizeof(void *)) - 1;
      item = false;
      break;
    }
  }
  if (item) h += s.itemsize - 1;
  *lo = l;
  *hi = h;
  return true;
}

// Calls f(offset-of-element relative to data) for every index in C order (direct slices).
template <class F>
void for_each_offset(const mv::Slice &s, F &&f) {
  int64_t idx[mv::kMaxDims] = {};
  for (int d = 0; d < s.ndim; ++d)
    if (s.shape[d] == 0) return;
  for (;;) {
    i128 off = 0;
    for (int d = 0; d < s.ndim; ++d) off += i128(idx[d]) * s.strides[d];
    if (!f(idx, off)) return;
    int d = s.ndim - 1;
    for (; d >= 0; --d) {
      if (++idx[d] < s.shape[d]) break;
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

i128 count_of(const mv::Slice &s) {  // saturating at 2^63 (valid extents only)
  i128 c = 1;
  for (int d = 0; d < s.ndim; ++d) {
    c *= s.shape[d];
    if (c > (i128(1) << 63)) return i128(1) << 63;
  }
  return c;
}

// =============================================================================================
// geometry: pure functions on arbitrary descriptors
// =============================================================================================

void fuzz_geometry(Rng &r) {
  mv::Slice s = random_slice(r, true);
  g_case = slice_text(s);
  const bool valid = geometry_valid(s);

  int64_t count = -7;
  mv::Status st = mv::element_count(s, &count);
  if (!valid) {
    EXPECT(st != mv::Status::ok);
  } else {
    i128 c = 1;
    bool over = false;
    for (int d = 0; d < s.ndim; ++d) {
      c *= s.shape[d];
      if (c > i128(INT64_MAX)) over = true;
      if (c > (i128(1) << 63)) c = (i128(1) << 63) + 1;
    }
    // A zero extent after an overflowing prefix: the core may report overflow or 0; both are safe.
    if (!over) {
      EXPECT(st == mv::Status::ok);
      EXPECT(i128(count) == c);
    } else if (st == mv::Status::ok) {
      EXPECT(count == 0 && c == 0);
    }
  }

  mv::Extent e;
  st = mv::direct_extent(s, &e);
  if (!valid) {
    EXPECT(st != mv::Status::ok);
  } else if (st == mv::Status::ok) {
    i128 lo, hi;
    bool empty;
    ref_extent(s, &lo, &hi, &empty);
    if (empty) {
      EXPECT(e.hi < e.lo);
    } else {
      EXPECT(i128(e.lo) == lo && i128(e.hi) == hi);
    }
  } else {
    EXPECT(st == mv::Status::overflow);
    i128 lo, hi;
    bool empty;
    ref_extent(s, &lo, &hi, &empty);
    // Overflow is only allowed when the true extent does not fit (or a partial sum does not).
    EXPECT(!empty);
  }

  // check_within against a fake block: only integer arithmetic on the addresses.
  static char block[256];
  s.data = block + r.below(sizeof block);
  int64_t size = int64_t(r.below(sizeof block + 1));
  st = mv::check_within(s, block, size);
  if (!valid) EXPECT(st != mv::Status::ok);
  if (st == mv::Status::ok && valid) {
    i128 lo, hi;
    bool empty;
    ref_extent(s, &lo, &hi, &empty);
    if (!empty) {
      i128 off = s.data - block;
      EXPECT(off + lo >= 0 && off + hi < size);
    }
  }

  // Contiguity and friends (K1, K2 are known bugs: avoided unless asked for).
  if ((ndim_ok(s) && !contiguity_may_overflow(s)) || g_known) {
    bool c = mv::is_c_contiguous(s), f = mv::is_f_contiguous(s);
    bool ind = mv::has_indirect(s);
    if (ind) EXPECT(!c && !f);
    if (valid && !ind && count_of(s) <= 4096) {
      // Reference: elements in C (F) order sit at 0, itemsize, 2*itemsize, ...
      bool rc = true, rf = true;
      int64_t k = 0;
      for_each_offset(s, [&](const int64_t *, i128 off) {
        if (off != i128(k) * s.itemsize) rc = false;
        ++k;
        return rc;
      });
      // F order: transpose and walk in C order.
      mv::Slice t = s;
      for (int d = 0; d < s.ndim; ++d) {
        t.shape[d] = s.shape[s.ndim - 1 - d];
        t.strides[d] = s.strides[s.ndim - 1 - d];
      }
      k = 0;
      for_each_offset(t, [&](const int64_t *, i128 off) {
        if (off != i128(k) * s.itemsize) rf = false;
        ++k;
        return rf;
      });
      EXPECT(c == rc);
      EXPECT(f == rf);
    }
  }

  // init_contiguous: strides agree with the contiguity test when it succeeds.
  mv::Slice fresh;
  char order = r.chance(50) ? 'c' : 'f';
  int nd = ndim_ok(s) ? s.ndim : 3;
  st = mv::init_contiguous(fresh, nd, s.shape, s.itemsize, order);
  if (st == mv::Status::ok) {
    EXPECT(fresh.ndim == nd && fresh.itemsize == s.itemsize);
    int64_t n;
    if (mv::element_count(fresh, &n) == mv::Status::ok && !contiguity_may_overflow(fresh)) {
      EXPECT(order == 'c' ? mv::is_c_contiguous(fresh) : mv::is_f_contiguous(fresh));
    }
  } else {
    EXPECT(s.itemsize <= 0 || !ndim_ok(s) || st == mv::Status::overflow || st == mv::Status::bad_shape);
  }
}

// =============================================================================================
// walk: every element of an accepted slice lies in the block
// =============================================================================================

// A slice over [base, base + size) that check_within should accept (most of the time) or an
// arbitrary offset (the rest). Small extents so every element can be walked.
mv::Slice slice_over(Rng &r, char *base, int64_t size, int64_t itemsize, bool aim) {
  mv::Slice s;
  s.ndim = int(r.below(100) < 10 ? 0 : r.range(1, r.chance(10) ? 12 : 4));
  s.itemsize = itemsize;
  for (int d = 0; d < s.ndim; ++d) {
    unsigned k = unsigned(r.below(100));
    s.shape[d] = k < 8 ? 0 : k < 30 ? 1 : k < 95 ? r.range(2, 6) : r.range(7, 40);
    if (s.ndim > 6 && s.shape[d] > 2) s.shape[d] = 2;
    s.suboffsets[d] = -1;
    unsigned j = unsigned(r.below(100));
    int64_t sign = r.chance(35) ? -1 : 1;
    s.strides[d] = j < 10 ? 0 : j < 45 ? sign * itemsize : j < 75 ? sign * itemsize * r.range(2, 5)
                 : j < 92 ? sign * r.range(1, 3 * itemsize) : sign * r.range(0, size + 8);
  }
  i128 lo = 0, hi = itemsize - 1;
  bool empty = false;
  for (int d = 0; d < s.ndim; ++d) {
    if (s.shape[d] == 0) empty = true;
    i128 span = i128(s.shape[d] - 1) * s.strides[d];
    if (span < 0) lo += span;
    else hi += span;
  }
  int64_t off;
  if (aim && !empty && hi - lo + 1 <= size) {
    off = int64_t(-lo) + r.range(0, int64_t(size - 1 - (hi - lo)));
  } else {
    // Anywhere near the block, including just outside either end.
    unsigned k = unsigned(r.below(100));
    off = k < 50 ? r.range(-2 * size - 8, 2 * size + 8)
        : k < 70 ? int64_t(-lo) - 1
        : k < 90 ? int64_t(size - hi)
        : int64_t(-lo);
  }
  // Pointer arithmetic outside an object is UB: form the address as an integer.
  s.data = reinterpret_cast<char *>(reinterpret_cast<uintptr_t>(base) + uint64_t(off));
  return s;
}

void fuzz_walk(Rng &r) {
  const int64_t size = r.range(1, 2048);
  char *base = static_cast<char *>(std::malloc(size_t(size)));  // exactly sized: ASan redzones
  const int64_t items[] = {1, 2, 4, 8, 16, 3, 12};
  const int64_t itemsize = items[r.below(7)];
  mv::Slice s = slice_over(r, base, size, itemsize, r.chance(70));
  g_case = slice_text(s) + " block=" + std::to_string(size) + " data-base=" +
           std::to_string(int64_t(reinterpret_cast<uintptr_t>(s.data) - reinterpret_cast<uintptr_t>(base)));
  const int64_t off = int64_t(reinterpret_cast<uintptr_t>(s.data) - reinterpret_cast<uintptr_t>(base));
  mv::Status st = mv::check_within(s, base, size);

  // Reference answer by brute force over every element (extents are small here).
  bool inside = true, empty = count_of(s) == 0;
  i128 lo = INT64_MAX, hi = INT64_MIN;
  for_each_offset(s, [&](const int64_t *, i128 o) {
    if (o < lo) lo = o;
    if (o + itemsize - 1 > hi) hi = o + itemsize - 1;
    if (off + o < 0 || off + o + itemsize > size) inside = false;
    return true;
  });
  if (empty) {
    EXPECT(st == mv::Status::ok);
  } else {
    EXPECT((st == mv::Status::ok) == inside);
    mv::Extent e;
    EXPECT(mv::direct_extent(s, &e) == mv::Status::ok);
    EXPECT(i128(e.lo) == lo && i128(e.hi) == hi);
  }
  if (st == mv::Status::ok && !empty) {
    // Every byte of every element, through the core's own addressing, must be in the block.
    for_each_offset(s, [&](const int64_t *idx, i128) {
      char *p = mv::element_address(s, idx);
      uintptr_t a = reinterpret_cast<uintptr_t>(p), b = reinterpret_cast<uintptr_t>(base);
      if (a < b || a + uint64_t(itemsize) > b + uint64_t(size)) {
        fail_here(__FILE__, __LINE__, "element_address outside the block of an accepted slice");
        return false;
      }
      volatile char sink = p[0];  // ASan double-checks both ends
      sink = p[itemsize - 1];
      (void)sink;
      return true;
    });
  }
  std::free(base);
}

// =============================================================================================
// indirect: a pointer table to separately allocated rows
// =============================================================================================

struct Table {
  char *table = nullptr;     // rows pointers, stride tstride
  int64_t table_bytes = 0;
  std::vector<char *> rows;
  int64_t row_bytes = 0;
  mv::Slice s;               // pointer axis 0, direct axes after
  mv::Slice tail;            // the direct axes after the pointer axis, data = row + suboffset
  bool ok = false;           // table and every row checked with check_within
  ~Table() {
    for (char *p : rows) std::free(p);
    std::free(table);
  }
};

void make_table(Rng &r, Table &t, int64_t itemsize) {
  const int64_t nrows = r.range(0, 6);
  const int64_t tstride = r.chance(80) ? 8 : r.chance(50) ? 16 : -8;
  t.table_bytes = nrows == 0 ? 8 : (nrows - 1) * (tstride < 0 ? -tstride : tstride) + 8;
  t.table = static_cast<char *>(std::malloc(size_t(t.table_bytes)));
  t.row_bytes = r.range(1, 512);
  // The direct tail over a row.
  char *probe = static_cast<char *>(std::malloc(size_t(t.row_bytes)));
  mv::Slice tail = slice_over(r, probe, t.row_bytes, itemsize, r.chance(85));
  const int64_t sub = int64_t(reinterpret_cast<uintptr_t>(tail.data) - reinterpret_cast<uintptr_t>(probe));
  const bool tail_ok = mv::check_within(tail, probe, t.row_bytes) == mv::Status::ok && sub >= 0;
  const int64_t suboffset = sub >= 0 ? sub : 0;  // a negative suboffset would mean "direct"
  std::free(probe);
  if (tail.ndim + 1 > mv::kMaxDims) tail.ndim = mv::kMaxDims - 1;
  for (int64_t i = 0; i < nrows; ++i) {
    char *row = static_cast<char *>(std::malloc(size_t(t.row_bytes)));
    std::memset(row, int(i + 1), size_t(t.row_bytes));
    t.rows.push_back(row);
  }
  mv::Slice &s = t.s;
  s.ndim = tail.ndim + 1;
  s.itemsize = itemsize;
  s.shape[0] = nrows;
  s.strides[0] = tstride;
  s.suboffsets[0] = suboffset;
  for (int d = 0; d < tail.ndim; ++d) {
    s.shape[d + 1] = tail.shape[d];
    s.strides[d + 1] = tail.strides[d];
    s.suboffsets[d + 1] = -1;
  }
  // The table's element [0] is at the end for a negative stride.
  const int64_t first = tstride < 0 ? t.table_bytes - 8 : 0;
  s.data = t.table + first;
  for (int64_t i = 0; i < nrows; ++i) std::memcpy(t.table + first + i * tstride, &t.rows[size_t(i)], sizeof(char *));
  t.tail = tail;
  t.ok = tail_ok && mv::check_within(s, t.table, t.table_bytes) == mv::Status::ok;
}

void fuzz_indirect(Rng &r) {
  const int64_t items[] = {1, 2, 4, 8, 16, 3};
  Table t;
  make_table(r, t, items[r.below(6)]);
  const mv::Slice &s = t.s;
  g_case = slice_text(s) + " rows=" + std::to_string(t.rows.size()) + " row_bytes=" + std::to_string(t.row_bytes);
  EXPECT(mv::has_indirect(s));
  EXPECT(!mv::is_c_contiguous(s) && !mv::is_f_contiguous(s));
  mv::Extent e;
  EXPECT(mv::direct_extent(s, &e) == mv::Status::ok);
  if (!t.ok || count_of(s) == 0) return;
  for_each_offset(s, [&](const int64_t *idx, i128) {
    char *p = mv::element_address(s, idx);
    char *row = t.rows[size_t(idx[0])];
    uintptr_t a = reinterpret_cast<uintptr_t>(p), b = reinterpret_cast<uintptr_t>(row);
    if (a < b || a + uint64_t(s.itemsize) > b + uint64_t(t.row_bytes)) {
      fail_here(__FILE__, __LINE__, "element_address outside its row");
      return false;
    }
    return true;
  });
}

// =============================================================================================
// indices: slice_indices against CPython's arithmetic in 128 bits
// =============================================================================================

void ref_indices(i128 length, bool hs, i128 start, bool he, i128 stop, bool hp, i128 step, i128 *os,
                 i128 *op, i128 *ol) {
  if (!hp) step = 1;
  if (step < -i128(INT64_MAX)) step = -i128(INT64_MAX);
  const bool neg = step < 0;
  const i128 lower = neg ? -1 : 0, upper = neg ? length - 1 : length;
  auto clamp = [&](bool has, i128 v, i128 dflt) -> i128 {
    if (!has) return dflt;
    if (v < 0) {
      v += length;
      return v < lower ? lower : v;
    }
    return v > upper ? upper : v;
  };
  start = clamp(hs, start, neg ? upper : lower);
  stop = clamp(he, stop, neg ? lower : upper);
  i128 len = 0;
  if (neg ? stop < start : start < stop) len = neg ? (start - stop - 1) / (-step) + 1 : (stop - start - 1) / step + 1;
  *os = start;
  *op = step;
  *ol = len;
}

int64_t pick_index_value(Rng &r, int64_t length) {
  unsigned k = unsigned(r.below(100));
  if (k < 40) return r.range(-12, 12);
  const int64_t d = r.range(-3, 3);
  if (k < 60) return length > INT64_MAX - 3 ? length - 3 + (d < 0 ? d : 0) : length + d;
  if (k < 75) return -length + (d > 0 ? d : 0) - (length < INT64_MAX - 3 ? 3 : 0);
  const int64_t edge[] = {INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1, 0, -1, int64_t(1) << 53};
  if (k < 90) return edge[r.below(7)];
  return int64_t(r.next());
}

void fuzz_indices(Rng &r) {
  unsigned k = unsigned(r.below(100));
  int64_t length = k < 50 ? r.range(0, 12) : k < 80 ? r.range(0, 1 << 20) : k < 90 ? INT64_MAX : r.range(0, INT64_MAX);
  bool hs = r.chance(70), he = r.chance(70), hp = r.chance(70);
  int64_t start = pick_index_value(r, length), stop = pick_index_value(r, length), step = 0;
  while (step == 0) step = r.chance(60) ? r.range(-4, 4) : pick_index_value(r, length);
  g_case = "length=" + std::to_string(length) + " start=" + (hs ? std::to_string(start) : "None") +
           " stop=" + (he ? std::to_string(stop) : "None") + " step=" + (hp ? std::to_string(step) : "None");
  int64_t s = -99, p = -99, n = -99;
  mv::slice_indices(length, hs, start, he, stop, hp, step, &s, &p, &n);
  i128 rs, rp, rn;
  ref_indices(length, hs, start, he, stop, hp, step, &rs, &rp, &rn);
  EXPECT(i128(p) == rp);
  EXPECT(i128(n) == rn);
  if (rn > 0) EXPECT(i128(s) == rs);
  // Whatever the arithmetic, the items it names are in range.
  if (n > 0) {
    EXPECT(s >= 0 && s < length);
    i128 last = i128(s) + i128(n - 1) * p;
    EXPECT(last >= 0 && last < length);
  }
}

// =============================================================================================
// format: the PEP 3118 parser on mutated and random input
// =============================================================================================

std::vector<std::string> g_seeds;

void load_seeds() {
  const char *path = std::getenv("FUZZ_SEEDS");
  if (path && *path) {
    if (FILE *f = std::fopen(path, "rb")) {
      unsigned char len[4];
      while (std::fread(len, 1, 4, f) == 4) {
        uint32_t n = uint32_t(len[0]) | uint32_t(len[1]) << 8 | uint32_t(len[2]) << 16 | uint32_t(len[3]) << 24;
        std::string s(n, '\0');
        if (n && std::fread(&s[0], 1, n, f) != n) break;
        g_seeds.push_back(s);
      }
      std::fclose(f);
    }
  }
  const char *builtin[] = {"i", "<d", "=q", "T{i:a:d:b:}", "(2,3)i", "3i", "10s", "Zd", "^T{b:x:i:y:}", "@ixxd",
                           "T{T{i:a:}:s:(2)d:arr:}", "0i", "4x:pad:", "!h", "ib", "i0l", "T{}", "F", "D", "?"};
  for (const char *b : builtin) g_seeds.push_back(b);
}

const char *kTokens[] = {"T{", "}", "(", ")", ",", ":", ":name:", "@", "=", "<", ">", "!", "^", "x", "Z", "Zf",
                         "Zg", "s", "p", "P", "e", "g", "O", "u", "w", "&", "t", "X", "0", "1", "9", "64", " ",
                         "\t", "\n", "\x00", "\xff", "\xc3\xa9", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf",
                         ":\xe2\x82\xac:", "18446744073709551616", "9223372036854775807", "9223372036854775808",
                         "4294967296", "99999999999999999999999", ":\":", ":\\:", ":a\"b\\c:", "::", "T{T{T{"};

std::string mutate(Rng &r, std::string s) {
  int rounds = int(r.range(1, 6));
  for (int k = 0; k < rounds; ++k) {
    unsigned m = unsigned(r.below(10));
    size_t pos = s.empty() ? 0 : size_t(r.below(s.size() + 1));
    switch (m) {
      case 0:  // flip a byte
        if (!s.empty()) s[pos % s.size()] ^= char(1u << r.below(8));
        break;
      case 1:  // set a random byte
        if (!s.empty()) s[pos % s.size()] = char(r.below(256));
        break;
      case 2:
      case 3:  // insert a grammar token
        s.insert(pos, kTokens[r.below(sizeof kTokens / sizeof kTokens[0])]);
        break;
      case 4: {  // delete a range
        if (s.empty()) break;
        size_t a = pos % s.size(), n = size_t(r.below(4)) + 1;
        s.erase(a, n);
        break;
      }
      case 5: {  // duplicate a range
        if (s.empty()) break;
        size_t a = pos % s.size(), n = size_t(r.below(s.size() - a)) + 1;
        s.insert(a, s.substr(a, n));
        break;
      }
      case 6:  // splice another seed
        s.insert(pos, g_seeds[r.below(g_seeds.size())]);
        break;
      case 7: {  // nest in T{...} (sometimes past the depth limit)
        int depth = r.chance(70) ? int(r.range(1, 4)) : int(r.range(60, 70));
        if (r.chance(3)) depth = 5000;
        std::string open, close;
        for (int i = 0; i < depth; ++i) open += "T{", close += "}";
        s = open + s + close;
        break;
      }
      case 8: {  // a sub-array with many dimensions
        int nd = r.chance(50) ? int(r.range(1, 4)) : int(r.range(60, 70));
        std::string dims = "(";
        for (int i = 0; i < nd; ++i) dims += (i ? "," : "") + std::to_string(r.chance(80) ? r.range(0, 3) : int64_t(r.next() >> r.below(64)));
        s.insert(pos, dims + ")");
        break;
      }
      default: {  // a count
        std::string c = std::to_string(r.chance(70) ? r.range(0, 20) : int64_t(r.next() >> r.below(64)));
        s.insert(pos, c);
      }
    }
    if (s.size() > 20000) s.resize(20000);
  }
  return s;
}

// A strict JSON checker (RFC 8259 minus floats, which format_to_json never writes).
struct Json {
  const char *p, *end;
  int depth = 0;
  bool ws() {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')) ++p;
    return true;
  }
  bool str(std::string *out) {
    if (p >= end || *p != '"') return false;
    ++p;
    while (p < end && *p != '"') {
      unsigned char c = static_cast<unsigned char>(*p);
      if (c < 0x20) return false;
      if (c == '\\') {
        ++p;
        if (p >= end) return false;
        char e = *p;
        if (e == 'u') {
          for (int i = 0; i < 4; ++i) {
            ++p;
            if (p >= end || !std::isxdigit(static_cast<unsigned char>(*p))) return false;
          }
        } else if (!std::strchr("\"\\/bfnrt", e)) {
          return false;
        }
        if (out) out->push_back('?');
      } else if (out) {
        out->push_back(char(c));
      }
      ++p;
    }
    if (p >= end) return false;
    ++p;
    return true;
  }
  bool num(i128 *out) {
    bool neg = false;
    if (p < end && *p == '-') neg = true, ++p;
    if (p >= end || !std::isdigit(static_cast<unsigned char>(*p))) return false;
    if (*p == '0' && p + 1 < end && std::isdigit(static_cast<unsigned char>(p[1]))) return false;
    i128 v = 0;
    while (p < end && std::isdigit(static_cast<unsigned char>(*p))) {
      if (v < (i128(1) << 100)) v = v * 10 + (*p - '0');
      ++p;
    }
    if (p < end && (*p == '.' || *p == 'e' || *p == 'E')) return false;
    if (out) *out = neg ? -v : v;
    return true;
  }
  bool value(i128 *itemsize_out, bool top) {
    if (++depth > 100000) return false;
    ws();
    if (p >= end) return false;
    bool ok;
    if (*p == '{') {
      ++p;
      ws();
      if (p < end && *p == '}') {
        ++p;
        ok = true;
      } else {
        ok = false;
        for (;;) {
          std::string key;
          ws();
          if (!str(&key)) break;
          ws();
          if (p >= end || *p != ':') break;
          ++p;
          ws();
          if (top && key == "itemsize") {
            if (!num(itemsize_out)) break;
          } else if (!value(nullptr, false)) {
            break;
          }
          ws();
          if (p < end && *p == ',') {
            ++p;
            continue;
          }
          if (p < end && *p == '}') {
            ++p;
            ok = true;
          }
          break;
        }
      }
    } else if (*p == '[') {
      ++p;
      ws();
      if (p < end && *p == ']') {
        ++p;
        ok = true;
      } else {
        ok = false;
        for (;;) {
          if (!value(nullptr, false)) break;
          ws();
          if (p < end && *p == ',') {
            ++p;
            continue;
          }
          if (p < end && *p == ']') {
            ++p;
            ok = true;
          }
          break;
        }
      }
    } else if (*p == '"') {
      ok = str(nullptr);
    } else if (*p == 't' || *p == 'f' || *p == 'n') {
      const char *w = *p == 't' ? "true" : *p == 'f' ? "false" : "null";
      size_t n = std::strlen(w);
      ok = size_t(end - p) >= n && std::memcmp(p, w, n) == 0;
      if (ok) p += n;
    } else {
      ok = num(nullptr);
    }
    --depth;
    return ok;
  }
};

// Self-consistency of a parsed type tree.
bool tree_ok(const mv::FormatType &t, int depth, std::string *why) {
  if (depth > mv::kMaxFormatDepth + 1) return *why = "T{...} nested deeper than kMaxFormatDepth", false;
  if (t.size < 0) return *why = "negative size", false;
  if (t.alignment < 1) return *why = "alignment < 1", false;
  switch (t.kind) {
    case mv::FormatType::Kind::scalar:
      if (!t.code) return *why = "scalar without a code", false;
      return true;
    case mv::FormatType::Kind::structure:
      for (const mv::Field &f : t.fields) {
        if (!f.type) return *why = "field without a type", false;
        if (f.offset < 0 || i128(f.offset) + f.type->size > t.size) return *why = "field '" + f.name + "' outside its struct", false;
        if (!tree_ok(*f.type, depth + 1, why)) return false;  // depth counts T{...} levels
      }
      return true;
    case mv::FormatType::Kind::array: {
      if (!t.element) return *why = "array without an element", false;
      if (t.shape.empty() || t.shape.size() > size_t(mv::kMaxDims)) return *why = "sub-array ndim outside 1..64", false;
      i128 n = 1;
      for (int64_t x : t.shape) {
        if (x < 0) return *why = "negative sub-array extent", false;
        n *= x;
        if (n > (i128(1) << 63)) n = i128(1) << 63;
      }
      if (n * t.element->size != t.size) return *why = "sub-array size != product(shape) * element size", false;
      return tree_ok(*t.element, depth, why);
    }
  }
  return *why = "unknown kind", false;
}

// K5: a sub-array whose extents overflow int64 before a zero extent.
bool zero_after_overflow(const mv::FormatType &t) {
  switch (t.kind) {
    case mv::FormatType::Kind::scalar:
      return false;
    case mv::FormatType::Kind::structure:
      for (const mv::Field &f : t.fields)
        if (zero_after_overflow(*f.type)) return true;
      return false;
    case mv::FormatType::Kind::array: {
      i128 n = 1;
      for (int64_t x : t.shape) {
        if (x == 0) return n > i128(INT64_MAX) || zero_after_overflow(*t.element);
        n *= x;
        if (n > (i128(1) << 63)) n = (i128(1) << 63);
      }
      return zero_after_overflow(*t.element);
    }
  }
  return false;
}

const char *kCtypes[] = {"char", "signed char", "unsigned char", "short", "unsigned short", "int", "unsigned int",
                         "long", "unsigned long", "long long", "unsigned long long", "float", "double",
                         "float complex", "double complex", "bint", "Py_ssize_t", "size_t", "int8_t", "uint64_t"};

void check_format(const std::string &fmt) {
  // An exactly-sized heap copy, not NUL-terminated: a read past the end is an ASan error.
  char *buf = static_cast<char *>(std::malloc(fmt.size() ? fmt.size() : 1));
  if (!fmt.empty()) std::memcpy(buf, fmt.data(), fmt.size());
  mv::ParsedFormat parsed;
  std::string error;
  size_t pos = size_t(-1);
  const bool ok = mv::parse_format(buf, fmt.size(), &parsed, &error, &pos);
  std::free(buf);
  if (!ok) {
    EXPECT(!error.empty());
    EXPECT(pos <= fmt.size());
    EXPECT(!parsed.root);
    return;
  }
  EXPECT(parsed.root != nullptr);
  EXPECT(parsed.itemsize == parsed.root->size);
  std::string why;
  if (!tree_ok(*parsed.root, 0, &why)) {
    fail_here(__FILE__, __LINE__, why.c_str());
    return;
  }
  const std::string json = mv::format_to_json(parsed);
  Json j{json.data(), json.data() + json.size()};
  i128 itemsize = -1;
  EXPECT(j.value(&itemsize, true));
  j.ws();
  EXPECT(j.p == j.end);
  EXPECT(itemsize == parsed.itemsize);
  EXPECT(json.compare(0, 12, "{\"itemsize\":") == 0);
  // Deterministic.
  mv::ParsedFormat again;
  EXPECT(mv::parse_format(fmt, &again, nullptr));
  EXPECT(mv::format_to_json(again) == json);
  if (!g_known && zero_after_overflow(*parsed.root)) return;  // K5
  for (const char *name : kCtypes) {
    char group;
    int64_t size;
    EXPECT(mv::ctype_info(name, &group, &size));
    std::string m = mv::dtype_mismatch(parsed, group, size, name);
    (void)m;
  }
}

void fuzz_format(Rng &r) {
  std::string fmt;
  unsigned k = unsigned(r.below(100));
  if (k < 15) {
    fmt = g_seeds[r.below(g_seeds.size())];
  } else if (k < 85) {
    fmt = mutate(r, g_seeds[r.below(g_seeds.size())]);
  } else if (k < 95) {
    size_t n = size_t(r.below(40));
    for (size_t i = 0; i < n; ++i) fmt.push_back(char(r.below(256)));
  } else {
    size_t n = size_t(r.below(40));
    const char alphabet[] = "T{}():,@=<>!^xcbB?hHiIlLqQnNefdgspPZFD0123456789 abc";
    for (size_t i = 0; i < n; ++i) fmt.push_back(alphabet[r.below(sizeof alphabet - 1)]);
  }
  g_case = "format (" + std::to_string(fmt.size()) + " bytes): ";
  for (unsigned char c : fmt.substr(0, 200)) {
    char b[8];
    if (c >= 0x20 && c < 0x7f && c != '\\') g_case.push_back(char(c));
    else std::snprintf(b, sizeof b, "\\x%02x", c), g_case += b;
  }
  check_format(fmt);
  // Random names for the C type table.
  std::string junk = mutate(r, kCtypes[r.below(sizeof kCtypes / sizeof kCtypes[0])]);
  char group;
  int64_t size;
  (void)mv::ctype_info(junk, &group, &size);
}

// =============================================================================================
// request: PEP 3118 negotiation on random geometry
// =============================================================================================

void fuzz_request(Rng &r) {
  mv::Slice s = random_slice(r, true);
  if (!g_known && !ndim_ok(s)) s.ndim = mv::kMaxDims;  // K2 (request_buffer itself validates first)
  const int flags = r.chance(90) ? int(r.below(0x200)) : int(r.next());
  const bool ro = r.chance(50);
  g_case = slice_text(s) + " flags=" + std::to_string(flags);
  mv::Grant g;
  mv::Refusal why = mv::request_buffer(s, ro, flags, &g);
  int64_t count;
  const bool geom = mv::element_count(s, &count) == mv::Status::ok &&
                    i128(count) * s.itemsize <= i128(INT64_MAX);
  if (flags < 0) {
    EXPECT(why == mv::Refusal::bad_flags);
    return;
  }
  if (!geom) {
    EXPECT(why == mv::Refusal::bad_geometry);
    return;
  }
  EXPECT(why != mv::Refusal::bad_geometry);
  EXPECT(mv::refusal_text(why) != nullptr);
  if (why != mv::Refusal::none) {
    EXPECT(mv::is_flag_refusal(why));
    return;
  }
  EXPECT(g.len == count * s.itemsize);
  EXPECT(g.readonly == ro);
  if (!g.strides) EXPECT(mv::is_c_contiguous(s));
  if (!g.suboffsets) EXPECT(!mv::has_indirect(s) || false == ((flags & mv::bufreq::kIndirect) == mv::bufreq::kIndirect && mv::has_indirect(s)));
  if (ro) EXPECT((flags & mv::bufreq::kWritable) == 0);
}

// =============================================================================================
// owner: exactly-once free callbacks
// =============================================================================================

int g_frees = 0;
void counting_free(void *data, void *ctx) {
  ++g_frees;
  std::free(data);
  (void)ctx;
}

void fuzz_owner(Rng &r) {
  g_case = "owner";
  const int64_t before = mv::Owner::live_count();
  std::vector<mv::Owner *> owners;
  std::vector<int> expect_free;
  int expected = 0;
  const int n = int(r.range(1, 8));
  g_frees = 0;
  for (int i = 0; i < n; ++i) {
    unsigned k = unsigned(r.below(100));
    if (k < 40) {
      int64_t size = r.chance(90) ? r.range(0, 4096) : r.chance(50) ? -1 : (g_known ? INT64_MAX - r.range(0, 62) : int64_t(1) << 60);
      mv::Owner *o = mv::Owner::allocate(size, r.chance(50));
      if (size < 0) {
        EXPECT(o == nullptr);
        continue;
      }
      if (!o) continue;  // huge: allocation refused
      if (size > 0) std::memset(o->data(), 0xab, size_t(size));  // usable for its whole size
      EXPECT(reinterpret_cast<uintptr_t>(o->data()) % 64 == 0);
      owners.push_back(o);
      expect_free.push_back(0);
    } else {
      int64_t size = r.range(1, 256);
      void *p = std::malloc(size_t(size));
      mv::Owner *o = mv::Owner::adopt(p, size, counting_free, nullptr);
      owners.push_back(o);
      expect_free.push_back(1);
    }
  }
  // Random retains, steals, then releases down to zero.
  std::vector<int64_t> refs(owners.size(), 1);
  for (size_t i = 0; i < owners.size(); ++i) {
    int extra = int(r.below(4));
    for (int j = 0; j < extra; ++j) owners[i]->retain(), ++refs[i];
    EXPECT(owners[i]->refcount() == refs[i]);
    if (expect_free[i] && r.chance(20)) {
      void *p = owners[i]->steal();
      EXPECT(p == owners[i]->data());
      std::free(p);  // the caller owns it now; the callback must not run
      expect_free[i] = 0;
    }
    expected += expect_free[i];
  }
  for (size_t i = 0; i < owners.size(); ++i)
    for (int64_t j = 0; j < refs[i]; ++j) owners[i]->release();
  EXPECT(g_frees == expected);
  EXPECT(mv::Owner::live_count() == before);
}

// =============================================================================================
// kernels
// =============================================================================================

#if FUZZ_HAVE_KERNELS

const char kCodes[] = "bBhHiIlLqQnN?efdFD";

// Bytes of the block that belong to some element of s (direct slices over [base, base+size)).
void element_mask(const mv::Slice &s, const char *base, std::vector<char> &mask) {
  for_each_offset(s, [&](const int64_t *idx, i128) {
    const char *p = mv::element_address(s, idx);
    for (int64_t b = 0; b < s.itemsize; ++b) mask[size_t(p - base + b)] = 1;
    return true;
  });
}

bool self_overlapping(const mv::Slice &s, const char *base, int64_t size) {
  std::vector<char> seen(size_t(size), 0);
  bool clash = false;
  for_each_offset(s, [&](const int64_t *idx, i128) {
    const char *p = mv::element_address(s, idx);
    for (int64_t b = 0; b < s.itemsize; ++b) {
      char &m = seen[size_t(p - base + b)];
      if (m) clash = true;
      m = 1;
    }
    return !clash;
  });
  return clash;
}

struct Block {
  char *p;
  int64_t size;
  explicit Block(Rng &r, int64_t size_) : p(static_cast<char *>(std::malloc(size_t(size_)))), size(size_) {
    for (int64_t i = 0; i < size; ++i) p[i] = char(r.below(256));
  }
  ~Block() { std::free(p); }
};

// An accepted direct slice of `shape` over the block, or ndim = -1 when none was found.
mv::Slice accepted_like(Rng &r, const Block &b, int64_t itemsize, const mv::Slice *shape_of) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    mv::Slice s = slice_over(r, b.p, b.size, itemsize, true);
    if (shape_of) {
      s.ndim = shape_of->ndim;
      for (int d = 0; d < s.ndim; ++d) {
        s.shape[d] = shape_of->shape[d];
        s.suboffsets[d] = -1;
        if (r.chance(15)) s.strides[d] = 0;  // broadcast
        else s.strides[d] = (r.chance(35) ? -1 : 1) * itemsize * r.range(1, 3);
      }
      // Re-aim the data pointer for these strides.
      i128 lo = 0, hi = itemsize - 1;
      for (int d = 0; d < s.ndim; ++d) {
        i128 span = i128(s.shape[d] > 0 ? s.shape[d] - 1 : 0) * s.strides[d];
        if (span < 0) lo += span;
        else hi += span;
      }
      if (hi - lo + 1 > b.size) continue;
      int64_t off = int64_t(-lo) + r.range(0, int64_t(b.size - 1 - (hi - lo)));
      s.data = b.p + off;
    }
    if (count_of(s) > 4096) continue;
    if (mv::check_within(s, b.p, b.size) == mv::Status::ok) {
      if (count_of(s) == 0) {
        // Empty: any in-block data pointer (check_within accepts any address for empty slices).
        s.data = b.p;
      }
      return s;
    }
  }
  mv::Slice none;
  none.ndim = -1;
  return none;
}

void fuzz_kernels(Rng &r) {
  const char code = kCodes[r.below(sizeof kCodes - 1)];
  const int64_t itemsize = mv::kernel_itemsize(code);
  if (itemsize <= 0) {
    fail_here(__FILE__, __LINE__, "kernel_itemsize of a kernel code");
    return;
  }
  Block a(r, r.range(1, 1024));
  Block b(r, r.range(1, 1024));
  const bool same_block = r.chance(50);
  const Block &sb = same_block ? a : b;
  mv::Slice dst = accepted_like(r, a, itemsize, nullptr);
  if (dst.ndim < 0) return;
  mv::Slice src = accepted_like(r, sb, itemsize, &dst);
  g_case = std::string("code=") + code + " dst: " + slice_text(dst) + " src: " + slice_text(src) +
           (same_block ? " (same block)" : "");

  std::vector<char> before(a.p, a.p + a.size), before_b(b.p, b.p + b.size);
  std::vector<char> mask(size_t(a.size), 0);
  element_mask(dst, a.p, mask);
  auto untouched_outside_dst = [&]() {
    for (int64_t i = 0; i < a.size; ++i)
      if (!mask[size_t(i)] && a.p[i] != before[size_t(i)]) return false;
    if (!same_block)
      for (int64_t i = 0; i < b.size; ++i)
        if (b.p[i] != before_b[size_t(i)]) return false;
    return true;
  };
  auto restore = [&]() {
    std::memcpy(a.p, before.data(), size_t(a.size));
    std::memcpy(b.p, before_b.data(), size_t(b.size));
  };

  const unsigned op = unsigned(r.below(6));
  switch (op) {
    case 0: {  // fill, any itemsize
      std::vector<char> value(static_cast<size_t>(itemsize));
      for (char &c : value) c = char(r.below(256));
      const bool self = self_overlapping(dst, a.p, a.size);
      EXPECT(mv::fill(dst, value.data()) == mv::KStatus::ok);
      EXPECT(untouched_outside_dst());
      if (self) break;  // partly overlapping elements cannot all hold the value
      bool right = true;
      for_each_offset(dst, [&](const int64_t *idx, i128) {
        if (std::memcmp(mv::element_address(dst, idx), value.data(), size_t(itemsize)) != 0) right = false;
        return right;
      });
      EXPECT(right);
      break;
    }
    case 1: {  // assign (overlap-safe)
      if (src.ndim < 0) return;
      // Expected values: src's elements as they were before.
      std::vector<std::vector<char>> want;
      for_each_offset(src, [&](const int64_t *idx, i128) {
        const char *p = mv::element_address(src, idx);
        want.emplace_back(p, p + itemsize);
        return true;
      });
      const bool self = self_overlapping(dst, a.p, a.size);
      EXPECT(mv::assign(dst, src) == mv::KStatus::ok);
      EXPECT(untouched_outside_dst() || same_block);
      if (!self) {
        size_t k = 0;
        bool right = true;
        for_each_offset(dst, [&](const int64_t *idx, i128) {
          if (std::memcmp(mv::element_address(dst, idx), want[k++].data(), size_t(itemsize)) != 0) right = false;
          return right;
        });
        EXPECT(right);
        if (same_block) {  // bytes outside dst's elements keep their values
          for (int64_t i = 0; i < a.size; ++i)
            if (!mask[size_t(i)] && a.p[i] != before[size_t(i)]) {
              fail_here(__FILE__, __LINE__, "assign changed a byte outside the destination");
              return;
            }
        }
      }
      break;
    }
    case 2: {  // cast to another type (its own accepted slice of the same shape)
      const char to = kCodes[r.below(sizeof kCodes - 1)];
      Block c(r, r.range(1, 1024));
      mv::Slice out = accepted_like(r, r.chance(50) ? a : c, mv::kernel_itemsize(to), &dst);
      if (out.ndim < 0) return;
      restore();
      (void)mv::cast(out, to, dst, code);
      break;
    }
    case 3: {  // reductions
      for (int k = 0; k < 4; ++k) {
        mv::Scalar out;
        mv::KStatus st = mv::reduce(dst, code, mv::ReduceOp(k), &out);
        EXPECT(st == mv::KStatus::ok || st == mv::KStatus::empty_reduction || st == mv::KStatus::bad_op);
      }
      EXPECT(untouched_outside_dst());
      for (int64_t i = 0; i < a.size; ++i) EXPECT(a.p[i] == before[size_t(i)]);  // read-only
      break;
    }
    case 4: {  // reduce along an axis into an accepted out slice
      if (dst.ndim == 0) return;
      const int axis = int(r.below(uint64_t(dst.ndim)));
      mv::Slice shape;
      shape.ndim = dst.ndim - 1;
      for (int d = 0, e = 0; d < dst.ndim; ++d)
        if (d != axis) shape.shape[e++] = dst.shape[d];
      const char oc = kCodes[r.below(sizeof kCodes - 1)];
      Block c(r, r.range(1, 1024));
      mv::Slice out = accepted_like(r, c, mv::kernel_itemsize(oc), &shape);
      if (out.ndim < 0) return;
      // Broadcast (stride-0) outputs are refused or written repeatedly; either is memory-safe.
      mv::KStatus st = mv::reduce_axis(dst, code, axis, mv::ReduceOp(r.below(4)), out, oc);
      (void)st;
      for (int64_t i = 0; i < a.size; ++i) EXPECT(a.p[i] == before[size_t(i)]);
      break;
    }
    default: {  // elementwise into dst from dst/src
      if (src.ndim < 0) return;
      const mv::Slice &x = r.chance(50) ? dst : src;
      mv::KStatus st = mv::binary(dst, x, src, code, mv::BinaryOp(r.below(8)));
      EXPECT(st == mv::KStatus::ok || st == mv::KStatus::bad_op);
      EXPECT(untouched_outside_dst() || same_block);
      break;
    }
  }
}

// Kernels over pointer tables (rows of separate blocks): fill and assign stay inside the rows.
void fuzz_kernels_indirect(Rng &r) {
  const char code = kCodes[r.below(sizeof kCodes - 1)];
  const int64_t itemsize = mv::kernel_itemsize(code);
  Table t;
  make_table(r, t, itemsize);
  if (!t.ok || count_of(t.s) > 4096) return;
  const mv::Slice &s = t.s;
  g_case = std::string("code=") + code + " indirect " + slice_text(s);
  unsigned op = unsigned(r.below(4));
  if (op == 0) {
    std::vector<char> value(static_cast<size_t>(itemsize), char(r.below(256)));
    EXPECT(mv::fill(s, value.data()) == mv::KStatus::ok);
  } else if (op == 1) {
    Block b(r, r.range(1, 1024));
    mv::Slice src = accepted_like(r, b, itemsize, &s);
    if (src.ndim < 0) return;
    EXPECT(mv::assign(s, src) == mv::KStatus::ok);
    EXPECT(mv::assign(src, s) == mv::KStatus::ok);
  } else if (op == 2) {
    mv::Scalar out;
    mv::KStatus st = mv::reduce(s, code, mv::ReduceOp(r.below(4)), &out);
    EXPECT(st == mv::KStatus::ok || st == mv::KStatus::empty_reduction || st == mv::KStatus::bad_op);
  } else {
    Table u;  // assign between two tables
    make_table(r, u, itemsize);
    if (!u.ok || u.s.ndim != s.ndim) return;
    for (int d = 0; d < s.ndim; ++d)
      if (u.s.shape[d] != s.shape[d]) return;
    EXPECT(mv::assign(s, u.s) == mv::KStatus::ok);
  }
}

#endif  // FUZZ_HAVE_KERNELS

// =============================================================================================
// driver
// =============================================================================================

struct Target {
  const char *name;
  void (*fn)(Rng &);
  int weight;
  int64_t runs = 0;
};

Target g_targets[] = {
    {"geometry", fuzz_geometry, 20},
    {"walk", fuzz_walk, 20},
    {"indirect", fuzz_indirect, 8},
    {"indices", fuzz_indices, 10},
    {"format", fuzz_format, 25},
    {"request", fuzz_request, 6},
    {"owner", fuzz_owner, 3},
#if FUZZ_HAVE_KERNELS
    {"kernels", fuzz_kernels, 20},
    {"kernels-indirect", fuzz_kernels_indirect, 6},
#endif
};

uint64_t mix(uint64_t seed, uint64_t iter) {
  Rng r(seed ^ (iter * 0xd1b54a32d192ed03ULL));
  r.next();
  return r.next();
}

}  // namespace

int main() {
  const char *e;
  double seconds = (e = std::getenv("FUZZ_SECONDS")) && *e ? std::atof(e) : 20.0;
  g_seed = (e = std::getenv("FUZZ_SEED")) && *e ? std::strtoull(e, nullptr, 10)
                                                : uint64_t(std::chrono::system_clock::now().time_since_epoch().count());
  const bool one = (e = std::getenv("FUZZ_ITER")) && *e;
  const uint64_t only_iter = one ? std::strtoull(e, nullptr, 10) : 0;
  const char *only_target = (e = std::getenv("FUZZ_TARGET")) && *e ? e : nullptr;
  g_known = !((e = std::getenv("FUZZ_KNOWN_BUGS")) && std::strcmp(e, "0") == 0);  // K1-K5 are fixed: always on
  g_verbose = (e = std::getenv("FUZZ_VERBOSE")) && std::strcmp(e, "1") == 0;
#ifdef FUZZ_HAVE_SANITIZER_API
  __sanitizer_set_death_callback(on_death);
#endif
  std::signal(SIGABRT, on_abort);
  load_seeds();
  std::printf("fuzz: seed %" PRIu64 ", %.0f s budget, %zu format seeds, kernels %s%s\n", g_seed, seconds,
              g_seeds.size(), FUZZ_HAVE_KERNELS ? "on" : "off (no kernels.h)", g_known ? ", known bugs ON" : "");
  std::fflush(stdout);

  int total_weight = 0;
  for (Target &t : g_targets)
    if (!only_target || std::strcmp(only_target, t.name) == 0) total_weight += t.weight;
  if (total_weight == 0) {
    std::fprintf(stderr, "fuzz: unknown FUZZ_TARGET %s\n", only_target);
    return 2;
  }

  const auto start = std::chrono::steady_clock::now();
  uint64_t iter = one ? only_iter : 0, done = 0;
  for (;; ++iter) {
    if (!one && (iter & 63) == 0) {
      const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (el >= seconds) break;
    }
    Rng r(mix(g_seed, iter));
    int pick = int(r.below(uint64_t(total_weight)));
    Target *t = nullptr;
    for (Target &c : g_targets) {
      if (only_target && std::strcmp(only_target, c.name) != 0) continue;
      if (pick < c.weight) {
        t = &c;
        break;
      }
      pick -= c.weight;
    }
    g_iter = iter;
    g_target = t->name;
    g_case.clear();
    const int64_t failed_before = g_failed;
    t->fn(r);
    ++t->runs;
    ++done;
    if (g_failed != failed_before) ++g_failed_iters;
    if (g_verbose || (one && g_failed == failed_before)) std::printf("fuzz: [%s] %s\n", t->name, g_case.c_str());
    if (one) break;
  }
  const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("fuzz: %.1f s, %.0f iterations/s:", el, el > 0 ? double(done) / el : 0.0);
  for (Target &t : g_targets) std::printf(" %s %" PRId64, t.name, t.runs);
  std::printf("\nfuzz: %" PRIu64 " passed, %" PRId64 " failed\n", done - uint64_t(g_failed_iters), g_failed_iters);
  return g_failed_iters == 0 ? 0 : 1;
}
