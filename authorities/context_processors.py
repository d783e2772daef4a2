from django.utils.functional import SimpleLazyObject

from accounts.roles import (
    is_authority_admin,
    is_authority_staff,
    is_desk_checker,
    is_mentor,
    may_see_overview,
)

from .domain import authorities_of


def authority(request):
    def my_authorities():
        if not request.user.is_authenticated:
            return []
        return authorities_of(request.user, getattr(request, "every_membership", None))

    def may():
        """What the person's roles open in the navigation (each page checks again)."""
        checks = {
            "admin": is_authority_admin,
            "staff": is_authority_staff,
            "desk": is_desk_checker,
            "mentor": is_mentor,
            "overview": may_see_overview,
        }
        return {name: check.test(request.user, request.authority) for name, check in checks.items()}

    authority = getattr(request, "authority", None)
    return {
        "authority": authority,
        "may": SimpleLazyObject(may) if authority else {},
        "my_authorities": SimpleLazyObject(my_authorities),
    }
