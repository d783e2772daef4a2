"""Webhooks (issue 15, item 5): sent to a real HTTP receiver on 127.0.0.1 (WEBHOOKS_ALLOW_PRIVATE
on), never mocked; signed, retried with backoff (time moved by time-machine), refused for private
addresses without the setting, and the pages an authority admin's own."""

import hashlib
import hmac
import json
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from assessments.models import Cycle
from audit.models import AuditEntry
from publishing.domain import publish
from webhooks import domain, sending
from webhooks.models import Delivery, Endpoint, Event
from webhooks.tasks import (
    BACKOFF_BASE,
    MAX_ATTEMPTS,
    STUCK_AFTER,
    attempt,
    claim,
    deliver,
    record,
    sweep,
)

from .assessment_helpers import complete_self_review, submit
from .journey import advance

State = Delivery.State
PRIVATE = [
    "https://127.0.0.1/hook",
    "https://10.0.0.1/hook",
    "https://192.168.1.20/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[fe80::1]/hook",
    "https://224.0.0.1/hook",
    "https://0.0.0.0/hook",
    "https://240.0.0.1/hook",
    "https://localhost/hook",
    "https://[2002:a9fe:a9fe::1]/hook",  # 6to4 of 169.254.169.254 (global to Python 3.11)
    "https://[2002:0a00:0001::1]/hook",  # 6to4 of 10.0.0.1
    "https://[2001:0:a00:1::1]/hook",  # Teredo through 10.0.0.1
]


class Receiver:
    """An HTTP server in a thread on 127.0.0.1 that answers with `statuses` in turn (then 200) and
    keeps every request it was sent."""

    def __init__(self):
        self.statuses = []
        self.received = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                answer = b"x" * 2000 if status == 200 else b"Something broke"
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/iqm/events?source=portal"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    server = Receiver()
    yield server
    server.stop()


def make_endpoint(world, url, events=(Event.CYCLE_MOVED,), authority=None):
    authority = authority or world.authority
    with scope(authority=authority):
        return domain.create_endpoint(
            authority=authority,
            by=world.people["authority_admin"],
            name="Data warehouse",
            url=url,
            events=list(events),
        )


def deliveries(**lookup):
    with scopes_disabled():
        return list(Delivery.objects.filter(**lookup).order_by("pk"))


def reload(delivery):
    with scopes_disabled():
        return Delivery.objects.get(pk=delivery.pk)


def run(delivery):
    """The delivery's task, as a worker runs it when its countdown ends."""
    return deliver.apply(args=[delivery.authority_id, delivery.pk]).get()


def verify(secret, header, body):
    """A receiver's check, written from the documentation (webhooks/sending.py), not the code."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(
        secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


# Sending


def test_a_cycle_step_delivers_a_signed_payload_whose_signature_verifies(
    world, receiver, django_capture_on_commit_callbacks
):
    complete_self_review(world)  # registered -> self-review, before the endpoint existed
    endpoint = make_endpoint(world, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        submit(world)

    [request] = receiver.received
    [delivery] = deliveries(endpoint=endpoint)
    headers, body = request["headers"], request["body"]
    assert request["path"] == "/iqm/events?source=portal"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-IQM-Event"] == "cycle.moved"
    assert headers["X-IQM-Delivery"] == str(delivery.uuid)
    assert verify(endpoint.secret, headers["X-IQM-Signature"], body)
    assert sending.verify(endpoint.secret, headers["X-IQM-Signature"], body)
    assert not verify(endpoint.secret, headers["X-IQM-Signature"], body + b" ")
    assert not verify(domain.new_secret(), headers["X-IQM-Signature"], body)
    payload = json.loads(body)
    assert sorted(payload) == ["authority", "data", "id", "occurred_at", "type"]
    assert (payload["id"], payload["type"], payload["authority"]) == (
        str(delivery.event_id),
        "cycle.moved",
        "bathnes",
    )
    assert payload["data"] == {
        "cycle_id": world.cycle.pk,
        "school_id": world.school.pk,
        "school_name": "Chandag Infant",
        "kind": "initial",
        "step": "submit",
        "from_state": "self_review",
        "to_state": "submitted",
    }
    delivery = reload(delivery)
    assert (delivery.state, delivery.attempts, delivery.status_code, delivery.last_error) == (
        State.SENT,
        1,
        200,
        "",
    )
    assert delivery.response_excerpt == "x" * 500  # no more of the answer is kept


def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(world, receiver):
    receiver.statuses = [500, 500]
    endpoint = make_endpoint(world, receiver.url)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        [delivery] = domain_send_test(world, endpoint)
        assert run(delivery) == "will retry"
        first = reload(delivery)
        assert (first.state, first.attempts, first.status_code, first.last_error) == (
            State.QUEUED,
            1,
            500,
            "Answered 500.",
        )
        wait = (first.next_attempt_at - start).total_seconds()
        assert BACKOFF_BASE / 2 <= wait <= BACKOFF_BASE

        # A task that arrives early (or a second copy) finds it not yet due and sends nothing.
        traveller.move_to(first.next_attempt_at - timedelta(seconds=1))
        assert run(delivery) == "not due"
        assert len(receiver.received) == 1

        traveller.move_to(first.next_attempt_at)
        assert run(delivery) == "will retry"
        second = reload(delivery)
        assert (second.attempts, second.status_code) == (2, 500)
        wait = (second.next_attempt_at - first.next_attempt_at).total_seconds()
        assert BACKOFF_BASE <= wait <= 2 * BACKOFF_BASE  # doubled, with jitter

        traveller.move_to(second.next_attempt_at)
        assert run(delivery) == "sent"
    done = reload(delivery)
    assert (done.state, done.attempts, done.status_code, done.last_error, done.next_attempt_at) == (
        State.SENT,
        3,
        200,
        "",
        None,
    )
    assert run(delivery) == "not due"  # sent is sent
    # The same delivery, body and signature scheme each time.
    assert {r["headers"]["X-IQM-Delivery"] for r in receiver.received} == {str(delivery.uuid)}
    assert len({r["body"] for r in receiver.received}) == 1
    assert all(
        verify(endpoint.secret, r["headers"]["X-IQM-Signature"], r["body"])
        for r in receiver.received
    )


def domain_send_test(world, endpoint):
    with scope(authority=world.authority):
        return [domain.send_test(endpoint=endpoint, by=world.people["authority_admin"])]


def test_after_the_last_attempt_the_delivery_is_failed_and_can_be_sent_again(
    world, receiver, admin_client, django_capture_on_commit_callbacks
):
    receiver.statuses = [503] * MAX_ATTEMPTS
    endpoint = make_endpoint(world, receiver.url)
    [delivery] = domain_send_test(world, endpoint)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            assert run(delivery) == ("failed" if attempt == MAX_ATTEMPTS else "will retry")
            if attempt < MAX_ATTEMPTS:
                traveller.move_to(reload(delivery).next_attempt_at)
    failed = reload(delivery)
    assert (failed.state, failed.attempts, failed.status_code, failed.next_attempt_at) == (
        State.FAILED,
        MAX_ATTEMPTS,
        503,
        None,
    )
    page = admin_client.get(reverse("webhooks:detail", args=["bathnes", endpoint.pk]))
    html = page.content.decode()
    assert '<span class="visually-hidden">Error:</span> Answered 503.' in html
    assert html.count(">Send again<") == 1
    assert "Something broke" in html  # the start of the answer

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("webhooks:resend", args=["bathnes", endpoint.pk, delivery.pk])
        )
    assert response.status_code == 302
    again = reload(delivery)
    assert (again.state, again.attempts, again.status_code) == (State.SENT, 1, 200)
    assert len(receiver.received) == MAX_ATTEMPTS + 1
    assert len({r["body"] for r in receiver.received}) == 1  # the same event, the same id


def test_a_delivery_still_queued_cannot_be_sent_again(world, receiver, admin_client):
    endpoint = make_endpoint(world, receiver.url)
    [delivery] = domain_send_test(world, endpoint)
    response = admin_client.post(
        reverse("webhooks:resend", args=["bathnes", endpoint.pk, delivery.pk]), follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [
        "This delivery is still being sent: wait for it to finish."
    ]
    assert (reload(delivery).state, receiver.received) == (State.QUEUED, [])


def test_the_sweep_sends_what_lost_its_task_or_its_worker(
    world, receiver, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(world, receiver.url)
    lost, stuck, waiting, busy = (domain_send_test(world, endpoint)[0] for _ in range(4))
    now = timezone.now()
    with scopes_disabled():
        Delivery.objects.filter(pk=lost.pk).update(next_attempt_at=now - timedelta(minutes=3))
        Delivery.objects.filter(pk=stuck.pk).update(
            state=State.SENDING, attempts=1, state_changed_at=now - timedelta(minutes=6)
        )
        Delivery.objects.filter(pk=waiting.pk).update(next_attempt_at=now + timedelta(minutes=3))
        Delivery.objects.filter(pk=busy.pk).update(
            state=State.SENDING, attempts=1, state_changed_at=now - timedelta(minutes=1)
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep() == 2
    assert [(reload(d).state, reload(d).attempts) for d in (lost, stuck, waiting, busy)] == [
        (State.SENT, 1),
        (State.SENT, 2),
        (State.QUEUED, 0),
        (State.SENDING, 1),
    ]
    assert len(receiver.received) == 2


def test_a_late_attempt_does_not_overwrite_the_newer_attempts_outcome(world, receiver):
    """Worker A's attempt outlives STUCK_AFTER; the sweep queues the row again and worker B
    claims it. A's answer, arriving while B is sending, is not recorded; B's is."""
    receiver.statuses = [500]
    endpoint = make_endpoint(world, receiver.url)
    [delivery] = domain_send_test(world, endpoint)
    with time_machine.travel(timezone.now(), tick=False) as traveller, scopes_disabled():
        first = claim(delivery.pk)  # worker A
        traveller.shift(STUCK_AFTER + timedelta(seconds=1))
        assert sweep() == 1
        second = claim(delivery.pk)  # worker B, from the sweep's task
        assert (first.attempts, second.attempts) == (1, 2)
        assert record(first, attempt(first)) == "superseded"  # A's answer: 500, too late
        row = reload(delivery)
        assert (row.state, row.attempts, row.status_code) == (State.SENDING, 2, None)
        assert record(second, attempt(second)) == "sent"
    row = reload(delivery)
    assert (row.state, row.attempts, row.status_code, row.last_error) == (State.SENT, 2, 200, "")
    assert len(receiver.received) == 2


def test_the_sweep_fails_a_delivery_whose_last_attempt_stopped_its_worker(
    world, receiver, django_capture_on_commit_callbacks
):
    """A delivery that kills its worker each time is not queued again for ever."""
    endpoint = make_endpoint(world, receiver.url)
    [last, earlier] = (domain_send_test(world, endpoint)[0] for _ in range(2))
    stopped = timezone.now() - STUCK_AFTER - timedelta(seconds=1)
    with scopes_disabled():
        Delivery.objects.filter(pk=last.pk).update(
            state=State.SENDING, attempts=MAX_ATTEMPTS, state_changed_at=stopped
        )
        Delivery.objects.filter(pk=earlier.pk).update(
            state=State.SENDING, attempts=MAX_ATTEMPTS - 1, state_changed_at=stopped
        )
    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert sweep() == 2
    assert len(queued) == 1  # only the one with an attempt left
    failed = reload(last)
    assert (failed.state, failed.attempts, failed.next_attempt_at) == (
        State.FAILED,
        MAX_ATTEMPTS,
        None,
    )
    assert failed.last_error.startswith("The worker stopped while sending this, on the last")
    assert (reload(earlier).state, reload(earlier).attempts) == (State.SENT, MAX_ATTEMPTS)
    assert len(receiver.received) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep() == 0


def test_a_receiver_trickling_its_answer_is_cut_off_at_the_attempts_deadline(
    world, settings, monkeypatch
):
    """Each byte comes well within the per-read timeout, but the whole attempt has a deadline
    (lowered here to 1 s from 10 s): a real socket server sends a byte every half second."""
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    monkeypatch.setattr(sending, "DEADLINE", 1)
    server = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def trickle():
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)  # the request
            connection.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            for _ in range(16):  # 8 s of it, then a complete answer
                if done.wait(0.5):
                    return
                try:
                    connection.sendall(b"z")
                except OSError:  # the portal hung up
                    return
            connection.sendall(b"\r\nContent-Length: 2\r\n\r\nok")

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        endpoint = make_endpoint(world, f"http://127.0.0.1:{server.getsockname()[1]}/slow")
        [delivery] = domain_send_test(world, endpoint)
        started = time.monotonic()
        assert run(delivery) == "will retry"
        took = time.monotonic() - started
    finally:
        done.set()
        thread.join(5)
        server.close()
    assert 1 <= took < 3
    slow = reload(delivery)
    assert (slow.state, slow.status_code, slow.last_error) == (
        State.QUEUED,
        None,
        "No complete answer within 1 s: the attempt was stopped.",
    )


def test_a_switched_off_endpoint_is_sent_its_test_events_only(world, receiver):
    endpoint = make_endpoint(world, receiver.url)
    complete_self_review(world)
    [queued] = deliveries(endpoint=endpoint)  # written before it was switched off
    with scopes_disabled():
        Endpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    assert run(queued) == "failed"
    assert reload(queued).last_error == "Not sent: the endpoint is switched off."
    submit(world)
    assert deliveries(endpoint=endpoint) == [queued]  # no new event is written for it
    assert receiver.received == []

    # "Send a test event" works on it, active or not (domain.send_test).
    [test] = domain_send_test(world, endpoint)
    assert run(test) == "sent"
    [request] = receiver.received
    assert request["headers"]["X-IQM-Event"] == "ping"
    assert (reload(test).state, reload(test).status_code) == (State.SENT, 200)


def test_events_are_written_in_the_transaction_of_the_change(world, receiver):
    endpoint = make_endpoint(world, receiver.url)
    with pytest.raises(RuntimeError), transaction.atomic():
        complete_self_review(world)
        assert len(deliveries(endpoint=endpoint)) == 1
        raise RuntimeError("the step fails after all")
    assert deliveries(endpoint=endpoint) == []


def test_the_decision_and_the_published_list_are_events_of_their_own(world, receiver):
    everything = [Event.CYCLE_MOVED, Event.DECISION_RECORDED, Event.LIST_PUBLISHED]
    decisions = make_endpoint(world, receiver.url, events=[Event.DECISION_RECORDED])
    lists = make_endpoint(world, receiver.url, events=[Event.LIST_PUBLISHED])
    every = make_endpoint(world, receiver.url, events=everything)
    foreign = make_endpoint(
        world, receiver.url, events=everything, authority=world.outsider_authority
    )
    advance(world, Cycle.State.DECIDED)
    with scope(authority=world.authority):
        publication = publish(authority=world.authority, by=world.people["authority_admin"])
        decision = world.cycle.decisions.get()
    [decided] = deliveries(endpoint=decisions)
    assert decided.payload["type"] == "decision.recorded"
    assert decided.payload["data"] == {
        "decision_id": decision.pk,
        "cycle_id": world.cycle.pk,
        "school_id": world.school.pk,
        "school_name": "Chandag Infant",
        "kind": "initial",
        "outcome": "award",
        "tier": "quality_mark",
        "corrects": None,
    }
    [published] = deliveries(endpoint=lists)
    assert published.payload["data"] == {
        "version": publication.version,
        "published_at": publication.published_at.isoformat(),
        "awarded": 1,
        "working_towards": 0,
        "url": settings.SITE_URL + "/bathnes/awards/",
    }
    moves = [d.payload["data"]["to_state"] for d in deliveries(endpoint=every)[:-2]]
    assert moves == [
        "self_review",
        "submitted",
        "validated",
        "portfolio_submitted",
        "ready_for_visit",
        "visit_planned",
        "reported",
        "with_panel",
        "decided",
    ]
    assert [d.event for d in deliveries(endpoint=every)[-2:]] == [
        "decision.recorded",
        "list.published",
    ]
    # One event, one id, whichever endpoints it goes to; nothing for another authority.
    assert decided.event_id == deliveries(endpoint=every)[-2].event_id
    assert deliveries(endpoint=foreign) == []


# Where events may go


@pytest.mark.parametrize("url", PRIVATE)
def test_private_and_loopback_addresses_are_refused_at_registration(admin_client, world, url):
    response = admin_client.post(
        reverse("webhooks:create", args=["bathnes"]),
        {"name": "Sneaky", "url": url, "events": ["cycle.moved"], "is_active": "on"},
    )
    assert response.status_code == 200
    [error] = response.context["form"].errors["url"]
    assert error == sending.NOT_PUBLIC
    with pytest.raises(Exception) as refused, scope(authority=world.authority):
        domain.create_endpoint(
            authority=world.authority, by=None, name="Sneaky", url=url, events=["cycle.moved"]
        )
    assert str(refused.value) == str({"url": [sending.NOT_PUBLIC]})
    assert deliveries() == [] and not Endpoint.objects.exists()


def test_the_refusal_tells_the_admin_nothing_of_the_operators_network(
    admin_client, monkeypatch, caplog
):
    """A private address, a name inside the operator's network and a name that does not resolve
    are refused alike: the admin (of one tenant) learns neither the address nor whether the name
    exists. The server's log has the detail."""
    resolve = socket.getaddrinfo

    def dns(host, port, *args, **kwargs):  # the names this test owns; nothing else is touched
        if host == "nowhere.example.org":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return resolve(
            {"db.internal.example.org": "10.0.3.7"}.get(host, host), port, *args, **kwargs
        )

    monkeypatch.setattr(socket, "getaddrinfo", dns)
    errors = {}
    for url in [
        "https://169.254.169.254/latest/",
        "https://db.internal.example.org/",
        "https://nowhere.example.org/",
    ]:
        response = admin_client.post(
            reverse("webhooks:create", args=["bathnes"]),
            {"name": "Probe", "url": url, "events": ["ping"]},
        )
        form = response.context["form"]
        errors[url] = form.errors["url"]
        assert "Select a valid choice. ping is not" in form.errors["events"][0]
        assert "<title>Error: Register an endpoint – Webhooks – Bath" in response.content.decode()
        assert "10.0.3.7" not in response.content.decode()
    assert set(map(tuple, errors.values())) == {(sending.NOT_PUBLIC,)}
    assert sending.NOT_PUBLIC == (
        "This address is private, not on the public internet, or could not be reached: use an "
        "https address of a public server."
    )
    logged = [r.getMessage() for r in caplog.records if r.name == "webhooks.sending"]
    assert logged == [
        "Webhook address refused: '169.254.169.254' is at 169.254.169.254, not a public address.",
        "Webhook address refused: 'db.internal.example.org' is at 10.0.3.7, not a public address.",
        "Webhook address refused: 'nowhere.example.org' not resolved ([Errno -2] Name or service "
        "not known).",
    ]


@pytest.mark.parametrize(
    "url, error",
    [
        (
            "http://1.1.1.1/hook",
            "The address must start with https:// (events are only sent encrypted).",
        ),
        (
            "https://user:secret@1.1.1.1/hook",
            "Leave the user name and password out of the address: check the signature instead.",
        ),
    ],
)
def test_only_https_without_credentials_is_accepted(url, error):
    with pytest.raises(sending.Refused) as refused:
        sending.check(url)
    assert str(refused.value) == error


def test_a_public_address_is_accepted():
    target = sending.check("https://1.1.1.1:8443/events?x=1")
    assert (target.host, target.port, target.path, target.address) == (
        "1.1.1.1",
        8443,
        "/events?x=1",
        "1.1.1.1",
    )
    # 6to4 is refused for what it carries, not for being 6to4: 2002:101:101:: is 1.1.1.1.
    assert sending.check("https://[2002:101:101::1]/events").address == "2002:101:101::1"


def test_private_addresses_are_refused_at_delivery_without_the_setting(world, receiver, settings):
    """Registered while the setting was on; sent after it is off: refused, nothing connects."""
    endpoint = make_endpoint(world, receiver.url)
    [delivery] = domain_send_test(world, endpoint)
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    assert run(delivery) == "will retry"
    assert reload(delivery).last_error == (
        "The address must start with https:// (events are only sent encrypted)."
    )
    with scopes_disabled():
        Endpoint.objects.filter(pk=endpoint.pk).update(url=f"https://127.0.0.1:{receiver.port}/iqm")
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert run(delivery) == "will retry"
    assert reload(delivery).last_error == sending.NOT_PUBLIC
    assert receiver.received == []


def test_a_name_that_resolves_elsewhere_at_delivery_is_refused_dns_rebinding(
    world, receiver, settings, monkeypatch
):
    """A host that was public when registered and points at loopback when sent to: the address
    is checked again at each delivery, and the request would go to the address checked."""
    resolve = socket.getaddrinfo
    answers = {"hooks.example.org": "1.1.1.1"}

    def dns(host, port, *args, **kwargs):  # the names this test owns; nothing else is touched
        return resolve(answers.get(host, host), port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", dns)
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    endpoint = make_endpoint(world, f"https://hooks.example.org:{receiver.port}/iqm")
    [delivery] = domain_send_test(world, endpoint)
    answers["hooks.example.org"] = "127.0.0.1"  # rebound
    assert run(delivery) == "will retry"
    assert reload(delivery).last_error == sending.NOT_PUBLIC
    assert receiver.received == []

    # With the setting on, the request goes to the address resolved and checked, under the name.
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    with scopes_disabled():
        Endpoint.objects.filter(pk=endpoint.pk).update(
            url=f"http://hooks.example.org:{receiver.port}/iqm"
        )
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert run(delivery) == "sent"
    [request] = receiver.received
    assert request["headers"]["Host"] == f"hooks.example.org:{receiver.port}"


def test_an_endpoint_whose_host_went_bad_can_still_be_switched_off_and_renamed(
    admin_client, world, settings, monkeypatch
):
    """The address is checked when it is new or changed, or the endpoint switched on; not when an
    admin only renames it or switches it off (its deliveries are checked anyway)."""
    resolve = socket.getaddrinfo
    answers = {"hooks.example.org": "1.1.1.1"}

    def dns(host, port, *args, **kwargs):  # the names this test owns; nothing else is touched
        return resolve(answers.get(host, host), port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", dns)
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    url = "https://hooks.example.org/iqm"
    endpoint = make_endpoint(world, url)
    answers["hooks.example.org"] = "10.0.3.7"  # the host went bad
    edit = reverse("webhooks:edit", args=["bathnes", endpoint.pk])
    fields = {"name": "Old warehouse", "url": url, "events": ["cycle.moved"]}
    response = admin_client.post(edit, fields)  # renamed and switched off
    assert response.status_code == 302
    with scopes_disabled():
        endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.url, endpoint.is_active) == ("Old warehouse", url, False)

    # Switching it on again, or changing the address to another bad one, is checked.
    for change in [{"is_active": "on"}, {"url": "https://hooks.example.org/other"}]:
        response = admin_client.post(edit, fields | change)
        assert response.status_code == 200
        assert response.context["form"].errors == {"url": [sending.NOT_PUBLIC]}
    with scope(authority=world.authority), pytest.raises(ValidationError) as refused:
        domain.update_endpoint(
            endpoint=endpoint, by=None, name="x", url=url, events=["cycle.moved"], is_active=True
        )
    assert refused.value.message_dict == {"url": [sending.NOT_PUBLIC]}
    with scopes_disabled():
        endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.url, endpoint.is_active) == ("Old warehouse", url, False)

    answers["hooks.example.org"] = "1.1.1.1"  # fixed
    assert admin_client.post(edit, fields | {"is_active": "on"}).status_code == 302
    with scopes_disabled():
        assert Endpoint.objects.get().is_active


def test_a_redirect_is_not_followed(world, receiver):
    receiver.statuses = [302]
    endpoint = make_endpoint(world, receiver.url)
    [delivery] = domain_send_test(world, endpoint)
    assert run(delivery) == "will retry"
    assert reload(delivery).last_error == "Answered 302: redirects are not followed."
    assert len(receiver.received) == 1


# The pages


def test_registering_shows_the_secret_once_and_audits_it(admin_client, world, receiver):
    response = admin_client.post(
        reverse("webhooks:create", args=["bathnes"]),
        {
            "name": "Data warehouse",
            "url": receiver.url,
            "events": ["cycle.moved", "list.published"],
            "is_active": "on",
        },
        follow=True,
    )
    with scopes_disabled():
        endpoint = Endpoint.objects.get()
    assert response.redirect_chain == [
        (reverse("webhooks:detail", args=["bathnes", endpoint.pk]), 302)
    ]
    assert (endpoint.name, endpoint.url, endpoint.events, endpoint.is_active) == (
        "Data warehouse",
        receiver.url,
        ["cycle.moved", "list.published"],
        True,
    )
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) > 40
    html = response.content.decode()
    assert html.count(endpoint.secret) == 1
    assert "it is shown only this once" in html
    assert "<title>Data warehouse – Webhooks – Bath &amp; North East Somerset – IQM Portal" in html
    again = admin_client.get(reverse("webhooks:detail", args=["bathnes", endpoint.pk]))
    assert endpoint.secret not in again.content.decode()

    new = admin_client.post(reverse("webhooks:secret", args=["bathnes", endpoint.pk]), follow=True)
    with scopes_disabled():
        secret = Endpoint.objects.get().secret
    assert secret != endpoint.secret and new.content.decode().count(secret) == 1
    with scopes_disabled():
        actions = list(
            AuditEntry.objects.filter(action__startswith="webhook.")
            .order_by("pk")
            .values_list("action", "after")
        )
    assert actions == [
        (
            "webhook.created",
            {
                "name": "Data warehouse",
                "url": receiver.url,
                "events": ["cycle.moved", "list.published"],
                "active": True,
            },
        ),
        ("webhook.secret_changed", {}),
    ]


def test_editing_sending_a_test_and_deleting(
    admin_client, world, receiver, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(world, receiver.url)
    edit = reverse("webhooks:edit", args=["bathnes", endpoint.pk])
    page = admin_client.get(edit)
    assert page.status_code == 200
    response = admin_client.post(
        edit, {"name": "Warehouse", "url": receiver.url, "events": ["decision.recorded"]}
    )
    assert response.status_code == 302
    with scopes_disabled():
        endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.events, endpoint.is_active) == (
        "Warehouse",
        ["decision.recorded"],
        False,
    )
    bad = admin_client.post(edit, {"name": "", "url": "ftp://files.example", "events": []})
    assert sorted(bad.context["form"].errors) == ["events", "name", "url"]

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("webhooks:test", args=["bathnes", endpoint.pk]))
    [test] = deliveries(endpoint=endpoint)
    assert (test.event, reload(test).state) == ("ping", State.SENT)  # switched off, yet tried
    [request] = receiver.received
    assert json.loads(request["body"])["data"] == {
        "message": "A test event from the IQM Portal.",
        "endpoint": "Warehouse",
    }
    listing = admin_client.get(reverse("webhooks:list", args=["bathnes"]))
    [row] = listing.context["endpoints"]
    assert (row.last_state, row.last_status, row.last_event) == ("sent", 200, "ping")

    response = admin_client.post(reverse("webhooks:delete", args=["bathnes", endpoint.pk]))
    assert response["Location"] == reverse("webhooks:list", args=["bathnes"])
    with scopes_disabled():
        assert (Endpoint.objects.count(), Delivery.objects.count()) == (0, 0)
    assert (
        admin_client.get(reverse("webhooks:delete", args=["bathnes", endpoint.pk])).status_code
        == 405
    )


def foreign_pages(world):
    endpoint = make_endpoint(world, "https://1.1.1.1/x", authority=world.outsider_authority)
    [delivery] = domain_send_test_in(world.outsider_authority, endpoint)
    args = ["bathnes", endpoint.pk]
    return endpoint, [
        ("get", reverse("webhooks:detail", args=args)),
        ("get", reverse("webhooks:edit", args=args)),
        ("post", reverse("webhooks:edit", args=args)),
        ("post", reverse("webhooks:delete", args=args)),
        ("post", reverse("webhooks:secret", args=args)),
        ("post", reverse("webhooks:test", args=args)),
        ("post", reverse("webhooks:resend", args=[*args, delivery.pk])),
    ]


def domain_send_test_in(authority, endpoint):
    with scope(authority=authority):
        return [domain.send_test(endpoint=endpoint, by=None)]


def test_another_authoritys_endpoint_is_not_found_on_every_page(admin_client, world):
    endpoint, pages = foreign_pages(world)
    with scopes_disabled():
        before = (Endpoint.objects.get().secret, Delivery.objects.count())
    for method, url in pages:
        assert (method, url, getattr(admin_client, method)(url).status_code) == (method, url, 404)
    with scopes_disabled():
        assert (Endpoint.objects.get().secret, Delivery.objects.count()) == before
    listing = admin_client.get(reverse("webhooks:list", args=["bathnes"]))
    assert listing.context["endpoints"] == []


@pytest.mark.parametrize("role", ["mentor", "panel_chair", "moderator", "school_coordinator"])
def test_only_the_authoritys_admins_open_the_pages(client, world, role):
    endpoint = make_endpoint(world, "https://1.1.1.1/x")
    [delivery] = domain_send_test(world, endpoint)
    args = ["bathnes", endpoint.pk]
    pages = [
        ("get", reverse("webhooks:list", args=["bathnes"])),
        ("get", reverse("webhooks:create", args=["bathnes"])),
        ("get", reverse("webhooks:detail", args=args)),
        ("get", reverse("webhooks:edit", args=args)),
        ("post", reverse("webhooks:delete", args=args)),
        ("post", reverse("webhooks:secret", args=args)),
        ("post", reverse("webhooks:test", args=args)),
        ("post", reverse("webhooks:resend", args=[*args, delivery.pk])),
    ]
    client.force_login(world.people[role])
    assert {url: getattr(client, m)(url).status_code for m, url in pages} == {
        url: 403 for _, url in pages
    }
    client.force_login(world.outsider)
    assert {url: getattr(client, m)(url).status_code for m, url in pages} == {
        url: 404 for _, url in pages
    }


@pytest.mark.parametrize("count", [1, 3])
def test_the_list_pages_query_counts_do_not_grow(
    admin_client, world, django_assert_num_queries, count
):
    endpoints = [make_endpoint(world, f"https://1.1.1.{n + 1}/x") for n in range(count)]
    for endpoint in endpoints:
        for _ in range(count):
            domain_send_test(world, endpoint)
    # session, user, memberships with their authorities (the page's too), endpoints with their
    # latest delivery
    with django_assert_num_queries(4):
        response = admin_client.get(reverse("webhooks:list", args=["bathnes"]))
    assert len(response.context["endpoints"]) == count
    # session, user, memberships with their authorities (the page's too), endpoint, count, page
    # of deliveries
    with django_assert_num_queries(6):
        response = admin_client.get(reverse("webhooks:detail", args=["bathnes", endpoints[0].pk]))
    assert len(response.context["page"]) == count
