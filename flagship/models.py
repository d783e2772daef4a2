"""What a Flagship school keeps in place of an action plan's targets: its classroom-based research
project, kept across years, and for each Flagship review the nine criteria with the school's
evidence and the visiting moderator's confirmation."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django_scopes import ScopedManager

from assessments.models import Cycle, Target
from authorities.models import Authority
from schools.models import School

TEXT_LIMIT = 5000

# The nine criteria a Flagship school meets (seeds/000), as (key, text). A review's checklist is
# this list; the keys are what is saved, so the wording may be improved without losing anything.
CRITERIA = [
    ("assessments", "A school with at least two successful IQM assessments."),
    (
        "collaboration",
        "Committed to sustaining the IQM ethos through collaborative activities.",
    ),
    (
        "internal_practice",
        "Has demonstrable plans to sustain and develop inclusive internal practice.",
    ),
    (
        "dissemination",
        "Has good mechanisms to disseminate and share good practice between the schools.",
    ),
    (
        "wider_cluster",
        "Has, or is able to develop, the capacity to share and disseminate good inclusion "
        "practice across a broader cluster of schools.",
    ),
    (
        "classroom_research",
        "Willing to engage in classroom level research activity that explores inclusive practice.",
    ),
    (
        "annual_visit",
        "Agrees to have an annual IQM visit to ratify or validate the progress and develop an "
        "annual plan for development.",
    ),
    (
        "annual_update",
        "Agrees to contribute an annual written update of progress against the elements of the "
        "framework as the basis for the annual review.",
    ),
    (
        "iqm_aims",
        "Prepared to contribute to the overall development aims of IQM, supporting the need for "
        "expertise or trialling practice.",
    ),
]
CRITERION_TEXT = dict(CRITERIA)


class ResearchProject(models.Model):
    """A school's classroom-based research. One is under way at a time; an ended one is kept."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="research_projects")
    question = models.CharField("research question", max_length=300)
    rationale = models.TextField(
        "why this question",
        max_length=TEXT_LIMIT,
        help_text="What the school wants to find out, and why it matters for its pupils.",
    )
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    conclusion = models.TextField(
        max_length=TEXT_LIMIT, blank=True, help_text="What the school found, when it ended."
    )

    objects = ScopedManager(authority="authority")

    class Meta:
        ordering = ["-started_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                "school", condition=models.Q(ended_on__isnull=True), name="research_one_current"
            ),
        ]

    def __str__(self):
        return self.question[:80]


class KeyStep(models.Model):
    """A step of the research, with who owns it and when: the Flagship's line of a plan."""

    project = models.ForeignKey(ResearchProject, on_delete=models.CASCADE, related_name="steps")
    description = models.CharField("key step", max_length=300)
    owner = models.CharField(max_length=150, help_text="Who leads this step.")
    starts_on = models.DateField("start")
    due_on = models.DateField("due")
    status = models.CharField(
        max_length=20, choices=Target.Status.choices, default=Target.Status.NOT_STARTED
    )

    objects = ScopedManager(authority="project__authority")

    class Meta:
        ordering = ["starts_on", "due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_on__lte=models.F("due_on")),
                name="key_step_dates_in_order",
            ),
        ]

    def __str__(self):
        return self.description[:80]


class ResearchOutput(models.Model):
    """What the research produced in a year, and where it was published."""

    class Kind(models.TextChoices):
        ARTICLE = "article", "Article"
        REPORT = "report", "Report"
        CASE_STUDY = "case_study", "Case study"
        PRESENTATION = "presentation", "Presentation or talk"
        WORKSHOP = "workshop", "Workshop or training"
        BLOG = "blog", "Blog post"
        OTHER = "other", "Other"

    project = models.ForeignKey(ResearchProject, on_delete=models.CASCADE, related_name="outputs")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    published_in = models.CharField(
        "where it was published",
        max_length=200,
        help_text="A journal, newsletter, conference, website or meeting.",
    )
    url = models.URLField("link", max_length=500, blank=True)
    year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )

    objects = ScopedManager(authority="project__authority")

    class Meta:
        ordering = ["-year", "title", "pk"]

    def __str__(self):
        return self.title


class CriterionCheck(models.Model):
    """One of the nine criteria in one Flagship review: the school's evidence, then the visiting
    moderator's confirmation (or "not yet", with why)."""

    class Verdict(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        NOT_YET = "not_yet", "Not yet"

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="flagship_criteria")
    key = models.CharField(max_length=30, choices=CRITERIA)
    evidence = models.TextField(max_length=TEXT_LIMIT, blank=True)
    evidence_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    evidence_at = models.DateTimeField(null=True, blank=True)
    verdict = models.CharField(max_length=20, choices=Verdict.choices, blank=True)
    comment = models.TextField(max_length=2000, blank=True)
    verdict_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    verdict_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(authority="cycle__authority")

    class Meta:
        constraints = [
            models.UniqueConstraint("cycle", "key", name="criterion_check_unique_key"),
        ]

    def __str__(self):
        return f"Cycle {self.cycle_id}: criterion {self.key}"
