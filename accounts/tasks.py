from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from iqm_portal.tasks import authority_task, send_email


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
