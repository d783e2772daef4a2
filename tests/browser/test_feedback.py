"""Page feedback in a browser, without JavaScript of its own: a visitor rates the public list and
signs up as a tester (with a mistake first); the honeypot is out of sight and out of the tab order;
the admin reads both. axe checks every page."""

from django_scopes import scopes_disabled
from playwright.sync_api import expect

from publishing.domain import publish

from .conftest import visit
from .test_self_review import sign_in


def test_a_visitor_rates_the_page_and_signs_up_and_the_admin_sees_it(page, world):
    with scopes_disabled():
        publish(world.authority, None)

    visit(page, "/bathnes/awards/")
    box = page.get_by_role("region", name="Help us improve our website")
    expect(box.get_by_role("group", name="Your rating").get_by_role("radio")).to_have_count(5)
    expect(box).to_contain_text("No ratings yet")
    # The honeypots take up no room on screen and are skipped by the Tab key.
    for honeypot in box.get_by_label(
        "To prevent automated spam submissions leave this field empty."
    ).all():
        assert (
            honeypot.locator("xpath=ancestor::div[@class='visually-hidden']").bounding_box()[
                "width"
            ]
            <= 1
        )
    box.get_by_label(
        "I agree that Bath & North East Somerset may contact me about testing its website"
    ).focus()
    page.keyboard.press("Tab")
    expect(box.get_by_role("button", name="Sign up as a tester")).to_be_focused()

    box.get_by_label("4 stars").check()
    box.get_by_role("button", name="Send your rating").click()
    page.a11y.wait()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    expect(page.get_by_role("main")).to_contain_text("Average: 4.0 (1 vote)")
    page.get_by_role("link", name="Back to the page").click()
    page.a11y.wait()

    box.get_by_label("Your name").fill("Ada Lovelace")
    box.get_by_label("Your email address").fill("ada@")
    box.get_by_role("button", name="Sign up as a tester").click()
    page.a11y.wait()
    expect(page.get_by_role("heading", level=1)).to_have_text("Become a website tester")
    expect(page.get_by_role("alert").get_by_role("link")).to_have_text(
        [
            (
                "Your email address: Enter an email address in the correct format, like "
                "name@example.com."
            ),
            (
                "I agree that Bath & North East Somerset may contact me about testing its "
                "website: Tick the box to agree to be contacted."
            ),
        ]
    )
    page.get_by_label("Your email address").fill("ada@example.org")
    page.get_by_label(
        "I agree that Bath & North East Somerset may contact me about testing its website"
    ).check()
    page.get_by_role("button", name="Sign up as a tester").click()
    page.a11y.wait()
    expect(page.get_by_role("main")).to_contain_text(
        "A member of the Bath & North East Somerset team will contact you"
    )

    sign_in(page, "authority_admin@bathnes.test")
    page.get_by_role("navigation", name="Bath & North East Somerset").get_by_role(
        "link", name="Feedback"
    ).click()
    page.a11y.wait()
    expect(page.get_by_role("heading", level=1)).to_have_text("Page feedback")
    expect(page.get_by_role("row", name="/bathnes/awards/ 4.0 1")).to_be_visible()
    expect(page.get_by_role("row", name="Ada Lovelace")).to_contain_text("ada@example.org")
