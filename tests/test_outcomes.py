"""Dashboards that tell the outcome (issue 13, item 5): after each step the people concerned see
what happened and what comes next; a decided case is named for its result; every page of a case
links back to it; a contributor sees their elements; an admin with no mentor to register a school
with is told how to invite one."""

import re
from datetime import date, timedelta
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from accounts.models import Membership, Role
from assessments import domain
from assessments.models import Cycle
from awards.models import Award, Tier
from moderation import domain as moderation
from moderation.models import Outcome, Report, Visit

from .factories import SchoolFactory
from .journey import EARLY_VOTERS, TOMORROW, advance

State = Cycle.State
YEAR = timezone.localdate().year
TODAY = date.today()


def client_of(world, role):
    client = Client()
    client.force_login({**world.people, **world.others}[role])
    return client


def dashboard(world, role):
    return client_of(world, role).get(reverse("dashboard", args=["bathnes"]))


def region(html, cycle):
    """The words of the case's outcome region, tags stripped."""
    found = re.search(
        rf'<div class="notification outcome" role="region" '
        rf'aria-labelledby="outcome-{cycle.pk}-title">(.*?)\n</div>',
        html,
        re.S,
    )
    if found is None:
        return None
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip())


def decide(world, outcome, tier="", revisit_by=None):
    """The world's case decided by the panel's three early voters, all voting `outcome`."""
    cycle = advance(world, State.REPORTED)
    with scope(authority=world.authority):
        if revisit_by:
            Report.objects.filter(cycle=cycle).update(revisit_by=revisit_by)
        moderation.open_vote(cycle=cycle, by=world.people["panel_chair"])
        for member in EARLY_VOTERS:
            moderation.cast_ballot(cycle=cycle, by=world.people[member], outcome=outcome, tier=tier)
        moderation.record_decision(
            cycle=cycle, by=world.people["panel_chair"], rationale="The panel's own reasons."
        )
    return cycle


def test_the_school_and_the_mentor_see_a_return_with_the_mentors_comments(world):
    cycle = advance(world, State.SUBMITTED)
    with scope(authority=world.authority):
        domain.return_to_school(cycle=cycle, by=world.people["mentor"], comment="More on parents.")
    school = dashboard(world, "school_coordinator")
    assert [(c.name, c.outcome.key) for c in school.context["cases"]] == [
        (f"Inclusion Quality Mark assessment {YEAR}", "returned")
    ]
    assert region(school.content.decode(), cycle) == (
        "Returned by Mentor, your mentor. The mentor's comments: More on parents. "
        "Next, you change the self-review where the mentor asks, and submit it again."
    )
    assert region(dashboard(world, "mentor").content.decode(), cycle) == (
        "Returned by Mentor to the school. The mentor's comments: More on parents. "
        "Next, the school changes the self-review where the mentor asks, and submits it again."
    )


def test_a_validated_self_review_says_what_comes_next(world):
    cycle = advance(world, State.VALIDATED)
    html = dashboard(world, "head_teacher").content.decode()
    assert region(html, cycle) == (
        f"Validated by Mentor on {TODAY:%-d %B %Y}. "
        "Next, you build the portfolio of evidence and submit it for moderation."
    )
    page = client_of(world, "head_teacher").get(
        reverse("assessments:cycle", args=["bathnes", cycle.pk])
    )
    assert region(page.content.decode(), cycle) == region(html, cycle)


def test_the_panels_return_of_the_portfolio_is_told_with_its_reasons(world):
    cycle = advance(world, State.PORTFOLIO_SUBMITTED)
    with scope(authority=world.authority):
        moderation.return_portfolio(
            cycle=cycle, by=world.people["panel_chair"], reasons="Date each photograph."
        )
    assert region(dashboard(world, "school_coordinator").content.decode(), cycle) == (
        "The panel returned the portfolio: it is not yet ready for a visit. "
        "The panel's reasons: Date each photograph. "
        "Next, you change the portfolio and submit it again."
    )


def test_an_award_is_told_with_its_certificate_logo_and_report(world):
    cycle = decide(world, Outcome.AWARD, Tier.QUALITY_MARK)
    with scope(authority=world.authority):
        award = Award.objects.get(school=world.school)
        report = Report.objects.get(cycle=cycle)
    response = dashboard(world, "school_coordinator")
    html = response.content.decode()
    assert region(html, cycle) == (
        f"Awarded the Inclusion Quality Mark on {TODAY:%-d %B %Y}, "
        f"until {award.expires_on:%-d %B %Y}. The panel's reasons: The panel's own reasons. "
        "The certificate and the logo are ready to download. The school appears on the "
        "authority's list of awarded schools when the list is next published. "
        "Get the certificate (PDF) Logo (SVG) Logo (PNG) Get the assessment report (PDF)"
    )
    school, pk = world.school.pk, award.pk
    assert f'action="/bathnes/awards/{pk}/certificate/"' in html
    assert f'href="/bathnes/schools/{school}/awards/{pk}/logo.svg"' in html
    assert f'href="/bathnes/schools/{school}/awards/{pk}/logo.png"' in html
    assert f'action="/bathnes/assessment-reports/{report.pk}/pdf/"' in html
    name = f"Chandag Infant: Inclusion Quality Mark assessment {YEAR} – awarded"
    assert f'<h3><a href="/bathnes/cycles/{cycle.pk}/">{name}</a></h3>' in html

    page = client_of(world, "school_coordinator").get(
        reverse("assessments:cycle", args=["bathnes", cycle.pk])
    )
    assert re.findall(r"<h1>(.*?)</h1>", page.content.decode()) == [name]


def test_a_deferral_is_told_with_its_revisit(world):
    revisit = TODAY + timedelta(days=60)
    cycle = decide(world, Outcome.DEFER, revisit_by=revisit)
    html = dashboard(world, "school_coordinator").content.decode()
    assert region(html, cycle) == (
        f"Deferred by the panel on {TODAY:%-d %B %Y}. The panel's reasons: The panel's own "
        f"reasons. Next, the school closes the gaps the panel names; the moderators revisit by "
        f"{revisit:%-d %B %Y}. Get the assessment report (PDF)"
    )
    assert f"Inclusion Quality Mark assessment {YEAR} – deferred</a></h3>" in html
    assert "certificate" not in html


def test_not_awarded_is_told(world):
    cycle = decide(world, Outcome.NOT_AWARD)
    html = dashboard(world, "moderator").content.decode()
    assert region(html, cycle) == (
        f"Not awarded by the panel on {TODAY:%-d %B %Y}. The panel's reasons: The panel's own "
        "reasons. The school can be registered for a new assessment when it is ready. "
        "Get the assessment report (PDF)"
    )
    assert f"Inclusion Quality Mark assessment {YEAR} – not awarded</a></h3>" in html


def test_a_corrected_decision_is_told_by_its_correction(world):
    cycle = decide(world, Outcome.NOT_AWARD)
    with scope(authority=world.authority):
        moderation.correct_decision(
            decision=cycle.decisions.get(),
            by=world.people["panel_chair"],
            outcome=Outcome.AWARD,
            tier=Tier.QUALITY_MARK,
            rationale="The corrected reasons.",
            reason="The votes were miscounted.",
        )
        award = Award.objects.get(school=world.school)
    html = dashboard(world, "moderator").content.decode()
    assert region(html, cycle).startswith(
        f"Awarded the Inclusion Quality Mark on {TODAY:%-d %B %Y}, until "
        f"{award.expires_on:%-d %B %Y}. The panel's reasons: The corrected reasons."
    )
    assert f"Inclusion Quality Mark assessment {YEAR} – awarded</a></h3>" in html


def test_people_with_no_part_in_a_case_are_not_shown_it(world):
    decide(world, Outcome.AWARD, Tier.QUALITY_MARK)
    for role in ("other_school_coordinator", "other_mentor", "panel_member", "authority_admin"):
        assert dashboard(world, role).context["cases"] == [], role


def test_a_contributor_sees_the_elements_given_to_them(world):
    cycle = advance(world, State.SELF_REVIEW)  # element 1 is given to the contributor
    with scope(authority=world.authority):
        element = cycle.framework.elements.get(number=1)
    link = f'<a href="/bathnes/cycles/{cycle.pk}/elements/{element.pk}/">1. Pupil progress</a>'
    assert (
        f"<p>Your elements: {link}</p>" in dashboard(world, "school_contributor").content.decode()
    )
    url = reverse("assessments:cycle", args=["bathnes", cycle.pk])
    html = client_of(world, "school_contributor").get(url).content.decode()
    assert f"Your coordinator has given you 1 element: {link}." in html
    assert re.findall(r'class="hint task-list__given" id="given-(\d+)">([^<]*)<', html) == [
        (str(element.pk), "Given to you")
    ]
    lead = client_of(world, "school_coordinator").get(url).content.decode()
    assert re.findall(r'class="hint task-list__given" id="given-(\d+)">([^<]*)<', lead) == [
        (str(element.pk), "Given to School contributor")
    ]
    assert "Your coordinator has given you" not in lead


def test_an_admin_with_no_mentor_is_told_how_to_invite_one(world):
    admin = client_of(world, "authority_admin")
    url = reverse("assessments:cycle_start", args=["bathnes"])
    assert "has no mentor yet" not in admin.get(url).content.decode()
    with scopes_disabled():
        Membership.objects.filter(authority=world.authority, role=Role.MENTOR).delete()
    html = admin.get(url).content.decode()
    assert "Bath &amp; North East Somerset has no mentor yet" in html
    assert (
        '<a class="button" href="/bathnes/people/invite/?role=mentor">Invite a mentor</a>' in html
    )
    assert 'name="mentor"' not in html
    invite = admin.get("/bathnes/people/invite/?role=mentor").content.decode()
    assert '<option value="mentor" selected>' in invite


CASE_PAGES = [
    ("assessments:cycle", {}),
    ("assessments:element", {"element": 1}),
    ("assessments:plan", {}),
    ("assessments:review", {}),
    ("assessments:compare", {}),
    ("portfolios:portfolio", {}),
    ("moderation:visit", {}),
    ("moderation:report", {}),
    ("moderation:panel", {}),
]


@pytest.mark.parametrize("name,extra", CASE_PAGES)
def test_every_page_of_a_case_links_back_to_it(world, name, extra):
    cycle = advance(world, State.DECIDED)
    args = ["bathnes", cycle.pk]
    if extra:
        with scope(authority=world.authority):
            args.append(cycle.framework.elements.get(number=extra["element"]).pk)
    html = client_of(world, "authority_admin").get(reverse(name, args=args)).content.decode()
    assert f'<a href="/bathnes/cycles/{cycle.pk}/">Chandag Infant</a>' in html


def more_cases(world, count):
    """`count` more schools mentored by the world's mentor, each with a validated self-review."""
    with scope(authority=world.authority):
        for _ in range(count):
            Cycle.objects.create(
                authority=world.authority,
                school=SchoolFactory(authority=world.authority, area=world.area),
                framework=world.cycle.framework,
                mentor=world.people["mentor"],
                state=State.VALIDATED,
                validated_at=timezone.now(),
            )


@pytest.mark.parametrize("extra", [1, 3, 50])
def test_the_dashboards_cases_cost_the_same_queries_however_many(
    world, django_assert_num_queries, extra
):
    decide(world, Outcome.AWARD, Tier.QUALITY_MARK)
    more_cases(world, extra)
    client = client_of(world, "mentor")
    # ... "my work" (the cycles and their facts), a page of the cases (its count, its cycles,
    # their decisions with their awards); no planned visit's moderators, no elements given (the
    # mentor is no contributor)
    with django_assert_num_queries(8):
        response = client.get(reverse("dashboard", args=["bathnes"]))
    assert len(response.context["cases"]) == min(extra + 1, 10)


def test_a_planned_visit_is_told_with_its_date_and_moderators(world):
    cycle = advance(world, State.VISIT_PLANNED)
    told = (
        f"The visit is planned for {TOMORROW:%-d %B %Y}, with Moderator and Moderator2. After "
        "the visit the moderators write the report; it is final once both have signed it."
    )
    for role in ("school_coordinator", "moderator", "moderator2"):
        assert region(dashboard(world, role).content.decode(), cycle) == told, role


@pytest.mark.parametrize("extra", [1, 3])
def test_the_moderators_of_a_pages_planned_visits_are_read_at_once(
    world, django_assert_num_queries, extra
):
    advance(world, State.VISIT_PLANNED)
    people = world.people
    with scope(authority=world.authority):
        for _ in range(extra):
            visit = Visit.objects.create(
                cycle=Cycle.objects.create(
                    authority=world.authority,
                    school=SchoolFactory(authority=world.authority, area=world.area),
                    framework=world.cycle.framework,
                    mentor=people["mentor"],
                    state=State.VISIT_PLANNED,
                    validated_at=timezone.now(),
                ),
                date=TOMORROW,
                planned_by=people["panel_chair"],
            )
            visit.moderators.set([people["moderator"], people["moderator2"]])
    client = client_of(world, "moderator")
    # ... "my work" (the cycles and their facts), a page of the cases (its count, its cycles, the
    # moderators of their visits, their decisions)
    with django_assert_num_queries(9):
        response = client.get(reverse("dashboard", args=["bathnes"]))
    assert [case.outcome.happened for case in response.context["cases"]] == [
        f"The visit is planned for {TOMORROW:%-d %B %Y}, with Moderator and Moderator2."
    ] * (extra + 1)
