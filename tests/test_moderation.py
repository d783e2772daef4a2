import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_scopes import scope

from accounts.models import Role
from assessments import domain as assessments_domain
from assessments.models import Cycle
from audit.models import AuditEntry
from awards.models import Award, Tier
from moderation import domain
from moderation.models import Decision, Outcome
from portfolios import domain as portfolio_domain

from .assessment_helpers import at_once, submit_portfolio
from .factories import MembershipFactory, SchoolFactory, UserFactory, give_partners
from .journey import advance

State = Cycle.State
TOMORROW = date.today() + timedelta(days=1)


@pytest.fixture
def case(world):
    """The world's cycle with its portfolio submitted."""
    submit_portfolio(world)
    with scope(authority=world.authority):
        yield world


def to_panel(world):
    cycle, people = world.cycle, world.people
    domain.accept_for_visit(cycle=cycle, by=people["panel_chair"])
    domain.plan_visit(
        cycle=cycle,
        by=people["panel_chair"],
        moderators=[people["moderator"], people["moderator2"]],
        visit_date=TOMORROW,
    )
    elements = list(cycle.framework.elements.all())
    report = domain.save_report(
        cycle=cycle,
        by=people["moderator"],
        version=0,
        context="A primary school of 200 pupils.",
        strengths="Warmth.",
        next_steps="Share practice.",
        recommendation=Outcome.AWARD,
        tier=Tier.QUALITY_MARK,
        revisit_by=None,
        findings={e.pk: ("Good.", "More.", "met") for e in elements},
    )
    domain.sign_report(cycle=cycle, by=people["moderator"])
    domain.sign_report(cycle=cycle, by=people["moderator2"])
    domain.open_vote(cycle=cycle, by=people["panel_chair"])
    return report


def test_desk_check_return_unlocks_the_portfolio_with_reasons(case):
    with pytest.raises(ValidationError):
        domain.return_portfolio(cycle=case.cycle, by=case.people["panel_chair"], reasons=" ")
    domain.return_portfolio(
        cycle=case.cycle, by=case.people["panel_chair"], reasons="Add pupil voice evidence."
    )
    case.cycle.refresh_from_db()
    assert (case.cycle.state, case.cycle.return_comment) == (
        State.VALIDATED,
        "Add pupil voice evidence.",
    )
    assert portfolio_domain.is_locked(case.cycle) is False
    assert case.cycle.portfolio_submissions.count() == 1


def test_only_the_chair_or_an_admin_does_the_desk_check(case):
    with pytest.raises(PermissionDenied):
        domain.accept_for_visit(cycle=case.cycle, by=case.people["moderator"])


def test_exactly_two_moderators_neither_the_mentor_nor_conflicted(case):
    people, cycle = case.people, case.cycle
    domain.accept_for_visit(cycle=cycle, by=people["panel_chair"])
    third = UserFactory()
    MembershipFactory(authority=case.authority, user=third, role=Role.MODERATOR)
    with pytest.raises(ValidationError) as raised:
        domain.plan_visit(
            cycle=cycle,
            by=people["panel_chair"],
            moderators=[people["moderator"], people["moderator2"], third],
            visit_date=TOMORROW,
        )
    assert raised.value.message_dict == {
        "moderators": ["Choose exactly two moderators: every visit has two."]
    }
    MembershipFactory(authority=case.authority, user=people["mentor"], role=Role.MODERATOR)
    with pytest.raises(ValidationError) as raised:
        domain.plan_visit(
            cycle=cycle,
            by=people["panel_chair"],
            moderators=[people["mentor"], people["moderator2"]],
            visit_date=TOMORROW,
        )
    assert raised.value.message_dict == {
        "moderators": [
            "Mentor cannot moderate Chandag Infant (conflict of interest: the school's mentor)."
        ]
    }
    domain.declare_conflict(
        authority=case.authority,
        person=people["moderator2"],
        school=case.school,
        reason="Parent at the school",
    )
    with pytest.raises(ValidationError) as raised:
        domain.plan_visit(
            cycle=cycle,
            by=people["panel_chair"],
            moderators=[people["moderator"], people["moderator2"]],
            visit_date=TOMORROW,
        )
    assert raised.value.message_dict["moderators"] == [
        f"{people['moderator2']} cannot moderate Chandag Infant "
        "(conflict of interest: declared: Parent at the school)."
    ]
    cycle.refresh_from_db()
    assert cycle.state == State.READY_FOR_VISIT


def test_the_report_is_final_when_both_sign_and_then_read_only(case):
    report = to_panel(case)
    report.refresh_from_db()
    assert report.finalised_at is not None
    with pytest.raises(assessments_domain.TransitionError):
        domain.save_report(
            cycle=case.cycle,
            by=case.people["moderator"],
            version=report.version,
            context="x",
            strengths="",
            next_steps="",
            recommendation=Outcome.DEFER,
            tier="",
            revisit_by=TOMORROW,
            findings={},
        )


def test_a_mentor_or_visiting_moderator_cannot_vote_and_is_told_why(case):
    to_panel(case)
    MembershipFactory(authority=case.authority, user=case.people["mentor"], role=Role.PANEL_MEMBER)
    MembershipFactory(
        authority=case.authority, user=case.people["moderator"], role=Role.PANEL_MEMBER
    )
    reasons = {
        role: domain.why_not_voting(case.people[role], case.cycle)
        for role in ("mentor", "moderator", "panel_member")
    }
    assert reasons == {
        "mentor": "the school's mentor",
        "moderator": "a visiting moderator, who may speak but not vote",
        "panel_member": None,
    }
    with pytest.raises(PermissionDenied) as raised:
        domain.cast_ballot(
            cycle=case.cycle,
            by=case.people["mentor"],
            outcome=Outcome.AWARD,
            tier=Tier.QUALITY_MARK,
        )
    assert (
        str(raised.value)
        == "You cannot vote on Chandag Infant (conflict of interest: the school's mentor)."
    )


def vote(case, member, outcome=Outcome.AWARD, tier=Tier.QUALITY_MARK):
    return domain.cast_ballot(
        cycle=case.cycle,
        by=case.people[member],
        outcome=outcome,
        tier=tier if outcome == Outcome.AWARD else "",
    )


def test_no_decision_without_quorum(case):
    to_panel(case)
    vote(case, "panel_member")
    vote(case, "panel2")
    with pytest.raises(assessments_domain.TransitionError) as raised:
        domain.record_decision(
            cycle=case.cycle, by=case.people["panel_chair"], rationale="Strong report."
        )
    assert str(raised.value) == "The panel needs 3 votes to decide; 2 have been cast."
    assert Decision.objects.count() == 0


def test_a_conflict_declared_after_voting_withdraws_the_ballot_from_the_open_vote(case):
    to_panel(case)
    vote(case, "panel_member")
    vote(case, "panel2")
    vote(case, "panel3", Outcome.DEFER)
    domain.declare_conflict(
        authority=case.authority,
        person=case.people["panel3"],
        school=case.school,
        reason="Parent at the school",
    )
    case.cycle.refresh_from_db()
    assert dict(domain.tally(case.cycle)) == {(Outcome.AWARD, Tier.QUALITY_MARK): 2}
    assert [
        (e.actor, e.person, e.before) for e in AuditEntry.objects.filter(action="ballot.withdrawn")
    ] == [(case.people["panel3"], case.people["panel3"], {"outcome": "defer", "tier": ""})]
    with pytest.raises(assessments_domain.TransitionError) as raised:
        domain.record_decision(cycle=case.cycle, by=case.people["panel_chair"], rationale="Clear.")
    assert str(raised.value) == "The panel needs 3 votes to decide; 2 have been cast."


def test_a_tie_goes_to_the_chair(case):
    to_panel(case)
    vote(case, "panel_member")
    vote(case, "panel2")
    vote(case, "panel3", Outcome.DEFER)
    vote(case, "panel4", Outcome.DEFER)
    with pytest.raises(assessments_domain.TransitionError) as raised:
        domain.record_decision(cycle=case.cycle, by=case.people["panel_chair"], rationale="Close.")
    assert str(raised.value) == (
        "The vote is tied between award: Inclusion Quality Mark and defer: as chair, "
        "give the casting vote."
    )
    decision = domain.record_decision(
        cycle=case.cycle,
        by=case.people["panel_chair"],
        rationale="Close.",
        casting=(Outcome.AWARD, Tier.QUALITY_MARK),
    )
    assert (decision.outcome, decision.tier, decision.votes) == (
        "award",
        "quality_mark",
        {"award: Inclusion Quality Mark": 2, "defer": 2},
    )
    award = Award.objects.get()
    assert (award.tier, award.awarded_on, award.expires_on) == (
        "quality_mark",
        timezone.localdate(),
        timezone.localdate().replace(year=timezone.localdate().year + 3),
    )
    case.cycle.refresh_from_db()
    assert case.cycle.state == State.DECIDED


def test_a_recorded_decision_cannot_be_changed_only_corrected(case):
    to_panel(case)
    for member in ("panel_member", "panel2", "panel3"):
        vote(case, member)
    decision = domain.record_decision(
        cycle=case.cycle, by=case.people["panel_chair"], rationale="Clear."
    )
    decision.rationale = "Edited"
    with pytest.raises(ValueError):
        decision.save()
    correction = domain.correct_decision(
        decision=decision,
        by=case.people["panel_chair"],
        outcome=Outcome.DEFER,
        tier="",
        rationale="Evidence was missing.",
        reason="A page of the report was lost.",
    )
    assert (correction.corrects, correction.outcome) == (decision, "defer")
    assert Award.objects.get().withdrawn_at is not None
    decision.refresh_from_db()
    assert decision.rationale == "Clear."


NO_AWARD = (
    "Centre of Excellence needs a current Inclusion Quality Mark (or a higher award). "
    "The school holds no award."
)
NO_CLUSTER = (
    "Centre of Excellence needs a cluster of at least 2 partner schools. "
    "The school has no partner schools yet."
)
NOT_EXCELLENT = (
    "Flagship needs Centre of Excellence held without a break for at least 3 years. "
    "The school does not hold Centre of Excellence."
)


def assessments_had(count):
    return f"Flagship needs at least 2 successful IQM assessments. The school has had {count}."


def test_an_ineligible_tier_is_refused_with_the_failing_rule(case):
    to_panel(case)
    with pytest.raises(ValidationError) as raised:
        vote(case, "panel_member", tier=Tier.CENTRE_OF_EXCELLENCE)
    assert raised.value.message_dict == {"tier": [f"{NO_AWARD} {NO_CLUSTER}"]}
    Award.objects.create(
        authority=case.authority,
        school=case.school,
        tier=Tier.QUALITY_MARK,
        awarded_on=date.today() - timedelta(days=400),
        expires_on=date.today() + timedelta(days=700),
    )
    with pytest.raises(ValidationError) as raised:
        vote(case, "panel_member", tier=Tier.CENTRE_OF_EXCELLENCE)
    assert raised.value.message_dict == {"tier": [NO_CLUSTER]}
    with pytest.raises(ValidationError) as raised:
        vote(case, "panel_member", tier=Tier.FLAGSHIP)
    assert raised.value.message_dict == {"tier": [f"{NOT_EXCELLENT} {assessments_had(1)}"]}
    give_partners(
        case.school, case.other_school, SchoolFactory(authority=case.authority, area=case.area)
    )
    assert vote(case, "panel_member", tier=Tier.CENTRE_OF_EXCELLENCE).tier == "centre_of_excellence"


NO_QUALITY_MARK = f"Not open to this school: {NO_AWARD} {NO_CLUSTER}"


def no_flagship(assessments):
    return f"Not open to this school: {NOT_EXCELLENT} {assessments_had(assessments)}"


def test_the_report_and_the_vote_offer_only_the_tiers_the_school_may_be_awarded(client, world):
    from django.urls import reverse

    cycle = advance(world, State.VISIT_PLANNED)
    client.force_login(world.people["moderator"])
    tier = (
        client.get(reverse("moderation:report", args=["bathnes", cycle.pk]))
        .context["overall_section"]["form"]
        .fields["tier"]
    )
    assert (tier.choices, tier.help_text) == (
        [("", "–"), ("quality_mark", "Inclusion Quality Mark")],
        f"{NO_QUALITY_MARK} {no_flagship(0)}",
    )
    with scope(authority=world.authority):
        with pytest.raises(ValidationError) as raised:
            domain.save_report(
                cycle=cycle,
                by=world.people["moderator"],
                version=cycle.report.version,
                context="A primary school of 200 pupils.",
                strengths="Warmth.",
                next_steps="Share practice.",
                recommendation=Outcome.AWARD,
                tier=Tier.CENTRE_OF_EXCELLENCE,
                revisit_by=None,
                findings={},
            )
        assert raised.value.message_dict == {"tier": [f"{NO_AWARD} {NO_CLUSTER}"]}
        cycle.report.refresh_from_db()
        assert cycle.report.tier == Tier.QUALITY_MARK

        domain.sign_report(cycle=cycle, by=world.people["moderator"])
        domain.open_vote(cycle=cycle, by=world.people["panel_chair"])
        # Now a Quality Mark holder with two partner schools: Centre of Excellence is open to it.
        Award.objects.create(
            authority=world.authority,
            school=world.school,
            tier=Tier.QUALITY_MARK,
            awarded_on=date.today() - timedelta(days=400),
            expires_on=date.today() + timedelta(days=700),
        )
        give_partners(
            world.school,
            world.other_school,
            SchoolFactory(authority=world.authority, area=world.area),
        )
    client.force_login(world.people["panel_member"])
    option = (
        client.get(reverse("moderation:panel", args=["bathnes", cycle.pk]))
        .context["ballot_form"]
        .fields["option"]
    )
    assert (option.choices, option.help_text) == (
        [
            ("award:quality_mark", "Award: Inclusion Quality Mark"),
            ("award:centre_of_excellence", "Award: Centre of Excellence"),
            ("defer:", "Defer"),
            ("not_award:", "Not award"),
        ],
        no_flagship(1),
    )


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_decisions_make_one_decision_and_one_award(case):
    to_panel(case)
    for member in ("panel_member", "panel2", "panel3"):
        vote(case, member)

    def attempt():
        with scope(authority=case.authority):
            domain.record_decision(
                cycle=case.cycle, by=case.people["panel_chair"], rationale="Clear."
            )

    assert at_once(20, attempt, assessments_domain.TransitionError) == ["ok"] + ["refused"] * 19
    assert (Decision.objects.count(), Award.objects.count()) == (1, 1)
    assert AuditEntry.objects.filter(action="award.made").count() == 1


def test_my_work_shows_each_role_what_needs_them(client, case):
    from django.urls import reverse

    def work(role):
        client.force_login(case.people[role])
        return [t.text for t in client.get(reverse("dashboard", args=["bathnes"])).context["work"]]

    assert work("panel_chair") == ["Chandag Infant: desk-check the portfolio"]
    assert work("authority_admin") == ["Chandag Infant: desk-check the portfolio"]
    assert work("moderator") == []
    to_panel(case)
    assert work("panel_member") == ["Chandag Infant: cast your vote"]
    assert work("panel_chair") == ["Chandag Infant: cast your vote"]
    vote(case, "panel_member")
    vote(case, "panel_chair")
    assert work("panel_member") == []
    assert work("panel_chair") == ["Chandag Infant: record the panel's decision"]
    assert work("school_coordinator") == []


def test_my_work_does_not_ask_a_conflicted_member_or_a_visiting_moderator_to_vote(client, case):
    """They sit on the panel, but may not vote on this school: nothing asks them to."""
    from django.urls import reverse

    MembershipFactory(
        authority=case.authority, user=case.people["moderator"], role=Role.PANEL_MEMBER
    )
    with scope(authority=case.authority):
        domain.declare_conflict(
            authority=case.authority,
            person=case.people["panel2"],
            school=case.school,
            reason="Governor",
        )
    to_panel(case)

    def work(role):
        client.force_login(case.people[role])
        return [t.text for t in client.get(reverse("dashboard", args=["bathnes"])).context["work"]]

    assert (work("moderator"), work("panel2"), work("panel3")) == (
        [],
        [],
        ["Chandag Infant: cast your vote"],
    )


def submitted_portfolios(world, count, state=State.PORTFOLIO_SUBMITTED, **fields):
    """`count` more schools whose portfolio waits for the desk check (or whose cycle is in
    `state`), named so that they list in the order made."""
    with scope(authority=world.authority):
        return [
            Cycle.objects.create(
                authority=world.authority,
                school=SchoolFactory(
                    authority=world.authority, area=world.area, name=f"School {n:02d}"
                ),
                framework=world.cycle.framework,
                mentor=world.people["mentor"],
                state=state,
                **fields,
            )
            for n in range(count)
        ]


@pytest.mark.parametrize("extra", [1, 3, 50])
def test_dashboard_query_count_does_not_grow_with_cases(
    client, world, django_assert_num_queries, extra
):
    from django.urls import reverse

    submitted_portfolios(world, extra)
    client.force_login(world.people["panel_chair"])
    # ... the cycles that might ask for them and their facts, their own cases (none)
    with django_assert_num_queries(6):
        response = client.get(reverse("dashboard", args=["bathnes"]))
    work = response.context["work"]
    assert (len(work), work.paginator.count) == (min(extra, 10), extra)


@pytest.mark.parametrize("extra", [1, 3, 50])
def test_a_mentors_dashboard_costs_the_same_however_many_cases(
    client, world, django_assert_num_queries, extra
):
    """Both of the dashboard's lists full: each self-review to validate is a task and a case."""
    from django.urls import reverse

    submitted_portfolios(world, extra, state=State.SUBMITTED)
    client.force_login(world.people["mentor"])
    # The session, user, memberships with their authorities (the page's too); the cycles that
    # might ask for them and their facts; a page of their cases: its count, its cycles, their
    # decisions (none with a planned visit, so no moderators to read; no elements given to a
    # mentor).
    with django_assert_num_queries(8):
        response = client.get(reverse("dashboard", args=["bathnes"]))
    work, cases = response.context["work"], response.context["cases_page"]
    assert (len(work), work.paginator.count) == (min(extra, 10), extra)
    assert (len(cases), cases.paginator.count) == (min(extra + 1, 10), extra + 1)


def test_my_work_is_paged_apart_from_the_cases(client, world):
    from django.urls import reverse

    submitted_portfolios(world, 25, state=State.SUBMITTED)
    client.force_login(world.people["mentor"])
    url = reverse("dashboard", args=["bathnes"])
    response = client.get(url, {"work": 3, "page": 2})
    assert [t.text for t in response.context["work"]] == [
        f"School {n:02d}: validate the self-review" for n in range(20, 25)
    ]
    assert response.context["cases_page"].number == 2
    html = response.content.decode()
    assert '<h2 id="your-work">Your work (25 tasks)</h2>' in html
    assert (
        '<nav class="pagination" aria-label="Your work">\n'
        '  <a rel="prev" href="?work=2&amp;page=2#your-work">Previous'
        '<span class="visually-hidden"> page: Your work</span></a>\n'
        "  <span>Page 3 of 3</span>\n  \n</nav>"
    ) in html


@pytest.mark.parametrize("extra", [1, 3, 50])
def test_queue_query_count_does_not_grow(client, world, django_assert_num_queries, extra):
    from django.urls import reverse

    submitted_portfolios(world, extra, portfolio_submitted_at=timezone.now() - timedelta(days=4))
    submitted_portfolios(world, extra, state=State.VISIT_PLANNED)
    client.force_login(world.people["panel_chair"])
    # Each list: its count and its page.
    with django_assert_num_queries(7):
        response = client.get(reverse("moderation:queue", args=["bathnes"]))
    waiting, under_way = response.context["waiting"], response.context["under_way"]
    assert [c.days_waiting for c in waiting] == [4] * min(extra, 10)
    assert (waiting.paginator.count, under_way.paginator.count) == (extra, extra)
    assert len(under_way) == min(extra, 25)


def test_each_case_under_way_links_to_its_visit_while_planned_else_to_its_panel(client, world):
    from django.urls import reverse

    from assessments import workflow

    states = sorted(workflow.AUTHORITY_STAGES - {State.PORTFOLIO_SUBMITTED, State.DECIDED})
    cycles = {state: submitted_portfolios(world, 1, state=state)[0] for state in states}
    client.force_login(world.people["authority_admin"])
    html = client.get(reverse("moderation:queue", args=["bathnes"])).content.decode()
    for state, cycle in cycles.items():
        page = "visit" if state in workflow.PLANNING_STATES else "panel"
        assert f'href="{reverse(f"moderation:{page}", args=["bathnes", cycle.pk])}"' in html
    assert {s for s in states if s in workflow.PLANNING_STATES} == set(workflow.PLANNING_STATES)


def test_the_queue_pages_each_list_oldest_first(client, world):
    from django.urls import reverse

    now = timezone.now()
    waiting = submitted_portfolios(world, 12)
    with scope(authority=world.authority):
        for days, cycle in enumerate(waiting):
            Cycle.objects.filter(pk=cycle.pk).update(
                portfolio_submitted_at=now - timedelta(days=30 - days)
            )
    submitted_portfolios(world, 26, state=State.WITH_PANEL)
    client.force_login(world.people["panel_chair"])
    url = reverse("moderation:queue", args=["bathnes"])
    response = client.get(url, {"waiting": 2, "under_way": 2})
    assert [(c.school.name, c.days_waiting) for c in response.context["waiting"]] == [
        ("School 10", 20),
        ("School 11", 19),
    ]
    assert len(response.context["under_way"]) == 1
    html = response.content.decode()
    assert '<h2 id="waiting">Portfolios waiting for the desk check (12)</h2>' in html
    assert 'href="?waiting=1&amp;under_way=2#waiting"' in html
    assert 'href="?waiting=2&amp;under_way=1#under-way"' in html


def test_a_step_asks_about_a_cycle_without_a_part_in_it_only_in_the_states_found_for_it(world):
    """ "My work" reads the admin's and the panel's cycles that they have no part in only in the
    states `asked_without_part` finds from a stand-in cycle: on real cycles of every kind and state
    a step asks in (none of them anyone's of the world's but their new mentor's), each person is
    asked in exactly those states, and "my work" lists every one of them that asks them."""
    from assessments import workflow

    mentor = UserFactory()
    MembershipFactory(authority=world.authority, user=mentor, role=Role.MENTOR)
    asked_in = sorted(
        {(state, kind) for step in workflow.ASKING for state in step.sources for kind in step.kinds}
    )
    with scope(authority=world.authority):
        cycles = [
            Cycle.objects.create(
                authority=world.authority,
                school=SchoolFactory(authority=world.authority, area=world.area),
                framework=world.cycle.framework,
                mentor=mentor,
                state=state,
                kind=kind,
            )
            for state, kind in asked_in
        ]
        found = {}
        for key, person in [*world.people.items(), *world.others.items()]:
            tested = [c for c in cycles if any(s.test(person, c) for s in workflow.ASKING)]
            asked = {c.state for c in tested}
            assert asked == workflow.asked_without_part(person, world.authority), key
            tasks = [c for c, _ in workflow.tasks(person, world.authority) if c in cycles]
            assert sorted(tasks, key=lambda c: c.pk) == tested, key
            found[key] = asked
    assert found["authority_admin"] == {
        State.PORTFOLIO_SUBMITTED,
        State.READY_FOR_VISIT,
        State.UPDATE_SUBMITTED,
    }
    assert found["panel_chair"] == {
        State.PORTFOLIO_SUBMITTED,
        State.READY_FOR_VISIT,
        State.UPDATE_SUBMITTED,
        State.REPORTED,
        State.WITH_PANEL,
        State.RATIFIED,
    }
    assert found["panel_member"] == {State.WITH_PANEL}
    assert found["school_coordinator"] == found["mentor"] == found["moderator"] == set()


# What the asking steps' predicates may read for `asked_without_part`'s stand-in cycle to stand for
# every cycle the person has no part in: their roles, their part (which the stand-in denies), and
# facts the stand-in gives as none, which a conflict or a vote can only turn against asking.
READ_BY_THE_STAND_IN = {
    "roles": {"is_authority_admin", "is_panel_chair", "is_on_panel"},
    "parts": {"is_school_lead", "is_given_elements", "is_cycle_mentor", "is_assigned_moderator"},
    "negated facts": {"is_conflicted", "has_voted"},
}


def test_the_steps_that_ask_read_only_what_the_stand_in_cycle_stands_for():
    """A step that asks on a record the stand-in does not have (a final report, a validation)
    would be missed by `asked_without_part`: a new predicate here means checking it first."""
    from assessments import workflow

    for step in workflow.ASKING:
        names = re.findall(r"~?\w+", step.who.name)
        assert {n.lstrip("~") for n in names} <= set().union(*READ_BY_THE_STAND_IN.values())
        for fact in READ_BY_THE_STAND_IN["negated facts"]:
            assert fact not in names, (step.name, fact)  # only ever as ~fact


def test_the_desk_check_queue_is_the_step_as_a_query(world):
    """`desk_checks` lists exactly the cycles on which the person may take `accept_for_visit`:
    not the mentor's, not a school they declared a conflict with, and none for a panel member."""
    from assessments import workflow

    cycles = submitted_portfolios(world, 3) + submitted_portfolios(world, 1, state=State.SUBMITTED)
    chair = world.people["panel_chair"]
    with scope(authority=world.authority):
        Cycle.objects.filter(pk=cycles[0].pk).update(mentor=chair)
        domain.declare_conflict(
            authority=world.authority, person=chair, school=cycles[1].school, reason="Governor"
        )
        for person in list(world.people.values()) + list(world.others.values()):
            queued = set(workflow.desk_checks(person, world.authority))
            may = {
                c for c in Cycle.objects.all() if workflow.STEPS["accept_for_visit"].test(person, c)
            }
            assert queued == may, person
        assert set(workflow.desk_checks(chair, world.authority)) == {cycles[2]}


@pytest.mark.parametrize("voters", [1, 3])
def test_panel_page_query_count_does_not_grow_with_votes(
    client, case, django_assert_num_queries, voters
):
    from django.urls import reverse

    to_panel(case)
    for member in ["panel_member", "panel2", "panel3"][:voters]:
        vote(case, member)
    client.force_login(case.people["panel_chair"])
    # The session, user, memberships with their authorities (the page's too); the cycle with its
    # visit and vote, the moderators, the ballots, the school's conflicts, its awards and cluster
    # partners (the tiers it may have), the decisions.
    with django_assert_num_queries(10):
        response = client.get(reverse("moderation:panel", args=["bathnes", case.cycle.pk]))
    assert response.context["ballot_count"] == voters


@pytest.mark.parametrize("extra", [1, 3, 50])
def test_cycle_list_and_conflicts_query_counts_do_not_grow(
    client, world, django_assert_num_queries, extra
):
    from django.urls import reverse

    with scope(authority=world.authority):
        for _ in range(extra):
            school = SchoolFactory(authority=world.authority, area=world.area)
            assessments_domain.start_cycle(
                authority=world.authority,
                by=None,
                school=school,
                kind="initial",
                mentor=world.people["mentor"],
            )
            domain.declare_conflict(
                authority=world.authority,
                person=world.people["authority_admin"],
                school=school,
                reason="Governor there",
            )
    client.force_login(world.people["authority_admin"])
    with django_assert_num_queries(5):
        response = client.get(reverse("assessments:cycles", args=["bathnes"]))
    assert len(response.context["page"]) == min(1 + extra, 25)
    # ... a page of conflicts: its count and its rows (the school is typed: no list of schools)
    with django_assert_num_queries(5):
        response = client.get(reverse("moderation:conflicts", args=["bathnes"]))
    conflicts = response.context["conflicts"]  # and the world's own
    assert (len(conflicts), conflicts.paginator.count) == (min(1 + extra, 50), 1 + extra)


@pytest.mark.parametrize("notes", [1, 3, 50])
def test_visit_page_query_count_does_not_grow_with_notes(
    client, case, django_assert_num_queries, notes
):
    from django.urls import reverse

    cycle, people = case.cycle, case.people
    domain.accept_for_visit(cycle=cycle, by=people["panel_chair"])
    domain.plan_visit(
        cycle=cycle,
        by=people["panel_chair"],
        moderators=[people["moderator"], people["moderator2"]],
        visit_date=TOMORROW,
    )
    elements = list(cycle.framework.elements.all())
    for n in range(notes):
        domain.add_note(
            cycle=cycle,
            by=people["moderator"],
            kind="parents",
            who=f"Parent {n}",
            notes="Warm welcome.",
            elements=elements[:2],
        )
    client.force_login(people["moderator"])
    # The session, user, memberships with their authorities (the page's too); the cycle with its
    # visit, the moderators, the school's conflicts (is the moderator acting?), a page of notes (its
    # count, the notes and their elements), the note form's elements.
    with django_assert_num_queries(10):
        response = client.get(reverse("moderation:visit", args=["bathnes", cycle.pk]))
    # Opened at the latest notes.
    assert [note.who for note in response.context["notes"]] == [
        f"Parent {n}" for n in range((notes - 1) // 20 * 20, notes)
    ]
    if notes > 20:
        response = client.get(reverse("moderation:visit", args=["bathnes", cycle.pk]), {"notes": 1})
        assert [note.who for note in response.context["notes"]] == [
            f"Parent {n}" for n in range(20)
        ]
        assert 'href="?notes=2#notes"' in response.content.decode()


@pytest.mark.parametrize("who", ["mentor", "conflicted chair"])
def test_a_chair_with_a_conflict_neither_desk_checks_nor_plans_the_visit(world, who):
    """The school's mentor who also chairs the panel, or a chair who declared a conflict: the
    desk check and the visit's planning are the admin's or another chair's, and they are not told
    of the portfolio."""
    from notifications.models import OutboxMessage

    from .journey import advance

    chair = world.people["mentor"] if who == "mentor" else world.people["panel_chair"]
    if who == "mentor":
        MembershipFactory(authority=world.authority, user=chair, role=Role.PANEL_CHAIR)
    else:
        with scope(authority=world.authority):
            domain.declare_conflict(
                authority=world.authority, person=chair, school=world.school, reason="Governor"
            )
    cycle = advance(world, State.PORTFOLIO_SUBMITTED)
    with scope(authority=world.authority):
        for step in (
            lambda: domain.accept_for_visit(cycle=cycle, by=chair),
            lambda: domain.return_portfolio(cycle=cycle, by=chair, reasons="More."),
        ):
            with pytest.raises(PermissionDenied):
                step()
        cycle.refresh_from_db()
        assert cycle.state == State.PORTFOLIO_SUBMITTED
        told = OutboxMessage.objects.filter(key="cycle.portfolio_submitted")
        # The mentor is told as the mentor; a conflicted chair is not told as a desk checker.
        assert sorted(told.values_list("to", flat=True)) == sorted(
            ["authority_admin@bathnes.test", "mentor@bathnes.test"]
            + (["panel_chair@bathnes.test"] if who == "mentor" else [])
        )
        domain.accept_for_visit(cycle=cycle, by=world.people["authority_admin"])
        with pytest.raises(PermissionDenied):
            domain.plan_visit(
                cycle=cycle,
                by=chair,
                moderators=[world.people["moderator"], world.people["moderator2"]],
                visit_date=TOMORROW,
            )


def test_a_moderator_who_declares_a_conflict_after_being_assigned_moderates_no_further(world):
    from .journey import advance

    cycle = advance(world, State.VISIT_PLANNED)
    moderator = world.people["moderator"]
    with scope(authority=world.authority):
        domain.declare_conflict(
            authority=world.authority,
            person=moderator,
            school=world.school,
            reason="Spouse is head",
        )
        with pytest.raises(PermissionDenied):
            domain.add_note(cycle=cycle, by=moderator, kind="staff", who="SENCo", notes="Met.")
        with pytest.raises(PermissionDenied):
            domain.sign_report(cycle=cycle, by=moderator)
        cycle.refresh_from_db()
        assert (cycle.state, cycle.visit.notes.count()) == (State.VISIT_PLANNED, 0)
