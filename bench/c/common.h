/* Shared timing for the C peers of `npm run bench`: clock_gettime(CLOCK_MONOTONIC) around each
 * repetition, warm-up first, the median of the repetitions reported as ns per element. Results
 * go to stdout as one JSON object per line: {"w","size","variant","ns","unit"}.
 * Build: cc -O3 -march=native -falign-loops=64 (bench/run.js does this into build/bench/). */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Keeps the compiler from caching memory across calls or deleting a kernel's result. */
#define CLOBBER() __asm__ volatile("" ::: "memory")
static volatile double bench_sink;

static int bench_reps = 9;         /* timed repetitions (median taken) */
static double bench_min_ns = 25e6; /* each repetition runs the kernel for at least this long */
static double bench_warm_ns = 50e6;

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void bench_args(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--quick") == 0) {
      bench_reps = 3;
      bench_min_ns = 8e6;
      bench_warm_ns = 15e6;
    }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

typedef double (*kernel_fn)(void *ctx);

/* Median ns per element of f(ctx) (which handles `elems` elements per call). */
static double bench_run(kernel_fn f, void *ctx, double elems) {
  double t0 = now_ns(), t;
  long calls = 0;
  do { /* warm up caches, page tables and the branch predictor; calibrate */
    bench_sink = f(ctx);
    CLOBBER();
    calls++;
    t = now_ns();
  } while (t - t0 < bench_warm_ns || calls < 2);
  double per_call = (t - t0) / (double)calls;
  long iters = (long)(bench_min_ns / per_call) + 1;
  double res[64];
  int reps = bench_reps > 64 ? 64 : bench_reps;
  for (int r = 0; r < reps; r++) {
    double s = now_ns();
    for (long k = 0; k < iters; k++) {
      bench_sink = f(ctx);
      CLOBBER();
    }
    res[r] = (now_ns() - s) / ((double)iters * elems);
  }
  qsort(res, (size_t)reps, sizeof(double), cmp_double);
  return res[reps / 2];
}

static void emit(const char *w, const char *size, const char *variant, double ns, const char *unit) {
  printf("{\"w\":\"%s\",\"size\":\"%s\",\"impl\":\"C\",\"variant\":\"%s\",\"ns\":%.6g,\"unit\":\"%s\"}\n", w, size, variant, ns,
         unit);
  fflush(stdout);
}

__attribute__((unused)) static void *xaligned(size_t n) {
  void *p = NULL;
  if (posix_memalign(&p, 64, n) != 0) {
    fprintf(stderr, "out of memory\n");
    exit(1);
  }
  return p;
}
#endif
