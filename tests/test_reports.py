"""PDFs: rendered by a task with WeasyPrint, once per input, with nothing fetched but the portal's
own static files; served only through the access-checked download view."""

import base64
import io
from datetime import date, timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from pypdf import PdfReader

from assessments.models import Cycle
from awards.models import Award, Tier
from moderation import domain as moderation
from moderation.models import Outcome
from reports import render, tasks
from reports.fetcher import BASE_URL, Refused, StaticOnlyFetcher
from reports.models import RenderJob

from .journey import advance
from .storage import storage_backend  # noqa: F401

# Every test here runs on the local file system and on S3-compatible storage (a local moto server).
pytestmark = pytest.mark.usefixtures("storage_backend")


def make_award(world, school=None, authority=None, tier=Tier.CENTRE_OF_EXCELLENCE):
    authority = authority or world.authority
    with scope(authority=authority):
        return Award.objects.create(
            authority=authority,
            school=school or world.school,
            tier=tier,
            awarded_on=date(2026, 7, 1),
            expires_on=date(2029, 7, 1),
        )


def queued_job(world, award):
    with scope(authority=world.authority):  # queued, but the on-commit callback is never run
        return render.request_render(world.authority, RenderJob.Kind.CERTIFICATE, award, None)


def request_certificate(world, award, capture, by=None):
    with capture(execute=True), scope(authority=award.authority):
        return render.request_render(
            award.authority,
            RenderJob.Kind.CERTIFICATE,
            award,
            by or world.people["authority_admin"],
        )


def read_pdf(job):
    with default_storage.open(job.file.name, "rb") as handle:
        return PdfReader(io.BytesIO(handle.read()))


def page_text(reader):
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def page_images(page):
    resources = page.get("/Resources") or {}
    xobjects = resources.get("/XObject") or {}
    return [name for name, ref in xobjects.items() if ref.get_object().get("/Subtype") == "/Image"]


def reload(job):
    with scopes_disabled():
        return RenderJob.objects.get(pk=job.pk)


# --- Rendering ---------------------------------------------------------------------------------


def test_certificate_renders_to_a_one_page_pdf_with_the_school_tier_and_authority(
    world, django_capture_on_commit_callbacks
):
    award = make_award(world)
    job = reload(request_certificate(world, award, django_capture_on_commit_callbacks))
    assert (job.state, job.error, job.pages) == (RenderJob.State.DONE, "", 1)
    assert job.file.name.startswith(f"reports/{world.authority.pk}/") and job.file.name.endswith(
        ".pdf"
    )
    assert job.started_at <= job.finished_at
    reader = read_pdf(job)
    assert len(reader.pages) == 1
    text = page_text(reader)
    assert "Chandag Infant" in text
    assert "Centre of Excellence" in text
    assert "Bath & North East Somerset" in text
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert width > height  # A4 landscape
    assert round(width / 72 * 25.4) == 297 and round(height / 72 * 25.4) == 210
    # The fonts shipped in static/fonts are embedded (named after their @font-face family).
    fonts = {
        str(f.get_object()["/BaseFont"]).split("+")[-1]
        for f in reader.pages[0]["/Resources"]["/Font"].values()
    }
    assert fonts == {"IQM-Sans", "IQM-Serif", "IQM-Serif-Bold"}


def test_the_same_input_renders_once(world, django_capture_on_commit_callbacks, monkeypatch):
    calls = []
    real = render.write_pdf
    monkeypatch.setattr(render, "write_pdf", lambda html: calls.append(html) or real(html))
    award = make_award(world)
    first = request_certificate(world, award, django_capture_on_commit_callbacks)
    second = request_certificate(
        world, award, django_capture_on_commit_callbacks, by=world.people["school_coordinator"]
    )
    assert first.pk == second.pk
    assert len(calls) == 1
    with scopes_disabled():
        assert RenderJob.objects.count() == 1
    assert len(default_storage.listdir(f"reports/{world.authority.pk}")[1]) == 1

    # A changed input is a new PDF.
    with scope(authority=world.authority):
        award.tier = Tier.FLAGSHIP
        award.save()
    third = request_certificate(world, award, django_capture_on_commit_callbacks)
    assert third.pk != first.pk and len(calls) == 2
    assert "Flagship" in page_text(read_pdf(reload(third)))


def test_running_the_task_twice_renders_once(world, monkeypatch):
    calls = []
    real = render.write_pdf
    monkeypatch.setattr(render, "write_pdf", lambda html: calls.append(html) or real(html))
    job = queued_job(world, make_award(world))
    assert job.state == RenderJob.State.QUEUED
    assert tasks.render_job(world.authority.pk, job.pk) == "done"
    assert tasks.render_job(world.authority.pk, job.pk) == "not claimed"
    assert len(calls) == 1
    job = reload(job)
    assert job.state == RenderJob.State.DONE
    assert len(default_storage.listdir(f"reports/{world.authority.pk}")[1]) == 1


def test_a_job_being_rendered_is_not_taken_by_a_second_run(world):
    """The run rendering it holds the job's advisory lock on its own connection (another one
    here)."""
    from django.db import connections

    job = queued_job(world, make_award(world))
    with scopes_disabled():
        RenderJob.objects.filter(pk=job.pk).update(
            state=RenderJob.State.RENDERING, started_at=job.created_at
        )
    rendering_run = connections.create_connection("default")
    try:
        with rendering_run.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [tasks.LOCK_NAMESPACE, job.pk])
        assert tasks.render_job(world.authority.pk, job.pk) == "not claimed"
    finally:
        rendering_run.close()
    assert (reload(job).state, reload(job).started_at) == (
        RenderJob.State.RENDERING,
        job.created_at,
    )


def test_the_sweep_fails_a_render_whose_worker_was_killed_at_the_hard_time_limit(world):
    """Celery does not deliver such a task again: without the sweep the job would say "being
    made" for ever."""
    from django.db import connections

    from reports.tasks import STALE_AFTER, sweep_renders

    killed, alive = (
        queued_job(world, make_award(world)),
        queued_job(world, make_award(world, tier=Tier.FLAGSHIP)),
    )
    long_ago = timezone.now() - STALE_AFTER - timedelta(seconds=1)
    with scopes_disabled():
        RenderJob.objects.filter(pk__in=[killed.pk, alive.pk]).update(
            state=RenderJob.State.RENDERING, started_at=long_ago
        )
        default_storage.save(
            f"reports/{world.authority.pk}/left-behind.pdf", ContentFile(b"%PDF-1.7 half")
        )
        RenderJob.objects.filter(pk=killed.pk).update(
            file=f"reports/{world.authority.pk}/left-behind.pdf"
        )
    still_rendering = connections.create_connection("default")
    try:
        with still_rendering.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [tasks.LOCK_NAMESPACE, alive.pk])
        assert sweep_renders() == {"failed": 1, "queued": 0}
    finally:
        still_rendering.close()
    killed, alive = reload(killed), reload(alive)
    assert (killed.state, killed.error, killed.file.name) == (
        RenderJob.State.FAILED,
        tasks.TOO_LONG,
        "",
    )
    assert not default_storage.exists(f"reports/{world.authority.pk}/left-behind.pdf")
    assert (alive.state, alive.started_at) == (RenderJob.State.RENDERING, long_ago)


def test_the_sweep_queues_again_a_job_whose_task_was_lost(
    world, django_capture_on_commit_callbacks
):
    from reports.tasks import LOST_AFTER, sweep_renders

    lost, recent = (
        queued_job(world, make_award(world)),
        queued_job(world, make_award(world, tier=Tier.FLAGSHIP)),
    )
    with scopes_disabled():
        RenderJob.objects.filter(pk=lost.pk).update(
            created_at=timezone.now() - LOST_AFTER - timedelta(seconds=1)
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_renders() == {"failed": 0, "queued": 1}
    assert (reload(lost).state, reload(lost).pages) == (RenderJob.State.DONE, 1)
    assert reload(recent).state == RenderJob.State.QUEUED


def test_a_render_that_takes_too_long_fails_with_a_reason(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    from celery.exceptions import SoftTimeLimitExceeded

    def slow(html):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(render, "write_pdf", slow)
    job = reload(request_certificate(world, make_award(world), django_capture_on_commit_callbacks))
    assert job.state == RenderJob.State.FAILED
    assert job.error == tasks.TOO_LONG and "took too long" in job.error
    assert not job.file and job.finished_at
    assert tasks.render_job.soft_time_limit == 60


def test_a_failed_render_says_why_and_can_be_asked_for_again(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(html):
        raise RuntimeError("cairo exploded")

    monkeypatch.setattr(render, "write_pdf", broken)
    award = make_award(world)
    failed = reload(request_certificate(world, award, django_capture_on_commit_callbacks))
    assert (failed.state, failed.error) == (RenderJob.State.FAILED, tasks.FAILED)
    assert "cairo" not in failed.error
    monkeypatch.undo()
    again = reload(request_certificate(world, award, django_capture_on_commit_callbacks))
    assert again.pk != failed.pk and again.state == RenderJob.State.DONE


def test_task_options():
    task = tasks.render_job
    assert (task.acks_late, task.reject_on_worker_lost, task.max_retries) == (True, True, 3)
    assert OSError in task.autoretry_for and task.retry_backoff


# --- The fetcher -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "https://example.org/x.css",
        "data:text/html,<script>alert(1)</script>",
        "data:text/html;base64,PHNjcmlwdD4=",
        "/static/../../etc/passwd",
        BASE_URL + "static/../../etc/passwd",
        BASE_URL + "static/%2e%2e/%2e%2e/etc/passwd",
        "/static/css/../../iqm_portal/settings.py",
        "//example.org/static/css/portal.css",
        "/etc/passwd",
        "/media/reports/1/x.pdf",
        "ftp://example.org/x",
        "/static/",
        "/static/css/not-there.css",
    ],
)
def test_the_fetcher_refuses_everything_but_static_files(url):
    with pytest.raises(Refused):
        StaticOnlyFetcher()(url)


def test_the_fetcher_serves_the_projects_static_files():
    from django.contrib.staticfiles import finders

    with open(finders.find("css/portal.css"), "rb") as handle:
        expected = handle.read()
    for url in ("/static/css/portal.css", BASE_URL + "static/css/portal.css"):
        response = StaticOnlyFetcher()(url)
        assert response.read() == expected
        assert response.content_type == "text/css"
        assert response.url == BASE_URL + "static/css/portal.css"
    font = StaticOnlyFetcher()("/static/fonts/DejaVuSerif.ttf")
    assert font.content_type == "font/ttf"


def test_the_fetcher_allows_only_small_inline_png_and_jpeg():
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
    )
    response = StaticOnlyFetcher()("data:image/png;base64," + base64.b64encode(png).decode())
    assert (response.read(), response.content_type) == (png, "image/png")
    with pytest.raises(Refused):
        StaticOnlyFetcher()(
            "data:image/png;base64," + base64.b64encode(b"\0" * (100 * 1024 + 1)).decode()
        )
    with pytest.raises(Refused):
        StaticOnlyFetcher()("data:image/svg+xml;base64," + base64.b64encode(b"<svg/>").decode())


def test_weasyprint_skips_refused_resources():
    """Even raw HTML (not through a template) cannot pull in a local file or a remote stylesheet."""
    html = (
        '<style>@import url("https://example.org/x.css");</style>'
        '<link rel="stylesheet" href="file:///etc/passwd">'
        '<img src="file:///usr/share/pixmaps/debian-logo.png"><img src="http://169.254.169.254/x.png">'
        "<p>Hello</p>"
    )
    reader = PdfReader(io.BytesIO(render.write_pdf(html)))
    assert page_images(reader.pages[0]) == []
    assert "Hello" in reader.pages[0].extract_text()


def test_hostile_school_name_is_escaped_text_and_nothing_is_fetched(
    world, django_capture_on_commit_callbacks
):
    hostile = (
        'Evil <img src="file:///etc/passwd"> School'
        '<style>@import url("https://example.org/evil.css"); body { display: none }</style>'
    )
    with scope(authority=world.authority):
        world.school.name = hostile
        world.school.save()
    award = make_award(world)
    with scope(authority=world.authority):
        html = render.build_html(RenderJob.Kind.CERTIFICATE, award)
    assert "&lt;img src=&quot;file:///etc/passwd&quot;&gt;" in html
    assert "<img" not in html and 'evil.css"); body' not in html
    job = reload(request_certificate(world, award, django_capture_on_commit_callbacks))
    assert job.state == RenderJob.State.DONE
    reader = read_pdf(job)
    assert len(reader.pages) == 1 or job.pages == len(reader.pages)
    assert page_images(reader.pages[0]) == []
    text = page_text(reader)
    assert '<img src="file:///etc/passwd">' in text.replace("\u00ad", "")
    assert "@import" in text


# --- Views -------------------------------------------------------------------------------------


def test_school_staff_request_watch_and_download_a_certificate(
    client, world, django_capture_on_commit_callbacks
):
    award = make_award(world)
    client.force_login(world.people["school_coordinator"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:certificate", args=["bathnes", award.pk]))
    assert response.status_code == 302
    with scopes_disabled():
        job = RenderJob.objects.get()
    assert response["Location"] == reverse("reports:job", args=["bathnes", job.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert reverse("reports:download", args=["bathnes", job.pk]) in page.content.decode()
    assert "hx-trigger" not in page.content.decode()  # done: no more polling

    response = client.get(reverse("reports:download", args=["bathnes", job.pk]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF")
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="iqm-certificate-{world.school.pk}-2026.pdf"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_queued_job_page_polls(client, world):
    award = make_award(world)
    with scope(authority=world.authority):
        job = render.request_render(world.authority, RenderJob.Kind.CERTIFICATE, award, None)
    client.force_login(world.people["authority_admin"])
    content = client.get(reverse("reports:job", args=["bathnes", job.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in content and "/static/django_htmx/htmx-2.min." in content
    # Not ready: the download sends them back to the status page.
    response = client.get(reverse("reports:download", args=["bathnes", job.pk]))
    assert response.status_code == 302


def test_another_schools_staff_and_other_authorities_cannot_reach_a_certificate(
    client, world, django_capture_on_commit_callbacks
):
    award = make_award(world, school=world.other_school)
    job = request_certificate(world, award, django_capture_on_commit_callbacks)
    client.force_login(world.people["school_coordinator"])  # of Chandag Infant, not Castle Primary
    assert (
        client.post(reverse("reports:certificate", args=["bathnes", award.pk])).status_code == 404
    )
    assert client.get(reverse("reports:job", args=["bathnes", job.pk])).status_code == 404
    assert client.get(reverse("reports:download", args=["bathnes", job.pk])).status_code == 404

    # The outsider authority's job, asked for under our authority, does not exist.
    outsider_award = make_award(
        world, school=world.outsider_school, authority=world.outsider_authority
    )
    outsider_job = request_certificate(
        world, outsider_award, django_capture_on_commit_callbacks, by=world.outsider
    )
    client.force_login(world.people["authority_admin"])
    assert (
        client.get(reverse("reports:download", args=["bathnes", outsider_job.pk])).status_code
        == 404
    )
    assert client.get(reverse("reports:job", args=["bathnes", outsider_job.pk])).status_code == 404
    assert (
        client.post(reverse("reports:certificate", args=["bathnes", outsider_award.pk])).status_code
        == 404
    )
    # Nor does ours for the outsider's admin.
    client.force_login(world.outsider)
    assert client.get(reverse("reports:download", args=["outsider", job.pk])).status_code == 404


def test_requesting_is_post_only(client, world):
    award = make_award(world)
    client.force_login(world.people["authority_admin"])
    assert client.get(reverse("reports:certificate", args=["bathnes", award.pk])).status_code == 405


def test_an_award_withdrawn_by_a_corrected_decision_has_no_certificate(
    client, world, django_capture_on_commit_callbacks
):
    cycle = advance(world, Cycle.State.DECIDED)
    with scope(authority=world.authority):
        award = Award.objects.get()
        moderation.correct_decision(
            decision=cycle.decisions.get(),
            by=world.people["panel_chair"],
            outcome=Outcome.DEFER,
            tier="",
            rationale="Two elements need more evidence.",
            reason="The tally was recorded wrongly.",
        )
    client.force_login(world.people["school_coordinator"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:certificate", args=["bathnes", award.pk]))
    assert (response.status_code, response.context["reason"]) == (
        403,
        "This award was withdrawn when the panel's decision was corrected: it has no certificate.",
    )
    with scopes_disabled():
        assert list(RenderJob.objects.all()) == []


@pytest.mark.parametrize(
    "html",
    [
        '<img src="/dev/urandom"><link rel="stylesheet" href="file:///dev/urandom"><p>x</p>',
        "<style>p { margin-left: 99999999999999999999px; font-size: 1e308px; }</style><p>Huge</p>",
        "<div>" * 10_000 + "deep" + "</div>" * 10_000,
        '<a rel="attachment" href="file:///etc/passwd">passwd</a><img src="http://169.254.169.254/latest/meta-data/">',
    ],
    ids=["dev-urandom", "huge-css", "nested-10000", "attachment-and-metadata"],
)
def test_hostile_documents_end_without_fetching_or_embedding_anything(world, html, monkeypatch):
    """Each render ends, done or failed with a reason a person can read; nothing outside the
    project's static files is fetched, and a PDF that is made carries no image or attachment."""
    served = []
    original = StaticOnlyFetcher.fetch

    def spy(self, url, *args, **kwargs):
        result = original(self, url, *args, **kwargs)
        served.append(url)
        return result

    monkeypatch.setattr(StaticOnlyFetcher, "fetch", spy, raising=False)
    award = make_award(world)
    with scopes_disabled():
        job = RenderJob.objects.create(
            authority=world.authority,
            kind=RenderJob.Kind.CERTIFICATE,
            object_id=award.pk,
            input_hash=str(len(html)),
            html=f"<!doctype html><html><body>{html}</body></html>",
        )
    tasks.render_job.apply(args=[world.authority.pk, job.pk])
    with scopes_disabled():
        job.refresh_from_db()
    assert served == []
    assert job.state in (RenderJob.State.DONE, RenderJob.State.FAILED)
    if job.state == RenderJob.State.FAILED:
        assert job.error == tasks.FAILED
        return
    with default_storage.open(job.file.name, "rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    for page in reader.pages:
        assert page["/Resources"].get_object().get("/XObject", {}) == {}
    assert "/EmbeddedFiles" not in str(reader.trailer["/Root"].get_object())


def test_a_certificate_made_before_its_award_was_withdrawn_is_no_longer_served(
    client, world, django_capture_on_commit_callbacks
):
    cycle = advance(world, Cycle.State.DECIDED)
    with scope(authority=world.authority):
        award = Award.objects.get()
    client.force_login(world.people["school_coordinator"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports:certificate", args=["bathnes", award.pk]))
    with scopes_disabled():
        job = RenderJob.objects.get()
    assert job.state == RenderJob.State.DONE
    with scope(authority=world.authority):
        moderation.correct_decision(
            decision=cycle.decisions.get(),
            by=world.people["panel_chair"],
            outcome=Outcome.DEFER,
            tier="",
            rationale="Gaps.",
            reason="The tally was recorded wrongly.",
        )
    reason = (
        "This award was withdrawn when the panel's decision was corrected: it has no certificate."
    )
    for name in ("reports:job", "reports:download"):
        response = client.get(reverse(name, args=["bathnes", job.pk]))
        assert (name, response.status_code, response.context["reason"]) == (name, 403, reason)


def test_the_certificate_ends_with_the_signatures_seal_and_reference(
    world, django_capture_on_commit_callbacks
):
    """Below the award and its dates (the page's lower third, as rendered and looked at): the
    panel chair's signature for the authority, the award's seal, IQM's, and the reference."""
    award = make_award(world, tier=Tier.QUALITY_MARK)
    job = reload(request_certificate(world, award, django_capture_on_commit_callbacks))
    text = " ".join(page_text(read_pdf(job)).split())
    dates = "Awarded 1 July 2026 · valid until 1 July 2029"
    assert dates in text
    after = text[text.index(dates) + len(dates) :]
    for expected in [
        "Chair of the moderation panel",
        "Bath & North East Somerset",
        "The national award for inclusion in schools",
        f"Certificate {award.pk} · Bath & North East Somerset · to be renewed by 1 July 2029",
    ]:
        assert expected in after
    # The seal is the award's mark, drawn (its letters as outlines) between the signatures.
    with scope(authority=world.authority):
        html = render.build_html("certificate", award)
    seal = html[html.index('<div class="seal">') :]
    assert seal.index("<svg") < seal.index("</svg>") < seal.index("</div>")
