"""Who is told of each step of a cycle, and what: the workflow names the people
(assessments/workflow.py), this module writes them the step's email through the outbox, inside the
transaction of the step itself."""

from django.conf import settings
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from assessments.domain import TIER_OF_KIND
from assessments.signals import cycle_stepped
from assessments.workflow import AWARD_TOLD, REVIEW_KINDS, STEPS, is_school_lead, people_told
from awards.domain import award_made, plaque_sent
from workshops.domain import place_given

from .domain import notify

# The email each step that tells people sends.
KIND_OF_STEP = {
    "register": "cycle.registered",
    "submit": "cycle.submitted",
    "return": "cycle.returned",
    "validate": "cycle.validated",
    "submit_portfolio": "cycle.portfolio_submitted",
    "return_portfolio": "portfolio.returned",
    "plan_visit": "visit.planned",
    "sign_report": "report.final",
    "open_vote": "vote.opened",
    "decide": "decision.recorded",
    "correct_decision": "decision.corrected",
    "submit_update": "update.submitted",
    "plan_annual_visit": "annual_visit.planned",
    "ratify": "review.ratified",
    "open_review_vote": "vote.opened",
}
assert set(KIND_OF_STEP) == {name for name, step in STEPS.items() if step.tell}, (
    "every step that tells people sends an email of its own"
)


def _outcome(record, cycle) -> str:
    if cycle.kind in REVIEW_KINDS:  # a review renews its tier or lets it lapse
        return "renew" if record.tier else "lapse"
    text = record.get_outcome_display().lower()
    return text + (f": {record.get_tier_display()}" if record.tier else "")


def _ratified(cycle) -> str:
    ratification = cycle.ratification
    tier = TIER_OF_KIND[cycle.kind].label
    if ratification.recommendation == "renew":
        return f"renew the {tier}"
    return f"let the {tier} lapse"


def context_for(cycle, name, by) -> dict:
    context = {"school": cycle.school.name}
    if name == "register":
        context |= {"assessment": cycle.get_kind_display().lower(), "mentor": str(cycle.mentor)}
    elif name == "submit":
        context["submitted_by"] = str(by)
    elif name in ("return", "validate"):
        context["mentor"] = str(cycle.mentor)
        if name == "return":
            context["comment"] = cycle.return_comment
    elif name == "return_portfolio":
        context["reasons"] = cycle.return_comment
    elif name in ("plan_visit", "plan_annual_visit"):
        context |= {
            "visit_date": cycle.visit.date,
            "moderators": " and ".join(str(m) for m in cycle.visit.moderators.all()),
        }
    elif name in ("ratify", "open_review_vote"):
        context["recommendation"] = _ratified(cycle)
    elif name == "submit_update":
        context |= {"submitted_by": str(by), "review": cycle.get_kind_display().lower()}
    elif name in ("sign_report", "open_vote"):
        report = cycle.report
        context["recommendation"] = report.get_recommendation_display().lower() + (
            f": {report.get_tier_display()}" if report.tier else ""
        )
    elif name in ("decide", "correct_decision"):
        decision = cycle.decisions.last()
        context |= {"decision": _outcome(decision, cycle), "rationale": decision.rationale}
        if name == "correct_decision":
            context["reason"] = decision.correction_reason
    return context


@receiver(cycle_stepped, dispatch_uid="notifications.cycle_stepped")
def tell_of_step(sender, cycle, step, by, entry, **kwargs):
    """The step's audit entry tells a second return from the first, so each is sent once."""
    if not step.tell:
        return
    notify(
        authority=cycle.authority,
        key=KIND_OF_STEP[step.name],
        recipients=people_told(cycle, step.tell),
        dedupe_key=f"cycle.{cycle.pk}.{step.event or step.name}.{entry.pk}",
        context={
            **context_for(cycle, step.name, by),
            "url": settings.SITE_URL
            + reverse("assessments:cycle", args=[cycle.authority.slug, cycle.pk]),
        },
    )


@receiver(award_made, dispatch_uid="notifications.award_made")
def tell_of_award(sender, award, by, **kwargs):
    cycle = award.decision.cycle
    notify(
        authority=award.authority,
        key="award.made",
        dedupe_key=f"award.{award.pk}",
        recipients=people_told(cycle, AWARD_TOLD),
        context={
            "school": award.school.name,
            "tier": award.get_tier_display(),
            "awarded_on": award.awarded_on,
            "expires_on": award.expires_on,
            "url": settings.SITE_URL
            + reverse("schools:detail", args=[award.authority.slug, award.school_id]),
        },
    )


@receiver(plaque_sent, dispatch_uid="notifications.plaque_sent")
def tell_of_plaque(sender, plaque, by, **kwargs):
    award = plaque.award
    notify(
        authority=award.authority,
        key="plaque.sent",
        dedupe_key=f"plaque.{plaque.pk}.sent",
        recipients=people_told(award, (is_school_lead,)),
        context={
            "school": award.school.name,
            "tier": award.get_tier_display(),
            "sent_on": plaque.sent_on,
            "url": settings.SITE_URL
            + reverse("schools:detail", args=[award.authority.slug, award.school_id]),
        },
    )


@receiver(place_given, dispatch_uid="notifications.place_given")
def tell_of_place(sender, booking, by, **kwargs):
    workshop = booking.workshop
    notify(
        authority=workshop.authority,
        key="workshop.place_given",
        dedupe_key=f"workshop.{workshop.pk}.place.{booking.pk}",
        recipients=[booking.person],
        context={
            "workshop": workshop.title,
            "starts_at": timezone.localtime(workshop.starts_at),
            "place": workshop.place,
            "url": settings.SITE_URL
            + reverse("workshops:detail", args=[workshop.authority.slug, workshop.pk]),
        },
    )
