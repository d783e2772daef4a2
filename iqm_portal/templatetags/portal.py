from django import template
from django.utils.html import format_html

from iqm_portal.forms import write_input

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context, number, param="", anchor=""):
    """The current URL's query string with only the page number (`param`, "page" unless a page
    lists several) changed, so filters and the other lists' pages survive paging; `anchor` lands
    on the list."""
    query = context["request"].GET.copy()
    query[param or "page"] = number
    return "?" + query.urlencode() + (f"#{anchor}" if anchor else "")


@register.simple_tag(takes_context=True)
def cursor_url(context, **cursor):
    """The current URL's query string with its place in a keyset-paged list (`before` or `after`
    an entry) replaced, so filters survive paging."""
    query = context["request"].GET.copy()
    for name in ("before", "after"):
        query.pop(name, None)
    query.update(cursor)
    return "?" + query.urlencode()


@register.simple_tag
def option_input(option):
    """A radio's (or checkbox's) <input>, as `{{ option.tag }}` writes it through four of Django's
    widget templates (radio_option, input_option, input, attrs), written here at once: the
    element page's forty radios spent more time in those templates than the rest of the page.
    tests/test_templatetags.py holds it to Django's own output."""
    return write_input(option.data)


@register.simple_tag
def option_label(option):
    """A choice widget's option (its dict) in its label, as Django's input_option template writes
    it: our django/forms/widgets/multiple_input.html writes every radio and checkbox with it."""
    if not option["wrap_label"]:
        return write_input(option)
    id_ = option["attrs"].get("id")
    return format_html(
        "<label{}>{} {}</label>",
        format_html(' for="{}"', id_) if id_ else "",
        write_input(option),
        option["label"],
    )
