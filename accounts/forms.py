from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from authorities.school_picker import HINT, SchoolField
from authorities.tasks import enqueue

from .models import SCHOOL_ROLES, Invitation, Role
from .tasks import send_email


def _school_model():
    """The School model, through the invitation's foreign key: accounts sits below schools."""
    return Invitation._meta.get_field("school").remote_field.model


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    error_messages = {
        "invalid_login": "The email address or password is not right. Check them and try again.",
        "inactive": "This account has been switched off. Ask your authority's admin.",
    }


class QueuedPasswordResetForm(PasswordResetForm):
    """Sends the reset email from a worker, not from the request; the link starts with
    settings.SITE_URL, never the request's Host header, which a client chooses."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        from django.template import loader

        context = {**context, "site_url": settings.SITE_URL}
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        enqueue(send_email, subject, body, [to_email])


class InvitationForm(forms.Form):
    email = forms.EmailField(max_length=254, label="Email address")
    role = forms.ChoiceField(choices=Role.choices)
    school = SchoolField(
        required=False,
        help_text=f"Needed for school roles; leave empty for the others. {HINT}",
    )

    def __init__(self, *args, authority, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].among(_school_model().objects.all(), authority)

    def clean(self):
        data = super().clean()
        role, school = data.get("role"), data.get("school")
        if role in SCHOOL_ROLES and school is None and "school" not in self.errors:
            self.add_error("school", "Choose the school this person works at.")
        elif role and role not in SCHOOL_ROLES and school is not None:
            self.add_error("school", "Only school roles are held at a school: leave this empty.")
        return data


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(max_length=150, label="Your full name")
    password1 = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Type the password again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email, **kwargs):
        self.email = email
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords are not the same.")
        elif p1:
            from .models import User

            try:
                password_validation.validate_password(
                    p1, User(email=self.email, full_name=data.get("full_name", ""))
                )
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data
