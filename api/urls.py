"""/api/: the schema, its documentation, and version 1's endpoints.

Each authority's endpoints sit under /api/v1/<authority-slug>/, so the authority middleware
scopes them as it scopes the authority's pages; their callers are checked by the API's own
authentication and permissions (a token is read inside the view), so the middleware lets them in.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from authorities.access import Policy

from . import portfolio, views

router = SimpleRouter(use_regex_path=False)
router.register("areas", views.AreaViewSet, basename="area")
router.register("schools", views.SchoolViewSet, basename="school")

# The portfolio of evidence, its submission and the desk check (api/portfolio.py).
router.register("cycles/<int:cycle_pk>/evidence", portfolio.EvidenceViewSet, basename="evidence")
router.register(
    "cycles/<int:cycle_pk>/evidence/<int:item_pk>/comments",
    portfolio.EvidenceCommentViewSet,
    basename="evidence-comment",
)
_steps = portfolio.PortfolioStepViewSet
portfolio_urls = [
    path(
        "cycles/<int:cycle_pk>/submit-portfolio/",
        _steps.as_view({"get": "submit_check", "post": "submit"}),
        name="submit-portfolio",
    ),
    path(
        "cycles/<int:cycle_pk>/accept-for-visit/",
        _steps.as_view({"post": "accept"}),
        name="accept-for-visit",
    ),
    path(
        "cycles/<int:cycle_pk>/return-portfolio/",
        _steps.as_view({"post": "return_portfolio"}),
        name="return-portfolio",
    ),
]
# (end of the portfolio's block)

for pattern in router.urls + portfolio_urls:
    pattern.callback.authority_policy = Policy(public=True)

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("v1/authorities/", views.AuthorityList.as_view({"get": "list"}), name="authorities"),
    path("v1/<slug:authority_slug>/", include(router.urls)),
    path("v1/<slug:authority_slug>/", include(portfolio_urls)),  # the portfolio's steps
]
