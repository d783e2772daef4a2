"""Who calls the API: a personal token (`Authorization: Bearer iqm_…`), or the browser's session
with its CSRF check, once it has passed its second factor."""

from drf_spectacular.authentication import SessionScheme as SpectacularSessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts import tokens, two_factor


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the token as “Authorization: Bearer <token>”."
            )
        token = tokens.authenticate(header[1].decode("latin-1"))
        if token is None:
            raise exceptions.AuthenticationFailed(
                "This token is not valid: it may have been revoked, or its person disabled."
            )
        return token.user, token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's, refusing a session that still owes its second factor: the API's views are not
    login-required pages, so accounts.middleware.SecondFactorMiddleware lets them through and the
    check is made here (else the password alone would open the API to a role that needs more)."""

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is not None and two_factor.owed(request._request) is not None:
            raise exceptions.AuthenticationFailed(
                "Finish signing in with your second factor first, or send a personal API token."
            )
        return found


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = TokenAuthentication
    name = "token"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token, made on the portal's “API tokens” page or with "
            "`manage.py create_api_token`.",
        }


class SessionScheme(SpectacularSessionScheme):
    """The browser's session, documented as drf-spectacular documents DRF's."""

    target_class = SessionAuthentication
    priority = 0
