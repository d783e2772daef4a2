"""Writing the audit log. Every state change calls `record` inside its transaction."""

from django.db import models

from .models import AuditEntry

# Field names whose values never reach the log, whatever a caller passes.
SECRET_FIELDS = frozenset({"password", "token", "token_hash", "secret", "key"})


def snapshot(instance: models.Model, fields) -> dict:
    """The named fields of an instance as JSON-safe values (foreign keys by id, choices by
    value)."""
    data = {}
    for name in fields:
        if name in SECRET_FIELDS:
            continue
        field = instance._meta.get_field(name)
        value = getattr(instance, field.attname)
        data[name] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
    return data


def record(*, authority, actor, action, obj, before=None, after=None, school=None, person=None):
    def clean(values):
        return {k: v for k, v in (values or {}).items() if k not in SECRET_FIELDS}

    return AuditEntry.objects.create(
        authority=authority,
        actor=actor if actor and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.label,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        school=school,
        person=person,
        before=clean(before),
        after=clean(after),
    )
