from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from iqm_portal.tasks import authority_task, enqueue, send_email

# event: (subject, who is told: "school" leads, "mentor", authority roles, or "moderators")
EVENTS = {
    "registered": ("{school} is registered for the Inclusion Quality Mark", {"school", "mentor"}),
    "submitted": ("{school} has submitted its self-review", {"mentor"}),
    "returned": ("Your mentor has returned the self-review of {school}", {"school"}),
    "validated": ("Your mentor has validated the self-review of {school}", {"school"}),
    "portfolio_submitted": ("{school} has submitted its portfolio for moderation", {"mentor", "authority_admin", "panel_chair"}),
    "portfolio_returned": ("The panel has returned the portfolio of {school}", {"school", "mentor"}),
    "ready_for_visit": ("The portfolio of {school} is ready for a visit", {"school", "mentor", "authority_admin", "panel_chair"}),
    "visit_planned": ("A moderation visit to {school} is planned", {"school", "moderators"}),
    "reported": ("The moderators' report on {school} is signed", {"authority_admin", "panel_chair", "moderators"}),
    "with_panel": ("The panel's vote on {school} is open", {"panel_member", "panel_chair"}),
    "decided": ("The panel has decided on {school}", {"school", "mentor", "moderators", "authority_admin"}),
}


def notify_cycle(cycle, event):
    enqueue(send_cycle_email, cycle.authority_id, cycle.pk, event)


def recipients(cycle, audience):
    from accounts.models import Membership, Role

    emails = set()
    if "school" in audience:
        emails |= set(Membership.objects.filter(school=cycle.school, role__in=[Role.SCHOOL_COORDINATOR, Role.HEAD_TEACHER])
                      .values_list("user__email", flat=True))
    if "mentor" in audience:
        emails.add(cycle.mentor.email)
    if "moderators" in audience and hasattr(cycle, "visit"):
        emails |= {m.email for m in cycle.visit.moderators.all()}
    roles = audience - {"school", "mentor", "moderators"}
    if roles:
        emails |= set(Membership.objects.filter(role__in=roles).values_list("user__email", flat=True))
    return sorted(emails)


@authority_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_cycle_email(authority, cycle_id, event):
    from .models import Cycle

    cycle = Cycle.objects.select_related("school", "mentor").get(pk=cycle_id)
    subject, audience = EVENTS[event]
    to = recipients(cycle, audience)
    if not to:
        return
    context = {"cycle": cycle, "event": event, "authority": authority,
               "url": settings.SITE_URL + reverse("assessments:cycle", args=[authority.slug, cycle.pk])}
    send_email.run(subject.format(school=cycle.school.name), render_to_string("assessments/email/cycle_event.txt", context), to)
