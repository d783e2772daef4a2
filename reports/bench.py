"""Timing for the `make bench-*` commands.

Here, in reports, a layer below publishing, so both `bench_pdf` and publishing's `bench_directory`
use it."""

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
