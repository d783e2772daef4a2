"""The national directory: every authority's latest published list, searched as one register.

It reads only PublishedSchool rows of current publications, never live schools or awards: the
public sees what each authority published, and nothing of an authority that has not published.
This is the one place of the portal that reads across authorities, outside any tenancy scope:
the directory is national, and these rows are what each authority published for anyone to see.

The form's choices and the national counts change only when an authority publishes, so they are
cached under a stamp of the publications that every new one changes.
"""

import math
from dataclasses import dataclass

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    Q,
    QuerySet,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.http import QueryDict
from django_scopes import scopes_disabled

from authorities import stamps
from awards.models import Tier
from schools.models import School
from schools.search import search_text

from .models import Publication, PublishedSchool

PAGE_SIZE = 25
CACHE_SECONDS = 24 * 60 * 60
NEAREST_PER_TIER = 3
# Nearest schools are first looked for in a box this many km each way; a tier with too few there
# is then looked for across the country.
NEAREST_BOX_KM = 40
EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180
TIERS = list(reversed(Tier))  # Flagship first
NAME_MAX_LENGTH = 100
QUERY = ("name", "authority", "area", "tier", "phase", "page")  # what a search reads


def current_schools() -> QuerySet[PublishedSchool]:
    """Every authority's currently published schools."""
    with scopes_disabled():  # see the module's docstring
        return PublishedSchool.objects.filter(publication__superseded_at__isnull=True)


def publications_stamp() -> str:
    """Changes whenever any authority's publication commits: what the cached figures are keyed on.

    Publications are never deleted, so their number grows with each one; the highest id alone would
    miss one that commits after another begun later.
    """
    with scopes_disabled():  # see the module's docstring
        stamp = Publication.objects.aggregate(count=Count("pk"), newest=Max("pk"))
    # With EVERYTHING's: a restore may bring back the same count and highest id.
    return f"{stamp['count']}.{stamp['newest']}.{stamps.stamp(stamps.EVERYTHING)}"


def _cached(stamp: str, what: str, make):
    """Plain data (no pickled classes, which could change under a deployment), for one set of
    publications."""
    return cache.get_or_set(f"directory:{stamp}:{what}", make, CACHE_SECONDS)


@dataclass(frozen=True)
class Listed:
    """An authority with a current publication, and the areas its list names."""

    pk: int
    slug: str
    name: str
    areas: list[str]


@dataclass(frozen=True)
class Choices:
    """What the search form offers, from the published data itself."""

    authorities: list[Listed]

    @classmethod
    def of(cls, rows: list[tuple[int, str, str, str]]) -> "Choices":
        """From (authority pk, slug, name, area) rows."""
        areas = {}
        for pk, slug, name, area in rows:
            areas.setdefault((pk, slug, name), set()).add(area)
        return cls(
            [
                Listed(pk, slug, name, sorted(names, key=str.casefold))
                for (pk, slug, name), names in sorted(
                    areas.items(), key=lambda item: item[0][2].casefold()
                )
            ]
        )

    def areas(self, authority: Listed | None) -> list[str]:
        if authority:
            return authority.areas
        return sorted(
            {area for listed in self.authorities for area in listed.areas}, key=str.casefold
        )


def choices(stamp: str) -> Choices:
    return Choices.of(_cached(stamp, "choices", choice_rows))


def choice_rows() -> list[tuple[int, str, str, str]]:
    """(authority pk, slug, name, area) for every area of every current list."""
    return list(
        current_schools()
        .values_list("authority_id", "authority__slug", "authority__name", "area")
        .order_by()
        .distinct()
    )


@dataclass(frozen=True)
class Search:
    """What a visitor asked for. An empty value, or one that is not among the choices, means any."""

    name: str = ""
    authority: Listed | None = None
    area: str = ""
    tier: str = ""
    phase: str = ""

    @classmethod
    def read(cls, params: QueryDict, offered: Choices) -> "Search":
        authority = next(
            (a for a in offered.authorities if a.slug == params.get("authority")), None
        )
        area = params.get("area", "")
        tier = params.get("tier", "")
        phase = params.get("phase", "")
        return cls(
            name=search_text(params.get("name", ""), NAME_MAX_LENGTH),
            authority=authority,
            area=area if area in offered.areas(authority) else "",
            tier=tier if tier in Tier.values else "",
            phase=phase if phase in School.Phase.values else "",
        )

    def __bool__(self):
        return any((self.name, self.authority, self.area, self.tier, self.phase))

    def apply(self, rows: QuerySet[PublishedSchool]) -> QuerySet[PublishedSchool]:
        if self.name:
            rows = rows.filter(name__icontains=self.name)
        if self.authority:
            rows = rows.filter(authority_id=self.authority.pk)
        if self.area:
            rows = rows.filter(area=self.area)
        if self.tier:
            rows = rows.filter(tier=self.tier)
        if self.phase:
            rows = rows.filter(phase=self.phase)
        return rows

    @property
    def order(self) -> list:
        """Alphabetical; when searching by name, the names that begin with the words searched for
        first."""
        if not self.name:
            return ["name", "pk"]
        return [Case(When(name__istartswith=self.name, then=0), default=1), "name", "pk"]


@dataclass(frozen=True)
class TierCounts:
    total: int
    by_tier: dict[Tier, int]  # Flagship first

    @classmethod
    def of(cls, counts: dict[str, int]) -> "TierCounts":
        """From the aggregate: {"total": n, tier value: n, ...}."""
        return cls(counts["total"], {tier: counts[tier.value] for tier in TIERS})

    @property
    def headline(self) -> str:
        """'5,500 schools hold an IQM award; 100 are Flagship.'"""
        if not self.total:
            return "No school has a published IQM award yet."
        line = (
            f"{self.total:,} {'school holds' if self.total == 1 else 'schools hold'} an IQM award"
        )
        flagship = self.by_tier[Tier.FLAGSHIP]
        if flagship:
            line += f"; {flagship:,} {'is' if flagship == 1 else 'are'} Flagship"
        return line + "."


def count_by_tier(rows: QuerySet[PublishedSchool]) -> TierCounts:
    """The schools of `rows` in all and per tier, in one aggregate query."""
    return TierCounts.of(_tier_aggregate(rows))


def _tier_aggregate(rows: QuerySet[PublishedSchool]) -> dict[str, int]:
    return rows.aggregate(
        total=Count("pk"), **{tier.value: Count("pk", filter=Q(tier=tier)) for tier in TIERS}
    )


def national_counts(stamp: str) -> TierCounts:
    return TierCounts.of(_cached(stamp, "counts", lambda: _tier_aggregate(current_schools())))


@dataclass(frozen=True)
class Results:
    search: Search
    choices: Choices
    areas: list[str]  # the area choices, of the authority searched for
    page: Page
    counts: TierCounts  # of the schools found
    national: TierCounts  # of the whole directory


def find(params: QueryDict) -> Results:
    """One page of the schools matching the query string, with their counts per tier and the
    national ones."""
    stamp = publications_stamp()
    offered = choices(stamp)
    search = Search.read(params, offered)
    national = national_counts(stamp)
    found = search.apply(current_schools())
    counts = count_by_tier(found) if search else national
    paginator = Paginator(found.select_related("authority").order_by(*search.order), PAGE_SIZE)
    paginator.count = (
        counts.total
    )  # counted with the tiers already: spare the paginator its COUNT query
    return Results(
        search,
        offered,
        offered.areas(search.authority),
        paginator.get_page(params.get("page")),
        counts,
        national,
    )


def published_school(authority_slug: str, urn: str) -> PublishedSchool | None:
    """A school as its authority's current list publishes it; None when that list does not name
    it."""
    return (
        current_schools()
        .select_related("authority")
        .filter(authority__slug=authority_slug, urn=urn)
        .first()
    )


@dataclass(frozen=True)
class Nearby:
    school: PublishedSchool
    km: float


@dataclass(frozen=True)
class TierNearby:
    tier: Tier
    schools: list[Nearby]


def nearest_by_tier(school: PublishedSchool, per_tier: int = NEAREST_PER_TIER) -> list[TierNearby]:
    """The other current schools nearest to `school`, `per_tier` of each tier, nearest first.

    The database ranks by equirectangular distance (plain arithmetic, so PostgreSQL and SQLite
    alike), inside a box around the school first; the km shown are exact great-circle distances.
    """
    if school.latitude is None or school.longitude is None:
        return []
    others = (
        current_schools()
        .exclude(pk=school.pk)
        .filter(latitude__isnull=False, longitude__isnull=False)
    )
    found = _ranked(others.filter(**_box(school, NEAREST_BOX_KM)), school, per_tier)
    # A tier's box answer is right only if its farthest is inside the circle the box holds: one in
    # a corner of the box may be farther than one just outside its side.
    circle = (
        NEAREST_BOX_KM / KM_PER_DEGREE
    ) ** 2  # as `nearness` measures: squared degrees of latitude
    short = [
        tier
        for tier in TIERS
        if len(found.get(tier, [])) < per_tier or found[tier][-1].nearness > circle
    ]
    if short:
        found |= _ranked(others.filter(tier__in=short), school, per_tier)
    return [
        TierNearby(
            tier,
            sorted(
                (Nearby(row, haversine_km(school, row)) for row in found.get(tier, [])),
                key=lambda nearby: (nearby.km, nearby.school.name),
            ),
        )
        for tier in TIERS
    ]


def _box(school: PublishedSchool, km: float) -> dict[str, float]:
    dlat = km / KM_PER_DEGREE
    dlon = dlat / max(math.cos(math.radians(school.latitude)), 0.01)
    return {
        "latitude__range": (school.latitude - dlat, school.latitude + dlat),
        "longitude__range": (school.longitude - dlon, school.longitude + dlon),
    }


def _ranked(
    rows: QuerySet[PublishedSchool], school: PublishedSchool, per_tier: int
) -> dict[str, list]:
    """The `per_tier` rows of each tier nearest to `school`, in one query."""
    north = F("latitude") - school.latitude
    east = (F("longitude") - school.longitude) * math.cos(math.radians(school.latitude))
    rows = (
        rows.select_related("authority")
        .annotate(
            nearness=ExpressionWrapper(north * north + east * east, output_field=FloatField())
        )
        .annotate(
            rank=Window(
                RowNumber(), partition_by=F("tier"), order_by=[F("nearness").asc(), F("pk").asc()]
            )
        )
        .filter(rank__lte=per_tier)
        .order_by("nearness", "pk")
    )
    by_tier = {}
    for row in rows:
        by_tier.setdefault(row.tier, []).append(row)
    return by_tier


def haversine_km(a: PublishedSchool, b: PublishedSchool) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))
