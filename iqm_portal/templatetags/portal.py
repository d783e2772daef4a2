from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context, number):
    """The current URL's query string with only the page number changed, so filters survive
    paging."""
    query = context["request"].GET.copy()
    query["page"] = number
    return "?" + query.urlencode()
