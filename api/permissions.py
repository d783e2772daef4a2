"""Who may call an authority's API: a member of the authority in the URL, with a token made for
that authority (another authority's token gets a 404, as another authority's objects do), and a
read-write token for anything but reading. What the member may see and do is the workflow's
rules, asked by each endpoint."""

from rest_framework import exceptions, permissions

from accounts.models import Membership
from accounts.roles import remember


class AuthorityMember(permissions.BasePermission):
    def has_permission(self, request, view):
        user = request.user
        if not user.is_authenticated:
            raise exceptions.NotAuthenticated()
        authority = request.authority
        if authority is None:
            return True  # the endpoints outside an authority list only the caller's own
        token = request.auth
        if token is not None and token.authority_id != authority.pk:
            raise exceptions.NotFound()
        memberships = list(Membership.objects.filter(user=user).select_related("school"))
        if not memberships:
            raise exceptions.NotFound()
        remember(user, authority.pk, memberships)
        request.memberships = memberships
        request.roles = frozenset(m.role for m in memberships)
        if request.method not in permissions.SAFE_METHODS and token is not None:
            if not token.can_write:
                raise exceptions.PermissionDenied("This token can only read.")
        return True
