from django import forms

from .models import ApiToken


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text="What the token is for, so you know which to revoke later, e.g. “MIS sync”.",
        error_messages={
            "required": "Enter a name for the token.",
            "max_length": "The name must be 100 characters or fewer.",
        },
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    can_write = forms.BooleanField(
        label="Read and write",
        required=False,
        help_text="Without it the token can only read. With it, a program can do what you can do "
        "in the portal: answer, submit, record.",
    )
