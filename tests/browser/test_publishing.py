"""The published list in a browser: the admin previews, publishes, sees the changes of the next
version and publishes it; then, signed out, the public page, an earlier version, print, and the
page of an authority that has published nothing. axe checks every page."""

from playwright.sync_api import expect

from awards.models import Tier

from ..test_publishing import award
from .conftest import visit
from .test_self_review import sign_in


def test_admin_publishes_and_the_public_reads_the_list(page, world):
    award(world.other_school)

    sign_in(page, "authority_admin@bathnes.test")
    page.get_by_role("navigation", name="Bath & North East Somerset").get_by_role(
        "link", name="Published list"
    ).click()
    page.a11y.wait()
    expect(page.get_by_role("heading", level=1)).to_have_text("Published list")
    expect(page.get_by_role("main")).to_contain_text("The list has not been published yet.")
    expect(
        page.get_by_role("region", name="Bath", exact=True).get_by_role(
            "row", name="Castle Primary"
        )
    ).to_contain_text("Inclusion Quality Mark")
    expect(
        page.get_by_role("region", name="Schools working towards the Inclusion Quality Mark")
    ).to_contain_text("Chandag Infant")

    page.get_by_role("link", name="Publish this list").click()
    page.a11y.wait()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish version 1 of the list?")
    page.get_by_role("button", name="Publish version 1").click()
    page.a11y.wait()
    expect(page.get_by_role("status")).to_have_text("Version 1 of the list is published.")
    expect(page.get_by_role("row", name="Version 1 Current")).to_be_visible()

    # Chandag Infant gets its award: the preview shows what version 2 changes.
    award(world.school, Tier.QUALITY_MARK)
    visit(page, "/bathnes/publishing/")
    changes = page.get_by_role("region", name="Changes since version 1")
    expect(changes.get_by_role("listitem")).to_have_text(
        [
            "New Chandag Infant (Bath): Inclusion Quality Mark",
            "No longer working towards Chandag Infant",
        ]
    )
    expect(
        page.get_by_role("region", name="Bath", exact=True).get_by_role(
            "row", name="Chandag Infant New"
        )
    ).to_be_visible()
    page.get_by_role("link", name="Publish this list").click()
    page.a11y.wait()
    page.get_by_role("button", name="Publish version 2").click()
    page.a11y.wait()
    page.get_by_role("button", name="Sign out").click()
    page.a11y.wait()

    # Signed out: the public list.
    visit(page, "/bathnes/awards/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Schools that have achieved the Bath & North East Somerset Inclusion Quality Mark"
    )
    expect(page.get_by_role("main")).to_contain_text("Version 2, published")
    expect(
        page.get_by_role("region", name="Bath", exact=True).get_by_role("rowheader")
    ).to_have_text(["Castle Primary", "Chandag Infant"])
    expect(
        page.get_by_role("region", name="Schools working towards the Inclusion Quality Mark")
    ).to_contain_text("None at present.")
    expect(
        page.get_by_role("link", name="Download this list as CSV (version 2)")
    ).to_have_attribute("href", "/bathnes/awards/v2.csv")

    # On paper: the list without its links.
    page.emulate_media(media="print")
    expect(page.get_by_role("region", name="About this list")).to_be_hidden()
    expect(page.get_by_role("region", name="Bath", exact=True)).to_be_visible()
    page.emulate_media(media="screen")

    page.get_by_role("link", name="Version 1", exact=True).click()
    page.a11y.wait()
    expect(page.get_by_role("note")).to_contain_text("This is an earlier version of the list")
    expect(
        page.get_by_role("region", name="Schools working towards the Inclusion Quality Mark")
    ).to_contain_text("Chandag Infant")

    response = visit(page, "/outsider/awards/")
    assert response.status == 404
    expect(page.get_by_role("main")).to_contain_text(
        "Outsider Council has not published its list of awarded schools yet."
    )
