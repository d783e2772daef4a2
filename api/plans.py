"""A cycle's action plan and element assignments, and a review's annual update, ratification and
development plan: /api/v1/<authority>/cycles/<cycle_pk>/….

Each endpoint reads what the matching page shows and writes through the domain function its form
calls (assessments.domain, reviews.domain); who may do what, in which state, is the workflow's
(the step is checked first, so a person without the role is refused before their data is read).
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from accounts.models import User
from assessments import domain as assessments
from assessments import workflow
from assessments.forms import AssignmentForm, TargetForm
from assessments.models import Assignment, Cycle, Element, Target
from assessments.workflow import STEPS, TransitionError, check
from reviews import domain as reviews
from reviews.forms import PriorityForm
from reviews.models import TEXT_LIMIT, ElementProgress, Priority, Ratification, Update

from .base import CycleNestedViewSet
from .filtering import FilterSet
from .problems import StaleVersion
from .serializers import DateTimeField, ModelSerializer


def _form_choices(serializer, form, *names):
    """The form's own choices (the page's), for the serializer's fields of the same names."""
    for name in names:
        if name in serializer.fields:
            serializer.fields[name].queryset = form.fields[name].queryset


# The action plan


class TargetSerializer(ModelSerializer):
    element = serializers.PrimaryKeyRelatedField(
        queryset=Element.objects.none(), help_text="The element's id (of the cycle's framework)."
    )
    lead = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(),
        allow_null=True,
        help_text="The lead person's id: someone with a role at the school. Null only for a "
        "target written before leads were chosen (see `lead_note`) until it is next saved.",
    )
    lead_name = serializers.StringRelatedField(
        source="lead", read_only=True, help_text="The lead person's name."
    )

    class Meta:
        model = Target
        fields = [
            "id",
            "element",
            "action",
            "lead",
            "lead_name",
            "lead_note",
            "deadline",
            "success_criteria",
            "status",
            "created_at",
        ]
        read_only_fields = ["lead_note", "created_at"]
        extra_kwargs = {
            "action": {"help_text": "What the school will do."},
            "lead_note": {
                "help_text": "The lead as first written, when it was free text and no one of "
                "the school matched it; cleared when the target is next saved."
            },
            "deadline": {"help_text": "When it is due."},
            "success_criteria": {"help_text": "How the school will know it is done."},
            "status": {"help_text": "Progress: not started, on track, at risk or done."},
            "created_at": {"help_text": "When it was added to the plan."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        view = self.context.get("view")
        if view is not None and not getattr(view, "swagger_fake_view", False):
            target = self.instance if isinstance(self.instance, Target) else None
            form = TargetForm(instance=target, cycle=view.cycle)
            _form_choices(self, form, "element", "lead")

    def create(self, validated_data):
        view = self.context["view"]
        target = Target(cycle=view.cycle, **validated_data)
        return assessments.save_target(cycle=view.cycle, by=view.user, target=target)

    def update(self, instance, validated_data):
        view = self.context["view"]
        for field, value in validated_data.items():
            setattr(instance, field, value)
        return assessments.save_target(cycle=view.cycle, by=view.user, target=instance)


class TargetFilter(FilterSet):
    element = filters.NumberFilter(help_text="An element's id.")
    lead = filters.NumberFilter(help_text="The lead person's id.")
    deadline_after = filters.DateFilter(
        field_name="deadline", lookup_expr="gte", help_text="Due on or after this date."
    )
    deadline_before = filters.DateFilter(
        field_name="deadline", lookup_expr="lte", help_text="Due on or before this date."
    )

    class Meta:
        model = Target
        fields = ["element", "lead", "status", "deadline_after", "deadline_before"]


_WRITE_TARGET = (
    "The school's head teacher and coordinator and the cycle's mentor write the action plan "
    "(in any state of a self-review); the lead must be a person of the school."
)


@extend_schema_view(
    list=extend_schema(
        summary="The cycle's action plan",
        description="Every target of the cycle's action plan, for everyone who may see the cycle.",
    ),
    retrieve=extend_schema(
        summary="One target of the action plan",
        description="For everyone who may see the cycle.",
    ),
    create=extend_schema(
        summary="Add a target to the action plan",
        description=_WRITE_TARGET,
        examples=[
            OpenApiExample(
                "A target",
                value={
                    "element": 3,
                    "action": "Run a parents' forum each term.",
                    "lead": 12,
                    "deadline": "2027-07-01",
                    "success_criteria": "Three forums held, their minutes shared.",
                    "status": "not_started",
                },
                request_only=True,
            )
        ],
    ),
    update=extend_schema(summary="Change a target", description=_WRITE_TARGET),
    partial_update=extend_schema(
        summary="Change some of a target", description=_WRITE_TARGET + " Send only what changes."
    ),
)
@extend_schema(tags=["action plan"])
class TargetViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    CycleNestedViewSet,
):
    """The action plan (the plan page); no target is deleted, as on the page: mark it done."""

    model = Target
    serializer_class = TargetSerializer
    filterset_class = TargetFilter
    ordering_fields = ["deadline", "status", "created_at", "id", "element"]

    def visible(self):
        return (
            Target.objects.filter(cycle=self.cycle)
            .select_related("lead", "element")
            .order_by("element__number", "deadline", "pk")
        )

    def create(self, request, *args, **kwargs):
        check(self.user, "plan_targets", self.cycle)
        return super().create(request, *args, **kwargs)

    def update(self, request, *args, **kwargs):
        check(self.user, "plan_targets", self.cycle)
        return super().update(request, *args, **kwargs)


# Element assignments


class AssignmentSerializer(ModelSerializer):
    element = serializers.PrimaryKeyRelatedField(
        queryset=Element.objects.none(), help_text="The element's id (of the cycle's framework)."
    )
    person = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), help_text="A contributor of the school: their id."
    )
    person_name = serializers.StringRelatedField(
        source="person", read_only=True, help_text="The contributor's name."
    )

    class Meta:
        model = Assignment
        fields = ["id", "element", "person", "person_name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        view = self.context.get("view")
        if view is not None and not getattr(view, "swagger_fake_view", False):
            _form_choices(self, AssignmentForm(cycle=view.cycle), "element", "person")

    def create(self, validated_data):
        view = self.context["view"]
        return assessments.assign_element(cycle=view.cycle, by=view.user, **validated_data)


class AssignmentFilter(FilterSet):
    element = filters.NumberFilter(help_text="An element's id.")
    person = filters.NumberFilter(help_text="A contributor's id.")

    class Meta:
        model = Assignment
        fields = ["element", "person"]


@extend_schema_view(
    list=extend_schema(
        summary="Who is given which element",
        description="The elements the school's leads have given to contributors, who may then "
        "edit only those. Read by the head teacher and the coordinator.",
    ),
    create=extend_schema(
        summary="Give an element to a contributor",
        description="The head teacher or the coordinator, while the self-review is open.",
    ),
    destroy=extend_schema(
        summary="Take an element back",
        description="The head teacher or the coordinator, while the self-review is open.",
    ),
)
@extend_schema(tags=["action plan"])
class AssignmentViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, CycleNestedViewSet
):
    model = Assignment
    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilter
    ordering_fields = ["id", "element"]

    def visible(self):
        return (
            Assignment.objects.filter(cycle=self.cycle)
            .select_related("person", "element")
            .order_by("element__number", "person__full_name", "pk")
        )

    def list(self, request, *args, **kwargs):
        if not workflow.is_school_lead.test(self.user, self.cycle):  # as the page
            raise PermissionDenied
        return super().list(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        check(self.user, "assign_elements", self.cycle)
        return super().create(request, *args, **kwargs)

    def perform_destroy(self, instance):
        assessments.unassign_element(assignment=instance, by=self.user)


# The annual review


class ReviewNestedViewSet(CycleNestedViewSet):
    """An endpoint of a review (Centre of Excellence or Flagship): an assessment has none (404)."""

    @property
    def review(self):
        if self.cycle.kind not in workflow.REVIEW_KINDS:
            raise Http404
        return self.cycle


class AnnualUpdateSerializer(serializers.Serializer):
    """One element's row of the annual update (`reviews.domain.update_rows`), flattened."""

    element = serializers.IntegerField(help_text="The element's id.")
    number = serializers.IntegerField(help_text="The element's number.")
    title = serializers.CharField(help_text="The element's title.")
    status = serializers.ChoiceField(
        choices=["not_started", "in_progress", "complete"],
        help_text="`complete` once both the progress and the plans are written, `in_progress` "
        "once anything is saved.",
    )
    version = serializers.IntegerField(
        help_text="Send it back with a change: a save from an older version is refused (409). "
        "0: not written yet."
    )
    progress = serializers.CharField(help_text="Progress this year.")
    plans = serializers.CharField(help_text="Plans for next year.")
    updated_by = serializers.IntegerField(allow_null=True, help_text="Who saved it last: their id.")
    updated_at = DateTimeField(allow_null=True, help_text="When it was last saved.")


def _flat(row) -> dict:
    element, update = row["element"], row["update"]
    return {
        "element": element.pk,
        "number": element.number,
        "title": element.title,
        "status": row["status"],
        "version": update.version if update else 0,
        "progress": update.progress if update else "",
        "plans": update.plans if update else "",
        "updated_by": update.updated_by_id if update else None,
        "updated_at": update.updated_at if update else None,
    }


class AnnualUpdateWrite(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=0, help_text="The version read (0 for an element not yet written)."
    )
    progress = serializers.CharField(
        max_length=TEXT_LIMIT, allow_blank=True, default="", help_text="Progress this year."
    )
    plans = serializers.CharField(
        max_length=TEXT_LIMIT, allow_blank=True, default="", help_text="Plans for next year."
    )


def _row(cycle, element) -> dict:
    """One element's row as `update_rows` makes it, for the API."""
    rows = reviews.update_rows(cycle)
    return AnnualUpdateSerializer(
        _flat(next(r for r in rows if r["element"].pk == element.pk))
    ).data


ELEMENT = OpenApiParameter(
    "element_pk", int, OpenApiParameter.PATH, description="The element's id."
)


@extend_schema_view(
    list=extend_schema(
        summary="The annual update",
        description="Each element of the review's framework with the school's update and its "
        "status, for everyone who may see the review. An assessment has none: 404.",
        responses=AnnualUpdateSerializer(many=True),
    ),
    retrieve=extend_schema(
        summary="One element's annual update",
        description="The element's update and its `version`, to send back with a change.",
        parameters=[ELEMENT],
        responses=AnnualUpdateSerializer,
    ),
    update=extend_schema(
        summary="Save one element's annual update",
        description="The head teacher or the coordinator, until the update is submitted; the "
        "first save starts the annual update. Send the `version` read: if someone saved since, "
        "409 `stale_version` with `current`, the element as it is now.",
        parameters=[ELEMENT],
        request=AnnualUpdateWrite,
        responses=AnnualUpdateSerializer,
        examples=[
            OpenApiExample(
                "Save",
                value={"version": 0, "progress": "Nurture groups in every year.", "plans": "…"},
                request_only=True,
            )
        ],
    ),
)
@extend_schema(tags=["annual review"])
class UpdateViewSet(ReviewNestedViewSet):
    model = Update
    serializer_class = AnnualUpdateSerializer
    lookup_url_kwarg = "element_pk"
    ordering_fields = []
    filter_backends = []

    def visible(self):
        return Update.objects.filter(cycle=self.cycle)

    def _element(self):
        return get_object_or_404(
            Element, pk=self.kwargs["element_pk"], framework=self.review.framework_id
        )

    def list(self, request, *args, **kwargs):
        rows = reviews.update_rows(self.review)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(
            AnnualUpdateSerializer([_flat(row) for row in page], many=True).data
        )

    def retrieve(self, request, *args, **kwargs):
        return Response(_row(self.review, self._element()))

    def update(self, request, *args, **kwargs):
        cycle, element = self.review, self._element()
        check(self.user, "write_update", cycle)
        sent = AnnualUpdateWrite(data=request.data)
        sent.is_valid(raise_exception=True)
        data = sent.validated_data
        try:
            reviews.save_update(
                cycle=cycle,
                element=element,
                by=self.user,
                version=data["version"],
                data={field: data[field] for field in reviews.UPDATE_TEXTS},
            )
        except reviews.StaleUpdate as stale:
            raise StaleVersion(current=_row(cycle, element), detail=str(stale)) from None
        return Response(_row(cycle, element))


class ReviewStateSerializer(ModelSerializer):
    class Meta:
        model = Cycle
        fields = ["id", "kind", "state", "submitted_at"]
        extra_kwargs = {
            "kind": {"help_text": "The kind of cycle."},
            "state": {"help_text": "Where the review is now."},
            "submitted_at": {"help_text": "When the annual update was submitted."},
        }


@extend_schema_view(
    create=extend_schema(
        summary="Submit the annual update",
        description="The head teacher or the coordinator, once every element's progress and "
        "plans are written (else 409 naming the elements still to do); the mentor and the "
        "panel chair are told. Returns the review as it is now.",
        request=None,
        responses={200: ReviewStateSerializer},
    )
)
@extend_schema(tags=["annual review"])
class SubmitUpdateViewSet(ReviewNestedViewSet):
    model = Cycle
    serializer_class = ReviewStateSerializer
    pagination_class = None
    filter_backends = []

    def visible(self):
        return Cycle.objects.filter(pk=self.cycle.pk)

    def create(self, request, *args, **kwargs):
        cycle = reviews.submit_update(cycle=self.review, by=self.user)
        return Response(ReviewStateSerializer(cycle).data)


# The ratification and the development plan


class ElementProgressSerializer(ModelSerializer):
    element = serializers.IntegerField(source="element_id", help_text="The element's id.")

    class Meta:
        model = ElementProgress
        fields = ["element", "judgement", "comment"]
        extra_kwargs = {
            "judgement": {"help_text": "`ratified`, `not_yet`, or empty: not yet judged."},
            "comment": {"help_text": "The moderator's comment on the year's progress."},
        }


class PrioritySerializer(ModelSerializer):
    element = serializers.PrimaryKeyRelatedField(
        queryset=Element.objects.none(), help_text="The element's id (of the review's framework)."
    )

    class Meta:
        model = Priority
        fields = ["id", "element", "action", "lead", "by_when"]
        extra_kwargs = {
            "action": {"help_text": "What the school will do."},
            "lead": {"help_text": "Who leads it, as agreed at the visit (free text)."},
            "by_when": {"help_text": "When it is due: today or later."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        view = self.context.get("view")
        if view is not None and not getattr(view, "swagger_fake_view", False):
            _form_choices(self, PriorityForm(cycle=view.cycle), "element")

    def create(self, validated_data):
        view = self.context["view"]
        return reviews.add_priority(cycle=view.review, by=view.user, **validated_data)


class RatificationSerializer(ModelSerializer):
    progress = ElementProgressSerializer(
        many=True, read_only=True, help_text="The visit's judgement of each element."
    )
    priorities = PrioritySerializer(
        many=True, read_only=True, help_text="The development plan agreed at the visit."
    )

    class Meta:
        model = Ratification
        fields = [
            "version",
            "summary",
            "recommendation",
            "progress",
            "priorities",
            "signed_by",
            "ratified_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "version": {
                "help_text": "Send it back with a change: a save from an older version is "
                "refused (409). 0: nothing saved yet."
            },
            "summary": {"help_text": "Summary of the visit."},
            "recommendation": {"help_text": "`renew`, `lapse`, or empty: not yet."},
            "signed_by": {
                "help_text": "The ids of the moderators who have signed this version; any change "
                "needs every signature again."
            },
            "ratified_at": {
                "help_text": "When every moderator of the visit had signed: then it is final."
            },
        }


class ElementProgressWrite(serializers.Serializer):
    element = serializers.IntegerField(help_text="The element's id.")
    judgement = serializers.ChoiceField(
        choices=ElementProgress.Judgement.choices,
        allow_blank=True,
        default="",
        help_text="`ratified`, `not_yet`, or empty: not yet judged.",
    )
    comment = serializers.CharField(
        max_length=TEXT_LIMIT, allow_blank=True, default="", help_text="The comment."
    )


class RatificationWrite(serializers.Serializer):
    version = serializers.IntegerField(min_value=0, help_text="The version read.")
    summary = serializers.CharField(
        max_length=10000, allow_blank=True, default="", help_text="Summary of the visit."
    )
    recommendation = serializers.ChoiceField(
        choices=Ratification.Recommendation.choices,
        allow_blank=True,
        default="",
        help_text="`renew`, `lapse`, or empty: not yet.",
    )
    progress = ElementProgressWrite(
        many=True,
        default=list,
        help_text="Each element's judgement and comment; an element left out is not yet judged.",
    )


def _whole():
    return Ratification.objects.prefetch_related("signed_by", "progress", "priorities")


def _ratification_of(cycle):
    return _whole().filter(cycle=cycle).first()


def _ratification_data(ratification):
    if ratification is None:  # begun on the first save
        return {
            "version": 0,
            "summary": "",
            "recommendation": "",
            "progress": [],
            "priorities": [],
            "signed_by": [],
            "ratified_at": None,
        }
    return RatificationSerializer(ratification).data


def readable_ratification(user, cycle, ratifications=None):
    """The ratification the person may read, as the page decides: its writers read it (None: a
    draft not begun yet); others only one that exists and that `may_see_ratification`."""
    if ratifications is None:
        ratifications = Ratification.objects.all()
    the_ratification = ratifications.filter(cycle=cycle).first()
    if STEPS["write_ratification"].test(user, cycle):
        return the_ratification
    if the_ratification is None:
        raise Http404
    if not workflow.may_see_ratification.test(user, cycle):
        raise PermissionDenied
    return the_ratification


_PRIVATE = (
    "A draft until every moderator of the visit has signed it: until then only the visiting "
    "moderators and the authority admin read it; then everyone who may see the review."
)


@extend_schema(tags=["annual review"])
class RatificationViewSet(ReviewNestedViewSet):
    model = Ratification
    serializer_class = RatificationSerializer
    pagination_class = None
    filter_backends = []

    def visible(self):
        return Ratification.objects.filter(cycle=self.cycle)

    @extend_schema(
        summary="The visit's ratification",
        description=_PRIVATE + " Before the first save, its writers read version 0.",
        responses=RatificationSerializer,
    )
    def retrieve(self, request, *args, **kwargs):
        return Response(_ratification_data(readable_ratification(self.user, self.review, _whole())))

    @extend_schema(
        summary="Save the ratification",
        description="A visiting moderator with no conflict, while the visit is planned: the "
        "summary, the recommendation and each element's judgement (an element left out is not "
        "yet judged). Any change needs every signature again. Send the `version` read: if a "
        "co-moderator saved since, 409 `stale_version` with `current`.",
        request=RatificationWrite,
        responses=RatificationSerializer,
    )
    def update(self, request, *args, **kwargs):
        cycle = self.review
        check(self.user, "write_ratification", cycle)
        sent = RatificationWrite(data=request.data)
        sent.is_valid(raise_exception=True)
        data = sent.validated_data
        progress = {e: ("", "") for e in cycle.framework.elements.values_list("pk", flat=True)}
        progress |= {p["element"]: (p["judgement"], p["comment"]) for p in data["progress"]}
        try:
            reviews.save_ratification(
                cycle=cycle,
                by=self.user,
                version=data["version"],
                summary=data["summary"],
                recommendation=data["recommendation"],
                progress=progress,
            )
        except TransitionError as error:
            # The step was allowed just now: refused for a version someone saved since.
            current = _ratification_of(cycle)
            if current is not None and current.version != data["version"]:
                raise StaleVersion(current=_ratification_data(current), detail=str(error)) from None
            raise
        return Response(_ratification_data(_ratification_of(cycle)))

    @extend_schema(
        summary="Sign the ratification",
        description="A visiting moderator with no conflict signs, once every element is judged, "
        "the summary written, a priority agreed and renew or lapse recommended (else 409 with "
        "the reason). When every moderator of the visit has signed, it is final and the review "
        "goes to the panel. Returns the ratification as it is now.",
        request=None,
        responses=RatificationSerializer,
    )
    def sign(self, request, *args, **kwargs):
        reviews.ratify(cycle=self.review, by=self.user)
        return Response(_ratification_data(_ratification_of(self.cycle)))


@extend_schema_view(
    list=extend_schema(
        summary="The development plan",
        description="The priorities agreed at the annual visit. " + _PRIVATE,
    ),
    create=extend_schema(
        summary="Agree a priority",
        description="A visiting moderator with no conflict, while the visit is planned; any "
        "change needs every signature again.",
    ),
    destroy=extend_schema(
        summary="Remove a priority",
        description="A visiting moderator with no conflict, while the visit is planned.",
    ),
)
@extend_schema(tags=["annual review"])
class PriorityViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, ReviewNestedViewSet
):
    model = Priority
    serializer_class = PrioritySerializer
    ordering_fields = ["by_when", "id", "element"]

    def visible(self):
        return (
            Priority.objects.filter(ratification__cycle=self.review)
            .select_related("element")
            .order_by("element__number", "by_when", "pk")
        )

    def list(self, request, *args, **kwargs):
        readable_ratification(self.user, self.review)
        return super().list(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        check(self.user, "write_ratification", self.review)
        return super().create(request, *args, **kwargs)

    def perform_destroy(self, instance):
        reviews.remove_priority(cycle=self.review, by=self.user, priority=instance)


router = SimpleRouter(use_regex_path=False)
router.register("cycles/<int:cycle_pk>/targets", TargetViewSet, basename="target")
router.register("cycles/<int:cycle_pk>/assignments", AssignmentViewSet, basename="assignment")
router.register("cycles/<int:cycle_pk>/priorities", PriorityViewSet, basename="priority")

urls = router.urls + [
    path(
        "cycles/<int:cycle_pk>/update/",
        UpdateViewSet.as_view({"get": "list"}),
        name="annual-update-list",
    ),
    path(
        "cycles/<int:cycle_pk>/update/<int:element_pk>/",
        UpdateViewSet.as_view({"get": "retrieve", "put": "update"}),
        name="annual-update-detail",
    ),
    path(
        "cycles/<int:cycle_pk>/submit-update/",
        SubmitUpdateViewSet.as_view({"post": "create"}),
        name="submit-update",
    ),
    path(
        "cycles/<int:cycle_pk>/ratification/",
        RatificationViewSet.as_view({"get": "retrieve", "put": "update"}),
        name="ratification",
    ),
    path(
        "cycles/<int:cycle_pk>/ratify/",
        RatificationViewSet.as_view({"post": "sign"}),
        name="ratify",
    ),
]
