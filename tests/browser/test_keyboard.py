"""Keyboard alone: the self-review, a portfolio upload, a panel vote and publishing the list are
done with key presses only (no clicks, no `fill`, no `goto` after the sign-in page); every stop
on the way shows its focus, and focus is never trapped. Status messages are announced by live
regions that are in the page before their text changes, and error summaries take focus and lead
to their fields."""

from urllib.parse import parse_qs, urlsplit

from django_scopes import scope
from playwright.sync_api import expect

from assessments import domain
from assessments.models import Cycle, Rating
from portfolios.models import EvidenceItem
from publishing.models import Publication
from reports.models import RenderJob

from ..assessment_helpers import complete_answer_data
from ..journey import advance
from ..second_factor import app_if_needed, code_for
from .conftest import visit
from .test_self_review import PASSWORD

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# The focused element draws a visible ring: a 3px outline, or (links) a yellow background with a
# black underline.
FOCUS_SHOWN = """el => {
  const style = getComputedStyle(el);
  return (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 3)
    || style.backgroundColor === "rgb(255, 221, 0)";
}"""


def focused(page):
    return page.evaluate_handle("document.activeElement")


def has_focus(page, locator):
    return locator.evaluate("el => el === document.activeElement")


def tab_to(page, target, key="Tab", limit=200):
    """Press Tab (or Shift+Tab) until `target` has the focus; every stop on the way must show it."""
    target.wait_for()
    for _ in range(limit):
        page.keyboard.press(key)
        if has_focus(page, target):
            assert focused(page).evaluate(FOCUS_SHOWN), "the focus is not visible"
            return
        if focused(page).evaluate("el => el !== document.body"):
            assert focused(page).evaluate(FOCUS_SHOWN), focused(page).evaluate("el => el.outerHTML")
    raise AssertionError(f"{limit} presses of {key} never reached {target}")


def choose(page, radio):
    """Tab into the radio group, then move with the arrow keys to `radio` (which selects it)."""
    name = radio.get_attribute("name")
    group = page.locator(f"input[type=radio][name='{name}']")
    for _ in range(200):
        page.keyboard.press("Tab")
        if focused(page).evaluate(f"el => el.name === {name!r}"):
            break
    else:
        raise AssertionError(f"never reached the radios {name}")
    for _ in range(group.count()):
        if radio.is_checked():
            return
        page.keyboard.press("ArrowRight")
    expect(radio).to_be_checked()


def press_and_load(page, key="Enter"):
    """Press a key that opens a page, and wait for that page and its axe check."""
    with page.expect_navigation():
        page.keyboard.press(key)
    page.a11y.wait()


def follow(page, link):
    tab_to(page, link)
    press_and_load(page)


def sign_in_by_keyboard(page, email):
    app = app_if_needed(email)
    visit(page, "/accounts/login/")
    tab_to(page, page.get_by_label("Email address"))
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    press_and_load(page)
    path = urlsplit(page.url).path
    if path == "/accounts/two-factor/":  # the code from the person's app
        tab_to(page, page.get_by_label("Code"))
        page.keyboard.type(code_for(app))
        press_and_load(page)
    elif path == "/accounts/two-factor/offer/":  # optional roles, once
        follow(page, page.get_by_role("link", name="Not now"))


def saved(response, **fields):
    """Whether `response` answers an autosave that sent these field values."""
    sent = parse_qs(response.request.post_data or "")
    return response.request.method == "POST" and all(
        sent.get(name) == [value] for name, value in fields.items()
    )


def nav_link(page, name):
    return page.get_by_role("navigation", name="Bath & North East Somerset").get_by_role(
        "link", name=name
    )


def test_the_school_completes_an_element_and_submits_by_keyboard(page, world):
    cycle = world.cycle
    with scope(authority=world.authority):
        for element in cycle.framework.elements.exclude(number=1).prefetch_related("descriptors"):
            domain.save_answer(
                cycle=cycle,
                element=element,
                by=world.people["school_coordinator"],
                version=0,
                data=complete_answer_data(element),
            )

    sign_in_by_keyboard(page, "head_teacher@bathnes.test")
    follow(page, nav_link(page, "Self-reviews"))
    follow(page, page.get_by_role("link", name="Chandag Infant"))
    follow(page, page.get_by_role("link", name="1. Pupil progress"))
    expect(page).to_have_title(
        "Element 1: Pupil progress – Self-review – Chandag Infant – IQM Portal"
    )

    status = page.get_by_role("status")
    expect(status).to_have_text("Changes are saved as you type.")
    region = status.element_handle()
    statements = page.locator(".descriptor-ratings fieldset")
    expect(statements).to_have_count(4)
    for statement in statements.all():
        choose(page, statement.get_by_label("Established"))
    choose(
        page,
        page.get_by_role("group", name="Overall rating of this element").get_by_label(
            "Established"
        ),
    )
    for label, text in [
        ("What the school does", "Every pupil's progress is tracked each half term."),
        ("Evidence", "Tracking data."),
        ("Strengths", "Strong."),
    ]:
        tab_to(page, page.get_by_label(label))
        page.keyboard.type(text)
    tab_to(page, page.get_by_label("Areas for development"))
    with page.expect_response(lambda r: saved(r, development="More to do.")):
        page.keyboard.type("More to do.")
    # The same live region, never replaced, says it is saved.
    expect(status).to_contain_text("Saved at")
    assert status.element_handle().evaluate("(el, old) => el === old", region)
    with scope(authority=world.authority):
        answer = cycle.answers.get(element__number=1)
    assert (answer.practice, answer.development, answer.rating) == (
        "Every pupil's progress is tracked each half term.",
        "More to do.",
        Rating.ESTABLISHED,
    )
    assert sorted(answer.ratings.values()) == [Rating.ESTABLISHED] * 4

    follow(page, page.get_by_role("link", name="Back to the elements"))
    expect(page.get_by_text("10 of 10 elements complete")).to_be_visible()
    follow(page, page.get_by_role("link", name="Submit to the mentor"))
    tab_to(page, page.get_by_role("button", name="Submit to the mentor"))
    press_and_load(page)
    expect(page.get_by_role("status").filter(has_text="sent to")).to_have_text(
        "The self-review has been sent to Mentor."
    )
    cycle.refresh_from_db()
    assert cycle.state == Cycle.State.SUBMITTED


def test_a_portfolio_upload_by_keyboard_is_announced(page, world):
    cycle = advance(world, Cycle.State.VALIDATED)
    # Playwright turns on file-chooser interception without waiting for the browser to confirm
    # it; listening from the start means it is on long before Space opens the chooser.
    page.on("filechooser", lambda chooser: None)

    sign_in_by_keyboard(page, "school_coordinator@bathnes.test")
    follow(page, nav_link(page, "Self-reviews"))
    follow(page, page.get_by_role("link", name="Chandag Infant"))
    follow(page, page.get_by_role("link", name="Portfolio of evidence"))

    announcer = page.locator("[data-upload-status]")
    expect(announcer).to_have_attribute("role", "status")
    expect(announcer).to_have_text("")
    tab_to(page, page.get_by_label("Files"))
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(
        [{"name": "Tracking summary.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    tab_to(page, page.get_by_role("button", name="Upload"))
    page.keyboard.press("Enter")
    expect(announcer).to_have_text("1 of 1 file added.")
    page.a11y.check()
    with scope(authority=world.authority):
        titles = (
            EvidenceItem.objects.filter(cycle=cycle).order_by("pk").values_list("title", flat=True)
        )
        assert list(titles) == [
            "Inclusion policy",
            "Tracking summary",
        ]

    follow(page, page.get_by_role("link", name="All added: show the updated portfolio"))
    coverage = page.get_by_role("table", name="Coverage")
    expect(coverage.get_by_role("row", name="Not yet linked to an element")).to_contain_text(
        "2 items"
    )
    expect(page.get_by_role("list").get_by_role("link", name="Tracking summary")).to_be_visible()


def test_a_panel_member_votes_by_keyboard(page, world):
    cycle = advance(world, Cycle.State.WITH_PANEL)

    sign_in_by_keyboard(page, "panel_member@bathnes.test")
    follow(page, page.get_by_role("link", name="Chandag Infant: cast your vote"))
    choose(page, page.get_by_label("Award: Inclusion Quality Mark"))
    tab_to(page, page.get_by_label("Comment"))
    page.keyboard.type("The report shows it clearly.")
    tab_to(page, page.get_by_role("button", name="Cast my vote"))
    press_and_load(page)

    expect(page.get_by_role("table")).to_contain_text("Award: Inclusion Quality Mark")
    with scope(authority=world.authority):
        ballot = cycle.panel_vote.ballots.get(member=world.people["panel_member"])
    assert (ballot.outcome, ballot.tier, ballot.comment) == (
        "award",
        "quality_mark",
        "The report shows it clearly.",
    )


def test_an_admin_publishes_the_list_by_keyboard(page, world):
    sign_in_by_keyboard(page, "authority_admin@bathnes.test")
    follow(page, nav_link(page, "Published list"))
    follow(page, page.get_by_role("link", name="Publish this list"))
    tab_to(page, page.get_by_role("button", name="Publish version 1"))
    press_and_load(page)

    expect(page.get_by_role("status")).to_have_text("Version 1 of the list is published.")
    with scope(authority=world.authority):
        assert list(Publication.objects.values_list("version", flat=True)) == [1]


def test_focus_goes_round_the_page_and_back_never_trapped(page, world):
    """Tab from the top passes every stop and comes back round to the skip link; Shift+Tab
    goes the other way round; the autosaving form and its live region hold no one."""
    sign_in_by_keyboard(page, "school_coordinator@bathnes.test")
    with scope(authority=world.authority):
        element = world.cycle.framework.elements.get(number=1)
    follow(page, nav_link(page, "Self-reviews"))
    follow(page, page.get_by_role("link", name="Chandag Infant"))
    follow(page, page.get_by_role("link", name="1. Pupil progress"))
    assert element.title == "Pupil progress"

    skip = page.get_by_role("link", name="Skip to main content")
    footer = page.get_by_role("contentinfo").get_by_role("link", name="Accessibility statement")
    tab_to(page, skip)
    stops = page.evaluate(
        """() => document.querySelectorAll(
             "a[href], button, input:not([type=hidden]), textarea, select, summary").length"""
    )
    tab_to(page, footer, limit=stops + 5)  # forwards to the end of the page...
    tab_to(page, skip, limit=5)  # ...and out of it, round to the top
    tab_to(page, footer, key="Shift+Tab", limit=5)  # and backwards, round from the top
    tab_to(page, skip, key="Shift+Tab", limit=stops + 5)


def test_an_error_summary_takes_focus_and_leads_to_its_field(page, world):
    sign_in_by_keyboard(page, "authority_admin@bathnes.test")
    follow(page, nav_link(page, "People"))
    follow(page, page.get_by_role("link", name="Invite someone"))
    tab_to(page, page.get_by_role("button", name="Send the invitation"))
    press_and_load(page)

    expect(page).to_have_title("Error: Invite someone – Bath & North East Somerset – IQM Portal")
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    first = summary.get_by_role("link").first
    field_id = first.get_attribute("href").removeprefix("#")
    page.keyboard.press("Tab")
    expect(first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(f"#{field_id}")).to_be_focused()


def test_a_pdf_being_made_is_announced_when_ready(page, world):
    cycle = advance(world, Cycle.State.VALIDATED)
    with scope(authority=world.authority):
        job = RenderJob.objects.create(
            authority=world.authority,
            kind=RenderJob.Kind.SUMMARY,
            object_id=cycle.pk,
            input_hash="0" * 64,
            html="<p>Summary</p>",
        )
    sign_in_by_keyboard(page, "school_coordinator@bathnes.test")
    visit(page, f"/bathnes/reports/{job.pk}/")

    status = page.get_by_role("status")
    expect(status).to_have_text(
        "Your self-review summary is waiting to be made. This page updates by itself."
    )
    region = status.element_handle()
    with scope(authority=world.authority):
        RenderJob.objects.filter(pk=job.pk).update(state=RenderJob.State.DONE, pages=2)
    expect(status).to_contain_text("Your self-review summary is ready (2 pages).")
    assert status.element_handle().evaluate("(el, old) => el === old", region)
