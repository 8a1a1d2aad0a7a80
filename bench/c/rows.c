/* W7: sum over a double** (1000 separately allocated rows of 1000 doubles). */
#include "common.h"

typedef struct {
  double **rows;
  long n0, n1;
} rp;

/* One accumulator, as the JS loops (no reassociation without -ffast-math). */
__attribute__((noinline)) static double rowsum(void *ctx) {
  const rp *r = ctx;
  double s = 0;
  for (long i = 0; i < r->n0; i++) {
    const double *p = r->rows[i];
    for (long j = 0; j < r->n1; j++) s += p[j];
  }
  return s;
}

__attribute__((noinline)) static double rowsum8(void *ctx) {
  const rp *r = ctx;
  double a[8] = {0};
  for (long i = 0; i < r->n0; i++) {
    const double *p = r->rows[i];
    long j = 0;
    for (; j + 8 <= r->n1; j += 8)
      for (int u = 0; u < 8; u++) a[u] += p[j + u];
    for (; j < r->n1; j++) a[0] += p[j];
  }
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

int main(int argc, char **argv) {
  bench_args(argc, argv);
  long n = 1000;
  double **rows = malloc((size_t)n * sizeof(double *));
  for (long i = 0; i < n; i++) {
    rows[i] = malloc((size_t)n * sizeof(double));
    for (long j = 0; j < n; j++) rows[i][j] = (double)((i * n + j) & 7) + 0.5;
  }
  rp r = {rows, n, n};
  emit("W7", "1000x1000", "row pointers, 1 accumulator", bench_run(rowsum, &r, (double)(n * n)), "ns/el");
  emit("W7", "1000x1000", "row pointers, 8 accumulators", bench_run(rowsum8, &r, (double)(n * n)), "ns/el");
  return 0;
}
