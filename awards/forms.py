from django import forms


class PlaqueForm(forms.Form):
    """The plaque's dates; the rules they must keep are the domain's (awards.domain)."""

    ordered_on = forms.DateField(
        required=False, label="Date ordered", widget=forms.DateInput(attrs={"type": "date"})
    )
    sent_on = forms.DateField(
        required=False,
        label="Date sent",
        help_text="Leave empty until the plaque has been sent to the school.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
