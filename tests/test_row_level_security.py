"""PostgreSQL row-level security, the second line behind django-scopes (authorities/rls.py)."""

import os
import time

import pytest
from celery import shared_task
from django.apps import apps
from django.db import ProgrammingError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from assessments import workflow
from authorities import rls
from authorities.tasks import authority_task
from schools.models import School

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row-level security is PostgreSQL's"
)


@pytest.fixture
def as_the_application():
    """No scope means what it means in the application: nothing (the suite's own fixtures and
    assertions otherwise see every row, tests/conftest.py)."""
    token = rls.unscoped_mode.set("")
    yield
    rls.unscoped_mode.reset(token)


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] if len(row) == 1 else row for row in cursor.fetchall()]


def plans(sql, params) -> tuple[list, list]:
    """The statement's plan at the cost of a random read the application sets (authorities/rls.py),
    then at PostgreSQL's default: a disk's."""
    plan = raw("EXPLAIN " + sql, params)
    raw("SET LOCAL random_page_cost = 4; SELECT 1")
    return plan, raw("EXPLAIN " + sql, params)


def how_read(plan, table) -> list[str]:
    """How the plan reads the table: "->  Index Scan" for "->  Index Scan using … on table"."""
    nodes = [line.strip() for line in plan if f" on {table}" in line]
    return [node.split(" on ")[0].split(" using ")[0] for node in nodes]


SCHOOLS = "SELECT name FROM schools_school ORDER BY name"
ALL_SCHOOLS = ["Castle Primary", "Chandag Infant", "Outsider Academy"]


def test_a_raw_query_with_no_authority_set_reads_zero_rows(world, as_the_application):
    assert raw(SCHOOLS) == []
    assert raw("SELECT count(*) FROM accounts_membership") == [0]
    assert raw("SELECT count(*) FROM assessments_element") == [0]  # through its framework
    with scopes_disabled():
        assert raw(SCHOOLS) == ALL_SCHOOLS  # the rows are there


def test_a_raw_query_in_an_authoritys_scope_reads_only_its_rows(world, as_the_application):
    with scope(authority=world.outsider_authority):
        assert raw(SCHOOLS) == ["Outsider Academy"]
        # A table with no authority column answers through its parent (element -> framework).
        assert raw("SELECT count(*) FROM assessments_element") == [10]
        assert raw("SELECT DISTINCT authority_id FROM assessments_cycle") == [
            world.outsider_authority.pk
        ]
    with scope(authority=world.authority):
        assert raw(SCHOOLS) == ["Castle Primary", "Chandag Infant"]
    with scope(authority=[world.authority, world.outsider_authority]):
        assert raw(SCHOOLS) == ALL_SCHOOLS


def test_the_base_manager_is_bound_too(world, as_the_application):
    """refresh_from_db() and forward foreign keys use the base manager, which django-scopes
    does not filter: the database still refuses another authority's row."""
    with scope(authority=world.authority), pytest.raises(School.DoesNotExist):
        School._base_manager.get(pk=world.outsider_school.pk)
    with pytest.raises(School.DoesNotExist):  # no scope at all
        world.school.refresh_from_db()


def test_writes_with_another_authoritys_id_are_refused(world, as_the_application):
    with scope(authority=world.authority):
        with (
            pytest.raises(ProgrammingError, match="violates row-level security policy"),
            transaction.atomic(),
        ):
            School.objects.create(
                authority=world.outsider_authority, name="Planted", urn="999999", phase="infant"
            )
        with (
            pytest.raises(ProgrammingError, match="violates row-level security policy"),
            transaction.atomic(),
        ):
            raw_execute(
                "UPDATE schools_school SET authority_id = %s WHERE id = %s",
                [world.outsider_authority.pk, world.school.pk],
            )
        # Another authority's rows cannot be changed or deleted: to this scope they do not exist.
        assert (
            raw_rowcount(
                "UPDATE schools_school SET name = 'X' WHERE id = %s", [world.outsider_school.pk]
            )
            == 0
        )
        assert (
            raw_rowcount("DELETE FROM schools_school WHERE id = %s", [world.outsider_school.pk])
            == 0
        )
    # django-scopes lets create() through with no scope; the database does not.
    with (
        pytest.raises(ProgrammingError, match="violates row-level security policy"),
        transaction.atomic(),
    ):
        School.objects.create(authority=world.authority, area=world.area, name="Unscoped")
    with scopes_disabled():
        assert raw(SCHOOLS) == ALL_SCHOOLS


def raw_execute(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def raw_rowcount(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def test_the_application_role_is_neither_owner_nor_superuser(db):
    assert raw(
        "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    ) == [("iqm_app", False, False)]
    assert raw("SELECT count(*) FROM pg_tables WHERE tableowner = current_user") == [0]
    assert raw("SELECT has_table_privilege('schools_school', 'TRUNCATE')") == [False]


def test_every_authority_owned_table_is_forced_under_its_policy(db):
    scoped = sorted(model._meta.db_table for model in apps.get_models() if rls.scoped_path(model))
    assert len(scoped) >= 50
    assert sorted(rls.policies()) == scoped
    rows = raw(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
        "(SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) "
        "FROM pg_class c WHERE c.relname = ANY(%s) ORDER BY c.relname",
        [scoped],
    )
    assert rows == [(table, True, True, 1) for table in scoped]


def test_the_setting_follows_the_scope(world, as_the_application):
    assert rls.mode() == ""
    with scope(authority=world.authority):
        assert rls.mode() == str(world.authority.pk)
        with scopes_disabled():
            assert rls.mode() == "all"
        with scope(authority=None):
            assert rls.mode() == ""
    with CaptureQueriesContext(connection) as queries, scope(authority=world.authority):
        raw(SCHOOLS)
    # The settings ride in the statement's own string: one query to the database, not two.
    assert [q["sql"] for q in queries.captured_queries] == [
        f"SELECT set_config('iqm.authority', '{world.authority.pk}', true), "
        f"set_config('role', 'iqm_app', true); {SCHOOLS}"
    ]


@pytest.mark.django_db(transaction=True)
def test_the_setting_ends_with_its_transaction(as_the_application):
    with scope(authority=42):
        raw("SELECT 1")
        with transaction.atomic():
            raw("SELECT 1")
            assert unwrapped("SELECT current_setting('iqm.authority', true)") == "42"
    assert unwrapped("SELECT current_setting('iqm.authority', true)") == ""


def unwrapped(sql):
    """A statement sent without the execute wrapper's settings."""
    with connection.connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_nothing_rests_on_the_database_session(world, as_the_application):
    """A pooler in transaction mode (PgBouncer) may run each transaction on another server
    connection, which never saw what an earlier one set for its session: every statement carries
    the role as well as the scope, and the session itself keeps neither."""
    assert unwrapped("SELECT current_user") == "postgres"
    assert raw("SELECT current_user") == ["iqm_app"]
    with scope(authority=world.authority):
        assert raw(SCHOOLS) == ["Castle Primary", "Chandag Infant"]
        with transaction.atomic():
            assert raw(SCHOOLS) == ["Castle Primary", "Chandag Infant"]
            assert unwrapped("SELECT current_user") == "iqm_app"
    assert unwrapped("SELECT current_user") == "postgres"
    assert unwrapped("SELECT count(*) FROM schools_school") == 3  # the superuser, unbound


# One worker process, one task after another -------------------------------------------------

SEEN = []


@authority_task()
def schools_seen(authority):
    SEEN.append((authority.slug, raw(SCHOOLS), (os.getpid(), raw("SELECT pg_backend_pid()")[0])))


@shared_task(name="tests.test_row_level_security.schools_seen_unscoped")
def schools_seen_unscoped():
    SEEN.append((None, raw(SCHOOLS), (os.getpid(), raw("SELECT pg_backend_pid()")[0])))


@shared_task(name="tests.test_row_level_security.close_connection")
def close_connection():
    connection.close()
    SEEN.append("closed")


@pytest.mark.real_worker
@pytest.mark.django_db(transaction=True)
def test_a_task_sees_nothing_of_the_previous_tasks_authority(world, worker, monkeypatch):
    from iqm_portal.celery import app

    # The worker keeps its database connection from task to task (Celery's Django fixup would
    # close it after each), so a setting that outlived its task would show in the next.
    fixup = next(f for f in app._fixups if hasattr(f, "worker_fixup"))
    monkeypatch.setattr(fixup.worker_fixup, "db_reuse_max", 100)
    SEEN.clear()
    schools_seen.delay(world.authority.pk)
    schools_seen.delay(world.outsider_authority.pk)
    schools_seen_unscoped.delay()
    close_connection.delay()
    deadline = time.monotonic() + 20
    while len(SEEN) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [(slug, names) for slug, names, _ in SEEN[:3]] == [
        ("bathnes", ["Castle Primary", "Chandag Infant"]),
        ("outsider", ["Outsider Academy"]),
        (None, []),
    ]
    # One worker process (the real worker runs in a thread of this one: tests/conftest.py) and
    # one database session, one task after another.
    assert len({session for _, _, session in SEEN[:3]}) == 1
    assert SEEN[0][2][0] == os.getpid()


def test_a_persons_authorities_are_read_across_authorities(client, world):
    """The navigation lists every authority the person works in, though the page is one
    authority's, whose scope shows the database only that authority's memberships."""
    from django.urls import reverse

    from .factories import MembershipFactory

    person = world.people["authority_admin"]
    MembershipFactory(authority=world.outsider_authority, user=person, role="mentor")
    client.force_login(person)
    response = client.get(reverse("dashboard", args=["bathnes"]))
    assert [a.slug for a in response.context["my_authorities"]] == ["bathnes", "outsider"]
    client.force_login(world.outsider)
    assert client.get(reverse("home")).url == reverse("dashboard", args=["outsider"])


@pytest.fixture
def login_role():
    """A login role of this test's own (roles are the whole cluster's), made as the owner."""
    import psycopg2

    name = "iqm_rls_test_owner"
    params = {
        k: v
        for k, v in connection.get_connection_params().items()
        if k not in ("database", "dbname")
    }
    admin = psycopg2.connect(**params, dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP ROLE IF EXISTS {name}")
        cursor.execute(f"CREATE ROLE {name} LOGIN")
    yield name
    connection.close()
    with admin.cursor() as cursor:
        cursor.execute(f"DROP ROLE {name}")
    admin.close()


@pytest.mark.django_db(transaction=True)
def test_migrate_and_flush_may_connect_as_another_user(settings, login_role):
    """With MIGRATE_DATABASE_URL the portal's DATABASE_URL may be its own login role: migrate
    and flush (rls.as_owner) connect as the owner, and the portal's next query as itself."""
    settings.MIGRATE_DATABASE_URL = f"postgres://{login_role}@127.0.0.1:5432/ignored"
    assert raw("SELECT current_user, session_user") == [("iqm_app", "postgres")]
    with rls.as_owner():
        assert raw("SELECT current_user, session_user") == [(login_role, login_role)]
    assert raw("SELECT current_user, session_user") == [("iqm_app", "postgres")]


@pytest.mark.django_db(transaction=True)
def test_iterating_a_queryset_outside_a_transaction_reads_the_scope_rows(world, as_the_application):
    """Form choices iterate their queryset (QuerySet.iterator()); a server-side cursor would be
    declared apart from the statement that sets the authority, and read nothing."""
    assert connection.get_autocommit()
    with scope(authority=world.authority):
        names = [school.name for school in School.objects.order_by("name").iterator()]
    assert names == ["Castle Primary", "Chandag Infant"]


# One web process, one kept connection, one request after another ----------------------------


def boom(request, authority_slug):
    """Reads its authority's schools in a transaction, then fails in the database mid-request."""
    with transaction.atomic():
        list(School.objects.all())
        raw("SELECT 1 / 0")


def _failing_urls():
    from django.urls import include, path

    from authorities.access import ADMIN, authority_view

    return [
        path("<slug:authority_slug>/boom/", authority_view(*ADMIN)(boom)),
        path("", include("iqm_portal.urls")),
    ]


urlpatterns = []  # this module is the URLconf of the tests below (with_a_failing_view)


@pytest.fixture
def with_a_failing_view(settings):
    urlpatterns[:] = _failing_urls()
    settings.ROOT_URLCONF = __name__
    yield
    urlpatterns.clear()


@pytest.fixture
def kept_connection(monkeypatch):
    """Connections kept as in production (settings: CONN_MAX_AGE), and requests served as a WSGI
    server serves them: Django's own request_started / request_finished close a connection only
    when it is too old or broken (the test client never closes one)."""
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 600)
    connection.close()  # opened under the test settings' own CONN_MAX_AGE


def served(path, user=None):
    """The response to a GET of `path` through Django's WSGI handler, signed in as `user`, and the
    database session the request used."""
    from wsgiref.util import setup_testing_defaults

    from django.core.handlers.wsgi import WSGIHandler
    from django.test import Client

    environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "HTTP_HOST": "localhost"}
    if user is not None:
        client = Client()
        client.force_login(user)
        environ["HTTP_COOKIE"] = f"sessionid={client.cookies['sessionid'].value}"
    setup_testing_defaults(environ)
    status = []
    response = WSGIHandler()(environ, lambda code, headers: status.append(int(code[:3])))
    body = b"".join(response).decode()
    response.close()  # request_finished: the connection is kept, or closed if too old or broken
    kept = connection.connection
    return status[0], body, kept.info.backend_pid if kept else None


def school_names(body):
    import re

    return re.findall(r'<tr><td><a href="/[a-z]+/schools/\d+/">([^<]+)</a>', body)


@pytest.mark.django_db(transaction=True)
def test_a_kept_connection_carries_nothing_from_one_request_to_the_next(world, kept_connection):
    first = served("/bathnes/schools/", world.people["authority_admin"])
    second = served("/outsider/schools/", world.outsider)
    third = served("/bathnes/schools/")  # signed out: sent to sign in, reading nothing
    assert (first[0], school_names(first[1])) == (200, ["Castle Primary", "Chandag Infant"])
    assert (second[0], school_names(second[1])) == (200, ["Outsider Academy"])
    assert third[0] == 302
    sessions = [first[2], second[2], third[2]]
    assert None not in sessions and len(set(sessions)) == 1  # one database session, kept
    assert unwrapped("SELECT current_setting('iqm.authority', true)") == ""
    assert unwrapped("SELECT current_user") == "postgres"  # the role, too, only per transaction


@pytest.mark.django_db(transaction=True)
def test_a_request_that_fails_in_the_database_leaves_nothing_to_the_next(
    world, kept_connection, with_a_failing_view
):
    failed = served("/bathnes/boom/", world.people["authority_admin"])
    after = served("/outsider/schools/", world.outsider)
    assert failed[0] == 500
    assert (after[0], school_names(after[1])) == (200, ["Outsider Academy"])
    assert failed[2] == after[2] is not None  # still usable after the error, so it was kept
    assert not connection.in_atomic_block
    assert unwrapped("SELECT current_setting('iqm.authority', true)") == ""
    assert unwrapped("SELECT current_user") == "postgres"  # the role, too, only per transaction


def test_a_row_is_checked_by_its_parents_key_not_against_the_whole_parent_table(
    world, as_the_application
):
    """A child table's policy looks up each row's parent by its key. Left to choose, the planner
    hashed the scope's rows of the parent instead, reading the whole parent table (every cycle of
    the country) to check one cycle's evidence: the portfolio page grew by two thirds from 1,000
    schools to 24,000."""
    cycle, other = world.cycle, world.outsider_cycle
    columns = (
        "kind, state, return_comment, created_at, authority_id, mentor_id, school_id, framework_id"
    )
    with scopes_disabled():
        added = raw(  # the country's other cycles
            f"INSERT INTO assessments_cycle ({columns}) SELECT {columns} FROM assessments_cycle, "
            "generate_series(1, 5000) WHERE id = %s RETURNING id",
            [other.pk],
        )
        raw(
            "INSERT INTO portfolios_evidenceitem (url, original_name, title, description, "
            "created_at, added_by_id, cycle_id) SELECT 'https://example.org/' || n, '', "
            "'Evidence ' || n, '', now(), %s, %s FROM generate_series(1, 100) n RETURNING 1",
            [cycle.mentor_id, cycle.pk],
        )
    with rls.as_owner():  # the planner's statistics, as autovacuum would gather them
        raw("ANALYZE assessments_cycle, portfolios_evidenceitem; SELECT 1")
    try:
        with scope(authority=world.authority):
            plan = raw(
                "EXPLAIN SELECT * FROM portfolios_evidenceitem WHERE cycle_id = %s", [cycle.pk]
            )
            assert raw("SELECT count(*) FROM portfolios_evidenceitem") == [100]
    finally:  # statistics outlive the test's transaction: leave them as the other tests found them
        with rls.as_owner():
            raw(
                "DELETE FROM portfolios_evidenceitem WHERE cycle_id = %s; "
                "DELETE FROM assessments_cycle WHERE id = ANY(%s); "
                "ANALYZE assessments_cycle, portfolios_evidenceitem; SELECT 1",
                [cycle.pk, added],
            )
    parents_read = [line.strip() for line in plan if "assessments_cycle parent" in line]
    assert [line.split("  (cost")[0] for line in parents_read] == [
        "->  Index Scan using assessments_cycle_pkey on assessments_cycle parent"
    ]
    assert not [line for line in plan if "hashed SubPlan" in line]


def test_a_page_of_cycles_finds_its_visits_moderators_by_index_not_by_scanning_the_countrys(
    world, as_the_application
):
    """At the default cost of a random read (a disk that seeks), the planner hashed every visit's
    moderators in the country to find those of a dashboard's 40 cycles: 3.8 ms at 24,000 schools,
    1.8 ms by index (authorities/rls.py sets the cost of a database in memory or on SSD)."""
    other = world.outsider_cycle
    columns = (
        "kind, state, return_comment, created_at, authority_id, mentor_id, school_id, framework_id"
    )
    with scopes_disabled():
        first, second = raw("SELECT id FROM accounts_user ORDER BY id LIMIT 2")
        added = raw(  # the country's other cycles, each visited by two moderators
            f"INSERT INTO assessments_cycle ({columns}) SELECT {columns} FROM assessments_cycle, "
            "generate_series(1, 4000) WHERE id = %s RETURNING id",
            [other.pk],
        )
        raw(
            "WITH v AS (INSERT INTO moderation_visit (date, created_at, cycle_id, planned_by_id) "
            "SELECT now(), now(), id, %s FROM unnest(%s) id RETURNING id) "
            "INSERT INTO moderation_visit_moderators (visit_id, user_id) "
            "SELECT v.id, u FROM v, unnest(ARRAY[%s, %s]) u RETURNING 1",
            [first, added, first, second],
        )
    tables = "assessments_cycle, moderation_visit, moderation_visit_moderators"
    with rls.as_owner():  # the planner's statistics, as autovacuum would gather them
        raw(f"ANALYZE {tables}; SELECT 1")
    cycles = [world.cycle.pk, *added[:39]]
    try:
        with scope(authority=world.authority):
            sql = workflow._facts_sql("default").format(
                cycles=", ".join(["%s"] * len(cycles)), schools="%s"
            )
            plan, at_a_disks_cost = plans(sql, [*cycles] * 3 + [world.cycle.school_id])
    finally:  # statistics outlive the test's transaction: leave them as the other tests found them
        with rls.as_owner():
            raw(
                "DELETE FROM moderation_visit_moderators WHERE visit_id IN (SELECT id FROM "
                "moderation_visit WHERE cycle_id = ANY(%s)); "
                "DELETE FROM moderation_visit WHERE cycle_id = ANY(%s); "
                f"DELETE FROM assessments_cycle WHERE id = ANY(%s); ANALYZE {tables}; SELECT 1",
                [added, added, added],
            )

    assert how_read(plan, "moderation_visit_moderators m") == ["->  Index Scan"]
    assert how_read(at_a_disks_cost, "moderation_visit_moderators m") == ["->  Seq Scan"]


def test_the_people_page_reads_each_members_person_by_key_not_the_countrys_users(
    world, as_the_application
):
    """The people page joins each membership to its person to sort them by name. At the default
    cost of a random read, the planner hashed every user in the country to sort an authority's
    members (45 ms against 2 ms at 27,000 users; README, "Performance")."""
    from accounts.domain import memberships_by_name

    with scopes_disabled():
        added = raw(  # the country's people
            "INSERT INTO accounts_user (password, is_superuser, email, full_name, is_active, "
            "is_staff, date_joined) SELECT '', false, 'person' || n || '@country.test', "
            "'Person ' || n, true, false, now() FROM generate_series(1, 30000) n RETURNING id"
        )
        ours = added[::37]  # 811 of them members of this authority, the rest of another
        raw(
            "INSERT INTO accounts_membership (authority_id, user_id, role, created_at) "
            "SELECT CASE WHEN id = ANY(%s) THEN %s ELSE %s END, id, 'mentor', now() "
            "FROM unnest(%s) id RETURNING 1",
            [ours, world.authority.pk, world.outsider_authority.pk, added],
        )
    tables = "accounts_user, accounts_membership"
    with rls.as_owner():  # the planner's statistics, as autovacuum would gather them
        raw(f"ANALYZE {tables}; SELECT 1")
    try:
        with scope(authority=world.authority):
            plan, at_a_disks_cost = plans(*memberships_by_name()[:50].query.sql_with_params())
    finally:  # statistics outlive the test's transaction: leave them as the other tests found them
        with rls.as_owner():
            raw(
                "DELETE FROM accounts_membership WHERE user_id = ANY(%s); "
                f"DELETE FROM accounts_user WHERE id = ANY(%s); ANALYZE {tables}; SELECT 1",
                [added, added],
            )

    assert how_read(plan, "accounts_user") == ["->  Index Scan"]
    assert how_read(at_a_disks_cost, "accounts_user") == ["->  Seq Scan"]


def test_a_policy_reads_the_authority_setting_once_per_statement_not_for_every_row(
    world, as_the_application
):
    """Parsed again in each row's check, the setting cost more than the query's own filters: a
    dashboard's count of a person's cases in an authority of 231 cycles ran in 0.8 ms, and in
    0.16 ms with the setting read once (an InitPlan)."""
    with scope(authority=world.authority):
        plans = [
            raw(
                "EXPLAIN SELECT * FROM assessments_cycle WHERE mentor_id = %s",
                [world.cycle.mentor_id],
            ),
            raw(
                "EXPLAIN SELECT * FROM portfolios_evidenceitem WHERE cycle_id = %s",
                [world.cycle.pk],
            ),
        ]
    for plan in plans:
        filters = [line.strip() for line in plan if line.strip().startswith("Filter:")]
        assert filters
        assert [line for line in filters if "current_setting" in line] == []
        assert [line.strip() for line in plan if line.strip().startswith("InitPlan")]
