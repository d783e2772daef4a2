"""The authority's overview: each figure's counts, its CSV, who may see it, the query count, and
the authority's average on a cycle's chart."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from accounts.models import Role
from assessments.models import Cycle, FrameworkVersion, MentorReview, Rating
from assessments.ratings import authority_ratings, shown_averages
from authorities import stamps
from awards.models import Award, Tier
from moderation.models import Decision, Outcome, Visit
from overview import domain

from .factories import AreaFactory, MembershipFactory, SchoolFactory

LONDON = ZoneInfo("Europe/London")
TODAY = date(2026, 3, 1)
State = Cycle.State


def at(day: date, hour=12):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=LONDON))


def rows(figure):
    return [(label, list(values)) for label, values in figure.rows]


def award(school, tier, awarded_on, expires_on, withdrawn=False):
    with scopes_disabled():
        return Award.objects.create(
            authority=school.authority,
            school=school,
            tier=tier,
            awarded_on=awarded_on,
            expires_on=expires_on,
            withdrawn_at=datetime(2026, 1, 1, tzinfo=LONDON) if withdrawn else None,
        )


def cycle(world, school, state=State.REGISTERED, kind=Cycle.Kind.INITIAL, mentor=None):
    with scopes_disabled():
        return Cycle.objects.create(
            authority=school.authority,
            school=school,
            kind=kind,
            framework=FrameworkVersion.objects.get(authority=school.authority, is_current=True),
            mentor=mentor or world.people["mentor"],
            state=state,
        )


def decided(world, school, registered: date, decided_on: date, kind=Cycle.Kind.INITIAL):
    with at(registered):
        made = cycle(world, school, State.DECIDED, kind)
    with at(decided_on), scopes_disabled():
        decision = Decision.objects.create(
            cycle=made,
            outcome=Outcome.AWARD,
            tier=Tier.QUALITY_MARK,
            rationale="Met.",
            votes={},
            recorded_by=world.people["panel_chair"],
        )
    return made, decision


def validated(world, school, ratings: dict, when=TODAY):
    """A self-review the mentor validated on `when`, rated {element number: rating}."""
    made = cycle(world, school, State.VALIDATED)
    with scopes_disabled():
        elements = {e.number: e for e in made.framework.elements.all()}
        for number, rating in ratings.items():
            MentorReview.objects.create(cycle=made, element=elements[number], rating=rating)
        made.validated_at = datetime(when.year, when.month, when.day, tzinfo=LONDON)
        made.save(update_fields=["validated_at"])  # saved, as the mentor's validation saves it
    return made


def school(world, name, area=None):
    return SchoolFactory(authority=world.authority, area=area, name=name)


# The figures


def test_schools_by_state_counts_each_school_once_by_its_latest_cycle(world):
    castle = world.other_school
    with at(date(2025, 1, 1)):
        cycle(world, castle, State.DECIDED)
    with at(date(2026, 1, 1)):
        cycle(world, castle, State.SELF_REVIEW)
    school(world, "Oldfield", world.area)  # no cycle
    cycle(world, world.outsider_school)  # another authority's: not counted
    with scope(authority=world.authority):
        figure = domain.schools_by_state(world.authority, TODAY)
    counts = {label: values[0] for label, values in figure.rows if values[0]}
    assert counts == {"Registered": 1, "Self-review": 1, "No cycle": 1}
    assert [label for label, _ in figure.rows][-1] == "No cycle"
    assert len(figure.rows) == len(State) + 1
    assert figure.total == [3]


def test_awards_by_area_count_the_highest_current_award_and_working_towards(world):
    norton = AreaFactory(authority=world.authority, name="Norton Radstock", position=1)
    oldfield = school(world, "Oldfield", world.area)
    award(oldfield, Tier.QUALITY_MARK, date(2025, 1, 1), date(2028, 1, 1))
    three_ways = school(world, "Three Ways", norton)
    award(three_ways, Tier.QUALITY_MARK, date(2024, 1, 1), date(2027, 1, 1))
    award(three_ways, Tier.CENTRE_OF_EXCELLENCE, date(2025, 6, 1), date(2026, 6, 1))
    cooper = school(world, "Cooper")  # no area
    award(cooper, Tier.FLAGSHIP, date(2025, 9, 1), date(2026, 9, 1))
    expired = school(world, "Expired", norton)
    award(expired, Tier.QUALITY_MARK, date(2022, 1, 1), date(2025, 1, 1))
    withdrawn = school(world, "Withdrawn", norton)
    award(withdrawn, Tier.QUALITY_MARK, date(2025, 1, 1), date(2028, 1, 1), withdrawn=True)
    # Chandag Infant (Bath) has a registered cycle and no award: working towards, as is Expired,
    # whose award lapsed (as on the published list). Castle Primary has neither: not counted.
    decided(world, expired, date(2024, 6, 1), date(2024, 12, 1))
    award(world.outsider_school, Tier.FLAGSHIP, date(2025, 1, 1), date(2026, 12, 1))
    with scope(authority=world.authority):
        figure = domain.awards_by_area(world.authority, TODAY)
    assert figure.columns == [
        "Inclusion Quality Mark",
        "Centre of Excellence",
        "Flagship",
        "Working towards",
    ]
    assert rows(figure) == [
        ("Bath", [1, 0, 0, 1]),
        ("Norton Radstock", [0, 1, 0, 1]),
        ("Other schools", [0, 0, 1, 0]),
    ]
    assert figure.total == [1, 1, 1, 2]


def test_expiring_awards_within_6_and_12_months_by_tier(world):
    bath = world.area
    first, second, third = (school(world, f"School {n}", bath) for n in range(3))
    award(first, Tier.QUALITY_MARK, date(2023, 9, 1), date(2026, 9, 1))  # on the 6-month day
    award(second, Tier.QUALITY_MARK, date(2023, 9, 2), date(2026, 9, 2))  # a day later
    award(second, Tier.CENTRE_OF_EXCELLENCE, date(2025, 3, 1), date(2027, 3, 1))  # 12 months
    award(third, Tier.CENTRE_OF_EXCELLENCE, date(2025, 3, 2), date(2027, 3, 2))  # a day later
    # Renewed before it expires: the later Flagship stands, the earlier is not counted.
    award(third, Tier.FLAGSHIP, date(2025, 4, 1), date(2026, 4, 1))
    award(third, Tier.FLAGSHIP, date(2026, 2, 1), date(2027, 2, 1))
    award(first, Tier.FLAGSHIP, date(2025, 1, 1), date(2026, 2, 28))  # expired yesterday
    award(world.outsider_school, Tier.QUALITY_MARK, date(2023, 6, 1), date(2026, 6, 1))
    with scope(authority=world.authority):
        figure = domain.expiring_awards(world.authority, TODAY)
    assert figure.columns == ["Within 6 months", "Within 12 months"]
    assert rows(figure) == [
        ("Inclusion Quality Mark", [1, 2]),
        ("Centre of Excellence", [0, 1]),
        ("Flagship", [0, 1]),
    ]
    assert "1 September 2026" in figure.about and "1 March 2027" in figure.about


def test_months_after_keeps_to_the_end_of_a_shorter_month():
    assert domain.months_after(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert domain.months_after(date(2026, 3, 1), 12) == date(2027, 3, 1)


def test_time_to_decision_over_the_last_three_years_by_kind(world):
    first, second, third, fourth = (school(world, f"School {n}", world.area) for n in range(4))
    decided(world, first, date(2025, 1, 1), date(2025, 3, 2))  # 60 days
    made, decision = decided(world, second, date(2025, 6, 1), date(2025, 7, 1))  # 30 days
    decided(world, third, date(2025, 8, 1), date(2025, 9, 20))  # 50 days
    decided(world, fourth, date(2025, 9, 1), date(2025, 10, 11), Cycle.Kind.REASSESSMENT)
    # Decided three years ago to the day, counted; the day before, not.
    decided(world, fourth, date(2022, 12, 1), date(2023, 3, 1))  # 90 days
    decided(world, first, date(2022, 12, 1), date(2023, 2, 28))
    with at(date(2025, 8, 1)), scopes_disabled():  # a correction is not a second decision
        Decision.objects.create(
            cycle=made,
            outcome=Outcome.DEFER,
            rationale="Corrected.",
            votes={},
            recorded_by=world.people["panel_chair"],
            corrects=decision,
        )
    with scope(authority=world.authority):
        figure = domain.time_to_decision(world.authority, TODAY)
    assert figure.columns == [
        "Cycles decided",
        "Median (days)",
        "Shortest (days)",
        "Longest (days)",
    ]
    assert rows(figure) == [
        ("Initial assessment", [4, 55, 30, 90]),
        ("Reassessment", [1, 40, 40, 40]),
        ("Centre of Excellence review", [0, None, None, None]),
        ("Flagship review", [0, None, None, None]),
    ]
    assert figure.chart["summary"] == (
        "Initial assessment: median 55 days, 30 to 90 days; "
        "Reassessment: median 40 days, 40 to 40 days; "
        "Centre of Excellence review: none decided; Flagship review: none decided"
    )


def test_mentor_workload_lists_every_mentor_with_their_open_cycles(world):
    cycle(world, world.other_school, State.VALIDATED)  # the world's mentor: 2 open
    cycle(world, school(world, "Decided"), State.DECIDED)
    cycle(world, school(world, "Other's"), State.SUBMITTED, mentor=world.others["other_mentor"])
    with scope(authority=world.authority):
        figure = domain.mentor_workload(world.authority, TODAY)
    assert rows(figure) == [("Mentor", [2]), ("other mentor", [1])]


def test_moderator_workload_counts_visits_planned_and_under_way(world):
    people = world.people
    planned = cycle(world, world.other_school, State.VISIT_PLANNED)
    visited = cycle(world, school(world, "Visited"), State.VISIT_PLANNED)
    reported = cycle(world, school(world, "Reported"), State.REPORTED)
    with scopes_disabled():
        for made, day, moderators in [
            (planned, TODAY + timedelta(days=1), [people["moderator"], people["moderator2"]]),
            (visited, TODAY, [people["moderator"]]),
            (reported, TODAY - timedelta(days=9), [people["moderator2"]]),
        ]:
            Visit.objects.create(
                cycle=made, date=day, planned_by=people["panel_chair"]
            ).moderators.set(moderators)
    with scope(authority=world.authority):
        figure = domain.moderator_workload(world.authority, TODAY)
    assert figure.columns == ["Visits planned", "Visited, report not yet signed"]
    assert rows(figure) == [
        ("Moderator", [1, 1]),
        ("Moderator2", [1, 0]),
        ("other moderator", [0, 0]),
    ]


def test_element_ratings_average_each_schools_latest_validated_self_review(world):
    E = Rating
    validated(world, world.school, {1: E.EMBEDDED, 2: E.EMERGING}, when=date(2025, 1, 1))
    validated(world, world.school, {1: E.ESTABLISHED, 2: E.DEVELOPING})  # the latest counts
    validated(world, world.other_school, {1: E.ESTABLISHED, 2: E.ESTABLISHED})
    validated(world, school(world, "Third"), {1: E.DEVELOPING})
    cycle(world, school(world, "Unvalidated"), State.SUBMITTED)
    with scopes_disabled():  # a mentor's draft before validation does not count
        draft = Cycle.objects.get(school__name="Unvalidated")
        MentorReview.objects.create(
            cycle=draft, element=draft.framework.elements.get(number=1), rating=E.EMBEDDED
        )
    validated(world, world.outsider_school, {1: E.NOT_YET_STARTED})
    with scope(authority=world.authority):
        figure = domain.element_ratings(world.authority, TODAY)
        framework = FrameworkVersion.objects.get(is_current=True)
        assert shown_averages(framework) == {
            framework.elements.get(number=1).pk: pytest.approx(8 / 3)
        }
        assert len(authority_ratings(framework)) == 2
    assert figure.columns == [
        "Average (0 to 4)",
        "Schools rated",
        "Not yet started",
        "Emerging",
        "Developing",
        "Established",
        "Embedded",
    ]
    assert rows(figure)[:3] == [
        ("1. Pupil progress", [2.7, 3, 0, 0, 1, 2, 0]),
        ("2. Pupil attitudes, values and personal development", [2.5, 2, 0, 0, 1, 1, 0]),
        ("3. Leadership and management", [None, 0, 0, 0, 0, 0, 0]),
    ]
    assert [t["text"] for t in figure.chart["ticks"]] == [label for _, label in Rating.choices]


# The page, its CSVs and who may see them


def test_the_page_shows_every_figure_as_a_chart_a_table_and_a_csv(admin_client, world):
    response = admin_client.get(reverse("overview:page", args=["bathnes"]))
    assert response.status_code == 200
    slugs = list(domain.FIGURES)
    page = response.content.decode()
    for slug in slugs:
        assert page.count(f'aria-labelledby="{slug}-title" aria-describedby="{slug}-desc"') == 1
        assert page.count(f'href="/bathnes/overview/{slug}.csv"') == 1
    assert page.count('role="img"') == len(slugs)
    assert page.count("<caption ") == len(slugs)


def test_a_csv_is_the_figures_table(admin_client, world):
    cycle(world, world.other_school, State.VALIDATED)
    response = admin_client.get(reverse("overview:csv", args=["bathnes", "mentor-workload"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="bathnes-mentor-workload-'
    )
    assert response.content.decode("utf-8-sig").split("\r\n") == [
        "Mentor,Open cycles",
        "Mentor,2",
        "other mentor,0",
        "Total,2",
        "",
    ]


def test_a_name_that_starts_like_a_formula_is_quoted_in_the_csv(world):
    with scopes_disabled():
        mentor = world.others["other_mentor"]
        mentor.full_name = "=HYPERLINK()"
        mentor.save()
    with scope(authority=world.authority):
        text = domain.figure(world.authority, "mentor-workload", TODAY).csv()
    assert text.split("\r\n")[1] == "'=HYPERLINK(),0"


def test_an_unknown_figure_is_not_found(admin_client, world):
    response = admin_client.get(reverse("overview:csv", args=["bathnes", "pupils"]))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "who, status",
    [("authority_admin", 200), ("panel_chair", 200), ("panel_member", 403), ("mentor", 403)],
)
def test_the_admin_and_the_panel_chair_see_it_and_find_it_in_the_navigation(
    client, world, who, status
):
    client.force_login(world.people[who])
    assert client.get(reverse("overview:page", args=["bathnes"])).status_code == status
    dashboard = client.get(reverse("dashboard", args=["bathnes"])).content.decode()
    assert dashboard.count('href="/bathnes/overview/"') == (2 if status == 200 else 0)


def test_another_authoritys_overview_is_not_found(client, world):
    client.force_login(world.outsider)
    assert client.get(reverse("overview:page", args=["bathnes"])).status_code == 404
    assert client.get(reverse("overview:page", args=["outsider"])).status_code == 200


# The query count: the same whatever the number of schools or years


# The session, the person, and the person's memberships with their authorities (the page's
# among them; the switcher lists them); then the figures: one query each, two for each workload (the
# people, their work), three for the ratings (the current framework, its elements, the ratings).
# Drawn once, the figures are kept, and the page reads only what every page reads.
QUERIES = 14
KEPT_QUERIES = 3


def _a_school_in_every_figure(world, n):
    with at(TODAY - timedelta(days=400)):
        made = school(world, f"Counted {n}", world.area)
        award(made, Tier.QUALITY_MARK, TODAY - timedelta(days=400), TODAY + timedelta(days=90))
        decided(world, made, TODAY - timedelta(days=500), TODAY - timedelta(days=400))
    open_cycle = cycle(world, made, State.VISIT_PLANNED)
    with scopes_disabled():
        Visit.objects.create(
            cycle=open_cycle, date=TODAY, planned_by=world.people["panel_chair"]
        ).moderators.set([world.people["moderator"]])
    validated(world, made, {1: Rating.ESTABLISHED, 2: Rating.EMBEDDED})


def _figures(response) -> str:
    """The page's figures, without what differs from one response to the next (the nonces)."""
    page = response.content.decode()
    return page[page.index('<nav aria-labelledby="contents-title"') : page.index("</main>")]


@pytest.mark.parametrize("schools", [1, 3, 50])
def test_the_page_costs_the_same_queries_whatever_the_number_of_schools(
    admin_client, world, django_assert_num_queries, schools
):
    for n in range(schools):
        _a_school_in_every_figure(world, n)
    page = reverse("overview:page", args=["bathnes"])
    with at(TODAY), django_assert_num_queries(QUERIES):
        drawn = _figures(admin_client.get(page))
    with at(TODAY), django_assert_num_queries(KEPT_QUERIES):
        assert _figures(admin_client.get(page)) == drawn
    assert drawn.count("<caption ") == len(domain.FIGURES)


@pytest.mark.parametrize("years", [1, 3])
def test_the_page_costs_the_same_queries_whatever_the_number_of_years(
    admin_client, world, django_assert_num_queries, years
):
    for year in range(years):
        for kind in Cycle.Kind:
            decided(
                world,
                world.other_school,
                date(2025 - year, 1, 1),
                date(2025 - year, 6, 1),
                kind,
            )
    with at(TODAY), django_assert_num_queries(QUERIES):
        page = admin_client.get(reverse("overview:page", args=["bathnes"])).content.decode()
    for kind in Cycle.Kind.labels:
        assert f'<th scope="row">{kind}</th><td class="table__number">{years}</td>' in page


# Kept figures: drawn again when what they count changes, or the day does


def _awarded_count(page: str) -> str:
    """The Inclusion Quality Mark's total on the awards-by-area table."""
    table = page[page.index('id="awards-by-area"') :]
    return table[table.index("<tfoot>") :].split('<td class="table__number">')[1].split("<")[0]


def test_the_figures_are_drawn_again_once_what_they_count_changes(admin_client, world):
    url = reverse("overview:page", args=["bathnes"])
    with at(TODAY):
        award(
            world.other_school,
            Tier.QUALITY_MARK,
            TODAY - timedelta(days=30),
            TODAY + timedelta(days=900),
        )
        assert _awarded_count(admin_client.get(url).content.decode()) == "1"
        award(
            world.school, Tier.QUALITY_MARK, TODAY - timedelta(days=1), TODAY + timedelta(days=900)
        )
        assert _awarded_count(admin_client.get(url).content.decode()) == "2"


def test_the_figures_are_drawn_again_the_next_day(admin_client, world):
    url = reverse("overview:page", args=["bathnes"])
    expiry = TODAY + timedelta(days=1)
    with at(TODAY):
        award(world.other_school, Tier.QUALITY_MARK, TODAY - timedelta(days=30), expiry)
        assert _awarded_count(admin_client.get(url).content.decode()) == "1"
    with at(expiry + timedelta(days=1)):
        assert _awarded_count(admin_client.get(url).content.decode()) == "0"


def test_a_bulk_change_unseen_by_the_signals_is_counted_once_everything_is_renewed(
    admin_client, world
):
    url = reverse("overview:page", args=["bathnes"])
    with at(TODAY):
        kept = award(
            world.other_school,
            Tier.QUALITY_MARK,
            TODAY - timedelta(days=30),
            TODAY + timedelta(days=900),
        )
        assert _awarded_count(admin_client.get(url).content.decode()) == "1"
        with scopes_disabled():  # as a restore writes: no post_save
            Award.objects.filter(pk=kept.pk).update(expires_on=TODAY - timedelta(days=1))
        assert _awarded_count(admin_client.get(url).content.decode()) == "1"
        stamps.renew_everything()
        assert _awarded_count(admin_client.get(url).content.decode()) == "0"


def test_another_authoritys_change_leaves_the_kept_figures(
    admin_client, world, django_assert_num_queries
):
    url = reverse("overview:page", args=["bathnes"])
    with at(TODAY):
        admin_client.get(url)
        award(world.outsider_school, Tier.QUALITY_MARK, TODAY, TODAY + timedelta(days=900))
        with django_assert_num_queries(KEPT_QUERIES):
            admin_client.get(url)


# The authority's average on a cycle's chart


def test_a_cycles_chart_shows_the_authoritys_average_once_three_schools_are_rated(client, world):
    client.force_login(world.people["school_coordinator"])
    url = reverse("assessments:cycle", args=["bathnes", world.cycle.pk])
    validated(world, world.other_school, {1: Rating.EMBEDDED})
    validated(world, school(world, "Second"), {1: Rating.ESTABLISHED})
    page = client.get(url)
    assert page.context["chart"]["markers"] == []
    assert "Authority's average" not in page.content.decode()

    validated(world, school(world, "Third"), {1: Rating.EMERGING, 2: Rating.EMBEDDED})
    page = client.get(url)
    averages = [row["average"] for row in page.context["chart_rows"]]
    assert averages == [pytest.approx(8 / 3)] + [None] * 9
    assert [m["text"] for m in page.context["chart"]["markers"]] == ["2.7"]
    content = page.content.decode()
    assert content.count("<title>Authority's average: 2.7</title>") == 1
    assert content.count("Too few schools yet") == 9


# The charts' drawing


def test_each_series_has_its_own_pattern_and_every_bar_says_its_value():
    from overview.charts import bars, nice_ticks

    chart = bars([("Bath", [17, 1]), ("Norton Radstock", [0, None])], ["Awarded", "Working"])
    assert [(item["label"], item["fill"]) for item in chart["legend"]] == [
        ("Awarded", "solid"),
        ("Working", "hatch"),
    ]
    assert [[b["text"] for b in group["bars"]] for group in chart["groups"]] == [
        ["17", "1"],
        ["0", "none"],
    ]
    assert chart["summary"] == (
        "Bath: Awarded 17, Working 1; Norton Radstock: Awarded 0, Working none"
    )
    assert [t["text"] for t in chart["ticks"]] == ["0", "5", "10", "15", "20"]
    assert bars([("Bath", [3])], ["Schools"])["legend"] == []
    assert [nice_ticks(n) for n in (0, 2, 7, 260)] == [
        [0, 1],
        [0, 1, 2],
        [0, 2, 4, 6, 8],
        [0, 100, 200, 300],
    ]


def test_sqlites_median_is_the_middle_value_or_the_mean_of_the_middle_two():
    """`make run` on SQLite: the aggregate the app registers in place of percentile_cont."""
    from overview.apps import _Median

    def median(values):
        aggregate = _Median()
        for value in values:
            aggregate.step(value)
        return aggregate.finalize()

    assert [median([]), median([5, None]), median([9, 1, 5]), median([1, 4, 2, 3])] == [
        None,
        5,
        5,
        2.5,
    ]


def test_an_authority_with_no_schools_yet_sees_empty_figures(client, db):
    from .factories import AuthorityFactory, MembershipFactory

    admin = MembershipFactory(authority=AuthorityFactory(slug="new")).user
    client.force_login(admin)
    response = client.get(reverse("overview:page", args=["new"]))
    figure = response.context["figures"][list(domain.FIGURES).index("awards-by-area")]
    assert (figure.rows, figure.total, figure.chart["summary"]) == ([], None, "nothing to show yet")
    page = response.content.decode()
    # No school awarded, no mentor, no moderator, no framework's elements.
    assert page.count("Nothing to show yet.") == 4
    assert "current framework (none yet)" in page


def test_the_figures_are_drawn_again_once_a_visits_moderators_change(admin_client, world):
    url = reverse("overview:page", args=["bathnes"])
    open_cycle = cycle(world, world.other_school, State.VISIT_PLANNED)
    with at(TODAY):
        with scopes_disabled():
            visit = Visit.objects.create(
                cycle=open_cycle, date=TODAY, planned_by=world.people["panel_chair"]
            )
        before = _figures(admin_client.get(url))
        with scopes_disabled():
            visit.moderators.set([world.people["moderator"]])
        after = _figures(admin_client.get(url))
    workload = 'id="moderator-workload"'
    assert before[before.index(workload) :] != after[after.index(workload) :]
    assert (
        f'<th scope="row">{world.people["moderator"].full_name}</th>'
        '<td class="table__number">0</td><td class="table__number">1</td>'
    ) in after


def test_the_overview_and_a_cycles_chart_are_drawn_without_the_cache(
    admin_client, world, settings, caplog
):
    """Redis for the cache unreachable: the pages are counted and drawn afresh, not refused."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    validated(world, world.other_school, {1: Rating.EMBEDDED})
    page = admin_client.get(reverse("overview:page", args=["bathnes"]))
    assert page.status_code == 200
    assert _figures(page).count("<caption ") == len(domain.FIGURES)
    cycle_page = admin_client.get(reverse("assessments:cycle", args=["bathnes", world.cycle.pk]))
    assert cycle_page.status_code == 200
    assert "Could not read overview:" in caplog.text
    assert "Could not read ratings:" in caplog.text


# The admin's dashboard: the authority's areas, schools and people, kept as the figures are


def _counted(queries) -> list[str]:
    """The dashboard's counts among the request's queries."""
    return [
        q["sql"]
        for q in queries
        if 'COUNT(*) AS "__count" FROM "schools_' in q["sql"]
        or 'SELECT DISTINCT "accounts_membership"."user_id"' in q["sql"]
    ]


def test_the_dashboards_counts_are_kept_until_an_area_a_school_or_a_role_changes(
    admin_client, world
):
    url = reverse("dashboard", args=["bathnes"])
    with CaptureQueriesContext(connection) as drawn:
        assert admin_client.get(url).context["counts"] == {"areas": 1, "schools": 2, "people": 16}
    assert len(_counted(drawn)) == 3
    with CaptureQueriesContext(connection) as kept:
        assert admin_client.get(url).context["counts"] == {"areas": 1, "schools": 2, "people": 16}
    assert _counted(kept) == []

    SchoolFactory(authority=world.outsider_authority, area=world.outsider_area)
    MembershipFactory(authority=world.outsider_authority, role=Role.MENTOR)
    with CaptureQueriesContext(connection) as kept:
        assert admin_client.get(url).context["counts"] == {"areas": 1, "schools": 2, "people": 16}
    assert _counted(kept) == []

    area = AreaFactory(authority=world.authority)
    assert admin_client.get(url).context["counts"] == {"areas": 2, "schools": 2, "people": 16}
    SchoolFactory(authority=world.authority, area=area)
    assert admin_client.get(url).context["counts"] == {"areas": 2, "schools": 3, "people": 16}
    role = MembershipFactory(authority=world.authority, role=Role.MENTOR)
    assert admin_client.get(url).context["counts"] == {"areas": 2, "schools": 3, "people": 17}
    with scopes_disabled():
        role.delete()
    assert admin_client.get(url).context["counts"] == {"areas": 2, "schools": 3, "people": 16}

    with scopes_disabled():
        world.cycle.save()  # as a step saves it: the overview's figures are drawn again, not these
    with CaptureQueriesContext(connection) as kept:
        assert admin_client.get(url).context["counts"] == {"areas": 2, "schools": 3, "people": 16}
    assert _counted(kept) == []
