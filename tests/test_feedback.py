"""Page feedback: the star rating and the website-tester sign-up at the foot of public pages. Spam
(a filled honeypot, a flood from one address) is dropped; genuine input is kept per authority and
shown to its admins with CSV exports."""

import html
import re
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import django_ratelimit.core
import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from feedback import domain
from feedback.models import PageRating
from feedback.models import (
    TesterSignup as Signup,
)  # a class named Test… would be collected by pytest
from feedback.views import PAGE_SIZE

PAGE = "/bathnes/awards/"  # the published list: a public page of the world's authority
RATE_URL = reverse("feedback:rate", args=["bathnes"])
SIGN_UP_URL = reverse("feedback:sign_up", args=["bathnes"])
HONEYPOT = "To prevent automated spam submissions leave this field empty."
LONDON = ZoneInfo("Europe/London")
THANKS_FOR_RATING = (
    "Thank you Your rating helps us improve this page. No ratings yet Back to the page"
)
THANKS_FOR_SIGNING_UP = (
    "Thank you A member of the Bath & North East Somerset team will contact you about testing "
    "the website. Back to the page"
)


@pytest.fixture(autouse=True)
def _one_rate_limit_window(monkeypatch):
    """django-ratelimit counts in windows of the clock; hold its clock still so that a test's
    requests never straddle two windows (the cache is emptied before each test)."""
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: 1_800_000_000))


def rating(stars, page=PAGE, **extra):
    return {"rating-page": page, "rating-stars": stars, "rating-website": "", **extra}


def signup(name="Ada Lovelace", email="ada@example.org", consent="on", page=PAGE, **extra):
    data = {
        "tester-page": page,
        "tester-name": name,
        "tester-email": email,
        "tester-website": "",
        **extra,
    }
    if consent:
        data["tester-consent"] = consent
    return data


def saved_ratings(authority):
    with scope(authority=authority):
        return sorted(PageRating.objects.values_list("page", "stars"))


def saved_signups(authority):
    with scope(authority=authority):
        return sorted(Signup.objects.values_list("name", "email", "page"))


def text_of(markup):
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def rate_all(authority, stars, page=PAGE):
    with scope(authority=authority):
        for n in stars:
            domain.rate(authority=authority, page=page, stars=n)


def text(response):
    return text_of(response.content.decode())


# --- The box on public pages -------------------------------------------------------------------


def render_box(world, page=PAGE):
    with scope(authority=world.authority):
        return render_to_string(
            "feedback/_page_feedback.html", {"authority": world.authority, "page": page}
        )


def test_the_box_has_an_accessible_star_rating_and_a_tester_sign_up_each_with_a_honeypot(world):
    html = render_box(world)
    assert re.findall(r"<h[23][^>]*>([^<]+)</h[23]>", html) == [
        "Help us improve our website",
        "Was this page useful?",
        "Become a website tester",
    ]
    assert re.findall(r"<legend[^>]*>([^<]+)</legend>", html) == ["Your rating"]
    assert re.findall(r'<input type="radio" name="rating-stars" value="(\d)"', html) == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]
    assert re.findall(r'<label for="id_rating-stars_\d"><input[^>]*>\s*([^<]+)</label>', html) == [
        "1 star",
        "2 stars",
        "3 stars",
        "4 stars",
        "5 stars",
    ]
    assert re.findall(r'<input type="hidden" name="(\w+-page)" value="([^"]+)"', html) == [
        ("rating-page", PAGE),
        ("tester-page", PAGE),
    ]
    assert "No ratings yet" in html
    for prefix in ("rating", "tester"):
        # Out of sight, out of the tab order; a screen reader reads its label, which says to leave
        # it empty.
        assert re.search(
            rf'<div class="visually-hidden"><label for="id_{prefix}-website">{HONEYPOT}</label> '
            rf'<input type="text" name="{prefix}-website" autocomplete="off" tabindex="-1" '
            rf'id="id_{prefix}-website"></div>',
            html,
        )
    assert (
        "I agree that Bath &amp; North East Somerset may contact me about testing its website"
        in html
    )


def test_the_box_shows_the_pages_average_and_votes_in_one_query(world, django_assert_num_queries):
    rate_all(world.authority, [1, 2, 3, 3, 3, 4, 4])
    rate_all(world.authority, [5], page="/bathnes/awards/v1/")  # another page: not counted here
    rate_all(world.outsider_authority, [5, 5], page="/outsider/awards/")
    with scope(authority=world.authority), django_assert_num_queries(1):
        assert domain.score(world.authority, PAGE) == domain.Score(average=20 / 7, count=7)
    assert '<p class="page-feedback__score">Average: 2.9 (7 votes)</p>' in render_box(world)


@pytest.mark.parametrize("ratings", [1, 50])
def test_the_box_costs_one_query_however_many_ratings(world, django_assert_num_queries, ratings):
    rate_all(world.authority, [4] * ratings)
    with django_assert_num_queries(1):
        html = render_box(world)
    assert f"Average: 4.0 ({ratings} vote{'s' if ratings > 1 else ''})" in html


# --- Genuine input -----------------------------------------------------------------------------


def test_a_rating_is_kept_and_the_thank_you_shows_the_new_average(world, client):
    rate_all(world.authority, [2])
    response = client.post(RATE_URL, rating(5))
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "feedback/thanks.html"
    assert (
        "Thank you Your rating helps us improve this page. Average: 3.5 (2 votes) Back to the page"
        in text(response)
    )
    assert f'<a href="{PAGE}">Back to the page</a>' in response.content.decode()
    assert saved_ratings(world.authority) == [(PAGE, 2), (PAGE, 5)]
    assert saved_ratings(world.outsider_authority) == []


def test_a_sign_up_is_kept(world, client):
    response = client.post(SIGN_UP_URL, signup())
    assert response.status_code == 200
    assert THANKS_FOR_SIGNING_UP in text(response)
    assert saved_signups(world.authority) == [("Ada Lovelace", "ada@example.org", PAGE)]


def test_signing_up_again_updates_the_one_sign_up(world, client):
    client.post(SIGN_UP_URL, signup())
    client.post(
        SIGN_UP_URL, signup(name="Ada King", email="ADA@Example.org", page="/bathnes/awards/v1/")
    )
    assert saved_signups(world.authority) == [
        ("Ada King", "ada@example.org", "/bathnes/awards/v1/")
    ]


# --- Spam --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, data, thanks",
    [
        (RATE_URL, rating(5, **{"rating-website": "http://spam.example"}), THANKS_FOR_RATING),
        (
            RATE_URL,
            rating(9, **{"rating-website": "x"}),
            THANKS_FOR_RATING,
        ),  # invalid too: still thanked
        (SIGN_UP_URL, signup(**{"tester-website": "http://spam.example"}), THANKS_FOR_SIGNING_UP),
        (
            SIGN_UP_URL,
            signup(email="not an email", consent="", **{"tester-website": "spam"}),
            THANKS_FOR_SIGNING_UP,
        ),
    ],
)
def test_a_filled_honeypot_gets_the_normal_thank_you_and_nothing_is_saved(
    world, client, url, data, thanks
):
    response = client.post(url, data)
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "feedback/thanks.html"
    assert thanks in text(response)
    assert saved_ratings(world.authority) == []
    assert saved_signups(world.authority) == []


def test_a_flood_of_ratings_is_throttled_after_five_a_minute_and_the_first_five_are_kept(
    world, client
):
    statuses = [client.post(RATE_URL, rating(n % 5 + 1)).status_code for n in range(7)]
    assert statuses == [200, 200, 200, 200, 200, 429, 429]
    assert saved_ratings(world.authority) == [(PAGE, 1), (PAGE, 2), (PAGE, 3), (PAGE, 4), (PAGE, 5)]
    throttled = client.post(RATE_URL, rating(3))
    assert text(throttled).startswith("Too many submissions")
    assert (
        "We have had too many submissions from your connection in a short time, so we have not "
        "saved this one. Please try again in a minute."
    ) in text(throttled)
    # Another address is counted on its own, and the sign-up form has its own limit.
    assert client.post(RATE_URL, rating(4), REMOTE_ADDR="192.0.2.7").status_code == 200
    assert client.post(SIGN_UP_URL, signup()).status_code == 200
    assert len(saved_ratings(world.authority)) == 6


def test_a_flood_of_sign_ups_is_throttled_after_three_an_hour(world, client):
    statuses = [
        client.post(SIGN_UP_URL, signup(email=f"person{n}@example.org")).status_code
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    assert [email for _, email, _ in saved_signups(world.authority)] == [
        "person0@example.org",
        "person1@example.org",
        "person2@example.org",
    ]
    assert "Please try again in an hour." in text(client.post(SIGN_UP_URL, signup()))


def test_honeypot_spam_counts_towards_the_limit(world, client):
    for _ in range(5):
        client.post(RATE_URL, rating(1, **{"rating-website": "spam"}))
    assert client.post(RATE_URL, rating(5)).status_code == 429
    assert saved_ratings(world.authority) == []


# --- Mistakes and forgeries --------------------------------------------------------------------


@pytest.mark.parametrize("stars", ["0", "6", "", "three"])
def test_a_rating_out_of_range_is_shown_on_the_field_and_not_saved(world, client, stars):
    data = rating(stars) if stars else {k: v for k, v in rating(1).items() if k != "rating-stars"}
    response = client.post(RATE_URL, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        '<a href="#id_rating-stars_0">Your rating: Choose a rating from 1 to 5 stars.</a>' in html
    )
    assert (
        '<p class="error-message" id="id_rating-stars_error">'
        '<span class="visually-hidden">Error:</span> '
        "Choose a rating from 1 to 5 stars.</p>"
    ) in html
    assert "<h1>Was this page useful?</h1>" in html
    assert saved_ratings(world.authority) == []


@pytest.mark.parametrize(
    "data, field, message",
    [
        (signup(name=""), "name", "Enter your name."),
        (
            signup(email="ada@"),
            "email",
            "Enter an email address in the correct format, like name@example.com.",
        ),
        (signup(email=""), "email", "Enter your email address."),
        (signup(consent=""), "consent", "Tick the box to agree to be contacted."),
    ],
)
def test_a_sign_up_with_a_mistake_is_shown_on_the_field_and_not_saved(
    world, client, data, field, message
):
    response = client.post(SIGN_UP_URL, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r'<li><a href="#id_tester-(\w+)">[^:]+: ([^<]+)</a></li>', html) == [
        (field, message)
    ]
    assert (
        f'<p class="error-message" id="id_tester-{field}_error">'
        '<span class="visually-hidden">Error:</span> '
        f"{message}</p>"
    ) in html
    assert "<h1>Become a website tester</h1>" in html
    assert saved_signups(world.authority) == []


@pytest.mark.parametrize(
    "page",
    [
        "/outsider/awards/",  # another authority's page
        "/bathnes/schools/",  # a page the public cannot open
        "/bathnes/no-such-page/",
        "https://spam.example/",
        "javascript:alert(1)",
        "/bathnes/awards/" + "x" * 200,
    ],
)
def test_only_the_authoritys_public_pages_take_feedback(world, client, page):
    assert client.post(RATE_URL, rating(5, page=page)).status_code == 400
    assert client.post(SIGN_UP_URL, signup(page=page)).status_code == 400
    assert saved_ratings(world.authority) == []
    assert saved_signups(world.authority) == []


# --- The admins' page and exports --------------------------------------------------------------


def add_signup(authority, name, email, when, page=PAGE):
    with scope(authority=authority):
        signup = domain.sign_up(authority=authority, name=name, email=email, page=page)
        Signup.objects.filter(pk=signup.pk).update(signed_up_at=when)


def at(day, hour=9):
    return datetime(2026, 1, day, hour, 30, tzinfo=LONDON)


def test_admin_page_shows_ratings_by_page_and_the_testers(world, admin_client):
    rate_all(world.authority, [1, 2, 3, 3, 3, 4, 4])
    rate_all(world.authority, [5, 4], page="/bathnes/awards/v1/")
    rate_all(world.outsider_authority, [5], page="/outsider/awards/")
    add_signup(world.authority, "Ada Lovelace", "ada@example.org", at(2))
    add_signup(
        world.authority, "Grace Hopper", "grace@example.org", at(3), page="/bathnes/awards/v1/"
    )
    add_signup(
        world.outsider_authority,
        "Olive Outsider",
        "olive@outsider.test",
        at(4),
        page="/outsider/awards/",
    )
    response = admin_client.get(reverse("feedback:admin", args=["bathnes"]))
    assert response.status_code == 200
    rows = [
        tuple(text_of(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row))
        for row in re.findall(r"<tr>(.*?)</tr>", response.content.decode())
    ]
    assert [row for row in rows if row] == [
        ("/bathnes/awards/", "2.9", "7"),
        ("/bathnes/awards/v1/", "4.5", "2"),
        ("Grace Hopper", "grace@example.org", "/bathnes/awards/v1/", "3 January 2026"),
        ("Ada Lovelace", "ada@example.org", "/bathnes/awards/", "2 January 2026"),
    ]
    assert "2 people have offered to help test the website." in text(response)
    assert "Outsider" not in response.content.decode()


def test_admin_page_with_no_feedback_yet(world, admin_client):
    response = admin_client.get(reverse("feedback:admin", args=["bathnes"]))
    assert "No page has been rated yet. Website testers No one has signed up yet." in text(response)


def test_testers_are_listed_a_page_at_a_time(world, admin_client):
    for n in range(PAGE_SIZE + 1):
        add_signup(world.authority, f"Tester {n:02}", f"t{n}@example.org", at(1 + n))
    url = reverse("feedback:admin", args=["bathnes"])
    first, second = admin_client.get(url), admin_client.get(url, {"page": 2})
    assert [s.name for s in first.context["page"]] == [
        f"Tester {n:02}" for n in range(PAGE_SIZE, 0, -1)
    ]
    assert [s.name for s in second.context["page"]] == ["Tester 00"]
    assert "Page 2 of 2" in text(second)


@pytest.mark.parametrize("extra", [1, 3])
def test_admin_page_query_count_does_not_grow(
    world, admin_client, django_assert_num_queries, extra
):
    for n in range(extra):
        rate_all(world.authority, [n % 5 + 1], page=f"/bathnes/awards/v{n + 1}/")
        add_signup(world.authority, f"Tester {n}", f"t{n}@example.org", at(1 + n))
    # session, user, memberships with their authorities (the page's too); ratings by page;
    # testers' count and page
    with django_assert_num_queries(6):
        response = admin_client.get(reverse("feedback:admin", args=["bathnes"]))
    assert len(response.context["page"]) == extra


def test_sign_ups_export_as_csv_with_formulas_kept_as_text(world, admin_client):
    add_signup(world.authority, "Ada Lovelace", "ada@example.org", at(2))
    add_signup(world.authority, '=HYPERLINK("http://spam.example")', "eve@example.org", at(3, 14))
    add_signup(
        world.outsider_authority,
        "Olive Outsider",
        "olive@outsider.test",
        at(4),
        page="/outsider/awards/",
    )
    response = admin_client.get(reverse("feedback:signups_csv", args=["bathnes"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="bathnes-website-testers-\d{4}-\d\d-\d\d\.csv"',
        response["Content-Disposition"],
    )
    assert response["Cache-Control"] == "private, no-store"
    assert response.content.decode() == (
        "\ufeffsigned_up_at,name,email,page\r\n"
        "2026-01-02T09:30:00+00:00,Ada Lovelace,ada@example.org,/bathnes/awards/\r\n"
        '2026-01-03T14:30:00+00:00,"\'=HYPERLINK(""http://spam.example"")",eve@example.org,/bathnes/awards/\r\n'
    )


def test_ratings_export_as_csv(world, admin_client):
    rate_all(world.authority, [4])
    rate_all(world.authority, [2], page="/bathnes/awards/v1/")
    rate_all(world.outsider_authority, [5], page="/outsider/awards/")
    with scopes_disabled():
        for n, rated in enumerate(
            PageRating.objects.filter(authority=world.authority).order_by("pk")
        ):
            PageRating.objects.filter(pk=rated.pk).update(
                rated_at=datetime(2026, 7, 1 + n, 12, tzinfo=LONDON)
            )
    response = admin_client.get(reverse("feedback:ratings_csv", args=["bathnes"]))
    assert re.fullmatch(
        r'attachment; filename="bathnes-page-ratings-\d{4}-\d\d-\d\d\.csv"',
        response["Content-Disposition"],
    )
    assert response.content.decode() == (
        "\ufeffrated_at,page,stars\r\n"
        "2026-07-01T12:00:00+01:00,/bathnes/awards/,4\r\n"
        "2026-07-02T12:00:00+01:00,/bathnes/awards/v1/,2\r\n"
    )


def test_feedback_is_in_the_admins_menu_only(world, client):
    url = reverse("feedback:admin", args=["bathnes"])
    link = f'<a href="{url}">Feedback</a>'
    client.force_login(world.people["authority_admin"])
    assert link in client.get(reverse("dashboard", args=["bathnes"])).content.decode()
    client.force_login(world.people["panel_chair"])
    assert link not in client.get(reverse("dashboard", args=["bathnes"])).content.decode()
