"""The project's template tags (iqm_portal/templatetags/portal.py)."""

import pytest
from django import forms
from django.test import RequestFactory

from assessments.forms import AnswerForm, ReviewForm
from iqm_portal.templatetags.portal import option_input, page_url


class Odd(forms.Form):
    """Choices and attributes that need escaping, switched on and off."""

    pick = forms.ChoiceField(
        choices=[("", "None"), ('a"<b>&', "Odd"), ("2", "Two")],
        widget=forms.RadioSelect(attrs={"data-x": 'q"<>', "disabled": False, "hidden": True}),
    )
    many = forms.MultipleChoiceField(
        choices=[(1, "One"), (2, "Two")], widget=forms.CheckboxSelectMultiple, required=False
    )


class Descriptor:
    def __init__(self, pk):
        self.pk, self.label, self.text = pk, f"{pk}.", "A statement"


def every_option(form):
    return [option for field in form for option in field.subwidgets]


@pytest.mark.parametrize(
    "form",
    [
        AnswerForm(descriptors=[Descriptor(7), Descriptor(8)], initial={"rating": 2}),
        AnswerForm(
            {"version": "3", "rating": "9", "descriptor-7": "1"},
            descriptors=[Descriptor(7), Descriptor(8)],
        ),
        ReviewForm(prefix="e12", initial={"rating": 3}),
        Odd(),
        Odd({"pick": 'a"<b>&', "many": ["2"]}),
        Odd(auto_id=False),
    ],
)
def test_option_input_writes_what_djangos_templates_write(form):
    options = [o for o in every_option(form) if o.data.get("type") in ("radio", "checkbox")]
    assert options
    assert [option_input(o) for o in options] == [o.tag() for o in options]


def test_page_url_changes_only_its_own_page_number():
    request = RequestFactory().get("/", {"school": "Chandag & Co", "page": "2", "work": "3"})
    context = {"request": request}
    assert page_url(context, 4) == "?school=Chandag+%26+Co&page=4&work=3"
    assert (
        page_url(context, 1, "work", "your-work")
        == "?school=Chandag+%26+Co&page=2&work=1#your-work"
    )
