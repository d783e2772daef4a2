"""The daily reminders job (notifications/reminders.py): each milestone told once, whoever runs it
and however often; awards lapsing; the next publication; another authority's people never told.
Time is moved with time-machine."""

import io
import threading
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from assessments.models import Cycle, Target
from audit.models import AuditEntry
from awards.models import Award, Tier
from iqm_portal.celery import app
from notifications import reminders
from notifications.domain import save_template, text_errors
from notifications.kinds import get_kind
from notifications.models import OutboxMessage, Reminder
from publishing import domain as publishing

from .assessment_helpers import at_once
from .factories import SchoolFactory, UserFactory
from .test_worker import wait_for

UK = ZoneInfo(settings.TIME_ZONE)
ADMIN = "authority_admin@bathnes.test"
MENTOR = "mentor@bathnes.test"
# The school's leads and its mentor, as the outbox orders them.
CHANDAG_TOLD = ["head_teacher@bathnes.test", MENTOR, "school_coordinator@bathnes.test"]
CASTLE_LEAD = "other_school_coordinator@bathnes.test"


@pytest.fixture(autouse=True)
def _empty_outbox(world):
    """The world's cycles were registered with emails of their own; these tests start from none."""
    with scopes_disabled():
        OutboxMessage.objects.all().delete()
    del mail.outbox[:]


def on(day: date):
    """Travel to `day`, early in the morning (UK time) when beat runs the job."""
    return time_machine.travel(datetime.combine(day, time(5, 30), tzinfo=UK), tick=False)


def run_on(day: date) -> int:
    with on(day):
        return reminders.run()


def award(school, tier=Tier.QUALITY_MARK, awarded_on=None, expires_on=None, **extra):
    awarded_on = awarded_on or timezone.localdate()
    with scopes_disabled():
        return Award.objects.create(
            authority=school.authority,
            school=school,
            tier=tier,
            awarded_on=awarded_on,
            expires_on=expires_on or awarded_on.replace(year=awarded_on.year + 3),
            **extra,
        )


def target(world, deadline, status=Target.Status.NOT_STARTED, cycle=None):
    cycle = cycle or world.cycle
    with scope(authority=cycle.authority):
        element = cycle.framework.elements.order_by("number")[2]
        return Target.objects.create(
            cycle=cycle,
            element=element,
            action="Train the lunchtime staff in the behaviour policy",
            lead=UserFactory(full_name="Lee Lead"),
            deadline=deadline,
            success_criteria="Every lunchtime supervisor trained",
            status=status,
        )


def told(authority=None):
    """(kind, to, day queued) of every email queued, in order."""
    with scopes_disabled():
        messages = OutboxMessage.objects.order_by("created_at", "to")
        if authority:
            messages = messages.filter(authority=authority)
        return [(m.key, m.to, timezone.localdate(m.created_at)) for m in messages]


def message(key, to):
    """The first email of this kind to this person."""
    with scopes_disabled():
        return OutboxMessage.objects.filter(key=key, to=to).order_by("created_at").first()


# Milestones


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (date(2030, 1, 4), 6, date(2029, 7, 4)),
        (date(2030, 1, 4), 1, date(2029, 12, 4)),
        (date(2029, 8, 31), 6, date(2029, 2, 28)),  # no 31 February: the month's last day
        (date(2028, 8, 29), 6, date(2028, 2, 29)),
        (date(2030, 3, 31), 1, date(2030, 2, 28)),
        (date(2030, 1, 15), 12, date(2029, 1, 15)),
    ],
)
def test_months_before(day, months, expected):
    assert reminders.months_before(day, months) == expected


def test_walking_an_award_across_three_years_tells_each_milestone_once_then_lapses_it(world):
    """Castle Primary's Quality Mark, awarded on 4 January 2027, expires on 4 January 2030: the
    authority's six months' lead time is reached on 4 July 2029, one month before on 4 December,
    and it lapses on 5 January 2030. The job runs every 30 days and on each day around a
    milestone; each is told exactly once, and the lapse changes the list at the next
    publication, not before."""
    start = date(2027, 1, 4)
    with on(start):
        award(world.other_school)
        first = publish(world)
    assert first.content["areas"][0]["schools"][0]["name"] == "Castle Primary"
    milestones = [date(2029, 7, 4), date(2029, 12, 4), date(2030, 1, 4), date(2030, 1, 5)]
    days = {start + timedelta(days=30 * n) for n in range(39)} | {
        day + timedelta(days=shift) for day in milestones for shift in (-1, 0, 1)
    }
    for day in sorted(days):
        run_on(day)
        run_on(day)  # and again the same day: nothing more

    people = [ADMIN, CASTLE_LEAD]
    assert told() == (
        [("award.expiring", to, date(2029, 7, 4)) for to in people]
        + [("award.expiring", to, date(2029, 12, 4)) for to in people]
        + [("award.lapsed", to, date(2030, 1, 5)) for to in people]
    )
    with scopes_disabled():
        reminded = list(
            Reminder.objects.order_by("on").values_list("what", "milestone", "key", "on")
        )
        lapses = list(
            AuditEntry.objects.filter(action="award.lapsed").values_list(
                "object_repr", "school__name", "before", "after"
            )
        )
    assert reminded == [
        ("award", "lead", "award.expiring", date(2029, 7, 4)),
        ("award", "month", "award.expiring", date(2029, 12, 4)),
        ("award", "lapsed", "award.lapsed", date(2030, 1, 5)),
    ]
    assert lapses == [
        (
            "Castle Primary: Inclusion Quality Mark (2027)",
            "Castle Primary",
            {"status": "current"},
            {"status": "lapsed"},
        )
    ]
    expiring = message("award.expiring", CASTLE_LEAD)
    assert (
        expiring.subject == "The Inclusion Quality Mark of Castle Primary expires on 4 January 2030"
    )
    assert "needs its reassessment decided by then" in expiring.body
    lapsed = message("award.lapsed", ADMIN)
    assert lapsed.subject == "The Inclusion Quality Mark of Castle Primary has lapsed"
    assert (
        "expired on 4 January 2030 and has lapsed. From the next publication of the list, the "
        "school is listed as working towards the Inclusion Quality Mark." in lapsed.body
    )
    assert f"/bathnes/schools/{world.other_school.pk}/" in lapsed.body

    # The published version is unchanged; the next one lists the school as working towards.
    with on(date(2030, 1, 5)):
        second = publish(world)
    with scopes_disabled():
        first.refresh_from_db()
    assert first.content["areas"][0]["schools"][0]["name"] == "Castle Primary"
    assert second.content["areas"] == []
    assert second.content["working_towards"] == [
        {"name": "Castle Primary"},
        {"name": "Chandag Infant"},  # its own cycle is under way
    ]


def publish(world):
    with scope(authority=world.authority):
        return publishing.publish(world.authority, None)


def test_the_lead_time_is_the_authoritys_and_a_missed_milestone_is_not_told_late(world):
    world.authority.reminder_lead_months = 3
    world.authority.save()
    award(world.other_school, awarded_on=date(2027, 1, 4))
    run_on(date(2029, 7, 4))  # six months before: not yet, for this authority
    run_on(date(2029, 10, 3))
    assert told() == []
    run_on(date(2029, 10, 4))
    # The job was down from then until after the month milestone: it tells the lapse only.
    run_on(date(2030, 1, 20))
    assert [(key, day) for key, to, day in told() if to == ADMIN] == [
        ("award.expiring", date(2029, 10, 4)),
        ("award.lapsed", date(2030, 1, 20)),
    ]


def test_awards_that_expired_before_the_job_ran_withdrawn_or_superseded_are_not_told(world):
    with on(date(2030, 1, 4)):
        # Expired long before the job first ran: the job says nothing of it.
        award(world.other_school, awarded_on=date(2026, 11, 1), expires_on=date(2029, 11, 1))
        # Withdrawn by a corrected decision.
        award(
            world.school,
            awarded_on=date(2027, 1, 10),
            expires_on=date(2030, 1, 10),
            withdrawn_at=timezone.now(),
        )
    # Renewed: Three Ways' Centre of Excellence gives way to this year's, and its Quality Mark
    # to its Centre of Excellence.
    three_ways = SchoolFactory(authority=world.authority, area=world.area, name="Three Ways")
    award(three_ways, Tier.QUALITY_MARK, date(2027, 1, 4), date(2030, 1, 4))
    award(three_ways, Tier.CENTRE_OF_EXCELLENCE, date(2029, 1, 20), date(2030, 1, 20))
    award(three_ways, Tier.CENTRE_OF_EXCELLENCE, date(2029, 12, 20), date(2030, 12, 20))
    for day in (date(2029, 12, 21), date(2030, 1, 5), date(2030, 1, 21)):
        run_on(day)
    assert told() == []


def test_a_review_is_due_for_an_excellence_award_with_none_registered(world):
    with on(date(2029, 1, 10)):
        award(world.other_school, Tier.CENTRE_OF_EXCELLENCE, expires_on=date(2030, 1, 10))
    run_on(date(2029, 7, 10))
    review_due = message("award.review_due", CASTLE_LEAD)
    assert review_due.subject == (
        "Castle Primary: the annual review of its Centre of Excellence is due"
    )
    assert "its annual review is not registered yet" in review_due.body
    with on(date(2029, 9, 1)), scope(authority=world.authority):
        Cycle.objects.create(
            authority=world.authority,
            school=world.other_school,
            kind=Cycle.Kind.CENTRE_OF_EXCELLENCE,
            framework=world.cycle.framework,
            mentor=world.people["mentor"],
        )
    run_on(date(2029, 12, 10))  # registered: the award is expiring, and the review renews it
    assert [(key, day) for key, to, day in told() if to == CASTLE_LEAD] == [
        ("award.review_due", date(2029, 7, 10)),
        ("award.expiring", date(2029, 12, 10)),
    ]
    assert "needs its annual review decided by then" in message("award.expiring", ADMIN).body


def test_a_lapsed_excellence_award_says_what_the_school_still_holds(world):
    award(world.other_school, Tier.QUALITY_MARK, date(2028, 3, 1), date(2031, 3, 1))
    award(world.other_school, Tier.CENTRE_OF_EXCELLENCE, date(2029, 1, 10), date(2030, 1, 10))
    run_on(date(2030, 1, 11))
    body = message("award.lapsed", CASTLE_LEAD).body
    assert "The school still holds the Inclusion Quality Mark." in body
    with on(date(2030, 1, 11)), scope(authority=world.authority):
        listed = publishing.current_list(world.authority)
    assert listed["areas"][0]["schools"][0]["tier"] == "Inclusion Quality Mark"
    assert listed["working_towards"] == [{"name": "Chandag Infant"}]


# Targets


def test_an_overdue_target_is_told_once_to_the_schools_leads_and_mentor(world):
    overdue = target(world, date(2027, 5, 1))
    target(world, date(2027, 5, 1), status=Target.Status.DONE)
    target(world, date(2027, 6, 1))  # not yet due
    for day in (date(2027, 5, 1), date(2027, 5, 2), date(2027, 5, 2), date(2027, 5, 20)):
        run_on(day)

    assert told() == [("targets.overdue", to, date(2027, 5, 2)) for to in CHANDAG_TOLD]
    sent = message("targets.overdue", MENTOR)
    assert sent.subject == "Chandag Infant: 1 action-plan target overdue"
    assert (
        "The deadline of 1 target of the action plan of Chandag Infant has passed, and it is not "
        "done:\n\n- 3 Leadership and management: Train the lunchtime staff in the behaviour policy "
        "(Lee Lead, due 1 May 2027)\n\n" in sent.body
    )
    assert f"/bathnes/cycles/{world.cycle.pk}/plan/" in sent.body

    # The second target falls due, and the first is given a new deadline that passes too: one
    # email for both.
    with scopes_disabled():
        Target.objects.filter(pk=overdue.pk).update(deadline=date(2027, 6, 1))
    run_on(date(2027, 6, 2))
    run_on(date(2027, 6, 3))
    second = [m for m in told() if m[2] == date(2027, 6, 2)]
    assert [to for _, to, _ in second] == CHANDAG_TOLD
    assert message_on(MENTOR, date(2027, 6, 2)).subject == (
        "Chandag Infant: 2 action-plan targets overdue"
    )


def message_on(to, day):
    with scopes_disabled():
        return next(
            m
            for m in OutboxMessage.objects.filter(to=to)
            if timezone.localdate(m.created_at) == day
        )


def test_a_decided_cycles_targets_are_not_told(world):
    target(world, date(2027, 5, 1))
    with scopes_disabled():
        Cycle.objects.filter(pk=world.cycle.pk).update(state=Cycle.State.DECIDED)
    run_on(date(2027, 5, 2))
    assert told() == []


# Tenancy


def test_another_authoritys_people_are_never_told_of_this_authoritys_schools(world):
    for school in (world.other_school, world.outsider_school):
        award(school, awarded_on=date(2027, 1, 4))
    target(world, date(2029, 7, 1))
    target(world, date(2029, 7, 1), cycle=world.outsider_cycle)
    run_on(date(2029, 7, 4))
    assert {to for _, to, _ in told(world.outsider_authority)} == {
        "admin@outsider.test",  # of the outsider's award
        "mentor@outsider.test",  # of the outsider's target
    }
    assert {to for _, to, _ in told(world.authority)} == {
        ADMIN,
        CASTLE_LEAD,
        *CHANDAG_TOLD,
    }
    with scopes_disabled():
        outsider_text = "".join(
            m.subject + m.body
            for m in OutboxMessage.objects.filter(authority=world.outsider_authority)
        )
    assert "Castle Primary" not in outsider_text
    assert "Chandag" not in outsider_text


def test_one_authority_failing_does_not_stop_the_others(world, monkeypatch):
    award(world.other_school, awarded_on=date(2027, 1, 4))
    award(world.outsider_school, awarded_on=date(2027, 1, 4))
    real = reminders.remind_awards

    def broken(authority, today):
        if authority == world.authority:
            raise RuntimeError("boom")
        return real(authority, today)

    monkeypatch.setattr(reminders, "remind_awards", broken)
    with pytest.raises(reminders.RemindersFailed, match="bathnes"):
        run_on(date(2029, 7, 4))
    assert [to for _, to, _ in told()] == ["admin@outsider.test"]


# Two workers at once


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_tell_each_milestone_once(world):
    today = timezone.localdate()
    award(world.other_school, awarded_on=today - timedelta(days=900), expires_on=today)
    target(world, today - timedelta(days=1))

    assert at_once(4, reminders.run, Exception) == ["ok", "ok", "ok", "ok"]

    with scopes_disabled():
        assert Reminder.objects.count() == 2
    everyone = sorted([ADMIN, CASTLE_LEAD, *CHANDAG_TOLD])
    assert sorted(to for _, to, _ in told()) == everyone
    assert sorted(email.to[0] for email in mail.outbox) == everyone


@pytest.mark.django_db(transaction=True)
def test_a_worker_waits_for_a_claim_being_made_and_then_sends_nothing(world):
    """Another worker has claimed the milestone and not yet committed: this one's claim waits for
    it, finds it taken, and queues nothing."""
    today = timezone.localdate()
    castle = award(world.other_school, awarded_on=today - timedelta(days=900), expires_on=today)
    outcome = []

    def second_worker():
        try:
            outcome.append(reminders.run())
        finally:
            connection.close()

    with transaction.atomic(), scope(authority=world.authority):
        assert reminders.claim(
            world.authority, "award", castle.pk, reminders.MONTH, "award.expiring", today
        )
        worker = threading.Thread(target=second_worker)
        worker.start()
        assert wait_for(lambda: _waiting_on_a_lock() == 1)
    worker.join()

    assert outcome == [0]
    assert told() == []
    with scopes_disabled():
        assert Reminder.objects.count() == 1


def _waiting_on_a_lock() -> int:
    """Sessions of this database waiting for a lock (read afresh: within a transaction,
    pg_stat_activity is otherwise a snapshot)."""
    connection.ensure_connection()
    # As the connecting user, past the execute wrapper that sets the application's role for the
    # transaction (authorities/rls.py), which sees only its own sessions' waits in
    # pg_stat_activity.
    with connection.connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('role', 'none', true), pg_stat_clear_snapshot(); "
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0]


def test_the_command_runs_the_job_now(world):
    award(world.other_school, awarded_on=date(2027, 1, 4))
    out = io.StringIO()
    with on(date(2029, 7, 4)):
        call_command("send_reminders", stdout=out)
        call_command("send_reminders", stdout=out)
    assert out.getvalue() == "1 reminder sent.\n0 reminders sent.\n"


# The emails


REMINDER_KINDS = ["award.expiring", "award.review_due", "award.lapsed", "targets.overdue"]
# Their texts with the kinds' example values.
PREVIEWS = {
    "award.expiring": (
        "The Inclusion Quality Mark of Chandag Infant School expires on 30 June 2029",
        "Hello,\n\nThe Inclusion Quality Mark of Chandag Infant School expires on 30 June "
        "2029. To keep it, the school needs its reassessment decided by then; otherwise the "
        "award lapses.\n\nhttps://iqm-portal.example.org/your-authority/cycles/123/\n\n"
        "Bath & North East Somerset – IQM Portal\n",
    ),
    "award.review_due": (
        "Chandag Infant School: the annual review of its Centre of Excellence is due",
        "Hello,\n\nThe Centre of Excellence of Chandag Infant School expires on 30 June 2027 "
        "and its annual review is not registered yet. To keep the award, the school needs "
        "its annual review decided by then: the authority registers the review, then the "
        "school writes its annual update.\n\n"
        "https://iqm-portal.example.org/your-authority/cycles/123/\n\n"
        "Bath & North East Somerset – IQM Portal\n",
    ),
    "award.lapsed": (
        "The Centre of Excellence of Chandag Infant School has lapsed",
        "Hello,\n\nThe Centre of Excellence of Chandag Infant School expired on 30 June 2027 "
        "and has lapsed. The school still holds the Inclusion Quality Mark.\n\n"
        "https://iqm-portal.example.org/your-authority/cycles/123/\n\n"
        "Bath & North East Somerset – IQM Portal\n",
    ),
    "targets.overdue": (
        "Chandag Infant School: 1 action-plan target overdue",
        "Hello,\n\nThe deadline of 1 target of the action plan of Chandag Infant School has "
        "passed, and it is not done:\n\n- 4 Staffing: Train lunchtime staff (Lee Lead, due 1 "
        "May 2027)\n\nhttps://iqm-portal.example.org/your-authority/cycles/123/\n\n"
        "Bath & North East Somerset – IQM Portal\n",
    ),
}


@pytest.mark.parametrize("key", REMINDER_KINDS)
def test_each_reminder_is_an_editable_template_that_previews_cleanly(admin_client, key):
    kind = get_kind(key)
    assert text_errors(kind, subject=kind.subject, body=kind.body) == {}
    response = admin_client.get(reverse("notifications:template_edit", args=["bathnes", key]))
    assert response.status_code == 200
    assert response.context["preview"] == PREVIEWS[key]


def test_the_authoritys_own_text_is_sent(world):
    with scope(authority=world.authority):
        save_template(
            authority=world.authority,
            by=None,
            key="award.expiring",
            subject="Renew {{ school }} by {{ expires_on|date:'j M Y' }}",
            body="{{ tier }}: {{ renewal }}.",
        )
    award(world.other_school, awarded_on=date(2027, 1, 4))
    run_on(date(2029, 7, 4))
    sent = message("award.expiring", CASTLE_LEAD)
    assert (sent.subject, sent.body) == (
        "Renew Castle Primary by 4 Jan 2030",
        "Inclusion Quality Mark: reassessment.\n",
    )


def test_beat_runs_the_task_early_every_morning(world, settings):
    entry = settings.CELERY_BEAT_SCHEDULE["notifications-send-reminders"]
    assert entry == {
        "task": "notifications.tasks.send_reminders",
        "schedule": crontab(hour=5, minute=30),
    }
    award(world.other_school, awarded_on=date(2027, 1, 4))
    with on(date(2029, 7, 4)):
        assert app.tasks[entry["task"]].apply().get() == 1
    assert [key for key, _, _ in told()] == ["award.expiring", "award.expiring"]
