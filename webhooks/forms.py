from django import forms
from django.core.exceptions import ValidationError

from . import domain
from .models import SUBSCRIBABLE, Endpoint


class EndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label="Events to send",
        choices=SUBSCRIBABLE,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event to send."},
    )
    url = forms.URLField(
        label="Address (URL)",
        max_length=500,
        assume_scheme="https",
        help_text=(
            "Where the portal sends events, starting with https://. It must be on the public "
            "internet: private, loopback and link-local addresses are refused."
        ),
        error_messages={
            "required": "Enter the address to send events to.",
            "invalid": "Enter a web address such as https://example.org/iqm-events.",
        },
    )

    class Meta:
        model = Endpoint
        fields = ["name", "url", "events", "is_active"]
        labels = {"name": "Name", "is_active": "Send events to it"}
        help_texts = {
            "name": "What your admins call it, for example “Data warehouse”.",
            "is_active": "Untick to stop sending events for a while; they are not kept for later.",
        }
        error_messages = {
            "name": {"required": "Enter a name for the endpoint."},
        }

    def clean(self):
        """The address is checked when it is new or changed, or the endpoint switched on
        (domain.check_change), so one whose host went bad can still be switched off or renamed."""
        data = super().clean()
        if "url" in data:
            current = self.instance if self.instance.pk else None
            try:
                domain.check_change(current, data["url"], data.get("is_active", False))
            except ValidationError as error:
                self.add_error(None, error)
        return data
