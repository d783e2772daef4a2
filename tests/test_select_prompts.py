"""No select in the portal offers Django's "---------": each says what to choose ("Choose a
school"), or what leaving it empty means ("No area", "Anyone"), and a required radio group has
no blank button."""

import importlib

from django import forms
from django.apps import apps

DASHES = "---------"


def _portal_forms():
    portal = [app for app in apps.get_app_configs() if not app.name.startswith("django")]
    for app in portal:
        for module in ("forms", "views"):
            try:
                importlib.import_module(f"{app.name}.{module}")
            except ModuleNotFoundError:
                pass
    prefixes = tuple(app.name + "." for app in portal)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    return [cls for cls in set(subclasses(forms.BaseForm)) if cls.__module__.startswith(prefixes)]


def _dashes(field):
    if isinstance(field, forms.ModelChoiceField):
        return field.empty_label == DASHES
    if isinstance(field, forms.ChoiceField):
        return any(label == DASHES for _, label in field.choices)
    return False


def test_no_portal_form_offers_dashes():
    found = sorted(
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in _portal_forms()
        for name, field in cls.base_fields.items()
        if _dashes(field)
    )
    assert found == []


def test_the_forms_were_found():
    names = {f"{cls.__module__}.{cls.__name__}" for cls in _portal_forms()}
    assert {
        "assessments.forms.TargetForm",
        "schools.forms.SchoolForm",
        "audit.views.AuditFilterForm",
        "clusters.forms.ActivityForm",
    } <= names


def test_the_prompts_say_what_to_choose():
    from assessments.forms import AssignmentForm, StartCycleForm, TargetForm
    from clusters.forms import ActivityForm
    from schools.forms import SchoolForm

    assert TargetForm.base_fields["element"].empty_label == "Choose an element"
    assert StartCycleForm.base_fields["mentor"].empty_label == "Choose a mentor"
    assert AssignmentForm.base_fields["person"].empty_label == "Choose a person"
    assert SchoolForm.base_fields["phase"].choices[0] == ("", "Choose a phase")
    assert SchoolForm.base_fields["area"].empty_label == "No area"
    assert [v for v, _ in ActivityForm.base_fields["kind"].choices][0] != ""
