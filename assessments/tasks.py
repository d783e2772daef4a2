from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from iqm_portal.tasks import authority_task, enqueue, send_email

SUBJECTS = {
    "registered": "{school} is registered for the Inclusion Quality Mark",
    "submitted": "{school} has submitted its self-review",
    "returned": "Your mentor has returned the self-review of {school}",
    "validated": "Your mentor has validated the self-review of {school}",
    "portfolio_submitted": "{school} has submitted its portfolio for moderation",
}


def notify_cycle(cycle, event):
    enqueue(send_cycle_email, cycle.authority_id, cycle.pk, event)


@authority_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_cycle_email(authority, cycle_id, event):
    from accounts.models import Membership, Role

    from .models import Cycle

    cycle = Cycle.objects.select_related("school", "mentor").get(pk=cycle_id)
    if event == "submitted":
        recipients = [cycle.mentor.email]
    elif event == "portfolio_submitted":
        recipients = sorted(set(Membership.objects.filter(
            role__in=[Role.AUTHORITY_ADMIN, Role.PANEL_CHAIR]
        ).values_list("user__email", flat=True)) | {cycle.mentor.email})
    else:
        recipients = sorted(set(Membership.objects.filter(
            school=cycle.school, role__in=[Role.SCHOOL_COORDINATOR, Role.HEAD_TEACHER]
        ).values_list("user__email", flat=True)) | ({cycle.mentor.email} if event == "registered" else set()))
    if not recipients:
        return
    context = {"cycle": cycle, "event": event, "authority": authority,
               "url": settings.SITE_URL + reverse("assessments:cycle", args=[authority.slug, cycle.pk])}
    send_email.run(SUBJECTS[event].format(school=cycle.school.name),
                   render_to_string("assessments/email/cycle_event.txt", context), recipients)
