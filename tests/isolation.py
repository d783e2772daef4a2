"""The isolation harness: every URL pattern of the project, for every kind of visitor.

`URLS` says, for each named pattern, how to fill in its arguments and who may open it.
`walk_patterns()` reads the patterns from the resolver, so a new view is checked the day it is
written, and a pattern missing from `URLS` fails the suite until it is taught here.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import SCHOOL_ROLES, STAFF_ROLES, Invitation, Role
from assessments.models import Assignment, Cycle, Target

from .factories import MembershipFactory, UserFactory

PUBLIC = "public"
PLATFORM = "platform"
ADMIN_SITE = "admin-site"
ALL_ROLES = frozenset(Role)


@dataclass(frozen=True)
class Case:
    """How to reach one URL pattern and who may.

    `objects(world, owner)` returns the URL's object arguments, made for `owner` (the world's own
    authority, or the outsider authority when testing that its objects are a 404 here).
    `access` is PUBLIC, PLATFORM, ADMIN_SITE or the set of roles that may open the page.
    """

    access: object
    objects: Callable | None = None
    method: str = "get"
    ok: int = 200  # what an allowed visitor gets
    public_status: int = 200


def _membership(world, owner):
    with scopes_disabled():
        return {"membership_pk": MembershipFactory(authority=owner, role=Role.MENTOR).pk}


def _invitation(world, owner):
    with scopes_disabled():
        invitation = Invitation.objects.create(
            authority=owner,
            email=f"invitee-{Invitation.objects.count()}@example.org",
            role=Role.MENTOR,
            token_hash=UserFactory.build().email + str(timezone.now().timestamp()),
            expires_at=timezone.now() + timedelta(days=7),
        )
    return {"invitation_pk": invitation.pk}


def _school(world, owner):
    return {"school_pk": (world.school if owner == world.authority else world.outsider_school).pk}


def _area(world, owner):
    return {"area_pk": (world.area if owner == world.authority else world.outsider_area).pk}


def _school_import(world, owner):
    from schools.models import SchoolImport

    admin = world.people["authority_admin"] if owner == world.authority else world.outsider
    with scopes_disabled():
        school_import = SchoolImport.objects.create(
            authority=owner,
            uploaded_by=admin,
            file_name="gias.csv",
            sha256="0" * 64,
            rows=[],
            problems=[],
        )
    return {"import_pk": school_import.pk}


def _cycle_of(world, owner):
    return world.cycle if owner == world.authority else world.outsider_cycle


def _cycle(world, owner):
    return {"cycle_pk": _cycle_of(world, owner).pk}


def _element(world, owner):
    cycle = _cycle_of(world, owner)
    with scopes_disabled():
        return {"cycle_pk": cycle.pk, "element_pk": cycle.framework.elements.first().pk}


def _assignment(world, owner):
    cycle = _cycle_of(world, owner)
    with scopes_disabled():
        element = cycle.framework.elements.order_by("?").first()
        assignment = Assignment.objects.create(cycle=cycle, element=element, person=UserFactory())
    return {"cycle_pk": cycle.pk, "assignment_pk": assignment.pk}


def _target(world, owner):
    cycle = _cycle_of(world, owner)
    with scopes_disabled():
        target = Target.objects.create(
            cycle=cycle,
            element=cycle.framework.elements.first(),
            action="Act",
            lead="Lee",
            deadline=timezone.localdate(),
            success_criteria="Done",
        )
    return {"cycle_pk": cycle.pk, "target_pk": target.pk}


def _item(world, owner):
    from django.core.files.base import ContentFile

    from portfolios.models import EvidenceFile, EvidenceItem

    cycle = _cycle_of(world, owner)
    content = f"Evidence {timezone.now().timestamp()} for {cycle.pk}".encode()
    with scopes_disabled():
        stored = EvidenceFile(
            authority=cycle.authority,
            sha256=hashlib.sha256(content).hexdigest(),
            size=len(content),
            content_type="text/plain",
            extension="txt",
        )
        stored.file.save("x", ContentFile(content), save=True)
        item = EvidenceItem.objects.create(
            cycle=cycle,
            file=stored,
            original_name="notes.txt",
            title="Notes",
            added_by=world.people["school_coordinator"]
            if owner == world.authority
            else world.outsider,
        )
    return {"cycle_pk": cycle.pk, "item_pk": item.pk}


def _reported(world, owner):
    from moderation.models import Report

    cycle = _cycle_of(world, owner)
    with scopes_disabled():
        Report.objects.get_or_create(cycle=cycle)
    return {"cycle_pk": cycle.pk}


def _outbox_message(world, owner):
    from notifications.models import OutboxMessage

    with scopes_disabled():
        message = OutboxMessage.objects.create(
            authority=owner,
            key="cycle.submitted",
            to="someone@example.org",
            subject="Subject",
            body="Body",
            dedupe_key=f"isolation.{uuid.uuid4().hex}",
            state=OutboxMessage.State.FAILED,
        )
    return {"message_pk": message.pk}


def _email_kind(world, owner):
    # Templates are addressed by kind: every kind exists in every authority. The outsider's "object"
    # is a kind that does not exist, which must be a 404 like any other unknown object.
    return {"key": "cycle.registered" if owner == world.authority else "not.a.kind"}


def _award(world, owner):
    from awards.models import Award, Tier

    school = world.school if owner == world.authority else world.outsider_school
    with scopes_disabled():
        award = Award.objects.create(
            authority=owner,
            school=school,
            tier=Tier.QUALITY_MARK,
            awarded_on=date(2026, 7, 1),
            expires_on=date(2029, 7, 1),
        )
    return {"pk": award.pk}


def _school_award(world, owner):
    return {**_school(world, owner), **_award(world, owner)}


def _final_report(world, owner):
    from moderation.models import Report

    with scopes_disabled():
        report, _ = Report.objects.update_or_create(
            cycle=_cycle_of(world, owner), defaults={"finalised_at": timezone.now()}
        )
    return {"pk": report.pk}


def _submitted_cycle(world, owner):
    cycle = _cycle_of(world, owner)
    with scopes_disabled():
        Cycle.objects.filter(pk=cycle.pk).update(state=Cycle.State.SUBMITTED)
    return {"pk": cycle.pk}


def _decision(world, owner):
    from moderation.models import Decision, Outcome

    cycle = _cycle_of(world, owner)
    with scopes_disabled():
        decision = Decision.objects.filter(cycle=cycle).first() or Decision.objects.create(
            cycle=cycle,
            outcome=Outcome.DEFER,
            rationale="Gaps to close first.",
            votes={},
            recorded_by=cycle.mentor,
        )
    return {"pk": decision.pk}


def _render_job(world, owner):
    from django.core.files.base import ContentFile

    from reports.models import RenderJob

    award_pk = _award(world, owner)["pk"]
    with scopes_disabled():
        job = RenderJob(
            authority=owner,
            kind=RenderJob.Kind.CERTIFICATE,
            object_id=award_pk,
            input_hash=uuid.uuid4().hex,
            html="<p>Certificate</p>",
            state=RenderJob.State.DONE,
            pages=1,
        )
        job.file.save("certificate.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=True)
    return {"job_pk": job.pk}


def _published(world, owner):
    """Version 1 of the owner's list, published for the public pages to show."""
    from publishing.domain import publish

    with scopes_disabled():
        publish(owner, None)
    return {}


def _published_version(world, owner):
    return {**_published(world, owner), "version": 1}


def _framework(world, owner):
    return {"framework_pk": _cycle_of(world, owner).framework_id}


def _published_school(world, owner):
    from awards.models import Tier
    from publishing.models import Publication, PublishedSchool

    school = world.school if owner == world.authority else world.outsider_school
    with scopes_disabled():
        publication = Publication.objects.create(
            authority=owner, version=1, published_at=timezone.now(), content={}
        )
        PublishedSchool.objects.create(
            publication=publication,
            authority=owner,
            school=school,
            urn=school.urn,
            name=school.name,
            area="Bath",
            phase=school.phase,
            tier=Tier.QUALITY_MARK,
            awarded_on=date(2026, 7, 1),
            expires_on=date(2029, 7, 1),
        )
    return {"authority": owner.slug, "urn": school.urn}


ADMIN = frozenset({Role.AUTHORITY_ADMIN})
STAFF = frozenset(STAFF_ROLES)
CYCLE_READERS = STAFF | SCHOOL_ROLES
SCHOOL_LEADS = frozenset({Role.HEAD_TEACHER, Role.SCHOOL_COORDINATOR})
CHAIR_OR_ADMIN = frozenset({Role.PANEL_CHAIR, Role.AUTHORITY_ADMIN})

URLS = {
    "home": Case(PUBLIC),
    "healthz": Case(PUBLIC),
    "accounts:login": Case(PUBLIC),
    "accounts:logout": Case(PUBLIC, method="post", public_status=302),
    "accounts:password_reset": Case(PUBLIC),
    "accounts:password_reset_done": Case(PUBLIC),
    "accounts:password_reset_confirm": Case(
        PUBLIC, objects=lambda w, o: {"uidb64": "MQ", "token": "set-password"}
    ),
    "accounts:password_reset_complete": Case(PUBLIC),
    "accounts:accept_invitation": Case(
        PUBLIC, objects=lambda w, o: {"token": "not-a-real-token"}, public_status=410
    ),
    "platform_authorities": Case(PLATFORM),
    "directory:search": Case(PUBLIC),
    "directory:school": Case(PUBLIC, objects=_published_school),
    "authorities:dashboard": Case(ALL_ROLES),
    "authorities:settings": Case(ADMIN),
    "schools:list": Case(STAFF),
    "schools:create": Case(ADMIN),
    "schools:detail": Case(STAFF | SCHOOL_ROLES, objects=_school),
    "schools:edit": Case(ADMIN, objects=_school),
    "schools:areas": Case(ADMIN),
    "schools:area_create": Case(ADMIN),
    "schools:area_edit": Case(ADMIN, objects=_area),
    "schools:import": Case(ADMIN),
    "schools:import_preview": Case(ADMIN, objects=_school_import),
    "schools:import_apply": Case(ADMIN, objects=_school_import, method="post", ok=302),
    "people:list": Case(ADMIN),
    "people:invite": Case(ADMIN),
    "people:remove": Case(ADMIN, objects=_membership, method="post", ok=302),
    "people:revoke_invitation": Case(ADMIN, objects=_invitation, method="post", ok=302),
    "audit:log": Case(ADMIN),
    "assessments:cycles": Case(ALL_ROLES),
    "assessments:cycle_start": Case(ADMIN),
    "assessments:cycle": Case(CYCLE_READERS, objects=_cycle),
    "assessments:element": Case(CYCLE_READERS, objects=_element),
    "assessments:submit": Case(CYCLE_READERS, objects=_cycle, method="post", ok=302),
    "assessments:assignments": Case(SCHOOL_LEADS, objects=_cycle),
    "assessments:unassign": Case(SCHOOL_LEADS, objects=_assignment, method="post", ok=302),
    "assessments:review": Case(frozenset({Role.MENTOR, Role.AUTHORITY_ADMIN}), objects=_cycle),
    "assessments:return": Case(frozenset({Role.MENTOR}), objects=_cycle, method="post", ok=302),
    "assessments:validate": Case(frozenset({Role.MENTOR}), objects=_cycle, method="post", ok=302),
    "assessments:compare": Case(CYCLE_READERS, objects=_cycle),
    "assessments:plan": Case(CYCLE_READERS, objects=_cycle),
    "assessments:target_create": Case(SCHOOL_LEADS | {Role.MENTOR}, objects=_cycle),
    "assessments:target_edit": Case(SCHOOL_LEADS | {Role.MENTOR}, objects=_target),
    "assessments:frameworks": Case(ADMIN),
    "assessments:framework_current": Case(ADMIN, objects=_framework, method="post", ok=302),
    "portfolios:portfolio": Case(CYCLE_READERS, objects=_cycle),
    "portfolios:upload": Case(CYCLE_READERS, objects=_cycle, method="post", ok=302),
    "portfolios:add_link": Case(SCHOOL_ROLES, objects=_cycle),
    "portfolios:item": Case(CYCLE_READERS, objects=_item),
    "portfolios:item_delete": Case(SCHOOL_LEADS, objects=_item, method="post", ok=302),
    "portfolios:comment": Case(SCHOOL_ROLES | {Role.MENTOR}, objects=_item, method="post", ok=302),
    "portfolios:download": Case(CYCLE_READERS, objects=_item),
    "portfolios:submit": Case(CYCLE_READERS, objects=_cycle, method="post", ok=302),
    "moderation:queue": Case(CHAIR_OR_ADMIN),
    "moderation:conflicts": Case(STAFF),
    "moderation:desk_check": Case(CHAIR_OR_ADMIN, objects=_cycle, method="post", ok=302),
    "moderation:visit": Case(CYCLE_READERS, objects=_cycle),
    "moderation:report": Case(STAFF, objects=_reported),
    "moderation:sign": Case(frozenset({Role.MODERATOR}), objects=_cycle, method="post", ok=302),
    "moderation:panel": Case(STAFF, objects=_cycle),
    "moderation:panel_action": Case(
        STAFF, objects=lambda w, o: {**_cycle(w, o), "action": "open"}, method="post", ok=302
    ),
    "moderation:logo_svg": Case(CYCLE_READERS, objects=_school_award),
    "moderation:logo_png": Case(CYCLE_READERS, objects=_school_award),
    "notifications:outbox": Case(ADMIN),
    "notifications:outbox_retry": Case(ADMIN, objects=_outbox_message, method="post", ok=302),
    "notifications:templates": Case(ADMIN),
    "notifications:template_edit": Case(ADMIN, objects=_email_kind),
    "notifications:template_reset": Case(ADMIN, objects=_email_kind, method="post", ok=302),
    "feedback:admin": Case(ADMIN),
    "feedback:ratings_csv": Case(ADMIN),
    "feedback:signups_csv": Case(ADMIN),
    # The public forms' targets: a bare POST names no page to rate, which only a forgery does.
    "feedback:rate": Case(PUBLIC, method="post", public_status=400),
    "feedback:sign_up": Case(PUBLIC, method="post", public_status=400),
    "reports:certificate": Case(CYCLE_READERS, objects=_award, method="post", ok=302),
    "reports:report": Case(CYCLE_READERS, objects=_final_report, method="post", ok=302),
    "reports:summary": Case(CYCLE_READERS, objects=_submitted_cycle, method="post", ok=302),
    "reports:letter": Case(CYCLE_READERS, objects=_decision, method="post", ok=302),
    "reports:job": Case(CYCLE_READERS, objects=_render_job),
    "reports:download": Case(CYCLE_READERS, objects=_render_job),
    "publishing:preview": Case(ADMIN),
    # Posted without the fingerprint of a confirmation page, so an admin is asked to confirm again.
    "publishing:publish": Case(ADMIN, method="post", ok=409),
    "publishing:history": Case(ADMIN),
    "publishing:awards": Case(PUBLIC, objects=_published),
    "publishing:awards_json": Case(PUBLIC, objects=_published),
    "publishing:awards_csv": Case(PUBLIC, objects=_published),
    "publishing:version": Case(PUBLIC, objects=_published_version),
    "publishing:version_json": Case(PUBLIC, objects=_published_version),
    "publishing:version_csv": Case(PUBLIC, objects=_published_version),
}

# Arguments for the Django admin's own patterns; every one of them is for platform admins only.
ADMIN_SITE_ARGS = {
    "id": "1",
    "app_label": "accounts",
    "model_name": "user",
    "object_id": "1",
    "content_type_id": "1",
    "url": "x",
}
ADMIN_SITE_OPEN = {"admin:login", "admin:logout"}


def walk_patterns(patterns=None, namespace="", params=frozenset()):
    """(qualified name, URLPattern, names of all its arguments) for every pattern the resolver knows."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        found = params | _params(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            yield from walk_patterns(
                entry.url_patterns, f"{namespace}{ns}:" if ns else namespace, found
            )
        elif isinstance(entry, URLPattern):
            yield (f"{namespace}{entry.name}" if entry.name else None), entry, found


def _params(pattern):
    return frozenset(getattr(pattern, "converters", {}) or pattern.regex.groupindex)


def project_patterns():
    """Named patterns outside the Django admin: {name: argument names}, and the admin's apart."""
    own, admin = {}, {}
    for name, pattern, params in walk_patterns():
        if name is None or name.startswith("admin:"):
            admin[name or str(pattern.pattern)] = params
        else:
            own[name] = params
    return own, admin


def url_for(name, case, world, owner, authority=None):
    kwargs = dict(case.objects(world, owner)) if case.objects else {}
    if "authority_slug" in project_patterns()[0][name]:
        kwargs["authority_slug"] = (authority or world.authority).slug
    return reverse(name, kwargs=kwargs)


def request(client, case, url):
    return getattr(client, case.method)(url)


def check(client_factory, name, case, world, staff_user) -> list[str]:
    """Every visitor against one URL; returns what went wrong, empty when all is as it should be."""
    problems = []

    def expect(who, url, status, response, redirect_to_login=False):
        if response.status_code != status:
            problems.append(
                f"{name} {case.method.upper()} {url} as {who}: {response.status_code}, expected {status}"
            )
        elif redirect_to_login and not response["Location"].startswith(reverse("accounts:login")):
            problems.append(
                f"{name} {url} as {who}: redirected to {response['Location']}, expected the login page"
            )

    anonymous = client_factory()
    if case.access == PUBLIC:
        url = url_for(name, case, world, world.authority)
        expect("signed out", url, case.public_status, request(anonymous, case, url))
        return problems

    url = url_for(name, case, world, world.authority)
    expect("signed out", url, 302, request(anonymous, case, url), redirect_to_login=True)

    if case.access == PLATFORM:
        staff = client_factory(staff_user)
        expect("platform admin", url, case.ok, request(staff, case, url))
        for role, user in world.people.items():
            expect(role, url, 403, request(client_factory(user), case, url))
        return problems

    # The outsider authority's admin, and a platform admin who is no member: the authority does not exist for them.
    for who, user in (("outsider admin", world.outsider), ("platform admin", staff_user)):
        url = url_for(name, case, world, world.authority)
        expect(who, url, 404, request(client_factory(user), case, url))
    for role, user in world.people.items():
        url = url_for(name, case, world, world.authority)
        allowed = role in case.access
        expect(role, url, case.ok if allowed else 403, request(client_factory(user), case, url))
        if allowed and case.objects:
            # Own authority in the URL, the outsider's object in the arguments.
            foreign = url_for(
                name, case, world, world.outsider_authority, authority=world.authority
            )
            expect(
                f"{role} (outsider's object)",
                foreign,
                404,
                request(client_factory(user), case, foreign),
            )
    return problems
