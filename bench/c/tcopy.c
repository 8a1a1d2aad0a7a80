/* W3: transposed copy dst = src.T of a 2000x2000 float64 array. */
#include "common.h"

typedef struct {
  double *dst;
  const double *src;
  long n;
} tc;

__attribute__((noinline)) static double tcopy_blocked(void *ctx) {
  const tc *c = ctx;
  const long n = c->n, B = 32;
  for (long ib = 0; ib < n; ib += B)
    for (long jb = 0; jb < n; jb += B) {
      long ie = ib + B < n ? ib + B : n, je = jb + B < n ? jb + B : n;
      for (long i = ib; i < ie; i++)
        for (long j = jb; j < je; j++) c->dst[i * n + j] = c->src[j * n + i];
    }
  return c->dst[1];
}

__attribute__((noinline)) static double tcopy_naive(void *ctx) {
  const tc *c = ctx;
  const long n = c->n;
  for (long i = 0; i < n; i++)
    for (long j = 0; j < n; j++) c->dst[i * n + j] = c->src[j * n + i];
  return c->dst[1];
}

int main(int argc, char **argv) {
  bench_args(argc, argv);
  long n = 2000;
  double *src = xaligned((size_t)(n * n) * sizeof(double)), *dst = xaligned((size_t)(n * n) * sizeof(double));
  for (long i = 0; i < n * n; i++) src[i] = (double)i, dst[i] = 0;
  tc c = {dst, src, n};
  emit("W3", "2000x2000", "32x32 blocked", bench_run(tcopy_blocked, &c, (double)(n * n)), "ns/el");
  if (dst[1 * n + 0] != src[0 * n + 1] || dst[5 * n + 7] != src[7 * n + 5]) return fprintf(stderr, "tcopy mismatch\n"), 1;
  emit("W3", "2000x2000", "naive i,j loop", bench_run(tcopy_naive, &c, (double)(n * n)), "ns/el");
  return 0;
}
