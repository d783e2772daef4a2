"""Privacy (issue 14, point 7): subject access exports, erasure and evidence retention."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.tokens import default_token_generator
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from accounts.domain import invite
from accounts.models import Membership, Role, User, UserSession
from assessments.models import Cycle
from audit.models import AuditEntry
from moderation.models import Ballot, Decision
from portfolios.models import EvidenceFile, EvidenceItem
from privacy import domain, inventory
from privacy.models import SubjectAccessExport
from privacy.tasks import apply_evidence_retention, expire_exports

from .factories import ConflictFactory, MembershipFactory
from .journey import advance

State = Cycle.State


# Every user field is accounted for ------------------------------------------------------------


def test_every_user_field_is_covered_or_excluded_with_a_reason():
    found = {user_field.key for user_field in inventory.user_fields()}
    assert sorted(found - set(inventory.COVERED) - set(inventory.EXCLUDED)) == []
    assert sorted(set(inventory.COVERED) - found) == []
    assert sorted(set(inventory.EXCLUDED) - found) == []
    assert set(inventory.COVERED) & set(inventory.EXCLUDED) == set()
    assert all(len(reason) > 40 for reason in inventory.EXCLUDED.values())


def test_every_covered_model_is_scoped_by_authority():
    """A model an export reads must be scoped, or it could hand over another authority's rows; only
    the account's own records (its second factors) belong to no authority."""
    unscoped = [
        user_field.key
        for user_field, _title in inventory.covered_fields()
        if not domain._is_scoped(user_field.model) and user_field.key not in inventory.ACCOUNT
    ]
    assert unscoped == []


# Subject access -------------------------------------------------------------------------------


def _records(data, title):
    return next(s["records"] for s in data["sections"] if s["title"] == title)


@pytest.mark.django_db
def test_export_holds_what_this_authority_holds_and_nothing_of_another(world):
    advance(world, State.DECIDED)
    mentor = world.people["mentor"]
    # The mentor also works for the outsider authority, which holds a conflict and a role of theirs.
    MembershipFactory(authority=world.outsider_authority, user=mentor, role=Role.MODERATOR)
    ConflictFactory(
        authority=world.outsider_authority,
        person=mentor,
        school=world.outsider_school,
        reason="Outsider secret",
    )
    data = domain.collect(world.authority, mentor)

    assert data["account"]["email"] == "mentor@bathnes.test"
    assert data["authority"] == "Bath & North East Somerset"
    assert "that authority's records are not included" in data["tenancy"]
    assert [r["role"] for r in _records(data, "Their roles in the authority")] == ["Mentor"]
    assert [r["id"] for r in _records(data, "Assessments they mentor or mentored")] == [
        world.cycle.pk
    ]
    assert _records(data, "Conflicts of interest they declared") == []
    reviews = _records(data, "Their ratings and comments as mentor")
    assert len(reviews) == 10  # the ten elements of the default framework
    assert data["not_read"] == []
    text = domain.to_json(data).decode()
    assert "Outsider secret" not in text
    assert "Outsider" not in text


@pytest.mark.django_db
def test_export_of_a_panel_member_has_their_ballot_and_the_emails_sent_to_them(world):
    advance(world, State.DECIDED)
    voter = world.people["panel2"]
    data = domain.collect(world.authority, voter)
    ballots = _records(data, "Their votes on the panel")
    assert [(b["outcome"], b["tier"]) for b in ballots] == [("Award", "Inclusion Quality Mark")]
    assert [m["subject"] for m in _records(data, "Emails sent to them")] == [
        "Your vote is needed: Chandag Infant"
    ]


@pytest.mark.django_db
def test_admin_requests_an_export_and_downloads_json_and_pdf(
    admin_client, world, django_capture_on_commit_callbacks
):
    person = world.people["school_coordinator"]
    data_url = reverse("privacy:data", args=["bathnes", person.pk])
    assert admin_client.get(data_url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("privacy:request_export", args=["bathnes", person.pk]))
    assert response.status_code == 302
    assert response["Location"] == data_url
    with scope(authority=world.authority):
        export = SubjectAccessExport.objects.get()
        logged = AuditEntry.objects.filter(action="privacy.export_requested").get()
    assert export.state == SubjectAccessExport.State.DONE
    assert (logged.actor, logged.person) == (world.people["authority_admin"], person)
    page = admin_client.get(data_url).content.decode()
    assert "Download the JSON" in page

    json_url = reverse("privacy:download_json", args=["bathnes", person.pk, export.pk])
    response = admin_client.get(json_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "private, no-store"
    exported = json.loads(b"".join(response.streaming_content))
    assert exported["account"]["email"] == "school_coordinator@bathnes.test"
    assert exported["format"] == domain.FORMAT

    response = admin_client.get(
        reverse("privacy:download_pdf", args=["bathnes", person.pk, export.pk])
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")

    # After PRIVACY_EXPORT_VALID_DAYS the download is refused and the files are deleted.
    names = [export.json_file.name, export.pdf_file.name]
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        admin_client.force_login(world.people["authority_admin"])  # signed in again, days later
        assert admin_client.get(json_url).status_code == 410
        assert expire_exports() == 1
    assert [default_storage.exists(name) for name in names] == [False, False]
    with scope(authority=world.authority):
        assert SubjectAccessExport.objects.get().state == SubjectAccessExport.State.EXPIRED


@pytest.mark.django_db
def test_another_authoritys_person_and_export_are_not_found(admin_client, world):
    outsider = world.outsider
    for name in ("people:person", "privacy:data", "privacy:erase_check"):
        assert admin_client.get(reverse(name, args=["bathnes", outsider.pk])).status_code == 404
    with scopes_disabled():
        export = SubjectAccessExport.objects.create(
            authority=world.outsider_authority, person=outsider, state="done"
        )
    url = reverse("privacy:download_json", args=["bathnes", world.people["mentor"].pk, export.pk])
    assert admin_client.get(url).status_code == 404


# Erasure --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_erasing_a_person_keeps_their_work_under_the_replaced_name(admin_client, world):
    cycle = advance(world, State.DECIDED)
    voter = world.people["panel2"]
    with scope(authority=world.authority):
        invite(
            authority=world.authority,
            by=world.people["authority_admin"],
            email=voter.email,
            role=Role.MODERATOR,
        )
        export = SubjectAccessExport(
            authority=world.authority,
            person=voter,
            state=SubjectAccessExport.State.DONE,
            expires_at=timezone.now() + timedelta(days=1),
        )
        export.json_file.save("export.json", ContentFile(b'{"full_name": "x"}'), save=False)
        export.save()
    exported = export.json_file.name
    reset_token = default_token_generator.make_token(voter)
    client = Client()  # the voter's browser; admin_client is the admin's
    client.force_login(voter)
    assert UserSession.objects.count() == 2
    erase_url = reverse("privacy:erase", args=["bathnes", voter.pk])

    page = admin_client.get(
        reverse("privacy:erase_check", args=["bathnes", voter.pk])
    ).content.decode()
    assert f'action="{erase_url}"' in page
    assert "This cannot be undone" in page
    assert "Erased person #%d" % voter.pk in page
    response = admin_client.post(erase_url)
    assert response.status_code == 302
    assert response["Location"] == reverse("people:list", args=["bathnes"])

    voter.refresh_from_db()
    assert voter.full_name == f"Erased person #{voter.pk}"
    assert voter.email == f"erased-{voter.pk}@erased.invalid"
    assert voter.has_usable_password() is False
    assert default_token_generator.check_token(voter, reset_token) is False
    assert voter.is_active is False
    export.refresh_from_db()
    assert (export.state, export.json_file.name) == (SubjectAccessExport.State.EXPIRED, "")
    assert not default_storage.exists(exported)
    assert [s.user_id for s in UserSession.objects.all()] == [world.people["authority_admin"].pk]
    assert client.get(reverse("dashboard", args=["bathnes"])).status_code == 302
    with scope(authority=world.authority):
        assert Membership.objects.filter(user=voter).count() == 0
        assert Ballot.objects.filter(member=voter).count() == 1  # the vote stays
        assert Decision.objects.get(cycle=cycle).votes  # the cycle is intact
        invitation = world.authority.invitations.get()
        assert (invitation.email, invitation.is_pending) == (voter.email, False)
        erased = AuditEntry.objects.get(action="person.erased")
        assert (erased.actor, erased.person, erased.object_repr) == (
            world.people["authority_admin"],
            voter,
            f"Erased person #{voter.pk}",
        )
        assert erased.after == {
            "roles_ended": 1,
            "invitations_withdrawn": 1,
            "account_erased": True,
        }
    assert "Panel2 has been erased." in admin_client.get(response["Location"]).content.decode()
    log = admin_client.get(reverse("audit:log", args=["bathnes"])).content.decode()
    assert f"Erased person #{voter.pk}" in log
    assert "Panel2" not in log
    with scope(authority=world.authority):
        removed = AuditEntry.objects.get(action="membership.removed")
        assert removed.object_repr == f"Erased person #{voter.pk}: Panel member"
        sent = AuditEntry.objects.get(action="invitation.sent")
        assert sent.after["email"] == voter.email


@pytest.mark.django_db
def test_the_audit_log_stays_append_only_outside_an_erasure(world):
    from django.db import InternalError, connection, transaction

    with scope(authority=world.authority):
        entry = AuditEntry.objects.first()
        with pytest.raises(InternalError), transaction.atomic():
            AuditEntry.objects.filter(pk=entry.pk).update(object_repr="rewritten")
        # Even with the erasure's setting, only the kept text may change, never who did what.
        with pytest.raises(InternalError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL iqm.audit_redaction = 'on'")
            AuditEntry.objects.filter(pk=entry.pk).update(action="rewritten")
        assert AuditEntry.objects.get(pk=entry.pk).action == entry.action


@pytest.mark.django_db
def test_a_person_of_two_authorities_is_erased_from_this_one_only(admin_client, world):
    person = world.people["moderator2"]
    MembershipFactory(authority=world.outsider_authority, user=person, role=Role.MENTOR)
    page = admin_client.get(
        reverse("privacy:erase_check", args=["bathnes", person.pk])
    ).content.decode()
    assert "their account is kept for it" in page
    response = admin_client.post(reverse("privacy:erase", args=["bathnes", person.pk]))
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.full_name, person.email, person.is_active) == (
        "Moderator2",
        "moderator2@bathnes.test",
        True,
    )
    with scopes_disabled():
        assert sorted(
            (m.authority.slug, m.role) for m in Membership.objects.filter(user=person)
        ) == [("outsider", "mentor")]
        entry = AuditEntry.objects.get(action="person.erased_from_authority")
    assert entry.authority == world.authority


@pytest.mark.django_db
def test_erasure_is_refused_for_oneself_and_the_only_admin(admin_client, world):
    admin = world.people["authority_admin"]
    response = admin_client.post(reverse("privacy:erase", args=["bathnes", admin.pk]))
    assert response.status_code == 409
    assert "You cannot erase yourself" in response.content.decode()
    admin.refresh_from_db()
    assert admin.full_name == "Authority admin"


@pytest.mark.django_db
def test_the_only_admin_cannot_be_erased(client, world):
    second = User.objects.create_user("second@bathnes.test", "x" * 12, full_name="Second")
    MembershipFactory(authority=world.authority, user=second, role=Role.MENTOR)
    with scopes_disabled():
        Membership.objects.filter(user=second).update(role=Role.AUTHORITY_ADMIN)
    # `second` is an admin; so is the world's admin. Erasing the world's admin by `second` works
    # only because another admin remains; then `second` is the only one and cannot be erased.
    plan = domain.erasure_plan(
        authority=world.authority, person=world.people["authority_admin"], by=second
    )
    assert plan.blocked == ""
    domain.erase(authority=world.authority, person=world.people["authority_admin"], by=second)
    other = world.people["mentor"]
    with scopes_disabled():
        MembershipFactory(authority=world.authority, user=other, role=Role.PANEL_MEMBER)
    plan = domain.erasure_plan(authority=world.authority, person=second, by=other)
    assert plan.blocked == "This is the authority's only admin: make someone else an admin first."


# Retention ------------------------------------------------------------------------------------


def _file_item(world, cycle, content, title):
    with scope(authority=world.authority):
        evidence_file = EvidenceFile(
            authority=world.authority,
            sha256=str(abs(hash(content))).ljust(64, "0"),
            size=len(content),
            content_type="text/plain",
            extension="txt",
        )
        evidence_file.file.save("upload", ContentFile(content), save=True)
        return EvidenceItem.objects.create(
            cycle=cycle,
            file=evidence_file,
            title=title,
            original_name=f"{title}.txt",
            added_by=world.people["school_coordinator"],
        )


@pytest.mark.django_db
def test_retention_deletes_the_files_of_cycles_decided_long_ago(world, settings, client):
    settings.EVIDENCE_RETENTION_YEARS = 6
    cycle = advance(world, State.DECIDED)
    old = _file_item(world, cycle, b"old evidence", "Old")
    name = old.file.file.name
    assert default_storage.exists(name)
    decided = timezone.now()

    with time_machine.travel(decided + timedelta(days=365 * 6 - 5)):
        assert apply_evidence_retention() == 0
    assert default_storage.exists(name)

    settings.EVIDENCE_RETENTION_YEARS = 0
    with time_machine.travel(decided + timedelta(days=365 * 7)):
        assert apply_evidence_retention() == 0
    settings.EVIDENCE_RETENTION_YEARS = 6
    later = decided + timedelta(days=365 * 6 + 5)
    with time_machine.travel(later):
        assert apply_evidence_retention() == 1
        assert apply_evidence_retention() == 0  # once
    assert default_storage.exists(name) is False
    with scope(authority=world.authority):
        old.refresh_from_db()
        old.file.refresh_from_db()
        assert old.file.file.name == ""
        assert old.file.retention_note == (
            f"File deleted under the retention policy on {later:%-d %B %Y}"
        )
        entry = AuditEntry.objects.get(action="evidence.file_deleted")
    assert (entry.actor, entry.object_id, entry.school) == (None, str(old.pk), world.school)
    assert entry.after["note"] == f"File deleted under the retention policy on {later:%d %B %Y}"

    client.force_login(world.people["school_coordinator"])
    response = client.get(reverse("portfolios:download", args=["bathnes", cycle.pk, old.pk]))
    assert response.status_code == 410
    assert "File deleted under the retention policy" in response.content.decode()


@pytest.mark.django_db
def test_retention_keeps_a_file_a_recent_cycle_also_uses(world, settings):
    settings.EVIDENCE_RETENTION_YEARS = 6
    cycle = advance(world, State.DECIDED)
    old = _file_item(world, cycle, b"shared evidence", "Shared")
    with scope(authority=world.authority):
        recent = Cycle.objects.create(
            authority=world.authority,
            school=world.school,
            framework=cycle.framework,
            mentor=world.people["mentor"],
            previous=cycle,
        )
        EvidenceItem.objects.create(
            cycle=recent, file=old.file, title="Shared", added_by=world.people["mentor"]
        )
    with time_machine.travel(timezone.now() + timedelta(days=365 * 7)):
        assert apply_evidence_retention() == 0
    assert default_storage.exists(old.file.file.name)


@pytest.mark.django_db
def test_the_person_page_offers_the_privacy_section(admin_client, world):
    person = world.people["mentor"]
    page = admin_client.get(reverse("people:person", args=["bathnes", person.pk])).content.decode()
    assert '<h2 id="privacy">Privacy</h2>' in page
    assert reverse("privacy:data", args=["bathnes", person.pk]) in page
    assert reverse("privacy:erase_check", args=["bathnes", person.pk]) in page
    people = admin_client.get(reverse("people:list", args=["bathnes"])).content.decode()
    assert reverse("people:person", args=["bathnes", person.pk]) in people


@pytest.mark.django_db
def test_the_person_page_costs_the_same_queries_however_many_roles(admin_client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    person = world.people["mentor"]
    page = reverse("people:person", args=["bathnes", person.pk])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(page).status_code == 200
        return len(captured)

    one = queries()
    for role in (Role.MODERATOR, Role.PANEL_MEMBER):
        MembershipFactory(authority=world.authority, user=person, role=role)
    assert queries() == one
