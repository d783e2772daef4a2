from django import forms

from assessments.models import Element

from .models import TEXT_LIMIT, ElementProgress, Priority, Ratification


class UpdateForm(forms.Form):
    """One element of the annual update: the year's progress and next year's plans."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    progress = forms.CharField(
        label="Progress this year",
        required=False,
        max_length=TEXT_LIMIT,
        help_text="What has changed against this element since the last review, and the evidence.",
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    plans = forms.CharField(
        label="Plans for next year",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class RatificationForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    summary = forms.CharField(
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Summary of the visit",
    )
    recommendation = forms.ChoiceField(
        choices=[("", "Not yet")] + Ratification.Recommendation.choices, required=False
    )

    def __init__(self, *args, elements, **kwargs):
        super().__init__(*args, **kwargs)
        self.elements = elements
        for e in elements:
            self.fields[f"judgement-{e.pk}"] = forms.ChoiceField(
                choices=[("", "Not yet judged")] + ElementProgress.Judgement.choices,
                required=False,
                label=f"{e.number}. Progress",
            )
            self.fields[f"comment-{e.pk}"] = forms.CharField(
                max_length=TEXT_LIMIT,
                required=False,
                label=f"{e.number}. Comment",
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def element_groups(self):
        return [(e, [self[f"judgement-{e.pk}"], self[f"comment-{e.pk}"]]) for e in self.elements]

    def progress(self):
        d = self.cleaned_data
        return {e.pk: (d[f"judgement-{e.pk}"], d[f"comment-{e.pk}"]) for e in self.elements}


class PriorityForm(forms.ModelForm):
    element = forms.ModelChoiceField(
        queryset=Element.objects.none(), empty_label="Choose an element"
    )

    class Meta:
        model = Priority
        fields = ["element", "action", "lead", "by_when"]
        widgets = {
            "action": forms.Textarea(attrs={"rows": 2}),
            "by_when": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, cycle, elements=None, **kwargs):
        """`elements`: the framework's, when the page has read them already (to show them)."""
        super().__init__(*args, **kwargs)
        field = self.fields["element"]
        field.queryset = Element.objects.filter(framework=cycle.framework_id)
        if elements is not None:
            field.choices = [("", field.empty_label)] + [
                (field.prepare_value(e), field.label_from_instance(e)) for e in elements
            ]
