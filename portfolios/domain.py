"""The portfolio of evidence: adding files and links, linking them to the framework, comments,
deletion and submission for moderation. Each change is one function: rule, save, audit log."""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Role
from assessments.domain import TransitionError, lock_cycle, move_cycle
from assessments.models import Cycle
from audit.domain import record

from .models import EvidenceFile, EvidenceItem, ItemComment, PortfolioSubmission
from .uploads import Inspected, UploadRefused, inspect_upload

log = logging.getLogger(__name__)
MB = 1024 * 1024
FILES_PER_REQUEST = 10
# From submission on, the moderators and the panel see exactly what was submitted.
LOCKED_STATES = set(Cycle.State) - {
    Cycle.State.REGISTERED,
    Cycle.State.SELF_REVIEW,
    Cycle.State.SUBMITTED,
    Cycle.State.VALIDATED,
}
ITEM_FIELDS = ("title", "description", "evidence_date", "url")


class DuplicateEvidence(Exception):
    """The same file is already in this portfolio: offer that item instead."""

    def __init__(self, item):
        self.item = item
        super().__init__(
            f"This file is already in the portfolio as “{item.title}”. Link that item to more elements instead."
        )


def is_locked(cycle) -> bool:
    return cycle.state in LOCKED_STATES


def _require_open(cycle):
    if is_locked(cycle):
        raise TransitionError(
            "The portfolio has been submitted for moderation: it cannot be changed."
        )


def _school_roles(cycle, memberships):
    return {m.role for m in memberships if m.school_id == cycle.school_id}


def can_add(cycle, memberships) -> bool:
    return bool(_school_roles(cycle, memberships))


def can_comment(cycle, user, memberships) -> bool:
    return cycle.mentor_id == user.pk or bool(_school_roles(cycle, memberships))


def can_submit(cycle, memberships) -> bool:
    leads = _school_roles(cycle, memberships) & {Role.SCHOOL_COORDINATOR, Role.HEAD_TEACHER}
    return cycle.state == Cycle.State.VALIDATED and bool(leads)


def can_remove(item, user, memberships) -> bool:
    return item.added_by_id == user.pk or bool(
        _school_roles(item.cycle, memberships) & {Role.SCHOOL_COORDINATOR, Role.HEAD_TEACHER}
    )


def _links_snapshot(item):
    return {
        "elements": sorted(e.number for e in item.elements.all()),
        "descriptors": sorted(d.pk for d in item.descriptors.all()),
    }


def add_file(*, cycle, by, memberships, uploaded, elements=(), descriptors=()) -> EvidenceItem:
    """Check an upload, store it under the authority's folder and make an item of it.

    Nothing is half-saved: a refused file leaves no item, and a file stored by a transaction that
    then fails is removed again.
    """
    if not can_add(cycle, memberships):
        raise PermissionDenied("Only the school's staff can add evidence.")
    _require_open(cycle)
    authority = cycle.authority
    inspected = inspect_upload(uploaded, max_bytes=authority.upload_limit_mb * MB)
    stored = None
    try:
        with transaction.atomic():
            _require_open(lock_cycle(cycle))
            existing = EvidenceItem.objects.filter(
                cycle=cycle, file__sha256=inspected.sha256
            ).first()
            if existing:
                raise DuplicateEvidence(existing)
            used = (
                EvidenceFile.objects.filter(items__cycle=cycle)
                .distinct()
                .aggregate(total=Sum("size"))["total"]
                or 0
            )
            if used + inspected.size > authority.portfolio_limit_mb * MB:
                raise UploadRefused(
                    f"“{inspected.name}” would take the portfolio over its limit of {authority.portfolio_limit_mb} MB "
                    f"({used / MB:.1f} MB used). Remove something first, or ask your authority to raise the limit."
                )
            evidence_file = EvidenceFile.objects.filter(sha256=inspected.sha256).first()
            if evidence_file is None:
                evidence_file = _store(authority, inspected, uploaded)
                stored = evidence_file.file.name
            item = EvidenceItem.objects.create(
                cycle=cycle,
                file=evidence_file,
                original_name=inspected.name,
                title=_title(inspected.name),
                added_by=by,
            )
            item.elements.set(elements)
            item.descriptors.set(descriptors)
            record(
                authority=authority,
                actor=by,
                action="evidence.added",
                obj=item,
                school=cycle.school,
                after={
                    "title": item.title,
                    "sha256": inspected.sha256,
                    "size": inspected.size,
                    **_links_snapshot(item),
                },
            )
    except BaseException:
        if stored:
            evidence_file.file.storage.delete(stored)
        raise
    return item


def _store(authority, inspected: Inspected, uploaded) -> EvidenceFile:
    evidence_file = EvidenceFile(
        authority=authority,
        sha256=inspected.sha256,
        size=inspected.size,
        content_type=inspected.content_type,
        extension=inspected.extension,
    )
    uploaded.seek(0)
    evidence_file.file.save("upload", uploaded, save=False)
    try:
        with transaction.atomic():
            evidence_file.save()
    except IntegrityError:
        # The same content arrived at the same moment in another request: keep theirs.
        evidence_file.file.storage.delete(evidence_file.file.name)
        return EvidenceFile.objects.get(sha256=inspected.sha256)
    return evidence_file


def _title(name):
    stem = name.rsplit(".", 1)[0].replace("_", " ").strip()
    return (stem or name)[:200]


@transaction.atomic
def add_link(
    *,
    cycle,
    by,
    memberships,
    url,
    title,
    description="",
    evidence_date=None,
    elements=(),
    descriptors=(),
):
    if not can_add(cycle, memberships):
        raise PermissionDenied("Only the school's staff can add evidence.")
    _require_open(cycle)
    item = EvidenceItem.objects.create(
        cycle=cycle,
        url=url,
        title=title,
        description=description,
        evidence_date=evidence_date,
        added_by=by,
    )
    item.elements.set(elements)
    item.descriptors.set(descriptors)
    record(
        authority=cycle.authority,
        actor=by,
        action="evidence.added",
        obj=item,
        school=cycle.school,
        after={"title": title, "url": url, **_links_snapshot(item)},
    )
    return item


@transaction.atomic
def update_item(*, item, by, memberships, title, description, evidence_date, elements, descriptors):
    if not can_add(item.cycle, memberships):
        raise PermissionDenied("Only the school's staff can change evidence.")
    _require_open(lock_cycle(item.cycle))
    before = {"title": item.title, "description": item.description, **_links_snapshot(item)}
    item.title, item.description, item.evidence_date = title, description, evidence_date
    item.save(update_fields=["title", "description", "evidence_date"])
    item.elements.set(elements)
    item.descriptors.set(descriptors)
    record(
        authority=item.cycle.authority,
        actor=by,
        action="evidence.changed",
        obj=item,
        school=item.cycle.school,
        before=before,
        after={"title": title, "description": description, **_links_snapshot(item)},
    )
    return item


def delete_item(*, item, by, memberships):
    """Remove an item before submission. Its file goes too, unless another item still uses it."""
    if not can_remove(item, by, memberships):
        raise PermissionDenied(
            "Only the person who added this, the coordinator or the head teacher can remove it."
        )
    with transaction.atomic():
        _require_open(lock_cycle(item.cycle))
        record(
            authority=item.cycle.authority,
            actor=by,
            action="evidence.removed",
            obj=item,
            school=item.cycle.school,
            before={
                "title": item.title,
                "sha256": item.file.sha256 if item.file else None,
                "url": item.url,
                **_links_snapshot(item),
            },
        )
        evidence_file = item.file
        item.delete()
        if evidence_file and not evidence_file.items.exists():
            name, storage = evidence_file.file.name, evidence_file.file.storage
            evidence_file.delete()
            transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def add_comment(*, item, by, memberships, body) -> ItemComment:
    cycle = item.cycle
    if not can_comment(cycle, by, memberships):
        raise PermissionDenied("Only the school's staff and its mentor can comment on evidence.")
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write a comment before sending it."})
    comment = ItemComment.objects.create(item=item, author=by, body=body)
    record(
        authority=cycle.authority,
        actor=by,
        action="evidence.commented",
        obj=item,
        school=cycle.school,
        after={"comment": comment.pk},
    )
    return comment


@transaction.atomic
def submit_portfolio(*, cycle, by, memberships) -> Cycle:
    """The school sends its portfolio for moderation; from now on it is locked."""
    cycle = lock_cycle(cycle)
    if not _school_roles(cycle, memberships) & {Role.HEAD_TEACHER, Role.SCHOOL_COORDINATOR}:
        raise PermissionDenied("Only the head teacher or the coordinator can submit the portfolio.")
    if cycle.state != Cycle.State.VALIDATED:
        raise TransitionError(
            "The portfolio can be submitted once the mentor has validated the self-review"
            if cycle.state
            in (Cycle.State.REGISTERED, Cycle.State.SELF_REVIEW, Cycle.State.SUBMITTED)
            else "The portfolio has already been submitted."
        )
    items = list(cycle.evidence.select_related("file").prefetch_related("elements"))
    if not items:
        raise TransitionError("Add some evidence before submitting the portfolio.")
    PortfolioSubmission.objects.create(
        cycle=cycle,
        submitted_by=by,
        items=[
            {
                "id": i.pk,
                "title": i.title,
                "sha256": i.file.sha256 if i.file else None,
                "url": i.url,
                "elements": sorted(e.number for e in i.elements.all()),
            }
            for i in items
        ],
    )
    return move_cycle(
        cycle,
        by,
        Cycle.State.PORTFOLIO_SUBMITTED,
        "portfolio_submitted",
        portfolio_submitted_at=timezone.now(),
    )
