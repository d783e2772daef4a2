"""Every page of the portal, in the demo, in Debian's Chromium: each GET pattern of the permission
matrix (tests/isolation.py `URLS`), its arguments filled in from the demo's objects, opened as a
demo person whose role may see it. On each page axe checks WCAG 2.2 A and AA (the harness), the
page must not scroll both ways at 320 CSS pixels nor at 640 (1280 at 200% zoom), and with reduced
motion asked for nothing may move for longer than 0.01s.

`test_every_page_is_listed` compares PAGES and NOT_PAGES with the resolver, so a new page fails
until it is listed here. The key pages are photographed at 1280 and 320 px, full length, into
test-results/screenshots/ (ignored by git) for a person to look at.

The demo is loaded once for the module and flushed afterwards; each person signs in once, in a
browser context of their own.
"""

import os
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

import pytest
from _pytest.outcomes import Failed
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from iqm_portal.demo import (
    DECIDED_SCHOOL,
    DEMO_PASSWORD,
    DEMO_SCHOOL,
    PLATFORM_ADMIN,
    VALIDATED_SCHOOL,
    load_demo,
)

from ..isolation import PLATFORM, PUBLIC, URLS, project_patterns
from .conftest import A11yGuard, visit
from .test_self_review import sign_in

SCREENSHOTS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    "test-results",
    "screenshots",
)
THREE_WAYS = "Three Ways Special School"  # its Centre of Excellence review, in its annual update
COOPER = "The Cooper School"  # the national authority's Flagship school, renewed in the portal

# The demo's person in each of the matrix's roles, by authority.
PEOPLE = {
    "bathnes": {
        "school_coordinator": "coordinator@bathnes.test",
        "head_teacher": "head@bathnes.test",
        "school_contributor": "contributor@bathnes.test",
        "mentor": "mentor@bathnes.test",
        "moderator": "moderator@bathnes.test",
        "moderator2": "moderator2@bathnes.test",
        "panel_member": "panel@bathnes.test",
        "panel2": "panel2@bathnes.test",
        "panel_chair": "chair@bathnes.test",
        "authority_admin": "admin@bathnes.test",
    },
    "iqm": {
        "head_teacher": "head@iqm.test",
        "mentor": "mentor@iqm.test",
        "moderator": "moderator@iqm.test",
        "panel_member": "panel@iqm.test",
        "panel2": "panel2@iqm.test",
        "panel_chair": "chair@iqm.test",
        "authority_admin": "admin@iqm.test",
    },
}
# Whom to sign in as when several roles may open a page and PAGES names none: the school's
# people first, as theirs are the pages most people use.
PREFERENCE = [
    "school_coordinator",
    "head_teacher",
    "school_contributor",
    "mentor",
    "moderator",
    "moderator2",
    "panel_member",
    "panel_chair",
    "panel2",
    "authority_admin",
]


class Demo:
    """The demo's objects, by the names the demo gives them."""

    def cycle(self, school):
        from assessments.models import Cycle

        with scopes_disabled():
            return Cycle.objects.get(school__name=school)

    def school(self, name):
        from schools.models import School

        with scopes_disabled():
            return School.objects.get(name=name)

    def element(self, school, number=1):
        with scopes_disabled():
            return self.cycle(school).framework.elements.get(number=number)

    def award(self, school):
        from awards.models import Award

        with scopes_disabled():
            return Award.objects.filter(school__name=school).latest("awarded_on")

    def person(self, email):
        from accounts.models import User

        return User.objects.get(email=email)


@dataclass(frozen=True)
class Page:
    """One page of the demo: its arguments (`authority_slug` defaults to bathnes), and whom to
    sign in as (a role of the matrix) when the first the matrix allows in PREFERENCE will not do."""

    args: Callable[[Demo], dict] = lambda d: {}
    role: str | None = None
    screenshot: bool = False  # one of the key pages, photographed at 1280 and 320 px


def cycle_of(school, **extra):
    return lambda d: {"cycle_pk": d.cycle(school).pk, **extra}


def element_of(school, number=1, **extra):
    return lambda d: {
        "cycle_pk": d.cycle(school).pk,
        "element_pk": d.element(school, number).pk,
        **extra,
    }


def school_of(name, **extra):
    return lambda d: {"school_pk": d.school(name).pk, **extra}


def _invitation(d):
    from accounts.domain import hash_token
    from accounts.models import Invitation, Role

    token = "an-invitation-of-the-demo"
    with scopes_disabled():
        Invitation.objects.get_or_create(
            token_hash=hash_token(token),
            defaults={
                "authority": d.school(DEMO_SCHOOL).authority,
                "email": "new.mentor@bathnes.test",
                "role": Role.MENTOR,
                "invited_by": d.person("admin@bathnes.test"),
                "expires_at": timezone.now() + timedelta(days=14),
            },
        )
    return {"token": token}


def _school_import(d):
    from schools.models import SchoolImport

    with scopes_disabled():
        school_import = SchoolImport.objects.create(
            authority=d.school(DEMO_SCHOOL).authority,
            uploaded_by=d.person("admin@bathnes.test"),
            file_name="gias.csv",
            sha256="0" * 64,
            rows=[],
            problems=[],
        )
    return {"import_pk": school_import.pk}


def _target(d):
    with scopes_disabled():
        cycle = d.cycle(DECIDED_SCHOOL)
        return {"cycle_pk": cycle.pk, "target_pk": cycle.targets.first().pk}


def _item(d):
    with scopes_disabled():
        cycle = d.cycle(DECIDED_SCHOOL)
        return {"cycle_pk": cycle.pk, "item_pk": cycle.evidence.first().pk}


def _plaque(d):
    from awards.models import Plaque

    with scopes_disabled():
        return {"pk": Plaque.objects.order_by("pk").first().award_id}


def _render_job(d):
    """The school's certificate, made (the demo makes none: the worker does, on request)."""
    from django.core.files.base import ContentFile

    from reports.models import RenderJob

    award = d.award(DECIDED_SCHOOL)
    with scopes_disabled():
        job = RenderJob(
            authority=award.authority,
            kind=RenderJob.Kind.CERTIFICATE,
            object_id=award.pk,
            input_hash=uuid.uuid4().hex,
            html="<p>Certificate</p>",
            state=RenderJob.State.DONE,
            pages=1,
        )
        job.file.save("certificate.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=True)
    return {"job_pk": job.pk}


def _workshop(d, upcoming=True):
    from workshops.models import Workshop

    with scopes_disabled():
        workshops = Workshop.objects.order_by("starts_at")
        return {"pk": (workshops.last() if upcoming else workshops.first()).pk}


def _cluster(d):
    from clusters.models import Cluster

    with scopes_disabled():
        return {"cluster_pk": Cluster.objects.get(lead_school__name=THREE_WAYS).pk}


def _research(model, arg):
    def args(d):
        with scopes_disabled():
            school = d.school(COOPER)
            found = model().objects.filter(project__school=school).order_by("pk").first()
            return {"authority_slug": "iqm", "school_pk": school.pk, arg: found.pk}

    return args


def _step():
    from flagship.models import KeyStep

    return KeyStep


def _output():
    from flagship.models import ResearchOutput

    return ResearchOutput


def _case_at(stage):
    """A case of a school of its own (the demo's cases are before or past the visit), taken by
    the demo's steps to its report written ("reported") or to the panel's votes ("voted")."""

    def make(d):
        from accounts.models import Membership, Role
        from assessments.models import Cycle
        from iqm_portal.demo import reported_cycle, validated_cycle, voted_cycle
        from moderation.domain import add_note
        from schools.models import School

        name = f"Every Page {stage.title()} Primary"
        with scopes_disabled():
            found = Cycle.objects.filter(school__name=name).first()
            if found:
                return found
            authority = d.school(DEMO_SCHOOL).authority
        with scope(authority=authority):
            school = School.objects.create(
                authority=authority, name=name, urn=f"9{len(stage):05}", phase=School.Phase.PRIMARY
            )
            coordinator = d.person("coordinator@bathnes.test")
            Membership.objects.create(
                authority=authority, user=coordinator, role=Role.SCHOOL_COORDINATOR, school=school
            )
            cycle = validated_cycle(authority, school, d.person("mentor@bathnes.test"), coordinator)
            reported_cycle(cycle, coordinator)
            add_note(
                cycle=cycle,
                by=d.person("moderator@bathnes.test"),
                kind="pupils",
                who="School council",
                notes="Every pupil has a say.",
                elements=[],
            )
            if stage == "voted":
                voted_cycle(cycle)
        return cycle

    return make


def _in_self_review(d):
    """The demo school's case with its first element answered, so it is in self-review."""
    from assessments.domain import save_answer
    from assessments.models import Cycle, Rating

    cycle = d.cycle(DEMO_SCHOOL)
    with scope(authority=cycle.authority):
        if cycle.state == Cycle.State.REGISTERED:
            save_answer(
                cycle=cycle,
                element=cycle.framework.elements.get(number=1),
                by=d.person("head@bathnes.test"),
                version=0,
                data={"rating": Rating.ESTABLISHED, "practice": "Every pupil is known by name."},
            )
    return {"cycle_pk": cycle.pk}


def _note(d):
    cycle = _case_at("reported")(d)
    with scopes_disabled():
        return {"cycle_pk": cycle.pk, "note_pk": cycle.visit.notes.first().pk}


def _area(d):
    with scopes_disabled():
        return {"area_pk": d.school(DEMO_SCHOOL).area_id}


def _published_school(d):
    school = d.school(THREE_WAYS)
    return {"authority": school.authority.slug, "urn": school.urn}


IQM = {"authority_slug": "iqm"}
# Every GET pattern that answers with a page, and how to reach it in the demo.
PAGES = {
    "home": Page(),
    "accessibility": Page(screenshot=True),
    "accounts:login": Page(),
    "accounts:password_reset": Page(),
    "accounts:password_reset_done": Page(),
    # A link whose token is wrong: the page that says so and offers a new one.
    "accounts:password_reset_confirm": Page(lambda d: {"uidb64": "MQ", "token": "set-password"}),
    "accounts:password_reset_complete": Page(),
    "accounts:accept_invitation": Page(_invitation),
    "platform_authorities": Page(),
    "directory:search": Page(screenshot=True),
    "directory:school": Page(_published_school),
    "dashboard": Page(screenshot=True),
    "authorities:settings": Page(),
    "schools:list": Page(),
    "schools:create": Page(),
    "schools:detail": Page(school_of(DECIDED_SCHOOL), screenshot=True),
    "schools:edit": Page(school_of(DECIDED_SCHOOL)),
    "schools:areas": Page(),
    "schools:area_create": Page(),
    "schools:area_edit": Page(_area),
    "schools:import": Page(),
    "schools:import_preview": Page(_school_import),
    "people:list": Page(),
    "people:invite": Page(),
    "audit:log": Page(),
    "assessments:cycles": Page(),
    "assessments:cycle_start": Page(),
    "assessments:cycle": Page(cycle_of(DEMO_SCHOOL), screenshot=True),
    "assessments:element": Page(element_of(DEMO_SCHOOL), screenshot=True),
    "assessments:assignments": Page(cycle_of(DEMO_SCHOOL)),
    "assessments:submit_check": Page(_in_self_review, role="head_teacher"),
    "assessments:review": Page(cycle_of(VALIDATED_SCHOOL), role="mentor", screenshot=True),
    "assessments:compare": Page(cycle_of(VALIDATED_SCHOOL), role="mentor"),
    "assessments:plan": Page(cycle_of(DECIDED_SCHOOL), screenshot=True),
    "assessments:target_create": Page(cycle_of(VALIDATED_SCHOOL)),
    "assessments:target_edit": Page(_target),
    "assessments:frameworks": Page(),
    "portfolios:portfolio": Page(cycle_of(DECIDED_SCHOOL), screenshot=True),
    "portfolios:add_link": Page(cycle_of(VALIDATED_SCHOOL)),
    "portfolios:item": Page(_item),
    "portfolios:submit_check": Page(cycle_of(VALIDATED_SCHOOL), screenshot=True),
    "moderation:queue": Page(),
    "moderation:conflicts": Page(),
    "moderation:visit": Page(cycle_of(DECIDED_SCHOOL), role="panel_chair", screenshot=True),
    "moderation:report": Page(cycle_of(DECIDED_SCHOOL), role="moderator", screenshot=True),
    "moderation:note_edit": Page(_note, role="moderator"),
    "moderation:sign_check": Page(
        lambda d: {"cycle_pk": _case_at("reported")(d).pk}, role="moderator", screenshot=True
    ),
    "moderation:decide_check": Page(
        lambda d: {"cycle_pk": _case_at("voted")(d).pk}, role="panel_chair", screenshot=True
    ),
    "moderation:panel": Page(cycle_of(DECIDED_SCHOOL), role="panel_chair", screenshot=True),
    "reviews:update": Page(cycle_of(THREE_WAYS), screenshot=True),
    "reviews:update_element": Page(element_of(THREE_WAYS)),
    "reviews:ratification": Page(cycle_of(COOPER, **IQM), role="moderator", screenshot=True),
    "awards:plaques": Page(),
    "awards:plaque": Page(_plaque),
    "notifications:outbox": Page(),
    "notifications:templates": Page(),
    "notifications:template_edit": Page(lambda d: {"key": "cycle.registered"}),
    "reports:job": Page(_render_job, screenshot=True),
    "feedback:admin": Page(),
    "publishing:preview": Page(),
    "publishing:history": Page(),
    "publishing:awards": Page(screenshot=True),
    "publishing:version": Page(lambda d: {"version": 1}),
    "overview:page": Page(screenshot=True),
    "workshops:list": Page(),
    "workshops:create": Page(),
    "workshops:detail": Page(_workshop),
    "workshops:edit": Page(_workshop, role="mentor"),
    "clusters:detail": Page(_cluster),
    "flagship:research": Page(school_of(COOPER, **IQM), screenshot=True),
    "flagship:project": Page(school_of(COOPER, **IQM)),
    "flagship:step_create": Page(school_of(COOPER, **IQM)),
    "flagship:step_edit": Page(_research(_step, "step_pk")),
    "flagship:output_create": Page(school_of(COOPER, **IQM)),
    "flagship:output_edit": Page(_research(_output, "output_pk")),
    "flagship:criteria": Page(cycle_of(COOPER, **IQM)),
}


@dataclass(frozen=True)
class NotPage:
    """A GET pattern that answers with something other than a page: what, and the type asked."""

    args: Callable[[Demo], dict]
    content_type: str
    role: str | None = None


def _logo(d):
    award = d.award(DECIDED_SCHOOL)
    return {"school_pk": award.school_id, "pk": award.pk}


NOT_PAGES = {
    "healthz": NotPage(lambda d: {}, "text/plain"),
    "visit_worker:script": NotPage(lambda d: {}, "text/javascript"),
    "awards:logo_svg": NotPage(_logo, "image/svg+xml"),
    "awards:logo_png": NotPage(_logo, "image/png"),
    "reports:download": NotPage(_render_job, "application/pdf"),
    "feedback:ratings_csv": NotPage(lambda d: {}, "text/csv"),
    "feedback:signups_csv": NotPage(lambda d: {}, "text/csv"),
    "publishing:awards_json": NotPage(lambda d: {}, "application/json"),
    "publishing:awards_csv": NotPage(lambda d: {}, "text/csv"),
    "publishing:version_json": NotPage(lambda d: {"version": 1}, "application/json"),
    "publishing:version_csv": NotPage(lambda d: {"version": 1}, "text/csv"),
    "overview:csv": NotPage(lambda d: {"figure": "awards-by-area"}, "text/csv"),
    # The <option>s htmx puts in a datalist as one types: the audit log's person filter's, and
    # the school picker's (registering a school, a conflict, an invitation, the audit log).
    "audit:person_suggestions": NotPage(lambda d: {}, "text/html"),
    "schools:suggestions": NotPage(lambda d: {}, "text/html"),
    # A file of the school's evidence: the demo's evidence is a link, and
    # tests/browser/test_portfolio.py uploads and downloads a file.
    "portfolios:download": None,
    # issue 14: faults. Liveness and readiness, for probes.
    "health": NotPage(lambda d: {}, "application/json"),
    "ready": NotPage(lambda d: {}, "application/json"),
}
# The Django admin's own pages (admin:*) are Django's, for platform admins; not checked here.


# Issue 14, privacy: a person's page, their data's exports, the check page before erasure; the
# export's files (one made here, as the worker would).
def _person(d):
    return {"person_pk": d.person("mentor@bathnes.test").pk}


def _subject_export(d):
    from django.core.files.base import ContentFile

    from privacy.models import SubjectAccessExport

    person = d.person("mentor@bathnes.test")
    with scopes_disabled():
        export = SubjectAccessExport(
            authority=d.school(DEMO_SCHOOL).authority,
            person=person,
            state=SubjectAccessExport.State.DONE,
            expires_at=timezone.now() + timedelta(days=1),
        )
        export.json_file.save("export.json", ContentFile(b"{}"), save=False)
        export.pdf_file.save("export.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
        export.save()
    return {"person_pk": person.pk, "export_pk": export.pk}


PAGES |= {
    "people:person": Page(_person),
    "privacy:data": Page(_person),
    "privacy:erase_check": Page(_person),
}
NOT_PAGES |= {
    "privacy:download_json": NotPage(_subject_export, "application/json"),
    "privacy:download_pdf": NotPage(_subject_export, "application/pdf"),
}


# issue 15: tokens. The person's API tokens page (with one token listed), and the check before
# revoking one, as the demo's mentor whose token it is. The page that shows a new token's secret
# answers the form's POST: tests/browser/test_api_tokens.py makes a token through the form.
def _mentors_token(d):
    from accounts import tokens
    from accounts.models import ApiToken

    mentor = d.person("mentor@bathnes.test")
    authority = d.school(DEMO_SCHOOL).authority
    with scopes_disabled():
        token = ApiToken.objects.filter(user=mentor, name="Every page").first()
        if token is None:
            token = tokens.create_token(mentor, authority, "Every page", can_write=True)[0]
    return {"token_pk": token.pk}


def _mentor_with_a_token(d):
    _mentors_token(d)
    return {}


PAGES |= {
    "api_tokens:list": Page(_mentor_with_a_token, role="mentor"),
    "api_tokens:revoke_check": Page(_mentors_token, role="mentor"),
}


# issue 15: webhooks. The authority's endpoints and one endpoint's page with its deliveries, as the
# demo's admin (an endpoint made here; tests/browser/test_webhooks.py walks the forms).
def _webhook_endpoint(d):
    from webhooks.models import Endpoint

    authority = d.school(DEMO_SCHOOL).authority
    with scopes_disabled():
        endpoint, _ = Endpoint.objects.get_or_create(
            authority=authority,
            name="Data warehouse",
            defaults={
                "url": "https://1.1.1.1/iqm-events",
                "events": ["cycle.moved"],
                "secret": "whsec_every_page",
            },
        )
    return {"endpoint_pk": endpoint.pk}


def _with_a_webhook(d):
    _webhook_endpoint(d)
    return {}


PAGES |= {
    "webhooks:list": Page(_with_a_webhook, role="authority_admin"),
    "webhooks:detail": Page(_webhook_endpoint, role="authority_admin"),
}


# The dashboard of each person of the demo, photographed too.
DASHBOARDS = [
    "coordinator@bathnes.test",
    "head@bathnes.test",
    "contributor@bathnes.test",
    "mentor@bathnes.test",
    "moderator@bathnes.test",
    "panel@bathnes.test",
    "chair@bathnes.test",
    "admin@bathnes.test",
    "head@iqm.test",
    "admin@iqm.test",
]

# Widths in CSS pixels: the narrowest phone (WCAG's reflow), and 1280 at 200% zoom.
NARROW = (320, 640)
WIDE = {"width": 1280, "height": 900}

OVERFLOW = """
() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  if (root.scrollWidth <= width) return null;
  // What sticks out, outermost first, leaving out what a scrollable box of its own holds.
  const inScroller = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (/(auto|scroll|hidden|clip)/.test(style.overflowX)) return true;
    }
    return false;
  };
  const culprits = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    // In a scrollable box, but placed against the page (absolute) so it escapes it.
    const escapes = /(absolute|fixed)/.test(getComputedStyle(el).position);
    if (box.width && box.right > width + 1 && (escapes || !inScroller(el))) {
      if (culprits.some((c) => c.el.contains(el))) continue;
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
        (el.className && typeof el.className === "string"
          ? "." + el.className.trim().split(/\\s+/).join(".") : "");
      culprits.push({el, text: `${name} (right edge at ${Math.round(box.right)}px)`});
    }
  }
  return {scrollWidth: root.scrollWidth, width, culprits: culprits.slice(0, 8).map((c) => c.text)};
}
"""

MOTION = """
() => {
  const seconds = (value) => Math.max(...value.split(",").map((v) =>
    v.trim().endsWith("ms") ? parseFloat(v) / 1000 : parseFloat(v) || 0));
  const moving = [];
  for (const el of document.querySelectorAll("*")) {
    const style = getComputedStyle(el);
    const animated = style.animationName !== "none" &&
      seconds(style.animationDuration) * (parseFloat(style.animationIterationCount) || 1) > 0.01;
    const transition = style.transitionProperty !== "none" &&
      seconds(style.transitionDuration) + seconds(style.transitionDelay) > 0.01;
    if (animated || transition) {
      moving.push(el.tagName.toLowerCase() + (el.className && typeof el.className === "string"
        ? "." + el.className.trim().split(/\\s+/).join(".") : "") + (animated
        ? ` animation ${style.animationName} ${style.animationDuration}`
        : ` transition ${style.transitionProperty} ${style.transitionDuration}`));
    }
  }
  return [...new Set(moving)].slice(0, 8);
}
"""

SCROLLABLE = """
async () => {
  // After the page's own resize handlers (static/js/scroll-regions.js) have run.
  await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
  const results = await axe.run(document, {
    runOnly: {type: "rule", values: ["scrollable-region-focusable"]},
  });
  return results.violations.flatMap((v) => v.nodes.map((n) => n.target.join(" ")));
}
"""


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo, loaded once for this module (tasks run in-process, quick password hashes, as
    the tests' own fixtures do) and flushed afterwards, as a transactional test is."""
    from iqm_portal.celery import app

    with django_db_blocker.unblock():
        eager = app.conf.task_always_eager
        app.conf.task_always_eager = True
        try:
            with override_settings(
                PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
            ):
                load_demo()
        finally:
            app.conf.task_always_eager = eager
        try:
            yield Demo()
        finally:
            call_command("flush", verbosity=0, interactive=False)


class Tabs:
    """A browser context for each person, signed in on first use and kept for the module."""

    def __init__(self, browser, axe, base_url):
        self.browser, self.axe, self.base_url = browser, axe, base_url
        self.tabs = {}

    def __call__(self, email):
        if email not in self.tabs:
            context = self.browser.new_context(
                base_url=self.base_url, locale="en-GB", viewport=WIDE, reduced_motion="reduce"
            )
            tab = context.new_page()
            tab.a11y = A11yGuard(tab, self.axe)
            if email is not None:
                sign_in(tab, email, DEMO_PASSWORD)
            self.tabs[email] = tab
        return self.tabs[email]

    def close(self):
        for tab in self.tabs.values():
            tab.context.close()


@pytest.fixture(autouse=True)
def _live_server_helper(live_server):
    """Replaces pytest-django's, which makes every test that uses the live server transactional,
    so flushes the database after it: the demo is loaded once for the module. The server's
    settings (its host allowed) are switched on as pytest-django's helper does."""
    live_server._live_server_modified_settings.enable()
    yield
    live_server._live_server_modified_settings.disable()


@pytest.fixture(scope="module")
def tabs(demo, browser, axe, live_server):
    tabs = Tabs(browser, axe, live_server.url)
    yield tabs
    tabs.close()


def url_of(name, args, demo):
    kwargs = dict(args(demo))
    if "authority_slug" in project_patterns()[0][name]:
        kwargs.setdefault("authority_slug", "bathnes")
    authority = kwargs.get("authority_slug", "bathnes")
    return reverse(name, kwargs=kwargs), authority


def person(name, role, authority):
    """(who, email): signed out for a public page, the platform admin for the platform's, else
    the demo's person in `role`, or in the first role of PREFERENCE the matrix lets open it."""
    access = URLS[name].access
    if access == PUBLIC:
        return "signed out", None
    if access == PLATFORM:
        return "platform admin", PLATFORM_ADMIN[0]
    assert role is None or role in access, (
        f"PAGES says to open {name} as {role}, which the permission matrix does not allow"
    )
    people = PEOPLE[authority]
    found = [role] if role else [r for r in PREFERENCE if r in access and r in people]
    assert found and found[0] in people, f"the demo has no one in {authority} to open {name}"
    return f"{found[0]} ({people[found[0]]})", people[found[0]]


def test_every_page_is_listed():
    """Every GET pattern of the project is in PAGES or NOT_PAGES, and nothing else is."""
    patterns = project_patterns()[0]
    gets = {name for name in patterns if URLS[name].method == "get"}
    listed = set(PAGES) | set(NOT_PAGES)
    assert not set(PAGES) & set(NOT_PAGES)
    assert gets - listed == set(), (
        "GET patterns no test visits: add them to PAGES (or NOT_PAGES, saying why) in "
        "tests/browser/test_every_page.py"
    )
    assert listed - gets == set(), "listed here but no longer a GET pattern"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page(name, demo, tabs, request):
    spec = PAGES[name]
    path, authority = url_of(name, spec.args, demo)
    who, email = person(name, spec.role, authority)
    tab = tabs(email)
    request.node._a11y_guard = tab.a11y
    where = f"{name} {path} as {who}"
    check_page(tab, path, where, shots=name.replace(":", "-") if spec.screenshot else None)


@pytest.mark.parametrize("email", DASHBOARDS)
def test_dashboard(email, demo, tabs, request):
    tab = tabs(email)
    request.node._a11y_guard = tab.a11y
    slug = email.split(".test")[0].replace("@", "-")
    path = reverse("dashboard", kwargs={"authority_slug": email.split("@")[1].split(".")[0]})
    check_page(tab, path, f"dashboard {path} as {email}", shots=f"dashboard-{slug}")


@pytest.mark.parametrize("name", sorted(n for n, spec in NOT_PAGES.items() if spec))
def test_not_a_page(name, demo, tabs):
    spec = NOT_PAGES[name]
    path, authority = url_of(name, spec.args, demo)
    who, email = person(name, spec.role, authority)
    response = tabs(email).context.request.get(path, max_redirects=0)
    assert response.status == 200, f"{name} {path} as {who}: {response.status}"
    content_type = response.headers["content-type"].split(";")[0]
    assert content_type == spec.content_type, f"{name} {path} as {who}: {content_type}"


def check_page(tab, path, where, shots=None):
    """Open the page wide, with axe; then narrow, where it must not scroll sideways; nothing
    moves (the context asks for reduced motion); photograph it if `shots` names it."""
    tab.set_viewport_size(WIDE)
    try:
        response = visit(tab, path)
    except Failed as failure:
        pytest.fail(f"{where}:\n{failure.msg}", pytrace=False)
    problems = []
    if response.status != 200 or response.request.redirected_from:
        problems.append(f"answered {response.status} at {tab.url}, expected 200 at {path}")
    moving = tab.evaluate(MOTION)
    if moving:
        problems.append("moves with reduced motion asked for: " + "; ".join(moving))
    if shots:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        tab.screenshot(path=os.path.join(SCREENSHOTS, f"{shots}-1280.png"), full_page=True)
    for width in NARROW:
        tab.set_viewport_size({"width": width, "height": 800})
        overflow = tab.evaluate(OVERFLOW)
        if overflow:
            problems.append(
                f"scrolls sideways at {width}px: {overflow['scrollWidth']}px wide; "
                + "; ".join(overflow["culprits"])
            )
        # Checked wide, axe sees no scrolling box; narrow, each must be reachable by keyboard.
        unreachable = tab.evaluate(SCROLLABLE)
        if unreachable:
            problems.append(
                f"at {width}px, scrollable boxes no keyboard can reach (axe "
                "scrollable-region-focusable): " + "; ".join(unreachable)
            )
        if shots and width == 320:
            tab.screenshot(path=os.path.join(SCREENSHOTS, f"{shots}-320.png"), full_page=True)
    tab.set_viewport_size(WIDE)
    if problems:
        pytest.fail(f"{where}:\n  " + "\n  ".join(problems), pytrace=False)


def test_screenshots_folder_is_ignored():
    root = os.path.dirname(os.path.dirname(SCREENSHOTS))
    with open(os.path.join(root, ".gitignore")) as ignore:
        assert re.search(r"^/?test-results/?$", ignore.read(), re.M)


# Issue 14: mfa. The second factor's pages and "Sign-in and security" are a signed-in person's own,
# with no authority in the URL: the matrix lists them as public pages that lead a signed-out
# visitor to the login page, so test_page, which opens public pages signed out, cannot open them.
# test_sign_in_and_security_pages opens each as a demo person who has just signed in (the changes
# ask for the password again after REAUTH_SECONDS).
ACCOUNT_PAGES = [
    "accounts:security",
    "accounts:change_email",
    "accounts:change_password",
    "accounts:confirm",
    "accounts:set_up",
    "accounts:recovery_codes",
    "accounts:offer",
]
OWED_PAGES = ["accounts:verify"]  # only while a session owes its code: opened after the password
NOT_PAGES |= {name: None for name in ACCOUNT_PAGES + OWED_PAGES}


def test_sign_in_and_security_pages(demo, browser, axe, live_server, request):
    from ..second_factor import app_if_needed

    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport=WIDE, reduced_motion="reduce"
    )
    tab = context.new_page()
    tab.a11y = A11yGuard(tab, axe)
    request.node._a11y_guard = tab.a11y
    try:
        app_if_needed("admin@bathnes.test")
        visit(tab, "/accounts/login/")
        tab.get_by_label("Email address").fill("admin@bathnes.test")
        tab.get_by_label("Password").fill(DEMO_PASSWORD)
        tab.get_by_role("main").get_by_role("button", name="Sign in").click()
        tab.a11y.wait()
        for name in OWED_PAGES:
            check_page(tab, reverse(name), f"{name} as admin@bathnes.test, before the code")
        tab.context.clear_cookies()
        sign_in(tab, "admin@bathnes.test", DEMO_PASSWORD)
        for name in ACCOUNT_PAGES:
            path = reverse(name)
            check_page(tab, path, f"{name} {path} as admin@bathnes.test")
    finally:
        context.close()


# issue 14: passkeys. The page that adds a passkey is one of the person's own, opened with the
# others above; the library's words for its script are a script, loaded by the passkey pages
# (tests/browser/test_passkeys.py, whose harness fails on a script that does not load).
ACCOUNT_PAGES.append("accounts:add_passkey")
NOT_PAGES |= {"accounts:add_passkey": None, "otp_webauthn:js-i18n-catalog": None}
