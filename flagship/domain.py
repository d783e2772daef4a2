"""The Flagship school's research project and the nine criteria of its review. Each change is one
function: the workflow's rule, the save and the audit log, in one transaction."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from assessments.domain import lock_cycle
from assessments.models import Cycle
from assessments.workflow import (
    TransitionError,
    check,
    leads_school,
    research_is_open,
)
from audit.domain import record, snapshot
from schools.models import School

from .models import (
    CRITERIA,
    CRITERION_TEXT,
    TEXT_LIMIT,
    CriterionCheck,
    KeyStep,
    ResearchOutput,
    ResearchProject,
)

PROJECT_FIELDS = ("question", "rationale", "started_on")
STEP_FIELDS = ("description", "owner", "starts_on", "due_on", "status")
OUTPUT_FIELDS = ("title", "kind", "published_in", "url", "year")


# The research project


def lock_reason(school) -> str:
    """Why the school's leads cannot change the research project now; empty if they can."""
    if research_is_open(None, school):
        return ""
    return (
        "The annual update has been submitted: the research project can be read but not changed "
        "until the panel has decided the review."
    )


def _require_editor(school, by, project=None):
    """The person first (their message is the one that helps), then the review's state."""
    if not leads_school(by, school):
        raise PermissionDenied(
            "Only the school's head teacher or coordinator can change its research project."
        )
    if reason := lock_reason(school):
        raise TransitionError(reason)
    if project is not None and project.ended_on is not None:
        raise TransitionError("This research project has ended: it is kept as it was.")


def current_project(school) -> ResearchProject | None:
    return ResearchProject.objects.filter(school=school, ended_on=None).first()


@transaction.atomic
def start_project(*, school, by, question, rationale, started_on=None) -> ResearchProject:
    """A school has one research project under way at a time."""
    # Two leads at once: one starts it.
    School.objects.select_for_update(no_key=True).get(pk=school.pk)
    _require_editor(school, by)
    if current_project(school):
        raise ValidationError(
            "The school already has a research project under way: end it before starting another."
        )
    project = ResearchProject.objects.create(
        authority=school.authority,
        school=school,
        question=question,
        rationale=rationale,
        started_on=started_on or timezone.localdate(),
    )
    record(
        authority=school.authority,
        actor=by,
        action="research.started",
        obj=project,
        school=school,
        after=snapshot(project, PROJECT_FIELDS),
    )
    return project


@transaction.atomic
def update_project(*, project, by, question, rationale, started_on) -> ResearchProject:
    _require_editor(project.school, by, project)
    before = snapshot(project, PROJECT_FIELDS)
    project.question, project.rationale, project.started_on = question, rationale, started_on
    project.save(update_fields=list(PROJECT_FIELDS))
    record(
        authority=project.authority,
        actor=by,
        action="research.changed",
        obj=project,
        school=project.school,
        before=before,
        after=snapshot(project, PROJECT_FIELDS),
    )
    return project


@transaction.atomic
def end_project(*, project, by, conclusion) -> ResearchProject:
    """End the project with what was found; it stays in the school's history, and the school can
    start its next one."""
    _require_editor(project.school, by, project)
    conclusion = conclusion.strip()
    if not conclusion:
        raise ValidationError({"conclusion": "Say what the research found before ending it."})
    project.ended_on = timezone.localdate()
    project.conclusion = conclusion
    project.save(update_fields=["ended_on", "conclusion"])
    record(
        authority=project.authority,
        actor=by,
        action="research.ended",
        obj=project,
        school=project.school,
        after={"ended_on": project.ended_on.isoformat()},
    )
    return project


@transaction.atomic
def save_step(*, project, by, step: KeyStep) -> KeyStep:
    _require_editor(project.school, by, project)
    if step.starts_on > step.due_on:
        raise ValidationError({"due_on": "The due date must be on or after the start."})
    created = step.pk is None
    step.project = project
    step.save()
    record(
        authority=project.authority,
        actor=by,
        action="research.step_added" if created else "research.step_changed",
        obj=step,
        school=project.school,
        after=snapshot(step, STEP_FIELDS),
    )
    return step


@transaction.atomic
def remove_step(*, step, by):
    project = step.project
    _require_editor(project.school, by, project)
    record(
        authority=project.authority,
        actor=by,
        action="research.step_removed",
        obj=step,
        school=project.school,
        before=snapshot(step, STEP_FIELDS),
    )
    step.delete()


@transaction.atomic
def save_output(*, project, by, output: ResearchOutput) -> ResearchOutput:
    _require_editor(project.school, by, project)
    created = output.pk is None
    output.project = project
    output.save()
    record(
        authority=project.authority,
        actor=by,
        action="research.output_added" if created else "research.output_changed",
        obj=output,
        school=project.school,
        after=snapshot(output, OUTPUT_FIELDS),
    )
    return output


@transaction.atomic
def remove_output(*, output, by):
    project = output.project
    _require_editor(project.school, by, project)
    record(
        authority=project.authority,
        actor=by,
        action="research.output_removed",
        obj=output,
        school=project.school,
        before=snapshot(output, OUTPUT_FIELDS),
    )
    output.delete()


# The nine criteria of a Flagship review


def criteria_rows(cycle) -> list[dict]:
    """Each criterion, in order, with its check in this review (None until something is written)."""
    checks = {c.key: c for c in cycle.flagship_criteria.all()}
    return [{"key": key, "text": text, "check": checks.get(key)} for key, text in CRITERIA]


def unconfirmed_criteria(cycle) -> list[str]:
    """The texts of the criteria the visiting moderator has not confirmed in this review: empty
    for any other kind of cycle. The ratification of a Flagship review waits for none."""
    if cycle.kind != Cycle.Kind.FLAGSHIP:
        return []
    confirmed = set(
        cycle.flagship_criteria.filter(verdict=CriterionCheck.Verdict.CONFIRMED).values_list(
            "key", flat=True
        )
    )
    return [text for key, text in CRITERIA if key not in confirmed]


@transaction.atomic
def save_evidence(*, cycle, by, evidence: dict) -> list[CriterionCheck]:
    """The school's evidence for each criterion (key -> text). Only the criteria whose text changed
    are saved; a criterion left out keeps what it had."""
    cycle = lock_cycle(cycle)
    check(by, "write_flagship_evidence", cycle)
    errors = {}
    for key, text in evidence.items():
        if key not in CRITERION_TEXT:
            errors[key] = "This is not one of the Flagship criteria."
        elif len(text) > TEXT_LIMIT:
            errors[key] = f"Keep this to {TEXT_LIMIT:,} characters or fewer (it has {len(text):,})."
    if errors:
        raise ValidationError(errors)
    checks = {c.key: c for c in cycle.flagship_criteria.all()}
    now, changed = timezone.now(), []
    for key, text in evidence.items():
        text = text.strip()
        row = checks.get(key) or CriterionCheck(cycle=cycle, key=key)
        if row.pk and row.evidence == text:
            continue
        if row.pk is None and not text:
            continue
        row.evidence, row.evidence_by, row.evidence_at = text, by, now
        row.save()
        changed.append(row)
    if changed:
        record(
            authority=cycle.authority,
            actor=by,
            action="flagship.evidence_written",
            obj=cycle,
            school=cycle.school,
            after={"criteria": [row.key for row in changed]},
        )
    return changed


@transaction.atomic
def confirm_criteria(*, cycle, by, verdicts: dict) -> list[CriterionCheck]:
    """The visiting moderator's verdict on criteria (key -> (verdict, comment)): confirmed, or not
    yet with what is missing. A criterion left out keeps its verdict."""
    cycle = lock_cycle(cycle)
    check(by, "confirm_criteria", cycle)
    errors = {}
    for key, (verdict, comment) in verdicts.items():
        if key not in CRITERION_TEXT:
            errors[key] = "This is not one of the Flagship criteria."
        elif verdict not in CriterionCheck.Verdict.values:
            errors[key] = "Choose confirmed or not yet."
        elif verdict == CriterionCheck.Verdict.NOT_YET and not comment.strip():
            errors[key] = "Say what the school still needs to show for this criterion."
        elif len(comment) > 2000:
            errors[key] = (
                f"Keep the comment to 2,000 characters or fewer (it has {len(comment):,})."
            )
    if errors:
        raise ValidationError(errors)
    checks = {c.key: c for c in cycle.flagship_criteria.all()}
    now, changed = timezone.now(), []
    for key, (verdict, comment) in verdicts.items():
        row = checks.get(key) or CriterionCheck(cycle=cycle, key=key)
        comment = comment.strip()
        if row.pk and (row.verdict, row.comment) == (verdict, comment):
            continue
        row.verdict, row.comment, row.verdict_by, row.verdict_at = verdict, comment, by, now
        row.save()
        changed.append(row)
    if changed:
        # A moderator's signature stands for the verdicts it saw: a changed one is signed afresh.
        if ratification := getattr(cycle, "ratification", None):
            ratification.signed_by.clear()
        record(
            authority=cycle.authority,
            actor=by,
            action="flagship.criteria_confirmed",
            obj=cycle,
            school=cycle.school,
            after={"verdicts": {row.key: row.verdict for row in changed}},
        )
    return changed
