"""The annual review of a Centre of Excellence or Flagship school: the school's update, the annual
visit with one moderator, its ratification and development plan, and the panel's renewal or lapse.
Every step through its domain function; a refusal changes nothing."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from assessments import workflow
from assessments.models import Cycle
from audit.models import AuditEntry
from awards.domain import years_after
from awards.models import Award, Tier
from clusters.models import Activity, Partner
from moderation import domain as moderation
from moderation.models import Outcome, Report
from notifications.models import OutboxMessage
from reviews import domain
from reviews.models import Priority, Ratification

from .journey import TOMORROW, advance, make_review, update_data, write_ratification, write_update

State = Cycle.State
Kind = Cycle.Kind


def _told(key):
    with scopes_disabled():
        return sorted(OutboxMessage.objects.filter(key=key).values_list("to", flat=True))


def _save(world, cycle, number, version, by=None, **data):
    element = cycle.framework.elements.get(number=number)
    return domain.save_update(
        cycle=cycle,
        element=element,
        by=by or world.people["school_coordinator"],
        version=version,
        data={**update_data(element), **data},
    )


def test_the_school_writes_its_update_and_progress_is_honest(world):
    cycle = make_review(world, Kind.CENTRE_OF_EXCELLENCE)
    with scope(authority=world.authority):
        _save(world, cycle, 1, 0)
        _save(world, cycle, 2, 0, plans="")
        cycle.refresh_from_db()
        assert cycle.state == State.ANNUAL_UPDATE
        statuses = [r["status"] for r in domain.update_rows(cycle)]
        assert statuses == ["complete", "in_progress"] + ["not_started"] * 8
        assert AuditEntry.objects.filter(action="cycle.annual_update_started").count() == 1


def test_two_editors_are_told_not_overwritten(world):
    cycle = make_review(world, Kind.CENTRE_OF_EXCELLENCE)
    with scope(authority=world.authority):
        _save(world, cycle, 1, 0, progress="The head's words.")
        with pytest.raises(domain.StaleUpdate) as stale:
            _save(world, cycle, 1, 0, by=world.people["head_teacher"], progress="Another's.")
        assert stale.value.current.progress == "The head's words."
        assert cycle.updates.get().progress == "The head's words."


def test_only_the_leads_write_and_not_once_submitted(world):
    cycle = advance(world, State.UPDATE_SUBMITTED, Kind.CENTRE_OF_EXCELLENCE)
    with scope(authority=world.authority):
        versions = sorted(cycle.updates.values_list("version", flat=True))
        with pytest.raises(workflow.TransitionError, match="annual update submitted"):
            _save(world, cycle, 1, 1)
        assert sorted(cycle.updates.values_list("version", flat=True)) == versions


def test_a_contributor_cannot_write_the_update(world):
    cycle = make_review(world, Kind.CENTRE_OF_EXCELLENCE)
    with scope(authority=world.authority):
        with pytest.raises(PermissionDenied):
            _save(world, cycle, 1, 0, by=world.people["school_contributor"])
        assert cycle.updates.count() == 0


def test_submitting_needs_every_element_and_tells_the_mentor_and_the_desk(world):
    cycle = make_review(world, Kind.CENTRE_OF_EXCELLENCE)
    head = world.people["head_teacher"]
    with scope(authority=world.authority):
        _save(world, cycle, 1, 0)
        with pytest.raises(workflow.TransitionError, match="elements 2, 3, 4, 5, 6, 7, 8, 9, 10"):
            domain.submit_update(cycle=cycle, by=head)
        cycle.refresh_from_db()
        assert cycle.state == State.ANNUAL_UPDATE
        write_update(world, cycle)
        domain.submit_update(cycle=cycle, by=head)
        cycle.refresh_from_db()
    assert cycle.state == State.UPDATE_SUBMITTED
    assert _told("update.submitted") == [
        "authority_admin@bathnes.test",
        "mentor@bathnes.test",
        "panel_chair@bathnes.test",
    ]


@pytest.mark.parametrize(
    "chosen, error",
    [
        ([], "Choose one moderator"),
        (["moderator", "moderator2", "other_moderator"], "Choose one moderator"),
        (["mentor"], "not a moderator"),
    ],
)
def test_the_annual_visit_has_one_or_two_moderators(world, chosen, error):
    cycle = advance(world, State.UPDATE_SUBMITTED, Kind.CENTRE_OF_EXCELLENCE)
    people = {**world.people, **world.others}
    with scope(authority=world.authority):
        with pytest.raises(ValidationError, match=error):
            moderation.plan_visit(
                cycle=cycle,
                by=world.people["panel_chair"],
                moderators=[people[p] for p in chosen],
                visit_date=TOMORROW,
            )
        cycle.refresh_from_db()
        assert cycle.state == State.UPDATE_SUBMITTED
        assert not hasattr(cycle, "visit")


def test_one_moderator_plans_and_tells_the_school_and_the_moderator(world):
    cycle = advance(world, State.VISIT_PLANNED, Kind.CENTRE_OF_EXCELLENCE)
    with scope(authority=world.authority):
        assert [m.email for m in cycle.visit.moderators.all()] == ["moderator@bathnes.test"]
        assert not Report.objects.filter(cycle=cycle).exists()  # a review has a ratification
    assert _told("annual_visit.planned") == [
        "head_teacher@bathnes.test",
        "moderator@bathnes.test",
        "school_coordinator@bathnes.test",
    ]


def _two_moderator_visit(world):
    cycle = advance(world, State.UPDATE_SUBMITTED, Kind.CENTRE_OF_EXCELLENCE)
    people = world.people
    moderation.plan_visit(
        cycle=cycle,
        by=people["authority_admin"],
        moderators=[people["moderator"], people["moderator2"]],
        visit_date=TOMORROW,
    )
    write_ratification(cycle, people["moderator"])
    return cycle


def test_with_two_moderators_both_sign_and_a_change_needs_both_again(world):
    with scope(authority=world.authority):
        cycle = _two_moderator_visit(world)
        domain.ratify(cycle=cycle, by=world.people["moderator"])
        cycle.refresh_from_db()
        assert cycle.state == State.VISIT_PLANNED
        ratification = Ratification.objects.get(cycle=cycle)
        domain.save_ratification(
            cycle=cycle,
            by=world.people["moderator2"],
            version=ratification.version,
            summary="A strong year, with more to share.",
            recommendation="renew",
            progress={},
        )
        assert list(ratification.signed_by.all()) == []
        domain.ratify(cycle=cycle, by=world.people["moderator"])
        domain.ratify(cycle=cycle, by=world.people["moderator2"])
        cycle.refresh_from_db()
        assert cycle.state == State.RATIFIED
        assert Ratification.objects.get(cycle=cycle).ratified_at is not None
    assert _told("review.ratified") == ["authority_admin@bathnes.test", "panel_chair@bathnes.test"]


def test_a_stale_ratification_is_refused(world):
    with scope(authority=world.authority):
        cycle = _two_moderator_visit(world)
        with pytest.raises(workflow.TransitionError, match="co-moderator saved"):
            domain.save_ratification(
                cycle=cycle,
                by=world.people["moderator2"],
                version=0,
                summary="Overwritten?",
                recommendation="lapse",
                progress={},
            )
        assert Ratification.objects.get(cycle=cycle).summary == "A strong year."


def test_ratifying_needs_every_element_a_summary_a_priority_and_a_recommendation(world):
    cycle = advance(world, State.UPDATE_SUBMITTED, Kind.CENTRE_OF_EXCELLENCE)
    moderator = world.people["moderator"]
    with scope(authority=world.authority):
        moderation.plan_visit(
            cycle=cycle, by=world.people["panel_chair"], moderators=[moderator], visit_date=TOMORROW
        )
        domain.save_ratification(
            cycle=cycle,
            by=moderator,
            version=0,
            summary="A strong year.",
            recommendation="renew",
            progress={e.pk: ("ratified", "") for e in cycle.framework.elements.all()},
        )
        entries = AuditEntry.objects.count()
        with pytest.raises(workflow.TransitionError, match="agree at least one priority"):
            domain.ratify(cycle=cycle, by=moderator)
        cycle.refresh_from_db()
        assert cycle.state == State.VISIT_PLANNED
        assert list(Ratification.objects.get(cycle=cycle).signed_by.all()) == []
        assert AuditEntry.objects.count() == entries


def test_a_priority_is_due_in_the_future_and_of_the_framework(world):
    cycle = advance(world, State.VISIT_PLANNED, Kind.CENTRE_OF_EXCELLENCE)
    moderator = world.people["moderator"]
    with scope(authority=world.authority):
        element = cycle.framework.elements.get(number=2)
        with pytest.raises(ValidationError, match="cannot be in the past"):
            domain.add_priority(
                cycle=cycle,
                by=moderator,
                element=element,
                action="Act",
                lead="Lee",
                by_when=timezone.localdate() - timedelta(days=1),
            )
        with pytest.raises(PermissionDenied):
            domain.add_priority(
                cycle=cycle,
                by=world.people["school_coordinator"],
                element=element,
                action="Act",
                lead="Lee",
                by_when=TOMORROW,
            )
        assert Priority.objects.filter(ratification__cycle=cycle).count() == 1
        priority = domain.add_priority(
            cycle=cycle, by=moderator, element=element, action="Act", lead="Lee", by_when=TOMORROW
        )
        domain.remove_priority(cycle=cycle, by=moderator, priority=priority)
        assert Priority.objects.filter(ratification__cycle=cycle).count() == 1


def test_the_ratification_is_private_to_the_visit_until_ratified(world):
    cycle = advance(world, State.VISIT_PLANNED, Kind.CENTRE_OF_EXCELLENCE)
    people = world.people
    may_see = workflow.may_see_ratification

    def seeing(cycle):
        cycle = Cycle.objects.get(pk=cycle.pk)
        return sorted(who for who, person in people.items() if may_see.test(person, cycle))

    with scope(authority=world.authority):
        assert seeing(cycle) == ["authority_admin", "moderator"]
        domain.ratify(cycle=cycle, by=people["moderator"])
        assert seeing(cycle) == sorted(
            {"authority_admin", "moderator", "mentor", "panel_chair", "panel_member"}
            | {"panel2", "panel3", "panel4"}
            | {"school_coordinator", "head_teacher", "school_contributor"}
        )


def test_the_panel_renews_the_tier_for_another_year(world):
    cycle = advance(world, State.WITH_PANEL, Kind.CENTRE_OF_EXCELLENCE)
    with scope(authority=world.authority):
        decision = moderation.record_decision(
            cycle=cycle, by=world.people["panel_chair"], rationale="Progress ratified."
        )
        award = Award.objects.get(decision=decision)
        today = timezone.localdate()
        assert (award.tier, award.awarded_on, award.expires_on) == (
            Tier.CENTRE_OF_EXCELLENCE,
            today,
            years_after(today, world.authority.centre_of_excellence_years),
        )
        assert decision.votes == {"renew": 3}


def test_a_lapse_makes_no_award_and_the_current_one_runs_to_its_expiry(world):
    cycle = advance(world, State.RATIFIED, Kind.FLAGSHIP)
    people = world.people
    with scope(authority=world.authority):
        current = list(Award.objects.values_list("pk", "expires_on", "withdrawn_at"))
        moderation.open_vote(cycle=cycle, by=people["panel_chair"])
        for member in ("panel2", "panel3", "panel4"):
            moderation.cast_ballot(cycle=cycle, by=people[member], outcome=Outcome.NOT_AWARD)
        decision = moderation.record_decision(
            cycle=cycle, by=people["panel_chair"], rationale="No research this year."
        )
        assert decision.votes == {"lapse": 3}
        assert list(Award.objects.values_list("pk", "expires_on", "withdrawn_at")) == current
        cycle.refresh_from_db()
        assert cycle.state == State.DECIDED
    with scopes_disabled():
        told = OutboxMessage.objects.get(key="decision.recorded", to="head_teacher@bathnes.test")
    assert told.body.startswith("Hello,\n\nThe moderation panel has decided: lapse.")


@pytest.mark.parametrize(
    "outcome, tier, error",
    [
        (Outcome.DEFER, "", "renewed or lapses"),
        (Outcome.AWARD, Tier.QUALITY_MARK, "can renew only the Centre of Excellence"),
    ],
)
def test_a_review_vote_is_renew_or_lapse(world, outcome, tier, error):
    cycle = advance(world, State.RATIFIED, Kind.CENTRE_OF_EXCELLENCE)
    with scope(authority=world.authority):
        moderation.open_vote(cycle=cycle, by=world.people["panel_chair"])
        with pytest.raises(ValidationError, match=error):
            moderation.cast_ballot(
                cycle=cycle, by=world.people["panel_member"], outcome=outcome, tier=tier
            )
        assert cycle.panel_vote.ballots.count() == 0


def test_an_ineligible_school_is_not_renewed(world):
    cycle = advance(world, State.RATIFIED, Kind.CENTRE_OF_EXCELLENCE)
    with scope(authority=world.authority):
        Partner.objects.filter(cluster__lead_school=world.school).delete()
        moderation.open_vote(cycle=cycle, by=world.people["panel_chair"])
        with pytest.raises(ValidationError, match="at least 2 partner schools"):
            moderation.cast_ballot(
                cycle=cycle,
                by=world.people["panel_member"],
                outcome=Outcome.AWARD,
                tier=Tier.CENTRE_OF_EXCELLENCE,
            )
        assert cycle.panel_vote.ballots.count() == 0


def test_my_work_asks_each_person_for_their_step_of_the_review(world):
    advance(world, State.UPDATE_SUBMITTED, Kind.CENTRE_OF_EXCELLENCE)
    with scope(authority=world.authority):
        asked = {
            who: [step.name for _, step in workflow.tasks(person, world.authority)]
            for who, person in world.people.items()
        }
    assert {who: names for who, names in asked.items() if names} == {
        "panel_chair": ["plan_annual_visit"],
        "authority_admin": ["plan_annual_visit"],
    }


def _meetings(world, count):
    """`count` meetings of the school's cluster this year, each attended by its first partner."""
    with scopes_disabled():
        cluster = world.school.cluster
        partner = cluster.partners.order_by("pk").first()
        for n in range(count):
            Activity.objects.create(
                cluster=cluster,
                kind=Activity.Kind.MEETING,
                date=timezone.localdate() - timedelta(days=n),
                title=f"Meeting {n:02}",
                description="What happened.",
                recorded_by=world.people["school_coordinator"],
            ).attended_by.set([partner])
    return partner


@pytest.mark.parametrize("rows", [1, 3, 50])
def test_the_update_page_query_count_does_not_grow(client, world, django_assert_num_queries, rows):
    """`rows` meetings in the cluster's year, and as many elements written (of the ten)."""
    cycle = make_review(world, Kind.CENTRE_OF_EXCELLENCE)
    written = min(rows, 10)
    with scope(authority=world.authority):
        for number in range(1, written + 1):
            _save(world, cycle, number, 0)
    partner = _meetings(world, rows)
    client.force_login(world.people["head_teacher"])
    url = reverse("reviews:update", args=[world.authority.slug, cycle.pk])
    # The session, user, memberships with their authorities (the page's too); the cycle with
    # its visit, report, ratification and panel vote (for the links to their pages); its updates
    # and elements; the cluster's activities of the year and who attended them.
    with django_assert_num_queries(8):
        response = client.get(url)
    assert [r["status"] for r in response.context["rows"]] == ["complete"] * written + [
        "not_started"
    ] * (10 - written)
    assert [a.title for a in response.context["activities"]] == [
        f"Meeting {n:02}" for n in reversed(range(rows))
    ]
    html = response.content.decode()
    assert html.count(f"<dd>{partner.display_name}</dd>") == rows


@pytest.mark.parametrize("extra", [1, 3, 50])
def test_the_ratification_page_query_count_does_not_grow(
    client, world, django_assert_num_queries, extra
):
    """The visit's own priority and `extra` more, on elements 2 to 10 in turn."""
    cycle = advance(world, State.VISIT_PLANNED, Kind.CENTRE_OF_EXCELLENCE)
    moderator = world.people["moderator"]
    with scope(authority=world.authority):
        elements = list(cycle.framework.elements.filter(number__gte=2))
        for n in range(extra):
            domain.add_priority(
                cycle=cycle,
                by=moderator,
                element=elements[n % len(elements)],
                action=f"Action {n:02}",
                lead="Lee",
                by_when=TOMORROW,
            )
    client.force_login(moderator)
    url = reverse("reviews:ratification", args=[world.authority.slug, cycle.pk])
    # The session, user, memberships with their authorities (the page's too); the cycle with
    # its visit and ratification, who signed it; the moderators, voters, contributors and
    # conflicts (workflow.read_facts); the elements (the form's and the priority form's), the
    # ratification's progress, the updates and the priorities with their elements.
    with django_assert_num_queries(10):
        response = client.get(url)
    actions = [p.action for p in response.context["priorities"]]
    assert len(actions) == 1 + extra
    # By element, then as added.
    by_element = sorted((2 + n % len(elements), n) for n in range(extra))
    assert [a for a in actions if a.startswith("Action ")] == [
        f"Action {n:02}" for _, n in by_element
    ]
    html = response.content.decode()
    assert "Signed by 0 of 1 visiting moderator." in html
    with scopes_disabled():
        choices = [("", "Choose an element")] + [
            (str(e.pk), str(e)) for e in cycle.framework.elements.order_by("number")
        ]
    form = response.context["priority_form"]
    assert [(str(v), label) for v, label in form.fields["element"].choices] == choices


def test_the_update_page_saves_as_typed_and_shows_a_conflict(client, world):
    cycle = make_review(world, Kind.CENTRE_OF_EXCELLENCE)
    with scope(authority=world.authority):
        element = cycle.framework.elements.get(number=1)
    url = reverse("reviews:update_element", args=[world.authority.slug, cycle.pk, element.pk])
    client.force_login(world.people["head_teacher"])
    data = {"version": 0, "progress": "Mine.", "plans": "Ours."}
    saved = client.post(url, data, headers={"HX-Request": "true"})
    assert (saved.status_code, saved.context["form"]["version"].value()) == (200, 1)
    stale = client.post(url, {**data, "progress": "Theirs."}, headers={"HX-Request": "true"})
    assert stale.status_code == 409
    assert "saved this element" in stale.content.decode()
    with scope(authority=world.authority):
        assert cycle.updates.get().progress == "Mine."
    client.force_login(world.people["mentor"])
    assert client.post(url, {**data, "version": 1}).status_code == 403
