"""Bench runs that take turns on one machine, so that the growth check compares a page at 1,000
and at 24,000 schools measured moments apart, not ten minutes apart: this machine's speed drifts
by the minute, and a page's multiple of its floor drifted by up to 25% between two runs.

Runs that share a folder hold its lock one at a time (flock), for a round of a page or a step
that loads the machine (making the data, starting the servers, warming them, counting queries);
a run that has just had a turn lets another that is waiting go first. A run that stops leaves
the lock (the kernel releases it) and no claim to wait for.
"""

import fcntl
import os
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

POLL_SECONDS = 0.002  # how often a run that has just had a turn looks whether the other has gone


class Turns:
    def __init__(self, folder: Path, name: str):
        self.folder, self.name = Path(folder), name
        self.folder.mkdir(parents=True, exist_ok=True)
        self.lock = self.folder / "lock"
        self.last = self.folder / "last"
        self.waiting = self.folder / f"{name}.waiting"

    @contextmanager
    def __call__(self):
        claim = self.folder / f"{self.name}.claim"  # written whole, then named: never read half
        claim.write_text(str(os.getpid()))
        claim.replace(self.waiting)
        with open(self.lock, "a") as lock:
            while True:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if self._last() != self.name or not self._others_waiting():
                    break
                fcntl.flock(lock, fcntl.LOCK_UN)
                time.sleep(POLL_SECONDS)
            self.waiting.unlink()
            self.last.write_text(self.name)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _last(self) -> str:
        return self.last.read_text() if self.last.exists() else ""

    def _others_waiting(self) -> bool:
        for claim in self.folder.glob("*.waiting"):
            if claim == self.waiting:
                continue
            try:
                os.kill(int(claim.read_text()), 0)
                return True
            except (ProcessLookupError, FileNotFoundError):
                continue  # a run that stopped, or a claim just withdrawn
        return False


def alone():
    """A run on its own: every turn is its own."""
    return nullcontext()
