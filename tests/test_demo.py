import pytest
from django.core.management import call_command
from django.urls import reverse
from django_scopes import scope

from accounts.models import Membership
from assessments.models import Cycle
from authorities.models import Authority
from iqm_portal.demo import DECIDED_SCHOOL, DEMO_PASSWORD, DEMO_PEOPLE, PLATFORM_ADMIN
from moderation.models import Award, Tier
from schools.models import School


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=open("/dev/null", "w"))
    call_command("load_demo", stdout=open("/dev/null", "w"))  # idempotent


def test_demo_holds_the_seed_authorities_and_schools(demo):
    bathnes = Authority.objects.get(slug="bathnes")
    with scope(authority=bathnes):
        per_area = {a: School.objects.filter(area__name=a).count() for a in ["Bath", "Norton Radstock", "Chew Valley & Keynsham"]}
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
        response = client.post(reverse("accounts:login"), {"username": email, "password": DEMO_PASSWORD})
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
        assert cycle.answers.count() == cycle.reviews.count() == cycle.framework.elements.count() == 10
        assert cycle.targets.count() == 2
        assert sorted(m.email for m in cycle.visit.moderators.all()) == ["moderator2@bathnes.test", "moderator@bathnes.test"]
        report = cycle.report
        assert report.finalised_at is not None and report.findings.exclude(judgement="").count() == 10
        assert sorted(u.email for u in report.signed_by.all()) == ["moderator2@bathnes.test", "moderator@bathnes.test"]
        assert sorted(b.member.email for b in cycle.panel_vote.ballots.all()) == [
            "chair@bathnes.test", "panel2@bathnes.test", "panel@bathnes.test"]
        decision = cycle.decisions.get()
        assert (decision.outcome, decision.tier) == ("award", Tier.QUALITY_MARK)
        assert list(Award.objects.filter(school=cycle.school).values_list("tier", "decision")) == [
            (Tier.QUALITY_MARK, decision.pk)]
