"""Awards, clusters, published lists and render jobs (issue 15): what the authority's records say,
read as the browser reads them, and the few writes the browser offers, through the same domain
functions and predicates.

- /awards/: the awards of the schools the caller may see (`visible_schools`), withdrawn ones too,
  each with its status as the school's history shows it (assessments.history).
- /clusters/: the clusters the caller may see (clusters.access), with their partner schools (a
  partner of another authority by its name only) and, in the detail, their activities.
- /publications/: the published versions of the awarded-schools list (open data, for every
  member); the admin previews the next version and publishes exactly what was previewed.
- /render-jobs/: a PDF asked for, watched and downloaded with the browser's subject checks
  (reports.render).
"""

from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, renderers, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse

from accounts.roles import is_authority_admin
from assessments.history import _award_status, read_standing
from assessments.models import Cycle
from assessments.workflow import visible_schools
from awards.domain import awards_in_force, tier_rank
from awards.models import Award, Tier
from clusters import domain as clusters
from clusters.access import may_manage_cluster, may_start_cluster, may_view_cluster
from clusters.forms import ActivityForm, PartnerForm
from clusters.models import Activity, Cluster, Partner
from publishing import domain as publishing
from publishing.models import Publication
from reports import render as pdfs
from reports.models import RenderJob
from schools.access import get_school
from schools.models import School

from .base import AUTHORITY, AuthorityViewSet
from .filtering import FilterSet
from .problems import StaleVersion
from .serializers import DateTimeField, ModelSerializer

# Awards


class AwardSerializer(ModelSerializer):
    status = serializers.SerializerMethodField(
        help_text="As the school's history shows it: `current`, `upcoming` (awarded from a later "
        "day), `expired` (renewed in time), `lapsed` (expired, not renewed) or `withdrawn` (its "
        "decision was corrected)."
    )

    class Meta:
        model = Award
        fields = [
            "id",
            "school",
            "tier",
            "awarded_on",
            "expires_on",
            "decision",
            "withdrawn_at",
            "status",
        ]
        extra_kwargs = {
            "school": {"help_text": "The school's id."},
            "tier": {"help_text": "The award's tier."},
            "awarded_on": {"help_text": "The day the award was made."},
            "expires_on": {"help_text": "The last day the award is in force."},
            "decision": {
                "help_text": "The id of the panel's decision it was made by (null for an award "
                "imported from before the portal)."
            },
            "withdrawn_at": {
                "help_text": "When a correction of its decision withdrew it; null if it stands."
            },
        }

    def get_status(self, award) -> str:
        return _award_status(award, award.standing, self.context["today"])


class AwardFilter(FilterSet):
    school = filters.NumberFilter(help_text="A school's id.")
    area = filters.NumberFilter(field_name="school__area", help_text="An area's id.")
    tier = filters.ChoiceFilter(choices=Tier.choices, help_text="The award's tier.")
    awarded_on = filters.DateFromToRangeFilter(
        help_text="Awarded from `awarded_on_after` to `awarded_on_before` (both included)."
    )
    expires_on = filters.DateFromToRangeFilter(
        help_text="Expiring from `expires_on_after` to `expires_on_before` (both included)."
    )
    current = filters.BooleanFilter(
        method="in_force", help_text="`true`: only the awards in force today; `false`: the others."
    )

    class Meta:
        model = Award
        fields = ["school", "area", "tier", "awarded_on", "expires_on", "current"]

    def in_force(self, queryset, name, value):
        current = awards_in_force().values("pk")
        return queryset.filter(pk__in=current) if value else queryset.exclude(pk__in=current)


@extend_schema_view(
    list=extend_schema(
        summary="The awards of the schools you may see",
        description="Every award of the schools the caller may see (the admin: all the "
        "authority's), withdrawn and lapsed ones too, each with its `status`. `?current=true` "
        "keeps the awards in force today. Ordered by `-awarded_on` unless `ordering` says "
        "otherwise (`tier_rank` orders Quality Mark < Centre of Excellence < Flagship).",
    ),
    retrieve=extend_schema(summary="One award"),
)
class AwardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AuthorityViewSet):
    model = Award
    serializer_class = AwardSerializer
    filterset_class = AwardFilter
    ordering_fields = ["awarded_on", "expires_on", "tier_rank", "school__name"]

    def visible(self):
        return (
            Award.objects.filter(school__in=visible_schools(self.user, self.authority))
            .annotate(tier_rank=tier_rank())
            .order_by("-awarded_on", "pk")
        )

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        read_standing(page or [])
        return page

    def get_object(self):
        award = super().get_object()
        read_standing([award])
        return award

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}


# Clusters


class PartnerRows(serializers.ListSerializer):
    """The rows of `clusters.domain.read_partners`, written as they are but for their dates."""

    def to_representation(self, rows):
        added_at = self.child.fields["added_at"]
        return [{**row, "added_at": added_at.to_representation(row["added_at"])} for row in rows]


class PartnerSerializer(serializers.Serializer):
    """A partner school of the cluster."""

    id = serializers.IntegerField(read_only=True)
    school = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The school's id when it is one of this authority's; null for a school outside "
        "the portal or of another authority (shown by its name only).",
    )
    name = serializers.CharField(read_only=True, help_text="The partner school's name.")
    added_at = DateTimeField(read_only=True, help_text="When it joined the cluster.")

    class Meta:
        list_serializer_class = PartnerRows


class ActivitySerializer(ModelSerializer):
    attended_by = serializers.PrimaryKeyRelatedField(
        many=True,
        read_only=True,
        help_text="For a meeting: the ids of the partners (of `partners`, or since removed) that "
        "came.",
    )

    class Meta:
        model = Activity
        fields = [
            "id",
            "kind",
            "date",
            "title",
            "description",
            "outcomes",
            "attended_by",
            "attendance",
            "recorded_by",
            "created_at",
        ]
        extra_kwargs = {
            "kind": {"help_text": "Collaboration, dissemination of practice, or a meeting."},
            "date": {"help_text": "The day it happened."},
            "title": {"help_text": "Its title."},
            "description": {"help_text": "What happened."},
            "outcomes": {"help_text": "What came of it."},
            "attendance": {"help_text": "For a meeting: how many people came in all."},
            "recorded_by": {"help_text": "The id of the person who logged it."},
            "created_at": {"help_text": "When it was logged."},
        }


class ClusterSerializer(ModelSerializer):
    partners = PartnerSerializer(
        source="current_partners", many=True, help_text="Its partner schools today."
    )

    class Meta:
        model = Cluster
        fields = ["id", "name", "lead_school", "created_at", "partners"]
        extra_kwargs = {
            "name": {"help_text": "The cluster's name."},
            "lead_school": {"help_text": "The id of the school that leads it."},
            "created_at": {"help_text": "When it was started."},
        }


class ClusterDetailSerializer(ClusterSerializer):
    activities = ActivitySerializer(
        many=True, help_text="Its activity log, the latest first (what the annual review reads)."
    )

    class Meta(ClusterSerializer.Meta):
        fields = ClusterSerializer.Meta.fields + ["activities"]


class ClusterFilter(FilterSet):
    lead_school = filters.NumberFilter(help_text="The lead school's id.")

    class Meta:
        model = Cluster
        fields = ["lead_school"]


class StartClusterSerializer(serializers.Serializer):
    lead_school = serializers.IntegerField(
        min_value=1, help_text="The id of the school that leads it (one cluster a school)."
    )
    name = serializers.CharField(
        max_length=Cluster._meta.get_field("name").max_length, help_text="The cluster's name."
    )


class PartnerRequestSerializer(serializers.Serializer):
    urn = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="The URN of a school in the portal, of any authority; or leave it out and give "
        "`name`.",
    )
    name = serializers.CharField(
        required=False, allow_blank=True, help_text="The name of a school outside the portal."
    )


class ActivityRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=Activity.Kind.choices, help_text="What kind of activity it was."
    )
    date = serializers.DateField(help_text="The day it happened.")
    title = serializers.CharField(help_text="Its title.")
    description = serializers.CharField(help_text="What happened.")
    outcomes = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="What came of it."
    )
    attended_by = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        help_text="For a meeting: the ids of the partners that came.",
    )
    attendance = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        help_text="For a meeting: how many people came in all.",
    )


def _checked(serializer_class, data) -> dict:
    sent = serializer_class(data=data)
    sent.is_valid(raise_exception=True)
    return sent.validated_data


def _form_data(form) -> dict:
    """A browser form's data, validated by the form (the same rules as the page), or a 400."""
    if not form.is_valid():
        raise serializers.ValidationError(
            {
                ("non_field_errors" if field == "__all__" else field): messages
                for field, messages in form.errors.items()
            }
        )
    return form.cleaned_data


CLUSTER_WRITE = (
    "Only the lead school's head teacher or coordinator, or the authority admin (else 403); a "
    "cluster you may not see is a 404. Answers the cluster as it is now."
)


@extend_schema_view(
    list=extend_schema(
        summary="The clusters you may see",
        description="The clusters whose lead school you work at, whose lead school's case you "
        "mentor, or, for the admin, all the authority's; each with its partner schools today.",
    ),
    retrieve=extend_schema(
        summary="One cluster, with its activities",
        responses=ClusterDetailSerializer,
    ),
)
class ClusterViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, AuthorityViewSet
):
    model = Cluster
    serializer_class = ClusterSerializer
    filterset_class = ClusterFilter
    ordering_fields = ["name", "created_at"]

    def get_serializer_class(self):
        return ClusterSerializer if self.action == "list" else ClusterDetailSerializer

    def visible(self):
        found = self._seen()
        if self.action != "list":  # one cluster, read with its activities
            activities = Activity.objects.prefetch_related(clusters.attendance())
            found = found.prefetch_related(Prefetch("activities", queryset=activities))
        return found.order_by("name", "pk")

    def read_shown(self, clusters_shown):
        clusters.read_partners(clusters_shown)

    def _seen(self):
        """The clusters the caller may see. The admin manages every cluster of the authority
        (`may_manage_cluster`), so theirs are not asked one by one."""
        if is_authority_admin(self.user, self.authority):
            return Cluster.objects.all()
        # The clusters led by a school the caller may see, each asked of clusters.access's
        # predicate; the lead school's latest mentor, which the predicate reads, read with them
        # (the predicate keeps it on the cluster as `_mentor_id`), so the list costs one query.
        latest = Cycle.objects.filter(school=OuterRef("lead_school")).order_by("-created_at", "-pk")
        candidates = Cluster.objects.filter(
            lead_school__in=visible_schools(self.user, self.authority)
        ).annotate(_mentor_id=Subquery(latest.values("mentor")[:1]))
        seen = [c.pk for c in candidates if may_view_cluster.test(self.user, c)]
        return Cluster.objects.filter(pk__in=seen)

    def _detail(self, cluster_pk, created=False):
        """The cluster as it is now, with its activities."""
        cluster = self.get_queryset().get(pk=cluster_pk)
        self.read_shown([cluster])
        return Response(
            ClusterDetailSerializer(cluster, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def _managed(self, pk) -> Cluster:
        """clusters.views._managed: a cluster the caller may see, and may run."""
        cluster = get_object_or_404(Cluster.objects.select_related("lead_school"), pk=pk)
        if not may_view_cluster.test(self.user, cluster):
            raise exceptions.NotFound("No such cluster.")
        if not may_manage_cluster.test(self.user, cluster):
            raise exceptions.PermissionDenied(
                "Only the lead school's head teacher or coordinator, or an admin."
            )
        return cluster

    @extend_schema(
        summary="Start a cluster",
        description="The lead school's head teacher or coordinator, or the admin, starts the "
        "cluster it leads (a school you may not see is a 404; one that already leads a cluster, "
        "a 400).",
        request=StartClusterSerializer,
        responses={201: ClusterDetailSerializer},
    )
    def create(self, request, authority_slug):
        sent = _checked(StartClusterSerializer, request.data)
        school = get_school(request, School.objects.all(), pk=sent["lead_school"])
        if not may_start_cluster.test(self.user, school):
            raise exceptions.PermissionDenied(
                "Only the school's head teacher or coordinator, or an admin."
            )
        cluster = clusters.start_cluster(school=school, name=sent["name"], by=self.user)
        return self._detail(cluster.pk, created=True)

    @extend_schema(
        summary="Add a partner school",
        description="A school of the portal by its URN (of any authority: one of another "
        "authority is shown by its name only), or a school outside the portal by its name. "
        + CLUSTER_WRITE,
        request=PartnerRequestSerializer,
        responses={201: ClusterDetailSerializer},
        examples=[
            OpenApiExample("A school of the portal", {"urn": "109238"}),
            OpenApiExample("A school outside it", {"name": "Longfields Primary School"}),
        ],
    )
    @action(detail=True, methods=["post"], url_path="partners", url_name="partners")
    def add_partner(self, request, authority_slug, pk):
        cluster = self._managed(pk)
        sent = _checked(PartnerRequestSerializer, request.data)
        data = _form_data(PartnerForm(sent))
        clusters.add_partner(cluster=cluster, by=self.user, urn=data["urn"], name=data["name"])
        return self._detail(cluster.pk, created=True)

    @extend_schema(
        summary="Remove a partner school",
        description="The partner leaves the cluster; the meetings it attended still name it. "
        + CLUSTER_WRITE,
        parameters=[
            OpenApiParameter("partner_pk", int, OpenApiParameter.PATH, description="The partner.")
        ],
        request=None,
        responses={200: ClusterDetailSerializer},  # the cluster as it is now, not a 204
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path="partners/<int:partner_pk>",
        url_name="partner",
    )
    def remove_partner(self, request, authority_slug, pk, partner_pk):
        cluster = self._managed(pk)
        partner = get_object_or_404(
            Partner.objects.select_related("school"),
            cluster=cluster,
            pk=partner_pk,
            removed_at=None,
        )
        clusters.remove_partner(partner=partner, by=self.user)
        return self._detail(cluster.pk)

    def _save_activity(self, cluster, activity, data):
        form = ActivityForm(data, instance=activity, cluster=cluster)
        cleaned = _form_data(form)
        clusters.save_activity(
            cluster=cluster,
            by=self.user,
            activity=form.instance,
            attended_by=list(cleaned["attended_by"]),
        )

    @extend_schema(
        summary="Log an activity",
        description="A collaboration, a dissemination of practice, or a meeting (with the "
        "partners that came and how many people). " + CLUSTER_WRITE,
        request=ActivityRequestSerializer,
        responses={201: ClusterDetailSerializer},
    )
    @action(detail=True, methods=["post"], url_path="activities", url_name="activities")
    def log_activity(self, request, authority_slug, pk):
        cluster = self._managed(pk)
        self._save_activity(cluster, Activity(), _checked(ActivityRequestSerializer, request.data))
        return self._detail(cluster.pk, created=True)

    @extend_schema(
        summary="Change an activity",
        description="Sends the whole activity, as logging it does. " + CLUSTER_WRITE,
        parameters=[
            OpenApiParameter("activity_pk", int, OpenApiParameter.PATH, description="The activity.")
        ],
        request=ActivityRequestSerializer,
        responses=ClusterDetailSerializer,
    )
    @action(
        detail=True,
        methods=["put"],
        url_path="activities/<int:activity_pk>",
        url_name="activity",
    )
    def change_activity(self, request, authority_slug, pk, activity_pk):
        cluster = self._managed(pk)
        activity = get_object_or_404(Activity, cluster=cluster, pk=activity_pk)
        self._save_activity(cluster, activity, _checked(ActivityRequestSerializer, request.data))
        return self._detail(cluster.pk)


# Published lists


class PublicationSerializer(ModelSerializer):
    awarded = serializers.IntegerField(help_text="How many awarded schools it lists.")
    current = serializers.SerializerMethodField(
        help_text="Whether it is the list in force (the latest version)."
    )

    class Meta:
        model = Publication
        fields = ["id", "version", "published_at", "superseded_at", "current", "awarded"]
        extra_kwargs = {
            "version": {"help_text": "1 for the first list, then one more each time."},
            "published_at": {"help_text": "When it was published."},
            "superseded_at": {"help_text": "When the next version replaced it; null if current."},
        }

    def get_current(self, publication) -> bool:
        return publication.superseded_at is None


class PublicationDetailSerializer(PublicationSerializer):
    content = serializers.JSONField(
        help_text="The public document exactly as published (and served at /<authority>/awards"
        ".json): authority, version, published_at, areas (each with its schools: name, tier, "
        "awarded_on, expires_on) and working_towards (names)."
    )

    class Meta(PublicationSerializer.Meta):
        fields = PublicationSerializer.Meta.fields + ["content"]


class ChangeSerializer(serializers.Serializer):
    area = serializers.CharField(help_text="The area the school is listed under.")
    name = serializers.CharField(help_text="The school's name.")
    tier = serializers.CharField(help_text="Its tier now (a removed school: the tier it had).")
    was = serializers.CharField(help_text="For a tier change, the tier before; else empty.")


class ChangesSerializer(serializers.Serializer):
    added = ChangeSerializer(many=True, help_text="Schools the new version adds.")
    removed = ChangeSerializer(many=True, help_text="Schools it no longer lists.")
    tier_changed = ChangeSerializer(many=True, help_text="Schools listed with another tier.")
    now_working_towards = serializers.ListField(
        child=serializers.CharField(), help_text="Schools now working towards the mark."
    )
    no_longer_working_towards = serializers.ListField(
        child=serializers.CharField(), help_text="Schools no longer working towards it."
    )


class PreviewSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="The version publishing now would make.")
    document = serializers.JSONField(
        help_text="The list as it would be published now (without the version and time a "
        "publication adds)."
    )
    changes = ChangesSerializer(help_text="What it changes since the current version.")
    fingerprint = serializers.CharField(
        help_text="Send it back as `confirmed` to publish exactly this list as this version."
    )


class PublishSerializer(serializers.Serializer):
    confirmed = serializers.CharField(
        help_text="The `fingerprint` of the preview the admin checked: if the list has changed "
        "since (an award was made, or another admin published), nothing is published and the "
        "answer is a 409 with the preview as it is now in `current`."
    )


class ListChanged(StaleVersion):
    default_detail = publishing.LIST_CHANGED
    default_code = "list_changed"


def _preview(authority) -> dict:
    """The publishing views' proposal: the list now, the version it would be, what changes."""
    document = publishing.current_list(authority)
    current = publishing.current_publication(authority)
    version = current.version + 1 if current else 1
    return {
        "version": version,
        "document": document,
        "changes": publishing.changes(current.content if current else None, document),
        "fingerprint": publishing.fingerprint(version, document),
    }


VERSION = OpenApiParameter(
    "version", int, OpenApiParameter.PATH, description="The publication's version."
)


@extend_schema_view(
    list=extend_schema(
        summary="The published versions of the list",
        description="Every published version of the awarded-schools list, the latest first (the "
        "list is public: every member reads it).",
    ),
    retrieve=extend_schema(
        summary="One published version, with its document",
        parameters=[VERSION],
        responses=PublicationDetailSerializer,
    ),
)
class PublicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AuthorityViewSet):
    model = Publication
    serializer_class = PublicationSerializer
    ordering_fields = ["version", "published_at"]
    lookup_field = "version"

    def get_serializer_class(self):
        if self.action in ("retrieve", "current", "create"):
            return PublicationDetailSerializer
        return PublicationSerializer

    def visible(self):
        publications = Publication.objects.filter(authority=self.authority).annotate(
            awarded=Count("schools")
        )
        if self.action == "list":
            publications = publications.defer("content")
        return publications.order_by("-version")

    def _require_admin(self):
        if not is_authority_admin.test(self.user, self.authority):
            raise exceptions.PermissionDenied("Only the authority's admin publishes the list.")

    @extend_schema(
        summary="The list in force",
        description="The latest published version, with its document; 404 before the first.",
        responses=PublicationDetailSerializer,
    )
    @action(detail=False, methods=["get"])
    def current(self, request, authority_slug):
        publication = get_object_or_404(self.get_queryset(), superseded_at=None)
        return Response(self.get_serializer(publication).data)

    @extend_schema(
        summary="Preview the next version (authority admin)",
        description="The list as publishing it now would make it, what it changes, and the "
        "`fingerprint` to confirm it with.",
        responses=PreviewSerializer,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def preview(self, request, authority_slug):
        self._require_admin()
        return Response(PreviewSerializer(_preview(self.authority)).data)

    @extend_schema(
        summary="Publish the previewed list (authority admin)",
        description="Publishes the list as the next version, exactly as previewed: `confirmed` is "
        "the preview's `fingerprint`. If the list changed since, the answer is a 409 "
        "(`list_changed`) whose `current` is the preview as it is now.",
        request=PublishSerializer,
        responses={201: PublicationDetailSerializer},
        examples=[OpenApiExample("Confirm a preview", {"confirmed": "9f86d081884c7d65…"})],
    )
    def create(self, request, authority_slug):
        self._require_admin()
        sent = PublishSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        try:
            publication = publishing.publish(
                self.authority, self.user, confirmed=sent.validated_data["confirmed"]
            )
        except ValidationError as refused:
            if refused.code != "list_changed":
                raise
            raise ListChanged(current=PreviewSerializer(_preview(self.authority)).data) from None
        publication = self.get_queryset().get(pk=publication.pk)
        return Response(self.get_serializer(publication).data, status=status.HTTP_201_CREATED)


# Render jobs


class RenderJobSerializer(ModelSerializer):
    download = serializers.SerializerMethodField(
        help_text="Once `state` is `done`: the address of the PDF (the same checks as reading "
        "the job); else null."
    )

    class Meta:
        model = RenderJob
        fields = [
            "id",
            "kind",
            "object_id",
            "state",
            "error",
            "pages",
            "created_at",
            "started_at",
            "finished_at",
            "download",
        ]
        extra_kwargs = {
            "kind": {"help_text": "What PDF it makes."},
            "object_id": {
                "help_text": "The id of its subject: the award (certificate, plaque), the "
                "assessment report (report), the cycle (summary) or the decision (letter)."
            },
            "state": {"help_text": "queued, rendering, done or failed."},
            "error": {"help_text": "Why it failed, in words a person can read."},
            "pages": {"help_text": "The PDF's pages, once done."},
            "created_at": {"help_text": "When it was asked for."},
            "started_at": {"help_text": "When a worker started it."},
            "finished_at": {"help_text": "When it was done or failed."},
        }

    def get_download(self, job) -> str | None:
        if job.state != RenderJob.State.DONE:
            return None
        request = self.context["request"]
        return reverse(
            "api:render-job-file",
            kwargs={"authority_slug": request.authority.slug, "pk": job.pk},
            request=request,
        )


class RenderRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RenderJob.Kind.choices, help_text="What PDF to make.")
    object_id = serializers.IntegerField(
        min_value=1, help_text="The id of its subject (see the job's `object_id`)."
    )


class NotReady(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The PDF is not made yet: read the job until its state is “done”."
    default_code = "not_ready"


class PDFRenderer(renderers.BaseRenderer):
    """Lets a client ask for `application/pdf`; the PDF itself is streamed as a file response,
    so only a problem is ever rendered here (as JSON, with the problem's content type)."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return renderers.JSONRenderer().render(data)


def _available(job, subject) -> None:
    """The browser's refusal of a PDF that cannot be had now (a withdrawn award's certificate)."""
    if reason := pdfs.kind_of(job.kind).unavailable(subject):
        raise exceptions.PermissionDenied(reason)


@extend_schema(parameters=[AUTHORITY])
class RenderJobViewSet(mixins.CreateModelMixin, mixins.RetrieveModelMixin, AuthorityViewSet):
    model = RenderJob
    serializer_class = RenderJobSerializer

    def visible(self):
        return RenderJob.objects.all()

    def get_object(self):
        job, subject = pdfs.job_for(self.user, self.kwargs["pk"])
        _available(job, subject)
        return job

    @extend_schema(
        summary="Ask for a PDF",
        description="A certificate, plaque artwork, assessment report, self-review summary or "
        "decision letter of a subject you may see (else 404). The same input is made once: an "
        "existing job for it is answered (200), else a new one is queued (201). Read the job "
        "until `state` is `done`, then fetch `download`. A PDF that cannot be made now (a draft "
        "report, a withdrawn award) is a 403 with the reason.",
        request=RenderRequestSerializer,
        responses={200: RenderJobSerializer, 201: RenderJobSerializer},
        examples=[OpenApiExample("A certificate", {"kind": "certificate", "object_id": 12})],
    )
    def create(self, request, authority_slug):
        sent = RenderRequestSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        kind = sent.validated_data["kind"]
        subject = pdfs.subject_for(self.user, kind, sent.validated_data["object_id"])
        if reason := pdfs.kind_of(kind).unavailable(subject):
            raise exceptions.PermissionDenied(reason)
        asked = timezone.now()
        job = pdfs.request_render(self.authority, kind, subject, self.user)
        made = job.created_at >= asked
        return Response(
            self.get_serializer(job).data, status=status.HTTP_201_CREATED if made else 200
        )

    @extend_schema(summary="A render job: its state, and its PDF's address once done")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="The PDF",
        description="The job's PDF as an attachment, with the same checks as reading the job; "
        "409 (`not_ready`) until it is done.",
        parameters=[OpenApiParameter("format", exclude=True)],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, PDFRenderer])
    def file(self, request, authority_slug, pk):
        job, subject = pdfs.job_for(self.user, pk)
        _available(job, subject)
        if job.state != RenderJob.State.DONE or not job.file:
            raise NotReady()
        return pdfs.pdf_response(job, subject)
