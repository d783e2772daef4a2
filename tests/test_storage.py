"""The storage boundary: files go through Django's storage API, under the authority's path, on
the file system or in S3-compatible object storage (a real moto server), and are never public."""

import io
import os
import re
import secrets
import urllib.error
import urllib.request

import pytest
from django.conf import global_settings
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.views.static import serve

from .factories import AuthorityFactory
from .storage import (
    BASE_DIR,
    S3_REGION,
    STORAGE_ENVIRONMENT,
    s3_server,  # noqa: F401
    settings_in_subprocess,
    storage_backend,  # noqa: F401
    storages_from_environment,
)

PUBLIC_GROUPS = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


@pytest.fixture
def authority(db):
    return AuthorityFactory()


def evidence_name(authority):
    return f"portfolios/{authority.pk}/{secrets.token_hex(16)}"


def no_proxy_opener():
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.mark.usefixtures("storage_backend")
def test_save_read_exists_size_delete(authority):
    content = os.urandom(10_000) + b"\x00\r\n\xff end"
    wanted = evidence_name(authority)

    name = default_storage.save(wanted, ContentFile(content))

    assert name == wanted
    assert default_storage.exists(name)
    assert default_storage.size(name) == len(content)
    with default_storage.open(name, "rb") as stored:
        assert stored.read() == content
    assert storages["default"].exists(name)  # the same storage by either route

    default_storage.delete(name)
    assert not default_storage.exists(name)


@pytest.mark.usefixtures("storage_backend")
def test_open_in_chunks(authority):
    content = os.urandom(300_000)
    name = default_storage.save(evidence_name(authority), io.BytesIO(content))

    with default_storage.open(name, "rb") as stored:
        chunks = list(stored.chunks(chunk_size=64 * 1024))

    assert len(chunks) == 5 and all(len(chunk) <= 64 * 1024 for chunk in chunks)
    assert b"".join(chunks) == content


@pytest.mark.usefixtures("storage_backend")
def test_saving_a_name_in_use_does_not_overwrite(authority):
    wanted = evidence_name(authority)
    first = default_storage.save(wanted, ContentFile(b"first version"))
    second = default_storage.save(wanted, ContentFile(b"second version"))

    assert first == wanted
    assert second != first and second.startswith(f"portfolios/{authority.pk}/")
    with default_storage.open(first, "rb") as stored:
        assert stored.read() == b"first version"
    with default_storage.open(second, "rb") as stored:
        assert stored.read() == b"second version"


@pytest.mark.parametrize("storage_backend", ["s3"], indirect=True)
def test_s3_objects_are_private(storage_backend, s3_server, authority):  # noqa: F811
    name = default_storage.save(evidence_name(authority), ContentFile(b"a school's evidence"))
    bucket = default_storage.bucket_name
    opener = no_proxy_opener()

    # Moto enforces the object ACL for a request with no Authorization header or signature.
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(f"{s3_server.endpoint_url}/{bucket}/{name}", timeout=10)
    assert refused.value.code == 403

    # The same object through the storage's (signed, expiring) URL: so the 403 is the ACL.
    signed = default_storage.url(name)
    assert "X-Amz-Signature=" in signed and "X-Amz-Expires=" in signed
    with opener.open(signed, timeout=10) as response:
        assert response.status == 200 and response.read() == b"a school's evidence"

    grants = s3_server.client().get_object_acl(Bucket=bucket, Key=name)["Grants"]
    assert grants and all(grant["Grantee"].get("URI") not in PUBLIC_GROUPS for grant in grants)
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]  # the owner alone


def test_s3_server_side_encryption_when_asked(s3_server, authority, monkeypatch):  # noqa: F811
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    bucket = s3_server.create_bucket()
    config = storages_from_environment(
        STORAGE_BACKEND="s3",
        AWS_STORAGE_BUCKET_NAME=bucket,
        AWS_S3_ENDPOINT_URL=s3_server.endpoint_url,
        AWS_S3_REGION_NAME=s3_server.region,
        AWS_S3_SERVER_SIDE_ENCRYPTION="1",
    )["default"]
    storage = storages.create_storage(config)
    try:
        name = storage.save(evidence_name(authority), ContentFile(b"encrypted at rest"))
        head = s3_server.client().head_object(Bucket=bucket, Key=name)
        assert head["ServerSideEncryption"] == "AES256"
    finally:
        s3_server.delete_bucket(bucket)


def test_storage_caches_follow_the_storages_setting(tmp_path):
    """What storage_backend relies on: changing STORAGES through override_settings (as the
    settings fixture does) swaps default_storage and storages["default"], and restores them."""
    config = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": tmp_path},
    }
    with override_settings(STORAGES={**django_settings.STORAGES, "default": config}):
        assert default_storage.location == str(tmp_path)
        inside = storages["default"]
        assert default_storage._wrapped is inside
    assert storages.backends["default"] == django_settings.STORAGES["default"]
    assert storages["default"] is not inside
    assert getattr(default_storage, "location", None) != str(tmp_path)
    assert default_storage._wrapped is storages["default"]


def test_settings_build_s3_storage_from_the_environment():
    built = storages_from_environment(
        STORAGE_BACKEND="s3",
        AWS_STORAGE_BUCKET_NAME="iqm-evidence",
        AWS_S3_ENDPOINT_URL="https://minio.example.org:9000",
        AWS_S3_REGION_NAME=S3_REGION,
        AWS_ACCESS_KEY_ID="AKIAEXAMPLE",
        AWS_SECRET_ACCESS_KEY="secret-example",
    )
    assert built["default"] == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "iqm-evidence",
            "endpoint_url": "https://minio.example.org:9000",
            "region_name": S3_REGION,
            "addressing_style": None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            "location": "",
            "access_key": "AKIAEXAMPLE",
            "secret_key": "secret-example",
        },
    }
    assert built["staticfiles"] == django_settings.STORAGES["staticfiles"]

    # Only the bucket: AWS's own endpoint, boto3's usual credential chain, no encryption asked for.
    minimal = storages_from_environment(
        STORAGE_BACKEND="s3", AWS_STORAGE_BUCKET_NAME="iqm-evidence"
    )["default"]
    assert minimal["OPTIONS"]["endpoint_url"] is None and minimal["OPTIONS"]["region_name"] is None
    assert "access_key" not in minimal["OPTIONS"] and "object_parameters" not in minimal["OPTIONS"]

    encrypted = storages_from_environment(
        STORAGE_BACKEND="S3",
        AWS_STORAGE_BUCKET_NAME="iqm-evidence",
        AWS_S3_SERVER_SIDE_ENCRYPTION="1",
        AWS_S3_ADDRESSING_STYLE="path",
    )["default"]["OPTIONS"]
    assert encrypted["object_parameters"] == {"ServerSideEncryption": "AES256"}
    assert encrypted["addressing_style"] == "path"


def test_settings_default_to_the_file_system():
    built = storages_from_environment()
    assert built["default"] == {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(BASE_DIR / "media")},
    }
    assert built["staticfiles"] == django_settings.STORAGES["staticfiles"]
    elsewhere = storages_from_environment(STORAGE_BACKEND="filesystem", MEDIA_ROOT="/srv/iqm/media")
    assert elsewhere["default"] == {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": "/srv/iqm/media"},
    }


@pytest.mark.parametrize(
    "environment",
    [
        {"STORAGE_BACKEND": "ftp"},
        {"STORAGE_BACKEND": "s3"},  # no bucket
        {"STORAGE_BACKEND": "s3", "AWS_STORAGE_BUCKET_NAME": "b", "AWS_ACCESS_KEY_ID": "only-half"},
        {
            "STORAGE_BACKEND": "s3",
            "AWS_STORAGE_BUCKET_NAME": "b",
            "AWS_S3_ADDRESSING_STYLE": "sideways",
        },
    ],
)
def test_settings_refuse_an_incomplete_storage_configuration(environment):
    result = settings_in_subprocess(**environment)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_no_public_media_url():
    import iqm_portal.settings as settings_module

    # Django's default MEDIA_URL ("", read back as the script prefix "/"), and nothing serves it.
    assert not hasattr(settings_module, "MEDIA_URL") and global_settings.MEDIA_URL == ""

    def views(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from views(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                yield pattern.callback

    callbacks = list(views(get_resolver().url_patterns))
    assert callbacks and serve not in callbacks
    # static() adds its pattern only with DEBUG on, so the walk would not see it: read urls.py too.
    assert "MEDIA_" not in (BASE_DIR / "iqm_portal" / "urls.py").read_text()


def test_storage_variables_are_read_by_the_settings_and_documented():
    settings_text = (BASE_DIR / "iqm_portal" / "settings.py").read_text()
    readme = (BASE_DIR / "README.md").read_text()
    for name in STORAGE_ENVIRONMENT:
        assert re.search(rf'env\.(str|bool)\("{name}"', settings_text), name
        assert f"`{name}`" in readme, name
