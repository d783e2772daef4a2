"""The API's portfolio: evidence items, their files (through the browser's download checks),
comments, the submission and the desk check (api/portfolio.py)."""

import json

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from assessments.models import Cycle, Descriptor
from audit.models import AuditEntry
from portfolios import domain
from portfolios.models import EvidenceFile, EvidenceItem, ItemComment
from portfolios.uploads import UploadRefused, inspect_upload

from .api_isolation import token_client
from .isolation import _item
from .journey import advance

State = Cycle.State
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SCRIPTED_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def url(name, world, **kwargs):
    return reverse(f"api:{name}", kwargs={"authority_slug": "bathnes", **kwargs})


def evidence_url(world):
    return url("evidence-list", world, cycle_pk=world.cycle.pk)


def item_url(world, item, name="evidence-detail"):
    return url(name, world, cycle_pk=world.cycle.pk, pk=item.pk)


def upload(client, world, name, content, **data):
    return client.post(
        url("evidence-upload", world, cycle_pk=world.cycle.pk),
        {"file": SimpleUploadedFile(name, content), **data},
        format="multipart",
    )


def problem(response):
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


@pytest.fixture
def coordinator(world):
    return token_client(world, "school_coordinator")


def elements(world):
    with scope(authority=world.authority):
        return list(world.cycle.framework.elements.order_by("number"))


def add_link(world, title, *, linked=(), by="school_coordinator"):
    with scope(authority=world.authority):
        return domain.add_link(
            cycle=world.cycle,
            by=world.people[by],
            url=f"https://school.example/{title.lower()}",
            title=title,
            elements=linked,
        )


# Reading ---------------------------------------------------------------------------------------


def test_an_uploaded_file_and_a_link_with_their_metadata(coordinator, world):
    first = elements(world)[0]
    response = upload(coordinator, world, "Plan 2026.pdf", PDF, elements=[first.pk])
    assert response.status_code == 201
    with scopes_disabled():
        item = EvidenceItem.objects.get(file__isnull=False)
        stored = item.file
    body = response.json()
    assert body == {
        "id": item.pk,
        "cycle": world.cycle.pk,
        "kind": "file",
        "title": "Plan 2026",
        "description": "",
        "url": None,
        "file_name": "Plan 2026.pdf",
        "size": len(PDF),
        "content_type": "application/pdf",
        "sha256": stored.sha256,
        "file_deleted_at": None,
        "download": f"http://testserver{item_url(world, item, 'evidence-file')}",
        "evidence_date": None,
        "elements": [first.pk],
        "descriptors": [],
        "added_by": world.people["school_coordinator"].pk,
        "added_by_name": world.people["school_coordinator"].full_name,
        "added_at": body["added_at"],
        "comment_count": 0,
    }
    link = add_link(world, "Forum")
    response = coordinator.get(item_url(world, link))
    assert response.status_code == 200
    assert {k: response.json()[k] for k in ("kind", "url", "file_name", "size", "download")} == {
        "kind": "link",
        "url": "https://school.example/forum",
        "file_name": None,
        "size": None,
        "download": None,
    }
    assert coordinator.get(item_url(world, item)).json() == body


def test_the_list_filters_by_element_and_kind_and_orders(coordinator, world):
    one, two = elements(world)[:2]
    alpha = add_link(world, "Alpha", linked=[one])
    beta = add_link(world, "Beta", linked=[one, two])
    upload(coordinator, world, "Gamma.pdf", PDF, elements=[two.pk])
    with scopes_disabled():
        gamma = EvidenceItem.objects.get(title="Gamma")

    def ids(query=""):
        response = coordinator.get(evidence_url(world) + query)
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [alpha.pk, beta.pk, gamma.pk]
    rows = coordinator.get(evidence_url(world)).json()["results"]
    assert [(row["id"], row["elements"]) for row in rows] == [
        (alpha.pk, [one.pk]),
        (beta.pk, [one.pk, two.pk]),
        (gamma.pk, [two.pk]),
    ]
    assert ids(f"?element={one.pk}") == [alpha.pk, beta.pk]
    assert ids(f"?element={two.pk}") == [beta.pk, gamma.pk]
    assert ids("?kind=file") == [gamma.pk]
    assert ids("?kind=link") == [alpha.pk, beta.pk]
    assert ids("?ordering=-title") == [gamma.pk, beta.pk, alpha.pk]
    assert ids("?ordering=-added_at") == [gamma.pk, beta.pk, alpha.pk]
    assert ids("?ordering=id") == [alpha.pk, beta.pk, gamma.pk]
    response = coordinator.get(evidence_url(world) + "?page_size=2&page=2")
    assert (response.json()["count"], [r["id"] for r in response.json()["results"]]) == (
        3,
        [gamma.pk],
    )
    assert problem(coordinator.get(evidence_url(world) + "?kind=zip"))["errors"][0]["field"] == (
        "kind"
    )


def test_an_items_elements_and_statements_are_written_in_the_frameworks_order(coordinator, world):
    one, two = elements(world)[:2]
    item = add_link(world, "Both", linked=[two, one])
    with scope(authority=world.authority):
        # The first element's first two statements swap numbers, so that their ids do not follow
        # the framework's order; linked last element first, each element's statements last first.
        first, second = one.descriptors.order_by("number")[:2]
        Descriptor.objects.filter(pk=first.pk).update(number=99)
        Descriptor.objects.filter(pk=second.pk).update(number=first.number)
        Descriptor.objects.filter(pk=first.pk).update(number=second.number)
        last_first = [e.descriptors.order_by("-number") for e in (two, one)]
        statements = [d for element in last_first for d in element]
        item.descriptors.add(*statements)
        expected = [d.pk for d in sorted(statements, key=lambda d: (d.element.number, d.number))]
    assert expected[:2] == [second.pk, first.pk]
    [row] = coordinator.get(evidence_url(world)).json()["results"]
    assert (row["elements"], row["descriptors"]) == ([one.pk, two.pk], expected)
    detail = coordinator.get(item_url(world, item)).json()
    assert (detail["elements"], detail["descriptors"]) == ([one.pk, two.pk], expected)


def _portfolio(world, count):
    """`count` items: files and links, each linked to two elements with a descriptor and a
    comment."""
    first, second = elements(world)[:2]
    for n in range(count):
        kwargs = _item(world, world.authority)
        with scope(authority=world.authority):
            item = EvidenceItem.objects.get(pk=kwargs["item_pk"])
            item.elements.set([first, second])
            item.descriptors.set(first.descriptors.all()[:1])
            link = add_link(world, f"Link {n}", linked=[first, second])
            for each in (item, link):
                domain.add_comment(item=each, by=world.people["mentor"], body="Dated?")


def _queries(client, address):
    client.get(address)  # the token's last use is recorded on the first request
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address)
    assert response.status_code == 200
    return len(queries)


def test_the_evidence_list_costs_the_same_however_many_items(coordinator, world):
    _portfolio(world, 1)
    few = _queries(coordinator, evidence_url(world))
    _portfolio(world, 2)
    with scopes_disabled():
        assert EvidenceItem.objects.filter(cycle=world.cycle).count() == 6
    assert _queries(coordinator, evidence_url(world)) == few
    assert _queries(coordinator, evidence_url(world) + "?page_size=1") == few
    assert _queries(coordinator, evidence_url(world) + "?page_size=200") == few
    # The authority, the token, the membership, the cycle, the count, the page, and the links of
    # the page's items to elements and descriptors.
    assert few == 7


def test_the_comment_list_costs_the_same_however_many_comments(coordinator, world):
    item = add_link(world, "Forum")
    address = url("evidence-comment-list", world, cycle_pk=world.cycle.pk, item_pk=item.pk)
    with scope(authority=world.authority):
        domain.add_comment(item=item, by=world.people["mentor"], body="Dated?")
    few = _queries(coordinator, address)
    with scope(authority=world.authority):
        for person in ("school_coordinator", "head_teacher"):
            domain.add_comment(item=item, by=world.people[person], body="Yes: May.")
    assert _queries(coordinator, address) == few
    assert _queries(coordinator, address + "?page_size=1") == few
    # The authority, the token, the membership, the cycle, the item, the count, and the page
    # with its authors.
    assert few == 7


# Files -----------------------------------------------------------------------------------------


def test_the_download_is_the_browsers(coordinator, client, world, caplog):
    upload(coordinator, world, "Report 2026.pdf", PDF)
    upload(coordinator, world, "notes.txt", b"Plain notes.")
    with scopes_disabled():
        pdf, text = EvidenceItem.objects.order_by("title").select_related("file")
    client.force_login(world.people["school_coordinator"])
    browser = client.get(reverse("portfolios:download", args=["bathnes", world.cycle.pk, pdf.pk]))
    response = coordinator.get(item_url(world, pdf, "evidence-file"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    headers = ("Content-Type", "Content-Disposition", "X-Content-Type-Options")
    headers += ("Content-Security-Policy",)
    assert (
        [response[h] for h in headers]
        == [browser[h] for h in headers]
        == [
            "application/pdf",
            'inline; filename="Report 2026.pdf"',
            "nosniff",
            "default-src 'none'; sandbox",
        ]
    )
    # Whatever the client says it accepts.
    response = coordinator.get(item_url(world, text, "evidence-file"), HTTP_ACCEPT="image/png")
    assert (response.status_code, response["Content-Disposition"]) == (
        200,
        'attachment; filename="notes.txt"',
    )

    with default_storage.open(pdf.file.file.name, "wb") as handle:
        handle.write(PDF.replace(b"1.4", b"1.7"))
    response = coordinator.get(item_url(world, pdf, "evidence-file"))
    assert (response.status_code, problem(response)["code"]) == (500, "file_damaged")
    assert [
        r.levelname for r in caplog.records if "does not match its SHA-256" in r.getMessage()
    ] == ["ERROR"]

    with scopes_disabled():
        EvidenceFile.objects.filter(pk=text.file_id).update(file_deleted_at=timezone.now())
    response = coordinator.get(item_url(world, text, "evidence-file"), HTTP_ACCEPT="text/plain")
    assert (response.status_code, problem(response)["code"]) == (410, "file_deleted")

    link = add_link(world, "Forum")
    response = coordinator.get(item_url(world, link, "evidence-file"))
    assert (response.status_code, problem(response)["detail"]) == (
        404,
        "This item is a link, not a file: follow its `url`.",
    )


# Uploads ---------------------------------------------------------------------------------------


def refusal(name, content, max_bytes):
    with pytest.raises(UploadRefused) as refused:
        inspect_upload(SimpleUploadedFile(name, content), max_bytes=max_bytes)
    return refused.value.message


def test_an_upload_gets_the_browsers_checks(coordinator, client, world):
    response = upload(coordinator, world, "plan.pdf", SCRIPTED_PDF)
    assert response.status_code == 400
    message = refusal("plan.pdf", SCRIPTED_PDF, 10 * domain.MB)
    assert "contains JavaScript" in message
    assert problem(response)["errors"] == [{"field": "file", "message": message}]
    # The browser's upload says the same.
    client.force_login(world.people["school_coordinator"])
    browser = client.post(
        reverse("portfolios:upload", args=["bathnes", world.cycle.pk]),
        {"files": [SimpleUploadedFile("plan.pdf", SCRIPTED_PDF)]},
        headers={"Accept": "application/json"},
    )
    assert browser.json()["results"][0]["error"] == message

    with scopes_disabled():
        world.authority.upload_limit_mb = 1
        world.authority.save(update_fields=["upload_limit_mb"])
    big = b"a" * (domain.MB + 1)
    response = upload(coordinator, world, "big.txt", big)
    assert problem(response)["errors"] == [
        {"field": "file", "message": refusal("big.txt", big, domain.MB)}
    ]
    response = upload(coordinator, world, "empty.txt", b"")
    assert problem(response)["errors"] == [
        {"field": "file", "message": refusal("empty.txt", b"", domain.MB)}
    ]
    with scopes_disabled():
        assert EvidenceItem.objects.count() == 0

    assert upload(coordinator, world, "plan.pdf", PDF).status_code == 201
    with scopes_disabled():
        first = EvidenceItem.objects.get()
    response = upload(coordinator, world, "copy.pdf", PDF)
    assert problem(response)["errors"] == [
        {
            "field": "file",
            "message": f"This file is already in the portfolio as “plan”. Link that item to "
            f"more elements instead. (item {first.pk})",
        }
    ]
    response = coordinator.post(
        url("evidence-upload", world, cycle_pk=world.cycle.pk), {}, format="multipart"
    )
    assert problem(response)["errors"] == [{"field": "file", "message": "No file was submitted."}]
    response = coordinator.post(
        url("evidence-upload", world, cycle_pk=world.cycle.pk), {"title": "x"}, format="json"
    )
    assert problem(response)["status"] == 415
    with scopes_disabled():
        assert EvidenceItem.objects.count() == 1


def test_uploads_and_links_are_for_the_schools_staff_while_the_portfolio_is_open(world):
    mentor = token_client(world, "mentor")
    response = upload(mentor, world, "plan.pdf", PDF)
    assert (response.status_code, problem(response)["detail"]) == (
        403,
        "Only the school's staff can add evidence.",
    )
    advance(world, State.PORTFOLIO_SUBMITTED)
    coordinator = token_client(world, "school_coordinator")
    for response in (
        upload(coordinator, world, "plan.pdf", PDF),
        coordinator.post(
            url("evidence-add-link", world, cycle_pk=world.cycle.pk),
            {"url": "https://school.example/x", "title": "X"},
            format="json",
        ),
    ):
        assert (response.status_code, problem(response)["code"]) == (409, "illegal_transition")
        assert problem(response)["detail"] == (
            "The portfolio has been submitted for moderation: it cannot be changed."
        )


# Links, changes and removal ----------------------------------------------------------------------


def test_a_link_is_added_changed_and_removed(coordinator, world):
    one, two, three = elements(world)[:3]
    with scope(authority=world.authority):
        descriptor = one.descriptors.first()
    response = coordinator.post(
        url("evidence-add-link", world, cycle_pk=world.cycle.pk),
        {
            "url": "https://school.example/forum",
            "title": "Parents' forum",
            "evidence_date": "2026-05-01",
            "elements": [one.pk, two.pk],
            "descriptors": [descriptor.pk],
        },
        format="json",
    )
    assert response.status_code == 201
    item = response.json()
    assert (item["kind"], item["evidence_date"], item["elements"], item["descriptors"]) == (
        "link",
        "2026-05-01",
        [one.pk, two.pk],
        [descriptor.pk],
    )
    address = url("evidence-detail", world, cycle_pk=world.cycle.pk, pk=item["id"])
    response = coordinator.patch(
        address, {"title": "Forum minutes", "elements": [three.pk]}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == item | {
        "title": "Forum minutes",
        "elements": [three.pk],
    }
    with scopes_disabled():
        assert list(
            AuditEntry.objects.filter(
                object_type=EvidenceItem._meta.label, object_id=str(item["id"])
            )
            .order_by("pk")
            .values_list("action", flat=True)
        ) == ["evidence.added", "evidence.changed"]

    # Another authority's element, or one of no framework, is not one to link to.
    with scopes_disabled():
        theirs = world.outsider_cycle.framework.elements.first()
    response = coordinator.patch(address, {"elements": [theirs.pk]}, format="json")
    assert problem(response)["errors"] == [
        {"field": "elements", "message": f'Invalid pk "{theirs.pk}" - object does not exist.'}
    ]
    response = coordinator.post(
        url("evidence-add-link", world, cycle_pk=world.cycle.pk),
        {"url": "not a web address", "title": ""},
        format="json",
    )
    assert problem(response)["errors"] == [
        {"field": "url", "message": "Enter a valid URL."},
        {"field": "title", "message": "This field may not be blank."},
    ]

    # The contributor did not add it: only its adder and the school's leads remove it.
    response = token_client(world, "school_contributor").delete(address)
    assert (response.status_code, problem(response)["detail"]) == (
        403,
        "Only the person who added this, the coordinator or the head teacher can remove it.",
    )
    assert coordinator.delete(address).status_code == 204
    assert coordinator.get(address).status_code == 404


# Comments --------------------------------------------------------------------------------------


def test_comments_are_read_by_everyone_on_the_case_and_written_by_the_school_and_mentor(world):
    item = add_link(world, "Forum")
    address = url("evidence-comment-list", world, cycle_pk=world.cycle.pk, item_pk=item.pk)
    mentor = token_client(world, "mentor")
    response = mentor.post(address, {"body": "  Is there a date?  "}, format="json")
    assert response.status_code == 201
    with scopes_disabled():
        comment = ItemComment.objects.get()
    assert response.json() == {
        "id": comment.pk,
        "item": item.pk,
        "author": world.people["mentor"].pk,
        "author_name": world.people["mentor"].full_name,
        "body": "Is there a date?",
        "created_at": response.json()["created_at"],
    }
    response = mentor.post(address, {"body": "   "}, format="json")
    assert problem(response)["errors"] == [
        {"field": "body", "message": "Write a comment before sending it."}
    ]
    response = token_client(world, "authority_admin").post(address, {"body": "Hi"}, format="json")
    assert (response.status_code, problem(response)["detail"]) == (
        403,
        "Only the school's staff and its mentor can comment on evidence.",
    )
    listed = token_client(world, "authority_admin").get(address).json()
    assert [c["id"] for c in listed["results"]] == [comment.pk]
    assert item_count(token_client(world, "head_teacher"), world, item) == 1
    # An item of another cycle is not found under this one.
    theirs = _item(world, world.outsider_authority)["item_pk"]
    missing = url("evidence-comment-list", world, cycle_pk=world.cycle.pk, item_pk=theirs)
    assert mentor.get(missing).status_code == 404


def item_count(client, world, item):
    return client.get(item_url(world, item)).json()["comment_count"]


# Submission and the desk check -----------------------------------------------------------------


def test_submitting_names_the_elements_without_evidence(world):
    advance(world, State.VALIDATED)  # the journey adds one link, linked to no element
    first = elements(world)[0]
    with scopes_disabled():
        EvidenceItem.objects.get(cycle=world.cycle).elements.set([first])
    address = url("submit-portfolio", world, cycle_pk=world.cycle.pk)
    without = [{"id": e.pk, "number": e.number, "title": e.title} for e in elements(world)[1:]]
    add_link(world, "Unlinked")
    response = token_client(world, "head_teacher").get(address)
    assert response.json() == {
        "item_count": 2,
        "unlinked_count": 1,
        "without_evidence": without,
        "blocked": None,
    }
    response = token_client(world, "school_contributor").post(address)
    assert (response.status_code, problem(response)["detail"]) == (
        403,
        "Only the head teacher or the coordinator can submit the portfolio.",
    )
    response = token_client(world, "head_teacher").post(address)
    assert response.status_code == 200
    assert response.json() == {
        "id": world.cycle.pk,
        "state": "portfolio_submitted",
        "state_label": "Portfolio submitted",
        "without_evidence": without,
    }
    response = token_client(world, "head_teacher").get(address)
    assert (response.status_code, problem(response)["detail"]) == (
        409,
        "You cannot submit the portfolio while the case is “portfolio submitted”.",
    )
    response = token_client(world, "head_teacher").post(address)
    assert (response.status_code, problem(response)["detail"]) == (
        409,
        "The portfolio has already been submitted.",
    )


def test_an_empty_portfolio_is_not_submitted(world):
    advance(world, State.VALIDATED)
    with scopes_disabled():
        EvidenceItem.objects.filter(cycle=world.cycle).delete()
    coordinator = token_client(world, "school_coordinator")
    address = url("submit-portfolio", world, cycle_pk=world.cycle.pk)
    assert coordinator.get(address).json() == {
        "item_count": 0,
        "unlinked_count": 0,
        "without_evidence": [
            {"id": e.pk, "number": e.number, "title": e.title} for e in elements(world)
        ],
        "blocked": domain.NO_EVIDENCE,
    }
    response = coordinator.post(address)
    assert (response.status_code, problem(response)["detail"]) == (409, domain.NO_EVIDENCE)


def test_the_desk_check_accepts_or_returns_with_reasons(world):
    advance(world, State.PORTFOLIO_SUBMITTED)
    chair = token_client(world, "panel_chair")
    returned = url("return-portfolio", world, cycle_pk=world.cycle.pk)
    response = chair.post(returned, {"reasons": " "}, format="json")
    assert problem(response)["errors"] == [
        {
            "field": "reasons",
            "message": "Tell the school why the portfolio is not ready for a visit.",
        }
    ]
    response = chair.post(returned, {"reasons": "Element 3 has no evidence."}, format="json")
    assert response.json() == {
        "id": world.cycle.pk,
        "state": "validated",
        "state_label": "Validated",
    }
    with scopes_disabled():
        assert Cycle.objects.get(pk=world.cycle.pk).return_comment == "Element 3 has no evidence."

    accepted = url("accept-for-visit", world, cycle_pk=world.cycle.pk)
    assert chair.post(accepted).status_code == 404  # the chair sees it again once resubmitted
    admin = token_client(world, "authority_admin")
    response = admin.post(accepted)
    assert (response.status_code, problem(response)["detail"]) == (
        409,
        "You cannot accept the portfolio for a visit while the case is “validated”.",
    )
    token_client(world, "school_coordinator").post(
        url("submit-portfolio", world, cycle_pk=world.cycle.pk)
    )
    response = admin.post(accepted)
    assert response.json() == {
        "id": world.cycle.pk,
        "state": "ready_for_visit",
        "state_label": "Ready for a visit",
    }


# The schema ------------------------------------------------------------------------------------


def test_the_schema_documents_the_download_as_a_file(client, db):
    schema = json.loads(client.get(reverse("api:schema") + "?format=json").content)
    download = schema["paths"]["/api/v1/{authority_slug}/cycles/{cycle_pk}/evidence/{id}/file/"]
    responses = download["get"]["responses"]
    assert {media: body["schema"] for media, body in responses["200"]["content"].items()}.get(
        "application/pdf"
    ) == {"type": "string", "format": "binary"}
    assert sorted(responses) == ["200", "401", "403", "404", "410", "429", "500"]
    upload_request = schema["paths"]["/api/v1/{authority_slug}/cycles/{cycle_pk}/evidence/files/"][
        "post"
    ]["requestBody"]["content"]
    assert list(upload_request) == ["multipart/form-data"]
