"""Check before what cannot be undone (issue 13, item 2): submitting to the mentor, submitting the
portfolio, signing the report and recording the decision each have a check page that says what
will happen and who is told (the workflow's own recipients), changes nothing itself, and confirms
by posting to the step."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from assessments.models import Cycle
from assessments.workflow import AWARD_TOLD, STEPS, people_told
from audit.models import SECURITY_ACTIONS, AuditEntry
from awards.domain import expiry
from awards.models import Tier
from moderation import domain as moderation
from moderation.models import Outcome
from notifications.models import OutboxMessage

from .journey import advance

State = Cycle.State


def client_of(world, role):
    client = Client()
    client.force_login(world.people[role])
    return client


def told_names(response):
    return [str(person) for person in response.context["told"]]


def workflow_told(cycle, *tell):
    with scope(authority=cycle.authority):
        return [str(person) for person in people_told(cycle, tell)]


def sent(*keys):
    """Who was emailed of these kinds, as the names of the people: by address."""
    from accounts.models import User

    with scopes_disabled():
        emails = set(OutboxMessage.objects.filter(key__in=keys).values_list("to", flat=True))
    return sorted(str(u) for u in User.objects.filter(email__in=emails))


def unchanged(world):
    """What a check page must leave as it was: the cycle's state and the audit log (its changes:
    signing in to look is no change)."""
    with scopes_disabled():
        return (
            Cycle.objects.get(pk=world.cycle.pk).state,
            AuditEntry.objects.exclude(action__in=SECURITY_ACTIONS).count(),
            OutboxMessage.objects.count(),
        )


def text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).strip()


def test_submitting_to_the_mentor_is_checked_first(world):
    advance(world, State.SELF_REVIEW)
    head = client_of(world, "head_teacher")
    cycle_page = head.get(reverse("assessments:cycle", args=["bathnes", world.cycle.pk]))
    check_url = reverse("assessments:submit_check", args=["bathnes", world.cycle.pk])
    assert f'<a class="button" href="{check_url}">Submit to the mentor</a>' in (
        cycle_page.content.decode()
    )
    before = unchanged(world)
    response = head.get(check_url)
    assert response.status_code == 200
    assert unchanged(world) == before
    page = text(response)
    assert "Submit the self-review to Mentor?" in page
    assert "Elements complete 10 of 10" in page
    assert "The case moves from “Self-review” to “With the mentor”." in page
    assert told_names(response) == workflow_told(world.cycle, *STEPS["submit"].tell) == ["Mentor"]
    assert response.context["confirm_url"] == reverse(
        "assessments:submit", args=["bathnes", world.cycle.pk]
    )
    assert f'<a href="/bathnes/cycles/{world.cycle.pk}/">Go back</a>' in response.content.decode()

    confirmed = head.post(response.context["confirm_url"])
    assert confirmed.status_code == 302
    with scopes_disabled():
        assert Cycle.objects.get(pk=world.cycle.pk).state == State.SUBMITTED
    assert sent("cycle.submitted") == sorted(told_names(response))


def test_the_submit_check_lists_the_elements_still_to_complete_and_offers_no_button(world):
    head = client_of(world, "head_teacher")
    with scope(authority=world.authority):
        Cycle.objects.filter(pk=world.cycle.pk).update(state=State.SELF_REVIEW)
        elements = list(world.cycle.framework.elements.order_by("number"))
    response = head.get(reverse("assessments:submit_check", args=["bathnes", world.cycle.pk]))
    body = response.content.decode()
    links = re.findall(r'<li><a href="/bathnes/cycles/\d+/elements/(\d+)/">', body)
    assert links == [str(e.pk) for e in elements]
    assert "Complete every element listed above first." in body
    assert "Submit to the mentor</button>" not in body


def test_only_the_schools_leads_may_open_the_submit_check(world):
    advance(world, State.SELF_REVIEW)
    url = reverse("assessments:submit_check", args=["bathnes", world.cycle.pk])
    assert client_of(world, "school_contributor").get(url).status_code == 403
    assert client_of(world, "mentor").get(url).status_code == 403


def test_submitting_the_portfolio_warns_of_the_elements_without_evidence(world):
    advance(world, State.VALIDATED)
    with scope(authority=world.authority):
        elements = list(world.cycle.framework.elements.order_by("number"))
        item = world.cycle.evidence.get()
        item.elements.set(elements[:2])
    coordinator = client_of(world, "school_coordinator")
    portfolio = reverse("portfolios:portfolio", args=["bathnes", world.cycle.pk])
    check_url = reverse("portfolios:submit_check", args=["bathnes", world.cycle.pk])
    assert (
        f'href="{check_url}">Submit the portfolio</a>'
        in coordinator.get(portfolio).content.decode()
    )
    before = unchanged(world)
    response = coordinator.get(check_url)
    assert unchanged(world) == before
    body = response.content.decode()
    assert re.findall(rf'<li><a href="{portfolio}\?element=(\d+)#evidence">', body) == [
        str(e.pk) for e in elements[2:]
    ]
    page = text(response)
    assert "8 elements without evidence" in page
    assert "Elements with evidence 2 of 10" in page
    assert "The case moves from “Validated” to “Portfolio submitted”." in page
    assert told_names(response) == workflow_told(world.cycle, *STEPS["submit_portfolio"].tell)
    assert told_names(response) == ["Authority admin", "Mentor", "Panel chair"]

    assert coordinator.post(response.context["confirm_url"]).status_code == 302
    with scopes_disabled():
        assert Cycle.objects.get(pk=world.cycle.pk).state == State.PORTFOLIO_SUBMITTED
    assert sent("cycle.portfolio_submitted") == sorted(told_names(response))


def test_a_portfolio_without_evidence_is_blocked_first_and_not_said_to_be_submittable(world):
    advance(world, State.VALIDATED)
    with scope(authority=world.authority):
        world.cycle.evidence.all().delete()
    check_url = reverse("portfolios:submit_check", args=["bathnes", world.cycle.pk])
    page = text(client_of(world, "school_coordinator").get(check_url))
    blocked = "You cannot do this yet Add some evidence before submitting the portfolio."
    assert page.index(blocked) < page.index("Evidence 0 items") < page.index("What will happen")
    assert "10 elements without evidence" in page
    assert "You can still submit" not in page
    assert "Submit the portfolio</button>" not in page


def test_the_second_signature_is_checked_as_the_one_that_makes_the_report_final(world):
    advance(world, State.VISIT_PLANNED)  # the second moderator has signed
    moderator = client_of(world, "moderator")
    report = reverse("moderation:report", args=["bathnes", world.cycle.pk])
    check_url = reverse("moderation:sign_check", args=["bathnes", world.cycle.pk])
    assert f'href="{check_url}">Sign the report</a>' in moderator.get(report).content.decode()
    before = unchanged(world)
    response = moderator.get(check_url)
    assert unchanged(world) == before
    page = text(response)
    assert "Recommendation Award: Inclusion Quality Mark" in page
    assert "Elements judged 10 of 10" in page
    assert "Signed so far Moderator2" in page
    assert "Yours is the second signature: the report becomes final" in page
    assert "The case moves from “Visit planned” to “Report signed”." in page
    assert "They are sent an email that the report is final:" in page
    assert told_names(response) == workflow_told(world.cycle, *STEPS["sign_report"].tell)
    assert told_names(response) == ["Authority admin", "Panel chair"]
    assert (
        "You have signed the report already."
        in client_of(world, "moderator2").get(check_url).content.decode()
    )

    assert moderator.post(response.context["confirm_url"]).status_code == 302
    with scopes_disabled():
        assert Cycle.objects.get(pk=world.cycle.pk).state == State.REPORTED
    assert sent("report.final") == sorted(told_names(response))


def test_an_unfinished_report_is_checked_against_what_signing_needs(world):
    advance(world, State.VISIT_PLANNED)
    with scope(authority=world.authority):
        world.cycle.report.signed_by.clear()
        world.cycle.report.findings.all().delete()
    before = unchanged(world)
    response = client_of(world, "moderator").get(
        reverse("moderation:sign_check", args=["bathnes", world.cycle.pk])
    )
    assert unchanged(world) == before
    assert response.templates[0].name == "moderation/report.html"
    assert "The report cannot be signed yet" in text(response)
    with scope(authority=world.authority):
        elements = list(world.cycle.framework.elements.all())
    assert list(response.context["sign_errors"]) == [f"element-{e.pk}-judgement" for e in elements]


def test_the_first_signature_tells_no_one_yet(world):
    advance(world, State.VISIT_PLANNED)
    with scope(authority=world.authority):
        world.cycle.report.signed_by.clear()
    response = client_of(world, "moderator").get(
        reverse("moderation:sign_check", args=["bathnes", world.cycle.pk])
    )
    page = text(response)
    assert "When Moderator2 signs too, the report becomes final and goes to the panel." in page
    assert "Nobody is told of your signature." in page
    assert "The case moves" not in page


def test_recording_the_decision_is_checked_with_the_award_and_who_is_told(world):
    advance(world, State.WITH_PANEL)
    chair = client_of(world, "panel_chair")
    panel = reverse("moderation:panel", args=["bathnes", world.cycle.pk])
    check_url = reverse("moderation:decide_check", args=["bathnes", world.cycle.pk])
    assert f'href="{check_url}">Record the decision</a>' in chair.get(panel).content.decode()
    before = unchanged(world)
    response = chair.get(check_url)
    assert unchanged(world) == before
    page = text(response)
    assert "Votes cast 3 (the panel needs 3 to decide)" in page
    assert "The decision Award: Inclusion Quality Mark" in page
    with scope(authority=world.authority):
        until = expiry(world.authority, Tier.QUALITY_MARK, timezone.localdate())
    assert f"awarded the Inclusion Quality Mark from today until {until:%-d %B %Y}" in page
    assert "The case moves from “With the panel” to “Decided”." in page
    told = workflow_told(world.cycle, *STEPS["decide"].tell, *AWARD_TOLD)
    assert told_names(response) == told
    assert sorted(told) == [
        "Authority admin",
        "Head teacher",
        "Mentor",
        "Moderator",
        "Moderator2",
        "School coordinator",
    ]

    # No reasons: the check page again, saying so, and nothing recorded.
    refused = chair.post(response.context["confirm_url"], {"rationale": " "})
    assert refused.status_code == 422
    assert "Record the panel&#x27;s reasons with its decision." in refused.content.decode()
    assert unchanged(world) == before

    confirmed = chair.post(response.context["confirm_url"], {"rationale": "Clear evidence."})
    assert confirmed.status_code == 302
    with scopes_disabled():
        assert Cycle.objects.get(pk=world.cycle.pk).state == State.DECIDED
    assert sent("decision.recorded", "award.made") == sorted(told)


def test_the_decision_check_waits_for_the_quorum_and_asks_for_the_casting_vote(world):
    advance(world, State.REPORTED)
    with scope(authority=world.authority):
        moderation.open_vote(cycle=world.cycle, by=world.people["panel_chair"])
        moderation.cast_ballot(cycle=world.cycle, by=world.people["panel2"], outcome=Outcome.DEFER)
    chair = client_of(world, "panel_chair")
    url = reverse("moderation:decide_check", args=["bathnes", world.cycle.pk])
    body = chair.get(url).content.decode()
    assert "The panel needs 3 votes to decide; 1 have been cast." in body
    assert "Record the decision</button>" not in body
    with scope(authority=world.authority):
        moderation.cast_ballot(
            cycle=world.cycle, by=world.people["panel3"], outcome=Outcome.NOT_AWARD
        )
        moderation.cast_ballot(
            cycle=world.cycle,
            by=world.people["panel4"],
            outcome=Outcome.AWARD,
            tier=Tier.QUALITY_MARK,
        )
    response = chair.get(url)
    assert sorted(response.context["tied"]) == [
        "award: Inclusion Quality Mark",
        "defer",
        "not award",
    ]
    assert "your casting vote decides" in text(response)
    assert 'name="casting"' in response.content.decode()


@pytest.mark.parametrize("role", ["panel_member", "mentor", "authority_admin"])
def test_only_the_chair_opens_the_decision_check(world, role):
    advance(world, State.WITH_PANEL)
    url = reverse("moderation:decide_check", args=["bathnes", world.cycle.pk])
    assert client_of(world, role).get(url).status_code == 403
