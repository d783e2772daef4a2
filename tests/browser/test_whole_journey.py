"""The whole journey of a new authority, in a browser, as its people live it: a platform admin
creates the authority; its admin imports schools from a GIAS file and invites a coordinator, a
mentor, two moderators and three panel members, who accept from the emails; the school completes
its self-review and portfolio; the mentor validates; the panel desk-checks; the moderators visit
and report; the panel votes; the school downloads its report and certificate; the admin
publishes; the school is on the public list and in the national directory.

Each person has a browser context of their own and does only what the pages offer them; axe
checks every page. One function per step, so a step's pages can change without the journey."""

import io
import re
from base64 import b32decode
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django_otp.oath import TOTP
from playwright.sync_api import expect
from pypdf import PdfReader

from ..factories import UserFactory
from ..test_gias import SAMPLE
from .conftest import visit
from .test_self_review import PASSWORD, second_tab, sign_in

AUTHORITY = "Somerset Vale"
SLUG = "somerset-vale"
SCHOOL = "Sulis Vale Primary School"
URN = "190001"
TIER = "Inclusion Quality Mark"
# Who the admin invites, by email: their role, and the name they give when they accept.
PEOPLE = {
    "coordinator@sulisvale.test": ("School coordinator", "Cora Coordinator"),
    "mentor@somersetvale.test": ("Mentor", "Mina Mentor"),
    "moderator1@somersetvale.test": ("Moderator", "Mo Moderator"),
    "moderator2@somersetvale.test": ("Moderator", "Max Moderator"),
    "chair@somersetvale.test": ("Panel chair", "Chris Chair"),
    "panel1@somersetvale.test": ("Panel member", "Pat Panel"),
    "panel2@somersetvale.test": ("Panel member", "Priya Panel"),
}
# A long test on a shared machine: a page may take longer than the harness's 10 seconds.
TIMEOUT = 30_000
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def patient_assertions():
    """The assertions wait as long as the actions: a page after a step that emails several
    people can take more than expect's default 5 seconds on a busy machine."""
    expect.set_options(timeout=TIMEOUT)
    yield
    expect.set_options(timeout=5_000)


def test_a_new_authority_from_its_creation_to_the_national_directory(
    page, browser, axe, base_url, settings
):
    settings.SITE_URL = base_url  # the emails' links lead to this live server
    people = []  # every person's page, to finish their axe checks at the end
    page.a11y.set_timeout(TIMEOUT / 1000)

    def person(email=None):
        """A browser of one's own, signed in when `email` is given."""
        tab = second_tab(browser, axe, base_url)
        tab.a11y.set_timeout(TIMEOUT / 1000)
        people.append(tab)
        if email:
            sign_in(tab, email)
        return tab

    # The platform admin creates the authority; its first admin accepts the emailed invitation.
    UserFactory(email="platform@iqm.test", full_name="Pia Platform", is_staff=True)
    sign_in(page, "platform@iqm.test")
    create_authority(page, "lead@somersetvale.test")
    admin = person()
    accept_invitation(admin, "lead@somersetvale.test", "Ada Admin")

    # The admin imports the schools and invites the people; each accepts in their own browser.
    import_schools(admin)
    for email, (role, name) in PEOPLE.items():
        invite(admin, email, role, SCHOOL if role == "School coordinator" else None)
        accept_invitation(person(), email, name)
    register_school(admin, mentor="Mina Mentor")

    # The school completes its self-review; the mentor validates it; the school submits its
    # portfolio.
    school = person("coordinator@sulisvale.test")
    cycle_path = complete_self_review(school)
    submit_to_mentor(school)
    mentor = person("mentor@somersetvale.test")
    validate_self_review(mentor, cycle_path)
    submit_portfolio(school, cycle_path)

    # The chair desk-checks the portfolio and plans the visit of the two moderators.
    chair = person("chair@somersetvale.test")
    desk_check(chair, moderators=["Mo Moderator", "Max Moderator"])

    # The moderators visit, take notes and sign the report.
    moderator = person("moderator1@somersetvale.test")
    take_note(moderator, cycle_path, "Pupils describe the buddy bench; everyone has a friend.")
    take_note_offline(moderator, "Year 2 lesson: every pupil took part.")
    write_and_sign_report(moderator, cycle_path)
    second_moderator = person("moderator2@somersetvale.test")
    sign_report(second_moderator, cycle_path, signed_by="2 of 2")

    # The panel votes; the chair records the decision.
    open_vote(chair, cycle_path)
    for voter in (chair, person("panel1@somersetvale.test"), person("panel2@somersetvale.test")):
        cast_vote(voter, cycle_path)
    record_decision(chair, cycle_path)

    # The school downloads its report and certificate.
    download_report(school, cycle_path)
    certificate = download_certificate(school)
    assert SCHOOL in certificate and TIER in certificate

    # The admin publishes the list; the public finds the school there and in the directory.
    publish(admin)
    public = person()
    on_the_public_list(public)
    in_the_national_directory(public)

    for tab in people:
        tab.a11y.finish()
        tab.context.close()


# The authority and its people


def create_authority(page, first_admin_email):
    page.get_by_role("link", name="Create and list authorities").click()
    page.a11y.wait()
    page.get_by_label("Name").fill(AUTHORITY)
    page.get_by_label("Slug").fill(SLUG)
    page.get_by_label("Email of the authority's first admin").fill(first_admin_email)
    page.get_by_role("button", name="Create the authority").click()
    page.a11y.wait()
    expect(page.get_by_role("status")).to_have_text(
        f"{AUTHORITY} created; its first admin has been sent an invitation."
    )
    expect(page.get_by_role("row", name=AUTHORITY)).to_contain_text(f"/{SLUG}/")


def invitation_link(email):
    """The link of the latest invitation emailed to `email`."""
    sent = [m for m in mail.outbox if m.to == [email]]
    assert sent, f"no email to {email}"
    return re.search(r"^(http\S+/accounts/invitations/\S+/)$", sent[-1].body, re.M).group(1)


def accept_invitation(page, email, full_name):
    visit(page, invitation_link(email))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Join {AUTHORITY}")
    page.get_by_label("Your full name").fill(full_name)
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    page.a11y.wait()
    expect(page.get_by_role("status")).to_have_text(f"Welcome to {AUTHORITY}.")
    expect(page.get_by_role("navigation", name="Your account")).to_contain_text(full_name)
    if urlsplit(page.url).path == "/accounts/two-factor/set-up/":
        set_up_authenticator_app(page)


def set_up_authenticator_app(page):
    """A role that needs a second factor sets up an app at once: the person types the key shown
    on the page into their app (computed here as the app would), then enters its code, and is
    shown their recovery codes once."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up an authenticator app")
    qr_code = page.get_by_role("img", name="QR code to scan with your authenticator app")
    expect(qr_code).to_be_visible()
    key = page.locator("#secret-key").inner_text().replace(" ", "")
    app = TOTP(b32decode(key + "=" * (-len(key) % 8)))
    page.get_by_label("Code from the app").fill(str(app.token()).zfill(6))
    page.get_by_role("button", name="Turn on the app").click()
    page.a11y.wait()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(
        10
    )
    page.get_by_role("link", name="Continue").click()
    page.a11y.wait()
    expect(page).to_have_url(re.compile(rf"/{SLUG}/$"))


def import_schools(page):
    visit(page, f"/{SLUG}/schools/")
    page.get_by_role("link", name="Import from Get Information about Schools").click()
    page.a11y.wait()
    page.get_by_label(
        "Establishment data from Get Information about Schools (CSV)"
    ).set_input_files(SAMPLE)
    page.get_by_role("button", name="Upload and check").click()
    page.a11y.wait()
    page.get_by_role("button", name="Import 12 schools").click()
    page.a11y.wait()
    expect(page.get_by_role("status")).to_have_text("Schools imported: 12 added, 0 changed.")


def invite(page, email, role, school=None):
    visit(page, f"/{SLUG}/people/")
    page.get_by_role("link", name="Invite someone").click()
    page.a11y.wait()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Role").select_option(label=role)
    if school:
        page.get_by_label("School").fill(school)  # its full name, as typed
    page.get_by_role("button", name="Send the invitation").click()
    page.a11y.wait()
    expect(page.get_by_role("status")).to_have_text(f"Invitation sent to {email}.")


def register_school(page, mentor):
    visit(page, f"/{SLUG}/cycles/new/")
    page.get_by_label("School").fill(SCHOOL)
    page.get_by_label("Mentor").select_option(label=mentor)
    page.get_by_role("button", name="Register the school").click()
    page.a11y.wait()
    expect(page.get_by_role("status")).to_have_text(
        f"{SCHOOL} is registered, with {mentor} as mentor."
    )


# The school and its mentor


def complete_self_review(page):
    """Rates and describes every element from the task list; returns the cycle's path."""
    page.get_by_role("link", name=SCHOOL).first.click()
    page.a11y.wait()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{SCHOOL}: Inclusion Quality Mark assessment {date.today().year}"
    )
    cycle_path = urlsplit(page.url).path
    for number in range(1, 11):
        page.get_by_role("link", name=re.compile(rf"^{number}\. ")).first.click()
        page.a11y.wait()
        for statement in (
            page.get_by_role("group", name="Rate each statement").get_by_label("Established").all()
        ):
            statement.check()
        page.get_by_role("group", name="Overall rating of this element").get_by_label(
            "Established"
        ).check()
        page.get_by_label("What the school does").fill(f"What we do for element {number}.")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_role("status")).to_contain_text("Saved at")
        page.wait_for_load_state("networkidle")  # a save the typing had started may follow
        page.get_by_role("link", name="Back to the elements").first.click()
        page.a11y.wait()
    expect(page.get_by_text("10 of 10 elements complete")).to_be_visible()
    return cycle_path


def submit_to_mentor(page):
    """From the case page, through the check of what will happen and who is told."""
    page.get_by_role("link", name="Submit to the mentor").click()
    page.a11y.wait()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Submit the self-review to Mina Mentor?"
    )
    page.get_by_role("button", name="Submit to the mentor").click()
    page.a11y.wait()
    expect(page.get_by_role("status").filter(has_text="sent to")).to_have_text(
        "The self-review has been sent to Mina Mentor."
    )


def validate_self_review(page, cycle_path):
    """The mentor agrees with the school's rating of every element, then validates."""
    visit(page, cycle_path)
    page.get_by_role("link", name="Validate the self-review").click()
    page.a11y.wait()
    page.get_by_role("button", name="Agree with all remaining").click()
    page.a11y.wait()
    expect(page.locator("#decided-count")).to_have_text("10 of 10 elements decided.")
    page.get_by_role("button", name="Validate the self-review").click()
    page.a11y.wait()
    expect(page.get_by_role("status").filter(has_text="validated")).to_have_text(
        "The self-review is validated. The school can see your ratings and comments."
    )


def submit_portfolio(page, cycle_path):
    """One file, evidence for every element, uploaded and the portfolio submitted."""
    visit(page, cycle_path)
    page.get_by_role("link", name="Portfolio of evidence").click()
    page.a11y.wait()
    page.get_by_text("Link the files to elements now (optional)").click()
    for checkbox in (
        page.get_by_role("group", name="Elements it is evidence for").get_by_role("checkbox").all()
    ):
        checkbox.check()
    page.get_by_label("Files").set_input_files(
        [{"name": "Inclusion policy.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("[data-progress] .upload-progress__item--done")).to_have_count(1)
    page.get_by_role("link", name="Show the updated portfolio").click()
    page.a11y.wait()
    expect(page.get_by_text("No evidence yet.")).to_have_count(0)
    page.get_by_role("link", name="Submit the portfolio").click()
    page.a11y.wait()
    page.get_by_role("button", name="Submit the portfolio").click()
    page.a11y.wait()
    expect(page.get_by_role("status").filter(has_text="submitted for moderation")).to_have_text(
        "The portfolio has been submitted for moderation. It can no longer be changed."
    )


# The panel and the moderators


def desk_check(page, moderators):
    """The chair accepts the portfolio from the moderation queue and plans the visit."""
    page.get_by_role("navigation", name=AUTHORITY).get_by_role("link", name="Moderation").click()
    page.a11y.wait()
    page.get_by_role("region", name=SCHOOL).get_by_role("button", name="Accept for a visit").click()
    page.a11y.wait()
    page.get_by_role("row", name=SCHOOL).get_by_role("link", name="Visit").click()
    page.a11y.wait()
    group = page.get_by_role("group", name="Moderators")
    for name in moderators:
        group.get_by_label(name).check()
    page.get_by_label("Date of the visit").fill((date.today() + timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Plan the visit").click()
    page.a11y.wait()
    expect(page.get_by_role("definition").filter(has_text=moderators[0])).to_have_text(
        " and ".join(sorted(moderators))
    )


def take_note(page, cycle_path, notes):
    visit(page, f"{cycle_path}visit/")
    page.get_by_label("Kind").select_option(label="Meeting with pupils")
    page.get_by_label("Who or which class").fill("School council")
    page.get_by_label("Notes").fill(notes)
    page.get_by_role("group", name="Elements it bears on").get_by_label(
        "2. Pupil attitudes, values and personal development"
    ).check()
    page.get_by_role("button", name="Save the note").click()
    page.a11y.wait()
    expect(page.get_by_role("article").filter(has_text=notes)).to_contain_text(
        "Meeting with pupils: School council"
    )


def take_note_offline(page, notes):
    """On the visit page, with no signal: the note waits in the browser and is sent when the
    connection returns."""
    page.context.set_offline(True)
    page.get_by_label("Kind").select_option(label="Lesson observation")
    page.get_by_label("Who or which class").fill("Year 2")
    page.get_by_label("Notes").fill(notes)
    page.get_by_role("button", name="Save the note").click()
    expect(page.get_by_role("status")).to_have_text("Offline – 1 note waiting to send")
    page.context.set_offline(False)
    expect(page.get_by_role("status")).to_have_text("All notes sent")
    page.a11y.check()
    expect(page.get_by_role("article").filter(has_text=notes)).to_have_count(1)


def write_and_sign_report(page, cycle_path):
    visit(page, f"{cycle_path}report/")
    page.get_by_label("The school's context").fill("A primary school of 398 pupils in Bath.")
    page.get_by_role("combobox", name="Recommendation").select_option(label="Award")
    page.get_by_label("Tier").select_option(label=TIER)
    for judgement in page.get_by_label("Judgement").all():
        judgement.select_option(label="Met")
    # Each section saves itself: the context, each element and the recommendation.
    expect(page.locator(".save-status").filter(has_text="Saved at")).to_have_count(12)
    sign_report(page, cycle_path, signed_by="1 of 2")


def sign_report(page, cycle_path, signed_by):
    visit(page, f"{cycle_path}report/")
    page.get_by_role("link", name="Sign the report").click()
    page.a11y.wait()
    page.get_by_role("button", name="Sign the report").click()
    page.a11y.wait()
    if signed_by == "2 of 2":
        expect(page.get_by_text("Signed by both moderators")).to_be_visible()
    else:
        expect(page.get_by_text(f"Signed by {signed_by} moderators.")).to_be_visible()


def open_vote(page, cycle_path):
    visit(page, f"{cycle_path}panel/")
    page.get_by_role("button", name="Open the vote").click()
    page.a11y.wait()


def cast_vote(page, cycle_path):
    visit(page, f"{cycle_path}panel/")
    page.get_by_label(f"Award: {TIER}").check()
    page.get_by_role("button", name="Cast my vote").click()
    page.a11y.wait()
    expect(page.get_by_role("table")).to_contain_text(f"Award: {TIER}")


def record_decision(page, cycle_path):
    visit(page, f"{cycle_path}panel/")
    page.get_by_role("link", name="Record the decision").click()
    page.a11y.wait()
    page.get_by_label("The panel's reasons").fill("A clear, well-evidenced report.")
    page.get_by_role("button", name="Record the decision").click()
    page.a11y.wait()
    expect(page.get_by_role("article")).to_contain_text(f"Award: {TIER}")


# The school's documents


def download_pdf(page):
    """Downloads the PDF the job page offers once it is ready; returns its bytes."""
    link = page.get_by_role("link", name="Download the PDF")
    expect(link).to_be_visible(timeout=30_000)
    with page.expect_download() as download:
        link.click()
    with open(download.value.path(), "rb") as pdf:
        content = pdf.read()
    assert content.startswith(b"%PDF-")
    # The same address, fetched with the person's session, says what it is.
    response = page.request.get(link.get_attribute("href"))
    assert response.headers["content-type"] == "application/pdf"
    assert response.body() == content
    return content


def download_report(page, cycle_path):
    visit(page, cycle_path)
    page.get_by_role("button", name="Get the assessment report (PDF)").click()
    page.a11y.wait()
    download_pdf(page)


def download_certificate(page):
    """From the school's page; returns the certificate's text."""
    visit(page, f"/{SLUG}/")
    page.get_by_role("listitem").filter(has_text="School coordinator at").get_by_role(
        "link", name=SCHOOL
    ).click()
    page.a11y.wait()
    page.get_by_role("button", name="Get the certificate (PDF)").click()
    page.a11y.wait()
    reader = PdfReader(io.BytesIO(download_pdf(page)))
    return " ".join(" ".join(p.extract_text().split()) for p in reader.pages)


# Publishing


def publish(page):
    visit(page, f"/{SLUG}/")
    page.get_by_role("navigation", name=AUTHORITY).get_by_role(
        "link", name="Published list"
    ).click()
    page.a11y.wait()
    page.get_by_role("link", name="Publish this list").click()
    page.a11y.wait()
    page.get_by_role("button", name="Publish version 1").click()
    page.a11y.wait()
    expect(page.get_by_role("status")).to_have_text("Version 1 of the list is published.")


def on_the_public_list(page):
    visit(page, f"/{SLUG}/awards/")
    expect(page.get_by_role("main")).to_contain_text("Version 1, published")
    expect(page.get_by_role("row", name=SCHOOL)).to_contain_text(TIER)


def in_the_national_directory(page):
    visit(page, "/awards/")
    page.get_by_label("School name").fill("Sulis")
    expect(page.get_by_role("status")).to_have_text("1 school found.")
    page.a11y.check()
    visit(page, page.url)  # the filtered list's own address (htmx put it in the address bar)
    expect(page.get_by_role("table").get_by_role("row", name=SCHOOL)).to_contain_text(TIER)
    page.get_by_role("link", name=SCHOOL).click()
    page.a11y.wait()
    expect(page.get_by_role("heading", level=1)).to_have_text(SCHOOL)
    expect(page).to_have_url(re.compile(rf"/awards/{SLUG}/{URN}/$"))
