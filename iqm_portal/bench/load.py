"""`make load`: locust's scenario (locustfile.py) against the portal under gunicorn, on loopback,
bounded in time and in people, judged by the share of requests that fail and by each request's
95th percentile against the floor's median (measured just before, as the bench does)."""

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.models import Role
from assessments.models import Cycle, Element, MentorReview
from assessments.workflow import SCHOOL_EDITS

from .budgets import MAX_FAILURE_RATIO, P95_FLOORS
from .pages import PAGES_BY_KEY, Autosave, Missing, Subjects, Visitors, person
from .runner import FLOOR_PATH, HOST, Call, Credentials, hammer, servers, warm

SCENARIO = Path(__file__).with_name("locustfile.py")
CYCLES = 10  # self-reviews being written, and validated, at once: each element of each a slot
PUBLIC_PAGES = [
    "public-list",
    "public-list-json",
    "directory",
    "directory-search",
    "directory-school",
]


def _slots_of(subjects: Subjects, visitors: Visitors, state, role) -> list[tuple]:
    """(cycle, its person of `role`'s credentials, element ids) for up to CYCLES cycles."""
    with scopes_disabled():
        cycles = list(
            Cycle.objects.filter(authority=subjects.authority, state__in=state)
            .select_related("school", "mentor")
            .order_by("pk")[: CYCLES * 3]
        )
    found = []
    for cycle in cycles:
        try:
            user = person(subjects, role, cycle)
        except Missing:
            continue
        with scopes_disabled():
            elements = list(
                Element.objects.filter(framework=cycle.framework_id)
                .order_by("number")
                .values_list("pk", flat=True)
            )
        found.append((cycle, visitors.credentials(user), elements))
        if len(found) == CYCLES:
            break
    return found


def plan(subjects: Subjects, visitors: Visitors) -> tuple[dict, list[Call]]:
    """Who does what in the scenario (each slot a person's headers and addresses), and a call of
    each of its pages, to warm the workers with."""
    slug = subjects.authority.slug
    dashboard = reverse("dashboard", args=[slug])
    pages = [Call(PAGES_BY_KEY[key].path(subjects), Credentials()) for key in PUBLIC_PAGES]
    staff = []
    for cycle, credentials, elements in _slots_of(
        subjects, visitors, SCHOOL_EDITS, Role.SCHOOL_COORDINATOR
    ):
        paths = {e: reverse("assessments:element", args=[slug, cycle.pk, e]) for e in elements}
        autosave = Autosave(paths[elements[0]], credentials, paths=paths, cycle=cycle)
        cycle_path = reverse("assessments:cycle", args=[slug, cycle.pk])
        pages += [Call(path, credentials) for path in (paths[elements[0]], cycle_path, dashboard)]
        staff += [
            {
                "headers": credentials.headers(),
                "csrf": credentials.csrf,
                "element": paths[element],
                "form": autosave.form(element),
                "cycle": cycle_path,
                "dashboard": dashboard,
            }
            for element in elements
        ]
    mentors = []
    for cycle, credentials, elements in _slots_of(
        subjects, visitors, [Cycle.State.SUBMITTED], Role.MENTOR
    ):
        review = reverse("assessments:review", args=[slug, cycle.pk])
        pages += [Call(path, credentials) for path in (review, dashboard)]
        with scopes_disabled():
            comments = dict(
                MentorReview.objects.filter(cycle=cycle).values_list("element", "comment")
            )
        mentors += [
            {
                "headers": credentials.headers(),
                "csrf": credentials.csrf,
                "review": review,
                "form": {"element": element, f"e{element}-comment": comments.get(element, "")},
                "dashboard": dashboard,
            }
            for element in elements
        ]
    if not staff or not mentors:
        raise Missing("no self-review being written, or none with its mentor")
    public = {PAGES_BY_KEY[key].name: PAGES_BY_KEY[key].path(subjects) for key in PUBLIC_PAGES}
    return {"staff": staff, "mentors": mentors, "public": public}, pages


@dataclass(frozen=True)
class Row:
    """One kind of request in locust's statistics (milliseconds)."""

    name: str
    requests: int
    failures: int
    median_ms: float
    p95_ms: float

    def misses(self, floor_ms: float) -> list[str]:
        budget = P95_FLOORS * floor_ms
        return [f"p95 {self.p95_ms:.0f} ms > {budget:.0f} ms"] if self.p95_ms > budget else []


def read_stats(path: Path) -> tuple[list[Row], Row]:
    """Each request's row of locust's `<prefix>_stats.csv`, and the total."""
    rows = []
    with path.open(newline="") as stats:
        for line in csv.DictReader(stats):
            rows.append(
                Row(
                    name=line["Name"],
                    requests=int(line["Request Count"]),
                    failures=int(line["Failure Count"]),
                    median_ms=float(line["50%"]),
                    p95_ms=float(line["95%"]),
                )
            )
    total = next(row for row in rows if row.name == "Aggregated")
    return [row for row in rows if row.name != "Aggregated"], total


def failure_misses(total: Row) -> list[str]:
    if total.requests == 0:
        return ["no request was made"]
    if total.failures / total.requests > MAX_FAILURE_RATIO:
        return [
            f"{total.failures} of {total.requests} requests failed "
            f"(more than {MAX_FAILURE_RATIO:.1%})"
        ]
    return []


def table(rows: list[Row], total: Row, floor_ms: float) -> str:
    """Each request's row judged by its p95; the total by the share of requests that failed."""
    lines = [
        "| request | requests | failures | median ms | p95 ms | p95 × floor | budget ok |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row, misses in [(row, row.misses(floor_ms)) for row in rows] + [
        (total, failure_misses(total))
    ]:
        lines.append(
            f"| {row.name} | {row.requests} | {row.failures} | {row.median_ms:.0f} "
            f"| {row.p95_ms:.0f} | {row.p95_ms / floor_ms:.0f} "
            f"| {'yes' if not misses else 'NO: ' + '; '.join(misses)} |"
        )
    return "\n".join(lines)


def verdict(rows: list[Row], total: Row, floor_ms: float) -> list[str]:
    """What failed the run, in words; nothing when it passed."""
    return failure_misses(total) + [
        f"{row.name}: {miss}" for row in rows for miss in row.misses(floor_ms)
    ]


def locust_command() -> str:
    """locust from the portal's own virtualenv, else from PATH."""
    found = shutil.which("locust", path=str(Path(sys.executable).parent)) or shutil.which("locust")
    if found is None:
        raise FileNotFoundError("locust is not installed: `make install` installs the test extra.")
    return found


def run(
    subjects: Subjects,
    visitors: Visitors,
    *,
    users: int,
    seconds: int,
    locust: str = "",
    progress=lambda line: None,
) -> tuple[list[Row], Row, float, str]:
    """The scenario against gunicorn: locust's rows, its total, the floor's median (ms) and
    locust's own output."""
    scenario, pages = plan(subjects, visitors)
    with tempfile.TemporaryDirectory(prefix="iqm-load-") as folder:
        plan_path = Path(folder) / "plan.json"
        plan_path.write_text(json.dumps(scenario))
        with servers() as (portal, floor):
            floor_call = Call(FLOOR_PATH, Credentials())
            warm(floor.port, floor_call)
            floor_ms = hammer(floor.port, floor_call, requests=10**9, seconds=2).timings().median_ms
            for call in pages:
                warm(portal.port, call)
            progress(
                f"floor median {floor_ms:.2f} ms; locust: {users} people for {seconds} s "
                f"against {HOST}:{portal.port}"
            )
            finished = subprocess.run(
                [
                    locust or locust_command(),
                    f"--locustfile={SCENARIO}",
                    "--headless",
                    f"--users={users}",
                    f"--spawn-rate={max(1, users // 4)}",
                    f"--run-time={seconds}s",
                    "--stop-timeout=10",
                    f"--host=http://{HOST}:{portal.port}",
                    f"--csv={folder}/load",
                    "--only-summary",
                    "--loglevel=WARNING",
                ],
                env={**os.environ, "LOAD_PLAN": str(plan_path)},
                capture_output=True,
                text=True,
                timeout=seconds + 120,
            )
        stats = Path(folder) / "load_stats.csv"
        if not stats.exists():
            raise RuntimeError(f"locust wrote no statistics:\n{finished.stdout}\n{finished.stderr}")
        rows, total = read_stats(stats)
    return rows, total, floor_ms, finished.stdout + finished.stderr
