from django import forms

from .models import User

CODE_WIDGET = forms.TextInput(
    attrs={"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "none"}
)


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=40,
        help_text="The 6-digit code your authenticator app shows now, or one of your recovery "
        "codes.",
        widget=CODE_WIDGET,
    )


class SetUpForm(forms.Form):
    code = forms.CharField(
        label="Code from the app",
        max_length=12,
        help_text="After adding the account to your app, enter the 6-digit code it shows.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class ConfirmForm(forms.Form):
    """Re-authentication before a change to how the person signs in."""

    password = forms.CharField(
        label="Your current password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        max_length=4096,
    )

    def __init__(self, *args, user, with_code, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        if with_code:
            self.fields["code"] = forms.CharField(
                label="Code",
                max_length=40,
                help_text="From your authenticator app, or one of your recovery codes.",
                widget=CODE_WIDGET,
            )

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your current password.")
        return password


class EmailChangeForm(forms.Form):
    email = forms.EmailField(label="New email address", max_length=254)
    password = forms.CharField(
        label="Your current password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        max_length=4096,
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if email == self.user.email.lower():
            raise forms.ValidationError("That is already your email address.")
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("Someone already has an account with this email.")
        return email

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your current password.")
        return password
