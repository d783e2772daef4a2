"""Backups (iqm_portal/backup.py): `manage.py backup` of a world with cycles, evidence files,
certificates and awards, restored by `manage.py restore` into a new, empty PostgreSQL database on
the same server and an empty storage (a file-system folder, or an S3 bucket on the moto server);
then, connected to that database, every cycle, award and file is found, each file's bytes equal to
the original and its hash to the one the database holds."""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django_scopes import scope, scopes_disabled
from PIL import Image

from assessments.models import Cycle
from awards.models import Award, Tier
from iqm_portal import backup
from portfolios import domain as portfolios
from portfolios.models import EvidenceFile
from reports.models import RenderJob

from .storage import (
    BASE_DIR,
    DUMMY_CREDENTIALS,
    s3_server,  # noqa: F401
    storage_backend,  # noqa: F401
)

# pg_dump reads what is committed: the world must be, not held in the test's transaction.
pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def noisy_png(side=200):
    """A PNG of random pixels: about 120 KB, which compression cannot shrink."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def build(world):
    """Evidence in the world's cycle (uploaded through the portfolio's own domain function), a
    certificate PDF and an award in each authority. Returns what the restore must bring back."""
    coordinator = world.people["school_coordinator"]
    with scope(authority=world.authority):
        for upload in (
            SimpleUploadedFile("Inclusion plan.pdf", PDF, "application/pdf"),
            SimpleUploadedFile("Sensory room.png", noisy_png(), "image/png"),
        ):
            portfolios.add_file(cycle=world.cycle, by=coordinator, uploaded=upload)
    with scopes_disabled():
        for authority, school in (
            (world.authority, world.school),
            (world.outsider_authority, world.outsider_school),
        ):
            award = Award.objects.create(
                authority=authority,
                school=school,
                tier=Tier.QUALITY_MARK,
                awarded_on=date(2026, 7, 1),
                expires_on=date(2029, 7, 1),
            )
            job = RenderJob(
                authority=authority,
                kind=RenderJob.Kind.CERTIFICATE,
                object_id=award.pk,
                input_hash=uuid.uuid4().hex,
                html=f"<p>Certificate of {school.name}</p>",
                state=RenderJob.State.DONE,
                pages=1,
            )
            job.file.save("certificate.pdf", ContentFile(PDF + school.name.encode()), save=True)
        return {
            "cycles": sorted(Cycle.objects.values_list("pk", "school_id", "state")),
            "awards": sorted(Award.objects.values_list("pk", "school_id", "tier")),
            "evidence": sorted(EvidenceFile.objects.values_list("pk", "file", "sha256")),
            "reports": sorted(RenderJob.objects.values_list("pk", "file")),
        }


def stored_bytes():
    """Every file in the default storage: name -> content."""
    names = backup.stored_names(default_storage)
    result = {}
    for name in names:
        with default_storage.open(name, "rb") as stored:
            result[name] = stored.read()
    return result


def server_parameters():
    """The test database's server, as psycopg2 keywords, for another database on it."""
    config = connection.settings_dict
    return {
        key: value
        for key, value in {
            "host": config["HOST"],
            "port": config["PORT"],
            "user": config["USER"],
            "password": config["PASSWORD"],
        }.items()
        if value
    }


@pytest.fixture
def empty_database():
    """A new, empty database on the test server, dropped afterwards. Returns its name."""
    if connection.vendor != "postgresql":
        pytest.skip("restores into PostgreSQL")
    name = f"iqm_restore_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(dbname="postgres", **server_parameters())
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def database_url(name):
    parameters = server_parameters()
    credentials = quote(parameters.get("user", ""), safe="")
    if "password" in parameters:
        credentials += ":" + quote(parameters["password"], safe="")
    host = parameters.get("host", "")
    port = f":{parameters['port']}" if "port" in parameters else ""
    return f"postgres://{credentials}@{host}{port}/{name}"


def manage(*arguments, environment):
    """Run manage.py as an operator would, in its own process with its own settings."""
    env = {**os.environ, "SECRET_KEY": "test-only-secret", "DEBUG": "0", **environment}
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def the_backup(folder):
    (made,) = backup.backups_in(folder)
    return made


def test_a_backup_restores_into_an_empty_database_and_storage_with_every_cycle_file_and_award(
    world,
    storage_backend,  # noqa: F811
    empty_database,
    s3_server,  # noqa: F811
    tmp_path,
):
    expected = build(world)
    originals = stored_bytes()
    assert len(originals) == 4  # two evidence files, two certificates
    assert sorted(originals) == sorted(
        [name for _, name, _ in expected["evidence"]] + [name for _, name in expected["reports"]]
    )

    call_command("backup", to=tmp_path / "backups", stdout=io.StringIO())
    made = the_backup(tmp_path / "backups")

    if storage_backend == "filesystem":
        restored_media = tmp_path / "restored-media"
        storage_environment = {"STORAGE_BACKEND": "filesystem", "MEDIA_ROOT": str(restored_media)}

        def restored(name):
            return (restored_media / name).read_bytes()

        def restored_names():
            return sorted(
                str(path.relative_to(restored_media))
                for path in restored_media.rglob("*")
                if path.is_file()
            )
    else:
        bucket = s3_server.create_bucket()
        client = s3_server.client()
        storage_environment = {
            "STORAGE_BACKEND": "s3",
            "AWS_STORAGE_BUCKET_NAME": bucket,
            "AWS_S3_ENDPOINT_URL": s3_server.endpoint_url,
            "AWS_S3_REGION_NAME": s3_server.region,
            **DUMMY_CREDENTIALS,
        }

        def restored(name):
            return client.get_object(Bucket=bucket, Key=name)["Body"].read()

        def restored_names():
            listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
            return sorted(item["Key"] for item in listed)

    environment = {"DATABASE_URL": database_url(empty_database), **storage_environment}
    done = manage("restore", "--from", str(made), environment=environment)

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == (
        f"Restored {made} into the PostgreSQL database {empty_database}: 4 files written and "
        "checked, 0 already there with the same content, 0 replaced."
    )

    restored_db = psycopg2.connect(dbname=empty_database, **server_parameters())
    try:
        with restored_db.cursor() as cursor:
            cursor.execute("SELECT id, school_id, state FROM assessments_cycle")
            assert sorted(cursor.fetchall()) == expected["cycles"]
            cursor.execute("SELECT id, school_id, tier FROM moderation_award")
            assert sorted(cursor.fetchall()) == expected["awards"]
            cursor.execute("SELECT id, file, sha256 FROM portfolios_evidencefile")
            evidence = sorted(cursor.fetchall())
            cursor.execute("SELECT id, file FROM reports_renderjob")
            reports = sorted(cursor.fetchall())
    finally:
        restored_db.close()
    assert evidence == expected["evidence"]
    assert reports == expected["reports"]
    assert restored_names() == sorted(originals)
    for _, name, sha256 in evidence:
        content = restored(name)
        assert hashlib.sha256(content).hexdigest() == sha256
        assert content == originals[name]
    for _, name in reports:
        assert restored(name) == originals[name]

    # Again into the same database: it is no longer empty, and nothing is done without --force.
    again = manage("restore", "--from", str(made), environment=environment)
    assert again.returncode == 1
    refusal = again.stderr.strip()
    assert refusal.startswith(
        f"CommandError: The PostgreSQL database {empty_database} is not empty ("
    )
    assert refusal.endswith(
        " tables); nothing was restored. Restore into an empty database, or pass --force to "
        "replace what it holds."
    )
    forced = manage("restore", "--from", str(made), "--force", environment=environment)
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout.splitlines()[-1].endswith(
        ": 0 files written and checked, 4 already there with the same content, 0 replaced."
    )


def test_the_manifest_lists_the_dump_the_migrations_and_every_file_and_no_secret(
    world,
    storage_backend,  # noqa: F811
    tmp_path,
):
    build(world)
    originals = stored_bytes()

    call_command("backup", to=tmp_path / "backups", stdout=io.StringIO())
    made = the_backup(tmp_path / "backups")

    text = (made / "manifest.json").read_text()
    manifest = json.loads(text)
    assert manifest["database"]["vendor"] == "postgresql"
    assert manifest["database"]["file"] == "database.dump"
    dump = (made / "database.dump").read_bytes()
    assert dump[:5] == b"PGDMP"  # pg_dump's custom format
    assert manifest["database"]["sha256"] == hashlib.sha256(dump).hexdigest()
    assert manifest["database"]["size"] == len(dump)
    assert manifest["migrations"]["portfolios"][0] == "0001_initial"
    assert manifest["storage"]["files"] == [
        {"name": name, "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
        for name, content in sorted(originals.items())
    ]
    assert manifest["storage"]["count"] == 4
    config = connection.settings_dict
    secrets = [django_settings.SECRET_KEY, config["NAME"], "postgres://", "testing"]
    secrets += [value for value in (config["PASSWORD"], config["HOST"]) if value]
    if storage_backend == "s3":
        secrets.append(default_storage.bucket_name)
    assert [secret for secret in secrets if secret in text] == []
    contents = sorted(path.name for path in made.iterdir())
    assert contents == ["database.dump", "files", "manifest.json"]
    assert oct(made.stat().st_mode & 0o777) == "0o700"


@pytest.fixture
def made(world, tmp_path):
    build(world)
    call_command("backup", to=tmp_path / "backups", stdout=io.StringIO())
    return the_backup(tmp_path / "backups")


def test_restore_refuses_a_database_that_is_not_empty_and_changes_nothing(made, tmp_path):
    before = stored_bytes()
    shutil.rmtree(Path(default_storage.location))  # the storage is empty, the database is not

    with pytest.raises(CommandError) as refused:
        call_command("restore", source=str(made), stdout=io.StringIO())

    assert str(refused.value).startswith(
        f"The PostgreSQL database {connection.settings_dict['NAME']} is not empty ("
    )
    assert str(refused.value).endswith(
        " tables); nothing was restored. Restore into an empty database, or pass --force to "
        "replace what it holds."
    )
    assert stored_bytes() == {}
    assert len(before) == 4


def test_a_damaged_backup_is_refused_before_anything_is_touched(made):
    manifest = json.loads((made / "manifest.json").read_text())
    victim = manifest["storage"]["files"][1]["name"]
    with open(made / "files" / victim, "r+b") as damaged:
        damaged.seek(10)
        damaged.write(b"X")

    with pytest.raises(CommandError) as refused:
        call_command("restore", source=str(made), force=True, stdout=io.StringIO())

    assert str(refused.value) == (
        f"The backup is damaged, nothing was restored: files/{victim} does not match its SHA-256 "
        "or size."
    )


def test_a_name_in_the_manifest_cannot_reach_outside_the_backup(made, tmp_path):
    manifest = json.loads((made / "manifest.json").read_text())
    manifest["storage"]["files"][0]["name"] = "../../../etc/passwd"
    (made / "manifest.json").write_text(json.dumps(manifest))

    with pytest.raises(CommandError) as refused:
        call_command("restore", source=str(made), force=True, stdout=io.StringIO())

    assert str(refused.value) == "Unsafe file name in the backup: '../../../etc/passwd'"


def test_a_backup_from_a_newer_version_of_the_portal_is_refused(made):
    manifest = json.loads((made / "manifest.json").read_text())
    manifest["migrations"]["portfolios"].append("9999_from_the_future")
    (made / "manifest.json").write_text(json.dumps(manifest))

    with pytest.raises(CommandError) as refused:
        call_command("restore", source=str(made), force=True, stdout=io.StringIO())

    assert str(refused.value) == (
        "The backup was made by a newer version of the portal (migrations this code does not "
        "have: portfolios.9999_from_the_future). Deploy that version, then restore."
    )


def test_a_folder_without_a_manifest_is_not_a_backup(db, tmp_path):
    with pytest.raises(CommandError) as refused:
        call_command("restore", source=str(tmp_path), stdout=io.StringIO())
    assert str(refused.value) == f"{tmp_path} is not a backup: it has no manifest.json."


def test_the_password_goes_to_pg_dump_in_its_environment_not_its_arguments(
    db, tmp_path, monkeypatch
):
    seen = []
    real_run = subprocess.run

    def spy(arguments, **kwargs):
        if Path(arguments[0]).name == "pg_dump" and arguments[1:] != ["--version"]:
            seen.append((arguments, kwargs["env"]))
        return real_run(arguments, **kwargs)

    monkeypatch.setattr(backup.subprocess, "run", spy)
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", "correct horse battery staple")

    call_command("backup", to=tmp_path, stdout=io.StringIO())  # trust auth: the password is unused

    ((arguments, env),) = seen
    assert not any("correct horse" in argument for argument in arguments)
    assert env["PGPASSWORD"] == "correct horse battery staple"
    assert env["PGDATABASE"] == connection.settings_dict["NAME"]


def test_pg_dump_older_than_the_server_is_refused_and_leaves_no_backup(db, tmp_path, settings):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    old = bindir / "pg_dump"
    old.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 11.22'\n")
    old.chmod(0o755)
    settings.PG_BINDIR = str(bindir)
    connection.ensure_connection()
    server = connection.pg_version // 10000

    with pytest.raises(CommandError) as refused:
        call_command("backup", to=tmp_path / "backups", stdout=io.StringIO())

    assert str(refused.value) == (
        f"{old} is version 11 but the server runs PostgreSQL {server}: install the client "
        f"programs of version {server} (or later) and set PG_BINDIR to their folder."
    )
    assert list((tmp_path / "backups").iterdir()) == []  # not even a partial directory

    settings.PG_BINDIR = str(tmp_path / "nowhere")
    with pytest.raises(CommandError) as missing:
        call_command("backup", to=tmp_path / "backups", stdout=io.StringIO())
    assert str(missing.value).startswith(f"pg_dump was not found in PG_BINDIR ({tmp_path}/nowhere)")


def test_keep_removes_all_but_the_newest_backups(db, tmp_path):
    folder = tmp_path / "backups"
    for _ in range(3):
        call_command("backup", to=folder, keep=2, stdout=io.StringIO())
    unrelated = folder / "notes"
    unrelated.mkdir()

    call_command("backup", to=folder, keep=2, stdout=io.StringIO())

    kept = backup.backups_in(folder)
    assert len(kept) == 2
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        [path.name for path in kept] + ["notes"]
    )


def test_on_a_laptop_the_sqlite_file_and_the_media_folder_are_backed_up_and_restored(tmp_path):
    """The SQLite default: the database file copied with SQLite's backup API, restored into a new
    file, with the same rows in every table."""
    laptop = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    assert manage("migrate", "--noinput", "-v0", environment=laptop).returncode == 0
    evidence = tmp_path / "media" / "portfolios" / "1" / "plan.pdf"
    evidence.parent.mkdir(parents=True)
    evidence.write_bytes(PDF)
    made = manage("backup", "--to", str(tmp_path / "backups"), environment=laptop)
    assert made.returncode == 0, made.stderr
    (folder,) = backup.backups_in(tmp_path / "backups")
    assert json.loads((folder / "manifest.json").read_text())["database"]["vendor"] == "sqlite"

    elsewhere = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'restored.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "restored-media"),
    }
    done = manage("restore", "--from", str(folder), environment=elsewhere)

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == (
        f"Restored {folder} into the SQLite file {tmp_path / 'restored.sqlite3'}: 1 files written "
        "and checked, 0 already there with the same content, 0 replaced."
    )
    assert (tmp_path / "restored-media" / "portfolios" / "1" / "plan.pdf").read_bytes() == PDF

    def rows(path):
        with sqlite3.connect(path) as database:
            tables = [
                name
                for (name,) in database.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
                )
            ]
            counts = {
                table: database.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                for table in tables
            }
        database.close()
        return counts

    original = rows(tmp_path / "db.sqlite3")
    assert original["django_migrations"] > 50 and original["auth_permission"] > 0
    assert rows(tmp_path / "restored.sqlite3") == original
