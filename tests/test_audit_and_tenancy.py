import pytest
from django.db import connection, transaction
from django.db.utils import InternalError
from django.urls import reverse
from django_scopes import scope
from django_scopes.exceptions import ScopeError

from accounts.models import Invitation, Membership
from audit.domain import record
from audit.models import AppendOnlyError, AuditEntry
from schools.models import Area, School


@pytest.mark.parametrize("model", [School, Area, Membership, Invitation, AuditEntry])
def test_authority_owned_queries_fail_closed_without_a_scope(world, model):
    with pytest.raises(ScopeError):
        list(model.objects.all())


def test_a_scope_shows_only_its_authority(world):
    with scope(authority=world.outsider_authority):
        assert list(School.objects.values_list("name", flat=True)) == ["Outsider Academy"]


def test_celery_tasks_run_in_the_authority_scope(world):
    from authorities.tasks import authority_task

    @authority_task()
    def school_names(authority):
        return list(School.objects.order_by("name").values_list("name", flat=True))

    assert school_names.apply(args=[world.authority.pk]).get() == [
        "Castle Primary",
        "Chandag Infant",
    ]


@pytest.fixture
def entry(world):
    with scope(authority=world.authority):
        return record(
            authority=world.authority,
            actor=world.people["authority_admin"],
            action="school.changed",
            obj=world.school,
            before={"name": "A", "token_hash": "secret"},
            after={"name": "B", "password": "pw"},
            school=world.school,
        )


def test_secrets_never_reach_the_log(entry):
    assert (entry.before, entry.after) == ({"name": "A"}, {"name": "B"})


def test_audit_entries_cannot_be_changed_or_deleted(entry):
    entry.action = "tampered"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()


def test_the_database_refuses_to_change_the_log(entry):
    for sql in ("UPDATE audit_auditentry SET action = 'x'", "DELETE FROM audit_auditentry"):
        with (
            pytest.raises(InternalError, match="audit entries are append-only"),
            transaction.atomic(),
        ):
            with connection.cursor() as cursor:
                cursor.execute(sql)


def test_audit_log_filters_by_school_and_person(admin_client, world, entry):
    with scope(authority=world.authority):
        record(
            authority=world.authority,
            actor=world.people["mentor"],
            action="area.changed",
            obj=world.area,
        )
    url = reverse("audit:log", args=["bathnes"])
    actions = lambda params: [e.action for e in admin_client.get(url, params).context["page"]]  # noqa: E731
    assert actions({}) == [
        "area.changed",
        "school.changed",
        "signed_in",  # the admin (admin_client), before the entry fixture's change
        "cycle.registered",
        "framework.imported",
    ]
    assert actions({"school": world.school.pk}) == ["school.changed", "cycle.registered"]
    assert actions({"person": world.people["mentor"].pk}) == ["area.changed"]
    assert actions({"person": world.outsider.pk}) == []  # not a choice here: refused
    response = admin_client.get(url, {"person": world.outsider.pk})
    assert response.context["form"].errors == {
        "person": ["Select a valid choice. That choice is not one of the available choices."]
    }


@pytest.mark.parametrize("extra", [1, 3])
def test_audit_log_query_count_does_not_grow(admin_client, world, django_assert_num_queries, extra):
    with scope(authority=world.authority):
        for _ in range(extra):
            record(
                authority=world.authority,
                actor=world.people["mentor"],
                action="area.changed",
                obj=world.area,
                school=world.school,
                person=world.people["mentor"],
            )
    # session, user, authority, memberships, switcher, count, page; the filter's two choice lists
    with django_assert_num_queries(9):
        response = admin_client.get(reverse("audit:log", args=["bathnes"]))
    # the world's framework import and cycle registration, and the admin's sign-in
    assert len(response.context["page"]) == 2 + extra + 1


@pytest.mark.parametrize("extra", [1, 3])
def test_people_list_query_count_does_not_grow(
    admin_client, world, django_assert_num_queries, extra
):
    from .factories import MembershipFactory

    MembershipFactory.create_batch(extra, authority=world.authority, role="mentor")
    with django_assert_num_queries(8):
        response = admin_client.get(reverse("people:list", args=["bathnes"]))
    # a role each, a second moderator, three more panel members and four with no part in the cycle
    assert len(response.context["page"]) == 16 + extra


@pytest.mark.parametrize(
    "data, errors",
    [
        (
            {
                "name": "",
                "panel_quorum": "",
                "reminder_lead_months": "",
                "upload_limit_mb": "",
                "portfolio_limit_mb": "",
            },
            {
                "name": ["This field is required."],
                "panel_quorum": ["This field is required."],
                "upload_limit_mb": ["This field is required."],
                "portfolio_limit_mb": ["This field is required."],
                "reminder_lead_months": ["This field is required."],
            },
        ),
        (
            {"name": "B&NES", "panel_quorum": "0", "reminder_lead_months": "6"},
            {"panel_quorum": ["Ensure this value is greater than or equal to 1."]},
        ),
        (
            {"name": "B&NES", "panel_quorum": "three", "reminder_lead_months": "6"},
            {"panel_quorum": ["Enter a whole number."]},
        ),
        (
            {"name": "Outsider Council", "panel_quorum": "3", "reminder_lead_months": "6"},
            {"name": ["Authority with this Name already exists."]},
        ),
    ],
)
def test_bad_settings_are_refused(admin_client, world, data, errors):
    data = {"upload_limit_mb": "20", "portfolio_limit_mb": "500", **data}
    response = admin_client.post(reverse("authorities:settings", args=["bathnes"]), data)
    assert response.status_code == 200
    assert response.context["form"].errors == errors
    world.authority.refresh_from_db()
    assert (world.authority.name, world.authority.panel_quorum) == ("Bath & North East Somerset", 3)


def test_settings_change_is_logged(admin_client, world):
    response = admin_client.post(
        reverse("authorities:settings", args=["bathnes"]),
        {
            "name": "Bath & North East Somerset",
            "panel_quorum": "4",
            "reminder_lead_months": "3",
            "upload_limit_mb": "20",
            "portfolio_limit_mb": "500",
        },
    )
    assert response.status_code == 302
    with scope(authority=world.authority):
        entry = AuditEntry.objects.get(action="authority.settings_changed")
    assert entry.changes == [("panel_quorum", 3, 4), ("reminder_lead_months", 6, 3)]
