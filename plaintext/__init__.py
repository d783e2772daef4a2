"""Text people type, made safe to print: no invisible characters that change how it reads.

An official report, certificate or public list must read as its words say. Unicode's
bidirectional controls can make a line display backwards or out of order (U+202E, RIGHT-TO-LEFT
OVERRIDE, turns "Emerging" into "gnigremE" and can reorder a rating and its label), and
zero-width and control characters can hide text or make two names look alike. `neutralise`
removes them.

What is kept, and why: right-to-left writing does not need any of these characters. An Urdu or
Arabic school name is stored as its letters, which carry their direction themselves, and Unicode's
bidirectional algorithm (run by browsers and by WeasyPrint) lays them out right to left. The
override, embedding and isolate controls and the direction marks only ever force an order on top
of that, so removing them cannot spoil a name written normally. Accents (é, ŵ, ŷ in Welsh) are
letters, not controls, and are untouched. The two joiners are the exception: ZERO WIDTH NON-JOINER
(U+200C) is how Urdu and Persian write a word whose letters must not join (می‌خواهم), and ZERO WIDTH
JOINER (U+200D) joins letters in Indic scripts and the parts of an emoji; neither can reorder text,
so they are kept where they sit between two letters (or emoji), their only legitimate place, and
removed anywhere else (at the start or end of a word, where they would only hide).
"""

from __future__ import annotations

import re
import unicodedata
from functools import wraps

# Bidirectional embeddings and overrides (U+202A-U+202E), isolates (U+2066-U+2069), the
# left-to-right, right-to-left and Arabic letter marks (U+200E, U+200F, U+061C).
BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
# ZERO WIDTH SPACE, WORD JOINER, the invisible mathematical operators, ZERO WIDTH NO-BREAK SPACE
# (the byte order mark), MONGOLIAN VOWEL SEPARATOR.
INVISIBLE = "\u200b\u2060-\u2064\ufeff\u180e"
# C0 controls except tab, newline and carriage return (a textarea sends CR LF), DELETE, C1.
CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
JOINERS = "\u200c\u200d"

_REMOVED = re.compile(f"[{BIDI_CONTROLS}{INVISIBLE}{CONTROLS}]")
_JOINER = re.compile(f"[{JOINERS}]")
_ANY = re.compile(f"[{BIDI_CONTROLS}{INVISIBLE}{CONTROLS}{JOINERS}]")


def _joinable(char: str) -> bool:
    """A letter or a combining mark, or a symbol or modifier (the parts of an emoji sequence)."""
    return unicodedata.category(char)[0] in "LM" or unicodedata.category(char) in ("So", "Sk")


def _keep_joiner(match: re.Match) -> str:
    text, at = match.string, match.start()
    before = text[at - 1] if at > 0 else ""
    after = text[at + 1] if at + 1 < len(text) else ""
    # U+FE0F (an emoji's presentation selector) is a mark, so emoji ZWJ sequences pass.
    return match[0] if before and after and _joinable(before) and _joinable(after) else ""


def neutralise(text: str) -> str:
    """`text` without bidirectional controls, invisible characters and control characters other
    than tab and line breaks; joiners kept only between two letters (see the module's text)."""
    if not _ANY.search(text):
        return text  # the usual case: nothing to do, and no copy made
    text = _REMOVED.sub("", text)
    return _JOINER.sub(_keep_joiner, text)


def neutralised(view):
    """A view decorator for public pages: the page's text neutralised as a whole, so that rows
    written before input was cleaned (or copied in bulk) cannot make the page read otherwise.
    Only a rendered page is touched (not a file, a stream, or a CSV with its byte order mark)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        kind = response.get("Content-Type", "")
        if not response.streaming and kind.startswith(("text/html", "application/json")):
            charset = response.charset or "utf-8"
            text = response.content.decode(charset)
            cleaned = neutralise(text)
            if cleaned is not text:
                response.content = cleaned.encode(charset)
        return response

    return wrapper
