"""The error pages a person may meet, reached as a browser reaches them, each checked by axe (the
harness): not found, not allowed, a form that expired (CSRF), a request Django cannot read (400)
and one too large to take (413)."""

from playwright.sync_api import expect

from .conftest import visit
from .test_self_review import sign_in


def heading(page):
    return page.get_by_role("heading", level=1)


def posted(response):
    return response.request.method == "POST" and response.url.endswith("/accounts/login/")


def send_sign_in_form(page):
    page.get_by_label("Email address").fill("head_teacher@bathnes.test")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    page.a11y.wait()


def test_error_pages_are_accessible_and_say_what_to_do(page, world, settings):
    response = visit(page, "/no-such-page/")
    assert response.status == 404
    expect(heading(page)).to_have_text("Page not found")

    # The form's CSRF cookie is gone by the time it is sent (signed out elsewhere, say).
    visit(page, "/accounts/login/")
    page.context.clear_cookies()
    with page.expect_response(posted) as sent:
        send_sign_in_form(page)
    assert sent.value.status == 403
    expect(heading(page)).to_have_text("The form has expired")

    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 1  # the form sends three
    visit(page, "/accounts/login/")
    with page.expect_response(posted) as sent:
        send_sign_in_form(page)
    assert sent.value.status == 400
    expect(heading(page)).to_have_text("The request could not be read")

    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
    settings.MAX_REQUEST_MB = 0  # any body is too large
    visit(page, "/accounts/login/")
    with page.expect_response(posted) as sent:
        send_sign_in_form(page)
    assert sent.value.status == 413
    expect(heading(page)).to_have_text("Too much to send at once")
    expect(page.get_by_role("main")).to_contain_text("nothing was saved")

    settings.MAX_REQUEST_MB = 210
    sign_in(page, "school_contributor@bathnes.test")
    response = visit(page, "/bathnes/schools/")
    assert response.status == 403
    expect(heading(page)).to_have_text("You cannot open this page")
