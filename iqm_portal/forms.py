from django.forms.renderers import TemplatesSetting
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

WIDGETS = "django/forms/widgets/"
# Django's widget templates that are only its input.html (e.g. text.html is
# `{% include "django/forms/widgets/input.html" %}` and a newline): text, checkbox, hidden, file
# and the rest of the <input> widgets.
INPUT_TEMPLATES = frozenset(
    f"{WIDGETS}{name}.html"
    for name in (
        "checkbox color date datetime email file hidden number password search tel text time url"
    ).split()
)
TEXTAREA_TEMPLATE = f"{WIDGETS}textarea.html"


def _attrs(attrs) -> SafeString:
    """Django's attrs.html: each attribute not False, bare when True. Escaped and joined as
    format_html would, without a format_html for each attribute (README, "Performance")."""
    return mark_safe(
        "".join(
            f" {conditional_escape(name)}"
            if value is True
            else f' {conditional_escape(name)}="{conditional_escape(value)}"'
            for name, value in attrs.items()
            if value is not False
        )
    )


def write_input(widget) -> SafeString:
    """Django's input.html for a widget's context."""
    value = widget["value"]
    written = "" if value is None else f' value="{conditional_escape(value)}"'
    return mark_safe(
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{written}{_attrs(widget["attrs"])}>'
    )


def write_textarea(widget) -> SafeString:
    """Django's textarea.html for a widget's context."""
    return format_html(
        '<textarea name="{}"{}>\n{}</textarea>',
        widget["name"],
        _attrs(widget["attrs"]),
        widget["value"] or "",
    )


class PortalFormRenderer(TemplatesSetting):
    """Renders every form with an error summary and GOV.UK-style fields (label, hint, error,
    input).

    Every <input> widget whose template is only input.html (INPUT_TEMPLATES), and textareas, are
    written here as Django's templates for them (input.html, textarea.html, attrs.html) write
    them, not through the templates: the mentor review's ten comment boxes took 1.7 ms that way.
    tests/test_forms.py holds both to Django's own output. A project template overriding one of
    these widget templates would not be used."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"

    def render(self, template_name, context, request=None):
        if template_name in INPUT_TEMPLATES:
            return write_input(context["widget"])
        if template_name == TEXTAREA_TEMPLATE:
            return write_textarea(context["widget"])
        return super().render(template_name, context, request)
