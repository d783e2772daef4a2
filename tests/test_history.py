"""A school's award history and eligibility on its page (assessments.history)."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from assessments.history import school_history
from assessments.models import Cycle
from awards.domain import years_after
from awards.models import Award, Tier
from moderation.models import Decision, Outcome

from .factories import give_partners

TODAY = date(2026, 12, 3)


def at(day):
    return timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=10))


def assessed(world, kind, registered, decided, tier, lasts=3):
    """A cycle registered and decided on those days, with its award."""
    with scopes_disabled():
        cycle = Cycle.objects.create(
            authority=world.authority,
            school=world.school,
            kind=kind,
            framework=world.cycle.framework,
            mentor=world.people["mentor"],
            state=Cycle.State.DECIDED,
        )
        Cycle.objects.filter(pk=cycle.pk).update(created_at=at(registered))
        decision = Decision.objects.create(
            cycle=cycle,
            outcome=Outcome.AWARD,
            tier=tier,
            rationale="Clear.",
            votes={},
            recorded_by=world.people["panel_chair"],
        )
        Decision.objects.filter(pk=decision.pk).update(recorded_at=at(decided))
        award = Award.objects.create(
            authority=world.authority,
            school=world.school,
            tier=tier,
            awarded_on=decided,
            expires_on=years_after(decided, lasts),
            decision=decision,
        )
    return cycle, decision, award


def years_of_excellence(world, years):
    """The Quality Mark, then Centre of Excellence renewed each year for `years` years."""
    start = date(2026, 3, 3)
    assessed(world, "initial", date(2019, 1, 10), date(2019, 6, 1), Tier.QUALITY_MARK)
    for year in range(years):
        awarded = years_after(start, year - years + 1)
        assessed(
            world,
            "centre_of_excellence",
            awarded - timedelta(days=90),
            awarded,
            Tier.CENTRE_OF_EXCELLENCE,
            1,
        )


@pytest.mark.parametrize("years", [1, 3, 50])
def test_the_school_pages_queries_do_not_grow_with_its_history(
    client, world, django_assert_num_queries, years
):
    years_of_excellence(world, years)
    give_partners(world.school, world.other_school, world.outsider_school)
    client.force_login(world.people["school_coordinator"])
    page = reverse("schools:detail", args=["bathnes", world.school.pk])
    with time_machine.travel(at(TODAY), tick=False):
        # session, user, memberships with their authorities (the page's too); the school with its
        # cluster and the cluster's partner count, its cycles, their decisions and its awards (read
        # once for the current award, the cluster, the history and the research:
        # schools.access.PAGE_READS); the clusters it is a partner in, the workshops it attended,
        # its research project
        with django_assert_num_queries(10):
            response = client.get(page)
    text = " ".join(response.content.decode().split())
    assert text.count("Centre of Excellence awarded") == years
    # Each award, decision and cycle, and the world's own cycle.
    assert text.count("<tr> <td>") == 3 * (years + 1) + 1
    award = "<strong>Centre of Excellence</strong>, awarded 3 March 2026, expires 3 March 2027"
    assert award in text
    assert "Chandag Infant cluster</a>, with 2 partner schools." in text
    assert "<li>A cluster of at least 2 partner schools: met</li>" in text
    assert "Start the school's research project</a>" in text


@time_machine.travel(at(TODAY), tick=False)
def test_the_history_is_every_cycle_decision_and_award_newest_first(world):
    _, _, first = assessed(world, "initial", date(2020, 1, 6), date(2020, 7, 1), Tier.QUALITY_MARK)
    cycle, decision, award = assessed(
        world, "reassessment", date(2023, 1, 9), date(2023, 7, 3), Tier.QUALITY_MARK
    )
    with scopes_disabled():
        correction = Decision.objects.create(
            cycle=cycle,
            outcome=Outcome.DEFER,
            rationale="Evidence missing.",
            votes={},
            recorded_by=world.people["panel_chair"],
            corrects=decision,
            correction_reason="A page of the report was lost.",
        )
        Decision.objects.filter(pk=correction.pk).update(recorded_at=at(date(2023, 8, 1)))
        Award.objects.filter(pk=award.pk).update(withdrawn_at=at(date(2023, 8, 1)))
        Cycle.objects.filter(pk=world.cycle.pk).update(created_at=at(date(2026, 11, 2)))
    with scope(authority=world.authority):
        entries = school_history(world.school)["entries"]
    assert [(e.day, e.what, e.item.pk, e.status) for e in entries] == [
        (date(2026, 11, 2), "cycle", world.cycle.pk, ""),
        (date(2023, 8, 1), "decision", correction.pk, ""),
        (date(2023, 7, 3), "award", award.pk, "withdrawn"),
        (date(2023, 7, 3), "decision", decision.pk, ""),
        (date(2023, 1, 9), "cycle", cycle.pk, ""),
        (date(2020, 7, 1), "award", first.pk, "lapsed"),
        (date(2020, 7, 1), "decision", first.decision_id, ""),
        (date(2020, 1, 6), "cycle", first.decision.cycle_id, ""),
    ]
    assert entries[1].item.corrected == decision
    assert entries[4].item.decided_on == date(2023, 7, 3)


def test_the_school_and_its_authority_see_when_it_may_apply(client, world):
    """Two Quality Marks and Centre of Excellence since 3 March 2024: Flagship from 3 March
    2027; Centre of Excellence needs a partner school more."""
    assessed(world, "initial", date(2017, 9, 1), date(2018, 3, 3), Tier.QUALITY_MARK)
    assessed(world, "reassessment", date(2020, 9, 1), date(2021, 3, 3), Tier.QUALITY_MARK)
    for year in (2024, 2025, 2026):
        awarded = date(year, 3, 3)
        assessed(
            world,
            "centre_of_excellence",
            awarded - timedelta(days=60),
            awarded,
            Tier.CENTRE_OF_EXCELLENCE,
            1,
        )
    give_partners(world.school, world.other_school)
    page = reverse("schools:detail", args=["bathnes", world.school.pk])
    for person in ("head_teacher", "authority_admin"):
        client.force_login(world.people[person])
        with time_machine.travel(at(TODAY), tick=False):
            text = " ".join(client.get(page).content.decode().split())
        assert "<dt>Inclusion Quality Mark</dt><dd> <strong>Eligible now</strong>" in text
        assert (
            '<dt>Centre of Excellence</dt><dd> <strong>Not yet eligible</strong> <ul class="list"> '
            "<li>A current Inclusion Quality Mark (or a higher award): met</li> "
            "<li>A cluster of at least 2 partner schools: <strong>not met</strong>. The school’s "
            "cluster has 1 partner school.</li> </ul>"
        ) in text
        assert ("<dt>Flagship</dt><dd> <strong>Eligible from 3 March 2027</strong>") in text
        assert "The school has held it since 3 March 2024: three years on 3 March 2027." in text


def test_the_school_page_shows_the_highest_current_award_not_the_newest(admin_client, world):
    """A Centre of Excellence school reassessed for its Quality Mark shows its Centre of
    Excellence, as the published list does."""
    today = timezone.localdate()
    with scope(authority=world.authority):
        for tier, days in [(Tier.CENTRE_OF_EXCELLENCE, 200), (Tier.QUALITY_MARK, 10)]:
            Award.objects.create(
                authority=world.authority,
                school=world.school,
                tier=tier,
                awarded_on=today - timedelta(days=days),
                expires_on=today + timedelta(days=100),
            )
    page = admin_client.get(reverse("schools:detail", args=["bathnes", world.school.pk]))
    assert page.content.decode().count("<strong>Centre of Excellence</strong>, awarded") == 1
