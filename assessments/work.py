""" "My work": what needs the signed-in person in this authority, read from the workflow's steps."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from . import workflow


@dataclass
class Task:
    text: str
    url: str
    detail: str = ""  # what the person needs to know to do it, e.g. the panel's reasons


def my_work(user, authority) -> list[Task]:
    found = []
    for cycle, step in workflow.tasks(user, authority):
        try:
            url = reverse(step.page, args=[authority.slug, cycle.pk])
        except NoReverseMatch:  # a page of the authority's, not of one cycle (the desk check)
            url = reverse(step.page, args=[authority.slug])
        text, detail = f"{cycle.school.name}: {step.task}", ""
        if step.name == "submit_portfolio" and cycle.return_comment:
            text = (
                f"{cycle.school.name}: the panel returned the portfolio; "
                "change it and submit it again"
            )
            detail = cycle.return_comment
        found.append(Task(text, url, detail))
    return found
