"""Eligibility (awards.domain.eligibility): every rule of every tier and its boundaries, read
from the school's history on a given day."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from awards.domain import eligibility, history_of, years_after
from awards.models import Award, Tier
from clusters.models import Partner

from .factories import PartnerFactory, SchoolFactory, give_partners

DAY = timedelta(days=1)
START = date(2024, 3, 3)  # the first Centre of Excellence
THREE_YEARS = date(2027, 3, 3)
LASTS = {Tier.QUALITY_MARK: 3, Tier.CENTRE_OF_EXCELLENCE: 1, Tier.FLAGSHIP: 1}


def award(school, tier, awarded_on, expires_on=None, withdrawn=False):
    with scopes_disabled():
        return Award.objects.create(
            authority=school.authority,
            school=school,
            tier=tier,
            awarded_on=awarded_on,
            expires_on=expires_on or years_after(awarded_on, LASTS[tier]),
            withdrawn_at=timezone.now() if withdrawn else None,
        )


def rules_of(world, tier, on, school=None):
    with scope(authority=world.authority):
        found = eligibility(school or world.school, tier, on)
    return [(rule.text, rule.holds, rule.failing) for rule in found.rules], found


def two_assessments(school):
    award(school, Tier.QUALITY_MARK, date(2018, 3, 3))
    award(school, Tier.QUALITY_MARK, date(2021, 3, 3))


def excellence_each_year(school, start=START, years=3):
    """Centre of Excellence renewed on each expiry day, without a break."""
    for year in range(years):
        award(school, Tier.CENTRE_OF_EXCELLENCE, years_after(start, year))


# Quality Mark


def test_the_quality_mark_is_open_to_every_school(world):
    rules, found = rules_of(world, Tier.QUALITY_MARK, START)
    assert (rules, found.eligible, found.eligible_from, found.reason) == ([], True, START, "")


# Centre of Excellence

CURRENT = "a current Inclusion Quality Mark (or a higher award)"
CLUSTER = "a cluster of at least 2 partner schools"


def test_centre_of_excellence_with_nothing_fails_both_rules(world):
    rules, found = rules_of(world, Tier.CENTRE_OF_EXCELLENCE, START)
    assert rules == [
        (CURRENT, False, "The school holds no award."),
        (CLUSTER, False, "The school has no partner schools yet."),
    ]
    assert (found.eligible, found.eligible_from) == (False, None)
    assert found.reason == (
        f"Centre of Excellence needs {CURRENT}. The school holds no award. "
        f"Centre of Excellence needs {CLUSTER}. The school has no partner schools yet."
    )


@pytest.mark.parametrize(
    "partners, holds, failing",
    [
        (1, False, "The school’s cluster has 1 partner school."),
        (2, True, ""),
        (3, True, ""),
    ],
)
def test_centre_of_excellence_needs_two_partner_schools(world, partners, holds, failing):
    award(world.school, Tier.QUALITY_MARK, START)
    give_partners(world.school, *SchoolFactory.create_batch(partners, authority=world.authority))
    rules, found = rules_of(world, Tier.CENTRE_OF_EXCELLENCE, START)
    assert rules == [(CURRENT, True, ""), (CLUSTER, holds, failing)]
    assert (found.eligible, found.eligible_from) == (holds, START if holds else None)


def test_a_partner_of_another_authority_or_outside_the_portal_counts_and_a_removed_one_does_not(
    world,
):
    award(world.school, Tier.QUALITY_MARK, START)
    cluster = give_partners(world.school, world.outsider_school)
    assert rules_of(world, Tier.CENTRE_OF_EXCELLENCE, START)[1].eligible is False
    outside = PartnerFactory(cluster=cluster, school=None, name="Longfields Primary School")
    assert rules_of(world, Tier.CENTRE_OF_EXCELLENCE, START)[1].eligible is True
    with scopes_disabled():
        Partner.objects.filter(pk=outside.pk).update(removed_at=timezone.now())
    assert rules_of(world, Tier.CENTRE_OF_EXCELLENCE, START)[0][1] == (
        CLUSTER,
        False,
        "The school’s cluster has 1 partner school.",
    )


@pytest.mark.parametrize(
    "on, holds",
    [(date(2027, 3, 3), True), (date(2027, 3, 4), False)],
    ids=["on its expiry day", "the day after"],
)
def test_an_expired_quality_mark_blocks_centre_of_excellence(world, on, holds):
    award(world.school, Tier.QUALITY_MARK, START)  # expires 3 March 2027
    give_partners(world.school, world.other_school, world.outsider_school)
    rules, _ = rules_of(world, Tier.CENTRE_OF_EXCELLENCE, on)
    failing = "" if holds else "The school’s last award expired on 3 March 2027."
    assert rules[0] == (CURRENT, holds, failing)


@pytest.mark.parametrize("tier", [Tier.CENTRE_OF_EXCELLENCE, Tier.FLAGSHIP])
def test_a_current_higher_award_counts_as_holding_the_quality_mark(world, tier):
    award(world.school, Tier.QUALITY_MARK, date(2020, 3, 3))  # expired in 2023
    award(world.school, tier, START)
    assert rules_of(world, Tier.CENTRE_OF_EXCELLENCE, START + DAY)[0][0] == (CURRENT, True, "")


def test_a_withdrawn_quality_mark_does_not_count(world):
    award(world.school, Tier.QUALITY_MARK, START, withdrawn=True)
    assert rules_of(world, Tier.CENTRE_OF_EXCELLENCE, START)[0][0] == (
        CURRENT,
        False,
        "The school holds no award.",
    )


def test_an_award_not_yet_made_on_the_day_does_not_count(world):
    award(world.school, Tier.QUALITY_MARK, START)
    assert rules_of(world, Tier.CENTRE_OF_EXCELLENCE, START - DAY)[0][0][1] is False


# Flagship

HELD = "Centre of Excellence held without a break for at least 3 years"
ASSESSED = "at least 2 successful IQM assessments"


def test_two_years_and_364_days_is_not_three_years(world):
    two_assessments(world.school)
    excellence_each_year(world.school)
    rules, found = rules_of(world, Tier.FLAGSHIP, THREE_YEARS - DAY)
    assert rules == [
        (HELD, False, "The school has held it since 3 March 2024: three years on 3 March 2027."),
        (ASSESSED, True, ""),
    ]
    assert (found.eligible, found.eligible_from) == (False, THREE_YEARS)


def test_exactly_three_years_is(world):
    two_assessments(world.school)
    excellence_each_year(world.school, years=4)
    rules, found = rules_of(world, Tier.FLAGSHIP, THREE_YEARS)
    assert rules == [(HELD, True, ""), (ASSESSED, True, "")]
    assert (found.eligible, found.eligible_from) == (True, THREE_YEARS)


def test_a_renewal_the_day_after_expiry_continues_the_run(world):
    two_assessments(world.school)
    award(world.school, Tier.CENTRE_OF_EXCELLENCE, START)  # expires 3 March 2025
    award(world.school, Tier.CENTRE_OF_EXCELLENCE, date(2025, 3, 4), date(2026, 3, 4))
    award(world.school, Tier.FLAGSHIP, date(2026, 3, 5), date(2027, 3, 5))  # Flagship counts
    assert rules_of(world, Tier.FLAGSHIP, THREE_YEARS)[0][0] == (HELD, True, "")


def test_a_lapse_resets_continuity(world):
    two_assessments(world.school)
    award(world.school, Tier.CENTRE_OF_EXCELLENCE, START)  # expires 3 March 2025
    # Renewed two days after it expired: a day without it.
    award(world.school, Tier.CENTRE_OF_EXCELLENCE, date(2025, 3, 5))
    award(world.school, Tier.CENTRE_OF_EXCELLENCE, date(2026, 3, 5))
    rules, found = rules_of(world, Tier.FLAGSHIP, THREE_YEARS)
    assert rules[0] == (
        HELD,
        False,
        "The school has held it since 5 March 2025: three years on 5 March 2028.",
    )
    assert found.eligible_from == date(2028, 3, 5)


def test_a_withdrawn_award_breaks_the_run(world):
    two_assessments(world.school)
    award(world.school, Tier.CENTRE_OF_EXCELLENCE, START)
    award(world.school, Tier.CENTRE_OF_EXCELLENCE, date(2025, 3, 3), withdrawn=True)
    award(world.school, Tier.CENTRE_OF_EXCELLENCE, date(2026, 3, 3))
    rules, _ = rules_of(world, Tier.FLAGSHIP, THREE_YEARS)
    assert rules[0][2] == "The school has held it since 3 March 2026: three years on 3 March 2029."


def test_centre_of_excellence_no_longer_held_on_the_day(world):
    two_assessments(world.school)
    excellence_each_year(world.school)  # the last expires 3 March 2027
    rules, found = rules_of(world, Tier.FLAGSHIP, THREE_YEARS + DAY)
    assert rules[0] == (HELD, False, "The school does not hold Centre of Excellence.")
    assert found.eligible_from is None


@pytest.mark.parametrize(
    "quality_marks, withdrawn, holds, failing",
    [
        (1, 0, False, "The school has had 1."),
        (2, 1, False, "The school has had 1."),
        (2, 0, True, ""),
    ],
)
def test_flagship_needs_two_successful_assessments(world, quality_marks, withdrawn, holds, failing):
    for n in range(quality_marks):
        award(world.school, Tier.QUALITY_MARK, date(2018 + 3 * n, 3, 3), withdrawn=n < withdrawn)
    excellence_each_year(world.school, years=4)
    rules, found = rules_of(world, Tier.FLAGSHIP, THREE_YEARS)
    assert rules == [(HELD, True, ""), (ASSESSED, holds, failing)]
    assert found.eligible is holds


def test_no_date_is_promised_while_a_rule_without_one_fails(world):
    award(world.school, Tier.QUALITY_MARK, date(2021, 3, 3))
    excellence_each_year(world.school)
    _, found = rules_of(world, Tier.FLAGSHIP, THREE_YEARS - DAY)
    assert (found.eligible, found.eligible_from) == (False, None)
    assert found.reason == (
        f"Flagship needs {HELD}. The school has held it since 3 March 2024: three years on "
        f"3 March 2027. Flagship needs {ASSESSED}. The school has had 1."
    )


def test_the_history_is_read_in_two_queries(world, django_assert_num_queries):
    two_assessments(world.school)
    excellence_each_year(world.school)
    with scope(authority=world.authority):
        with django_assert_num_queries(2):
            history = history_of(world.school)
        with django_assert_num_queries(0):
            found = [eligibility(world.school, tier, THREE_YEARS, history) for tier in Tier]
    assert [f.eligible for f in found] == [True, False, True]


# Registration offers only the kinds the school is eligible for, and refuses the others


def test_the_register_form_offers_only_eligible_kinds_and_says_why_not_the_others(
    admin_client, world
):
    from django.urls import reverse

    from assessments.models import Cycle

    with scope(authority=world.authority):
        Cycle.objects.filter(pk=world.cycle.pk).update(state=Cycle.State.DECIDED)
    award(world.school, Tier.QUALITY_MARK, timezone.localdate())
    give_partners(world.school, world.other_school)
    url = reverse("assessments:cycle_start", args=["bathnes"])
    kind = admin_client.get(url, {"school": world.school.urn}).context["form"]["kind"]
    assert [value for value, _ in kind.field.choices] == ["initial", "reassessment"]
    assert kind.help_text == (
        "Not offered to this school. Centre of Excellence review: Centre of Excellence needs "
        f"{CLUSTER}. The school’s cluster has 1 partner school. Flagship review: Flagship needs "
        f"{HELD}. The school does not hold Centre of Excellence. Flagship needs {ASSESSED}. The "
        "school has had 1."
    )
    response = admin_client.post(
        url,
        {
            "school": world.school.urn,
            "kind": "centre_of_excellence",
            "mentor": world.people["mentor"].pk,
        },
    )
    assert response.context["form"].errors == {
        "kind": ["Chandag Infant cannot be registered for this kind now."]
    }
    give_partners(world.school, world.outsider_school)
    kind = admin_client.get(url, {"school": world.school.urn}).context["form"]["kind"]
    assert [value for value, _ in kind.field.choices] == [
        "initial",
        "reassessment",
        "centre_of_excellence",
    ]
    with scope(authority=world.authority):
        assert Cycle.objects.filter(school=world.school).count() == 1


def test_without_a_school_chosen_every_kind_is_offered(admin_client, world):
    from django.urls import reverse

    from assessments.models import Cycle

    with scope(authority=world.authority):
        Cycle.objects.filter(pk=world.cycle.pk).update(state=Cycle.State.DECIDED)
    url = reverse("assessments:cycle_start", args=["bathnes"])
    kind = admin_client.get(url).context["form"]["kind"]
    assert [value for value, _ in kind.field.choices] == [k.value for k in Cycle.Kind]
