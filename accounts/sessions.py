"""Sessions: who is signed in to each, their idle and absolute timeouts, and ending them all.

Django's database sessions, kept in accounts.UserSession with the signed-in person beside the
data (SESSION_ENGINE = "accounts.sessions"), so that disabling a person is one DELETE.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

STARTED = "iqm_session_started"  # when the person signed in (POSIX seconds)
SEEN = "iqm_session_seen"  # their last request, to the minute
SEEN_RESOLUTION = 60  # seconds: the last-seen time is written at most once a minute

IDLE, ABSOLUTE = "idle", "absolute"


class SessionStore(DatabaseSessionStore):
    @classmethod
    def get_model_class(cls):
        from .models import UserSession

        return UserSession

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        try:
            session.user_id = int(data.get("_auth_user_id"))
        except (TypeError, ValueError):
            session.user_id = None
        return session


def end_sessions(user) -> int:
    """Sign a person out everywhere: every session they are signed in to is deleted."""
    from .models import UserSession

    deleted, _ = UserSession.objects.filter(user_id=user.pk).delete()
    return deleted


def end_sessions_of_inactive_user(sender, instance, **kwargs):
    """post_save of User: a person made inactive is signed out everywhere, however it was done."""
    if not instance.is_active:
        end_sessions(instance)


def start_session_clock(sender, request, user, **kwargs):
    """user_logged_in: the timeouts count from here (login() has already given a new key)."""
    if request is not None and hasattr(request, "session"):
        now = int(timezone.now().timestamp())
        request.session[STARTED] = now
        request.session[SEEN] = now


def timed_out(session) -> str | None:
    """IDLE or ABSOLUTE if the session has run out, else None (and the last-seen time kept)."""
    now = int(timezone.now().timestamp())
    started = session.get(STARTED)
    if started is None:  # signed in before timeouts existed: the clock starts now
        session[STARTED] = session[SEEN] = now
        return None
    if now - started >= settings.SESSION_ABSOLUTE_TIMEOUT:
        return ABSOLUTE
    seen = session.get(SEEN, started)
    if now - seen >= settings.SESSION_IDLE_TIMEOUT:
        return IDLE
    if now - seen >= SEEN_RESOLUTION:
        session[SEEN] = now
    return None


def duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return "1 hour" if hours == 1 else f"{hours} hours"
    minutes = max(1, seconds // 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def why_ended(reason: str | None) -> str:
    if reason == ABSOLUTE:
        return (
            f"For your security you are signed out {duration(settings.SESSION_ABSOLUTE_TIMEOUT)}"
            " after signing in."
        )
    if reason == IDLE:
        return (
            f"You were signed out after {duration(settings.SESSION_IDLE_TIMEOUT)} without activity."
        )
    return "You are signed out."


def ended_message(reason: str) -> str:
    return f"{why_ended(reason)} Sign in again to carry on where you were."


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _local_path(request, url: str) -> str:
    """The path and query of a URL of this site, or "" for anything else."""
    if not url or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def sign_in_again(request, reason: str | None):
    """Where a request goes that needs a session it no longer has.

    A page is sent to sign in and comes back (a form that was posted: back to the page it was
    on). An htmx request, such as an autosave, gets a 401 whose body its page shows (with a
    link to sign in and come back), not a sign-in page swapped in as though it were an answer.
    """
    if is_htmx(request):
        back = _local_path(request, request.headers.get("HX-Current-URL", ""))
        return render(
            request,
            "accounts/session_ended.html",
            {
                "reason": why_ended(reason),
                "login_url": redirect_to_login(back)["Location"]
                if back
                else resolve_url(settings.LOGIN_URL),
            },
            status=401,
        )
    if request.method in ("GET", "HEAD"):
        return redirect_to_login(request.get_full_path())
    back = _local_path(request, request.headers.get("Referer", ""))
    return redirect_to_login(back) if back else redirect(settings.LOGIN_URL)


class SessionTimeoutMiddleware:
    """Ends a session past its idle or absolute timeout (SESSION_IDLE_TIMEOUT,
    SESSION_ABSOLUTE_TIMEOUT), and answers an htmx request without a session with a 401.

    Works in process_view, listed before LoginRequiredMiddleware, so it knows whether the view
    needs a signed-in person: a public page is shown, signed out, without fuss.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        login_required = getattr(view_func, "login_required", True)
        if request.user.is_authenticated:
            reason = timed_out(request.session)
            if reason is None:
                return None
            request.session_ended = reason  # the security log's "signed_out" says why
            logout(request)
            if not login_required:
                return None
            messages.info(request, ended_message(reason))
            return sign_in_again(request, reason)
        if login_required and is_htmx(request):
            return sign_in_again(request, None)
        return None
