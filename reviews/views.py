from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from assessments import workflow
from assessments.access import get_cycle
from assessments.models import Element
from assessments.workflow import TransitionError
from authorities.access import authority_view

from . import domain
from .forms import PriorityForm, RatificationForm, UpdateForm
from .models import Priority, Update


def _review(request, cycle_pk, **read):
    """A review the visitor may see; an assessment has no annual review pages. `read`: what
    else the page reads of the cycle (get_cycle's `related` and `prefetch`)."""
    cycle = get_cycle(request, cycle_pk, **read)
    if cycle.kind not in workflow.REVIEW_KINDS:
        raise Http404
    return cycle


def _error(error):
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "You cannot do this."


@authority_view()
def update(request, authority_slug, cycle_pk):
    """The review's own page: the annual update as a task list, and the review's other pages."""
    # The later stages' records, read with the cycle: the links to its pages ask which exist.
    cycle = _review(request, cycle_pk, related=["visit", "report", "ratification", "panel_vote"])
    rows = domain.update_rows(cycle)
    actions = workflow.allowed(request.user, cycle)
    return render(
        request,
        "reviews/update.html",
        {
            "cycle": cycle,
            "rows": rows,
            "complete": sum(1 for r in rows if r["status"] == "complete"),
            "actions": actions,
            "pages": workflow.pages(request.user, cycle, actions),
            "activities": domain.cluster_year(cycle),
        },
    )


@authority_view()
def update_element(request, authority_slug, cycle_pk, element_pk):
    cycle = _review(request, cycle_pk)
    element = get_object_or_404(Element, pk=element_pk, framework=cycle.framework_id)
    the_update = (
        Update.objects.filter(cycle=cycle, element=element).select_related("updated_by").first()
    )
    editable = workflow.STEPS["write_update"].test(request.user, cycle)
    context = {"cycle": cycle, "element": element, "update": the_update, "editable": editable}
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        form = UpdateForm(request.POST)
        status = 200
        if not form.is_valid():
            status = 422
        else:
            data = form.cleaned_data
            try:
                the_update = domain.save_update(
                    cycle=cycle,
                    element=element,
                    by=request.user,
                    version=data["version"],
                    data={f: data[f] for f in domain.UPDATE_TEXTS},
                )
            except domain.StaleUpdate as stale:
                context.update(conflict=stale.current, mine=data)
                status = 409
            except (TransitionError, PermissionDenied) as error:
                form.add_error(None, str(error))
                status = 422
            else:
                context["update"] = the_update
                form = _update_form(the_update)
        context["form"] = form
        if request.htmx:
            return render(request, "reviews/_save_status.html", context, status=status)
        if status == 200:
            messages.success(request, f"Element {element.number} saved.")
            return redirect("reviews:update_element", authority_slug, cycle.pk, element.pk)
        return render(request, "reviews/update_element.html", context, status=status)
    context["form"] = _update_form(the_update)
    return render(request, "reviews/update_element.html", context)


def _update_form(the_update):
    if the_update is None:
        return UpdateForm(initial={"version": 0})
    return UpdateForm(
        initial={
            "version": the_update.version,
            **{f: getattr(the_update, f) for f in domain.UPDATE_TEXTS},
        }
    )


@require_POST
@authority_view()
def submit(request, authority_slug, cycle_pk):
    cycle = _review(request, cycle_pk)
    try:
        domain.submit_update(cycle=cycle, by=request.user)
    except (TransitionError, PermissionDenied) as error:
        messages.error(request, _error(error))
    else:
        messages.success(
            request, "The annual update is submitted; the mentor and the panel chair are told."
        )
    return redirect("reviews:update", authority_slug, cycle.pk)


@authority_view()
def ratification(request, authority_slug, cycle_pk):
    cycle = _review(
        request, cycle_pk, related=["visit", "ratification"], prefetch=["ratification__signed_by"]
    )
    # Who moderates the visit and who may not (workflow's predicates), in one query.
    workflow.read_facts([cycle])
    actions = workflow.allowed(request.user, cycle)
    editable = "write_ratification" in actions
    the_ratification = getattr(cycle, "ratification", None)  # begun on the first save
    if not editable:
        if the_ratification is None:
            raise Http404
        if not workflow.may_see_ratification.test(request.user, cycle):
            raise PermissionDenied
    elements = list(cycle.framework.elements.all())
    progress = (
        {p.element_id: p for p in the_ratification.progress.all()} if the_ratification else {}
    )
    initial = {"version": 0}
    if the_ratification:
        initial = {
            "version": the_ratification.version,
            "summary": the_ratification.summary,
            "recommendation": the_ratification.recommendation,
        }
        for element_id, p in progress.items():
            initial |= {f"judgement-{element_id}": p.judgement, f"comment-{element_id}": p.comment}
    form = RatificationForm(
        request.POST if request.method == "POST" else None, elements=elements, initial=initial
    )
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                domain.save_ratification(
                    cycle=cycle,
                    by=request.user,
                    version=data["version"],
                    summary=data["summary"],
                    recommendation=data["recommendation"],
                    progress=form.progress(),
                )
            except ValidationError as error:
                form.add_error(None, error)
            except (TransitionError, PermissionDenied) as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request, "Ratification saved. Every visiting moderator signs it when finished."
                )
                return redirect("reviews:ratification", authority_slug, cycle.pk)
    updates = {u.element_id: u for u in cycle.updates.all()}
    return render(
        request,
        "reviews/ratification.html",
        {
            "cycle": cycle,
            "ratification": the_ratification,
            "form": form,
            "editable": editable,
            "rows": [(e, progress.get(e.pk)) for e in elements],
            "groups": [(e, fields, updates.get(e.pk)) for e, fields in form.element_groups()],
            "priorities": list(the_ratification.priorities.select_related("element"))
            if the_ratification
            else [],
            "priority_form": PriorityForm(cycle=cycle, elements=elements) if editable else None,
            "moderators": len(workflow.moderator_ids(cycle)),
            "can_sign": "ratify" in actions,
            "signers": [str(u) for u in the_ratification.signed_by.all()]
            if the_ratification
            else [],
        },
    )


@require_POST
@authority_view()
def priority_add(request, authority_slug, cycle_pk):
    cycle = _review(request, cycle_pk)
    form = PriorityForm(request.POST, cycle=cycle)
    try:
        if not form.is_valid():
            raise ValidationError(
                [f"{form[f].label}: {e}" for f, es in form.errors.items() for e in es]
            )
        domain.add_priority(cycle=cycle, by=request.user, **form.cleaned_data)
    except (TransitionError, ValidationError, PermissionDenied) as error:
        messages.error(request, _error(error))
    else:
        messages.success(request, "Priority added to the development plan.")
    return redirect("reviews:ratification", authority_slug, cycle.pk)


@require_POST
@authority_view()
def priority_remove(request, authority_slug, cycle_pk, priority_pk):
    cycle = _review(request, cycle_pk)
    priority = get_object_or_404(Priority, pk=priority_pk, ratification__cycle=cycle)
    try:
        domain.remove_priority(cycle=cycle, by=request.user, priority=priority)
    except (TransitionError, ValidationError, PermissionDenied) as error:
        messages.error(request, _error(error))
    else:
        messages.success(request, "Priority removed.")
    return redirect("reviews:ratification", authority_slug, cycle.pk)


@require_POST
@authority_view()
def sign(request, authority_slug, cycle_pk):
    cycle = _review(request, cycle_pk)
    try:
        domain.ratify(cycle=cycle, by=request.user)
    except (TransitionError, PermissionDenied) as error:
        messages.error(request, _error(error))
    else:
        messages.success(request, "You have signed the ratification.")
    return redirect("reviews:ratification", authority_slug, cycle.pk)
