"""The portfolio of evidence: its items (metadata; files only through the checked download),
their comments, and the portfolio's submission and desk check.

Every write is the browser's domain function (portfolios.domain, moderation.domain), which checks
the workflow's step; the file is served after portfolios.access's checks, as the browser's
download serves it."""

from functools import cached_property

from django.db.models import Count, F
from django.urls import reverse
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from assessments.models import Cycle, Descriptor, Element
from assessments.workflow import check
from moderation import domain as moderation
from portfolios import access, domain
from portfolios.models import EvidenceItem, ItemComment
from portfolios.uploads import ALLOWED_TYPES, UploadRefused

from .base import CycleNestedViewSet
from .filtering import FilterSet
from .problems import CONTENT_TYPE, Problem
from .serializers import ChoiceLabel, DateTimeField, ModelSerializer

# Serializers ---------------------------------------------------------------------------------


class _FrameworkLinks(serializers.Serializer):
    """Elements and descriptors of the cycle's framework (ids), as the browser's forms offer."""

    elements = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=Element.objects.none(),
        help_text="Ids of the elements of the cycle's framework it is evidence for.",
    )
    descriptors = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=Descriptor.objects.none(),
        help_text="Ids of the descriptors (statements) of the cycle's framework it is evidence "
        "for.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cycle = self.context.get("cycle")
        if cycle is not None:
            framework = cycle.framework_id
            self.fields["elements"].child_relation.queryset = Element.objects.filter(
                framework=framework
            )
            self.fields["descriptors"].child_relation.queryset = Descriptor.objects.filter(
                element__framework=framework
            )


class LinkedIds(serializers.ListField):
    """The ids the view read into a list (`portfolios.domain.read_links`)."""

    child = serializers.IntegerField()

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, data):
        return data


class EvidenceItemSerializer(ModelSerializer):
    kind = serializers.SerializerMethodField(help_text="`file` (uploaded) or `link` (a web page).")
    url = serializers.SerializerMethodField(help_text="The web address of a link; null for a file.")
    file_name = serializers.SerializerMethodField(
        help_text="The uploaded file's name (data only); null for a link."
    )
    size = serializers.IntegerField(
        source="file.size", read_only=True, allow_null=True, help_text="Bytes; null for a link."
    )
    content_type = serializers.CharField(
        source="file.content_type",
        read_only=True,
        allow_null=True,
        help_text="The type the file is served with, decided from its content; null for a link.",
    )
    sha256 = serializers.CharField(
        source="file.sha256",
        read_only=True,
        allow_null=True,
        help_text="The SHA-256 of the file's content (hex), verified at every download; null "
        "for a link.",
    )
    file_deleted_at = DateTimeField(
        source="file.file_deleted_at",
        read_only=True,
        allow_null=True,
        help_text="When the file was deleted under the retention policy (the item is kept); "
        "null while it is there, and for a link.",
    )
    download = serializers.SerializerMethodField(
        help_text="Where the file is downloaded, after the portal's checks; null for a link."
    )
    evidence_date = serializers.DateField(
        read_only=True, allow_null=True, help_text="When the evidence is from."
    )
    elements = LinkedIds(
        source="linked_elements", help_text="Ids of the elements it is evidence for."
    )
    descriptors = LinkedIds(
        source="linked_descriptors", help_text="Ids of the descriptors it is evidence for."
    )
    added_by = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="The id of the person who added it."
    )
    added_by_name = serializers.CharField(
        source="added_by.full_name", read_only=True, help_text="Their name."
    )
    added_at = DateTimeField(source="created_at", read_only=True, help_text="When.")
    comment_count = serializers.IntegerField(read_only=True, help_text="Comments on the item.")

    class Meta:
        model = EvidenceItem
        fields = [
            "id",
            "cycle",
            "kind",
            "title",
            "description",
            "url",
            "file_name",
            "size",
            "content_type",
            "sha256",
            "file_deleted_at",
            "download",
            "evidence_date",
            "elements",
            "descriptors",
            "added_by",
            "added_by_name",
            "added_at",
            "comment_count",
        ]
        read_only_fields = ["cycle", "title", "description"]
        extra_kwargs = {
            "cycle": {"help_text": "The cycle's id."},
            "title": {"help_text": "What the evidence is."},
            "description": {"help_text": "More about it (may be empty)."},
        }

    @extend_schema_field(serializers.ChoiceField(choices=["file", "link"]))
    def get_kind(self, item) -> str:
        return "file" if item.file_id else "link"

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_url(self, item):
        return item.url or None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_file_name(self, item):
        return item.original_name if item.file_id else None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download(self, item):
        if not item.file_id:
            return None
        request = self.context["request"]
        path = reverse(
            "api:evidence-file",
            kwargs={
                "authority_slug": request.authority.slug,
                "cycle_pk": item.cycle_id,
                "pk": item.pk,
            },
        )
        return request.build_absolute_uri(path)


class LinkSerializer(_FrameworkLinks):
    url = serializers.URLField(max_length=500, help_text="The web address (https://…).")
    title = serializers.CharField(max_length=200, help_text="What the evidence is.")
    description = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )
    evidence_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="When the evidence is from."
    )


class UploadSerializer(_FrameworkLinks):
    # Empty files are refused by portfolios.uploads, with its message, as the browser's are.
    file = serializers.FileField(
        allow_empty_file=True,
        help_text="One file: PDF, Word, Excel, PowerPoint, OpenDocument, JPEG, PNG or plain "
        "text, within the authority's size limits. The type is read from the content; macros, "
        "scripts in PDFs and attached files are refused.",
    )


class ItemUpdateSerializer(_FrameworkLinks):
    """PATCH: the fields sent change, the others are kept."""

    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    evidence_date = serializers.DateField(required=False, allow_null=True)


class CommentSerializer(ModelSerializer):
    author = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The author's id.")
    author_name = serializers.CharField(
        source="author.full_name", read_only=True, help_text="The author's name."
    )
    body = serializers.CharField(
        max_length=2000,
        help_text="The comment.",
        error_messages={
            "required": "Write a comment before sending it.",
            "blank": "Write a comment before sending it.",
        },
    )

    class Meta:
        model = ItemComment
        fields = ["id", "item", "author", "author_name", "body", "created_at"]
        read_only_fields = ["item", "created_at"]
        extra_kwargs = {"item": {"help_text": "The evidence item's id."}}


class PortfolioCycleSerializer(ModelSerializer):
    """The cycle after a step of the portfolio: its id and state."""

    state_label = ChoiceLabel("state", help_text="The state, for a person to read.")

    class Meta:
        model = Cycle
        fields = ["id", "state", "state_label"]
        read_only_fields = fields


class ElementBriefSerializer(ModelSerializer):
    class Meta:
        model = Element
        fields = ["id", "number", "title"]


class SubmittedSerializer(PortfolioCycleSerializer):
    without_evidence = ElementBriefSerializer(
        many=True,
        read_only=True,
        help_text="The framework's elements no item was linked to when it was submitted (the "
        "browser's check warns of them; they do not stop a submission).",
    )

    class Meta(PortfolioCycleSerializer.Meta):
        fields = ["id", "state", "state_label", "without_evidence"]
        read_only_fields = fields


class SubmitCheckSerializer(serializers.Serializer):
    item_count = serializers.IntegerField(help_text="Items in the portfolio.")
    unlinked_count = serializers.IntegerField(help_text="Items linked to no element.")
    without_evidence = ElementBriefSerializer(
        many=True, help_text="The framework's elements no item is linked to yet."
    )
    blocked = serializers.CharField(
        allow_null=True,
        help_text="Why the portfolio cannot be submitted yet (it has no evidence), or null.",
    )


class ReturnSerializer(serializers.Serializer):
    reasons = serializers.CharField(
        max_length=5000,
        help_text="Why the portfolio is not ready for a visit; the school sees them.",
        error_messages={
            "required": "Tell the school why the portfolio is not ready for a visit.",
            "blank": "Tell the school why the portfolio is not ready for a visit.",
        },
    )


# Evidence ------------------------------------------------------------------------------------


class EvidenceFilter(FilterSet):
    element = filters.NumberFilter(
        field_name="elements", help_text="Items linked to this element (its id)."
    )
    descriptor = filters.NumberFilter(
        field_name="descriptors", help_text="Items linked to this descriptor (its id)."
    )
    kind = filters.ChoiceFilter(
        choices=[("file", "file"), ("link", "link")],
        method="filter_kind",
        help_text="`file` or `link`.",
    )

    class Meta:
        model = EvidenceItem
        fields = ["element", "descriptor", "kind"]

    def filter_kind(self, queryset, name, value):
        return queryset.filter(file__isnull=value == "link")


class FileGone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "The file was deleted under the retention policy."
    default_code = "file_deleted"


class FileDamaged(exceptions.APIException):
    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    default_detail = "The stored file is not the same as when it was uploaded: it is not served."
    default_code = "file_damaged"


class AnyAccept(BaseContentNegotiation):
    """The download answers whatever the client accepts: the file, or a problem as JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


# The types a stored file may have, as it is served.
FILE_TYPES = sorted({content_type for content_type, _ in ALLOWED_TYPES.values()})


def _problem(description):
    return OpenApiResponse(Problem, description=description)


@extend_schema_view(
    list=extend_schema(
        summary="List a cycle's evidence",
        description="The portfolio's items (files and links) with their metadata, by title. "
        "Everyone who may see the cycle may read its portfolio.",
    ),
    retrieve=extend_schema(summary="Read an evidence item"),
    partial_update=extend_schema(
        summary="Change an item's title, description, date and links",
        description="The school's staff, while the portfolio is open (before its submission). "
        "Fields not sent are kept; `elements` and `descriptors`, when sent, replace the item's.",
        request=ItemUpdateSerializer,
        responses={200: EvidenceItemSerializer},
    ),
    destroy=extend_schema(
        summary="Remove an item",
        description="The person who added it, or the school's head teacher or coordinator, "
        "while the portfolio is open. Its file goes too, unless another item uses it.",
        responses={204: None},
    ),
)
class EvidenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CycleNestedViewSet):
    model = EvidenceItem
    serializer_class = EvidenceItemSerializer
    filterset_class = EvidenceFilter
    ordering_fields = ["title", "added_at", "evidence_date", "id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def visible(self):
        return (
            EvidenceItem.objects.filter(cycle=self.cycle)
            .select_related("file", "added_by")
            .annotate(comment_count=Count("comments", distinct=True), added_at=F("created_at"))
            .order_by("title", "pk")
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["cycle"] = self.cycle
        return context

    def read_shown(self, items):
        domain.read_links(items)

    def _read(self, item, status_code=200):
        item = self.visible().get(pk=item.pk)
        self.read_shown([item])
        return Response(self.get_serializer(item).data, status=status_code)

    def _links(self, data):
        return {"elements": data.get("elements", []), "descriptors": data.get("descriptors", [])}

    @extend_schema(
        summary="Add a link to the portfolio",
        description="The school's staff, while the portfolio is open.",
        request=LinkSerializer,
        responses={201: EvidenceItemSerializer},
        examples=[
            OpenApiExample(
                "A policy on the school's site",
                request_only=True,
                value={
                    "url": "https://school.example/inclusion",
                    "title": "Inclusion policy",
                    "elements": [1],
                },
            )
        ],
    )
    @action(detail=False, methods=["post"], url_path="links", url_name="add-link")
    def add_link(self, request, **kwargs):
        cycle = self.cycle  # a cycle the caller may not see is a 404 before anything is read
        serializer = LinkSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        item = domain.add_link(cycle=cycle, by=request.user, **serializer.validated_data)
        return self._read(item, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Upload a file to the portfolio",
        description="A multipart/form-data POST of one `file` (and, optionally, `elements` and "
        "`descriptors`, each repeated for several), by the school's staff while the portfolio "
        "is open. The file gets exactly the browser's checks: its type is read from its "
        "content and must agree with its name; it must be within the authority's size limit "
        "and the portfolio's; active content (Office macros, JavaScript or launch actions in "
        "PDFs, attached files) is refused, never cleaned. A refusal is a 400 whose `errors` "
        "give the `file` field's message; the same content already in this portfolio is a "
        "400 naming the item that has it.",
        request={"multipart/form-data": UploadSerializer},
        responses={201: EvidenceItemSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="files",
        url_name="upload",
        parser_classes=[MultiPartParser],
    )
    def upload(self, request, **kwargs):
        cycle = self.cycle  # a 404 before the body is read
        serializer = UploadSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            item = domain.add_file(
                cycle=cycle, by=request.user, uploaded=data["file"], **self._links(data)
            )
        except UploadRefused as refused:
            raise exceptions.ValidationError({"file": [refused.message]}) from None
        except domain.DuplicateEvidence as duplicate:
            message = f"{duplicate} (item {duplicate.item.pk})"
            raise exceptions.ValidationError({"file": [message]}) from None
        return self._read(item, status.HTTP_201_CREATED)

    def partial_update(self, request, **kwargs):
        item = self.get_object()
        serializer = ItemUpdateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        domain.update_item(
            item=item,
            by=request.user,
            title=data.get("title", item.title),
            description=data.get("description", item.description),
            evidence_date=data.get("evidence_date", item.evidence_date),
            elements=data.get("elements", item.elements.all()),
            descriptors=data.get("descriptors", item.descriptors.all()),
        )
        return self._read(item)

    def destroy(self, request, **kwargs):
        domain.delete_item(item=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Download an item's file",
        description="The stored file, after the browser's download's checks: the cycle is one "
        "the caller may see, the file has not been deleted under the retention policy (410), "
        "and its content still matches the SHA-256 recorded at upload (a 500 otherwise, and "
        "the portal's staff are alerted). PDFs, PNG and JPEG come inline, other types as an "
        "attachment; never to be sniffed or run. A link has no file (404): follow its `url`.",
        responses={
            **{(200, content_type): OpenApiTypes.BINARY for content_type in FILE_TYPES},
            (410, CONTENT_TYPE): _problem("The file was deleted under the retention policy."),
            (500, CONTENT_TYPE): _problem("The stored file no longer matches its SHA-256."),
        },
    )
    @action(detail=True, methods=["get"], url_path="file", content_negotiation_class=AnyAccept)
    def file(self, request, **kwargs):
        item = self.get_object()
        if item.file_id is None:
            raise exceptions.NotFound("This item is a link, not a file: follow its `url`.")
        try:
            handle = access.open_checked(item)
        except access.FileGone as gone:
            raise FileGone(str(gone) or None) from None
        except access.FileDamaged:
            raise FileDamaged() from None
        return access.file_response(item, handle)


# Comments ------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List an item's comments",
        description="Oldest first. Everyone who may see the cycle may read them.",
    ),
    create=extend_schema(
        summary="Comment on an item",
        description="The school's staff and its mentor, at any stage.",
        examples=[
            OpenApiExample("A reply", request_only=True, value={"body": "Added the minutes."})
        ],
    ),
)
class EvidenceCommentViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, CycleNestedViewSet):
    model = ItemComment
    serializer_class = CommentSerializer
    ordering_fields = ["created_at", "id"]

    def visible(self):
        return (
            ItemComment.objects.filter(item=self.item)
            .select_related("author")
            .order_by("created_at", "pk")
        )

    @cached_property
    def item(self):
        item = EvidenceItem.objects.filter(cycle=self.cycle, pk=self.kwargs["item_pk"]).first()
        if item is None:
            raise exceptions.NotFound()
        return item

    def create(self, request, **kwargs):
        item = self.item
        # As the browser's: the person's part first, then what they wrote.
        check(request.user, "comment_evidence", self.cycle)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = domain.add_comment(
            item=item, by=request.user, body=serializer.validated_data["body"]
        )
        return Response(self.get_serializer(comment).data, status=status.HTTP_201_CREATED)


# Submission and the desk check ---------------------------------------------------------------


class PortfolioStepViewSet(CycleNestedViewSet):
    """Steps of the cycle's portfolio: each returns the cycle as it is now."""

    model = Cycle
    serializer_class = PortfolioCycleSerializer

    def visible(self):
        return Cycle.objects.none()  # each step acts on self.cycle

    @extend_schema(
        summary="Check the portfolio before submitting it",
        description="What the browser's check page shows the head teacher or coordinator "
        "before they submit: how many items there are, how many are linked to no element, and "
        "which elements have no evidence. A 409 while the portfolio cannot be submitted (before "
        "the mentor validates the self-review, or once submitted).",
        responses={
            200: SubmitCheckSerializer,
            (409, CONTENT_TYPE): _problem("The portfolio cannot be submitted now: why, in detail."),
        },
    )
    def submit_check(self, request, **kwargs):
        cycle = self.cycle
        check(request.user, "submit_portfolio", cycle)
        _, without = domain.coverage(cycle)
        item_count = cycle.evidence.count()
        found = {
            "item_count": item_count,
            "unlinked_count": cycle.evidence.filter(elements=None).count(),
            "without_evidence": without,
            "blocked": None if item_count else domain.NO_EVIDENCE,
        }
        return Response(SubmitCheckSerializer(found).data)

    @extend_schema(
        summary="Submit the portfolio for moderation",
        description="The school's head teacher or coordinator, once the mentor has validated "
        "the self-review and the portfolio has at least one item. From then on the portfolio is "
        "locked. The answer names the elements no item is linked to (what the browser's check "
        "page warns of).",
        request=None,
        responses={200: SubmittedSerializer},
    )
    def submit(self, request, **kwargs):
        cycle = domain.submit_portfolio(cycle=self.cycle, by=request.user)
        _, cycle.without_evidence = domain.coverage(cycle)
        return Response(SubmittedSerializer(cycle).data)

    @extend_schema(
        summary="Accept the portfolio for a visit (desk check)",
        description="The panel chair or an authority admin, once the portfolio is submitted.",
        request=None,
        responses={200: PortfolioCycleSerializer},
    )
    def accept(self, request, **kwargs):
        cycle = moderation.accept_for_visit(cycle=self.cycle, by=request.user)
        return Response(PortfolioCycleSerializer(cycle).data)

    @extend_schema(
        summary="Return the portfolio to the school (desk check)",
        description="The panel chair or an authority admin, once the portfolio is submitted: "
        "back to the school with reasons, shown on its pages until it submits again; the "
        "portfolio unlocks.",
        request=ReturnSerializer,
        responses={200: PortfolioCycleSerializer},
        examples=[
            OpenApiExample(
                "Reasons",
                request_only=True,
                value={"reasons": "Element 3 has no evidence of the parents' forum."},
            )
        ],
    )
    def return_portfolio(self, request, **kwargs):
        cycle = self.cycle  # a cycle the caller may not see is a 404 before the body is read
        serializer = ReturnSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cycle = moderation.return_portfolio(
            cycle=cycle, by=request.user, reasons=serializer.validated_data["reasons"]
        )
        return Response(PortfolioCycleSerializer(cycle).data)
