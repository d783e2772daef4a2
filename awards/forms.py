from django import forms


def date_input():
    # A date field's value must be ISO 8601 (the browser shows it in the reader's own format).
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PlaqueForm(forms.Form):
    """The plaque's dates; the rules they must keep are the domain's (awards.domain)."""

    ordered_on = forms.DateField(required=False, label="Date ordered", widget=date_input())
    sent_on = forms.DateField(
        required=False,
        label="Date sent",
        help_text="Leave empty until the plaque has been sent to the school.",
        widget=date_input(),
    )
