"""The authority's overview: its scheme in seven figures, each a table from which its chart and its
CSV are drawn.

Every figure is counted in the database (GROUP BY, with one or two queries), so the overview costs
the same number of queries whatever the number of schools, cycles or years. The counts follow the
published list where they overlap: a school's award is its highest current one, and a school
without one is "working towards" by the list's own rule (`assessments.history.working_towards`).
"""

import calendar
import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import (
    Aggregate,
    BooleanField,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
)

from accounts.models import Membership, Role
from assessments.history import working_towards
from assessments.models import Cycle, FrameworkVersion, MentorReview, Rating
from assessments.ratings import authority_ratings
from assessments.workflow import STEPS
from authorities import stamps
from authorities.rls import scoped_path
from authorities.spreadsheets import text_cell
from awards.domain import awards_in_force, highest_first, years_after
from awards.models import Award, Tier
from moderation.models import Decision, Visit
from schools.models import Area, School

from . import charts

NO_AREA = "Other schools"  # as on the published list
NO_CYCLE = "No cycle"
WORKING_TOWARDS = "Working towards"
# A visit is open while its moderators write: the report, or a review's ratification.
OPEN_VISIT_STATES = STEPS["write_report"].sources | STEPS["write_ratification"].sources
DECISIONS_OVER_YEARS = 3


@dataclass(frozen=True)
class Figure:
    slug: str  # its CSV's name, and its place on the page
    title: str
    about: str  # what it counts, in a sentence under the heading
    row_heading: str
    columns: list[str]
    rows: list[tuple[str, list]]  # each row's heading, then its values (None: no figure)
    chart: dict
    chart_kind: str = "bars"  # or "ranges"
    total: list | None = None  # the columns' totals, where adding them up means something

    def csv(self) -> str:
        out = io.StringIO()
        out.write("\ufeff")  # a byte order mark, so spreadsheets read the names as UTF-8
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([self.row_heading, *self.columns])
        for label, values in self.rows:
            writer.writerow([text_cell(label), *("" if v is None else v for v in values)])
        if self.total is not None:
            writer.writerow(["Total", *self.total])
        return out.getvalue()


class Median(Aggregate):
    """The median, in the database: PostgreSQL's percentile_cont; on SQLite (`make run`) an
    aggregate function the app registers on each connection (overview.apps)."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, function="IQM_MEDIAN", template="%(function)s(%(expressions)s)"
        )


def months_after(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _totals(rows) -> list:
    return [sum(column) for column in zip(*(values for _, values in rows), strict=True)]


def schools_by_state(authority, today) -> Figure:
    latest = (
        Cycle.objects.filter(school=OuterRef("pk")).order_by("-created_at", "-pk").values("state")
    )
    counts = dict(
        School.objects.filter(authority=authority)
        .annotate(cycle_state=Subquery(latest[:1]))
        .order_by()
        .values("cycle_state")
        .annotate(schools=Count("pk"))
        .values_list("cycle_state", "schools")
    )
    rows = [(label, [counts.get(state, 0)]) for state, label in Cycle.State.choices]
    rows.append((NO_CYCLE, [counts.get(None, 0)]))
    return Figure(
        slug="schools-by-state",
        title="Schools by the state of their current cycle",
        about="Each school once, by the state of its latest cycle; schools never registered for "
        "an assessment or review are under “No cycle”.",
        row_heading="State",
        columns=["Schools"],
        rows=rows,
        chart=charts.bars(rows, ["Schools"]),
        total=_totals(rows),
    )


def awards_by_area(authority, today) -> Figure:
    highest = highest_first(awards_in_force(today).filter(school=OuterRef("pk"))).values("tier")
    groups = (
        School.objects.filter(authority=authority)
        .annotate(
            held=Subquery(highest[:1]),
            working=ExpressionWrapper(working_towards(today), output_field=BooleanField()),
        )
        .order_by()
        .values("area__position", "area__name", "held", "working")
        .annotate(schools=Count("pk"))
    )
    columns = [tier.label for tier in Tier] + [WORKING_TOWARDS]
    by_area = {}
    for group in groups:
        if group["held"] is None and not group["working"]:
            continue  # in no way part of the scheme now
        area = group["area__name"]
        place = (area is None, group["area__position"] or 0, area or "")
        counts = by_area.setdefault(place, [0] * len(columns))
        column = Tier(group["held"]).label if group["held"] else WORKING_TOWARDS
        counts[columns.index(column)] += group["schools"]
    rows = [(place[2] or NO_AREA, counts) for place, counts in sorted(by_area.items())]
    return Figure(
        slug="awards-by-area",
        title="Awards by tier in each area",
        about="Each school once, with its highest current award; a school without one is "
        "working towards the mark if it has a cycle the panel has not yet decided or its award "
        "lapsed, as on the published list.",
        row_heading="Area",
        columns=columns,
        rows=rows,
        chart=charts.bars(rows, columns),
        total=_totals(rows) if rows else None,
    )


def expiring_awards(authority, today) -> Figure:
    in_six, in_twelve = months_after(today, 6), months_after(today, 12)
    renewed = Award.objects.filter(
        school=OuterRef("school"),
        tier=OuterRef("tier"),
        withdrawn_at=None,
        expires_on__gt=OuterRef("expires_on"),
    )
    counts = {
        row["tier"]: [row["six"], row["twelve"]]
        for row in awards_in_force(today)
        .filter(authority=authority)
        .filter(expires_on__lte=in_twelve)
        .exclude(Exists(renewed))
        .order_by()
        .values("tier")
        .annotate(six=Count("pk", filter=Q(expires_on__lte=in_six)), twelve=Count("pk"))
    }
    columns = ["Within 6 months", "Within 12 months"]
    rows = [(tier.label, counts.get(tier, [0, 0])) for tier in Tier]
    return Figure(
        slug="expiring-awards",
        title="Awards expiring in the next 6 and 12 months",
        about=f"Current awards by tier that expire by {_day(in_six)} and by "
        f"{_day(in_twelve)} (the second includes the first); an award already renewed by a "
        "later one of the same tier is not counted.",
        row_heading="Tier",
        columns=columns,
        rows=rows,
        chart=charts.bars(rows, columns),
        total=_totals(rows),
    )


def _days(duration: timedelta | None) -> int | None:
    return None if duration is None else round(duration.total_seconds() / 86400)


def time_to_decision(authority, today) -> Figure:
    since = years_after(today, -DECISIONS_OVER_YEARS)
    taken = ExpressionWrapper(
        F("recorded_at") - F("cycle__created_at"), output_field=DurationField()
    )
    by_kind = {
        row["cycle__kind"]: row
        for row in Decision.objects.filter(
            cycle__authority=authority, corrects=None, recorded_at__date__gte=since
        )
        .order_by()
        .values("cycle__kind")
        .annotate(cycles=Count("pk"), median=Median(taken), shortest=Min(taken), longest=Max(taken))
    }
    rows, figures = [], []
    for kind, label in Cycle.Kind.choices:
        row = by_kind.get(kind)
        days = {k: _days(row[k]) for k in ("median", "shortest", "longest")} if row else None
        rows.append(
            (label, [row["cycles"] if row else 0, *(days.values() if days else [None] * 3)])
        )
        figures.append((label, days))
    return Figure(
        slug="time-to-decision",
        title="Time from registration to the panel's decision",
        about=f"Cycles the panel decided since {_day(since)}, in days from the school's "
        "registration to the decision (the first one: a correction does not count again).",
        row_heading="Kind of cycle",
        columns=["Cycles decided", "Median (days)", "Shortest (days)", "Longest (days)"],
        rows=rows,
        chart=charts.ranges(figures, unit=" days"),
        chart_kind="ranges",
    )


def _name(full_name, email) -> str:
    return full_name or email


def mentor_workload(authority, today) -> Figure:
    open_cycles = {
        row["mentor"]: row
        for row in Cycle.objects.filter(authority=authority)
        .exclude(state=Cycle.State.DECIDED)
        .order_by()
        .values("mentor", "mentor__full_name", "mentor__email")
        .annotate(cycles=Count("pk"))
    }
    people = {
        user: _name(full_name, email)
        for user, full_name, email in Membership.objects.filter(
            authority=authority, role=Role.MENTOR
        ).values_list("user", "user__full_name", "user__email")
    }
    for user, row in open_cycles.items():
        people.setdefault(user, _name(row["mentor__full_name"], row["mentor__email"]))
    rows = [
        (name, [open_cycles[user]["cycles"] if user in open_cycles else 0])
        for user, name in sorted(people.items(), key=lambda item: item[1].casefold())
    ]
    return Figure(
        slug="mentor-workload",
        title="Mentors' open cycles",
        about="Cycles each mentor is mentoring that the panel has not yet decided; every mentor "
        "of the authority is listed, with none too.",
        row_heading="Mentor",
        columns=["Open cycles"],
        rows=rows,
        chart=charts.bars(rows, ["Open cycles"]),
        total=_totals(rows) if rows else None,
    )


def moderator_workload(authority, today) -> Figure:
    visits = {
        row["moderators"]: row
        for row in Visit.objects.filter(
            cycle__authority=authority,
            cycle__state__in=OPEN_VISIT_STATES,
            moderators__isnull=False,  # a visit whose moderators are not yet (or no longer) named
        )
        .order_by()
        .values("moderators", "moderators__full_name", "moderators__email")
        .annotate(
            planned=Count("pk", filter=Q(date__gt=today)),
            under_way=Count("pk", filter=Q(date__lte=today)),
        )
    }
    people = {
        user: _name(full_name, email)
        for user, full_name, email in Membership.objects.filter(
            authority=authority, role=Role.MODERATOR
        ).values_list("user", "user__full_name", "user__email")
    }
    for user, row in visits.items():
        people.setdefault(user, _name(row["moderators__full_name"], row["moderators__email"]))
    rows = [
        (name, [visits[user]["planned"], visits[user]["under_way"]] if user in visits else [0, 0])
        for user, name in sorted(people.items(), key=lambda item: item[1].casefold())
    ]
    columns = ["Visits planned", "Visited, report not yet signed"]
    return Figure(
        slug="moderator-workload",
        title="Moderators' visits",
        about="Visits each moderator is assigned to: planned for a later date, or made and "
        "waiting for the report (or the annual visit's ratification).",
        row_heading="Moderator",
        columns=columns,
        rows=rows,
        chart=charts.bars(rows, columns),
        total=_totals(rows) if rows else None,
    )


def element_ratings(authority, today) -> Figure:
    framework = FrameworkVersion.objects.filter(authority=authority, is_current=True).first()
    elements = list(framework.elements.all()) if framework else []
    ratings = authority_ratings(framework) if framework else {}
    rows, averages = [], []
    for element in elements:
        found = ratings.get(element.pk)
        label = f"{element.number}. {element.title}"
        average = round(found.average, 1) if found else None
        rows.append(
            (
                label,
                [average, found.schools if found else 0, *(found.counts if found else [0] * 5)],
            )
        )
        averages.append((label, [average]))
    return Figure(
        slug="element-ratings",
        title="How each element is rated across the authority",
        about="The mentors' validated ratings, each school's latest validated self-review on the "
        f"current framework ({framework.name if framework else 'none yet'}): the average from "
        "Not yet started (0) to Embedded (4), and how many schools were rated at each level.",
        row_heading="Element",
        columns=["Average (0 to 4)", "Schools rated"] + [label for _, label in Rating.choices],
        rows=rows,
        chart=charts.bars(averages, ["Average rating"], ticks=list(Rating.choices)),
    )


FIGURES = {
    "schools-by-state": schools_by_state,
    "awards-by-area": awards_by_area,
    "expiring-awards": expiring_awards,
    "time-to-decision": time_to_decision,
    "mentor-workload": mentor_workload,
    "moderator-workload": moderator_workload,
    "element-ratings": element_ratings,
}


def figures(authority, today) -> list[Figure]:
    return [build(authority, today) for build in FIGURES.values()]


# What the figures are counted from: a change to any of these renews the authority's stamp, and
# the page is rendered afresh. People's names are read too, but a person's rename is not followed
# (their sign-ins save them): it shows when the kept page expires.
SOURCES = (
    "schools.School",
    "schools.Area",
    "schools.SchoolImport",  # saved as it is applied: its changes are bulk updates, with no signal
    "assessments.Cycle",
    "assessments.MentorReview",
    "assessments.FrameworkVersion",
    "assessments.Element",
    "awards.Award",
    "moderation.Visit",
    "moderation.Decision",
    "accounts.Membership",
)
KEPT_SECONDS = 10 * 60
# What the admin's dashboard counts (`counts`), kept under a stamp of its own: a step of a cycle,
# which renews the figures, leaves these counts as they are.
COUNTED = ("schools.School", "schools.Area", "schools.SchoolImport", "accounts.Membership")


def _stamp(authority_id) -> str:
    return f"overview:{authority_id}"


def _counts_stamp(authority_id) -> str:
    return f"overview-counts:{authority_id}"


def _authority_id(instance):
    """The authority that owns the row, through the path its scope filters by."""
    *hops, last = scoped_path(type(instance)).split("__")
    for hop in hops:
        instance = getattr(instance, hop)
    return getattr(instance, f"{last}_id")


def source_changed(sender, instance, **kwargs) -> None:
    if isinstance(instance, MentorReview) and instance.cycle.validated_at is None:
        return  # the ratings count validated self-reviews only (an autosave of the mentor's)
    authority_id = _authority_id(instance)
    if instance._meta.label in COUNTED:
        stamps.renew(_stamp(authority_id), _counts_stamp(authority_id))
    else:
        stamps.renew(_stamp(authority_id))


def moderators_changed(sender, instance, action, reverse, **kwargs) -> None:
    """A visit's moderators set (visit.moderators.set(...), as the domain does)."""
    if action.startswith("post_") and not reverse:
        source_changed(sender, instance)


def kept(authority, today, render) -> str:
    """`render()`, the figures drawn, kept until one of SOURCES changes or the day does (awards
    expire and visits fall due by the day): they are read by GROUP BY over every school, cycle
    and award of the authority, and drawn as hundreds of bars."""
    # (The slug too: the page's links carry it, and a rename saves no source.)
    return stamps.kept(
        _stamp(authority.pk), f"{today.isoformat()}:{authority.slug}", render, KEPT_SECONDS
    )


def counts(authority) -> dict:
    """The authority's areas, schools and people (anyone with a role), for its admin's dashboard:
    kept until one of COUNTED changes (each a count over the whole authority, which grows with
    it)."""
    return stamps.kept(
        _counts_stamp(authority.pk),
        "counts",
        lambda: {
            "areas": Area.objects.count(),
            "schools": School.objects.count(),
            "people": Membership.objects.values("user").distinct().count(),
        },
        KEPT_SECONDS,
    )


def figure(authority, slug, today) -> Figure:
    """One figure, for its CSV; KeyError for a name that is none of them."""
    return FIGURES[slug](authority, today)
