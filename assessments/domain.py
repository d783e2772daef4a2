"""The self-review: framework versions, cycles and their transitions, answers, the mentor's
validation and the action plan. Each state change is one function here: rule, save, audit log
and notification, in one transaction."""

import hashlib
from dataclasses import dataclass
from pathlib import Path

import django
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from accounts.models import Membership, Role, User
from accounts.roles import people_of_school
from audit.domain import record
from authorities import stamps
from authorities.models import Authority
from awards.domain import eligibility, history_of
from awards.models import Tier
from schools.models import School

from .frameworks import FrameworkFileError, parse_framework
from .models import (
    REVIEW_COMMENT_LIMIT,
    TEXT_LIMIT,
    Answer,
    Assignment,
    Cycle,
    Descriptor,
    Element,
    FrameworkVersion,
    MentorReview,
    Rating,
    Submission,
    Target,
)
from .signals import cycle_stepped
from .workflow import (
    GIVEN_ELEMENTS,
    STEPS,
    TransitionError,
    check,
    check_kind,
    is_school_lead,
)

FRAMEWORKS_DIR = Path(__file__).parent / "frameworks"
DEFAULT_FRAMEWORK = FRAMEWORKS_DIR / "iqm-ten-elements.json"
ANSWER_TEXTS = ("practice", "evidence", "strengths", "development")
State = Cycle.State


# The tier each kind of cycle is for: registering a review needs the school to be eligible.
TIER_OF_KIND = {
    Cycle.Kind.INITIAL: Tier.QUALITY_MARK,
    Cycle.Kind.REASSESSMENT: Tier.QUALITY_MARK,
    Cycle.Kind.CENTRE_OF_EXCELLENCE: Tier.CENTRE_OF_EXCELLENCE,
    Cycle.Kind.FLAGSHIP: Tier.FLAGSHIP,
}


def kind_options(school) -> list[tuple[str, str | None]]:
    """Every kind of cycle with why the school may not be registered for it now (None: it may)."""
    history = history_of(school)
    found = {
        tier: eligibility(school, tier, history=history) for tier in set(TIER_OF_KIND.values())
    }
    return [
        (kind, None if found[tier].eligible else found[tier].reason)
        for kind, tier in TIER_OF_KIND.items()
    ]


class Stale(Exception):
    """Someone else saved this since the copy being saved was loaded: an autosave's conflict (a
    self-review answer, a section of the moderators' report). `current` is what they saved."""

    def __init__(self, current):
        self.current = current
        super().__init__("Someone else has saved this since you opened it.")


# Framework versions


@transaction.atomic
def import_framework(*, authority, by, content: bytes, make_current=False) -> FrameworkVersion:
    """Load a framework version from a file; FrameworkFileError names every bad line or field."""
    spec = parse_framework(content)
    errors = []
    if FrameworkVersion.objects.filter(code=spec.code).exists():
        errors.append(
            f"code: this authority already has a framework “{spec.code}”; "
            "give the new version its own code."
        )
    previous = None
    if spec.previous:
        previous = FrameworkVersion.objects.filter(code=spec.previous).first()
        if previous is None:
            errors.append(f"previous: no framework “{spec.previous}” has been loaded here.")
    old_elements = {e.code: e for e in previous.elements.all()} if previous else {}
    for i, element in enumerate(spec.elements, start=1):
        if not element.maps_from or (spec.previous and previous is None):
            continue
        if not spec.previous:
            errors.append(f"elements[{i}].maps_from: name the version it maps from in “previous”.")
        elif element.maps_from not in old_elements:
            errors.append(
                f"elements[{i}].maps_from: the previous framework has no element "
                f"“{element.maps_from}”."
            )
    if errors:
        raise FrameworkFileError(errors)

    if make_current:
        FrameworkVersion.objects.filter(is_current=True).update(is_current=False)
    framework = FrameworkVersion.objects.create(
        authority=authority,
        code=spec.code,
        name=spec.name,
        description=spec.description,
        previous=previous,
        is_current=make_current,
    )
    for number, element_spec in enumerate(spec.elements, start=1):
        element = Element.objects.create(
            framework=framework,
            number=number,
            code=element_spec.code,
            title=element_spec.title,
            guidance=element_spec.guidance,
            maps_from=old_elements.get(element_spec.maps_from),
        )
        Descriptor.objects.bulk_create(
            Descriptor(element=element, number=n, text=text)
            for n, text in enumerate(element_spec.descriptors, start=1)
        )
    record(
        authority=authority,
        actor=by,
        action="framework.imported",
        obj=framework,
        after={"code": framework.code, "elements": len(spec.elements), "current": make_current},
    )
    return framework


def install_default_framework(authority, by=None) -> FrameworkVersion:
    existing = FrameworkVersion.objects.filter(code="iqm-ten-elements").first()
    return existing or import_framework(
        authority=authority, by=by, content=DEFAULT_FRAMEWORK.read_bytes(), make_current=True
    )


@transaction.atomic
def make_framework_current(*, framework, by):
    FrameworkVersion.objects.filter(is_current=True).exclude(pk=framework.pk).update(
        is_current=False
    )
    framework.is_current = True
    framework.save(update_fields=["is_current"])  # a save: what keeps its figures hears of it
    record(authority=framework.authority, actor=by, action="framework.made_current", obj=framework)


# Cycles


def lock_cycle(cycle) -> Cycle:
    """The cycle read again, its row alone locked until the transaction ends (README, "Row
    locks")."""
    return (
        Cycle.objects.select_for_update(of=("self",), no_key=True)
        .select_related("school", "authority", "framework")
        .get(pk=cycle.pk)
    )


def take(name, cycle, by, logged=None, **fields) -> Cycle:
    """Take the workflow's step `name` on a locked cycle: its new state and `fields` saved, the
    audit log written as cycle.<event> (with `logged`, what else it should keep), and the step's
    people told, all in the caller's transaction. The caller has checked the step
    (workflow.check) and its own rules."""
    step = STEPS[name]
    before = cycle.state
    if step.target:
        cycle.state = step.target
    for field, value in fields.items():
        setattr(cycle, field, value)
    cycle.save(update_fields=["state", *fields])
    entry = record(
        authority=cycle.authority,
        actor=by,
        action=f"cycle.{step.event or step.name}",
        obj=cycle,
        school=cycle.school,
        before={"state": before},
        after={"state": cycle.state, **(logged or {})},
    )
    cycle_stepped.send(sender=Cycle, cycle=cycle, step=step, by=by, entry=entry)
    return cycle


@transaction.atomic
def start_cycle(*, authority, by, school, kind, mentor) -> Cycle:
    """Register a school for an assessment with its mentor, on the current framework. A renewal
    pre-fills the answers of elements that map across from the school's last validated cycle.
    A school has one cycle under way at a time; a decided one may be followed by the next."""
    # Two admins at once: one registers.
    School.objects.select_for_update(no_key=True).get(pk=school.pk)
    if Cycle.objects.filter(school=school).exclude(state=State.DECIDED).exists():
        raise ValidationError({"school": "This school already has an assessment under way."})
    if not (eligible := eligibility(school, TIER_OF_KIND[kind])).eligible:
        raise ValidationError({"kind": f"{school} cannot have this review yet. {eligible.reason}"})
    if not Membership.objects.filter(authority=authority, user=mentor, role=Role.MENTOR).exists():
        raise ValidationError({"mentor": "Choose someone who is a mentor in this authority."})
    framework = FrameworkVersion.objects.filter(is_current=True).first()
    if framework is None:
        raise ValidationError("No framework is current: an admin must choose one first.")
    previous = (
        Cycle.objects.filter(school=school, validated_at__isnull=False)
        .order_by("-validated_at")
        .first()
    )
    cycle = Cycle.objects.create(
        authority=authority,
        school=school,
        kind=kind,
        framework=framework,
        mentor=mentor,
        previous=previous,
    )
    if previous:
        _prefill(cycle, previous)
    return take(
        "register",
        cycle,
        by,
        logged={"kind": kind, "mentor": mentor.pk, "framework": framework.code},
    )


def _prefill(cycle, previous):
    old_answers = {a.element_id: a for a in previous.answers.select_related("element")}
    for element in cycle.framework.elements.all():
        source = element.maps_from_id if cycle.framework_id != previous.framework_id else element.pk
        old = old_answers.get(source)
        if old is None:
            continue
        Answer.objects.create(
            cycle=cycle,
            element=element,
            rating=old.rating,
            prefilled=True,
            ratings={},
            **{field: getattr(old, field) for field in ANSWER_TEXTS},
        )


def can_edit_element(user, cycle, element) -> bool:
    """The school's leads edit every element; a contributor, the elements given to them."""
    if not STEPS["edit_answers"].test(user, cycle):
        return False
    if is_school_lead(user, cycle):
        return True
    return Assignment.objects.filter(cycle=cycle, element=element, person=user).exists()


def save_answer(*, cycle, element, by, version: int, data: dict) -> Answer:
    """Autosave of one element. Refused, changing nothing, when the cycle is with the mentor, when
    the person may not edit this element, or when `version` is not the saved one (Stale)."""
    errors = validate_answer(element, data)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        cycle = lock_cycle(cycle)
        check_kind("edit_answers", cycle)
        if cycle.state not in STEPS["edit_answers"].sources:
            raise TransitionError(
                "The self-review has been submitted to the mentor: it can be read but not changed."
            )
        if not can_edit_element(by, cycle, element):
            raise PermissionDenied("You can edit only the elements your coordinator has given you.")
        answer, _ = Answer.objects.select_for_update().get_or_create(cycle=cycle, element=element)
        if answer.version != version:
            raise Stale(answer)
        for field in ANSWER_TEXTS:
            setattr(answer, field, data.get(field, ""))
        answer.rating = data.get("rating")
        answer.ratings = data.get("ratings", {})
        answer.version += 1
        answer.prefilled = False
        answer.updated_by = by
        answer.updated_at = timezone.now()
        answer.save()
        if cycle.state == State.REGISTERED:
            take("start_self_review", cycle, by)
    return answer


def validate_answer(element, data) -> dict:
    """Field errors of an answer's data: {field: message}."""
    errors = {}
    valid = set(Rating.values)
    descriptor_ids = {str(d.pk) for d in element.descriptors.all()}
    for key, value in data.get("ratings", {}).items():
        if key not in descriptor_ids:
            errors[f"descriptor-{key}"] = "This statement is not part of this element."
        elif value is not None and value not in valid:
            errors[f"descriptor-{key}"] = "Choose one of the ratings shown."
    if data.get("rating") is not None and data["rating"] not in valid:
        errors["rating"] = "Choose one of the ratings shown."
    for field in ANSWER_TEXTS:
        if len(data.get(field, "")) > TEXT_LIMIT:
            errors[field] = (
                f"Keep this to {TEXT_LIMIT:,} characters or fewer (it has {len(data[field]):,})."
            )
    return errors


def with_statements(elements):
    """The elements with their statements (descriptors), read in one query and scoped once. With
    a plain `prefetch_related("descriptors")`, Django builds a queryset of each element's own
    statements from the scoped manager, filtered by the scope three tables away, only to hold the
    rows it has read (README, "Performance")."""
    return elements.prefetch_related(Prefetch("descriptors", queryset=Descriptor.objects.all()))


FRAMEWORK_KEPT_SECONDS = 24 * 60 * 60


def _shape(*models) -> str:
    """Django's version and the models' classes and columns: what a kept model is unpickled by."""
    parts = [django.get_version()] + [
        f"{model.__module__}.{model.__qualname__}:"
        + ",".join(field.attname for field in model._meta.concrete_fields)
        for model in models
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


# Kept elements hold their statements as Django's prefetch does, in a queryset whose filter names
# the authority: a deployment that changes any of these keeps them under keys of its own.
ELEMENTS_SHAPE = _shape(Element, Descriptor, Authority)


def elements_of(cycle) -> list[Element]:
    """The elements of the cycle's framework, with their statements. These never change once
    imported (a new version of the framework is a new framework), so they are kept in the cache
    under the authority, the framework's id and the moment it was imported: a database restored
    from a backup brings a framework back under its own key, and one imported since under an id
    used before has a key of its own. Like everything kept, they are read afresh after a bulk
    change (stamps.renew_everything)."""
    framework = cycle.framework
    return stamps.kept(
        stamps.EVERYTHING,
        f"framework:{cycle.authority_id}:{framework.pk}:{framework.created_at.isoformat()}"
        f":elements:{ELEMENTS_SHAPE}",
        lambda: list(with_statements(Element.objects.filter(framework=framework))),
        FRAMEWORK_KEPT_SECONDS,
    )


def element_of(cycle, element_pk) -> Element | None:
    """One element of the cycle's framework, with its statements; None if the framework has no
    element of that id."""
    return next((e for e in elements_of(cycle) if e.pk == element_pk), None)


def element_rows(cycle, with_reviews=True):
    """Each element with its answer, its status and (for those who may see it) the mentor's
    review and decision: the self-review's task list."""
    answers = {a.element_id: a for a in cycle.answers.all()}
    reviews = {r.element_id: r for r in cycle.reviews.all()} if with_reviews else {}
    rows = []
    for element in elements_of(cycle):
        answer = answers.get(element.pk)
        if answer_is_complete(answer, element):
            status = "complete"
        elif answer is not None and (answer.version or answer.prefilled):
            status = "in_progress"
        else:
            status = "not_started"
        rows.append(
            {
                "element": element,
                "answer": answer,
                "status": status,
                "review": reviews.get(element.pk),
                "decision": decision(reviews.get(element.pk), answer),
            }
        )
    return rows


# The mentor's decision on an element. Changed: decided before the school changed its rating
# (after a return), so to be made again.
UNDECIDED, CHANGED, AGREED, ADJUSTED = "undecided", "changed", "agreed", "adjusted"
DECIDED = frozenset({AGREED, ADJUSTED})


def decision(review, answer) -> str:
    return _decision(review, answer.rating if answer else None)


def _decision(review, school) -> str:
    """`school`: the school's rating now."""
    if review is None or review.rating is None:
        return UNDECIDED
    if review.school_rating is not None and review.school_rating != school:
        return CHANGED
    return AGREED if review.rating == school else ADJUSTED


def element_count():
    """How many elements the cycle's framework has, as an annotation on cycles."""
    elements = Element.objects.filter(framework=OuterRef("framework")).order_by()
    return Subquery(elements.values("framework").annotate(n=Count("pk")).values("n"))


@dataclass
class ElementReview:
    """The mentor's decision on one element, as the reply to its autosave shows it: the school's
    answer, the mentor's review (None before the first save), and the cycle's other reviews, each
    with the school's rating now (`school_now`), to count the elements decided."""

    answer: Answer | None
    review: MentorReview | None
    others: list

    @property
    def decision(self) -> str:
        return decision(self.review, self.answer)

    @property
    def decided(self) -> int:
        """How many of the cycle's elements are decided, as element_rows has it."""
        others = sum(1 for r in self.others if _decision(r, r.school_now) in DECIDED)
        return others + (self.decision in DECIDED)


def element_review(cycle, element) -> ElementReview:
    """The element's answer, and the cycle's reviews with the school's rating of each: two
    queries, however many elements."""
    answer = Answer.objects.filter(cycle=cycle, element=element).first()
    rated = Answer.objects.filter(cycle=OuterRef("cycle"), element=OuterRef("element"))
    reviews = MentorReview.objects.filter(
        cycle=cycle, element__framework=cycle.framework_id
    ).annotate(school_now=Subquery(rated.values("rating")))
    found = ElementReview(answer, None, [])
    for review in reviews:
        if review.element_id == element.pk:
            found.review = review
        else:
            found.others.append(review)
    return found


def answer_is_complete(answer, element) -> bool:
    """Complete means every descriptor rated, the element rated and what the school does written."""
    if answer is None or answer.rating is None or not answer.practice.strip():
        return False
    rated = {k for k, v in answer.ratings.items() if v is not None}
    return all(str(d.pk) in rated for d in element.descriptors.all())


@transaction.atomic
def assign_element(*, cycle, element, person, by):
    check(by, "assign_elements", cycle)
    if not person.memberships.filter(
        authority=cycle.authority, role=GIVEN_ELEMENTS, school=cycle.school
    ).exists():
        raise ValidationError({"person": "Choose a contributor at this school."})
    try:
        with transaction.atomic():
            assignment = Assignment.objects.create(cycle=cycle, element=element, person=person)
    except IntegrityError:
        raise ValidationError({"person": "This element is already given to them."}) from None
    record(
        authority=cycle.authority,
        actor=by,
        action="element.assigned",
        obj=cycle,
        school=cycle.school,
        person=person,
        after={"element": element.number, "person": person.pk},
    )
    return assignment


@transaction.atomic
def unassign_element(*, assignment, by):
    check(by, "assign_elements", assignment.cycle)
    record(
        authority=assignment.cycle.authority,
        actor=by,
        action="element.unassigned",
        obj=assignment.cycle,
        school=assignment.cycle.school,
        person=assignment.person,
        before={"element": assignment.element.number, "person": assignment.person_id},
    )
    assignment.delete()


@transaction.atomic
def submit_to_mentor(*, cycle, by) -> Cycle:
    cycle = lock_cycle(cycle)
    check(by, "submit", cycle)
    elements = elements_of(cycle)
    answers = {a.element_id: a for a in cycle.answers.all()}
    incomplete = [e for e in elements if not answer_is_complete(answers.get(e.pk), e)]
    if incomplete:
        names = ", ".join(str(e.number) for e in incomplete)
        raise TransitionError(
            "Complete every element before submitting: "
            f"element{'s' if len(incomplete) > 1 else ''} {names} "
            "still need every statement rated, an overall rating and what the school does."
        )
    Submission.objects.create(
        cycle=cycle,
        submitted_by=by,
        answers={
            str(a.element_id): {
                "rating": a.rating,
                "ratings": a.ratings,
                **{f: getattr(a, f) for f in ANSWER_TEXTS},
            }
            for a in answers.values()
        },
    )
    # The mentor's earlier return comment has been answered by this submission.
    return take("submit", cycle, by, submitted_at=timezone.now(), return_comment="")


@transaction.atomic
def review_element(*, cycle, element, by, rating=None, comment="", agree=False) -> ElementReview:
    """The mentor's autosave of one element: agree with the school's rating, choose a rating, or
    only the comment so far. A rating once chosen is changed, never taken away. Returns what it
    read, with the review as saved: what the reply shows."""
    cycle = lock_cycle(cycle)
    check(by, "review", cycle)
    errors = {}
    if rating is not None and rating not in Rating.values:
        errors["rating"] = "Choose one of the ratings shown."
    if len(comment) > REVIEW_COMMENT_LIMIT:
        errors["comment"] = (
            f"Keep the comment to {REVIEW_COMMENT_LIMIT:,} characters or fewer "
            f"(it has {len(comment):,})."
        )
    if errors:
        raise ValidationError(errors)
    found = element_review(cycle, element)
    school = found.answer.rating if found.answer else None
    if agree:
        rating = school
    review = found.review or MentorReview(cycle=cycle, element=element)
    review.cycle = cycle  # read, not queried again, by what hears of the save
    if rating is not None:
        review.rating, review.school_rating = rating, school
    review.comment = comment
    review.save()
    found.review = review
    return found


@transaction.atomic
def agree_with_remaining(*, cycle, by) -> list[Element]:
    """Agree with the school's rating on every element not decided (or decided before the school
    changed its rating); those agreed or adjusted stay as they are, comments and all."""
    cycle = lock_cycle(cycle)
    check(by, "review", cycle)
    now, agreed, new, changed = timezone.now(), [], [], []
    for row in element_rows(cycle):
        if row["decision"] in DECIDED or row["answer"] is None or row["answer"].rating is None:
            continue
        review = row["review"] or MentorReview(cycle=cycle, element=row["element"])
        review.rating = review.school_rating = row["answer"].rating
        review.updated_at = now
        (changed if review.pk else new).append(review)
        agreed.append(row["element"])
    MentorReview.objects.bulk_create(new)
    MentorReview.objects.bulk_update(changed, ["rating", "school_rating", "updated_at"])
    return agreed


@transaction.atomic
def return_to_school(*, cycle, by, comment) -> Cycle:
    cycle = lock_cycle(cycle)
    check(by, "return", cycle)
    if not comment.strip():
        raise ValidationError(
            {"comment": "Tell the school what to change before returning the self-review."}
        )
    return take("return", cycle, by, return_comment=comment.strip())


@transaction.atomic
def validate(*, cycle, by) -> Cycle:
    cycle = lock_cycle(cycle)
    check(by, "validate", cycle)
    missing = [r["element"].number for r in element_rows(cycle) if r["decision"] not in DECIDED]
    if missing:
        raise TransitionError(
            "Agree or adjust the rating of every element first: "
            f"element{'s' if len(missing) > 1 else ''} "
            f"{', '.join(map(str, missing))} still to do."
        )
    return take("validate", cycle, by, validated_at=timezone.now())


# The action plan


def lead_choices(cycle, target: Target | None = None):
    """Who may lead a target: the school's people, and the target's saved lead even if they have
    left since."""
    people = people_of_school(cycle.school)
    if target is None or not target.pk:
        return people
    saved = Target.objects.filter(pk=target.pk).values("lead")
    return User.objects.filter(Q(pk__in=people.values("pk")) | Q(pk__in=saved))


@transaction.atomic
def save_target(*, cycle, by, target: Target) -> Target:
    """Refused (ValidationError on "lead") when the lead is not a person of the school."""
    check(by, "plan_targets", cycle)
    if target.lead_id is None or not lead_choices(cycle, target).filter(pk=target.lead_id).exists():
        raise ValidationError({"lead": "Choose a person of the school to lead this target."})
    created = target.pk is None
    target.cycle = cycle
    target.lead_note = ""  # the person chosen replaces the lead as first written
    target.save()
    record(
        authority=cycle.authority,
        actor=by,
        action="target.created" if created else "target.changed",
        obj=target,
        school=cycle.school,
        after={
            "element": target.element.number,
            "status": target.status,
            "deadline": target.deadline.isoformat(),
        },
    )
    return target
