from django import forms

from .models import Authority


class AuthorityForm(forms.ModelForm):
    first_admin_email = forms.EmailField(
        max_length=254,
        label="Email of the authority's first admin",
        help_text="They are sent an invitation to set their password.",
    )

    class Meta:
        model = Authority
        fields = ["name", "slug"]


class AuthoritySettingsForm(forms.ModelForm):
    class Meta:
        model = Authority
        fields = [
            "name",
            "panel_quorum",
            "reminder_lead_months",
            "upload_limit_mb",
            "portfolio_limit_mb",
        ]
