from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from authorities.access import ADMIN, authority_view

from . import domain, outcomes, workflow
from .access import get_cycle
from .charts import rating_chart
from .forms import (
    AnswerForm,
    AssignmentForm,
    FrameworkImportForm,
    ReturnForm,
    ReviewForm,
    StartCycleForm,
    TargetForm,
)
from .frameworks import FrameworkFileError
from .models import (
    Answer,
    Assignment,
    Element,
    FrameworkVersion,
    MentorReview,
    Rating,
    Target,
)
from .ratings import SHOWN_FROM, shown_averages


def _refused(request, error):
    messages.error(request, str(error) or "You cannot do this.")


def _require(predicate, request, cycle):
    if not predicate.test(request.user, cycle):
        raise PermissionDenied


@authority_view()
def cycle_list(request, authority_slug):
    cycles = workflow.visible_cycles(request.user, request.authority)
    if request.GET.get("mine"):
        cycles = cycles.filter(mentor=request.user)
    cycles = cycles.select_related("school", "mentor").order_by("school__name", "-created_at")
    page = Paginator(cycles, 25).get_page(request.GET.get("page"))
    return render(request, "assessments/cycle_list.html", {"page": page})


@authority_view(*ADMIN)
def cycle_start(request, authority_slug):
    form = StartCycleForm(
        request.POST if request.method == "POST" else None,
        # The school (and what else was chosen) from the school's page or the form's own refresh.
        initial={name: request.GET.get(name) for name in ("school", "kind", "mentor")},
        authority=request.authority,
    )
    if request.method == "POST" and form.is_valid():
        try:
            cycle = domain.start_cycle(
                authority=request.authority, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, f"{cycle.school.name} is registered, with {cycle.mentor} as mentor."
            )
            return redirect("assessments:cycle", authority_slug, cycle.pk)
    return render(
        request,
        "assessments/cycle_start.html",
        # No mentor in the authority: no school can be registered until one is invited.
        {"form": form, "no_mentor": not form.fields["mentor"].queryset.exists()},
    )


@authority_view()
def cycle_detail(request, authority_slug, cycle_pk):
    # The later stages' records, which its links and outcome read: one query with the cycle.
    cycle = get_cycle(request, cycle_pk, related=["visit", "report", "ratification", "panel_vote"])
    if cycle.kind in workflow.REVIEW_KINDS:  # a review's page is its annual update
        return redirect("reviews:update", authority_slug, cycle.pk)
    user = request.user
    see_review = workflow.may_see_mentor_review.test(user, cycle)
    rows = domain.element_rows(cycle, with_reviews=see_review)
    complete = sum(1 for r in rows if r["status"] == "complete")
    previous = {}
    if cycle.previous_id:
        previous = {
            a.element_id: a.rating for a in Answer.objects.filter(cycle_id=cycle.previous_id)
        }
    averages = shown_averages(cycle.framework_id)
    chart_rows = [
        {
            "label": f"{r['element'].number}. {r['element'].title}",
            "school": r["answer"].rating if r["answer"] else None,
            "mentor": r["review"].rating if r["review"] else None,
            "previous": previous.get(r["element"].maps_from_id or r["element"].pk)
            if cycle.previous_id
            else None,
            "average": averages.get(r["element"].pk),
        }
        for r in rows
    ]
    given = {}
    for assignment in cycle.assignments.select_related("person").order_by("person__full_name"):
        given.setdefault(assignment.element_id, []).append(assignment.person)
    for row in rows:
        row["given_to"] = given.get(row["element"].pk, [])
        row["yours"] = user in row["given_to"]
    actions = workflow.allowed(user, cycle)
    outcome = outcomes.outcome_of(cycle, for_school=workflow.is_school_staff.test(user, cycle))
    return render(
        request,
        "assessments/cycle_detail.html",
        {
            "cycle": cycle,
            "case_name": outcomes.case_name(cycle, outcome),
            "outcome": outcome,
            "mine": [row for row in rows if row["yours"]],
            "rows": rows,
            "complete": complete,
            "chart": rating_chart(
                chart_rows,
                with_mentor=see_review,
                with_previous=bool(cycle.previous_id),
                with_average=bool(averages),
            ),
            "averages_shown_from": SHOWN_FROM,
            "chart_rows": chart_rows,
            "ratings": Rating,
            "actions": actions,
            "see_review": see_review,
            "pages": workflow.pages(user, cycle, actions),
        },
    )


def _element(cycle, element_pk):
    """The element of the cycle's framework with this id, else a 404 (a forged form's missing or
    non-numeric id too)."""
    try:
        element = domain.element_of(cycle, int(element_pk))
    except (TypeError, ValueError):
        element = None
    if element is None:
        raise Http404("The cycle's framework has no such element.")
    return element


@authority_view()
def element_detail(request, authority_slug, cycle_pk, element_pk):
    cycle = get_cycle(request, cycle_pk)
    element = _element(cycle, element_pk)
    descriptors = list(element.descriptors.all())
    if request.method == "POST":
        return _save_element(request, cycle, element, descriptors)
    answer = _answer(cycle, element)
    context = {
        "form": _answer_form(answer, descriptors),
        "version": answer.version if answer else 0,
    }
    return render(
        request, "assessments/element.html", _element_page(request, cycle, element, answer, context)
    )


def _save_element(request, cycle, element, descriptors):
    """The element's autosave: check, save and answer with the save's status alone (htmx); the
    rest of the page is read only when the page is sent without its script and comes back."""
    form = AnswerForm(request.POST, descriptors=descriptors)
    context = {"form": form, "version": form["version"].value()}
    status = 422
    if form.is_valid():
        try:
            answer = domain.save_answer(
                cycle=cycle,
                element=element,
                by=request.user,
                version=form.cleaned_data["version"],
                data=form.answer_data(),
            )
        except domain.Stale as stale:
            context.update(conflict=stale.current, mine=form.answer_data())
            status = 409
        except domain.TransitionError as error:
            form.add_error(None, str(error))
        except PermissionDenied as error:
            form.add_error(None, str(error))
            status = 403
        else:
            context.update(answer=answer, version=answer.version)
            status = 200
    if request.htmx:
        return render(request, "assessments/_save_status.html", context, status=status)
    if status == 200:
        messages.success(request, f"Element {element.number} saved.")
        return redirect("assessments:element", request.authority.slug, cycle.pk, element.pk)
    answer = _answer(cycle, element)
    return render(
        request,
        "assessments/element.html",
        _element_page(request, cycle, element, answer, context),
        status=status,
    )


def _answer(cycle, element):
    return Answer.objects.filter(cycle=cycle, element=element).select_related("updated_by").first()


def _element_page(request, cycle, element, answer, context) -> dict:
    """The element page's context beside its form's: the answer, whether the person may edit it
    and the mentor's review when they may see it."""
    editable = domain.can_edit_element(request.user, cycle, element)
    return {
        "cycle": cycle,
        "element": element,
        "answer": answer,
        "editable": editable,
        # School staff who could be given this element by their coordinator.
        "not_given": not editable
        and cycle.state in workflow.SCHOOL_EDITS
        and workflow.is_school_staff.test(request.user, cycle),
        "review": MentorReview.objects.filter(cycle=cycle, element=element).first()
        if workflow.may_see_mentor_review.test(request.user, cycle)
        else None,
        **context,
    }


def _answer_form(answer, descriptors):
    initial = {"version": 0}
    if answer is not None:
        initial = {
            "version": answer.version,
            "rating": answer.rating,
            **{f: getattr(answer, f) for f in domain.ANSWER_TEXTS},
            **{f"descriptor-{k}": v for k, v in answer.ratings.items()},
        }
    return AnswerForm(initial=initial, descriptors=descriptors)


@authority_view()
def cycle_submit_check(request, authority_slug, cycle_pk):
    """Check before submitting to the mentor: what is sent, what follows, who is told."""
    cycle = get_cycle(request, cycle_pk)
    try:
        workflow.check(request.user, "submit", cycle)
    except domain.TransitionError as error:
        _refused(request, error)
        return redirect("assessments:cycle", authority_slug, cycle.pk)
    rows = domain.element_rows(cycle, with_reviews=False)
    incomplete = [r for r in rows if r["status"] != "complete"]
    return render(
        request,
        "assessments/submit_check.html",
        {
            "cycle": cycle,
            "rows": rows,
            "complete": len(rows) - len(incomplete),
            "incomplete": incomplete,
            "blocked": "Complete every element listed above first." if incomplete else "",
            "step": workflow.STEPS["submit"],
            "told": workflow.told_of(cycle, "submit"),
            "confirm_url": reverse("assessments:submit", args=[authority_slug, cycle.pk]),
            "confirm_label": "Submit to the mentor",
            "back_url": reverse("assessments:cycle", args=[authority_slug, cycle.pk]),
        },
    )


@require_POST
@authority_view()
def cycle_submit(request, authority_slug, cycle_pk):
    cycle = get_cycle(request, cycle_pk)
    try:
        domain.submit_to_mentor(cycle=cycle, by=request.user)
    except (domain.TransitionError, PermissionDenied) as error:
        _refused(request, error)
    else:
        messages.success(request, f"The self-review has been sent to {cycle.mentor}.")
    return redirect("assessments:cycle", authority_slug, cycle.pk)


@authority_view()
def assignments(request, authority_slug, cycle_pk):
    cycle = get_cycle(request, cycle_pk)
    _require(workflow.is_school_lead, request, cycle)
    form = AssignmentForm(request.POST if request.method == "POST" else None, cycle=cycle)
    if request.method == "POST" and form.is_valid():
        try:
            domain.assign_element(cycle=cycle, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        except (domain.TransitionError, PermissionDenied) as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"Element {form.cleaned_data['element'].number} "
                f"given to {form.cleaned_data['person']}.",
            )
            return redirect("assessments:assignments", authority_slug, cycle.pk)
    given = cycle.assignments.select_related("element", "person").order_by(
        "element__number", "person__full_name"
    )
    return render(
        request, "assessments/assignments.html", {"cycle": cycle, "form": form, "given": given}
    )


@require_POST
@authority_view()
def unassign(request, authority_slug, cycle_pk, assignment_pk):
    cycle = get_cycle(request, cycle_pk)
    assignment = get_object_or_404(
        Assignment.objects.select_related("element", "person"), pk=assignment_pk, cycle=cycle
    )
    try:
        domain.unassign_element(assignment=assignment, by=request.user)
    except (domain.TransitionError, PermissionDenied) as error:
        _refused(request, error)
    else:
        messages.success(
            request, f"Element {assignment.element.number} taken back from {assignment.person}."
        )
    return redirect("assessments:assignments", authority_slug, cycle.pk)


@authority_view()
def review(request, authority_slug, cycle_pk):
    """The mentor's page: the school's answers element by element, and the mentor's decision on
    each, saved as they make it; read-only for the admin, and for the school once validated."""
    cycle = get_cycle(request, cycle_pk, annotate={"element_count": domain.element_count()})
    _require(workflow.may_see_mentor_review, request, cycle)
    if request.method != "POST":
        return _review_page(request, cycle)
    # The domain refuses a save the workflow does not allow, so a page left open after a
    # return or validation is told why in its status rather than sent an error page.
    element = _element(cycle, request.POST.get("element"))
    form = ReviewForm(request.POST, prefix=f"e{element.pk}")
    status, reviewed = 200, None
    if not form.is_valid():
        status = 422
    else:
        try:
            reviewed = domain.review_element(
                cycle=cycle, element=element, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            for field, messages_ in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages_)
            status = 422
        except (domain.TransitionError, PermissionDenied) as error:
            form.add_error(None, str(error))
            status = 422
    if request.htmx:  # the element's status and the count alone: no other element's form
        reviewed = reviewed or domain.element_review(cycle, element)
        row = {
            "element": element,
            "answer": reviewed.answer,
            "review": reviewed.review,
            "decision": reviewed.decision,
            "form": form if status != 200 else None,
        }
        return render(
            request,
            "assessments/_review_status.html",
            {
                "cycle": cycle,
                "row": row,
                "decided": reviewed.decided,
                "element_count": cycle.element_count,
            },
            status=status,
        )
    if status == 200:
        messages.success(request, f"Your decision on element {element.number} is saved.")
        return HttpResponseRedirect(
            reverse("assessments:review", args=[authority_slug, cycle.pk])
            + f"#element-{element.pk}"
        )
    return _review_page(request, cycle, invalid=(element, form), status=status)


def _review_rows(cycle, invalid=None):
    """The elements with the mentor's decision and its form (`invalid`: an element and the form
    it was refused with), and the school's statement ratings."""
    invalid_element, invalid_form = invalid or (None, None)
    rows = domain.element_rows(cycle)
    for row in rows:
        element, answer, review = row["element"], row["answer"], row["review"]
        ratings = answer.ratings if answer else {}
        row["statements"] = [
            (d, Rating(ratings[str(d.pk)]).label if ratings.get(str(d.pk)) is not None else None)
            for d in element.descriptors.all()
        ]
        if element == invalid_element:
            row["form"] = invalid_form
        else:
            row["form"] = ReviewForm(
                prefix=f"e{element.pk}",
                initial={"rating": review.rating, "comment": review.comment} if review else {},
            )
        school = answer.rating if answer else None
        # The "agree" button picks the radio of the school's rating, then saves.
        row["agree"] = str(school) if school is not None else ""
    return rows


def _decided(rows):
    return sum(1 for r in rows if r["decision"] in domain.DECIDED)


def _review_page(request, cycle, *, invalid=None, refused=False, status=200):
    rows = _review_rows(cycle, invalid)
    return render(
        request,
        "assessments/review.html",
        {
            "cycle": cycle,
            "rows": rows,
            "decided": _decided(rows),
            "element_count": len(rows),
            "undecided": [r for r in rows if r["decision"] not in domain.DECIDED]
            if refused
            else [],
            "return_form": ReturnForm(),
            "can_act": workflow.STEPS["review"].test(request.user, cycle),
        },
        status=status,
    )


@require_POST
@authority_view()
def agree_with_remaining(request, authority_slug, cycle_pk):
    cycle = get_cycle(request, cycle_pk)
    try:
        agreed = domain.agree_with_remaining(cycle=cycle, by=request.user)
    except (domain.TransitionError, PermissionDenied) as error:
        _refused(request, error)
    else:
        if agreed:
            numbers = ", ".join(str(e.number) for e in agreed)
            messages.success(
                request,
                f"You agreed with the school's rating of element{pluralize(len(agreed))} "
                f"{numbers}.",
            )
        else:
            messages.info(request, "Every element was already decided: nothing has changed.")
    return redirect("assessments:review", authority_slug, cycle.pk)


@require_POST
@authority_view()
def cycle_return(request, authority_slug, cycle_pk):
    cycle = get_cycle(request, cycle_pk)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            domain.return_to_school(
                cycle=cycle, by=request.user, comment=form.cleaned_data["comment"]
            )
        except (domain.TransitionError, PermissionDenied) as error:
            _refused(request, error)
        else:
            messages.success(
                request,
                "The self-review is back with the school, with your comments. Your decisions "
                "on its elements are kept for when it comes back.",
            )
            return redirect("assessments:cycle", authority_slug, cycle.pk)
    else:
        messages.error(request, form.errors["comment"][0])
    return redirect("assessments:review", authority_slug, cycle.pk)


@require_POST
@authority_view()
def cycle_validate(request, authority_slug, cycle_pk):
    cycle = get_cycle(request, cycle_pk)
    try:
        domain.validate(cycle=cycle, by=request.user)
    except (domain.TransitionError, PermissionDenied) as error:
        if workflow.STEPS["validate"].test(request.user, cycle):
            # Theirs to validate, with elements still to decide: the page says which.
            return _review_page(request, cycle, refused=True, status=422)
        _refused(request, error)
        return redirect("assessments:review", authority_slug, cycle.pk)
    messages.success(
        request, "The self-review is validated. The school can see your ratings and comments."
    )
    return redirect("assessments:cycle", authority_slug, cycle.pk)


@authority_view()
def compare(request, authority_slug, cycle_pk):
    """The audit as the school submitted it beside the mentor's validated ratings, differences
    marked."""
    cycle = get_cycle(request, cycle_pk)
    _require(workflow.may_see_mentor_review, request, cycle)
    submission = cycle.submissions.first()
    submitted = submission.answers if submission else {}
    reviews = {r.element_id: r for r in cycle.reviews.all()}
    rows = []
    for element in domain.elements_of(cycle):
        school = submitted.get(str(element.pk), {}).get("rating")
        review_ = reviews.get(element.pk)
        mentor = review_.rating if review_ else None
        rows.append(
            {
                "element": element,
                "school": school,
                "school_label": Rating(school).label if school is not None else "–",
                "mentor": mentor,
                "mentor_label": Rating(mentor).label if mentor is not None else "–",
                "comment": review_.comment if review_ else "",
                "differs": mentor is not None and mentor != school,
                "practice": submitted.get(str(element.pk), {}).get("practice", ""),
            }
        )
    return render(
        request,
        "assessments/compare.html",
        {"cycle": cycle, "submission": submission, "rows": rows},
    )


# Action plan


@authority_view()
def plan(request, authority_slug, cycle_pk):
    cycle = get_cycle(request, cycle_pk)
    targets = cycle.targets.select_related("element", "lead")
    return render(
        request,
        "assessments/plan.html",
        {
            "cycle": cycle,
            "targets": targets,
            "can_plan": workflow.STEPS["plan_targets"].test(request.user, cycle),
            "today": timezone.localdate(),
        },
    )


@authority_view()
def target_edit(request, authority_slug, cycle_pk, target_pk=None):
    cycle = get_cycle(request, cycle_pk)
    _require(workflow.STEPS["plan_targets"], request, cycle)
    target = (
        get_object_or_404(Target, pk=target_pk, cycle=cycle) if target_pk else Target(cycle=cycle)
    )
    form = TargetForm(
        request.POST if request.method == "POST" else None, instance=target, cycle=cycle
    )
    if request.method == "POST" and form.is_valid():
        try:
            domain.save_target(cycle=cycle, by=request.user, target=form.instance)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Target saved.")
            return redirect("assessments:plan", authority_slug, cycle.pk)
    return render(
        request, "assessments/target_form.html", {"cycle": cycle, "form": form, "target": target}
    )


# Framework versions


@authority_view(*ADMIN)
def frameworks(request, authority_slug):
    form = FrameworkImportForm(
        request.POST if request.method == "POST" else None, request.FILES or None
    )
    if request.method == "POST" and form.is_valid():
        try:
            framework = domain.import_framework(
                authority=request.authority,
                by=request.user,
                content=form.cleaned_data["file"].read(),
                make_current=form.cleaned_data["make_current"],
            )
        except FrameworkFileError as error:
            for message in error.errors:
                form.add_error("file", message)
        else:
            messages.success(
                request, f"“{framework.name}” loaded with {framework.elements.count()} elements."
            )
            return redirect("assessments:frameworks", authority_slug)
    versions = FrameworkVersion.objects.prefetch_related(
        Prefetch("elements", queryset=Element.objects.order_by("number"))
    )
    return render(request, "assessments/frameworks.html", {"form": form, "versions": versions})


@require_POST
@authority_view(*ADMIN)
def framework_make_current(request, authority_slug, framework_pk):
    framework = get_object_or_404(FrameworkVersion, pk=framework_pk)
    domain.make_framework_current(framework=framework, by=request.user)
    messages.success(request, f"New self-reviews will use “{framework.name}”.")
    return redirect("assessments:frameworks", authority_slug)
