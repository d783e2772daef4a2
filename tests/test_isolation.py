"""Every URL, every visitor: signed out, each role, the outsider authority, a platform admin."""

import dataclasses

import pytest
import rules
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

import accounts.token_views
import accounts.views
import assessments.access
import assessments.views
import awards.views
import clusters.access
import clusters.views
import flagship.views
import moderation.views
import notifications.views
import portfolios.views
import privacy.views
import reports.render
import reviews.views
import schools.access
import schools.views
import webhooks.views
import workshops.views
from assessments import workflow
from assessments.models import Cycle
from authorities.middleware import AuthorityMiddleware

from .factories import UserFactory
from .isolation import ADMIN_SITE_ARGS, ADMIN_SITE_OPEN, PUBLIC, URLS, check, project_patterns


def make_client(user=None):
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def staff_user(db):
    return UserFactory(email="platform@example.org", is_staff=True, is_superuser=True)


def test_every_url_pattern_is_in_the_harness():
    own, admin = project_patterns()
    assert sorted(set(own) - set(URLS)) == [], "teach tests/isolation.py these URLs"
    assert sorted(set(URLS) - set(own)) == [], "these URLs no longer exist"


@pytest.mark.parametrize("name", sorted(URLS))
def test_url_isolation(name, world, staff_user):
    problems = check(make_client, name, URLS[name], world, staff_user)
    # Within the authority, the view's own checks are gone too; across authorities, nothing.
    assert [p for p in problems if "outsider" in p] == []


def test_authority_pages_need_an_access_policy(world, monkeypatch):
    """A view under an authority URL without @authority_view is refused, not served."""
    monkeypatch.delattr(schools.views.school_list, "authority_policy")
    response = make_client(world.people["authority_admin"]).get(
        reverse("schools:list", args=["bathnes"])
    )
    assert response.status_code == 500


def test_admin_site_is_for_platform_admins_only(world, staff_user):
    _, admin = project_patterns()
    member = make_client(world.people["authority_admin"])
    logins = (reverse("admin:login"), reverse("accounts:login"))
    checked = 0
    for name, params in admin.items():
        if not name.startswith("admin:") or name in ADMIN_SITE_OPEN:
            continue
        url = reverse(name, kwargs={p: ADMIN_SITE_ARGS[p] for p in params})
        for who, client in (("signed out", make_client()), ("authority admin", member)):
            response = client.get(url)
            assert (who, url, response.status_code) == (who, url, 302)
            assert response["Location"].startswith(logins)
        checked += 1
    assert checked >= 10
    assert make_client(staff_user).get(reverse("admin:index")).status_code == 200


def _base_manager_get_object_or_404(klass, **kwargs):
    """The lookup a careless view might write: by primary key alone, on the base manager, which
    django-scopes does not filter (the database's row-level security still does)."""
    model = klass if isinstance(klass, type) else klass.model
    try:
        return model._base_manager.get(**kwargs)
    except model.DoesNotExist:
        raise Http404 from None


def _unscoped_get_object_or_404(klass, **kwargs):
    """The same lookup with every scope disabled, the database's too (authorities/rls.py)."""
    with scopes_disabled():
        return _base_manager_get_object_or_404(klass, **kwargs)


# Email templates are addressed by kind, and the overview's CSVs by figure, not by a row of some
# authority: nothing there to unscope.
OBJECT_URLS = sorted(
    name
    for name, case in URLS.items()
    if case.objects
    and case.access != PUBLIC
    and not name.startswith(("notifications:template", "overview:"))
)
# Views that, having fetched their object, ask the workflow's rules whether the visitor may see it
# (its school, or its cycle): with the scope dropped they still answer "not found".
RECHECKED = {
    "schools:detail",
    "awards:logo_svg",
    "awards:logo_png",
    "reports:certificate",
    "reports:report",
    "reports:summary",
    "reports:letter",
    "reports:plaque",
    "reports:job",
    "reports:download",
    # A cluster is checked against the person's part at its lead school, in its own authority.
    "clusters:start",
    "clusters:detail",
    "clusters:partner_add",
    "clusters:partner_remove",
    "clusters:activity_create",
    "clusters:activity_edit",
    # The school's research: its school is fetched, then `may_view_research` asked.
    "flagship:research",
    "flagship:project",
    "flagship:end",
    "flagship:step_create",
    "flagship:step_edit",
    "flagship:step_remove",
    "flagship:output_create",
    "flagship:output_edit",
    "flagship:output_remove",
    # The cycle is read with its report (its ratification): fetched past its scope, another
    # authority's cycle brings no report, which row-level security hides (not found), and one the
    # visitor may not see is refused by the page's own rule (403): nothing is served either way.
    "moderation:report",
    "reviews:ratification",
}
REFUSED = {"moderation:report", "reviews:ratification"}


@pytest.mark.parametrize("name", OBJECT_URLS)
def test_harness_catches_a_view_that_drops_its_scope(name, world, staff_user, monkeypatch):
    """Take the scoping out of a view's object lookup: the harness must report the leak, or the
    view's second check must stop it."""
    for module in (
        schools.views,
        schools.access,
        accounts.views,
        assessments.access,
        assessments.views,
        portfolios.views,
        moderation.views,
        awards.views,
        flagship.views,
        notifications.views,
        reports.render,  # the PDFs' subject and job lookups (reports.views calls them)
        workshops.views,
        clusters.access,
        clusters.views,
        reviews.views,
        privacy.views,  # issue 14: privacy
        webhooks.views,  # issue 15: webhooks
        accounts.token_views,  # issue 15: tokens
    ):
        monkeypatch.setattr(module, "get_object_or_404", _unscoped_get_object_or_404)
    problems = check(make_client, name, URLS[name], world, staff_user)
    if name in RECHECKED:
        # Stopped by the view's own check, or, where that check reads the object's related rows,
        # by the database's row-level security hiding them (an error page): nothing is served.
        stopped = ["(outsider's object): 500, expected 404"]
        if name in REFUSED:
            stopped.append("(not theirs): 403, expected 404")
        assert [p for p in problems if not p.endswith(tuple(stopped))] == []
    else:
        assert any("outsider's object" in p for p in problems), problems


@pytest.mark.parametrize("name", ["assessments:cycle", "assessments:element"])
def test_the_database_stops_a_view_that_drops_its_scope(name, world, staff_user, monkeypatch):
    """A lookup past django-scopes (the base manager) inside an authority's scope: row-level
    security still refuses the outsider's object, so nothing leaks."""
    for module in (assessments.access, assessments.views, clusters.access, clusters.views):
        monkeypatch.setattr(module, "get_object_or_404", _base_manager_get_object_or_404)
    problems = check(make_client, name, URLS[name], world, staff_user)
    # Within the authority, the view's own checks are gone too; across authorities, nothing.
    assert [p for p in problems if "outsider" in p] == []


def test_harness_catches_a_missing_membership_check(world, staff_user, monkeypatch):
    original = AuthorityMiddleware.process_view

    def without_membership_check(self, request, view_func, view_args, view_kwargs):
        request.memberships = [object()]  # everyone counts as a member
        request.roles = frozenset(view_func.authority_policy.roles)
        return (
            None
            if request.user.is_authenticated
            else original(self, request, view_func, view_args, view_kwargs)
        )

    monkeypatch.setattr(AuthorityMiddleware, "process_view", without_membership_check)
    problems = check(make_client, "schools:list", URLS["schools:list"], world, staff_user)
    assert any("outsider admin" in p for p in problems), problems


def test_harness_catches_a_cycle_query_that_drops_the_school(world, staff_user, monkeypatch):
    """Every cycle of the authority for everyone: the other school's coordinator, the unassigned
    mentor and moderator, and the conflicted panel member are served what they may not see."""
    monkeypatch.setattr(
        assessments.access, "visible_cycles", lambda user, authority: Cycle.objects.all()
    )
    problems = check(make_client, "assessments:cycle", URLS["assessments:cycle"], world, staff_user)
    assert problems == [
        f"assessments:cycle GET /bathnes/cycles/{world.cycle.pk}/ as {who} (not theirs): 200, "
        "expected 404"
        for who in (
            "moderator",
            "panel_member",
            "panel_chair",
            "moderator2",
            "panel2",
            "panel3",
            "panel4",
            "other_school_coordinator",
            "other_mentor",
            "other_moderator",
            "conflicted_panel_member",
        )
    ]


def test_harness_catches_a_step_that_drops_its_predicate(world, staff_user, monkeypatch):
    """Anyone may submit the self-review: the POSTs of those who may not now change the data."""
    anyone = dataclasses.replace(workflow.STEPS["submit"], who=rules.always_allow)
    monkeypatch.setitem(workflow.STEPS, "submit", anyone)
    problems = check(
        make_client, "assessments:submit", URLS["assessments:submit"], world, staff_user
    )
    url = f"/bathnes/cycles/{world.cycle.pk}/submit/"
    assert problems == [
        f"assessments:submit POST {url} as {who}: data changed, expected unchanged"
        for who in ("school_contributor", "mentor", "authority_admin")
    ]
