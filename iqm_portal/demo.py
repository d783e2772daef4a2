"""Demo data from the seed texts: Bath & North East Somerset's scheme and a national authority
holding The Cooper School and its partner. URNs and addresses are made up for the demo."""

from datetime import datetime, time, timedelta

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
from assessments.models import Answer, Cycle, FrameworkVersion, MentorReview, Rating, Target
from authorities import stamps
from authorities.models import Authority
from awards.domain import awards_in_force, record_plaque, years_after
from awards.models import Award, Plaque, Tier
from clusters.models import Activity, Cluster, Partner
from flagship import domain as flagship
from flagship.models import KeyStep, ResearchOutput, ResearchProject
from moderation import domain as moderation
from moderation.models import Decision, Finding, Outcome
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
from workshops import domain as workshops
from workshops.models import Booking, Workshop

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


# Awards made before the portal: (school, tier, awarded on which day). Every other B&NES school
# not working towards the mark holds the Quality Mark, awarded at a different date. The Quality
# Mark lasts three years; Centre of Excellence and Flagship one, renewed by the annual review.
def award_history(today):
    # The Cooper School: the Quality Mark twice, Centre of Excellence renewed every year for seven
    # years without a break, then Flagship about ten months ago (current today).
    flagship = today - timedelta(days=300)
    return [
        ("bathnes", "Three Ways Special School", Tier.QUALITY_MARK, today - timedelta(days=1195)),
        (
            "bathnes",
            "Three Ways Special School",
            Tier.CENTRE_OF_EXCELLENCE,
            today - timedelta(days=120),
        ),
        ("iqm", "The Cooper School", Tier.QUALITY_MARK, years_after(today, -12)),
        ("iqm", "The Cooper School", Tier.QUALITY_MARK, years_after(today, -9)),
        *[
            ("iqm", "The Cooper School", Tier.CENTRE_OF_EXCELLENCE, years_after(flagship, -years))
            for years in range(7, 0, -1)
        ],
        ("iqm", "The Cooper School", Tier.FLAGSHIP, flagship),
        ("iqm", "Glory Farm Primary School", Tier.QUALITY_MARK, today - timedelta(days=400)),
    ]


AWARD_YEARS = {Tier.QUALITY_MARK: 3, Tier.CENTRE_OF_EXCELLENCE: 1, Tier.FLAGSHIP: 1}
# Clusters: (authority, lead school, partner schools of its authority, schools outside the portal).
CLUSTERS = [
    (
        "bathnes",
        "Three Ways Special School",
        ["Widcombe C of E Junior", "St Saviour's C of E Junior School"],
        [],
    ),
    ("iqm", "The Cooper School", ["Glory Farm Primary School"], ["Longfields Primary School"]),
]

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
            validated_cycle(bathnes, validated, mentor, coordinator)
        decided = schools["bathnes", DECIDED_SCHOOL]
        if not Cycle.objects.filter(school=decided).exists():
            _decided_cycle(validated_cycle(bathnes, decided, mentor, coordinator), coordinator)
        _workshops(bathnes, schools, mentor)
    with scope(authority=national):
        _flagship_demo(schools["iqm", "The Cooper School"], User.objects.get(email="head@iqm.test"))
    for authority in authorities.values():
        with scope(authority=authority):
            _past_awards(authority, schools)
            _clusters(authority, schools)
            _annual_reviews(authority, schools)
            if not Publication.objects.exists():
                publish(
                    authority, by=Membership.objects.filter(role=Role.AUTHORITY_ADMIN).first().user
                )
    with scope(authority=bathnes):
        _plaques(bathnes)
    _assessed_in_the_portal(bathnes, schools)
    platform = _user(*PLATFORM_ADMIN)
    if not platform.is_staff:
        platform.is_staff = platform.is_superuser = True
        platform.save(update_fields=["is_staff", "is_superuser"])
    stamps.renew_everything()  # the demo's bulk writes send no signals for the kept figures


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
    today = timezone.localdate()
    known = award_history(today)
    history = [
        (schools[slug, name], tier, awarded_on)
        for slug, name, tier, awarded_on in known
        if slug == authority.slug
    ]
    if authority.slug == "bathnes":
        listed = {name for _, name, _, _ in known}
        history += [
            (schools["bathnes", name], Tier.QUALITY_MARK, today - timedelta(days=60 + 23 * i))
            for i, (_, name, _) in enumerate(BATHNES_SCHOOLS)
            if name not in listed and name not in WORKING_TOWARDS and name != DECIDED_SCHOOL
        ]
    done = set(Award.objects.values_list("school", flat=True)) | set(
        Cycle.objects.values_list("school", flat=True)
    )
    Award.objects.bulk_create(
        [
            Award(
                authority=authority,
                school=school,
                tier=tier,
                awarded_on=awarded_on,
                expires_on=years_after(awarded_on, AWARD_YEARS[tier]),
            )
            for school, tier, awarded_on in history
            if school.pk not in done
        ]
    )


def _plaques(authority):
    """The plaques of the oldest awards in force: four sent, three ordered, the rest to order."""
    if Plaque.objects.exists():
        return
    admin = Membership.objects.filter(authority=authority, role=Role.AUTHORITY_ADMIN).first().user
    today = timezone.localdate()
    for n, award in enumerate(awards_in_force().order_by("awarded_on", "pk")[:7]):
        ordered_on = min(award.awarded_on + timedelta(days=14), today)
        sent_on = min(ordered_on + timedelta(days=21), today) if n < 4 else None
        record_plaque(award=award, ordered_on=ordered_on, sent_on=sent_on, by=admin)


def _clusters(authority, schools):
    """The clusters the demo's Centre of Excellence and Flagship schools lead, and what they did
    together this year."""
    for slug, lead, partners, outside in CLUSTERS:
        if slug != authority.slug:
            continue
        school = schools[slug, lead]
        cluster, _ = Cluster.objects.get_or_create(
            authority=authority, lead_school=school, defaults={"name": f"{lead} cluster"}
        )
        for name in partners:
            Partner.objects.get_or_create(cluster=cluster, school=schools[slug, name])
        for name in outside:
            Partner.objects.get_or_create(cluster=cluster, school=None, name=name)
        if slug == "iqm":
            _cooper_activities(cluster)


def _cooper_activities(cluster):
    today = timezone.localdate()
    author = Membership.objects.filter(role=Role.AUTHORITY_ADMIN).first().user
    for kind, days, title, description, outcomes in [
        (
            Activity.Kind.MEETING,
            250,
            "Autumn cluster meeting: transition to secondary",
            "Heads and inclusion leads of the cluster planned visits for Year 6 pupils with SEND.",
            "A shared transition passport, used by every partner school from the spring.",
        ),
        (
            Activity.Kind.DISSEMINATION,
            160,
            "Workshop for Oxfordshire SENCOs on pupil voice",
            "The inclusion lead presented the school's pupil voice panels to 40 SENCOs.",
            "Three schools have started pupil voice panels of their own.",
        ),
        (
            Activity.Kind.COLLABORATION,
            90,
            "Joint lesson study on reading for pupils new to English",
            "Teachers of The Cooper School and Glory Farm planned and observed lessons together.",
            "A reading strategy now used in both schools' Year 6 and Year 7.",
        ),
        (
            Activity.Kind.MEETING,
            30,
            "Spring cluster meeting: attendance",
            "The partners compared their attendance data and what has worked for persistent "
            "absence.",
            "",
        ),
    ]:
        activity, created = Activity.objects.get_or_create(
            cluster=cluster,
            title=title,
            defaults={
                "kind": kind,
                "date": today - timedelta(days=days),
                "description": description,
                "outcomes": outcomes,
                "attendance": 9 if kind == Activity.Kind.MEETING else None,
                "recorded_by": author,
            },
        )
        if created and kind == Activity.Kind.MEETING:
            activity.attended_by.set(cluster.partners.all())


def validated_cycle(authority, school, mentor, coordinator) -> Cycle:
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
    reported_cycle(cycle, coordinator)
    voted_cycle(cycle)
    moderation.record_decision(
        cycle=cycle,
        by=_bathnes_people()["chair"],
        rationale=(
            "The report shows every element met, with strong evidence from pupils, parents and "
            "governors. The panel agrees with the moderators' recommendation."
        ),
    )


def _bathnes_people():
    return {
        user.email.split("@")[0]: user
        for user in User.objects.filter(email__endswith="@bathnes.test")
    }


def reported_cycle(cycle, coordinator):
    """A validated case taken on to its visit and a report written, not yet signed."""
    people = _bathnes_people()
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
                lead=coordinator,
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


def voted_cycle(cycle):
    """A reported case signed by both moderators and voted on by the panel, to be decided."""
    people = _bathnes_people()
    moderation.sign_report(cycle=cycle, by=people["moderator"])
    moderation.sign_report(cycle=cycle, by=people["moderator2"])
    moderation.open_vote(cycle=cycle, by=people["chair"])
    for member in (people["panel"], people["panel2"], people["chair"]):
        moderation.cast_ballot(
            cycle=cycle, by=member, outcome=Outcome.AWARD, tier=Tier.QUALITY_MARK
        )


def _workshops(authority, schools, mentor):
    """Two workshops by the demo mentor: one held six weeks ago, which Chandag Infant's head
    teacher and contributor attended, and one in three weeks with one place left."""
    if Workshop.objects.exists():
        return
    people = {u.email: u for u in User.objects.filter(email__endswith="@bathnes.test")}
    elements = {
        e.number: e for e in Cycle.objects.get(school__name=DEMO_SCHOOL).framework.elements.all()
    }

    def at(days, hour, minute=0):
        day = timezone.localdate() + timedelta(days=days)
        return timezone.make_aware(datetime.combine(day, time(hour, minute)))

    # Held before today, so made as it stands rather than scheduled.
    held = Workshop.objects.create(
        authority=authority,
        title="Building an inclusive classroom",
        starts_at=at(-42, 15, 30),
        place="Guildhall, Bath",
        capacity=12,
        mentor=mentor,
        description="Adapting teaching, grouping and the room itself so that every pupil can "
        "take part, with examples from B&NES schools.",
    )
    held.elements.set([elements[5], elements[6]])
    chandag = schools["bathnes", DEMO_SCHOOL]
    Booking.objects.bulk_create(
        [
            Booking(
                workshop=held,
                person=people["head@bathnes.test"],
                school=chandag,
                status=Booking.Status.BOOKED,
                attended=True,
            ),
            Booking(
                workshop=held,
                person=people["contributor@bathnes.test"],
                school=chandag,
                status=Booking.Status.BOOKED,
                attended=True,
            ),
            Booking(
                workshop=held,
                person=people["coordinator@bathnes.test"],
                school=schools["bathnes", VALIDATED_SCHOOL],
                status=Booking.Status.BOOKED,
                attended=False,
            ),
        ]
    )
    upcoming = workshops.schedule(
        authority=authority,
        by=mentor,
        mentor=mentor,
        title="Working with parents and carers",
        starts_at=at(21, 15, 30),
        place="Keynsham Civic Centre",
        capacity=2,
        description="Family learning, home-school agreements and hearing from parents who find "
        "school hard to reach.",
        elements=[elements[8]],
    )
    workshops.sign_up(
        workshop=upcoming,
        by=people["coordinator@bathnes.test"],
        school=schools["bathnes", VALIDATED_SCHOOL],
    )


# The Cooper School's research (seeds/000): its partnership with Glory Farm, pupils' transition
# from school to school, new technologies and flexible learning spaces. Dates are days before
# today (negative: after).
COOPER_RESEARCH = {
    "question": (
        "How do shared teaching, new technologies and flexible learning spaces help pupils move "
        "from Glory Farm Primary School to The Cooper School with confidence?"
    ),
    "rationale": (
        "Staff of both schools share their expertise, and Ofsted noted the close ties between "
        "them. We want to know which parts of that work make the move from Year 6 to Year 7 "
        "easier, especially for pupils at risk of disaffection, so that we can share it across "
        "our network."
    ),
    "started": 1000,
}
COOPER_STEPS = [
    (
        "Map how pupils move from Glory Farm to Cooper: visits, shared days and information",
        "Transition leads of both schools",
        1000,
        880,
        Target.Status.DONE,
    ),
    (
        "Survey Year 6 and Year 7 pupils on their confidence before and after the move",
        "Head of Year 7",
        820,
        640,
        Target.Status.DONE,
    ),
    (
        "Trial flexible learning spaces with two Year 7 groups and compare their progress",
        "Assistant head, teaching and learning",
        450,
        250,
        Target.Status.DONE,
    ),
    (
        "Shared online lessons for Glory Farm's Year 6 taught by Cooper staff",
        "Digital learning lead",
        120,
        -150,
        Target.Status.ON_TRACK,
    ),
    (
        "Write up the findings with Glory Farm and share them across the Flagship network",
        "Head teacher",
        -30,
        -300,
        Target.Status.NOT_STARTED,
    ),
]
# (years ago, title, kind, where it was published)
COOPER_OUTPUTS = [
    (
        2,
        "Moving up together: transition between Glory Farm and Cooper",
        ResearchOutput.Kind.CASE_STUDY,
        "IQM Flagship network meeting",
    ),
    (
        1,
        "Flexible learning spaces and pupils' confidence in Year 7",
        ResearchOutput.Kind.ARTICLE,
        "IQM newsletter",
    ),
    (
        0,
        "New technologies across the primary–secondary transition",
        ResearchOutput.Kind.PRESENTATION,
        "Oxfordshire inclusion conference",
    ),
]


def _flagship_demo(school, lead):
    """The school's research project, with its key steps and an output in each of the last three
    years, made as its head teacher would; once."""
    if ResearchProject.objects.filter(school=school).exists():
        return
    today = timezone.localdate()
    project = flagship.start_project(
        school=school,
        by=lead,
        question=COOPER_RESEARCH["question"],
        rationale=COOPER_RESEARCH["rationale"],
        started_on=today - timedelta(days=COOPER_RESEARCH["started"]),
    )
    for description, owner, started, due, status in COOPER_STEPS:
        flagship.save_step(
            project=project,
            by=lead,
            step=KeyStep(
                description=description,
                owner=owner,
                starts_on=today - timedelta(days=started),
                due_on=today - timedelta(days=due),
                status=status,
            ),
        )
    for years_ago, title, kind, published_in in COOPER_OUTPUTS:
        flagship.save_output(
            project=project,
            by=lead,
            output=ResearchOutput(
                title=title, kind=kind, published_in=published_in, year=today.year - years_ago
            ),
        )


# The Cooper School's evidence for the nine Flagship criteria (seeds/000), by criterion key.
COOPER_EVIDENCE = {
    "assessments": (
        "Assessed for the Quality Mark, then reviewed three times as a Centre of Excellence."
    ),
    "collaboration": (
        "Staff of Cooper and Glory Farm share their expertise through reciprocal professional "
        "development visits."
    ),
    "internal_practice": (
        "The inclusion plan is part of the school development plan, reviewed by governors termly."
    ),
    "dissemination": (
        "Leaders share practice with schools across Oxfordshire and beyond, leading on aspects of "
        "learning and teaching."
    ),
    "wider_cluster": (
        "The head teacher leads the local network's inclusion meetings and is widening them to "
        "two more schools."
    ),
    "classroom_research": "Our research project on transition, technology and learning spaces.",
    "annual_visit": "The annual visit is planned with the IQM moderator each autumn.",
    "annual_update": "This annual update reports progress against every element.",
    "iqm_aims": "We trialled the new framework's statements and host IQM visits for new schools.",
}


def flagship_evidence_demo(cycle, lead):
    """The school's evidence for the nine criteria of a Flagship review in its annual update."""
    flagship.save_evidence(cycle=cycle, by=lead, evidence=COOPER_EVIDENCE)


def flagship_confirmed_demo(cycle, moderator):
    """The visiting moderator confirms all nine criteria, with the visit planned, so that the
    review can be ratified."""
    flagship.confirm_criteria(
        cycle=cycle,
        by=moderator,
        verdicts={key: ("confirmed", "Seen at the visit.") for key in COOPER_EVIDENCE},
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
    flagship_evidence_demo(cycle, head)
    submit_update(cycle=cycle, by=head)
    moderation.plan_visit(
        cycle=cycle, by=chair, moderators=[moderator], visit_date=timezone.localdate()
    )
    flagship_confirmed_demo(cycle, moderator)
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


# Quality Marks the portal's panel awarded, for the authority overview's figures (time to a
# decision, how each element is rated) and the authority's average on a cycle's chart: (school,
# days from registration to the decision, the mentor's validated rating of elements 1 to 10).
ASSESSED_IN_THE_PORTAL = [
    ("Oldfield", 150, "3343233432"),
    ("Ralph Allen", 210, "2333423343"),
    ("Batheaston C of E Primary", 120, "3443333443"),
    ("Writhlington Business & Enterprise", 260, "2232322333"),
    ("Welton Primary", 175, "3332434332"),
    ("Broadlands", 190, "3334333233"),
]


def _assessed_in_the_portal(authority, schools):
    """Each school's initial assessment, decided on the day of its Quality Mark (made by
    _past_awards), which the decision now names. Recorded as done, with no workflow to replay."""
    with scope(authority=authority):
        mentor = User.objects.get(email="mentor@bathnes.test")
        chair = User.objects.get(email="chair@bathnes.test")
        framework = FrameworkVersion.objects.get(is_current=True)
        elements = list(framework.elements.prefetch_related("descriptors"))
        for name, days, ratings in ASSESSED_IN_THE_PORTAL:
            school = schools[authority.slug, name]
            award = Award.objects.filter(school=school, decision=None).first()
            if award is None or Cycle.objects.filter(school=school).exists():
                continue
            decided_at = timezone.make_aware(datetime.combine(award.awarded_on, time(16)))
            registered = decided_at - timedelta(days=days)
            cycle = Cycle.objects.create(
                authority=authority,
                school=school,
                framework=framework,
                mentor=mentor,
                state=Cycle.State.DECIDED,
            )
            Cycle.objects.filter(pk=cycle.pk).update(
                created_at=registered,
                submitted_at=registered + timedelta(days=days // 3),
                validated_at=registered + timedelta(days=days // 3 + 14),
                portfolio_submitted_at=decided_at - timedelta(days=40),
            )
            Answer.objects.bulk_create(
                Answer(
                    cycle=cycle,
                    element=element,
                    version=1,
                    rating=int(rating),
                    ratings={str(d.pk): int(rating) for d in element.descriptors.all()},
                    practice=f"How {name} works on “{element.title.lower()}”.",
                    evidence="Minutes, tracking data and pupil voice surveys.",
                    updated_at=registered + timedelta(days=days // 4),
                )
                for element, rating in zip(elements, ratings, strict=True)
            )
            MentorReview.objects.bulk_create(
                MentorReview(cycle=cycle, element=element, rating=int(rating))
                for element, rating in zip(elements, ratings, strict=True)
            )
            decision = Decision.objects.create(
                cycle=cycle,
                outcome=Outcome.AWARD,
                tier=Tier.QUALITY_MARK,
                rationale="The moderators' report shows every element met.",
                votes={f"award: {Tier.QUALITY_MARK.label}": 3},
                recorded_by=chair,
            )
            Decision.objects.filter(pk=decision.pk).update(recorded_at=decided_at)
            Award.objects.filter(pk=award.pk).update(decision=decision)
