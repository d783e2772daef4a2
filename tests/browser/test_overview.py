"""The authority overview in the demo: the admin finds it from the navigation, reads each chart by
its name, opens a chart's table and downloads its CSV; a school sees the authority's average on its
own chart. axe checks every page, and the tables once opened."""

from django_scopes import scopes_disabled
from playwright.sync_api import expect

from assessments.models import Cycle
from iqm_portal.demo import DECIDED_SCHOOL, DEMO_PASSWORD, load_demo
from overview.domain import FIGURES

from .conftest import visit
from .test_self_review import sign_in

TITLES = [
    "Schools by the state of their current cycle",
    "Awards by tier in each area",
    "Awards expiring in the next 6 and 12 months",
    "Time from registration to the panel's decision",
    "Mentors' open cycles",
    "Moderators' visits",
    "How each element is rated across the authority",
]
CSV_ROWS = [
    "Area,Inclusion Quality Mark,Centre of Excellence,Flagship,Working towards",
    "Bath,17,1,0,0",
    "Norton Radstock,10,0,0,1",
    "Chew Valley & Keynsham,8,0,0,1",
    "Total,35,1,0,2",
]


def test_the_admin_reads_the_overview_and_downloads_a_figure(page, base_url, tmp_path):
    load_demo()
    sign_in(page, "admin@bathnes.test", DEMO_PASSWORD)
    page.get_by_role("navigation", name="Bath & North East Somerset").get_by_role(
        "link", name="Authority overview"
    ).click()
    page.a11y.wait()
    expect(page.get_by_role("heading", level=1)).to_have_text("Authority overview")
    expect(page.get_by_role("heading", level=2)).to_have_text(["Contents", *TITLES])
    for title in TITLES:
        expect(page.get_by_role("img", name=title, exact=True)).to_be_visible()
    page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)

    awards = page.locator("#awards-by-area")
    awards.get_by_text("The figures as a table").click()
    table = awards.get_by_role("table", name="Awards by tier in each area")
    expect(table).to_be_visible()
    cells = table.locator("tr").evaluate_all(
        "rows => rows.map(row => Array.from(row.cells, cell => cell.textContent).join(','))"
    )
    assert cells == CSV_ROWS
    for section in page.locator("section.figure").all():
        section.locator("summary").click()
    page.a11y.check()

    with page.expect_download() as download:
        awards.get_by_role("link", name="Download as CSV").click()
    assert download.value.suggested_filename.startswith("bathnes-awards-by-area-")
    with open(download.value.path(), encoding="utf-8-sig") as csv:
        assert csv.read().splitlines() == CSV_ROWS
    assert len(FIGURES) == len(TITLES)


def test_the_school_sees_the_authoritys_average_on_its_chart(page, base_url):
    load_demo()
    with scopes_disabled():
        cycle = Cycle.objects.get(school__name=DECIDED_SCHOOL)
    sign_in(page, "coordinator@bathnes.test", DEMO_PASSWORD)
    expect(page.get_by_role("link", name="Authority overview")).to_have_count(0)
    visit(page, f"/bathnes/cycles/{cycle.pk}/")
    table = page.get_by_role("table", name="The chart's figures")
    expect(table.get_by_role("columnheader")).to_have_text(
        ["Element", "School's rating", "Mentor's rating", "Authority's average"]
    )
    expect(page.locator(".chart__average")).to_have_count(10)
