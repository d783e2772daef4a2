"""assessments/0007: an action plan target's lead, free text until now, becomes a person of the
school where exactly one of the school's people has that name or email (ignoring case and
spacing); otherwise the text stays as a note for the school to resolve. Undone, each lead is
text again."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_scopes import scopes_disabled

from assessments.domain import install_default_framework

from .factories import AuthorityFactory, MembershipFactory, SchoolFactory, UserFactory

BEFORE = ("assessments", "0006_mentor_review_decision")
LEADS = ["  kim   KHAN ", "SAM1@b.test", "Sam Smith", "Pat Other", "Mo Mentor", "The SENCo"]


@pytest.mark.django_db(transaction=True)
def test_free_text_leads_become_people_of_the_school():
    call_command("migrate", *BEFORE, verbosity=0)
    old = MigrationExecutor(connection).loader.project_state([BEFORE]).apps
    authority = AuthorityFactory(slug="b")
    ours, theirs = SchoolFactory(authority=authority), SchoolFactory(authority=authority)
    for name, email, school, role in [
        ("Kim Khan", "kim@b.test", ours, "school_coordinator"),
        ("Sam Smith", "sam1@b.test", ours, "school_contributor"),
        ("Sam Smith", "sam2@b.test", ours, "head_teacher"),
        ("Pat Other", "pat@b.test", theirs, "school_coordinator"),
        ("Mo Mentor", "mo@b.test", None, "mentor"),
    ]:
        person = UserFactory(full_name=name, email=email)
        MembershipFactory(authority=authority, user=person, role=role, school=school)
    with scopes_disabled():
        element = install_default_framework(authority).elements.first()
    cycle = old.get_model("assessments", "Cycle").objects.create(
        authority_id=authority.pk,
        school_id=ours.pk,
        framework_id=element.framework_id,
        mentor_id=person.pk,
    )
    for lead in LEADS:
        old.get_model("assessments", "Target").objects.create(
            cycle=cycle,
            element_id=element.pk,
            action=f"Led by {lead.strip()}",
            lead=lead,
            deadline="2027-01-31",
            success_criteria="Done",
        )

    call_command("migrate", "assessments", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.action, u.email, t.lead_note FROM assessments_target t"
            " LEFT JOIN accounts_user u ON u.id = t.lead_id ORDER BY t.id"
        )
        assert cursor.fetchall() == [
            ("Led by kim   KHAN", "kim@b.test", ""),
            ("Led by SAM1@b.test", "sam1@b.test", ""),
            ("Led by Sam Smith", None, "Sam Smith"),  # two people of the school have that name
            ("Led by Pat Other", None, "Pat Other"),  # another school's coordinator
            ("Led by Mo Mentor", None, "Mo Mentor"),  # no role at the school
            ("Led by The SENCo", None, "The SENCo"),
        ]

    call_command("migrate", *BEFORE, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT lead FROM assessments_target ORDER BY id")
        assert [lead for (lead,) in cursor.fetchall()] == [
            "Kim Khan",
            "Sam Smith",
            "Sam Smith",
            "Pat Other",
            "Mo Mentor",
            "The SENCo",
        ]
    call_command("migrate", verbosity=0)
