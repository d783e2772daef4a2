import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from accounts.models import Membership, User
from assessments.history import school_history
from assessments.models import Cycle
from authorities.models import Authority
from awards.domain import eligibility, excellence_since, history_of
from awards.models import Award, Tier
from iqm_portal.demo import DECIDED_SCHOOL, DEMO_PASSWORD, DEMO_PEOPLE, PLATFORM_ADMIN
from schools.models import School


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=open("/dev/null", "w"))
    call_command("load_demo", stdout=open("/dev/null", "w"))  # idempotent


def test_demo_holds_the_seed_authorities_and_schools(demo):
    bathnes = Authority.objects.get(slug="bathnes")
    with scope(authority=bathnes):
        per_area = {
            a: School.objects.filter(area__name=a).count()
            for a in ["Bath", "Norton Radstock", "Chew Valley & Keynsham"]
        }
        assert per_area == {"Bath": 18, "Norton Radstock": 11, "Chew Valley & Keynsham": 9}
        assert School.objects.count() == 38
    national = Authority.objects.get(slug="iqm")
    with scope(authority=national):
        cooper = School.objects.get(name="The Cooper School")
        assert [p.display_name for p in cooper.cluster.partners.all()] == [
            "Glory Farm Primary School",
            "Longfields Primary School",
        ]


def test_every_demo_login_works(demo, client):
    emails = sorted({p[0] for p in DEMO_PEOPLE} | {PLATFORM_ADMIN[0]})
    for email in emails:
        client.logout()
        response = client.post(
            reverse("accounts:login"), {"username": email, "password": DEMO_PASSWORD}
        )
        assert (email, response.status_code) == (email, 302)
        landing = client.get(response["Location"], follow=True)
        assert (email, landing.status_code) == (email, 200)


def test_every_role_has_a_demo_login(demo):
    from accounts.models import Role

    with scope(authority=Authority.objects.get(slug="bathnes")):
        assert sorted(set(Membership.objects.values_list("role", flat=True))) == sorted(Role.values)


def test_one_school_has_been_through_the_whole_assessment(demo):
    """Self-review to award, with what the documents are made from: all ten findings, a report
    signed by both moderators, the panel's votes and the decision."""
    with scope(authority=Authority.objects.get(slug="bathnes")):
        cycle = Cycle.objects.get(school__name=DECIDED_SCHOOL)
        assert cycle.school.area.name == "Bath"
        assert cycle.state == Cycle.State.DECIDED
        assert (
            cycle.answers.count() == cycle.reviews.count() == cycle.framework.elements.count() == 10
        )
        assert cycle.targets.count() == 2
        assert sorted(m.email for m in cycle.visit.moderators.all()) == [
            "moderator2@bathnes.test",
            "moderator@bathnes.test",
        ]
        report = cycle.report
        assert (
            report.finalised_at is not None and report.findings.exclude(judgement="").count() == 10
        )
        assert sorted(u.email for u in report.signed_by.all()) == [
            "moderator2@bathnes.test",
            "moderator@bathnes.test",
        ]
        assert sorted(b.member.email for b in cycle.panel_vote.ballots.all()) == [
            "chair@bathnes.test",
            "panel2@bathnes.test",
            "panel@bathnes.test",
        ]
        decision = cycle.decisions.get()
        assert (decision.outcome, decision.tier) == ("award", Tier.QUALITY_MARK)
        assert list(Award.objects.filter(school=cycle.school).values_list("tier", "decision")) == [
            (Tier.QUALITY_MARK, decision.pk)
        ]


def test_the_published_list_is_the_seed_list(demo, client):
    """36 awarded schools in the seed's three areas, in its order of areas, and the two working
    towards."""
    from iqm_portal.demo import BATHNES_SCHOOLS, WORKING_TOWARDS

    document = client.get("/bathnes/awards.json").json()
    assert document["version"] == 1
    assert [(area["name"], len(area["schools"])) for area in document["areas"]] == [
        ("Bath", 18),
        ("Norton Radstock", 10),
        ("Chew Valley & Keynsham", 8),
    ]
    listed = {
        (area["name"], school["name"]) for area in document["areas"] for school in area["schools"]
    }
    assert listed == {
        (area, name) for area, name, _ in BATHNES_SCHOOLS if name not in WORKING_TOWARDS
    }
    assert [school["name"] for school in document["working_towards"]] == [
        "Chandag Infant",
        "Farmborough C of E Primary",
    ]
    tiers = {
        school["name"]: school["tier"] for area in document["areas"] for school in area["schools"]
    }
    assert tiers["Three Ways Special School"] == "Centre of Excellence"
    assert sorted(set(tiers.values())) == ["Centre of Excellence", "Inclusion Quality Mark"]
    page = client.get("/bathnes/awards/").content.decode()
    assert "Schools working towards the Inclusion Quality Mark" in page


def test_the_national_authority_lists_the_cooper_school_as_flagship(demo, client):
    document = client.get("/iqm/awards.json").json()
    assert [(s["name"], s["tier"]) for area in document["areas"] for s in area["schools"]] == [
        ("Glory Farm Primary School", "Inclusion Quality Mark"),
        ("The Cooper School", "Flagship"),
    ]
    with scope(authority=Authority.objects.get(slug="iqm")):
        history = Award.objects.filter(school__name="The Cooper School").order_by("awarded_on")
        assert [award.tier for award in history] == [Tier.QUALITY_MARK] * 2 + [
            Tier.CENTRE_OF_EXCELLENCE
        ] * 7 + [Tier.FLAGSHIP] * 2


def test_the_overview_shows_the_seed_schools_and_the_portals_assessments(demo, client):
    """36 awarded schools by area and the 2 working towards, as on the published list; the
    decided assessments' times; the element ratings, averaged on a school's chart too."""
    from accounts.models import User
    from iqm_portal.demo import ASSESSED_IN_THE_PORTAL

    client.force_login(User.objects.get(email="admin@bathnes.test"))
    page = client.get("/bathnes/overview/")
    assert page.status_code == 200
    figures = {figure.slug: figure for figure in page.context["figures"]}
    awards = figures["awards-by-area"]
    assert [(area, values) for area, values in awards.rows] == [
        ("Bath", [17, 1, 0, 0]),
        ("Norton Radstock", [10, 0, 0, 1]),
        ("Chew Valley & Keynsham", [8, 0, 0, 1]),
    ]
    assert (sum(awards.total[:3]), awards.total[3]) == (36, 2)
    decided = dict(figures["time-to-decision"].rows)
    assert decided["Initial assessment"][0] == len(ASSESSED_IN_THE_PORTAL) + 1
    ratings = figures["element-ratings"].rows
    assert [values[1] for _, values in ratings] == [len(ASSESSED_IN_THE_PORTAL) + 2] * 10
    with scope(authority=Authority.objects.get(slug="bathnes")):
        cycle = Cycle.objects.get(school__name=DECIDED_SCHOOL)
    chart = client.get(f"/bathnes/cycles/{cycle.pk}/").context["chart"]
    assert len(chart["markers"]) == 10


def test_the_demo_mentor_runs_a_past_and_an_upcoming_workshop(demo, client):
    from accounts.models import User
    from workshops.models import Booking, Workshop

    bathnes = Authority.objects.get(slug="bathnes")
    with scope(authority=bathnes):
        workshops = list(Workshop.objects.order_by("starts_at").select_related("mentor"))
        assert [(w.title, w.is_past, w.mentor.email) for w in workshops] == [
            ("Building an inclusive classroom", True, "mentor@bathnes.test"),
            ("Working with parents and carers", False, "mentor@bathnes.test"),
        ]
        attended = Booking.objects.filter(attended=True).order_by("person__email")
        assert [(b.person.email, b.school.name) for b in attended] == [
            ("contributor@bathnes.test", "Chandag Infant"),
            ("head@bathnes.test", "Chandag Infant"),
        ]
        chandag = School.objects.get(name="Chandag Infant")
    client.force_login(User.objects.get(email="head@bathnes.test"))
    page = client.get(reverse("schools:detail", args=["bathnes", chandag.pk])).content.decode()
    assert "<td>Building an inclusive classroom</td>" in page


def test_the_cooper_schools_route_to_flagship_is_unbroken_and_its_awards_last_as_they_should(
    demo,
):
    """The Quality Mark 12 and 9 years ago (three years each), Centre of Excellence renewed each
    year without a gap, then Flagship, renewed today by its annual review; so it is eligible for
    Flagship."""
    today = timezone.localdate()
    with scope(authority=Authority.objects.get(slug="iqm")):
        cooper = School.objects.get(name="The Cooper School")
        awards = list(Award.objects.filter(school=cooper).order_by("awarded_on"))
        assert [(a.expires_on.year - a.awarded_on.year) for a in awards] == [3, 3] + [1] * 9
        assert [a.awarded_on.year for a in awards[:2]] == [today.year - 12, today.year - 9]
        excellence, renewal = awards[2:-1], awards[-1]
        assert all(
            later.awarded_on == earlier.expires_on
            for earlier, later in zip(excellence, excellence[1:], strict=False)
        )
        assert excellence[-1].awarded_on <= today <= excellence[-1].expires_on
        assert (renewal.tier, renewal.awarded_on) == (Tier.FLAGSHIP, today)
        assert excellence_since(history_of(cooper), today) == excellence[0].awarded_on
        assert eligibility(cooper, Tier.FLAGSHIP).eligible


def test_three_ways_is_eligible_for_its_centre_of_excellence_review(demo):
    with scope(authority=Authority.objects.get(slug="bathnes")):
        three_ways = School.objects.get(name="Three Ways Special School")
        assert [p.display_name for p in three_ways.cluster.partners.all()] == [
            "Widcombe C of E Junior",
            "St Saviour's C of E Junior School",
        ]
        found = eligibility(three_ways, Tier.CENTRE_OF_EXCELLENCE)
        assert [(rule.text, rule.holds) for rule in found.rules] == [
            ("a current Inclusion Quality Mark (or a higher award)", True),
            ("a cluster of at least 2 partner schools", True),
        ]


def test_the_cooper_schools_page_shows_its_history_and_cluster(demo, client):
    from accounts.models import User

    client.force_login(User.objects.get(email="admin@iqm.test"))
    with scope(authority=Authority.objects.get(slug="iqm")):
        cooper = School.objects.get(name="The Cooper School")
        glory_farm = School.objects.get(name="Glory Farm Primary School")
        entries = school_history(cooper)["entries"]
    # Newest first: today's renewal (the award, the panel's decision, the review registered),
    # then the Flagship it renews, still current, and the awards before it, each followed without
    # a break by the next.
    assert [(e.what, e.status) for e in entries[:3]] == [
        ("award", "current"),
        ("decision", ""),
        ("cycle", ""),
    ]
    assert [(e.item.tier, e.status) for e in entries[3:]] == [(Tier.FLAGSHIP, "current")] + [
        (Tier.CENTRE_OF_EXCELLENCE, "expired")
    ] * 7 + [(Tier.QUALITY_MARK, "expired")] * 2
    text = client.get(reverse("schools:detail", args=["iqm", cooper.pk])).content.decode()
    assert "Flagship</dt><dd>\n    <strong>Eligible now</strong>" in text
    assert "The Cooper School cluster</a>, with 2 partner schools." in text
    partner_page = client.get(reverse("schools:detail", args=["iqm", glory_farm.pk]))
    assert (
        "Partner in The Cooper School cluster, led by The Cooper School."
        in partner_page.content.decode()
    )


def test_the_cooper_school_keeps_its_research_project(demo, client):
    """Its research with Glory Farm: key steps over three years and an output in each of the last
    three years, shown to its head teacher."""
    from django.utils import timezone

    from flagship.models import ResearchProject

    with scope(authority=Authority.objects.get(slug="iqm")):
        project = ResearchProject.objects.get(school__name="The Cooper School")
        assert project.ended_on is None
        assert "Glory Farm" in project.question
        assert [s.status for s in project.steps.all()] == [
            "done",
            "done",
            "done",
            "on_track",
            "not_started",
        ]
        year = timezone.localdate().year
        assert [o.year for o in project.outputs.all()] == [year, year - 1, year - 2]
    client.force_login(User.objects.get(email="head@iqm.test"))
    page = client.get(reverse("flagship:research", args=["iqm", project.school_id]))
    assert page.status_code == 200
    assert page.context["can_edit"] is True


def test_the_demo_fills_in_and_confirms_the_flagship_criteria(demo):
    """The helpers the annual review's demo calls: the school's evidence during its update, the
    moderator's confirmation with the visit planned."""
    from datetime import date

    from flagship.domain import unconfirmed_criteria
    from iqm_portal.demo import flagship_confirmed_demo, flagship_evidence_demo
    from moderation.models import Visit

    national = Authority.objects.get(slug="iqm")
    moderator = User.objects.get(email="moderator@bathnes.test")
    with scope(authority=national):
        cooper = School.objects.get(name="The Cooper School")
        review = Cycle.objects.create(
            authority=national,
            school=cooper,
            kind=Cycle.Kind.FLAGSHIP,
            framework=national.frameworks.get(),
            mentor=User.objects.get(email="admin@iqm.test"),
            state=Cycle.State.ANNUAL_UPDATE,
        )
        flagship_evidence_demo(review, User.objects.get(email="head@iqm.test"))
        Cycle.objects.filter(pk=review.pk).update(state=Cycle.State.VISIT_PLANNED)
        review.refresh_from_db()
        Visit.objects.create(cycle=review, date=date.today(), planned_by=moderator)
        review.visit.moderators.set([moderator])
        flagship_confirmed_demo(review, moderator)
        assert unconfirmed_criteria(review) == []
        assert review.flagship_criteria.exclude(evidence="").count() == 9


def test_the_cooper_school_has_a_completed_annual_review(demo):
    """Its Flagship review renewed today, through the update, the visit and the panel."""
    with scope(authority=Authority.objects.get(slug="iqm")):
        cycle = Cycle.objects.get(school__name="The Cooper School")
        assert (cycle.kind, cycle.state) == (Cycle.Kind.FLAGSHIP, Cycle.State.DECIDED)
        assert [u.is_complete for u in cycle.updates.all()] == [True] * 10
        assert [m.email for m in cycle.visit.moderators.all()] == ["moderator@iqm.test"]
        assert cycle.ratification.ratified_at is not None
        assert cycle.ratification.priorities.count() == 2
        award = Award.objects.get(decision__cycle=cycle)
        assert (award.tier, award.awarded_on) == (Tier.FLAGSHIP, timezone.localdate())


def test_three_ways_has_a_centre_of_excellence_review_under_way(demo):
    with scope(authority=Authority.objects.get(slug="bathnes")):
        cycle = Cycle.objects.get(school__name="Three Ways Special School")
        assert (cycle.kind, cycle.state) == (
            Cycle.Kind.CENTRE_OF_EXCELLENCE,
            Cycle.State.ANNUAL_UPDATE,
        )
        assert cycle.updates.count() == 4
