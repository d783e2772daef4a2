"""Backups: the database and every stored file, in one directory with a manifest; and restoring one
into an empty database and storage, with every hash checked.

A backup is a directory `iqm-backup-<UTC time>` holding

- `manifest.json`: when it was made, the Django migrations applied, the database dump's file name,
  size and SHA-256, and every stored file's name, size and SHA-256. No host, user, password,
  bucket or key: nothing in it opens the database or the storage;
- `database.dump` (PostgreSQL: pg_dump's custom format) or `database.sqlite3` (SQLite: a copy made
  with SQLite's online backup API, consistent while the portal runs);
- `files/<name>`: every file in the default storage (file system or S3), under its storage name.

The database is dumped before the files are copied. Stored files are never overwritten (a name in
use gets a new one) and are named before the row that points at them is committed, so every file
the dump refers to is already in the storage when the copy starts.
"""

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from authorities import stamps
from authorities.rls import as_owner

FORMAT = 1
MANIFEST = "manifest.json"
FILES = "files"
PREFIX = "iqm-backup-"
NAME = re.compile(r"^iqm-backup-\d{8}T\d{6}(\.\d{6})?Z$")
CHUNK = 1024 * 1024
DUMPS = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass
class Restored:
    database: str  # what was restored into: "PostgreSQL database iqm" or "SQLite file …"
    files_written: int = 0
    files_already_there: int = 0
    files_replaced: int = 0
    pending_migrations: list = field(default_factory=list)


def sha256_of(stream):
    """SHA-256 (hex) and size of a binary stream, read in chunks."""
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _hash_path(path):
    with open(path, "rb") as stream:
        return sha256_of(stream)


def vendor(using="default"):
    engine = connections[using].vendor
    if engine not in DUMPS:
        raise BackupError(
            f"Backups support PostgreSQL and SQLite, not {engine}: use that database's own tools."
        )
    return engine


# --- PostgreSQL client programs ---------------------------------------------------------------


def pg_program(name):
    """The path of pg_dump or pg_restore: in PG_BINDIR if set, else in `pg_config --bindir` (on
    Debian the version-specific /usr/lib/postgresql/<major>/bin), else on PATH."""
    folders = []
    if settings.PG_BINDIR:
        folders.append(settings.PG_BINDIR)
    elif pg_config := shutil.which("pg_config"):
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=30)
        if found.returncode == 0 and found.stdout.strip():
            folders.append(found.stdout.strip())
    for folder in folders:
        candidate = Path(folder) / name
        if os.access(candidate, os.X_OK):
            return str(candidate)
    if not settings.PG_BINDIR and (on_path := shutil.which(name)):
        return on_path
    where = f"in PG_BINDIR ({settings.PG_BINDIR})" if settings.PG_BINDIR else "on PATH"
    raise BackupError(
        f"{name} was not found {where}. Install the PostgreSQL client programs of the server's "
        "major version (Debian: postgresql-client-15) or set PG_BINDIR to their folder."
    )


def _program_major(program):
    out = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=30)
    found = re.search(r"(\d+)(?:\.\d+)?", out.stdout)
    if out.returncode != 0 or not found:
        raise BackupError(f"Could not tell the version of {program}: {out.stderr.strip()}")
    return int(found.group(1))


def _pg_environment(settings_dict):
    """libpq's environment variables for a Django connection: the password never goes on a command
    line, where any user of the machine could read it in the process list."""
    # The rest of the environment stays: libpq reads it for Django's own connection too (PGSSL...,
    # PGCONNECT_TIMEOUT), and pg_dump must connect as Django does.
    environment = dict(os.environ)
    options = settings_dict.get("OPTIONS", {})
    pairs = {
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGDATABASE": settings_dict.get("NAME"),
        "PGSSLMODE": options.get("sslmode"),
        "PGSSLROOTCERT": options.get("sslrootcert"),
        "PGSSLCERT": options.get("sslcert"),
        "PGSSLKEY": options.get("sslkey"),
        "PGPASSFILE": options.get("passfile"),
        "PGAPPNAME": "iqm-portal-backup",
    }
    environment.update({key: str(value) for key, value in pairs.items() if value})
    return environment


def _run_pg(program, arguments, settings_dict):
    done = subprocess.run(
        [program, *arguments],
        env=_pg_environment(settings_dict),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        if "row-level security" in done.stderr:
            raise BackupError(
                f"{Path(program).name} cannot read past the tables' row-level security as "
                f"{settings_dict.get('USER') or 'this user'}: back up as a role with BYPASSRLS "
                "(once, as a superuser: ALTER ROLE <owner> BYPASSRLS;), the tables' owner "
                "given in MIGRATE_DATABASE_URL when DATABASE_URL is the portal's own role."
            )
        raise BackupError(
            f"{Path(program).name} failed (exit {done.returncode}): {done.stderr.strip()}"
        )


def _server_major(connection):
    connection.ensure_connection()
    return connection.pg_version // 10000


def _dump_postgresql(connection, target):
    pg_dump = pg_program("pg_dump")
    ours, server = _program_major(pg_dump), _server_major(connection)
    if ours < server:
        raise BackupError(
            f"{pg_dump} is version {ours} but the server runs PostgreSQL {server}: install the "
            f"client programs of version {server} (or later) and set PG_BINDIR to their folder."
        )
    _run_pg(
        pg_dump, ["--format=custom", "--no-password", f"--file={target}"], connection.settings_dict
    )


def _restore_postgresql(connection, source, *, clean):
    pg_restore = pg_program("pg_restore")
    arguments = [
        "--no-password",
        "--no-owner",  # the objects belong to the role that restores, as after `migrate`
        "--single-transaction",  # the whole database or nothing
        "--exit-on-error",
        f"--dbname={connection.settings_dict['NAME']}",
    ]
    if clean:
        arguments += ["--clean", "--if-exists"]
    connection.close()
    _run_pg(pg_restore, [*arguments, str(source)], connection.settings_dict)


def _sqlite_copy(source, target):
    """Copy one SQLite database into another with SQLite's online backup API."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


# --- storage ------------------------------------------------------------------------------------


def stored_names(storage, folder=""):
    """Every file name in a storage, depth first, sorted."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a file-system storage whose folder was never made: empty
        return []
    names = [f"{folder}/{name}" if folder else name for name in sorted(files)]
    for name in sorted(folders):
        names += stored_names(storage, f"{folder}/{name}" if folder else name)
    return names


def safe_name(name):
    """A stored file's name as a relative path that stays inside the backup's files folder, or a
    BackupError: a manifest is read from disk, and its names must not reach elsewhere."""
    path = PurePosixPath(name)
    if (
        not name
        or "\\" in name
        or "\x00" in name
        or path.is_absolute()
        or any(part in ("", ".", "..") for part in name.split("/"))
    ):
        raise BackupError(f"Unsafe file name in the backup: {name!r}")
    return path


def _storage_kind(storage):
    kind = type(storage)
    return f"{kind.__module__}.{kind.__qualname__}"


# --- backup -------------------------------------------------------------------------------------


def applied_migrations(connection):
    """{app: [migration names]} applied in the database, sorted."""
    applied = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def create_backup(to, *, using="default", log=print):
    """Back up the database and the default storage into a new directory under `to`; returns its
    path. The directory gets its final name only once everything is written and hashed."""
    engine = vendor(using)
    connection = connections[using]
    storage = storages["default"]
    started = datetime.now(UTC)
    to = Path(to)
    to.mkdir(parents=True, exist_ok=True)
    name = f"{PREFIX}{started:%Y%m%dT%H%M%S}Z"
    final = to / name
    if final.exists():
        name = f"{PREFIX}{started:%Y%m%dT%H%M%S.%f}Z"
        final = to / name
    partial = to / f".{name}.partial"
    partial.mkdir(mode=0o700)  # it holds personal data: its owner alone reads it
    try:
        dump = partial / DUMPS[engine]
        log(f"Dumping the {engine} database…")
        migrations = applied_migrations(connection)
        if engine == "postgresql":
            with as_owner():  # MIGRATE_DATABASE_URL's owner, when the portal has its own role
                _dump_postgresql(connection, dump)
            server = connection.pg_version
            server_version = f"{server // 10000}.{server % 10000}"
        else:
            connection.ensure_connection()
            _sqlite_copy(connection.settings_dict["NAME"], dump)
            server_version = sqlite3.sqlite_version
        dump_hash, dump_size = _hash_path(dump)

        log("Copying the stored files…")
        files = []
        for stored in stored_names(storage):
            relative = safe_name(stored)
            target = partial / FILES / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            digest, size = hashlib.sha256(), 0
            with storage.open(stored, "rb") as source, open(target, "wb") as out:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            files.append({"name": stored, "size": size, "sha256": digest.hexdigest()})

        manifest = {
            "format": FORMAT,
            "application": "iqm-portal",
            "started_at": started.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            "database": {
                "vendor": engine,
                "server_version": server_version,
                "file": dump.name,
                "format": "pg_dump custom" if engine == "postgresql" else "sqlite3 database",
                "size": dump_size,
                "sha256": dump_hash,
            },
            "migrations": migrations,
            "storage": {
                "backend": _storage_kind(storage),
                "count": len(files),
                "bytes": sum(entry["size"] for entry in files),
                "files": files,
            },
        }
        with open(partial / MANIFEST, "w") as out:
            json.dump(manifest, out, indent=2)
            out.flush()
            os.fsync(out.fileno())
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    log(
        f"Backed up the {engine} database ({dump_size} bytes) and {len(files)} files "
        f"({manifest['storage']['bytes']} bytes) to {final}"
    )
    return final


def backups_in(folder):
    """The finished backups in a folder, oldest first (their names sort by time)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        if path.is_dir() and NAME.match(path.name):
            try:
                found.append((read_manifest(path)["started_at"], path.name, path))
            except BackupError:
                continue  # not a finished backup of ours: left alone
    return [path for *_, path in sorted(found)]


def prune(folder, keep, *, log=print):
    """Remove all but the `keep` newest finished backups in `folder`; returns the removed paths."""
    if keep < 1:
        return []
    removed = backups_in(folder)[:-keep]
    for path in removed:
        shutil.rmtree(path)
        log(f"Removed the old backup {path}")
    return removed


# --- restore ------------------------------------------------------------------------------------


def read_manifest(backup):
    backup = Path(backup)
    try:
        manifest = json.loads((backup / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{backup} is not a backup: it has no {MANIFEST}.") from None
    except json.JSONDecodeError as error:
        raise BackupError(f"{backup / MANIFEST} is not valid JSON: {error}") from None
    if manifest.get("format") != FORMAT or manifest.get("application") != "iqm-portal":
        raise BackupError(f"{backup} is not an IQM Portal backup of format {FORMAT}.")
    return manifest


def verify_backup(backup, manifest):
    """Check the dump and every file against the manifest's sizes and hashes; BackupError listing
    what does not match. Nothing is restored from a backup that fails this."""
    backup = Path(backup)
    problems = []
    database = manifest["database"]
    if database["file"] != DUMPS.get(database["vendor"]):
        raise BackupError(f"Unexpected database file in the manifest: {database['file']!r}")
    expected = [(backup / database["file"], database["size"], database["sha256"])]
    for entry in manifest["storage"]["files"]:
        expected.append((backup / FILES / safe_name(entry["name"]), entry["size"], entry["sha256"]))
    for path, size, sha256 in expected:
        if not path.is_file():
            problems.append(f"{path.relative_to(backup)} is missing")
            continue
        found_hash, found_size = _hash_path(path)
        if (found_hash, found_size) != (sha256, size):
            problems.append(f"{path.relative_to(backup)} does not match its SHA-256 or size")
    if problems:
        shown = "; ".join(problems[:10])
        if len(problems) > 10:
            shown += f"; and {len(problems) - 10} more"
        raise BackupError(f"The backup is damaged, nothing was restored: {shown}.")


def _unknown_migrations(manifest):
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return sorted(
        f"{app}.{name}"
        for app, names in manifest["migrations"].items()
        for name in names
        if (app, name) not in known
    )


def restore_backup(backup, *, using="default", force=False, log=print):
    """Restore a backup into the database `using` and the default storage; returns a Restored.

    Refuses, with nothing changed, when the backup is damaged, was made by a version of the portal
    with migrations this one does not have, or would replace data (a database with tables, a
    stored file of the same name with other content) and `force` is not given.
    """
    backup = Path(backup)
    manifest = read_manifest(backup)
    engine = vendor(using)
    if (backed_up := manifest["database"]["vendor"]) != engine:
        raise BackupError(
            f"The backup holds a {backed_up} database; this portal is set up for {engine}. "
            f"Restore it with DATABASE_URL pointing at a {backed_up} database."
        )
    log(f"Checking the backup made at {manifest['started_at']}…")
    verify_backup(backup, manifest)
    unknown = _unknown_migrations(manifest)
    if unknown:
        raise BackupError(
            "The backup was made by a newer version of the portal (migrations this code does not "
            f"have: {', '.join(unknown[:5])}). Deploy that version, then restore."
        )

    connection = connections[using]
    tables = connection.introspection.table_names()
    if connection.vendor == "postgresql":
        where = f"PostgreSQL database {connection.settings_dict['NAME']}"
    else:
        where = f"SQLite file {connection.settings_dict['NAME']}"
    if tables and not force:
        raise BackupError(
            f"The {where} is not empty ({len(tables)} tables); nothing was restored. Restore into "
            "an empty database, or pass --force to replace what it holds."
        )

    storage = storages["default"]
    to_write, already, conflicts = [], 0, []
    for entry in manifest["storage"]["files"]:
        if storage.exists(entry["name"]):
            with storage.open(entry["name"], "rb") as stored:
                if sha256_of(stored) == (entry["sha256"], entry["size"]):
                    already += 1
                    continue
            conflicts.append(entry)
        to_write.append(entry)
    if conflicts and not force:
        names = ", ".join(entry["name"] for entry in conflicts[:5])
        raise BackupError(
            f"{len(conflicts)} stored files have the names of files in the backup but other "
            f"content ({names}); nothing was restored. Restore into an empty storage, or pass "
            "--force to replace them."
        )

    result = Restored(database=where, files_already_there=already, files_replaced=len(conflicts))
    # Files first: without the rows that point at them they are inert, and a second run skips
    # those already restored.
    log(f"Restoring {len(to_write)} files…")
    replaced = {entry["name"] for entry in conflicts}
    failed = []
    for entry in to_write:
        name = entry["name"]
        if name in replaced:
            storage.delete(name)
        with open(backup / FILES / safe_name(name), "rb") as source:
            saved = storage.save(name, File(source, name=name))
        if saved != name:
            storage.delete(saved)
            failed.append(f"{name} (the storage chose another name, {saved})")
            continue
        with storage.open(name, "rb") as stored:
            if sha256_of(stored) != (entry["sha256"], entry["size"]):
                failed.append(f"{name} (read back with another SHA-256)")
                continue
        result.files_written += 1
    if failed:
        raise BackupError(
            f"{len(failed)} files could not be restored as they were backed up, so the database "
            f"was not restored: {'; '.join(failed[:10])}."
        )

    log(f"Restoring the database into the {where}…")
    dump = backup / manifest["database"]["file"]
    if engine == "postgresql":
        with as_owner():
            _restore_postgresql(connection, dump, clean=bool(tables))
    else:
        connection.close()
        _sqlite_copy(dump, connection.settings_dict["NAME"])
    connection.close()

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    result.pending_migrations = [f"{migration.app_label}.{migration.name}" for migration, _ in plan]
    connection.close()
    stamps.renew_everything()  # what the cache keeps is of the data replaced
    return result
