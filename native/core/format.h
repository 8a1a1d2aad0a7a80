// PEP 3118 / struct format strings: the one parser memview has, in plain C++17 (no Node-API).
//
// parse_format() turns a format string into a tree of FormatType nodes (scalar, struct,
// sub-array) with byte offsets, sizes and alignments resolved for this host. format_to_json()
// serialises that tree for the JS layer. dtype_mismatch() is Cython's buffer dtype check
// (__Pyx_BufFmt_CheckString) for a typed declaration such as 'int[:]' against a parsed format.
//
// ---------------------------------------------------------------------------------------------
// Grammar (CPython's struct module + the PEP 3118 extensions NumPy and Cython read)
// ---------------------------------------------------------------------------------------------
//   format  := item+                       (an empty or all-whitespace format is an error)
//   item    := ws* [order ws*] ['(' dims ')' ws* [order ws*]] [count] type [ws* ':' name ':']
//   order   := '@' native size + alignment (the default)    '^' native size, no alignment
//              '=' native order, standard size, no alignment
//              '<' little-endian, standard size, no alignment  '>' '!' big-endian, standard size
//   type    := code | 'Z' ('f'|'d'|'g') | 'T{' item* ws* '}'
//   code    := x c b B ? h H i I l L q Q n N e f d g s p P F D
//   dims    := ws* uint ws* (',' ws* uint ws*)*           ('(2,3)i'; at most kMaxDims in all)
//   name    := any bytes but ':' and control characters, valid UTF-8 (may be empty)
//   ws      := ' ' '\t' '\n' '\r' '\v' '\f'   (as struct: between items, never inside a count)
//
// The byte order character is a stream state, as in NumPy and Cython: it stays in effect for the
// following items, inside and after nested T{...}, until the next one. It may appear before any
// item, not just at the start. '!' is stored as '>'.
//
// Sizes (bytes).  native ('@' '^'): the C types of this compiler (x86-64/aarch64 Linux: l L n N P
// are 8, g is 16, Zg 32).  standard ('=' '<' '>'): x c b B ? s p 1, h H e 2, i I l L f 4,
// q Q d 8, Zf 8, Zd 16; n N P g Zg are native-only and an error in standard mode.
// 's'/'p': the count is the byte length of ONE string item ('10s'). 'x': count pad bytes.
// 'F'/'D' are CPython 3.14's spellings of Zf/Zd and parse as the same types.
// Rejected with a clear message: 'O' (Python objects), 'u' 'w' (UCS strings), '&', 't', 'X'.
//
// ---------------------------------------------------------------------------------------------
// Layout (what itemsize and the offsets are)
// ---------------------------------------------------------------------------------------------
// Items are placed one after the other. An item placed while the order is '@' is first padded to
// its alignment (scalar: alignof the C type; sub-array: its element's; struct: the struct's).
// The order that counts for an item is the one in effect right AFTER it (NumPy's rule: for a
// T{...} that is the order its body ended with).
// * A T{...} body is a C struct: when its body ends in '@' its size is rounded up to its alignment
//   (the lcm of the alignments of its '@'-placed members, 1 if none). This is NumPy's
//   _dtype_from_pep3118, which NumPy's own exports rely on ('T{i:a:b:b:}' is 8 bytes).
// * The top level is a struct-module sequence: no tail padding, so the itemsize of every format
//   the struct module accepts equals struct.calcsize ('ib' is 5, 'i0l' is 8). NumPy pads its top
//   level too ('ib' -> 8, 'T{d}x' -> 16, memview: 9): memview follows struct there, on purpose.
// * A count n != 1 in front of any type but s/p/x makes a sub-array of shape (n,) ('3i', '0i',
//   '2T{...}'), as NumPy does; '(2,3)' makes shape (2,3); '(2)3i' is shape (2,3). Byte layout is
//   the same as struct's n separate items.
// * Unnamed fields get NumPy's names f0, f1, ... (the first fN not used by any other field).
//   Unnamed padding ('x') is not a field; named padding ('4x:pad:') is a field of code 'x'.
// * Root: a format of exactly one unnamed item at offset 0 whose size is the itemsize ('i', '<d',
//   '3i', '(2,2)d', 'T{...}', '10s') has that item as its root. Anything else ('ii', 'i:a:', 'x',
//   'ix', 'hxd') has a struct root whose size is the itemsize.
//
// Errors: malformed input of any kind (unknown or misplaced characters, unbalanced braces or
// parentheses, unterminated names, duplicate names, counts or sizes that overflow int64, T{...}
// nested deeper than kMaxFormatDepth, sub-arrays with more than kMaxDims dimensions) returns false
// with a message; the parser never reads outside [fmt, fmt + len). Messages reuse Cython's texts
// where Cython has one (e.g. "Buffer acquisition: Expected '{' after 'T'").
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "slice.h"  // kMaxDims

namespace mv {

enum class Endian : uint8_t { little, big };

#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
constexpr Endian kNativeEndian = Endian::big;
#else
constexpr Endian kNativeEndian = Endian::little;
#endif

// T{...} may nest this deep; one more is an error.
constexpr int kMaxFormatDepth = 64;

struct FormatType;
using FormatTypePtr = std::shared_ptr<const FormatType>;

struct Field {
  std::string name;    // as written, or NumPy's f0, f1, ... when unnamed
  int64_t offset = 0;  // bytes from the start of the enclosing struct
  FormatTypePtr type;
};

struct FormatType {
  enum class Kind : uint8_t { scalar, structure, array };
  Kind kind = Kind::scalar;
  int64_t size = 0;       // bytes (for an array: product(shape) * element->size)
  int64_t alignment = 1;  // scalar: alignof of its C type (whether or not it was aligned);
                          // struct: lcm of its '@'-placed members (1 if none); array: element's

  // scalar
  char code = 0;       // the struct code: x c b B ? h H i I l L q Q n N e f d g s p P, and for
                       // complex 'F' (Zf), 'D' (Zd), 'G' (Zg). 's'/'p': size is the length; 'x':
                       // named padding of `size` bytes.
  char mode = '@';     // order character in effect: '@' '^' '=' '<' '>' ('!' is stored as '>')
  Endian endian = kNativeEndian;  // resolved byte order
  bool standard_size() const { return mode == '=' || mode == '<' || mode == '>'; }

  // structure
  std::vector<Field> fields;

  // array (a sub-array: '(2,3)i', or a repeat count '3i')
  std::vector<int64_t> shape;  // 1..kMaxDims extents, each >= 0
  FormatTypePtr element;
};

struct ParsedFormat {
  FormatTypePtr root;
  int64_t itemsize = 0;  // == root->size
};

// Parses fmt[0, len). On failure returns false, sets *error (if not null) and *error_pos (if not
// null) to the byte offset where the problem was found, and leaves *out untouched.
bool parse_format(const char *fmt, size_t len, ParsedFormat *out, std::string *error,
                  size_t *error_pos = nullptr);

inline bool parse_format(const std::string &fmt, ParsedFormat *out, std::string *error,
                         size_t *error_pos = nullptr) {
  return parse_format(fmt.data(), fmt.size(), out, error, error_pos);
}

// JSON for the JS layer (compact, no whitespace, keys in this order):
//   {"itemsize":N,"type":TYPE}
//   TYPE scalar: {"kind":"scalar","code":"i","endian":"<","size":4,"align":4}
//                code as FormatType::code (complex 'F' 'D' 'G'); endian "<" or ">" (resolved,
//                also given for one-byte types); size is the byte count ("l" is 4 or 8, "10s" 10)
//   TYPE struct: {"kind":"struct","size":8,"align":4,"fields":[{"name":"a","offset":0,"type":TYPE}]}
//   TYPE array:  {"kind":"array","shape":[2,3],"size":24,"align":4,"element":TYPE}
// Names are JSON-escaped; all numbers are integers.
std::string format_to_json(const ParsedFormat &parsed);

// ---------------------------------------------------------------------------------------------
// Cython's dtype check for a declared scalar type (anchors A8)
// ---------------------------------------------------------------------------------------------
// Groups are Cython's typegroup letters.
namespace dtype_group {
constexpr char signed_int = 'I';    // signed char, short, int, long, long long, bint, Py_ssize_t, intN_t
constexpr char unsigned_int = 'U';  // unsigned char ... unsigned long long, size_t, uintN_t
constexpr char character = 'H';     // char: matches any format item of the same size
constexpr char real = 'R';          // float, double
constexpr char complex = 'C';       // float complex, double complex
}  // namespace dtype_group

// Group and size of a declaration's C type name (without 'const '): char, signed char, unsigned
// char, short, unsigned short, int, unsigned int, long, unsigned long, long long, unsigned long
// long, float, double, float complex, double complex, bint, Py_ssize_t, size_t, int8_t ...
// uint64_t. 'long' is 8 bytes (DESIGN.md); bint is Cython's: int-sized and signed, so a '?' buffer
// is not a bint buffer ("expected 'bint' but got 'bool'"). Returns false for anything else.
bool ctype_info(const std::string &c_name, char *group, int64_t *size);

// "" when a buffer with this format can be viewed as the declared scalar type (group, size), else
// Cython's message, e.g.
//   Buffer dtype mismatch, expected 'int' but got 'double'
//   Buffer dtype mismatch, expected 'long' but got 'long'           ('<l' is 4 bytes)
//   Buffer dtype mismatch, expected end but got 'float'             ("if" against int)
//   Buffer dtype mismatch, expected 'int' but got end               ("x", "T{}")
//   Buffer dtype mismatch; next field is at offset 4 but 0 expected ("xi")
//   Big-endian buffer not supported on little-endian compiler       ('>i')
//   Does not understand character buffer dtype format string ('e')  ('e' and 'P', as Cython)
// Matching is Cython's: equal size and equal group, where char ('H') and a 'c' item match any
// item of equal size; '?' is unsigned; 's'/'p' are signed one-byte items, one per byte. Structs
// are flattened as Cython does: the format must hold exactly one scalar item, at offset 0, so
// 'T{i:a:}' is an int buffer and 'T{ii}' is "expected end but got 'int'". Sub-arrays count as
// their repeated items. Padding is not an item (the caller checks the exporter's itemsize against
// `size` afterwards, A1 step 4: "Item size of buffer ... does not match size of ..."). Where
// memview knows codes Cython's checker does not: 'n'/'N' are Py_ssize_t/size_t (signed/unsigned,
// named 'Py_ssize_t'/'size_t' in messages) and 'F'/'D' are Zf/Zd.
// `expected_name` is printed as given (pass the declared spelling, e.g. "const double").
std::string dtype_mismatch(const ParsedFormat &got, char group, int64_t size,
                           const std::string &expected_name);

}  // namespace mv
