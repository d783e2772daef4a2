from django import template

from awards.domain import current_awards

register = template.Library()


@register.simple_tag
def current_award(school):
    """The school's award in force today, or None."""
    return current_awards(school).first()


@register.simple_tag
def plaque_of(award):
    """The award's plaque, or None while no date of it is recorded."""
    return getattr(award, "plaque", None)
