import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from django_scopes import scope, scopes_disabled

from assessments import domain
from assessments.frameworks import FrameworkFileError, parse_framework
from assessments.models import (
    Answer,
    Cycle,
    FrameworkVersion,
    MentorReview,
    Rating,
    Submission,
    Target,
)
from audit.models import AuditEntry
from authorities import stamps

from .assessment_helpers import (
    at_once,
    complete_answer_data,
    complete_self_review,
    review_all,
    submit,
    validate,
)

EIGHT = (
    Path(__file__).resolve().parent.parent
    / "assessments"
    / "frameworks"
    / "iqm-eight-elements.json"
)
State = Cycle.State


def element_url(world, number=1, cycle=None):
    cycle = cycle or world.cycle
    with scopes_disabled():
        element = cycle.framework.elements.get(number=number)
    return reverse(
        "assessments:element", args=[cycle.authority.slug, cycle.pk, element.pk]
    ), element


def post_answer(client, url, element, version=0, **changes):
    with scopes_disabled():
        data = complete_answer_data(element)
    form = {
        "version": version,
        "rating": data["rating"],
        **{f"descriptor-{k}": v for k, v in data["ratings"].items()},
        **{f: data[f] for f in ("practice", "evidence", "strengths", "development")},
    }
    form.update(changes)
    return client.post(url, form, headers={"HX-Request": "true"})


# Framework versions


def test_the_default_framework_has_the_ten_elements_of_the_seeds(world):
    with scope(authority=world.authority):
        titles = list(world.cycle.framework.elements.values_list("title", flat=True))
        descriptor_counts = {
            e.number: e.descriptors.count() for e in world.cycle.framework.elements.all()
        }
    assert titles == [
        "Pupil progress",
        "Pupil attitudes, values and personal development",
        "Leadership and management",
        "Staffing systems and organisation",
        "The learning environment",
        "Teaching and learning",
        "Resources and ICT",
        "Parents and carers",
        "Governors, external partners and local authority",
        "The community",
    ]
    assert descriptor_counts == {n: 4 for n in range(1, 11)}


def test_an_admin_loads_the_eight_element_framework_from_a_file(admin_client, world):
    upload = SimpleUploadedFile("eight.json", EIGHT.read_bytes(), content_type="application/json")
    response = admin_client.post(
        reverse("assessments:frameworks", args=["bathnes"]), {"file": upload, "make_current": "on"}
    )
    assert response.status_code == 302
    with scope(authority=world.authority):
        eight = FrameworkVersion.objects.get(code="iqm-eight-elements")
        assert (eight.is_current, eight.elements.count(), eight.previous.code) == (
            True,
            8,
            "iqm-ten-elements",
        )
        assert eight.elements.get(number=1).maps_from.code == "leadership"
        assert list(FrameworkVersion.objects.filter(is_current=True)) == [eight]
        # The cycle under way stays on the version it started on.
        world.cycle.refresh_from_db()
        assert world.cycle.framework.code == "iqm-ten-elements"


@pytest.mark.parametrize(
    "content, errors",
    [
        (
            b"code: x\nname: X\nelements: []\n",
            ["Line 3, elements: has 0 elements; between 1 and 30 are allowed"],
        ),
        (
            b"code: Bad Code\nname: X\nelements:\n"
            b"  - code: a\n    title: A\n    descriptors: [one]\n",
            [
                "Line 1, code: use lower-case letters, digits and single hyphens only, "
                "like ten-elements"
            ],
        ),
        (
            b"code: x\nname: X\nelements:\n"
            b"  - code: a\n    title: ''\n    descriptors: [one]\n    colour: red\n",
            [
                "Line 7, elements[1].colour: unknown field; the fields are code, descriptors, "
                "guidance, maps_from, title",
                "Line 5, elements[1].title: must not be empty",
            ],
        ),
        (
            b"code: x\nname: X\nelements:\n"
            b"  - code: a\n    title: A\n    descriptors: [one]\n"
            b"  - code: a\n    title: B\n    descriptors: ['']\n",
            [
                "Line 7, elements[2].code: \u201ca\u201d is used by an earlier element",
                "Line 9, elements[2].descriptors[1]: must not be empty",
            ],
        ),
        (
            b'{"code": "x", "name": "X",\n "elements": [}',
            ["Line 2, column 15: expected the node content, but found '}'."],
        ),
        (b"name: X\n", ["Line 1, code: is required", "Line 1, elements: is required"]),
        (b"\xff\xfe", ["The file is not UTF-8 text (byte 1 cannot be read)."]),
        (b"", ["The file is empty."]),
    ],
)
def test_a_malformed_framework_file_is_refused_naming_the_line_or_field(content, errors):
    with pytest.raises(FrameworkFileError) as raised:
        parse_framework(content)
    assert raised.value.errors == errors


def test_framework_upload_errors_show_at_the_field_and_load_nothing(admin_client, world):
    bad = (
        b"code: iqm-ten-elements\nname: Again\nprevious: nowhere\nelements:\n"
        b"  - code: a\n    title: A\n    maps_from: ghost\n    descriptors: [x]\n"
    )
    response = admin_client.post(
        reverse("assessments:frameworks", args=["bathnes"]),
        {"file": SimpleUploadedFile("f.yaml", bad)},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "file": [
            "code: this authority already has a framework \u201ciqm-ten-elements\u201d; "
            "give the new version its own code.",
            "previous: no framework \u201cnowhere\u201d has been loaded here.",
        ]
    }
    with scope(authority=world.authority):
        assert FrameworkVersion.objects.count() == 1


def test_import_framework_command(world, capsys):
    call_command("import_framework", "outsider", str(EIGHT))
    with scope(authority=world.outsider_authority):
        assert FrameworkVersion.objects.get(code="iqm-eight-elements").is_current is False
    with pytest.raises(CommandError, match="was not loaded:\n  code: this authority already has"):
        call_command("import_framework", "outsider", str(EIGHT))


# The self-review


def test_autosave_saves_and_moves_the_cycle_into_self_review(client, world):
    client.force_login(world.people["school_coordinator"])
    url, element = element_url(world)
    response = post_answer(client, url, element)
    assert response.status_code == 200
    assert 'data-version="1"' in response.content.decode()
    assert "Saved at" in response.content.decode()
    with scope(authority=world.authority):
        answer = Answer.objects.get(cycle=world.cycle, element=element)
        assert (answer.version, answer.rating, answer.updated_by) == (
            1,
            Rating.ESTABLISHED,
            world.people["school_coordinator"],
        )
        world.cycle.refresh_from_db()
        assert world.cycle.state == State.SELF_REVIEW
        assert AuditEntry.objects.filter(action="cycle.self_review_started").count() == 1


def test_a_stale_save_is_refused_with_both_versions_and_overwrites_nothing(client, world):
    client.force_login(world.people["school_coordinator"])
    url, element = element_url(world)
    post_answer(client, url, element, practice="First version")
    response = post_answer(client, url, element, version=0, practice="Written from an old copy")
    assert response.status_code == 409
    page = response.content.decode()
    assert "First version" in page and "Written from an old copy" in page
    with scope(authority=world.authority):
        answer = Answer.objects.get(cycle=world.cycle, element=element)
    assert (answer.version, answer.practice) == (1, "First version")
    # Choosing to keep one's own version is a save against the current version.
    assert (
        post_answer(
            client, url, element, version=1, practice="Written from an old copy"
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    "changes, error",
    [
        ({"rating": "7"}, "Select a valid choice. 7 is not one of the available choices."),
        ({"practice": "x" * 5001}, "Ensure this value has at most 5000 characters (it has 5001)."),
        ({"version": "abc"}, "Enter a whole number."),
    ],
)
def test_bad_answers_are_refused_and_save_nothing(client, world, changes, error):
    client.force_login(world.people["school_coordinator"])
    url, element = element_url(world)
    response = post_answer(client, url, element, **changes)
    assert response.status_code == 422
    assert error in [e for errors in response.context["form"].errors.values() for e in errors]
    assert "There is a problem" in response.content.decode()
    with scope(authority=world.authority):
        assert Answer.objects.count() == 0


def test_a_contributor_edits_only_the_elements_given_to_them(client, world):
    contributor = world.people["school_contributor"]
    client.force_login(contributor)
    url, element = element_url(world, 2)
    response = post_answer(client, url, element)
    assert response.status_code == 403
    assert (
        "You can edit only the elements your coordinator has given you."
        in response.content.decode()
    )
    with scope(authority=world.authority):
        assert Answer.objects.count() == 0
        domain.assign_element(
            cycle=world.cycle,
            element=element,
            person=contributor,
            by=world.people["school_coordinator"],
        )
    assert post_answer(client, url, element).status_code == 200
    other_url, other = element_url(world, 3)
    assert post_answer(client, other_url, other).status_code == 403


def test_task_list_status_is_honest(client, world):
    client.force_login(world.people["school_coordinator"])
    url, element = element_url(world, 1)
    post_answer(client, url, element)
    url2, element2 = element_url(world, 2)
    post_answer(client, url2, element2, practice="")
    response = client.get(reverse("assessments:cycle", args=["bathnes", world.cycle.pk]))
    assert [r["status"] for r in response.context["rows"]][:3] == [
        "complete",
        "in_progress",
        "not_started",
    ]
    assert response.context["complete"] == 1


def test_submitting_an_incomplete_self_review_is_refused(client, world):
    client.force_login(world.people["head_teacher"])
    url, element = element_url(world, 1)
    post_answer(client, url, element)
    response = client.post(
        reverse("assessments:submit", args=["bathnes", world.cycle.pk]), follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Complete every element before submitting: elements 2, 3, 4, 5, 6, 7, 8, 9, 10 still need "
        "every statement rated, an overall rating and what the school does."
    ]
    world.cycle.refresh_from_db()
    assert world.cycle.state == State.SELF_REVIEW


def test_a_contributor_cannot_submit(world):
    complete_self_review(world)
    contributor = world.people["school_contributor"]
    with scope(authority=world.authority), pytest.raises(domain.PermissionDenied):
        domain.submit_to_mentor(cycle=world.cycle, by=contributor)


def test_submission_keeps_the_audit_and_locks_it(client, world, django_capture_on_commit_callbacks):
    complete_self_review(world)
    client.force_login(world.people["head_teacher"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("assessments:submit", args=["bathnes", world.cycle.pk]))
    world.cycle.refresh_from_db()
    assert world.cycle.state == State.SUBMITTED
    assert [m.to for m in mail.outbox] == [["mentor@bathnes.test"]]
    with scope(authority=world.authority):
        submission = Submission.objects.get(cycle=world.cycle)
        assert len(submission.answers) == 10
    url, element = element_url(world)
    response = post_answer(client, url, element, version=1)
    assert response.status_code == 422
    assert (
        "The self-review has been submitted to the mentor: it can be read but not changed."
        in response.content.decode()
    )
    assert client.get(url).context["editable"] is False


@pytest.mark.parametrize(
    "transition, kwargs, message",
    [
        (
            domain.validate,
            {},
            "You cannot validate the self-review while the case is “registered”.",
        ),
        (
            domain.return_to_school,
            {"comment": "More please"},
            "You cannot return the self-review while the case is “registered”.",
        ),
    ],
)
def test_transitions_from_the_wrong_state_are_refused(world, transition, kwargs, message):
    with scope(authority=world.authority), pytest.raises(domain.TransitionError) as raised:
        transition(cycle=world.cycle, by=world.people["mentor"], **kwargs)
    assert str(raised.value) == message
    world.cycle.refresh_from_db()
    assert world.cycle.state == State.REGISTERED


def test_mentor_returns_with_comments_the_school_edits_and_the_mentor_validates(client, world):
    complete_self_review(world)
    submit(world)
    mentor = client
    mentor.force_login(world.people["mentor"])
    review_url = reverse("assessments:review", args=["bathnes", world.cycle.pk])
    response = mentor.post(
        reverse("assessments:return", args=["bathnes", world.cycle.pk]),
        {"comment": ""},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Tell the school what to change before returning the self-review."
    ]
    mentor.post(
        reverse("assessments:return", args=["bathnes", world.cycle.pk]),
        {"comment": "Say more about element 3."},
    )
    world.cycle.refresh_from_db()
    assert (world.cycle.state, world.cycle.return_comment) == (
        State.SELF_REVIEW,
        "Say more about element 3.",
    )
    mentor.force_login(world.people["school_coordinator"])
    assert (
        "Say more about element 3."
        in mentor.get(
            reverse("assessments:cycle", args=["bathnes", world.cycle.pk])
        ).content.decode()
    )
    submit(world)

    mentor.force_login(world.people["mentor"])
    response = mentor.post(reverse("assessments:validate", args=["bathnes", world.cycle.pk]))
    assert response.status_code == 422
    assert [r["element"].number for r in response.context["undecided"]] == list(range(1, 11))
    with scopes_disabled():
        elements = list(world.cycle.framework.elements.all())
    for element in elements:
        # Without the page's script: element 3 adjusted with its form, the rest agreed.
        data = {"element": element.pk, f"e{element.pk}-comment": ""}
        if element.number == 3:
            data |= {f"e{element.pk}-rating": Rating.DEVELOPING, f"e{element.pk}-comment": "Adj."}
        else:
            data[f"e{element.pk}-agree"] = "on"
        response = mentor.post(review_url, data)
        assert response.status_code == 302
    mentor.post(reverse("assessments:validate", args=["bathnes", world.cycle.pk]))
    world.cycle.refresh_from_db()
    assert world.cycle.state == State.VALIDATED
    rows = mentor.get(reverse("assessments:compare", args=["bathnes", world.cycle.pk])).context[
        "rows"
    ]
    assert [r["element"].number for r in rows if r["differs"]] == [3]
    assert (rows[2]["school_label"], rows[2]["mentor_label"]) == ("Established", "Developing")


def test_unknown_mentor_rating_is_refused(client, world):
    complete_self_review(world)
    submit(world)
    client.force_login(world.people["mentor"])
    url, element = element_url(world)
    response = client.post(
        reverse("assessments:review", args=["bathnes", world.cycle.pk]),
        {"element": element.pk, f"e{element.pk}-rating": "9"},
    )
    assert response.status_code == 422
    assert response.context["rows"][0]["form"].errors == {
        "rating": ["Select a valid choice. 9 is not one of the available choices."]
    }
    with scope(authority=world.authority):
        assert MentorReview.objects.count() == 0


def test_another_mentor_cannot_validate(world):
    from .factories import MembershipFactory, UserFactory

    complete_self_review(world)
    submit(world)
    review_all(world)
    other = UserFactory()
    MembershipFactory(authority=world.authority, user=other, role="mentor")
    with scope(authority=world.authority), pytest.raises(domain.PermissionDenied):
        domain.validate(cycle=world.cycle, by=other)


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_validations_make_exactly_one(world):
    complete_self_review(world)
    submit(world)
    review_all(world)

    def attempt():
        with scope(authority=world.authority):
            domain.validate(cycle=world.cycle, by=world.cycle.mentor)

    assert at_once(20, attempt, domain.TransitionError) == ["ok"] + ["refused"] * 19
    with scope(authority=world.authority):
        assert AuditEntry.objects.filter(action="cycle.validated").count() == 1


def test_a_renewal_on_a_new_version_prefills_what_maps_across(world):
    validate(world)
    with scope(authority=world.authority):
        Cycle.objects.filter(pk=world.cycle.pk).update(state=State.DECIDED)  # as the panel would
        domain.import_framework(
            authority=world.authority, by=None, content=EIGHT.read_bytes(), make_current=True
        )
        renewal = domain.start_cycle(
            authority=world.authority,
            by=None,
            school=world.school,
            kind="reassessment",
            mentor=world.people["mentor"],
        )
        answers = {a.element.code: a for a in renewal.answers.select_related("element")}
    assert renewal.previous == world.cycle
    assert sorted(answers) == sorted(
        [
            "values-leadership",
            "progress-achievement",
            "personal-development",
            "teaching-curriculum",
            "environment-resources",
            "staffing-development",
            "families-community",
            "governance-partnerships",
        ]
    )
    first = answers["values-leadership"]
    assert (first.prefilled, first.practice, first.ratings, first.version) == (
        True,
        "What we do for element 3.",
        {},
        0,
    )


def test_a_school_cannot_have_two_self_reviews_under_way(admin_client, world):
    response = admin_client.post(
        reverse("assessments:cycle_start", args=["bathnes"]),
        {"school": "Chandag Infant", "kind": "initial", "mentor": world.people["mentor"].pk},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "school": ["This school already has an assessment under way."]
    }
    assert 'value="Chandag Infant"' in response.content.decode()  # as typed


@pytest.mark.parametrize("state", [State.VALIDATED, State.PORTFOLIO_SUBMITTED, State.WITH_PANEL])
def test_a_school_whose_assessment_is_under_way_cannot_be_registered_again(world, state):
    """Until the panel decides, the school has its cycle: a validated self-review is still one."""
    with scope(authority=world.authority):
        Cycle.objects.filter(pk=world.cycle.pk).update(state=state)
        with pytest.raises(ValidationError) as raised:
            domain.start_cycle(
                authority=world.authority,
                by=None,
                school=world.school,
                kind="initial",
                mentor=world.people["mentor"],
            )
        assert raised.value.message_dict == {
            "school": ["This school already has an assessment under way."]
        }
        assert Cycle.objects.filter(school=world.school).count() == 1


def test_a_school_whose_assessment_was_decided_can_be_registered_for_its_reassessment(world):
    validate(world)
    with scope(authority=world.authority):
        Cycle.objects.filter(pk=world.cycle.pk).update(state=State.DECIDED)
        again = domain.start_cycle(
            authority=world.authority,
            by=None,
            school=world.school,
            kind="reassessment",
            mentor=world.people["mentor"],
        )
        assert (again.state, again.previous_id) == (State.REGISTERED, world.cycle.pk)


@pytest.mark.parametrize(
    "kind, reason",
    [
        (
            "centre_of_excellence",
            "Centre of Excellence needs a current Inclusion Quality Mark (or a higher award). "
            "The school holds no award. Centre of Excellence needs a cluster of at least 2 partner "
            "schools. The school has no partner schools yet.",
        ),
        (
            "flagship",
            "Flagship needs Centre of Excellence held without a break for at least 3 years. The "
            "school does not hold Centre of Excellence. Flagship needs at least 2 successful IQM "
            "assessments. The school has had 0.",
        ),
    ],
)
def test_a_review_for_a_tier_the_school_is_not_eligible_for_is_refused(world, kind, reason):
    with scope(authority=world.authority):
        Cycle.objects.filter(pk=world.cycle.pk).update(state=State.DECIDED)
        with pytest.raises(ValidationError) as raised:
            domain.start_cycle(
                authority=world.authority,
                by=None,
                school=world.school,
                kind=kind,
                mentor=world.people["mentor"],
            )
        assert raised.value.message_dict == {
            "kind": [f"{world.school} cannot have this review yet. {reason}"]
        }
        assert Cycle.objects.filter(school=world.school).count() == 1


# Query counts


def _small_framework(world):
    content = (
        b"code: small\nname: Small\nelements:\n  - code: a\n    title: A\n    descriptors: [one]\n"
    )
    with scope(authority=world.authority):
        framework = domain.import_framework(authority=world.authority, by=None, content=content)
        return Cycle.objects.create(
            authority=world.authority,
            school=world.other_school,
            framework=framework,
            mentor=world.people["mentor"],
        )


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("page,queries", [("assessments:cycle", 10), ("assessments:review", 8)])
def test_cycle_pages_query_count_does_not_grow_with_elements_or_answers(
    client, world, page, queries
):
    small = _small_framework(world)
    client.force_login(world.people["mentor"])
    empty_small = _count(client, reverse(page, args=["bathnes", small.pk]))
    complete_self_review(world)
    full_ten = _count(client, reverse(page, args=["bathnes", world.cycle.pk]))
    assert (empty_small, full_ten) == (queries, queries)


def test_element_page_query_count_does_not_grow_with_descriptors(client, world):
    small = _small_framework(world)
    client.force_login(world.people["mentor"])
    with scopes_disabled():
        small_element = small.framework.elements.get()
    few = _count(
        client, reverse("assessments:element", args=["bathnes", small.pk, small_element.pk])
    )
    complete_self_review(world)
    url, _ = element_url(world)
    many = _count(client, url)
    assert (few, many) == (8, 8)


def _element_reads(client, url):
    """The page's SQL queries that read a framework's elements or their statements."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    read = re.compile(r'FROM "assessments_(element|descriptor)" (?!U\d)')  # not a subquery's
    return [q["sql"] for q in queries if read.search(q["sql"])]


def test_a_frameworks_elements_are_read_once_then_kept_for_every_page(client, world):
    """A framework never changes once imported: the first page to show its elements reads them
    with their statements and keeps them in the cache, for the cycle, element and review pages."""
    complete_self_review(world)
    submit(world)
    client.force_login(world.people["mentor"])
    cycle_url = reverse("assessments:cycle", args=["bathnes", world.cycle.pk])
    review_url = reverse("assessments:review", args=["bathnes", world.cycle.pk])
    url, element = element_url(world, 3)
    cache.clear()
    assert len(_element_reads(client, cycle_url)) == 2
    for page in (cycle_url, review_url, url):
        assert _element_reads(client, page) == []
    page = client.get(url)
    assert page.context["element"] == element
    with scopes_disabled():
        statements = [d.text for d in element.descriptors.order_by("number")]
    assert statements
    assert all(escape(text) in page.content.decode() for text in statements)

    # Read afresh after a bulk change, and for a framework of the same id imported at another
    # moment (a database restored from a backup, then another framework imported).
    stamps.renew_everything()
    assert len(_element_reads(client, cycle_url)) == 2
    with scopes_disabled():
        FrameworkVersion.objects.filter(pk=world.cycle.framework_id).update(
            created_at=F("created_at") + timedelta(seconds=1)
        )
    assert len(_element_reads(client, cycle_url)) == 2
    assert _element_reads(client, cycle_url) == []


def test_each_framework_keeps_its_own_elements(client, world):
    small = _small_framework(world)
    client.force_login(world.people["mentor"])
    ten = client.get(reverse("assessments:cycle", args=["bathnes", world.cycle.pk]))
    one = client.get(reverse("assessments:cycle", args=["bathnes", small.pk]))
    assert [row["element"].title for row in one.context["rows"]] == ["A"]
    ten_ids = {row["element"].pk for row in ten.context["rows"]}
    assert len(ten_ids) == 10
    wrong = reverse("assessments:element", args=["bathnes", small.pk, min(ten_ids)])
    assert client.get(wrong).status_code == 404

    # The outsider authority's framework, read after this authority's is kept: its own.
    client.force_login(world.outsider)
    theirs = client.get(reverse("assessments:cycle", args=["outsider", world.outsider_cycle.pk]))
    assert {row["element"].framework_id for row in theirs.context["rows"]} == {
        world.outsider_cycle.framework_id
    }


def test_without_the_cache_the_elements_are_read_each_time(client, world, settings, caplog):
    """Redis for the cache unreachable: each page reads the elements itself, and works."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    client.force_login(world.people["school_coordinator"])
    url, element = element_url(world, 2)
    for _ in range(2):
        assert len(_element_reads(client, url)) == 2
    page = client.get(url)
    assert page.context["element"] == element
    assert "Could not read everything from the cache" in caplog.text


# Action plan


def test_the_school_adds_a_target_and_overdue_ones_are_marked(client, world):
    client.force_login(world.people["school_coordinator"])
    url, element = element_url(world, 4)
    response = client.post(
        reverse("assessments:target_create", args=["bathnes", world.cycle.pk]),
        {
            "element": element.pk,
            "action": "Train support staff",
            "lead": world.people["head_teacher"].pk,
            "deadline": (date.today() - timedelta(days=1)).isoformat(),
            "success_criteria": "All trained",
            "status": "on_track",
        },
    )
    assert response.status_code == 302
    response = client.get(reverse("assessments:plan", args=["bathnes", world.cycle.pk]))
    assert [t.action for t in response.context["targets"]] == ["Train support staff"]
    assert "Overdue" in response.content.decode()
    # The element by its number and name, the lead by name.
    cells = re.findall(r"<td>(.*?)</td>", response.content.decode(), re.S)
    assert cells[0] == "4. Staffing systems and organisation"
    assert cells[2].strip() == "Head teacher"


def test_a_targets_lead_is_chosen_from_the_schools_people_only(client, world):
    """The form offers the school's people, and the server refuses anyone else: a person of
    another school of the authority, its mentor, an outsider."""
    client.force_login(world.people["school_coordinator"])
    url = reverse("assessments:target_create", args=["bathnes", world.cycle.pk])
    response = client.get(url)
    offered = response.context["form"].fields["lead"].queryset
    school_people = [p.full_name for p in offered]
    assert school_people == sorted(
        world.people[r].full_name
        for r in ("head_teacher", "school_contributor", "school_coordinator")
    )
    assert "---------" not in response.content.decode()
    assert '<option value="" selected>Choose a person</option>' in response.content.decode()
    _, element = element_url(world, 4)
    for stranger in [
        world.others["other_school_coordinator"],
        world.people["mentor"],
        world.outsider,
    ]:
        response = client.post(
            url,
            {
                "element": element.pk,
                "action": "Act",
                "lead": stranger.pk,
                "deadline": "2027-01-31",
                "success_criteria": "Done",
                "status": "not_started",
            },
        )
        assert response.status_code == 200
        assert response.context["form"].errors == {
            "lead": ["Select a valid choice. That choice is not one of the available choices."]
        }
    with scope(authority=world.authority):
        assert Target.objects.count() == 0
        # The domain refuses them too, whatever form or API calls it.
        with pytest.raises(ValidationError) as refused:
            domain.save_target(
                cycle=world.cycle,
                by=world.people["school_coordinator"],
                target=Target(
                    element=element,
                    action="Act",
                    lead=world.others["other_school_coordinator"],
                    deadline=date(2027, 1, 31),
                    success_criteria="Done",
                ),
            )
        assert refused.value.message_dict == {
            "lead": ["Choose a person of the school to lead this target."]
        }
        assert Target.objects.count() == 0


def test_a_target_written_before_leads_were_people_shows_its_note_until_a_person_is_chosen(
    client, world
):
    with scope(authority=world.authority):
        target = Target.objects.create(
            cycle=world.cycle,
            element=world.cycle.framework.elements.get(number=2),
            action="Pupil voice survey",
            lead_note="The SENCo <b>",
            deadline=date(2027, 1, 31),
            success_criteria="Done",
        )
    client.force_login(world.people["school_coordinator"])
    plan = reverse("assessments:plan", args=["bathnes", world.cycle.pk])
    assert "Not chosen yet: written as “The SENCo &lt;b&gt;”" in client.get(plan).content.decode()
    edit = reverse("assessments:target_edit", args=["bathnes", world.cycle.pk, target.pk])
    assert (
        "Written before leads were chosen from the school's people: “The SENCo &lt;b&gt;”."
        in client.get(edit).content.decode()
    )
    response = client.post(
        edit,
        {
            "element": target.element_id,
            "action": "Pupil voice survey",
            "lead": world.people["school_contributor"].pk,
            "deadline": "2027-01-31",
            "success_criteria": "Done",
            "status": "on_track",
        },
    )
    assert response.status_code == 302
    with scope(authority=world.authority):
        target.refresh_from_db()
    assert (target.lead, target.lead_note) == (world.people["school_contributor"], "")


@pytest.mark.parametrize(
    "changes, errors",
    [
        (
            {"action": "", "lead": "", "deadline": "", "success_criteria": ""},
            {
                "action": ["This field is required."],
                "lead": ["This field is required."],
                "deadline": ["This field is required."],
                "success_criteria": ["This field is required."],
            },
        ),
        ({"deadline": "31/02/2027"}, {"deadline": ["Enter a valid date."]}),
        (
            {"status": "finished"},
            {"status": ["Select a valid choice. finished is not one of the available choices."]},
        ),
        (
            {"element": "OUTSIDER"},
            {
                "element": [
                    "Select a valid choice. That choice is not one of the available choices."
                ]
            },
        ),
        (
            {"action": "x" * 1001},
            {"action": ["Ensure this value has at most 1000 characters (it has 1001)."]},
        ),
    ],
)
def test_bad_targets_are_refused(client, world, changes, errors):
    client.force_login(world.people["school_coordinator"])
    _, element = element_url(world, 4)
    _, outsider_element = element_url(world, 1, cycle=world.outsider_cycle)
    data = {
        "element": element.pk,
        "action": "Act",
        "lead": world.people["head_teacher"].pk,
        "deadline": "2027-01-31",
        "success_criteria": "Done",
        "status": "not_started",
        **changes,
    }
    if data["element"] == "OUTSIDER":
        data["element"] = outsider_element.pk
    response = client.post(
        reverse("assessments:target_create", args=["bathnes", world.cycle.pk]), data
    )
    assert response.status_code == 200
    assert response.context["form"].errors == errors
    with scope(authority=world.authority):
        assert Target.objects.count() == 0


def test_the_school_sees_the_mentors_ratings_and_comments_only_once_validated(client, world):
    """Before validation the mentor's ratings are a draft: not on the school's cycle page (chart
    and table), nor beside an element; from validation on, they are."""
    complete_self_review(world)
    submit(world)
    with scope(authority=world.authority):
        for element in world.cycle.framework.elements.all():
            domain.review_element(
                cycle=world.cycle,
                element=element,
                by=world.people["mentor"],
                rating=Rating.EMBEDDED,
                comment=f"Seen in class {element.number}",
            )
        first = world.cycle.framework.elements.get(number=1)
    client.force_login(world.people["school_coordinator"])
    cycle_url = reverse("assessments:cycle", args=["bathnes", world.cycle.pk])
    element_url = reverse("assessments:element", args=["bathnes", world.cycle.pk, first.pk])

    def seen():
        page, element = client.get(cycle_url), client.get(element_url)
        return (
            page.context["see_review"],
            [s["label"] for s in page.context["chart"]["series"]],
            {row["mentor"] for row in page.context["chart_rows"]},
            "Seen in class 1" in element.content.decode(),
            element.context["review"] is not None,
        )

    assert seen() == (False, ["School's rating"], {None}, False, False)
    with scope(authority=world.authority):
        domain.validate(cycle=world.cycle, by=world.people["mentor"])
    assert seen() == (True, ["School's rating", "Mentor's rating"], {Rating.EMBEDDED}, True, True)
