"""CSV exports that are safe to open in a spreadsheet.

Here, in the lowest layer, because publishing and feedback, independent siblings, both export
CSV."""


def text_cell(value):
    """A cell people typed: a spreadsheet would run one starting like a formula, so quote it as
    text."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else value
