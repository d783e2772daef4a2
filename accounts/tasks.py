from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from authorities.tasks import authority_task


# The name it had in iqm_portal/tasks.py, so tasks already queued under it still run.
@shared_task(
    name="iqm_portal.send_email", autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def send_email(subject, body, recipients, html_body=None):
    send_mail(subject, body, None, recipients, html_message=html_body)


@authority_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_invitation(authority, invitation_id, token):
    from .models import Invitation

    invitation = Invitation.objects.select_related("school", "invited_by").get(pk=invitation_id)
    context = {
        "invitation": invitation,
        "authority": authority,
        "url": settings.SITE_URL + reverse("accounts:accept_invitation", args=[token]),
    }
    send_email.run(
        f"You are invited to the IQM Portal for {authority.name}",
        render_to_string("accounts/email/invitation.txt", context),
        [invitation.email],
    )
