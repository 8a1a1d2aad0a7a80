// Bulk kernels over memviewslices: fill, assign, cast, reductions and elementwise arithmetic.
//
// Plain C++17, no Node-API. Every kernel is a template over the element type (Cython's fused
// types), instantiated once per type and selected by one switch on the struct format code per call;
// nothing is dispatched per element. The N-d walk lives in iterate.h, compiled once per operand
// count: axes are flipped, sorted by |stride| and merged so the innermost loop runs in memory order
// over the longest unit-stride run the layout allows (NumPy's trick: a.T.sum() walks memory, not
// logical order), pointer (indirect) axes are resolved once per row, transposed copies are
// cache-blocked, and the typed inner loop is called once per 1-d run (as NumPy's inner loops).
// Vectorization needs -O3 (GCC 12 at -O2 vectorizes only fixed-count loops); both builds use it.
//
// Element types, by format code (native byte order, any alignment: elements are loaded and
// stored with memcpy, so packed and unaligned views are fine):
//   b B h H i I l L q Q n N   int8 .. uint64 (l/L/n/N are 8 bytes, like q/Q)
//   ?                         bool, 1 byte; any nonzero byte reads as true, writes store 0/1
//   e                         IEEE binary16 (conversions here, round-to-nearest-even)
//   f d                       float, double
//   F D                       complex float, complex double (real, imag)
//
// Geometry is trusted to be in bounds: callers (the addon) validate every reachable byte against
// the owner first (slice.h check_within). The kernels still refuse descriptors whose arithmetic
// would overflow (ndim outside [0, kMaxDims], negative extents, itemsize <= 0, element count or
// sum of |stride| * (extent - 1) beyond int64): KStatus::bad_geometry.
#pragma once

#include <cstdint>

#include "slice.h"

namespace mv {

enum class KStatus : int {
  ok = 0,
  bad_type,              // unknown format code, or an itemsize that differs from the code's
  shape_mismatch,        // operands' ndim or shape differ (the caller broadcasts beforehand)
  indirect_unsupported,  // reserved: every kernel below accepts pointer axes
  alloc_failed,          // a temporary buffer could not be allocated
  empty_reduction,       // min/max over zero elements ("zero-size array to reduction operation
                         // minimum which has no identity")
  bad_axis,              // reduce_axis: axis outside [0, ndim)
  bad_op,                // operation not defined for the element type: bool sub/div/floordiv/mod,
                         // integer true division, complex floordiv/mod; unknown op value
  bad_geometry,          // see above
};

// A short English description of a status ("ok", "zero-size array in a reduction without
// identity", ...), for logs; the addon turns statuses into its own coded errors.
const char *kstatus_text(KStatus s);

// Bytes per element for a kernel format code, or 0 when the code is not a kernel element type.
int64_t kernel_itemsize(char code);

// ---------------------------------------------------------------------------------------------
// IEEE binary16. NumPy's npy_half semantics: round to nearest, ties to even, directly from the
// double (no double rounding through float); overflow gives +-inf; NaN stays NaN (quiet).

float half_to_float(uint16_t h);        // exact
uint16_t half_from_double(double x);    // correctly rounded
inline uint16_t half_from_float(float x) { return half_from_double(static_cast<double>(x)); }

// ---------------------------------------------------------------------------------------------
// fill: dst[...] = value. value points to dst.itemsize bytes already in dst's representation
// (any itemsize, structs included; must not be null). Contiguous runs use memset when all value
// bytes are equal.
KStatus fill(const Slice &dst, const void *value);

// assign: dst[...] = src. Same itemsize, identical ndim and shape (broadcast src by giving it
// stride-0 axes). Byte copies: any itemsize.
// Overlap-safe (memmove semantics, as NumPy and Cython): when dst and src describe the same
// elements (identical descriptor) nothing is done; when both are one contiguous run in the same
// element order, one memmove; otherwise, when the bytes dst writes intersect the bytes src reads,
// src is first copied into a temporary buffer. Bytes are found per slice: the direct range
// (lowest to highest reachable byte) or, with pointer axes, every row reached through the pointer
// tables plus the pointer slots themselves (conservative: with more than 65536 rows the bounding
// range of them all is used, and separately malloc'd rows that interleave with the other slice's
// rows in the heap can make a copy through the temporary that was not strictly needed).
// A dst whose writes clobber its own pointer tables is not supported (undefined result).
// A transposed pair is copied in cache-blocked tiles.
KStatus assign(const Slice &dst, const Slice &src);

// cast: converting copy, dst elements of type dst_code from src elements of type src_code, same
// shape. Semantics are C casts / NumPy astype(casting='unsafe'), with every case defined:
//   integer -> integer      two's complement wraparound (300 -> int8 44)
//   float -> integer        truncation toward zero; NaN -> 0; +-inf and out-of-range values
//                           saturate to the target's min/max (-1.5 -> uint8 0, 1e10 -> int32
//                           2147483647). NumPy leaves these platform-dependent; we pick the
//                           saturating rule (as Rust `as`, Java, ARM's fcvtz*).
//   -> bool                 value != 0 (NaN -> true; complex: either part != 0)
//   bool ->                 0 or 1
//   complex -> real/int     the real part (NumPy's ComplexWarning case), then the rules above
//   real -> complex         (value, 0)
//   -> float/double/half    rounded to nearest (ties even); overflow gives +-inf
// Same type (or same-size aliases like l/q) is an assign. Overlap-safe like assign.
KStatus cast(const Slice &dst, char dst_code, const Slice &src, char src_code);

// ---------------------------------------------------------------------------------------------
// Reductions.
enum class ReduceOp : int { sum, min, max, mean };

struct Scalar {
  enum Kind { i64, u64, f64, c128, boolean } kind = i64;
  int64_t i = 0;   // i64; boolean: 0 or 1
  uint64_t u = 0;  // u64
  double f = 0;    // f64
  double re = 0, im = 0;  // c128
};

// The accumulator / natural result code of a reduction over elements of type `code`:
//   sum:  signed ints and bool 'q' (int64, wraps around), unsigned 'Q', e/f/d 'd', F/D 'D'
//   mean: 'd', or 'D' for complex
//   min/max: `code` itself
// 0 when code is not a kernel type.
char reduce_result_code(char code, ReduceOp op);

// Reduction over every element of s, written to *out (not null; kind as reduce_result_code says: i64, u64,
// f64, c128, or boolean for min/max of '?'). Float sums accumulate in double (several independent
// accumulators, so the order of additions is not the logical order); min/max propagate NaN like
// NumPy (any NaN in the input gives NaN); complex min/max order lexicographically (real, then
// imag). Empty s: sum 0, mean NaN, min/max KStatus::empty_reduction.
KStatus reduce(const Slice &s, char code, ReduceOp op, Scalar *out);

// Reduction along `axis` of s into out: out.ndim == s.ndim - 1 and out.shape is s.shape without
// the axis; out's element type out_code is the caller's choice. Accumulation is in the type that
// reduce_result_code gives, then converted to out_code with cast's rules (so sum of int8 into
// 'b' wraps only at the end). Extent 0 along the axis: sum 0, mean NaN, min/max
// KStatus::empty_reduction (unless out has no elements). out must not overlap s in a way that
// matters: an overlapping out gets its results through a temporary.
KStatus reduce_axis(const Slice &s, char code, int axis, ReduceOp op, const Slice &out,
                    char out_code);

// ---------------------------------------------------------------------------------------------
// Elementwise out = a OP b. One element type `code` for all three (the caller casts first); same
// ndim and shape (broadcast a or b by stride-0 axes; a scalar is a stride-0 slice).
//   add, sub, mul   integers wrap around (computed unsigned); bool: add = or, mul = and
//   div             true division, e/f/d/F/D only (integers: cast to double first, as NumPy's /)
//   floordiv, mod   Python / NumPy floor_divide and remainder: integers round toward -inf and the
//                   remainder takes the divisor's sign; x // 0 == 0 and x % 0 == 0 (NumPy warns,
//                   we cannot); INT_MIN // -1 wraps to INT_MIN. Floats follow npy_divmod.
//   minimum, maximum  NaN-propagating (np.minimum/np.maximum); complex: lexicographic
// Half-precision ops compute in float and round once. Complex mul is the textbook formula, complex
// div is Smith's algorithm (both as NumPy). out may be a or b exactly (in place, a += b); any
// other overlap between out and an input makes a temporary copy of that input first.
enum class BinaryOp : int { add, sub, mul, div, floordiv, mod, minimum, maximum };

KStatus binary(const Slice &out, const Slice &a, const Slice &b, char code, BinaryOp op);

}  // namespace mv
