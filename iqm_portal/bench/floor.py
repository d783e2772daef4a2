"""The floor `manage.py bench` measures each page against: the portal's own settings and
middleware, served by gunicorn the same way, with one view that answers "ok" (a settings module
that is also its URLconf: DJANGO_SETTINGS_MODULE=iqm_portal.bench.floor).

What a page takes beyond this is the page's own work: its queries, forms and templates.
"""

from django.http import HttpResponse
from django.urls import path

from iqm_portal.settings import *  # noqa: F403

ROOT_URLCONF = "iqm_portal.bench.floor"


def ok(request):
    return HttpResponse("ok", content_type="text/plain")


ok.login_required = False  # what login_not_required marks: a public page
urlpatterns = [path("", ok), path("health/", ok)]
