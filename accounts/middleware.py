from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from . import two_factor

# Pages a person may open while their session still owes a second factor.
# Passkeys' endpoints (accounts/passkey_urls.py) are the person's own: their ceremonies answer for
# the signed-in person only, and check what the session owes themselves.
OPEN_WHILE_OWED = {
    two_factor.VERIFY: frozenset(
        {
            "accounts:verify",
            "accounts:logout",
            "otp_webauthn:credential-authentication-begin",
            "otp_webauthn:credential-authentication-complete",
            "otp_webauthn:js-i18n-catalog",
        }
    ),
    two_factor.SET_UP: frozenset(
        {
            "accounts:set_up",
            "accounts:logout",
            "otp_webauthn:credential-registration-begin",
            "otp_webauthn:credential-registration-complete",
            "otp_webauthn:js-i18n-catalog",
        }
    ),
}

# Public pages that show a signed-in person something of their own (the home page lists their
# authorities): not before the second factor.
SIGNED_IN_CONTENT = frozenset({"home"})


class SecondFactorMiddleware:
    """Sends a signed-in person whose session owes a second factor (accounts/two_factor.py) to the
    page that asks for it, from every page but public ones and sign-out. Placed after
    AuthenticationMiddleware and LoginRequiredMiddleware; reads the session only, no query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated:
            return None
        state = two_factor.owed(request)
        if state is None:
            return None
        match = request.resolver_match
        name = match.view_name if match else ""
        if name in OPEN_WHILE_OWED[state]:
            return None
        public = not getattr(view_func, "login_required", True) and not name.startswith("admin:")
        if public and name not in SIGNED_IN_CONTENT:
            return None  # a public page (login_not_required): the same for everyone
        target = reverse("accounts:verify" if state == two_factor.VERIFY else "accounts:set_up")
        nxt = request.get_full_path() if request.method == "GET" else ""
        return redirect(f"{target}?{urlencode({'next': nxt})}" if nxt and nxt != "/" else target)
