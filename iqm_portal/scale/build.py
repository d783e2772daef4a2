"""One authority of the scale data, written row by row through the bulk writer: its areas,
schools and people, then each school's story with every record its cycle's steps would have made
(answers, reviews, targets, evidence, the visit, its notes and report, the panel's ballots and
decision, the award) and the audit log's entry for each step, as the domain functions write them.
"""

import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Membership, Role, User
from accounts.two_factor import APP_NAME, ROLES_NEEDING_A_SECOND_FACTOR
from assessments.domain import TIER_OF_KIND
from assessments.models import (
    Answer,
    Assignment,
    Cycle,
    Descriptor,
    Element,
    FrameworkVersion,
    MentorReview,
    Submission,
    Target,
)
from assessments.workflow import ASSESSMENT_KINDS
from audit.models import AuditEntry
from awards.domain import expiry, years_after
from awards.models import Award, Plaque, Tier
from clusters.models import Activity, Cluster, Partner
from flagship.models import CRITERIA, CriterionCheck, KeyStep, ResearchOutput, ResearchProject
from moderation.domain import option_label
from moderation.models import (
    Ballot,
    Conflict,
    Decision,
    Finding,
    Outcome,
    PanelVote,
    Report,
    Visit,
    VisitNote,
)
from portfolios.models import EvidenceFile, EvidenceItem, ItemComment, PortfolioSubmission
from reviews.models import ElementProgress, Priority, Ratification, Update
from schools.models import Area, School
from workshops.models import Booking, Workshop

from . import plan, texts
from .placeholders import placeholder
from .plan import (
    DAYS_TO,
    KNOWN_PEOPLE,
    PATHS,
    PORTFOLIO_OF_100,
    SHOWCASE_ITEMS,
    STORIES,
    UNDER_WAY,
    VISIT_AFTER_PLANNING,
    evidence_items,
    step_into,
)

State = Cycle.State
Kind = Cycle.Kind
FILE_SHARE = 0.7  # of evidence items; the rest are links
# Distinct placeholder files of an authority (a portfolio never holds one twice): enough for the
# largest portfolio drawn, and for the showcase's in scale-001.
FILES_PER_AUTHORITY = math.ceil(evidence_items(State.WITH_PANEL)[1] * FILE_SHARE)
SHOWCASE_FILES = math.ceil(SHOWCASE_ITEMS * FILE_SHARE)


def totp_key(seed: int, email: str) -> str:
    """The hex key of a person's authenticator app: the same for the same seed and email."""
    return hashlib.sha1(f"iqm-scale:{seed}:{email}".encode()).hexdigest()


@dataclass
class Person:
    id: int
    email: str
    name: str


@dataclass
class Place:
    """A school as the builder knows it."""

    id: int
    name: str
    urn: str
    story: str
    state: State | None  # a showcase school's cycle's state; None: drawn
    coordinator: Person | None = None
    head: Person | None = None
    contributor: Person | None = None

    @property
    def showcase(self) -> bool:
        return self.state is not None

    @property
    def leads(self) -> list[Person]:
        return [p for p in (self.coordinator, self.head) if p]

    @property
    def staff(self) -> list[Person]:
        return [p for p in (self.coordinator, self.head, self.contributor) if p]


@dataclass
class Case:
    """A cycle being written: when it reached each state of its path."""

    id: int
    place: Place
    kind: Kind
    state: State
    at: dict
    mentor: Person
    label: str  # the cycle as the audit log names it
    outcome: tuple = ()  # (outcome, tier) the moderators recommend and the panel decides
    moderators: list = field(default_factory=list)
    visit_date: date | None = None
    visit_id: int | None = None

    def reached(self, state) -> bool:
        return state in self.at

    @property
    def review(self) -> bool:
        return self.kind not in ASSESSMENT_KINDS


class AuthorityBuilder:
    def __init__(
        self, writer, *, authority, number, stories, seed, now, password, framework, guest
    ):
        self.w = writer
        self.authority = authority
        self.number = number
        self.stories = stories  # (story, state) of each school
        self.size = len(stories)
        self.seed = seed
        self.now = now
        self.today = timezone.localdate(now)
        self.password = password
        self.framework = framework  # the default framework's FrameworkSpec
        self.guest = guest  # a moderator of the authority before, who moderates here too
        self.rng = random.Random(f"{seed}:{authority.slug}")
        self.slug = authority.slug
        self.showcase = number == 1
        self.audit_entries = 0
        self.people_made = 0
        self.devices = {guest.id} if guest else set()  # who has an authenticator app
        self.members: list[Person] = []  # everyone with a role here, for the security log
        self.awards_in_force: list[tuple[int, date]] = []

    # Writing ----------------------------------------------------------------------------------

    def add(self, model, **values) -> int:
        return self.w.add(model, **values)

    def audit(self, at, actor, action, model, obj_id, text, school=None, person=None, **changes):
        self.add(
            AuditEntry,
            authority_id=self.authority.pk,
            actor_id=actor.id if actor else None,
            action=action,
            object_type=model._meta.label,
            object_id=str(obj_id),
            object_repr=text[:200],
            school_id=school.id if school else None,
            person_id=person.id if person else None,
            before=changes.get("before", {}),
            after=changes.get("after", {}),
            created_at=at,
        )
        self.audit_entries += 1

    def between(self, start: datetime, end: datetime) -> datetime:
        end = min(end, self.now)
        if end <= start:
            return end
        return start + (end - start) * self.rng.random()

    def on(self, day: date, hour=10) -> datetime:
        return timezone.make_aware(datetime.combine(day, time(hour, self.rng.randrange(60))))

    # The authority ----------------------------------------------------------------------------

    def build(self) -> Person:
        """Everything of the authority; returns one of its moderators, whom the next authority
        shares (a person may hold roles in several authorities)."""
        self.install_framework()
        self.areas()
        self.places()
        self.staff()
        self.school_people()
        self.evidence_files()
        for place in self.schools:
            getattr(self, f"story_{place.story}")(place)
        self.conflicts()
        self.workshops()
        self.plaques()
        return self.own_moderators[-1]

    def install_framework(self):
        """The default framework, current, as `assessments.domain.import_framework` installs it
        (from the file read once): self.elements is [(id, number, title, [descriptor ids])]."""
        spec, installed = self.framework, self.now - timedelta(days=1500)
        self.framework_code = spec.code
        self.framework_id = self.add(
            FrameworkVersion,
            authority_id=self.authority.pk,
            code=spec.code,
            name=spec.name,
            description=spec.description,
            is_current=True,
            created_at=installed,
        )
        self.elements = []
        for number, element in enumerate(spec.elements, start=1):
            element_id = self.add(
                Element,
                framework_id=self.framework_id,
                number=number,
                code=element.code,
                title=element.title,
                guidance=element.guidance,
            )
            descriptors = [
                self.add(Descriptor, element_id=element_id, number=n, text=text)
                for n, text in enumerate(element.descriptors, start=1)
            ]
            self.elements.append((element_id, number, element.title, descriptors))
        self.audit(
            installed,
            None,
            "framework.imported",
            FrameworkVersion,
            self.framework_id,
            spec.name,
            after={"code": spec.code, "elements": len(spec.elements), "current": True},
        )

    def areas(self):
        count = min(8, 2 + self.size // 60)
        lat, lon = 50.7 + 3.4 * self.rng.random(), -3.0 + 3.2 * self.rng.random()
        names = self.place_names(count)
        self.area_ids = []
        self.area_centres = []
        for position, name in enumerate(names):
            self.area_ids.append(
                self.add(Area, authority_id=self.authority.pk, name=name, position=position)
            )
            self.area_centres.append(
                (lat + self.rng.uniform(-0.15, 0.15), lon + self.rng.uniform(-0.2, 0.2))
            )

    def place_names(self, count) -> list[str]:
        names: list[str] = []
        while len(names) < count:
            name = self.rng.choice(texts.PLACE_STARTS) + self.rng.choice(texts.PLACE_ENDS)
            if name not in names:
                names.append(name)
        return names

    def places(self):
        phases = [phase for phase, weight, _, _ in texts.PHASES for _ in range(weight)]
        rolls = {phase: (low, high) for phase, _, low, high in texts.PHASES}
        taken = set()
        self.schools = []
        for index, (story, state) in enumerate(self.stories, start=1):
            phase = self.rng.choice(phases)
            name = self.school_name(phase, taken)
            area = self.rng.randrange(len(self.area_ids))
            lat, lon = self.area_centres[area]
            urn = plan.urn(self.number, index)
            school_id = self.add(
                School,
                authority_id=self.authority.pk,
                area_id=None if self.rng.random() < 0.02 else self.area_ids[area],
                name=name,
                urn=urn,
                phase=phase,
                roll_size=self.rng.randint(*rolls[phase]),
                address=f"{self.rng.randint(1, 120)} {self.rng.choice(texts.STREETS)}",
                postcode=self.postcode(),
                establishment_type=self.rng.choice(texts.ESTABLISHMENT_TYPES),
                latitude=round(lat + self.rng.uniform(-0.06, 0.06), 5),
                longitude=round(lon + self.rng.uniform(-0.08, 0.08), 5),
            )
            self.schools.append(Place(school_id, name, urn, story, state))

    def school_name(self, phase, taken) -> str:
        while True:
            place = self.rng.choice(texts.PLACE_STARTS) + self.rng.choice(texts.PLACE_ENDS)
            name = f"{place} {self.rng.choice(texts.PHASE_NAMES[phase])}"
            if name not in taken:
                taken.add(name)
                return name

    def postcode(self) -> str:
        letters = "ABDEFGHJLNPQRSTUWXYZ"
        pick = self.rng.choice
        return f"{pick(letters)}{pick(letters)}{self.rng.randint(1, 29)} {self.rng.randint(1, 9)}{pick(letters)}{pick(letters)}"  # noqa: E501

    # People -----------------------------------------------------------------------------------

    def person(self, local=None) -> Person:
        first, last = self.rng.choice(texts.FIRST_NAMES), self.rng.choice(texts.SURNAMES)
        self.people_made += 1
        email = (
            f"{local}@{self.slug}.test"
            if local
            else f"{first}.{last}.{self.people_made}@{self.slug}.test".lower()
        )
        joined = self.now - timedelta(days=self.rng.uniform(400, 1500))
        user_id = self.add(
            User,
            email=email,
            full_name=f"{first} {last}",
            password=self.password,
            date_joined=joined,
            # Offered a second factor already: signing in goes straight to the portal.
            second_factor_offered_at=joined,
        )
        return Person(user_id, email, f"{first} {last}")

    def member(self, person: Person, role: Role, school: Place | None = None):
        self.add(
            Membership,
            authority_id=self.authority.pk,
            user_id=person.id,
            role=role,
            school_id=school.id if school else None,
            created_at=self.now - timedelta(days=self.rng.uniform(300, 400)),
        )
        if role in ROLES_NEEDING_A_SECOND_FACTOR and person.id not in self.devices:
            self.devices.add(person.id)
            self.add(
                TOTPDevice,
                user_id=person.id,
                name=APP_NAME,
                confirmed=True,
                key=totp_key(self.seed, person.email),
                created_at=self.now - timedelta(days=300),
            )
        self.members.append(person)

    def staff(self):
        """Admins, mentors, moderators and the panel; in scale-001 the first of each is known."""
        known = dict(KNOWN_PEOPLE) if self.showcase else {}
        counts = {
            Role.AUTHORITY_ADMIN: 1 if self.size < 40 else 2,
            Role.MENTOR: max(2, math.ceil(self.size / 40)),
            Role.MODERATOR: max(3, math.ceil(self.size / 50)),
            Role.PANEL_MEMBER: 4,
            Role.PANEL_CHAIR: 1,
        }
        made = {}
        for role, count in counts.items():
            locals_ = [local for local, r in known.items() if r == role]
            people = [self.person(local) for local in locals_]
            people += [self.person() for _ in range(count - len(people))]
            for person in people:
                self.member(person, role)
            made[role] = people
        self.admins = made[Role.AUTHORITY_ADMIN]
        self.mentors = made[Role.MENTOR]
        self.own_moderators = made[Role.MODERATOR]
        self.moderators = list(self.own_moderators)
        self.panel_members = made[Role.PANEL_MEMBER]
        self.chair = made[Role.PANEL_CHAIR][0]
        if self.guest:
            self.member(self.guest, Role.MODERATOR)
            self.moderators.append(self.guest)

    def school_people(self):
        """A coordinator at every school; a head teacher at half the schools in the scheme; a
        contributor at a third of those with an assessment under way. In scale-001 the known
        school staff work at every showcase school."""
        known = {}
        if self.showcase:
            known = {
                role: self.person(local)
                for local, role in KNOWN_PEOPLE
                if role in (Role.SCHOOL_COORDINATOR, Role.HEAD_TEACHER, Role.SCHOOL_CONTRIBUTOR)
            }
        for place in self.schools:
            if place.showcase:
                place.coordinator = known[Role.SCHOOL_COORDINATOR]
                place.head = known[Role.HEAD_TEACHER]
                if place.state == State.SELF_REVIEW:
                    place.contributor = known[Role.SCHOOL_CONTRIBUTOR]
            else:
                place.coordinator = self.person()
                story = STORIES[place.story]
                if story.name != "outside" and self.rng.random() < 0.5:
                    place.head = self.person()
                if story.kind in ASSESSMENT_KINDS and self.rng.random() < 1 / 3:
                    place.contributor = self.person()
            for person, role in [
                (place.coordinator, Role.SCHOOL_COORDINATOR),
                (place.head, Role.HEAD_TEACHER),
                (place.contributor, Role.SCHOOL_CONTRIBUTOR),
            ]:
                if person:
                    self.member(person, role, place)

    def evidence_files(self):
        """The authority's placeholder files, each stored once; a portfolio draws distinct ones."""
        self.files = []
        for n in range(SHOWCASE_FILES if self.showcase else FILES_PER_AUTHORITY):
            stored = placeholder(self.authority.pk, n)
            file_id = self.add(
                EvidenceFile,
                authority_id=self.authority.pk,
                file=stored.name,
                sha256=stored.sha256,
                size=stored.size,
                content_type=stored.content_type,
                extension=stored.extension,
                created_at=self.now - timedelta(days=700),
            )
            self.files.append((file_id, stored))

    # Stories: what has happened to each school -------------------------------------------------

    def under_way(self, kind) -> State:
        weights = UNDER_WAY["assessment" if kind in ASSESSMENT_KINDS else "review"]
        return self.rng.choices(list(weights), list(weights.values()))[0]

    def days_ago(self, low, high) -> date:
        return self.today - timedelta(days=self.rng.randint(low, high))

    def story_outside(self, place):
        pass

    def story_initial(self, place):
        self.assessment(place, Kind.INITIAL, place.state or self.under_way(Kind.INITIAL))

    def story_reassessment(self, place):
        self.award(place, Tier.QUALITY_MARK, self.days_ago(800, 1090))
        self.assessment(place, Kind.REASSESSMENT, self.under_way(Kind.REASSESSMENT))

    def story_first_excellence(self, place):
        self.award(place, Tier.QUALITY_MARK, self.days_ago(200, 900))
        self.cluster(place)
        self.review(place, Kind.CENTRE_OF_EXCELLENCE, self.under_way(Kind.CENTRE_OF_EXCELLENCE))

    def story_excellence_review(self, place):
        self.award(place, Tier.QUALITY_MARK, self.days_ago(500, 1000))
        self.yearly(place, Tier.CENTRE_OF_EXCELLENCE, self.days_ago(400, 700), self.today)
        self.cluster(place)
        kind = Kind.CENTRE_OF_EXCELLENCE
        self.review(place, kind, place.state or self.under_way(kind))

    def story_first_flagship(self, place):
        self.award(place, Tier.QUALITY_MARK, self.days_ago(3250, 3350))
        self.award(place, Tier.QUALITY_MARK, self.days_ago(2150, 2250))
        self.yearly(place, Tier.CENTRE_OF_EXCELLENCE, self.days_ago(1100, 1800), self.today)
        self.cluster(place)
        self.research(place)
        self.review(place, Kind.FLAGSHIP, self.under_way(Kind.FLAGSHIP))

    def flagship_history(self, place, until):
        self.award(place, Tier.QUALITY_MARK, self.days_ago(3600, 3700))
        self.award(place, Tier.QUALITY_MARK, self.days_ago(2500, 2600))
        start = self.days_ago(2150, 2250)
        excellence_ends = years_after(start, 4)
        self.yearly(place, Tier.CENTRE_OF_EXCELLENCE, start, excellence_ends - timedelta(days=1))
        self.yearly(place, Tier.FLAGSHIP, excellence_ends, until)
        self.cluster(place)
        self.research(place)

    def story_flagship_review(self, place):
        self.flagship_history(place, self.today)
        self.review(place, Kind.FLAGSHIP, place.state or self.under_way(Kind.FLAGSHIP))

    def story_quality_mark(self, place):
        if place.showcase or self.rng.random() < 0.75:
            decided = self.days_ago(20, 60) if place.showcase else self.days_ago(20, 1000)
            self.assessment(
                place,
                Kind.INITIAL,
                State.DECIDED,
                end=self.on(decided, 16),
                outcome=(Outcome.AWARD, Tier.QUALITY_MARK),
            )
        else:
            self.award(place, Tier.QUALITY_MARK, self.days_ago(20, 1000))

    def story_not_awarded(self, place):
        outcome = self.rng.choice([Outcome.DEFER, Outcome.NOT_AWARD])
        decided = self.days_ago(20, 700)
        self.assessment(
            place, Kind.INITIAL, State.DECIDED, end=self.on(decided, 16), outcome=(outcome, "")
        )

    def story_centre_of_excellence(self, place):
        decided = self.days_ago(20, 300)
        self.award(place, Tier.QUALITY_MARK, self.days_ago(500, 1000))
        self.yearly(
            place, Tier.CENTRE_OF_EXCELLENCE, self.days_ago(700, 1400), decided - timedelta(days=1)
        )
        self.cluster(place)
        self.review(place, Kind.CENTRE_OF_EXCELLENCE, State.DECIDED, end=self.on(decided, 16))

    def story_flagship(self, place):
        decided = self.days_ago(20, 300)
        self.flagship_history(place, decided - timedelta(days=1))
        self.review(place, Kind.FLAGSHIP, State.DECIDED, end=self.on(decided, 16))

    def story_lapsed(self, place):
        self.award(place, Tier.QUALITY_MARK, self.days_ago(1110, 1460))

    # Awards -----------------------------------------------------------------------------------

    def award(self, place, tier, awarded_on, decision_id=None) -> int:
        expires_on = expiry(self.authority, tier, awarded_on)
        award_id = self.add(
            Award,
            authority_id=self.authority.pk,
            school_id=place.id,
            tier=tier,
            awarded_on=awarded_on,
            expires_on=expires_on,
            decision_id=decision_id,
        )
        if awarded_on <= self.today <= expires_on:
            self.awards_in_force.append((award_id, awarded_on))
        return award_id

    def yearly(self, place, tier, first: date, until: date):
        """Awards of the tier renewed every year without a break, from `first` to `until`."""
        awarded_on = first
        while awarded_on <= until:
            self.award(place, tier, awarded_on)
            awarded_on = expiry(self.authority, tier, awarded_on)

    def plaques(self):
        for award_id, awarded_on in self.awards_in_force:
            if self.rng.random() < 0.4:
                continue
            ordered = min(awarded_on + timedelta(days=14), self.today)
            sent = ordered + timedelta(days=21)
            self.add(
                Plaque,
                authority_id=self.authority.pk,
                award_id=award_id,
                ordered_on=ordered,
                sent_on=sent if sent <= self.today and self.rng.random() < 0.7 else None,
            )

    # Cycles -----------------------------------------------------------------------------------

    def timeline(self, kind, state, end) -> dict:
        """When the cycle reached each state of its path up to `state` (in order), the last at
        `end`."""
        path = PATHS[kind][: PATHS[kind].index(state) + 1]
        moments = [end]
        for reached in reversed(path[1:]):
            moments.append(
                moments[-1] - timedelta(days=DAYS_TO[reached] * self.rng.uniform(0.6, 1.4))
            )
        return dict(zip(path, reversed(moments), strict=True))

    def start(self, place, kind, state, end, outcome) -> Case:
        end = end or self.now - timedelta(days=self.rng.uniform(1, 30), hours=self.rng.random())
        mentor = self.mentors[0] if place.showcase else self.rng.choice(self.mentors)
        case = Case(
            id=self.w.new_id(Cycle),
            place=place,
            kind=kind,
            state=state,
            at=self.timeline(kind, state, end),
            mentor=mentor,
            label=str(Cycle(school=School(name=place.name), kind=kind)),
        )
        case.outcome = outcome or self.recommendation(case)
        return case

    def recommendation(self, case) -> tuple:
        if case.review:
            renew = self.rng.random() < 0.92
            return (Outcome.AWARD, TIER_OF_KIND[case.kind]) if renew else (Outcome.NOT_AWARD, "")
        outcome = self.rng.choices([Outcome.AWARD, Outcome.DEFER, Outcome.NOT_AWARD], [90, 7, 3])[0]
        return (outcome, Tier.QUALITY_MARK if outcome == Outcome.AWARD else "")

    def assessment(self, place, kind, state, end=None, outcome=None):
        case = self.start(place, kind, state, end, outcome)
        answers = self.answers(case)
        self.add(
            Cycle,
            id=case.id,
            authority_id=self.authority.pk,
            school_id=place.id,
            kind=kind,
            framework_id=self.framework_id,
            mentor_id=case.mentor.id,
            state=state,
            created_at=case.at[State.REGISTERED],
            submitted_at=case.at.get(State.SUBMITTED),
            validated_at=case.at.get(State.VALIDATED),
            portfolio_submitted_at=case.at.get(State.PORTFOLIO_SUBMITTED),
        )
        self.steps(case)
        self.submission(case, answers)
        self.mentor_reviews(case, answers)
        self.targets(case)
        self.portfolio(case)
        self.visit(case)
        self.report(case)
        self.panel(case)

    def review(self, place, kind, state, end=None):
        case = self.start(place, kind, state, end, None)
        self.add(
            Cycle,
            id=case.id,
            authority_id=self.authority.pk,
            school_id=place.id,
            kind=kind,
            framework_id=self.framework_id,
            mentor_id=case.mentor.id,
            state=state,
            created_at=case.at[State.REGISTERED],
            submitted_at=case.at.get(State.UPDATE_SUBMITTED),
        )
        self.steps(case)
        self.updates(case)
        self.criteria(case)
        self.visit(case)
        self.ratification(case)
        self.panel(case)

    def actor(self, case, state) -> Person:
        """Who takes the step into each state."""
        if state in (State.VALIDATED,):
            return case.mentor
        if state in (State.REPORTED, State.RATIFIED):
            return case.moderators[-1]
        if state == State.REGISTERED:
            return self.admins[0]
        if state in (State.READY_FOR_VISIT, State.VISIT_PLANNED, State.WITH_PANEL, State.DECIDED):
            return self.chair
        return case.place.leads[0]

    def steps(self, case):
        """The audit log's entry of each step of the cycle, as `assessments.domain.take` writes
        it. Visits are planned before their entries are written, so the moderators are known."""
        if case.reached(State.VISIT_PLANNED):
            self.choose_moderators(case)
        path = list(case.at)
        for before, state in zip([State.REGISTERED, *path], path, strict=False):
            step = step_into(case.kind, state)
            after = {"state": state.value}
            if state == State.REGISTERED:
                after |= {"kind": case.kind.value, "mentor": case.mentor.id}
                after["framework"] = self.framework_code
            if state == State.RATIFIED:
                after["recommendation"] = "renew" if case.outcome[0] == Outcome.AWARD else "lapse"
            self.audit(
                case.at[state],
                self.actor(case, state),
                f"cycle.{step.event or step.name}",
                Cycle,
                case.id,
                case.label,
                school=case.place,
                before={"state": before.value},
                after=after,
            )

    # The self-review and validation ---------------------------------------------------------

    def answers(self, case) -> dict:
        """Each element's answer: in the self-review some are still being written; from the
        submission on, every one is complete."""
        if not case.reached(State.SELF_REVIEW):
            return {}
        writing = case.state == State.SELF_REVIEW
        done_share = self.rng.uniform(0.3, 0.9)
        start = case.at[State.SELF_REVIEW]
        end = case.at.get(State.SUBMITTED, self.now)
        writers = case.place.staff
        answers = {}
        for element_id, _, _, descriptors in self.elements:
            rating = self.rng.randint(1, 4)
            complete = not writing or self.rng.random() < done_share
            ratings = {
                str(d): max(0, min(4, rating + self.rng.choice((-1, 0, 0, 1)))) for d in descriptors
            }
            if not complete:
                ratings = dict(list(ratings.items())[: self.rng.randrange(len(ratings))])
            data = {
                "rating": rating if complete or self.rng.random() < 0.5 else None,
                "ratings": ratings,
                "practice": texts.sentences(self.rng, texts.PRACTICE, 3),
                "evidence": texts.sentences(self.rng, texts.EVIDENCE_TEXT, 2),
                "strengths": texts.sentences(self.rng, texts.STRENGTHS, 2),
                "development": texts.sentences(self.rng, texts.DEVELOPMENT, 1),
            }
            self.add(
                Answer,
                cycle_id=case.id,
                element_id=element_id,
                version=self.rng.randint(1, 6),
                updated_by_id=self.rng.choice(writers).id,
                updated_at=self.between(start, end),
                **data,
            )
            answers[element_id] = data
        if case.place.contributor and writing:
            for element_id, number, _, _ in self.elements[:2]:
                self.add(
                    Assignment,
                    cycle_id=case.id,
                    element_id=element_id,
                    person_id=case.place.contributor.id,
                )
                self.audit(
                    start,
                    case.place.leads[0],
                    "element.assigned",
                    Cycle,
                    case.id,
                    case.label,
                    school=case.place,
                    person=case.place.contributor,
                    after={"element": number, "person": case.place.contributor.id},
                )
        return answers

    def submission(self, case, answers):
        if not case.reached(State.SUBMITTED):
            return
        self.add(
            Submission,
            cycle_id=case.id,
            submitted_by_id=case.place.leads[0].id,
            submitted_at=case.at[State.SUBMITTED],
            answers={str(element_id): data for element_id, data in answers.items()},
        )

    def mentor_reviews(self, case, answers):
        """The mentor's ratings: some elements while the self-review is with them, every one
        once validated (agreed, or adjusted by one level)."""
        if not case.reached(State.SUBMITTED):
            return
        elements = self.elements
        if case.state == State.SUBMITTED:
            elements = elements[: self.rng.randint(0, len(elements))]
        start = case.at[State.SUBMITTED]
        end = case.at.get(State.VALIDATED, self.now)
        for element_id, _, _, _ in elements:
            school = answers[element_id]["rating"]
            adjusted = self.rng.random() < 0.2
            rating = max(0, min(4, school + self.rng.choice((-1, 1)))) if adjusted else school
            self.add(
                MentorReview,
                cycle_id=case.id,
                element_id=element_id,
                rating=rating,
                school_rating=school,
                comment=self.rng.choice(texts.MENTOR_COMMENTS),
                updated_at=self.between(start, end),
            )

    def targets(self, case):
        if not case.reached(State.VALIDATED):
            return
        showcase_100 = case.place.showcase and case.state == PORTFOLIO_OF_100
        count = 6 if showcase_100 else self.rng.randint(2, 4)
        validated = case.at[State.VALIDATED]
        for element_id, number, _, _ in self.rng.sample(self.elements, count):
            action = self.rng.choice(texts.TARGET_ACTIONS)
            deadline = timezone.localdate(validated) + timedelta(days=self.rng.randint(60, 400))
            status = self.rng.choice(Target.Status.values)
            lead = self.rng.choice(case.place.leads)
            created = self.between(validated, validated + timedelta(days=10))
            target_id = self.add(
                Target,
                cycle_id=case.id,
                element_id=element_id,
                action=action,
                lead_id=lead.id,
                deadline=deadline,
                success_criteria="Minutes and attendance show it happening; surveys improve.",
                status=status,
                created_at=created,
            )
            self.audit(
                created,
                lead,
                "target.created",
                Target,
                target_id,
                action[:80],
                school=case.place,
                after={"element": number, "status": status, "deadline": deadline.isoformat()},
            )

    # The portfolio ----------------------------------------------------------------------------

    def portfolio(self, case):
        low, high = evidence_items(case.state)
        count = self.rng.randint(low, high)
        if case.place.showcase and case.state == PORTFOLIO_OF_100:
            count = SHOWCASE_ITEMS
        if not count:
            return
        files = self.rng.sample(self.files, min(round(count * FILE_SHARE), len(self.files)))
        start = case.at[State.SELF_REVIEW]
        end = case.at.get(State.PORTFOLIO_SUBMITTED, self.now)
        mentor_comments = case.reached(State.VALIDATED)
        submitted = []
        for n in range(count):
            title = f"{self.rng.choice(texts.EVIDENCE_TITLES)} ({n + 1})"
            by = self.rng.choice(case.place.staff)
            created = self.between(start, end)
            chosen = self.rng.sample(self.elements, self.rng.randint(1, 3))
            descriptors = [
                self.rng.choice(element[3]) for element in chosen[: self.rng.randint(0, 2)]
            ]
            numbers = sorted(element[1] for element in chosen)
            if n < len(files):
                file_id, stored = files[n]
                item = {"file_id": file_id, "original_name": f"{title}.{stored.extension}"}
                logged = {"sha256": stored.sha256, "size": stored.size}
            else:
                stored = None
                item = {"url": f"https://school{case.place.urn}.example/evidence/{n + 1}"}
                logged = {"url": item["url"]}
            item_id = self.add(
                EvidenceItem,
                cycle_id=case.id,
                title=title,
                description=self.rng.choice(texts.EVIDENCE_TEXT),
                evidence_date=timezone.localdate(created) - timedelta(days=self.rng.randint(0, 90)),
                added_by_id=by.id,
                created_at=created,
                **item,
            )
            for element in chosen:
                self.add(
                    EvidenceItem.elements.through, evidenceitem_id=item_id, element_id=element[0]
                )
            for descriptor in descriptors:
                self.add(
                    EvidenceItem.descriptors.through,
                    evidenceitem_id=item_id,
                    descriptor_id=descriptor,
                )
            self.audit(
                created,
                by,
                "evidence.added",
                EvidenceItem,
                item_id,
                title,
                school=case.place,
                after={
                    "title": title,
                    **logged,
                    "elements": numbers,
                    "descriptors": sorted(descriptors),
                },
            )
            if mentor_comments and self.rng.random() < 0.05:
                self.comment(case, item_id, title, created)
            submitted.append(
                {
                    "id": item_id,
                    "title": title,
                    "sha256": stored.sha256 if stored else None,
                    "url": item.get("url", ""),
                    "elements": numbers,
                }
            )
        if case.reached(State.PORTFOLIO_SUBMITTED):
            self.add(
                PortfolioSubmission,
                cycle_id=case.id,
                submitted_by_id=case.place.leads[0].id,
                submitted_at=case.at[State.PORTFOLIO_SUBMITTED],
                items=sorted(submitted, key=lambda i: (i["title"], i["id"])),
            )

    def comment(self, case, item_id, title, created):
        when = self.between(case.at[State.VALIDATED], self.now)
        for author, body in [
            (case.mentor, "Could you add the minutes that go with this?"),
            (case.place.leads[0], "Added to the portfolio as a separate item."),
        ]:
            comment_id = self.add(
                ItemComment, item_id=item_id, author_id=author.id, body=body, created_at=when
            )
            self.audit(
                when,
                author,
                "evidence.commented",
                EvidenceItem,
                item_id,
                title,
                school=case.place,
                after={"comment": comment_id},
            )
            when += timedelta(hours=20)

    # The visit --------------------------------------------------------------------------------

    def choose_moderators(self, case):
        if case.place.showcase:
            known = self.moderators[:2]
            case.moderators = known[:1] if case.review else known
        else:
            count = 2 if not case.review or self.rng.random() < 0.2 else 1
            case.moderators = self.rng.sample(self.moderators, count)
        planned = case.at[State.VISIT_PLANNED]
        if State.REPORTED in case.at or State.RATIFIED in case.at:
            done = case.at.get(State.REPORTED) or case.at[State.RATIFIED]
            case.visit_date = timezone.localdate(planned + (done - planned) / 2)
        else:
            days = VISIT_AFTER_PLANNING * self.rng.uniform(0.3, 1.7)
            case.visit_date = timezone.localdate(planned + timedelta(days=days))

    def visit(self, case):
        if not case.reached(State.VISIT_PLANNED):
            return
        planned = case.at[State.VISIT_PLANNED]
        case.visit_id = self.add(
            Visit,
            cycle_id=case.id,
            date=case.visit_date,
            planned_by_id=self.chair.id,
            created_at=planned,
        )
        for moderator in case.moderators:
            self.add(Visit.moderators.through, visit_id=case.visit_id, user_id=moderator.id)
        self.audit(
            planned,
            self.chair,
            "visit.planned",
            Visit,
            case.visit_id,
            str(Visit(cycle_id=case.id, date=case.visit_date)),
            school=case.place,
            after={
                "date": case.visit_date.isoformat(),
                "moderators": sorted(m.id for m in case.moderators),
            },
        )
        if case.visit_date <= self.today:
            for _ in range(self.rng.randint(3, 8)):
                self.note(case)

    def note(self, case):
        kind = self.rng.choice(VisitNote.Kind.values)
        observation = kind == VisitNote.Kind.OBSERVATION
        note_id = self.add(
            VisitNote,
            visit_id=case.visit_id,
            kind=kind,
            who=f"Year {self.rng.randint(1, 11)}" if observation else "A group of six",
            subject=self.rng.choice(texts.OBSERVATION_SUBJECTS) if observation else "",
            focus="How every pupil takes part" if observation else "",
            notes=texts.sentences(self.rng, texts.NOTE_TEXT, 3),
            author_id=self.rng.choice(case.moderators).id,
            created_at=min(self.on(case.visit_date, self.rng.randint(9, 15)), self.now),
        )
        for element in self.rng.sample(self.elements, self.rng.randint(1, 2)):
            self.add(VisitNote.elements.through, visitnote_id=note_id, element_id=element[0])

    def report(self, case):
        """The moderators' report: a draft while the visit is planned (begun once it is made),
        then complete and signed by both."""
        if case.review or not case.reached(State.VISIT_PLANNED):
            return
        final = case.reached(State.REPORTED)
        begun = case.visit_date <= self.today
        outcome, tier = case.outcome
        report_id = self.w.new_id(Report)
        recommendation = outcome if final or (begun and self.rng.random() < 0.5) else ""
        self.add(
            Report,
            id=report_id,
            cycle_id=case.id,
            context=texts.REPORT_CONTEXT.format(school=case.place.name) if final or begun else "",
            strengths=texts.sentences(self.rng, texts.STRENGTHS, 2) if recommendation else "",
            next_steps=texts.sentences(self.rng, texts.DEVELOPMENT, 2) if recommendation else "",
            recommendation=recommendation,
            tier=tier if recommendation else "",
            revisit_by=case.visit_date + timedelta(days=90)
            if recommendation == Outcome.DEFER
            else None,
            finalised_at=case.at.get(State.REPORTED),
            version=2 if recommendation else 0,
            context_version=1 if final or begun else 0,
        )
        judged = (
            self.elements if final else self.elements[: self.rng.randint(0, 10) if begun else 0]
        )
        for element_id, _, _, _ in judged:
            met = outcome == Outcome.AWARD or self.rng.random() < 0.6
            self.add(
                Finding,
                report_id=report_id,
                element_id=element_id,
                strengths=self.rng.choice(texts.STRENGTHS),
                development=self.rng.choice(texts.DEVELOPMENT),
                judgement=Finding.Judgement.MET if met else Finding.Judgement.NOT_YET,
                version=1,
            )
        if final:
            text = str(Report(cycle_id=case.id, finalised_at=case.at[State.REPORTED]))
            for n, moderator in enumerate(case.moderators):
                self.add(Report.signed_by.through, report_id=report_id, user_id=moderator.id)
                signed = case.at[State.REPORTED] - timedelta(hours=20 * (1 - n))
                self.audit(signed, moderator, "report.signed", Report, report_id, text, case.place)

    # The annual review ----------------------------------------------------------------------

    def updates(self, case):
        if not case.reached(State.ANNUAL_UPDATE):
            return
        writing = case.state == State.ANNUAL_UPDATE
        start = case.at[State.ANNUAL_UPDATE]
        end = case.at.get(State.UPDATE_SUBMITTED, self.now)
        for element_id, _, title, _ in self.elements:
            if writing and self.rng.random() < 0.3:
                continue
            complete = not writing or self.rng.random() < 0.7
            self.add(
                Update,
                cycle_id=case.id,
                element_id=element_id,
                version=self.rng.randint(1, 4),
                progress=texts.UPDATE_PROGRESS.format(
                    school=case.place.name, element=title.lower()
                ),
                plans=texts.UPDATE_PLANS if complete else "",
                updated_by_id=self.rng.choice(case.place.leads).id,
                updated_at=self.between(start, end),
            )

    def criteria(self, case):
        """A Flagship review's nine criteria: the school's evidence in its annual update, the
        visiting moderator's verdicts at the visit (all confirmed once ratified)."""
        if case.kind != Kind.FLAGSHIP or not case.reached(State.ANNUAL_UPDATE):
            return
        writing = case.state == State.ANNUAL_UPDATE
        written = self.between(
            case.at[State.ANNUAL_UPDATE], case.at.get(State.UPDATE_SUBMITTED, self.now)
        )
        judging = case.reached(State.VISIT_PLANNED) and case.visit_date <= self.today
        ratified = case.reached(State.RATIFIED)
        verdicts = {}
        keys = [key for key, _ in CRITERIA if not writing or self.rng.random() < 0.6]
        for key in keys:
            confirmed = ratified or (judging and self.rng.random() < 0.7)
            when = self.on(case.visit_date) if confirmed else None
            self.add(
                CriterionCheck,
                cycle_id=case.id,
                key=key,
                evidence="Described in our annual update, with the cluster's minutes.",
                evidence_by_id=case.place.leads[0].id,
                evidence_at=written,
                verdict=CriterionCheck.Verdict.CONFIRMED if confirmed else "",
                comment="Seen at the visit." if confirmed else "",
                verdict_by_id=case.moderators[0].id if confirmed else None,
                verdict_at=min(when, self.now) if when else None,
            )
            if confirmed:
                verdicts[key] = CriterionCheck.Verdict.CONFIRMED.value
        self.audit(
            written,
            case.place.leads[0],
            "flagship.evidence_written",
            Cycle,
            case.id,
            case.label,
            school=case.place,
            after={"criteria": keys},
        )
        if verdicts:
            self.audit(
                min(self.on(case.visit_date), self.now),
                case.moderators[0],
                "flagship.criteria_confirmed",
                Cycle,
                case.id,
                case.label,
                school=case.place,
                after={"verdicts": verdicts},
            )

    def ratification(self, case):
        """The visit's record: a draft once the visit is made, then complete and signed by every
        moderator of the visit."""
        if not case.reached(State.VISIT_PLANNED) or case.visit_date > self.today:
            return
        final = case.reached(State.RATIFIED)
        if not final and self.rng.random() < 0.5:
            return  # not begun yet
        renew = case.outcome[0] == Outcome.AWARD
        ratification_id = self.add(
            Ratification,
            cycle_id=case.id,
            summary=texts.RATIFICATION_SUMMARY if final or self.rng.random() < 0.5 else "",
            recommendation=("renew" if renew else "lapse") if final else "",
            ratified_at=case.at.get(State.RATIFIED),
            version=self.rng.randint(1, 4),
        )
        judged = self.elements if final else self.elements[: self.rng.randint(1, 10)]
        for element_id, _, _, _ in judged:
            ratified = renew or self.rng.random() < 0.5
            self.add(
                ElementProgress,
                ratification_id=ratification_id,
                element_id=element_id,
                judgement=ElementProgress.Judgement.RATIFIED
                if ratified
                else ElementProgress.Judgement.NOT_YET,
                comment="Seen in lessons and in the cluster's work.",
            )
        if not final:
            return
        agreed = self.on(case.visit_date, 15)
        for element_id, number, _, _ in self.rng.sample(self.elements, self.rng.randint(1, 3)):
            action = self.rng.choice(texts.PRIORITY_ACTIONS)
            by_when = case.visit_date + timedelta(days=self.rng.randint(100, 330))
            priority_id = self.add(
                Priority,
                ratification_id=ratification_id,
                element_id=element_id,
                action=action,
                lead=case.place.leads[0].name,
                by_when=by_when,
            )
            self.audit(
                agreed,
                case.moderators[0],
                "priority.agreed",
                Priority,
                priority_id,
                action[:80],
                school=case.place,
                after={"element": number, "by_when": by_when.isoformat()},
            )
        text = str(Ratification(cycle_id=case.id, ratified_at=case.at[State.RATIFIED]))
        for moderator in case.moderators:
            self.add(
                Ratification.signed_by.through,
                ratification_id=ratification_id,
                user_id=moderator.id,
            )
            self.audit(
                case.at[State.RATIFIED],
                moderator,
                "ratification.signed",
                Ratification,
                ratification_id,
                text,
                school=case.place,
            )

    # The panel --------------------------------------------------------------------------------

    def panel(self, case):
        """The panel's vote: open, with some ballots cast, while with the panel; closed with a
        quorum and a majority for the decision once decided. The known panel member and chair
        have not yet voted on the showcase's case with the panel."""
        if not case.reached(State.WITH_PANEL):
            return
        decided = case.reached(State.DECIDED)
        opened = case.at[State.WITH_PANEL]
        vote_id = self.add(
            PanelVote,
            cycle_id=case.id,
            opened_by_id=self.chair.id,
            opened_at=opened,
            closed_at=case.at.get(State.DECIDED),
        )
        voters = [*self.panel_members, self.chair]
        quorum = self.authority.panel_quorum
        if decided:
            count = self.rng.randint(quorum, len(voters))
        elif case.place.showcase:
            voters, count = voters[1:2], 1
        else:
            count = self.rng.randint(0, quorum)
        outcome, tier = case.outcome
        end = case.at.get(State.DECIDED, self.now)
        for member in self.rng.sample(voters, count):
            cast = self.between(opened, end)
            self.add(
                Ballot,
                vote_id=vote_id,
                member_id=member.id,
                outcome=outcome,
                tier=tier,
                comment="",
                cast_at=cast,
            )
            self.audit(cast, member, "ballot.cast", Cycle, case.id, case.label, school=case.place)
        if decided:
            self.decision(case, count)

    def decision(self, case, votes):
        outcome, tier = case.outcome
        decided = case.at[State.DECIDED]
        label = option_label((outcome, tier), review=case.review)
        decision_id = self.add(
            Decision,
            cycle_id=case.id,
            outcome=outcome,
            tier=tier,
            rationale=texts.RATIONALE,
            votes={label: votes},
            recorded_by_id=self.chair.id,
            recorded_at=decided,
        )
        self.audit(
            decided,
            self.chair,
            "decision.recorded",
            Decision,
            decision_id,
            str(Decision(cycle_id=case.id, outcome=outcome, tier=tier)),
            school=case.place,
            after={"outcome": outcome, "tier": tier, "votes": {label: votes}},
        )
        if outcome != Outcome.AWARD:
            return
        awarded_on = timezone.localdate(decided)
        award_id = self.award(case.place, tier, awarded_on, decision_id)
        self.audit(
            decided,
            self.chair,
            "award.made",
            Award,
            award_id,
            str(Award(school=School(name=case.place.name), tier=tier, awarded_on=awarded_on)),
            school=case.place,
            after={
                "tier": tier,
                "expires_on": expiry(self.authority, tier, awarded_on).isoformat(),
            },
        )

    # Clusters, research, workshops and conflicts ---------------------------------------------

    def cluster(self, place):
        """The cluster an excellent school leads: two to four partner schools of the authority,
        sometimes one outside the portal, and what they did together this year."""
        formed = self.now - timedelta(days=self.rng.uniform(900, 1400))
        cluster_id = self.add(
            Cluster,
            authority_id=self.authority.pk,
            lead_school_id=place.id,
            name=f"{place.name} cluster",
            created_at=formed,
        )
        others = [school for school in self.schools if school.id != place.id]
        partners = []
        for school in self.rng.sample(others, min(len(others), self.rng.randint(2, 4))):
            partners.append(
                self.add(Partner, cluster_id=cluster_id, school_id=school.id, added_at=formed)
            )
        if self.rng.random() < 0.2 or len(partners) < 2:
            outside = f"{self.rng.choice(texts.PLACE_STARTS)}gate Primary School"
            partners.append(self.add(Partner, cluster_id=cluster_id, name=outside, added_at=formed))
        for _ in range(self.rng.randint(2, 5)):
            kind = self.rng.choice(Activity.Kind.values)
            meeting = kind == Activity.Kind.MEETING
            activity_id = self.add(
                Activity,
                cluster_id=cluster_id,
                kind=kind,
                date=self.days_ago(10, 500),
                title=self.rng.choice(texts.ACTIVITY_TITLES),
                description=texts.sentences(self.rng, texts.NOTE_TEXT, 2),
                outcomes=self.rng.choice(texts.STRENGTHS),
                attendance=self.rng.randint(5, 25) if meeting else None,
                recorded_by_id=place.coordinator.id,
                created_at=self.now - timedelta(days=5),
            )
            for partner_id in partners if meeting else []:
                self.add(
                    Activity.attended_by.through, activity_id=activity_id, partner_id=partner_id
                )

    def research(self, place):
        started = self.days_ago(300, 1000)
        project_id = self.add(
            ResearchProject,
            authority_id=self.authority.pk,
            school_id=place.id,
            question=self.rng.choice(texts.RESEARCH_QUESTIONS),
            rationale="We want to know which parts of our work make the most difference.",
            started_on=started,
        )
        for n, description in enumerate(texts.RESEARCH_STEPS):
            starts = started + timedelta(days=120 * n)
            self.add(
                KeyStep,
                project_id=project_id,
                description=description,
                owner=place.leads[0].name,
                starts_on=starts,
                due_on=starts + timedelta(days=100),
                status=Target.Status.DONE if starts < self.today else Target.Status.NOT_STARTED,
            )
        for years_ago in range(self.rng.randint(1, 3)):
            self.add(
                ResearchOutput,
                project_id=project_id,
                title=f"What we learnt in year {3 - years_ago}",
                kind=self.rng.choice(ResearchOutput.Kind.values),
                published_in="The cluster's summer meeting",
                year=self.today.year - years_ago,
            )

    def workshops(self):
        """Workshops the mentors run: about one for every 50 schools, most already held (with who
        attended), the rest to come (some full, with a waiting list)."""
        staff = [(p, school) for school in self.schools for p in school.leads]
        for _ in range(max(2, self.size // 50)):
            held = self.rng.random() < 0.6
            days = -self.rng.randint(7, 400) if held else self.rng.randint(7, 120)
            starts = self.on(self.today + timedelta(days=days), 15)
            capacity = self.rng.randint(8, 30)
            workshop_id = self.add(
                Workshop,
                authority_id=self.authority.pk,
                title=self.rng.choice(texts.WORKSHOP_TITLES),
                starts_at=starts,
                place=f"{self.rng.choice(texts.PLACE_STARTS)} Civic Centre",
                capacity=capacity,
                description=texts.sentences(self.rng, texts.PRACTICE, 2),
                mentor_id=self.rng.choice(self.mentors).id,
                created_at=starts - timedelta(days=60),
            )
            for element in self.rng.sample(self.elements, self.rng.randint(1, 3)):
                self.add(Workshop.elements.through, workshop_id=workshop_id, element_id=element[0])
            wanted = round(capacity * self.rng.uniform(0.3, 1.0 if held else 1.3))
            chosen, seen = [], set()
            for person, school in self.rng.sample(staff, min(len(staff), wanted * 2)):
                if person.id not in seen and len(chosen) < wanted:
                    seen.add(person.id)
                    chosen.append((person, school))
            for n, (person, school) in enumerate(chosen):
                self.add(
                    Booking,
                    workshop_id=workshop_id,
                    person_id=person.id,
                    school_id=school.id,
                    status=Booking.Status.BOOKED if n < capacity else Booking.Status.WAITING,
                    attended=(self.rng.random() < 0.85) if held else None,
                    created_at=starts - timedelta(days=self.rng.randint(1, 50)),
                )

    def conflicts(self):
        """A panel member and a moderator each declared a conflict with a school outside the
        scheme (so no case they take part in is one they are conflicted on)."""
        outside = [school for school in self.schools if school.story == "outside"]
        for person, school in zip(
            [self.panel_members[-1], self.moderators[-1]], outside, strict=False
        ):
            self.add(
                Conflict,
                authority_id=self.authority.pk,
                person_id=person.id,
                school_id=school.id,
                reason="Governor of the school",
                created_at=self.now - timedelta(days=200),
            )

    def address(self) -> str:
        return f"10.{self.number % 256}.{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}"

    def security_log(self, entries: int):
        """Sign-ins and sign-outs of the authority's people over three years, up to `entries`."""
        actions = ["signed_in", "signed_out", "sign_in_failed"]
        for _ in range(entries):
            person = self.rng.choice(self.members)
            self.add(
                AuditEntry,
                authority_id=self.authority.pk,
                actor_id=person.id,
                person_id=person.id,
                action=self.rng.choices(actions, [60, 35, 5])[0],
                object_type=User._meta.label,
                object_id=str(person.id),
                object_repr=person.name,
                after={"detail": "", "ip": self.address()},
                created_at=self.now - timedelta(days=1095 * self.rng.random()),
            )
