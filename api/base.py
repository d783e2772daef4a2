"""What every endpoint of an authority shares: /api/v1/<authority-slug>/…, inside that
authority's scope (the middleware's, as for its pages), for its members (api/permissions.py).
Each endpoint's queryset is what the caller's roles let them see, read from the workflow's
queries and predicates; writes go through the apps' domain functions."""

from functools import cached_property

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets

from assessments.access import get_cycle

AUTHORITY = OpenApiParameter(
    "authority_slug",
    str,
    OpenApiParameter.PATH,
    description="The authority's slug, as in its web addresses (e.g. `bathnes`).",
)


@extend_schema(parameters=[AUTHORITY])
class AuthorityViewSet(viewsets.GenericViewSet):
    """Subclasses name their `model` and return what the caller may see from `visible()`; what
    the objects written out show beyond their rows, `shown` adds to their query as columns and
    `read_shown` reads for a page at once."""

    model = None
    lookup_value_converter = "int"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generator, outside a scope
            return self.model.objects.none()
        visible = self.visible()
        if self.action == "list" and self.paginator is not None:
            return visible  # the page is read through `shown` once counted (api/pagination.py)
        return self.shown(visible)

    def visible(self):
        raise NotImplementedError

    def shown(self, queryset):
        """The query with what its objects show of other rows added as columns (e.g. a related
        row's name, annotated). A list's page is given to it sliced, after the count, which the
        joins would only slow: it may annotate, but not filter or order."""
        return queryset

    def read_shown(self, objects) -> None:
        """E.g. `portfolios.domain.read_links`: given a list's page, or the object retrieved."""

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            self.read_shown(page)
        return page

    def get_object(self):
        found = super().get_object()
        if self.action == "retrieve":  # another action reads what it writes (a step, under a lock)
            self.read_shown([found])
        return found

    @property
    def authority(self):
        return self.request.authority

    @property
    def user(self):
        return self.request.user


CYCLE = OpenApiParameter("cycle_pk", int, OpenApiParameter.PATH, description="The cycle's id.")


@extend_schema(parameters=[AUTHORITY, CYCLE])
class CycleNestedViewSet(AuthorityViewSet):
    """An endpoint under /cycles/<cycle_pk>/: the cycle is one the caller may see (the workflow's
    `visible_cycles`), else a 404, as another authority's or another school's is."""

    @cached_property
    def cycle(self):
        return get_cycle(self.request, self.kwargs["cycle_pk"])  # the pages' own lookup
