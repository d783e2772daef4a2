"""The research project of a school and the nine criteria of a Flagship review. Who may see and
change them is the workflow's (`assessments/workflow.py`); the rules are in `domain.py`."""

from itertools import groupby

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from assessments import workflow
from assessments.access import get_cycle
from assessments.models import Cycle
from assessments.workflow import TransitionError
from authorities.access import authority_view
from schools.models import School

from . import domain
from .forms import ConfirmForm, EndForm, EvidenceForm, KeyStepForm, OutputForm, ProjectForm
from .models import CriterionCheck, KeyStep, ResearchOutput, ResearchProject


def _school(request, school_pk) -> School:
    """Another authority's school, and one whose research the person may not read, are not found."""
    school = get_object_or_404(School, pk=school_pk)
    if not workflow.may_view_research.test(request.user, school):
        raise Http404("No such school.")
    return school


def _editable_project(request, school_pk) -> ResearchProject:
    school = _school(request, school_pk)
    if not workflow.leads_school.test(request.user, school):
        raise PermissionDenied
    project = domain.current_project(school)
    if project is None:
        raise Http404("The school has no research project under way.")
    return project


def _refused(request, error, school):
    messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    return redirect("flagship:research", request.authority.slug, school.pk)


def _by_year(outputs):
    return [(year, list(rows)) for year, rows in groupby(outputs, key=lambda o: o.year)]


@authority_view()
def research(request, authority_slug, school_pk):
    """The project under way, its key steps and its outputs by year; then the ended projects."""
    school = _school(request, school_pk)
    projects = list(
        ResearchProject.objects.filter(school=school).prefetch_related("steps", "outputs")
    )
    current = next((p for p in projects if p.ended_on is None), None)
    leads = workflow.leads_school.test(request.user, school)
    lock_reason = domain.lock_reason(school) if leads else ""
    return render(
        request,
        "flagship/research.html",
        {
            "school": school,
            "project": current,
            "outputs_by_year": _by_year(current.outputs.all()) if current else [],
            "history": [
                {"project": p, "outputs_by_year": _by_year(p.outputs.all())}
                for p in projects
                if p.ended_on is not None
            ],
            "can_edit": leads and not lock_reason,
            "today": timezone.localdate(),
            "lock_reason": lock_reason,
        },
    )


@authority_view()
def research_form(request, authority_slug, school_pk):
    """Start the school's research project, or change its question and why."""
    school = _school(request, school_pk)
    if not workflow.leads_school.test(request.user, school):
        raise PermissionDenied
    project = domain.current_project(school)
    form = ProjectForm(request.POST if request.method == "POST" else None, instance=project)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if project is None:
                domain.start_project(school=school, by=request.user, **data)
            else:
                domain.update_project(project=project, by=request.user, **data)
        except (TransitionError, ValidationError) as error:
            return _refused(request, error, school)
        messages.success(request, "The research project is saved.")
        return redirect("flagship:research", authority_slug, school.pk)
    return render(
        request, "flagship/project_form.html", {"school": school, "project": project, "form": form}
    )


@authority_view()
def research_end(request, authority_slug, school_pk):
    project = _editable_project(request, school_pk)
    school = project.school
    form = EndForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            domain.end_project(project=project, by=request.user, **form.cleaned_data)
        except (TransitionError, ValidationError) as error:
            return _refused(request, error, school)
        messages.success(request, "The research project has ended. It is kept below.")
        return redirect("flagship:research", authority_slug, school.pk)
    return render(
        request, "flagship/end_form.html", {"school": school, "project": project, "form": form}
    )


@authority_view()
def step_form(request, authority_slug, school_pk, step_pk=None):
    project = _editable_project(request, school_pk)
    step = get_object_or_404(KeyStep, pk=step_pk, project=project) if step_pk else KeyStep()
    form = KeyStepForm(request.POST if request.method == "POST" else None, instance=step)
    if request.method == "POST" and form.is_valid():
        try:
            domain.save_step(project=project, by=request.user, step=form.instance)
        except (TransitionError, ValidationError) as error:
            return _refused(request, error, project.school)
        messages.success(request, "The key step is saved.")
        return redirect("flagship:research", authority_slug, project.school_id)
    return render(
        request,
        "flagship/step_form.html",
        {"school": project.school, "project": project, "step": step, "form": form},
    )


@require_POST
@authority_view()
def step_remove(request, authority_slug, school_pk, step_pk):
    project = _editable_project(request, school_pk)
    step = get_object_or_404(KeyStep, pk=step_pk, project=project)
    try:
        domain.remove_step(step=step, by=request.user)
    except TransitionError as error:
        return _refused(request, error, project.school)
    messages.success(request, f"“{step.description}” removed.")
    return redirect("flagship:research", authority_slug, project.school_id)


@authority_view()
def output_form(request, authority_slug, school_pk, output_pk=None):
    project = _editable_project(request, school_pk)
    output = (
        get_object_or_404(ResearchOutput, pk=output_pk, project=project)
        if output_pk
        else ResearchOutput()
    )
    form = OutputForm(request.POST if request.method == "POST" else None, instance=output)
    if request.method == "POST" and form.is_valid():
        try:
            domain.save_output(project=project, by=request.user, output=form.instance)
        except (TransitionError, ValidationError) as error:
            return _refused(request, error, project.school)
        messages.success(request, "The output is saved.")
        return redirect("flagship:research", authority_slug, project.school_id)
    return render(
        request,
        "flagship/output_form.html",
        {"school": project.school, "project": project, "output": output, "form": form},
    )


@require_POST
@authority_view()
def output_remove(request, authority_slug, school_pk, output_pk):
    project = _editable_project(request, school_pk)
    output = get_object_or_404(ResearchOutput, pk=output_pk, project=project)
    try:
        domain.remove_output(output=output, by=request.user)
    except TransitionError as error:
        return _refused(request, error, project.school)
    messages.success(request, f"“{output.title}” removed.")
    return redirect("flagship:research", authority_slug, project.school_id)


def _flagship_review(request, cycle_pk) -> Cycle:
    cycle = get_cycle(request, cycle_pk)
    if cycle.kind != Cycle.Kind.FLAGSHIP:
        raise Http404("The Flagship criteria belong to a Flagship review.")
    return cycle


def _criteria_page(request, cycle, evidence_form=None, confirm_form=None, status=200):
    rows = domain.criteria_rows(cycle)
    actions = workflow.allowed(request.user, cycle)
    if evidence_form is None and "write_flagship_evidence" in actions:
        evidence_form = EvidenceForm(rows=rows)
    if confirm_form is None and "confirm_criteria" in actions:
        confirm_form = ConfirmForm(rows=rows)
    return render(
        request,
        "flagship/criteria.html",
        {
            "cycle": cycle,
            "rows": rows,
            "evidence_form": evidence_form,
            "confirm_form": confirm_form,
            "see_verdicts": workflow.may_see_verdicts.test(request.user, cycle),
            "confirmed": sum(
                1
                for r in rows
                if r["check"] and r["check"].verdict == CriterionCheck.Verdict.CONFIRMED
            ),
        },
        status=status,
    )


@authority_view()
def criteria(request, authority_slug, cycle_pk):
    """The nine criteria: the school's evidence for each and, once the visit is ratified (and for
    the visiting moderators and the admin before), the moderator's verdict."""
    return _criteria_page(request, _flagship_review(request, cycle_pk))


@require_POST
@authority_view()
def criteria_evidence(request, authority_slug, cycle_pk):
    cycle = _flagship_review(request, cycle_pk)
    form = EvidenceForm(request.POST, rows=domain.criteria_rows(cycle))
    if form.is_valid():
        try:
            domain.save_evidence(cycle=cycle, by=request.user, evidence=form.cleaned_data)
        except TransitionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "The evidence is saved.")
        return redirect("flagship:criteria", authority_slug, cycle.pk)
    return _criteria_page(request, cycle, evidence_form=form)


@require_POST
@authority_view()
def criteria_confirm(request, authority_slug, cycle_pk):
    cycle = _flagship_review(request, cycle_pk)
    form = ConfirmForm(request.POST, rows=domain.criteria_rows(cycle))
    if form.is_valid():
        try:
            domain.confirm_criteria(cycle=cycle, by=request.user, verdicts=form.verdicts())
        except TransitionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Your verdicts are saved.")
        return redirect("flagship:criteria", authority_slug, cycle.pk)
    return _criteria_page(request, cycle, confirm_form=form)
