from django import forms
from django.shortcuts import render
from django.urls import reverse

from authorities.access import ADMIN, authority_view

from . import domain


class AuditFilterForm(forms.Form):
    """Text fields, each suggesting as the admin types (a datalist htmx fills from `suggestions`):
    an authority's schools and people are hundreds, too many for a select."""

    school = forms.CharField(
        required=False, max_length=100, help_text="Its name, part of it, or its URN."
    )
    person = forms.CharField(
        required=False,
        max_length=100,
        help_text="Their name or email address, or part of it: changes made by them or to their "
        "roles.",
    )

    def __init__(self, *args, authority, **kwargs):
        super().__init__(*args, **kwargs)
        suggestions = reverse("audit:suggestions", args=[authority.slug])
        for name, field in self.fields.items():
            field.widget.input_type = "search"
            field.widget.attrs.update(
                {
                    "autocomplete": "off",
                    "list": f"audit-{name}-options",
                    "hx-get": suggestions,
                    "hx-trigger": "input changed delay:250ms",
                    "hx-target": f"#audit-{name}-options",
                    "hx-sync": "this:replace",
                }
            )


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
def suggestions(request, authority_slug):
    """The options of the filter's field being typed in (htmx sends that field alone)."""
    form = AuditFilterForm(request.GET, authority=request.authority)
    options = []
    if form.is_valid() and (school := form.cleaned_data["school"]):
        options = domain.school_suggestions(school)
    elif form.is_valid() and (person := form.cleaned_data["person"]):
        options = domain.person_suggestions(request.authority, person)
    return render(request, "audit/_suggestions.html", {"options": options})
