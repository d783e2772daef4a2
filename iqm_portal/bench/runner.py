"""Running the bench: two gunicorns on loopback, clients at a fixed concurrency, query counts and
profiles taken in-process."""

import cProfile
import functools
import itertools
import math
import os
import pstats
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from http.client import HTTPConnection
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from .budgets import CONCURRENCY, Result, Timings
from .pages import PAGES, Call, Credentials, Missing, Page, Request, Subjects, Visitors
from .turns import Turn, alone

HOST = "127.0.0.1"
WORKERS = 3  # gunicorn's sync workers, as on one of these 2-core machines
PORTAL_SETTINGS = "iqm_portal.settings"
FLOOR_SETTINGS = "iqm_portal.bench.floor"
FLOOR_PATH = "/"
# Before measuring, each page is asked this many times per worker, with as many at once as there
# are workers: a worker's first request of a page pays for lazy imports and caches (up to a second).
WARM_ROUNDS = 4
# The floor and the page take turns, ROUNDS times, so that both meet the same moments of a busy
# machine; the floor runs FLOOR_SECONDS in all (thousands of requests). Why eight and two: README,
# "Performance".
ROUNDS = 8
FLOOR_SECONDS = 2.0
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn serving the portal (or the floor) on loopback: sync workers, the app preloaded
    before they fork, against the database and Redis of this process's environment."""

    def __init__(self, settings_module: str, port: int, log_dir: Path, name: str):
        self.settings_module, self.port, self.name = settings_module, port, name
        self.log = log_dir / f"{name}.log"
        self.process = None

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "iqm_portal.wsgi:application",
            f"--bind={HOST}:{self.port}",
            f"--workers={WORKERS}",
            "--worker-class=sync",
            "--preload",
            "--log-level=warning",
            f"--error-logfile={self.log}",
        ]

    def environment(self) -> dict:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": self.settings_module,
            # Links and cookies as served here, over plain http.
            "SITE_URL": f"http://{HOST}:{self.port}",
        }

    def __enter__(self) -> "Server":
        self.process = subprocess.Popen(
            self.command(),
            cwd=settings.BASE_DIR,
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} stopped as it started:\n{self.tail()}")
            try:
                urllib.request.urlopen(f"http://{HOST}:{self.port}/health/", timeout=2).read()
                return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {STARTUP_SECONDS} s:\n{self.tail()}")

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # gunicorn's graceful stop
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return "(no log)"
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def servers(portal_port: int = 0, floor_port: int = 0):
    """The portal and the floor, each on its own port (a free one unless given)."""
    with tempfile.TemporaryDirectory(prefix="iqm-bench-") as logs:
        portal = Server(PORTAL_SETTINGS, portal_port or free_port(), Path(logs), "portal")
        floor = Server(FLOOR_SETTINGS, floor_port or free_port(), Path(logs), "floor")
        with portal, floor:
            yield portal, floor


@dataclass(frozen=True)
class Sample:
    """Each request's time (seconds), the wall time they took together, and the failures."""

    seconds: tuple = ()
    wall: float = 0.0
    errors: int = 0

    def __add__(self, other: "Sample") -> "Sample":
        return Sample(
            self.seconds + other.seconds, self.wall + other.wall, self.errors + other.errors
        )

    def timings(self) -> Timings:
        return Timings.of(list(self.seconds), self.wall, self.errors)


def hammer(
    port: int, call: Call, *, requests: int, seconds: float, concurrency: int = CONCURRENCY
) -> Sample:
    """Sends `call` `requests` times (fewer if `seconds` run out first), `concurrency` at once,
    each client on its own connection, and times each request. Any status but 200 is an error."""
    deadline = time.perf_counter() + seconds
    tickets = itertools.count()  # shared by the clients; next() on it is atomic under the GIL
    times = [[] for _ in range(concurrency)]
    errors = [0] * concurrency

    def client(worker: int) -> None:
        send = call.for_worker(worker)
        connection = HTTPConnection(HOST, port, timeout=60)
        try:
            while next(tickets) < requests and time.perf_counter() < deadline:
                start = time.perf_counter()
                status = send(connection)
                times[worker].append(time.perf_counter() - start)
                errors[worker] += status != 200
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    return Sample(tuple(t for each in times for t in each), wall, sum(errors))


def warm(port: int, call: Call) -> None:
    hammer(port, call, requests=WARM_ROUNDS * WORKERS, seconds=60, concurrency=WORKERS)


# In-process: queries and profiles -----------------------------------------------------------


@functools.cache
def _client() -> Client:
    """One client, so one handler: middleware is set up once, as in a gunicorn worker."""
    return Client()


def in_process(request: Request):
    """The request answered by the portal in this process, as gunicorn's workers would."""
    headers = {"Host": HOST, **request.headers}
    content_type = headers.pop("Content-Type", "application/octet-stream")
    client = _client()
    client.cookies.clear()  # only the request's own: no cookie an earlier answer set
    return client.generic(
        request.method, request.path, request.body, content_type=content_type, headers=headers
    )


def count_queries(call: Call) -> tuple[int, int]:
    """The queries of the call's request, once warm, and its status."""
    in_process(call.request())
    request = call.request()  # made afresh: an autosave sends the version saved last
    with CaptureQueriesContext(connection) as queries:
        response = in_process(request)
    return len(queries), response.status_code


# Where a profile's own time (not counting callees) is spent, by the file its function is in:
# the first group whose marker is in the file's path (or a built-in function's name) takes it.
AREAS = [
    ("SQL (psycopg2, waiting on PostgreSQL)", ("psycopg2",)),
    ("ORM (building queries, making objects)", ("django/db/",)),
    ("templates", ("django/template/", "/templatetags/", "django/templatetags/")),
    ("forms and widgets", ("django/forms/",)),
    ("middleware and request handling", ("django/middleware/", "django/core/handlers/", "/csp/")),
    ("the portal's own code", (str(settings.BASE_DIR) + "/",)),
    ("the rest of Django", ("django/",)),
]


def area_of(filename: str, function: str) -> str:
    where = f"{filename} {function}"
    for name, markers in AREAS:
        if any(marker in where for marker in markers):
            if name == "the portal's own code" and "/site-packages/" in filename:
                continue
            return name
    return "other libraries and Python"


SQL_SHOWN = 300  # characters of each query that --profile shows


def profile(call: Call, runs: int = 20) -> str:
    """Where the call's time goes, in-process: its median, its SQL, then cProfile's view."""
    in_process(call.request())
    wall, sql = [], []
    for _ in range(runs):
        request = call.request()
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = in_process(request)
            wall.append(time.perf_counter() - start)
        captured = queries.captured_queries  # read now: the next request empties the log
        sql.append(sum(float(q["time"]) for q in captured))
    profiler = cProfile.Profile()
    for _ in range(runs):
        request = call.request()
        profiler.enable()
        in_process(request)
        profiler.disable()
    stats = pstats.Stats(profiler)
    by_area: dict[str, float] = {}
    for (filename, _, function), (_, _, own, _, _) in stats.stats.items():
        area = area_of(filename, function)
        by_area[area] = by_area.get(area, 0.0) + own
    total = sum(by_area.values()) or 1.0
    out = StringIO()
    out.write(
        f"{request.method} {request.path}: HTTP {response.status_code}, {len(captured)} queries\n"
        f"in-process median {statistics.median(wall) * 1000:.1f} ms, "
        f"of which SQL {statistics.median(sql) * 1000:.1f} ms (median of {runs})\n\n"
        "Own time under the profiler, by area:\n"
    )
    for area, seconds in sorted(by_area.items(), key=lambda item: -item[1]):
        out.write(f"  {seconds / total:6.1%}  {area}\n")
    out.write("\nThe last run's queries, slowest first (ms):\n")
    for query in sorted(captured, key=lambda q: -float(q["time"])):
        out.write(f"  {float(query['time']) * 1000:6.1f}  {query['sql'][:SQL_SHOWN]}\n")
    stats.stream = out
    out.write(
        "\nThe portal's own functions by cumulative time (the profiler's overhead included):\n"
    )
    own_code = "^" + re.escape(f"{settings.BASE_DIR}/") + r"(?!\.venv/|iqm_portal/bench/)"
    stats.sort_stats("cumulative").print_stats(own_code, 25)
    out.write("\nEverything by cumulative time:\n")
    stats.print_stats(40)
    return out.getvalue()


# The run ----------------------------------------------------------------------------------


@dataclass
class Plan:
    """The pages to measure, each with its call, and those the data cannot show."""

    calls: list[tuple[Page, Call]]
    missing: dict[str, str]


def plan(subjects: Subjects, visitors: Visitors, pages: list[Page] = PAGES) -> Plan:
    calls, missing = [], {}
    for page in pages:
        try:
            calls.append((page, page.call(subjects, visitors)))
        except Missing as why:
            missing[page.key] = str(why)
    return Plan(calls, missing)


def beside_the_floor(
    port: int, call: Call, floor_port: int, *, requests: int, seconds: float, turn: Turn = alone
) -> tuple[Timings, Timings]:
    """The page's timings and the floor's, in ROUNDS rounds of the floor then the page, each
    round a turn of this run's (turns.py)."""
    page, floor = Sample(), Sample()
    floor_call = Call(FLOOR_PATH, Credentials())
    for _ in range(ROUNDS):
        with turn():
            floor += hammer(floor_port, floor_call, requests=10**9, seconds=FLOOR_SECONDS / ROUNDS)
            page += hammer(
                port, call, requests=math.ceil(requests / ROUNDS), seconds=seconds / ROUNDS
            )
    return page.timings(), floor.timings()


def measure(
    subjects: Subjects,
    visitors: Visitors,
    pages: list[Page],
    *,
    requests: int,
    seconds: float,
    portal_port: int = 0,
    floor_port: int = 0,
    progress=lambda line: None,
    turn: Turn = alone,
) -> tuple[list[Result], dict[str, str]]:
    """Every page under gunicorn beside the floor, then its queries in-process. `turn` takes
    the machine for each step that loads it, when another run shares it (turns.py)."""
    floor_call = Call(FLOOR_PATH, Credentials())
    results = []
    with ExitStack() as running:
        with turn():
            work = plan(subjects, visitors, pages)
            portal, floor = running.enter_context(servers(portal_port, floor_port))
            progress(f"portal on {HOST}:{portal.port}, floor on {HOST}:{floor.port}; warming")
            warm(floor.port, floor_call)
            for _, call in work.calls:
                warm(portal.port, call)
        for page, call in work.calls:
            timings, floor_timings = beside_the_floor(
                portal.port, call, floor.port, requests=requests, seconds=seconds, turn=turn
            )
            with turn():
                queries, status = count_queries(call)
            result = Result(
                key=page.key,
                name=page.name,
                role=page.role,
                path=call.path,
                kind=page.kind,
                timings=timings,
                floor=floor_timings,
                queries=queries if status == 200 else None,
                note=page.describe(subjects),
            )
            results.append(result)
            progress(
                f"{page.key}: median {timings.median_ms:.1f} ms "
                f"({result.median_floors:.1f}× the floor), {queries} queries"
            )
        with turn():
            running.close()  # the servers stopped
    return results, work.missing
