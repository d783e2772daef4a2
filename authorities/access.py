"""Who may open an authority page.

Every view under /<authority-slug>/ declares its policy with `authority_view`; the
middleware refuses to run one that does not (fails closed). Non-members get a 404 so
that no one learns what another authority holds; members without the role get a 403.
"""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_not_required

from accounts.models import Role


@dataclass(frozen=True)
class Policy:
    public: bool = False
    roles: frozenset = frozenset()  # empty: any member


def authority_view(*roles, public=False):
    def decorator(view):
        view.authority_policy = Policy(public=public, roles=frozenset(roles))
        return login_not_required(view) if public else view

    return decorator


ADMIN = (Role.AUTHORITY_ADMIN,)
