from functools import partial

from django.core.paginator import Paginator as DjangoPaginator
from rest_framework.pagination import PageNumberPagination


class Paginator(DjangoPaginator):
    """Django's, reading the page's rows through the view's `shown` (api/base.py) once they are
    counted: what it adds (a related row's name, by a join) would only slow the count down."""

    def __init__(self, object_list, per_page, *, shown, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.shown = shown

    def _get_page(self, object_list, *args, **kwargs):
        return super()._get_page(self.shown(object_list), *args, **kwargs)


class Pagination(PageNumberPagination):
    """`?page=2&page_size=100`: 50 a page by default, 200 at most. For the API's views, each an
    AuthorityViewSet."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        self.django_paginator_class = partial(Paginator, shown=view.shown)
        return super().paginate_queryset(queryset, request, view)
