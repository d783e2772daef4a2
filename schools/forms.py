from django import forms

from . import gias
from .models import Area, School


class AreaForm(forms.ModelForm):
    class Meta:
        model = Area
        fields = ["name", "position"]

    def __init__(self, *args, authority, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.authority = authority

    def validate_unique(self):
        # The unique constraint includes the authority, which is not a form field.
        super().validate_unique()
        name = self.cleaned_data.get("name")
        if name and Area.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).exists():
            self.add_error("name", "This authority already has an area with this name.")


class SchoolForm(forms.ModelForm):
    # Declared here because the default fields would query a scoped model when the class is built.
    area = forms.ModelChoiceField(
        queryset=Area.objects.none(), required=False, empty_label="No area"
    )
    phase = forms.ChoiceField(choices=[("", "Choose a phase"), *School.Phase.choices])

    class Meta:
        model = School
        fields = ["name", "urn", "phase", "area", "roll_size", "address", "postcode"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, authority, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.authority = authority
        self.fields["area"].queryset = Area.objects.all()

    def clean_postcode(self):
        return self.cleaned_data["postcode"].upper().strip()

    def validate_unique(self):
        super().validate_unique()
        urn = self.cleaned_data.get("urn")
        if urn and School.objects.filter(urn=urn).exclude(pk=self.instance.pk).exists():
            self.add_error("urn", "Another school of this authority already has this URN.")


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Establishment data from Get Information about Schools (CSV)",
        help_text=f"As downloaded, up to {gias.MAX_BYTES // (1024 * 1024)} MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> gias.Upload:
        try:
            return gias.read(self.cleaned_data["file"])
        except gias.ImportRefused as refused:
            raise forms.ValidationError(refused.message) from refused
