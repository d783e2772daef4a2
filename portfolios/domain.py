"""The portfolio of evidence: adding files and links, linking them to the framework, comments,
deletion and submission for moderation. Each change is one function: rule, save, audit log."""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessments.domain import elements_of, lock_cycle, take
from assessments.models import Cycle, Element
from assessments.workflow import (
    PORTFOLIO_OPEN,
    STEPS,
    TransitionError,
    check,
    check_kind,
    is_school_lead,
)
from audit.domain import record

from .models import EvidenceFile, EvidenceItem, ItemComment, PortfolioSubmission
from .uploads import Inspected, UploadRefused, inspect_upload

log = logging.getLogger(__name__)
MB = 1024 * 1024
FILES_PER_REQUEST = 10
ITEM_FIELDS = ("title", "description", "evidence_date", "url")
NO_EVIDENCE = "Add some evidence before submitting the portfolio."


class DuplicateEvidence(Exception):
    """The same file is already in this portfolio: offer that item instead."""

    def __init__(self, item):
        self.item = item
        super().__init__(
            f"This file is already in the portfolio as “{item.title}”. "
            "Link that item to more elements instead."
        )


def is_locked(cycle) -> bool:
    """From submission on, the moderators and the panel see exactly what was submitted."""
    return cycle.state not in PORTFOLIO_OPEN


def _require_adder(cycle, by):
    """The person first (their message is the one that helps), then the portfolio's state."""
    check_kind("add_evidence", cycle)
    step = STEPS["add_evidence"]
    if not step.who.test(by, cycle):
        raise PermissionDenied(step.refusal)
    if is_locked(cycle):
        raise TransitionError(
            "The portfolio has been submitted for moderation: it cannot be changed."
        )


def can_add(cycle, user) -> bool:
    return STEPS["add_evidence"].test(user, cycle)


def can_comment(cycle, user) -> bool:
    return STEPS["comment_evidence"].test(user, cycle)


def can_submit(cycle, user) -> bool:
    return STEPS["submit_portfolio"].test(user, cycle)


def can_remove(item, user) -> bool:
    """The person who added it, or the school's leads."""
    return item.added_by_id == user.pk or is_school_lead(user, item.cycle)


def coverage(cycle) -> tuple[list[Element], list[Element]]:
    """The framework's elements, and those no item of the portfolio is linked to yet: what the
    check before submitting warns of."""
    elements = elements_of(cycle)
    covered = set(
        EvidenceItem.elements.through.objects.filter(evidenceitem__cycle=cycle).values_list(
            "element", flat=True
        )
    )
    return elements, [e for e in elements if e.pk not in covered]


NOT_LINKED = "none"  # the filter of the items linked to no element


def coverage_by_element(cycle) -> tuple[list[Element], int]:
    """The framework's elements, each with how many items are linked to it (`item_count`) and
    how many of its statements (`descriptor_count`) the evidence covers (`covered`); and how many
    items are linked to no element. The elements and their statements are the framework's kept
    ones; the cycle's links are counted in one pass (a subquery per element would read all the
    cycle's items again for each element), the statements covered by their own ids alone, each
    mapped to its element here rather than joined to the statements in SQL."""
    elements = elements_of(cycle)
    element_of_statement = {}
    for element in elements:
        statements = element.descriptors.all()
        element.descriptor_count = len(statements)
        element_of_statement.update((statement.pk, element.pk) for statement in statements)
    links = EvidenceItem.elements.through.objects.filter(evidenceitem__cycle=cycle)
    covering = EvidenceItem.descriptors.through.objects.filter(evidenceitem__cycle=cycle)
    not_linked = cycle.evidence.filter(elements__isnull=True)
    counts, covered = {NOT_LINKED: 0}, {}
    for fact, pk, count in (
        links.order_by()
        .values_list(Value("item_count"), "element")
        .annotate(n=Count("evidenceitem"))
        .union(
            covering.order_by().values_list(Value("covered"), "descriptor", Value(1)).distinct(),
            not_linked.order_by().values_list(Value(NOT_LINKED), Value(0)).annotate(n=Count("pk")),
            all=True,
        )
    ):
        if fact == "covered":
            element_pk = element_of_statement.get(pk)  # None: another framework's statement
            covered[element_pk] = covered.get(element_pk, 0) + 1
        else:
            counts[pk if fact == "item_count" else NOT_LINKED] = count
    for element in elements:
        element.item_count = counts.get(element.pk, 0)
        element.covered = covered.get(element.pk, 0)
    return elements, counts[NOT_LINKED]


def evidence(cycle, element=""):
    """The portfolio's items by title, each with its comments counted: all, or those linked to
    one element (its pk), or to none (NOT_LINKED). A page of them takes its items' element
    numbers from `with_element_numbers`."""
    items = cycle.evidence.all()
    if element == NOT_LINKED:
        items = items.filter(elements__isnull=True)
    elif element:
        items = items.filter(elements=element)
    # Counted for each item of the page alone (a join would count them for every item).
    comments = ItemComment.objects.filter(item=OuterRef("pk")).order_by().values("item")
    counted = comments.annotate(n=Count("pk")).values("n")
    return (
        items.select_related("file")
        .annotate(comment_count=Coalesce(Subquery(counted), 0))
        .order_by("title", "pk")
    )


def with_element_numbers(items) -> None:
    """Each item's `element_numbers`, read for a page of items in one query."""
    numbers = {item.pk: [] for item in items}
    if not numbers:
        return
    links = EvidenceItem.elements.through.objects.filter(evidenceitem__in=numbers)
    for item_pk, number in links.order_by("element__number").values_list(
        "evidenceitem", "element__number"
    ):
        numbers[item_pk].append(number)
    for item in items:
        item.element_numbers = numbers[item.pk]


def read_links(items) -> None:
    """Each item's `linked_elements` and `linked_descriptors`: the ids of the elements and the
    descriptors it is evidence for, in the framework's order, read for a list of items in one query
    of the links alone. (A prefetch made a model of each element and descriptor, and the planner
    joined from the elements, reading every link of the authority's items to them.)"""
    by_pk = {item.pk: item for item in items}
    for item in by_pk.values():
        item.linked_elements, item.linked_descriptors = [], []
    if not by_pk:
        return
    elements = EvidenceItem.elements.through.objects.filter(evidenceitem__in=by_pk).annotate(
        attribute=Value("linked_elements"), first=F("element__number"), then=Value(0)
    )
    descriptors = EvidenceItem.descriptors.through.objects.filter(evidenceitem__in=by_pk).annotate(
        attribute=Value("linked_descriptors"),
        first=F("descriptor__element__number"),
        then=F("descriptor__number"),
    )
    links = elements.values_list("evidenceitem", "attribute", "element", "first", "then").union(
        descriptors.values_list("evidenceitem", "attribute", "descriptor", "first", "then"),
        all=True,
    )
    for item_pk, attribute, linked, *_ in links.order_by("first", "then"):
        getattr(by_pk[item_pk], attribute).append(linked)


def _links_snapshot(item):
    return {
        "elements": sorted(e.number for e in item.elements.all()),
        "descriptors": sorted(d.pk for d in item.descriptors.all()),
    }


def add_file(*, cycle, by, uploaded, elements=(), descriptors=()) -> EvidenceItem:
    """Check an upload, store it under the authority's folder and make an item of it.

    Nothing is half-saved: a refused file leaves no item, and a file stored by a transaction that
    then fails is removed again.
    """
    _require_adder(cycle, by)
    authority = cycle.authority
    inspected = inspect_upload(uploaded, max_bytes=authority.upload_limit_mb * MB)
    stored = None
    try:
        with transaction.atomic():
            _require_adder(lock_cycle(cycle), by)
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
                    f"“{inspected.name}” would take the portfolio over its limit of "
                    f"{authority.portfolio_limit_mb} MB ({used / MB:.1f} MB used). "
                    "Remove something first, or ask your authority to raise the limit."
                )
            evidence_file = EvidenceFile.objects.filter(sha256=inspected.sha256).first()
            if evidence_file is None:
                evidence_file = _store(authority, inspected, uploaded)
                stored = evidence_file.file.name
            elif evidence_file.file_deleted_at:
                # Deleted under the retention policy; the same content is uploaded again.
                stored = _restore(evidence_file, uploaded)
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


def _restore(evidence_file, uploaded) -> str:
    uploaded.seek(0)
    evidence_file.file.save("upload", uploaded, save=False)
    evidence_file.file_deleted_at = None
    evidence_file.save(update_fields=["file", "file_deleted_at"])
    return evidence_file.file.name


def _title(name):
    stem = name.rsplit(".", 1)[0].replace("_", " ").strip()
    return (stem or name)[:200]


@transaction.atomic
def add_link(
    *,
    cycle,
    by,
    url,
    title,
    description="",
    evidence_date=None,
    elements=(),
    descriptors=(),
):
    _require_adder(cycle, by)
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
def update_item(*, item, by, title, description, evidence_date, elements, descriptors):
    _require_adder(lock_cycle(item.cycle), by)
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


def delete_item(*, item, by):
    """Remove an item before submission. Its file goes too, unless another item still uses it."""
    if not can_remove(item, by):
        raise PermissionDenied(
            "Only the person who added this, the coordinator or the head teacher can remove it."
        )
    with transaction.atomic():
        _require_adder(lock_cycle(item.cycle), by)
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
def add_comment(*, item, by, body) -> ItemComment:
    cycle = item.cycle
    check(by, "comment_evidence", cycle)
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
def submit_portfolio(*, cycle, by) -> Cycle:
    """The school sends its portfolio for moderation; from now on it is locked."""
    cycle = lock_cycle(cycle)
    if cycle.state in STEPS["submit_portfolio"].sources:
        check(by, "submit_portfolio", cycle)
    elif not is_locked(cycle):
        raise TransitionError(
            "The portfolio can be submitted once the mentor has validated the self-review"
        )
    else:
        raise TransitionError("The portfolio has already been submitted.")
    items = list(cycle.evidence.select_related("file").prefetch_related("elements"))
    if not items:
        raise TransitionError(NO_EVIDENCE)
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
    # The panel's reasons for a return are answered by this submission.
    return take(
        "submit_portfolio", cycle, by, portfolio_submitted_at=timezone.now(), return_comment=""
    )
