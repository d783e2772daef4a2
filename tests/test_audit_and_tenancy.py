import re

import pytest
from django.db import connection, transaction
from django.db.utils import InternalError
from django.urls import reverse
from django_scopes import scope
from django_scopes.exceptions import ScopeError

from accounts.models import Invitation, Membership
from audit.domain import record
from audit.models import AppendOnlyError, AuditEntry
from authorities.school_picker import school_text
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


def test_audit_log_filters_by_school_and_person_as_typed(admin_client, world, entry):
    with scope(authority=world.authority):
        record(
            authority=world.authority,
            actor=world.people["mentor"],
            action="area.changed",
            obj=world.area,
        )
        record(
            authority=world.authority,
            actor=world.others["other_mentor"],
            action="area.changed",
            obj=world.area,
            school=world.other_school,
        )
    url = reverse("audit:log", args=["bathnes"])
    actions = lambda params: [  # noqa: E731
        (e.action, e.actor.email if e.actor else None)
        for e in admin_client.get(url, params).context["page"].entries
    ]
    assert actions({}) == [
        ("area.changed", "other_mentor@bathnes.test"),
        ("area.changed", "mentor@bathnes.test"),
        ("school.changed", "authority_admin@bathnes.test"),
        ("signed_in", "authority_admin@bathnes.test"),  # before the entry fixture's change
        ("cycle.registered", None),
        ("framework.imported", None),
    ]
    about_chandag = [("school.changed", "authority_admin@bathnes.test"), ("cycle.registered", None)]
    assert actions({"school": school_text(world.school)}) == about_chandag  # a suggestion chosen
    assert actions({"school": "Chandag Infant"}) == about_chandag
    assert actions({"school": world.school.urn}) == about_chandag
    assert actions({"school": "  chandag "}) == about_chandag  # part of a name, any case
    assert actions({"school": "C"}) == [  # both schools' names hold it
        ("area.changed", "other_mentor@bathnes.test"),
        ("school.changed", "authority_admin@bathnes.test"),
        ("cycle.registered", None),
    ]
    assert actions({"school": "Outsider Academy"}) == []  # another authority's school
    assert actions({"person": "mentor@bathnes.test"}) == [  # exactly: not other_mentor
        ("area.changed", "mentor@bathnes.test")
    ]
    assert actions({"person": "MENTOR@"}) == [
        ("area.changed", "other_mentor@bathnes.test"),
        ("area.changed", "mentor@bathnes.test"),
    ]
    assert actions({"person": world.outsider.email}) == []  # not a member here
    assert actions({"person": "mentor@bathnes.test", "school": "Castle"}) == []


def test_a_filter_that_is_not_text_shows_nothing_and_says_why(admin_client, world, entry):
    response = admin_client.get(reverse("audit:log", args=["bathnes"]), {"school": "a\x00b"})
    assert response.context["page"] is None
    assert response.context["form"].errors == {"school": ["Null characters are not allowed."]}
    assert "Nothing recorded for this filter." in response.content.decode()


def _entries(world, count, **kwargs):
    with scope(authority=world.authority):
        return [
            record(
                authority=world.authority,
                actor=world.people["mentor"],
                action="area.changed",
                obj=world.area,
                **kwargs,
            ).pk
            for _ in range(count)
        ]


def test_the_audit_log_pages_from_entry_to_entry(admin_client, world):
    with scope(authority=world.authority):
        first = list(AuditEntry.objects.values_list("pk", flat=True))  # the world's own three
    made = _entries(world, 117)
    newest_first = made[::-1] + first
    url = reverse("audit:log", args=["bathnes"])

    def page(**params):
        page = admin_client.get(url, params).context["page"]
        return [e.pk for e in page.entries], page.newer, page.older

    assert page() == (newest_first[:50], None, newest_first[49])
    assert page(before=newest_first[49]) == (
        newest_first[50:100],
        newest_first[50],
        newest_first[99],
    )
    assert page(before=newest_first[99]) == (newest_first[100:], newest_first[100], None)
    assert page(after=newest_first[100]) == (
        newest_first[50:100],
        newest_first[50],
        newest_first[99],
    )
    assert page(after=newest_first[50]) == (newest_first[:50], None, newest_first[49])  # the newest
    response = admin_client.get(url, {"school": "", "before": newest_first[49]})
    assert re.findall(r'<a rel="(\w+)" href="([^"]+)"', response.content.decode()) == [
        ("prev", f"?school=&amp;after={newest_first[50]}"),
        ("next", f"?school=&amp;before={newest_first[99]}"),
    ]


def test_an_entry_of_another_authority_is_no_place_in_the_log(admin_client, world):
    _entries(world, 3)
    with scope(authority=world.authority):
        newest = list(AuditEntry.objects.values_list("pk", flat=True))
    with scope(authority=world.outsider_authority):
        outsider = record(
            authority=world.outsider_authority, actor=None, action="x", obj=world.outsider_school
        )
    url = reverse("audit:log", args=["bathnes"])
    page = admin_client.get(url, {"before": outsider.pk}).context["page"]
    assert (page.entries, page.newer, page.older) == ([], None, None)
    page = admin_client.get(url, {"after": outsider.pk}).context["page"]  # the newest, then
    assert ([e.pk for e in page.entries], page.newer, page.older) == (newest, None, None)


def test_the_filter_suggests_schools_and_people_as_typed(admin_client, world):
    page = admin_client.get(reverse("audit:log", args=["bathnes"])).content.decode()
    # The school box is the school picker's (tests/test_school_picker.py: its suggestions).
    assert re.findall(r'<input type="search" name="(\w+)"[^>]* hx-get="([^"]*)"', page) == [
        ("school", reverse("schools:suggestions", args=["bathnes"])),
        ("person", reverse("audit:person_suggestions", args=["bathnes"])),
    ]
    url = reverse("audit:person_suggestions", args=["bathnes"])
    options = lambda params: re.findall(  # noqa: E731
        r'<option value="([^"]*)">([^<]*)</option>', admin_client.get(url, params).content.decode()
    )
    assert options({"person": "MENTOR"}) == [
        ("mentor@bathnes.test", "Mentor"),
        ("other_mentor@bathnes.test", "other mentor"),
    ]
    assert options({"person": "outsider"}) == []  # not a member here
    assert options({"person": "a\x00"}) == []
    assert options({}) == []


@pytest.mark.parametrize("extra", [1, 3, 50])
def test_audit_log_query_count_does_not_grow(admin_client, world, django_assert_num_queries, extra):
    _entries(world, extra, school=world.school, person=world.people["mentor"])
    url = reverse("audit:log", args=["bathnes"])
    # session, user, memberships with their authorities (the page's too), the page of entries (no
    # count)
    with django_assert_num_queries(4):
        response = admin_client.get(url)
    # the world's framework import and cycle registration, and the admin's sign-in
    assert len(response.context["page"].entries) == min(2 + extra + 1, 50)
    # and the ids of the schools and people the texts name: exactly (the school, one query), else
    # in part (the person: a second query)
    with django_assert_num_queries(7):
        response = admin_client.get(url, {"school": "Chandag Infant", "person": "mentor@"})
    assert len(response.context["page"].entries) == min(extra, 50)


@pytest.mark.parametrize("extra", [1, 3, 50])
def test_people_list_query_count_does_not_grow(
    admin_client, world, django_assert_num_queries, extra
):
    from .factories import MembershipFactory

    MembershipFactory.create_batch(extra, authority=world.authority, role="mentor")
    # session, user, memberships with their authorities (the page's too), count, the page with
    # its people, its schools, invitations
    with django_assert_num_queries(7):
        response = admin_client.get(reverse("people:list", args=["bathnes"]))
    # a role each, a second moderator, three more panel members and four with no part in the cycle
    assert len(response.context["page"]) == min(16 + extra, 50)


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
