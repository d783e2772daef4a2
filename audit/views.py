from django import forms
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render

from accounts.models import User
from authorities.access import ADMIN, authority_view

from .models import AuditEntry


def _school_model():
    """The School model, through the entry's foreign key: audit sits below schools."""
    return AuditEntry._meta.get_field("school").remote_field.model


class AuditFilterForm(forms.Form):
    school = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any school")
    person = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="Anyone",
        help_text="Changes made by this person or to their roles.",
    )

    def __init__(self, *args, authority, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = _school_model().objects.only("name").order_by("name")
        self.fields["person"].queryset = User.objects.filter(
            memberships__authority=authority
        ).distinct()


@authority_view(*ADMIN)
def audit_log(request, authority_slug):
    form = AuditFilterForm(request.GET or None, authority=request.authority)
    entries = AuditEntry.objects.select_related("actor", "school", "person")
    if form.is_bound and not form.is_valid():
        entries = (
            entries.none()
        )  # the error is shown at the filter; a bad filter shows nothing, not everything
    elif form.is_valid():
        if school := form.cleaned_data["school"]:
            entries = entries.filter(school=school)
        if person := form.cleaned_data["person"]:
            entries = entries.filter(Q(actor=person) | Q(person=person))
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "audit/audit_log.html", {"form": form, "page": page})
