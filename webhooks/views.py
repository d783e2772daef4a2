from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from authorities.access import ADMIN, authority_view

from . import domain
from .forms import EndpointForm
from .models import Delivery, Endpoint

PAGE_SIZE = 50
NEW_SECRET = "webhooks.new_secret"  # session key: the secret just made, shown once


def _show_secret_once(request, endpoint, secret):
    request.session[NEW_SECRET] = {"endpoint": endpoint.pk, "secret": secret}


@authority_view(*ADMIN)
def endpoint_list(request, authority_slug):
    """The authority's endpoints, each with how its latest delivery went."""
    latest = Delivery.objects.filter(endpoint=OuterRef("pk")).order_by("-created_at", "-pk")
    endpoints = Endpoint.objects.annotate(
        last_state=Subquery(latest.values("state")[:1]),
        last_status=Subquery(latest.values("status_code")[:1]),
        last_at=Subquery(latest.values("created_at")[:1]),
        last_event=Subquery(latest.values("event")[:1]),
    )
    states = dict(Delivery.State.choices)
    rows = list(endpoints)
    for endpoint in rows:
        endpoint.last_state_label = states.get(endpoint.last_state, "")
    return render(request, "webhooks/endpoint_list.html", {"endpoints": rows})


def _save(request, form, endpoint=None):
    data = form.cleaned_data
    fields = {
        "name": data["name"],
        "url": data["url"],
        "events": data["events"],
        "is_active": data["is_active"],
    }
    try:
        if endpoint is None:
            return domain.create_endpoint(authority=request.authority, by=request.user, **fields)
        return domain.update_endpoint(endpoint=endpoint, by=request.user, **fields)
    except ValidationError as error:
        form.add_error(None, error)
        return None


@authority_view(*ADMIN)
def endpoint_create(request, authority_slug):
    form = EndpointForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        endpoint = _save(request, form)
        if endpoint is not None:
            _show_secret_once(request, endpoint, endpoint.secret)
            messages.success(request, f"The endpoint “{endpoint.name}” is registered.")
            return redirect("webhooks:detail", authority_slug, endpoint.pk)
    return render(request, "webhooks/endpoint_form.html", {"form": form, "endpoint": None})


@authority_view(*ADMIN)
def endpoint_edit(request, authority_slug, endpoint_pk):
    endpoint = get_object_or_404(Endpoint, pk=endpoint_pk)
    form = EndpointForm(request.POST or None, instance=endpoint)
    if request.method == "POST" and form.is_valid():
        if _save(request, form, endpoint) is not None:
            messages.success(request, f"The endpoint “{form.cleaned_data['name']}” is saved.")
            return redirect("webhooks:detail", authority_slug, endpoint.pk)
    endpoint.refresh_from_db()  # the page's heading names it as saved, not as typed
    return render(request, "webhooks/endpoint_form.html", {"form": form, "endpoint": endpoint})


@authority_view(*ADMIN)
def endpoint_detail(request, authority_slug, endpoint_pk):
    """The endpoint and its delivery log, newest first."""
    endpoint = get_object_or_404(Endpoint, pk=endpoint_pk)
    shown = request.session.get(NEW_SECRET)
    secret = None
    if shown and shown.get("endpoint") == endpoint.pk:
        secret = request.session.pop(NEW_SECRET)["secret"]
    deliveries = Delivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-pk")
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "webhooks/endpoint_detail.html",
        {"endpoint": endpoint, "page": page, "secret": secret},
    )


@require_POST
@authority_view(*ADMIN)
def endpoint_delete(request, authority_slug, endpoint_pk):
    endpoint = get_object_or_404(Endpoint, pk=endpoint_pk)
    domain.delete_endpoint(endpoint=endpoint, by=request.user)
    messages.success(request, f"The endpoint “{endpoint.name}” is deleted.")
    return redirect("webhooks:list", authority_slug)


@require_POST
@authority_view(*ADMIN)
def endpoint_secret(request, authority_slug, endpoint_pk):
    endpoint = get_object_or_404(Endpoint, pk=endpoint_pk)
    _show_secret_once(
        request, endpoint, domain.new_endpoint_secret(endpoint=endpoint, by=request.user)
    )
    messages.success(request, "The endpoint has a new secret: the old one no longer signs events.")
    return redirect("webhooks:detail", authority_slug, endpoint.pk)


@require_POST
@authority_view(*ADMIN)
def endpoint_test(request, authority_slug, endpoint_pk):
    endpoint = get_object_or_404(Endpoint, pk=endpoint_pk)
    domain.send_test(endpoint=endpoint, by=request.user)
    messages.success(request, "A test event is queued: it appears below once sent.")
    return redirect("webhooks:detail", authority_slug, endpoint.pk)


@require_POST
@authority_view(*ADMIN)
def delivery_resend(request, authority_slug, endpoint_pk, delivery_pk):
    endpoint = get_object_or_404(Endpoint, pk=endpoint_pk)
    delivery = get_object_or_404(Delivery, pk=delivery_pk, endpoint=endpoint)
    try:
        domain.send_again(delivery=delivery, by=request.user)
    except domain.NotResendable as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The delivery is queued to be sent again.")
    return redirect("webhooks:detail", authority_slug, endpoint.pk)
