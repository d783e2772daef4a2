"""Workshops in a browser: a mentor schedules one with a single place, a coordinator takes it, a
second school's coordinator joins the waiting list, the first cancels and the second is moved up,
sees it and is emailed; axe checks every page."""

from datetime import timedelta

from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from notifications.models import OutboxMessage
from workshops.models import Booking, Workshop

from .conftest import visit
from .test_self_review import sign_in


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.a11y.wait()


def open_workshop(page, title):
    visit(page, "/bathnes/")
    page.get_by_role("navigation", name="Bath & North East Somerset").get_by_role(
        "link", name="Workshops"
    ).click()
    page.a11y.wait()
    page.get_by_role("link", name=title).click()
    page.a11y.wait()


def test_a_workshop_with_one_place_and_a_waiting_list(page, world):
    title = "Inclusive practice in the early years"
    starts = timezone.localtime() + timedelta(days=30)

    sign_in(page, "mentor@bathnes.test")
    visit(page, "/bathnes/workshops/")
    expect(page.get_by_text("No workshops have been scheduled yet.")).to_be_visible()
    page.get_by_role("link", name="Schedule a workshop").click()
    page.a11y.wait()
    page.get_by_role("button", name="Schedule the workshop").click()
    page.a11y.wait()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Date and time").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Place").fill("Guildhall, Bath")
    page.get_by_label("Capacity").fill("1")
    page.get_by_role("group", name="Elements covered").get_by_label("1. Pupil progress").check()
    page.get_by_label("Description").fill("For early years leads.")
    page.get_by_role("button", name="Schedule the workshop").click()
    page.a11y.wait()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text("1 place: 1 left")).to_be_visible()
    sign_out(page)

    sign_in(page, "school_coordinator@bathnes.test")
    open_workshop(page, title)
    page.get_by_role("button", name="Sign up").click()
    page.a11y.wait()
    expect(page.get_by_role("status")).to_have_text("You have a place at this workshop.")
    expect(page.get_by_text("You have a place, for Chandag Infant.")).to_be_visible()
    sign_out(page)

    sign_in(page, "other_school_coordinator@bathnes.test")
    visit(page, "/bathnes/workshops/")
    row = page.get_by_role("row").filter(has_text=title)
    expect(row).to_contain_text("Full")
    page.get_by_role("link", name=title).click()
    page.a11y.wait()
    page.get_by_role("button", name="Join the waiting list").click()
    page.a11y.wait()
    expect(
        page.get_by_text("You are number 1 on the waiting list, for Castle Primary.")
    ).to_be_visible()
    sign_out(page)

    sign_in(page, "school_coordinator@bathnes.test")
    open_workshop(page, title)
    page.get_by_role("button", name="Cancel your place").click()
    page.a11y.wait()
    expect(page.get_by_role("status")).to_have_text("Your booking is cancelled.")
    expect(page.get_by_role("button", name="Sign up")).to_have_count(0)
    expect(page.get_by_role("button", name="Join the waiting list")).to_be_visible()
    sign_out(page)

    sign_in(page, "other_school_coordinator@bathnes.test")
    visit(page, "/bathnes/workshops/")
    expect(page.get_by_role("row").filter(has_text=title)).to_contain_text("You have a place")
    page.get_by_role("link", name=title).click()
    page.a11y.wait()
    expect(page.get_by_text("You have a place, for Castle Primary.")).to_be_visible()
    sign_out(page)

    sign_in(page, "mentor@bathnes.test")
    open_workshop(page, title)
    booked = page.get_by_role("table", name="Who has a place")
    expect(booked.get_by_role("row")).to_have_count(2)
    expect(booked.get_by_role("row").nth(1)).to_contain_text("Castle Primary")
    expect(page.get_by_text("No one is waiting.")).to_be_visible()

    with scopes_disabled():
        workshop = Workshop.objects.get()
        assert list(workshop.bookings.values_list("person__email", "status")) == [
            ("other_school_coordinator@bathnes.test", Booking.Status.BOOKED)
        ]
        assert list(
            OutboxMessage.objects.filter(key="workshop.place_given").values_list("to", "subject")
        ) == [("other_school_coordinator@bathnes.test", f"You have a place: {title}")]


def test_the_mentor_records_attendance_and_the_school_page_shows_it(page, world):
    with scopes_disabled():
        held = Workshop.objects.create(
            authority=world.authority,
            title="Building an inclusive classroom",
            starts_at=timezone.now() - timedelta(days=2),
            place="Guildhall, Bath",
            capacity=3,
            mentor=world.people["mentor"],
        )
        for person, school in [
            (world.people["head_teacher"], world.school),
            (world.others["other_school_coordinator"], world.other_school),
        ]:
            Booking.objects.create(
                workshop=held, person=person, school=school, status=Booking.Status.BOOKED
            )

    sign_in(page, "mentor@bathnes.test")
    visit(page, "/bathnes/workshops/")
    past = page.get_by_role("table", name="Past workshops")
    expect(past.get_by_role("row").nth(1)).to_contain_text("2 of 3")
    past.get_by_role("link", name="Building an inclusive classroom").click()
    page.a11y.wait()
    expect(page.get_by_role("button", name="Sign up")).to_have_count(0)
    who_came = page.get_by_role("group", name="Who came")
    who_came.get_by_label("Head teacher, Chandag Infant").check()
    page.get_by_role("button", name="Save attendance").click()
    page.a11y.wait()
    expect(page.get_by_role("status")).to_have_text("Attendance recorded.")
    booked = page.get_by_role("table", name="Who has a place")
    expect(booked.get_by_role("row").filter(has_text="Chandag Infant")).to_contain_text("Yes")
    expect(booked.get_by_role("row").filter(has_text="Castle Primary")).to_contain_text("No")

    visit(page, f"/bathnes/schools/{world.school.pk}/")
    attended = page.get_by_role("table", name="Workshops the school's staff attended")
    expect(attended.get_by_role("row").nth(1)).to_contain_text("Building an inclusive classroom")
    expect(attended.get_by_role("row").nth(1)).to_contain_text("Head teacher")
