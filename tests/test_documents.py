"""The assessment report, the self-review summary and the decision letter of the demo's decided
school, rendered through the real task path and read back from the PDF; who may ask for them."""

import re
import threading
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from accounts.models import Membership, Role, User
from assessments.models import Answer, Cycle
from authorities.models import Authority
from iqm_portal.demo import DECIDED_SCHOOL, DEMO_SCHOOL, load_demo
from moderation import domain as moderation
from moderation.models import Decision, Outcome, Report
from reports import render
from reports.fetcher import BASE_URL, StaticOnlyFetcher
from reports.models import RenderJob

from .test_reports import page_images, page_text, read_pdf, reload

AUTHORITY = "Bath & North East Somerset"
ELEMENTS = [
    "1. Pupil progress",
    "2. Pupil attitudes, values and personal development",
    "3. Leadership and management",
    "4. Staffing systems and organisation",
    "5. The learning environment",
    "6. Teaching and learning",
    "7. Resources and ICT",
    "8. Parents and carers",
    "9. Governors, external partners and local authority",
    "10. The community",
]
# The demo's documents, laid out by print.css (change these only after reading the PDFs).
REPORT_PAGES, SUMMARY_PAGES, LETTER_PAGES = 4, 5, 1
# What a document may fetch: the print stylesheets and the fonts in static/fonts, nothing else.
STATIC_FETCHES = {
    BASE_URL + f"static/{path}"
    for path in (
        "css/fonts.css",
        "css/print.css",
        "fonts/DejaVuSans.ttf",
        "fonts/DejaVuSerif.ttf",
        "fonts/DejaVuSerif-Bold.ttf",
    )
}


@dataclass
class Demo:
    authority: Authority
    cycle: Cycle
    report: Report
    decision: Decision

    def person(self, name):
        return User.objects.get(email=f"{name}@bathnes.test")

    @property
    def subjects(self):
        """What each document is made from, in the order of the cycle page's buttons."""
        return {"summary": self.cycle, "report": self.report, "letter": self.decision}


@pytest.fixture
def demo(db):
    load_demo()
    authority = Authority.objects.get(slug="bathnes")
    with scope(authority=authority):
        cycle = Cycle.objects.get(school__name=DECIDED_SCHOOL)
        return Demo(authority, cycle, cycle.report, cycle.decisions.get())


def make(demo, kind, subject, capture, by="coordinator"):
    """Ask for the PDF as the portal does and run the queued task; the finished job and its
    pages."""
    with capture(execute=True), scope(authority=demo.authority):
        subject = render.kind_of(kind).queryset().get(pk=subject.pk)
        job = render.request_render(demo.authority, kind, subject, demo.person(by))
    job = reload(job)
    assert (job.state, job.error) == (RenderJob.State.DONE, "")
    reader = read_pdf(job)
    assert job.pages == len(reader.pages)
    return job, reader


def page_texts(reader):
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def assert_pages_framed(reader, title, pages):
    """N pages of A4 portrait, each with "Page i of N" at its foot, the school at the foot and,
    after the first page (which carries them in its own first lines), the authority and the
    document's title at its head; only the fonts shipped in static/fonts."""
    texts = page_texts(reader)
    assert len(texts) == pages
    for number, text in enumerate(texts, start=1):
        assert text.count(f"Page {number} of {pages}") == 1, (number, text)
        assert DECIDED_SCHOOL in text
        if number > 1:
            assert AUTHORITY in text and title in text, (number, text)
        page = reader.pages[number - 1]
        assert (
            round(float(page.mediabox.width) / 72 * 25.4),
            round(float(page.mediabox.height) / 72 * 25.4),
        ) == (210, 297)
        fonts = {
            str(f.get_object()["/BaseFont"]).split("+")[-1]
            for f in page["/Resources"]["/Font"].values()
        }
        assert fonts <= {"IQM-Sans", "IQM-Serif", "IQM-Serif-Bold"}
        assert page_images(page) == []


# --- The documents -------------------------------------------------------------------------------


def test_the_assessment_report(demo, django_capture_on_commit_callbacks):
    job, reader = make(demo, RenderJob.Kind.REPORT, demo.report, django_capture_on_commit_callbacks)
    assert_pages_framed(reader, "Assessment report", REPORT_PAGES)
    cover, *rest = page_texts(reader)
    visit_date = f"{demo.cycle.visit.date:%-d %B %Y}"
    assert cover.startswith(
        f"{AUTHORITY} IQM assessment report {DECIDED_SCHOOL} Assessment Initial assessment"
    )
    assert f"Date of the visit {visit_date}" in cover
    assert "Moderators Jordan Moderator and Riley Moderator" in cover
    body = " ".join(rest)
    assert "Bathampton Primary is a primary school on the eastern edge of Bath." in body
    for heading in ELEMENTS:
        assert body.count(f"{heading} Judgement: Met Strengths") == 1, heading
    for section in (
        "Overall strengths",
        "Next steps",
        "Recommendation Award: Inclusion Quality Mark",
    ):
        assert section in body
    signed = f"{demo.report.finalised_at:%-d %B %Y}"
    assert f"Moderator Signed Jordan Moderator {signed} Riley Moderator {signed}" in body


def test_the_self_review_summary(demo, django_capture_on_commit_callbacks):
    job, reader = make(
        demo, RenderJob.Kind.SUMMARY, demo.cycle, django_capture_on_commit_callbacks, by="mentor"
    )
    assert_pages_framed(reader, "Self-review summary", SUMMARY_PAGES)
    text = " ".join(page_texts(reader))
    assert text.startswith(
        f"{AUTHORITY} Self-review summary {DECIDED_SCHOOL} Assessment Initial assessment"
    )
    # The demo school rated elements 3, 6 and 9 Developing; its mentor validated them as
    # Established.
    for number, heading in enumerate(ELEMENTS, start=1):
        adjusted = number % 3 == 0
        school = "Developing" if adjusted else "Established"
        validated = "Established (adjusted by the mentor)" if adjusted else "Agreed"
        assert f"{heading} {school} {validated}" in text, heading
        rating = f"School's rating: {school}" + (
            " · validated rating: Established" if adjusted else ""
        )
        assert text.count(f"{heading} {rating} What the school does") == 1, heading
    assert "Evidence Minutes, tracking data and pupil voice surveys." in text
    assert "Governors' inclusion link visits each term, reported to the full board." in text
    assert "On track" in text and "Not started" in text


def test_the_decision_letter(demo, django_capture_on_commit_callbacks):
    job, reader = make(
        demo, RenderJob.Kind.LETTER, demo.decision, django_capture_on_commit_callbacks
    )
    assert_pages_framed(reader, "Decision letter", LETTER_PAGES)
    text = page_text(reader)
    with scope(authority=demo.authority):
        award = demo.decision.award
    assert text.startswith(
        f"{AUTHORITY} Inclusion Quality Mark · moderation panel The Head Teacher {DECIDED_SCHOOL}"
    )
    assert "Awarded the Inclusion Quality Mark" in text
    assert (
        f"holds the Inclusion Quality Mark from {award.awarded_on:%-d %B %Y} "
        f"until {award.expires_on:%-d %B %Y}" in text.replace("\u00ad", "")
    )
    assert "The report shows every element met" in text
    assert "Yours sincerely, Charlie Chair Chair of the moderation panel" in text
    assert "replaces" not in text


def test_the_letter_is_addressed_to_the_schools_head_teacher_by_name(
    demo, django_capture_on_commit_callbacks
):
    with scope(authority=demo.authority):
        Membership.objects.create(
            authority=demo.authority,
            school=demo.cycle.school,
            role=Role.HEAD_TEACHER,
            user=User.objects.create_user(email="head@bathampton.test", full_name="Hollis <Head>"),
        )
    _, reader = make(demo, RenderJob.Kind.LETTER, demo.decision, django_capture_on_commit_callbacks)
    text = page_text(reader)
    assert text.startswith(
        f"{AUTHORITY} Inclusion Quality Mark · moderation panel Hollis <Head> Head Teacher "
        f"{DECIDED_SCHOOL}"
    )
    assert "Dear Hollis <Head>," in text


def test_a_corrected_decisions_letter_replaces_the_earlier_one(
    demo, django_capture_on_commit_callbacks
):
    with scope(authority=demo.authority):
        correction = moderation.correct_decision(
            decision=demo.decision,
            by=demo.person("chair"),
            outcome=Outcome.DEFER,
            tier="",
            rationale="The evidence for element 8 was not the school's own.",
            reason="The panel was misinformed.",
        )
    _, reader = make(demo, RenderJob.Kind.LETTER, correction, django_capture_on_commit_callbacks)
    text = page_text(reader)
    recorded = f"{demo.decision.recorded_at:%-d %B %Y}"
    assert (
        f"This letter replaces our letter of {recorded}, which gave the panel's decision as "
        "“Awarded the Inclusion Quality Mark”" in text
    )
    assert "Decision deferred" in text and "The panel was misinformed." in text
    assert "holds the" not in text
    # The earlier letter, asked for again, says it has been replaced.
    _, reader = make(demo, RenderJob.Kind.LETTER, demo.decision, django_capture_on_commit_callbacks)
    assert "the letter of that date replaces this one" in page_text(reader)


def test_hostile_text_prints_as_text_and_nothing_is_fetched(
    demo, django_capture_on_commit_callbacks, monkeypatch
):
    hostile = '<script>alert(1)</script><img src="file:///etc/passwd"><link rel="stylesheet" href="https://example.org/x.css">'
    with scopes_disabled():
        Answer.objects.filter(cycle=demo.cycle, element__number=1).update(practice=hostile)
        demo.report.findings.filter(element__number=1).update(strengths=hostile)
    requested = []
    original = StaticOnlyFetcher.fetch

    def spy(self, url, *args, **kwargs):
        requested.append(url)
        return original(self, url, *args, **kwargs)

    monkeypatch.setattr(StaticOnlyFetcher, "fetch", spy)
    # A fresh font configuration, so the shipped fonts are fetched here rather than kept from an
    # earlier test.
    monkeypatch.setattr(render, "_fonts", threading.local())
    for kind, subject in (
        (RenderJob.Kind.SUMMARY, demo.cycle),
        (RenderJob.Kind.REPORT, demo.report),
    ):
        job, reader = make(demo, kind, subject, django_capture_on_commit_callbacks)
        assert (
            "<script>" not in job.html
            and "&lt;img src=&quot;file:///etc/passwd&quot;&gt;" in job.html
        )
        # Printed as it was typed (the line breaks of a long word aside).
        assert "".join(hostile.split()) in "".join(page_text(reader).replace("\u00ad", "").split())
        assert all(page_images(page) == [] for page in reader.pages)
    assert set(requested) == STATIC_FETCHES


# --- Asking for them -----------------------------------------------------------------------------


def request_url(kind, subject):
    return reverse(f"reports:{kind}", args=["bathnes", subject.pk])


def pdf_buttons(page):
    """(action, label) of each "Get the … (PDF)" button of a page."""
    return re.findall(
        r'<form method="post" action="([^"]+)" class="inline-form">'
        r"<input [^>]*><button [^>]*>(Get the [^<]+ \(PDF\))</button>",
        page,
    )


def test_school_staff_and_the_mentor_get_the_documents_from_the_cycle_page(
    client, demo, django_capture_on_commit_callbacks
):
    cycle_page = reverse("assessments:cycle", args=["bathnes", demo.cycle.pk])
    school_id, cycle_id = demo.cycle.school_id, demo.cycle.pk
    names = {
        "summary": f"iqm-self-review-summary-{school_id}-{cycle_id}.pdf",
        "report": f"iqm-assessment-report-{school_id}-{cycle_id}.pdf",
        "letter": f"iqm-decision-letter-{school_id}-{demo.decision.pk}.pdf",
    }
    for who in ("coordinator", "mentor"):
        client.force_login(demo.person(who))
        # The case's outcome offers the certificate first; the case's documents follow.
        assert pdf_buttons(client.get(cycle_page).content.decode()) == [
            (request_url("certificate", demo.decision.award), "Get the certificate (PDF)"),
            (request_url("summary", demo.cycle), "Get the self-review summary (PDF)"),
            (request_url("report", demo.report), "Get the assessment report (PDF)"),
            (request_url("letter", demo.decision), "Get the decision letter (PDF)"),
        ]
        for kind, subject in demo.subjects.items():
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(request_url(kind, subject))
            assert response.status_code == 302
            assert client.get(response["Location"]).status_code == 200
            with scopes_disabled():
                job = RenderJob.objects.get(kind=kind, object_id=subject.pk)
            download = client.get(reverse("reports:download", args=["bathnes", job.pk]))
            assert (download.status_code, download["Content-Disposition"]) == (
                200,
                f'attachment; filename="{names[kind]}"',
            )
            assert b"".join(download.streaming_content).startswith(b"%PDF")
    # Both asked for the same input: each document was made once.
    with scopes_disabled():
        assert sorted(RenderJob.objects.values_list("kind", flat=True)) == [
            "letter",
            "report",
            "summary",
        ]


def test_the_buttons_are_where_the_documents_are_shown(client, demo):
    client.force_login(demo.person("chair"))
    report_page = client.get(
        reverse("moderation:report", args=["bathnes", demo.cycle.pk])
    ).content.decode()
    assert pdf_buttons(report_page) == [
        (request_url("report", demo.report), "Get the assessment report (PDF)")
    ]
    panel_page = client.get(
        reverse("moderation:panel", args=["bathnes", demo.cycle.pk])
    ).content.decode()
    assert pdf_buttons(panel_page) == [
        (request_url("letter", demo.decision), "Get the decision letter (PDF)")
    ]


def test_a_draft_report_and_an_unsubmitted_self_review_are_refused(client, demo):
    with scopes_disabled():
        Report.objects.filter(pk=demo.report.pk).update(finalised_at=None)
        waiting = Cycle.objects.get(school__name=DEMO_SCHOOL)  # registered: nothing submitted yet
    client.force_login(demo.person("admin"))
    response = client.post(request_url("report", demo.report))
    assert response.status_code == 403
    assert "The report is still a draft" in response.content.decode()
    response = client.post(request_url("summary", waiting))
    assert response.status_code == 403
    assert "once the school has submitted its self-review" in response.content.decode()
    assert (
        pdf_buttons(
            client.get(
                reverse("moderation:report", args=["bathnes", demo.cycle.pk])
            ).content.decode()
        )
        == []
    )
    assert (
        pdf_buttons(
            client.get(reverse("assessments:cycle", args=["bathnes", waiting.pk])).content.decode()
        )
        == []
    )
    with scopes_disabled():
        assert RenderJob.objects.count() == 0


def test_another_schools_staff_cannot_get_the_documents(
    client, demo, django_capture_on_commit_callbacks
):
    head = demo.person("head")  # head teacher of Chandag Infant, not of the decided school
    client.force_login(head)
    for kind, subject in demo.subjects.items():
        # Another school's documents do not exist for them, as another authority's do not.
        assert client.post(request_url(kind, subject)).status_code == 404
        job, _ = make(demo, kind, subject, django_capture_on_commit_callbacks)
        assert client.get(reverse("reports:job", args=["bathnes", job.pk])).status_code == 404
        assert client.get(reverse("reports:download", args=["bathnes", job.pk])).status_code == 404


@pytest.mark.parametrize("kind, queries", [("report", 8), ("summary", 8), ("letter", 6)])
def test_asking_again_takes_a_few_queries_however_many_elements(
    client, demo, kind, queries, django_assert_num_queries
):
    """Session, user, memberships (with their authorities, the URL's too); the subject and one
    query for each kind of row (ten findings, answers, reviews, targets; the framework's elements,
    kept in the cache since the first asking); the job of the same input."""
    subject = demo.subjects[kind]
    client.force_login(demo.person("coordinator"))
    client.post(request_url(kind, subject))
    with django_assert_num_queries(queries):
        assert client.post(request_url(kind, subject)).status_code == 302
