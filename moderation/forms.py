import uuid

from django import forms

from accounts.models import Role, User
from assessments.models import Element
from authorities.school_picker import SchoolField
from schools.models import School

from .models import Finding, Outcome, VisitNote


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

    # A new id with each blank form, so the same note submitted twice is saved once (the visit
    # page's script gives each note it queues its own). Not required: a page opened before it
    # existed still sends its note.
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = VisitNote
        fields = ["kind", "who", "subject", "focus", "notes", "elements"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, cycle, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["elements"].queryset = Element.objects.filter(framework=cycle.framework_id)
        if not self.is_bound:
            self.initial["client_id"] = uuid.uuid4()

    def note(self) -> dict:
        """The note's fields, as moderation.domain.add_note takes them."""
        return {name: self.cleaned_data[name] for name in [*self.Meta.fields, "client_id"]}


class SectionForm(forms.Form):
    """One autosaved section of the report (moderation.domain.save_section): its fields and the
    version they were loaded at. `to_sign` names the fields signing needs, so their labels say
    so rather than "(optional)". `of` names what the section is of, for screen readers, when the
    page has several sections with the same labels (" for element 3")."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    to_sign: dict = {}

    def __init__(self, *args, of="", **kwargs):
        super().__init__(*args, **kwargs)
        for name, when in self.to_sign.items():
            self.fields[name].required_for = when
        if of:
            for field in self.fields.values():
                field.hidden_label = f" for {of}"

    def data_of(self, row) -> dict:
        return {name: getattr(row, name) for name in self.fields if name != "version"}

    def compare(self, theirs) -> list:
        """For a conflict: each field's label, their saved value and this form's, in words."""

        def shown(field, value):
            if value in (None, ""):
                return "–"
            choices = dict(getattr(field, "choices", ()))
            return choices.get(value, value)

        return [
            (f.label, shown(f.field, getattr(theirs, f.name)), shown(f.field, f.data))
            for f in self
            if f.name != "version"
        ]


def _text(label, limit, rows=3, **kwargs):
    return forms.CharField(
        max_length=limit,
        required=False,
        label=label,
        widget=forms.Textarea(attrs={"rows": rows}),
        **kwargs,
    )


class ContextForm(SectionForm):
    context = _text(
        "The school's context",
        10000,
        rows=5,
        help_text="The school and its pupils, and the visit: whom you met, what you observed.",
    )
    to_sign = {"context": "required to sign"}


class OverallForm(SectionForm):
    strengths = _text("Overall strengths", 10000, rows=4)
    next_steps = _text("Next steps", 10000, rows=4)
    recommendation = forms.ChoiceField(
        choices=[("", "Not yet made")] + Outcome.choices, required=False
    )
    tier = forms.ChoiceField(choices=[("", "–")], required=False)
    revisit_by = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="When the moderators revisit.",
    )
    to_sign = {
        "recommendation": "required to sign",
        "tier": "required to sign an award",
        "revisit_by": "required to sign a deferral",
    }

    def __init__(self, *args, tiers, **kwargs):
        super().__init__(*args, **kwargs)
        allowed, refused = _tiers(tiers)
        self.fields["tier"].choices += allowed
        self.fields["tier"].help_text = refused


class FindingForm(SectionForm):
    """An element's finding (its fields' ids name the element: the page has one per element)."""

    strengths = _text("Strengths", 5000)
    development = _text("Areas for development", 5000)
    judgement = forms.ChoiceField(
        choices=[("", "Not yet judged")] + Finding.Judgement.choices, required=False
    )
    to_sign = {"judgement": "required to sign"}


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
    school = SchoolField()
    reason = forms.CharField(
        max_length=300,
        label="The conflict",
        help_text="For example: “my child attends the school”.",
    )

    def __init__(self, *args, authority, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].among(School.objects.all(), authority)
