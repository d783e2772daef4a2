from django_filters import rest_framework as filters
from django_scopes import scopes_disabled


class FilterSet(filters.FilterSet):
    """django-filter reads each model field through its default manager when the class is made,
    outside any authority (django-scopes would refuse). Filter foreign keys by id
    (`NumberFilter(field_name="area")`): a choice field would read the related table."""

    @classmethod
    def get_filters(cls):
        with scopes_disabled():
            return super().get_filters()
