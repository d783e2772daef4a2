from django import forms

from accounts.models import Role, User
from assessments.models import Element
from schools.models import School

from .models import Outcome, VisitNote


def _tiers(options):
    """From awards.domain.tier_options: the tiers the school may be awarded now, and a note of
    each it may not, with why."""
    allowed = [(tier.value, tier.label) for tier, reason in options if reason is None]
    refused = " ".join(f"Not open to this school: {reason}" for _, reason in options if reason)
    return allowed, refused


def _options(tiers, renewing=None):
    """A review (`renewing` its tier) is renewed or lapses; an assessment awards one of the tiers
    open to the school, defers or does not award."""
    if renewing:
        tiers = [(tier, reason) for tier, reason in tiers if tier == renewing]
    allowed, refused = _tiers(tiers)
    if renewing:
        choices = [("award:" + tier, f"Renew: {label}") for tier, label in allowed]
        return choices + [("not_award:", "Lapse")], refused
    choices = [("award:" + tier, f"Award: {label}") for tier, label in allowed]
    return choices + [("defer:", "Defer"), ("not_award:", "Not award")], refused


class TierOptionsMixin:
    """The vote's options are only the tiers the school may be awarded (awards.domain)."""

    option_fields = ()

    def __init__(self, *args, tiers, renewing=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices, refused = _options(tiers, renewing)
        for name in self.option_fields:
            field = self.fields[name]
            field.choices = field.choices[:1] + choices if not field.required else choices
            field.help_text = refused


class ReturnPortfolioForm(forms.Form):
    reasons = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why it is not ready",
        error_messages={"required": "Tell the school why the portfolio is not ready for a visit."},
    )


class VisitForm(forms.Form):
    moderators = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple, help_text="Exactly two."
    )
    visit_date = forms.DateField(
        label="Date of the visit", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, authority, review=False, **kwargs):
        super().__init__(*args, **kwargs)
        if review:
            self.fields["moderators"].help_text = "One is enough for an annual visit; two allowed."
        self.fields["moderators"].queryset = User.objects.filter(
            memberships__authority=authority, memberships__role=Role.MODERATOR
        ).distinct()


class NoteForm(forms.ModelForm):
    elements = forms.ModelMultipleChoiceField(
        queryset=Element.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Elements it bears on",
    )
    kind = forms.ChoiceField(choices=[("", "Choose a kind"), *VisitNote.Kind.choices])

    class Meta:
        model = VisitNote
        fields = ["kind", "who", "subject", "focus", "notes", "elements"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, cycle, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["elements"].queryset = Element.objects.filter(framework=cycle.framework_id)


class ReportForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    context = forms.CharField(
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="The school's context",
    )
    strengths = forms.CharField(
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Overall strengths",
    )
    next_steps = forms.CharField(
        max_length=10000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    recommendation = forms.ChoiceField(choices=[("", "Not yet")] + Outcome.choices, required=False)
    tier = forms.ChoiceField(choices=[("", "–")], required=False)
    revisit_by = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="For a deferral: when the moderators revisit.",
    )

    def __init__(self, *args, elements, tiers, **kwargs):
        super().__init__(*args, **kwargs)
        allowed, refused = _tiers(tiers)
        self.fields["tier"].choices += allowed
        self.fields["tier"].help_text = " ".join(filter(None, ["For an award.", refused]))
        self.elements = elements
        for e in elements:
            self.fields[f"strengths-{e.pk}"] = forms.CharField(
                max_length=5000,
                required=False,
                label=f"{e.number}. Strengths",
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"development-{e.pk}"] = forms.CharField(
                max_length=5000,
                required=False,
                label=f"{e.number}. Areas for development",
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"judgement-{e.pk}"] = forms.ChoiceField(
                choices=[("", "Not yet judged"), ("met", "Met"), ("not_yet", "Not yet met")],
                required=False,
                label=f"{e.number}. Judgement",
            )

    def element_groups(self):
        return [
            (e, [self[f"strengths-{e.pk}"], self[f"development-{e.pk}"], self[f"judgement-{e.pk}"]])
            for e in self.elements
        ]

    def findings(self):
        d = self.cleaned_data
        return {
            e.pk: (d[f"strengths-{e.pk}"], d[f"development-{e.pk}"], d[f"judgement-{e.pk}"])
            for e in self.elements
        }


class BallotForm(TierOptionsMixin, forms.Form):
    option_fields = ("option",)
    option = forms.ChoiceField(widget=forms.RadioSelect, label="Your vote")
    comment = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def option_value(self):
        outcome, tier = self.cleaned_data["option"].split(":")
        return outcome, tier


class DecisionForm(TierOptionsMixin, forms.Form):
    option_fields = ("casting",)

    rationale = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="The panel's reasons",
        error_messages={"required": "Record the panel's reasons with its decision."},
    )
    casting = forms.ChoiceField(
        choices=[("", "No tie")],
        required=False,
        label="Casting vote, if the vote is tied",
    )


class CorrectionForm(TierOptionsMixin, forms.Form):
    option_fields = ("option",)
    option = forms.ChoiceField(label="Corrected decision")
    rationale = forms.CharField(
        max_length=5000, widget=forms.Textarea(attrs={"rows": 3}), label="Reasons"
    )
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why the decision is corrected",
    )


class ConflictForm(forms.Form):
    school = forms.ModelChoiceField(queryset=School.objects.none(), empty_label="Choose a school")
    reason = forms.CharField(
        max_length=300,
        label="The conflict",
        help_text="For example: “my child attends the school”.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = School.objects.order_by("name")
