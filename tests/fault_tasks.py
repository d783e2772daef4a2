"""Tasks for the fault tests (tests/test_faults.py), loaded by their worker with --include. Each
notes its run in a file, one line per run, so a test can count how often each ran."""

import time
from pathlib import Path

from iqm_portal.celery import app


@app.task(name="tests.fault_tasks.record")
def record(path, label):
    with open(path, "a") as runs:
        runs.write(f"{label}\n")


@app.task(name="tests.fault_tasks.hold")
def hold(path, release, label="held"):
    """Keeps the worker busy until the file `release` exists (or 120 s have passed)."""
    record(path, f"{label} started")
    deadline = time.monotonic() + 120
    while not Path(release).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    record(path, f"{label} done")
