"""Signing in and finding the way round an authority, in a real browser, with axe on every page."""

from playwright.sync_api import expect

from ..second_factor import app_if_needed
from .conftest import visit
from .test_self_review import pass_second_factor

PASSWORD = "correct horse battery staple"


def sign_in(page, email, password):
    app = app_if_needed(email)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    page.a11y.wait()
    pass_second_factor(page, app)


def test_an_admin_signs_in_finds_the_way_round_and_sees_form_errors(page, base_url, world):
    admin = world.people["authority_admin"]

    visit(page, "/")
    expect(page).to_have_title("Inclusion Quality Mark assessments – IQM Portal")
    expect(page.get_by_role("heading", level=1)).to_have_text("The IQM Portal")

    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/accounts/login/")
    expect(page).to_have_title("Sign in – IQM Portal")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")

    sign_in(page, admin.email, PASSWORD)
    expect(page).to_have_url(f"{base_url}/bathnes/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bath & North East Somerset")
    expect(page.get_by_role("navigation", name="Your account")).to_contain_text(admin.full_name)

    nav = page.get_by_role("navigation", name="Bath & North East Somerset")
    for link, path, heading in [
        ("Schools", "/bathnes/schools/", "Schools"),
        ("Areas", "/bathnes/schools/areas/", "Areas"),
        ("People", "/bathnes/people/", "People and roles"),
        ("Audit log", "/bathnes/audit/", "Audit log"),
        ("Settings", "/bathnes/settings/", "Authority settings"),
    ]:
        nav.get_by_role("link", name=link, exact=True).click()
        expect(page).to_have_url(f"{base_url}{path}")
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)

    nav.get_by_role("link", name="Schools", exact=True).click()
    expect(page).to_have_url(f"{base_url}/bathnes/schools/")
    page.get_by_role("link", name="Add a school").click()
    expect(page).to_have_url(f"{base_url}/bathnes/schools/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a school")

    page.get_by_role("button", name="Save the school").click()
    expect(page).to_have_url(f"{base_url}/bathnes/schools/new/")
    summary = page.get_by_role("alert").filter(
        has=page.get_by_role("heading", name="There is a problem")
    )
    expect(summary.get_by_role("heading", level=2)).to_have_text("There is a problem")
    name_link = summary.get_by_role("link", name="Name: This field is required.")
    expect(name_link).to_have_attribute("href", "#id_name")
    expect(page.locator("#id_name_error")).to_have_text("Error: This field is required.")
    expect(page.get_by_label("Name", exact=True)).to_have_attribute("aria-invalid", "true")

    # The link takes the focus to its field (static/js/error-summary.js) and shows its label.
    name_link.click()
    expect(page.get_by_label("Name", exact=True)).to_be_focused()
    expect(page.locator("label[for=id_name]")).to_be_in_viewport()


def test_a_wrong_password_is_explained_at_the_top(page, base_url, world):
    email = world.people["authority_admin"].email
    visit(page, "/accounts/login/")
    sign_in(page, email, "not the password")

    expect(page).to_have_url(f"{base_url}/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", level=2)).to_have_text("There is a problem")
    expect(summary.get_by_role("listitem")).to_have_text(
        "The email address or password is not right. Check them and try again."
    )
    # At the top: the summary is the form's first element, above the email field.
    expect(page.locator("main form > :not([type=hidden])").first).to_have_class("error-summary")
    expect(page.get_by_label("Email address")).to_have_value(email)
    expect(page.get_by_label("Password")).to_have_value("")
