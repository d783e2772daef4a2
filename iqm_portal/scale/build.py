"""One authority of the scale data, written row by row through the bulk writer: its framework,
areas, schools and people, then each school's story (plan.STORIES): the awards it has held, the
cluster it leads, its research, and its cycles (cycles.py); then workshops, plaques, conflicts of
interest and the security log's sign-ins."""

import hashlib
import math
import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Membership, Role, User
from accounts.two_factor import APP_NAME, ROLES_NEEDING_A_SECOND_FACTOR
from assessments.models import Cycle, Descriptor, Element, FrameworkVersion, Target
from assessments.workflow import ASSESSMENT_KINDS
from audit.models import AuditEntry
from awards.domain import expiry, years_after
from awards.models import Award, Plaque, Tier
from clusters.models import Activity, Cluster, Partner
from flagship.models import KeyStep, ResearchOutput, ResearchProject
from moderation.models import Conflict, Outcome
from portfolios.models import EvidenceFile
from schools.models import Area, School
from workshops.models import Booking, Workshop

from . import plan, texts
from .cycles import FILES_PER_AUTHORITY, SHOWCASE_FILES, CycleWriter, Person, Place
from .placeholders import placeholder
from .plan import KNOWN_PEOPLE, STORIES, UNDER_WAY

State = Cycle.State
Kind = Cycle.Kind


def totp_key(seed: int, email: str) -> str:
    """The hex key of a person's authenticator app: the same for the same seed and email."""
    return hashlib.sha1(f"iqm-scale:{seed}:{email}".encode()).hexdigest()


class AuthorityBuilder(CycleWriter):
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

    def audit(
        self,
        at,
        actor,
        action,
        model,
        obj_id,
        text,
        school=None,
        person=None,
        before=None,
        after=None,
    ):
        """An audit entry as `audit.domain.record` writes it: `text` is str() of the object."""
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
            before=before or {},
            after=after or {},
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
        """Made up, in the shape of a UK postcode: "AB12 3CD"."""
        letters = "".join(self.rng.choices("ABDEFGHJLNPQRSTUWXYZ", k=4))
        district, sector = self.rng.randint(1, 29), self.rng.randint(1, 9)
        return f"{letters[:2]}{district} {sector}{letters[2:]}"

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
        renewed = (Outcome.AWARD, Tier.CENTRE_OF_EXCELLENCE)
        self.review(place, Kind.CENTRE_OF_EXCELLENCE, State.DECIDED, self.on(decided, 16), renewed)

    def story_flagship(self, place):
        decided = self.days_ago(20, 300)
        self.flagship_history(place, decided - timedelta(days=1))
        renewed = (Outcome.AWARD, Tier.FLAGSHIP)
        self.review(place, Kind.FLAGSHIP, State.DECIDED, self.on(decided, 16), renewed)

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
