from django.forms.renderers import TemplatesSetting


class PortalFormRenderer(TemplatesSetting):
    """Renders every form with an error summary and GOV.UK-style fields (label, hint, error,
    input)."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
