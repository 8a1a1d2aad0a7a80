// Tests for the PEP 3118 / struct format parser (native/core/format.h).
//
// The fixture cases (format_cases.inc) come from scripts/gen_format_fixtures.py, which takes the
// expected itemsize and type tree from CPython's struct module and NumPy's PEP 3118 parser. The
// hand-written tests below cover what the oracles cannot: error texts, limits, overflow, names,
// byte order flags, robustness on truncated and random input, and Cython's dtype check.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "format.h"
#include "test.h"

namespace {

struct ValidFormatCase {
  const char *format;
  size_t len;
  int64_t itemsize;
  const char *layout;
};

struct InvalidFormatCase {
  const char *format;
  size_t len;
};

#include "format_cases.inc"

// The type tree as the fixture generator writes it from a NumPy dtype: scalar = dtype.str
// ('<i4', '|b1', '|S3'); sub-array = '(2,3)' + element; struct = '{name@offset:layout,...}' + size.
std::string layout(const mv::FormatType &t) {
  switch (t.kind) {
    case mv::FormatType::Kind::scalar: {
      char kind = '?';
      switch (t.code) {
        case 'b': case 'h': case 'i': case 'l': case 'q': case 'n': kind = 'i'; break;
        case 'B': case 'H': case 'I': case 'L': case 'Q': case 'N': case 'P': kind = 'u'; break;
        case '?': kind = 'b'; break;
        case 'e': case 'f': case 'd': case 'g': kind = 'f'; break;
        case 'F': case 'D': case 'G': kind = 'c'; break;
        case 'c': case 's': case 'p': kind = 'S'; break;
        case 'x': kind = 'V'; break;
      }
      char order = (kind == 'S' || kind == 'V' || t.size == 1) ? '|' : (t.endian == mv::Endian::little ? '<' : '>');
      return std::string(1, order) + kind + std::to_string(t.size);
    }
    case mv::FormatType::Kind::array: {
      std::string s = "(";
      for (size_t i = 0; i < t.shape.size(); ++i) s += (i ? "," : "") + std::to_string(t.shape[i]);
      return s + ")" + layout(*t.element);
    }
    case mv::FormatType::Kind::structure: {
      std::string s = "{";
      for (size_t i = 0; i < t.fields.size(); ++i) {
        const mv::Field &f = t.fields[i];
        s += (i ? "," : "") + f.name + "@" + std::to_string(f.offset) + ":" + layout(*f.type);
      }
      return s + "}" + std::to_string(t.size);
    }
  }
  return "";
}

bool parse(const std::string &fmt, mv::ParsedFormat *out, std::string *err = nullptr, size_t *pos = nullptr) {
  std::string e;
  size_t p = 0;
  bool ok = mv::parse_format(fmt.data(), fmt.size(), out, &e, &p);
  if (err) *err = e;
  if (pos) *pos = p;
  return ok;
}

// The parse error for fmt ("<parsed>" when it parses).
std::string error_of(const std::string &fmt) {
  mv::ParsedFormat p;
  std::string e;
  return parse(fmt, &p, &e) ? "<parsed>" : e;
}

int64_t itemsize_of(const std::string &fmt) {
  mv::ParsedFormat p;
  return parse(fmt, &p) ? p.itemsize : -1;
}

std::string layout_of(const std::string &fmt) {
  mv::ParsedFormat p;
  std::string e;
  return parse(fmt, &p, &e) ? layout(*p.root) : "error: " + e;
}

std::string json_of(const std::string &fmt) {
  mv::ParsedFormat p;
  std::string e;
  return parse(fmt, &p, &e) ? mv::format_to_json(p) : "error: " + e;
}

// dtype_mismatch for a declared C type name.
std::string check(const std::string &fmt, const std::string &ctype) {
  mv::ParsedFormat p;
  std::string e;
  if (!parse(fmt, &p, &e)) return "parse error: " + e;
  char group = 0;
  int64_t size = 0;
  if (!mv::ctype_info(ctype, &group, &size)) return "unknown ctype " + ctype;
  return mv::dtype_mismatch(p, group, size, ctype);
}

// Parses every prefix of fmt (and fmt with each byte dropped): each must succeed or fail cleanly,
// which ASan/UBSan verify. Returns how many parsed.
int parse_all_prefixes(const char *fmt, size_t len) {
  int ok = 0;
  for (size_t n = 0; n <= len; ++n) {
    // A heap copy of exactly n bytes, so that any read past the end is an ASan error.
    std::vector<char> buf(fmt, fmt + n);
    mv::ParsedFormat p;
    std::string e;
    size_t pos = 0;
    if (mv::parse_format(buf.data(), n, &p, &e, &pos)) {
      ++ok;
      if (p.itemsize < 0 || !p.root || p.root->size != p.itemsize) mvtest::report(__FILE__, __LINE__, "bad prefix result");
      (void)mv::format_to_json(p);
    } else if (e.empty() || pos > n) {
      mvtest::report(__FILE__, __LINE__, "prefix error without message or position past the end: " + std::string(buf.begin(), buf.end()));
    }
  }
  return ok;
}

}  // namespace

// ============================================================================================
// Fixture cases (struct + NumPy oracles)
// ============================================================================================

TEST(format_fixture_valid) {
  size_t n = sizeof kValidFormatCases / sizeof kValidFormatCases[0];
  CHECK(n > 1000);
  for (size_t i = 0; i < n; ++i) {
    const ValidFormatCase &c = kValidFormatCases[i];
    std::string fmt(c.format, c.len);
    mv::ParsedFormat p;
    std::string e;
    if (!parse(fmt, &p, &e)) {
      mvtest::report(__FILE__, __LINE__, "'" + fmt + "' should parse: " + e);
      continue;
    }
    if (p.itemsize != c.itemsize)
      mvtest::report(__FILE__, __LINE__, "'" + fmt + "' itemsize " + std::to_string(p.itemsize) + " != " + std::to_string(c.itemsize));
    std::string got = layout(*p.root);
    if (got != c.layout) mvtest::report(__FILE__, __LINE__, "'" + fmt + "' layout " + got + " != " + c.layout);
    std::string json = mv::format_to_json(p);
    std::string head = "{\"itemsize\":" + std::to_string(c.itemsize) + ",\"type\":{\"kind\":\"";
    if (json.compare(0, head.size(), head) != 0) mvtest::report(__FILE__, __LINE__, "'" + fmt + "' json " + json);
  }
}

TEST(format_fixture_invalid) {
  size_t n = sizeof kInvalidFormatCases / sizeof kInvalidFormatCases[0];
  CHECK(n > 200);
  for (size_t i = 0; i < n; ++i) {
    const InvalidFormatCase &c = kInvalidFormatCases[i];
    std::string fmt(c.format, c.len);
    mv::ParsedFormat p;
    std::string e;
    size_t pos = 12345;
    if (parse(fmt, &p, &e, &pos)) {
      mvtest::report(__FILE__, __LINE__, "'" + fmt + "' should be rejected, parsed as " + mv::format_to_json(p));
    } else if (e.empty() || pos > c.len) {
      mvtest::report(__FILE__, __LINE__, "'" + fmt + "' error without message or with position past the end");
    }
  }
}

TEST(format_fixture_prefixes_never_crash) {
  for (const ValidFormatCase &c : kValidFormatCases) CHECK(parse_all_prefixes(c.format, c.len) >= 1);
  for (const InvalidFormatCase &c : kInvalidFormatCases) parse_all_prefixes(c.format, c.len);
}

// ============================================================================================
// Grammar and layout
// ============================================================================================

TEST(format_plain_itemsize_is_struct_calcsize) {
  CHECK_EQ(itemsize_of("i"), 4);
  CHECK_EQ(itemsize_of("ib"), 5);     // no tail padding at the top level (struct)
  CHECK_EQ(itemsize_of("bi"), 8);
  CHECK_EQ(itemsize_of("i0l"), 8);    // struct's idiom: a trailing 0l aligns the end
  CHECK_EQ(itemsize_of("hxd"), 16);
  CHECK_EQ(itemsize_of("=hxd"), 11);
  CHECK_EQ(itemsize_of("<l"), 4);
  CHECK_EQ(itemsize_of("l"), static_cast<int64_t>(sizeof(long)));
  CHECK_EQ(itemsize_of("^bd"), 9);
  CHECK_EQ(itemsize_of("@bd"), 16);
  CHECK_EQ(itemsize_of("0i"), 0);
  CHECK_EQ(itemsize_of("b0i"), 4);
  CHECK_EQ(itemsize_of("10s"), 10);
  CHECK_EQ(itemsize_of("0s"), 0);
  CHECK_EQ(itemsize_of("3p"), 3);
  CHECK_EQ(itemsize_of("x"), 1);
  CHECK_EQ(itemsize_of("be"), 4);
  CHECK_EQ(itemsize_of("bn"), 16);
  CHECK_EQ(itemsize_of("bP"), 16);
  CHECK_EQ(itemsize_of("Zd"), 16);
  CHECK_EQ(itemsize_of("bZf"), 12);
  CHECK_EQ(itemsize_of("g"), static_cast<int64_t>(sizeof(long double)));
  CHECK_EQ(itemsize_of("Zg"), static_cast<int64_t>(2 * sizeof(long double)));
  CHECK_EQ(itemsize_of("F"), 8);  // CPython 3.14's complex float
  CHECK_EQ(itemsize_of("=D"), 16);
}

TEST(format_whitespace_between_items) {
  CHECK_EQ(itemsize_of(" i"), 4);
  CHECK_EQ(itemsize_of("i i"), 8);
  CHECK_EQ(itemsize_of("< 3i"), 12);
  CHECK_EQ(itemsize_of("\t\n i\r\v\f"), 4);
  CHECK_STR(layout_of("T{ i:a: d:b: }"), "{a@0:<i4,b@8:<f8}16");
  CHECK_STR(layout_of("( 2 , 3 )i"), "(2,3)<i4");
  CHECK_STR(layout_of("i :a:"), "{a@0:<i4}4");
  CHECK_STR(error_of("3 i"), "Repeat count given without format specifier");  // as struct: not inside a count
  CHECK_STR(error_of("Z f"), "Unexpected format string character: 'Z'");
  CHECK_STR(error_of("T {i}"), "Buffer acquisition: Expected '{' after 'T'");
  CHECK_STR(error_of(" \t "), "Empty format string");
}

TEST(format_root_shapes) {
  // One unnamed item that fills the itemsize is the root itself.
  CHECK_STR(layout_of("i"), "<i4");
  CHECK_STR(layout_of("@i"), "<i4");
  CHECK_STR(layout_of("3i"), "(3)<i4");  // NumPy: a sub-array, not three fields
  CHECK_STR(layout_of("(2,3)d"), "(2,3)<f8");
  CHECK_STR(layout_of("(2)3i"), "(2,3)<i4");
  CHECK_STR(layout_of("(2)3s"), "(2)|S3");
  CHECK_STR(layout_of("T{i:a:}"), "{a@0:<i4}4");
  CHECK_STR(layout_of("1T{i}"), "{f0@0:<i4}4");
  // Everything else is a struct root.
  CHECK_STR(layout_of("ii"), "{f0@0:<i4,f1@4:<i4}8");
  CHECK_STR(layout_of("i:a:"), "{a@0:<i4}4");
  CHECK_STR(layout_of("x"), "{}1");
  CHECK_STR(layout_of("ix"), "{f0@0:<i4}5");
  CHECK_STR(layout_of("xi"), "{f0@4:<i4}8");
  CHECK_STR(layout_of("hxd"), "{f0@0:<i2,f1@8:<f8}16");
  CHECK_STR(layout_of("T{d}x"), "{f0@0:{f0@0:<f8}8}9");  // NumPy pads its top level to 16
}

TEST(format_structs_are_c_structs) {
  CHECK_STR(layout_of("T{b:a:i:b:}"), "{a@0:|i1,b@4:<i4}8");
  CHECK_STR(layout_of("T{i:a:b:b:}"), "{a@0:<i4,b@4:|i1}8");  // tail padding (NumPy's exports rely on it)
  CHECK_STR(layout_of("^T{b:a:i:b:}"), "{a@0:|i1,b@1:<i4}5");
  CHECK_STR(layout_of("=T{i:a:b:b:}"), "{a@0:<i4,b@4:|i1}5");
  CHECK_STR(layout_of("T{db}b"), "{f0@0:{f0@0:<f8,f1@8:|i1}16,f1@16:|i1}17");
  CHECK_STR(layout_of("2T{db}"), "(2){f0@0:<f8,f1@8:|i1}16");
  CHECK_STR(layout_of("T{}"), "{}0");
  CHECK_STR(layout_of("bT{}"), "{f0@0:|i1,f1@1:{}0}1");
  CHECK_STR(layout_of("T{(2,3)i:a:}"), "{a@0:(2,3)<i4}24");
  CHECK_STR(layout_of("T{d:a:}(3)T{b:a:}"), "{f0@0:{a@0:<f8}8,f1@8:(3){a@0:|i1}1}11");
  CHECK_STR(layout_of("T{T{T{i:a:}:b:}:c:}"), "{c@0:{b@0:{a@0:<i4}4}4}4");
  CHECK_STR(layout_of("T{b:a:xxxT{d:c:b:d:}:b:}"), "{a@0:|i1,b@8:{c@0:<f8,d@8:|i1}16}24");
}

TEST(format_byte_order_is_sticky) {
  // The order character stays in effect, across nesting too (NumPy and Cython).
  CHECK_STR(layout_of("<ih"), "{f0@0:<i4,f1@4:<i2}6");
  CHECK_STR(layout_of(">ih"), "{f0@0:>i4,f1@4:>i2}6");
  CHECK_STR(layout_of("b=i"), "{f0@0:|i1,f1@1:<i4}5");
  CHECK_STR(layout_of("=b@i"), "{f0@0:|i1,f1@4:<i4}8");
  CHECK_STR(layout_of("T{^b:a:}i"), "{f0@0:{a@0:|i1}1,f1@1:<i4}5");
  CHECK_STR(layout_of("T{dT{=i}b}"), "{f0@0:<f8,f1@8:{f0@0:<i4}4,f2@12:|i1}13");
  CHECK_STR(layout_of("T{>i:a:=d:b:}"), "{a@0:>i4,b@4:<f8}12");
  CHECK_STR(layout_of("T{(2)>i:a:@h:b:}"), "{a@0:(2)>i4,b@8:<i2}10");
  CHECK_STR(layout_of("<(2)i"), "(2)<i4");  // memview (and Cython) also read the order before '('
  CHECK_STR(layout_of("!h"), ">i2");
}

TEST(format_scalar_nodes) {
  mv::ParsedFormat p;
  CHECK(parse(">l", &p));
  CHECK(p.root->kind == mv::FormatType::Kind::scalar);
  CHECK_EQ(p.root->code, 'l');
  CHECK_EQ(p.root->mode, '>');
  CHECK(p.root->endian == mv::Endian::big);
  CHECK(p.root->standard_size());
  CHECK_EQ(p.root->size, 4);
  CHECK_EQ(p.root->alignment, 4);

  CHECK(parse("!Zd", &p));
  CHECK_EQ(p.root->code, 'D');
  CHECK_EQ(p.root->mode, '>');
  CHECK_EQ(p.root->alignment, 8);

  CHECK(parse("^q", &p));
  CHECK_EQ(p.root->mode, '^');
  CHECK(!p.root->standard_size());
  CHECK(p.root->endian == mv::kNativeEndian);

  CHECK(parse("=?", &p));
  CHECK_EQ(p.root->code, '?');
  CHECK(p.root->standard_size());
  CHECK(p.root->endian == mv::kNativeEndian);

  CHECK(parse("Zf", &p));
  CHECK_EQ(p.root->code, 'F');
  CHECK(parse("Zg", &p));
  CHECK_EQ(p.root->code, 'G');
  CHECK(parse("D", &p));
  CHECK_EQ(p.root->code, 'D');
}

TEST(format_names) {
  CHECK_STR(layout_of("T{i:x:d:y:}"), "{x@0:<i4,y@8:<f8}16");
  CHECK_STR(layout_of("T{i i:f0:}"), "{f1@0:<i4,f0@4:<i4}8");  // NumPy's _fix_names skips used names
  CHECK_STR(layout_of("T{i:f1:ii}"), "{f1@0:<i4,f0@4:<i4,f2@8:<i4}12");
  CHECK_STR(layout_of("T{i::}"), "{@0:<i4}4");                  // an empty name is a name
  CHECK_STR(layout_of("T{i:with space:}"), "{with space@0:<i4}4");
  CHECK_STR(layout_of("T{4x:pad:i:v:}"), "{pad@0:|V4,v@4:<i4}8");  // named padding is a field
  CHECK_STR(layout_of("T{(2)x:n:}"), "{n@0:(2)|V1}2");
  CHECK_STR(layout_of("T{i:\xc3\xa9t\xc3\xa9:}"), "{\xc3\xa9t\xc3\xa9@0:<i4}4");
  CHECK_STR(error_of("T{i:a:i:a:}"), "Duplicate field name 'a' in PEP3118 format");
  CHECK_STR(error_of("i:a:b:a:"), "Duplicate field name 'a' in PEP3118 format");
  CHECK_STR(layout_of("T{i:a:}T{i:a:}"), "{f0@0:{a@0:<i4}4,f1@4:{a@0:<i4}4}8");  // per struct
  CHECK_STR(error_of("i:a"), "Unexpected end of format string, expected ':'");
  CHECK_STR(error_of(":a:i"), "A field name ':name:' must follow an item");
  CHECK_STR(error_of("i:a::b:"), "A field name ':name:' must follow an item");
  CHECK_STR(error_of(std::string("i:a\x01:", 5)), "Invalid field name in format string (control character or bad UTF-8)");
  CHECK_STR(error_of("i:\xff:"), "Invalid field name in format string (control character or bad UTF-8)");
  CHECK_STR(error_of("i:\xc3:"), "Invalid field name in format string (control character or bad UTF-8)");
  CHECK_STR(error_of("i:\xed\xa0\x80:"), "Invalid field name in format string (control character or bad UTF-8)");

  // Many unnamed fields: naming stays linear.
  std::string many(20000, 'b');
  mv::ParsedFormat p;
  CHECK(parse(many, &p));
  CHECK_EQ(p.root->fields.size(), size_t(20000));
  CHECK_STR(p.root->fields.back().name, "f19999");
}

TEST(format_json) {
  CHECK_STR(json_of("<i"), "{\"itemsize\":4,\"type\":{\"kind\":\"scalar\",\"code\":\"i\",\"endian\":\"<\",\"size\":4,\"align\":4}}");
  CHECK_STR(json_of(">Zd"), "{\"itemsize\":16,\"type\":{\"kind\":\"scalar\",\"code\":\"D\",\"endian\":\">\",\"size\":16,\"align\":8}}");
  CHECK_STR(json_of("T{b:a:(2,3)i:b:}"),
            "{\"itemsize\":28,\"type\":{\"kind\":\"struct\",\"size\":28,\"align\":4,\"fields\":["
            "{\"name\":\"a\",\"offset\":0,\"type\":{\"kind\":\"scalar\",\"code\":\"b\",\"endian\":\"<\",\"size\":1,\"align\":1}},"
            "{\"name\":\"b\",\"offset\":4,\"type\":{\"kind\":\"array\",\"shape\":[2,3],\"size\":24,\"align\":4,"
            "\"element\":{\"kind\":\"scalar\",\"code\":\"i\",\"endian\":\"<\",\"size\":4,\"align\":4}}}]}}");
  CHECK_STR(json_of("x"), "{\"itemsize\":1,\"type\":{\"kind\":\"struct\",\"size\":1,\"align\":1,\"fields\":[]}}");
  CHECK_STR(json_of("T{i:a\"b\\c:}"),
            "{\"itemsize\":4,\"type\":{\"kind\":\"struct\",\"size\":4,\"align\":4,\"fields\":["
            "{\"name\":\"a\\\"b\\\\c\",\"offset\":0,\"type\":{\"kind\":\"scalar\",\"code\":\"i\",\"endian\":\"<\",\"size\":4,\"align\":4}}]}}");
  CHECK_STR(mv::format_to_json(mv::ParsedFormat{}), "{\"itemsize\":0,\"type\":null}");
}

// ============================================================================================
// Errors, limits, overflow
// ============================================================================================

TEST(format_error_messages) {
  CHECK_STR(error_of(""), "Empty format string");
  CHECK_STR(error_of("<"), "Byte order character given without format specifier");
  CHECK_STR(error_of("@"), "Byte order character given without format specifier");
  CHECK_STR(error_of("3"), "Repeat count given without format specifier");
  CHECK_STR(error_of("(2)"), "Sub-array shape given without format specifier");
  CHECK_STR(error_of("y"), "Does not understand character buffer dtype format string ('y')");
  CHECK_STR(error_of("i#"), "Does not understand character buffer dtype format string ('#')");
  CHECK_STR(error_of(std::string("i\0", 2)), "Does not understand character buffer dtype format string ('\\x00')");
  CHECK_STR(error_of("Zi"), "Unexpected format string character: 'Z'");
  CHECK_STR(error_of("Z"), "Unexpected format string character: 'Z'");
  CHECK_STR(error_of("Ti"), "Buffer acquisition: Expected '{' after 'T'");
  CHECK_STR(error_of("T"), "Buffer acquisition: Expected '{' after 'T'");
  CHECK_STR(error_of("T{i"), "Unexpected end of format string, expected '}'");
  CHECK_STR(error_of("}"), "Unexpected '}' in format string (no open 'T{')");
  CHECK_STR(error_of("T{i}}"), "Unexpected '}' in format string (no open 'T{')");
  CHECK_STR(error_of("{i}"), "Unexpected '{' in format string (a struct is written 'T{...}')");
  CHECK_STR(error_of("(2"), "Unexpected end of format string, expected ')'");
  CHECK_STR(error_of("(2,3"), "Unexpected end of format string, expected ')'");
  CHECK_STR(error_of("(2;3)i"), "Expected a comma in format string, got ';'");
  CHECK_STR(error_of("()i"), "Empty sub-array shape '()' in format string");
  CHECK_STR(error_of("(2,)i"), "Expected a number in sub-array shape, got ')'");
  CHECK_STR(error_of("(-1)i"), "Expected a number in sub-array shape, got '-'");
  CHECK_STR(error_of("2(3)i"), "Cannot handle repeated arrays in format string");
  CHECK_STR(error_of("(2)(3)i"), "Cannot handle repeated arrays in format string");
  CHECK_STR(error_of("3<i"), "Byte order character '<' must come before the repeat count");
  CHECK_STR(error_of("<>i"), "Byte order character '>' given twice for one item");
  CHECK_STR(error_of("=g"), "Python does not define a standard format string size for long double ('g')..");
  CHECK_STR(error_of("<Zg"), "Python does not define a standard format string size for long double ('g')..");
  CHECK_STR(error_of("=n"), "Format character 'n' (ssize_t) needs native size ('@' or '^')");
  CHECK_STR(error_of(">N"), "Format character 'N' (size_t) needs native size ('@' or '^')");
  CHECK_STR(error_of("!P"), "Format character 'P' (void *) needs native size ('@' or '^')");
  CHECK_STR(error_of("O"), "Unrepresentable PEP 3118 data type 'O' (Python objects)");
  CHECK_STR(error_of("w"), "Unrepresentable PEP 3118 data type 'w' (UCS-4 strings)");
  CHECK_STR(error_of("T{u}"), "Unrepresentable PEP 3118 data type 'u' (UCS-2 strings)");
  CHECK_STR(error_of("&i"), "Unrepresentable PEP 3118 data type '&' (pointers)");

  // The error position points at the offending byte.
  mv::ParsedFormat p;
  std::string e;
  size_t pos = 0;
  CHECK(!parse("iiT{d:a:y}", &p, &e, &pos));
  CHECK_EQ(pos, size_t(8));
  CHECK(!parse("T{i", &p, &e, &pos));
  CHECK_EQ(pos, size_t(3));
  CHECK(!parse("ii:a", &p, &e, &pos));
  CHECK_EQ(pos, size_t(2));
  // A failed parse leaves the output alone; null outputs are allowed.
  CHECK(parse("d", &p));
  CHECK(!parse("d}", &p));
  CHECK_EQ(p.itemsize, 8);
  CHECK(!mv::parse_format("y", 1, nullptr, nullptr, nullptr));
  CHECK(mv::parse_format("y", 0, &p, nullptr) == false);  // length 0: empty, the 'y' is never read
  CHECK(!mv::parse_format(nullptr, 5, &p, &e));
  CHECK_STR(e, "Empty format string");
}

TEST(format_overflow) {
  CHECK_STR(error_of("99999999999999999999i"), "Repeat count too large in format string");
  CHECK_STR(error_of("9223372036854775808x"), "Repeat count too large in format string");
  CHECK_STR(error_of("(9223372036854775808)i"), "Sub-array dimension too large in format string");
  CHECK_EQ(itemsize_of("9223372036854775807x"), INT64_MAX);  // as struct.calcsize
  CHECK_EQ(itemsize_of("9223372036854775807s"), INT64_MAX);
  CHECK_EQ(itemsize_of("1152921504606846975Q"), int64_t(1152921504606846975LL) * 8);
  CHECK_STR(error_of("1152921504606846976Q"), "Total format size too large");
  CHECK_STR(error_of("4611686018427387904h"), "Total format size too large");
  CHECK_STR(error_of("9223372036854775807xb"), "Total format size too large");
  CHECK_STR(error_of("9223372036854775807xi"), "Total format size too large");  // alignment padding
  CHECK_STR(error_of("9223372036854775800xT{d}"), "Total format size too large");
  CHECK_STR(error_of("T{9223372036854775807xb}"), "Total format size too large");  // tail padding
  CHECK_STR(error_of("(3037000500,3037000500)i"), "Total format size too large");
  CHECK_STR(error_of("(65536,65536,65536,65536)b"), "Total format size too large");
  CHECK_STR(error_of("(4611686018427387904)T{h}"), "Total format size too large");
  CHECK_STR(error_of("2(4611686018427387904)b"), "Cannot handle repeated arrays in format string");
  CHECK_STR(error_of("(2)4611686018427387904T{h}"), "Total format size too large");
  // Zero extents make huge dimensions harmless.
  CHECK_EQ(itemsize_of("(0,9223372036854775807)Q"), 0);
  CHECK_EQ(itemsize_of("(9223372036854775807,0)T{d}"), 0);
}

TEST(format_nesting_limit) {
  auto nested = [](int depth) {
    std::string s;
    for (int i = 0; i < depth; ++i) s += "T{";
    s += "i";
    for (int i = 0; i < depth; ++i) s += "}";
    return s;
  };
  CHECK_EQ(itemsize_of(nested(mv::kMaxFormatDepth)), 4);
  CHECK_STR(error_of(nested(mv::kMaxFormatDepth + 1)), "Format string nests T{...} too deeply (limit 64)");
  CHECK_STR(error_of(std::string(200000, 'T')), "Buffer acquisition: Expected '{' after 'T'");
  std::string open;
  for (int i = 0; i < 100000; ++i) open += "T{";
  CHECK_STR(error_of(open), "Format string nests T{...} too deeply (limit 64)");
  CHECK_STR(error_of(std::string(100000, '(')), "Expected a number in sub-array shape, got '('");

  // Sub-array dimensions: at most kMaxDims, a repeat count included.
  std::string dims = "(";
  for (int i = 0; i < mv::kMaxDims; ++i) dims += (i ? ",1" : "1");
  dims += ")";
  CHECK_EQ(itemsize_of(dims + "i"), 4);
  CHECK_EQ(itemsize_of(dims + "1i"), 4);
  CHECK_STR(error_of(dims + "2i"), "Sub-array has too many dimensions (limit 64)");
  CHECK_STR(error_of("(1," + dims.substr(1) + "i"), "Sub-array has too many dimensions (limit 64)");
}

TEST(format_truncation_and_random_input_never_crash) {
  const char *samples[] = {
      "T{b:a:xxx(2,3)i:b:}",    "T{(2)>i:a:@h:b:}", "<(2,3)T{Zd:z: 4x:p: 3s:s:}:n: ^b =q !h",
      "T{T{T{i:a:}:b:}:c:}3d", "99999999999999999999i", "T{i:\xc3\xa9t\xc3\xa9:}", "(1,2,3)2T{?e}",
  };
  for (const char *s : samples) parse_all_prefixes(s, std::strlen(s));

  // Random strings over the format alphabet plus junk (deterministic LCG).
  const char alphabet[] = "T{}():,<>=!@^xcbB?hHiIlLqQnNefdgsSpPZFDO0123456789 abyz\t\xc3\xa9";
  uint64_t state = 0x9e3779b97f4a7c15ULL;
  int parsed = 0;
  for (int round = 0; round < 20000; ++round) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    size_t len = (state >> 33) % 24;
    std::vector<char> buf(len);
    for (size_t i = 0; i < len; ++i) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      buf[i] = alphabet[(state >> 33) % (sizeof alphabet - 1)];
    }
    mv::ParsedFormat p;
    std::string e;
    size_t pos = 0;
    if (mv::parse_format(buf.data(), len, &p, &e, &pos)) {
      ++parsed;
      if (!p.root || p.root->size != p.itemsize || p.itemsize < 0) mvtest::report(__FILE__, __LINE__, "bad random result");
      (void)mv::format_to_json(p);
      (void)mv::dtype_mismatch(p, 'I', 4, "int");
    } else if (e.empty() || pos > len) {
      mvtest::report(__FILE__, __LINE__, "random input: error without message or bad position");
    }
  }
  CHECK(parsed > 100);
}

// ============================================================================================
// Cython's dtype check (anchors A8)
// ============================================================================================

TEST(dtype_ctype_info) {
  char g = 0;
  int64_t n = 0;
  CHECK(mv::ctype_info("int", &g, &n));
  CHECK_EQ(g, 'I');
  CHECK_EQ(n, 4);
  CHECK(mv::ctype_info("long", &g, &n));
  CHECK_EQ(n, 8);
  CHECK(mv::ctype_info("char", &g, &n));
  CHECK_EQ(g, 'H');
  CHECK(mv::ctype_info("bint", &g, &n));
  CHECK_EQ(g, 'I');
  CHECK_EQ(n, 4);
  CHECK(mv::ctype_info("size_t", &g, &n));
  CHECK_EQ(g, 'U');
  CHECK(mv::ctype_info("double complex", &g, &n));
  CHECK_EQ(g, 'C');
  CHECK_EQ(n, 16);
  CHECK(mv::ctype_info("uint16_t", &g, &n));
  CHECK_EQ(g, 'U');
  CHECK_EQ(n, 2);
  CHECK(!mv::ctype_info("const int", &g, &n));
  CHECK(!mv::ctype_info("long double", &g, &n));
  CHECK(!mv::ctype_info("", &g, &n));
}

TEST(dtype_matches) {
  CHECK_STR(check("i", "int"), "");
  CHECK_STR(check("@i", "int"), "");
  CHECK_STR(check("=i", "int"), "");
  CHECK_STR(check("<i", "int"), "");       // little-endian host
  CHECK_STR(check("^i", "int"), "");
  CHECK_STR(check("q", "long"), "");       // LP64: l and q are both 8 bytes
  CHECK_STR(check("l", "long long"), "");
  CHECK_STR(check("<l", "int"), "");       // standard 'l' is 4 bytes
  CHECK_STR(check("<q", "int64_t"), "");
  CHECK_STR(check("Q", "uint64_t"), "");
  CHECK_STR(check("L", "size_t"), "");
  CHECK_STR(check("n", "Py_ssize_t"), "");
  CHECK_STR(check("N", "size_t"), "");
  CHECK_STR(check("?", "unsigned char"), "");  // Cython: '?' is unsigned
  CHECK_STR(check("B", "char"), "");           // char matches any 1-byte item
  CHECK_STR(check("?", "char"), "");
  CHECK_STR(check("c", "signed char"), "");    // and a 'c' item matches any 1-byte type
  CHECK_STR(check("c", "uint8_t"), "");
  CHECK_STR(check("s", "signed char"), "");
  CHECK_STR(check("f", "float"), "");
  CHECK_STR(check("d", "double"), "");
  CHECK_STR(check("Zf", "float complex"), "");
  CHECK_STR(check("Zd", "double complex"), "");
  CHECK_STR(check("D", "double complex"), "");
  CHECK_STR(check("i", "bint"), "");
  CHECK_STR(check("T{i:a:}", "int"), "");      // Cython flattens structs
  CHECK_STR(check("T{T{d}}", "double"), "");
  CHECK_STR(check("ix", "int"), "");           // padding is not an item (the itemsize check is the caller's)
  CHECK_STR(check("i3x", "int"), "");
  CHECK_STR(check("0ii", "int"), "");
  CHECK_STR(check("T{}i", "int"), "");
  CHECK_STR(check("1i", "int"), "");
  CHECK_STR(check("(1)i", "int"), "");
}

TEST(dtype_mismatch_texts) {
  CHECK_STR(check("d", "int"), "Buffer dtype mismatch, expected 'int' but got 'double'");
  CHECK_STR(check("b", "int"), "Buffer dtype mismatch, expected 'int' but got 'signed char'");
  CHECK_STR(check("I", "int"), "Buffer dtype mismatch, expected 'int' but got 'unsigned int'");
  CHECK_STR(check("i", "unsigned int"), "Buffer dtype mismatch, expected 'unsigned int' but got 'int'");
  CHECK_STR(check("<l", "long"), "Buffer dtype mismatch, expected 'long' but got 'long'");
  CHECK_STR(check("?", "bint"), "Buffer dtype mismatch, expected 'bint' but got 'bool'");
  CHECK_STR(check("?", "signed char"), "Buffer dtype mismatch, expected 'signed char' but got 'bool'");
  CHECK_STR(check("B", "int8_t"), "Buffer dtype mismatch, expected 'int8_t' but got 'unsigned char'");
  CHECK_STR(check("h", "char"), "Buffer dtype mismatch, expected 'char' but got 'short'");
  CHECK_STR(check("c", "int"), "Buffer dtype mismatch, expected 'int' but got 'char'");
  CHECK_STR(check("f", "double"), "Buffer dtype mismatch, expected 'double' but got 'float'");
  CHECK_STR(check("Zf", "double complex"), "Buffer dtype mismatch, expected 'double complex' but got 'complex float'");
  CHECK_STR(check("Zd", "double"), "Buffer dtype mismatch, expected 'double' but got 'complex double'");
  CHECK_STR(check("ff", "float complex"), "Buffer dtype mismatch, expected 'float complex' but got 'float'");
  CHECK_STR(check("g", "double"), "Buffer dtype mismatch, expected 'double' but got 'long double'");
  CHECK_STR(check("Zg", "double complex"), "Buffer dtype mismatch, expected 'double complex' but got 'complex long double'");
  CHECK_STR(check("q", "Py_ssize_t"), "");
  CHECK_STR(check("n", "size_t"), "Buffer dtype mismatch, expected 'size_t' but got 'Py_ssize_t'");
  CHECK_STR(check("4s", "int"), "Buffer dtype mismatch, expected 'int' but got a string");
  CHECK_STR(check("3s", "char"), "Buffer dtype mismatch, expected end but got a string");
  // More than one item: "expected end".
  CHECK_STR(check("if", "int"), "Buffer dtype mismatch, expected end but got 'float'");
  CHECK_STR(check("ii", "int"), "Buffer dtype mismatch, expected end but got 'int'");
  CHECK_STR(check("2i", "int"), "Buffer dtype mismatch, expected end but got 'int'");
  CHECK_STR(check("(2,2)i", "int"), "Buffer dtype mismatch, expected end but got 'int'");
  CHECK_STR(check("T{ii}", "int"), "Buffer dtype mismatch, expected end but got 'int'");
  CHECK_STR(check("T{d:x:d:y:}", "double"), "Buffer dtype mismatch, expected end but got 'double'");
  CHECK_STR(check("T{i:a:d:b:}", "int"), "Buffer dtype mismatch, expected end but got 'double'");
  // No item at all: "got end".
  CHECK_STR(check("x", "int"), "Buffer dtype mismatch, expected 'int' but got end");
  CHECK_STR(check("T{}", "int"), "Buffer dtype mismatch, expected 'int' but got end");
  CHECK_STR(check("0i", "int"), "Buffer dtype mismatch, expected 'int' but got end");
  CHECK_STR(check("0s", "char"), "Buffer dtype mismatch, expected 'char' but got end");
  CHECK_STR(check("(1000000000000)T{}", "int"), "Buffer dtype mismatch, expected 'int' but got end");
  CHECK_STR(mv::dtype_mismatch(mv::ParsedFormat{}, 'I', 4, "int"), "Buffer dtype mismatch, expected 'int' but got end");
  // Misplaced item.
  CHECK_STR(check("xi", "int"), "Buffer dtype mismatch; next field is at offset 4 but 0 expected");
  CHECK_STR(check("=xi", "int"), "Buffer dtype mismatch; next field is at offset 1 but 0 expected");
  CHECK_STR(check("T{x}d", "double"), "Buffer dtype mismatch; next field is at offset 8 but 0 expected");
  // Byte order.
  CHECK_STR(check(">i", "int"), "Big-endian buffer not supported on little-endian compiler");
  CHECK_STR(check("!b", "signed char"), "Big-endian buffer not supported on little-endian compiler");
  CHECK_STR(check("T{>d}", "double"), "Big-endian buffer not supported on little-endian compiler");
  CHECK_STR(check("i>b", "int"), "Big-endian buffer not supported on little-endian compiler");
  // Codes Cython's checker does not understand.
  CHECK_STR(check("e", "short"), "Does not understand character buffer dtype format string ('e')");
  CHECK_STR(check("P", "size_t"), "Does not understand character buffer dtype format string ('P')");
  CHECK_STR(check("ie", "int"), "Does not understand character buffer dtype format string ('e')");
  // The expected name is printed as given.
  mv::ParsedFormat p;
  CHECK(parse("f", &p));
  CHECK_STR(mv::dtype_mismatch(p, 'R', 8, "const td_h_double"),
            "Buffer dtype mismatch, expected 'const td_h_double' but got 'float'");
  // Large repeated items stop at the second item.
  CHECK_STR(check("1000000000000s", "char"), "Buffer dtype mismatch, expected end but got a string");
  CHECK_STR(check("(100000,100000)d", "double"), "Buffer dtype mismatch, expected end but got 'double'");
}
