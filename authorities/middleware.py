from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404
from django.urls import Resolver404, resolve
from django_scopes import scope

from accounts.roles import authority_id_of, remember

from . import rls
from .domain import memberships_everywhere
from .models import Authority


class AuthorityMiddleware:
    """Sets request.authority from the URL and runs the request inside that authority's scope.

    Outside an authority URL no scope is active, so a query on an authority-owned model
    raises instead of returning every authority's rows.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with rls.request_context():
            return self._call(request)

    def _call(self, request):
        request.authority = None
        request.memberships = []
        request.every_membership = None
        request.roles = frozenset()
        try:
            slug = resolve(request.path_info).kwargs.get("authority_slug")
        except Resolver404:
            slug = None
        if slug is None:
            return self.get_response(request)
        authority = request.authority = self._find(request, slug)
        with scope(authority=authority):
            return self.get_response(request)

    def _find(self, request, slug):
        """The URL's authority: a signed-in person's memberships of every authority are read
        (once for the request: their roles here, the switcher's list of their authorities) with
        their authorities, so a member's is found among them; anyone else's is read by its slug."""
        if request.user.is_authenticated:
            for membership in self._every_membership(request):
                if membership.authority.slug == slug:
                    return membership.authority
        try:
            return Authority.objects.get(slug=slug)
        except Authority.DoesNotExist:
            raise Http404("No such authority.") from None

    def _every_membership(self, request):
        if request.every_membership is None:
            request.every_membership = memberships_everywhere(request.user)
        return request.every_membership

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.authority is None:
            return None
        policy = getattr(view_func, "authority_policy", None)
        if policy is None:
            raise ImproperlyConfigured(
                f"{view_func.__module__}.{view_func.__name__} declares no authority_view policy."
            )
        user = request.user
        if user.is_authenticated:
            request.memberships = [
                m for m in self._every_membership(request) if m.authority_id == request.authority.pk
            ]
            request.roles = frozenset(m.role for m in request.memberships)
            remember(user, authority_id_of(request.authority), request.memberships)
        if policy.public:
            return None
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.memberships:
            request.authority = None  # its 404 page names no authority: as for an unknown slug
            raise Http404("No such authority.")
        if policy.roles and not (request.roles & policy.roles):
            raise PermissionDenied
        return None
