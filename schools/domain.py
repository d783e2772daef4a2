from django.db import transaction

from audit.domain import record, snapshot

from .models import Area, School

AREA_FIELDS = ("name", "position")
SCHOOL_FIELDS = ("name", "urn", "phase", "roll_size", "address", "postcode", "area")


@transaction.atomic
def save_area(*, authority, by, area: Area) -> Area:
    """Create or change an area (already validated by its form)."""
    created = area.pk is None
    before = {} if created else snapshot(Area.objects.get(pk=area.pk), AREA_FIELDS)
    area.authority = authority
    area.save()
    record(
        authority=authority,
        actor=by,
        action="area.created" if created else "area.changed",
        obj=area,
        before=before,
        after=snapshot(area, AREA_FIELDS),
    )
    return area


@transaction.atomic
def save_school(*, authority, by, school: School) -> School:
    """Create or change a school (already validated by its form)."""
    created = school.pk is None
    if created:
        before = {}
    else:
        old = School.objects.select_for_update(no_key=True).get(pk=school.pk)
        before = snapshot(old, SCHOOL_FIELDS)
    school.authority = authority
    school.save()
    record(
        authority=authority,
        actor=by,
        action="school.created" if created else "school.changed",
        obj=school,
        before=before,
        after=snapshot(school, SCHOOL_FIELDS),
        school=school,
    )
    return school
