"""Demo data from the seed texts: Bath & North East Somerset's scheme and a national authority
holding The Cooper School and its partner. URNs and addresses are made up for the demo."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_scopes import scope

from accounts.models import Membership, Role, User
from assessments.domain import (
    install_default_framework,
    review_element,
    save_answer,
    save_target,
    start_cycle,
    submit_to_mentor,
    validate,
)
from assessments.models import Cycle, Rating, Target
from authorities.models import Authority
from awards.models import Award, Tier
from moderation import domain as moderation
from moderation.models import Finding, Outcome
from portfolios.domain import add_link, submit_portfolio
from publishing.domain import publish
from publishing.models import Publication
from reviews.domain import (
    add_priority,
    ratify,
    save_ratification,
    save_update,
    submit_update,
)
from schools.models import Area, School

DEMO_PASSWORD = "iqm-demo-2026"

P = School.Phase
# (area, name, phase): the B&NES list of seeds/004, in its order.
BATHNES_SCHOOLS = [
    ("Bath", "Oldfield", P.SECONDARY),
    ("Bath", "Ralph Allen", P.SECONDARY),
    ("Bath", "St. Gregory’s Catholic College", P.SECONDARY),
    ("Bath", "Bathampton Primary", P.PRIMARY),
    ("Bath", "Batheaston C of E Primary", P.PRIMARY),
    ("Bath", "Combe Down C of E Primary", P.PRIMARY),
    ("Bath", "Freshford C of E Primary", P.PRIMARY),
    ("Bath", "Moorlands Infant", P.INFANT),
    ("Bath", "Oldfield Park Junior", P.JUNIOR),
    ("Bath", "St Andrew's C of E Primary", P.PRIMARY),
    ("Bath", "St. John’s Catholic Primary", P.PRIMARY),
    ("Bath", "St. Mary’s Catholic Primary", P.PRIMARY),
    ("Bath", "St. Martin’s Garden Primary", P.PRIMARY),
    ("Bath", "St Michael's C of E Junior", P.JUNIOR),
    ("Bath", "St Saviour's C of E Nursery and Infant School", P.INFANT),
    ("Bath", "St Saviour's C of E Junior School", P.JUNIOR),
    ("Bath", "Three Ways Special School", P.SPECIAL),
    ("Bath", "Widcombe C of E Junior", P.JUNIOR),
    ("Norton Radstock", "Writhlington Business & Enterprise", P.SECONDARY),
    ("Norton Radstock", "Peasedown St John Primary", P.PRIMARY),
    ("Norton Radstock", "St John's C of E Primary (Midsomer Norton)", P.PRIMARY),
    ("Norton Radstock", "St. Julian’s C of E Primary", P.PRIMARY),
    ("Norton Radstock", "St. Mary’s C of E Primary, Timsbury", P.PRIMARY),
    ("Norton Radstock", "Welton Primary", P.PRIMARY),
    ("Norton Radstock", "Camerton Primary", P.PRIMARY),
    ("Norton Radstock", "Westfield Primary", P.PRIMARY),
    ("Norton Radstock", "Trinity C of E Primary", P.PRIMARY),
    ("Norton Radstock", "High Littleton C of E Primary", P.PRIMARY),
    ("Chew Valley & Keynsham", "Broadlands", P.SECONDARY),
    ("Chew Valley & Keynsham", "Wellsway", P.SECONDARY),
    ("Chew Valley & Keynsham", "Castle Primary", P.PRIMARY),
    ("Chew Valley & Keynsham", "Chandag Junior", P.JUNIOR),
    ("Chew Valley & Keynsham", "Farrington Gurney C of E Primary", P.PRIMARY),
    ("Chew Valley & Keynsham", "Marksbury C of E Primary", P.PRIMARY),
    ("Chew Valley & Keynsham", "Pensford Primary", P.PRIMARY),
    ("Chew Valley & Keynsham", "Temple Primary (St. Keyna Primary)", P.PRIMARY),
    # Working towards the mark.
    ("Chew Valley & Keynsham", "Chandag Infant", P.INFANT),
    ("Norton Radstock", "Farmborough C of E Primary", P.PRIMARY),
]
BATHNES_AREAS = ["Bath", "Norton Radstock", "Chew Valley & Keynsham"]
WORKING_TOWARDS = ["Chandag Infant", "Farmborough C of E Primary"]
DEMO_SCHOOL = "Chandag Infant"
VALIDATED_SCHOOL = (
    "Farmborough C of E Primary"  # its self-review is validated: the portfolio is next
)
DECIDED_SCHOOL = (
    "Bathampton Primary"  # assessed from self-review to the panel's award, with every document
)

# Where each area's schools are placed, roughly (latitude, longitude): made up, but near the
# real towns.
AREA_CENTRES = {
    "Bath": (51.381, -2.359),
    "Norton Radstock": (51.287, -2.460),
    "Chew Valley & Keynsham": (51.395, -2.540),
    "Oxfordshire": (51.906, -1.146),
}
# Awards made before the portal: (school, tier, awarded how many days ago). Every other B&NES school
# not working towards the mark holds the Quality Mark, awarded at a different date.
AWARD_HISTORY = [
    ("bathnes", "Three Ways Special School", Tier.QUALITY_MARK, 3 * 365 + 200),
    ("bathnes", "Three Ways Special School", Tier.CENTRE_OF_EXCELLENCE, 120),
    ("iqm", "The Cooper School", Tier.QUALITY_MARK, 12 * 365),
    ("iqm", "The Cooper School", Tier.CENTRE_OF_EXCELLENCE, 9 * 365),
    ("iqm", "The Cooper School", Tier.CENTRE_OF_EXCELLENCE, 8 * 365),
    ("iqm", "The Cooper School", Tier.CENTRE_OF_EXCELLENCE, 7 * 365),
    ("iqm", "The Cooper School", Tier.FLAGSHIP, 200),
    ("iqm", "Glory Farm Primary School", Tier.QUALITY_MARK, 400),
]

AWARD_LASTS = timedelta(days=3 * 365)

NATIONAL_SCHOOLS = [
    ("Oxfordshire", "The Cooper School", P.SECONDARY, "Churchill Road, Bicester", "OX26 4RS"),
    ("Oxfordshire", "Glory Farm Primary School", P.PRIMARY, "Hendon Place, Bicester", "OX26 4YJ"),
]

# (email, name, authority slug, role, school name or None)
DEMO_PEOPLE = [
    ("admin@bathnes.test", "Alex Admin", "bathnes", Role.AUTHORITY_ADMIN, None),
    (
        "coordinator@bathnes.test",
        "Chris Coordinator",
        "bathnes",
        Role.SCHOOL_COORDINATOR,
        DEMO_SCHOOL,
    ),
    (
        "coordinator@bathnes.test",
        "Chris Coordinator",
        "bathnes",
        Role.SCHOOL_COORDINATOR,
        VALIDATED_SCHOOL,
    ),
    (
        "coordinator@bathnes.test",
        "Chris Coordinator",
        "bathnes",
        Role.SCHOOL_COORDINATOR,
        DECIDED_SCHOOL,
    ),
    (
        "contributor@bathnes.test",
        "Casey Contributor",
        "bathnes",
        Role.SCHOOL_CONTRIBUTOR,
        DEMO_SCHOOL,
    ),
    ("head@bathnes.test", "Harper Head", "bathnes", Role.HEAD_TEACHER, DEMO_SCHOOL),
    ("mentor@bathnes.test", "Morgan Mentor", "bathnes", Role.MENTOR, None),
    ("moderator@bathnes.test", "Jordan Moderator", "bathnes", Role.MODERATOR, None),
    ("moderator2@bathnes.test", "Riley Moderator", "bathnes", Role.MODERATOR, None),
    ("panel@bathnes.test", "Pat Panel", "bathnes", Role.PANEL_MEMBER, None),
    ("panel2@bathnes.test", "Sam Panel", "bathnes", Role.PANEL_MEMBER, None),
    ("chair@bathnes.test", "Charlie Chair", "bathnes", Role.PANEL_CHAIR, None),
    ("admin@iqm.test", "Nat National", "iqm", Role.AUTHORITY_ADMIN, None),
    ("moderator@bathnes.test", "Jordan Moderator", "iqm", Role.MODERATOR, None),
    # The annual reviews: The Cooper School's Flagship review, Three Ways' Centre of Excellence.
    ("head@iqm.test", "Hilary Head", "iqm", Role.HEAD_TEACHER, "The Cooper School"),
    ("mentor@iqm.test", "Mel Mentor", "iqm", Role.MENTOR, None),
    ("moderator@iqm.test", "Max Moderator", "iqm", Role.MODERATOR, None),
    ("chair@iqm.test", "Cam Chair", "iqm", Role.PANEL_CHAIR, None),
    ("panel@iqm.test", "Parker Panel", "iqm", Role.PANEL_MEMBER, None),
    ("panel2@iqm.test", "Quinn Panel", "iqm", Role.PANEL_MEMBER, None),
    (
        "coordinator@bathnes.test",
        "Chris Coordinator",
        "bathnes",
        Role.SCHOOL_COORDINATOR,
        "Three Ways Special School",
    ),
]
PLATFORM_ADMIN = ("platform@iqm-portal.test", "Pip Platform")


def demo_urn(index: int) -> str:
    return str(990000 + index)


@transaction.atomic
def load_demo():
    bathnes, _ = Authority.objects.get_or_create(
        slug="bathnes", defaults={"name": "Bath & North East Somerset"}
    )
    national, _ = Authority.objects.get_or_create(
        slug="iqm", defaults={"name": "Inclusion Quality Mark (national)"}
    )
    schools = {}
    with scope(authority=bathnes):
        areas = {
            name: Area.objects.get_or_create(
                authority=bathnes, name=name, defaults={"position": i}
            )[0]
            for i, name in enumerate(BATHNES_AREAS)
        }
        for i, (area, name, phase) in enumerate(BATHNES_SCHOOLS, start=1):
            schools["bathnes", name] = School.objects.get_or_create(
                authority=bathnes,
                urn=demo_urn(i),
                defaults={
                    "name": name,
                    "phase": phase,
                    "area": areas[area],
                    **demo_position(area, i),
                },
            )[0]
    with scope(authority=national):
        area = Area.objects.get_or_create(authority=national, name="Oxfordshire")[0]
        for i, (_, name, phase, address, postcode) in enumerate(NATIONAL_SCHOOLS, start=101):
            schools["iqm", name] = School.objects.get_or_create(
                authority=national,
                urn=demo_urn(i),
                defaults={
                    "name": name,
                    "phase": phase,
                    "area": area,
                    "address": address,
                    "postcode": postcode,
                    **demo_position(area.name, i),
                },
            )[0]
        schools["iqm", "The Cooper School"].partners.add(
            schools["iqm", "Glory Farm Primary School"]
        )

    authorities = {"bathnes": bathnes, "iqm": national}
    for email, name, slug, role, school in DEMO_PEOPLE:
        user = _user(email, name)
        with scope(authority=authorities[slug]):
            Membership.objects.get_or_create(
                authority=authorities[slug],
                user=user,
                role=role,
                school=schools[slug, school] if school else None,
            )
    for authority in authorities.values():
        with scope(authority=authority):
            install_default_framework(authority)
    with scope(authority=bathnes):
        school = schools["bathnes", DEMO_SCHOOL]
        mentor = User.objects.get(email="mentor@bathnes.test")
        if not Cycle.objects.filter(school=school).exists():
            start_cycle(
                authority=bathnes, by=None, school=school, kind=Cycle.Kind.INITIAL, mentor=mentor
            )
        coordinator = User.objects.get(email="coordinator@bathnes.test")
        validated = schools["bathnes", VALIDATED_SCHOOL]
        if not Cycle.objects.filter(school=validated).exists():
            _validated_cycle(bathnes, validated, mentor, coordinator)
        decided = schools["bathnes", DECIDED_SCHOOL]
        if not Cycle.objects.filter(school=decided).exists():
            _decided_cycle(_validated_cycle(bathnes, decided, mentor, coordinator), coordinator)
    for authority in authorities.values():
        with scope(authority=authority):
            _past_awards(authority, schools)
            _annual_reviews(authority, schools)
            if not Publication.objects.exists():
                publish(
                    authority, by=Membership.objects.filter(role=Role.AUTHORITY_ADMIN).first().user
                )
    platform = _user(*PLATFORM_ADMIN)
    if not platform.is_staff:
        platform.is_staff = platform.is_superuser = True
        platform.save(update_fields=["is_staff", "is_superuser"])


def demo_position(area, index) -> dict:
    """A made-up place a few kilometres from the area's centre, the same every time."""
    latitude, longitude = AREA_CENTRES[area]
    return {
        "latitude": round(latitude + (index * 37 % 21 - 10) * 0.004, 5),
        "longitude": round(longitude + (index * 53 % 23 - 11) * 0.006, 5),
    }


def _past_awards(authority, schools):
    """The awards schools held before the portal, for a school with no award yet and no cycle
    here."""
    history = [
        (schools[slug, name], tier, days)
        for slug, name, tier, days in AWARD_HISTORY
        if slug == authority.slug
    ]
    if authority.slug == "bathnes":
        listed = {name for _, name, _, _ in AWARD_HISTORY}
        history += [
            (schools["bathnes", name], Tier.QUALITY_MARK, 60 + 23 * i)
            for i, (_, name, _) in enumerate(BATHNES_SCHOOLS)
            if name not in listed and name not in WORKING_TOWARDS and name != DECIDED_SCHOOL
        ]
    done = set(Award.objects.values_list("school", flat=True)) | set(
        Cycle.objects.values_list("school", flat=True)
    )
    today = timezone.localdate()
    Award.objects.bulk_create(
        [
            Award(
                authority=authority,
                school=school,
                tier=tier,
                awarded_on=today - timedelta(days=days),
                expires_on=today - timedelta(days=days) + AWARD_LASTS,
            )
            for school, tier, days in history
            if school.pk not in done
        ]
    )


def _validated_cycle(authority, school, mentor, coordinator) -> Cycle:
    """A self-review filled in, submitted and validated, as the school and its mentor would."""
    cycle = start_cycle(
        authority=authority, by=None, school=school, kind=Cycle.Kind.INITIAL, mentor=mentor
    )
    for element in cycle.framework.elements.prefetch_related("descriptors"):
        rating = Rating.ESTABLISHED if element.number % 3 else Rating.DEVELOPING
        save_answer(
            cycle=cycle,
            element=element,
            by=coordinator,
            version=0,
            data={
                "rating": rating,
                "ratings": {str(d.pk): rating for d in element.descriptors.all()},
                "practice": f"How {school.name} works on “{element.title.lower()}”, week by week.",
                "evidence": "Minutes, tracking data and pupil voice surveys.",
                "strengths": "Shared across the staff.",
                "development": "Involve more families.",
            },
        )
    submit_to_mentor(cycle=cycle, by=coordinator)
    for element in cycle.framework.elements.all():
        review_element(
            cycle=cycle, element=element, by=mentor, rating=Rating.ESTABLISHED, comment=""
        )
    return validate(cycle=cycle, by=mentor)


def _decided_cycle(cycle, coordinator):
    """The rest of an assessment, as the people of B&NES would make it: an action plan and the
    portfolio, the desk check, the visit, a report signed by both moderators, the panel's vote
    and the chair's decision to award the Quality Mark."""
    people = {
        user.email.split("@")[0]: user
        for user in User.objects.filter(email__endswith="@bathnes.test")
    }
    chair, first, second = people["chair"], people["moderator"], people["moderator2"]
    elements = list(cycle.framework.elements.all())
    for element, action, status in [
        (
            elements[2],
            "Governors' inclusion link visits each term, reported to the full board.",
            Target.Status.ON_TRACK,
        ),
        (
            elements[7],
            "Family learning sessions on reading, at times working parents can come to.",
            Target.Status.NOT_STARTED,
        ),
    ]:
        save_target(
            cycle=cycle,
            by=coordinator,
            target=Target(
                element=element,
                action=action,
                lead="Chris Coordinator",
                deadline=timezone.localdate() + timedelta(days=180),
                success_criteria=(
                    "Minutes and attendance show it happening; parents' survey responses improve."
                ),
                status=status,
            ),
        )
    add_link(
        cycle=cycle,
        by=coordinator,
        url="https://bathampton.example/inclusion",
        title="Inclusion policy and provision map",
        elements=elements,
    )
    submit_portfolio(cycle=cycle, by=coordinator)
    moderation.accept_for_visit(cycle=cycle, by=chair)
    moderation.plan_visit(
        cycle=cycle, by=chair, moderators=[first, second], visit_date=timezone.localdate()
    )
    school = cycle.school.name
    moderation.save_report(
        cycle=cycle,
        by=first,
        version=0,
        recommendation=Outcome.AWARD,
        tier=Tier.QUALITY_MARK,
        revisit_by=None,
        context=(
            f"{school} is a primary school on the eastern edge of Bath. The moderators met the "
            "head teacher, the inclusion lead, pupils from every year group, parents and two "
            "governors, and observed four lessons."
        ),
        strengths=(
            "Inclusion is led from the top and owned by every member of staff; pupils speak "
            "confidently about how the school helps everyone to learn."
        ),
        next_steps=(
            "Share the school's work with families more widely, and complete the action plan's "
            "targets on governors' visits and family learning."
        ),
        findings={
            element.pk: (
                f"Strong, well-evidenced practice under “{element.title}”, seen in lessons and "
                "confirmed by pupils, staff and parents.",
                "Keep the evidence up to date as the school grows.",
                Finding.Judgement.MET,
            )
            for element in elements
        },
    )
    moderation.sign_report(cycle=cycle, by=first)
    moderation.sign_report(cycle=cycle, by=second)
    moderation.open_vote(cycle=cycle, by=chair)
    for member in (people["panel"], people["panel2"], chair):
        moderation.cast_ballot(
            cycle=cycle, by=member, outcome=Outcome.AWARD, tier=Tier.QUALITY_MARK
        )
    moderation.record_decision(
        cycle=cycle,
        by=chair,
        rationale=(
            "The report shows every element met, with strong evidence from pupils, parents and "
            "governors. The panel agrees with the moderators' recommendation."
        ),
    )


def _annual_reviews(authority, schools):
    """The Cooper School's Flagship review completed (renewed today); Three Ways Special School's
    Centre of Excellence review under way, its annual update part-written."""
    people = {
        user.email: user
        for user in User.objects.filter(memberships__authority=authority).distinct()
    }
    if authority.slug == "iqm":
        cooper = schools["iqm", "The Cooper School"]
        if not Cycle.objects.filter(school=cooper).exists():
            _renewed_review(cooper, people)
    else:
        three_ways = schools["bathnes", "Three Ways Special School"]
        # Centre of Excellence needs a cluster of two partner schools.
        if three_ways.partners.count() < 2:
            three_ways.partners.add(
                schools["bathnes", "Widcombe C of E Junior"],
                schools["bathnes", "St Saviour's C of E Junior School"],
            )
        if not Cycle.objects.filter(school=three_ways).exists():
            cycle = start_cycle(
                authority=authority,
                by=None,
                school=three_ways,
                kind=Cycle.Kind.CENTRE_OF_EXCELLENCE,
                mentor=people["mentor@bathnes.test"],
            )
            for element in cycle.framework.elements.all()[:4]:
                save_update(
                    cycle=cycle,
                    element=element,
                    by=people["coordinator@bathnes.test"],
                    version=0,
                    data=_update_of(three_ways, element),
                )


def _update_of(school, element) -> dict:
    return {
        "progress": f"This year {school.name} has shared its work on “{element.title.lower()}” "
        "with its partner schools, and the cluster's staff visited to see it in practice.",
        "plans": "Next year: a joint enquiry with the cluster, reported at the summer meeting.",
    }


def _renewed_review(school, people):
    """A Flagship review from the annual update to the panel's renewal, as the school, its
    moderator and the national panel would make it."""
    head, chair = people["head@iqm.test"], people["chair@iqm.test"]
    moderator = people["moderator@iqm.test"]
    cycle = start_cycle(
        authority=school.authority,
        by=None,
        school=school,
        kind=Cycle.Kind.FLAGSHIP,
        mentor=people["mentor@iqm.test"],
    )
    elements = list(cycle.framework.elements.all())
    for element in elements:
        save_update(
            cycle=cycle, element=element, by=head, version=0, data=_update_of(school, element)
        )
    submit_update(cycle=cycle, by=head)
    moderation.plan_visit(
        cycle=cycle, by=chair, moderators=[moderator], visit_date=timezone.localdate()
    )
    save_ratification(
        cycle=cycle,
        by=moderator,
        version=0,
        summary=(
            "The school leads its cluster with energy: partner schools' staff describe visits "
            "that changed their practice, and the research project is published."
        ),
        recommendation="renew",
        progress={
            e.pk: ("ratified", "Seen in lessons and in the cluster's work.") for e in elements
        },
    )
    for element, action in [
        (elements[0], "Publish the year's pupil progress enquiry with the cluster."),
        (elements[7], "Open the family learning programme to the partner schools' parents."),
    ]:
        add_priority(
            cycle=cycle,
            by=moderator,
            element=element,
            action=action,
            lead="Hilary Head",
            by_when=timezone.localdate() + timedelta(days=300),
        )
    ratify(cycle=cycle, by=moderator)
    moderation.open_vote(cycle=cycle, by=chair)
    for member in (people["panel@iqm.test"], people["panel2@iqm.test"], chair):
        moderation.cast_ballot(cycle=cycle, by=member, outcome=Outcome.AWARD, tier=Tier.FLAGSHIP)
    moderation.record_decision(
        cycle=cycle,
        by=chair,
        rationale="The visit ratified progress on every element; the panel renews Flagship.",
    )


def _user(email, name):
    user, created = User.objects.get_or_create(email=email, defaults={"full_name": name})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def demo_logins():
    """(role, email) lines for the console and README."""
    seen = {}
    for email, _, slug, role, school in DEMO_PEOPLE:
        seen.setdefault(email, []).append(
            f"{Role(role).label} ({slug}{', ' + school if school else ''})"
        )
    return [(PLATFORM_ADMIN[0], "Platform admin")] + [
        (email, "; ".join(roles)) for email, roles in seen.items()
    ]
