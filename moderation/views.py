from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.roles import is_authority_admin, is_authority_staff
from assessments import workflow
from assessments.access import get_cycle
from assessments.models import Cycle, Element
from assessments.workflow import TransitionError
from authorities.access import authority_view
from awards.domain import expiry, history_of, tier_options
from awards.models import Tier
from clusters.domain import partners_of

from . import domain
from .forms import (
    BallotForm,
    ConflictForm,
    ContextForm,
    CorrectionForm,
    DecisionForm,
    FindingForm,
    NoteForm,
    OverallForm,
    ReturnPortfolioForm,
    VisitForm,
)
from .models import Ballot, Conflict, Decision, Outcome, Report, VisitNote

State = Cycle.State


def _error(error):
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "You cannot do this."


def _require(predicate, request, obj):
    if not predicate.test(request.user, obj):
        raise PermissionDenied


QUEUE_PER_PAGE = 10
UNDER_WAY_PER_PAGE = 25
# The cases past the desk check and not yet decided.
UNDER_WAY = workflow.AUTHORITY_STAGES - {
    State.PORTFOLIO_SUBMITTED,
    State.DECIDED,
}


@authority_view()
def queue(request, authority_slug):
    """Submitted portfolios, oldest first, with the days they have waited; then the cases under
    way. For the desk checkers, of the cases they may see. Each list is paged on its own."""
    user, authority = request.user, request.authority
    _require(workflow.is_desk_checker, request, authority)
    waiting = Paginator(
        workflow.desk_checks(user, authority)
        .select_related("school", "mentor")
        .order_by("portfolio_submitted_at", "pk"),
        QUEUE_PER_PAGE,
    ).get_page(request.GET.get("waiting"))
    today = timezone.localdate()
    for cycle in waiting:
        submitted = cycle.portfolio_submitted_at
        cycle.days_waiting = (today - timezone.localdate(submitted)).days if submitted else 0
    under_way = Paginator(
        workflow.visible_cycles(user, authority)
        .filter(state__in=UNDER_WAY)
        .select_related("school")
        .order_by("portfolio_submitted_at", "pk"),
        UNDER_WAY_PER_PAGE,
    ).get_page(request.GET.get("under_way"))
    for cycle in under_way:  # to its visit while the visit is planned and made, else its panel
        cycle.at_visit = cycle.state in workflow.PLANNING_STATES
    return render(request, "moderation/queue.html", {"waiting": waiting, "under_way": under_way})


@require_POST
@authority_view()
def desk_check(request, authority_slug, cycle_pk):
    cycle = get_cycle(request, cycle_pk)
    try:
        if request.POST.get("decision") == "accept":
            domain.accept_for_visit(cycle=cycle, by=request.user)
            messages.success(request, f"{cycle.school}: accepted for a visit.")
        else:
            form = ReturnPortfolioForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.errors["reasons"][0])
            domain.return_portfolio(
                cycle=cycle, by=request.user, reasons=form.cleaned_data["reasons"]
            )
            messages.success(
                request,
                f"{cycle.school}: the portfolio is back with the school, with your reasons.",
            )
    except (TransitionError, ValidationError, PermissionDenied) as error:
        messages.error(request, _error(error))
    return redirect("moderation:queue", authority_slug)


NOTES_PER_PAGE = 20


@authority_view()
def visit(request, authority_slug, cycle_pk):
    cycle = get_cycle(request, cycle_pk, related=["visit"], prefetch=["visit__moderators"])
    actions = workflow.allowed(request.user, cycle)
    review = domain.renewal_tier(cycle) is not None
    plan_form = None
    if {"plan_visit", "plan_annual_visit"} & actions:
        plan_form = VisitForm(
            request.POST if request.method == "POST" and "plan" in request.POST else None,
            authority=request.authority,
            review=review,
        )
        if plan_form.is_bound and plan_form.is_valid():
            try:
                domain.plan_visit(
                    cycle=cycle,
                    by=request.user,
                    moderators=list(plan_form.cleaned_data["moderators"]),
                    visit_date=plan_form.cleaned_data["visit_date"],
                )
            except (TransitionError, ValidationError, PermissionDenied) as error:
                plan_form.add_error(
                    None, error if isinstance(error, ValidationError) else str(error)
                )
            else:
                messages.success(
                    request, "The visit is planned; the moderators and the school have been told."
                )
                return redirect("moderation:visit", authority_slug, cycle.pk)
    the_visit = getattr(cycle, "visit", None)
    note_form = None
    if {"write_report", "write_ratification"} & actions:
        note_form = NoteForm(
            request.POST if request.method == "POST" and "note" in request.POST else None,
            cycle=cycle,
        )
        if note_form.is_bound and note_form.is_valid():
            try:
                note = domain.add_note(cycle=cycle, by=request.user, **note_form.note())
            except (TransitionError, PermissionDenied, ValidationError) as error:
                note_form.add_error(None, _error(error))  # the report was signed meanwhile, say
            else:
                messages.success(request, "Note saved." + _unsigned(note.signatures_taken_back))
                return redirect("moderation:visit", authority_slug, cycle.pk)
    if request.method == "POST" and plan_form is None and note_form is None:
        raise PermissionDenied
    notes = None
    if the_visit and workflow.may_see_visit_notes.test(request.user, cycle):
        notes = Paginator(
            the_visit.notes.select_related("author").prefetch_related("elements"), NOTES_PER_PAGE
        )
        # Opened at the latest notes, where a new one is added.
        notes = notes.get_page(request.GET.get("notes") or notes.num_pages)
    return render(
        request,
        "moderation/visit.html",
        {
            "cycle": cycle,
            "visit": the_visit,
            "plan_form": plan_form,
            "note_form": note_form,
            "notes": notes,
            "review": review,
        },
    )


@require_POST
@authority_view()
def send_note(request, authority_slug, cycle_pk):
    """A note sent by the visit page's script (static/js/visit-notes.js), perhaps hours after it
    was written offline and perhaps more than once: saved once for its client id. Answers in
    JSON: the note as the page lists it, or why it was refused."""
    cycle = get_cycle(request, cycle_pk)
    if request.POST.get("author", str(request.user.pk)) != str(request.user.pk):
        # Written by the person signed in before: not to be saved as the one signed in now.
        return JsonResponse({"error": "Someone else is signed in on this device."}, status=409)
    form = NoteForm(request.POST, cycle=cycle)
    form.fields["client_id"].required = True
    if not form.is_valid():
        errors = [
            (f"{form[name].label}: " if name in form.fields else "") + " ".join(messages_)
            for name, messages_ in form.errors.items()
        ]
        return JsonResponse({"error": " ".join(errors)}, status=400)
    try:
        note = domain.add_note(cycle=cycle, by=request.user, **form.note())
    except (TransitionError, PermissionDenied, ValidationError) as error:
        return JsonResponse({"error": _error(error)}, status=403)
    html = render_to_string(
        "moderation/_note.html", {"note": note, "cycle": cycle, "editable": True}, request
    )
    return JsonResponse({"id": note.pk, "client_id": str(note.client_id), "html": html})


@login_not_required
def visit_worker(request):
    """The visit pages' service worker, served from the site's root so that it may control
    them (a script under /static/ may only control pages under /static/). It holds no data, and
    it is fetched again on each update check, signed in or not."""
    response = render(request, "moderation/visit-worker.js", content_type="text/javascript")
    response["Cache-Control"] = "no-cache"
    return response


@authority_view()
def report(request, authority_slug, cycle_pk):
    """The report: read-only once final (or for the admin); for the two moderators, a form of
    sections that save as they type, each element beside what bears on it."""
    cycle = get_cycle(
        request,
        cycle_pk,
        related=["visit", "report"],
        prefetch=["report__signed_by"],
        annotate={"school_partners": partners_of("school")},  # for the tiers it may have
    )
    report_ = getattr(cycle, "report", None)
    if report_ is None:
        raise Http404
    # Who moderates the visit and who may not (workflow's predicates), in one query.
    workflow.read_facts([cycle])
    _require(workflow.may_see_report, request, cycle)
    if request.method == "POST":
        return _save_section(request, cycle, report_)
    return _report_page(request, cycle, report_)


def _section(key, form, row=None, conflict=None, saved_at=None):
    """What a section's save status shows: the form, what was saved, or a conflict; `saved_at`
    only in the answer to a save."""
    return {
        "key": key,
        "level": 4 if key.startswith("element-") else 3,  # of the conflict's heading
        "form": form,
        "saved": row,
        "saved_at": saved_at,
        "conflict": conflict,
        "their_version": getattr(conflict, _version_field(key), None),
        "comparison": form.compare(conflict) if conflict else [],
    }


def _version_field(key):
    return domain.REPORT_SECTIONS[key][0] if key in domain.REPORT_SECTIONS else "version"


def _section_form(key, row, data=None, element=None, **kwargs):
    """The form of the section `key` ("context", "overall" or "element-<pk>", of `element`),
    bound to `data` or showing `row`, its saved state (None for an element not yet written)."""
    form_class = {"context": ContextForm, "overall": OverallForm}.get(key, FindingForm)
    if form_class is FindingForm:  # one on the page for each element
        kwargs["auto_id"] = f"id_{key}-%s"
        kwargs["of"] = f"element {element.number}"
    form = form_class(data, **kwargs) if data is not None else form_class(**kwargs)
    # Each section has a version: its input's id names the section (the other fields' names are
    # unique to their section, and domain.sign_errors names them so).
    form.fields["version"].widget.attrs["id"] = f"id_{key}-version"
    if data is not None:
        return form
    if row is not None:
        form.initial = {"version": getattr(row, _version_field(key)), **form.data_of(row)}
    else:
        form.initial = {"version": 0}
    return form


def _field_name(key, name):
    """A section's field as domain.sign_errors names it: an element's are named after it."""
    return name if key in domain.REPORT_SECTIONS else f"{key}-{name}"


SIGNED = "The report is signed: it can no longer be changed."


def _save_section(request, cycle, report_):
    key = request.POST.get("section", "")
    element = None
    if key not in domain.REPORT_SECTIONS:
        element_pk = key.removeprefix("element-")
        if not element_pk.isdigit():
            raise Http404
        element = get_object_or_404(Element, pk=element_pk, framework=cycle.framework_id)
    tiers = {"tiers": tier_options(cycle.school)} if key == "overall" else {}
    form = _section_form(key, None, request.POST, element=element, **tiers)
    row, conflict, saved_at, status = None, None, None, 422
    step = workflow.STEPS["write_report"]
    if report_.finalised_at or not step.test(request.user, cycle):
        # Signed by both while the page was open, say: nothing is saved, and the section says why.
        signed = report_.finalised_at or cycle.state not in step.sources
        form.add_error(None, SIGNED if signed else step.refusal)
        status = 403
    elif form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            row = domain.save_section(
                cycle=cycle,
                by=request.user,
                section=element or key,
                version=form.cleaned_data["version"],
                data=data,
            )
        except domain.Stale as stale:
            conflict, status = stale.current, 409
        except ValidationError as error:
            form.add_error(None, error)
        except (TransitionError, PermissionDenied) as error:
            form.add_error(None, str(error))
            status = 403 if isinstance(error, PermissionDenied) else 422
        else:
            form, status = _section_form(key, row, element=element, **tiers), 200
            saved_at = timezone.now()
    section = _section(key, form, row, conflict, saved_at)
    if request.htmx:
        return render(
            request,
            "moderation/_section_status.html",
            {"cycle": cycle, "section": section},
            status=status,
        )
    if status == 200:
        messages.success(request, "Saved. Both moderators sign the report once it is finished.")
        return redirect(
            reverse("moderation:report", args=[request.authority.slug, cycle.pk]) + f"#{key}"
        )
    if status == 403:
        messages.error(request, " ".join(form.non_field_errors()))
    return _report_page(request, cycle, report_, bound=section, status=status)


def _report_page(request, cycle, report_, bound=None, sign_errors=None, status=200):
    elements = domain.report_elements(cycle, report_)
    editable = workflow.STEPS["write_report"].test(request.user, cycle) and not report_.finalised_at
    context = {
        "cycle": cycle,
        "report": report_,
        "editable": editable,
        "rows": [(e, e.finding) for e in elements],
        "can_sign": workflow.STEPS["sign_report"].test(request.user, cycle),
        "signed": [u.pk for u in report_.signed_by.all()],
        "sign_errors": sign_errors or {},
    }
    if editable:
        # Counted with the cycle by `report`; counted here when signing is refused.
        partners = getattr(cycle, "school_partners", None)
        tiers = tier_options(cycle.school, history=history_of(cycle.school, partners))

        def section(key, row, **kwargs):
            if bound and bound["key"] == key:
                return bound
            form = _section_form(key, row, **kwargs)
            for name in form.fields:  # what signing still needs, marked at its field too
                if message := context["sign_errors"].get(_field_name(key, name)):
                    form.errors[name] = form.error_class(message)
            return _section(key, form, row)

        beside = domain.beside_elements(cycle, elements)
        context.update(
            context_section=section("context", report_),
            overall_section=section("overall", report_, tiers=tiers),
            elements=[
                (e, section(f"element-{e.pk}", e.finding, element=e), beside[e.pk])
                for e in elements
            ],
        )
    return render(request, "moderation/report.html", context, status=status)


@authority_view()
def sign_check(request, authority_slug, cycle_pk):
    """Check before signing: the report's recommendation, who has signed, what a signature does
    (the second makes the report final) and who is told."""
    cycle = get_cycle(request, cycle_pk)
    report_ = get_object_or_404(Report.objects.prefetch_related("signed_by"), cycle=cycle)
    back = reverse("moderation:report", args=[authority_slug, cycle.pk])
    try:
        workflow.check(request.user, "sign_report", cycle)
    except TransitionError as error:
        messages.error(request, _error(error))
        return redirect(back)
    signed = list(report_.signed_by.all())
    blocked = ""
    if request.user in signed:
        blocked = "You have signed the report already."
    elif errors := domain.sign_errors(cycle, report_):  # what to write first, linked to its fields
        return _report_page(
            request, cycle, report_, sign_errors=ValidationError(errors).message_dict
        )
    return render(
        request,
        "moderation/sign_check.html",
        {
            "cycle": cycle,
            "report": report_,
            "signed": signed,
            "final": bool(signed) and not blocked,
            "others": [m for m in cycle.visit.moderators.all() if m.pk != request.user.pk],
            "judged": report_.findings.exclude(judgement="").count(),
            "element_count": cycle.framework.elements.count(),
            "blocked": blocked,
            "step": workflow.STEPS["sign_report"],
            "told": workflow.told_of(cycle, "sign_report"),
            "confirm_url": reverse("moderation:sign", args=[authority_slug, cycle.pk]),
            "confirm_label": "Sign the report",
            "back_url": back,
        },
    )


@require_POST
@authority_view()
def sign(request, authority_slug, cycle_pk):
    cycle = get_cycle(request, cycle_pk)
    try:
        domain.sign_report(cycle=cycle, by=request.user)
    except ValidationError as error:  # what is still to write, shown with the report
        report_ = get_object_or_404(Report.objects.prefetch_related("signed_by"), cycle=cycle)
        return _report_page(request, cycle, report_, sign_errors=error.message_dict, status=422)
    except (TransitionError, PermissionDenied) as error:
        messages.error(request, _error(error))
    else:
        messages.success(request, "You have signed the report.")
    return redirect("moderation:report", authority_slug, cycle.pk)


@authority_view()
def note_edit(request, authority_slug, cycle_pk, note_pk):
    cycle = get_cycle(request, cycle_pk)
    note = _note(request, cycle, note_pk)
    form = NoteForm(
        request.POST if request.method == "POST" else None,
        cycle=cycle,
        instance=note,
        initial={"elements": list(note.elements.all())},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            note = domain.edit_note(
                note=note,
                by=request.user,
                kind=data["kind"],
                who=data["who"],
                notes=data["notes"],
                subject=data["subject"],
                focus=data["focus"],
                elements=data["elements"],
            )
        except (TransitionError, PermissionDenied) as error:
            messages.error(request, _error(error))
        else:
            messages.success(request, "Note saved." + _unsigned(note.signatures_taken_back))
        return redirect("moderation:visit", authority_slug, cycle.pk)
    return render(
        request,
        "moderation/note_edit.html",
        {"cycle": cycle, "note": note, "form": form, "closed": _notes_closed(request, cycle)},
    )


@authority_view()
def note_delete(request, authority_slug, cycle_pk, note_pk):
    cycle = get_cycle(request, cycle_pk)
    note = _note(request, cycle, note_pk)
    if request.method == "POST":
        try:
            unsigned = domain.delete_note(note=note, by=request.user)
        except (TransitionError, PermissionDenied) as error:
            messages.error(request, _error(error))
        else:
            messages.success(request, "Note deleted." + _unsigned(unsigned))
        return redirect("moderation:visit", authority_slug, cycle.pk)
    return render(
        request,
        "moderation/note_delete.html",
        {"cycle": cycle, "note": note, "closed": _notes_closed(request, cycle)},
    )


def _unsigned(signatures_taken_back):
    """What a success message adds when a note's change took back a signature on the report."""
    if not signatures_taken_back:
        return ""
    return " The report's signature is taken back: sign it again once it is finished."


def _note(request, cycle, note_pk):
    """A note of the cycle's visit, for the moderators who write its notes; once the report is
    signed they are told why it can no longer be changed (domain.check_notes_open)."""
    note = get_object_or_404(
        VisitNote.objects.select_related("visit__cycle", "author"), pk=note_pk, visit__cycle=cycle
    )
    step = workflow.STEPS[workflow.step_of(cycle, "write_report", "write_ratification")]
    _require(step.who, request, cycle)
    return note


def _notes_closed(request, cycle) -> str:
    """Why the visit's notes can no longer be changed; empty while they can."""
    try:
        domain.check_notes_open(cycle, request.user)
    except (TransitionError, PermissionDenied) as error:
        return _error(error)
    return ""


@authority_view()
def panel(request, authority_slug, cycle_pk):
    """The vote on a case: members see the others' votes only once they have voted."""
    cycle = get_cycle(
        request,
        cycle_pk,
        related=["visit", "panel_vote"],
        # The ballots, read once for the page, the tally and who has voted.
        prefetch=[
            "visit__moderators",
            Prefetch("panel_vote__ballots", Ballot.objects.select_related("member")),
        ],
    )
    _require(workflow.may_see_panel, request, cycle)
    vote = getattr(cycle, "panel_vote", None)
    ballots = list(vote.ballots.all()) if vote else []
    mine = next((b for b in ballots if b.member_id == request.user.pk), None)
    actions = workflow.allowed(request.user, cycle)
    is_chair = workflow.is_acting_chair.test(request.user, cycle)
    tiers = tier_options(cycle.school)
    renewing = domain.renewal_tier(cycle)
    decisions = list(Decision.objects.filter(cycle=cycle).select_related("recorded_by"))
    return render(
        request,
        "moderation/panel.html",
        {
            "cycle": cycle,
            "vote": vote,
            "ballots": ballots if (mine or is_chair or decisions) else [],
            "ballot_count": len(ballots),
            "mine": mine,
            "my_conflict": workflow.is_on_panel.test(request.user, cycle)
            and domain.why_not_voting(request.user, cycle),
            "actions": actions,
            "ballot_form": BallotForm(tiers=tiers, renewing=renewing),
            "correction_form": CorrectionForm(tiers=tiers, renewing=renewing),
            "review": renewing is not None,
            "decisions": decisions,
            "quorum": request.authority.panel_quorum,
            "tally": [
                (domain.option_label(o, renewing is not None), n)
                for o, n in domain.tally(cycle).most_common()
            ]
            if vote
            else [],
        },
    )


def _decision_options(cycle):
    return {"tiers": tier_options(cycle.school), "renewing": domain.renewal_tier(cycle)}


@authority_view()
def decide_check(request, authority_slug, cycle_pk):
    """Check before recording the decision: the votes, the decision they make, what follows from
    it (an award's term, a deferral's revisit) and who is told. The chair gives the panel's reasons
    (and, on a tie, the casting vote) here; the button records the decision."""
    cycle = get_cycle(request, cycle_pk)
    try:
        workflow.check(request.user, "decide", cycle)
    except TransitionError as error:
        messages.error(request, _error(error))
        return redirect("moderation:panel", authority_slug, cycle.pk)
    return _decide_check(request, cycle, DecisionForm(**_decision_options(cycle)))


def _decide_check(request, cycle, form, status=200):
    review = domain.renewal_tier(cycle) is not None
    result = domain.vote_result(cycle)
    decided = result.top[0] if len(result.top) == 1 else None
    outcome, tier = decided or ("", "")
    report_ = getattr(cycle, "report", None)
    awards = any(option[0] == Outcome.AWARD for option in result.top)
    return render(
        request,
        "moderation/decide_check.html",
        {
            "cycle": cycle,
            "form": form,
            "review": review,
            "renewing": domain.renewal_tier(cycle),
            "cast": sum(n for _, n in result.ranked),
            "quorum": cycle.authority.panel_quorum,
            "tally": [(domain.option_label(o, review), n) for o, n in result.ranked],
            "outcome": domain.option_label(decided, review) if decided else "",
            "outcome_key": outcome,
            "tied": [domain.option_label(o, review) for o in result.top]
            if len(result.top) > 1
            else [],
            "award_tier": Tier(tier) if outcome == Outcome.AWARD else None,
            "expires_on": expiry(cycle.authority, tier, timezone.localdate())
            if outcome == Outcome.AWARD
            else None,
            "revisit_by": report_.revisit_by if report_ else None,
            "blocked": result.short_of_quorum,
            "step": workflow.STEPS["decide"],
            "told": workflow.told_of(cycle, "decide", *(workflow.AWARD_TOLD if awards else ())),
            "confirm_url": reverse(
                "moderation:panel_action", args=[cycle.authority.slug, cycle.pk, "decide"]
            ),
            "confirm_label": "Record the decision",
            "back_url": reverse("moderation:panel", args=[cycle.authority.slug, cycle.pk]),
        },
        status=status,
    )


@require_POST
@authority_view()
def panel_action(request, authority_slug, cycle_pk, action):
    cycle = get_cycle(request, cycle_pk)
    options = _decision_options(cycle)
    if action == "decide":
        return _decide(request, cycle, DecisionForm(request.POST, **options))
    try:
        if action == "open":
            domain.open_vote(cycle=cycle, by=request.user)
            messages.success(request, "The vote is open; the panel members have been told.")
        elif action == "vote":
            form = BallotForm(request.POST, **options)
            if not form.is_valid():
                raise ValidationError("Choose how you vote.")
            outcome, tier = form.option_value()
            domain.cast_ballot(
                cycle=cycle,
                by=request.user,
                outcome=outcome,
                tier=tier,
                comment=form.cleaned_data["comment"],
            )
            messages.success(request, "Your vote is recorded.")
        elif action == "correct":
            form = CorrectionForm(request.POST, **options)
            if not form.is_valid():
                raise ValidationError([e for errors in form.errors.values() for e in errors])
            outcome, tier = form.cleaned_data["option"].split(":")
            latest = Decision.objects.filter(cycle=cycle).last()
            if latest is None:
                raise TransitionError("There is no decision to correct.")
            domain.correct_decision(
                decision=latest,
                by=request.user,
                outcome=outcome,
                tier=tier,
                rationale=form.cleaned_data["rationale"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, "The correction is recorded beside the original decision.")
        else:
            raise PermissionDenied
    except (TransitionError, ValidationError, PermissionDenied) as error:
        messages.error(request, _error(error))
    return redirect("moderation:panel", authority_slug, cycle.pk)


def _decide(request, cycle, form):
    """Record the decision; bad input or a refusal shows the check page again, with what the chair
    wrote, and the error."""
    try:
        workflow.check(request.user, "decide", cycle)
    except TransitionError as error:
        messages.error(request, _error(error))
        return redirect("moderation:panel", cycle.authority.slug, cycle.pk)
    if form.is_valid():
        casting = form.cleaned_data["casting"]
        try:
            domain.record_decision(
                cycle=cycle,
                by=request.user,
                rationale=form.cleaned_data["rationale"],
                casting=tuple(casting.split(":")) if casting else None,
            )
        except (TransitionError, ValidationError) as error:
            form.add_error(None, _error(error))
        else:
            messages.success(request, "The decision is recorded.")
            return redirect("moderation:panel", cycle.authority.slug, cycle.pk)
    return _decide_check(request, cycle, form, status=422)


CONFLICTS_PER_PAGE = 50


@authority_view()
def conflicts(request, authority_slug):
    _require(is_authority_staff, request, request.authority)
    form = ConflictForm(
        request.POST if request.method == "POST" else None, authority=request.authority
    )
    if request.method == "POST" and form.is_valid():
        try:
            domain.declare_conflict(
                authority=request.authority, person=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                "Conflict declared: you will not be asked to moderate or vote on that school.",
            )
            return redirect("moderation:conflicts", authority_slug)
    declared = Conflict.objects.select_related("school", "person").order_by("school__name", "pk")
    if not is_authority_admin.test(request.user, request.authority):
        declared = declared.filter(person=request.user)
    page = Paginator(declared, CONFLICTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "moderation/conflicts.html", {"form": form, "conflicts": page})
