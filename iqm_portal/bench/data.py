"""The databases `make bench` and `make load` measure on: each dedicated to one data set of
`manage.py generate_scale_data`, made once and kept for the next run.

Which data set a database holds is written on the database itself, as its PostgreSQL comment
("iqm bench: <the generator's arguments>"), so a run with the same arguments reuses it (after
migrating) and any other arguments make it anew. A database that exists without such a comment
is someone else's: it is refused, never dropped.
"""

import shlex

import psycopg2
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connections
from psycopg2 import sql

MARK = "iqm bench: "


class NotOurs(Exception):
    """The database exists and holds something other than a bench data set."""


def connect(dbname: str):
    """A connection to another database of the server, as the portal's database user."""
    database = settings.DATABASES["default"]
    connection = psycopg2.connect(
        dbname=dbname,
        user=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        host=database.get("HOST") or None,
        port=database.get("PORT") or None,
    )
    connection.autocommit = True
    return connection


def comment_of(cursor, name: str) -> str | None:
    """The database's comment ("" when it has none), or None when there is no such database."""
    cursor.execute(
        "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database "
        "WHERE datname = %s",
        [name],
    )
    row = cursor.fetchone()
    return None if row is None else row[0]


def has_tables(name: str) -> bool:
    connection = connect(name)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            return cursor.fetchone()[0] > 0
    finally:
        connection.close()


def _set_comment(server, name: str, comment: str) -> None:
    with server.cursor() as cursor:
        cursor.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(name), sql.Literal(comment)
            )
        )


def prepare(generate_args: str, log=print) -> None:
    """Makes sure the portal's database (DATABASE_URL) holds the data set that
    `generate_scale_data <generate_args>` makes, migrated, and empties the cache (CACHE_URL: a
    Redis database of the bench's own), which may hold pages of another data set with the same
    ids."""
    name = settings.DATABASES["default"]["NAME"]
    mark = MARK + " ".join(shlex.split(generate_args))
    connections["default"].close()
    server = connect("postgres")
    try:
        with server.cursor() as cursor:
            comment = comment_of(cursor, name)
        if comment == mark:
            log(f"{name} holds generate_scale_data {generate_args} already.")
            call_command("migrate", interactive=False, verbosity=0)
        else:
            if comment is not None and not comment.startswith(MARK) and has_tables(name):
                raise NotOurs(
                    f"{name} exists and holds other data than a bench data set: give the bench "
                    "a database of its own (BENCH_DATABASE_URL)."
                )
            log(f"Making {name} anew: generate_scale_data {generate_args}")
            with server.cursor() as cursor:
                cursor.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            # Ours from now on: a run that stops half-way leaves a database made anew next time.
            _set_comment(server, name, MARK + "(unfinished)")
            call_command("migrate", interactive=False, verbosity=0)
            call_command("generate_scale_data", *shlex.split(generate_args))
            _set_comment(server, name, mark)
    finally:
        server.close()
    cache.clear()
