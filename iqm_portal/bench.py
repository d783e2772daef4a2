"""Timing for the `make bench-*` commands."""

import statistics
import time


def median_seconds(run, runs: int) -> float:
    """The median time of `runs` calls of `run`, after one warm-up call."""
    run()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
