"""“My work”: what needs the signed-in person's action in this authority, whatever their roles."""

from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse

from accounts.models import Role
from assessments.models import Cycle

State = Cycle.State


@dataclass
class Task:
    text: str
    url: str


def my_work(request) -> list[Task]:
    user, roles, slug = request.user, request.roles, request.authority.slug
    lead_schools = {
        m.school_id
        for m in request.memberships
        if m.role in (Role.SCHOOL_COORDINATOR, Role.HEAD_TEACHER)
    }
    contributor_schools = {
        m.school_id for m in request.memberships if m.role == Role.SCHOOL_CONTRIBUTOR
    }
    wanted = Q(pk__in=[])
    if lead_schools:
        wanted |= Q(
            school__in=lead_schools,
            state__in=[State.REGISTERED, State.SELF_REVIEW, State.VALIDATED],
        )
    if contributor_schools:
        wanted |= Q(
            school__in=contributor_schools,
            state__in=[State.REGISTERED, State.SELF_REVIEW],
            assignments__person=user,
        )
    if Role.MENTOR in roles:
        wanted |= Q(mentor=user, state=State.SUBMITTED)
    if roles & {Role.PANEL_CHAIR, Role.AUTHORITY_ADMIN}:
        wanted |= Q(state__in=[State.PORTFOLIO_SUBMITTED, State.READY_FOR_VISIT])
    if Role.PANEL_CHAIR in roles:
        wanted |= Q(state__in=[State.REPORTED, State.WITH_PANEL])
    if Role.MODERATOR in roles:
        wanted |= Q(state=State.VISIT_PLANNED, visit__moderators=user)
    if roles & {Role.PANEL_MEMBER, Role.PANEL_CHAIR}:
        wanted |= Q(state=State.WITH_PANEL) & ~Q(panel_vote__ballots__member=user) & ~Q(mentor=user)
    cycles = (
        Cycle.objects.filter(wanted).select_related("school").distinct().order_by("school__name")
    )
    return [task for cycle in cycles if (task := _task(cycle, user, roles, lead_schools, slug))]


def _task(cycle, user, roles, lead_schools, slug):
    school = cycle.school.name
    cycle_url = reverse("assessments:cycle", args=[slug, cycle.pk])
    if cycle.state in (State.REGISTERED, State.SELF_REVIEW) and cycle.mentor_id != user.pk:
        return Task(f"{school}: work on the self-review", cycle_url)
    if cycle.state == State.SUBMITTED:
        return Task(
            f"{school}: validate the self-review",
            reverse("assessments:review", args=[slug, cycle.pk]),
        )
    if cycle.state == State.VALIDATED and cycle.school_id in lead_schools:
        return Task(
            f"{school}: build and submit the portfolio of evidence",
            reverse("portfolios:portfolio", args=[slug, cycle.pk]),
        )
    if cycle.state == State.PORTFOLIO_SUBMITTED:
        return Task(f"{school}: desk-check the portfolio", reverse("moderation:queue", args=[slug]))
    if cycle.state == State.READY_FOR_VISIT:
        return Task(
            f"{school}: assign two moderators and a date",
            reverse("moderation:visit", args=[slug, cycle.pk]),
        )
    if cycle.state == State.VISIT_PLANNED:
        return Task(
            f"{school}: record the visit and write the report",
            reverse("moderation:report", args=[slug, cycle.pk]),
        )
    if cycle.state == State.REPORTED:
        return Task(
            f"{school}: open the panel's vote", reverse("moderation:panel", args=[slug, cycle.pk])
        )
    if cycle.state == State.WITH_PANEL:
        text = "vote, or record the decision" if Role.PANEL_CHAIR in roles else "cast your vote"
        return Task(f"{school}: {text}", reverse("moderation:panel", args=[slug, cycle.pk]))
    return None
