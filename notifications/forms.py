from django import forms

from . import domain
from .models import BODY_MAX, SUBJECT_MAX


class TemplateForm(forms.Form):
    subject = forms.CharField(
        max_length=SUBJECT_MAX,
        error_messages={
            "required": "Enter a subject.",
            "max_length": (
                "The subject must be %(limit_value)d characters or fewer (it has %(show_value)d)."
            ),
        },
    )
    body = forms.CharField(
        label="Message",
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 16}),
        error_messages={
            "required": "Enter the message.",
            "max_length": (
                "The message must be %(limit_value)d characters or fewer (it has %(show_value)d)."
            ),
        },
    )

    def __init__(self, *args, kind, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind

    def clean(self):
        data = super().clean()
        texts = {name: data[name] for name in ("subject", "body") if name in data}
        for name, message in domain.text_errors(self.kind, **texts).items():
            self.add_error(name, message)
        return data
