"""Scale-out: the portal keeps nothing in its processes. Two web servers (gunicorn) and two Celery
workers share one PostgreSQL database, one Redis and one object store (a moto S3 server), as they
would on four machines behind a load balancer; each web server has a MEDIA_ROOT of its own, which
nothing may use. A person's requests go to either web server in turn, as a load balancer without
sticky sessions sends them.

The processes run for the whole module (starting them is most of its time), against the test
database pytest-django made; each test's data is committed (transactional) and flushed after it.
"""

import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core.cache import cache
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from accounts.models import User, UserSession
from api.throttling import PerToken
from authorities.replica import REPLICA, ReplicaRouter, from_replica
from awards.models import Award, Tier
from iqm_portal.middleware import ClientAddressMiddleware
from publishing.directory import publications_stamp
from reports.models import RenderJob
from schools.models import School

from .assessment_helpers import complete_answer_data
from .faults import _database_url, free_port, wait_for
from .storage import DUMMY_CREDENTIALS, STORAGE_ENVIRONMENT, s3_server  # noqa: F401
from .test_render_worker import renders_done

BASE_DIR = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"
API_RATE = 4  # requests a minute per person, for the web servers here
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

on_both = pytest.mark.django_db(transaction=True)


# --- The processes -------------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self):
        """SIGTERM (gunicorn's and Celery's graceful stop), SIGKILL if that takes too long."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)


@dataclass
class Web:
    process: Process
    url: str
    media: Path  # its own MEDIA_ROOT: with object storage, nothing is written there


@dataclass
class Cluster:
    webs: tuple[Web, Web]
    workers: tuple[Process, Process]
    s3: object
    bucket: str

    def stored(self, authority) -> list[str]:
        """The objects of an authority in the bucket (the module's tests share it)."""
        listed = self.s3.client().list_objects_v2(Bucket=self.bucket).get("Contents", [])
        folder = re.compile(rf"[a-z]+/{authority.pk}/")
        return sorted(item["Key"] for item in listed if folder.match(item["Key"]))


def start(name, command, environment, folder) -> Process:
    log = folder / f"{name}.log"
    with open(log, "wb") as output:
        popen = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Process(name, popen, log)


def answers(web) -> bool:
    try:
        return requests.get(f"{web.url}/health/", timeout=5).status_code == 200
    except requests.RequestException:  # not listening yet, or its worker still importing
        return False


@pytest.fixture(scope="module")
def cluster(django_db_setup, tmp_path_factory, s3_server):  # noqa: F811
    folder = tmp_path_factory.mktemp("scale-out")
    bucket = s3_server.create_bucket()
    database = _database_url()  # the test database
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in STORAGE_ENVIRONMENT and not name.startswith("AWS_")
    }
    environment.update(
        DUMMY_CREDENTIALS,
        DATABASE_URL=database,
        REDIS_URL=settings.REDIS_URL,
        CACHE_URL=settings.CACHE_URL,
        SECRET_KEY="test-only-secret",
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1",
        STORAGE_BACKEND="s3",
        AWS_STORAGE_BUCKET_NAME=bucket,
        AWS_S3_ENDPOINT_URL=s3_server.endpoint_url,
        AWS_S3_REGION_NAME=s3_server.region,
        NO_PROXY=",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1"])),
        PDF_QUEUE="pdf",
        PROXY_COUNT="1",  # as behind a load balancer: the client's address is in X-Forwarded-For
        CONN_MAX_AGE="60",
        API_RATE=f"{API_RATE}/min",
        PYTHONUNBUFFERED="1",
    )
    # An empty Redis: the processes declare the queues' bindings in it as they start.
    cache.clear()
    webs, workers = [], []
    for name in ("a", "b"):
        port = free_port()
        media = folder / f"media-{name}"
        media.mkdir()
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "iqm_portal.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            "--workers=1",
        ]
        # A "replica" that is the same database, under a name of its own in pg_stat_activity.
        replica = f"{database}?application_name=iqm-replica-{name}"
        process = start(
            f"web-{name}",
            command,
            {**environment, "MEDIA_ROOT": str(media), "DATABASE_REPLICA_URL": replica},
            folder,
        )
        webs.append(Web(process, f"http://127.0.0.1:{port}", media))
    for number in (1, 2):
        command = [
            sys.executable, "-m", "celery", "-A", "iqm_portal", "worker",
            "--pool=prefork", "--concurrency=1", "--queues=iqm,pdf", "--loglevel=INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            f"--hostname=scale-out-{number}@%h",
        ]  # fmt: skip
        media = folder / f"media-worker-{number}"
        media.mkdir()
        workers.append(
            start(f"worker-{number}", command, {**environment, "MEDIA_ROOT": str(media)}, folder)
        )
    try:
        for web in webs:
            wait_for(lambda web=web: answers(web), 90, f"{web.process.name} to answer")
        for worker in workers:
            wait_for(lambda w=worker: " ready." in w.output(), 90, f"{worker.name} to be ready")
        yield Cluster(tuple(webs), tuple(workers), s3_server, bucket)
    finally:
        for process in [web.process for web in webs] + workers:
            process.stop()
            print(f"--- {process.name} ---\n{process.output()}")  # shown if a test failed
        s3_server.delete_bucket(bucket)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Not here: emptying Redis would also take away the queues' bindings that the running
    processes declared when they started, and tasks sent after it would go nowhere. The cluster
    starts on an empty Redis, and what each test caches is keyed by its own rows' ids."""
    yield


# --- A browser -----------------------------------------------------------------------------------


class Browser:
    """One person's browser, from one address: a cookie jar (cookies are per host, not per port,
    so both web servers get the same cookies, as behind one load balancer's address)."""

    def __init__(self, address="192.0.2.10"):
        self.session = requests.Session()
        self.session.headers["X-Forwarded-For"] = address  # what the load balancer would add

    def get(self, web, path, **kwargs):
        return self.session.get(web.url + path, allow_redirects=False, timeout=60, **kwargs)

    def post(self, web, path, data=None, **kwargs):
        """A form post, with the CSRF token of the last page this browser had a form on (from
        either web server)."""
        data = {"csrfmiddlewaretoken": self.session.cookies["csrftoken"], **(data or {})}
        return self.session.post(
            web.url + path, data=data, allow_redirects=False, timeout=60, **kwargs
        )

    def sign_in(self, web, email, password=PASSWORD):
        self.get(web, reverse("accounts:login"))
        return self.post(web, reverse("accounts:login"), {"username": email, "password": password})

    def signed_in_as(self, user):
        """A session made by a third process (this one) the way the login page makes it, second
        factor and all (tests/conftest.py): it is a row in the database, nothing more."""
        client = Client()
        client.force_login(user)
        name = settings.SESSION_COOKIE_NAME
        self.session.cookies.set(name, client.cookies[name].value)
        return self


def with_password(user):
    """The password, hashed as the portal hashes it (the tests' own hasher is not the portal's)."""
    hasher = Argon2PasswordHasher()
    User.objects.filter(pk=user.pk).update(password=hasher.encode(PASSWORD, hasher.salt()))
    return user


def one(pattern, text) -> str:
    (found,) = re.findall(pattern, text, re.S)
    return found


def award(world):
    today = timezone.localdate()
    with scope(authority=world.authority):
        return Award.objects.create(
            authority=world.authority,
            school=world.school,
            tier=Tier.QUALITY_MARK,
            awarded_on=today - timedelta(days=30),
            expires_on=today + timedelta(days=3 * 365),
        )


# --- Across two web servers and two workers ------------------------------------------------------


@on_both
def test_a_session_made_on_one_web_server_is_valid_on_the_other(cluster, world):
    a, b = cluster.webs
    coordinator = with_password(world.people["school_coordinator"])
    dashboard = reverse("dashboard", args=["bathnes"])
    browser = Browser()
    assert browser.get(b, dashboard).headers["Location"] == f"/accounts/login/?next={dashboard}"

    assert browser.sign_in(a, coordinator.email).status_code == 302
    assert browser.get(b, dashboard).status_code == 200
    assert browser.get(a, dashboard).status_code == 200  # and its sign-out form

    assert browser.post(b, reverse("accounts:logout")).status_code == 302
    assert browser.get(a, dashboard).headers["Location"] == f"/accounts/login/?next={dashboard}"
    assert UserSession.objects.filter(user=coordinator).count() == 0


@on_both
def test_an_answer_saved_on_one_is_read_and_built_on_by_the_other(cluster, world):
    a, b = cluster.webs
    browser = Browser().signed_in_as(world.people["school_coordinator"])
    with scopes_disabled():
        element = world.cycle.framework.elements.get(number=1)
        data = complete_answer_data(element)
    url = reverse("assessments:element", args=["bathnes", world.cycle.pk, element.pk])
    form = {
        "rating": data["rating"],
        **{f"descriptor-{pk}": rating for pk, rating in data["ratings"].items()},
        **{name: data[name] for name in ("evidence", "strengths", "development")},
    }
    practice = r'<textarea name="practice"[^>]*>\n?(.*?)</textarea>'

    def save(web, version, text):
        data = {**form, "version": version, "practice": text}
        return browser.post(web, url, data, headers={"HX-Request": "true"})  # as autosave does

    assert browser.get(b, url).status_code == 200
    saved = save(a, 0, "Typed on A.")
    assert saved.status_code == 200
    assert one(r'data-version="(\d+)"', saved.text) == "1"
    assert one(practice, browser.get(b, url).text) == "Typed on A."

    # B knows A's save: one made from the copy before it is refused, one made after it is taken.
    assert save(b, 0, "Old copy.").status_code == 409
    assert one(r'data-version="(\d+)"', save(b, 1, "Typed on B.").text) == "2"
    assert one(practice, browser.get(a, url).text) == "Typed on B."


@on_both
def test_a_file_uploaded_to_one_is_downloaded_from_the_other(cluster, world):
    a, b = cluster.webs
    browser = Browser().signed_in_as(world.people["school_coordinator"])
    portfolio = reverse("portfolios:portfolio", args=["bathnes", world.cycle.pk])
    assert browser.get(b, portfolio).status_code == 200

    response = browser.post(
        a,
        reverse("portfolios:upload", args=["bathnes", world.cycle.pk]),
        files={"files": ("Attendance report.pdf", PDF, "application/pdf")},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    ((name, title, item_url),) = [
        (r["name"], r["title"], r["url"]) for r in response.json()["results"]
    ]
    assert (name, title) == ("Attendance report.pdf", "Attendance report")

    download = browser.get(b, item_url + "file/")
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    (stored,) = cluster.stored(world.authority)
    assert re.fullmatch(rf"portfolios/{world.authority.pk}/[0-9a-f]{{32}}\.pdf", stored)
    assert [list(web.media.iterdir()) for web in cluster.webs] == [[], []]


@on_both
def test_a_pdf_asked_for_on_one_is_made_by_a_worker_and_served_by_the_other(cluster, world):
    a, b = cluster.webs
    browser = Browser().signed_in_as(world.people["school_coordinator"])
    certificate = award(world)
    assert browser.get(b, reverse("dashboard", args=["bathnes"])).status_code == 200

    asked = browser.post(a, reverse("reports:certificate", args=["bathnes", certificate.pk]))
    assert asked.status_code == 302
    with scopes_disabled():
        job = RenderJob.objects.get()
    assert asked.headers["Location"] == reverse("reports:job", args=["bathnes", job.pk])

    def state():
        with scopes_disabled():
            return RenderJob.objects.get(pk=job.pk).state

    wait_for(lambda: state() != RenderJob.State.QUEUED, 60, "a worker to take the job")
    wait_for(lambda: state() == RenderJob.State.DONE, 60, "the worker to make the PDF")
    page = browser.get(b, asked.headers["Location"])
    assert page.status_code == 200
    download_url = reverse("reports:download", args=["bathnes", job.pk])
    assert f'href="{download_url}"' in page.text
    assert "hx-trigger" not in page.text  # done: the page stops asking

    pdf = browser.get(b, download_url)
    assert pdf.status_code == 200
    assert pdf.content[:5] == b"%PDF-"
    year = certificate.awarded_on.year
    assert pdf.headers["Content-Disposition"] == (
        f'attachment; filename="iqm-certificate-{world.school.pk}-{year}.pdf"'
    )
    (stored,) = cluster.stored(world.authority)
    assert re.fullmatch(rf"reports/{world.authority.pk}/[0-9a-f]{{32}}\.pdf", stored)
    # Whichever worker took it, exactly one made it.
    assert sorted(renders_done(worker) for worker in cluster.workers) == [0, 1]


@on_both
def test_what_is_published_on_one_shows_at_once_on_the_other(cluster, world):
    """The national directory's figures are cached in Redis under a stamp of the publications:
    one web server's cached figures are the other's, and a publication on either makes them
    stale for both. Public pages read from the replica."""
    a, b = cluster.webs
    award(world)
    public = Browser("203.0.113.5")
    directory = reverse("directory:search")
    headline = r'<p class="lead">(.*?)</p>'

    assert replica_connections() == []
    nothing = "No school has a published IQM award yet."
    assert one(headline, public.get(b, directory).text) == nothing
    assert replica_connections() == ["iqm-replica-b"]
    none = {"total": 0, **{tier.value: 0 for tier in Tier}}
    assert cache.get(f"directory:{publications_stamp()}:counts") == none
    assert public.get(a, reverse("publishing:awards", args=["bathnes"])).status_code == 404
    assert replica_connections() == ["iqm-replica-a", "iqm-replica-b"]

    admin = Browser().signed_in_as(world.people["authority_admin"])
    publish = reverse("publishing:publish", args=["bathnes"])
    confirmed = one(r'name="confirmed" value="([0-9a-f]{64})"', admin.get(b, publish).text)
    published = admin.post(a, publish, {"confirmed": confirmed})
    assert published.headers["Location"] == reverse("publishing:history", args=["bathnes"])

    one_award = "1 school holds an IQM award."
    assert [one(headline, public.get(web, directory).text) for web in (b, a)] == [one_award] * 2
    counts = cache.get(f"directory:{publications_stamp()}:counts")
    assert counts == {**none, "total": 1, Tier.QUALITY_MARK: 1}
    listed = public.get(b, reverse("publishing:awards", args=["bathnes"]))
    assert listed.status_code == 200
    assert re.findall(r'<th scope="row">(.*?)</th>', listed.text) == ["Chandag Infant"]


def replica_connections() -> list[str]:
    """The web servers' open connections to their "replica" (only public pages make one)."""
    with connection.cursor() as cursor:
        # As the connecting user: the application's role sees only its own sessions.
        cursor.execute(
            "SELECT set_config('role', 'none', true), pg_stat_clear_snapshot(); "
            "SELECT application_name FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name LIKE 'iqm-replica-%' "
            "ORDER BY 1"
        )
        return [name for (name,) in cursor.fetchall()]


@on_both
def test_sign_in_failures_and_rate_limits_count_across_both(cluster, world):
    """django-axes counts failures in the database; the API's rate is counted in Redis. Both
    count per client, as the load balancer names it (X-Forwarded-For), not per web server."""
    a, b = cluster.webs
    coordinator = with_password(world.people["school_coordinator"])
    attacker, neighbour = Browser("198.51.100.7"), Browser("198.51.100.8")

    codes = [attacker.sign_in(web, coordinator.email, "wrong").status_code for web in (a, b) * 2]
    assert codes == [200, 200, 200, 200]
    assert attacker.sign_in(b, coordinator.email, "wrong").status_code == 429  # the fifth
    assert attacker.sign_in(a, coordinator.email).status_code == 429
    assert attacker.sign_in(b, coordinator.email).status_code == 429
    assert neighbour.sign_in(b, coordinator.email).status_code == 302

    api = reverse("api:authorities")
    codes = [neighbour.get(web, api).status_code for web in (a, b) * API_RATE]
    assert codes == [200] * API_RATE + [429] * API_RATE


# --- Behind a load balancer: the client's address -------------------------------------------------


@pytest.mark.parametrize(
    "proxies, forwarded, address",
    [
        (0, "198.51.100.7", "10.0.0.2"),  # no proxy: the header is the client's own word
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "203.0.113.66, 198.51.100.7", "198.51.100.7"),  # the client's forgery is passed over
        (2, "203.0.113.66, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
        (1, "2001:db8::7", "2001:db8::7"),
        (2, "198.51.100.7", "10.0.0.2"),  # fewer than the proxies: it came around them
        (1, "", "10.0.0.2"),
        (1, "not an address", "10.0.0.2"),
    ],
)
def test_the_client_address_is_the_one_the_outermost_proxy_saw(
    settings, proxies, forwarded, address
):
    settings.PROXY_COUNT = proxies
    seen = []
    middleware = ClientAddressMiddleware(lambda request: seen.append(request.META["REMOTE_ADDR"]))
    middleware(RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded))
    assert seen == [address]


def test_the_api_throttle_believes_no_forwarded_address_of_its_own():
    """The middleware has made REMOTE_ADDR the client's; a client's own X-Forwarded-For must not
    give it a fresh count."""
    request = RequestFactory().get(
        "/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.66"
    )
    assert PerToken().get_ident(request) == "198.51.100.7"


# --- A read replica for the public pages ---------------------------------------------------------


def test_only_the_public_pages_read_from_the_replica():
    router = ReplicaRouter()
    read = from_replica(lambda request: router.db_for_read(School))
    assert router.db_for_read(School) is None  # the primary, as without a router
    assert read(None) == REPLICA
    assert not hasattr(router, "db_for_write")  # every write goes to the primary
    assert router.allow_migrate(REPLICA, "schools") is False
    assert router.allow_migrate("default", "schools") is None
    primary, replica = School(), School()
    primary._state.db, replica._state.db = "default", REPLICA
    assert router.allow_relation(primary, replica) is True
