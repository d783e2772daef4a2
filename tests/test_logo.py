"""The award logo: the IQM mark with the tier and the year, as SVG and as PNG drawn from it, for the
school's staff and the authority's staff while the award is current."""

import io
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope
from PIL import Image

from awards.models import Award, Tier

SVG = "{http://www.w3.org/2000/svg}"


def make_award(
    world,
    school=None,
    authority=None,
    tier=Tier.CENTRE_OF_EXCELLENCE,
    awarded_on=date(2025, 9, 1),
    **fields,
):
    authority = authority or world.authority
    with scope(authority=authority):
        return Award.objects.create(
            authority=authority,
            school=school or world.school,
            tier=tier,
            awarded_on=awarded_on,
            expires_on=awarded_on + timedelta(days=3 * 365),
            **fields,
        )


def logo_url(award, extension, slug="bathnes", school=None):
    return reverse(f"awards:logo_{extension}", args=[slug, (school or award.school).pk, award.pk])


@pytest.fixture
def coordinator(client, world):
    client.force_login(world.people["school_coordinator"])
    return client


def test_svg_names_the_tier_and_year_and_is_well_formed(world, coordinator):
    award = make_award(world)
    response = coordinator.get(logo_url(award, "svg"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="iqm-chandag-infant-centre-of-excellence-2025.svg"'
    )
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    assert response["X-Content-Type-Options"] == "nosniff"
    root = ET.fromstring(response.content)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Inclusion Quality Mark: Centre of Excellence 2025"
    assert root.find(f"{SVG}desc").text == (
        "The Bath & North East Somerset Inclusion Quality Mark, Centre of Excellence, "
        "awarded to Chandag Infant in 2025."
    )
    # The lettering is drawn as outlines, so no machine's fonts can change it.
    assert root.findall(f".//{SVG}text") == []
    assert len(root.findall(f".//{SVG}path")) == 4


def test_names_are_escaped_in_the_svg(world, coordinator):
    world.school.name = 'St "Mary" <b>& Co</b>'
    world.school.save()
    response = coordinator.get(logo_url(make_award(world), "svg"))
    desc = ET.fromstring(response.content).find(f"{SVG}desc").text
    assert desc == (
        "The Bath & North East Somerset Inclusion Quality Mark, Centre of Excellence, "
        'awarded to St "Mary" <b>& Co</b> in 2025.'
    )
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="iqm-st-mary-b-cob-centre-of-excellence-2025.svg"'
    )


def test_png_is_drawn_from_the_svg_at_800_pixels(world, coordinator):
    award = make_award(world, tier=Tier.QUALITY_MARK)
    response = coordinator.get(logo_url(award, "png"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="iqm-chandag-infant-inclusion-quality-mark-2025.png"'
    )
    assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(response.content))
    assert (image.format, image.size, image.mode) == ("PNG", (800, 800), "RGBA")
    assert image.getpixel((0, 0))[3] == 0  # outside the round mark: transparent
    assert image.getpixel((400, 24)) == (0x1D, 0x4F, 0x91, 255)  # the Quality Mark's blue


def test_etag_answers_a_repeat_with_not_modified(world, coordinator):
    award = make_award(world)
    first = coordinator.get(logo_url(award, "png"))
    again = coordinator.get(logo_url(award, "png"), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert coordinator.get(logo_url(award, "svg"))["ETag"] != first["ETag"]


def test_the_schools_mentor_and_the_admin_get_the_logo_too(world, client):
    """The mentor of the school's cycle, not of another school; the admin, of any school."""
    own, other = make_award(world), make_award(world, school=world.other_school)
    client.force_login(world.people["mentor"])
    assert [client.get(logo_url(a, "svg")).status_code for a in (own, other)] == [200, 404]
    client.force_login(world.people["authority_admin"])
    assert [client.get(logo_url(a, "svg")).status_code for a in (own, other)] == [200, 200]


@pytest.mark.parametrize("change", ["expired", "withdrawn", "not_yet"])
def test_no_logo_without_a_current_award(world, coordinator, change):
    today = timezone.localdate()
    fields = {
        "expired": {"awarded_on": today - timedelta(days=4 * 365)},
        "withdrawn": {"withdrawn_at": timezone.now()},
        "not_yet": {"awarded_on": today + timedelta(days=1)},
    }[change]
    award = make_award(world, **fields)
    assert coordinator.get(logo_url(award, "svg")).status_code == 404
    assert coordinator.get(logo_url(award, "png")).status_code == 404


def test_an_award_is_reached_only_through_its_own_school(world, client):
    client.force_login(world.people["authority_admin"])
    award = make_award(world, school=world.other_school)
    assert client.get(logo_url(award, "svg", school=world.school)).status_code == 404


def test_another_schools_logo_is_not_found_for_school_staff(world, coordinator):
    assert (
        coordinator.get(logo_url(make_award(world, school=world.other_school), "svg")).status_code
        == 404
    )


def test_the_outsider_authoritys_award_is_not_found(world, client):
    client.force_login(world.people["authority_admin"])
    award = make_award(world, school=world.outsider_school, authority=world.outsider_authority)
    assert client.get(logo_url(award, "svg")).status_code == 404
    assert client.get(logo_url(award, "png")).status_code == 404


def test_school_page_links_to_both_logos(world, coordinator):
    award = make_award(world)
    response = coordinator.get(reverse("schools:detail", args=["bathnes", world.school.pk]))
    assert response.status_code == 200
    for extension in ("svg", "png"):
        assert f'href="{logo_url(award, extension)}"' in response.content.decode()
