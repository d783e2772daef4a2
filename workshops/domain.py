"""Workshops: scheduling and changing them, signing up and cancelling, the waiting list, and
attendance. Each change is one function: the rule (workshops/rules.py), the save, the audit log
and who is told, in one transaction.

Every change to a workshop's bookings first locks the workshop's row, so two people taking the
last place at once are served one after the other: one gets it, the other joins the waiting list.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from accounts.models import Membership, Role, User
from accounts.roles import school_ids
from audit.domain import record, snapshot
from schools.models import School

from .models import Booking, Workshop
from .rules import (
    may_cancel,
    may_choose_mentor,
    may_manage,
    may_record_attendance,
    may_schedule,
    may_sign_up,
)

Status = Booking.Status
FIELDS = ("title", "starts_at", "place", "capacity", "description", "mentor")

# Sent inside the transaction that gives a waiting person a place, with `booking` and `by`;
# notifications writes to them.
place_given = Signal()


class WorkshopError(Exception):
    """What the workshop's state does not allow now; the message says why."""


def _lock(workshop) -> Workshop:
    return Workshop.objects.select_for_update().get(pk=workshop.pk)


def _after(workshop) -> dict:
    return {
        **snapshot(workshop, FIELDS),
        "elements": sorted(e.number for e in workshop.elements.all()),
    }


def mentors(authority):
    """The people who may run the authority's workshops."""
    return User.objects.filter(
        pk__in=Membership.objects.filter(authority=authority, role=Role.MENTOR).values("user")
    ).order_by("full_name", "email")


def _check_details(authority, by, *, mentor, starts_at, capacity, moved, new_mentor) -> None:
    if new_mentor and mentor != by and not may_choose_mentor(by, authority):
        raise PermissionDenied("Only the authority admin chooses another mentor to run it.")
    if capacity < 1:
        raise ValidationError({"capacity": "A workshop has at least one place."})
    if moved and starts_at <= timezone.now():
        raise ValidationError({"starts_at": "Choose a date and time in the future."})
    if new_mentor and not mentors(authority).filter(pk=mentor.pk).exists():
        raise ValidationError({"mentor": f"{mentor} is not a mentor of this authority."})


@transaction.atomic
def schedule(*, authority, by, mentor, elements=(), **details) -> Workshop:
    """A new workshop, run by `mentor`: a mentor schedules their own, the admin for any mentor."""
    if not may_schedule(by, authority):
        raise PermissionDenied("Only mentors and the authority admin schedule workshops.")
    _check_details(
        authority,
        by,
        mentor=mentor,
        starts_at=details["starts_at"],
        capacity=details["capacity"],
        moved=True,
        new_mentor=True,
    )
    workshop = Workshop.objects.create(authority=authority, mentor=mentor, **details)
    workshop.elements.set(elements)
    record(
        authority=authority,
        actor=by,
        action="workshop.scheduled",
        obj=workshop,
        after=_after(workshop),
    )
    return workshop


@transaction.atomic
def update(*, workshop, by, elements=(), **details) -> Workshop:
    """Change a workshop. Its capacity cannot go below the places already given; more places go
    to the waiting list, first come first served."""
    workshop = _lock(workshop)
    if not may_manage(by, workshop):
        raise PermissionDenied("Only the workshop's mentor and the authority admin can change it.")
    booked = workshop.bookings.filter(status=Status.BOOKED).count()
    if details["capacity"] < booked:
        raise ValidationError(
            {
                "capacity": f"{booked} people already have a place: the capacity cannot be "
                f"less than {booked}."
            }
        )
    _check_details(
        workshop.authority,
        by,
        mentor=details["mentor"],
        starts_at=details["starts_at"],
        capacity=details["capacity"],
        moved=details["starts_at"] != workshop.starts_at,
        new_mentor=details["mentor"] != workshop.mentor,
    )
    before = _after(workshop)
    for name, value in details.items():
        setattr(workshop, name, value)
    workshop.save()
    workshop.elements.set(elements)
    record(
        authority=workshop.authority,
        actor=by,
        action="workshop.changed",
        obj=workshop,
        before=before,
        after=_after(workshop),
    )
    _fill_places(workshop, by)
    return workshop


def schools_of(person, authority):
    """The schools someone may book for: those where they are school staff."""
    return School.objects.filter(pk__in=school_ids(person, authority.pk)).order_by("name")


@transaction.atomic
def sign_up(*, workshop, by, school=None) -> Booking:
    """A place if one is left, else the end of the waiting list. Someone at several schools says
    which one they come for."""
    workshop = _lock(workshop)
    if not may_sign_up(by, workshop):
        raise PermissionDenied("Only school staff sign up for workshops.")
    if workshop.is_past:
        raise WorkshopError("This workshop has already taken place: it cannot be signed up to.")
    existing = workshop.bookings.filter(person=by).first()
    if existing:
        raise WorkshopError(
            "You already have a place at this workshop."
            if existing.status == Status.BOOKED
            else "You are already on this workshop's waiting list."
        )
    schools = list(schools_of(by, workshop.authority))
    if school is None and len(schools) == 1:
        school = schools[0]
    if school not in schools:
        raise ValidationError({"school": "Choose the school you are coming for."})
    full = workshop.bookings.filter(status=Status.BOOKED).count() >= workshop.capacity
    booking = Booking.objects.create(
        workshop=workshop,
        person=by,
        school=school,
        status=Status.WAITING if full else Status.BOOKED,
    )
    record(
        authority=workshop.authority,
        actor=by,
        action="workshop.waiting" if full else "workshop.booked",
        obj=workshop,
        school=school,
        person=by,
        after={"status": booking.status},
    )
    return booking


@transaction.atomic
def cancel(*, booking, by) -> None:
    """Give up one's own place (or place in the waiting list); a place given up goes to the first
    person waiting, who is told."""
    workshop = _lock(booking.workshop)
    booking = Booking.objects.filter(pk=booking.pk).first()
    if booking is None:
        raise WorkshopError("This booking has already been cancelled.")
    if not may_cancel(by, booking):
        raise PermissionDenied("You can cancel only your own booking.")
    if workshop.is_past:
        raise WorkshopError("This workshop has already taken place: the booking stands.")
    record(
        authority=workshop.authority,
        actor=by,
        action="workshop.cancelled",
        obj=workshop,
        school=booking.school,
        person=booking.person,
        before={"status": booking.status},
    )
    booking.delete()
    _fill_places(workshop, by)


def _fill_places(workshop, by) -> None:
    """Give the free places of a locked workshop to the people waiting, in the order they signed
    up, and tell each of them. Once it has begun, its lists stay as they were."""
    free = workshop.capacity - workshop.bookings.filter(status=Status.BOOKED).count()
    if free <= 0 or workshop.is_past:
        return
    waiting = workshop.bookings.filter(status=Status.WAITING).select_related("person", "school")
    for booking in waiting[:free]:
        booking.status = Status.BOOKED
        booking.save(update_fields=["status"])
        record(
            authority=workshop.authority,
            actor=by,
            action="workshop.place_given",
            obj=workshop,
            school=booking.school,
            person=booking.person,
            before={"status": Status.WAITING},
            after={"status": Status.BOOKED},
        )
        place_given.send(sender=Booking, booking=booking, by=by)


@transaction.atomic
def record_attendance(*, workshop, by, attended) -> None:
    """Who of those with a place came (`attended`: their bookings), once the workshop has begun;
    recorded again, it replaces the last record."""
    workshop = _lock(workshop)
    if not may_manage(by, workshop):
        raise PermissionDenied(
            "Only the workshop's mentor and the authority admin record attendance."
        )
    if not may_record_attendance(by, workshop):
        raise WorkshopError("Attendance can be recorded once the workshop has taken place.")
    booked = list(workshop.bookings.filter(status=Status.BOOKED))
    came = {b.pk for b in attended}
    before = {str(b.person_id): b.attended for b in booked}
    for booking in booked:
        booking.attended = booking.pk in came
    Booking.objects.bulk_update(booked, ["attended"])
    record(
        authority=workshop.authority,
        actor=by,
        action="workshop.attendance",
        obj=workshop,
        before=before,
        after={str(b.person_id): b.attended for b in booked},
    )
