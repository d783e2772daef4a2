from rest_framework.throttling import SimpleRateThrottle


class PerToken(SimpleRateThrottle):
    """API_RATE requests per token (a session: per person); DRF answers 429 with Retry-After."""

    scope = "token"

    def get_cache_key(self, request, view):
        if request.auth is not None:
            ident = f"token-{request.auth.pk}"
        elif request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
