"""PostgreSQL row-level security: the database's own copy of the application's tenancy scope.

django-scopes makes an unscoped ORM query on an authority-owned model raise. It cannot see a
raw query, a forward foreign key, `refresh_from_db()` or a cascade (those use the base
manager), so the database keeps a second line: every authority-owned table has a policy that
shows and accepts only the rows of the authority in the PostgreSQL setting `iqm.authority`.

The setting follows django-scopes' own state, so the one `scope()` / `scopes_disabled()` that
the application already enters is the single way in:

- inside `scope(authority=a)`: `iqm.authority` is a's id (a list of authorities: their ids);
- inside `scopes_disabled()`: `all` (platform pages, the national directory, sweeps over every
  authority, management commands);
- no scope: empty, and every authority-owned table reads as empty and refuses writes.

Every statement the application sends carries its setting: a connection execute wrapper puts
`SELECT set_config('iqm.authority', …, true), set_config('role', 'iqm_app', true);` in front of
it, in the same simple-query string. `true` makes both transaction-local (`SET LOCAL`): in an
atomic block they last until the next statement sets them again; in autocommit the two statements
form one implicit transaction. So a setting never outlives its transaction, a Celery worker's next
task starts from nothing, and nothing rests on the database session: behind a pooler in
transaction mode (PgBouncer), where each transaction may run on another server connection, every
statement still runs as the application's role, in its scope.

The application connects as the owner of the tables (or as a login role of its own) and works as
`DATABASE_APP_ROLE`, which owns nothing and is no superuser, so the policies apply (FORCE makes
them apply to the owner too). `migrate` and `flush` run as the owner (`as_owner()`); after each
migrate, `sync()` grants the role its privileges and (re)creates every policy from the ORM's
`ScopedManager` declarations, so a new authority-owned model is covered the day it is migrated.
"""

from contextlib import contextmanager
from contextvars import ContextVar

import environ
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.backends.base.base import NO_DB_ALIAS
from django_scopes.state import get_scope

SETTING = "iqm.authority"
ALL = "all"
POLICY = "iqm_authority"

# What a statement with no django-scopes scope may see. Always "" (nothing) in the application;
# the test suite's own fixtures and assertions (never a request or a task: both reset it) see
# every row, as a management command would.
unscoped_mode: ContextVar[str] = ContextVar("iqm_rls_unscoped_mode", default="")

_as_owner = False


def app_role() -> str:
    return settings.DATABASE_APP_ROLE


def mode() -> str:
    """The value of `iqm.authority` for the scope active now."""
    state = get_scope()
    if not state:
        return unscoped_mode.get()
    if not state.get("_enabled", True):
        return ALL
    authority = state.get("authority")
    if authority is None:
        return ""
    values = authority if isinstance(authority, (list, tuple, set, frozenset)) else [authority]
    return ",".join(str(int(getattr(value, "pk", value))) for value in values)


def prefix() -> str:
    value = mode()
    assert value == ALL or all(part.isdigit() for part in value.split(",") if part), value
    calls = f"set_config('{SETTING}', '{value}', true)"
    # As the owner, the role is reset: the transaction may have taken on the app's role before.
    role = "none" if _as_owner else app_role()
    if role:
        quoted = role.replace("'", "''")
        calls += f", set_config('role', '{quoted}', true)"
    return f"SELECT {calls}; "


# Transaction control reads no table, and a ROLLBACK TO SAVEPOINT runs in an aborted transaction,
# where any other statement, our set_config too, is refused.
TRANSACTION_CONTROL = ("ROLLBACK", "SAVEPOINT", "RELEASE", "COMMIT", "BEGIN", "SET ")


def execute_wrapper(execute, sql, params, many, context):
    if sql.lstrip()[:10].upper().startswith(TRANSACTION_CONTROL):
        return execute(sql, params, many, context)
    cursor = context["cursor"].cursor
    if getattr(cursor, "name", None):  # a server-side cursor's DECLARE takes one statement
        with context["connection"].connection.cursor() as plain:
            plain.execute(prefix())
        return execute(sql, params, many, context)
    return execute(prefix() + sql, params, many, context)


@contextmanager
def request_context():
    """A request or a task starts with nothing visible until it enters a scope."""
    token = unscoped_mode.set("")
    try:
        yield
    finally:
        unscoped_mode.reset(token)


def _uses_rls(connection) -> bool:
    return connection.vendor == "postgresql" and connection.alias != NO_DB_ALIAS


def on_connection_created(sender, connection, **kwargs):
    if not _uses_rls(connection):
        return
    if execute_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(execute_wrapper)
    with connection.connection.cursor() as cursor:
        # The policies' per-row checks raise the planner's cost estimates of large scans past
        # jit_above_cost, and compiling then takes a second where the query takes milliseconds.
        # A session setting, which a pooler in transaction mode does not keep: there, turn JIT
        # off for the whole database (README, "Running across machines").
        cursor.execute("SET jit = off")
        # The default cost of a random read (4, of a disk that seeks) makes the planner scan a
        # whole national table rather than look up one authority's rows in its index: the
        # visits' moderators of a page of cycles took a scan of every visit's. The tables live
        # in memory or on SSD, where a random read costs little more than a sequential one.
        cursor.execute("SET random_page_cost = 1.1")


@contextmanager
def as_owner():
    """Run as the tables' owner, for migrate and flush only: the connecting user (statements
    set no role), or MIGRATE_DATABASE_URL's user when the portal itself connects as its own role."""
    global _as_owner
    if _as_owner:
        yield
        return
    _as_owner = True
    token = unscoped_mode.set(ALL)  # a data migration reads every authority's rows
    try:
        with _owner_credentials():
            yield
    finally:
        _as_owner = False
        unscoped_mode.reset(token)


CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")


@contextmanager
def _owner_credentials():
    url = settings.MIGRATE_DATABASE_URL
    connection = connections["default"]
    if not url or not _uses_rls(connection):
        yield
        return
    owner = environ.Env.db_url_config(url)
    saved = {key: connection.settings_dict.get(key) for key in CREDENTIALS}
    connection.close()
    connection.settings_dict.update({key: owner.get(key, "") for key in CREDENTIALS})
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


# Policies -----------------------------------------------------------------------------------


def scoped_path(model) -> str | None:
    """The lookup a model's ScopedManager filters its authority by ("authority",
    "cycle__authority", …), or None for a model that is not authority-owned."""
    manager = model._default_manager
    get_queryset = type(manager).get_queryset
    code, closure = get_queryset.__code__, get_queryset.__closure__ or ()
    cells = dict(zip(code.co_freevars, (cell.cell_contents for cell in closure), strict=True))
    scopes = cells.get("scopes")
    if not isinstance(scopes, dict) or "get_scope" not in code.co_names:
        return None
    return scopes.get("authority")


def _quote(name):
    return '"' + name.replace('"', '""') + '"'


# Each in a subquery of its own, so that PostgreSQL reads the setting once per statement (an
# InitPlan) rather than parsing it again for every row it checks.
EVERY_AUTHORITY = f"(SELECT current_setting('{SETTING}', true) = '{ALL}')"
IN_SCOPE = (
    f"(SELECT string_to_array(NULLIF(current_setting('{SETTING}', true), '{ALL}'), ','))::bigint[]"
)


def _in_scope(column, nullable) -> str:
    condition = f"{EVERY_AUTHORITY} OR {column} = ANY ({IN_SCOPE})"
    if nullable:
        condition += f" OR {column} IS NULL"
    return condition


def policies() -> dict[str, str]:
    """Each authority-owned table and the condition its rows must meet."""
    result = {}
    for model in apps.get_models():
        path = scoped_path(model)
        if path is None or model._meta.proxy or not model._meta.managed:
            continue
        first = path.split("__")[0]
        field = model._meta.get_field(first)
        if path == "authority":
            result[model._meta.db_table] = _in_scope(_quote(field.column), field.null)
        else:
            parent = field.related_model._meta
            # The parent is itself under row-level security, so it answers for its own scope.
            # OFFSET 0 keeps the check a lookup of each row's parent by its key: without it, the
            # planner may hash the parent's rows of the scope instead, reading the whole parent
            # table (every cycle of the country) to check a page of one cycle's evidence.
            result[model._meta.db_table] = (
                f"{EVERY_AUTHORITY} OR EXISTS (SELECT 1 FROM "
                f"{_quote(parent.db_table)} parent WHERE parent.{_quote(parent.pk.column)} = "
                f"{_quote(model._meta.db_table)}.{_quote(field.column)} OFFSET 0)"
            )
    return result


def sync(using="default"):
    """Create the application's role if need be, grant it the tables, and (re)create every
    authority-owned table's policy. Idempotent; runs as the owner after every migrate. The
    policies follow today's models, so they are made only once every migration is applied (a
    migration back to an old state, in a test, keeps the grants; its DROP … CASCADE takes the
    policies of what it drops)."""
    from django.db.migrations.executor import MigrationExecutor

    connection = connections[using]
    if not _uses_rls(connection):
        return
    executor = MigrationExecutor(connection)
    up_to_date = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    role = app_role()
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        if role:
            quoted = connection.ops.quote_name(role)
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                try:
                    cursor.execute(f"CREATE ROLE {quoted} NOLOGIN NOSUPERUSER NOBYPASSRLS")
                except Exception as error:
                    raise ImproperlyConfigured(
                        f"The database role {role!r} (DATABASE_APP_ROLE) does not exist and this "
                        f"user may not create it: create it, NOLOGIN, and grant it to the user "
                        f"that runs migrations. ({error})"
                    ) from error
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if not cursor.fetchone()[0] and not settings.MIGRATE_DATABASE_URL:
                cursor.execute(f"GRANT {quoted} TO current_user")  # so that it may SET ROLE
            schema = connection.ops.quote_name(_schema(cursor))
            cursor.execute(f"GRANT USAGE ON SCHEMA {schema} TO {quoted}")
            cursor.execute(
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {quoted}"
            )
            cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {quoted}")
        for table, condition in policies().items() if up_to_date else ():
            if table not in existing:
                continue
            name = _quote(table)
            cursor.execute(
                f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY; "
                f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY; "
                f"DROP POLICY IF EXISTS {POLICY} ON {name}; "
                f"CREATE POLICY {POLICY} ON {name} USING ({condition}) WITH CHECK ({condition})"
            )


def _schema(cursor) -> str:
    cursor.execute("SELECT current_schema()")
    return cursor.fetchone()[0]


def on_post_migrate(sender, using="default", **kwargs):
    if "plan" not in kwargs:  # flush: the tables, grants and policies are all still there
        return
    with as_owner():
        sync(using)


# Celery: a task, like a request, starts with nothing visible (tasks run eagerly in the test
# process would otherwise inherit the test's own unscoped mode).
_task_tokens = {}


def on_task_prerun(task_id=None, **kwargs):
    _task_tokens[task_id] = unscoped_mode.set("")


def on_task_postrun(task_id=None, **kwargs):
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        try:
            unscoped_mode.reset(token)
        except ValueError:  # set in another context: that context ends with the task anyway
            pass
