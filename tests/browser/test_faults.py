"""An answer typed while the database is down is kept in the browser and sent once it is back: the
live server's real database connections go through a proxy the test cuts (tests/faults.py), so
the portal itself, not a faked request, fails and recovers."""

import json

import pytest
from django.db import connection
from django_scopes import scope
from playwright.sync_api import expect

from .. import faults
from ..assessment_helpers import complete_self_review, submit
from ..faults import wait_for
from .conftest import visit
from .test_self_review import second_tab, sign_in

pytestmark = pytest.mark.faults

postgres_cut = faults.postgres_cut  # the fixture, used here

NOT_SAVED = (
    "Not saved yet — will retry in 2 seconds. The portal could not save it just now; your work is "
    "kept in this browser."
)


def element_path(world):
    with scope(authority=world.authority):
        element = world.cycle.framework.elements.get(number=2)
    return f"/bathnes/cycles/{world.cycle.pk}/elements/{element.pk}/", element


def drafts(page):
    return [json.loads(value) for value in page.evaluate("Object.values(localStorage)")]


def saved_strengths(world, element):
    connection.close()  # the test's own connection was cut with the rest: read through a new one
    with scope(authority=world.authority):
        answer = world.cycle.answers.filter(element=element).first()
        return answer.strengths if answer else None


def test_an_answer_typed_while_the_database_is_down_is_kept_and_sent_when_it_is_back(
    page, browser, axe, base_url, world, postgres_cut
):
    path, element = element_path(world)
    sign_in(page, "school_coordinator@bathnes.test")
    visit(page, path)

    postgres_cut.cut()
    page.get_by_label("Strengths").fill("Typed while the database was down.")
    status = page.get_by_role("status")
    expect(status).to_contain_text(NOT_SAVED)
    page.a11y.check()
    assert ["strengths", "Typed while the database was down."] in drafts(page)[0]["fields"]

    # Meanwhile a page opened in another browser says what is wrong and that nothing is lost.
    other = second_tab(browser, axe, base_url)
    response = visit(other, path)
    assert response.status == 503
    expect(other.get_by_role("heading", level=1)).to_have_text(
        "The portal cannot reach its database"
    )
    expect(other.get_by_role("main")).to_contain_text("Your work is not lost.")
    other.a11y.finish()
    other.context.close()

    postgres_cut.restore()
    expect(status).to_contain_text("Saved at", timeout=30_000)  # the retries back off: 2, 4, 8 s
    wait_for(
        lambda: saved_strengths(world, element) == "Typed while the database was down.",
        10,
        "the answer in the database",
    )
    assert drafts(page) == []


def test_the_answer_is_sent_at_once_when_the_browser_is_back_online(page, world, postgres_cut):
    """With the page's clock stopped, no retry timer can fire: only the `online` event sends it."""
    path, element = element_path(world)
    page.clock.install()
    sign_in(page, "school_coordinator@bathnes.test")
    visit(page, path)
    page.clock.pause_at(page.evaluate("Date.now()") + 1000)

    postgres_cut.cut()
    page.get_by_label("Strengths").fill("Typed on a train through a tunnel.")
    page.clock.run_for(1000)  # the typing pause before a save
    status = page.get_by_role("status")
    expect(status).to_contain_text(NOT_SAVED)

    postgres_cut.restore()
    page.context.set_offline(True)
    page.context.set_offline(False)  # the browser fires `online`
    expect(status).to_contain_text("Saved at")
    wait_for(
        lambda: saved_strengths(world, element) == "Typed on a train through a tunnel.",
        10,
        "the answer in the database",
    )


def test_a_comment_not_saved_is_sent_with_the_next_save_that_succeeds(page, world, postgres_cut):
    """On the mentor's page, one decision's save succeeding sends another's left unsaved; the
    page's clock is stopped, so no retry timer could have sent it."""
    complete_self_review(world)
    submit(world)
    page.clock.install()
    sign_in(page, "mentor@bathnes.test")
    visit(page, f"/bathnes/cycles/{world.cycle.pk}/review/")
    page.clock.pause_at(page.evaluate("Date.now()") + 1000)
    element2 = page.get_by_role(
        "region", name="2. Pupil attitudes, values and personal development"
    )
    element5 = page.get_by_role("region", name="5. The learning environment")

    postgres_cut.cut()
    comment2 = element2.get_by_label("Comment for the school")
    comment2.fill("Ask the pupils first.")
    comment2.blur()  # its `change` now, not when the next comment is typed
    page.clock.run_for(1000)  # the typing pause before a save
    expect(element2.get_by_role("status")).to_contain_text(NOT_SAVED)

    postgres_cut.restore()
    element5.get_by_label("Comment for the school").fill("Ask about the quiet room.")
    page.clock.run_for(1000)  # element 2's retry is due only a second later
    expect(element5.get_by_role("status")).to_contain_text("Your comment is saved")
    expect(element2.get_by_role("status")).to_contain_text("Your comment is saved")
    connection.close()  # the test's own connection was cut with the rest
    with scope(authority=world.authority):
        comments = dict(world.cycle.reviews.values_list("element__number", "comment"))
    assert comments == {2: "Ask the pupils first.", 5: "Ask about the quiet room."}
