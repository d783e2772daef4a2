"""Workshops: who may schedule and change them, signing up, the waiting list and its order,
promotion on a cancellation (with its email), capacity, past workshops, attendance, the pages,
the school's attended workshops, and two people taking the last place at once."""

import re
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from accounts.models import Role
from audit.models import AuditEntry
from notifications.models import OutboxMessage
from workshops import domain
from workshops.models import Booking, Workshop

from .factories import MembershipFactory, SchoolFactory, UserFactory

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=LONDON)
STARTS = datetime(2027, 3, 14, 15, 30, tzinfo=LONDON)
Status = Booking.Status


@pytest.fixture(autouse=True)
def _march_2027():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def scoped(world):
    with scope(authority=world.authority):
        yield world


def details(**changes):
    return {
        "title": "Inclusive practice in the early years",
        "starts_at": STARTS,
        "place": "Guildhall, Bath",
        "capacity": 2,
        "description": "",
        **changes,
    }


def schedule(world, by=None, mentor=None, **changes) -> Workshop:
    mentor = mentor or world.people["mentor"]
    return domain.schedule(
        authority=world.authority, by=by or mentor, mentor=mentor, **details(**changes)
    )


def statuses(workshop):
    return [
        (b.person.email, b.status)
        for b in Booking.objects.filter(workshop=workshop).select_related("person")
    ]


def actions(workshop):
    return list(
        AuditEntry.objects.filter(object_type="workshops.Workshop", object_id=str(workshop.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )


def emails():
    return list(
        OutboxMessage.objects.filter(key="workshop.place_given")
        .order_by("pk")
        .values_list("to", "subject")
    )


# Scheduling and changing


def test_a_mentor_schedules_their_own_workshop(scoped):
    world = scoped
    elements = list(world.cycle.framework.elements.filter(number__in=[1, 5]))
    workshop = domain.schedule(
        authority=world.authority,
        by=world.people["mentor"],
        mentor=world.people["mentor"],
        elements=elements,
        **details(),
    )
    assert (workshop.mentor, workshop.capacity, workshop.starts_at) == (
        world.people["mentor"],
        2,
        STARTS,
    )
    assert sorted(e.number for e in workshop.elements.all()) == [1, 5]
    entry = AuditEntry.objects.get(action="workshop.scheduled")
    assert (entry.actor, entry.after["capacity"], entry.after["elements"]) == (
        world.people["mentor"],
        2,
        [1, 5],
    )


def test_the_admin_schedules_for_a_mentor_but_not_for_someone_else(scoped):
    world = scoped
    admin = world.people["authority_admin"]
    workshop = schedule(world, by=admin, mentor=world.others["other_mentor"])
    assert workshop.mentor == world.others["other_mentor"]
    with pytest.raises(ValidationError) as refused:
        schedule(world, by=admin, mentor=world.people["moderator"])
    assert refused.value.message_dict == {
        "mentor": ["Moderator is not a mentor of this authority."]
    }


def test_a_mentor_schedules_only_their_own(scoped):
    with pytest.raises(PermissionDenied):
        schedule(scoped, by=scoped.people["mentor"], mentor=scoped.others["other_mentor"])
    assert Workshop.objects.count() == 0


@pytest.mark.parametrize("who", ["school_coordinator", "moderator", "panel_chair"])
def test_only_mentors_and_the_admin_schedule(scoped, who):
    with pytest.raises(PermissionDenied):
        schedule(scoped, by=scoped.people[who])
    assert Workshop.objects.count() == 0


def test_a_workshop_has_at_least_one_place(scoped):
    with pytest.raises(ValidationError) as refused:
        schedule(scoped, capacity=0)
    assert refused.value.message_dict == {"capacity": ["A workshop has at least one place."]}
    assert Workshop.objects.count() == 0


def test_a_workshop_is_scheduled_in_the_future(scoped):
    with pytest.raises(ValidationError) as refused:
        schedule(scoped, starts_at=NOW)
    assert refused.value.message_dict == {"starts_at": ["Choose a date and time in the future."]}
    assert Workshop.objects.count() == 0


def test_only_its_mentor_and_the_admin_change_a_workshop(scoped):
    world = scoped
    workshop = schedule(world)
    with pytest.raises(PermissionDenied):
        domain.update(
            workshop=workshop,
            by=world.others["other_mentor"],
            **details(title="Taken over", mentor=world.people["mentor"]),
        )
    domain.update(
        workshop=workshop,
        by=world.people["authority_admin"],
        **details(title="Renamed", mentor=world.people["mentor"]),
    )
    workshop.refresh_from_db()
    assert workshop.title == "Renamed"
    assert actions(workshop) == ["workshop.scheduled", "workshop.changed"]


# Signing up and the waiting list


def test_places_then_the_waiting_list_in_the_order_people_signed_up(scoped):
    world = scoped
    workshop = schedule(world, capacity=2)
    people = [
        world.people["school_coordinator"],
        world.people["head_teacher"],
        world.others["other_school_coordinator"],
        world.people["school_contributor"],
    ]
    for person in people:
        domain.sign_up(workshop=workshop, by=person)
    assert statuses(workshop) == [
        ("school_coordinator@bathnes.test", Status.BOOKED),
        ("head_teacher@bathnes.test", Status.BOOKED),
        ("other_school_coordinator@bathnes.test", Status.WAITING),
        ("school_contributor@bathnes.test", Status.WAITING),
    ]
    other = Booking.objects.get(person=world.others["other_school_coordinator"])
    assert other.school == world.other_school
    assert (
        actions(workshop)
        == ["workshop.scheduled"] + ["workshop.booked"] * 2 + ["workshop.waiting"] * 2
    )


def test_no_one_signs_up_twice(scoped):
    world = scoped
    workshop = schedule(world, capacity=1)
    coordinator, head = world.people["school_coordinator"], world.people["head_teacher"]
    domain.sign_up(workshop=workshop, by=coordinator)
    domain.sign_up(workshop=workshop, by=head)
    with pytest.raises(domain.WorkshopError, match="You already have a place at this workshop."):
        domain.sign_up(workshop=workshop, by=coordinator)
    with pytest.raises(domain.WorkshopError, match="already on this workshop's waiting list"):
        domain.sign_up(workshop=workshop, by=head)
    assert Booking.objects.count() == 2


@pytest.mark.parametrize("who", ["mentor", "authority_admin", "moderator", "panel_member"])
def test_only_school_staff_sign_up(scoped, who):
    workshop = schedule(scoped)
    with pytest.raises(PermissionDenied):
        domain.sign_up(workshop=workshop, by=scoped.people[who])
    assert Booking.objects.count() == 0


def test_a_past_workshop_cannot_be_signed_up_to(scoped):
    workshop = schedule(scoped)
    with time_machine.travel(STARTS, tick=False):
        with pytest.raises(domain.WorkshopError, match="already taken place"):
            domain.sign_up(workshop=workshop, by=scoped.people["school_coordinator"])
    assert Booking.objects.count() == 0


def test_someone_at_several_schools_says_which_school_they_come_for(scoped):
    world = scoped
    coordinator = world.people["school_coordinator"]
    MembershipFactory(
        authority=world.authority,
        user=coordinator,
        role=Role.SCHOOL_COORDINATOR,
        school=world.other_school,
    )
    workshop = schedule(world)
    with pytest.raises(ValidationError) as refused:
        domain.sign_up(workshop=workshop, by=coordinator)
    assert refused.value.message_dict == {"school": ["Choose the school you are coming for."]}
    stranger = SchoolFactory(authority=world.authority, area=world.area)
    with pytest.raises(ValidationError):
        domain.sign_up(workshop=workshop, by=coordinator, school=stranger)
    booking = domain.sign_up(workshop=workshop, by=coordinator, school=world.other_school)
    assert (booking.school, booking.status) == (world.other_school, Status.BOOKED)


# Cancelling


def test_a_cancelled_place_goes_to_the_first_waiting_who_is_emailed(scoped):
    world = scoped
    workshop = schedule(world, capacity=1)
    coordinator, head = world.people["school_coordinator"], world.people["head_teacher"]
    other = world.others["other_school_coordinator"]
    first = domain.sign_up(workshop=workshop, by=coordinator)
    for person in (other, head):
        domain.sign_up(workshop=workshop, by=person)
    domain.cancel(booking=first, by=coordinator)
    assert statuses(workshop) == [
        ("other_school_coordinator@bathnes.test", Status.BOOKED),
        ("head_teacher@bathnes.test", Status.WAITING),
    ]
    assert emails() == [
        (
            "other_school_coordinator@bathnes.test",
            "You have a place: Inclusive practice in the early years",
        )
    ]
    body = OutboxMessage.objects.get(key="workshop.place_given").body
    assert "on Sunday 14 March 2027, 15:30 (Guildhall, Bath)" in body
    assert f"/bathnes/workshops/{workshop.pk}/" in body
    assert actions(workshop)[-2:] == ["workshop.cancelled", "workshop.place_given"]


def test_leaving_the_waiting_list_gives_no_one_a_place(scoped):
    world = scoped
    workshop = schedule(world, capacity=1)
    domain.sign_up(workshop=workshop, by=world.people["school_coordinator"])
    waiting = domain.sign_up(workshop=workshop, by=world.people["head_teacher"])
    domain.sign_up(workshop=workshop, by=world.people["school_contributor"])
    domain.cancel(booking=waiting, by=world.people["head_teacher"])
    assert statuses(workshop) == [
        ("school_coordinator@bathnes.test", Status.BOOKED),
        ("school_contributor@bathnes.test", Status.WAITING),
    ]
    assert emails() == []


@pytest.mark.parametrize("who", ["head_teacher", "authority_admin", "mentor"])
def test_only_ones_own_booking_is_cancelled(scoped, who):
    workshop = schedule(scoped)
    booking = domain.sign_up(workshop=workshop, by=scoped.people["school_coordinator"])
    with pytest.raises(PermissionDenied):
        domain.cancel(booking=booking, by=scoped.people[who])
    assert Booking.objects.count() == 1


def test_a_booking_stands_once_the_workshop_has_taken_place(scoped):
    workshop = schedule(scoped)
    booking = domain.sign_up(workshop=workshop, by=scoped.people["school_coordinator"])
    with time_machine.travel(STARTS + timedelta(hours=2), tick=False):
        with pytest.raises(domain.WorkshopError, match="the booking stands"):
            domain.cancel(booking=booking, by=scoped.people["school_coordinator"])
    assert Booking.objects.count() == 1


# Capacity


def test_capacity_cannot_go_below_the_places_given(scoped):
    world = scoped
    workshop = schedule(world, capacity=2)
    for who in ("school_coordinator", "head_teacher"):
        domain.sign_up(workshop=workshop, by=world.people[who])
    with pytest.raises(ValidationError) as refused:
        domain.update(
            workshop=workshop,
            by=world.people["mentor"],
            **details(capacity=1, mentor=world.people["mentor"]),
        )
    assert refused.value.message_dict == {
        "capacity": ["2 people already have a place: the capacity cannot be less than 2."]
    }
    workshop.refresh_from_db()
    assert workshop.capacity == 2


def test_more_places_go_to_the_waiting_list_in_order(scoped):
    world = scoped
    workshop = schedule(world, capacity=1)
    for person in (
        world.people["school_coordinator"],
        world.people["head_teacher"],
        world.others["other_school_coordinator"],
        world.people["school_contributor"],
    ):
        domain.sign_up(workshop=workshop, by=person)
    domain.update(
        workshop=workshop,
        by=world.people["mentor"],
        **details(capacity=3, mentor=world.people["mentor"]),
    )
    assert [status for _, status in statuses(workshop)] == [Status.BOOKED] * 3 + [Status.WAITING]
    assert [to for to, _ in emails()] == [
        "head_teacher@bathnes.test",
        "other_school_coordinator@bathnes.test",
    ]


# Attendance


def _held(world):
    workshop = schedule(world, capacity=2)
    came = domain.sign_up(workshop=workshop, by=world.people["school_coordinator"])
    missed = domain.sign_up(workshop=workshop, by=world.others["other_school_coordinator"])
    waiting = domain.sign_up(workshop=workshop, by=world.people["head_teacher"])
    return workshop, came, missed, waiting


def test_attendance_only_after_the_workshop_has_begun(scoped):
    workshop, came, _, _ = _held(scoped)
    with pytest.raises(domain.WorkshopError, match="once the workshop has taken place"):
        domain.record_attendance(workshop=workshop, by=scoped.people["mentor"], attended=[came])
    assert list(Booking.objects.values_list("attended", flat=True)) == [None, None, None]


def test_its_mentor_records_who_came(scoped):
    workshop, came, missed, waiting = _held(scoped)
    with time_machine.travel(STARTS + timedelta(hours=2), tick=False):
        domain.record_attendance(workshop=workshop, by=scoped.people["mentor"], attended=[came])
    assert dict(Booking.objects.values_list("pk", "attended")) == {
        came.pk: True,
        missed.pk: False,
        waiting.pk: None,
    }
    entry = AuditEntry.objects.get(action="workshop.attendance")
    assert entry.after == {
        str(came.person_id): True,
        str(missed.person_id): False,
    }


@pytest.mark.parametrize("who", ["other_mentor", "school_coordinator"])
def test_only_its_mentor_or_the_admin_records_attendance(scoped, who):
    workshop, came, _, _ = _held(scoped)
    person = {**scoped.people, **scoped.others}[who]
    with time_machine.travel(STARTS + timedelta(hours=2), tick=False):
        with pytest.raises(PermissionDenied):
            domain.record_attendance(workshop=workshop, by=person, attended=[came])
        domain.record_attendance(
            workshop=workshop, by=scoped.people["authority_admin"], attended=[came]
        )
    assert Booking.objects.get(pk=came.pk).attended is True


# Pages


def _client(client, user):
    client.force_login(user)
    return client


def attended_rows(response) -> list:
    section = response.content.decode().split('id="workshops-attended"')[1].split("</section>")[0]
    return [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr><td>.*?</tr>", section)]


def test_the_schools_page_shows_the_workshops_its_staff_attended(client, scoped):
    world = scoped
    workshop, came, _, _ = _held(world)
    later = schedule(world, title="Pupil voice", starts_at=STARTS + timedelta(days=30))
    domain.sign_up(workshop=later, by=world.people["school_contributor"])
    with time_machine.travel(STARTS + timedelta(days=31), tick=False):
        domain.record_attendance(workshop=workshop, by=world.people["mentor"], attended=[came])
        domain.record_attendance(
            workshop=later,
            by=world.people["mentor"],
            attended=Booking.objects.filter(workshop=later),
        )
        response = _client(client, world.people["head_teacher"]).get(
            reverse("schools:detail", args=["bathnes", world.school.pk])
        )
    assert attended_rows(response) == [
        ["Pupil voice", "13 April 2027", "School contributor"],
        ["Inclusive practice in the early years", "14 March 2027", "School coordinator"],
    ]


def test_the_other_schools_page_shows_none(client, scoped):
    world = scoped
    workshop, came, _, _ = _held(world)
    with time_machine.travel(STARTS + timedelta(hours=2), tick=False):
        domain.record_attendance(workshop=workshop, by=world.people["mentor"], attended=[came])
    response = _client(client, world.people["authority_admin"]).get(
        reverse("schools:detail", args=["bathnes", world.other_school.pk])
    )
    assert attended_rows(response) == []
    assert "No one from this school has attended a workshop yet." in response.content.decode()


def test_the_list_shows_upcoming_soonest_first_then_past_latest_first(client, scoped):
    world = scoped
    for title, days in [("Later", 20), ("Sooner", 5)]:
        schedule(world, title=title, starts_at=NOW + timedelta(days=days))
    for title, days in [("Long ago", 60), ("Lately", 10)]:
        with time_machine.travel(NOW - timedelta(days=days + 1), tick=False):
            schedule(world, title=title, starts_at=NOW - timedelta(days=days))
    full = Workshop.objects.get(title="Sooner")
    full.capacity = 1
    full.save()
    for who in ("school_coordinator", "head_teacher"):
        domain.sign_up(workshop=full, by=world.people[who])
    response = _client(client, world.people["head_teacher"]).get(
        reverse("workshops:list", args=["bathnes"])
    )
    assert [w.title for w in response.context["upcoming"]] == ["Sooner", "Later"]
    assert [w.title for w in response.context["past"]] == ["Lately", "Long ago"]
    sooner = response.context["upcoming"][0]
    assert (sooner.places_left, sooner.waiting, sooner.my_status) == (0, 1, Status.WAITING)
    later = response.context["upcoming"][1]
    assert (later.places_left, later.waiting, later.my_status) == (2, 0, None)


@pytest.mark.parametrize("count", [1, 3])
def test_the_list_query_count_does_not_grow(client, scoped, django_assert_num_queries, count):
    world = scoped
    for n in range(count):
        workshop = schedule(world, title=f"Workshop {n}")
        domain.sign_up(workshop=workshop, by=world.people["school_coordinator"])
    client = _client(client, world.people["school_coordinator"])
    # session, user, memberships with their authorities (the page's too), count, page, the
    # person's bookings
    with django_assert_num_queries(6):
        response = client.get(reverse("workshops:list", args=["bathnes"]))
    assert len(response.context["upcoming"]) == count


def test_the_navigation_links_to_workshops_for_those_who_see_them(client, world):
    seen = {}
    for who in ("mentor", "school_contributor", "authority_admin", "moderator", "panel_chair"):
        client.force_login(world.people[who])
        page = client.get(reverse("dashboard", args=["bathnes"])).content.decode()
        seen[who] = 'href="/bathnes/workshops/">Workshops</a>' in page
    assert seen == {
        "mentor": True,
        "school_contributor": True,
        "authority_admin": True,
        "moderator": False,
        "panel_chair": False,
    }


def test_signing_up_joining_the_waiting_list_and_cancelling_through_the_pages(client, scoped):
    world = scoped
    workshop = schedule(world, capacity=1)
    detail = reverse("workshops:detail", args=["bathnes", workshop.pk])
    sign_up = reverse("workshops:sign_up", args=["bathnes", workshop.pk])
    coordinator = _client(client, world.people["school_coordinator"])
    response = coordinator.post(sign_up, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["You have a place at this workshop."]
    head = _client(client.__class__(), world.people["head_teacher"])
    response = head.post(sign_up, follow=True)
    assert response.context["waiting_position"] == 1
    assert "You are number 1 on the waiting list" in response.content.decode()
    booking = Booking.objects.get(person=world.people["school_coordinator"])
    coordinator.post(reverse("workshops:cancel", args=["bathnes", workshop.pk, booking.pk]))
    response = head.get(detail)
    assert response.context["mine"].status == Status.BOOKED
    assert "You have a place, for Chandag Infant." in response.content.decode()
    mentor = _client(client.__class__(), world.people["mentor"])
    response = mentor.get(detail)
    assert [b.person.email for b in response.context["booked"]] == ["head_teacher@bathnes.test"]
    assert response.context["waiting"] == []


def test_the_form_refuses_a_capacity_below_the_places_given(client, scoped):
    world = scoped
    workshop = schedule(world, capacity=2)
    for who in ("school_coordinator", "head_teacher"):
        domain.sign_up(workshop=workshop, by=world.people[who])
    response = _client(client, world.people["mentor"]).post(
        reverse("workshops:edit", args=["bathnes", workshop.pk]),
        {
            "title": workshop.title,
            "starts_at": "2027-03-14T15:30",
            "place": workshop.place,
            "capacity": "1",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "capacity": ["2 people already have a place: the capacity cannot be less than 2."]
    }
    workshop.refresh_from_db()
    assert workshop.capacity == 2


def test_the_admin_schedules_through_the_form(client, scoped):
    world = scoped
    element = world.cycle.framework.elements.get(number=8)
    response = _client(client, world.people["authority_admin"]).post(
        reverse("workshops:create", args=["bathnes"]),
        {
            "title": "Working with parents",
            "starts_at": "2027-04-02T16:00",
            "place": "Keynsham Civic Centre",
            "capacity": "12",
            "mentor": world.people["mentor"].pk,
            "elements": [element.pk],
            "description": "Bring your home-school agreement.",
        },
    )
    workshop = Workshop.objects.get()
    assert response["Location"] == reverse("workshops:detail", args=["bathnes", workshop.pk])
    assert (workshop.mentor, workshop.starts_at, list(workshop.elements.all())) == (
        world.people["mentor"],
        datetime(2027, 4, 2, 16, 0, tzinfo=LONDON),
        [element],
    )


# Two people, one place


@pytest.mark.django_db(transaction=True)
def test_two_people_taking_the_last_place_at_once(world, monkeypatch):
    """Each in its own thread and database connection. Once past the workshop's lock, each waits
    (up to two seconds) for the other to get past it too: with the row lock the other cannot, so
    they are served one after the other, and one gets the place while the other waits. Without
    the lock both would count the place as free and both would take it."""
    with scope(authority=world.authority):
        workshop = schedule(world, capacity=1)
    people = [world.people["school_coordinator"], world.others["other_school_coordinator"]]
    start, both_past_the_lock = threading.Barrier(2), threading.Barrier(2)
    lock = domain._lock

    def lock_then_wait_for_the_other(workshop):
        locked = lock(workshop)
        try:
            both_past_the_lock.wait(timeout=2)
        except threading.BrokenBarrierError:
            pass  # the other is held at the lock, as it should be
        return locked

    monkeypatch.setattr(domain, "_lock", lock_then_wait_for_the_other)
    errors = []

    def take_place(person):
        try:
            with scope(authority=world.authority):
                start.wait(timeout=10)
                domain.sign_up(workshop=workshop, by=person)
        except Exception as error:  # reported below: a thread's exception is otherwise lost
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=take_place, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    with scopes_disabled():
        assert sorted(Booking.objects.values_list("status", flat=True)) == [
            Status.BOOKED,
            Status.WAITING,
        ]


def test_another_authoritys_workshop_is_not_found(client, world):
    outsider_mentor = UserFactory()
    MembershipFactory(authority=world.outsider_authority, user=outsider_mentor, role=Role.MENTOR)
    with scope(authority=world.outsider_authority):
        theirs = domain.schedule(
            authority=world.outsider_authority,
            by=outsider_mentor,
            mentor=outsider_mentor,
            **details(),
        )
    for who, person in {**world.people, **world.others}.items():
        client.force_login(person)
        for name in ("detail", "edit"):
            response = client.get(reverse(f"workshops:{name}", args=["bathnes", theirs.pk]))
            assert (who, name, response.status_code) == (who, name, 404)


@pytest.mark.parametrize("count", [1, 3])
def test_the_workshop_page_query_count_does_not_grow(
    client, scoped, django_assert_num_queries, count
):
    world = scoped
    workshop = schedule(world, capacity=2)
    people = [
        world.people["school_coordinator"],
        world.people["head_teacher"],
        world.others["other_school_coordinator"],
    ]
    for person in people[:count]:
        domain.sign_up(workshop=workshop, by=person)
    client = _client(client, world.people["mentor"])
    # session, user, memberships with their authorities (the page's too), the workshop, its
    # bookings, its elements
    with django_assert_num_queries(6):
        response = client.get(reverse("workshops:detail", args=["bathnes", workshop.pk]))
    assert len(response.context["booked"]) + len(response.context["waiting"]) == count


def test_someone_at_two_schools_chooses_one_on_the_page(client, scoped):
    world = scoped
    coordinator = world.people["school_coordinator"]
    MembershipFactory(
        authority=world.authority,
        user=coordinator,
        role=Role.SCHOOL_COORDINATOR,
        school=world.other_school,
    )
    workshop = schedule(world)
    client = _client(client, coordinator)
    detail = reverse("workshops:detail", args=["bathnes", workshop.pk])
    form = client.get(detail).context["sign_up_form"]
    assert [label for _, label in form.fields["school"].choices] == [
        "Castle Primary",
        "Chandag Infant",
    ]
    client.post(
        reverse("workshops:sign_up", args=["bathnes", workshop.pk]),
        {"school": world.other_school.pk},
    )
    assert list(Booking.objects.values_list("school__name", "status")) == [
        ("Castle Primary", Status.BOOKED)
    ]
