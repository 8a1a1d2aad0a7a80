// The N-d walk behind every kernel: K operands that share one shape, visited in memory order.
//
// A kernel only ever sees 1-d runs: f(n, p, s) handles n elements, operand k's element i being at
// p[k] + i * s[k] (bytes). The walk is compiled once per operand count K and calls the typed inner
// loop through a function pointer, once per run (NumPy's inner-loop design): the loops over
// element types stay small, and a run is as long as the layout allows, so the call is amortized. Everything else is decided here, once per call, so the innermost run is
// as long and as unit-strided as the layout allows:
//   1. axes of extent 1 are dropped (an extent 0 anywhere means there is nothing to do);
//   2. axes where operand 0 (the operand whose memory order matters most: the destination of a
//      copy, the input of a reduction) has a negative stride are flipped in every operand, which
//      keeps the element-to-element pairing; kernels here never depend on visiting order;
//   3. axes are sorted by |stride| of operand 0, largest outermost, ties broken by the next
//      operands (NumPy's "K" order: a.T.sum() walks memory, not logical order);
//   4. neighbouring axes that are contiguous with each other in every operand are merged, so a
//      C-contiguous (or transposed-contiguous) block is one run;
//   5. K == 2 on request: when operand 1's smallest stride is on another axis than the innermost
//      one and large (a transposed copy), those two axes are walked in square tiles so the reads of
//      one side and the writes of the other both stay in L1 (cache-blocked transpose).
// Pointer axes (suboffset >= 0): axes up to and including the last pointer axis of any operand are
// walked in logical order, resolving pointers as PEP 3118 says (p += i * stride, then
// p = *(char **)p + suboffset); the direct axes after it are planned once as above and reused for
// every row, so a double** (pointer axis 0, contiguous axis 1) runs each row with the kernel's
// contiguous loop.
//
// Invariant the callers keep: geometry is valid (validate_slice in kernels.cc): every pointer
// formed here addresses an element of some operand, never one past it.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "slice.h"

namespace mv {
namespace detail {

struct Operand {
  char *data;
  const int64_t *strides;
  const int64_t *suboffsets;  // nullptr: every axis is direct
};

inline bool pointer_axis(const Operand &o, int d) { return o.suboffsets && o.suboffsets[d] >= 0; }

inline int64_t abs64(int64_t v) { return v < 0 ? -v : v; }  // |strides| are validated to fit

// Reads a pointer slot of a pointer table (any alignment).
inline char *load_pointer(const char *p) {
  char *q;
  std::memcpy(&q, p, sizeof q);
  return q;
}

// The planned direct axes: dims 0..ndim-1 outermost to innermost, ndim >= 1.
template <int K>
struct Nest {
  int ndim = 1;
  int64_t shape[kMaxDims];
  int64_t strides[K][kMaxDims];
  int64_t offset[K];  // bytes added to each operand's base (from flipped axes)
  int64_t tile = 0;   // K == 2: > 0 when dims ndim-2 and ndim-1 are walked in tile x tile blocks
};

// Plans axes [first, last) of the operands (steps 1-5 above). block_itemsize > 0 (K == 2 only)
// allows cache blocking and sizes the tiles.
template <int K>
void plan_axes(int first, int last, const int64_t *shape, const Operand (&ops)[K],
               int64_t block_itemsize, Nest<K> &n) {
  struct Ax {
    int64_t n;
    int64_t s[K];
  };
  Ax ax[kMaxDims];
  int m = 0;
  for (int k = 0; k < K; ++k) n.offset[k] = 0;
  for (int d = first; d < last; ++d) {
    if (shape[d] == 1) continue;
    Ax a;
    a.n = shape[d];
    for (int k = 0; k < K; ++k) a.s[k] = ops[k].strides[d];
    if (a.s[0] < 0) {
      for (int k = 0; k < K; ++k) {
        n.offset[k] += (a.n - 1) * a.s[k];
        a.s[k] = -a.s[k];
      }
    }
    // Insertion sort, outermost (largest |stride| of operand 0, then 1, ...) first; stable.
    int j = m++;
    for (; j > 0; --j) {
      const Ax &prev = ax[j - 1];
      bool a_outer = false;
      for (int k = 0; k < K; ++k) {
        const int64_t x = abs64(a.s[k]), y = abs64(prev.s[k]);
        if (x != y) {
          a_outer = x > y;
          break;
        }
      }
      if (!a_outer) break;
      ax[j] = ax[j - 1];
    }
    ax[j] = a;
  }
  // Merge neighbours that are contiguous with each other in every operand.
  int r = 0;
  for (int i = 0; i < m; ++i) {
    if (r > 0) {
      Ax &prev = ax[r - 1];
      bool merge = true;
      for (int k = 0; k < K; ++k)
        if (prev.s[k] != ax[i].s[k] * ax[i].n) merge = false;
      if (merge) {
        prev.n *= ax[i].n;
        for (int k = 0; k < K; ++k) prev.s[k] = ax[i].s[k];
        continue;
      }
    }
    ax[r++] = ax[i];
  }
  if (r == 0) {  // 0-d, or every extent is 1: one element
    ax[0].n = 1;
    for (int k = 0; k < K; ++k) ax[0].s[k] = 0;
    r = 1;
  }
  n.tile = 0;
  if constexpr (K == 2) {
    // Cache blocking: operand 0 walks the innermost dim A; if operand 1 is contiguous-ish along
    // another dim B but jumps at least a cache line per step along A, tile A x B.
    if (block_itemsize > 0 && r >= 2) {
      const int A = r - 1;
      int B = 0;
      for (int d = 1; d < A; ++d)
        if (abs64(ax[d].s[1]) < abs64(ax[B].s[1])) B = d;
      if (abs64(ax[B].s[1]) < abs64(ax[A].s[1]) && abs64(ax[A].s[1]) >= 64 && ax[A].n >= 16 &&
          ax[B].n >= 16) {
        const Ax b = ax[B];
        for (int d = B; d < A - 1; ++d) ax[d] = ax[d + 1];
        ax[A - 1] = b;
        int64_t t = 256 / block_itemsize;  // a tile row spans 256 bytes, tiles stay in L1
        n.tile = t < 16 ? 16 : t > 64 ? 64 : t;
      }
    }
  } else {
    (void)block_itemsize;
  }
  n.ndim = r;
  for (int i = 0; i < r; ++i) {
    n.shape[i] = ax[i].n;
    for (int k = 0; k < K; ++k) n.strides[k][i] = ax[i].s[k];
  }
}

// The typed inner loop: handles one 1-d run. ctx is the kernel functor (its state, if any).
using RunFn = void (*)(void *ctx, int64_t n, char *const *p, const int64_t *s);

template <class F> void call_functor(void *ctx, int64_t n, char *const *p, const int64_t *s) {
  (*static_cast<F *>(ctx))(n, p, s);
}

// Calls fn for every index of dims [0, upto) of the nest (once when upto == 0) with the inner run
// (len, strides is) at that index.
template <int K>
inline void for_each_outer(const Nest<K> &n, int upto, char *const *base, int64_t len,
                           const int64_t *is, RunFn fn, void *ctx) {
  char *p[K];
  for (int k = 0; k < K; ++k) p[k] = base[k];
  if (upto == 0) {
    fn(ctx, len, p, is);
    return;
  }
  if (upto == 1) {
    const int64_t c = n.shape[0];
    for (int64_t i = 0;;) {
      fn(ctx, len, p, is);
      if (++i == c) return;
      for (int k = 0; k < K; ++k) p[k] += n.strides[k][0];
    }
  }
  int64_t idx[kMaxDims];
  for (int d = 0; d < upto; ++d) idx[d] = 0;
  for (;;) {
    fn(ctx, len, p, is);
    int d = upto - 1;
    for (; d >= 0; --d) {
      if (++idx[d] < n.shape[d]) {
        for (int k = 0; k < K; ++k) p[k] += n.strides[k][d];
        break;
      }
      idx[d] = 0;
      for (int k = 0; k < K; ++k) p[k] -= n.strides[k][d] * (n.shape[d] - 1);
    }
    if (d < 0) return;
  }
}

// Runs fn over every element of a planned nest whose element [0...0] is at data[k].
template <int K>
void run_nest(const Nest<K> &n, char *const *data, RunFn fn, void *ctx) {
  char *base[K];
  for (int k = 0; k < K; ++k) base[k] = data[k] + n.offset[k];
  const int m = n.ndim;
  int64_t is[K];
  for (int k = 0; k < K; ++k) is[k] = n.strides[k][m - 1];
  const int64_t len = n.shape[m - 1];
  if (K == 2 && n.tile > 0) {
    // Tiles over dims m-2 (B) and m-1 (A): for each tile, runs along A, one per B index.
    const int64_t nb = n.shape[m - 2], t = n.tile;
    int64_t bs[K];
    for (int k = 0; k < K; ++k) bs[k] = n.strides[k][m - 2];
    struct Tiler {
      int64_t nb, t, len;
      const int64_t *is, *bs;
      RunFn fn;
      void *ctx;
      static void run(void *self, int64_t, char *const *p, const int64_t *) {
        const Tiler &T = *static_cast<Tiler *>(self);
        for (int64_t b0 = 0; b0 < T.nb; b0 += T.t) {
          const int64_t b1 = T.nb - b0 < T.t ? T.nb : b0 + T.t;
          for (int64_t a0 = 0; a0 < T.len; a0 += T.t) {
            const int64_t cnt = T.len - a0 < T.t ? T.len - a0 : T.t;
            for (int64_t b = b0; b < b1; ++b) {
              char *q[K];
              for (int k = 0; k < K; ++k) q[k] = p[k] + b * T.bs[k] + a0 * T.is[k];
              T.fn(T.ctx, cnt, q, T.is);
            }
          }
        }
      }
    } tiler{nb, t, len, is, bs, fn, ctx};
    for_each_outer(n, m - 2, base, 0, nullptr, &Tiler::run, &tiler);
    return;
  }
  for_each_outer(n, m - 1, base, len, is, fn, ctx);
}

// The whole walk: K operands of one shape, pointer axes resolved, fn called on 1-d runs.
template <int K>
void run(int ndim, const int64_t *shape, const Operand (&ops)[K], int64_t block_itemsize,
         RunFn fn, void *ctx) {
  for (int d = 0; d < ndim; ++d)
    if (shape[d] == 0) return;
  int last_ptr = -1;
  for (int k = 0; k < K; ++k)
    for (int d = 0; d < ndim; ++d)
      if (pointer_axis(ops[k], d) && d > last_ptr) last_ptr = d;
  Nest<K> n;
  plan_axes(last_ptr + 1, ndim, shape, ops, block_itemsize, n);
  if (last_ptr < 0) {
    char *b[K];
    for (int k = 0; k < K; ++k) b[k] = ops[k].data;
    run_nest(n, b, fn, ctx);
    return;
  }
  // Axes [0, last_ptr] in logical order: each index tuple resolves to one base per operand.
  int64_t idx[kMaxDims];
  for (int d = 0; d <= last_ptr; ++d) idx[d] = 0;
  for (;;) {
    char *b[K];
    for (int k = 0; k < K; ++k) {
      char *p = ops[k].data;
      for (int d = 0; d <= last_ptr; ++d) {
        p += idx[d] * ops[k].strides[d];
        if (pointer_axis(ops[k], d)) p = load_pointer(p) + ops[k].suboffsets[d];
      }
      b[k] = p;
    }
    run_nest(n, b, fn, ctx);
    int d = last_ptr;
    for (; d >= 0; --d) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

// Convenience: f is any functor with operator()(int64_t n, char *const *p, const int64_t *s).
// Only the functor's inner loop is compiled per element type; the walk is shared per K.
template <int K, class F>
void run(int ndim, const int64_t *shape, const Operand (&ops)[K], int64_t block_itemsize, F &&f) {
  using Fn = std::remove_reference_t<F>;
  run<K>(ndim, shape, ops, block_itemsize, &call_functor<Fn>,
         const_cast<void *>(static_cast<const void *>(&f)));
}

}  // namespace detail
}  // namespace mv
