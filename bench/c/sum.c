/* W1 sum3d (int32, contiguous and transposed) and W2 (2-D float64 sum) in C. */
#include "common.h"

typedef struct {
  const int32_t *base;
  long shape[3];
  long strides[3]; /* in elements */
} v3;

/* The ::1 inner loop: int[:, :, ::1], strides[2] == 1. */
__attribute__((noinline)) static double sum3d_c(void *ctx) {
  const v3 *v = ctx;
  long long total = 0;
  for (long i = 0; i < v->shape[0]; i++)
    for (long j = 0; j < v->shape[1]; j++) {
      const int32_t *p = v->base + i * v->strides[0] + j * v->strides[1];
      for (long k = 0; k < v->shape[2]; k++) total += p[k];
    }
  return (double)total;
}

/* The naive loop in logical order over any strides (the guide's sum3d over a.T as written). */
__attribute__((noinline)) static double sum3d_strided(void *ctx) {
  const v3 *v = ctx;
  long long total = 0;
  for (long i = 0; i < v->shape[0]; i++)
    for (long j = 0; j < v->shape[1]; j++)
      for (long k = 0; k < v->shape[2]; k++) total += v->base[i * v->strides[0] + j * v->strides[1] + k * v->strides[2]];
  return (double)total;
}

/* Axes reordered to memory order (largest stride outermost), then the ::1 inner loop. */
__attribute__((noinline)) static double sum3d_memorder(void *ctx) {
  const v3 *v = ctx;
  v3 w = *v;
  for (int a = 0; a < 3; a++) /* sort by |stride| descending (3 axes: insertion sort) */
    for (int b = a + 1; b < 3; b++)
      if (labs(w.strides[b]) > labs(w.strides[a])) {
        long s = w.strides[a], n = w.shape[a];
        w.strides[a] = w.strides[b], w.shape[a] = w.shape[b];
        w.strides[b] = s, w.shape[b] = n;
      }
  if (w.strides[2] != 1) return sum3d_strided(&w);
  return sum3d_c(&w);
}

typedef struct {
  const double *base;
  long n0, n1, s0; /* s0: row stride in elements; inner stride 1 */
} v2;

/* The same loop as the JS benchmarks: one accumulator (latency-bound, no reassociation). */
__attribute__((noinline)) static double sum2d_1acc(void *ctx) {
  const v2 *v = ctx;
  double s = 0;
  for (long i = 0; i < v->n0; i++) {
    const double *p = v->base + i * v->s0;
    for (long j = 0; j < v->n1; j++) s += p[j];
  }
  return s;
}

/* 8 independent accumulators (what a vectorizing kernel or NumPy's pairwise sum does). */
__attribute__((noinline)) static double sum2d_8acc(void *ctx) {
  const v2 *v = ctx;
  double a[8] = {0};
  for (long i = 0; i < v->n0; i++) {
    const double *p = v->base + i * v->s0;
    long j = 0;
    for (; j + 8 <= v->n1; j += 8)
      for (int u = 0; u < 8; u++) a[u] += p[j + u];
    for (; j < v->n1; j++) a[0] += p[j];
  }
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

int main(int argc, char **argv) {
  bench_args(argc, argv);
  const long sizes[2] = {40, 200};
  for (int s = 0; s < 2; s++) {
    long n = sizes[s];
    char size[32];
    snprintf(size, sizeof size, "%ldx%ldx%ld", n, n, n);
    int32_t *a = xaligned((size_t)(n * n * n) * sizeof(int32_t));
    for (long i = 0; i < n * n * n; i++) a[i] = (int32_t)(i % 7);
    double el = (double)(n * n * n);
    v3 c = {a, {n, n, n}, {n * n, n, 1}};
    v3 t = {a, {n, n, n}, {1, n, n * n}}; /* a.T */
    emit("W1", size, "::1 inner loop", bench_run(sum3d_c, &c, el), "ns/el");
    emit("W1b", size, "axes in memory order, ::1 inner loop", bench_run(sum3d_memorder, &t, el), "ns/el");
    emit("W1b", size, "naive logical-order strided loop", bench_run(sum3d_strided, &t, el), "ns/el");
    if (sum3d_memorder(&t) != sum3d_c(&c) || sum3d_strided(&t) != sum3d_c(&c)) {
      fprintf(stderr, "sum mismatch\n");
      return 1;
    }
    free(a);
  }
  long n = 1000;
  double *d = xaligned((size_t)(n * n) * sizeof(double));
  for (long i = 0; i < n * n; i++) d[i] = (double)(i & 7) + 0.5;
  v2 v = {d, n, n, n};
  emit("W2", "1000x1000", "2-D loop, 1 accumulator", bench_run(sum2d_1acc, &v, (double)(n * n)), "ns/el");
  emit("W2", "1000x1000", "2-D loop, 8 accumulators", bench_run(sum2d_8acc, &v, (double)(n * n)), "ns/el");
  free(d);
  return 0;
}
