"""A school's award history: every cycle, decision and award, newest first, and what it may
apply for next (awards.domain's eligibility, from the same awards). A fixed number of queries,
however long the history."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, prefetch_related_objects
from django.utils import timezone

from awards.domain import eligibilities, history_of
from awards.models import Award

from .models import Cycle


def working_towards(on):
    """A school with no current award is working towards the mark while it has a cycle the panel
    has not yet decided, or once an award of its has lapsed (expired, not withdrawn): as a
    condition on schools, for the published list and the overview alike."""
    undecided = Cycle.objects.filter(school=OuterRef("pk")).exclude(state=Cycle.State.DECIDED)
    lapsed = Award.objects.filter(school=OuterRef("pk"), withdrawn_at=None, expires_on__lt=on)
    return Exists(undecided) | Exists(lapsed)


@dataclass(frozen=True)
class Entry:
    day: date
    what: str  # "cycle", "decision" or "award": which part of the template shows it
    item: object
    status: str = ""  # an award's: current, expired (renewed in time), lapsed or withdrawn


def _award_status(award, standing, today) -> str:
    if award.withdrawn_at:
        return "withdrawn"
    if award.expires_on >= today:
        return "current" if award.awarded_on <= today else "upcoming"
    renewed = any(
        other.pk != award.pk
        and other.awarded_on <= award.expires_on + timedelta(days=1)
        and other.expires_on > award.expires_on
        for other in standing
    )
    return "expired" if renewed else "lapsed"


def _standing(awards) -> list:
    """Of a school's awards, those `_award_status` judges an award against: not withdrawn."""
    return [award for award in awards if award.withdrawn_at is None]


def read_standing(awards) -> None:
    """Each award's `standing` (`_standing` of its school's awards) for a list of awards, in one
    query (a prefetch built a queryset for every school). Each is a row of what `_standing` and
    `_award_status` read, not an Award."""
    by_school = defaultdict(list)
    for other in Award.objects.filter(school__in={award.school_id for award in awards}).values_list(
        "pk", "school_id", "awarded_on", "expires_on", "withdrawn_at", named=True
    ):
        by_school[other.school_id].append(other)
    for award in awards:
        award.standing = _standing(by_school[award.school_id])


def with_cycles(schools):
    """The schools, each with its cycles and their decisions: what the school's page reads
    (schools.access.PAGE_READS) for its history and its research."""
    return schools.prefetch_related("cycles__decisions")


def school_history(school, on=None) -> dict:
    """{"entries": the timeline, newest first; "eligibility": each tier's Eligibility}."""
    today = on or timezone.localdate()
    history = history_of(school)
    cycles = sorted(school.cycles.all(), key=lambda cycle: cycle.created_at)
    prefetch_related_objects(cycles, "decisions")  # unless the page read them with the school
    entries = []
    # On one day: the registration, then the decision, then the award it made (shown the other
    # way round, newest first).
    order = {"cycle": 0, "decision": 1, "award": 2}
    for cycle in cycles:
        decisions = list(cycle.decisions.all())  # the original first, then its corrections
        cycle.decided_on = timezone.localdate(decisions[0].recorded_at) if decisions else None
        entries.append(Entry(timezone.localdate(cycle.created_at), "cycle", cycle))
        by_pk = {decision.pk: decision for decision in decisions}
        for decision in decisions:
            decision.corrected = by_pk.get(decision.corrects_id)
            entries.append(Entry(timezone.localdate(decision.recorded_at), "decision", decision))
    standing = _standing(history.awards)
    for award in history.awards:
        entries.append(
            Entry(award.awarded_on, "award", award, _award_status(award, standing, today))
        )
    entries.sort(key=lambda e: (e.day, order[e.what], e.item.pk), reverse=True)
    return {"entries": entries, "eligibility": eligibilities(school, today, history)}
