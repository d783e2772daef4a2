from django.forms.renderers import TemplatesSetting


class PortalFormRenderer(TemplatesSetting):
    """Renders every form with an error summary and GOV.UK-style fields (label, hint, error, input)."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


def search_text(value: str, max_length: int = 100) -> str:
    """Words typed into a search box, with control characters (NUL among them, which PostgreSQL
    refuses) and runs of spaces made single spaces."""
    return " ".join("".join(c if c.isprintable() else " " for c in value).split())[:max_length]
