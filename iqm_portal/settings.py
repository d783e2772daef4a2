"""Settings for the IQM Portal, read from the environment (django-environ).

With nothing set, the portal runs on a laptop: SQLite in the project folder, Celery tasks
in-process, email to the console. DATABASE_URL and REDIS_URL switch to PostgreSQL, Redis and
real Celery workers; CACHE_URL gives the cache a Redis of its own.
"""

from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 on a development machine).")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Links in emails: by default the address `make run` serves, runserver on 127.0.0.1:$PORT.
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}")
SITE_URL = SITE_URL.rstrip("/")
# Served over https (a deployment): HSTS, the redirect to https and secure cookies default on.
# The laptop default (http://127.0.0.1:8000) keeps them off, so `make run` works over http.
HTTPS = SITE_URL.startswith("https://")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",  # issue 14: passkeys
    "rules",
    "axes",
    "csp",
    "plaintext",  # issue 14: free text neutralised before it is saved
    "iqm_portal",
    "accounts",
    "authorities",
    "schools",
    "clusters",
    "audit",
    "assessments",
    "awards",
    "portfolios",
    "notifications",
    "moderation",
    "flagship",
    "reviews",
    "workshops",
    "reports",
    "publishing",
    "feedback",
    "overview",
    "privacy",
    "api",  # issue 15: REST API v1
    "webhooks",  # issue 15: webhooks
    "django_ratelimit",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    "iqm_portal.middleware.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "iqm_portal.middleware.NoStoreMiddleware",
    # Before LoginRequiredMiddleware: a timed-out session is ended and sent to sign in with a
    # message, and an htmx request (an autosave) gets a 401 its page can show, not a login page.
    "accounts.sessions.SessionTimeoutMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Sends a session that owes a second factor to the page that asks for it (reads the session
    # only; django-otp's OTPMiddleware is not used, as it reads the device on every request).
    "accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Nothing above reads a request's body; a body over MAX_REQUEST_MB is refused here, unread.
    "iqm_portal.middleware.RequestSizeLimitMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "authorities.middleware.AuthorityMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "iqm_portal.urls"
WSGI_APPLICATION = "iqm_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "authorities.context_processors.authority",
            ],
        },
    },
]

FORM_RENDERER = "iqm_portal.forms.PortalFormRenderer"

# SQLite (the laptop default) takes several requests writing at once only in WAL mode, with a busy
# timeout, and with transactions that take the write lock as they begin: a deferred one that reads
# and then writes, as an upload does, fails at once with "database is locked" whatever the timeout.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
}


def database_config(url):
    """The DATABASES entry for a database URL."""
    config = env.db_url_config(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
    return config


DATABASES = {
    "default": database_config(
        env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that does not answer fails a request in seconds, with the 503 page, rather than
    # holding it until the browser gives up.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
    # A server-side cursor (QuerySet.iterator(), which form choices use) is declared apart from
    # the statement that sets the authority for row-level security (authorities/rls.py), so it
    # would read nothing: results are fetched in chunks on the client instead.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
# Connections are kept and reused from request to request: opening one (a PostgreSQL backend's
# start-up) cost about half of a key page's time. A kept connection carries nothing of
# the request before it: row-level security's setting lives only as long as its transaction
# (authorities/rls.py), and tests/test_row_level_security.py checks it request after request.
# A connection that broke while idle is found and replaced before the request uses it.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A read replica (a hot standby of DATABASE_URL's database) that the public pages read from
# (authorities/replica.py), connected to as the primary is but at its own address.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    _replica = database_config(DATABASE_REPLICA_URL)
    DATABASES["replica"] = {
        **DATABASES["default"],
        **_replica,
        "OPTIONS": {**DATABASES["default"].get("OPTIONS", {}), **_replica.get("OPTIONS", {})},
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["authorities.replica.ReplicaRouter"]
# The database role the application works as (authorities/rls.py): it owns no table and is no
# superuser, so PostgreSQL's row-level security binds it. Every statement takes it on for its
# transaction (so it holds behind a pooler in transaction mode); migrate and flush run as the
# connecting user, the tables' owner. Empty: work as the connecting user (row-level security then
# binds only if that user is neither owner nor superuser).
DATABASE_APP_ROLE = env.str(
    "DATABASE_APP_ROLE",
    default="iqm_app" if DATABASES["default"]["ENGINE"].endswith("postgresql") else "",
)
# Where migrate and flush connect, as the tables' owner, when DATABASE_URL is the portal's own
# login role (DATABASE_APP_ROLE the same role): only its user, password, host and port are used.
MIGRATE_DATABASE_URL = env.str("MIGRATE_DATABASE_URL", default="")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# REDIS_URL: the Celery broker's Redis, which must never evict (a queued task evicted is lost).
# CACHE_URL: the cache's, which should evict its least recently used keys when full
# (allkeys-lru), so the cache can never fill the broker's memory. Unset or empty: REDIS_URL's, as
# on a laptop or a deployment with one Redis. What the cache holds is all rebuilt or re-counted if
# evicted: rendered pages, stamps (a new one is drawn), frameworks' elements (read again), the
# workers' heartbeat (rewritten every 2 s) and rate-limit counts (an evicted one lets a few more
# requests through; sign-in lock-outs are django-axes's, in the database).
REDIS_URL = env.str("REDIS_URL", default="")
CACHE_URL = env.str("CACHE_URL", default="") or REDIS_URL
if CACHE_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: a real broker when REDIS_URL is set, otherwise tasks run in-process.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "iqm"
# The tasks that make PDFs (long, and hungry for CPU and memory) go to PDF_QUEUE, the others to
# "iqm". By default that is the same queue, which `make worker` takes. Across machines,
# PDF_QUEUE=pdf lets workers sized for rendering take the PDFs (`--queues=pdf`) while others send
# the emails and webhooks (`--queues=iqm`) without waiting behind them (README, "Running across
# machines").
PDF_QUEUE = env.str("PDF_QUEUE", default=CELERY_TASK_DEFAULT_QUEUE)
CELERY_TASK_ROUTES = {
    "reports.tasks.render_job": {"queue": PDF_QUEUE},
    "privacy.tasks.build_export": {"queue": PDF_QUEUE},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker that loses Redis (a restart, a failover) reconnects for as long as it takes, rather than
# exiting after Celery's default 100 attempts; what was queued waits in Redis, which must therefore
# persist its data (appendonly, on a volume: docker-compose.yml, README "Faults").
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# /ready/ reports a worker as seen if one sent its heartbeat (every 2 s; iqm_portal/celery.py)
# within this many seconds.
WORKER_SEEN_WITHIN = env.int("WORKER_SEEN_WITHIN_SECONDS", default=60)
# A message Redis delivered and that was never acknowledged (the whole worker was killed, so nothing
# put it back) is delivered again once it is this many seconds old, by the next worker to start or
# by a live worker's periodic sweep. Tasks are acknowledged when they end (acks_late), so this must
# stay well above the longest task (reports.tasks.TIME_LIMIT, 90 s) and the longest retry countdown,
# or a task still running would be delivered a second time.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300)
}
# A worker process grown past this after a task is replaced by a fresh one (Celery counts in KiB).
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_MB", default=512) * 1024
# How far one PDF render may grow its process's address space before it fails as too large;
# 0: no limit.
PDF_MEMORY_LIMIT_MB = env.int("PDF_MEMORY_LIMIT_MB", default=1024)
CELERY_BEAT_SCHEDULE = {
    # Requeue emails whose worker died while sending, or whose task was lost
    # (notifications/tasks.py).
    "notifications-requeue-stuck": {"task": "notifications.tasks.requeue_stuck", "schedule": 300.0},
    # Fail PDFs whose worker was killed at the hard time limit; queue again those whose task was
    # lost.
    "reports-sweep-renders": {"task": "reports.tasks.sweep_renders", "schedule": 300.0},
    # Awards expiring, reviews due, targets overdue, awards lapsed: each told once
    # (notifications/reminders.py). Beat's clock is UTC: 05:30 is early morning in the UK.
    "notifications-send-reminders": {
        "task": "notifications.tasks.send_reminders",
        "schedule": crontab(hour=5, minute=30),
    },
    # Delete the evidence files of cycles decided longer ago than EVIDENCE_RETENTION_YEARS.
    "privacy-evidence-retention": {
        "task": "privacy.tasks.apply_evidence_retention",
        "schedule": crontab(hour=2, minute=15),
    },
    # Delete subject access exports past their expiry.
    "privacy-expire-exports": {"task": "privacy.tasks.expire_exports", "schedule": 3600.0},
    # Queue again webhook deliveries whose task was lost or whose worker died (webhooks/tasks.py).
    "webhooks-sweep": {"task": "webhooks.tasks.sweep", "schedule": 60.0},
}
# Webhooks go only to https:// addresses on the public internet (webhooks/sending.py). True lets
# tests and local development send to loopback and private addresses, over http:// too; never in
# production.
WEBHOOKS_ALLOW_PRIVATE = env.bool("WEBHOOKS_ALLOW_PRIVATE", default=False)

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env.int("PASSWORD_MIN_LENGTH", default=12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # The workflow's predicates (assessments/workflow.py), by their rules names.
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Second factors (accounts/two_factor.py): a change to how a person signs in (password, email,
# second factor) asks for the password (and a code) again when they last proved who they are more
# than this many seconds ago.
REAUTH_SECONDS = env.int("REAUTH_SECONDS", default=300)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="IQM Portal")
# Passkeys (WebAuthn, django-otp-webauthn) as a second factor, never alone (no passwordless
# sign-in). The relying party is SITE_URL's host, and SITE_URL the one origin a passkey is accepted
# from. Browsers refuse an IP address as a relying party: the laptop default (127.0.0.1) becomes
# localhost, so passkeys work on http://localhost:$PORT. Changing the id orphans every passkey.
_SITE = urlsplit(SITE_URL)
_PASSKEY_HOST = "localhost" if _SITE.hostname == "127.0.0.1" else _SITE.hostname
OTP_WEBAUTHN_RP_ID = env.str("PASSKEY_RP_ID", default=_PASSKEY_HOST)
OTP_WEBAUTHN_RP_NAME = env.str("PASSKEY_RP_NAME", default=OTP_TOTP_ISSUER)
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list(
    "PASSKEY_ORIGINS",
    default=[f"{_SITE.scheme}://{_SITE.netloc.replace(_SITE.hostname, _PASSKEY_HOST, 1)}"],
)
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_TIMEOUT_SECONDS = env.int("PASSKEY_TIMEOUT_SECONDS", default=120)
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=7)
# Privacy (privacy/): evidence files of cycles decided more than this many years ago are deleted
# (the records stay; 0: keep them for ever). Six years: the Limitation Act's period for a claim,
# what a local authority's retention schedule commonly gives a school's assessment records.
EVIDENCE_RETENTION_YEARS = env.int("EVIDENCE_RETENTION_YEARS", default=6)
# How long a subject access export may be downloaded before its files are deleted.
PRIVACY_EXPORT_VALID_DAYS = env.int("PRIVACY_EXPORT_VALID_DAYS", default=7)

# Login throttling: five failures for one email from one address lock it for fifteen minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"  # the login form's field, which holds the email address
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = False  # its records name the people who sign in (accounts/admin.py)
# Password-reset requests (accounts/views.py), counted in the default cache: per client address,
# and per account (the email, however it is spelt). Over either, the same "check your email" page
# is shown and nothing is sent.
PASSWORD_RESET_RATE_PER_ADDRESS = env.str("PASSWORD_RESET_RATE_PER_ADDRESS", default="10/h")
PASSWORD_RESET_RATE_PER_ACCOUNT = env.str("PASSWORD_RESET_RATE_PER_ACCOUNT", default="3/h")

# Sessions live in accounts.UserSession, which names the person signed in, so disabling a person
# (or removing their last role) deletes their sessions at once (accounts/sessions.py).
SESSION_ENGINE = "accounts.sessions"
# A session ends after this long without a request, and this long after signing in whatever the
# activity; the person signs in again and comes back to the page they were on.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=30) * 60  # seconds
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT_HOURS", default=12) * 3600  # seconds
# The cookie and the stored session go at the absolute timeout (not Django's two weeks).
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Behind a proxy that ends TLS, the header it sets on every request it passes on (and overwrites
# when a client sends it): "Header-Name: value", or empty when the portal ends TLS itself. Without
# it Django takes every request for http, and the redirect to https would never end.
_proxy_ssl_header = env.str(
    "SECURE_PROXY_SSL_HEADER", default="X-Forwarded-Proto: https" if HTTPS else ""
)
if _proxy_ssl_header.strip():
    _name, _, _value = _proxy_ssl_header.partition(":")
    if not _name.strip() or not _value.strip():
        raise ImproperlyConfigured(
            'SECURE_PROXY_SSL_HEADER must be "Header-Name: value", e.g. "X-Forwarded-Proto: https".'
        )
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + _name.strip().upper().replace("-", "_"),
        _value.strip(),
    )
# How many proxies (a load balancer, nginx) pass each request on to gunicorn, each adding the
# address it received it from to X-Forwarded-For: the client's address is read from there
# (iqm_portal/middleware.py). 0: nothing is in front, REMOTE_ADDR is the client's. gunicorn must
# then be reachable only through those proxies.
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS)
# Load balancers' and Docker's health checks ask over plain http from inside.
SECURE_REDIRECT_EXEMPT = env.list(
    "SECURE_REDIRECT_EXEMPT", default=[r"^healthz$", r"^health/$", r"^ready/$"]
)
# HSTS: a year, for the portal's host and every name under it. `preload` only allows the host to
# be put on the browsers' built-in list, which someone must ask for at hstspreload.org (it takes
# only a registrable domain, so it never applies to a portal on an authority's subdomain); turn
# it off if that must never happen, and check --deploy will say so (security.W021).
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Browser features no page of the portal uses, off for the portal and anything it might frame.
# Passkeys (WebAuthn) are its own: publickey-credentials-* stay allowed for the portal itself.
PERMISSIONS_POLICY = {
    **{
        feature: []
        for feature in (
            "accelerometer",
            "ambient-light-sensor",
            "autoplay",
            "bluetooth",
            "browsing-topics",
            "camera",
            "clipboard-read",
            "display-capture",
            "encrypted-media",
            "geolocation",
            "gyroscope",
            "hid",
            "identity-credentials-get",
            "idle-detection",
            "interest-cohort",
            "local-fonts",
            "magnetometer",
            "microphone",
            "midi",
            "otp-credentials",
            "payment",
            "picture-in-picture",
            "screen-wake-lock",
            "serial",
            "usb",
            "web-share",
            "window-management",
            "xr-spatial-tracking",
        )
    },
    "fullscreen": ["self"],  # browsers' PDF viewers offer it on the portal's own PDFs
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
}

# The largest request body the portal reads, checked against Content-Length before any of it is
# read (iqm_portal/middleware.py). The largest legitimate one is a portfolio upload: one file per
# request from the page's script, up to the authority's limit for one file (20 MB by default, 200
# at most), or without script up to 10 files at once (portfolios.domain.FILES_PER_REQUEST): 210
# MB takes one file at the highest limit, or ten at the default one, and their form.
MAX_REQUEST_MB = env.int("MAX_REQUEST_MB", default=210)
# Django's own limits, kept explicit: the fields of a form other than its files (2.5 MB, Django's
# default; a self-review answer or a report section is far smaller), and how many files one
# request may carry (the upload form takes ten and says so past that; more is no browser's doing).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 20
# An upload over this is written to a temporary file as it arrives rather than held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# Sending must give up well before notifications.tasks.STUCK_AFTER (10 minutes) takes a slow
# worker for a dead one.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="IQM Portal <no-reply@iqm-portal.test>")
# Where the accessibility statement asks people to report a problem or ask for another format.
ACCESSIBILITY_CONTACT_EMAIL = env.str(
    "ACCESSIBILITY_CONTACT_EMAIL", default="accessibility@iqm-portal.test"
)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded and generated files (the schools' portfolio of evidence, PDFs) go through Django's
# storage API and are only ever served by views that check access first: there is no MEDIA_URL
# (Django's default, empty) and urls.py does not serve MEDIA_ROOT. STORAGE_BACKEND=s3 keeps them
# in S3-compatible object storage (AWS, MinIO, Ceph...) as private objects instead.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="").strip().lower() or "filesystem"


def _default_storage():
    if STORAGE_BACKEND == "filesystem":
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": MEDIA_ROOT},
        }
    if STORAGE_BACKEND != "s3":
        raise ImproperlyConfigured(
            f"STORAGE_BACKEND must be filesystem or s3, not {STORAGE_BACKEND!r}"
        )
    bucket = env.str("AWS_STORAGE_BUCKET_NAME", default="")
    if not bucket:
        raise ImproperlyConfigured("STORAGE_BACKEND=s3 needs AWS_STORAGE_BUCKET_NAME.")
    addressing_style = env.str("AWS_S3_ADDRESSING_STYLE", default="") or None
    if addressing_style not in (None, "auto", "path", "virtual"):
        raise ImproperlyConfigured("AWS_S3_ADDRESSING_STYLE must be auto, path or virtual.")
    options = {
        "bucket_name": bucket,
        "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="")
        or None,  # MinIO, Ceph...; None: AWS
        "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
        "addressing_style": addressing_style,
        "default_acl": "private",
        "querystring_auth": True,  # url() gives short-lived signed URLs only
        "file_overwrite": False,  # a name in use gets a new one (get_available_name)
        "location": "",
    }
    # Without these, boto3's usual chain (environment, ~/.aws, instance or task role).
    access_key = env.str("AWS_ACCESS_KEY_ID", default="")
    secret_key = env.str("AWS_SECRET_ACCESS_KEY", default="")
    if bool(access_key) != bool(secret_key):
        raise ImproperlyConfigured(
            "Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither."
        )
    if access_key:
        options.update(access_key=access_key, secret_key=secret_key)
    if env.bool("AWS_S3_SERVER_SIDE_ENCRYPTION", default=False):
        options["object_parameters"] = {"ServerSideEncryption": "AES256"}
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGES = {
    "default": _default_storage(),
    # Hashed, compressed names in production (collectstatic first); plain names on a laptop and in
    # tests.
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("STATIC_MANIFEST", default=not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

SILENCED_SYSTEM_CHECKS = [
    "models.W047"
]  # SQLite (laptop default) cannot make the nulls-not-distinct constraint; PostgreSQL does
# django-ratelimit (feedback/views.py) counts in the default cache. Its check knows only
# django-redis and memcached; Django's own RedisCache counts with Redis's atomic INCR, which is all
# it needs.
SILENCED_SYSTEM_CHECKS.append("django_ratelimit.W001")
if not CACHE_URL:
    # A laptop serves from one runserver process, so the per-process LocMem cache counts every
    # request.
    # With a Redis cache (every deployment) all processes count in Redis and this check stays on.
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
        # Security events with no authority to log them in (accounts/security_log.py).
        "iqm_portal.security": {"level": "INFO"},
    },
}

# Backups (iqm_portal/backup.py; `make backup`, `make restore`). PG_BINDIR: the folder of pg_dump
# and pg_restore, of the server's major version; empty: `pg_config --bindir`, then PATH.
# BACKUP_DIR: where `manage.py backup` writes when not given --to. BACKUP_KEEP: how many backups it
# keeps there, the newest; 0 keeps them all (retention is then the operator's).
PG_BINDIR = env.str("PG_BINDIR", default="")
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(BASE_DIR / "backups")))
BACKUP_KEEP = env.int("BACKUP_KEEP", default=0)

# The REST API (api/, README "API"): personal tokens or the session, problem details for every
# error, pages of 50, and a rate per token (or per person with a session) counted in the cache.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "api.authentication.SessionAuthentication",  # refuses a session owing its 2nd factor
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.AuthorityMember"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "api.schema.ProblemSchema",
    "EXCEPTION_HANDLER": "api.problems.handler",
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PerToken"],
    "DEFAULT_THROTTLE_RATES": {"token": env.str("API_RATE", default="600/min")},
    # REMOTE_ADDR is already the client's (PROXY_COUNT); DRF would otherwise believe a client's
    # own X-Forwarded-For.
    "NUM_PROXIES": 0,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "IQM Portal API",
    "DESCRIPTION": "Inclusion Quality Mark assessments, from a school's self-review to the "
    "published list of awarded schools. README, “API”, shows a whole case by curl.",
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",  # served by the app, no CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name (kind, state, judgement, recommendation), named apart.
    "ENUM_NAME_OVERRIDES": {
        "CycleKindEnum": "assessments.models.Cycle.Kind",
        "CycleStateEnum": "assessments.models.Cycle.State",
        "ActivityKindEnum": "clusters.models.Activity.Kind",
        "RenderJobKindEnum": "reports.models.RenderJob.Kind",
        "RenderJobStateEnum": "reports.models.RenderJob.State",
        "VisitNoteKindEnum": "moderation.models.VisitNote.Kind",
        "FindingJudgementEnum": "moderation.models.Finding.Judgement",
        "ReportRecommendationEnum": "api.moderation.RECOMMENDATIONS",
        "ElementProgressJudgementEnum": "reviews.models.ElementProgress.Judgement",
        "RatificationRecommendationEnum": "reviews.models.Ratification.Recommendation",
    },
}
