from rest_framework import serializers

from authorities.models import Authority
from schools.models import Area, School


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
