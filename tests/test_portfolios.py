import functools
import io
import re
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scope, scopes_disabled
from PIL import Image

from assessments.models import Cycle
from audit.models import AuditEntry
from moderation import domain as moderation
from portfolios import domain
from portfolios.models import EvidenceFile, EvidenceItem, ItemComment, PortfolioSubmission

from .assessment_helpers import validate
from .journey import advance
from .storage import storage_backend  # noqa: F401

# Every test here runs on the local file system and on S3-compatible storage (a local moto server).
pytestmark = pytest.mark.usefixtures("storage_backend")

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes(colour="red"):
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(buffer, "PNG")
    return buffer.getvalue()


def stored_files():
    """Every evidence file in storage, whichever authority."""
    found = []
    try:
        authorities, _ = default_storage.listdir("portfolios")
    except FileNotFoundError:
        return []
    for folder in authorities:
        found += [
            f"portfolios/{folder}/{name}"
            for name in default_storage.listdir(f"portfolios/{folder}")[1]
        ]
    return sorted(found)


def upload_url(world):
    return reverse("portfolios:upload", args=["bathnes", world.cycle.pk])


def post_files(client, world, *files, json=True, **data):
    headers = {"Accept": "application/json"} if json else {}
    return client.post(upload_url(world), {"files": list(files), **data}, headers=headers)


@pytest.fixture
def coordinator(client, world):
    client.force_login(world.people["school_coordinator"])
    return client


def test_several_files_are_added_at_once_and_linked_to_elements(coordinator, world):
    with scopes_disabled():
        element = world.cycle.framework.elements.get(number=2)
    response = post_files(
        coordinator,
        world,
        SimpleUploadedFile("Attendance report.pdf", PDF),
        SimpleUploadedFile("display.png", png_bytes()),
        json=False,
        elements=[element.pk],
    )
    assert response.status_code == 302
    with scope(authority=world.authority):
        items = list(EvidenceItem.objects.order_by("title").select_related("file"))
        assert [(i.title, i.original_name, i.file.content_type) for i in items] == [
            ("Attendance report", "Attendance report.pdf", "application/pdf"),
            ("display", "display.png", "image/png"),
        ]
        assert [list(i.elements.all()) for i in items] == [[element], [element]]
        assert AuditEntry.objects.filter(action="evidence.added").count() == 2
        # Stored under the authority's folder with a name the server made.
        name = items[0].file.file.name
    assert (
        name.startswith(f"portfolios/{world.authority.pk}/")
        and name.endswith(".pdf")
        and "Attendance" not in name
    )
    page = coordinator.get(reverse("portfolios:portfolio", args=["bathnes", world.cycle.pk]))
    assert [e.item_count for e in page.context["elements"]] == [0, 2, 0, 0, 0, 0, 0, 0, 0, 0]
    assert page.content.decode().count("None yet") == 9
    assert [(i.title, i.element_numbers) for i in page.context["page"]] == [
        ("Attendance report", [2]),
        ("display", [2]),
    ]


def test_the_same_file_twice_is_offered_as_the_existing_item(coordinator, world):
    post_files(coordinator, world, SimpleUploadedFile("plan.pdf", PDF))
    response = post_files(coordinator, world, SimpleUploadedFile("plan-copy.pdf", PDF))
    assert response.status_code == 422
    with scope(authority=world.authority):
        item = EvidenceItem.objects.get()
    assert response.json() == {
        "results": [
            {
                "name": "plan-copy.pdf",
                "error": (
                    "This file is already in the portfolio as “plan”. Link that item to more "
                    "elements instead."
                ),
                "existing": reverse("portfolios:item", args=["bathnes", world.cycle.pk, item.pk]),
            }
        ]
    }
    assert len(stored_files()) == 1


def zip_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "hello")
    return buffer.getvalue()


HOSTILE = [
    ("png-with-html.png", png_bytes() + b"<html><script>alert(1)</script></html>"),
    ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("report.docx", PDF),
    ("evidence.zip", zip_bytes()),
    ("empty.pdf", b""),
]


@pytest.mark.parametrize("name, content", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_uploads_are_refused_with_a_message_and_leave_nothing(
    coordinator, world, name, content
):
    with scopes_disabled():
        logged = AuditEntry.objects.count()
    response = post_files(coordinator, world, SimpleUploadedFile(name, content))
    assert response.status_code == 422
    [result] = response.json()["results"]
    assert result["error"].endswith(".") and len(result["error"]) > 20
    with scopes_disabled():
        assert (
            EvidenceItem.objects.count(),
            EvidenceFile.objects.count(),
            AuditEntry.objects.count(),
        ) == (0, 0, logged)
    assert stored_files() == []


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.pdf", "..\\..\\boot.pdf", "notes\x07\u202e.pdf"]
)
def test_path_separators_and_control_characters_never_reach_storage(coordinator, world, name):
    """Django's multipart parser drops the path and the unprintable characters before the portal
    sees the name (portfolios.uploads refuses such a name outright, tests/test_uploads.py); the
    name is kept only as data and the file is stored under a name the server made."""
    response = post_files(coordinator, world, SimpleUploadedFile(name, PDF))
    assert response.status_code == 200
    with scope(authority=world.authority):
        item = EvidenceItem.objects.select_related("file").get()
    assert (
        "/" not in item.original_name
        and "\\" not in item.original_name
        and item.original_name.isprintable()
    )
    assert stored_files() == [item.file.file.name]
    assert item.file.file.name.startswith(f"portfolios/{world.authority.pk}/")


def test_an_oversize_file_is_refused(coordinator, world):
    world.authority.upload_limit_mb = 1
    world.authority.save()
    response = post_files(
        coordinator, world, SimpleUploadedFile("big.pdf", PDF + b"0" * (1024 * 1024))
    )
    assert response.status_code == 422
    assert "1 MB" in response.json()["results"][0]["error"]
    assert stored_files() == []


def test_a_portfolio_over_its_limit_refuses_the_file_that_would_cross_it(
    coordinator, world, settings
):
    world.authority.portfolio_limit_mb = 10
    world.authority.save()
    big = PDF + b"1" * (6 * 1024 * 1024)
    assert post_files(coordinator, world, SimpleUploadedFile("a.pdf", big)).status_code == 200
    response = post_files(coordinator, world, SimpleUploadedFile("b.pdf", big.replace(b"1", b"2")))
    assert response.status_code == 422
    assert response.json()["results"][0]["error"].startswith(
        "“b.pdf” would take the portfolio over its limit of 10 MB"
    )
    assert len(stored_files()) == 1


def test_too_many_files_in_one_request_is_refused(coordinator, world):
    files = [
        SimpleUploadedFile(f"f{i}.pdf", PDF + str(i).encode())
        for i in range(domain.FILES_PER_REQUEST + 1)
    ]
    response = post_files(coordinator, world, *files)
    assert response.status_code == 422
    assert response.json() == {"error": f"Add up to {domain.FILES_PER_REQUEST} files at a time."}
    assert stored_files() == []


def test_a_failure_after_storing_removes_the_file(coordinator, world, monkeypatch):
    def broken_record(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(domain, "record", broken_record)
    coordinator.raise_request_exception = False
    response = post_files(coordinator, world, SimpleUploadedFile("plan.pdf", PDF))
    assert response.status_code == 500
    with scopes_disabled():
        assert (EvidenceItem.objects.count(), EvidenceFile.objects.count()) == (0, 0)
    assert stored_files() == []


def test_download_checks_the_hash_and_sets_safe_headers(coordinator, world, caplog):
    post_files(
        coordinator,
        world,
        SimpleUploadedFile("Report 2026.pdf", PDF),
        SimpleUploadedFile("notes.txt", b"Plain notes."),
    )
    with scope(authority=world.authority):
        pdf, text = EvidenceItem.objects.order_by("title").select_related("file")
    response = coordinator.get(
        reverse("portfolios:download", args=["bathnes", world.cycle.pk, pdf.pk])
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert (
        response["Content-Type"],
        response["Content-Disposition"],
        response["X-Content-Type-Options"],
    ) == ("application/pdf", 'inline; filename="Report 2026.pdf"', "nosniff")
    response = coordinator.get(
        reverse("portfolios:download", args=["bathnes", world.cycle.pk, text.pk])
    )
    assert response["Content-Disposition"] == 'attachment; filename="notes.txt"'

    with default_storage.open(pdf.file.file.name, "wb") as handle:
        handle.write(PDF.replace(b"1.4", b"1.7"))
    response = coordinator.get(
        reverse("portfolios:download", args=["bathnes", world.cycle.pk, pdf.pk])
    )
    assert response.status_code == 500
    assert "is not the same as when it was uploaded" in response.content.decode()
    assert [
        r.levelname for r in caplog.records if "does not match its SHA-256" in r.getMessage()
    ] == ["ERROR"]


def test_links_comments_and_replies(coordinator, client, world):
    response = coordinator.post(
        reverse("portfolios:add_link", args=["bathnes", world.cycle.pk]),
        {"url": "https://school.example/inclusion", "title": "Inclusion page"},
    )
    assert response.status_code == 302
    with scope(authority=world.authority):
        item = EvidenceItem.objects.get()
    mentor = client.__class__()
    mentor.force_login(world.people["mentor"])
    url = reverse("portfolios:comment", args=["bathnes", world.cycle.pk, item.pk])
    assert mentor.post(url, {"body": "Add the date of the last review."}).status_code == 302
    assert coordinator.post(url, {"body": "Done: reviewed in March."}).status_code == 302
    response = coordinator.post(url, {"body": "   "}, follow=True)
    assert [str(m) for m in response.context["messages"]][
        -1
    ] == "Write a comment before sending it."
    with scope(authority=world.authority):
        assert [(c.author.email, c.body) for c in ItemComment.objects.all()] == [
            ("mentor@bathnes.test", "Add the date of the last review."),
            ("school_coordinator@bathnes.test", "Done: reviewed in March."),
        ]


@pytest.mark.parametrize(
    "data, errors",
    [
        (
            {"url": "", "title": ""},
            {"url": ["This field is required."], "title": ["This field is required."]},
        ),
        ({"url": "javascript:alert(1)", "title": "x"}, {"url": ["Enter a valid URL."]}),
        (
            {"url": "https://a.example", "title": "x" * 201},
            {"title": ["Ensure this value has at most 200 characters (it has 201)."]},
        ),
        (
            {"url": "https://a.example", "title": "x", "evidence_date": "yesterday"},
            {"evidence_date": ["Enter a valid date."]},
        ),
    ],
)
def test_bad_links_are_refused(coordinator, world, data, errors):
    response = coordinator.post(
        reverse("portfolios:add_link", args=["bathnes", world.cycle.pk]), data
    )
    assert response.status_code == 200
    assert response.context["form"].errors == errors
    with scopes_disabled():
        assert EvidenceItem.objects.count() == 0


def test_deleting_keeps_a_file_another_item_uses_and_logs_who(coordinator, world):
    post_files(coordinator, world, SimpleUploadedFile("plan.pdf", PDF))
    with scope(authority=world.authority):
        item = EvidenceItem.objects.get()
        other_cycle = Cycle.objects.create(
            authority=world.authority,
            school=world.other_school,
            framework=world.cycle.framework,
            mentor=world.people["mentor"],
        )
        EvidenceItem.objects.create(
            cycle=other_cycle, file=item.file, title="Shared", added_by=world.people["mentor"]
        )
    response = coordinator.post(
        reverse("portfolios:item_delete", args=["bathnes", world.cycle.pk, item.pk])
    )
    assert response.status_code == 302
    assert len(stored_files()) == 1
    with scope(authority=world.authority):
        assert list(EvidenceItem.objects.filter(cycle=world.cycle)) == []
        entry = AuditEntry.objects.get(action="evidence.removed")
    assert (entry.actor, entry.before["title"]) == (world.people["school_coordinator"], "plan")


def test_deleting_the_last_use_removes_the_file(
    coordinator, world, django_capture_on_commit_callbacks
):
    post_files(coordinator, world, SimpleUploadedFile("plan.pdf", PDF))
    with scope(authority=world.authority):
        item = EvidenceItem.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        coordinator.post(
            reverse("portfolios:item_delete", args=["bathnes", world.cycle.pk, item.pk])
        )
    assert stored_files() == []


def test_submission_locks_the_portfolio(coordinator, world):
    post_files(coordinator, world, SimpleUploadedFile("plan.pdf", PDF))
    submit_url = reverse("portfolios:submit", args=["bathnes", world.cycle.pk])
    response = coordinator.post(submit_url, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "The portfolio can be submitted once the mentor has validated the self-review"
    ]
    validate(world)
    coordinator.post(submit_url)
    world.cycle.refresh_from_db()
    assert world.cycle.state == Cycle.State.PORTFOLIO_SUBMITTED
    with scope(authority=world.authority):
        item = EvidenceItem.objects.get()
        assert PortfolioSubmission.objects.get().items == [
            {"id": item.pk, "title": "plan", "sha256": item.file.sha256, "url": "", "elements": []}
        ]
    response = post_files(coordinator, world, SimpleUploadedFile("late.pdf", PDF + b"late"))
    assert (
        response.json()["results"][0]["error"]
        == "The portfolio has been submitted for moderation: it cannot be changed."
    )
    response = coordinator.post(
        reverse("portfolios:item_delete", args=["bathnes", world.cycle.pk, item.pk]), follow=True
    )
    assert [str(m) for m in response.context["messages"]][
        -1
    ] == "The portfolio has been submitted for moderation: it cannot be changed."
    response = coordinator.post(
        reverse("portfolios:item", args=["bathnes", world.cycle.pk, item.pk]), {"title": "Changed"}
    )
    assert response.status_code == 403
    with scope(authority=world.authority):
        assert [i.title for i in EvidenceItem.objects.all()] == ["plan"]
    assert len(stored_files()) == 1


def returned_notice(html):
    """The paragraphs of the "returned" notice on a cycle's pages (assessments/_returned.html)."""
    return [
        re.findall(r"<(?:h2|p)[^>]*>(.*?)</(?:h2|p)>", region)
        for region in re.findall(
            r'<div class="notification" role="region" aria-labelledby="returned-title">(.*?)</div>',
            html,
        )
    ]


def test_the_panels_return_reasons_are_shown_to_the_school_until_it_submits_again(
    coordinator, world
):
    cycle = advance(world, Cycle.State.PORTFOLIO_SUBMITTED)
    with scope(authority=world.authority):
        moderation.return_portfolio(
            cycle=cycle,
            by=world.people["panel_chair"],
            reasons="Add pupil voice evidence.\nDate each photograph.",
        )
    pages = [
        reverse("assessments:cycle", args=["bathnes", cycle.pk]),
        reverse("portfolios:portfolio", args=["bathnes", cycle.pk]),
    ]
    dashboard = reverse("dashboard", args=["bathnes"])
    assert [returned_notice(coordinator.get(page).content.decode()) for page in pages] == [
        [
            [
                "The panel returned the portfolio",
                "The desk check found it not yet ready for a visit:",
                "Add pupil voice evidence.<br>Date each photograph.",
                "Change the portfolio, then submit it again.",
            ]
        ]
    ] * 2
    assert [(t.text, t.detail) for t in coordinator.get(dashboard).context["work"]] == [
        (
            "Chandag Infant: the panel returned the portfolio; change it and submit it again",
            "Add pupil voice evidence.\nDate each photograph.",
        )
    ]

    with scope(authority=world.authority):
        domain.submit_portfolio(cycle=cycle, by=world.people["school_coordinator"])
    cycle.refresh_from_db()
    assert (cycle.state, cycle.return_comment) == (Cycle.State.PORTFOLIO_SUBMITTED, "")
    assert [returned_notice(coordinator.get(page).content.decode()) for page in pages] == [[], []]
    assert list(coordinator.get(dashboard).context["work"]) == []


def links_and_comments(world, count):
    """`count` links, by title, each linked to the first two elements, with a comment each."""
    with scope(authority=world.authority):
        elements = list(world.cycle.framework.elements.order_by("number")[:2])
        for i in range(count):
            item = domain.add_link(
                cycle=world.cycle,
                by=world.people["school_coordinator"],
                url=f"https://chandag.example/{i}",
                title=f"Evidence {i:02d}",
                elements=elements if i % 5 else [],
            )
            ItemComment.objects.create(item=item, author=world.people["mentor"], body="Dated?")


@pytest.mark.parametrize("extra", [1, 3, 50])
def test_portfolio_page_query_count_does_not_grow(
    coordinator, world, django_assert_num_queries, extra
):
    links_and_comments(world, extra)
    url = reverse("portfolios:portfolio", args=["bathnes", world.cycle.pk])
    coordinator.get(url)  # the framework's elements are read once, then kept
    # The session, user, memberships with their authorities (the page's too); the cycle; what
    # covers the elements, and the items not linked; a page of items (its count, its rows and
    # their elements).
    with django_assert_num_queries(8):
        response = coordinator.get(url)
    page = response.context["page"]
    assert (page.paginator.count, len(page)) == (extra, min(extra, 25))
    with django_assert_num_queries(8):
        response = coordinator.get(url, {"element": "none"})
    assert response.context["page"].paginator.count == (extra + 4) // 5


def test_coverage_counts_the_items_and_statements_of_each_element(coordinator, world):
    with scope(authority=world.authority):
        first, second, third = world.cycle.framework.elements.order_by("number")[:3]
        statements = {e.number: list(e.descriptors.order_by("number")) for e in (second, third)}
        add = functools.partial(
            domain.add_link, cycle=world.cycle, by=world.people["school_coordinator"]
        )
        add(
            url="https://chandag.example/a",
            title="A",
            elements=[second],
            descriptors=statements[2][:2],
        )
        add(
            url="https://chandag.example/b",
            title="B",
            elements=[second, third],
            descriptors=[statements[2][0], statements[3][0]],
        )
        add(url="https://chandag.example/c", title="C")
        sizes = [e.descriptors.count() for e in world.cycle.framework.elements.order_by("number")]
    url = reverse("portfolios:portfolio", args=["bathnes", world.cycle.pk])
    # Counted alike on the elements read afresh and on those kept in the cache.
    for response in (coordinator.get(url), coordinator.get(url)):
        elements = response.context["elements"]
        # A statement two items cover counts once; each element counts only its own statements.
        assert [(e.item_count, e.covered) for e in elements] == [(0, 0), (2, 2), (1, 1)] + [
            (0, 0)
        ] * (len(sizes) - 3)
        assert [e.descriptor_count for e in elements] == sizes
        assert response.context["not_linked"] == 1
        html = response.content.decode()
        assert re.findall(r'<tr><th scope="row"><a href="\?element=(\d+)#evidence"', html)[:3] == [
            str(e.pk) for e in (first, second, third)
        ]
        assert f"<td>0 of {sizes[0]}</td>" in html
        assert f"<td>2 of {sizes[1]}</td>" in html and f"<td>1 of {sizes[2]}</td>" in html


def test_the_portfolio_is_paged_and_filtered_by_element(coordinator, world):
    links_and_comments(world, 35)
    with scope(authority=world.authority):
        second = world.cycle.framework.elements.get(number=2)
    url = reverse("portfolios:portfolio", args=["bathnes", world.cycle.pk])
    response = coordinator.get(url, {"page": 2})
    assert [(i.title, i.comment_count, i.element_numbers) for i in response.context["page"]] == [
        (f"Evidence {i}", 1, [1, 2] if i % 5 else []) for i in range(25, 35)
    ]
    html = response.content.decode()
    assert '<h2 id="evidence">Evidence (35 items)</h2>' in html
    assert "1 comment · elements 1, 2</span>" in html
    assert 'href="?page=1#evidence"' in html
    response = coordinator.get(url, {"element": second.pk, "page": 2})
    assert [i.title for i in response.context["page"]] == [
        "Evidence 32",
        "Evidence 33",
        "Evidence 34",
    ]
    html = response.content.decode()
    assert f"Evidence for element 2. {second.title} (28 items)</h2>" in html
    assert f'<a href="?element={second.pk}#evidence" aria-current="true">' in html
    assert f'href="?element={second.pk}&amp;page=1#evidence"' in html
    assert '<a href="?element=none#evidence">Not yet linked to an element</a>' in html
    # An element of no framework of this cycle's: all the evidence.
    assert coordinator.get(url, {"element": "999999"}).context["page"].paginator.count == 35


@pytest.mark.parametrize("extra", [1, 3])
def test_item_page_query_count_does_not_grow(coordinator, world, django_assert_num_queries, extra):
    post_files(coordinator, world, SimpleUploadedFile("plan.pdf", PDF))
    with scope(authority=world.authority):
        item = EvidenceItem.objects.get()
        for i in range(extra):
            ItemComment.objects.create(
                item=item, author=world.people["mentor"], body=f"Comment {i}"
            )
    with django_assert_num_queries(10):
        response = coordinator.get(
            reverse("portfolios:item", args=["bathnes", world.cycle.pk, item.pk])
        )
    assert len(response.context["comments"]) == extra


def test_upload_with_no_file_says_choose_a_file_where_the_person_can_act(coordinator, world):
    """Without the page's script the form posts nothing: the portfolio page comes back with the
    error in its summary, linked to the field, and at the field; with it, JSON says the same."""
    validate(world)
    response = coordinator.post(upload_url(world), {})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Error: Portfolio – " in html
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', summary) == [
        ("#id_files", "Files: Choose a file to upload")
    ]
    assert re.findall(r'<p class="error-message" id="id_files_error">(.*?)</p>', html) == [
        '<span class="visually-hidden">Error:</span> Choose a file to upload'
    ]
    response = post_files(coordinator, world)
    assert (response.status_code, response.json()) == (422, {"error": "Choose a file to upload"})
    with scope(authority=world.authority):
        assert EvidenceItem.objects.count() == 0


def test_the_forty_statements_are_grouped_under_their_elements(coordinator, world):
    validate(world)
    response = coordinator.get(reverse("portfolios:add_link", args=["bathnes", world.cycle.pk]))
    html = response.content.decode()
    groups = re.findall(
        r'<h3 class="checkbox-group__heading">(.*?)</h3></legend>\s*<ul>(.*?)</ul>', html, re.S
    )
    with scopes_disabled():
        elements = list(world.cycle.framework.elements.order_by("number"))
        assert [heading for heading, _ in groups] == [str(e) for e in elements]
        for (_, boxes), element in zip(groups, elements, strict=True):
            labels = re.findall(r'name="descriptors" value="\d+"[^>]*>\s*(\d+\.\d+) ', boxes)
            assert labels == [d.label for d in element.descriptors.order_by("number")]
