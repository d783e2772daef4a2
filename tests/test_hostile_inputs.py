"""Hostile inputs (issue 14, "Done when"): each is refused, or kept as inert text, and changes
nothing else.

`HOSTILE` is the list: one entry per input, run as its own test. "No change" is asserted on the
whole database (`fingerprint()`: every row of every portal model but the audit log, which may
record a refusal), not on a status code alone. Script typed into a text field is the one input
that is *kept*: stored exactly as typed, changing that field and nothing else, and shown escaped
on every page that shows it.

Two sweeps add to the list: another authority's object in every POST address of the isolation
harness (tests/isolation.py, which already walks every URL for every visitor) with that address's
own valid data, and script in every text value of those same forms.

A code from an authenticator app used a second time (signed in with it, signed out, the same
code again within its 30 seconds) is refused like a reused link.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable

import pytest
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django_scopes import scope, scopes_disabled

from accounts.domain import hash_token
from accounts.models import Invitation, Role, User, UserSession
from assessments.models import Cycle
from audit.models import AuditEntry
from authorities.school_picker import school_text
from plaintext.apps import is_portal_model
from portfolios import domain as portfolios
from portfolios.models import EvidenceItem

from .isolation import URLS, url_kwargs
from .journey import advance
from .second_factor import app_for, code_for

State = Cycle.State
XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PASSWORD = "correct horse battery staple"


# What "no change" means -----------------------------------------------------------------------


def fingerprint() -> dict:
    """Every row of every portal model, field by field; not the audit log (a refusal may be
    recorded there), nor the sessions (each request touches its own), nor when someone last
    signed in."""
    rows = {}
    with scopes_disabled():
        for model in apps.get_models():
            if not is_portal_model(model) or model in (AuditEntry, UserSession):
                continue
            fields = [f.attname for f in model._meta.concrete_fields if f.attname != "last_login"]
            rows[model._meta.label] = list(model._base_manager.order_by("pk").values_list(*fields))
    return rows


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(label for label in before if before[label] != after[label])


def stored_files() -> list[str]:
    found = []
    try:
        folders, _ = default_storage.listdir("portfolios")
    except FileNotFoundError:
        return []
    for folder in folders:
        found += [
            f"portfolios/{folder}/{n}" for n in default_storage.listdir(f"portfolios/{folder}")[1]
        ]
    return sorted(found)


def inert(html: str) -> None:
    """The script is on the page as text, and nowhere as markup."""
    assert "<script>alert" not in html and "<img src=x" not in html
    assert escape(XSS) in html or escape(XSS).replace("&quot;", "&#x27;") in html


def client_of(user=None, csrf=False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    if user is not None:
        client.force_login(user)
    return client


@dataclass(frozen=True)
class Hostile:
    run: Callable  # (world, django_capture_on_commit_callbacks) -> None; asserts inside
    kind: str


HOSTILE: dict[str, Hostile] = {}


def hostile(name: str, kind: str):
    def register(run):
        assert name not in HOSTILE
        HOSTILE[name] = Hostile(run, kind)
        return run

    return register


def refused(world, send: Callable, statuses: tuple[int, ...]) -> None:
    """`send()` is answered with one of `statuses` and nothing in the database changes."""
    before = fingerprint()
    files = stored_files()
    response = send()
    assert response.status_code in statuses, response.status_code
    assert changed_tables(before, fingerprint()) == []
    assert stored_files() == files
    return response


def url(name, *args):
    return reverse(name, args=args)


def a_link(world) -> EvidenceItem:
    with scope(authority=world.authority):
        return portfolios.add_link(
            cycle=world.cycle,
            by=world.people["school_coordinator"],
            url="https://example.org/minutes",
            title="Minutes",
        )


# 1. Script in the text fields of the main forms: kept as text, shown inert -------------------


def only_changed(before, tables):
    assert changed_tables(before, fingerprint()) == sorted(tables)


@hostile("script-in-evidence-link-title-and-description", "script")
def _(world, capture):
    client = client_of(world.people["school_coordinator"])
    before = fingerprint()
    response = client.post(
        url("portfolios:add_link", "bathnes", world.cycle.pk),
        {"url": "https://example.org/", "title": XSS, "description": XSS},
    )
    assert response.status_code == 302
    only_changed(before, ["portfolios.EvidenceItem"])
    with scope(authority=world.authority):
        item = EvidenceItem.objects.get()
    assert (item.title, item.description) == (XSS, XSS)
    inert(client.get(url("portfolios:portfolio", "bathnes", world.cycle.pk)).content.decode())
    inert(client.get(url("portfolios:item", "bathnes", world.cycle.pk, item.pk)).content.decode())


@hostile("script-in-evidence-comment", "script")
def _(world, capture):
    item = a_link(world)
    client = client_of(world.people["mentor"])
    before = fingerprint()
    response = client.post(
        url("portfolios:comment", "bathnes", world.cycle.pk, item.pk), {"body": XSS}
    )
    assert response.status_code in (200, 302)
    only_changed(before, ["portfolios.ItemComment"])
    with scope(authority=world.authority):
        assert [c.body for c in item.comments.all()] == [XSS]
    inert(client.get(url("portfolios:item", "bathnes", world.cycle.pk, item.pk)).content.decode())


@hostile("script-in-self-review-answer", "script")
def _(world, capture):
    from .test_assessments import element_url, post_answer

    client = client_of(world.people["school_coordinator"])
    page, element = element_url(world)
    before = fingerprint()
    response = post_answer(
        client, page, element, practice=XSS, evidence=XSS, strengths=XSS, development=XSS
    )
    assert response.status_code == 200
    assert "assessments.Answer" in changed_tables(before, fingerprint())
    with scope(authority=world.authority):
        answer = world.cycle.answers.get(element=element)
    assert (answer.practice, answer.evidence, answer.strengths, answer.development) == (XSS,) * 4
    inert(client.get(page).content.decode())


@hostile("script-in-action-plan-target", "script")
def _(world, capture):
    client = client_of(world.people["school_coordinator"])
    with scopes_disabled():
        element = world.cycle.framework.elements.get(number=4)
    before = fingerprint()
    response = client.post(
        url("assessments:target_create", "bathnes", world.cycle.pk),
        {
            "element": element.pk,
            "action": XSS,
            "lead": world.people["head_teacher"].pk,
            "deadline": (date.today() + timedelta(days=30)).isoformat(),
            "success_criteria": XSS,
            "status": "on_track",
        },
    )
    assert response.status_code == 302
    only_changed(before, ["assessments.Target"])
    inert(client.get(url("assessments:plan", "bathnes", world.cycle.pk)).content.decode())


@hostile("script-in-visit-note", "script")
def _(world, capture):
    advance(world, State.VISIT_PLANNED)
    client = client_of(world.people["moderator"])
    before = fingerprint()
    response = client.post(
        url("moderation:send_note", "bathnes", world.cycle.pk),
        {"kind": "staff", "who": XSS[:100], "notes": XSS, "client_id": str(uuid.uuid4())},
    )
    assert response.status_code == 200
    only_changed(before, ["moderation.VisitNote"])
    inert(response.json()["html"])


@hostile("script-in-invited-persons-name", "script")
def _(world, capture):
    token = "hostile-invitation-token-" + "x" * 20
    with scopes_disabled():
        Invitation.objects.create(
            authority=world.authority,
            email="new.person@example.org",
            role=Role.MENTOR,
            token_hash=hash_token(token),
            expires_at=timezone.now() + timedelta(days=7),
        )
    before = fingerprint()
    response = client_of().post(
        url("accounts:accept_invitation", token),
        {"full_name": XSS[:150], "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert User.objects.get(email="new.person@example.org").full_name == XSS[:150]
    assert changed_tables(before, fingerprint()) == [
        "accounts.Invitation",
        "accounts.Membership",
        "accounts.User",
    ]
    people = client_of(world.people["authority_admin"]).get(url("people:list", "bathnes"))
    inert(people.content.decode())


@hostile("script-in-feedback-sign-up", "script")
def _(world, capture):
    before = fingerprint()
    response = client_of().post(
        url("feedback:sign_up", "bathnes"),
        {
            "tester-name": XSS,
            "tester-email": "tester@example.org",
            "tester-consent": "on",
            "tester-website": "",
            "tester-page": "/bathnes/awards/",
        },
    )
    assert response.status_code == 200
    only_changed(before, ["feedback.TesterSignup"])
    admin = client_of(world.people["authority_admin"])
    inert(admin.get(url("feedback:admin", "bathnes")).content.decode())


@hostile("script-in-school-name-and-address", "script")
def _(world, capture):
    client = client_of(world.people["authority_admin"])
    school = world.school
    before = fingerprint()
    response = client.post(
        url("schools:edit", "bathnes", school.pk),
        {
            "name": XSS,
            "urn": school.urn,
            "phase": school.phase,
            "area": school.area_id,
            "roll_size": 200,
            "address": XSS,
            "postcode": "BA2 1AA",
        },
    )
    assert response.status_code == 302
    only_changed(before, ["schools.School"])
    inert(client.get(url("schools:list", "bathnes")).content.decode())


@hostile("script-in-area-name", "script")
def _(world, capture):
    client = client_of(world.people["authority_admin"])
    before = fingerprint()
    response = client.post(
        url("schools:area_create", "bathnes"), {"name": XSS[:100], "position": 9}
    )
    assert response.status_code == 302
    only_changed(before, ["schools.Area"])
    page = client.get(url("schools:areas", "bathnes")).content.decode()
    assert "<script>alert" not in page and escape(XSS[:100]) in page


@hostile("script-in-a-refused-form-is-shown-back-inert", "script")
def _(world, capture):
    """A form refused for another reason shows what was typed back, escaped."""
    client = client_of(world.people["school_coordinator"])
    response = refused(
        world,
        lambda: client.post(
            url("portfolios:add_link", "bathnes", world.cycle.pk),
            {"url": "javascript:alert(1)", "title": XSS, "description": XSS},
        ),
        (200,),
    )
    inert(response.content.decode())
    assert 'href="javascript:' not in response.content.decode()


# 2. SQL fragments in search and filter parameters, and in form fields -----------------------

SQL = [
    "' OR '1'='1' --",
    "1; DROP TABLE schools_school; --",
    "%' UNION SELECT email, password FROM accounts_user --",
    "1) OR (1=1",
]


def get_ok(client, address, params):
    response = client.get(address, params)
    assert response.status_code in (200, 400, 404), response.status_code
    return response


for number, fragment in enumerate(SQL, start=1):

    @hostile(f"sql-{number}-in-the-national-directory-filters", "sql")
    def _(world, capture, fragment=fragment):
        client = client_of()
        before = fingerprint()
        params = {"name": fragment, "authority": fragment, "area": fragment, "tier": fragment}
        response = get_ok(
            client, url("directory:search"), {**params, "phase": fragment, "page": fragment}
        )
        assert response.status_code == 200
        assert changed_tables(before, fingerprint()) == []

    @hostile(f"sql-{number}-in-the-school-search", "sql")
    def _(world, capture, fragment=fragment):
        client = client_of(world.people["authority_admin"])
        before = fingerprint()
        response = get_ok(client, url("schools:list", "bathnes"), {"q": fragment, "page": fragment})
        assert response.status_code == 200
        assert list(response.context["page"]) == []  # matched as text: no school is called that
        assert changed_tables(before, fingerprint()) == []


@hostile("sql-in-the-audit-log-filters", "sql")
def _(world, capture):
    client = client_of(world.people["authority_admin"])
    before = fingerprint()
    response = get_ok(
        client, url("audit:log", "bathnes"), {"school": SQL[3], "person": SQL[2], "page": SQL[0]}
    )
    assert response.status_code == 200
    assert list(response.context["page"]) == []  # a bad filter shows nothing, not everything
    assert changed_tables(before, fingerprint()) == []


@hostile("sql-in-the-people-and-email-filters", "sql")
def _(world, capture):
    client = client_of(world.people["authority_admin"])
    before = fingerprint()
    for name, param in (("people:list", "role"), ("notifications:outbox", "state")):
        get_ok(client, url(name, "bathnes"), {param: SQL[0], "page": SQL[1]})
    get_ok(client, url("assessments:cycles", "bathnes"), {"mine": SQL[0], "page": SQL[3]})
    assert changed_tables(before, fingerprint()) == []


@hostile("sql-in-the-sign-in-form", "sql")
def _(world, capture):
    client = client_of()
    refused(
        world,
        lambda: client.post(url("accounts:login"), {"username": SQL[0], "password": SQL[0]}),
        (200,),
    )
    assert "_auth_user_id" not in client.session


@hostile("sql-in-the-password-reset-form", "sql")
def _(world, capture):
    refused(
        world,
        lambda: client_of().post(
            url("accounts:password_reset"), {"email": "x' OR 1=1--@example.org"}
        ),
        (200, 302),
    )
    assert mail.outbox == []


@hostile("sql-in-a-school-name-is-kept-as-text", "sql")
def _(world, capture):
    client = client_of(world.people["authority_admin"])
    name = "Robert'); DROP TABLE schools_school; --"
    before = fingerprint()
    school = world.school
    response = client.post(
        url("schools:edit", "bathnes", school.pk),
        {
            "name": name,
            "urn": school.urn,
            "phase": school.phase,
            "area": school.area_id,
            "roll_size": 200,
            "address": "",
            "postcode": "BA2 1AA",
        },
    )
    assert response.status_code == 302
    only_changed(before, ["schools.School"])
    with scopes_disabled():
        school.refresh_from_db()
    assert school.name == name


# 3. Oversize bodies ----------------------------------------------------------------------------


@hostile("body-over-the-size-cap", "oversize")
def _(world, capture):
    client = client_of(world.people["school_coordinator"])
    refused(
        world,
        lambda: client.post(
            url("portfolios:add_link", "bathnes", world.cycle.pk),
            {
                "url": "https://example.org/",
                "title": "Big",
                "description": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
            },
        ),
        (400, 413),
    )


@hostile("too-many-fields", "oversize")
def _(world, capture):
    client = client_of(world.people["school_coordinator"])
    fields = {f"f{i}": "x" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    refused(
        world,
        lambda: client.post(
            url("portfolios:add_link", "bathnes", world.cycle.pk),
            {"url": "https://example.org/", "title": "Many", **fields},
        ),
        (400, 413),
    )


@hostile("text-over-its-field-length", "oversize")
def _(world, capture):
    from .test_assessments import element_url, post_answer

    client = client_of(world.people["school_coordinator"])
    page, element = element_url(world)
    refused(world, lambda: post_answer(client, page, element, practice="x" * 5001), (422,))


@hostile("file-over-the-authoritys-limit", "oversize")
def _(world, capture):
    world.authority.upload_limit_mb = 1
    world.authority.save()
    client = client_of(world.people["school_coordinator"])
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (1024 * 1024))
    refused(
        world,
        lambda: client.post(
            url("portfolios:upload", "bathnes", world.cycle.pk),
            {"files": [big]},
            headers={"Accept": "application/json"},
        ),
        (422,),
    )


@hostile("more-files-than-one-request-takes", "oversize")
def _(world, capture):
    client = client_of(world.people["school_coordinator"])
    files = [
        SimpleUploadedFile(f"f{i}.pdf", PDF + str(i).encode())
        for i in range(portfolios.FILES_PER_REQUEST + 1)
    ]
    refused(
        world,
        lambda: client.post(
            url("portfolios:upload", "bathnes", world.cycle.pk),
            {"files": files},
            headers={"Accept": "application/json"},
        ),
        (400, 422),
    )


# 4. Path traversal in uploaded file names: stored inside the authority's folder ------------

TRAVERSAL = {
    "dot-dot-slash": "../../etc/passwd.pdf",
    "dot-dot-backslash": "..\\..\\x.pdf",
    "nul-byte": "minutes.pdf\x00.exe",
    "absolute": "/etc/cron.d/evil.pdf",
    "doubled-dots": "....//....//x.pdf",
    "url-encoded": "..%2f..%2fx.pdf",
}

for label, name in TRAVERSAL.items():

    @hostile(f"path-traversal-{label}", "traversal")
    def _(world, capture, name=name):
        client = client_of(world.people["school_coordinator"])
        before = fingerprint()
        response = client.post(
            url("portfolios:upload", "bathnes", world.cycle.pk),
            {"files": [SimpleUploadedFile(name, PDF)]},
            headers={"Accept": "application/json"},
        )
        if response.status_code == 422:  # refused: nothing kept
            assert changed_tables(before, fingerprint()) == []
            assert stored_files() == []
            return
        assert response.status_code == 200
        with scope(authority=world.authority):
            item = EvidenceItem.objects.select_related("file").get()
        stored = item.file.file.name
        assert re.fullmatch(rf"portfolios/{world.authority.pk}/[0-9a-f]{{32}}\.pdf", stored)
        assert stored_files() == [stored]
        assert not set("/\\\x00") & set(item.original_name)
        assert ".." not in item.original_name.split("/")


# 5. Forged CSRF: a signed-in person's browser made to post from another site -----------------


def forged(world, who, address, data, token=None):
    """A post with no CSRF token, or (`token`) with a cookie the attacker set and a different
    token in the body."""
    client = client_of(world.people[who], csrf=True)
    if token:
        client.cookies["csrftoken"] = token
        data = {**data, "csrfmiddlewaretoken": "wxyz" * 8}
    return lambda: client.post(address, data)


@hostile("csrf-missing-on-adding-evidence", "csrf")
def _(world, capture):
    refused(
        world,
        forged(
            world,
            "school_coordinator",
            url("portfolios:add_link", "bathnes", world.cycle.pk),
            {"url": "https://example.org/", "title": "Forged"},
        ),
        (403,),
    )


@hostile("csrf-token-mismatched-on-a-comment", "csrf")
def _(world, capture):
    item = a_link(world)
    refused(
        world,
        forged(
            world,
            "mentor",
            url("portfolios:comment", "bathnes", world.cycle.pk, item.pk),
            {"body": "Forged"},
            token="abcd" * 8,
        ),
        (403,),
    )


@hostile("csrf-missing-on-an-invitation", "csrf")
def _(world, capture):
    refused(
        world,
        forged(
            world,
            "authority_admin",
            url("people:invite", "bathnes"),
            {"email": "attacker@example.org", "role": Role.AUTHORITY_ADMIN},
        ),
        (403,),
    )


@hostile("csrf-missing-on-publishing", "csrf")
def _(world, capture):
    refused(
        world, forged(world, "authority_admin", url("publishing:publish", "bathnes"), {}), (403,)
    )


@hostile("csrf-missing-on-signing-out", "csrf")
def _(world, capture):
    client = client_of(world.people["mentor"], csrf=True)
    refused(world, lambda: client.post(url("accounts:logout")), (403,))
    assert client.get(url("dashboard", "bathnes")).status_code == 200  # still signed in


@hostile("csrf-missing-on-signing-in", "csrf")
def _(world, capture):
    client = client_of(csrf=True)
    refused(
        world,
        lambda: client.post(
            url("accounts:login"), {"username": "mentor@bathnes.test", "password": PASSWORD}
        ),
        (403,),
    )
    assert "_auth_user_id" not in client.session


@hostile("csrf-missing-on-an-upload", "csrf")
def _(world, capture):
    refused(
        world,
        forged(
            world,
            "school_coordinator",
            url("portfolios:upload", "bathnes", world.cycle.pk),
            {"files": [SimpleUploadedFile("x.pdf", PDF)]},
        ),
        (403,),
    )


# 6. Another authority's or another school's ids in a form's body -----------------------------


@hostile("other-authoritys-school-when-registering-a-cycle", "ids")
def _(world, capture):
    client = client_of(world.people["authority_admin"])
    refused(
        world,
        lambda: client.post(
            url("assessments:cycle_start", "bathnes"),
            {
                "school": school_text(world.outsider_school),
                "kind": "initial",
                "mentor": world.people["mentor"].pk,
            },
        ),
        (200,),
    )


@hostile("other-authoritys-mentor-when-registering-a-cycle", "ids")
def _(world, capture):
    client = client_of(world.people["authority_admin"])
    with scopes_disabled():
        outsider_mentor = User.objects.get(email="mentor@outsider.test")
    refused(
        world,
        lambda: client.post(
            url("assessments:cycle_start", "bathnes"),
            {
                "school": school_text(world.other_school),
                "kind": "initial",
                "mentor": outsider_mentor.pk,
            },
        ),
        (200,),
    )


@hostile("other-authoritys-school-in-an-invitation", "ids")
def _(world, capture):
    client = client_of(world.people["authority_admin"])
    refused(
        world,
        lambda: client.post(
            url("people:invite", "bathnes"),
            {
                "email": "x@example.org",
                "role": Role.SCHOOL_COORDINATOR,
                "school": school_text(world.outsider_school),
            },
        ),
        (200,),
    )


@hostile("other-authoritys-area-for-a-school", "ids")
def _(world, capture):
    client = client_of(world.people["authority_admin"])
    school = world.school
    refused(
        world,
        lambda: client.post(
            url("schools:edit", "bathnes", school.pk),
            {
                "name": school.name,
                "urn": school.urn,
                "phase": school.phase,
                "area": world.outsider_area.pk,
                "roll_size": 200,
                "address": "",
                "postcode": "BA2 1AA",
            },
        ),
        (200,),
    )


for label in ("outsider", "other-schools-coordinator"):

    @hostile(f"target-lead-from-{label}", "ids")
    def _(world, capture, label=label):
        lead = world.outsider if label == "outsider" else world.others["other_school_coordinator"]
        client = client_of(world.people["school_coordinator"])
        with scopes_disabled():
            element = world.cycle.framework.elements.get(number=4)
        refused(
            world,
            lambda: client.post(
                url("assessments:target_create", "bathnes", world.cycle.pk),
                {
                    "element": element.pk,
                    "action": "Train",
                    "lead": lead.pk,
                    "deadline": date.today().isoformat(),
                    "success_criteria": "x",
                    "status": "on_track",
                },
            ),
            (200, 422),
        )


@hostile("other-authoritys-school-in-the-audit-filter", "ids")
def _(world, capture):
    client = client_of(world.people["authority_admin"])
    response = get_ok(client, url("audit:log", "bathnes"), {"school": world.outsider_school.urn})
    assert list(response.context["page"]) == []
    assert "Outsider Academy" not in response.content.decode()


@hostile("other-cycles-descriptor-on-evidence", "ids")
def _(world, capture):
    client = client_of(world.people["school_coordinator"])
    refused(
        world,
        lambda: client.post(
            url("portfolios:add_link", "bathnes", world.cycle.pk),
            {"url": "https://example.org/", "title": "x", "descriptors": [2_000_000_000]},
        ),
        (200,),
    )


# 7. Reused links ------------------------------------------------------------------------------


@hostile("invitation-link-used-twice", "reuse")
def _(world, capture):
    token = "reused-invitation-token-" + "y" * 20
    with scopes_disabled():
        Invitation.objects.create(
            authority=world.authority,
            email="once@example.org",
            role=Role.MENTOR,
            token_hash=hash_token(token),
            expires_at=timezone.now() + timedelta(days=7),
        )
    link = url("accounts:accept_invitation", token)
    first = client_of().post(
        link, {"full_name": "Once", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert first.status_code == 302
    again = {
        "full_name": "Twice",
        "password1": "another long phrase",
        "password2": "another long phrase",
    }
    refused(world, lambda: client_of().post(link, again), (410,))
    assert User.objects.get(email="once@example.org").check_password(PASSWORD)


@hostile("password-reset-link-used-twice", "reuse")
def _(world, capture):
    client = client_of()
    with capture(execute=True):
        client.post(url("accounts:password_reset"), {"email": "mentor@bathnes.test"})
    [message] = mail.outbox
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", message.body).group(1)
    form_url = client.get(link)["Location"]
    new = {"new_password1": "a first new passphrase", "new_password2": "a first new passphrase"}
    assert client.post(form_url, new).status_code == 302
    second = {"new_password1": "a second passphrase", "new_password2": "a second passphrase"}
    other = client_of()

    def reuse():
        response = other.get(link)
        if response.status_code == 302:
            response = other.post(response["Location"], second)
        return response

    refused(world, reuse, (200,))
    assert User.objects.get(email="mentor@bathnes.test").check_password("a first new passphrase")


# 8. Case variants of an email at the lock-out -------------------------------------------------


@hostile("email-case-variants-share-one-lock-out", "lockout")
def _(world, capture):
    client = client_of()
    login = url("accounts:login")
    spellings = [
        "Admin@Bathnes.test",
        "ADMIN@BATHNES.TEST",
        " admin@bathnes.test ",
        "aDmIn@bAtHnEs.TeSt",
    ]
    for spelling in (spellings * 2)[: settings.AXES_FAILURE_LIMIT]:
        client.post(login, {"username": spelling, "password": "wrong"})
    refused(
        world,
        lambda: client.post(login, {"username": "admin@bathnes.test", "password": PASSWORD}),
        (429,),
    )
    assert "_auth_user_id" not in client.session


@hostile("locked-email-refused-in-another-case-from-another-browser", "lockout")
def _(world, capture):
    login = url("accounts:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client_of().post(login, {"username": "admin@bathnes.test", "password": "wrong"})
    client = client_of()
    refused(
        world,
        lambda: client.post(login, {"username": "ADMIN@Bathnes.Test", "password": PASSWORD}),
        (429,),
    )
    assert "_auth_user_id" not in client.session


@hostile("authenticator-code-replayed", "reuse")
def _(world, capture):
    moderator = world.people["moderator"]
    code = code_for(app_for(moderator))
    login = url("accounts:login")
    client = client_of()
    client.post(login, {"username": moderator.email, "password": PASSWORD})
    assert client.post(url("accounts:verify"), {"code": code}).status_code == 302
    client.post(url("accounts:logout"))
    client.post(login, {"username": moderator.email, "password": PASSWORD})
    refused(world, lambda: client.post(url("accounts:verify"), {"code": code}), (200,))
    dashboard = client.get(url("dashboard", "bathnes"))
    assert dashboard["Location"] == url("accounts:verify") + "?next=%2Fbathnes%2F"


# The list -------------------------------------------------------------------------------------


def test_the_list_holds_at_least_fifty_hostile_inputs():
    kinds = {}
    for entry in HOSTILE.values():
        kinds[entry.kind] = kinds.get(entry.kind, 0) + 1
    assert len(HOSTILE) >= 50, len(HOSTILE)
    assert set(kinds) == {
        "script",
        "sql",
        "oversize",
        "traversal",
        "csrf",
        "ids",
        "reuse",
        "lockout",
    }


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input(name, world, django_capture_on_commit_callbacks):
    HOSTILE[name].run(world, django_capture_on_commit_callbacks)


# Sweeps over the isolation harness's forms ---------------------------------------------------

FOREIGN_POSTS = sorted(
    name
    for name, case in URLS.items()
    if case.method == "post"
    and case.objects is not None
    and isinstance(case.access, (set, frozenset))
)


@pytest.mark.parametrize("name", FOREIGN_POSTS)
def test_another_authoritys_object_in_a_post_address_is_not_found_and_changes_nothing(name, world):
    """The world's own authority in the address, the outsider's object in it, posted by one who may
    post to that address for their own object, with the address's own valid data."""
    case = URLS[name]
    if case.state != State.REGISTERED or case.kind != Cycle.Kind.INITIAL:
        advance(world, case.state, case.kind)
    who = sorted(case.access)[0]
    user = {**world.people, **world.others}[who]
    foreign = url_kwargs(name, case, world, world.outsider_authority, world.authority)
    data = case.data(world, foreign) if case.data else {}
    address = reverse(name, kwargs=foreign)
    refused(world, lambda: client_of(user).post(address, data), (404,))


SCRIPTED_POSTS = sorted(
    name
    for name, case in URLS.items()
    if case.method == "post" and case.data is not None and isinstance(case.access, (set, frozenset))
)


def _scripted(value):
    if isinstance(value, str) and not value.isdigit() and not re.fullmatch(r"[\w-]{1,40}", value):
        return XSS
    return value


@pytest.mark.parametrize("name", SCRIPTED_POSTS)
def test_script_in_every_text_value_of_a_form_is_never_live(name, world):
    """Every free-text value of the form replaced by a script: whatever the form makes of it
    (kept, or refused for its length or shape), no page answers with it live, and nothing fails."""
    case = URLS[name]
    if case.state != State.REGISTERED or case.kind != Cycle.Kind.INITIAL:
        advance(world, case.state, case.kind)
    who = sorted(case.access)[0]
    user = {**world.people, **world.others}[who]
    kwargs = url_kwargs(name, case, world, world.authority)
    data = {key: _scripted(value) for key, value in case.data(world, kwargs).items()}
    client = client_of(user)
    response = client.post(reverse(name, kwargs=kwargs), data, follow=True)
    assert response.status_code < 500
    body = response.content.decode(errors="replace")
    assert "<script>alert" not in body and "<img src=x" not in body
