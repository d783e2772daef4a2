"""The notification outbox: notify, send_message (once, retried, failed), requeue_stuck, the outbox
and email template pages."""

import socket
import threading
import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from celery.exceptions import Retry
from celery.signals import task_postrun
from django.core import mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from assessments.models import Cycle
from audit.models import AuditEntry
from iqm_portal.celery import app
from moderation import domain as moderation
from moderation.models import Outcome
from notifications import domain
from notifications.kinds import KINDS
from notifications.models import EmailTemplate, OutboxMessage
from notifications.tasks import requeue_stuck, send_message

from .journey import advance
from .test_worker import wait_for

State = OutboxMessage.State
CONTEXT = {
    "school": "Chandag Infant",
    "submitted_by": "Hannah Head",
    "url": "http://testserver/bathnes/cycles/1/",
}
SUBJECT = "Chandag Infant has submitted its self-review"
BODY = (
    "Hello,\n\nHannah Head has submitted the self-review of Chandag Infant for you to validate.\n\n"
    "http://testserver/bathnes/cycles/1/\n\nBath & North East Somerset – IQM Portal\n"
)


@pytest.fixture(autouse=True)
def _empty_outbox(world):
    """The world's cycles were registered with emails of their own; these tests start from none."""
    with scopes_disabled():
        OutboxMessage.objects.all().delete()


def queue(
    world, dedupe_key="cycle.1.submitted", recipients=None, context=CONTEXT, key="cycle.submitted"
):
    recipients = [world.people["mentor"]] if recipients is None else recipients
    with scope(authority=world.authority), transaction.atomic():
        return domain.notify(
            authority=world.authority,
            key=key,
            recipients=recipients,
            context=context,
            dedupe_key=dedupe_key,
        )


def reload(message):
    with scopes_disabled():
        return OutboxMessage.objects.get(pk=message.pk)


def messages_of(authority):
    with scopes_disabled():
        return [
            (m.to, m.state)
            for m in OutboxMessage.objects.filter(authority=authority).order_by("to")
        ]


def outsider_message(world, state=State.FAILED):
    with scopes_disabled():
        return OutboxMessage.objects.create(
            authority=world.outsider_authority,
            key="cycle.submitted",
            to="secret@outsider.test",
            subject="Outsider secret",
            body="Outsider body",
            dedupe_key="outsider.1",
            state=state,
            last_error="Outsider error",
        )


@pytest.fixture
def smtp_refused(settings):
    """A real SMTP backend pointed at a port nothing listens on: every send fails with OSError."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    return port


@pytest.fixture
def eager_retries():
    """Run a task's retries in-process one after another, to the last (Celery does so when eager
    tasks do not propagate their errors)."""
    propagates = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = propagates


# notify


def test_notify_makes_one_message_per_recipient_and_queues_them_on_commit(
    world, django_capture_on_commit_callbacks
):
    mentor, coordinator = world.people["mentor"], world.people["school_coordinator"]
    with django_capture_on_commit_callbacks() as callbacks:
        made = queue(
            world, recipients=[mentor, " School_Coordinator@bathnes.test", mentor.email, ""]
        )
    assert [(m.to, m.state, m.subject, m.body) for m in made] == [
        ("mentor@bathnes.test", State.QUEUED, SUBJECT, BODY),
        ("school_coordinator@bathnes.test", State.QUEUED, SUBJECT, BODY),
    ]
    assert (len(callbacks), mail.outbox) == (
        2,
        [],
    )  # nothing is sent before the transaction commits
    for callback in callbacks:
        callback()
    assert [(e.to, e.subject, e.body) for e in mail.outbox] == [
        ([mentor.email], SUBJECT, BODY),
        ([coordinator.email], SUBJECT, BODY),
    ]
    assert (
        mail.outbox[0].extra_headers["Message-ID"]
        == f"<notification.{world.authority.pk}.{made[0].pk}@127.0.0.1>"
    )
    assert [(reload(m).state, reload(m).attempts, reload(m).sent_at is not None) for m in made] == [
        (State.SENT, 1, True),
        (State.SENT, 1, True),
    ]


def test_notify_twice_with_the_same_dedupe_key_makes_no_new_message(world):
    first = queue(world)
    assert queue(world) == []
    assert (
        queue(world, recipients=[world.people["mentor"], world.people["head_teacher"]])[0].to
        == "head_teacher@bathnes.test"
    )
    assert queue(world, dedupe_key="cycle.1.submitted.again")[0].to == "mentor@bathnes.test"
    assert len(first) == 1
    assert messages_of(world.authority) == [
        ("head_teacher@bathnes.test", State.QUEUED),
        ("mentor@bathnes.test", State.QUEUED),
        ("mentor@bathnes.test", State.QUEUED),
    ]


def test_notify_must_be_given_the_documented_variables_as_plain_values(world):
    with pytest.raises(ValueError, match="cycle.submitted has no variable mentor"):
        queue(world, context={**CONTEXT, "mentor": "Maya"})
    with pytest.raises(
        TypeError, match="Email variable “school” must be a plain value, not School"
    ):
        queue(world, context={**CONTEXT, "school": world.school})
    with pytest.raises(LookupError, match="No notification kind “cycle.nonsense”"):
        queue(world, key="cycle.nonsense")
    with pytest.raises(ValueError, match="dedupe_key must be 1 to 200 characters."):
        queue(world, dedupe_key="x" * 201)
    assert messages_of(world.authority) == []


def test_a_corrected_decision_tells_the_school_mentor_moderators_and_admins(world):
    cycle = advance(world, Cycle.State.DECIDED)
    with scope(authority=world.authority):
        moderation.correct_decision(
            decision=cycle.decisions.get(),
            by=world.people["panel_chair"],
            outcome=Outcome.DEFER,
            tier="",
            rationale="Two elements need more evidence.",
            reason="The tally was recorded wrongly.",
        )
    with scopes_disabled():
        told = OutboxMessage.objects.filter(key="decision.corrected")
        assert sorted((m.to, m.subject) for m in told) == [
            (f"{name}@bathnes.test", "The panel's decision on Chandag Infant is corrected")
            for name in (
                "authority_admin",
                "head_teacher",
                "mentor",
                "moderator2",  # "2" sorts before "@"
                "moderator",
                "school_coordinator",
            )
        ]


def test_the_authority_template_is_used_and_a_message_keeps_the_text_it_was_sent_with(world):
    admin = world.people["authority_admin"]
    with scope(authority=world.authority):
        domain.save_template(
            authority=world.authority,
            by=admin,
            key="cycle.submitted",
            subject="Ready to validate: {{ school|upper }}",
            body="{{ submitted_by }} is done.\n",
        )
    [message] = queue(world)
    with scope(authority=world.authority):
        domain.save_template(
            authority=world.authority,
            by=admin,
            key="cycle.submitted",
            subject="Changed",
            body="Changed",
        )
    assert (reload(message).subject, reload(message).body) == (
        "Ready to validate: CHANDAG INFANT",
        "Hannah Head is done.\n",
    )
    # Another authority's template is not used for this one.
    with scope(authority=world.outsider_authority):
        domain.save_template(
            authority=world.outsider_authority,
            by=world.outsider,
            key="cycle.validated",
            subject="Outsider secret",
            body="Outsider body",
        )
    [validated] = queue(
        world,
        key="cycle.validated",
        dedupe_key="cycle.1.validated",
        context={"school": "Chandag Infant", "mentor": "Maya Mentor", "url": "u"},
    )
    assert validated.subject == "Your mentor has validated the self-review of Chandag Infant"


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_callers_make_one_message_per_recipient(world):
    del mail.outbox[:]  # the world's own emails (cycle registered) were sent when it committed
    recipients = [world.people["mentor"], world.people["school_coordinator"]]
    start, made, errors = threading.Barrier(20), [], []

    def caller():
        try:
            start.wait()
            made.extend(queue(world, recipients=recipients))
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=caller) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(m.to for m in made) == ["mentor@bathnes.test", "school_coordinator@bathnes.test"]
    assert messages_of(world.authority) == [
        ("mentor@bathnes.test", State.SENT),
        ("school_coordinator@bathnes.test", State.SENT),
    ]
    assert sorted(e.to[0] for e in mail.outbox) == [
        "mentor@bathnes.test",
        "school_coordinator@bathnes.test",
    ]
    with (
        pytest.raises(RuntimeError, match="must be called inside the transaction"),
        scope(authority=world.authority),
    ):
        domain.notify(
            authority=world.authority,
            key="cycle.submitted",
            recipients=recipients,
            context=CONTEXT,
            dedupe_key="outside",
        )


# send_message


def test_send_message_sends_exactly_once(world):
    [message] = queue(world)
    assert send_message.apply(args=[world.authority.pk, message.pk]).get() == "sent"
    assert send_message.apply(args=[world.authority.pk, message.pk]).get() == "not queued"
    assert [e.to for e in mail.outbox] == [["mentor@bathnes.test"]]
    assert (reload(message).state, reload(message).attempts) == (State.SENT, 1)


def test_a_task_given_another_authoritys_message_sends_nothing(world):
    message = outsider_message(world, state=State.QUEUED)
    assert send_message.apply(args=[world.authority.pk, message.pk]).get() == "not queued"
    assert (mail.outbox, reload(message).state) == ([], State.QUEUED)


def test_a_failing_send_goes_back_to_the_queue_with_its_error(world, smtp_refused):
    [message] = queue(world)
    with pytest.raises(Retry) as retry:  # Celery schedules the next attempt, with backoff
        send_message.apply(args=[world.authority.pk, message.pk])
    assert retry.value.when in (0, 1)  # the first backoff: up to 1 second, with jitter
    message = reload(message)
    assert (message.state, message.attempts, message.last_error, message.sent_at) == (
        State.QUEUED,
        1,
        "ConnectionRefusedError: [Errno 111] Connection refused",
        None,
    )


def test_after_the_last_retry_the_message_is_failed_shown_first_and_can_be_sent_again(
    world, smtp_refused, admin_client, eager_retries, settings, django_capture_on_commit_callbacks
):
    [sent] = queue(world, dedupe_key="earlier", context={**CONTEXT, "school": "Castle Primary"})
    with scope(authority=world.authority):
        OutboxMessage.objects.filter(pk=sent.pk).update(
            state=State.SENT, sent_at=timezone.now(), attempts=1
        )
    [message] = queue(world)
    result = send_message.apply(args=[world.authority.pk, message.pk])
    assert (result.state, type(result.result)) == ("FAILURE", ConnectionRefusedError)
    message = reload(message)
    assert (message.state, message.attempts, message.last_error) == (
        State.FAILED,
        6,
        "ConnectionRefusedError: [Errno 111] Connection refused",
    )  # the first try and 5 retries

    response = admin_client.get(reverse("notifications:outbox", args=["bathnes"]))
    assert [(m.subject, m.state) for m in response.context["page"]] == [
        (SUBJECT, State.FAILED),
        ("Castle Primary has submitted its self-review", State.SENT),
    ]  # newer sent one after
    page = response.content.decode()
    assert "1 email could not be sent." in page
    assert (
        '<span class="visually-hidden">Error:</span> '
        "ConnectionRefusedError: [Errno 111] Connection refused" in page
    )
    assert page.count(">Send again<") == 1
    assert [(f["label"], f["count"]) for f in response.context["filters"]] == [
        ("All", 2),
        ("Queued", 0),
        ("Sending", 0),
        ("Sent", 1),
        ("Failed", 1),
    ]
    failed_only = admin_client.get(
        reverse("notifications:outbox", args=["bathnes"]), {"state": "failed"}
    )
    assert [m.pk for m in failed_only.context["page"]] == [message.pk]

    settings.EMAIL_BACKEND = (
        "django.core.mail.backends.locmem.EmailBackend"  # the mail server is back
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("notifications:outbox_retry", args=["bathnes", message.pk])
        )
    assert (response.status_code, response["Location"]) == (
        302,
        reverse("notifications:outbox", args=["bathnes"]),
    )
    assert [e.to for e in mail.outbox] == [["mentor@bathnes.test"]]
    message = reload(message)
    assert (message.state, message.attempts) == (State.SENT, 7)
    with scope(authority=world.authority):
        assert [
            (e.action, e.after) for e in AuditEntry.objects.filter(action="email.sent_again")
        ] == [("email.sent_again", {"state": "queued"})]


def test_send_again_is_only_for_failed_messages(world, admin_client):
    [message] = queue(world)
    response = admin_client.post(
        reverse("notifications:outbox_retry", args=["bathnes", message.pk]), follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Only an email that could not be sent can be sent again."
    ]
    assert reload(message).state == State.QUEUED
    assert (
        admin_client.get(
            reverse("notifications:outbox_retry", args=["bathnes", message.pk])
        ).status_code
        == 405
    )


def test_requeue_stuck_sends_what_a_dead_worker_left_and_leaves_the_rest(
    world, django_capture_on_commit_callbacks
):
    stuck, busy, lost, waiting = (
        queue(world, dedupe_key=k)[0] for k in ("stuck", "busy", "lost", "waiting")
    )
    now = timezone.now()
    with scopes_disabled():
        OutboxMessage.objects.filter(pk=stuck.pk).update(
            state=State.SENDING, attempts=1, state_changed_at=now - timedelta(minutes=11)
        )
        OutboxMessage.objects.filter(pk=busy.pk).update(
            state=State.SENDING, attempts=1, state_changed_at=now - timedelta(minutes=2)
        )
        OutboxMessage.objects.filter(pk=lost.pk).update(
            state_changed_at=now - timedelta(minutes=31)
        )
        OutboxMessage.objects.filter(pk=waiting.pk).update(
            state_changed_at=now - timedelta(minutes=5)
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stuck() == 2
    assert [(reload(m).state, reload(m).attempts) for m in (stuck, busy, lost, waiting)] == [
        (State.SENT, 2),
        (State.SENDING, 1),
        (State.SENT, 1),
        (State.QUEUED, 0),
    ]
    assert reload(stuck).last_error == (
        "The worker stopped while sending this email, so it may or may not have gone: "
        "it is being sent again."
    )
    assert len(mail.outbox) == 2


# The outbox page


def test_the_outbox_shows_only_this_authoritys_messages(world, admin_client):
    [message] = queue(world)
    foreign = outsider_message(world)
    response = admin_client.get(reverse("notifications:outbox", args=["bathnes"]))
    assert [m.pk for m in response.context["page"]] == [message.pk]
    assert "Outsider" not in response.content.decode()
    retry = admin_client.post(reverse("notifications:outbox_retry", args=["bathnes", foreign.pk]))
    assert retry.status_code == 404
    assert reload(foreign).state == State.FAILED


@pytest.mark.parametrize(
    "role, status", [("mentor", 403), ("panel_chair", 403), ("school_coordinator", 403)]
)
def test_only_authority_admins_open_the_outbox_and_templates(client, world, role, status):
    client.force_login(world.people[role])
    for url in (
        reverse("notifications:outbox", args=["bathnes"]),
        reverse("notifications:templates", args=["bathnes"]),
        reverse("notifications:template_edit", args=["bathnes", "cycle.submitted"]),
    ):
        assert client.get(url).status_code == status
    client.force_login(world.outsider)
    assert client.get(reverse("notifications:outbox", args=["bathnes"])).status_code == 404


@pytest.mark.parametrize("count", [1, 3])
def test_outbox_query_count_does_not_grow(admin_client, world, django_assert_num_queries, count):
    for n in range(count):
        queue(world, dedupe_key=f"event.{n}")
    with scopes_disabled():
        OutboxMessage.objects.filter(dedupe_key="event.0").update(
            state=State.FAILED, last_error="Refused"
        )
    # session, user, memberships with their authorities (the page's too), counts by state, page
    # count, page of messages
    with django_assert_num_queries(6):
        response = admin_client.get(reverse("notifications:outbox", args=["bathnes"]))
    assert len(response.context["page"]) == count


# Email templates


@pytest.mark.parametrize("count", [1, 3])
def test_template_pages_query_count_does_not_grow(
    admin_client, world, django_assert_num_queries, count
):
    with scope(authority=world.authority):
        for key in list(KINDS)[:count]:
            domain.save_template(
                authority=world.authority, by=None, key=key, subject="S {{ school }}", body="B"
            )
    # session, user, memberships with their authorities (the page's too), the authority's
    # templates
    with django_assert_num_queries(4):
        response = admin_client.get(reverse("notifications:templates", args=["bathnes"]))
    assert [r["kind"].key for r in response.context["rows"] if r["customised"]] == list(KINDS)[
        :count
    ]
    with django_assert_num_queries(4):  # ... the template of this kind (and its editor)
        admin_client.get(
            reverse("notifications:template_edit", args=["bathnes", "cycle.registered"])
        )


def test_the_template_list_names_every_kind_and_what_this_authority_changed(admin_client, world):
    with scope(authority=world.outsider_authority):
        domain.save_template(
            authority=world.outsider_authority,
            by=None,
            key="award.made",
            subject="Outsider secret",
            body="B",
        )
    with scope(authority=world.authority):
        domain.save_template(
            authority=world.authority,
            by=None,
            key="vote.opened",
            subject="Vote: {{ school }}",
            body="B",
        )
    response = admin_client.get(reverse("notifications:templates", args=["bathnes"]))
    assert [(r["kind"].key, r["customised"]) for r in response.context["rows"]] == [
        ("cycle.registered", False),
        ("cycle.submitted", False),
        ("cycle.returned", False),
        ("cycle.validated", False),
        ("cycle.portfolio_submitted", False),
        ("portfolio.returned", False),
        ("visit.planned", False),
        ("report.final", False),
        ("vote.opened", True),
        ("decision.recorded", False),
        ("decision.corrected", False),
        ("award.made", False),
        ("plaque.sent", False),
        ("workshop.place_given", False),
        ("award.expiring", False),
        ("award.review_due", False),
        ("award.lapsed", False),
        ("targets.overdue", False),
        ("update.submitted", False),
        ("annual_visit.planned", False),
        ("review.ratified", False),
    ]


def test_editing_a_template_previews_saves_and_resets(admin_client, world):
    url = reverse("notifications:template_edit", args=["bathnes", "visit.planned"])
    response = admin_client.get(url)
    assert response.context["form"].initial == {
        "subject": KINDS["visit.planned"].subject,
        "body": KINDS["visit.planned"].body,
    }
    assert (
        response.context["preview"][0]
        == "Moderation visit to Chandag Infant School on 12 March 2026"
    )
    assert "{{ moderators }}" in [name for name, _ in response.context["variables"]]

    data = {
        "subject": "Visit: {{ school }} ({{ visit_date|date:'j M' }})",
        "body": "{{ moderators }} are coming.\r\n",
    }
    preview = admin_client.post(url, {**data, "action": "preview"})
    assert preview.status_code == 200
    assert preview.context["preview"] == (
        "Visit: Chandag Infant School (12 Mar)",
        "Mo Moderator and Ola Other are coming.\n",
    )
    with scope(authority=world.authority):
        assert EmailTemplate.objects.count() == 0  # a preview saves nothing

    response = admin_client.post(url, {**data, "action": "save"})
    assert (response.status_code, response["Location"]) == (302, url)
    with scope(authority=world.authority):
        template = EmailTemplate.objects.get()
        assert (template.key, template.subject, template.body, template.updated_by) == (
            "visit.planned",
            data["subject"],
            "{{ moderators }} are coming.",
            world.people["authority_admin"],
        )
        entry = AuditEntry.objects.get(action="email_template.changed")
        assert (entry.before["subject"], entry.after) == (
            KINDS["visit.planned"].subject,
            {
                "kind": "visit.planned",
                "subject": data["subject"],
                "body": "{{ moderators }} are coming.",
            },
        )
    assert admin_client.get(url).context["form"].initial["subject"] == data["subject"]

    response = admin_client.post(
        reverse("notifications:template_reset", args=["bathnes", "visit.planned"])
    )
    assert (response.status_code, response["Location"]) == (302, url)
    with scope(authority=world.authority):
        assert EmailTemplate.objects.count() == 0
        assert AuditEntry.objects.filter(action="email_template.reset").count() == 1
    assert (
        admin_client.get(url).context["form"].initial["subject"] == KINDS["visit.planned"].subject
    )


SUBJECT_OK = "{{ school }} validated"
BODY_OK = "Hello {{ mentor }}"


@pytest.mark.parametrize(
    "data, errors",
    [
        ({"subject": "", "body": BODY_OK}, {"subject": ["Enter a subject."]}),
        (
            {"subject": "   ", "body": ""},
            {"subject": ["Enter a subject."], "body": ["Enter the message."]},
        ),
        (
            {"subject": "x" * 201, "body": BODY_OK},
            {"subject": ["The subject must be 200 characters or fewer (it has 201)."]},
        ),
        (
            {"subject": SUBJECT_OK, "body": "Hello,\n\n{% if mentor %}\n{{ mentor }}"},
            {"body": ["Line 3: Unclosed tag: 'if'. Looking for one of: elif, else, endif."]},
        ),
        (
            {"subject": SUBJECT_OK, "body": "Hello\n{% include 'base.html' %}"},
            {
                "body": [
                    "Line 2: “{% include %}” cannot be used in an email. The tags you can use "
                    "are: if, with, firstof, now, filter, spaceless, comment, templatetag, "
                    "verbatim (with else, elif and the end tags)."
                ]
            },
        ),
        (
            {"subject": "{{ school|ljust:'9999999' }}", "body": BODY_OK},
            {
                "subject": [
                    "Line 1: “ljust” is not a filter you can use in an email. The filters are: "
                    "capfirst, cut, date, default, default_if_none, first, last, length, lower, "
                    "pluralize, time, timesince, timeuntil, title, truncatechars, truncatewords, "
                    "upper, wordcount, wordwrap, yesno."
                ]
            },
        ),
        (
            {"subject": SUBJECT_OK, "body": "Hello\n\n{{ mentor.password }} {{ shcool }}"},
            {
                "body": [
                    "Line 3: “shcool” is not a variable of this email. The variables are: "
                    "authority, mentor, school, url."
                ]
            },
        ),
        (
            {"subject": SUBJECT_OK, "body": "{{ mentor|wordwrap:'0' }}"},
            {"body": ["Line 1: this cannot be shown: invalid width 0 (must be > 0)"]},
        ),
    ],
)
def test_bad_template_input_is_refused_at_its_field_and_saves_nothing(
    admin_client, world, data, errors
):
    url = reverse("notifications:template_edit", args=["bathnes", "cycle.validated"])
    response = admin_client.post(url, {**data, "action": "save"})
    assert response.status_code == 200
    assert response.context["form"].errors == errors
    page = response.content.decode()
    assert "There is a problem" in page
    assert f'href="#id_{next(iter(errors))}"' in page  # the error summary links to the field
    with scope(authority=world.authority):
        assert (
            EmailTemplate.objects.count(),
            AuditEntry.objects.filter(action__startswith="email_template").count(),
        ) == (0, 0)


def test_save_template_refuses_bad_text_itself(world):
    with scope(authority=world.authority), pytest.raises(Exception) as refused:
        domain.save_template(
            authority=world.authority, by=None, key="cycle.validated", subject="{% if %}", body=""
        )
    assert refused.value.message_dict == {
        "subject": ["Line 1: Unexpected end of expression in if tag."],
        "body": ["Enter the message."],
    }


def test_another_authoritys_template_is_not_shown(admin_client, world):
    with scope(authority=world.outsider_authority):
        domain.save_template(
            authority=world.outsider_authority,
            by=None,
            key="cycle.validated",
            subject="Outsider secret",
            body="Outsider body",
        )
    response = admin_client.get(
        reverse("notifications:template_edit", args=["bathnes", "cycle.validated"])
    )
    assert (response.context["template"], response.context["form"].initial["subject"]) == (
        None,
        KINDS["cycle.validated"].subject,
    )
    assert "Outsider" not in response.content.decode()
    assert (
        admin_client.get(
            reverse("notifications:template_edit", args=["bathnes", "no.such.kind"])
        ).status_code
        == 404
    )
    reset = admin_client.post(
        reverse("notifications:template_reset", args=["bathnes", "cycle.validated"])
    )
    assert reset.status_code == 302
    with scope(authority=world.outsider_authority):
        assert (
            EmailTemplate.objects.get().subject == "Outsider secret"
        )  # not reset by another authority's admin


# A real worker, through Redis


@pytest.fixture
def workers(world, settings):
    """Start Celery workers (threads of this process) one after another; records the tasks they
    finish."""
    assert settings.CELERY_BROKER_URL.startswith("redis://"), "set REDIS_URL"
    assert app.conf.task_always_eager is False
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(
            settings.CELERY_TASK_DEFAULT_QUEUE
        )  # the world's own emails
    done = []

    def finished(sender=None, args=None, retval=None, **kwargs):
        done.append((sender.name, list(args or ()), retval))

    task_postrun.connect(finished, weak=False)
    yield (
        lambda: start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10),
        done,
    )
    task_postrun.disconnect(finished)


def waiting_tasks(settings):
    with app.connection_for_write() as conn:
        return conn.default_channel.queue_declare(
            settings.CELERY_TASK_DEFAULT_QUEUE, passive=True
        ).message_count


@pytest.mark.real_worker
@pytest.mark.django_db(transaction=True)
def test_a_message_queued_while_the_worker_is_stopped_is_sent_once_by_the_next(
    world, workers, settings
):
    worker, done = workers
    with worker():
        pass  # a worker that stopped before the message was queued
    [message] = queue(world)
    time.sleep(0.5)
    assert (waiting_tasks(settings), mail.outbox, reload(message).state) == (1, [], State.QUEUED)
    task = ("notifications.tasks.send_message", [world.authority.pk, message.pk])
    with worker():
        assert wait_for(lambda: len(mail.outbox) == 1)
        send_message.delay(world.authority.pk, message.pk)  # the same task delivered again
        assert wait_for(
            lambda: [d for d in done if d[:2] == task] == [(*task, "sent"), (*task, "not queued")]
        )
    assert [e.to for e in mail.outbox] == [["mentor@bathnes.test"]]
    assert (reload(message).state, reload(message).attempts) == (State.SENT, 1)


@pytest.mark.real_worker
@pytest.mark.django_db(transaction=True)
def test_a_message_left_sending_by_a_dead_worker_is_sent_once_after_requeue_stuck(
    world, workers, settings
):
    worker, done = workers
    [message] = queue(world)  # its task waits in Redis
    # What a worker killed after claiming the message leaves behind; its task is delivered again
    # (acks_late, reject on worker lost).
    with scopes_disabled():
        OutboxMessage.objects.filter(pk=message.pk).update(
            state=State.SENDING, attempts=1, state_changed_at=timezone.now() - timedelta(minutes=15)
        )
    task = ("notifications.tasks.send_message", [world.authority.pk, message.pk])
    with worker():
        assert wait_for(lambda: (*task, "not queued") in done)
        assert (
            mail.outbox == []
        )  # the redelivered task does not send a message another worker holds
        requeue_stuck.delay()
        assert wait_for(lambda: (*task, "sent") in done)
        assert wait_for(lambda: len(done) == 3)
    assert [e.to for e in mail.outbox] == [["mentor@bathnes.test"]]
    assert [d[0] for d in done] == [
        "notifications.tasks.send_message",
        "notifications.tasks.requeue_stuck",
        "notifications.tasks.send_message",
    ]
    assert (reload(message).state, reload(message).attempts) == (State.SENT, 2)
