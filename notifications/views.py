from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from authorities.access import ADMIN, authority_view

from . import domain
from .forms import TemplateForm
from .kinds import KINDS, get_kind
from .models import EmailTemplate, OutboxMessage

PAGE_SIZE = 50
State = OutboxMessage.State


@authority_view(*ADMIN)
def outbox(request, authority_slug):
    """Every email of the authority, those that could not be sent first, with what went wrong."""
    state = request.GET.get("state", "")
    if state not in State.values:
        state = ""
    counts = dict(OutboxMessage.objects.order_by().values_list("state").annotate(n=Count("pk")))
    emails = OutboxMessage.objects.all()
    if state:
        emails = emails.filter(state=state)
    failed_first = Case(
        When(state=State.FAILED, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    emails = emails.order_by(failed_first, "-created_at", "-pk")
    page = Paginator(emails, PAGE_SIZE).get_page(request.GET.get("page"))
    for message in page:
        message.kind_title = KINDS[message.key].title if message.key in KINDS else message.key
    filters = [{"state": "", "label": "All", "count": sum(counts.values())}] + [
        {"state": value, "label": label, "count": counts.get(value, 0)}
        for value, label in State.choices
    ]
    return render(
        request,
        "notifications/outbox.html",
        {
            "page": page,
            "state": state,
            "filters": filters,
            "failed_count": counts.get(State.FAILED, 0),
        },
    )


@require_POST
@authority_view(*ADMIN)
def outbox_retry(request, authority_slug, message_pk):
    message = get_object_or_404(OutboxMessage, pk=message_pk)
    try:
        domain.send_again(authority=request.authority, by=request.user, message=message)
    except domain.NotFailed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"The email to {message.to} is queued to be sent again.")
    return redirect("notifications:outbox", authority_slug)


@authority_view(*ADMIN)
def template_list(request, authority_slug):
    changed = dict(EmailTemplate.objects.values_list("key", "updated_at"))
    rows = [
        {"kind": kind, "changed_at": changed.get(kind.key), "customised": kind.key in changed}
        for kind in KINDS.values()
    ]
    return render(request, "notifications/template_list.html", {"rows": rows})


def _kind_or_404(key):
    try:
        return get_kind(key)
    except LookupError:
        raise Http404("No such email.") from None


@authority_view(*ADMIN)
def template_edit(request, authority_slug, key):
    """Change an email's subject and text; "Preview" shows it with example values without saving."""
    kind = _kind_or_404(key)
    template = EmailTemplate.objects.filter(key=key).first()
    subject, body = domain.texts_for(kind, template)
    preview = None
    if request.method == "POST":
        form = TemplateForm(request.POST, kind=kind)
        if form.is_valid():
            if request.POST.get("action") == "preview":
                preview = domain.preview(
                    request.authority, kind, form.cleaned_data["subject"], form.cleaned_data["body"]
                )
            else:
                domain.save_template(
                    authority=request.authority,
                    by=request.user,
                    key=key,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                )
                messages.success(
                    request, f"The “{kind.title}” email is saved. New emails use it from now on."
                )
                return redirect("notifications:template_edit", authority_slug, key)
    else:
        form = TemplateForm(initial={"subject": subject, "body": body}, kind=kind)
        preview = domain.preview(request.authority, kind, subject, body)
    variables = [("{{ %s }}" % name, description) for name, description in kind.variables.items()]
    return render(
        request,
        "notifications/template_form.html",
        {
            "kind": kind,
            "form": form,
            "template": template,
            "preview": preview,
            "variables": variables,
        },
    )


@require_POST
@authority_view(*ADMIN)
def template_reset(request, authority_slug, key):
    kind = _kind_or_404(key)
    if domain.reset_template(authority=request.authority, by=request.user, key=key):
        messages.success(request, f"The “{kind.title}” email uses the default text again.")
    else:
        messages.success(request, f"The “{kind.title}” email already uses the default text.")
    return redirect("notifications:template_edit", authority_slug, key)
