"""The isolation harness: every URL pattern of the project, for every kind of visitor.

`URLS` says, for each named pattern, how to fill in its arguments, the state the world's cycle is
brought to first, and who may open it. `walk_patterns()` reads the patterns from the resolver, so
a new view is checked the day it is written, and a pattern missing from `URLS` fails the suite
until it is taught here.

The visitors are signed out, the outsider authority's admin, a platform admin who is no member,
and every person of the world: each role at the world's school or on its cycle (its mentor, its
two moderators, the panel), and people of the same authority with no part in it (the other
school's coordinator, a mentor and a moderator not assigned to it, a panel member with a
declared conflict). Who may see the world's cycle, and so its school, is written here from
DOMAIN.md's "who sees what", not read from the workflow: a visitor who may not see it gets a 404,
as for another authority's object; one who may see it but not do this gets `denied`.

A POST changes data or it does not: each POST case names the data it changes (`changes`), and
the harness asserts that an allowed visitor changed it and a refused one did not. Each request
runs in a transaction that is rolled back, so every visitor meets the same world.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from accounts.models import Invitation, Membership, Role
from assessments.models import Assignment, Cycle, Target

from .factories import MembershipFactory, UserFactory
from .journey import advance

PUBLIC = "public"
PLATFORM = "platform"
ADMIN_SITE = "admin-site"
State = Cycle.State
ORDER = list(State)


@dataclass(frozen=True)
class Case:
    """How to reach one URL pattern and who may.

    `objects(world, owner)` returns the URL's object arguments, made for `owner` (the world's own
    authority, or the outsider authority when testing that its objects are a 404 here).
    `access` is PUBLIC, PLATFORM, or the set of the world's people (keys of `people`) who may
    open the page. `sees` is who may see the page's object at all (default: everyone of the
    authority); everyone else gets a 404. The rest of the authority's people get `denied`.
    """

    access: object
    objects: Callable | None = None
    method: str = "get"
    ok: int = 200  # what an allowed visitor gets
    public_status: int = 200
    state: State = State.REGISTERED  # the world's cycle is brought to this state first
    sees: frozenset | None = None
    denied: int = 403
    data: Callable | None = None  # (world, kwargs) -> what a POST sends
    changes: Callable | None = None  # (world, kwargs) -> the data a POST changes, read afresh
    kind: str = Cycle.Kind.INITIAL  # the world's cycle is made this kind of cycle first


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
            lead_note="Lee",
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


def _other_framework(world, owner):
    """A framework version that is not the current one, for an admin to make current."""
    from assessments.domain import import_framework

    content = f"code: other-{owner.slug}\nname: Other\nelements:\n  - code: a\n    title: A\n"
    content += "    descriptors: [one]\n"
    with scope(authority=owner):
        return {
            "framework_pk": import_framework(authority=owner, by=None, content=content.encode()).pk
        }


def _unsigned_report(world, owner):
    """The draft report with no signature yet, so either moderator's signature changes it."""
    from moderation.models import Report

    cycle = _cycle_of(world, owner)
    with scopes_disabled():
        Report.objects.get_or_create(cycle=cycle)[0].signed_by.clear()
    return {"cycle_pk": cycle.pk}


def _reviewed(world, owner):
    """The submitted self-review with every element reviewed, ready to validate."""
    from .assessment_helpers import review_all

    if owner == world.authority:
        review_all(world)
    return _cycle(world, owner)


def _email_template(world, owner):
    from notifications.models import EmailTemplate

    key = _email_kind(world, owner)
    if owner == world.authority:
        with scopes_disabled():
            EmailTemplate.objects.create(
                authority=owner, key=key["key"], subject="Registered", body="Hello {{ url }}"
            )
    return key


# The world's people (tests/conftest.py), by what they are to its cycle.
LEADS = frozenset({"school_coordinator", "head_teacher"})
SCHOOL = LEADS | {"school_contributor"}
MODERATORS = frozenset({"moderator", "moderator2"})
PANEL = frozenset({"panel_member", "panel_chair", "panel2", "panel3", "panel4"})
ADMIN = frozenset({"authority_admin"})
DESK = frozenset({"panel_chair", "authority_admin"})
OTHERS = frozenset(
    {"other_school_coordinator", "other_mentor", "other_moderator", "conflicted_panel_member"}
)
STAFF = (
    frozenset({"mentor", "authority_admin"})
    | MODERATORS
    | PANEL
    | OTHERS - {"other_school_coordinator"}
)
EVERYONE = SCHOOL | STAFF | {"other_school_coordinator"}


def sees_cycle(state) -> frozenset:
    """Who may see the world's cycle in `state`: its school's staff, its mentor and the admin
    always; its two moderators from the visit's planning; the panel (without a conflict) at the
    desk check and from the signed report on, and the chair also between, as they plan the visit."""
    seen = SCHOOL | {"mentor", "authority_admin"}
    at = ORDER.index(state)
    if at >= ORDER.index(State.VISIT_PLANNED):
        seen |= MODERATORS
    if state == State.PORTFOLIO_SUBMITTED or at >= ORDER.index(State.REPORTED):
        seen |= PANEL
    elif at > ORDER.index(State.PORTFOLIO_SUBMITTED):
        seen |= {"panel_chair"}
    return seen


def on_cycle(access=None, state=State.REGISTERED, **options) -> Case:
    """A page of the world's cycle: those who may see it get `access` (all of them by default)."""
    seen = sees_cycle(state)
    return Case(seen if access is None else access, state=state, sees=seen, **options)


def _state(world, kwargs):
    with scopes_disabled():
        return Cycle.objects.get(pk=kwargs["cycle_pk"]).state


def _count(model, **lookup):
    def read(world, kwargs):
        with scopes_disabled():
            return model.objects.filter(
                **{field: kwargs[arg] for field, arg in lookup.items()}
            ).count()

    return read


def _evidence(world, kwargs):
    from portfolios.models import EvidenceItem

    return _count(EvidenceItem, cycle="cycle_pk")(world, kwargs)


def _comments(world, kwargs):
    from portfolios.models import ItemComment

    return _count(ItemComment, item="item_pk")(world, kwargs)


def _items(world, kwargs):
    from portfolios.models import EvidenceItem

    return _count(EvidenceItem, pk="item_pk")(world, kwargs)


def _signatures(world, kwargs):
    from moderation.models import Report

    with scopes_disabled():
        return sorted(
            Report.objects.get(cycle=kwargs["cycle_pk"]).signed_by.values_list("pk", flat=True)
        )


def _render_jobs(world, kwargs):
    from reports.models import RenderJob

    with scopes_disabled():
        return RenderJob.objects.count()


def _applied(world, kwargs):
    from schools.models import SchoolImport

    with scopes_disabled():
        return SchoolImport.objects.get(pk=kwargs["import_pk"]).applied_at


def _import_plan(world, kwargs):
    from schools.gias import plan

    with scope(authority=world.authority):
        return {"plan": plan([]).digest}


def _membership_exists(world, kwargs):
    with scopes_disabled():
        return Membership.objects.filter(pk=kwargs["membership_pk"]).exists()


def _invitation_revoked(world, kwargs):
    with scopes_disabled():
        return Invitation.objects.get(pk=kwargs["invitation_pk"]).revoked_at


def _current(world, kwargs):
    from assessments.models import FrameworkVersion

    with scopes_disabled():
        return FrameworkVersion.objects.get(pk=kwargs["framework_pk"]).is_current


def _message_state(world, kwargs):
    from notifications.models import OutboxMessage

    with scopes_disabled():
        return OutboxMessage.objects.get(pk=kwargs["message_pk"]).state


def _templates(world, kwargs):
    from notifications.models import EmailTemplate

    with scopes_disabled():
        return EmailTemplate.objects.filter(key=kwargs["key"]).count()


def _upload(world, kwargs):
    return {
        "files": [
            SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
        ]
    }


# B1, the annual review: the world's school's cycle made a Centre of Excellence review.
REVIEW_ORDER = [
    State.REGISTERED,
    State.ANNUAL_UPDATE,
    State.UPDATE_SUBMITTED,
    State.VISIT_PLANNED,
    State.RATIFIED,
    State.WITH_PANEL,
    State.DECIDED,
]


def sees_review(state) -> frozenset:
    """Who may see the world's review in `state`: its school's staff, its mentor and the admin
    always; the chair from the update's submission, as they plan the visit; its one visiting
    moderator from the visit's planning; the panel (without a conflict) once it is ratified."""
    seen = SCHOOL | {"mentor", "authority_admin"}
    at = REVIEW_ORDER.index(state)
    if at >= REVIEW_ORDER.index(State.UPDATE_SUBMITTED):
        seen |= {"panel_chair"}
    if at >= REVIEW_ORDER.index(State.VISIT_PLANNED):
        seen |= {"moderator"}
    if at >= REVIEW_ORDER.index(State.RATIFIED):
        seen |= PANEL
    return seen


def on_review(access=None, state=State.REGISTERED, **options) -> Case:
    seen = sees_review(state)
    return Case(
        seen if access is None else access,
        state=state,
        sees=seen,
        kind=Cycle.Kind.CENTRE_OF_EXCELLENCE,
        **options,
    )


def _review(world, owner):
    """The owner's cycle as a review (the world's is one already), so a view that drops its scope
    would find the outsider's review, not an assessment it has no page for."""
    with scopes_disabled():
        Cycle.objects.filter(pk=_cycle_of(world, owner).pk).update(
            kind=Cycle.Kind.CENTRE_OF_EXCELLENCE
        )
    return _cycle(world, owner)


def _ratification(world, owner):
    from reviews.models import Ratification

    with scopes_disabled():
        Ratification.objects.get_or_create(cycle=_cycle_of(world, owner))
    return _review(world, owner)


def _review_element(world, owner):
    return {**_element(world, owner), **_review(world, owner)}


def _priority(world, owner):
    from reviews.models import Priority, Ratification

    cycle = _cycle_of(world, owner)
    _review(world, owner)
    with scopes_disabled():
        ratification, _ = Ratification.objects.get_or_create(cycle=cycle)
        priority = Priority.objects.create(
            ratification=ratification,
            element=cycle.framework.elements.first(),
            action="Share",
            lead="Lee",
            by_when=timezone.localdate(),
        )
    return {"cycle_pk": cycle.pk, "priority_pk": priority.pk}


def _priorities(world, kwargs):
    from reviews.models import Priority

    with scopes_disabled():
        return Priority.objects.filter(ratification__cycle=kwargs["cycle_pk"]).count()


def _new_priority(world, kwargs):
    with scopes_disabled():
        element = Cycle.objects.get(pk=kwargs["cycle_pk"]).framework.elements.first()
    return {
        "element": element.pk,
        "action": "Open the library to the cluster.",
        "lead": "Lee",
        "by_when": (timezone.localdate() + timedelta(days=30)).isoformat(),
    }


def _summary(world, owner):
    return {"pk": _cycle_of(world, owner).pk}


def _plaque_dates(world, kwargs):
    return {"ordered_on": "2026-07-01", "sent_on": ""}


def _plaque(world, kwargs):
    from awards.models import Plaque

    with scopes_disabled():
        return list(Plaque.objects.filter(award=kwargs["pk"]).values_list("ordered_on", "sent_on"))


# Clusters (issue 12, part A)


def _cluster_of(world, owner):
    from clusters.models import Cluster

    school = world.school if owner == world.authority else world.outsider_school
    with scopes_disabled():
        return Cluster.objects.get_or_create(
            authority=owner, lead_school=school, defaults={"name": f"{school.name} cluster"}
        )[0]


def _cluster(world, owner):
    return {"cluster_pk": _cluster_of(world, owner).pk}


def _cluster_partner(world, owner):
    from clusters.models import Partner

    cluster = _cluster_of(world, owner)
    with scopes_disabled():
        partner = Partner.objects.create(cluster=cluster, name="Longfields Primary School")
    return {"cluster_pk": cluster.pk, "partner_pk": partner.pk}


def _cluster_activity(world, owner):
    from clusters.models import Activity

    cluster = _cluster_of(world, owner)
    with scopes_disabled():
        activity = Activity.objects.create(
            cluster=cluster,
            kind=Activity.Kind.COLLABORATION,
            date=date(2026, 5, 1),
            title="Lesson study",
            description="Planned together.",
            recorded_by=cluster.lead_school.authority.memberships.first().user
            if owner == world.authority
            else world.outsider,
        )
    return {"cluster_pk": cluster.pk, "activity_pk": activity.pk}


def _activity_data(world, kwargs):
    return {
        "kind": "meeting",
        "date": "2026-06-01",
        "title": "Summer cluster meeting",
        "description": "Transition plans.",
        "attendance": "7",
    }


def _clusters_led(world, kwargs):
    from clusters.models import Cluster

    with scopes_disabled():
        return Cluster.objects.filter(lead_school=kwargs["school_pk"]).count()


def _partners(world, kwargs):
    from clusters.models import Partner

    with scopes_disabled():
        return list(
            Partner.objects.filter(cluster=kwargs["cluster_pk"]).values_list("pk", "removed_at")
        )


def _activities(world, kwargs):
    from clusters.models import Activity

    with scopes_disabled():
        return list(
            Activity.objects.filter(cluster=kwargs["cluster_pk"]).values_list("pk", "title")
        )


# Who sees the lead school's cluster: its staff, its mentor and the admin; its leads and the admin
# run it.
CLUSTER_SEES = SCHOOL | {"mentor", "authority_admin"}
CLUSTER_RUN = LEADS | ADMIN


# B2, Flagship: the world's school also has a Flagship review, made here in the state a page is
# for (tests/journey.py brings only the world's assessment through its states), with a visit by
# the world's two moderators from VISIT_PLANNED on, and a research project with a key step and an
# output.
def _flagship_review(world, owner, state):
    from moderation.models import Visit

    base = _cycle_of(world, owner)
    own = owner == world.authority
    with scopes_disabled():
        review = Cycle.objects.create(
            authority=owner,
            school=base.school,
            kind=Cycle.Kind.FLAGSHIP,
            framework_id=base.framework_id,
            mentor_id=base.mentor_id,
            state=state,
        )
        if state == State.VISIT_PLANNED:
            visit = Visit.objects.create(
                cycle=review,
                date=date.today(),
                planned_by=world.people["panel_chair"] if own else world.outsider,
            )
            if own:
                visit.moderators.set([world.people["moderator"], world.people["moderator2"]])
    return review


def _research_in(state):
    def objects(world, owner):
        from flagship.models import KeyStep, ResearchOutput, ResearchProject

        review = _flagship_review(world, owner, state)
        with scopes_disabled():
            project = ResearchProject.objects.create(
                authority=owner,
                school=review.school,
                question="Does a shared transition week help pupils settle?",
                rationale="Pupils moving up worry about the new school.",
                started_on=date(2025, 9, 1),
            )
            step = KeyStep.objects.create(
                project=project,
                description="Survey pupils",
                owner="Head of Year 7",
                starts_on=date(2025, 9, 1),
                due_on=date(2025, 12, 1),
            )
            output = ResearchOutput.objects.create(
                project=project,
                title="Transition findings",
                kind=ResearchOutput.Kind.ARTICLE,
                published_in="IQM newsletter",
                year=2026,
            )
        return {"school_pk": review.school_id, "step_pk": step.pk, "output_pk": output.pk}

    return objects


def _school_research(state):
    read = _research_in(state)
    return lambda world, owner: {"school_pk": read(world, owner)["school_pk"]}


def _research_step(world, owner):
    found = _research_in(State.ANNUAL_UPDATE)(world, owner)
    return {"school_pk": found["school_pk"], "step_pk": found["step_pk"]}


def _research_output(world, owner):
    found = _research_in(State.ANNUAL_UPDATE)(world, owner)
    return {"school_pk": found["school_pk"], "output_pk": found["output_pk"]}


def _count_of(model_name, **lookup):
    from flagship import models

    return _count(getattr(models, model_name), **lookup)


def _criteria_in(state):
    return lambda world, owner: {"cycle_pk": _flagship_review(world, owner, state).pk}


def _project_ended(world, kwargs):
    from flagship.models import ResearchProject

    with scopes_disabled():
        return ResearchProject.objects.get(school=kwargs["school_pk"]).ended_on


def _criteria_checks(world, kwargs):
    from flagship.models import CriterionCheck

    with scopes_disabled():
        return sorted(
            CriterionCheck.objects.filter(cycle=kwargs["cycle_pk"]).values_list(
                "key", "evidence", "verdict"
            )
        )


# Who may see the Flagship review (and so read the school's research): in its annual update, the
# school, its mentor and the admin; with its visit planned, also the two moderators and the chair.
FLAGSHIP_UPDATE = SCHOOL | {"mentor", "authority_admin"}
FLAGSHIP_VISIT = FLAGSHIP_UPDATE | MODERATORS | {"panel_chair"}


def _flagship_edit(objects, **options):
    """A change to the research project while the review is in its annual update: the leads."""
    return Case(LEADS, objects=objects, sees=FLAGSHIP_UPDATE, **options)


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
    "dashboard": Case(EVERYONE),
    "authorities:settings": Case(ADMIN),
    "schools:list": Case(ADMIN),
    # The school picker's suggestions: the authority's staff, who may each declare a conflict
    # with any of its schools (moderation:conflicts); school staff are refused (403).
    "schools:suggestions": Case(STAFF),
    "schools:create": Case(ADMIN),
    # The school's page: whoever may see its cycle (so not the other school's staff).
    "schools:detail": on_cycle(objects=_school),
    "schools:edit": Case(ADMIN, objects=_school),
    "schools:areas": Case(ADMIN),
    "schools:area_create": Case(ADMIN),
    "schools:area_edit": Case(ADMIN, objects=_area),
    "schools:import": Case(ADMIN),
    "schools:import_preview": Case(ADMIN, objects=_school_import),
    "schools:import_apply": Case(
        ADMIN, objects=_school_import, method="post", ok=302, data=_import_plan, changes=_applied
    ),
    "people:list": Case(ADMIN),
    "people:invite": Case(ADMIN),
    "people:remove": Case(
        ADMIN, objects=_membership, method="post", ok=302, changes=_membership_exists
    ),
    "people:revoke_invitation": Case(
        ADMIN, objects=_invitation, method="post", ok=302, changes=_invitation_revoked
    ),
    "audit:log": Case(ADMIN),
    "audit:person_suggestions": Case(ADMIN),
    "assessments:cycles": Case(EVERYONE),
    "assessments:cycle_start": Case(ADMIN),
    "assessments:cycle": on_cycle(objects=_cycle),
    "assessments:element": on_cycle(objects=_element),
    "assessments:submit": on_cycle(
        LEADS,
        objects=_cycle,
        state=State.SELF_REVIEW,
        method="post",
        ok=302,
        denied=302,
        changes=_state,
    ),
    "assessments:assignments": on_cycle(LEADS, objects=_cycle),
    "assessments:unassign": on_cycle(
        LEADS,
        objects=_assignment,
        method="post",
        ok=302,
        denied=302,
        changes=_count(Assignment, pk="assignment_pk"),
    ),
    # The mentor's ratings stay private until validation: the mentor's page and the comparison.
    "assessments:review": on_cycle(
        {"mentor", "authority_admin"}, objects=_cycle, state=State.SUBMITTED
    ),
    "assessments:return": on_cycle(
        {"mentor"},
        objects=_cycle,
        state=State.SUBMITTED,
        method="post",
        ok=302,
        denied=302,
        data=lambda w, k: {"comment": "More evidence, please."},
        changes=_state,
    ),
    "assessments:validate": on_cycle(
        {"mentor"},
        objects=_reviewed,
        state=State.SUBMITTED,
        method="post",
        ok=302,
        denied=302,
        changes=_state,
    ),
    "assessments:compare": on_cycle(
        {"mentor", "authority_admin"}, objects=_cycle, state=State.SUBMITTED
    ),
    "assessments:plan": on_cycle(objects=_cycle),
    "assessments:target_create": on_cycle(LEADS | {"mentor"}, objects=_cycle),
    "assessments:target_edit": on_cycle(LEADS | {"mentor"}, objects=_target),
    "assessments:frameworks": Case(ADMIN),
    "assessments:framework_current": Case(
        ADMIN, objects=_other_framework, method="post", ok=302, changes=_current
    ),
    "portfolios:portfolio": on_cycle(objects=_cycle),
    "portfolios:upload": on_cycle(
        SCHOOL,
        objects=_cycle,
        method="post",
        ok=302,
        denied=302,
        data=_upload,
        changes=_evidence,
    ),
    "portfolios:add_link": on_cycle(SCHOOL, objects=_cycle),
    "portfolios:item": on_cycle(objects=_item),
    # The coordinator added it: they and the head teacher may remove it, not the contributor.
    "portfolios:item_delete": on_cycle(
        LEADS, objects=_item, method="post", ok=302, denied=403, changes=_items
    ),
    "portfolios:comment": on_cycle(
        SCHOOL | {"mentor"},
        objects=_item,
        method="post",
        ok=302,
        data=lambda w, k: {"body": "Seen."},
        changes=_comments,
    ),
    "portfolios:download": on_cycle(objects=_item),
    "portfolios:submit": on_cycle(
        LEADS,
        objects=_cycle,
        state=State.VALIDATED,
        method="post",
        ok=302,
        denied=302,
        changes=_state,
    ),
    "moderation:queue": Case(DESK),
    "moderation:conflicts": Case(STAFF),
    "moderation:desk_check": on_cycle(
        DESK,
        objects=_cycle,
        state=State.PORTFOLIO_SUBMITTED,
        method="post",
        ok=302,
        denied=302,
        data=lambda w, k: {"decision": "accept"},
        changes=_state,
    ),
    "moderation:visit": on_cycle(objects=_cycle, state=State.READY_FOR_VISIT),
    # A draft report: the two moderators and the admin only.
    "moderation:report": on_cycle(MODERATORS | ADMIN, objects=_reported, state=State.VISIT_PLANNED),
    "moderation:sign": on_cycle(
        MODERATORS,
        objects=_unsigned_report,
        state=State.VISIT_PLANNED,
        method="post",
        ok=302,
        denied=302,
        changes=_signatures,
    ),
    # The panel's page: the panel, the visiting moderators (who may speak) and the admin.
    "moderation:panel": on_cycle(
        PANEL | MODERATORS | ADMIN, objects=_cycle, state=State.WITH_PANEL
    ),
    "moderation:panel_action": on_cycle(
        {"panel_chair"},
        objects=lambda w, o: {**_cycle(w, o), "action": "open"},
        state=State.REPORTED,
        method="post",
        ok=302,
        denied=302,
        changes=_state,
    ),
    "awards:logo_svg": on_cycle(objects=_school_award),
    "awards:logo_png": on_cycle(objects=_school_award),
    "notifications:outbox": Case(ADMIN),
    "notifications:outbox_retry": Case(
        ADMIN, objects=_outbox_message, method="post", ok=302, changes=_message_state
    ),
    "notifications:templates": Case(ADMIN),
    "notifications:template_edit": Case(ADMIN, objects=_email_kind),
    "notifications:template_reset": Case(
        ADMIN, objects=_email_template, method="post", ok=302, changes=_templates
    ),
    "feedback:admin": Case(ADMIN),
    "feedback:ratings_csv": Case(ADMIN),
    "feedback:signups_csv": Case(ADMIN),
    # The public forms' targets: a bare POST names no page to rate, which only a forgery does.
    "feedback:rate": Case(PUBLIC, method="post", public_status=400),
    "feedback:sign_up": Case(PUBLIC, method="post", public_status=400),
    "reports:certificate": on_cycle(objects=_award, method="post", ok=302, changes=_render_jobs),
    "reports:report": on_cycle(
        objects=_final_report, state=State.REPORTED, method="post", ok=302, changes=_render_jobs
    ),
    "reports:summary": on_cycle(
        objects=_summary, state=State.SUBMITTED, method="post", ok=302, changes=_render_jobs
    ),
    "reports:letter": on_cycle(
        objects=_decision, state=State.DECIDED, method="post", ok=302, changes=_render_jobs
    ),
    "reports:job": on_cycle(objects=_render_job),
    "reports:download": on_cycle(objects=_render_job),
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
    # Part E, the plaque: the authority admin's pages; the artwork is no one else's to see.
    "awards:plaques": Case(ADMIN),
    "awards:plaque": Case(ADMIN, objects=_award),
    "awards:plaque_record": Case(
        ADMIN, objects=_award, method="post", ok=302, data=_plaque_dates, changes=_plaque
    ),
    "reports:plaque": Case(
        ADMIN, objects=_award, sees=ADMIN, method="post", ok=302, changes=_render_jobs
    ),
    # Part F, the authority's overview: its admin and its panel chair (accounts.roles). A figure is
    # named, not owned: the outsider's "object" is a name that is no figure, a 404 like any other.
    "overview:page": Case(DESK),
    "overview:csv": Case(
        DESK,
        objects=lambda w, o: {"figure": "awards-by-area" if o == w.authority else "pupils"},
    ),
    # Clusters (issue 12, part A).
    "clusters:start": Case(
        CLUSTER_RUN,
        objects=_school,
        sees=CLUSTER_SEES,
        method="post",
        ok=302,
        data=lambda w, k: {"name": "Chandag cluster"},
        changes=_clusters_led,
    ),
    "clusters:detail": Case(CLUSTER_SEES, objects=_cluster, sees=CLUSTER_SEES),
    "clusters:partner_add": Case(
        CLUSTER_RUN,
        objects=_cluster,
        sees=CLUSTER_SEES,
        method="post",
        ok=302,
        data=lambda w, k: {"name": "Longfields Primary School"},
        changes=_partners,
    ),
    "clusters:partner_remove": Case(
        CLUSTER_RUN,
        objects=_cluster_partner,
        sees=CLUSTER_SEES,
        method="post",
        ok=302,
        changes=_partners,
    ),
    "clusters:activity_create": Case(
        CLUSTER_RUN,
        objects=_cluster,
        sees=CLUSTER_SEES,
        method="post",
        ok=302,
        data=_activity_data,
        changes=_activities,
    ),
    "clusters:activity_edit": Case(
        CLUSTER_RUN,
        objects=_cluster_activity,
        sees=CLUSTER_SEES,
        method="post",
        ok=302,
        data=_activity_data,
        changes=_activities,
    ),
    # B2, Flagship: the research project and the nine criteria.
    "flagship:research": Case(
        FLAGSHIP_VISIT, objects=_school_research(State.VISIT_PLANNED), sees=FLAGSHIP_VISIT
    ),
    "flagship:project": _flagship_edit(_school_research(State.ANNUAL_UPDATE)),
    "flagship:end": _flagship_edit(
        _school_research(State.ANNUAL_UPDATE),
        method="post",
        ok=302,
        data=lambda w, k: {"conclusion": "They settle faster."},
        changes=_project_ended,
    ),
    "flagship:step_create": _flagship_edit(_school_research(State.ANNUAL_UPDATE)),
    "flagship:step_edit": _flagship_edit(_research_step),
    "flagship:step_remove": _flagship_edit(
        _research_step, method="post", ok=302, changes=_count_of("KeyStep", pk="step_pk")
    ),
    "flagship:output_create": _flagship_edit(_school_research(State.ANNUAL_UPDATE)),
    "flagship:output_edit": _flagship_edit(_research_output),
    "flagship:output_remove": _flagship_edit(
        _research_output, method="post", ok=302, changes=_count_of("ResearchOutput", pk="output_pk")
    ),
    "flagship:criteria": Case(
        FLAGSHIP_VISIT, objects=_criteria_in(State.VISIT_PLANNED), sees=FLAGSHIP_VISIT
    ),
    "flagship:criteria_evidence": Case(
        LEADS,
        objects=_criteria_in(State.ANNUAL_UPDATE),
        sees=FLAGSHIP_UPDATE,
        method="post",
        ok=302,
        data=lambda w, k: {"assessments": "Assessed in 2014 and 2017."},
        changes=_criteria_checks,
    ),
    "flagship:criteria_confirm": Case(
        MODERATORS,
        objects=_criteria_in(State.VISIT_PLANNED),
        sees=FLAGSHIP_VISIT,
        method="post",
        ok=302,
        data=lambda w, k: {"assessments_verdict": "confirmed"},
        changes=_criteria_checks,
    ),
    # B1, the annual review (reviews): the update is the review's page, seen by all who see it.
    "reviews:update": on_review(objects=_review),
    "reviews:update_element": on_review(objects=_review_element),
    "reviews:submit": on_review(
        LEADS,
        objects=_review,
        state=State.ANNUAL_UPDATE,
        method="post",
        ok=302,
        denied=302,
        changes=_state,
    ),
    # A draft ratification: the visiting moderator and the admin only.
    "reviews:ratification": on_review(
        {"moderator"} | ADMIN, objects=_ratification, state=State.VISIT_PLANNED
    ),
    "reviews:priority_add": on_review(
        {"moderator"},
        objects=_review,
        state=State.VISIT_PLANNED,
        method="post",
        ok=302,
        denied=302,
        data=_new_priority,
        changes=_priorities,
    ),
    "reviews:priority_remove": on_review(
        {"moderator"},
        objects=_priority,
        state=State.VISIT_PLANNED,
        method="post",
        ok=302,
        denied=302,
        changes=_priorities,
    ),
    "reviews:sign": on_review(
        {"moderator"},
        objects=_review,
        state=State.VISIT_PLANNED,
        method="post",
        ok=302,
        denied=302,
        changes=_state,
    ),
}


# Part D, workshops: mentors, school staff (of any school) and the admin see them; the world's
# mentor runs the world's workshop. Another authority's workshop is a 404 for everyone.
def _workshop(world, owner, days=7):
    from workshops.models import Workshop

    mentor = world.people["mentor"] if owner == world.authority else world.outsider
    with scopes_disabled():
        workshop = Workshop.objects.create(
            authority=owner,
            title="Inclusive practice",
            starts_at=timezone.now() + timedelta(days=days),
            place="Guildhall, Bath",
            capacity=5,
            mentor=mentor,
        )
    return {"pk": workshop.pk}


def _booked(world, owner, days=7):
    """A workshop with the world's coordinator (or the outsider) booked on it."""
    from workshops.models import Booking

    kwargs = _workshop(world, owner, days)
    ours = owner == world.authority
    with scopes_disabled():
        booking = Booking.objects.create(
            workshop_id=kwargs["pk"],
            person=world.people["school_coordinator"] if ours else world.outsider,
            school=world.school if ours else world.outsider_school,
            status=Booking.Status.BOOKED,
        )
    return {**kwargs, "booking_pk": booking.pk}


def _bookings(world, kwargs):
    from workshops.models import Booking

    with scopes_disabled():
        return sorted(Booking.objects.filter(workshop=kwargs["pk"]).values_list("pk", "attended"))


WORKSHOP_PEOPLE = SCHOOL | {"mentor", "other_mentor", "authority_admin", "other_school_coordinator"}
URLS |= {
    "workshops:list": Case(WORKSHOP_PEOPLE),
    "workshops:create": Case({"mentor", "other_mentor", "authority_admin"}),
    "workshops:detail": Case(WORKSHOP_PEOPLE, objects=_workshop),
    "workshops:edit": Case({"mentor", "authority_admin"}, objects=_workshop),
    "workshops:sign_up": Case(
        SCHOOL | {"other_school_coordinator"},
        objects=_workshop,
        method="post",
        ok=302,
        changes=_bookings,
    ),
    # Only one's own booking: the world's coordinator's.
    "workshops:cancel": Case(
        {"school_coordinator"}, objects=_booked, method="post", ok=302, changes=_bookings
    ),
    # Once it has taken place, by its mentor or the admin.
    "workshops:attendance": Case(
        {"mentor", "authority_admin"},
        objects=lambda w, o: {"pk": _booked(w, o, days=-1)["pk"]},
        method="post",
        ok=302,
        data=lambda w, k: {"attended": [pk for pk, _ in _bookings(w, k)]},
        changes=_bookings,
    ),
}


# Arguments for the Django admin's own patterns; every one of them is for platform admins only.
ADMIN_SITE_ARGS = {
    "id": "1",
    "app_label": "authorities",
    "model_name": "user",
    "object_id": "1",
    "content_type_id": "1",
    "url": "x",
}
ADMIN_SITE_OPEN = {"admin:login", "admin:logout"}


def walk_patterns(patterns=None, namespace="", params=frozenset()):
    """(qualified name, URLPattern, names of all its arguments) for every pattern the resolver
    knows."""
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
        elif name.startswith("api:"):
            continue  # the API's matrix: tests/api_isolation.py
        else:
            own[name] = params
    return own, admin


def _params_of(name) -> frozenset:
    return next(params for found, _, params in walk_patterns() if found == name)


def url_kwargs(name, case, world, owner, authority=None) -> dict:
    kwargs = dict(case.objects(world, owner)) if case.objects else {}
    if "authority_slug" in _params_of(name):
        kwargs["authority_slug"] = (authority or world.authority).slug
    return kwargs


class _Undo(Exception):
    """Rolls a request back, so the next visitor meets the same world."""


def attempt(client, case, url, world, kwargs):
    """(the response, whether the data the case names changed), with the request rolled back."""
    outcome = []
    try:
        with transaction.atomic():
            before = case.changes(world, kwargs) if case.changes else None
            data = case.data(world, kwargs) if case.data else {}
            response = (
                client.get(url) if case.method == "get" else getattr(client, case.method)(url, data)
            )
            changed = case.changes(world, kwargs) != before if case.changes else None
            outcome = [response, changed]
            raise _Undo
    except _Undo:
        pass
    return outcome


def check(client_factory, name, case, world, staff_user) -> list[str]:
    """Every visitor against one URL; returns what went wrong, empty when all is as it should be."""
    problems = []

    def expect(who, url, status, outcome, allowed=None, redirect_to_login=False):
        response, changed = outcome
        if response.status_code != status:
            problems.append(
                f"{name} {case.method.upper()} {url} as {who}: {response.status_code}, "
                f"expected {status}"
            )
        elif redirect_to_login and not response["Location"].startswith(reverse("accounts:login")):
            problems.append(
                f"{name} {url} as {who}: redirected to {response['Location']}, expected the login "
                "page"
            )
        if changed is not None and allowed is not None and changed != allowed:
            problems.append(
                f"{name} POST {url} as {who}: data {'unchanged' if allowed else 'changed'}, "
                f"expected {'changed' if allowed else 'unchanged'}"
            )

    if case.access == PUBLIC:
        kwargs = url_kwargs(name, case, world, world.authority)
        url = reverse(name, kwargs=kwargs)
        expect(
            "signed out",
            url,
            case.public_status,
            attempt(client_factory(), case, url, world, kwargs),
        )
        return problems

    if case.state != State.REGISTERED or case.kind != Cycle.Kind.INITIAL:
        advance(world, case.state, case.kind)
    kwargs = url_kwargs(name, case, world, world.authority)
    url = reverse(name, kwargs=kwargs)
    expect("signed out", url, 302, attempt(client_factory(), case, url, world, kwargs), False, True)
    people = {**world.people, **world.others}

    if case.access == PLATFORM:
        expect(
            "platform admin",
            url,
            case.ok,
            attempt(client_factory(staff_user), case, url, world, kwargs),
        )
        for who, user in people.items():
            expect(who, url, 403, attempt(client_factory(user), case, url, world, kwargs))
        return problems

    # The outsider authority's admin, and a platform admin who is no member: the authority does
    # not exist for them.
    for who, user in (("outsider admin", world.outsider), ("platform admin", staff_user)):
        expect(who, url, 404, attempt(client_factory(user), case, url, world, kwargs), False)
    foreign_checked = False
    for who, user in people.items():
        client = client_factory(user)
        if who in case.access:
            expect(who, url, case.ok, attempt(client, case, url, world, kwargs), True)
            if case.objects and not foreign_checked:
                # Own authority in the URL, the outsider's object in the arguments: for one of
                # those allowed, as the lookup is the same for all of them.
                foreign_checked = True
                foreign = url_kwargs(name, case, world, world.outsider_authority, world.authority)
                foreign_url = reverse(name, kwargs=foreign)
                response, _ = attempt(
                    client, Case(case.access, method=case.method), foreign_url, world, foreign
                )
                expect(f"{who} (outsider's object)", foreign_url, 404, [response, None])
        elif case.sees is not None and who not in case.sees:
            expect(
                f"{who} (not theirs)", url, 404, attempt(client, case, url, world, kwargs), False
            )
        else:
            expect(who, url, case.denied, attempt(client, case, url, world, kwargs), False)
    return problems


# Issue 13, item 3, the report: a visit note is edited or deleted by the visit's two moderators
# while they write the report.
def _visit_note(world, owner):
    from moderation.models import Visit, VisitNote

    cycle = _cycle_of(world, owner)
    author = world.people["moderator"] if owner == world.authority else world.outsider
    with scopes_disabled():
        visit, _ = Visit.objects.get_or_create(
            cycle=cycle, defaults={"date": date(2026, 7, 1), "planned_by": author}
        )
        note = VisitNote.objects.create(
            visit=visit, kind="staff", who="SENCo", notes="Knows every pupil.", author=author
        )
    return {"cycle_pk": cycle.pk, "note_pk": note.pk}


def _visit_notes(world, kwargs):
    from moderation.models import VisitNote

    return _count(VisitNote, visit__cycle="cycle_pk")(world, kwargs)


# Issue 13, item 4: visit notes sent from a phone that was offline, and the visit pages' service
# worker (a script with no data in it, fetched again on each update check, signed in or not).
URLS |= {
    "visit_worker:script": Case(PUBLIC),
    "moderation:send_note": on_cycle(
        MODERATORS,
        objects=_cycle,
        state=State.VISIT_PLANNED,
        method="post",
        data=lambda w, k: {
            "kind": "staff",
            "who": "SENCo",
            "notes": "Met.",
            "client_id": "6f1f4f3e-2d0a-4c55-9a55-0e6f1c1b7a10",
        },
        changes=_visit_notes,
    ),
}


URLS |= {
    "moderation:note_edit": on_cycle(MODERATORS, objects=_visit_note, state=State.VISIT_PLANNED),
    "moderation:note_delete": on_cycle(
        MODERATORS,
        objects=_visit_note,
        state=State.VISIT_PLANNED,
        method="post",
        ok=302,
        changes=_visit_notes,
    ),
}


# Issue 13, mentor validation: agreeing with the school's rating on every element not decided.
def _mentor_reviews(world, kwargs):
    from assessments.models import MentorReview

    return _count(MentorReview, cycle_id="cycle_pk")(world, kwargs)


URLS |= {
    "assessments:agree_with_remaining": on_cycle(
        {"mentor"},
        objects=_cycle,
        state=State.SUBMITTED,
        method="post",
        ok=302,
        denied=302,
        changes=_mentor_reviews,
    ),
}


# Issue 13, part "steps": the check pages before what cannot be undone. They only read: for whoever
# may take the step now.
URLS |= {
    "assessments:submit_check": on_cycle(LEADS, objects=_cycle, state=State.SELF_REVIEW),
    "portfolios:submit_check": on_cycle(LEADS, objects=_cycle, state=State.VALIDATED),
    "moderation:sign_check": on_cycle(
        MODERATORS, objects=_unsigned_report, state=State.VISIT_PLANNED
    ),
    "moderation:decide_check": on_cycle({"panel_chair"}, objects=_cycle, state=State.WITH_PANEL),
}


# Issue 13, accessibility (keys): the accessibility statement, public like the home page.
URLS |= {
    "accessibility": Case(PUBLIC),
}


# issue 14: faults. Liveness and readiness, public like /healthz (the suite runs tasks in-process,
# so /ready/ needs no worker here and answers 200).
URLS |= {
    "health": Case(PUBLIC),
    "ready": Case(PUBLIC),
}


# Issue 14: mfa. The second factor's pages and "Sign-in and security" are a signed-in person's own,
# with no authority in the URL: signed out, each is the way to the login page (GET and POST).
# tests/test_two_factor.py checks every person of the world, the outsider and a platform admin.
URLS |= {
    name: Case(PUBLIC, public_status=302)
    for name in (
        "accounts:verify",
        "accounts:set_up",
        "accounts:offer",
        "accounts:recovery_codes",
        "accounts:security",
        "accounts:confirm",
        "accounts:change_password",
        "accounts:change_email",
    )
} | {
    "accounts:regenerate_recovery_codes": Case(PUBLIC, method="post", public_status=302),
    "accounts:remove_app": Case(
        PUBLIC, method="post", public_status=302, objects=lambda w, o: {"device_pk": 1}
    ),
}


# issue 14: passkeys. The passkey pages are a signed-in person's own, like the second factor's
# above; the ceremonies' endpoints (django-otp-webauthn's, accounts/passkey_urls.py) answer the
# signed-in person only, at the step their session is at (tests/test_passkeys.py): signed out,
# each is the way to the login page.
URLS |= {
    "accounts:add_passkey": Case(PUBLIC, public_status=302),
    "accounts:remove_passkey": Case(
        PUBLIC, method="post", public_status=302, objects=lambda w, o: {"device_pk": 1}
    ),
    "otp_webauthn:js-i18n-catalog": Case(PUBLIC, public_status=302),
} | {
    f"otp_webauthn:credential-{step}": Case(PUBLIC, method="post", public_status=302)
    for step in (
        "registration-begin",
        "registration-complete",
        "authentication-begin",
        "authentication-complete",
    )
}


# issue 14: privacy. The person's page, their data's export and their erasure: the authority's
# admins only; a person of another authority is "not found".
def _person(world, owner):
    with scopes_disabled():
        return {"person_pk": MembershipFactory(authority=owner, role=Role.MENTOR).user_id}


def _subject_export(world, owner):
    from django.core.files.base import ContentFile

    from privacy.models import SubjectAccessExport

    with scopes_disabled():
        person = MembershipFactory(authority=owner, role=Role.MENTOR).user
        export = SubjectAccessExport(
            authority=owner,
            person=person,
            state=SubjectAccessExport.State.DONE,
            expires_at=timezone.now() + timedelta(days=1),
        )
        export.json_file.save("export.json", ContentFile(b"{}"), save=False)
        export.pdf_file.save("export.pdf", ContentFile(b"%PDF-1.4"), save=False)
        export.save()
    return {"person_pk": person.pk, "export_pk": export.pk}


def _exports_of(world, kwargs):
    from privacy.models import SubjectAccessExport

    with scopes_disabled():
        return SubjectAccessExport.objects.filter(person_id=kwargs["person_pk"]).count()


def _person_name(world, kwargs):
    from accounts.models import User

    return User.objects.get(pk=kwargs["person_pk"]).full_name


URLS |= {
    "people:person": Case(ADMIN, objects=_person),
    "privacy:data": Case(ADMIN, objects=_person),
    "privacy:request_export": Case(
        ADMIN, objects=_person, method="post", ok=302, changes=_exports_of
    ),
    "privacy:download_json": Case(ADMIN, objects=_subject_export),
    "privacy:download_pdf": Case(ADMIN, objects=_subject_export),
    "privacy:erase_check": Case(ADMIN, objects=_person),
    "privacy:erase": Case(ADMIN, objects=_person, method="post", ok=302, changes=_person_name),
}


# Issue 15, item 5: webhooks. An authority admin's pages only; another authority's endpoint, or a
# delivery of it, is "not found". The address is a literal public IP: nothing is resolved, and
# nothing is sent (each request is rolled back before its transaction could commit).
WEBHOOK_URL = "https://1.1.1.1/iqm-events"


def _webhook_of(owner):
    from webhooks.models import Endpoint

    with scopes_disabled():
        return Endpoint.objects.create(
            authority=owner,
            name="Data warehouse",
            url=WEBHOOK_URL,
            events=["cycle.moved"],
            secret=f"whsec_{uuid.uuid4().hex}",
        )


def _webhook(world, owner):
    return {"endpoint_pk": _webhook_of(owner).pk}


def _webhook_delivery(world, owner):
    from webhooks.models import Delivery

    endpoint = _webhook_of(owner)
    with scopes_disabled():
        delivery = Delivery.objects.create(
            authority=owner,
            endpoint=endpoint,
            event_id=uuid.uuid4(),
            event="ping",
            payload={},
            state=Delivery.State.FAILED,
        )
    return {"endpoint_pk": endpoint.pk, "delivery_pk": delivery.pk}


def _webhook_form(world, kwargs):
    return {
        "name": "Warehouse",
        "url": "https://1.1.1.1/changed",
        "events": ["cycle.moved", "list.published"],
        "is_active": "on",
    }


def _webhooks(world, kwargs):
    from webhooks.models import Endpoint

    with scopes_disabled():
        return sorted(Endpoint.objects.values_list("pk", "name", "url", "secret"))


def _webhook_deliveries(world, kwargs):
    from webhooks.models import Delivery

    with scopes_disabled():
        return sorted(Delivery.objects.values_list("pk", "state"))


URLS |= {
    "webhooks:list": Case(ADMIN),
    "webhooks:create": Case(ADMIN, method="post", ok=302, data=_webhook_form, changes=_webhooks),
    "webhooks:detail": Case(ADMIN, objects=_webhook),
    "webhooks:edit": Case(
        ADMIN, objects=_webhook, method="post", ok=302, data=_webhook_form, changes=_webhooks
    ),
    "webhooks:delete": Case(ADMIN, objects=_webhook, method="post", ok=302, changes=_webhooks),
    "webhooks:secret": Case(ADMIN, objects=_webhook, method="post", ok=302, changes=_webhooks),
    "webhooks:test": Case(
        ADMIN, objects=_webhook, method="post", ok=302, changes=_webhook_deliveries
    ),
    "webhooks:resend": Case(
        ADMIN, objects=_webhook_delivery, method="post", ok=302, changes=_webhook_deliveries
    ),
}


# issue 15: tokens. A person's own personal API tokens in one authority: any member opens the page
# and makes tokens for themselves (the count of the authority's tokens grows); a token's revoke
# pages are its person's only (here the mentor's), anyone else's "not found".
def _api_token(world, owner):
    from accounts import tokens

    person = world.people["mentor"] if owner == world.authority else world.outsider
    with scopes_disabled():
        return {"token_pk": tokens.create_token(person, owner, "Isolation")[0].pk}


def _api_tokens(world, kwargs):
    from accounts.models import ApiToken

    with scopes_disabled():
        return ApiToken.objects.filter(authority=world.authority).count()


def _api_token_revoked(world, kwargs):
    from accounts.models import ApiToken

    with scopes_disabled():
        return ApiToken.objects.get(pk=kwargs["token_pk"]).revoked_at


URLS |= {
    "api_tokens:list": Case(EVERYONE),
    "api_tokens:create": Case(
        EVERYONE,
        method="post",
        data=lambda w, k: {"name": "Isolation", "can_write": "on"},
        changes=_api_tokens,
    ),
    "api_tokens:revoke_check": Case({"mentor"}, objects=_api_token, sees=frozenset({"mentor"})),
    "api_tokens:revoke": Case(
        {"mentor"},
        objects=_api_token,
        sees=frozenset({"mentor"}),
        method="post",
        ok=302,
        changes=_api_token_revoked,
    ),
}
