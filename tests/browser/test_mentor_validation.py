"""The mentor's validation in a browser: nothing looks agreed until the mentor says so, each
decision saves itself with a marker, a reload shows what was saved, a decision typed while the
connection is down is kept and sent, validation is refused with a summary of what is left, and
"agree with all remaining" finishes the job. Axe checks every page and every change in place."""

import re

from django_scopes import scope
from playwright.sync_api import expect

from assessments.models import Cycle, Rating

from ..assessment_helpers import complete_self_review, submit
from .conftest import visit
from .test_self_review import sign_in


def test_the_mentor_agrees_adjusts_reloads_and_validates(page, base_url, world):
    complete_self_review(world)
    submit(world)
    with scope(authority=world.authority):
        walk_through_the_validation(page, base_url, world)


def walk_through_the_validation(page, base_url, world):
    cycle = world.cycle
    path = f"/bathnes/cycles/{cycle.pk}/review/"
    sign_in(page, "mentor@bathnes.test")
    visit(page, path)
    expect(page.locator("#decided-count")).to_have_text("0 of 10 elements decided.")
    expect(page.get_by_role("radio", checked=True)).to_have_count(0)

    # Element 1: one click agrees, and says so.
    element1 = page.get_by_role("region", name="1. Pupil progress")
    statements = cycle.framework.elements.get(number=1).descriptors.count()
    expect(element1.locator(".statement-ratings dd")).to_have_text(["Established"] * statements)
    element1.get_by_role(
        "button", name="Agree with the school's rating (Established) on element 1"
    ).click()
    expect(element1.get_by_role("status")).to_contain_text(
        re.compile(r"Agreed with the school's rating, Established\. Saved at \d\d:\d\d\.")
    )
    expect(page.locator("#decided-count")).to_have_text("1 of 10 elements decided.")

    # Element 3: adjusted, with the reason asked for until it is written.
    element3 = page.get_by_role("region", name="3. Leadership and management")
    element3.get_by_role("group", name="Or adjust the rating of element 3").get_by_label(
        "Emerging", exact=True
    ).check()
    expect(element3.get_by_role("status")).to_contain_text(
        "Adjusted from Established to Emerging. Saved at"
    )
    expect(element3.get_by_role("status")).to_contain_text("Add a comment to tell the school why.")
    element3.get_by_label("Comment for the school").fill("Inclusion is not in the plan yet.")
    expect(element3.get_by_role("status")).not_to_contain_text("Add a comment")
    expect(page.locator("#decided-count")).to_have_text("2 of 10 elements decided.")

    # Element 5: a comment first, the decision later.
    element5 = page.get_by_role("region", name="5. The learning environment")
    element5.get_by_label("Comment for the school").fill("Ask about the quiet room.")
    expect(element5.get_by_role("status")).to_contain_text("Not decided Your comment is saved")
    page.a11y.check()

    # A reload shows what was saved.
    page.reload()
    page.a11y.wait()
    expect(page.locator("#decided-count")).to_have_text("2 of 10 elements decided.")
    expect(element1.get_by_role("radio", name="Established (the school's rating)")).to_be_checked()
    expect(element3.get_by_role("radio", name="Emerging", exact=True)).to_be_checked()
    expect(element3.get_by_label("Comment for the school")).to_have_value(
        "Inclusion is not in the plan yet."
    )
    expect(element5.get_by_label("Comment for the school")).to_have_value(
        "Ask about the quiet room."
    )
    expect(element5.get_by_role("radio", checked=True)).to_have_count(0)

    # Typed while the connection is down, then the page left: the comment is kept and sent.
    def offline(route):
        route.abort("internetdisconnected") if route.request.method == "POST" else route.fallback()

    page.route("**/review/", offline)
    element6 = page.get_by_role("region", name="6. Teaching and learning")
    element6.get_by_label("Comment for the school").fill("Typed on the train.")
    expect(element6.get_by_role("status")).to_contain_text(
        "Not saved yet — will retry in 2 seconds. The connection was lost; your work is kept in "
        "this browser."
    )
    page.on("dialog", lambda dialog: dialog.accept())  # "Leave the page? Changes may not be saved."
    visit(page, f"/bathnes/cycles/{cycle.pk}/")
    page.unroute("**/review/", offline)
    assert not cycle.reviews.filter(element__number=6).exists()
    visit(page, path)
    expect(element6.get_by_label("Comment for the school")).to_have_value("Typed on the train.")
    expect(element6.get_by_role("status")).to_contain_text("Your comment is saved")
    assert cycle.reviews.get(element__number=6).comment == "Typed on the train."

    # Validating now is refused, with a summary linking to each element left.
    page.get_by_role("button", name="Validate the self-review").click()
    page.a11y.wait()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("You cannot validate yet")
    expect(page).to_have_title(re.compile(r"^Error: Mentor's validation – "))
    expect(summary.get_by_role("link")).to_have_text(
        [
            "2. Pupil attitudes, values and personal development: not decided",
            "4. Staffing systems and organisation: not decided",
            "5. The learning environment: not decided",
            "6. Teaching and learning: not decided",
            "7. Resources and ICT: not decided",
            "8. Parents and carers: not decided",
            "9. Governors, external partners and local authority: not decided",
            "10. The community: not decided",
        ]
    )
    cycle.refresh_from_db()
    assert cycle.state == Cycle.State.SUBMITTED

    # Agree with all remaining: the adjusted element and the comments stay as they were.
    page.get_by_role("button", name="Agree with all remaining").click()
    page.a11y.wait()
    expect(page.get_by_role("status").filter(has_text="You agreed")).to_have_text(
        "You agreed with the school's rating of elements 2, 4, 5, 6, 7, 8, 9, 10."
    )
    expect(page.locator("#decided-count")).to_have_text("10 of 10 elements decided.")
    assert sorted(cycle.reviews.values_list("element__number", "rating", "comment")) == [
        (1, Rating.ESTABLISHED, ""),
        (2, Rating.ESTABLISHED, ""),
        (3, Rating.EMERGING, "Inclusion is not in the plan yet."),
        (4, Rating.ESTABLISHED, ""),
        (5, Rating.ESTABLISHED, "Ask about the quiet room."),
        (6, Rating.ESTABLISHED, "Typed on the train."),
        (7, Rating.ESTABLISHED, ""),
        (8, Rating.ESTABLISHED, ""),
        (9, Rating.ESTABLISHED, ""),
        (10, Rating.ESTABLISHED, ""),
    ]

    # A comment typed just before validating is saved first, not left behind.
    element7 = page.get_by_role("region", name="7. Resources and ICT")
    element7.get_by_label("Comment for the school").fill("Typed as I pressed Validate.")
    page.get_by_role("button", name="Validate the self-review").click()
    expect(page.get_by_role("status").filter(has_text="validated")).to_have_text(
        "The self-review is validated. The school can see your ratings and comments."
    )
    page.a11y.wait()
    assert cycle.reviews.get(element__number=7).comment == "Typed as I pressed Validate."
    cycle.refresh_from_db()
    assert cycle.state == Cycle.State.VALIDATED


def test_a_comment_typed_just_before_returning_is_saved_first(page, base_url, world):
    complete_self_review(world)
    submit(world)
    cycle = world.cycle
    sign_in(page, "mentor@bathnes.test")
    visit(page, f"/bathnes/cycles/{cycle.pk}/review/")
    element2 = page.get_by_role(
        "region", name="2. Pupil attitudes, values and personal development"
    )
    element2.get_by_label("Comment for the school").fill("Ask the pupils first.")
    page.get_by_label("What the school should change").fill("Please look at element 2 again.")
    page.get_by_role("button", name="Return with comments").click()
    expect(page.get_by_role("status").filter(has_text="back with the school")).to_contain_text(
        "The self-review is back with the school, with your comments."
    )
    page.a11y.wait()
    with scope(authority=world.authority):
        cycle.refresh_from_db()
        assert cycle.state == Cycle.State.SELF_REVIEW
        assert cycle.reviews.get(element__number=2).comment == "Ask the pupils first."
