"""Moderation through the API: the visit and its notes, the moderators' report, the panel's vote
and its decisions (DOMAIN.md, steps 6 to 9).

Each endpoint does what the matching page of moderation/views.py does, with the same predicates
(`workflow.may_see_visit_notes`, `may_see_report`, `may_see_panel`) and the same domain functions
(`moderation.domain`): the rules are theirs, not copied here."""

import re

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.response import Response

from accounts.models import User
from assessments import workflow
from assessments.domain import Stale
from assessments.models import Element
from awards.models import Tier
from moderation import domain
from moderation.forms import VisitForm
from moderation.models import Ballot, Decision, Finding, Outcome, Report, Visit, VisitNote

from .base import AuthorityViewSet, CycleNestedViewSet
from .filtering import FilterSet
from .problems import IllegalTransition, StaleVersion
from .serializers import DateTimeField, ModelSerializer


def _require(predicate, user, cycle):
    """As the pages do: a person who may see the cycle but not this part of it is refused."""
    if not predicate.test(user, cycle):
        raise PermissionDenied


def _renamed(error, names):
    """A domain ValidationError with its fields named as the API names them."""
    if hasattr(error, "error_dict"):
        return DjangoValidationError(
            {names.get(field, field): messages for field, messages in error.message_dict.items()}
        )
    return error


# What the moderators recommend: the panel's outcomes, worded as a recommendation.
RECOMMENDATIONS = [
    (Outcome.AWARD, "Recommend an award"),
    (Outcome.DEFER, "Recommend a deferral"),
    (Outcome.NOT_AWARD, "Recommend not to award"),
]


class OnCycle(CycleNestedViewSet):
    """A cycle that is not the caller's to see is a 404 before anything else is read."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.cycle  # noqa: B018 (a 404 now, before the request's data is read)


# People


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, help_text="The person's id.")
    name = serializers.CharField(source="__str__", read_only=True, help_text="Their name.")


# The visit


class VisitSerializer(ModelSerializer):
    date = serializers.DateField(read_only=True, help_text="The day of the visit.")
    moderators = PersonSerializer(
        many=True, read_only=True, help_text="The visiting moderators (two; an annual visit one)."
    )
    planned_by = PersonSerializer(read_only=True, help_text="Who planned the visit.")

    class Meta:
        model = Visit
        fields = ["id", "cycle", "date", "moderators", "planned_by", "created_at"]
        read_only_fields = fields
        extra_kwargs = {
            "cycle": {"help_text": "The cycle's id."},
            "created_at": {"help_text": "When the visit was planned."},
        }


class PlanVisitSerializer(serializers.Serializer):
    moderators = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=User.objects.none(),
        help_text="The moderators' ids: exactly two for an assessment's visit, one (or two) for a "
        "review's annual visit; not the school's mentor nor anyone with a declared conflict.",
    )
    date = serializers.DateField(help_text="The day of the visit: today or later.")

    def __init__(self, *args, authority=None, **kwargs):
        super().__init__(*args, **kwargs)
        moderators = self.fields["moderators"].child_relation
        moderators.error_messages["does_not_exist"] = (
            "{pk_value} is not a moderator of this authority."
        )
        if authority is not None:  # the authority's moderators, as the page offers them
            moderators.queryset = VisitForm(authority=authority).fields["moderators"].queryset


def _visit(cycle):
    return get_object_or_404(
        Visit.objects.select_related("planned_by").prefetch_related("moderators"), cycle=cycle
    )


class VisitViewSet(OnCycle):
    """The visit of a cycle: every person who may see the cycle reads it (as on its visit page);
    the panel chair or the authority admin plans it."""

    model = Visit
    serializer_class = VisitSerializer

    def visible(self):
        return Visit.objects.filter(cycle=self.cycle)

    @extend_schema(
        summary="The cycle's visit",
        description="Its date, its moderators and who planned it; 404 while no visit is planned.",
        responses={200: VisitSerializer},
    )
    def retrieve(self, request, *args, **kwargs):
        return Response(VisitSerializer(_visit(self.cycle)).data)

    @extend_schema(
        summary="Plan the visit",
        description="The desk checkers (the panel chair with no conflict with the school, or the "
        "authority admin) choose the moderators and the date once the portfolio is accepted "
        "(an assessment: the step `plan_visit`) or the annual update is submitted (a review: "
        "`plan_annual_visit`). The moderators and the school are told. Answers the visit.",
        request=PlanVisitSerializer,
        responses={201: VisitSerializer},
        examples=[
            OpenApiExample(
                "Two moderators",
                value={"moderators": [12, 15], "date": "2026-07-01"},
                request_only=True,
            )
        ],
    )
    def plan(self, request, *args, **kwargs):
        cycle = self.cycle
        # As the page offers the form only to who may plan now: refused before the data is read.
        workflow.check(
            request.user, workflow.step_of(cycle, "plan_visit", "plan_annual_visit"), cycle
        )
        given = PlanVisitSerializer(data=request.data, authority=self.authority)
        given.is_valid(raise_exception=True)
        try:
            domain.plan_visit(
                cycle=cycle,
                by=request.user,
                moderators=given.validated_data["moderators"],
                visit_date=given.validated_data["date"],
            )
        except DjangoValidationError as error:
            raise _renamed(error, {"visit_date": "date"}) from None
        return Response(VisitSerializer(_visit(cycle)).data, status=status.HTTP_201_CREATED)


# The visit's notes


class VisitNoteSerializer(ModelSerializer):
    elements = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=Element.objects.none(),
        required=False,
        help_text="The ids of the elements of the cycle's framework the note bears on.",
    )
    client_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="An id the client makes for a new note: a note sent again with the same one (a "
        "retry after a lost answer) is saved once, and the first one is answered (200). Not "
        "changed by a PATCH.",
    )
    author_name = serializers.CharField(
        source="author.__str__", read_only=True, help_text="The author's name."
    )

    class Meta:
        model = VisitNote
        fields = [
            "id",
            "kind",
            "who",
            "subject",
            "focus",
            "notes",
            "elements",
            "author",
            "author_name",
            "created_at",
            "client_id",
        ]
        read_only_fields = ["id", "author", "author_name", "created_at"]
        extra_kwargs = {
            "kind": {"help_text": "What the note records: a meeting or a lesson observation."},
            "who": {"help_text": "Who was met, or which class was observed."},
            "notes": {"help_text": "What was seen and heard."},
            "author": {"help_text": "The id of the moderator who wrote it."},
            "created_at": {"help_text": "When it was saved."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cycle = self.context.get("cycle")
        if cycle is not None:
            self.fields["elements"].child_relation.queryset = Element.objects.filter(
                framework=cycle.framework_id
            )


class VisitNoteWrittenSerializer(VisitNoteSerializer):
    signatures_taken_back = serializers.BooleanField(
        read_only=True,
        default=False,
        help_text="Whether the change took back a moderator's signature on the draft report "
        "(it is signed as it stands: sign it again once it is finished).",
    )

    class Meta(VisitNoteSerializer.Meta):
        fields = [*VisitNoteSerializer.Meta.fields, "signatures_taken_back"]


NOTE_WRITES = (
    "The moderators of the visit write its notes while the report (a review's ratification) "
    "is not signed; a change takes back any signature on the draft report."
)


@extend_schema_view(
    list=extend_schema(
        summary="The visit's notes",
        description="Private until the report is final: the visiting moderators and the authority "
        "admin read them, and the panel members with no conflict once the report (a review's "
        "ratification) is signed. Others who may see the cycle are refused (403).",
    ),
    retrieve=extend_schema(summary="A visit note", description="Who may read it: as for the list."),
    create=extend_schema(
        summary="Add a visit note",
        description=NOTE_WRITES + " A note sent again with its `client_id` is saved once: the "
        "first one is answered with 200 rather than 201.",
        request=VisitNoteSerializer,
        responses={201: VisitNoteWrittenSerializer, 200: VisitNoteWrittenSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a visit note",
        description=NOTE_WRITES + " Fields left out keep their values.",
        request=VisitNoteSerializer,
        responses={200: VisitNoteWrittenSerializer},
    ),
    destroy=extend_schema(
        summary="Delete a visit note", description=NOTE_WRITES, responses={204: None}
    ),
)
class VisitNoteViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    OnCycle,
):
    model = VisitNote
    serializer_class = VisitNoteSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    ordering_fields = ["created_at", "id"]

    def visible(self):
        return (
            VisitNote.objects.filter(visit__cycle=self.cycle)
            .select_related("author")
            .prefetch_related("elements")
            .order_by("created_at", "pk")
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["cycle"] = self.cycle
        return context

    def list(self, request, *args, **kwargs):
        _require(workflow.may_see_visit_notes, request.user, self.cycle)
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        _require(workflow.may_see_visit_notes, request.user, self.cycle)
        return super().retrieve(request, *args, **kwargs)

    def _writer_note(self):
        """The note, for the moderators who write the visit's notes (the note pages' `_note`)."""
        note = self.get_object()
        cycle = self.cycle
        step = workflow.STEPS[workflow.step_of(cycle, "write_report", "write_ratification")]
        _require(step.who, self.request.user, cycle)
        return note

    def _written(self, note, code=status.HTTP_200_OK):
        return Response(
            VisitNoteWrittenSerializer(note, context=self.get_serializer_context()).data,
            status=code,
        )

    def create(self, request, *args, **kwargs):
        cycle = self.cycle
        given = self.get_serializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        client_id = data.get("client_id")
        sent = client_id is not None and self.visible().filter(client_id=client_id).exists()
        note = domain.add_note(
            cycle=cycle,
            by=request.user,
            kind=data["kind"],
            who=data["who"],
            notes=data["notes"],
            subject=data.get("subject", ""),
            focus=data.get("focus", ""),
            elements=data.get("elements", []),
            client_id=client_id,
        )
        return self._written(note, status.HTTP_200_OK if sent else status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        note = self._writer_note()
        given = self.get_serializer(note, data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        note = domain.edit_note(
            note=note,
            by=request.user,
            **{name: data.get(name, getattr(note, name)) for name in domain.NOTE_FIELDS},
            elements=data.get("elements", list(note.elements.all())),
        )
        return self._written(note)

    def destroy(self, request, *args, **kwargs):
        domain.delete_note(note=self._writer_note(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# The report


class FindingSerializer(serializers.Serializer):
    section = serializers.CharField(
        help_text="The section's key for `PATCH …/report/sections/<section>/`: element-<id>."
    )
    element = serializers.IntegerField(help_text="The element's id.")
    number = serializers.IntegerField(help_text="The element's number in the framework.")
    strengths = serializers.CharField(allow_blank=True)
    development = serializers.CharField(allow_blank=True, help_text="Areas for development.")
    judgement = serializers.ChoiceField(
        choices=Finding.Judgement.choices, allow_blank=True, help_text="Empty: not yet judged."
    )
    version = serializers.IntegerField(help_text="The finding's version (0: not yet written).")


class ReportSerializer(ModelSerializer):
    findings = FindingSerializer(
        source="finding_rows",
        many=True,
        read_only=True,
        help_text="A finding for every element, in their order.",
    )
    signed_by = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="The ids of the moderators who have signed it."
    )
    recommendation = serializers.ChoiceField(
        choices=RECOMMENDATIONS,
        allow_blank=True,
        read_only=True,
        help_text="award, defer or not_award; empty: not yet made.",
    )
    sign_errors = serializers.DictField(
        source="still_to_sign",
        child=serializers.CharField(),
        read_only=True,
        help_text="For the moderators writing the draft: what signing still needs, field to "
        "message (an element's judgement as `element-<id>-judgement`); empty otherwise.",
    )

    class Meta:
        model = Report
        fields = [
            "id",
            "cycle",
            "context",
            "context_version",
            "strengths",
            "next_steps",
            "recommendation",
            "tier",
            "revisit_by",
            "version",
            "findings",
            "signed_by",
            "finalised_at",
            "sign_errors",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "context_version": {"help_text": "The version of the section `context`."},
            "version": {
                "help_text": "The version of the section `overall` (strengths, next steps, "
                "recommendation, tier, revisit by)."
            },
            "finalised_at": {"help_text": "When the second moderator signed; null: a draft."},
        }


def _report_data(user, cycle, report):
    """The report as its page shows it: every element with its finding (or none yet), and for
    the moderators writing it what signing still needs."""
    findings = {f.element_id: f for f in report.findings.all()}
    rows = []
    for element in cycle.framework.elements.all():
        finding = findings.get(element.pk)
        rows.append(
            {
                "section": f"element-{element.pk}",
                "element": element.pk,
                "number": element.number,
                **{
                    name: getattr(finding, name) if finding else ""
                    for name in domain.FINDING_FIELDS
                },
                "version": finding.version if finding else 0,
            }
        )
    writing = not report.finalised_at and workflow.STEPS["write_report"].test(user, cycle)
    report.finding_rows = rows
    report.still_to_sign = domain.sign_errors(cycle, report) if writing else {}
    return ReportSerializer(report).data


def _report(cycle):
    return get_object_or_404(Report.objects.prefetch_related("signed_by"), cycle=cycle)


class ContextSection(serializers.Serializer):
    version = serializers.IntegerField(min_value=0)
    context = serializers.CharField(max_length=10000, allow_blank=True, required=False)


class OverallSection(serializers.Serializer):
    version = serializers.IntegerField(min_value=0)
    strengths = serializers.CharField(max_length=10000, allow_blank=True, required=False)
    next_steps = serializers.CharField(max_length=10000, allow_blank=True, required=False)
    recommendation = serializers.ChoiceField(
        choices=RECOMMENDATIONS, allow_blank=True, required=False
    )
    tier = serializers.ChoiceField(choices=Tier.choices, allow_blank=True, required=False)
    revisit_by = serializers.DateField(allow_null=True, required=False)


class FindingSection(serializers.Serializer):
    version = serializers.IntegerField(min_value=0)
    strengths = serializers.CharField(max_length=5000, allow_blank=True, required=False)
    development = serializers.CharField(max_length=5000, allow_blank=True, required=False)
    judgement = serializers.ChoiceField(
        choices=Finding.Judgement.choices, allow_blank=True, required=False
    )


class ReportSectionSerializer(serializers.Serializer):
    """One section of the draft report, as sent and as answered: `context` (the field context),
    `overall` (strengths, next_steps, recommendation, tier, revisit_by) or `element-<id>`
    (strengths, development, judgement). A field of another section is refused."""

    section = serializers.CharField(read_only=True, help_text="The section's key.")
    version = serializers.IntegerField(
        min_value=0,
        help_text="The section's version as last read (the report's `context_version`, "
        "`version`, or the finding's `version`); a stale one is refused with 409 and `current`.",
    )
    context = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=10000,
        help_text="`context`: the school's context and the visit's.",
    )
    strengths = serializers.CharField(
        required=False, allow_blank=True, max_length=10000, help_text="`overall` or an element."
    )
    next_steps = serializers.CharField(
        required=False, allow_blank=True, max_length=10000, help_text="`overall`."
    )
    recommendation = serializers.ChoiceField(
        choices=RECOMMENDATIONS, required=False, allow_blank=True, help_text="`overall`."
    )
    tier = serializers.ChoiceField(
        choices=Tier.choices,
        required=False,
        allow_blank=True,
        help_text="`overall`: with an award, a tier the school may be awarded.",
    )
    revisit_by = serializers.DateField(
        required=False, allow_null=True, help_text="`overall`: with a deferral, the revisit."
    )
    development = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, help_text="An element."
    )
    judgement = serializers.ChoiceField(
        choices=Finding.Judgement.choices,
        required=False,
        allow_blank=True,
        help_text="An element: met or not yet met (empty: not yet judged).",
    )


def _section_data(key, row):
    if key in domain.REPORT_SECTIONS:
        version_field, fields = domain.REPORT_SECTIONS[key]
    else:
        version_field, fields = "version", domain.FINDING_FIELDS
    data = {"section": key, "version": getattr(row, version_field)}
    for name in fields:
        value = getattr(row, name)
        data[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return data


class ReportViewSet(OnCycle):
    """The moderators' report: a draft for the two moderators and the admin until both have
    signed it; then final, read by everyone who may see the cycle."""

    model = Report
    serializer_class = ReportSerializer

    def visible(self):
        return Report.objects.filter(cycle=self.cycle)

    def _visible_report(self):
        report = _report(self.cycle)
        _require(workflow.may_see_report, self.request.user, self.cycle)
        return report

    @extend_schema(
        summary="The moderators' report",
        description="Every section with its version, a finding for every element, who has "
        "signed and whether it is final. A draft is private to the visit's moderators and the "
        "authority admin (403 for others who may see the cycle); 404 while there is none.",
        responses={200: ReportSerializer},
    )
    def retrieve(self, request, *args, **kwargs):
        return Response(_report_data(request.user, self.cycle, self._visible_report()))

    @extend_schema(
        summary="Save a section of the draft report",
        description="`section` is `context`, `overall` or `element-<id>`. Send the section's "
        "`version` as read and the fields to change (others keep their values). The two "
        "moderators write at once: a stale version is refused (409, the section as saved in "
        "`current`); a change takes back any signature. Refused once the report is final.",
        parameters=[
            OpenApiParameter(
                "section",
                str,
                OpenApiParameter.PATH,
                description="`context`, `overall` or `element-<element id>`.",
            )
        ],
        request=ReportSectionSerializer,
        responses={200: ReportSectionSerializer},
        examples=[
            OpenApiExample(
                "An element's finding",
                value={"version": 0, "strengths": "Every pupil known.", "judgement": "met"},
                request_only=True,
            )
        ],
    )
    def save_section(self, request, *args, section, **kwargs):
        cycle = self.cycle
        report = self._visible_report()
        element = None
        if section == "context":
            form, row = ContextSection, report
        elif section == "overall":
            form, row = OverallSection, report
        else:
            found = re.fullmatch(r"element-([0-9]{1,18})", section)
            if found is None:
                raise exceptions.NotFound("No such section of the report.")
            element = get_object_or_404(Element, pk=found[1], framework=cycle.framework_id)
            form = FindingSection
            row = Finding.objects.filter(report=report, element=element).first()
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError({"non_field_errors": ["Send a JSON object."]})
        extra = sorted(set(request.data) - set(form().fields))
        if extra:
            raise exceptions.ValidationError(
                {name: [f"Not a field of the section “{section}”."] for name in extra}
            )
        given = form(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        version = data.pop("version")
        fields = domain.REPORT_SECTIONS[section][1] if element is None else domain.FINDING_FIELDS
        data = {name: data.get(name, getattr(row, name) if row else "") for name in fields}
        try:
            saved = domain.save_section(
                cycle=cycle, by=request.user, section=element or section, version=version, data=data
            )
        except Stale as stale:
            raise StaleVersion(current=_section_data(section, stale.current)) from None
        return Response(_section_data(section, saved))

    @extend_schema(
        summary="Sign the report",
        description="Each visiting moderator signs the finished report; the second signature "
        "makes it final and sends the case to the panel (the step `sign_report`). Refused with "
        "400, field by field, while something signing needs is unwritten; 409 for a moderator "
        "who has signed already.",
        request=None,
        responses={200: ReportSerializer},
    )
    def sign(self, request, *args, **kwargs):
        cycle = self.cycle
        report = _report(cycle)
        workflow.check(request.user, "sign_report", cycle)
        if report.signed_by.filter(pk=request.user.pk).exists():
            raise IllegalTransition("You have signed the report already.")
        domain.sign_report(cycle=cycle, by=request.user)
        cycle.refresh_from_db()
        return Response(_report_data(request.user, cycle, _report(cycle)))


# The panel


class BallotSerializer(ModelSerializer):
    member_name = serializers.CharField(
        source="member.__str__", read_only=True, help_text="The member's name."
    )

    class Meta:
        model = Ballot
        fields = ["id", "member", "member_name", "outcome", "tier", "comment", "cast_at"]
        read_only_fields = fields
        extra_kwargs = {
            "member": {"help_text": "The panel member's id."},
            "tier": {"help_text": "With an award: the tier (a review: the tier it renews)."},
        }


class CastBallotSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=Outcome.choices,
        help_text="award, defer or not_award; a review is renewed (award) or lapses (not_award).",
    )
    tier = serializers.ChoiceField(
        choices=Tier.choices,
        required=False,
        allow_blank=True,
        help_text="With an award: a tier the school may be awarded (a review: its own).",
    )
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class DecisionSerializer(ModelSerializer):
    """What the school and everyone who sees the case read in the decision letter: not the votes,
    which only the panel page shows, to the chair. The records it names are written as their ids,
    read from the row: DRF's related fields cost more per decision than the rest of it."""

    cycle = serializers.IntegerField(source="cycle_id", read_only=True, help_text="The cycle's id.")
    school = serializers.IntegerField(source="school_id", read_only=True)
    tier = serializers.ChoiceField(
        choices=Tier.choices,
        allow_blank=True,
        read_only=True,
        help_text="With an award: the tier awarded (a review: renewed); empty otherwise.",
    )
    recorded_by = serializers.IntegerField(
        source="recorded_by_id", read_only=True, help_text="The id of the chair who recorded it."
    )
    corrects = serializers.IntegerField(
        source="corrects_id",
        allow_null=True,
        read_only=True,
        help_text="The id of the decision this one corrects; null if none.",
    )
    correction = serializers.IntegerField(
        source="correction_id",
        allow_null=True,
        read_only=True,
        help_text="The id of the decision that corrects this one; null if none.",
    )

    class Meta:
        model = Decision
        fields = [
            "id",
            "cycle",
            "school",
            "outcome",
            "tier",
            "rationale",
            "recorded_by",
            "recorded_at",
            "corrects",
            "correction_reason",
            "correction",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "rationale": {"help_text": "The panel's reasons."},
            "correction_reason": {"help_text": "Why the decision it corrects was corrected."},
        }


class VoteSerializer(serializers.Serializer):
    open = serializers.BooleanField(help_text="Whether ballots may still be cast.")
    opened_at = DateTimeField()
    opened_by = serializers.IntegerField(source="opened_by_id", help_text="The chair's id.")
    closed_at = DateTimeField(allow_null=True, help_text="When the decision was recorded.")


class OptionCountSerializer(serializers.Serializer):
    option = serializers.CharField(help_text="The option in words: “award: …”, “defer”, “renew”…")
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    tier = serializers.CharField(allow_blank=True)
    votes = serializers.IntegerField()


class ResultSerializer(serializers.Serializer):
    short_of_quorum = serializers.CharField(
        allow_blank=True, help_text="Why the panel cannot decide yet; empty once it can."
    )
    decided = serializers.CharField(
        allow_null=True, help_text="The option a decision recorded now would take; null on a tie."
    )
    tied = serializers.ListField(
        child=serializers.CharField(),
        help_text="On a tie, the tied options, as `outcome:tier` for the casting vote.",
    )


class PanelSerializer(serializers.Serializer):
    review = serializers.BooleanField(help_text="A review's renewal (renew or lapse).")
    vote = VoteSerializer(allow_null=True, help_text="The panel's vote; null until opened.")
    quorum = serializers.IntegerField(help_text="The votes the panel needs to decide.")
    ballot_count = serializers.IntegerField(help_text="The ballots cast.")
    ballots = BallotSerializer(
        many=True,
        help_text="The ballots, as the panel page shows them: to a member once they have voted, "
        "to the chair, and to all once decided; empty otherwise.",
    )
    mine = BallotSerializer(allow_null=True, help_text="The caller's own ballot, if any.")
    my_conflict = serializers.CharField(
        allow_null=True, help_text="Why the caller, a panel member, may not vote on this case."
    )
    actions = serializers.ListField(
        child=serializers.CharField(),
        help_text="The panel's steps the caller may take now: open_vote (open_review_vote), "
        "vote, decide, correct_decision.",
    )
    tally = OptionCountSerializer(
        many=True, help_text="For the chair who may record the decision: the votes per option."
    )
    result = ResultSerializer(
        allow_null=True,
        help_text="For the chair who may record the decision: what it would be now.",
    )
    decisions = DecisionSerializer(many=True, help_text="The decision and any corrections.")


PANEL_STEPS = ("open_vote", "open_review_vote", "vote", "decide", "correct_decision")


def _option(option):
    return ":".join(option)


def _panel_data(user, cycle):
    """What the panel page shows this person (moderation.views.panel)."""
    _require(workflow.may_see_panel, user, cycle)
    vote = getattr(cycle, "panel_vote", None)
    ballots = list(vote.ballots.select_related("member")) if vote else []
    mine = next((b for b in ballots if b.member_id == user.pk), None)
    actions = workflow.allowed(user, cycle)
    is_chair = workflow.is_acting_chair.test(user, cycle)
    renewing = domain.renewal_tier(cycle)
    review = renewing is not None
    decisions = list(_decisions().filter(cycle=cycle))
    deciding = vote is not None and "decide" in actions
    result = domain.vote_result(cycle) if deciding else None
    return PanelSerializer(
        {
            "review": review,
            "vote": {
                "open": vote.closed_at is None,
                "opened_at": vote.opened_at,
                "opened_by_id": vote.opened_by_id,
                "closed_at": vote.closed_at,
            }
            if vote
            else None,
            "quorum": cycle.authority.panel_quorum,
            "ballot_count": len(ballots),
            "ballots": ballots if (mine or is_chair or decisions) else [],
            "mine": mine,
            "my_conflict": (
                workflow.is_on_panel.test(user, cycle) and domain.why_not_voting(user, cycle)
            )
            or None,
            "actions": [name for name in PANEL_STEPS if name in actions],
            "tally": [
                {
                    "option": domain.option_label(option, review),
                    "outcome": option[0],
                    "tier": option[1],
                    "votes": votes,
                }
                for option, votes in result.ranked
            ]
            if result
            else [],
            "result": {
                "short_of_quorum": result.short_of_quorum,
                "decided": _option(result.top[0]) if len(result.top) == 1 else None,
                "tied": [_option(o) for o in result.top] if len(result.top) > 1 else [],
            }
            if result
            else None,
            "decisions": decisions,
        }
    ).data


class CastingSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    tier = serializers.ChoiceField(choices=Tier.choices, required=False, allow_blank=True)


class DecideSerializer(serializers.Serializer):
    rationale = serializers.CharField(max_length=5000, help_text="The panel's reasons.")
    casting = CastingSerializer(
        required=False,
        allow_null=True,
        help_text="On a tie, the chair's casting vote: one of the tied options.",
    )


class CorrectionSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices, help_text="The corrected outcome.")
    tier = serializers.ChoiceField(
        choices=Tier.choices, required=False, allow_blank=True, help_text="With an award: its tier."
    )
    rationale = serializers.CharField(max_length=5000, help_text="The panel's reasons.")
    reason = serializers.CharField(max_length=2000, help_text="Why the decision is corrected.")


class PanelViewSet(OnCycle):
    """The panel's vote on a case: the panel members with no conflict, the visiting moderators
    (who may speak, not vote) and the authority admin see it."""

    model = Ballot
    serializer_class = PanelSerializer

    def visible(self):
        return Ballot.objects.filter(vote__cycle=self.cycle)

    def _cycle(self):
        """The cycle read afresh, after a step has changed it."""
        return (
            type(self.cycle)
            .objects.select_related("school", "framework", "mentor")
            .get(pk=self.cycle.pk)
        )

    @extend_schema(
        summary="The panel's vote",
        description="Whether the vote is open, the ballots as the panel page shows them to the "
        "caller (a member sees the others' once they have voted), the caller's own ballot and "
        "why they may not vote, the steps they may take, and for the chair the tally and what a "
        "decision recorded now would be.",
        responses={200: PanelSerializer},
    )
    def retrieve(self, request, *args, **kwargs):
        return Response(_panel_data(request.user, self.cycle))

    @extend_schema(
        summary="Open the panel's vote",
        description="The panel chair, with no conflict with the school, opens the vote once the "
        "report is final (a review: once ratified); the members who may vote are told.",
        request=None,
        responses={200: PanelSerializer},
    )
    def open(self, request, *args, **kwargs):
        domain.open_vote(cycle=self.cycle, by=request.user)
        return Response(_panel_data(request.user, self._cycle()))

    @extend_schema(
        summary="Cast a ballot",
        description="A panel member votes once, not on a school they have a conflict with or "
        "visited: an award of a tier the school may be awarded, a deferral or not to award (a "
        "review: renew its tier, or lapse). Answers the ballot.",
        request=CastBallotSerializer,
        responses={201: BallotSerializer},
        examples=[
            OpenApiExample(
                "Award the Quality Mark",
                value={"outcome": "award", "tier": "quality_mark", "comment": "Clear evidence."},
                request_only=True,
            )
        ],
    )
    def vote(self, request, *args, **kwargs):
        given = CastBallotSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        ballot = domain.cast_ballot(
            cycle=self.cycle,
            by=request.user,
            outcome=given.validated_data["outcome"],
            tier=given.validated_data.get("tier", ""),
            comment=given.validated_data.get("comment", ""),
        )
        ballot = Ballot.objects.select_related("member").get(pk=ballot.pk)
        return Response(BallotSerializer(ballot).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record the panel's decision",
        description="The panel chair, with no conflict with the school, closes the vote and "
        "records the decision with the panel's reasons: it needs the quorum and a simple "
        "majority (409 with the reason otherwise); on a tie, the chair's casting vote decides. "
        "An award is made with it. Answers the decision.",
        request=DecideSerializer,
        responses={201: DecisionSerializer},
        examples=[
            OpenApiExample(
                "A tie broken",
                value={
                    "rationale": "Strong practice throughout.",
                    "casting": {"outcome": "award", "tier": "quality_mark"},
                },
                request_only=True,
            )
        ],
    )
    def decide(self, request, *args, **kwargs):
        workflow.check(request.user, "decide", self.cycle)  # as the page does, before the form
        given = DecideSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        casting = given.validated_data.get("casting")
        if casting:
            outcome = casting["outcome"]
            casting = (outcome, casting.get("tier", "") if outcome == Outcome.AWARD else "")
        decision = domain.record_decision(
            cycle=self.cycle,
            by=request.user,
            rationale=given.validated_data["rationale"],
            casting=casting,
        )
        decision = _decisions().get(pk=decision.pk)
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Correct the panel's decision",
        description="The panel chair, with no conflict with the school, records a correction of "
        "the newest decision (a mistake in what was recorded): the decision stays as it was and "
        "the correction is a new decision linked to it (`corrects`); an award made with the old "
        "one is withdrawn, and one is made with the new if it awards. The school's leads, the "
        "mentor, the moderators and the admins are told. Answers the correction.",
        request=CorrectionSerializer,
        responses={201: DecisionSerializer},
    )
    def correct(self, request, *args, **kwargs):
        workflow.check(request.user, "correct_decision", self.cycle)  # as the page, before the form
        given = CorrectionSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        outcome = given.validated_data["outcome"]
        correction = domain.correct_decision(
            decision=Decision.objects.filter(cycle=self.cycle).last(),
            by=request.user,
            outcome=outcome,
            tier=given.validated_data.get("tier", "") if outcome == Outcome.AWARD else "",
            rationale=given.validated_data["rationale"],
            reason=given.validated_data["reason"],
        )
        correction = _decisions().get(pk=correction.pk)
        return Response(DecisionSerializer(correction).data, status=status.HTTP_201_CREATED)


# Decisions


def _decisions():
    """With the school's and the correcting decision's ids, not the cycle and the correction
    whole: making those two objects for every row was most of a list's time."""
    return Decision.objects.annotate(school_id=F("cycle__school"), correction_id=F("correction"))


class DecisionFilter(FilterSet):
    cycle = filters.NumberFilter(help_text="A cycle's id.")
    school = filters.NumberFilter(field_name="cycle__school", help_text="A school's id.")
    area = filters.NumberFilter(field_name="cycle__school__area", help_text="An area's id.")
    decided_after = filters.DateFilter(
        field_name="recorded_at__date", lookup_expr="gte", help_text="Recorded on or after."
    )
    decided_before = filters.DateFilter(
        field_name="recorded_at__date", lookup_expr="lte", help_text="Recorded on or before."
    )

    class Meta:
        model = Decision
        fields = ["outcome", "tier", "cycle", "school", "area", "decided_after", "decided_before"]


@extend_schema_view(
    list=extend_schema(
        summary="The panel's decisions",
        description="The decisions on the cycles the caller may see (corrections included, each "
        "naming the decision it corrects), oldest first.",
    ),
    retrieve=extend_schema(summary="A decision"),
)
class DecisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AuthorityViewSet):
    model = Decision
    serializer_class = DecisionSerializer
    filterset_class = DecisionFilter
    ordering_fields = ["recorded_at", "id"]

    def visible(self):
        decisions = _decisions().order_by("recorded_at", "pk")
        return workflow.of_visible_cycles(decisions, self.user, self.authority)
