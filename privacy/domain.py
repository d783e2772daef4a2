"""Privacy under UK GDPR: what an authority holds about a person (subject access), erasing a person,
and the retention of evidence files.

Tenancy. Every read here runs inside the authority's scope and goes through the models' scoped
managers, so a person who also belongs to another authority gets only this authority's records:
another authority's data never leaves it (each authority answers for its own). A model whose
manager is not scoped is never read (it could hold any authority's rows); inventory.py lists the
user fields.
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from accounts import domain as accounts
from accounts import two_factor
from accounts.models import Invitation, Membership, Role, User
from assessments.models import Cycle
from audit.domain import record
from audit.models import AuditEntry
from authorities.models import Authority
from authorities.tasks import enqueue
from notifications.models import OutboxMessage
from portfolios.models import EvidenceFile

from . import inventory
from .models import SubjectAccessExport

log = logging.getLogger(__name__)

FORMAT = "IQM Portal subject access export, version 1"
ERASED_DOMAIN = "erased.invalid"  # RFC 2606: .invalid never delivers


def tenancy_note(authority) -> str:
    return (
        f"This export holds what {authority.name} holds about this person in the IQM Portal. "
        "If the person also works with another authority on the portal, that authority's records "
        "are not included: each authority answers for its own data, so ask it directly."
    )


# Subject access ----------------------------------------------------------------------------------


def _is_scoped(model) -> bool:
    return hasattr(model._default_manager, "with_scopes_disabled")


def _value(obj, model_field):
    if model_field.is_relation:
        if getattr(obj, model_field.attname) is None:
            return None
        return str(getattr(obj, model_field.name))
    if isinstance(model_field, models.FileField):
        return getattr(obj, model_field.attname).name or ""
    if model_field.choices:
        return getattr(obj, f"get_{model_field.name}_display")()
    return model_field.value_from_object(obj)


def _record(obj) -> dict:
    """One record as field name to value: related objects by their names, choices by their labels,
    secrets and copies (inventory.SKIPPED_FIELDS) left out."""
    values = {"id": obj.pk, "what": str(obj)}
    for model_field in obj._meta.concrete_fields:
        if model_field.primary_key or model_field.name in inventory.SKIPPED_FIELDS:
            continue
        values[model_field.name] = _value(obj, model_field)
    return values


def _section(key, title, queryset) -> dict:
    related = [f.name for f in queryset.model._meta.concrete_fields if f.many_to_one]
    records = [_record(obj) for obj in queryset.select_related(*related)]
    return {"source": key, "title": title, "records": records}


def collect(authority, person) -> dict:
    """Everything `authority` holds about `person`, as JSON-ready data. Runs in the authority's
    scope; a model that cannot be scoped is named under `not_read`, never read."""
    sections, not_read = [], []
    with scope(authority=authority):
        for user_field, title in inventory.covered_fields():
            model = user_field.model
            if user_field.key in inventory.ACCOUNT:
                queryset = model.objects.filter(**{user_field.lookup: person})
                sections.append(_section(user_field.key, title, queryset.order_by("pk")))
                continue
            if not _is_scoped(model):
                not_read.append(user_field.key)
                log.error("Subject access: %s is not scoped, so it was not read.", user_field.key)
                continue
            queryset = model.objects.filter(**{user_field.lookup: person}).distinct()
            sections.append(_section(user_field.key, title, queryset.order_by("pk")))
        for label, lookup, title in inventory.DERIVED:
            model = apps.get_model(label)
            queryset = model.objects.filter(**{lookup: person}).order_by("pk")
            sections.append(_section(f"{label} ({lookup})", title, queryset))
        for label, email_field, title in inventory.BY_EMAIL:
            model = apps.get_model(label)
            queryset = model.objects.filter(**{f"{email_field}__iexact": person.email})
            sections.append(_section(f"{label}.{email_field}", title, queryset.order_by("pk")))
    return {
        "format": FORMAT,
        "generated_at": timezone.now(),
        "authority": authority.name,
        "tenancy": tenancy_note(authority),
        "account": {
            "id": person.pk,
            "full_name": person.full_name,
            "email": person.email,
            "date_joined": person.date_joined,
            "last_login": person.last_login,
            "can_sign_in": person.is_active and person.has_usable_password(),
        },
        "sections": sections,
        "not_read": not_read,
    }


def to_json(data) -> bytes:
    return json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False).encode()


def to_html(data) -> str:
    return render_to_string("privacy/export.html", {"data": data})


@transaction.atomic
def request_export(*, authority, person, by) -> SubjectAccessExport:
    """Ask for an export; a worker makes it (privacy.tasks.build_export). Logged: a subject access
    request is itself a record the authority keeps."""
    from .tasks import build_export

    export = SubjectAccessExport.objects.create(authority=authority, person=person, requested_by=by)
    record(
        authority=authority,
        actor=by,
        action="privacy.export_requested",
        obj=export,
        person=person,
    )
    enqueue(build_export, authority.pk, export.pk)
    return export


def build(export) -> None:
    """Make the export's two files (in the worker): the JSON and the PDF from the same data."""
    from reports.render import write_pdf
    from reports.tasks import memory_limit

    data = collect(export.authority, export.person)
    saved = []
    try:
        saved.append(_save(export.json_file, export, "export.json", to_json(data)))
        with memory_limit(settings.PDF_MEMORY_LIMIT_MB):
            pdf = write_pdf(to_html(data))
        saved.append(_save(export.pdf_file, export, "export.pdf", pdf))
    except BaseException:
        for name in saved:
            export.json_file.storage.delete(name)
        raise
    json_name, pdf_name = saved
    now = timezone.now()
    SubjectAccessExport.objects.filter(pk=export.pk).update(
        state=SubjectAccessExport.State.DONE,
        json_file=json_name,
        pdf_file=pdf_name,
        finished_at=now,
        expires_at=now + timedelta(days=settings.PRIVACY_EXPORT_VALID_DAYS),
    )


def _save(file, export, filename, content) -> str:
    return file.storage.save(file.field.generate_filename(export, filename), ContentFile(content))


def delete_files(export) -> None:
    for file in (export.json_file, export.pdf_file):
        if file:
            file.storage.delete(file.name)


def expire_exports(now=None) -> int:
    """Delete the files of every export past its expiry (all authorities: a periodic sweep)."""
    now = now or timezone.now()
    with scopes_disabled():
        return expire(
            SubjectAccessExport.objects.filter(
                state=SubjectAccessExport.State.DONE, expires_at__lte=now
            )
        )


def expire(exports) -> int:
    """Delete these exports' files; each stays listed, as expired."""
    expired = 0
    for export in exports:
        delete_files(export)
        SubjectAccessExport.objects.filter(pk=export.pk).update(
            state=SubjectAccessExport.State.EXPIRED, json_file="", pdf_file=""
        )
        expired += 1
    return expired


# Erasure -----------------------------------------------------------------------------------------


@dataclass
class ErasurePlan:
    """What erasing a person from an authority would do, for the check page and for `erase`."""

    person: User
    memberships: list = field(default_factory=list)
    pending_invitations: int = 0
    elsewhere: bool = False  # they belong to another authority too: the account is kept
    blocked: str = ""

    @property
    def erases_account(self) -> bool:
        return not self.elsewhere


def erased_name(person) -> str:
    return f"Erased person #{person.pk}"


def erased_email(person) -> str:
    return f"erased-{person.pk}@{ERASED_DOMAIN}"


def is_erased(person) -> bool:
    return person.email == erased_email(person)


def erasure_plan(*, authority, person, by) -> ErasurePlan:
    with scope(authority=authority):
        plan = ErasurePlan(
            person=person,
            memberships=list(Membership.objects.filter(user=person).select_related("school")),
            pending_invitations=sum(
                1 for i in Invitation.objects.filter(email__iexact=person.email) if i.is_pending
            ),
        )
        admins = set(
            Membership.objects.filter(role=Role.AUTHORITY_ADMIN).values_list("user", flat=True)
        )
    with scopes_disabled():
        plan.elsewhere = (
            Membership.objects.filter(user=person).exclude(authority=authority).exists()
        )
    if person.pk == by.pk:
        plan.blocked = "You cannot erase yourself: ask another admin of the authority."
    elif person.is_staff:
        plan.blocked = (
            "This person is a platform admin: their account is managed by the portal's operators."
        )
    elif admins == {person.pk}:
        plan.blocked = "This is the authority's only admin: make someone else an admin first."
    elif is_erased(person):
        plan.blocked = "This person has already been erased."
    return plan


def erase(*, authority, person, by) -> ErasurePlan:
    """Erase a person from the authority, in one transaction: their roles here end, their pending
    invitations are withdrawn and the emails sent to them are emptied. If they belong to no other
    authority, their account is erased too: name and email replaced, password unusable, sessions
    ended (so no session or password-reset link works). Their records (answers, votes, reports,
    the audit log) stay, shown under the replaced name, so the cycles they worked on are intact.
    Another authority's records are never touched: where they belong to one, the account stays."""
    with transaction.atomic(), scope(authority=authority):
        person = User.objects.select_for_update().get(pk=person.pk)
        plan = erasure_plan(authority=authority, person=person, by=by)
        if plan.blocked:
            raise ValidationError(plan.blocked)
        old_email = person.email
        for membership in plan.memberships:
            accounts.remove_membership(membership=membership, by=by)
        for invitation in Invitation.objects.filter(email__iexact=old_email):
            if invitation.is_pending:
                accounts.revoke_invitation(invitation=invitation, by=by)
        Invitation.objects.filter(email__iexact=old_email).update(email=erased_email(person))
        OutboxMessage.objects.filter(
            to__iexact=old_email, state__in=[OutboxMessage.State.QUEUED, OutboxMessage.State.FAILED]
        ).update(state=OutboxMessage.State.FAILED, last_error="The recipient was erased.")
        OutboxMessage.objects.filter(to__iexact=old_email).update(
            to=erased_email(person), body="(Erased with the person it was sent to.)"
        )
        apps.get_model("feedback", "TesterSignup").objects.filter(email__iexact=old_email).delete()
        # This authority's copies of what it held about them go too.
        expire(
            SubjectAccessExport.objects.filter(person=person).exclude(
                state=SubjectAccessExport.State.EXPIRED
            )
        )
        if plan.erases_account:
            with scopes_disabled():  # the account is gone everywhere: so is its name
                redact_audit(person, old_name=person.full_name, old_email=old_email)
            person.full_name = erased_name(person)
            person.email = erased_email(person)
            person.is_active = False
            person.set_unusable_password()
            person.save()  # inactive: accounts.sessions ends every session of theirs
            two_factor.reset(person, reason="the person was erased")
        record(
            authority=authority,
            actor=by,
            action="person.erased" if plan.erases_account else "person.erased_from_authority",
            obj=person,
            person=person,
            after={
                "roles_ended": len(plan.memberships),
                "invitations_withdrawn": plan.pending_invitations,
                "account_erased": plan.erases_account,
            },
        )
    return plan


def _redacted(value, replacements):
    if isinstance(value, str):
        for old, new in replacements:
            if old:
                value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {k: _redacted(v, replacements) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v, replacements) for v in value]
    return value


def redact_audit(person, *, old_name, old_email) -> int:
    """Replace the person's name and email in the text the audit log kept of them
    (an entry's description and its before/after snapshots: "Jane Smith: Mentor", an invitation's
    email). The rest of each entry stays; the trigger allows this only here (audit migration 0003).
    Entries read the person's name through their foreign keys, so those follow by themselves."""
    replacements = [(old_email, erased_email(person)), (old_name, erased_name(person))]
    entries = AuditEntry.objects.filter(
        Q(person=person)
        | Q(actor=person)
        | Q(object_type=person._meta.label, object_id=str(person.pk))
        | Q(object_repr__icontains=old_email)
    )
    changed = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL iqm.audit_redaction = 'on'")
        for entry in entries:
            values = {
                "object_repr": _redacted(entry.object_repr, replacements),
                "before": _redacted(entry.before, replacements),
                "after": _redacted(entry.after, replacements),
            }
            if values != {
                "object_repr": entry.object_repr,
                "before": entry.before,
                "after": entry.after,
            }:
                AuditEntry.objects.filter(pk=entry.pk).update(**values)
                changed += 1
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL iqm.audit_redaction = 'off'")
    return changed


# Retention ---------------------------------------------------------------------------------------


def retention_cutoff(now, years):
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def apply_retention(now=None) -> int:
    """Delete the evidence files of cycles decided more than EVIDENCE_RETENTION_YEARS ago (0: keep
    them). A file used by any cycle not yet that old is kept. The rows stay, with the date the file
    was deleted; each deletion is in the authority's audit log. Returns the number of files
    deleted."""
    years = settings.EVIDENCE_RETENTION_YEARS
    if not years:
        return 0
    now = now or timezone.now()
    cutoff = retention_cutoff(now, years)
    deleted = 0
    with scopes_disabled():
        authorities = list(Authority.objects.all())
    for authority in authorities:
        with scope(authority=authority):
            old = Cycle.objects.filter(
                decisions__corrects__isnull=True, decisions__recorded_at__lt=cutoff
            )
            files = (
                EvidenceFile.objects.filter(file_deleted_at__isnull=True, items__cycle__in=old)
                .exclude(items__cycle__in=Cycle.objects.exclude(pk__in=old))
                .distinct()
            )
            for evidence_file in files:
                deleted += _delete_evidence_file(authority, evidence_file, now, years)
    return deleted


def _delete_evidence_file(authority, evidence_file, now, years) -> int:
    with transaction.atomic():
        evidence_file = EvidenceFile.objects.select_for_update().get(pk=evidence_file.pk)
        if evidence_file.file_deleted_at:
            return 0
        name = evidence_file.file.name
        items = list(evidence_file.items.select_related("cycle__school"))
        EvidenceFile.objects.filter(pk=evidence_file.pk).update(file="", file_deleted_at=now)
        for item in items:
            record(
                authority=authority,
                actor=None,
                action="evidence.file_deleted",
                obj=item,
                school=item.cycle.school,
                before={"sha256": evidence_file.sha256, "size": evidence_file.size},
                after={
                    "note": f"File deleted under the retention policy on {now:%d %B %Y}",
                    "retention_years": years,
                },
            )
        if name:
            evidence_file.file.storage.delete(name)
    return 1
