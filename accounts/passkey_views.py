"""Passkeys' ceremonies: django-otp-webauthn's own views (the WebAuthn checks are the library's),
with this portal's rules around them. Registering a passkey needs what every other change to how a
person signs in needs (accounts/two_factor.py `may_add_passkey`); using one is only a second
factor, after the password (passwordless sign-in is off: OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN).
Every outcome is logged as the app's are. Mounted by accounts/passkey_urls.py."""

from django.http import JsonResponse
from django.urls import reverse
from django_otp_webauthn import exceptions
from django_otp_webauthn import views as library
from django_otp_webauthn.utils import rewrite_exceptions
from django_otp_webauthn.views import _get_pywebauthn_logger

from . import two_factor
from .security_views import _next, _with_next

RECONFIRM = (
    "Confirm your password again before adding a passkey: reload the page and follow the link."
)
# What the person reads when the server refuses a passkey at sign-in (the library's words are
# for developers); the page's script shows it beside the button.
REFUSED = {
    "credential_not_found": "That passkey is not one of yours here.",
    "credential_user_mismatch": "That passkey is not one of yours here.",
    "credential_disabled": "That passkey is not one of yours here.",
    "invalid_state": "The passkey check took too long or was started twice.",
}
TRY_AGAIN = "Try again, or enter a code from your authenticator app or a recovery code instead."


class _Registration:
    def _check_user_verified(self, user):
        """The library reads django-otp's OTPMiddleware, which the portal does not use: a person
        with a factor must have verified this session with it."""
        if two_factor.has_second_factor(user) and not two_factor.is_verified(self.request):
            raise exceptions.NotVerified(detail="Sign in with your second factor first.")

    def check_can_register(self):
        if not two_factor.may_add_passkey(self.request):
            raise exceptions.NotVerified(detail=RECONFIRM)


class BeginRegistration(_Registration, library.BeginCredentialRegistrationView):
    pass


class CompleteRegistration(_Registration, library.CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        request, user = self.request, self.request.user
        state = self.get_state()
        with rewrite_exceptions(logger=_get_pywebauthn_logger()):
            device = self.get_helper().register_complete(user=user, state=state, data=request.data)
        codes = two_factor.passkey_added(request, user, device)
        nxt = _next(request) if request.GET.get("next") else ""  # set-up at sign-in goes on
        if codes:
            request.session[two_factor.NEW_CODES_KEY] = codes
            url = _with_next("accounts:recovery_codes", nxt)
        else:
            url = nxt or reverse("accounts:security")
        return JsonResponse({"id": device.pk, "redirect_url": url})

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.UnprocessableEntity) and self.request.user.is_authenticated:
            two_factor.passkey_failed(self.request, self.request.user, f"set-up, {exc.code}")
        return super().handle_exception(exc)


class _Authentication:
    def check_can_authenticate(self):
        """Only after the password: at sign-in, or at re-authentication."""
        if not two_factor.awaits_passkey(self.request):
            raise exceptions.NotAuthenticated(detail="Sign in with your password first.")


class BeginAuthentication(_Authentication, library.BeginCredentialAuthenticationView):
    pass


class CompleteAuthentication(_Authentication, library.CompleteCredentialAuthenticationView):
    def complete_auth(self, device):
        two_factor.passkey_verified(self.request, device.user, device)

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.OTPWebAuthnApiError) and self.request.user.is_authenticated:
            if two_factor.awaits_passkey(self.request):
                two_factor.passkey_failed(self.request, self.request.user, exc.code)
            why = REFUSED.get(exc.code, "The passkey could not be checked.")
            return JsonResponse(
                {"detail": f"{why} {TRY_AGAIN}", "code": exc.code}, status=exc.status_code
            )
        return super().handle_exception(exc)
