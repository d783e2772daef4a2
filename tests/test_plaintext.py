"""Invisible characters in text that reaches a PDF or a public page (issue 14, point 4): removed
at input from every free-text field of the portal's models (plaintext.apps), and again from the
whole of every document and public page, for rows written before or in bulk. Legitimate writing,
right to left included, is kept exactly."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from awards.models import Award, Tier
from plaintext import neutralise
from portfolios.models import EvidenceItem
from publishing import domain as publishing
from reports import render
from schools.models import School

from .test_reports import make_award, page_text, read_pdf, reload, request_certificate

RLO, PDF_, LRO, RLE, LRI, RLI, FSI, PDI = (
    "\u202e",
    "\u202c",
    "\u202d",
    "\u202b",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
)
LRM, RLM, ALM = "\u200e", "\u200f", "\u061c"
ZWSP, ZWNJ, ZWJ, WJ, BOM = "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"

# Every character the issue names, each hidden in a school's name.
HIDDEN = {
    "right-to-left-override": (f"Castle {RLO}yramirP{PDF_}", "Castle yramirP"),
    "left-to-right-override": (f"{LRO}Castle Primary{PDF_}", "Castle Primary"),
    "right-to-left-embedding": (f"{RLE}Castle Primary{PDF_}", "Castle Primary"),
    "left-to-right-embedding": ("\u202aCastle Primary\u202c", "Castle Primary"),
    "isolates": (f"{LRI}Castle{PDI} {RLI}Primary{PDI} {FSI}x{PDI}", "Castle Primary x"),
    "direction-marks": (f"Castle{LRM} Primary{RLM}{ALM}", "Castle Primary"),
    "zero-width-space": (f"Cas{ZWSP}tle Primary", "Castle Primary"),
    "word-joiner-and-bom": (f"{BOM}Castle{WJ} Primary", "Castle Primary"),
    "joiners-outside-a-word": (f"{ZWJ}Castle {ZWNJ}Primary{ZWJ}", "Castle Primary"),
    "c0-controls": ("Castle\x00\x07\x08\x1b[31m Primary\x7f", "Castle[31m Primary"),
    "c1-controls": ("Castle\x85\x9b Primary", "Castle Primary"),
}


@pytest.mark.parametrize("typed, kept", HIDDEN.values(), ids=HIDDEN.keys())
def test_hidden_characters_are_removed(typed, kept):
    assert neutralise(typed) == kept


KEPT = {
    "welsh": "Ysgol Gymraeg Bro Ŵyr, Llanfair-ym-Muallt — ŷ â ê",
    "accents": "École Sainte-Thérèse, Łódź, Ærøskøbing, São Tomé",
    "urdu-written-right-to-left": "مدرسہ اسلامیہ برائے طالبات",
    "arabic-with-latin-and-digits": "مدرسة النور 2 — Al-Noor School",
    "hebrew": "בית ספר יסודי",
    # Persian and Urdu use ZERO WIDTH NON-JOINER inside words to stop two letters joining.
    "persian-non-joiner": f"می{ZWNJ}خواهم",
    # Devanagari uses ZERO WIDTH JOINER between a consonant and its virama.
    "devanagari-joiner": f"क्{ZWJ}ष",
    "emoji-sequence": f"Staff 👩{ZWJ}🏫 and 👨🏽{ZWJ}🏫",
    "tabs-and-line-breaks": "First line\r\nSecond\tline\n",
    "no-break-space-and-soft-hyphen": "Key\u00a0Stage 2, in\u00adclusion",
}
URDU = KEPT["urdu-written-right-to-left"]


@pytest.mark.parametrize("text", KEPT.values(), ids=KEPT.keys())
def test_legitimate_writing_is_kept_exactly(text):
    assert neutralise(text) == text


# At input ------------------------------------------------------------------------------------


def test_every_text_field_of_a_portal_model_is_neutralised_when_saved(world):
    with scope(authority=world.authority):
        world.school.name = f"{RLO}Chandag{PDF_} Infant"
        world.school.postcode = f"BA2{ZWSP} 1QS"
        world.school.save()
        world.school.refresh_from_db()
    assert (world.school.name, world.school.postcode) == ("Chandag Infant", "BA2 1QS")


def test_a_form_post_is_stored_without_them_and_right_to_left_text_as_typed(client, world):
    client.force_login(world.people["school_coordinator"])
    response = client.post(
        reverse("portfolios:add_link", args=["bathnes", world.cycle.pk]),
        {
            "url": "https://example.org/minutes",
            "title": f"Governors' minutes {RLO}devorppa{PDF_}",
            "description": f"{URDU}{LRI}\n{KEPT['persian-non-joiner']}",
        },
    )
    assert response.status_code == 302
    with scope(authority=world.authority):
        item = EvidenceItem.objects.get()
    assert (item.title, item.description) == (
        "Governors' minutes devorppa",
        f"{URDU}\n{KEPT['persian-non-joiner']}",
    )


def test_libraries_models_are_left_alone(db):
    """Only the portal's own models: a library's rows are not text users typed into the portal."""
    group = Group.objects.create(name=f"a{RLO}b")
    group.refresh_from_db()
    assert group.name == f"a{RLO}b"


# At output -----------------------------------------------------------------------------------


def plant(school, name):
    """Old data: written past the input cleaning, as rows from before it or copied in bulk are."""
    with scopes_disabled():
        School.objects.filter(pk=school.pk).update(name=name)
        school.refresh_from_db()


def test_a_certificate_cannot_be_made_to_read_backwards(world, django_capture_on_commit_callbacks):
    plant(world.school, f"Chandag {RLO}tnafnI{PDF_}")
    award = make_award(world)
    with scope(authority=world.authority):
        html = render.build_html("certificate", award)
    assert "Chandag tnafnI" in html and RLO not in html and PDF_ not in html
    job = reload(request_certificate(world, award, django_capture_on_commit_callbacks))
    assert "Chandag tnafnI" in page_text(read_pdf(job))


def test_a_right_to_left_name_reaches_the_certificate_unchanged(world):
    plant(world.school, KEPT["urdu-written-right-to-left"])
    award = make_award(world)
    with scope(authority=world.authority):
        html = render.build_html("certificate", award)
    assert KEPT["urdu-written-right-to-left"] in html


@pytest.fixture
def published(world):
    plant(world.other_school, f"Castle {RLO}yramirP{PDF_}")
    plant(world.school, KEPT["urdu-written-right-to-left"])
    today = timezone.localdate()
    with scopes_disabled():
        for school in (world.school, world.other_school):
            Award.objects.create(
                authority=world.authority,
                school=school,
                tier=Tier.QUALITY_MARK,
                awarded_on=today - timedelta(days=30),
                expires_on=today + timedelta(days=700),
            )
    with scope(authority=world.authority):
        return publishing.publish(world.authority, None)


def test_the_published_list_and_its_formats_carry_no_override(client, published):
    assert published.content["areas"][0]["schools"][0]["name"].endswith(PDF_)  # stored as it was
    page = client.get("/bathnes/awards/").content.decode()
    as_json = client.get("/bathnes/awards/v1.json").content.decode()
    as_csv = client.get("/bathnes/awards/v1.csv").content.decode()
    for served in (page, as_json, as_csv):
        assert "Castle yramirP" in served
        assert KEPT["urdu-written-right-to-left"] in served
        assert not any(c in served for c in (RLO, PDF_, LRI, PDI))
    assert as_csv.startswith(BOM)  # the byte order mark spreadsheets need is still there


def test_the_national_directory_carries_no_override(client, world, published):
    search = client.get(reverse("directory:search"), {"name": "Castle"}).content.decode()
    school = client.get(
        reverse("directory:school", args=["bathnes", world.other_school.urn])
    ).content.decode()
    for served in (search, school):
        assert "Castle yramirP" in served and RLO not in served and PDF_ not in served
