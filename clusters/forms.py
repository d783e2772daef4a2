from django import forms
from django.db.models import Q

from schools.models import urn_validator

from .models import Activity, Cluster, Partner


class ClusterForm(forms.ModelForm):
    class Meta:
        model = Cluster
        fields = ["name"]
        labels = {"name": "Name of the cluster"}


class PartnerForm(forms.Form):
    urn = forms.CharField(
        label="URN of a school in the portal",
        required=False,
        max_length=7,
        validators=[urn_validator],
        help_text="Its unique reference number, as in Get Information about Schools; the school "
        "may belong to any authority in the portal.",
    )
    name = forms.CharField(
        label="Or the name of a school outside the portal",
        required=False,
        max_length=Partner._meta.get_field("name").max_length,
    )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if bool(data.get("urn")) == bool(data.get("name", "").strip()):
            raise forms.ValidationError(
                "Give either the URN of a school in the portal or the name of a school outside it."
            )
        data["name"] = data.get("name", "").strip()
        return data


class ActivityForm(forms.ModelForm):
    attended_by = forms.ModelMultipleChoiceField(
        queryset=Partner.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Partner schools that attended",
        help_text="For a cluster meeting.",
    )
    kind = forms.ChoiceField(choices=Activity.Kind.choices, widget=forms.RadioSelect)

    class Meta:
        model = Activity
        fields = ["kind", "date", "title", "description", "outcomes", "attended_by", "attendance"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 4}),
            "outcomes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"attendance": "For a cluster meeting: how many people came in all."}

    def __init__(self, *args, cluster, **kwargs):
        super().__init__(*args, **kwargs)
        # Today's partners, and any that have left since they attended this meeting.
        attended = Q(meetings_attended=self.instance.pk) if self.instance.pk else Q(pk=None)
        self.fields["attended_by"].queryset = (
            Partner.objects.filter(Q(cluster=cluster, removed_at=None) | attended)
            .select_related("school")
            .distinct()
        )
        self.fields["attended_by"].label_from_instance = lambda partner: partner.display_name
