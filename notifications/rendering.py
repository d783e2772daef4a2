"""Rendering email text that an authority admin can edit, in a small sandbox.

The text is Django template language on an engine of its own: no HTML escaping (plain-text
email), no template loaders, and only the tags and filters listed here. Nothing can include or
extend another template, load a tag library, print the context (`debug`) or make the output grow
faster than the text itself (no loops, no `join`/`add`/`ljust`...). The context holds plain values
only (see `kinds.py`), so a template cannot reach anything the kind does not document.
"""

import re
from datetime import date, datetime
from decimal import Decimal

from django.template import (
    Context,
    Engine,
    Library,
    Template,
    TemplateSyntaxError,
    defaultfilters,
    defaulttags,
)
from django.template.base import FilterExpression, Node, NodeList, Variable
from django.template.defaulttags import TemplateLiteral
from django.template.smartif import TokenBase

ALLOWED_TAGS = (
    "if",
    "with",
    "firstof",
    "now",
    "filter",
    "spaceless",
    "comment",
    "templatetag",
    "verbatim",
)
ALLOWED_FILTERS = (
    "capfirst",
    "cut",
    "date",
    "default",
    "default_if_none",
    "first",
    "last",
    "length",
    "lower",
    "pluralize",
    "time",
    "timesince",
    "timeuntil",
    "title",
    "truncatechars",
    "truncatewords",
    "upper",
    "wordcount",
    "wordwrap",
    "yesno",
)
PLAIN_VALUES = (str, int, float, Decimal, bool, date, datetime, type(None))
BUILT_IN_NAMES = frozenset({"True", "False", "None"})
SUBJECT_OUTPUT_LIMIT = 250
BODY_OUTPUT_LIMIT = 100_000

library = Library()
for _name in ALLOWED_TAGS:
    library.tag(_name, defaulttags.register.tags[_name])
for _name in ALLOWED_FILTERS:
    library.filters[_name] = defaultfilters.register.filters[_name]


class SandboxEngine(Engine):
    default_builtins = []

    def get_template_builtins(self, builtins):
        return [library]


# debug=True only makes errors carry their line number (TemplateSyntaxError.template_debug).
engine = SandboxEngine(loaders=[], libraries={}, autoescape=False, debug=True)


class TemplateProblem(Exception):
    """What is wrong with a template text, in words for the admin who wrote it."""


def compile_text(source: str) -> Template:
    try:
        return Template(source, engine=engine)
    except TemplateSyntaxError as error:
        raise TemplateProblem(describe_syntax_error(error)) from error


def describe_syntax_error(error: TemplateSyntaxError) -> str:
    message = str(error)
    line = (getattr(error, "template_debug", None) or {}).get("line")
    if match := re.match(r"Invalid block tag on line \d+: '([^']+)'", message):
        message = (
            f"“{{% {match[1]} %}}” cannot be used in an email. The tags you can use are: "
            f"{', '.join(ALLOWED_TAGS)} (with else, elif and the end tags)."
        )
    elif match := re.match(r"Invalid filter: '([^']+)'", message):
        message = (
            f"“{match[1]}” is not a filter you can use in an email. The filters are: "
            f"{', '.join(ALLOWED_FILTERS)}."
        )
    else:
        message = re.sub(r" on line \d+", "", message)
    return f"Line {line}: {message}" if line else message


def check_text(source: str, variables, sample: dict) -> None:
    """Raise TemplateProblem if the text does not compile, uses a variable the kind does not have,
    or fails to render with the kind's example values."""
    template = compile_text(source)
    if unknown := unknown_variables(template, variables):
        line, name = unknown[0]
        raise TemplateProblem(
            f"Line {line}: “{name}” is not a variable of this email. "
            f"The variables are: {', '.join(sorted(variables))}."
        )
    try:
        render(template, sample)
    except Exception as error:  # a filter given a bad argument, e.g. wordwrap:"0"
        line = (getattr(error, "template_debug", None) or {}).get("line")
        raise TemplateProblem(
            f"{f'Line {line}: ' if line else ''}this cannot be shown: {error}"
        ) from error


def render(template: Template | str, context: dict) -> str:
    if isinstance(template, str):
        template = compile_text(template)
    for name, value in context.items():
        if not isinstance(value, PLAIN_VALUES):
            raise TypeError(
                f"Email variable “{name}” must be a plain value, not {type(value).__name__}."
            )
    return template.render(Context(context, autoescape=False))


def render_subject(template, context) -> str:
    """One line: whitespace (new lines from tags included) collapsed to single spaces."""
    return " ".join(render(template, context).split())[:SUBJECT_OUTPUT_LIMIT]


def render_body(template, context) -> str:
    return render(template, context).strip()[:BODY_OUTPUT_LIMIT] + "\n"


# Which variables a template uses


def unknown_variables(template: Template, variables) -> list[tuple[int, str]]:
    """(line, name) of every variable the template reads that is neither documented nor set by the
    template itself ({% with %}, {% firstof ... as x %}, {% now ... as x %})."""
    known = set(variables) | BUILT_IN_NAMES | set(_defined_names(template.nodelist))
    return [(line, name) for line, name in _used_names(template.nodelist) if name not in known]


def _nodes(nodelist):
    for node in nodelist:
        yield node
        for attr in node.child_nodelists:
            if (child := getattr(node, attr, None)) is not None:
                yield from _nodes(child)


def _defined_names(nodelist):
    for node in _nodes(nodelist):
        yield from getattr(node, "extra_context", None) or ()  # {% with %}
        if asvar := getattr(node, "asvar", None):  # {% firstof ... as x %}, {% now ... as x %}
            yield asvar


def _used_names(nodelist):
    for node in _nodes(nodelist):
        line = node.token.lineno if getattr(node, "token", None) else 0
        for attr, value in vars(node).items():
            if attr in ("token", "origin") or isinstance(value, (Node, NodeList)):
                continue
            for name in _names_in(value):
                yield line, name


def _names_in(value):
    if isinstance(value, FilterExpression):
        yield from _names_in(value.var)
        for _func, args in value.filters:
            for is_variable, arg in args:
                if is_variable:
                    yield from _names_in(arg)
    elif isinstance(value, Variable):
        if value.lookups:
            yield value.lookups[0]
    elif isinstance(value, TemplateLiteral):
        yield from _names_in(value.value)
    elif isinstance(value, TokenBase):  # an operator of {% if %}
        for part in (value.first, value.second):
            if part is not None:
                yield from _names_in(part)
    elif isinstance(value, (list, tuple)):
        for item in value:
            if not isinstance(item, (Node, NodeList)):
                yield from _names_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _names_in(item)
