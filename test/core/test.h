// A minimal test registry for the plain C++ core (no Node, no framework to install).
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace mvtest {

struct Case {
  const char *name;
  std::function<void()> fn;
};

inline std::vector<Case> &registry() {
  static std::vector<Case> cases;
  return cases;
}

inline int &failures() {
  static int n = 0;
  return n;
}

struct Register {
  Register(const char *name, std::function<void()> fn) { registry().push_back({name, std::move(fn)}); }
};

inline void report(const char *file, int line, const std::string &what) {
  ++failures();
  std::fprintf(stderr, "  FAIL %s:%d: %s\n", file, line, what.c_str());
}

}  // namespace mvtest

#define MV_CAT2(a, b) a##b
#define MV_CAT(a, b) MV_CAT2(a, b)
#define TEST(name)                                                              \
  static void name();                                                           \
  static mvtest::Register MV_CAT(register_, name)(#name, name);                 \
  static void name()

#define CHECK(cond)                                                             \
  do {                                                                          \
    if (!(cond)) mvtest::report(__FILE__, __LINE__, "CHECK(" #cond ")");        \
  } while (0)

#define CHECK_EQ(a, b)                                                          \
  do {                                                                          \
    auto va_ = (a);                                                             \
    auto vb_ = (b);                                                             \
    if (!(va_ == vb_))                                                          \
      mvtest::report(__FILE__, __LINE__,                                        \
                     "CHECK_EQ(" #a ", " #b "): " + std::to_string(va_) + " != " + \
                         std::to_string(vb_));                                  \
  } while (0)

#define CHECK_STR(a, b)                                                         \
  do {                                                                          \
    std::string va_ = (a);                                                      \
    std::string vb_ = (b);                                                      \
    if (va_ != vb_)                                                             \
      mvtest::report(__FILE__, __LINE__, "CHECK_STR(" #a ", " #b "): '" + va_ + "' != '" + vb_ + "'"); \
  } while (0)
