from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import redirect, render


@login_not_required
def home(request):
    """Signed out: what the portal is. Signed in: the authorities the person works in."""
    if not request.user.is_authenticated:
        return render(request, "home.html")
    from authorities.models import Authority

    authorities = list(Authority.objects.filter(memberships__user=request.user).distinct())
    if len(authorities) == 1 and not request.user.is_staff:
        return redirect("authorities:dashboard", authority_slug=authorities[0].slug)
    return render(request, "home.html", {"authorities": authorities})


@login_not_required
def healthz(request):
    return HttpResponse("ok", content_type="text/plain")
