"""Run tests against each file storage the portal supports: the local file system and
S3-compatible object storage (a real moto server on 127.0.0.1, reached over HTTP, not a mock).

In a test module:

    from .storage import storage_backend  # noqa: F401

    def test_something(storage_backend, ...):   # runs twice: [filesystem] and [s3]
        name = default_storage.save(...)

`storage_backend` is all a module needs to import: the moto server is started once per pytest
session however many modules use it. Import `s3_server` as well to reach the bucket with boto3.
"""

import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent

# The environment variables iqm_portal/settings.py reads to build STORAGES["default"].
STORAGE_ENVIRONMENT = (
    "STORAGE_BACKEND",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_S3_ENDPOINT_URL",
    "AWS_S3_REGION_NAME",
    "AWS_S3_ADDRESSING_STYLE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_S3_SERVER_SIDE_ENCRYPTION",
)
S3_REGION = "eu-west-2"
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def settings_in_subprocess(**environment):
    """Import the settings in a fresh interpreter with the storage variables set to `environment`
    (the others empty, so neither this process's environment nor a .env file leaks in) and print
    STORAGES as JSON. The running settings are left alone. Returns the CompletedProcess."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "iqm_portal.settings"}
    env.setdefault("SECRET_KEY", "storage-tests")
    env.pop("MEDIA_ROOT", None)
    env.update({name: "" for name in STORAGE_ENVIRONMENT})
    env.update(environment)
    code = (
        "import json; from django.conf import settings;"
        " print(json.dumps(settings.STORAGES, default=str))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def storages_from_environment(**environment):
    """settings.STORAGES as iqm_portal/settings.py builds it from `environment`."""
    result = settings_in_subprocess(**environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@dataclass
class S3Server:
    endpoint_url: str
    region: str
    template: dict  # STORAGES["default"] as settings.py builds it for this server, bucket aside

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def create_bucket(self):
        bucket = f"iqm-test-{secrets.token_hex(6)}"
        self.client().create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": self.region}
        )
        return bucket

    def delete_bucket(self, bucket):
        client = self.client()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=bucket, Key=item["Key"])
        client.delete_bucket(Bucket=bucket)

    def storage_config(self, bucket):
        options = {**self.template["OPTIONS"], "bucket_name": bucket}
        return {**self.template, "OPTIONS": options}


_S3_SERVER = pytest.StashKey[S3Server]()


def _s3_server(config):
    """One moto server for the whole session, however many modules import the fixtures (a
    session fixture imported into several modules would otherwise run once per module)."""
    if _S3_SERVER in config.stash:
        return config.stash[_S3_SERVER]
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)  # port 0: a free one
    server.start()
    config.add_cleanup(server.stop)
    host, port = server.get_host_and_port()
    endpoint_url = f"http://{host}:{port}"
    # The storage the tests use is the one settings.py builds for STORAGE_BACKEND=s3.
    template = storages_from_environment(
        STORAGE_BACKEND="s3",
        AWS_STORAGE_BUCKET_NAME="placeholder",
        AWS_S3_ENDPOINT_URL=endpoint_url,
        AWS_S3_REGION_NAME=S3_REGION,
    )["default"]
    config.stash[_S3_SERVER] = S3Server(
        endpoint_url=endpoint_url, region=S3_REGION, template=template
    )
    return config.stash[_S3_SERVER]


@pytest.fixture(scope="session")
def s3_server(request):
    """The session's moto S3 server: endpoint_url, region, client(), create_bucket()."""
    return _s3_server(request.config)


@pytest.fixture(params=["filesystem", "s3"])
def storage_backend(request, settings, tmp_path, monkeypatch):
    """Point STORAGES["default"] (and so default_storage, storages["default"] and every FileField
    without a storage of its own) at an empty file-system folder or an empty S3 bucket for the
    test, and back afterwards. Returns the backend's name: "filesystem" or "s3"."""
    from django.core.files.storage import FileSystemStorage, default_storage, storages
    from storages.backends.s3 import S3Storage

    if request.param == "filesystem":
        config = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        }
        expected, bucket = FileSystemStorage, None
    else:
        server = _s3_server(request.config)
        for name, value in DUMMY_CREDENTIALS.items():
            monkeypatch.setenv(name, value)
        for name in (
            "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN",
            "AWS_PROFILE",
            "AWS_S3_SESSION_PROFILE",
        ):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv(
            "NO_PROXY", ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1"]))
        )
        bucket = server.create_bucket()
        config = server.storage_config(bucket)
        expected = S3Storage

    # The settings fixture goes through override_settings, whose setting_changed signal makes
    # django.test.signals.storages_changed drop the cached storages, now and again on restore.
    settings.STORAGES = {**settings.STORAGES, "default": config}
    storage = storages["default"]
    assert isinstance(default_storage, expected) and default_storage._wrapped is storage
    if bucket:
        assert storage.bucket_name == bucket
    else:
        assert storage.location == str(tmp_path / "media")
    yield request.param
    if bucket:
        server.delete_bucket(bucket)
