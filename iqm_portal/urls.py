from django.contrib import admin
from django.urls import include, path

from . import views

authority_patterns = [
    path("", views.dashboard, name="dashboard"),
    path("", include("authorities.urls")),
    path("schools/", include("schools.urls")),
    path("people/", include("accounts.people_urls")),
    path("people/", include("privacy.urls")),
    path("audit/", include("audit.urls")),
    path("", include("assessments.urls")),
    path("cycles/<int:cycle_pk>/portfolio/", include("portfolios.urls")),
    path("", include("moderation.urls")),
    path("cycles/<int:cycle_pk>/annual-review/", include("reviews.urls")),
    path("", include("awards.urls")),
    path("", include("clusters.urls")),
    path("", include("notifications.urls")),
    path("", include("reports.urls")),
    path("", include("feedback.urls")),
    path("", include("publishing.urls")),
    path("", include("overview.urls")),
    path("workshops/", include("workshops.urls")),
    path("", include("flagship.urls")),
]

handler404 = "api.problems.not_found"  # a problem under /api/, the page elsewhere
handler500 = "iqm_portal.views.server_error"
handler403 = "iqm_portal.views.permission_denied"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("health/", views.health_view, name="health"),
    path("ready/", views.ready, name="ready"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("accounts/", include("accounts.urls")),
    path("api/", include("api.urls")),  # issue 15: REST API v1
    path("accounts/passkeys/", include("accounts.passkey_urls")),  # issue 14: passkeys
    path("platform/authorities/", views.platform_authorities, name="platform_authorities"),
    path("admin/", admin.site.urls),
    path("visit-worker.js", include("moderation.worker_urls")),  # the visit pages' service worker
    path(
        "awards/", include("publishing.directory_urls")
    ),  # a reserved slug: no authority can take it
    path("<slug:authority_slug>/", include(authority_patterns)),
]
