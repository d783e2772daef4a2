from django.contrib import messages
from django.shortcuts import redirect, render

from . import domain
from .access import ADMIN, authority_view
from .forms import AuthoritySettingsForm


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
