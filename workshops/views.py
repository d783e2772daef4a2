from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Count, F, Q, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from authorities.access import authority_view

from . import domain
from .forms import AttendanceForm, SignUpForm, WorkshopForm, elements_to_choose
from .models import Booking, Workshop
from .rules import (
    may_cancel,
    may_choose_mentor,
    may_manage,
    may_record_attendance,
    may_schedule,
    may_sign_up,
    may_view_workshops,
)

PAGE_SIZE = 20
Status = Booking.Status


def _require(predicate, user, obj):
    if not predicate(user, obj):
        raise PermissionDenied


def get_workshop(request, pk) -> Workshop:
    """One of the authority's workshops (another authority's is not found), for someone who may
    see its workshops."""
    workshop = get_object_or_404(Workshop.objects.select_related("mentor"), pk=pk)
    _require(may_view_workshops, request.user, workshop)
    return workshop


def with_counts(workshops):
    return workshops.annotate(
        booked=Count("bookings", filter=Q(bookings__status=Status.BOOKED)),
        waiting=Count("bookings", filter=Q(bookings__status=Status.WAITING)),
    )


@authority_view()
def workshop_list(request, authority_slug):
    """Upcoming workshops, soonest first, then past ones, latest first."""
    _require(may_view_workshops, request.user, request.authority)
    now = timezone.now()
    past = Case(When(starts_at__lte=now, then=Value(1)), default=Value(0))
    workshops = with_counts(Workshop.objects.select_related("mentor")).order_by(
        past,
        Case(When(starts_at__gt=now, then=F("starts_at"))).asc(nulls_last=True),
        F("starts_at").desc(),
        "pk",
    )
    page = Paginator(workshops, PAGE_SIZE).get_page(request.GET.get("page"))
    mine = dict(
        Booking.objects.filter(person=request.user, workshop__in=[w.pk for w in page]).values_list(
            "workshop", "status"
        )
    )
    for workshop in page:
        workshop.my_status = mine.get(workshop.pk)
        workshop.places_left = max(workshop.capacity - workshop.booked, 0)
    return render(
        request,
        "workshops/workshop_list.html",
        {
            "page": page,
            "upcoming": [w for w in page if w.starts_at > now],
            "past": [w for w in page if w.starts_at <= now],
            "can_schedule": may_schedule(request.user, request.authority),
            "books": may_sign_up(request.user, request.authority),
        },
    )


@authority_view()
def workshop_detail(request, authority_slug, pk):
    workshop = get_workshop(request, pk)
    user = request.user
    bookings = list(workshop.bookings.select_related("person", "school"))
    booked = [b for b in bookings if b.status == Status.BOOKED]
    waiting = [b for b in bookings if b.status == Status.WAITING]
    mine = next((b for b in bookings if b.person_id == user.pk), None)
    schools = domain.schools_of(user, request.authority)
    can_sign_up = may_sign_up(user, workshop) and not workshop.is_past and mine is None
    several = can_sign_up and len(schools) > 1
    return render(
        request,
        "workshops/workshop_detail.html",
        {
            "workshop": workshop,
            "elements": workshop.elements.order_by("number"),
            "booked": booked,
            "waiting": waiting,
            "places_left": max(workshop.capacity - len(booked), 0),
            "mine": mine,
            "waiting_position": waiting.index(mine) + 1 if mine in waiting else None,
            "can_manage": may_manage(user, workshop),
            "can_cancel": mine is not None and may_cancel(user, mine) and not workshop.is_past,
            "can_sign_up": can_sign_up,
            "books": may_sign_up(user, workshop),
            "sign_up_form": SignUpForm(schools=schools) if several else None,
            "attendance_form": AttendanceForm(workshop=workshop)
            if may_record_attendance(user, workshop)
            else None,
        },
    )


@authority_view()
def workshop_edit(request, authority_slug, pk=None):
    """Schedule a workshop (pk None) or change one."""
    user, authority = request.user, request.authority
    workshop = get_workshop(request, pk) if pk else None
    if workshop:
        _require(may_manage, user, workshop)
    else:
        _require(may_schedule, user, authority)
    choose_mentor = may_choose_mentor(user, authority)
    form = WorkshopForm(
        request.POST if request.method == "POST" else None,
        instance=workshop,
        mentors=domain.mentors(authority),
        elements=elements_to_choose(workshop),
        choose_mentor=choose_mentor,
    )
    if request.method == "POST" and form.is_valid():
        details = dict(form.cleaned_data)
        details.setdefault("mentor", workshop.mentor if workshop else user)
        try:
            if workshop:
                workshop = domain.update(workshop=workshop, by=user, **details)
            else:
                workshop = domain.schedule(authority=authority, by=user, **details)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"“{workshop.title}” saved.")
            return redirect("workshops:detail", authority_slug, workshop.pk)
    return render(request, "workshops/workshop_form.html", {"form": form, "workshop": workshop})


@require_POST
@authority_view()
def sign_up(request, authority_slug, pk):
    workshop = get_workshop(request, pk)
    _require(may_sign_up, request.user, workshop)
    form = SignUpForm(request.POST, schools=domain.schools_of(request.user, request.authority))
    school = form.cleaned_data["school"] if form.is_valid() else None
    try:
        booking = domain.sign_up(workshop=workshop, by=request.user, school=school)
    except domain.WorkshopError as error:
        messages.error(request, str(error))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            "You have a place at this workshop."
            if booking.status == Status.BOOKED
            else "The workshop is full: you are on the waiting list, and will be emailed if a "
            "place comes free.",
        )
    return redirect("workshops:detail", authority_slug, workshop.pk)


@require_POST
@authority_view()
def cancel(request, authority_slug, pk, booking_pk):
    workshop = get_workshop(request, pk)
    booking = get_object_or_404(Booking, pk=booking_pk, workshop=workshop)
    _require(may_cancel, request.user, booking)
    try:
        domain.cancel(booking=booking, by=request.user)
    except domain.WorkshopError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Your booking is cancelled.")
    return redirect("workshops:detail", authority_slug, workshop.pk)


@require_POST
@authority_view()
def attendance(request, authority_slug, pk):
    workshop = get_workshop(request, pk)
    _require(may_manage, request.user, workshop)
    form = AttendanceForm(request.POST, workshop=workshop)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["attended"]))
        return redirect("workshops:detail", authority_slug, workshop.pk)
    try:
        domain.record_attendance(
            workshop=workshop, by=request.user, attended=form.cleaned_data["attended"]
        )
    except domain.WorkshopError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Attendance recorded.")
    return redirect("workshops:detail", authority_slug, workshop.pk)
