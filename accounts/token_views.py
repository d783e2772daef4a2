"""The "API tokens" page: a person's own personal API tokens for one authority (accounts/tokens.py
holds the rules; these views read the request and render). Any member may make tokens for
themselves; making one asks for the password again when the person last proved who they are more
than REAUTH_SECONDS ago, as a change to how they sign in does."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from authorities.access import authority_view

from . import tokens, two_factor
from .models import ApiToken
from .security_views import _with_next
from .token_forms import TokenForm


def _tokens_of(request):
    """The person's own tokens in the authority of the URL (the scope), newest first."""
    return ApiToken.objects.filter(user=request.user).order_by("-created_at", "-pk")


def _page(request, form):
    return render(
        request,
        "accounts/api_tokens.html",
        {
            "form": form,
            "tokens": _tokens_of(request),
            "confirm_first": not two_factor.authenticated_recently(request),
        },
    )


@authority_view()
def token_list(request, authority_slug):
    return _page(request, TokenForm())


@require_POST
@authority_view()
def token_create(request, authority_slug):
    """Makes the token and shows its secret in this response only: it is kept nowhere else (not
    in the session either), so it cannot be shown again."""
    if not two_factor.authenticated_recently(request):
        messages.info(request, "Confirm it’s you, then make the token.")
        return redirect(
            _with_next("accounts:confirm", reverse("api_tokens:list", args=[authority_slug]))
        )
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, secret = tokens.create_token(
                request.user,
                request.authority,
                form.cleaned_data["name"],
                can_write=form.cleaned_data["can_write"],
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return render(
                request, "accounts/api_token_created.html", {"token": token, "secret": secret}
            )
    return _page(request, form)


def _own_token(request, token_pk):
    return get_object_or_404(_tokens_of(request), pk=token_pk)


@authority_view()
def token_revoke_check(request, authority_slug, token_pk):
    return render(
        request, "accounts/api_token_revoke.html", {"token": _own_token(request, token_pk)}
    )


@require_POST
@authority_view()
def token_revoke(request, authority_slug, token_pk):
    token = _own_token(request, token_pk)
    if tokens.revoke(token, request=request):
        messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    else:
        messages.info(request, f"Token “{token.name}” was already revoked.")
    return redirect("api_tokens:list", authority_slug=authority_slug)
