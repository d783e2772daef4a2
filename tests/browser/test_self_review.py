"""The self-review in a browser: autosave, a conflict between two people, submission, the
mentor returning it and then validating it, with axe on every page."""

from urllib.parse import urlsplit

from django.utils import timezone
from django_scopes import scope
from playwright.sync_api import expect

from assessments.models import Cycle

from ..assessment_helpers import complete_self_review, review_all
from ..second_factor import app_if_needed, code_for
from .conftest import A11yGuard, visit

PASSWORD = "correct horse battery staple"


def sign_in(page, email, password=PASSWORD):
    """Signs in through the login page, and then as the person would: with a code from their
    authenticator app (made in the database first when their roles need one and they have none),
    or past the offer of one (optional roles, once)."""
    app = app_if_needed(email)
    visit(page, "/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    page.a11y.wait()
    pass_second_factor(page, app)


def pass_second_factor(page, app):
    """After the password: the code the person's app shows now, or "Not now" to the offer."""
    path = urlsplit(page.url).path
    if path == "/accounts/two-factor/":
        assert app is not None, "the code page, for a person with no app"
        page.get_by_label("Code").fill(code_for(app))
        page.get_by_role("button", name="Continue").click()
        page.a11y.wait()
    elif path == "/accounts/two-factor/offer/":
        page.get_by_role("link", name="Not now").click()
        page.a11y.wait()


def second_tab(browser, axe, base_url):
    context = browser.new_context(
        base_url=base_url, locale="en-GB", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.a11y = A11yGuard(page, axe)
    return page


def test_self_review_autosave_conflict_submit_return_and_validate(
    page, browser, axe, base_url, world
):
    with scope(authority=world.authority):
        walk_through_the_self_review(page, browser, axe, base_url, world)


def walk_through_the_self_review(page, browser, axe, base_url, world):
    cycle = world.cycle
    element_path = (
        f"/bathnes/cycles/{cycle.pk}/elements/{cycle.framework.elements.get(number=1).pk}/"
    )

    # The head teacher opens element 1 first and leaves the tab open.
    head = second_tab(browser, axe, base_url)
    sign_in(head, "head_teacher@bathnes.test")
    visit(head, element_path)

    # The coordinator finds element 1 from the task list and fills it in; it saves as they type.
    sign_in(page, "school_coordinator@bathnes.test")
    page.get_by_role("navigation", name="Bath & North East Somerset").get_by_role(
        "link", name="Self-reviews"
    ).click()
    page.get_by_role("link", name="Chandag Infant").click()
    page.a11y.wait()  # loaded and checked before the next click leaves it
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Chandag Infant: Inclusion Quality Mark assessment {timezone.localdate().year}"
    )
    page.get_by_role("link", name="1. Pupil progress").click()
    page.a11y.wait()  # the page has loaded, so its autosave script listens before anything is typed
    expect(page).to_have_url(base_url + element_path)
    for statement in page.locator(".descriptor-ratings fieldset fieldset").all():
        statement.get_by_label("Established").check()
    page.get_by_role("group", name="Overall rating of this element").get_by_label(
        "Established"
    ).check()
    page.get_by_label("What the school does").fill(
        "Every pupil's progress is tracked each half term."
    )
    expect(page.get_by_role("status")).to_contain_text("Saved at")
    expect(page.get_by_role("status")).to_contain_text("by School coordinator")
    expect(
        page.locator("[data-count]").first.locator("xpath=following-sibling::div[1]")
    ).to_have_text("You have 4,951 characters remaining")
    page.a11y.check()

    # The head teacher, typing into the old copy, is shown both versions instead of overwriting.
    head.get_by_label("What the school does").fill("Written by the head from an old copy.")
    conflict = head.get_by_role("alert")
    saved_at = timezone.localtime(cycle.answers.get(element__number=1).updated_at).strftime("%H:%M")
    expect(conflict.get_by_role("heading", level=2)).to_have_text(
        f"School coordinator saved this element at {saved_at}, after you opened it"
    )
    expect(conflict).to_contain_text("Every pupil's progress is tracked each half term.")
    expect(conflict).to_contain_text("Written by the head from an old copy.")
    head.a11y.check()
    cycle.refresh_from_db()
    answer = cycle.answers.get(element__number=1)
    assert (answer.version, answer.practice) == (
        1,
        "Every pupil's progress is tracked each half term.",
    )
    head.get_by_role("link", name="Use their version").click()
    head.a11y.wait()
    expect(head.get_by_label("What the school does")).to_have_value(
        "Every pupil's progress is tracked each half term."
    )

    # The rest of the self-review is filled in; the head teacher submits it.
    complete_self_review(world)
    visit(head, f"/bathnes/cycles/{cycle.pk}/")
    expect(head.get_by_text("10 of 10 elements complete")).to_be_visible()
    head.get_by_role("link", name="Submit to the mentor").click()
    head.a11y.wait()
    expect(head.get_by_role("heading", level=1)).to_have_text("Submit the self-review to Mentor?")
    head.get_by_role("button", name="Submit to the mentor").click()
    head.a11y.wait()
    expect(head.get_by_role("status").filter(has_text="sent to")).to_have_text(
        "The self-review has been sent to Mentor."
    )
    cycle.refresh_from_db()
    assert cycle.state == Cycle.State.SUBMITTED

    # The mentor returns it with a comment; the school sees the comment.
    mentor = second_tab(browser, axe, base_url)
    sign_in(mentor, "mentor@bathnes.test")
    visit(mentor, f"/bathnes/cycles/{cycle.pk}/")
    mentor.get_by_role("link", name="Validate the self-review").click()
    mentor.a11y.wait()
    mentor.get_by_label("What the school should change").fill(
        "Say more about your work with parents."
    )
    mentor.get_by_role("button", name="Return with comments").click()
    mentor.a11y.wait()
    cycle.refresh_from_db()
    assert cycle.state == Cycle.State.SELF_REVIEW
    visit(head, f"/bathnes/cycles/{cycle.pk}/")
    expect(head.get_by_role("region", name="Returned by your mentor")).to_contain_text(
        "Say more about your work with parents."
    )
    head.get_by_role("link", name="Submit to the mentor").click()
    head.a11y.wait()
    head.get_by_role("button", name="Submit to the mentor").click()
    head.a11y.wait()

    # The mentor agrees with most elements, adjusts element 3, and validates.
    review_all(world)
    visit(mentor, f"/bathnes/cycles/{cycle.pk}/review/")
    element3 = mentor.get_by_role("region", name="3. Leadership and management")
    element3.get_by_role("group", name="Or adjust the rating of element 3").get_by_label(
        "Developing"
    ).check()
    element3.get_by_label("Comment for the school").fill(
        "The development plan does not name inclusion yet."
    )
    expect(element3.get_by_role("status")).to_contain_text(
        "Adjusted from Established to Developing. Saved at"
    )
    expect(element3.get_by_role("status")).not_to_contain_text("Add a comment")
    mentor.get_by_role("button", name="Validate the self-review").click()
    mentor.a11y.wait()
    expect(mentor.get_by_role("status").filter(has_text="validated")).to_have_text(
        "The self-review is validated. The school can see your ratings and comments."
    )
    cycle.refresh_from_db()
    assert cycle.state == Cycle.State.VALIDATED

    mentor.get_by_role("link", name="Submitted and validated, side by side").click()
    mentor.a11y.wait()
    adjusted = mentor.get_by_role("row").filter(has=mentor.get_by_text("Adjusted", exact=True))
    expect(adjusted).to_have_count(1)
    expect(adjusted.get_by_role("rowheader")).to_have_text("3. Leadership and management")

    # The school writes a target of its action plan; one past its deadline is marked overdue.
    visit(head, f"/bathnes/cycles/{cycle.pk}/plan/")
    head.get_by_role("link", name="Add a target").click()
    head.a11y.wait()
    head.get_by_role("button", name="Save the target").click()
    head.a11y.wait()
    expect(
        head.get_by_role("alert").get_by_role("link", name="Action: This field is required.")
    ).to_be_visible()
    head.get_by_label("Element").select_option(label="3. Leadership and management")
    head.get_by_label("Action").fill("Name inclusion in the school development plan")
    head.get_by_label("Lead person").select_option(label="Head teacher")  # a person of the school
    head.get_by_label("Deadline").fill("2026-01-31")
    head.get_by_label("Success criteria").fill("Governors approve the revised plan")
    head.get_by_role("button", name="Save the target").click()
    head.a11y.wait()
    row = head.get_by_role("row").filter(has_text="Name inclusion in the school development plan")
    expect(row).to_contain_text("Overdue")
    expect(row).to_contain_text("Head teacher")

    for tab in (head, mentor):
        tab.a11y.finish()
        tab.context.close()


def test_a_dropped_connection_is_shown_and_the_save_retried_and_a_closed_tab_loses_nothing(
    page, browser, axe, base_url, world
):
    with scope(authority=world.authority):
        element = world.cycle.framework.elements.get(number=2)
    path = f"/bathnes/cycles/{world.cycle.pk}/elements/{element.pk}/"
    sign_in(page, "school_coordinator@bathnes.test")
    visit(page, path)

    def offline(route):
        route.abort("internetdisconnected") if route.request.method == "POST" else route.fallback()

    page.route("**/elements/**", offline)
    page.get_by_label("Strengths").fill("Typed while the network was down.")
    expect(page.get_by_role("status")).to_contain_text(
        "Not saved yet — will retry in 2 seconds. The connection was lost; your work is kept in "
        "this browser."
    )
    page.a11y.check()
    page.unroute("**/elements/**", offline)
    expect(page.get_by_role("status")).to_contain_text("Saved at", timeout=8000)
    with scope(authority=world.authority):
        assert (
            world.cycle.answers.get(element=element).strengths
            == "Typed while the network was down."
        )

    # Typed, then the page left before the save could go out: the next visit puts it back and
    # saves it.
    page.route("**/elements/**", offline)
    page.get_by_label("Evidence").fill("Typed just before the tab closed.")
    expect(page.get_by_role("status")).to_contain_text("Not saved")
    page.on("dialog", lambda dialog: dialog.accept())  # "Leave the page? Changes may not be saved."
    visit(page, f"/bathnes/cycles/{world.cycle.pk}/")
    page.unroute("**/elements/**", offline)
    with scope(authority=world.authority):
        assert world.cycle.answers.get(element=element).evidence == ""
    visit(page, path)
    expect(page.get_by_label("Evidence")).to_have_value("Typed just before the tab closed.")
    expect(page.get_by_role("status")).to_contain_text("Saved at")
    with scope(authority=world.authority):
        assert (
            world.cycle.answers.get(element=element).evidence == "Typed just before the tab closed."
        )
