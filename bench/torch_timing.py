"""Timing for the PyTorch sides of the benchmarks, as bench/measure.mjs times convcore:
one warm-up call, then repeats until min_reps calls and min_seconds have passed."""
import time


def measure(fn, min_reps=5, max_reps=200, min_seconds=0.4):
    """(median, fastest) milliseconds of fn()."""
    fn()
    times = []
    begin = time.perf_counter()
    while len(times) < min_reps or (len(times) < max_reps and time.perf_counter() - begin < min_seconds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2] * 1e3, times[0] * 1e3
