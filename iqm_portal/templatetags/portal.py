from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context, number):
    """The current URL's query string with only the page number changed, so filters survive
    paging."""
    query = context["request"].GET.copy()
    query["page"] = number
    return "?" + query.urlencode()


@register.simple_tag(takes_context=True)
def cursor_url(context, **cursor):
    """The current URL's query string with its place in a keyset-paged list (`before` or `after`
    an entry) replaced, so filters survive paging."""
    query = context["request"].GET.copy()
    for name in ("before", "after"):
        query.pop(name, None)
    query.update(cursor)
    return "?" + query.urlencode()
