"""gunicorn's settings for the portal. gunicorn reads ./gunicorn.conf.py from the folder it starts
in (the image's /app, the project folder), so `gunicorn iqm_portal.wsgi:application` (Dockerfile,
docker-compose.yml) uses it; options on the command line override it.

The application is loaded, and warmed up (iqm_portal/warmup.py), once in the master before it
forks the workers, so no worker pays for it on its first request. A code change therefore needs a
restart of the master, not a HUP to reload the workers.
"""

preload_app = True


def when_ready(server):
    """The master, the application loaded, before it starts any worker."""
    from iqm_portal.warmup import warm

    warm()


def post_worker_init(worker):
    from iqm_portal.warmup import connect

    connect()
