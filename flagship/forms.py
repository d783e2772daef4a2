from django import forms
from django.utils import timezone

from .models import CRITERIA, TEXT_LIMIT, CriterionCheck, KeyStep, ResearchOutput, ResearchProject

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProjectForm(forms.ModelForm):
    class Meta:
        model = ResearchProject
        fields = ["question", "rationale", "started_on"]
        labels = {"started_on": "Started on"}
        widgets = {"rationale": forms.Textarea(attrs={"rows": 5}), "started_on": DATE}


class EndForm(forms.Form):
    conclusion = forms.CharField(
        max_length=TEXT_LIMIT,
        label="What the research found",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Say what the research found before ending it."},
    )


class KeyStepForm(forms.ModelForm):
    class Meta:
        model = KeyStep
        fields = ["description", "owner", "starts_on", "due_on", "status"]
        widgets = {"starts_on": DATE, "due_on": DATE}

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("due_on") and data["starts_on"] > data["due_on"]:
            self.add_error("due_on", "The due date must be on or after the start.")
        return data


class OutputForm(forms.ModelForm):
    url = forms.URLField(label="Link", max_length=500, required=False, assume_scheme="https")
    kind = forms.ChoiceField(choices=[("", "Choose a kind"), *ResearchOutput.Kind.choices])

    class Meta:
        model = ResearchOutput
        fields = ["title", "kind", "published_in", "url", "year"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.initial.setdefault("year", timezone.localdate().year)


class EvidenceForm(forms.Form):
    """The school's evidence for each of the nine criteria: one text each."""

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for number, row in enumerate(rows, start=1):
            self.fields[row["key"]] = forms.CharField(
                label=f"Evidence for criterion {number}",
                required=False,
                max_length=TEXT_LIMIT,
                widget=forms.Textarea(attrs={"rows": 4}),
                initial=row["check"].evidence if row["check"] else "",
            )

    def fields_of(self):
        """(row, its evidence field) for each criterion, for the page."""
        return [(row, self[row["key"]]) for row in self.rows]


class ConfirmForm(forms.Form):
    """The visiting moderator's verdict on each criterion, with a comment; a criterion left
    unanswered keeps the verdict it had."""

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for number, row in enumerate(rows, start=1):
            check = row["check"]
            self.fields[f"{row['key']}_verdict"] = forms.ChoiceField(
                label=f"Is criterion {number} met?",
                choices=CriterionCheck.Verdict.choices,
                required=False,
                widget=forms.RadioSelect,
                initial=check.verdict if check else None,
            )
            self.fields[f"{row['key']}_comment"] = forms.CharField(
                label=f"Comment on criterion {number}",
                required=False,
                max_length=2000,
                help_text="Needed for “not yet”: what the school still needs to show.",
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=check.comment if check else "",
            )

    def clean(self):
        data = super().clean()
        for key, _ in CRITERIA:
            verdict = data.get(f"{key}_verdict")
            if (
                verdict == CriterionCheck.Verdict.NOT_YET
                and not data.get(f"{key}_comment", "").strip()
            ):
                self.add_error(f"{key}_comment", "Say what the school still needs to show.")
        return data

    def verdicts(self) -> dict:
        """key -> (verdict, comment) for each criterion given a verdict."""
        data = self.cleaned_data
        return {
            key: (data[f"{key}_verdict"], data[f"{key}_comment"])
            for key, _ in CRITERIA
            if data.get(f"{key}_verdict")
        }

    def fields_of(self):
        """(row, verdict field, comment field) for each criterion, for the page."""
        return [
            (row, self[f"{row['key']}_verdict"], self[f"{row['key']}_comment"]) for row in self.rows
        ]
