"""Writing the audit log (every state change calls `record` inside its transaction), and reading
it a page at a time, filtered by school and person as an admin types them."""

from dataclasses import dataclass

from django.db import models

from accounts.models import User
from authorities.school_picker import named_exactly

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


# Reading the log --------------------------------------------------------------------------------

PAGE_SIZE = 50
SUGGESTIONS = 10


def _schools():
    """The School model, through the entry's foreign key: audit sits below schools."""
    return AuditEntry._meta.get_field("school").remote_field.model.objects


def _members(authority):
    return User.objects.filter(memberships__authority=authority).distinct()


def _named(rows, exactly: models.Q, in_part: models.Q) -> list[int]:
    """The ids of the rows the text names exactly (a suggestion chosen, a URN, an email), else of
    those whose name holds it. As a list, so the entries are found through their indexes by id."""
    ids = list(rows.filter(exactly).values_list("pk", flat=True))
    return ids or list(rows.filter(in_part).values_list("pk", flat=True))


def schools_matching(text: str) -> list[int]:
    return _named(_schools().all(), named_exactly(text), models.Q(name__icontains=text))


def people_matching(authority, text: str) -> list[int]:
    """Members of the authority, by name or email address."""
    return _named(
        _members(authority),
        models.Q(email__iexact=text) | models.Q(full_name__iexact=text),
        models.Q(email__icontains=text) | models.Q(full_name__icontains=text),
    )


def person_suggestions(authority, text: str) -> list[tuple[str, str]]:
    """(email, name) of the first members whose name or email address holds the text."""
    people = _members(authority).filter(
        models.Q(email__icontains=text) | models.Q(full_name__icontains=text)
    )
    return list(
        people.order_by("full_name", "email").values_list("email", "full_name")[:SUGGESTIONS]
    )


@dataclass(frozen=True)
class LogPage:
    """Up to PAGE_SIZE entries, newest first, and the cursors of the pages beside them: the first
    entry's id for the newer page, the last one's for the older page; None at either end."""

    entries: list[AuditEntry]
    newer: int | None
    older: int | None

    def __iter__(self):
        return iter(self.entries)


NEWEST_FIRST = ("-created_at", "-id")
OLDEST_FIRST = ("created_at", "id")


def log_page(*, authority, school="", person="", before=None, after=None) -> LogPage:
    """A page of the log, of the entries about the schools and people the texts name, older than
    the entry `before` or newer than the entry `after` (ids), or the newest.

    Pages are found from their edge entry, never by counting: the largest authority's log holds
    hundreds of thousands of entries, and an offset or a count would read them all."""
    entries = AuditEntry.objects.all()
    if school:
        entries = entries.filter(school_id__in=schools_matching(school))
    if person:
        people = people_matching(authority, person)
        entries = entries.filter(models.Q(actor_id__in=people) | models.Q(person_id__in=people))
    if after is not None:
        newer = _first(_beyond(entries, after, newer=True), OLDEST_FIRST, PAGE_SIZE + 1)
        if len(newer) <= PAGE_SIZE:  # the newest page, whole
            return log_page(authority=authority, school=school, person=person)
        rows = newer[:PAGE_SIZE][::-1]
        return LogPage(rows, newer=rows[0].pk, older=rows[-1].pk)
    if before is not None:
        entries = _beyond(entries, before, newer=False)
    rows = _first(entries, NEWEST_FIRST, PAGE_SIZE + 1)
    shown = rows[:PAGE_SIZE]
    return LogPage(
        shown,
        newer=shown[0].pk if before is not None and shown else None,
        older=shown[-1].pk if len(rows) > PAGE_SIZE else None,
    )


def _first(entries, order, count) -> list[AuditEntry]:
    """The first `count` entries in that order: their ids first, read from the index alone
    (authority, -created_at, -id), then their rows. Row-level security's filter makes the planner
    expect a few of an authority's entries where there are thousands, and read and sort them all
    rather than walk the index to the first fifty."""
    ids = entries.order_by(*order).values("pk")[:count]
    return list(
        AuditEntry.objects.filter(pk__in=ids)
        .select_related("actor", "school", "person")
        .order_by(*order)
    )


def _beyond(entries, pk: int, *, newer: bool):
    """The entries after the entry `pk` in the log's order, newer or older. Its time is read in
    the same query, so an id of no entry in scope gives nothing."""
    at = models.Subquery(AuditEntry.objects.filter(pk=pk).values("created_at"))
    if newer:
        return entries.filter(created_at__gte=at).exclude(created_at=at, pk__lte=pk)
    return entries.filter(created_at__lte=at).exclude(created_at=at, pk__gte=pk)
