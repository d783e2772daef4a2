import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from authorities.access import ADMIN, authority_view

from . import domain
from .domain import InvitationError
from .forms import AcceptInvitationForm, InvitationForm, QueuedPasswordResetForm
from .models import Invitation, Membership, Role, User
from .security_log import client_ip, email_digest

PAGE_SIZE = 50

logger = logging.getLogger("iqm_portal.security")


def reset_request_limited(request, email: str) -> bool:
    """Whether this reset request is over the limit per client address or per account (the
    email, however it is spelt). Both are counted on every request."""
    account = email.strip().lower()
    by_address = is_ratelimited(
        request,
        group="accounts.password_reset.address",
        key="ip",
        rate=settings.PASSWORD_RESET_RATE_PER_ADDRESS,
        increment=True,
    )
    by_account = is_ratelimited(
        request,
        group="accounts.password_reset.account",
        key=lambda group, request: account,
        rate=settings.PASSWORD_RESET_RATE_PER_ACCOUNT,
        increment=True,
    )
    return by_address or by_account


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset request, rate-limited: over the limit, the same "check your email" page is
    shown (no one learns whether an account exists, or that a limit was hit) and nothing is sent.
    """

    form_class = QueuedPasswordResetForm
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        if reset_request_limited(self.request, email):
            logger.warning(
                "password_reset_limited email=%s ip=%s",
                email_digest(email),
                client_ip(self.request),
            )
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


@login_not_required
@never_cache  # the invitation's link is its key: what it shows is not kept, signed in or not
def accept_invitation(request, token):
    try:
        invitation = domain.find_invitation(token)
    except InvitationError as error:
        return render(
            request, "accounts/invitation_invalid.html", {"reason": str(error)}, status=410
        )
    has_account = User.objects.filter(email=invitation.email).exists()
    form = (
        None
        if has_account
        else AcceptInvitationForm(
            request.POST if request.method == "POST" else None, email=invitation.email
        )
    )
    if request.method == "POST":
        if has_account and not request.user.is_authenticated:
            return redirect(f"{_login_url()}?next={request.path}")
        if form is None or form.is_valid():
            try:
                membership = domain.accept_invitation(
                    token=token,
                    user=request.user if has_account else None,
                    full_name=form.cleaned_data["full_name"] if form else "",
                    password=form.cleaned_data["password1"] if form else "",
                )
            except InvitationError as error:
                return render(
                    request, "accounts/invitation_invalid.html", {"reason": str(error)}, status=410
                )
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to {invitation.authority.name}.")
            return redirect("dashboard", authority_slug=invitation.authority.slug)
    return render(
        request,
        "accounts/accept_invitation.html",
        {"invitation": invitation, "form": form, "has_account": has_account},
    )


def _login_url():
    from django.urls import reverse

    return reverse("accounts:login")


@authority_view(*ADMIN)
def people(request, authority_slug):
    role = request.GET.get("role", "")
    if role not in Role.values:
        role = ""
    page = Paginator(domain.memberships_by_name(role), PAGE_SIZE).get_page(request.GET.get("page"))
    invitations = Invitation.objects.select_related("school").filter(
        accepted_at=None, revoked_at=None
    )[:50]
    return render(
        request,
        "accounts/people.html",
        {
            "page": page,
            "invitations": invitations,
            "role": role,
            "role_choices": Membership._meta.get_field("role").choices,
        },
    )


@authority_view(*ADMIN)
def invite(request, authority_slug):
    form = InvitationForm(
        request.POST if request.method == "POST" else None,
        initial={"role": request.GET.get("role")},  # e.g. a mentor, from the registration page
        authority=request.authority,
    )
    if request.method == "POST" and form.is_valid():
        try:
            domain.invite(authority=request.authority, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("people:list", authority_slug=authority_slug)
    return render(request, "accounts/invite.html", {"form": form})


@require_POST
@authority_view(*ADMIN)
def revoke_invitation(request, authority_slug, invitation_pk):
    invitation = get_object_or_404(Invitation, pk=invitation_pk)
    try:
        domain.revoke_invitation(invitation=invitation, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"Invitation for {invitation.email} withdrawn.")
    return redirect("people:list", authority_slug=authority_slug)


@require_POST
@authority_view(*ADMIN)
def remove_membership(request, authority_slug, membership_pk):
    membership = get_object_or_404(
        Membership.objects.select_related("user", "school"), pk=membership_pk
    )
    try:
        domain.remove_membership(membership=membership, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"{membership} removed.")
    return redirect("people:list", authority_slug=authority_slug)


@authority_view(*ADMIN)
def person(request, authority_slug, person_pk):
    """One person of the authority: their roles here, and what can be done about their data."""
    person = get_object_or_404(domain.people_of(request.authority), pk=person_pk)
    memberships = Membership.objects.filter(user=person).select_related("school")
    return render(request, "accounts/person.html", {"person": person, "memberships": memberships})
