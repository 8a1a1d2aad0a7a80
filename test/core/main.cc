// Runs every registered core test and prints the closing line CI reads: "N passed, N failed".
#include <cstdio>

#include "test.h"

int main() {
  int passed = 0, failed = 0;
  for (const auto &c : mvtest::registry()) {
    int before = mvtest::failures();
    c.fn();
    if (mvtest::failures() == before) {
      ++passed;
    } else {
      ++failed;
      std::fprintf(stderr, "failed: %s\n", c.name);
    }
  }
  std::printf("core: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
