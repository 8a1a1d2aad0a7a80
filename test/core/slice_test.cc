// The memviewslice helpers: contiguity, extents, overflow, addressing, slice.indices.
#include <climits>
#include <cstring>
#include <vector>

#include "slice.h"
#include "test.h"

using mv::Slice;
using mv::Status;

static Slice make(std::vector<int64_t> shape, std::vector<int64_t> strides, int64_t itemsize, char *data = nullptr) {
  Slice s;
  s.data = data;
  s.ndim = int(shape.size());
  s.itemsize = itemsize;
  for (size_t d = 0; d < shape.size(); ++d) {
    s.shape[d] = shape[d];
    s.strides[d] = strides[d];
    s.suboffsets[d] = -1;
  }
  return s;
}

TEST(init_contiguous_c_and_f) {
  Slice s;
  int64_t shape[3] = {5, 7, 11};
  CHECK(mv::init_contiguous(s, 3, shape, 1, 'c') == Status::ok);
  CHECK_EQ(s.strides[0], 77);
  CHECK_EQ(s.strides[1], 11);
  CHECK_EQ(s.strides[2], 1);
  CHECK(mv::is_c_contiguous(s));
  CHECK(!mv::is_f_contiguous(s));
  CHECK(mv::init_contiguous(s, 3, shape, 1, 'f') == Status::ok);
  CHECK_EQ(s.strides[0], 1);
  CHECK_EQ(s.strides[1], 5);
  CHECK_EQ(s.strides[2], 35);
  CHECK(mv::is_f_contiguous(s));
}

TEST(contiguity_follows_numpy_flags) {
  // Extent-1 axes are ignored, as NumPy's flags do.
  CHECK(mv::is_c_contiguous(make({1, 3}, {999, 4}, 4)));
  CHECK(mv::is_f_contiguous(make({1, 3}, {999, 4}, 4)));
  // Empty slices are both.
  CHECK(mv::is_c_contiguous(make({0, 3}, {-5, 7}, 4)));
  // Sliced rows are neither.
  Slice sliced = make({2, 4}, {12, 1}, 1);
  CHECK(!mv::is_c_contiguous(sliced));
  CHECK(!mv::is_f_contiguous(sliced));
  // 0-d is both.
  CHECK(mv::is_c_contiguous(make({}, {}, 8)));
  Slice ind = make({2, 3}, {8, 4}, 4);
  ind.suboffsets[0] = 0;
  CHECK(!mv::is_c_contiguous(ind));
}

TEST(extent_of_negative_and_zero_strides) {
  mv::Extent e;
  CHECK(mv::direct_extent(make({3, 4}, {-16, 4}, 4), &e) == Status::ok);
  CHECK_EQ(e.lo, -32);
  CHECK_EQ(e.hi, 15);
  CHECK(mv::direct_extent(make({10}, {0}, 8), &e) == Status::ok);
  CHECK_EQ(e.lo, 0);
  CHECK_EQ(e.hi, 7);
  CHECK(mv::direct_extent(make({3, 0}, {4, 4}, 4), &e) == Status::ok);
  CHECK(e.hi < e.lo);
}

TEST(extent_overflow_is_detected) {
  mv::Extent e;
  CHECK(mv::direct_extent(make({INT64_MAX / 2, 3}, {4, INT64_MAX / 2}, 4), &e) == Status::overflow);
  CHECK(mv::direct_extent(make({3}, {INT64_MAX}, 1), &e) == Status::overflow);
  CHECK(mv::direct_extent(make({2}, {INT64_MIN / 2 - 1}, 1), &e) == Status::ok);
  int64_t n;
  CHECK(mv::element_count(make({INT64_MAX, 3}, {0, 0}, 1), &n) == Status::overflow);
  CHECK(mv::direct_extent(make({-1}, {4}, 4), &e) == Status::bad_shape);
  Slice bad = make({1}, {1}, 1);
  bad.ndim = 65;
  CHECK(mv::direct_extent(bad, &e) == Status::bad_ndim);
}

TEST(check_within_bounds) {
  std::vector<char> mem(48);
  Slice s = make({3, 4}, {16, 4}, 4, mem.data());
  CHECK(mv::check_within(s, mem.data(), 48) == Status::ok);
  CHECK(mv::check_within(s, mem.data(), 47) == Status::out_of_bounds);
  Slice rev = make({3}, {-16}, 4, mem.data() + 32);
  CHECK(mv::check_within(rev, mem.data(), 48) == Status::ok);
  rev.data = mem.data() + 16;
  CHECK(mv::check_within(rev, mem.data(), 48) == Status::out_of_bounds);
}

TEST(element_address_follows_suboffsets) {
  // A double** table of 3 rows of 4, PIL style: strides [8, 8], suboffsets [0, -1].
  double rows[3][4];
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) rows[i][j] = i * 10 + j;
  double *table[3] = {rows[0], rows[1], rows[2]};
  Slice s = make({3, 4}, {8, 8}, 8, reinterpret_cast<char *>(table));
  s.suboffsets[0] = 0;
  int64_t idx[2] = {2, 3};
  double v;
  std::memcpy(&v, mv::element_address(s, idx), sizeof v);
  CHECK(v == 23.0);
  // A suboffset shifts within the pointed-to row (as a sliced indirect view does).
  s.suboffsets[0] = 8;
  idx[1] = 1;
  std::memcpy(&v, mv::element_address(s, idx), sizeof v);
  CHECK(v == 22.0);
  mv::Extent e;
  CHECK(mv::direct_extent(s, &e) == Status::ok);
  CHECK_EQ(e.hi, 23);  // only the pointer table is reachable directly
}

TEST(slice_indices_matches_python) {
  struct Row { int64_t n; bool hs; int64_t s; bool he; int64_t e; bool hp; int64_t p; int64_t start, step, len; };
  const Row rows[] = {
      {10, false, 0, false, 0, false, 0, 0, 1, 10},
      {10, true, -2, true, 0, true, -2, 8, -2, 4},   // [-2:0:-2] -> 8 6 4 2
      {10, true, 5, true, 4, true, 2, 5, 2, 0},      // wrong direction: empty (Cython differs)
      {10, true, 3, true, -100, true, -1, 3, -1, 4}, // Python keeps 3 2 1 0
      {10, true, -100, false, 0, true, -1, -1, -1, 0},
      {0, false, 0, true, -9, true, -4, -1, -4, 0},
      {50, true, 10, true, -20, true, 2, 10, 2, 10},
      {3, true, 10, false, 0, false, 0, 3, 1, 0},
      {7, false, 0, false, 0, true, INT64_MIN, 6, -INT64_MAX, 1},
  };
  for (const Row &r : rows) {
    int64_t start, step, len;
    mv::slice_indices(r.n, r.hs, r.s, r.he, r.e, r.hp, r.p, &start, &step, &len);
    CHECK_EQ(start, r.start);
    CHECK_EQ(step, r.step);
    CHECK_EQ(len, r.len);
  }
}
