"""People and roles: invitations, accepting them, and removing a role."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from audit.domain import record, snapshot
from authorities.tasks import enqueue

from . import tokens
from .models import Invitation, Membership, Role, User
from .sessions import end_sessions
from .tasks import send_invitation

MEMBERSHIP_FIELDS = ("user", "role", "school")
INVITATION_FIELDS = ("email", "role", "school", "expires_at")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invite(*, authority, by, email, role, school=None) -> Invitation:
    """Invite someone by email to take a role; the email goes out once the transaction commits."""
    email = email.strip().lower()
    if Membership.objects.filter(user__email=email, role=role, school=school).exists():
        raise ValidationError({"email": "This person already has that role."})
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        authority=authority,
        email=email,
        role=role,
        school=school,
        token_hash=hash_token(token),
        invited_by=by if by and by.is_authenticated else None,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    record(
        authority=authority,
        actor=by,
        action="invitation.sent",
        obj=invitation,
        after=snapshot(invitation, INVITATION_FIELDS),
        school=school,
    )
    enqueue(send_invitation, authority.pk, invitation.pk, token)
    return invitation


class InvitationError(Exception):
    """The link cannot be used; the message says why in words the invitee can act on."""


def find_invitation(token: str) -> Invitation:
    """The pending invitation for a token from a link, or InvitationError saying why not."""
    with scopes_disabled():
        invitation = (
            Invitation.objects.select_related("authority", "school")
            .filter(token_hash=hash_token(token))
            .first()
        )
    if invitation is None:
        raise InvitationError(
            "This invitation link is not valid. "
            "Check that you copied the whole link from the email."
        )
    if invitation.accepted_at:
        raise InvitationError(
            "This invitation has already been used. Sign in with the email address it was sent to."
        )
    if invitation.revoked_at:
        raise InvitationError(
            "This invitation was withdrawn. Ask your authority's admin for a new one."
        )
    if invitation.expires_at <= timezone.now():
        raise InvitationError(
            "This invitation has expired. Ask your authority's admin to send a new one."
        )
    return invitation


def accept_invitation(*, token: str, user=None, full_name="", password="") -> Membership:
    """Take up an invitation: as the signed-in user, or by creating the account it was sent to.

    The invitation row is locked, so a link clicked twice at once makes one membership.
    """
    with transaction.atomic():
        invitation = find_invitation(token)
        with scope(authority=invitation.authority):
            invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
            find_invitation(token)  # re-checked under the lock
            if user is None:
                if User.objects.filter(email=invitation.email).exists():
                    raise InvitationError(
                        "An account with this email already exists: "
                        "sign in to accept the invitation."
                    )
                user = User.objects.create_user(invitation.email, password, full_name=full_name)
            elif user.email != invitation.email:
                raise InvitationError(
                    f"This invitation was sent to {invitation.email}, "
                    f"but you are signed in as {user.email}."
                )
            invitation.accepted_at = timezone.now()
            invitation.save(update_fields=["accepted_at"])
            try:
                with transaction.atomic():
                    membership = Membership.objects.create(
                        authority=invitation.authority,
                        user=user,
                        role=invitation.role,
                        school=invitation.school,
                    )
            except IntegrityError:
                membership = Membership.objects.get(
                    user=user, role=invitation.role, school=invitation.school
                )
            record(
                authority=invitation.authority,
                actor=user,
                action="membership.created",
                obj=membership,
                after=snapshot(membership, MEMBERSHIP_FIELDS),
                school=invitation.school,
                person=user,
            )
    return membership


@transaction.atomic
def revoke_invitation(*, invitation, by):
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending:
        raise ValidationError("Only a pending invitation can be withdrawn.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    record(
        authority=invitation.authority,
        actor=by,
        action="invitation.revoked",
        obj=invitation,
        school=invitation.school,
    )


@transaction.atomic
def remove_membership(*, membership, by):
    """Take a role away. The last authority admin cannot be removed, so no authority is left
    unrun. A person left with no role here has their API tokens here revoked; left with no role
    anywhere, they are signed out everywhere."""
    admins = set(
        Membership.objects.select_for_update()
        .filter(role=Role.AUTHORITY_ADMIN)
        .values_list("user", flat=True)
    )
    if membership.role == Role.AUTHORITY_ADMIN and admins == {membership.user_id}:
        raise ValidationError(
            "This is the authority's only admin: make someone else an admin first."
        )
    record(
        authority=membership.authority,
        actor=by,
        action="membership.removed",
        obj=membership,
        before=snapshot(membership, MEMBERSHIP_FIELDS),
        school=membership.school,
        person=membership.user,
    )
    membership.delete()
    if not Membership.objects.filter(user_id=membership.user_id).exists():
        tokens.revoke_all(membership.user, membership.authority)
    with scopes_disabled():
        if not Membership.objects.filter(user_id=membership.user_id).exists():
            end_sessions(membership.user)


def memberships_by_name(role: str = "") -> models.QuerySet[Membership]:
    """The scope's memberships (of one role, or all) by the person's name, email, then role.

    The person is joined: with a random read costed at 1.1 (authorities/rls.py), the planner reads
    each member's user by its primary key, so a page costs the authority's members, not the
    nation's users (tests/test_row_level_security.py plans it). The page's schools are fetched for
    its rows alone."""
    memberships = Membership.objects.select_related("user").order_by(
        "user__full_name", "user__email", "role", "pk"
    )
    if role:
        memberships = memberships.filter(role=role)
    return memberships.prefetch_related("school")


def people_of(authority):
    """The people an authority holds data about: its members, and anyone its audit log names (a
    former member, an erased person). Read inside the authority's scope."""
    from audit.models import AuditEntry

    members = Membership.objects.filter(authority=authority).values("user")
    named = AuditEntry.objects.filter(authority=authority)
    return User.objects.filter(
        models.Q(pk__in=members)
        | models.Q(pk__in=named.values("actor"))
        | models.Q(pk__in=named.values("person"))
    )
