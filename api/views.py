from django_filters import rest_framework as filters
from rest_framework import mixins, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from assessments.workflow import visible_schools
from authorities.domain import authorities_of
from authorities.models import Authority
from schools.models import Area, School

from . import serializers
from .base import AuthorityViewSet
from .filtering import FilterSet


class AuthorityList(viewsets.GenericViewSet):
    """The authorities the caller belongs to (with a token: the token's own)."""

    queryset = Authority.objects.none()  # for the schema: the list is read in list()
    serializer_class = serializers.AuthoritySerializer
    permission_classes = [IsAuthenticated]
    pagination_class = None

    def list(self, request):
        token = request.auth
        found = [a for a in authorities_of(request.user) if token is None or a == token.authority]
        return Response(self.get_serializer(found, many=True).data)


class AreaViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AuthorityViewSet):
    """The authority's areas: every member reads them."""

    model = Area
    serializer_class = serializers.AreaSerializer
    ordering_fields = ["position", "name"]

    def visible(self):
        return Area.objects.order_by("position", "name", "pk")


class SchoolFilter(FilterSet):
    area = filters.NumberFilter(help_text="An area's id.")

    class Meta:
        model = School
        fields = ["area", "phase", "urn"]


class SchoolViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AuthorityViewSet):
    """The schools the caller may see: the admin all; others their own school and the schools of
    the cases they work on."""

    model = School
    serializer_class = serializers.SchoolSerializer
    filterset_class = SchoolFilter
    ordering_fields = ["name", "urn"]

    def visible(self):
        return visible_schools(self.user, self.authority).order_by("name", "pk")
