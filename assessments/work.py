""" "My work": what needs the signed-in person in this authority, read from the workflow's steps."""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import OuterRef, Subquery
from django.urls import NoReverseMatch, reverse

from accounts.roles import memberships, school_ids

from . import outcomes, workflow
from .models import Assignment, Cycle


@dataclass
class Task:
    text: str
    url: str
    detail: str = ""  # what the person needs to know to do it, e.g. the panel's reasons


WORK_PER_PAGE = 10


def my_work(user, authority, page_number=None) -> Page:
    """A page of the tasks: the steps are tested on every cycle (in one pass, with its facts read
    once), but only the page's tasks are written out."""
    page = Paginator(workflow.tasks(user, authority), WORK_PER_PAGE).get_page(page_number)
    page.object_list = [_task(authority, cycle, step) for cycle, step in page.object_list]
    return page


def _task(authority, cycle, step) -> Task:
    try:
        url = reverse(step.page, args=[authority.slug, cycle.pk])
    except NoReverseMatch:  # a page of the authority's, not of one cycle (the desk check)
        url = reverse(step.page, args=[authority.slug])
    if step.name == "submit_portfolio" and cycle.return_comment:
        text = (
            f"{cycle.school.name}: the panel returned the portfolio; change it and submit it again"
        )
        return Task(text, url, cycle.return_comment)
    return Task(f"{cycle.school.name}: {step.task}", url)


@dataclass
class Case:
    """One of the person's cases, for the dashboard: its name, what happened and what comes next,
    and the elements given to them."""

    cycle: object
    name: str
    outcome: outcomes.Outcome
    elements: list


def my_cases(user, authority):
    """The cases the person is part of (their school's, those they mentor, those they visit), each
    its school's latest (a new cycle supersedes the last), by school: a query, for the dashboard to
    page through."""
    if not memberships(user, authority.pk):
        return Cycle.objects.none()
    latest = Cycle.objects.filter(school=OuterRef("school")).order_by("-created_at", "-pk")
    return (
        workflow.cycles_with_part(user, authority)
        .select_related("school", "mentor", "visit", "report")
        .filter(pk=Subquery(latest.values("pk")[:1]))
        .order_by("school__name", "pk")
    )


def cases(user, authority, cycles) -> list[Case]:
    """The dashboard's entries for these cycles (a page of `my_cases`): what their outcomes read,
    and the elements given to the person, are read for the page at once."""
    cycles = list(cycles)
    outcomes.read_outcomes_of(cycles)
    given = {}
    if school_ids(user, authority.pk, among={workflow.GIVEN_ELEMENTS}):
        assignments = Assignment.objects.filter(person=user.pk, cycle__in=cycles)
        for assignment in assignments.select_related("element").order_by("element__number"):
            given.setdefault(assignment.cycle_id, []).append(assignment.element)
    staff_of = school_ids(user, authority.pk)
    found = []
    for cycle in cycles:
        outcome = outcomes.outcome_of(cycle, for_school=cycle.school_id in staff_of)
        name = outcomes.case_name(cycle, outcome)
        found.append(Case(cycle, name, outcome, given.get(cycle.pk, [])))
    return found
