from django import template

from workshops.models import Booking

register = template.Library()


@register.simple_tag
def attended_workshops(school) -> list:
    """(workshop, names of the school's staff who attended it), latest first."""
    attended = {}
    bookings = (
        Booking.objects.filter(school=school, attended=True)
        .select_related("workshop", "person")
        .order_by("-workshop__starts_at", "workshop", "person__full_name")
    )
    for booking in bookings:
        person = booking.person
        attended.setdefault(booking.workshop, []).append(person.full_name or person.email)
    return list(attended.items())
