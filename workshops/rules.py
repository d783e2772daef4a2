"""Who may do what with workshops, written once as django-rules predicates. Views, templates and
the domain read these; they are registered as `workshops.<name>` permissions too.

Everyone of the authority who is a mentor, school staff or the admin sees its workshops; mentors
and the admin schedule them; the workshop's own mentor (or the admin) changes it, sees who is
booked and records attendance once it has begun; school staff sign up, and cancel only their own
booking.
"""

import rules

from accounts.roles import authority_id_of, is_authority_admin, is_mentor, school_ids


@rules.predicate
def is_school_staff(user, obj):
    """A head teacher, coordinator or contributor at any school of the object's authority."""
    return bool(school_ids(user, authority_id_of(obj)))


@rules.predicate
def is_workshop_mentor(user, workshop):
    return workshop.mentor_id == user.pk


@rules.predicate
def has_begun(user, workshop):
    return workshop.is_past


@rules.predicate
def is_own_booking(user, booking):
    return booking.person_id == user.pk


# On the authority (or any of its objects).
may_view_workshops = is_mentor | is_school_staff | is_authority_admin
may_schedule = is_mentor | is_authority_admin
# Who runs a workshop: a mentor schedules their own; the admin chooses any mentor.
may_choose_mentor = is_authority_admin
# On a workshop.
may_manage = is_workshop_mentor | is_authority_admin
may_sign_up = is_school_staff
may_record_attendance = may_manage & has_begun
# On a booking.
may_cancel = is_own_booking

PERMISSIONS = {
    "view_workshops": may_view_workshops,
    "schedule": may_schedule,
    "choose_mentor": may_choose_mentor,
    "manage": may_manage,
    "sign_up": may_sign_up,
    "record_attendance": may_record_attendance,
    "cancel": may_cancel,
}
for _name, _predicate in PERMISSIONS.items():
    rules.add_perm(f"workshops.{_name}", _predicate)
# For the navigation's `test_rule` tag, which hands the predicate the request's own user object,
# whose memberships the middleware has already read (`has_perm` would read them again).
rules.add_rule("workshops.view_workshops", may_view_workshops)
