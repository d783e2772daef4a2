"""Page titles say where you are, from the most specific to the least, and the accessibility
statement is public and linked from every page."""

import html
import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django_scopes import scopes_disabled

from publishing.domain import publish

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def title(response):
    return html.unescape(re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)[1])


def test_each_app_titles_its_pages_from_the_page_to_the_portal(client, world):
    slug, cycle = world.authority.slug, world.cycle
    with scopes_disabled():
        element = cycle.framework.elements.get(number=3)
    client.force_login(world.people["school_coordinator"])
    pages = {
        reverse("assessments:element", args=[slug, cycle.pk, element.pk]): (
            "Element 3: Leadership and management – Self-review – Chandag Infant – IQM Portal"
        ),
        reverse("assessments:cycle", args=[slug, cycle.pk]): (
            "Initial assessment – Chandag Infant – IQM Portal"
        ),
        reverse("portfolios:portfolio", args=[slug, cycle.pk]): (
            "Portfolio – Chandag Infant – IQM Portal"
        ),
        reverse("dashboard", args=[slug]): "Overview – Bath & North East Somerset – IQM Portal",
        reverse("schools:detail", args=[slug, world.school.pk]): (
            "Chandag Infant – Bath & North East Somerset – IQM Portal"
        ),
    }
    assert {path: title(client.get(path)) for path in pages} == pages

    client.force_login(world.people["authority_admin"])
    assert title(client.get(reverse("schools:list", args=[slug]))) == (
        "Schools – Bath & North East Somerset – IQM Portal"
    )
    assert title(client.get(reverse("moderation:queue", args=[slug]))) == (
        "Moderation – Bath & North East Somerset – IQM Portal"
    )
    assert title(client.get(f"/{slug}/no-such-page/")) == "Page not found – IQM Portal"

    client.logout()
    assert title(client.get(reverse("accounts:login"))) == "Sign in – IQM Portal"
    assert title(client.get(reverse("accessibility"))) == "Accessibility statement – IQM Portal"
    with scopes_disabled():
        publish(authority=world.authority, by=world.people["authority_admin"])
    assert title(client.get(reverse("publishing:awards", args=[slug]))) == (
        "Schools with the Inclusion Quality Mark – Bath & North East Somerset – IQM Portal"
    )


def test_a_form_that_failed_says_error_first(admin_client, world):
    response = admin_client.post(reverse("people:invite", args=[world.authority.slug]), {})

    assert response.status_code == 200
    assert title(response) == "Error: Invite someone – Bath & North East Somerset – IQM Portal"


def test_every_page_template_names_its_page():
    """The base's title block is empty: a page that forgot its own would be titled by its
    place alone."""
    extends_base = re.compile(r"""\{%\s*extends\s+["']base\.html["']\s*%\}""")
    own_title = re.compile(r"\{%\s*block title\s*%\}\s*\S.*?\{%\s*endblock\s*%\}", re.S)
    pages = [p for p in TEMPLATES.rglob("*.html") if extends_base.search(p.read_text())]
    untitled = [str(p.relative_to(TEMPLATES)) for p in pages if not own_title.search(p.read_text())]

    assert len(pages) > 70
    assert untitled == []


def test_the_accessibility_statement_is_public_and_linked_from_every_page(client, world):
    response = client.get(reverse("accessibility"))

    assert response.status_code == 200
    content = response.content.decode()
    for heading in [
        "<h1>Accessibility statement for the IQM Portal</h1>",
        "<h2>Feedback and contact information</h2>",
        "<h2>Reporting accessibility problems with the portal</h2>",
        "<h2>Enforcement procedure</h2>",
        "<h3>Compliance status</h3>",
        "<h2>Non-accessible content</h2>",
        "<h2>Preparation of this accessibility statement</h2>",
    ]:
        assert content.count(heading) == 1, heading
    assert content.count('<a href="mailto:accessibility@iqm-portal.test">') == 2
    assert "Equality Commission for Northern Ireland" in content
    assert "This statement was prepared on 3 December 2026." in content

    footer_link = '<a href="/accessibility/">Accessibility statement</a>'
    client.force_login(world.people["school_coordinator"])
    signed_in = client.get(
        reverse("assessments:cycle", args=[world.authority.slug, world.cycle.pk])
    )
    assert signed_in.content.decode().count(footer_link) == 1
    assert content.count(footer_link) == 1


def test_no_authority_can_take_the_statements_address(admin_client):
    from authorities.forms import AuthorityForm

    form = AuthorityForm({"name": "Accessibility Council", "slug": "accessibility"})

    assert form.errors["slug"] == ["“accessibility” is used by the portal itself: choose another."]
