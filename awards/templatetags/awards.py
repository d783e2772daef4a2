from django import template

from awards.domain import highest_current_award

register = template.Library()


@register.simple_tag
def current_award(school):
    """The school's highest award in force today, or None."""
    return highest_current_award(school)


@register.simple_tag
def plaque_of(award):
    """The award's plaque, or None while no date of it is recorded."""
    return getattr(award, "plaque", None)
