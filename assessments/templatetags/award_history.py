from django import template

from assessments.history import school_history as read_history

register = template.Library()


@register.simple_tag
def school_history(school):
    """The school's award history and eligibility (assessments.history), for its page."""
    return read_history(school)
