"""/api/: the schema, its documentation, and version 1's endpoints.

Each authority's endpoints sit under /api/v1/<authority-slug>/, so the authority middleware
scopes them as it scopes the authority's pages; their callers are checked by the API's own
authentication and permissions (a token is read inside the view), so the middleware lets them in.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from authorities.access import Policy

from . import cycles, moderation, plans, portfolio, records, views

router = SimpleRouter(use_regex_path=False)
router.register("areas", views.AreaViewSet, basename="area")
router.register("schools", views.SchoolViewSet, basename="school")

# Awards, clusters, published lists and render jobs (api/records.py).
router.register("awards", records.AwardViewSet, basename="award")
router.register("clusters", records.ClusterViewSet, basename="cluster")
router.register("publications", records.PublicationViewSet, basename="publication")
router.register("render-jobs", records.RenderJobViewSet, basename="render-job")

# Cycles, the self-review's answers and the mentor's review (api/cycles.py).
router.register("cycles", cycles.CycleViewSet, basename="cycle")
router.register("cycles/<int:cycle_pk>/answers", cycles.AnswerViewSet, basename="cycle-answer")
router.register(
    "cycles/<int:cycle_pk>/mentor-reviews",
    cycles.MentorReviewViewSet,
    basename="cycle-mentor-review",
)

# Issue 15, moderation (api/moderation.py): the visit and its notes, the report, the panel's vote
# and the decisions.
router.register(
    "cycles/<int:cycle_pk>/visit/notes", moderation.VisitNoteViewSet, basename="visit-note"
)
router.register("decisions", moderation.DecisionViewSet, basename="decision")
moderation_urls = [
    path(
        "cycles/<int:cycle_pk>/visit/",
        moderation.VisitViewSet.as_view({"get": "retrieve"}),
        name="visit",
    ),
    path(
        "cycles/<int:cycle_pk>/plan-visit/",
        moderation.VisitViewSet.as_view({"post": "plan"}),
        name="plan-visit",
    ),
    path(
        "cycles/<int:cycle_pk>/report/",
        moderation.ReportViewSet.as_view({"get": "retrieve"}),
        name="report",
    ),
    path(
        "cycles/<int:cycle_pk>/report/sections/<str:section>/",
        moderation.ReportViewSet.as_view({"patch": "save_section"}),
        name="report-section",
    ),
    path(
        "cycles/<int:cycle_pk>/sign-report/",
        moderation.ReportViewSet.as_view({"post": "sign"}),
        name="sign-report",
    ),
    path(
        "cycles/<int:cycle_pk>/panel/",
        moderation.PanelViewSet.as_view({"get": "retrieve"}),
        name="panel",
    ),
    path(
        "cycles/<int:cycle_pk>/open-vote/",
        moderation.PanelViewSet.as_view({"post": "open"}),
        name="open-vote",
    ),
    path(
        "cycles/<int:cycle_pk>/ballots/",
        moderation.PanelViewSet.as_view({"post": "vote"}),
        name="ballots",
    ),
    path(
        "cycles/<int:cycle_pk>/decide/",
        moderation.PanelViewSet.as_view({"post": "decide"}),
        name="decide",
    ),
]
for pattern in moderation_urls:
    pattern.callback.authority_policy = Policy(public=True)

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
for pattern in portfolio_urls:
    pattern.callback.authority_policy = Policy(public=True)

for pattern in router.urls:
    pattern.callback.authority_policy = Policy(public=True)

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("v1/authorities/", views.AuthorityList.as_view({"get": "list"}), name="authorities"),
    path("v1/<slug:authority_slug>/", include(router.urls)),
    path("v1/<slug:authority_slug>/", include(portfolio_urls)),
    path("v1/<slug:authority_slug>/", include(moderation_urls)),  # issue 15, moderation
]

# Action-plan targets, element assignments, and a review's annual update, ratification and
# development plan (api/plans.py), under /cycles/<cycle_pk>/ on its own routes.
for pattern in plans.urls:
    pattern.callback.authority_policy = Policy(public=True)
urlpatterns.append(path("v1/<slug:authority_slug>/", include(plans.urls)))
