from django.conf import settings
from django.db import models
from django.utils.timezone import localtime
from django_scopes import ScopedManager

from authorities.models import Authority
from schools.models import School

TEXT_LIMIT = 5000  # characters in each of an answer's texts
REVIEW_COMMENT_LIMIT = 2000  # characters in the mentor's comment on an element


class Rating(models.IntegerChoices):
    NOT_YET_STARTED = 0, "Not yet started"
    EMERGING = 1, "Emerging"
    DEVELOPING = 2, "Developing"
    ESTABLISHED = 3, "Established"
    EMBEDDED = 4, "Embedded"


class FrameworkVersion(models.Model):
    """A version of the IQM framework: data, not code. Cycles keep the version they started on."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="frameworks")
    code = models.SlugField(max_length=50)
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    previous = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The version this one replaces; its elements map across for renewals.",
    )
    is_current = models.BooleanField(
        default=False, help_text="New cycles start on the current version."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(authority="authority")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint("authority", "code", name="framework_unique_code"),
            models.UniqueConstraint(
                "authority", condition=models.Q(is_current=True), name="framework_one_current"
            ),
        ]

    def __str__(self):
        return self.name


class Element(models.Model):
    framework = models.ForeignKey(
        FrameworkVersion, on_delete=models.CASCADE, related_name="elements"
    )
    number = models.PositiveSmallIntegerField()
    code = models.SlugField(max_length=50)
    title = models.CharField(max_length=200)
    guidance = models.TextField(blank=True)
    maps_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The element of the previous version this one continues.",
    )

    objects = ScopedManager(authority="framework__authority")

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint("framework", "number", name="element_unique_number"),
            models.UniqueConstraint("framework", "code", name="element_unique_code"),
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"


class Descriptor(models.Model):
    element = models.ForeignKey(Element, on_delete=models.CASCADE, related_name="descriptors")
    number = models.PositiveSmallIntegerField()
    text = models.TextField()

    objects = ScopedManager(authority="element__framework__authority")

    class Meta:
        ordering = ["element__number", "number"]
        constraints = [
            models.UniqueConstraint("element", "number", name="descriptor_unique_number")
        ]

    def __str__(self):
        return f"{self.element.number}.{self.number} {self.text[:60]}"

    @property
    def label(self):
        return f"{self.element.number}.{self.number}"


class Cycle(models.Model):
    """One attempt at an award by one school, from self-review to the panel's decision."""

    class Kind(models.TextChoices):
        INITIAL = "initial", "Initial assessment"
        REASSESSMENT = "reassessment", "Reassessment"
        CENTRE_OF_EXCELLENCE = "centre_of_excellence", "Centre of Excellence review"
        FLAGSHIP = "flagship", "Flagship review"

    class State(models.TextChoices):
        REGISTERED = "registered", "Registered"
        SELF_REVIEW = "self_review", "Self-review"
        SUBMITTED = "submitted", "With the mentor"
        VALIDATED = "validated", "Validated"
        PORTFOLIO_SUBMITTED = "portfolio_submitted", "Portfolio submitted"
        READY_FOR_VISIT = "ready_for_visit", "Ready for a visit"
        VISIT_PLANNED = "visit_planned", "Visit planned"
        REPORTED = "reported", "Report signed"
        WITH_PANEL = "with_panel", "With the panel"
        DECIDED = "decided", "Decided"
        # A Centre of Excellence or Flagship review: the annual update, visit and renewal.
        ANNUAL_UPDATE = "annual_update", "Annual update"
        UPDATE_SUBMITTED = "update_submitted", "Annual update submitted"
        RATIFIED = "ratified", "Visit ratified"

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="cycles")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="cycles")
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.INITIAL)
    framework = models.ForeignKey(FrameworkVersion, on_delete=models.PROTECT, related_name="cycles")
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mentored_cycles"
    )
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.REGISTERED)
    return_comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    portfolio_submitted_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(authority="authority")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.school}: {self.get_kind_display()}"


class Answer(models.Model):
    """The school's self-review of one element. `version` goes up with every save, so a save
    made from an out-of-date copy is refused rather than overwriting someone else's work."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="answers")
    # Named for the report, which reads each element with its answer (a FilteredRelation).
    element = models.ForeignKey(Element, on_delete=models.PROTECT, related_name="answers")
    version = models.PositiveIntegerField(default=0)
    ratings = models.JSONField(
        default=dict, blank=True, help_text="Descriptor id (as text) to rating."
    )
    rating = models.PositiveSmallIntegerField(choices=Rating.choices, null=True, blank=True)
    practice = models.TextField(blank=True, max_length=TEXT_LIMIT)
    evidence = models.TextField(blank=True, max_length=TEXT_LIMIT)
    strengths = models.TextField(blank=True, max_length=TEXT_LIMIT)
    development = models.TextField(blank=True, max_length=TEXT_LIMIT)
    prefilled = models.BooleanField(
        default=False, help_text="Carried over from the previous cycle."
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(authority="cycle__authority")

    class Meta:
        constraints = [models.UniqueConstraint("cycle", "element", name="answer_unique_element")]

    def __str__(self):
        return f"{self.cycle.school}: element {self.element.number}"


class Assignment(models.Model):
    """A coordinator gives an element to a contributor, who may then edit only what they are
    given."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="assignments")
    element = models.ForeignKey(Element, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    objects = ScopedManager(authority="cycle__authority")

    class Meta:
        constraints = [
            models.UniqueConstraint("cycle", "element", "person", name="assignment_unique")
        ]

    def __str__(self):
        # Ids, not names: a list of assignments should not cost a query per row.
        return f"Cycle {self.cycle_id}: element {self.element_id} given to user {self.person_id}"


class Submission(models.Model):
    """The audit exactly as the school submitted it, kept for comparison with the validated one."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="submissions")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    answers = models.JSONField(help_text="Element id (as text) to the answer's fields.")

    objects = ScopedManager(authority="cycle__authority")

    class Meta:
        ordering = ["-submitted_at"]

    def __str__(self):
        if self.submitted_at is None:
            return f"Cycle {self.cycle_id}: submission not yet saved"
        when = f"{localtime(self.submitted_at):%Y-%m-%d %H:%M}"
        return f"Cycle {self.cycle_id}: submission of {when}"


class MentorReview(models.Model):
    """The mentor's view of one element: agree with the school's rating or adjust it, with a
    comment. Saved as the mentor works, so a comment may be kept before a rating is chosen."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="reviews")
    # Named for the report, which reads each element with its review (a FilteredRelation).
    element = models.ForeignKey(Element, on_delete=models.PROTECT, related_name="reviews")
    rating = models.PositiveSmallIntegerField(
        choices=Rating.choices, null=True, blank=True, help_text="Empty: not decided yet."
    )
    school_rating = models.PositiveSmallIntegerField(
        choices=Rating.choices,
        null=True,
        blank=True,
        help_text="The school's rating when the mentor chose theirs: if the school changes it "
        "after a return, the mentor decides again. Empty on reviews made before it was kept.",
    )
    comment = models.TextField(blank=True, max_length=REVIEW_COMMENT_LIMIT)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(authority="cycle__authority")

    class Meta:
        constraints = [models.UniqueConstraint("cycle", "element", name="review_unique_element")]

    def __str__(self):
        return (
            f"Cycle {self.cycle_id}: mentor's rating of element {self.element_id}, "
            f"{self.get_rating_display()}"
        )


class Target(models.Model):
    """One line of the action plan."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        ON_TRACK = "on_track", "On track"
        AT_RISK = "at_risk", "At risk"
        DONE = "done", "Done"

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="targets")
    element = models.ForeignKey(Element, on_delete=models.PROTECT, related_name="+")
    action = models.TextField(max_length=1000)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="lead person",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    # The lead as written when it was free text, kept where no one of the school matched it.
    lead_note = models.CharField("lead as first written", max_length=150, blank=True)
    deadline = models.DateField()
    success_criteria = models.TextField(max_length=1000)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(authority="cycle__authority")

    class Meta:
        ordering = ["element__number", "deadline", "pk"]

    def __str__(self):
        return self.action[:80]
