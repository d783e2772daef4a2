"""The school picker (authorities/school_picker.py): a text box in place of a select of every
school, resolved to exactly one school of the authority; its suggestions (schools:suggestions);
and the three forms that use it, each end to end through its view."""

import re

import pytest
from django import forms
from django.test import Client
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from accounts.models import Invitation, Role
from assessments.models import Cycle
from authorities.school_picker import SUGGESTIONS, SchoolField, school_text
from moderation.models import Conflict
from schools.models import School

from .factories import SchoolFactory

UNKNOWN = ": type part of its name or its URN, and choose it from the list."


class PickerForm(forms.Form):
    school = SchoolField()

    def __init__(self, *args, schools=None, authority, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].among(School.objects.all() if schools is None else schools, authority)


def picked(world, text, schools=None):
    """What the picker makes of the text, in the world's authority: its school, or its errors."""
    with scope(authority=world.authority):
        form = PickerForm({"school": text}, schools=schools, authority=world.authority)
        return form.cleaned_data["school"] if form.is_valid() else form.errors["school"]


def test_the_picker_takes_a_suggestion_a_urn_or_a_name(world):
    assert picked(world, school_text(world.school)) == world.school
    assert picked(world, f"chandag infant (URN {world.school.urn})") == world.school
    assert picked(world, world.other_school.urn) == world.other_school
    assert picked(world, "Castle Primary") == world.other_school
    assert picked(world, "  castle   PRIMARY ") == world.other_school  # spaces and case aside


def test_what_the_picker_cannot_resolve_is_an_error_that_says_what_to_do(world):
    chandag = "No school in Bath & North East Somerset"
    assert picked(world, "Castle") == [f"{chandag} is called “Castle”{UNKNOWN}"]  # only part
    assert picked(world, "999999") == [f"{chandag} has the URN 999999{UNKNOWN}"]
    # A suggestion's text whose URN is another school's names no school.
    wrong = f"Chandag Infant (URN {world.other_school.urn})"
    assert picked(world, wrong) == [f"{chandag} is called “{wrong}”{UNKNOWN}"]
    # Another authority's school, however it is named, is not found here.
    outsider = world.outsider_school
    assert picked(world, school_text(outsider)) == [
        f"{chandag} is called “{school_text(outsider)}”{UNKNOWN}"
    ]
    assert picked(world, outsider.urn) == [f"{chandag} has the URN {outsider.urn}{UNKNOWN}"]
    assert picked(world, "Outsider Academy") == [f"{chandag} is called “Outsider Academy”{UNKNOWN}"]
    assert picked(world, "") == ["Type the school's name or URN, and choose it from the list."]
    assert picked(world, "a\x00b") == ["Null characters are not allowed."]
    assert picked(world, "x" * 201) == [
        "Ensure this value has at most 200 characters (it has 201)."
    ]


def test_a_name_two_schools_share_asks_for_the_urn(world):
    twin = SchoolFactory(authority=world.authority, area=world.area, name="Castle Primary")
    assert picked(world, "Castle Primary") == [
        "Several schools in Bath & North East Somerset are called “Castle Primary”: choose the "
        "one with its URN from the list, or type its URN."
    ]
    assert picked(world, school_text(twin)) == twin
    assert picked(world, twin.urn) == twin
    assert picked(world, school_text(world.other_school)) == world.other_school


def test_a_form_may_narrow_the_schools_and_may_pass_a_school_itself(world):
    with scope(authority=world.authority):
        only_castle = School.objects.filter(pk=world.other_school.pk)
    assert picked(world, "Castle Primary", only_castle) == world.other_school
    assert picked(world, world.school.urn, only_castle) == [
        f"No school in Bath & North East Somerset has the URN {world.school.urn}{UNKNOWN}"
    ]
    assert picked(world, world.other_school) == world.other_school  # as the API passes it
    assert picked(world, world.school, only_castle) == [
        f"No school in Bath & North East Somerset is called “{school_text(world.school)}”{UNKNOWN}"
    ]
    with scopes_disabled():
        outsider = School.objects.get(pk=world.outsider_school.pk)
    assert picked(world, outsider) == [
        f"No school in Bath & North East Somerset is called “{school_text(outsider)}”{UNKNOWN}"
    ]


def test_an_optional_picker_left_empty_is_no_school(world):
    with scope(authority=world.authority):
        form = PickerForm({"school": "  "}, authority=world.authority)
        form.fields["school"].required = False
        assert form.is_valid() and form.cleaned_data == {"school": None}


def test_the_picker_is_a_labelled_text_box_with_its_list_and_shows_a_school_as_suggested(world):
    with scope(authority=world.authority):
        html = str(PickerForm(initial={"school": world.school}, authority=world.authority))
    assert '<label class="label" for="id_school">School</label>' in html
    assert re.findall(r"<input [^>]*>\s*<datalist [^>]*></datalist>", html) == [
        f'<input type="text" name="school" value="Chandag Infant (URN {world.school.urn})" '
        'maxlength="200" '
        'required aria-describedby="id_school_helptext" id="id_school" autocomplete="off" '
        'list="id_school_options" hx-get="/bathnes/schools/suggestions/" '
        'hx-trigger="input changed delay:250ms" hx-target="#id_school_options" '
        'hx-swap="innerHTML" hx-sync="this:replace">\n<datalist id="id_school_options"></datalist>'
    ]


# The suggestions


def suggestions(client, text, name="school"):
    response = client.get(reverse("schools:suggestions", args=["bathnes"]), {name: text})
    assert response.status_code == 200
    return re.findall(r'<option value="([^"]*)"></option>', response.content.decode())


def test_the_suggestions_are_the_authoritys_schools_by_name(admin_client, world):
    chandag, castle = school_text(world.school), school_text(world.other_school)
    assert suggestions(admin_client, "ha") == [chandag]
    assert suggestions(admin_client, " C ") == [castle, chandag]
    # URNs begin alike (the outsider's too, which is not suggested)
    assert suggestions(admin_client, world.school.urn[:3]) == [castle, chandag]
    assert suggestions(admin_client, world.other_school.urn) == [castle]
    assert suggestions(admin_client, chandag) == [chandag]  # once chosen, it stays the one
    assert suggestions(admin_client, "castle", name="person") == [castle]  # any field's name
    assert suggestions(admin_client, "Outsider") == []  # another authority's
    assert suggestions(admin_client, world.outsider_school.urn) == []
    assert suggestions(admin_client, "") == []
    assert suggestions(admin_client, "\x00") == []
    avon = [
        SchoolFactory(authority=world.authority, area=world.area, name=f"Avon {n:02}")
        for n in range(SUGGESTIONS + 2)
    ]
    # By name, the first ten: not Castle Primary and Chandag Infant, after the Avon schools.
    assert suggestions(admin_client, "a") == [school_text(s) for s in avon[:SUGGESTIONS]]


def test_the_authoritys_staff_have_suggestions_its_school_staff_do_not(world):
    def client(role):
        signed_in = Client()
        signed_in.force_login(world.people[role])
        return signed_in

    castle = school_text(world.other_school)
    assert suggestions(client("mentor"), "Castle") == [castle]
    assert suggestions(client("moderator"), "Castle") == [castle]
    url = reverse("schools:suggestions", args=["bathnes"])
    assert client("school_coordinator").get(url, {"school": "Castle"}).status_code == 403
    outsider = Client()
    outsider.force_login(world.outsider)
    assert outsider.get(url, {"school": "Castle"}).status_code == 404


@pytest.mark.parametrize("extra", [1, 3, 50])
def test_the_suggestions_query_count_does_not_grow(
    admin_client, world, django_assert_num_queries, extra
):
    for _ in range(extra):
        SchoolFactory(authority=world.authority, area=world.area)
    url = reverse("schools:suggestions", args=["bathnes"])
    # session, user, memberships with their authorities, the suggestions
    with django_assert_num_queries(4):
        response = admin_client.get(url, {"school": "School"})
    assert response.content.decode().count("<option") == min(extra, SUGGESTIONS)


# The forms, end to end


def test_registering_a_school_picked_as_suggested(admin_client, world):
    url = reverse("assessments:cycle_start", args=["bathnes"])
    # From the school's page (its URN in the address): the school is shown as a suggestion reads.
    page = admin_client.get(url, {"school": world.other_school.urn}).content.decode()
    assert f'value="Castle Primary (URN {world.other_school.urn})"' in page
    response = admin_client.post(
        url,
        {
            "school": school_text(world.other_school),
            "kind": "initial",
            "mentor": world.people["mentor"].pk,
        },
    )
    assert response.status_code == 302
    with scope(authority=world.authority):
        cycle = Cycle.objects.get(school=world.other_school)
    assert response["Location"] == reverse("assessments:cycle", args=["bathnes", cycle.pk])
    assert (cycle.kind, cycle.mentor, cycle.state) == (
        "initial",
        world.people["mentor"],
        Cycle.State.REGISTERED,
    )


def test_registering_a_school_typed_wrong_keeps_the_text_and_registers_nothing(admin_client, world):
    response = admin_client.post(
        reverse("assessments:cycle_start", args=["bathnes"]),
        {"school": "Castel", "kind": "initial", "mentor": world.people["mentor"].pk},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "school": [f"No school in Bath & North East Somerset is called “Castel”{UNKNOWN}"]
    }
    assert 'name="school" value="Castel"' in response.content.decode()
    with scope(authority=world.authority):
        assert not Cycle.objects.filter(school=world.other_school).exists()


def test_declaring_a_conflict_with_a_school_by_its_urn(world):
    mentor = Client()
    mentor.force_login(world.people["mentor"])
    url = reverse("moderation:conflicts", args=["bathnes"])
    response = mentor.post(url, {"school": world.other_school.urn, "reason": "Governor there"})
    assert response.status_code == 302
    with scope(authority=world.authority):
        mine = Conflict.objects.filter(person=world.people["mentor"])
        assert list(mine.values_list("school", "reason")) == [
            (world.other_school.pk, "Governor there")
        ]
    response = mentor.post(url, {"school": "Outsider Academy", "reason": "Governor there"})
    assert response.context["form"].errors == {
        "school": [f"No school in Bath & North East Somerset is called “Outsider Academy”{UNKNOWN}"]
    }
    assert 'name="school" value="Outsider Academy"' in response.content.decode()
    with scope(authority=world.authority):
        assert mine.count() == 1


def test_inviting_someone_to_a_school_picked_as_suggested(admin_client, world):
    response = admin_client.post(
        reverse("people:invite", args=["bathnes"]),
        {
            "email": "head@castle.example",
            "role": Role.HEAD_TEACHER,
            "school": school_text(world.other_school),
        },
    )
    assert response.status_code == 302
    with scope(authority=world.authority):
        assert list(
            Invitation.objects.filter(email="head@castle.example").values_list("role", "school")
        ) == [(Role.HEAD_TEACHER, world.other_school.pk)]
