// PEP 3118 / struct format parser. The grammar and the layout rules are documented in format.h;
// this file keeps them in one recursive-descent parser that bounds every read by the length it
// was given, checks every addition and multiplication of sizes against int64 overflow, and limits
// T{...} nesting (and so its own recursion) to kMaxFormatDepth.
#include "format.h"

#include <cstdio>
#include <unordered_set>
#include <utility>

namespace mv {

namespace {

// ============================================================================================
// Checked arithmetic on non-negative int64 values
// ============================================================================================

constexpr int64_t kInt64Max = INT64_MAX;

bool checked_add(int64_t a, int64_t b, int64_t *out) {
  if (a > kInt64Max - b) return false;
  *out = a + b;
  return true;
}

bool checked_mul(int64_t a, int64_t b, int64_t *out) {
  if (a != 0 && b > kInt64Max / a) return false;
  *out = a * b;
  return true;
}

int64_t gcd64(int64_t a, int64_t b) {
  while (b != 0) {
    int64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

// ============================================================================================
// Characters
// ============================================================================================

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_order(char c) { return c == '@' || c == '=' || c == '<' || c == '>' || c == '!' || c == '^'; }
bool is_native_mode(char mode) { return mode == '@' || mode == '^'; }

// A character as it is shown in a message: itself when printable ASCII, else \xHH.
std::string show_char(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string(1, c);
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", u);
  return buf;
}

// Well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF), and no control characters.
bool valid_name(const char *p, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(p[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return false;
      ++i;
      continue;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (n - i < len) return false;
    unsigned char c1 = static_cast<unsigned char>(p[i + 1]);
    if (c1 < lo || c1 > hi) return false;
    for (size_t k = 2; k < len; ++k) {
      unsigned char ck = static_cast<unsigned char>(p[i + k]);
      if (ck < 0x80 || ck > 0xbf) return false;
    }
    i += len;
  }
  return true;
}

// ============================================================================================
// Scalar codes
// ============================================================================================

struct ScalarSpec {
  int64_t size;   // per item (for s/p/x: per byte of the count)
  int64_t align;  // alignof the C type
};

// The size and alignment of one scalar code under an order mode. Returns nullptr on success,
// else the error message. `code` is already normalised ('F' 'D' 'G' for complex).
const char *scalar_spec(char code, char mode, ScalarSpec *spec) {
  const bool native = is_native_mode(mode);
  switch (code) {
    case 'x': case 'c': case 'b': case 'B': case 's': case 'p':
      *spec = {1, 1};
      return nullptr;
    case '?':
      *spec = native ? ScalarSpec{int64_t(sizeof(bool)), int64_t(alignof(bool))} : ScalarSpec{1, 1};
      return nullptr;
    case 'h': case 'H':
      *spec = native ? ScalarSpec{int64_t(sizeof(short)), int64_t(alignof(short))} : ScalarSpec{2, 2};
      return nullptr;
    case 'i': case 'I':
      *spec = native ? ScalarSpec{int64_t(sizeof(int)), int64_t(alignof(int))} : ScalarSpec{4, 4};
      return nullptr;
    case 'l': case 'L':
      *spec = native ? ScalarSpec{int64_t(sizeof(long)), int64_t(alignof(long))} : ScalarSpec{4, 4};
      return nullptr;
    case 'q': case 'Q':
      *spec = native ? ScalarSpec{int64_t(sizeof(long long)), int64_t(alignof(long long))} : ScalarSpec{8, 8};
      return nullptr;
    case 'e':
      // IEEE half; CPython's struct aligns it as a short.
      *spec = native ? ScalarSpec{2, int64_t(alignof(short))} : ScalarSpec{2, 2};
      return nullptr;
    case 'f':
      *spec = native ? ScalarSpec{int64_t(sizeof(float)), int64_t(alignof(float))} : ScalarSpec{4, 4};
      return nullptr;
    case 'd':
      *spec = native ? ScalarSpec{int64_t(sizeof(double)), int64_t(alignof(double))} : ScalarSpec{8, 8};
      return nullptr;
    case 'F':
      *spec = native ? ScalarSpec{int64_t(2 * sizeof(float)), int64_t(alignof(float))} : ScalarSpec{8, 4};
      return nullptr;
    case 'D':
      *spec = native ? ScalarSpec{int64_t(2 * sizeof(double)), int64_t(alignof(double))} : ScalarSpec{16, 8};
      return nullptr;
    case 'g':
    case 'G':
      if (!native) return "Python does not define a standard format string size for long double ('g')..";
      *spec = {int64_t((code == 'G' ? 2 : 1) * sizeof(long double)), int64_t(alignof(long double))};
      return nullptr;
    case 'n':
      if (!native) return "Format character 'n' (ssize_t) needs native size ('@' or '^')";
      *spec = {int64_t(sizeof(size_t)), int64_t(alignof(size_t))};
      return nullptr;
    case 'N':
      if (!native) return "Format character 'N' (size_t) needs native size ('@' or '^')";
      *spec = {int64_t(sizeof(size_t)), int64_t(alignof(size_t))};
      return nullptr;
    case 'P':
      if (!native) return "Format character 'P' (void *) needs native size ('@' or '^')";
      *spec = {int64_t(sizeof(void *)), int64_t(alignof(void *))};
      return nullptr;
    default:
      return "unknown";  // not reached: callers pass known codes
  }
}

bool is_scalar_code(char c) {
  switch (c) {
    case 'x': case 'c': case 'b': case 'B': case '?': case 'h': case 'H': case 'i': case 'I':
    case 'l': case 'L': case 'q': case 'Q': case 'n': case 'N': case 'e': case 'f': case 'd':
    case 'g': case 's': case 'p': case 'P': case 'F': case 'D':
      return true;
    default:
      return false;
  }
}

// PEP 3118 codes memview recognises but cannot represent (NumPy's wording).
const char *unsupported_code(char c) {
  switch (c) {
    case 'O': return "Unrepresentable PEP 3118 data type 'O' (Python objects)";
    case 'u': return "Unrepresentable PEP 3118 data type 'u' (UCS-2 strings)";
    case 'w': return "Unrepresentable PEP 3118 data type 'w' (UCS-4 strings)";
    case '&': return "Unrepresentable PEP 3118 data type '&' (pointers)";
    case 't': return "Unrepresentable PEP 3118 data type 't' (bitfields)";
    case 'X': return "Unrepresentable PEP 3118 data type 'X' (function pointers)";
    default: return nullptr;
  }
}

Endian endian_of(char mode) {
  if (mode == '<') return Endian::little;
  if (mode == '>') return Endian::big;
  return kNativeEndian;
}

// ============================================================================================
// The parser
// ============================================================================================

class Parser {
 public:
  Parser(const char *s, size_t n) : s_(s), n_(n) {}

  bool run(ParsedFormat *out);

  std::string error;
  size_t error_pos = 0;

 private:
  // One parsed item before placement.
  struct Item {
    FormatTypePtr type;   // null for unnamed padding
    int64_t size = 0;     // bytes the item occupies
    int64_t align = 1;
    bool named = false;
    std::string name;
  };

  // A parsed struct body (or the top level).
  struct Body {
    std::vector<Field> fields;
    std::vector<bool> named;
    int64_t size = 0;
    int64_t align = 1;
    size_t items = 0;  // items seen, padding included
  };

  bool fail(size_t at, std::string msg) {
    if (error.empty()) {
      error = std::move(msg);
      error_pos = at;
    }
    return false;
  }

  bool at_end() const { return pos_ >= n_; }
  char peek() const { return s_[pos_]; }
  void skip_ws() {
    while (pos_ < n_ && is_ws(s_[pos_])) ++pos_;
  }
  void set_mode(char c) { mode_ = (c == '!') ? '>' : c; }

  bool parse_body(bool nested, int depth, Body *body);
  bool parse_item(int depth, Item *item);
  bool parse_uint(int64_t *value, const char *too_large);
  bool parse_shape(std::vector<int64_t> *shape);
  bool parse_name(std::string *name);

  const char *s_;
  size_t n_;
  size_t pos_ = 0;
  char mode_ = '@';  // sticky across items and nesting, as in NumPy and Cython
};

bool Parser::parse_uint(int64_t *value, const char *too_large) {
  size_t start = pos_;
  int64_t v = 0;
  while (pos_ < n_ && is_digit(s_[pos_])) {
    int64_t digit = s_[pos_] - '0';
    if (!checked_mul(v, 10, &v) || !checked_add(v, digit, &v)) return fail(start, too_large);
    ++pos_;
  }
  *value = v;
  return true;
}

// At '(': reads "(d0, d1, ...)" and leaves pos_ after ')'.
bool Parser::parse_shape(std::vector<int64_t> *shape) {
  ++pos_;  // '('
  while (true) {
    skip_ws();
    if (at_end()) return fail(pos_, "Unexpected end of format string, expected ')'");
    char c = peek();
    if (!is_digit(c)) {
      if (c == ')' && shape->empty()) return fail(pos_, "Empty sub-array shape '()' in format string");
      return fail(pos_, "Expected a number in sub-array shape, got '" + show_char(c) + "'");
    }
    int64_t dim;
    if (!parse_uint(&dim, "Sub-array dimension too large in format string")) return false;
    if (static_cast<int>(shape->size()) >= kMaxDims)
      return fail(pos_, "Sub-array has too many dimensions (limit " + std::to_string(kMaxDims) + ")");
    shape->push_back(dim);
    skip_ws();
    if (at_end()) return fail(pos_, "Unexpected end of format string, expected ')'");
    c = peek();
    if (c == ')') {
      ++pos_;
      return true;
    }
    if (c != ',') return fail(pos_, "Expected a comma in format string, got '" + show_char(c) + "'");
    ++pos_;
  }
}

// At ':': reads ":name:" and leaves pos_ after the closing ':'.
bool Parser::parse_name(std::string *name) {
  size_t open = pos_;
  size_t close = open + 1;
  while (close < n_ && s_[close] != ':') ++close;
  if (close >= n_) return fail(open, "Unexpected end of format string, expected ':'");
  if (!valid_name(s_ + open + 1, close - open - 1))
    return fail(open + 1, "Invalid field name in format string (control character or bad UTF-8)");
  name->assign(s_ + open + 1, close - open - 1);
  pos_ = close + 1;
  return true;
}

bool Parser::parse_item(int depth, Item *item) {
  // --- prefixes: [order] ['(' dims ')' [order]] [count]
  if (!at_end() && is_order(peek())) {
    set_mode(peek());
    ++pos_;
    skip_ws();
  }
  std::vector<int64_t> dims;
  if (!at_end() && peek() == '(') {
    if (!parse_shape(&dims)) return false;
    skip_ws();
    if (!at_end() && is_order(peek())) {
      set_mode(peek());
      ++pos_;
      skip_ws();
    }
  }
  int64_t count = 1;
  bool has_count = false;
  if (!at_end() && is_digit(peek())) {
    if (!parse_uint(&count, "Repeat count too large in format string")) return false;
    has_count = true;
  }

  // --- the type
  if (at_end() || peek() == '}') {
    if (has_count) return fail(pos_, "Repeat count given without format specifier");
    if (!dims.empty()) return fail(pos_, "Sub-array shape given without format specifier");
    return fail(pos_, "Byte order character given without format specifier");
  }
  const size_t type_pos = pos_;
  const char c = peek();
  if (has_count) {
    if (c == '(') return fail(pos_, "Cannot handle repeated arrays in format string");
    if (is_order(c)) return fail(pos_, "Byte order character '" + show_char(c) + "' must come before the repeat count");
    if (is_ws(c)) return fail(pos_, "Repeat count given without format specifier");
  } else if (c == '(') {
    return fail(pos_, "Cannot handle repeated arrays in format string");
  } else if (is_order(c)) {
    return fail(pos_, "Byte order character '" + show_char(c) + "' given twice for one item");
  }

  FormatTypePtr base;      // null for padding
  int64_t base_size = 0;   // of one element
  int64_t base_align = 1;
  char code = 0;

  if (c == 'T') {
    ++pos_;
    if (at_end() || peek() != '{') return fail(type_pos, "Buffer acquisition: Expected '{' after 'T'");
    ++pos_;
    if (depth + 1 > kMaxFormatDepth)
      return fail(type_pos, "Format string nests T{...} too deeply (limit " + std::to_string(kMaxFormatDepth) + ")");
    Body body;
    if (!parse_body(true, depth + 1, &body)) return false;
    auto t = std::make_shared<FormatType>();
    t->kind = FormatType::Kind::structure;
    t->size = body.size;
    t->alignment = body.align;
    t->fields = std::move(body.fields);
    base = t;
    base_size = body.size;
    base_align = body.align;
  } else {
    if (c == 'Z') {
      ++pos_;
      char z = at_end() ? '\0' : peek();
      if (z == 'f') code = 'F';
      else if (z == 'd') code = 'D';
      else if (z == 'g') code = 'G';
      else return fail(type_pos, "Unexpected format string character: 'Z'");
      ++pos_;
    } else if (is_scalar_code(c)) {
      code = c;
      ++pos_;
    } else if (const char *msg = unsupported_code(c)) {
      return fail(type_pos, msg);
    } else if (c == ':') {
      return fail(type_pos, "A field name ':name:' must follow an item");
    } else if (c == '{') {
      return fail(type_pos, "Unexpected '{' in format string (a struct is written 'T{...}')");
    } else {
      return fail(type_pos, "Does not understand character buffer dtype format string ('" + show_char(c) + "')");
    }
    ScalarSpec spec;
    if (const char *msg = scalar_spec(code, mode_, &spec)) return fail(type_pos, msg);
    base_align = spec.align;
    base_size = spec.size;
  }

  // --- optional ':name:'
  size_t before_ws = pos_;
  skip_ws();
  if (!at_end() && peek() == ':') {
    if (!parse_name(&item->name)) return false;
    item->named = true;
  } else {
    pos_ = before_ws;
  }

  // --- build the item's type
  if (code == 's' || code == 'p' || code == 'x') {
    // The count is a byte length: one item of `count` bytes.
    base_size = count;
    count = 1;
    if (code != 'x' || item->named) {
      auto t = std::make_shared<FormatType>();
      t->kind = FormatType::Kind::scalar;
      t->code = code;
      t->mode = mode_;
      t->endian = endian_of(mode_);
      t->size = base_size;
      t->alignment = 1;
      base = t;
    }
  } else if (code != 0) {
    auto t = std::make_shared<FormatType>();
    t->kind = FormatType::Kind::scalar;
    t->code = code;
    t->mode = mode_;
    t->endian = endian_of(mode_);
    t->size = base_size;
    t->alignment = base_align;
    base = t;
  }
  if (count != 1) {
    if (static_cast<int>(dims.size()) >= kMaxDims)
      return fail(type_pos, "Sub-array has too many dimensions (limit " + std::to_string(kMaxDims) + ")");
    dims.push_back(count);
  }

  int64_t total = base_size;
  bool empty = false;
  for (int64_t d : dims) empty = empty || d == 0;
  if (empty) {
    total = 0;  // a zero extent makes any other extent harmless
  } else {
    for (int64_t d : dims)
      if (!checked_mul(total, d, &total)) return fail(type_pos, "Total format size too large");
  }

  if (!base) {  // unnamed padding: occupies bytes, no field
    item->type = nullptr;
    item->size = total;
    item->align = 1;
    return true;
  }
  if (dims.empty()) {
    item->type = base;
  } else {
    auto a = std::make_shared<FormatType>();
    a->kind = FormatType::Kind::array;
    a->shape = std::move(dims);
    a->element = base;
    a->size = total;
    a->alignment = base_align;
    item->type = a;
  }
  item->size = total;
  item->align = base_align;
  return true;
}

// Parses items up to '}' (nested: consumed) or the end of the string (top level).
bool Parser::parse_body(bool nested, int depth, Body *body) {
  int64_t offset = 0;
  int64_t common = 1;
  std::unordered_set<std::string> names;  // explicit names so far
  while (true) {
    skip_ws();
    if (at_end()) {
      if (nested) return fail(pos_, "Unexpected end of format string, expected '}'");
      break;
    }
    if (peek() == '}') {
      if (!nested) return fail(pos_, "Unexpected '}' in format string (no open 'T{')");
      ++pos_;
      break;
    }
    const size_t item_pos = pos_;
    Item item;
    if (!parse_item(depth, &item)) return false;
    ++body->items;

    // Placement uses the order in effect after the item (NumPy).
    if (mode_ == '@') {
      int64_t pad = (item.align - offset % item.align) % item.align;
      if (!checked_add(offset, pad, &offset)) return fail(item_pos, "Total format size too large");
      common = common / gcd64(common, item.align) * item.align;  // alignments are tiny: no overflow
    }
    if (item.type) {
      if (item.named) {
        if (!names.insert(item.name).second)
          return fail(item_pos, "Duplicate field name '" + item.name + "' in PEP3118 format");
      }
      body->fields.push_back(Field{item.named ? item.name : std::string(), offset, item.type});
      body->named.push_back(item.named);
    }
    if (!checked_add(offset, item.size, &offset)) return fail(item_pos, "Total format size too large");
  }

  if (nested && mode_ == '@') {  // a C struct: round the size up to its alignment
    int64_t pad = (common - offset % common) % common;
    if (!checked_add(offset, pad, &offset)) return fail(pos_, "Total format size too large");
  }
  body->size = offset;
  body->align = common;

  // NumPy's _fix_names: each unnamed field gets the first fN no other field uses. After fN is
  // taken, f0..fN are all taken, so the search can continue from N + 1.
  int64_t next = 0;
  for (size_t i = 0; i < body->fields.size(); ++i) {
    if (body->named[i]) continue;
    std::string candidate;
    do {
      candidate = "f" + std::to_string(next++);
    } while (names.count(candidate));
    names.insert(candidate);
    body->fields[i].name = std::move(candidate);
  }
  return true;
}

bool Parser::run(ParsedFormat *out) {
  Body body;
  if (!parse_body(false, 0, &body)) return false;
  if (body.items == 0) return fail(0, "Empty format string");

  FormatTypePtr root;
  if (body.fields.size() == 1 && !body.named[0] && body.fields[0].offset == 0 &&
      body.fields[0].type->size == body.size) {
    root = body.fields[0].type;
  } else {
    auto t = std::make_shared<FormatType>();
    t->kind = FormatType::Kind::structure;
    t->size = body.size;
    t->alignment = body.align;
    t->fields = std::move(body.fields);
    root = t;
  }
  out->itemsize = root->size;
  out->root = std::move(root);
  return true;
}

// ============================================================================================
// JSON
// ============================================================================================

void json_string(std::string &o, const std::string &s) {
  o += '"';
  for (char ch : s) {
    unsigned char u = static_cast<unsigned char>(ch);
    if (ch == '"') {
      o += "\\\"";
    } else if (ch == '\\') {
      o += "\\\\";
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      o += buf;
    } else {
      o += ch;
    }
  }
  o += '"';
}

void json_type(std::string &o, const FormatType &t) {
  switch (t.kind) {
    case FormatType::Kind::scalar:
      o += "{\"kind\":\"scalar\",\"code\":\"";
      o += t.code;
      o += "\",\"endian\":\"";
      o += (t.endian == Endian::little) ? '<' : '>';
      o += "\",\"size\":" + std::to_string(t.size) + ",\"align\":" + std::to_string(t.alignment) + "}";
      return;
    case FormatType::Kind::structure: {
      o += "{\"kind\":\"struct\",\"size\":" + std::to_string(t.size) +
           ",\"align\":" + std::to_string(t.alignment) + ",\"fields\":[";
      bool first = true;
      for (const Field &f : t.fields) {
        if (!first) o += ',';
        first = false;
        o += "{\"name\":";
        json_string(o, f.name);
        o += ",\"offset\":" + std::to_string(f.offset) + ",\"type\":";
        json_type(o, *f.type);
        o += '}';
      }
      o += "]}";
      return;
    }
    case FormatType::Kind::array: {
      o += "{\"kind\":\"array\",\"shape\":[";
      for (size_t i = 0; i < t.shape.size(); ++i) {
        if (i) o += ',';
        o += std::to_string(t.shape[i]);
      }
      o += "],\"size\":" + std::to_string(t.size) + ",\"align\":" + std::to_string(t.alignment) +
           ",\"element\":";
      json_type(o, *t.element);
      o += '}';
      return;
    }
  }
}

// ============================================================================================
// Cython's dtype check
// ============================================================================================

// Cython's __Pyx_BufFmt_TypeCharToGroup, plus memview's n/N and F/D/G (complex).
char group_of(char code) {
  switch (code) {
    case 'c': return 'H';
    case 'b': case 'h': case 'i': case 'l': case 'q': case 's': case 'p': case 'n': return 'I';
    case '?': case 'B': case 'H': case 'I': case 'L': case 'Q': case 'N': return 'U';
    case 'f': case 'd': case 'g': return 'R';
    case 'F': case 'D': case 'G': return 'C';
    default: return 0;  // 'e', 'P': Cython does not understand them
  }
}

// Cython's __Pyx_BufFmt_DescribeTypeChar.
std::string describe(char code) {
  switch (code) {
    case '?': return "'bool'";
    case 'c': return "'char'";
    case 'b': return "'signed char'";
    case 'B': return "'unsigned char'";
    case 'h': return "'short'";
    case 'H': return "'unsigned short'";
    case 'i': return "'int'";
    case 'I': return "'unsigned int'";
    case 'l': return "'long'";
    case 'L': return "'unsigned long'";
    case 'q': return "'long long'";
    case 'Q': return "'unsigned long long'";
    case 'n': return "'Py_ssize_t'";
    case 'N': return "'size_t'";
    case 'f': return "'float'";
    case 'd': return "'double'";
    case 'g': return "'long double'";
    case 'F': return "'complex float'";
    case 'D': return "'complex double'";
    case 'G': return "'complex long double'";
    case 'P': return "a pointer";
    case 's': case 'p': return "a string";
    default: return "unparseable format string";
  }
}

bool has_item(const FormatType &t) {
  switch (t.kind) {
    case FormatType::Kind::scalar:
      return t.code != 'x' && t.size > 0;
    case FormatType::Kind::structure:
      for (const Field &f : t.fields)
        if (has_item(*f.type)) return true;
      return false;
    case FormatType::Kind::array:
      for (int64_t d : t.shape)
        if (d == 0) return false;
      return has_item(*t.element);
  }
  return false;
}

// Visits the scalar items of a format in order with their absolute offsets, as Cython's checker
// sees them (structs flattened, sub-arrays repeated, 's'/'p' one item per byte, padding skipped).
// The visitor returns false to stop; walk() then returns false.
template <class Visit>
bool walk_items(const FormatType &t, int64_t base, Visit &visit) {
  switch (t.kind) {
    case FormatType::Kind::scalar:
      if (t.code == 'x') return true;
      if (t.code == 's' || t.code == 'p') {
        for (int64_t i = 0; i < t.size; ++i)
          if (!visit(t, base + i, int64_t(1))) return false;
        return true;
      }
      return visit(t, base, t.size);
    case FormatType::Kind::structure:
      for (const Field &f : t.fields)
        if (!walk_items(*f.type, base + f.offset, visit)) return false;
      return true;
    case FormatType::Kind::array: {
      if (t.size == 0 || !has_item(*t.element)) return true;  // nothing to visit
      int64_t n = 1;
      for (int64_t d : t.shape) n *= d;  // cannot overflow: a non-empty array's n * element size == t.size
      for (int64_t i = 0; i < n; ++i)
        if (!walk_items(*t.element, base + i * t.element->size, visit)) return false;
      return true;
    }
  }
  return true;
}

}  // namespace

bool parse_format(const char *fmt, size_t len, ParsedFormat *out, std::string *error, size_t *error_pos) {
  if (fmt == nullptr) len = 0;
  Parser p(fmt, len);
  ParsedFormat result;
  if (!p.run(&result)) {
    if (error) *error = p.error;
    if (error_pos) *error_pos = p.error_pos;
    return false;
  }
  if (out) *out = std::move(result);
  return true;
}

std::string format_to_json(const ParsedFormat &parsed) {
  std::string o = "{\"itemsize\":" + std::to_string(parsed.itemsize) + ",\"type\":";
  if (parsed.root)
    json_type(o, *parsed.root);
  else
    o += "null";
  o += '}';
  return o;
}

bool ctype_info(const std::string &name, char *group, int64_t *size) {
  struct Entry {
    const char *name;
    char group;
    int64_t size;
  };
  static const Entry table[] = {
      {"char", 'H', 1},
      {"signed char", 'I', 1},
      {"unsigned char", 'U', 1},
      {"short", 'I', int64_t(sizeof(short))},
      {"unsigned short", 'U', int64_t(sizeof(short))},
      {"int", 'I', int64_t(sizeof(int))},
      {"unsigned int", 'U', int64_t(sizeof(int))},
      {"long", 'I', 8},  // DESIGN.md: long is 8 bytes
      {"unsigned long", 'U', 8},
      {"long long", 'I', int64_t(sizeof(long long))},
      {"unsigned long long", 'U', int64_t(sizeof(long long))},
      {"float", 'R', int64_t(sizeof(float))},
      {"double", 'R', int64_t(sizeof(double))},
      {"float complex", 'C', int64_t(2 * sizeof(float))},
      {"double complex", 'C', int64_t(2 * sizeof(double))},
      {"bint", 'I', int64_t(sizeof(int))},
      {"Py_ssize_t", 'I', int64_t(sizeof(size_t))},
      {"size_t", 'U', int64_t(sizeof(size_t))},
      {"int8_t", 'I', 1},
      {"int16_t", 'I', 2},
      {"int32_t", 'I', 4},
      {"int64_t", 'I', 8},
      {"uint8_t", 'U', 1},
      {"uint16_t", 'U', 2},
      {"uint32_t", 'U', 4},
      {"uint64_t", 'U', 8},
  };
  for (const Entry &e : table) {
    if (name == e.name) {
      if (group) *group = e.group;
      if (size) *size = e.size;
      return true;
    }
  }
  return false;
}

std::string dtype_mismatch(const ParsedFormat &got, char group, int64_t size, const std::string &expected_name) {
  if (!got.root) return "Buffer dtype mismatch, expected '" + expected_name + "' but got end";
  std::string message;
  int seen = 0;
  auto visit = [&](const FormatType &t, int64_t offset, int64_t item_size) -> bool {
    if (t.endian != kNativeEndian) {
      message = (kNativeEndian == Endian::little) ? "Big-endian buffer not supported on little-endian compiler"
                                                  : "Little-endian buffer not supported on big-endian compiler";
      return false;
    }
    char g = group_of(t.code);
    if (g == 0) {
      message = "Does not understand character buffer dtype format string ('" + std::string(1, t.code) + "')";
      return false;
    }
    if (seen++ > 0) {
      message = "Buffer dtype mismatch, expected end but got " + describe(t.code);
      return false;
    }
    bool match = item_size == size && (g == group || group == 'H' || g == 'H');
    if (!match) {
      message = "Buffer dtype mismatch, expected '" + expected_name + "' but got " + describe(t.code);
      return false;
    }
    if (offset != 0) {
      message = "Buffer dtype mismatch; next field is at offset " + std::to_string(offset) + " but 0 expected";
      return false;
    }
    return true;
  };
  walk_items(*got.root, 0, visit);
  if (!message.empty()) return message;
  if (seen == 0) return "Buffer dtype mismatch, expected '" + expected_name + "' but got end";
  return "";
}

}  // namespace mv
