"""Issue 13's small things, in a browser at a phone's 320 CSS pixels: the autosave's conflict box
sits with the form rather than over it; wide tables scroll in a focusable region of their own
while the page never scrolls sideways; "Upload" with no file says what to do."""

from datetime import date

from django_scopes import scope
from playwright.sync_api import expect

from assessments import domain
from assessments.models import Target

from ..assessment_helpers import complete_answer_data, validate
from ..test_publishing import award, publish
from .conftest import visit
from .test_self_review import PASSWORD, sign_in

PHONE = {"width": 320, "height": 640}


def overlaps(a, b):
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_the_conflict_box_sits_above_the_form_not_over_it(page, world):
    page.set_viewport_size(PHONE)
    cycle = world.cycle
    with scope(authority=world.authority):
        element = cycle.framework.elements.get(number=1)
    sign_in(page, "head_teacher@bathnes.test")
    visit(page, f"/bathnes/cycles/{cycle.pk}/elements/{element.pk}/")

    # Someone else saves the element after the page was opened.
    with scope(authority=world.authority):
        domain.save_answer(
            cycle=cycle,
            element=element,
            by=world.people["school_coordinator"],
            version=0,
            data=complete_answer_data(element),
        )
    practice = page.get_by_label("What the school does")
    practice.fill("Written from an old copy.")
    conflict = page.get_by_role("alert")
    expect(conflict).to_contain_text("after you opened it")
    page.a11y.check()

    # Wherever the person scrolls, each field is clear of the box, and the box is whole.
    fields = page.locator("#answer-form").locator("textarea, input[type=radio]")
    assert fields.count() > 10
    for field in [practice, fields.first, fields.last]:
        field.scroll_into_view_if_needed()
        assert not overlaps(conflict.bounding_box(), field.bounding_box())
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.set_viewport_size({"width": 1280, "height": 900})
    practice.scroll_into_view_if_needed()
    assert not overlaps(conflict.bounding_box(), practice.bounding_box())


def _scrolls_in_its_own_region(page, name):
    """The page fits 320 px; the table named `name` scrolls inside a focusable region named by
    its caption, reached with the Tab key, with a visible cue."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    region = page.get_by_role("region", name=name, exact=True)
    expect(region).to_have_attribute("tabindex", "0")
    expect(region.get_by_role("table", name=name, exact=True)).to_be_visible()
    width, room = region.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert width > room  # the table is wider than the phone: it scrolls, here and only here
    cue = region.evaluate("el => getComputedStyle(el, '::before').content")
    assert cue.startswith('"Scroll sideways to see the whole table')
    page.keyboard.press("Tab")
    expect(region).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "name => [...document.querySelectorAll('.table-scroll')].some(el => el.scrollLeft > 0)",
        arg=name,
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_wide_tables_scroll_in_a_region_of_their_own_on_a_phone(page, world):
    page.set_viewport_size(PHONE)
    award(world.other_school)
    publish(world.authority)
    visit(page, "/bathnes/awards/")
    page.get_by_role("heading", name="Bath", exact=True).click()  # the place before the table
    _scrolls_in_its_own_region(page, "Awarded schools in Bath")

    with scope(authority=world.authority):
        domain.save_target(
            cycle=world.cycle,
            by=world.people["school_coordinator"],
            target=Target(
                element=world.cycle.framework.elements.get(number=3),
                action="Governors' inclusion link visits each term, reported to the board.",
                lead=world.people["head_teacher"],
                deadline=date(2027, 7, 1),
                success_criteria="Minutes show the visits.",
            ),
        )
    sign_in(page, "school_coordinator@bathnes.test")
    visit(page, f"/bathnes/cycles/{world.cycle.pk}/plan/")
    expect(page.get_by_role("row").nth(1)).to_contain_text(
        "3. Leadership and management" + "Governors' inclusion link visits"
    )
    page.get_by_role("link", name="Add a target").focus()
    _scrolls_in_its_own_region(page, "Targets by element")


def test_upload_with_no_file_says_so_with_and_without_the_script(page, browser, base_url, world):
    validate(world)
    portfolio = f"/bathnes/cycles/{world.cycle.pk}/portfolio/"
    sign_in(page, "school_coordinator@bathnes.test")
    visit(page, portfolio)
    page.get_by_role("button", name="Upload").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text("Files: Choose a file to upload")
    expect(page.locator("#id_files_error")).to_have_text("Error: Choose a file to upload")
    expect(page.get_by_label("Files")).to_have_attribute("aria-invalid", "true")
    page.a11y.check()
    summary.get_by_role("link").click()
    expect(page.get_by_label("Files")).to_be_focused()
    # Pressing it again does not pile up messages.
    page.get_by_role("button", name="Upload").click()
    expect(page.locator(".error-summary")).to_have_count(1)
    expect(page.locator(".error-message")).to_have_count(1)

    # Without the script the server answers the same.
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    plain = context.new_page()
    plain.goto("/accounts/login/")
    plain.get_by_label("Email address").fill("school_coordinator@bathnes.test")
    plain.get_by_label("Password").fill(PASSWORD)
    plain.get_by_role("main").get_by_role("button", name="Sign in").click()
    plain.goto(portfolio)
    plain.get_by_role("button", name="Upload").click()
    expect(plain.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(plain.locator(".error-summary a")).to_have_text("Files: Choose a file to upload")
    expect(plain.locator("#id_files_error")).to_have_text("Error: Choose a file to upload")
    context.close()
