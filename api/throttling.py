"""Rate limits: API_RATE requests per token (a browser session: per person), "600/min" unless the
environment says otherwise (e.g. API_RATE=120/min; the period is sec, min, hour or day). Over it,
DRF answers 429 with `Retry-After`, the seconds until the next request is allowed (in the problem
details' shape, api/problems.py). Counts live in the cache (Redis), shared by every process."""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class PerToken(SimpleRateThrottle):
    scope = "token"

    @property
    def THROTTLE_RATES(self):  # noqa: N802 (DRF's name)
        """Read when a request is checked, not when this module was imported, so a test's
        override_settings(REST_FRAMEWORK=…) takes effect (as does setting `rate` on the class)."""
        return api_settings.DEFAULT_THROTTLE_RATES

    def get_cache_key(self, request, view):
        if request.auth is not None:
            ident = f"token-{request.auth.pk}"
        elif request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
