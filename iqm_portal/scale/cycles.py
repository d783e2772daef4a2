"""The cycles of the scale data: each cycle with every record its steps would have made
(answers, the mentor's reviews, targets, evidence, the visit, its notes and report or
ratification, the panel's ballots and decision, the award) and the audit log's entry of each step,
as the domain functions write them. A part of AuthorityBuilder (build.py), kept apart for its
length: it writes through the builder's `add`, `audit`, `award` and random number generator."""

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import timezone

from assessments.domain import TIER_OF_KIND
from assessments.models import Answer, Assignment, Cycle, MentorReview, Submission, Target
from assessments.workflow import ASSESSMENT_KINDS, RETURN_STATES, STEPS
from awards.domain import expiry
from awards.models import Award, Tier
from flagship.models import CRITERIA, CriterionCheck
from moderation.domain import option_label
from moderation.models import (
    Ballot,
    Decision,
    Finding,
    Outcome,
    PanelVote,
    Report,
    Visit,
    VisitNote,
)
from portfolios.models import EvidenceItem, ItemComment, PortfolioSubmission
from reviews.models import ElementProgress, Priority, Ratification, Update
from schools.models import School

from . import texts
from .plan import (
    DAYS_TO,
    PATHS,
    PORTFOLIO_OF_100,
    SHOWCASE_ITEMS,
    VISIT_AFTER_PLANNING,
    evidence_items,
    step_into,
)

State = Cycle.State
Kind = Cycle.Kind
FILE_SHARE = 0.7  # of evidence items; the rest are links
RETURNED_SHARE = 0.15  # of the cases in a state a return leads to: returned to it
# Distinct placeholder files of an authority (a portfolio never holds one twice): enough for the
# largest portfolio drawn, and for the showcase's in scale-001.
FILES_PER_AUTHORITY = math.ceil(evidence_items(State.WITH_PANEL)[1] * FILE_SHARE)
SHOWCASE_FILES = math.ceil(SHOWCASE_ITEMS * FILE_SHARE)


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
    returned: tuple = ()  # (the state it was returned from, when), for a case sent back
    return_comment: str = ""
    moderators: list = field(default_factory=list)
    visit_date: date | None = None
    visit_id: int | None = None

    def reached(self, state) -> bool:
        return state in self.at

    @property
    def review(self) -> bool:
        return self.kind not in ASSESSMENT_KINDS


class CycleWriter:
    """Writes a school's cycle (`assessment` or `review`) up to the state it is in."""

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

    def add_cycle(self, case, place, kind, state, **fields):
        """The case's Cycle row, with what its kind adds (dates, a return comment)."""
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
            **fields,
        )

    def assessment(self, place, kind, state, end=None, outcome=None):
        case = self.start(place, kind, state, end, outcome)
        if not place.showcase and state in RETURN_STATES and self.rng.random() < RETURNED_SHARE:
            self.send_back(case)
        answers = self.answers(case)
        self.add_cycle(
            case,
            place,
            kind,
            state,
            submitted_at=case.at.get(State.SUBMITTED),
            validated_at=case.at.get(State.VALIDATED),
            portfolio_submitted_at=case.at.get(State.PORTFOLIO_SUBMITTED),
            return_comment=case.return_comment,
        )
        self.steps(case)
        self.submission(case, answers)
        self.mentor_reviews(case, answers)
        self.targets(case)
        self.portfolio(case)
        self.visit(case)
        self.report(case)
        self.panel(case)

    def send_back(self, case):
        """The case was submitted from its state and returned to it (workflow.RETURN_STATES):
        the self-review by the mentor, the portfolio by the desk check. It keeps the
        submission, and the reasons until it is submitted again."""
        path = PATHS[case.kind]
        ahead = path[path.index(case.state) + 1]
        sent = self.between(case.at[case.state], self.now - timedelta(days=4))
        case.at[ahead] = sent
        case.returned = (ahead, sent + timedelta(days=self.rng.uniform(1, 3)))
        case.return_comment = (
            texts.RETURN_COMMENT if case.state == State.SELF_REVIEW else texts.PORTFOLIO_RETURNED
        )

    def review(self, place, kind, state, end=None, outcome=None):
        case = self.start(place, kind, state, end, outcome)
        self.add_cycle(case, place, kind, state, submitted_at=case.at.get(State.UPDATE_SUBMITTED))
        self.steps(case)
        self.updates(case)
        self.criteria(case)
        self.visit(case)
        self.ratification(case)
        self.panel(case)

    def actor(self, case, state) -> Person:
        """Who takes the step into each state."""
        if state == State.VALIDATED:
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
        if case.returned:
            ahead, when = case.returned
            step = next(
                step
                for step in STEPS.values()
                if case.kind in step.kinds and ahead in step.sources and step.target == case.state
            )
            path = PATHS[case.kind]
            self.audit(
                when,
                self.actor(case, path[path.index(ahead) + 1]),
                f"cycle.{step.event or step.name}",
                Cycle,
                case.id,
                case.label,
                school=case.place,
                before={"state": ahead.value},
                after={"state": case.state.value},
            )

    # The self-review and validation ---------------------------------------------------------

    def answers(self, case) -> dict:
        """Each element's answer: in the self-review some are still being written; from the
        submission on, every one is complete."""
        if not case.reached(State.SELF_REVIEW):
            return {}
        writing = case.state == State.SELF_REVIEW and not case.returned
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
        if not case.reached(State.VALIDATED):
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
