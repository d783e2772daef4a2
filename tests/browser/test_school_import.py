"""The GIAS import in a browser, with axe on every page: a file with problems, then a good one
uploaded, previewed and confirmed."""

from playwright.sync_api import expect

from ..test_gias import BAD_ROWS, SAMPLE, variant
from .conftest import visit
from .test_self_review import sign_in


def test_an_admin_imports_schools_from_gias(page, base_url, world, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(variant(BAD_ROWS), encoding="utf-8")
    sign_in(page, "authority_admin@bathnes.test")
    visit(page, "/bathnes/schools/")
    page.get_by_role("link", name="Import from Get Information about Schools").click()
    page.a11y.wait()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Import schools from Get Information about Schools"
    )

    page.get_by_role("button", name="Upload and check").click()
    page.a11y.wait()
    expect(page.get_by_role("alert").get_by_role("heading")).to_have_text("There is a problem")

    page.get_by_label(
        "Establishment data from Get Information about Schools (CSV)"
    ).set_input_files(bad)
    page.get_by_role("button", name="Upload and check").click()
    page.a11y.wait()
    expect(page.get_by_role("heading", level=2)).to_have_text("Problems")
    expect(page.get_by_role("button", name="Import 1 school")).to_have_count(0)
    page.get_by_role("link", name="Schools to add (1)").click()
    page.a11y.wait()
    expect(page.get_by_role("table")).to_contain_text("Avon Meadows Junior School")

    page.get_by_role("link", name="Upload another file").click()
    page.a11y.wait()
    page.get_by_label(
        "Establishment data from Get Information about Schools (CSV)"
    ).set_input_files(SAMPLE)
    page.get_by_role("button", name="Upload and check").click()
    page.a11y.wait()
    expect(page.get_by_role("table")).to_contain_text("St. Mary’s Catholic Primary School")
    page.get_by_role("button", name="Import 12 schools").click()
    page.a11y.wait()
    expect(page.get_by_role("status")).to_have_text("Schools imported: 12 added, 0 changed.")
    expect(page.get_by_text("14 schools.")).to_be_visible()
