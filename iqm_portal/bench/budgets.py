"""Issue 16's budgets, in one place, and how a measurement is judged, tabled and compared.

Times on these machines drift from minute to minute, so a page is judged by its times in
multiples of the floor's median (a bare Django view served the same way, measured just before
the page), not in milliseconds.
"""

import math
import statistics
from dataclasses import asdict, dataclass
from enum import StrEnum

CONCURRENCY = 2  # requests in flight at once, as two people clicking at the same moment
MEDIAN_FLOORS = 30  # a key page's median, in floor medians
P95_FLOORS = 100  # its 95th percentile, in floor medians
AUTOSAVE_MEDIAN_FLOORS = 20
CACHED_MEDIAN_FLOORS = 5  # the public list, its JSON and the directory, answered from the cache
MAX_QUERIES = 12  # per request, whatever the data
MAX_GROWTH = 0.25  # how much a page's median (in floors) may grow from 1,000 to 24,000 schools
# (and its queries may not grow at all)
MAX_FAILURE_RATIO = 0.001  # `make load`: the share of requests that may fail


class Kind(StrEnum):
    PAGE = "page"
    AUTOSAVE = "autosave"
    CACHED = "cached"


MEDIAN_BUDGET = {
    Kind.PAGE: MEDIAN_FLOORS,
    Kind.AUTOSAVE: AUTOSAVE_MEDIAN_FLOORS,
    Kind.CACHED: CACHED_MEDIAN_FLOORS,
}


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value with `fraction` of the values at or below
    it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclass(frozen=True)
class Timings:
    median_ms: float
    p95_ms: float
    per_second: float
    requests: int
    errors: int = 0  # answers with another status than the page's

    @classmethod
    def of(cls, seconds: list[float], wall: float, errors: int = 0) -> "Timings":
        """From each request's time and the wall time they took together."""
        return cls(
            median_ms=statistics.median(seconds) * 1000,
            p95_ms=percentile(seconds, 0.95) * 1000,
            per_second=len(seconds) / wall,
            requests=len(seconds),
            errors=errors,
        )


@dataclass(frozen=True)
class Result:
    key: str  # what --profile and the growth check name it by
    name: str
    role: str
    path: str
    kind: Kind
    timings: Timings
    floor: Timings
    queries: int | None
    note: str = ""

    @property
    def median_floors(self) -> float:
        return self.timings.median_ms / self.floor.median_ms

    @property
    def p95_floors(self) -> float:
        return self.timings.p95_ms / self.floor.median_ms

    def misses(self) -> list[str]:
        """Each budget the page missed, said in words; none when it kept them all."""
        missed = []
        if self.timings.errors:
            missed.append(f"{self.timings.errors} of {self.timings.requests} answers failed")
        budget = MEDIAN_BUDGET[self.kind]
        if self.median_floors > budget:
            missed.append(f"median {self.median_floors:.1f}× the floor (budget {budget}×)")
        if self.p95_floors > P95_FLOORS:
            missed.append(f"p95 {self.p95_floors:.1f}× the floor (budget {P95_FLOORS}×)")
        if self.queries is None or self.queries > MAX_QUERIES:
            missed.append(f"{self.queries} queries (budget {MAX_QUERIES})")
        return missed

    def as_dict(self) -> dict:
        return {
            **asdict(self),
            "median_floors": round(self.median_floors, 2),
            "p95_floors": round(self.p95_floors, 2),
            "misses": self.misses(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Result":
        return cls(
            key=data["key"],
            name=data["name"],
            role=data["role"],
            path=data["path"],
            kind=Kind(data["kind"]),
            timings=Timings(**data["timings"]),
            floor=Timings(**data["floor"]),
            queries=data["queries"],
            note=data.get("note", ""),
        )


def table(results: list[Result]) -> str:
    """The Markdown table `manage.py bench` prints."""
    lines = [
        "| page | role | median ms | p95 ms | req/s | × floor median | p95 × floor | queries "
        "| budget ok |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for result in results:
        misses = result.misses()
        name = f"{result.name} ({result.note})" if result.note else result.name
        lines.append(
            f"| {name} | {result.role} | {result.timings.median_ms:.1f} "
            f"| {result.timings.p95_ms:.1f} | {result.timings.per_second:.0f} "
            f"| {result.median_floors:.1f} | {result.p95_floors:.1f} | {result.queries} "
            f"| {'yes' if not misses else 'NO: ' + '; '.join(misses)} |"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class Growth:
    key: str
    name: str
    role: str
    small: float  # median in floor medians, on the small data set
    large: float
    small_queries: int | None
    large_queries: int | None

    @property
    def ratio(self) -> float:
        return self.large / self.small - 1

    def misses(self) -> list[str]:
        missed = []
        if self.ratio > MAX_GROWTH:
            missed.append(f"median {self.ratio:+.0%}")
        if self.small_queries is None or self.large_queries is None:
            missed.append("queries not counted")
        elif self.large_queries > self.small_queries:
            missed.append(f"queries {self.small_queries} → {self.large_queries}")
        return missed


def growth(small: list[Result], large: list[Result]) -> list[Growth]:
    """Each page measured in both runs: its median in floors, and its queries, on the small data
    set and the large.

    In floors rather than milliseconds: the two runs are minutes apart, and the machine's speed
    drifts more than that between them."""
    before = {result.key: result for result in small}
    return [
        Growth(
            result.key,
            result.name,
            result.role,
            before[result.key].median_floors,
            result.median_floors,
            before[result.key].queries,
            result.queries,
        )
        for result in large
        if result.key in before
    ]


def growth_table(rows: list[Growth], small_label: str, large_label: str) -> str:
    lines = [
        f"| page | role | median × floor, {small_label} | median × floor, {large_label} "
        "| growth | queries | budget ok |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        misses = row.misses()
        lines.append(
            f"| {row.name} | {row.role} | {row.small:.1f} | {row.large:.1f} | {row.ratio:+.0%} "
            f"| {row.small_queries} → {row.large_queries} "
            f"| {'yes' if not misses else 'NO: ' + '; '.join(misses)} |"
        )
    return "\n".join(lines)
