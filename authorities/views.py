from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render

from accounts.models import Membership, Role
from schools.models import Area, School

from . import domain
from .access import ADMIN, authority_view
from .forms import AuthorityForm, AuthoritySettingsForm
from .models import Authority
from .work import my_work


def platform_admin_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@authority_view()
def dashboard(request, authority_slug):
    context = {"my_roles": request.memberships, "work": my_work(request)}
    if Role.AUTHORITY_ADMIN in request.roles:
        context["counts"] = {
            "areas": Area.objects.count(),
            "schools": School.objects.count(),
            "people": Membership.objects.values("user").distinct().count(),
        }
    return render(request, "authorities/dashboard.html", context)


@authority_view(*ADMIN)
def settings(request, authority_slug):
    form = AuthoritySettingsForm(
        request.POST if request.method == "POST" else None, instance=request.authority
    )
    if request.method == "POST" and form.is_valid():
        domain.update_settings(
            authority=request.authority, by=request.user, changes=form.cleaned_data
        )
        messages.success(request, "Settings saved.")
        return redirect("authorities:settings", authority_slug=authority_slug)
    return render(request, "authorities/settings.html", {"form": form})


@platform_admin_required
def platform_authorities(request):
    form = AuthorityForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            authority = domain.create_authority(
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
    return render(
        request, "authorities/platform.html", {"form": form, "authorities": Authority.objects.all()}
    )
