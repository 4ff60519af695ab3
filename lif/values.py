"""What a value a person sends must be, whatever door it arrives by: the rules, in one place.

- **Text** (:func:`text_problem`): no control characters (NUL, ``\\x01``, DEL, the C1
  controls; tab and line breaks are text), no lone surrogates or non-characters; and not
  only invisible characters (zero-width spaces, joiners, direction marks, fillers), which
  look empty and are not. :func:`lif.edits.validate` applies it to every text field of every
  write, so a form, the API, an import and the command line refuse the same values with the
  same message, the field named.
- **Dates**: 1900–2100 (``lif/dates.py`` reads them; :func:`lif.edits.validate` checks every
  date field, however it was filled).
- **Where a list is and what it searches for** (:func:`read_page`, :func:`read_per_page`,
  :func:`read_search`): whole numbers in bounds, a search of at most :data:`MAX_SEARCH`
  characters, all refused with a message (a 400), never a 500.

What was stored before these rules (or put in the database by hand) must still never break a
page, an export or a feed: :func:`printable` makes text safe for XML (Word, XLSX), and
:func:`lif.dates.in_range` tells which dates a calendar can hold.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import InvalidInput

#: The longest search a list page or the search page takes (a whole paragraph is less).
MAX_SEARCH = 500
#: The deepest page of a list (100,000 pages of 100 is ten million items).
MAX_PAGE = 100_000
#: The most items on one page of a list.
MAX_PER_PAGE = 100

_ALLOWED_CONTROLS = frozenset("\t\n\r")
# Characters that show nothing but are not white space (format characters, category Cf, are
# found by category): Hangul fillers, the braille blank, the combining grapheme joiner.
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f")
# What XML 1.0 cannot hold (Word and XLSX are XML): C0 controls but tab and line breaks,
# lone surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _refused(char: str) -> bool:
    if char in _ALLOWED_CONTROLS:
        return False
    return unicodedata.category(char) in ("Cc", "Cs") or char in "\ufffe\uffff"


def _invisible(char: str) -> bool:
    return char.isspace() or char in _BLANK_LOOKING or unicodedata.category(char) == "Cf"


def visible(text: str) -> bool:
    """Whether ``text`` shows anything (a character that is not space or invisible)."""
    return any(not _invisible(char) for char in text)


def text_problem(text: str) -> str | None:
    """What is wrong with ``text`` as a stored value, or ``None`` (see the module).

    Empty text and text of spaces only are not problems here (whether a field may be empty
    is the field's rule).
    """
    for char in text:
        if _refused(char):
            name = unicodedata.name(char, "") or "a control character"
            return (f"Contains a character that cannot be stored (U+{ord(char):04X}"
                    f"{', ' + name.lower() if name != 'a control character' else ''}): "
                    "remove it and try again.")
    if text and not visible(text) and not text.isspace():
        return ("Holds only invisible characters (such as zero-width spaces): type the text, "
                "or leave the field empty.")
    return None


def printable(text: str | None) -> str:
    """``text`` without what XML cannot hold (for a value stored before the rules, on its
    way into Word or a spreadsheet)."""
    return _NOT_XML.sub("", text or "")


def _whole_number(value, name: str, default: int, low: int, high: int) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 12 or not low <= int(text) <= high:
        raise InvalidInput(f"'{name}' must be a whole number from {low} to {high:,}.",
                           field=name)
    return int(text)


def read_page(value, name: str = "page", *, first: int = 1) -> int:
    """The page of a list asked for (``first`` when not given).

    :param first: the number of the first page (Flask-Admin's lists count from 0).
    :raises InvalidInput: not a whole number from ``first`` to :data:`MAX_PAGE` pages on.
    """
    return _whole_number(value, name, first, first, MAX_PAGE + first - 1)


def read_per_page(value, default: int, name: str = "per_page") -> int:
    """How many items a page of a list shows (``default`` when not given).

    :raises InvalidInput: not a whole number from 1 to :data:`MAX_PER_PAGE`.
    """
    return _whole_number(value, name, default, 1, MAX_PER_PAGE)


def read_search(value, name: str = "search") -> str:
    """What a list or the search page is asked to find, trimmed.

    :raises InvalidInput: longer than :data:`MAX_SEARCH` characters, or holding a character
        that no stored text can (a control character).
    """
    text = (value or "").strip()
    if len(text) > MAX_SEARCH:
        raise InvalidInput(f"Search for at most {MAX_SEARCH} characters (this was "
                           f"{len(text):,}).", field=name)
    problem = text_problem(text)
    if problem:
        raise InvalidInput(problem, field=name)
    return text


__all__ = ["MAX_PAGE", "MAX_PER_PAGE", "MAX_SEARCH", "printable", "read_page",
           "read_per_page", "read_search", "text_problem", "visible"]
