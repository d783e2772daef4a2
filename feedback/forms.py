from django import forms

from .models import PAGE_MAX_LENGTH

HONEYPOT_LABEL = "To prevent automated spam submissions leave this field empty."


class FeedbackForm(forms.Form):
    """The page the form was sent from, and a honeypot: a field people are told to leave empty and
    that spam robots, which fill in every field, do not."""

    page = forms.CharField(max_length=PAGE_MAX_LENGTH, widget=forms.HiddenInput)
    website = forms.CharField(
        label=HONEYPOT_LABEL,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, authority, **kwargs):
        self.authority = authority
        super().__init__(*args, **kwargs)

    @property
    def is_spam(self) -> bool:
        return bool(self.data.get(self.add_prefix("website"), "").strip())

    def answers(self) -> dict:
        """What the visitor told us, as the domain function takes it."""
        return {name: self.cleaned_data[name] for name in self.answer_fields}


class RatingForm(FeedbackForm):
    prefix = "rating"
    stars = forms.TypedChoiceField(
        label="Your rating",
        coerce=int,
        widget=forms.RadioSelect,
        choices=[(n, f"{n} star{'s' if n > 1 else ''}") for n in range(1, 6)],
        error_messages={
            "required": "Choose a rating from 1 to 5 stars.",
            "invalid_choice": "Choose a rating from 1 to 5 stars.",
        },
    )
    field_order = ["stars", "website"]
    answer_fields = ("stars",)


class TesterForm(FeedbackForm):
    prefix = "tester"
    name = forms.CharField(
        label="Your name",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={
            "required": "Enter your name.",
            "max_length": "Your name must be 150 characters or fewer.",
        },
    )
    email = forms.EmailField(
        label="Your email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": "Enter your email address.",
            "invalid": "Enter an email address in the correct format, like name@example.com.",
            "max_length": "Your email address must be 254 characters or fewer.",
        },
    )
    consent = forms.BooleanField(
        error_messages={"required": "Tick the box to agree to be contacted."}
    )
    field_order = ["name", "email", "consent", "website"]
    answer_fields = ("name", "email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "consent"
        ].label = f"I agree that {self.authority.name} may contact me about testing its website"
