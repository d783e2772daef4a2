"""Clusters: a school's network of partner schools and the log of what they do together. Each
change is one function: rule, save, audit log, in one transaction."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_scopes import scopes_disabled

from audit.domain import record, snapshot
from schools.models import School

from .models import Activity, Cluster, Partner


def attendance() -> Prefetch:
    """The partner schools at each meeting, with their names, in one query (made in the
    request's scope)."""
    return Prefetch("attended_by", queryset=Partner.objects.select_related("school"))


def read_partners(clusters) -> None:
    """Each cluster's `current_partners`, for the API: its partner schools today as rows (id,
    school, name, added_at), read for a list of clusters in one query of values, not as a partner
    and a school made for each. A school's id is given only for a school of this authority: a
    partner has a name of its own only when its school is outside the portal or of another
    authority (`name_of_partner`), whose data this authority may not read; else its name is its
    school's (as `Partner.display_name`)."""
    by_pk = {cluster.pk: cluster for cluster in clusters}
    for cluster in by_pk.values():
        cluster.current_partners = []
    partners = Partner.objects.filter(cluster__in=by_pk, removed_at=None).values_list(
        "cluster", "pk", "school", "name", "school__name", "added_at"
    )
    for cluster, pk, school, name, school_name, added_at in partners:
        by_pk[cluster].current_partners.append(
            {
                "id": pk,
                "school": None if name else school,
                "name": name or school_name,
                "added_at": added_at,
            }
        )


def partners_of(lead_school):
    """`partner_count` as an annotation: of the school `lead_school` names (a school's "pk", a
    cycle's "school")."""
    partners = Partner.objects.filter(cluster__lead_school=OuterRef(lead_school), removed_at=None)
    counted = partners.order_by().values("cluster").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


def with_cluster(schools):
    """The schools, each with the cluster it leads and that cluster's partner schools counted
    (`partner_count` reads the count): what the school's page reads (schools.access.PAGE_READS)."""
    return schools.select_related("cluster").annotate(partners_counted=partners_of("pk"))


def partner_count(school) -> int:
    """The partner schools of the cluster the school leads (Centre of Excellence needs two):
    counted with the school when it was read `with_cluster`, else in one query."""
    if hasattr(school, "partners_counted"):
        return school.partners_counted
    return Partner.objects.filter(cluster__lead_school=school, removed_at=None).count()


def cluster_led_by(school) -> Cluster | None:
    """The cluster the school leads, or None: read with the school when it was read
    `with_cluster`."""
    try:
        return school.cluster
    except Cluster.DoesNotExist:
        return None


def activities_between(school, start: date, end: date):
    """The activities of the cluster the school leads dated from `start` to `end` (both
    included), oldest first, with the partner schools that attended each meeting: what the
    annual review draws on."""
    return (
        Activity.objects.filter(cluster__lead_school=school, date__gte=start, date__lte=end)
        .prefetch_related(attendance())
        .order_by("date", "pk")
    )


def partnerships(school) -> list[tuple[str, str]]:
    """(cluster, lead school) names of the clusters the school is a partner in, whatever the
    lead school's authority: names only, never the lead school's data. The one place that reads
    clusters across authorities."""
    with scopes_disabled():
        return list(
            Partner.objects.filter(school=school, removed_at=None)
            .order_by("cluster__name")
            .values_list("cluster__name", "cluster__lead_school__name")
        )


def _school_by_urn(urn, authority) -> School | None:
    """The portal's school with this URN: the lead school's authority's first, else another's."""
    with scopes_disabled():
        found = School.objects.filter(urn=urn).select_related("authority")
        return min(
            found, key=lambda s: (s.authority_id != authority.pk, s.authority.name), default=None
        )


def name_of_partner(cluster, school) -> str:
    """What a partner school of the portal is stored as: nothing for one of the cluster's own
    authority (its name is read live), its name for another authority's (which the cluster's
    authority may not read: see Partner.name)."""
    return "" if school.authority_id == cluster.authority_id else school.name


@transaction.atomic
def start_cluster(*, school, name, by) -> Cluster:
    # Two leads at once: one cluster.
    School.objects.select_for_update(no_key=True).get(pk=school.pk)
    if Cluster.objects.filter(lead_school=school).exists():
        raise ValidationError("This school already leads a cluster.")
    cluster = Cluster.objects.create(authority=school.authority, lead_school=school, name=name)
    record(
        authority=school.authority,
        actor=by,
        action="cluster.started",
        obj=cluster,
        school=school,
        after={"name": name},
    )
    return cluster


@transaction.atomic
def add_partner(*, cluster, by, urn="", name="") -> Partner:
    """A school of the portal by its URN (any authority), or one outside the portal by name."""
    school = None
    if urn:
        school = _school_by_urn(urn, cluster.authority)
        if school is None:
            raise ValidationError(
                {"urn": "No school in the portal has this URN: add it by name instead."}
            )
        if school.pk == cluster.lead_school_id:
            raise ValidationError({"urn": "A school cannot be its own partner."})
    active = Partner.objects.select_for_update().filter(cluster=cluster, removed_at=None)
    if school and active.filter(school=school).exists():
        raise ValidationError({"urn": f"{school.name} is already a partner."})
    if not school and active.filter(school=None, name__iexact=name).exists():
        raise ValidationError({"name": f"{name} is already a partner."})
    partner = Partner.objects.create(
        cluster=cluster, school=school, name=name_of_partner(cluster, school) if school else name
    )
    record(
        authority=cluster.authority,
        actor=by,
        action="cluster.partner_added",
        obj=cluster,
        school=cluster.lead_school,
        after={"partner": partner.pk, "school": school.pk if school else None, "name": name},
    )
    return partner


@transaction.atomic
def remove_partner(*, partner, by) -> Partner:
    """The partner leaves the cluster; the meetings it attended still name it."""
    partner = (
        Partner.objects.select_for_update(of=("self",)).select_related("cluster").get(pk=partner.pk)
    )
    if partner.removed_at is None:
        partner.removed_at = timezone.now()
        partner.save(update_fields=["removed_at"])
        record(
            authority=partner.cluster.authority,
            actor=by,
            action="cluster.partner_removed",
            obj=partner.cluster,
            school=partner.cluster.lead_school,
            before={"partner": partner.pk, "school": partner.school_id, "name": partner.name},
        )
    return partner


ACTIVITY_FIELDS = ("kind", "date", "title", "description", "outcomes", "attendance")


@transaction.atomic
def save_activity(*, cluster, by, activity: Activity, attended_by) -> Activity:
    """Log or change an activity (validated by its form); attendance only for a meeting."""
    created = activity.pk is None
    if activity.kind != Activity.Kind.MEETING:
        activity.attendance, attended_by = None, []
    activity.cluster = cluster
    if created:
        activity.recorded_by = by
    activity.save()
    activity.attended_by.set(attended_by)
    record(
        authority=cluster.authority,
        actor=by,
        action="cluster.activity_logged" if created else "cluster.activity_changed",
        obj=activity,
        school=cluster.lead_school,
        after={
            **snapshot(activity, ACTIVITY_FIELDS),
            "attended_by": sorted(p.pk for p in attended_by),
        },
    )
    return activity
