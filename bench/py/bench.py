"""NumPy peers of `npm run bench`: one JSON object per line on stdout.

Usage: python3 bench/py/bench.py [--quick] [W1 W2 W3 W4 W5]   (no names: all of them)

Run by bench/run.js with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for this process only.
Timing: time.perf_counter_ns around each repetition, warm-up first, median of the repetitions.
"""
import json
import sys
import time

QUICK = "--quick" in sys.argv
REPS = 3 if QUICK else 9
MIN_NS = 8e6 if QUICK else 25e6
WARM_NS = 15e6 if QUICK else 50e6

try:
    import numpy as np
except ImportError:  # run.js reports the NumPy column as n/a
    print(json.dumps({"skip": "numpy is not installed"}))
    sys.exit(0)


def bench(fn, elems):
    t0 = time.perf_counter_ns()
    calls = 0
    while True:
        fn()
        calls += 1
        t = time.perf_counter_ns()
        if t - t0 >= WARM_NS and calls >= 2:
            break
    iters = int(MIN_NS / ((t - t0) / calls)) + 1
    res = []
    for _ in range(REPS):
        s = time.perf_counter_ns()
        for _ in range(iters):
            fn()
        res.append((time.perf_counter_ns() - s) / (iters * elems))
    res.sort()
    return res[len(res) // 2]


def emit(w, size, variant, ns, unit="ns/el"):
    print(json.dumps({"w": w, "size": size, "impl": "NumPy", "variant": variant, "ns": ns, "unit": unit}), flush=True)


def w1():
    for n in (40, 200):
        size = f"{n}x{n}x{n}"
        a = (np.arange(n * n * n, dtype=np.int64) % 7).astype(np.int32).reshape(n, n, n)
        emit("W1", size, "a.sum()", bench(a.sum, a.size))
        at = a.T
        emit("W1b", size, "a.T.sum()", bench(at.sum, a.size))


def w2():
    d = ((np.arange(1000 * 1000) & 7) + 0.5).astype(np.float64).reshape(1000, 1000)
    emit("W2", "1000x1000", "a.sum() (vectorized)", bench(d.sum, d.size))


def w3():
    src = np.arange(2000 * 2000, dtype=np.float64).reshape(2000, 2000)
    dst = np.zeros_like(src)
    emit("W3", "2000x2000", "np.copyto(dst, a.T) (preallocated)", bench(lambda: np.copyto(dst, src.T), src.size))
    emit("W3", "2000x2000", "np.ascontiguousarray(a.T) (allocates)", bench(lambda: np.ascontiguousarray(src.T), src.size))


def w4():
    a = np.zeros((1000, 1000), dtype=np.float64)
    k = 20000

    def slices():
        for _ in range(k):
            a[1:102:2, :]

    emit("W4", "1000x1000", "a[1:102:2, :] (Python loop)", bench(slices, k), "ns/slice")


def w5():
    n = (64 << 20) // 8
    a = np.zeros(n, dtype=np.float64)
    b = np.zeros(n, dtype=np.float64)
    emit("W5 fill", "64MiB", "a.fill(1)", bench(lambda: a.fill(1), n))

    def copy():
        b[...] = a

    emit("W5 copy", "64MiB", "b[...] = a", bench(copy, n))


WORKLOADS = {"W1": w1, "W2": w2, "W3": w3, "W4": w4, "W5": w5}


def main():
    print(json.dumps({"version": np.__version__}), flush=True)
    only = [x for x in sys.argv[1:] if not x.startswith("--")]
    for name, fn in WORKLOADS.items():
        if not only or name in only:
            fn()


main()
