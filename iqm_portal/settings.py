"""Settings for the IQM Portal, read from the environment (django-environ).

With nothing set, the portal runs on a laptop: SQLite in the project folder, Celery tasks
in-process, email to the console. DATABASE_URL and REDIS_URL switch to PostgreSQL, Redis and
real Celery workers.
"""

from pathlib import Path

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
    "rules",
    "axes",
    "csp",
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
    "django_ratelimit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
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
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# The database role the application works as (authorities/rls.py): it owns no table and is no
# superuser, so PostgreSQL's row-level security binds it. Each connection SET ROLEs to it; migrate
# and flush run as the connecting user, the tables' owner. Empty: work as the connecting user
# (row-level security then binds only if that user is neither owner nor superuser).
DATABASE_APP_ROLE = env.str(
    "DATABASE_APP_ROLE",
    default="iqm_app" if DATABASES["default"]["ENGINE"].endswith("postgresql") else "",
)
# Where migrate and flush connect, as the tables' owner, when DATABASE_URL is the portal's own
# login role (DATABASE_APP_ROLE the same role): only its user, password, host and port are used.
MIGRATE_DATABASE_URL = env.str("MIGRATE_DATABASE_URL", default="")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
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
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
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
}

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
        "OPTIONS": {"min_length": 10},
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
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=7)

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

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool(
    "SECURE_COOKIES", default=not DEBUG and not SITE_URL.startswith("http://")
)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

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
if not REDIS_URL:
    # A laptop serves from one runserver process, so the per-process LocMem cache counts every
    # request.
    # With REDIS_URL set (every deployment) all processes count in Redis and this check stays on.
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint.progress": {"level": "WARNING"}},
}
