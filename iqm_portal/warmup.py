"""What a web worker would otherwise pay on its first requests, paid once in gunicorn's master
before it forks the workers (gunicorn.conf.py, preload_app), so that every worker, the first and
any that replaces one, starts with it in memory it shares with the master: a new worker's first
request took 0.7 to 1 s where the next took milliseconds.

That is: every view's module and what it imports (the URLconf, whole), the project's templates
and the form widgets', compiled into the template engine's cache, the static files' manifest, the
translations, and the libraries loaded only when first used (the Redis client; cairosvg, for the
PNG logo). Nothing here touches the database or Redis: a connection opened in the master would be
shared by every worker forked from it. Each worker opens its own once it starts (`connect`).
"""

import logging
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.db import connection, connections
from django.template import engines
from django.urls import get_resolver
from django.utils import translation

logger = logging.getLogger(__name__)

# Imported on first use: redis by Django's Redis cache (80 ms), cairosvg by the PNG logo
# (awards/logo.py), which looks up the system's libcairo then.
LAZY_MODULES = ("redis", "cairosvg")


def warm() -> list[str]:
    """Load and compile everything above; the names of the templates compiled."""
    get_resolver().reverse_dict  # noqa: B018 (imports every URLconf, and so every view)
    templates = _compile_templates()
    getattr(staticfiles_storage, "manifest_hash", None)  # reads the manifest
    with translation.override(settings.LANGUAGE_CODE):
        translation.gettext("")
    for name in LAZY_MODULES:
        try:
            __import__(name)
        except (ImportError, OSError) as error:  # the page that needs it says so itself
            logger.warning("Warm-up could not import %s: %s", name, error)
    connections.close_all()
    logger.info("Warmed up: %d templates compiled.", len(templates))
    return templates


def _compile_templates() -> list[str]:
    """The project's templates (its one folder) and Django's form widgets (every form the portal
    renders goes through them)."""
    import django.forms

    engine = engines["django"].engine
    folders = [Path(folder) for folder in engine.dirs]
    folders.append(Path(django.forms.__file__).parent / "templates")
    names = sorted(
        {
            str(path.relative_to(folder))
            for folder in folders
            for path in folder.rglob("*")
            if path.is_file()
        }
    )
    for name in names:
        engine.get_template(name)
    return names


def connect() -> None:
    """In a worker, as it starts: its database connection, kept for its requests
    (CONN_MAX_AGE). If the database cannot be reached, the first request will say so."""
    try:
        connection.ensure_connection()
    except Exception as error:  # noqa: BLE001 (any failure to connect: the request reports it)
        logger.warning("Worker could not connect to the database yet: %s", error)
