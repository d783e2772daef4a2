"""The national directory in a browser: live filtering with htmx, with axe after every swap."""

from playwright.sync_api import expect

from awards.models import Tier
from schools.models import School

from ..factories import AuthorityFactory
from ..test_directory import publish, row
from .conftest import visit


def expect_found(page, count):
    """The live region says `count`, axe passes on the swapped page, and its address gives the
    same page afresh."""
    expect(page.get_by_role("status")).to_have_text(count)
    page.a11y.check()
    visit(page, page.url)
    expect(page.get_by_role("status")).to_have_text(count)


def test_filtering_as_you_type_and_choose(page, base_url):
    bathnes = AuthorityFactory(name="Bath & North East Somerset", slug="bathnes")
    bristol = AuthorityFactory(name="Bristol", slug="bristol")
    publish(
        bathnes,
        row("Oldfield Park Junior", Tier.FLAGSHIP, "Bath", School.Phase.JUNIOR, "Bath"),
        row("Castle Primary", Tier.QUALITY_MARK, "Norton Radstock", place="Frome"),
    )
    publish(
        bristol,
        row("Park Primary", Tier.QUALITY_MARK, "North", place="Bristol"),
        row(
            "Bristol Park Academy",
            Tier.CENTRE_OF_EXCELLENCE,
            "Central",
            School.Phase.SECONDARY,
            "Bristol",
        ),
    )

    visit(page, "/awards/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Schools with an Inclusion Quality Mark award"
    )
    expect(page.get_by_role("status")).to_have_text("4 schools.")

    page.get_by_label("School name").fill("park")
    expect(page.get_by_role("table").get_by_role("link")).to_have_text(
        ["Park Primary", "Bristol Park Academy", "Oldfield Park Junior"]
    )
    expect(page.get_by_label("School name")).to_be_focused()
    expect_found(page, "3 schools found.")

    page.get_by_label("Local authority").select_option(label="Bristol")
    expect(page.get_by_label("Area").locator("option")).to_have_text(
        ["All areas", "Central", "North"]
    )
    expect_found(page, "2 schools found.")

    page.get_by_label("Area").select_option("North")
    expect(page.get_by_role("table").get_by_role("link")).to_have_text(["Park Primary"])
    expect_found(page, "1 school found.")

    page.get_by_role("link", name="Park Primary").click()
    page.a11y.wait()
    expect(page.get_by_role("heading", level=1)).to_have_text("Park Primary")
    expect(page.get_by_role("table", name="Nearest Flagship schools")).to_contain_text(
        "Oldfield Park Junior"
    )
