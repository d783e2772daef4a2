import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from accounts.models import Membership
from assessments.models import Cycle
from authorities.models import Authority
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
        assert [p.name for p in cooper.partners.all()] == ["Glory Farm Primary School"]


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
        assert [award.tier for award in history] == [Tier.QUALITY_MARK] + [
            Tier.CENTRE_OF_EXCELLENCE
        ] * 3 + [Tier.FLAGSHIP] * 2


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
