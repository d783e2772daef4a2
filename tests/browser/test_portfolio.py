"""The portfolio in a browser: several files at once with progress, a refused file explained,
linking to elements, coverage, submission, and nothing changeable afterwards."""

import io

from django_scopes import scope
from PIL import Image
from playwright.sync_api import expect

from assessments import domain as assessments_domain
from assessments.models import Cycle

from ..assessment_helpers import complete_self_review, review_all, submit
from .conftest import visit
from .test_self_review import sign_in

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "navy").save(buffer, "PNG")
    return buffer.getvalue()


def test_upload_several_files_link_them_see_coverage_and_submit(page, base_url, world):
    complete_self_review(world)
    submit(world)
    review_all(world)
    with scope(authority=world.authority):
        assessments_domain.validate(cycle=world.cycle, by=world.cycle.mentor)
    portfolio = f"/bathnes/cycles/{world.cycle.pk}/portfolio/"

    sign_in(page, "school_coordinator@bathnes.test")
    visit(page, f"/bathnes/cycles/{world.cycle.pk}/")
    page.get_by_role("link", name="Portfolio of evidence").click()
    page.a11y.wait()
    expect(page).to_have_url(base_url + portfolio)
    expect(page.get_by_text("No evidence yet.")).to_be_visible()
    expect(page.get_by_role("table", name="Coverage").get_by_text("None yet")).to_have_count(10)

    page.get_by_text("Link the files to elements now (optional)").click()
    page.get_by_role("group", name="Elements it is evidence for").get_by_label(
        "1. Pupil progress"
    ).check()
    page.get_by_label("Files").set_input_files(
        [
            {"name": "Tracking summary.pdf", "mimeType": "application/pdf", "buffer": PDF},
            {"name": "Class display.png", "mimeType": "image/png", "buffer": png()},
            {"name": "renamed.docx", "mimeType": "application/pdf", "buffer": PDF + b"%renamed"},
        ]
    )
    page.get_by_role("button", name="Upload").click()
    progress = page.locator("[data-progress]")
    expect(progress.locator(".upload-progress__item--done")).to_have_count(2)
    expect(progress.locator(".upload-progress__item--error")).to_contain_text(
        "“renamed.docx” is a PDF file with a .docx name: rename it or upload the original."
    )
    page.a11y.check()
    page.get_by_role("link", name="Show the updated portfolio").click()
    page.a11y.wait()
    coverage = page.get_by_role("table", name="Coverage")
    expect(coverage.get_by_role("row").nth(1)).to_contain_text("2 items")
    expect(coverage.get_by_text("None yet")).to_have_count(9)

    # Link one item to a statement and to element 6 as well.
    page.get_by_role("list").get_by_role("link", name="Tracking summary").click()
    page.a11y.wait()
    page.get_by_role("group", name="Elements it is evidence for").get_by_label(
        "6. Teaching and learning"
    ).check()
    page.get_by_role("group", name="Statements it is evidence for").get_by_label(
        "1.1 ", exact=False
    ).check()
    page.get_by_role("button", name="Save", exact=True).click()
    page.a11y.wait()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Portfolio").click()
    page.a11y.wait()
    expect(coverage.get_by_role("row").nth(1)).to_contain_text("1 of 4")
    expect(coverage.get_by_role("row").nth(6)).to_contain_text("1 item")

    page.get_by_role("link", name="Submit the portfolio").click()
    page.a11y.wait()
    page.get_by_role("button", name="Submit the portfolio").click()
    page.a11y.wait()
    expect(page.get_by_role("status").filter(has_text="submitted for moderation")).to_have_text(
        "The portfolio has been submitted for moderation. It can no longer be changed."
    )
    world.cycle.refresh_from_db()
    assert world.cycle.state == Cycle.State.PORTFOLIO_SUBMITTED
    expect(page.get_by_role("heading", name="Add evidence")).to_have_count(0)
    page.get_by_role("list").get_by_role("link", name="Tracking summary").click()
    page.a11y.wait()
    expect(page.get_by_role("button", name="Remove from the portfolio")).to_have_count(0)
    expect(page.get_by_role("button", name="Save", exact=True)).to_have_count(0)
