from dataclasses import dataclass

from django import template

from feedback import domain
from feedback.forms import RatingForm, TesterForm

register = template.Library()


@dataclass(frozen=True)
class PageFeedback:
    score: domain.Score
    rating_form: RatingForm
    tester_form: TesterForm


@register.simple_tag
def page_feedback(authority, page) -> PageFeedback:
    """The empty forms for `page`, and its score so far (one query)."""
    return PageFeedback(
        score=domain.score(authority, page),
        rating_form=RatingForm(authority=authority, initial={"page": page}),
        tester_form=TesterForm(authority=authority, initial={"page": page}),
    )
