"""How each element is rated across the authority: the mentors' validated ratings, one self-review
per school (its latest validated one on the framework version), averaged and counted in one query.

The authority's overview shows them all; a cycle's chart shows the average beside the school's own
ratings, as peers show a national average, but only for an element that at least `SHOWN_FROM`
schools were rated on: with fewer, the average would tell a school another school's ratings.
"""

from dataclasses import dataclass

from django.db.models import Avg, Count, Exists, OuterRef, Q

from authorities import stamps

from .models import Cycle, MentorReview, Rating

SHOWN_FROM = 3  # schools rated on an element before its average is shown to a school
# Every cycle's page shows them, counted over every school of the authority: they are kept until
# one of the framework's cycles or their mentors' reviews is saved (a validation, a rating changed).
KEPT_SECONDS = 60 * 60


@dataclass(frozen=True)
class ElementRatings:
    average: float
    schools: int
    counts: tuple[int, ...]  # how many schools were rated at each level, Not yet started first


def _stamp(framework_id) -> str:
    return f"ratings:{framework_id}"


def sources_changed(sender, instance, **kwargs) -> None:
    """A cycle or a mentor's review saved or deleted: only a validated self-review is counted (a
    mentor reviews before validating, and a validated cycle is never unvalidated)."""
    cycle = instance if isinstance(instance, Cycle) else instance.cycle
    if cycle.validated_at is not None:
        stamps.renew(_stamp(cycle.framework_id))


def authority_ratings(framework) -> dict[int, ElementRatings]:
    """Element id to its ratings across the authority, for the elements that have any (the
    framework version, or its id)."""
    framework_id = getattr(framework, "pk", framework)
    return stamps.kept(_stamp(framework_id), "", lambda: _counted(framework), KEPT_SECONDS)


def _counted(framework) -> dict[int, ElementRatings]:
    later = Cycle.objects.filter(
        school=OuterRef("cycle__school"),
        framework=framework,
        validated_at__gt=OuterRef("cycle__validated_at"),
    )
    rows = (
        MentorReview.objects.filter(element__framework=framework, cycle__validated_at__isnull=False)
        .exclude(Exists(later))
        .values("element")
        .annotate(
            average=Avg("rating"),
            schools=Count("pk"),
            **{f"n{level}": Count("pk", filter=Q(rating=level)) for level in Rating.values},
        )
        .order_by()
    )
    return {
        row["element"]: ElementRatings(
            average=float(row["average"]),
            schools=row["schools"],
            counts=tuple(row[f"n{level}"] for level in Rating.values),
        )
        for row in rows
    }


def shown_averages(framework) -> dict[int, float]:
    """Element id to the authority's average, where enough schools were rated to show it."""
    return {
        element: ratings.average
        for element, ratings in authority_ratings(framework).items()
        if ratings.schools >= SHOWN_FROM
    }
