"""The Flagship school's research project and the nine criteria of its review: the rules per
state and person, the pages, and their query counts.

The annual review's own steps (B1) are not in this branch: the Flagship reviews here are made
directly in the state each test needs, with a visit by the world's two moderators once planned."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from accounts.models import User
from assessments import workflow
from assessments.models import Cycle, Target
from assessments.workflow import STEPS, TransitionError
from audit.models import AuditEntry
from awards.models import Award, Tier
from flagship import domain
from flagship.models import CRITERIA, CriterionCheck, KeyStep, ResearchOutput, ResearchProject
from moderation.models import Visit
from reviews.models import Ratification

State = Cycle.State
LEADS = {"school_coordinator", "head_teacher"}
MODERATORS = {"moderator", "moderator2"}
# The annual review's states and DECIDED, in the order a review goes through them.
REVIEW_STATES = [
    State.REGISTERED,
    State.ANNUAL_UPDATE,
    State.UPDATE_SUBMITTED,
    State.VISIT_PLANNED,
    State.RATIFIED,
    State.WITH_PANEL,
    State.DECIDED,
]


def flagship_review(world, state=State.ANNUAL_UPDATE, school=None):
    """A Flagship review of the world's school in `state`, mentored by the world's mentor; from
    the visit's planning on, with the world's two moderators."""
    with scopes_disabled():
        review = Cycle.objects.create(
            authority=world.authority,
            school=school or world.school,
            kind=Cycle.Kind.FLAGSHIP,
            framework_id=world.cycle.framework_id,
            mentor=world.people["mentor"],
            state=state,
        )
        if REVIEW_STATES.index(state) >= REVIEW_STATES.index(State.VISIT_PLANNED):
            visit = Visit.objects.create(
                cycle=review, date=date(2026, 11, 5), planned_by=world.people["panel_chair"]
            )
            visit.moderators.set([world.people["moderator"], world.people["moderator2"]])
    return review


def start(world, by="school_coordinator", **fields):
    return domain.start_project(
        school=world.school,
        by=world.people[by],
        question=fields.get("question", "Does a shared transition week help pupils settle?"),
        rationale="Pupils moving from Glory Farm worry about the new school.",
        started_on=fields.get("started_on", date(2024, 9, 1)),
    )


def add_step(project, by, description="Survey pupils before and after", **dates):
    return domain.save_step(
        project=project,
        by=by,
        step=KeyStep(
            description=description,
            owner="Head of Year 7",
            starts_on=dates.get("starts_on", date(2024, 9, 1)),
            due_on=dates.get("due_on", date(2024, 12, 1)),
        ),
    )


def add_output(project, by, year=2025, title="What helps Year 7 settle"):
    return domain.save_output(
        project=project,
        by=by,
        output=ResearchOutput(
            title=title,
            kind=ResearchOutput.Kind.ARTICLE,
            published_in="IQM newsletter",
            url="https://iqm.example/cooper",
            year=year,
        ),
    )


def actions(world):
    with scopes_disabled():
        return list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))


# The research project


def test_a_lead_starts_the_project_once_and_it_is_logged(world):
    with scope(authority=world.authority):
        project = start(world)
        assert (project.school, project.ended_on) == (world.school, None)
        with pytest.raises(ValidationError, match="already has a research project under way"):
            start(world, by="head_teacher")
        assert ResearchProject.objects.count() == 1
    assert actions(world)[-1] == "research.started"


@pytest.mark.parametrize(
    "who", ["school_contributor", "mentor", "authority_admin", "other_school_coordinator"]
)
def test_only_the_school_leads_change_the_project(world, who):
    by = {**world.people, **world.others}[who]
    with scope(authority=world.authority):
        with pytest.raises(PermissionDenied, match="head teacher or coordinator"):
            domain.start_project(
                school=world.school, by=by, question="Q", rationale="R", started_on=None
            )
        project = start(world)
        with pytest.raises(PermissionDenied):
            add_step(project, by)
        with pytest.raises(PermissionDenied):
            add_output(project, by)
        assert (project.steps.count(), project.outputs.count()) == (0, 0)


# Research goes on all year: the leads keep it up to date with no review under way, in a review's
# registration and annual update, and once the panel has decided; not in between.
OPEN = {State.REGISTERED, State.ANNUAL_UPDATE, State.DECIDED}


@pytest.mark.parametrize("state", REVIEW_STATES)
def test_the_project_is_locked_from_the_updates_submission_until_the_panel_decides(world, state):
    coordinator = world.people["school_coordinator"]
    with scope(authority=world.authority):
        project = start(world)
        assert workflow.may_edit_research.test(coordinator, world.school)
        flagship_review(world, state)
        assert workflow.may_edit_research.test(coordinator, world.school) == (state in OPEN)
        if state in OPEN:
            add_step(project, coordinator)
            add_output(project, coordinator)
            assert (project.steps.count(), project.outputs.count()) == (1, 1)
        else:
            for change in (add_step, add_output):
                with pytest.raises(TransitionError, match="can be read but not changed"):
                    change(project, coordinator)
            assert (project.steps.count(), project.outputs.count()) == (0, 0)


def test_a_key_step_is_due_on_or_after_its_start(world):
    with scope(authority=world.authority):
        project = start(world)
        with pytest.raises(ValidationError, match="on or after the start"):
            add_step(
                project,
                world.people["head_teacher"],
                starts_on=date(2025, 3, 1),
                due_on=date(2025, 2, 28),
            )
        add_step(
            project,
            world.people["head_teacher"],
            starts_on=date(2025, 3, 1),
            due_on=date(2025, 3, 1),
        )
        assert project.steps.count() == 1


def test_steps_and_outputs_change_and_go_with_an_audit_entry_each(world):
    head = world.people["head_teacher"]
    with scope(authority=world.authority):
        project = start(world)
        step = add_step(project, head)
        step.status = Target.Status.DONE
        domain.save_step(project=project, by=head, step=step)
        output = add_output(project, head)
        domain.remove_output(output=output, by=head)
        domain.remove_step(step=step, by=head)
        assert (project.steps.count(), project.outputs.count()) == (0, 0)
    assert actions(world)[-6:] == [
        "research.started",
        "research.step_added",
        "research.step_changed",
        "research.output_added",
        "research.output_removed",
        "research.step_removed",
    ]


def test_an_ended_project_is_kept_as_it_was_and_the_next_can_start(world, time_machine):
    time_machine.move_to("2026-07-20 10:00")
    head = world.people["head_teacher"]
    with scope(authority=world.authority):
        project = start(world)
        add_output(project, head)
        with pytest.raises(ValidationError):
            domain.end_project(project=project, by=head, conclusion="  ")
        domain.end_project(project=project, by=head, conclusion="Pupils settle by October.")
        project.refresh_from_db()
        assert (project.ended_on, project.conclusion) == (
            date(2026, 7, 20),
            "Pupils settle by October.",
        )
        with pytest.raises(TransitionError, match="has ended"):
            add_output(project, head)
        second = start(world, question="Do flexible spaces help pupils with SEND?")
        assert domain.current_project(world.school) == second
        assert list(ResearchProject.objects.values_list("question", flat=True)) == [
            "Do flexible spaces help pupils with SEND?",
            "Does a shared transition week help pupils settle?",
        ]


def test_who_reads_the_research(world):
    """The school's staff and the admin always; the mentor and the visiting moderators of a
    Flagship review; the chair while planning the visit. Not the mentor of another kind of
    cycle, nor other schools' staff, nor unassigned staff."""
    people = {**world.people, **world.others}

    def readers():
        with scope(authority=world.authority):
            school = type(world.school).objects.get(pk=world.school.pk)
            found = set()
            for who, person in people.items():
                person = User.objects.get(pk=person.pk)  # memberships read afresh
                if workflow.may_view_research.test(person, school):
                    found.add(who)
            return found

    school_and_admin = {"school_coordinator", "head_teacher", "school_contributor"} | {
        "authority_admin"
    }
    assert readers() == school_and_admin
    flagship_review(world, State.VISIT_PLANNED)
    assert readers() == school_and_admin | {"mentor", "panel_chair"} | MODERATORS


# The nine criteria


def test_the_nine_criteria_are_the_seeds(world):
    assert [key for key, _ in CRITERIA] == [
        "assessments",
        "collaboration",
        "internal_practice",
        "dissemination",
        "wider_cluster",
        "classroom_research",
        "annual_visit",
        "annual_update",
        "iqm_aims",
    ]
    assert CRITERIA[0][1] == "A school with at least two successful IQM assessments."


def evidence_for_all(review, by):
    return domain.save_evidence(
        cycle=review, by=by, evidence={key: f"How we meet {key}." for key, _ in CRITERIA}
    )


def test_the_school_writes_evidence_in_its_annual_update(world):
    review = flagship_review(world, State.ANNUAL_UPDATE)
    coordinator = world.people["school_coordinator"]
    with scope(authority=world.authority):
        evidence_for_all(review, coordinator)
        # Saving the same again changes nothing and logs nothing more.
        assert evidence_for_all(review, coordinator) == []
        domain.save_evidence(
            cycle=review, by=coordinator, evidence={"assessments": "2014 and 2017 assessments."}
        )
        rows = domain.criteria_rows(review)
        assert [r["check"].evidence for r in rows][:2] == [
            "2014 and 2017 assessments.",
            "How we meet collaboration.",
        ]
        with pytest.raises(ValidationError):
            domain.save_evidence(cycle=review, by=coordinator, evidence={"made_up": "x"})
        with pytest.raises(ValidationError):
            domain.save_evidence(cycle=review, by=coordinator, evidence={"iqm_aims": "x" * 5001})
    assert actions(world)[-2:] == ["flagship.evidence_written", "flagship.evidence_written"]


def test_evidence_is_refused_outside_the_update_and_outside_a_flagship_review(world):
    with scope(authority=world.authority):
        review = flagship_review(world, State.VISIT_PLANNED)
        with pytest.raises(TransitionError, match="visit planned"):
            evidence_for_all(review, world.people["head_teacher"])
        with pytest.raises(TransitionError, match="initial assessment"):
            evidence_for_all(world.cycle, world.people["head_teacher"])
        with pytest.raises(PermissionDenied):
            evidence_for_all(
                flagship_review(world, State.ANNUAL_UPDATE), world.people["school_contributor"]
            )
        assert CriterionCheck.objects.count() == 0


def confirm(review, by, verdicts):
    return domain.confirm_criteria(cycle=review, by=by, verdicts=verdicts)


def test_the_visiting_moderator_confirms_and_the_rest_are_unconfirmed(world):
    review = flagship_review(world, State.ANNUAL_UPDATE)
    with scope(authority=world.authority):
        evidence_for_all(review, world.people["head_teacher"])
        texts = [text for _, text in CRITERIA]
        assert domain.unconfirmed_criteria(review) == texts
        Cycle.objects.filter(pk=review.pk).update(state=State.VISIT_PLANNED)
        Visit.objects.create(
            cycle=review, date=date(2026, 11, 5), planned_by=world.people["panel_chair"]
        ).moderators.set([world.people["moderator"]])
        review.refresh_from_db()
        moderator = world.people["moderator"]
        with pytest.raises(ValidationError, match="still needs to show"):
            confirm(review, moderator, {"iqm_aims": ("not_yet", " ")})
        confirm(review, moderator, {key: ("confirmed", "") for key, _ in CRITERIA[:8]})
        confirm(review, moderator, {"iqm_aims": ("not_yet", "No trial of practice yet.")})
        assert domain.unconfirmed_criteria(review) == [texts[8]]
        confirm(review, moderator, {"iqm_aims": ("confirmed", "Trialled the new framework.")})
        assert domain.unconfirmed_criteria(review) == []
        assert domain.unconfirmed_criteria(world.cycle) == []  # not a Flagship review
        check = review.flagship_criteria.get(key="iqm_aims")
        assert (check.verdict, check.comment, check.verdict_by, check.evidence) == (
            "confirmed",
            "Trialled the new framework.",
            moderator,
            "How we meet iqm_aims.",
        )


@pytest.mark.parametrize("who", ["other_moderator", "mentor", "panel_chair", "head_teacher"])
def test_only_the_visiting_moderators_confirm(world, who):
    by = {**world.people, **world.others}[who]
    review = flagship_review(world, State.VISIT_PLANNED)
    with scope(authority=world.authority):
        with pytest.raises(PermissionDenied, match="visiting moderators"):
            confirm(review, by, {"assessments": ("confirmed", "")})
        assert CriterionCheck.objects.count() == 0


def test_a_moderator_conflicted_after_assignment_confirms_nothing(world):
    from tests.factories import ConflictFactory

    review = flagship_review(world, State.VISIT_PLANNED)
    ConflictFactory(
        authority=world.authority, person=world.people["moderator2"], school=world.school
    )
    with scope(authority=world.authority):
        with pytest.raises(PermissionDenied):
            confirm(review, world.people["moderator2"], {"assessments": ("confirmed", "")})


# Every step of the Flagship criteria, from every state of a review, by every person of the world.
TAKE = {
    "write_flagship_evidence": lambda c, by: domain.save_evidence(
        cycle=c, by=by, evidence={"assessments": "Assessed in 2014 and 2017."}
    ),
    "confirm_criteria": lambda c, by: domain.confirm_criteria(
        cycle=c, by=by, verdicts={"assessments": ("confirmed", "")}
    ),
}
EXPECTED = {
    State.REGISTERED: {("write_flagship_evidence", p) for p in LEADS},
    State.ANNUAL_UPDATE: {("write_flagship_evidence", p) for p in LEADS},
    State.VISIT_PLANNED: {("confirm_criteria", p) for p in MODERATORS},
}


class _Undo(Exception):
    pass


@pytest.mark.parametrize("state", REVIEW_STATES)
def test_the_criteria_steps_are_as_the_table_says(world, state):
    review = flagship_review(world, state)
    people = {**world.people, **world.others}
    done, problems = set(), []
    with scope(authority=world.authority):
        for name, take in TAKE.items():
            for who, person in people.items():
                try:
                    with transaction.atomic():
                        fresh, by = Cycle.objects.get(pk=review.pk), User.objects.get(pk=person.pk)
                        may = STEPS[name].test(by, fresh)
                        try:
                            take(fresh, by)
                        except (TransitionError, PermissionDenied) as refusal:
                            if may:
                                problems.append(f"{name} by {who}: allowed but refused: {refusal}")
                            if CriterionCheck.objects.exists():
                                problems.append(f"{name} by {who}: refused but saved")
                        else:
                            done.add((name, who))
                            if not may:
                                problems.append(f"{name} by {who}: refused by the table, but done")
                        raise _Undo
                except _Undo:
                    pass
    assert problems == []
    assert sorted(done) == sorted(EXPECTED.get(state, set()))


# The pages


def test_the_school_writes_its_evidence_on_the_criteria_page(client, world):
    review = flagship_review(world, State.ANNUAL_UPDATE)
    client.force_login(world.people["head_teacher"])
    url = reverse("flagship:criteria", args=["bathnes", review.pk])
    page = client.get(url).content.decode()
    assert page.count("<textarea") == 9
    assert "A school with at least two successful IQM assessments." in page
    response = client.post(
        reverse("flagship:criteria_evidence", args=["bathnes", review.pk]),
        {"assessments": "Assessed in 2014 and 2017.", "iqm_aims": "x" * 5001},
    )
    assert response.status_code == 200
    assert 'href="#id_iqm_aims"' in response.content.decode()
    with scopes_disabled():
        assert CriterionCheck.objects.count() == 0
    response = client.post(
        reverse("flagship:criteria_evidence", args=["bathnes", review.pk]),
        {"assessments": "Assessed in 2014 and 2017."},
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert list(CriterionCheck.objects.values_list("key", "evidence")) == [
            ("assessments", "Assessed in 2014 and 2017.")
        ]


def test_the_moderator_confirms_on_the_criteria_page_and_the_school_sees_it_once_ratified(
    client, world
):
    review = flagship_review(world, State.VISIT_PLANNED)
    client.force_login(world.people["moderator"])
    url = reverse("flagship:criteria_confirm", args=["bathnes", review.pk])
    response = client.post(url, {"assessments_verdict": "not_yet", "assessments_comment": ""})
    assert response.status_code == 200
    assert 'href="#id_assessments_comment"' in response.content.decode()
    response = client.post(
        url, {"assessments_verdict": "not_yet", "assessments_comment": "Only one assessment."}
    )
    assert response.status_code == 302
    page = reverse("flagship:criteria", args=["bathnes", review.pk])
    client.force_login(world.people["head_teacher"])
    assert "Only one assessment." not in client.get(page).content.decode()
    with scopes_disabled():
        Cycle.objects.filter(pk=review.pk).update(state=State.RATIFIED)
        Ratification.objects.create(cycle=review, ratified_at=timezone.now())
    assert "Only one assessment." in client.get(page).content.decode()


def test_the_criteria_of_another_kind_of_cycle_are_not_found(client, world):
    client.force_login(world.people["authority_admin"])
    response = client.get(reverse("flagship:criteria", args=["bathnes", world.cycle.pk]))
    assert response.status_code == 404


def test_the_cycle_and_school_pages_link_to_the_flagship_pages(client, world):
    review = flagship_review(world, State.ANNUAL_UPDATE)
    client.force_login(world.people["head_teacher"])
    cycle_page = client.get(
        reverse("assessments:cycle", args=["bathnes", review.pk]), follow=True
    ).content
    assert reverse("flagship:criteria", args=["bathnes", review.pk]).encode() in cycle_page
    initial = client.get(reverse("assessments:cycle", args=["bathnes", world.cycle.pk])).content
    assert b"Flagship criteria" not in initial
    research = reverse("flagship:research", args=["bathnes", world.school.pk])
    school_page = client.get(reverse("schools:detail", args=["bathnes", world.school.pk]))
    assert "Start the school's research project" in school_page.content.decode()
    assert research in school_page.content.decode()


def test_a_school_with_no_reason_to_research_is_not_offered_a_project(client, world):
    client.force_login(world.people["head_teacher"])
    page = client.get(reverse("schools:detail", args=["bathnes", world.school.pk])).content
    assert b"research" not in page.lower()
    with scopes_disabled():
        Award.objects.create(
            authority=world.authority,
            school=world.school,
            tier=Tier.CENTRE_OF_EXCELLENCE,
            awarded_on=date.today(),
            expires_on=date(date.today().year + 1, 12, 31),
        )
    page = client.get(reverse("schools:detail", args=["bathnes", world.school.pk])).content
    assert b"Start the school's research project" in page


def test_a_lead_starts_the_project_and_adds_a_step_through_the_pages(client, world):
    client.force_login(world.people["school_coordinator"])
    response = client.post(
        reverse("flagship:project", args=["bathnes", world.school.pk]),
        {"question": "", "rationale": "", "started_on": ""},
    )
    assert response.status_code == 200
    assert 'href="#id_question"' in response.content.decode()
    response = client.post(
        reverse("flagship:project", args=["bathnes", world.school.pk]),
        {"question": "Q?", "rationale": "Why.", "started_on": "2025-09-01"},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("flagship:step_create", args=["bathnes", world.school.pk]),
        {
            "description": "Survey",
            "owner": "Head of Year 7",
            "starts_on": "2025-10-01",
            "due_on": "2025-09-01",
            "status": "not_started",
        },
    )
    assert 'href="#id_due_on"' in response.content.decode()
    with scopes_disabled():
        assert KeyStep.objects.count() == 0


def test_a_key_step_past_its_due_date_and_not_done_is_marked_overdue(client, world, time_machine):
    time_machine.move_to("2026-03-01 10:00")
    head = world.people["head_teacher"]
    with scope(authority=world.authority):
        project = start(world)
        add_step(project, head, "Late", starts_on=date(2026, 1, 5), due_on=date(2026, 2, 27))
        add_step(project, head, "On time", starts_on=date(2026, 1, 5), due_on=date(2026, 3, 1))
    client.force_login(head)
    page = client.get(reverse("flagship:research", args=["bathnes", world.school.pk])).content
    rows = [row for row in page.decode().split("<tr>") if "Overdue" in row]
    assert len(rows) == 1 and "Late" in rows[0]


def test_a_locked_project_shows_why_and_offers_no_change(client, world):
    with scope(authority=world.authority):
        start(world)
    flagship_review(world, State.UPDATE_SUBMITTED)
    client.force_login(world.people["head_teacher"])
    page = client.get(reverse("flagship:research", args=["bathnes", world.school.pk]))
    text = page.content.decode()
    assert "can be read but not changed" in text
    assert "Add a key step" not in text


@pytest.mark.parametrize("n", [1, 3])
def test_the_research_page_query_count_does_not_grow(client, world, n, django_assert_num_queries):
    """n key steps, outputs over n years and n earlier projects, each with an output."""
    head = world.people["head_teacher"]
    with scope(authority=world.authority):
        for i in range(n):
            ended = start(world, question=f"Earlier question {i}")
            add_output(ended, head, year=2015 + i)
            domain.end_project(project=ended, by=head, conclusion="Found.")
        project = start(world)
        for i in range(n):
            add_step(project, head, description=f"Step {i}")
            add_output(project, head, year=2024 + i, title=f"Output {i}")
    client.force_login(head)
    # session, user, memberships with their authorities (the page's too); school; the review
    # under way (for the lock); projects, their steps, their outputs
    with django_assert_num_queries(8):
        response = client.get(reverse("flagship:research", args=["bathnes", world.school.pk]))
    assert [year for year, _ in response.context["outputs_by_year"]] == list(
        range(2024 + n - 1, 2023, -1)
    )
    assert len(response.context["history"]) == n


@pytest.mark.parametrize("n", [1, 3])
def test_the_criteria_page_query_count_does_not_grow(client, world, n, django_assert_num_queries):
    review = flagship_review(world, State.VISIT_PLANNED)
    with scope(authority=world.authority):
        CriterionCheck.objects.bulk_create(
            CriterionCheck(cycle=review, key=key, evidence="E", verdict="confirmed")
            for key, _ in CRITERIA[:n]
        )
    client.force_login(world.people["moderator"])
    with django_assert_num_queries(8):
        response = client.get(reverse("flagship:criteria", args=["bathnes", review.pk]))
    assert response.context["confirmed"] == n


def test_my_work_asks_for_the_update_and_the_ratification_whose_pages_link_to_the_criteria(
    world,
):
    from assessments.work import my_work

    update = flagship_review(world, State.ANNUAL_UPDATE)
    visit = flagship_review(world, State.VISIT_PLANNED, school=world.other_school)
    with scope(authority=world.authority):
        head = my_work(world.people["head_teacher"], world.authority)
        moderator = my_work(world.people["moderator"], world.authority)
        assert "confirm_criteria" in workflow.allowed(world.people["moderator"], visit)
    assert [(t.text, t.url) for t in head if t.url.startswith(f"/bathnes/cycles/{update.pk}/")] == [
        (
            "Chandag Infant: write the annual update",
            reverse("reviews:update", args=["bathnes", update.pk]),
        )
    ]
    assert [(t.text, t.url) for t in moderator] == [
        (
            "Castle Primary: ratify the year's progress and agree the development plan",
            reverse("reviews:ratification", args=["bathnes", visit.pk]),
        )
    ]
