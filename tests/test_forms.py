"""The portal's form renderer (iqm_portal/forms.py) writes <input> widgets and textareas itself:
the same HTML as Django's templates for them, byte for byte."""

from pathlib import Path

import django.forms
import pytest
from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from iqm_portal.forms import INPUT_TEMPLATES, TEXTAREA_TEMPLATE, PortalFormRenderer

TEMPLATES = TemplatesSetting()  # the same templates, all rendered through them

ODD = "a\"<b>&'c"
ATTRS = [
    {},
    {"maxlength": 200, "required": True, "disabled": False, "aria-describedby": "x_hint x_error"},
    {"data-x": ODD, "placeholder": mark_safe("<i>safe</i>"), "autofocus": True},
    {"title": gettext_lazy("Name & <b>"), "data-none": None, "data-n": 3},
]
VALUES = [None, "", "0", "plain", ODD, "two\nlines", mark_safe("<b>kept</b>"), 42]
WIDGETS = [
    forms.TextInput,
    forms.EmailInput,
    forms.NumberInput,
    forms.URLInput,
    forms.HiddenInput,
    forms.PasswordInput,
    forms.DateInput,
    forms.DateTimeInput,
    forms.TimeInput,
    forms.SearchInput,
    forms.TelInput,
    forms.ColorInput,
    forms.CheckboxInput,
    forms.FileInput,
    forms.Textarea,
]


@pytest.mark.parametrize("widget", WIDGETS, ids=lambda w: w.__name__)
@pytest.mark.parametrize("attrs", ATTRS, ids=range(len(ATTRS)))
def test_inputs_and_textareas_are_written_as_djangos_templates_write_them(widget, attrs):
    assert widget.template_name in INPUT_TEMPLATES | {TEXTAREA_TEMPLATE}
    for value in VALUES:
        written = widget(attrs=dict(attrs)).render(f"f-{ODD}", value, renderer=PortalFormRenderer())
        assert written == widget(attrs=dict(attrs)).render(f"f-{ODD}", value, renderer=TEMPLATES)


class Every(forms.Form):
    name = forms.CharField(max_length=20, help_text="Hint")
    note = forms.CharField(widget=forms.Textarea, required=False)
    email = forms.EmailField()
    agree = forms.BooleanField(required=False)
    when = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    upload = forms.FileField(required=False)


@pytest.mark.parametrize(
    "form",
    [
        Every(),
        Every({"name": ODD * 5, "note": ODD, "email": "no", "agree": "on", "when": "x"}),
        Every(prefix="e7", initial={"note": "kept\nlines", "agree": True}),
    ],
)
def test_a_whole_form_is_the_same(form):
    form.renderer = PortalFormRenderer()
    ours = [str(field) for field in form]
    form.renderer = TEMPLATES
    assert ours == [str(field) for field in form]


def test_the_inputs_written_here_are_only_djangos_input_template():
    """If Django's templates for these widgets ever say more, this fails."""
    widgets = Path(django.forms.__file__).parent / "templates"
    for name in INPUT_TEMPLATES:
        assert (widgets / name).read_text() == '{% include "django/forms/widgets/input.html" %}\n'
