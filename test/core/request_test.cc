// PEP 3118 request negotiation (native/core/request.h): every rule, its order, its text, and which
// fields a granted request exports. The end-to-end matrix against CPython is in
// test/protocol.test.ts (test/fixtures/buffers.json); these pin the core on its own.
#include <string>
#include <vector>

#include "request.h"
#include "test.h"

using mv::Grant;
using mv::Refusal;
using mv::Slice;
namespace req = mv::bufreq;

namespace {

Slice geom(std::vector<int64_t> shape, std::vector<int64_t> strides, int64_t itemsize,
           std::vector<int64_t> suboffsets = {}) {
  Slice s;
  s.ndim = int(shape.size());
  s.itemsize = itemsize;
  for (size_t d = 0; d < shape.size(); ++d) {
    s.shape[d] = shape[d];
    s.strides[d] = strides[d];
    s.suboffsets[d] = d < suboffsets.size() ? suboffsets[d] : -1;
  }
  return s;
}

// The test_buffer.py oracle (verify_getbuf), written independently of request.cc: should `flags`
// be refused for memory with these properties?
bool oracle_refuses(int flags, bool readonly, bool c, bool f, bool indirect) {
  auto match = [&](int flag) { return (flags & flag) == flag; };
  return (readonly && match(req::kWritable)) || (match(req::kCContiguous) && !c) ||
         (match(req::kFContiguous) && !f) || (match(req::kAnyContiguous) && !c && !f) ||
         (!match(req::kIndirect) && indirect) || (!match(req::kStrides) && !c) ||
         (!match(req::kND) && match(req::kFormat));
}

const int kRequests[] = {req::kIndirect, req::kStrides,       req::kND,        req::kSimple,
                         req::kCContiguous, req::kFContiguous, req::kAnyContiguous, req::kFull,
                         req::kFullRO,   req::kRecords,       req::kRecordsRO, req::kStrided,
                         req::kStridedRO, req::kContig,       req::kContigRO};
const int kBits[] = {0, req::kWritable, req::kFormat, req::kWritable | req::kFormat};

}  // namespace

TEST(request_flag_values_are_cpythons) {
  CHECK_EQ(req::kSimple, 0);
  CHECK_EQ(req::kWritable, 0x1);
  CHECK_EQ(req::kFormat, 0x4);
  CHECK_EQ(req::kND, 0x8);
  CHECK_EQ(req::kStrides, 0x18);
  CHECK_EQ(req::kCContiguous, 0x38);
  CHECK_EQ(req::kFContiguous, 0x58);
  CHECK_EQ(req::kAnyContiguous, 0x98);
  CHECK_EQ(req::kIndirect, 0x118);
  CHECK_EQ(req::kContig, 0x9);
  CHECK_EQ(req::kContigRO, 0x8);
  CHECK_EQ(req::kStrided, 0x19);
  CHECK_EQ(req::kStridedRO, 0x18);
  CHECK_EQ(req::kRecords, 0x1d);
  CHECK_EQ(req::kRecordsRO, 0x1c);
  CHECK_EQ(req::kFull, 0x11d);
  CHECK_EQ(req::kFullRO, 0x11c);
}

TEST(request_full_ro_on_c_contiguous_exports_everything_but_suboffsets) {
  Grant g;
  CHECK(mv::request_buffer(geom({3, 4}, {16, 4}, 4), false, req::kFullRO, &g) == Refusal::none);
  CHECK(g.format && g.shape && g.strides);
  CHECK(!g.suboffsets);  // direct memory: suboffsets NULL even though INDIRECT was requested
  CHECK(!g.readonly);
  CHECK_EQ(g.ndim, 2);
  CHECK_EQ(g.len, int64_t(48));
}

TEST(request_simple_leaves_every_field_out) {
  Grant g;
  CHECK(mv::request_buffer(geom({3, 4}, {16, 4}, 4), true, req::kSimple, &g) == Refusal::none);
  CHECK(!g.format && !g.shape && !g.strides && !g.suboffsets);
  CHECK_EQ(g.ndim, 1);  // no ND: ndim is reported as 1 (B1), shape NULL
  CHECK_EQ(g.len, int64_t(48));
  CHECK(g.readonly);
}

TEST(request_nd_without_strides) {
  Grant g;
  CHECK(mv::request_buffer(geom({3, 4}, {16, 4}, 4), false, req::kContigRO, &g) == Refusal::none);
  CHECK(g.shape && !g.strides && !g.format);
  CHECK_EQ(g.ndim, 2);
}

TEST(request_refusals_and_cpython_texts) {
  Grant g;
  Slice c = geom({3, 4}, {16, 4}, 4);
  Slice f = geom({3, 4}, {4, 12}, 4);
  Slice sliced = geom({3, 2}, {16, 8}, 4);  // a[:, ::2]: neither C nor F
  Slice pil = geom({3, 4}, {8, 4}, 4, {0, -1});

  CHECK(mv::request_buffer(c, true, req::kWritable, &g) == Refusal::not_writable);
  CHECK_STR(mv::refusal_text(Refusal::not_writable), "memoryview: underlying buffer is not writable");

  CHECK(mv::request_buffer(f, false, req::kCContiguous, &g) == Refusal::not_c_contiguous);
  CHECK_STR(mv::refusal_text(Refusal::not_c_contiguous), "memoryview: underlying buffer is not C-contiguous");

  CHECK(mv::request_buffer(c, false, req::kFContiguous, &g) == Refusal::not_f_contiguous);
  CHECK_STR(mv::refusal_text(Refusal::not_f_contiguous), "memoryview: underlying buffer is not Fortran contiguous");

  CHECK(mv::request_buffer(sliced, false, req::kAnyContiguous, &g) == Refusal::not_contiguous);
  CHECK_STR(mv::refusal_text(Refusal::not_contiguous), "memoryview: underlying buffer is not contiguous");
  CHECK(mv::request_buffer(f, false, req::kAnyContiguous, &g) == Refusal::none);

  CHECK(mv::request_buffer(pil, false, req::kRecordsRO, &g) == Refusal::requires_suboffsets);
  CHECK_STR(mv::refusal_text(Refusal::requires_suboffsets), "memoryview: underlying buffer requires suboffsets");

  // No STRIDES on a Fortran buffer: the no-strides rule uses the C-contiguous text.
  CHECK(mv::request_buffer(f, false, req::kContigRO, &g) == Refusal::requires_strides);
  CHECK_STR(mv::refusal_text(Refusal::requires_strides), "memoryview: underlying buffer is not C-contiguous");
  CHECK(mv::request_buffer(f, false, req::kStridedRO, &g) == Refusal::none);

  // FORMAT without ND makes no sense (PyBUF_SIMPLE|PyBUF_FORMAT).
  CHECK(mv::request_buffer(c, false, req::kFormat, &g) == Refusal::format_without_shape);
  CHECK(mv::request_buffer(c, false, req::kFormat | req::kWritable, &g) == Refusal::format_without_shape);
  CHECK_STR(mv::refusal_text(Refusal::format_without_shape),
            "memoryview: cannot cast to unsigned bytes if the format flag is present");
  for (Refusal r : {Refusal::not_writable, Refusal::not_c_contiguous, Refusal::not_f_contiguous,
                    Refusal::not_contiguous, Refusal::requires_suboffsets, Refusal::requires_strides,
                    Refusal::format_without_shape})
    CHECK(mv::is_flag_refusal(r));
  CHECK(!mv::is_flag_refusal(Refusal::none));
  CHECK(!mv::is_flag_refusal(Refusal::bad_geometry));
}

TEST(request_checks_in_cpythons_order) {
  Grant g;
  Slice f = geom({3, 4}, {4, 12}, 4);
  Slice pil = geom({3, 4}, {8, 4}, 4, {0, -1});
  // Writable is checked before contiguity.
  CHECK(mv::request_buffer(f, true, req::kCContiguous | req::kWritable, &g) == Refusal::not_writable);
  // Contiguity before suboffsets: an indirect buffer is neither C nor F.
  CHECK(mv::request_buffer(pil, false, req::kCContiguous, &g) == Refusal::not_c_contiguous);
  CHECK(mv::request_buffer(pil, false, req::kAnyContiguous, &g) == Refusal::not_contiguous);
  // Suboffsets before the no-strides rule.
  CHECK(mv::request_buffer(pil, false, req::kSimple, &g) == Refusal::requires_suboffsets);
  // The no-strides rule before FORMAT-without-ND.
  CHECK(mv::request_buffer(f, false, req::kFormat, &g) == Refusal::requires_strides);
}

TEST(request_indirect_exports_suboffsets_only_when_some_axis_is_indirect) {
  Grant g;
  Slice pil = geom({3, 4}, {8, 4}, 4, {0, -1});
  CHECK(mv::request_buffer(pil, false, req::kFull, &g) == Refusal::none);
  CHECK(g.suboffsets && g.strides && g.shape && g.format);
  // All-negative suboffsets are exported as NULL (Cython PR #367).
  Slice direct = geom({3, 4}, {16, 4}, 4, {-1, -1});
  CHECK(mv::request_buffer(direct, false, req::kFull, &g) == Refusal::none);
  CHECK(!g.suboffsets);
  // Any non-negative suboffset makes the buffer indirect, 0 included, on any axis.
  Slice last = geom({3, 2}, {16, 8}, 4, {-1, 0});
  CHECK(mv::request_buffer(last, false, req::kStrided, &g) == Refusal::requires_suboffsets);
}

TEST(request_contiguity_is_numpys_flags) {
  Grant g;
  // Extent-1 axes are ignored.
  Slice row = geom({1, 4}, {999, 4}, 4);
  CHECK(mv::request_buffer(row, false, req::kCContiguous, &g) == Refusal::none);
  CHECK(mv::request_buffer(row, false, req::kFContiguous, &g) == Refusal::none);
  CHECK(mv::request_buffer(row, false, req::kSimple, &g) == Refusal::none);
  // 0-d is both; SIMPLE reports ndim 1 and len == itemsize; ND reports ndim 0.
  Slice scalar = geom({}, {}, 8);
  CHECK(mv::request_buffer(scalar, false, req::kFContiguous, &g) == Refusal::none);
  CHECK(mv::request_buffer(scalar, false, req::kSimple, &g) == Refusal::none);
  CHECK_EQ(g.ndim, 1);
  CHECK_EQ(g.len, int64_t(8));
  CHECK(mv::request_buffer(scalar, false, req::kContigRO, &g) == Refusal::none);
  CHECK_EQ(g.ndim, 0);
  // Empty buffers are both, whatever their strides (PyBuffer_IsContiguous: len 0). CPython's
  // memoryview alone calls a 1-D empty view with stride != itemsize non-contiguous.
  Slice empty = geom({0, 3}, {-5, 7}, 4);
  CHECK(mv::request_buffer(empty, false, req::kCContiguous, &g) == Refusal::none);
  CHECK(mv::request_buffer(empty, false, req::kFContiguous, &g) == Refusal::none);
  CHECK_EQ(g.len, int64_t(0));
  Slice empty1 = geom({0}, {-4}, 4);
  CHECK(mv::request_buffer(empty1, false, req::kSimple, &g) == Refusal::none);
  // Negative strides are never contiguous (beyond extent 1).
  Slice rev = geom({12}, {-1}, 1);
  CHECK(mv::request_buffer(rev, false, req::kSimple, &g) == Refusal::requires_strides);
  CHECK(mv::request_buffer(rev, false, req::kStridedRO, &g) == Refusal::none);
  CHECK_EQ(g.len, int64_t(12));
}

TEST(request_matrix_agrees_with_the_test_buffer_oracle) {
  struct Case {
    Slice s;
    bool c, f, indirect;
  };
  std::vector<Case> cases = {
      {geom({}, {}, 4), true, true, false},
      {geom({1, 3, 1}, {12, 4, 4}, 4), true, true, false},
      {geom({12}, {1}, 1), true, true, false},
      {geom({12}, {-1}, 1), false, false, false},
      {geom({6}, {2}, 1), false, false, false},
      {geom({3, 4}, {4, 1}, 1), true, false, false},
      {geom({3, 4}, {1, 3}, 1), false, true, false},
      {geom({3, 4}, {-4, -1}, 1), false, false, false},
      {geom({2, 2}, {4, 1}, 1), false, false, false},
      {geom({3, 4}, {8, 1}, 1, {0, -1}), false, false, true},
      {geom({3, 4}, {-8, 1}, 1, {3, -1}), false, false, true},
      {geom({2, 0}, {0, 4}, 4), true, true, false},
  };
  int checked = 0;
  for (const Case &k : cases) {
    CHECK(mv::is_c_contiguous(k.s) == k.c);
    CHECK(mv::is_f_contiguous(k.s) == k.f);
    for (bool ro : {false, true}) {
      for (int r : kRequests) {
        for (int bits : kBits) {
          int flags = r | bits;
          Grant g;
          Refusal got = mv::request_buffer(k.s, ro, flags, &g);
          bool refuse = oracle_refuses(flags, ro, k.c, k.f, k.indirect);
          CHECK((got != Refusal::none) == refuse);
          if (got == Refusal::none) {
            CHECK(g.format == ((flags & req::kFormat) != 0));
            CHECK(g.shape == ((flags & req::kND) == req::kND));
            CHECK(g.strides == ((flags & req::kStrides) == req::kStrides));
            CHECK(g.suboffsets == (k.indirect && (flags & req::kIndirect) == req::kIndirect));
            CHECK_EQ(g.ndim, g.shape ? k.s.ndim : 1);
            CHECK(g.readonly == ro);
          } else {
            CHECK(mv::is_flag_refusal(got));
          }
          ++checked;
        }
      }
    }
  }
  CHECK_EQ(checked, 12 * 2 * 15 * 4);
}

TEST(request_rejects_bad_input) {
  Grant g;
  g.ndim = 42;
  CHECK(mv::request_buffer(geom({3}, {4}, 4), false, -1, &g) == Refusal::bad_flags);
  CHECK(mv::request_buffer(geom({3}, {4}, 0), false, 0, &g) == Refusal::bad_geometry);
  CHECK(mv::request_buffer(geom({-1}, {4}, 4), false, 0, &g) == Refusal::bad_geometry);
  Slice big = geom({int64_t(1) << 40, int64_t(1) << 40}, {int64_t(1) << 40, 1}, 1);
  CHECK(mv::request_buffer(big, false, req::kFullRO, &g) == Refusal::bad_geometry);
  Slice wide = geom({int64_t(1) << 31, int64_t(1) << 31}, {int64_t(1) << 40, 8}, 1 << 20);
  CHECK(mv::request_buffer(wide, false, req::kFullRO, &g) == Refusal::bad_geometry);  // len overflows
  Slice nd;
  nd.ndim = 65;
  nd.itemsize = 1;
  CHECK(mv::request_buffer(nd, false, 0, &g) == Refusal::bad_geometry);
  CHECK_EQ(g.ndim, 42);  // untouched on refusal
  CHECK_STR(mv::refusal_text(Refusal::none), "");
}
