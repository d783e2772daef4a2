from django import forms
from django.shortcuts import render
from django.urls import reverse

from authorities.access import ADMIN, authority_view
from authorities.school_picker import TEXT_LIMIT, SuggestingInput

from . import domain


class AuditFilterForm(forms.Form):
    """Text fields, each suggesting as the admin types (a datalist htmx fills from the schools'
    suggestions, and from `person_suggestions`): an authority's schools and people are hundreds,
    too many for a select."""

    school = forms.CharField(
        required=False,
        max_length=TEXT_LIMIT,
        widget=SuggestingInput,
        help_text="Its name, part of it, or its URN.",
    )
    person = forms.CharField(
        required=False,
        max_length=100,
        widget=SuggestingInput,
        help_text="Their name or email address, or part of it: changes made by them or to their "
        "roles.",
    )

    def __init__(self, *args, authority, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].widget.url = reverse("schools:suggestions", args=[authority.slug])
        self.fields["person"].widget.url = reverse(
            "audit:person_suggestions", args=[authority.slug]
        )
        for field in self.fields.values():
            field.widget.input_type = "search"


def _cursor(value) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


@authority_view(*ADMIN)
def audit_log(request, authority_slug):
    form = AuditFilterForm(request.GET, authority=request.authority)
    page = None  # a bad filter shows nothing, not everything; the error is shown at the filter
    if form.is_valid():
        page = domain.log_page(
            authority=request.authority,
            **form.cleaned_data,
            before=_cursor(request.GET.get("before")),
            after=_cursor(request.GET.get("after")),
        )
    return render(request, "audit/audit_log.html", {"form": form, "page": page})


@authority_view(*ADMIN)
def person_suggestions(request, authority_slug):
    """The options of the person filter as it is typed (htmx sends that field alone)."""
    form = AuditFilterForm(request.GET, authority=request.authority)
    options = []
    if form.is_valid() and (person := form.cleaned_data["person"]):
        options = domain.person_suggestions(request.authority, person)
    return render(request, "includes/suggestions.html", {"options": options})
