"""A person makes a personal API token in a real browser (axe on every page): the form's errors,
the secret shown once with its copy button, and revoking it after a check."""

import re

from django_scopes import scopes_disabled
from playwright.sync_api import expect
from rest_framework.test import APIClient

from accounts.models import ApiToken

from .conftest import visit
from .test_self_review import sign_in


def test_a_moderator_makes_copies_and_revokes_a_token(page, base_url, world):
    page.context.grant_permissions(["clipboard-write"], origin=base_url)
    sign_in(page, world.people["moderator"].email)
    visit(page, "/bathnes/")
    nav = page.get_by_role("navigation", name="Bath & North East Somerset")
    nav.get_by_role("link", name="API tokens", exact=True).click()
    page.a11y.wait()
    expect(page).to_have_title("API tokens – Bath & North East Somerset – IQM Portal")
    expect(
        page.get_by_text("You have no API tokens in Bath & North East Somerset.")
    ).to_be_visible()

    page.get_by_role("button", name="Make the token").click()
    expect(page).to_have_title("Error: API tokens – Bath & North East Somerset – IQM Portal")
    summary = page.get_by_role("alert").filter(
        has=page.get_by_role("heading", name="There is a problem")
    )
    summary.get_by_role("link", name="Name: Enter a name for the token.").click()
    expect(page.get_by_label("Name")).to_be_focused()

    page.get_by_label("Name").fill("Data warehouse")
    page.get_by_label("Read and write").check()
    page.get_by_role("button", name="Make the token").click()
    expect(page).to_have_title("Your new API token – Bath & North East Somerset – IQM Portal")
    expect(page.get_by_role("status").first).to_contain_text("it will not be shown again")
    secret = page.locator("#token-secret").inner_text()
    assert re.fullmatch(r"iqm_[A-Za-z0-9_-]{43}", secret)

    page.get_by_role("button", name="Copy the token").click()
    expect(page.locator("[data-copy-status]")).to_have_text("Token copied.")

    api = APIClient(raise_request_exception=False)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = api.get("/api/v1/bathnes/areas/")
    assert response.status_code == 200, response.content

    page.get_by_role("link", name="Back to your API tokens").click()
    page.a11y.wait()
    expect(page.locator("body")).not_to_contain_text(secret)
    row = page.get_by_role("row").filter(has_text="Data warehouse")
    expect(row).to_contain_text("Read and write")
    row.get_by_role("link", name="Revoke Data warehouse").click()
    page.a11y.wait()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke the token “Data warehouse”?")
    page.get_by_role("button", name="Revoke the token").click()
    expect(page.get_by_role("status")).to_have_text(
        "Token “Data warehouse” revoked: it no longer works."
    )
    expect(page.get_by_role("row").filter(has_text="Data warehouse")).to_contain_text("Revoked")
    response = api.get("/api/v1/bathnes/areas/")
    assert response.status_code == 401, response.content
    with scopes_disabled():
        assert ApiToken.objects.get().revoked_at is not None
