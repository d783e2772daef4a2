"""Who calls the API: a personal token (`Authorization: Bearer iqm_…`), or the browser's session
with its CSRF check."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts import tokens


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
