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
    import gc

    from iqm_portal.warmup import warm

    warm()
    # What the master has loaded lives as long as the workers: moved out of the collector's
    # generations, it is no longer walked by a worker's full collections (tens of milliseconds
    # each, in the middle of a request), nor written to by them, so fewer of its pages are copied.
    gc.freeze()


def post_worker_init(worker):
    from iqm_portal.warmup import connect

    connect()
