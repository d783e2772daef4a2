from functools import cached_property

from django.db import models
from rest_framework import serializers

from authorities.models import Authority
from schools.models import Area, School


class ChoiceLabel(serializers.CharField):
    """A choice's label ("Self-review"), as the model's `get_<field>_display()` gives it, from the
    field's choices read once per list: that method maps the choices anew for every object (and
    DRF inspects it for every object when it is the `source`)."""

    def __init__(self, field: str, **kwargs):
        super().__init__(source=field, read_only=True, **kwargs)

    @cached_property
    def labels(self) -> dict:
        field = self.parent.Meta.model._meta.get_field(self.source)
        return {value: str(label) for value, label in field.flatchoices}

    def to_representation(self, value):
        return self.labels.get(value, value)


class DateTimeField(serializers.DateTimeField):
    """DRF's, with the current time zone looked up once per field, which a list's rows share,
    not for every value: the lookup (through asgiref's Local) cost more than writing the value."""

    @cached_property
    def timezone(self):
        return self.default_timezone()


class ModelSerializer(serializers.ModelSerializer):
    """The API's: its models' date-times are written by the `DateTimeField` above, and the fields
    it writes are listed once, not walked for every object of a list."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: DateTimeField,
    }

    @cached_property
    def _readable_fields(self):
        # DRF's is a generator over `fields.values()`, a MutableMapping's view that looks up each
        # field by its name again: for every row, about a tenth of what writing a cycle costs.
        return [field for field in self.fields.values() if not field.write_only]


class AuthoritySerializer(ModelSerializer):
    class Meta:
        model = Authority
        fields = ["slug", "name"]


class AreaSerializer(ModelSerializer):
    class Meta:
        model = Area
        fields = ["id", "name", "position"]


class SchoolSerializer(ModelSerializer):
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
