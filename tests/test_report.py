"""The moderators' report (issue 13, item 3): sections that save as the two moderators type, a
conflict when both change the same section, honest "required to sign" fields checked at signing,
each element beside its ratings, visit notes and evidence, and visit notes edited or deleted until
the report is signed."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django_scopes import scope

from assessments.domain import Stale
from assessments.models import Cycle, Rating
from assessments.workflow import TransitionError
from audit.models import AuditEntry
from awards.models import Tier
from moderation import domain
from moderation.models import Finding, Outcome, Report
from portfolios.models import EvidenceItem

from .factories import PartnerFactory, give_partners
from .journey import advance

State = Cycle.State
TOMORROW = date.today() + timedelta(days=1)


@pytest.fixture
def draft(world):
    """The world's cycle with its visit planned and its report a blank draft."""
    cycle = advance(world, State.READY_FOR_VISIT)
    with scope(authority=world.authority):
        domain.plan_visit(
            cycle=cycle,
            by=world.people["panel_chair"],
            moderators=[world.people["moderator"], world.people["moderator2"]],
            visit_date=TOMORROW,
        )
        cycle.refresh_from_db()
        yield cycle


def _url(cycle, name="moderation:report", **kwargs):
    return reverse(name, kwargs={"authority_slug": "bathnes", "cycle_pk": cycle.pk, **kwargs})


def _complete(cycle, by, **overall):
    """Every field signing needs, written by `by`."""
    report = Report.objects.get(cycle=cycle)
    domain.save_section(
        cycle=cycle,
        by=by,
        section="context",
        version=report.context_version,
        data={"context": "A school."},
    )
    domain.save_section(
        cycle=cycle,
        by=by,
        section="overall",
        version=report.version,
        data={
            "strengths": "",
            "next_steps": "",
            "recommendation": Outcome.AWARD,
            "tier": Tier.QUALITY_MARK,
            "revisit_by": None,
            **overall,
        },
    )
    for element in cycle.framework.elements.all():
        domain.save_section(
            cycle=cycle,
            by=by,
            section=element,
            version=0,
            data={"strengths": "", "development": "", "judgement": "met"},
        )


# The domain


def test_two_moderators_saving_the_same_section_are_told_not_overwritten(world, draft):
    first, second = world.people["moderator"], world.people["moderator2"]
    element = draft.framework.elements.get(number=3)
    finding = {"strengths": "Mine.", "development": "", "judgement": "met"}
    domain.save_section(cycle=draft, by=first, section=element, version=0, data=finding)
    with pytest.raises(Stale) as stale:  # the second opened the page before the first saved
        domain.save_section(
            cycle=draft,
            by=second,
            section=element,
            version=0,
            data={**finding, "strengths": "Theirs."},
        )
    assert (stale.value.current.strengths, stale.value.current.version) == ("Mine.", 1)
    saved = Finding.objects.get(report__cycle=draft, element=element)
    assert (saved.strengths, saved.version) == ("Mine.", 1)
    # Another section is no conflict; keeping theirs is a save at the version they were shown.
    domain.save_section(
        cycle=draft, by=second, section="context", version=0, data={"context": "Theirs."}
    )
    domain.save_section(
        cycle=draft, by=second, section=element, version=1, data={**finding, "strengths": "Theirs."}
    )
    saved.refresh_from_db()
    report = Report.objects.get(cycle=draft)
    assert (saved.strengths, saved.version, report.context, report.context_version) == (
        "Theirs.",
        2,
        "Theirs.",
        1,
    )


def test_a_change_takes_back_the_signatures_and_a_final_report_is_not_changed(world, draft):
    first, second = world.people["moderator"], world.people["moderator2"]
    _complete(draft, first)
    domain.sign_report(cycle=draft, by=first)
    report = Report.objects.get(cycle=draft)
    unchanged = {"context": "A school."}  # saved again as the field is left: no change
    domain.save_section(cycle=draft, by=second, section="context", version=1, data=unchanged)
    assert (list(report.signed_by.all()), report.context_version) == ([first], 1)
    domain.save_section(
        cycle=draft, by=second, section="context", version=1, data={"context": "Changed."}
    )
    assert list(report.signed_by.all()) == []
    domain.sign_report(cycle=draft, by=first)
    domain.sign_report(cycle=draft, by=second)
    draft.refresh_from_db()
    with pytest.raises(TransitionError):
        domain.save_section(
            cycle=draft, by=first, section="context", version=2, data={"context": "Later."}
        )
    report.refresh_from_db()
    assert (draft.state, report.context) == (State.REPORTED, "Changed.")


def test_signing_names_every_field_still_to_write(world, draft):
    moderator = world.people["moderator"]
    elements = list(draft.framework.elements.all())
    with pytest.raises(ValidationError) as refused:
        domain.sign_report(cycle=draft, by=moderator)
    assert refused.value.message_dict == {
        "context": ["Write the school's context."],
        **{
            f"element-{e.pk}-judgement": [f"Give element {e.number}, {e.title}, a judgement."]
            for e in elements
        },
        "recommendation": ["Make a recommendation: award, defer or not award."],
    }
    _complete(draft, moderator, tier="")  # an award with no tier yet is a draft, not signable
    with pytest.raises(ValidationError) as refused:
        domain.sign_report(cycle=draft, by=moderator)
    assert refused.value.message_dict == {"tier": ["Choose the tier the moderators recommend."]}
    report = Report.objects.get(cycle=draft)
    domain.save_section(
        cycle=draft,
        by=moderator,
        section="overall",
        version=report.version,
        data={
            "strengths": "",
            "next_steps": "",
            "recommendation": Outcome.DEFER,
            "tier": "",
            "revisit_by": None,
        },
    )
    with pytest.raises(ValidationError) as refused:
        domain.sign_report(cycle=draft, by=moderator)
    assert refused.value.message_dict == {
        "revisit_by": ["A deferral needs the date of the revisit."]
    }
    assert list(report.signed_by.all()) == []


def test_a_tier_only_with_an_award(world, draft):
    with pytest.raises(ValidationError) as refused:
        domain.save_section(
            cycle=draft,
            by=world.people["moderator"],
            section="overall",
            version=0,
            data={
                "strengths": "Kept?",
                "next_steps": "",
                "recommendation": Outcome.DEFER,
                "tier": Tier.QUALITY_MARK,
                "revisit_by": TOMORROW,
            },
        )
    assert refused.value.message_dict == {
        "tier": ["Only an award has a tier: choose “–”, or recommend an award."]
    }
    report = Report.objects.get(cycle=draft)
    assert (report.strengths, report.version) == ("", 0)


def _note(cycle, by, **kwargs):
    return domain.add_note(
        cycle=cycle,
        by=by,
        kind="pupils",
        who="Year 5",
        notes="Pupils explain how they are helped.",
        elements=list(cycle.framework.elements.filter(number__in=[2, 6])),
        **kwargs,
    )


def test_visit_notes_are_edited_and_deleted_until_the_report_is_signed(world, draft):
    first, second = world.people["moderator"], world.people["moderator2"]
    note = _note(draft, first)
    three = draft.framework.elements.get(number=3)
    domain.edit_note(
        note=note, by=second, kind="pupils", who="Year 6", notes="Changed.", elements=[three]
    )
    note.refresh_from_db()
    assert (note.who, note.notes, [e.number for e in note.elements.all()]) == (
        "Year 6",
        "Changed.",
        [3],
    )
    entry = AuditEntry.objects.get(action="visit_note.edited")
    two, six = (draft.framework.elements.get(number=n).pk for n in (2, 6))
    assert (entry.actor, entry.before["who"], entry.before["elements"], entry.after) == (
        second,
        "Year 5",
        [two, six],
        {
            "kind": "pupils",
            "who": "Year 6",
            "subject": "",
            "focus": "",
            "notes": "Changed.",
            "elements": [three.pk],
        },
    )
    gone = _note(draft, first)
    gone_pk = gone.pk
    domain.delete_note(note=gone, by=first)
    assert list(draft.visit.notes.values_list("who", flat=True)) == ["Year 6"]
    entry = AuditEntry.objects.get(action="visit_note.deleted")
    assert (entry.object_id, entry.before["who"]) == (str(gone_pk), "Year 5")

    _complete(draft, first)
    domain.sign_report(cycle=draft, by=first)
    domain.sign_report(cycle=draft, by=second)
    draft.refresh_from_db()
    signed = "The report is signed: its visit notes are part of the record and cannot be changed."
    for attempt in (
        lambda: domain.edit_note(note=note, by=first, kind="staff", who="x", notes="x"),
        lambda: domain.delete_note(note=note, by=first),
    ):
        with pytest.raises(TransitionError) as refused:
            attempt()
        assert str(refused.value) == signed
    note.refresh_from_db()
    assert (note.who, AuditEntry.objects.filter(action__startswith="visit_note.").count()) == (
        "Year 6",
        2,
    )


def test_only_the_visits_moderators_change_its_notes(world, draft):
    note = _note(draft, world.people["moderator"])
    for who in ("panel_chair", "authority_admin", "mentor"):
        with pytest.raises(PermissionDenied):
            domain.delete_note(note=note, by=world.people[who])
    assert draft.visit.notes.count() == 1


# The pages


def _beside_world(world, draft, count):
    """`count` notes and evidence items tied to element 2, and the mentor's and school's ratings."""
    moderator = world.people["moderator"]
    two = draft.framework.elements.get(number=2)
    for n in range(count):
        domain.add_note(
            cycle=draft,
            by=moderator,
            kind="staff",
            who=f"Teacher {n}",
            notes="Seen.",
            elements=[two],
        )
        item = EvidenceItem.objects.create(
            cycle=draft,
            url=f"https://school.example/{n}",
            title=f"Item {n}",
            added_by=world.people["school_coordinator"],
        )
        item.elements.set([two])
    return two


@pytest.mark.parametrize("count", [1, 3, 50])
def test_the_report_shows_each_element_beside_its_ratings_notes_and_evidence(
    client, world, draft, count, django_assert_num_queries
):
    two = _beside_world(world, draft, count)
    cluster = give_partners(world.school, world.other_school)
    PartnerFactory(cluster=cluster, name="A school that left", removed_at=datetime.now(UTC))
    client.force_login(world.people["moderator"])
    # The session, user, memberships with their authorities (the page's too); the cycle with its
    # visit and report and the count of its school's cluster partners, who signed it; the
    # moderators, voters, contributors and conflicts (workflow.read_facts); the elements, each with
    # its finding, answer and review; the school's awards (the tiers it may have, with its
    # partners); beside the elements: the first notes of each element with how many there are, and
    # the evidence's links.
    with django_assert_num_queries(10):
        response = client.get(_url(draft))
    assert response.status_code == 200
    assert response.context["overall_section"]["form"].fields["tier"].help_text == (
        "Not open to this school: Centre of Excellence needs a current Inclusion Quality Mark (or "
        "a higher award). The school holds no award. Centre of Excellence needs a cluster of at "
        "least 2 partner schools. The school’s cluster has 1 partner school. Not open to this "
        "school: Flagship needs Centre of Excellence held without a break for at least 3 years. "
        "The school does not hold Centre of Excellence. Flagship needs at least 2 successful IQM "
        "assessments. The school has had 0."
    )
    sections = {e.number: (section, beside) for e, section, beside in response.context["elements"]}
    assert len(sections) == draft.framework.elements.count()
    section, beside = sections[2]
    answer = draft.answers.get(element=two)
    review = draft.reviews.get(element=two)
    assert (beside["answer"], beside["review"]) == (answer, review)
    # The first ten notes, as written, and a link to them all on the visit's page.
    assert [n.who for n in beside["notes"]] == [f"Teacher {n}" for n in range(count)][:10]
    assert beside["notes_count"] == count
    # The world's own link (tests/journey.py) is tied to no element. The first ten by title, and
    # a link to them all in the portfolio.
    assert [i.title for i in beside["evidence"]] == sorted(f"Item {n}" for n in range(count))[:10]
    assert beside["evidence_count"] == count
    assert (sections[3][1]["notes"], sections[3][1]["evidence"]) == ([], [])
    html = response.content.decode()
    assert f'href="{_url(draft, "moderation:note_edit", note_pk=beside["notes"][0].pk)}"' in html
    item_url = reverse(
        "portfolios:item",
        kwargs={
            "authority_slug": "bathnes",
            "cycle_pk": draft.pk,
            "item_pk": beside["evidence"][0].pk,
        },
    )
    assert f'href="{item_url}"' in html
    all_of_two = (
        f'<a href="{reverse("portfolios:portfolio", args=["bathnes", draft.pk])}'
        f'?element={two.pk}#evidence">All {count} items of evidence for element 2</a>'
    )
    assert (all_of_two in html) == (count > 10)
    assert f"<h4>Visit notes ({count})</h4>" in html
    all_notes = (
        f'The first 10 are shown here: <a href="{_url(draft, "moderation:visit")}#notes">the '
        f"visit's notes</a> list all {count} tied to element 2."
    )
    assert (all_notes in html) == (count > 10)
    assert Rating(answer.rating).label in html
    # Honest labels: what signing needs says so; the rest is optional.
    assert html.count("(required to sign)") == 2 + draft.framework.elements.count()
    assert html.count("(required to sign an award)") == 1
    assert html.count("(required to sign a deferral)") == 1
    assert html.count("(optional)") == 2 + 2 * draft.framework.elements.count()


def test_a_section_saves_and_a_stale_copy_gets_both_versions(client, world, draft):
    element = draft.framework.elements.get(number=4)
    client.force_login(world.people["moderator"])
    data = {
        "section": f"element-{element.pk}",
        "version": 0,
        "strengths": "Calm classrooms.",
        "development": "",
        "judgement": "met",
    }
    saved = client.post(_url(draft), data, headers={"HX-Request": "true"})
    assert (saved.status_code, saved.context["section"]["form"]["version"].value()) == (200, 1)
    assert 'data-version="1"' in saved.content.decode()
    other = client.post(
        _url(draft), {**data, "strengths": "Noisy corridors."}, headers={"HX-Request": "true"}
    )
    assert other.status_code == 409
    section = other.context["section"]
    assert (section["their_version"], section["comparison"]) == (
        1,
        [
            ("Strengths", "Calm classrooms.", "Noisy corridors."),
            ("Areas for development", "–", "–"),
            ("Judgement", "Met", "Met"),
        ],
    )
    html = other.content.decode()
    assert 'data-keep-mine="1"' in html
    assert f'href="{_url(draft)}#element-{element.pk}"' in html
    assert Finding.objects.get(report__cycle=draft, element=element).strengths == "Calm classrooms."
    # Bad input is named, and nothing is saved.
    bad = client.post(
        _url(draft),
        {"section": "overall", "version": 0, "recommendation": "defer", "tier": "quality_mark"},
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 422
    assert "Only an award has a tier: choose “–”, or recommend an award." in bad.content.decode()
    # Without JavaScript: the save returns to the section.
    plain = client.post(_url(draft), {"section": "context", "version": 0, "context": "Small."})
    assert (plain.status_code, plain["Location"]) == (302, f"{_url(draft)}#context")
    assert client.post(_url(draft), {"section": "element-0", "version": 0}).status_code == 404


def test_signing_too_early_shows_what_is_missing_linked_to_its_fields(client, world, draft):
    client.force_login(world.people["moderator"])
    response = client.post(_url(draft, "moderation:sign"))
    assert response.status_code == 422
    html = response.content.decode()
    first = draft.framework.elements.get(number=1)
    assert '<a href="#id_context">Write the school&#x27;s context.</a>' in html
    link = f'<a href="#id_element-{first.pk}-judgement">'
    assert f"{link}Give element 1, {first.title}, a judgement.</a>" in html
    assert f'id="id_element-{first.pk}-judgement"' in html
    assert Report.objects.get(cycle=draft).signed_by.count() == 0


def test_a_note_is_edited_then_refused_once_the_report_is_signed(client, world, draft):
    first, second = world.people["moderator"], world.people["moderator2"]
    note = _note(draft, first)
    client.force_login(second)
    url = _url(draft, "moderation:note_edit", note_pk=note.pk)
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"kind": "staff", "who": "SENCo", "notes": "Knows every pupil.", "elements": []}
    )
    assert (response.status_code, response["Location"]) == (302, _url(draft, "moderation:visit"))
    note.refresh_from_db()
    assert (note.kind, note.who, note.elements.count()) == ("staff", "SENCo", 0)

    _complete(draft, first)
    domain.sign_report(cycle=draft, by=first)
    domain.sign_report(cycle=draft, by=second)
    signed = "The report is signed: its visit notes are part of the record and cannot be changed."
    page = client.get(url)
    assert (page.status_code, page.context["closed"]) == (200, signed)
    assert "<form" not in page.content.decode().split("<main")[1].split("</main>")[0]
    refused = client.post(_url(draft, "moderation:note_delete", note_pk=note.pk), follow=True)
    assert [str(m) for m in refused.context["messages"]] == [signed]
    assert draft.visit.notes.count() == 1


SIGNED = "The report is signed: it can no longer be changed."
TAKEN_BACK = " The report's signature is taken back: sign it again once it is finished."


def test_a_save_after_the_second_signature_says_so_in_its_section(client, world, draft):
    first, second = world.people["moderator"], world.people["moderator2"]
    _complete(draft, first)
    client.force_login(first)
    page = client.get(_url(draft))  # open while the co-moderator signs
    assert page.context["editable"] is True
    domain.sign_report(cycle=draft, by=first)
    domain.sign_report(cycle=draft, by=second)
    data = {"section": "context", "version": 1, "context": "Changed."}
    refused = client.post(_url(draft), data, headers={"HX-Request": "true"})
    assert (refused.status_code, [t.name for t in refused.templates][0]) == (
        403,
        "moderation/_section_status.html",
    )
    html = refused.content.decode().strip()
    assert html.startswith('<div id="save-status-context"') and "<html" not in html
    assert f"<p>Not saved:</p><ul><li>{SIGNED}</li></ul>" in html
    plain = client.post(_url(draft), data)
    assert (plain.status_code, [str(m) for m in plain.context["messages"]]) == (403, [SIGNED])
    assert Report.objects.get(cycle=draft).context == "A school."


def test_saved_at_only_in_the_answer_to_a_save_in_a_live_region_that_stays(
    client, world, draft, time_machine
):
    client.force_login(world.people["moderator"])
    html = client.get(_url(draft)).content.decode()
    assert "Saved at" not in html
    assert html.count("<p>Not written yet.</p>") == draft.framework.elements.count()
    # Each status box sits in a live region that stays; the box alone is swapped, carrying its
    # version for static/js/autosave.js.
    assert (
        '<div class="save-status-region" role="status">\n<div id="save-status-context" '
        'class="save-status save-status--inline" data-version="0">'
    ) in html
    assert 'hx-target="#save-status-context" hx-swap="outerHTML"' in html
    time_machine.move_to(datetime(2026, 12, 3, 9, 41, tzinfo=UTC), tick=False)
    saved = client.post(
        _url(draft),
        {"section": "context", "version": 0, "context": "Small."},
        headers={"HX-Request": "true"},
    )
    assert saved.content.decode().strip() == (
        '<div id="save-status-context" class="save-status save-status--inline" '
        'data-version="1">\n\n  <p>Saved at <time datetime="2026-12-03T09:41:00+00:00">09:41'
        "</time>.</p>\n\n</div>"
    )


def test_a_note_changed_after_one_signature_takes_it_back(client, world, draft):
    first, second = world.people["moderator"], world.people["moderator2"]
    _complete(draft, first)
    report = Report.objects.get(cycle=draft)
    domain.sign_report(cycle=draft, by=first)
    note = _note(draft, second)
    assert (note.signatures_taken_back, list(report.signed_by.all())) == (True, [])
    assert _note(draft, second).signatures_taken_back is False  # nothing left to take back
    domain.sign_report(cycle=draft, by=first)
    client.force_login(second)
    edited = client.post(
        _url(draft, "moderation:note_edit", note_pk=note.pk),
        {"kind": "staff", "who": "SENCo", "notes": "Knows every pupil.", "elements": []},
        follow=True,
    )
    assert [str(m) for m in edited.context["messages"]] == ["Note saved." + TAKEN_BACK]
    assert list(report.signed_by.all()) == []
    domain.sign_report(cycle=draft, by=second)
    assert domain.delete_note(note=note, by=first) is True
    assert (list(report.signed_by.all()), draft.visit.notes.count()) == ([], 1)
    draft.refresh_from_db()
    assert draft.state == State.VISIT_PLANNED


def test_each_sections_labels_name_its_element_and_ids_are_unique(client, world, draft):
    client.force_login(world.people["moderator"])
    html = client.get(_url(draft)).content.decode()
    first = draft.framework.elements.get(number=1)
    label = f'<label class="label" for="id_element-{first.pk}-strengths">Strengths'
    assert f'{label}<span class="visually-hidden"> for element 1</span>' in html
    count = draft.framework.elements.count()
    assert html.count('<span class="visually-hidden"> for element 1</span>') == 3
    assert html.count('<span class="visually-hidden"> for element ') == 3 * count
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert [i for i in set(ids) if ids.count(i) > 1] == []
    assert ('id="id_context-version"', 'id="id_overall-version"') == tuple(
        f'id="{i}"' for i in ids if i in ("id_context-version", "id_overall-version")
    )


def test_the_title_says_error_when_the_report_cannot_be_signed_yet(client, world, draft):
    client.force_login(world.people["moderator"])
    html = client.get(_url(draft, "moderation:sign_check")).content.decode()
    assert f"<title>Error: Assessment report – {draft.school.name} – IQM Portal</title>" in html
    assert "<title>Assessment report – " in client.get(_url(draft)).content.decode()
