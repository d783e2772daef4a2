"""/api/: the schema, its documentation, and version 1's endpoints.

Each authority's endpoints sit under /api/v1/<authority-slug>/, so the authority middleware
scopes them as it scopes the authority's pages; their callers are checked by the API's own
authentication and permissions (a token is read inside the view), so the middleware lets them in.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from authorities.access import Policy

from . import records, views

router = SimpleRouter(use_regex_path=False)
router.register("areas", views.AreaViewSet, basename="area")
router.register("schools", views.SchoolViewSet, basename="school")
# Awards, clusters, published lists and render jobs (api/records.py).
router.register("awards", records.AwardViewSet, basename="award")
router.register("clusters", records.ClusterViewSet, basename="cluster")
router.register("publications", records.PublicationViewSet, basename="publication")
router.register("render-jobs", records.RenderJobViewSet, basename="render-job")

for pattern in router.urls:
    pattern.callback.authority_policy = Policy(public=True)

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("v1/authorities/", views.AuthorityList.as_view({"get": "list"}), name="authorities"),
    path("v1/<slug:authority_slug>/", include(router.urls)),
]
