"""Who a person is in an authority: their memberships, read once per person and authority, and
the named predicates (django-rules) on their roles that the workflow builds on.

A predicate takes the person and any object of the authority (a cycle, a school, the authority
itself): what it asks of the object is only its authority, and for school roles its school.
"""

import rules

from .models import SCHOOL_ROLES, STAFF_ROLES, Membership, Role, User

SCHOOL_LEADS = frozenset({Role.HEAD_TEACHER, Role.SCHOOL_COORDINATOR})
PANEL = frozenset({Role.PANEL_MEMBER, Role.PANEL_CHAIR})
_CACHE = "_iqm_memberships"


def authority_id_of(obj) -> int:
    return obj.pk if obj._meta.model_name == "authority" else obj.authority_id


def memberships(user, authority_id) -> list[Membership]:
    """The person's memberships of one authority: those remembered for this user object (a
    request's, read once by the middleware), else read now."""
    if not user.is_authenticated:
        return []
    remembered = user.__dict__.get(_CACHE, {})
    if authority_id in remembered:
        return remembered[authority_id]
    return list(Membership.objects.filter(user=user, authority_id=authority_id))


def remember(user, authority_id, found) -> None:
    """Keep memberships already read (the middleware's for the request, or a prefetch) for the
    predicates, so a page asks the database once however many predicates it reads."""
    user.__dict__.setdefault(_CACHE, {})[authority_id] = list(found)


def roles(user, obj) -> frozenset:
    return frozenset(m.role for m in memberships(user, authority_id_of(obj)))


def school_roles(user, school_id, authority_id) -> frozenset:
    return frozenset(m.role for m in memberships(user, authority_id) if m.school_id == school_id)


def school_ids(user, authority_id, among=SCHOOL_ROLES) -> set:
    """The schools where the person holds one of `among` roles."""
    return {m.school_id for m in memberships(user, authority_id) if m.role in among}


def _has_role(*wanted):
    wanted = frozenset(wanted)

    def check(user, obj):
        return bool(roles(user, obj) & wanted)

    return check


is_authority_admin = rules.Predicate(_has_role(Role.AUTHORITY_ADMIN), name="is_authority_admin")
is_panel_chair = rules.Predicate(_has_role(Role.PANEL_CHAIR), name="is_panel_chair")
is_on_panel = rules.Predicate(_has_role(*PANEL), name="is_on_panel")
is_mentor = rules.Predicate(_has_role(Role.MENTOR), name="is_mentor")
is_authority_staff = rules.Predicate(_has_role(*STAFF_ROLES), name="is_authority_staff")
# The desk check and the visit's planning.
is_desk_checker = is_panel_chair | is_authority_admin
# The authority's overview: figures about the scheme, its schools and its people (no pupil, no
# evidence). The admin runs the scheme; the chair plans the visits, so weighs the moderators' load,
# and answers for how long cases take to reach the panel.
may_see_overview = is_authority_admin | is_panel_chair


def people_of_school(school):
    """Everyone who holds a role at the school, by name: who may lead one of its targets."""
    return User.objects.filter(
        memberships__school=school, memberships__role__in=SCHOOL_ROLES
    ).distinct()


@rules.predicate
def leads_school(user, school):
    """The school's head teacher or coordinator (a predicate on the school, not a cycle)."""
    return bool(school_roles(user, school.pk, school.authority_id) & SCHOOL_LEADS)
