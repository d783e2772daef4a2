from rest_framework import serializers

from authorities.models import Authority
from schools.models import Area, School


class ChoiceLabel(serializers.CharField):
    """A choice's label ("Self-review"), as the model's `get_<field>_display()` gives it; written
    out rather than as `source="get_<field>_display"`, whose method DRF inspects for every object
    of a list."""

    def __init__(self, field: str, **kwargs):
        self.field = field
        super().__init__(read_only=True, **kwargs)

    def get_attribute(self, instance):
        return getattr(instance, f"get_{self.field}_display")()


class AuthoritySerializer(serializers.ModelSerializer):
    class Meta:
        model = Authority
        fields = ["slug", "name"]


class AreaSerializer(serializers.ModelSerializer):
    class Meta:
        model = Area
        fields = ["id", "name", "position"]


class SchoolSerializer(serializers.ModelSerializer):
    class Meta:
        model = School
        fields = [
            "id",
            "urn",
            "name",
            "phase",
            "area",
            "roll_size",
            "address",
            "postcode",
            "establishment_type",
            "latitude",
            "longitude",
        ]
