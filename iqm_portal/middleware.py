"""Site-wide rules that no view should have to remember."""

import ipaddress

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from api import problems

MB = 1024 * 1024


class ClientAddressMiddleware:
    """Behind PROXY_COUNT proxies (a load balancer, nginx), REMOTE_ADDR is the nearest proxy's
    address, the same for everyone: the client's is the one the outermost proxy received the
    request from, which it added to X-Forwarded-For. Each proxy adds one address at the end, so
    that one is PROXY_COUNT places from the end; anything before it came from the client and is
    not believed. Everything that counts per address (the login lockout, the password-reset and
    feedback limits, the security log) then counts each client apart.

    A request with fewer addresses than that came around the proxies, and keeps its REMOTE_ADDR.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.proxies = settings.PROXY_COUNT

    def __call__(self, request):
        if self.proxies:
            forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if len(forwarded) >= self.proxies:
                address = forwarded[-self.proxies].strip()
                try:
                    request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(address))
                except ValueError:
                    pass
        return self.get_response(request)


class NoStoreMiddleware:
    """Nothing shown to a signed-in person is kept by a browser or a proxy: every response to a
    signed-in request, pages and file downloads alike, says `Cache-Control: no-store` (with
    `private` and `max-age=0`), so the back button after signing out, or the next person at a
    shared computer, finds nothing.

    A view may decide otherwise by setting Cache-Control itself; tests/test_production_settings.py
    lists the ones that do. Signed-out pages (the public list, the directory) and static files
    (answered by WhiteNoise before this runs) are left cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


class RequestSizeLimitMiddleware:
    """Refuses a request whose body is larger than MAX_REQUEST_MB, from its Content-Length alone,
    before anything reads the body: 413 and a page that says what to do (JSON for the upload
    page's script, which shows its `error`).

    A chunked body (Transfer-Encoding, no Content-Length) is refused with 411: Django reads no body
    without a Content-Length, so the view would see an empty form; browsers never send one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            return _refuse(
                request,
                411,
                "The request could not be read",
                "The request came without its length, which the portal needs: "
                "nothing was saved. Send it again from the portal's page.",
            )
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body at all for a length it cannot read
        if length > settings.MAX_REQUEST_MB * MB:
            return _refuse(
                request,
                413,
                "Too much to send at once",
                f"What you sent is larger than {settings.MAX_REQUEST_MB} MB, the most the portal "
                "takes at once: nothing was saved. Send fewer files at a time, or smaller ones.",
            )
        return self.get_response(request)


def _refuse(request, status, title, message):
    if problems.is_api(request):
        code = "too_large" if status == 413 else "length_required"
        return problems.problem_response(status, code, message)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"error": message}, status=status)
    return render(request, "413.html", {"title": title, "message": message}, status=status)
