"""Issue 13's small things, in a browser at a phone's 320 CSS pixels: the autosave's conflict box
sits with the form rather than over it; wide tables scroll in a focusable region of their own
while the page never scrolls sideways; "Upload" with no file says what to do."""

from django_scopes import scope
from playwright.sync_api import expect

from assessments import domain

from ..assessment_helpers import complete_answer_data
from .conftest import visit
from .test_self_review import sign_in

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
