from itertools import groupby

from django import forms

from assessments.models import Descriptor, Element

from .domain import FILES_PER_REQUEST


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data] if data else []
        if not files:
            raise forms.ValidationError("Choose a file to upload")
        if len(files) > FILES_PER_REQUEST:
            raise forms.ValidationError(f"Add up to {FILES_PER_REQUEST} files at a time.")
        return files


class GroupedCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes under a heading for each group of choices."""

    template_name = "forms/widgets/grouped_checkboxes.html"


class LinksMixin(forms.Form):
    """Elements and descriptors of the cycle's framework the evidence is linked to."""

    elements = forms.ModelMultipleChoiceField(
        queryset=Element.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Elements it is evidence for",
    )
    descriptors = forms.ModelMultipleChoiceField(
        queryset=Descriptor.objects.none(),
        required=False,
        widget=GroupedCheckboxes,
        label="Statements it is evidence for",
    )

    def __init__(self, *args, cycle, elements=None, **kwargs):
        """`elements`: the framework's elements, if read already (the portfolio's coverage):
        the checkboxes are written from them, not read again."""
        super().__init__(*args, **kwargs)
        self.fields["elements"].queryset = Element.objects.filter(framework=cycle.framework_id)
        if elements is not None:
            self.fields["elements"].choices = [(e.pk, str(e)) for e in elements]
        descriptors = Descriptor.objects.filter(element__framework=cycle.framework_id)
        self.fields["descriptors"].queryset = descriptors
        # Under their elements, not one list of forty; read when the form is rendered.
        self.fields["descriptors"].choices = lambda: [
            (str(element), [(d.pk, f"{d.label} {d.text}") for d in group])
            for element, group in groupby(
                descriptors.select_related("element"), key=lambda d: d.element
            )
        ]


class UploadForm(LinksMixin):
    files = MultipleFileField(
        label="Files",
        help_text="PDF, Word, Excel, PowerPoint, OpenDocument, JPEG, PNG or plain text.",
    )
    field_order = ["files", "elements"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields[
            "descriptors"
        ]  # linked item by item afterwards; forty checkboxes here would be a wall


class LinkForm(LinksMixin):
    url = forms.URLField(max_length=500, label="Web address", assume_scheme="https")
    title = forms.CharField(max_length=200)
    description = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence_date = forms.DateField(
        required=False, label="Date", widget=forms.DateInput(attrs={"type": "date"})
    )
    field_order = ["url", "title", "description", "evidence_date", "elements", "descriptors"]


class ItemForm(LinksMixin):
    title = forms.CharField(max_length=200)
    description = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence_date = forms.DateField(
        required=False, label="Date", widget=forms.DateInput(attrs={"type": "date"})
    )
    field_order = ["title", "description", "evidence_date", "elements", "descriptors"]


class CommentForm(forms.Form):
    body = forms.CharField(
        max_length=2000,
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write a comment before sending it."},
    )
