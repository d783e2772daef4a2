from django import forms
from django.db.models import Q

from accounts.models import User
from assessments.models import Element

from .models import Booking, Workshop

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class WorkshopForm(forms.ModelForm):
    """The workshop's details. The admin chooses the mentor who runs it; a mentor runs their own."""

    # Declared, so that no query runs before the authority's scope is active.
    elements = forms.ModelMultipleChoiceField(
        queryset=Element.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Elements covered",
    )
    mentor = forms.ModelChoiceField(
        queryset=User.objects.none(),
        empty_label="Choose a mentor",
        help_text=Workshop._meta.get_field("mentor").help_text,
    )

    class Meta:
        model = Workshop
        fields = ["title", "starts_at", "place", "capacity", "mentor", "elements", "description"]
        widgets = {
            "starts_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format=DATETIME_FORMAT
            ),
            "description": forms.Textarea(attrs={"rows": 5}),
        }
        help_texts = {"starts_at": "For example, 14 March 2027 at 15:30."}

    def __init__(self, *args, mentors, elements, choose_mentor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starts_at"].input_formats = [DATETIME_FORMAT]
        self.fields["capacity"].widget.attrs["min"] = 1
        self.fields["elements"].queryset = elements
        if choose_mentor:
            self.fields["mentor"].queryset = mentors
            self.fields["mentor"].label_from_instance = lambda person: (
                person.full_name or str(person)
            )
        else:
            del self.fields["mentor"]

    def _post_clean(self):
        """The form only reads the input: the domain function checks and saves it, comparing it
        with the workshop as it was, which is left untouched here."""


def elements_to_choose(workshop=None):
    """The current framework's elements, and those the workshop already covers (of an earlier
    version, they are kept unless unticked)."""
    chosen = Q(pk__in=workshop.elements.all()) if workshop else Q()
    return Element.objects.filter(Q(framework__is_current=True) | chosen).order_by(
        "framework__created_at", "number"
    )


class SignUpForm(forms.Form):
    school = forms.ModelChoiceField(
        queryset=None, label="The school you are coming for", empty_label=None
    )

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools


class AttendanceForm(forms.Form):
    attended = forms.ModelMultipleChoiceField(
        queryset=Booking.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Who came",
        help_text="Tick everyone who came. Leave unticked those who did not.",
    )

    def __init__(self, *args, workshop, **kwargs):
        super().__init__(*args, **kwargs)
        booked = workshop.bookings.filter(status=Booking.Status.BOOKED).select_related(
            "person", "school"
        )
        self.fields["attended"].queryset = booked
        self.fields["attended"].label_from_instance = lambda b: (
            f"{b.person.full_name or b.person.email}, {b.school.name}"
        )
        self.initial.setdefault("attended", [b.pk for b in booked if b.attended])
