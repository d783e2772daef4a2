"""Tasks through the real Redis broker to a real Celery worker (in a thread of this process)."""

import time

import pytest
from django.core import mail
from django.urls import reverse
from django_scopes import scope

from accounts.models import Role

pytestmark = [pytest.mark.real_worker, pytest.mark.django_db(transaction=True)]


def wait_for(condition, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_an_invitation_email_goes_through_redis_to_the_worker(client, world, worker):
    client.force_login(world.people["authority_admin"])
    response = client.post(
        reverse("people:invite", args=["bathnes"]),
        {"email": "queued@example.org", "role": Role.MENTOR},
    )
    assert response.status_code == 302
    assert wait_for(lambda: len(mail.outbox) == 1)
    assert mail.outbox[0].to == ["queued@example.org"]
    assert (
        mail.outbox[0].subject == "You are invited to the IQM Portal for Bath & North East Somerset"
    )


def test_nothing_is_queued_when_the_transaction_rolls_back(world, worker):
    from django.db import transaction

    from accounts import domain

    with pytest.raises(RuntimeError), transaction.atomic(), scope(authority=world.authority):
        domain.invite(
            authority=world.authority,
            by=world.people["authority_admin"],
            email="never@example.org",
            role=Role.MENTOR,
        )
        raise RuntimeError("rolled back")
    time.sleep(1)
    assert mail.outbox == []
