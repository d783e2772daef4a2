"""The project's own pages: the home page, and the pages that draw on several apps (the authority
dashboard, the platform admin's authorities) and so belong to no single app below."""

import sys
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts import security_log
from accounts.roles import is_authority_admin
from api import problems
from assessments.work import cases, my_cases, my_work
from authorities.access import authority_view
from authorities.domain import authorities_of
from authorities.forms import AuthorityForm
from authorities.models import Authority
from overview import domain as overview

from . import health, platform


@login_not_required
def home(request):
    """Signed out: what the portal is. Signed in: the authorities the person works in."""
    if not request.user.is_authenticated:
        return render(request, "home.html")
    authorities = authorities_of(request.user)
    if len(authorities) == 1 and not request.user.is_staff:
        return redirect("dashboard", authority_slug=authorities[0].slug)
    return render(request, "home.html", {"authorities": authorities})


@login_not_required
def accessibility(request):
    """The accessibility statement the UK public sector bodies' regulations ask for."""
    return render(request, "accessibility.html", {"contact": settings.ACCESSIBILITY_CONTACT_EMAIL})


@login_not_required
def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
@never_cache
@require_safe
def health_view(request):
    """Liveness: the process answers. It asks nothing of the database, Redis or the storage, so a
    failing service never gets a healthy process restarted."""
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
@require_safe
def ready(request):
    """Readiness: the database, the broker's and the cache's Redis, the file storage and a
    recently seen worker; 503 if any fails. Each check's status word only: what failed, and
    where, is in the log."""
    result = health.readiness()
    return JsonResponse(result, status=200 if result["status"] == "ready" else 503)


RETRY_AFTER_SECONDS = 60


def not_found(request, exception):
    """handler404: the API's not found (an unknown authority or route) is a problem, as its own
    are, and the same whether or not the authority exists."""
    if problems.is_api(request):
        return problems.problem_response(404, "not_found", "Not found.")
    return defaults.page_not_found(request, exception)


def server_error(request):
    """handler500: a database that cannot be reached is a 503 saying so and that nothing is lost;
    anything else is Django's 500 page (the API's: a problem). Neither touches the database or the
    session: the template is rendered with no request context."""
    unreachable = health.database_unreachable(sys.exc_info()[1])
    if problems.is_api(request):
        response = problems.problem_response(
            503 if unreachable else 500,
            "unavailable" if unreachable else "server_error",
            "The portal's database is out of reach: nothing was changed; try again shortly."
            if unreachable
            else "Something went wrong on the portal's side: nothing was changed. It is logged.",
        )
        if unreachable:
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if not unreachable:
        return defaults.server_error(request)
    template = "_database_unavailable.html" if request.headers.get("HX-Request") else "503.html"
    response = HttpResponse(loader.get_template(template).render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


@authority_view()
def dashboard(request, authority_slug):
    user, authority = request.user, request.authority
    page = Paginator(my_cases(user, authority), 10).get_page(request.GET.get("page"))
    context = {
        "my_roles": request.memberships,
        "work": my_work(user, authority, request.GET.get("work")),
        "cases": cases(user, authority, page),
        "cases_page": page,
    }
    if is_authority_admin.test(request.user, request.authority):
        context["counts"] = overview.counts(authority)
    return render(request, "authorities/dashboard.html", context)


def platform_admin_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


AUTHORITIES_PER_PAGE = 50


@platform_admin_required
def platform_authorities(request):
    form = AuthorityForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            authority = platform.create_authority(
                name=form.cleaned_data["name"],
                slug=form.cleaned_data["slug"],
                first_admin_email=form.cleaned_data["first_admin_email"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, f"{authority.name} created; its first admin has been sent an invitation."
            )
            return redirect("platform_authorities")
    authorities = Paginator(Authority.objects.order_by("name", "pk"), AUTHORITIES_PER_PAGE)
    return render(
        request,
        "authorities/platform.html",
        {"form": form, "authorities": authorities.get_page(request.GET.get("page"))},
    )


def permission_denied(request, exception=None):
    """handler403: a refusal shown to a signed-in person goes to the security log."""
    security_log.permission_refused(request)
    return defaults.permission_denied(request, exception)
