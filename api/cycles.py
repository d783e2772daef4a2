"""Cycles, the school's self-review and the mentor's validation: /api/v1/<slug>/cycles/….

Everything here is read through the workflow (`visible_cycles`, `allowed`, `may_see_mentor_review`)
and changed through `assessments.domain`, exactly as the browser's pages in assessments/views.py
do: registration with the register page's form and `start_cycle`, an answer with `save_answer`,
the steps with `submit_to_mentor`, `return_to_school`, `validate`, `review_element` and
`agree_with_remaining`.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Prefetch
from django.http import Http404
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.models import User
from assessments import domain, workflow
from assessments.forms import ReturnForm, StartCycleForm
from assessments.models import Answer, Cycle, Rating
from audit.models import AuditEntry
from schools.models import School

from .base import AuthorityViewSet, CycleNestedViewSet
from .filtering import FilterSet
from .problems import IllegalTransition, StaleVersion
from .serializers import ChoiceLabel, DateTimeField, ModelSerializer

State = Cycle.State
ID_MAX = 2**63 - 1  # the largest id the database has
ELEMENT = OpenApiParameter(
    "element_pk", int, OpenApiParameter.PATH, description="The element's id (see `element.id`)."
)

# Serializers


class NamedRef(serializers.Serializer):
    id = serializers.IntegerField(help_text="Its id.")
    name = serializers.CharField(help_text="Its name, as the portal shows it.")

    def to_representation(self, instance):
        return {"id": instance.pk, "name": str(getattr(instance, "name", instance))}


@extend_schema_field(NamedRef)
class ShownRef(serializers.Field):
    """A NamedRef from the row itself: its `<relation>_id` and the `<relation>_name` that the
    view's `shown` read with it (CycleViewSet), not an object made of the related row."""

    def __init__(self, relation: str, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)
        self.relation = relation

    def to_representation(self, row):
        return {
            "id": getattr(row, f"{self.relation}_id"),
            "name": getattr(row, f"{self.relation}_name"),
        }


class CycleElementRef(serializers.Serializer):
    id = serializers.IntegerField(help_text="The element's id: the `element_pk` of its routes.")
    number = serializers.IntegerField(help_text="Its number in the framework (1, 2, …).")
    code = serializers.CharField(help_text="Its code in the framework file.")
    title = serializers.CharField()


class CycleHistoryEntry(serializers.Serializer):
    event = serializers.CharField(help_text="The step's event: registered, submitted, returned, …")
    label = serializers.CharField(help_text="What the step did, in words.")
    from_state = serializers.CharField(allow_null=True, help_text="The state before.")
    to_state = serializers.CharField(allow_null=True, help_text="The state after.")
    at = DateTimeField(help_text="When.")
    by = NamedRef(allow_null=True, help_text="Who took the step (null: the system or an import).")


# What each step's audit event means, in words: read from the workflow's steps.
EVENT_LABELS = {f"cycle.{s.event or s.name}": s.label for s in workflow.STEPS.values()}


def history(cycle) -> list[dict]:
    """The cycle's steps as the audit log recorded them, oldest first: only the workflow's steps
    (cycle.<event>), each with the state before and after and who took it; no answer, rating,
    comment or draft is in them."""
    entries = (
        AuditEntry.objects.filter(
            object_type=Cycle._meta.label, object_id=str(cycle.pk), action__startswith="cycle."
        )
        .select_related("actor")
        .order_by("created_at", "pk")
    )
    return [
        {
            "event": entry.action.removeprefix("cycle."),
            "label": EVENT_LABELS.get(entry.action, entry.action.removeprefix("cycle.")),
            "from_state": entry.before.get("state"),
            "to_state": entry.after.get("state"),
            "at": entry.created_at,
            "by": entry.actor,
        }
        for entry in entries
    ]


class CycleSerializer(ModelSerializer):
    school = ShownRef("school", help_text="The school.")
    kind_label = ChoiceLabel("kind", help_text="The kind, in words.")
    state_label = ChoiceLabel("state", help_text="The state, in words.")
    mentor = ShownRef("mentor", help_text="The school's mentor.")
    framework = ShownRef("framework", help_text="The framework version the self-review is on.")
    return_comment = serializers.SerializerMethodField(
        help_text="Why the self-review or the portfolio was returned, while the school is "
        "changing it (as the cycle's page shows it); else empty."
    )
    actions = serializers.SerializerMethodField(
        help_text="The workflow's steps the caller may take now (e.g. `edit_answers`, `submit`, "
        "`review`, `return`, `validate`); see README, “API”."
    )

    class Meta:
        model = Cycle
        fields = [
            "id",
            "school",
            "kind",
            "kind_label",
            "state",
            "state_label",
            "mentor",
            "framework",
            "previous",
            "created_at",
            "submitted_at",
            "validated_at",
            "portfolio_submitted_at",
            "return_comment",
            "actions",
        ]
        extra_kwargs = {
            "kind": {"help_text": "initial, reassessment, centre_of_excellence or flagship."},
            "state": {"help_text": "Where the case is in the workflow."},
            "previous": {"help_text": "The school's earlier validated cycle it renews, or null."},
            "created_at": {"help_text": "When the school was registered."},
            "submitted_at": {"help_text": "When the self-review was last submitted to the mentor."},
            "validated_at": {"help_text": "When the mentor validated the self-review."},
            "portfolio_submitted_at": {"help_text": "When the portfolio was submitted."},
        }

    def get_return_comment(self, cycle) -> str:
        return cycle.return_comment if cycle.state in workflow.RETURN_STATES else ""

    def get_actions(self, cycle) -> list[str]:
        allowed = workflow.allowed(self.context["request"].user, cycle)
        return [name for name in workflow.STEPS if name in allowed]


class CycleDetailSerializer(CycleSerializer):
    history = serializers.SerializerMethodField(
        help_text="The workflow's steps taken on the cycle, oldest first."
    )

    class Meta(CycleSerializer.Meta):
        fields = [*CycleSerializer.Meta.fields, "history"]

    @extend_schema_field(CycleHistoryEntry(many=True))
    def get_history(self, cycle):
        return CycleHistoryEntry(history(cycle), many=True).data


class RegisterSerializer(serializers.Serializer):
    school = serializers.IntegerField(min_value=1, max_value=ID_MAX, help_text="The school's id.")
    kind = serializers.ChoiceField(
        choices=Cycle.Kind.choices,
        help_text="A kind the school may be registered for now (a review needs the award "
        "before it).",
    )
    mentor = serializers.IntegerField(
        min_value=1, max_value=ID_MAX, help_text="The id of a mentor of this authority."
    )


class StatementRating(serializers.Serializer):
    id = serializers.IntegerField(help_text="The statement's id: its key in `ratings`.")
    number = serializers.IntegerField()
    text = serializers.CharField()
    rating = serializers.IntegerField(allow_null=True, help_text="The school's rating, 0–4.")


RATING_HELP = "0 Not yet started, 1 Emerging, 2 Developing, 3 Established, 4 Embedded; null: none."


class AnswerSerializer(serializers.Serializer):
    """One element of the self-review: the school's answer (as saved) beside the element."""

    element = CycleElementRef()
    status = serializers.CharField(help_text="complete, in_progress or not_started.")
    version = serializers.IntegerField(
        help_text="Send it back with a change: a save from an older version is refused (409)."
    )
    rating = serializers.IntegerField(allow_null=True, help_text=RATING_HELP)
    ratings = serializers.DictField(
        child=serializers.IntegerField(allow_null=True),
        help_text="Each rated statement's id (as text) to its rating.",
    )
    statements = StatementRating(many=True, help_text="The element's statements, with ratings.")
    practice = serializers.CharField(help_text="What the school does.")
    evidence = serializers.CharField()
    strengths = serializers.CharField()
    development = serializers.CharField(help_text="Areas for development.")
    prefilled = serializers.BooleanField(help_text="Carried over from the previous cycle.")
    updated_by = NamedRef(allow_null=True, help_text="Who saved it last.")
    updated_at = DateTimeField(allow_null=True)

    def to_representation(self, row):
        element, answer = row["element"], row["answer"]
        ratings = answer.ratings if answer else {}
        fields = self.fields  # built once for the whole list, not for each row
        return {
            "element": fields["element"].to_representation(element),
            "status": row["status"],
            "version": answer.version if answer else 0,
            "rating": answer.rating if answer else None,
            "ratings": ratings,
            "statements": [
                {"id": d.pk, "number": d.number, "text": d.text, "rating": ratings.get(str(d.pk))}
                for d in element.descriptors.all()
            ],
            **{f: getattr(answer, f) if answer else "" for f in domain.ANSWER_TEXTS},
            "prefilled": answer.prefilled if answer else False,
            "updated_by": fields["updated_by"].to_representation(answer.updated_by)
            if answer and answer.updated_by
            else None,
            "updated_at": fields["updated_at"].to_representation(answer.updated_at)
            if answer and answer.updated_at
            else None,
        }


class AnswerWrite(serializers.Serializer):
    """What the element's page sends (AnswerForm): the whole answer, replacing the saved one."""

    version = serializers.IntegerField(
        min_value=0, help_text="The `version` read (0 for an element never saved)."
    )
    rating = serializers.ChoiceField(
        choices=Rating.choices, allow_null=True, required=False, default=None, help_text=RATING_HELP
    )
    ratings = serializers.DictField(
        child=serializers.ChoiceField(choices=Rating.choices, allow_null=True),
        required=False,
        default=dict,
        help_text="Each statement's id (as text) to its rating; statements left out or null are "
        "not rated.",
    )
    practice = serializers.CharField(
        required=False, default="", allow_blank=True, help_text="What the school does."
    )
    evidence = serializers.CharField(required=False, default="", allow_blank=True)
    strengths = serializers.CharField(required=False, default="", allow_blank=True)
    development = serializers.CharField(required=False, default="", allow_blank=True)

    def answer_data(self) -> dict:
        """As AnswerForm.answer_data: statements not rated are left out."""
        data = self.validated_data
        return {
            "rating": data["rating"],
            "ratings": {str(k): v for k, v in data["ratings"].items() if v is not None},
            **{name: data[name] for name in domain.ANSWER_TEXTS},
        }


class MentorReviewSerializer(serializers.Serializer):
    element = CycleElementRef()
    school_rating = serializers.IntegerField(
        allow_null=True, help_text="The school's rating of the element now."
    )
    rating = serializers.IntegerField(
        allow_null=True, help_text="The mentor's rating; null: not decided yet."
    )
    comment = serializers.CharField(help_text="The mentor's comment for the school.")
    decision = serializers.CharField(
        help_text="undecided, agreed, adjusted, or changed (decided before the school changed "
        "its rating after a return: to decide again)."
    )
    updated_at = DateTimeField(allow_null=True)

    def to_representation(self, row):
        answer, review = row["answer"], row["review"]
        fields = self.fields
        return {
            "element": fields["element"].to_representation(row["element"]),
            "school_rating": answer.rating if answer else None,
            "rating": review.rating if review else None,
            "comment": review.comment if review else "",
            "decision": row["decision"],
            "updated_at": fields["updated_at"].to_representation(review.updated_at)
            if review
            else None,
        }


class MentorReviewWrite(serializers.Serializer):
    """What the mentor's page sends for one element (ReviewForm)."""

    rating = serializers.ChoiceField(
        choices=Rating.choices,
        allow_null=True,
        required=False,
        default=None,
        help_text="The mentor's rating (null: keep the one chosen, or none yet).",
    )
    comment = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        help_text="For the school; say why if you adjust the rating.",
    )
    agree = serializers.BooleanField(
        required=False, default=False, help_text="Agree with the school's rating (sets `rating`)."
    )


class ReturnWrite(serializers.Serializer):
    """What the mentor's page sends to return the self-review (ReturnForm), with its messages."""

    comment = serializers.CharField(
        max_length=ReturnForm.base_fields["comment"].max_length,
        error_messages={
            "required": ReturnForm.base_fields["comment"].error_messages["required"],
            "blank": ReturnForm.base_fields["comment"].error_messages["required"],
        },
        help_text="What the school should change.",
    )


class AgreedWithRemaining(serializers.Serializer):
    agreed = serializers.ListField(
        child=serializers.IntegerField(), help_text="The ids of the elements agreed now."
    )
    reviews = MentorReviewSerializer(many=True, help_text="Every element's review as it is now.")


# Cycles


class CycleFilter(FilterSet):
    state = filters.MultipleChoiceFilter(
        choices=State.choices, help_text="The state (repeat for several)."
    )
    kind = filters.MultipleChoiceFilter(
        choices=Cycle.Kind.choices, help_text="The kind (repeat for several)."
    )
    school = filters.NumberFilter(help_text="A school's id.")
    area = filters.NumberFilter(field_name="school__area", help_text="An area's id.")
    mentor = filters.NumberFilter(help_text="A mentor's id.")
    created_after = filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", help_text="Registered on or after."
    )
    created_before = filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", help_text="Registered on or before."
    )
    submitted_after = filters.DateFilter(
        field_name="submitted_at",
        lookup_expr="date__gte",
        help_text="Self-review last submitted on or after.",
    )
    submitted_before = filters.DateFilter(
        field_name="submitted_at",
        lookup_expr="date__lte",
        help_text="Self-review last submitted on or before.",
    )
    validated_after = filters.DateFilter(
        field_name="validated_at", lookup_expr="date__gte", help_text="Validated on or after."
    )
    validated_before = filters.DateFilter(
        field_name="validated_at", lookup_expr="date__lte", help_text="Validated on or before."
    )

    class Meta:
        model = Cycle
        fields = ["state", "kind", "school", "area", "mentor"]


STEP_RESPONSES = {200: CycleDetailSerializer}


def _valid(form):
    """A browser page's form, valid, or its messages as the API's field errors."""
    if not form.is_valid():
        raise ValidationError(
            {
                "non_field_errors" if field == "__all__" else field: [e["message"] for e in errors]
                for field, errors in form.errors.get_json_data().items()
            }
        )
    return form


@extend_schema_view(
    list=extend_schema(
        summary="List cycles",
        description="The cycles the caller may see (the admin: all of the authority's; school "
        "staff: their school's; a mentor: those they mentor; moderators and the panel: as the "
        "workflow lets them), by school name then newest first.",
    ),
    retrieve=extend_schema(
        summary="A cycle",
        description="The cycle with its history (the workflow's steps taken, who took them and "
        "when) and `actions`: the steps the caller may take now.",
    ),
    create=extend_schema(
        summary="Register a school",
        description="An authority admin registers a school for a kind of cycle with its mentor, "
        "on the current framework (the browser's “Register a school”).",
        request=RegisterSerializer,
        responses={201: CycleDetailSerializer},
        examples=[
            OpenApiExample(
                "Register", value={"school": 12, "kind": "initial", "mentor": 7}, request_only=True
            )
        ],
    ),
)
class CycleViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, AuthorityViewSet
):
    model = Cycle
    filterset_class = CycleFilter
    ordering_fields = ["created_at", "submitted_at", "validated_at", "state", "school__name"]

    def get_serializer_class(self):
        if self.action == "list":
            return CycleSerializer
        if self.action == "create":
            return RegisterSerializer
        return CycleDetailSerializer

    def visible(self):
        # What `allowed` reads of each cycle beyond its own row (who moderates, voted, is
        # conflicted or was given elements) is read by `read_facts`, for a page at once. No step's
        # `who` reads the visit, report, vote or ratification themselves, so they are not read.
        cycles = workflow.visible_cycles(self.user, self.authority)
        if self.action not in ("list", "retrieve"):  # a step reads them (whom to tell, elements)
            cycles = cycles.select_related("school", "mentor", "framework")
        return cycles.order_by("school__name", "-created_at", "pk")

    def shown(self, cycles):
        # Of its school, mentor and framework, a cycle shows their names alone (ShownRef).
        return cycles.annotate(
            school_name=F("school__name"),
            mentor_name=User.name_at("mentor"),
            framework_name=F("framework__name"),
        )

    def read_shown(self, cycles):
        workflow.read_facts(cycles)

    def _now(self, cycle):
        """The cycle as it is now, as its detail shows it."""
        fresh = self.get_queryset().get(pk=cycle.pk)
        self.read_shown([fresh])
        return Response(CycleDetailSerializer(fresh, context=self.get_serializer_context()).data)

    def create(self, request, *args, **kwargs):
        if not workflow.STEPS["register"].who.test(self.user, self.authority):
            raise PermissionDenied(workflow.STEPS["register"].refusal)
        typed = RegisterSerializer(data=request.data)
        typed.is_valid(raise_exception=True)
        # The register page's own form: the school of this authority, a kind it may be
        # registered for (kind_options), a mentor of this authority. Its school picker takes
        # what a person types, or a school: the API names the school by its id.
        data = dict(typed.validated_data)
        data["school"] = School.objects.filter(pk=data["school"]).first()
        if data["school"] is None:
            raise ValidationError({"school": ["No school of this authority has this id."]})
        form = _valid(StartCycleForm(data, authority=self.authority))
        try:
            cycle = domain.start_cycle(authority=self.authority, by=self.user, **form.cleaned_data)
        except DjangoValidationError as error:
            # The form has checked the school is one of this authority's: the domain refusing the
            # school means it has a cycle under way, a conflict with the state of things.
            school = getattr(error, "error_dict", {}).get("school")
            if school:
                raise IllegalTransition(school[0].messages[0]) from None
            raise
        response = self._now(cycle)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(
        summary="Submit the self-review to the mentor",
        description="The head teacher or the coordinator, once every element is complete. 409 "
        "names the elements still to complete.",
        request=None,
        responses=STEP_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, *args, **kwargs):
        cycle = self.get_object()
        domain.submit_to_mentor(cycle=cycle, by=self.user)
        return self._now(cycle)

    @extend_schema(
        summary="Return the self-review to the school",
        description="The mentor sends the self-review back with what to change; their decisions "
        "on its elements are kept for when it comes back.",
        request=ReturnWrite,
        responses=STEP_RESPONSES,
        examples=[
            OpenApiExample(
                "Return", value={"comment": "Say more about element 3."}, request_only=True
            )
        ],
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, *args, **kwargs):
        cycle = self.get_object()
        data = ReturnWrite(data=request.data)
        data.is_valid(raise_exception=True)
        domain.return_to_school(cycle=cycle, by=self.user, comment=data.validated_data["comment"])
        return self._now(cycle)

    @extend_schema(
        summary="Validate the self-review",
        description="The mentor, once every element is agreed or adjusted: the school then sees "
        "the mentor's ratings and comments.",
        request=None,
        responses=STEP_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def validate(self, request, *args, **kwargs):
        cycle = self.get_object()
        domain.validate(cycle=cycle, by=self.user)
        return self._now(cycle)


# The self-review's answers


def answer_rows(cycle) -> list[dict]:
    """Every element of the cycle's framework with the school's answer and its status (the
    self-review's task list, domain.element_rows), in two queries however many elements (the
    elements themselves are kept in the cache: domain.elements_of)."""
    fresh = (
        Cycle.objects.select_related("framework")
        .prefetch_related(Prefetch("answers", queryset=Answer.objects.select_related("updated_by")))
        .get(pk=cycle.pk)
    )
    return domain.element_rows(fresh, with_reviews=False)


def _row(rows, element_pk) -> dict:
    found = next((r for r in rows if r["element"].pk == element_pk), None)
    if found is None:
        raise Http404
    return found


@extend_schema_view(
    list=extend_schema(
        summary="The self-review's answers",
        description="One row per element of the cycle's framework, in order, with the school's "
        "answer as saved (an element never saved has version 0 and empty fields).",
    ),
    retrieve=extend_schema(
        summary="One element's answer",
        description="The school's answer to one element, as saved, with its `version`.",
        parameters=[ELEMENT],
    ),
    update=extend_schema(
        summary="Save one element's answer",
        description="The whole answer, as the element's page saves it: the head teacher and the "
        "coordinator any element, a contributor the elements given to them (else 403), while the "
        "self-review is with the school (else 409). Send the `version` you read: if someone has "
        "saved since, 409 `stale_version` with the answer now in `current`. The first save "
        "starts the self-review.",
        parameters=[ELEMENT],
        request=AnswerWrite,
        examples=[
            OpenApiExample(
                "Answer",
                value={
                    "version": 0,
                    "rating": 3,
                    "ratings": {"101": 3, "102": 2},
                    "practice": "Every pupil has a key adult.",
                    "evidence": "Tracking data.",
                    "strengths": "Warm relationships.",
                    "development": "Share practice with the cluster.",
                },
                request_only=True,
            )
        ],
    ),
)
class AnswerViewSet(CycleNestedViewSet):
    model = Answer
    serializer_class = AnswerSerializer
    lookup_url_kwarg = "element_pk"
    filter_backends = []  # the framework's elements, in their order
    http_method_names = ["get", "put", "head", "options"]

    def visible(self):
        return Answer.objects.filter(cycle=self.cycle)

    def list(self, request, *args, **kwargs):
        rows = answer_rows(self.cycle)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(AnswerSerializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(AnswerSerializer(_row(answer_rows(self.cycle), self._element_pk)).data)

    def update(self, request, *args, **kwargs):
        row = _row(answer_rows(self.cycle), self._element_pk)
        data = AnswerWrite(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            domain.save_answer(
                cycle=self.cycle,
                element=row["element"],
                by=self.user,
                version=data.validated_data["version"],
                data=data.answer_data(),
            )
        except domain.Stale:
            now = _row(answer_rows(self.cycle), self._element_pk)
            raise StaleVersion(current=AnswerSerializer(now).data) from None
        except DjangoValidationError as error:
            # validate_answer names a statement's field as the page does, "descriptor-<id>".
            raise ValidationError(
                {
                    field.replace("descriptor-", "ratings.", 1): messages
                    for field, messages in error.message_dict.items()
                }
            ) from None
        return Response(AnswerSerializer(_row(answer_rows(self.cycle), self._element_pk)).data)

    @property
    def _element_pk(self) -> int:
        return int(self.kwargs["element_pk"])


# The mentor's review


@extend_schema_view(
    list=extend_schema(
        summary="The mentor's review, element by element",
        description="The mentor's decision on each element beside the school's rating. Private "
        "to the mentor and the authority admin until the mentor validates; then everyone who "
        "sees the cycle reads it (403 before).",
    ),
    retrieve=extend_schema(
        summary="The mentor's review of one element",
        description="The mentor's decision on one element (private until validation, as the list).",
        parameters=[ELEMENT],
    ),
    update=extend_schema(
        summary="Review one element",
        description="The mentor, while the self-review is with them: agree with the school's "
        "rating (`agree`), choose a rating, or save only the comment so far. A rating once "
        "chosen is changed, never taken away.",
        parameters=[ELEMENT],
        request=MentorReviewWrite,
        examples=[
            OpenApiExample("Agree", value={"agree": True, "comment": ""}, request_only=True),
            OpenApiExample(
                "Adjust",
                value={"rating": 2, "comment": "The tracking is not yet whole-school."},
                request_only=True,
            ),
        ],
    ),
)
class MentorReviewViewSet(CycleNestedViewSet):
    model = Answer  # the rows are the framework's elements; see rows()
    serializer_class = MentorReviewSerializer
    lookup_url_kwarg = "element_pk"
    filter_backends = []  # the framework's elements, in their order
    http_method_names = ["get", "put", "post", "head", "options"]

    def visible(self):
        return Answer.objects.filter(cycle=self.cycle)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # The mentor's page: drafts private until validation (a 404 first for a cycle not seen).
        if not workflow.may_see_mentor_review.test(self.user, self.cycle):
            raise PermissionDenied("The mentor's review is private until the mentor validates.")

    def rows(self):
        fresh = (
            Cycle.objects.select_related("framework")
            .prefetch_related("answers", "reviews")
            .get(pk=self.cycle.pk)
        )
        return domain.element_rows(fresh)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.rows())
        return self.get_paginated_response(MentorReviewSerializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(MentorReviewSerializer(_row(self.rows(), self._element_pk)).data)

    def update(self, request, *args, **kwargs):
        row = _row(self.rows(), self._element_pk)
        data = MentorReviewWrite(data=request.data)
        data.is_valid(raise_exception=True)
        domain.review_element(
            cycle=self.cycle, element=row["element"], by=self.user, **data.validated_data
        )
        return Response(MentorReviewSerializer(_row(self.rows(), self._element_pk)).data)

    @extend_schema(
        summary="Agree with the school on every element not decided",
        description="The mentor agrees with the school's rating on every element not yet agreed "
        "or adjusted (or decided before the school changed its rating); those decided stay.",
        request=None,
        responses={200: AgreedWithRemaining},
    )
    @action(detail=False, methods=["post"], url_path="agree-with-remaining")
    def agree_with_remaining(self, request, *args, **kwargs):
        agreed = domain.agree_with_remaining(cycle=self.cycle, by=self.user)
        return Response(
            {
                "agreed": [element.pk for element in agreed],
                "reviews": MentorReviewSerializer(self.rows(), many=True).data,
            }
        )

    @property
    def _element_pk(self) -> int:
        return int(self.kwargs["element_pk"])
