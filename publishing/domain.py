"""The awarded-schools list (DOMAIN.md, "Publishing"): what would be published now, what changed
since the last publication, and publishing it as a numbered snapshot that is never edited.

The document, as stored in Publication.content and served as JSON:

    {"authority": "Bath & North East Somerset", "version": 2,
     "published_at": "2026-07-01T09:30:00+01:00",
     "areas": [{"name": "Bath",
                "schools": [{"name": "Oldfield", "tier": "Inclusion Quality Mark",
                             "awarded_on": "2026-06-30", "expires_on": "2029-06-30"}]}],
     "working_towards": [{"name": "Chandag Infant"}]}

A tier is written as people read it ("Inclusion Quality Mark", "Centre of Excellence", "Flagship");
dates are ISO 8601. An awarded school is listed once, with its highest current award; areas come in
the authority's order, each with its schools by name, and areas with no awarded school are left out.
A school "working towards" holds no current award and either has a cycle that the panel has not
yet decided or held an award that lapsed (expired, not withdrawn): it is working towards the mark
again. A published version never changes: a lapse shows at the next publication.
"""

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assessments.history import working_towards
from audit.domain import record
from authorities import public_pages, stamps
from authorities.models import Authority
from authorities.spreadsheets import text_cell
from awards.models import Award, Tier
from schools.models import School

from .models import Publication, PublishedSchool
from .signals import list_published

NO_AREA = "Other schools"  # the heading of awarded schools that have no area
TIER_RANK = {
    tier: rank for rank, tier in enumerate(Tier)
}  # Quality Mark < Centre of Excellence < Flagship
CSV_HEADER = ["area", "school", "tier", "awarded_on", "expires_on", "status"]
AWARDED, WORKING_TOWARDS = "awarded", "working towards"


def _highest_awards(authority, on) -> list[Award]:
    """Each awarded school's highest current award, ordered as the list shows them."""
    best = {}
    awards = Award.objects.filter(
        authority=authority, withdrawn_at=None, awarded_on__lte=on, expires_on__gte=on
    )
    for award in awards.select_related("school__area"):
        held = best.get(award.school_id)
        if held is None or (TIER_RANK[award.tier], award.awarded_on) > (
            TIER_RANK[held.tier],
            held.awarded_on,
        ):
            best[award.school_id] = award

    def place(award):
        area = award.school.area
        return (
            area is None,
            area.position if area else 0,
            area.name if area else "",
            award.school.name.casefold(),
        )

    return sorted(best.values(), key=place)


def _working_towards(authority, awarded_school_ids, on) -> list[str]:
    schools = School.objects.filter(working_towards(on), authority=authority).exclude(
        pk__in=awarded_school_ids
    )
    return sorted(schools.values_list("name", flat=True), key=str.casefold)


def _area_name(school) -> str:
    return school.area.name if school.area else NO_AREA


def _document(authority, awards, working_towards) -> dict:
    areas = {}
    for award in awards:
        areas.setdefault(_area_name(award.school), []).append(
            {
                "name": award.school.name,
                "tier": Tier(award.tier).label,
                "awarded_on": award.awarded_on.isoformat(),
                "expires_on": award.expires_on.isoformat(),
            }
        )
    return {
        "authority": authority.name,
        "areas": [{"name": name, "schools": schools} for name, schools in areas.items()],
        "working_towards": [{"name": name} for name in working_towards],
    }


def _list_on(authority, on) -> tuple[list[Award], dict]:
    awards = _highest_awards(authority, on)
    working_towards = _working_towards(authority, [a.school_id for a in awards], on)
    return awards, _document(authority, awards, working_towards)


def current_list(authority) -> dict:
    """The list as it would be published now (without the version and time a publication adds)."""
    return _list_on(authority, timezone.localdate())[1]


# What the list is made of: publishing/apps.py renews the authority's stamp when one is saved or
# deleted. An import of schools saves its SchoolImport after updating them in bulk; a withdrawn
# award is saved one by one (awards/domain.py).
LIST_SOURCES = (
    "awards.Award",
    "schools.School",
    "schools.Area",
    "schools.SchoolImport",
    "assessments.Cycle",
    "authorities.Authority",
)
LIST_SECONDS = 60 * 60


def _list_stamp(authority_id) -> str:
    return f"publishing:list:{authority_id}"


def kept_with_list(authority, what: str, make):
    """`make()`, made from the current list, kept in the cache until one of LIST_SOURCES changes,
    or the day does (awards begin and expire by the day)."""
    return stamps.kept(
        _list_stamp(authority.pk), f"{timezone.localdate().isoformat()}:{what}", make, LIST_SECONDS
    )


def proposed_list(authority) -> dict:
    """The current list, kept (its admin pages show it on every visit). Publishing reads the list
    afresh: what it confirms is checked against the database."""
    return kept_with_list(authority, "document", lambda: current_list(authority))


def publication_saved(sender, instance, **kwargs) -> None:
    """The authority's public pages and the directory show its publications (any saved, however:
    a restore, a command's bulk load)."""
    public_pages.changed(instance.authority_id, national=True)


def list_sources_changed(sender, instance, **kwargs) -> None:
    authority_id = instance.pk if isinstance(instance, Authority) else instance.authority_id
    stamps.renew(_list_stamp(authority_id))


# What changed


@dataclass(frozen=True)
class Change:
    area: str
    name: str
    tier: str  # the tier now; for a removed school, the tier it was listed with
    was: str = ""  # for a tier change, the tier before


@dataclass(frozen=True)
class Changes:
    added: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    tier_changed: list[Change] = field(default_factory=list)
    now_working_towards: list[str] = field(default_factory=list)
    no_longer_working_towards: list[str] = field(default_factory=list)

    def __bool__(self):
        return any(
            (
                self.added,
                self.removed,
                self.tier_changed,
                self.now_working_towards,
                self.no_longer_working_towards,
            )
        )

    def marked(self, document) -> list[dict]:
        """The document's areas, each school with its `change` ("added", "tier changed" or "") and
        the tier it `was` before a tier change."""
        marks = {(c.area, c.name): ("added", "") for c in self.added}
        marks.update({(c.area, c.name): ("tier changed", c.was) for c in self.tier_changed})

        def mark(area, school):
            change, was = marks.get((area["name"], school["name"]), ("", ""))
            return {**school, "change": change, "was": was}

        return [
            {"name": area["name"], "schools": [mark(area, school) for school in area["schools"]]}
            for area in document["areas"]
        ]


def _tiers(document) -> dict:
    """(area, school name) -> tier. A school is known by its area and name: the public document
    carries no other identifier, and a school that moves area leaves one group and joins another."""
    return {
        (area["name"], school["name"]): school["tier"]
        for area in document["areas"]
        for school in area["schools"]
    }


def changes(previous_content, new_content) -> Changes:
    """What the new document changes for the public; from nothing when there is no previous one."""
    before = _tiers(previous_content) if previous_content else {}
    after = _tiers(new_content)
    working_before = (
        {s["name"] for s in previous_content["working_towards"]} if previous_content else set()
    )
    working_after = {s["name"] for s in new_content["working_towards"]}
    return Changes(
        added=[
            Change(area, name, tier)
            for (area, name), tier in after.items()
            if (area, name) not in before
        ],
        removed=[
            Change(area, name, tier)
            for (area, name), tier in before.items()
            if (area, name) not in after
        ],
        tier_changed=[
            Change(area, name, tier, was=before[area, name])
            for (area, name), tier in after.items()
            if (area, name) in before and before[area, name] != tier
        ],
        now_working_towards=sorted(working_after - working_before, key=str.casefold),
        no_longer_working_towards=sorted(working_before - working_after, key=str.casefold),
    )


# Publishing


def current_publication(authority) -> Publication | None:
    return Publication.objects.filter(authority=authority, superseded_at=None).first()


def find(authority, version=None) -> Publication | None:
    """The current publication, or the one of that version, with its content left unread until
    asked for (the public pages keep it rendered in the cache)."""
    publications = Publication.objects.filter(authority=authority).defer("content")
    if version is None:
        return publications.filter(superseded_at=None).first()
    return publications.filter(version=version).first()


LIST_CHANGED = (
    "The list has changed since you looked at it (an award was made or another admin published): "
    "here it is as it is now. Check it, then publish again."
)


def fingerprint(version: int, document: dict) -> str:
    """What an admin confirms: this document as this version."""
    return hashlib.sha256(f"{version}\0{as_json(document)}".encode()).hexdigest()


@transaction.atomic
def publish(authority, by, confirmed=None) -> Publication:
    """Publish the list as it is now as the next version, and supersede the current one. With
    `confirmed` (the fingerprint of what the admin was shown), refuse if that is no longer the list.

    The authority's row is locked first, so two admins publishing at once make two consecutive
    versions, each read whole after the other committed, never one made of both."""
    Authority.objects.select_for_update(no_key=True).get(pk=authority.pk)
    previous = current_publication(authority)
    now = timezone.localtime().replace(microsecond=0)
    awards, document = _list_on(authority, now.date())
    version = previous.version + 1 if previous else 1
    if confirmed is not None and confirmed != fingerprint(version, document):
        stamps.renew(_list_stamp(authority.pk))  # the list is shown again as it is now
        raise ValidationError(LIST_CHANGED, code="list_changed")
    content = {**document, "version": version, "published_at": now.isoformat()}
    if previous:
        Publication.objects.filter(pk=previous.pk).update(superseded_at=now)
    publication = Publication.objects.create(
        authority=authority, version=version, published_at=now, published_by=by, content=content
    )
    PublishedSchool.objects.bulk_create(
        [
            PublishedSchool(
                publication=publication,
                authority=authority,
                school=award.school,
                urn=award.school.urn,
                name=award.school.name,
                area=_area_name(award.school),
                phase=award.school.phase,
                tier=award.tier,
                awarded_on=award.awarded_on,
                expires_on=award.expires_on,
                latitude=award.school.latitude,
                longitude=award.school.longitude,
            )
            for award in awards
        ]
    )
    record(
        authority=authority,
        actor=by,
        action="list.published",
        obj=publication,
        before={"version": previous.version} if previous else {},
        after={
            "version": version,
            "awarded": len(awards),
            "working_towards": len(content["working_towards"]),
        },
    )
    list_published.send(sender=Publication, publication=publication, by=by)
    return publication


# The public formats of a publication's document


def as_json(content) -> str:
    """Keys sorted: PostgreSQL keeps a JSON document's keys in an order of its own, and a version
    must read the same, byte for byte, every time it is served."""
    return json.dumps(content, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def as_csv(content) -> str:
    """One row per awarded school, then one per school working towards, under CSV_HEADER."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for area in content["areas"]:
        for school in area["schools"]:
            writer.writerow(
                [
                    text_cell(area["name"]),
                    text_cell(school["name"]),
                    school["tier"],
                    school["awarded_on"],
                    school["expires_on"],
                    AWARDED,
                ]
            )
    for school in content["working_towards"]:
        writer.writerow(["", text_cell(school["name"]), "", "", "", WORKING_TOWARDS])
    return out.getvalue()
