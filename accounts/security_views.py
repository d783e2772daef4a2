"""Signing in with a second factor, and the "Sign-in and security" pages (accounts/two_factor.py
holds the rules; these views read the request and render)."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.templatetags.otp_webauthn import get_configuration

from . import two_factor
from .forms import LoginForm
from .security_forms import CodeForm, ConfirmForm, EmailChangeForm, SetUpForm
from .security_log import record_event


def _next(request, default=None) -> str:
    """The page to go on to: a `next` on this site, else the default (the home page)."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default or reverse(settings.LOGIN_REDIRECT_URL)


def _with_next(url_name, nxt) -> str:
    url = reverse(url_name)
    return f"{url}?{urlencode({'next': nxt})}" if nxt else url


class SignInView(auth_views.LoginView):
    """Django's LoginView (with django-axes' lock-out), then the second factor: a code for a
    person who has one, set-up for one who needs one, an offer for the others, once."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_success_url(self):
        nxt = self.get_redirect_url()
        state = self.request.session.get(two_factor.STATE_KEY)
        if state == two_factor.VERIFY:
            return _with_next("accounts:verify", nxt)
        if state == two_factor.SET_UP:
            return _with_next("accounts:set_up", nxt)
        if two_factor.should_offer(self.request.user):
            two_factor.offered(self.request.user)  # once, whether taken up or not
            return _with_next("accounts:offer", nxt)
        return nxt or self.get_default_redirect_url()


def passkey_config(request, nxt="") -> dict:
    """django-otp-webauthn's scripts' configuration (its endpoints, the CSRF token), given to
    templates/accounts/two_factor/passkey_scripts.html; registration goes on to `nxt`."""
    extra = {}
    if nxt:
        extra["completeRegistrationUrl"] = _with_next(
            "otp_webauthn:credential-registration-complete", nxt
        )
    return get_configuration(request, extra)


def recently_authenticated(view):
    """Changes to how a person signs in ask for the password (and a code, for a person with a
    factor) again when they last proved who they are more than REAUTH_SECONDS ago."""

    @wraps(view)
    def check(request, *args, **kwargs):
        if not two_factor.authenticated_recently(request):
            back = (
                request.get_full_path() if request.method == "GET" else reverse("accounts:security")
            )
            return redirect(_with_next("accounts:confirm", back))
        return view(request, *args, **kwargs)

    return check


def verify(request):
    if two_factor.owed(request) != two_factor.VERIFY:
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            two_factor.verify_code(request, request.user, form.cleaned_data["code"])
        except two_factor.CodeRefused as refused:
            form.add_error("code", str(refused))
        else:
            return redirect(_next(request))
    return render(
        request,
        "accounts/two_factor/verify.html",
        {
            "form": form,
            "next": _next(request, ""),
            "has_passkey": two_factor.has_passkey(request.user),
            "has_app": two_factor.has_app(request.user),
            "passkey_config": passkey_config(request),
        },
    )


def set_up(request):
    user = request.user
    if two_factor.has_second_factor(user) and not two_factor.is_verified(request):
        return redirect(_with_next("accounts:verify", _next(request, "")))
    if two_factor.owed(request) != two_factor.SET_UP and not two_factor.authenticated_recently(
        request
    ):
        return redirect(_with_next("accounts:confirm", request.get_full_path()))
    device = two_factor.pending_app(user)
    form = SetUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.confirm_app(request, user, device, form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            messages.success(request, "Your authenticator app is set up.")
            if codes:
                request.session[two_factor.NEW_CODES_KEY] = codes
                return redirect(_with_next("accounts:recovery_codes", _next(request, "")))
            return redirect(_next(request, reverse("accounts:security")))
    return render(
        request,
        "accounts/two_factor/set_up.html",
        {
            "form": form,
            "qr": two_factor.qr_svg(device),
            "secret": two_factor.secret_text(device),
            "required": two_factor.needs_second_factor(user),
            "first": not two_factor.has_second_factor(user),
            "next": _next(request, ""),
            "passkey_config": passkey_config(request, _next(request, "")),
        },
    )


def recovery_codes(request):
    """The codes just made, shown once: they are not shown again."""
    codes = request.session.pop(two_factor.NEW_CODES_KEY, None)
    return render(
        request,
        "accounts/two_factor/recovery_codes.html",
        {"codes": codes, "next": _next(request, reverse("accounts:security"))},
    )


def offer(request):
    return render(request, "accounts/two_factor/offer.html", {"next": _next(request, "")})


def security(request):
    user = request.user
    device = two_factor.recovery_device(user)
    return render(
        request,
        "accounts/security.html",
        {
            "apps": two_factor.apps(user),
            "passkeys": two_factor.passkeys(user),
            "codes_left": device.token_set.count() if device else None,
            "required": two_factor.needs_second_factor(user),
        },
    )


def confirm(request):
    """Re-authentication: the password, and a code for a person with an app; a person whose only
    factor is a passkey uses it after the password (accounts/passkey_views.py)."""
    user = request.user
    with_code = two_factor.has_app(user)
    with_passkey = not with_code and two_factor.has_passkey(user)
    form = ConfirmForm(request.POST or None, user=user, with_code=with_code)
    if request.method == "POST" and form.is_valid():
        if with_passkey:
            two_factor.password_confirmed(request)
            return render(
                request,
                "accounts/two_factor/confirm_passkey.html",
                {
                    "next": _next(request, reverse("accounts:security")),
                    "passkey_config": passkey_config(request),
                },
            )
        if with_code and not two_factor.check_code(user, form.cleaned_data["code"]):
            record_event(
                user=user,
                action="second_factor_failed",
                request=request,
                detail="re-authentication",
            )
            form.add_error("code", "That code is not right, or has been used already.")
        else:
            two_factor.mark_authenticated(request)
            return redirect(_next(request, reverse("accounts:security")))
    return render(
        request,
        "accounts/two_factor/confirm.html",
        {"form": form, "next": _next(request, reverse("accounts:security"))},
    )


@require_POST
@recently_authenticated
def regenerate_codes(request):
    try:
        codes = two_factor.regenerate_recovery_codes(request, request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("accounts:security")
    request.session[two_factor.NEW_CODES_KEY] = codes
    messages.success(request, "New recovery codes made: the old ones no longer work.")
    return redirect("accounts:recovery_codes")


@require_POST
@recently_authenticated
def remove_app(request, device_pk):
    try:
        two_factor.remove_app(request, request.user, device_pk)
    except TOTPDevice.DoesNotExist:
        raise Http404("No such authenticator app.") from None
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, "Authenticator app removed.")
    return redirect("accounts:security")


@recently_authenticated
def add_passkey(request):
    """The passkey's ceremony runs in the browser (django-otp-webauthn's script) against
    accounts/passkey_views.py; this page holds its button."""
    return render(
        request, "accounts/two_factor/add_passkey.html", {"passkey_config": passkey_config(request)}
    )


@require_POST
@recently_authenticated
def remove_passkey(request, device_pk):
    try:
        two_factor.remove_passkey(request, request.user, device_pk)
    except WebAuthnCredential.DoesNotExist:
        raise Http404("No such passkey.") from None
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, "Passkey removed.")
    return redirect("accounts:security")


@recently_authenticated
def change_password(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        update_session_auth_hash(request, form.user)
        record_event(user=request.user, action="password_changed", request=request)
        messages.success(request, "Your password has been changed.")
        return redirect("accounts:security")
    return render(request, "accounts/change_password.html", {"form": form})


@recently_authenticated
def change_email(request):
    user = request.user
    form = EmailChangeForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        old = user.email
        two_factor.change_email(request, user, form.cleaned_data["email"])
        messages.success(
            request,
            f"Your email address is now {user.email}: sign in with it from now on. We have told "
            f"{old} about the change.",
        )
        return redirect("accounts:security")
    return render(request, "accounts/change_email.html", {"form": form})
