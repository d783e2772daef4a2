"""The key pages `manage.py bench` measures, what each is measured on, and signing in.

Each page is opened by the role that uses it, in one authority (by default the largest), on the
cycle that shows it at its fullest: the biggest portfolio, a visit with its notes, a panel with its
votes. Everything is found in the data already in the database; the bench adds only what a person
would: a session per person (signed in through Django's own `login()`, with the second factor
verified as the code page verifies it), a read-only API token per API page, and the autosaves it
sends.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from http.client import HTTPConnection
from importlib import import_module
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q
from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS
from django.urls import reverse
from django.utils.crypto import get_random_string
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_scopes import scope, scopes_disabled

from accounts import tokens, two_factor
from accounts.models import SCHOOL_ROLES, Membership, Role, UserSession
from assessments.domain import ANSWER_TEXTS
from assessments.models import Answer, Cycle, Element
from assessments.workflow import SCHOOL_EDITS
from authorities.models import Authority
from publishing.models import PublishedSchool

from .budgets import Kind

State = Cycle.State
PUBLIC = "public"
BENCH_DEVICE = "Bench"  # the authenticator app made for a person who needs one and has none
BENCH_TOKEN = "manage.py bench"


class Missing(Exception):
    """The data has nothing to measure a page on (no cycle in that state, no such person)."""


@dataclass
class Subjects:
    """What the pages are measured on, found in one authority's data."""

    authority: Authority
    cycles: dict[str, Cycle] = field(default_factory=dict)
    elements: list[int] = field(default_factory=list)  # of the self-review, for the autosaves
    published: PublishedSchool | None = None
    evidence_items: int = 0

    def cycle(self, purpose: str) -> Cycle:
        if purpose not in self.cycles:
            raise Missing(f"no cycle for the {purpose.replace('_', ' ')} page")
        return self.cycles[purpose]


# Which cycle each cycle page is measured on: of the cycles in the states that show it, the one
# with the most of what it lists.
CYCLES = {
    "self_review": (Q(state__in=SCHOOL_EDITS), "answers"),
    "submitted": (Q(state=State.SUBMITTED), "answers"),
    "plan": (~Q(state=State.DECIDED), "targets"),
    "portfolio": (Q(), "evidence"),
    "visit": (Q(state=State.VISIT_PLANNED), "visit__notes"),
    "report": (
        Q(state__in=[State.VISIT_PLANNED, State.REPORTED], report__isnull=False),
        "report__findings",
    ),
    "panel": (Q(state=State.WITH_PANEL), "panel_vote__ballots"),
}


def find_authority(slug: str | None = None) -> Authority:
    """The authority named, or the one with the most schools, with its number of schools."""
    with scopes_disabled():
        authorities = Authority.objects.annotate(school_count=Count("schools"))
        found = (
            authorities.filter(slug=slug).first()
            if slug
            else authorities.order_by("-school_count", "pk").first()
        )
    if found is None:
        raise Missing(f"no authority {slug!r}" if slug else "no authority: generate the data")
    return found


def find_subjects(authority: Authority) -> Subjects:
    with scopes_disabled():
        subjects = Subjects(authority)
        cycles = Cycle.objects.filter(authority=authority)
        for purpose, (states, fullest) in CYCLES.items():
            cycle = (
                cycles.filter(states)
                .annotate(n=Count(fullest))
                .order_by("-n", "pk")
                .select_related("school", "mentor", "framework")
                .first()
            )
            if cycle is not None:
                subjects.cycles[purpose] = cycle
        if "self_review" in subjects.cycles:
            framework = subjects.cycles["self_review"].framework_id
            subjects.elements = list(
                Element.objects.filter(framework=framework)
                .order_by("number")
                .values_list("pk", flat=True)
            )
        if "portfolio" in subjects.cycles:
            subjects.evidence_items = subjects.cycles["portfolio"].evidence.count()
        subjects.published = (
            PublishedSchool.objects.filter(
                authority=authority, publication__superseded_at__isnull=True
            )
            .order_by("pk")
            .first()
        )
    return subjects


# People -------------------------------------------------------------------------------------


def person(subjects: Subjects, role: str, cycle: Cycle | None):
    """Someone holding `role` who takes part in `cycle`: the school's own staff, its mentor, a
    moderator of its visit, a panel member with no conflict; else anyone with the role."""
    with scopes_disabled():
        members = Membership.objects.filter(authority=subjects.authority, role=role)
        if cycle is not None and role in SCHOOL_ROLES:
            members = members.filter(school=cycle.school_id)
        elif cycle is not None and role == Role.MENTOR:
            members = members.filter(user=cycle.mentor_id)
        elif cycle is not None and role == Role.MODERATOR:
            members = members.filter(user__in=cycle.visit.moderators.all())
        elif cycle is not None and role in (Role.PANEL_MEMBER, Role.PANEL_CHAIR):
            members = members.exclude(user=cycle.mentor_id).exclude(
                user__in=cycle.school.conflicts.values("person")
            )
        membership = members.select_related("user").order_by("pk").first()
    if membership is None:
        raise Missing(f"no {Role(role).label.lower()} for this page")
    return membership.user


def sign_in(user) -> str:
    """A session for `user` in the portal's real session store, signed in through Django's own
    `login()` (so the sign-in signals run: the session clock, what the session owes, the security
    log), with the second factor verified as the code page does. Returns the session key."""
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    request.user = AnonymousUser()
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if two_factor.owed(request) is not None:
        two_factor.mark_verified(request, _device(user))
    request.session.save()
    return request.session.session_key


def _device(user):
    """The person's authenticator app (or passkey), or a confirmed app made for the bench."""
    found = next(
        (d for d in devices_for_user(user, confirmed=True) if d.name != two_factor.RECOVERY_NAME),
        None,
    )
    return found or TOTPDevice.objects.create(user=user, name=BENCH_DEVICE, confirmed=True)


def make_token(user, authority, name: str) -> str:
    with scope(authority=authority):
        _, secret = tokens.create_token(user, authority, f"{BENCH_TOKEN}: {name}", can_write=False)
    return secret


# Requests -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    """How a request says who sends it: a session cookie, a token, or nothing (the public)."""

    session_key: str = ""
    token: str = ""
    csrf: str = field(default_factory=lambda: get_random_string(32, CSRF_ALLOWED_CHARS))

    def headers(self) -> dict:
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.session_key:
            return {
                "Cookie": f"{settings.SESSION_COOKIE_NAME}={self.session_key}; "
                f"{settings.CSRF_COOKIE_NAME}={self.csrf}"
            }
        return {}


class Visitors:
    """The bench's people: one session each, made when first needed, and API tokens (one per
    script: `token_for` names it), all ended by `leave()`.

    A token per API page, as each script has its own: the API allows a token API_RATE requests a
    minute, which one token for every page would pass."""

    def __init__(self, authority):
        self.authority = authority
        self.sessions: dict[int, Credentials] = {}
        self.tokens: dict[tuple, Credentials] = {}

    def credentials(self, user, token_for: str = "") -> Credentials:
        if user is None:
            return Credentials()
        if token_for:
            if (user.pk, token_for) not in self.tokens:
                self.tokens[user.pk, token_for] = Credentials(
                    token=make_token(user, self.authority, token_for)
                )
            return self.tokens[user.pk, token_for]
        if user.pk not in self.sessions:
            self.sessions[user.pk] = Credentials(session_key=sign_in(user))
        return self.sessions[user.pk]

    def leave(self) -> None:
        with scopes_disabled():
            UserSession.objects.filter(
                session_key__in=[c.session_key for c in self.sessions.values()]
            ).delete()
            for credentials in self.tokens.values():
                token = tokens.authenticate(credentials.token)
                if token is not None:
                    tokens.revoke(token)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict
    body: bytes = b""


def send_request(connection: HTTPConnection, request: Request) -> tuple[int, bytes]:
    connection.request(
        request.method, request.path, body=request.body or None, headers=request.headers
    )
    response = connection.getresponse()
    body = response.read()
    if response.will_close:  # gunicorn's sync workers close each connection after answering
        connection.close()
    return response.status, body


@dataclass(frozen=True)
class Call:
    """A page's request, sent again and again by each concurrent client on its own connection.

    `for_worker(n)` gives the n-th client its sender; most pages send the same request each time.
    """

    path: str
    credentials: Credentials

    def request(self, worker: int = 0) -> Request:
        return Request("GET", self.path, self.credentials.headers())

    def for_worker(self, worker: int) -> Callable[[HTTPConnection], int]:
        request = self.request(worker)
        return lambda connection: send_request(connection, request)[0]


VERSION = re.compile(rb'data-version="(\d+)"')


@dataclass(frozen=True)
class Autosave(Call):
    """The element page's autosave (an htmx POST), as a school coordinator types: each client
    saves an element of its own (`paths`: element id -> its page), sending the answer back as it
    was saved, with the version each save returns (a save from an older version is a conflict)."""

    paths: dict = field(default_factory=dict)
    cycle: Cycle | None = None

    def element(self, worker: int) -> int:
        return list(self.paths)[worker % len(self.paths)]

    def form(self, element: int) -> dict:
        """The answer as saved now, as the page's form sends it."""
        with scopes_disabled():
            answer = Answer.objects.filter(cycle=self.cycle, element=element).first()
        if answer is None:
            return {"version": 0}
        return {
            "version": answer.version,
            "rating": answer.rating or "",
            **{name: getattr(answer, name) for name in ANSWER_TEXTS},
            **{f"descriptor-{key}": value for key, value in answer.ratings.items()},
        }

    def post(self, element: int, form: dict) -> Request:
        headers = {
            **self.credentials.headers(),
            "Content-Type": "application/x-www-form-urlencoded",
            "X-CSRFToken": self.credentials.csrf,
            "HX-Request": "true",
        }
        return Request("POST", self.paths[element], headers, urlencode(form).encode())

    def request(self, worker: int = 0) -> Request:
        element = self.element(worker)
        return self.post(element, self.form(element))

    def for_worker(self, worker: int) -> Callable[[HTTPConnection], int]:
        element = self.element(worker)
        form = self.form(element)

        def send(connection: HTTPConnection) -> int:
            status, body = send_request(connection, self.post(element, form))
            version = VERSION.search(body)
            if version:
                form["version"] = version.group(1)
            return status

        return send


# The pages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    key: str  # its name for --profile and the growth check
    name: str
    role: str  # a Role, or PUBLIC
    url: str  # the URL pattern's name
    cycle: str | None = None  # which of CYCLES it is opened on
    kind: Kind = Kind.PAGE
    api: bool = False  # sent with the person's API token, not their session
    search: bool = False  # the directory with a search for a name
    note: str = ""  # where the issue names a page the portal has not, which page stands for it
    query: str = ""  # the URL's query string, if it has one

    def person(self, subjects: Subjects):
        if self.role == PUBLIC:
            return None
        purpose = DASHBOARD_CYCLE[self.role] if self.url == "dashboard" else self.cycle
        return person(subjects, self.role, subjects.cycle(purpose) if purpose else None)

    def describe(self, subjects: Subjects) -> str:
        if self.url == "portfolios:portfolio":
            return f"{subjects.evidence_items} items"
        return self.note

    def path(self, subjects: Subjects, element: int | None = None) -> str:
        if self.url == "directory:search":
            if not self.search:
                return reverse(self.url)
            return f"{reverse(self.url)}?{urlencode({'name': search_word(subjects)})}"
        if self.url == "directory:school":
            published = subjects.published
            if published is None:
                raise Missing("no school on the authority's published list")
            return reverse(
                self.url, kwargs={"authority": subjects.authority.slug, "urn": published.urn}
            )
        kwargs = {"authority_slug": subjects.authority.slug}
        if self.cycle is not None:
            kwargs["cycle_pk"] = subjects.cycle(self.cycle).pk
        if self.url == "assessments:element":
            if not subjects.elements:
                raise Missing("no element in the self-review's framework")
            kwargs["element_pk"] = subjects.elements[0] if element is None else element
        path = reverse(self.url, kwargs=kwargs)
        return f"{path}?{self.query}" if self.query else path

    def call(self, subjects: Subjects, visitors: Visitors) -> Call:
        credentials = visitors.credentials(
            self.person(subjects), token_for=self.key if self.api else ""
        )
        if self.kind != Kind.AUTOSAVE:
            return Call(self.path(subjects), credentials)
        return Autosave(
            self.path(subjects),
            credentials,
            # An element per concurrent client, as people of the school typing at once.
            paths={e: self.path(subjects, e) for e in subjects.elements},
            cycle=subjects.cycle(self.cycle),
        )


def search_word(subjects: Subjects) -> str:
    """What someone looking for a school types: the first word of a published school's name."""
    if subjects.published is None:
        raise Missing("no school on the authority's published list")
    return subjects.published.name.split()[0]


ADMIN, COORDINATOR, MENTOR = Role.AUTHORITY_ADMIN, Role.SCHOOL_COORDINATOR, Role.MENTOR
MODERATOR, CHAIR = Role.MODERATOR, Role.PANEL_CHAIR
# Each role's dashboard is the person's who opens that role's other pages below.
DASHBOARD_CYCLE = {
    Role.SCHOOL_COORDINATOR: "self_review",
    Role.SCHOOL_CONTRIBUTOR: "self_review",
    Role.HEAD_TEACHER: "self_review",
    Role.MENTOR: "submitted",
    Role.MODERATOR: "visit",
    Role.PANEL_MEMBER: "panel",
    Role.PANEL_CHAIR: "panel",
    Role.AUTHORITY_ADMIN: None,
}
# The API's lists: (its name here, the route's name, the cycle it lists, for a cycle's list).
API_LISTS = [
    ("areas", "area", None),
    ("schools", "school", None),
    ("cycles", "cycle", None),
    ("decisions", "decision", None),
    ("awards", "award", None),
    ("clusters", "cluster", None),
    ("publications", "publication", None),
    ("answers", "cycle-answer", "self_review"),
    ("targets", "target", "plan"),
    ("evidence", "evidence", "portfolio"),
    ("visit-notes", "visit-note", "visit"),
]

PAGES = [
    *(
        Page(f"dashboard-{role.value.replace('_', '-')}", "dashboard", role, "dashboard")
        for role in DASHBOARD_CYCLE
    ),
    Page("schools", "schools", ADMIN, "schools:list"),
    Page("self-reviews", "self-reviews", ADMIN, "assessments:cycles"),
    Page("cycle", "cycle", COORDINATOR, "assessments:cycle", "self_review"),
    Page("element", "element page", COORDINATOR, "assessments:element", "self_review"),
    Page("autosave", "autosave", COORDINATOR, "assessments:element", "self_review", Kind.AUTOSAVE),
    Page("action-plan", "action plan", COORDINATOR, "assessments:plan", "plan"),
    Page("portfolio", "portfolio", COORDINATOR, "portfolios:portfolio", "portfolio"),
    Page("mentor-review", "mentor review", MENTOR, "assessments:review", "submitted"),
    Page("desk-check-queue", "desk-check queue", CHAIR, "moderation:queue"),
    Page("visit", "visit", MODERATOR, "moderation:visit", "visit"),
    Page("report", "report", MODERATOR, "moderation:report", "report"),
    Page("panel", "panel", CHAIR, "moderation:panel", "panel"),
    Page("overview", "overview", ADMIN, "overview:page"),
    Page("audit-log", "audit log", ADMIN, "audit:log"),
    Page("people", "people", ADMIN, "people:list"),
    Page("publishing-preview", "publishing preview", ADMIN, "publishing:preview"),
    Page("public-list", "public list", PUBLIC, "publishing:awards", kind=Kind.CACHED),
    Page(
        "public-list-json", "public list JSON", PUBLIC, "publishing:awards_json", kind=Kind.CACHED
    ),
    Page("directory", "national directory", PUBLIC, "directory:search", kind=Kind.CACHED),
    Page("directory-search", "directory search", PUBLIC, "directory:search", search=True),
    Page("directory-school", "directory school page", PUBLIC, "directory:school"),
    *(
        Page(f"api-{name}", f"API {name}", ADMIN, f"api:{route}-list", cycle, api=True)
        for name, route, cycle in API_LISTS
    ),
    # The cycles again, 20 a page, no more than the small data set's largest authority has (21):
    # as many rows at both sizes, so that its growth is the data's, not its page's filling up.
    Page(
        "api-cycles-20",
        "API cycles, 20 a page",
        ADMIN,
        "api:cycle-list",
        api=True,
        query="page_size=20",
    ),
]
PAGES_BY_KEY = {page.key: page for page in PAGES}
