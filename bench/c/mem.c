/* W5: fill and contiguous copy of 64 MiB (8 Mi float64 elements). Pages are touched first. */
#include "common.h"

typedef struct {
  double *a, *b;
  size_t n;
} mm;

__attribute__((noinline)) static double do_memset(void *ctx) {
  const mm *m = ctx;
  memset(m->a, 1, m->n * sizeof(double));
  return m->a[0];
}

__attribute__((noinline)) static double do_fill1(void *ctx) {
  const mm *m = ctx;
  for (size_t i = 0; i < m->n; i++) m->a[i] = 1.0;
  return m->a[0];
}

__attribute__((noinline)) static double do_memcpy(void *ctx) {
  const mm *m = ctx;
  memcpy(m->b, m->a, m->n * sizeof(double));
  return m->b[0];
}

int main(int argc, char **argv) {
  bench_args(argc, argv);
  size_t n = (64u << 20) / sizeof(double);
  mm m = {xaligned(n * sizeof(double)), xaligned(n * sizeof(double)), n};
  memset(m.a, 0, n * sizeof(double));
  memset(m.b, 0, n * sizeof(double));
  emit("W5 fill", "64MiB", "memset", bench_run(do_memset, &m, (double)n), "ns/el");
  emit("W5 fill", "64MiB", "loop a[i] = 1.0", bench_run(do_fill1, &m, (double)n), "ns/el");
  emit("W5 copy", "64MiB", "memcpy", bench_run(do_memcpy, &m, (double)n), "ns/el");
  return 0;
}
