"""Row locks: a cycle's step locks the cycle's row alone, and what locks an authority's or a
school's row to take its turn (a publication, the authority's settings, a GIAS import, a school's
details) leaves rows that refer to them free to be written (README, "Row locks")."""

import threading

import pytest
from django.db import connection
from django_scopes import scope

from assessments.models import Cycle
from audit.models import AuditEntry
from authorities import domain as authorities
from publishing import domain as publishing
from schools import domain as schools
from schools import gias

from .test_gias import SAMPLE_TEXT, import_text
from .test_workflow import _save_answer

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the locks are PostgreSQL's"
)


def _publish(world):
    publishing.publish(world.authority, world.people["authority_admin"])


def _change_settings(world):
    authorities.update_settings(
        authority=world.authority, by=world.people["authority_admin"], changes={"name": "BANES"}
    )


def _change_school(world):
    world.school.name = "Chandag Infant School"
    schools.save_school(
        authority=world.authority, by=world.people["authority_admin"], school=world.school
    )


# Each holder, and what it calls after taking its locks: where the test holds it.
HOLDERS = {
    "a publication": (_publish, publishing, "current_publication"),
    "the authority's settings": (_change_settings, authorities, "snapshot"),
    "a school's details": (_change_school, schools, "snapshot"),
    "a GIAS import": (lambda world: import_text(world, SAMPLE_TEXT), gias, "record"),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("holder", HOLDERS)
def test_an_autosave_and_its_step_do_not_wait_for_a_lock_on_the_authority_or_school(
    world, monkeypatch, holder
):
    """The holder runs in a thread (its own connection) and stops, its locks taken, until the
    autosave is done; the autosave gives up after two seconds' wait for a lock."""
    hold, module, after_lock = HOLDERS[holder]
    holding, release, errors = threading.Event(), threading.Event(), []
    original = getattr(module, after_lock)

    def held(*args, **kwargs):
        holding.set()
        if not release.wait(timeout=30):
            errors.append("the autosave did not end within 30 s")
        return original(*args, **kwargs)

    monkeypatch.setattr(module, after_lock, held)

    def run():
        try:
            with scope(authority=world.authority):
                hold(world)
        except Exception as error:  # reported below: a thread's exception is otherwise lost
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert holding.wait(timeout=30), errors
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        with scope(authority=world.authority):
            answer = _save_answer(world, world.cycle, world.people["school_coordinator"])
    finally:
        release.set()
        thread.join(timeout=30)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert not thread.is_alive()
    assert errors == []
    assert answer.version == 1
    with scope(authority=world.authority):
        assert Cycle.objects.get(pk=world.cycle.pk).state == Cycle.State.SELF_REVIEW
        assert AuditEntry.objects.filter(action="cycle.self_review_started").count() == 1
