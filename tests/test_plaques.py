"""The plaque: the authority admin records each award's plaque as ordered and sent, on a page of the
authority's awards in force, and prints its artwork (the logo's mark and the school's name) as a
PDF made by the worker."""

import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from pypdf import PdfReader

from audit.models import AuditEntry
from authorities.models import Authority
from awards import logo
from awards.domain import plaque_counts, plaque_problems, record_plaque
from awards.models import Award, Plaque, Tier
from reports import render
from reports.models import RenderJob

from .factories import SchoolFactory

SVG = "{http://www.w3.org/2000/svg}"
TODAY = date(2026, 9, 15)
AWARDED = date(2026, 7, 1)


@pytest.fixture
def today():
    with time_machine.travel(datetime(2026, 9, 15, 11, tzinfo=UTC), tick=False):
        yield TODAY


def make_award(world, school=None, authority=None, tier=Tier.QUALITY_MARK, **fields):
    authority = authority or world.authority
    fields = {"awarded_on": AWARDED, "expires_on": date(2029, 7, 1), **fields}
    with scope(authority=authority):
        return Award.objects.create(
            authority=authority, school=school or world.school, tier=tier, **fields
        )


def record(world, award, ordered_on=None, sent_on=None):
    with scope(authority=award.authority):
        return record_plaque(
            award=award,
            ordered_on=ordered_on,
            sent_on=sent_on,
            by=world.people["authority_admin"],
        )


def entries(world):
    with scope(authority=world.authority):
        return [
            (entry.action, entry.school.name, entry.before, entry.after)
            for entry in AuditEntry.objects.filter(action__startswith="plaque.").order_by("pk")
        ]


def plaques(world):
    with scopes_disabled():
        return list(Plaque.objects.values_list("award__school__name", "ordered_on", "sent_on"))


# --- The rules ---------------------------------------------------------------------------------


def test_ordered_then_sent_each_audited(world, today):
    award = make_award(world)
    record(world, award, ordered_on=date(2026, 7, 10))
    plaque = record(world, award, ordered_on=date(2026, 7, 10), sent_on=date(2026, 8, 3))
    assert (plaque.ordered_on, plaque.sent_on, plaque.status) == (
        date(2026, 7, 10),
        date(2026, 8, 3),
        Plaque.Status.SENT,
    )
    assert entries(world) == [
        ("plaque.ordered", "Chandag Infant", {"ordered_on": None}, {"ordered_on": "2026-07-10"}),
        ("plaque.sent", "Chandag Infant", {"sent_on": None}, {"sent_on": "2026-08-03"}),
    ]


def test_ordered_and_sent_at_once_are_two_entries(world, today):
    record(world, make_award(world), ordered_on=date(2026, 7, 10), sent_on=date(2026, 7, 10))
    assert [action for action, *_ in entries(world)] == ["plaque.ordered", "plaque.sent"]


def test_a_changed_or_removed_date_is_a_correction_with_both_dates(world, today):
    award = make_award(world)
    record(world, award, ordered_on=date(2026, 7, 10), sent_on=date(2026, 8, 3))
    record(world, award, ordered_on=date(2026, 7, 9), sent_on=date(2026, 8, 3))
    record(world, award, ordered_on=date(2026, 7, 9))
    assert entries(world)[2:] == [
        (
            "plaque.corrected",
            "Chandag Infant",
            {"ordered_on": "2026-07-10", "sent_on": "2026-08-03"},
            {"ordered_on": "2026-07-09", "sent_on": "2026-08-03"},
        ),
        (
            "plaque.corrected",
            "Chandag Infant",
            {"ordered_on": "2026-07-09", "sent_on": "2026-08-03"},
            {"ordered_on": "2026-07-09", "sent_on": None},
        ),
    ]
    assert plaques(world) == [("Chandag Infant", date(2026, 7, 9), None)]


def test_the_schools_leads_are_told_once_that_the_plaque_was_sent(world, today):
    from notifications.models import OutboxMessage

    award = make_award(world)
    record(world, award, ordered_on=date(2026, 7, 10))
    record(world, award, ordered_on=date(2026, 7, 10), sent_on=date(2026, 8, 3))
    record(world, award, ordered_on=date(2026, 7, 10), sent_on=date(2026, 8, 4))  # corrected
    with scopes_disabled():
        sent = OutboxMessage.objects.filter(key="plaque.sent").order_by("to")
        told = list(sent.values_list("key", "to", "subject"))
        body = sent.first().body
    subject = "The Inclusion Quality Mark plaque of Chandag Infant is on its way"
    assert told == [
        ("plaque.sent", "head_teacher@bathnes.test", subject),
        ("plaque.sent", "school_coordinator@bathnes.test", subject),
    ]
    assert "was sent on 3 August 2026." in body


def test_the_same_dates_again_change_nothing(world, today):
    award = make_award(world)
    record(world, award, ordered_on=date(2026, 7, 10))
    record(world, award, ordered_on=date(2026, 7, 10))
    assert len(entries(world)) == 1


@pytest.mark.parametrize(
    "ordered_on, sent_on, problems",
    [
        (TODAY, TODAY, {}),  # today is not the future; sent the day it was ordered
        (AWARDED, None, {}),  # ordered the day the award was made
        (None, None, {}),
        (
            TODAY + timedelta(days=1),
            None,
            {"ordered_on": "The date ordered cannot be in the future."},
        ),
        (TODAY, TODAY + timedelta(days=1), {"sent_on": "The date sent cannot be in the future."}),
        (
            None,
            TODAY,
            {"sent_on": "A plaque is sent once it is ordered: give the date it was ordered."},
        ),
        (
            date(2026, 8, 3),
            date(2026, 8, 2),
            {"sent_on": "The plaque cannot have been sent before it was ordered."},
        ),
        (
            AWARDED - timedelta(days=1),
            None,
            {
                "ordered_on": (
                    "The plaque cannot have been ordered before the award was made (1 July 2026)."
                )
            },
        ),
    ],
)
def test_the_dates_rules(world, today, ordered_on, sent_on, problems):
    assert plaque_problems(make_award(world), ordered_on, sent_on) == problems


def test_refused_dates_save_nothing(world, today):
    award = make_award(world)
    with pytest.raises(ValidationError) as refused:
        record(world, award, ordered_on=date(2026, 8, 3), sent_on=date(2026, 8, 2))
    assert refused.value.message_dict == {
        "sent_on": ["The plaque cannot have been sent before it was ordered."]
    }
    assert (plaques(world), entries(world)) == ([], [])


def test_a_withdrawn_awards_plaque_is_refused(world, today):
    award = make_award(world, withdrawn_at=timezone.now())
    with pytest.raises(ValidationError) as refused:
        record(world, award, ordered_on=TODAY)
    assert refused.value.messages == ["This award was withdrawn: it has no plaque."]
    assert plaques(world) == []


def test_the_database_refuses_a_plaque_sent_before_it_was_ordered(world):
    award = make_award(world)
    for ordered_on, sent_on in [(None, AWARDED), (date(2026, 8, 3), date(2026, 8, 2))]:
        with pytest.raises(IntegrityError), transaction.atomic(), scopes_disabled():
            Plaque.objects.create(
                authority=world.authority, award=award, ordered_on=ordered_on, sent_on=sent_on
            )


# --- The page ----------------------------------------------------------------------------------


def plaques_url():
    return reverse("awards:plaques", args=["bathnes"])


def listed(response):
    return [
        (award.school.name, getattr(award, "plaque", None) and award.plaque.status)
        for award in response.context["page"]
    ]


def test_the_page_lists_the_awards_in_force_by_plaque_status(admin_client, world, today):
    names = ["Avon Primary", "Bath Juniors", "Combe Infants"]
    to_order, ordered, sent = (
        make_award(world, school=SchoolFactory(authority=world.authority, name=name))
        for name in names
    )
    record(world, ordered, ordered_on=date(2026, 7, 2))
    record(world, sent, ordered_on=date(2026, 7, 2), sent_on=date(2026, 7, 20))
    # Not in force, another school's past award, and another authority's: none listed.
    make_award(world, awarded_on=date(2020, 7, 1), expires_on=date(2023, 7, 1))
    make_award(world, withdrawn_at=timezone.now())
    make_award(world, awarded_on=TODAY + timedelta(days=1))
    make_award(world, school=world.outsider_school, authority=world.outsider_authority)

    everything = admin_client.get(plaques_url())
    assert listed(everything) == [
        ("Avon Primary", None),
        ("Bath Juniors", Plaque.Status.ORDERED),
        ("Combe Infants", Plaque.Status.SENT),
    ]
    assert everything.context["filters"] == [
        ("to_order", "To order", 1),
        ("ordered", "Ordered", 1),
        ("sent", "Sent", 1),
    ]
    by_status = {
        status: listed(admin_client.get(plaques_url(), {"status": status}))
        for status in ["to_order", "ordered", "sent", "nonsense"]
    }
    assert by_status == {
        "to_order": [("Avon Primary", None)],
        "ordered": [("Bath Juniors", Plaque.Status.ORDERED)],
        "sent": [("Combe Infants", Plaque.Status.SENT)],
        "nonsense": listed(everything),
    }
    html = everything.content.decode()
    assert "Outsider Academy" not in html
    assert '<a href="?status=sent">Sent (1)</a>' in html


def test_a_plaque_whose_dates_were_removed_is_to_order_again(admin_client, world, today):
    award = make_award(world)
    record(world, award, ordered_on=date(2026, 7, 2))
    record(world, award)
    response = admin_client.get(plaques_url(), {"status": "to_order"})
    assert listed(response) == [("Chandag Infant", Plaque.Status.TO_ORDER)]


@pytest.mark.parametrize("count", [1, 3])
def test_the_pages_query_count_does_not_grow(
    admin_client, world, today, django_assert_num_queries, count
):
    for n in range(count):
        award = make_award(world, school=SchoolFactory(authority=world.authority))
        if n:
            record(world, award, ordered_on=date(2026, 7, 2), sent_on=[None, TODAY][n % 2])
    with django_assert_num_queries(6):
        response = admin_client.get(plaques_url())
    assert len(response.context["page"]) == count


def test_the_page_is_paginated(admin_client, world, today):
    for _ in range(26):
        make_award(world, school=SchoolFactory(authority=world.authority))
    response = admin_client.get(plaques_url(), {"page": 2})
    assert (response.context["page"].number, len(response.context["page"])) == (2, 1)


def plaque_url(award, name="plaque"):
    return reverse(f"awards:{name}", args=["bathnes", award.pk])


def test_recording_the_dates_from_the_plaques_page(admin_client, world, today):
    award = make_award(world)
    page = admin_client.get(plaque_url(award))
    assert page.status_code == 200
    assert f'action="{plaque_url(award, "plaque_record")}"' in page.content.decode()
    response = admin_client.post(
        plaque_url(award, "plaque_record"), {"ordered_on": "2026-07-10", "sent_on": ""}
    )
    assert (response.status_code, response["Location"]) == (302, plaques_url())
    assert plaques(world) == [("Chandag Infant", date(2026, 7, 10), None)]
    again = admin_client.get(plaque_url(award))
    assert again.context["form"].initial == {"ordered_on": date(2026, 7, 10), "sent_on": None}
    assert 'type="date" name="ordered_on" value="2026-07-10"' in again.content.decode()


def test_refused_dates_are_shown_at_the_field_and_nothing_is_saved(admin_client, world, today):
    award = make_award(world)
    response = admin_client.post(
        plaque_url(award, "plaque_record"), {"ordered_on": "", "sent_on": "2026-09-01"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "sent_on": ["A plaque is sent once it is ordered: give the date it was ordered."]
    }
    html = response.content.decode()
    assert (
        '<a href="#id_sent_on">Date sent: A plaque is sent once it is ordered: give the date it '
        "was ordered.</a>"
    ) in html
    assert (plaques(world), entries(world)) == ([], [])


def test_another_authoritys_award_and_an_award_out_of_force_are_not_found(
    admin_client, world, today
):
    foreign = make_award(world, school=world.outsider_school, authority=world.outsider_authority)
    expired = make_award(world, awarded_on=date(2020, 7, 1), expires_on=date(2023, 7, 1))
    for award in (foreign, expired):
        assert admin_client.get(plaque_url(award)).status_code == 404
        response = admin_client.post(
            plaque_url(award, "plaque_record"), {"ordered_on": "2026-07-10"}
        )
        assert response.status_code == 404
    assert plaques(world) == []


def test_the_school_page_shows_the_plaque_to_the_admin_only(client, world, today):
    award = make_award(world)
    record(world, award, ordered_on=date(2026, 7, 10))
    url = reverse("schools:detail", args=["bathnes", world.school.pk])
    client.force_login(world.people["authority_admin"])
    html = client.get(url).content.decode()
    assert 'id="plaque-heading"' in html
    assert "Ordered on 10 July 2026; not yet sent." in html
    assert f'href="{plaque_url(award)}"' in html
    client.force_login(world.people["school_coordinator"])
    assert 'id="plaque-heading"' not in client.get(url).content.decode()


# --- The artwork -------------------------------------------------------------------------------


def artwork(award):
    return ET.fromstring(logo.plaque_svg(award))


def drawing(elements):
    """The elements as markup, without the white space between them."""
    elements = list(elements)
    for element in elements:
        for part in element.iter():
            part.tail = None if part is element else part.tail
        element.tail = None
    return [ET.tostring(element) for element in elements]


def coordinates(path_data):
    """The points of SVG path data in the absolute commands fontTools writes (M L Q C H V Z)."""
    points, x, y = [], 0.0, 0.0
    for command, numbers in re.findall(r"([MLQCHVZ])([^MLQCHVZ]*)", path_data):
        values = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", numbers)]
        if command == "H":
            points += [(x, y) for x in values]
        elif command == "V":
            points += [(x, y) for y in values]
        else:
            points += list(zip(values[::2], values[1::2], strict=True))
        if points:
            x, y = points[-1]
    return points


@pytest.mark.parametrize(
    "name, lines",
    [
        ("Chandag Infant", 1),
        ("St Nicholas Church of England Voluntary Controlled Primary School", 2),
    ],
)
def test_the_artwork_is_the_logos_mark_and_the_name_centred_within_the_safe_margins(
    world, name, lines
):
    world.school.name = name
    award = make_award(world, tier=Tier.CENTRE_OF_EXCELLENCE)
    root = artwork(award)
    assert (root.get("viewBox"), root.get("width"), root.get("height")) == (
        "0 0 300 200",
        "300mm",
        "200mm",
    )
    assert root.find(f"{SVG}title").text == (
        f"Inclusion Quality Mark: Centre of Excellence 2026, {name}"
    )
    assert root.findall(f".//{SVG}text") == []  # lettering as outlines, as in the logo
    mark, name_group = root.findall(f"{SVG}g")
    # The very drawing of the logo: its round mark and its four outlined paths, scaled.
    logo_root = ET.fromstring(logo.svg(award))
    assert drawing(mark) == drawing(
        e for e in logo_root if e.tag not in (f"{SVG}title", f"{SVG}desc")
    )
    scale = logo.MARK_SIZE / 400
    left, top = (float(n) for n in re.findall(r"[\d.]+", mark.get("transform"))[:2])
    points = [(left, top), (left + 400 * scale, top + 400 * scale)]
    paths = name_group.findall(f"{SVG}path")
    assert len(paths) == lines
    for path in paths:
        points += coordinates(path.get("d"))
    xs, ys = [x for x, _ in points], [y for _, y in points]
    margin = logo.SAFE_MARGIN
    assert margin <= min(xs) and max(xs) <= 300 - margin
    assert margin <= min(ys) and max(ys) <= 200 - margin
    assert abs((min(xs) + max(xs)) / 2 - 150) < 1
    assert abs((min(ys) + max(ys)) / 2 - 100) < 2


def test_a_long_name_is_set_in_two_lines_of_one_size():
    assert logo.name_lines(
        "St Nicholas Church of England Voluntary Controlled Primary School",
        logo.SERIF_BOLD,
        logo.NAME_SIZE,
        logo.NAME_WIDTH,
    ) == ["St Nicholas Church of England", "Voluntary Controlled Primary School"]
    assert logo.name_lines("Chandag Infant", logo.SERIF_BOLD, 14, logo.NAME_WIDTH) == [
        "Chandag Infant"
    ]


def request_artwork(world, award, capture):
    with capture(execute=True), scope(authority=award.authority):
        job = render.request_render(
            award.authority, RenderJob.Kind.PLAQUE, award, world.people["authority_admin"]
        )
    with scopes_disabled():
        return RenderJob.objects.get(pk=job.pk)


def test_the_artwork_pdf_is_one_plaque_sized_page_of_outlines(
    world, django_capture_on_commit_callbacks
):
    """The lettering is drawn as outlines, so the PDF holds no text and no font: what it holds is
    the page's size, one page of vector paths in the tier's colour, and its title. (The drawing was
    also looked at, rendered to PNG with pdftoppm: the mark centred, the name beneath it.)"""
    award = make_award(world, tier=Tier.CENTRE_OF_EXCELLENCE)
    job = request_artwork(world, award, django_capture_on_commit_callbacks)
    assert (job.state, job.error, job.pages) == (RenderJob.State.DONE, "", 1)
    with default_storage.open(job.file.name, "rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (300, 200)
    assert reader.metadata.title == "Plaque: Centre of Excellence 2026 – Chandag Infant"
    assert page.extract_text().strip() == ""
    assert page["/Resources"]["/Font"].get_object() == {}
    content = page.get_contents().get_data().decode("latin-1")
    # The tier's purple (#5a2a82) fills the mark and the name.
    assert "0.352941 0.164706 0.509804 rg" in content
    assert content.count(" c\n") > 100  # curves: the outlined letters


def test_only_the_authority_admin_may_have_the_artwork(client, world):
    award = make_award(world)
    url = reverse("reports:plaque", args=["bathnes", award.pk])
    client.force_login(world.people["school_coordinator"])
    assert client.post(url).status_code == 404
    client.force_login(world.people["authority_admin"])
    response = client.post(url)
    with scopes_disabled():
        job = RenderJob.objects.get()
    assert (response.status_code, response["Location"]) == (
        302,
        reverse("reports:job", args=["bathnes", job.pk]),
    )
    assert job.kind == RenderJob.Kind.PLAQUE
    client.force_login(world.people["school_coordinator"])
    assert client.get(reverse("reports:job", args=["bathnes", job.pk])).status_code == 404


def test_a_withdrawn_awards_artwork_says_why_it_cannot_be_made(admin_client, world):
    award = make_award(world, withdrawn_at=timezone.now())
    response = admin_client.post(reverse("reports:plaque", args=["bathnes", award.pk]))
    assert response.status_code == 403
    assert response.context["reason"] == (
        "This award was withdrawn when the panel's decision was corrected: it has no plaque."
    )


def test_the_plaque_page_offers_the_artwork(admin_client, world, today):
    award = make_award(world)
    html = admin_client.get(plaque_url(award)).content.decode()
    assert f'action="{reverse("reports:plaque", args=["bathnes", award.pk])}"' in html
    assert "Get the plaque artwork (PDF)" in html


def test_the_demo_has_plaques_sent_ordered_and_to_order(db):
    for _ in range(2):  # idempotent
        call_command("load_demo", stdout=io.StringIO())
    bathnes = Authority.objects.get(slug="bathnes")
    with scope(authority=bathnes):
        counts = plaque_counts()
        assert AuditEntry.objects.filter(action="plaque.sent").count() == 4
    assert {status: counts[status] for status in ("ordered", "sent")} == {"ordered": 3, "sent": 4}
    assert counts["to_order"] > 0
