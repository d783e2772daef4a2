"""In the demo, after the panel's decision: the school downloads its assessment report and
certificate, and the mentor the self-review summary, from the browser, while a real Celery worker
takes the renders from the real Redis."""

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect
from pypdf import PdfReader

from assessments.models import Cycle
from iqm_portal.demo import DECIDED_SCHOOL, DEMO_PASSWORD, load_demo
from reports.models import RenderJob

from ..test_documents import ELEMENTS, REPORT_PAGES, SUMMARY_PAGES
from ..test_reports import page_text
from .conftest import visit
from .test_self_review import second_tab, sign_in

pytestmark = pytest.mark.real_worker


def get_pdf(page, button, kind):
    """Ask for a PDF, watch the job page until the worker has made it, download it and read it."""
    page.get_by_role("button", name=button).click()
    page.a11y.wait()
    expect(page.get_by_text(f"Your {kind} is ready")).to_be_visible(timeout=30_000)
    page.a11y.check()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the PDF").click()
    return PdfReader(download.value.path())


def test_the_school_and_the_mentor_download_their_documents_made_by_a_real_worker(
    page, browser, axe, base_url, worker
):
    load_demo()
    with scopes_disabled():
        cycle = Cycle.objects.select_related("school").get(school__name=DECIDED_SCHOOL)
    school = cycle.school.name

    sign_in(page, "coordinator@bathnes.test", DEMO_PASSWORD)
    visit(page, f"/bathnes/schools/{cycle.school_id}/")
    certificate = get_pdf(page, "Get the certificate (PDF)", "certificate")
    assert len(certificate.pages) == 1
    text = page_text(certificate)
    assert school in text
    assert "Inclusion Quality Mark" in text
    assert "Bath & North East Somerset" in text

    visit(page, f"/bathnes/cycles/{cycle.pk}/")
    report = get_pdf(page, "Get the assessment report (PDF)", "assessment report")
    assert len(report.pages) == REPORT_PAGES
    text = page_text(report)
    assert school in text
    assert [heading for heading in ELEMENTS if heading in text] == ELEMENTS
    assert f"Page {REPORT_PAGES} of {REPORT_PAGES}" in text

    mentor = second_tab(browser, axe, base_url)
    sign_in(mentor, "mentor@bathnes.test", DEMO_PASSWORD)
    visit(mentor, f"/bathnes/cycles/{cycle.pk}/")
    summary = get_pdf(mentor, "Get the self-review summary (PDF)", "self-review summary")
    assert len(summary.pages) == SUMMARY_PAGES
    assert [heading for heading in ELEMENTS if heading in page_text(summary)] == ELEMENTS

    with scopes_disabled():
        jobs = RenderJob.objects.order_by("created_at")
        assert [(job.kind, job.state, job.pages) for job in jobs] == [
            ("certificate", "done", 1),
            ("report", "done", REPORT_PAGES),
            ("summary", "done", SUMMARY_PAGES),
        ]
    mentor.a11y.finish()
    mentor.context.close()
