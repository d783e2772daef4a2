"""Choosing one of an authority's schools by typing: the picker that replaces a <select> of every
school (the largest authority has about 600).

A text box with a <datalist> that htmx fills, as the person types, from the authority's
`schools:suggestions`; each suggestion reads "Name (URN 123456)". What is submitted is resolved
exactly: a suggestion's text, a URN, or a name that only one school has. Without JavaScript the
list stays empty, and typing the URN or the full name still submits.

It lives here, beside the tenancy, rather than in `schools`: accounts (inviting someone to a
school) and audit (the log's school filter) sit below schools, so they reach the School model only
through a queryset, as everything here does.
"""

import re

from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.urls import reverse

SUGGESTIONS = 10
TEXT_LIMIT = 200  # a school's name (150) and " (URN 1234567)"
SUGGEST_AS_TYPED = "input changed delay:250ms"
_SUGGESTED = re.compile(r"^(?P<name>.+) \(URN (?P<urn>\d{6,7})\)$")
_URN = re.compile(r"^\d{6,7}$")
HINT = "Type part of its name or its URN, and choose it from the list."


def school_text(school) -> str:
    """How a suggestion, and a chosen school shown again, reads."""
    return f"{school.name} (URN {school.urn})"


def named_exactly(text: str) -> Q:
    """The schools the text names exactly: a suggestion's "Name (URN …)", a URN, or a name."""
    suggested = _SUGGESTED.match(text)
    if suggested:
        return Q(name__iexact=suggested["name"], urn=suggested["urn"])
    if _URN.match(text):
        return Q(urn=text)
    return Q(name__iexact=text)


def suggestions(schools, text: str) -> list[tuple[str, str]]:
    """(text, label) of the first schools, by name, whose name holds the text or whose URN begins
    with it (or that a chosen suggestion names). The text says the URN: no label."""
    found = schools.filter(
        Q(name__icontains=text) | Q(urn__startswith=text) | named_exactly(text)
    ).order_by("name", "pk")
    return [(school_text(school), "") for school in found.only("name", "urn")[:SUGGESTIONS]]


class SuggestingInput(forms.TextInput):
    """A text box whose <datalist> of suggestions htmx fills from `url` as the person types (the
    request carries this box's text alone, under its field's name). The box keeps its label; the
    list is only a help: whatever is typed is what is submitted."""

    template_name = "forms/widgets/suggesting_input.html"
    url: str | None = None

    def get_context(self, name, value, attrs):
        if not self.url:
            raise ImproperlyConfigured("A SuggestingInput needs the url of its suggestions.")
        context = super().get_context(name, value, attrs)
        options = f"{context['widget']['attrs']['id']}_options"
        context["widget"]["attrs"].update(
            {
                "autocomplete": "off",
                "list": options,
                "hx-get": self.url,
                "hx-trigger": SUGGEST_AS_TYPED,
                "hx-target": f"#{options}",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        )
        context["options_id"] = options
        return context


class SchoolField(forms.CharField):
    """One school of `schools` (a queryset of the authority's, which a form may narrow), from its
    suggestion's text, its URN or its name. A form calls `among(schools, authority)` when it is
    made; a school object given as the value (an API's, already found) is checked against the
    same queryset."""

    widget = SuggestingInput
    default_error_messages = {
        "required": "Type the school's name or URN, and choose it from the list.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", TEXT_LIMIT)
        kwargs.setdefault("help_text", HINT)
        super().__init__(**kwargs)
        self.queryset = None
        self.authority = None

    def among(self, schools, authority) -> None:
        self.queryset = schools
        self.authority = authority
        self.widget.url = reverse("schools:suggestions", args=[authority.slug])

    def prepare_value(self, value):
        if self.queryset is not None and isinstance(value, self.queryset.model):
            return school_text(value)
        return value

    def clean(self, value):
        if self.queryset is not None and isinstance(value, self.queryset.model):
            return self._one(self.queryset.filter(pk=value.pk), school_text(value))
        text = " ".join(super().clean(value).split())
        return self._one(self.queryset.filter(named_exactly(text)), text) if text else None

    def _one(self, found, text):
        schools = list(found[:2])
        if len(schools) == 1:
            return schools[0]
        if schools:
            raise forms.ValidationError(
                f"Several schools in {self.authority.name} are called “{text}”: choose the one "
                "with its URN from the list, or type its URN.",
                code="ambiguous",
            )
        raise forms.ValidationError(
            f"No school in {self.authority.name} "
            + (f"has the URN {text}" if _URN.match(text) else f"is called “{text}”")
            + ": type part of its name or its URN, and choose it from the list.",
            code="unknown",
        )
