"""Bench runs that take turns on one machine, so that the growth check compares a page at 1,000
and at 24,000 schools measured moments apart, not ten minutes apart: this machine's speed drifts
by the minute, and a page's multiple of its floor drifted by up to 25% between two runs.

Runs that share a folder hold its lock one at a time (flock), for a round of a page or a step
that loads the machine (making the data, signing in, starting, warming and stopping the servers,
counting queries); a run that has just had a turn lets another that is waiting go first. A run
waiting for a turn holds its claim file locked, so a claim that nobody holds (its run stopped)
is not waited for, and the kernel releases whatever a stopped run held.
"""

import fcntl
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

POLL_SECONDS = 0.002  # how often a run that has just had a turn looks whether the other has gone

Turn = Callable[[], AbstractContextManager]


class Turns:
    def __init__(self, folder: Path, name: str):
        self.folder, self.name = Path(folder), name
        self.folder.mkdir(parents=True, exist_ok=True)
        self.lock = self.folder / "lock"
        self.last = self.folder / "last"
        self.waiting = self.folder / f"{name}.waiting"

    @contextmanager
    def __call__(self):
        with open(self.lock, "a") as lock:
            self._wait_for(lock)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _wait_for(self, lock) -> None:
        """Take the lock, unless this run had the last turn and another is waiting for one."""
        with open(self.waiting, "a") as claim:
            fcntl.flock(claim, fcntl.LOCK_SH)  # held while waiting: how the others know
            try:
                while True:
                    fcntl.flock(lock, fcntl.LOCK_EX)
                    if self._last() != self.name or not self._others_waiting():
                        break
                    fcntl.flock(lock, fcntl.LOCK_UN)
                    time.sleep(POLL_SECONDS)
            finally:
                fcntl.flock(claim, fcntl.LOCK_UN)
        self.last.write_text(self.name)

    def _last(self) -> str:
        return self.last.read_text() if self.last.exists() else ""

    def _others_waiting(self) -> bool:
        for claim in self.folder.glob("*.waiting"):
            if claim == self.waiting:
                continue
            with open(claim, "a") as probe:
                try:
                    fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return True  # its run holds it: waiting
                fcntl.flock(probe, fcntl.LOCK_UN)
        return False


def alone() -> AbstractContextManager:
    """A run on its own: every turn is its own."""
    return nullcontext()
