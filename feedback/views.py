from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST, require_safe
from django_ratelimit.decorators import ratelimit

from authorities.access import ADMIN, authority_view

from . import domain
from .forms import RatingForm, TesterForm
from .models import TesterSignup

# Per client address. Far above what a person does; a flood is told to wait and nothing is saved.
RATING_RATE = "5/m"
SIGNUP_RATE = "3/h"
PAGE_SIZE = 25


@require_POST
@authority_view(public=True)
@ratelimit(key="ip", rate=RATING_RATE, block=False)
def rate(request, authority_slug):
    return _submit(request, RatingForm, domain.rate)


@require_POST
@authority_view(public=True)
@ratelimit(key="ip", rate=SIGNUP_RATE, block=False)
def sign_up(request, authority_slug):
    return _submit(request, TesterForm, domain.sign_up)


def _submit(request, form_class, save):
    """Save genuine input; thank a filled honeypot just the same, saving nothing."""
    form = form_class(request.POST, authority=request.authority)
    page = request.POST.get(form.add_prefix("page"), "")
    if not domain.is_public_page(request.authority, page):
        raise BadRequest("Feedback is only taken on this authority's public pages.")
    context = {"form": form, "page": page}
    if request.limited:
        return render(request, "feedback/too_many.html", context, status=429)
    if not form.is_spam:
        if not form.is_valid():
            return render(request, "feedback/form_page.html", context)
        save(authority=request.authority, page=page, **form.answers())
    if isinstance(form, RatingForm):
        context["score"] = domain.score(request.authority, page)
    return render(request, "feedback/thanks.html", context)


@require_safe
@authority_view(*ADMIN)
def admin(request, authority_slug):
    signups = Paginator(TesterSignup.objects.filter(authority=request.authority), PAGE_SIZE)
    return render(
        request,
        "feedback/admin.html",
        {
            "scores": domain.scores_by_page(request.authority),
            "page": signups.get_page(request.GET.get("page")),
        },
    )


@require_safe
@authority_view(*ADMIN)
def ratings_csv(request, authority_slug):
    return _csv_download(request, "page-ratings", domain.ratings_csv(request.authority))


@require_safe
@authority_view(*ADMIN)
def signups_csv(request, authority_slug):
    return _csv_download(request, "website-testers", domain.signups_csv(request.authority))


def _csv_download(request, name, text):
    filename = f"{request.authority.slug}-{name}-{timezone.localdate():%Y-%m-%d}.csv"
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"  # names and email addresses
    return response
