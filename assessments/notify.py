"""Who is told of each step of a cycle, and what: through the outbox (notifications.domain.notify),
inside the transaction of the step itself."""

from django.conf import settings
from django.urls import reverse

from accounts.models import Membership, Role, User
from notifications.domain import notify

# event: (notification kind, who is told: "school" leads, "mentor", "moderators", "voters", or authority roles)
EVENTS = {
    "registered": ("cycle.registered", {"school", "mentor"}),
    "submitted": ("cycle.submitted", {"mentor"}),
    "returned": ("cycle.returned", {"school"}),
    "validated": ("cycle.validated", {"school"}),
    "portfolio_submitted": (
        "cycle.portfolio_submitted",
        {"mentor", Role.AUTHORITY_ADMIN, Role.PANEL_CHAIR},
    ),
    "portfolio_returned": ("portfolio.returned", {"school", "mentor"}),
    "visit_planned": ("visit.planned", {"school", "moderators"}),
    "reported": ("report.final", {Role.AUTHORITY_ADMIN, Role.PANEL_CHAIR}),
    "with_panel": ("vote.opened", {"voters"}),
    "decided": ("decision.recorded", {"school", "mentor", "moderators"}),
}


def recipients(cycle, audience):
    emails = set()
    if "school" in audience:
        emails |= set(
            Membership.objects.filter(
                school=cycle.school, role__in=[Role.SCHOOL_COORDINATOR, Role.HEAD_TEACHER]
            ).values_list("user__email", flat=True)
        )
    if "mentor" in audience:
        emails.add(cycle.mentor.email)
    if "moderators" in audience and hasattr(cycle, "visit"):
        emails |= {m.email for m in cycle.visit.moderators.all()}
    if "voters" in audience:
        from moderation.domain import eligible_voters

        emails |= set(
            User.objects.filter(pk__in=eligible_voters(cycle)[0]).values_list("email", flat=True)
        )
    roles = {a for a in audience if a in Role.values}
    if roles:
        emails |= set(
            Membership.objects.filter(role__in=roles).values_list("user__email", flat=True)
        )
    return sorted(emails)


def context_for(cycle, event, by):
    context = {"school": cycle.school.name}
    if event == "registered":
        context |= {"assessment": cycle.get_kind_display().lower(), "mentor": str(cycle.mentor)}
    elif event == "submitted":
        context["submitted_by"] = str(by)
    elif event in ("returned", "validated"):
        context["mentor"] = str(cycle.mentor)
        if event == "returned":
            context["comment"] = cycle.return_comment
    elif event == "portfolio_returned":
        context["reasons"] = cycle.return_comment
    elif event == "visit_planned":
        context |= {
            "visit_date": cycle.visit.date,
            "moderators": " and ".join(str(m) for m in cycle.visit.moderators.all()),
        }
    elif event in ("reported", "with_panel"):
        report = cycle.report
        context["recommendation"] = report.get_recommendation_display().lower() + (
            f": {report.get_tier_display()}" if report.tier else ""
        )
    elif event == "decided":
        decision = cycle.decisions.last()
        context |= {
            "decision": decision.get_outcome_display().lower()
            + (f": {decision.get_tier_display()}" if decision.tier else ""),
            "rationale": decision.rationale,
        }
    return context


def notify_cycle(cycle, event, by, occurrence):
    """Tell the people concerned that `cycle` has reached `event`; `occurrence` (the audit entry of
    the change) tells a second return from the first, so each is sent once and only once."""
    if event not in EVENTS:
        return
    key, audience = EVENTS[event]
    notify(
        authority=cycle.authority,
        key=key,
        recipients=recipients(cycle, audience),
        dedupe_key=f"cycle.{cycle.pk}.{event}.{occurrence}",
        context={
            **context_for(cycle, event, by),
            "url": settings.SITE_URL
            + reverse("assessments:cycle", args=[cycle.authority.slug, cycle.pk]),
        },
    )
