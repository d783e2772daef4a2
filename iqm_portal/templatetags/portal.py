from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context, number, param="", anchor=""):
    """The current URL's query string with only the page number (`param`, "page" unless a page
    lists several) changed, so filters and the other lists' pages survive paging; `anchor` lands
    on the list."""
    query = context["request"].GET.copy()
    query[param or "page"] = number
    return "?" + query.urlencode() + (f"#{anchor}" if anchor else "")
