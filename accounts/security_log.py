"""Security events (sign-ins, second factors, refusals) in the audit log of every authority the
person belongs to: their admins see what happened to their people's accounts."""

from django_scopes import scopes_disabled

from audit.domain import record

from .models import Membership


def record_event(*, user, action, request=None, detail=""):
    """One audit entry per authority the person is a member of (none for a platform admin who
    belongs to no authority)."""
    ip = request.META.get("REMOTE_ADDR") if request else ""
    with scopes_disabled():
        authority_ids = sorted(
            set(Membership.objects.filter(user=user).values_list("authority_id", flat=True))
        )
        from authorities.models import Authority

        for authority in Authority.objects.filter(pk__in=authority_ids).order_by("pk"):
            record(
                authority=authority,
                actor=user,
                action=action,
                obj=user,
                person=user,
                after={"detail": detail, "ip": ip},
            )
