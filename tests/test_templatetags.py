"""The project's template tags (iqm_portal/templatetags/portal.py)."""

import re

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.test import RequestFactory
from django_scopes import scope

from assessments.forms import AnswerForm, ReviewForm
from iqm_portal.templatetags.portal import option_input, option_label, page_url
from portfolios.forms import ItemForm


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


DJANGO = DjangoTemplates()  # Django's own widget templates, none of ours


def tags(html):
    """The HTML with the line breaks Django's template files leave between tags taken out."""
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html))


def choice_fields(form):
    return [
        f
        for f in form
        if isinstance(f.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple)
    ]


@pytest.mark.parametrize(
    "form",
    [
        AnswerForm(descriptors=[Descriptor(7)], initial={"rating": 2}),
        Odd({"pick": 'a"<b>&', "many": ["1", "2"]}),
        Odd(auto_id=False),
    ],
)
def test_our_radios_and_checkboxes_are_djangos(form):
    """templates/django/forms/widgets/multiple_input.html writes each option with option_label
    instead of Django's four templates: the same HTML."""
    fields = choice_fields(form)
    assert fields
    for field in fields:
        widget, attrs = field.field.widget, {"id": field.auto_id} if field.auto_id else {}
        ours = widget.render(field.html_name, field.value(), attrs, renderer=form.renderer)
        djangos = widget.render(field.html_name, field.value(), attrs, renderer=DJANGO)
        assert tags(ours) == tags(djangos)


def test_the_statements_checkboxes_under_their_elements_are_djangos(world):
    with scope(authority=world.authority):
        form = ItemForm(cycle=world.cycle, initial={"descriptors": []})
        field = form["descriptors"]
        ours = str(field)
        options = [
            o
            for _, group, _ in field.field.widget.get_context(field.html_name, [], {"id": "x"})[
                "widget"
            ]["optgroups"]
            for o in group
        ]
    assert options
    for option in options:
        assert option_label(option) == tags(
            DJANGO.render(option["template_name"], {"widget": option})
        )
    assert ours.count('<input type="checkbox"') == len(options)


def test_page_url_changes_only_its_own_page_number():
    request = RequestFactory().get("/", {"school": "Chandag & Co", "page": "2", "work": "3"})
    context = {"request": request}
    assert page_url(context, 4) == "?school=Chandag+%26+Co&page=4&work=3"
    assert (
        page_url(context, 1, "work", "your-work")
        == "?school=Chandag+%26+Co&page=2&work=1#your-work"
    )
