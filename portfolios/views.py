from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from assessments import workflow
from assessments.access import get_cycle
from assessments.workflow import TransitionError
from authorities.access import authority_view

from . import access, domain
from .forms import CommentForm, ItemForm, LinkForm, UploadForm
from .models import EvidenceItem, ItemComment
from .uploads import UploadRefused


def get_item(request, cycle, item_pk) -> EvidenceItem:
    return get_object_or_404(
        EvidenceItem.objects.select_related("file", "added_by"), pk=item_pk, cycle=cycle
    )


ITEMS_PER_PAGE = 25


@authority_view()
def portfolio(request, authority_slug, cycle_pk):
    """Coverage at a glance, each element linking to its evidence; then the evidence, a page at
    a time, all of it or one element's."""
    return _portfolio_page(request, get_cycle(request, cycle_pk))


def _portfolio_page(request, cycle, upload_form=None):
    elements, not_linked = domain.coverage_by_element(cycle)
    shown = request.GET.get("element", "")
    element = next((e for e in elements if str(e.pk) == shown), None)
    if element is None and shown != domain.NOT_LINKED:
        shown = ""
    page = Paginator(domain.evidence(cycle, shown), ITEMS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    domain.with_element_numbers(page.object_list)
    locked = domain.is_locked(cycle)
    can_add = domain.can_add(cycle, request.user)
    return render(
        request,
        "portfolios/portfolio.html",
        {
            "cycle": cycle,
            "elements": elements,
            "not_linked": not_linked,
            "shown": shown,
            "element": element,
            "page": page,
            "locked": locked,
            "can_add": can_add,
            "upload_form": (upload_form or UploadForm(cycle=cycle, elements=elements))
            if can_add
            else None,
            "files_per_request": domain.FILES_PER_REQUEST,
            "can_submit": domain.can_submit(cycle, request.user),
            "submission": cycle.portfolio_submissions.first() if locked else None,
        },
    )


@require_POST
@authority_view()
def upload(request, authority_slug, cycle_pk):
    """Several files at once. The page's script sends one file a request and reads JSON back, to
    show each file's progress; without the script, the form posts them all and the page says how
    each one went."""
    cycle = get_cycle(request, cycle_pk)
    form = UploadForm(request.POST, request.FILES, cycle=cycle)
    wants_json = request.headers.get("Accept") == "application/json"
    if not form.is_valid():
        if wants_json:
            errors = [e for field_errors in form.errors.values() for e in field_errors]
            return JsonResponse({"error": " ".join(errors)}, status=422)
        # The page again, its form's errors in the summary and at the field.
        return _portfolio_page(request, cycle, upload_form=form)
    results = []
    for uploaded in form.cleaned_data["files"]:
        try:
            item = domain.add_file(
                cycle=cycle,
                by=request.user,
                uploaded=uploaded,
                elements=form.cleaned_data["elements"],
            )
        except domain.DuplicateEvidence as duplicate:
            url = reverse("portfolios:item", args=[authority_slug, cycle.pk, duplicate.item.pk])
            results.append({"name": uploaded.name, "error": str(duplicate), "existing": url})
        except (UploadRefused, TransitionError) as refused:
            results.append(
                {"name": uploaded.name, "error": getattr(refused, "message", str(refused))}
            )
        except PermissionDenied as error:
            results.append({"name": uploaded.name, "error": str(error)})
        else:
            results.append(
                {
                    "name": uploaded.name,
                    "title": item.title,
                    "url": reverse("portfolios:item", args=[authority_slug, cycle.pk, item.pk]),
                }
            )
    if wants_json:
        status = 200 if all("url" in r for r in results) else 422
        return JsonResponse({"results": results}, status=status)
    for result in results:
        if "url" in result:
            messages.success(request, f"“{result['name']}” added.")
        else:
            messages.error(request, result["error"])
    return redirect("portfolios:portfolio", authority_slug, cycle.pk)


@authority_view()
def add_link(request, authority_slug, cycle_pk):
    cycle = get_cycle(request, cycle_pk)
    if not domain.can_add(cycle, request.user):
        raise PermissionDenied
    form = LinkForm(request.POST if request.method == "POST" else None, cycle=cycle)
    if request.method == "POST" and form.is_valid():
        try:
            item = domain.add_link(cycle=cycle, by=request.user, **form.cleaned_data)
        except TransitionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"“{item.title}” added.")
            return redirect("portfolios:portfolio", authority_slug, cycle.pk)
    return render(request, "portfolios/link_form.html", {"cycle": cycle, "form": form})


@authority_view()
def item_detail(request, authority_slug, cycle_pk, item_pk):
    cycle = get_cycle(request, cycle_pk)
    item = get_item(request, cycle, item_pk)
    editable = domain.can_add(cycle, request.user)
    initial = {
        "title": item.title,
        "description": item.description,
        "evidence_date": item.evidence_date,
        "elements": list(item.elements.all()),
        "descriptors": list(item.descriptors.all()),
    }
    form = ItemForm(
        request.POST if request.method == "POST" else None, cycle=cycle, initial=initial
    )
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        if form.is_valid():
            try:
                domain.update_item(item=item, by=request.user, **form.cleaned_data)
            except TransitionError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Saved.")
                return redirect("portfolios:item", authority_slug, cycle.pk, item.pk)
    comments = ItemComment.objects.filter(item=item).select_related("author")
    return render(
        request,
        "portfolios/item.html",
        {
            "cycle": cycle,
            "item": item,
            "form": form,
            "editable": editable,
            "comments": comments,
            "comment_form": CommentForm(),
            "can_comment": domain.can_comment(cycle, request.user),
            "can_remove": editable and domain.can_remove(item, request.user),
        },
    )


@require_POST
@authority_view()
def item_delete(request, authority_slug, cycle_pk, item_pk):
    cycle = get_cycle(request, cycle_pk)
    item = get_item(request, cycle, item_pk)
    try:
        domain.delete_item(item=item, by=request.user)
    except TransitionError as error:
        messages.error(request, str(error))
        return redirect("portfolios:item", authority_slug, cycle.pk, item.pk)
    messages.success(request, f"“{item.title}” removed from the portfolio.")
    return redirect("portfolios:portfolio", authority_slug, cycle.pk)


@require_POST
@authority_view()
def comment(request, authority_slug, cycle_pk, item_pk):
    cycle = get_cycle(request, cycle_pk)
    item = get_item(request, cycle, item_pk)
    if not domain.can_comment(cycle, request.user):
        raise PermissionDenied
    form = CommentForm(request.POST)
    if form.is_valid():
        domain.add_comment(
            item=item,
            by=request.user,
            body=form.cleaned_data["body"],
        )
        messages.success(request, "Comment added.")
    else:
        messages.error(request, form.errors["body"][0])
    return redirect(
        reverse("portfolios:item", args=[authority_slug, cycle.pk, item.pk]) + "#comments"
    )


@authority_view()
def download(request, authority_slug, cycle_pk, item_pk):
    """Files are served only through here (and the API's download, through the same checks in
    portfolios/access.py): access checked, content verified against its SHA-256."""
    cycle = get_cycle(request, cycle_pk)
    item = get_item(request, cycle, item_pk)
    if item.file is None:
        return redirect(item.url)
    try:
        handle = access.open_checked(item)
    except access.FileGone:
        return render(
            request, "portfolios/file_deleted.html", {"cycle": cycle, "item": item}, status=410
        )
    except access.FileDamaged:
        return render(
            request, "portfolios/file_damaged.html", {"cycle": cycle, "item": item}, status=500
        )
    return access.file_response(item, handle)


@authority_view()
def submit_check(request, authority_slug, cycle_pk):
    """Check before submitting for moderation, with a warning naming the elements that have no
    evidence."""
    cycle = get_cycle(request, cycle_pk)
    back = reverse("portfolios:portfolio", args=[authority_slug, cycle.pk])
    try:
        workflow.check(request.user, "submit_portfolio", cycle)
    except TransitionError as error:
        messages.error(request, str(error))
        return redirect(back)
    elements, without = domain.coverage(cycle)
    item_count = cycle.evidence.count()
    return render(
        request,
        "portfolios/submit_check.html",
        {
            "cycle": cycle,
            "elements": elements,
            "without": without,
            "covered_count": len(elements) - len(without),
            "item_count": item_count,
            "unlinked": cycle.evidence.filter(elements=None).count(),
            "blocked": "" if item_count else domain.NO_EVIDENCE,
            "step": workflow.STEPS["submit_portfolio"],
            "told": workflow.told_of(cycle, "submit_portfolio"),
            "confirm_url": reverse("portfolios:submit", args=[authority_slug, cycle.pk]),
            "confirm_label": "Submit the portfolio",
            "back_url": back,
        },
    )


@require_POST
@authority_view()
def submit(request, authority_slug, cycle_pk):
    cycle = get_cycle(request, cycle_pk)
    try:
        domain.submit_portfolio(cycle=cycle, by=request.user)
    except (TransitionError, PermissionDenied) as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, "The portfolio has been submitted for moderation. It can no longer be changed."
        )
    return redirect("portfolios:portfolio", authority_slug, cycle.pk)
