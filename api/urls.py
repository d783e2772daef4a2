"""/api/: the schema, its documentation, and version 1's endpoints.

Each authority's endpoints sit under /api/v1/<authority-slug>/, so the authority middleware
scopes them as it scopes the authority's pages; their callers are checked by the API's own
authentication and permissions (a token is read inside the view), so the middleware lets them in.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from authorities.access import Policy

from . import cycles, moderation, plans, portfolio, records, views

router = SimpleRouter(use_regex_path=False)
router.register("areas", views.AreaViewSet, basename="area")
router.register("schools", views.SchoolViewSet, basename="school")
# Cycles, the self-review's answers and the mentor's review (api/cycles.py).
router.register("cycles", cycles.CycleViewSet, basename="cycle")
router.register("cycles/<int:cycle_pk>/answers", cycles.AnswerViewSet, basename="cycle-answer")
router.register(
    "cycles/<int:cycle_pk>/mentor-reviews",
    cycles.MentorReviewViewSet,
    basename="cycle-mentor-review",
)
# The portfolio of evidence (api/portfolio.py).
router.register("cycles/<int:cycle_pk>/evidence", portfolio.EvidenceViewSet, basename="evidence")
router.register(
    "cycles/<int:cycle_pk>/evidence/<int:item_pk>/comments",
    portfolio.EvidenceCommentViewSet,
    basename="evidence-comment",
)
# The visit's notes and the decisions (api/moderation.py).
router.register(
    "cycles/<int:cycle_pk>/visit/notes", moderation.VisitNoteViewSet, basename="visit-note"
)
router.register("decisions", moderation.DecisionViewSet, basename="decision")
# Awards, clusters, published lists and render jobs (api/records.py).
router.register("awards", records.AwardViewSet, basename="award")
router.register("clusters", records.ClusterViewSet, basename="cluster")
router.register("publications", records.PublicationViewSet, basename="publication")
router.register("render-jobs", records.RenderJobViewSet, basename="render-job")


def on_cycle(route, viewset, actions, name):
    """A route of one cycle that is no list or item: a step, or the cycle's one visit, report or
    panel."""
    return path(f"cycles/<int:cycle_pk>/{route}/", viewset.as_view(actions), name=name)


steps = portfolio.PortfolioStepViewSet
visit, report, panel = moderation.VisitViewSet, moderation.ReportViewSet, moderation.PanelViewSet
cycle_routes = [
    on_cycle(
        "submit-portfolio", steps, {"get": "submit_check", "post": "submit"}, "submit-portfolio"
    ),
    on_cycle("accept-for-visit", steps, {"post": "accept"}, "accept-for-visit"),
    on_cycle("return-portfolio", steps, {"post": "return_portfolio"}, "return-portfolio"),
    on_cycle("visit", visit, {"get": "retrieve"}, "visit"),
    on_cycle("plan-visit", visit, {"post": "plan"}, "plan-visit"),
    on_cycle("report", report, {"get": "retrieve"}, "report"),
    on_cycle("report/sections/<str:section>", report, {"patch": "save_section"}, "report-section"),
    on_cycle("sign-report", report, {"post": "sign"}, "sign-report"),
    on_cycle("panel", panel, {"get": "retrieve"}, "panel"),
    on_cycle("open-vote", panel, {"post": "open"}, "open-vote"),
    on_cycle("ballots", panel, {"post": "vote"}, "ballots"),
    on_cycle("decide", panel, {"post": "decide"}, "decide"),
    on_cycle("correct-decision", panel, {"post": "correct"}, "correct-decision"),
]
# Action-plan targets, element assignments, and a review's annual update, ratification and
# development plan (api/plans.py) keep their own routes.
authority_routes = router.urls + cycle_routes + plans.urls
for pattern in authority_routes:
    pattern.callback.authority_policy = Policy(public=True)

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        # The split view serves Swagger UI's setup as a script of its own: no inline script.
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    path("v1/authorities/", views.AuthorityList.as_view({"get": "list"}), name="authorities"),
    path("v1/<slug:authority_slug>/", include(authority_routes)),
]
