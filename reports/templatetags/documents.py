from django import template

from reports.render import cycle_documents

register = template.Library()


@register.simple_tag(takes_context=True)
def documents_of(context, cycle):
    """The cycle's PDFs that the signed-in person may have now."""
    return cycle_documents(cycle, context["request"].user)
