"""What the platform admin does across the apps. Here, in the project package at the top, because
creating an authority installs the default framework (assessments) and invites its first admin
(accounts), and authorities sits below both."""

from django.db import transaction
from django_scopes import scope

from accounts.domain import invite
from accounts.models import Role
from assessments.domain import install_default_framework
from audit.domain import record, snapshot
from authorities.models import Authority


@transaction.atomic
def create_authority(*, name, slug, first_admin_email, by) -> Authority:
    """A platform admin creates an authority and invites its first admin."""
    authority = Authority.objects.create(name=name, slug=slug)
    with scope(authority=authority):
        record(
            authority=authority,
            actor=by,
            action="authority.created",
            obj=authority,
            after=snapshot(authority, ("name", "slug")),
        )
        install_default_framework(authority, by)
        invite(authority=authority, by=by, email=first_admin_email, role=Role.AUTHORITY_ADMIN)
    return authority
