from django.conf import settings
from django.db import models
from django_scopes import ScopedManager

from assessments.models import Cycle, Element
from authorities.models import Authority
from awards.models import Tier
from schools.models import School


class Outcome(models.TextChoices):
    AWARD = "award", "Award"
    DEFER = "defer", "Defer"
    NOT_AWARD = "not_award", "Not award"


# The models' __str__ name related rows by id, not by name: listing rows (the admin, or the audit
# log's copy of str(obj)) should not cost a query per row.


def _outcome_text(row):
    """A ballot's or decision's outcome in words, with the tier of an award."""
    if row.outcome == Outcome.AWARD and row.tier:
        return f"{row.get_outcome_display()} ({row.get_tier_display()})"
    return row.get_outcome_display()


class Conflict(models.Model):
    """A person's declared conflict of interest with a school: they neither moderate nor vote on
    it."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="conflicts")
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(authority="authority")

    class Meta:
        constraints = [models.UniqueConstraint("person", "school", name="conflict_unique")]

    def __str__(self):
        return f"User {self.person_id}'s conflict with school {self.school_id}: {self.reason}"


class Visit(models.Model):
    cycle = models.OneToOneField(Cycle, on_delete=models.CASCADE, related_name="visit")
    date = models.DateField()
    moderators = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(authority="cycle__authority")

    def __str__(self):
        return f"Cycle {self.cycle_id}: visit on {self.date}"


class VisitNote(models.Model):
    class Kind(models.TextChoices):
        STAFF = "staff", "Meeting with staff"
        PUPILS = "pupils", "Meeting with pupils"
        PARENTS = "parents", "Meeting with parents"
        GOVERNORS = "governors", "Meeting with governors"
        OTHERS = "others", "Meeting with others"
        OBSERVATION = "observation", "Lesson observation"

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    who = models.CharField("who or which class", max_length=200)
    subject = models.CharField(max_length=100, blank=True, help_text="For a lesson observation.")
    focus = models.CharField(max_length=200, blank=True, help_text="For a lesson observation.")
    notes = models.TextField(max_length=10000)
    elements = models.ManyToManyField(Element, blank=True, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Made by the page that wrote the note, so a note sent again (a phone that lost its signal
    # before the answer came, a form submitted twice) is saved once.
    client_id = models.UUIDField(null=True, blank=True, editable=False)

    objects = ScopedManager(authority="visit__cycle__authority")

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint("visit", "client_id", name="visitnote_unique_client_id")
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.who}"


class Report(models.Model):
    """The two moderators' report: a draft until both have signed it, then final and read-only.

    The two write it at once, each section saving as they type: the context (`context_version`),
    the overall judgement and recommendation (`version`) and each element's finding (its own
    `version`) are versioned apart, so one moderator's save refuses only a stale copy of the same
    section (moderation.domain.save_section)."""

    cycle = models.OneToOneField(Cycle, on_delete=models.CASCADE, related_name="report")
    context = models.TextField(blank=True, max_length=10000)
    strengths = models.TextField("overall strengths", blank=True, max_length=10000)
    next_steps = models.TextField(blank=True, max_length=10000)
    recommendation = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    tier = models.CharField(max_length=30, choices=Tier.choices, blank=True)
    revisit_by = models.DateField(
        null=True, blank=True, help_text="For a deferral: when the moderators revisit."
    )
    signed_by = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    finalised_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)
    context_version = models.PositiveIntegerField(default=0)

    objects = ScopedManager(authority="cycle__authority")

    def __str__(self):
        state = "final" if self.finalised_at else "draft"
        return f"Cycle {self.cycle_id}: moderators' report ({state})"


class Finding(models.Model):
    class Judgement(models.TextChoices):
        MET = "met", "Met"
        NOT_YET = "not_yet", "Not yet met"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="findings")
    # Named for the report, which reads each element with its finding (a FilteredRelation).
    element = models.ForeignKey(Element, on_delete=models.PROTECT, related_name="findings")
    strengths = models.TextField(blank=True, max_length=5000)
    development = models.TextField("areas for development", blank=True, max_length=5000)
    judgement = models.CharField(max_length=10, choices=Judgement.choices, blank=True)
    version = models.PositiveIntegerField(default=0)

    objects = ScopedManager(authority="report__cycle__authority")

    class Meta:
        ordering = ["element__number"]
        constraints = [models.UniqueConstraint("report", "element", name="finding_unique_element")]

    def __str__(self):
        judgement = self.get_judgement_display() or "not judged"
        return f"Report {self.report_id}: element {self.element_id}, {judgement}"


class PanelVote(models.Model):
    """The panel's vote on one case; open until the chair records the decision."""

    cycle = models.OneToOneField(Cycle, on_delete=models.CASCADE, related_name="panel_vote")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(authority="cycle__authority")

    def __str__(self):
        state = "closed" if self.closed_at else "open"
        return f"Cycle {self.cycle_id}: panel vote ({state})"


class Ballot(models.Model):
    vote = models.ForeignKey(PanelVote, on_delete=models.CASCADE, related_name="ballots")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    tier = models.CharField(max_length=30, choices=Tier.choices, blank=True)
    comment = models.TextField(blank=True, max_length=2000)
    cast_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(authority="vote__cycle__authority")

    class Meta:
        ordering = ["cast_at", "pk"]
        constraints = [models.UniqueConstraint("vote", "member", name="ballot_one_per_member")]

    def __str__(self):
        return f"Vote {self.vote_id}: user {self.member_id}'s ballot, {_outcome_text(self)}"

    @property
    def option(self):
        return (self.outcome, self.tier if self.outcome == Outcome.AWARD else "")


class Decision(models.Model):
    """The panel's decision, recorded by the chair. Never edited: a correction is a new decision
    that names the one it corrects and why."""

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="decisions")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    tier = models.CharField(max_length=30, choices=Tier.choices, blank=True)
    rationale = models.TextField(max_length=5000)
    votes = models.JSONField(help_text="The tally at the time: option to number of votes.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    corrects = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="correction"
    )
    correction_reason = models.TextField(blank=True, max_length=2000)

    objects = ScopedManager(authority="cycle__authority")

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                "cycle",
                condition=models.Q(corrects__isnull=True),
                name="decision_one_original_per_cycle",
            ),
        ]

    def __str__(self):
        correction = " (a correction)" if self.corrects_id else ""
        return f"Cycle {self.cycle_id}: panel's decision, {_outcome_text(self)}{correction}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("A recorded decision cannot be changed: record a correction instead.")
        super().save(*args, **kwargs)
