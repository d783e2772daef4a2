"""Production headers and settings (issue 14, point 2): HSTS, the redirect to https and the proxy
header, Permissions-Policy, no-store for everything a signed-in person is shown, the request-size
cap, the error pages, and `check --deploy` with production settings."""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.db import transaction
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, FakePayload, encode_multipart
from django.urls import reverse
from django.views.defaults import bad_request, server_error
from django_scopes import scope

from iqm_portal import settings as portal_settings
from portfolios.models import EvidenceItem

from .factories import UserFactory
from .isolation import PLATFORM, PUBLIC, URLS, attempt, url_kwargs
from .journey import advance

BASE_DIR = Path(portal_settings.BASE_DIR)
NO_STORE = "max-age=0, no-cache, no-store, must-revalidate, private"


def production_env(**overrides):
    """What an operator sets for a deployment behind a TLS proxy."""
    return {
        "PATH": os.environ["PATH"],
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "0",
        "SITE_URL": "https://iqm.example.org",
        "ALLOWED_HOSTS": "iqm.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://iqm.example.org",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/iqm"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
        **overrides,
    }


def check_deploy(env):
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_settings():
    result = check_deploy(production_env())
    assert (result.returncode, result.stderr) == (0, "")
    # Silenced, with its reason in settings.py: the ratelimit check that knows only django-redis.
    assert result.stdout == "System check identified no issues (1 silenced).\n"


def test_check_deploy_fails_for_a_deployment_left_on_http():
    """The test above would catch a default that stopped following SITE_URL."""
    result = check_deploy(production_env(SITE_URL="http://iqm.example.org"))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    reported = sorted(line.split(")")[0] + ")" for line in lines if ": (" in line)
    assert reported == [
        "?: (otp_webauthn.E031)",  # issue 14: passkeys' origin (SITE_URL) is not secure
        "?: (security.W004)",
        "?: (security.W008)",
        "?: (security.W012)",
        "?: (security.W016)",
    ]


SETTINGS = [
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "MAX_REQUEST_MB",
]


def read_settings(**env):
    """The settings above as a fresh process computes them with only these variables set."""
    env = {"PATH": os.environ["PATH"], "SECRET_KEY": "test-only-secret", "DEBUG": "0", **env}
    code = (
        "import json; from django.conf import settings; import django; django.setup(); "
        f"print(json.dumps({{name: getattr(settings, name, None) for name in {SETTINGS!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "iqm_portal.settings"},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


LAPTOP = {
    "SECURE_SSL_REDIRECT": False,
    "SECURE_PROXY_SSL_HEADER": None,
    "SECURE_HSTS_SECONDS": 0,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
    "SESSION_COOKIE_SECURE": False,
    "CSRF_COOKIE_SECURE": False,
    "MAX_REQUEST_MB": 210,
}
DEPLOYED = {
    **LAPTOP,
    "SECURE_SSL_REDIRECT": True,
    "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    "SECURE_HSTS_SECONDS": 31_536_000,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
}


@pytest.mark.parametrize(
    "env, expected",
    [
        # `make run`: http on 127.0.0.1 with DEBUG on, and the same with it off.
        ({"DEBUG": "1"}, LAPTOP),
        ({}, LAPTOP),
        # Docker Compose's demo, on http://127.0.0.1:8000.
        ({"SITE_URL": "http://127.0.0.1:8000"}, LAPTOP),
        ({"SITE_URL": "https://iqm.example.org"}, DEPLOYED),
        (
            {
                "SITE_URL": "https://iqm.example.org",
                "SECURE_HSTS_SECONDS": "300",
                "SECURE_HSTS_PRELOAD": "0",
                "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Ssl: on",
                "MAX_REQUEST_MB": "50",
            },
            {
                **DEPLOYED,
                "SECURE_HSTS_SECONDS": 300,
                "SECURE_HSTS_PRELOAD": False,
                "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_SSL", "on"],
                "MAX_REQUEST_MB": 50,
            },
        ),
        # The portal ends TLS itself (no proxy): no header to trust.
        (
            {"SITE_URL": "https://iqm.example.org", "SECURE_PROXY_SSL_HEADER": ""},
            {**DEPLOYED, "SECURE_PROXY_SSL_HEADER": None},
        ),
        (
            {"SITE_URL": "https://iqm.example.org", "SECURE_COOKIES": "0"},
            {**DEPLOYED, "SESSION_COOKIE_SECURE": False, "CSRF_COOKIE_SECURE": False},
        ),
    ],
)
def test_security_settings_follow_site_url_unless_set(env, expected):
    assert read_settings(**env) == expected


def test_a_malformed_proxy_header_is_refused_at_start():
    result = subprocess.run(
        [sys.executable, "-c", "import iqm_portal.settings"],
        env=production_env(SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto"),
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: SECURE_PROXY_SSL_HEADER must be "
        '"Header-Name: value", e.g. "X-Forwarded-Proto: https".'
    )


@pytest.fixture
def deployed(settings):
    """Production's security settings, as SITE_URL=https://... makes them."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    return settings


@pytest.mark.django_db
def test_http_is_redirected_to_https_and_https_gets_hsts(deployed):
    client = Client()  # a new client: middleware reads its settings when first loaded
    response = client.get("/accessibility/", HTTP_HOST="127.0.0.1")
    assert (response.status_code, response["Location"]) == (301, "https://127.0.0.1/accessibility/")
    assert "Strict-Transport-Security" not in response
    response = client.get("/accessibility/", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    # A client cannot claim https by the header's other spellings.
    response = client.get("/accessibility/", headers={"X-Forwarded-Ssl": "on"})
    assert response.status_code == 301


@pytest.mark.django_db
def test_health_checks_over_plain_http_are_not_redirected(deployed):
    client = Client()
    response = client.get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok")
    assert client.get("/health/").status_code == 200
    assert client.get("/ready/").status_code == 200


# Permissions-Policy


def policy_of(response):
    return dict(item.split("=", 1) for item in response["Permissions-Policy"].split(", "))


@pytest.mark.django_db
def test_permissions_policy_on_every_response(client, world):
    signed_out = [client.get(path) for path in ("/accessibility/", "/no-such-page/")]
    client.force_login(world.people["authority_admin"])
    signed_in = [client.get(reverse("dashboard", args=["bathnes"])), client.get("/bathnes/nope/")]
    assert [r.status_code for r in signed_out + signed_in] == [200, 404, 200, 404]
    for response in signed_out + signed_in:
        policy = policy_of(response)
        assert {f for f, allowed in policy.items() if allowed != "()"} == {
            "fullscreen",
            "publickey-credentials-create",
            "publickey-credentials-get",
        }
        assert {policy[f] for f in ("fullscreen", "publickey-credentials-get")} == {"(self)"}
        for feature in ("camera", "microphone", "geolocation", "payment", "usb", "serial"):
            assert policy[feature] == "()"


def test_no_page_uses_a_feature_the_policy_turns_off():
    """The portal's own scripts and templates ask for none of them."""
    calls = (
        "getUserMedia",
        "geolocation",
        "PaymentRequest",
        "navigator.usb",
        "navigator.serial",
        "navigator.hid",
        "navigator.bluetooth",
        "navigator.share",
        "requestMIDIAccess",
        "<iframe",
        "autoplay",
    )
    found = [
        (str(path.relative_to(BASE_DIR)), call)
        for folder in ("static/js", "templates")
        for path in sorted((BASE_DIR / folder).rglob("*"))
        if path.is_file() and path.suffix in {".js", ".html"}
        for call in calls
        if call in path.read_text()
    ]
    assert found == []


# Cache-Control


@pytest.mark.django_db
def test_signed_in_pages_and_downloads_are_not_stored_public_pages_are(client, world):
    from .isolation import _item, _published

    item = _item(world, world.authority)
    published = _published(world, world.authority)
    public = [
        reverse("publishing:awards", kwargs={**published, "authority_slug": "bathnes"}),
        reverse("publishing:awards_csv", kwargs={**published, "authority_slug": "bathnes"}),
        reverse("accessibility"),
    ]
    for url in public:
        response = client.get(url)
        assert (url, response.status_code, response.get("Cache-Control")) == (url, 200, None)
    static = client.get(staticfiles_storage.url("css/portal.css"))
    assert static.status_code == 200
    assert "no-store" not in static["Cache-Control"]

    client.force_login(world.people["school_coordinator"])
    private = [
        reverse("dashboard", args=["bathnes"]),
        reverse("assessments:cycle", args=["bathnes", world.cycle.pk]),
        reverse("portfolios:portfolio", args=["bathnes", world.cycle.pk]),
        reverse("portfolios:download", args=["bathnes", world.cycle.pk, item["item_pk"]]),
        *public,  # the header names the person signed in
        "/bathnes/no-such-page/",
    ]
    for url in private:
        response = client.get(url)
        assert (url, response["Cache-Control"]) == (url, NO_STORE)
        assert response["Expires"]
    assert client.get(private[3]).getvalue().startswith(b"Evidence ")
    # What the browser keeps after signing out: nothing, and the pages ask for a sign-in.
    client.post(reverse("accounts:logout"))
    assert client.get(private[0]).status_code == 302


# The responses whose view sets its own Cache-Control, and why.
OWN_CACHE_CONTROL = {
    # The visit pages' service worker: it holds no data, and must be checked for updates.
    "visit_worker:script": "no-cache",
}


def _groups():
    found = defaultdict(list)
    for name, case in sorted(URLS.items()):
        if case.method == "get":
            found[(case.state, case.kind)].append(name)
    return found


GROUPS = _groups()


@pytest.mark.parametrize("group", sorted(GROUPS), ids=lambda g: "-".join(map(str, g)))
def test_every_signed_in_get_of_the_matrix_says_no_store(group, world):
    """Every GET pattern of tests/isolation.py, opened by someone signed in who may (or anyone
    signed in, for the public ones): every response says no-store."""
    state, kind = group
    staff = UserFactory(email="platform@example.org", is_staff=True, is_superuser=True)
    if (state, kind) != (URLS["home"].state, URLS["home"].kind):
        advance(world, state, kind)
    people = {**world.people, **world.others}
    problems, statuses = [], []
    for name in GROUPS[group]:
        case = URLS[name]
        if case.access == PUBLIC:
            user = world.people["authority_admin"]
        elif case.access == PLATFORM:
            user = staff
        else:
            user = people[
                "authority_admin" if "authority_admin" in case.access else sorted(case.access)[0]
            ]
        client = Client(raise_request_exception=False)
        client.force_login(user)
        response = _rolled_back(_get, client, name, case, world)
        statuses.append((name, response.status_code))
        said = response.get("Cache-Control", "")
        if name in OWN_CACHE_CONTROL:
            stored = said != OWN_CACHE_CONTROL[name]
        else:
            stored = "no-store" not in [d.strip() for d in said.split(",")]
        if stored:
            problems.append((name, response.status_code, response.get("Cache-Control")))
    assert problems == []
    # Not an empty walk: the allowed visitor got the page itself (public pages aside: the sign-in
    # page sends a signed-in person on, and a bare reset link says it has expired).
    assert [
        (name, status)
        for name, status in statuses
        if URLS[name].access != PUBLIC and status != URLS[name].ok
    ] == []


def _get(client, name, case, world):
    kwargs = url_kwargs(name, case, world, world.authority)
    return attempt(client, case, reverse(name, kwargs=kwargs), world, kwargs)[0]


class _Undo(Exception):
    pass


def _rolled_back(work, *args):
    """What `work(*args)` returns, with everything it wrote undone: each URL's objects (some,
    such as a school's current research, may exist once only) are made afresh for it."""
    try:
        with transaction.atomic():
            result = work(*args)
            raise _Undo
    except _Undo:
        return result


# The request-size cap


class Recorder:
    """A request body that notes every read."""

    def __init__(self, body: bytes):
        self.payload = FakePayload(body)
        self.reads = 0

    def read(self, *args):
        self.reads += 1
        return self.payload.read(*args)

    def readline(self, *args):
        self.reads += 1
        return self.payload.readline(*args)


def _multipart(size):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = b"x" * size
    return encode_multipart(BOUNDARY, {"files": [SimpleUploadedFile("notes.txt", content)]})


def _items(world):
    with scope(authority=world.authority):
        return EvidenceItem.objects.filter(cycle=world.cycle).count()


@pytest.mark.parametrize("accept, page", [("text/html", "html"), ("application/json", "json")])
def test_a_body_over_the_cap_is_refused_unread_and_the_view_never_runs(
    client, world, settings, accept, page
):
    settings.MAX_REQUEST_MB = 1
    client.force_login(world.people["school_coordinator"])
    url = reverse("portfolios:upload", args=["bathnes", world.cycle.pk])
    body = _multipart(1024 * 1024 + 1)
    sent = Recorder(body)
    response = client.generic(
        "POST", url, body, MULTIPART_CONTENT, headers={"Accept": accept}, **{"wsgi.input": sent}
    )
    assert response.status_code == 413
    assert (sent.reads, _items(world)) == (0, 0)
    message = (
        "What you sent is larger than 1 MB, the most the portal takes at once: nothing was saved. "
        "Send fewer files at a time, or smaller ones."
    )
    if page == "json":
        assert response.json() == {"error": message}
    else:
        assert [t.name for t in response.templates][0] == "413.html"
        html = response.content.decode()
        assert "<h1>Too much to send at once</h1>" in html
        assert f"<p>{message}</p>" in html
        assert response["Cache-Control"] == NO_STORE
        assert "Content-Security-Policy" in response

    # The same file under a higher cap is read and added: the view would have run.
    settings.MAX_REQUEST_MB = 2
    sent = Recorder(body)
    response = client.generic(
        "POST", url, body, MULTIPART_CONTENT, headers={"Accept": accept}, **{"wsgi.input": sent}
    )
    assert response.status_code == (200 if page == "json" else 302)
    assert sent.reads > 0
    assert _items(world) == 1


@pytest.mark.django_db
def test_a_chunked_body_is_refused_unread(client, world):
    sent = Recorder(b"5\r\nhello\r\n0\r\n\r\n")
    client.force_login(world.people["school_coordinator"])
    response = client.generic(
        "POST",
        reverse("portfolios:upload", args=["bathnes", world.cycle.pk]),
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": sent},
    )
    assert response.status_code == 411
    assert sent.reads == 0
    assert "<h1>The request could not be read</h1>" in response.content.decode()


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _exchange(port, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


@pytest.fixture
def gunicorn():
    """The portal under gunicorn, as deployed (Dockerfile), on a free port."""
    port = _free_port()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "iqm_portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        env=production_env(
            SITE_URL=f"http://127.0.0.1:{port}", ALLOWED_HOSTS="127.0.0.1", MAX_REQUEST_MB="5"
        ),
        cwd=BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "no gunicorn"
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_gunicorn_answers_an_oversize_or_chunked_body_before_it_arrives(gunicorn):
    """A real request: headers that announce 1 GB and no body at all. Were the body awaited, the
    answer would never come (the socket's 10 s timeout would fail the test)."""
    head = (
        "POST /bathnes/cycles/1/portfolio/upload/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\n"
    )
    started = time.monotonic()
    answer = _exchange(gunicorn, (head + "Content-Length: 1073741824\r\n\r\n").encode())
    assert answer.split(b"\r\n", 1)[0] == b"HTTP/1.1 413 Request Entity Too Large"
    assert b"What you sent is larger than 5 MB" in answer
    assert time.monotonic() - started < 10
    answer = _exchange(
        gunicorn, (head + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n").encode()
    )
    assert answer.split(b"\r\n", 1)[0] == b"HTTP/1.1 411 Length Required"


# Error pages


@pytest.mark.django_db
def test_error_pages_say_what_happened_and_what_to_do(client, world, rf):
    from django.core.exceptions import SuspiciousOperation

    pages = {
        400: bad_request(rf.get("/"), SuspiciousOperation()),
        500: server_error(rf.get("/")),
        404: client.get("/no-such-page/"),
    }
    client.force_login(world.people["school_contributor"])
    pages[403] = client.get(reverse("schools:list", args=["bathnes"]))
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(world.people["school_contributor"])
    pages["csrf"] = csrf.post(reverse("accounts:logout"))
    headings = {
        key: (response.status_code, response.content.decode().split("<h1>")[1].split("</h1>")[0])
        for key, response in pages.items()
    }
    assert headings == {
        400: (400, "The request could not be read"),
        500: (500, "Sorry, something went wrong"),
        404: (404, "Page not found"),
        403: (403, "You cannot open this page"),
        "csrf": (403, "The form has expired"),
    }
    for template in ("400.html", "403.html", "403_csrf.html", "404.html", "413.html", "500.html"):
        assert (BASE_DIR / "templates" / template).is_file()
