"""The mentor's validation: an explicit decision on each element (agree, or adjust with a
comment), saved as it is made, "agree with all remaining", validation refused while any element is
undecided, and nothing lost on a return."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from assessments import domain
from assessments.models import Answer, Cycle, MentorReview, Rating

from .assessment_helpers import complete_answer_data, complete_self_review, submit
from .factories import MembershipFactory, UserFactory

State = Cycle.State
AGREE_ALL = "assessments:agree_with_remaining"


@pytest.fixture
def submitted(world):
    """The self-review submitted: every element rated Established by the school, except element 3,
    rated Developing."""
    complete_self_review(world)
    with scope(authority=world.authority):
        element = world.cycle.framework.elements.get(number=3)
        domain.save_answer(
            cycle=world.cycle,
            element=element,
            by=world.people["school_coordinator"],
            version=1,
            data=complete_answer_data(element, Rating.DEVELOPING),
        )
    submit(world)
    return world


def element(world, number):
    with scopes_disabled():
        return world.cycle.framework.elements.get(number=number)


def decide(world, number, **kwargs):
    with scope(authority=world.authority):
        return domain.review_element(
            cycle=world.cycle, element=element(world, number), by=world.people["mentor"], **kwargs
        )


def decisions(world):
    """{element number: (decision, mentor's rating, comment)} of the elements with a review."""
    with scope(authority=world.authority):
        return {
            row["element"].number: (row["decision"], row["review"].rating, row["review"].comment)
            for row in domain.element_rows(world.cycle)
            if row["review"]
        }


# The domain


def test_agreeing_takes_the_schools_rating_and_adjusting_keeps_the_mentors(submitted):
    world = submitted
    decide(world, 1, agree=True)
    decide(world, 3, agree=True, comment="Seen in the plan.")
    decide(world, 2, rating=Rating.EMBEDDED, comment="Beyond what you claim.")
    decide(world, 4, rating=Rating.ESTABLISHED)  # the school's rating, chosen among the radios
    assert decisions(world) == {
        1: ("agreed", Rating.ESTABLISHED, ""),
        2: ("adjusted", Rating.EMBEDDED, "Beyond what you claim."),
        3: ("agreed", Rating.DEVELOPING, "Seen in the plan."),
        4: ("agreed", Rating.ESTABLISHED, ""),
    }


def test_a_comment_is_kept_before_any_rating_and_a_rating_is_never_taken_away(submitted):
    world = submitted
    decide(world, 5, comment="Ask about the sensory room.")
    assert decisions(world) == {5: ("undecided", None, "Ask about the sensory room.")}
    decide(world, 5, rating=Rating.EMERGING, comment="Ask about the sensory room.")
    decide(world, 5, comment="Ask about the sensory room, and its use.")  # no rating posted
    assert decisions(world) == {
        5: ("adjusted", Rating.EMERGING, "Ask about the sensory room, and its use.")
    }


def test_bad_decisions_are_refused_and_change_nothing(submitted):
    world = submitted
    with pytest.raises(domain.ValidationError) as raised:
        decide(world, 1, rating=9, comment="x" * 2001)
    assert raised.value.message_dict == {
        "rating": ["Choose one of the ratings shown."],
        "comment": ["Keep the comment to 2,000 characters or fewer (it has 2,001)."],
    }
    other = UserFactory()
    MembershipFactory(authority=world.authority, user=other, role="mentor")
    for person in (other, world.people["school_coordinator"]):
        with scope(authority=world.authority), pytest.raises(PermissionDenied):
            domain.review_element(cycle=world.cycle, element=element(world, 1), by=person)
        with scope(authority=world.authority), pytest.raises(PermissionDenied):
            domain.agree_with_remaining(cycle=world.cycle, by=person)
    assert decisions(world) == {}


def test_agree_with_all_remaining_touches_only_the_undecided(submitted):
    world = submitted
    decide(world, 2, rating=Rating.EMBEDDED, comment="Beyond what you claim.")
    decide(world, 4, agree=True, comment="Agreed after the visit.")
    decide(world, 6, comment="A comment, no rating yet.")
    with scopes_disabled():
        saved_at = {r.element.number: r.updated_at for r in world.cycle.reviews.all()}
    with scope(authority=world.authority):
        agreed = domain.agree_with_remaining(cycle=world.cycle, by=world.people["mentor"])
    assert [e.number for e in agreed] == [1, 3, 5, 6, 7, 8, 9, 10]
    assert decisions(world) == {
        1: ("agreed", Rating.ESTABLISHED, ""),
        2: ("adjusted", Rating.EMBEDDED, "Beyond what you claim."),
        3: ("agreed", Rating.DEVELOPING, ""),
        4: ("agreed", Rating.ESTABLISHED, "Agreed after the visit."),
        5: ("agreed", Rating.ESTABLISHED, ""),
        6: ("agreed", Rating.ESTABLISHED, "A comment, no rating yet."),
        7: ("agreed", Rating.ESTABLISHED, ""),
        8: ("agreed", Rating.ESTABLISHED, ""),
        9: ("agreed", Rating.ESTABLISHED, ""),
        10: ("agreed", Rating.ESTABLISHED, ""),
    }
    with scopes_disabled():
        untouched = {r.element.number: r.updated_at for r in world.cycle.reviews.all()}
    assert (untouched[2], untouched[4]) == (saved_at[2], saved_at[4])
    with scope(authority=world.authority):
        assert domain.agree_with_remaining(cycle=world.cycle, by=world.people["mentor"]) == []


def test_validation_is_refused_while_any_element_is_undecided(submitted):
    world = submitted
    for number in range(1, 11):
        if number not in (4, 9):
            decide(world, number, agree=True)
    decide(world, 9, comment="Only a comment so far.")
    with scope(authority=world.authority), pytest.raises(domain.TransitionError) as raised:
        domain.validate(cycle=world.cycle, by=world.people["mentor"])
    assert str(raised.value) == (
        "Agree or adjust the rating of every element first: elements 4, 9 still to do."
    )
    world.cycle.refresh_from_db()
    assert (world.cycle.state, world.cycle.validated_at) == (State.SUBMITTED, None)
    decide(world, 4, agree=True)
    decide(world, 9, rating=Rating.DEVELOPING, comment="Only a comment so far.")
    with scope(authority=world.authority):
        domain.validate(cycle=world.cycle, by=world.people["mentor"])
    world.cycle.refresh_from_db()
    assert world.cycle.state == State.VALIDATED


def test_a_return_loses_nothing_and_a_rating_the_school_changes_is_decided_again(submitted):
    world = submitted
    decide(world, 1, agree=True, comment="Good tracking.")
    decide(world, 2, rating=Rating.EMBEDDED, comment="Beyond what you claim.")
    decide(world, 3, comment="Draft thought.")
    before = decisions(world)
    with scope(authority=world.authority):
        domain.return_to_school(
            cycle=world.cycle, by=world.people["mentor"], comment="Say more on element 1."
        )
    assert decisions(world) == before

    # The school changes its rating of element 1 only, and sends it back.
    with scope(authority=world.authority):
        answer = Answer.objects.get(cycle=world.cycle, element__number=1)
        domain.save_answer(
            cycle=world.cycle,
            element=answer.element,
            by=world.people["school_coordinator"],
            version=answer.version,
            data=complete_answer_data(answer.element, Rating.EMBEDDED),
        )
    submit(world)
    assert decisions(world) == {
        1: ("changed", Rating.ESTABLISHED, "Good tracking."),
        2: ("adjusted", Rating.EMBEDDED, "Beyond what you claim."),
        3: ("undecided", None, "Draft thought."),
    }
    with scope(authority=world.authority):
        agreed = domain.agree_with_remaining(cycle=world.cycle, by=world.people["mentor"])
        domain.validate(cycle=world.cycle, by=world.people["mentor"])
    assert [e.number for e in agreed] == [1, 3, 4, 5, 6, 7, 8, 9, 10]
    assert decisions(world)[1] == ("agreed", Rating.EMBEDDED, "Good tracking.")


# The page


def review_url(world):
    return reverse("assessments:review", args=["bathnes", world.cycle.pk])


def htmx_save(client, world, number, **fields):
    pk = element(world, number).pk
    data = {"element": pk, f"e{pk}-comment": ""}
    data |= {f"e{pk}-{name}": value for name, value in fields.items()}
    return client.post(review_url(world), data, headers={"HX-Request": "true"})


def test_nothing_looks_agreed_before_the_mentor_decides(client, submitted):
    world = submitted
    client.force_login(world.people["mentor"])
    response = client.get(review_url(world))
    rows = response.context["rows"]
    assert [row["form"]["rating"].value() for row in rows] == [None] * 10
    assert response.context["decided"] == 0
    body = response.content.decode()
    assert "checked" not in body
    assert body.count("Not decided</strong>") == 10
    assert "<strong>0 of 10</strong> elements decided." in body
    # The school's rating of each statement, under its element.
    assert [(d.label, label) for d, label in rows[2]["statements"]] == [
        ("3.1", "Developing"),
        ("3.2", "Developing"),
        ("3.3", "Developing"),
        ("3.4", "Developing"),
    ]
    # The "agree" button names the school's rating by its value, not by the radio's position.
    pk = rows[2]["element"].pk
    agree = f'id="agree-{pk}" name="e{pk}-agree" value="on" data-check="{Rating.DEVELOPING}">'
    assert agree in body
    assert body.count("(the school's rating)") == 10
    assert re.findall(r'value="(\d)"[^>]*>\s*<label[^>]*>[^<]*\(the school', body)[2] == str(
        Rating.DEVELOPING
    )
    # A draft kept in the browser belongs to the person who typed it.
    mentor = world.people["mentor"].pk
    assert f'data-draft-key="iqm-review-{mentor}-bathnes-{world.cycle.pk}-{pk}"' in body


def test_each_decision_is_saved_as_it_is_made_with_its_marker_and_the_count(client, submitted):
    world = submitted
    client.force_login(world.people["mentor"])
    response = htmx_save(client, world, 3, rating=Rating.DEVELOPING)
    assert response.status_code == 200
    body = response.content.decode()
    assert '<strong class="tag tag--agreed">Agreed</strong> with the school\'s rating, ' in body
    assert '<p id="decided-count" class="lead" hx-swap-oob="true"><strong>1 of 10</strong>' in body

    response = htmx_save(client, world, 2, rating=Rating.EMERGING)
    assert "Adjusted</strong> from Established to Emerging." in response.content.decode()
    assert "Add a comment to tell the school why." in response.content.decode()
    response = htmx_save(client, world, 2, rating=Rating.EMERGING, comment="Too early to say.")
    assert "Add a comment" not in response.content.decode()
    assert "<strong>2 of 10</strong>" in response.content.decode()

    response = htmx_save(client, world, 5, comment="Typed before choosing.")
    assert response.status_code == 200
    assert "Not decided</strong> Your comment is saved" in response.content.decode()

    response = htmx_save(client, world, 6, rating="9")
    assert response.status_code == 422
    assert "Not saved: Select a valid choice. 9 is not one of the available choices." in (
        response.content.decode()
    )
    assert decisions(world) == {
        2: ("adjusted", Rating.EMERGING, "Too early to say."),
        3: ("agreed", Rating.DEVELOPING, ""),
        5: ("undecided", None, "Typed before choosing."),
    }
    # A reload shows what was saved.
    rows = client.get(review_url(world)).context["rows"]
    assert [(r["form"]["rating"].value(), r["form"]["comment"].value()) for r in rows[1:5]] == [
        (Rating.EMERGING, "Too early to say."),
        (Rating.DEVELOPING, ""),
        (None, None),
        (None, "Typed before choosing."),
    ]


def test_the_saves_count_leaves_out_a_decision_the_school_has_changed_since(client, submitted):
    world = submitted
    decide(world, 1, agree=True)
    decide(world, 4, rating=Rating.EMBEDDED)
    with scopes_disabled():  # as after a return: the school rates element 1 again
        Answer.objects.filter(cycle=world.cycle, element=element(world, 1)).update(
            rating=Rating.EMBEDDED
        )
    client.force_login(world.people["mentor"])
    response = htmx_save(client, world, 3, agree="on")
    body = response.content.decode()
    assert '<strong class="tag tag--agreed">Agreed</strong> with the school\'s rating, ' in body
    assert '<p id="decided-count" class="lead" hx-swap-oob="true"><strong>2 of 10</strong>' in body
    response = htmx_save(client, world, 1, comment="Seen.")
    body = response.content.decode()
    assert "Decide again</strong> The school changed its rating to Embedded after you gave" in body
    assert "<strong>2 of 10</strong>" in body


def test_validate_is_refused_with_a_summary_linking_to_each_undecided_element(client, submitted):
    world = submitted
    client.force_login(world.people["mentor"])
    decide(world, 1, agree=True)
    response = client.post(reverse("assessments:validate", args=["bathnes", world.cycle.pk]))
    assert response.status_code == 422
    body = response.content.decode()
    links = [
        f'<li><a href="#agree-{row["element"].pk}">{row["element"]}: not decided</a></li>'
        for row in response.context["undecided"]
    ]
    assert [row["element"].number for row in response.context["undecided"]] == list(range(2, 11))
    assert all(link in body for link in links)
    assert 'class="error-summary" role="alert"' in body
    assert "<title>Error: Mentor's validation – " in body
    world.cycle.refresh_from_db()
    assert world.cycle.state == State.SUBMITTED


def test_agree_with_all_remaining_from_the_page(client, submitted):
    world = submitted
    client.force_login(world.people["mentor"])
    decide(world, 2, rating=Rating.EMBEDDED, comment="More than that.")
    response = client.post(reverse(AGREE_ALL, args=["bathnes", world.cycle.pk]), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "You agreed with the school's rating of elements 1, 3, 4, 5, 6, 7, 8, 9, 10."
    ]
    assert response.context["decided"] == 10
    response = client.post(reverse(AGREE_ALL, args=["bathnes", world.cycle.pk]), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Every element was already decided: nothing has changed."
    ]
    client.post(reverse("assessments:validate", args=["bathnes", world.cycle.pk]))
    world.cycle.refresh_from_db()
    assert world.cycle.state == State.VALIDATED


def _submitted_small(world):
    """A submitted cycle of one element, on a framework of its own, with nothing decided."""
    content = (
        b"code: small\nname: Small\nelements:\n  - code: a\n    title: A\n    descriptors: [one]\n"
    )
    with scope(authority=world.authority):
        framework = domain.import_framework(authority=world.authority, by=None, content=content)
        cycle = Cycle.objects.create(
            authority=world.authority,
            school=world.other_school,
            framework=framework,
            mentor=world.people["mentor"],
            state=State.SUBMITTED,
        )
        only = framework.elements.get()
        Answer.objects.create(
            cycle=cycle, element=only, rating=Rating.EMERGING, ratings={}, practice="We do."
        )
    return cycle, only


def _queries(client, method, url, data=None):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, data or {}, headers={"HX-Request": "true"})
    assert response.status_code in (200, 302)
    return len(queries)


def test_the_page_and_its_saves_cost_the_same_queries_for_one_element_or_ten(client, submitted):
    world = submitted
    small, only = _submitted_small(world)
    client.force_login(world.people["mentor"])
    decide(world, 1, agree=True, comment="Decided already.")
    small_url = reverse("assessments:review", args=["bathnes", small.pk])
    ten_url = review_url(world)
    # Each framework's elements are read once, then kept in the cache (the submission read the
    # ten's): the first read of the one-element page reads them, the next does not.
    assert _queries(client, "get", small_url) == _queries(client, "get", ten_url) + 2
    assert _queries(client, "get", small_url) == _queries(client, "get", ten_url) == 6

    ten = element(world, 2)
    save_one = _queries(client, "post", small_url, {"element": only.pk, f"e{only.pk}-agree": "on"})
    save_ten = _queries(client, "post", ten_url, {"element": ten.pk, f"e{ten.pk}-agree": "on"})
    # The session, user and memberships with their authorities; the cycle with its number of
    # elements (the element from the cache); the savepoint, the cycle locked, the element's
    # answer, the cycle's reviews with the school's rating of each (the reply's count), the review
    # saved, the release.
    assert save_one == save_ten == 10

    with scopes_disabled():
        MentorReview.objects.filter(cycle=small).delete()
    assert _queries(client, "post", reverse(AGREE_ALL, args=["bathnes", small.pk])) == _queries(
        client, "post", reverse(AGREE_ALL, args=["bathnes", world.cycle.pk])
    )


def test_a_save_naming_no_element_of_the_framework_is_a_404(client, submitted):
    world = submitted
    with scopes_disabled():
        theirs = world.outsider_cycle.framework.elements.first()
    client.force_login(world.people["mentor"])
    for named in (
        {},
        {"element": ""},
        {"element": "abc"},
        {"element": "1e3"},
        {"element": theirs.pk},
    ):
        response = client.post(review_url(world), named, headers={"HX-Request": "true"})
        assert response.status_code == 404, named
    assert decisions(world) == {}


def test_a_page_left_open_after_a_return_is_told_why_its_save_is_refused(client, submitted):
    world = submitted
    decide(world, 1, agree=True, comment="Kept.")
    client.force_login(world.people["mentor"])
    client.post(
        reverse("assessments:return", args=["bathnes", world.cycle.pk]), {"comment": "More."}
    )
    response = htmx_save(client, world, 1, rating=Rating.EMBEDDED, comment="Changed.")
    assert response.status_code == 422
    assert (
        "Not saved: You cannot review the self-review while the case is “self-review”."
        in response.content.decode()
    )
    assert decisions(world) == {1: ("agreed", Rating.ESTABLISHED, "Kept.")}
